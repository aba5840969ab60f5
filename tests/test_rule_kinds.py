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
from microcred.rules.kinds.base import (
    Change,
    Checking,
    Compiling,
    Explaining,
    Exporting,
    Leaf,
    Place,
    Planning,
    Reading,
    overlap,
    selector_changes,
)
from microcred.rules.nodes import NODE_KEYS, RuleBase, RulePath

#: The hooks of the protocol: its methods and its properties.
HOOKS = sorted(
    name
    for name, member in vars(RuleKind).items()
    if not name.startswith("_") and (inspect.isfunction(member) or isinstance(member, property))
)


def test_the_protocol_names_the_hooks_the_engine_uses() -> None:
    # a guard on HOOKS itself: an empty list would make the next test pass vacuously
    assert {"compile", "cpsat", "holds", "boolean", "describe", "explain", "check", "role", "constant"} <= set(HOOKS)
    assert {"key", "model", "consuming", "by_credits"} <= set(HOOKS)
    # the hooks of the layers above the engine: reports, the plan, diff, the CTDL export
    assert {"heading", "plan_words", "plan_unmet", "plan_settled"} <= set(HOOKS)
    assert {"diff_rank", "diff_atom", "diff_implies", "diff_similar", "diff_changes", "fingerprint"} <= set(HOOKS)
    assert {"ctdl_words", "ctdl_targets", "ctdl_profile"} <= set(HOOKS)
    assert tuple(HOOKS) == kinds.HOOKS


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
        for hook in ("compile", "role", "cpsat", "boolean", "describe", "explain", "ctdl_words"):
            assert any(hook in vars(c) for c in cls.__mro__ if c is not object), f"{key!r} lacks {hook!r}"


def test_a_kind_must_read_its_own_key() -> None:
    class Wrong(Leaf):
        key = "wrong"
        model = KINDS["course"].model

    with pytest.raises(ValueError, match="reads 'course' nodes"):
        kinds.register(Wrong())  # type: ignore[arg-type]


def test_a_kind_lacking_a_hook_is_refused() -> None:
    """Every hook is asked for when the kind is registered, not when some command first needs it."""

    class NoWords:
        key = "either"
        model = EitherRule

    for hook in HOOKS:
        if hook not in ("key", "model"):
            setattr(NoWords, hook, None)
    delattr(NoWords, "ctdl_words")
    with pytest.raises(TypeError, match=r"rule kind 'either' lacks: ctdl_words$"):
        kinds.register(NoWords())  # type: ignore[arg-type]
    assert "either" not in KINDS


def test_built_in_kinds_cannot_be_removed() -> None:
    with pytest.raises(ValueError, match="built-in"):
        kinds.unregister("course")


# -- a toy kind: "one of these courses" ------------------------------------------------


class EitherRule(RuleBase):
    """``either: [A, B]``: one attempt of any of the courses listed."""

    kind: ClassVar[str] = "either"
    either: list[StrictStr] = Field(min_length=1)


class Either(Leaf):
    """Everything the toy kind needs, in this one class: the engine, the checks, the reports,
    the plan, ``diff`` and the CTDL export ask it and nothing else."""

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

    def plan_supply(self, why: Planning, node: CNode) -> str:
        return f"{why.name(node)}: none of its courses can count here"

    def ctdl_words(self, ex: Exporting, rule: EitherRule, grade: str | None) -> str:
        return "Complete any one of " + " or ".join(rule.either)

    def ctdl_profile(self, ex: Exporting, rule: EitherRule, grade: str | None, p: dict[str, Any]) -> None:
        ex.combinations(p, [([c], []) for c in rule.either if c in ex.catalog.courses], 1, grade)

    def diff_atom(self, rd: Reading, rule: EitherRule, at: Place) -> Any:
        courses = sorted(set(rule.either) & set(rd.catalog.courses))
        rd.facet(rule, at.name or "either", ("either", tuple(courses), at.level, at.shared), {"courses": courses})
        return rd.atom(
            rule,
            ("either", tuple(courses), at.level, at.window),
            need=1,
            courses=dict.fromkeys(courses, 1.0),
            level=at.level,
            window=at.window,
            text="one of " + ", ".join(courses) + at.grade_text,
            consumes=not at.shared,
        )

    def diff_similar(self, a: dict[str, Any], b: dict[str, Any]) -> float:
        return overlap(a["courses"], b["courses"])

    def diff_changes(self, name: str, a: dict[str, Any], b: dict[str, Any], named: bool) -> list[Change]:
        return selector_changes(name, a, b)


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
    "rules/settling.py",
    "rules/cpsat.py",
    "rules/explain.py",
    "rules/evaluate.py",
    "rules/skeleton.py",
    "rules/logic.py",
    "rules/checks.py",
    "model/graph.py",
    "model/skills.py",
    "taxonomy/checks.py",
    "analysis/plan.py",
    "analysis/diff/reading.py",
    "analysis/diff/equivalence.py",
    "analysis/diff/pairing.py",
    "analysis/diff/fingerprint.py",
    "badges/ctdl.py",
    "render/report_text.py",
]
#: a test of a node's kind by name, or by its model's class
DISPATCH = re.compile(
    r"""\bkind\s*(==|!=|in|not in)\s*[("']"""
    r"|isinstance\([^)]*\b(?:Course|Courses|Credits|All|Any|AtLeast|Gpa|Credential|Competency)Rule\b"
)


@pytest.mark.parametrize("module", READ_FROM_THE_TABLE)
def test_no_module_that_reads_the_table_names_a_kind(module: str) -> None:
    source = (Path(__file__).resolve().parent.parent / "microcred" / module).read_text(encoding="utf-8")
    found = [line.strip() for line in source.splitlines() if DISPATCH.search(line)]
    assert not found, f"{module} tests a node's kind itself; ask microcred.rules.kinds.KINDS: {found}"


def test_the_html_report_words_a_requirement_by_its_kind() -> None:
    # (the module names evidence kinds elsewhere: only the heading of a requirement is asked of the table)
    from microcred.render import report_html

    source = inspect.getsource(report_html._describe)
    assert "KINDS" in source
    assert not [line for line in source.splitlines() if DISPATCH.search(line)]


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


def _catalogues(tmp_path: Path, **versions: str) -> dict[str, Path]:
    out = {}
    for name, either in versions.items():
        folder = tmp_path / name
        folder.mkdir()
        text = CATALOGUE.replace("either: [CSCI 1000, CSCI 1001, CSCI 1002]", f"either: [{either}]")
        (folder / "catalog.yaml").write_text(text, encoding="utf-8")
        out[name] = folder
    return out


def test_a_registered_kind_is_planned(tmp_path: Path, either: None) -> None:
    from microcred.analysis.plan import PlanError, plan

    found = _catalogues(tmp_path, wide="CSCI 1000, CSCI 1001, CSCI 1002", narrow="CSCI 1000")
    best = plan(load_catalog(found["wide"]), _learner("CSCI 1000"), "toy").options[0]
    assert best.ids == ["CSCI 1001"]
    assert best.courses[0].or_instead == ("CSCI 1002",)
    assert best.courses[0].counts_toward == ("one of CSCI 1000, CSCI 1001, CSCI 1002",)

    # no set of courses earns it (validation says so too): the reason names the toy node in its words
    narrow, _diagnostics = read_catalog(found["narrow"])
    with pytest.raises(PlanError) as caught:
        plan(narrow, _learner("CSCI 1002"), "toy")
    assert caught.value.reason == (
        "CSCI 1000 and one of CSCI 1000 cannot all be met together: a course counts toward only one "
        "requirement of a credential, and they draw on the same courses"
    )


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_a_registered_kind_is_diffed(tmp_path: Path, either: None) -> None:
    from microcred.analysis.diff.compare import diff_catalogs

    found = _catalogues(
        tmp_path,
        old="CSCI 1000, CSCI 1001, CSCI 1002",
        new="CSCI 1000, CSCI 1001",
        same="CSCI 1002, CSCI 1001, CSCI 1000",
    )
    old, new, same = (load_catalog(found[k]) for k in ("old", "new", "same"))
    toy = diff_catalogs(old, new).credentials["toy"]
    assert toy.meaning == "changed"
    assert [c.message for c in toy.changes] == ["either: no longer matches CSCI 1002"]
    assert "meets the old rule but not the new" in str(toy.counterexamples[0])
    assert diff_catalogs(old, same).credentials["toy"].meaning in ("unchanged", "equivalent")


def test_a_registered_kind_is_exported_and_reported(tmp_path: Path, either: None) -> None:
    from microcred.badges.ctdl import export_ctdl
    from microcred.render.report_html import render_html
    from microcred.render.report_text import render

    found = _catalogues(tmp_path, toy="CSCI 1001, CSCI 1002")
    catalog = load_catalog(found["toy"])
    text = str(export_ctdl(catalog).document)
    assert "Complete any one of CSCI 1001 or CSCI 1002" in text
    assert text.count("ceterms:alternativeCondition") == 1

    result = evaluate(compile_catalog(catalog), _learner("CSCI 1000"))
    assert "a course of: CSCI 1001, CSCI 1002" in render(result)
    assert "one of CSCI 1001, CSCI 1002" in render_html([result], catalog)


#: A catalogue whose rule ``every`` uses each built-in rule kind once.
EVERY_KIND = """\
catalog: {id: every, name: Every}
taxonomy:
  types:
    badge: {stacks_into: [certificate]}
    certificate: {}
frameworks:
  - {id: fw, levels: {min: 0, max: 5}, competencies: [{uri: "https://example.edu/c/1", code: C1, statement: M.}]}
courses:
  - {id: CSCI 1000, title: A, credits: 3}
  - {id: CSCI 1001, title: B, credits: 3}
  - {id: CSCI 1002, title: C, credits: 3, competencies: [{uri: "fw:C1", level: 3}]}
  - {id: CSCI 1003, title: D, credits: 3, competencies: [{uri: "fw:C1", level: 4}]}
  - {id: MATH 1000, title: E, credits: 3}
  - {id: MATH 1001, title: F, credits: 3}
  - {id: STAT 1000, title: G, credits: 3}
  - {id: STAT 1001, title: H, credits: 3}
credentials:
  - {id: base, title: Base, type: badge, requires: {course: CSCI 1000}}
  - id: every
    title: Every
    type: certificate
    requires:
      all:
        - course: CSCI 1001
        - any: [{course: CSCI 1000}, {credential: base}]
        - at_least: 1
          of: [{courses: 1, from: {subject: MATH}}, {credits: 3, from: {subject: STAT}}]
        - gpa: 2.0
        - {competency: "fw:C1", level: 3}
"""

#: For each kind, an edit of ``every`` that changes what its node of that kind asks for.
EDITS = {
    "course": ("- course: CSCI 1001", "- course: CSCI 1003"),
    "all": ("        - gpa: 2.0\n", ""),
    "any": ("any: [{course: CSCI 1000}, {credential: base}]", "any: [{course: CSCI 1000}]"),
    "at_least": ("at_least: 1", "at_least: 2"),
    "courses": ("{courses: 1, from: {subject: MATH}}", "{courses: 2, from: {subject: MATH}}"),
    "credits": ("{credits: 3, from: {subject: STAT}}", "{credits: 6, from: {subject: STAT}}"),
    "credential": ("{credential: base}", "{credential: every-other}"),
    "gpa": ("gpa: 2.0", "gpa: 3.0"),
    "competency": ('{competency: "fw:C1", level: 3}', '{competency: "fw:C1", level: 4}'),
}


def _every(tmp_path: Path, name: str, edit: tuple[str, str] | None = None) -> Any:
    text = EVERY_KIND
    if edit is not None:
        assert text.count(edit[0]) == 1
        text = text.replace(*edit)
        if "every-other" in text:
            text += "  - {id: every-other, title: Other, type: badge, requires: {course: CSCI 1000}}\n"
    (tmp_path / name).mkdir()
    (tmp_path / name / "catalog.yaml").write_text(text, encoding="utf-8")
    return load_catalog(tmp_path / name)


def test_the_catalogue_of_every_kind_uses_every_built_in_kind(tmp_path: Path) -> None:
    catalog = _every(tmp_path, "every")
    used: set[str] = set()
    stack = [catalog.credentials["every"].requires]
    while stack:
        node = stack.pop()
        assert node is not None
        used.add(node.kind)
        stack.extend(node.children())
    assert used == set(NODE_KEYS) == set(EDITS)


def test_diff_reads_every_built_in_kind(tmp_path: Path) -> None:
    """Every kind, in a rule ``diff`` compares: unchanged against itself, and changed in
    meaning when what its node asks for changes (each kind reads its nodes for ``diff``; one
    read as an atom that does not raises)."""
    from microcred.analysis.diff.compare import diff_catalogs

    old = _every(tmp_path, "old")
    same = diff_catalogs(old, _every(tmp_path, "same"))
    assert same.identical and same.credentials["every"].meaning == "unchanged"
    for key, edit in EDITS.items():
        every = diff_catalogs(old, _every(tmp_path, key, edit)).credentials["every"]
        assert every.meaning == "changed", key
        assert every.counterexamples or every.changes, key
