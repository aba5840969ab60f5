"""Explanations an advisor can act on: what is missing, what counted where, and why a taken
course did not count."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from operator import attrgetter

from microcred.model.result import Applied, CredentialResult, RequirementResult
from microcred.rules.compiled import CNode
from microcred.rules.kinds import KINDS
from microcred.rules.nodes import counted_from
from microcred.rules.scenario import EPS, Item, Scenario
from microcred.rules.solver import Solution


def _plural(n: float, word: str) -> str:
    return f"{n:g} {word}{'' if abs(n - 1) < EPS else 's'}"


def _grade_note(node: CNode) -> str:
    return f" with {node.min_grade} or better" if node.min_grade and node.min_points is not None else ""


def leaf_amount(node: CNode, sol: Solution) -> float:
    its = sol.assigned.get(node.leaf, ())
    return sum(it.credits for it in its) if node.by_credits else float(len(its))


def counted_where(leaves: list[CNode], sol: Solution) -> dict[str, list[CNode]]:
    """The leaves each course (by its catalogue id, after substitution) counts toward, in the
    solution ``sol``: what ``applied`` lists."""
    out: dict[str, list[CNode]] = {}
    for leaf in leaves:
        its = sol.assigned.get(leaf.leaf)
        if its:
            for it in trimmed(leaf, its):
                out.setdefault(it.key, []).append(leaf)
    return out


def _place(node: CNode) -> str:
    return node.label or node.ref


def missing(
    node: CNode,
    sol: Solution,
    sc: Scenario,
    counted: dict[str, list[CNode]],
    pending: frozenset[str] = frozenset(),
) -> list[str]:
    """Plain sentences for what is still needed below ``node`` (``counted``: the leaves each
    course counts toward, see :func:`counted_where`; ``pending``: courses the learner is
    taking now). Inside an inline credential a sentence names the innermost credential:
    "for data-foundations: course STAT 2000". No sentence is said twice."""
    out: list[str] = []
    _Missing(sol, sc, counted, pending, out).visit(node, "")
    return list(dict.fromkeys(out))


class _Missing:
    """One walk of ``missing``: sentences go to ``out``, each with the prefix of the innermost
    inline credential it lies in (a sentence that already starts with "for " keeps its own)."""

    def __init__(
        self, sol: Solution, sc: Scenario, counted: dict[str, list[CNode]], pending: frozenset[str], out: list[str]
    ):
        self.sol = sol
        self.progress = sol.node_progress
        self.sc = sc
        self.counted = counted
        self.pending = pending
        self.out = out

    def elsewhere(self, course: str, node: CNode) -> list[CNode]:
        """The other leaves that ``course`` counts toward and that keep it from counting at
        ``node`` (none when ``node`` is shared: a shared node may count a course again)."""
        if node.shared:
            return []
        return [n for n in self.counted.get(course, ()) if n is not node and not n.shared]

    def say(self, prefix: str, text: str) -> None:
        self.out.append(prefix + text if prefix and not text.startswith("for ") else text)

    def said(self) -> int:
        return len(self.out)

    def visit(self, node: CNode, prefix: str) -> None:
        nid = id(node)
        if self.progress.get(nid, 0.0) >= 1 - EPS:
            return
        kind = KINDS[node.kind]
        if nid in self.sol.constants:
            kind.explain_settled(self, node, prefix)
        else:
            kind.explain(self, node, prefix)

    def leaf_text(self, node: CNode) -> str:
        """What a consuming leaf still needs (its kind words it)."""
        return KINDS[node.kind].leaf_text(self, node)

    def course_text(self, node: CNode) -> str:
        """What a ``course`` requirement still needs."""
        assert node.course is not None
        others = self.elsewhere(node.course, node)
        if others:
            places = ", ".join(_unique(_place(n) for n in others))
            item = self.sc.items.get(node.course)
            if item is not None and item.meets(node.min_points):
                # passed well enough for this requirement too: a course counts once
                return f"course {node.course} counted toward {places}; no retake needed"
            grade = f"its {item.grade} " if item is not None and item.grade else "it "
            return f"course {node.course}{_grade_note(node)} ({grade}counts toward {places})"
        text = f"course {node.course}{_grade_note(node)}"
        if node.course in self.pending:
            text += " (in progress)"
        return text

    def counted_text(self, node: CNode, unit: str) -> str:
        """What a counting requirement (``unit``: course or credit) still needs."""
        have = leaf_amount(node, self.sol)
        left = node.need - have
        what = node.selector_text()
        more = "more " if have > 0 else ""
        text = f"{left:g} {more}{unit}{'' if abs(left - 1) < EPS else 's'}{counted_from(what)}{_grade_note(node)}"
        used = sorted(c for c in self.counted if c in node.eligible and self.elsewhere(c, node))
        if used:
            text += f" ({', '.join(used)} already count{'s' if len(used) == 1 else ''} elsewhere)"
        taking = sorted(c for c in self.pending if c in node.eligible)
        if taking:
            text += f"; in progress: {', '.join(taking)}"
        return text


def _unique(texts: Iterable[str]) -> list[str]:
    """``texts`` without repeats, in their order."""
    return list(dict.fromkeys(texts))


_BY_DATE = attrgetter("date", "key")


def trimmed(node: CNode, items: list[Item]) -> list[Item]:
    """The items a leaf needs, in date order: surplus beyond its count or credits is left out."""
    return KINDS[node.kind].trim(node, sorted(items, key=_BY_DATE))


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


def requirement_tree(
    node: CNode,
    sol: Solution,
    applied: list[Applied],
    waived: frozenset[int],
    held: Callable[[str], CredentialResult | None] | None = None,
    sc: Scenario | None = None,
    counted: dict[str, list[CNode]] | None = None,
) -> RequirementResult:
    """The requirement tree of ``node`` in the solution ``sol``. With ``held`` (the learner's
    result for a credential, when known), ``sc`` and ``counted`` (see :func:`counted_where`), a
    ``credential`` node left unmet though the learner earned that credential says so, see
    :func:`_earned_elsewhere`."""
    by_leaf: dict[tuple[str, str | None], list[Applied]] = {}
    for a in applied:
        by_leaf.setdefault((a.node, a.owner), []).append(a)
    check_earned = bool(held and sc and counted is not None)
    progress_of, constants = sol.node_progress, sol.constants

    def tree(node: CNode) -> RequirementResult:
        nid = id(node)
        p = progress_of.get(nid, constants.get(nid, 0.0))
        here = list(by_leaf.get((node.ref, node.owner), ())) if node.leaf >= 0 else []
        children: list[RequirementResult] = []
        note = None
        if nid not in constants:
            children = [tree(node.inline)] if node.inline is not None else [tree(c) for c in node.children]
        elif node.target is not None and p >= 1 - EPS and nid not in waived:
            note = "held (awarded)"
        out = RequirementResult(
            ref=node.ref,
            kind=node.kind,
            description=node.describe(),
            progress=p,
            satisfied=p >= 1 - EPS,
            applied=here,
            children=children,
            waived=nid in waived,
            note=note,
            target=node.target,
        )
        if check_earned and node.target and node.inline and not (out.satisfied or out.waived):
            assert held is not None and sc is not None and counted is not None
            _earned_elsewhere(node, out, held(node.target), sc, counted)
        return out

    return tree(node)


def _earned_elsewhere(
    node: CNode, out: RequirementResult, held: CredentialResult | None, sc: Scenario, counted: dict[str, list[CNode]]
) -> None:
    """A ``credential`` node not met in this assignment, of a credential the learner earned on
    its own (``held``). When each course it counted on its own meets the rules here and counts
    in this credential, the node was left unmet only because a course counts once in a
    credential: it shows as earned (met, progress 1, with where its courses count instead);
    the progress of the credential around it is unchanged. Otherwise its courses do not meet
    the rules here (a stricter minimum grade, say): the node stays unmet, with a note."""
    if held is None or held.status != "earned" or held.awarded or held.earned_on is None:
        return
    mine = sorted({a.substituted_for or a.course for a in held.applied if a.status != "awarded"})
    if not mine:
        return
    assert node.inline is not None
    inside = list(node.inline.walk())
    inner = {id(n) for n in inside}
    leaves = [n for n in inside if n.leaf >= 0]
    places: list[str] = []
    for course in mine:
        item = sc.items.get(course)
        fits = item is not None and any(
            (n.course == course or course in n.eligible) and item.meets(n.min_points) for n in leaves
        )
        if not fits or course not in counted:
            out.note = f"earned {held.earned_on.isoformat()} on its own, but it does not count here as it stands"
            return
        places += [_place(n) for n in counted[course] if id(n) not in inner and not n.shared]
    out.satisfied = True
    out.progress = 1.0
    out.children = []
    where = _unique(places)
    out.note = f"earned {held.earned_on.isoformat()}" + (
        f"; here its courses count toward {', '.join(where)}" if where else ""
    )
