"""The ``courses:`` node: N courses matched by a selector."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from microcred.model.diagnostics import Diagnostic
from microcred.model.words import plural
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
from microcred.rules.nodes import CoursesRule, RulePath, counted_from

if TYPE_CHECKING:
    from microcred.model.catalog import Catalog
    from microcred.rules.compiled import CNode


class Courses(Leaf):
    key = "courses"
    model = CoursesRule
    diff_rank = 1
    partial = True

    def compile(self, rule: CoursesRule, node: CNode, ctx: Compiling) -> None:
        node.need = rule.courses
        node.selector = rule.from_
        node.eligible = ctx.index.match(rule.from_)

    def describe(self, node: CNode) -> str:
        n = int(node.need)
        return f"{n} course{'s' if n != 1 else ''}{counted_from(node.selector.describe() if node.selector else '')}"

    def ctdl_words(self, ex: Exporting, rule: CoursesRule, grade: str | None) -> str:
        s = f"Complete {ex.plural(rule.courses, 'course')} from {ex.selector(rule.from_)}"
        return s + (f", each with {grade} or better" if grade else "")

    def ctdl_profile(self, ex: Exporting, rule: CoursesRule, grade: str | None, p: dict[str, Any]) -> None:
        matched = sorted(ex.index.match(rule.from_))
        if matched and len(matched) <= ex.max_listed:
            if rule.courses >= len(matched):
                ex.targets(p, matched, [])
            else:
                ex.combinations(p, [([c], []) for c in matched], rule.courses, grade)

    def leaf_text(self, walk: Explaining, node: CNode) -> str:
        return walk.counted_text(node, "course")

    def check(self, ctx: Checking, cid: str, path: RulePath, rule: CoursesRule) -> Iterator[Diagnostic]:
        n = len(ctx.index.match(rule.from_))
        if n < rule.courses:
            yield Diagnostic(
                "E402",
                f"needs {plural(rule.courses, 'course')}{counted_from(rule.from_.describe())}, "
                f"but the catalogue has only {n} such course{'s' if n != 1 else ''}; "
                "widen the selector or lower the count",
                ctx.locate(cid, (*path, "courses")),
                subject=cid,
            )

    def plan_supply(self, why: Planning, node: CNode) -> str:
        grade = f" with {node.min_grade} or better" if node.min_grade else ""
        keys = {it.key for it in why.items(node)}
        return (
            f"{why.name(node)}: only {len(keys)} course{'s' if len(keys) != 1 else ''} can count here{grade}, "
            f"and it needs {int(node.need)}"
        )

    def diff_atom(self, rd: Reading, rule: CoursesRule, at: Place) -> Any:
        matched = rd.matched(rule.from_)
        n = rule.courses
        source = counted_from(rule.from_.describe(), " from ")
        rd.facet(
            rule,
            at.name or f"courses from {rule.from_.describe()}",
            ("courses", rule.courses, tuple(matched), at.level, at.shared),
            {
                "need": rule.courses,
                "courses": matched,
                "min_grade": at.min_grade,
                "level": at.level,
                "shared": at.shared,
            },
        )
        return rd.atom(
            rule,
            ("courses", rule.courses, tuple(matched), at.level, at.window),
            need=n,
            courses=dict.fromkeys(matched, 1.0),
            level=at.level,
            window=at.window,
            text=f"{n} course{'s' if n != 1 else ''}{source}{at.grade_text}{at.window_text}",
            consumes=not at.shared,
        )

    def diff_similar(self, a: dict[str, Any], b: dict[str, Any]) -> float:
        return overlap(a["courses"], b["courses"])

    def diff_changes(self, name: str, a: dict[str, Any], b: dict[str, Any], named: bool) -> list[Change]:
        out: list[Change] = []
        if a["need"] != b["need"]:
            out.append(("courses", a["need"], b["need"], f"{name}: {a['need']:g} → {b['need']:g} courses"))
        return out + selector_changes(name, a, b)

    def fingerprint(self, catalog: Catalog, node: CNode) -> Any:
        return tuple(sorted(node.eligible))
