"""Batch benchmarks: learners per second on the example catalogue, serial and with two
workers, on a generated population. Memory is measured separately (docs/performance.md)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from microcred.run.batch import BatchOptions, run_batch
from microcred.run.generate import generate_population, write_csv

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "catalog/example-university"
AS_OF = dt.date(2026, 11, 29)
LEARNERS = 1000


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("batch") / "population.csv"
    with path.open("w") as fh:
        write_csv(generate_population(CATALOG, LEARNERS, seed=1, as_of=AS_OF), fh)
    return path


@pytest.mark.parametrize("jobs", [1, 2])
def test_batch_throughput(benchmark: pytest.FixtureRequest, population: Path, tmp_path: Path, jobs: int) -> None:
    def run() -> int:
        summary = run_batch(
            BatchOptions(
                catalog=CATALOG,
                inputs=[population],
                output=tmp_path / "out.jsonl",
                jobs=jobs,
                as_of=AS_OF,
                cache_dir=tmp_path / "cache",
            )
        )
        return summary.learners

    learners = benchmark.pedantic(run, rounds=2, iterations=1)  # type: ignore[attr-defined]
    assert learners == LEARNERS
