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
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from types import TracebackType
from typing import Any, Generic, TypeVar

Tag = TypeVar("Tag")
Item = TypeVar("Item")
Answer = TypeVar("Answer")

#: PR_SET_PDEATHSIG of prctl(2): the signal a Linux process gets when its parent dies.
_PR_SET_PDEATHSIG = 1
#: how long a worker that should stop is given before it is killed (seconds)
_GRACE = 5.0


class WorkerDied(RuntimeError):
    """A worker process ended while it had work (killed, or out of memory)."""


class RemoteTraceback(Exception):
    """The traceback of an exception raised in a worker, attached as its cause."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


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


def _serve(
    conn: Connection,
    parent: int,
    work: Callable[[list[Any]], list[Any]],
    initializer: Callable[..., None],
    initargs: tuple[Any, ...],
) -> None:
    """A worker's life: set up once, then answer each chunk the parent sends, until it sends
    None or goes away. A failure (of the set-up or of a chunk) is sent back to be raised in the
    parent, with its traceback."""
    guard_worker(parent)
    failed: tuple[BaseException, str] | None = None
    try:
        initializer(*initargs)
    except BaseException as exc:  # raised in the parent, at the first chunk
        failed = (exc, traceback.format_exc())
    while True:
        try:
            chunk = conn.recv()
        except (EOFError, OSError):
            return
        if chunk is None:
            return
        reply: tuple[bool, Any]
        if failed is not None:
            reply = (False, failed)
        else:
            try:
                reply = (True, work(chunk))
            except BaseException as exc:  # raised in the parent
                reply = (False, (exc, traceback.format_exc()))
        try:
            conn.send(reply)
        except (EOFError, OSError):
            return
        except Exception as exc:  # the answer or the exception cannot be pickled
            conn.send((False, (WorkerDied(f"a worker's answer could not be sent: {type(exc).__name__}: {exc}"), "")))


class _Worker:
    __slots__ = ("conn", "proc")

    def __init__(self, proc: BaseProcess, conn: Connection) -> None:
        self.proc = proc
        self.conn = conn


def _died(worker: _Worker) -> WorkerDied:
    worker.proc.join(_GRACE)
    code = worker.proc.exitcode
    how = f"was killed by signal {-code}" if code is not None and code < 0 else f"ended with exit code {code}"
    return WorkerDied(f"a worker process {how} while it had work (out of memory, or stopped from outside?)")


class WorkerPool(Generic[Item, Answer]):
    """``jobs`` worker processes, each set up once by ``initializer(*initargs)``, that run
    ``work`` on chunks of items. Use it in a ``with`` block: on leaving it normally the workers
    finish and exit; on an exception (Ctrl-C among them) the workers are stopped at once. A
    worker ignores Ctrl-C (the parent stops it) and dies with its parent, even one killed
    outright.

    Each worker talks to this process through a pipe of its own and holds one chunk at a time;
    this process has no helper threads and shares no queue with the workers, so a worker
    stopped in the middle of a message can never leave it waiting (at exit or anywhere)."""

    def __init__(
        self,
        jobs: int,
        work: Callable[[list[Item]], list[Answer]],
        initializer: Callable[..., None],
        initargs: tuple[Any, ...] = (),
    ) -> None:
        self.jobs = max(1, jobs)
        context = multiprocessing.get_context()
        # the worker checks its parent: this process, or the fork server that dies with it
        parent = -1 if context.get_start_method() == "forkserver" else os.getpid()
        self._workers: list[_Worker] = []
        try:
            for n in range(self.jobs):
                mine, theirs = context.Pipe()
                proc = context.Process(
                    target=_serve,
                    args=(theirs, parent, work, initializer, initargs),
                    name=f"microcred-worker-{n + 1}",
                    daemon=True,
                )
                proc.start()
                theirs.close()
                self._workers.append(_Worker(proc, mine))
        except BaseException:
            self.stop()
            raise

    def __enter__(self) -> WorkerPool[Item, Answer]:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if kind is None:
            self.close()
        else:
            self.stop()

    def close(self) -> None:
        """Let the workers finish: each is told to exit and waited for (a worker that does not
        exit in a few seconds is stopped)."""
        for w in self._workers:
            with contextlib.suppress(OSError, ValueError):
                w.conn.send(None)
        for w in self._workers:
            w.proc.join(_GRACE)
        self.stop()

    def stop(self) -> None:
        """Stop at once: the workers are terminated (killed if they do not end) and waited for,
        and the pipes closed. Safe to call more than once."""
        workers, self._workers = self._workers, []
        for w in workers:
            with contextlib.suppress(Exception):
                if w.proc.is_alive():
                    w.proc.terminate()
        for w in workers:
            with contextlib.suppress(Exception):
                w.proc.join(_GRACE)
                if w.proc.is_alive():
                    w.proc.kill()
                    w.proc.join(_GRACE)
            with contextlib.suppress(Exception):
                w.conn.close()
            with contextlib.suppress(Exception):
                w.proc.close()

    def run(self, chunks: Iterable[tuple[Tag, list[Item]]]) -> Iterator[tuple[Tag, list[Answer]]]:
        """Each chunk's answers, in the order of ``chunks``, with the tag it came with. Chunks
        are read lazily, one per idle worker, and never more than two per worker ahead of the
        answer awaited; an empty chunk is not sent. A failure in a worker is raised here."""
        source = iter(chunks)
        ahead = 2 * self.jobs
        pending: deque[list[Any]] = deque()  # [tag, done, answers], in the order of chunks
        idle = list(reversed(self._workers))
        busy: dict[Connection, tuple[_Worker, list[Any]]] = {}
        exhausted = False
        while True:
            while idle and not exhausted and len(pending) < ahead:
                try:
                    tag, chunk = next(source)
                except StopIteration:
                    exhausted = True
                    break
                entry: list[Any] = [tag, not chunk, []]
                pending.append(entry)
                if chunk:
                    worker = idle.pop()
                    worker.conn.send(chunk)
                    busy[worker.conn] = (worker, entry)
            while pending and pending[0][1]:
                tag, _done, answers = pending.popleft()
                yield tag, answers
            if not busy:
                if exhausted and not pending:
                    return
                continue
            sentinels = {w.proc.sentinel: w for w, _ in busy.values()}
            for ready in wait([*busy, *sentinels]):
                if isinstance(ready, int):
                    worker = sentinels[ready]
                    if worker.conn in busy and not worker.conn.poll():
                        raise _died(worker)
                    continue
                if ready not in busy:
                    continue
                worker, entry = busy.pop(ready)
                try:
                    ok, payload = worker.conn.recv()
                except (EOFError, OSError):
                    raise _died(worker) from None
                if not ok:
                    error, text = payload
                    if text:
                        error.__cause__ = RemoteTraceback(text)
                    raise error
                entry[1], entry[2] = True, payload
                idle.append(worker)
