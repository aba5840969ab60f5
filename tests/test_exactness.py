"""The evaluator is exact, never greedy: it agrees with a brute-force reference everywhere.

``tests/reference.py`` enumerates every assignment of attempts to leaves, straight from the
contract (CONTRACT.md §2–§4); ``tests/strategies.py`` draws small random catalogues and
transcripts. The property tests compare status, earned_on, expires_on and progress of every
credential. Hand-written cases below pin down situations a greedy engine gets wrong.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import textwrap
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, event, given, note, settings
from hypothesis import strategies as st
from reference import Reference, RefResult, TooLarge, reference_evaluate
from strategies import AS_OF, AWARDS, COMPETENCIES, DENSE, EXTENSIONS, PLAIN, RETAKES, Case, Profile, cases

from microcred.checks.validate import validate_catalog
from microcred.io.loader import read_catalog_files
from microcred.io.transcript import Transcript, Waive
from microcred.model.catalog import Catalog
from microcred.model.result import LearnerResult
from microcred.rules import cpsat, solver
from microcred.rules.evaluate import evaluate

#: The most assignments the reference enumerates for one credential and one cut date.
LIMIT = 20_000
TOL = 1e-9


def _valid(case: Case) -> bool:
    return validate_catalog(case.catalog).valid


def _reference(case: Case, counted: dict[str, frozenset[str]] | None = None) -> dict[str, RefResult]:
    try:
        return reference_evaluate(case.catalog, case.transcript, case.as_of, limit=LIMIT, counted=counted)
    except TooLarge:
        assume(False)
        raise  # pragma: no cover


def _counted(result: LearnerResult) -> dict[str, frozenset[str]]:
    """Per credential, the courses its result counts: what a ``shared_with`` cap reads."""
    return {
        cid: frozenset(a.substituted_for or a.course for a in r.applied if a.status != "awarded")
        for cid, r in result.credentials.items()
    }


def _differences(case: Case) -> list[str]:
    got = evaluate(case.catalog, case.transcript, case.as_of)
    counted = _counted(got)
    ref = _reference(case, counted)
    out = []
    for cid, want in ref.items():
        r = got.credentials[cid]
        event(f"status: {want.status}")
        if want.earned_on is not None and _met_by_waivers_alone(case, cid, counted):
            # a rule that waivers meet before anything is taken: no date says when (nor, so,
            # whether it has expired)
            event("earned by waivers alone: earned_on left open")
            if r.status not in ("earned", "expired") or abs(r.progress - 1) > TOL:
                out.append(f"{cid}: status {r.status!r}, progress {r.progress}, expected earned")
            continue
        if r.status != want.status:
            out.append(f"{cid}: status {r.status!r}, expected {want.status!r}")
        if r.earned_on != want.earned_on:
            out.append(f"{cid}: earned_on {r.earned_on}, expected {want.earned_on}")
        if r.expires_on != want.expires_on:
            out.append(f"{cid}: expires_on {r.expires_on}, expected {want.expires_on}")
        if abs(r.progress - float(want.progress)) > TOL:
            out.append(f"{cid}: progress {r.progress!r}, expected {want.progress} = {float(want.progress)!r}")
    return out


def _met_by_waivers_alone(case: Case, cid: str, counted: dict[str, frozenset[str]]) -> bool:
    if not any(isinstance(e, Waive) for e in case.transcript.exceptions):
        return False
    before = Reference(case.catalog, case.transcript, case.as_of, counted=counted)
    return before.progress(cid, dt.date.min) == 1


PROPERTY = settings(
    max_examples=1000,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)


@PROPERTY
@given(cases())
def test_engine_agrees_with_brute_force(case: Case) -> None:
    assume(_valid(case))
    note(str(case))
    problems = _differences(case)
    assert not problems, "\n".join(problems) + "\n" + str(case)


@settings(PROPERTY, max_examples=500)
@given(cases(DENSE))
def test_engine_agrees_with_brute_force_on_contested_cases(case: Case) -> None:
    """Fewer courses, more modifiers and stacking: more ways for a greedy choice to go wrong."""
    assume(_valid(case))
    note(str(case))
    problems = _differences(case)
    assert not problems, "\n".join(problems) + "\n" + str(case)


@settings(PROPERTY, max_examples=1000)
@given(cases(AWARDS))
def test_engine_agrees_with_brute_force_when_rules_stack_on_awards(case: Case) -> None:
    """Every record holds awards, and those of credentials other rules name last: the earliest
    date a rule holds can be an award's."""
    assume(_valid(case))
    note(str(case))
    problems = _differences(case)
    assert not problems, "\n".join(problems) + "\n" + str(case)


@settings(PROPERTY, max_examples=600)
@given(cases(RETAKES))
def test_engine_agrees_with_brute_force_on_the_settled_readings(case: Case) -> None:
    """CONTRACT.md §6: in-progress retakes of completed courses beside GPA floors (the attempt
    being taken replaces the counted one and leaves the GPA), ``credits`` from credentials
    only (no course counts), and awards judged on the date looked at."""
    assume(_valid(case))
    note(str(case))
    retaken = {a.course for a in case.transcript.attempts if a.status == "in_progress"} & {
        a.course for a in case.transcript.attempts if a.status != "in_progress"
    }
    event("an in-progress retake" if retaken else "no in-progress retake")
    only = '"from": {"credentials"' in json.dumps(case.catalog_spec["credentials"])
    event("credits from credentials only" if only else "no credentials-only selector")
    problems = _differences(case)
    assert not problems, "\n".join(problems) + "\n" + str(case)


@settings(PROPERTY, max_examples=600)
@given(cases(EXTENSIONS))
def test_engine_agrees_with_brute_force_on_caps_waivers_and_substitutions(case: Case) -> None:
    """Caps on prior learning and on courses shared with another credential, waivers and
    substitutions (docs/rules.md, the transcript's exceptions)."""
    assume(_valid(case))
    note(str(case))
    problems = _differences(case)
    assert not problems, "\n".join(problems) + "\n" + str(case)


@settings(PROPERTY, max_examples=600)
@given(cases(COMPETENCIES))
def test_engine_agrees_with_brute_force_on_competency_nodes(case: Case) -> None:
    """``competency:`` nodes: any one course or credential aligned with the competency at the
    level, exclusive like every node (docs/rules.md)."""
    assume(_valid(case))
    note(str(case))
    text = json.dumps(case.catalog_spec["credentials"])
    event("a competency node" if '"competency"' in text else "no competency node")
    problems = _differences(case)
    assert not problems, "\n".join(problems) + "\n" + str(case)


# --------------------------------------------------------------------------- CP-SAT held to the same oracle


@contextlib.contextmanager
def cpsat_forced() -> Iterator[None]:
    """Branch and bound and the enumeration of capped sets switched off: every contested
    choice and every binding cap goes to CP-SAT."""
    solver.FORCE_CPSAT = True
    try:
        yield
    finally:
        solver.FORCE_CPSAT = False


class _Counts:
    """How often each engine ran, counted by wrapping the solver's entry points."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.search = 0
        self.enumerated = 0
        self.caps_model = 0
        bb, enum, caps = solver._branch_and_bound, solver._maximal_subsets, cpsat.solve_caps_cpsat

        def counted_bb(*a: Any, **k: Any) -> Any:
            self.search += 1
            return bb(*a, **k)

        def counted_enum(*a: Any, **k: Any) -> Any:
            self.enumerated += 1
            return enum(*a, **k)

        def counted_caps(*a: Any, **k: Any) -> Any:
            self.caps_model += 1
            return caps(*a, **k)

        monkeypatch.setattr(solver, "_branch_and_bound", counted_bb)
        monkeypatch.setattr(solver, "_maximal_subsets", counted_enum)
        monkeypatch.setattr(cpsat, "solve_caps_cpsat", counted_caps)
        self.runs = cpsat.calls


def _forced_agrees(profile: Profile, examples: int) -> None:
    """With CP-SAT forced: the reference agrees, and the whole result (applied, missing,
    not_counted, requirements...) is the default engine's, byte for byte."""

    @settings(PROPERTY, max_examples=examples, database=None)
    @given(cases(profile))
    def run(case: Case) -> None:
        assume(_valid(case))
        note(str(case))
        default = evaluate(case.catalog, case.transcript, case.as_of).to_json()
        with cpsat_forced():
            problems = _differences(case)
            forced = evaluate(case.catalog, case.transcript, case.as_of).to_json()
        assert not problems, "\n".join(problems) + "\n" + str(case)
        assert forced == default, str(case)

    run()


@pytest.mark.parametrize(
    ("profile", "examples"),
    [(PLAIN, 250), (DENSE, 200), (AWARDS, 150), (EXTENSIONS, 350), (RETAKES, 150)],
    ids=["plain", "contested", "awards", "extensions", "readings"],
)
def test_cpsat_forced_agrees_with_brute_force_and_with_the_default_engine(
    profile: Profile, examples: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    counts = _Counts(monkeypatch)
    _forced_agrees(profile, examples)
    # the forced runs really ran CP-SAT, and never branch and bound or the enumeration of
    # capped sets (the default runs, and the reference, are in the counts too: see below)
    assert cpsat.calls - counts.runs > 50
    if profile is EXTENSIONS:
        assert counts.caps_model > 10


def test_forced_runs_use_no_other_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """The switch the test above relies on: with it, evaluation never calls branch and bound
    or the enumeration of capped sets, and calls CP-SAT; without it, it calls them."""
    counts = _Counts(monkeypatch)
    forced = {"search": 0, "enumerated": 0, "cp-sat": 0, "caps": 0}
    default = {"search": 0, "enumerated": 0}

    @settings(PROPERTY, max_examples=60, database=None)
    @given(cases(EXTENSIONS))
    def run(case: Case) -> None:
        assume(_valid(case))
        before = (counts.search, counts.enumerated, cpsat.calls, counts.caps_model)
        with cpsat_forced():
            evaluate(case.catalog, case.transcript, case.as_of)
        forced["search"] += counts.search - before[0]
        forced["enumerated"] += counts.enumerated - before[1]
        forced["cp-sat"] += cpsat.calls - before[2]
        forced["caps"] += counts.caps_model - before[3]
        before = (counts.search, counts.enumerated, cpsat.calls, counts.caps_model)
        evaluate(case.catalog, case.transcript, case.as_of)
        default["search"] += counts.search - before[0]
        default["enumerated"] += counts.enumerated - before[1]

    run()
    assert forced["search"] == forced["enumerated"] == 0, forced
    assert forced["cp-sat"] > 0 and forced["caps"] > 0, forced
    assert default["search"] > 0 and default["enumerated"] > 0, default


def test_cpsat_without_an_answer_falls_back_to_the_exhaustive_search(monkeypatch: pytest.MonkeyPatch) -> None:
    """When CP-SAT gives no answer (no proof in time), branch and bound runs without a node
    budget: the same results as the default engine."""
    import microcred.rules.evaluate

    counts = _Counts(monkeypatch)
    asked: list[int] = []

    def no_answer(*args: Any, **kwargs: Any) -> None:
        asked.append(1)

    @settings(PROPERTY, max_examples=60, database=None)
    @given(cases(DENSE))
    def run(case: Case) -> None:
        assume(_valid(case))
        note(str(case))
        default = evaluate(case.catalog, case.transcript, case.as_of).to_json()
        with monkeypatch.context() as m, cpsat_forced():
            m.setattr(microcred.rules.evaluate, "solve_cpsat", no_answer)
            fallback = evaluate(case.catalog, case.transcript, case.as_of).to_json()
        assert fallback == default

    run()
    assert asked and counts.search > 0


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(cases(), st.randoms(use_true_random=False))
def test_evaluation_is_deterministic(case: Case, rnd: Any) -> None:
    assume(_valid(case))
    note(str(case))
    first = evaluate(case.catalog, case.transcript, AS_OF).to_json()
    again = evaluate(case.catalog, case.transcript, AS_OF).to_json()
    assert first == again
    attempts = list(case.transcript.attempts)
    awarded = list(case.transcript.awarded)
    rnd.shuffle(attempts)
    rnd.shuffle(awarded)
    shuffled = case.transcript.model_copy(update={"attempts": attempts, "awarded": awarded})
    other = evaluate(case.catalog, shuffled, AS_OF)
    for cid, r in evaluate(case.catalog, case.transcript, AS_OF).credentials.items():
        s = other.credentials[cid]
        assert (s.status, s.earned_on, s.expires_on) == (r.status, r.earned_on, r.expires_on), cid
        assert abs(s.progress - r.progress) <= TOL, cid


# --------------------------------------------------------------------------- hand-written cases

HEAD = """\
catalog: {id: t, name: T, repeats: best}
taxonomy:
  types:
    badge: {stacks_into: [microcredential, certificate]}
    microcredential: {stacks_into: [certificate]}
    certificate: {}
courses:
  - {id: CSCI 1010, title: A, credits: 3}
  - {id: CSCI 1020, title: B, credits: 3}
  - {id: CSCI 1030, title: C, credits: 3}
  - {id: MATH 1040, title: D, credits: 4, attributes: [quant]}
  - {id: MATH 2050, title: E, credits: 1, attributes: [quant]}
  - {id: MATH 3060, title: F, credits: 3}
credentials:
"""


def load(tmp_path: Path, credentials: str, head: str = HEAD) -> Catalog:
    text = head + textwrap.indent(textwrap.dedent(credentials).strip("\n") + "\n", "  ")
    path = tmp_path / "catalog.yaml"
    path.write_text(text, encoding="utf-8")
    catalog, diagnostics = read_catalog_files([(path, str(path))])
    report = validate_catalog(catalog, diagnostics)
    assert report.valid, [str(d) for d in report.errors]
    return catalog


def learner(attempts: str, awarded: str = "") -> Transcript:
    data: dict[str, Any] = {"learner": {"id": "L"}, "attempts": yaml.safe_load(textwrap.dedent(attempts)) or []}
    if awarded:
        data["awarded"] = yaml.safe_load(textwrap.dedent(awarded))
    return Transcript.model_validate(data)


def check(
    catalog: Catalog,
    transcript: Transcript,
    cid: str,
    status: str,
    progress: float | Fraction,
    earned_on: str | None = None,
    expires_on: str | None = None,
) -> None:
    """The engine gives the literal values, and so does the reference (a check of the check)."""
    want = (status, _day(earned_on), _day(expires_on), float(progress))
    r = evaluate(catalog, transcript, AS_OF).credentials[cid]
    ref = reference_evaluate(catalog, transcript, AS_OF)[cid]
    assert (ref.status, ref.earned_on, ref.expires_on) == want[:3], ("reference", ref)
    assert abs(float(ref.progress) - want[3]) <= TOL, ("reference", ref)
    assert (r.status, r.earned_on, r.expires_on) == want[:3], ("engine", r.status, r.earned_on, r.expires_on)
    assert abs(r.progress - want[3]) <= TOL, ("engine", r.progress)


def _day(s: str | None) -> dt.date | None:
    return dt.date.fromisoformat(s) if s else None


def test_greedy_first_leaf_takes_the_only_course_of_the_second(tmp_path: Path) -> None:
    cat = load(
        tmp_path,
        """
        - id: x
          type: badge
          title: X
          requires:
            all:
              - {courses: 1, from: {ids: [CSCI 1010, CSCI 1020]}}
              - {course: CSCI 1010}
        """,
    )
    t = learner(
        """
        - {course: CSCI 1010, date: 2024-05-01, grade: A}
        - {course: CSCI 1020, date: 2024-12-01, grade: B}
        """
    )
    check(cat, t, "x", "earned", 1, "2024-12-01")


def test_greedy_credits_by_biggest_course_starves_a_later_leaf(tmp_path: Path) -> None:
    # Not satisfied (MATH 3060 is missing; MATH 2050 alone has 1 credit), so progress decides. Giving both
    # courses to the credits leaf (greedy, first leaf first) scores (1 + 0) / 2 = 1/2; the best
    # assignment gives MATH 1040 to the course leaf and MATH 2050 to credits: (1/4 + 1) / 2.
    cat = load(
        tmp_path,
        """
        - id: x
          type: badge
          title: X
          requires:
            all:
              - {credits: 4, from: {subject: MATH}}
              - {course: MATH 1040}
        """,
    )
    t = learner(
        """
        - {course: MATH 1040, date: 2024-05-01, grade: A}
        - {course: MATH 2050, date: 2024-05-01, grade: A}
        """
    )
    check(cat, t, "x", "partial", Fraction(5, 8))


def test_min_grade_forces_the_better_grade_where_it_is_needed(tmp_path: Path) -> None:
    # A C in CSCI 1010 and an A in CSCI 1020. The B-minimum leaf needs CSCI 1020; a greedy
    # engine that hands CSCI 1020 to the first leaf (no minimum) fails the second.
    cat = load(
        tmp_path,
        """
        - id: x
          type: badge
          title: X
          requires:
            all:
              - {courses: 1, from: {ids: [CSCI 1020, CSCI 1010]}}
              - {courses: 1, from: {ids: [CSCI 1020, CSCI 1030]}, min_grade: B}
        """,
    )
    t = learner(
        """
        - {course: CSCI 1020, date: 2023-05-01, grade: A}
        - {course: CSCI 1010, date: 2024-05-01, grade: C}
        """
    )
    check(cat, t, "x", "earned", 1, "2024-05-01")


def test_complete_within_picks_attempts_that_fit(tmp_path: Path) -> None:
    # Two courses within 1 year are needed; CSCI 1010 (2020) is too early for CSCI 1030
    # (2022), CSCI 1020 (2021-09) fits. The first course taken must not be forced in.
    cat = load(
        tmp_path,
        """
        - id: x
          type: badge
          title: X
          requires:
            courses: 2
            from: {subject: CSCI}
            complete_within: {years: 1}
        """,
    )
    t = learner(
        """
        - {course: CSCI 1010, date: 2020-05-01, grade: A}
        - {course: CSCI 1020, date: 2021-09-01, grade: A}
        - {course: CSCI 1030, date: 2022-06-01, grade: A}
        """
    )
    # cut at 2021-09-01: CSCI 1010 and CSCI 1020 are 16 months apart: not yet
    check(cat, t, "x", "earned", 1, "2022-06-01")


def test_complete_within_29_february_plus_one_year(tmp_path: Path) -> None:
    cat = load(
        tmp_path,
        """
        - id: x
          type: badge
          title: X
          valid_for: {years: 1}
          requires:
            all: [{course: CSCI 1010}, {course: CSCI 1020}]
            complete_within: {years: 1}
        """,
    )
    fits = learner(
        """
        - {course: CSCI 1010, date: 2024-02-29, grade: B}
        - {course: CSCI 1020, date: 2025-02-28, grade: B}
        """
    )
    # earned 2025-02-28, valid one year: expires 2026-02-28, after as_of 2026-01-01
    check(cat, fits, "x", "earned", 1, "2025-02-28", "2026-02-28")
    late = learner(
        """
        - {course: CSCI 1010, date: 2024-02-29, grade: B}
        - {course: CSCI 1020, date: 2025-03-01, grade: B}
        """
    )
    # no assignment counts both: the best keeps one of the two leaves
    check(cat, late, "x", "partial", Fraction(1, 2))


def test_inline_credential_consumes_its_courses_within_the_parent(tmp_path: Path) -> None:
    # b needs badge a (CSCI 1010 or CSCI 1020) and one more CSCI course. With CSCI 1010 and
    # CSCI 1020 both taken, a must take one and the courses leaf the other: a greedy engine
    # that lets a count both (any: both children satisfied) or picks the wrong one fails.
    cat = load(
        tmp_path,
        """
        - id: a
          type: badge
          title: A
          requires:
            any: [{course: CSCI 1010}, {course: CSCI 1020}]
        - id: b
          type: microcredential
          title: B
          requires:
            all:
              - {credential: a}
              - {courses: 1, from: {ids: [CSCI 1010, CSCI 1030]}}
        """,
    )
    t = learner(
        """
        - {course: CSCI 1010, date: 2023-01-10, grade: A}
        - {course: CSCI 1020, date: 2024-01-10, grade: A}
        """
    )
    check(cat, t, "a", "earned", 1, "2023-01-10")
    check(cat, t, "b", "earned", 1, "2024-01-10")


def test_inline_credential_uses_its_own_min_grade(tmp_path: Path) -> None:
    # a requires a B; b (min_grade D) includes a. The C in CSCI 1010 cannot count for a.
    cat = load(
        tmp_path,
        """
        - id: a
          type: badge
          title: A
          min_grade: B
          requires:
            courses: 1
            from: {ids: [CSCI 1010, CSCI 1020]}
        - id: b
          type: microcredential
          title: B
          min_grade: D
          requires:
            all:
              - {credential: a}
              - {courses: 1, from: {subject: CSCI}}
        """,
    )
    t = learner(
        """
        - {course: CSCI 1010, date: 2023-01-10, grade: A}
        - {course: CSCI 1020, date: 2024-01-10, grade: C}
        """
    )
    # greedy: a takes the first match it sees... exact: a gets CSCI 1010 (A), the courses
    # leaf CSCI 1020 (C ≥ D)
    check(cat, t, "b", "earned", 1, "2024-01-10")


def test_at_least_chooses_which_children_to_feed(tmp_path: Path) -> None:
    # at_least 2 of three single-course leaves sharing courses through selectors.
    cat = load(
        tmp_path,
        """
        - id: x
          type: badge
          title: X
          requires:
            at_least: 2
            of:
              - {courses: 1, from: {ids: [CSCI 1010, CSCI 1020]}}
              - {course: CSCI 1010}
              - {courses: 2, from: {ids: [CSCI 1010, CSCI 1030, MATH 1040]}}
        """,
    )
    t = learner(
        """
        - {course: CSCI 1010, date: 2023-01-10, grade: A}
        - {course: CSCI 1020, date: 2023-05-10, grade: A}
        """
    )
    # CSCI 1020 → first leaf, CSCI 1010 → second leaf: two children satisfied.
    check(cat, t, "x", "earned", 1, "2023-05-10")


def test_progress_is_the_best_over_assignments_not_the_first_found(tmp_path: Path) -> None:
    # all of: credits 6 from CSCI; course CSCI 1010. With only CSCI 1010 (3 credits) and
    # CSCI 1020 (3 credits): CSCI 1010 to the course leaf and CSCI 1020 to credits gives
    # (1/2 + 1)/2 = 3/4; both to credits gives (1 + 0)/2 = 1/2.
    cat = load(
        tmp_path,
        """
        - id: x
          type: badge
          title: X
          requires:
            all:
              - {credits: 6, from: {subject: CSCI}}
              - {course: CSCI 1010}
        """,
    )
    t = learner(
        """
        - {course: CSCI 1010, date: 2023-01-10, grade: A}
        - {course: CSCI 1020, date: 2023-05-10, grade: A}
        """
    )
    check(cat, t, "x", "partial", Fraction(3, 4))


def test_shared_leaf_counts_again(tmp_path: Path) -> None:
    cat = load(
        tmp_path,
        """
        - id: x
          type: badge
          title: X
          requires:
            all:
              - {courses: 2, from: {subject: CSCI}, shared: true}
              - {course: CSCI 1010}
              - {course: CSCI 1020}
        """,
    )
    t = learner(
        """
        - {course: CSCI 1010, date: 2023-01-10, grade: A}
        - {course: CSCI 1020, date: 2023-05-10, grade: A}
        """
    )
    check(cat, t, "x", "earned", 1, "2023-05-10")


def test_repeat_best_and_earned_on_of_the_better_attempt(tmp_path: Path) -> None:
    cat = load(
        tmp_path,
        """
        - id: x
          type: badge
          title: X
          requires: {course: CSCI 1010, min_grade: B}
        """,
    )
    t = learner(
        """
        - {course: CSCI 1010, date: 2022-01-10, grade: C}
        - {course: CSCI 1010, date: 2023-01-10, grade: F}
        - {course: CSCI 1010, date: 2024-01-10, grade: B+}
        """
    )
    check(cat, t, "x", "earned", 1, "2024-01-10")


def test_gpa_is_exact_at_the_threshold(tmp_path: Path) -> None:
    # (3.7·3 + 2.3·3) / 6 = 3.0 exactly; in binary floats it is 2.9999999999999996.
    cat = load(
        tmp_path,
        """
        - id: x
          type: badge
          title: X
          requires:
            all:
              - {courses: 2, from: {subject: CSCI}}
              - {gpa: 3.0, over: {subject: CSCI}}
        """,
    )
    t = learner(
        """
        - {course: CSCI 1010, date: 2023-01-10, grade: A-}
        - {course: CSCI 1020, date: 2023-05-10, grade: C+}
        """
    )
    check(cat, t, "x", "earned", 1, "2023-05-10")


def test_in_progress_meets_min_grade_and_is_dated_as_of(tmp_path: Path) -> None:
    cat = load(
        tmp_path,
        """
        - id: x
          type: badge
          title: X
          min_grade: B
          requires:
            all: [{course: CSCI 1010}, {course: CSCI 1020}]
        """,
    )
    t = learner(
        """
        - {course: CSCI 1010, date: 2025-06-30, grade: A}
        - {course: CSCI 1020, status: in_progress}
        """
    )
    check(cat, t, "x", "in_progress", Fraction(1, 2))


def test_awarded_credential_counts_without_courses(tmp_path: Path) -> None:
    cat = load(
        tmp_path,
        """
        - id: a
          type: badge
          title: A
          credits: 3
          requires: {course: CSCI 1010}
        - id: b
          type: microcredential
          title: B
          requires:
            all:
              - {credential: a}
              - {course: CSCI 1010}
        """,
    )
    t = learner(
        "- {course: CSCI 1010, date: 2024-03-01, grade: B}",
        "- {credential: a, date: 2022-06-15}",
    )
    # a is awarded (2022-06-15), so b does not need CSCI 1010 twice
    check(cat, t, "a", "earned", 1, "2022-06-15")
    check(cat, t, "b", "earned", 1, "2024-03-01")


def test_earned_when_a_credential_it_needs_is_awarded_after_its_courses(tmp_path: Path) -> None:
    # The rule holds only once a is held; a's award (2025-06-01) comes after the course that
    # also counts (2024-03-01), so b is earned on the award's date, not on the course's, nor
    # on the evaluation date.
    cat = load(
        tmp_path,
        """
        - id: a
          type: badge
          title: A
          credits: 3
          requires: {course: CSCI 1030}
        - id: b
          type: microcredential
          title: B
          requires:
            all:
              - {credential: a}
              - {course: CSCI 1010}
        """,
    )
    t = learner(
        "- {course: CSCI 1010, date: 2024-03-01, grade: B}",
        "- {credential: a, date: 2025-06-01}",
    )
    check(cat, t, "b", "earned", 1, "2025-06-01")


def test_award_satisfies_a_branch_beside_a_gpa_when_no_course_was_taken(tmp_path: Path) -> None:
    # Found by the property test. c0 is awarded; the learner has taken no course at all.
    # `any`: the credential child is held (§2: "awarded in the transcript and not expired"),
    # so the node is satisfied whatever the GPA child says. `all`: mean of 0 (GPA) and 1.
    # The same catalogue with any attempt at all on the transcript (even a W) evaluates right.
    cat = load(
        tmp_path,
        """
        - id: c0
          type: badge
          title: C0
          credits: 1
          requires: {course: CSCI 1010}
        - id: c1
          type: microcredential
          title: C1
          requires:
            any: [{gpa: 2.0}, {credential: c0}]
        - id: c2
          type: microcredential
          title: C2
          requires:
            all: [{gpa: 2.0}, {credits: 1, from: {subject: CSCI, credentials: {ids: [c0]}}}]
        """,
    )
    t = learner("[]", "- {credential: c0, date: 2022-06-15}")
    check(cat, t, "c1", "earned", 1, "2022-06-15")
    check(cat, t, "c2", "partial", Fraction(1, 2))


# --------------------------------------------------------------------------- CONTRACT.md §6

RETAKE_HEAD = """\
catalog: {id: t, name: T, repeats: REPEATS}
taxonomy: {types: {badge: {}}}
courses:
  - {id: MATH 1100, title: College Algebra, credits: 3}
  - {id: MATH 1200, title: Precalculus, credits: 3}
  - {id: MATH 1300, title: Trigonometry, credits: 3}
credentials:
"""


def test_in_progress_retake_replaces_the_counted_attempt_in_the_gpa(tmp_path: Path) -> None:
    """§6: an in-progress retake replaces the course's counted attempt in the in-progress
    scenario, for GPA too: it has no points, so the C- being retaken leaves the GPA. Without the
    retake the GPA is (1.7 + 4.0) / 2 = 2.85 < 3.0: partial; with it, MATH 1200 alone (4.0)."""
    rule = """
        - id: x
          type: badge
          title: X
          requires:
            all: [{course: MATH 1200}, {gpa: 3.0}]
        """
    for repeats in ("best", "latest"):
        cat = load(tmp_path, rule, RETAKE_HEAD.replace("REPEATS", repeats))
        taken = """
            - {course: MATH 1100, date: 2025-01-10, grade: C-}
            - {course: MATH 1200, date: 2025-01-10, grade: A}
            """
        check(cat, learner(taken), "x", "partial", Fraction(1, 2))
        retaking = learner(textwrap.dedent(taken) + "- {course: MATH 1100, status: in_progress}\n")
        # progress counts completed attempts only: unchanged by the retake
        check(cat, retaking, "x", "in_progress", Fraction(1, 2))


def test_in_progress_retake_of_a_good_grade_also_leaves_the_gpa(tmp_path: Path) -> None:
    """§6 cuts both ways: retaking the A takes it out of the in-progress GPA, leaving the C
    (2.0 < 3.0), so the credential is not in progress although the missing course is."""
    cat = load(
        tmp_path,
        """
        - id: x
          type: badge
          title: X
          requires:
            all: [{course: MATH 1200}, {course: MATH 1300}, {gpa: 3.0}]
        """,
        RETAKE_HEAD.replace("REPEATS", "best"),
    )
    t = learner(
        """
        - {course: MATH 1100, date: 2025-01-10, grade: C}
        - {course: MATH 1200, date: 2025-01-10, grade: A}
        - {course: MATH 1200, status: in_progress}
        - {course: MATH 1300, status: in_progress}
        """
    )
    check(cat, t, "x", "partial", Fraction(2, 3))


def test_in_progress_retake_of_the_only_graded_course_leaves_no_gpa(tmp_path: Path) -> None:
    """With its only graded course being retaken, the in-progress GPA has no grade to average,
    and a GPA floor with no graded attempt is not met (as at any other time)."""
    cat = load(
        tmp_path,
        """
        - id: x
          type: badge
          title: X
          requires:
            all: [{course: MATH 1200}, {gpa: 2.0}]
        """,
        RETAKE_HEAD.replace("REPEATS", "best"),
    )
    t = learner(
        """
        - {course: MATH 1200, date: 2025-01-10, grade: D}
        - {course: MATH 1200, status: in_progress}
        """
    )
    check(cat, t, "x", "partial", Fraction(1, 2))


def test_credits_from_credentials_only_admit_no_course(tmp_path: Path) -> None:
    """§6: ``from: {credentials: {type: badge}}`` admits awarded badges and no course, so
    coursework does not meet "credits from badges"; an award does."""
    cat = load(
        tmp_path,
        """
        - {id: b1, type: badge, title: B1, credits: 3, requires: {course: MATH 3060}}
        - id: m
          type: microcredential
          title: M
          requires: {credits: 3, from: {credentials: {type: badge}}}
        - id: ids
          type: microcredential
          title: Ids
          requires: {credits: 3, from: {credentials: {ids: [b1]}}}
        """,
    )
    courses = learner(
        """
        - {course: CSCI 1010, date: 2024-05-01, grade: A}
        - {course: CSCI 1020, date: 2024-05-01, grade: A}
        """
    )
    check(cat, courses, "m", "not_started", 0)
    check(cat, courses, "ids", "not_started", 0)
    held = learner("- {course: CSCI 1010, date: 2024-05-01, grade: A}", "- {credential: b1, date: 2025-01-01}")
    check(cat, held, "m", "earned", 1, "2025-01-01")
    check(cat, held, "ids", "earned", 1, "2025-01-01")
    assert evaluate(cat, held, AS_OF).credentials["m"].applied[0].course == "b1"


def test_credits_from_credentials_and_a_course_filter_still_count_courses(tmp_path: Path) -> None:
    """Only a selector with no course filter at all admits no course; beside a filter, courses
    count as before, and a credits selector with no key matches every course."""
    cat = load(
        tmp_path,
        """
        - {id: b1, type: badge, title: B1, credits: 3, requires: {course: MATH 3060}}
        - id: m
          type: microcredential
          title: M
          requires: {credits: 6, from: {subject: CSCI, credentials: {type: badge}}}
        - {id: any, type: badge, title: Any, requires: {credits: 6, from: {}}}
        """,
    )
    t = learner(
        """
        - {course: CSCI 1010, date: 2024-05-01, grade: A}
        - {course: MATH 1040, date: 2024-06-01, grade: A}
        """,
        "- {credential: b1, date: 2025-01-01}",
    )
    check(cat, t, "m", "earned", 1, "2025-01-01")
    check(cat, t, "any", "earned", 1, "2024-06-01")


AWARD_CREDENTIALS = """
    - {id: a, type: badge, title: A, credits: 3, requires: {course: CSCI 1030}}
    - id: b
      type: microcredential
      title: B
      requires:
        all: [{credential: a}, {course: CSCI 1010}]
    """


def test_award_counts_on_a_cut_date_when_not_expired_on_that_date(tmp_path: Path) -> None:
    """§6: when the transcript is cut to a date D (the earned_on search), an award counts if
    dated on or before D and not expired on D, even if it has expired by as_of. Here b holds at
    as_of through a earned inline (CSCI 1030, 2024), and first held on 2022-06-01 through the
    award, then valid."""
    cat = load(tmp_path, AWARD_CREDENTIALS)
    attempts = """
        - {course: CSCI 1010, date: 2022-06-01, grade: B}
        - {course: CSCI 1030, date: 2024-01-10, grade: B}
        """
    valid = learner(attempts, "- {credential: a, date: 2022-01-01, expires_on: 2023-01-01}")
    check(cat, valid, "a", "expired", 1, "2022-01-01", "2023-01-01")
    check(cat, valid, "b", "earned", 1, "2022-06-01")
    # an award is expired on its expires_on date: on 2022-06-01 it no longer counts
    lapsed = learner(attempts, "- {credential: a, date: 2022-01-01, expires_on: 2022-06-01}")
    check(cat, lapsed, "b", "earned", 1, "2024-01-10")


def test_award_without_expiry_expires_after_valid_for(tmp_path: Path) -> None:
    """§6: an award without ``expires_on`` of a credential with ``valid_for`` expires at its
    date plus ``valid_for``: then it is judged on each date like any other award."""
    for years, status_a, status_c, progress in ((1, "expired", "not_started", 0), (2, "earned", "earned", 1)):
        cat = load(
            tmp_path,
            f"""
            - {{id: a, type: badge, title: A, credits: 3, valid_for: {{years: {years}}}}}
            - id: c
              type: microcredential
              title: C
              requires: {{credits: 3, from: {{credentials: {{ids: [a]}}}}}}
            """,
        )
        t = learner("[]", "- {credential: a, date: 2024-06-01}")
        expires = f"{2024 + years}-06-01"
        check(cat, t, "a", status_a, 1, "2024-06-01", expires)
        check(cat, t, "c", status_c, progress, "2024-06-01" if status_c == "earned" else None)


def test_shared_leaf_under_complete_within_counts_what_fits_one_window(tmp_path: Path) -> None:
    """§6: a ``shared`` leaf under ``complete_within`` counts the attempts that fit one window,
    like any other leaf: CSCI 1010 (2020) counts for its own leaf, but not in the shared leaf's
    one-year window with CSCI 1020 and CSCI 1030 (2021)."""
    cat = load(
        tmp_path,
        """
        - id: x
          type: badge
          title: X
          requires:
            all:
              - {courses: 2, from: {subject: CSCI}, shared: true, complete_within: {years: 1}}
              - {course: CSCI 1010}
        - id: y
          type: badge
          title: Y
          requires:
            all:
              - {courses: 2, from: {subject: CSCI}, shared: true}
              - {course: CSCI 1030}
            complete_within: {years: 1}
        """,
    )
    early = """
        - {course: CSCI 1010, date: 2020-05-01, grade: A}
        - {course: CSCI 1020, date: 2021-09-01, grade: A}
        """
    # 2020-05 and 2021-09 are 16 months apart: the shared leaf counts one of them
    check(cat, learner(early), "x", "partial", Fraction(3, 4))
    both = learner(textwrap.dedent(early) + "- {course: CSCI 1030, date: 2021-10-01, grade: A}\n")
    check(cat, both, "x", "earned", 1, "2021-10-01")
    # the window of y bounds its shared leaf too: CSCI 1020 and CSCI 1030, not CSCI 1010
    check(cat, both, "y", "earned", 1, "2021-10-01")
