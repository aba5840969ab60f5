"""Keys, VC-JWT and Data Integrity proofs: round trips, refusals, and tamper detection."""

from __future__ import annotations

import copy
import json
import stat
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microcred.badges import _codec
from microcred.badges.dataintegrity import canonicalize, sign_eddsa_rdfc_2022, verify_eddsa_rdfc_2022
from microcred.badges.errors import BadgeError
from microcred.badges.identity import controller_document
from microcred.badges.jwt import sign_vc_jwt, verify_vc_jwt
from microcred.badges.keys import (
    SigningKey,
    generate_key,
    load_private_key,
    load_public_keys,
    public_key_from_did_key,
    save_key,
)
from microcred.badges.resolve import Resolver

CREDENTIAL: dict[str, Any] = {
    "@context": [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ],
    "id": "urn:uuid:8f1c7f2a-0b5e-4c57-9a53-0f1f7d6c1a01",
    "type": ["VerifiableCredential", "OpenBadgeCredential"],
    "issuer": {"id": "https://example.edu", "type": ["Profile"], "name": "Example University"},
    "name": "Python Programming",
    "validFrom": "2024-12-15T00:00:00Z",
    "validUntil": "2030-12-15T00:00:00Z",
    "credentialSubject": {
        "id": "did:example:learner",
        "type": ["AchievementSubject"],
        "achievement": {
            "id": "urn:uuid:6f5d2f8e-7c1b-5a7e-8f0a-000000000001",
            "type": ["Achievement"],
            "name": "Python Programming",
            "description": "Programs in Python.",
            "criteria": {"narrative": "Pass CSCI 1410 and CSCI 1411."},
            "achievementType": "Badge",
            "creditsAvailable": 4,
        },
    },
}


@pytest.fixture(scope="module")
def ed_key() -> SigningKey:
    return generate_key("ed25519")


@pytest.fixture(scope="module")
def rsa_key() -> SigningKey:
    return generate_key("rsa", rsa_bits=2048)


@pytest.fixture(scope="module")
def issuer(ed_key: SigningKey, rsa_key: SigningKey) -> Resolver:
    """The controller document of https://example.edu, listing both keys."""
    return Resolver({"https://example.edu": controller_document("https://example.edu", [ed_key, rsa_key])})


# -- encodings ----------------------------------------------------------------------------


def test_base58_known_values() -> None:
    assert _codec.b58encode(b"hello world") == "StV1DL6CwTryKyV"
    assert _codec.b58encode(b"\0\0\x01") == "112"
    assert _codec.b58decode("112") == b"\0\0\x01"
    assert _codec.b58encode(b"") == ""
    with pytest.raises(ValueError):
        _codec.b58decode("0OIl")


@given(st.binary(max_size=80))
@settings(max_examples=60)
def test_base58_round_trip(data: bytes) -> None:
    assert _codec.b58decode(_codec.b58encode(data)) == data


def test_base64url_is_strict() -> None:
    assert _codec.b64url_decode("AQ") == b"\x01"
    for bad in ("AR", "A", "AQ==", "A+Q", "A/Q"):
        with pytest.raises(ValueError):
            _codec.b64url_decode(bad)


# -- keys ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["ed25519", "rsa"])
def test_generate_save_load(kind: str, tmp_path: Path) -> None:
    key = generate_key(kind, rsa_bits=2048)
    assert key.algorithm == ("EdDSA" if kind == "ed25519" else "RS256")
    paths = save_key(key, tmp_path / "keys", "issuer")
    assert [p.name for p in paths] == ["issuer.pem", "issuer.pub.pem", "issuer.jwk.json"]
    assert stat.S_IMODE(paths[0].stat().st_mode) == 0o600
    jwk = json.loads(paths[2].read_text())
    assert "d" not in jwk and jwk["kid"] == key.kid and jwk["alg"] == key.algorithm
    assert "PRIVATE" not in paths[1].read_text()
    loaded = load_private_key(paths[0])
    assert loaded.public_jwk() == key.public_jwk()
    assert load_public_keys(paths[2])[0]["kid"] == key.kid
    assert load_public_keys(paths[1])[0]["kid"] == key.kid  # the thumbprint: same kid from the PEM
    with pytest.raises(BadgeError, match="refusing to overwrite"):
        save_key(key, tmp_path / "keys", "issuer")


def test_private_jwk_files_load(tmp_path: Path, ed_key: SigningKey, rsa_key: SigningKey) -> None:
    for key in (ed_key, rsa_key):
        path = tmp_path / f"{key.kind}.json"
        path.write_text(json.dumps(key.private_jwk()))
        assert load_private_key(path).public_jwk() == key.public_jwk()
    # RSA without the CRT members: the primes are recovered
    minimal = {k: v for k, v in rsa_key.private_jwk().items() if k in ("kty", "n", "e", "d")}
    path = tmp_path / "minimal.json"
    path.write_text(json.dumps(minimal))
    assert load_private_key(path).public_jwk()["n"] == rsa_key.public_jwk()["n"]


def test_repr_never_shows_key_material(ed_key: SigningKey) -> None:
    text = repr(ed_key)
    assert "EdDSA" in text and str(ed_key.private_jwk()["d"]) not in text


def _pem(key: Any, password: bytes | None = None) -> bytes:
    enc: Any = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    data: bytes = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc)
    return data


WRONG_KEYS = {
    "public.pem": (
        lambda: (
            ed25519.Ed25519PrivateKey.generate()
            .public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        ),
        "a public key",
    ),
    "ec.pem": (lambda: _pem(ec.generate_private_key(ec.SECP384R1())), "an EC (secp384r1) key"),
    "small-rsa.pem": (lambda: _pem(rsa.generate_private_key(65537, 1024)), "RSA key of 1024 bits"),
    "encrypted.pem": (lambda: _pem(ed25519.Ed25519PrivateKey.generate(), b"secret"), "encrypted"),
    "garbage.pem": (lambda: b"-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n", "not a readable"),
    "random.bin": (lambda: b"\x00\x01\x02 not a key", "not a key file"),
    "public.jwk.json": (lambda: json.dumps(generate_key("ed25519").public_jwk()).encode(), "a public key"),
    "set.json": (lambda: json.dumps({"keys": [generate_key("ed25519").public_jwk()]}).encode(), "a JWK set"),
    "ec.jwk.json": (lambda: b'{"kty": "EC", "crv": "P-384", "x": "AA", "y": "AA", "d": "AA"}', "curve 'P-384'"),
    "p256-short.jwk.json": (lambda: b'{"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA", "d": "AA"}', "32 bytes"),
    "x25519.jwk.json": (lambda: b'{"kty": "OKP", "crv": "X25519", "x": "AA", "d": "AA"}', "curve 'X25519'"),
    "broken.json": (lambda: b"{not json", "not valid JSON"),
}


@pytest.mark.parametrize("name", sorted(WRONG_KEYS))
def test_wrong_key_files_are_refused_with_a_reason(name: str, tmp_path: Path) -> None:
    make, reason = WRONG_KEYS[name]
    path = tmp_path / name
    content = make()
    path.write_bytes(content)
    with pytest.raises(BadgeError) as info:
        load_private_key(path)
    message = str(info.value)
    assert reason in message and str(path) in message
    assert "PRIVATE KEY" not in message and len(message) < 300


def test_missing_key_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(BadgeError, match="no such key file"):
        load_private_key(tmp_path / "absent.pem")
    with pytest.raises(BadgeError, match="is a directory"):
        load_private_key(tmp_path)


def test_generate_refuses_unknown_kinds() -> None:
    with pytest.raises(BadgeError, match="unknown key type"):
        generate_key("dsa")
    with pytest.raises(BadgeError, match="at least 2048"):
        generate_key("rsa", rsa_bits=1024)


def test_did_key_round_trip(ed_key: SigningKey, rsa_key: SigningKey) -> None:
    did = ed_key.did_key()
    assert did.startswith("did:key:z6Mk")
    raw = ed_key.public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    back = public_key_from_did_key(did).public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert back == raw
    with pytest.raises(BadgeError, match="needs an Ed25519 key"):
        rsa_key.did_key()


# -- VC-JWT -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["ed", "rsa"])
def test_jwt_round_trip_and_claims(kind: str, ed_key: SigningKey, rsa_key: SigningKey, issuer: Resolver) -> None:
    key = ed_key if kind == "ed" else rsa_key
    token = sign_vc_jwt(CREDENTIAL, key)
    header = json.loads(_codec.b64url_decode(token.split(".")[0]))
    payload = json.loads(_codec.b64url_decode(token.split(".")[1]))
    # an https issuer: no kid (a bare thumbprint would dereference to nothing), the key as jwk
    assert header["alg"] == key.algorithm and "kid" not in header and "d" not in header["jwk"]
    assert "kid" not in header["jwk"]
    assert payload["iss"] == "https://example.edu"
    assert payload["sub"] == "did:example:learner"
    assert "jti" not in payload  # undefined under the VC 2.0 context
    import datetime as dt

    assert payload["nbf"] == int(dt.datetime(2024, 12, 15, tzinfo=dt.UTC).timestamp())
    assert payload["exp"] == int(dt.datetime(2030, 12, 15, tzinfo=dt.UTC).timestamp())
    r = verify_vc_jwt(token, resolver=issuer)
    assert r.valid, r.errors
    assert r.issuer_key is not None and r.issuer_key.startswith("https://example.edu#")
    assert r.credential is not None and r.credential["name"] == "Python Programming" and "iss" not in r.credential
    pinned = verify_vc_jwt(token, [key.public_jwk()])
    assert pinned.valid and pinned.warnings == []


def test_jwt_with_another_key_fails(ed_key: SigningKey) -> None:
    other = generate_key("ed25519")
    web = {**CREDENTIAL, "issuer": {**CREDENTIAL["issuer"], "id": "did:web:example.edu"}}
    token = sign_vc_jwt(web, ed_key)
    kid = json.loads(_codec.b64url_decode(token.split(".")[0]))["kid"]
    assert kid.startswith("did:web:example.edu#")
    r = verify_vc_jwt(token, [{**other.public_jwk(), "kid": kid}])
    assert not r.valid and any("signature does not verify" in e for e in r.errors)
    r2 = verify_vc_jwt(token, [other.public_jwk()])
    assert not r2.valid and any("no key with kid" in e for e in r2.errors)
    r3 = verify_vc_jwt(sign_vc_jwt(CREDENTIAL, ed_key), [other.public_jwk()])
    assert not r3.valid and any("not in the given key set" in e for e in r3.errors)


def _forge(header: dict[str, Any], payload: dict[str, Any], signature: bytes = b"") -> str:
    enc = _codec.b64url_encode
    return ".".join([enc(json.dumps(header).encode()), enc(json.dumps(payload).encode()), enc(signature)])


def test_jwt_alg_none_and_others_are_refused(ed_key: SigningKey, rsa_key: SigningKey) -> None:
    payload = {**CREDENTIAL, "iss": "https://example.edu"}
    for alg in ("none", "None", None):
        r = verify_vc_jwt(_forge({"alg": alg}, payload))
        assert not r.valid and any("unsigned" in e for e in r.errors)
    r = verify_vc_jwt(_forge({"alg": "HS256", "jwk": rsa_key.public_jwk()}, payload, b"x" * 32))
    assert not r.valid and any("'HS256' is not accepted" in e for e in r.errors)
    # an RSA-signed token claiming EdDSA, or an Ed25519 key for RS256, never verifies
    token = sign_vc_jwt(CREDENTIAL, rsa_key)
    _, body, sig = token.split(".")
    head = _codec.b64url_encode(json.dumps({"alg": "EdDSA", "jwk": rsa_key.public_jwk()}).encode())
    assert not verify_vc_jwt(f"{head}.{body}.{sig}").valid
    unpinned = _forge({"alg": "RS256"}, json.loads(_codec.b64url_decode(body)), _codec.b64url_decode(sig))
    r2 = verify_vc_jwt(unpinned, [{**ed_key.public_jwk(), "kid": rsa_key.kid}])
    assert not r2.valid and any("no RSA key" in e for e in r2.errors)


def test_jwt_crit_and_malformed_tokens() -> None:
    assert any("header extensions" in e for e in verify_vc_jwt(_forge({"alg": "EdDSA", "crit": ["b64"]}, {})).errors)
    for bad, reason in [
        ("", "found 1 part"),
        ("a.b", "found 2 part"),
        ("a.b.c.d", "found 4 part"),
        ("!!.e30.", "not base64url"),
        (_codec.b64url_encode(b"[1]") + ".e30.", "header is not a JSON object"),
        ("e30." + _codec.b64url_encode(b"nope") + ".", "not JSON"),
    ]:
        r = verify_vc_jwt(bad)
        assert not r.valid and any(reason in e for e in r.errors), (bad, r.errors)


def test_jwt_time_claims(ed_key: SigningKey, issuer: Resolver) -> None:
    import datetime as dt

    token = sign_vc_jwt(CREDENTIAL, ed_key)
    late = verify_vc_jwt(token, now=dt.datetime(2031, 1, 1, tzinfo=dt.UTC), resolver=issuer)
    assert not late.valid and any(e.startswith("expired") for e in late.errors)
    early = verify_vc_jwt(token, now=dt.datetime(2020, 1, 1, tzinfo=dt.UTC), resolver=issuer)
    assert not early.valid and any(e.startswith("not yet valid") for e in early.errors)
    assert verify_vc_jwt(token, now=dt.datetime(2020, 1, 1, tzinfo=dt.UTC), check_time=False, resolver=issuer).valid


def test_jwt_claims_must_match_the_credential(ed_key: SigningKey) -> None:
    token = sign_vc_jwt(CREDENTIAL, ed_key)
    header, payload, _ = (json.loads(_codec.b64url_decode(p)) if i < 2 else p for i, p in enumerate(token.split(".")))
    payload["iss"] = "https://evil.example"
    head = _codec.b64url_encode(json.dumps(header).encode())
    body = _codec.b64url_encode(json.dumps(payload).encode())
    signing_input = f"{head}.{body}".encode()
    assert isinstance(ed_key.private_key, ed25519.Ed25519PrivateKey)
    forged = f"{head}.{body}.{_codec.b64url_encode(ed_key.private_key.sign(signing_input))}"
    r = verify_vc_jwt(forged)
    assert not r.valid and any("'iss' claim" in e for e in r.errors)


def test_jwt_without_sub_is_only_a_warning(ed_key: SigningKey, issuer: Resolver) -> None:
    token = sign_vc_jwt(CREDENTIAL, ed_key)
    header, payload = (json.loads(_codec.b64url_decode(p)) for p in token.split(".")[:2])
    del payload["sub"]
    head = _codec.b64url_encode(json.dumps(header).encode())
    body = _codec.b64url_encode(json.dumps(payload).encode())
    assert isinstance(ed_key.private_key, ed25519.Ed25519PrivateKey)
    sig = _codec.b64url_encode(ed_key.private_key.sign(f"{head}.{body}".encode()))
    r = verify_vc_jwt(f"{head}.{body}.{sig}", resolver=issuer)
    assert r.valid and any("'sub'" in w for w in r.warnings)


def _flip(data: bytes, index: int, mask: int) -> bytes:
    i = index % len(data)
    return data[:i] + bytes([data[i] ^ mask]) + data[i + 1 :]


@given(index=st.integers(min_value=0), mask=st.integers(min_value=1, max_value=255))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_flipping_any_byte_of_a_jwt_fails(index: int, mask: int, ed_key: SigningKey) -> None:
    token = sign_vc_jwt(CREDENTIAL, ed_key).encode("ascii")
    tampered = _flip(token, index, mask)
    try:
        text = tampered.decode("utf-8")
    except UnicodeDecodeError:
        return  # not even text: no verifier can read it
    assert not verify_vc_jwt(text, [ed_key.public_jwk()]).valid


# -- Data Integrity -----------------------------------------------------------------------


def test_di_round_trip(ed_key: SigningKey, issuer: Resolver) -> None:
    vm = f"https://example.edu#{ed_key.multikey}"
    signed = sign_eddsa_rdfc_2022(CREDENTIAL, ed_key, vm, created="2024-12-15T00:00:00Z")
    assert "proof" not in CREDENTIAL  # the input is not changed
    assert isinstance(signed["proof"], list) and signed["proof"][0]["proofValue"].startswith("z")
    r = verify_eddsa_rdfc_2022(signed, resolver=issuer)
    assert r.valid, r.errors
    assert r.issuer_key == vm and r.warnings == []
    # without the issuer's controller document the key cannot be shown to be the issuer's
    alone = verify_eddsa_rdfc_2022(signed)
    assert not alone.valid and any("controller document (https://example.edu)" in e for e in alone.errors)
    pinned = verify_eddsa_rdfc_2022(signed, [{**ed_key.public_jwk(), "kid": vm}])
    assert pinned.valid and pinned.warnings == []
    did_issuer = {**CREDENTIAL, "issuer": {**CREDENTIAL["issuer"], "id": ed_key.did_key().split("#")[0]}}
    did = sign_eddsa_rdfc_2022(did_issuer, ed_key, ed_key.did_key())
    assert verify_eddsa_rdfc_2022(did).valid


def test_di_refusals(ed_key: SigningKey, rsa_key: SigningKey) -> None:
    with pytest.raises(BadgeError, match="needs an Ed25519 key"):
        sign_eddsa_rdfc_2022(CREDENTIAL, rsa_key, "https://example.edu#k")
    signed = sign_eddsa_rdfc_2022(CREDENTIAL, ed_key, ed_key.did_key())
    with pytest.raises(BadgeError, match="already has a proof"):
        sign_eddsa_rdfc_2022(signed, ed_key, ed_key.did_key())
    unknown = {**CREDENTIAL, "@context": [*CREDENTIAL["@context"], "https://example.org/ctx.json"]}
    with pytest.raises(BadgeError, match=r"https://example.org/ctx.json is not one microcred ships"):
        canonicalize(unknown)
    wrong_purpose = copy.deepcopy(signed)
    wrong_purpose["proof"][0]["proofPurpose"] = "authentication"
    assert any("proofPurpose" in e for e in verify_eddsa_rdfc_2022(wrong_purpose).errors)
    unsigned = verify_eddsa_rdfc_2022(dict(CREDENTIAL))
    assert not unsigned.valid and any("no proof" in e for e in unsigned.errors)


@given(index=st.integers(min_value=0), mask=st.integers(min_value=1, max_value=255))
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_flipping_any_byte_of_a_signed_credential_fails(index: int, mask: int, ed_key: SigningKey) -> None:
    from microcred.badges.verify import verify_credential

    signed = sign_eddsa_rdfc_2022(CREDENTIAL, ed_key, ed_key.did_key(), created="2024-12-15T00:00:00Z")
    text = json.dumps(signed, separators=(",", ":")).encode("utf-8")
    tampered = _flip(text, index, mask)
    try:
        decoded = tampered.decode("utf-8")
    except UnicodeDecodeError:
        return
    r = verify_credential(decoded, keys=[{**ed_key.public_jwk(), "kid": ed_key.did_key()}], now=None)
    assert not r.valid, (tampered, r.warnings)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
PATHS = [
    ("@context",),
    ("id",),
    ("type",),
    ("issuer",),
    ("issuer", "type"),
    ("validFrom",),
    ("validUntil",),
    ("name",),
    ("credentialSubject",),
    ("credentialSubject", "type"),
    ("credentialSubject", "identifier"),
    ("credentialSubject", "achievement"),
    ("credentialSubject", "achievement", "criteria"),
    ("credentialStatus",),
    ("evidence",),
    ("proof",),
]


@given(
    path=st.sampled_from(PATHS), value=JSON_VALUES, as_jwt=st.booleans(), claim=st.sampled_from(["nbf", "exp", "iss"])
)
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_verifying_odd_credentials_never_raises(
    path: tuple[str, ...], value: Any, as_jwt: bool, claim: str, ed_key: SigningKey
) -> None:
    from microcred.badges.verify import verify_credential

    cred = copy.deepcopy(CREDENTIAL)
    target: Any = cred
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    if as_jwt:
        header = {"alg": "EdDSA", "jwk": ed_key.public_jwk()}
        enc = _codec.b64url_encode
        signing_input = f"{enc(json.dumps(header).encode())}.{enc(json.dumps({**cred, claim: value}).encode())}"
        assert isinstance(ed_key.private_key, ed25519.Ed25519PrivateKey)
        token = f"{signing_input}.{enc(ed_key.private_key.sign(signing_input.encode()))}"
        r = verify_credential(token, recipient="a@example.edu")
    else:
        r = verify_credential(cred, recipient="a@example.edu", status_lists={"x": "/nonexistent"})
    assert isinstance(r.valid, bool) and all(isinstance(e, str) for e in r.errors)
