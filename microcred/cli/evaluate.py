"""``microcred evaluate``: learners' transcripts evaluated against a catalogue, as the advisor's
report, JSON lines or one HTML page."""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
from typing import TYPE_CHECKING, TextIO

from microcred.cli.util import (
    EXIT_INVALID,
    EXIT_OK,
    EXIT_USAGE,
    compiled_catalog_or_report,
    format_text,
    parse_date,
    same_terminal,
    unknown_id,
)

if TYPE_CHECKING:
    from microcred.model.result import LearnerResult


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``evaluate`` command."""
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
        "--as-of", type=parse_date, metavar="DATE", help="evaluation date (default: the transcript's, else today)"
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
    from microcred.cli.util import evidence_arguments

    evidence_arguments(e)
    e.set_defaults(func=run)


#: Report file endings of ``evaluate`` and the format each names.
EVALUATE_ENDINGS = {".txt": "text", ".json": "json", ".jsonl": "json", ".html": "html", ".htm": "html"}


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
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
    compiled, code = compiled_catalog_or_report(args.catalog, err, args.cache_dir, use_cache=not args.no_cache)
    if compiled is None:
        return code
    for c in args.credential or []:
        if c not in compiled.credentials:
            raise unknown_id("--credential", "credential", c, compiled.credentials)
    from microcred.cli.util import evidence_options

    evidence = evidence_options(args)
    status = EXIT_OK
    first = True
    # the text report lists the warnings itself: on one terminal, once is enough
    shown_in_report = args.format == "text" and buffer is None and same_terminal(out, err)
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
                held = None
                if evidence is not None:
                    from microcred.badges.evidence import for_learner

                    day = args.as_of or item.transcript.as_of or dt.date.today()
                    held = for_learner(evidence[0], item.transcript.learner.id, day, evidence[1])
                result = evaluate(
                    compiled,
                    item,
                    args.as_of,
                    include_planned=args.include_planned,
                    credentials=args.credential,
                    evidence=held,
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
