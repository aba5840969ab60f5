"""The ``competency:`` node (an extension): one course or credential aligned with a competency.

``{competency: URI, level: N}`` is met by any one course aligned with the competency at level N
or above (or at any level, or none, without ``level``), or by any one credential that aligns
with it so (its own alignments and those its rule guarantees; never the credential that holds
the node). It is read as ``any:`` over those courses and credentials, found in the catalogue
when the rule is compiled, so exclusivity, ``min_grade``, windows and awards apply to them as
to any ``course:`` or ``credential:`` node. A competency nothing aligns with can never be met.
See docs/competencies.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from microcred.model.competencies import resolve_uri
from microcred.model.diagnostics import Diagnostic
from microcred.model.skills import course_alignments, credential_alignments
from microcred.rules.kinds.any import AnyOf
from microcred.rules.kinds.base import (
    Atom,
    Change,
    Checking,
    Compiling,
    Composite,
    Explaining,
    Exporting,
    Gate,
    Place,
    Reading,
    Role,
    Shape,
    overlap,
)
from microcred.rules.nodes import CompetencyRule, CourseRule, CredentialRule, RuleBase, RulePath

if TYPE_CHECKING:
    from microcred.model.catalog import Catalog
    from microcred.rules.compiled import CNode
    from microcred.rules.kinds.base import CpsatEncoding
    from microcred.rules.scenario import Scenario


class _Options:
    """The node's options, shaped as a rule's children (paths ``competency[i]``)."""

    def __init__(self, kids: list[RuleBase]):
        self.kids = kids

    def children(self) -> list[RuleBase]:
        return self.kids

    def child_path(self, index: int) -> tuple[str | int, ...]:
        return ("competency", index)


def options(catalog: Catalog, rule: CompetencyRule, owner: str) -> list[RuleBase]:
    """The courses (in id order), then the credentials (in catalogue order), that meet ``rule``."""
    uri = resolve_uri(rule.competency, catalog.competencies, catalog.competency_codes)
    if uri is None:
        return []

    def enough(level: int | None) -> bool:
        return rule.level is None or (level is not None and level >= rule.level)

    out: list[RuleBase] = []
    for cid in sorted(catalog.courses):
        aligned = course_alignments(catalog, cid)
        if uri in aligned and enough(aligned[uri]):
            out.append(CourseRule(course=cid))
    for cid, aligned in credential_alignments(catalog).items():
        if cid != owner and uri in aligned and enough(aligned[uri]):
            out.append(CredentialRule(credential=cid))
    return out


_ANY = AnyOf()


def _show(catalog: Catalog, ref: str, uri: str | None) -> str:
    """A competency in a few words: its label, else the reference as written."""
    comp = catalog.competencies.get(uri) if uri else None
    return comp.label if comp else ref


def _names(opts: list[RuleBase]) -> tuple[list[str], list[str]]:
    """The courses and the credentials among a competency node's options."""
    courses = [o.course for o in opts if isinstance(o, CourseRule)]
    creds = [o.credential for o in opts if isinstance(o, CredentialRule)]
    return courses, creds


def _level_text(level: int | None) -> str:
    return "any" if level is None else str(level)


class Competency(Composite):
    key = "competency"
    model = CompetencyRule
    diff_rank = 6
    settles = True
    alternatives = True

    def compile(self, rule: CompetencyRule, node: CNode, ctx: Compiling) -> None:
        node.children = ctx.children(_Options(options(ctx.catalog, rule, ctx.owner)))  # type: ignore[arg-type]
        node.need = 1
        if node.label is None:  # what reports call it
            uri = resolve_uri(rule.competency, ctx.catalog.competencies, ctx.catalog.competency_codes)
            comp = ctx.catalog.competencies.get(uri) if uri else None
            at = "" if rule.level is None else f" at level {rule.level}+"
            node.label = f"competency {comp.label if comp else rule.competency}{at}"

    def role(self, node: CNode) -> Role:
        return "any" if node.children else "constant"

    def constant(self, node: CNode, sc: Scenario) -> float | None:
        return None if node.children else 0.0

    def cpsat(self, enc: CpsatEncoding, node: CNode) -> tuple[Any, int] | None:
        return _ANY.cpsat(enc, node) if node.children else (0, 1)

    def boolean(self, rule: CompetencyRule) -> Shape:
        return Atom()

    def gate(self, node: CNode) -> Gate | None:
        return _ANY.gate(node) if node.children else None

    def describe(self, node: CNode) -> str:
        return node.label or node.node_id or f"competency {node.ref}"

    def ctdl_words(self, ex: Exporting, rule: CompetencyRule, grade: str | None) -> str:
        uri = resolve_uri(rule.competency, ex.catalog.competencies, ex.catalog.competency_codes)
        comp = ex.catalog.competencies.get(uri) if uri else None
        at = "" if rule.level is None else f" at level {rule.level} or above"
        name = comp.label if comp else rule.competency
        s = f"Demonstrate {name}{at}: one course or credential aligned with it"
        return s + (f", each course with {grade} or better" if grade else "")

    def ctdl_profile(self, ex: Exporting, rule: CompetencyRule, grade: str | None, p: dict[str, Any]) -> None:
        uri = resolve_uri(rule.competency, ex.catalog.competencies, ex.catalog.competency_codes)
        if uri is not None:
            p["ceterms:targetCompetency"] = [ex.alignment(uri)]

    def explain(self, walk: Explaining, node: CNode, prefix: str) -> None:
        _ANY.explain(walk, node, prefix)

    def check(self, ctx: Checking, cid: str, path: RulePath, rule: CompetencyRule) -> Iterator[Diagnostic]:
        uri = resolve_uri(rule.competency, ctx.catalog.competencies, ctx.catalog.competency_codes)
        if uri is None or options(ctx.catalog, rule, cid):
            return  # an unknown competency is E321 (checks/competencies.py)
        at = "" if rule.level is None else f" at level {rule.level} or above"
        yield Diagnostic(
            "E406",
            f"no course or credential of the catalogue aligns with competency '{rule.competency}'{at}, so this "
            "requirement can never be met; align a course with it (`competencies:`), or lower `level`",
            ctx.locate(cid, (*path, "competency")),
            subject=cid,
        )

    def explain_settled(self, walk: Explaining, node: CNode, prefix: str) -> None:
        label = node.label or "the competency"
        walk.say(prefix, f"{label}: no course or credential of the catalogue aligns with it")

    # -- diff: read as ``any`` over the courses and credentials aligned with it, in each version

    def diff_atom(self, rd: Reading, rule: CompetencyRule, at: Place) -> Any:
        uri = resolve_uri(rule.competency, rd.catalog.competencies, rd.catalog.competency_codes)
        opts = options(rd.catalog, rule, at.owner)
        courses, creds = _names(opts)
        shown = _show(rd.catalog, rule.competency, uri)
        rd.facet(
            rule,
            at.name or f"competency {shown}",
            ("competency", uri or rule.competency, rule.level, tuple(courses), tuple(creds), at.level, at.shared),
            {
                "competency": uri or rule.competency,
                "shown": shown,
                "min_level": rule.level,
                "courses": courses,
                "credentials": creds,
                "min_grade": at.min_grade,
                "level": at.level,
                "shared": at.shared,
            },
        )
        return rd.any_of(rule, opts, at)

    def diff_similar(self, a: dict[str, Any], b: dict[str, Any]) -> float:
        if a["competency"] == b["competency"]:
            return 1.0 if a["min_level"] == b["min_level"] else 0.9
        return 0.5 * overlap([*a["courses"], *a["credentials"]], [*b["courses"], *b["credentials"]])

    def diff_changes(self, name: str, a: dict[str, Any], b: dict[str, Any], named: bool) -> list[Change]:
        out: list[Change] = []
        if a["competency"] != b["competency"]:
            word = f"{name}: competency" if named else "competency"
            out.append(("competency", a["competency"], b["competency"], f"{word} {a['shown']} → {b['shown']}"))
        if a["min_level"] != b["min_level"]:
            was, now = _level_text(a["min_level"]), _level_text(b["min_level"])
            out.append(("competency_level", a["min_level"], b["min_level"], f"{name}: level {was} → {now}"))
        gained = sorted(set(b["courses"]) - set(a["courses"])) + [
            f"credential {c}" for c in b["credentials"] if c not in a["credentials"]
        ]
        lost = sorted(set(a["courses"]) - set(b["courses"])) + [
            f"credential {c}" for c in a["credentials"] if c not in b["credentials"]
        ]
        if gained:
            out.append(("aligned", None, gained, f"{name}: now also met by {', '.join(gained)}"))
        if lost:
            out.append(("aligned", lost, None, f"{name}: no longer met by {', '.join(lost)}"))
        return out
