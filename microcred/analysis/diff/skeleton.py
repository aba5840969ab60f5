"""Rules read as boolean skeletons (for the equivalence check) and as facets (for pairing nodes)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from microcred.model.catalog import Catalog
from microcred.model.graph import admitted_credentials
from microcred.rules.kinds import Gate, Occurrence
from microcred.rules.logic import shape
from microcred.rules.nodes import (
    CoursesRule,
    CredentialRule,
    CreditsRule,
    Duration,
    GpaRule,
    RuleBase,
    Selector,
    counted_from,
)
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


def _level_ge(a: Level, b: Level) -> bool:
    return b is None or (a is not None and a >= b)


def _window_le(a: int | None, b: int | None) -> bool:
    return b is None or (a is not None and a <= b)


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

    def _matched(self, sel: Selector) -> list[str]:
        return sorted(self.index.match(sel))

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
        grade_text = f" with {min_grade} or better" if level is not None else ""
        window_text = f" within {_duration_text(window)}" if window is not None else ""
        if isinstance(rule, CoursesRule):
            matched = self._matched(rule.from_)
            key: tuple[Any, ...] = ("courses", rule.courses, tuple(matched), level, window)
            n = rule.courses
            source = counted_from(rule.from_.describe(), " from ")
            text = f"{n} course{'s' if n != 1 else ''}{source}{grade_text}{window_text}"
            facets.append(
                _Facet(
                    "courses",
                    name or f"courses from {rule.from_.describe()}",
                    rule.id,
                    rule.label,
                    ("courses", rule.courses, tuple(matched), level, shared),
                    {
                        "need": rule.courses,
                        "courses": matched,
                        "min_grade": min_grade,
                        "level": level,
                        "shared": shared,
                    },
                )
            )
            return self._atom(
                key,
                _AtomInfo("courses", n, dict.fromkeys(matched, 1.0), {}, level, window, None, text, self.side),
                not shared,
            )
        if isinstance(rule, CreditsRule):
            matched = self._matched(rule.from_)
            counted = {c: float(self.credits[c]) for c in matched}
            f = rule.from_.credentials
            admits: dict[str, float] = {}
            if f is not None:
                for a in admitted_credentials(self.catalog, f.ids, f.type, owner):
                    admits[a] = float(self.catalog.credentials[a].credits or 0)
            key = (
                "credits",
                rule.credits,
                tuple(sorted(counted.items())),
                tuple(sorted(admits.items())),
                level,
                window,
            )
            text = f"{rule.credits:g} credits{counted_from(rule.from_.describe(), ' from ')}{grade_text}{window_text}"
            facets.append(
                _Facet(
                    "credits",
                    name or f"credits from {rule.from_.describe()}",
                    rule.id,
                    rule.label,
                    (
                        "credits",
                        rule.credits,
                        tuple(sorted(counted.items())),
                        tuple(sorted(admits.items())),
                        level,
                        shared,
                    ),
                    {
                        "need": rule.credits,
                        "courses": matched,
                        "credit_values": counted,
                        "admits": sorted(admits),
                        "min_grade": min_grade,
                        "level": level,
                        "shared": shared,
                    },
                )
            )
            return self._atom(
                key,
                _AtomInfo("credits", rule.credits, counted, admits, level, window, None, text, self.side),
                not shared,
            )
        if isinstance(rule, GpaRule):
            if rule.over is None:
                over: dict[str, float] = {c: float(w) for c, w in self.credits.items()}
                where = "over all courses"
                scope: tuple[Any, ...] = ("all", tuple(sorted(over.items())))
            else:
                over = {c: float(self.credits[c]) for c in self._matched(rule.over)}
                where = f"over {rule.over.describe()}"
                scope = ("over", tuple(sorted(over.items())))
            key = ("gpa", rule.gpa, scope)
            text = f"a GPA of at least {rule.gpa:g} {where}"
            facets.append(
                _Facet(
                    "gpa",
                    name or f"GPA {where}",
                    rule.id,
                    rule.label,
                    ("gpa", rule.gpa, scope),
                    {"need": rule.gpa, "over": None if rule.over is None else sorted(over), "credit_values": over},
                )
            )
            return self._atom(key, _AtomInfo("gpa", rule.gpa, over, {}, None, None, None, text, self.side), False)
        if isinstance(rule, CredentialRule):
            target = self.catalog.credentials.get(rule.credential)
            inherited = level if (target is None or target.min_grade is None) else None
            key = ("credential", rule.credential, inherited)
            text = f"credential {rule.credential}"
            if inherited is not None:
                text += f" (its courses with {min_grade} or better)"
            facets.append(
                _Facet(
                    "credential",
                    name or f"credential {rule.credential}",
                    rule.id,
                    rule.label,
                    ("credential", rule.credential, inherited, shared),
                    {
                        "target": rule.credential,
                        "min_grade": min_grade if inherited is not None else None,
                        "level": inherited,
                        "shared": shared,
                    },
                )
            )
            return self._atom(
                key, _AtomInfo("credential", 1, {}, {}, inherited, None, rule.credential, text, self.side), not shared
            )
        raise TypeError(f"unknown rule node {type(rule).__name__}")  # pragma: no cover


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
