"""Data Integrity proofs, cryptosuite ``eddsa-rdfc-2022`` (W3C VC Data Integrity EdDSA).

The document and the proof options are canonicalised with RDF Dataset Canonicalization
(URDNA2015 / RDFC-1.0, via pyld ``normalize``) using an OFFLINE document loader: every JSON-LD
context comes from the files shipped in ``microcred/badges/contexts/``; nothing is fetched at
run time, and a context that is not shipped is an error that names it. The Ed25519 signature
covers ``sha256(canonical proof options) ‖ sha256(canonical document)``; ``proofValue`` is
base58btc multibase (``z…``).
"""

from __future__ import annotations

import copy
import datetime
import hashlib
import json
from collections.abc import Callable, Mapping
from functools import cache
from importlib import resources
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519

from microcred.badges._codec import (
    b64url_decode,
    ed25519_from_multikey,
    format_datetime,
    multibase_decode,
    multibase_encode,
    parse_datetime,
)
from microcred.badges.errors import BadgeError, VerifyResult
from microcred.badges.keys import (
    SigningKey,
    public_key_from_did_key,
    public_key_from_jwk,
    public_key_from_multikey,
)
from microcred.badges.resolve import Resolver, bind

CRYPTOSUITE = "eddsa-rdfc-2022"
PROOF_TYPE = "DataIntegrityProof"

#: context URL → file shipped in microcred/badges/contexts/
CONTEXT_FILES: dict[str, str] = {
    "https://www.w3.org/ns/credentials/v2": "credentials-v2.jsonld",
    "https://w3id.org/security/data-integrity/v1": "data-integrity-v1.jsonld",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": "ob-v3p0-3.0.3.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json": "ob-v3p0-3.0.2.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json": "ob-v3p0-3.0.1.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json": "ob-v3p0-extensions.json",
    "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json": "clr-v2p0-2.0.1.json",
    "https://w3id.org/openbadges/v2": "ob-v2p0.json",
}


@cache
def _context_text(filename: str) -> str:
    return resources.files("microcred.badges").joinpath("contexts", filename).read_text(encoding="utf-8")


def shipped_context(url: str) -> dict[str, Any] | None:
    """The parsed JSON-LD context shipped for ``url`` (a fresh copy), or None."""
    filename = CONTEXT_FILES.get(url.split("#", 1)[0])
    if filename is None:
        return None
    doc: dict[str, Any] = json.loads(_context_text(filename))
    return doc


class _ContextNotShipped(Exception):
    pass


def offline_document_loader(
    extra: Mapping[str, Mapping[str, Any]] | None = None,
) -> Callable[[str, Any], dict[str, Any]]:
    """A pyld document loader over the shipped contexts (plus ``extra`` URL → document)."""

    def load(url: str, options: Any = None) -> dict[str, Any]:
        doc: Any = copy.deepcopy(dict(extra[url])) if extra and url in extra else shipped_context(url)
        if doc is None:
            raise _ContextNotShipped(url)
        return {"contextUrl": None, "documentUrl": url, "document": doc}

    return load


def _missing_context(exc: BaseException) -> str | None:
    seen: set[int] = set()
    stack: list[Any] = [exc]
    while stack:
        e = stack.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, _ContextNotShipped):
            return str(e.args[0])
        stack.extend([getattr(e, "cause", None), e.__cause__, e.__context__])
        details = getattr(e, "details", None)
        if isinstance(details, dict):
            stack.append(details.get("cause"))
    return None


def canonicalize(document: Mapping[str, Any], extra_contexts: Mapping[str, Mapping[str, Any]] | None = None) -> str:
    """URDNA2015 canonical N-Quads of a JSON-LD document, contexts from the shipped files only."""
    from pyld import jsonld

    try:
        result = jsonld.normalize(
            copy.deepcopy(dict(document)),
            {
                "algorithm": "URDNA2015",
                "format": "application/n-quads",
                "documentLoader": offline_document_loader(extra_contexts),
            },
        )
    except Exception as exc:  # pyld raises JsonLdError (and lets some others through)
        missing = _missing_context(exc)
        if missing:
            raise BadgeError(
                f"JSON-LD context {missing} is not one microcred ships; contexts are never fetched at run time"
            ) from None
        raise BadgeError(f"the document is not valid JSON-LD: {_jsonld_reason(exc)}") from None
    if not isinstance(result, str):
        raise BadgeError("canonicalization did not produce N-Quads")
    return result


def _jsonld_reason(exc: BaseException) -> str:
    parts = []
    e: Any = exc
    for _ in range(6):
        if e is None:
            break
        msg = str(getattr(e, "message", None) or e.args[0] if getattr(e, "args", None) else e)
        msg = msg.split("\n", 1)[0]
        if msg and msg not in parts:
            parts.append(msg)
        e = getattr(e, "cause", None) or e.__cause__
    return "; ".join(parts) or type(exc).__name__


def proof_options(proof: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """The proof configuration that is hashed: the proof without ``proofValue``, with ``@context``."""
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    options["@context"] = context
    return options


def hash_data(
    document: Mapping[str, Any],
    proof: Mapping[str, Any],
    extra_contexts: Mapping[str, Mapping[str, Any]] | None = None,
) -> tuple[str, str, bytes]:
    """(canonical proof options, canonical document, data to sign) for ``document`` (without proof)."""
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    proof_canon = canonicalize(proof_options(proof, unsecured.get("@context")), extra_contexts)
    doc_canon = canonicalize(unsecured, extra_contexts)
    data = hashlib.sha256(proof_canon.encode("utf-8")).digest() + hashlib.sha256(doc_canon.encode("utf-8")).digest()
    return proof_canon, doc_canon, data


def sign_eddsa_rdfc_2022(
    credential: dict[str, Any],
    key: SigningKey,
    verification_method: str,
    created: str | None = None,
    *,
    extra_contexts: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """A copy of ``credential`` with a ``DataIntegrityProof`` (eddsa-rdfc-2022) in ``proof``
    (an array of one proof, the form the OB 3.0 and CLR 2.0 JSON schemas accept).

    ``verification_method`` is the URL a verifier resolves to the public key (e.g. the
    issuer's ``https://…#key-1`` or ``key.did_key()``); ``created`` defaults to now (UTC).
    """
    if not isinstance(key.private_key, ed25519.Ed25519PrivateKey):
        raise BadgeError("eddsa-rdfc-2022 needs an Ed25519 key; this key is RSA (use the JWT format for RSA)")
    if not isinstance(credential, dict):
        raise BadgeError("a credential must be a JSON object")
    if "proof" in credential:
        raise BadgeError("the credential already has a proof; sign the unsecured credential")
    if "@context" not in credential:
        raise BadgeError("the credential has no @context; it cannot be canonicalized")
    if created is None:
        created = format_datetime(datetime.datetime.now(datetime.UTC))
    proof: dict[str, Any] = {
        "type": PROOF_TYPE,
        "created": created,
        "verificationMethod": verification_method,
        "cryptosuite": CRYPTOSUITE,
        "proofPurpose": "assertionMethod",
    }
    _, _, data = hash_data(credential, proof, extra_contexts)
    proof["proofValue"] = multibase_encode(key.private_key.sign(data))
    signed = dict(credential)
    signed["proof"] = [proof]
    return signed


def _issuer_id(credential: Mapping[str, Any]) -> str | None:
    issuer = credential.get("issuer")
    if isinstance(issuer, str):
        return issuer
    if isinstance(issuer, dict) and isinstance(issuer.get("id"), str):
        return str(issuer["id"])
    return None


def _key_from_given(vm: str, keys: Any) -> tuple[ed25519.Ed25519PublicKey | None, str | None]:
    """Match a verification method against the keys the caller trusts."""
    entries: list[Any]
    if isinstance(keys, Mapping) and "keys" in keys:
        entries = list(keys["keys"])
    elif isinstance(keys, Mapping) and "id" not in keys and "kty" not in keys:
        entries = [
            {"id": k, **v} if isinstance(v, dict) else {"id": k, "publicKeyMultibase": v} for k, v in keys.items()
        ]
    elif isinstance(keys, Mapping):
        entries = [keys]
    else:
        entries = list(keys)
    fragment = vm.split("#", 1)[1] if "#" in vm else None
    named = _named_key(vm)
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        names = {entry.get("id"), entry.get("kid")}
        by_name = vm in names or (fragment is not None and (fragment in names or "#" + fragment in names))
        if not by_name and (named is None or _entry_raw(entry) != named):
            continue
        try:
            if "publicKeyMultibase" in entry:
                return public_key_from_multikey(str(entry["publicKeyMultibase"])), None
            if "publicKeyJwk" in entry:
                pub = public_key_from_jwk(entry["publicKeyJwk"])
            else:
                pub = public_key_from_jwk(dict(entry))
        except BadgeError as exc:
            return None, f"the key given for {vm} is unusable: {exc}"
        if not isinstance(pub, ed25519.Ed25519PublicKey):
            return None, f"the key given for {vm} is not an Ed25519 key"
        return pub, None
    return None, f"none of the given keys is the proof's verificationMethod {vm}"


def _named_key(vm: str) -> bytes | None:
    """The raw Ed25519 key a verification method spells out (did:key, or a ``#z6Mk…`` fragment)."""
    ident = vm[len("did:key:") :].split("#", 1)[0] if vm.startswith("did:key:") else vm.partition("#")[2]
    if not ident.startswith("z6Mk"):
        return None
    try:
        return ed25519_from_multikey(ident)
    except BadgeError:
        return None


def _entry_raw(entry: Mapping[str, Any]) -> bytes | None:
    try:
        if "publicKeyMultibase" in entry:
            return ed25519_from_multikey(str(entry["publicKeyMultibase"]))
        jwk = entry.get("publicKeyJwk", entry)
        if isinstance(jwk, Mapping) and jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519":
            return b64url_decode(str(jwk.get("x", "")))
    except (BadgeError, ValueError):
        return None
    return None


def _self_named_key(vm: str) -> ed25519.Ed25519PublicKey | None:
    """The Ed25519 key a verification method spells out itself (a did:key, or an http(s) URL
    whose fragment is a Multikey), or None. It proves integrity only, never who signed."""
    raw = _named_key(vm)
    if raw is None:
        return None
    return ed25519.Ed25519PublicKey.from_public_bytes(raw)


def resolve_verification_method(
    vm: Any, credential: Mapping[str, Any], keys: Any, result: VerifyResult, resolver: Resolver | None = None
) -> ed25519.Ed25519PublicKey | None:
    """The Ed25519 public key a proof's ``verificationMethod`` names, bound to the issuer.

    With ``keys`` (the caller's trusted keys: JWKs with ``kid``/``id``, Multikey documents, or
    a mapping verificationMethod → publicKeyMultibase) the key must be among them. Without, the
    verification method must be one the credential's issuer controls (``resolver``: a
    ``did:key`` issuer offline, a ``did:web``/https issuer through its controller document);
    otherwise that is an error, and the key the method spells out (if any) is still returned
    so the caller can say whether the credential is intact.
    """
    if not isinstance(vm, str) or not vm:
        result.error("the proof has no verificationMethod")
        return None
    if keys is not None:
        pub, problem = _key_from_given(vm, keys)
        if problem:
            result.error(problem)
        return pub
    scheme, sep, rest = vm.partition(":")
    if not sep or not scheme or not scheme[0].isalpha() or not all(c.isalnum() or c in "+-." for c in scheme):
        result.error(f"the proof's verificationMethod {vm!r} is not a URL: it has no scheme")
        return None
    scheme = scheme.lower()
    if scheme == "did":
        method = rest.split(":", 1)[0]
        if method not in ("key", "web"):
            result.error(
                f"the proof's verificationMethod uses the DID method 'did:{method}', which microcred cannot "
                "resolve; supported: did:key, did:web"
            )
            return None
        if method == "key":
            try:
                public_key_from_did_key(vm)
            except BadgeError as exc:
                result.error(f"the proof's verificationMethod cannot be resolved: {exc}")
                return None
    elif scheme not in ("http", "https"):
        result.error(f"the proof's verificationMethod {vm!r} uses the unsupported URL scheme '{scheme}'")
        return None
    bound, problem = bind(_issuer_id(credential), resolver or Resolver(), method_id=vm)
    if bound is not None:
        try:
            bound_pub = public_key_from_jwk(bound.jwk)
        except BadgeError as exc:
            result.error(f"the issuer's key {bound.id} is unusable: {exc}")
            return None
        if not isinstance(bound_pub, ed25519.Ed25519PublicKey):
            result.error(f"the issuer's key {bound.id} is not an Ed25519 key")
            return None
        result.issuer_key = bound.id
        return bound_pub
    result.error(str(problem) if "--" in str(problem) else f"{problem} (pass the issuer's keys with --keys)")
    return _self_named_key(vm)


def _proof_list(credential: Mapping[str, Any]) -> list[Any]:
    proof = credential.get("proof")
    if proof is None:
        return []
    return list(proof) if isinstance(proof, list) else [proof]


def verify_eddsa_rdfc_2022(
    credential: dict[str, Any],
    keys: Any = None,
    *,
    extra_contexts: Mapping[str, Mapping[str, Any]] | None = None,
    resolver: Resolver | None = None,
) -> VerifyResult:
    """Check every ``eddsa-rdfc-2022`` proof of ``credential``.

    ``keys``: the issuer keys to trust (see :func:`resolve_verification_method`); None to
    bind the verificationMethod to the issuer through ``resolver``. Proofs of other types are reported as warnings
    (not checked); a credential without any supported proof is invalid.
    """
    result = VerifyResult(credential=credential)
    if not isinstance(credential, dict):
        result.error("a credential must be a JSON object")
        return result.finish()
    proofs = _proof_list(credential)
    if not proofs:
        result.error("the credential has no proof: it is not signed")
        return result.finish()
    supported = []
    for p in proofs:
        if not isinstance(p, dict):
            result.error("a proof is not a JSON object")
        elif p.get("type") == PROOF_TYPE and p.get("cryptosuite") == CRYPTOSUITE:
            supported.append(p)
        else:
            what = p.get("type") if p.get("type") != PROOF_TYPE else f"{PROOF_TYPE} {p.get('cryptosuite')}"
            result.warn(f"a proof of type {what!r} is not supported by microcred and was not checked")
    if not supported:
        result.error(f"the credential has no proof microcred can check ({PROOF_TYPE} with cryptosuite {CRYPTOSUITE})")
        return result.finish()
    unsecured = {k: v for k, v in credential.items() if k != "proof"}
    try:
        doc_canon = canonicalize(unsecured, extra_contexts)
    except BadgeError as exc:
        result.error(str(exc))
        return result.finish()
    doc_hash = hashlib.sha256(doc_canon.encode("utf-8")).digest()
    for proof in supported:
        _verify_one(proof, unsecured, doc_hash, keys, extra_contexts, result, resolver)
    return result.finish()


def _verify_one(
    proof: dict[str, Any],
    unsecured: dict[str, Any],
    doc_hash: bytes,
    keys: Any,
    extra_contexts: Mapping[str, Mapping[str, Any]] | None,
    result: VerifyResult,
    resolver: Resolver | None = None,
) -> None:
    if proof.get("proofPurpose") != "assertionMethod":
        result.error(f"the proof's proofPurpose is {proof.get('proofPurpose')!r}, not 'assertionMethod'")
        return
    if "created" in proof:
        try:
            parse_datetime(proof["created"])
        except ValueError:
            result.error(f"the proof's 'created' {proof['created']!r} is not a date-time")
            return
    value = proof.get("proofValue")
    try:
        signature = multibase_decode(value) if isinstance(value, str) else b""
    except ValueError:
        signature = b""
    if len(signature) != 64:
        result.error("the proof's proofValue is not a base58btc ('z…') Ed25519 signature")
        return
    pub = resolve_verification_method(proof.get("verificationMethod"), unsecured, keys, result, resolver)
    if pub is None:
        return
    if "@context" in proof:
        ctx = proof["@context"]
        ctx_list = ctx if isinstance(ctx, list) else [ctx]
        doc_ctx = unsecured.get("@context")
        doc_list = doc_ctx if isinstance(doc_ctx, list) else [doc_ctx]
        if doc_list[: len(ctx_list)] != ctx_list:
            result.error("the proof's @context does not match the credential's @context")
            return
    try:
        proof_canon = canonicalize(proof_options(proof, unsecured.get("@context")), extra_contexts)
    except BadgeError as exc:
        result.error(f"the proof options cannot be canonicalized: {exc}")
        return
    data = hashlib.sha256(proof_canon.encode("utf-8")).digest() + doc_hash
    try:
        pub.verify(signature, data)
    except InvalidSignature:
        result.error(
            "the proof's proofValue does not verify: the credential was altered after signing, "
            "or it was signed with another key"
        )


__all__ = [
    "CONTEXT_FILES",
    "CRYPTOSUITE",
    "canonicalize",
    "hash_data",
    "offline_document_loader",
    "proof_options",
    "resolve_verification_method",
    "shipped_context",
    "sign_eddsa_rdfc_2022",
    "verify_eddsa_rdfc_2022",
]
