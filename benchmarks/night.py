"""A registrar's nights at scale, database to database (not part of the test suite).

    python benchmarks/night.py [LEARNERS] [CHANGED] [--jobs N] [--postgres] [--workdir DIR]

Writes a population generated for the example catalogue (``microcred generate --seed 1``, as of
2026-11-29) to the tables attempts, awards and learners of a SQLite database (results to another; or, with
``--postgres``, of a PostgreSQL server started in a temporary folder), then times:

1. the first night: every learner evaluated, into the result tables (``--incremental``, with
   no stored results yet: a full night that also stores what the next night needs);
2. a night one day later on which CHANGED learners have a new grade: incremental.

Prints one line a night: learners, evaluated, unchanged, seconds, learners/s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from nightdb import load_tables, postgres_server  # noqa: E402

from microcred.run.batch import BatchOptions, run_batch  # noqa: E402
from microcred.run.generate import generate_population  # noqa: E402

CATALOG = ROOT / "catalog/example-university"
AS_OF = dt.date(2026, 11, 29)


def night(url: str, out: str, workdir: Path, as_of: dt.date, jobs: int) -> Any:
    opts = BatchOptions(
        catalog=CATALOG,
        inputs=[],
        output=workdir / "unused",
        db=url,
        awards="awards",
        learners="learners",
        sink=out,
        as_of=as_of,
        jobs=jobs,
        incremental=True,
        cache_dir=workdir / "cache",
    )
    start, cpu = time.perf_counter(), _cpu()
    summary = run_batch(opts)
    return summary, time.perf_counter() - start, _cpu() - cpu


def _cpu() -> float:
    """CPU seconds (user and system) of this process and of its finished workers."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def change(conn: Any, learners: int, changed: int, param: str, day: dt.date = AS_OF - dt.timedelta(days=1)) -> None:
    """A new grade, dated ``day``, for ``changed`` learners drawn at random (seed 7)."""
    rng = random.Random(7)
    who = rng.sample(range(1, learners + 1), changed)
    rows = [(f"L{i:07d}", "CSCI 1410", day.isoformat(), "A", None, "completed") for i in who]
    cur = conn.cursor()
    marks = ", ".join(param for _ in rows[0])
    cur.executemany(f"INSERT INTO attempts VALUES ({marks})", rows)
    conn.commit()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("learners", type=int, nargs="?", default=100_000)
    ap.add_argument("changed", type=int, nargs="?", default=2_000)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--postgres", action="store_true")
    ap.add_argument("--workdir")
    ap.add_argument(
        "--next-only",
        action="store_true",
        help="only the next night, on the databases an earlier run left in --workdir (copied first)",
    )
    args = ap.parse_args()
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="microcred-night-"))
    workdir.mkdir(parents=True, exist_ok=True)
    if args.next_only:
        import shutil

        for name in ("sis.db", "results.db"):
            shutil.copy(workdir / name, workdir / f"again-{name}")
        conn = sqlite3.connect(workdir / "again-sis.db")
        later = AS_OF + dt.timedelta(days=2)  # the night after the one the earlier run did
        change(conn, args.learners, args.changed, "?", later)
        conn.close()
        again = str(workdir / "again-sis.db")
        summary, seconds, cpu = night(again, str(workdir / "again-results.db"), workdir, later, args.jobs)
        print(
            f"next night: {summary.learners} learners, {summary.learners - summary.unchanged} evaluated, "
            f"{seconds:.1f} s, {cpu:.1f} s of CPU, --jobs {args.jobs}, load {os.getloadavg()[0]:.1f}"
        )
        return
    start = time.perf_counter()
    population = list(generate_population(CATALOG, args.learners, seed=1, as_of=AS_OF))
    attempts = sum(len(t.attempts) for t in population)
    print(f"generated {args.learners} learners, {attempts} attempts in {time.perf_counter() - start:.1f} s")

    def run(url: str, out: str, connect: Any, param: str) -> None:
        conn = connect()
        load_tables(conn, population, param=param)
        conn.close()
        for label, as_of in (("first night (all)", AS_OF), ("next night", AS_OF + dt.timedelta(days=1))):
            if label == "next night":
                conn = connect()
                change(conn, args.learners, args.changed, param)
                conn.close()
            summary, seconds, cpu = night(url, out, workdir, as_of, args.jobs)
            evaluated = summary.learners - summary.unchanged
            print(
                f"{label}: {summary.learners} learners, {evaluated} evaluated, {summary.unchanged} unchanged, "
                f"{summary.failed} failed, {seconds:.1f} s ({summary.learners / seconds:.0f} learners/s), "
                f"{cpu:.1f} s of CPU, --jobs {args.jobs}, cpus {os.cpu_count()}, load {os.getloadavg()[0]:.1f}",
                flush=True,
            )

    if args.postgres:
        import psycopg

        with postgres_server() as url:
            run(url, url, lambda: psycopg.connect(url), "%s")
    else:
        path, out = workdir / "sis.db", workdir / "results.db"
        for p in (path, out):
            p.unlink(missing_ok=True)
        run(str(path), str(out), lambda: sqlite3.connect(path), "?")


if __name__ == "__main__":
    main()
