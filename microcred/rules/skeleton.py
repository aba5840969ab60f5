"""A rule's boolean skeleton, built by one walk from the kinds' ``boolean`` hooks, and its one encoding into CNF.

The static checks (:mod:`microcred.rules.logic`) and ``diff`` (:mod:`microcred.analysis.diff`)
both read rules with :class:`Reader` and decide them with :class:`Encoding`.

The **skeleton** of a rule keeps its gates (``and``, ``or``, at least N, with the node's own
completion window) and replaces each leaf by a proposition: a ``course:`` leaf becomes an
*occurrence* (:class:`Occ`: the course, the ``min_grade`` in force and whether it is shared;
two non-shared occurrences of a course compete for its one attempt), every other leaf an
*atom* (:class:`Atom`: one free variable per key). :class:`Reader` is the one walk that builds
it; each kind says its shape (``RuleKind.boolean``), and :meth:`Reader.leaf` says what a leaf
that is no occurrence becomes. The static checks (:mod:`microcred.rules.logic`) read with
:class:`Reader` itself: a leaf is an atom keyed by the node as written, and a ``min_grade`` is
compared by its name. ``diff`` (:mod:`microcred.analysis.diff.reading`) reads with a grade
scale, so that two grades of equal points ask the same, and asks the kind for its atom
(``RuleKind.diff_atom``), which keys it by what it resolves to (or reads it as ``any`` of the
nodes it stands for), recording the facets it pairs on the way.

:class:`Encoding` is the one encoder of skeletons into a :class:`Cnf` (Tseitin gates, a
sequential counter for at least N, so the CNF grows linearly with the rule): over shared input
variables, "the learner passed this course at this level" and one variable per atom, a
skeleton is encoded with exclusivity ignored (:meth:`Encoding.upper`), with each occurrence a
variable of its own and at most one occurrence of a course counting (:meth:`Encoding.exists`),
or exactly, expanded over the choices of the leaf each contested course serves
(:meth:`Encoding.exact`). Formulas above :data:`MAX_VARIABLES` are not encoded
(:class:`TooLarge`), so a huge rule cannot stall validation or ``diff``.
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from microcred.rules.kinds import KINDS, Gate, Occurrence, Reference, Shape
from microcred.rules.kinds.base import Place
from microcred.rules.nodes import Duration, RuleBase

if TYPE_CHECKING:
    from sympy import Symbol

    from microcred.taxonomy.grades import GradeScale

#: Largest formula (variables after encoding) handed to the SAT solver.
MAX_VARIABLES = 3000


class TooLarge(Exception):
    """The formula would exceed :data:`MAX_VARIABLES`."""


# == the skeleton ==========================================================================

#: The ``min_grade`` in force at an occurrence: its grade points when read with a grade scale
#: (None: any passing grade), else the grade's name.
Level = float | str | None


# The nodes are never changed once built; they are hashed by their compared fields (and not
# frozen, which would make building a large rule's skeleton markedly slower).


@dataclass(unsafe_hash=True, slots=True)
class Occ:
    """A ``course:`` leaf: an occurrence of the course (exclusivity tells occurrences apart by ``n``)."""

    course: str
    level: Level
    shared: bool
    #: the occurrence's number in its rule
    n: int = field(default=0, compare=False, repr=False)
    #: the leaf's own completion window, in months
    window: int | None = field(default=None, compare=False, repr=False)
    #: the node it reads
    rule: RuleBase | None = field(default=None, compare=False, repr=False)


@dataclass(unsafe_hash=True, slots=True)
class Atom:
    """Any other leaf (a counting leaf, a ``credential:`` node, a GPA floor): one variable per key."""

    key: Hashable
    #: it counts attempts exclusively (a non-shared counting leaf or credential)
    consumes: bool = field(default=False, compare=False, repr=False)
    #: it counts attempts, shared or not (the static reading sets it, for the redundancy check)
    counts: bool = field(default=False, compare=False, repr=False)
    #: the leaf's own completion window, in months
    window: int | None = field(default=None, compare=False, repr=False)
    #: the node it reads
    rule: RuleBase | None = field(default=None, compare=False, repr=False)


@dataclass(unsafe_hash=True, slots=True)
class Join:
    """A gate over the children's skeletons (``op`` and ``need`` as in :class:`~microcred.rules.kinds.Gate`)."""

    op: Literal["and", "or", "atleast"]
    need: int
    #: the node's own completion window, in months
    window: int | None
    children: tuple[Node, ...]
    #: the node it reads
    rule: RuleBase | None = field(default=None, compare=False, repr=False)

    @property
    def gate(self) -> Gate:
        """The gate as the rule kinds read it (``Cnf.gate`` encodes it)."""
        return Gate(self.op, self.need)


Node = Occ | Atom | Join

#: The skeleton that never holds (``any`` of nothing).
NEVER = Join("or", 1, None, ())


def months(d: Duration | None) -> int | None:
    """A completion window in months (None: no window)."""
    return d.total_months if d is not None else None


def leaves(node: Node) -> list[Occ | Atom]:
    """The leaves of a skeleton, in the rule's order."""
    out: list[Occ | Atom] = []
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Join):
            stack.extend(reversed(n.children))
        else:
            out.append(n)
    return out


def occurrences(node: Node) -> list[Occ]:
    """The occurrences of a skeleton, in the rule's order."""
    return [n for n in leaves(node) if isinstance(n, Occ)]


def atoms(node: Node) -> list[Atom]:
    """The atoms of a skeleton, in the rule's order."""
    return [n for n in leaves(node) if isinstance(n, Atom)]


def contested(node: Node) -> dict[str, list[int]]:
    """Courses counted by two or more non-shared occurrences: the numbers of their occurrences."""
    uses: dict[str, list[int]] = {}
    for o in occurrences(node):
        if not o.shared:
            uses.setdefault(o.course, []).append(o.n)
    return {c: ns for c, ns in uses.items() if len(ns) > 1}


def expansions(contested: Mapping[str, list[int]]) -> int:
    """How many copies :meth:`Encoding.exact` makes of a rule with these contested courses."""
    total = 1
    for ns in contested.values():
        total *= len(ns)
    return total


def inputs(node: Node) -> set[tuple[Any, ...]]:
    """The input variables of :class:`Encoding` a skeleton reads."""
    return {("has", n.course, n.level) if isinstance(n, Occ) else ("atom", n.key) for n in leaves(node)}


def windowed(node: Node) -> bool:
    """Whether a completion window applies at any node of the skeleton."""
    if node.window is not None:
        return True
    return isinstance(node, Join) and any(windowed(c) for c in node.children)


class Reader:
    """The one walk from a rule to its skeleton: each node's shape from its kind, the modifiers
    in force (``min_grade``, ``shared``, the tightest completion window) carried down.

    As it is, it reads for the static checks: a leaf that is no course occurrence is an atom
    keyed by the node as written (its kind, its fields but ``label``, ``id`` and ``shared``,
    and the ``min_grade`` in force), and a ``min_grade`` is compared by its name. Given a grade
    ``scale`` (as ``diff`` reads) it is compared by its points. Subclasses read leaves their
    own way (:meth:`leaf`, :meth:`reference`) and, with :attr:`notes` set, note what they pass
    (:meth:`enter`, :meth:`joined`, :meth:`occurred`)."""

    #: whether :meth:`enter`, :meth:`joined` and :meth:`occurred` are called (a reading that
    #: only builds the skeleton skips them: the static checks read every rule of a catalogue)
    notes: ClassVar[bool] = False

    def __init__(self, scale: GradeScale | None = None) -> None:
        self.scale = scale
        self._n = 0

    def read(self, rule: RuleBase, *, owner: str = "", min_grade: str | None = None) -> Node:
        """The skeleton of ``rule``, the rule of credential ``owner`` (occurrences numbered from 1)."""
        self._n = 0
        return self.below(rule, min_grade, False, None, owner, 0)

    def below(
        self,
        rule: RuleBase,
        min_grade: str | None,
        shared: bool,
        window: int | None,
        owner: str,
        depth: int,
    ) -> Node:
        """The skeleton of ``rule`` read under the modifiers in force above it."""
        min_grade = rule.min_grade or min_grade
        shared = shared or rule.shared
        own = None if rule.complete_within is None else rule.complete_within.total_months
        if own is not None:
            window = own if window is None else min(window, own)
        points = None if self.scale is None else self.points(min_grade)
        at = Place(owner, rule.id or rule.label, min_grade, points, shared, window)
        notes = self.notes
        if notes:
            self.enter(rule, at, own, depth)
        form = KINDS[rule.kind].boolean(rule)
        if isinstance(form, Gate):
            kids = tuple([self.below(c, min_grade, shared, window, owner, depth + 1) for c in rule.children()])
            join = Join(form.op, form.need, own, kids, rule)
            return self.joined(rule, join, at) if notes else join
        if isinstance(form, Occurrence):
            self._n += 1
            level: Level = points if self.scale is not None else min_grade
            occ = Occ(form.course, level, shared, self._n, own, rule)
            return self.occurred(rule, occ, at) if notes else occ
        if isinstance(form, Reference):
            inline = self.reference(rule, form.credential, at, depth)
            if inline is not None:
                return inline
        return self.leaf(rule, form, at, own)

    def points(self, grade: str | None) -> float | None:
        """The points of ``grade`` on the scale (None: no scale, no grade, or a grade without points)."""
        if self.scale is None or grade is None or grade not in self.scale:
            return None
        return self.scale.points(grade)

    # -- what a reading may change ---------------------------------------------------------

    def enter(self, rule: RuleBase, at: Place, own_window: int | None, depth: int) -> None:
        """Called on each node before its children are read."""

    def joined(self, rule: RuleBase, node: Join, at: Place) -> Node:
        """A gate, once its children are read."""
        return node

    def occurred(self, rule: RuleBase, node: Occ, at: Place) -> Node:
        """A course occurrence."""
        return node

    def reference(self, rule: RuleBase, credential: str, at: Place, depth: int) -> Node | None:
        """A node naming ``credential`` read in its place (None: read it as a leaf)."""
        return None

    def leaf(self, rule: RuleBase, form: Shape, at: Place, own_window: int | None) -> Node:
        """A leaf that is no course occurrence: an atom keyed by the node as written."""
        if isinstance(form, Reference):
            key: Hashable = (rule.kind, form.credential, at.min_grade)
            takes = True
        else:
            key = Written(rule, at.min_grade)
            takes = KINDS[rule.kind].consuming
        return Atom(key, takes and not at.shared, takes, own_window, rule)


#: What a leaf as written leaves out: the fields that never change what it asks.
_AS_WRITTEN = {"label", "id", "shared"}


class Written:
    """The key of a leaf as written: its kind, its fields but ``label``, ``id`` and ``shared``,
    and the ``min_grade`` in force (serialised when first compared: a skeleton that is only
    asked whether it can hold never needs it)."""

    __slots__ = ("_key", "grade", "rule")

    def __init__(self, rule: RuleBase, grade: str | None) -> None:
        self.rule = rule
        self.grade = grade
        self._key: tuple[str, bytes, str | None] | None = None

    def key(self) -> tuple[str, bytes, str | None]:
        if self._key is None:
            fields = self.rule.__pydantic_serializer__.to_json(self.rule, exclude=_AS_WRITTEN)
            self._key = (self.rule.kind, fields, self.grade)
        return self._key

    def __hash__(self) -> int:
        return hash(self.key())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Written) and self.key() == other.key()

    def __repr__(self) -> str:
        return repr(self.key())


# == the encoding ==========================================================================


@dataclass
class Cnf:
    """Clauses over numbered variables, with the gates that build them (Tseitin)."""

    clauses: list[set[int]] = field(default_factory=list)
    nvars: int = 0
    true_lit: int = 0
    _symbols: dict[Symbol, int] = field(default_factory=dict, repr=False)

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

    def xor(self, a: int, b: int) -> int:
        z = self.var()
        self.clauses.extend([{-z, a, b}, {-z, -a, -b}, {z, -a, b}, {z, a, -b}])
        return z

    def at_most_one(self, lits: list[int]) -> None:
        for i in range(len(lits)):
            for j in range(i + 1, len(lits)):
                self.clauses.append({-lits[i], -lits[j]})

    def satisfiable(self, assumptions: Sequence[int] = ()) -> bool:
        """Whether the clauses and ``assumptions`` have a model (by sympy's DPLL)."""
        if self.nvars == 0:
            return True
        from sympy import Symbol  # imported here, on the first formula that needs a solver
        from sympy.assumptions.cnf import EncodedCNF
        from sympy.logic.algorithms.dpll2 import dpll_satisfiable

        data = [set(c) for c in self.clauses] + [{a} for a in assumptions]
        encoding = {Symbol(f"x{i}"): i for i in range(1, self.nvars + 1)}
        return dpll_satisfiable(EncodedCNF(data, encoding)) is not False

    def solve(self, assumptions: Sequence[int]) -> dict[int, bool] | None:
        """A model of the clauses and ``assumptions`` (variable -> value), or None."""
        from sympy import Symbol
        from sympy.assumptions.cnf import EncodedCNF
        from sympy.logic.algorithms.dpll2 import dpll_satisfiable

        data = [set(c) for c in self.clauses] + [{a} for a in assumptions]
        if len(self._symbols) != self.nvars:
            self._symbols = {Symbol(f"x{i}"): i for i in range(1, self.nvars + 1)}
        model = dpll_satisfiable(EncodedCNF(data, dict(self._symbols)))
        if model is False:
            return None
        return {int(str(s)[1:]): bool(v) for s, v in model.items()}


class Encoding:
    """Skeletons in one :class:`Cnf` over shared input variables: ``("has", course, level)``,
    the learner passed the course at that level, and ``("atom", key)``, one per atom."""

    def __init__(self) -> None:
        self.cnf = Cnf()
        self.inputs: dict[tuple[Any, ...], int] = {}
        self._courses_below: dict[int, frozenset[str]] = {}  # id(join) -> courses, while alive

    def has(self, course: str, level: Level) -> int:
        key = ("has", course, level)
        v = self.inputs.get(key)
        if v is None:
            v = self.inputs[key] = self.cnf.var()
        return v

    def atom(self, key: Hashable) -> int:
        k = ("atom", key)
        v = self.inputs.get(k)
        if v is None:
            v = self.inputs[k] = self.cnf.var()
        return v

    def declare(self, node: Node) -> None:
        """Number the inputs of ``node`` now (occurrences first, then atoms)."""
        for o in occurrences(node):
            self.has(o.course, o.level)
        for a in atoms(node):
            self.atom(a.key)

    def upper(self, node: Node) -> int:
        """A literal true exactly when the skeleton holds with exclusivity ignored (each
        occurrence is its course's input): its falsity guarantees the rule fails."""
        return self._encode(node, {}, {})

    def exact(self, node: Node) -> int:
        """A literal true exactly when some choice of the leaf each contested course serves
        satisfies the skeleton (the rule expanded over those choices: see :func:`expansions`)."""
        courses_in = contested(node)
        courses = sorted(courses_in)
        if not courses:
            return self._encode(node, {}, {})
        memo: dict[tuple[int, tuple[int, ...]], int] = {}
        copies = []
        for choice in itertools.product(*(courses_in[c] for c in courses)):
            live = dict(zip(courses, choice, strict=True))
            copies.append(self._encode(node, live, memo))
        return self.cnf.or_(copies)

    def exists(self, node: Node, tied: bool = True) -> int:
        """A literal whose truth guarantees the rule holds: each occurrence a variable of its own,
        at most one occurrence of each course counting (the solver picks the assignment).
        ``tied``: an occurrence implies its course's input and an atom is its input; untied,
        every leaf is a free variable of its own (enough to ask whether the rule can hold)."""
        cnf = self.cnf
        uses: dict[str, list[int]] = {}

        def enc(n: Node) -> int:
            if isinstance(n, Occ):
                if not tied:
                    u = cnf.var()
                    if not n.shared:
                        uses.setdefault(n.course, []).append(u)
                    return u
                if n.shared:
                    return self.has(n.course, n.level)
                u = cnf.var()
                cnf.clauses.append({-u, self.has(n.course, n.level)})
                uses.setdefault(n.course, []).append(u)
                return u
            if isinstance(n, Atom):
                return self.atom(n.key) if tied else cnf.var()
            return cnf.gate(n.gate, [enc(c) for c in n.children])

        lit = enc(node)
        for us in uses.values():
            cnf.at_most_one(us)
        return lit

    def _encode(self, node: Node, live: Mapping[str, int], memo: dict[tuple[int, tuple[int, ...]], int]) -> int:
        cnf = self.cnf
        if isinstance(node, Occ):
            if node.shared or node.course not in live or live[node.course] == node.n:
                return self.has(node.course, node.level)
            return cnf.false()
        if isinstance(node, Atom):
            return self.atom(node.key)
        below = tuple(live[c] for c in sorted(live) if c in self._below(node)) if live else ()
        mkey = (id(node), below)
        hit = memo.get(mkey)
        if hit is not None:
            return hit
        lit = cnf.gate(node.gate, [self._encode(c, live, memo) for c in node.children])
        memo[mkey] = lit
        return lit

    def _below(self, node: Join) -> frozenset[str]:
        """The courses of the non-shared occurrences below a gate (cached)."""
        hit = self._courses_below.get(id(node))
        if hit is None:
            hit = frozenset(o.course for o in occurrences(node) if not o.shared)
            self._courses_below[id(node)] = hit
        return hit
