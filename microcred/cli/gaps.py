"""``microcred gaps``: a learner's skill gap to an occupation or a job's skill list, and the
cheapest courses that close it; with ``--coverage``, how much of each occupation's needs the
catalogue teaches.

Exit codes: 0 done, 1 an invalid catalogue or transcript (the other learners are still
reported), 2 usage error (a missing file, an unknown occupation or skill, a catalogue without
frameworks), 3 the search could not finish for some learner (it ran out of time: the courses
given close the gap but are not proven the cheapest, or none were found; or the evaluator
rejected too many sets).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path
from typing import Any, TextIO

from microcred.cli.util import EXIT_INVALID, EXIT_OK, UsageError

EXIT_UNFINISHED = 3


def register(sub: Any) -> None:
    """Add ``microcred gaps`` to the CLI's subparsers."""
    from microcred.cli.util import parse_date

    g = sub.add_parser(
        "gaps",
        help="a learner's skill gap to an occupation or skill list, and the cheapest courses that close it",
        description=(
            "Which competencies of an occupation (its URI or code, e.g. 15-1252.00) or of a job's skill list "
            "the learner has, which are missing, and the fewest credits of further courses (and credentials) "
            "that close what can be closed, checked by the evaluator; or, with --coverage and no transcript, "
            "which occupations' needs the catalogue's courses and credentials teach. See docs/competencies.md."
        ),
    )
    g.add_argument("--catalog", required=True, metavar="PATH", help="the catalogue (a YAML file or directory)")
    g.add_argument("transcript", nargs="?", metavar="TRANSCRIPT", help="YAML/JSON (one learner) or CSV/JSONL (many)")
    which = g.add_mutually_exclusive_group(required=True)
    which.add_argument("--occupation", metavar="URI|CODE", help="the target occupation")
    which.add_argument(
        "--skills", metavar="LIST", help="the target skills, comma-separated URIs or framework:code, each with @LEVEL"
    )
    which.add_argument("--coverage", action="store_true", help="the catalogue's coverage of every occupation")
    g.add_argument("--as-of", type=parse_date, metavar="DATE", help="evaluation date (default: the transcript's)")
    g.add_argument("--format", choices=("text", "json"), default="text", help="text (default) or json")
    g.set_defaults(func=_cmd_gaps)


def _cmd_gaps(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from microcred.analysis.gaps import (
        TIME_LIMIT_S,
        GapError,
        GapUnconfirmed,
        coverage,
        gaps,
        occupation_target,
        skills_target,
    )
    from microcred.cli.util import format_text, input_file, load_catalog_or_report
    from microcred.io.transcript import TranscriptError, read_transcripts
    from microcred.model.diagnostics import MicrocredError
    from microcred.rules.evaluate import compile_catalog

    if args.coverage and args.transcript:
        raise UsageError("TRANSCRIPT", "--coverage describes the catalogue, not a learner", "leave out TRANSCRIPT")
    if not args.coverage and not args.transcript:
        raise UsageError("TRANSCRIPT", "missing", "give a TRANSCRIPT with --occupation or --skills, or use --coverage")
    if args.transcript:
        input_file(args.transcript, "", "transcript file")
    catalog, code = load_catalog_or_report(args.catalog, err)
    if catalog is None:
        return code
    cat: Any = catalog
    if not cat.frameworks:
        raise UsageError(
            "--catalog",
            "the catalogue has no competency frameworks",
            "add a `frameworks:` section (docs/competencies.md)",
        )
    if args.coverage:
        rows = coverage(cat)
        if args.format == "json":
            out.write(json.dumps([r.to_json() for r in rows], ensure_ascii=False, separators=(",", ":")) + "\n")
        else:
            out.write(render_coverage(rows, cat))
        return EXIT_OK
    try:
        if args.occupation:
            target = occupation_target(cat, args.occupation)
        else:
            target = skills_target(cat, [s.strip() for s in args.skills.split(",") if s.strip()])
    except GapError as exc:
        raise UsageError("--occupation" if args.occupation else "--skills", str(exc)) from None
    cc = compile_catalog(cat)
    status = EXIT_OK
    for item in read_transcripts(Path(args.transcript), args.transcript):
        if isinstance(item, TranscriptError):
            status = max(status, EXIT_INVALID)
            err.write(f"microcred gaps: cannot read {args.transcript}:\n")
            for d in item.diagnostics:
                err.write(format_text(d) + "\n")
            continue
        day = args.as_of or item.transcript.as_of or dt.date.today()
        try:
            report = gaps(cc, item, target, day)
        except MicrocredError as exc:
            status = max(status, EXIT_INVALID)
            err.write(f"microcred gaps: cannot evaluate learner {item.transcript.learner.id}:\n")
            for d in exc.diagnostics:
                err.write(format_text(d) + "\n")
            continue
        except (TimeoutError, GapUnconfirmed) as exc:
            status = max(status, EXIT_UNFINISHED)
            err.write(f"microcred gaps: learner {item.transcript.learner.id}: {exc}\n")
            continue
        if report.closing is not None and not report.closing.optimal:
            status = max(status, EXIT_UNFINISHED)
            err.write(
                f"microcred gaps: learner {item.transcript.learner.id}: the search ran out of time (a solve may take "
                f"{TIME_LIMIT_S:g} s), so the courses given close the gap but a cheaper set may exist\n"
            )
        if args.format == "json":
            out.write(json.dumps(report.to_json(), ensure_ascii=False, separators=(",", ":")) + "\n")
        else:
            out.write(render_gaps(report))
    return status


def _name(cat: Any, uri: str) -> str:
    comp = cat.competencies.get(uri)
    return f"{comp.label} ({comp.framework})" if comp else uri


def _level(level: int | None) -> str:
    return "" if level is None else f" at level {level}"


def render_gaps(report: Any) -> str:
    cat = report.catalog
    lines = [f"{report.learner_id} — {report.target.title}, as of {report.as_of.isoformat()}"]
    n = len(report.have) + len(report.missing)
    lines.append(f"Has {len(report.have)} of the {n} competencies needed.")
    for g in report.have:
        lines.append(f"  ✓ {_name(cat, g.uri)}{_level(g.required)}")
    for g in report.missing:
        held = "" if g.held is None else f" (holds level {g.held})"
        via = ", ".join(g.closers) if g.closers else "nothing in the catalogue teaches it"
        lines.append(f"  ✗ {_name(cat, g.uri)}{_level(g.required)}{held}: {via}")
    c = report.closing
    if c is not None:
        credits = f"{c.credits:g} credit{'' if c.credits == 1 else 's'}"
        lines.append(f"Cheapest way to close the gap: {credits}: {', '.join(c.courses)}")
        if c.credentials:
            lines.append(f"  and with them: {', '.join(c.credentials)}")
        if not c.optimal:
            lines.append("  (not proven the cheapest: the search ran out of time)")
        for g in report.missing:
            if g.closable:
                lines.append(f"  closes {_name(cat, g.uri)}{_level(g.required)}: {', '.join(g.closed_with)}")
    elif not report.missing:
        lines.append("Nothing is missing.")
    if report.uncovered:
        lines.append(
            f"{len(report.uncovered)} competenc{'y' if len(report.uncovered) == 1 else 'ies'} no course teaches."
        )
    for g in report.unclosable:
        lines.append(f"Cannot be closed: {_name(cat, g.uri)}{_level(g.required)}: {g.reason}")
    return "\n".join(lines) + "\n"


def render_coverage(rows: list[Any], cat: Any) -> str:
    if not rows:
        return "No occupation of the catalogue's frameworks lists the competencies it needs.\n"
    lines = []
    for r in rows:
        total = len(r.covered) + len(r.uncovered)
        code = f" ({r.occupation.code})" if r.occupation.code else ""
        lines.append(f"{r.occupation.title}{code}: {len(r.covered)} of {total} needs taught")
        lines += [f"  ✗ {_name(cat, u)}" for u in r.uncovered]
    return "\n".join(lines) + "\n"
