"""What a batch run is asked and what it reports, for every kind of run (files in
:mod:`microcred.run.files`, databases and Parquet in :mod:`microcred.run.night`): its options,
its summary, its usage error and the checks of its output paths."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from microcred.model.usage import UsageError, check_jobs, check_output


@dataclass
class BatchOptions:
    catalog: Path
    inputs: list[Path]
    output: Path
    format: str = "jsonl"  # jsonl | csv
    jobs: int = 1
    resume: bool = False
    errors: Path | None = None
    as_of: dt.date | None = None
    include_planned: bool = False
    cache_dir: Path | None = None
    use_cache: bool = True
    progress: Callable[[int, int], None] | None = None  # (learners done, with errors)
    #: a database to read (a URL or a SQLite file; docs/database.md), and its inputs: a table or a query each
    db: str | None = None
    attempts: str | None = None
    awards: str | None = None
    learners: str | None = None
    #: a database to write the results to (a URL or a SQLite file), instead of ``output``
    sink: str | None = None
    #: evaluate only the learners whose inputs changed or whose date came (database output)
    incremental: bool = False
    #: external credentials: (root, EvidenceOptions), see microcred.badges.evidence
    evidence: tuple[Path, Any] | None = None


@dataclass
class BatchSummary:
    learners: int = 0
    failed: int = 0
    skipped: int = 0  # done in an earlier, interrupted run
    unchanged: int = 0  # incremental: not evaluated again, their stored result stands
    removed: int = 0  # incremental: stored learners no longer in the inputs, removed
    seconds: float = 0.0
    output: Path | None = None
    errors: Path | None = None
    warnings: list[str] = field(default_factory=list)


class BatchUsageError(UsageError):
    """An input or output the batch cannot use at all (a usage error)."""


def check_paths(opts: BatchOptions, errors: Path) -> None:
    """Every output checked before any work starts: each a file that can be written, none of
    them an input or the other output."""
    inputs: list[Path] = [*opts.inputs, opts.catalog]
    try:
        check_jobs(opts.jobs)
        check_output(opts.output, "-o", inputs=inputs, example=f"results.{opts.format}")
        check_output(errors, "--errors", inputs=inputs, example="errors.jsonl")
    except UsageError as exc:
        raise BatchUsageError(exc.where, exc.what, exc.fix) from None
    parts = {opts.output, opts.output.with_name(opts.output.name + ".partial")}
    if any(os.path.realpath(errors) == os.path.realpath(p) for p in parts):
        raise BatchUsageError(f"--errors {errors}", "is the output file too", "give the errors a file of their own")
