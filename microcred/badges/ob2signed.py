"""Open Badges 2.0 *signed* assertions: a compact JWS (RS256) whose payload is the assertion.

What is checked, all offline (every document comes from a local copy given for its URL):

1. the JWS: ``alg`` is ``RS256`` (what Open Badges 2.0 signs with; anything else, ``none``
   above all, is refused) and the payload is the assertion;
2. the assertion says ``verification: {type: SignedBadge}`` (or ``signed``);
3. the key: ``verification.creator`` names a ``CryptographicKey`` (else the issuer profile's
   ``publicKey`` does), whose ``publicKeyPem`` is an RSA public key; the signature must verify
   with it;
4. the key is the issuer's: its ``owner`` is the issuer's id, and the issuer profile lists it
   in ``publicKey`` (or the key is hosted on the issuer's own origin);
5. revocation: the issuer profile's ``revocationList`` (a ``RevocationList`` with
   ``revokedAssertions``, each an assertion id or ``{id, revocationReason}``) must not name the
   assertion; a list not given locally is a warning (revocation not checked).

Problems are sentences in the words :func:`microcred.badges.evidence.reason_of` sorts
(``revoked: …``, ``… not controlled by the issuer …``, anything else is ``invalid``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from microcred.badges._codec import b64url_decode

#: (document, problem) of the local copy of a URL
Loader = Callable[[str], tuple[dict[str, Any] | None, str | None]]
SIGNED_TYPES = ("SignedBadge", "signed")


def _list(v: Any) -> list[Any]:
    return v if isinstance(v, list) else [] if v is None else [v]


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _id(v: Any) -> str | None:
    if isinstance(v, str):
        return v
    if isinstance(v, Mapping) and isinstance(v.get("id"), str):
        return str(v["id"])
    return None


def split_jws(token: str) -> tuple[dict[str, Any], bytes, bytes] | None:
    """(header, signature, signing input) of a compact JWS, or None when it is not one."""
    import json

    parts = token.strip().split(".")
    if len(parts) != 3:
        return None
    try:
        header = json.loads(b64url_decode(parts[0]))
        signature = b64url_decode(parts[2])
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(header, dict):
        return None
    return header, signature, f"{parts[0]}.{parts[1]}".encode("ascii")


def _rsa_key(pem: Any) -> rsa.RSAPublicKey | None:
    if not isinstance(pem, str):
        return None
    try:
        key = serialization.load_pem_public_key(pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError, UnsupportedAlgorithm):
        return None
    return key if isinstance(key, rsa.RSAPublicKey) else None


def verify_signed_assertion(
    token: str,
    assertion: Mapping[str, Any],
    issuer: Mapping[str, Any] | None,
    issuer_id: str | None,
    load: Loader,
) -> tuple[list[str], list[str]]:
    """(problems, warnings) of a signed assertion. ``issuer`` is the issuer profile (from the
    BadgeClass, or its local copy), None when it could not be read; ``load`` reads the local
    copy of a URL (keys, revocation lists)."""
    problems: list[str] = []
    warnings: list[str] = []
    parts = split_jws(token)
    if parts is None:
        return ["the signed assertion is not a compact JWS (header.payload.signature)"], warnings
    header, signature, signing_input = parts
    alg = header.get("alg")
    if alg != "RS256":
        problems.append(
            f"the signed assertion's JWS uses alg {alg!r}; Open Badges 2.0 signed assertions are RS256, "
            "nothing else is accepted"
        )
    verification = assertion.get("verification")
    vtype = verification.get("type") if isinstance(verification, Mapping) else None
    if vtype not in SIGNED_TYPES:
        problems.append(
            f"the JWS carries an assertion whose verification type is {vtype!r}, not SignedBadge: "
            "it does not claim to be verified by signature"
        )
    if issuer is None:
        problems.append(
            f"cannot tell whether the issuer controls the signing key: the issuer profile {issuer_id} "
            f"was not given (--resolve {issuer_id}=FILE)"
        )
    creator = verification.get("creator") if isinstance(verification, Mapping) else None
    listed = [k for k in (_id(x) for x in _list(issuer.get("publicKey"))) if k] if issuer is not None else []
    if creator is not None and not isinstance(creator, str):
        problems.append("verification.creator must be the URL of the signing key")
        return problems, warnings
    candidates: list[tuple[str, Mapping[str, Any] | None]] = []
    if isinstance(creator, str):
        candidates.append((creator, None))
    elif issuer is not None:
        for item in _list(issuer.get("publicKey")):
            url = _id(item)
            if url:
                candidates.append((url, item if isinstance(item, Mapping) and "publicKeyPem" in item else None))
    if not candidates:
        problems.append(
            "no signing key is named: neither verification.creator nor the issuer profile's publicKey gives one"
        )
        return problems, warnings
    verified: tuple[str, Mapping[str, Any]] | None = None
    for url, embedded in candidates:
        doc: Mapping[str, Any] | None = embedded
        if doc is None:
            doc, problem = load(url)
            if problem is not None or doc is None:
                problems.append(f"cannot read the signing key: {problem}")
                continue
        key = _rsa_key(doc.get("publicKeyPem"))
        if key is None:
            problems.append(f"the key {url} has no RSA publicKeyPem")
            continue
        try:
            key.verify(signature, signing_input, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            continue
        verified = (url, doc)
        break
    if verified is None:
        if not any(p.startswith(("cannot read the signing key", "the key ")) for p in problems):
            names = ", ".join(u for u, _d in candidates)
            problems.append(
                f"the signature does not verify with the issuer's key {names}: the assertion was altered, "
                "or signed with another key"
            )
        return problems, warnings
    url, doc = verified
    owner = doc.get("owner")
    if issuer_id is not None and owner != issuer_id:
        problems.append(
            f"the key {url} is not controlled by the issuer {issuer_id}: the key names its owner as {owner!r}"
        )
    elif issuer is not None and url not in listed and (issuer_id is None or _origin(url) != _origin(issuer_id)):
        problems.append(
            f"the key {url} is not controlled by the issuer {issuer_id}: the issuer profile's publicKey "
            "does not list it, nor is it hosted on the issuer's origin"
        )
    if problems:
        return problems, warnings
    revocation = issuer.get("revocationList") if issuer is not None else None
    if isinstance(revocation, str):
        revoked, problem = load(revocation)
        if revoked is None:
            if problem is not None and "no local copy" in problem:
                warnings.append(f"revocation not checked: {problem}")
            else:
                problems.append(f"the revocation list cannot be read: {problem}")
        else:
            problems += _revoked(assertion, revoked, revocation)
    return problems, warnings


def _revoked(assertion: Mapping[str, Any], doc: Mapping[str, Any], url: str) -> list[str]:
    entries = doc.get("revokedAssertions")
    if not isinstance(entries, list):
        return [f"the revocation list {url} has no revokedAssertions list"]
    aid = assertion.get("id")
    for item in entries:
        if _id(item) == aid:
            reason = item.get("revocationReason") if isinstance(item, Mapping) else None
            return [
                f"revoked: the assertion {aid} is on the issuer's revocation list {url}"
                + (f" ({reason})" if reason else "")
            ]
    return []


__all__ = ["SIGNED_TYPES", "split_jws", "verify_signed_assertion"]
