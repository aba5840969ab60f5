"""Rules read as boolean skeletons (for the equivalence check) and as facets (for pairing nodes)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from microcred.model.catalog import Catalog
from microcred.rules.kinds import KINDS, Gate, Occurrence
from microcred.rules.kinds.base import Place
from microcred.rules.logic import shape
from microcred.rules.nodes import Duration, RuleBase, Selector
from microcred.rules.selectors import CourseIndex

# == the skeleton: an intermediate form of a rule =========================================

Level = float | None  # the points of the min_grade in force; None: any passing grade


@dataclass(frozen=True)
class _Occ:
    """A ``course:`` leaf (an occurrence: exclusivity tells occurrences apart by ``n``)."""

    course: str
    level: Level
    shared: bool
    n: int = field(default=0, compare=False, repr=False)


@dataclass(frozen=True)
class _Atom:
    """A counting leaf, a ``credential:`` node or a GPA floor: one variable per key."""

    key: tuple[Any, ...]
    #: it counts attempts exclusively (a non-shared counting leaf or inlined credential)
    consumes: bool = field(default=False, compare=False, repr=False)


@dataclass(frozen=True)
class _Gate:
    op: Literal["and", "or", "atleast"]
    need: int
    window: int | None  # the node's own complete_within, in months
    children: tuple[_Node, ...]

    @property
    def gate(self) -> Gate:
        """The gate as the rule kinds read it (``Cnf.gate`` encodes it)."""
        return Gate(self.op, self.need)


_Node = _Occ | _Atom | _Gate


@dataclass
class _AtomInfo:
    kind: str
    need: float
    courses: dict[str, float]  # course -> credits counted (1 for `courses`)
    admits: dict[str, float]
    level: Level
    window: int | None
    target: str | None
    text: str
    side: str


@dataclass
class _Facet:
    """A node of a rule, for pairing with its counterpart in the other version."""

    kind: str
    name: str
    node_id: str | None
    label: str | None
    sig: tuple[Any, ...]
    data: dict[str, Any]


def _months(d: Duration | None) -> int | None:
    return d.total_months if d is not None else None


def _duration_text(months: int | None) -> str:
    if months is None:
        return "none"
    years, rest = divmod(months, 12)
    return str(Duration(years=years, months=rest))


def _min_window(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


class _Reader:
    """Reads one catalogue's rules into skeletons, atoms and facets."""

    def __init__(self, catalog: Catalog, side: str, atoms: dict[tuple[Any, ...], _AtomInfo], grades: dict[Level, str]):
        self.catalog = catalog
        self.side = side
        self.index = CourseIndex(catalog.courses)
        self.scale = catalog.grade_scale
        self.atoms = atoms
        self.grades = grades
        self.credits = {cid: c.credits for cid, c in catalog.courses.items()}
        self.facets: list[_Facet] = []
        self._n = 0

    def level(self, grade: str | None) -> Level:
        if grade is None or grade not in self.scale:
            return None
        points = self.scale.points(grade)
        if points is not None:
            self.grades.setdefault(points, grade)
        return points

    def credential(self, cid: str) -> tuple[_Node | None, list[_Facet]]:
        cred = self.catalog.credentials[cid]
        facets: list[_Facet] = []
        if cred.requires is None:
            return None, facets
        self._n = 0
        node = self.read(cred.requires, cred.min_grade, False, None, cid, facets)
        return node, facets

    def _atom(self, key: tuple[Any, ...], info: _AtomInfo, consumes: bool) -> _Atom:
        self.atoms.setdefault(key, info)
        return _Atom(key, consumes)

    def read(
        self,
        rule: RuleBase,
        min_grade: str | None,
        shared: bool,
        window: int | None,
        owner: str,
        facets: list[_Facet],
        depth: int = 0,
    ) -> _Node:
        min_grade = rule.min_grade or min_grade
        shared = shared or rule.shared
        own_window = _months(rule.complete_within)
        window = _min_window(window, own_window)
        level = self.level(min_grade)
        name = rule.id or rule.label
        if own_window is not None:
            facets.append(
                _Facet(
                    "window",
                    name or (f"the {rule.kind} node" if depth else "the rule"),
                    rule.id,
                    rule.label,
                    ("window", own_window, rule.kind),
                    {"months": own_window, "kind": rule.kind},
                )
            )
        form = shape(rule)
        if isinstance(form, Gate):
            kids = tuple(self.read(c, min_grade, shared, window, owner, facets, depth + 1) for c in rule.children())
            if form.op == "atleast":
                facets.append(
                    _Facet(
                        rule.kind,
                        name or rule.kind,
                        rule.id,
                        rule.label,
                        (rule.kind, form.need, len(kids)),
                        {"need": form.need, "of": len(kids)},
                    )
                )
            return _Gate(form.op, form.need, own_window, kids)
        if isinstance(form, Occurrence):
            self._n += 1
            facets.append(
                _Facet(
                    rule.kind,
                    name or form.course,
                    rule.id,
                    rule.label,
                    (rule.kind, form.course, level, shared),
                    {"course": form.course, "min_grade": min_grade, "level": level, "shared": shared},
                )
            )
            return _Occ(form.course, level, shared, self._n)
        at = Place(
            owner=owner,
            name=name,
            min_grade=min_grade,
            level=level,
            shared=shared,
            window=window,
            grade_text=f" with {min_grade} or better" if level is not None else "",
            window_text=f" within {_duration_text(window)}" if window is not None else "",
        )
        self.facets = facets
        node: _Node = KINDS[rule.kind].diff_atom(self, rule, at)
        return node

    # -- what a kind's reading sees (microcred.rules.kinds.base.Reading) -------------------

    def matched(self, sel: Selector) -> list[str]:
        return sorted(self.index.match(sel))

    def atom(
        self,
        rule: RuleBase,
        key: tuple[Any, ...],
        *,
        need: float,
        courses: dict[str, float],
        admits: dict[str, float] | None = None,
        level: Level = None,
        window: int | None = None,
        target: str | None = None,
        text: str,
        consumes: bool,
    ) -> _Atom:
        info = _AtomInfo(rule.kind, need, courses, admits or {}, level, window, target, text, self.side)
        return self._atom(key, info, consumes)

    def any_of(self, rule: RuleBase, options: Sequence[RuleBase], at: Place) -> _Gate:
        facets = self.facets
        kids = tuple(self.read(o, at.min_grade, at.shared, at.window, at.owner, [], 1) for o in options)
        self.facets = facets
        return _Gate("or", 1, _months(rule.complete_within), kids)

    def facet(self, rule: RuleBase, name: str, sig: tuple[Any, ...], data: dict[str, Any]) -> None:
        self.facets.append(_Facet(rule.kind, name, rule.id, rule.label, sig, data))


# -- canonical form: rewrites that never change meaning -----------------------------------


def _canon(node: _Node) -> _Node:
    """The canonical form of a skeleton: nested ``all``/``any`` flattened, one-child gates
    dissolved, ``at_least`` N of N as ``all`` and 1 of N as ``any``, repeated ``any``
    branches merged, children sorted. Equal canonical forms mean the same rule."""
    if not isinstance(node, _Gate):
        return node
    kids = [_canon(c) for c in node.children]
    op, need = node.op, node.need
    if op == "atleast":
        if need == len(kids):
            op = "and"
        elif need == 1:
            op = "or"
    if op in ("and", "or"):
        flat: list[_Node] = []
        for k in kids:
            if isinstance(k, _Gate) and k.op == op and k.window is None:
                flat.extend(k.children)
            else:
                flat.append(k)
        kids = flat
        if op == "or":
            kids = list(dict.fromkeys(kids))
        need = len(kids) if op == "and" else 1
        if len(kids) == 1 and node.window is None:
            return kids[0]
    kids.sort(key=repr)
    return _Gate(op, need, node.window, tuple(kids))


def _occurrences(node: _Node) -> Iterator[_Occ]:
    if isinstance(node, _Occ):
        yield node
    elif isinstance(node, _Gate):
        for c in node.children:
            yield from _occurrences(c)


def _atoms_of(node: _Node) -> Iterator[_Atom]:
    if isinstance(node, _Atom):
        yield node
    elif isinstance(node, _Gate):
        for c in node.children:
            yield from _atoms_of(c)
