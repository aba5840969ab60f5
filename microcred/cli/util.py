"""What every command of the command line shares: one style of error, the exit codes, checks
of the paths a command reads and writes (made before any work starts), "did you mean" for
every id a user types, counted nouns, and the options that bring in learners' external credentials
(``--evidence`` and what to trust). :class:`UsageError` and the checks of outputs and
worker counts live in :mod:`microcred.model.usage` (the library raises them too) and are handed on
from here.

A usage error is raised as :class:`UsageError` (what is wrong, where, how to fix it); the
command line prints it as ``microcred COMMAND: WHERE: WHAT; FIX`` and exits 2.
"""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import io
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import urlsplit

from microcred.model.diagnostics import Diagnostic
from microcred.model.usage import UsageError, check_jobs, check_output, check_output_dir, max_jobs, where_given
from microcred.model.words import article, plural

if TYPE_CHECKING:
    from microcred.io.transcript import TranscriptSource
    from microcred.model.result import LearnerResult
    from microcred.rules.compiled import CompiledCatalog

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
    "evidence_arguments",
    "evidence_options",
    "input_file",
    "input_path",
    "max_jobs",
    "plural",
    "trust_inputs",
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


#: ``date_arg`` under the name the commands' parsers give it.
parse_date = date_arg

#: The name of the command running, for messages of the helpers the commands share.
PROG = ["microcred"]


def _escape_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_prop(s: str) -> str:
    return _escape_data(s).replace(":", "%3A").replace(",", "%2C")


def format_text(d: Diagnostic) -> str:
    loc = d.location
    where = f"{loc.file}:{loc.line}:{loc.column}" if loc else "-:1:1"
    return f"{where}: {d.code} {d.message}"


def format_github(d: Diagnostic) -> str:
    level = "error" if d.is_error else "warning"
    loc = d.location
    props = [f"title={_escape_prop(d.code)}"]
    if loc:
        props = [f"file={_escape_prop(loc.file)}", f"line={loc.line}", f"col={loc.column}", *props]
    return f"::{level} {','.join(props)}::{_escape_data(d.code + ' ' + d.message)}"


def nonneg_int(text: str) -> int:
    """An argparse type: a whole number, 0 or more."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if n < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return n


def write_output(prog: str, target: str | None, text: str, out: TextIO, err: TextIO) -> int:
    """``text`` to ``target`` (written atomically), or to ``out`` when there is none or it is
    ``-``; an unwritable target is a usage error, reported on ``err``."""
    if target in (None, "-"):
        out.write(text)
        return EXIT_OK
    from pathlib import Path

    from microcred.io.atomicfile import write_atomically

    assert target is not None
    if Path(target).is_dir():
        err.write(f"{prog}: {target} is a directory; give a file name with -o\n")
        return EXIT_USAGE
    try:
        write_atomically(target, text)
    except OSError as exc:
        err.write(f"{prog}: cannot write {target}: {exc.strerror or exc}\n")
        return EXIT_USAGE
    return EXIT_OK


def one_learner(
    path: str, learner: str | None, prog: str, err: TextIO, *, none_found: int = EXIT_USAGE
) -> tuple[TranscriptSource | None, int]:
    """The one learner of a transcript file (``learner`` picks one of several), or the exit
    code after the reason has been written to ``err``."""
    from pathlib import Path

    from microcred.io.transcript import TranscriptError, read_transcripts

    found: list[TranscriptSource] = []
    seen: list[str] = []
    for item in read_transcripts(Path(path), path):
        if isinstance(item, TranscriptError):
            if item.learner_id:
                seen.append(item.learner_id)
            if learner is None or item.learner_id == learner:
                who = f" (learner {item.learner_id})" if item.learner_id else ""
                err.write(f"{prog}: cannot read {path}{who}:\n")
                for d in item.diagnostics:
                    err.write(format_text(d) + "\n")
                return None, EXIT_INVALID
            continue
        seen.append(item.transcript.learner.id)
        if learner is None or item.transcript.learner.id == learner:
            found.append(item)
    if not found and learner is not None:
        raise unknown_id("--learner", "learner", learner, seen, path)
    if not found:
        err.write(f"{prog}: no learner in {path}\n")
        return None, none_found
    if len(found) > 1:
        raise UsageError(path, f"holds {plural(len(found), 'learner')}", "choose one with --learner ID")
    return found[0], EXIT_OK


def evaluate_learner(
    compiled: CompiledCatalog, src: TranscriptSource, as_of: dt.date | None, prog: str, err: TextIO
) -> tuple[LearnerResult | None, int]:
    """Evaluate one learner, writing its errors (exit 1) or warnings to ``err``."""
    from microcred.model.diagnostics import MicrocredError
    from microcred.rules.evaluate import evaluate

    try:
        result = evaluate(compiled, src, as_of)
    except MicrocredError as exc:
        err.write(f"{prog}: cannot evaluate {src.file} (learner {src.transcript.learner.id}):\n")
        for d in exc.diagnostics:
            err.write(format_text(d) + "\n")
        return None, EXIT_INVALID
    for w in result.warnings:
        err.write(format_text(w) + "\n")
    return result, EXIT_OK


def load_catalog_or_report(path: str, err: TextIO, option: str = "--catalog") -> tuple[object | None, int]:
    """The catalogue at ``path`` (given by ``option``), or the exit code after its errors have
    been written to ``err``; a path that is not a catalogue at all raises :class:`UsageError`."""
    from microcred.checks.validate import validate_paths
    from microcred.io.loader import PathError

    try:
        report = validate_paths(path)
    except PathError as exc:
        raise UsageError(f"{option} {exc}" if option else str(exc)) from None
    if not report.valid:
        err.write(f"{PROG[0]}: the catalogue {path} is invalid:\n")
        for d in report.errors:
            err.write(format_text(d) + "\n")
        return None, EXIT_INVALID
    return report.catalog, EXIT_OK


def compiled_catalog_or_report(
    path: str, err: TextIO, cache_dir: str | None = None, *, use_cache: bool = True, option: str = "--catalog"
) -> tuple[CompiledCatalog | None, int]:
    """The compiled catalogue at ``path``, from the cache of compiled catalogues when it holds
    this catalogue (microcred/run/cache.py), or the exit code after its errors have been written to
    ``err``; a path that is not a catalogue at all raises :class:`UsageError` (all as
    :func:`load_catalog_or_report` does)."""
    from pathlib import Path

    from microcred.io.loader import PathError
    from microcred.model.diagnostics import MicrocredError
    from microcred.run.cache import load_compiled

    try:
        return load_compiled(Path(path), Path(cache_dir) if cache_dir else None, use_cache=use_cache), EXIT_OK
    except PathError as exc:
        raise UsageError(f"{option} {exc}" if option else str(exc)) from None
    except MicrocredError as exc:
        err.write(f"{PROG[0]}: the catalogue {path} is invalid:\n")
        for d in exc.diagnostics:
            err.write(format_text(d) + "\n")
        return None, EXIT_INVALID


def same_terminal(out: TextIO, err: TextIO) -> bool:
    """Whether ``out`` and ``err`` both show on one terminal."""
    import os

    try:
        return (
            out.isatty()
            and err.isatty()
            and os.path.samefile(f"/proc/self/fd/{out.fileno()}", f"/proc/self/fd/{err.fileno()}")
        )
    except (OSError, ValueError, io.UnsupportedOperation):
        return out.isatty() and err.isatty()


# -- learning recognised from elsewhere (evaluate, batch; what to trust: badge verify too) -------------
# docs/recognition.md. The badge machinery is imported only when --evidence (or a trust option) is given.


def _url_file(text: str) -> tuple[str, str]:
    url, sep, path = text.partition("=")
    if not sep or not url or not path:
        raise argparse.ArgumentTypeError(f"{text!r}: write URL=FILE (the URL or DID, and a local copy)")
    return url, path


def evidence_arguments(p: Any) -> None:
    """The options of ``evaluate`` and ``batch`` that bring in a learner's external credentials."""
    g = p.add_argument_group("learning recognised from elsewhere (docs/recognition.md)")
    g.add_argument(
        "--evidence",
        metavar="PATH",
        help="external credentials (OB 3.0 JSON/VC-JWT, baked PNG/SVG, OB 2.0, CLR): a file or folder; "
        "a folder named after a learner's id holds that learner's",
    )
    g.add_argument("--keys", metavar="JWKS", help="issuers' public keys (JWK set, JWK or public PEM) to trust")
    g.add_argument(
        "--resolve",
        action="append",
        type=_url_file,
        metavar="URL=FILE",
        help="a local copy of the document served at URL or DID (issuer did.json, hosted OB 2.0 assertion)",
    )
    g.add_argument(
        "--status-list", action="append", type=_url_file, metavar="URL=FILE", help="a local copy of a status list"
    )
    g.add_argument(
        "--trusted-issuers", action="append", metavar="FILE", help="a trusted-issuer list (DCC registry.json)"
    )
    g.add_argument("--online", action="store_true", help="fetch issuers' controller documents over https")


def evidence_options(args: argparse.Namespace) -> Any:
    """(evidence root, options) from ``evaluate``/``batch`` arguments; None without ``--evidence``.
    Raises :class:`UsageError` for a file that cannot be used."""
    extras = [args.keys, args.resolve, args.status_list, args.trusted_issuers]
    if not args.evidence:
        if any(extras) or args.online:
            raise UsageError(
                "--keys/--resolve/--status-list/--trusted-issuers",
                "these verify external credentials",
                "give the credentials with --evidence PATH",
            )
        return None
    from microcred.badges.evidence import EvidenceOptions

    root = Path(args.evidence)
    if not root.exists():
        raise UsageError(f"--evidence {args.evidence}", "no such file or folder", "check the path")
    keys, documents, registries, lists = trust_inputs(args)
    return root, EvidenceOptions(keys, documents, registries, lists, args.online)


def trust_inputs(args: argparse.Namespace) -> tuple[Any, dict[str, str], list[Any], dict[str, str]]:
    """What a verifier is told to trust, from ``--keys``, ``--resolve``, ``--trusted-issuers`` and
    ``--status-list`` (as ``badge verify`` and ``--evidence`` take them): (public keys or None,
    URL → local document, registries, URL → local status list). Every file is checked first;
    one that cannot be used raises :class:`UsageError`."""
    from microcred.badges.errors import BadgeError
    from microcred.badges.keys import load_public_keys
    from microcred.badges.resolve import load_registry

    lists = dict(args.status_list or [])
    for f in lists.values():
        input_file(f, "--status-list", "status list file")
    documents = dict(args.resolve or [])
    for f in documents.values():
        input_file(f, "--resolve", "document file")
    keys = None
    if args.keys:
        input_file(args.keys, "--keys", "key file")
        try:
            keys = load_public_keys(Path(args.keys))
        except BadgeError as exc:
            raise UsageError(
                f"--keys {args.keys}",
                unprefixed(str(exc), args.keys),
                "give the issuer's public keys (JWK set, JWK or PEM)",
            ) from None
    registries = []
    for f in args.trusted_issuers or []:
        input_file(f, "--trusted-issuers", "registry file")
        try:
            registries.append(load_registry(Path(f)))
        except BadgeError as exc:
            raise UsageError(f"--trusted-issuers {f}", unprefixed(str(exc), f)) from None
    return keys, documents, registries, lists
