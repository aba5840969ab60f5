"""The one CP-SAT encoding of a rule (:class:`RuleModel`, each node by its kind), and the hard
residue of assignment problems solved exactly on it by OR-Tools CP-SAT; the planner builds on
the same encoding.

Branch and bound (``solver.py``) handles the common cases in microseconds; an instance whose
search space is large (many attempts each eligible for several exclusive leaves, e.g. an
``at_least: 6`` of twelve overlapping ``courses: 2`` pools) is handed here, and so is a
credential whose caps (``limits``) allow too many sets of capped items to try one by one.
Each node's progress becomes an integer variable on an exact common scale (least common
multiples of the denominators), so the optimum is exact, not approximated; the solver runs
single-threaded with a fixed seed.

Ties are broken by the rule branch and bound follows, so the answer does not depend on which
engine found it: once the best progress is known, it is fixed, and the choices are made the
least in a stated order (``solve_cpsat``: the option index of each item, items in the search
order; ``solve_caps_cpsat``: the set of capped items that may count, the greatest in the
order of the items).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from microcred.model.dates import add_months
from microcred.rules.compiled import CNode
from microcred.rules.kinds import KINDS, Gate
from microcred.rules.scenario import Item

CREDIT_SCALE = 100  # credits are read to hundredths
MAX_SCALE = 2**40
#: The longest one CP-SAT solve may take, in the solver, the planner and gap closing (then the
#: solver searches exhaustively, and a plan or gap set in hand says it is not proven).
TIME_LIMIT_S = 60.0
#: The largest combined key of one lexicographic step (a product of option counts).
LEX_SPAN = 2**50

#: The key of an item that may count toward several leaves.
K = TypeVar("K", bound=Hashable)

#: How many times CP-SAT was run (read by the tests, to prove a path reaches it).
calls = 0


def _credits(x: float) -> int:
    return round(x * CREDIT_SCALE)


def new_solver(*, presolve: bool = True) -> Any:
    """A CP-SAT solver set up the way every model of microcred is solved: deterministic (one
    worker, a fixed seed), within :data:`TIME_LIMIT_S`, leaving Ctrl-C to the program, and with
    the full linear relaxation (the credit sums and GPA floors make the bound do the work: ten
    times faster than the default on a degree with a thousand candidate courses). Without
    ``presolve`` for small models, where it costs more than it saves."""
    from ortools.sat.python import cp_model

    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    # CP-SAT would otherwise take over Ctrl-C while it solves, and leave SIGINT at its default
    # afterwards: a later Ctrl-C would then kill the process without a word
    solver.parameters.catch_sigint_signal = False
    solver.parameters.max_time_in_seconds = TIME_LIMIT_S
    if not presolve:
        solver.parameters.cp_model_presolve = False
    solver.parameters.linearization_level = 2
    return solver


def _run(model: Any) -> tuple[Any, Any]:
    """Solve ``model`` deterministically: (solver, status)."""
    global calls
    calls += 1
    # these models are small: presolve costs more than it saves, and the stronger linear
    # relaxation proves the tie-breaking optimum sooner (the pathological benchmark's two
    # learners: 66 and 54 ms of CPU with the defaults, 22 and 27 ms with these)
    solver = new_solver(presolve=False)
    return solver, solver.solve(model)


class RuleModel:
    """One rule in one CP-SAT model: the one encoding of a rule, which the solver's searches
    (``solve_cpsat``, ``solve_caps_cpsat``) and the planner (``microcred.analysis.plan``)
    build on, each adding its own variables and objective.

    What counts toward a leaf is a list of 0/1 expressions, each with the item it stands for
    (``counted``), on top of what the leaf has already (``base``: leaf index -> credits or
    count): :meth:`assign` makes them for items that may
    count toward several leaves (each toward one exclusive leaf at most), :meth:`window` holds
    them within a completion window. Each node is then encoded by its kind, from the leaves
    up: :meth:`encode` its progress on an exact integer scale (``RuleKind.cpsat``; the
    solver maximises the root's), :meth:`holds` a literal that implies it is met
    (``RuleKind.holds``; the planner requires the root's). ``constants`` holds the nodes
    settled before the model (id -> value or truth); ``floor`` encodes a GPA floor the model
    can move (the planner's; the solver settles every GPA floor beforehand)."""

    def __init__(
        self,
        model: Any,
        constants: Mapping[int, float | bool],
        floor: Callable[[CNode], Any] | None = None,
    ):
        self.model = model
        self.constants = constants
        self.counted: dict[int, list[tuple[Any, Item]]] = {}
        self.base: dict[int, float] = {}
        self._floor = floor
        self._holds: dict[int, Any] = {}

    # -- what counts where ---------------------------------------------------------------

    def assign(
        self,
        leaves: Sequence[CNode],
        eligible: Callable[[CNode], Iterable[tuple[K, Item]]],
        present: Callable[[K], Any],
        free: Callable[[CNode], bool] | None = None,
    ) -> None:
        """Let the items ``eligible`` for each leaf (key, item) count toward it: a 0/1
        variable each, at most one exclusive leaf per key, and only when ``present(key)``
        (1, or a 0/1 expression). A ``free`` leaf competes with nobody: it takes what is
        present, with no variable."""
        m = self.model
        exclusive: dict[K, list[Any]] = {}
        for leaf in leaves:
            got = self.counted.setdefault(leaf.leaf, [])
            takes_all = free is not None and free(leaf)
            for key, it in eligible(leaf):
                if takes_all:
                    got.append((present(key), it))
                    continue
                v = m.new_bool_var(f"x[{key},{leaf.leaf}]")
                got.append((v, it))
                if not leaf.shared:
                    exclusive.setdefault(key, []).append(v)
                else:
                    here = present(key)
                    if not isinstance(here, int):
                        m.add(v <= here)
        for key, vs in exclusive.items():
            m.add(sum(vs) <= present(key))

    def window(self, leaves: Iterable[int], months: int) -> None:
        """A completion window over ``leaves`` (their indices): one start date, among the
        dates of what may count, and whatever counts below it within ``months`` of it."""
        counted = [(v, it.date) for leaf in leaves for v, it in self.counted.get(leaf, ())]
        if not counted:
            return
        m = self.model
        starts: dict[dt.date, Any] = {d: m.new_bool_var("") for d in sorted({d for _v, d in counted})}
        m.add_exactly_one(starts.values())
        for v, day in counted:
            fits = [y for start, y in starts.items() if start <= day <= add_months(start, months)]
            m.add(v <= sum(fits))

    def amount(self, node: CNode) -> tuple[Any, int]:
        """What a leaf receives (hundredths of credits for a leaf measured in credits, else a
        count) and the most it can receive."""
        got = self.counted.get(node.leaf, ())
        had = self.base.get(node.leaf, 0.0)
        if node.by_credits:
            base = _credits(had)
            weights = [_credits(it.credits) for _v, it in got]
        else:
            base = round(had)
            weights = [1] * len(got)
        terms = [w * v if w != 1 else v for w, (v, _it) in zip(weights, got, strict=True)]
        total: Any = sum(terms)
        if base:
            total = base + total
        return total, base + sum(weights)

    def need(self, node: CNode) -> int:
        """What a leaf needs, on the scale of :meth:`amount`."""
        return _credits(node.need) if node.by_credits else int(node.need)

    # -- progress (RuleKind.cpsat; see microcred.rules.kinds.base.CpsatEncoding) ---------

    def encode(self, node: CNode) -> tuple[Any, int] | None:
        """The node's progress as (integer variable or constant, scale): value/scale is the
        progress. None when the scale would be too large."""
        nid = id(node)
        if nid in self.constants:
            return (int(self.constants[nid] >= 1 - 1e-9), 1)
        return KINDS[node.kind].cpsat(self, node)

    def leaf(self, node: CNode) -> tuple[Any, int]:
        cap = self.need(node)
        if cap <= 0:
            return (1, 1)
        var = self.model.new_int_var(0, cap, f"leaf{node.leaf}")
        self.model.add(var <= self.amount(node)[0])
        return (var, cap)

    def children(self, node: CNode) -> tuple[list[Any], int] | None:
        parts = [self.encode(c) for c in node.children]
        if any(p is None for p in parts):
            return None
        scales = [s for _v, s in parts]  # type: ignore[misc]
        lcm = math.lcm(*scales)
        if lcm > MAX_SCALE:
            return None
        return [v * (lcm // s) for v, s in parts], lcm  # type: ignore[misc]

    def fits(self, scale: int) -> bool:
        return scale <= MAX_SCALE

    # -- being met (RuleKind.holds) ---------------------------------------------------------

    def holds(self, node: CNode) -> Any:
        """True, False, or a 0/1 variable that implies the node is met."""
        nid = id(node)
        if nid in self.constants:
            return bool(self.constants[nid] >= 1 - 1e-9)
        if nid in self._holds:
            return self._holds[nid]
        out = KINDS[node.kind].holds(self, node)
        self._holds[nid] = out
        return out

    def leaf_holds(self, node: CNode) -> Any:
        need = self.need(node)
        total, supply = self.amount(node)
        if need <= 0:
            return True
        if supply < need:
            return False
        out = self.model.new_bool_var(f"leaf[{node.leaf}]")
        self.model.add(total >= need).only_enforce_if(out)
        return out

    def gate_holds(self, node: CNode, gate: Gate) -> Any:
        m = self.model
        nid = id(node)
        kids = [self.holds(c) for c in node.children]
        met = sum(1 for c in kids if c is True)
        open_ = [c for c in kids if c is not True and c is not False]
        if gate.op == "and":
            if any(c is False for c in kids):
                return False
            if not open_:
                return True
            out = m.new_bool_var(f"all[{nid}]")
            for c in open_:
                m.add_implication(out, c)
            return out
        if gate.op == "or":
            if met:
                return True
            if not open_:
                return False
            out = m.new_bool_var(f"any[{nid}]")
            m.add_bool_or(open_).only_enforce_if(out)
            return out
        need = gate.need - met  # at least gate.need
        if need <= 0:
            return True
        if len(open_) < need:
            return False
        out = m.new_bool_var(f"at_least[{nid}]")
        m.add(sum(open_) >= need).only_enforce_if(out)
        return out

    def floor(self, node: CNode) -> Any:
        if self._floor is None:  # pragma: no cover - the solver settles every GPA floor first
            raise ValueError(f"a GPA floor ({node.describe()}) the model cannot encode")
        return self._floor(node)


def _optimum(model: Any, root: tuple[Any, int], satisfy_only: bool) -> int | None:
    """Fix the root at its best value (at 1, with ``satisfy_only``) and return that value on
    the root's scale; -1 when ``satisfy_only`` and the rule cannot hold; None when the
    solver could not prove optimality."""
    from ortools.sat.python import cp_model

    root_var, root_scale = root
    if isinstance(root_var, int):
        if satisfy_only and root_var < root_scale:
            return -1
        return root_var
    if satisfy_only:
        model.add(root_var == root_scale)
    else:
        model.maximize(root_var)
    solver, status = _run(model)
    if status == cp_model.INFEASIBLE and satisfy_only:
        return -1
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE) or (not satisfy_only and status != cp_model.OPTIMAL):
        return None
    value = int(solver.value(root_var))
    model.clear_objective()
    model.add(root_var >= value)
    return value


def _lexmin(model: Any, terms: Sequence[tuple[Any, int]]) -> list[int] | None:
    """The least values of ``terms`` (integer expressions, each in 0..radix-1) in
    lexicographic order: the first as small as the model allows, then the second, and so on.
    Consecutive terms are combined into one key (mixed radix) as long as it stays small, so
    a few solves settle many terms. None when the solver fails."""
    from ortools.sat.python import cp_model

    out: list[int] = []
    i = 0
    while i < len(terms):
        j, span = i, 1
        while j < len(terms) and (j == i or span * terms[j][1] <= LEX_SPAN):
            span *= terms[j][1]
            j += 1
        chunk = terms[i:j]
        if span == 1:
            out.extend(0 for _ in chunk)
            i = j
            continue
        key: Any = 0
        weight = 1
        for expr, radix in reversed(chunk):
            key = key + weight * expr
            weight *= radix
        model.minimize(key)
        solver, status = _run(model)
        if status != cp_model.OPTIMAL:
            return None
        model.clear_objective()
        for expr, _radix in chunk:
            v = int(solver.value(expr))
            model.add(expr == v)
            out.append(v)
        i = j
    return out


def solve_cpsat(
    tree: Any,
    leaves: list[CNode],
    base: list[float],
    contested: list[tuple[Item, list[CNode]]],
    satisfy_only: bool,
) -> tuple[float, dict[Item, int]] | None:
    """Choose a leaf for each contested item, maximising the rule's progress.

    Among the best choices it returns the least in lexicographic order: the first item's
    option index as small as possible, then the second's, and so on, items taken in the
    order given (the caller gives the search order of branch and bound, whose first best
    assignment is that same one). Returns (progress, item -> index into its options), or None
    when the instance cannot be put on an exact integer scale or the solver cannot prove
    optimality in time (the caller then searches exhaustively). With ``satisfy_only`` and a
    rule that cannot hold: (0.0, {}).
    """
    try:
        from ortools.sat.python import cp_model
    except ImportError:  # pragma: no cover - ortools is a dependency
        return None

    model = cp_model.CpModel()
    rule = RuleModel(model, tree.constants)
    index_of: list[Any] = []
    for i, (it, opts) in enumerate(contested):
        vs = []
        for j, leaf in enumerate(opts):
            v = model.new_bool_var(f"x{i}_{j}")
            vs.append(v)
            rule.counted.setdefault(leaf.leaf, []).append((v, it))
        # every contested item goes somewhere (progress never falls when a leaf gets more)
        model.add_exactly_one(vs)
        index_of.append(sum(j * v for j, v in enumerate(vs)))
    # interchangeable items (the same options, the same credits), next to each other in the
    # search order, take non-decreasing options: the least best choice does, and the
    # symmetric choices need not be searched
    for i in range(1, len(contested)):
        (a, a_opts), (b, b_opts) = contested[i - 1], contested[i]
        if a.credits == b.credits and [o.leaf for o in a_opts] == [o.leaf for o in b_opts]:
            model.add(index_of[i - 1] <= index_of[i])
    rule.base = dict(enumerate(base))

    root = rule.encode(tree.root)
    if root is None:
        return None
    value = _optimum(model, root, satisfy_only)
    if value is None:
        return None
    if value < 0:
        return (0.0, {})
    picked = _lexmin(model, [(e, len(opts)) for e, (_it, opts) in zip(index_of, contested, strict=True)])
    if picked is None:
        return None
    return (value / root[1], {it: j for (it, _opts), j in zip(contested, picked, strict=True)})


def solve_caps_cpsat(
    tree: Any,
    leaves: list[CNode],
    eligible: dict[int, list[Item]],
    windows: Sequence[tuple[set[int], int]],
    budgets: Sequence[tuple[frozenset[str], bool, float]],
    capped: list[Item],
    satisfy_only: bool,
) -> tuple[bool, list[Item]] | None:
    """The capped items allowed to count, under the caps, for the best progress.

    One model holds the whole assignment: each item counts toward at most one exclusive leaf
    and any shared leaves it fits, a capped item only if it is allowed, each cap (``budgets``:
    keys, by credits, limit) is a linear constraint on the allowed items, and each completion
    window (``windows``: the leaves below it, its span in months) chooses a start date whose
    span must hold every item counted below it. Of the sets of allowed items that reach the
    best progress it returns the greatest in lexicographic order of ``capped`` (the first
    item allowed if it can be, then the second, and so on), the set that trying every
    maximal set in that order finds first. Returns (reachable, items) — reachable is False
    only with ``satisfy_only`` when the rule cannot hold — or None when the solver fails.
    """
    try:
        from ortools.sat.python import cp_model
    except ImportError:  # pragma: no cover - ortools is a dependency
        return None

    model = cp_model.CpModel()
    allowed: dict[str, Any] = {it.key: model.new_bool_var(f"u{n}") for n, it in enumerate(capped)}
    rule = RuleModel(model, tree.constants)
    rule.assign(
        leaves,
        lambda leaf: [(it.key, it) for it in eligible.get(leaf.leaf, ())],
        lambda key: allowed.get(key, 1),
    )
    for keys, by_credits, limit in budgets:
        terms = [(_credits(it.credits) if by_credits else 1, allowed[it.key]) for it in capped if it.key in keys]
        if terms:
            cap = math.floor(limit * CREDIT_SCALE + 1e-6) if by_credits else math.floor(limit + 1e-9)
            model.add(sum(w * u for w, u in terms) <= cap)
    for under, months in windows:
        rule.window(under, months)

    root = rule.encode(tree.root)
    if root is None:
        return None
    value = _optimum(model, root, satisfy_only)
    if value is None:
        return None
    if value < 0:
        return (False, [])
    # the greatest allowed set: 1 - u as small as possible, in order
    picked = _lexmin(model, [(1 - allowed[it.key], 2) for it in capped])
    if picked is None:
        return None
    return (True, [it for it, p in zip(capped, picked, strict=True) if p == 0])
