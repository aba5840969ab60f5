"""The worker pool that batch runs and change-impact runs share: answers in order, each chunk
with its tag; workers set up once, deaf to Ctrl-C, and stopped at once when the run fails."""

from __future__ import annotations

import os
import signal
import time

import pytest

from microcred.run.pool import WorkerPool

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
