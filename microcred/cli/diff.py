"""``microcred diff OLD NEW``: what a new version of a catalogue changes, in its rules and,
given transcripts, for each learner (see docs/diff.md)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from microcred.analysis.diff import ImpactSummary, LearnerError
    from microcred.model.catalog import Catalog


def _jobs(text: str) -> int:
    """An argparse type: a number of worker processes, 1 to four for each core."""
    from microcred.cli.util import UsageError, check_jobs

    try:
        return check_jobs(int(text), "")
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    except UsageError as exc:
        raise argparse.ArgumentTypeError(f"{exc.what}; {exc.fix}") from None


def _error_lines(r: LearnerError) -> list[str]:
    from microcred.cli.util import format_text

    who = f"learner {r.learner_id}" if r.learner_id else "a record"
    against = f" against the {r.catalogue} catalogue" if r.catalogue else ""
    return [f"microcred diff: cannot compare {who}{against}:"] + [format_text(d) for d in r.diagnostics]


def _error_json(r: LearnerError) -> dict[str, Any]:
    return {
        "learner": r.learner_id,
        "catalogue": r.catalogue,
        "diagnostics": [d.to_dict() for d in r.diagnostics],
    }


def _cmd_diff(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import shutil
    import tempfile

    from microcred.analysis.diff import ImpactSummary, diff_catalogs, plan_impact, render_diff, to_json_line
    from microcred.cli.util import EXIT_INVALID, EXIT_OK, EXIT_USAGE, load_catalog_or_report
    from microcred.model.catalog import Catalog
    from microcred.run.files import input_files, units
    from microcred.run.impact import run_impact
    from microcred.run.options import BatchUsageError

    if args.transcripts:
        try:
            input_files([Path(p) for p in args.transcripts])
        except BatchUsageError as exc:
            err.write(f"microcred diff: {exc}\n")
            return EXIT_USAGE
    loaded: list[Catalog] = []
    worst = EXIT_OK
    for path in (args.old, args.new):
        catalog, code = load_catalog_or_report(path, err, "")
        if catalog is None:
            worst = max(worst, code)
        else:
            assert isinstance(catalog, Catalog)
            loaded.append(catalog)
    if worst != EXIT_OK:
        return worst
    old, new = loaded
    diff = diff_catalogs(old, new)
    if not args.transcripts:
        if args.format == "json":
            out.write(to_json_line({"diff": diff.to_json()}) + "\n")
        else:
            out.write(render_diff(diff))
        return EXIT_OK

    plan = plan_impact(old, new, args.as_of, include_planned=args.include_planned)
    summary = ImpactSummary()
    errors: list[LearnerError] = []
    workdir = Path(tempfile.mkdtemp(prefix="microcred-diff-"))
    try:
        items = units([Path(p) for p in args.transcripts], workdir)
        results = run_impact(plan, items, jobs=args.jobs)
        if args.format == "json":
            _stream_json(out, err, diff.to_json(), plan.compared, results, summary, errors, args)
        else:
            _stream_text(out, err, render_diff(diff), results, summary, args)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return EXIT_INVALID if summary.errors else EXIT_OK


def _stream_json(
    out: TextIO,
    err: TextIO,
    diff: dict[str, Any],
    compared: list[str],
    results: Any,
    summary: ImpactSummary,
    errors: list[LearnerError],
    args: argparse.Namespace,
) -> None:
    """One JSON document, written as the learners come: memory does not grow with them."""
    from microcred.analysis.diff import LearnerError, to_json_line

    head = {
        "as_of": args.as_of.isoformat() if args.as_of else None,
        "compared": compared,
    }
    out.write('{"diff":' + to_json_line(diff) + ',"impact":' + to_json_line(head)[:-1] + ',"learners":[')
    first = True
    for r in results:
        summary.add(r)
        if isinstance(r, LearnerError):
            errors.append(r)
            err.write("\n".join(_error_lines(r)) + "\n")
        elif r.changes:
            out.write(("" if first else ",") + "\n" + to_json_line(r.to_json()))
            first = False
    tail = {"summary": summary.to_json(), "errors": [_error_json(e) for e in errors]}
    out.write("]," + to_json_line(tail)[1:] + "}\n")


def _stream_text(
    out: TextIO, err: TextIO, diff_text: str, results: Any, summary: ImpactSummary, args: argparse.Namespace
) -> None:
    """The diff, the summary of the impact, then the details (kept in a temporary file while
    the learners are read, so the summary can come first)."""
    import tempfile

    from microcred.analysis.diff import LearnerChange, LearnerError

    with tempfile.TemporaryFile("w+", encoding="utf-8") as details:
        for r in results:
            summary.add(r)
            if isinstance(r, LearnerError):
                err.write("\n".join(_error_lines(r)) + "\n")
            elif isinstance(r, LearnerChange) and r.changes:
                details.write("\n".join(r.lines()) + "\n")
        out.write(diff_text)
        out.write("\n")
        out.write(summary.render(args.as_of))
        if summary.changed:
            out.write("\nChanges, by learner:\n")
            details.seek(0)
            for line in details:
                out.write("  " + line)


def register(sub: Any) -> None:
    """Add ``microcred diff`` to the CLI's subparsers."""
    from microcred.cli.util import parse_date

    d = sub.add_parser(
        "diff",
        help="compare two versions of a catalogue: rules that changed meaning, and the learners affected",
        description=(
            "Compare two versions of a catalogue: credentials added and removed, metadata "
            "changed, and for each credential whether its rule changed meaning (with a learner "
            "who meets one version but not the other). Given transcripts, evaluate them against "
            "both versions and list every learner whose status, earned_on or expires_on changes. "
            "Exit 0 when done, whatever the differences; 1 when a catalogue is invalid or a "
            "learner could not be compared; 2 for a usage error."
        ),
    )
    d.add_argument("old", metavar="OLD", help="the old catalogue (a YAML file or directory)")
    d.add_argument("new", metavar="NEW", help="the new catalogue (a YAML file or directory)")
    d.add_argument(
        "--transcripts",
        nargs="+",
        action="extend",
        metavar="FILE_OR_DIR",
        help="learners to compare: CSV of attempts, JSONL, YAML/JSON transcripts, or folders of them",
    )
    d.add_argument(
        "--as-of", type=parse_date, metavar="DATE", help="evaluation date (default: each transcript's, else today)"
    )
    d.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text: the committee's report (default); json: one document with everything",
    )
    d.add_argument("--include-planned", action="store_true", help="what-if: count planned attempts as in progress")
    d.add_argument(
        "--jobs", type=_jobs, default=1, metavar="N", help="worker processes, 1 to four for each core (default 1)"
    )
    d.set_defaults(func=_cmd_diff)
