"""`microcred batch` that cannot hurt its user: Ctrl-C, a killed parent, bounded --jobs, every
output checked before the run starts.

The runs that are interrupted read their input from a named pipe, so the test decides when
the input runs dry: the batch is then certainly mid-run (blocked on the pipe, with workers
started and learners journaled) when the signal arrives, however fast the machine is.
"""

from __future__ import annotations

import datetime as dt
import errno
import io
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from microcred.cli import main
from microcred.cli.util import max_jobs
from microcred.run.generate import generate_population, write_jsonl

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes (POSIX)")

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "catalog/example-university"
AS_OF = dt.date(2026, 6, 1)
#: learners written before the interruption (more than the 4 chunks of 128 two workers keep
#: in flight, so that some are certainly done and journaled) and in all
FIRST, TOTAL = 600, 700
WAIT = 180.0  # the most any step is waited for (seconds); no test relies on speed


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def lines() -> list[str]:
    buf = io.StringIO()
    write_jsonl(generate_population(CATALOG, TOTAL, seed=11, as_of=AS_OF), buf)
    return buf.getvalue().splitlines(keepends=True)


def _command(fifo: Path, out: Path, cache: Path, *extra: str, jobs: str = "2") -> list[str]:
    return [
        sys.executable,
        "-m",
        "microcred",
        "batch",
        "--catalog",
        str(CATALOG),
        str(fifo),
        "-o",
        str(out),
        "--jobs",
        jobs,
        "--as-of",
        AS_OF.isoformat(),
        "--cache-dir",
        str(cache),
        "--progress",
        "never",
        *extra,
    ]


def _open_writer(fifo: Path, proc: subprocess.Popen[str]) -> int:
    """The pipe's writing end, once the batch has opened it for reading."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        try:
            return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as exc:
            if exc.errno != errno.ENXIO:  # ENXIO: no reader yet
                raise
        assert proc.poll() is None, proc.communicate()[1]
        time.sleep(0.05)
    raise AssertionError("the batch never opened its input")


def _write(fd: int, text: str) -> None:
    os.set_blocking(fd, True)
    data = text.encode()
    while data:
        data = data[os.write(fd, data) :]


def _wait_for_journal(journal: Path, proc: subprocess.Popen[str], lines: int) -> None:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if journal.exists() and journal.read_bytes().count(b"\n") >= lines:
            return
        assert proc.poll() is None, proc.communicate()[1]
        time.sleep(0.05)
    raise AssertionError("no learner was journaled")


def _feed_all(cmd: list[str], fifo: Path, lines: list[str]) -> subprocess.CompletedProcess[str]:
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    fd = _open_writer(fifo, proc)
    try:
        _write(fd, "".join(lines))
    finally:
        os.close(fd)
    stdout, stderr = proc.communicate(timeout=WAIT)
    return subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")  # a zombie is dead, only not yet reaped


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_stops_with_130_and_resume_completes_identically(lines: list[str], tmp_path: Path, jobs: str) -> None:
    """With one job the learners are evaluated in the main process, where the solver once took
    Ctrl-C over and left it killing the process silently; with two, in workers."""
    fifo, out, cache = tmp_path / "in.jsonl", tmp_path / "out.jsonl", tmp_path / "cache"
    os.mkfifo(fifo)
    cmd = _command(fifo, out, cache, jobs=jobs)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    fd = _open_writer(fifo, proc)
    try:
        _write(fd, "".join(lines[:FIRST]))
        journal = out.with_name(out.name + ".partial.journal")
        _wait_for_journal(journal, proc, 64)
        workers = _children(proc.pid)
        assert bool(workers) == (jobs != "1"), "the workers should be running"
        # Ctrl-C on a terminal signals the whole foreground process group: the workers too
        os.killpg(proc.pid, signal.SIGINT)
        _stdout, stderr = proc.communicate(timeout=WAIT)
    finally:
        os.close(fd)
    assert proc.returncode == 130, stderr
    assert "interrupted — rerun with --resume" in stderr
    assert "Traceback" not in stderr and "internal error" not in stderr
    assert not out.exists()
    done = journal.read_bytes()
    assert done.endswith(b"\n") and done.count(b"\n") >= 64
    deadline = time.monotonic() + WAIT
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(w) for w in workers)

    resumed = _feed_all([*cmd, "--resume"], fifo, lines)
    assert resumed.returncode == 0, resumed.stderr
    assert "done before (resumed)" in resumed.stderr
    clean = _feed_all(_command(fifo, tmp_path / "clean.jsonl", cache), fifo, lines)
    assert clean.returncode == 0, clean.stderr
    assert out.read_bytes() == (tmp_path / "clean.jsonl").read_bytes()
    assert len(out.read_bytes().splitlines()) == TOTAL


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc to find the workers")
def test_workers_die_with_a_killed_parent(lines: list[str], tmp_path: Path) -> None:
    fifo, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    os.mkfifo(fifo)
    proc = subprocess.Popen(_command(fifo, out, tmp_path / "cache"), stderr=subprocess.PIPE, text=True)
    fd = _open_writer(fifo, proc)
    try:
        _write(fd, "".join(lines[:FIRST]))
        _wait_for_journal(out.with_name(out.name + ".partial.journal"), proc, 64)
        workers = _children(proc.pid)
        assert workers and all(_alive(w) for w in workers)
        proc.kill()  # kill -9: the parent cannot clean up
        proc.wait(timeout=WAIT)
        deadline = time.monotonic() + WAIT
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(_alive(w) for w in workers), "orphaned workers live on"
    finally:
        os.close(fd)
        if proc.stderr:
            proc.stderr.close()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc to find the workers")
def test_ctrl_c_stops_a_parallel_diff_with_130_and_its_workers(lines: list[str], tmp_path: Path) -> None:
    """``microcred diff --jobs`` runs on the same worker pool: Ctrl-C mid-run (the input not yet
    at its end) exits 130 without a traceback, and no worker outlives it."""
    changed = tmp_path / "v2"
    shutil.copytree(CATALOG, changed)
    badges = changed / "credentials" / "badges.yaml"
    text = badges.read_text(encoding="utf-8")
    assert "min_grade: C\n" in text
    badges.write_text(text.replace("min_grade: C\n", "min_grade: B\n", 1), encoding="utf-8")
    fifo = tmp_path / "in.jsonl"
    os.mkfifo(fifo)
    cmd = [sys.executable, "-m", "microcred", "diff", str(CATALOG), str(changed), "--transcripts", str(fifo)]
    proc = subprocess.Popen(
        [*cmd, "--jobs", "2", "--as-of", AS_OF.isoformat()],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    fd = _open_writer(fifo, proc)
    try:
        _write(fd, "".join(lines[:FIRST]))
        deadline = time.monotonic() + WAIT
        while not (workers := _children(proc.pid)) and time.monotonic() < deadline:
            assert proc.poll() is None, proc.communicate()[1]
            time.sleep(0.05)
        assert workers, "the workers should be running"
        os.killpg(proc.pid, signal.SIGINT)
        _stdout, stderr = proc.communicate(timeout=WAIT)
    finally:
        os.close(fd)
    assert proc.returncode == 130, stderr
    assert stderr.startswith("microcred diff:")
    assert stderr.strip() != "microcred diff:", "the message says what happened"
    assert "Traceback" not in stderr and "internal error" not in stderr
    deadline = time.monotonic() + WAIT
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(w) for w in workers)


@pytest.mark.parametrize("jobs", ["0", "-3", str(max_jobs() + 1), "100000"])
def test_jobs_is_bounded(jobs: str, tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("learner_id,course,date,grade\nA1,CSCI 1410,2024-12-15,A\n")
    code, _o, err = run("batch", "--catalog", str(CATALOG), str(tmp_path / "a.csv"), "-o", str(tmp_path / "o.jsonl"))
    assert code == 0, err
    code, _o, err = run(
        "batch", "--catalog", str(CATALOG), str(tmp_path / "a.csv"), "-o", str(tmp_path / "p.jsonl"), "--jobs", jobs
    )
    assert code == 2
    assert f"--jobs {jobs}:" in err and f"from 1 to {max_jobs()}" in err
    assert not list(tmp_path.glob("p.jsonl*"))


def _csv(tmp_path: Path) -> Path:
    path = tmp_path / "a.csv"
    path.write_text("learner_id,course,date,grade\nA1,CSCI 1410,2024-12-15,A\n")
    return path


def test_an_existing_directory_as_output_is_refused_before_the_run(tmp_path: Path) -> None:
    (tmp_path / "results").mkdir()
    code, _o, err = run("batch", "--catalog", str(CATALOG), str(_csv(tmp_path)), "-o", str(tmp_path / "results"))
    assert code == 2
    assert "is a directory; give a file name" in err and "internal error" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "results"]


def test_an_errors_file_in_a_missing_folder_is_refused_and_leaves_nothing(tmp_path: Path) -> None:
    src = _csv(tmp_path)
    missing = tmp_path / "missing" / "dir" / "x"
    code, _o, err = run(
        "batch", "--catalog", str(CATALOG), str(src), "-o", str(tmp_path / "o.jsonl"), "--errors", str(missing)
    )
    assert code == 2
    assert f"--errors {missing}" in err and "does not exist" in err and "internal error" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv"]  # no *.partial left behind


def test_the_output_may_not_be_an_input(tmp_path: Path) -> None:
    src = _csv(tmp_path)
    before = src.read_bytes()
    code, _o, err = run("batch", "--catalog", str(CATALOG), str(src), "-o", str(src), "--format", "csv")
    assert code == 2 and "is also an input" in err
    code, _o, err = run("batch", "--catalog", str(CATALOG), str(tmp_path), "-o", str(tmp_path / "out.jsonl"))
    assert code == 2 and "inside the input folder" in err
    code, _o, err = run(
        "batch",
        "--catalog",
        str(CATALOG),
        str(src),
        "-o",
        str(tmp_path / "o.jsonl"),
        "--errors",
        str(tmp_path / "o.jsonl"),
    )
    assert code == 2 and "is the output file too" in err
    assert src.read_bytes() == before


def test_the_format_follows_the_ending_or_is_refused(tmp_path: Path) -> None:
    src = _csv(tmp_path)
    code, _o, err = run("batch", "--catalog", str(CATALOG), str(src), "-o", str(tmp_path / "r.csv"), "--no-cache")
    assert code == 0, err
    assert (tmp_path / "r.csv").read_text().startswith("learner_id,credential,status")
    code, _o, err = run("batch", "--catalog", str(CATALOG), str(src), "-o", str(tmp_path / "r.json"))
    assert code == 2 and "names JSON" in err
    code, _o, err = run(
        "batch", "--catalog", str(CATALOG), str(src), "-o", str(tmp_path / "s.csv"), "--format", "jsonl"
    )
    assert code == 2 and "does not match --format jsonl" in err
