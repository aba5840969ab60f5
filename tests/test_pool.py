"""The worker pool that batch runs and change-impact runs share: answers in order, each chunk
with its tag; workers set up once, deaf to Ctrl-C, and stopped at once when the run fails."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from microcred.run.pool import WorkerDied, WorkerPool

ROOT = Path(__file__).resolve().parent.parent
WAIT = 120.0  # the most the interrupted script is waited for (seconds); nothing relies on speed

_SETUP: dict[str, str] = {}


def _setup(word: str) -> None:
    _SETUP["word"] = word


def _work(chunk: list[int]) -> list[tuple[int, int, str, bool]]:
    """Each item with the worker's pid, what its set-up left, and whether it ignores Ctrl-C;
    a negative item keeps the worker busy for ten minutes."""
    if any(n < 0 for n in chunk):
        time.sleep(600)
    deaf = signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    return [(n * n, os.getpid(), _SETUP["word"], deaf) for n in chunk]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_answers_come_in_order_with_their_tags_from_set_up_workers() -> None:
    chunks = [(f"tag{i}", list(range(i * 5, i * 5 + 5))) for i in range(12)]
    chunks.insert(3, ("empty", []))
    with WorkerPool(2, _work, _setup, ("ready",)) as pool:
        answers = list(pool.run(iter(chunks)))
    assert [tag for tag, _ in answers] == [tag for tag, _ in chunks]
    assert dict(answers)["empty"] == []
    rows = [row for _, got in answers for row in got]
    assert [r[0] for r in rows] == [n * n for n in range(60)]
    assert os.getpid() not in {r[1] for r in rows}  # every chunk ran in a worker
    assert {r[2] for r in rows} == {"ready"}
    assert all(r[3] for r in rows), "a worker must leave Ctrl-C to its parent"


def test_a_failed_run_stops_the_workers_at_once() -> None:
    """The workers are busy (for ten minutes) when the run fails: they are stopped, not
    waited for."""
    seen: set[int] = set()
    work = [(0, [1]), *((i, [-1]) for i in range(1, 5))]
    with pytest.raises(KeyboardInterrupt), WorkerPool(2, _work, _setup, ("ready",)) as pool:
        for _tag, got in pool.run(iter(work)):
            seen.update(r[1] for r in got)
            raise KeyboardInterrupt
    assert seen
    deadline = time.monotonic() + 60
    while any(_alive(p) for p in seen) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(p) for p in seen)


def _fail(chunk: list[int]) -> list[int]:
    if 3 in chunk:
        raise ValueError(f"no square for {chunk}")
    return [n * n for n in chunk]


def _bad_setup() -> None:
    raise LookupError("the catalogue went missing")


def test_a_failure_in_a_worker_is_raised_here_with_its_traceback() -> None:
    with (
        pytest.raises(ValueError, match=r"no square for \[3\]") as caught,
        WorkerPool(2, _fail, _setup, ("x",)) as pool,
    ):
        list(pool.run((i, [i]) for i in range(6)))
    assert "_fail" in str(caught.value.__cause__)  # where it happened, in the worker


def test_a_failed_set_up_is_raised_at_the_first_chunk() -> None:
    with pytest.raises(LookupError, match="went missing"), WorkerPool(2, _work, _bad_setup) as pool:
        list(pool.run([(0, [1])]))


def _die(chunk: list[int]) -> list[int]:
    if -9 in chunk:
        os.kill(os.getpid(), signal.SIGKILL)
    return chunk


def test_a_worker_killed_mid_work_is_an_error_not_a_wait() -> None:
    with pytest.raises(WorkerDied, match="killed by signal 9"), WorkerPool(2, _die, _setup, ("x",)) as pool:
        list(pool.run([(0, [1]), (1, [-9]), (2, [2])]))


_HALF_SENT = """
import os, pathlib, signal, sys, time
from microcred.run.pool import WorkerDied, WorkerPool

def setup():
    pass

def work(chunk):
    pathlib.Path(sys.argv[1], str(chunk[0])).write_text(str(os.getpid()))
    return ["x" * 20_000_000]  # far more than a pipe holds: sending waits for the reader

if __name__ == "__main__":
    try:
        with WorkerPool(2, work, setup) as pool:
            for tag, answers in pool.run((i, [i]) for i in range(4)):
                # the other worker is sending its answer, which nobody reads: kill it half-way
                other = pathlib.Path(sys.argv[1], "1")
                while not other.exists():
                    time.sleep(0.01)
                time.sleep(0.5)
                os.kill(int(other.read_text()), signal.SIGKILL)
    except WorkerDied as exc:
        print("refused:", exc)
"""


def test_a_worker_killed_half_way_through_an_answer_is_an_error_not_a_hang(tmp_path: Path) -> None:
    """The rest of a message that will never come is not waited for, during the run or at
    exit (a pool whose workers share one result queue hangs here)."""
    script = tmp_path / "half.py"
    script.write_text(_HALF_SENT)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run(
        [sys.executable, str(script), str(tmp_path)], capture_output=True, text=True, timeout=WAIT, env=env, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert "refused: a worker process was killed by signal 9 while it had work" in proc.stdout
