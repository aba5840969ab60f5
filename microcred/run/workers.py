"""Units of a batch run evaluated on worker processes (the one pool of :mod:`microcred.run.pool`),
answers in input order. Each kind of run hands the pool the function that evaluates its own
units (a learner of files, :func:`microcred.run.files.evaluate_unit`; of a database or Parquet,
:func:`microcred.run.night.evaluate_night_unit`); a worker finds it by its module and name."""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from microcred.rules.compiled import CompiledCatalog
from microcred.run.cache import load_compiled
from microcred.run.options import BatchOptions
from microcred.run.pool import WorkerPool

#: Learners sent to a worker at a time.
CHUNK = 128

#: A unit of work: one learner (or the errors of input that names none), as the run that reads it makes it.
Unit = tuple[Any, ...]
#: One learner's answer: (unit key, output text, error records).
Answer = tuple[str, str, list[dict[str, Any]]]
#: What evaluates a unit: (unit, compiled catalogue, as_of, include planned, output format, evidence) -> answer.
#: A function defined at the top of a module, so that a worker process can import it by name.
UnitEvaluator = Callable[[Unit, CompiledCatalog, dt.date | None, bool, str, tuple[Path, Any] | None], Answer]

_WORKER: dict[str, Any] = {}


def _init_worker(
    catalog: str,
    cache_dir: str | None,
    use_cache: bool,
    as_of: dt.date | None,
    planned: bool,
    fmt: str,
    evidence: tuple[Path, Any] | None,
    evaluate: UnitEvaluator,
) -> None:
    _WORKER["compiled"] = load_compiled(Path(catalog), Path(cache_dir) if cache_dir else None, use_cache=use_cache)
    gc.freeze()  # the compiled catalogue lives as long as the worker: no collection walks it
    _WORKER["as_of"] = as_of
    _WORKER["planned"] = planned
    _WORKER["format"] = fmt
    _WORKER["evidence"] = evidence
    _WORKER["evaluate"] = evaluate


def _evaluate_chunk(chunk: list[Unit]) -> list[Answer]:
    w = _WORKER
    evaluate = w["evaluate"]
    return [evaluate(u, w["compiled"], w["as_of"], w["planned"], w["format"], w["evidence"]) for u in chunk]


def _chunks(it: Iterator[Unit], size: int) -> Iterator[list[Unit]]:
    chunk: list[Unit] = []
    for u in it:
        chunk.append(u)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def run_pool(
    opts: BatchOptions,
    todo: Iterator[Unit],
    handle: Callable[[str, str, list[dict[str, Any]]], None],
    evaluate: UnitEvaluator,
) -> None:
    """Evaluate ``todo`` with ``evaluate`` on ``opts.jobs`` worker processes; ``handle`` is
    called with each answer, in input order."""
    init = (
        str(opts.catalog),
        str(opts.cache_dir) if opts.cache_dir else None,
        opts.use_cache,
        opts.as_of,
        opts.include_planned,
        opts.format,
        opts.evidence,
        evaluate,
    )
    with WorkerPool(opts.jobs, _evaluate_chunk, _init_worker, init) as pool:
        for _tag, answers in pool.run((None, chunk) for chunk in _chunks(todo, CHUNK)):
            for res in answers:
                handle(*res)
