"""Synthetic learner populations: realistic transcripts for demos, load tests and scale-out.

``generate_population(catalog, learners, seed, as_of)`` yields one :class:`Transcript` per
learner, lazily (constant memory for any number of learners). Learner *i* depends only on
``seed``, ``i``, ``as_of`` and the catalogue, so the output is deterministic for a seed, and a
population can be generated in slices (``start=``) on many machines and still be the same.

Each learner follows a plausible programme toward a target credential: the programmes of the
catalogue's programmes file (``.programmes.yaml`` in its folder, read by
:mod:`microcred.io.programmes`; Example University's has certificates, the software development
microcredential, badges, the associate and the bachelor degree) when it has one; otherwise a plan
drawn from the courses that count toward a randomly chosen credential. Learners then take the
courses term by term (spring terms end on the Friday of 7–13 May, summer terms on the Friday
of 29 July–4 August, fall terms on the Friday of 10–16 December), full- or part-time, with
grades mostly A–C, some D and F, a few W, P/NC for pass/fail courses (one credit or less, not
a laboratory), repeats of failed courses, some transfer credit (grade TR, status
``transfer``), the courses of the current term ``in_progress`` (some with next term
``planned``), a few awarded external badges (``aws-cloud-practitioner``, with an expiry), and
learners at every stage: new, mid-programme, stopped out, graduated.

Attempts name catalogue courses only and grades come from the catalogue's grade scale, so
every learner evaluates without errors or warnings.

CSV (one row an attempt) cannot carry awarded credentials: :func:`write_csv` drops them (and
counts what it dropped); use JSON Lines (:func:`write_jsonl`, one transcript a line, read
back with :func:`read_jsonl`) to keep them.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import itertools
import json
import os
import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from microcred.model.dates import add_span
from microcred.run.programmes import Programme, Step, from_file, k_of

if TYPE_CHECKING:
    from microcred.io.transcript import Attempt, Awarded, Status, Transcript
    from microcred.model.catalog import Catalog
    from microcred.rules.compiled import CompiledCatalog
    from microcred.taxonomy.grades import GradeScale

__all__ = [
    "Programme",
    "Step",
    "WriteStats",
    "catalogue_programmes",
    "generate_population",
    "read_jsonl",
    "term_end",
    "transcript_to_json",
    "write_csv",
    "write_jsonl",
]

# -- the academic calendar -------------------------------------------------------------

#: (month, first day) of each term's end: the term ends on the first Friday on or after it.
_TERM_ENDS: tuple[tuple[int, int], ...] = ((5, 7), (7, 29), (12, 10))  # spring, summer, fall
SPRING, SUMMER, FALL = 0, 1, 2


@functools.lru_cache(maxsize=1024)
def term_end(term: int) -> dt.date:
    """The last day (a Friday) of term number ``term`` (``year * 3 + season``)."""
    year, season = divmod(term, 3)
    month, day = _TERM_ENDS[season]
    first = dt.date(year, month, day)
    return first + dt.timedelta(days=(4 - first.weekday()) % 7)


def current_term(as_of: dt.date) -> int:
    """The term in progress on ``as_of``: the first that ends after it (terms are contiguous)."""
    t = as_of.year * 3
    while term_end(t) <= as_of:
        t += 1
    while term_end(t - 1) > as_of:  # pragma: no cover - defensive
        t -= 1
    return t


# -- programmes ------------------------------------------------------------------------


def catalogue_programmes(catalog: Catalog | CompiledCatalog | str | os.PathLike[str]) -> tuple[Programme, ...]:
    """The programmes of the catalogue's programmes file, or ``()`` when it has none (a catalogue
    that does not remember its files, as one from the cache of compiled catalogues, has none).

    Raises :class:`~microcred.model.diagnostics.MicrocredError` with every problem of the file,
    located.
    """
    from microcred.io.programmes import programmes_file, read_programmes

    if isinstance(catalog, (str, os.PathLike)):
        found = programmes_file(catalog)
        return from_file(read_programmes(found, _as_catalog(catalog))) if found is not None else ()
    loaded = _as_catalog(catalog)
    found = programmes_file(loaded)
    return from_file(read_programmes(found, loaded)) if found is not None else ()


def _generic_programmes(catalog: Catalog) -> tuple[Programme, ...]:
    """For a catalogue without a programmes file: one programme per credential, from the
    courses that count toward it (capped at ten, lower levels first)."""
    from microcred.model.graph import build_graph, courses_toward

    g = build_graph(catalog)
    out = []
    for cid in sorted(catalog.credentials):
        courses = sorted(c for c in courses_toward(g, cid) if c in catalog.courses)
        if courses:
            out.append(Programme(cid, cid, 1.0, (k_of(min(10, len(courses)), *courses),)))
    return tuple(out)


# -- grades ----------------------------------------------------------------------------


class _Grades:
    """The grades a generator draws from, taken from the catalogue's grade scale."""

    def __init__(self, scale: GradeScale):
        graded = sorted((g.points, g.name) for g in scale.grades.values() if g.points is not None)
        self.graded: list[tuple[float, str]] = graded
        self.cuts: list[float] = [(a[0] + b[0]) / 2 for a, b in itertools.pairwise(graded)]
        failing = [name for p, name in graded if not scale[name].passing]
        self.fail: str | None = failing[0] if failing else None
        self.withdraw = "W" if "W" in scale and not scale["W"].passing else None
        self.transfer = "TR" if "TR" in scale and scale["TR"].passing else None
        self.pass_ = "P" if "P" in scale and scale["P"].passing else None
        self.no_credit = "NC" if "NC" in scale and not scale["NC"].passing else None
        self.top = graded[-1][0] if graded else 4.0
        self.scale = scale

    def letter(self, score: float) -> str:
        """The graded grade nearest to ``score`` on a 0–4 scale (rescaled to the catalogue's)."""
        s = score * self.top / 4.0
        lo, hi = 0, len(self.cuts)
        while lo < hi:  # bisect on the midpoints
            mid = (lo + hi) // 2
            if s < self.cuts[mid]:
                hi = mid
            else:
                lo = mid + 1
        return self.graded[lo][1]

    def passing(self, grade: str) -> bool:
        return self.scale[grade].passing

    def points(self, grade: str) -> float | None:
        return self.scale[grade].points


# -- the generator ---------------------------------------------------------------------


def _resolve(step: Step, rng: random.Random, out: list[str]) -> None:
    """Add the courses of ``k`` options of ``step`` to ``out``, preferring options that add new
    courses (a course counts once within a credential, so a repeat pick would leave a gap)."""
    shuffled = rng.sample(step.options, len(step.options))
    fresh = [o for o in shuffled if any(isinstance(p, Step) or p not in out for p in o)]
    stale = [o for o in shuffled if o not in fresh]
    for option in (fresh + stale)[: step.k]:
        for part in option:
            if isinstance(part, Step):
                _resolve(part, rng, out)
            elif part not in out:
                out.append(part)


def _attempt(course: str, day: dt.date | None, grade: str | None, status: Status) -> Attempt:
    """An attempt built without validation (the generator makes only valid ones; every field
    is given, which is what keeps ``model_construct`` fast)."""
    from microcred.io.transcript import Attempt

    return Attempt.model_construct(course=course, date=day, grade=grade, credits=None, status=status, term=None)


@dataclass
class _Plan:
    courses: list[str]
    awarded: list[Awarded] = field(default_factory=list)


class PopulationGenerator:
    """Generates learner *i* of a population; :func:`generate_population` iterates it."""

    def __init__(self, catalog: Catalog, seed: int, as_of: dt.date, programmes: Sequence[Programme] = ()):
        self.catalog = catalog
        self.seed = seed
        self.as_of = as_of
        self.now = current_term(as_of)
        self.grades = _Grades(catalog.grade_scale)
        self.programmes = tuple(programmes) or _generic_programmes(catalog)
        self.weights = [p.weight for p in self.programmes]
        courses = catalog.courses
        self.credits = {cid: float(c.credits) for cid, c in courses.items()}
        self.level = {cid: int(c.level or 0) for cid, c in courses.items()}
        self.capstone = {cid for cid, c in courses.items() if "capstone" in c.attributes}
        self.needs = self._needs()
        self.pass_fail = {
            cid for cid, c in courses.items() if c.credits <= 1 and "lab" not in c.attributes and self.grades.pass_
        }

    def _needs(self) -> dict[str, dict[str, float]]:
        """Per programme target: the minimum grade points each course needs somewhere in its
        rule (advisors send learners back to retake a course below it)."""
        from microcred.rules.evaluate import compile_catalog
        from microcred.rules.kinds import KINDS

        cc = compile_catalog(self.catalog)
        out: dict[str, dict[str, float]] = {}
        for prog in self.programmes:
            comp = cc.credentials.get(prog.target)
            need: dict[str, float] = {}
            if comp is not None and comp.root is not None:
                for node in comp.root.walk():
                    kind = KINDS[node.kind]
                    if node.min_points is None or not kind.consuming:
                        continue
                    for c in kind.relevant(node) or ():
                        need[c] = max(need.get(c, 0.0), node.min_points)
            out[prog.target] = need
        return out

    # one learner ---------------------------------------------------------------------

    def learner(self, index: int) -> Transcript:
        from microcred.io.transcript import Learner, Transcript

        rng = random.Random(f"microcred-generate:{self.seed}:{index}")
        lid = f"L{index + 1:07d}"
        if not self.programmes:
            return Transcript.model_construct(
                learner=Learner.model_construct(id=lid, name=None, email=None, identifiers=[]),
                as_of=self.as_of,
                attempts=[],
                awarded=[],
                exceptions=[],
            )
        prog = rng.choices(self.programmes, self.weights)[0]
        ability = rng.gauss(0.0, 0.55)
        # the term the learner started: up to eight years ago (0 = new this term)
        start = self.now - (rng.randint(0, 1) if rng.random() < 0.12 else rng.randint(2, 27))
        plan = self._plan(prog, rng, start)
        attempts: list[Attempt] = []
        queue = plan.courses
        self._transfers(prog, rng, start, queue, attempts)
        style = rng.random()
        load_lo, load_hi = (4, 5) if style < 0.5 else (2, 3) if style < 0.85 else (1, 2)
        dropout = 0.015 + (0.035 if ability < -0.6 else 0.0)
        tries: dict[str, int] = {}
        needs = self.needs.get(prog.target, {})
        t = start
        while queue and t <= self.now:
            season = t % 3
            if t != start and t != self.now:
                if season == SUMMER and rng.random() > 0.35:
                    t += 1
                    continue
                if rng.random() < 0.04:  # sits a term out
                    t += 1
                    continue
                if rng.random() < dropout:  # stops out for good
                    break
            load = rng.randint(1, 2) if season == SUMMER else rng.randint(load_lo, load_hi)
            take, queue[:] = queue[:load], queue[load:]
            if t == self.now:
                attempts.extend(_attempt(c, None, None, "in_progress") for c in sorted(take))
                if queue and rng.random() < 0.2:
                    nxt = queue[: rng.randint(1, 3)]
                    attempts.extend(_attempt(c, None, None, "planned") for c in nxt)
                break
            day = term_end(t)
            retakes: list[str] = []
            for course in sorted(take):
                grade = self._grade(course, ability, rng)
                attempts.append(_attempt(course, day, grade, "completed"))
                tries[course] = tries.get(course, 0) + 1
                if tries[course] < 3 and self._retake(grade, needs.get(course), rng):
                    retakes.append(course)
            queue[:0] = retakes
            t += 1
        return Transcript.model_construct(
            learner=Learner.model_construct(id=lid, name=None, email=None, identifiers=[]),
            as_of=self.as_of,
            attempts=attempts,
            awarded=plan.awarded,
            exceptions=[],
        )

    def _plan(self, prog: Programme, rng: random.Random, start: int) -> _Plan:
        from microcred.io.transcript import Awarded

        courses: list[str] = []
        for step in prog.steps:
            _resolve(step, rng, courses)
        for course, p in prog.extras:
            if rng.random() < p and course not in courses:
                courses.append(course)
        awarded: list[Awarded] = []
        for aw in prog.awards:
            cred = self.catalog.credentials.get(aw.credential)
            if cred is None or rng.random() >= aw.probability:
                continue
            t = rng.randint(start - 4, self.now - 1)
            day = term_end(t) - dt.timedelta(days=rng.randint(0, 90))
            years = cred.valid_for.years if cred.valid_for else 3
            months = cred.valid_for.months if cred.valid_for else 0
            expires = add_span(day, years, months)
            if expires <= day:  # pragma: no cover - a zero validity period
                expires = day + dt.timedelta(days=1)
            awarded.append(
                Awarded.model_construct(
                    credential=aw.credential, date=day, expires_on=expires, issuer=None, evidence=None
                )
            )
            courses = [c for c in courses if c not in aw.replaces]
        courses = [c for c in courses if c in self.credits]
        total = sum(self.credits[c] for c in courses)
        upper = sum(self.credits[c] for c in courses if self.level[c] >= 3000)
        fillers = [c for c in prog.fillers if c in self.credits and c not in courses]
        rng.shuffle(fillers)
        fillers.sort(key=lambda c: self.level[c] < 3000)  # upper-division first while short of it
        while fillers and (total < prog.credits or upper < prog.upper_credits):
            pick = fillers.pop(0) if upper < prog.upper_credits else fillers.pop()
            courses.append(pick)
            total += self.credits[pick]
            upper += self.credits[pick] if self.level[pick] >= 3000 else 0
        # roughly by level (a few take a course early), capstones last
        keyed = [
            (self.level[c] / 1000 + rng.random() * 1.3 + (10 if c in self.capstone else 0), i, c)
            for i, c in enumerate(courses)
        ]
        keyed.sort()
        return _Plan([c for _k, _i, c in keyed], awarded)

    def _transfers(
        self, prog: Programme, rng: random.Random, start: int, queue: list[str], attempts: list[Attempt]
    ) -> None:
        if self.grades.transfer is None or rng.random() >= prog.transfer_rate:
            return
        # lower-division courses whose grade no requirement of the programme cares about (a
        # TR has no points, so it cannot meet a minimum grade: advisors do not accept those)
        needs = self.needs.get(prog.target, {})
        lower = [c for c in queue if self.level[c] < 3000 and c not in needs]
        if not lower:
            return
        moved = rng.sample(lower, min(len(lower), rng.randint(1, 4)))
        day = term_end(start - rng.randint(2, 9))
        for course in sorted(moved):
            queue.remove(course)
            attempts.append(_attempt(course, day, self.grades.transfer, "transfer"))

    def _grade(self, course: str, ability: float, rng: random.Random) -> str:
        g = self.grades
        if g.withdraw and rng.random() < (0.04 if ability > -0.5 else 0.08):
            return g.withdraw
        if course in self.pass_fail:
            assert g.pass_ is not None
            return g.no_credit if g.no_credit and rng.random() < 0.04 else g.pass_
        if g.fail and rng.random() < 0.025:  # stopped attending
            return g.fail
        return g.letter(max(0.0, min(4.0, 3.1 + ability + rng.gauss(0.0, 0.7))))

    def _retake(self, grade: str, need: float | None, rng: random.Random) -> bool:
        """Whether the learner repeats a course after ``grade`` (``need``: the points the
        programme asks of it, if any)."""
        if not self.grades.passing(grade):
            return rng.random() < 0.85
        points = self.grades.points(grade)
        if points is None:
            return False
        if need is not None and points < need:  # below the programme's minimum grade
            return rng.random() < 0.8
        if points < 1.5 * self.grades.top / 4:  # a D
            return rng.random() < 0.3
        if points < 2.0 * self.grades.top / 4:  # a C-
            return rng.random() < 0.1
        return False


def _as_catalog(catalog: Catalog | CompiledCatalog | str | os.PathLike[str]) -> Catalog:
    from microcred.model.catalog import Catalog

    if isinstance(catalog, Catalog):
        return catalog
    if isinstance(catalog, (str, os.PathLike)):
        from microcred.checks.validate import load_catalog

        return load_catalog(Path(catalog))
    inner: Catalog = catalog.catalog
    return inner


def generate_population(
    catalog: Catalog | CompiledCatalog | str | Path,
    learners: int,
    seed: int,
    as_of: dt.date,
    *,
    start: int = 0,
    programmes: Sequence[Programme] | None = None,
) -> Iterator[Transcript]:
    """Transcripts of learners ``start`` … ``start + learners - 1`` (ids ``L0000001`` …), lazily.

    Deterministic: learner *i* depends only on the catalogue, its programmes, ``seed``, ``i``
    and ``as_of``, so slices generated apart (``start=``) join into the same population.
    ``programmes`` (default: :func:`catalogue_programmes`, read before the first learner, so
    that a bad programmes file raises here) are the paths learners follow; none, the generic
    ones drawn from the catalogue.
    """
    if learners < 0 or start < 0:
        raise ValueError("learners and start must not be negative")
    loaded = _as_catalog(catalog)
    if programmes is None:
        programmes = catalogue_programmes(loaded)
    gen = PopulationGenerator(loaded, seed, as_of, programmes)
    return (gen.learner(i) for i in range(start, start + learners))


# -- writing and reading ---------------------------------------------------------------


@dataclass
class WriteStats:
    learners: int = 0
    attempts: int = 0
    awards: int = 0
    awards_dropped: int = 0


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def write_csv(transcripts: Iterable[Transcript], out: TextIO, *, header: bool = True) -> WriteStats:
    """Write attempts as CSV (``learner_id,course,date,grade,credits,status``), streaming.

    CSV has no place for awarded credentials: they are dropped and counted in
    ``WriteStats.awards_dropped``; so are exceptions and learner names.
    """
    from microcred.io.transcript import CSV_COLUMNS

    w = csv.writer(out, lineterminator="\n")
    stats = WriteStats()
    if header:
        w.writerow(CSV_COLUMNS)
    for t in transcripts:
        stats.learners += 1
        lid = t.learner.id
        for a in t.attempts:
            w.writerow(
                (
                    lid,
                    a.course,
                    a.date.isoformat() if a.date else "",
                    a.grade or "",
                    _num(a.credits) if a.credits is not None else "",
                    a.status,
                )
            )
        stats.attempts += len(t.attempts)
        stats.awards_dropped += len(t.awarded)
    return stats


def transcript_to_json(t: Transcript) -> dict[str, Any]:
    """A transcript as the JSON object microcred reads (``read_transcript_text``)."""
    learner: dict[str, Any] = {"id": t.learner.id}
    if t.learner.name:
        learner["name"] = t.learner.name
    if t.learner.email:
        learner["email"] = t.learner.email
    doc: dict[str, Any] = {"learner": learner}
    if t.as_of is not None:
        doc["as_of"] = t.as_of.isoformat()
    attempts = []
    for a in t.attempts:
        item: dict[str, Any] = {"course": a.course}
        if a.date is not None:
            item["date"] = a.date.isoformat()
        if a.grade is not None:
            item["grade"] = a.grade
        if a.credits is not None:
            item["credits"] = a.credits
        item["status"] = a.status
        attempts.append(item)
    doc["attempts"] = attempts
    if t.awarded:
        doc["awarded"] = [
            {"credential": aw.credential, "date": aw.date.isoformat()}
            | ({"expires_on": aw.expires_on.isoformat()} if aw.expires_on else {})
            for aw in t.awarded
        ]
    if t.exceptions:
        doc["exceptions"] = [e.model_dump(mode="json", by_alias=True, exclude_none=True) for e in t.exceptions]
    return doc


def write_jsonl(transcripts: Iterable[Transcript], out: TextIO) -> WriteStats:
    """Write one JSON transcript a line (awards included), streaming."""
    stats = WriteStats()
    for t in transcripts:
        out.write(json.dumps(transcript_to_json(t), ensure_ascii=False, separators=(",", ":")))
        out.write("\n")
        stats.learners += 1
        stats.attempts += len(t.attempts)
        stats.awards += len(t.awarded)
    return stats


def read_jsonl(lines: Iterable[str], file: str = "<jsonl>") -> Iterator[Any]:
    """Transcripts of a JSON Lines text, one a line, through microcred's transcript reader:
    each item a :class:`~microcred.io.transcript.TranscriptSource` (located at its line) or a
    :class:`~microcred.io.transcript.TranscriptError`."""
    from microcred.io.transcript import TranscriptError, read_transcript_text

    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            yield read_transcript_text(line, f"{file}:{n}" if file else str(n))
        except TranscriptError as exc:
            yield exc
