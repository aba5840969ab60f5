"""The ``course:`` node: one named course."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from microcred.rules.kinds.base import Compiling, Explaining, Exporting, Heading, Leaf, Occurrence, Planning, Shape
from microcred.rules.nodes import CourseRule

if TYPE_CHECKING:
    from microcred.rules.compiled import CNode


class Course(Leaf):
    key = "course"
    model = CourseRule
    diff_rank = 0

    def compile(self, rule: CourseRule, node: CNode, ctx: Compiling) -> None:
        node.course = rule.course
        node.need = 1

    def relevant(self, node: CNode) -> frozenset[str] | None:
        return frozenset([node.course]) if node.course else frozenset()

    def keys(self, node: CNode) -> Iterable[str]:
        return [node.course] if node.course else []

    def boolean(self, rule: CourseRule) -> Shape:
        return Occurrence(rule.course)

    def describe(self, node: CNode) -> str:
        return f"{node.course}"

    def ctdl_words(self, ex: Exporting, rule: CourseRule, grade: str | None) -> str:
        course = ex.catalog.courses.get(rule.course)
        s = f"Complete {rule.course}" + (f" {course.title}" if course else "")
        return s + (f" with {grade} or better" if grade else "")

    def ctdl_targets(self, ex: Exporting, rule: CourseRule) -> tuple[list[str], list[str]] | None:
        return ([rule.course], []) if rule.course in ex.catalog.courses else None

    def heading(self, description: str) -> Heading | None:
        return Occurrence(description)

    def leaf_text(self, walk: Explaining, node: CNode) -> str:
        return walk.course_text(node)

    def plan_supply(self, why: Planning, node: CNode) -> str:
        grade = f" with {node.min_grade} or better" if node.min_grade else ""
        return f"{why.name(node)}: course {node.course} cannot count here{grade}"

    def diff_similar(self, a: dict[str, Any], b: dict[str, Any]) -> float:
        return 1.0 if a["course"] == b["course"] else 0.0
