"""``microcred generate``: a synthetic learner population for a catalogue, as CSV or JSON Lines
(see docs/scale.md; the generator itself is :mod:`microcred.run.generate`)."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any, TextIO


def _cmd_generate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from microcred.cli.util import (
        EXIT_INVALID,
        EXIT_OK,
        PROG,
        UsageError,
        check_output,
        choose_format,
        format_text,
        load_catalog_or_report,
        plural,
    )
    from microcred.io.programmes import programmes_file
    from microcred.model.catalog import Catalog
    from microcred.model.diagnostics import MicrocredError
    from microcred.run.generate import catalogue_programmes, generate_population, write_csv, write_jsonl

    to_file = args.output not in (None, "-")
    fmt = choose_format(args.format, args.output if to_file else None, "-o", {".csv": "csv", ".jsonl": "jsonl"}, "csv")
    if to_file:
        check_output(
            args.output, "-o", inputs=[args.catalog], read_suffixes=(".yaml", ".yml"), example=f"learners.{fmt}"
        )
    catalog, code = load_catalog_or_report(args.catalog, err)
    if catalog is None:
        return code
    assert isinstance(catalog, Catalog)
    try:
        programmes = catalogue_programmes(catalog)
    except MicrocredError as exc:
        err.write(f"{PROG[0]}: the programmes file {programmes_file(catalog)} is invalid:\n")
        for d in exc.diagnostics:
            err.write(format_text(d) + "\n")
        return EXIT_INVALID
    as_of = args.as_of or dt.date.today()
    population = generate_population(catalog, args.learners, args.seed, as_of, programmes=programmes)
    stream: TextIO
    if to_file:
        try:
            stream = open(args.output, "w", encoding="utf-8", newline="")  # noqa: SIM115
        except OSError as exc:
            raise UsageError(f"-o {args.output}", f"cannot write it: {exc.strerror or exc}") from None
    else:
        stream = out
    try:
        stats = write_jsonl(population, stream) if fmt == "jsonl" else write_csv(population, stream)
    finally:
        if stream is not out:
            stream.close()
    note = ""
    if stats.awards_dropped:
        dropped = plural(stats.awards_dropped, "awarded credential")
        note = f"; {dropped} left out (CSV cannot carry them: use --format jsonl)"
    err.write(
        f"generated {plural(stats.learners, 'learner')}, {plural(stats.attempts, 'attempt')} as of {as_of.isoformat()}"
        f"{note}\n"
    )
    return EXIT_OK


def register(sub: Any) -> None:
    """Add ``microcred generate`` to the CLI's subparsers."""
    from microcred.cli.util import nonneg_int, parse_date

    g = sub.add_parser(
        "generate",
        help="generate a synthetic learner population (CSV or JSON Lines) for demos and load tests",
        description=(
            "Generate realistic transcripts for a catalogue, streaming (constant memory). The "
            "output is the same for the same catalogue, --seed, --learners and --as-of. Learners "
            "follow the programmes of the catalogue's .programmes.yaml when it has one (docs/scale.md), "
            "else paths drawn from its credentials. CSV cannot carry awarded credentials; --format "
            "jsonl keeps them."
        ),
    )
    g.add_argument("--catalog", required=True, metavar="PATH", help="the catalogue (a YAML file or directory)")
    g.add_argument("--learners", required=True, type=nonneg_int, metavar="N", help="how many learners")
    g.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    g.add_argument("--as-of", type=parse_date, metavar="DATE", help="the date of the records (default: today)")
    g.add_argument(
        "--format",
        choices=("csv", "jsonl"),
        help="csv: one attempt a row; jsonl: one transcript a line (default: from the -o file's ending, else csv)",
    )
    g.add_argument("-o", "--output", metavar="OUT", help="output file (default, or '-': standard output)")
    g.set_defaults(func=_cmd_generate)
