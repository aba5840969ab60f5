"""Evaluating a learner's transcript against a catalogue: statuses, dates, progress,
what counted, what is missing, and where it all stacks."""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import math
import threading
from collections.abc import Callable, Iterable, Sequence
from fractions import Fraction
from typing import Any

from microcred.io.modelerrors import suggest
from microcred.io.transcript import Awarded, Substitute, Transcript, TranscriptSource, Waive
from microcred.model import skills
from microcred.model.catalog import Catalog
from microcred.model.dates import add_span
from microcred.model.diagnostics import Diagnostic, Location, MicrocredError
from microcred.model.result import CredentialResult, ExceptionUse, LearnerResult, NotCounted, StackEntry, StackTarget
from microcred.rules import explain
from microcred.rules.compiled import CompiledCatalog, CompiledCredential
from microcred.rules.cpsat import solve_cpsat
from microcred.rules.recognition import ExternalCredential, Recognised, recognise, recognition_limit
from microcred.rules.scenario import EPS, Item, Scenario, attempt_rank, build_scenario
from microcred.rules.solver import Budget, Solution, solve

STATUSES = ("earned", "expired", "in_progress", "partial", "not_started")


#: progress -> its exact value (progress values repeat: a few small denominators)
_EXACT: dict[float, float] = {}


def exact(progress: float) -> float:
    """The progress as the nearest fraction with a small denominator, as a float.

    Progress is a rational number (counts over needs, means of those); its float computation
    can be one unit in the last place off. Every progress microcred computes has a
    denominator far below 10^7, and the float is within 1e-15 of it, so the nearest fraction
    with a denominator up to 10^7 is the exact value: reported correctly rounded, the same
    whatever order the sums were taken in.
    """
    hit = _EXACT.get(progress)
    if hit is None:
        hit = float(Fraction(progress).limit_denominator(10**7))
        if len(_EXACT) >= 100_000:
            _EXACT.clear()
        _EXACT[progress] = hit
    return hit


#: Most results kept per credential for reuse across learners (``evaluate(reuse=True)``); a
#: credential's table is emptied when it is full, so the memory stays bounded.
REUSE_PER_CREDENTIAL = 1024
#: Look-ups after which a credential whose results are found fewer than one time in
#: ``REUSE_MIN_SHARE`` stops being kept (see ``_Reuse``).
REUSE_TRIAL = 500
REUSE_MIN_SHARE = 20


class _Reuse:
    """The results of one credential kept for reuse across learners, by what its evaluation
    reads (``_Learner._reuse_key``): at most ``REUSE_PER_CREDENTIAL``, emptied when full.

    Keeping them costs a key and a copy a learner; a credential whose records rarely repeat
    (one that reads every course, say, for a GPA) does not repay that, so after
    ``REUSE_TRIAL`` look-ups with fewer than one in ``REUSE_MIN_SHARE`` found, the credential
    is evaluated afresh from then on. Either way every result is what evaluating afresh gives.
    Threads sharing a compiled catalogue share these tables: each step is one dictionary
    operation, and a lost count only moves the moment of that decision."""

    __slots__ = ("hits", "lookups", "results", "worth")

    def __init__(self) -> None:
        self.results: dict[tuple[Any, ...], CredentialResult] = {}
        self.lookups = 0
        self.hits = 0
        self.worth = True

    def get(self, key: tuple[Any, ...]) -> CredentialResult | None:
        hit = self.results.get(key)
        self.lookups += 1
        if hit is not None:
            self.hits += 1
        elif self.lookups >= REUSE_TRIAL and self.hits * REUSE_MIN_SHARE < self.lookups:
            self.worth = False
            self.results = {}
        return hit

    def put(self, key: tuple[Any, ...], result: CredentialResult) -> None:
        if not self.worth:
            return
        if len(self.results) >= REUSE_PER_CREDENTIAL:
            self.results = {}
        self.results[key] = result

    def __len__(self) -> int:
        return len(self.results)


def _copy_result(r: CredentialResult) -> CredentialResult:
    """A copy of a result that shares nothing a caller may change (its lists are new; the
    entries in them are immutable)."""
    return CredentialResult(
        r.id,
        r.title,
        r.type,
        r.status,
        r.earned_on,
        r.expires_on,
        r.progress,
        list(r.applied),
        list(r.missing),
        list(r.stacks_into),
        list(r.not_counted),
        list(r.exceptions),
        r.requirements,
        r.awarded,
        r.competencies,
    )


#: How many catalogues :func:`compile_catalog` keeps the compiled form of.
COMPILED_KEPT = 4
#: id(catalog) -> (the catalogue, its compiled form), the most recently compiled last: a
#: caller that passes the same catalogue again and again (``evaluate(catalog, t)`` in a loop)
#: compiles it once. The entry holds the catalogue, so its id is not reused while it is here.
_compiled: dict[int, tuple[Catalog, CompiledCatalog]] = {}
_compiling = threading.Lock()


def compile_catalog(catalog: Catalog | CompiledCatalog) -> CompiledCatalog:
    """The compiled form of a catalogue (compiled once, reused for every learner).

    Given a :class:`Catalog`, the compiled form of the last ``COMPILED_KEPT`` catalogues given
    is kept here, in this module (a program evaluating against one catalogue holds on to its
    :class:`CompiledCatalog`, which holds the catalogue)."""
    if isinstance(catalog, CompiledCatalog):
        return catalog
    hit = _compiled.get(id(catalog))
    if hit is not None and hit[0] is catalog:
        return hit[1]
    with _compiling:
        hit = _compiled.get(id(catalog))
        if hit is not None and hit[0] is catalog:
            return hit[1]
        compiled = CompiledCatalog(catalog)
        while len(_compiled) >= COMPILED_KEPT:
            del _compiled[next(iter(_compiled))]
        _compiled[id(catalog)] = (catalog, compiled)
        return compiled


def check_transcript(
    cc: CompiledCatalog, src: TranscriptSource, as_of: dt.date | None = None
) -> tuple[list[Diagnostic], list[Diagnostic]]:
    """Errors (grades off the scale, exceptions naming nothing) and warnings (courses and
    credentials the catalogue lacks; with ``as_of``, the evaluation date, completed and
    transfer attempts dated after it) of one transcript, located."""
    t = src.transcript
    scale = cc.scale
    errors: list[Diagnostic] = []
    warnings: list[Diagnostic] = []
    substituted = {e.substitute.course for e in t.exceptions if isinstance(e, Substitute)}
    for i, a in enumerate(t.attempts):
        if a.grade is not None and a.grade not in scale:
            errors.append(
                Diagnostic(
                    "E502",
                    f"grade {a.grade!r} of {a.course} is not on the grade scale{suggest(a.grade, scale.names())}; "
                    f"grades: {', '.join(scale.names())}",
                    src.locate_attempt(i, "grade"),
                    subject=t.learner.id,
                )
            )
        if a.course not in cc.catalog.courses and a.course not in substituted:
            warnings.append(
                Diagnostic(
                    "W606",
                    f"course {a.course} is not in the catalogue{suggest(a.course, cc.catalog.courses)}; "
                    "this attempt counts nowhere",
                    src.locate_attempt(i, "course"),
                    subject=t.learner.id,
                )
            )
        elif as_of is not None and a.date is not None and a.date > as_of and a.status in ("completed", "transfer"):
            warnings.append(
                Diagnostic(
                    "W608",
                    f"{a.status} attempt of {a.course} is {future_reason(a.date, as_of)}, so it counts nowhere; "
                    "correct its date, or evaluate at a later date (--as-of)",
                    src.locate_attempt(i, "date"),
                    subject=t.learner.id,
                )
            )
    for i, aw in enumerate(t.awarded):
        if aw.credential not in cc.catalog.credentials:
            warnings.append(
                Diagnostic(
                    "W607",
                    f"awarded credential {aw.credential!r} is not in the catalogue"
                    f"{suggest(aw.credential, cc.catalog.credentials)}; it counts nowhere",
                    src.locate(("awarded", i, "credential")),
                    subject=t.learner.id,
                )
            )
    for i, ex in enumerate(t.exceptions):
        where = src.locate(("exceptions", i))
        if ex.credential is not None and ex.credential not in cc.catalog.credentials:
            errors.append(
                Diagnostic("E505", f"exception names credential {ex.credential!r}, which the catalogue lacks", where)
            )
            continue
        if isinstance(ex, Waive):
            if not _waived_nodes(cc, ex):
                scope = f"credential {ex.credential}" if ex.credential else "any credential"
                errors.append(
                    Diagnostic(
                        "E505",
                        f"no rule node of {scope} has id {ex.waive!r}; waivers name a node by its `id:`",
                        where,
                    )
                )
        elif ex.substitute.for_ not in cc.catalog.courses:
            errors.append(
                Diagnostic(
                    "E505",
                    f"substitution for {ex.substitute.for_!r}: that course is not in the catalogue",
                    where,
                )
            )
    return errors, warnings


def future_reason(date: dt.date, as_of: dt.date) -> str:
    """Why an attempt dated after the evaluation date does not count."""
    return f"dated {date.isoformat()}, after the evaluation date {as_of.isoformat()}"


def _waived_nodes(cc: CompiledCatalog, ex: Waive) -> set[int]:
    found: set[int] = set()
    for comp in cc.credentials.values():
        if comp.root is None:
            continue
        for node in comp.root.walk():
            if node.node_id == ex.waive and (ex.credential is None or node.owner == ex.credential):
                found.add(id(node))
    return found


class _Learner:
    """One learner's evaluation: scenarios are built once and shared by every credential."""

    def __init__(self, cc: CompiledCatalog, t: Transcript, as_of: dt.date, include_planned: bool, detail: bool = True):
        self.cc = cc
        self.detail = detail
        self.t = t
        self.as_of = as_of
        self.pending = ("in_progress", "planned") if include_planned else ("in_progress",)
        #: the attempts the learner is taking now (or plans, with include_planned), and their courses
        self.pending_attempts = [a for a in t.attempts if a.status in self.pending]
        self.pending_courses = frozenset(a.course for a in self.pending_attempts)
        cat = cc.catalog
        self.credits_of = cc.course_credits
        self.cred_credits = cc.credential_credits
        self.awarded = [self._effective(aw) for aw in t.awarded if aw.credential in cat.credentials]
        self.waivers = [e for e in t.exceptions if isinstance(e, Waive)]
        self.subs = [e for e in t.exceptions if isinstance(e, Substitute)]
        self.waived_ids: set[int] = set()
        for w in self.waivers:
            self.waived_ids |= _waived_nodes(cc, w)
        self._scenarios: dict[tuple[dt.date, str, tuple[tuple[str, str], ...]], Scenario] = {}
        self._item_memo: dict[tuple[int, str], tuple[tuple[float, ...], Item]] = {}
        self.results: dict[str, CredentialResult] = {}
        #: the learner's result for another credential, to explain a nested one (see explain.requirement_tree)
        self.held: Callable[[str], CredentialResult | None] | None = None
        #: what the learner's external credentials added (None: no evidence was given)
        self.recognised: Recognised | None = None
        #: attempts from index ``native`` on come from recognition
        self.native = len(t.attempts)
        #: whether a credential's result may be taken from an earlier learner with the same
        #: relevant record (see :meth:`_reuse_key`); set by :func:`evaluate`
        self.reuse = False
        #: the credentials the record can change (see :meth:`_touches`), worked out on first use
        self._touched: set[str] | None = None

    def _effective(self, aw: Awarded) -> Awarded:
        cred = self.cc.catalog.credentials[aw.credential]
        if aw.expires_on is None and cred.valid_for is not None:
            return aw.model_copy(update={"expires_on": add_span(aw.date, cred.valid_for.years, cred.valid_for.months)})
        return aw

    def substitutions(self, cid: str) -> tuple[tuple[str, str], ...]:
        if not self.subs:
            return ()
        return tuple(sorted((s.substitute.course, s.substitute.for_) for s in self.subs if s.credential in (None, cid)))

    def scenario(self, cut: dt.date, mode: str, subs: tuple[tuple[str, str], ...]) -> Scenario:
        key = (cut, mode, subs)
        sc = self._scenarios.get(key)
        if sc is None:
            sc = build_scenario(
                attempts=self.t.attempts,
                awarded=self.awarded,
                credits_of=self.credits_of,
                credential_credits=self.cred_credits,
                scale=self.cc.scale,
                policy=self.cc.catalog.repeats,
                cut=cut,
                as_of=self.as_of,
                mode=mode,
                pending=self.pending,
                substitutions=dict(subs),
                memo=self._item_memo,
            )
            self._scenarios[key] = sc
        return sc

    # -- one credential -----------------------------------------------------------------

    def evaluate(self, cid: str, *, blank_ok: bool = True) -> CredentialResult:
        cat = self.cc.catalog
        cred = cat.credentials[cid]
        comp = self.cc.credentials[cid]
        exceptions = self._exceptions_for(comp)
        awards = [aw for aw in self.awarded if aw.credential == cid and aw.date <= self.as_of]
        base: dict[str, Any] = dict(id=cid, title=cred.title, type=cred.type, stacks_into=[], exceptions=exceptions)
        if awards:
            valid = [aw for aw in awards if aw.expires_on is None or self.as_of < aw.expires_on]
            pick = max(valid or awards, key=lambda a: (a.date, a.expires_on or dt.date.max))
            return CredentialResult(
                status="earned" if valid else "expired",
                earned_on=pick.date,
                expires_on=pick.expires_on,
                progress=1.0,
                applied=[],
                missing=[],
                awarded=True,
                **base,
            )
        if comp.root is None:
            return CredentialResult(
                status="not_started",
                earned_on=None,
                expires_on=None,
                progress=0.0,
                applied=[],
                missing=[f"{cred.title} is awarded from outside only; it has no rule to meet"],
                **base,
            )
        subs = self.substitutions(cid)
        if blank_ok and not self._touches(comp, subs):
            return self._blank(cid)
        if not self.reuse or cred.limits is not None:
            return self._evaluate_rule(comp, subs, base)
        cache = comp.cache
        reuse = cache.reuse
        if reuse is None:
            reuse = cache.reuse = _Reuse()
        if not reuse.worth:
            return self._evaluate_rule(comp, subs, base)
        key = self._reuse_key(comp)
        hit = reuse.get(key)
        if hit is None:
            result = self._evaluate_rule(comp, subs, base)
            reuse.put(key, _copy_result(result))
            return result
        return _copy_result(hit)

    def _reuse_key(self, comp: CompiledCredential) -> tuple[Any, ...]:
        """Everything the evaluation of ``comp`` reads from this learner, so that two learners
        with the same key get the same result: the attempts of the courses that can change it
        (every attempt when any course can), in the record's order, with every field the engine
        reads; the awards it can use (as made effective by ``valid_for``); the evaluation date
        and which statuses count as pending. Only used without exceptions, evidence, caps and
        detail (``reuse``), which read more of the record or of the other results."""
        rel = comp.relevant_courses
        attempts = self.t.attempts
        own = tuple(
            (a.course, a.date, a.grade, a.credits, a.status) for a in attempts if rel is None or a.course in rel
        )
        creds = comp.relevant_credentials
        awards = tuple((aw.credential, aw.date, aw.expires_on) for aw in self.awarded if aw.credential in creds)
        return (self.as_of, self.pending, own, awards)

    def _evaluate_rule(
        self, comp: CompiledCredential, subs: tuple[tuple[str, str], ...], base: dict[str, Any]
    ) -> CredentialResult:
        """The result of credential ``comp`` (which has a rule) from the learner's record."""
        assert comp.root is not None
        cid = comp.id
        cred = self.cc.catalog.credentials[cid]
        waived = (
            frozenset(i for i in self.waived_ids if any(i == id(n) for n in comp.root.walk()))
            if self.waived_ids
            else frozenset()
        )
        full = self.scenario(self.as_of, "completed", subs)
        budgets = self.budgets(cid)
        sol = solve(comp, full, waived, cpsat=solve_cpsat, budgets=budgets)
        if sol.satisfied:
            earned_on, sol_at, sc_at = self._earliest(comp, subs, waived, sol, full)
            expires_on = add_span(earned_on, cred.valid_for.years, cred.valid_for.months) if cred.valid_for else None
            status = "expired" if expires_on is not None and self.as_of >= expires_on else "earned"
            return self._result(comp, sol_at, sc_at, waived, status, earned_on, expires_on, 1.0, base)
        progress = exact(sol.progress)
        status = "partial" if progress > 0 else "not_started"
        if self._has_pending(comp):
            ip = self.scenario(self.as_of, "in_progress", subs)
            # a course retaken here is no longer the recognised attempt that counts
            caps = self.budgets(cid, mode="in_progress") if self.recognised is not None else budgets
            sol_ip = solve(comp, ip, waived, satisfy_only=True, cpsat=solve_cpsat, budgets=caps)
            if sol_ip.satisfied:
                status = "in_progress"
        return self._result(comp, sol, full, waived, status, None, None, progress, base)

    def budgets(self, cid: str, cut: dt.date | None = None, mode: str = "completed") -> list[Budget]:
        """The caps the catalogue puts on credential ``cid`` (``limits:``), as solver budgets,
        for the record cut to ``cut`` (default: the evaluation date), in scenario ``mode``.

        A sharing limit with credential B caps the courses counted here that B's own
        evaluation counts (B is evaluated first)."""
        limits = self.cc.catalog.credentials[cid].limits
        if limits is None:
            return []
        out: list[Budget] = []
        if limits.prior_learning_credits is not None:
            keys = frozenset("credential:" + c for c in self.cc.catalog.credentials)
            out.append(Budget(keys, True, limits.prior_learning_credits))
        for lim in limits.shared_with:
            other = self.results.get(lim.credential)
            counted = (
                frozenset(a.substituted_for or a.course for a in other.applied if a.status != "awarded")
                if other is not None
                else frozenset()
            )
            if lim.max_credits is not None:
                out.append(Budget(counted, True, lim.max_credits))
            else:
                out.append(Budget(counted, False, float(lim.max_courses or 0)))
        cap = recognition_limit(self.cc.catalog, cid)
        if cap is not None:
            out.append(Budget(self.recognised_keys(cid, cut, mode), True, cap))
        return out

    def recognised_keys(self, cid: str, cut: dt.date | None = None, mode: str = "completed") -> frozenset[str]:
        """The items recognition put in the record for credential ``cid``, cut to ``cut``: its
        awards, and the courses whose counted attempt (by the ``repeats`` policy; in the
        in-progress scenario, an in-progress attempt replaces it) is a recognised one."""
        rec = self.recognised
        if rec is None or not rec.keys:
            return frozenset()
        items = self.scenario(cut or self.as_of, mode, self.substitutions(cid)).items
        return frozenset(
            k for k in rec.keys if k.startswith("credential:") or (k in items and items[k].attempt >= self.native)
        )

    def _touches(self, comp: CompiledCredential, subs: tuple[tuple[str, str], ...]) -> bool:
        """Whether anything in the record can change this credential's result.

        Found through the compiled catalogue's index from courses to the credentials they
        can count toward, so the cost grows with what the record touches, not with the
        size of the catalogue."""
        if self.t.exceptions or subs:
            return True
        touched = self._touched
        if touched is None:
            cc = self.cc
            touched = set(cc.uses_all_courses) if self.t.attempts else set()
            for a in self.t.attempts:
                touched |= cc.by_course.get(a.course, set())
            awarded = {aw.credential for aw in self.awarded}
            if awarded:
                touched |= {cid for cid, c in cc.credentials.items() if c.relevant_credentials & awarded}
            self._touched = touched
        return comp.id in touched

    def _blank(self, cid: str) -> CredentialResult:
        """The result for a learner whose record touches nothing of this credential: the same
        for everyone, so it is computed once and kept in the credential's cache."""
        cache = self.cc.credentials[cid].cache
        hit = cache.blank
        if hit is None:
            empty = Transcript(learner={"id": "-"}, attempts=[])  # type: ignore[arg-type]
            hit = cache.blank = _Learner(self.cc, empty, self.as_of, False).evaluate(cid, blank_ok=False)
        return CredentialResult(
            id=hit.id,
            title=hit.title,
            type=hit.type,
            status=hit.status,
            earned_on=hit.earned_on,
            expires_on=hit.expires_on,
            progress=hit.progress,
            applied=[],
            missing=list(hit.missing),
            stacks_into=[],
            not_counted=list(hit.not_counted),
            exceptions=list(hit.exceptions),
            requirements=hit.requirements if self.detail else None,
            awarded=hit.awarded,
        )

    def _has_pending(self, comp: CompiledCredential) -> bool:
        if not self.pending_attempts:
            return False
        rel = comp.relevant_courses
        subs = dict(self.substitutions(comp.id))
        return any(rel is None or subs.get(a.course, a.course) in rel for a in self.pending_attempts)

    def _exceptions_for(self, comp: CompiledCredential) -> list[ExceptionUse]:
        out: list[ExceptionUse] = []
        if comp.root is None or not self.t.exceptions:
            return out
        ids = {id(n) for n in comp.root.walk()}
        for w in self.waivers:
            if _waived_nodes(self.cc, w) & ids:
                out.append(ExceptionUse("waive", w.waive, w.reason))
        rel = comp.relevant_courses
        for s in self.subs:
            if s.credential in (None, comp.id) and (rel is None or s.substitute.for_ in rel):
                out.append(ExceptionUse("substitute", f"{s.substitute.course} for {s.substitute.for_}", s.reason))
        return out

    def _event_dates(self, comp: CompiledCredential, subs: dict[str, str]) -> list[dt.date]:
        rel = comp.relevant_courses
        dates: set[dt.date] = set()
        for a in self.t.attempts:
            if a.status in ("completed", "transfer") and a.date is not None and a.date <= self.as_of:
                key = subs.get(a.course, a.course)
                if rel is None or key in rel:
                    dates.add(a.date)
        for aw in self.awarded:
            if aw.credential in comp.relevant_credentials and aw.date <= self.as_of:
                dates.add(aw.date)
        return sorted(dates)

    def _earliest(
        self,
        comp: CompiledCredential,
        subs: tuple[tuple[str, str], ...],
        waived: frozenset[int],
        full_sol: Solution,
        full: Scenario,
    ) -> tuple[dt.date, Solution, Scenario]:
        """The earliest date D at which the record cut to D satisfies the credential."""
        dates = self._event_dates(comp, dict(subs))
        budgets = self.budgets(comp.id)
        if not dates:
            return self.as_of, full_sol, full

        def caps(d: dt.date) -> list[Budget]:
            # which attempt of a course counts, one taken here or one recognised, can change with the date
            return self.budgets(comp.id, d) if self.recognised is not None else budgets

        def check(d: dt.date) -> tuple[Solution, Scenario]:
            sc = self.scenario(d, "completed", subs)
            return solve(comp, sc, waived, satisfy_only=True, cpsat=solve_cpsat, budgets=caps(d)), sc

        relaxable = self.cc.catalog.repeats == "best" and not any(
            aw.expires_on is not None and aw.credential in comp.relevant_credentials for aw in self.awarded
        )
        monotone = relaxable and not comp.has_gpa and not comp.has_window
        if monotone:
            # the assignment found at as_of already holds at the date of its last attempt, or
            # of the last award it relies on (a `credential:` node held by award is a constant,
            # not an assigned item)
            used = [it.date for its in full_sol.assigned.values() for it in its]
            used += [
                aw.date for aw in self.awarded if aw.credential in comp.relevant_credentials and aw.date <= self.as_of
            ]
            last = max(used, default=dates[-1])
            lo, hi = 0, max(0, bisect.bisect_right(dates, last) - 1)
            found: tuple[Solution, Scenario] | None = None
            if hi > 0:
                # most credentials are earned by the last attempt they count: one check of the
                # date before it usually settles the search
                s, sc = check(dates[hi - 1])
                if not s.satisfied:
                    lo = hi
                else:
                    hi -= 1
                    found = (s, sc)
            while lo < hi:
                mid = (lo + hi) // 2
                s, sc = check(dates[mid])
                if s.satisfied:
                    hi = mid
                    found = (s, sc)
                else:
                    lo = mid + 1
            if found is None or found[1].cut != dates[lo]:
                if lo == len(dates) - 1:
                    # cut at the last relevant date, the record holds every relevant attempt and
                    # award of the full one, so the full solution is the one a check would find
                    # (both engines return the first satisfying assignment in one order)
                    found = (full_sol, self.scenario(dates[lo], "completed", subs))
                else:
                    found = check(dates[lo])
            if found[0].satisfied:
                return dates[lo], found[0], found[1]
            return self.as_of, full_sol, full  # pragma: no cover - monotone by construction
        start = 0
        if relaxable:
            # A GPA floor can be met, then lost, then met again, and a window can slide past
            # early attempts, so the dates are scanned in order. Without them the rule is
            # monotone: with every GPA floor taken as met (and, with a window, the bound, which
            # ignores windows) it holds from some date on, and no earlier date can satisfy the
            # rule. Find that date first.
            def relaxed(d: dt.date) -> bool:
                sc = dataclasses.replace(self.scenario(d, "completed", subs), fixed_gpa=math.inf, _gpa={})
                if comp.has_window:
                    return solve(comp, sc, waived, bound_only=True).satisfied
                return solve(comp, sc, waived, satisfy_only=True, cpsat=solve_cpsat, budgets=caps(d)).satisfied

            lo, hi = 0, len(dates)
            while lo < hi:
                mid = (lo + hi) // 2
                if relaxed(dates[mid]):
                    hi = mid
                else:
                    lo = mid + 1
            start = lo
        for d in dates[start:]:
            s, sc = check(d)
            if s.satisfied:
                return d, s, sc
        return self.as_of, full_sol, full

    def _result(
        self,
        comp: CompiledCredential,
        sol: Solution,
        sc: Scenario,
        waived: frozenset[int],
        status: str,
        earned_on: dt.date | None,
        expires_on: dt.date | None,
        progress: float,
        base: dict[str, Any],
    ) -> CredentialResult:
        assert comp.root is not None
        leaves = [n for n in comp.leaves if n.leaf in sol.assigned]
        applied = explain.applied_list(leaves, sol)
        used = {(a.course, a.date) for a in applied}
        counted = explain.counted_where(leaves, sol)
        missing = explain.missing(comp.root, sol, sc, counted, self.pending_courses) if progress < 1 - EPS else []
        tree = (
            explain.requirement_tree(comp.root, sol, applied, waived, self.held, sc, counted) if self.detail else None
        )
        not_counted = self._not_counted(comp, sol, sc, used) if self.detail else []
        return CredentialResult(
            status=status,
            earned_on=earned_on,
            expires_on=expires_on,
            progress=progress,
            applied=applied,
            missing=missing,
            not_counted=not_counted,
            requirements=tree,
            **base,
        )

    def _not_counted(
        self, comp: CompiledCredential, sol: Solution, sc: Scenario, used: set[tuple[str, dt.date | None]]
    ) -> list[NotCounted]:
        assert comp.root is not None
        subs = dict(self.substitutions(comp.id))
        leaves = [n for n in comp.root.walk() if n.leaf >= 0]
        out: list[NotCounted] = []
        for i, a in enumerate(self.t.attempts):
            if a.status not in ("completed", "transfer") or a.date is None:
                continue
            future = a.date > self.as_of
            if a.date > sc.cut and not future:
                continue
            key = subs.get(a.course, a.course)
            fits = [n for n in leaves if n.course == key or key in n.eligible]
            if not fits or (a.course, a.date) in used:
                continue
            g = self.cc.scale.grades.get(a.grade or "")
            if future:
                reason = future_reason(a.date, self.as_of)
            elif i in sc.superseded:
                other = self.t.attempts[sc.superseded[i]]
                policy = self.cc.catalog.repeats
                reason = f"another attempt counts instead ({other.grade} on {other.date}; repeats: {policy})"
            elif g is None or not g.passing:
                reason = f"grade {a.grade} is not passing"
            else:
                item = sc.items.get(key)
                if item is not None and all(not item.meets(n.min_points) for n in fits):
                    mins = sorted({n.min_grade for n in fits if n.min_grade})
                    if g.points is None:
                        reason = (
                            f"grade {a.grade} has no grade points, and a minimum grade of {', '.join(mins)} applies"
                        )
                    else:
                        reason = f"grade {a.grade} is below the minimum grade {' / '.join(mins)}"
                elif key in sol.outside_window:
                    reason = "outside the completion window"
                elif item is not None and any(item in sol.assigned.get(n.leaf, ()) for n in fits):
                    reason = "not needed: the requirement was already met"
                elif item is not None and all(id(n) in sol.constants or n.leaf not in sol.assigned for n in fits):
                    reason = "not needed: the requirement it fits is met otherwise"
                else:
                    reason = "used elsewhere or not needed"
            out.append(NotCounted(a.course, a.date, a.grade, reason))
        return out


def evaluate(
    catalog: Catalog | CompiledCatalog,
    transcript: Transcript | TranscriptSource,
    as_of: dt.date | None = None,
    *,
    include_planned: bool = False,
    credentials: Iterable[str] | None = None,
    detail: bool = True,
    stacking: bool = True,
    evidence: Sequence[ExternalCredential] | None = None,
    reuse: bool = False,
) -> LearnerResult:
    """Evaluate one learner against every credential of the catalogue.

    ``as_of`` overrides the transcript's own date (default: today). ``detail=False`` leaves
    out the extensions that cost most (the requirement tree and the reasons courses did not
    count), as batch runs do; the contract's fields are always there. With ``credentials``,
    only those are in the result, but every figure is the full run's: the credentials they
    stack into are evaluated too (``stacking=False`` skips that, for callers that read no
    stacking figure: ``stacks_into`` and ``stacking`` are then left empty). Raises
    :class:`~microcred.model.diagnostics.MicrocredError` when the transcript has an error (a grade
    off the scale, an exception naming no node).

    ``evidence``: the learner's external credentials, verified
    (:func:`microcred.badges.evidence.read_evidence`); the catalogue's recognition rules decide
    what each counts as, and the result's ``recognition`` says what became of each
    (docs/recognition.md).

    ``reuse=True`` (with ``detail=False``, as batch runs evaluate) takes a credential's result
    from an earlier learner of the same compiled catalogue whose record is the same in
    everything that credential's evaluation reads (the attempts of its courses, the awards it
    admits, the date): the result is the same as without it, sooner. A learner with advisor
    exceptions or evidence, and a credential with ``limits``, are always evaluated afresh. At
    most ``REUSE_PER_CREDENTIAL`` results a credential are kept.
    """
    cc = compile_catalog(catalog)
    src = transcript if isinstance(transcript, TranscriptSource) else TranscriptSource(transcript, "<transcript>")
    t = src.transcript
    day = as_of or t.as_of or dt.date.today()
    errors, warnings = check_transcript(cc, src, day)
    if errors:
        raise MicrocredError(errors)
    rec: Recognised | None = None
    if evidence is not None:
        rec = recognise(cc.catalog, evidence, t.learner)
        if rec.attempts or rec.awarded:
            t = t.model_copy(update={"attempts": [*t.attempts, *rec.attempts], "awarded": [*t.awarded, *rec.awarded]})
    learner = _Learner(cc, t, day, include_planned, detail)
    learner.native = len(src.transcript.attempts)
    learner.recognised = rec
    learner.reuse = reuse and not detail and rec is None and not t.exceptions
    wanted = list(credentials) if credentials is not None else list(cc.credentials)
    results: dict[str, CredentialResult] = {}
    done = learner.results

    runner = _Runner(cc, learner)
    learner.held = runner.held
    run = runner.run
    try:
        for cid in wanted:
            results[cid] = run(cid, frozenset())
        learner.detail = False  # what follows is evaluated for its figures only
        if credentials is not None and stacking:
            # the credentials shown stack into others: those are evaluated too (not shown), so that
            # every figure of a filtered run is the figure of the full run
            for cid in wanted:
                r = results[cid]
                for target in cc.direct_stacks(cid):
                    run(target, frozenset())
                if r.status in ("earned", "in_progress"):
                    for target, _depth in cc.stack_targets(cid):
                        run(target, frozenset())
        context = {cid: r for cid, r in done.items() if cid not in results}
        titles = cc.titles
        if rec is not None:
            _explain_recognition(cc, learner, rec, done)
        if not stacking and credentials is not None:
            out = _with_skills(
                cc,
                t,
                LearnerResult(t.learner.id, t.learner.name, day, results, warnings, context=context, titles=titles),
            )
            out.recognition = rec.outcomes if rec is not None else None
            return out
        progress = {cid: r.progress for cid, r in done.items()}
        for cid, r in results.items():
            r.stacks_into = [(s, progress.get(s, 0.0)) for s in cc.direct_stacks(cid)]
        out = _with_skills(
            cc,
            t,
            LearnerResult(
                t.learner.id,
                t.learner.name,
                day,
                results,
                warnings,
                stacking_report(cc, results, context),
                context=context,
                titles=titles,
            ),
        )
        out.recognition = rec.outcomes if rec is not None else None
        return out
    finally:
        # without this cycle (learner -> runner -> learner) the learner's working data are
        # freed at once, not left to the cyclic collector
        learner.held = None


class _Runner:
    """Evaluates a learner's credentials, each once, those a capped credential is capped
    against first."""

    def __init__(self, cc: CompiledCatalog, learner: _Learner):
        self.cc = cc
        self.learner = learner
        self.running: set[str] = set()

    def held(self, cid: str) -> CredentialResult | None:
        """The result of a credential nested in the one being evaluated (None while it is
        itself being evaluated)."""
        return None if cid in self.running else self.run(cid, frozenset())

    def run(self, cid: str, stack: frozenset[str]) -> CredentialResult:
        done = self.learner.results
        if cid not in done:
            self.running.add(cid)
            # a credential capped against others is evaluated after them
            limits = self.cc.catalog.credentials[cid].limits
            for lim in limits.shared_with if limits else ():
                if lim.credential in self.cc.credentials and lim.credential not in stack:
                    self.run(lim.credential, stack | {cid})
            done[cid] = self.learner.evaluate(cid)
            self.running.discard(cid)
        return done[cid]


def _explain_recognition(
    cc: CompiledCatalog, learner: _Learner, rec: Recognised, done: dict[str, CredentialResult]
) -> None:
    """Fill in, for each recognised credential, what it counted toward; and where a cap on
    recognised learning kept it out (``capped``)."""
    for o in rec.outcomes:
        g = o.grants
        if o.status != "recognised" or g is None or o.evidence.issued is None:
            continue
        day = o.evidence.issued
        toward: list[str] = []
        capped: list[str] = []
        for cid, r in done.items():
            comp = cc.credentials[cid]
            if g.credential is not None:
                hit = cid == g.credential or any(a.status == "awarded" and a.course == g.credential for a in r.applied)
                if not hit and g.credential in comp.relevant_credentials and r.status in ("earned", "expired"):
                    hit = (
                        any(
                            n.target == g.credential  # a node naming the credential
                            for n in (comp.root.walk() if comp.root else ())
                        )
                        and not r.awarded
                    )
                eligible = g.credential in comp.relevant_credentials and "credential:" + g.credential in (
                    learner.recognised_keys(cid)
                )
            else:
                hit = any(a.course == g.course and a.date == day and a.status == "transfer" for a in r.applied)
                rel = comp.relevant_courses
                eligible = (rel is None or g.course in rel) and g.course in learner.recognised_keys(cid)
            cap = recognition_limit(cc.catalog, cid)
            if hit:
                toward.append(cid)
            elif eligible and cap is not None and not r.awarded:
                keys = learner.recognised_keys(cid)
                used = sum(
                    a.credits
                    for a in r.applied
                    if ("credential:" + a.course if a.status == "awarded" else a.substituted_for or a.course) in keys
                )
                value = (cc.credential_credits.get(g.credential) if g.credential is not None else g.credits) or 0.0
                if used + value > cap + EPS:
                    capped.append(cid)
        o.counted_toward = toward
        o.capped_in = capped


def _passed_since(catalog: Catalog, t: Transcript, as_of: dt.date) -> dict[str, dt.date | None]:
    """Each course passed at ``as_of`` (its counted attempt, by the ``repeats`` policy, passes),
    and since when it has been passed without a break: the first day from which the counted
    attempt passed at every cut up to ``as_of``."""
    scale, policy = catalog.grade_scale, catalog.repeats
    by_course: dict[str, list[tuple[int, Any]]] = {}
    for i, a in enumerate(t.attempts):
        if a.status in ("completed", "transfer") and a.date is not None and a.date <= as_of:
            by_course.setdefault(a.course, []).append((i, a))
    out: dict[str, dt.date | None] = {}
    for course, attempts in by_course.items():
        since: dt.date | None = None
        best: tuple[tuple[float, ...], Any] | None = None
        for day in sorted({a.date for _i, a in attempts}):
            for i, a in attempts:
                if a.date == day:
                    rank = attempt_rank(scale, a, i, policy)
                    if best is None or rank > best[0]:
                        best = (rank, a)
            assert best is not None
            grade = scale.grades.get(best[1].grade or "")
            passing = grade is not None and grade.passing
            since = (since or day) if passing else None
        if since is not None:
            out[course] = since
    return out


def _with_skills(cc: CompiledCatalog, t: Transcript, result: LearnerResult) -> LearnerResult:
    """The competencies of each credential shown and the learner's skill profile, when the
    catalogue has competency frameworks (else the result is left as it is)."""
    catalog = cc.catalog
    if not skills.has_competencies(catalog):
        return result
    aligned = skills.credential_alignments(catalog)
    for cid, r in result.credentials.items():
        r.competencies = skills.alignment_json(catalog, aligned.get(cid, {}))
    passed = _passed_since(catalog, t, result.as_of)
    held = [(cid, r.status, r.earned_on, r.expires_on) for cid, r in {**result.context, **result.credentials}.items()]
    result.skills = skills.skill_profile(catalog, result.as_of, passed, held)
    return result


def stacking_report(
    cc: CompiledCatalog, results: dict[str, CredentialResult], context: dict[str, CredentialResult] | None = None
) -> list[StackEntry]:
    """For each earned or in-progress credential of ``results``: every credential it stacks
    into, up to the top, with the learner's progress toward each and the credits it applies
    there (targets are looked up in ``results``, then in ``context``).

    The credits applied to a target are those of the attempts counted, in the target's
    assignment, by the stacked credential's rule or by the rules inside it, plus the
    credential's own catalogue credits where the target admits it for credit as an award.
    """
    out: list[StackEntry] = []
    for cid, r in results.items():
        if r.status not in ("earned", "in_progress"):
            continue
        inside = cc.stacked_from(cid)
        targets: list[StackTarget] = []
        for target, depth in cc.stack_targets(cid):
            t = results.get(target) or (context or {}).get(target)
            if t is None:
                continue
            credits = float(
                sum(a.credits for a in t.applied if a.owner in inside or (a.status == "awarded" and a.course in inside))
            )
            targets.append(StackTarget(target, depth, t.status, t.progress, credits))
        out.append(StackEntry(cid, r.status, targets))
    return out


__all__ = ["STATUSES", "Fraction", "Location", "compile_catalog", "evaluate"]
