"""The boolean skeleton of a rule: one walk builds it and one encoder puts it into CNF, for the
static checks and ``diff`` alike.

The encodings are checked against a brute-force reading written here (every set of passed
courses, every choice of the leaf each attempt counts toward), independent of the engine.
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from microcred.rules.nodes import Rule, RuleBase
from microcred.rules.skeleton import Encoding, Join, Reader, occurrences

COURSES = ("A", "B", "C")


@st.composite
def rules(draw: st.DrawFn, depth: int = 0) -> dict[str, Any]:
    """A rule of ``course`` leaves under ``all``, ``any`` and ``at_least``, some leaves shared."""
    if depth >= 3 or draw(st.integers(0, 2)) == 0:
        node: dict[str, Any] = {"course": draw(st.sampled_from(COURSES))}
        if draw(st.integers(0, 4)) == 0:
            node["shared"] = True
        return node
    kids = draw(st.lists(rules(depth + 1), min_size=1, max_size=3))
    op = draw(st.sampled_from(["all", "any", "at_least"]))
    if op == "at_least":
        return {"at_least": draw(st.integers(1, len(kids))), "of": kids}
    return {op: kids}


def model(spec: dict[str, Any]) -> RuleBase:
    node: RuleBase = TypeAdapter(Rule).validate_python(spec)
    return node


def holds(spec: dict[str, Any], counted: dict[int, bool], number: Iterator[int]) -> bool:
    """The rule, each ``course`` leaf (numbered in order) met when it is counted."""
    if "course" in spec:
        return counted[next(number)]
    kids = [holds(k, counted, number) for k in spec.get("all") or spec.get("any") or spec["of"]]
    need = len(kids) if "all" in spec else 1 if "any" in spec else spec["at_least"]
    return sum(kids) >= need


def leaves(spec: dict[str, Any], shared: bool = False) -> list[tuple[str, bool]]:
    """The ``course`` leaves, in order: (course, shared here or above)."""
    shared = shared or spec.get("shared", False)
    if "course" in spec:
        return [(spec["course"], shared)]
    return [leaf for k in spec.get("all") or spec.get("any") or spec["of"] for leaf in leaves(k, shared)]


def brute(spec: dict[str, Any], passed: frozenset[str]) -> bool:
    """Whether a learner who passed ``passed`` meets the rule: some choice, for each passed
    course, of the one non-shared leaf its attempt counts toward (shared leaves count it too)."""
    found = leaves(spec)
    exclusive = [i for i, (c, sh) in enumerate(found) if not sh and c in passed]
    for chosen in itertools.product([False, True], repeat=len(exclusive)):
        pick = {i for i, on in zip(exclusive, chosen, strict=True) if on}
        if any(len([i for i in pick if found[i][0] == c]) > 1 for c in passed):
            continue
        counted = {i: (c in passed and (sh or i in pick)) for i, (c, sh) in enumerate(found)}
        if holds(spec, counted, itertools.count()):
            return True
    return False


def inputs_for(enc: Encoding, passed: frozenset[str]) -> list[int]:
    return [v if key[1] in passed else -v for key, v in enc.inputs.items() if key[0] == "has"]


@settings(max_examples=150, deadline=None)
@given(rules())
def test_the_encodings_agree_with_brute_force(spec: dict[str, Any]) -> None:
    """``exact`` holds exactly when some assignment meets the rule; ``exists`` can be made to hold
    exactly then; ``upper`` (exclusivity ignored) holds at least then; and ``can_hold`` is
    whether anyone at all meets it."""
    from microcred.rules.logic import encode_holds

    sk = Reader().read(model(spec))
    enc = Encoding()
    enc.declare(sk)
    exact, exists, upper = enc.exact(sk), enc.exists(sk), enc.upper(sk)
    for n in range(len(COURSES) + 1):
        for passed in map(frozenset, itertools.combinations(COURSES, n)):
            truth = brute(spec, passed)
            given_ = inputs_for(enc, passed)
            assert enc.cnf.satisfiable([*given_, exact]) == truth
            assert enc.cnf.satisfiable([*given_, -exact]) != truth  # the inputs decide it
            assert enc.cnf.satisfiable([*given_, exists]) == truth
            if truth:
                assert not enc.cnf.satisfiable([*given_, -upper])
    assert encode_holds(sk).cnf.satisfiable() == brute(spec, frozenset(COURSES))


def test_a_skeleton_numbers_occurrences_and_carries_modifiers_down() -> None:
    sk = Reader().read(
        model({"all": [{"course": "A"}, {"min_grade": "B", "shared": True, "any": [{"course": "A"}, {"course": "B"}]}]})
    )
    assert isinstance(sk, Join) and sk.op == "and"
    assert [(o.course, o.level, o.shared, o.n) for o in occurrences(sk)] == [
        ("A", None, False, 1),
        ("A", "B", True, 2),
        ("B", "B", True, 3),
    ]


# -- one walk for the static checks and diff ------------------------------------------


def test_the_checks_and_diff_read_the_same_skeleton(tmp_path: Path) -> None:
    """For a rule of courses and groups the static checks' reading and diff's are one and the
    same skeleton (diff adds only its grade scale, its atoms and its facets)."""
    from microcred.analysis.diff.reading import _Reader
    from microcred.checks.validate import load_catalog

    (tmp_path / "catalog.yaml").write_text(
        "catalog: {id: t, name: T}\ntaxonomy: {types: {badge: {}}}\ncourses:\n"
        + "".join(f"  - {{id: {c} 1000, title: {c}, credits: 3}}\n" for c in COURSES)
        + "credentials:\n  - id: x\n    type: badge\n    title: X\n    requires:\n"
        "      at_least: 2\n      of:\n        - course: A 1000\n        - any: [{course: B 1000}, {course: A 1000}]\n"
        "        - {course: C 1000, shared: true}\n",
        encoding="utf-8",
    )
    catalog = load_catalog(tmp_path)
    rule = catalog.credentials["x"].requires
    assert rule is not None
    static = Reader().read(rule, owner="x")
    diffs, _facets = _Reader(catalog, "old", {}, {}).credential("x")
    assert diffs == static
    assert diffs is not None
    assert [o.n for o in occurrences(static)] == [o.n for o in occurrences(diffs)] == [1, 2, 3, 4]


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_a_kind_known_only_to_the_table_is_read_by_the_one_walk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A toy kind registered here (from test_rule_kinds) is analysed by the static checks and by
    diff, and every time its shape is asked for, the asker is the one walk of
    ``microcred.rules.skeleton``."""
    from test_rule_kinds import CATALOGUE, Either

    from microcred.analysis.diff.compare import diff_catalogs
    from microcred.checks.validate import load_catalog, validate_paths
    from microcred.rules import kinds

    askers: list[str] = []
    shape = Either.boolean

    def boolean(self: Either, rule: Any) -> Any:
        caller = inspect.stack()[1]
        askers.append(f"{caller.frame.f_globals['__name__']}.{caller.function}")
        return shape(self, rule)

    monkeypatch.setattr(Either, "boolean", boolean)
    kinds.register(Either())
    try:
        twice = "either: [CSCI 1000, CSCI 1001, CSCI 1002]"
        versions = {
            # the same toy node twice under `any` (the second labelled): the first is redundant
            "old": CATALOGUE.replace(
                "      all:\n        - course: CSCI 1000\n        - " + twice,
                f"      any:\n        - {twice}\n        - {{{twice}, label: again}}",
            ),
            "new": CATALOGUE.replace(twice, "either: [CSCI 1001]"),
        }
        for name, text in versions.items():
            (tmp_path / name).mkdir()
            (tmp_path / name / "catalog.yaml").write_text(text, encoding="utf-8")
        report = validate_paths(tmp_path / "old")
        assert [(d.code, d.location.line if d.location else None) for d in report.diagnostics] == [("W603", 15)]
        assert "(the branch at line 16, column 11 covers it)" in report.diagnostics[0].message
        assert askers and set(askers) == {"microcred.rules.skeleton.below"}
        askers.clear()
        toy = diff_catalogs(load_catalog(tmp_path / "old"), load_catalog(tmp_path / "new")).credentials["toy"]
        assert toy.meaning == "changed" and toy.counterexamples
        assert askers and set(askers) == {"microcred.rules.skeleton.below"}
    finally:
        kinds.unregister("either")


def test_the_skeleton_is_built_in_one_place() -> None:
    """No module but ``rules/skeleton.py`` walks a rule asking each kind its boolean shape (the
    CTDL export asks it only whether a node is a plain ``all``)."""
    root = Path(__file__).resolve().parent.parent / "microcred"
    askers = sorted(
        str(p.relative_to(root)) for p in root.rglob("*.py") if ".boolean(" in p.read_text(encoding="utf-8")
    )
    assert askers == ["badges/ctdl.py", "rules/skeleton.py"]
