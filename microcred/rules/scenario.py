"""What a learner's record offers at one date: the one attempt that counts per course (by the
repeats policy), the credentials held, and GPAs.

A *scenario* is the record cut to a date D (attempts and awards dated on or before D), in
one of two modes: ``completed`` (completed and transfer attempts only) or ``in_progress``
(in-progress attempts also count, as passing, dated ``as_of``, meeting any ``min_grade``; each
replaces its course's counted attempt, and having no points it takes the course out of every
GPA). An award counts at D when dated on or before D and not expired on D.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from microcred.io.transcript import Attempt, Awarded
from microcred.taxonomy.grades import GradeScale

EPS = 1e-9


@dataclass(frozen=True, slots=True)
class Item:
    """Something that can count toward a leaf: a course attempt, or an awarded credential
    admitted at its credit value."""

    key: str  # the catalogue course it counts as (after substitution), or "credential:<id>"
    course: str  # the course actually taken (or the credential id)
    date: dt.date
    grade: str | None
    points: float | None
    passing: bool
    credits: float
    status: str
    virtual: bool = False  # an in-progress attempt counted as passing
    attempt: int = -1  # index in the transcript's attempts (-1: an award)
    substituted: bool = False

    def meets(self, min_points: float | None) -> bool:
        """Whether this item may count under a ``min_grade`` of ``min_points``."""
        if self.status == "awarded":
            return True  # an award admitted at its credit value has no grade to compare
        if not self.passing:
            return False
        if min_points is None or self.virtual:
            return True
        return self.points is not None and self.points >= min_points - EPS


def attempt_rank(scale: GradeScale, a: Attempt, index: int, policy: str) -> tuple[float, ...]:
    """Sort key: the attempt that counts is the one with the largest key."""
    assert a.date is not None
    order = (a.date.toordinal(), index)
    if policy == "latest":
        return order
    g = scale.grades.get(a.grade or "")
    if g is None:
        return (-1.0, -1.0, *order)
    tier = (2.0 if g.points is not None else 1.0) if g.passing else 0.0
    return (tier, g.points if g.points is not None else -1.0, *order)


@dataclass
class Scenario:
    cut: dt.date
    mode: str
    items: dict[str, Item]  # by key
    awards: dict[str, Awarded]  # credential id -> award valid at the cut
    graded: dict[str, tuple[float, float]]  # course -> (points, credits) of the attempt that counts
    superseded: dict[int, int] = field(default_factory=dict)  # attempt index -> the index that counts
    fixed_gpa: float | None = None  # every GPA, when set (static checks)
    _gpa: dict[frozenset[str] | None, float | None] = field(default_factory=dict)

    def holds(self, credential: str) -> bool:
        return credential in self.awards

    def gpa(self, over: frozenset[str] | None) -> float | None:
        """Credit-weighted GPA of the graded attempts that count (None when there are none)."""
        if self.fixed_gpa is not None:
            return self.fixed_gpa
        if over in self._gpa:
            return self._gpa[over]
        # exactly rounded sums (math.fsum): the GPA does not depend on the order of the attempts
        products: list[float] = []
        weights: list[float] = []
        for course, (points, credits) in self.graded.items():
            if over is None or course in over:
                products.append(points * credits)
                weights.append(credits)
        weight = math.fsum(weights)
        value = math.fsum(products) / weight if weight > 0 else None
        self._gpa[over] = value
        return value


def build_scenario(
    *,
    attempts: list[Attempt],
    awarded: list[Awarded],
    credits_of: Mapping[str, float],
    credential_credits: Mapping[str, float | None],
    scale: GradeScale,
    policy: str,
    cut: dt.date,
    as_of: dt.date,
    mode: str,
    pending: tuple[str, ...] = ("in_progress",),
    substitutions: Mapping[str, str] | None = None,
    memo: dict[tuple[int, str], tuple[tuple[float, ...], Item]] | None = None,
) -> Scenario:
    """The scenario of a record at ``cut``. Attempts of courses the catalogue lacks are ignored
    (the caller warns about them).

    ``memo`` (one dict per record, shared by its scenarios) keeps each attempt's rank and item:
    they do not depend on the cut, so a record cut at many dates builds them once."""
    subs = substitutions or {}
    memo = {} if memo is None else memo
    best: dict[str, tuple[tuple[float, ...], Item]] = {}
    groups: dict[str, list[int]] = {}
    for i, a in enumerate(attempts):
        if a.status not in ("completed", "transfer") or a.date is None or a.date > cut:
            continue
        key = subs.get(a.course, a.course)
        if key not in credits_of:
            continue
        known = memo.get((i, key))
        if known is None:
            g = scale.grades.get(a.grade or "")
            known = (
                attempt_rank(scale, a, i, policy),
                Item(
                    key=key,
                    course=a.course,
                    date=a.date,
                    grade=a.grade,
                    points=g.points if g else None,
                    passing=bool(g and g.passing),
                    credits=a.credits if a.credits is not None else credits_of[key],
                    status=a.status,
                    attempt=i,
                    substituted=key != a.course,
                ),
            )
            memo[(i, key)] = known
        groups.setdefault(key, []).append(i)
        if key not in best or known[0] > best[key][0]:
            best[key] = known
    items: dict[str, Item] = {}
    graded: dict[str, tuple[float, float]] = {}
    superseded: dict[int, int] = {}
    for key, (_rank, item) in best.items():
        items[key] = item
        if item.points is not None:
            graded[key] = (item.points, item.credits)
        i = item.attempt
        for j in groups[key]:
            if j != i:
                superseded[j] = i
    if mode == "in_progress":
        for i, a in enumerate(attempts):
            if a.status not in pending:
                continue
            key = subs.get(a.course, a.course)
            if key not in credits_of:
                continue
            credits = a.credits if a.credits is not None else credits_of[key]
            # the attempt being taken replaces the course's counted attempt, for GPAs too: it
            # has no points yet, so the course leaves every GPA (CONTRACT.md §6)
            graded.pop(key, None)
            items[key] = Item(
                key=key,
                course=a.course,
                date=as_of,
                grade=None,
                points=None,
                passing=True,
                credits=credits,
                status=a.status,
                virtual=True,
                attempt=i,
                substituted=key != a.course,
            )
    awards: dict[str, Awarded] = {}
    for aw in awarded:
        if aw.date > cut or (aw.expires_on is not None and cut >= aw.expires_on):
            continue
        prev = awards.get(aw.credential)
        if prev is None or aw.date > prev.date:
            awards[aw.credential] = aw
    for cid, aw in awards.items():
        value = credential_credits.get(cid)
        if value:
            items["credential:" + cid] = Item(
                key="credential:" + cid,
                course=cid,
                date=aw.date,
                grade=None,
                points=None,
                passing=True,
                credits=value,
                status="awarded",
            )
    return Scenario(cut, mode, items, awards, graded, superseded)
