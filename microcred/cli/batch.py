"""``microcred batch``: a whole student body evaluated, streaming, resumable and parallel, to JSON lines or CSV."""

from __future__ import annotations

import argparse
from typing import TextIO

from microcred.cli.util import EXIT_INTERRUPTED, EXIT_INVALID, EXIT_OK, EXIT_USAGE, format_text, parse_date, plural


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``batch`` command."""
    b = sub.add_parser("batch", help="evaluate a whole student body: streaming, resumable, parallel")
    b.add_argument("--catalog", required=True, metavar="PATH", help="the catalogue (a YAML file or directory)")
    b.add_argument(
        "inputs",
        nargs="*",
        metavar="INPUT",
        help="CSV of attempts, JSONL of transcripts, Parquet of attempts, or a folder",
    )
    b.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUT",
        help="the results: a file (.jsonl, .csv, .parquet), written atomically, or a database "
        "(sqlite:///FILE, FILE.db, postgresql://…; docs/database.md)",
    )
    b.add_argument("--db", metavar="URL", help="read the learners from this database (sqlite:///FILE, postgresql://…)")
    b.add_argument("--attempts", metavar="TABLE|QUERY", help="the attempts: a table or a SELECT (default: attempts)")
    b.add_argument("--awards", metavar="TABLE|QUERY", help="awarded credentials: a table or a SELECT (or a .parquet)")
    b.add_argument("--learners", metavar="TABLE|QUERY", help="learners' names and emails (or a .parquet)")
    b.add_argument(
        "--incremental",
        action="store_true",
        help="evaluate only learners whose records changed or whose date came (database output)",
    )
    b.add_argument(
        "--format",
        choices=("jsonl", "csv", "parquet"),
        help="jsonl: one evaluation a line; csv: one row a learner and credential (default: from OUT's ending, "
        "else jsonl)",
    )
    b.add_argument(
        "--jobs", type=int, default=1, metavar="N", help="worker processes, 1 to four for each core (default 1)"
    )
    b.add_argument("--resume", action="store_true", help="continue an interrupted run")
    b.add_argument("--errors", metavar="FILE", help="where bad records go (default OUT.errors.jsonl)")
    b.add_argument(
        "--as-of", type=parse_date, metavar="DATE", help="evaluation date (default: each transcript's, else today)"
    )
    b.add_argument("--include-planned", action="store_true", help="what-if: count planned attempts as in progress")
    b.add_argument("--cache-dir", metavar="DIR", help="compiled-catalogue cache (default ~/.cache/microcred)")
    b.add_argument("--no-cache", action="store_true", help="compile the catalogue afresh, cache nothing")
    from microcred.cli.util import evidence_arguments

    evidence_arguments(b)
    b.add_argument(
        "--progress",
        choices=("auto", "always", "never"),
        default="auto",
        help="a live count on stderr: auto (on a terminal), always, never",
    )
    b.set_defaults(func=run)


#: Output file endings of ``batch`` and the format each names.
BATCH_ENDINGS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from pathlib import Path

    from microcred.cli.util import choose_format, evidence_options
    from microcred.io.loader import PathError
    from microcred.io.sql import is_database_url, redact
    from microcred.model.diagnostics import MicrocredError
    from microcred.model.usage import UsageError
    from microcred.run.batch import BatchOptions, run_batch

    sink = args.output if is_database_url(args.output) else None
    if sink is not None:
        if args.format is not None:
            raise UsageError(f"--format {args.format}", "a database output has its own tables", "leave --format out")
        fmt = "db"
    else:
        fmt = choose_format(args.format, args.output, "-o", BATCH_ENDINGS, "jsonl")
    if not args.inputs and args.db is None:
        raise UsageError("INPUT", "no input given", "name CSV, JSONL, Parquet files or folders, or a database (--db)")
    show = args.progress == "always" or (args.progress == "auto" and err.isatty())
    bar = None
    opts = BatchOptions(
        catalog=Path(args.catalog),
        inputs=[Path(p) for p in args.inputs],
        output=Path(args.output) if sink is None else Path("microcred-results"),
        db=args.db,
        attempts=args.attempts,
        awards=args.awards,
        learners=args.learners,
        sink=sink,
        incremental=args.incremental,
        format=fmt,
        jobs=args.jobs,
        resume=args.resume,
        errors=Path(args.errors) if args.errors else None,
        as_of=args.as_of,
        include_planned=args.include_planned,
        cache_dir=Path(args.cache_dir) if args.cache_dir else None,
        use_cache=not args.no_cache,
        evidence=evidence_options(args),
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
        + (f", {summary.unchanged} unchanged (not evaluated again)" if args.incremental else "")
        + (f", {summary.removed} no longer in the inputs (removed)" if summary.removed else "")
        + f"; {summary.failed} with errors"
        + (f" (see {summary.errors or 'the table microcred_errors'})" if summary.failed else "")
        + f"; results in {summary.output if sink is None else 'the microcred_results table of ' + redact(sink)}\n"
    )
    for w in summary.warnings:
        err.write(f"microcred batch: {w}\n")
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
