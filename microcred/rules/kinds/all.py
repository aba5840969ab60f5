"""The ``all:`` node: every child."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from microcred.rules.kinds.base import (
    Composite,
    Explaining,
    Exporting,
    Gate,
    Group,
    Heading,
    Planning,
    Role,
    Shape,
    group_words,
    open_children,
)
from microcred.rules.nodes import AllRule
from microcred.rules.scenario import EPS

if TYPE_CHECKING:
    from microcred.rules.compiled import CNode
    from microcred.rules.kinds.base import CpsatEncoding


class All(Composite):
    key = "all"
    model = AllRule

    def role(self, node: CNode) -> Role:
        return "all"

    def cpsat(self, enc: CpsatEncoding, node: CNode) -> tuple[Any, int] | None:
        got = enc.children(node)
        if got is None:
            return None
        scaled, lcm = got
        scale = lcm * len(scaled)
        if not enc.fits(scale):
            return None
        var = enc.model.new_int_var(0, scale, f"all{id(node)}")
        enc.model.add(var <= sum(scaled))
        return (var, scale)

    def boolean(self, rule: AllRule) -> Shape:
        return Gate("and", len(rule.all_))

    def gate(self, node: CNode) -> Gate | None:
        return Gate("and", len(node.children))

    def describe(self, node: CNode) -> str:
        return node.node_id or node.kind

    def ctdl_words(self, ex: Exporting, rule: AllRule, grade: str | None) -> str:
        return "All of: " + "; ".join(ex.describe(k, grade) for k in rule.children())

    def ctdl_targets(self, ex: Exporting, rule: AllRule) -> tuple[list[str], list[str]] | None:
        courses: list[str] = []
        creds: list[str] = []
        for kid in rule.children():
            t = ex.leaf_targets(kid)
            if t is None:
                return None
            courses += t[0]
            creds += t[1]
        return courses, creds

    def ctdl_profile(self, ex: Exporting, rule: AllRule, grade: str | None, p: dict[str, Any]) -> None:
        # an `all` holding alternatives: its plain parts as targets
        p["ceterms:condition"] = ex.text_list([ex.describe(k, grade) for k in rule.children()])
        ex.partial_targets(p, rule.children())

    def heading(self, description: str) -> Heading | None:
        return Group("all of", "All of these")

    def explain(self, walk: Explaining, node: CNode, prefix: str) -> None:
        progress = walk.progress
        for c in node.children:
            if progress.get(id(c), 0.0) < 1 - EPS:
                walk.visit(c, prefix)

    def plan_words(self, why: Planning, node: CNode, depth: int) -> str:
        if node.path == ("requires",):
            return f"the rule of {node.owner}"
        return group_words(why, node, depth, "all of")

    def plan_unmet(self, why: Planning, node: CNode) -> list[str]:
        if why.ok([node]):
            return []
        kids, bad = open_children(why, node)
        if bad:
            return [r for c in bad for r in why.why(c)]
        return [why.conflict(node, kids, len(kids))]
