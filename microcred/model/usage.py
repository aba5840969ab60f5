"""What a caller asked for, checked before any work starts, and the error that says it cannot
be done as asked: :class:`UsageError` (where, what is wrong, how to fix it), the files and
folders a run may write (never one of its own inputs) and the number of worker processes.

The command line prints a :class:`UsageError` as ``microcred COMMAND: WHERE: WHAT; FIX`` and
exits 2; the library (:mod:`microcred.run.batch`) raises it too."""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable
from pathlib import Path

__all__ = ["UsageError", "check_jobs", "check_output", "check_output_dir", "max_jobs", "where_given"]


class UsageError(Exception):
    """The command was called in a way it cannot work with: exit 2.

    ``where`` names the option or path at fault, ``what`` says what is wrong with it and
    ``fix`` how to put it right."""

    def __init__(self, where: str, what: str = "", fix: str = "") -> None:
        self.where, self.what, self.fix = where, what, fix
        super().__init__(str(self))

    def __str__(self) -> str:
        head = f"{self.where}: {self.what}" if self.where and self.what else self.where or self.what
        return head + (f"; {self.fix}" if self.fix else "")


def where_given(option: str, path: Path | str) -> str:
    """The option and value at fault, as a usage error names them (``-o out.csv``)."""
    return f"{option} {path}" if option else str(path)


# -- paths a run writes ----------------------------------------------------------------------------


def _same(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return os.path.realpath(a) == os.path.realpath(b)


def _within(path: Path, folder: Path) -> bool:
    try:
        Path(os.path.realpath(path)).relative_to(os.path.realpath(folder))
    except ValueError:
        return False
    return True


def _folder_problem(p: Path, verb: str) -> str | None:
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        if parent.exists():
            return f"cannot {verb} it: {parent} is a file, not a folder"
        return f"cannot {verb} it: the folder {parent} does not exist"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"cannot {verb} it: permission denied in {parent}"
    return None


def check_output(
    path: str | os.PathLike[str],
    option: str,
    *,
    inputs: Iterable[str | os.PathLike[str] | None] = (),
    read_suffixes: Collection[str] = (".yaml", ".yml", ".json", ".jsonl", ".csv"),
    example: str = "out.txt",
) -> Path:
    """``path`` as a file this command may write, checked before any work starts: not a
    directory, in a folder that exists and is writable, and not one of the command's
    ``inputs`` (nor, for an input folder, a file in it of a kind the command reads)."""
    p = Path(path)
    where = where_given(option, p)
    if p.is_dir():
        raise UsageError(where, "is a directory", f"give a file name, e.g. {p / example}")
    for inp in inputs:
        if inp is None or str(inp) == "-":
            continue
        q = Path(inp)
        if q.is_dir():
            if _within(p, q) and p.suffix.lower() in read_suffixes:
                raise UsageError(
                    where,
                    f"is inside the input folder {q}, which this command reads",
                    "write it somewhere else, so that an output never becomes an input",
                )
        elif _same(p, q):
            raise UsageError(
                where,
                f"is also an input{'' if str(q) == str(p) else f' ({q})'}; writing it would destroy that input",
                "choose another file name",
            )
    if p.exists() and not p.is_file():
        raise UsageError(where, "is not a regular file (a device, pipe or socket)", "give a file name")
    problem = _folder_problem(p, "write")
    if problem:
        raise UsageError(where, problem, "create the folder first, or choose another path")
    if p.exists() and not os.access(p, os.W_OK):
        raise UsageError(where, "cannot write it: permission denied", "choose a file you can write")
    return p


def check_output_dir(
    path: str | os.PathLike[str], option: str, *, inputs: Iterable[str | os.PathLike[str] | None] = ()
) -> Path:
    """``path`` as a folder this command writes files into: an existing folder, or a new one
    in a folder that exists (never a chain of new folders, which is usually a typo)."""
    p = Path(path)
    where = where_given(option, p)
    if p.exists() and not p.is_dir():
        raise UsageError(where, "is a file, not a folder", "give the folder to write the files into")
    for inp in inputs:
        if inp is not None and str(inp) != "-" and Path(inp).exists() and _same(p, Path(inp)):
            raise UsageError(where, f"is also an input ({inp})", "choose another folder")
    if not p.exists():
        problem = _folder_problem(p, "create")
        if problem:
            raise UsageError(where, problem, "create the folder above it first, or choose another path")
    elif not os.access(p, os.W_OK | os.X_OK):
        raise UsageError(where, "cannot write into it: permission denied", "choose a folder you can write")
    return p


# -- numbers ------------------------------------------------------------------------------------


def max_jobs() -> int:
    """The most worker processes a command starts: four for each core this process may use."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, cores) * 4


def check_jobs(jobs: int, where: str = "--jobs") -> int:
    """``jobs`` as a number of worker processes: from 1 to :func:`max_jobs`."""
    top = max_jobs()
    if not 1 <= jobs <= top:
        what = "must be at least 1" if jobs < 1 else f"more worker processes than this machine can use ({top})"
        raise UsageError(f"{where} {jobs}", what, f"give a number from 1 to {top} (four for each core)")
    return jobs
