"""The ``any:`` node: one child."""

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
    unique,
)
from microcred.rules.nodes import AnyRule
from microcred.rules.scenario import EPS

if TYPE_CHECKING:
    from microcred.rules.compiled import CNode
    from microcred.rules.kinds.base import CpsatEncoding


class AnyOf(Composite):
    key = "any"
    model = AnyRule
    alternatives = True

    def role(self, node: CNode) -> Role:
        return "any"

    def cpsat(self, enc: CpsatEncoding, node: CNode) -> tuple[Any, int] | None:
        got = enc.children(node)
        if got is None:
            return None
        scaled, lcm = got
        m = enc.model
        var = m.new_int_var(0, lcm, f"any{id(node)}")
        ys = [m.new_bool_var("") for _ in scaled]
        m.add_exactly_one(ys)
        for w, y in zip(scaled, ys, strict=True):
            m.add(var <= w + lcm * (1 - y))
        return (var, lcm)

    def boolean(self, rule: AnyRule) -> Shape:
        return Gate("or", 1)

    def gate(self, node: CNode) -> Gate | None:
        return Gate("or", 1)

    def describe(self, node: CNode) -> str:
        return node.node_id or node.kind

    def ctdl_words(self, ex: Exporting, rule: AnyRule, grade: str | None) -> str:
        return "One of: " + "; ".join(ex.describe(k, grade) for k in rule.children())

    def ctdl_profile(self, ex: Exporting, rule: AnyRule, grade: str | None, p: dict[str, Any]) -> None:
        p["ceterms:alternativeCondition"] = [ex.profile(k, grade) for k in rule.children()]

    def heading(self, description: str) -> Heading | None:
        return Group("any of", "One of these")

    def explain(self, walk: Explaining, node: CNode, prefix: str) -> None:
        kids = node.children
        label = f"{node.label}: " if node.label else ""
        # closest first; ties keep the catalogue's order
        progress = walk.progress
        unmet = [c for c in kids if progress.get(id(c), 0.0) < 1 - EPS]
        unmet.sort(key=lambda c: -progress.get(id(c), 0.0))
        if all(c.leaf >= 0 for c in kids):
            options = unique(walk.leaf_text(c) for c in kids if progress.get(id(c), 0.0) < 1 - EPS)
            walk.say(prefix, label + "one of: " + " | ".join(options))
            return
        best, others = unmet[0], unmet[1:]
        head = f"{label}closest option: {best.describe()}"
        rest = [d for d in unique(c.describe() for c in others) if d != best.describe()]
        if rest:
            head += " (other options: " + "; ".join(rest) + ")"
        walk.say(prefix, head)
        walk.visit(best, prefix)

    def plan_words(self, why: Planning, node: CNode, depth: int) -> str:
        if node.path == ("requires",):
            return f"the rule of {node.owner}"
        return group_words(why, node, depth, "one of")

    def plan_unmet(self, why: Planning, node: CNode) -> list[str]:
        if why.ok([node]):
            return []
        _kids, bad = open_children(why, node)
        reasons = [r for c in bad for r in why.why(c)]
        return [f"none of the options of {why.name(node)} can be met: " + "; ".join(reasons)]
