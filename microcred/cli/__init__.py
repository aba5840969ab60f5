"""The ``microcred`` command line. Only this module prints; the library returns values."""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import io
import json
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, NoReturn, TextIO

from microcred import __version__
from microcred.cli.util import (
    EXIT_INTERRUPTED,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
    did_you_mean,
    plural,
    unknown_id,
)
from microcred.model.diagnostics import Diagnostic

if TYPE_CHECKING:
    from microcred.io.transcript import TranscriptSource
    from microcred.model.result import LearnerResult
    from microcred.rules.compiled import CompiledCatalog

__all__ = ["EXIT_INTERRUPTED", "EXIT_INVALID", "EXIT_OK", "EXIT_USAGE", "UsageError", "main"]

#: Modules that add further subcommands (each defines ``register(subparsers)``).
COMMAND_MODULES: list[str] = [
    "microcred.cli.generate",
    "microcred.cli.badges",
    "microcred.cli.exports",
    "microcred.cli.graph",
    "microcred.cli.diff",
    "microcred.cli.plan",
]


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


def _cmd_validate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from microcred.checks.validate import validate_paths
    from microcred.io.loader import PathError

    diagnostics: list[Diagnostic] = []
    for path in args.paths:
        try:
            report = validate_paths(path)
        except PathError as exc:
            err.write(f"microcred validate: {exc}\n")
            return EXIT_USAGE
        diagnostics.extend(report.diagnostics)
    errors = [d for d in diagnostics if d.is_error]
    warnings = [d for d in diagnostics if not d.is_error]
    if args.format == "json":
        doc = {
            "valid": not errors,
            "errors": [d.to_dict() for d in errors],
            "warnings": [d.to_dict() for d in warnings],
        }
        out.write(json.dumps(doc, ensure_ascii=False) + "\n")
    else:
        if args.format == "github":
            for d in diagnostics:
                out.write(format_github(d) + "\n")
        for d in diagnostics:
            out.write(format_text(d) + "\n")
        summary = f"{plural(len(errors), 'error')}, {plural(len(warnings), 'warning')}"
        err.write(("invalid: " if errors else "valid: ") + summary + "\n")
    return EXIT_INVALID if errors else EXIT_OK


def _parse_date(text: str) -> dt.date:
    """An argparse type: a date, YYYY-MM-DD, in the range every command accepts."""
    from microcred.cli.util import date_arg

    return date_arg(text)


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


def _load_catalog_or_report(path: str, err: TextIO, option: str = "--catalog") -> tuple[object | None, int]:
    """The catalogue at ``path`` (given by ``option``), or the exit code after its errors have
    been written to ``err``; a path that is not a catalogue at all raises :class:`UsageError`."""
    from microcred.checks.validate import validate_paths
    from microcred.io.loader import PathError

    try:
        report = validate_paths(path)
    except PathError as exc:
        raise UsageError(f"{option} {exc}" if option else str(exc)) from None
    if not report.valid:
        err.write(f"{_PROG[0]}: the catalogue {path} is invalid:\n")
        for d in report.errors:
            err.write(format_text(d) + "\n")
        return None, EXIT_INVALID
    return report.catalog, EXIT_OK


def _compiled_catalog_or_report(
    path: str, err: TextIO, cache_dir: str | None = None, *, use_cache: bool = True, option: str = "--catalog"
) -> tuple[CompiledCatalog | None, int]:
    """The compiled catalogue at ``path``, from the cache of compiled catalogues when it holds
    this catalogue (microcred/run/cache.py), or the exit code after its errors have been written to
    ``err``; a path that is not a catalogue at all raises :class:`UsageError` (all as
    :func:`_load_catalog_or_report` does)."""
    from pathlib import Path

    from microcred.io.loader import PathError
    from microcred.model.diagnostics import MicrocredError
    from microcred.run.cache import load_compiled

    try:
        return load_compiled(Path(path), Path(cache_dir) if cache_dir else None, use_cache=use_cache), EXIT_OK
    except PathError as exc:
        raise UsageError(f"{option} {exc}" if option else str(exc)) from None
    except MicrocredError as exc:
        err.write(f"{_PROG[0]}: the catalogue {path} is invalid:\n")
        for d in exc.diagnostics:
            err.write(format_text(d) + "\n")
        return None, EXIT_INVALID


def _same_terminal(out: TextIO, err: TextIO) -> bool:
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


#: Report file endings of ``evaluate`` and the format each names.
EVALUATE_ENDINGS = {".txt": "text", ".json": "json", ".jsonl": "json", ".html": "html", ".htm": "html"}


def _cmd_evaluate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from pathlib import Path

    from microcred.cli.util import check_output, choose_format, input_file, input_path
    from microcred.io.transcript import TranscriptError, read_transcripts
    from microcred.model.diagnostics import MicrocredError
    from microcred.render.report_text import render
    from microcred.rules.evaluate import evaluate

    for t in args.transcripts:
        input_file(t, "", "transcript file")
    input_path(args.catalog, "--catalog", "catalogue")
    if args.output == "-":
        args.output = None
    if args.output:
        check_output(
            args.output,
            "-o",
            inputs=[args.catalog, *args.transcripts],
            read_suffixes=(".yaml", ".yml"),
            example="report.txt",
        )
    args.format = choose_format(args.format, args.output, "-o", EVALUATE_ENDINGS, "text")
    buffer = io.StringIO() if args.output else None
    out = buffer or out
    learners: list[LearnerResult] = []
    compiled, code = _compiled_catalog_or_report(args.catalog, err, args.cache_dir, use_cache=not args.no_cache)
    if compiled is None:
        return code
    for c in args.credential or []:
        if c not in compiled.credentials:
            raise unknown_id("--credential", "credential", c, compiled.credentials)
    status = EXIT_OK
    first = True
    # the text report lists the warnings itself: on one terminal, once is enough
    shown_in_report = args.format == "text" and buffer is None and _same_terminal(out, err)
    for path in args.transcripts:
        for item in read_transcripts(Path(path), path):
            if isinstance(item, TranscriptError):
                status = EXIT_INVALID
                who = f" (learner {item.learner_id})" if item.learner_id else ""
                err.write(f"microcred evaluate: cannot evaluate {path}{who}:\n")
                for d in item.diagnostics:
                    err.write(format_text(d) + "\n")
                continue
            try:
                result = evaluate(
                    compiled, item, args.as_of, include_planned=args.include_planned, credentials=args.credential
                )
            except MicrocredError as exc:
                status = EXIT_INVALID
                err.write(f"microcred evaluate: cannot evaluate {path} (learner {item.transcript.learner.id}):\n")
                for d in exc.diagnostics:
                    err.write(format_text(d) + "\n")
                continue
            if not shown_in_report:
                for w in result.warnings:
                    err.write(format_text(w) + "\n")
            if args.format == "json":
                out.write(json.dumps(result.to_json(), ensure_ascii=False, separators=(",", ":")) + "\n")
            elif args.format == "html":
                learners.append(result)
            else:
                if not first:
                    out.write("\n" + "─" * 72 + "\n\n")
                out.write(render(result, show_all=args.all or bool(args.credential), detail=args.detail))
            first = False
    if args.format == "html":
        from microcred.render.report_html import render_html

        out.write(render_html(learners, compiled.catalog))
    if buffer is not None:
        from microcred.io.atomicfile import write_atomically

        try:
            write_atomically(args.output, buffer.getvalue())
        except OSError as exc:
            err.write(f"microcred evaluate: cannot write {args.output}: {exc.strerror or exc}\n")
            return EXIT_USAGE
    return status


#: Output file endings of ``batch`` and the format each names.
BATCH_ENDINGS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}


def _cmd_batch(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from pathlib import Path

    from microcred.cli.util import EXIT_INTERRUPTED, choose_format, plural
    from microcred.io.loader import PathError
    from microcred.model.diagnostics import MicrocredError
    from microcred.run.batch import BatchOptions, run_batch

    fmt = choose_format(args.format, args.output, "-o", BATCH_ENDINGS, "jsonl")
    show = args.progress == "always" or (args.progress == "auto" and err.isatty())
    bar = None
    opts = BatchOptions(
        catalog=Path(args.catalog),
        inputs=[Path(p) for p in args.inputs],
        output=Path(args.output),
        format=fmt,
        jobs=args.jobs,
        resume=args.resume,
        errors=Path(args.errors) if args.errors else None,
        as_of=args.as_of,
        include_planned=args.include_planned,
        cache_dir=Path(args.cache_dir) if args.cache_dir else None,
        use_cache=not args.no_cache,
    )
    try:
        if show:
            bar = _ProgressBar(err)
            opts.progress = bar.update
        summary = run_batch(opts)
    except PathError as exc:
        err.write(f"microcred batch: --catalog {exc}\n")
        return EXIT_USAGE
    except MicrocredError as exc:
        err.write(f"microcred batch: the catalogue {args.catalog} is invalid:\n")
        for d in exc.diagnostics:
            err.write(format_text(d) + "\n")
        return EXIT_INVALID
    except KeyboardInterrupt:
        if bar:
            bar.close()
            bar = None
        err.write("microcred batch: interrupted — rerun with --resume to continue where it stopped\n")
        return EXIT_INTERRUPTED
    finally:
        if bar:
            bar.close()
    rate = summary.learners / summary.seconds if summary.seconds > 0 else 0.0
    err.write(
        f"{plural(summary.learners, 'learner')} in {summary.seconds:.1f} s ({rate:.0f}/s)"
        + (f", {summary.skipped} done before (resumed)" if summary.skipped else "")
        + f"; {summary.failed} with errors"
        + (f" (see {summary.errors})" if summary.failed else "")
        + f"; results in {summary.output}\n"
    )
    return EXIT_INVALID if summary.failed else EXIT_OK


class _ProgressBar:
    """A live count on a terminal (rich, on stderr); nothing when output is redirected."""

    def __init__(self, err: TextIO):
        from rich.console import Console
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.completed} learners"),
            TextColumn("{task.fields[failed]} with errors"),
            TimeElapsedColumn(),
            console=Console(file=err),
            transient=True,
        )
        self.task = self.progress.add_task("batch", total=None, failed=0)
        self.progress.start()
        self.last = 0.0

    def update(self, done: int, failed: int) -> None:
        import time

        now = time.monotonic()
        if now - self.last > 0.1:
            self.progress.update(self.task, completed=done, failed=failed)
            self.last = now

    def close(self) -> None:
        self.progress.stop()


def _cmd_schema(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from microcred.model.schema import catalogue_schema

    out.write(json.dumps(catalogue_schema(), indent=2) + "\n")
    return EXIT_OK


class _Parser(argparse.ArgumentParser):
    """argparse, with a "did you mean" for a mistyped command, choice or option."""

    def error(self, message: str) -> NoReturn:
        import re

        choice = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if choice:
            options = re.findall(r"'([^']*)'", choice.group(2)) or [c.strip() for c in choice.group(2).split(",")]
            message += did_you_mean(choice.group(1), options)
        unknown = re.search(r"unrecognized arguments: (.*)", message)
        if unknown:
            flags = [s for a in self._actions for s in a.option_strings]
            for sub in self._subparsers._group_actions if self._subparsers else []:
                for p in getattr(sub, "choices", {}).values():
                    flags += [s for a in p._actions for s in a.option_strings]
            for word in unknown.group(1).split():
                if word.startswith("--"):
                    message += did_you_mean(word.split("=", 1)[0], flags)
                    break
        # the usage, then one line in the style of every other error: what is wrong, where to read more
        what = message.removeprefix("argument ")
        self.exit(EXIT_USAGE, f"{self.format_usage()}{self.prog}: {what} (see {self.prog} --help)\n")


#: The commands defined in this module: a command line that names one of them first (or asks
#: only for --version) is parsed without importing the modules of the others.
CORE_COMMANDS = frozenset({"validate", "evaluate", "batch", "schema"})


def build_parser(everything: bool = True) -> argparse.ArgumentParser:
    """The ``microcred`` parser; with ``everything=False``, without the subcommands of
    :data:`COMMAND_MODULES` (enough to parse a command line of a :data:`CORE_COMMANDS`)."""
    parser = _Parser(
        prog="microcred",
        description="Validate microcredential catalogues and evaluate learners' transcripts.",
    )
    parser.add_argument("--version", action="version", version=f"microcred {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    v = sub.add_parser("validate", help="check catalogues: every error with file, line and column")
    v.add_argument("paths", nargs="+", metavar="PATH", help="a catalogue: a YAML file or a directory")
    v.add_argument(
        "--format",
        choices=("text", "json", "github"),
        default="text",
        help="text: file:line:col: CODE message (default); json: one document; github: annotations, then text",
    )
    v.set_defaults(func=_cmd_validate)

    e = sub.add_parser("evaluate", help="evaluate transcripts: statuses, dates, progress, what is missing")
    e.add_argument("--catalog", required=True, metavar="PATH", help="the catalogue (a YAML file or directory)")
    e.add_argument("transcripts", nargs="+", metavar="TRANSCRIPT", help="YAML/JSON (one learner) or CSV (many)")
    e.add_argument(
        "--format",
        choices=("text", "json", "html"),
        help="text: the advisor's report; json: one object a learner a line; html: one page "
        "(default: from the -o file's ending, else text)",
    )
    e.add_argument(
        "-o", "--output", metavar="FILE", help="write the report to FILE (atomically), not stdout ('-': stdout)"
    )
    e.add_argument(
        "--as-of", type=_parse_date, metavar="DATE", help="evaluation date (default: the transcript's, else today)"
    )
    e.add_argument("--include-planned", action="store_true", help="what-if: count planned attempts as in progress")
    e.add_argument("--credential", action="append", metavar="ID", help="evaluate only this credential (repeatable)")
    e.add_argument("--all", action="store_true", help="text: also list credentials not started")
    e.add_argument(
        "--detail",
        action="store_true",
        help="text: below the summary, each credential's requirement tree, what counted and where it leads",
    )
    e.add_argument("--cache-dir", metavar="DIR", help="compiled-catalogue cache (default ~/.cache/microcred)")
    e.add_argument("--no-cache", action="store_true", help="read, validate and compile the catalogue afresh")
    e.set_defaults(func=_cmd_evaluate)

    b = sub.add_parser("batch", help="evaluate a whole student body: streaming, resumable, parallel")
    b.add_argument("--catalog", required=True, metavar="PATH", help="the catalogue (a YAML file or directory)")
    b.add_argument("inputs", nargs="+", metavar="INPUT", help="CSV of attempts, JSONL of transcripts, or a folder")
    b.add_argument(
        "-o", "--output", required=True, metavar="OUT", help="the results file (.jsonl or .csv), written atomically"
    )
    b.add_argument(
        "--format",
        choices=("jsonl", "csv"),
        help="jsonl: one evaluation a line; csv: one row a learner and credential (default: from OUT's ending, "
        "else jsonl)",
    )
    b.add_argument(
        "--jobs", type=int, default=1, metavar="N", help="worker processes, 1 to four for each core (default 1)"
    )
    b.add_argument("--resume", action="store_true", help="continue an interrupted run")
    b.add_argument("--errors", metavar="FILE", help="where bad records go (default OUT.errors.jsonl)")
    b.add_argument(
        "--as-of", type=_parse_date, metavar="DATE", help="evaluation date (default: each transcript's, else today)"
    )
    b.add_argument("--include-planned", action="store_true", help="what-if: count planned attempts as in progress")
    b.add_argument("--cache-dir", metavar="DIR", help="compiled-catalogue cache (default ~/.cache/microcred)")
    b.add_argument("--no-cache", action="store_true", help="compile the catalogue afresh, cache nothing")
    b.add_argument(
        "--progress",
        choices=("auto", "always", "never"),
        default="auto",
        help="a live count on stderr: auto (on a terminal), always, never",
    )
    b.set_defaults(func=_cmd_batch)

    s = sub.add_parser("schema", help="print the JSON Schema of catalogue files (for editors)")
    s.set_defaults(func=_cmd_schema)

    for name in COMMAND_MODULES if everything else ():
        # each module adds its subcommand(s): register(subparsers); the handler is called as
        # func(args, out, err) -> exit code, like the commands above
        importlib.import_module(name).register(sub)
    return parser


#: The name of the command running, for messages of the helpers the commands share.
_PROG = ["microcred"]


def _prog(args: argparse.Namespace) -> str:
    """``microcred COMMAND [ACTION]``: the name a command's messages begin with."""
    words = ["microcred", str(getattr(args, "command", "") or "")]
    for attr in ("keys_command", "badge_command", "export_format"):
        if getattr(args, attr, None):
            words.append(str(getattr(args, attr)))
    return " ".join(w for w in words if w)


def parse_args(argv: list[str]) -> argparse.Namespace:
    """``argv`` parsed as the whole parser parses it. A command line of a :data:`CORE_COMMANDS`
    (or ``--version`` alone) is parsed first without the other commands' modules; should that
    fail, the whole parser parses it again and reports the error (its hints know every
    command's options)."""
    if argv and (argv[0] in CORE_COMMANDS or argv == ["--version"]):
        import contextlib

        shown = io.StringIO()
        try:
            with contextlib.redirect_stdout(shown), contextlib.redirect_stderr(shown):
                return build_parser(everything=False).parse_args(argv)
        except SystemExit as exc:
            if not exc.code:  # --help or --version: printed on stdout
                sys.stdout.write(shown.getvalue())
                raise
    return build_parser().parse_args(argv)


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        args = parse_args(sys.argv[1:] if argv is None else list(argv))
    except SystemExit as exc:  # argparse: --help, --version, or a usage error
        return int(exc.code or 0) if isinstance(exc.code, int) else EXIT_USAGE
    prog = _PROG[0] = _prog(args)
    try:
        code: int = args.func(args, out, err)
        return code
    except UsageError as exc:
        err.write(f"{prog}: {exc}\n")
        return EXIT_USAGE
    except KeyboardInterrupt as exc:
        err.write(f"{prog}: {exc or 'interrupted'}\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # no traceback reaches a user
        err.write(
            f"{prog}: internal error ({type(exc).__name__}: {exc}). This is a bug in microcred; "
            "please report it with the input that caused it.\n"
        )
        return EXIT_USAGE


def entry() -> None:
    # microcred's command line has no use for pydantic plugins, and looking for them scans the
    # metadata of every installed package on each run; PYDANTIC_DISABLE_PLUGINS= (empty) brings
    # them back
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    sys.exit(main())
