"""Logical analysis of a rule's boolean skeleton, with sympy's SAT solver.

The skeleton of a rule replaces each leaf by a propositional variable. Exclusivity is part
of it: every occurrence of a ``course:`` leaf gets its own variable ("this leaf counts an
attempt of the course"), and at most one occurrence of each course may be true unless the
leaf is ``shared``. Counting leaves (``courses``, ``credits``), ``gpa`` and ``credential``
nodes are free variables (their supply is checked by counting elsewhere). ``at_least`` is
encoded with a sequential counter, and every gate with Tseitin clauses, so the CNF grows
linearly with the rule: sympy's ``to_cnf`` would distribute and explode on an N-of-M.

Formulas above :data:`MAX_VARIABLES` are not analysed (a warning says so), so a huge rule
cannot stall validation.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field

from microcred.rules.kinds import KINDS, Atom, Gate, Occurrence, Reference, Shape
from microcred.rules.nodes import RuleBase

#: Largest formula (variables after encoding) handed to the SAT solver.
MAX_VARIABLES = 3000


class TooLarge(Exception):
    """The formula would exceed :data:`MAX_VARIABLES`."""


@dataclass
class Cnf:
    clauses: list[set[int]] = field(default_factory=list)
    nvars: int = 0
    true_lit: int = 0

    def var(self) -> int:
        self.nvars += 1
        if self.nvars > MAX_VARIABLES:
            raise TooLarge
        return self.nvars

    def true(self) -> int:
        if not self.true_lit:
            self.true_lit = self.var()
            self.clauses.append({self.true_lit})
        return self.true_lit

    def false(self) -> int:
        return -self.true()

    def and_(self, lits: list[int]) -> int:
        if not lits:
            return self.true()
        if len(lits) == 1:
            return lits[0]
        g = self.var()
        for lit in lits:
            self.clauses.append({-g, lit})
        self.clauses.append({g, *(-lit for lit in lits)})
        return g

    def or_(self, lits: list[int]) -> int:
        if not lits:
            return self.false()
        if len(lits) == 1:
            return lits[0]
        g = self.var()
        for lit in lits:
            self.clauses.append({g, -lit})
        self.clauses.append({-g, *lits})
        return g

    def at_least(self, k: int, lits: list[int]) -> int:
        """A literal true exactly when at least ``k`` of ``lits`` are true (sequential counter)."""
        n = len(lits)
        if k <= 0:
            return self.true()
        if k > n:
            return self.false()
        if k == 1:
            return self.or_(lits)
        if k == n:
            return self.and_(lits)
        # prev[j]: at least j of the literals seen so far are true (j = 1..k)
        prev = [self.true()] + [self.false()] * k
        for x in lits:
            cur = [self.true()]
            for j in range(1, k + 1):
                cur.append(self.or_([prev[j], self.and_([prev[j - 1], x])]))
            prev = cur
        return prev[k]

    def gate(self, gate: Gate, lits: list[int]) -> int:
        """A literal true exactly when ``gate`` holds of ``lits``."""
        if gate.op == "and":
            return self.and_(lits)
        if gate.op == "or":
            return self.or_(lits)
        return self.at_least(gate.need, lits)

    def at_most_one(self, lits: list[int]) -> None:
        for i in range(len(lits)):
            for j in range(i + 1, len(lits)):
                self.clauses.append({-lits[i], -lits[j]})

    def satisfiable(self, assumptions: list[int] = ()) -> bool:  # type: ignore[assignment]
        data = [set(c) for c in self.clauses] + [{a} for a in assumptions]
        if self.nvars == 0:
            return True
        from sympy import Symbol  # imported here, on the first formula that needs a solver
        from sympy.assumptions.cnf import EncodedCNF
        from sympy.logic.algorithms.dpll2 import dpll_satisfiable

        encoding = {Symbol(f"x{i}"): i for i in range(1, self.nvars + 1)}
        return dpll_satisfiable(EncodedCNF(data, encoding)) is not False


#: How a node naming a credential is read (given the credential and whether the node is shared):
#: return the node's literal, or None for a free variable.
CredentialHook = Callable[["Skeleton", str, bool], int | None]


def shape(node: RuleBase) -> Shape:
    """``node`` read as a boolean formula, by its kind (``RuleKind.boolean``)."""
    return KINDS[node.kind].boolean(node)


class Skeleton:
    """The encoded skeleton of one rule."""

    def __init__(self, credential_hook: CredentialHook | None = None):
        self.cnf = Cnf()
        self.course_uses: dict[str, list[int]] = {}
        self.credential_hook = credential_hook

    def encode(self, node: RuleBase, shared: bool = False) -> int:
        shared = shared or node.shared
        cnf = self.cnf
        form = shape(node)
        if isinstance(form, Gate):
            return cnf.gate(form, [self.encode(c, shared) for c in node.children()])
        if isinstance(form, Occurrence):
            v = cnf.var()
            if not shared:
                self.course_uses.setdefault(form.course, []).append(v)
            return v
        if isinstance(form, Reference) and self.credential_hook is not None:
            lit = self.credential_hook(self, form.credential, shared)
            if lit is not None:
                return lit
        return cnf.var()

    def finish(self, root: int) -> None:
        for uses in self.course_uses.values():
            if len(uses) > 1:
                self.cnf.at_most_one(uses)
        self.cnf.clauses.append({root})

    @property
    def has_conflicts(self) -> bool:
        """Whether any course is used by two non-shared leaves (else the skeleton is monotone)."""
        return any(len(u) > 1 for u in self.course_uses.values())


def rule_can_hold(rule: RuleBase, credential_hook: CredentialHook | None = None) -> bool:
    """Whether the skeleton of ``rule`` has a model. Raises :class:`TooLarge`."""
    sk = Skeleton(credential_hook)
    root = sk.encode(rule)
    sk.finish(root)
    return sk.cnf.satisfiable()


# --- redundancy -------------------------------------------------------------------------

LeafKey = Hashable


def _leaf_key(node: RuleBase, min_grade: str | None, form: Shape) -> LeafKey:
    if isinstance(form, Occurrence):
        return (node.kind, form.course, min_grade)
    if isinstance(form, Reference):
        return (node.kind, form.credential, min_grade)
    return (node.kind, node.model_dump_json(exclude={"label", "id", "shared"}), min_grade)


def _courses_repeat(node: RuleBase) -> bool:
    """Whether a course counts in two non-shared leaves of ``node``, or a window applies inside."""
    seen: set[str] = set()

    def visit(n: RuleBase, shared: bool) -> bool:
        shared = shared or n.shared
        if n.complete_within is not None:
            return True
        form = shape(n)
        if isinstance(form, Occurrence) and not shared:
            if form.course in seen:
                return True
            seen.add(form.course)
        return any(visit(c, shared) for c in n.children())

    return visit(node, False)


def _consumes(node: RuleBase, shared: bool = False) -> bool:
    """Whether ``node`` counts any attempt exclusively."""
    shared = shared or node.shared
    form = shape(node)
    if isinstance(form, (Occurrence, Reference)) or (isinstance(form, Atom) and KINDS[node.kind].consuming):
        return not shared
    return any(_consumes(c, shared) for c in node.children())


def _keys(node: RuleBase, min_grade: str | None) -> set[LeafKey]:
    min_grade = node.min_grade or min_grade
    kids = node.children()
    if not kids:
        return {_leaf_key(node, min_grade, shape(node))}
    out: set[LeafKey] = set()
    for c in kids:
        out |= _keys(c, min_grade)
    return out


class _Abstraction:
    """Has-variables: identical leaves share one variable (exclusivity ignored)."""

    def __init__(self) -> None:
        self.cnf = Cnf()
        self.vars: dict[LeafKey, int] = {}

    def encode(self, node: RuleBase, min_grade: str | None) -> int:
        min_grade = node.min_grade or min_grade
        form = shape(node)
        if isinstance(form, Gate):
            return self.cnf.gate(form, [self.encode(c, min_grade) for c in node.children()])
        key = _leaf_key(node, min_grade, form)
        if key not in self.vars:
            self.vars[key] = self.cnf.var()
        return self.vars[key]


def redundant_branches(
    rule: RuleBase, path: tuple[str | int, ...] = (), min_grade: str | None = None
) -> Iterator[tuple[tuple[str | int, ...], RuleBase, tuple[str | int, ...] | None]]:
    """Branches that can be removed without changing what satisfies the rule.

    Yields (path of the redundant child, the child, path of the sibling that covers it or
    None). An ``any`` branch is redundant when whatever satisfies it also satisfies another
    branch using only the same attempts; an ``all`` child that counts no attempt (a GPA
    floor, a shared leaf) is redundant when the other children already imply it. Raises
    :class:`TooLarge`.
    """
    in_force = rule.min_grade or min_grade
    kids = rule.children()
    form = shape(rule)
    if len(kids) > 1 and isinstance(form, Gate) and form.op in ("and", "or"):
        yield from _redundant_here(rule, form.op == "or", path, in_force)
    for i, child in enumerate(kids):
        yield from redundant_branches(child, path + rule.child_path(i), in_force)


def _redundant_here(
    rule: RuleBase, is_any: bool, path: tuple[str | int, ...], min_grade: str | None
) -> Iterator[tuple[tuple[str | int, ...], RuleBase, tuple[str | int, ...] | None]]:
    kids = rule.children()
    reported: set[int] = set()
    for i, child in enumerate(kids):
        if is_any:
            # siblings whose abstraction is exact: no repeated course, no window inside
            others = [j for j, s in enumerate(kids) if j != i and j not in reported and not _courses_repeat(s)]
            if not others:
                continue
        else:
            if _consumes(child) or child.complete_within is not None:
                continue
            others = [j for j in range(len(kids)) if j != i and j not in reported]
        mine = _keys(child, min_grade)
        if not any(mine & _keys(kids[j], min_grade) for j in others):
            continue  # no shared leaf: neither can imply the other
        ab = _Abstraction()
        lit = ab.encode(child, min_grade)
        other_lits = [ab.encode(kids[j], min_grade) for j in others]
        rest = ab.cnf.or_(other_lits) if is_any else ab.cnf.and_(other_lits)
        # redundant in an any: child -> rest; in an all: rest -> child
        counter = [lit, -rest] if is_any else [rest, -lit]
        if not ab.cnf.satisfiable(counter):
            reported.add(i)
            cover = None
            if is_any:
                for j in others:
                    single = _Abstraction()
                    a, b = single.encode(child, min_grade), single.encode(kids[j], min_grade)
                    if not single.cnf.satisfiable([a, -b]):
                        cover = path + rule.child_path(j)
                        break
            yield path + rule.child_path(i), child, cover
