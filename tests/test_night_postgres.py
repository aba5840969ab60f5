"""`microcred batch` against a real PostgreSQL server (started by the tests in a temporary
folder; skipped, saying why, where none can be started)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from nightdb import load_tables, postgres_server
from test_night import CATALOG, _night_opts, expected, same, stored

import microcred.run.night as night
from microcred.io.transcript import Transcript
from microcred.run.batch import run_batch
from microcred.run.generate import generate_population

AS_OF = dt.date(2026, 6, 1)
_names = itertools.count()


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    try:
        with postgres_server() as url:
            yield url
    except RuntimeError as exc:
        pytest.skip(f"no PostgreSQL server for these tests: {exc}")


@pytest.fixture
def database(server: str) -> str:
    """A fresh database of the server."""
    import psycopg

    name = f"night{next(_names)}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    return server.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="module")
def population() -> list[Transcript]:
    return list(generate_population(CATALOG, 50, seed=5, as_of=AS_OF))


def _fill(url: str, transcripts: list[Transcript]) -> None:
    import psycopg

    with psycopg.connect(url) as conn:
        load_tables(conn, transcripts, param="%s")


def test_postgres_to_postgres_equals_evaluate(database: str, population: list[Transcript], tmp_path: Path) -> None:
    _fill(database, population)
    for _night in range(2):  # the second full night replaces the first
        summary = run_batch(_night_opts(database, database, tmp_path, AS_OF, jobs=2))
        assert (summary.learners, summary.failed) == (50, 0)
        same(stored(database), expected(population, AS_OF, tmp_path / "cache"))


def test_postgres_bad_rows_and_a_query(database: str, tmp_path: Path) -> None:
    import psycopg

    with psycopg.connect(database) as conn:
        conn.execute("CREATE TABLE grades (student integer, course text, taken date, grade text, credits numeric)")
        conn.execute(
            "INSERT INTO grades VALUES (1, 'CSCI 1410', '2024-12-15', 'A', 3), (2, 'CSCI 1410', NULL, 'A', NULL), "
            "(3, 'CSCI 1410', '2024-12-15', 'A', -1), (4, 'CSCI 1410', '2024-12-15', 'A', NULL), "
            "(4, 'CSCI 1410', '2024-12-15', 'A', NULL)"
        )
    query = "SELECT student AS learner_id, course, taken AS date, grade, credits FROM grades"
    opts = _night_opts(database, database, tmp_path, AS_OF)
    opts.attempts, opts.awards, opts.learners = query, None, None
    summary = run_batch(opts)
    assert (summary.learners, summary.failed) == (4, 3)
    with psycopg.connect(database) as conn:
        errs = conn.execute("SELECT learner_id, code, column_name FROM microcred_errors ORDER BY learner_id").fetchall()
        done = conn.execute("SELECT learner_id FROM microcred_learners").fetchall()
    assert errs == [("2", "E503", "date"), ("3", "E501", "credits"), ("4", "E506", None)]
    assert done == [("1",)]


def test_a_lost_postgres_connection_resumes(
    database: str, population: list[Transcript], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every connection of the run is cut (as a server restart or a network failure would)
    halfway through: the run reconnects and goes on after the last learner it committed."""
    import psycopg

    _fill(database, population)
    monkeypatch.setattr(night, "COMMIT_LEARNERS", 10)
    cut: list[int] = []

    def sever(done: int, failed: int) -> None:
        if done >= 20 and not cut:
            with psycopg.connect(database, autocommit=True) as admin:
                rows = admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                ).fetchall()
            cut.append(len(rows))

    summary = run_batch(_night_opts(database, database, tmp_path, AS_OF, progress=sever))
    assert cut and cut[0] >= 2  # the input and the output connection
    assert any("connection was lost" in w for w in summary.warnings), summary.warnings
    same(stored(database), expected(population, AS_OF, tmp_path / "cache"))
    with psycopg.connect(database) as conn:
        row: Any = conn.execute("SELECT state, learners, evaluated FROM microcred_runs").fetchone()
    assert row == ("done", 50, 50)


def test_an_incremental_postgres_night(database: str, population: list[Transcript], tmp_path: Path) -> None:
    import psycopg

    _fill(database, population)
    run_batch(_night_opts(database, database, tmp_path, AS_OF, incremental=True))
    with psycopg.connect(database) as conn:
        conn.execute("INSERT INTO attempts VALUES ('L0000003', 'CSCI 1410', '2026-05-30', 'A', NULL, 'completed')")
    summary = run_batch(_night_opts(database, database, tmp_path, AS_OF, incremental=True))
    assert summary.unchanged == 49 and summary.learners == 50
    with psycopg.connect(database) as conn:
        assert conn.execute("SELECT count(*) FROM microcred_results WHERE learner_id = 'L0000003'").fetchone() == (22,)
