"""The ``credits:`` node: X credits from courses matched by a selector, and from credentials it admits."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from microcred.model.diagnostics import Diagnostic
from microcred.model.graph import admitted_credentials
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
    credit_value_changes,
    overlap,
    selector_changes,
    validity,
)
from microcred.rules.nodes import CreditsRule, RulePath, counted_from
from microcred.rules.scenario import EPS

if TYPE_CHECKING:
    from microcred.model.catalog import Catalog
    from microcred.rules.compiled import CNode
    from microcred.rules.scenario import Item


class Credits(Leaf):
    key = "credits"
    model = CreditsRule
    diff_rank = 2
    by_credits = True
    partial = True

    def compile(self, rule: CreditsRule, node: CNode, ctx: Compiling) -> None:
        node.need = rule.credits
        node.selector = rule.from_
        node.eligible = ctx.index.match(rule.from_)
        f = rule.from_.credentials
        if f is not None:
            node.admits = tuple(admitted_credentials(ctx.catalog, f.ids, f.type, ctx.owner))

    def describe(self, node: CNode) -> str:
        return f"{node.need:g} credits{counted_from(node.selector.describe() if node.selector else '')}"

    def ctdl_words(self, ex: Exporting, rule: CreditsRule, grade: str | None) -> str:
        f = rule.from_.credentials
        what = []
        if f is not None:
            if f.ids:
                what.append(", ".join(ex.title(i) for i in f.ids))
            if f.type:
                what.append(f"any {ex.type_label(f.type)}")
        if rule.from_.credentials_only:
            # no course counts here (CONTRACT.md §6)
            s = f"Earn {ex.plural(rule.credits, 'credit')} from awarded credentials only, at their credit value: "
            s += "; ".join(what)
        else:
            s = f"Earn {ex.plural(rule.credits, 'credit')} from {ex.selector(rule.from_)}"
            if f is not None:
                s += f" (awarded credentials count at their credit value: {'; '.join(what)})"
        return s + (f", each course with {grade} or better" if grade else "")

    def ctdl_profile(self, ex: Exporting, rule: CreditsRule, grade: str | None, p: dict[str, Any]) -> None:
        p["ceterms:creditValue"] = [ex.credit_value(rule.credits)]

    def leaf_text(self, walk: Explaining, node: CNode) -> str:
        return walk.counted_text(node, "credit")

    def trim(self, node: CNode, items: list[Item]) -> list[Item]:
        kept: list[Item] = []
        total = 0.0
        for it in items:
            if total >= node.need - EPS:
                break
            kept.append(it)
            total += it.credits
        return kept

    def check(self, ctx: Checking, cid: str, path: RulePath, rule: CreditsRule) -> Iterator[Diagnostic]:
        catalog = ctx.catalog
        matched = ctx.index.match(rule.from_)
        supply = sum(catalog.courses[c].credits for c in matched)
        admits = rule.from_.credentials
        if admits is not None:
            for other in admitted_credentials(catalog, admits.ids, admits.type, cid):
                supply += catalog.credentials[other].credits or 0
        if rule.from_.credentials_only and supply < rule.credits:
            # every course used to match such a selector; it admits none now (CONTRACT.md §6)
            courses = sum(c.credits for c in catalog.courses.values())
            if supply + courses >= rule.credits:
                yield Diagnostic(
                    "W609",
                    f"needs {rule.credits:g} credits from: {rule.from_.describe()}, but a selector with "
                    f"only `credentials:` admits no course, and the credentials it admits are worth only "
                    f"{supply:g} credit{'s' if supply != 1 else ''} in all, so it can never be met; to let "
                    "courses count too, add course filters beside `credentials:` (e.g. `subject: CSCI`), "
                    "or split it into two nodes, one `credits` from courses and one from credentials",
                    ctx.locate(cid, (*path, "from")),
                    subject=cid,
                )
                return
        if supply < rule.credits:
            yield Diagnostic(
                "E403",
                f"needs {rule.credits:g} credits{counted_from(rule.from_.describe())}, but the catalogue "
                f"can supply only {supply:g}; widen the selector or lower the credits",
                ctx.locate(cid, (*path, "credits")),
                subject=cid,
            )
        elif not matched and not rule.from_.credentials_only:
            yield Diagnostic(
                "W601",
                f"selector ({rule.from_.describe()}) matches no course (only awarded credentials can count here)",
                ctx.locate(cid, (*path, "from")),
                subject=cid,
            )

    def plan_supply(self, why: Planning, node: CNode) -> str:
        grade = f" with {node.min_grade} or better" if node.min_grade else ""
        total: dict[str, float] = {}
        for it in why.items(node):
            total[it.key] = max(total.get(it.key, 0.0), it.credits)
        have = sum(total.values())
        if node.selector is not None and node.selector.credentials_only:
            # no course counts here (CONTRACT.md §6)
            admits = f" (awards of {', '.join(node.admits) or 'no credential'} only: no course counts here)"
        else:
            admits = f" (courses and held credentials {', '.join(node.admits)})" if node.admits else ""
        return (
            f"{why.name(node)}: what can count here{admits} gives at most {have:g} credits{grade}, "
            f"and it needs {node.need:g}"
        )

    def diff_atom(self, rd: Reading, rule: CreditsRule, at: Place) -> Any:
        catalog = rd.catalog
        matched = rd.matched(rule.from_)
        counted = {c: float(rd.credits[c]) for c in matched}
        f = rule.from_.credentials
        admits: dict[str, float] = {}
        if f is not None:
            for a in admitted_credentials(catalog, f.ids, f.type, at.owner):
                admits[a] = float(catalog.credentials[a].credits or 0)
        rd.facet(
            rule,
            at.name or f"credits from {rule.from_.describe()}",
            (
                "credits",
                rule.credits,
                tuple(sorted(counted.items())),
                tuple(sorted(admits.items())),
                at.level,
                at.shared,
            ),
            {
                "need": rule.credits,
                "courses": matched,
                "credit_values": counted,
                "admits": sorted(admits),
                "min_grade": at.min_grade,
                "level": at.level,
                "shared": at.shared,
            },
        )
        return rd.atom(
            rule,
            (
                "credits",
                rule.credits,
                tuple(sorted(counted.items())),
                tuple(sorted(admits.items())),
                at.level,
                at.window,
            ),
            need=rule.credits,
            courses=counted,
            admits=admits,
            level=at.level,
            window=at.window,
            text=f"{rule.credits:g} credits{counted_from(rule.from_.describe(), ' from ')}"
            f"{at.grade_text}{at.window_text}",
            consumes=not at.shared,
        )

    def diff_similar(self, a: dict[str, Any], b: dict[str, Any]) -> float:
        return overlap(a["courses"], b["courses"])

    def diff_changes(self, name: str, a: dict[str, Any], b: dict[str, Any], named: bool) -> list[Change]:
        out: list[Change] = []
        if a["need"] != b["need"]:
            out.append(("credits", a["need"], b["need"], f"{name}: {a['need']:g} → {b['need']:g} credits"))
        out += selector_changes(name, a, b)
        out += credit_value_changes(name, a, b)
        gained = sorted(set(b["admits"]) - set(a["admits"]))
        lost = sorted(set(a["admits"]) - set(b["admits"]))
        if gained:
            out.append(("admits", None, gained, f"{name}: now also admits {', '.join(gained)}"))
        if lost:
            out.append(("admits", lost, None, f"{name}: no longer admits {', '.join(lost)}"))
        return out

    def fingerprint(self, catalog: Catalog, node: CNode) -> Any:
        courses = catalog.courses
        admits = tuple(
            (a, catalog.credentials[a].credits, validity(catalog.credentials[a]))
            for a in sorted(node.admits)
            if a in catalog.credentials
        )
        return (tuple(sorted((c, courses[c].credits if c in courses else None) for c in node.eligible)), admits)
