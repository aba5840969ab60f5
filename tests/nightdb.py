"""Helpers of the database tests: a population written to database tables, the results read
back, and a PostgreSQL server of the tests' own (started in a temporary folder)."""

from __future__ import annotations

import contextlib
import datetime as dt
import glob
import os
import random
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from microcred.io.transcript import Transcript

ATTEMPTS_DDL = "(learner_id TEXT, course TEXT, date DATE, grade TEXT, credits REAL, status TEXT)"
AWARDS_DDL = "(learner_id TEXT, credential TEXT, date DATE, expires_on DATE)"
LEARNERS_DDL = "(learner_id TEXT, name TEXT, email TEXT)"


def rows_of(
    transcripts: Iterable[Transcript],
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    attempts, awards, learners = [], [], []
    for t in transcripts:
        lid = t.learner.id
        attempts += [(lid, a.course, a.date, a.grade, a.credits, a.status) for a in t.attempts]
        awards += [(lid, a.credential, a.date, a.expires_on) for a in t.awarded]
        learners.append((lid, t.learner.name, t.learner.email))
    return attempts, awards, learners


def load_tables(
    conn: Any,
    transcripts: Iterable[Transcript],
    param: str = "?",
    *,
    shuffle: int | None = None,
    only_kept: bool = False,
) -> None:
    """(Re)create the tables attempts, awards, learners and fill them; ``shuffle``: the rows
    in an order drawn with that seed; ``only_kept``: a learners row only for learners with
    any attempt or award."""
    people = list(transcripts)
    attempts, awards, learners = rows_of(people)
    if only_kept:
        kept = {t.learner.id for t in people if t.attempts or t.awarded}
        learners = [r for r in learners if r[0] in kept]
    if shuffle is not None:
        for rows in (attempts, awards, learners):
            random.Random(shuffle).shuffle(rows)
    cur = conn.cursor()
    for name, ddl, rows in (
        ("attempts", ATTEMPTS_DDL, attempts),
        ("awards", AWARDS_DDL, awards),
        ("learners", LEARNERS_DDL, learners),
    ):
        cur.execute(f"DROP TABLE IF EXISTS {name}")
        cur.execute(f"CREATE TABLE {name} {ddl}")
        if rows:
            marks = ", ".join(param for _ in rows[0])
            cur.executemany(f"INSERT INTO {name} VALUES ({marks})", [_plain(r) for r in rows])
    conn.commit()


def _plain(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(v.isoformat() if isinstance(v, dt.date) else v for v in row)


# -- a PostgreSQL server for the tests -------------------------------------------------------


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """A PostgreSQL server in a temporary folder, for as long as the context lasts; yields its
    URL. Raises RuntimeError, saying why, when none can be started here."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise RuntimeError("psycopg is not installed (pip install 'microcred[postgresql]')") from None
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    if not initdb or not pg_ctl:
        raise RuntimeError("no PostgreSQL server binaries (initdb, pg_ctl) on this machine")
    as_user: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        import pwd

        try:
            pwd.getpwnam("postgres")
        except KeyError:
            raise RuntimeError("running as root and there is no 'postgres' user to run the server as") from None
        runuser = shutil.which("runuser")
        if runuser is None:
            raise RuntimeError("running as root without runuser to start the server as 'postgres'")
        as_user = [runuser, "-u", "postgres", "--"]
    base = Path(tempfile.mkdtemp(prefix="microcred-pg-"))
    data = base / "data"
    port = _free_port()
    if as_user:
        shutil.chown(base, "postgres")
    env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
    try:
        subprocess.run(
            [*as_user, initdb, "-D", str(data), "-U", "microcred", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"],
            check=True,
            capture_output=True,
            env=env,
            timeout=120,
        )
        opts = f"-c listen_addresses=127.0.0.1 -p {port} -k {base} -c fsync=off -c full_page_writes=off"
        subprocess.run(
            [*as_user, pg_ctl, "-D", str(data), "-o", opts, "-l", str(base / "log"), "-w", "-t", "60", "start"],
            check=True,
            capture_output=True,
            env=env,
            timeout=90,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        shutil.rmtree(base, ignore_errors=True)
        raise RuntimeError(
            f"the PostgreSQL server did not start: {exc} {detail.decode(errors='replace')[-300:]}"
        ) from None
    try:
        yield f"postgresql://microcred@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*as_user, pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"], capture_output=True, timeout=60
        )
        shutil.rmtree(base, ignore_errors=True)
