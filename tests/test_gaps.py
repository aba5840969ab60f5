"""Skill gaps: the learner's gap to an occupation or skill list and the cheapest courses that
close it (against a brute force over every set of courses), relation files, coverage, the CLI."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
import re
import shlex
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT
from hypothesis import HealthCheck, assume, event, given, note, settings
from hypothesis import strategies as st
from strategies import AS_OF, COMPETENCIES, COMPETENCY_URIS, DENSE, Case, build_catalog, build_transcript, cases
from test_plan import capped_cases

import microcred.analysis.gaps as gapsmod
from microcred.analysis.gaps import GapUnconfirmed, Need, coverage, gaps, occupation_target, skills_target
from microcred.checks.validate import validate_catalog
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
    assert doc["closing"] == {
        "credits": 3.0,
        "courses": ["CSCI 2421"],
        "credentials": [],
        "closes": [{"kind": "course", "id": "CSCI 2421", "competencies": [ONET_ELEMENT + "2.B.2.i"]}],
        "optimal": True,
    }
    assert len(doc["uncovered"]) == 1
    assert doc["unclosable"] == doc["uncovered"]
    cloud, solving = doc["missing"]
    assert (cloud["closable"], cloud["reason"]) == (False, "no course or credential of the catalogue aligns with it")
    assert (solving["closable"], solving["closed_with"], "reason" in solving) == (True, ["CSCI 2421"], False)


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


@st.composite
def gap_cases(draw: st.DrawFn) -> tuple[Case, list[str]]:
    """A small catalogue with competency alignments (courses, credentials, ``competency:``
    nodes; tests/strategies.py), more credentials aligned than there, and one to three needs."""
    case = draw(cases(COMPETENCIES))
    for course in case.catalog_spec["courses"]:  # fewer courses teach directly: more closing by credentials
        if draw(st.integers(0, 2)) == 2:
            course["competencies"] = []
    for cred in case.catalog_spec["credentials"]:
        if "competencies" not in cred and draw(st.integers(0, 2)) > 0:
            level = draw(st.sampled_from([None, 1, 2, 3]))
            uri = draw(st.sampled_from(COMPETENCY_URIS))
            cred["competencies"] = [uri if level is None else {"uri": uri, "level": level}]
    case.catalog = build_catalog(case.catalog_spec)
    attempts = case.transcript_spec["attempts"]  # a shorter record leaves more to close
    case.transcript_spec["attempts"] = attempts[: draw(st.integers(0, len(attempts)))]
    case.transcript = build_transcript(case.transcript_spec)
    needs = draw(st.lists(st.sampled_from(COMPETENCY_URIS), min_size=1, max_size=3, unique=True))
    return case, [u if (lv := draw(st.sampled_from([None, None, 1, 2, 3]))) is None else f"{u}@{lv}" for u in needs]


def _met(catalog: Any, t: Transcript, needs: tuple[Need, ...], extra: Sequence[str]) -> frozenset[str]:
    """The needs the evaluator finds met once ``extra`` are completed on AS_OF with an A."""
    more = [Attempt(course=c, date=AS_OF, grade="A") for c in extra]
    r = evaluate(catalog, t.model_copy(update={"attempts": [*t.attempts, *more]}), AS_OF, detail=False)
    profile = {e.uri: e for e in r.skills or []}
    return frozenset(n.uri for n in needs if n.met_by(profile.get(n.uri)))


def _brute_force(catalog: Any, t: Transcript, needs: tuple[Need, ...]) -> tuple[tuple[str, ...], frozenset[str]]:
    """Every set of courses, the best first by the closing's order: most needs met (keeping
    every need met now), then fewest credits, fewest courses, most of them in progress or
    planned, then the first sorted ids; the best set and the needs it meets."""
    now = _met(catalog, t, needs, ())
    pending = {a.course for a in t.attempts if a.status in ("in_progress", "planned")}
    courses = sorted(catalog.courses)
    scored = []
    for n in range(len(courses) + 1):
        for subset in itertools.combinations(courses, n):
            met = _met(catalog, t, needs, subset)
            if met >= now:
                credits = sum((Fraction(str(catalog.courses[c].credits)) for c in subset), Fraction(0))
                key = (-len(met), credits, len(subset), -len(pending & set(subset)), subset)
                scored.append((key, subset, met))
    _key, best, met = min(scored)
    return best, met


@settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
@given(gap_cases())
def test_the_closing_is_the_cheapest_set_of_courses(data: tuple[Case, list[str]]) -> None:
    case, refs = data
    assume(validate_catalog(case.catalog).valid)
    note(str(case))
    note(f"needs: {refs}")
    catalog, t = case.catalog, case.transcript
    assert len(catalog.courses) <= 5  # every one of the 2^5 sets is tried
    target = skills_target(catalog, refs)
    with gap_rejections() as rejected:
        report = gaps(catalog, t, target, AS_OF)
    assert rejected == [], rejected  # the joint model is exact: the evaluator confirms what it proposes
    now = _met(catalog, t, target.needs, ())
    best, met = _brute_force(catalog, t, target.needs)
    assert {g.uri for g in report.have} == now
    assert {g.uri for g in report.missing if g.closable} == met - now
    assert {g.uri for g in report.unclosable} == {n.uri for n in target.needs} - met
    for g in report.unclosable:
        assert g.reason
        event("not closable: " + ("no alignment" if not g.closers else "no credential can be earned"))
    event(f"{len(best)} course(s), {len(met - now)} closed, {len(report.unclosable)} not closable")
    if not best:
        assert report.closing is None
        return
    assert report.closing is not None and report.closing.optimal
    assert tuple(report.closing.courses) == best, f"closing {report.closing.courses}, brute force {best}"
    assert _met(catalog, t, target.needs, report.closing.courses) >= met  # checked again, independently
    if report.closing.credentials:
        event("a credential earned on the way")
    # what each closes is evidence of it: a course of the set or a credential earned with it
    for g in report.missing:
        if g.closable:
            assert g.closed_with and set(g.closed_with) <= set(best) | set(report.closing.credentials)
            if all(c in catalog.credentials for c in g.closed_with):
                event("closed by credentials only")


@contextmanager
def gap_rejections() -> Iterator[list[str]]:
    """The sets of courses the joint model proposed and the evaluator rejected."""
    seen: list[str] = []
    real = gapsmod._verify

    def spy(*args: Any, **kwargs: Any) -> Any:
        out = real(*args, **kwargs)
        if not isinstance(out, gapsmod.Closing):
            seen.append(out.text)
        return out

    gapsmod._verify = spy  # type: ignore[assignment]
    try:
        yield seen
    finally:
        gapsmod._verify = real  # type: ignore[assignment]


@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
@given(capped_cases(), st.booleans())
def test_the_closing_is_the_cheapest_under_caps(case: Case, both: bool) -> None:
    """A credential with caps (prior learning, courses shared with another credential) is the
    only one aligned with u:a; now and then the credential it shares with is the only one
    aligned with u:b and both are needed. The joint model applies the caps as planning does:
    learned from the evaluator when what the other credential counts depends on the courses."""
    spec = case.catalog_spec
    spec["frameworks"] = [
        {"id": "f", "competencies": [{"uri": u, "statement": f"Competency {u}"} for u in COMPETENCY_URIS]}
    ]
    creds = {c["id"]: c for c in spec["credentials"]}
    creds["target"]["competencies"] = ["u:a"]
    refs = ["u:a"]
    if both:
        creds["other"]["competencies"] = ["u:b"]
        refs.append("u:b")
    catalog = build_catalog(spec)
    assume(validate_catalog(catalog).valid)
    note(str(case))
    t = case.transcript
    assert len(catalog.courses) <= 5
    target = skills_target(catalog, refs)
    try:
        report = gaps(catalog, t, target, AS_OF)
    except GapUnconfirmed:
        event("gave up")  # only a cap learned from the evaluator can make the model propose in vain
        assert "shared_with" in json.dumps(creds["target"].get("limits", {}))
        return
    best, met = _brute_force(catalog, t, target.needs)
    event(f"{len(best)} course(s), {len(report.unclosable)} not closable")
    assert {g.uri for g in report.unclosable} == {n.uri for n in target.needs} - met
    if not best:
        assert report.closing is None
        return
    assert report.closing is not None
    assert tuple(report.closing.courses) == best, f"closing {report.closing.courses}, brute force {best}"


# --- the worked example of docs/competencies.md, and the hand-written corners ---------------------

DOC = (ROOT / "docs" / "competencies.md").read_text(encoding="utf-8")
NEW = "learner: {id: S3001}\nas_of: 2026-06-01\n"


def _doc_catalogue(tmp_path: Path) -> Path:
    (block,) = [
        b
        for b in re.findall(r"^```yaml\n(.*?)^```", DOC, flags=re.M | re.S)
        if b.startswith("# catalogue: competencies closed by a course")
    ]
    (tmp_path / "catalog.yaml").write_text(block, encoding="utf-8")
    (tmp_path / "new.yaml").write_text(NEW, encoding="utf-8")
    return tmp_path / "catalog.yaml"


def test_the_documented_gap_examples_print_what_the_page_shows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _doc_catalogue(tmp_path)
    monkeypatch.chdir(tmp_path)
    shown = re.findall(r"^```\n\$ (microcred gaps .*?)\n(.*?)^```", DOC, flags=re.M | re.S)
    assert len(shown) == 2
    for command, output in shown:
        code, out, err = run(*shlex.split(command)[1:])
        assert (code, err) == (0, "")
        assert out == output, command


def test_a_competency_only_credentials_teach_under_exclusivity(tmp_path: Path) -> None:
    """*pipelines* requires two badges inline that could each be earned with DATA 1010: inside
    it the course counts toward one of them only, so closing it takes a second course; the
    badges on their own share DATA 1010 (no exclusivity across credentials)."""
    catalog, _d = read_catalog(_doc_catalogue(tmp_path))
    t = Transcript.model_validate({"learner": {"id": "S"}})
    day = dt.date(2026, 6, 1)
    report = gaps(catalog, t, skills_target(catalog, ["skills:pipelines"]), day)
    assert report.closing is not None
    assert (report.closing.courses, report.closing.credits) == (["DATA 1010", "DATA 1020"], 4.0)
    assert report.closing.credentials == ["analysis", "pipelines", "wrangling"]
    assert report.closing.closes == [("credential", "pipelines", ["https://example.edu/skills/pipelines"])]
    (item,) = report.missing
    assert (item.closable, item.closed_with, item.closers) == (True, ["pipelines"], ["pipelines"])
    both = gaps(catalog, t, skills_target(catalog, ["skills:cleaning", "skills:statistics"]), day)
    assert both.closing is not None and both.closing.courses == ["DATA 1010"]
    assert both.closing.credentials == ["analysis", "wrangling"]
    # a learner who has DATA 1030 needs only DATA 1010: the badges then take one course each
    had = Transcript.model_validate(
        {"learner": {"id": "S"}, "attempts": [{"course": "DATA 1030", "date": "2025-05-01", "grade": "B"}]}
    )
    report = gaps(catalog, had, skills_target(catalog, ["skills:pipelines"]), day)
    assert report.closing is not None and report.closing.courses == ["DATA 1010"]
    assert report.closing.credentials == ["pipelines", "wrangling"]  # analysis was earned with DATA 1030


def test_competencies_that_cannot_be_closed_say_why(tmp_path: Path) -> None:
    catalog, _d = read_catalog(_doc_catalogue(tmp_path))
    t = Transcript.model_validate({"learner": {"id": "S"}})
    day = dt.date(2026, 6, 1)
    target = skills_target(catalog, ["skills:teamwork", "skills:ethics", "skills:sql@3"])
    report = gaps(catalog, t, target, day)
    assert report.closing is None
    reasons = {g.uri.rsplit("/", 1)[-1]: g.reason for g in report.unclosable}
    assert reasons == {
        "teamwork": "capstone cannot be earned: Team Capstone has no rule to meet: it can only be awarded",
        "ethics": "no course or credential of the catalogue aligns with it",
        "sql": "the catalogue teaches it only below level 3: DATA 2010 (level 2), DATA 2020 (level 1)",
    }
    doc = report.to_json()
    assert doc["closing"] is None and len(doc["unclosable"]) == 3
    assert {g["uri"] for g in doc["missing"] if not g["closable"]} == set(doc["unclosable"])
    # an expired credential cannot be earned again: the planner's reason is given
    spent = Transcript.model_validate(
        {
            "learner": {"id": "S"},
            "awarded": [{"credential": "capstone", "date": "2020-01-01", "expires_on": "2022-01-01"}],
        }
    )
    (item,) = gaps(catalog, spent, skills_target(catalog, ["skills:teamwork"]), day).unclosable
    assert item.reason is not None and item.reason.startswith("capstone cannot be earned: it is held by an award")


def test_the_python_example_of_the_page_runs(tmp_path: Path) -> None:
    (code,) = [b for b in re.findall(r"^```python\n(.*?)^```", DOC, flags=re.M | re.S) if "skills_target(catalog" in b]
    catalog, _d = read_catalog(_doc_catalogue(tmp_path))
    learner = Transcript.model_validate({"learner": {"id": "S3001"}, "as_of": "2026-06-01"})
    namespace: dict[str, Any] = {"catalog": catalog, "learner": learner}
    exec(compile(code, "docs/competencies.md", "exec"), namespace)
    report = namespace["report"]
    assert report.closing.courses == ["DATA 1010", "DATA 1020", "DATA 2010"]
    assert report.closing.credentials == ["analysis", "pipelines", "wrangling"]


def test_a_search_out_of_time_gives_its_set_as_not_proven(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A solve that stops at the time limit with a set in hand (FEASIBLE): the set is given,
    checked by the evaluator, marked not proven the cheapest, and the command exits 3."""
    from ortools.sat.python import cp_model

    _doc_catalogue(tmp_path)
    real = gapsmod._solve
    calls = []

    def stopped_at_second(model: Any, watched: Any) -> Any:
        status, values = real(model, watched)
        calls.append(status)
        return (cp_model.FEASIBLE, values) if len(calls) == 2 else (status, values)

    monkeypatch.setattr(gapsmod, "_solve", stopped_at_second)
    argv = ["gaps", "--catalog", str(tmp_path / "catalog.yaml"), str(tmp_path / "new.yaml")]
    code, out, err = run(*argv, "--skills", "skills:pipelines", "--format", "json")
    assert code == 3 and "a cheaper set may exist" in err and "S3001" in err
    closing = json.loads(out)["closing"]
    assert closing["optimal"] is False and closing["credentials"] == ["analysis", "pipelines", "wrangling"]
    calls.clear()
    code, out, _e = run(*argv, "--skills", "skills:pipelines")
    assert code == 3 and "(not proven the cheapest: the search ran out of time)" in out

    def nothing_in_time(model: Any, watched: Any) -> Any:
        return cp_model.UNKNOWN, {}

    monkeypatch.setattr(gapsmod, "_solve", nothing_in_time)
    code, out, err = run(*argv, "--skills", "skills:pipelines")
    assert (code, out) == (3, "")
    assert "found no set of courses within the time limit (60 s)" in err


def test_a_search_the_evaluator_keeps_rejecting_gives_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _doc_catalogue(tmp_path)
    seen: list[frozenset[str]] = []

    def reject(*args: Any) -> Any:
        seen.append(args[4])
        return gapsmod._Rejected(f"rejected {len(seen)}", set())

    monkeypatch.setattr(gapsmod, "_verify", reject)
    catalog, _d = read_catalog(tmp_path / "catalog.yaml")
    t = Transcript.model_validate({"learner": {"id": "S"}})
    with pytest.raises(GapUnconfirmed, match=r"rejected 3 sets .*the first: rejected 1"):
        gaps(catalog, t, skills_target(catalog, ["skills:pipelines"]), dt.date(2026, 6, 1), max_rejected=3)
    # each rejected set is excluded: the next is another set
    assert seen[:2] == [frozenset({"DATA 1010", "DATA 1020"}), frozenset({"DATA 1010", "DATA 1030"})]
    code, out, err = run(
        "gaps", "--catalog", str(tmp_path / "catalog.yaml"), str(tmp_path / "new.yaml"), "--skills", "skills:pipelines"
    )
    # (the three courses that can matter make eight sets, all rejected)
    assert (code, out) == (3, "") and "closing the gap gave up after the evaluator rejected 8 sets" in err


def test_a_credential_first_met_long_ago_is_dropped_once_found_expired(tmp_path: Path) -> None:
    """*refresher* (valid for a year) was met in 2020 by an A in CSCI 1000, no longer counted
    (a later F counts, `repeats: latest`). Retaking the course meets it again, but its earned_on
    stays 2020: it comes out expired. The search drops it after that one rejection and closes
    the competency with the only course that teaches it; asked for the credential's competency
    alone, it says why it cannot be closed."""
    (tmp_path / "c.yaml").write_text(
        "catalog: {id: x, name: X, repeats: latest}\n"
        "frameworks:\n  - id: f\n    competencies:\n"
        "      - {uri: 'u:a', statement: A.}\n      - {uri: 'u:b', statement: B.}\n"
        "taxonomy: {types: {badge: {}}}\n"
        "courses:\n  - {id: CSCI 1000, title: One, credits: 1}\n  - {id: CSCI 1100, title: Two, credits: 1}\n"
        "  - {id: CSCI 3000, title: Three, credits: 4, competencies: ['u:a']}\n"
        "credentials:\n  - {id: refresher, type: badge, title: Refresher, valid_for: {years: 1},\n"
        "     competencies: ['u:a', 'u:b'], requires: {course: CSCI 1000}}\n",
        encoding="utf-8",
    )
    catalog, diags = read_catalog(tmp_path / "c.yaml")
    assert [d for d in diags if d.is_error] == []
    t = Transcript.model_validate(
        {
            "learner": {"id": "S"},
            "attempts": [
                {"course": "CSCI 1000", "date": "2020-01-10", "grade": "A"},
                {"course": "CSCI 1000", "date": "2025-01-10", "grade": "F"},
            ],
        }
    )
    with gap_rejections() as rejected:
        report = gaps(catalog, t, skills_target(catalog, ["u:a"]), DAY)
    assert len(rejected) == 1 and "CSCI 1000" in rejected[0]
    assert report.closing is not None and report.closing.courses == ["CSCI 3000"]
    (item,) = gaps(catalog, t, skills_target(catalog, ["u:b"]), DAY).unclosable
    assert item.reason is not None
    assert item.reason.startswith("refresher cannot be earned: the record met it on 2020-01-10 and it expired")


@st.composite
def stacked_cases(draw: st.DrawFn) -> tuple[Case, list[str]]:
    """Contested stacking (tests/strategies.py DENSE: inline credentials, ``min_grade``,
    windows, shared leaves, GPA floors, awards) where only credentials teach: each credential
    aligns with a competency of its own (and inherits those of the credentials its rule cannot
    do without); one to three of them are needed, now and then at a level."""
    case = draw(cases(DENSE))
    spec = case.catalog_spec
    uris = [f"u:{c['id']}" for c in spec["credentials"]]
    spec["frameworks"] = [
        {"id": "f", "levels": {"min": 1, "max": 3}, "competencies": [{"uri": u, "statement": u} for u in uris]}
    ]
    for cred in spec["credentials"]:
        level = draw(st.sampled_from([None, None, 2]))
        cred["competencies"] = [f"u:{cred['id']}" if level is None else {"uri": f"u:{cred['id']}", "level": level}]
    case.catalog = build_catalog(spec)
    attempts = case.transcript_spec["attempts"]
    case.transcript_spec["attempts"] = attempts[: draw(st.integers(0, len(attempts)))]
    case.transcript = build_transcript(case.transcript_spec)
    needs = draw(st.lists(st.sampled_from(uris), min_size=1, max_size=3, unique=True))
    return case, [u if (lv := draw(st.sampled_from([None, None, 1, 2, 3]))) is None else f"{u}@{lv}" for u in needs]


@settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
@given(stacked_cases())
def test_the_closing_is_the_cheapest_when_only_credentials_teach(data: tuple[Case, list[str]]) -> None:
    case, refs = data
    assume(validate_catalog(case.catalog).valid)
    note(str(case))
    note(f"needs: {refs}")
    catalog, t = case.catalog, case.transcript
    assert len(catalog.courses) <= 5
    target = skills_target(catalog, refs)
    with gap_rejections() as rejected:
        report = gaps(catalog, t, target, AS_OF)
    now = _met(catalog, t, target.needs, ())
    best, met = _brute_force(catalog, t, target.needs)
    event(f"{len(best)} course(s), {len(report.closing.credentials) if report.closing else 0} credential(s) earned")
    assert rejected == [], rejected  # no caps here: the joint model is exact
    assert {g.uri for g in report.have} == now
    assert {g.uri for g in report.missing if g.closable} == met - now
    assert all(g.reason for g in report.unclosable)
    if not best:
        assert report.closing is None
        return
    assert report.closing is not None and report.closing.optimal
    assert tuple(report.closing.courses) == best, f"closing {report.closing.courses}, brute force {best}"
