"""``microcred graph``: a picture of how the catalogue's credentials stack.

``microcred graph --catalog C [--transcript T [--learner ID] [--as-of DATE]]
[--format dot|graphml|mermaid|svg] [-o OUT] [--courses]``

Exit codes as for ``evaluate``: 0 done, 1 invalid input (an invalid catalogue or
transcript), 2 usage (a missing file, a bad option, an output that cannot be written).
"""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from microcred.cli.util import (
    EXIT_INVALID,
    EXIT_USAGE,
    evaluate_learner,
    load_catalog_or_report,
    one_learner,
    parse_date,
    write_output,
)

PROG = "microcred graph"
#: file name endings that choose a format when --format is not given
SUFFIXES = {".dot": "dot", ".gv": "dot", ".graphml": "graphml", ".mmd": "mermaid", ".mermaid": "mermaid", ".svg": "svg"}


def _format(args: argparse.Namespace) -> str:
    """--format, else the one the -o file's ending names, else svg; an ending that names
    another format (``-o x.png``) is refused."""
    from microcred.cli.util import choose_format

    return choose_format(args.format, args.output, "-o", SUFFIXES, "svg")


def _learner_result(args: argparse.Namespace, compiled: Any, err: TextIO) -> tuple[Any, int]:
    """The evaluation of the one learner of ``args.transcript`` (``--learner`` picks one of several)."""

    path = args.transcript
    src, code = one_learner(
        path, args.learner, PROG, err, none_found=EXIT_INVALID if args.learner is None else EXIT_USAGE
    )
    if src is None:
        return None, code
    return evaluate_learner(compiled, src, args.as_of, PROG, err)


def _cmd_graph(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from microcred.render.picture.formats import render
    from microcred.render.picture.model import Picture
    from microcred.rules.evaluate import compile_catalog

    if args.transcript is None and (args.as_of is not None or args.learner is not None):
        err.write(f"{PROG}: --as-of and --learner need --transcript\n")
        return EXIT_USAGE
    from microcred.cli.util import check_output, input_file

    if args.transcript is not None:
        input_file(args.transcript, "--transcript", "transcript file")
    fmt = _format(args)
    if args.output not in (None, "-"):
        check_output(
            args.output,
            "-o",
            inputs=[args.catalog, args.transcript],
            read_suffixes=(".yaml", ".yml"),
            example=f"graph.{fmt}",
        )
    catalog, code = load_catalog_or_report(args.catalog, err)
    if catalog is None:
        return code
    compiled = compile_catalog(catalog)  # type: ignore[arg-type]
    result = None
    if args.transcript is not None:
        result, code = _learner_result(args, compiled, err)
        if result is None:
            return code
    picture = Picture.build(compiled, result, courses=args.courses)
    return write_output(PROG, args.output, render(fmt, picture), out, err)


def register(sub: Any) -> None:
    """Add ``graph`` to the ``microcred`` command line."""
    g = sub.add_parser(
        "graph",
        help="draw how credentials stack (SVG, DOT, GraphML, Mermaid), with a learner's progress",
        description="Draw the stacking graph of a catalogue: its credentials in rows by taxonomy level "
        "(badges at the bottom, degrees at the top) with an arrow where one counts toward another. "
        "With a transcript, each credential shows the learner's status and progress.",
    )
    g.add_argument("--catalog", required=True, metavar="PATH", help="the catalogue (a YAML file or directory)")
    g.add_argument(
        "--transcript", metavar="TRANSCRIPT", help="a learner's transcript (YAML/JSON, or CSV with --learner)"
    )
    g.add_argument("--learner", metavar="ID", help="the learner, when TRANSCRIPT holds several (a CSV)")
    g.add_argument(
        "--as-of", type=parse_date, metavar="DATE", help="evaluation date (default: the transcript's, else today)"
    )
    g.add_argument(
        "--format",
        choices=("dot", "graphml", "mermaid", "svg"),
        help="the picture's format (default: from the -o file name's ending, else svg)",
    )
    g.add_argument("-o", "--output", metavar="OUT", help="the file to write (default, or '-': standard output)")
    g.add_argument("--courses", action="store_true", help="also draw the courses and what they count toward")
    g.set_defaults(func=_cmd_graph)


__all__ = ["register"]
