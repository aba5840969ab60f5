"""Small encodings used by the badge formats: base64url, base58btc, multibase, Multikey."""

from __future__ import annotations

import base64
import binascii
import datetime

from microcred.badges.errors import BadgeError

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58)}

#: multicodec varint prefix of an Ed25519 public key (0xed, as a varint: 0xed 0x01)
ED25519_PUB_PREFIX = b"\xed\x01"


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict base64url without padding (as JOSE uses it); raises ValueError otherwise."""
    if not isinstance(text, str) or any(c not in _B64URL for c in text) or len(text) % 4 == 1:
        raise ValueError("not base64url")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64url") from exc
    if b64url_encode(data) != text:  # non-zero padding bits: one value, one spelling
        raise ValueError("not canonical base64url")
    return data


_B64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def b58encode(data: bytes) -> str:
    """Bitcoin-alphabet base58 (as base58btc multibase uses it)."""
    n = int.from_bytes(data, "big")
    out = []
    while n:
        n, r = divmod(n, 58)
        out.append(_B58[r])
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + "".join(reversed(out))


def b58decode(text: str) -> bytes:
    """Inverse of :func:`b58encode`; raises ValueError on a character outside the alphabet."""
    n = 0
    for c in text:
        i = _B58_INDEX.get(c)
        if i is None:
            raise ValueError(f"{c!r} is not a base58btc character")
        n = n * 58 + i
    zeros = len(text) - len(text.lstrip("1"))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    return b"\0" * zeros + body


def multibase_encode(data: bytes) -> str:
    return "z" + b58encode(data)


def multibase_decode(text: str) -> bytes:
    if not isinstance(text, str) or not text.startswith("z"):
        raise ValueError("not a base58btc multibase value (it must start with 'z')")
    return b58decode(text[1:])


def ed25519_multikey(public_raw: bytes) -> str:
    """``publicKeyMultibase`` of an Ed25519 key: 'z' + base58btc(0xed01 ‖ key)."""
    return multibase_encode(ED25519_PUB_PREFIX + public_raw)


def ed25519_from_multikey(text: str) -> bytes:
    """The 32 raw bytes of an Ed25519 Multikey ``z6Mk…``; BadgeError when it is not one."""
    try:
        raw = multibase_decode(text)
    except ValueError as exc:
        raise BadgeError(f"{text!r} is not a Multikey: {exc}") from None
    if not raw.startswith(ED25519_PUB_PREFIX) or len(raw) != 34:
        raise BadgeError(f"{text!r} is not an Ed25519 Multikey (expected the 0xed01 prefix and 32 key bytes)")
    return raw[2:]


def parse_datetime(value: object) -> datetime.datetime:
    """An XSD/RFC 3339 date-time as an aware datetime (UTC when no offset is given).

    Raises ValueError when ``value`` is not such a string.
    """
    if not isinstance(value, str) or "T" not in value:
        raise ValueError(f"{value!r} is not a date-time (expected e.g. 2026-05-20T00:00:00Z)")
    parsed = datetime.datetime.fromisoformat(value.replace("z", "Z"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    try:
        parsed.astimezone(datetime.UTC)
    except OverflowError:
        raise ValueError(f"{value!r} is out of range") from None
    return parsed


def format_datetime(value: datetime.datetime | datetime.date) -> str:
    """``YYYY-MM-DDThh:mm:ssZ`` (a date means its midnight UTC)."""
    if not isinstance(value, datetime.datetime):
        value = datetime.datetime(value.year, value.month, value.day, tzinfo=datetime.UTC)
    elif value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    return value.astimezone(datetime.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
