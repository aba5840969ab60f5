"""Batch evaluation of a whole student body: :func:`run_batch` takes the options of a run and
hands it to the run that reads its inputs, from files to a file (:mod:`microcred.run.files`:
CSV or JSONL in, JSONL or CSV out, journaled and resumable) or from a database or Parquet to a
database or Parquet (:mod:`microcred.run.night`, incremental if asked).

The names of a run that callers import from here (its options, its summary, its errors, the
inputs of files read into units) are handed on from the modules that define them."""

from __future__ import annotations

from microcred.run.files import (
    BatchInterrupted,
    evaluate_unit,
    input_files,
    run_files,
    unit_source,
    units,
)
from microcred.run.night import run_night
from microcred.run.options import BatchOptions, BatchSummary, BatchUsageError, check_paths
from microcred.run.workers import Unit, run_pool


def is_night(opts: BatchOptions) -> bool:
    """Whether the run reads or writes a database or Parquet (a night), rather than files."""
    return (
        opts.db is not None
        or opts.sink is not None
        or opts.format == "parquet"
        or opts.incremental
        or any(x is not None for x in (opts.attempts, opts.awards, opts.learners))
        or any(p.suffix.lower() == ".parquet" for p in opts.inputs)
    )


def run_batch(opts: BatchOptions) -> BatchSummary:
    """Evaluate every learner of the inputs into ``opts.output`` (or ``opts.sink``).

    Raises :class:`BatchUsageError` for unusable inputs or outputs,
    :class:`~microcred.io.loader.PathError` for a missing catalogue and
    :class:`~microcred.model.diagnostics.MicrocredError` for an invalid one.
    """
    return run_night(opts) if is_night(opts) else run_files(opts)


__all__ = [
    "BatchInterrupted",
    "BatchOptions",
    "BatchSummary",
    "BatchUsageError",
    "Unit",
    "check_paths",
    "evaluate_unit",
    "input_files",
    "is_night",
    "run_batch",
    "run_files",
    "run_night",
    "run_pool",
    "unit_source",
    "units",
]
