"""A deliberately naive, brute-force reference evaluator, written from CONTRACT.md §1–§4 only.

It shares nothing with the engine but the pydantic models (catalogue, rule nodes, transcript),
the record of a verified external credential, the grade scale and selector matching. It is
slow on purpose: for a credential and a cut date it enumerates EVERY assignment of the
learner's counting attempts to the leaves of the rule (each attempt to at most one non-shared
leaf, or to none; shared leaves pick any subset of what they may count) and keeps the best
progress. Exactness of the engine is then checked by
comparing the two on many small random cases (tests/test_exactness.py).

Readings of the contract taken here (each quoted where it is used):

* One attempt per course counts, chosen by the catalogue's ``repeats`` policy (§1, §2 gpa):
  ``latest``: the latest attempt; ``best``: passing graded attempts by grade points, then
  passing attempts without points ("a passing grade without points beats a failing one"),
  then failing ones; ties go to the later attempt.
* A leaf counts an attempt when the attempt passes, the course matches, and the ``min_grade``
  in force (the nearest one; a ``credential:`` node inlines its credential's own
  ``min_grade`` if set, else keeps the one in force) is met: points ≥ points(G); grades
  without points never meet a ``min_grade``.
* ``complete_within`` drops every assignment whose attempts counted below the node span more
  than the window (latest ≤ earliest + N, calendar arithmetic, 29 Feb + 1 y → 28 Feb).
* ``gpa`` nodes count no attempts (they are no leaf): credit-weighted over the repeats-chosen
  graded attempts of the courses the selector matches (all when absent); no graded attempt at
  all → no GPA → not met.
* ``credential: X``: an award of X held at the cut date satisfies it (progress 1, no courses,
  no dates); otherwise X's rule is evaluated inline, its leaves are leaves of the parent.
* ``credits`` nodes admitting credentials add the catalogue ``credits`` of each admitted
  credential held at the cut date; within one credential such an award counts like a course,
  toward one ``credits`` node only unless the node is shared (docs/rules.md). A ``credits``
  selector with only ``credentials:`` admits those credentials and no course (§6).
* An award is held at a cut date D when dated on or before D and not expired on D (§6); an
  award without ``expires_on`` of a credential with ``valid_for`` expires at its date plus
  ``valid_for`` (§6).
* In-progress attempts (status ``in_progress``) count, for the ``in_progress`` status only, as
  passing attempts dated ``as_of`` that meet any ``min_grade`` and carry no grade points. Each
  replaces its course's counted attempt, so the course leaves every GPA (§6).

* ``competency: U`` with optional ``level: L`` (docs/rules.md, docs/competencies.md) is ``any``
  over the courses whose ``competencies`` list U (at a level ≥ L when L is given) and the other
  credentials aligned with U so: listed among their own ``competencies``, or their rule cannot
  be met, reading each node on its own, without what carries U (see :func:`aligned`). A
  credential option already being expanded is held by award only. References are plain URIs.
Extensions (docs/rules.md "Caps", the transcript's ``exceptions``):

* A waiver (``waive: ID``, optionally limited to the credential whose rule holds the node)
  makes every node with that ``id`` met: progress 1, nothing counted below it, no dates.
* A substitution (``substitute: {course: X, for: Y}``, optionally for one credential) makes
  attempts of X attempts of Y for that credential: they compete with Y's own attempts under
  the repeats policy, match as Y and carry Y's catalogue credits.
* ``limits.prior_learning_credits: P``: of the awards admitted by ``credits`` nodes, a set
  worth at most P credits counts (every such set is tried).
* ``limits.shared_with: [{credential: B, max_courses: N | max_credits: X}]``: of the courses
  counted toward B (given: B's result lists them), a set of at most N courses (X credits)
  may count here (every such set is tried); the others count nowhere in this credential
  (a GPA still averages them).

Recognition (docs/recognition.md), from external credentials already verified (each with its
refusal, or none), see :func:`recognise`:

* a credential counts when it verified, its subject id is one of the learner's ids (the id,
  ``learner.identifiers``, ``mailto:`` + email), it is the newest of those with its issuer
  and id (issue date, then source), and a rule accepts it: the first in catalogue order whose
  match names it (every key given holds: ``issuer``, ``achievement``, a common ``ctid``, a
  ``competency`` (a URI, or ``framework:code``) that one of its competency alignments names;
  without ``issuer`` a trusted-issuer list must list the issuer), in whose window its issue date falls, and
  whose numeric ``min_result`` one of its results reaches;
* it becomes an award (dated its issue date, expiring when it does) or a transfer attempt of
  the course with the rule's credits (default the course's) and grade;
* ``limits.recognised_credits: X`` (or ``P%`` of the credential's credits): of the awards so
  granted admitted by ``credits`` nodes, and of the courses whose counted attempt at the cut
  date is a recognised one, a set worth at most X credits counts (every such set is tried);
  ``limits.residency_credits: N`` the same with X = the credential's credits − N (the smaller
  of the two when both are given).
* An attempt's own ``credits`` replace its course's, in ``credits`` nodes and GPAs alike.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from microcred.io.transcript import Attempt, Awarded, Substitute, Transcript, Waive
from microcred.model.catalog import Catalog, Course
from microcred.model.recognition import ExternalCredential
from microcred.rules.nodes import (
    AllRule,
    AnyRule,
    AtLeastRule,
    CompetencyRule,
    CourseRule,
    CoursesRule,
    CredentialRule,
    CreditsRule,
    Duration,
    GpaRule,
    RuleBase,
    Selector,
)
from microcred.rules.selectors import course_matches
from microcred.taxonomy.grades import GradeScale

# --------------------------------------------------------------------------- dates


def add_span(day: dt.date, span: Duration) -> dt.date:
    """``day`` plus years and months; a day the target month lacks becomes its last day."""
    months = day.month - 1 + span.years * 12 + span.months
    year = day.year + months // 12
    month = months % 12 + 1
    d = day.day
    while True:
        try:
            return dt.date(year, month, d)
        except ValueError:
            d -= 1


def frac(x: float | int) -> Fraction:
    """A decimal number as written (3.7 → 37/10), not its binary float."""
    return Fraction(str(x))


# --------------------------------------------------------------------------- attempts


@dataclass(frozen=True)
class Att:
    """One attempt as the reference sees it. ``wild``: an in-progress attempt counted as
    passing, meeting any min_grade, without points."""

    course: str
    date: dt.date
    grade: str | None
    points: Fraction | None
    passing: bool
    wild: bool = False
    index: int = 0  # position in the transcript, only to keep attempts distinct
    award: str | None = None  # an awarded credential admitted for credit (course: "credential:<id>")
    credits: Fraction | None = None  # the attempt's own credits, when it gives them

    def meets(self, min_points: Fraction | None) -> bool:
        if not self.passing:
            return False
        if min_points is None or self.wild:
            return True
        return self.points is not None and self.points >= min_points


def best_key(a: Att) -> tuple[int, Fraction, dt.date]:
    """repeats: best — graded passing by points > passing without points > failing; ties: later."""
    if a.passing and a.points is not None:
        rank = 2
    elif a.passing:
        rank = 1
    else:
        rank = 0
    return (rank, a.points if a.points is not None else Fraction(-1), a.date)


def choose_attempts(atts: Iterable[Att], policy: str) -> dict[str, Att]:
    """The one attempt of each course that counts, by the repeats policy."""
    by_course: dict[str, list[Att]] = {}
    for a in atts:
        by_course.setdefault(a.course, []).append(a)
    chosen: dict[str, Att] = {}
    for course, group in by_course.items():
        if policy == "latest":
            chosen[course] = max(group, key=lambda a: a.date)
        else:
            chosen[course] = max(group, key=best_key)
    return chosen


# --------------------------------------------------------------------------- expanded rules


@dataclass
class Leaf:
    kind: str  # course | courses | credits
    course: str | None
    selector: Selector | None
    need: Fraction
    min_points: Fraction | None
    shared: bool
    window: Duration | None
    admits: tuple[str, ...] = ()  # credits: credentials admitted at their catalogue credits


@dataclass
class Gpa:
    threshold: Fraction
    selector: Selector | None
    window: Duration | None
    min_points: Fraction | None


@dataclass
class Group:
    kind: str  # all | any | at_least
    n: int
    children: list[Node]
    window: Duration | None


@dataclass
class Cred:
    credential: str
    inner: Node | None  # the credential's rule inlined; None when it has no rule
    window: Duration | None


@dataclass
class Waived:
    """A node an advisor waived: met, counting nothing."""

    window: Duration | None = None


Node = Leaf | Gpa | Group | Cred | Waived


@dataclass
class Ctx:
    catalog: Catalog
    scale: GradeScale
    #: (node id, credential or None) of each waiver
    waivers: tuple[tuple[str, str | None], ...] = ()

    def min_points(self, grade: str | None) -> Fraction | None:
        if grade is None:
            return None
        p = self.scale.points(grade)
        assert p is not None, "a min_grade has points (validated)"
        return frac(p)


def expand(ctx: Ctx, rule: RuleBase, min_grade: str | None, shared: bool, stack: tuple[str, ...]) -> Node:
    """The rule with min_grade and shared pushed down to the leaves and credentials inlined."""
    if rule.id is not None and any(w == rule.id and c in (None, stack[-1]) for w, c in ctx.waivers):
        return Waived()
    if rule.min_grade is not None:
        min_grade = rule.min_grade  # the nearest min_grade wins
    shared = shared or rule.shared
    window = rule.complete_within
    if isinstance(rule, CourseRule):
        return Leaf("course", rule.course, None, Fraction(1), ctx.min_points(min_grade), shared, window)
    if isinstance(rule, CoursesRule):
        return Leaf("courses", None, rule.from_, Fraction(rule.courses), ctx.min_points(min_grade), shared, window)
    if isinstance(rule, CreditsRule):
        admits: list[str] = []
        f = rule.from_.credentials
        if f is not None:
            for cid, cred in ctx.catalog.credentials.items():
                if cid in stack:
                    continue  # a credential never counts toward itself
                if (f.ids is not None and cid in f.ids) or (f.type is not None and cred.type == f.type):
                    admits.append(cid)
        return Leaf(
            "credits", None, rule.from_, frac(rule.credits), ctx.min_points(min_grade), shared, window, tuple(admits)
        )
    if isinstance(rule, GpaRule):
        return Gpa(frac(rule.gpa), rule.over, window, ctx.min_points(min_grade))
    if isinstance(rule, (AllRule, AnyRule, AtLeastRule)):
        kids = [expand(ctx, k, min_grade, shared, stack) for k in rule.children()]
        if isinstance(rule, AllRule):
            return Group("all", len(kids), kids, window)
        if isinstance(rule, AnyRule):
            return Group("any", 1, kids, window)
        return Group("at_least", rule.at_least, kids, window)
    if isinstance(rule, CompetencyRule):
        points = ctx.min_points(min_grade)
        kids: list[Node] = [
            Leaf("course", c, None, Fraction(1), points, shared, None)
            for c, course in ctx.catalog.courses.items()
            if _carries(course.competencies, rule.competency, rule.level)
        ]
        for cid in ctx.catalog.credentials:
            if cid != stack[-1] and aligned(ctx.catalog, cid, rule.competency, rule.level):
                kids.append(expand(ctx, CredentialRule(credential=cid), min_grade, shared, stack))
        return Group("any", 1, kids, window)
    if isinstance(rule, CredentialRule):
        other = ctx.catalog.credentials[rule.credential]
        if rule.credential in stack:  # reached again through a competency option: held by award only
            return Cred(rule.credential, None, window)
        inner = None
        if other.requires is not None:
            # "its own min_grade if it sets one, else the one in force at the node"
            inner = expand(ctx, other.requires, other.min_grade or min_grade, shared, (*stack, rule.credential))
        return Cred(rule.credential, inner, window)
    raise TypeError(rule)


def _carries(items: Iterable[object], uri: str, level: int | None) -> bool:
    """Whether a ``competencies`` list names ``uri`` at ``level`` or above (any level, or none,
    when ``level`` is None)."""
    for item in items:
        u, lv = (item, None) if isinstance(item, str) else (item.uri, item.level)  # type: ignore[attr-defined]
        if u == uri and (level is None or (lv is not None and lv >= level)):
            return True
    return False


def aligned(catalog: Catalog, cid: str, uri: str, level: int | None) -> bool:
    """Credential ``cid`` aligns with ``uri`` at ``level``: it lists it, or its rule cannot be met
    when every course, credential and competency node that carries it is taken away (each node
    read on its own: ``credits`` and ``gpa`` nodes are never the ones that carry it)."""
    cred = catalog.credentials[cid]
    if _carries(cred.competencies, uri, level):
        return True
    if cred.requires is None:
        return False

    def free_course(c: str) -> bool:
        course = catalog.courses.get(c)
        return course is not None and not _carries(course.competencies, uri, level)

    def can(rule: RuleBase) -> bool:
        if isinstance(rule, CourseRule):
            return free_course(rule.course)
        if isinstance(rule, CoursesRule):
            n = sum(1 for c in catalog.courses.values() if course_matches(c, rule.from_) and free_course(c.id))
            return n >= rule.courses
        if isinstance(rule, CredentialRule):
            return not aligned(catalog, rule.credential, uri, level)
        if isinstance(rule, CompetencyRule):
            return not (rule.competency == uri and (level is None or (rule.level is not None and rule.level >= level)))
        if isinstance(rule, AllRule):
            return all(can(k) for k in rule.children())
        if isinstance(rule, AnyRule):
            return any(can(k) for k in rule.children())
        if isinstance(rule, AtLeastRule):
            return sum(can(k) for k in rule.children()) >= rule.at_least
        return True

    return not can(cred.requires)


def leaves_of(node: Node | None) -> list[Leaf]:
    if node is None or isinstance(node, (Gpa, Waived)):
        return []
    if isinstance(node, Leaf):
        return [node]
    if isinstance(node, Cred):
        return leaves_of(node.inner)
    return [leaf for k in node.children for leaf in leaves_of(k)]


def gpas_of(node: Node | None) -> list[Gpa]:
    if node is None or isinstance(node, (Leaf, Waived)):
        return []
    if isinstance(node, Gpa):
        return [node]
    if isinstance(node, Cred):
        return gpas_of(node.inner)
    return [g for k in node.children for g in gpas_of(k)]


def only_credentials(sel: Selector) -> bool:
    """§6: a selector that gives ``credentials:`` and no course filter."""
    course_filters = (sel.ids, sel.subject, sel.level, sel.attribute, sel.exclude)
    return getattr(sel, "credentials", None) is not None and all(f is None for f in course_filters)


# --------------------------------------------------------------------------- one scenario


@dataclass
class Scenario:
    """What the learner has at a cut date: the counting attempt of each course, and awards."""

    chosen: dict[str, Att]
    held: frozenset[str]  # credentials awarded on or before the cut date and not expired on it
    award_dates: dict[str, dt.date] = field(default_factory=dict)  # of those held


class TooLarge(Exception):
    pass


@dataclass(frozen=True)
class Caps:
    """What a credential's ``limits`` allow: awards admitted for credit worth at most ``prior``
    credits in all; of each set of courses in ``shared``, at most ``limit`` courses (or
    credits, when ``by_credits``)."""

    prior: Fraction | None = None
    shared: tuple[tuple[frozenset[str], bool, Fraction], ...] = ()
    #: recognised learning: at most this many credits; attempts from index ``native`` on, and
    #: awards of ``granted``, are recognised ones
    recognised: Fraction | None = None
    native: int = 0
    granted: frozenset[str] = frozenset()


@dataclass
class Evaluation:
    ctx: Ctx
    scenario: Scenario
    root: Node
    gpa_met: dict[int, bool] = field(default_factory=dict)
    assignments: int = 0
    caps: Caps = field(default_factory=Caps)

    # ---- leaves

    def course_of(self, a: Att) -> Course:
        return self.ctx.catalog.courses[a.course]

    def eligible(self, leaf: Leaf, a: Att) -> bool:
        if a.award is not None:
            # "an admitted award counts like a course: toward one credits node only"
            return leaf.kind == "credits" and a.award in leaf.admits
        if not a.meets(leaf.min_points):
            return False
        if leaf.kind == "course":
            return a.course == leaf.course
        assert leaf.selector is not None
        if only_credentials(leaf.selector):
            return False  # §6: it admits awarded credentials and no course
        return course_matches(self.course_of(a), leaf.selector)

    def credits_of(self, a: Att) -> Fraction:
        if a.award is not None:
            return frac(self.ctx.catalog.credentials[a.award].credits or 0)
        if a.credits is not None:
            return a.credits
        return frac(self.course_of(a).credits)

    def gpa(self, g: Gpa) -> bool:
        num = Fraction(0)
        den = Fraction(0)
        for a in self.scenario.chosen.values():
            if a.points is None:
                continue  # only graded attempts (a wild attempt has no points)
            if g.selector is not None and not course_matches(self.course_of(a), g.selector):
                continue
            c = self.credits_of(a)
            num += a.points * c
            den += c
        if den == 0:
            return False  # no graded attempt: no GPA to meet the threshold
        return num / den >= g.threshold

    # ---- one assignment

    def value(self, node: Node | None, given: dict[int, frozenset[Att]]) -> tuple[Fraction, frozenset[dt.date]] | None:
        """(progress, dates counted below) of ``node`` under an assignment; None if it breaks a
        ``complete_within``."""
        if node is None:
            return Fraction(0), frozenset()
        if isinstance(node, Leaf):
            atts = given.get(id(node), frozenset())
            if node.kind == "course":
                p = Fraction(1) if atts else Fraction(0)
            elif node.kind == "courses":
                k = len({a.course for a in atts})
                p = min(Fraction(k), node.need) / node.need
            else:
                c = sum((self.credits_of(a) for a in atts), Fraction(0))
                p = min(c, node.need) / node.need
            dates = frozenset(a.date for a in atts)
        elif isinstance(node, Gpa):
            p = Fraction(1) if self.gpa_met[id(node)] else Fraction(0)
            dates = frozenset()
        elif isinstance(node, Waived):
            p, dates = Fraction(1), frozenset()
        elif isinstance(node, Cred):
            if node.credential in self.scenario.held:
                # the award satisfies it; nothing is counted by the inlined rule
                p, dates = Fraction(1), frozenset()
            else:
                got = self.value(node.inner, given)
                if got is None:
                    return None
                p, dates = got
        else:
            vals = []
            dates = frozenset()
            for child in node.children:
                got = self.value(child, given)
                if got is None:
                    return None
                vals.append(got[0])
                dates |= got[1]
            if node.kind == "all":
                p = sum(vals, Fraction(0)) / len(vals)
            elif node.kind == "any":
                p = max(vals, default=Fraction(0))
            else:
                best = sorted(vals, reverse=True)[: node.n]
                p = sum(best, Fraction(0)) / node.n
        if node.window is not None and dates and max(dates) > add_span(min(dates), node.window):
            return None
        return p, dates

    # ---- every assignment

    def best_progress(self, limit: int | None = None) -> Fraction:
        for g in gpas_of(self.root):
            self.gpa_met[id(g)] = self.gpa(g)
        attempts = sorted(self.scenario.chosen.values(), key=lambda a: a.course)
        # every set of admitted awards, and of capped courses, the caps allow
        award_sets: list[frozenset[str] | None] = [None]
        admitted = {c for leaf in leaves_of(self.root) for c in leaf.admits if c in self.scenario.held}
        if self.caps.prior is not None:
            held = sorted(admitted)
            worth = {c: frac(self.ctx.catalog.credentials[c].credits or 0) for c in held}
            award_sets = [
                frozenset(s)
                for r in range(len(held) + 1)
                for s in itertools.combinations(held, r)
                if sum((worth[c] for c in s), Fraction(0)) <= self.caps.prior
            ]
        course_sets: list[frozenset[str] | None] = [None]
        capped = sorted({a.course for a in attempts if any(a.course in keys for keys, _b, _l in self.caps.shared)})

        def used(s: Sequence[str], keys: frozenset[str], by_credits: bool) -> Fraction:
            each = [frac(self.ctx.catalog.courses[c].credits) if by_credits else Fraction(1) for c in s if c in keys]
            return sum(each, Fraction(0))

        if self.caps.shared:
            course_sets = [
                frozenset(s)
                for r in range(len(capped) + 1)
                for s in itertools.combinations(capped, r)
                if all(used(s, keys, by_credits) <= cap for keys, by_credits, cap in self.caps.shared)
            ]
        # recognised items: the granted awards admitted, and the courses whose counted attempt
        # is a recognised one
        rec_sets: list[frozenset[str] | None] = [None]
        rec_items: dict[str, Fraction] = {}
        if self.caps.recognised is not None:
            for c in sorted(admitted & self.caps.granted):
                rec_items["credential:" + c] = frac(self.ctx.catalog.credentials[c].credits or 0)
            for a in attempts:
                if not a.wild and a.index >= self.caps.native:
                    rec_items[a.course] = self.credits_of(a)
            keys = sorted(rec_items)
            rec_sets = [
                frozenset(s)
                for r in range(len(keys) + 1)
                for s in itertools.combinations(keys, r)
                if sum((rec_items[k] for k in s), Fraction(0)) <= self.caps.recognised
            ]
        best = Fraction(0)
        for awards in award_sets:
            for courses in course_sets:
                for rec in rec_sets:
                    allowed = [
                        a
                        for a in attempts
                        if (courses is None or a.course not in capped or a.course in courses)
                        and (rec is None or a.course not in rec_items or a.course in rec)
                    ]
                    # the admitted awards held (those the caps allow) take part like attempts
                    allowed += [
                        Att("credential:" + c, self.scenario.award_dates[c], None, None, True, award=c)
                        for c in sorted(admitted)
                        if (awards is None or c in awards)
                        and (rec is None or "credential:" + c not in rec_items or "credential:" + c in rec)
                    ]
                    best = max(best, self._best(allowed, limit))
                    if best == 1:
                        return best
        return best

    def _best(self, attempts: list[Att], limit: int | None) -> Fraction:
        """The best progress when ``attempts`` may count (and the awards ``award_ok`` allows)."""
        # leaves inside credentials satisfied by an award count nothing: leave them out
        leaves = self._live_leaves(self.root)
        exclusive = [leaf for leaf in leaves if not leaf.shared]
        shared = [leaf for leaf in leaves if leaf.shared]
        # each attempt: to no leaf, or to one non-shared leaf that may count it
        per_attempt: list[list[Leaf | None]] = []
        for a in attempts:
            per_attempt.append([None, *(leaf for leaf in exclusive if self.eligible(leaf, a))])
        # each shared leaf: any subset of the attempts it may count
        per_shared: list[list[frozenset[Att]]] = []
        for leaf in shared:
            ok = [a for a in attempts if self.eligible(leaf, a)]
            per_shared.append([frozenset(c) for r in range(len(ok) + 1) for c in itertools.combinations(ok, r)])
        total = 1
        for opts in per_attempt:
            total *= len(opts)
        for subsets in per_shared:
            total *= len(subsets)
        self.assignments += total
        if limit is not None and self.assignments > limit:
            raise TooLarge(self.assignments)
        best = Fraction(0)
        for choice in itertools.product(*per_attempt):
            base: dict[int, set[Att]] = {}
            for a, target in zip(attempts, choice, strict=True):
                if target is not None:
                    base.setdefault(id(target), set()).add(a)
            for shared_choice in itertools.product(*per_shared):
                given = {k: frozenset(v) for k, v in base.items()}
                for leaf, subset in zip(shared, shared_choice, strict=True):
                    given[id(leaf)] = subset
                got = self.value(self.root, given)
                if got is not None and got[0] > best:
                    best = got[0]
                    if best == 1:
                        return best
        return best

    def _live_leaves(self, node: Node | None) -> list[Leaf]:
        if node is None or isinstance(node, (Gpa, Waived)):
            return []
        if isinstance(node, Leaf):
            return [node]
        if isinstance(node, Cred):
            if node.credential in self.scenario.held:
                return []
            return self._live_leaves(node.inner)
        return [leaf for k in node.children for leaf in self._live_leaves(k)]


# --------------------------------------------------------------------------- the learner


@dataclass
class RefResult:
    status: str
    earned_on: dt.date | None
    expires_on: dt.date | None
    progress: Fraction


class Reference:
    def __init__(
        self,
        catalog: Catalog,
        transcript: Transcript,
        as_of: dt.date,
        *,
        limit: int | None = None,
        counted: Mapping[str, Iterable[str]] | None = None,
        native: int | None = None,
        granted: Iterable[str] = (),
    ):
        """``counted``: for each credential B a ``shared_with`` cap names, the courses counted
        toward B (by B's result). ``native``: attempts from this index on were recognised
        (see :func:`recognise`), as were the awards of ``granted``."""
        self.catalog = catalog
        waivers = tuple((e.waive, e.credential) for e in transcript.exceptions if isinstance(e, Waive))
        self.ctx = Ctx(catalog, catalog.grade_scale, waivers)
        self.counted = {k: frozenset(v) for k, v in (counted or {}).items()}
        self.t = transcript
        self.as_of = as_of
        self.limit = limit
        self.native = len(transcript.attempts) if native is None else native
        self.granted = frozenset(granted)
        self.max_assignments = 0
        scale = self.ctx.scale
        self.done: list[Att] = []
        self.wild: list[Att] = []
        for i, a in enumerate(transcript.attempts):
            # a course the catalogue lacks counts nowhere, unless substituted for one it has
            if a.status in ("completed", "transfer"):
                assert a.date is not None and a.grade is not None
                if a.date > as_of:
                    continue
                g = scale[a.grade]
                pts = frac(g.points) if g.points is not None else None
                own = frac(a.credits) if a.credits is not None else None
                self.done.append(Att(a.course, a.date, a.grade, pts, g.passing, index=i, credits=own))
            elif a.status == "in_progress":
                self.wild.append(Att(a.course, as_of, None, None, True, wild=True, index=i))

    # ---- awards

    def awards(self) -> list[Awarded]:
        return [aw for aw in self.t.awarded if aw.credential in self.catalog.credentials and aw.date <= self.as_of]

    def award_expiry(self, aw: Awarded) -> dt.date | None:
        if aw.expires_on is not None:
            return aw.expires_on
        vf = self.catalog.credentials[aw.credential].valid_for
        return add_span(aw.date, vf) if vf is not None else None

    def held(self, cut: dt.date) -> frozenset[str]:
        """Credentials awarded on or before ``cut`` and not expired on ``cut`` (§6)."""
        out = set()
        for aw in self.awards():
            exp = self.award_expiry(aw)
            if aw.date <= cut and (exp is None or cut < exp):
                out.add(aw.credential)
        return frozenset(out)

    # ---- progress

    def progress(self, cid: str, cut: dt.date, *, in_progress: bool = False) -> Fraction:
        cred = self.catalog.credentials[cid]
        if cred.requires is None:
            return Fraction(0)
        atts = [a for a in self.done if a.date <= cut]
        if in_progress:
            # §6: the attempt being taken replaces the course's counted attempt (GPA included)
            atts += self.wild
        subs = {
            e.substitute.course: e.substitute.for_
            for e in self.t.exceptions
            if isinstance(e, Substitute) and e.credential in (None, cid)
        }
        atts = [dataclasses.replace(a, course=subs.get(a.course, a.course)) for a in atts]
        atts = [a for a in atts if a.course in self.catalog.courses]
        chosen = choose_attempts([a for a in atts if not a.wild], self.catalog.repeats)
        chosen.update((a.course, a) for a in atts if a.wild)
        held = self.held(cut)
        dates = {aw.credential: aw.date for aw in self.awards() if aw.credential in held and aw.date <= cut}
        scen = Scenario(chosen, held, dates)
        root = expand(self.ctx, cred.requires, cred.min_grade, False, (cid,))
        ev = Evaluation(self.ctx, scen, root, caps=self.caps(cid))
        p = ev.best_progress(self.limit)
        self.max_assignments = max(self.max_assignments, ev.assignments)
        return p

    def caps(self, cid: str) -> Caps:
        lim = self.catalog.credentials[cid].limits
        if lim is None:
            return Caps()
        prior = frac(lim.prior_learning_credits) if lim.prior_learning_credits is not None else None
        recognised: Fraction | None = None
        if isinstance(lim.recognised_credits, str):
            share = Fraction(lim.recognised_credits.strip().rstrip("%").strip()) / 100
            recognised = frac(self.catalog.credentials[cid].credits or 0) * share
        elif lim.recognised_credits is not None:
            recognised = frac(lim.recognised_credits)
        if lim.residency_credits is not None:
            # the credits that must be earned here leave the rest to recognised learning
            rest = max(Fraction(0), frac(self.catalog.credentials[cid].credits or 0) - frac(lim.residency_credits))
            recognised = rest if recognised is None else min(recognised, rest)
        shared = []
        for s in lim.shared_with:
            if s.credential not in self.counted:
                raise KeyError(f"{cid} caps what it shares with {s.credential}: pass counted={{{s.credential!r}: ...}}")
            if s.max_credits is not None:
                shared.append((self.counted[s.credential], True, frac(s.max_credits)))
            else:
                shared.append((self.counted[s.credential], False, Fraction(s.max_courses or 0)))
        return Caps(prior, tuple(shared), recognised, self.native, self.granted)

    # ---- one credential

    def credential(self, cid: str) -> RefResult:
        cred = self.catalog.credentials[cid]
        mine = [aw for aw in self.awards() if aw.credential == cid]
        if mine:
            aw = min(mine, key=lambda a: a.date)
            exp = self.award_expiry(aw)
            status = "expired" if exp is not None and self.as_of >= exp else "earned"
            return RefResult(status, aw.date, exp, Fraction(1))
        now = self.progress(cid, self.as_of)
        if now == 1:
            dates = sorted({a.date for a in self.done} | {aw.date for aw in self.awards()})
            earned_on = next(d for d in dates if self.progress(cid, d) == 1)
            exp = add_span(earned_on, cred.valid_for) if cred.valid_for is not None else None
            status = "expired" if exp is not None and self.as_of >= exp else "earned"
            return RefResult(status, earned_on, exp, now)
        ip = bool(self.wild) and self.progress(cid, self.as_of, in_progress=True) == 1
        if ip:
            status = "in_progress"
        elif now > 0:
            status = "partial"
        else:
            status = "not_started"
        return RefResult(status, None, None, now)

    def evaluate(self) -> dict[str, RefResult]:
        return {cid: self.credential(cid) for cid in self.catalog.credentials}


def reference_evaluate(
    catalog: Catalog,
    transcript: Transcript,
    as_of: dt.date,
    *,
    limit: int | None = None,
    counted: Mapping[str, Iterable[str]] | None = None,
    evidence: Sequence[ExternalCredential] | None = None,
) -> dict[str, RefResult]:
    if evidence is None:
        return Reference(catalog, transcript, as_of, limit=limit, counted=counted).evaluate()
    augmented, granted, _accepted = recognise(catalog, transcript, evidence)
    native = len(transcript.attempts)
    return Reference(catalog, augmented, as_of, limit=limit, counted=counted, native=native, granted=granted).evaluate()


# --------------------------------------------------------------------------- recognition


def recognise(
    catalog: Catalog, transcript: Transcript, evidence: Sequence[ExternalCredential]
) -> tuple[Transcript, frozenset[str], dict[int, str]]:
    """(the transcript with what is recognised appended, the credentials awarded by
    recognition, and for each accepted credential, by its position in ``evidence``, the id of
    the rule that accepted it). Written from docs/recognition.md."""
    learner = transcript.learner
    mine = {learner.id, *learner.identifiers}
    if learner.email:
        mine.add("mailto:" + learner.email.strip().lower())
    ok = [
        (i, e)
        for i, e in enumerate(evidence)
        if e.refusal is None and e.issued is not None and any(s in mine for s in e.subject_ids)
    ]
    # OB 3.0 equality: the same issuer and id are one credential; the later issued one stands
    kept: list[tuple[int, ExternalCredential]] = []
    for i, e in ok:
        rivals = [f for _j, f in ok if f.issuer and f.id and (f.issuer, f.id) == (e.issuer, e.id)]
        if e.issuer and e.id and max(rivals, key=lambda f: (f.issued, f.source)) is not e:
            continue
        kept.append((i, e))
    attempts = list(transcript.attempts)
    awarded = list(transcript.awarded)
    granted: set[str] = set()
    accepted: dict[int, str] = {}
    for i, e in kept:
        assert e.issued is not None
        for rule in catalog.recognition:
            m = rule.match
            issuers = [m.issuer] if isinstance(m.issuer, str) else m.issuer
            achievements = [m.achievement] if isinstance(m.achievement, str) else m.achievement
            ctids = [m.ctid] if isinstance(m.ctid, str) else m.ctid
            wanted = [m.competency] if isinstance(m.competency, str) else m.competency
            if issuers is not None and e.issuer not in issuers:
                continue
            if achievements is not None and e.achievement not in achievements:
                continue
            if ctids is not None and not set(ctids) & set(e.ctids):
                continue
            if wanted is not None and not {_competency(catalog, w) for w in wanted} & set(e.competencies):
                continue
            if achievements is None and ctids is None and wanted is None:
                continue
            if issuers is None and not e.trusted_by:
                continue
            if rule.valid_from is not None and e.issued < rule.valid_from:
                continue
            if rule.valid_until is not None and e.issued >= rule.valid_until:
                continue
            if rule.min_result is not None:
                floor = Fraction(str(rule.min_result))
                values = [n for n in map(_number, e.results) if n is not None]
                if not any(n >= floor for n in values):
                    continue
            g = rule.grants
            if g.credential is not None:
                until = e.valid_until if e.valid_until is not None and e.valid_until > e.issued else None
                awarded.append(Awarded(credential=g.credential, date=e.issued, expires_on=until))
                granted.add(g.credential)
            else:
                assert g.course is not None
                credits = g.credits if g.credits is not None else catalog.courses[g.course].credits
                attempts.append(
                    Attempt(course=g.course, date=e.issued, grade=g.grade, credits=credits, status="transfer")
                )
            accepted[i] = rule.id
            break
    out = transcript.model_copy(update={"attempts": attempts, "awarded": awarded})
    return out, frozenset(granted), accepted


def _competency(catalog: Catalog, ref: str) -> str:
    """The URI a rule's ``competency`` names: a URI the frameworks define, or ``framework:code``."""
    if ref in catalog.competencies:
        return ref
    for (fw, code), uri in catalog.competency_codes.items():
        if f"{fw}:{code}" == ref:
            return uri
    return ref


def _number(text: str) -> Fraction | None:
    try:
        return Fraction(text.strip())
    except ValueError:
        return None


__all__: Sequence[str] = ["RefResult", "Reference", "TooLarge", "add_span", "recognise", "reference_evaluate"]
