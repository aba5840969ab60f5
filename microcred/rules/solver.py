"""The exact assignment of a learner's attempts to the leaves of one credential's rule.

Within one credential an attempt counts toward at most one leaf (``course``, ``courses``,
``credits``) unless the leaf or an ancestor is ``shared``. The solver maximises the rule's
progress (a satisfied rule has progress 1, and only a satisfied rule has), so one objective
gives both "is it satisfied?" and "how far along is it?". It is exact:

1. Constant nodes are settled first: a ``gpa`` node, a ``credential:`` node the learner holds
   by award, a waived node.
2. ``complete_within`` windows are removed by enumeration: any attempts that fit a window
   have an earliest date that is one of the candidates' dates, so trying each candidate
   start turns the window into a filter on dates.
3. Shared leaves take everything eligible (they compete with nobody). An attempt eligible for
   one exclusive leaf only goes there: progress never falls when a leaf gets more.
4. The *contested* attempts (eligible for two or more exclusive leaves) are assigned by
   branch and bound: depth-first, with the bound "every undecided attempt counts everywhere
   it could", with interchangeable attempts taken in one canonical order, and never into a
   leaf that is already full. When the search space is large, the same instance goes to
   OR-Tools CP-SAT (an exact integer solver) instead.

See docs/engine.md for the complexity and the proof obligations the tests check.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from microcred.dates import add_months
from microcred.rules.compiled import CNode, CompiledCredential
from microcred.rules.scenario import EPS, Item, Scenario

#: Largest product of option counts explored by branch and bound before CP-SAT takes over.
SEARCH_LIMIT = 4000


@dataclass
class Solution:
    progress: float
    #: leaf index -> the items that count there
    assigned: dict[int, list[Item]]
    #: id(node) -> progress, for every node of the tree
    node_progress: dict[int, float] = field(default_factory=dict)
    #: id(node) -> the node's constant value, for gpa/held/waived nodes
    constants: dict[int, float] = field(default_factory=dict)
    #: id(node) of window nodes -> start date chosen
    windows: dict[int, object] = field(default_factory=dict)
    #: items that were eligible somewhere but fell outside a chosen window
    outside_window: set[str] = field(default_factory=set)
    engine: str = "direct"

    @property
    def satisfied(self) -> bool:
        return self.progress >= 1 - EPS


class _Tree:
    """Progress of a compiled rule as a function of the amounts its leaves received."""

    def __init__(self, root: CNode, constants: dict[int, float], active: dict[int, CNode]):
        self.root = root
        self.constants = constants
        self.active = active

    def value(self, node: CNode, amounts: Sequence[float], out: dict[int, float] | None = None) -> float:
        nid = id(node)
        if nid in self.constants:
            v = self.constants[nid]
        else:
            k = node.kind
            if k == "course":
                v = 1.0 if amounts[node.leaf] >= 1 - EPS else 0.0
            elif k == "courses" or k == "credits":
                a = amounts[node.leaf]
                v = 1.0 if a >= node.need - EPS else a / node.need
            elif k == "credential":
                v = self.value(node.inline, amounts, out) if node.inline is not None else 0.0
            elif k == "gpa":
                v = 0.0
            else:
                vals = [self.value(c, amounts, out) for c in node.children]
                if k == "all":
                    v = sum(vals) / len(vals)
                elif k == "any":
                    v = max(vals)
                else:  # at_least
                    n = int(node.need)
                    v = sum(sorted(vals, reverse=True)[:n]) / n if n <= len(vals) else sum(vals) / n
        if out is not None:
            out[nid] = v
        return v


def _gain(leaf: CNode, item: Item) -> float:
    return item.credits if leaf.kind == "credits" else 1.0


def _cap(leaf: CNode) -> float:
    return 1.0 if leaf.kind == "course" else leaf.need


def _eligible(leaf: CNode, item: Item) -> bool:
    if item.key.startswith("credential:"):
        return leaf.kind == "credits" and item.course in leaf.admits
    if leaf.kind == "course":
        ok = item.key == leaf.course
    else:
        ok = item.key in leaf.eligible
    return ok and item.meets(leaf.min_points)


def solve(
    cc: CompiledCredential,
    sc: Scenario,
    waived: frozenset[int] = frozenset(),
    *,
    satisfy_only: bool = False,
    cpsat: Callable[..., tuple[float, dict[Item, int]] | None] | None = None,
) -> Solution:
    """The best assignment for credential ``cc`` in scenario ``sc``.

    ``waived`` holds ``id()`` of nodes an advisor waived. With ``satisfy_only`` the search only
    asks whether progress 1 can be reached (faster; the progress of an unsatisfied rule is
    then a lower bound, not the maximum).
    """
    root = cc.root
    if root is None:
        return Solution(0.0, {})
    constants: dict[int, float] = {}
    active: dict[int, CNode] = {}
    windows: list[CNode] = []
    _settle(root, sc, waived, constants, active, windows)
    tree = _Tree(root, constants, active)
    leaves = [n for n in active.values() if n.leaf >= 0]
    leaves.sort(key=lambda n: n.leaf)
    eligible: dict[int, list[Item]] = {}
    items = sorted(sc.items.values(), key=lambda i: (i.date, i.key))
    for leaf in leaves:
        eligible[leaf.leaf] = [it for it in items if _eligible(leaf, it)]

    if not windows:
        sol = _solve_plain(tree, leaves, eligible, len(cc.leaves), satisfy_only, cpsat)
    else:
        sol = _solve_windows(tree, root, leaves, eligible, windows, len(cc.leaves), satisfy_only, cpsat)
    sol.constants = constants
    out: dict[int, float] = {}
    amounts = _amounts(sol.assigned, leaves, len(cc.leaves))
    tree.value(root, amounts, out)
    sol.node_progress = out
    return sol


def _settle(
    node: CNode,
    sc: Scenario,
    waived: frozenset[int],
    constants: dict[int, float],
    active: dict[int, CNode],
    windows: list[CNode],
) -> None:
    nid = id(node)
    if nid in waived:
        constants[nid] = 1.0
        return
    if node.kind == "gpa":
        g = sc.gpa(node.gpa_over)
        constants[nid] = 1.0 if g is not None and g >= node.need - EPS else 0.0
        return
    if node.kind == "credential":
        if node.target is not None and sc.holds(node.target):
            constants[nid] = 1.0
            return
        if node.inline is None:
            constants[nid] = 0.0
            return
    active[nid] = node
    if node.window_months is not None:
        windows.append(node)
    for c in node.children:
        _settle(c, sc, waived, constants, active, windows)
    if node.inline is not None:
        _settle(node.inline, sc, waived, constants, active, windows)


def _amounts(assigned: dict[int, list[Item]], leaves: list[CNode], n: int) -> list[float]:
    amounts = [0.0] * n
    for leaf in leaves:
        for it in assigned.get(leaf.leaf, ()):
            amounts[leaf.leaf] += _gain(leaf, it)
    return amounts


def _solve_windows(
    tree: _Tree,
    root: CNode,
    leaves: list[CNode],
    eligible: dict[int, list[Item]],
    windows: list[CNode],
    nleaves: int,
    satisfy_only: bool,
    cpsat: Callable[..., tuple[float, dict[Item, int]] | None] | None,
) -> Solution:
    # leaves below each window
    below: list[set[int]] = []
    for w in windows:
        below.append({n.leaf for n in w.walk() if n.leaf >= 0 and id(n) in tree.active})
    starts: list[list[object]] = []
    for w, under in zip(windows, below, strict=True):
        dates = sorted({it.date for leaf in under for it in eligible.get(leaf, ())})
        starts.append(dates or [None])
    best: Solution | None = None
    all_items = {it.key for its in eligible.values() for it in its}
    for combo in itertools.product(*starts):
        filtered: dict[int, list[Item]] = {}
        for leaf in leaves:
            keep = eligible[leaf.leaf]
            for w, under, start in zip(windows, below, combo, strict=True):
                if start is None or leaf.leaf not in under:
                    continue
                end = add_months(start, w.window_months or 0)  # type: ignore[arg-type]
                keep = [it for it in keep if start <= it.date <= end]  # type: ignore[operator]
            filtered[leaf.leaf] = keep
        sol = _solve_plain(tree, leaves, filtered, nleaves, satisfy_only, cpsat)
        if best is None or sol.progress > best.progress + EPS:
            sol.windows = {id(w): s for w, s in zip(windows, combo, strict=True)}
            kept = {it.key for its in filtered.values() for it in its}
            sol.outside_window = all_items - kept
            best = sol
            if best.satisfied:
                break
    assert best is not None
    return best


def _solve_plain(
    tree: _Tree,
    leaves: list[CNode],
    eligible: dict[int, list[Item]],
    nleaves: int,
    satisfy_only: bool,
    cpsat: Callable[..., tuple[float, dict[Item, int]] | None] | None,
) -> Solution:
    amounts = [0.0] * nleaves
    assigned: dict[int, list[Item]] = {leaf.leaf: [] for leaf in leaves}
    options: dict[Item, list[CNode]] = {}
    for leaf in leaves:
        for it in eligible.get(leaf.leaf, ()):
            if leaf.shared:
                assigned[leaf.leaf].append(it)
                amounts[leaf.leaf] += _gain(leaf, it)
            else:
                options.setdefault(it, []).append(leaf)
    contested: list[tuple[Item, list[CNode]]] = []
    for it, opts in options.items():
        if len(opts) == 1:
            assigned[opts[0].leaf].append(it)
            amounts[opts[0].leaf] += _gain(opts[0], it)
        else:
            contested.append((it, opts))
    if not contested:
        return Solution(tree.value(tree.root, amounts), assigned)

    # drop options into leaves that the uncontested items already fill
    space = 1
    trimmed: list[tuple[Item, list[CNode]]] = []
    for it, opts in contested:
        useful = [o for o in opts if amounts[o.leaf] < _cap(o) - EPS] or opts[:1]
        trimmed.append((it, useful))
        space *= len(useful)
    contested = trimmed
    if all(len(o) == 1 for _i, o in contested):
        for it, opts in contested:
            assigned[opts[0].leaf].append(it)
            amounts[opts[0].leaf] += _gain(opts[0], it)
        return Solution(tree.value(tree.root, amounts), assigned)

    if space > SEARCH_LIMIT and cpsat is not None:
        result = cpsat(tree, leaves, amounts, contested, satisfy_only)
        if result is not None:
            _progress, choice = result
            for it, opts in contested:
                idx = choice.get(it, 0)
                leaf = opts[idx] if 0 <= idx < len(opts) else opts[0]
                assigned[leaf.leaf].append(it)
                amounts[leaf.leaf] += _gain(leaf, it)
            return Solution(tree.value(tree.root, amounts), assigned, engine="cp-sat")

    choice = _branch_and_bound(tree, amounts, contested, satisfy_only)
    for (it, opts), idx in zip(contested, choice, strict=True):
        assigned[opts[idx].leaf].append(it)
        amounts[opts[idx].leaf] += _gain(opts[idx], it)
    return Solution(tree.value(tree.root, amounts), assigned, engine="search")


def _branch_and_bound(
    tree: _Tree, base: list[float], contested: list[tuple[Item, list[CNode]]], satisfy_only: bool
) -> list[int]:
    # interchangeable items next to each other, so that a canonical order breaks symmetry
    order = sorted(
        range(len(contested)),
        key=lambda i: (tuple(o.leaf for o in contested[i][1]), contested[i][0].credits, contested[i][0].date, contested[i][0].key),
    )
    items = [contested[i] for i in order]
    sig = [(tuple(o.leaf for o in opts), it.credits) for it, opts in items]
    n = len(items)
    amounts = list(base)
    # optimistic amounts: every undecided item counted in every option
    optimistic = list(base)
    for it, opts in items:
        for o in opts:
            optimistic[o.leaf] += _gain(o, it)
    best_value = -1.0
    best_choice: list[int] = [0] * n
    choice = [0] * n
    root = tree.root

    def rec(k: int) -> bool:
        nonlocal best_value, best_choice
        bound = tree.value(root, optimistic)
        if bound <= best_value + EPS or (satisfy_only and bound < 1 - EPS):
            return False
        if k == n:
            best_value = tree.value(root, amounts)
            best_choice = list(choice)
            return best_value >= 1 - EPS
        it, opts = items[k]
        for o in opts:
            optimistic[o.leaf] -= _gain(o, it)
        lo = choice[k - 1] if k > 0 and sig[k - 1] == sig[k] else 0
        tried_full = False
        for idx in range(lo, len(opts)):
            o = opts[idx]
            full = amounts[o.leaf] >= _cap(o) - EPS
            if full:
                if tried_full:
                    continue
                tried_full = True
            g = _gain(o, it)
            amounts[o.leaf] += g
            optimistic[o.leaf] += g
            choice[k] = idx
            done = rec(k + 1)
            amounts[o.leaf] -= g
            optimistic[o.leaf] -= g
            if done:
                for o2 in opts:
                    optimistic[o2.leaf] += _gain(o2, it)
                return True
        for o in opts:
            optimistic[o.leaf] += _gain(o, it)
        return False

    rec(0)
    if best_value < 0:
        best_choice = [0] * n
    result = [0] * n
    for pos, i in enumerate(order):
        result[i] = best_choice[pos]
    return result


def exact_progress(tree_root: CNode, solution: Solution) -> Fraction:
    """The progress of a solved rule as an exact fraction (for reports)."""

    def value(node: CNode) -> Fraction:
        nid = id(node)
        if nid in solution.constants:
            return Fraction(solution.constants[nid]).limit_denominator(1)
        k = node.kind
        if k in ("course", "courses", "credits"):
            amt = sum(
                (Fraction(it.credits).limit_denominator(10**6) if k == "credits" else Fraction(1))
                for it in solution.assigned.get(node.leaf, ())
            )
            need = Fraction(node.need).limit_denominator(10**6) if k != "course" else Fraction(1)
            return min(amt, need) / need
        if k == "credential":
            return value(node.inline) if node.inline is not None else Fraction(0)
        vals = [value(c) for c in node.children]
        if k == "all":
            return sum(vals, Fraction(0)) / len(vals)
        if k == "any":
            return max(vals)
        n = int(node.need)
        return sum(sorted(vals, reverse=True)[:n], Fraction(0)) / n

    return value(tree_root)
