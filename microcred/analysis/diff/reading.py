"""diff's reading of a rule's skeleton: grade names of levels, what atoms ask for, facets for pairing, canonical form.

The skeleton itself is built by :class:`microcred.rules.skeleton.Reader`, the walk the static
checks use too; :class:`_Reader` reads with the catalogue's grade scale, asks each kind for its
atom (``RuleKind.diff_atom``) and records on the way what only ``diff`` needs.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from microcred.model.catalog import Catalog
from microcred.rules.kinds import KINDS, Shape
from microcred.rules.kinds.base import Place
from microcred.rules.nodes import RuleBase, Selector
from microcred.rules.selectors import CourseIndex
from microcred.rules.skeleton import Atom, Join, Node, Occ, Reader, months

#: The grade points of the min_grade in force (diff reads with the catalogue's grade scale); None: any passing grade.
Level = float | None


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


class _Reader(Reader):
    """Reads one catalogue's rules into skeletons, with the catalogue's grade scale, recording
    what each atom asks for (``atoms``, shared by both versions), the grade name of each level
    (``grades``) and each node's facet; a leaf that is no course occurrence is read by its kind
    (``RuleKind.diff_atom``, through the protocol ``microcred.rules.kinds.base.Reading``)."""

    notes = True

    def __init__(self, catalog: Catalog, side: str, atoms: dict[Hashable, _AtomInfo], grades: dict[Level, str]):
        super().__init__(catalog.grade_scale)
        self.catalog = catalog
        self.side = side
        self.index = CourseIndex(catalog.courses)
        self.atoms = atoms
        self.grades = grades
        self.credits = {cid: c.credits for cid, c in catalog.courses.items()}
        self.facets: list[_Facet] = []

    def credential(self, cid: str) -> tuple[Node | None, list[_Facet]]:
        """The skeleton of credential ``cid``'s rule (None: it has none) and the facets of its nodes."""
        cred = self.catalog.credentials[cid]
        facets: list[_Facet] = []
        if cred.requires is None:
            return None, facets
        self.facets = facets
        return self.read(cred.requires, owner=cid, min_grade=cred.min_grade), facets

    def points(self, grade: str | None) -> float | None:
        points = super().points(grade)
        if points is not None and grade is not None:
            self.grades.setdefault(points, grade)
        return points

    # -- the facets of gates, windows and course occurrences --------------------------------

    def enter(self, rule: RuleBase, at: Place, own_window: int | None, depth: int) -> None:
        if own_window is not None:
            self.facets.append(
                _Facet(
                    "window",
                    at.name or (f"the {rule.kind} node" if depth else "the rule"),
                    rule.id,
                    rule.label,
                    ("window", own_window, rule.kind),
                    {"months": own_window, "kind": rule.kind},
                )
            )

    def joined(self, rule: RuleBase, node: Join, at: Place) -> Node:
        if node.op == "atleast":
            of = len(node.children)
            self.facets.append(
                _Facet(
                    rule.kind,
                    at.name or rule.kind,
                    rule.id,
                    rule.label,
                    (rule.kind, node.need, of),
                    {"need": node.need, "of": of},
                )
            )
        return node

    def occurred(self, rule: RuleBase, node: Occ, at: Place) -> Node:
        self.facets.append(
            _Facet(
                rule.kind,
                at.name or node.course,
                rule.id,
                rule.label,
                (rule.kind, node.course, at.level, at.shared),
                {"course": node.course, "min_grade": at.min_grade, "level": at.level, "shared": at.shared},
            )
        )
        return node

    def leaf(self, rule: RuleBase, form: Shape, at: Place, own_window: int | None) -> Node:
        node: Node = KINDS[rule.kind].diff_atom(self, rule, at)
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
    ) -> Atom:
        self.atoms.setdefault(
            key, _AtomInfo(rule.kind, need, courses, admits or {}, level, window, target, text, self.side)
        )
        return Atom(key, consumes, window=months(rule.complete_within), rule=rule)

    def any_of(self, rule: RuleBase, options: Sequence[RuleBase], at: Place) -> Join:
        facets = self.facets
        kids = []
        for o in options:
            self.facets = []  # the options' own facets are not recorded
            kids.append(self.below(o, at.min_grade, at.shared, at.window, at.owner, 1))
        self.facets = facets
        return Join("or", 1, months(rule.complete_within), tuple(kids), rule)

    def facet(self, rule: RuleBase, name: str, sig: tuple[Any, ...], data: dict[str, Any]) -> None:
        self.facets.append(_Facet(rule.kind, name, rule.id, rule.label, sig, data))


# -- canonical form: rewrites that never change meaning -----------------------------------


def _canon(node: Node) -> Node:
    """The canonical form of a skeleton: nested ``all``/``any`` flattened, one-child gates
    dissolved, ``at_least`` N of N as ``all`` and 1 of N as ``any``, repeated ``any``
    branches merged, children sorted. Equal canonical forms mean the same rule."""
    if not isinstance(node, Join):
        return node
    kids = [_canon(c) for c in node.children]
    op, need = node.op, node.need
    if op == "atleast":
        if need == len(kids):
            op = "and"
        elif need == 1:
            op = "or"
    if op in ("and", "or"):
        flat: list[Node] = []
        for k in kids:
            if isinstance(k, Join) and k.op == op and k.window is None:
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
    return Join(op, need, node.window, tuple(kids))
