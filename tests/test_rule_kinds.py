"""Rule kinds live in one table: every node key has a kind implementing every hook, and a kind
defined outside the package (here, in this file) works end to end once registered: catalogues
read it, validation checks it, the evaluator assigns attempts to it, explanations word it."""

from __future__ import annotations

import inspect
import re
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from pydantic import Field, StrictStr

from microcred.checks.validate import load_catalog, validate_catalog
from microcred.io.loader import read_catalog
from microcred.io.transcript import read_transcript_text
from microcred.model.diagnostics import Diagnostic
from microcred.model.schema import catalogue_schema
from microcred.rules import kinds
from microcred.rules.compiled import CNode
from microcred.rules.evaluate import compile_catalog, evaluate
from microcred.rules.kinds import KINDS, RuleKind
from microcred.rules.kinds.base import Checking, Compiling, Explaining, Leaf
from microcred.rules.nodes import NODE_KEYS, RuleBase, RulePath

#: The hooks of the protocol: its methods and its properties.
HOOKS = sorted(
    name
    for name, member in vars(RuleKind).items()
    if not name.startswith("_") and (inspect.isfunction(member) or isinstance(member, property))
)


def test_the_protocol_names_the_hooks_the_engine_uses() -> None:
    # a guard on HOOKS itself: an empty list would make the next test pass vacuously
    assert {"compile", "cpsat", "boolean", "describe", "explain", "check", "role", "constant"} <= set(HOOKS)
    assert {"key", "model", "consuming", "by_credits"} <= set(HOOKS)


def test_every_node_key_has_a_kind_with_every_hook() -> None:
    assert list(KINDS) == list(NODE_KEYS)
    for key in NODE_KEYS:
        kind = KINDS[key]
        assert kind.key == key
        assert kind.model.kind == key, f"the model of {key!r} reads {kind.model.kind!r}"
        for hook in HOOKS:
            member = inspect.getattr_static(type(kind), hook, None)
            assert member is not None, f"rule kind {key!r} lacks the hook {hook!r}"
            if inspect.isfunction(getattr(RuleKind, hook, None)):
                assert callable(getattr(kind, hook)), f"hook {hook!r} of {key!r} is not callable"


def test_each_kind_compiles_what_only_it_knows() -> None:
    # the abstract hooks have no default: each kind states them itself
    for key in NODE_KEYS:
        cls = type(KINDS[key])
        for hook in ("compile", "role", "cpsat", "boolean", "describe", "explain"):
            assert any(hook in vars(c) for c in cls.__mro__ if c is not object), f"{key!r} lacks {hook!r}"


def test_a_kind_must_read_its_own_key() -> None:
    class Wrong(Leaf):
        key = "wrong"
        model = KINDS["course"].model

    with pytest.raises(ValueError, match="reads 'course' nodes"):
        kinds.register(Wrong())  # type: ignore[arg-type]


def test_built_in_kinds_cannot_be_removed() -> None:
    with pytest.raises(ValueError, match="built-in"):
        kinds.unregister("course")


# -- a toy kind: "one of these courses" ------------------------------------------------


class EitherRule(RuleBase):
    """``either: [A, B]``: one attempt of any of the courses listed."""

    kind: ClassVar[str] = "either"
    either: list[StrictStr] = Field(min_length=1)


class Either(Leaf):
    key = "either"
    model = EitherRule

    def compile(self, rule: EitherRule, node: CNode, ctx: Compiling) -> None:
        node.need = 1
        node.eligible = frozenset(c for c in rule.either if c in ctx.catalog.courses)

    def describe(self, node: CNode) -> str:
        return "one of " + ", ".join(sorted(node.eligible))

    def leaf_text(self, walk: Explaining, node: CNode) -> str:
        return "a course of: " + ", ".join(sorted(node.eligible))

    def check(self, ctx: Checking, cid: str, path: RulePath, rule: EitherRule) -> Iterator[Diagnostic]:
        known = [c for c in rule.either if c in ctx.catalog.courses]
        if not known:
            yield Diagnostic(
                "W601",
                "`either` lists no course of the catalogue",
                ctx.locate(cid, (*path, "either")),
                subject=cid,
            )


@pytest.fixture
def either() -> Iterator[None]:
    kinds.register(Either())
    try:
        yield
    finally:
        kinds.unregister("either")


CATALOGUE = """\
catalog: {id: t, name: T}
taxonomy:
  types:
    badge: {}
courses:
  - {id: CSCI 1000, title: A, credits: 3}
  - {id: CSCI 1001, title: B, credits: 3}
  - {id: CSCI 1002, title: C, credits: 3}
credentials:
  - id: toy
    title: Toy
    type: badge
    requires:
      all:
        - course: CSCI 1000
        - either: [CSCI 1000, CSCI 1001, CSCI 1002]
"""


def _learner(*courses: str) -> Any:
    rows = "\n".join(f"  - {{course: {c}, date: 2025-05-01, grade: A}}" for c in courses)
    return read_transcript_text(f"learner: {{id: L1}}\nas_of: 2026-05-20\nattempts:\n{rows}\n", "t.yaml")


def test_a_registered_kind_is_read_compiled_and_evaluated(tmp_path: Path, either: None) -> None:
    path = tmp_path / "catalog.yaml"
    path.write_text(CATALOGUE, encoding="utf-8")
    cc = compile_catalog(load_catalog(path))
    root = cc.credentials["toy"].root
    assert root is not None
    leaf = root.children[1]
    assert (leaf.kind, leaf.leaf, leaf.eligible) == ("either", 1, frozenset({"CSCI 1000", "CSCI 1001", "CSCI 1002"}))
    assert cc.credentials["toy"].relevant_courses == frozenset({"CSCI 1000", "CSCI 1001", "CSCI 1002"})

    # one attempt of CSCI 1000 counts once: toward `course`, so `either` needs another
    one = evaluate(cc, _learner("CSCI 1000")).credentials["toy"]
    assert one.status == "partial"
    assert one.progress == pytest.approx(0.5)
    assert one.missing == ["a course of: CSCI 1000, CSCI 1001, CSCI 1002"]
    assert one.requirements is not None
    assert one.requirements.children[1].description == "one of CSCI 1000, CSCI 1001, CSCI 1002"

    two = evaluate(cc, _learner("CSCI 1002", "CSCI 1000")).credentials["toy"]
    assert two.status == "earned"
    assert {(a.course, a.node) for a in two.applied} == {("CSCI 1000", "all[0]"), ("CSCI 1002", "all[1]")}


def test_a_registered_kind_is_checked_by_validation(tmp_path: Path, either: None) -> None:
    path = tmp_path / "catalog.yaml"
    path.write_text(CATALOGUE.replace("either: [CSCI 1000, CSCI 1001, CSCI 1002]", "either: [NOPE 1]"), "utf-8")
    catalog, found = read_catalog(tmp_path)
    report = validate_catalog(catalog, found)
    (d,) = [d for d in report.diagnostics if d.code == "W601"]
    assert "`either` lists no course" in d.message
    assert d.location is not None and d.location.line == 16


def test_a_bad_node_of_a_registered_kind_is_an_error_with_a_place(tmp_path: Path, either: None) -> None:
    path = tmp_path / "catalog.yaml"
    path.write_text(CATALOGUE.replace("either: [CSCI 1000, CSCI 1001, CSCI 1002]", "either: []"), "utf-8")
    _catalog, found = read_catalog(tmp_path)
    errors = [d for d in found if d.severity == "error"]
    assert errors and errors[0].location is not None and errors[0].location.line == 16


def test_an_unregistered_kind_is_an_unknown_node(tmp_path: Path) -> None:
    path = tmp_path / "catalog.yaml"
    path.write_text(CATALOGUE, encoding="utf-8")
    _catalog, found = read_catalog(tmp_path)
    assert any("a rule needs exactly one of" in d.message for d in found)


def test_registering_a_kind_leaves_the_published_schema_alone(either: None) -> None:
    text = textwrap.dedent(str(catalogue_schema()))
    assert "either" not in text


#: Modules that ask the table (or the node model) and never name a kind themselves.
READ_FROM_THE_TABLE = [
    "rules/compiled.py",
    "rules/solver.py",
    "rules/cpsat.py",
    "rules/explain.py",
    "rules/evaluate.py",
    "rules/logic.py",
    "rules/checks.py",
    "model/graph.py",
    "taxonomy/checks.py",
]
#: a test of a node's kind by name, or by its model's class
DISPATCH = re.compile(
    r"""\bkind\s*(==|!=|in|not in)\s*[("']"""
    r"|isinstance\([^)]*\b(?:Course|Courses|Credits|All|Any|AtLeast|Gpa|Credential)Rule\b"
)


@pytest.mark.parametrize("module", READ_FROM_THE_TABLE)
def test_no_module_that_reads_the_table_names_a_kind(module: str) -> None:
    source = (Path(__file__).resolve().parent.parent / "microcred" / module).read_text(encoding="utf-8")
    found = [line.strip() for line in source.splitlines() if DISPATCH.search(line)]
    assert not found, f"{module} tests a node's kind itself; ask microcred.rules.kinds.KINDS: {found}"


def test_the_dispatch_pattern_sees_a_dispatch() -> None:
    assert DISPATCH.search('        if node.kind == "course":')
    assert DISPATCH.search("    if isinstance(node, (CoursesRule, CreditsRule)):")
    assert not DISPATCH.search("    kind = KINDS[node.kind]")


def test_every_kind_with_children_is_a_gate_for_the_plan() -> None:
    """A composite kind states its own gate: the default (None, not a gate) would leave the
    plan's feasibility model without a literal for the node."""
    from microcred.rules.kinds.base import Composite, Kind

    for key, kind in KINDS.items():
        if isinstance(kind, Composite):
            owners = [c for c in type(kind).__mro__ if "gate" in vars(c)]
            assert owners and owners[0] not in (Kind, Composite), f"rule kind {key!r} states no gate"
