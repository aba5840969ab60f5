"""Recognition by alignment to a competency: a rule's ``match: {competency: …}`` accepts an
external achievement whose alignment (OB 3.0 ``targetUrl``/``targetCode``, targetType CFItem
or ceasn:Competency; OB 2.0 alignments without a type) names a competency of the catalogue's
frameworks. Badges are signed by PyJWT (RS256, a did:web issuer)."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import ob3_credential

from microcred.badges.evidence import EvidenceOptions, competency_targets, read_evidence
from microcred.badges.identity import controller_document, did_web_url
from microcred.badges.keys import SigningKey, generate_key, jwk_thumbprint
from microcred.badges.resolve import Registry
from microcred.badges.transfer import transfer_value_profiles
from microcred.checks.validate import validate_catalog
from microcred.cli import main
from microcred.io.loader import read_catalog
from microcred.io.transcript import Transcript
from microcred.model.recognition import ExternalCredential, RecognitionRule
from microcred.rules.evaluate import evaluate

jwt = pytest.importorskip("jwt", reason="PyJWT is not installed (pip install -e '.[test]')")

AS_OF = dt.date(2026, 5, 20)
LEARNER = "did:example:ada"
PARTNER = "did:web:partner.example"
OTHER = "did:web:other.example"
SQL = "https://example.edu/outcomes/sql"
CASE_ITEM = "https://case.example/uri/6b2f3c1e-0000-4000-8000-000000000001"

CATALOGUE = f"""
catalog: {{id: example-university, name: Example University}}
taxonomy: {{types: {{badge: {{}}}}}}
frameworks:
  - id: outcomes
    competencies:
      - {{uri: "{SQL}", code: LO2, statement: Model data and query relational databases with SQL.}}
      - {{uri: "{CASE_ITEM}", code: PY.1, statement: Write and test Python programs.}}
courses:
  - {{id: ISMG 2050, title: Databases, credits: 3, competencies: ["outcomes:LO2"]}}
  - {{id: CSCI 2XXX, title: Computing elective (transfer), credits: 3, subject: CSCI, level: 2000}}
credentials:
  - {{id: python-badge, type: badge, title: Python, credits: 1}}
  - {{id: data, type: badge, title: Data, requires: {{course: ISMG 2050}}}}
recognition:
  - id: sql-from-partner
    match: {{issuer: {PARTNER}, competency: "outcomes:LO2"}}
    grants: {{course: ISMG 2050}}
  - id: python-from-anyone-listed
    match: {{competency: ["{CASE_ITEM}"]}}
    grants: {{credential: python-badge}}
    valid_from: 2024-01-01
"""


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return generate_key("rsa", rsa_bits=2048)


@pytest.fixture
def world(tmp_path: Path, key: SigningKey) -> dict[str, Any]:
    cat = tmp_path / "catalogue.yaml"
    cat.write_text(CATALOGUE, encoding="utf-8")
    catalog, diags = read_catalog(cat)
    report = validate_catalog(catalog, diags)
    assert report.valid and not report.warnings, [str(d) for d in report.diagnostics]
    docs = {}
    for did in (PARTNER, OTHER):
        f = tmp_path / f"{did.rsplit(':', 1)[-1]}.json"
        f.write_text(json.dumps(controller_document(did, [key])))
        docs[did_web_url(did)] = str(f)
    ev = tmp_path / "evidence"
    ev.mkdir()
    return {"catalog": catalog, "cat": cat, "opts": EvidenceOptions(documents=docs), "ev": ev, "tmp": tmp_path}


def badge(issuer: str, cid: str, *alignments: dict[str, Any], achievement: str = "urn:ach:x") -> dict[str, Any]:
    c = ob3_credential(issuer, cid)
    c["validFrom"] = "2025-03-01T00:00:00Z"
    c["credentialSubject"]["id"] = LEARNER
    c["credentialSubject"]["achievement"]["id"] = achievement
    c["credentialSubject"]["achievement"]["alignment"] = [{"type": ["Alignment"], **a} for a in alignments]
    return c


def sign(key: SigningKey, cred: dict[str, Any]) -> str:
    """RS256 by PyJWT, with the key the did:web issuer publishes."""
    from cryptography.hazmat.primitives import serialization

    pem = key.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    issuer = cred["issuer"]["id"]
    kid = f"{issuer}#{jwk_thumbprint(key.public_jwk())}"
    claims = {**cred, "iss": issuer, "sub": LEARNER}
    return str(jwt.encode(claims, pem, algorithm="RS256", headers={"kid": kid}))


def transcript() -> Transcript:
    return Transcript.model_validate({"learner": {"id": "S1", "identifiers": [LEARNER]}, "as_of": AS_OF})


def sql(kind: str = "ceasn:Competency", **more: str) -> dict[str, Any]:
    return {"targetType": kind, "targetName": "SQL", "targetUrl": SQL, **more}


def test_alignments_that_name_a_competency() -> None:
    ach = {
        "alignment": [
            {"targetType": "ceasn:Competency", "targetUrl": SQL, "targetCode": "LO2"},
            {"targetType": "CFItem", "targetCode": CASE_ITEM},
            {"targetUrl": "https://ob2.example/c"},  # Open Badges 2.0: no targetType
            {"targetType": "ceterms:Credential", "targetUrl": "https://credreg.example/ce-1"},
            {"targetType": "CFRubric", "targetUrl": "https://case.example/rubric"},
            "not an alignment",
            {"targetType": "CFItem", "targetUrl": "  "},
        ]
    }
    assert competency_targets(ach) == (SQL, "LO2", CASE_ITEM, "https://ob2.example/c")
    assert competency_targets({}) == () and competency_targets({"alignment": {"targetUrl": SQL}}) == (SQL,)


def test_a_badge_aligned_with_a_competency_counts(world: dict[str, Any], key: SigningKey) -> None:
    ev: Path = world["ev"]
    (ev / "a-sql.jwt").write_text(sign(key, badge(PARTNER, "urn:uuid:1", sql())))
    (ev / "b-python.jwt").write_text(
        sign(key, badge(PARTNER, "urn:uuid:2", {"targetType": "CFItem", "targetCode": CASE_ITEM}))
    )
    opts: EvidenceOptions = world["opts"]
    opts.registries = [Registry("Known", {PARTNER: {"name": "Partner"}})]
    held = read_evidence(ev, AS_OF, opts)
    assert [(h.refusal, h.competencies) for h in held] == [(None, (SQL,)), (None, (CASE_ITEM,))], [
        h.problems for h in held
    ]
    result = evaluate(world["catalog"], transcript(), evidence=held)
    got = [(o.status, o.rule, o.counted_toward) for o in result.recognition or []]
    assert got == [
        ("recognised", "sql-from-partner", ["data"]),
        ("recognised", "python-from-anyone-listed", ["python-badge"]),
    ]
    assert result.credentials["data"].status == "earned" and result.credentials["data"].earned_on == dt.date(2025, 3, 1)
    assert result.credentials["python-badge"].status == "earned"


def test_what_an_alignment_does_not_earn(world: dict[str, Any], key: SigningKey) -> None:
    ev: Path = world["ev"]
    # the right competency from an issuer the rule does not name; a credential alignment that
    # carries the competency's URI; the bare code; an unlisted issuer under the issuer-less rule
    (ev / "a.jwt").write_text(sign(key, badge(OTHER, "urn:uuid:a", sql())))
    (ev / "b.jwt").write_text(sign(key, badge(PARTNER, "urn:uuid:b", sql("ceterms:Credential"))))
    (ev / "c.jwt").write_text(
        sign(key, badge(PARTNER, "urn:uuid:c", {"targetType": "ceasn:Competency", "targetCode": "LO2"}))
    )
    (ev / "d.jwt").write_text(sign(key, badge(OTHER, "urn:uuid:d", {"targetType": "CFItem", "targetUrl": CASE_ITEM})))
    opts: EvidenceOptions = world["opts"]
    opts.registries = [Registry("Known", {PARTNER: {"name": "Partner"}, OTHER: {"name": "Other"}})]
    held = read_evidence(ev, AS_OF, opts)
    assert [h.refusal for h in held] == [None] * 4, [h.problems for h in held]
    held[3] = ExternalCredential(**{**held[3].__dict__, "trusted_by": ()})  # the issuer on no list given
    result = evaluate(world["catalog"], transcript(), evidence=held)
    a, b, c, d = result.recognition or []
    assert (a.reason, b.reason, c.reason) == ("no_rule", "no_rule", "no_rule")
    # the explanation says what it was looked up by, and which rule comes closest and why not
    assert f"aligned with {SQL}" in a.message and "closest: rule sql-from-partner differs in issuer" in a.message
    assert "no competency alignment" in b.message and "closest" not in b.message
    assert "aligned only with competencies the catalogue's frameworks do not define" in c.message
    assert (d.reason, d.rule) == ("untrusted_issuer", "python-from-anyone-listed")
    assert "matches by competency without naming an issuer" in d.message
    assert all(r.status == "not_started" for r in result.credentials.values())


def test_the_window_and_the_first_rule_hold_for_competencies(world: dict[str, Any]) -> None:
    catalog = world["catalog"]
    catalog.recognition.append(
        RecognitionRule.model_validate(
            {
                "id": "late",
                "match": {"competency": "outcomes:LO2", "issuer": PARTNER},
                "grants": {"course": "CSCI 2XXX"},
            }
        )
    )
    early = ExternalCredential(
        source="x", format="ob3-json", issuer=PARTNER, id="urn:1", achievement="urn:a",
        competencies=(CASE_ITEM, SQL), issued=dt.date(2023, 6, 1), subject_ids=(LEARNER,), trusted_by=("Known",),
    )  # fmt: skip
    result = evaluate(catalog, transcript(), evidence=[early])
    (o,) = result.recognition or []
    # the Python rule opens in 2024, so the SQL rule, next in catalogue order, takes it
    assert (o.status, o.rule) == ("recognised", "sql-from-partner")


def test_static_checks_of_competency_rules(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(
        f"""frameworks:
  - id: outcomes
    competencies: [{{uri: "{SQL}", code: LO2, statement: SQL.}}]
courses: [{{id: ISMG 2050, title: Databases, credits: 3}}]
recognition:
  - {{id: a, match: {{competency: "{SQL}x"}}, grants: {{course: ISMG 2050}}}}
  - {{id: b, match: {{competency: ["outcomes:LO2", "outcomes:LO3"]}}, grants: {{course: ISMG 2050}}}}
  - {{id: c, match: {{competency: "{SQL}", issuer: did:web:x}}, grants: {{course: ISMG 2050}}}}
  - {{id: d, match: {{competency: "nope:1"}}, grants: {{course: ISMG 2050}}}}
"""
    )
    catalog, diags = read_catalog(tmp_path)
    report = validate_catalog(catalog, diags)
    got = sorted((d.code, d.location.line, d.location.column) for d in report.diagnostics if d.location)
    assert got == [("E321", 6, 33), ("E321", 7, 50), ("E321", 9, 33), ("W610", 8, 20)], [
        str(d) for d in report.diagnostics
    ]
    msgs = {d.location.line: d.message for d in report.diagnostics if d.location}
    assert "framework 'outcomes' has no competency coded 'LO3'" in msgs[7] and "did you mean 'LO2'" in msgs[7]
    assert "rules 'b' and 'c'" in msgs[8]  # LO2 is that URI: both can take the same badge
    assert "no framework of the catalogue defines it" in msgs[9] and not report.valid
    (tmp_path / "c.yaml").write_text(
        "courses: [{id: ISMG 2050, title: Databases, credits: 3}]\n"
        "recognition:\n  - {id: a, match: {competency: x:1}, grants: {course: ISMG 2050}}\n"
    )
    catalog, diags = read_catalog(tmp_path)
    (d,) = validate_catalog(catalog, diags).diagnostics
    assert d.code == "E321" and "defines no framework" in d.message


def test_a_match_needs_something_to_name_the_achievement(tmp_path: Path) -> None:
    for match in ("{issuer: x}", "{}", "{competency: []}"):
        (tmp_path / "c.yaml").write_text(
            "courses: [{id: ISMG 2050, title: D, credits: 3}]\n"
            f"recognition:\n  - {{id: a, match: {match}, grants: {{course: ISMG 2050}}}}\n"
        )
        _catalog, diags = read_catalog(tmp_path)
        assert [d.code for d in diags] == ["E203"], (match, [str(d) for d in diags])
        assert diags[0].location is not None and diags[0].location.line == 3


def test_cli_validate_and_evaluate(world: dict[str, Any], key: SigningKey) -> None:
    tr = world["tmp"] / "ada.yaml"
    tr.write_text("learner: {id: S1, identifiers: ['did:example:ada']}\nas_of: 2026-05-20\n")
    (world["ev"] / "sql.jwt").write_text(sign(key, badge(PARTNER, "urn:uuid:1", sql())))
    resolve = [a for url, f in world["opts"].documents.items() for a in ("--resolve", f"{url}={f}")]
    out, err = io.StringIO(), io.StringIO()
    code = main(["evaluate", "--catalog", str(world["cat"]), str(tr), "--evidence", str(world["ev"]), *resolve,
                 "--format", "json", "--no-cache"], out, err)  # fmt: skip
    assert code == 0, err.getvalue()
    doc = json.loads(out.getvalue())
    assert [(o["status"], o["rule"]) for o in doc["recognition"]] == [("recognised", "sql-from-partner")]
    assert doc["credentials"]["data"]["status"] == "earned"


def test_a_competency_rule_exports_as_ctdl(world: dict[str, Any]) -> None:
    profiles = transfer_value_profiles(
        world["catalog"],
        ctid=lambda kind, rid: f"ce-{kind}-{rid}",
        ref=lambda c: f"https://credreg.example/resources/{c}",
        course_ref=lambda c: c,
        credential_ref=lambda c: c,
        text=lambda t: {"en-US": t},
        credit_value=lambda v: {"schema:value": v},
        org="https://example.edu",
    )
    sql_rule, python_rule = profiles
    (src,) = python_rule["ceterms:transferValueFrom"]
    assert [t["ceterms:targetNode"] for t in src["ceterms:teaches"]] == [CASE_ITEM]
    assert "ceterms:ownedBy" not in src  # any issuer a trusted-issuer list vouches for
    (src,) = sql_rule["ceterms:transferValueFrom"]
    assert [t["ceterms:targetNode"] for t in src["ceterms:teaches"]] == [SQL]  # outcomes:LO2, resolved
    assert src["ceterms:ownedBy"] == [PARTNER]
