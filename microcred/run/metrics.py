"""Metrics of a population evaluated on the fly: transcripts run through ``microcred batch`` (with
its worker processes and its memory bound) at each ``as_of`` date, and the results streamed into
:class:`~microcred.analysis.metrics.MetricsAccumulator`; or, on Dask, a bag of results reduced
partition by partition. The numbers are the same either way, and the same as those of the
results files themselves (docs/metrics.md)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from microcred.analysis.metrics import (
    RENEWAL_MONTHS,
    WINDOWS,
    Attributes,
    MetricsAccumulator,
    Portfolio,
    read_results,
)
from microcred.run.batch import BatchOptions, BatchSummary, run_batch


def evaluated_results(
    catalog: Path,
    inputs: Sequence[Path],
    dates: Sequence[dt.date | None],
    *,
    jobs: int = 1,
    cache_dir: Path | None = None,
    use_cache: bool = True,
    summaries: list[BatchSummary] | None = None,
    progress: Callable[[int, int], None] | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> Iterator[dict[str, Any]]:
    """The results of every learner of ``inputs`` at each of ``dates`` (None: each transcript's
    own ``as_of``), a learner's dates together and in date order, so that renewals can be read.

    Each date is one run of :func:`microcred.run.batch.run_batch` into a temporary JSON-lines
    file (``jobs`` worker processes, results in input order); the files are then read side by
    side, one line at a time. Learners whose transcript has an error are in no file (their
    errors are counted in each run's summary, appended to ``summaries``; the error records of
    the first run, one a diagnostic, are appended to ``errors``)."""
    order = sorted(set(dates), key=lambda d: (d is None, d or dt.date.min))
    workdir = Path(tempfile.mkdtemp(prefix="microcred-metrics-"))
    try:
        files: list[Path] = []
        for i, day in enumerate(order):
            out = workdir / f"results-{i}.jsonl"
            summary = run_batch(
                BatchOptions(
                    catalog=catalog,
                    inputs=list(inputs),
                    output=out,
                    jobs=jobs,
                    errors=workdir / f"errors-{i}.jsonl",
                    as_of=day,
                    cache_dir=cache_dir,
                    use_cache=use_cache,
                    progress=progress,
                )
            )
            if summaries is not None:
                summaries.append(summary)
            if errors is not None and i == 0 and summary.errors is not None and summary.failed:
                with summary.errors.open(encoding="utf-8") as fh:
                    errors.extend(json.loads(line) for line in fh if line.strip())
            files.append(out)
        if len(files) == 1:
            yield from read_results(files)
            return
        with contextlib.ExitStack() as stack:
            handles = [stack.enter_context(f.open(encoding="utf-8")) for f in files]
            for lines in zip(*handles, strict=True):
                recs = [json.loads(line) for line in lines]
                ids = {r["learner"]["id"] for r in recs}
                if len(ids) != 1:  # every run reads the same inputs in the same order
                    raise RuntimeError(f"the runs at different dates disagree on the learner order: {sorted(ids)}")
                yield from recs
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def accumulate(
    catalog: Path,
    portfolio: Portfolio,
    inputs: Sequence[Path],
    dates: Sequence[dt.date | None],
    attributes: Attributes | None = None,
    *,
    jobs: int = 1,
    windows: Sequence[int] = WINDOWS,
    renewal_months: int = RENEWAL_MONTHS,
    cache_dir: Path | None = None,
    use_cache: bool = True,
    summaries: list[BatchSummary] | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> MetricsAccumulator:
    """The accumulated metrics of transcripts evaluated at ``dates`` (see :func:`evaluated_results`)."""
    acc = MetricsAccumulator(portfolio, attributes, windows=windows, renewal_months=renewal_months)
    results = evaluated_results(
        catalog, inputs, dates, jobs=jobs, cache_dir=cache_dir, use_cache=use_cache, summaries=summaries, errors=errors
    )
    return acc.add_all(results)


# -- Dask ------------------------------------------------------------------------------------------


def _partition(
    items: Any, portfolio: Portfolio, attributes: Attributes | None, windows: tuple[int, ...], renewal_months: int
) -> MetricsAccumulator:
    acc = MetricsAccumulator(portfolio, attributes, windows=windows, renewal_months=renewal_months)
    for item in items:
        for rec in item if isinstance(item, list) else [item]:
            if isinstance(rec, dict) and "errors" in rec and "credentials" not in rec:
                continue  # a learner whose transcript has an error (evaluate_bag's report)
            acc.add(rec)
    return acc


def _merge(parts: Any) -> MetricsAccumulator:
    it = iter(parts)
    first: MetricsAccumulator = next(it)
    for other in it:
        first.merge(other)
    return first


def metrics_bag(
    bag: Any,
    portfolio: Portfolio,
    attributes: Attributes | None = None,
    *,
    windows: Sequence[int] = WINDOWS,
    renewal_months: int = RENEWAL_MONTHS,
) -> Any:
    """A Dask delayed :class:`MetricsAccumulator` of a bag of results (as
    :func:`microcred.run.dask.evaluate_bag` gives; error records are left out). An item may also
    be a list of one learner's results at several dates, in date order, for renewals. Call
    ``.compute()`` and then ``.table()``::

        acc = metrics_bag(evaluate_bag(transcripts, catalog, as_of), Portfolio.from_catalog(cat)).compute()
    """
    import functools

    source: Any = bag
    per = functools.partial(
        _partition, portfolio=portfolio, attributes=attributes, windows=tuple(windows), renewal_months=renewal_months
    )
    return source.reduction(per, _merge)


__all__ = ["accumulate", "evaluated_results", "metrics_bag"]
