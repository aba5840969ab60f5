"""The static checks' logic: whether a rule's skeleton can hold, and which of its branches are redundant.

Both read the skeleton of :mod:`microcred.rules.skeleton` (built by its ``Reader``) and decide
it with its one encoding into CNF: a rule can hold when the skeleton, with each occurrence of a
course a variable of its own and at most one occurrence of each course counting unless
``shared``, has a model (:func:`rule_can_hold`); a branch is redundant when the skeleton with
exclusivity ignored says its siblings already decide the gate (:func:`redundant_branches`).
Counting leaves, ``gpa`` and ``credential`` nodes are atoms there (their supply is checked by
counting elsewhere). A rule whose formula exceeds ``MAX_VARIABLES`` raises ``TooLarge``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from microcred.rules.nodes import RuleBase, RulePath
from microcred.rules.skeleton import Atom, Encoding, Join, Node, Occ, Reader, inputs, windowed


def encode_holds(sk: Node) -> Encoding:
    """The skeleton held true, with at most one occurrence of each course counting (each leaf
    a free variable of its own): satisfiable when the rule can hold. Raises ``TooLarge``."""
    enc = Encoding()
    root = enc.exists(sk, tied=False)
    enc.cnf.clauses.append({root})
    return enc


def rule_can_hold(rule: RuleBase, reader: Reader | None = None) -> bool:
    """Whether the skeleton of ``rule`` (read by ``reader``, which may read the credentials it
    names in their place) can hold. Raises ``TooLarge``."""
    return encode_holds((reader or Reader()).read(rule)).cnf.satisfiable()


# --- redundancy -------------------------------------------------------------------------


def redundant_branches(sk: Node, path: RulePath = ()) -> Iterator[tuple[RulePath, RuleBase, RulePath | None]]:
    """Branches that can be removed without changing what satisfies the rule whose skeleton is ``sk``.

    ``path`` is where the rule read into ``sk`` lies. Yields (path of the redundant child, the
    child, path of the sibling that covers it or None). An ``any`` branch is redundant when
    whatever satisfies it also satisfies another branch using only the same attempts; an
    ``all`` child that counts no attempt (a GPA floor, a shared leaf) is redundant when the
    other children already imply it. Identical leaves are one variable there (exclusivity
    ignored). Raises ``TooLarge``.
    """
    if not isinstance(sk, Join) or sk.rule is None:
        return
    paths = [path + sk.rule.child_path(i) for i in range(len(sk.children))]
    if len(sk.children) > 1 and sk.op in ("and", "or"):
        yield from _redundant_here(sk, sk.op == "or", paths)
    for child, at in zip(sk.children, paths, strict=True):
        yield from redundant_branches(child, at)


def _leaves(sk: Node) -> list[tuple[Occ | Atom, bool]]:
    """The leaves of ``sk``, each with whether it is shared counting from ``sk`` down (the
    redundancy check reads a branch's sharing from the branch itself)."""
    out: list[tuple[Occ | Atom, bool]] = []
    stack: list[tuple[Node, bool]] = [(sk, False)]
    while stack:
        n, shared = stack.pop()
        shared = shared or (n.rule is not None and n.rule.shared)
        if isinstance(n, Join):
            stack.extend((c, shared) for c in reversed(n.children))
        else:
            out.append((n, shared))
    return out


def _consumes(sk: Node) -> bool:
    """Whether the branch counts any attempt exclusively."""
    return any((isinstance(n, Occ) or n.counts) and not shared for n, shared in _leaves(sk))


def _exact(sk: Node) -> bool:
    """Whether ignoring exclusivity reads the branch exactly: no course counted twice, no window inside."""
    if windowed(sk):
        return False
    seen: set[str] = set()
    for n, shared in _leaves(sk):
        if isinstance(n, Occ) and not shared:
            if n.course in seen:
                return False
            seen.add(n.course)
    return True


def _redundant_here(
    gate: Join, is_any: bool, paths: list[RulePath]
) -> Iterator[tuple[RulePath, RuleBase, RulePath | None]]:
    kids = gate.children
    # siblings an any may read with exclusivity ignored: no repeated course, no window inside
    exact = [_exact(k) for k in kids] if is_any else []
    ins: dict[int, set[tuple[Any, ...]]] = {}

    def inputs_of(j: int) -> set[tuple[Any, ...]]:
        if j not in ins:
            ins[j] = inputs(kids[j])
        return ins[j]

    reported: set[int] = set()
    for i, child in enumerate(kids):
        if is_any:
            others = [j for j in range(len(kids)) if j != i and j not in reported and exact[j]]
            if not others:
                continue
        else:
            if _consumes(child) or child.window is not None:
                continue
            others = [j for j in range(len(kids)) if j != i and j not in reported]
        mine = inputs_of(i)
        if not any(mine & inputs_of(j) for j in others):
            continue  # no shared leaf: neither can imply the other
        enc = Encoding()
        lit = enc.upper(child)
        other_lits = [enc.upper(kids[j]) for j in others]
        rest = enc.cnf.or_(other_lits) if is_any else enc.cnf.and_(other_lits)
        # redundant in an any: child -> rest; in an all: rest -> child
        counter = [lit, -rest] if is_any else [rest, -lit]
        if not enc.cnf.satisfiable(counter):
            reported.add(i)
            cover = None
            if is_any:
                for j in others:
                    single = Encoding()
                    a, b = single.upper(child), single.upper(kids[j])
                    if not single.cnf.satisfiable([a, -b]):
                        cover = paths[j]
                        break
            assert child.rule is not None
            yield paths[i], child.rule, cover
