"""Skill gaps: what a learner has and lacks for an occupation or a job's skill list, and the
cheapest courses and credentials that close the gap; and, for the institution, how much of
each occupation's needs its portfolio teaches.

A need is a competency and an optional level. The learner *has* it when their skill profile
holds it currently (docs/competencies.md) at that level or above (a need with a level is not
met by evidence without one). What is missing is closed by further courses, completed on
``as_of`` with the top grade of the scale (as :func:`microcred.analysis.plan.plan` assumes): a
course aligned with the competency at the level needed evidences it once passed; a credential
aligned with it evidences it once earned, which takes a set of courses that meets its rule.

The closing is exact. The planner's CP-SAT model of every credential that could close a gap
(its whole rule: inline credentials, exclusivity, windows, GPA floors, caps; see
docs/plan.md) is built into one model over shared "take" variables, one per course
(:meth:`microcred.analysis.plan.Problem.build` with ``into``), and each missing need gets a
variable that holds only when a course aligned with it is taken or a credential aligned with
it is earned. The model then minimises, one objective after the other: the needs left open,
the credits taken (to hundredths), the courses taken, the courses taken that the record does
not list as in progress or planned, then the set whose sorted course ids come first. The set
found is checked by the evaluator: the record plus the new courses must evidence every need
the model claims closed and still every need met now; a set it rejects is excluded (and
teaches the model what a credential shared with counts, as planning does) and the search goes
on, up to ``max_rejected`` sets (:class:`GapUnconfirmed`). A solve that runs out of time with a
set in hand gives that set, marked not proven the cheapest (``Closing.optimal``); without one,
:class:`TimeoutError`. See docs/competencies.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from microcred.analysis.plan import (
    CREDIT_SCALE,
    LEX_CHUNK,
    MAX_REJECTED,
    Built,
    Cap,
    PlanError,
    PlanUnconfirmed,
    Problem,
    learn_caps,
    plan,
    setup_problem,
    top_grade,
)
from microcred.io.transcript import Attempt, Transcript, TranscriptSource
from microcred.model.catalog import Catalog
from microcred.model.competencies import Occupation, as_ref, merge_level, resolve_uri
from microcred.model.result import LearnerResult
from microcred.model.skills import SkillEntry, course_alignments, credential_alignments
from microcred.rules.compiled import CompiledCatalog
from microcred.rules.cpsat import TIME_LIMIT_S as TIME_LIMIT_S
from microcred.rules.cpsat import new_solver
from microcred.rules.evaluate import compile_catalog, evaluate
from microcred.taxonomy.grades import Grade


class GapError(Exception):
    """A target that names nothing the catalogue knows."""


class GapUnconfirmed(Exception):
    """The search gave up: the evaluator rejected ``limit`` sets of courses the model proposed.
    It says nothing about whether the gap can be closed."""

    def __init__(self, rejected: Sequence[str], limit: int):
        self.rejected = list(rejected)
        self.limit = limit
        first = rejected[0] if rejected else "none"
        self.reason = (
            f"closing the gap gave up after the evaluator rejected {len(rejected)} set"
            f"{'s' if len(rejected) != 1 else ''} of courses the model proposed, cheapest first (the first: "
            f"{first}); check a set with `microcred evaluate` after adding its courses to the transcript"
        )
        super().__init__(self.reason)


@dataclass(frozen=True, slots=True)
class Need:
    uri: str
    level: int | None = None

    def met_by(self, entry: SkillEntry | None) -> bool:
        if entry is None or not entry.current:
            return False
        if self.level is None:
            return True
        return entry.level is not None and entry.level >= self.level


@dataclass(frozen=True, slots=True)
class Target:
    kind: str  # occupation | skills
    id: str
    title: str
    needs: tuple[Need, ...]

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "title": self.title}


def occupation_target(catalog: Catalog, ref: str) -> Target:
    """The target of an occupation named by its URI or its code (``15-1252.00``)."""
    occ: Occupation | None = catalog.occupations.get(ref)
    if occ is None:
        found = [o for o in catalog.occupations.values() if o.code == ref]
        occ = found[0] if len(found) == 1 else None
    if occ is None:
        known = ", ".join(sorted(o.code or o.uri for o in catalog.occupations.values())[:8]) or "none"
        raise GapError(f"no occupation {ref!r} in the catalogue's frameworks; give its URI or code (known: {known})")
    if not occ.needs:
        raise GapError(
            f"occupation {ref!r} ({occ.title}) lists no competency it needs; add them to an `occupations:` "
            "entry of a framework, or import a relation file (ESCO occupationSkillRelations, O*NET Skills.txt)"
        )
    return Target("occupation", occ.uri, occ.title, _needs(catalog, occ.needs))


def skills_target(catalog: Catalog, refs: Sequence[str], title: str = "skill list") -> Target:
    """The target of a job's skill list: each a URI or ``framework:code``, with ``@LEVEL``."""
    pairs: list[tuple[str, int | None]] = []
    for ref in refs:
        uri, at, level = ref.rpartition("@") if "@" in ref else (ref, "", "")
        if at and not level.isdigit():
            raise GapError(f"{ref!r}: the level after '@' is not a whole number; write URI@3")
        pairs.append((uri, int(level) if at else None))
    if not pairs:
        raise GapError("the skill list is empty; give URIs or framework:code, separated by commas")
    return Target("skills", "skills", title, _needs(catalog, pairs))


def _needs(catalog: Catalog, pairs: Iterable[tuple[str, int | None]]) -> tuple[Need, ...]:
    out: dict[str, int | None] = {}
    for ref, level in pairs:
        uri = resolve_uri(as_ref(ref).uri, catalog.competencies, catalog.competency_codes) or ref
        out[uri] = merge_level(out[uri], level) if uri in out else level
    return tuple(Need(u, lv) for u, lv in sorted(out.items()))


@dataclass
class GapItem:
    uri: str
    required: int | None
    held: int | None  # the level the learner holds now (None: not held, or held without a level)
    has: bool
    #: course and credential ids that align with it at the level needed and are not yet passed
    #: or earned (empty: nothing in the catalogue teaches it)
    closers: list[str] = field(default_factory=list)
    #: missing: whether some set of further courses closes it (with the others closed)
    closable: bool = False
    #: missing and not closable: why
    reason: str | None = None
    #: closed: the courses of the closing and the credentials earned with them that evidence
    #: it at the level needed (courses first)
    closed_with: list[str] = field(default_factory=list)

    def to_json(self, catalog: Catalog) -> dict[str, Any]:
        comp = catalog.competencies.get(self.uri)
        out: dict[str, Any] = {
            "uri": self.uri,
            "statement": comp.statement if comp else None,
            "framework": comp.framework if comp else None,
            "required_level": self.required,
            "held_level": self.held,
        }
        if not self.has:
            out["closed_by"] = list(self.closers)
            out["closable"] = self.closable
            out["closed_with"] = list(self.closed_with)
            if self.reason is not None:
                out["reason"] = self.reason
        return out


@dataclass
class Closing:
    """The cheapest further courses that close every gap that can be closed (verified)."""

    courses: list[str]
    credits: float
    #: credentials the learner would earn with them (verified)
    credentials: list[str]
    #: (kind, id, competency URIs): what each course and new credential closes (courses first)
    closes: list[tuple[str, str, list[str]]] = field(default_factory=list)
    #: False when a solve ran out of time: the set closes what it says (verified), but a
    #: cheaper one may exist
    optimal: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "credits": self.credits,
            "courses": self.courses,
            "credentials": self.credentials,
            "closes": [{"kind": k, "id": i, "competencies": us} for k, i, us in self.closes],
            "optimal": self.optimal,
        }


@dataclass
class GapReport:
    learner_id: str
    as_of: dt.date
    target: Target
    have: list[GapItem]
    missing: list[GapItem]
    closing: Closing | None
    catalog: Catalog = field(repr=False)

    @property
    def uncovered(self) -> list[GapItem]:
        """The missing needs nothing in the catalogue teaches at the level needed."""
        return [g for g in self.missing if not g.closers]

    @property
    def unclosable(self) -> list[GapItem]:
        """The missing needs no set of further courses closes (``reason`` says why)."""
        return [g for g in self.missing if not g.closable]

    def to_json(self) -> dict[str, Any]:
        return {
            "learner": {"id": self.learner_id},
            "as_of": self.as_of.isoformat(),
            "target": self.target.to_json(),
            "have": [g.to_json(self.catalog) for g in self.have],
            "missing": [g.to_json(self.catalog) for g in self.missing],
            "uncovered": [g.uri for g in self.uncovered],
            "closing": self.closing.to_json() if self.closing else None,
            "unclosable": [g.uri for g in self.unclosable],
        }


def _profile(result: LearnerResult) -> dict[str, SkillEntry]:
    return {e.uri: e for e in result.skills or []}


def gaps(
    catalog: Catalog | CompiledCatalog,
    transcript: Transcript | TranscriptSource,
    target: Target,
    as_of: dt.date | None = None,
    max_rejected: int = MAX_REJECTED,
) -> GapReport:
    """The learner's gap to ``target`` and the cheapest way to close it (module docstring).

    Raises :class:`~microcred.model.diagnostics.MicrocredError` when the transcript has an
    error, :class:`GapUnconfirmed` when the evaluator rejected ``max_rejected`` sets the model
    proposed, and :class:`TimeoutError` when the search found no set in time."""
    cc = compile_catalog(catalog)
    cat = cc.catalog
    src = transcript if isinstance(transcript, TranscriptSource) else TranscriptSource(transcript, "<transcript>")
    day = as_of or src.transcript.as_of or dt.date.today()
    result = evaluate(cc, src, day, detail=False)
    profile = _profile(result)
    passed = {v.id for e in result.skills or [] for v in e.evidence if v.kind == "course"}
    earned = {cid for cid, r in result.credentials.items() if r.status == "earned"}
    aligned = credential_alignments(cat)

    have: list[GapItem] = []
    missing: list[GapItem] = []
    for need in target.needs:
        entry = profile.get(need.uri)
        held = entry.level if entry is not None and entry.current else None
        item = GapItem(need.uri, need.level, held, need.met_by(entry))
        if not item.has:
            for cid in sorted(cat.courses):
                al = course_alignments(cat, cid)
                if cid not in passed and need.uri in al and _reaches(al[need.uri], need.level):
                    item.closers.append(cid)
            for cid in cat.credentials:
                al = aligned.get(cid, {})
                if cid not in earned and need.uri in al and _reaches(al[need.uri], need.level):
                    item.closers.append(cid)
        (have if item.has else missing).append(item)
    closing = _close(cc, src, day, result, have, missing, max_rejected) if missing else None
    return GapReport(result.learner_id, day, target, have, missing, closing, cat)


def _reaches(have: int | None, need: int | None) -> bool:
    return need is None or (have is not None and have >= need)


def _close(
    cc: CompiledCatalog,
    src: TranscriptSource,
    day: dt.date,
    result: LearnerResult,
    have: list[GapItem],
    missing: list[GapItem],
    max_rejected: int,
) -> Closing | None:
    """Close what can be closed, exactly (module docstring); mark each missing item closable
    or not (with the reason) and, when closed, with what."""
    cat = cc.catalog
    top = top_grade(cat.grade_scale)
    if top is None:
        for g in missing:
            g.closable, g.reason = False, "the grade scale has no passing grade, so no further course can pass"
        return None
    parts: dict[str, _Part] = {}
    for cid in sorted({c for g in missing for c in g.closers if c in cat.credentials}):
        r = result.credentials.get(cid)
        if r is not None and r.status == "expired":
            continue  # earned_on stays the first date the record met it: no course earns it again
        if cc.credentials[cid].root is None:
            continue  # it can only be awarded
        problem, _awards = setup_problem(cc, src, cid, day, top)
        parts[cid] = _Part(cid, problem, [c for c in problem.caps if not c.exact])
    pending = {a.course for a in src.transcript.attempts if a.status in ("in_progress", "planned")}
    earned = {cid for cid, r in result.credentials.items() if r.status == "earned"}
    cuts: list[frozenset[str]] = []
    rejected: list[str] = []
    joint = _Joint(cat, parts, missing, pending)
    while True:
        found = joint.solve(cuts)
        if found is None:
            raise GapUnconfirmed(rejected, len(rejected))
        chosen, earn, proven = found
        verdict = _verify(cc, src, day, top, chosen, joint.claimed, have, missing, earned)
        if isinstance(verdict, Closing):
            break
        rejected.append(verdict.text)
        if len(rejected) >= max_rejected:
            raise GapUnconfirmed(rejected, max_rejected)
        cuts.append(chosen)
        # a credential met on as_of but reported expired was first met long ago: its earned_on
        # stays that date whatever is taken (the new attempts come after it), so no set earns it
        spent = verdict.expired & set(parts)
        for cid in spent:
            del parts[cid]
        learned = [
            learn_caps(cc, src, cid, parts[cid].problem, parts[cid].learning, chosen)
            for cid in sorted(earn)
            if cid in parts and parts[cid].learning
        ]
        if spent or any(learned):
            joint = _Joint(cat, parts, missing, pending)
    verdict.optimal = proven
    for g in missing:
        g.closable = bool(g.closed_with)
        if not g.closable:
            g.reason = _why_not(cc, src, day, g)
    return verdict if verdict.courses else None


@dataclass
class _Part:
    """A credential that may close a gap: its planning problem, and the caps of it the model
    learns from the evaluator."""

    cid: str
    problem: Problem
    learning: list[Cap]


class _Joint:
    """The planner's models of the credentials that may close a gap, joined in one CP-SAT model
    over shared "take" variables, with a variable per missing competency that implies some
    course or credential aligned with it at the level needed is taken or earned."""

    def __init__(self, cat: Catalog, parts: Mapping[str, _Part], missing: Sequence[GapItem], pending: set[str]):
        from ortools.sat.python import cp_model

        self.model: Any = cp_model.CpModel()
        built = Built(self.model, {})
        self.earn: dict[str, Any] = {}
        for cid, part in parts.items():
            root = part.problem.build(root=False, into=built)
            assert root is not None  # a part built into a model never fails on its face
            if root.root is False:
                continue
            var = self.model.new_bool_var(f"earn[{cid}]")
            if root.root is not True:
                self.model.add_implication(var, root.root)
            self.earn[cid] = var
        self.take = built.take
        self.closed: dict[str, Any] = {}
        for g in missing:
            ways = []
            for c in g.closers:
                if c in cat.courses:
                    if c not in self.take:
                        self.take[c] = self.model.new_bool_var(f"take[{c}]")
                    ways.append(self.take[c])
                elif c in self.earn:
                    ways.append(self.earn[c])
            if ways:
                self.closed[g.uri] = v = self.model.new_bool_var(f"closed[{g.uri}]")
                self.model.add_bool_or(ways).only_enforce_if(v)
        courses = sorted(self.take)
        #: the objectives, minimised one after the other (module docstring)
        self.stages: list[tuple[str, list[tuple[Any, int]]]] = [
            ("closed", [(v, -1) for v in self.closed.values()]),
            ("credits", [(self.take[c], round(cat.courses[c].credits * CREDIT_SCALE)) for c in courses]),
            ("courses", [(self.take[c], 1) for c in courses]),
            ("pending", [(self.take[c], -1) for c in courses if c in pending]),
        ]
        for i in range(0, len(courses), LEX_CHUNK):
            chunk = courses[i : i + LEX_CHUNK]
            self.stages.append(("bits", [(self.take[c], -(2 ** (len(chunk) - 1 - j))) for j, c in enumerate(chunk)]))
        self.claimed: set[str] = set()

    def solve(self, cuts: Sequence[frozenset[str]]) -> tuple[frozenset[str], set[str], bool] | None:
        """The best set of courses not cut, the credentials the model earns with it, and
        whether it is proven the best (False: a solve ran out of time with a set in hand);
        None when every set is cut. Raises TimeoutError when the first solve finds no set in
        time."""
        from ortools.sat.python import cp_model

        model = self.model.clone()
        take = self.take
        watched = [*take.values(), *self.earn.values(), *self.closed.values()]
        for chosen in cuts:  # not exactly this set (a set with a course no longer modelled cannot recur)
            if chosen <= take.keys():
                model.add(sum(1 - take[c] for c in chosen) + sum(take[c] for c in take if c not in chosen) >= 1)
        values: dict[int, bool] | None = None
        proven = True
        taken = None  # the number of courses of the best set, once known
        fixed_ones = 0
        for kind, terms in self.stages:
            if not terms:
                continue
            if kind == "bits" and values is not None:
                if taken is not None and fixed_ones == taken:
                    break  # every course of the set is settled: the rest are not taken
                if all(values[v.index] for v, _c in terms):
                    for v, _c in terms:  # the best this chunk can be, and already reached
                        model.add(v == 1)
                    fixed_ones += len(terms)
                    continue
            expr = sum(c * v for v, c in terms)
            model.minimize(expr)
            status = _solve(model, watched)
            if status[0] == cp_model.INFEASIBLE:  # every set is cut: the evaluator rejected them all
                return None
            if status[0] not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                if values is None:
                    raise TimeoutError(
                        f"the gap-closing model found no set of courses within the time limit ({TIME_LIMIT_S:g} s)"
                    )
                proven = False
                break
            values = status[1]
            if status[0] != cp_model.OPTIMAL:
                proven = False
                break
            if kind == "bits":  # the value of a chunk fixes each of its courses
                for v, _c in terms:
                    model.add(v == int(values[v.index]))
                fixed_ones += sum(values[v.index] for v, _c in terms)
            else:
                model.add(expr == sum(c * int(values[v.index]) for v, c in terms))
            if kind == "courses":
                taken = sum(values[v.index] for v, _c in terms)
            model.clear_hints()
            for v in take.values():
                model.add_hint(v, values[v.index])
        if values is None:  # no objective at all: nothing to take, nothing to close
            return frozenset(), set(), True
        self.claimed = {u for u, v in self.closed.items() if values[v.index]}
        chosen = frozenset(c for c, v in take.items() if values[v.index])
        return chosen, {cid for cid, v in self.earn.items() if values[v.index]}, proven


def _solve(model: Any, watched: Sequence[Any]) -> tuple[int, dict[int, bool]]:
    """Solve ``model`` with the planner's solver settings: the status, and the values of the
    ``watched`` variables (by index) when a solution was found."""
    from ortools.sat.python import cp_model

    solver = new_solver()
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return status, {}
    return status, {v.index: bool(solver.value(v)) for v in watched}


@dataclass
class _Rejected:
    """Why the evaluator rejected a set of courses, and the credentials expired with it."""

    text: str
    expired: set[str]


def _verify(
    cc: CompiledCatalog,
    src: TranscriptSource,
    day: dt.date,
    top: Grade,
    chosen: frozenset[str],
    claimed: set[str],
    have: list[GapItem],
    missing: list[GapItem],
    earned_before: set[str],
) -> Closing | _Rejected:
    """The chosen courses as a :class:`Closing` when the evaluator, given the record plus
    them, finds every need the model claims closed met, and every need met now still met;
    else why not. Marks the missing items with what closes them (when accepted)."""
    cat = cc.catalog
    t = src.transcript
    extra = [Attempt(course=c, date=day, grade=top.name) for c in sorted(chosen)]
    after = evaluate(cc, TranscriptSource(t.model_copy(update={"attempts": [*t.attempts, *extra]}), src.file), day)
    profile = _profile(after)
    lost = [g.uri for g in have if not Need(g.uri, g.required).met_by(profile.get(g.uri))]
    required = {g.uri: g.required for g in missing}
    unmet = [u for u in sorted(claimed) if not Need(u, required[u]).met_by(profile.get(u))]
    if lost or unmet:
        names = ", ".join(sorted(chosen)) or "no further course"
        found = [f"not evidenced: {', '.join(unmet)}"] if unmet else []
        found += [f"no longer met: {', '.join(lost)}"] if lost else []
        expired = {cid for cid, r in after.credentials.items() if r.status == "expired"}
        return _Rejected(f"with {names} the evaluator finds " + "; ".join(found), expired)
    new = sorted(cid for cid, r in after.credentials.items() if r.status == "earned" and cid not in earned_before)
    closes: dict[tuple[str, str], list[str]] = {}
    for g in missing:
        g.closed_with = []
        entry = profile.get(g.uri)
        if not Need(g.uri, g.required).met_by(entry):
            continue
        assert entry is not None
        for ev in entry.current_evidence():
            fresh = ev.id in chosen if ev.kind == "course" else ev.id in new
            if fresh and (g.required is None or (ev.level is not None and ev.level >= g.required)):
                closes.setdefault((ev.kind, ev.id), []).append(g.uri)
                g.closed_with.append(ev.id)
        g.closed_with = sorted(set(g.closed_with), key=lambda i: (i not in chosen, i))
    order = sorted(closes, key=lambda k: (k[0] != "course", k[1]))
    credits = float(sum(Fraction(str(cat.courses[c].credits)) for c in chosen))
    return Closing(
        sorted(chosen), credits, new, closes=[(kind, i, sorted(set(closes[(kind, i)]))) for kind, i in order]
    )


def _why_not(cc: CompiledCatalog, src: TranscriptSource, day: dt.date, g: GapItem) -> str:
    """Why no set of further courses closes missing need ``g``."""
    cat = cc.catalog
    if not g.closers:
        aligned = [(cid, course_alignments(cat, cid)) for cid in sorted(cat.courses)]
        aligned += sorted(credential_alignments(cat).items())
        lower = [(cid, al[g.uri]) for cid, al in aligned if g.uri in al]
        if not lower:
            return "no course or credential of the catalogue aligns with it"
        bare = " or without a level" if any(level is None for _c, level in lower) else ""
        where = ", ".join(f"{cid} ({_at(level)})" for cid, level in lower)
        return f"the catalogue teaches it only below level {g.required}{bare}: {where}"
    reasons: list[str] = []
    for cid in g.closers:
        if cid in cat.courses:  # (when closing it would undo what closes others)
            reasons.append(f"taking {cid} would evidence it, but not together with what closes the others")
            continue
        try:
            plan(cc, src, cid, day, alternatives=0)
        except PlanError as exc:
            reasons.append(str(exc))
        except (PlanUnconfirmed, TimeoutError) as exc:
            reasons.append(f"planning {cid} could not finish: {exc}")
        else:
            reasons.append(f"{cid} can be earned, but not together with what closes the others")
    return "; ".join(reasons)


def _at(level: int | None) -> str:
    return "no level stated" if level is None else f"level {level}"


@dataclass
class OccupationCoverage:
    occupation: Occupation
    covered: list[str]
    uncovered: list[str]

    @property
    def share(self) -> float:
        total = len(self.covered) + len(self.uncovered)
        return len(self.covered) / total if total else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "occupation": {"uri": self.occupation.uri, "title": self.occupation.title, "code": self.occupation.code},
            "needs": len(self.covered) + len(self.uncovered),
            "covered": self.covered,
            "uncovered": self.uncovered,
        }


def coverage(catalog: Catalog) -> list[OccupationCoverage]:
    """For each occupation that lists its needs: which of them some course or credential of the
    catalogue teaches at the level needed, and which none does; best covered first."""
    teach: dict[str, list[int | None]] = {}
    for cid in catalog.courses:
        for uri, level in course_alignments(catalog, cid).items():
            teach.setdefault(uri, []).append(level)
    for al in credential_alignments(catalog).values():
        for uri, level in al.items():
            teach.setdefault(uri, []).append(level)
    out = []
    for occ in catalog.occupations.values():
        if not occ.needs:
            continue
        covered: list[str] = []
        uncovered: list[str] = []
        for need in _needs(catalog, occ.needs):
            levels = teach.get(need.uri, [])
            ok = any(need.level is None or (lv is not None and lv >= need.level) for lv in levels)
            (covered if ok else uncovered).append(need.uri)
        out.append(OccupationCoverage(occ, covered, uncovered))
    return sorted(out, key=lambda c: (-c.share, c.occupation.title, c.occupation.uri))
