"""Learners compared against two versions of a catalogue, lazily, in this process or in the worker pool."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

from microcred.analysis.diff.impact import (
    ImpactItem,
    ImpactPlan,
    LearnerChange,
    LearnerError,
    compare_learner,
    plan_impact,
)
from microcred.io.transcript import Transcript, TranscriptError, TranscriptSource
from microcred.model.catalog import Catalog, SourceMap
from microcred.model.diagnostics import MicrocredError
from microcred.rules.compiled import CompiledCatalog
from microcred.run.files import unit_source
from microcred.run.pool import WorkerPool


def _one(plan: ImpactPlan, item: Any) -> LearnerChange | LearnerError:
    if isinstance(item, tuple):  # a unit of microcred.run.files: read it here (in the worker)
        item = unit_source(item)
    if isinstance(item, TranscriptError):
        return LearnerError(item.learner_id, item.diagnostics)
    result: LearnerChange | LearnerError = compare_learner(plan, item)
    return result


_PLAN: dict[str, ImpactPlan] = {}


def _init_worker(plan: ImpactPlan) -> None:
    _PLAN["plan"] = plan


def _chunk_work(chunk: list[Any]) -> list[LearnerChange | LearnerError]:
    plan = _PLAN["plan"]
    return [_one(plan, item) for item in chunk]


def _portable(plan: ImpactPlan) -> ImpactPlan:
    """The plan without source locations (they are for validation), cheap to send to workers."""

    def strip(cc: CompiledCatalog) -> CompiledCatalog:
        if not cc.catalog.sources.documents:
            return cc
        clone = CompiledCatalog.__new__(CompiledCatalog)
        clone.__dict__.update(cc.__dict__)
        clone.catalog = dataclasses.replace(cc.catalog, sources=SourceMap())
        return clone

    return dataclasses.replace(plan, old=strip(plan.old), new=strip(plan.new))


def _sendable(item: Any) -> Any:
    if isinstance(item, TranscriptSource) and item.document is not None:
        return dataclasses.replace(item, document=None)
    return item


def _local(plan: ImpactPlan, item: Any) -> bool:
    """Whether a learner is cheaper to settle here than to send to a worker: a transcript
    already read whose record reaches no difference (only its validity is checked)."""
    if isinstance(item, TranscriptSource):
        item = item.transcript
    if not isinstance(item, Transcript):
        return False
    old_ids, new_ids = plan.wanted(item)
    return not old_ids and not new_ids


_Slot = LearnerChange | LearnerError | None  # None: the worker's answer goes here


def run_impact(
    plan: ImpactPlan, items: Iterable[Any], *, jobs: int = 1, chunk: int = 64
) -> Iterator[LearnerChange | LearnerError]:
    """Compare every learner of ``items``, in order, lazily; ``jobs`` > 1 uses that many
    worker processes. Items: transcripts, transcript sources, transcript errors, or units of
    :func:`microcred.run.files.units` (read in the workers). Learners whose record reaches no
    difference are settled in this process, without a trip to a worker."""
    if jobs <= 1:
        for item in items:
            yield _one(plan, item)
        return
    with WorkerPool(jobs, _chunk_work, _init_worker, (_portable(plan),)) as pool:
        for slots, answers in pool.run(_chunks(plan, items, chunk)):
            settled = iter(answers)
            for slot in slots:
                yield slot if slot is not None else next(settled)


def _chunks(plan: ImpactPlan, items: Iterable[Any], chunk: int) -> Iterator[tuple[list[_Slot], list[Any]]]:
    """The learners in chunks for the workers, each with its slots: a learner settled here
    has its answer in its slot, one sent to a worker a None."""
    slots: list[_Slot] = []
    batch: list[Any] = []
    for item in items:
        if _local(plan, item):
            slots.append(_one(plan, item))
        else:
            slots.append(None)
            batch.append(_sendable(item))
        if len(slots) >= chunk * 4 or len(batch) >= chunk:
            yield slots, batch
            slots, batch = [], []
    if slots:
        yield slots, batch


def iter_impact(
    old: Catalog | CompiledCatalog,
    new: Catalog | CompiledCatalog,
    transcripts: Iterable[ImpactItem],
    as_of: dt.date | None = None,
    *,
    include_planned: bool = False,
    jobs: int = 1,
) -> Iterator[LearnerChange | LearnerError]:
    """Every learner compared, lazily: a :class:`LearnerChange` (perhaps with no changes) or a
    :class:`LearnerError`. Memory does not grow with the number of learners."""
    plan = plan_impact(old, new, as_of, include_planned=include_planned)
    yield from run_impact(plan, transcripts, jobs=jobs)


def impact(
    old: Catalog | CompiledCatalog,
    new: Catalog | CompiledCatalog,
    transcripts: Iterable[ImpactItem],
    as_of: dt.date | None = None,
    *,
    include_planned: bool = False,
    jobs: int = 1,
    errors: list[LearnerError] | None = None,
) -> list[LearnerChange]:
    """The learners whose results change from ``old`` to ``new``, each with its changes.

    ``as_of`` overrides each transcript's own date (default: the transcript's, else today).
    A learner who cannot be evaluated is appended to ``errors`` when a list is given;
    otherwise the first one raises :class:`~microcred.model.diagnostics.MicrocredError`.
    """
    out: list[LearnerChange] = []
    for r in iter_impact(old, new, transcripts, as_of, include_planned=include_planned, jobs=jobs):
        if isinstance(r, LearnerError):
            if errors is None:
                raise MicrocredError(r.diagnostics)
            errors.append(r)
        elif r.changes:
            out.append(r)
    return out
