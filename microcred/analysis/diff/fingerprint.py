"""Whether a credential's results can differ between two catalogues, and which learners' records reach it."""

from __future__ import annotations

import itertools
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from microcred.io.transcript import Transcript
from microcred.model.catalog import Catalog, Credential
from microcred.rules.compiled import CNode, CompiledCatalog
from microcred.rules.kinds import KINDS
from microcred.rules.kinds.base import validity
from microcred.rules.nodes import RuleBase
from microcred.rules.scenario import EPS
from microcred.taxonomy.grades import Grade, GradeScale

# == fingerprints: does a credential's evaluation differ? ==================================


def _vf(cred: Credential | None) -> tuple[int, int] | None:
    return validity(cred)


def _scale_key(catalog: Catalog) -> tuple[Any, ...]:
    return tuple(sorted((g.name, g.points, g.passing) for g in catalog.grade_scale.grades.values()))


def _own(cat: Catalog, n: CNode, *, grade: bool = True) -> Hashable:
    """What one compiled node contributes to evaluation, apart from its children: its kind,
    numbers, resolved course sets with the credits they count, modifiers, ``id`` (waivers
    name it) and, for a ``credential:`` node, the target's validity (awards expire by it).

    Only the leaves that count attempts (``consuming`` kinds: ``course``, ``courses``, ``credits``) keep the
    ``min_grade`` in force: the solver reads it nowhere else, and compiling pushes it down to
    those leaves (through inlined credentials too), so a change of it shows there.
    """
    kind = KINDS[n.kind]
    extra: Hashable = kind.fingerprint(cat, n)
    counted = grade and kind.consuming
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
        elif KINDS[x.kind].consuming and _own(old.catalog, x, grade=False) == _own(new.catalog, y, grade=False):
            bands.append((KINDS[x.kind].relevant(x) or frozenset(), x.min_points, y.min_points))
        else:
            pairs.append((x, y))

    walk(a, b)
    courses: set[str] = set()
    credentials: set[str] = set()
    for x, y in pairs:
        for n in itertools.chain(x.walk(), y.walk()):
            reach = KINDS[n.kind].relevant(n)  # (None: every course, as a GPA over all courses)
            if reach is None:
                return None
            courses |= reach
            credentials.update(n.admits)
            if n.target is not None:
                credentials.add(n.target)
    return Scope(frozenset(courses), frozenset(credentials), tuple(bands))


def _direct_targets(rule: RuleBase | None) -> list[str]:
    if rule is None:
        return []
    out: list[str] = []
    stack: list[RuleBase] = [rule]
    while stack:
        n = stack.pop()
        if n.named_credential is not None:
            out.append(n.named_credential)
        stack.extend(n.children())
    return sorted(set(out))
