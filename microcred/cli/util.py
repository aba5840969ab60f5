"""What every command of the command line shares: one style of error, the exit codes, checks
of the paths a command reads and writes (made before any work starts), "did you mean" for
every id a user types, and counted nouns. :class:`UsageError` and the checks of outputs and
worker counts live in :mod:`microcred.model.usage` (the library raises them too) and are handed on
from here.

A usage error is raised as :class:`UsageError` (what is wrong, where, how to fix it); the
command line prints it as ``microcred COMMAND: WHERE: WHAT; FIX`` and exits 2.
"""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from urllib.parse import urlsplit

from microcred.model.usage import UsageError, check_jobs, check_output, check_output_dir, max_jobs, where_given
from microcred.model.words import article, plural

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
    "max_jobs",
    "plural",
    "unknown_id",
]


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
    return UsageError(where_given(option, repr(word)), f"no such {kind} in {place}{hint}", fix)


# -- paths a command reads --------------------------------------------------------------------


def unprefixed(message: str, path: str | os.PathLike[str]) -> str:
    """``message`` without a leading ``"PATH: "`` (the error names the path already)."""
    prefix = f"{path}: "
    return message[len(prefix) :] if message.startswith(prefix) else message


def input_file(path: str | os.PathLike[str], option: str, what: str = "file") -> Path:
    """``path`` as a regular file to read, or a :class:`UsageError` saying what it is instead
    (``option`` names the option that gave it, or is empty for a positional argument)."""
    p = Path(path)
    where = where_given(option, p)
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
        raise UsageError(where_given(option, p), "no such file or directory", "check the path")
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
                where_given(option, str(path)),
                f"the ending {suffix} names {FORMAT_OF_SUFFIX[suffix].upper()}, which this command does not write",
                f"end the file name in {_alternatives(known)}",
            )
        return default
    if (suffix in FORMAT_OF_SUFFIX or suffix in endings) and claimed != given:
        raise UsageError(
            where_given(option, str(path)),
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


# -- numbers ------------------------------------------------------------------------------------


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
