"""What every command of the command line shares: one style of error, the exit codes, checks
of the paths a command reads and writes (made before any work starts), "did you mean" for
every id a user types, and counted nouns.

A usage error is raised as :class:`UsageError` (what is wrong, where, how to fix it); the
command line prints it as ``microcred COMMAND: WHERE: WHAT; FIX`` and exits 2.
"""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import os
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from urllib.parse import urlsplit

from microcred.words import article, plural

#: The exit codes of every command (docs/cli.md has the table).
EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

__all__ = [
    "EXIT_INTERRUPTED",
    "EXIT_INVALID",
    "EXIT_OK",
    "EXIT_USAGE",
    "UsageError",
    "article",
    "check_jobs",
    "check_output",
    "check_output_dir",
    "choose_format",
    "did_you_mean",
    "input_file",
    "input_path",
    "plural",
    "unknown_id",
]


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


# -- ids --------------------------------------------------------------------------------------


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A ``" (did you mean 'x'?)"`` suffix when one of ``choices`` is close to ``word``, else ``""``."""
    pool = sorted(set(choices))
    close = difflib.get_close_matches(word, pool, n=1, cutoff=0.6)
    if not close:
        folded = {c.casefold(): c for c in pool}
        close = [folded[word.casefold()]] if word.casefold() in folded else []
    return f" (did you mean '{close[0]}'?)" if close else ""


def unknown_id(option: str, kind: str, word: str, choices: Iterable[str], place: str = "the catalogue") -> UsageError:
    """The usage error for an id a user typed that ``choices`` lack, with "did you mean" (or,
    when nothing is close, the first few ids there are)."""
    pool = sorted(set(choices))
    hint = did_you_mean(word, pool)
    if hint:
        fix = "check the spelling"
    elif pool:
        shown = ", ".join(pool[:6]) + (f" and {len(pool) - 6} more" if len(pool) > 6 else "")
        fix = f"it has {shown}"
    else:
        fix = "it has none"
    return UsageError(_where(option, repr(word)), f"no such {kind} in {place}{hint}", fix)


# -- paths a command reads --------------------------------------------------------------------


def unprefixed(message: str, path: str | os.PathLike[str]) -> str:
    """``message`` without a leading ``"PATH: "`` (the error names the path already)."""
    prefix = f"{path}: "
    return message[len(prefix) :] if message.startswith(prefix) else message


def _where(option: str, path: Path | str) -> str:
    return f"{option} {path}" if option else str(path)


def input_file(path: str | os.PathLike[str], option: str, what: str = "file") -> Path:
    """``path`` as a regular file to read, or a :class:`UsageError` saying what it is instead
    (``option`` names the option that gave it, or is empty for a positional argument)."""
    p = Path(path)
    where = _where(option, p)
    if p.is_file():
        if not os.access(p, os.R_OK):
            raise UsageError(where, "cannot be read: permission denied", "check the file's permissions")
        return p
    if p.is_dir():
        raise UsageError(where, f"is a directory, not {article(what)}", f"give {article(what)}")
    if p.exists():
        raise UsageError(where, "is not a regular file (a device, pipe or socket)", f"give {article(what)}")
    raise UsageError(where, "no such file", "check the path")


def input_path(path: str | os.PathLike[str], option: str, what: str = "file or folder") -> Path:
    """``path`` as a file or a directory to read (a catalogue, a folder of transcripts)."""
    p = Path(path)
    if p.is_dir():
        return p
    if not p.exists():
        raise UsageError(_where(option, p), "no such file or directory", "check the path")
    return input_file(p, option, what)


# -- paths a command writes ---------------------------------------------------------------------

#: What a file name's ending says its content is.
FORMAT_OF_SUFFIX: dict[str, str] = {
    ".json": "json",
    ".jsonld": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".html": "html",
    ".htm": "html",
    ".svg": "svg",
    ".png": "png",
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
    ".gif": "gif",
    ".webp": "webp",
    ".pdf": "pdf",
    ".dot": "dot",
    ".gv": "dot",
    ".graphml": "graphml",
    ".xml": "xml",
    ".mmd": "mermaid",
    ".mermaid": "mermaid",
    ".jwt": "jwt",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".pem": "pem",
    ".zip": "zip",
    ".gz": "gzip",
}


def format_of(path: str | os.PathLike[str]) -> str | None:
    """The format a file name's ending claims, or None (no ending, or one that claims none)."""
    return FORMAT_OF_SUFFIX.get(Path(path).suffix.lower())


def choose_format(
    given: str | None, path: str | os.PathLike[str] | None, option: str, endings: Mapping[str, str], default: str
) -> str:
    """The output format: ``given`` (``--format``), else the one the file name's ending names
    (``endings`` maps endings to formats), else ``default``. A file name whose ending claims
    another format is refused rather than filled with something it does not hold."""
    suffix = Path(path).suffix.lower() if path is not None and str(path) != "-" else ""
    claimed = endings.get(suffix)
    known = sorted(endings)
    if given is None:
        if claimed is not None:
            return claimed
        if suffix in FORMAT_OF_SUFFIX:
            raise UsageError(
                _where(option, str(path)),
                f"the ending {suffix} names {FORMAT_OF_SUFFIX[suffix].upper()}, which this command does not write",
                f"end the file name in {_alternatives(known)}",
            )
        return default
    if (suffix in FORMAT_OF_SUFFIX or suffix in endings) and claimed != given:
        raise UsageError(
            _where(option, str(path)),
            f"the ending {suffix} does not match --format {given}",
            f"name the file to match (e.g. {Path(str(path)).stem}{_ending_for(given, endings)}) or change --format",
        )
    return given


def _alternatives(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _ending_for(fmt: str, endings: Mapping[str, str]) -> str:
    for suffix, f in endings.items():
        if f == fmt:
            return suffix
    return ".txt"


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
    where = _where(option, p)
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
    where = _where(option, p)
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


# -- option values (argparse types) -------------------------------------------------------------


def uri_arg(text: str) -> str:
    """An argparse type: an absolute URI (``urn:uuid:…``, ``https://…``, ``did:key:…``)."""
    scheme, sep, rest = text.partition(":")
    ok = bool(sep and rest and scheme and scheme[0].isalpha()) and all(c.isalnum() or c in "+-." for c in scheme)
    if not ok or any(c.isspace() for c in text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a URI; write one like https://example.edu/x or urn:uuid:…")
    return text


def http_url_arg(text: str) -> str:
    """An argparse type: an absolute http(s) URL."""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in text):
        raise argparse.ArgumentTypeError(f"{text!r} is not an http(s) URL; write one like https://example.edu/")
    return text


def email_arg(text: str) -> str:
    """An argparse type: an email address (one ``@``, a dot in the domain, no spaces)."""
    local, at, domain = text.strip().rpartition("@")
    if not at or not local or "." not in domain.strip(".") or any(c.isspace() or c == "@" for c in local + domain):
        raise argparse.ArgumentTypeError(f"{text!r} is not an email address; write it like name@example.edu")
    return text.strip()


def date_arg(text: str) -> dt.date:
    """An argparse type: a date, YYYY-MM-DD, between :data:`FIRST_DAY` and :data:`LAST_DAY`."""
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; write YYYY-MM-DD") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise argparse.ArgumentTypeError(
            f"{text} is out of range; give a date from {FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}"
        )
    return day


#: The dates a command accepts: wide enough for any record, far enough from the ends of the
#: calendar that dates computed from them (validity periods, terms) stay in it.
FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(2999, 12, 31)
