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
   OR-Tools CP-SAT (an exact integer solver) instead; either way the least best choice in the
   search order is the one returned, so ties do not depend on the engine.
5. Caps (``limits``) choose which capped items may count: each maximal set the caps allow is
   tried, or, past ``BUDGET_SUBSETS`` sets, one CP-SAT model holds the caps as linear
   constraints (``_solve_budgets``).

Settling (step 1) is :func:`microcred.rules.settling.settle`, which the planner shares; what
the solver works out once per credential (its flattened rule, its settled forms) is kept in the
credential's cache (:mod:`microcred.rules.caches`). See docs/engine.md for the complexity and
the proof obligations the tests check.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from microcred.model.dates import add_months
from microcred.rules.compiled import CNode, CompiledCredential
from microcred.rules.kinds import KINDS
from microcred.rules.scenario import EPS, Item, Scenario
from microcred.rules.settling import Settled, leaves_below, leaves_by_key, settle

#: Above this product of option counts the instance goes straight to CP-SAT.
SEARCH_LIMIT = 10**7
#: Most search nodes branch and bound visits before handing the instance to CP-SAT.
NODE_BUDGET = 2000
#: Most answers of branch and bound kept per credential. The search is a function of the settled
#: form of the rule, the leaves' starting amounts and, in search order, each contested item's
#: options and credits, so learners whose records differ only in dates, grades or courses that
#: count in one place share answers (about a third of the degrees' searches in the generated
#: population). 0 keeps none.
SEARCHES_KEPT = 1024


class NodeValues:
    """id(node) -> progress, for every node of a flattened tree: a view over the array the
    evaluation filled, so building it costs nothing."""

    __slots__ = ("_index", "_values")

    def __init__(self, index: dict[int, int], values: list[float]):
        self._index = index
        self._values = values

    def get(self, nid: int, default: float = 0.0) -> float:
        i = self._index.get(nid)
        return default if i is None else self._values[i]


@dataclass
class Solution:
    progress: float
    #: leaf index -> the items that count there
    assigned: dict[int, list[Item]]
    #: id(node) -> progress, for every node of the tree
    node_progress: NodeValues = field(default_factory=lambda: NodeValues({}, []))
    #: id(node) -> the node's constant value, for gpa/held/waived nodes
    constants: dict[int, float] = field(default_factory=dict)
    #: id(node) of window nodes -> start date chosen
    windows: dict[int, object] = field(default_factory=dict)
    #: items that were eligible somewhere but fell outside a chosen window
    outside_window: set[str] = field(default_factory=set)

    @property
    def satisfied(self) -> bool:
        return self.progress >= 1 - EPS


class _Tree:
    """A compiled rule in one scenario: its constant nodes and its active nodes, and the rule
    flattened."""

    def __init__(self, root: CNode, settled: Settled, flat: _Flat, searches: dict[tuple[object, ...], list[int]]):
        self.root = root
        #: the credential's answers of branch and bound (``CredentialCache.searches``)
        self.searches = searches
        self.settled = settled
        self.constants = settled.constants
        self.active = settled.active
        self.flat = flat

    def solution(self, amounts: Sequence[float], assigned: dict[int, list[Item]]) -> Solution:
        """The solution that assigns ``assigned`` (whose leaves hold ``amounts``), with the
        progress of every node."""
        flat = self.flat
        values = flat.evaluate(amounts, self.constants)
        return Solution(values[0], assigned, NodeValues(flat.index, values), self.constants)


_ALL, _ANY, _ATLEAST, _PASS, _LEAF, _CONST0 = range(6)
#: one node of an evaluation program: its index, code, children, need and leaf index
_Step = tuple[int, int, list[int], float, int]
#: a kind's role (``RuleKind.role``) -> the code the flattened tree uses for it
_CODES = {"all": _ALL, "any": _ANY, "at_least": _ATLEAST, "pass": _PASS, "leaf": _LEAF, "constant": _CONST0}


class _Flat:
    """A compiled rule flattened into arrays (pre-order, so a parent precedes its children),
    for incremental re-evaluation: when a leaf's amount changes, only its ancestors within
    its block are recomputed (``update_in_block``)."""

    def __init__(self, root: CNode):
        nodes: list[CNode] = []
        parent: list[int] = []
        kids: list[list[int]] = []
        stack: list[tuple[CNode, int]] = [(root, -1)]
        while stack:
            node, par = stack.pop()
            i = len(nodes)
            nodes.append(node)
            parent.append(par)
            kids.append([])
            if par >= 0:
                kids[par].append(i)
            below = [node.inline] if node.inline is not None else node.children
            for c in reversed(below):
                stack.append((c, i))
        self.nodes = nodes
        self.parent = parent
        self.kids = kids
        self.index = {id(n): i for i, n in enumerate(nodes)}
        self.leaf_at = {n.leaf: i for i, n in enumerate(nodes) if n.leaf >= 0}
        self.kind: list[int] = []
        self.need: list[float] = []
        #: per node, the block it lies in: the root's progress is a positive linear
        #: combination of the blocks' progress (blocks hang below a chain of `all` and inline
        #: credential nodes from the root), so choices inside different blocks do not interact
        self.block: list[int] = []
        for n in nodes:
            code = _CODES[KINDS[n.kind].role(n)]
            self.kind.append(code)
            self.need.append(float(n.need))
        #: per node on the linear chain (so per block), its weight in the root's progress:
        #: the root moves by the weight times the block's change
        self.weight: list[float] = []
        for i, code in enumerate(self.kind):  # pre-order: a parent's block is known first
            p = parent[i]
            linear_above = p < 0 or self.block[p] < 0
            if linear_above:
                self.block.append(-1 if code in (_ALL, _PASS) else i)
                self.weight.append(1.0 if p < 0 else self.weight[p] / (len(kids[p]) if self.kind[p] == _ALL else 1))
            else:
                self.block.append(self.block[p])
                self.weight.append(0.0)

        #: id(constants) -> (constants, starting values, program): see ``_program``
        self.programs: dict[int, tuple[dict[int, float], list[float], list[_Step]]] = {}

    @staticmethod
    def of(cc: CompiledCredential, root: CNode) -> _Flat:
        """The flattened form of ``cc``'s rule ``root``, built once and kept in its cache."""
        cache = cc.cache
        flat = cache.flat
        if flat is None:
            flat = cache.flat = _Flat(root)
        return flat

    def combine(self, i: int, values: list[float]) -> float:
        code = self.kind[i]
        ks = self.kids[i]
        if code == _ALL:
            return sum(values[j] for j in ks) / len(ks)
        if code == _ANY:
            return max(values[j] for j in ks)
        if code == _ATLEAST:
            n = int(self.need[i])
            vals = sorted((values[j] for j in ks), reverse=True)
            return sum(vals[:n]) / n
        if code == _PASS:
            return values[ks[0]]
        return 0.0

    def evaluate(self, amounts: Sequence[float], constants: dict[int, float]) -> list[float]:
        """The progress of every node when the leaves hold ``amounts`` and the constant nodes
        have the values ``constants`` gives them."""
        base, program = self._program(constants)
        values = list(base)
        for i, code, ks, need, leaf in program:
            if code == _LEAF:
                a = amounts[leaf]
                values[i] = 1.0 if a >= need - EPS else a / need
            elif code == _ALL:
                total = 0.0
                for j in ks:
                    total += values[j]
                values[i] = total / len(ks)
            elif code == _ANY:
                values[i] = max([values[j] for j in ks])
            elif code == _PASS:
                values[i] = values[ks[0]]
            else:
                n = int(need)
                vals = sorted([values[j] for j in ks], reverse=True)
                values[i] = sum(vals[:n]) / n
        return values

    def _program(self, constants: dict[int, float]) -> tuple[list[float], list[_Step]]:
        """The starting values (constants in place) and the nodes to compute, children before
        parents, for one set of constants. Kept per constants object: the solver shares them
        between solves (see ``_settled``), so this is built once per combination."""
        cache = self.programs
        hit = cache.get(id(constants))
        if hit is not None and hit[0] is constants:
            return hit[1], hit[2]
        n = len(self.nodes)
        base = [0.0] * n
        fixed = [False] * n
        for nid, v in constants.items():
            j = self.index.get(nid)
            if j is not None:
                base[j] = v
                fixed[j] = True
        program = [
            (i, self.kind[i], self.kids[i], self.need[i], self.nodes[i].leaf)
            for i in range(n - 1, -1, -1)
            if not fixed[i] and self.kind[i] != _CONST0
        ]
        if len(cache) >= 1024:
            cache.clear()
        cache[id(constants)] = (constants, base, program)  # the reference keeps the id unique
        return base, program

    def update_in_block(self, leaf: int, amount: float, values: list[float]) -> float:
        """Set leaf ``leaf`` to ``amount``, bring the nodes of its block up to date, and return
        how much the root moves (the block's change times its weight). Above a block the
        rule is linear, so the nodes there are not kept up to date: a search that only needs
        the root's value keeps it as a sum of these moves."""
        i = self.leaf_at[leaf]
        b = self.block[i]
        need = self.need[i]
        v = 1.0 if amount >= need - EPS else amount / need
        old = values[i]
        if v == old:
            return 0.0
        values[i] = v
        if i == b:
            return (v - old) * self.weight[b]
        kind, kids, parent = self.kind, self.kids, self.parent
        p = parent[i]
        while True:
            code = kind[p]
            before = values[p]
            if code == _ALL:
                nv = before + (v - old) / len(kids[p])
            elif code == _PASS:
                nv = v
            elif code == _ANY:
                if v >= before:
                    nv = v
                elif old < before:
                    return 0.0
                else:
                    nv = max([values[j] for j in kids[p]])
            else:
                nv = self.combine(p, values)
            if nv == before:
                return 0.0
            values[p] = nv
            if p == b:
                return (nv - before) * self.weight[b]
            old, v = before, nv
            p = parent[p]


def _gain(leaf: CNode, item: Item) -> float:
    return item.credits if leaf.by_credits else 1.0


def _cap(leaf: CNode) -> float:
    return leaf.need


@dataclass(frozen=True)
class Budget:
    """A cap on what may count toward a credential: of the items whose keys are in ``keys``,
    at most ``limit`` courses (or credits, with ``by_credits``) may count."""

    keys: frozenset[str]
    by_credits: bool
    limit: float


#: Most maximal sets of capped items tried one by one for a credential; beyond it (or with
#: ``FORCE_CPSAT``) one CP-SAT model holds the caps as linear constraints.
BUDGET_SUBSETS = 2000

#: Tests only: send every contested choice, and every capped credential, to CP-SAT instead of
#: branch and bound and the enumeration of capped sets, so that the property tests hold
#: CP-SAT to the same reference (``cpsat.calls`` counts its runs).
FORCE_CPSAT = False


def _within(chosen: Sequence[Item], budgets: Sequence[Budget]) -> bool:
    for b in budgets:
        used = sum((it.credits if b.by_credits else 1.0) for it in chosen if it.key in b.keys)
        if used > b.limit + EPS:
            return False
    return True


def _maximal_subsets(items: list[Item], budgets: Sequence[Budget], limit: int | None) -> list[list[Item]] | None:
    """Every subset of ``items`` within the budgets to which no further item can be added, in
    lexicographic order of membership (the first item in before out, then the second...).
    None when there are more than ``limit``."""
    n = len(items)
    # per item, what it uses of each budget; the room left in each budget
    uses = [[(it.credits if b.by_credits else 1.0) if it.key in b.keys else 0.0 for b in budgets] for it in items]
    room = [b.limit + EPS for b in budgets]
    nb = len(budgets)
    found: list[list[Item]] = []
    chosen: list[bool] = [False] * n

    def fits(k: int) -> bool:
        u = uses[k]
        return all(u[j] <= room[j] for j in range(nb))

    def grow(k: int) -> bool:
        if k == n:
            if any(not chosen[i] and fits(i) for i in range(n)):
                return True  # not maximal
            if limit is not None and len(found) >= limit:
                return False
            found.append([items[i] for i in range(n) if chosen[i]])
            return True
        if fits(k):
            u = uses[k]
            for j in range(nb):
                room[j] -= u[j]
            chosen[k] = True
            ok = grow(k + 1)
            chosen[k] = False
            for j in range(nb):
                room[j] += u[j]
            if not ok:
                return False
        return grow(k + 1)

    if not grow(0):
        return None
    return found


def _eligible(cc: CompiledCredential, sc: Scenario, leaves: list[CNode]) -> dict[int, list[Item]]:
    """Active leaf -> the items that may count there (by date, then key)."""
    by_key = leaves_by_key(cc)
    pool = sc.items
    keys = [k for k in pool if k in by_key] if len(pool) <= len(by_key) else [k for k in by_key if k in pool]
    eligible: dict[int, list[Item]] = {leaf.leaf: [] for leaf in leaves}
    for it in sorted([pool[k] for k in keys], key=_date_key):
        for leaf in by_key[it.key]:
            found = eligible.get(leaf.leaf)  # (only active leaves are there)
            if found is not None and it.meets(leaf.min_points):
                found.append(it)
    return eligible


def _solve_budgets(
    cc: CompiledCredential,
    sc: Scenario,
    waived: frozenset[int],
    budgets: Sequence[Budget],
    satisfy_only: bool,
    cpsat: Callable[..., tuple[float, dict[Item, int]] | None] | None,
) -> Solution | None:
    """Exact under caps; None when no cap binds.

    Progress never falls when more items may count, so only the maximal sets of capped items
    the caps allow matter. Of those that reach the best progress, the first in lexicographic
    order of membership (capped items by key, then date) is the one used, whichever way it is
    found: by trying the sets one by one (best bound first), or, when there are more than
    ``BUDGET_SUBSETS``, by one CP-SAT model with the caps as linear constraints. If CP-SAT
    cannot answer, every set is tried: the search never stops early.
    """
    by_key = leaves_by_key(cc)
    capped = sorted(
        (it for it in sc.items.values() if it.key in by_key and any(it.key in b.keys for b in budgets)),
        key=lambda i: (i.key, i.date),
    )
    if _within(capped, budgets):
        return None
    capped_keys = {it.key for it in capped}
    free = {k: it for k, it in sc.items.items() if k not in capped_keys}

    def trial(subset: Iterable[Item]) -> Scenario:
        return dataclasses.replace(sc, items={**free, **{it.key: it for it in subset}})

    subsets = None if FORCE_CPSAT and cpsat is not None else _maximal_subsets(capped, budgets, BUDGET_SUBSETS)
    if subsets is None and cpsat is not None:
        from microcred.rules.cpsat import solve_caps_cpsat

        root = cc.root
        assert root is not None
        settled = _settled(cc, root, sc, waived)
        constants, leaves = settled.constants, settled.leaves
        tree = _Tree(root, settled, _Flat.of(cc, root), cc.cache.searches)
        got = solve_caps_cpsat(
            tree,
            leaves,
            _eligible(cc, sc, leaves),
            [(_leaves_below(w, settled), w.window_months or 0) for w in settled.windows],
            [(b.keys, b.by_credits, b.limit) for b in budgets],
            capped,
            satisfy_only,
        )
        if got is not None:
            reachable, subset = got
            if not reachable:
                return Solution(0.0, {}, constants=constants)
            return solve(cc, trial(subset), waived, satisfy_only=satisfy_only, cpsat=cpsat)
    if subsets is None:
        subsets = _maximal_subsets(capped, budgets, None)
        assert subsets is not None
    options = []
    for n, subset in enumerate(subsets):
        t = trial(subset)
        bound = solve(cc, t, waived, bound_only=True).progress
        options.append((-bound, n, t))
    options.sort(key=lambda o: (o[0], o[1]))
    best: Solution | None = None
    best_n = -1
    for neg_bound, n, t in options:
        if best is not None:
            if -neg_bound < best.progress - EPS:
                break  # no set left can reach the best progress
            if -neg_bound <= best.progress + EPS and n > best_n:
                continue  # it could at most tie, and a tie goes to the earlier set
        sol = solve(cc, t, waived, satisfy_only=satisfy_only, cpsat=cpsat)
        if best is None or sol.progress > best.progress + EPS or (sol.progress >= best.progress - EPS and n < best_n):
            best, best_n = sol, n
    return best


def solve(
    cc: CompiledCredential,
    sc: Scenario,
    waived: frozenset[int] = frozenset(),
    *,
    satisfy_only: bool = False,
    bound_only: bool = False,
    cpsat: Callable[..., tuple[float, dict[Item, int]] | None] | None = None,
    budgets: Sequence[Budget] = (),
) -> Solution:
    """The best assignment for credential ``cc`` in scenario ``sc``.

    ``waived`` holds ``id()`` of nodes an advisor waived. With ``satisfy_only`` the search only
    asks whether progress 1 can be reached (faster): only ``satisfied`` of the answer is
    meaningful, and an unsatisfied one assigns nothing in particular. With ``bound_only``
    nothing is assigned: the progress returned is an upper bound (every attempt counted
    everywhere it could count), cheap to compute, and below 1 only when the rule cannot hold.
    ``satisfy_only`` looks at that bound first.
    """
    root = cc.root
    if root is None:
        return Solution(0.0, {})
    settled = _settled(cc, root, sc, waived)
    constants, windows, leaves = settled.constants, settled.windows, settled.leaves
    flat = _Flat.of(cc, root)
    tree = _Tree(root, settled, flat, cc.cache.searches)
    eligible = _eligible(cc, sc, leaves)

    if bound_only or satisfy_only:
        # (windows and caps only take attempts away, so the bound holds with them too)
        optimistic = [0.0] * len(cc.leaves)
        for leaf in leaves:
            optimistic[leaf.leaf] = sum(_gain(leaf, it) for it in eligible[leaf.leaf])
        values = flat.evaluate(optimistic, constants)
        if bound_only or values[0] < 1 - EPS:
            return Solution(values[0], {}, constants=constants)
    if budgets:
        capped = _solve_budgets(cc, sc, waived, budgets, satisfy_only, cpsat)
        if capped is not None:
            return capped
    if not windows:
        return _solve_plain(tree, leaves, eligible, len(cc.leaves), satisfy_only, cpsat)
    return _solve_windows(tree, root, leaves, eligible, windows, len(cc.leaves), satisfy_only, cpsat)


def _date_key(it: Item) -> tuple[object, str]:
    return (it.date, it.key)


#: Most settled forms kept per credential (one per combination of GPA floors met and
#: credentials held, so few in practice).
SETTLED_CACHE = 256


def _settled(cc: CompiledCredential, root: CNode, sc: Scenario, waived: frozenset[int]) -> Settled:
    """``cc``'s rule ``root`` settled in scenario ``sc`` (:func:`settle`). That depends only on
    which GPA floors the scenario meets, which credentials it holds and what is waived, so it
    is worked out once per combination and kept in the credential's cache. The returned
    object is shared: callers never change it."""
    cache = cc.cache
    specials = cache.specials
    if specials is None:
        specials = cache.specials = [(n, KINDS[n.kind].constant) for n in root.walk() if KINDS[n.kind].settles]
    key = (waived, tuple([constant(n, sc) for n, constant in specials]))
    settled = cache.settled
    hit: Settled | None = settled.get(key)
    if hit is None:
        hit = settle(root, sc, waived)
        if len(settled) >= SETTLED_CACHE:
            settled.clear()
        settled[key] = hit
    return hit


def _leaves_below(node: CNode, settled: Settled) -> set[int]:
    """The leaf indices of the active leaves below ``node`` (kept with the settled form)."""
    hit = settled.below.get(id(node))
    if hit is None:
        hit = settled.below[id(node)] = {n.leaf for n in leaves_below(node, settled.active)}
    return hit


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
    below = [_leaves_below(w, tree.settled) for w in windows]
    starts: list[list[object]] = []
    for w, under in zip(windows, below, strict=True):
        dates = sorted({it.date for leaf in under for it in eligible.get(leaf, ())})
        # a start whose window holds a subset of another start's dates can be skipped:
        # progress never falls when more attempts are allowed
        spans = [(d, {e for e in dates if d <= e <= add_months(d, w.window_months or 0)}) for d in dates]
        maximal = [d for d, got in spans if not any(got < other for _d2, other in spans)]
        starts.append(list(maximal) or [None])
    best: Solution | None = None
    all_items = {it.key for its in eligible.values() for it in its}
    flat = tree.flat
    # each combination of window starts, with its optimistic bound; the most promising first,
    # and none whose bound cannot beat the best found
    candidates: list[tuple[float, int, tuple[object, ...], dict[int, list[Item]]]] = []
    single = all(len(s) == 1 for s in starts)  # one combination: no bound needed
    for n, combo in enumerate(itertools.product(*starts)):
        filtered: dict[int, list[Item]] = {}
        optimistic = [0.0] * nleaves
        for leaf in leaves:
            keep = eligible[leaf.leaf]
            for w, under, start in zip(windows, below, combo, strict=True):
                if start is None or leaf.leaf not in under:
                    continue
                end = add_months(start, w.window_months or 0)  # type: ignore[arg-type]
                keep = [it for it in keep if start <= it.date <= end]  # type: ignore[operator]
            filtered[leaf.leaf] = keep
            if not single:
                optimistic[leaf.leaf] = sum(_gain(leaf, it) for it in keep)
        bound = 1.0 if single else flat.evaluate(optimistic, tree.constants)[0]
        candidates.append((-bound, n, combo, filtered))
    candidates.sort(key=lambda c: (c[0], c[1]))
    for neg_bound, _n, combo, filtered in candidates:
        if best is not None and -neg_bound <= best.progress + EPS:
            break
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
    assigned: dict[int, list[Item]] = {}
    # an item's exclusive options, keyed by the item's key (one item a key in a scenario)
    options: dict[str, tuple[Item, list[CNode]]] = {}
    for leaf in leaves:
        its = eligible.get(leaf.leaf, ())
        if leaf.shared:
            assigned[leaf.leaf] = list(its)
            if its:
                amounts[leaf.leaf] = sum(it.credits for it in its) if leaf.by_credits else float(len(its))
            continue
        assigned[leaf.leaf] = []
        for it in its:
            entry = options.get(it.key)
            if entry is None:
                options[it.key] = (it, [leaf])
            else:
                entry[1].append(leaf)
    contested: list[tuple[Item, list[CNode]]] = []
    for it, opts in options.values():
        if len(opts) == 1:
            assigned[opts[0].leaf].append(it)
            amounts[opts[0].leaf] += _gain(opts[0], it)
        else:
            contested.append((it, opts))
    if not contested:
        return tree.solution(amounts, assigned)

    # drop options into leaves that the uncontested items already fill; try the scarcest
    # leaves first (a leaf few items can fill should get them before a broad elective)
    supply: dict[int, float] = {}
    for _it, opts in contested:
        for leaf in opts:
            if leaf.leaf not in supply:
                supply[leaf.leaf] = sum(_gain(leaf, it) for it in eligible.get(leaf.leaf, ())) / _cap(leaf)
    trimmed: list[tuple[Item, list[CNode]]] = []
    single: list[tuple[Item, CNode]] = []
    for it, opts in contested:
        useful = [o for o in opts if amounts[o.leaf] < _cap(o) - EPS] or opts[:1]
        if len(useful) == 1:  # nothing left to choose
            single.append((it, useful[0]))
            continue
        useful.sort(key=lambda o: (supply[o.leaf], o.leaf))
        trimmed.append((it, useful))
    for it, leaf in single:
        assigned[leaf.leaf].append(it)
        amounts[leaf.leaf] += _gain(leaf, it)
    if not trimmed:
        return tree.solution(amounts, assigned)

    # Items whose choices reach disjoint parts of the rule that add up linearly are chosen
    # independently: the rule's progress is a sum over those parts, so the best choice is the
    # best choice of each group. Each group is searched with the other groups' items counted
    # everywhere they could go (a constant there), which keeps the bound an upper bound.
    groups = _independent_groups(tree, trimmed)
    optimistic = list(amounts)
    for it, opts in trimmed:
        for o in opts:
            optimistic[o.leaf] += _gain(o, it)
    for group in groups:
        base = list(optimistic) if len(groups) > 1 else list(amounts)
        if len(groups) > 1:
            for it, opts in group:
                for o in opts:
                    base[o.leaf] -= _gain(o, it)
        choice = _choose(tree, leaves, base, group, satisfy_only, cpsat)
        for (it, opts), idx in zip(group, choice, strict=True):
            assigned[opts[idx].leaf].append(it)
            amounts[opts[idx].leaf] += _gain(opts[idx], it)
    return tree.solution(amounts, assigned)


def _independent_groups(tree: _Tree, contested: list[tuple[Item, list[CNode]]]) -> list[list[tuple[Item, list[CNode]]]]:
    """The contested items split into groups whose options lie in disjoint blocks (see
    ``_Flat.block``), in the order of their first item."""
    flat = tree.flat
    if len(contested) == 1:
        return [contested]
    owner: dict[int, int] = {}  # block -> group representative
    parent = list(range(len(contested)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, (_it, opts) in enumerate(contested):
        for o in opts:
            blk = flat.block[flat.leaf_at[o.leaf]]
            j = owner.get(blk)
            if j is None:
                owner[blk] = i
            else:
                ri, rj = find(i), find(j)
                if ri != rj:
                    parent[max(ri, rj)] = min(ri, rj)
    out: dict[int, list[tuple[Item, list[CNode]]]] = {}
    for i, entry in enumerate(contested):
        out.setdefault(find(i), []).append(entry)
    return list(out.values())


def _choose(
    tree: _Tree,
    leaves: list[CNode],
    base: list[float],
    contested: list[tuple[Item, list[CNode]]],
    satisfy_only: bool,
    cpsat: Callable[..., tuple[float, dict[Item, int]] | None] | None,
) -> list[int]:
    """The option chosen for each contested item (by branch and bound, or CP-SAT when the
    search is large)."""
    space = 1
    for _it, opts in contested:
        space *= len(opts)
    choice: list[int] | None = None
    if (space <= SEARCH_LIMIT and not FORCE_CPSAT) or cpsat is None:
        choice = _branch_and_bound(tree, base, contested, satisfy_only, NODE_BUDGET if cpsat else None)
    if choice is None and cpsat is not None:
        # in the search order, so that CP-SAT breaks ties as branch and bound does
        ordered = [contested[i] for i in _search_order(contested)]
        result = cpsat(tree, leaves, base, ordered, satisfy_only)
        if result is not None:
            _progress, picked = result
            out = []
            for it, opts in contested:
                idx = picked.get(it, 0)
                out.append(idx if 0 <= idx < len(opts) else 0)
            return out
    if choice is None:
        choice = _branch_and_bound(tree, base, contested, satisfy_only, None)
        assert choice is not None
    return choice


class _OverBudget(Exception):
    pass


def _search_order(contested: list[tuple[Item, list[CNode]]]) -> list[int]:
    """The order in which the contested items are decided: interchangeable items next to each
    other (so that a canonical order breaks symmetry), the least flexible first."""
    return sorted(
        range(len(contested)),
        key=lambda i: (
            len(contested[i][1]),
            tuple(o.leaf for o in contested[i][1]),
            contested[i][0].credits,
            contested[i][0].date,
            contested[i][0].key,
        ),
    )


def _branch_and_bound(
    tree: _Tree,
    base: list[float],
    contested: list[tuple[Item, list[CNode]]],
    satisfy_only: bool,
    budget: int | None,
) -> list[int] | None:
    """The best choice of option for each contested item; None when ``budget`` nodes did not
    suffice to finish the search.

    The bound is the progress with every undecided item counted in every leaf it could go
    to; it is kept up to date incrementally (only the ancestors of a changed leaf are
    recomputed), so a search node costs the depth of the tree, not its size.
    """
    flat = tree.flat
    order = _search_order(contested)
    items = [contested[i] for i in order]
    sig = [(tuple(o.leaf for o in opts), it.credits) for it, opts in items]
    n = len(items)
    searches = tree.searches
    # (the settled form itself, not its id: an id can be reused once the form is dropped)
    key = (tree.settled, satisfy_only, budget is None, tuple(base), tuple(sig))
    known = searches.get(key) if SEARCHES_KEPT else None
    if known is not None:
        return _in_given_order(order, known)
    # per item, per option: the leaf, what the item adds there, and the leaf's capacity
    opt_leaf = [[o.leaf for o in opts] for _it, opts in items]
    opt_gain = [[_gain(o, it) for o in opts] for it, opts in items]
    opt_cap = [[_cap(o) for o in opts] for _it, opts in items]
    same_as_previous = [k > 0 and sig[k - 1] == sig[k] for k in range(n)]
    amounts = list(base)
    optimistic = list(base)
    for leaves_k, gains_k in zip(opt_leaf, opt_gain, strict=True):
        for leaf, g in zip(leaves_k, gains_k, strict=True):
            optimistic[leaf] += g
    values = flat.evaluate(optimistic, tree.constants)
    update = flat.update_in_block
    root = [values[0]]  # the bound: the root's value, kept as a sum of moves
    best_value = -1.0
    best_choice: list[int] = [0] * n
    choice = [0] * n
    visited = 0
    #: ``rec`` calls itself through this list, which is emptied after the search: a function
    #: that named itself would stay in a reference cycle, with every list of the search, until
    #: the cyclic collector came by
    descend: list[Callable[[int], bool]] = []

    def rec(k: int) -> bool:
        nonlocal best_value, best_choice, visited
        visited += 1
        if budget is not None and visited > budget:
            raise _OverBudget
        bound = root[0]
        if bound <= best_value + EPS or (satisfy_only and bound < 1 - EPS):
            return False
        if k == n:
            best_value = bound
            best_choice = list(choice)
            return best_value >= 1 - EPS
        leaves_k, gains_k, caps_k = opt_leaf[k], opt_gain[k], opt_cap[k]
        for leaf, g in zip(leaves_k, gains_k, strict=True):
            optimistic[leaf] -= g
            root[0] += update(leaf, optimistic[leaf], values)
        lo = choice[k - 1] if same_as_previous[k] else 0
        tried_full = False
        done = False
        for idx in range(lo, len(leaves_k)):
            leaf = leaves_k[idx]
            if amounts[leaf] >= caps_k[idx] - EPS:
                if tried_full:
                    continue
                tried_full = True
            g = gains_k[idx]
            amounts[leaf] += g
            optimistic[leaf] += g
            root[0] += update(leaf, optimistic[leaf], values)
            choice[k] = idx
            done = descend[0](k + 1)
            amounts[leaf] -= g
            optimistic[leaf] -= g
            root[0] += update(leaf, optimistic[leaf], values)
            if done:
                break
        for leaf, g in zip(leaves_k, gains_k, strict=True):
            optimistic[leaf] += g
            root[0] += update(leaf, optimistic[leaf], values)
        return done

    descend.append(rec)
    try:
        rec(0)
    except _OverBudget:
        return None
    finally:
        descend.clear()
    if SEARCHES_KEPT:
        if len(searches) >= SEARCHES_KEPT:
            searches.clear()
        searches[key] = best_choice
    return _in_given_order(order, best_choice)


def _in_given_order(order: list[int], chosen: list[int]) -> list[int]:
    """``chosen`` (in search order, see :func:`_search_order`) in the contested items' order."""
    result = [0] * len(order)
    for pos, i in enumerate(order):
        result[i] = chosen[pos]
    return result
