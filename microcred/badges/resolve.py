"""Who issued a badge: bind the key that signed it to the issuer, and look the issuer up in
trusted-issuer lists.

A signature proves a credential is intact; it says who issued it only when the key is one the
issuer controls. :class:`Resolver` finds the keys an issuer controls:

- a ``did:key`` issuer controls exactly its own key (nothing to fetch);
- a ``did:web`` or ``https`` issuer controls the keys its controller (DID) document lists under
  ``assertionMethod``, the document being read from a local file (``documents``: URL or DID →
  file, e.g. ``https://example.edu/.well-known/did.json=did.json``) or, only when asked
  (``online``), fetched over https;
- keys the caller passes explicitly (``--keys``) are trusted as the issuer's.

A trusted-issuer list in the Digital Credentials Consortium's registry format
(``{"meta": {...}, "registry": {"did:…": {"name": …, "url": …, "location": …}}}``) names the
issuers a verifier recognises.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from microcred.badges._codec import b64url_encode, ed25519_from_multikey
from microcred.badges.errors import BadgeError
from microcred.badges.identity import controller_url, issuer_kind
from microcred.badges.keys import jwk_thumbprint, public_key_from_did_key, public_key_to_jwk

#: a controller document or registry is at most this large
MAX_DOCUMENT_BYTES = 1_000_000
FETCH_TIMEOUT_SECONDS = 10


def _fetch_https(url: str) -> bytes:
    if not url.startswith("https://"):
        raise BadgeError(f"{url}: only https URLs are fetched")
    request = urllib.request.Request(url, headers={"Accept": "application/did+json, application/json"})
    try:
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_SECONDS) as response:
            data: bytes = response.read(MAX_DOCUMENT_BYTES + 1)
    except OSError as exc:
        raise BadgeError(f"cannot fetch {url}: {getattr(exc, 'reason', None) or exc}") from None
    if len(data) > MAX_DOCUMENT_BYTES:
        raise BadgeError(f"{url}: the document is larger than {MAX_DOCUMENT_BYTES} bytes")
    return data


@dataclass(frozen=True)
class IssuerKey:
    """A key the issuer controls: its verification method id and public JWK."""

    id: str
    jwk: dict[str, Any]

    @property
    def thumbprint(self) -> str:
        return jwk_thumbprint(self.jwk)


def _method_jwk(method: Mapping[str, Any]) -> dict[str, Any] | None:
    try:
        if isinstance(method.get("publicKeyMultibase"), str):
            raw = ed25519_from_multikey(str(method["publicKeyMultibase"]))
            return {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(raw)}
        jwk = method.get("publicKeyJwk")
        members_of = {"OKP": ("kty", "crv", "x"), "RSA": ("kty", "n", "e"), "EC": ("kty", "crv", "x", "y")}
        if isinstance(jwk, Mapping) and jwk.get("kty") in members_of:
            members = members_of[str(jwk["kty"])]
            if all(isinstance(jwk.get(m), str) for m in members):
                return {m: jwk[m] for m in members}
    except BadgeError:
        return None
    return None


def _absolute(ref: str, base: str) -> str:
    return base + ref if ref.startswith("#") else ref


def keys_of_document(doc: Any, issuer_id: str) -> tuple[list[IssuerKey], str | None]:
    """(assertion keys, problem) of a controller document for ``issuer_id``."""
    if not isinstance(doc, Mapping):
        return [], "the controller document is not a JSON object"
    if doc.get("id") != issuer_id:
        return [], f"the controller document is for {doc.get('id')!r}, not for the issuer {issuer_id}"
    methods: dict[str, Mapping[str, Any]] = {}
    for m in doc.get("verificationMethod") or []:
        if isinstance(m, Mapping) and isinstance(m.get("id"), str):
            methods[_absolute(str(m["id"]), issuer_id)] = m
    refs = doc.get("assertionMethod")
    if not isinstance(refs, list) or not refs:
        return [], "the controller document lists no assertionMethod (the keys that may sign credentials)"
    out: list[IssuerKey] = []
    for ref in refs:
        if isinstance(ref, Mapping) and isinstance(ref.get("id"), str):
            method: Mapping[str, Any] | None = ref
            ident = _absolute(str(ref["id"]), issuer_id)
        elif isinstance(ref, str):
            ident = _absolute(ref, issuer_id)
            method = methods.get(ident)
        else:
            continue
        if method is None:
            continue
        controller = method.get("controller", issuer_id)
        if controller != issuer_id:
            continue
        jwk = _method_jwk(method)
        if jwk is not None:
            out.append(IssuerKey(ident, jwk))
    if not out:
        return [], "the controller document's assertionMethod names no usable Ed25519, RSA or P-256 key"
    return out, None


@dataclass
class Resolver:
    """Finds the keys an issuer controls, offline unless ``online``."""

    #: URL or DID → local file holding the document served there (or the parsed document)
    documents: Mapping[str, str | Path | Mapping[str, Any]] = field(default_factory=dict)
    #: fetch controller documents over https when no local copy is given
    online: bool = False
    #: how to fetch (for tests); default: urllib over https
    fetch: Callable[[str], bytes] | None = None

    def _document(self, issuer_id: str) -> tuple[Any, str | None]:
        url = controller_url(issuer_id)
        path = self.documents.get(issuer_id) or self.documents.get(url)
        if isinstance(path, Mapping):
            return path, None
        if path is not None:
            try:
                data = Path(path).read_bytes()
            except OSError as exc:
                return None, f"cannot read {path} (the document of {url}): {exc.strerror or exc}"
        elif self.online:
            try:
                data = (self.fetch or _fetch_https)(url)
            except BadgeError as exc:
                return None, str(exc)
        else:
            return None, (
                f"the issuer's controller document ({url}) was not given: pass a local copy "
                f"(--resolve {url}=FILE) or --online to fetch it"
            )
        try:
            return json.loads(data), None
        except (ValueError, UnicodeDecodeError):
            return None, f"the controller document of {url} is not JSON"

    def issuer_keys(self, issuer_id: str | None) -> tuple[list[IssuerKey], str | None]:
        """(the keys ``issuer_id`` controls, problem)."""
        if not issuer_id:
            return [], "the credential names no issuer id"
        kind = issuer_kind(issuer_id)
        if kind == "did:key":
            try:
                pub = public_key_from_did_key(issuer_id)
            except BadgeError as exc:
                return [], f"the issuer's did:key cannot be read: {exc}"
            ident = issuer_id.split("#", 1)[0]
            return [IssuerKey(f"{ident}#{ident[len('did:key:') :]}", public_key_to_jwk(pub))], None
        if kind is None:
            return [], (
                f"the issuer id {issuer_id!r} cannot be resolved to keys (microcred resolves did:key, did:web and "
                "https issuers); pass the issuer's keys with --keys if you know them"
            )
        doc, problem = self._document(issuer_id)
        if problem:
            return [], problem
        return keys_of_document(doc, issuer_id)


def bind(
    issuer_id: str | None,
    resolver: Resolver,
    *,
    method_id: str | None = None,
    jwk: Mapping[str, Any] | None = None,
) -> tuple[IssuerKey | None, str | None]:
    """The issuer's key that a proof names (by ``method_id``) or carries (``jwk``): (key, problem).

    The problem says why the key is not the issuer's (or cannot be shown to be)."""
    keys, problem = resolver.issuer_keys(issuer_id)
    if problem:
        return None, f"cannot tell whether the issuer controls the signing key: {problem}"
    if method_id is not None:
        for k in keys:
            if k.id == method_id or (issuer_kind(str(issuer_id)) == "did:key" and method_id == issuer_id):
                return k, None
        if method_id.startswith("did:key:") and issuer_kind(str(issuer_id)) == "did:key":
            return None, f"the proof's key {method_id} is not the issuer's did:key {issuer_id}"
    if jwk is not None:
        try:
            thumb = jwk_thumbprint(dict(jwk))
        except (KeyError, TypeError):
            return None, "the token's jwk is not an Ed25519, RSA or P-256 public key"
        for k in keys:
            if k.thumbprint == thumb:
                return k, None
    named = method_id or (f"the key with thumbprint {jwk_thumbprint(dict(jwk))}" if jwk else "no key")
    return None, (
        f"the signing key ({named}) is not controlled by the issuer {issuer_id}: "
        "it is not among the keys the issuer publishes"
    )


# -- trusted-issuer lists -------------------------------------------------------------------


@dataclass(frozen=True)
class Registry:
    """A trusted-issuer list: its name and issuer id → entry (name, url, location)."""

    name: str
    entries: Mapping[str, Mapping[str, Any]]


def load_registry(path: str | Path) -> Registry:
    """A registry file in the Digital Credentials Consortium's format (``registry`` or ``entries``)."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise BadgeError(f"{p}: cannot read the trusted-issuer list ({exc.strerror or exc})") from None
    if len(data) > 50 * MAX_DOCUMENT_BYTES:
        raise BadgeError(f"{p}: too large to be a trusted-issuer list")
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise BadgeError(f"{p}: the trusted-issuer list is not JSON") from None
    entries = None
    if isinstance(doc, Mapping):
        entries = doc.get("registry", doc.get("entries"))
    if not isinstance(entries, Mapping) or not all(isinstance(v, Mapping) for v in entries.values()):
        raise BadgeError(
            f'{p}: not a trusted-issuer list: expected {{"registry": {{"<issuer id>": {{"name": …, "url": …}}}}}}'
        )
    meta = doc.get("meta") if isinstance(doc, Mapping) else None
    name = meta.get("name") if isinstance(meta, Mapping) and isinstance(meta.get("name"), str) else p.name
    return Registry(str(name), entries)


def registries_naming(
    issuer_id: str | None, registries: Sequence[Registry]
) -> list[tuple[Registry, Mapping[str, Any]]]:
    """The registries (in the order given) that list ``issuer_id``, with its entry."""
    if not issuer_id:
        return []
    return [(r, r.entries[issuer_id]) for r in registries if issuer_id in r.entries]


__all__ = [
    "IssuerKey",
    "Registry",
    "Resolver",
    "bind",
    "keys_of_document",
    "load_registry",
    "registries_naming",
]
