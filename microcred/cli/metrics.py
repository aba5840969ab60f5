"""``microcred metrics``: the portfolio's metrics of success over a population, as CSV, JSON,
Parquet, CTDL QData or an HTML dashboard (docs/metrics.md).

``microcred metrics --catalog C INPUT… [--as-of DATE]… [--attributes CSV] [--min-group-size N]
[--window YEARS]… [--renewal-months N] [--jobs N] [--format csv|json|parquet|qdata|html] [-o OUT]``

INPUT is what ``batch`` reads (CSV of attempts, JSONL of transcripts, folders), evaluated on the
fly at each ``--as-of`` date; or JSON-lines results of ``batch`` (told apart by their first line).
Exit 0 done; 1 invalid input (an invalid catalogue, a results line or attribute file that cannot
be read, learners whose transcripts have errors: the others are still counted); 2 usage.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from microcred.cli.util import EXIT_INVALID, EXIT_OK, EXIT_USAGE, UsageError, format_text, parse_date, plural

PROG = "microcred metrics"
#: Output file endings and the format each names.
ENDINGS = {".csv": "csv", ".json": "json", ".parquet": "parquet", ".jsonld": "qdata", ".html": "html", ".htm": "html"}


def _count(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"{text} is below 1; give a whole number from 1 up")
    return n


def _years(text: str) -> int:
    n = _count(text)
    if n > 50:
        raise argparse.ArgumentTypeError(f"{text} years is beyond any record; give 1 to 50")
    return n


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``metrics`` command."""
    m = sub.add_parser(
        "metrics",
        help="metrics of success over a population: enrolments, completion, time to credential, stack-through",
        description="Metrics of success over a population (definitions: docs/metrics.md), by credential, type, "
        "cohort and learner attribute, with small-cell suppression.",
    )
    m.add_argument("--catalog", required=True, metavar="PATH", help="the catalogue (a YAML file or directory)")
    m.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help="transcripts as batch reads them (CSV, JSONL, folders), or JSON-lines results of batch",
    )
    m.add_argument(
        "--as-of",
        type=parse_date,
        action="append",
        metavar="DATE",
        help="evaluate transcripts at this date; repeat for several (default: each transcript's own date)",
    )
    m.add_argument("--attributes", metavar="CSV", help="learner attributes: a CSV with learner_id and one column each")
    m.add_argument(
        "--min-group-size",
        type=_count,
        default=10,
        metavar="N",
        help="suppress figures of fewer than N learners (default 10; 1 shows everything)",
    )
    m.add_argument(
        "--window",
        type=_years,
        action="append",
        metavar="YEARS",
        help="stack-through window in years; repeat for several (default: 2 and 4)",
    )
    m.add_argument(
        "--renewal-months",
        type=_count,
        default=12,
        metavar="N",
        help="an expired credential earned again within N months of expiring is renewed (default 12)",
    )
    m.add_argument(
        "--jobs", type=int, default=1, metavar="N", help="worker processes evaluating transcripts (default 1)"
    )
    m.add_argument(
        "--format",
        choices=("csv", "json", "parquet", "qdata", "html"),
        help="csv, json, parquet (a table, one row a figure), qdata (CTDL JSON-LD), html (a dashboard); "
        "default: from OUT's ending, else csv",
    )
    m.add_argument("-o", "--output", metavar="OUT", help="output file (default, or '-': standard output)")
    m.add_argument("--cache-dir", metavar="DIR", help="compiled-catalogue cache (default ~/.cache/microcred)")
    m.add_argument("--no-cache", action="store_true", help="compile the catalogue afresh, cache nothing")
    m.set_defaults(func=run)


def _kind_of_inputs(inputs: list[Path]) -> str:
    """``results`` when every input is a JSON-lines file of results, ``transcripts`` when none is."""
    from microcred.analysis.metrics import is_results_file
    from microcred.cli.util import input_path

    kinds = set()
    for p in inputs:
        input_path(p, "")
        kinds.add(
            "results"
            if p.is_file() and p.suffix.lower() in (".jsonl", ".ndjson") and is_results_file(p)
            else "transcripts"
        )
    if len(kinds) > 1:
        raise UsageError(
            " ".join(str(p) for p in inputs),
            "mixes results of batch with transcripts",
            "give either results (JSON lines of batch) or transcripts, not both",
        )
    return kinds.pop()


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from microcred.cli.util import check_jobs, check_output, choose_format, load_catalog_or_report

    fmt = choose_format(args.format, args.output, "-o", ENDINGS, "csv")
    inputs = [Path(p) for p in args.inputs]
    kind = _kind_of_inputs(inputs)
    if kind == "results" and args.as_of:
        raise UsageError(
            f"--as-of {args.as_of[0].isoformat()}",
            "results carry the date they were evaluated at",
            "leave out --as-of, or give transcripts to evaluate at that date",
        )
    check_jobs(args.jobs)
    if fmt == "parquet" and args.output in (None, "-"):
        raise UsageError("--format parquet", "Parquet is a binary file, not for a terminal", "give a file with -o")
    if args.output not in (None, "-"):
        extra = [Path(args.attributes)] if args.attributes else []
        check_output(Path(args.output), "-o", inputs=[*inputs, Path(args.catalog), *extra], example=f"metrics.{fmt}")
    if args.attributes:
        from microcred.cli.util import input_file

        input_file(args.attributes, "--attributes", "CSV file")
    if fmt == "parquet":
        _needs("pyarrow", "Parquet output", "parquet")
    elif fmt == "html":
        _needs("matplotlib", "the HTML dashboard", "dashboard")

    catalog, code = load_catalog_or_report(args.catalog, err)
    if catalog is None:
        return code

    from microcred.analysis.metrics import (
        DuplicateLearner,
        MetricsAccumulator,
        MetricsInputError,
        Portfolio,
        read_attributes,
        read_results,
    )

    windows = tuple(sorted(set(args.window))) if args.window else (2, 4)
    portfolio = Portfolio.from_catalog(catalog)
    failed = 0
    try:
        attributes = read_attributes(args.attributes) if args.attributes else None
        acc = MetricsAccumulator(portfolio, attributes, windows=windows, renewal_months=args.renewal_months)
        if kind == "results":
            acc.add_all(read_results(inputs))
        else:
            failed = _evaluate(args, inputs, acc, err)
            if failed < 0:
                return EXIT_INVALID
    except (MetricsInputError, DuplicateLearner) as exc:
        err.write(f"{PROG}: {exc}\n")
        return EXIT_INVALID
    table = acc.table(args.min_group_size)
    if table.unknown_credentials:
        shown = ", ".join(table.unknown_credentials[:5])
        err.write(f"{PROG}: warning: results name credentials the catalogue lacks, left out: {shown}\n")
    code = _write(fmt, table, catalog, args.output, out, err)
    if code != EXIT_OK:
        return code
    err.write(
        f"{plural(acc.learners, 'evaluation')} of learners; {plural(len(table.rows), 'figure')}, "
        f"{sum(r.suppressed for r in table.rows)} suppressed (groups under {args.min_group_size})"
        + (f"; {plural(failed, 'learner')} left out for errors in their transcripts" if failed else "")
        + (f"; written to {args.output}" if args.output not in (None, "-") else "")
        + "\n"
    )
    return EXIT_INVALID if failed else EXIT_OK


def _needs(module: str, what: str, extra: str) -> None:
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise UsageError(
            f"--format {extra if extra != 'dashboard' else 'html'}",
            f"{what} needs {module}",
            f"pip install 'microcred[{extra}]'",
        )


def _evaluate(args: argparse.Namespace, inputs: list[Path], acc: Any, err: TextIO) -> int:
    """Evaluate the transcripts into ``acc``; the number of learners left out for errors (their
    first errors are printed), or -1 when the catalogue is invalid."""
    from microcred.io.loader import PathError
    from microcred.model.diagnostics import MicrocredError
    from microcred.run.batch import BatchSummary
    from microcred.run.metrics import evaluated_results

    summaries: list[BatchSummary] = []
    errors: list[dict[str, Any]] = []
    dates = args.as_of or [None]
    try:
        acc.add_all(
            evaluated_results(
                Path(args.catalog),
                inputs,
                dates,
                jobs=args.jobs,
                cache_dir=Path(args.cache_dir) if args.cache_dir else None,
                use_cache=not args.no_cache,
                summaries=summaries,
                errors=errors,
            )
        )
    except PathError as exc:
        raise UsageError(f"--catalog {exc}") from None
    except MicrocredError as exc:
        err.write(f"{PROG}: the catalogue {args.catalog} is invalid:\n")
        for d in exc.diagnostics:
            err.write(format_text(d) + "\n")
        return -1
    failed = summaries[0].failed if summaries else 0
    for rec in errors[:10]:
        where = ":".join(str(rec.get(k)) for k in ("file", "line", "column") if rec.get(k) is not None)
        err.write(f"{where}: {rec.get('code')} {rec.get('message')}\n")
    if len(errors) > 10:
        err.write(f"… and {len(errors) - 10} more (microcred batch --errors FILE lists them all)\n")
    return failed


def _write(fmt: str, table: Any, catalog: Any, output: str | None, out: TextIO, err: TextIO) -> int:
    from microcred.cli.util import write_output

    if fmt == "parquet":
        from microcred.render.metrics import to_parquet

        assert output is not None
        try:
            to_parquet(table, output)
        except OSError as exc:
            err.write(f"{PROG}: cannot write {output}: {exc.strerror or exc}\n")
            return EXIT_USAGE
        return EXIT_OK
    if fmt == "csv":
        from microcred.render.metrics import to_csv

        text = to_csv(table)
    elif fmt == "json":
        from microcred.render.metrics import to_json

        text = to_json(table)
    elif fmt == "qdata":
        import json

        from microcred.badges.qdata import to_qdata

        text = json.dumps(to_qdata(table, catalog), ensure_ascii=False, indent=1) + "\n"
    else:
        from microcred.render.dashboard import dashboard_html

        name = catalog.info.name if getattr(catalog, "info", None) else "the catalogue"
        text = dashboard_html(table, title=f"Metrics of success: {name}")
    return write_output(PROG, output, text, out, err)
