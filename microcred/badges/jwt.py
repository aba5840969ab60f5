"""VC-JWT (compact JWS) signing and verification for Open Badges 3.0, with ``cryptography`` only.

Algorithms are an allow-list: ``RS256`` (the interoperable minimum), ``ES256`` (ECDSA on P-256,
the signature as the JOSE ``r || s``) and ``EdDSA`` (Ed25519).
``none`` and everything else are refused; the algorithm must also match the key's type, so an
RSA public key can never be used as an HMAC secret or the like.

The payload is the credential itself (VC Data Model 2.0) plus the registered claims
``iss`` (issuer id), ``sub`` (credentialSubject.id), ``nbf`` (validFrom) and ``exp``
(validUntil); no ``jti``, which the VC 2.0 context leaves undefined (the credential's ``id``
says the same). A VC 1.1 style ``vc`` claim is read too.

The header's ``kid`` is a URI that dereferences to the key (a ``did:key`` or ``did:web`` DID
URL); for an https issuer there is no ``kid`` and the key travels as ``jwk``, which the
issuer's controller document and JWKS list.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from microcred.badges._codec import b64url_decode, b64url_encode, format_datetime, parse_datetime
from microcred.badges.errors import BadgeError, VerifyResult
from microcred.badges.identity import issuer_kind, jwk_method_id
from microcred.badges.keys import (
    PublicKey,
    SigningKey,
    jwk_thumbprint,
    public_key_from_did_key,
    public_key_from_jwk,
)
from microcred.badges.resolve import Resolver, bind

#: JOSE algorithms accepted, with the JWK key type each needs
ALLOWED_ALGORITHMS: dict[str, str] = {"RS256": "RSA", "ES256": "EC", "EdDSA": "OKP", "Ed25519": "OKP"}
#: registered claims added around the credential
JWT_CLAIMS = ("iss", "sub", "nbf", "exp", "jti", "iat", "aud")
MAX_TOKEN_BYTES = 2_000_000


def _json_bytes(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _issuer_id(credential: dict[str, Any]) -> str | None:
    issuer = credential.get("issuer")
    if isinstance(issuer, str):
        return issuer
    if isinstance(issuer, dict) and isinstance(issuer.get("id"), str):
        return str(issuer["id"])
    return None


def _subject_id(credential: dict[str, Any]) -> str | None:
    subject = credential.get("credentialSubject")
    if isinstance(subject, list) and subject:
        subject = subject[0]
    if isinstance(subject, dict) and isinstance(subject.get("id"), str):
        return str(subject["id"])
    return None


def _epoch(value: Any) -> int:
    return int(parse_datetime(value).timestamp())


def jwt_claims(credential: dict[str, Any]) -> dict[str, Any]:
    """The registered claims a VC-JWT of ``credential`` carries."""
    claims: dict[str, Any] = {}
    iss = _issuer_id(credential)
    if iss:
        claims["iss"] = iss
    sub = _subject_id(credential)
    if sub:
        claims["sub"] = sub
    if "validFrom" in credential:
        claims["nbf"] = _epoch(credential["validFrom"])
    if "validUntil" in credential:
        claims["exp"] = _epoch(credential["validUntil"])
    return claims


def _sign_bytes(key: SigningKey, data: bytes) -> bytes:
    if isinstance(key.private_key, ed25519.Ed25519PrivateKey):
        if key.algorithm not in ("EdDSA", "Ed25519"):
            raise BadgeError(f"an Ed25519 key signs with EdDSA, not {key.algorithm}")
        return key.private_key.sign(data)
    if isinstance(key.private_key, ec.EllipticCurvePrivateKey):
        if key.algorithm != "ES256":
            raise BadgeError(f"a P-256 key signs with ES256, not {key.algorithm}")
        r, s = decode_dss_signature(key.private_key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    if key.algorithm != "RS256":
        raise BadgeError(f"an RSA key signs with RS256, not {key.algorithm}")
    return key.private_key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def sign_vc_jwt(credential: dict[str, Any], key: SigningKey, *, embed_jwk: bool = True) -> str:
    """The credential as a compact VC-JWT signed with ``key``.

    The header carries ``alg``, ``typ: JWT``, a ``kid`` URI for a did:key / did:web issuer and
    (``embed_jwk``, or always without a ``kid``) the public ``jwk``. Raises BadgeError when a
    date in the credential cannot be read, or when the key cannot be a did:key issuer's.
    """
    if not isinstance(credential, dict):
        raise BadgeError("a credential must be a JSON object")
    body = {k: v for k, v in credential.items() if k != "proof"}
    try:
        claims = jwt_claims(body)
    except ValueError as exc:
        raise BadgeError(f"cannot sign: {exc}") from None
    header: dict[str, Any] = {"alg": key.algorithm, "typ": "JWT"}
    issuer = _issuer_id(body)
    kid = jwk_method_id(issuer, key) if issuer and issuer_kind(issuer) else None
    if kid:
        header["kid"] = kid
    if embed_jwk or not kid:
        jwk = key.public_jwk()
        jwk.pop("use", None)
        jwk.pop("kid", None)
        header["jwk"] = jwk
    payload = {**body, **claims}
    signing_input = b64url_encode(_json_bytes(header)) + "." + b64url_encode(_json_bytes(payload))
    signature = _sign_bytes(key, signing_input.encode("ascii"))
    return signing_input + "." + b64url_encode(signature)


def _verify_bytes(alg: str, public_key: PublicKey, signature: bytes, data: bytes) -> bool:
    try:
        if ALLOWED_ALGORITHMS[alg] == "OKP":
            if not isinstance(public_key, ed25519.Ed25519PublicKey):
                return False
            public_key.verify(signature, data)
        elif ALLOWED_ALGORITHMS[alg] == "EC":
            if not isinstance(public_key, ec.EllipticCurvePublicKey) or len(signature) != 64:
                return False
            der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
            public_key.verify(der, data, ec.ECDSA(hashes.SHA256()))
        else:
            if not isinstance(public_key, rsa.RSAPublicKey):
                return False
            public_key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def _normalise_keys(keys: Any) -> list[dict[str, Any]]:
    if keys is None:
        return []
    if isinstance(keys, dict):
        keys = keys.get("keys", [keys])
    return [k for k in keys if isinstance(k, dict)]


def _same_key(a: dict[str, Any], b: dict[str, Any]) -> bool:
    try:
        return jwk_thumbprint(a) == jwk_thumbprint(b)
    except (KeyError, TypeError):
        return False


def _candidate_keys(
    header: dict[str, Any],
    keys: list[dict[str, Any]] | dict[str, Any] | None,
    result: VerifyResult,
    credential: dict[str, Any],
    resolver: Resolver | None = None,
) -> list[tuple[str, PublicKey]]:
    """(description, key) pairs to try, or [] with an error recorded.

    With ``keys`` (the caller's trusted keys for this issuer) the key is one of them; otherwise
    it must be a key the issuer controls (:func:`microcred.badges.resolve.bind`); a key that
    is not is an error, and the token is still checked with its own ``jwk`` to say whether it
    is intact."""
    alg = header["alg"]
    kid = header.get("kid")
    want_kty = ALLOWED_ALGORITHMS[alg]
    if keys is not None:
        jwks = _normalise_keys(keys)
        header_jwk = header.get("jwk")
        if isinstance(kid, str) and any(k.get("kid") for k in jwks):
            chosen = [k for k in jwks if k.get("kid") == kid or (kid.endswith("#" + str(k.get("kid"))))]
            if not chosen:
                result.error(f"no key with kid {kid!r} in the given key set")
                return []
        elif isinstance(header_jwk, dict) and header_jwk.get("kty") in ("OKP", "RSA"):
            chosen = [k for k in jwks if _same_key(k, header_jwk)]
            if not chosen:
                result.error("the token's key (its header jwk) is not in the given key set")
                return []
        else:
            chosen = jwks
        chosen = [k for k in chosen if k.get("kty") == want_kty]
        if not chosen:
            result.error(f"the given key set has no {want_kty} key for a token signed with {alg}")
            return []
        out: list[tuple[str, PublicKey]] = []
        for k in chosen:
            try:
                out.append((f"key {k.get('kid', '(no kid)')}", public_key_from_jwk(k)))
            except BadgeError as exc:
                result.warn(f"skipped a key of the key set: {exc}")
        if not out:
            result.error("no usable key in the given key set")
        return out
    issuer = _issuer_id(credential)
    header_jwk = header.get("jwk") if isinstance(header.get("jwk"), dict) else None
    method_id = kid if isinstance(kid, str) and ":" in kid else None
    bound, problem = bind(issuer, resolver or Resolver(), method_id=method_id, jwk=header_jwk)
    if bound is not None:
        try:
            pub = public_key_from_jwk(bound.jwk)
        except BadgeError as exc:
            result.error(f"the issuer's key {bound.id} is unusable: {exc}")
            return []
        result.issuer_key = bound.id
        return [(bound.id, pub)]
    result.error(str(problem) if "--" in str(problem) else f"{problem} (pass the issuer's keys with --keys)")
    if header_jwk is not None:  # still say whether the token is intact
        try:
            return [("the header jwk (integrity only)", public_key_from_jwk(header_jwk))]
        except BadgeError as exc:
            result.error(f"the JWT header's jwk is unusable: {exc}")
    elif isinstance(kid, str) and kid.startswith("did:key:"):
        try:
            return [("did:key (integrity only)", public_key_from_did_key(kid))]
        except BadgeError as exc:
            result.error(f"cannot resolve the token's kid: {exc}")
    return []


def decode_unverified(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    """(header, payload, signature, signing input) of a compact JWS; BadgeError if malformed."""
    if not isinstance(token, str):
        raise BadgeError("a VC-JWT must be text")
    token = token.strip()
    if len(token) > MAX_TOKEN_BYTES:
        raise BadgeError("the VC-JWT is too large")
    parts = token.split(".")
    if len(parts) != 3:
        raise BadgeError(f"not a compact JWS: expected header.payload.signature, found {len(parts)} part(s)")
    try:
        raw = [b64url_decode(p) for p in parts]
    except ValueError:
        raise BadgeError("not a compact JWS: a part is not base64url") from None
    try:
        header = json.loads(raw[0])
        payload = json.loads(raw[1])
    except (ValueError, UnicodeDecodeError):
        raise BadgeError("not a VC-JWT: the header or payload is not JSON") from None
    if not isinstance(header, dict):
        raise BadgeError("not a VC-JWT: the header is not a JSON object")
    if not isinstance(payload, dict):
        raise BadgeError("not a VC-JWT: the payload is not a JSON object")
    return header, payload, raw[2], (parts[0] + "." + parts[1]).encode("ascii")


def credential_from_payload(payload: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """(credential, is_vc11): the credential a VC-JWT payload carries."""
    vc = payload.get("vc")
    if isinstance(vc, dict):
        return vc, True
    return {k: v for k, v in payload.items() if k not in JWT_CLAIMS}, False


def _check_claims(payload: dict[str, Any], credential: dict[str, Any], result: VerifyResult) -> None:
    iss = payload.get("iss")
    issuer = _issuer_id(credential)
    if iss is None:
        result.error("the VC-JWT has no 'iss' claim (it must be the issuer's id)")
    elif issuer is not None and iss != issuer:
        result.error(f"the 'iss' claim {iss!r} does not match the credential's issuer {issuer!r}")
    jti = payload.get("jti")
    if jti is not None and isinstance(credential.get("id"), str) and jti != credential["id"]:
        result.error(f"the 'jti' claim {jti!r} does not match the credential id {credential['id']!r}")
    sub = payload.get("sub")
    subject = _subject_id(credential)
    if sub is None and subject is not None:
        # the spec says MUST, but real badges (the 1EdTech samples among them) omit it
        result.warn("the VC-JWT has no 'sub' claim (the spec says it MUST carry credentialSubject.id)")
    elif subject is not None and sub != subject:
        result.error(f"the 'sub' claim {sub!r} does not match credentialSubject.id {subject!r}")
    for claim in ("nbf", "exp", "iat"):
        if claim in payload and (isinstance(payload[claim], bool) or not isinstance(payload[claim], int | float)):
            result.error(f"the '{claim}' claim is not a NumericDate")


def _when(seconds: float) -> str:
    try:
        return format_datetime(datetime.datetime.fromtimestamp(seconds, datetime.UTC))
    except (OverflowError, OSError, ValueError):
        return str(seconds)


def time_claims_errors(payload: dict[str, Any], now: datetime.datetime) -> list[str]:
    """Errors for ``nbf``/``exp`` outside ``now``."""
    errors = []
    ts = now.timestamp()
    nbf, exp = payload.get("nbf"), payload.get("exp")
    if isinstance(nbf, int | float) and not isinstance(nbf, bool) and ts < nbf:
        errors.append(f"not yet valid: the VC-JWT's 'nbf' is {_when(nbf)}")
    if isinstance(exp, int | float) and not isinstance(exp, bool) and ts >= exp:
        errors.append(f"expired: the VC-JWT's 'exp' is {_when(exp)}")
    return errors


def verify_vc_jwt(
    token: str,
    keys: list[dict[str, Any]] | dict[str, Any] | None = None,
    *,
    now: datetime.datetime | None = None,
    check_time: bool = True,
    resolver: Resolver | None = None,
) -> VerifyResult:
    """Check a compact VC-JWT: allowed algorithm, signature, and the claims against the credential.

    ``keys`` is a JWK set (a list of JWKs or ``{"keys": [...]}``) the caller trusts as the
    issuer's; without it the key must be one the issuer controls, found by ``resolver``
    (default: offline, which resolves ``did:key`` issuers only).
    With ``check_time``, ``nbf``/``exp`` are checked against ``now`` (default: the
    current time). ``credential`` of the result is the decoded credential (also when invalid).
    """
    result = VerifyResult()
    try:
        header, payload, signature, signing_input = decode_unverified(token)
    except BadgeError as exc:
        result.error(str(exc))
        return result.finish()
    credential, is_vc11 = credential_from_payload(payload)
    result.credential = credential
    alg = header.get("alg")
    if not isinstance(alg, str) or alg.lower() == "none":
        result.error("the token is unsigned (alg 'none' or missing): refused")
        return result.finish()
    if alg not in ALLOWED_ALGORITHMS:
        result.error(f"algorithm {alg!r} is not accepted (allowed: RS256, ES256, EdDSA)")
        return result.finish()
    if header.get("crit"):
        result.error(f"the token requires header extensions microcred does not know: {header['crit']!r}")
        return result.finish()
    candidates = _candidate_keys(header, keys, result, credential, resolver)
    if candidates and not any(_verify_bytes(alg, pub, signature, signing_input) for _, pub in candidates):
        result.error("the signature does not verify: the token was altered or signed with another key")
    if is_vc11:
        result.warn("the VC-JWT uses the VC Data Model 1.1 'vc' claim")
    _check_claims(payload, credential, result)
    if check_time:
        for e in time_claims_errors(payload, now or datetime.datetime.now(datetime.UTC)):
            result.error(e)
    return result.finish()


__all__ = ["ALLOWED_ALGORITHMS", "decode_unverified", "jwt_claims", "sign_vc_jwt", "verify_vc_jwt"]
