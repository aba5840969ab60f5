"""Explanations an advisor can act on: what is missing, what counted where, and why a taken
course did not count."""

from __future__ import annotations

from microcred.result import Applied, RequirementResult
from microcred.rules.compiled import CNode
from microcred.rules.scenario import EPS, Item, Scenario
from microcred.rules.solver import Solution


def _plural(n: float, word: str) -> str:
    return f"{n:g} {word}{'' if abs(n - 1) < EPS else 's'}"


def _grade_note(node: CNode) -> str:
    return f" with {node.min_grade} or better" if node.min_grade and node.min_points is not None else ""


def leaf_amount(node: CNode, sol: Solution) -> float:
    its = sol.assigned.get(node.leaf, ())
    return sum(it.credits for it in its) if node.kind == "credits" else float(len(its))


def missing(
    node: CNode, sol: Solution, sc: Scenario, elsewhere: dict[str, str], pending: frozenset[str] = frozenset()
) -> list[str]:
    """Plain sentences for what is still needed below ``node`` (``pending``: courses the learner
    is taking now)."""
    nid = id(node)
    p = sol.node_progress.get(nid, 0.0)
    if p >= 1 - EPS:
        return []
    k = node.kind
    if nid in sol.constants:
        if k == "gpa":
            g = sc.gpa(node.gpa_over)
            over = f" over {node.selector_text()}" if node.selector else ""
            now = f" (now {g:.2f})" if g is not None else " (no graded courses yet)"
            return [f"a GPA of at least {node.need:g}{over}{now}"]
        if k == "credential":
            return [f"the credential {node.target} (it can only be awarded)"]
        return []
    if k == "course":
        text = f"course {node.course}{_grade_note(node)}"
        if node.course in elsewhere:
            text += f" (it counts toward {elsewhere[node.course]} instead)"
        elif node.course in pending:
            text += " (in progress)"
        return [text]
    if k in ("courses", "credits"):
        have = leaf_amount(node, sol)
        left = node.need - have
        what = node.selector_text()
        unit = "course" if k == "courses" else "credit"
        more = "more " if have > 0 else ""
        text = f"{left:g} {more}{unit}{'' if abs(left - 1) < EPS else 's'} from: {what}{_grade_note(node)}"
        used = sorted(c for c in elsewhere if c in node.eligible)
        if used:
            text += f" ({', '.join(used)} already count{'s' if len(used) == 1 else ''} elsewhere)"
        taking = sorted(c for c in pending if c in node.eligible)
        if taking:
            text += f"; in progress: {', '.join(taking)}"
        return [text]
    if k == "credential":
        assert node.inline is not None
        inner = missing(node.inline, sol, sc, elsewhere, pending)
        # the innermost credential names the place: "for data-foundations: course STAT 2000"
        return [m if m.startswith("for ") else f"for {node.target}: {m}" for m in inner] or [
            f"the credential {node.target}"
        ]
    kids = node.children
    progress = sol.node_progress
    if k == "all":
        return [m for c in kids if progress.get(id(c), 0.0) < 1 - EPS for m in missing(c, sol, sc, elsewhere, pending)]
    label = f"{node.label}: " if node.label else ""
    unmet = [c for c in kids if progress.get(id(c), 0.0) < 1 - EPS]
    # closest first; ties keep the catalogue's order
    unmet.sort(key=lambda c: -progress.get(id(c), 0.0))
    if k == "any":
        if all(c.leaf >= 0 for c in kids):
            options = [m for c in kids for m in missing(c, sol, sc, elsewhere, pending)]
            return [label + "one of: " + " | ".join(options)]
        best, others = unmet[0], unmet[1:]
        head = f"{label}closest option: {best.describe()}"
        if others:
            head += " (other options: " + "; ".join(c.describe() for c in others) + ")"
        return [head, *missing(best, sol, sc, elsewhere, pending)]
    # at_least: name what is left, then spell out the closest children that would complete it
    need = int(node.need)
    met = len(kids) - len(unmet)
    head = f"{label}{need - met} more of: " + "; ".join(c.describe() for c in unmet)
    closest = unmet[: need - met]
    return [head, *(m for c in closest for m in missing(c, sol, sc, elsewhere, pending))]


def trimmed(node: CNode, items: list[Item]) -> list[Item]:
    """The items a leaf needs, in date order: surplus beyond its count or credits is left out."""
    items = sorted(items, key=lambda i: (i.date, i.key))
    if node.kind == "course":
        return items[:1]
    if node.kind == "courses":
        return items[: int(node.need)]
    kept: list[Item] = []
    total = 0.0
    for it in items:
        if total >= node.need - EPS:
            break
        kept.append(it)
        total += it.credits
    return kept


def applied_list(leaves: list[CNode], sol: Solution) -> list[Applied]:
    out: list[Applied] = []
    for leaf in leaves:
        its = sol.assigned.get(leaf.leaf)
        if not its:
            continue
        for it in trimmed(leaf, its):
            out.append(
                Applied(
                    course=it.course,
                    node=leaf.ref,
                    owner=leaf.owner,
                    date=it.date,
                    grade=it.grade,
                    credits=it.credits,
                    status=it.status,
                    label=leaf.label,
                    substituted_for=it.key if it.substituted else None,
                )
            )
    return out


def requirement_tree(node: CNode, sol: Solution, applied: list[Applied], waived: frozenset[int]) -> RequirementResult:
    nid = id(node)
    p = sol.node_progress.get(nid, sol.constants.get(nid, 0.0))
    here = [a for a in applied if a.node == node.ref and a.owner == node.owner] if node.leaf >= 0 else []
    children: list[RequirementResult] = []
    note = None
    if nid not in sol.constants:
        children = [requirement_tree(c, sol, applied, waived) for c in node.children]
        if node.inline is not None:
            children = [requirement_tree(node.inline, sol, applied, waived)]
    elif node.kind == "credential" and p >= 1 - EPS and nid not in waived:
        note = "held (awarded)"
    return RequirementResult(
        ref=node.ref,
        kind=node.kind,
        description=node.describe(),
        progress=p,
        satisfied=p >= 1 - EPS,
        applied=here,
        children=children,
        waived=nid in waived,
        note=note,
    )
