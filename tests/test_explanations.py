"""What an advisor reads: missing sentences, the requirement tree and "did not count" say
what the evaluation found, in words that cannot be read the wrong way. Each case is a small
catalogue built for it."""

from __future__ import annotations

import datetime as dt
import io
import json
import textwrap
from pathlib import Path
from typing import Any

from microcred.checks.validate import load_catalog
from microcred.cli import main
from microcred.io.transcript import TranscriptSource, iter_csv, read_transcript_text
from microcred.model.catalog import Catalog
from microcred.model.result import LearnerResult, RequirementResult
from microcred.render.report_text import render
from microcred.rules.evaluate import evaluate

HEAD = """\
catalog: {id: t, name: T}
taxonomy:
  types:
    badge: {stacks_into: [microcredential, degree]}
    microcredential: {stacks_into: [degree]}
    degree: {}
courses:
  - {id: CSCI 1000, title: A, credits: 3}
  - {id: CSCI 1001, title: B, credits: 3}
  - {id: CSCI 1002, title: C, credits: 3}
  - {id: CSCI 1003, title: D, credits: 3}
  - {id: CSCI 2000, title: E, credits: 3}
credentials:
"""


def _catalog(tmp_path: Path, credentials: str) -> Catalog:
    path = tmp_path / "catalog.yaml"
    path.write_text(HEAD + textwrap.indent(textwrap.dedent(credentials), "  "), encoding="utf-8")
    return load_catalog(path)


def _transcript(text: str, name: str = "t.yaml") -> TranscriptSource:
    return read_transcript_text(textwrap.dedent(text), name)


def _attempts(*rows: str) -> TranscriptSource:
    body = "\n".join(f"  - {r}" for r in rows)
    return _transcript(f"learner: {{id: L1}}\nas_of: 2026-05-20\nattempts:\n{body}\n")


def _node(tree: RequirementResult | None, ref: str) -> RequirementResult:
    stack = [tree] if tree is not None else []
    while stack:
        n = stack.pop()
        if n.ref == ref:
            return n
        stack.extend(n.children)
    raise AssertionError(f"no node {ref}")


def _json(result: LearnerResult) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(json.dumps(result.to_json()))
    return doc


# -- a course counted elsewhere in the same credential ---------------------------------------

ELECTIVES = """\
- id: m
  type: microcredential
  title: M
  requires:
    all:
      - {id: electives, label: Technical electives, courses: 1, from: {ids: [CSCI 1000, CSCI 1001]}}
      - all:
          - {id: core, course: CSCI 1000, min_grade: C}
          - {course: CSCI 1002}
          - {course: CSCI 1003}
"""


def test_a_course_counted_elsewhere_is_not_asked_for_again(tmp_path: Path) -> None:
    """CSCI 1000 passed with C+ counts toward the electives (worth more there than as a third
    of the inner group), so the core course is unmet: the advisor must read that no retake is
    needed, not "CSCI 1000 with C or better"."""
    cat = _catalog(tmp_path, ELECTIVES)
    r = evaluate(cat, _attempts("{course: CSCI 1000, date: 2025-01-10, grade: C+}")).credentials["m"]
    assert [(a.course, a.node) for a in r.applied] == [("CSCI 1000", "electives")]
    assert r.missing == [
        "course CSCI 1000 counted toward Technical electives; no retake needed",
        "course CSCI 1002",
        "course CSCI 1003",
    ]


def test_counted_elsewhere_course_with_a_low_grade_still_needs_the_grade(tmp_path: Path) -> None:
    """A C- counted by the electives does not meet the core's C: the sentence keeps the minimum
    grade and says which grade counted where (a retake, or another course, is needed)."""
    cat = _catalog(tmp_path, ELECTIVES)
    r = evaluate(cat, _attempts("{course: CSCI 1000, date: 2025-01-10, grade: C-}")).credentials["m"]
    assert [(a.course, a.node) for a in r.applied] == [("CSCI 1000", "electives")]
    assert r.missing[0] == "course CSCI 1000 with C or better (its C- counts toward Technical electives)"


# -- a shared node and "already count elsewhere" ---------------------------------------------

SHARED = """\
- id: m
  type: microcredential
  title: M
  requires:
    all:
      - {id: intro, course: CSCI 1000}
      - {id: total, label: Total, credits: 12, from: {subject: CSCI}, shared: true}
      - {id: upper, label: Upper, credits: 6, from: {ids: [CSCI 1000, CSCI 1001, CSCI 2000]}}
"""


def test_a_shared_node_never_claims_its_own_courses_count_elsewhere(tmp_path: Path) -> None:
    """`total` (shared) counts CSCI 1000 and CSCI 1001 though they count elsewhere too: it must
    not say they "already count elsewhere". `upper` counts CSCI 1001 itself and cannot have
    CSCI 1000 (the intro course): only CSCI 1000 is said to count elsewhere."""
    cat = _catalog(tmp_path, SHARED)
    src = _attempts(
        "{course: CSCI 1000, date: 2025-01-10, grade: A}", "{course: CSCI 1001, date: 2025-01-10, grade: A}"
    )
    r = evaluate(cat, src).credentials["m"]
    assert {a.course for a in r.applied if a.node == "total"} == {"CSCI 1000", "CSCI 1001"}
    assert {a.course for a in r.applied if a.node == "upper"} == {"CSCI 1001"}
    assert r.missing == [
        "6 more credits from: CSCI",
        "3 more credits from: CSCI 1000, CSCI 1001, CSCI 2000 (CSCI 1000 already counts elsewhere)",
    ]


# -- nested credentials the learner has earned ---------------------------------------------------

NESTED = """\
- id: b
  type: badge
  title: B
  requires: {course: CSCI 1000}
- id: ext
  type: badge
  title: External
- id: m
  type: microcredential
  title: M
  requires:
    all:
      - {id: electives, label: Technical electives, courses: 1, from: {ids: [CSCI 1000, CSCI 1001]}}
      - all:
          - {id: badge-b, credential: b}
          - {course: CSCI 1002}
          - {course: CSCI 1003}
      - {id: held, credential: ext}
"""


def test_an_earned_nested_credential_shows_as_earned(tmp_path: Path) -> None:
    """The learner earned badge b with CSCI 1000; in m, CSCI 1000 counts toward the electives
    (that gets m furthest), so b's node is not met there. The tree says the learner holds b
    (met, 100 %) and where its course counts; m's progress is the assignment's."""
    cat = _catalog(tmp_path, NESTED)
    src = _transcript(
        """\
        learner: {id: L1}
        as_of: 2026-05-20
        attempts:
          - {course: CSCI 1000, date: 2025-01-10, grade: A}
        awarded:
          - {credential: ext, date: 2025-03-01}
        """
    )
    result = evaluate(cat, src)
    m = result.credentials["m"]
    assert result.credentials["b"].status == "earned"
    assert [(a.course, a.node) for a in m.applied] == [("CSCI 1000", "electives")]
    assert m.progress == 2 / 3  # b's node counts nothing in m: the figure is the assignment's
    node = _node(m.requirements, "badge-b")
    assert node.satisfied and node.progress == 1.0
    assert node.note == "earned 2025-01-10; here its courses count toward Technical electives"
    held = _node(m.requirements, "held")
    assert held.satisfied and held.progress == 1.0 and held.note == "held (awarded)"
    text = render(result, detail=True)
    assert "✓ B (credential b)  (earned 2025-01-10; here its courses count toward Technical electives)" in text
    assert "✓ External (credential ext)  (held (awarded))" in text
    assert "✗ B (credential b)" not in text and "✗ credential b" not in text
    doc = _json(result)["credentials"]["m"]["requirements"]
    (b_json,) = [c for c in doc["children"][1]["children"] if c["node"] == "badge-b"]
    assert b_json["satisfied"] is True and b_json["progress"] == 1.0 and "children" not in b_json
    # the same with the credential asked for alone
    alone = evaluate(cat, src, credentials=["m"])
    assert _node(alone.credentials["m"].requirements, "badge-b").note == node.note


def test_an_earned_nested_credential_below_a_stricter_grade_stays_unmet(tmp_path: Path) -> None:
    """Badge b has no minimum grade, so a C- earns it; m asks C or better of everything below,
    so b does not count in m: the node stays unmet, and says the learner holds b."""
    cat = _catalog(
        tmp_path,
        """\
        - id: b
          type: badge
          title: B
          requires: {course: CSCI 1000}
        - id: m
          type: microcredential
          title: M
          min_grade: C
          requires:
            all:
              - {id: badge-b, credential: b}
              - {course: CSCI 1001}
        """,
    )
    result = evaluate(
        cat,
        _attempts(
            "{course: CSCI 1000, date: 2025-01-10, grade: C-}", "{course: CSCI 1001, date: 2025-01-10, grade: A}"
        ),
    )
    assert result.credentials["b"].status == "earned"
    node = _node(result.credentials["m"].requirements, "badge-b")
    assert not node.satisfied and node.progress == 0.0
    assert node.note == "earned 2025-01-10 on its own, but it does not count here as it stands"
    assert "for b: course CSCI 1000 with C or better" in result.credentials["m"].missing


# -- missing lists say nothing twice ---------------------------------------------------------------


def test_missing_lists_have_no_repeated_items(tmp_path: Path) -> None:
    cat = _catalog(
        tmp_path,
        """\
        - id: b
          type: badge
          title: B
          requires:
            all: [{course: CSCI 1002}, {course: CSCI 1003}]
        - id: m
          type: degree
          title: M
          requires:
            all:
              - {id: one, credential: b}
              - {id: two, label: Second, any: [{credential: b}, {course: CSCI 1001}]}
              - at_least: 2
                of: [{course: CSCI 1000}, {course: CSCI 1000}, {course: CSCI 1001}]
              - any: [{course: CSCI 2000}, {course: CSCI 2000}]
        """,
    )
    r = evaluate(cat, _attempts("{course: CSCI 2000, date: 2025-01-10, grade: F}")).credentials["m"]
    assert len(r.missing) == len(set(r.missing)), r.missing
    assert "for b: course CSCI 1002" in r.missing
    for m in r.missing:
        for sep in (" | ", "; "):
            items = m.split(": ", 1)[-1].split(" (")[0].split(sep)
            assert len(items) == len(set(items)), m


# -- attempts dated after the evaluation date ----------------------------------------------------------


def test_an_attempt_dated_after_as_of_is_warned_and_listed(tmp_path: Path) -> None:
    cat = _catalog(tmp_path, ELECTIVES)
    text = """\
        learner: {id: L1}
        as_of: 2026-05-20
        attempts:
          - {course: CSCI 1001, date: 2025-01-10, grade: A}
          - {course: CSCI 1002, date: 9999-12-31, grade: A}
          - {course: CSCI 1000, date: 2026-06-01, grade: B, status: transfer}
        """
    result = evaluate(cat, _transcript(text, "future.yaml"))
    w608 = [w for w in result.warnings if w.code == "W608"]
    assert [(w.location.file, w.location.line, w.location.column) for w in w608 if w.location] == [
        ("future.yaml", 5, 31),
        ("future.yaml", 6, 31),
    ]
    assert "dated 9999-12-31, after the evaluation date 2026-05-20" in w608[0].message
    r = result.credentials["m"]
    reasons = {(n.course, n.date.isoformat() if n.date else None): n.reason for n in r.not_counted}
    assert reasons[("CSCI 1002", "9999-12-31")] == "dated 9999-12-31, after the evaluation date 2026-05-20"
    assert reasons[("CSCI 1000", "2026-06-01")] == "dated 2026-06-01, after the evaluation date 2026-05-20"
    # what counts is what counted before: the same record without those attempts
    without = evaluate(cat, _attempts("{course: CSCI 1001, date: 2025-01-10, grade: A}")).credentials["m"]
    assert (r.status, r.progress, r.applied, r.missing) == (
        without.status,
        without.progress,
        without.applied,
        without.missing,
    )
    doc = _json(result)
    assert [w["code"] for w in doc["warnings"]] == ["W608", "W608"]
    assert doc["warnings"][0]["line"] == 5
    assert {n["reason"] for n in doc["credentials"]["m"]["not_counted"]} >= {
        "dated 9999-12-31, after the evaluation date 2026-05-20"
    }
    assert "dated 9999-12-31, after the evaluation date 2026-05-20" in render(result, detail=True)


def test_future_attempt_in_a_csv_names_its_row(tmp_path: Path) -> None:
    cat = _catalog(tmp_path, ELECTIVES)
    csv = "learner_id,course,date,grade\nL1,CSCI 1001,2025-01-10,A\nL1,CSCI 1002,9999-12-31,A\n"
    (src,) = [s for s in iter_csv(csv, "rows.csv") if isinstance(s, TranscriptSource)]
    result = evaluate(cat, src, as_of=dt.date(2026, 5, 20))
    (w,) = result.warnings
    assert w.code == "W608" and w.location is not None
    assert (w.location.file, w.location.line, w.location.column) == ("rows.csv", 3, 3)


def test_cli_reports_the_future_attempt(tmp_path: Path) -> None:
    (tmp_path / "c").mkdir()
    cat_dir = tmp_path / "c"
    (cat_dir / "catalog.yaml").write_text(HEAD + textwrap.indent(ELECTIVES, "  "), encoding="utf-8")
    t = tmp_path / "t.yaml"
    t.write_text(
        "learner: {id: L1}\nas_of: 2026-05-20\nattempts:\n  - {course: CSCI 1002, date: 9999-12-31, grade: A}\n",
        encoding="utf-8",
    )
    out, err = io.StringIO(), io.StringIO()
    assert main(["evaluate", "--catalog", str(cat_dir), "--format", "json", str(t)], out=out, err=err) == 0
    assert f"{t}:4:31: W608" in err.getvalue()
    doc = json.loads(out.getvalue())
    assert doc["warnings"][0]["code"] == "W608"
    assert doc["credentials"]["m"]["not_counted"][0]["reason"].startswith("dated 9999-12-31")
