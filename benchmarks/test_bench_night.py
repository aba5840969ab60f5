"""Nightly runs database to database (SQLite): the first night, every learner, and the next
night, on which 2 % of the learners have a new grade, incremental. The figures at 100,000
learners come from ``benchmarks/night.py`` (docs/performance.md)."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
import sys
from pathlib import Path

import pytest

from microcred.run.batch import BatchOptions, run_batch
from microcred.run.generate import generate_population

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from nightdb import load_tables

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "catalog/example-university"
AS_OF = dt.date(2026, 11, 29)
LEARNERS = 500
CHANGED = 10


@pytest.fixture(scope="module")
def databases(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """The input database after the change, and the result database of the first night."""
    d = tmp_path_factory.mktemp("night")
    sis, results = d / "sis.db", d / "first.db"
    with sqlite3.connect(sis) as conn:
        load_tables(conn, generate_population(CATALOG, LEARNERS, seed=1, as_of=AS_OF))
    run_batch(_opts(sis, results, d, AS_OF))
    with sqlite3.connect(sis) as conn:
        conn.executemany(
            "INSERT INTO attempts VALUES (?, 'CSCI 1410', '2026-11-29', 'A', NULL, 'completed')",
            [(f"L{i:07d}",) for i in range(1, LEARNERS + 1, LEARNERS // CHANGED)],
        )
    return sis, results, d


def _opts(sis: Path, out: Path, work: Path, as_of: dt.date, jobs: int = 1) -> BatchOptions:
    return BatchOptions(
        catalog=CATALOG,
        inputs=[],
        output=work / "unused",
        db=str(sis),
        awards="awards",
        learners="learners",
        sink=str(out),
        as_of=as_of,
        jobs=jobs,
        incremental=True,
        cache_dir=work / "cache",
    )


@pytest.mark.parametrize("jobs", [1, 2])
def test_next_night_incremental(
    benchmark: pytest.FixtureRequest, databases: tuple[Path, Path, Path], jobs: int
) -> None:
    sis, first, work = databases

    def setup() -> tuple[tuple[BatchOptions], dict[str, object]]:
        out = work / f"night-{jobs}.db"
        shutil.copy(first, out)  # the state the first night left
        return (_opts(sis, out, work, AS_OF + dt.timedelta(days=1), jobs),), {}

    summary = benchmark.pedantic(run_batch, setup=setup, rounds=2, iterations=1)  # type: ignore[attr-defined]
    assert summary.learners == LEARNERS
    assert summary.learners - summary.unchanged == CHANGED
