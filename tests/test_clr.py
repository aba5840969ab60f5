"""CLR 2.0: a learner's earned credentials in one signed ClrCredential, with their stacking."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLE, ROOT

from microcred import load_catalog
from microcred.badges.clr import CLR_CONTEXT, build_clr, issue_clr, stacking_associations
from microcred.badges.dataintegrity import verify_eddsa_rdfc_2022
from microcred.badges.errors import BadgeError
from microcred.badges.identity import controller_document
from microcred.badges.jwt import decode_unverified, verify_vc_jwt
from microcred.badges.keys import SigningKey, generate_key, save_key
from microcred.badges.ob3 import identity_hash
from microcred.badges.resolve import Resolver
from microcred.cli import main
from microcred.io.transcript import Transcript, TranscriptSource, read_transcripts
from microcred.model import graph
from microcred.model.catalog import Catalog
from microcred.model.result import LearnerResult
from microcred.rules.evaluate import evaluate

TRANSCRIPTS = ROOT / "examples" / "example-university" / "transcripts"
EARNED = TRANSCRIPTS / "earned-certificate.yaml"
EMAIL = "maya.chen@example.edu"
WHEN = dt.datetime(2026, 5, 21, 12, 0, tzinfo=dt.UTC)
HELD = {
    "python-programming",
    "data-literacy",
    "spreadsheet-modeling",
    "data-foundations",
    "statistical-modeling",
    "data-analytics-certificate",
}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(EXAMPLE)


@pytest.fixture(scope="module")
def maya(catalog: Catalog) -> LearnerResult:
    (src,) = list(read_transcripts(EARNED))
    assert isinstance(src, TranscriptSource)
    return evaluate(catalog, src)


@pytest.fixture(scope="module")
def ed_key() -> SigningKey:
    return generate_key("ed25519")


@pytest.fixture(scope="module")
def rsa_key() -> SigningKey:
    return generate_key("rsa", rsa_bits=2048)


@pytest.fixture(scope="module")
def issuer(ed_key: SigningKey, rsa_key: SigningKey) -> Resolver:
    """The example catalogue's issuer, https://example.edu, with both keys published."""
    return Resolver({"https://example.edu": controller_document("https://example.edu", [ed_key, rsa_key])})


@pytest.fixture(scope="module")
def clr(catalog: Catalog, maya: LearnerResult, ed_key: SigningKey) -> dict[str, Any]:
    return build_clr(catalog, maya, ed_key, email=EMAIL, salt="s4lt", valid_from=WHEN, clr_id="urn:uuid:clr-1")


def by_achievement(clr: dict[str, Any]) -> dict[str, str]:
    """achievement id → catalogue credential id (its humanCode)."""
    out = {}
    for vc in clr["credentialSubject"]["verifiableCredential"]:
        ach = vc["credentialSubject"]["achievement"]
        out[ach["id"]] = ach["humanCode"]
    return out


def associations(clr: dict[str, Any]) -> set[tuple[str, str, str]]:
    ids = by_achievement(clr)
    return {
        (a["associationType"], ids[a["sourceId"]], ids[a["targetId"]]) for a in clr["credentialSubject"]["association"]
    }


def test_clr_shape(clr: dict[str, Any]) -> None:
    assert clr["@context"] == [
        "https://www.w3.org/ns/credentials/v2",
        CLR_CONTEXT,
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json",
    ]
    assert clr["type"] == ["VerifiableCredential", "ClrCredential"]
    assert clr["id"] == "urn:uuid:clr-1"
    assert clr["issuer"]["id"] == "https://example.edu"
    assert clr["validFrom"] == "2026-05-21T12:00:00Z"
    # the learner is identified by a hashed email and a pseudonymous id, never by name
    assert "Maya" not in json.dumps(clr) and "S1001" not in json.dumps(clr)
    assert clr["credentialSchema"][0]["id"].endswith("clr_v2p0_clrcredential_schema.json")
    subject = clr["credentialSubject"]
    assert subject["type"] == ["ClrSubject"] and subject["id"].startswith("urn:uuid:")
    inner_subjects = {vc["credentialSubject"]["id"] for vc in subject["verifiableCredential"]}
    assert inner_subjects == {subject["id"]}
    (identity,) = subject["identifier"]
    assert identity["identityHash"] == identity_hash(EMAIL, "s4lt")
    assert identity["hashed"] is True and identity["identityType"] == "emailAddress"


def test_holds_exactly_the_earned_credentials(clr: dict[str, Any], maya: LearnerResult) -> None:
    assert set(maya.earned()) == HELD
    vcs = clr["credentialSubject"]["verifiableCredential"]
    assert set(by_achievement(clr).values()) == HELD
    assert len(vcs) == len(HELD)
    for vc in vcs:
        assert "OpenBadgeCredential" in vc["type"]
        assert vc["proof"][0]["cryptosuite"] == "eddsa-rdfc-2022"
        assert vc["proof"][0]["verificationMethod"].startswith("https://example.edu#z6Mk")
    assert "business-analytics" not in by_achievement(clr).values()  # partial, not earned


def test_each_inner_credential_verifies_on_its_own(clr: dict[str, Any], issuer: Resolver) -> None:
    for vc in clr["credentialSubject"]["verifiableCredential"]:
        result = verify_eddsa_rdfc_2022(vc, resolver=issuer)
        assert result.valid, result.errors


def test_associations_come_from_the_stacking_graph(clr: dict[str, Any], catalog: Catalog) -> None:
    found = associations(clr)
    expected_part_of = {
        ("isPartOf", "python-programming", "data-foundations"),
        ("isPartOf", "python-programming", "data-analytics-certificate"),
        ("isPartOf", "data-foundations", "data-analytics-certificate"),
        ("isPartOf", "statistical-modeling", "data-analytics-certificate"),
    }
    expected_child_of = {
        ("isChildOf", "python-programming", "data-foundations"),
        ("isChildOf", "data-foundations", "data-analytics-certificate"),
        ("isChildOf", "statistical-modeling", "data-analytics-certificate"),
    }
    assert found == expected_part_of | expected_child_of
    g = graph.build_graph(catalog)
    for source in HELD:  # the same, read off the graph
        for target in HELD - {source}:
            assert (("isPartOf", source, target) in found) == (target in graph.descendants(g, source))
            assert (("isChildOf", source, target) in found) == (target in graph.stacks_into(g, source))
    for a in clr["credentialSubject"]["association"]:
        assert a["type"] == "Association"


def test_stacking_associations_between_earned_only(catalog: Catalog) -> None:
    # without the microcredential in between: part of the certificate, but not its child
    found = stacking_associations(catalog, ["python-programming", "data-analytics-certificate"])
    assert [(a.association_type, a.source, a.target) for a in found] == [
        ("isPartOf", "python-programming", "data-analytics-certificate")
    ]
    assert stacking_associations(catalog, ["data-literacy", "spreadsheet-modeling"]) == []


def test_json_format_verifies(catalog: Catalog, maya: LearnerResult, ed_key: SigningKey, issuer: Resolver) -> None:
    text = issue_clr(catalog, maya, ed_key, format="json", email=EMAIL, valid_from=WHEN)
    signed = json.loads(text)
    assert signed["proof"][0]["cryptosuite"] == "eddsa-rdfc-2022"
    result = verify_eddsa_rdfc_2022(signed, resolver=issuer)
    assert result.valid, result.errors
    tampered = json.loads(text)
    tampered["credentialSubject"]["association"].pop()
    assert not verify_eddsa_rdfc_2022(tampered, resolver=issuer).valid


def test_jwt_format_with_rsa_nests_plain_credentials(
    catalog: Catalog, maya: LearnerResult, rsa_key: SigningKey, issuer: Resolver
) -> None:
    token = issue_clr(catalog, maya, rsa_key, format="jwt", email=EMAIL, valid_from=WHEN)
    result = verify_vc_jwt(token, resolver=issuer)
    assert result.valid, result.errors
    header, payload, _, _ = decode_unverified(token)
    assert header["alg"] == "RS256"
    assert payload["type"] == ["VerifiableCredential", "ClrCredential"]
    inner = payload["credentialSubject"]["verifiableCredential"]
    assert len(inner) == len(HELD)
    for vc in inner:  # AchievementCredential objects, as the CLR 2.0 schema wants, under the record's signature
        assert vc["type"] == ["VerifiableCredential", "OpenBadgeCredential"] and "proof" not in vc
        assert vc["issuer"]["id"] == "https://example.edu"
    assert len(payload["credentialSubject"]["association"]) == 7


def test_refusals(catalog: Catalog, maya: LearnerResult, ed_key: SigningKey, rsa_key: SigningKey) -> None:
    with pytest.raises(BadgeError, match="needs an Ed25519 key"):
        issue_clr(catalog, maya, rsa_key, format="json", email=EMAIL)
    with pytest.raises(BadgeError, match="has no email"):
        build_clr(catalog, maya, ed_key, email=None)
    with pytest.raises(BadgeError, match="unknown CLR format"):
        issue_clr(catalog, maya, ed_key, format="xml", email=EMAIL)
    empty = Transcript.model_validate({"learner": {"id": "S0"}, "attempts": [], "as_of": "2026-01-01"})
    with pytest.raises(BadgeError, match="earned no credential"):
        build_clr(catalog, evaluate(catalog, empty), ed_key, email=EMAIL)
    # a did:key issuer signs with its own key, never another one
    other = generate_key("ed25519")
    with pytest.raises(BadgeError, match="must sign with its own key"):
        build_clr(with_issuer(catalog, id=other.did_key().split("#")[0]), maya, ed_key, email=EMAIL)
    with pytest.raises(BadgeError, match="issuer has no id"):
        build_clr(with_issuer(catalog, url=None), maya, ed_key, email=EMAIL)


def with_issuer(catalog: Catalog, **changes: Any) -> Catalog:
    """A copy of the catalogue whose catalog.issuer has ``changes``."""
    assert catalog.info is not None and catalog.info.issuer is not None
    issuer = catalog.info.issuer.model_copy(update=changes)
    return dataclasses.replace(catalog, info=catalog.info.model_copy(update={"issuer": issuer}))


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def key_file(tmp_path_factory: pytest.TempPathFactory, ed_key: SigningKey) -> Path:
    folder = tmp_path_factory.mktemp("keys")
    save_key(ed_key, folder, "issuer")
    return folder / "issuer.pem"


def test_cli_clr(tmp_path: Path, key_file: Path, issuer: Resolver) -> None:
    out_file = tmp_path / "maya.clr.json"
    base = ["clr", "--catalog", str(EXAMPLE), str(EARNED), "--key", str(key_file)]
    code, _, err = run(*base, "-o", str(out_file), "--format", "json")
    assert code == 0, err
    assert "6 earned credentials" in err
    signed = json.loads(out_file.read_text(encoding="utf-8"))
    assert verify_eddsa_rdfc_2022(signed, resolver=issuer).valid
    code, out, err = run(*base, "-o", "-")
    assert code == 0, err
    assert verify_vc_jwt(out.strip(), resolver=issuer).valid
    # as of an earlier date, the certificate is not earned yet
    code, out, err = run(*base, "-o", "-", "--as-of", "2025-01-01")
    assert code == 0, err
    _, payload, _, _ = decode_unverified(out.strip())
    names = {vc["name"] for vc in payload["credentialSubject"]["verifiableCredential"]}
    assert "Certificate in Data Analytics" not in names and "Data Foundations" in names


def test_cli_clr_errors(tmp_path: Path, key_file: Path) -> None:
    csv = ROOT / "examples" / "example-university" / "learners.csv"
    code, _, err = run("clr", "--catalog", str(EXAMPLE), str(csv), "--key", str(key_file), "-o", "-")
    assert code == 2 and "choose one with --learner" in err
    code, _, err = run("clr", "--catalog", str(EXAMPLE), str(EARNED), "--key", str(tmp_path / "no.pem"), "-o", "-")
    assert code == 2 and "--key" in err and "no such file" in err
    code, _, err = run("clr", "--catalog", str(EXAMPLE), str(EARNED), "--key", str(EARNED), "-o", "-")
    assert code == 2 and "not a key file" in err  # a bad key is a usage error, as in `badge issue`
    code, _, err = run("clr", "--catalog", str(EXAMPLE), str(tmp_path / "none.yaml"), "--key", str(key_file), "-o", "-")
    assert code == 2 and "no such file" in err
    code, _, err = run(
        "clr", "--catalog", str(EXAMPLE), str(EARNED), "--key", str(key_file), "-o", "-", "--as-of", "2020-01-01"
    )
    assert code == 1 and "earned no credential" in err
    assert "Traceback" not in err
