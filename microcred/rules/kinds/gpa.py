"""The ``gpa:`` node: a grade point average floor, over every course or over a selector."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from microcred.model.diagnostics import Diagnostic
from microcred.rules.kinds.base import (
    Atom,
    Change,
    Checking,
    Compiling,
    Explaining,
    Exporting,
    Kind,
    Place,
    Planning,
    Reading,
    Role,
    Shape,
    credit_value_changes,
    overlap,
)
from microcred.rules.nodes import GpaRule, RulePath
from microcred.rules.scenario import EPS

if TYPE_CHECKING:
    from microcred.model.catalog import Catalog
    from microcred.rules.compiled import CNode
    from microcred.rules.kinds.base import CpsatEncoding
    from microcred.rules.scenario import Scenario


class Gpa(Kind):
    key = "gpa"
    model = GpaRule
    diff_rank = 3
    monotone = False
    settles = True

    def compile(self, rule: GpaRule, node: CNode, ctx: Compiling) -> None:
        node.need = rule.gpa
        node.selector = rule.over
        node.gpa_over = ctx.index.match(rule.over) if rule.over is not None else None

    def relevant(self, node: CNode) -> frozenset[str] | None:
        return node.gpa_over

    def role(self, node: CNode) -> Role:
        return "constant"

    def constant(self, node: CNode, sc: Scenario) -> float | None:
        g = sc.gpa(node.gpa_over)
        return 1.0 if g is not None and g >= node.need - EPS else 0.0

    def cpsat(self, enc: CpsatEncoding, node: CNode) -> tuple[Any, int] | None:
        return (0, 1)  # (settled before any model is built)

    def holds(self, enc: CpsatEncoding, node: CNode) -> Any:
        return enc.floor(node)  # (a floor the plan can move; else settled before any model is built)

    def boolean(self, rule: GpaRule) -> Shape:
        return Atom()

    def describe(self, node: CNode) -> str:
        return f"GPA {node.need:g}" + (f" over {node.selector.describe()}" if node.selector else "")

    def ctdl_words(self, ex: Exporting, rule: GpaRule, grade: str | None) -> str:
        over = ex.selector(rule.over) if rule.over is not None else "all graded courses"
        return f"A GPA of at least {rule.gpa:.2f} over {over}"

    def explain(self, walk: Explaining, node: CNode, prefix: str) -> None:
        return None  # (always settled)

    def explain_settled(self, walk: Explaining, node: CNode, prefix: str) -> None:
        g = walk.sc.gpa(node.gpa_over)
        over = f" over {node.selector_text()}" if node.selector else ""
        now = f" (now {g:.2f})" if g is not None else " (no graded courses yet)"
        walk.say(prefix, f"a GPA of at least {node.need:g}{over}{now}")

    def check(self, ctx: Checking, cid: str, path: RulePath, rule: GpaRule) -> Iterator[Diagnostic]:
        if rule.gpa > ctx.top:
            yield Diagnostic(
                "E405",
                f"a GPA of {rule.gpa:g} can never be reached: the top of the grade scale is {ctx.top:g}",
                ctx.locate(cid, (*path, "gpa")),
                subject=cid,
            )
        if rule.over is not None and not ctx.index.match(rule.over):
            yield Diagnostic(
                "W601",
                f"selector ({rule.over.describe()}) matches no course, so this GPA has no grades to average",
                ctx.locate(cid, (*path, "over")),
                subject=cid,
            )

    def plan_unmet(self, why: Planning, node: CNode) -> list[str]:
        return [] if why.ok([node]) else self.plan_settled(why, node)

    def plan_settled(self, why: Planning, node: CNode) -> list[str]:
        over = f" over {node.selector.describe()}" if node.selector else ""
        now = why.scenario.gpa(node.gpa_over)
        best = why.gpa_reach(node)
        reach = (
            f"with {why.top} in every course that counts toward it, it reaches at most {float(best):.2f}"
            if best is not None
            else "no course the learner can still take carries grade points toward it"
        )
        current = f" (now {now:.2f})" if now is not None else ""
        return [f"{why.name(node)}: a GPA of at least {node.need:g}{over} is out of reach{current}: {reach}"]

    def diff_atom(self, rd: Reading, rule: GpaRule, at: Place) -> Any:
        if rule.over is None:
            over: dict[str, float] = {c: float(w) for c, w in rd.credits.items()}
            where = "over all courses"
            scope: tuple[Any, ...] = ("all", tuple(sorted(over.items())))
        else:
            over = {c: float(rd.credits[c]) for c in rd.matched(rule.over)}
            where = f"over {rule.over.describe()}"
            scope = ("over", tuple(sorted(over.items())))
        rd.facet(
            rule,
            at.name or f"GPA {where}",
            ("gpa", rule.gpa, scope),
            {"need": rule.gpa, "over": None if rule.over is None else sorted(over), "credit_values": over},
        )
        key = ("gpa", rule.gpa, scope)
        return rd.atom(
            rule, key, need=rule.gpa, courses=over, text=f"a GPA of at least {rule.gpa:g} {where}", consumes=False
        )

    def diff_implies(self, a: Any, b: Any) -> bool:
        return bool(a.courses == b.courses and a.need >= b.need)

    def diff_similar(self, a: dict[str, Any], b: dict[str, Any]) -> float:
        fo, go = a["over"], b["over"]
        if fo is None or go is None:
            return 1.0 if fo is go else 0.1
        return overlap(fo, go) or 0.1

    def diff_changes(self, name: str, a: dict[str, Any], b: dict[str, Any], named: bool) -> list[Change]:
        out = credit_value_changes(name, a, b)
        if a["need"] != b["need"]:
            word = "GPA " if named else ""
            out.append(("gpa", a["need"], b["need"], f"{name}: {word}{a['need']:g} → {b['need']:g}"))
        oa, ob = a["over"], b["over"]
        if oa != ob:
            if oa is None or ob is None:
                old_t = "all courses" if oa is None else ", ".join(oa)
                new_t = "all courses" if ob is None else ", ".join(ob)
                out.append(("gpa_over", oa, ob, f"{name}: GPA over {old_t} → {new_t}"))
            else:
                gained = sorted(set(ob) - set(oa))
                lost = sorted(set(oa) - set(ob))
                if gained:
                    out.append(("gpa_over", None, gained, f"{name}: the GPA now also averages {', '.join(gained)}"))
                if lost:
                    out.append(("gpa_over", lost, None, f"{name}: the GPA no longer averages {', '.join(lost)}"))
        return out

    def fingerprint(self, catalog: Catalog, node: CNode) -> Any:
        courses = catalog.courses
        over = courses if node.gpa_over is None else node.gpa_over
        return (node.gpa_over is None, tuple(sorted((c, courses[c].credits if c in courses else None) for c in over)))
