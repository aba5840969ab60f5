"""Learning recognised from elsewhere: recognition rules, external credentials verified and
bound to the learner, what they count as, caps, and why a refused one did not count.

Badges are signed by independent implementations (jwcrypto's EdDSA, PyJWT's RS256 with a
did:web issuer) and by microcred's own Data Integrity signer, baked into a PNG.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ob3_credential, tiny_png

from microcred.badges import _codec, bake
from microcred.badges.dataintegrity import sign_eddsa_rdfc_2022
from microcred.badges.evidence import EvidenceError, EvidenceOptions, read_evidence, reason_of
from microcred.badges.identity import controller_document, did_web_url
from microcred.badges.keys import SigningKey, generate_key, jwk_thumbprint
from microcred.badges.resolve import Registry
from microcred.badges.transfer import rules_from_ctdl
from microcred.checks.validate import validate_catalog
from microcred.cli import main
from microcred.io.loader import read_catalog
from microcred.io.transcript import Learner, Transcript
from microcred.model.diagnostics import MicrocredError
from microcred.model.recognition import ExternalCredential, Identifier, RecognitionRule
from microcred.rules.evaluate import evaluate
from microcred.rules.recognition import bound_to

jwt = pytest.importorskip("jwt", reason="PyJWT is not installed (pip install -e '.[test]')")
jwcrypto_jwk = pytest.importorskip("jwcrypto.jwk", reason="jwcrypto is not installed (pip install -e '.[test]')")
jwcrypto_jws = pytest.importorskip("jwcrypto.jws", reason="jwcrypto is not installed (pip install -e '.[test]')")

AS_OF = dt.date(2026, 5, 20)
LEARNER = "did:example:ada"
EMAIL = "ada@example.edu"
WEB = "did:web:credly.example"
CLOUD = "https://credly.example/achievements/cloud-practitioner"
CTID = "ce-8a1c2f40-1b2e-4c3d-9e8f-0a1b2c3d4e5f"

CATALOGUE = f"""
catalog: {{id: example-university, name: Example University}}
taxonomy:
  types:
    badge: {{stacks_into: [certificate]}}
    certificate: {{}}
courses:
  - {{id: CSCI 1410, title: Fundamentals of Computing, credits: 3}}
  - {{id: CSCI 2312, title: Intermediate Programming, credits: 3}}
  - {{id: CSCI 2421, title: Data Structures, credits: 3}}
  - {{id: CSCI 2XXX, title: Computing elective (transfer), credits: 3, subject: CSCI, level: 2000}}
credentials:
  - {{id: cloud-practitioner, type: badge, title: Cloud Practitioner, credits: 3}}
  - id: cloud-cert
    type: certificate
    title: Cloud Computing Certificate
    requires:
      all:
        - credential: cloud-practitioner
        - course: CSCI 1410
  - id: computing
    type: certificate
    title: Computing Certificate
    credits: 12
    limits: {{recognised_credits: 25%}}
    requires:
      credits: 9
      from: {{subject: CSCI}}
recognition:
  - id: aws-ccp
    label: Cloud practitioner from Credly
    match: {{issuer: "{WEB}", achievement: "{CLOUD}"}}
    grants: {{credential: cloud-practitioner}}
    valid_from: 2023-01-01
  - id: ace-intro
    match: {{ctid: {CTID}}}
    grants: {{course: CSCI 1410}}
    min_result: 70
  - id: data-foundations
    match:
      issuer: __DIDKEY__
      achievement: https://example.edu/achievements/data-foundations
    grants: {{course: CSCI 2XXX, credits: 3}}
    valid_until: 2030-01-01
"""


def b64(obj: dict[str, Any]) -> str:
    return _codec.b64url_encode(json.dumps(obj).encode())


@pytest.fixture(scope="module")
def ed() -> Any:
    """A jwcrypto Ed25519 key and its did:key."""
    key = jwcrypto_jwk.JWK.generate(kty="OKP", crv="Ed25519")
    public = json.loads(key.export_public())
    multikey = _codec.ed25519_multikey(_codec.b64url_decode(public["x"]))
    return key, f"did:key:{multikey}", multikey


@pytest.fixture(scope="module")
def web_key() -> SigningKey:
    return generate_key("rsa", rsa_bits=2048)


@pytest.fixture(scope="module")
def own() -> SigningKey:
    """An Ed25519 key for microcred's own Data Integrity signer (its issuer a did:key)."""
    return generate_key("ed25519")


@pytest.fixture
def world(tmp_path: Path, ed: Any, web_key: SigningKey, own: SigningKey) -> dict[str, Any]:
    """The catalogue, the issuer's did.json and the options to verify with."""
    _key, did, _mk = ed
    cat = tmp_path / "catalogue.yaml"
    own_did = own.did_key().split("#")[0]
    cat.write_text(CATALOGUE.replace("__DIDKEY__", f"[{did}, {own_did}]"), encoding="utf-8")
    catalog, diags = read_catalog(cat)
    report = validate_catalog(catalog, diags)
    assert report.valid, [str(d) for d in report.errors]
    did_json = tmp_path / "did.json"
    did_json.write_text(json.dumps(controller_document(WEB, [web_key])))
    known = Registry("Known issuers", {WEB: {"name": "Credly"}, did: {"name": "ACE"}, own_did: {"name": "Own"}})
    opts = EvidenceOptions(documents={did_web_url(WEB): str(did_json)}, registries=[known])
    ev = tmp_path / "evidence"
    ev.mkdir()
    return {"catalog": catalog, "cat": cat, "opts": opts, "ev": ev, "did_json": did_json, "tmp": tmp_path}


def cloud_credential(**changes: Any) -> dict[str, Any]:
    c = ob3_credential(WEB, "urn:uuid:11111111-2222-3333-4444-555555555555")
    c["issuer"]["name"] = "Credly"
    c["validFrom"] = "2025-03-01T00:00:00Z"
    c["credentialSubject"]["id"] = LEARNER
    c["credentialSubject"]["achievement"]["id"] = CLOUD
    c["credentialSubject"]["achievement"]["name"] = "Cloud Practitioner"
    c.update(changes)
    return c


def pyjwt_token(web_key: SigningKey, cred: dict[str, Any]) -> str:
    """RS256, signed by PyJWT with the key the did:web issuer publishes."""
    from cryptography.hazmat.primitives import serialization

    pem = web_key.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    kid = f"{WEB}#{jwk_thumbprint(web_key.public_jwk())}"
    claims = {**cred, "iss": cred["issuer"]["id"], "sub": cred["credentialSubject"]["id"]}
    return str(jwt.encode(claims, pem, algorithm="RS256", headers={"kid": kid}))


def jwcrypto_token(ed: Any, cred: dict[str, Any]) -> str:
    """EdDSA, signed by jwcrypto, the issuer a did:key (resolves offline)."""
    key, did, multikey = ed
    token = jwcrypto_jws.JWS(json.dumps({**cred, "iss": did, "sub": cred["credentialSubject"].get("id")}).encode())
    token.add_signature(key, alg="EdDSA", protected={"alg": "EdDSA", "kid": f"{did}#{multikey}"})
    return str(token.serialize(compact=True))


def intro_credential(did: str, score: str = "82") -> dict[str, Any]:
    """An ACE-style course badge: the CTID in otherIdentifier, a score, the learner by hashed email."""
    c = ob3_credential(did, "urn:uuid:aaaaaaaa-0000-0000-0000-000000000001")
    subject = c["credentialSubject"]
    del subject["id"]
    salt = "pepper"
    subject["identifier"] = [
        {
            "type": "IdentityObject",
            "identityType": "emailAddress",
            "hashed": True,
            "salt": salt,
            "identityHash": "sha256$" + hashlib.sha256((EMAIL + salt).encode()).hexdigest(),
        }
    ]
    subject["achievement"]["id"] = "https://ace.example/courses/intro-computing"
    subject["achievement"]["name"] = "Introduction to Computing"
    subject["achievement"]["otherIdentifier"] = [
        {"type": "IdentifierEntry", "identifier": CTID, "identifierType": "identifier"}
    ]
    subject["result"] = [{"type": ["Result"], "value": score}]
    c["validFrom"] = "2025-01-15T00:00:00Z"
    return c


def transcript(*attempts: dict[str, Any]) -> Transcript:
    return Transcript.model_validate(
        {
            "learner": {"id": "S1", "email": EMAIL, "identifiers": [LEARNER]},
            "as_of": AS_OF,
            "attempts": list(attempts),
        }
    )


def run(*argv: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], out, err)
    return code, out.getvalue(), err.getvalue()


# -- the rules in the catalogue --------------------------------------------------------------


def test_static_checks_of_recognition_rules(tmp_path: Path) -> None:
    bad = """
courses: [{id: CSCI 1410, title: F, credits: 3}]
credentials:
  - {id: c, type: badge, title: C, limits: {recognised_credits: 25%}, requires: {course: CSCI 1410}}
taxonomy: {types: {badge: {}}}
recognition:
  - {id: a, match: {issuer: x, achievement: y}, grants: {credential: nope}}
  - {id: b, match: {issuer: x, achievement: y}, grants: {course: NOPE 1}}
  - id: c
    match: {issuer: x, achievement: z}
    grants: {course: CSCI 1410, grade: F}
    valid_from: 2025-01-01
    valid_until: 2025-01-01
  - {id: d, match: {ctid: ce-1}, grants: {course: CSCI 1410, grade: ZZ}}
"""
    (tmp_path / "c.yaml").write_text(bad)
    catalog, diags = read_catalog(tmp_path)
    report = validate_catalog(catalog, diags)
    got = sorted((d.code, d.location.line if d.location else 0) for d in report.diagnostics)
    assert ("E310", 7) in got and ("E310", 8) in got  # unknown credential, unknown course
    assert ("E311", 13) in got  # the window never opens
    assert ("E306", 11) in got and ("E306", 14) in got  # failing grade, grade off the scale
    assert ("W610", 8) in got  # a and b accept the same achievement at the same dates
    assert ("E312", 4) in got  # a percentage cap on a credential without credits
    assert not report.valid


def test_a_rule_needs_issuer_and_achievement_or_a_ctid(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(
        "courses: [{id: CSCI 1410, title: F, credits: 3}]\n"
        "recognition:\n  - {id: a, match: {issuer: x}, grants: {course: CSCI 1410}}\n"
    )
    _catalog, diags = read_catalog(tmp_path)
    assert [d.code for d in diags] == ["E203"] and diags[0].location is not None
    assert "ctid" in diags[0].message and diags[0].location.line == 3


# -- evidence in: each verified, bound, matched -----------------------------------------------


def test_badges_from_independent_signers_stack_into_credentials(
    world: dict[str, Any], ed: Any, web_key: SigningKey
) -> None:
    ev: Path = world["ev"]
    (ev / "cloud.jwt").write_text(pyjwt_token(web_key, cloud_credential()))
    (ev / "intro.jwt").write_text(jwcrypto_token(ed, intro_credential(ed[1])))
    held = read_evidence(ev, AS_OF, world["opts"])
    assert [h.refusal for h in held] == [None, None], [h.problems for h in held]
    result = evaluate(world["catalog"], transcript(), evidence=held)
    cert = result.credentials["cloud-cert"]
    # the cloud badge is awarded as cloud-practitioner and the ACE course badge counts as CSCI 1410
    assert cert.status == "earned" and cert.earned_on == dt.date(2025, 3, 1)
    assert result.credentials["cloud-practitioner"].status == "earned"
    out = {o.evidence.source.rsplit("/", 1)[-1]: o for o in result.recognition or []}
    assert out["cloud.jwt"].rule == "aws-ccp" and set(out["cloud.jwt"].counted_toward) == {
        "cloud-practitioner",
        "cloud-cert",
    }
    assert out["intro.jwt"].rule == "ace-intro" and "cloud-cert" in out["intro.jwt"].counted_toward
    applied = [a for a in cert.applied if a.course == "CSCI 1410"]
    assert applied and applied[0].grade == "TR" and applied[0].status == "transfer"


def test_microcreds_own_signed_and_baked_badges(world: dict[str, Any], own: SigningKey) -> None:
    did = own.did_key().split("#")[0]
    cred = ob3_credential(did, "urn:uuid:own-1")
    cred["credentialSubject"]["id"] = LEARNER
    signed = sign_eddsa_rdfc_2022(cred, own, own.did_key(), "2025-03-01T00:00:00Z")
    (world["ev"] / "a.png").write_bytes(bake.bake_png(tiny_png(), json.dumps(signed)))
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>'
    cloud = cloud_credential(id="urn:uuid:own-2")
    cloud["issuer"]["id"] = did
    (world["ev"] / "b.svg").write_bytes(
        bake.bake_svg(svg, json.dumps(sign_eddsa_rdfc_2022(cloud, own, own.did_key(), "2025-03-01T00:00:00Z")))
    )
    held = read_evidence(world["ev"], AS_OF, world["opts"])
    assert [(h.refusal, h.issuer) for h in held] == [(None, did), (None, did)], [h.problems for h in held]
    result = evaluate(world["catalog"], transcript(), evidence=held)
    df, cl = result.recognition or []
    # data foundations from this issuer counts as a CSCI 2XXX elective
    assert (df.status, df.rule, df.counted_toward) == ("recognised", "data-foundations", ["computing"])
    # the cloud badge is real, but from an issuer the aws-ccp rule does not name
    assert (cl.status, cl.reason) == ("refused", "no_rule")
    assert result.credentials["cloud-practitioner"].status == "not_started"


def test_what_must_never_count(world: dict[str, Any], ed: Any, web_key: SigningKey) -> None:
    ev: Path = world["ev"]
    good = pyjwt_token(web_key, cloud_credential())
    head, body, sig = good.split(".")
    payload = json.loads(_codec.b64url_decode(body))
    payload["credentialSubject"]["achievement"]["name"] = "Something grander"
    (ev / "1-tampered.jwt").write_text(f"{head}.{b64(payload)}.{sig}")
    (ev / "2-expired.jwt").write_text(
        pyjwt_token(web_key, cloud_credential(id="urn:uuid:e", validUntil="2026-01-01T00:00:00Z"))
    )
    other = cloud_credential(id="urn:uuid:o")
    other["credentialSubject"]["id"] = "did:example:someone-else"
    (ev / "3-other.jwt").write_text(pyjwt_token(web_key, other))
    stranger = generate_key("rsa", rsa_bits=2048)
    (ev / "4-stranger.jwt").write_text(pyjwt_token(stranger, cloud_credential(id="urn:uuid:s")))
    revocable = cloud_credential(id="urn:uuid:r")
    revocable["credentialStatus"] = {"id": "https://credly.example/revoked.json", "type": "1EdTechRevocationList"}
    (ev / "5-revoked.jwt").write_text(pyjwt_token(web_key, revocable))
    low = intro_credential(ed[1], score="55")
    (ev / "6-low.jwt").write_text(jwcrypto_token(ed, low))
    early = cloud_credential(id="urn:uuid:early", validFrom="2022-06-01T00:00:00Z")
    (ev / "7-early.jwt").write_text(pyjwt_token(web_key, early))
    revoked_list = world["tmp"] / "revoked.json"
    revoked_list.write_text(json.dumps({"revokedCredentials": [{"id": "urn:uuid:r", "revocationReason": "fraud"}]}))
    opts = world["opts"]
    opts.status_lists = {"https://credly.example/revoked.json": str(revoked_list)}
    held = read_evidence(ev, AS_OF, opts)
    result = evaluate(world["catalog"], transcript(), evidence=held)
    reasons = {o.evidence.source.rsplit("/", 1)[-1]: (o.reason, o.rule) for o in result.recognition or []}
    assert reasons == {
        "1-tampered.jwt": ("invalid", None),
        "2-expired.jwt": ("expired", None),
        "3-other.jwt": ("wrong_recipient", None),
        "4-stranger.jwt": ("untrusted_issuer", None),
        "5-revoked.jwt": ("revoked", None),
        "6-low.jwt": ("below_minimum", "ace-intro"),
        "7-early.jwt": ("outside_window", "aws-ccp"),
    }
    assert all(o.status == "refused" and o.message for o in result.recognition or [])
    assert result.credentials["cloud-practitioner"].status == "not_started"
    assert result.credentials["cloud-cert"].progress == 0.0


def test_an_issuer_off_the_trusted_lists_is_refused(world: dict[str, Any], web_key: SigningKey) -> None:
    (world["ev"] / "cloud.jwt").write_text(pyjwt_token(web_key, cloud_credential()))
    opts = world["opts"]
    opts.registries = [Registry("Known issuers", {"did:web:other.example": {"name": "Other"}})]
    (held,) = read_evidence(world["ev"], AS_OF, opts)
    assert held.refusal == "untrusted_issuer"
    opts.registries = [Registry("Known issuers", {WEB: {"name": "Credly"}})]
    (held,) = read_evidence(world["ev"], AS_OF, opts)
    assert held.refusal is None and held.trusted_by == ("Known issuers",)


def test_a_ctid_rule_needs_a_listed_issuer(world: dict[str, Any]) -> None:
    """Anyone can mint a did:key badge naming a CTID: a rule that matches by CTID alone
    accepts it only from an issuer on a trusted-issuer list."""
    mallory = jwcrypto_jwk.JWK.generate(kty="OKP", crv="Ed25519")
    mk = _codec.ed25519_multikey(_codec.b64url_decode(json.loads(mallory.export_public())["x"]))
    fake = (mallory, f"did:key:{mk}", mk)
    (world["ev"] / "fake.jwt").write_text(jwcrypto_token(fake, intro_credential(fake[1])))
    opts = world["opts"]
    opts.registries = []
    held = read_evidence(world["ev"], AS_OF, opts)
    assert held[0].refusal is None  # the signature is fine: it is the trust that is missing
    result = evaluate(world["catalog"], transcript(), evidence=held)
    (o,) = result.recognition or []
    assert (o.status, o.reason, o.rule) == ("refused", "untrusted_issuer", "ace-intro")
    assert "CSCI 1410" not in [a.course for a in result.credentials["computing"].applied]


def test_a_newer_copy_of_the_same_credential_replaces_the_older(world: dict[str, Any], web_key: SigningKey) -> None:
    older = cloud_credential()
    newer = cloud_credential(validFrom="2025-09-01T00:00:00Z")
    (world["ev"] / "a-newer.jwt").write_text(pyjwt_token(web_key, newer))
    (world["ev"] / "b-older.jwt").write_text(pyjwt_token(web_key, older))
    held = read_evidence(world["ev"], AS_OF, world["opts"])
    result = evaluate(world["catalog"], transcript(), evidence=held)
    outcome = {o.evidence.source.rsplit("/", 1)[-1]: o for o in result.recognition or []}
    assert outcome["a-newer.jwt"].status == "recognised"
    assert outcome["b-older.jwt"].reason == "superseded"
    assert result.credentials["cloud-practitioner"].earned_on == dt.date(2025, 9, 1)


def test_a_malformed_file_is_a_located_error(world: dict[str, Any]) -> None:
    (world["ev"] / "broken.json").write_text('{"type": ')
    with pytest.raises(EvidenceError) as info:
        read_evidence(world["ev"], AS_OF, world["opts"])
    (d,) = info.value.diagnostics
    assert d.code == "E507" and d.location is not None and d.location.file.endswith("broken.json")
    assert isinstance(info.value, MicrocredError)


def test_a_clr_bundle_and_a_hosted_ob2_assertion(world: dict[str, Any], ed: Any, own: SigningKey) -> None:
    did = own.did_key().split("#")[0]
    inner = ob3_credential(did, "urn:uuid:clr-inner")
    inner["credentialSubject"]["id"] = LEARNER
    clr = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "urn:uuid:clr-bundle",
        "type": ["VerifiableCredential", "ClrCredential"],
        "issuer": {"id": did, "type": ["Profile"], "name": "Example"},
        "validFrom": "2025-02-01T00:00:00Z",
        "credentialSubject": {
            "id": LEARNER,
            "type": ["ClrSubject"],
            "verifiableCredential": [
                sign_eddsa_rdfc_2022(inner, own, own.did_key(), "2025-02-01T00:00:00Z"),
                jwcrypto_token(ed, intro_credential(ed[1])),
            ],
        },
    }
    # the bundle carries its own proof, checked before anything inside it
    clr = sign_eddsa_rdfc_2022(clr, own, own.did_key(), "2025-02-01T00:00:00Z")
    (world["ev"] / "a-clr.json").write_text(json.dumps(clr))
    badge_class = "https://partner.example/badges/cloud"
    salt = "s4lt"
    assertion = {
        "@context": "https://w3id.org/openbadges/v2",
        "type": "Assertion",
        "id": "https://partner.example/assertions/1",
        "recipient": {
            "type": "email",
            "hashed": True,
            "salt": salt,
            "identity": "sha256$" + hashlib.sha256((EMAIL + salt).encode()).hexdigest(),
        },
        "badge": {
            "id": badge_class,
            "type": "BadgeClass",
            "name": "Cloud basics",
            "issuer": {"id": "https://partner.example/issuer", "type": "Profile", "name": "Partner"},
        },
        "issuedOn": "2025-04-01T00:00:00Z",
        "verification": {"type": "hosted"},
    }
    (world["ev"] / "b-ob2.json").write_text(json.dumps(assertion))
    hosted = world["tmp"] / "hosted.json"
    hosted.write_text(json.dumps(assertion))
    catalog = world["catalog"]
    catalog.recognition.append(
        RecognitionRule.model_validate(
            {
                "id": "partner-cloud",
                "match": {"issuer": "https://partner.example/issuer", "achievement": badge_class},
                "grants": {"credential": "cloud-practitioner"},
            }
        )
    )
    opts = world["opts"]
    opts.registries = []
    opts.documents = {**opts.documents, "https://partner.example/assertions/1": str(hosted)}
    held = read_evidence(world["ev"], AS_OF, opts)
    assert [(h.format, h.refusal) for h in held] == [("clr", None), ("clr", None), ("ob2", None)], [
        h.problems for h in held
    ]
    result = evaluate(catalog, transcript(), evidence=held)
    out = [(o.status, o.rule) for o in result.recognition or []]
    # the CTID rule needs a listed issuer, and none was given here
    assert out == [("recognised", "data-foundations"), ("refused", "ace-intro"), ("recognised", "partner-cloud")]
    assert result.credentials["cloud-practitioner"].earned_on == dt.date(2025, 4, 1)
    # the assertion altered after it was hosted, then revoked where it is hosted
    (world["ev"] / "b-ob2.json").write_text(json.dumps({**assertion, "issuedOn": "2020-01-01T00:00:00Z"}))
    assert read_evidence(world["ev"] / "b-ob2.json", AS_OF, opts)[0].refusal == "invalid"
    (world["ev"] / "b-ob2.json").write_text(json.dumps(assertion))
    hosted.write_text(json.dumps({**assertion, "revoked": True}))
    (ob2,) = read_evidence(world["ev"] / "b-ob2.json", AS_OF, opts)
    assert ob2.refusal == "revoked"
    hosted.write_text(json.dumps(assertion))
    opts.documents = {k: v for k, v in opts.documents.items() if "assertions" not in k}
    (ob2,) = read_evidence(world["ev"] / "b-ob2.json", AS_OF, opts)
    assert ob2.refusal == "invalid" and "--resolve" in ob2.problems[0]  # nothing fetched


# -- caps --------------------------------------------------------------------------------------


def test_recognised_credit_is_capped_exactly(world: dict[str, Any], ed: Any) -> None:
    """computing: 9 credits of CSCI, at most 25 % of its 12 credits (3) from recognition."""
    (world["ev"] / "intro.jwt").write_text(jwcrypto_token(ed, intro_credential(ed[1])))
    df = ob3_credential(ed[1], "urn:uuid:df")
    df["credentialSubject"]["id"] = LEARNER
    (world["ev"] / "df.jwt").write_text(jwcrypto_token(ed, df))
    held = read_evidence(world["ev"], AS_OF, world["opts"])
    t = transcript({"course": "CSCI 2312", "date": "2025-05-01", "grade": "B"})
    result = evaluate(world["catalog"], t, evidence=held)
    comp = result.credentials["computing"]
    # 3 own + at most 3 recognised of the 6 recognised credits: 6 of 9
    assert comp.status == "partial" and comp.progress == pytest.approx(6 / 9)
    out = {o.rule: o for o in result.recognition or []}
    counted = [o for o in out.values() if "computing" in o.counted_toward]
    capped = [o for o in out.values() if "computing" in o.capped_in]
    assert len(counted) == 1 and len(capped) == 1
    # the first in the cap's order counts: the course key CSCI 1410 before CSCI 2XXX
    assert counted[0].rule == "ace-intro"
    # a second course taken here completes it
    t2 = transcript(
        {"course": "CSCI 2312", "date": "2025-05-01", "grade": "B"},
        {"course": "CSCI 2421", "date": "2025-12-01", "grade": "A"},
    )
    r2 = evaluate(world["catalog"], t2, evidence=held)
    assert r2.credentials["computing"].status == "earned"
    assert r2.credentials["computing"].earned_on == dt.date(2025, 12, 1)


def test_residency_leaves_recognised_learning_the_rest(world: dict[str, Any], ed: Any) -> None:
    """residency_credits: 9 of computing's 12 credits earned here: 3 may come from elsewhere,
    whatever the percentage cap would allow."""
    spec = yaml.safe_load(world["cat"].read_text())
    (computing,) = [c for c in spec["credentials"] if c["id"] == "computing"]
    computing["limits"] = {"recognised_credits": "50%", "residency_credits": 9}
    (world["tmp"] / "catalogue.yaml").write_text(yaml.safe_dump(spec))
    catalog, diags = read_catalog(world["tmp"] / "catalogue.yaml")
    assert validate_catalog(catalog, diags).valid
    (world["ev"] / "intro.jwt").write_text(jwcrypto_token(ed, intro_credential(ed[1])))
    df = ob3_credential(ed[1], "urn:uuid:df")
    df["credentialSubject"]["id"] = LEARNER
    (world["ev"] / "df.jwt").write_text(jwcrypto_token(ed, df))
    held = read_evidence(world["ev"], AS_OF, world["opts"])
    t = transcript({"course": "CSCI 2312", "date": "2025-05-01", "grade": "B"})
    comp = evaluate(catalog, t, evidence=held).credentials["computing"]
    assert comp.progress == pytest.approx(6 / 9)  # 50 % would have let both count (9 of 9)
    computing["limits"] = {"recognised_credits": "50%"}
    (world["tmp"] / "catalogue.yaml").write_text(yaml.safe_dump(spec))
    catalog, _d = read_catalog(world["tmp"] / "catalogue.yaml")
    assert evaluate(catalog, t, evidence=held).credentials["computing"].status == "earned"


def test_a_course_also_passed_here_is_not_capped_as_recognised(world: dict[str, Any], ed: Any) -> None:
    (world["ev"] / "intro.jwt").write_text(jwcrypto_token(ed, intro_credential(ed[1])))
    held = read_evidence(world["ev"], AS_OF, world["opts"])
    t = transcript(
        {"course": "CSCI 1410", "date": "2024-05-01", "grade": "A"},
        {"course": "CSCI 2312", "date": "2025-05-01", "grade": "B"},
        {"course": "CSCI 2421", "date": "2025-12-01", "grade": "A"},
    )
    r = evaluate(world["catalog"], t, evidence=held)
    assert r.credentials["computing"].status == "earned"
    (o,) = r.recognition or []
    # the A earned here is the attempt that counts (repeats: best), not the TR
    assert o.status == "recognised" and o.capped_in == []


def test_the_cap_is_judged_at_each_date(world: dict[str, Any], ed: Any) -> None:
    """Until CSCI 1410 is passed here, the recognised TR is the attempt that counts, and it is
    capped: the certificate is earned when the course is passed here, not before."""
    (world["ev"] / "intro.jwt").write_text(jwcrypto_token(ed, intro_credential(ed[1])))
    df = ob3_credential(ed[1], "urn:uuid:df")
    df["credentialSubject"]["id"] = LEARNER
    (world["ev"] / "df.jwt").write_text(jwcrypto_token(ed, df))
    held = read_evidence(world["ev"], AS_OF, world["opts"])
    t = transcript(
        {"course": "CSCI 2312", "date": "2025-05-01", "grade": "B"},
        {"course": "CSCI 1410", "date": "2025-12-01", "grade": "A"},
    )
    r = evaluate(world["catalog"], t, evidence=held)
    assert r.credentials["computing"].status == "earned"
    assert r.credentials["computing"].earned_on == dt.date(2025, 12, 1)


# -- binding -----------------------------------------------------------------------------------


def test_binding_by_subject_id_or_hashed_email() -> None:
    learner = Learner(id="S1", email="Ada@Example.edu", identifiers=["did:example:ada"])
    salted = "sha256$" + hashlib.sha256(b"ada@example.edu" + b"s").hexdigest()
    assert bound_to(ExternalCredential("f", "x", subject_ids=("did:example:ada",)), learner)
    assert bound_to(ExternalCredential("f", "x", identifiers=(Identifier("emailAddress", salted, True, "s"),)), learner)
    assert not bound_to(
        ExternalCredential("f", "x", identifiers=(Identifier("emailAddress", salted, True, "t"),)), learner
    )
    assert bound_to(ExternalCredential("f", "x", identifiers=(Identifier("studentId", "S1", False),)), learner)
    assert not bound_to(ExternalCredential("f", "x"), learner)  # names no recipient


def test_reasons_of_verification_failures() -> None:
    assert reason_of(["expired: validUntil is …", "revoked: …"]) == "revoked"
    assert reason_of(["the signature does not verify", "expired: …"]) == "invalid"
    assert reason_of(["the issuer x is on none of the trusted-issuer lists given (a)"]) == "untrusted_issuer"


# -- reports -----------------------------------------------------------------------------------


def test_json_is_unchanged_without_evidence_and_explains_with_it(world: dict[str, Any], web_key: SigningKey) -> None:
    t = transcript({"course": "CSCI 1410", "date": "2024-05-01", "grade": "A"})
    plain = evaluate(world["catalog"], t).to_json()
    assert "recognition" not in plain
    empty = evaluate(world["catalog"], t, evidence=[]).to_json()
    assert empty.pop("recognition") == [] and empty == plain
    (world["ev"] / "cloud.jwt").write_text(pyjwt_token(web_key, cloud_credential()))
    held = read_evidence(world["ev"], AS_OF, world["opts"])
    doc = evaluate(world["catalog"], t, evidence=held).to_json()
    (o,) = doc["recognition"]
    assert o["status"] == "recognised" and o["rule"] == "aws-ccp" and o["reason"] is None
    assert o["grants"] == {"credential": "cloud-practitioner"} and o["issued"] == "2025-03-01"
    assert doc["credentials"]["cloud-cert"]["status"] == "earned"


def test_cli_evaluate_with_evidence_text_json_html(world: dict[str, Any], web_key: SigningKey) -> None:
    tmp: Path = world["tmp"]
    tr = tmp / "ada.yaml"
    tr.write_text(
        "learner: {id: S1, email: ada@example.edu, identifiers: ['did:example:ada']}\n"
        "as_of: 2026-05-20\nattempts:\n  - {course: CSCI 1410, date: 2024-05-01, grade: A}\n"
    )
    ev: Path = world["ev"]
    (ev / "cloud.jwt").write_text(pyjwt_token(web_key, cloud_credential()))
    stranger = generate_key("rsa", rsa_bits=2048)
    (ev / "forged.jwt").write_text(pyjwt_token(stranger, cloud_credential(id="urn:uuid:f")))
    common = ["--catalog", world["cat"], tr, "--evidence", ev, "--resolve", f"{did_web_url(WEB)}={world['did_json']}"]
    code, out, err = run("evaluate", *common, "--format", "json", "--no-cache")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["credentials"]["cloud-cert"]["status"] == "earned"
    assert [(o["status"], o["reason"]) for o in doc["recognition"]] == [
        ("recognised", None),
        ("refused", "untrusted_issuer"),
    ]
    code, out, err = run("evaluate", *common, "--no-cache")
    assert code == 0 and "Learning recognised from elsewhere" in out
    assert "recognised by rule aws-ccp" in out and "refused, untrusted_issuer" in out
    code, out, err = run("evaluate", *common, "--format", "html", "--no-cache")
    assert code == 0 and "Learning recognised from elsewhere" in out and 'class="refused"' in out
    # without the issuer's did.json the key cannot be shown to be the issuer's: nothing fetched
    code, out, err = run("evaluate", "--catalog", world["cat"], tr, "--evidence", ev, "--format", "json")
    assert code == 0
    assert {o["reason"] for o in json.loads(out)["recognition"]} == {"untrusted_issuer"}


def test_cli_a_malformed_evidence_file_fails_that_learner_only(world: dict[str, Any], tmp_path: Path) -> None:
    tr = tmp_path / "two.csv"
    tr.write_text("learner_id,course,date,grade\nS1,CSCI 1410,2024-05-01,A\nS2,CSCI 1410,2024-05-01,B\n")
    ev: Path = world["ev"]
    (ev / "S1").mkdir()
    (ev / "S1" / "junk.json").write_text("not json at all {")
    code, out, err = run("evaluate", "--catalog", world["cat"], tr, "--evidence", ev, "--as-of", "2026-05-20",
                         "--format", "json")  # fmt: skip
    assert code == 1
    assert "E507" in err and "junk.json:1:1" in err
    (line,) = out.splitlines()
    assert json.loads(line)["learner"]["id"] == "S2"


def test_batch_reads_a_folder_per_learner(world: dict[str, Any], web_key: SigningKey, tmp_path: Path) -> None:
    tr = tmp_path / "two.jsonl"
    rows = [
        {"learner": {"id": "S1", "identifiers": [LEARNER]}, "as_of": "2026-05-20",
         "attempts": [{"course": "CSCI 1410", "date": "2024-05-01", "grade": "A"}]},
        {"learner": {"id": "S2"}, "as_of": "2026-05-20",
         "attempts": [{"course": "CSCI 1410", "date": "2024-05-01", "grade": "A"}]},
    ]  # fmt: skip
    tr.write_text("".join(json.dumps(r) + "\n" for r in rows))
    ev: Path = world["ev"]
    (ev / "S1").mkdir()
    (ev / "S1" / "cloud.jwt").write_text(pyjwt_token(web_key, cloud_credential()))
    (ev / "S2").mkdir()
    (ev / "S2" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    out = tmp_path / "out.jsonl"
    code, _o, err = run("batch", "--catalog", world["cat"], tr, "-o", out, "--evidence", ev,
                        "--resolve", f"{did_web_url(WEB)}={world['did_json']}", "--progress", "never")  # fmt: skip
    assert code == 1, err
    (line,) = out.read_text().splitlines()
    doc = json.loads(line)
    assert doc["learner"]["id"] == "S1" and doc["credentials"]["cloud-cert"]["status"] == "earned"
    errors = [json.loads(x) for x in (tmp_path / "out.jsonl.errors.jsonl").read_text().splitlines()]
    assert errors[0]["learner"] == "S2" and errors[0]["code"] == "E507"


# -- CTDL transfer values ------------------------------------------------------------------------

ACE_TVP = {
    "@context": "https://credreg.net/ctdl/schema/context/json",
    "@graph": [
        {
            "@id": "https://credentialengineregistry.org/resources/ce-11111111-2222-4333-8444-555555555555",
            "@type": "ceterms:TransferValueProfile",
            "ceterms:ctid": "ce-11111111-2222-4333-8444-555555555555",
            "ceterms:name": {"en-US": "Introduction to Computing (ACE)"},
            "ceterms:startDate": "2024-01-01",
            "ceterms:endDate": "2028-01-01",
            "ceterms:transferValue": [
                {
                    "@type": "schema:QuantitativeValue",
                    "schema:value": 3,
                    "ceterms:creditUnitType": [{"ceterms:targetNode": "creditUnit:DegreeCredit"}],
                }
            ],
            "ceterms:transferValueFrom": [
                {"@type": "ceterms:LearningOpportunityProfile", "ceterms:ctid": CTID, "ceterms:name": {"en-US": "x"}}
            ],
            "ceterms:transferValueFor": [{"@type": "ceterms:Course", "ceterms:codedNotation": "CSCI 1410"}],
        },
        {
            "@type": "ceterms:TransferValueProfile",
            "ceterms:name": {"en-US": "Something the catalogue lacks"},
            "ceterms:transferValue": [{"schema:value": "2"}],
            "ceterms:transferValueFrom": [
                "https://credentialengineregistry.org/resources/ce-00000000-0000-4000-8000-000000000009"
            ],
            "ceterms:transferValueFor": [{"@type": "ceterms:Course", "ceterms:codedNotation": "HIST 9999"}],
        },
        {"@type": "ceterms:TransferValueProfile", "ceterms:name": {"en-US": "No source"}},
    ],
}


def test_ctdl_transfer_values_become_recognition_rules(world: dict[str, Any], ed: Any, tmp_path: Path) -> None:
    src = tmp_path / "ace.json"
    src.write_text(json.dumps(ACE_TVP))
    code, out, err = run("recognition", "import-ctdl", src, "--catalog", world["cat"])
    assert code == 0, err
    assert "No source: transferValueFrom names no CTID" in err and "Something the catalogue lacks" in err
    code, out2, err = run("recognition", "import-ctdl", src, "--catalog", world["cat"], "--elective", "CSCI 2XXX")
    assert code == 0, err
    rules = yaml.safe_load(out2)["recognition"]
    assert rules[0] == {
        "id": "ce-11111111-2222-4333-8444-555555555555",
        "label": "Introduction to Computing (ACE)",
        "match": {"ctid": CTID},
        "grants": {"course": "CSCI 1410", "credits": 3.0},
        "valid_from": "2024-01-01",
        "valid_until": "2028-01-01",
    }
    assert rules[1]["grants"] == {"course": "CSCI 2XXX", "credits": 2.0}
    assert rules[1]["match"] == {"ctid": "ce-00000000-0000-4000-8000-000000000009"}
    # the imported rules, in place of the hand-written ones, accept the ACE badge
    cat_dir = tmp_path / "cat"
    cat_dir.mkdir()
    base = yaml.safe_load(world["cat"].read_text())
    del base["recognition"]
    (cat_dir / "catalogue.yaml").write_text(yaml.safe_dump(base))
    (cat_dir / "recognition.yaml").write_text(out)
    catalog, diags = read_catalog(cat_dir)
    assert validate_catalog(catalog, diags).valid
    (world["ev"] / "intro.jwt").write_text(jwcrypto_token(ed, intro_credential(ed[1])))
    held = read_evidence(world["ev"], AS_OF, world["opts"])
    (o,) = evaluate(catalog, transcript(), evidence=held).recognition or []
    assert (o.status, o.rule) == ("recognised", "ce-11111111-2222-4333-8444-555555555555")


def test_ctdl_import_errors(world: dict[str, Any], tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    code, _out, err = run("recognition", "import-ctdl", bad, "--catalog", world["cat"])
    assert code == 1 and "bad.json:1:1" in err
    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps({"@graph": []}))
    code, _out, err = run("recognition", "import-ctdl", empty, "--catalog", world["cat"])
    assert code == 1 and "no transfer value profile" in err
    code, _out, err = run("recognition", "import-ctdl", empty, "--catalog", world["cat"], "--elective", "NOPE 1")
    assert code == 2 and "NOPE 1" in err


def test_recognitions_export_as_ctdl_and_import_back(world: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "ctdl.json"
    code, _o, err = run("export", "ctdl", "--catalog", world["cat"], "-o", out, "--agent-sector", "Public")
    assert code == 0, err
    graph = json.loads(out.read_text())["@graph"]
    tvps = [n for n in graph if n["@type"] == "ceterms:TransferValueProfile"]
    assert [t["ceterms:name"]["en-US"] for t in tvps] == [
        "Cloud practitioner from Credly",
        "ace-intro",
        "data-foundations",
    ]
    ace = tvps[1]
    assert ace["ceterms:transferValueFrom"] == [f"https://credentialengineregistry.org/resources/{CTID}"]
    assert ace["ceterms:transferValue"][0]["schema:value"] == 3
    # the course it is worth is in the graph, so the reference resolves
    (target,) = ace["ceterms:transferValueFor"]
    assert any(n.get("@id") == target and n["@type"] == "ceterms:Course" for n in graph)
    assert tvps[0]["ceterms:startDate"] == "2023-01-01"
    # read back: the CTID rule comes back as it was
    rules, _w = rules_from_ctdl({"@graph": graph}, world["catalog"])
    back = [r for r in rules if r["match"] == {"ctid": CTID}]
    assert back and back[0]["grants"] == {"course": "CSCI 1410", "credits": 3.0}
    # a catalogue without recognition rules exports as before: no transfer values
    plain = tmp_path / "plain.yaml"
    plain.write_text(world["cat"].read_text().split("recognition:")[0])
    code, _o, err = run("export", "ctdl", "--catalog", plain, "-o", tmp_path / "p.json", "--agent-sector", "Public")
    assert code == 0, err
    assert "TransferValueProfile" not in (tmp_path / "p.json").read_text()
