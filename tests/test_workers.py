"""The worker pool of a batch run is handed the function that evaluates the run's units (a
learner of files, or of a database), and a worker that shares no memory with its parent (started
by ``spawn``; ``forkserver`` is the same, and the default from Python 3.14 on) imports it by its
module and name: its answers are those of one process, for files and for a night."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from nightdb import load_tables

import microcred.run.pool as pool
from microcred.io.sql import read_results
from microcred.run.batch import BatchOptions, run_batch
from microcred.run.generate import generate_population, write_jsonl

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "catalog/example-university"
AS_OF = dt.date(2026, 6, 1)


@pytest.fixture
def spawned(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Workers started by spawn; the start methods the pool used."""
    real = multiprocessing.get_context
    used: list[str] = []

    def spawn(method: str | None = None) -> Any:
        context = real("spawn")
        used.append(context.get_start_method())
        return context

    monkeypatch.setattr(pool.multiprocessing, "get_context", spawn)
    return used


def test_files_on_spawned_workers_equal_one_process(tmp_path: Path, spawned: list[str]) -> None:
    with (tmp_path / "in.jsonl").open("w") as fh:
        write_jsonl(generate_population(CATALOG, 12, seed=5, as_of=AS_OF), fh)
    outs = []
    for jobs in (1, 2):
        out = tmp_path / f"out{jobs}.jsonl"
        summary = run_batch(
            BatchOptions(
                catalog=CATALOG,
                inputs=[tmp_path / "in.jsonl"],
                output=out,
                jobs=jobs,
                as_of=AS_OF,
                cache_dir=tmp_path / "c",
            )
        )
        assert (summary.learners, summary.failed) == (12, 0)
        outs.append(out.read_bytes())
    assert spawned == ["spawn"]  # the pool ran once, on spawned workers
    assert outs[0] == outs[1]


def test_a_night_on_spawned_workers_equals_one_process(tmp_path: Path, spawned: list[str]) -> None:
    with sqlite3.connect(tmp_path / "sis.db") as conn:
        load_tables(conn, generate_population(CATALOG, 12, seed=6, as_of=AS_OF))
    results = []
    for jobs in (1, 2):
        sink = f"sqlite:///{tmp_path}/results{jobs}.db"
        summary = run_batch(
            BatchOptions(
                catalog=CATALOG,
                inputs=[],
                output=Path("unused"),
                db=str(tmp_path / "sis.db"),
                sink=sink,
                jobs=jobs,
                as_of=AS_OF,
                cache_dir=tmp_path / "c",
            )
        )
        assert (summary.learners, summary.failed) == (12, 0)
        results.append(list(read_results(sink)))
    assert spawned == ["spawn"]
    assert len(results[0]) == 12 and results[0] == results[1]
