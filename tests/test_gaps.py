"""Skill gaps: the learner's gap to an occupation or skill list and the cheapest courses that
close it (against a brute force over every set of courses), relation files, coverage, the CLI."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microcred.analysis.gaps import Need, coverage, gaps, occupation_target, skills_target
from microcred.cli import main
from microcred.io.frameworks import ONET_ELEMENT, ONET_OCCUPATION, read_framework_text
from microcred.io.loader import read_catalog
from microcred.io.transcript import Attempt, Transcript
from microcred.rules.evaluate import evaluate

SKILLS = ROOT / "examples" / "skills"
ADA = SKILLS / "transcripts" / "ada.yaml"
DAY = dt.date(2026, 1, 1)


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_the_example_learner_and_the_software_developer() -> None:
    code, out, err = run(
        "gaps", "--catalog", str(SKILLS / "catalog"), str(ADA), "--occupation", "15-1252.00", "--format", "json"
    )
    assert code == 0, err
    doc = json.loads(out)
    assert doc["target"]["title"] == "Software Developers"
    assert [g["required_level"] for g in doc["have"]] == [None, 4]
    missing = {g["uri"].rsplit("/", 1)[-1]: g["closed_by"] for g in doc["missing"]}
    assert missing == {"6f1c2b2e-3f7a-4c55-9a43-0d7f5a0e2003": [], "2.B.2.i": ["CSCI 2421"]}
    assert doc["closing"] == {"credits": 3.0, "courses": ["CSCI 2421"], "credentials": []}
    assert len(doc["uncovered"]) == 1


def test_a_new_learner_earns_credentials_on_the_way() -> None:
    catalog, _d = read_catalog(SKILLS / "catalog")
    report = gaps(
        catalog, Transcript.model_validate({"learner": {"id": "N"}}), occupation_target(catalog, "15-1252.00"), DAY
    )
    assert report.closing is not None
    assert (report.closing.courses, report.closing.credits) == (["CSCI 2312", "CSCI 2421", "ISMG 2050"], 9.0)
    assert report.closing.credentials == ["data-foundations", "programmer", "python-programming"]


def test_skill_lists_levels_and_bad_targets() -> None:
    catalog, _d = read_catalog(SKILLS / "catalog")
    t = skills_target(catalog, ["onet:2.B.3.e@3", "onet:2.B.3.e@5", "outcomes:CO.1"])
    assert t.needs == (
        Need("https://case.example.edu/ims/case/v1p1/CFItems/6f1c2b2e-3f7a-4c55-9a43-0d7f5a0e2001"),
        Need(ONET_ELEMENT + "2.B.3.e", 5),
    )
    for argv, fragment in [
        (["--skills", "onet:2.B.3.e@x"], "is not a whole number"),
        (["--skills", ","], "the skill list is empty"),
        (["--occupation", "15-2051.00"], "lists no competency it needs"),
    ]:
        code, _o, err = run("gaps", "--catalog", str(SKILLS / "catalog"), str(ADA), *argv)
        assert code == 2 and fragment in err and "; " in err, err
    code, _o, err = run("gaps", "--catalog", str(SKILLS / "catalog"), "--occupation", "15-1252.00")
    assert code == 2 and "TRANSCRIPT" in err
    code, _o, err = run("gaps", "--catalog", str(ROOT / "catalog" / "example-university"), "--coverage")
    assert code == 2 and "no competency frameworks" in err


def test_coverage_of_occupations() -> None:
    code, out, _e = run("gaps", "--catalog", str(SKILLS / "catalog"), "--coverage", "--format", "json")
    assert code == 0
    [row] = json.loads(out)
    assert row["occupation"]["code"] == "15-1252.00" and row["needs"] == 4
    assert [u.rsplit("/", 1)[-1] for u in row["uncovered"]] == ["6f1c2b2e-3f7a-4c55-9a43-0d7f5a0e2003"]
    text = run("gaps", "--catalog", str(SKILLS / "catalog"), "--coverage")[1]
    assert text.startswith("Software Developers (15-1252.00): 3 of 4 needs taught\n")


def test_relation_files_give_occupations_their_needs(tmp_path: Path) -> None:
    # made-up ratings in the shape of O*NET's Skills.txt (not O*NET's figures)
    onet = (
        "O*NET-SOC Code\tElement ID\tElement Name\tScale ID\tData Value\tN\n"
        "15-1252.00\t2.B.3.e\tProgramming\tIM\t4.5\t8\n"
        "15-1252.00\t2.B.3.e\tProgramming\tLV\t4.5\t8\n"
        "15-1252.00\t2.A.1.e\tMathematics\tIM\t2.9\t8\n"
        "15-1252.00\t2.A.1.e\tMathematics\tLV\t3.2\t8\n"
    )
    data = read_framework_text(onet, "onet")
    assert data.needs == [(ONET_OCCUPATION + "15-1252.00", ONET_ELEMENT + "2.B.3.e", 5)]
    esco = (
        "occupationUri,relationType,skillType,skillUri\n"
        "http://data.europa.eu/esco/occupation/o,essential,knowledge,http://data.europa.eu/esco/skill/a\n"
        "http://data.europa.eu/esco/occupation/o,optional,knowledge,http://data.europa.eu/esco/skill/b\n"
    )
    assert read_framework_text(esco, "esco").needs == [
        ("http://data.europa.eu/esco/occupation/o", "http://data.europa.eu/esco/skill/a", None)
    ]
    (tmp_path / "r.txt").write_text(onet)
    (tmp_path / "c.yaml").write_text(
        "frameworks:\n  - {id: soc, source: r.txt}\n  - id: o\n    levels: {min: 0, max: 7}\n"
        "    competencies: [{uri: '" + ONET_ELEMENT + "2.B.3.e', statement: Programming.}]\n"
        "courses:\n  - {id: C 1, title: C, credits: 3, competencies: [{uri: '"
        + ONET_ELEMENT
        + "2.B.3.e', level: 5}]}\n"
    )
    catalog, diags = read_catalog(tmp_path / "c.yaml")
    assert diags == []
    occ = catalog.occupations[ONET_OCCUPATION + "15-1252.00"]
    assert (occ.code, occ.needs) == ("15-1252.00", ((ONET_ELEMENT + "2.B.3.e", 5),))
    assert coverage(catalog)[0].covered == [ONET_ELEMENT + "2.B.3.e"]
    with pytest.raises(Exception, match="not a number"):
        read_framework_text(onet.replace("4.5\t8\n", "x\t8\n", 1), "onet")


# --- the cheapest closing against a brute force --------------------------------------------------

COURSES = ("C1", "C2", "C3", "C4", "C5")
URIS = ("u:a", "u:b", "u:c", "u:x")


@st.composite
def cases(draw: st.DrawFn) -> tuple[dict[str, Any], list[str], list[tuple[str, int | None]]]:
    courses = []
    for c in COURSES:
        al = draw(st.dictionaries(st.sampled_from(URIS[:3]), st.none() | st.integers(1, 3), max_size=2))
        courses.append(
            {
                "id": c,
                "title": c,
                "credits": draw(st.sampled_from([1, 2, 3, 4])),
                "competencies": [{"uri": u, "level": lv} if lv else u for u, lv in al.items()],
            }
        )
    inner = draw(st.lists(st.sampled_from(COURSES), min_size=1, max_size=2, unique=True))
    spec = {
        "frameworks": [
            {"id": "f", "levels": {"min": 1, "max": 3}, "competencies": [{"uri": u, "statement": u} for u in URIS]}
        ],
        "taxonomy": {"types": {"badge": {}}},
        "courses": courses,
        "credentials": [
            {
                "id": "k",
                "type": "badge",
                "title": "K",
                "competencies": ["u:x"],
                "requires": {"all": [{"course": c} for c in inner]},
            }
        ],
    }
    passed = draw(st.lists(st.sampled_from(COURSES), max_size=2, unique=True))
    needs = draw(
        st.lists(
            st.tuples(st.sampled_from(URIS), st.none() | st.integers(1, 3)),
            min_size=1,
            max_size=3,
            unique_by=lambda n: n[0],
        )
    )
    return spec, passed, needs


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases())
def test_the_closing_is_the_cheapest_set_of_courses(case: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    import yaml

    spec, passed, needs = case
    root = tmp_path_factory.mktemp("gap")
    (root / "c.yaml").write_text(yaml.safe_dump(spec))
    catalog, diags = read_catalog(root / "c.yaml")
    assert [d for d in diags if d.is_error] == []
    t = Transcript.model_validate(
        {"learner": {"id": "L"}, "attempts": [{"course": c, "date": dt.date(2025, 1, 1), "grade": "B"} for c in passed]}
    )
    target = skills_target(catalog, [f"{u}@{lv}" if lv else u for u, lv in needs])
    report = gaps(catalog, t, target, DAY)

    def met(extra: tuple[str, ...]) -> set[str]:
        more = [Attempt(course=c, date=DAY, grade="A") for c in extra]
        r = evaluate(catalog, t.model_copy(update={"attempts": [*t.attempts, *more]}), DAY, detail=False)
        profile = {e.uri: e for e in r.skills or []}
        return {n.uri for n in target.needs if n.met_by(profile.get(n.uri))}

    fresh = [c for c in COURSES if c not in passed]
    now, best_possible = met(()), met(tuple(fresh))
    assert {g.uri for g in report.have} == now
    assert {g.uri for g in report.missing if g.closers} == best_possible - now
    credits = {c["id"]: Fraction(c["credits"]) for c in spec["courses"]}
    cheapest = min(
        (
            (sum(credits[c] for c in s), len(s), s)
            for n in range(len(fresh) + 1)
            for s in itertools.combinations(fresh, n)
            if met(s) >= best_possible
        ),
    )
    if best_possible == now:
        assert report.closing is None
    else:
        assert report.closing is not None
        assert (Fraction(str(report.closing.credits)), len(report.closing.courses)) == cheapest[:2]
        assert met(tuple(report.closing.courses)) >= best_possible
