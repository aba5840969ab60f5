"""`microcred diff`: rules that changed meaning (with counterexamples), the numbers the
skeleton cannot see, the learners a new catalogue affects, and the command line."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import shutil
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from microcred.analysis.diff import (
    CredentialDiff,
    LearnerChange,
    LearnerError,
    diff_catalogs,
    plan_impact,
    render_diff,
)
from microcred.checks.validate import load_catalog
from microcred.cli import main
from microcred.io.transcript import Transcript, TranscriptSource, read_transcript_text, read_transcripts
from microcred.model.catalog import Catalog
from microcred.model.diagnostics import MicrocredError
from microcred.rules.evaluate import compile_catalog, evaluate
from microcred.run.generate import generate_population, write_jsonl
from microcred.run.impact import impact

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "catalog/example-university"
LEARNERS = ROOT / "examples/example-university"
AS_OF = dt.date(2026, 11, 29)

BASE = """\
taxonomy: {types: {badge: {stacks_into: [certificate]}, certificate: {}}}
courses:
  - {id: CSCI 1410, title: Fundamentals, credits: 3}
  - {id: CSCI 1411, title: Laboratory, credits: 1}
  - {id: MATH 2000, title: Mathematics, credits: 3}
  - {id: STAT 2000, title: Statistics, credits: 3}
  - {id: STAT 3001, title: Regression, credits: 3}
  - {id: STAT 3010, title: Experiments, credits: 3}
  - {id: STAT 4010, title: Bayesian, credits: 3}
  - {id: STAT 4020, title: Learning, credits: 3}
credentials:
"""

Make = Callable[..., Catalog]


@pytest.fixture
def make(tmp_path: Path) -> Make:
    """A catalogue with one credential ``x`` whose ``requires:`` is ``rule`` (YAML)."""
    count = 0

    def build(rule: str, *, fields: str = "", courses: str = "", more: str = "") -> Catalog:
        nonlocal count
        count += 1
        root = tmp_path / f"c{count}"
        root.mkdir()
        head = BASE.replace("credentials:\n", courses + "credentials:\n")
        body = "- id: x\n  type: badge\n  title: X\n" + textwrap.indent(textwrap.dedent(fields), "  ")
        body += "  requires:\n" + textwrap.indent(textwrap.dedent(rule).strip() + "\n", "    ")
        text = head + textwrap.indent(body + textwrap.dedent(more), "  ")
        (root / "catalog.yaml").write_text(text, encoding="utf-8")
        return load_catalog(root)

    return build


def rule_diff(make: Make, old: str, new: str, **kw: str) -> CredentialDiff:
    return diff_catalogs(make(old, **kw), make(new, **kw)).credentials["x"]


# -- (a) equivalent rewrites ---------------------------------------------------------------

EQUIVALENT = {
    "reordered all": (
        "all: [{course: CSCI 1410}, {course: MATH 2000}, {course: STAT 2000}]",
        "all: [{course: STAT 2000}, {course: CSCI 1410}, {course: MATH 2000}]",
    ),
    "reordered any": (
        "any: [{course: CSCI 1410}, {all: [{course: MATH 2000}, {course: STAT 2000}]}]",
        "any: [{all: [{course: STAT 2000}, {course: MATH 2000}]}, {course: CSCI 1410}]",
    ),
    "relabelled": (
        "all: [{course: CSCI 1410, id: a}, {course: MATH 2000}]",
        "{label: Core, id: core, all: [{course: CSCI 1410, id: lecture, label: L}, {course: MATH 2000, id: m}]}",
    ),
    "any of one child": (
        "all: [{any: [{course: CSCI 1410}]}, {course: MATH 2000}]",
        "all: [{course: CSCI 1410}, {course: MATH 2000}]",
    ),
    "all of one child": ("all: [{course: CSCI 1410}]", "course: CSCI 1410"),
    "nested all flattened": (
        "all: [{all: [{course: CSCI 1410}, {course: MATH 2000}]}, {course: STAT 2000}]",
        "all: [{course: CSCI 1410}, {course: MATH 2000}, {course: STAT 2000}]",
    ),
    "nested any flattened": (
        "any: [{course: CSCI 1410}, {any: [{course: MATH 2000}, {course: STAT 2000}]}]",
        "any: [{course: CSCI 1410}, {course: MATH 2000}, {course: STAT 2000}]",
    ),
    "at_least N of N is all": (
        "{at_least: 2, of: [{course: CSCI 1410}, {course: MATH 2000}]}",
        "all: [{course: MATH 2000}, {course: CSCI 1410}]",
    ),
    "at_least 1 is any": (
        "{at_least: 1, of: [{course: CSCI 1410}, {course: MATH 2000}]}",
        "any: [{course: MATH 2000}, {course: CSCI 1410}]",
    ),
    "min_grade on the parent or on each leaf": (
        "{min_grade: C, all: [{course: CSCI 1410}, {course: MATH 2000}]}",
        "all: [{course: CSCI 1410, min_grade: C}, {course: MATH 2000, min_grade: C}]",
    ),
    "absorbed branch": (
        "any: [{course: CSCI 1410}, {all: [{course: CSCI 1410}, {course: MATH 2000}]}]",
        "course: CSCI 1410",
    ),
    "distributed": (
        "all: [{course: CSCI 1410}, {any: [{course: MATH 2000}, {course: STAT 2000}]}]",
        "any: [{all: [{course: CSCI 1410}, {course: MATH 2000}]}, {all: [{course: CSCI 1410}, {course: STAT 2000}]}]",
    ),
    "exclusivity: a course counted once": (
        "all: [{course: CSCI 1410}, {any: [{course: CSCI 1410}, {course: MATH 2000}]}]",
        "all: [{course: CSCI 1410}, {course: MATH 2000}]",
    ),
    "the same selector written otherwise": (
        "{courses: 2, from: {subject: STAT, level: '3000+'}}",
        "{courses: 2, from: {ids: [STAT 3001, STAT 3010, STAT 4010, STAT 4020]}}",
    ),
}


@pytest.mark.parametrize(("old", "new"), EQUIVALENT.values(), ids=EQUIVALENT.keys())
def test_equivalent_rewrites_are_no_change_in_meaning(make: Make, old: str, new: str) -> None:
    d = rule_diff(make, old, new)
    assert d.meaning == "equivalent", (d.verdict, [str(c) for c in d.counterexamples], [str(c) for c in d.changes])
    assert d.verdict == "no change in meaning"
    assert d.counterexamples == [] and d.changes == []
    assert not d.changed and d.rewritten


def test_an_identical_rule_is_no_change(make: Make) -> None:
    rule = "all: [{course: CSCI 1410}, {courses: 1, from: {subject: STAT}}]"
    diff = diff_catalogs(make(rule), make(rule))
    assert diff.identical
    assert diff.credentials["x"].meaning == "unchanged"
    assert render_diff(diff).splitlines()[-1] == "  no differences"


# -- (a) real changes, with a counterexample checked against the evaluator -----------------

_HAS = re.compile(r"^([A-Z]+ \d+)(?: \((\S+) or better\)| at (\S+) but below (\S+)| below (\S+))?$")
_BELOW = {"A": "B", "B": "C", "C": "D", "D": "F"}


def _learner(has: list[str]) -> Transcript | None:
    """A transcript with the courses of a counterexample, at grades that fit its words."""
    attempts = []
    for item in has:
        m = _HAS.match(item)
        if m is None:
            return None  # an atom ("2 courses from …"): not a single course
        course, better, at, _below_at, below = m.groups()
        grade = at or (_BELOW[below] if below else better or "A")
        attempts.append({"course": course, "date": "2025-05-01", "grade": grade})
    return Transcript.model_validate({"learner": {"id": "cx"}, "attempts": attempts})


def check_counterexamples(old: Catalog, new: Catalog, d: CredentialDiff) -> int:
    """Every counterexample made only of courses really separates the two versions."""
    checked = 0
    for c in d.counterexamples:
        t = _learner(c.has)
        if t is None or c.context:
            continue
        day = dt.date(2025, 6, 1)
        status = {
            "old": evaluate(old, t, day, detail=False).credentials["x"].status,
            "new": evaluate(new, t, day, detail=False).credentials["x"].status,
        }
        assert status[c.meets] == "earned", (str(c), status)
        assert status[c.fails] != "earned", (str(c), status)
        checked += 1
    return checked


CHANGED = {
    "a course replaced": (
        "all: [{course: CSCI 1410}, {course: MATH 2000}]",
        "all: [{course: CSCI 1410}, {course: STAT 2000}]",
        {
            "a learner with CSCI 1410 and MATH 2000 but not STAT 2000 meets the old rule but not the new",
            "a learner with CSCI 1410 and STAT 2000 but not MATH 2000 meets the new rule but not the old",
        },
    ),
    "any becomes all": (
        "any: [{course: CSCI 1410}, {course: MATH 2000}]",
        "all: [{course: CSCI 1410}, {course: MATH 2000}]",
        {"a learner with CSCI 1410 but not MATH 2000 meets the old rule but not the new"},
    ),
    "at_least 2 becomes 3": (
        "{at_least: 2, of: [{course: CSCI 1410}, {course: MATH 2000}, {course: STAT 2000}]}",
        "{at_least: 3, of: [{course: CSCI 1410}, {course: MATH 2000}, {course: STAT 2000}]}",
        {"a learner with CSCI 1410 and MATH 2000 but not STAT 2000 meets the old rule but not the new"},
    ),
    "min_grade C becomes B": (
        "all: [{course: CSCI 1410, min_grade: C}, {course: MATH 2000}]",
        "all: [{course: CSCI 1410, min_grade: B}, {course: MATH 2000}]",
        {"a learner with CSCI 1410 at C but below B and MATH 2000 meets the old rule but not the new"},
    ),
    "a course counted twice": (
        "all: [{course: CSCI 1410}, {any: [{course: CSCI 1410}, {course: MATH 2000}]}]",
        "course: CSCI 1410",
        {"a learner with CSCI 1410 but not MATH 2000 meets the new rule but not the old"},
    ),
}


@pytest.mark.parametrize(("old", "new", "expected"), CHANGED.values(), ids=CHANGED.keys())
def test_real_changes_come_with_a_counterexample(make: Make, old: str, new: str, expected: set[str]) -> None:
    a, b = make(old), make(new)
    d = diff_catalogs(a, b).credentials["x"]
    assert d.meaning == "changed" and d.changed
    assert {str(c) for c in d.counterexamples} == expected
    assert check_counterexamples(a, b, d) == len(expected)


def test_at_least_change_also_reports_the_number(make: Make) -> None:
    of = "of: [{course: CSCI 1410}, {course: MATH 2000}, {course: STAT 2000}]"
    d = rule_diff(make, f"{{at_least: 2, id: two, {of}}}", f"{{at_least: 3, id: two, {of}}}")
    assert [(c.what, c.old, c.new, str(c)) for c in d.changes] == [("at_least", 2, 3, "two: at_least 2 → 3 of 3")]


def test_courses_count_change(make: Make) -> None:
    d = rule_diff(make, "{courses: 2, from: {subject: STAT}}", "{courses: 3, from: {subject: STAT}}")
    assert d.meaning == "changed"
    assert [str(c) for c in d.changes] == ["courses from STAT: 2 → 3 courses"]
    assert [str(c) for c in d.counterexamples] == [
        "a learner with 2 courses from STAT but not 3 courses from STAT meets the old rule but not the new"
    ]


def test_credits_change(make: Make) -> None:
    d = rule_diff(
        make, "{credits: 6, id: pool, from: {subject: STAT}}", "{credits: 9, id: pool, from: {subject: STAT}}"
    )
    assert [(c.what, c.old, c.new) for c in d.changes] == [("credits", 6.0, 9.0)]
    assert len(d.counterexamples) == 1 and d.counterexamples[0].meets == "old"


def test_min_grade_change_is_reported_with_the_nodes(make: Make) -> None:
    old = (
        "{min_grade: C, all: [{course: CSCI 1410}, {course: MATH 2000, min_grade: D},"
        " {courses: 1, id: s, from: {subject: STAT}}]}"
    )
    new = old.replace("min_grade: C", "min_grade: B")
    d = rule_diff(make, old, new)
    assert [str(c) for c in d.changes] == ["min_grade C → B on CSCI 1410 and s"]
    assert d.counterexamples and all(c.meets == "old" for c in d.counterexamples)


def test_credential_level_min_grade(make: Make) -> None:
    rule = "all: [{course: CSCI 1410}, {course: MATH 2000}]"
    a, b = make(rule, fields="min_grade: C\n"), make(rule, fields="min_grade: B\n")
    d = diff_catalogs(a, b).credentials["x"]
    assert [str(f) for f in d.fields] == ["min_grade: C → B"]
    assert [str(c) for c in d.changes] == ["min_grade C → B on CSCI 1410 and MATH 2000"]
    assert d.meaning == "changed"
    assert check_counterexamples(a, b, d) == len(d.counterexamples) == 1


def test_widened_selector(make: Make) -> None:
    a = make("{courses: 1, id: data, from: {ids: [STAT 3001, STAT 3010]}}")
    b = make("{courses: 1, id: data, from: {ids: [STAT 3001, STAT 3010, STAT 4010]}}")
    d = diff_catalogs(a, b).credentials["x"]
    assert d.meaning == "changed"
    assert [(c.what, c.new, str(c)) for c in d.changes] == [
        ("selector", ["STAT 4010"], "data: now also matches STAT 4010")
    ]
    (cx,) = d.counterexamples
    assert cx.meets == "new"  # the wider selector accepts more learners, never fewer


def test_selector_widened_by_a_new_course_in_the_catalogue(make: Make) -> None:
    rule = "{courses: 1, id: stats, from: {subject: STAT, level: '4000+'}}"
    extra = "  - {id: STAT 4500, title: Time Series, credits: 3}\n"
    d = diff_catalogs(make(rule), make(rule, courses=extra)).credentials["x"]
    assert not d.rewritten  # the rule's text is the same …
    assert [str(c) for c in d.changes] == ["stats: now also matches STAT 4500"]  # … its reach is not
    assert d.meaning == "changed" and d.affected


def test_a_selector_of_only_credentials_matches_no_course(make: Make) -> None:
    # CONTRACT.md §6: `from: {credentials: ...}` admits the awards and no course; a course
    # filter beside it lets courses in, and an empty selector matches every course
    aws = "- {id: aws, type: badge, title: AWS, credits: 3}\n"
    only = "{credits: 3, id: prior, from: {credentials: {ids: [aws]}}}"
    none = "{credits: 3, id: prior, from: {ids: [], credentials: {ids: [aws]}}}"
    assert rule_diff(make, only, none, more=aws).meaning == "equivalent"
    a, b = (
        make(only, more=aws),
        make("{credits: 3, id: prior, from: {subject: STAT, credentials: {ids: [aws]}}}", more=aws),
    )
    d = diff_catalogs(a, b).credentials["x"]
    assert d.meaning == "changed"
    assert [str(c) for c in d.changes] == [
        "prior: now also matches STAT 2000, STAT 3001, STAT 3010, STAT 4010, STAT 4020"
    ]
    assert [c.meets for c in d.counterexamples] == ["new"]
    t = Transcript.model_validate(
        {"learner": {"id": "cx"}, "attempts": [{"course": "STAT 2000", "date": "2025-05-01", "grade": "A"}]}
    )
    day = dt.date(2025, 6, 1)
    assert evaluate(a, t, day).credentials["x"].status == "not_started"
    assert evaluate(b, t, day).credentials["x"].status == "earned"
    d = rule_diff(make, only, "{credits: 3, id: prior, from: {}}", more=aws)
    assert sorted(c.meets for c in d.counterexamples) == ["new", "old"]


def test_window_shared_and_gpa_changes(make: Make) -> None:
    old = """
        all:
          - complete_within: {years: 3}
            id: w
            all: [{course: STAT 3001}, {courses: 1, from: {subject: STAT, level: '4000+'}}]
          - {credits: 6, id: total, shared: true, from: {}}
          - {gpa: 2.5, id: g, over: {subject: STAT}}
    """
    new = old.replace("years: 3", "years: 2").replace("shared: true", "shared: false").replace("2.5", "3.0")
    d = rule_diff(make, old, new)
    assert d.meaning == "changed"
    assert {str(c) for c in d.changes} == {
        "w: complete_within 3 years → 2 years",
        "no longer shared: total",
        "g: GPA 2.5 → 3",
    }


def test_counterexamples_name_only_the_differing_parts_of_a_large_rule(make: Make) -> None:
    common = "".join(
        f"\n  - {{course: {c}}}" for c in ("CSCI 1410", "CSCI 1411", "STAT 2000", "STAT 3001", "STAT 3010")
    )
    old = "all:" + common + "\n  - {any: [{course: MATH 2000}, {course: STAT 4010}]}"
    new = "all:" + common + "\n  - {all: [{course: MATH 2000}, {course: STAT 4010}]}"
    (cx,) = rule_diff(make, old, new).counterexamples
    assert str(cx) == (
        "a learner who meets the requirements both versions share, with MATH 2000 but not STAT 4010, "
        "meets the old rule but not the new"
    )


def test_the_same_counting_leaf_twice_is_not_claimed_equivalent(make: Make) -> None:
    # the skeleton reads both leaves as one variable; each needs its own course in fact
    leaf = "{courses: 1, from: {subject: STAT}}"
    d = rule_diff(make, f"all: [{leaf}, {leaf}]", leaf)
    assert d.meaning == "not_analysed"


def test_a_rule_too_large_to_compare_is_not_analysed(make: Make) -> None:
    courses = "".join(f"  - {{id: BIG {1000 + i}, title: Course {i}, credits: 3}}\n" for i in range(82))
    ids = [f"BIG {1000 + i}" for i in range(82)]
    old = "{at_least: 40, of: [" + ", ".join(f"{{course: {c}}}" for c in ids[:80]) + "]}"
    new = "{at_least: 40, of: [" + ", ".join(f"{{course: {c}}}" for c in [*ids[:79], ids[81]]) + "]}"
    d = rule_diff(make, old, new, courses=courses)
    assert d.meaning == "not_analysed"
    assert d.verdict == "not analysed: too large"
    assert d.changed and "not analysed: too large" in render_diff(
        diff_catalogs(make(old, courses=courses), make(new, courses=courses))
    )


def test_many_contested_courses_still_find_a_real_difference(make: Make) -> None:
    # every course counted in two places: 2**7 ways to assign them, beyond the exact expansion
    cs = ["CSCI 1410", "CSCI 1411", "MATH 2000", "STAT 2000", "STAT 3001", "STAT 3010", "STAT 4010"]

    def both(courses: list[str]) -> str:
        return "{all: [" + ", ".join(f"{{course: {c}}}" for c in courses) + "]}"

    old = f"any: [{both(cs)}, {both([*cs, 'STAT 4020'])}]"
    same = rule_diff(make, old, both(cs))
    assert same.meaning == "not_analysed"  # equivalent, but not provably so within the bound
    fewer = rule_diff(make, old, both(cs[:-1]))
    assert fewer.meaning == "changed"
    (cx,) = fewer.counterexamples
    assert cx.meets == "new" and cx.lacks == ["STAT 4010", "STAT 4020"]


def test_metadata_added_removed_and_included_credentials(make: Make) -> None:
    y = "- {id: y, type: badge, title: Y, requires: {course: %s}}\n"
    parent = "- {id: p, type: certificate, title: P, credits: 4, valid_for: {years: 2}, requires: {credential: y}}\n"
    a = make(
        "course: CSCI 1410",
        fields="credits: 3\n",
        more=y % "MATH 2000" + parent + "- {id: gone, type: badge, title: G}\n",
    )
    b = make(
        "course: CSCI 1410",
        fields="credits: 4\n",
        more=y % "STAT 2000" + parent.replace("years: 2", "years: 3") + "- {id: fresh, type: badge, title: F}\n",
    )
    diff = diff_catalogs(a, b)
    assert diff.added == ["fresh"] and diff.removed == ["gone"]
    assert [str(f) for f in diff.credentials["x"].fields] == ["credits: 3 → 4"]
    p = diff.credentials["p"]
    assert [str(f) for f in p.fields] == ["valid_for: 2 years → 3 years"]
    assert p.meaning == "unchanged" and p.includes_changed == ["y"] and p.affected
    assert diff.credentials["y"].meaning == "changed"
    assert set(diff.affected) == {"fresh", "gone", "x", "y", "p"} - {"x"}
    text = render_diff(diff)
    assert "credentials added: fresh" in text and "credentials removed: gone" in text
    assert "includes credentials that changed: y" in text


def test_rule_added_and_removed(make: Make) -> None:
    more_old = "- {id: y, type: badge, title: Y}\n"
    more_new = "- {id: y, type: badge, title: Y, requires: {course: MATH 2000}}\n"
    diff = diff_catalogs(make("course: CSCI 1410", more=more_old), make("course: CSCI 1410", more=more_new))
    assert diff.credentials["y"].meaning == "rule_added"
    back = diff_catalogs(make("course: CSCI 1410", more=more_new), make("course: CSCI 1410", more=more_old))
    assert back.credentials["y"].meaning == "rule_removed"


def test_diff_json_is_plain_data(make: Make) -> None:
    diff = diff_catalogs(make("any: [{course: CSCI 1410}, {course: MATH 2000}]"), make("course: CSCI 1410"))
    doc = json.loads(json.dumps(diff.to_json()))
    x = doc["credentials"]["x"]
    assert x["meaning"] == "changed"
    assert (
        x["counterexamples"][0]["text"]
        == "a learner with MATH 2000 but not CSCI 1410 meets the old rule but not the new"
    )


# -- the example catalogue: which learners change, and how ---------------------------------


def variant(tmp_path: Path, *edits: tuple[str, str, str]) -> Catalog:
    root = tmp_path / f"v{len(list(tmp_path.iterdir()))}"
    shutil.copytree(EXAMPLE, root)
    for rel, before, after in edits:
        path = root / rel
        text = path.read_text(encoding="utf-8")
        assert before in text, before
        path.write_text(text.replace(before, after, 1), encoding="utf-8")
    return load_catalog(root)


def example_learners() -> Iterator[TranscriptSource]:
    for path in [*sorted((LEARNERS / "transcripts").glob("*.yaml")), LEARNERS / "learners.csv"]:
        for item in read_transcripts(path):
            assert isinstance(item, TranscriptSource)
            yield item


def moves(changes: list[LearnerChange]) -> set[tuple[str, str, str | None, str | None]]:
    return {(lc.learner_id, c.credential, c.old_status, c.new_status) for lc in changes for c in lc.changes}


@pytest.fixture(scope="module")
def old() -> Catalog:
    return load_catalog(EXAMPLE)


MICRO = "credentials/microcredentials.yaml"
SOFTWARE_CORE = (MICRO, "            - course: CSCI 2421\n", "            - course: CSCI 2040\n")
DATA_GRADE = (MICRO, "    credits: 10\n    min_grade: C\n", "    credits: 10\n    min_grade: B\n")


def test_impact_of_a_required_course_replaced(tmp_path: Path, old: Catalog) -> None:
    new = variant(tmp_path, SOFTWARE_CORE)
    diff = diff_catalogs(old, new)
    assert diff.meaning_changed == ["software-development"]
    assert [d.id for d in diff.changed] == [
        "aas-information-technology",
        "bas-information-systems",
        "software-development",
    ]
    changes = impact(old, new, example_learners())
    assert moves(changes) == {
        ("S2001", "software-development", "earned", "earned"),
        ("S2005", "software-development", "earned", "partial"),
        ("S2009", "software-development", "in_progress", "partial"),
        ("S2010", "software-development", "earned", "partial"),
        ("S2010", "aas-information-technology", "earned", "partial"),
        ("S2010", "bas-information-systems", "earned", "partial"),
    }
    s2001 = next(lc for lc in changes if lc.learner_id == "S2001")
    assert s2001.lines() == ["S2001 software-development: earned on 2025-05-09 → earned on 2025-12-12"]
    s2005 = next(lc for lc in changes if lc.learner_id == "S2005")
    assert s2005.lines() == ["S2005 software-development: earned on 2025-05-09 → partial"]


def test_impact_of_a_stricter_minimum_grade(tmp_path: Path, old: Catalog) -> None:
    new = variant(tmp_path, DATA_GRADE)
    d = diff_catalogs(old, new).credentials["data-foundations"]
    assert [str(f) for f in d.fields] == ["min_grade: C → B"]
    assert [str(c) for c in d.changes] == ["min_grade C → B on statistics and data-course"]
    assert moves(impact(old, new, example_learners())) == {
        ("S2001", "data-foundations", "partial", "not_started"),
        ("S2001", "data-analytics-certificate", "partial", "not_started"),
        ("S2002", "data-foundations", "partial", "not_started"),
        ("S2002", "data-analytics-certificate", "partial", "not_started"),
    }


def test_no_change_means_no_learner_changes(old: Catalog) -> None:
    plan = plan_impact(old, load_catalog(EXAMPLE))
    assert plan.compared == []
    assert impact(old, load_catalog(EXAMPLE), example_learners()) == []


VARIANTS = {
    "required course": [SOFTWARE_CORE],
    "minimum grade": [DATA_GRADE],
    "mathematics 3 of 4": [
        (
            "credentials/degrees.yaml",
            "at_least: 2\n          of:\n            - course: MATH 2817",
            "at_least: 3\n          of:\n            - course: MATH 2817",
        )
    ],
    "badge validity": [
        (
            "credentials/badges.yaml",
            "valid_for: {years: 2}\n    min_grade: B",
            "valid_for: {years: 1}\n    min_grade: B",
        )
    ],
    "course credits": [
        (
            "courses/csci.yaml",
            "{id: CSCI 2312, title: Intermediate Programming, credits: 3}",
            "{id: CSCI 2312, title: Intermediate Programming, credits: 4}",
        )
    ],
    "window": [(MICRO, "complete_within: {years: 3}", "complete_within: {months: 6}")],
    "minimum grade lowered": [(MICRO, "    credits: 10\n    min_grade: C\n", "    credits: 10\n    min_grade: D\n")],
    "minimum grade removed": [(MICRO, "    credits: 12\n    min_grade: C\n", "    credits: 12\n")],
    "minimum grade on a node": [
        (
            "credentials/degrees.yaml",
            "              min_grade: C\n              all:\n                - course: ENGL 1020",
            "              min_grade: B+\n              all:\n                - course: ENGL 1020",
        )
    ],
    "credits from badges only": [
        (
            "credentials/degrees.yaml",
            '            subject: [CSCI, ISMG]\n            level: ">=2000"\n            credentials: {type: badge}',
            "            credentials: {type: badge}",
        )
    ],
    "selector widened": [(MICRO, "[STAT 3100, CSCI 3287, ISMG 3600]", "[STAT 3100, CSCI 3287, ISMG 3600, ISMG 3000]")],
    "repeats": [("catalog.yaml", "repeats: best", "repeats: latest")],
    "credential removed and added": [
        ("credentials/badges.yaml", "  - id: lab-safety\n", "  - id: lab-safety-2\n"),
        ("credentials/degrees.yaml", "credential: lab-safety\n", "credential: lab-safety-2\n"),
    ],
}


def brute_force(
    old: Catalog, new: Catalog, learners: list[Transcript | TranscriptSource]
) -> set[tuple[str, str, str | None, str | None]]:
    """Every credential of every learner evaluated in both versions: the reference."""
    occ, ncc = compile_catalog(old), compile_catalog(new)
    out = set()
    for t in learners:
        a = evaluate(occ, t, AS_OF, detail=False).credentials
        b = evaluate(ncc, t, AS_OF, detail=False).credentials
        for cid in dict.fromkeys([*b, *a]):
            ra, rb = a.get(cid), b.get(cid)
            key_a = (ra.status, ra.earned_on, ra.expires_on) if ra else None
            key_b = (rb.status, rb.earned_on, rb.expires_on) if rb else None
            if key_a == key_b or (key_a is None and rb and rb.status == "not_started"):
                continue
            if key_b is None and ra and ra.status == "not_started":
                continue
            lid = t.learner.id if isinstance(t, Transcript) else t.transcript.learner.id
            out.add((lid, cid, ra.status if ra else None, rb.status if rb else None))
    return out


@pytest.fixture(scope="module")
def population(old: Catalog) -> list[Transcript | TranscriptSource]:
    return [*example_learners(), *generate_population(old, 40, seed=7, as_of=AS_OF)]


@pytest.mark.parametrize("edits", VARIANTS.values(), ids=VARIANTS.keys())
def test_impact_equals_evaluating_everything_twice(
    tmp_path: Path, old: Catalog, population: list[Transcript | TranscriptSource], edits: list[tuple[str, str, str]]
) -> None:
    """Only credentials whose rule changed, and only learners whose record reaches the
    change, are evaluated: the result is still what evaluating everything gives."""
    new = variant(tmp_path, *edits)
    found = moves(impact(old, new, population, AS_OF))
    assert found == brute_force(old, new, population)
    assert found or edits[0][0] in ("courses/csci.yaml", "catalog.yaml")  # these two reach no learner here


def test_two_workers_give_the_same_answer(
    tmp_path: Path, old: Catalog, population: list[Transcript | TranscriptSource]
) -> None:
    new = variant(tmp_path, SOFTWARE_CORE)
    serial = impact(old, new, population, AS_OF)
    parallel = impact(old, new, population, AS_OF, jobs=2)
    assert [lc.to_json() for lc in parallel] == [lc.to_json() for lc in serial]


def test_a_learner_with_an_error(tmp_path: Path, old: Catalog) -> None:
    new = variant(tmp_path, SOFTWARE_CORE)
    bad = read_transcript_text(
        "learner: {id: BAD}\nattempts:\n  - {course: CSCI 2312, date: 2025-01-01, grade: Z}\n", "bad.yaml"
    )
    errors: list[LearnerError] = []
    assert impact(old, new, [bad], AS_OF, errors=errors) == []
    assert [(e.learner_id, e.catalogue, e.diagnostics[0].code) for e in errors] == [("BAD", "old", "E502")]
    with pytest.raises(MicrocredError):
        impact(old, new, [bad], AS_OF)


# -- the command line ----------------------------------------------------------------------


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    assert "Traceback" not in out.getvalue() + err.getvalue()
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def new_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli") / "new"
    shutil.copytree(EXAMPLE, root)
    path = root / MICRO
    path.write_text(path.read_text(encoding="utf-8").replace(SOFTWARE_CORE[1], SOFTWARE_CORE[2], 1), encoding="utf-8")
    return root


def test_cli_text_exit_0_with_differences(new_dir: Path) -> None:
    code, out, err = run("diff", str(EXAMPLE), str(new_dir))
    assert code == 0, err
    assert "software-development (Software Development)\n  rule: changed meaning" in out
    assert "e.g. a learner with" in out


def test_cli_identical_catalogues() -> None:
    code, out, _err = run("diff", str(EXAMPLE), str(EXAMPLE))
    assert code == 0
    assert out == "Catalogue example-university\n  no differences\n"


def test_cli_impact_text_summary_then_details(new_dir: Path) -> None:
    code, out, err = run(
        "diff",
        str(EXAMPLE),
        str(new_dir),
        "--transcripts",
        str(LEARNERS / "transcripts"),
        str(LEARNERS / "learners.csv"),
    )
    assert code == 0, err
    summary = out.index("Impact on 20 learners: 4 with changes")
    details = out.index("Changes, by learner:")
    assert summary < details
    assert "software-development: 3 learners (earned → partial: 2, in_progress → partial: 1)" in out
    assert "  S2009 software-development: in_progress → partial\n" in out[details:]


def test_cli_impact_json_streams_one_document(new_dir: Path, tmp_path: Path, old: Catalog) -> None:
    jsonl = tmp_path / "population.jsonl"
    with jsonl.open("w", encoding="utf-8") as fh:
        write_jsonl(generate_population(old, 30, seed=2, as_of=AS_OF), fh)
    code, out, err = run(
        "diff", str(EXAMPLE), str(new_dir), "--transcripts", str(LEARNERS / "learners.csv"), str(jsonl),
        "--as-of", "2026-11-29", "--format", "json",
    )  # fmt: skip
    assert code == 0, err
    doc = json.loads(out)
    assert doc["diff"]["credentials"]["software-development"]["meaning"] == "changed"
    impact_doc = doc["impact"]
    assert impact_doc["as_of"] == "2026-11-29"
    assert impact_doc["summary"]["learners"] == 44 and impact_doc["errors"] == []
    assert impact_doc["summary"]["changed"] == len(impact_doc["learners"])
    for learner in impact_doc["learners"]:
        for c in learner["changes"]:
            assert set(c) == {"credential", "old", "new"}
            assert set(c["old"]) == {"status", "earned_on", "expires_on", "progress"}


def test_cli_json_without_transcripts(new_dir: Path) -> None:
    code, out, _err = run("diff", str(EXAMPLE), str(new_dir), "--format", "json")
    assert code == 0
    assert set(json.loads(out)) == {"diff"}


def test_cli_invalid_catalogue_exit_1(tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(EXAMPLE, broken)
    path = broken / MICRO
    path.write_text(
        path.read_text(encoding="utf-8").replace("course: CSCI 2421", "course: CSCI 9999", 1), encoding="utf-8"
    )
    code, out, err = run("diff", str(EXAMPLE), str(broken))
    assert code == 1 and out == ""
    assert "is invalid" in err
    assert re.search(r"microcredentials\.yaml:\d+:\d+: E301 ", err)


@pytest.mark.parametrize(
    "argv",
    [
        ["diff"],
        ["diff", str(EXAMPLE)],
        ["diff", str(EXAMPLE), "/no/such/catalogue"],
        ["diff", str(EXAMPLE), str(EXAMPLE), "--as-of", "yesterday"],
        ["diff", str(EXAMPLE), str(EXAMPLE), "--transcripts", "/no/such/file.csv"],
        ["diff", str(EXAMPLE), str(EXAMPLE), "--jobs", "0"],
        ["diff", str(EXAMPLE), str(EXAMPLE), "--format", "xml"],
    ],
)
def test_cli_usage_errors_exit_2(argv: list[str]) -> None:
    code, _out, _err = run(*argv)
    assert code == 2


def test_cli_bad_learner_records_exit_1_without_traceback(tmp_path: Path, new_dir: Path) -> None:
    (tmp_path / "broken.yaml").write_text(
        "learner: {id: B1}\nattempts: [{course: CSCI 2312, grade: A}\n", encoding="utf-8"
    )
    (tmp_path / "badgrade.yaml").write_text(
        "learner: {id: B2}\nattempts:\n  - {course: CSCI 2312, date: 2025-01-01, grade: Q}\n", encoding="utf-8"
    )
    (tmp_path / "rows.csv").write_text("learner_id,course,date,grade\nB3,CSCI 2312,not-a-date,A\n", encoding="utf-8")
    code, out, err = run("diff", str(EXAMPLE), str(new_dir), "--transcripts", str(tmp_path))
    assert code == 1
    assert "3 could not be compared" in out
    assert "cannot compare learner B2 against the old catalogue" in err
    assert "E502" in err and "E503" in err and "E101" in err


# -- competency nodes: read as `any` over what aligns with the competency, in each version ---

SKILLS = ROOT / "examples/skills"
PROGRAMMING = '- {competency: "onet:2.B.3.e", level: 4}'
SQL_URI = "http://data.europa.eu/esco/skill/598de5b0-5b58-4ea7-8058-a4bc4d18c742"
CSCI_1410 = 'competencies: [{uri: "onet:2.B.3.e", level: 3}, "outcomes:CO.1"]'
SKILL_EDITS = {
    "same": [],
    # level raised: the old version asks for Programming at level 3 (CSCI 1410 aligns at 3)
    "level3": [(PROGRAMMING, PROGRAMMING.replace("level: 4", "level: 3"))],
    # CSCI 1410 also teaches SQL (the example, compared with this, has that alignment removed)
    "aligned": [(CSCI_1410, CSCI_1410.replace("]", f", {SQL_URI}]"))],
    # the competency changed: Complex Problem Solving (CSCI 2421 aligns at 4) instead of Programming
    "uri": [(PROGRAMMING, PROGRAMMING.replace("2.B.3.e", "2.B.2.i"))],
}


@pytest.fixture(scope="module")
def skills(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Copies of the skills example's catalogue, each with one edit."""
    out = {}
    for name, edits in SKILL_EDITS.items():
        root = tmp_path_factory.mktemp("skills") / name
        shutil.copytree(SKILLS / "catalog", root)
        path = root / "catalog.yaml"
        text = path.read_text(encoding="utf-8")
        for old, new in edits:
            assert text.count(old) == 1
            text = text.replace(old, new)
        path.write_text(text, encoding="utf-8")
        out[name] = root
    return out


def _programmer(old: Path, new: Path) -> CredentialDiff:
    return diff_catalogs(load_catalog(old), load_catalog(new)).credentials["programmer"]


def test_a_competency_rule_unchanged_is_not_reported(skills: dict[str, Path]) -> None:
    d = diff_catalogs(load_catalog(SKILLS / "catalog"), load_catalog(skills["same"]))
    assert d.identical
    assert d.credentials["programmer"].meaning == "unchanged"
    assert not d.credentials["programmer"].changes and not d.credentials["programmer"].counterexamples
    code, out, err = run("diff", str(SKILLS / "catalog"), str(skills["same"]))
    assert (code, err) == (0, "")
    assert out == "Catalogue skills-example\n  no differences\n"


def test_a_competency_level_raised_changes_meaning(skills: dict[str, Path]) -> None:
    p = _programmer(skills["level3"], SKILLS / "catalog")
    assert p.meaning == "changed" and p.affected
    assert [c.message for c in p.changes] == [
        "competency Programming: level 3 → 4",
        "competency Programming: no longer met by CSCI 1410",
    ]
    assert [c.what for c in p.changes] == ["competency_level", "aligned"]
    # CSCI 1410 (Programming at level 3) and ISMG 2050 (SQL): the old rule, not the new one
    (example,) = p.counterexamples
    assert (example.meets, example.has) == ("old", ["CSCI 1410", "ISMG 2050"])
    assert example.lacks[0] == "CSCI 2312"
    # and back: lowering it widens the rule the other way
    back = _programmer(SKILLS / "catalog", skills["level3"])
    assert back.changes[0].message == "competency Programming: level 4 → 3"
    assert [(e.meets, e.has) for e in back.counterexamples] == [("new", ["CSCI 1410", "ISMG 2050"])]


def test_an_alignment_removed_from_a_course_changes_a_competency_rule(skills: dict[str, Path]) -> None:
    p = _programmer(skills["aligned"], SKILLS / "catalog")
    assert p.meaning == "changed" and p.affected
    # the rule's text is the same: what changed is what aligns with SQL
    assert not p.rewritten
    assert [c.message for c in p.changes] == ["competency SQL: no longer met by CSCI 1410"]
    (example,) = p.counterexamples
    assert (example.meets, example.has) == ("old", ["CSCI 1410", "CSCI 2312"])
    assert example.lacks[0] == "ISMG 2050"
    added = _programmer(SKILLS / "catalog", skills["aligned"])
    assert [c.message for c in added.changes] == ["competency SQL: now also met by CSCI 1410"]
    assert [e.meets for e in added.counterexamples] == ["new"]


def test_a_competency_uri_changed_changes_meaning(skills: dict[str, Path]) -> None:
    p = _programmer(SKILLS / "catalog", skills["uri"])
    assert p.meaning == "changed" and p.rewritten
    messages = [c.message for c in p.changes]
    assert messages[0] == "competency Programming → Complex Problem Solving"
    assert "competency Complex Problem Solving: now also met by CSCI 2421" in messages
    assert [(e.meets, e.has) for e in p.counterexamples] == [
        ("old", ["CSCI 2312", "ISMG 2050"]),
        ("new", ["CSCI 2421", "ISMG 2050"]),
    ]


MODELLING = """\
taxonomy: {types: {badge: {}}}
frameworks:
  - {id: fw, levels: {min: 0, max: 5}, competencies: [{uri: "https://example.edu/c/1", code: C1, statement: M.}]}
courses:
  - {id: MATH 2000, title: Mathematics, credits: 3}
  - {id: CSCI 2000, title: Modelling, credits: 3, competencies: [{uri: "fw:C1", level: 3}]}
  - {id: CSCI 3000, title: Modelling II, credits: 3, competencies: [{uri: "fw:C1", level: 5}]}
credentials:
  - {id: x, type: badge, title: X, requires: RULE}
"""


def _modelling(tmp_path: Path, old: str, new: str) -> CredentialDiff:
    found = []
    for name, rule in (("old", old), ("new", new)):
        (tmp_path / name).mkdir(parents=True)
        (tmp_path / name / "catalog.yaml").write_text(MODELLING.replace("RULE", rule), encoding="utf-8")
        found.append(load_catalog(tmp_path / name))
    return diff_catalogs(*found).credentials["x"]


def test_a_competency_node_pairs_by_id_and_reads_a_code_as_its_uri(tmp_path: Path) -> None:
    old = '{all: [{course: MATH 2000}, {competency: "fw:C1", level: 3, id: model}]}'
    new = '{all: [{course: MATH 2000}, {competency: "https://example.edu/c/1", level: 5, id: model}]}'
    d = _modelling(tmp_path / "a", old, new)
    # the same competency written as `framework:code` and as its URI: only the level changed
    assert [c.message for c in d.changes] == ["model: level 3 → 5", "model: no longer met by CSCI 2000"]
    assert [(e.meets, e.has) for e in d.counterexamples] == [("old", ["CSCI 2000", "MATH 2000"])]
    # written otherwise, the same: no change in meaning
    same = _modelling(tmp_path / "b", old, old.replace('"fw:C1"', '"https://example.edu/c/1"'))
    assert (same.meaning, same.changes, same.counterexamples) == ("equivalent", [], [])


def test_a_course_counted_for_a_competency_counts_nowhere_else(tmp_path: Path) -> None:
    # CSCI 3000 cannot meet both nodes, so the competency (CSCI 2000 or CSCI 3000) needs CSCI 2000
    both = '{all: [{course: CSCI 3000}, {competency: "fw:C1", level: 3}]}'
    spelled = "{all: [{course: CSCI 3000}, {course: CSCI 2000}]}"
    d = _modelling(tmp_path, both, spelled)
    assert d.meaning == "equivalent" and not d.counterexamples
    assert diff_catalogs(load_catalog(tmp_path / "old"), load_catalog(tmp_path / "old")).identical


def test_cli_diff_of_competency_rules_text_json_and_learners(skills: dict[str, Path]) -> None:
    old, new = str(SKILLS / "catalog"), str(skills["uri"])
    code, out, err = run("diff", old, new, "--transcripts", str(SKILLS / "transcripts"))
    assert (code, err) == (0, "")
    assert "programmer (Programmer)\n  rule: changed meaning\n" in out
    assert "    competency Programming → Complex Problem Solving\n" in out
    # Ada's Programming came from CSCI 2312; Complex Problem Solving needs CSCI 2421, still in progress
    assert "  S2001 programmer: earned on 2023-12-12 → in_progress\n" in out
    code, out, err = run("diff", old, new, "--transcripts", str(SKILLS / "transcripts"), "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    programmer = doc["diff"]["credentials"]["programmer"]
    assert doc["diff"]["meaning_changed"] == ["programmer"]
    assert programmer["changes"][0] == {
        "what": "competency",
        "node": "competency Complex Problem Solving",
        "old": "https://www.onetonline.org/find/descriptor/browse/2.B.3.e",
        "new": "https://www.onetonline.org/find/descriptor/browse/2.B.2.i",
        "message": "competency Programming → Complex Problem Solving",
    }
    assert [c["meets"] for c in programmer["counterexamples"]] == ["old", "new"]
    (learner,) = doc["impact"]["learners"]
    assert learner["changes"][0]["old"]["status"] == "earned"
    assert learner["changes"][0]["new"]["status"] == "in_progress"
    # an alignment removed: Ada met SQL through CSCI 1410 (2022) before, through ISMG 2050 (2023) now
    code, out, err = run("diff", str(skills["aligned"]), old, "--transcripts", str(SKILLS / "transcripts"))
    assert (code, err) == (0, "")
    assert "  S2001 programmer: earned on 2023-05-10 → earned on 2023-12-12\n" in out
