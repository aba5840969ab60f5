"""SQL databases in and out: SQLite (built in) and PostgreSQL (through psycopg 3, optional).

Inputs are tables or queries of attempts, awards and learners, read in one snapshot, ordered
by learner id (``CAST(learner_id AS TEXT)``, in code-point order on both databases, which is
Python's string order), so that one learner's rows from every input arrive together and a run
can resume after the last learner it committed.

Results go to four tables (see docs/database.md): ``microcred_results`` (one row a learner and
credential), ``microcred_learners`` (one row a learner: warnings, stacking, and what the next
incremental run needs), ``microcred_errors`` and ``microcred_runs``. A run writes into staging
tables, committing every few hundred learners together with how far it got; the last step
moves the staged learners into the result tables in one transaction. A crash at any point
leaves the result tables as the last finished run left them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import operator
import re
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from microcred.io.records import COLUMNS, REQUIRED
from microcred.model.usage import UsageError

__all__ = [
    "Database",
    "DatabaseError",
    "connection_errors",
    "is_database_url",
    "read_results",
    "redact",
]

SQLITE_ENDINGS = (".db", ".sqlite", ".sqlite3")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")
_QUERY = re.compile(r"^\s*(select|with)\b", re.I)


class DatabaseError(UsageError):
    """A database that cannot be used as given (unreachable, a table or column missing)."""


def is_database_url(text: str) -> bool:
    """Whether an input or output names a database: ``sqlite:///FILE``, ``postgresql://…``,
    or a file ending in .db, .sqlite or .sqlite3."""
    low = text.lower()
    return low.startswith(("sqlite:", "postgresql:", "postgres:")) or low.endswith(SQLITE_ENDINGS)


def connection_errors() -> tuple[type[BaseException], ...]:
    """The exceptions of a lost or refused connection (a run reconnects and resumes on them)."""
    errs: list[type[BaseException]] = [sqlite3.OperationalError]
    with contextlib.suppress(ImportError):
        import psycopg

        errs.append(psycopg.OperationalError)
    return tuple(errs)


def redact(url: str) -> str:
    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", url)


class Database:
    """A database named by a URL; :meth:`connect` opens a connection."""

    def __init__(self, url: str, option: str = "--db") -> None:
        self.url = url
        self.option = option
        low = url.lower()
        if low.startswith(("postgresql:", "postgres:")):
            self.dialect = "postgresql"
            self.path: Path | None = None
        elif low.startswith("sqlite:"):
            self.dialect = "sqlite"
            rest = url[len("sqlite:") :]
            if rest.startswith("///"):
                rest = rest[3:]
            elif rest.startswith("//"):
                rest = rest[2:]
            if not rest:
                raise DatabaseError(f"{option} {url}", "names no SQLite file", "write sqlite:///path/to/file.db")
            self.path = Path(rest)
        else:
            self.dialect = "sqlite"
            self.path = Path(url)
        self.param = "%s" if self.dialect == "postgresql" else "?"
        #: code-point order of text (PostgreSQL's default collation follows the locale)
        self.collate = ' COLLATE "C"' if self.dialect == "postgresql" else ""
        self.json_type = "json" if self.dialect == "postgresql" else "TEXT"
        self.float_type = "double precision" if self.dialect == "postgresql" else "REAL"

    def __str__(self) -> str:
        return redact(self.url)

    def connect(self, *, must_exist: bool = True, snapshot: bool = False) -> Any:
        """A new connection (in a transaction; ``snapshot``: repeatable read, for reading
        several inputs as of one moment)."""
        where = f"{self.option} {self}"
        if self.dialect == "sqlite":
            assert self.path is not None
            if must_exist and not self.path.is_file():
                raise DatabaseError(where, "no such SQLite file", "check the path")
            if not self.path.parent.is_dir():
                raise DatabaseError(where, "the folder of the SQLite file does not exist", "create it first")
            try:
                conn: Any = sqlite3.connect(self.path, isolation_level=None, timeout=30, check_same_thread=False)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
            except sqlite3.Error as exc:
                raise DatabaseError(where, f"cannot open it: {exc}", "check the path and its permissions") from None
            if snapshot:
                conn.execute("BEGIN")
            return conn
        try:
            import psycopg
        except ImportError:
            raise DatabaseError(
                where,
                "PostgreSQL needs the psycopg driver, which is not installed",
                "pip install 'microcred[postgresql]'",
            ) from None
        try:
            conn = psycopg.connect(self.url, connect_timeout=10)
        except psycopg.Error as exc:
            message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise DatabaseError(where, f"cannot connect: {redact(message)}", "check the URL and the server") from None
        if snapshot:
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.read_only = True
        return conn

    def sql(self, text: str) -> str:
        """``text`` with ``?`` placeholders in this database's style."""
        return text if self.param == "?" else text.replace("?", "%s")


# -- reading ----------------------------------------------------------------------------


@dataclass
class InputSpec:
    """One input: which rows (a table or a query) and what they are (attempts, awards, learners)."""

    kind: str
    text: str

    @property
    def label(self) -> str:
        return self.text if not _QUERY.match(self.text) else f"{self.kind} query"

    def relation(self) -> str:
        if _QUERY.match(self.text):
            return f"({self.text.strip().rstrip(';')})"
        if not _IDENT.match(self.text):
            raise DatabaseError(
                f"--{self.kind} {self.text}",
                "is neither a table name nor a query",
                "give a table (schema.table) or a query starting with SELECT or WITH",
            )
        return self.text


def _columns(db: Database, conn: Any, spec: InputSpec) -> dict[str, str]:
    """The input's columns by lower-case name (the name as the database spells it)."""
    cur = conn.cursor()
    try:
        cur.execute(f"SELECT * FROM {spec.relation()} AS src WHERE 1 = 0")
        names = [d[0] for d in cur.description or ()]
        with contextlib.suppress(Exception):
            cur.fetchall()
    except connection_errors():
        raise
    except Exception as exc:
        if db.dialect == "postgresql":
            with contextlib.suppress(Exception):
                conn.rollback()
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DatabaseError(
            f"--{spec.kind} {spec.label}", f"cannot be read: {message}", "check the name or query"
        ) from None
    finally:
        with contextlib.suppress(Exception):
            cur.close()
    found = {n.lower(): n for n in names}
    missing = [c for c in ("learner_id", *REQUIRED[spec.kind]) if c not in found]
    if missing:
        raise DatabaseError(
            f"--{spec.kind} {spec.label}",
            "has no column" + ("s " if len(missing) > 1 else " ") + ", ".join(missing),
            f"name them in the query (SELECT ... AS {missing[0]})",
        )
    return found


def check_inputs(db: Database, conn: Any, specs: Sequence[InputSpec]) -> dict[str, dict[str, str]]:
    """Every input's columns, checked before any work starts."""
    return {s.kind: _columns(db, conn, s) for s in specs}


def read_rows(
    db: Database, conn: Any, spec: InputSpec, columns: dict[str, str], after: str | None
) -> Iterator[tuple[str | None, list[tuple[Any, ...]]]]:
    """One input's rows, learner by learner in learner-id order, rows of learners after
    ``after`` only: (learner id, the learner's rows). Each row is as the database returned it,
    the learner id (as text) first and then the columns of ``COLUMNS``, in no particular
    order. A learner id that is NULL or blank comes as None (its rows together).

    The rows are grouped without a Python step per row (the grouping is
    :func:`itertools.groupby` over the ordered rows): most learners of a night are only
    digested, never evaluated, and this is the night's largest cost."""
    key = 'CAST(src."{}" AS TEXT)'.format(columns["learner_id"])
    picks = [f'src."{columns[c]}"' if c in columns else "NULL" for c in COLUMNS[spec.kind]]
    where = f" WHERE {key}{db.collate} > {db.param}" if after is not None else ""
    query = f"SELECT {key}, {', '.join(picks)} FROM {spec.relation()} AS src{where} ORDER BY {key}{db.collate}"
    params = (after,) if after is not None else ()
    if db.dialect == "postgresql":
        cur = conn.cursor(name=f"microcred_{spec.kind}")
        cur.itersize = 5000
    else:
        cur = conn.cursor()
    try:
        cur.execute(query, params)
        rows = itertools.chain.from_iterable(iter(lambda: cur.fetchmany(5000), []))
        for lid, group in itertools.groupby(rows, operator.itemgetter(0)):
            yield (lid if lid is not None and str(lid).strip() else None), list(group)
    finally:
        with contextlib.suppress(Exception):
            cur.close()


# -- writing ----------------------------------------------------------------------------

RESULT_COLUMNS: tuple[str, ...] = (
    "learner_id",
    "position",
    "credential",
    "status",
    "earned_on",
    "expires_on",
    "progress",
    "applied",
    "missing",
    "stacks_into",
    "title",
    "type",
    "awarded",
    "exceptions",
)
LEARNER_COLUMNS: tuple[str, ...] = (
    "learner_id",
    "name",
    "evaluated_as_of",
    "warnings",
    "stacking",
    "input_digest",
    "recheck_on",
    "run_id",
    "recognition",
)
ERROR_COLUMNS: tuple[str, ...] = (
    "run_id",
    "learner_id",
    "source",
    "row_data",
    "column_name",
    "code",
    "severity",
    "message",
)


def _ddl(db: Database) -> list[str]:
    j, f = db.json_type, db.float_type
    results = (
        "(learner_id TEXT NOT NULL, position INTEGER NOT NULL, credential TEXT NOT NULL, status TEXT NOT NULL, "
        f"earned_on DATE, expires_on DATE, progress {f} NOT NULL, applied {j} NOT NULL, missing {j} NOT NULL, "
        f"stacks_into {j} NOT NULL, title TEXT NOT NULL, type TEXT NOT NULL, awarded BOOLEAN NOT NULL, "
        f"exceptions {j}, PRIMARY KEY (learner_id, credential))"
    )
    learners = (
        f"(learner_id TEXT PRIMARY KEY, name TEXT, evaluated_as_of DATE NOT NULL, warnings {j} NOT NULL, "
        f"stacking {j} NOT NULL, input_digest TEXT NOT NULL, recheck_on DATE, run_id INTEGER NOT NULL, "
        f"recognition {j})"
    )
    return [
        f"CREATE TABLE IF NOT EXISTS microcred_results {results}",
        f"CREATE TABLE IF NOT EXISTS microcred_learners {learners}",
        f"CREATE TABLE IF NOT EXISTS microcred_stage_results {results}",
        f"CREATE TABLE IF NOT EXISTS microcred_stage_learners {learners}",
        "CREATE TABLE IF NOT EXISTS microcred_stage_drops (learner_id TEXT PRIMARY KEY)",
        "CREATE TABLE IF NOT EXISTS microcred_errors (run_id INTEGER NOT NULL, learner_id TEXT, source TEXT, "
        f"row_data {j}, column_name TEXT, code TEXT NOT NULL, severity TEXT NOT NULL, message TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS microcred_runs (run_id INTEGER PRIMARY KEY, state TEXT NOT NULL, "
        "as_of DATE NOT NULL, catalog_digest TEXT NOT NULL, options TEXT NOT NULL, started_at TEXT NOT NULL, "
        "finished_at TEXT, high_water TEXT, learners INTEGER NOT NULL DEFAULT 0, evaluated INTEGER NOT NULL "
        "DEFAULT 0, skipped INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0, removed INTEGER "
        "NOT NULL DEFAULT 0)",
    ]


@dataclass
class RunState:
    run_id: int
    high_water: str | None
    learners: int = 0
    evaluated: int = 0
    skipped: int = 0
    failed: int = 0
    removed: int = 0
    resumed: bool = False


@dataclass
class StoredLearner:
    digest: str
    recheck_on: dt.date | None


def _state(run_id: int, high_water: str | None, counts: Sequence[int]) -> RunState:
    learners, evaluated, skipped, failed, removed = (int(c) for c in counts)
    return RunState(run_id, high_water, learners, evaluated, skipped, failed, removed, resumed=True)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _as_date(v: Any) -> dt.date | None:
    if v is None or isinstance(v, dt.date):
        return v
    return dt.date.fromisoformat(str(v))


class ResultStore:
    """The result tables of one database, and the run being written into them."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.conn: Any = None

    def open(self) -> None:
        self.close()
        self.conn = self.db.connect(must_exist=False)
        self._tx(lambda cur: [cur.execute(s) for s in _ddl(self.db)])
        self._tx(self._add_recognition)

    def _add_recognition(self, cur: Any) -> None:
        """Learner tables written before ``recognition`` existed gain it (NULL: no evidence)."""
        for table in ("microcred_learners", "microcred_stage_learners"):
            if self.db.dialect == "postgresql":
                cur.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS recognition {self.db.json_type}")
                continue
            cur.execute(f"PRAGMA table_info({table})")
            if "recognition" not in {row[1] for row in cur.fetchall()}:
                cur.execute(f"ALTER TABLE {table} ADD COLUMN recognition {self.db.json_type}")

    def close(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(Exception):
                self.conn.close()
            self.conn = None

    def _tx(self, work: Any) -> Any:
        """Run ``work(cursor)`` in one transaction."""
        conn = self.conn
        if self.db.dialect == "sqlite":
            cur = conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                out = work(cur)
                cur.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(Exception):
                    cur.execute("ROLLBACK")
                raise
            return out
        try:
            with conn.transaction(), conn.cursor() as cur:
                return work(cur)
        finally:
            with contextlib.suppress(Exception):
                conn.rollback()  # leave no transaction open between writes (psycopg opens one on any read)

    def begin(self, as_of: dt.date, catalog_digest: str, options: str, resume: bool) -> RunState:
        """The run to write: the unfinished one when resuming it (same date, catalogue and
        options), else a new one (an unfinished run is abandoned and its staging cleared)."""
        q = self.db.sql

        def work(cur: Any) -> RunState:
            cur.execute(
                q(
                    "SELECT run_id, as_of, catalog_digest, options, high_water, learners, evaluated, skipped, "
                    "failed, removed FROM microcred_runs WHERE state = ? ORDER BY run_id DESC"
                ),
                ("running",),
            )
            open_runs = cur.fetchall()
            if resume and open_runs:
                run_id, r_as_of, r_digest, r_options, hw, *counts = open_runs[0]
                if _as_date(r_as_of) == as_of and r_digest == catalog_digest and r_options == options:
                    return _state(run_id, hw, counts)
            for row in open_runs:
                cur.execute(q("UPDATE microcred_runs SET state = ? WHERE run_id = ?"), ("abandoned", row[0]))
            for t in ("microcred_stage_results", "microcred_stage_learners", "microcred_stage_drops"):
                cur.execute(f"DELETE FROM {t}")
            cur.execute("SELECT COALESCE(MAX(run_id), 0) + 1 FROM microcred_runs")
            run_id = int(cur.fetchone()[0])
            cur.execute(
                q(
                    "INSERT INTO microcred_runs (run_id, state, as_of, catalog_digest, options, started_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)"
                ),
                (
                    run_id,
                    "running",
                    as_of.isoformat() if self.db.dialect == "sqlite" else as_of,
                    catalog_digest,
                    options,
                    _now(),
                ),
            )
            return RunState(run_id, None)

        out: RunState = self._tx(work)
        return out

    def current(self, run_id: int) -> RunState:
        """The run as last committed (after a reconnection)."""
        cur = self.conn.cursor()
        try:
            cur.execute(
                self.db.sql(
                    "SELECT high_water, learners, evaluated, skipped, failed, removed FROM microcred_runs "
                    "WHERE run_id = ?"
                ),
                (run_id,),
            )
            hw, *counts = cur.fetchone()
        finally:
            cur.close()
        if self.db.dialect == "postgresql":
            self.conn.rollback()
        return _state(run_id, hw, counts)

    def stored(self) -> dict[str, StoredLearner]:
        """Each stored learner's input digest and recheck date (for an incremental run)."""
        cur = self.conn.cursor()
        try:
            cur.execute("SELECT learner_id, input_digest, recheck_on FROM microcred_learners")
            out = {lid: StoredLearner(d, _as_date(r)) for lid, d, r in cur.fetchall()}
        finally:
            cur.close()
        if self.db.dialect == "postgresql":
            self.conn.rollback()
        return out

    def write(
        self,
        state: RunState,
        results: list[tuple[Any, ...]],
        learners: list[tuple[Any, ...]],
        drops: list[str],
        errors: list[tuple[Any, ...]],
        high_water: str | None,
        counts: RunState,
    ) -> None:
        """One chunk of learners, with how far the run got, in one transaction."""
        db = self.db

        def insert(cur: Any, table: str, cols: tuple[str, ...], rows: Sequence[tuple[Any, ...]]) -> None:
            if not rows:
                return
            if db.dialect == "postgresql":
                with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                    for r in rows:
                        copy.write_row(r)
            else:
                marks = ", ".join("?" for _ in cols)
                cur.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})", rows)

        def work(cur: Any) -> None:
            insert(cur, "microcred_stage_results", RESULT_COLUMNS, results)
            insert(cur, "microcred_stage_learners", LEARNER_COLUMNS, learners)
            insert(cur, "microcred_stage_drops", ("learner_id",), [(d,) for d in drops])
            insert(cur, "microcred_errors", ERROR_COLUMNS, errors)
            cur.execute(
                db.sql(
                    "UPDATE microcred_runs SET high_water = ?, learners = ?, evaluated = ?, skipped = ?, failed = ?, "
                    "removed = ? WHERE run_id = ?"
                ),
                (
                    high_water,
                    counts.learners,
                    counts.evaluated,
                    counts.skipped,
                    counts.failed,
                    counts.removed,
                    state.run_id,
                ),
            )

        self._tx(work)

    def finish(self, state: RunState, full: bool) -> None:
        """Move the staged learners into the result tables, in one transaction: a full run
        replaces them whole; an incremental one replaces the learners it evaluated and removes
        those that are gone."""
        db = self.db

        def work(cur: Any) -> None:
            if full:
                # the staged tables become the result tables (no copy), and new staging tables are made
                for name in ("results", "learners"):
                    cur.execute(f"DROP TABLE microcred_{name}")
                    cur.execute(f"ALTER TABLE microcred_stage_{name} RENAME TO microcred_{name}")
                for statement in _ddl(db):
                    cur.execute(statement)
                cur.execute("DELETE FROM microcred_stage_drops")
            else:
                for table in ("microcred_results", "microcred_learners"):
                    cur.execute(
                        f"DELETE FROM {table} WHERE learner_id IN (SELECT learner_id FROM microcred_stage_learners "
                        "UNION ALL SELECT learner_id FROM microcred_stage_drops)"
                    )
                cur.execute("INSERT INTO microcred_results SELECT * FROM microcred_stage_results")
                cur.execute("INSERT INTO microcred_learners SELECT * FROM microcred_stage_learners")
                for t in ("microcred_stage_results", "microcred_stage_learners", "microcred_stage_drops"):
                    cur.execute(f"DELETE FROM {t}")
            cur.execute(
                db.sql("UPDATE microcred_runs SET state = ?, finished_at = ? WHERE run_id = ?"),
                ("done", _now(), state.run_id),
            )

        self._tx(work)


def read_results(url: str, learners: Sequence[str] | None = None) -> Iterator[dict[str, Any]]:
    """Each learner's result as stored by the last finished run, as the JSON object
    ``microcred evaluate --format json`` prints (``as_of`` is that run's date), by learner id."""
    import orjson

    db = Database(url, "-o")
    conn = db.connect()
    try:
        cur = conn.cursor()
        cur.execute(db.sql("SELECT as_of FROM microcred_runs WHERE state = ? ORDER BY run_id DESC LIMIT 1"), ("done",))
        row = cur.fetchone()
        if row is None:
            return
        as_of = _as_date(row[0])
        assert as_of is not None
        cur.execute(
            f"SELECT learner_id, name, warnings, stacking, recognition FROM microcred_learners "
            f"ORDER BY learner_id{db.collate}"
        )
        heads = cur.fetchall()
        wanted = set(learners) if learners is not None else None
        cur.execute(
            "SELECT learner_id, credential, status, earned_on, expires_on, progress, applied, missing, stacks_into, "
            f"title, type, awarded, exceptions FROM microcred_results ORDER BY learner_id{db.collate}, position"
        )
        creds: dict[str, dict[str, Any]] = {}
        for r in cur.fetchall():
            lid, cid, status, earned, expires, progress, applied, missing, stacks, title, typ, awarded, exc = r
            if wanted is not None and lid not in wanted:
                continue
            doc: dict[str, Any] = {
                "status": status,
                "earned_on": _iso(earned),
                "expires_on": _iso(expires),
                "progress": float(progress),
                "applied": _json(applied, orjson),
                "missing": _json(missing, orjson),
                "stacks_into": _json(stacks, orjson),
                "title": title,
                "type": typ,
            }
            if awarded:
                doc["awarded"] = True
            if exc is not None:
                doc["exceptions"] = _json(exc, orjson)
            creds.setdefault(lid, {})[cid] = doc
        for lid, name, warnings, stacking, recognition in heads:
            if wanted is not None and lid not in wanted:
                continue
            learner: dict[str, Any] = {"id": lid}
            if name:
                learner["name"] = name
            out = {
                "learner": learner,
                "as_of": as_of.isoformat(),
                "credentials": creds.get(lid, {}),
                "stacking": _json(stacking, orjson),
                "warnings": _json(warnings, orjson),
            }
            if recognition is not None:
                out["recognition"] = _json(recognition, orjson)
            yield out
    finally:
        conn.close()


def _iso(v: Any) -> str | None:
    d = _as_date(v)
    return d.isoformat() if d else None


def _json(v: Any, orjson: Any) -> Any:
    return orjson.loads(v) if isinstance(v, (str, bytes)) else v
