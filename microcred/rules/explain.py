"""Explanations an advisor can act on: what is missing, what counted where, and why a taken
course did not count."""

from __future__ import annotations

from operator import attrgetter

from microcred.result import Applied, RequirementResult
from microcred.rules.compiled import CNode
from microcred.rules.nodes import counted_from
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
    is taking now). Inside an inline credential a sentence names the innermost credential:
    "for data-foundations: course STAT 2000"."""
    out: list[str] = []
    _Missing(sol, sc, elsewhere, pending, out).visit(node, "")
    return out


class _Missing:
    """One walk of ``missing``: sentences go to ``out``, each with the prefix of the innermost
    inline credential it lies in (a sentence that already starts with "for " keeps its own)."""

    def __init__(self, sol: Solution, sc: Scenario, elsewhere: dict[str, str], pending: frozenset[str], out: list[str]):
        self.sol = sol
        self.progress = sol.node_progress
        self.sc = sc
        self.elsewhere = elsewhere
        self.pending = pending
        self.out = out

    @staticmethod
    def _emit(out: list[str], prefix: str, text: str) -> None:
        out.append(prefix + text if prefix and not text.startswith("for ") else text)

    def visit(self, node: CNode, prefix: str) -> None:
        nid = id(node)
        progress = self.progress
        if progress.get(nid, 0.0) >= 1 - EPS:
            return
        out = self.out
        k = node.kind
        if nid in self.sol.constants:
            if k == "gpa":
                g = self.sc.gpa(node.gpa_over)
                over = f" over {node.selector_text()}" if node.selector else ""
                now = f" (now {g:.2f})" if g is not None else " (no graded courses yet)"
                self._emit(out, prefix, f"a GPA of at least {node.need:g}{over}{now}")
            elif k == "credential":
                self._emit(out, prefix, f"the credential {node.target} (it can only be awarded)")
            return
        if k == "course" or k == "courses" or k == "credits":
            self._emit(out, prefix, self.leaf_text(node))
            return
        if k == "credential":
            assert node.inline is not None
            before = len(out)
            self.visit(node.inline, f"for {node.target}: ")
            if len(out) == before:
                self._emit(out, prefix, f"the credential {node.target}")
            return
        kids = node.children
        if k == "all":
            for c in kids:
                if progress.get(id(c), 0.0) < 1 - EPS:
                    self.visit(c, prefix)
            return
        label = f"{node.label}: " if node.label else ""
        unmet = [c for c in kids if progress.get(id(c), 0.0) < 1 - EPS]
        # closest first; ties keep the catalogue's order
        unmet.sort(key=lambda c: -progress.get(id(c), 0.0))
        if k == "any":
            if all(c.leaf >= 0 for c in kids):
                options = [self.leaf_text(c) for c in kids if progress.get(id(c), 0.0) < 1 - EPS]
                self._emit(out, prefix, label + "one of: " + " | ".join(options))
                return
            best, others = unmet[0], unmet[1:]
            head = f"{label}closest option: {best.describe()}"
            if others:
                head += " (other options: " + "; ".join(c.describe() for c in others) + ")"
            self._emit(out, prefix, head)
            self.visit(best, prefix)
            return
        # at_least: name what is left, then spell out the closest children that would complete it
        need = int(node.need)
        met = len(kids) - len(unmet)
        self._emit(out, prefix, f"{label}{need - met} more of: " + "; ".join(c.describe() for c in unmet))
        for c in unmet[: need - met]:
            self.visit(c, prefix)

    def leaf_text(self, node: CNode) -> str:
        """What a course, courses or credits requirement still needs."""
        if node.kind == "course":
            text = f"course {node.course}{_grade_note(node)}"
            if node.course in self.elsewhere:
                text += f" (it counts toward {self.elsewhere[node.course]} instead)"
            elif node.course in self.pending:
                text += " (in progress)"
            return text
        have = leaf_amount(node, self.sol)
        left = node.need - have
        what = node.selector_text()
        unit = "course" if node.kind == "courses" else "credit"
        more = "more " if have > 0 else ""
        text = f"{left:g} {more}{unit}{'' if abs(left - 1) < EPS else 's'}{counted_from(what)}{_grade_note(node)}"
        used = sorted(c for c in self.elsewhere if c in node.eligible)
        if used:
            text += f" ({', '.join(used)} already count{'s' if len(used) == 1 else ''} elsewhere)"
        taking = sorted(c for c in self.pending if c in node.eligible)
        if taking:
            text += f"; in progress: {', '.join(taking)}"
        return text


_BY_DATE = attrgetter("date", "key")


def trimmed(node: CNode, items: list[Item]) -> list[Item]:
    """The items a leaf needs, in date order: surplus beyond its count or credits is left out."""
    items = sorted(items, key=_BY_DATE)
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
