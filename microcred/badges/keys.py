"""Signing keys (Ed25519, RSA, P-256): generate, load (PEM or JWK), save, and their public forms
(JWK, Multikey, did:key).

A private key is never written to a log, an error message or standard output: errors name
the file and what is wrong with it, never its content.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from microcred.badges._codec import b64url_decode, b64url_encode, ed25519_from_multikey, ed25519_multikey
from microcred.badges.errors import BadgeError
from microcred.io.atomicfile import write_atomically

PrivateKey = ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
PublicKey = ed25519.Ed25519PublicKey | rsa.RSAPublicKey | ec.EllipticCurvePublicKey

#: smallest RSA modulus microcred signs or verifies with
MIN_RSA_BITS = 2048
KEY_KINDS = ("ed25519", "rsa", "p256")
#: the JOSE algorithm each kind of key signs with
ALGORITHMS = {"ed25519": "EdDSA", "rsa": "RS256", "p256": "ES256"}
#: how messages name each kind of key
KIND_NAMES = {"ed25519": "Ed25519", "rsa": "RSA", "p256": "P-256"}
#: the one elliptic curve microcred signs and verifies with (ES256)
P256 = "P-256"


def key_kind(key: PrivateKey | PublicKey) -> str:
    """``"ed25519"``, ``"rsa"`` or ``"p256"``: the kind of a key, private or public."""
    if isinstance(key, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey):
        return "ed25519"
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        return "rsa"
    return "p256"


@dataclass
class SigningKey:
    """A private key with the JOSE algorithm it signs with (``EdDSA``, ``RS256`` or ``ES256``)."""

    private_key: PrivateKey
    algorithm: str
    kid: str | None = None

    def __repr__(self) -> str:  # never show key material
        return f"SigningKey(algorithm={self.algorithm!r}, kid={self.kid!r})"

    @property
    def public_key(self) -> PublicKey:
        return self.private_key.public_key()

    @property
    def kind(self) -> str:
        return key_kind(self.private_key)

    def public_jwk(self) -> dict[str, Any]:
        """The public key as a JWK (with ``kid`` and ``alg``); no private member."""
        jwk = public_key_to_jwk(self.public_key)
        jwk["alg"] = self.algorithm
        jwk["use"] = "sig"
        if self.kid:
            jwk["kid"] = self.kid
        return jwk

    def private_jwk(self) -> dict[str, Any]:
        """The private key as a JWK. Only for writing a key file; never print it."""
        jwk = self.public_jwk()
        if isinstance(self.private_key, ed25519.Ed25519PrivateKey):
            raw = self.private_key.private_bytes(
                serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
            )
            jwk["d"] = b64url_encode(raw)
        elif isinstance(self.private_key, ec.EllipticCurvePrivateKey):
            jwk["d"] = b64url_encode(self.private_key.private_numbers().private_value.to_bytes(32, "big"))
        else:
            nums = self.private_key.private_numbers()
            for name, value in (
                ("d", nums.d),
                ("p", nums.p),
                ("q", nums.q),
                ("dp", nums.dmp1),
                ("dq", nums.dmq1),
                ("qi", nums.iqmp),
            ):
                jwk[name] = _b64_int(value)
        return jwk

    @property
    def multikey(self) -> str:
        """``publicKeyMultibase`` (Ed25519 only): ``z6Mk…``."""
        return PublicSigningKey(self.public_key).multikey

    def did_key(self) -> str:
        """The ``did:key`` verification method of an Ed25519 key: ``did:key:z6Mk…#z6Mk…``."""
        return PublicSigningKey(self.public_key).did_key()


@dataclass
class PublicSigningKey:
    """The public half of a signing key (from a public JWK or PEM): enough to publish it."""

    public_key: PublicKey

    @classmethod
    def from_jwk(cls, jwk: dict[str, Any]) -> PublicSigningKey:
        return cls(public_key_from_jwk(jwk))

    @property
    def kind(self) -> str:
        return key_kind(self.public_key)

    @property
    def algorithm(self) -> str:
        return ALGORITHMS[self.kind]

    def public_jwk(self) -> dict[str, Any]:
        jwk = public_key_to_jwk(self.public_key)
        jwk["alg"] = self.algorithm
        jwk["use"] = "sig"
        jwk["kid"] = jwk_thumbprint(jwk)
        return jwk

    @property
    def multikey(self) -> str:
        """``publicKeyMultibase`` (Ed25519 only): ``z6Mk…``."""
        if not isinstance(self.public_key, ed25519.Ed25519PublicKey):
            raise BadgeError(f"a Multikey / did:key needs an Ed25519 key; this key is {KIND_NAMES[self.kind]}")
        raw = self.public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return ed25519_multikey(raw)

    def did_key(self) -> str:
        """The ``did:key`` verification method of an Ed25519 key: ``did:key:z6Mk…#z6Mk…``."""
        mk = self.multikey
        return f"did:key:{mk}#{mk}"


def _b64_int(value: int) -> str:
    return b64url_encode(value.to_bytes((value.bit_length() + 7) // 8 or 1, "big"))


def _int_b64(text: Any, what: str) -> int:
    if not isinstance(text, str):
        raise BadgeError(f"JWK member {what!r} is missing or not a string")
    try:
        return int.from_bytes(b64url_decode(text), "big")
    except ValueError:
        raise BadgeError(f"JWK member {what!r} is not base64url") from None


def public_key_to_jwk(key: PublicKey) -> dict[str, Any]:
    if isinstance(key, ed25519.Ed25519PublicKey):
        raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(raw)}
    if isinstance(key, ec.EllipticCurvePublicKey):
        point = key.public_numbers()
        return {"kty": "EC", "crv": P256, "x": _b64_fixed(point.x), "y": _b64_fixed(point.y)}
    nums = key.public_numbers()
    return {"kty": "RSA", "n": _b64_int(nums.n), "e": _b64_int(nums.e)}


def jwk_thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 thumbprint (SHA-256, base64url) of a public JWK."""
    if jwk.get("kty") == "OKP":
        members = {"crv": jwk["crv"], "kty": "OKP", "x": jwk["x"]}
    elif jwk.get("kty") == "EC":
        members = {"crv": jwk["crv"], "kty": "EC", "x": jwk["x"], "y": jwk["y"]}
    else:
        members = {"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    return b64url_encode(hashlib.sha256(canonical).digest())


def public_key_from_jwk(jwk: Any) -> PublicKey:
    """The public key of a JWK (Ed25519 OKP, RSA ≥ 2048 bits or EC P-256); BadgeError otherwise."""
    if not isinstance(jwk, dict):
        raise BadgeError("a JWK must be a JSON object")
    kty = jwk.get("kty")
    if kty == "OKP":
        if jwk.get("crv") != "Ed25519":
            raise BadgeError(f"OKP key on curve {jwk.get('crv')!r}: only Ed25519 is supported")
        try:
            raw = b64url_decode(jwk.get("x", ""))
        except ValueError:
            raise BadgeError("JWK member 'x' is not base64url") from None
        if len(raw) != 32:
            raise BadgeError("an Ed25519 JWK 'x' must hold 32 bytes")
        return ed25519.Ed25519PublicKey.from_public_bytes(raw)
    if kty == "EC":
        return _p256_public(jwk)
    if kty == "RSA":
        n, e = _int_b64(jwk.get("n"), "n"), _int_b64(jwk.get("e"), "e")
        if n.bit_length() < MIN_RSA_BITS:
            raise BadgeError(f"RSA key of {n.bit_length()} bits: at least {MIN_RSA_BITS} are required")
        try:
            return rsa.RSAPublicNumbers(e, n).public_key()
        except ValueError as exc:
            raise BadgeError(f"invalid RSA JWK: {exc}") from None
    raise BadgeError(f"unsupported JWK key type {kty!r}: use OKP (Ed25519), RSA or EC (P-256)")


def _b64_fixed(value: int) -> str:
    """A P-256 coordinate or scalar: 32 bytes, big-endian, base64url."""
    return b64url_encode(value.to_bytes(32, "big"))


def _p256_public(jwk: dict[str, Any]) -> ec.EllipticCurvePublicKey:
    if jwk.get("crv") != P256:
        raise BadgeError(f"EC key on curve {jwk.get('crv')!r}: only P-256 (ES256) is supported")
    coordinates = []
    for member in ("x", "y"):
        try:
            raw = b64url_decode(jwk.get(member, ""))
        except ValueError:
            raise BadgeError(f"JWK member {member!r} is not base64url") from None
        if len(raw) != 32:
            raise BadgeError(f"a P-256 JWK {member!r} must hold 32 bytes")
        coordinates.append(int.from_bytes(raw, "big"))
    try:
        return ec.EllipticCurvePublicNumbers(coordinates[0], coordinates[1], ec.SECP256R1()).public_key()
    except ValueError:
        raise BadgeError("the P-256 JWK's point is not on the curve") from None


def public_key_from_multikey(multikey: str) -> ed25519.Ed25519PublicKey:
    return ed25519.Ed25519PublicKey.from_public_bytes(ed25519_from_multikey(multikey))


def _with_kid(private_key: PrivateKey, kid: str | None = None) -> SigningKey:
    key = SigningKey(private_key, ALGORITHMS[key_kind(private_key)], None)
    key.kid = kid or jwk_thumbprint(public_key_to_jwk(key.public_key))
    return key


def generate_key(kind: str, *, rsa_bits: int = 3072) -> SigningKey:
    """A new key: ``"ed25519"`` (EdDSA), ``"rsa"`` (RS256, 3072 bits by default, ≥ 2048) or
    ``"p256"`` (ES256)."""
    kind = kind.lower()
    if kind == "ed25519":
        return _with_kid(ed25519.Ed25519PrivateKey.generate())
    if kind == "p256":
        return _with_kid(ec.generate_private_key(ec.SECP256R1()))
    if kind == "rsa":
        if rsa_bits < MIN_RSA_BITS:
            raise BadgeError(f"an RSA key needs at least {MIN_RSA_BITS} bits")
        return _with_kid(rsa.generate_private_key(public_exponent=65537, key_size=rsa_bits))
    raise BadgeError(f"unknown key type {kind!r}: use one of {', '.join(KEY_KINDS)}")


def _check_private(obj: object, path: Path) -> PrivateKey:
    if isinstance(obj, ed25519.Ed25519PrivateKey):
        return obj
    if isinstance(obj, rsa.RSAPrivateKey):
        if obj.key_size < MIN_RSA_BITS:
            raise BadgeError(f"{path}: RSA key of {obj.key_size} bits; at least {MIN_RSA_BITS} are required")
        return obj
    if isinstance(obj, ec.EllipticCurvePrivateKey):
        if isinstance(obj.curve, ec.SECP256R1):
            return obj
        raise BadgeError(f"{path}: an EC ({obj.curve.name}) key; microcred signs with Ed25519, RSA or P-256 keys")
    raise BadgeError(
        f"{path}: a {type(obj).__name__.removeprefix('_')} key; microcred signs with Ed25519, RSA or P-256 keys"
    )


def _private_from_jwk(jwk: Any, path: Path) -> SigningKey:
    if not isinstance(jwk, dict):
        raise BadgeError(f"{path}: a JWK file must hold one JSON object")
    if "keys" in jwk:
        raise BadgeError(f"{path}: a JWK set (public keys); signing needs a private key file")
    if "d" not in jwk:
        raise BadgeError(f"{path}: a public key; signing needs the private key (the .pem or private JWK)")
    kty = jwk.get("kty")
    kid = jwk.get("kid") if isinstance(jwk.get("kid"), str) else None
    try:
        if kty == "OKP" and jwk.get("crv") == "Ed25519":
            raw = b64url_decode(jwk["d"])
            if len(raw) != 32:
                raise BadgeError(f"{path}: an Ed25519 private JWK 'd' must hold 32 bytes")
            pk = ed25519.Ed25519PrivateKey.from_private_bytes(raw)
            if "x" in jwk and public_key_to_jwk(pk.public_key())["x"] != jwk["x"]:
                raise BadgeError(f"{path}: the JWK's 'x' does not belong to its private key 'd'")
            return _with_kid(pk, kid)
        if kty == "EC":
            if jwk.get("crv") != P256:
                raise BadgeError(
                    f"{path}: an EC key on curve {jwk.get('crv')!r}; microcred signs with Ed25519, RSA or P-256 keys"
                )
            try:
                public = _p256_public(jwk)
            except BadgeError as exc:
                raise BadgeError(f"{path}: {exc}") from None
            pk256 = ec.derive_private_key(_int_b64(jwk["d"], "d"), ec.SECP256R1())
            if pk256.public_key().public_numbers() != public.public_numbers():
                raise BadgeError(f"{path}: the JWK's 'x' and 'y' do not belong to its private key 'd'")
            return _with_kid(pk256, kid)
        if kty == "RSA":
            n, e, d = (_int_b64(jwk.get(m), m) for m in ("n", "e", "d"))
            if all(m in jwk for m in ("p", "q")):
                p, q = _int_b64(jwk["p"], "p"), _int_b64(jwk["q"], "q")
            else:
                p, q = rsa.rsa_recover_prime_factors(n, e, d)
            nums = rsa.RSAPrivateNumbers(
                p,
                q,
                d,
                rsa.rsa_crt_dmp1(d, p),
                rsa.rsa_crt_dmq1(d, q),
                rsa.rsa_crt_iqmp(p, q),
                rsa.RSAPublicNumbers(e, n),
            )
            return _with_kid(_check_private(nums.private_key(), path), kid)
    except BadgeError:
        raise
    except (ValueError, TypeError, KeyError, UnsupportedAlgorithm):
        raise BadgeError(f"{path}: not a valid {kty} private JWK") from None
    if kty == "OKP":
        raise BadgeError(
            f"{path}: an OKP key on curve {jwk.get('crv')!r}; microcred signs with Ed25519, RSA or P-256 keys"
        )
    raise BadgeError(f"{path}: a {kty!r} JWK; microcred signs with Ed25519 (OKP), RSA or P-256 (EC) keys")


def load_private_key(path: Path) -> SigningKey:
    """A signing key from a PEM (PKCS#8 / traditional, unencrypted) or private JWK file.

    Raises :class:`BadgeError` naming the file and the reason: missing, a public key, a
    certificate, encrypted, a key of another kind (EC on a curve other than P-256, …), RSA below 2048 bits, not a key.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise BadgeError(f"{path}: no such key file") from None
    except IsADirectoryError:
        raise BadgeError(f"{path}: is a directory, not a key file") from None
    except OSError as exc:
        raise BadgeError(f"{path}: cannot read the key file ({exc.strerror})") from None
    if len(data) > 1_000_000:
        raise BadgeError(f"{path}: too large to be a key file")
    stripped = data.lstrip()
    if stripped.startswith(b"{"):
        try:
            jwk = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            raise BadgeError(f"{path}: looks like JSON but is not valid JSON") from None
        return _private_from_jwk(jwk, path)
    if b"-----BEGIN" in stripped[:200] or stripped.startswith(b"-----"):
        if b"PUBLIC KEY-----" in data:
            raise BadgeError(f"{path}: a public key; signing needs the private key")
        if b"CERTIFICATE-----" in data:
            raise BadgeError(f"{path}: a certificate; signing needs the private key")
        if b"OPENSSH PRIVATE KEY" in data:
            loader: Any = serialization.load_ssh_private_key
        else:
            loader = serialization.load_pem_private_key
        try:
            obj = loader(data, password=None)
        except TypeError:
            raise BadgeError(f"{path}: the private key is encrypted; give microcred an unencrypted key file") from None
        except (ValueError, UnsupportedAlgorithm):
            raise BadgeError(f"{path}: not a readable private key (PEM)") from None
        return _with_kid(_check_private(obj, path))
    try:
        obj = serialization.load_der_private_key(data, password=None)
    except TypeError:
        raise BadgeError(f"{path}: the private key is encrypted; give microcred an unencrypted key file") from None
    except (ValueError, UnsupportedAlgorithm):
        raise BadgeError(f"{path}: not a key file (expected a PEM or JWK private key)") from None
    return _with_kid(_check_private(obj, path))


def save_key(key: SigningKey, directory: Path, name: str) -> list[Path]:
    """Write ``name.pem`` (private, mode 0600), ``name.pub.pem`` and ``name.jwk.json`` (public JWK).

    Refuses (BadgeError) to overwrite an existing file or to use a name with a path in it.
    Returns the paths written, private key first.
    """
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise BadgeError(f"{name!r} is not a usable key name (no slashes, no leading dot)")
    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadgeError(f"{directory}: cannot create the directory ({exc.strerror})") from None
    targets = [directory / f"{name}.pem", directory / f"{name}.pub.pem", directory / f"{name}.jwk.json"]
    existing = [str(p) for p in targets if p.exists()]
    if existing:
        raise BadgeError(f"{', '.join(existing)} already exist(s); refusing to overwrite a key — choose another name")
    private_pem = key.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = key.public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    jwk = json.dumps(key.public_jwk(), indent=2).encode() + b"\n"
    try:
        write_atomically(targets[0], private_pem, mode=0o600, overwrite=False)
        write_atomically(targets[1], public_pem, mode=0o644, overwrite=False)
        write_atomically(targets[2], jwk, mode=0o644, overwrite=False)
    except FileExistsError as exc:
        raise BadgeError(f"{exc.filename2 or directory}: already exists; refusing to overwrite a key") from None
    except OSError as exc:
        raise BadgeError(f"{directory}: cannot write the key files ({exc.strerror})") from None
    return targets


def load_public_keys(path: Path) -> list[dict[str, Any]]:
    """Public keys to verify with, as JWKs: a JWK set ``{"keys": [...]}``, one JWK, a list of
    JWKs, a controller (DID) document (each verification method, ``kid`` its id), or a public
    PEM. Private members are dropped."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadgeError(f"{path}: cannot read the key file ({exc.strerror or exc})") from None
    if data.lstrip().startswith((b"{", b"[")):
        try:
            doc = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            raise BadgeError(f"{path}: not valid JSON") from None
        if isinstance(doc, dict) and isinstance(doc.get("verificationMethod"), list):
            return _controller_keys(doc, path)
        items = doc.get("keys") if isinstance(doc, dict) and "keys" in doc else doc
        if isinstance(items, dict):
            items = [items]
        if not isinstance(items, list) or not all(isinstance(k, dict) for k in items):
            raise BadgeError(f'{path}: expected a JWK, a list of JWKs or a JWK set {{"keys": [...]}}')
        return [_public_only(k) for k in items]
    try:
        pub = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm):
        try:
            priv = load_private_key(path)
        except BadgeError:
            raise BadgeError(f"{path}: not a public key (expected a JWK set, a JWK or a public PEM)") from None
        return [priv.public_jwk()]
    if not isinstance(pub, ed25519.Ed25519PublicKey | rsa.RSAPublicKey):
        raise BadgeError(f"{path}: a {type(pub).__name__.removeprefix('_')}; only Ed25519 and RSA keys are supported")
    jwk = public_key_to_jwk(pub)
    jwk["kid"] = jwk_thumbprint(jwk)
    return [jwk]


def _controller_keys(doc: dict[str, Any], path: Path) -> list[dict[str, Any]]:
    """The keys of a controller (DID) document, as JWKs whose ``kid`` is the method's id."""
    base = doc.get("id") if isinstance(doc.get("id"), str) else ""
    out = []
    for method in doc["verificationMethod"]:
        if not isinstance(method, dict) or not isinstance(method.get("id"), str):
            continue
        ident = str(method["id"])
        kid = str(base) + ident if ident.startswith("#") else ident
        if isinstance(method.get("publicKeyJwk"), dict):
            jwk = _public_only(method["publicKeyJwk"])
        elif isinstance(method.get("publicKeyMultibase"), str):
            try:
                raw = ed25519_from_multikey(str(method["publicKeyMultibase"]))
            except BadgeError:
                continue
            jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(raw)}
        else:
            continue
        out.append({**jwk, "kid": kid})
    if not out:
        raise BadgeError(f"{path}: the controller document lists no Ed25519 or RSA key")
    return out


_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})


def _public_only(jwk: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in jwk.items() if k not in _PRIVATE_MEMBERS}


__all__ = [
    "KEY_KINDS",
    "MIN_RSA_BITS",
    "PublicSigningKey",
    "SigningKey",
    "ed25519_from_multikey",
    "generate_key",
    "jwk_thumbprint",
    "load_private_key",
    "load_public_keys",
    "public_key_from_did_key",
    "public_key_from_jwk",
    "public_key_from_multikey",
    "public_key_to_jwk",
    "save_key",
]


def public_key_from_did_key(did: str) -> ed25519.Ed25519PublicKey:
    """Resolve ``did:key:z6Mk…`` (optionally with ``#fragment``) to its Ed25519 public key."""
    if not did.startswith("did:key:"):
        raise BadgeError(f"{did!r} is not a did:key")
    ident, _, fragment = did[len("did:key:") :].partition("#")
    if fragment and fragment != ident:
        raise BadgeError(f"{did!r}: the fragment must repeat the key ({ident})")
    return public_key_from_multikey(ident)
