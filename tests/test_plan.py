"""Planning: the cheapest further courses that earn a credential, and stack pathways.

* On the example catalogue, every proposed set (the cheapest and each alternative) earns the
  target when its courses are added to the transcript, as the evaluator itself says.
* On small random catalogues and transcripts (tests/strategies.py), brute force over every
  subset of the catalogue's courses finds no cheaper set, and the plan is the first set in
  the documented order (credits, courses, courses already in progress or planned, ids).
* Impossible plans name the requirement and the reason; unknown targets suggest a name.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml
from conftest import EXAMPLE, ROOT
from hypothesis import HealthCheck, assume, event, given, note, settings
from hypothesis import strategies as st
from strategies import (
    AS_OF,
    AWARDS,
    DATES,
    DENSE,
    RETAKES,
    Case,
    Profile,
    build_catalog,
    build_transcript,
    cases,
    catalog_specs,
    rarely,
    transcript_specs,
)

import microcred.analysis.plan as planmod
from microcred import load_catalog
from microcred.analysis.plan import CourseSet, PlanError, PlanUnconfirmed, UnknownCredential, pathways, plan, top_grade
from microcred.checks.validate import validate_catalog
from microcred.cli import main
from microcred.io.loader import read_catalog
from microcred.io.transcript import Attempt, Transcript, TranscriptSource, read_transcripts
from microcred.model.catalog import Catalog
from microcred.rules.compiled import CompiledCatalog
from microcred.rules.evaluate import compile_catalog, evaluate

TRANSCRIPTS = sorted((ROOT / "examples/example-university/transcripts").glob("*.yaml"))


@pytest.fixture(scope="module")
def example() -> CompiledCatalog:
    return compile_catalog(load_catalog(EXAMPLE))


def _source(path: Path) -> TranscriptSource:
    (src,) = [s for s in read_transcripts(path) if isinstance(s, TranscriptSource)]
    return src


def _with(t: Transcript, courses: list[str], day: dt.date, grade: str) -> Transcript:
    new = [Attempt(course=c, date=day, grade=grade) for c in courses]
    return t.model_copy(update={"attempts": [*t.attempts, *new]})


def _earns(catalog: Catalog | CompiledCatalog, t: Transcript, target: str, courses: list[str], day: dt.date) -> bool:
    cc = compile_catalog(catalog)
    top = top_grade(cc.scale)
    assert top is not None
    r = evaluate(cc, _with(t, courses, day, top.name), day, credentials=[target], detail=False)
    return r.credentials[target].status == "earned"


@contextmanager
def rejections() -> Iterator[list[str]]:
    """Sets the model proposed and the evaluator rejected (the model is exact: none)."""
    seen: list[str] = []
    real = planmod._verify

    def spy(*args: Any, **kwargs: Any) -> Any:
        out = real(*args, **kwargs)
        if isinstance(out, str) and not out.startswith("!"):
            seen.append(out)
        return out

    with mock.patch.object(planmod, "_verify", spy):
        yield seen


def _check_options(options: list[CourseSet]) -> None:
    """Alternatives come cheapest first, distinct, none a superset of an earlier set."""
    keys = [(Fraction(str(o.credits)), len(o)) for o in options]
    assert keys == sorted(keys)
    for i, later in enumerate(options):
        for earlier in options[:i]:
            assert not set(earlier.ids) <= set(later.ids), (earlier.ids, later.ids)


# --------------------------------------------------------------------------- example catalogue


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=[p.stem for p in TRANSCRIPTS])
def test_every_proposed_set_earns_its_target(example: CompiledCatalog, path: Path) -> None:
    src = _source(path)
    day = src.transcript.as_of
    assert day is not None
    with rejections() as rejected:
        for target in example.credentials:
            try:
                p = plan(example, src, target, alternatives=2)
            except PlanError as exc:
                assert "expired" in exc.reason, exc  # the only impossible ones in the examples
                continue
            now = evaluate(example, src, day, credentials=[target]).credentials[target]
            assert p.status == now.status
            if p.already_earned:
                assert p.best.ids == [] and p.alternatives == []
                continue
            assert p.best.ids, target
            _check_options(p.options)
            for option in p.options:
                assert _earns(example, src.transcript, target, option.ids, day), (target, option.ids)
    assert rejected == []


def test_plan_for_the_bachelor_degree(example: CompiledCatalog) -> None:
    src = _source(ROOT / "examples/example-university/transcripts/earned-certificate.yaml")
    p = plan(example, src, "bas-information-systems")
    assert p.status == "partial"
    # 120 credits are needed in all; Maya has 29 and her courses are all useful
    assert p.best.credits == 91
    assert len(p.alternatives) == 3
    first = p.best.courses[0]
    assert first.counts_toward and all(isinstance(n, str) for n in first.counts_toward)
    # taking one course fewer never earns it
    for drop in p.best.ids:
        rest = [c for c in p.best.ids if c != drop]
        assert not _earns(example, src.transcript, "bas-information-systems", rest, p.as_of)


def test_a_course_passed_below_the_minimum_grade_is_retaken(example: CompiledCatalog) -> None:
    # Priya's ISMG 3600 (C-) is below software-development's C: the database course is open
    src = _source(ROOT / "examples/example-university/transcripts/partial.yaml")
    p = plan(example, src, "software-development", alternatives=3)
    assert p.best.credits == 6 and len(p.best) == 2
    retakes = [c for o in p.options for c in o.courses if c.course == "ISMG 3600"]
    assert retakes and all(c.retake for c in retakes)


def test_courses_in_progress_come_first_among_equals(example: CompiledCatalog) -> None:
    src = _source(ROOT / "examples/example-university/transcripts/in-progress.yaml")
    p = plan(example, src, "cloud-computing-essentials")
    assert [(c.course, c.pending) for c in p.best.courses] == [("CSCI 3800", "in_progress")]
    p = plan(example, src, "technical-writing")
    assert [(c.course, c.pending) for c in p.best.courses] == [("ENGL 3154", "in_progress")]
    p = plan(example, src, "cybersecurity-essentials", alternatives=0)
    assert ("ISMG 4300", "planned") in [(c.course, c.pending) for c in p.best.courses]


def test_already_earned(example: CompiledCatalog) -> None:
    src = _source(ROOT / "examples/example-university/transcripts/earned-certificate.yaml")
    p = plan(example, src, "data-analytics-certificate")
    assert p.already_earned and p.best.ids == [] and p.best.earned_on == dt.date(2026, 5, 8)


def test_plans_are_deterministic(example: CompiledCatalog) -> None:
    src = _source(ROOT / "examples/example-university/transcripts/repeats-and-transfer.yaml")
    a = plan(example, src, "aas-information-technology").to_json()
    b = plan(compile_catalog(load_catalog(EXAMPLE)), src, "aas-information-technology").to_json()
    assert a == b


def test_expired_credentials_cannot_be_planned(example: CompiledCatalog) -> None:
    src = _source(ROOT / "examples/example-university/transcripts/expired.yaml")
    with pytest.raises(PlanError, match="expired on 2024-12-16"):
        plan(example, src, "cloud-foundations")
    with pytest.raises(PlanError, match=r"award .*expired on 2024-06-01"):
        plan(example, src, "aws-cloud-practitioner")


def test_unknown_target(example: CompiledCatalog) -> None:
    src = _source(TRANSCRIPTS[0])
    with pytest.raises(UnknownCredential, match="did you mean 'bas-information-systems'"):
        plan(example, src, "bas-information-system")
    with pytest.raises(UnknownCredential):
        pathways(example, "no-such-thing")


# --------------------------------------------------------------------------- small catalogues

BASE: dict[str, Any] = {
    "catalog": {"id": "t", "name": "T"},
    "taxonomy": {"types": {"badge": {"stacks_into": ["certificate"]}, "certificate": {}}},
    "courses": [
        {"id": "CSCI 1410", "title": "Fundamentals", "credits": 3},
        {"id": "CSCI 1411", "title": "Lab", "credits": 1},
        {"id": "CSCI 2312", "title": "Intermediate", "credits": 3},
        {"id": "CSCI 2421", "title": "Data Structures", "credits": 3},
        {"id": "CSCI 3287", "title": "Databases", "credits": 4},
        {"id": "STAT 3001", "title": "Regression", "credits": 3},
        {"id": "STAT 3010", "title": "Experiments", "credits": 3},
        {"id": "STAT 4010", "title": "Bayes", "credits": 3},
    ],
}


def _catalog(tmp_path: Path, credentials: list[dict[str, Any]], *, valid: bool = True) -> Catalog:
    (tmp_path / "catalog.yaml").write_text(yaml.safe_dump({**BASE, "credentials": credentials}), encoding="utf-8")
    catalog, diagnostics = read_catalog(tmp_path)
    report = validate_catalog(catalog, diagnostics)
    if valid:
        assert report.valid, [str(d) for d in report.errors]
    return catalog


def _transcript(attempts: list[dict[str, Any]], awarded: list[dict[str, Any]] | None = None) -> Transcript:
    return Transcript.model_validate(
        {"learner": {"id": "L"}, "as_of": "2026-01-01", "attempts": attempts, "awarded": awarded or []}
    )


def test_inline_credentials_consume_their_courses(tmp_path: Path) -> None:
    catalog = _catalog(
        tmp_path,
        [
            {
                "id": "python",
                "type": "badge",
                "title": "Python",
                "min_grade": "C",
                "requires": {"all": [{"course": "CSCI 1410"}, {"course": "CSCI 1411"}]},
            },
            {
                "id": "cert",
                "type": "certificate",
                "title": "Cert",
                "requires": {"all": [{"credential": "python"}, {"courses": 2, "from": {"subject": "CSCI"}}]},
            },
        ],
    )
    t = _transcript([{"course": "CSCI 1410", "date": "2025-01-01", "grade": "A"}])
    p = plan(catalog, t, "cert")
    # CSCI 1411 for the badge, and two further CSCI courses: 1410 cannot count twice
    assert p.best.ids == ["CSCI 1411", "CSCI 2312", "CSCI 2421"]
    # with a D in 1410 the badge (min C) needs a retake, which then cannot count twice either
    t = _transcript([{"course": "CSCI 1410", "date": "2025-01-01", "grade": "D"}])
    p = plan(catalog, t, "cert")
    assert p.best.ids == ["CSCI 1410", "CSCI 1411", "CSCI 2312", "CSCI 2421"]
    assert p.best.courses[0].retake


def test_windows_force_a_retake(tmp_path: Path) -> None:
    catalog = _catalog(
        tmp_path,
        [
            {
                "id": "modeling",
                "type": "badge",
                "title": "Modeling",
                "requires": {
                    "complete_within": {"years": 3},
                    "all": [{"course": "STAT 3001"}, {"courses": 2, "from": {"ids": ["STAT 3010", "STAT 4010"]}}],
                },
            }
        ],
    )
    t = _transcript(
        [
            {"course": "STAT 3001", "date": "2019-05-01", "grade": "A"},
            {"course": "STAT 3010", "date": "2024-05-01", "grade": "A"},
            {"course": "STAT 4010", "date": "2025-05-01", "grade": "B"},
        ]
    )
    p = plan(catalog, t, "modeling")
    assert p.best.ids == ["STAT 3001"] and p.best.courses[0].retake


def test_gpa_floors_are_planned_for(tmp_path: Path) -> None:
    catalog = _catalog(
        tmp_path,
        [
            {
                "id": "b",
                "type": "badge",
                "title": "B",
                "requires": {"all": [{"course": "CSCI 1410"}, {"gpa": 3.0, "over": {"subject": "CSCI"}}]},
            }
        ],
    )
    t = _transcript(
        [
            {"course": "CSCI 1410", "date": "2025-01-01", "grade": "C"},
            {"course": "CSCI 2312", "date": "2025-01-01", "grade": "C"},
        ]
    )
    p = plan(catalog, t, "b")
    # GPA 2.0 over 6 credits: a new 3-credit A lifts it to (6 + 6 + 12) / 9 = 2.67, a new
    # 4-credit A to 2.8; retaking one C with an A does it: (12 + 6) / 6 = 3.0
    assert len(p.best) == 1 and p.best.credits == 3 and p.best.courses[0].retake
    assert _earns(catalog, t, "b", p.best.ids, p.as_of)


def test_credit_for_prior_learning(tmp_path: Path) -> None:
    catalog = _catalog(
        tmp_path,
        [
            {"id": "aws", "type": "badge", "title": "AWS", "credits": 3},
            {
                "id": "cert",
                "type": "certificate",
                "title": "Cert",
                "requires": {"credits": 7, "from": {"subject": "CSCI", "credentials": {"ids": ["aws"]}}},
            },
        ],
    )
    t = _transcript([], [{"credential": "aws", "date": "2025-01-01"}])
    p = plan(catalog, t, "cert")
    assert p.best.credits == 4 and p.best.ids == ["CSCI 3287"]
    p = plan(catalog, _transcript([]), "cert")
    assert p.best.credits == 7


def test_credits_from_credentials_only_are_not_met_by_courses(tmp_path: Path) -> None:
    # CONTRACT.md §6: a selector of only `credentials:` admits awarded credentials, no course
    catalog = _catalog(
        tmp_path,
        [
            {"id": "aws", "type": "badge", "title": "AWS", "credits": 3},
            {
                "id": "cert",
                "type": "certificate",
                "title": "Cert",
                "requires": {
                    "all": [
                        {"course": "CSCI 1410"},
                        {"id": "prior", "credits": 3, "from": {"credentials": {"type": "badge"}}},
                    ]
                },
            },
        ],
    )
    with pytest.raises(PlanError, match=r"badge: what can count here \(awards of aws only: no course counts here\)"):
        plan(catalog, _transcript([]), "cert")
    p = plan(catalog, _transcript([], [{"credential": "aws", "date": "2025-01-01"}]), "cert")
    assert p.best.ids == ["CSCI 1410"]
    assert _earns(catalog, _transcript([], [{"credential": "aws", "date": "2025-01-01"}]), "cert", p.best.ids, p.as_of)


def test_waivers_and_substitutions_are_honoured(tmp_path: Path) -> None:
    catalog = _catalog(
        tmp_path,
        [
            {
                "id": "python",
                "type": "badge",
                "title": "Python",
                "requires": {"all": [{"id": "lecture", "course": "CSCI 1410"}, {"id": "lab", "course": "CSCI 1411"}]},
            }
        ],
    )
    t = Transcript.model_validate(
        {
            "learner": {"id": "L"},
            "as_of": "2026-01-01",
            "attempts": [],
            "exceptions": [{"waive": "lecture", "reason": "industry experience"}],
        }
    )
    assert plan(catalog, t, "python").best.ids == ["CSCI 1411"]
    t = Transcript.model_validate(
        {
            "learner": {"id": "L"},
            "as_of": "2026-01-01",
            "attempts": [{"course": "XFER 1410", "date": "2025-01-01", "grade": "A"}],
            "exceptions": [{"substitute": {"course": "XFER 1410", "for": "CSCI 1410"}, "reason": "transfer"}],
        }
    )
    assert plan(catalog, t, "python").best.ids == ["CSCI 1411"]


def test_interchangeable_courses_are_named(example: CompiledCatalog) -> None:
    src = _source(ROOT / "examples/example-university/transcripts/earned-certificate.yaml")
    p = plan(example, src, "aas-information-technology", alternatives=0)
    for c in p.best.courses:
        assert c.course not in c.or_instead and not set(c.or_instead) & set(p.best.ids)
        for other in c.or_instead:  # swapping one for an interchangeable course still earns it
            ids = [other if x == c.course else x for x in p.best.ids]
            assert _earns(example, src.transcript, "aas-information-technology", ids, p.as_of)
            assert other > c.course  # the first in id order is the one planned


def test_impossible_credential_only_awarded(tmp_path: Path) -> None:
    catalog = _catalog(
        tmp_path,
        [
            {"id": "industry", "type": "badge", "title": "Industry"},
            {
                "id": "cert",
                "type": "certificate",
                "title": "Cert",
                "requires": {"all": [{"credential": "industry"}, {"course": "CSCI 1410"}]},
            },
        ],
    )
    with pytest.raises(PlanError, match="industry has no rule to meet, it can only be awarded"):
        plan(catalog, _transcript([]), "cert")
    with pytest.raises(PlanError, match="can only be awarded"):
        plan(catalog, _transcript([]), "industry")
    # an award makes it plannable
    p = plan(catalog, _transcript([], [{"credential": "industry", "date": "2025-01-01"}]), "cert")
    assert p.best.ids == ["CSCI 1410"]


def test_impossible_gpa_floor(tmp_path: Path) -> None:
    catalog = _catalog(
        tmp_path,
        [{"id": "b", "type": "badge", "title": "B", "requires": {"id": "honours", "gpa": 4.5}}],
        valid=False,
    )
    with pytest.raises(PlanError, match=r"GPA of at least 4.5 is out of reach.*at most 4.00"):
        plan(catalog, _transcript([{"course": "CSCI 1410", "date": "2025-01-01", "grade": "B"}]), "b")


def test_impossible_supply_and_conflict(tmp_path: Path) -> None:
    catalog = _catalog(
        tmp_path,
        [
            {"id": "few", "type": "badge", "title": "Few", "requires": {"courses": 4, "from": {"subject": "STAT"}}},
            {
                "id": "clash",
                "type": "badge",
                "title": "Clash",
                "requires": {
                    "all": [
                        {"id": "lecture", "course": "CSCI 1410"},
                        {"id": "pool", "label": "One from the pool", "courses": 1, "from": {"ids": ["CSCI 1410"]}},
                        {"course": "CSCI 2312"},
                    ]
                },
            },
        ],
        valid=False,
    )
    with pytest.raises(PlanError, match="only 3 courses can count here, and it needs 4"):
        plan(catalog, _transcript([]), "few")
    with pytest.raises(PlanError, match=r"CSCI 1410 .*and One from the pool cannot all be met together"):
        plan(catalog, _transcript([]), "clash")


def test_impossible_window(tmp_path: Path) -> None:
    catalog = _catalog(
        tmp_path,
        [
            {"id": "b1", "type": "badge", "title": "B1", "credits": 3},
            {"id": "b2", "type": "badge", "title": "B2", "credits": 3},
            {
                "id": "cert",
                "type": "certificate",
                "title": "Cert",
                "requires": {
                    "complete_within": {"years": 1},
                    "credits": 6,
                    "from": {"subject": "MATH", "credentials": {"ids": ["b1", "b2"]}},
                },
            },
        ],
    )
    t = _transcript([], [{"credential": "b1", "date": "2020-01-01"}, {"credential": "b2", "date": "2023-01-01"}])
    with pytest.raises(PlanError, match="cannot be completed within 1 year"):
        plan(catalog, t, "cert")


# --------------------------------------------------------------------------- brute force

#: Subsets of the catalogue's courses are tried cheapest first, up to this many.
MAX_SUBSETS = 128


def _key(catalog: Catalog, pending: set[str], subset: tuple[str, ...]) -> tuple[Any, ...]:
    credits = sum((Fraction(str(catalog.courses[c].credits)) for c in subset), Fraction(0))
    return (credits, len(subset), -sum(1 for c in subset if c in pending), sorted(subset))


def _brute_force(case: Case, target: str) -> tuple[str, ...] | None:
    """The first subset of the catalogue's courses, in the plan's order, that earns ``target``."""
    catalog, t = case.catalog, case.transcript
    pending = {a.course for a in t.attempts if a.status in ("in_progress", "planned")}
    courses = sorted(catalog.courses)
    subsets = [s for n in range(len(courses) + 1) for s in itertools.combinations(courses, n)]
    subsets.sort(key=lambda s: _key(catalog, pending, s))
    for subset in subsets[:MAX_SUBSETS]:
        if _earns(catalog, t, target, list(subset), case.as_of):
            return subset
    return None


SMALL = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)


def _check_against_brute_force(case: Case, pick: int) -> None:
    assume(validate_catalog(case.catalog).valid)
    note(str(case))
    assert len(case.catalog.courses) <= 7  # 2^7 = MAX_SUBSETS: every subset is tried
    target = sorted(case.catalog.credentials)[pick % len(case.catalog.credentials)]
    note(f"target: {target}")
    want = _brute_force(case, target)
    with rejections() as rejected:
        try:
            p = plan(case.catalog, case.transcript, target, AS_OF, alternatives=2)
        except PlanError as exc:
            event("impossible")
            note(f"PlanError: {exc}")
            assert want is None, f"brute force earns {target} with {want}"
            return
    assert rejected == [], rejected
    assert want is not None, f"no subset earns {target}, the plan says {p.best.ids}"
    event("already earned" if p.already_earned else f"{len(p.best)} course(s)")
    assert p.best.ids == list(want), f"plan {p.best.ids}, brute force {list(want)}"
    _check_options(p.options)
    for option in p.alternatives:
        assert _earns(case.catalog, case.transcript, target, option.ids, AS_OF)


@SMALL
@given(cases(), st.integers(0, 2))
def test_no_cheaper_set_exists(case: Case, pick: int) -> None:
    _check_against_brute_force(case, pick)


@settings(SMALL, max_examples=50)
@given(cases(DENSE), st.integers(0, 2))
def test_no_cheaper_set_exists_dense(case: Case, pick: int) -> None:
    _check_against_brute_force(case, pick)


@settings(SMALL, max_examples=50)
@given(cases(RETAKES), st.integers(0, 2))
def test_no_cheaper_set_exists_on_the_settled_readings(case: Case, pick: int) -> None:
    """In-progress retakes beside GPA floors, credits from credentials only (CONTRACT.md §6)."""
    _check_against_brute_force(case, pick)


# --------------------------------------------------------------------------- caps (limits)


@st.composite
def capped_cases(draw: st.DrawFn) -> Case:
    """A small random catalogue (tests/strategies.py) with a capped target added: credits from
    courses and from two awardable badges, now and then a course or a pool beside them, with
    ``prior_learning_credits`` and a ``shared_with`` cap against one of the other credentials
    (mostly a badge of a few courses or credits from a pool, added too; now and then carrying
    a sharing cap of its own); a transcript holding awards of the badges (or of the other
    credentials), and now and then a waiver."""
    profile: Profile = draw(st.sampled_from([AWARDS, DENSE]))
    cspec = draw(catalog_specs(profile))
    courses = cspec["courses"]
    ids = [c["id"] for c in courses]
    creds = cspec["credentials"]
    pool = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=4, unique=True))
    kind = draw(st.sampled_from(["courses", "credits"]))
    need = draw(
        st.integers(1, len(pool) if kind == "courses" else sum(c["credits"] for c in courses if c["id"] in pool))
    )
    creds.append({"id": "other", "type": "badge", "title": "Other", "requires": {kind: need, "from": {"ids": pool}}})
    ruled = [c["id"] for c in creds if "requires" in c]
    for i in (1, 2):
        creds.append({"id": f"award{i}", "type": "badge", "title": f"Award {i}", "credits": draw(st.integers(1, 4))})
    sel: dict[str, Any] = draw(
        st.sampled_from([{"subject": "CSCI"}, {}, {"ids": sorted(draw(st.sets(st.sampled_from(ids), min_size=2)))}])
    )
    supply = sum(c["credits"] for c in courses if _matches(c, sel))
    need = draw(st.integers(max(1, supply // 2), max(1, supply + 3)))
    parts: list[dict[str, Any]] = [{"credits": need, "from": {**sel, "credentials": {"ids": ["award1", "award2"]}}}]
    if rarely(draw, 2):
        parts.append({"course": draw(st.sampled_from(ids))})
    if rarely(draw, 2):
        parts.append({"courses": 1, "from": {"ids": draw(st.lists(st.sampled_from(ids), min_size=1, max_size=2))}})
    limits: dict[str, Any] = {}
    which = draw(st.sampled_from(["both", "prior learning", "sharing"]))
    if which != "sharing":
        limits["prior_learning_credits"] = draw(st.sampled_from([0, 1, 2, 3, 4.5]))
    if which != "prior learning":
        other = draw(st.sampled_from(["other", "other", *ruled]))
        lim: dict[str, Any] = {"credential": other}
        if draw(st.booleans()):
            lim["max_courses"] = draw(st.integers(0, 2))
        else:
            lim["max_credits"] = draw(st.sampled_from([0, 2, 3.5, 5]))
        limits["shared_with"] = [lim]
        if rarely(draw, 4):  # the other credential is capped too: against the target, or a third
            theirs = draw(st.sampled_from(["target", *(c for c in ruled if c != other)]))
            mine = next(c for c in creds if c["id"] == other)
            mine["limits"] = {"shared_with": [{"credential": theirs, "max_courses": draw(st.integers(0, 1))}]}
    target: dict[str, Any] = {"id": "target", "type": "certificate", "title": "Target"}
    target["requires"] = parts[0] if len(parts) == 1 else {"all": parts}
    if limits:
        target["limits"] = limits
    creds.append(target)
    tspec = draw(transcript_specs(cspec, profile))
    if rarely(draw, 2):  # a learner starting out: what the others count depends on the plan
        tspec["attempts"] = [a for a in tspec["attempts"] if a.get("status") == "in_progress"]
    awards = [a for a in tspec.get("awarded", []) if a["credential"] not in ("award1", "award2")]
    for cid in ["award1", "award2", *ruled]:
        if (cid.startswith("award") and draw(st.integers(0, 2)) > 0) or rarely(draw, 6):
            awards = [a for a in awards if a["credential"] != cid]
            awards.append({"credential": cid, "date": draw(st.sampled_from(DATES[-3:])).isoformat()})
    tspec["awarded"] = awards
    if rarely(draw, 3):  # waive one node of one rule
        nodes: list[dict[str, Any]] = []

        def walk(rule: Any) -> None:
            if isinstance(rule, dict):
                nodes.append(rule)
                for key in ("all", "any", "of"):
                    for kid in rule.get(key, []):
                        walk(kid)

        for cred in creds:
            walk(cred.get("requires"))
        draw(st.sampled_from(nodes))["id"] = "waived"
        tspec["exceptions"] = [{"waive": "waived", "reason": "industry experience"}]
    return Case(cspec, tspec, build_catalog(cspec), build_transcript(tspec))


def _matches(course: dict[str, Any], sel: dict[str, Any]) -> bool:
    if "ids" in sel:
        return course["id"] in sel["ids"]
    return "subject" not in sel or str(course["id"]).startswith(sel["subject"] + " ")


@settings(SMALL, max_examples=150)
@given(capped_cases())
def test_no_cheaper_set_exists_with_caps(case: Case) -> None:
    """With caps: the plan earns its target, brute force finds no set before it in the plan's
    order, and the plan says impossible exactly when brute force finds no set. The model
    applies every cap itself (no set it proposes is rejected) except a sharing cap with a
    credential whose counted courses the plan can change, which the evaluator checks."""
    assume(validate_catalog(case.catalog).valid)
    note(str(case))
    target = "target"
    cc = compile_catalog(case.catalog)
    caps: list[Any] = []
    real = planmod._caps

    def spy(*args: Any, **kwargs: Any) -> Any:
        caps[:] = real(*args, **kwargs)
        return caps

    want = _brute_force(case, target)
    with rejections() as rejected, mock.patch.object(planmod, "_caps", spy):
        try:
            p = plan(cc, case.transcript, target, AS_OF, alternatives=1)
        except PlanUnconfirmed as exc:
            left = [c for c in caps if not c.exact]
            event("gave up")
            assert left, exc  # only a cap learned from the evaluator can make the model propose in vain
            return
        except PlanError as exc:
            event("impossible")
            note(f"PlanError: {exc}")
            assert want is None, f"brute force earns {target} with {want}"
            return
    left = [c for c in caps if not c.exact]
    if not left:
        assert rejected == [], rejected
    kinds = sorted({"fixed" if c.other is None else "derived" if c.exact else "learned" for c in caps})
    event(f"caps: {', '.join(kinds) or 'none'}; rejected: {'some' if rejected else 'none'}")
    assert want is not None, f"no subset earns {target}, the plan says {p.best.ids}"
    assert p.best.ids == list(want), f"plan {p.best.ids}, brute force {list(want)}"
    assert _earns(cc, case.transcript, target, p.best.ids, AS_OF)
    _check_options(p.options)
    for option in p.alternatives:
        assert _earns(cc, case.transcript, target, option.ids, AS_OF)


# --------------------------------------------------------------------------- pathways


def test_pathways_from_data_literacy_reach_the_bachelor(example: CompiledCatalog) -> None:
    paths = pathways(example, "data-literacy")
    assert paths and all(p.ids[0] == "data-literacy" for p in paths)
    assert any(p.ids[-1] == "bas-information-systems" for p in paths)
    for path in paths:
        for step in path.steps:
            assert step.credits == example.catalog.credentials[step.credential].credits


def test_pathways_with_a_transcript_give_the_cheapest_plans(example: CompiledCatalog) -> None:
    src = _source(ROOT / "examples/example-university/transcripts/repeats-and-transfer.yaml")
    paths = pathways(example, "data-literacy", src)
    assert any(p.ids[-1] == "bas-information-systems" for p in paths)
    steps = {s.credential: s for p in paths for s in p.steps}
    assert steps["data-literacy"].credits == 0 and steps["data-literacy"].status == "earned"
    for cid, s in steps.items():
        assert s.credits == plan(example, src, cid, alternatives=0).best.credits


def test_pathways_from_the_top(example: CompiledCatalog) -> None:
    (path,) = pathways(example, "bas-information-systems")
    assert path.ids == ["bas-information-systems"]


# --------------------------------------------------------------------------- command line


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


CAT = str(EXAMPLE)
TR = ROOT / "examples/example-university/transcripts"


def test_cli_plan_text_and_json() -> None:
    code, out, err = run("plan", "--catalog", CAT, str(TR / "partial.yaml"), "--target", "software-development")
    assert code == 0, err
    assert "Cheapest plan: 2 courses, 6 credits" in out and "Alternative 1" in out
    code, out, err = run(
        "plan", "--catalog", CAT, str(TR / "partial.yaml"), "--target", "software-development", "--format", "json"
    )
    assert code == 0, err
    doc = json.loads(out)
    assert doc["possible"] and doc["plan"]["credits"] == 6 and len(doc["alternatives"]) == 3
    code, out, _err = run(
        "plan", "--catalog", CAT, str(TR / "partial.yaml"), "--target", "software-development", "--alternatives", "0"
    )
    assert code == 0 and "Cheapest plan" in out and "Alternative" not in out


def test_cli_plan_already_earned() -> None:
    code, out, _err = run(
        "plan", "--catalog", CAT, str(TR / "earned-certificate.yaml"), "--target", "data-analytics-certificate"
    )
    assert code == 0 and "Already earned" in out


def test_cli_plan_impossible() -> None:
    code, out, err = run("plan", "--catalog", CAT, str(TR / "expired.yaml"), "--target", "cloud-foundations")
    assert code == 1 and "cannot be earned" in out and "expired on 2024-12-16" in out
    assert "Traceback" not in err
    code, out, _err = run(
        "plan", "--catalog", CAT, str(TR / "expired.yaml"), "--target", "cloud-foundations", "--format", "json"
    )
    doc = json.loads(out)
    assert code == 1 and doc["possible"] is False and "expired" in doc["reason"]


def test_cli_plan_usage_errors(tmp_path: Path) -> None:
    code, _out, err = run("plan", "--catalog", CAT, str(TR / "partial.yaml"), "--target", "bas-information-system")
    assert code == 2 and "did you mean 'bas-information-systems'" in err
    code, _out, err = run("plan", "--catalog", CAT, str(tmp_path / "nope.yaml"), "--target", "data-literacy")
    assert code == 2 and "no such file" in err
    code, _out, _err = run("plan", "--catalog", CAT, str(TR / "partial.yaml"))
    assert code == 2
    code, _out, _err = run("plan", "--catalog", CAT, str(TR / "partial.yaml"), "--target", "x", "--alternatives", "-1")
    assert code == 2
    bad = tmp_path / "bad.yaml"
    bad.write_text("learner: {id: X}\nattempts:\n  - {course: CSCI 1410, date: 2025-01-01, grade: Q}\n")
    code, _out, err = run("plan", "--catalog", CAT, str(bad), "--target", "data-literacy")
    assert code == 1 and "E502" in err and "Traceback" not in err


def test_cli_pathways() -> None:
    code, out, err = run("pathways", "--catalog", CAT, "--from", "data-literacy")
    assert code == 0, err
    assert "bas-information-systems" in out and "120 credits" in out
    code, out, err = run(
        "pathways", "--catalog", CAT, "--from", "data-literacy", "--transcript", str(TR / "partial.yaml")
    )
    assert code == 0, err
    assert "partial" in out
    code, out, _err = run("pathways", "--catalog", CAT, "--from", "data-literacy", "--format", "json")
    doc = json.loads(out)
    assert code == 0 and any(p["path"][-1] == "bas-information-systems" for p in doc["pathways"])
    code, _out, err = run("pathways", "--catalog", CAT, "--from", "data-litracy")
    assert code == 2 and "did you mean 'data-literacy'" in err


# --------------------------------------------------------------------------- caps, by example


def test_a_cap_on_prior_learning_is_planned_for(tmp_path: Path) -> None:
    """Nine credits from CSCI courses and badges, at most three of them from badges: with two
    3-credit badges held, six credits must come from courses. Thirty courses of distinct
    credits make the sets between three and six credits many: the model must know the cap."""
    courses = [{"id": f"CSCI {1000 + i}", "title": f"Course {i}", "credits": round(1 + 0.15 * i, 2)} for i in range(30)]
    spec = {
        "catalog": {"id": "t", "name": "T"},
        "taxonomy": BASE["taxonomy"],
        "courses": courses,
        "credentials": [
            {"id": "b1", "type": "badge", "title": "B1", "credits": 3},
            {"id": "b2", "type": "badge", "title": "B2", "credits": 3},
            {
                "id": "cert",
                "type": "certificate",
                "title": "Cert",
                "limits": {"prior_learning_credits": 3},
                "requires": {"credits": 9, "from": {"subject": "CSCI", "credentials": {"type": "badge"}}},
            },
        ],
    }
    cat = tmp_path / "catalog"
    cat.mkdir()
    (cat / "catalog.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    catalog, diagnostics = read_catalog(cat)
    assert validate_catalog(catalog, diagnostics).valid
    awards = [{"credential": "b1", "date": "2025-01-01"}, {"credential": "b2", "date": "2025-02-01"}]
    t = _transcript([], awards)
    # the cheapest set by brute force: six credits from courses; every course has at least one
    # credit and five courses have at least 6.5, so no set of more than four can be cheapest
    credits = {c["id"]: Fraction(str(c["credits"])) for c in courses}
    sets = [
        s for n in range(1, 5) for s in itertools.combinations(sorted(credits), n) if sum(credits[c] for c in s) >= 6
    ]
    want = min(sets, key=lambda s: (sum(credits[c] for c in s), len(s), s))
    assert sum(credits[c] for c in want) == 6 and len(want) == 3
    with rejections() as rejected:
        p = plan(catalog, t, "cert", alternatives=2)
    assert rejected == []  # the model knows the cap: no set it proposes is turned down
    assert p.best.ids == list(want) and p.best.credits == 6
    assert _earns(catalog, t, "cert", p.best.ids, p.as_of)
    # one course fewer does not earn it: only one badge counts
    assert not _earns(catalog, t, "cert", p.best.ids[1:], p.as_of)
    _check_options(p.options)
    assert all(o.credits == 6 for o in p.alternatives)
    (tmp_path / "t.yaml").write_text(yaml.safe_dump(t.model_dump(mode="json", exclude_none=True)), encoding="utf-8")
    code, out, err = run("plan", "--catalog", str(cat), str(tmp_path / "t.yaml"), "--target", "cert")
    assert code == 0, err
    assert "Cheapest plan: 3 courses, 6 credits" in out


def _sharing(tmp_path: Path, major: dict[str, Any], cap: dict[str, Any], need: int, sel: dict[str, Any]) -> Catalog:
    """A badge with the rule ``major``, and a certificate of ``need`` credits from ``sel`` that
    shares with it as ``cap`` says (in ``tmp_path / "catalog"``)."""
    (tmp_path / "catalog").mkdir()
    return _catalog(
        tmp_path / "catalog",
        [
            {"id": "major", "type": "badge", "title": "Major", "requires": major},
            {
                "id": "minor",
                "type": "certificate",
                "title": "Minor",
                "limits": {"shared_with": [{"credential": "major", **cap}]},
                "requires": {"credits": need, "from": sel},
            },
        ],
    )


def _cheapest(catalog: Catalog, t: Transcript, target: str, courses: list[str]) -> list[str] | None:
    """Brute force: the first subset of ``courses``, in the plan's order, that earns ``target``."""
    subsets = [s for n in range(len(courses) + 1) for s in itertools.combinations(sorted(courses), n)]
    subsets.sort(key=lambda s: _key(catalog, set(), s))
    return next((list(s) for s in subsets if _earns(catalog, t, target, list(s), AS_OF)), None)


POOL = ["CSCI 1410", "CSCI 2312", "CSCI 2421"]


def test_a_cap_on_sharing_with_an_earned_credential(tmp_path: Path) -> None:
    major = {"courses": 2, "from": {"ids": POOL[:2]}}
    catalog = _sharing(tmp_path, major, {"max_courses": 1}, 6, {"subject": "CSCI"})
    t = _transcript(
        [
            {"course": "CSCI 1410", "date": "2025-01-01", "grade": "A"},
            {"course": "CSCI 2312", "date": "2025-05-01", "grade": "B"},
        ]
    )
    # both courses count toward the major, earned in 2025, and only one may count here too
    assert evaluate(catalog, t, AS_OF, credentials=["minor"]).credentials["minor"].status == "partial"
    with rejections() as rejected:
        p = plan(catalog, t, "minor", AS_OF)
    assert rejected == []
    assert p.best.ids == ["CSCI 2421"]  # three more credits; CSCI 1411 (1) and CSCI 3287 (4) do worse
    assert p.best.ids == _cheapest(catalog, t, "minor", sorted(catalog.courses))


def test_a_cap_on_sharing_with_a_credential_the_plan_changes(tmp_path: Path) -> None:
    """The major counts the first two of its pool that the learner completes, so every pool
    course the plan takes counts toward it until two do: only a third may count toward the
    minor. The major's choice is forced (a course fits one of its requirements only), so the
    model derives what it counts."""
    major = {"courses": 2, "from": {"ids": POOL}}
    catalog = _sharing(tmp_path, major, {"max_courses": 0}, 4, {"ids": [*POOL, "CSCI 1411"]})
    t = _transcript([])
    with rejections() as rejected:
        p = plan(catalog, t, "minor", AS_OF, alternatives=1)
    assert rejected == []
    assert p.best.ids == ["CSCI 1410", "CSCI 1411", "CSCI 2312", "CSCI 2421"] and p.best.credits == 10
    assert p.best.ids == _cheapest(catalog, t, "minor", [*POOL, "CSCI 1411"])
    # half a course's worth of credits may be shared: nothing changes; four credits: one course may
    shutil.rmtree(tmp_path / "catalog")
    catalog = _sharing(tmp_path, major, {"max_credits": 4}, 4, {"ids": [*POOL, "CSCI 1411"]})
    with rejections() as rejected:
        p = plan(catalog, t, "minor", AS_OF, alternatives=1)
    assert rejected == [] and p.best.ids == ["CSCI 1410", "CSCI 1411"]


def test_a_cap_on_sharing_is_learned_from_the_evaluator(tmp_path: Path) -> None:
    """CSCI 1410 fits both requirements of the major: which one it fills, and so what else
    the major counts, is the evaluator's choice. The model learns what the major counts set
    by set; the plan is still the cheapest, and giving up is its own error."""
    major = {"all": [{"course": "CSCI 1410"}, {"courses": 2, "from": {"ids": POOL}}]}
    catalog = _sharing(tmp_path, major, {"max_courses": 1}, 6, {"ids": [*POOL, "CSCI 1411", "CSCI 3287"]})
    t = _transcript([])
    with rejections() as rejected:
        p = plan(catalog, t, "minor", AS_OF, alternatives=0)
    want = _cheapest(catalog, t, "minor", [*POOL, "CSCI 1411", "CSCI 3287"])
    assert p.best.ids == want
    assert 0 < len(rejected) < planmod.MAX_REJECTED
    # with too few rejections allowed, planning gives up, and says so: not "cannot be earned"
    with pytest.raises(PlanUnconfirmed, match=r"planning minor gave up after the evaluator rejected 1 set of") as exc:
        plan(catalog, t, "minor", AS_OF, max_rejected=1)
    assert "What major counts depends on the courses taken" in exc.value.reason
    assert "--max-rejected" in exc.value.reason
    (tmp_path / "t.yaml").write_text(yaml.safe_dump(t.model_dump(mode="json", exclude_none=True)), encoding="utf-8")
    args = ["plan", "--catalog", str(tmp_path / "catalog"), str(tmp_path / "t.yaml"), "--target", "minor"]
    code, out, err = run(*args, "--max-rejected", "1")
    assert code == 3 and out == ""
    assert "t.yaml (learner L): planning minor gave up" in err and "cannot be earned" not in err + out
    code, out, err = run(*args, "--max-rejected", "1", "--format", "json")
    assert code == 3 and out == "" and "gave up" in err
    code, _out, _err = run(*args, "--max-rejected", "0")
    assert code == 2
    code, out, err = run(*args, "--max-rejected", "50", "--alternatives", "0")
    assert code == 0, err
    assert f"Cheapest plan: {len(p.best)} courses, {p.best.credits:g} credits" in out


def test_caps_that_leave_nothing_are_named(tmp_path: Path) -> None:
    catalog = _catalog(
        tmp_path,
        [
            {"id": "b1", "type": "badge", "title": "B1", "credits": 3},
            {"id": "b2", "type": "badge", "title": "B2", "credits": 3},
            {
                "id": "cert",
                "type": "certificate",
                "title": "Cert",
                "limits": {"prior_learning_credits": 3},
                "requires": {"credits": 6, "from": {"subject": "MATH", "credentials": {"ids": ["b1", "b2"]}}},
            },
        ],
    )
    t = _transcript([], [{"credential": "b1", "date": "2025-01-01"}, {"credential": "b2", "date": "2025-01-01"}])
    with pytest.raises(PlanError, match=r"cert cannot be earned: its caps rule out .*prior_learning_credits: 3"):
        plan(catalog, t, "cert")


def test_a_plan_that_runs_out_of_time_is_not_called_impossible() -> None:
    def slow(*args: Any, **kwargs: Any) -> Any:
        raise TimeoutError("the planning model could not be solved to optimality in time")

    with mock.patch.object(planmod, "plan", slow):
        code, out, err = run("plan", "--catalog", CAT, str(TR / "partial.yaml"), "--target", "software-development")
    assert code == 3 and out == ""
    assert "(learner S1003): planning software-development stopped: the planning model could not" in err
