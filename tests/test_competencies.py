"""Competency frameworks: the importers on real samples, what credentials inherit (against a
brute force), the learner's skill profile, and evaluate's output left as it was for catalogues
without frameworks."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT
from hypothesis import given, settings
from hypothesis import strategies as st

from microcred.cli import main
from microcred.io.frameworks import FrameworkError, read_framework, read_framework_text
from microcred.io.loader import read_catalog
from microcred.io.transcript import Attempt, Transcript
from microcred.model.catalog import Catalog, CatalogInfo, Course, Credential
from microcred.model.competencies import Competency, Framework
from microcred.model.skills import credential_alignments
from microcred.rules.evaluate import evaluate
from microcred.run.cache import load_compiled
from microcred.taxonomy.models import CredentialType, Taxonomy

SKILLS = ROOT / "examples" / "skills"
SAMPLES = SKILLS / "catalog" / "frameworks"
PLAIN = ROOT / "catalog" / "example-university"
ONET = "https://www.onetonline.org/find/descriptor/browse/"
PYTHON = "http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


# --- importers --------------------------------------------------------------------------------


def test_onet_content_model_and_occupations() -> None:
    data = read_framework(SAMPLES / "onet-skills.txt", "onet")
    assert data.format == "onet"
    prog = next(c for c in data.competencies if c.code == "2.B.3.e")
    assert prog == Competency(
        ONET + "2.B.3.e", "Writing computer programs for various purposes.", "onet", "2.B.3.e", "Programming"
    )
    assert len(data.competencies) == 8
    occ = read_framework(SAMPLES / "onet-occupations.txt", "soc").occupations
    assert [(o.code, o.title, o.uri) for o in occ][1] == (
        "15-1252.00",
        "Software Developers",
        "https://www.onetonline.org/link/summary/15-1252.00",
    )


def test_esco_skills_and_occupations() -> None:
    data = read_framework(SAMPLES / "esco-skills.csv", "esco")
    python = next(c for c in data.competencies if c.uri == PYTHON)
    assert (python.name, python.statement, python.kind) == ("Python (computer programming)",) * 2 + ("knowledge",)
    occ = read_framework(SAMPLES / "esco-occupations.csv", "esco").occupations
    assert occ[0].title == "software developer" and occ[0].uri.endswith("f2b15a0e-e65a-438a-affb-29b9d50b77d1")
    assert data.competencies and not data.occupations


def test_rsd_single_list_and_collection() -> None:
    one = read_framework(SAMPLES / "osmt-rsd.json", "osn")
    assert [(c.name, c.statement) for c in one.competencies] == [
        (
            "Access and Security Levels Standardization",
            "Standardize levels of access and security to maintain information security.",
        )
    ]
    doc = json.loads((SAMPLES / "osmt-rsd.json").read_text())
    as_list = read_framework_text(json.dumps([doc, {**doc, "id": "urn:x"}]), "osn")
    assert [c.uri for c in as_list.competencies] == [doc["id"], "urn:x"]
    collection = read_framework_text(json.dumps({"name": "Coll", "skills": [doc]}), "osn")
    assert collection.title == "Coll" and len(collection.competencies) == 1


def test_case_package_plain_and_wrapped() -> None:
    data = read_framework(SAMPLES / "example-outcomes-case.json", "outcomes")
    assert data.format == "case" and data.title == "Example University Computing Outcomes"
    assert [c.code for c in data.competencies] == ["CO.1", "CO.2", "CO.3"]
    assert data.competencies[0].kind == "Competency"
    doc = json.loads((SAMPLES / "example-outcomes-case.json").read_text())
    wrapped = read_framework_text(json.dumps({"CFPackage": doc}), "outcomes")
    assert wrapped.competencies == data.competencies


@pytest.mark.parametrize(
    ("text", "fmt", "message", "line"),
    [
        ('{"CFItems": [\n {"uri": 1}\n', None, "not valid JSON", 3),
        ('{"CFItems": [{"uri": "u"}]}', None, "CFItems[0] (no identifier) has no `fullStatement`", None),
        ('{"CFDocument": {}}', None, "needs a `CFItems` list", None),
        ('[{"skillStatement": "s"}]', None, "skill 1 (no skillName) has no `id`", None),
        ('{"hello": 1}', None, "neither a CASE package", 1),
        ("a,b\n1,2\n", None, "format is not recognised", 1),
        ("conceptUri,altLabels\nu,x\n", None, "no column 'preferredLabel'", 1),
        ("conceptUri,preferredLabel\nu,ok\n,missing\n", None, "no conceptUri in this row", 3),
        ("Element ID\tElement Name\tDescription\n\tX\tY\n", None, "needs its Element ID", 2),
        ("Element ID\tElement Name\tDescription\n", "esco", "no column 'conceptUri'", 1),
        ("[1]", "case", "a CASE package needs", None),
    ],
)
def test_bad_framework_files_are_located(text: str, fmt: str | None, message: str, line: int | None) -> None:
    with pytest.raises(FrameworkError) as exc:
        read_framework_text(text, "f", fmt)
    assert message in exc.value.message
    assert exc.value.line == line


def test_unreadable_framework_files(tmp_path: Path) -> None:
    bad = tmp_path / "latin1.csv"
    bad.write_bytes(b"conceptUri,preferredLabel\nu,caf\xe9\n")
    with pytest.raises(FrameworkError, match="not UTF-8") as exc:
        read_framework(bad, "f")
    assert exc.value.line == 2
    with pytest.raises(FrameworkError, match="a directory"):
        read_framework(tmp_path, "f")


def test_framework_needs_a_source_or_competencies(check: Any) -> None:
    report = check("frameworks:\n  - {id: x}\n  - {id: y, format: esco, competencies: [{uri: u, statement: s}]}\n")
    assert [(d.code, d.location.line) for d in report.diagnostics] == [("E203", 2), ("E203", 3)]
    dup = check("frameworks:\n  - {id: x, competencies: [{uri: u, statement: s}]}\n  - {id: x, competencies: []}\n")
    assert any(d.code == "E205" for d in dup.diagnostics) or any(d.code == "E203" for d in dup.diagnostics)


# --- the example catalogue --------------------------------------------------------------------


def test_example_catalogue_is_valid_and_knows_every_sample() -> None:
    code, out, _err = run("validate", str(SKILLS / "catalog"))
    assert (code, out) == (0, "")
    catalog, _d = read_catalog(SKILLS / "catalog")
    assert {c.framework for c in catalog.competencies.values()} == {"onet", "esco", "osn", "outcomes"}
    assert len(catalog.occupations) == 5


def test_evaluate_shows_alignments_and_the_skill_profile() -> None:
    code, out, _err = run(
        "evaluate", "--catalog", str(SKILLS / "catalog"), "--format", "json", str(SKILLS / "transcripts" / "ada.yaml")
    )
    assert code == 0
    doc = json.loads(out)
    df = {c["uri"]: c.get("level") for c in doc["credentials"]["data-foundations"]["competencies"]}
    # its own Mathematics at 3; Programming at 4 and Python through the badge; SQL through ISMG 2050;
    # nothing of the `any` (MATH 2830 has none, CSCI 2421 some)
    assert df == {
        ONET + "2.A.1.e": 3,
        ONET + "2.B.3.e": 4,
        PYTHON: None,
        "http://data.europa.eu/esco/skill/598de5b0-5b58-4ea7-8058-a4bc4d18c742": None,
        "https://case.example.edu/ims/case/v1p1/CFItems/6f1c2b2e-3f7a-4c55-9a43-0d7f5a0e2002": None,
    }
    skills = {s["uri"]: s for s in doc["skills"]}
    prog = skills[ONET + "2.B.3.e"]
    assert (prog["current"], prog["level"], prog["since"], prog["until"]) == (True, 4, "2022-12-15", None)
    badge = next(e for e in prog["evidence"] if e["id"] == "python-programming")
    assert badge == {
        "kind": "credential",
        "id": "python-programming",
        "since": "2023-05-10",
        "until": "2026-05-10",
        "level": 4,
    }
    assert ONET + "2.B.2.i" not in skills  # CSCI 2421 is only in progress


def test_expired_evidence_alone_is_not_current(tmp_path: Path) -> None:
    t = tmp_path / "t.yaml"
    t.write_text(
        "learner: {id: X}\nas_of: 2026-11-01\nawarded:\n  - {credential: python-programming, date: 2020-01-01}\n"
    )
    code, out, _err = run("evaluate", "--catalog", str(SKILLS / "catalog"), "--format", "json", str(t))
    assert code == 0
    skills = {s["uri"]: s for s in json.loads(out)["skills"]}
    prog = skills[ONET + "2.B.3.e"]
    assert (prog["current"], prog["since"], prog["until"]) == (False, None, None)
    assert prog["evidence"] == [
        {"kind": "credential", "id": "python-programming", "since": "2020-01-01", "until": "2023-01-01", "level": 4}
    ]


def test_catalogue_without_frameworks_gives_the_same_json(tmp_path: Path) -> None:
    """Adding a framework adds keys (`competencies`, `skills`) and changes no other byte's meaning."""
    transcripts = sorted(str(p) for p in (ROOT / "examples" / "example-university" / "transcripts").glob("*.yaml"))
    _c, plain, _e = run("evaluate", "--catalog", str(PLAIN), "--format", "json", *transcripts)
    assert '"skills"' not in plain and '"competencies"' not in plain
    cat = tmp_path / "cat"
    shutil.copytree(PLAIN, cat)
    (cat / "frameworks.yaml").write_text(
        "frameworks:\n  - id: local\n    competencies: [{uri: 'https://example.edu/lo/1', statement: S.}]\n"
    )
    _c, extended, _e = run("evaluate", "--catalog", str(cat), "--format", "json", *transcripts)
    for a, b in zip(plain.splitlines(), extended.splitlines(), strict=True):
        doc = json.loads(b)
        assert doc.pop("skills") == []
        for r in doc["credentials"].values():
            assert r.pop("competencies") == []
        assert json.dumps(doc, ensure_ascii=False, separators=(",", ":")) == a


def test_a_changed_framework_file_misses_the_cache(tmp_path: Path) -> None:
    cat = tmp_path / "cat"
    shutil.copytree(SKILLS / "catalog", cat)
    cache = tmp_path / "cache"
    first = load_compiled(cat, cache)
    assert first.catalog.competencies[ONET + "2.B.3.e"].name == "Programming"
    again = load_compiled(cat, cache)
    assert again.catalog.competencies[ONET + "2.B.3.e"].name == "Programming"
    onet = cat / "frameworks" / "onet-skills.txt"
    onet.write_text(onet.read_text().replace("\tProgramming\t", "\tCoding\t"))
    assert load_compiled(cat, cache).catalog.competencies[ONET + "2.B.3.e"].name == "Coding"


# --- inheritance against a brute force --------------------------------------------------------

COURSES = ("C1", "C2", "C3", "C4")
URIS = ("u:a", "u:b", "u:c")


@st.composite
def rules(draw: st.DrawFn, depth: int = 0) -> dict[str, Any]:
    kinds = ["course", "courses"] + (["all", "any", "at_least"] if depth < 2 else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "course":
        return {"course": draw(st.sampled_from(COURSES))}
    if kind == "courses":
        ids = draw(st.lists(st.sampled_from(COURSES), min_size=1, max_size=4, unique=True))
        return {"courses": draw(st.integers(1, len(ids))), "from": {"ids": ids}}
    kids = draw(st.lists(rules(depth + 1), min_size=1, max_size=3))
    if kind == "at_least":
        return {"at_least": draw(st.integers(1, len(kids))), "of": kids}
    return {kind: kids}


def _holds(rule: dict[str, Any], have: set[str]) -> bool:
    """Whether ``rule`` holds with the courses ``have`` (each course usable by every leaf)."""
    if "course" in rule:
        return rule["course"] in have
    if "courses" in rule:
        return len(have & set(rule["from"]["ids"])) >= rule["courses"]
    if "all" in rule:
        return all(_holds(r, have) for r in rule["all"])
    if "any" in rule:
        return any(_holds(r, have) for r in rule["any"])
    return sum(_holds(r, have) for r in rule["of"]) >= rule["at_least"]


def _brute(rule: dict[str, Any], aligned: dict[str, dict[str, int | None]]) -> dict[str, int | None]:
    """A competency at level L is guaranteed when the rule fails with only the courses that lack
    it at L (``None``: aligned without a level, weaker than any level)."""
    out: dict[str, int | None] = {}
    if not _holds(rule, set(COURSES)):
        return out
    for uri in URIS:
        levels: list[int | None] = [None, *range(0, 4)]
        best: tuple[bool, int | None] = (False, None)
        for lv in levels:
            lacking = {
                c
                for c in COURSES
                if uri not in aligned[c] or (lv is not None and (aligned[c][uri] is None or aligned[c][uri] < lv))  # type: ignore[operator]
            }
            if not _holds(rule, lacking):
                best = (True, lv)
        if best[0]:
            out[uri] = best[1]
    return out


def _aligned_catalog(rule: dict[str, Any], aligned: dict[str, dict[str, int | None]]) -> Catalog:
    """One credential ``x`` with ``rule`` over COURSES, each course aligned as ``aligned`` says."""
    courses = {
        c: Course.model_validate(
            {
                "id": c,
                "title": c,
                "credits": 3,
                "competencies": [{"uri": u, "level": lv} for u, lv in aligned[c].items()],
            }
        )
        for c in COURSES
    }
    cred = Credential.model_validate({"id": "x", "type": "t", "title": "X", "requires": rule})
    fw = Framework.model_validate({"id": "f", "competencies": [{"uri": u, "statement": u} for u in URIS]})
    return Catalog(
        CatalogInfo(id="c", name="C"),
        Taxonomy(types={"t": CredentialType()}),
        courses,
        {"x": cred},
        frameworks={"f": fw},
        competencies={u: Competency(u, u, "f") for u in URIS},
    )


@settings(max_examples=300, deadline=None)
@given(
    rule=rules(),
    aligned=st.fixed_dictionaries(
        {c: st.dictionaries(st.sampled_from(URIS), st.none() | st.integers(0, 3), max_size=3) for c in COURSES}
    ),
)
def test_inherited_alignments_match_a_brute_force(
    rule: dict[str, Any], aligned: dict[str, dict[str, int | None]]
) -> None:
    catalog = _aligned_catalog(rule, aligned)
    assert credential_alignments(catalog)["x"] == _brute(rule, aligned)


def test_profile_counts_passing_dated_attempts_only() -> None:
    catalog, _d = read_catalog(SKILLS / "catalog")
    t = Transcript.model_validate(
        {
            "learner": {"id": "L"},
            "attempts": [
                {"course": "CSCI 1410", "date": dt.date(2024, 1, 1), "grade": "F"},
                {"course": "CSCI 1410", "date": dt.date(2024, 6, 1), "grade": "B"},
                {"course": "CSCI 1410", "date": dt.date(2025, 6, 1), "grade": "A"},
                {"course": "ISMG 2050", "date": dt.date(2030, 1, 1), "grade": "A"},
                {"course": "CSCI 2421", "status": "planned"},
            ],
        }
    )
    result = evaluate(catalog, t, dt.date(2026, 1, 1))
    assert result.skills is not None
    got = {(e.uri, tuple((v.id, v.since) for v in e.evidence)) for e in result.skills}
    assert got == {
        (ONET + "2.B.3.e", (("CSCI 1410", dt.date(2024, 6, 1)),)),
        (
            "https://case.example.edu/ims/case/v1p1/CFItems/6f1c2b2e-3f7a-4c55-9a43-0d7f5a0e2001",
            (("CSCI 1410", dt.date(2024, 6, 1)),),
        ),
    }


# --- reports ------------------------------------------------------------------------------------


def test_text_and_html_reports_show_the_profile(tmp_path: Path) -> None:
    ada = str(SKILLS / "transcripts" / "ada.yaml")
    _c, text, _e = run("evaluate", "--catalog", str(SKILLS / "catalog"), ada)
    block = text[text.index("Skills (") :].splitlines()
    assert block[0] == "Skills (7 current):"
    assert "  ✓ Programming (onet, level 4), since 2022-12-15: CSCI 1410, CSCI 2312, data-foundations," in block[4]
    out = tmp_path / "r.html"
    assert run("evaluate", "--catalog", str(SKILLS / "catalog"), "--format", "html", "-o", str(out), ada)[0] == 0
    html = out.read_text()
    row = html[html.index(f'data-competency="{ONET}2.B.3.e"') :].split("</tr>")[0]
    assert 'data-state="current"' in row and "<td>4</td>" in row and "(expired " in row
    _c, plain, _e = run(
        "evaluate", "--catalog", str(PLAIN), str(ROOT / "examples/example-university/transcripts/expired.yaml")
    )
    assert "\nSkills (" not in plain and "Skills: none" not in plain


def test_html_links_only_web_addresses(tmp_path: Path) -> None:
    cat = tmp_path / "c.yaml"
    cat.write_text(
        "frameworks:\n  - id: f\n    competencies:\n"
        "      - {uri: 'javascript:alert(1)', statement: S, name: '<b>x</b>'}\n"
        "      - {uri: 'https://e.org/a', statement: T}\n"
        "courses:\n  - {id: C 1, title: C, credits: 3, competencies: ['javascript:alert(1)', 'https://e.org/a']}\n"
    )
    t = tmp_path / "t.yaml"
    t.write_text("learner: {id: L}\nas_of: 2026-01-01\nattempts: [{course: C 1, date: 2025-01-01, grade: A}]\n")
    out = tmp_path / "r.html"
    assert run("evaluate", "--catalog", str(cat), "--format", "html", "-o", str(out), str(t))[0] == 0
    html = out.read_text()
    assert 'href="javascript' not in html and "&lt;b&gt;x&lt;/b&gt;" in html
    assert '<a href="https://e.org/a" rel="noopener">T</a>' in html


# --- carried outward ----------------------------------------------------------------------------

OB3_ALIGNMENT_KEYS = {
    "type",
    "targetName",
    "targetUrl",
    "targetDescription",
    "targetFramework",
    "targetCode",
    "targetType",
}


def test_ob3_achievement_aligns_with_competencies_and_required_credentials() -> None:
    from microcred.badges.ob3 import ALIGNMENT_TARGET_TYPES, achievement_id, build_achievement

    catalog, _d = read_catalog(SKILLS / "catalog")
    a = build_achievement(catalog, "data-foundations", base_url="https://example.edu/a")
    by_type: dict[str, list[dict[str, Any]]] = {}
    for x in a["alignment"]:
        assert set(x) <= OB3_ALIGNMENT_KEYS and x["type"] == ["Alignment"]
        assert isinstance(x["targetName"], str) and x["targetUrl"].startswith(("http://", "https://"))
        assert x["targetType"] in ALIGNMENT_TARGET_TYPES
        by_type.setdefault(x["targetType"], []).append(x)
    assert [x["targetCode"] for x in by_type["CFItem"]] == ["CO.2"]
    assert {x.get("targetCode") for x in by_type["ceasn:Competency"]} == {"2.A.1.e", "2.B.3.e", None}
    assert by_type["ceterms:Credential"] == [
        {
            "type": ["Alignment"],
            "targetName": "Python Programming",
            "targetUrl": achievement_id(catalog, "python-programming", "https://example.edu/a"),
            "targetCode": "python-programming",
            "targetType": "ceterms:Credential",
        }
    ]
    plain, _d = read_catalog(PLAIN)
    for c in plain.credentials:  # a catalogue without frameworks: only its own `alignments`
        assert len(build_achievement(plain, c).get("alignment", [])) == len(
            [x for x in plain.credentials[c].alignments if x.target_url]
        )


def test_ctdl_target_competencies_and_what_courses_teach() -> None:
    from microcred.badges.ctdl import export_ctdl

    catalog, _d = read_catalog(SKILLS / "catalog")
    graph = {n.get("ceterms:codedNotation"): n for n in export_ctdl(catalog).document["@graph"]}
    profiles = graph["data-foundations"]["ceterms:requires"]
    [competencies] = [p for p in profiles if "ceterms:targetCompetency" in p]
    cao = {c["ceterms:targetNode"]: c for c in competencies["ceterms:targetCompetency"]}
    assert cao[ONET + "2.B.3.e"] == {
        "@type": "ceterms:CredentialAlignmentObject",
        "ceterms:targetNode": ONET + "2.B.3.e",
        "ceterms:targetNodeName": {"en-US": "Programming"},
        "ceterms:targetNodeDescription": {"en-US": "Writing computer programs for various purposes."},
        "ceterms:frameworkName": {"en-US": "O*NET Skills"},
        "ceterms:codedNotation": "2.B.3.e",
    }
    assert competencies["@type"] == "ceterms:ConditionProfile" and competencies["ceterms:description"]
    teaches = [c["ceterms:targetNode"] for c in graph["ISMG 2050"]["ceterms:teaches"]]
    assert teaches == sorted(teaches) and len(teaches) == 2
    plain = json.dumps(export_ctdl(read_catalog(PLAIN)[0]).document)
    assert "targetCompetency" not in plain and "ceterms:teaches" not in plain


def test_ler_skills_section_holds_current_skills_only() -> None:
    from microcred.badges.competencies import ler_skills

    catalog, _d = read_catalog(SKILLS / "catalog")
    t = Transcript.model_validate(
        {
            "learner": {"id": "L"},
            "attempts": [{"course": "ISMG 2050", "date": dt.date(2024, 6, 1), "grade": "B"}],
            "awarded": [{"credential": "python-programming", "date": dt.date(2020, 1, 1)}],
        }
    )
    section = ler_skills(evaluate(catalog, t, dt.date(2026, 1, 1)))
    assert [s["name"] for s in section] == ["SQL", "Model data and query relational databases with SQL."]
    assert section[0] == {
        "name": "SQL",
        "description": "SQL",
        "id": "http://data.europa.eu/esco/skill/598de5b0-5b58-4ea7-8058-a4bc4d18c742",
        "framework": "esco",
        "validFrom": "2024-06-01",
        "validUntil": None,
        "evidence": [{"type": "course", "id": "ISMG 2050"}],
    }


def test_cli_export_skills(tmp_path: Path) -> None:
    ada = str(SKILLS / "transcripts" / "ada.yaml")
    out = tmp_path / "s.json"
    assert run("export", "skills", "--catalog", str(SKILLS / "catalog"), ada, "-o", str(out)) == (0, "", "")
    doc = json.loads(out.read_text())
    assert doc["learner"] == {"id": "S2001"} and len(doc["skills"]) == 7
    code, _o, err = run(
        "export", "skills", "--catalog", str(PLAIN), str(ROOT / "examples/example-university/transcripts/expired.yaml")
    )
    assert code == 1 and "no competency frameworks" in err


@pytest.mark.parametrize(
    ("repeats", "grades", "since"),
    [
        ("best", ["B", "F"], dt.date(2024, 1, 1)),  # the best attempt counts: passed since the first pass
        ("latest", ["B", "F"], None),  # the latest, failed, counts: not passed
        ("latest", ["F", "B"], dt.date(2024, 6, 1)),
        ("latest", ["B", "F", "A"], dt.date(2025, 1, 1)),  # passed again after a break
        ("best", ["W", "F"], None),
    ],
)
def test_a_course_is_passed_as_the_repeats_policy_counts_it(
    tmp_path: Path, repeats: str, grades: list[str], since: dt.date | None
) -> None:
    (tmp_path / "c.yaml").write_text(
        f"catalog: {{id: c, name: C, repeats: {repeats}}}\n"
        "frameworks:\n  - {id: f, competencies: [{uri: 'u:a', statement: A.}]}\n"
        "courses:\n  - {id: C 1, title: C, credits: 3, competencies: ['u:a']}\n"
    )
    catalog, _d = read_catalog(tmp_path / "c.yaml")
    days = [dt.date(2024, 1, 1), dt.date(2024, 6, 1), dt.date(2025, 1, 1)]
    t = Transcript.model_validate(
        {
            "learner": {"id": "L"},
            "attempts": [
                {"course": "C 1", "date": d, "grade": g} for d, g in zip(days[: len(grades)], grades, strict=True)
            ],
        }
    )
    skills = evaluate(catalog, t, dt.date(2026, 1, 1)).skills
    assert skills is not None
    assert [e.since for e in skills] == ([since] if since else [])


@settings(max_examples=60, deadline=None)
@given(
    rule=rules(),
    aligned=st.fixed_dictionaries(
        {c: st.dictionaries(st.sampled_from(URIS), st.none() | st.integers(0, 3), max_size=2) for c in COURSES}
    ),
    taken=st.dictionaries(st.sampled_from(COURSES), st.sampled_from(["A", "C", "F", "W"]), max_size=4),
)
def test_profile_matches_a_brute_force(
    rule: dict[str, Any], aligned: dict[str, dict[str, int | None]], taken: dict[str, str]
) -> None:
    """Current competencies: those of the courses passed, and those every way of earning an earned
    credential guarantees (brute force), at the highest level of any of them."""
    catalog = _aligned_catalog(rule, aligned)
    t = Transcript.model_validate(
        {
            "learner": {"id": "L"},
            "attempts": [{"course": c, "date": dt.date(2025, 1, 1), "grade": g} for c, g in taken.items()],
        }
    )
    result = evaluate(catalog, t, dt.date(2026, 1, 1))
    passed = {c for c, g in taken.items() if g in ("A", "C")}
    want: dict[str, list[int | None]] = {}
    for c in passed:
        for u, lv in aligned[c].items():
            want.setdefault(u, []).append(lv)
    if result.credentials["x"].status == "earned":
        for u, lv in _brute(rule, aligned).items():
            want.setdefault(u, []).append(lv)
    got = {e.uri: e.level for e in result.skills or [] if e.current}
    expect = {u: max((lv for lv in lvs if lv is not None), default=None) for u, lvs in want.items()}
    assert got == expect


def test_competency_nodes_in_evaluate_plan_and_ctdl(tmp_path: Path) -> None:
    from microcred.badges.ctdl import export_ctdl

    catalog, _d = read_catalog(SKILLS / "catalog")
    t = Transcript.model_validate(
        {"learner": {"id": "L"}, "attempts": [{"course": "CSCI 1410", "date": dt.date(2025, 1, 1), "grade": "A"}]}
    )
    r = evaluate(catalog, t, dt.date(2026, 1, 1)).credentials["programmer"]
    assert r.status == "partial"  # CSCI 1410 teaches Programming at 3 only
    assert r.requirements is not None
    first = r.requirements.children[0]
    assert (first.kind, first.description) == ("competency", "competency Programming at level 4+")
    assert [c.description for c in first.children][:2] == ["CSCI 2312", "credential python-programming"]
    t2 = t.model_copy(
        update={
            "attempts": [
                *t.attempts,
                *(Attempt(course=c, date=dt.date(2025, 6, 1), grade="B") for c in ("CSCI 2312", "ISMG 2050")),
            ]
        }
    )
    done = evaluate(catalog, t2, dt.date(2026, 1, 1)).credentials["programmer"]
    assert (done.status, done.earned_on) == ("earned", dt.date(2025, 6, 1))
    assert {(a.course, a.node) for a in done.applied if a.owner == "programmer"} == {
        ("CSCI 2312", "all[0].competency[0]"),
        ("ISMG 2050", "all[1].competency[0]"),
    }
    graph = {n.get("ceterms:codedNotation"): n for n in export_ctdl(catalog).document["@graph"]}
    first_profile = graph["programmer"]["ceterms:requires"][0]
    assert first_profile["ceterms:description"]["en-US"].startswith("Demonstrate Programming at level 4 or above")
    assert first_profile["ceterms:targetCompetency"][0]["ceterms:targetNode"] == ONET + "2.B.3.e"
