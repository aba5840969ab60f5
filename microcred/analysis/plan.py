"""Planning: the cheapest further courses that would earn a credential, and the stack
pathways from a credential up to the top.

:func:`plan` answers an advisor's question "what is the least this learner still has to
take to earn X?" exactly. The learner's record as the evaluator sees it at ``as_of`` (one
attempt per course by the repeats policy, awards held, GPAs) is combined with one candidate
*new attempt* per catalogue course that can matter to X: completed on ``as_of`` with the top
grade of the scale. The whole rule of X (with its inline credentials, exclusivity, ``shared``
leaves, ``min_grade``, ``complete_within`` windows, credit for prior learning, GPA floors and
the caps of its ``limits``) is encoded as an OR-Tools CP-SAT model, the engine's encoding of
the rule (:class:`microcred.rules.cpsat.RuleModel`) with 0/1 "take it" variables on top that
choose the courses, over the rule as the solver settles it
(:func:`microcred.rules.settling.settle`, the GPA floors left open for the model); the root
must be satisfied, and the objective is, in order: fewest credits, fewest courses, most
courses the learner already has in progress or planned, then the set whose sorted course ids
come first. Every set the solver proposes is then checked by the evaluator itself
(:func:`microcred.rules.evaluate.evaluate` on the transcript plus the new attempts): only sets that
make X ``earned`` are returned. Alternatives are the next cheapest sets, each not a superset
of a set found before it (a plan plus a spare course is no alternative); courses that are
interchangeable for X (same credits, counting toward the same requirements, the same effect on
every GPA) are not alternatives of each other but listed with the course planned
(``or_instead``). See docs/plan.md.

:func:`pathways` lists the stack paths from a credential to the credentials that stack into
nothing (:func:`microcred.model.graph.paths_to_top`), with the credits still needed for each
credential on the way.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from microcred.io.modelerrors import suggest
from microcred.io.transcript import Attempt, Awarded, Substitute, Transcript, TranscriptSource, Waive
from microcred.model.catalog import Catalog
from microcred.model.dates import add_span
from microcred.model.diagnostics import MicrocredError
from microcred.model.graph import paths_to_top
from microcred.model.result import CredentialResult
from microcred.rules.compiled import CNode, CompiledCatalog, CompiledCredential
from microcred.rules.cpsat import TIME_LIMIT_S as TIME_LIMIT_S
from microcred.rules.cpsat import RuleModel, new_solver
from microcred.rules.evaluate import check_transcript, compile_catalog, evaluate
from microcred.rules.kinds import KINDS, RuleKind
from microcred.rules.scenario import EPS, Item, Scenario, build_scenario
from microcred.rules.settling import leaves_below, leaves_by_key, settle
from microcred.taxonomy.grades import Grade, GradeScale

#: Credits are read to hundredths (as by the CP-SAT assignment encoding).
CREDIT_SCALE = 100
#: Sets proposed by the model that the evaluator rejected, before planning gives up (see
#: :class:`PlanUnconfirmed`).
MAX_REJECTED = 25
#: Bits of each objective of the tie-break by course id.
LEX_CHUNK = 48


class PlanError(Exception):
    """The target cannot be earned by taking further courses (the message says why), or it
    is not in the catalogue."""

    def __init__(self, target: str, reason: str):
        super().__init__(f"{target} cannot be earned: {reason}")
        self.target = target
        self.reason = reason


class PlanUnconfirmed(Exception):
    """Planning gave up: the evaluator rejected every set of courses the model proposed, up to
    the limit of rejections. It says nothing about whether the target can be earned."""

    def __init__(self, target: str, rejected: Sequence[str], cause: str, limit: int):
        self.target = target
        self.rejected = list(rejected)
        n = len(rejected)
        self.reason = (
            f"planning {target} gave up after the evaluator rejected {n} set{'s' if n != 1 else ''} of courses "
            f"the planning model proposed, cheapest first (the first: {rejected[0]}). {cause} Raise the limit of "
            f"rejections (--max-rejected, now {limit}) to let the search go on, or check a set with `microcred "
            "evaluate` after adding its courses to the transcript."
        )
        super().__init__(self.reason)


class UnknownCredential(PlanError):
    """The credential named is not in the catalogue."""

    def __init__(self, target: str, choices: Iterable[str]):
        Exception.__init__(self, f"no credential {target!r} in the catalogue{suggest(target, choices)}")
        self.target = target
        self.reason = str(self)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class PlannedCourse:
    """One further course of a plan."""

    course: str
    title: str
    credits: float
    #: the learner already has a completed (or transfer) attempt of it: this is a retake
    retake: bool = False
    #: ``in_progress`` or ``planned`` when the learner's record already lists it so
    pending: str | None = None
    #: the requirements it counts toward in the verified evaluation
    counts_toward: tuple[str, ...] = ()
    #: courses that would do exactly as well in its place (same credits, counting toward the
    #: same requirements, the same effect on every GPA), in id order
    or_instead: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "course": self.course,
            "title": self.title,
            "credits": self.credits,
            "retake": self.retake,
            "counts_toward": list(self.counts_toward),
            "or_instead": list(self.or_instead),
        }
        if self.pending:
            out["pending"] = self.pending
        return out


@dataclass(frozen=True, slots=True)
class CourseSet:
    """A set of further courses that, once completed, earns the target (verified)."""

    courses: tuple[PlannedCourse, ...]
    #: the target's ``earned_on`` and ``expires_on`` once these courses are completed
    earned_on: dt.date | None = None
    expires_on: dt.date | None = None

    @property
    def credits(self) -> float:
        return float(sum(Fraction(str(c.credits)) for c in self.courses))

    @property
    def ids(self) -> list[str]:
        return [c.course for c in self.courses]

    def __len__(self) -> int:
        return len(self.courses)

    def to_json(self) -> dict[str, Any]:
        return {
            "credits": self.credits,
            "count": len(self.courses),
            "courses": [c.to_json() for c in self.courses],
            "earned_on": self.earned_on.isoformat() if self.earned_on else None,
            "expires_on": self.expires_on.isoformat() if self.expires_on else None,
        }


@dataclass
class Plan:
    """The cheapest way to earn ``target``, and the next cheapest alternatives."""

    target: str
    title: str
    learner_id: str
    as_of: dt.date
    #: the target's status and progress now
    status: str
    progress: float
    #: the grade the new attempts are assumed to receive (the top of the scale)
    grade: str
    #: the cheapest set (empty when the target is already earned)
    best: CourseSet
    alternatives: list[CourseSet] = field(default_factory=list)
    #: set when the search for alternatives stopped early (the alternatives listed are right,
    #: and in order, but there may be more)
    alternatives_note: str | None = None

    @property
    def already_earned(self) -> bool:
        return self.status == "earned"

    @property
    def options(self) -> list[CourseSet]:
        return [self.best, *self.alternatives]

    def to_json(self) -> dict[str, Any]:
        return {
            "learner": {"id": self.learner_id},
            "as_of": self.as_of.isoformat(),
            "target": {
                "id": self.target,
                "title": self.title,
                "status": self.status,
                "progress": self.progress,
            },
            "possible": True,
            "already_earned": self.already_earned,
            "grade": self.grade,
            "plan": self.best.to_json(),
            "alternatives": [a.to_json() for a in self.alternatives],
            **({"alternatives_note": self.alternatives_note} if self.alternatives_note else {}),
        }


# --------------------------------------------------------------------------- the model


@dataclass
class _Slot:
    """Something that may count toward a leaf: an item of the record, or a candidate new
    attempt. ``old`` items are present unless their course is taken again; ``new`` ones only
    when taken."""

    item: Item
    role: str  # "fixed" | "old" | "new"
    course: str | None = None  # the candidate course its presence depends on


@dataclass
class _Gpa:
    """A GPA floor as two integer linear forms over the take variables:
    surplus = Σ (points − floor) × credits ≥ 0 and weight = Σ credits > 0."""

    surplus0: int
    surplus: dict[str, int]
    weight0: int
    weight: dict[str, int]
    #: exact values for explanations
    base: tuple[Fraction, Fraction]
    deltas: dict[str, tuple[Fraction, Fraction]]


@dataclass(eq=False)
class Cap:
    """A cap of the target's ``limits`` as the model applies it (as the evaluator's solver
    budgets do): of the items whose keys are counted by the cap, those that count toward the
    target weigh at most ``limit`` in all (hundredths of credits with ``by_credits``, else
    courses).

    The keys counted are ``keys``; for a sharing cap whose credential's counted courses the
    plan can change (``other``), they are derived from that credential's leaves (``follow``)
    when its choice of what counts is forced, else learned: ``learned`` holds pairs (the
    courses of a set taken among ``courses``, the keys the other credential then counts),
    each a fact found by the evaluator, which the model applies to every set that takes
    exactly those of ``courses`` (None: of every candidate)."""

    keys: frozenset[str]
    by_credits: bool
    limit: int
    #: how the catalogue states it, for reasons
    text: str
    other: str | None = None
    courses: frozenset[str] | None = None
    learned: list[tuple[frozenset[str], frozenset[str]]] = field(default_factory=list)
    #: the other credential's active leaves, when what it counts follows from the courses
    #: taken alone (see :func:`_forced`): then the model derives it instead of learning it
    follow: list[CNode] | None = None

    @property
    def exact(self) -> bool:
        """Whether the model knows what the cap weighs without asking the evaluator."""
        return self.other is None or self.follow is not None

    def weight(self, item: Item) -> int:
        return round(item.credits * CREDIT_SCALE) if self.by_credits else 1

    def all_keys(self) -> frozenset[str]:
        return self.keys.union(*(k for _p, k in self.learned))


def _leaf_keys(leaf: CNode) -> set[str]:
    """The keys of the items that may count toward a leaf (courses, ``credential:<id>``)."""
    return set(KINDS[leaf.kind].keys(leaf))


def _moves(kind: RuleKind) -> bool:
    """Whether the courses planned can move a node of this kind down as well as up (a GPA
    floor): the planner models it rather than settle it."""
    return not kind.monotone


def _integers(values: Sequence[Fraction]) -> tuple[int, list[int]]:
    """A common denominator and the values on it."""
    den = math.lcm(*(v.denominator for v in values)) if values else 1
    return den, [int(v * den) for v in values]


def top_grade(scale: GradeScale) -> Grade | None:
    """The grade a planned course is assumed to receive: the passing grade with the most
    points (the first passing grade without points when the scale has no graded passing
    grade; None when nothing passes)."""
    graded = [g for g in scale.grades.values() if g.passing and g.points is not None]
    if graded:
        return max(graded, key=lambda g: g.points or 0.0)
    plain = [g for g in scale.grades.values() if g.passing]
    return plain[0] if plain else None


class Problem:
    """One target credential in one learner's scenario, with its candidate courses, ready to
    be turned into CP-SAT models."""

    def __init__(
        self,
        cc: CompiledCatalog,
        comp: CompiledCredential,
        sc: Scenario,
        waived: frozenset[int],
        as_of: dt.date,
        top: Grade,
        subs: Mapping[str, str],
        pending: Mapping[str, str],
        caps: Sequence[Cap] = (),
    ):
        assert comp.root is not None
        self.cc = cc
        self.comp = comp
        self.root: CNode = comp.root
        self.sc = sc
        self.as_of = as_of
        self.top = top
        self.pending = pending
        self.caps = list(caps)
        catalog = cc.catalog
        # settled as the solver settles it, except the GPA floors: the courses planned move
        # them, so they are modelled (``_gpa_form``)
        settled = settle(self.root, sc, waived, leave_open=_moves)
        self.constants: dict[int, bool] = {nid: value >= 1 for nid, value in settled.constants.items()}
        self.active: dict[int, CNode] = settled.active
        self.windows: list[CNode] = settled.windows
        self.gpas: list[CNode] = settled.opened
        leaves = settled.leaves
        self.leaves = leaves
        active = self.active
        by_key = leaves_by_key(comp)  # (every leaf: those of settled nodes are left out below)

        # candidate courses: every course that can matter, not standing in for another
        rel = comp.relevant_courses
        # and every course that can change what a credential the target shares with counts
        # (taking one may fill that credential up, so that it leaves a course to the target)
        moving: set[str] | None = set()
        for cap in self.caps:
            if cap.other is not None:
                moving = None if moving is None or cap.courses is None else moving | cap.courses
        pool = sorted(catalog.courses) if rel is None or moving is None else sorted(rel | moving)
        new_items: dict[str, Item] = {}
        for course in pool:
            if course in subs or course not in catalog.courses:
                continue
            new_items[course] = Item(
                key=course,
                course=course,
                date=as_of,
                grade=top.name,
                points=top.points,
                passing=True,
                credits=catalog.courses[course].credits,
                status="completed",
            )

        self.new_items = new_items

        # GPA floors as linear forms over the candidates
        self.gpa_forms: dict[int, _Gpa] = {}
        gpa_courses: set[str] = set()
        for node in self.gpas:
            form = self._gpa_form(node, new_items)
            if form is None:
                continue
            self.gpa_forms[id(node)] = form
            gpa_courses |= form.surplus.keys() | form.weight.keys()

        # slots and the leaves each may count toward
        self.slots: list[_Slot] = []
        self.eligible: dict[int, list[int]] = {leaf.leaf: [] for leaf in leaves}
        useful: set[str] = set()
        for key in sorted(sc.items):
            it = sc.items[key]
            role = "old" if key in new_items else "fixed"
            fits = [leaf for leaf in by_key.get(key, ()) if id(leaf) in active and it.meets(leaf.min_points)]
            if fits:
                self.slots.append(_Slot(it, role, key if role == "old" else None))
                for leaf in fits:
                    self.eligible[leaf.leaf].append(len(self.slots) - 1)
        for course, it in new_items.items():
            fits = [leaf for leaf in by_key.get(course, ()) if id(leaf) in active and it.meets(leaf.min_points)]
            if fits:
                useful.add(course)
                self.slots.append(_Slot(it, "new", course))
                for leaf in fits:
                    self.eligible[leaf.leaf].append(len(self.slots) - 1)
        # a course that counts nowhere and moves no GPA is never worth taking
        self.candidates = sorted(
            useful | gpa_courses | ((set(catalog.courses) if moving is None else moving) & set(new_items))
        )
        self.credits = {c: catalog.courses[c].credits for c in self.candidates}
        for slot in self.slots:
            if slot.role == "old" and slot.course not in self.credits:
                slot.role, slot.course = "fixed", None
        #: leaves below a completion window (their shared amounts need a choice of items)
        self.windowed = {n.leaf for w in self.windows for n in self.below(w)}
        #: candidates that can change what a credential the target shares with counts
        self.unsettled: set[str] = set()
        for cap in self.caps:
            if cap.other is not None:
                self.unsettled |= set(self.candidates) if cap.courses is None else cap.courses & set(self.candidates)
        self.classes = self._classes()

    def _classes(self) -> list[list[str]]:
        """Groups of interchangeable candidates, each sorted by id: same credits, no attempt
        of the record that counts anywhere, the same leaves, the same effect on every GPA and
        the same in-progress or planned status. Swapping one for another in a set changes
        nothing but the ids."""
        leaves_of: dict[str, list[int]] = {}
        old: set[str] = set()
        for leaf in self.leaves:
            for s in self.eligible[leaf.leaf]:
                slot = self.slots[s]
                if slot.role == "new" and slot.course is not None:
                    leaves_of.setdefault(slot.course, []).append(leaf.leaf)
                elif slot.role == "old" and slot.course is not None:
                    old.add(slot.course)
        groups: dict[tuple[Any, ...], list[str]] = {}
        for c in self.candidates:
            if c in old or c in self.unsettled:
                continue
            gpa = tuple((f.surplus.get(c, 0), f.weight.get(c, 0)) for f in self.gpa_forms.values())
            capped = tuple(c in cap.keys for cap in self.caps)
            sig = (self.credits[c], tuple(sorted(leaves_of.get(c, ()))), gpa, self.pending.get(c), capped)
            groups.setdefault(sig, []).append(c)
        return [g for g in groups.values() if len(g) > 1]

    # -- structure -------------------------------------------------------------------

    def _gpa_form(self, node: CNode, new_items: Mapping[str, Item]) -> _Gpa | None:
        """The GPA floor as linear forms; None when no candidate moves it (then it is a
        constant, decided as the evaluator decides it)."""
        over = node.gpa_over
        need = Fraction(str(node.need))
        s0 = w0 = Fraction(0)
        for course, (points, credits) in self.sc.graded.items():
            if over is None or course in over:
                s0 += (Fraction(str(points)) - need) * Fraction(str(credits))
                w0 += Fraction(str(credits))
        deltas: dict[str, tuple[Fraction, Fraction]] = {}
        for course, it in new_items.items():
            if over is not None and course not in over:
                continue
            ds = dw = Fraction(0)
            if it.points is not None:
                ds += (Fraction(str(it.points)) - need) * Fraction(str(it.credits))
                dw += Fraction(str(it.credits))
            old = self.sc.graded.get(course)
            if old is not None:
                ds -= (Fraction(str(old[0])) - need) * Fraction(str(old[1]))
                dw -= Fraction(str(old[1]))
            if ds != 0 or dw != 0:
                deltas[course] = (ds, dw)
        if not deltas:
            g = self.sc.gpa(over)
            self.constants[id(node)] = g is not None and g >= node.need - EPS
            del self.active[id(node)]
            return None
        names = sorted(deltas)
        sden, svals = _integers([s0, *(deltas[c][0] for c in names)])
        wden, wvals = _integers([w0, *(deltas[c][1] for c in names)])
        del sden, wden
        return _Gpa(
            surplus0=svals[0],
            surplus={c: v for c, v in zip(names, svals[1:], strict=True) if v},
            weight0=wvals[0],
            weight={c: v for c, v in zip(names, wvals[1:], strict=True) if v},
            base=(s0, w0),
            deltas=deltas,
        )

    def below(self, node: CNode) -> list[CNode]:
        """The active leaves below ``node`` (inline credentials included)."""
        return leaves_below(node, self.active)

    # -- models ----------------------------------------------------------------------

    def build(
        self,
        *,
        root: bool = True,
        forced: Sequence[CNode] = (),
        windows: bool = True,
        caps: Sequence[Cap] | None = None,
        into: Built | None = None,
    ) -> Built | None:
        """A CP-SAT model of the problem (None when it is infeasible on its face: a forced
        node that is constantly unmet), under ``caps`` (default: the problem's).

        ``into``: add the problem to that model instead, as one part of a larger one (the gap
        closing of :mod:`microcred.analysis.gaps` joins the problems of several credentials):
        its take variables are shared by course id (created for candidates it lacks), the
        interchangeable courses are not ordered (they are interchangeable for this target
        only), and the literal of the root (True, False, or a 0/1 variable that implies it is
        met) is returned in ``root``: with ``root=False`` the caller decides when it must hold."""
        from ortools.sat.python import cp_model

        m = cp_model.CpModel() if into is None else into.model
        take: dict[str, Any] = {} if into is None else into.take
        for c in self.candidates:
            if c not in take:
                take[c] = m.new_bool_var(f"take[{c}]")

        def avail(slot: _Slot) -> Any:
            if slot.role == "fixed":
                return 1
            assert slot.course is not None
            return take[slot.course] if slot.role == "new" else 1 - take[slot.course]

        # interchangeable courses are taken in id order (the rest of a set is the same)
        for group in self.classes if into is None else ():
            for a, b in itertools.pairwise(group):
                m.add_implication(take[b], take[a])

        # caps: a capped slot counts (anywhere) only if it is one the caps let count, as the
        # evaluator's budgets make the best of a subset of the capped items within them
        caps = self.caps if caps is None else caps
        counts: dict[int, Any] = {}
        if caps:
            keys = frozenset().union(*(c.all_keys() | self._followed(c) for c in caps))
            for s, slot in enumerate(self.slots):
                if slot.item.key not in keys:
                    continue
                v = m.new_bool_var(f"counts[{s}]")
                if slot.role != "fixed":
                    m.add(v <= avail(slot))
                counts[s] = v
            for cap in caps:
                self._cap(m, take, cap, counts)

        def present(s: int) -> Any:
            return counts[s] if s in counts else avail(self.slots[s])

        def floor(node: CNode) -> Any:
            """A GPA floor the plan moves: its surplus over the floor and its weight as linear forms."""
            form = self.gpa_forms[id(node)]
            out = m.new_bool_var(f"gpa[{id(node)}]")
            m.add(form.surplus0 + sum(v * take[c] for c, v in form.surplus.items()) >= 0).only_enforce_if(out)
            m.add(form.weight0 + sum(v * take[c] for c, v in form.weight.items()) >= 1).only_enforce_if(out)
            return out

        # the rule, as the solver encodes it (a slot counts toward a leaf through a 0/1
        # variable; a shared leaf outside every window takes whatever is there: it competes
        # with nobody, so it needs no choice), and what the plan adds: candidates, caps, GPAs
        rule = RuleModel(m, self.constants, floor)
        rule.assign(
            self.leaves,
            lambda leaf: [(s, self.slots[s].item) for s in self.eligible[leaf.leaf]],
            present,
            lambda leaf: leaf.shared and not (windows and leaf.leaf in self.windowed),
        )
        if windows:
            for w in self.windows:
                rule.window([leaf.leaf for leaf in self.below(w)], w.window_months or 0)

        lit = rule.holds  # True, False, or a 0/1 variable that implies the node is met
        musts = ([self.root] if root else []) + list(forced)
        for node in musts:
            v = lit(node)
            if v is False:
                return None
            if v is not True:
                m.add(v == 1)
        return Built(m, take) if into is None else Built(m, take, lit(self.root))

    def _cap(self, m: Any, take: Mapping[str, Any], cap: Cap, counts: Mapping[int, Any]) -> None:
        """Add one cap to model ``m``: the slots it counts weigh at most its limit."""
        scope = [c for c in self.candidates if cap.courses is None or c in cap.courses]
        when: dict[frozenset[str], Any] = {}

        def matches(pattern: frozenset[str]) -> Any:
            """1 when the set taken holds exactly ``pattern`` of the cap's courses."""
            hit = when.get(pattern)
            if hit is None:
                if not scope:
                    hit = 1
                else:
                    hit = m.new_bool_var("")
                    m.add(
                        hit + sum(1 - take[c] for c in pattern) + sum(take[c] for c in scope if c not in pattern) >= 1
                    )
                when[pattern] = hit
            return hit

        counted = self._counted_by(m, take, cap) if cap.follow is not None else {}
        terms = []
        for s, v in counts.items():
            item = self.slots[s].item
            if item.key in cap.keys:
                terms.append(cap.weight(item) * v)
                continue
            facts = [counted[item.key]] if item.key in counted else []
            facts += [matches(p) for p, k in cap.learned if item.key in k]
            if not facts:
                continue
            z = m.new_bool_var("")  # the slot counts here, and the other credential counts it
            for f in facts:
                m.add(z >= v + f - 1)
            terms.append(cap.weight(item) * z)
        if terms:
            m.add(sum(terms) <= cap.limit)

    def _positions(self, leaf: CNode) -> list[tuple[dt.date, str, Item, str]]:
        """What may count toward ``leaf`` of another credential, in the order its result lists
        what counts (date, then key): the record's items (``old``: present unless their
        course is taken again; ``fixed``: always present) and the candidates (``new``)."""
        keys = _leaf_keys(leaf)
        out: list[tuple[dt.date, str, Item, str]] = []
        for key, it in self.sc.items.items():
            if key in keys and it.meets(leaf.min_points):
                out.append((it.date, key, it, "old" if key in self.credits else "fixed"))
        for c in self.candidates:
            it = self.new_items[c]
            if c in keys and it.meets(leaf.min_points):
                out.append((it.date, c, it, "new"))
        out.sort(key=lambda p: (p[0], p[1]))
        return out

    def _followed(self, cap: Cap) -> frozenset[str]:
        """The keys the other credential of ``cap`` may count, when the model derives them."""
        if cap.follow is None:
            return frozenset()
        return frozenset(key for leaf in cap.follow for _d, key, _it, _r in self._positions(leaf))

    def _counted_by(self, m: Any, take: Mapping[str, Any], cap: Cap) -> dict[str, Any]:
        """key -> a 0/1 variable that is 1 when the other credential of ``cap`` counts it,
        derived from its leaves: what is present toward each leaf counts in date order until
        the leaf is full (so a leaf's result lists it); nothing is chosen, as every item may
        count toward one leaf at most besides shared ones (see :func:`_forced`)."""
        assert cap.follow is not None
        out: dict[str, Any] = {}
        for leaf in cap.follow:
            need = round(leaf.need * CREDIT_SCALE) if leaf.by_credits else int(leaf.need)
            before: list[tuple[int, Any]] = []  # (gain, presence) of the items ahead
            for _d, key, it, role in self._positions(leaf):
                here: Any = 1 if role == "fixed" else take[key] if role == "new" else 1 - take[key]
                gain = round(it.credits * CREDIT_SCALE) if leaf.by_credits else 1
                if not key.startswith("credential:"):  # awards are not weighed by a sharing cap
                    full: Any = 0
                    if sum(g for g, _p in before) >= need:
                        full = m.new_bool_var("")  # the leaf is full before this item
                        m.add(need * full <= sum(g * p for g, p in before))
                    var = out.get(key)
                    if var is None:
                        var = out[key] = m.new_bool_var(f"counted[{cap.other},{key}]")
                    m.add(var >= here - full)
                before.append((gain, here))
        return out

    def learn(self, cap: Cap, chosen: frozenset[str], counted: frozenset[str]) -> bool:
        """Record that with ``chosen`` taken the other credential of ``cap`` counts ``counted``;
        False when that was known."""
        scope = set(self.candidates) if cap.courses is None else cap.courses & set(self.candidates)
        fact = (frozenset(chosen & scope), counted)
        if fact in cap.learned:
            return False
        cap.learned.append(fact)
        return True

    def objectives(self) -> list[tuple[str, dict[str, int]]]:
        """The objectives, minimised one after the other: credits, courses, courses not
        already in progress or planned, then the set whose sorted ids come first (as a binary
        number, the smallest id its most significant bit, in chunks of LEX_CHUNK bits, so that
        every coefficient fits a 64-bit integer with room to spare)."""
        cands = self.candidates
        out: list[tuple[str, dict[str, int]]] = [
            ("sum", {c: round(self.credits[c] * CREDIT_SCALE) for c in cands}),
            ("sum", dict.fromkeys(cands, 1)),
        ]
        pending = {c: -1 for c in cands if c in self.pending}
        if pending:
            out.append(("sum", pending))
        for i in range(0, len(cands), LEX_CHUNK):
            chunk = cands[i : i + LEX_CHUNK]
            out.append(("bits", {c: -(2 ** (len(chunk) - 1 - j)) for j, c in enumerate(chunk)}))
        return out


@dataclass
class Built:
    model: Any
    take: dict[str, Any]
    #: built ``into`` a larger model: the literal of the root (see :meth:`Problem.build`)
    root: Any = True


def _feasible(built: Built | None) -> bool:
    from ortools.sat.python import cp_model

    if built is None:
        return False
    status = new_solver().solve(built.model)
    if status == cp_model.UNKNOWN:
        raise TimeoutError("the planning model could not be decided in time")
    return bool(status in (cp_model.OPTIMAL, cp_model.FEASIBLE))


def _cheapest(problem: Problem, built: Built, cuts: list[tuple[str, frozenset[str]]]) -> frozenset[str] | None:
    """The cheapest set under the cuts (None: no set is left)."""
    from ortools.sat.python import cp_model

    model = built.model.clone()
    take = built.take
    for cut, chosen in cuts:
        if cut == "superset":  # no superset of a plan found before
            if not chosen:
                return None
            model.add(sum(take[c] for c in chosen) <= len(chosen) - 1)
        else:  # not exactly this set
            model.add(
                sum(1 - take[c] for c in chosen) + sum(take[c] for c in problem.candidates if c not in chosen) >= 1
            )
    solver = new_solver()
    picked: frozenset[str] | None = None
    values: dict[str, bool] = {}
    ones = 0  # courses fixed as taken by the tie-break so far
    for form, obj in problem.objectives():
        if form == "bits" and values and sum(values.values()) == ones:
            break  # every course of the set is settled: the rest are not taken
        if form == "bits" and values and all(values[c] for c in obj):
            for c in obj:  # the best this chunk can be, and already reached
                model.add(take[c] == 1)
            ones += len(obj)
            continue
        expr = sum(v * take[c] for c, v in obj.items())
        model.minimize(expr)
        status = solver.solve(model)
        if status == cp_model.INFEASIBLE:
            return None
        if status != cp_model.OPTIMAL:
            raise TimeoutError("the planning model could not be solved to optimality in time")
        values = {c: bool(solver.value(v)) for c, v in take.items()}
        if form == "bits":  # the value of a chunk fixes each of its courses
            for c in obj:
                model.add(take[c] == int(values[c]))
            ones += sum(values[c] for c in obj)
        else:
            model.add(expr == solver.value(expr))
        model.clear_hints()
        for c, v in take.items():
            model.add_hint(v, values[c])
        picked = frozenset(c for c, on in values.items() if on)
    if picked is None:  # no objective at all: no candidate course
        status = solver.solve(model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None
        picked = frozenset()
    return picked


# --------------------------------------------------------------------------- explanations


def _span(months: int) -> str:
    years, rest = divmod(months, 12)
    parts = ([f"{years} year{'s' if years != 1 else ''}"] if years else []) + (
        [f"{rest} month{'s' if rest != 1 else ''}"] if rest else []
    )
    return " and ".join(parts) or "0 months"


class _Explainer:
    """Why no set of courses earns the target: the requirements that cannot be met, found by
    asking the model which parts can be met alone and which together."""

    def __init__(self, problem: Problem, target: str, awards: Sequence[Awarded], caps: Sequence[Cap] = ()):
        self.p = problem
        self.target = target
        self.awards = awards
        self.caps = caps

    def ok(self, nodes: Sequence[CNode], windows: bool = True) -> bool:
        return _feasible(self.p.build(root=False, forced=nodes, windows=windows, caps=self.caps))

    def name(self, node: CNode) -> str:
        text = self.short(node, 2)
        if node.owner != self.target and not text.startswith("the rule of"):
            text += f" (in {node.owner})"
        return text

    def short(self, node: CNode, depth: int) -> str:
        """The node's label, else what it asks for, by its kind (composites by their first children)."""
        if node.label:
            return node.label
        return KINDS[node.kind].plan_words(self, node, depth)

    def settled(self, node: CNode) -> bool | None:
        return self.p.constants.get(id(node))

    def why(self, node: CNode) -> list[str]:
        """Why ``node`` cannot be met, in the words of its kind."""
        kind = KINDS[node.kind]
        if self.settled(node) is False:
            return kind.plan_settled(self, node)
        return kind.plan_unmet(self, node)

    @property
    def as_of(self) -> dt.date:
        return self.p.as_of

    @property
    def scenario(self) -> Scenario:
        return self.p.sc

    @property
    def top(self) -> str:
        return self.p.top.name

    def items(self, node: CNode) -> list[Item]:
        return [self.p.slots[s].item for s in self.p.eligible.get(node.leaf, [])]

    def gpa_reach(self, node: CNode) -> Fraction | None:
        p = self.p
        form = p.gpa_forms.get(id(node))
        if form is not None:
            s0, w0 = form.base
            s = s0 + sum(d[0] for d in form.deltas.values())
            w = w0 + sum(d[1] for d in form.deltas.values())
            return s / w + Fraction(str(node.need)) if w > 0 else None
        now = p.sc.gpa(node.gpa_over)
        return Fraction(now) if now is not None else None

    def conflict(self, node: CNode, kids: list[CNode], need: int) -> str:
        """The requirements that can each be met but not together: the smallest such group
        (found by deletion), or the node itself when it asks for some of its options."""
        if need < len(kids):
            what = f"no {need} of the options of {self.name(node)} can be met together"
            windowed = self.ok([node], windows=False)
        else:
            group = list(kids)
            for c in list(group):
                rest = [g for g in group if g is not c]
                if len(rest) > 1 and not self.ok(rest):
                    group = rest
            what = " and ".join(self.name(c) for c in group) + " cannot all be met together"
            windowed = self.ok(group, windows=False)
        if windowed:
            spans = [
                w.window_months or 0
                for w in self.p.windows
                if any(n is node for n in w.walk()) or any(n is w for n in node.walk())
            ]
            span = f" ({_span(min(spans))})" if spans else ""
            return f"{what} within the completion window{span}"
        return f"{what}: a course counts toward only one requirement of a credential, and they draw on the same courses"

    def window(self, node: CNode) -> str:
        spans = [w for w in self.p.windows if any(n is node for n in w.walk())]
        span = _span(spans[0].window_months or 0) if spans else "its window"
        return f"{self.name(node)}: what counts toward it cannot be completed within {span}"


# --------------------------------------------------------------------------- planning


def _effective_awards(cc: CompiledCatalog, t: Transcript) -> list[Awarded]:
    """Awards of catalogue credentials, with ``valid_for`` applied where no expiry is given
    (as the evaluator reads them)."""
    out: list[Awarded] = []
    for aw in t.awarded:
        cred = cc.catalog.credentials.get(aw.credential)
        if cred is None:
            continue
        if aw.expires_on is None and cred.valid_for is not None:
            aw = aw.model_copy(update={"expires_on": add_span(aw.date, cred.valid_for.years, cred.valid_for.months)})
        out.append(aw)
    return out


def _waived(comp: CompiledCredential, t: Transcript) -> frozenset[int]:
    assert comp.root is not None
    waivers = [e for e in t.exceptions if isinstance(e, Waive)]
    return frozenset(
        id(n)
        for n in comp.root.walk()
        for w in waivers
        if n.node_id == w.waive and (w.credential is None or n.owner == w.credential)
    )


def _source(transcript: Transcript | TranscriptSource) -> TranscriptSource:
    return transcript if isinstance(transcript, TranscriptSource) else TranscriptSource(transcript, "<transcript>")


def setup_problem(
    cc: CompiledCatalog, src: TranscriptSource, target: str, day: dt.date, top: Grade
) -> tuple[Problem, list[Awarded]]:
    """The planning problem of ``target`` (a credential with a rule) for this learner on ``day``,
    and the awards the learner holds (as the evaluator reads them)."""
    t = src.transcript
    comp = cc.credentials[target]
    subs = dict(
        sorted(
            (e.substitute.course, e.substitute.for_)
            for e in t.exceptions
            if isinstance(e, Substitute) and e.credential in (None, target)
        )
    )
    awards = _effective_awards(cc, t)
    credits_of = {cid: c.credits for cid, c in cc.catalog.courses.items()}
    sc = build_scenario(
        attempts=t.attempts,
        awarded=awards,
        credits_of=credits_of,
        credential_credits={cid: c.credits for cid, c in cc.catalog.credentials.items()},
        scale=cc.scale,
        policy=cc.catalog.repeats,
        cut=day,
        as_of=day,
        mode="completed",
        substitutions=subs,
    )
    pending: dict[str, str] = {}
    for a in t.attempts:
        if a.status in ("in_progress", "planned"):
            key = subs.get(a.course, a.course)
            if pending.get(key) != "in_progress":
                pending[key] = a.status
    caps = _caps(cc, src, target, day, sc)
    return Problem(cc, comp, sc, _waived(comp, t), day, top, subs, pending, caps), awards


def plan(
    catalog: Catalog | CompiledCatalog,
    transcript: Transcript | TranscriptSource,
    target: str,
    as_of: dt.date | None = None,
    alternatives: int = 3,
    max_rejected: int = MAX_REJECTED,
) -> Plan:
    """The cheapest set of further courses that earns ``target`` for this learner, and up to
    ``alternatives`` next cheapest sets.

    New courses are assumed completed on ``as_of`` (default: the transcript's date, else
    today) with the top grade of the scale. Raises :class:`UnknownCredential` when the
    catalogue has no such credential, :class:`PlanError` (with the reason) when no set of
    courses can earn it, :class:`PlanUnconfirmed` when the evaluator rejected ``max_rejected``
    sets proposed by the model before any was confirmed, :class:`TimeoutError` when a solve
    runs out of time, and :class:`~microcred.model.diagnostics.MicrocredError` when the transcript
    has an error.
    """
    cc = compile_catalog(catalog)
    if target not in cc.credentials:
        raise UnknownCredential(target, cc.credentials)
    src = _source(transcript)
    t = src.transcript
    errors, _warnings = check_transcript(cc, src)
    if errors:
        raise MicrocredError(errors)
    day = as_of or t.as_of or dt.date.today()
    cred = cc.catalog.credentials[target]
    now = evaluate(cc, src, day, credentials=[target], detail=False).credentials[target]
    top = top_grade(cc.scale)

    def result(best: CourseSet, others: list[CourseSet]) -> Plan:
        return Plan(
            target=target,
            title=cred.title,
            learner_id=t.learner.id,
            as_of=day,
            status=now.status,
            progress=now.progress,
            grade=top.name if top else "",
            best=best,
            alternatives=others,
        )

    if now.status == "earned":
        return result(CourseSet((), now.earned_on, now.expires_on), [])
    if now.status == "expired":
        raise PlanError(target, _expired_reason(now))
    comp = cc.credentials[target]
    if comp.root is None:
        raise PlanError(target, f"{cred.title} has no rule to meet: it can only be awarded")
    if top is None:
        raise PlanError(target, "the grade scale has no passing grade")

    problem, awards = setup_problem(cc, src, target, day, top)
    caps = problem.caps
    built = problem.build()
    if built is None:
        raise PlanError(target, _explain(problem, target, awards))

    # The model applies every cap, so the evaluator confirms every set it proposes; the check
    # stays as a safeguard. A sharing cap with a credential whose counted courses the plan
    # can change is learned: a set rejected because that credential counts more than the
    # model knew teaches the model what it counts with those courses taken (and the set
    # itself is excluded), and the model is rebuilt. What is learned is a fact, so the first
    # set confirmed is still the cheapest.
    learning = [c for c in caps if not c.exact]
    found: list[CourseSet] = []
    cuts: list[tuple[str, frozenset[str]]] = []
    rejected: list[str] = []
    gave_up = False
    while len(found) <= max(0, alternatives):
        chosen = _cheapest(problem, built, cuts)
        if chosen is None:
            break
        verdict = _verify(cc, src, target, problem, chosen)
        if isinstance(verdict, CourseSet):
            found.append(verdict)
            cuts.append(("superset", chosen))
            continue
        if verdict.startswith("!"):
            raise PlanError(target, verdict[1:])
        rejected.append(verdict)
        if len(rejected) >= max_rejected:
            gave_up = True
            break
        cuts.append(("exact", chosen))
        if learning and learn_caps(cc, src, target, problem, learning, chosen):
            rebuilt = problem.build()
            if rebuilt is None:
                break
            built = rebuilt
    texts = [c.text for c in learning]
    if not found:
        if gave_up:
            cause = (
                "What " + " and ".join(str(c.other) for c in learning) + " counts depends on the courses taken, "
                "and the model learns it one rejected set at a time."
                if learning
                else "The planning model and the evaluator disagree, which is a defect: please report the "
                "catalogue and the transcript."
            )
            raise PlanUnconfirmed(target, rejected, cause, max_rejected)
        if rejected:
            raise PlanError(
                target, "every set of courses its rule allows breaks its caps: " + "; ".join(texts or [rejected[0]])
            )
        raise PlanError(target, _explain(problem, target, awards))
    out = result(found[0], found[1:])
    if gave_up:
        out.alternatives_note = (
            f"the search for alternatives stopped after the evaluator rejected {len(rejected)} sets; "
            "there may be others (raise --max-rejected to search further)"
        )
    return out


def learn_caps(
    cc: CompiledCatalog,
    src: TranscriptSource,
    target: str,
    problem: Problem,
    caps: Sequence[Cap],
    chosen: frozenset[str],
) -> bool:
    """Teach the model what the credentials of ``caps`` count with ``chosen`` taken; False
    when it knew."""
    t = src.transcript
    day, top = problem.as_of, problem.top
    new = [Attempt(course=c, date=day, grade=top.name, status="completed") for c in sorted(chosen)]
    after = TranscriptSource(t.model_copy(update={"attempts": [*t.attempts, *new]}), src.file)
    results = _results(cc, after, target, [str(c.other) for c in caps], day)
    news = [problem.learn(c, chosen, _counted(results[str(c.other)])) for c in caps if str(c.other) in results]
    return any(news)


def _caps(cc: CompiledCatalog, src: TranscriptSource, target: str, day: dt.date, sc: Scenario) -> list[Cap]:
    """The caps of the target's ``limits`` as the model applies them.

    ``prior_learning_credits`` weighs the awards admitted for credit. ``shared_with B`` weighs
    the courses that B's own result counts (its ``applied`` list, B evaluated as the target's
    evaluation evaluates it). That set is fixed when the further courses cannot change it: B
    is held by award (it counts no course), or B was earned before ``as_of`` (the new
    attempts, dated ``as_of``, come after the date its courses are counted at) and has no
    sharing caps of its own (which could move that date). Otherwise it depends on the
    courses taken: when B's choice of what counts is forced (:func:`_forced`), the model
    derives it from B's leaves; else the cap starts from what B counts when none of the
    courses that can change its result is taken, and learns from the evaluator what B counts
    for each other choice of them (see :func:`plan`). ``sc``: the target's scenario."""
    limits = cc.catalog.credentials[target].limits
    if limits is None:
        return []
    caps: list[Cap] = []
    if limits.prior_learning_credits is not None:
        x = limits.prior_learning_credits
        caps.append(
            Cap(
                frozenset("credential:" + c for c in cc.catalog.credentials),
                True,
                math.floor(x * CREDIT_SCALE + 1e-6),
                f"at most {x:g} credits from awarded credentials may count (limits: prior_learning_credits: {x:g})",
            )
        )
    others = [lim.credential for lim in limits.shared_with if lim.credential in cc.credentials]
    results = _results(cc, src, target, others, day) if others else {}
    for lim in limits.shared_with:
        b = lim.credential
        if lim.max_credits is not None:
            amount = f"{lim.max_credits:g} credits"
            by_credits, limit = True, math.floor(lim.max_credits * CREDIT_SCALE + 1e-6)
        else:
            n = lim.max_courses or 0
            amount = f"{n} course{'s' if n != 1 else ''}"
            by_credits, limit = False, n
        text = f"at most {amount} of those that count toward {b} may count here too (limits: shared_with {b})"
        r = results.get(b)
        if r is None or r.awarded:
            continue  # the evaluator finds nothing counted toward it (held by award, or unknown)
        counted = _counted(r)
        b_limits = cc.catalog.credentials[b].limits
        if r.earned_on is not None and r.earned_on < day and not (b_limits is not None and b_limits.shared_with):
            caps.append(
                Cap(counted, by_credits, limit, f"{text}, and {b} counts {', '.join(sorted(counted)) or 'none'}")
            )
            continue
        reach = _reach(cc, b, {target})
        if reach is not None:  # a substitute counts as the course it stands for
            reach |= {e.substitute.course for e in src.transcript.exceptions if isinstance(e, Substitute)}
        caps.append(
            Cap(
                frozenset(),
                by_credits,
                limit,
                text,
                b,
                None if reach is None else frozenset(reach),
                [(frozenset(), counted)],
                _forced(cc, src.transcript, b, sc),
            )
        )
    return caps


def _forced(cc: CompiledCatalog, t: Transcript, cid: str, sc: Scenario) -> list[CNode] | None:
    """The active leaves of credential ``cid`` when its result counts what is present toward
    them whatever the courses taken, else None.

    The evaluator's solver puts an item that may count toward one exclusive leaf only there
    (and toward every shared leaf it fits): there is nothing to choose. So what the result
    lists as counted follows from what is present: toward each leaf, the items in date order
    until the leaf is full. That holds when no course or award fits two exclusive leaves;
    when ``cid`` has no completion window
    (which chooses a start) and no caps (which choose a subset); and when there is no
    substitution (a course then counts as another, differently for each credential)."""
    comp = cc.credentials[cid]
    if comp.root is None or comp.has_window or cc.catalog.credentials[cid].limits is not None:
        return None
    if any(isinstance(e, Substitute) for e in t.exceptions):
        return None
    leaves = settle(comp.root, sc, _waived(comp, t)).leaves  # as the solver settles it
    exclusive: dict[str, int] = {}
    for leaf in leaves:
        if leaf.shared:
            continue
        for key in _leaf_keys(leaf):
            exclusive[key] = exclusive.get(key, 0) + 1
            if exclusive[key] > 1:
                return None
    return leaves


def _results(
    cc: CompiledCatalog, src: TranscriptSource, target: str, others: Sequence[str], day: dt.date
) -> dict[str, CredentialResult]:
    """The results of ``others`` as the evaluation of ``target`` evaluates them (a credential
    capped against others evaluates them first)."""
    return dict(evaluate(cc, src, day, credentials=[target, *others], detail=False).credentials)


def _counted(r: CredentialResult) -> frozenset[str]:
    """The courses a credential's result counts, as a sharing cap reads them."""
    return frozenset(a.substituted_for or a.course for a in r.applied if a.status != "awarded")


def _reach(cc: CompiledCatalog, cid: str, skip: set[str]) -> set[str] | None:
    """The courses whose attempts can change ``cid``'s result, through its sharing caps too
    (None: any course). ``skip``: credentials its evaluation does not wait for."""
    rel = cc.credentials[cid].relevant_courses
    if rel is None:
        return None
    out = set(rel)
    limits = cc.catalog.credentials[cid].limits
    for lim in limits.shared_with if limits else ():
        if lim.credential in cc.credentials and lim.credential not in skip | {cid}:
            more = _reach(cc, lim.credential, skip | {cid})
            if more is None:
                return None
            out |= more
    return out


def _expired_reason(r: CredentialResult) -> str:
    if r.awarded:
        return (
            f"it is held by an award (from {r.earned_on}) that expired on {r.expires_on}; an awarded "
            "credential's status follows its award whatever its rule says, so no course can earn it "
            "again: it needs a new award"
        )
    return (
        f"the record met it on {r.earned_on} and it expired on {r.expires_on}; its earned_on stays the first "
        "date the record met it, which further courses do not change, so none can earn it again: it needs "
        "a new award"
    )


def _explain(problem: Problem, target: str, awards: Sequence[Awarded]) -> str:
    """Why no set earns the target: the caps, when the rule could be met without them (those
    that stand in the way on their own, else all); else the requirements that cannot be met."""
    caps = problem.caps
    if caps and _feasible(problem.build(caps=())):
        alone = [c for c in caps if _feasible(problem.build(caps=[d for d in caps if d is not c]))]
        return "its caps rule out every set of courses that meets its rule: " + "; ".join(
            c.text for c in (alone or caps)
        )
    reasons = _Explainer(problem, target, awards).why(problem.root)
    return "; ".join(dict.fromkeys(reasons)) or "its rule cannot be met"


def _requirement_names(comp: CompiledCredential) -> dict[tuple[str, str], str]:
    """(owner, node ref) -> a name for reports: the nearest label (the node's own or an
    ancestor's within the same credential), else the nearest id, else what the node asks for;
    with the credential in brackets when it is not the target."""
    out: dict[tuple[str, str], str] = {}

    def visit(node: CNode, label: str | None, ident: str | None) -> None:
        label = node.label or label
        ident = node.node_id or ident
        name = label or ident or node.describe()
        if node.owner != comp.id:
            name += f" ({node.owner})"
        out.setdefault((node.owner, node.ref), name)
        for c in node.children:
            visit(c, label, ident)
        if node.inline is not None:
            visit(node.inline, None, None)

    if comp.root is not None:
        visit(comp.root, None, None)
    return out


def _verify(
    cc: CompiledCatalog, src: TranscriptSource, target: str, problem: Problem, chosen: frozenset[str]
) -> CourseSet | str:
    """The set as a :class:`CourseSet` when the evaluator, given the transcript plus these
    courses, reports the target earned; else why not ("!" first: no set can do better)."""
    t = src.transcript
    day, top = problem.as_of, problem.top
    new = [Attempt(course=c, date=day, grade=top.name, status="completed") for c in sorted(chosen)]
    after = t.model_copy(update={"attempts": [*t.attempts, *new]})
    r = evaluate(cc, TranscriptSource(after, src.file), day, credentials=[target], detail=False).credentials[target]
    if r.status == "expired":
        return "!" + _expired_reason(r)
    if r.status != "earned":
        return f"with {', '.join(sorted(chosen)) or 'no further course'} the evaluator reports {r.status}"
    names = _requirement_names(problem.comp)
    where: dict[str, list[str]] = {}
    for a in r.applied:
        if a.date == day and a.course in chosen and a.grade == top.name:
            name = names.get((a.owner, a.node)) or a.label or a.node
            if name not in where.setdefault(a.course, []):
                where[a.course].append(name)
    group = {c: g for g in problem.classes for c in g}
    courses = tuple(
        PlannedCourse(
            course=c,
            title=cc.catalog.courses[c].title,
            credits=cc.catalog.courses[c].credits,
            retake=c in problem.sc.items,
            pending=problem.pending.get(c),
            counts_toward=tuple(where.get(c, ())),
            or_instead=tuple(d for d in group.get(c, ()) if d not in chosen),
        )
        for c in sorted(chosen)
    )
    return CourseSet(courses, r.earned_on, r.expires_on)


# --------------------------------------------------------------------------- pathways


@dataclass(frozen=True, slots=True)
class PathStep:
    """One credential on a stack path."""

    credential: str
    title: str
    type: str
    #: credits still needed: with a transcript, the credits of the cheapest plan (0 when
    #: earned; None when it cannot be earned); without one, the credential's catalogue
    #: ``credits`` value (None when the catalogue gives none)
    credits: float | None
    #: with a transcript: the learner's status now
    status: str | None = None
    #: with a transcript: the courses of the cheapest plan
    courses: tuple[str, ...] = ()
    #: why the credential cannot be earned, when it cannot (or why planning it did not finish)
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "credential": self.credential,
            "title": self.title,
            "type": self.type,
            "credits": self.credits,
        }
        if self.status is not None:
            out["status"] = self.status
            out["courses"] = list(self.courses)
        if self.note:
            out["note"] = self.note
        return out


@dataclass(frozen=True, slots=True)
class Pathway:
    """A stack path from a credential up to one that stacks into nothing."""

    steps: tuple[PathStep, ...]

    @property
    def ids(self) -> list[str]:
        return [s.credential for s in self.steps]

    def to_json(self) -> dict[str, Any]:
        return {"path": self.ids, "steps": [s.to_json() for s in self.steps]}


def pathways(
    catalog: Catalog | CompiledCatalog,
    from_credential: str,
    transcript: Transcript | TranscriptSource | None = None,
    as_of: dt.date | None = None,
) -> list[Pathway]:
    """The stack paths from ``from_credential`` to the top (shortest first), each credential
    with the credits still needed for it: from the cheapest plan for this learner when a
    transcript is given, else the credential's catalogue ``credits``."""
    cc = compile_catalog(catalog)
    if from_credential not in cc.credentials:
        raise UnknownCredential(from_credential, cc.credentials)
    steps: dict[str, PathStep] = {}

    def step(cid: str) -> PathStep:
        hit = steps.get(cid)
        if hit is not None:
            return hit
        cred = cc.catalog.credentials[cid]
        if transcript is None:
            hit = PathStep(cid, cred.title, cred.type, cred.credits)
        else:
            try:
                p = plan(cc, transcript, cid, as_of, alternatives=0)
            except (PlanError, PlanUnconfirmed) as exc:
                hit = PathStep(cid, cred.title, cred.type, None, _status(cc, transcript, cid, as_of), (), exc.reason)
            except TimeoutError as exc:
                note = f"not planned: {exc}"
                hit = PathStep(cid, cred.title, cred.type, None, _status(cc, transcript, cid, as_of), (), note)
            else:
                hit = PathStep(cid, cred.title, cred.type, p.best.credits, p.status, tuple(p.best.ids))
        steps[cid] = hit
        return hit

    return [Pathway(tuple(step(c) for c in path)) for path in paths_to_top(cc.graph, from_credential)]


def _status(
    cc: CompiledCatalog, transcript: Transcript | TranscriptSource, cid: str, as_of: dt.date | None
) -> str | None:
    try:
        return evaluate(cc, transcript, as_of, credentials=[cid], detail=False).credentials[cid].status
    except MicrocredError:
        return None


__all__ = [
    "CourseSet",
    "PathStep",
    "Pathway",
    "Plan",
    "PlanError",
    "PlanUnconfirmed",
    "PlannedCourse",
    "UnknownCredential",
    "pathways",
    "plan",
    "top_grade",
]
