"""Change impact: what a new version of a catalogue changes, in its rules and for learners.

:func:`diff_catalogs` compares two versions of a catalogue: credentials added and removed,
metadata changed, and, for every credential in both, whether its rule **changed meaning**.
Two analyses answer that:

(a) **The boolean skeleton.** Both rules are read over the same propositional variables: a
    ``course: X`` leaf is "the learner passed X" (at the ``min_grade`` in force, so one
    variable per course and grade level, a higher level implying the lower ones); a counting
    leaf (``courses``, ``credits``) is an atom keyed by what it counts (kind, number, the
    resolved course set, the ``min_grade`` and the completion window in force); a
    ``credential: Y`` node is "holds Y"; a ``gpa`` node is an atom keyed by threshold and the
    courses it averages. Atoms that imply each other are tied by clauses (three courses from
    a set imply two from a superset; a GPA of 3.0 implies 2.5 over the same courses), so no
    counterexample is impossible. Exclusivity (one course counts toward one non-``shared``
    leaf of a credential) is modelled exactly for ``course`` leaves: the rule is expanded
    over the choices of which leaf each contested course serves. The two skeletons are
    compared with ``Xor`` encoded by Tseitin gates and decided by sympy's DPLL on an
    ``EncodedCNF`` (as in :mod:`microcred.rules.logic`); a model is a learner who meets one
    rule but not the other, reported in plain words after it is made minimal.
(b) **What the skeleton cannot see.** Nodes of the two rules are paired (by ``id``, label,
    course, selector overlap) and their numbers compared: ``courses N``, ``credits X``, the
    courses a selector matches (added, removed), credit values counted, ``min_grade``,
    ``complete_within``, ``shared``, ``at_least N``, GPA thresholds.

Reordering children, relabelling (``label``, ``id``), flattening ``all`` inside ``all``,
an ``any`` or ``all`` of one child, ``at_least`` N of N: all are "no change in meaning".

:func:`impact` evaluates learners against both versions and reports, per learner and
credential, the changes of ``status``, ``earned_on`` and ``expires_on``. Only credentials
whose compiled rule changed (or one they include, or their validity) are evaluated: the
results of the others are the same in both versions by construction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import json
import os
from collections import Counter, deque
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from microcred.io.transcript import Transcript, TranscriptError, TranscriptSource
from microcred.model.catalog import Catalog, Credential, SourceMap
from microcred.model.diagnostics import Diagnostic, MicrocredError
from microcred.model.graph import admitted_credentials
from microcred.model.result import LearnerResult
from microcred.rules.compiled import CNode, CompiledCatalog
from microcred.rules.logic import Cnf, TooLarge
from microcred.rules.nodes import (
    AllRule,
    AnyRule,
    AtLeastRule,
    CourseRule,
    CoursesRule,
    CredentialRule,
    CreditsRule,
    Duration,
    GpaRule,
    RuleBase,
    Selector,
    counted_from,
)
from microcred.rules.scenario import EPS
from microcred.rules.selectors import CourseIndex
from microcred.taxonomy.grades import Grade, GradeScale

if TYPE_CHECKING:
    from sympy import Symbol

#: Most expansions of a rule over the choices of contested courses (exclusivity, exact).
MAX_EXPANSIONS = 64
#: Most SAT calls spent making one counterexample minimal.
MAX_MINIMISE_CALLS = 200
#: Most items listed after "but not" in a counterexample.
MAX_LACKS = 8
#: Most items a counterexample lists before it names only the parts of the rule that differ.
MAX_WHOLE = 6

Meaning = Literal["unchanged", "equivalent", "changed", "not_analysed", "rule_added", "rule_removed", "no_rule"]

MEANING_TEXT: dict[str, str] = {
    "unchanged": "no change",
    "equivalent": "no change in meaning",
    "changed": "changed meaning",
    "not_analysed": "not analysed: too large",
    "rule_added": "rule added (it was awarded from outside only)",
    "rule_removed": "rule removed (now awarded from outside only)",
    "no_rule": "no rule in either version",
}


# == results ==============================================================================


def _plain(value: Any) -> Any:
    """A value for JSON and text: durations as words, numbers as they read."""
    if isinstance(value, Duration):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _show(value: Any) -> str:
    value = _plain(value)
    if value is None:
        return "none"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "none"
    return str(value)


@dataclass
class FieldChange:
    """A changed field: of a credential (``title``, ``credits``…), a course, or the catalogue."""

    field: str
    old: Any
    new: Any

    def __str__(self) -> str:
        return f"{self.field}: {_show(self.old)} → {_show(self.new)}"

    def to_json(self) -> dict[str, Any]:
        return {"field": self.field, "old": _plain(self.old), "new": _plain(self.new)}


@dataclass
class RuleChange:
    """A change the boolean skeleton cannot see: a number, a selector, a modifier."""

    #: courses | credits | selector | credit_values | admits | min_grade | shared | gpa | gpa_over |
    #: at_least | complete_within
    what: str
    node: str  # the node(s): id, label, or what it asks for
    old: Any
    new: Any
    message: str

    def __str__(self) -> str:
        return self.message

    def to_json(self) -> dict[str, Any]:
        return {
            "what": self.what,
            "node": self.node,
            "old": _plain(self.old),
            "new": _plain(self.new),
            "message": self.message,
        }


def _join(items: Sequence[str], word: str = "and") -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {word} " + items[-1]


@dataclass
class Counterexample:
    """A learner who meets one version of a rule but not the other."""

    meets: Literal["old", "new"]
    has: list[str]
    lacks: list[str]
    more_lacks: int = 0
    #: the learner also meets the requirements both versions share (not listed)
    context: bool = False

    @property
    def fails(self) -> str:
        return "new" if self.meets == "old" else "old"

    def __str__(self) -> str:
        lacks = list(self.lacks) + ([f"{self.more_lacks} more"] if self.more_lacks else [])
        if self.context:
            who = "a learner who meets the requirements both versions share"
            if self.has:
                who += ", with " + _join(self.has)
            if lacks:
                who += (" but not " if self.has else ", without ") + _join(lacks, "or")
            return f"{who}, meets the {self.meets} rule but not the {self.fails}"
        if self.has:
            who = "a learner with " + _join(self.has)
            if lacks:
                who += " but not " + _join(lacks, "or")
        elif lacks:
            who = "a learner without " + _join(lacks, "or")
        else:
            who = "a learner with nothing that counts"
        return f"{who} meets the {self.meets} rule but not the {self.fails}"

    def to_json(self) -> dict[str, Any]:
        return {
            "meets": self.meets,
            "has": self.has,
            "lacks": self.lacks,
            "shared_requirements_met": self.context,
            "text": str(self),
        }


@dataclass
class CredentialDiff:
    """How one credential present in both versions changed."""

    id: str
    title: str
    fields: list[FieldChange] = field(default_factory=list)
    meaning: Meaning = "unchanged"
    counterexamples: list[Counterexample] = field(default_factory=list)
    changes: list[RuleChange] = field(default_factory=list)
    #: credentials its rule names (``credential:``) whose own results may differ
    includes_changed: list[str] = field(default_factory=list)
    #: whether learners' results for it may differ (its compiled rule, or validity, changed)
    affected: bool = False
    #: the rule's text differs (perhaps only in order or labels)
    rewritten: bool = False
    note: str | None = None

    @property
    def changed(self) -> bool:
        """Anything that matters: a field, the rule's meaning, or what it includes (a rule
        only rewritten, its meaning the same, is not a change)."""
        return bool(self.fields or self.meaning not in ("unchanged", "equivalent", "no_rule") or self.includes_changed)

    @property
    def verdict(self) -> str:
        text = MEANING_TEXT[self.meaning]
        if self.note:
            text += f" ({self.note})"
        return text

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "meaning": self.meaning,
            "verdict": self.verdict,
            "fields": [f.to_json() for f in self.fields],
            "counterexamples": [c.to_json() for c in self.counterexamples],
            "changes": [c.to_json() for c in self.changes],
            "includes_changed": self.includes_changed,
            "rewritten": self.rewritten,
            "affected": self.affected,
        }


@dataclass
class CatalogDiff:
    """Everything that differs between two versions of a catalogue."""

    old_id: str
    new_id: str
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    #: catalogue-wide changes: the grade scale, the repeats policy
    catalogue: list[FieldChange] = field(default_factory=list)
    courses_added: list[str] = field(default_factory=list)
    courses_removed: list[str] = field(default_factory=list)
    courses_changed: dict[str, list[FieldChange]] = field(default_factory=dict)
    #: every credential present in both versions
    credentials: dict[str, CredentialDiff] = field(default_factory=dict)

    @property
    def changed(self) -> list[CredentialDiff]:
        return [d for d in self.credentials.values() if d.changed]

    @property
    def meaning_changed(self) -> list[str]:
        return [cid for cid, d in self.credentials.items() if d.meaning in ("changed", "rule_added", "rule_removed")]

    @property
    def affected(self) -> list[str]:
        """Credentials whose results for a learner may differ (added and removed included)."""
        return [*self.added, *self.removed, *(cid for cid, d in self.credentials.items() if d.affected)]

    @property
    def identical(self) -> bool:
        return not (
            self.added
            or self.removed
            or self.catalogue
            or self.courses_added
            or self.courses_removed
            or self.courses_changed
            or any(d.changed or d.rewritten for d in self.credentials.values())
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "old": self.old_id,
            "new": self.new_id,
            "identical": self.identical,
            "added": self.added,
            "removed": self.removed,
            "catalogue": [f.to_json() for f in self.catalogue],
            "courses": {
                "added": self.courses_added,
                "removed": self.courses_removed,
                "changed": {c: [f.to_json() for f in fs] for c, fs in self.courses_changed.items()},
            },
            "credentials": {cid: d.to_json() for cid, d in self.credentials.items() if d.changed or d.rewritten},
            "unchanged": [cid for cid, d in self.credentials.items() if not (d.changed or d.rewritten)],
            "affected": self.affected,
            "meaning_changed": self.meaning_changed,
        }


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
    op: str  # and | or | atleast
    need: int
    window: int | None  # the node's own complete_within, in months
    children: tuple[_Node, ...]


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
        if isinstance(rule, (AllRule, AnyRule, AtLeastRule)):
            kids = tuple(self.read(c, min_grade, shared, window, owner, facets, depth + 1) for c in rule.children())
            if isinstance(rule, AllRule):
                return _Gate("and", len(kids), own_window, kids)
            if isinstance(rule, AnyRule):
                return _Gate("or", 1, own_window, kids)
            facets.append(
                _Facet(
                    "at_least",
                    name or "at_least",
                    rule.id,
                    rule.label,
                    ("at_least", rule.at_least, len(kids)),
                    {"need": rule.at_least, "of": len(kids)},
                )
            )
            return _Gate("atleast", rule.at_least, own_window, kids)
        if isinstance(rule, CourseRule):
            self._n += 1
            facets.append(
                _Facet(
                    "course",
                    name or rule.course,
                    rule.id,
                    rule.label,
                    ("course", rule.course, level, shared),
                    {"course": rule.course, "min_grade": min_grade, "level": level, "shared": shared},
                )
            )
            return _Occ(rule.course, level, shared, self._n)
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


# -- encoding, with exclusivity ------------------------------------------------------------


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


def _contested(node: _Node) -> dict[str, list[int]]:
    """Courses counted by two or more non-shared ``course`` leaves: their occurrences."""
    uses: dict[str, list[int]] = {}
    for o in _occurrences(node):
        if not o.shared:
            uses.setdefault(o.course, []).append(o.n)
    return {c: ns for c, ns in uses.items() if len(ns) > 1}


def _expansions(contested: Mapping[str, list[int]]) -> int:
    total = 1
    for ns in contested.values():
        total *= len(ns)
    return total


class _Problem:
    """Both skeletons in one CNF over shared input variables."""

    def __init__(self, atoms: Mapping[tuple[Any, ...], _AtomInfo]):
        self.cnf = Cnf()
        self.atoms = atoms
        self.inputs: dict[tuple[Any, ...], int] = {}  # ("has", course, level) | ("atom", key)
        self.implications: list[tuple[int, int]] = []
        self._symbols: dict[Symbol, int] = {}
        self._courses_below: dict[int, frozenset[str]] = {}  # id(gate) -> courses, while alive

    def has(self, course: str, level: Level) -> int:
        key = ("has", course, level)
        v = self.inputs.get(key)
        if v is None:
            v = self.inputs[key] = self.cnf.var()
        return v

    def atom(self, key: tuple[Any, ...]) -> int:
        k = ("atom", key)
        v = self.inputs.get(k)
        if v is None:
            v = self.inputs[k] = self.cnf.var()
        return v

    def declare(self, node: _Node) -> None:
        for o in _occurrences(node):
            self.has(o.course, o.level)
        for a in _atoms_of(node):
            self.atom(a.key)

    def background(self) -> None:
        """What the inputs imply of each other: a higher grade level implies the lower ones;
        an atom asking at least as much as another implies it."""
        levels: dict[str, list[Level]] = {}
        for key in self.inputs:
            if key[0] == "has":
                levels.setdefault(key[1], []).append(key[2])
        for course, ls in levels.items():
            ordered = sorted(ls, key=lambda x: -1.0 if x is None else x)
            for lo, hi in itertools.pairwise(ordered):
                self._imply(self.has(course, hi), self.has(course, lo))
        keys = [k[1] for k in self.inputs if k[0] == "atom"]
        for a, b in itertools.permutations(keys, 2):
            if _atom_implies(self.atoms[a], self.atoms[b]):
                self._imply(self.atom(a), self.atom(b))

    def _imply(self, a: int, b: int) -> None:
        self.cnf.clauses.append({-a, b})
        self.implications.append((a, b))

    # exact: the rule expanded over the choices of the leaf each contested course serves
    def exact(self, node: _Node) -> int:
        contested = _contested(node)
        courses = sorted(contested)
        if not courses:
            return self._encode(node, {}, {})
        memo: dict[tuple[int, tuple[int, ...]], int] = {}
        copies = []
        for choice in itertools.product(*(contested[c] for c in courses)):
            live = dict(zip(courses, choice, strict=True))
            copies.append(self._encode(node, live, memo))
        return self.cnf.or_(copies)

    def _encode(self, node: _Node, live: Mapping[str, int], memo: dict[tuple[int, tuple[int, ...]], int]) -> int:
        cnf = self.cnf
        if isinstance(node, _Occ):
            if node.shared or node.course not in live or live[node.course] == node.n:
                return self.has(node.course, node.level)
            return cnf.false()
        if isinstance(node, _Atom):
            return self.atom(node.key)
        mkey = (id(node), tuple(live[c] for c in sorted(live) if c in self._below(node)))
        hit = memo.get(mkey)
        if hit is not None:
            return hit
        lits = [self._encode(c, live, memo) for c in node.children]
        if node.op == "and":
            lit = cnf.and_(lits)
        elif node.op == "or":
            lit = cnf.or_(lits)
        else:
            lit = cnf.at_least(node.need, lits)
        memo[mkey] = lit
        return lit

    # inexact: "some assignment satisfies it" (lower bound) and "exclusivity ignored" (upper)
    def exists(self, node: _Node) -> int:
        """A literal whose truth guarantees the rule holds: occurrence variables with at most
        one occurrence of each course counting (the solver picks the assignment)."""
        uses: dict[str, list[int]] = {}

        def enc(n: _Node) -> int:
            if isinstance(n, _Occ):
                if n.shared:
                    return self.has(n.course, n.level)
                u = self.cnf.var()
                self.cnf.clauses.append({-u, self.has(n.course, n.level)})
                uses.setdefault(n.course, []).append(u)
                return u
            if isinstance(n, _Atom):
                return self.atom(n.key)
            lits = [enc(c) for c in n.children]
            if n.op == "and":
                return self.cnf.and_(lits)
            if n.op == "or":
                return self.cnf.or_(lits)
            return self.cnf.at_least(n.need, lits)

        lit = enc(node)
        for us in uses.values():
            self.cnf.at_most_one(us)
        return lit

    def upper(self, node: _Node) -> int:
        """A literal whose falsity guarantees the rule fails: exclusivity ignored."""
        return self._encode(node, {}, {})

    def _below(self, node: _Gate) -> frozenset[str]:
        """The courses of the non-shared ``course`` leaves below a gate (cached)."""
        hit = self._courses_below.get(id(node))
        if hit is None:
            hit = frozenset(o.course for o in _occurrences(node) if not o.shared)
            self._courses_below[id(node)] = hit
        return hit

    def xor(self, a: int, b: int) -> int:
        z = self.cnf.var()
        self.cnf.clauses.extend([{-z, a, b}, {-z, -a, -b}, {z, -a, b}, {z, a, -b}])
        return z

    def solve(self, assumptions: Sequence[int]) -> dict[int, bool] | None:
        from sympy import Symbol
        from sympy.assumptions.cnf import EncodedCNF
        from sympy.logic.algorithms.dpll2 import dpll_satisfiable

        cnf = self.cnf
        data = [set(c) for c in cnf.clauses] + [{a} for a in assumptions]
        if len(self._symbols) != cnf.nvars:
            self._symbols = {Symbol(f"x{i}"): i for i in range(1, cnf.nvars + 1)}
        encoding = dict(self._symbols)
        model = dpll_satisfiable(EncodedCNF(data, encoding))
        if model is False:
            return None
        return {int(str(s)[1:]): bool(v) for s, v in model.items()}


def _atom_implies(a: _AtomInfo, b: _AtomInfo) -> bool:
    """Whether meeting atom ``a`` always meets atom ``b``."""
    if a.kind != b.kind:
        return False
    if a.kind == "credential":
        return a.target == b.target and _level_ge(a.level, b.level)
    if a.kind == "gpa":
        return a.courses == b.courses and a.need >= b.need
    if not (a.need >= b.need and _level_ge(a.level, b.level) and _window_le(a.window, b.window)):
        return False
    if any(c not in b.courses or b.courses[c] < w for c, w in a.courses.items()):
        return False
    return all(c in b.admits and b.admits[c] >= w for c, w in a.admits.items())


# == comparing one rule ====================================================================


@dataclass
class _Sides:
    old: _Node
    new: _Node
    #: the parts that differ, when both rules are an ``all`` with children in common: a
    #: counterexample then names only what it has of these (it meets the common children)
    focus_old: _Node | None = None
    focus_new: _Node | None = None


def _focus(old: _Node, new: _Node) -> tuple[_Node, _Node] | None:
    """The differing children of two canonical ``all`` rules with children in common."""
    if not (isinstance(old, _Gate) and isinstance(new, _Gate)):
        return None
    if old.op != "and" or new.op != "and" or old.window is not None or new.window is not None:
        return None
    common = Counter(old.children) & Counter(new.children)
    if not common:
        return None
    rest_old, rest_new = Counter(old.children) - common, Counter(new.children) - common
    return (
        _Gate("and", rest_old.total(), None, tuple(rest_old.elements())),
        _Gate("and", rest_new.total(), None, tuple(rest_new.elements())),
    )


class _Analysis:
    """The skeleton comparison (a) of one credential's two rules."""

    def __init__(self, sides: _Sides, atoms: Mapping[tuple[Any, ...], _AtomInfo], grades: Mapping[Level, str]):
        self.sides = sides
        self.atoms = atoms
        self.grades = grades

    def run(self) -> tuple[bool | None, list[Counterexample]]:
        """(equivalent?, counterexamples); equivalent is None when not analysed."""
        try:
            return self._run()
        except TooLarge:
            return None, []

    def _run(self) -> tuple[bool | None, list[Counterexample]]:
        p = _Problem(self.atoms)
        old, new = self.sides.old, self.sides.new
        p.declare(old)
        p.declare(new)
        p.background()
        exact = _expansions(_contested(old)) <= MAX_EXPANSIONS and _expansions(_contested(new)) <= MAX_EXPANSIONS
        if exact:
            lo_old = hi_old = p.exact(old)
            lo_new = hi_new = p.exact(new)
            if p.solve([p.xor(lo_old, lo_new)]) is None:
                return self._proved()
        else:
            lo_old, hi_old = p.exists(old), p.upper(old)
            lo_new, hi_new = p.exists(new), p.upper(new)
        found: list[Counterexample] = []
        sides = self.sides
        directions: list[tuple[Literal["old", "new"], int, int, _Node]] = [
            ("old", lo_old, hi_new, sides.focus_new or new),
            ("new", lo_new, hi_old, sides.focus_old or old),
        ]
        for meets, lo, hi_other, fail_node in directions:
            model = p.solve([lo, -hi_other])
            if model is not None:
                found.append(self._describe(p, model, meets, lo, hi_other, fail_node))
        if found:
            return False, found
        return (None, []) if not exact else self._proved()

    def _proved(self) -> tuple[bool | None, list[Counterexample]]:
        """Equivalent skeletons. That proves the rules equivalent unless one of them counts
        the same counting leaf (or inlined credential) twice: the skeleton reads both as one
        variable, while each needs its own courses (exclusivity is not modelled inside atoms)."""
        for node in (self.sides.old, self.sides.new):
            seen = Counter(a.key for a in _atoms_of(node) if a.consumes)
            if any(n > 1 for n in seen.values()):
                return None, []
        return True, []

    # -- making a model minimal and readable ----------------------------------------------

    def _describe(
        self,
        p: _Problem,
        model: dict[int, bool],
        meets: Literal["old", "new"],
        lo: int,
        hi_other: int,
        fail_node: _Node,
    ) -> Counterexample:
        values = {v: model.get(v, False) for v in p.inputs.values()}
        values = self._minimise(p, values, lo, hi_other)
        return self._words(p, values, meets, fail_node)

    def _minimise(self, p: _Problem, values: dict[int, bool], lo: int, hi_other: int) -> dict[int, bool]:
        def ok(vals: dict[int, bool]) -> bool:
            if any(vals[a] and not vals[b] for a, b in p.implications):
                return False
            fixed = [v if on else -v for v, on in vals.items()]
            return p.solve([*fixed, lo, -hi_other]) is not None

        # strongest first: higher grade levels before lower, then atoms
        def strength(item: tuple[tuple[Any, ...], int]) -> tuple[int, float]:
            key, _v = item
            if key[0] == "has":
                return (0, -(key[2] if key[2] is not None else -1.0))
            return (1, 0.0)

        order = [v for _k, v in sorted(p.inputs.items(), key=strength)]
        calls = 0
        changed = True
        while changed and calls < MAX_MINIMISE_CALLS:
            changed = False
            for v in order:
                if not values[v] or calls >= MAX_MINIMISE_CALLS:
                    continue
                trial = dict(values)
                trial[v] = False
                calls += 1
                if ok(trial):
                    values = trial
                    changed = True
        return values

    def _grade(self, level: Level) -> str:
        if level is None:
            return "a passing grade"
        return self.grades.get(level, f"{level:g} points")

    def _words(
        self, p: _Problem, values: dict[int, bool], meets: Literal["old", "new"], fail_node: _Node
    ) -> Counterexample:
        """The counterexample in words: everything it has of both rules when that is short,
        else only what it has of the parts that differ (it meets the parts both share)."""
        full_fail = self.sides.new if meets == "old" else self.sides.old
        whole = self._phrase(p, values, meets, full_fail, False)
        focus = self.sides.focus_old is not None and self.sides.focus_new is not None
        if not focus or len(whole.has) + len(whole.lacks) <= MAX_WHOLE:
            return whole
        return self._phrase(p, values, meets, fail_node, True)

    def _phrase(
        self, p: _Problem, values: dict[int, bool], meets: Literal["old", "new"], fail_node: _Node, focus: bool
    ) -> Counterexample:
        shown_courses: set[str] | None = None
        shown_atoms: set[tuple[Any, ...]] | None = None
        if focus:
            parts = [n for n in (self.sides.focus_old, self.sides.focus_new) if n is not None]
            shown_courses = {o.course for n in parts for o in _occurrences(n)}
            shown_atoms = {a.key for n in parts for a in _atoms_of(n)}
        levels: dict[str, dict[Level, bool]] = {}
        atoms_true: list[str] = []
        atoms_false: dict[tuple[Any, ...], bool] = {}
        for key, v in p.inputs.items():
            if key[0] == "has":
                if shown_courses is None or key[1] in shown_courses:
                    levels.setdefault(key[1], {})[key[2]] = values[v]
            elif shown_atoms is None or key[1] in shown_atoms:
                atoms_false[key[1]] = values[v]
        texts = self._atom_texts(list(atoms_false))
        for key, on in atoms_false.items():
            if on:
                atoms_true.append(texts[key])
        has: list[str] = []
        lacking_courses: set[str] = set()
        for course in sorted(levels):
            lv = levels[course]
            ordered = sorted(lv, key=lambda x: -1.0 if x is None else x)
            true = [lvl for lvl in ordered if lv[lvl]]
            false = [lvl for lvl in ordered if not lv[lvl]]
            if not true:
                lacking_courses.add(course)
                continue
            top = true[-1]
            if not false:
                has.append(course if top is None else f"{course} ({self._grade(top)} or better)")
            else:
                first_false = false[0]
                if top is None:
                    has.append(f"{course} below {self._grade(first_false)}")
                else:
                    has.append(f"{course} at {self._grade(top)} but below {self._grade(first_false)}")
        has.extend(sorted(atoms_true))
        lacks: list[str] = []
        fail_courses = {o.course for o in _occurrences(fail_node)}
        for course in sorted(fail_courses):
            if course in lacking_courses:
                lacks.append(course)
        for a in dict.fromkeys(_atoms_of(fail_node)):
            if not atoms_false.get(a.key, False):
                lacks.append(texts[a.key])
        lacks = list(dict.fromkeys(lacks))
        more = max(0, len(lacks) - MAX_LACKS)
        return Counterexample(meets, has, lacks[:MAX_LACKS], more, focus)

    def _atom_texts(self, keys: list[tuple[Any, ...]]) -> dict[tuple[Any, ...], str]:
        """Plain words for each atom; two atoms that read alike are told apart by version."""
        texts = {k: self.atoms[k].text for k in keys}
        by_text: dict[str, list[tuple[Any, ...]]] = {}
        for k, t in texts.items():
            by_text.setdefault(t, []).append(k)
        for t, ks in by_text.items():
            if len(ks) > 1:
                for k in ks:
                    texts[k] = f"{t} (as the {self.atoms[k].side} version counts them)"
        return texts


# -- (b): pairing nodes and comparing their numbers ---------------------------------------


def _pair(
    old: list[_Facet], new: list[_Facet], similar: Callable[[_Facet, _Facet], float]
) -> tuple[list[tuple[_Facet, _Facet]], list[_Facet], list[_Facet]]:
    """Pairs of facets that differ, and the facets left without a counterpart in the old and
    in the new rule. Exact matches are set aside first, then pairs are made by id, by label,
    by similarity, and finally from a single leftover on each side."""
    old, new = list(old), list(new)
    for f in list(old):
        match = next((g for g in new if g.sig == f.sig), None)
        if match is not None:
            old.remove(f)
            new.remove(match)
    pairs: list[tuple[_Facet, _Facet]] = []
    for attr in ("node_id", "label"):
        for f in list(old):
            value = getattr(f, attr)
            if value is None:
                continue
            match = next((g for g in new if getattr(g, attr) == value), None)
            if match is not None:
                pairs.append((f, match))
                old.remove(f)
                new.remove(match)
    while old and new:
        score, f, g = max(((similar(f, g), f, g) for f in old for g in new), key=lambda t: t[0])
        if score <= 0:
            break
        pairs.append((f, g))
        old.remove(f)
        new.remove(g)
    if len(old) == 1 and len(new) == 1:
        pairs.append((old[0], new[0]))
        old, new = [], []
    return pairs, old, new


def _overlap(a: Iterable[str], b: Iterable[str]) -> float:
    sa, sb = set(a), set(b)
    if not sa and not sb:
        return 0.5
    return len(sa & sb) / max(1, len(sa | sb))


def _similar(f: _Facet, g: _Facet) -> float:
    if f.kind == "course":
        return 1.0 if f.data["course"] == g.data["course"] else 0.0
    if f.kind == "credential":
        return 1.0 if f.data["target"] == g.data["target"] else 0.0
    if f.kind in ("courses", "credits"):
        return _overlap(f.data["courses"], g.data["courses"])
    if f.kind == "gpa":
        fo, go = f.data["over"], g.data["over"]
        if fo is None or go is None:
            return 1.0 if fo is go else 0.1
        return _overlap(fo, go) or 0.1
    if f.kind == "at_least":
        return 1.0 if f.data["of"] == g.data["of"] else 0.1
    if f.kind == "window":
        return 1.0 if f.data["kind"] == g.data["kind"] else 0.1
    return 0.0


def _facet_changes(old: list[_Facet], new: list[_Facet]) -> list[RuleChange]:
    out: list[RuleChange] = []
    grade_moves: dict[tuple[str | None, str | None], list[str]] = {}
    shared_moves: dict[bool, list[str]] = {}
    for kind in ("course", "courses", "credits", "gpa", "credential", "at_least", "window"):
        fo = [f for f in old if f.kind == kind]
        fn = [f for f in new if f.kind == kind]
        pairs, left_old, left_new = _pair(fo, fn, _similar)
        for a, b in pairs:
            name = b.name
            da, db = a.data, b.data
            if kind in ("courses", "credits") and da["need"] != db["need"]:
                unit = "courses" if kind == "courses" else "credits"
                out.append(
                    RuleChange(kind, name, da["need"], db["need"], f"{name}: {da['need']:g} → {db['need']:g} {unit}")
                )
            if kind in ("courses", "credits"):
                gained = sorted(set(db["courses"]) - set(da["courses"]))
                lost = sorted(set(da["courses"]) - set(db["courses"]))
                if gained:
                    out.append(
                        RuleChange("selector", name, None, gained, f"{name}: now also matches {', '.join(gained)}")
                    )
                if lost:
                    out.append(RuleChange("selector", name, lost, None, f"{name}: no longer matches {', '.join(lost)}"))
            if kind in ("credits", "gpa"):
                va, vb = da["credit_values"], db["credit_values"]
                for c in sorted(set(va) & set(vb)):
                    if va[c] != vb[c]:
                        out.append(
                            RuleChange(
                                "credit_values",
                                name,
                                va[c],
                                vb[c],
                                f"{name}: {c} counts {va[c]:g} → {vb[c]:g} credits",
                            )
                        )
            if kind == "credits":
                ga = sorted(set(db["admits"]) - set(da["admits"]))
                la = sorted(set(da["admits"]) - set(db["admits"]))
                if ga:
                    out.append(RuleChange("admits", name, None, ga, f"{name}: now also admits {', '.join(ga)}"))
                if la:
                    out.append(RuleChange("admits", name, la, None, f"{name}: no longer admits {', '.join(la)}"))
            if kind == "gpa":
                if da["need"] != db["need"]:
                    word = "GPA " if (b.node_id or b.label) else ""
                    msg = f"{name}: {word}{da['need']:g} → {db['need']:g}"
                    out.append(RuleChange("gpa", name, da["need"], db["need"], msg))
                oa, ob = da["over"], db["over"]
                if oa != ob:
                    if oa is None or ob is None:
                        old_t = "all courses" if oa is None else ", ".join(oa)
                        new_t = "all courses" if ob is None else ", ".join(ob)
                        out.append(RuleChange("gpa_over", name, oa, ob, f"{name}: GPA over {old_t} → {new_t}"))
                    else:
                        gained = sorted(set(ob) - set(oa))
                        lost = sorted(set(oa) - set(ob))
                        if gained:
                            msg = f"{name}: the GPA now also averages {', '.join(gained)}"
                            out.append(RuleChange("gpa_over", name, None, gained, msg))
                        if lost:
                            msg = f"{name}: the GPA no longer averages {', '.join(lost)}"
                            out.append(RuleChange("gpa_over", name, lost, None, msg))
            if kind == "at_least" and da["need"] != db["need"]:
                out.append(
                    RuleChange(
                        "at_least",
                        name,
                        da["need"],
                        db["need"],
                        f"{name}: {da['need']} → {db['need']} of {db['of']}"
                        if name == "at_least"
                        else f"{name}: at_least {da['need']} → {db['need']} of {db['of']}",
                    )
                )
            if kind == "window" and da["months"] != db["months"]:
                out.append(
                    RuleChange(
                        "complete_within",
                        name,
                        _duration_text(da["months"]),
                        _duration_text(db["months"]),
                        f"{name}: complete_within {_duration_text(da['months'])} → {_duration_text(db['months'])}",
                    )
                )
            if kind in ("course", "courses", "credits", "credential"):
                if da["level"] != db["level"]:
                    grade_moves.setdefault((da["min_grade"], db["min_grade"]), []).append(name)
                if da["shared"] != db["shared"]:
                    shared_moves.setdefault(db["shared"], []).append(name)
        if kind == "window":
            for f in left_old:
                months = _duration_text(f.data["months"])
                msg = f"{f.name}: complete_within {months} removed"
                out.append(RuleChange("complete_within", f.name, months, None, msg))
            for g in left_new:
                months = _duration_text(g.data["months"])
                msg = f"{g.name}: complete_within {months} added"
                out.append(RuleChange("complete_within", g.name, None, months, msg))
    for (g_old, g_new), moved in grade_moves.items():
        names = list(dict.fromkeys(moved))
        out.append(
            RuleChange(
                "min_grade",
                ", ".join(names),
                g_old,
                g_new,
                f"min_grade {g_old or 'none'} → {g_new or 'none'} on {_join(names)}",
            )
        )
    for now, moved in shared_moves.items():
        names = list(dict.fromkeys(moved))
        word = "now shared" if now else "no longer shared"
        out.append(RuleChange("shared", ", ".join(names), not now, now, f"{word}: {_join(names)}"))
    return out


# == fingerprints: does a credential's evaluation differ? ==================================


def _vf(cred: Credential | None) -> tuple[int, int] | None:
    if cred is None or cred.valid_for is None:
        return None
    return (cred.valid_for.years, cred.valid_for.months)


def _scale_key(catalog: Catalog) -> tuple[Any, ...]:
    return tuple(sorted((g.name, g.points, g.passing) for g in catalog.grade_scale.grades.values()))


def _own(cat: Catalog, n: CNode, *, grade: bool = True) -> Hashable:
    """What one compiled node contributes to evaluation, apart from its children: its kind,
    numbers, resolved course sets with the credits they count, modifiers, ``id`` (waivers
    name it) and, for a ``credential:`` node, the target's validity (awards expire by it).

    Only the leaves that count attempts (``course``, ``courses``, ``credits``) keep the
    ``min_grade`` in force: the solver reads it nowhere else, and compiling pushes it down to
    those leaves (through inlined credentials too), so a change of it shows there.
    """
    credits = cat.courses
    extra: Hashable = None
    if n.kind == "courses":
        extra = tuple(sorted(n.eligible))
    elif n.kind == "credits":
        admits = tuple(
            (a, cat.credentials[a].credits, _vf(cat.credentials[a])) for a in sorted(n.admits) if a in cat.credentials
        )
        extra = (tuple(sorted((c, credits[c].credits if c in credits else None) for c in n.eligible)), admits)
    elif n.kind == "gpa":
        over = credits if n.gpa_over is None else n.gpa_over
        extra = (n.gpa_over is None, tuple(sorted((c, credits[c].credits if c in credits else None) for c in over)))
    elif n.kind == "credential":
        target = cat.credentials.get(n.target or "")
        extra = (n.target, _vf(target), target is not None, n.inline is not None)
    counted = grade and n.kind in ("course", "courses", "credits")
    min_grade = (n.min_grade, n.min_points) if counted else (None, None)
    return (n.kind, n.owner, n.node_id, n.need, n.course, min_grade, n.window_months, n.shared, extra)


def _global(cc: CompiledCatalog, cid: str) -> Hashable:
    """What a credential's results depend on outside its rule."""
    cat = cc.catalog
    comp = cc.credentials[cid]
    everything = tuple(sorted((c, course.credits) for c, course in cat.courses.items()))
    scope = everything if comp.relevant_courses is None else None
    return (_vf(cat.credentials[cid]), scope, _scale_key(cat), cat.repeats)


def _fingerprint(cc: CompiledCatalog, cid: str) -> Hashable:
    """Everything a credential's status, ``earned_on`` and ``expires_on`` depend on. Equal
    fingerprints in two catalogues mean equal results for every transcript (the order of
    children does not matter: the evaluator is exact)."""
    cat = cc.catalog

    def node(n: CNode) -> Hashable:
        kids = tuple(sorted((node(c) for c in n.children), key=repr))
        inline = node(n.inline) if n.inline is not None else None
        return (_own(cat, n), kids, inline)

    root = cc.credentials[cid].root
    return (_global(cc, cid), node(root) if root is not None else None)


@dataclass(frozen=True)
class Scope:
    """Where two versions of a credential's rule differ, as a learner's record can reach it."""

    #: courses whose attempts (of any status) reach a node that differs
    courses: frozenset[str]
    #: credentials whose awards reach a node that differs
    credentials: frozenset[str]
    #: leaves that differ only in their ``min_grade``: (courses, points before, points after);
    #: an attempt reaches one only with a grade that one of the two accepts and not the other
    bands: tuple[tuple[frozenset[str], float | None, float | None], ...] = ()

    def reached(self, t: Transcript, scale: GradeScale) -> bool:
        for a in t.attempts:
            if a.course in self.courses:
                return True
            for courses, before, after in self.bands:
                if a.course in courses and a.status in ("completed", "transfer"):
                    g = scale.grades.get(a.grade or "")
                    if g is None or _meets(g, before) != _meets(g, after):
                        return True
        return any(aw.credential in self.credentials for aw in t.awarded)


def _meets(g: Grade, min_points: float | None) -> bool:
    """Whether a completed attempt with grade ``g`` may count under ``min_points`` (as the
    evaluator's ``Item.meets``)."""
    if not g.passing:
        return False
    if min_points is None:
        return True
    return g.points is not None and g.points >= min_points - EPS


def _scope(old: CompiledCatalog, new: CompiledCatalog, cid: str) -> Scope | None:
    """The courses and credentials through which two versions of a credential's rule differ
    (None: any learner may be affected).

    The compiled trees are walked side by side; where a node differs in itself (or in the
    number of its children), its whole subtree in both versions is a difference. A learner
    with no attempt (of any status) of those courses and no award of those credentials sees
    nothing in any differing subtree in either version: there every leaf has nothing to
    count, so each differing subtree has progress 0 and fails in both, a GPA floor averages
    nothing and fails, and the rest of the tree, the same in both, sees the same attempts.
    Such a learner's results are the same in both versions.

    A leaf that differs only in its ``min_grade`` is narrower still: an attempt that both
    grades accept, or both refuse, counts there the same way in both versions (an attempt
    in progress counts whatever the grade), so only a grade between the two reaches it.
    """
    if _global(old, cid) != _global(new, cid):
        return None
    a, b = old.credentials[cid].root, new.credentials[cid].root
    if a is None or b is None:
        return None
    pairs: list[tuple[CNode, CNode]] = []
    bands: list[tuple[frozenset[str], float | None, float | None]] = []

    def walk(x: CNode, y: CNode) -> None:
        own_x, own_y = _own(old.catalog, x), _own(new.catalog, y)
        if own_x == own_y and len(x.children) == len(y.children) and (x.inline is None) == (y.inline is None):
            for cx, cy in zip(x.children, y.children, strict=True):
                walk(cx, cy)
            if x.inline is not None and y.inline is not None:
                walk(x.inline, y.inline)
        elif x.kind in ("course", "courses", "credits") and _own(old.catalog, x, grade=False) == _own(
            new.catalog, y, grade=False
        ):
            courses = frozenset([x.course]) if x.kind == "course" and x.course is not None else x.eligible
            bands.append((courses, x.min_points, y.min_points))
        else:
            pairs.append((x, y))

    walk(a, b)
    courses: set[str] = set()
    credentials: set[str] = set()
    for x, y in pairs:
        for n in itertools.chain(x.walk(), y.walk()):
            if n.kind == "course" and n.course is not None:
                courses.add(n.course)
            elif n.kind in ("courses", "credits"):
                courses |= n.eligible
                credentials.update(n.admits)
            elif n.kind == "gpa":
                if n.gpa_over is None:
                    return None
                courses |= n.gpa_over
            elif n.kind == "credential" and n.target is not None:
                credentials.add(n.target)
    return Scope(frozenset(courses), frozenset(credentials), tuple(bands))


def _direct_targets(rule: RuleBase | None) -> list[str]:
    if rule is None:
        return []
    out: list[str] = []
    stack: list[RuleBase] = [rule]
    while stack:
        n = stack.pop()
        if isinstance(n, CredentialRule):
            out.append(n.credential)
        stack.extend(n.children())
    return sorted(set(out))


# == diff_catalogs ==========================================================================

_CRED_FIELDS = ("title", "type", "credits", "valid_for", "min_grade")
_COURSE_FIELDS = ("title", "credits", "subject", "level", "attributes")


def _compile(catalog: Catalog) -> CompiledCatalog:
    from microcred.rules.evaluate import compile_catalog

    return compile_catalog(catalog)


def diff_catalogs(old: Catalog, new: Catalog) -> CatalogDiff:
    """Compare two versions of a catalogue (both should be valid: see
    :func:`~microcred.checks.validate.load_catalog`)."""
    out = CatalogDiff(old.id, new.id)
    out.added = [c for c in new.credentials if c not in old.credentials]
    out.removed = [c for c in old.credentials if c not in new.credentials]
    if _scale_key(old) != _scale_key(new):
        out.catalogue.append(
            FieldChange(
                "grade_scale",
                [f"{g.name}={_show(g.points)}" for g in old.grade_scale.grades.values()],
                [f"{g.name}={_show(g.points)}" for g in new.grade_scale.grades.values()],
            )
        )
    if old.repeats != new.repeats:
        out.catalogue.append(FieldChange("repeats", old.repeats, new.repeats))
    out.courses_added = [c for c in new.courses if c not in old.courses]
    out.courses_removed = [c for c in old.courses if c not in new.courses]
    for cid, course in new.courses.items():
        was = old.courses.get(cid)
        if was is None:
            continue
        changes = [
            FieldChange(f, getattr(was, f), getattr(course, f))
            for f in _COURSE_FIELDS
            if getattr(was, f) != getattr(course, f)
        ]
        if changes:
            out.courses_changed[cid] = changes
    old_cc, new_cc = _compile(old), _compile(new)
    atoms: dict[tuple[Any, ...], _AtomInfo] = {}
    grades: dict[Level, str] = {}
    read_old = _Reader(old, "old", atoms, grades)
    read_new = _Reader(new, "new", atoms, grades)
    affected = {
        cid
        for cid in new.credentials
        if cid in old.credentials and _fingerprint(old_cc, cid) != _fingerprint(new_cc, cid)
    }
    for cid, cred in new.credentials.items():
        before = old.credentials.get(cid)
        if before is None:
            continue
        d = CredentialDiff(cid, cred.title)
        d.fields = [
            FieldChange(f, getattr(before, f), getattr(cred, f))
            for f in _CRED_FIELDS
            if getattr(before, f) != getattr(cred, f)
        ]
        d.affected = cid in affected
        d.includes_changed = [
            t for t in _direct_targets(cred.requires) if t in affected or t in out.added or t in out.removed
        ]
        _compare_rules(d, before, cred, read_old, read_new, atoms, grades)
        out.credentials[cid] = d
    return out


def _dump(rule: RuleBase | None) -> Any:
    return None if rule is None else rule.model_dump(by_alias=True, exclude_none=True)


def _compare_rules(
    d: CredentialDiff,
    before: Credential,
    after: Credential,
    read_old: _Reader,
    read_new: _Reader,
    atoms: dict[tuple[Any, ...], _AtomInfo],
    grades: dict[Level, str],
) -> None:
    if before.requires is None and after.requires is None:
        d.meaning = "no_rule"
        return
    if before.requires is None:
        d.meaning, d.rewritten = "rule_added", True
        return
    if after.requires is None:
        d.meaning, d.rewritten = "rule_removed", True
        return
    d.rewritten = _dump(before.requires) != _dump(after.requires) or before.min_grade != after.min_grade
    old_node, old_facets = read_old.credential(before.id)
    new_node, new_facets = read_new.credential(after.id)
    assert old_node is not None and new_node is not None
    d.changes = _facet_changes(old_facets, new_facets)
    canon_old, canon_new = _canon(old_node), _canon(new_node)
    if canon_old == canon_new:
        equivalent: bool | None = True
        examples: list[Counterexample] = []
    else:
        sides = _Sides(old_node, new_node)
        focus = _focus(canon_old, canon_new)
        if focus is not None:
            sides.focus_old, sides.focus_new = focus
        equivalent, examples = _Analysis(sides, atoms, grades).run()
    d.counterexamples = examples
    if examples or d.changes:
        d.meaning = "changed"
        if equivalent is None and not examples:
            d.note = "the skeleton was too large to compare; the changes below were found by pairing nodes"
    elif equivalent is None:
        d.meaning = "not_analysed"
    else:
        d.meaning = "equivalent" if d.rewritten or canon_old != canon_new else "unchanged"


# == rendering the diff =====================================================================


def render_diff(diff: CatalogDiff) -> str:
    """The diff in plain text, for a committee."""
    lines: list[str] = []
    title = diff.old_id if diff.old_id == diff.new_id else f"{diff.old_id} → {diff.new_id}"
    lines.append(f"Catalogue {title}")
    if diff.identical:
        lines.append("  no differences")
        return "\n".join(lines) + "\n"
    for f in diff.catalogue:
        lines.append(f"  {f}")
    if diff.added:
        lines.append(f"  credentials added: {', '.join(diff.added)}")
    if diff.removed:
        lines.append(f"  credentials removed: {', '.join(diff.removed)}")
    if diff.courses_added:
        lines.append(f"  courses added: {', '.join(diff.courses_added)}")
    if diff.courses_removed:
        lines.append(f"  courses removed: {', '.join(diff.courses_removed)}")
    for cid, fs in diff.courses_changed.items():
        lines.append(f"  course {cid}: " + "; ".join(str(f) for f in fs))
    shown = [d for d in diff.credentials.values() if d.changed or d.rewritten]
    # the credentials that changed themselves first, then those that only include one
    shown.sort(key=lambda d: not (d.fields or d.meaning != "unchanged"))
    for d in shown:
        lines.append("")
        lines.append(f"{d.id} ({d.title})")
        for f in d.fields:
            lines.append(f"  {f}")
        if d.meaning != "unchanged" or not d.includes_changed:
            lines.append(f"  rule: {d.verdict}")
        for c in d.counterexamples:
            lines.append(f"    e.g. {c}")
        for ch in d.changes:
            lines.append(f"    {ch}")
        if d.includes_changed:
            lines.append(f"  includes credentials that changed: {', '.join(d.includes_changed)}")
    rest = len(diff.credentials) - len(shown)
    lines.append("")
    lines.append(f"{rest} other credential{'s' if rest != 1 else ''} unchanged")
    return "\n".join(lines) + "\n"


# == impact on learners =====================================================================


@dataclass
class StatusChange:
    """One credential of one learner whose status, ``earned_on`` or ``expires_on`` differs.
    ``None`` on one side: the credential is not in that version of the catalogue."""

    credential: str
    old_status: str | None
    new_status: str | None
    old_earned_on: dt.date | None = None
    new_earned_on: dt.date | None = None
    old_expires_on: dt.date | None = None
    new_expires_on: dt.date | None = None
    old_progress: float | None = None
    new_progress: float | None = None

    @property
    def status_changed(self) -> bool:
        return self.old_status != self.new_status

    def _state(self, status: str | None, earned: dt.date | None, expires: dt.date | None) -> str:
        if status is None:
            return "(not in the catalogue)"
        text = status
        if earned is not None and self.old_earned_on != self.new_earned_on:
            text += f" on {earned.isoformat()}"
        if self.old_expires_on != self.new_expires_on and (status in ("earned", "expired")):
            text += f", expires {expires.isoformat() if expires else 'never'}"
        return text

    def __str__(self) -> str:
        old = self._state(self.old_status, self.old_earned_on, self.old_expires_on)
        new = self._state(self.new_status, self.new_earned_on, self.new_expires_on)
        return f"{self.credential}: {old} → {new}"

    def to_json(self) -> dict[str, Any]:
        def iso(d: dt.date | None) -> str | None:
            return d.isoformat() if d else None

        return {
            "credential": self.credential,
            "old": {
                "status": self.old_status,
                "earned_on": iso(self.old_earned_on),
                "expires_on": iso(self.old_expires_on),
                "progress": self.old_progress,
            },
            "new": {
                "status": self.new_status,
                "earned_on": iso(self.new_earned_on),
                "expires_on": iso(self.new_expires_on),
                "progress": self.new_progress,
            },
        }


@dataclass
class LearnerChange:
    """What the new catalogue changes for one learner (``changes`` empty: nothing)."""

    learner_id: str
    as_of: dt.date
    changes: list[StatusChange] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [f"{self.learner_id} {c}" for c in self.changes]

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def to_json(self) -> dict[str, Any]:
        return {
            "learner": self.learner_id,
            "as_of": self.as_of.isoformat(),
            "changes": [c.to_json() for c in self.changes],
        }


@dataclass
class LearnerError:
    """A learner who could not be compared: an unreadable record, or one that one version of
    the catalogue rejects (``catalogue``: ``old`` or ``new``; None: the record itself)."""

    learner_id: str | None
    diagnostics: list[Diagnostic]
    catalogue: str | None = None


@dataclass
class ImpactPlan:
    """What :func:`impact` evaluates: the compiled catalogues and the credentials to compare."""

    old: CompiledCatalog
    new: CompiledCatalog
    old_ids: list[str]
    new_ids: list[str]
    as_of: dt.date | None = None
    include_planned: bool = False
    #: for a credential in both versions: where its versions differ (see :func:`_scope`)
    scopes: dict[str, Scope | None] = field(default_factory=dict)

    @property
    def compared(self) -> list[str]:
        return list(dict.fromkeys([*self.new_ids, *self.old_ids]))

    def wanted(self, t: Transcript) -> tuple[list[str], list[str]]:
        """The credentials to evaluate for one learner, in the old and in the new version:
        those whose differences the learner's record reaches (all, with advisor exceptions:
        a waiver or a substitution reaches a node without its course)."""
        if t.exceptions or not self.scopes:
            return self.old_ids, self.new_ids
        scale = self.new.scale
        skip = {cid for cid, scope in self.scopes.items() if scope is not None and not scope.reached(t, scale)}
        if not skip:
            return self.old_ids, self.new_ids
        return [c for c in self.old_ids if c not in skip], [c for c in self.new_ids if c not in skip]


def plan_impact(
    old: Catalog | CompiledCatalog,
    new: Catalog | CompiledCatalog,
    as_of: dt.date | None = None,
    *,
    include_planned: bool = False,
) -> ImpactPlan:
    """Compile both catalogues (once) and find the credentials whose results may differ."""
    from microcred.rules.evaluate import compile_catalog

    occ, ncc = compile_catalog(old), compile_catalog(new)
    both = [c for c in ncc.credentials if c in occ.credentials]
    changed = [c for c in both if _fingerprint(occ, c) != _fingerprint(ncc, c)]
    added = [c for c in ncc.credentials if c not in occ.credentials]
    removed = [c for c in occ.credentials if c not in ncc.credentials]
    scopes = {c: _scope(occ, ncc, c) for c in changed}
    return ImpactPlan(occ, ncc, [*changed, *removed], [*changed, *added], as_of, include_planned, scopes)


def _compare_results(old: LearnerResult, new: LearnerResult, plan: ImpactPlan) -> list[StatusChange]:
    out: list[StatusChange] = []
    for cid in plan.compared:
        a = old.credentials.get(cid)
        b = new.credentials.get(cid)
        if a is None and b is None:
            continue
        if a is None or b is None:
            only = a or b
            assert only is not None
            if only.status == "not_started":
                continue
        elif (a.status, a.earned_on, a.expires_on) == (b.status, b.earned_on, b.expires_on):
            continue
        out.append(
            StatusChange(
                cid,
                a.status if a else None,
                b.status if b else None,
                a.earned_on if a else None,
                b.earned_on if b else None,
                a.expires_on if a else None,
                b.expires_on if b else None,
                a.progress if a else None,
                b.progress if b else None,
            )
        )
    return out


def compare_learner(plan: ImpactPlan, item: Transcript | TranscriptSource) -> LearnerChange | LearnerError:
    """One learner evaluated against both versions (only the credentials that may differ)."""
    from microcred.rules.evaluate import evaluate

    src = item if isinstance(item, TranscriptSource) else TranscriptSource(item, "<transcript>")
    lid = src.transcript.learner.id
    old_ids, new_ids = plan.wanted(src.transcript)
    results: list[LearnerResult] = []
    for side, cc, ids in (("old", plan.old, old_ids), ("new", plan.new, new_ids)):
        try:
            results.append(
                evaluate(
                    cc,
                    src,
                    plan.as_of,
                    include_planned=plan.include_planned,
                    credentials=ids,
                    detail=False,
                    stacking=False,
                )
            )
        except MicrocredError as exc:
            return LearnerError(lid, exc.diagnostics, side)
    old, new = results
    return LearnerChange(lid, new.as_of, _compare_results(old, new, plan))


ImpactItem = Transcript | TranscriptSource | TranscriptError


def _one(plan: ImpactPlan, item: Any) -> LearnerChange | LearnerError:
    if isinstance(item, tuple):  # a unit of microcred.run.batch: read it here (in the worker)
        from microcred.run.batch import _source_of

        item = _source_of(item)
    if isinstance(item, TranscriptError):
        return LearnerError(item.learner_id, item.diagnostics)
    result: LearnerChange | LearnerError = compare_learner(plan, item)
    return result


_PLAN: dict[str, ImpactPlan] = {}


def _init_worker(plan: ImpactPlan, parent: int | None = None) -> None:
    if parent is not None:
        from microcred.run.batch import guard_worker

        guard_worker(parent)  # Ctrl-C is the parent's; the worker dies with it
    _PLAN["plan"] = plan


def _chunk_work(chunk: list[Any]) -> list[LearnerChange | LearnerError]:
    plan = _PLAN["plan"]
    return [_one(plan, item) for item in chunk]


def _portable(plan: ImpactPlan) -> ImpactPlan:
    """The plan without source locations (they are for validation), cheap to send to workers."""

    def strip(cc: CompiledCatalog) -> CompiledCatalog:
        if not cc.catalog.sources.documents:
            return cc
        clone = CompiledCatalog.__new__(CompiledCatalog)
        clone.__dict__.update(cc.__dict__)
        clone.catalog = dataclasses.replace(cc.catalog, sources=SourceMap())
        return clone

    return dataclasses.replace(plan, old=strip(plan.old), new=strip(plan.new))


def _sendable(item: Any) -> Any:
    if isinstance(item, TranscriptSource) and item.document is not None:
        return dataclasses.replace(item, document=None)
    return item


def _local(plan: ImpactPlan, item: Any) -> bool:
    """Whether a learner is cheaper to settle here than to send to a worker: a transcript
    already read whose record reaches no difference (only its validity is checked)."""
    if isinstance(item, TranscriptSource):
        item = item.transcript
    if not isinstance(item, Transcript):
        return False
    old_ids, new_ids = plan.wanted(item)
    return not old_ids and not new_ids


_Slot = LearnerChange | LearnerError | None  # None: the worker's answer goes here


def run_impact(
    plan: ImpactPlan, items: Iterable[Any], *, jobs: int = 1, chunk: int = 64
) -> Iterator[LearnerChange | LearnerError]:
    """Compare every learner of ``items``, in order, lazily; ``jobs`` > 1 uses that many
    worker processes. Items: transcripts, transcript sources, transcript errors, or units of
    :func:`microcred.run.batch.units` (read in the workers). Learners whose record reaches no
    difference are settled in this process, without a trip to a worker."""
    if jobs <= 1:
        for item in items:
            yield _one(plan, item)
        return
    portable = _portable(plan)
    Work = tuple[list[_Slot], Future[list[LearnerChange | LearnerError]] | None]

    def merge(work: Work) -> Iterator[LearnerChange | LearnerError]:
        slots, future = work
        answers = iter(future.result()) if future is not None else iter(())
        for slot in slots:
            yield slot if slot is not None else next(answers)

    import multiprocessing

    parent = -1 if multiprocessing.get_start_method() == "forkserver" else os.getpid()
    with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, initargs=(portable, parent)) as pool:
        pending: deque[Work] = deque()
        slots: list[_Slot] = []
        batch: list[Any] = []

        def submit() -> Work:
            return (slots, pool.submit(_chunk_work, batch) if batch else None)

        for item in items:
            if _local(plan, item):
                slots.append(_one(plan, item))
            else:
                slots.append(None)
                batch.append(_sendable(item))
            if len(slots) >= chunk * 4 or len(batch) >= chunk:
                pending.append(submit())
                slots, batch = [], []
                while len(pending) >= 2 * jobs:
                    yield from merge(pending.popleft())
        if slots:
            pending.append(submit())
        while pending:
            yield from merge(pending.popleft())


def iter_impact(
    old: Catalog | CompiledCatalog,
    new: Catalog | CompiledCatalog,
    transcripts: Iterable[ImpactItem],
    as_of: dt.date | None = None,
    *,
    include_planned: bool = False,
    jobs: int = 1,
) -> Iterator[LearnerChange | LearnerError]:
    """Every learner compared, lazily: a :class:`LearnerChange` (perhaps with no changes) or a
    :class:`LearnerError`. Memory does not grow with the number of learners."""
    plan = plan_impact(old, new, as_of, include_planned=include_planned)
    yield from run_impact(plan, transcripts, jobs=jobs)


def impact(
    old: Catalog | CompiledCatalog,
    new: Catalog | CompiledCatalog,
    transcripts: Iterable[ImpactItem],
    as_of: dt.date | None = None,
    *,
    include_planned: bool = False,
    jobs: int = 1,
    errors: list[LearnerError] | None = None,
) -> list[LearnerChange]:
    """The learners whose results change from ``old`` to ``new``, each with its changes.

    ``as_of`` overrides each transcript's own date (default: the transcript's, else today).
    A learner who cannot be evaluated is appended to ``errors`` when a list is given;
    otherwise the first one raises :class:`~microcred.model.diagnostics.MicrocredError`.
    """
    out: list[LearnerChange] = []
    for r in iter_impact(old, new, transcripts, as_of, include_planned=include_planned, jobs=jobs):
        if isinstance(r, LearnerError):
            if errors is None:
                raise MicrocredError(r.diagnostics)
            errors.append(r)
        elif r.changes:
            out.append(r)
    return out


@dataclass
class ImpactSummary:
    """Counts over a run of :func:`iter_impact`."""

    learners: int = 0
    changed: int = 0
    errors: int = 0
    #: credential -> Counter of "old → new" status transitions
    transitions: dict[str, Counter[str]] = field(default_factory=dict)
    #: credential -> learners whose status is the same but earned_on or expires_on moved
    dates_only: Counter[str] = field(default_factory=Counter)

    def add(self, r: LearnerChange | LearnerError) -> None:
        if isinstance(r, LearnerError):
            self.errors += 1
            return
        self.learners += 1
        if r.changes:
            self.changed += 1
        for c in r.changes:
            if c.status_changed:
                move = f"{c.old_status or '(absent)'} → {c.new_status or '(absent)'}"
                self.transitions.setdefault(c.credential, Counter())[move] += 1
            else:
                self.dates_only[c.credential] += 1

    def to_json(self) -> dict[str, Any]:
        return {
            "learners": self.learners,
            "changed": self.changed,
            "errors": self.errors,
            "status_changes": {
                cid: {"learners": sum(t.values()), "transitions": dict(t)} for cid, t in self.transitions.items()
            },
            "date_changes": dict(self.dates_only),
        }

    def render(self, as_of: dt.date | None = None) -> str:
        when = f" (as of {as_of.isoformat()})" if as_of else ""
        lines = [
            f"Impact on {self.learners} learner{'s' if self.learners != 1 else ''}{when}: "
            f"{self.changed} with changes" + (f"; {self.errors} could not be compared" if self.errors else "")
        ]
        if self.transitions:
            lines.append("  status changes, by credential:")
            for cid in sorted(self.transitions, key=lambda c: (-sum(self.transitions[c].values()), c)):
                t = self.transitions[cid]
                n = sum(t.values())
                moves = ", ".join(f"{m}: {k}" for m, k in sorted(t.items(), key=lambda x: (-x[1], x[0])))
                lines.append(f"    {cid}: {n} learner{'s' if n != 1 else ''} ({moves})")
        if self.dates_only:
            lines.append("  same status, earned_on or expires_on moved:")
            for cid, n in sorted(self.dates_only.items(), key=lambda x: (-x[1], x[0])):
                lines.append(f"    {cid}: {n} learner{'s' if n != 1 else ''}")
        return "\n".join(lines) + "\n"


def to_json_line(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


__all__ = [
    "CatalogDiff",
    "Counterexample",
    "CredentialDiff",
    "FieldChange",
    "ImpactPlan",
    "ImpactSummary",
    "LearnerChange",
    "LearnerError",
    "RuleChange",
    "StatusChange",
    "compare_learner",
    "diff_catalogs",
    "impact",
    "iter_impact",
    "plan_impact",
    "render_diff",
    "run_impact",
]
