"""Open Badges 2.0 signed assertions as evidence: a JWS (RS256) signed by independent
implementations (PyJWT, jwcrypto), the issuer's key found through ``verification.creator`` or
the issuer profile's ``publicKey``, and the issuer's revocation list, all from local copies.
A tampered signature, a key that is not the issuer's, a revoked assertion never count."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import tiny_png
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from microcred.badges import _codec, bake
from microcred.badges.evidence import EvidenceError, EvidenceOptions, read_evidence
from microcred.cli import main
from microcred.io.loader import read_catalog
from microcred.io.transcript import Transcript
from microcred.model.recognition import ExternalCredential
from microcred.rules.evaluate import evaluate

jwt = pytest.importorskip("jwt", reason="PyJWT is not installed (pip install -e '.[test]')")
jwcrypto_jwk = pytest.importorskip("jwcrypto.jwk", reason="jwcrypto is not installed (pip install -e '.[test]')")
jwcrypto_jws = pytest.importorskip("jwcrypto.jws", reason="jwcrypto is not installed (pip install -e '.[test]')")

AS_OF = dt.date(2026, 5, 20)
EMAIL = "ada@example.edu"
ISSUER = "https://partner.example/issuer.json"
KEY_URL = "https://partner.example/keys/1.json"
BADGE = "https://partner.example/badges/cloud.json"
REVOCATIONS = "https://partner.example/revocations.json"
ASSERTION = "urn:uuid:2f0c6a4e-7b5d-4d8e-9c1a-000000000001"

CATALOGUE = f"""
catalog: {{id: example-university, name: Example University}}
taxonomy: {{types: {{badge: {{}}}}}}
courses: [{{id: CSCI 1410, title: Fundamentals of Computing, credits: 3}}]
credentials:
  - {{id: cloud, type: badge, title: Cloud basics, credits: 1}}
recognition:
  - id: partner-cloud
    match: {{issuer: "{ISSUER}", achievement: "{BADGE}"}}
    grants: {{credential: cloud}}
"""


def pem_private(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def pem_public(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@pytest.fixture(scope="module")
def keys() -> tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey]:
    """The issuer's key, and a stranger's."""
    return rsa.generate_private_key(65537, 2048), rsa.generate_private_key(65537, 2048)


def assertion(**changes: Any) -> dict[str, Any]:
    salt = "s4lt"
    doc = {
        "@context": "https://w3id.org/openbadges/v2",
        "type": "Assertion",
        "id": ASSERTION,
        "recipient": {
            "type": "email",
            "hashed": True,
            "salt": salt,
            "identity": "sha256$" + hashlib.sha256((EMAIL + salt).encode()).hexdigest(),
        },
        "badge": BADGE,
        "issuedOn": "2025-04-01T00:00:00Z",
        "verification": {"type": "SignedBadge", "creator": KEY_URL},
    }
    doc.update(changes)
    return doc


def pyjwt(key: rsa.RSAPrivateKey, doc: dict[str, Any], alg: str = "RS256") -> str:
    return str(jwt.encode(doc, pem_private(key), algorithm=alg))


def jwcrypto(key: rsa.RSAPrivateKey, doc: dict[str, Any]) -> str:
    jwk = jwcrypto_jwk.JWK.from_pem(pem_private(key))
    token = jwcrypto_jws.JWS(json.dumps(doc).encode())
    token.add_signature(jwk, alg="RS256", protected={"alg": "RS256"})
    return str(token.serialize(compact=True))


class World:
    def __init__(self, tmp: Path, issuer_key: rsa.RSAPrivateKey) -> None:
        self.tmp = tmp
        self.cat = tmp / "catalogue.yaml"
        self.cat.write_text(CATALOGUE)
        self.catalog, diags = read_catalog(self.cat)
        assert not diags
        self.issuer: dict[str, Any] = {
            "@context": "https://w3id.org/openbadges/v2",
            "type": "Issuer",
            "id": ISSUER,
            "name": "Partner",
            "url": "https://partner.example",
            "publicKey": KEY_URL,
            "revocationList": REVOCATIONS,
        }
        self.key: dict[str, Any] = {
            "@context": "https://w3id.org/openbadges/v2",
            "type": "CryptographicKey",
            "id": KEY_URL,
            "owner": ISSUER,
            "publicKeyPem": pem_public(issuer_key),
        }
        self.badge = {"@context": "https://w3id.org/openbadges/v2", "type": "BadgeClass", "id": BADGE,
                      "name": "Cloud basics", "issuer": ISSUER}  # fmt: skip
        self.revoked: dict[str, Any] = {"type": "RevocationList", "id": REVOCATIONS, "revokedAssertions": []}
        self.ev = tmp / "evidence"
        self.ev.mkdir()

    def options(self, *, leave_out: tuple[str, ...] = ()) -> EvidenceOptions:
        docs = {}
        for url, doc in ((ISSUER, self.issuer), (KEY_URL, self.key), (BADGE, self.badge), (REVOCATIONS, self.revoked)):
            f = self.tmp / (url.rsplit("/", 1)[-1])
            f.write_text(json.dumps(doc))
            if url not in leave_out:
                docs[url] = str(f)
        return EvidenceOptions(documents=docs)

    def read(self, token: str, **kw: Any) -> ExternalCredential:
        (self.ev / "badge.jwt").write_text(token)
        (held,) = read_evidence(self.ev / "badge.jwt", AS_OF, self.options(**kw))
        return held


@pytest.fixture
def world(tmp_path: Path, keys: tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey]) -> World:
    return World(tmp_path, keys[0])


def transcript() -> Transcript:
    return Transcript.model_validate({"learner": {"id": "S1", "email": EMAIL}, "as_of": AS_OF})


def test_signed_by_pyjwt_and_jwcrypto_counts(world: World, keys: Any) -> None:
    for token in (pyjwt(keys[0], assertion()), jwcrypto(keys[0], assertion())):
        held = world.read(token)
        assert (held.format, held.refusal, held.issuer, held.achievement) == ("ob2", None, ISSUER, BADGE), held.problems
        assert held.warnings == ()
        result = evaluate(world.catalog, transcript(), evidence=[held])
        (o,) = result.recognition or []
        assert (o.status, o.rule, o.counted_toward) == ("recognised", "partner-cloud", ["cloud"])
        assert result.credentials["cloud"].earned_on == dt.date(2025, 4, 1)


def test_the_key_found_through_the_issuer_profile(world: World, keys: Any) -> None:
    doc = assertion(verification={"type": "signed"})  # no creator: the profile's publicKey
    assert world.read(pyjwt(keys[0], doc)).refusal is None
    world.issuer["publicKey"] = [world.key]  # the key embedded in the profile
    held = world.read(pyjwt(keys[0], doc), leave_out=(KEY_URL,))
    assert held.refusal is None, held.problems


def test_a_tampered_assertion_is_refused(world: World, keys: Any) -> None:
    header, _payload, signature = pyjwt(keys[0], assertion()).split(".")
    forged = _codec.b64url_encode(json.dumps(assertion(issuedOn="2020-01-01T00:00:00Z")).encode())
    held = world.read(f"{header}.{forged}.{signature}")
    assert held.refusal == "invalid"
    assert "the signature does not verify" in held.problems[0] and "altered" in held.problems[0]
    result = evaluate(world.catalog, transcript(), evidence=[held])
    assert result.credentials["cloud"].status == "not_started"
    assert (result.recognition or [])[0].reason == "invalid"


def test_signed_with_another_key_is_refused(world: World, keys: Any) -> None:
    held = world.read(jwcrypto(keys[1], assertion()))
    assert held.refusal == "invalid" and "does not verify with the issuer's key" in held.problems[0]


def test_a_key_the_issuer_does_not_control(world: World, keys: Any) -> None:
    # the stranger publishes a key document naming someone else as its owner
    world.key["owner"] = "https://mallory.example/issuer.json"
    held = world.read(pyjwt(keys[0], assertion()))
    assert held.refusal == "untrusted_issuer" and "not controlled by the issuer" in held.problems[0]
    # a key claiming the issuer as owner, on another origin, and not in the issuer's profile
    world.key["owner"] = ISSUER
    elsewhere = "https://mallory.example/key.json"
    world.key["id"] = elsewhere
    opts = world.options()
    opts.documents = {**opts.documents, elsewhere: opts.documents[KEY_URL]}
    (world.ev / "badge.jwt").write_text(
        pyjwt(keys[0], assertion(verification={"type": "SignedBadge", "creator": elsewhere}))
    )
    (held,) = read_evidence(world.ev / "badge.jwt", AS_OF, opts)
    assert held.refusal == "untrusted_issuer" and "does not list it" in held.problems[0]
    # without the issuer's profile nobody can tell
    held = world.read(pyjwt(keys[0], assertion()), leave_out=(ISSUER,))
    assert held.refusal == "untrusted_issuer" and "--resolve" in held.problems[0]
    # a copy of the profile that is not JSON is said to be so
    opts = world.options()
    Path(opts.documents[ISSUER]).write_text("<html>not found</html>")
    (held,) = read_evidence(world.ev / "badge.jwt", AS_OF, opts)
    assert held.refusal == "invalid" and held.problems[0].startswith("the issuer profile cannot be read")


def test_a_revoked_assertion_is_refused(world: World, keys: Any) -> None:
    world.revoked["revokedAssertions"] = ["urn:uuid:other", {"id": ASSERTION, "revocationReason": "issued in error"}]
    held = world.read(pyjwt(keys[0], assertion()))
    assert held.refusal == "revoked"
    assert held.problems == (
        f"revoked: the assertion {ASSERTION} is on the issuer's revocation list {REVOCATIONS} (issued in error)",
    )
    result = evaluate(world.catalog, transcript(), evidence=[held])
    (o,) = result.recognition or []
    assert (o.status, o.reason) == ("refused", "revoked") and "issued in error" in o.message
    # the list's copy given with --status-list, as revocation lists of 3.0 credentials are
    opts = world.options(leave_out=(REVOCATIONS,))
    opts.status_lists = {REVOCATIONS: str(world.tmp / "revocations.json")}
    (world.ev / "badge.jwt").write_text(pyjwt(keys[0], assertion()))
    assert read_evidence(world.ev / "badge.jwt", AS_OF, opts)[0].refusal == "revoked"
    # the list not given: the assertion counts, and says revocation was not checked
    held = world.read(pyjwt(keys[0], assertion()), leave_out=(REVOCATIONS,))
    assert held.refusal is None and "revocation not checked" in held.warnings[0]
    world.revoked = {"type": "RevocationList"}  # no revokedAssertions
    assert world.read(pyjwt(keys[0], assertion())).refusal == "invalid"


def test_what_else_never_counts(world: World, keys: Any) -> None:
    # HMAC and "none" are never accepted, whatever the payload says
    hs = world.read(str(jwt.encode(assertion(), "a-secret-of-thirty-two-bytes-at-least!", algorithm="HS256")))
    assert hs.refusal == "invalid" and "alg 'HS256'" in hs.problems[0]
    none = ".".join(_codec.b64url_encode(json.dumps(x).encode()) for x in ({"alg": "none"}, assertion())) + "."
    assert world.read(none).refusal == "invalid"
    # expired, for someone else, and a signed assertion stripped of its signature
    expired = world.read(pyjwt(keys[0], assertion(expires="2026-01-01T00:00:00Z")))
    assert expired.refusal == "expired"
    other = world.read(
        pyjwt(keys[0], assertion(recipient={"type": "email", "hashed": False, "identity": "eve@example.edu"}))
    )
    assert other.refusal is None
    result = evaluate(world.catalog, transcript(), evidence=[other])
    assert (result.recognition or [])[0].reason == "wrong_recipient"
    (world.ev / "plain.json").write_text(json.dumps(assertion()))
    (plain,) = read_evidence(world.ev / "plain.json", AS_OF, world.options())
    assert plain.refusal == "invalid" and "signature is lost" in plain.problems[0]
    # a hosted assertion given as a JWS does not claim to be signed
    hosted = world.read(pyjwt(keys[0], assertion(verification={"type": "hosted"})))
    assert hosted.refusal == "invalid" and "not SignedBadge" in hosted.problems[0]


def test_baked_in_a_png_and_read_by_the_cli(world: World, keys: Any) -> None:
    (world.ev / "badge.png").write_bytes(bake.bake_png(tiny_png(), pyjwt(keys[0], assertion()), keyword="openbadges"))
    tr = world.tmp / "ada.yaml"
    tr.write_text(f"learner: {{id: S1, email: {EMAIL}}}\nas_of: 2026-05-20\n")
    resolve = [a for url, f in world.options().documents.items() for a in ("--resolve", f"{url}={f}")]
    out, err = io.StringIO(), io.StringIO()
    code = main(["evaluate", "--catalog", str(world.cat), str(tr), "--evidence", str(world.ev / "badge.png"), *resolve,
                 "--format", "json", "--no-cache"], out, err)  # fmt: skip
    assert code == 0, err.getvalue()
    doc = json.loads(out.getvalue())
    assert [(o["format"], o["status"]) for o in doc["recognition"]] == [("ob2", "recognised")]
    assert doc["credentials"]["cloud"]["status"] == "earned"


def test_baked_in_an_svg(world: World, keys: Any) -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>'
    token = pyjwt(keys[0], assertion())
    baked = bake.bake_svg(svg, token, version=2)
    assert b"openbadges:assertion" in baked and token.encode() in baked
    (world.ev / "badge.svg").write_bytes(baked)
    (held,) = read_evidence(world.ev / "badge.svg", AS_OF, world.options())
    assert (held.format, held.refusal, held.achievement) == ("ob2", None, BADGE), held.problems
    # the same image with the signature of another key baked in
    (world.ev / "badge.svg").write_bytes(bake.bake_svg(svg, jwcrypto(keys[1], assertion()), version=2))
    (held,) = read_evidence(world.ev / "badge.svg", AS_OF, world.options())
    assert held.refusal == "invalid"


def test_a_jws_that_carries_no_credential_is_a_located_error(world: World) -> None:
    (world.ev / "junk.jwt").write_text("eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln")
    with pytest.raises(EvidenceError) as info:
        read_evidence(world.ev / "junk.jwt", AS_OF, world.options())
    assert info.value.diagnostic.code == "E507" and info.value.diagnostic.location is not None


def test_keys_and_lists_that_cannot_be_used(world: World, keys: Any) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    token = pyjwt(keys[0], assertion())
    world.key["publicKeyPem"] = "not a key"
    assert "has no RSA publicKeyPem" in world.read(token).problems[0]
    p256 = ec.generate_private_key(ec.SECP256R1()).public_key()
    world.key["publicKeyPem"] = p256.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    assert world.read(token).refusal == "invalid"  # an EC key cannot check an RS256 signature
    world.key["publicKeyPem"] = pem_public(keys[0])
    odd = world.read(pyjwt(keys[0], assertion(verification={"type": "SignedBadge", "creator": {"id": 1}})))
    assert odd.refusal == "invalid" and "verification.creator must be the URL" in odd.problems[0]
    held = world.read(token, leave_out=(KEY_URL,))
    assert held.refusal == "invalid" and "cannot read the signing key" in held.problems[0]
    world.issuer["publicKey"] = []
    nameless = world.read(pyjwt(keys[0], assertion(verification={"type": "SignedBadge"})))
    assert nameless.refusal == "invalid" and "no signing key is named" in nameless.problems[0]
    world.issuer["publicKey"] = KEY_URL
    opts = world.options()
    Path(opts.documents[REVOCATIONS]).write_text("[not json")
    (world.ev / "badge.jwt").write_text(token)
    (held,) = read_evidence(world.ev / "badge.jwt", AS_OF, opts)
    assert held.refusal == "invalid" and "the revocation list cannot be read" in held.problems[0]
