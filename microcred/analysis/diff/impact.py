"""What a new catalogue changes for one learner: the plan of what to evaluate, and the comparison of results."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from microcred.analysis.diff.fingerprint import Scope, _fingerprint, _scope
from microcred.io.transcript import Transcript, TranscriptError, TranscriptSource
from microcred.model.catalog import Catalog
from microcred.model.diagnostics import Diagnostic, MicrocredError
from microcred.model.result import LearnerResult
from microcred.rules.compiled import CompiledCatalog

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
