"""Issuer identity a verifier can resolve: verification method ids, controller documents, JWKS.

An issuer id is one of

- ``did:key:z6Mk…`` — the key is the identity; nothing to publish (Ed25519 keys only);
- ``did:web:host[:path…]`` — its DID document is served at ``https://host/.well-known/did.json``
  (or ``https://host/path…/did.json``);
- ``https://…`` — its controller document is served at the issuer id URL itself.

Each signing key gets verification methods under the issuer id: an Ed25519 key a ``Multikey``
``{issuer}#z6Mk…`` (what Data Integrity proofs name) and a ``JsonWebKey`` ``{issuer}#{RFC 7638
thumbprint}`` (what a VC-JWT's ``kid`` names); an RSA key only the latter. Both are listed in
``assertionMethod``, the relationship a credential's proof is checked against.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from microcred.badges.errors import BadgeError
from microcred.badges.keys import KIND_NAMES, PublicSigningKey, SigningKey, jwk_thumbprint

Key = SigningKey | PublicSigningKey

DID_CONTEXT = "https://www.w3.org/ns/did/v1"
MULTIKEY_CONTEXT = "https://w3id.org/security/multikey/v1"
JWK_CONTEXT = "https://w3id.org/security/jwk/v1"
CONTROLLER_CONTEXTS = [DID_CONTEXT, MULTIKEY_CONTEXT, JWK_CONTEXT]

RESOLVABLE = "did:web (did:web:example.edu), an https URL the issuer serves, or the did:key of the signing key"


def issuer_kind(issuer_id: str) -> str | None:
    """``"did:key"``, ``"did:web"``, ``"https"`` — or None when microcred cannot resolve the id."""
    if issuer_id.startswith("did:key:z"):
        return "did:key"
    if issuer_id.startswith("did:web:") and len(issuer_id) > len("did:web:"):
        return "did:web"
    if issuer_id.startswith("https://") and urlsplit(issuer_id).hostname:
        return "https"
    return None


def did_web_url(did: str) -> str:
    """The URL of a ``did:web`` DID document: ``did:web:example.edu`` → ``https://example.edu/.well-known/did.json``;
    ``did:web:example.edu:issuers:1`` → ``https://example.edu/issuers/1/did.json``."""
    if not did.startswith("did:web:"):
        raise BadgeError(f"{did!r} is not a did:web DID")
    parts = did[len("did:web:") :].split("#", 1)[0].split(":")
    host = unquote(parts[0])
    if not host or "/" in host:
        raise BadgeError(f"{did!r}: the did:web has no host")
    path = "/".join(unquote(p) for p in parts[1:])
    return f"https://{host}/{path}/did.json" if path else f"https://{host}/.well-known/did.json"


def controller_url(issuer_id: str) -> str:
    """Where the issuer's controller (DID) document is served."""
    kind = issuer_kind(issuer_id)
    if kind == "did:web":
        return did_web_url(issuer_id)
    if kind == "https":
        return issuer_id.split("#", 1)[0]
    raise BadgeError(f"the issuer id {issuer_id!r} has no controller document to fetch")


def jwks_url(issuer_id: str) -> str:
    """Where the issuer's JWK set is served: ``https://host/.well-known/jwks.json``."""
    base = controller_url(issuer_id)
    parts = urlsplit(base)
    return f"https://{parts.netloc}/.well-known/jwks.json"


def _check_did_key(issuer_id: str, key: Key) -> None:
    if key.kind != "ed25519":
        raise BadgeError(
            f"the issuer id {issuer_id} is a did:key, which needs an Ed25519 key; this key is {KIND_NAMES[key.kind]}"
        )
    own = key.did_key().split("#", 1)[0]
    if issuer_id.split("#", 1)[0] != own:
        raise BadgeError(
            f"the issuer id {issuer_id} is a did:key but the signing key is {own}: a did:key issuer must sign "
            "with its own key (set catalog.issuer.id to the key's did:key, printed by `microcred keys generate`)"
        )


def multikey_method_id(issuer_id: str, key: Key) -> str:
    """The Data Integrity ``verificationMethod`` of ``key`` under ``issuer_id``."""
    if issuer_kind(issuer_id) == "did:key":
        _check_did_key(issuer_id, key)
        return key.did_key()
    return f"{issuer_id}#{key.multikey}"


def jwk_method_id(issuer_id: str, key: Key) -> str | None:
    """The VC-JWT ``kid`` of ``key`` under ``issuer_id``: a URI that dereferences to the key
    (a DID URL), or None for an https issuer, whose token carries the key as ``jwk`` instead
    (the issuer's controller document and JWKS list it)."""
    kind = issuer_kind(issuer_id)
    if kind == "did:key":
        _check_did_key(issuer_id, key)
        return key.did_key()
    if kind == "did:web":
        return f"{issuer_id}#{jwk_thumbprint(key.public_jwk())}"
    return None


def check_issuer_key(issuer_id: str, key: Key) -> None:
    """BadgeError (with the fix) unless ``key`` can sign for ``issuer_id`` in a way verifiers resolve."""
    kind = issuer_kind(issuer_id)
    if kind is None:
        raise BadgeError(
            f"the issuer id {issuer_id!r} cannot be resolved by a verifier, so no one could check who issued "
            f"the badge: set catalog.issuer.id to {RESOLVABLE}, then publish its keys with "
            "`microcred keys publish`"
        )
    if kind == "did:key":
        _check_did_key(issuer_id, key)


def _public_jwk(key: Key) -> dict[str, Any]:
    jwk = key.public_jwk()
    jwk.pop("kid", None)
    jwk.pop("use", None)
    return jwk


def verification_methods(issuer_id: str, key: Key) -> list[dict[str, Any]]:
    """The verification methods of ``key`` in the issuer's controller document."""
    methods: list[dict[str, Any]] = []
    if key.kind == "ed25519":
        methods.append(
            {
                "id": f"{issuer_id}#{key.multikey}",
                "type": "Multikey",
                "controller": issuer_id,
                "publicKeyMultibase": key.multikey,
            }
        )
    methods.append(
        {
            "id": f"{issuer_id}#{jwk_thumbprint(key.public_jwk())}",
            "type": "JsonWebKey",
            "controller": issuer_id,
            "publicKeyJwk": _public_jwk(key),
        }
    )
    return methods


def controller_document(issuer_id: str, keys: Sequence[Key]) -> dict[str, Any]:
    """The controller (DID) document that makes ``keys`` the issuer's assertion keys."""
    if issuer_kind(issuer_id) not in ("did:web", "https"):
        raise BadgeError(f"the issuer id {issuer_id!r} is not a did:web or https id; it has no controller document")
    methods = [m for k in keys for m in verification_methods(issuer_id, k)]
    ids = [m["id"] for m in methods]
    return {
        "@context": list(CONTROLLER_CONTEXTS),
        "id": issuer_id,
        "verificationMethod": methods,
        "assertionMethod": ids,
        "authentication": ids,
    }


def jwks(issuer_id: str, keys: Iterable[Key]) -> dict[str, Any]:
    """The issuer's JWK set; each ``kid`` is the key's verification method id."""
    out = []
    for k in keys:
        jwk = _public_jwk(k)
        jwk["use"] = "sig"
        jwk["kid"] = f"{issuer_id}#{jwk_thumbprint(k.public_jwk())}"
        out.append(jwk)
    return {"keys": out}


@dataclass(frozen=True)
class PublishedFile:
    """One file the issuer must serve: its name in the output directory and its URL."""

    name: str
    url: str
    content: bytes
    media_type: str


def _json(doc: Any) -> bytes:
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def files_to_publish(issuer_id: str, keys: Sequence[Key]) -> list[PublishedFile]:
    """Exactly the files that make ``keys`` verifiable as the issuer's (none for a did:key)."""
    if not keys:
        raise BadgeError("give at least one signing key")
    kind = issuer_kind(issuer_id)
    if kind is None:
        check_issuer_key(issuer_id, keys[0])
    if kind == "did:key":
        for k in keys:
            _check_did_key(issuer_id, k)
        return []
    doc = controller_document(issuer_id, keys)
    name = "did.json" if kind == "did:web" else "controller.json"
    media = "application/did+json" if kind == "did:web" else "application/json"
    return [
        PublishedFile(name, controller_url(issuer_id), _json(doc), media),
        PublishedFile("jwks.json", jwks_url(issuer_id), _json(jwks(issuer_id, keys)), "application/jwk-set+json"),
    ]


__all__ = [
    "CONTROLLER_CONTEXTS",
    "PublishedFile",
    "check_issuer_key",
    "controller_document",
    "controller_url",
    "did_web_url",
    "files_to_publish",
    "issuer_kind",
    "jwk_method_id",
    "jwks",
    "jwks_url",
    "multikey_method_id",
    "verification_methods",
]
