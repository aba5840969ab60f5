"""`microcred batch` from and to databases (SQLite here; PostgreSQL in test_night_postgres.py)
and Parquet: equal to one-at-a-time evaluation, bad rows to the errors table, a crash that
leaves the last night whole, a lost connection that resumes, and incremental nights that give
exactly what a full night gives."""

from __future__ import annotations

import datetime as dt
import io
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nightdb import load_tables, rows_of

import microcred.io.records as rec
import microcred.run.night as night
from microcred.cli import main
from microcred.io.sql import read_results
from microcred.io.transcript import Attempt, Awarded, Learner, Transcript
from microcred.rules.evaluate import evaluate
from microcred.run.batch import BatchOptions, run_batch
from microcred.run.cache import load_compiled
from microcred.run.generate import generate_population

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "catalog/example-university"
AS_OF = dt.date(2026, 6, 1)


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def population() -> list[Transcript]:
    return list(generate_population(CATALOG, 60, seed=3, as_of=AS_OF))


@pytest.fixture
def indb(tmp_path: Path, population: list[Transcript]) -> Path:
    path = tmp_path / "sis.db"
    with sqlite3.connect(path) as conn:
        load_tables(conn, population)
    return path


def expected(transcripts: list[Transcript], as_of: dt.date, cache: Path) -> dict[str, dict[str, Any]]:
    compiled = load_compiled(CATALOG, cache)
    out = {}
    for t in transcripts:
        doc = evaluate(compiled, t, as_of, detail=False).to_json()
        out[t.learner.id] = _unlocated(doc)
    return out


def stored(url: str) -> dict[str, dict[str, Any]]:
    out = {}
    for doc in read_results(url):
        out[doc["learner"]["id"]] = _unlocated(doc)
    return out


def _unlocated(doc: dict[str, Any]) -> dict[str, Any]:
    """Warnings name the input they come from (a file and line, or a table and row), in the
    order of the rows: compared without either."""
    for w in doc["warnings"]:
        w["file"] = w["line"] = w["column"] = None
    doc["warnings"].sort(key=lambda w: (w["code"], w["message"]))
    return doc


def same(got: dict[str, dict[str, Any]], want: dict[str, dict[str, Any]]) -> None:
    assert sorted(got) == sorted(want)
    for lid, doc in want.items():
        assert orjson.dumps(got[lid]) == orjson.dumps(doc), lid


def batch(indb: Path, out: str, *extra: str, tmp: Path, as_of: dt.date = AS_OF) -> tuple[int, str]:
    code, _o, err = run(
        "batch",
        "--catalog",
        str(CATALOG),
        "--db",
        str(indb),
        "--awards",
        "awards",
        "--learners",
        "learners",
        "-o",
        out,
        "--as-of",
        as_of.isoformat(),
        "--cache-dir",
        str(tmp / "cache"),
        *extra,
    )
    return code, err


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_database_to_database_equals_evaluate(
    indb: Path, tmp_path: Path, population: list[Transcript], jobs: str
) -> None:
    out = f"sqlite:///{tmp_path / 'results.db'}"
    code, err = batch(indb, out, "--jobs", jobs, tmp=tmp_path)
    assert code == 0, err
    assert "60 learners" in err
    assert any(t.awarded for t in population)  # awards are read too
    same(stored(out), expected(population, AS_OF, tmp_path / "cache"))
    with sqlite3.connect(tmp_path / "results.db") as conn:
        n, creds = conn.execute("SELECT COUNT(*), COUNT(DISTINCT credential) FROM microcred_results").fetchone()
        assert creds == 22 and n == 60 * 22
        (name,) = conn.execute("SELECT name FROM microcred_learners WHERE learner_id = ?", ("L0000001",)).fetchone()
        assert name == population[1].learner.name


def test_a_query_as_input_and_its_missing_columns(indb: Path, tmp_path: Path, population: list[Transcript]) -> None:
    with sqlite3.connect(indb) as conn:
        conn.execute("ALTER TABLE attempts RENAME COLUMN learner_id TO student")
    out = tmp_path / "r.db"
    code, err = batch(indb, str(out), tmp=tmp_path)
    assert code == 2
    assert "--attempts attempts: has no column learner_id" in err and "AS learner_id" in err
    query = (
        "SELECT student AS learner_id, course, date, grade, credits, status FROM attempts WHERE student <= 'L0000010'"
    )
    code, err = batch(indb, str(out), "--attempts", query, tmp=tmp_path)
    assert code == 0, err
    got = stored(str(out))
    assert sorted(got) == sorted(t.learner.id for t in population)  # awards and learners still name everyone
    want = expected(population[:10], AS_OF, tmp_path / "cache")
    same({k: got[k] for k in want}, want)


def test_bad_rows_go_to_the_errors_table_and_the_night_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "sis.db"
    good = ("CSCI 1410", "2024-12-15", "A", None, "completed")
    rows = [
        ("A1", *good),
        ("B2", *good),
        ("B2", "NOPE 9999", "2024-12-15", "A", None, "completed"),  # unknown course: a warning, evaluated
        ("C3", "CSCI 1410", None, "A", None, "completed"),  # null date
        ("D4", *good),
        ("D4", *good),  # duplicate
        ("E5", "CSCI 1410", "2024-12-15", "A", "three", "completed"),  # credits not a number
        ("F6", "CSCI 1410", "2024-12-15", "Q", None, "completed"),  # grade off the scale
        ("G7", "CSCI 1410", "2024-12-15", "A", None, "graduated"),  # status off the list
        (None, "CSCI 1410", "2024-12-15", "A", None, "completed"),  # no learner
        ("H8", "CSCI 1410", "15/12/2024", "A", None, "completed"),  # not a date
    ]
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE attempts (learner_id TEXT, course TEXT, date TEXT, grade TEXT, credits, status TEXT)"
        )
        conn.executemany("INSERT INTO attempts VALUES (?, ?, ?, ?, ?, ?)", rows)
    out = tmp_path / "r.db"
    code, _o, err = run("batch", "--catalog", str(CATALOG), "--db", str(path), "-o", str(out), "--as-of", "2026-06-01")
    assert code == 1, err
    assert "with errors (see the table microcred_errors)" in err
    with sqlite3.connect(out) as conn:
        errs = conn.execute(
            "SELECT learner_id, code, severity, column_name, row_data, message FROM microcred_errors"
        ).fetchall()
        evaluated = [r[0] for r in conn.execute("SELECT learner_id FROM microcred_learners ORDER BY learner_id")]
    assert evaluated == ["A1", "B2"]
    by = {(r[0], r[1]): r for r in errs}
    assert set(by) == {
        ("B2", "W606"),
        ("C3", "E503"),
        ("D4", "E506"),
        ("E5", "E501"),
        ("F6", "E502"),
        ("G7", "E501"),
        (None, "E504"),
        ("H8", "E503"),
    }
    assert by[("B2", "W606")][2] == "warning"
    assert json.loads(by[("B2", "W606")][4])["course"] == "NOPE 9999"
    assert json.loads(by[("C3", "E503")][4]) == {
        "learner_id": "C3",
        "course": "CSCI 1410",
        "date": None,
        "grade": "A",
        "credits": None,
        "status": "completed",
    }
    assert by[("C3", "E503")][3] == "date"
    assert json.loads(by[("F6", "E502")][4])["grade"] == "Q" and by[("F6", "E502")][3] == "grade"
    assert "twice" in by[("D4", "E506")][5]
    b2 = stored(str(out))["B2"]
    assert [w["code"] for w in b2["warnings"]] == ["W606"]


def _night_opts(indb: Path | str, out: Path | str, tmp: Path, as_of: dt.date, **kw: Any) -> BatchOptions:
    return BatchOptions(
        catalog=CATALOG,
        inputs=[],
        output=tmp / "unused",
        db=str(indb),
        awards="awards",
        learners="learners",
        sink=str(out),
        as_of=as_of,
        cache_dir=tmp / "cache",
        **kw,
    )


class Stop(KeyboardInterrupt):
    pass


def test_a_crash_leaves_the_last_night_whole_and_resume_completes_it(
    indb: Path, tmp_path: Path, population: list[Transcript], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "r.db"
    run_batch(_night_opts(indb, out, tmp_path, AS_OF))
    first = stored(str(out))
    later = AS_OF + dt.timedelta(days=900)
    monkeypatch.setattr(night, "COMMIT_LEARNERS", 7)

    def crash(done: int, failed: int) -> None:
        if done >= 21:
            raise Stop

    with pytest.raises(Stop):
        run_batch(_night_opts(indb, out, tmp_path, later, progress=crash))
    assert stored(str(out)) == first  # the interrupted night left the results as they were
    with sqlite3.connect(out) as conn:
        (staged,) = conn.execute("SELECT COUNT(*) FROM microcred_stage_learners").fetchone()
        assert staged == 21
    summary = run_batch(_night_opts(indb, out, tmp_path, later, resume=True))
    assert (summary.skipped, summary.learners) == (21, 39)
    same(stored(str(out)), expected(population, later, tmp_path / "cache"))
    with sqlite3.connect(out) as conn:
        states = conn.execute("SELECT state, learners, evaluated FROM microcred_runs ORDER BY run_id").fetchall()
    assert states == [("done", 60, 60), ("done", 60, 60)]


def test_without_resume_an_interrupted_night_is_abandoned(
    indb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "r.db"
    monkeypatch.setattr(night, "COMMIT_LEARNERS", 5)

    def crash(done: int, failed: int) -> None:
        if done >= 10:
            raise Stop

    with pytest.raises(Stop):
        run_batch(_night_opts(indb, out, tmp_path, AS_OF, progress=crash))
    summary = run_batch(_night_opts(indb, out, tmp_path, AS_OF))
    assert (summary.skipped, summary.learners) == (0, 60)
    with sqlite3.connect(out) as conn:
        states = conn.execute("SELECT state FROM microcred_runs ORDER BY run_id").fetchall()
    assert states == [("abandoned",), ("done",)]


def test_a_lost_connection_resumes_after_the_last_commit(
    indb: Path, tmp_path: Path, population: list[Transcript], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(night, "COMMIT_LEARNERS", 8)
    original = night._SqlSource.records
    calls: list[str | None] = []

    def flaky(self: Any, after: str | None) -> Iterator[Any]:
        calls.append(after)
        for i, item in enumerate(original(self, after)):
            if len(calls) == 1 and i == 20:
                raise sqlite3.OperationalError("disk I/O error")
            yield item

    monkeypatch.setattr(night._SqlSource, "records", flaky)
    out = tmp_path / "r.db"
    summary = run_batch(_night_opts(indb, out, tmp_path, AS_OF))
    assert calls == [None, "L0000016"]  # read again after the last learner committed (2 × 8)
    assert any("connection was lost" in w for w in summary.warnings)
    same(stored(str(out)), expected(population, AS_OF, tmp_path / "cache"))
    with sqlite3.connect(out) as conn:
        assert conn.execute("SELECT learners, evaluated FROM microcred_runs").fetchone() == (60, 60)


def test_parquet_in_and_out(tmp_path: Path, population: list[Transcript]) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    attempts, awards, _learners = rows_of(population)
    names = ("learner_id", "course", "date", "grade", "credits", "status")
    reversed_rows = attempts[::-1]  # any order
    pq.write_table(pa.table({n: [r[i] for r in reversed_rows] for i, n in enumerate(names)}), tmp_path / "a.parquet")
    pq.write_table(
        pa.table({n: [r[i] for r in awards] for i, n in enumerate(("learner_id", "credential", "date", "expires_on"))}),
        tmp_path / "aw.parquet",
    )
    out = tmp_path / "results.parquet"
    common = ("batch", "--catalog", str(CATALOG), str(tmp_path / "a.parquet"), "--awards", str(tmp_path / "aw.parquet"))
    code, _o, err = run(*common, "-o", str(out), "--as-of", AS_OF.isoformat())
    assert code == 0, err
    table = pq.read_table(out).to_pylist()
    assert len(table) == 60 * 22
    want = expected(population, AS_OF, tmp_path / "cache")
    for row in table:
        c = want[row["learner_id"]]["credentials"][row["credential"]]
        assert row["status"] == c["status"] and row["progress"] == c["progress"]
        assert (row["earned_on"].isoformat() if row["earned_on"] else None) == c["earned_on"]
        assert json.loads(row["applied"]) == c["applied"] and json.loads(row["missing"]) == c["missing"]
    code, _o, err = run(*common, "-o", str(tmp_path / "r.db"), "--as-of", AS_OF.isoformat())
    assert code == 0, err
    got = stored(str(tmp_path / "r.db"))
    for doc in want.values():
        doc["learner"].pop("name", None)  # no learners file given
    same(got, want)


def test_usage_errors(indb: Path, tmp_path: Path) -> None:
    code, err = batch(indb, str(tmp_path / "r.jsonl"), tmp=tmp_path)
    assert code == 2 and "database and Parquet inputs write to a database or a Parquet file" in err
    code, err = batch(tmp_path / "missing.db", str(tmp_path / "r.db"), tmp=tmp_path)
    assert code == 2 and "no such SQLite file" in err
    code, err = batch(indb, str(tmp_path / "r.db"), "--attempts", "attempts; DROP TABLE x", tmp=tmp_path)
    assert code == 2 and "neither a table name nor a query" in err
    code, _o, err = run("batch", "--catalog", str(CATALOG), "x.csv", "-o", str(tmp_path / "o.jsonl"), "--incremental")
    assert code == 2 and "database or Parquet input" in err


# -- incremental nights -----------------------------------------------------------------------


def test_an_incremental_night_evaluates_only_what_changed(
    indb: Path, tmp_path: Path, population: list[Transcript]
) -> None:
    out = tmp_path / "r.db"
    code, err = batch(indb, str(out), "--incremental", tmp=tmp_path)
    assert code == 0 and "0 unchanged" in err
    code, err = batch(indb, str(out), "--incremental", tmp=tmp_path)
    assert code == 0 and "60 unchanged (not evaluated again)" in err
    with sqlite3.connect(indb) as conn:  # the same rows, written in the reverse order
        conn.execute("CREATE TABLE backwards AS SELECT * FROM attempts ORDER BY rowid DESC")
        conn.execute("DROP TABLE attempts")
        conn.execute("ALTER TABLE backwards RENAME TO attempts")
    code, err = batch(indb, str(out), "--incremental", tmp=tmp_path)
    assert code == 0 and "60 unchanged (not evaluated again)" in err
    with sqlite3.connect(indb) as conn:  # a new grade for one learner, another learner gone
        conn.execute("INSERT INTO attempts VALUES ('L0000004', 'CSCI 1410', '2026-05-30', 'A', NULL, 'completed')")
        conn.execute("DELETE FROM attempts WHERE learner_id = 'L0000007'")
        conn.execute("DELETE FROM awards WHERE learner_id = 'L0000007'")
        conn.execute("DELETE FROM learners WHERE learner_id = 'L0000007'")
    code, err = batch(indb, str(out), "--incremental", tmp=tmp_path)
    assert code == 0, err
    assert "59 learners" in err and "58 unchanged" in err and "1 no longer in the inputs (removed)" in err
    changed = [t for t in population if t.learner.id != "L0000007"]
    four = next(t for t in changed if t.learner.id == "L0000004")
    extra = Attempt(course="CSCI 1410", date=dt.date(2026, 5, 30), grade="A")
    changed = [t if t is not four else four.model_copy(update={"attempts": [*four.attempts, extra]}) for t in changed]
    same(stored(str(out)), expected(changed, AS_OF, tmp_path / "cache"))


def test_a_learners_digest_is_of_its_rows_in_any_order_and_of_each_values_type() -> None:
    rows = {
        "attempts": [
            ("L1", "CSCI 1410", "2024-05-01", "A", 3.0, None),
            ("L1", "MATH 1110", "2024-05-01", "B", None, None),
        ],
        "learners": [("L1", "Ada", None)],
    }
    digest = rec.rows_digest("salt", rows)
    assert rec.rows_digest("salt", {"learners": rows["learners"], "attempts": rows["attempts"][::-1]}) == digest
    assert rec.rows_digest("other salt", rows) != digest
    variants = [
        ("L1", "CSCI 1410", "2024-05-01", "A", 3, None),  # an integer, not a float
        ("L1", "CSCI 1410", "2024-05-01", "A", "3.0", None),  # text
        ("L1", "CSCI 1410", "2024-05-01", "A", 3.0000000000000004, None),  # the next float
        ("L1", "CSCI 1410", dt.date(2024, 5, 1), "A", 3.0, None),  # a date, not text
        ("L1", "CSCI 1410", "2024-05-01", "A ", 3.0, None),
        ("L1", "CSCI 1410", "2024-05-01", "A", 3.0, "completed"),
    ]
    seen = {digest}
    for v in variants:
        seen.add(rec.rows_digest("salt", {**rows, "attempts": [v, rows["attempts"][1]]}))
    seen.add(rec.rows_digest("salt", {**rows, "attempts": rows["attempts"][:1]}))  # a row deleted
    seen.add(rec.rows_digest("salt", {**rows, "attempts": [*rows["attempts"], rows["attempts"][1]]}))  # doubled
    seen.add(rec.rows_digest("salt", {**rows, "learners": [("L1", "Ada Lovelace", None)]}))
    seen.add(rec.rows_digest("salt", {"attempts": rows["attempts"]}))  # no learners row
    seen.add(rec.rows_digest("salt", {"awards": rows["attempts"], "learners": rows["learners"]}))  # another input
    assert len(seen) == 1 + len(variants) + 5


#: courses of the example catalogue (the statistics ones under a three-year completion window) and one it lacks
COURSES = [
    "CSCI 1410",
    "CSCI 2421",
    "MATH 1110",
    "ISMG 3500",
    "STAT 3001",
    "STAT 3010",
    "STAT 3100",
    "STAT 4010",
    "BIOL 1000",
]
GRADES = ["A", "A-", "B", "C", "C-", "D", "F", "P", "W"]


@st.composite
def nights(draw: st.DrawFn) -> list[tuple[int, list[tuple[int, str, Any]], int | None]]:
    """Nights: days the date moves on, changes to learners' records, and whether the tables'
    rows are written in another order (a seed) that night."""
    out = []
    for _ in range(draw(st.integers(2, 4))):
        step = draw(st.sampled_from([0, 1, 30, 200, 400, 800, 1095, 1200]))
        changes = []
        for _ in range(draw(st.integers(0, 4))):
            who = draw(st.integers(0, 11))
            kind = draw(st.sampled_from(["grade", "grade", "pending", "drop", "award", "regrade", "credits", "rename"]))
            offset = draw(st.integers(-400, 200))  # some changes dated after the night's date
            value = (draw(st.sampled_from(COURSES)), draw(st.sampled_from(GRADES)), offset)
            changes.append((who, kind, value))
        out.append((step, changes, draw(st.none() | st.integers(0, 2**16))))
    return out


def _apply(t: Transcript, kind: str, value: Any, as_of: dt.date, credentials: list[str]) -> Transcript:
    course, grade, offset = value
    day = as_of + dt.timedelta(days=offset)
    if kind in ("grade", "pending"):
        new = (
            Attempt(course=course, date=day, grade=grade)
            if kind == "grade"
            else Attempt(course=course, status="in_progress")
        )
        if new in t.attempts:  # the same row twice is an error of its own (E506)
            return t
        return t.model_copy(update={"attempts": [*t.attempts, new]})
    if kind == "drop":
        return t.model_copy(update={"attempts": t.attempts[1:]})
    if kind in ("regrade", "credits"):  # one row changed in place: its grade, or its credits
        if not t.attempts:
            return t
        i = abs(offset) % len(t.attempts)
        old = t.attempts[i]
        if kind == "regrade" and old.status in ("completed", "transfer"):
            changed = old.model_copy(update={"grade": grade})
        else:
            changed = old.model_copy(update={"credits": None if old.credits else float(abs(offset) % 5)})
        if changed in t.attempts:
            return t
        return t.model_copy(update={"attempts": [*t.attempts[:i], changed, *t.attempts[i + 1 :]]})
    if kind == "rename":  # a learner attribute (the name may come back to what it was)
        name = f"Learner {abs(offset) % 3}" if offset % 4 else None
        return t.model_copy(update={"learner": Learner(id=t.learner.id, name=name)})
    cred = credentials[abs(offset) % len(credentials)]
    expires = day + dt.timedelta(days=300) if offset % 2 else None
    award = Awarded(credential=cred, date=day, expires_on=expires)
    if award in t.awarded:
        return t
    return t.model_copy(update={"awarded": [*t.awarded, award]})


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=nights())
def test_incremental_nights_equal_full_nights(
    plan: list[tuple[int, list[tuple[int, str, Any]], int | None]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Random nights (new, changed and deleted rows, a learner's name, awards, in-progress
    courses, dates moving past expiries and windows, the rows in another order) evaluated
    incrementally give, learner by learner, what full nights give, and that is what evaluating
    each transcript gives."""
    tmp = tmp_path_factory.mktemp("nights")
    as_of = dt.date(2024, 9, 1)
    people = {t.learner.id: t for t in generate_population(CATALOG, 12, seed=11, as_of=as_of)}
    ids = sorted(people)
    credentials = sorted(load_compiled(CATALOG, tmp / "cache").catalog.credentials)
    inc, full = tmp / "inc.db", tmp / "full.db"
    indb = tmp / "sis.db"
    for step, changes, shuffle in [(0, [], None), *plan]:
        as_of += dt.timedelta(days=step)
        for who, kind, value in changes:
            lid = ids[who]
            people[lid] = _apply(people[lid], kind, value, as_of, credentials)
        with sqlite3.connect(indb) as conn:
            load_tables(conn, people.values(), shuffle=shuffle, only_kept=True)
        run_batch(_night_opts(indb, inc, tmp, as_of, incremental=True))
        run_batch(_night_opts(indb, full, tmp, as_of))
        want = expected(list(people.values()), as_of, tmp / "cache")
        want = {k: v for k, v in want.items() if people[k].attempts or people[k].awarded}
        got_full = stored(str(full))
        same(got_full, want)
        same(stored(str(inc)), got_full)


def test_the_recheck_date_is_the_first_day_the_answer_can_change(tmp_path: Path) -> None:
    """A learner taking the third statistics course of a three-year window: in progress until
    three years after the first one, partial from the day after; and an award's expiry."""
    compiled = load_compiled(CATALOG, tmp_path / "cache")
    t = Transcript(
        learner=Learner(id="S1"),
        attempts=[
            Attempt(course="STAT 3001", date=dt.date(2024, 1, 10), grade="A"),
            Attempt(course="STAT 3010", date=dt.date(2024, 5, 10), grade="A"),
            Attempt(course="STAT 4010", status="in_progress"),
        ],
        awarded=[
            Awarded(credential="aws-cloud-practitioner", date=dt.date(2024, 3, 1), expires_on=dt.date(2028, 3, 1))
        ],
    )

    def at(day: dt.date) -> tuple[Any, dt.date | None]:
        result = evaluate(compiled, t, day, detail=False)
        return result, night.recheck_on(compiled, t, result, ("in_progress",))

    today = dt.date(2025, 1, 1)
    result, recheck = at(today)
    assert result.credentials["statistical-modeling"].status == "in_progress"
    assert recheck == dt.date(2027, 1, 11)  # 2024-01-10 + 3 years, the next day
    before, _ = at(recheck - dt.timedelta(days=1))
    after, recheck_after = at(recheck)
    assert _contract(before) == _contract(result)
    assert after.credentials["statistical-modeling"].status == "partial"
    assert recheck_after is not None and recheck_after > recheck
    late, recheck_late = at(dt.date(2028, 2, 29))
    assert recheck_late == dt.date(2028, 3, 1)  # the award's expiry
    assert late.credentials["aws-cloud-practitioner"].status == "earned"
    assert at(dt.date(2028, 3, 1))[0].credentials["aws-cloud-practitioner"].status == "expired"


def _contract(result: Any) -> Any:
    doc = result.to_json()
    doc.pop("as_of")
    return doc
