"""The one pool of worker processes for runs over many learners: answers in order, workers die with their parent."""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from types import TracebackType
from typing import Any, Generic, TypeVar

Tag = TypeVar("Tag")
Item = TypeVar("Item")
Answer = TypeVar("Answer")

#: PR_SET_PDEATHSIG of prctl(2): the signal a Linux process gets when its parent dies.
_PR_SET_PDEATHSIG = 1


def guard_worker(parent: int) -> None:
    """Make this worker process die with its parent: Ctrl-C is left to the parent (which
    stops the workers itself), and a parent killed outright (``kill -9``) takes its workers
    with it rather than leave them running. On Linux the kernel sends SIGKILL when the parent
    dies; everywhere, a thread checks the parent every fifth of a second."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if parent < 0:  # started by a fork server, which itself dies with the parent
        parent = os.getppid()
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the guard was set
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(1)

    threading.Thread(target=watch, name="microcred-parent-watch", daemon=True).start()


def _start_worker(parent: int, initializer: Callable[..., None], initargs: tuple[Any, ...]) -> None:
    guard_worker(parent)
    initializer(*initargs)


class WorkerPool(Generic[Item, Answer]):
    """``jobs`` worker processes, each set up once by ``initializer(*initargs)``, that run
    ``work`` on chunks of items. Use it in a ``with`` block: on leaving it normally the workers
    finish and exit; on an exception (Ctrl-C among them) pending work is cancelled and the
    workers are stopped at once. A worker ignores Ctrl-C (the parent stops it) and dies with
    its parent, even one killed outright."""

    def __init__(
        self,
        jobs: int,
        work: Callable[[list[Item]], list[Answer]],
        initializer: Callable[..., None],
        initargs: tuple[Any, ...] = (),
    ) -> None:
        self.jobs = jobs
        self.work = work
        context = multiprocessing.get_context()
        # the worker checks its parent: this process, or the fork server that dies with it
        parent = -1 if context.get_start_method() == "forkserver" else os.getpid()
        self._pool = ProcessPoolExecutor(
            max_workers=jobs,
            mp_context=context,
            initializer=_start_worker,
            initargs=(parent, initializer, initargs),
        )

    def __enter__(self) -> WorkerPool[Item, Answer]:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if kind is None:
            self._pool.shutdown(wait=True)
        else:
            self.stop()

    def stop(self) -> None:
        """Stop at once: pending work is cancelled and the workers are terminated (they would
        otherwise finish their chunks, or, killed by Ctrl-C mid-task, break the pool)."""
        procs = list((getattr(self._pool, "_processes", None) or {}).values())
        self._pool.shutdown(wait=False, cancel_futures=True)
        for proc in procs:
            with contextlib.suppress(Exception):
                proc.terminate()
        for proc in procs:
            with contextlib.suppress(Exception):
                proc.join(5)
                if proc.is_alive():
                    proc.kill()
                    proc.join(5)

    def run(self, chunks: Iterable[tuple[Tag, list[Item]]]) -> Iterator[tuple[Tag, list[Answer]]]:
        """Each chunk's answers, in the order of ``chunks``, with the tag it came with. Chunks
        are sent lazily, at most two per worker waiting; an empty chunk is not sent."""
        pending: deque[tuple[Tag, Future[list[Answer]] | None]] = deque()

        def settle() -> tuple[Tag, list[Answer]]:
            tag, future = pending.popleft()
            return tag, future.result() if future is not None else []

        for tag, chunk in chunks:
            pending.append((tag, self._pool.submit(self.work, chunk) if chunk else None))
            while len(pending) >= 2 * self.jobs:
                yield settle()
        while pending:
            yield settle()
