"""CTDL JSON-LD export of a catalogue, for the Credential Engine registry."""

from __future__ import annotations

import io
import json
import re
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLE

from microcred import load_catalog
from microcred.badges.ctdl import CTDL_CONTEXT, ctdl_class, export_ctdl, make_ctid
from microcred.cli import main

REG = "https://credentialengineregistry.org/resources/"


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    export = export_ctdl(load_catalog(EXAMPLE), agent_sector="PrivateNonProfit")
    assert export.warnings == []
    return export.document


def nodes(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n["@id"]: n for n in doc["@graph"]}


def cred(doc: dict[str, Any], cid: str) -> dict[str, Any]:
    (node,) = [n for n in doc["@graph"] if n.get("ceterms:codedNotation") == cid and n["@type"] != "ceterms:Course"]
    return node


def ref(cid: str) -> str:
    return REG + make_ctid("example-university", "credential", cid)


def profiles(obj: Any) -> Iterator[dict[str, Any]]:
    """Every ConditionProfile anywhere below ``obj``."""
    if isinstance(obj, dict):
        if obj.get("@type") == "ceterms:ConditionProfile":
            yield obj
        for v in obj.values():
            yield from profiles(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from profiles(v)


def test_context_and_classes(doc: dict[str, Any]) -> None:
    assert doc["@context"] == CTDL_CONTEXT
    types = {n.get("ceterms:codedNotation"): n["@type"] for n in doc["@graph"] if n["@type"] != "ceterms:Course"}
    assert types["python-programming"] == "ceterms:DigitalBadge"  # type badge, label "Digital badge"
    assert types["data-foundations"] == "ceterms:MicroCredential"
    assert types["data-analytics-certificate"] == "ceterms:Certificate"
    assert types["aas-information-technology"] == "ceterms:AssociateDegree"
    assert types["bas-information-systems"] == "ceterms:BachelorDegree"
    all_types = {n["@type"] for n in doc["@graph"]}
    assert "ceterms:Credential" not in all_types
    assert "ceterms:CredentialOrganization" in all_types
    assert "ceterms:Course" in all_types


def test_every_credential_has_the_required_properties(doc: dict[str, Any]) -> None:
    catalog = load_catalog(EXAMPLE)
    creds = [n for n in doc["@graph"] if n["@type"] not in ("ceterms:Course", "ceterms:CredentialOrganization")]
    assert len(creds) == len(catalog.credentials)
    (org,) = [n for n in doc["@graph"] if n["@type"] == "ceterms:CredentialOrganization"]
    for n in creds:
        cid = n["ceterms:codedNotation"]
        assert n["ceterms:ctid"] == make_ctid("example-university", "credential", cid)
        assert re.fullmatch(r"ce-[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", n["ceterms:ctid"])
        assert n["@id"] == REG + n["ceterms:ctid"]
        assert n["ceterms:name"] == {"en-US": catalog.credentials[cid].title}
        assert n["ceterms:description"]["en-US"]
        assert n["ceterms:ownedBy"] == [org["@id"]] == n["ceterms:offeredBy"]
        assert n["ceterms:credentialStatusType"]["ceterms:targetNode"] == "credentialStat:Active"
        assert n["ceterms:subjectWebpage"] == "https://example.edu"


def test_the_organization_says_what_kind_of_agent_it_is(doc: dict[str, Any]) -> None:
    (org,) = [n for n in doc["@graph"] if n["@type"] == "ceterms:CredentialOrganization"]
    assert org["ceterms:agentType"] == [
        {
            "@type": "ceterms:CredentialAlignmentObject",
            "ceterms:framework": "https://credreg.net/ctdl/terms/OrganizationType",
            "ceterms:targetNode": "orgType:Postsecondary",
            "ceterms:targetNodeName": {"en-US": "Postsecondary"},
        }
    ]
    (sector,) = org["ceterms:agentSectorType"]
    assert sector["ceterms:framework"] == "https://credreg.net/ctdl/terms/AgentSector"
    assert sector["ceterms:targetNode"] == "agentSector:PrivateNonProfit"
    public = export_ctdl(load_catalog(EXAMPLE), agent_sector="Public", agent_type="CertificationBody")
    (org2,) = [n for n in public.document["@graph"] if n["@type"] == "ceterms:CredentialOrganization"]
    assert org2["ceterms:agentSectorType"][0]["ceterms:targetNode"] == "agentSector:Public"
    assert org2["ceterms:agentType"][0]["ceterms:targetNode"] == "orgType:CertificationBody"
    unsaid = export_ctdl(load_catalog(EXAMPLE))
    assert unsaid.warnings == [
        "the organization's sector is not given; written as agentSector:PrivateNonProfit "
        "(say which with --agent-sector)"
    ]
    with pytest.raises(ValueError, match="not one of Public"):
        export_ctdl(load_catalog(EXAMPLE), agent_sector="Charity")


def test_ctids_are_deterministic() -> None:
    a = export_ctdl(load_catalog(EXAMPLE)).document
    b = export_ctdl(load_catalog(EXAMPLE)).document
    assert a == b
    assert make_ctid("example-university", "credential", "x") != make_ctid("other", "credential", "x")


def test_every_reference_resolves_and_every_profile_has_a_description(doc: dict[str, Any]) -> None:
    ids = set(nodes(doc))
    found = list(profiles(doc["@graph"]))
    assert len(found) > 40
    for p in found:
        assert p["ceterms:description"]["en-US"].strip()
        for key in ("ceterms:targetCredential", "ceterms:targetLearningOpportunity"):
            for target in p.get(key, []):
                assert target in ids
    for n in doc["@graph"]:
        for key in ("ceterms:isPartOf", "ceterms:hasPart", "ceterms:ownedBy"):
            assert set(n.get(key, [])) <= ids


def test_data_foundations_condition_profiles(doc: dict[str, Any]) -> None:
    all_nodes = nodes(doc)
    requires = cred(doc, "data-foundations")["ceterms:requires"]
    assert [p["@type"] for p in requires] == ["ceterms:ConditionProfile"] * 3
    badge, stat, data_course = requires
    assert badge["ceterms:targetCredential"] == [ref("python-programming")]
    assert badge["ceterms:name"] == {"en-US": "Python Programming badge"}
    (course_id,) = stat["ceterms:targetLearningOpportunity"]
    course = all_nodes[course_id]
    assert course["@type"] == "ceterms:Course"
    assert course["ceterms:codedNotation"] == "STAT 2000"
    (value,) = course["ceterms:creditValue"]
    assert value["@type"] == "ceterms:ValueProfile" and value["schema:value"] == 3
    assert value["ceterms:creditUnitType"][0]["ceterms:targetNode"] == "creditUnit:SemesterHour"
    assert "C or better" in stat["ceterms:description"]["en-US"]  # the credential's min_grade
    # one course from three: three alternatives, one course each
    alternatives = data_course["ceterms:alternativeCondition"]
    picked = sorted(all_nodes[a["ceterms:targetLearningOpportunity"][0]]["ceterms:codedNotation"] for a in alternatives)
    assert picked == ["CSCI 3287", "ISMG 3600", "STAT 3100"]
    assert all(len(a["ceterms:targetLearningOpportunity"]) == 1 for a in alternatives)


def test_at_least_two_of_three_is_spelled_out_as_combinations(doc: dict[str, Any]) -> None:
    requires = cred(doc, "business-technology-certificate")["ceterms:requires"]
    core, pathways = requires
    assert len(core["ceterms:targetLearningOpportunity"]) == 1
    assert pathways["ceterms:description"]["en-US"].startswith("At least 2 of these 3")
    combos = {frozenset(a["ceterms:targetCredential"]) for a in pathways["ceterms:alternativeCondition"]}
    three = [ref("business-analytics"), ref("project-leadership"), ref("professional-communication")]
    assert combos == {frozenset({a, b}) for i, a in enumerate(three) for b in three[i + 1 :]}


def test_credits_rules_carry_a_value_profile(doc: dict[str, Any]) -> None:
    requires = cred(doc, "aas-information-technology")["ceterms:requires"]
    (electives,) = [p for p in requires if p.get("ceterms:name") == {"en-US": "Technical electives"}]
    (value,) = electives["ceterms:creditValue"]
    assert value["schema:value"] == 6
    assert value["ceterms:creditUnitType"][0]["ceterms:framework"] == "https://credreg.net/ctdl/terms/CreditUnit"
    assert "awarded credentials count at their credit value" in electives["ceterms:description"]["en-US"]
    # general education is split into its parts, each named
    names = [p.get("ceterms:name", {}).get("en-US") for p in requires]
    assert "Written communication" in names and "Humanities" in names
    (gpa,) = [p for p in requires if p.get("ceterms:name") == {"en-US": "Cumulative GPA"}]
    assert gpa["ceterms:description"]["en-US"] == "A GPA of at least 2.00 over all graded courses"


def test_is_part_of_and_has_part_follow_the_graph(doc: dict[str, Any]) -> None:
    foundations = cred(doc, "data-foundations")
    certificate = cred(doc, "data-analytics-certificate")
    assert foundations["ceterms:isPartOf"] == [ref("data-analytics-certificate")]
    assert foundations["ceterms:hasPart"] == [ref("python-programming")]
    assert set(certificate["ceterms:hasPart"]) == {ref("data-foundations"), ref("statistical-modeling")}
    assert ref("bas-information-systems") in certificate["ceterms:isPartOf"]
    all_nodes = nodes(doc)
    for n in doc["@graph"]:
        for parent in n.get("ceterms:isPartOf", []):
            assert n["@id"] in all_nodes[parent]["ceterms:hasPart"]
        for child in n.get("ceterms:hasPart", []):
            assert n["@id"] in all_nodes[child]["ceterms:isPartOf"]
    assert "ceterms:isPartOf" not in cred(doc, "bas-information-systems")


@pytest.mark.parametrize(
    ("type_id", "label", "expected"),
    [
        ("badge", None, "ceterms:Badge"),
        ("badge", "Open Badge", "ceterms:OpenBadge"),
        ("micro-credential", None, "ceterms:MicroCredential"),
        ("ba", "Bachelor of Arts", "ceterms:BachelorDegree"),
        ("ms", "Master's degree", "ceterms:MasterDegree"),
        ("cert", "Professional certification", "ceterms:Certification"),
        ("diploma", None, "ceterms:Diploma"),
        ("phd", None, "ceterms:DoctoralDegree"),
        ("pathway", "Learning pathway", None),
    ],
)
def test_type_mapping(type_id: str, label: str | None, expected: str | None) -> None:
    assert ctdl_class(type_id, label) == expected


SMALL = """\
catalog:
  id: small
  name: Small College
  issuer: {name: Small College}
taxonomy:
  types:
    pathway: {stacks_into: [certificate]}
    certificate: {}
courses:
  - {id: CSCI 1410, title: Fundamentals, credits: 3}
credentials:
  - id: p1
    type: pathway
    title: Pathway One
    requires: {course: CSCI 1410}
  - id: c1
    type: certificate
    title: Cert One
    description: A certificate.
    metadata: {ctdl_type: ceterms:Credential, ctid: ce-11111111-2222-3333-4444-555555555555}
    requires: {credential: p1}
  - id: c2
    type: certificate
    title: Cert Two
    description: Another certificate.
    metadata: {ctdl_type: Diploma}
"""


def test_fallbacks_overrides_and_warnings(tmp_path: Path) -> None:
    (tmp_path / "catalog.yaml").write_text(textwrap.dedent(SMALL), encoding="utf-8")
    export = export_ctdl(load_catalog(tmp_path), credit_unit="QuarterHour", language="en-GB")
    by_id = {n.get("ceterms:codedNotation"): n for n in export.document["@graph"] if n["@type"] != "ceterms:Course"}
    assert by_id["p1"]["@type"] == "ceterms:Certificate"  # unknown type: the documented fallback
    assert by_id["p1"]["ceterms:description"] == {"en-GB": "Pathway One"}
    assert by_id["c1"]["@type"] == "ceterms:Certificate"  # ceterms:Credential refused
    assert by_id["c1"]["ceterms:ctid"] == "ce-11111111-2222-3333-4444-555555555555"
    assert by_id["c2"]["@type"] == "ceterms:Diploma"
    assert by_id["p1"]["ceterms:isPartOf"] == [by_id["c1"]["@id"]]
    warnings = "\n".join(export.warnings)
    assert "type 'pathway' maps to no CTDL credential class; exported as ceterms:Certificate" in warnings
    assert "'ceterms:Credential' is not a CTDL credential class" in warnings
    assert "credential p1: no description" in warnings
    assert "issuer has no url" in warnings
    (course,) = [n for n in export.document["@graph"] if n["@type"] == "ceterms:Course"]
    assert course["ceterms:creditValue"][0]["ceterms:creditUnitType"][0]["ceterms:targetNode"] == (
        "creditUnit:QuarterHour"
    )


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def test_cli_export_ctdl(tmp_path: Path) -> None:
    code, out, err = run("export", "ctdl", "--catalog", str(EXAMPLE))
    assert code == 0, err
    assert json.loads(out)["@context"] == CTDL_CONTEXT
    assert "--agent-sector" in err  # the sector was assumed, and the user is told
    code, out, err = run("export", "ctdl", "--catalog", str(EXAMPLE), "--agent-sector", "Public")
    assert code == 0 and err == ""
    assert '"agentSector:Public"' in out
    target = tmp_path / "ctdl.json"
    code, out, err = run("export", "ctdl", "--catalog", str(EXAMPLE), "-o", str(target))
    assert (code, out) == (0, "")
    assert len(json.loads(target.read_text(encoding="utf-8"))["@graph"]) > 20


def test_cli_export_ctdl_errors(tmp_path: Path) -> None:
    code, _, err = run("export", "ctdl", "--catalog", str(EXAMPLE), "--credit-unit", "semester hours")
    assert code == 2 and "not a CreditUnit term" in err
    code, _, err = run("export", "ctdl", "--catalog", str(tmp_path / "missing"))
    assert code == 2 and "Traceback" not in err
    (tmp_path / "bad.yaml").write_text("credentials:\n  - {id: x}\n", encoding="utf-8")
    code, _, err = run("export", "ctdl", "--catalog", str(tmp_path / "bad.yaml"))
    assert code == 1 and "invalid" in err
    code, _, _ = run("export")
    assert code == 2


def test_registered_organization_is_referenced_not_written(tmp_path: Path) -> None:
    org = "https://sandbox.credentialengineregistry.org/resources/ce-aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
    text = textwrap.dedent(SMALL).replace(
        "issuer: {name: Small College}", f"issuer: {{name: Small College, id: {org}}}"
    )
    (tmp_path / "catalog.yaml").write_text(text, encoding="utf-8")
    graph_nodes = export_ctdl(load_catalog(tmp_path)).document["@graph"]
    assert not [n for n in graph_nodes if n["@type"] == "ceterms:CredentialOrganization"]
    assert {tuple(n["ceterms:ownedBy"]) for n in graph_nodes} == {(org,)}
