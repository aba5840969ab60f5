"""The ``at_least: N`` / ``of:`` node: N of its children."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from microcred.model.diagnostics import Diagnostic
from microcred.rules.kinds.base import (
    Change,
    Checking,
    Compiling,
    Composite,
    Count,
    Explaining,
    Exporting,
    Gate,
    Heading,
    Role,
    Shape,
    unique,
)
from microcred.rules.nodes import AtLeastRule, RulePath
from microcred.rules.scenario import EPS

if TYPE_CHECKING:
    from microcred.rules.compiled import CNode
    from microcred.rules.kinds.base import CpsatEncoding


class AtLeast(Composite):
    key = "at_least"
    model = AtLeastRule
    diff_rank = 5
    alternatives = True

    def compile(self, rule: AtLeastRule, node: CNode, ctx: Compiling) -> None:
        node.children = ctx.children(rule)
        node.need = rule.at_least

    def role(self, node: CNode) -> Role:
        return "at_least"

    def cpsat(self, enc: CpsatEncoding, node: CNode) -> tuple[Any, int] | None:
        got = enc.children(node)
        if got is None:
            return None
        scaled, lcm = got
        m = enc.model
        need = int(node.need)
        scale = lcm * need
        if not enc.fits(scale):
            return None
        var = m.new_int_var(0, scale, f"atleast{id(node)}")
        if need > len(scaled):
            m.add(var <= sum(scaled))
            return (var, scale)
        ys = [m.new_bool_var("") for _ in scaled]
        m.add(sum(ys) == need)
        zs = []
        for w, y in zip(scaled, ys, strict=True):
            z = m.new_int_var(0, lcm, "")
            m.add(z <= w)
            m.add(z <= lcm * y)
            zs.append(z)
        m.add(var <= sum(zs))
        return (var, scale)

    def boolean(self, rule: AtLeastRule) -> Shape:
        return Gate("atleast", rule.at_least)

    def gate(self, node: CNode) -> Gate | None:
        return Gate("atleast", int(node.need))

    def describe(self, node: CNode) -> str:
        return f"{int(node.need)} of {len(node.children)}"

    def ctdl_words(self, ex: Exporting, rule: AtLeastRule, grade: str | None) -> str:
        kids = rule.children()
        return f"At least {rule.at_least} of these {len(kids)}: " + "; ".join(ex.describe(k, grade) for k in kids)

    def ctdl_profile(self, ex: Exporting, rule: AtLeastRule, grade: str | None, p: dict[str, Any]) -> None:
        kids = rule.children()
        if rule.at_least >= len(kids):
            p["ceterms:condition"] = ex.text_list([ex.describe(k, grade) for k in kids])
            ex.partial_targets(p, kids)
        elif rule.at_least == 1:
            p["ceterms:alternativeCondition"] = [ex.profile(k, grade) for k in kids]
        else:
            options = [ex.leaf_targets(k) for k in kids]
            if all(o is not None for o in options) and ex.n_combinations(len(kids), rule.at_least):
                ex.combinations(p, [o for o in options if o is not None], rule.at_least, grade)
            else:
                p["ceterms:condition"] = ex.text_list([ex.describe(k, grade) for k in kids])

    def heading(self, description: str) -> Heading | None:
        m = re.fullmatch(r"(\d+) of (\d+)", description)
        return Count(int(m.group(1)), int(m.group(2))) if m else None

    def explain(self, walk: Explaining, node: CNode, prefix: str) -> None:
        # name what is left, then spell out the closest children that would complete it
        kids = node.children
        label = f"{node.label}: " if node.label else ""
        progress = walk.progress
        unmet = [c for c in kids if progress.get(id(c), 0.0) < 1 - EPS]
        unmet.sort(key=lambda c: -progress.get(id(c), 0.0))
        need = int(node.need)
        met = len(kids) - len(unmet)
        walk.say(prefix, f"{label}{need - met} more of: " + "; ".join(unique(c.describe() for c in unmet)))
        for c in unmet[: need - met]:
            walk.visit(c, prefix)

    def check(self, ctx: Checking, cid: str, path: RulePath, rule: AtLeastRule) -> Iterator[Diagnostic]:
        if rule.at_least > len(rule.of):
            yield Diagnostic(
                "E401",
                f"at_least: {rule.at_least} of only {len(rule.of)} children can never hold; "
                f"lower at_least or add children",
                ctx.locate(cid, (*path, "at_least")),
                subject=cid,
            )

    def diff_similar(self, a: dict[str, Any], b: dict[str, Any]) -> float:
        return 1.0 if a["of"] == b["of"] else 0.1

    def diff_changes(self, name: str, a: dict[str, Any], b: dict[str, Any], named: bool) -> list[Change]:
        if a["need"] == b["need"]:
            return []
        text = (
            f"{name}: {a['need']} → {b['need']} of {b['of']}"
            if name == "at_least"
            else f"{name}: at_least {a['need']} → {b['need']} of {b['of']}"
        )
        return [("at_least", a["need"], b["need"], text)]
