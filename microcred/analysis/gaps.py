"""Skill gaps: what a learner has and lacks for an occupation or a job's skill list, and the
cheapest courses and credentials that close the gap; and, for the institution, how much of
each occupation's needs its portfolio teaches.

A need is a competency and an optional level. The learner *has* it when their skill profile
holds it currently (docs/competencies.md) at that level or above (a need with a level is not
met by evidence without one). What is missing is closed by new courses: a course aligned with
the competency at the level, or a credential aligned with it, earned by one of the cheapest
course sets the planner (:func:`microcred.analysis.plan.plan`) finds for it. Among all
combinations of such courses and planned sets that cover every need some course or credential
can cover, the one with the fewest credits (then fewest courses, then the first by course ids)
is chosen exactly (an OR-Tools CP-SAT model), and then checked by the evaluator: the learner's
record with the new courses, completed on ``as_of`` with the top grade, is evaluated again and
its profile must meet every need it was chosen for. See docs/competencies.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from microcred.analysis.plan import PlanError, PlanUnconfirmed, plan, top_grade
from microcred.io.transcript import Attempt, Transcript, TranscriptSource
from microcred.model.catalog import Catalog
from microcred.model.competencies import Occupation, as_ref, merge_level, resolve_uri
from microcred.model.diagnostics import MicrocredError
from microcred.model.result import LearnerResult
from microcred.model.skills import SkillEntry, course_alignments, credential_alignments
from microcred.rules.compiled import CompiledCatalog
from microcred.rules.evaluate import compile_catalog, evaluate

#: how many of the cheapest course sets of each credential are offered to the search
PLANS_PER_CREDENTIAL = 3
TIME_LIMIT_S = 60.0


class GapError(Exception):
    """A target that names nothing the catalogue knows."""


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
    #: course and credential ids that could close it (empty: nothing in the catalogue teaches it)
    closers: list[str] = field(default_factory=list)

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
        return out


@dataclass
class Closing:
    """The cheapest new courses that close every gap that can be closed."""

    courses: list[str]
    credits: float
    #: credentials the learner would earn with them (verified)
    credentials: list[str]

    def to_json(self) -> dict[str, Any]:
        return {"credits": self.credits, "courses": self.courses, "credentials": self.credentials}


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
        return [g for g in self.missing if not g.closers]

    def to_json(self) -> dict[str, Any]:
        return {
            "learner": {"id": self.learner_id},
            "as_of": self.as_of.isoformat(),
            "target": self.target.to_json(),
            "have": [g.to_json(self.catalog) for g in self.have],
            "missing": [g.to_json(self.catalog) for g in self.missing],
            "uncovered": [g.uri for g in self.uncovered],
            "closing": self.closing.to_json() if self.closing else None,
        }


def _credit(x: float) -> int:
    return int(Fraction(str(x)) * 100)


def _profile(result: LearnerResult) -> dict[str, SkillEntry]:
    return {e.uri: e for e in result.skills or []}


def gaps(
    catalog: Catalog | CompiledCatalog,
    transcript: Transcript | TranscriptSource,
    target: Target,
    as_of: dt.date | None = None,
) -> GapReport:
    """The learner's gap to ``target`` and the cheapest way to close it (module docstring).

    Raises :class:`~microcred.model.diagnostics.MicrocredError` when the transcript has an
    error and :class:`TimeoutError` when the search runs out of time."""
    cc = compile_catalog(catalog)
    cat = cc.catalog
    src = transcript if isinstance(transcript, TranscriptSource) else TranscriptSource(transcript, "<transcript>")
    day = as_of or src.transcript.as_of or dt.date.today()
    result = evaluate(cc, src, day, detail=False)
    profile = _profile(result)
    passed = {v.id for e in result.skills or [] for v in e.evidence if v.kind == "course"}
    earned = {cid for cid, r in result.credentials.items() if r.status == "earned"}
    aligned = credential_alignments(cat)

    def reaches(have: int | None, need: Need) -> bool:
        return need.level is None or (have is not None and have >= need.level)

    have: list[GapItem] = []
    missing: list[GapItem] = []
    for need in target.needs:
        entry = profile.get(need.uri)
        held = entry.level if entry is not None and entry.current else None
        item = GapItem(need.uri, need.level, held, need.met_by(entry))
        if not item.has:
            for cid in sorted(cat.courses):
                al = course_alignments(cat, cid)
                if cid not in passed and need.uri in al and reaches(al[need.uri], need):
                    item.closers.append(cid)
            for cid in cat.credentials:
                al = aligned.get(cid, {})
                if cid not in earned and need.uri in al and reaches(al[need.uri], need):
                    item.closers.append(cid)
        (have if item.has else missing).append(item)
    closable = [g for g in missing if g.closers]
    closing = _close(cc, src, day, closable, profile) if closable else None
    return GapReport(result.learner_id, day, target, have, missing, closing, cat)


def _close(
    cc: CompiledCatalog, src: TranscriptSource, day: dt.date, closable: list[GapItem], before: dict[str, SkillEntry]
) -> Closing | None:
    from ortools.sat.python import cp_model

    cat = cc.catalog
    options: dict[str, list[frozenset[str]]] = {}  # a credential → its cheapest course sets
    for g in closable:
        for cid in g.closers:
            if cid in cat.credentials and cid not in options:
                try:
                    found = plan(cc, src, cid, day, alternatives=PLANS_PER_CREDENTIAL - 1)
                except (PlanError, PlanUnconfirmed, TimeoutError):
                    found = None
                options[cid] = [frozenset(s.ids) for s in found.options] if found else []
    courses = sorted(
        {c for g in closable for c in g.closers if c in cat.courses}
        | {c for sets in options.values() for s in sets for c in s}
    )
    model = cp_model.CpModel()
    x = {c: model.new_bool_var(f"take {c}") for c in courses}
    z: dict[tuple[str, int], Any] = {}
    for cid, sets in options.items():
        for i, s in enumerate(sets):
            z[(cid, i)] = v = model.new_bool_var(f"earn {cid} by set {i}")
            for c in s:
                model.add_implication(v, x[c])
    for g in closable:
        ways = [x[c] for c in g.closers if c in x]
        ways += [z[(cid, i)] for cid in g.closers if cid in options for i in range(len(options[cid]))]
        if ways:
            model.add_bool_or(ways)
    # fewest credits, then fewest courses, then (for up to 40 candidates) the first ids
    lex = len(courses) <= 40
    w2 = (1 << len(courses)) if lex else 1
    w1 = w2 * (len(courses) + 1)
    model.minimize(
        sum(
            x[c] * (_credit(cat.courses[c].credits) * w1 + w2 + ((1 << (len(courses) - 1 - i)) if lex else 0))
            for i, c in enumerate(courses)
        )
    )
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    solver.parameters.catch_sigint_signal = False
    solver.parameters.max_time_in_seconds = TIME_LIMIT_S
    status = solver.solve(model)
    if status == cp_model.UNKNOWN:
        raise TimeoutError("the gap could not be closed in time")
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    chosen = [c for c in courses if solver.value(x[c])]
    return _verify(cc, src, day, chosen, closable, before)


def _verify(
    cc: CompiledCatalog,
    src: TranscriptSource,
    day: dt.date,
    chosen: list[str],
    closable: list[GapItem],
    before: dict[str, SkillEntry],
) -> Closing:
    cat = cc.catalog
    grade = top_grade(cat.grade_scale)
    if grade is None:
        raise MicrocredError([])  # pragma: no cover - a scale where nothing passes plans nothing
    t = src.transcript
    extra = [Attempt(course=c, date=day, grade=grade.name) for c in chosen]
    after = evaluate(cc, TranscriptSource(t.model_copy(update={"attempts": [*t.attempts, *extra]}), src.file), day)
    profile = _profile(after)
    unmet = [g.uri for g in closable if not Need(g.uri, g.required).met_by(profile.get(g.uri))]
    if unmet:  # the evaluator disagrees with the search: say so rather than promise
        raise AssertionError(f"the courses chosen do not evidence {', '.join(unmet)}")
    earned_before = {v.id for e in before.values() for v in e.evidence if v.kind == "credential"}
    new = sorted(
        cid
        for cid, r in after.credentials.items()
        if r.status == "earned" and cid not in earned_before and r.earned_on == day
    )
    credits = float(sum(Fraction(str(cat.courses[c].credits)) for c in chosen))
    return Closing(chosen, credits, new)


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
