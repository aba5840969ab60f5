"""The hard residue of assignment problems, solved exactly by OR-Tools CP-SAT.

Branch and bound (``solver.py``) handles the common cases in microseconds; an instance whose
search space is large (many attempts each eligible for several exclusive leaves, e.g. an
``at_least: 6`` of twelve overlapping ``courses: 2`` pools) is handed here. Each node's
progress becomes an integer variable on an exact common scale (least common multiples of
the denominators), so the optimum is exact, not approximated; the solver runs single-threaded
with a fixed seed, so the same input always gives the same answer.
"""

from __future__ import annotations

import math
from typing import Any

from microcred.rules.compiled import CNode
from microcred.rules.scenario import Item

CREDIT_SCALE = 100  # credits are read to hundredths
MAX_SCALE = 2**40
TIME_LIMIT_S = 60.0


def _credits(x: float) -> int:
    return round(x * CREDIT_SCALE)


def solve_cpsat(
    tree: Any,
    leaves: list[CNode],
    base: list[float],
    contested: list[tuple[Item, list[CNode]]],
    satisfy_only: bool,
) -> tuple[float, dict[Item, int]] | None:
    """Choose a leaf for each contested item, maximising the rule's progress.

    Returns (progress, item -> index into its options), or None when the instance cannot be
    put on an exact integer scale or the solver cannot prove optimality in time (the caller
    then searches exhaustively).
    """
    try:
        from ortools.sat.python import cp_model
    except ImportError:  # pragma: no cover - ortools is a dependency
        return None

    model = cp_model.CpModel()
    x: dict[tuple[int, int], Any] = {}
    by_leaf: dict[int, list[tuple[Any, Item]]] = {}
    for i, (it, opts) in enumerate(contested):
        vs = []
        for j, leaf in enumerate(opts):
            v = model.new_bool_var(f"x{i}_{j}")
            x[(i, j)] = v
            vs.append(v)
            by_leaf.setdefault(leaf.leaf, []).append((v, it))
        model.add_at_most_one(vs)

    def encode(node: CNode) -> tuple[Any, int] | None:
        """(integer variable or constant, scale) with value/scale = the node's progress."""
        nid = id(node)
        if nid in tree.constants:
            return (int(tree.constants[nid] >= 1 - 1e-9), 1)
        k = node.kind
        if k == "credential":
            return encode(node.inline) if node.inline is not None else (0, 1)
        if k in ("course", "courses", "credits"):
            if k == "credits":
                cap = _credits(node.need)
                amount = _credits(base[node.leaf]) + sum(
                    _credits(it.credits) * v for v, it in by_leaf.get(node.leaf, ())
                )
            else:
                cap = 1 if k == "course" else int(node.need)
                amount = round(base[node.leaf]) + sum(v for v, _it in by_leaf.get(node.leaf, ()))
            if cap <= 0:
                return (1, 1)
            var = model.new_int_var(0, cap, f"leaf{node.leaf}")
            model.add(var <= amount)
            return (var, cap)
        parts = [encode(c) for c in node.children]
        if any(p is None for p in parts):
            return None
        scales = [s for _v, s in parts]  # type: ignore[misc]
        lcm = math.lcm(*scales)
        if lcm > MAX_SCALE:
            return None
        scaled = []
        for v, s in parts:  # type: ignore[misc]
            scaled.append(v * (lcm // s))
        n = len(scaled)
        if k == "all":
            scale = lcm * n
            if scale > MAX_SCALE:
                return None
            var = model.new_int_var(0, scale, f"all{nid}")
            model.add(var <= sum(scaled))
            return (var, scale)
        if k == "any":
            var = model.new_int_var(0, lcm, f"any{nid}")
            ys = [model.new_bool_var("") for _ in scaled]
            model.add_exactly_one(ys)
            for w, y in zip(scaled, ys, strict=True):
                model.add(var <= w + lcm * (1 - y))
            return (var, lcm)
        need = int(node.need)
        scale = lcm * need
        if scale > MAX_SCALE:
            return None
        var = model.new_int_var(0, scale, f"atleast{nid}")
        if need > n:
            model.add(var <= sum(scaled))
            return (var, scale)
        ys = [model.new_bool_var("") for _ in scaled]
        model.add(sum(ys) == need)
        zs = []
        for w, y in zip(scaled, ys, strict=True):
            z = model.new_int_var(0, lcm, "")
            model.add(z <= w)
            model.add(z <= lcm * y)
            zs.append(z)
        model.add(var <= sum(zs))
        return (var, scale)

    enc = encode(tree.root)
    if enc is None:
        return None
    root_var, root_scale = enc
    if satisfy_only:
        model.add(root_var == root_scale)
    else:
        model.maximize(root_var)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    solver.parameters.max_time_in_seconds = TIME_LIMIT_S
    status = solver.solve(model)
    if status == cp_model.INFEASIBLE and satisfy_only:
        return (0.0, {})
    if status != cp_model.OPTIMAL:
        return None
    choice: dict[Item, int] = {}
    for i, (it, opts) in enumerate(contested):
        for j in range(len(opts)):
            if solver.value(x[(i, j)]):
                choice[it] = j
    value = solver.value(root_var) if not isinstance(root_var, int) else root_var
    return (value / root_scale, choice)
