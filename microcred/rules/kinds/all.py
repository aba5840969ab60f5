"""The ``all:`` node: every child."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from microcred.rules.kinds.base import Composite, Explaining, Gate, Role, Shape
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

    def explain(self, walk: Explaining, node: CNode, prefix: str) -> None:
        progress = walk.progress
        for c in node.children:
            if progress.get(id(c), 0.0) < 1 - EPS:
                walk.visit(c, prefix)
