"""Verify an Open Badges 3.0 credential: a baked PNG or SVG, a JSON credential, or a VC-JWT.

What is checked (every failure is reported, not just the first):

1. the container: the PNG/SVG is well formed and carries an OB 3.0 credential;
2. the shape: ``@context``, ``type`` (VerifiableCredential + OpenBadgeCredential), ``id``,
   ``issuer`` (a Profile), ``validFrom``, ``name``, ``credentialSubject`` (an
   AchievementSubject with an ``achievement``), and the types of the nested objects;
3. the signature: the VC-JWT (RS256 / ES256 / EdDSA) or the DataIntegrityProof (eddsa-rdfc-2022);
4. the validity window: ``validFrom`` ≤ now < ``validUntil`` (and the JWT's nbf/exp);
5. revocation: ``1EdTechRevocationList`` and ``BitstringStatusListEntry`` against lists read
   from local files (``status_lists``: URL → file); nothing is fetched from the network;
6. the recipient (optional): an email against the subject's hashed ``identifier``.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import hmac
import json
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from microcred.badges import bake
from microcred.badges._codec import format_datetime, parse_datetime
from microcred.badges.dataintegrity import verify_eddsa_rdfc_2022
from microcred.badges.errors import BadgeError, VerifyResult
from microcred.badges.jwt import credential_from_payload, decode_unverified, time_claims_errors, verify_vc_jwt
from microcred.badges.keys import load_public_keys
from microcred.badges.resolve import Registry, Resolver, registries_naming

MAX_FILE_BYTES = 32 * 1024 * 1024
#: a status list bitstring may inflate to at most this many bytes (a gzip bomb stops here)
MAX_STATUS_LIST_BYTES = 16 * 1024 * 1024

VC2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
VC1_CONTEXT = "https://www.w3.org/2018/credentials/v1"
OB3_CONTEXT_PREFIX = "https://purl.imsglobal.org/spec/ob/v3p0/context"
OB2_CONTEXT = "https://w3id.org/openbadges/v2"
CREDENTIAL_TYPES = ("OpenBadgeCredential", "AchievementCredential", "EndorsementCredential")

Keys = list[dict[str, Any]] | dict[str, Any] | str | Path | None
StatusLists = Mapping[str, str | Path]


# -- reading ------------------------------------------------------------------------------


def _as_now(now: datetime.datetime | datetime.date | None) -> datetime.datetime:
    if now is None:
        return datetime.datetime.now(datetime.UTC)
    if not isinstance(now, datetime.datetime):
        return datetime.datetime(now.year, now.month, now.day, tzinfo=datetime.UTC)
    return now if now.tzinfo else now.replace(tzinfo=datetime.UTC)


def _payload_from_bytes(data: bytes, name: str) -> str:
    """The credential text (JSON or JWT) in a file's bytes; BadgeError says why there is none."""
    if data.startswith(bake.PNG_SIGNATURE):
        found = bake.extract_png(data)
        if found is None:
            raise BadgeError(f"{name}: the PNG carries no Open Badge (no 'openbadgecredential' text chunk)")
        keyword, text = found
        if keyword == bake.OB2_KEYWORD:
            raise BadgeError(
                f"{name}: the PNG carries an Open Badges 2.0 assertion (keyword 'openbadges'); "
                "microcred verifies Open Badges 3.0 credentials"
            )
        return text
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        svg_text = bake.extract_svg(data)
        if svg_text is None:
            raise BadgeError(f"{name}: the SVG carries no Open Badge (no <openbadges:credential> element)")
        return svg_text
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadgeError(f"{name}: not a badge: expected a PNG or SVG image, a JSON credential or a VC-JWT") from None


def _resolve_keys(keys: Keys) -> list[dict[str, Any]] | dict[str, Any] | None:
    if isinstance(keys, str | Path):
        return load_public_keys(Path(keys))
    return keys


def verify_file(
    path: str | Path,
    keys: Keys = None,
    recipient: str | None = None,
    status_lists: StatusLists | None = None,
    now: datetime.datetime | datetime.date | None = None,
    *,
    resolver: Resolver | None = None,
    registries: Sequence[Registry] = (),
) -> VerifyResult:
    """Verify the badge in ``path`` (PNG, SVG, JSON credential or VC-JWT).

    ``keys``: the issuer's public keys to trust (a JWK set / list of JWKs, or a path to a
    JWKS/JWK/PEM file); without them the signing key must be one the issuer controls, as
    ``resolver`` finds (default: offline, where only a ``did:key`` issuer resolves): a
    credential whose key is not the issuer's is invalid. ``registries``: trusted-issuer lists;
    when given, an issuer on none of them is invalid. ``recipient``: an email to check against the subject's
    identifier. ``status_lists``: URL → local file for revocation lists. ``now``: the
    time of the check (default: now, UTC). Never raises for a bad badge: the result says why.
    """
    result = VerifyResult()
    p = Path(path)
    try:
        if p.stat().st_size > MAX_FILE_BYTES:
            result.error(f"{p}: too large to be a badge ({p.stat().st_size} bytes)")
            return result.finish()
        data = p.read_bytes()
    except FileNotFoundError:
        result.error(f"{p}: no such file")
        return result.finish()
    except IsADirectoryError:
        result.error(f"{p}: is a directory")
        return result.finish()
    except OSError as exc:
        result.error(f"{p}: cannot read ({exc.strerror or exc})")
        return result.finish()
    return verify_bytes(
        data,
        name=str(p),
        keys=keys,
        recipient=recipient,
        status_lists=status_lists,
        now=now,
        resolver=resolver,
        registries=registries,
    )


def verify_bytes(
    data: bytes,
    *,
    name: str = "<badge>",
    keys: Keys = None,
    recipient: str | None = None,
    status_lists: StatusLists | None = None,
    now: datetime.datetime | datetime.date | None = None,
    resolver: Resolver | None = None,
    registries: Sequence[Registry] = (),
) -> VerifyResult:
    """:func:`verify_file` on a file's content."""
    try:
        text = _payload_from_bytes(bytes(data), name)
    except BadgeError as exc:
        result = VerifyResult()
        result.error(str(exc))
        return result.finish()
    return verify_credential(
        text,
        keys=keys,
        recipient=recipient,
        status_lists=status_lists,
        now=now,
        resolver=resolver,
        registries=registries,
    )


def verify_credential(
    credential: str | dict[str, Any],
    *,
    keys: Keys = None,
    recipient: str | None = None,
    status_lists: StatusLists | None = None,
    now: datetime.datetime | datetime.date | None = None,
    resolver: Resolver | None = None,
    registries: Sequence[Registry] = (),
) -> VerifyResult:
    """Verify a credential given as JSON text, a VC-JWT, or an already parsed JSON object."""
    result = VerifyResult()
    moment = _as_now(now)
    try:
        trusted = _resolve_keys(keys)
    except BadgeError as exc:
        result.error(f"cannot read the keys: {exc}")
        return result.finish()
    payload: dict[str, Any] | None = None
    if isinstance(credential, str):
        text = credential.strip()
        if not text:
            result.error("the badge is empty")
            return result.finish()
        if text.startswith(("{", "[")):
            try:
                parsed = json.loads(text)
            except json.JSONDecodeError as exc:
                result.error(f"the credential is not valid JSON ({exc.msg}, line {exc.lineno} column {exc.colno})")
                return result.finish()
            except (ValueError, RecursionError):
                result.error("the credential is not valid JSON (or is nested too deeply)")
                return result.finish()
            credential = parsed
        elif text.startswith('"') and text.endswith('"'):
            try:
                credential = str(json.loads(text))
            except ValueError:
                result.error("the credential is neither JSON nor a VC-JWT")
                return result.finish()
            text = credential
        if isinstance(credential, str):
            if text.startswith(("http://", "https://")):
                result.error("the badge holds only a URL (hosted verification); microcred never fetches credentials")
                return result.finish()
            if "." not in text or any(c.isspace() for c in text):
                result.error("the badge holds neither a JSON credential nor a VC-JWT (header.payload.signature)")
                return result.finish()
            jwt_result = verify_vc_jwt(text, trusted, check_time=False, resolver=resolver)
            result.merge(jwt_result)
            if jwt_result.credential is None:
                return result.finish()
            credential = jwt_result.credential
            try:
                payload = decode_unverified(text)[1]
            except BadgeError:  # pragma: no cover - verify_vc_jwt decoded it already
                payload = None
    if not isinstance(credential, dict):
        result.error("the credential is not a JSON object")
        return result.finish()
    result.credential = credential
    if _is_ob2(credential):
        result.error("an Open Badges 2.0 assertion; microcred verifies Open Badges 3.0 credentials")
        return result.finish()
    shape_errors, shape_warnings = check_shape(credential, signed_as_jwt=payload is not None)
    for message in shape_errors:
        result.error(message)
    for message in shape_warnings:
        result.warn(message)
    if payload is None:
        result.merge(verify_eddsa_rdfc_2022(credential, trusted, resolver=resolver))
    _check_registries(credential, registries, result)
    window = check_validity(credential, moment)
    for message in window:
        result.error(message)
    if payload is not None:
        kinds = {m.split(":", 1)[0] for m in window}
        for message in time_claims_errors(payload, moment):
            if message.split(":", 1)[0] not in kinds:
                result.error(message)
    status = check_status(credential, status_lists or {}, trusted, moment, resolver)
    for message in status.errors:
        result.error(message)
    for message in status.warnings:
        result.warn(message)
    if recipient is not None:
        for message in check_recipient(credential, recipient):
            result.error(message)
    return result.finish()


def _is_ob2(credential: Mapping[str, Any]) -> bool:
    ctx = credential.get("@context")
    contexts = ctx if isinstance(ctx, list) else [ctx]
    return OB2_CONTEXT in contexts or credential.get("type") == "Assertion"


# -- shape --------------------------------------------------------------------------------


def _types(obj: Any) -> list[str]:
    t = obj.get("type") if isinstance(obj, Mapping) else None
    if isinstance(t, str):
        return [t]
    if isinstance(t, list):
        return [x for x in t if isinstance(x, str)]
    return []


def _is_uri(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    scheme, sep, rest = value.partition(":")
    return bool(sep and rest and scheme and scheme[0].isalpha()) and all(c.isalnum() or c in "+-." for c in scheme)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


class _Shape:
    def __init__(self) -> None:
        self.errors: list[str] = []
        self.warnings: list[str] = []

    def need_type(self, obj: Any, where: str, expected: str) -> None:
        if not isinstance(obj, Mapping):
            if not (isinstance(obj, str) and _is_uri(obj)):
                self.errors.append(f"{where} must be a {expected} object (or its URI)")
            return
        if expected not in _types(obj):
            found = obj.get("type")
            self.errors.append(f"{where}.type must include '{expected}' (found {json.dumps(found)})")

    def profile(self, obj: Any, where: str) -> None:
        if obj is None:
            return
        self.need_type(obj, where, "Profile")
        if isinstance(obj, Mapping):
            if not _is_uri(obj.get("id")):
                self.errors.append(f"{where}.id must be a URI")
            for i, entry in enumerate(_as_list(obj.get("otherIdentifier"))):
                self.need_type(entry, f"{where}.otherIdentifier[{i}]", "IdentifierEntry")
            if "parentOrg" in obj:
                self.profile(obj["parentOrg"], f"{where}.parentOrg")
            for i, endorsement in enumerate(_as_list(obj.get("endorsement"))):
                if isinstance(endorsement, Mapping) and "EndorsementCredential" not in _types(endorsement):
                    self.errors.append(f"{where}.endorsement[{i}].type must include 'EndorsementCredential'")


def check_shape(credential: Mapping[str, Any], *, signed_as_jwt: bool = False) -> tuple[list[str], list[str]]:
    """(errors, warnings) of the OB 3.0 data model: required properties and nested types."""
    s = _Shape()
    ctx = credential.get("@context")
    contexts = ctx if isinstance(ctx, list) else [ctx] if ctx is not None else []
    if not contexts:
        s.errors.append("the credential has no @context")
    elif contexts[0] == VC1_CONTEXT:
        s.warnings.append(
            f"the credential uses the VC Data Model 1.1 context ({VC1_CONTEXT}); OB 3.0 uses {VC2_CONTEXT}"
        )
    elif contexts[0] != VC2_CONTEXT:
        s.errors.append(f"the @context must begin with {VC2_CONTEXT} (found {json.dumps(contexts[0])})")
    types = _types(credential)
    is_clr = "ClrCredential" in types
    if not any(isinstance(c, str) and c.startswith(OB3_CONTEXT_PREFIX) for c in contexts) and not is_clr:
        s.errors.append("the @context lacks the Open Badges 3.0 context (https://purl.imsglobal.org/spec/ob/v3p0/…)")
    if "VerifiableCredential" not in types:
        s.errors.append("the credential's type must include 'VerifiableCredential'")
    kind = next((t for t in CREDENTIAL_TYPES if t in types), None)
    if kind is None and not is_clr:
        s.errors.append(
            f"the credential's type must include 'OpenBadgeCredential' (found {json.dumps(credential.get('type'))})"
        )
    if not _is_uri(credential.get("id")):
        s.errors.append("the credential's id is missing or not a URI")
    if "issuer" not in credential:
        s.errors.append("the credential has no issuer")
    elif isinstance(credential["issuer"], str):
        if not _is_uri(credential["issuer"]):
            s.errors.append("the credential's issuer must be a URI or a Profile")
    else:
        s.profile(credential["issuer"], "issuer")
    if contexts and contexts[0] == VC1_CONTEXT:
        if "issuanceDate" not in credential and "validFrom" not in credential:
            s.errors.append("the credential has no issuanceDate")
    elif "validFrom" not in credential:
        s.errors.append("the credential has no validFrom")
    for prop in ("validFrom", "validUntil", "issuanceDate", "expirationDate", "awardedDate"):
        if prop in credential:
            try:
                parse_datetime(credential[prop])
            except ValueError:
                s.errors.append(f"the credential's {prop} {json.dumps(credential[prop])} is not a date-time")
    if not isinstance(credential.get("name"), str) and kind in ("OpenBadgeCredential", "AchievementCredential"):
        s.errors.append("the credential has no name")
    subjects = _as_list(credential.get("credentialSubject"))
    if not subjects:
        s.errors.append("the credential has no credentialSubject")
    for i, subject in enumerate(subjects):
        where = "credentialSubject" if len(subjects) == 1 else f"credentialSubject[{i}]"
        _subject(s, subject, where, kind)
    for i, ev in enumerate(_as_list(credential.get("evidence"))):
        s.need_type(ev, f"evidence[{i}]", "Evidence")
    for i, endorsement in enumerate(_as_list(credential.get("endorsement"))):
        if isinstance(endorsement, Mapping) and "EndorsementCredential" not in _types(endorsement):
            s.errors.append(f"endorsement[{i}].type must include 'EndorsementCredential'")
    if not signed_as_jwt and "proof" not in credential:
        s.errors.append("the credential has no proof: it is not signed")
    return s.errors, s.warnings


def _subject(s: _Shape, subject: Any, where: str, kind: str | None) -> None:
    if not isinstance(subject, Mapping):
        s.errors.append(f"{where} must be an object")
        return
    expected = {"EndorsementCredential": "EndorsementSubject", None: None}.get(kind, "AchievementSubject")
    if expected:
        s.need_type(subject, where, expected)
    if "id" in subject and not _is_uri(subject["id"]):
        s.errors.append(f"{where}.id must be a URI")
    identifiers = _as_list(subject.get("identifier"))
    if expected == "AchievementSubject" and "id" not in subject and not identifiers:
        s.errors.append(f"{where} needs an id or an identifier (who received the badge)")
    for i, ident in enumerate(identifiers):
        w = f"{where}.identifier[{i}]"
        s.need_type(ident, w, "IdentityObject")
        if isinstance(ident, Mapping):
            if not isinstance(ident.get("identityHash"), str):
                s.errors.append(f"{w}.identityHash must be a string")
            if not isinstance(ident.get("hashed"), bool):
                s.errors.append(f"{w}.hashed must be true or false")
            if not isinstance(ident.get("identityType"), str):
                s.errors.append(f"{w}.identityType must be a string")
    if "source" in subject:
        s.profile(subject["source"], f"{where}.source")
    for i, res in enumerate(_as_list(subject.get("result"))):
        s.need_type(res, f"{where}.result[{i}]", "Result")
    if expected != "AchievementSubject":
        return
    achievement = subject.get("achievement")
    if achievement is None:
        s.errors.append(f"{where} has no achievement")
        return
    if not isinstance(achievement, Mapping):
        s.errors.append(f"{where}.achievement must be an Achievement object")
        return
    w = f"{where}.achievement"
    s.need_type(achievement, w, "Achievement")
    if not _is_uri(achievement.get("id")):
        s.errors.append(f"{w}.id is missing or not a URI")
    for prop in ("name", "description"):
        if not isinstance(achievement.get(prop), str):
            s.errors.append(f"{w} has no {prop}")
    criteria = achievement.get("criteria")
    if not isinstance(criteria, Mapping) or not ("id" in criteria or "narrative" in criteria):
        s.errors.append(f"{w}.criteria must be an object with an id or a narrative")
    for i, rd in enumerate(_as_list(achievement.get("resultDescription"))):
        s.need_type(rd, f"{w}.resultDescription[{i}]", "ResultDescription")
    for i, al in enumerate(_as_list(achievement.get("alignment"))):
        s.need_type(al, f"{w}.alignment[{i}]", "Alignment")
    if "creator" in achievement:
        s.profile(achievement["creator"], f"{w}.creator")


# -- validity window ----------------------------------------------------------------------


def check_validity(credential: Mapping[str, Any], now: datetime.datetime) -> list[str]:
    """Errors when ``now`` is before validFrom (issuanceDate) or at/after validUntil (expirationDate)."""
    errors = []
    start_prop = "validFrom" if "validFrom" in credential else "issuanceDate"
    end_prop = "validUntil" if "validUntil" in credential else "expirationDate"
    try:
        if start_prop in credential and now < parse_datetime(credential[start_prop]):
            errors.append(
                f"not yet valid: {start_prop} is {credential[start_prop]} (checked at {format_datetime(now)})"
            )
    except (ValueError, OverflowError):
        pass  # reported by check_shape
    try:
        if end_prop in credential and now >= parse_datetime(credential[end_prop]):
            errors.append(f"expired: {end_prop} is {credential[end_prop]} (checked at {format_datetime(now)})")
    except (ValueError, OverflowError):
        pass
    return errors


# -- revocation ---------------------------------------------------------------------------


def _read_list(url: str, status_lists: StatusLists) -> tuple[str | None, str | None]:
    """(text, problem) of the local copy of a status list URL."""
    path = status_lists.get(url) or status_lists.get(url.split("#", 1)[0])
    if path is None:
        return None, None
    try:
        return Path(path).read_text(encoding="utf-8-sig"), None
    except (OSError, UnicodeDecodeError) as exc:
        return None, f"cannot read the local copy {path} of the status list {url}: {exc}"


def check_status(
    credential: Mapping[str, Any],
    status_lists: StatusLists,
    keys: list[dict[str, Any]] | dict[str, Any] | None = None,
    now: datetime.datetime | None = None,
    resolver: Resolver | None = None,
) -> VerifyResult:
    """Revocation/suspension of ``credential`` against local copies of its status lists."""
    result = VerifyResult()
    for entry in _as_list(credential.get("credentialStatus")):
        if not isinstance(entry, Mapping):
            result.error("credentialStatus must be an object")
            continue
        kind = entry.get("type")
        if kind == "1EdTechRevocationList":
            _check_1edtech(credential, entry, status_lists, result)
        elif kind in ("BitstringStatusListEntry", "StatusList2021Entry"):
            _check_bitstring(credential, entry, status_lists, keys, now or _as_now(None), result, resolver)
        else:
            result.warn(f"credentialStatus of type {kind!r} is not supported; revocation was not checked")
    return result.finish()


def _not_given(url: str) -> str:
    return (
        f"revocation not checked: no local copy of the status list {url} was given "
        "(--status-list URL=FILE); microcred never fetches it"
    )


def _check_1edtech(
    credential: Mapping[str, Any], entry: Mapping[str, Any], status_lists: StatusLists, result: VerifyResult
) -> None:
    url = entry.get("id")
    if not isinstance(url, str):
        result.error("the 1EdTechRevocationList status has no id (the list's URL)")
        return
    text, problem = _read_list(url, status_lists)
    if problem:
        result.error(problem)
        return
    if text is None:
        result.warn(_not_given(url))
        return
    try:
        doc = json.loads(text)
    except ValueError:
        result.error(f"the revocation list {url} is not JSON")
        return
    revoked = doc.get("revokedCredentials", []) if isinstance(doc, Mapping) else doc
    if not isinstance(revoked, list):
        result.error(f"the revocation list {url} has no revokedCredentials array")
        return
    cid = credential.get("id")
    for item in revoked:
        rid = item.get("id") if isinstance(item, Mapping) else item
        if rid == cid:
            reason = item.get("revocationReason") if isinstance(item, Mapping) else None
            result.error(
                f"revoked: the credential {cid} is on the revocation list {url}" + (f" ({reason})" if reason else "")
            )
            return


def _decode_bitstring(encoded: str) -> bytes:
    text = encoded[1:] if encoded.startswith("u") else encoded
    raw = b""
    for candidate in [text, encoded] if text != encoded else [text]:
        try:
            raw = base64.urlsafe_b64decode(candidate + "=" * (-len(candidate) % 4))
        except (binascii.Error, ValueError):
            try:
                raw = base64.b64decode(candidate + "=" * (-len(candidate) % 4))
            except (binascii.Error, ValueError):
                continue
        if raw[:2] == b"\x1f\x8b":
            break
    if raw[:2] != b"\x1f\x8b":
        raise ValueError("encodedList is not a GZIP-compressed, base64url-encoded bitstring")
    inflater = zlib.decompressobj(wbits=31)
    try:
        bits = inflater.decompress(raw, MAX_STATUS_LIST_BYTES)
    except zlib.error as exc:
        raise ValueError(f"encodedList does not decompress: {exc}") from None
    if inflater.unconsumed_tail:
        raise ValueError(f"encodedList inflates beyond {MAX_STATUS_LIST_BYTES} bytes")
    return bits


def _check_bitstring(
    credential: Mapping[str, Any],
    entry: Mapping[str, Any],
    status_lists: StatusLists,
    keys: list[dict[str, Any]] | dict[str, Any] | None,
    now: datetime.datetime,
    result: VerifyResult,
    resolver: Resolver | None = None,
) -> None:
    url = entry.get("statusListCredential")
    purpose = entry.get("statusPurpose", "revocation")
    if not isinstance(url, str):
        result.error("the status entry has no statusListCredential URL")
        return
    try:
        index = int(entry.get("statusListIndex"))  # type: ignore[arg-type]
        if index < 0:
            raise ValueError
    except (TypeError, ValueError):
        result.error(
            f"the status entry's statusListIndex {entry.get('statusListIndex')!r} is not a non-negative integer"
        )
        return
    if int(entry.get("statusSize", 1) or 1) != 1:
        result.warn("a status entry with statusSize > 1 is not supported; its status was not checked")
        return
    text, problem = _read_list(url, status_lists)
    if problem:
        result.error(problem)
        return
    if text is None:
        result.warn(_not_given(url))
        return
    # the list is itself a credential: check its signature and dates, not its OB shape
    body = text.strip()
    if body.startswith("{"):
        try:
            list_credential = json.loads(body)
        except ValueError:
            result.error(f"the status list {url} is not JSON")
            return
        signature = verify_eddsa_rdfc_2022(list_credential, keys, resolver=resolver)
    else:
        signature = verify_vc_jwt(body, keys, now=now, resolver=resolver)
        list_credential = signature.credential
        if list_credential is not None and "vc" in list_credential:
            list_credential = credential_from_payload(list_credential)[0]
    if not isinstance(list_credential, Mapping):
        result.error(f"the status list {url} is not a credential")
        return
    if not signature.valid:
        result.error(
            f"the status list {url} is not validly signed ({'; '.join(signature.errors)}): the "
            "revocation status is unknown"
        )
        return
    for w in signature.warnings:
        result.warn(f"status list {url}: {w}")
    for e in check_validity(list_credential, now):
        result.warn(f"the status list {url} is {e}")
    issuer = _issuer_id(credential)
    if issuer and _issuer_id(list_credential) != issuer:
        result.warn(f"the status list {url} was issued by {_issuer_id(list_credential)}, not by {issuer}")
    subject = list_credential.get("credentialSubject")
    if isinstance(subject, list):
        subject = subject[0] if subject else None
    if not isinstance(subject, Mapping) or not isinstance(subject.get("encodedList"), str):
        result.error(f"the status list {url} has no credentialSubject.encodedList")
        return
    list_purposes = _as_list(subject.get("statusPurpose"))
    if list_purposes and purpose not in list_purposes:
        result.error(f"the status list {url} is for {list_purposes}, not for {purpose!r}")
        return
    try:
        bits = _decode_bitstring(subject["encodedList"])
    except ValueError as exc:
        result.error(f"the status list {url}: {exc}")
        return
    if index >= len(bits) * 8:
        result.error(f"statusListIndex {index} is beyond the status list {url} ({len(bits) * 8} entries)")
        return
    if bits[index // 8] >> (7 - index % 8) & 1:
        word = {"revocation": "revoked", "suspension": "suspended"}.get(str(purpose), f"flagged ({purpose})")
        result.error(f"{word}: entry {index} of the status list {url} is set")


def _check_registries(credential: Mapping[str, Any], registries: Sequence[Registry], result: VerifyResult) -> None:
    if not registries:
        return
    issuer = _issuer_id(credential)
    found = registries_naming(issuer, registries)
    if not found:
        names = ", ".join(r.name for r in registries)
        result.error(f"the issuer {issuer} is on none of the trusted-issuer lists given ({names})")
        return
    result.registries = [r.name for r, _ in found]
    registry, entry = found[0]
    listed = entry.get("name")
    if isinstance(listed, str):
        claimed = credential.get("issuer")
        claimed_name = claimed.get("name") if isinstance(claimed, Mapping) else None
        if isinstance(claimed_name, str) and claimed_name != listed:
            result.warn(f"the issuer calls itself {claimed_name!r}; the list {registry.name} knows it as {listed!r}")


def _issuer_id(credential: Mapping[str, Any]) -> str | None:
    issuer = credential.get("issuer")
    if isinstance(issuer, str):
        return issuer
    if isinstance(issuer, Mapping) and isinstance(issuer.get("id"), str):
        return str(issuer["id"])
    return None


# -- recipient ----------------------------------------------------------------------------


def _hash_matches(identity_hash: str, candidates: list[str], salt: str) -> bool | None:
    algo, sep, digest = identity_hash.partition("$")
    if not sep or algo.lower() not in ("sha256", "md5"):
        return None
    for email in candidates:
        h = hashlib.new(algo.lower(), (email + salt).encode("utf-8")).hexdigest()
        if hmac.compare_digest(h, digest.lower()):
            return True
    return False


def check_recipient(credential: Mapping[str, Any], email: str) -> list[str]:
    """Errors unless one of the subject's email identifiers is ``email`` (hashed or plain)."""
    candidates = list(dict.fromkeys([email, email.strip(), email.strip().lower()]))
    found_email_identifier = False
    for subject in _as_list(credential.get("credentialSubject")):
        if not isinstance(subject, Mapping):
            continue
        for ident in _as_list(subject.get("identifier")):
            if not isinstance(ident, Mapping) or ident.get("identityType") != "emailAddress":
                continue
            found_email_identifier = True
            value = ident.get("identityHash")
            if not isinstance(value, str):
                continue
            if ident.get("hashed") is True:
                salt = ident.get("salt") if isinstance(ident.get("salt"), str) else ""
                match = _hash_matches(value, candidates, str(salt))
                if match is None:
                    return [f"the recipient's identityHash uses an unsupported algorithm ({value.split('$')[0]!r})"]
                if match:
                    return []
            elif value.strip().lower() == email.strip().lower():
                return []
    if not found_email_identifier:
        return ["the credential does not identify its recipient by email, so --recipient cannot be checked"]
    return [f"the credential was not issued to {email}: no recipient identifier matches"]


__all__ = [
    "check_recipient",
    "check_shape",
    "check_status",
    "check_validity",
    "verify_bytes",
    "verify_credential",
    "verify_file",
]
