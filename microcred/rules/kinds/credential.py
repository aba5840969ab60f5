"""The ``credential:`` node: another credential, held by award or earned by its own rule, read in place."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from microcred.rules.kinds.base import (
    Compiling,
    Explaining,
    Exporting,
    Heading,
    Kind,
    Place,
    Planning,
    Reading,
    Reference,
    Role,
    Shape,
    level_ge,
    validity,
)
from microcred.rules.nodes import CredentialRule

if TYPE_CHECKING:
    from microcred.model.catalog import Catalog
    from microcred.rules.compiled import CNode
    from microcred.rules.kinds.base import CpsatEncoding
    from microcred.rules.scenario import Scenario


class Credential(Kind):
    key = "credential"
    model = CredentialRule
    diff_rank = 4
    settles = True
    partial = True

    def compile(self, rule: CredentialRule, node: CNode, ctx: Compiling) -> None:
        node.target = rule.credential
        node.inline = ctx.inline(rule.credential)

    def role(self, node: CNode) -> Role:
        return "pass" if node.inline is not None else "constant"

    def constant(self, node: CNode, sc: Scenario) -> float | None:
        if node.target is not None and sc.holds(node.target):
            return 1.0
        return 0.0 if node.inline is None else None

    def cpsat(self, enc: CpsatEncoding, node: CNode) -> tuple[Any, int] | None:
        return enc.encode(node.inline) if node.inline is not None else (0, 1)

    def holds(self, enc: CpsatEncoding, node: CNode) -> Any:
        return enc.holds(node.inline) if node.inline is not None else False

    def boolean(self, rule: CredentialRule) -> Shape:
        return Reference(rule.credential)

    def describe(self, node: CNode) -> str:
        return f"credential {node.target}"

    def ctdl_words(self, ex: Exporting, rule: CredentialRule, grade: str | None) -> str:
        return f"Earn {ex.credential_words(rule.credential)}"

    def ctdl_targets(self, ex: Exporting, rule: CredentialRule) -> tuple[list[str], list[str]] | None:
        return ([], [rule.credential]) if rule.credential in ex.catalog.credentials else None

    def heading(self, description: str) -> Heading | None:
        if description.startswith("credential "):
            return Reference(description[len("credential ") :])
        return None

    def explain(self, walk: Explaining, node: CNode, prefix: str) -> None:
        assert node.inline is not None
        before = walk.said()
        walk.visit(node.inline, f"for {node.target}: ")
        if walk.said() == before:
            walk.say(prefix, f"the credential {node.target}")

    def explain_settled(self, walk: Explaining, node: CNode, prefix: str) -> None:
        walk.say(prefix, f"the credential {node.target} (it can only be awarded)")

    def plan_unmet(self, why: Planning, node: CNode) -> list[str]:
        if node.inline is not None and why.settled(node) is None:
            return why.why(node.inline)
        return [] if why.ok([node]) else [f"{why.name(node)} cannot be met"]

    def plan_settled(self, why: Planning, node: CNode) -> list[str]:
        target = node.target or "?"
        mine = [aw for aw in why.awards if aw.credential == target and aw.date <= why.as_of]
        if mine:
            last = max(mine, key=lambda a: a.date)
            held = f"; the learner's award of it (from {last.date}) expired on {last.expires_on}"
        else:
            held = "; the learner holds no award of it"
        return [f"{why.name(node)}: {target} has no rule to meet, it can only be awarded{held}"]

    def diff_atom(self, rd: Reading, rule: CredentialRule, at: Place) -> Any:
        target = rd.catalog.credentials.get(rule.credential)
        inherited = at.level if (target is None or target.min_grade is None) else None
        text = f"credential {rule.credential}"
        if inherited is not None:
            text += f" (its courses with {at.min_grade} or better)"
        rd.facet(
            rule,
            at.name or f"credential {rule.credential}",
            ("credential", rule.credential, inherited, at.shared),
            {
                "target": rule.credential,
                "min_grade": at.min_grade if inherited is not None else None,
                "level": inherited,
                "shared": at.shared,
            },
        )
        key = ("credential", rule.credential, inherited)
        return rd.atom(
            rule, key, need=1, courses={}, level=inherited, target=rule.credential, text=text, consumes=not at.shared
        )

    def diff_implies(self, a: Any, b: Any) -> bool:
        return bool(a.target == b.target and level_ge(a.level, b.level))

    def diff_similar(self, a: dict[str, Any], b: dict[str, Any]) -> float:
        return 1.0 if a["target"] == b["target"] else 0.0

    def fingerprint(self, catalog: Catalog, node: CNode) -> Any:
        target = catalog.credentials.get(node.target or "")
        return (node.target, validity(target), target is not None, node.inline is not None)
