"""``microcred validate PATH...``: every error and warning of a catalogue, with file, line and column."""

from __future__ import annotations

import argparse
import json
from typing import TextIO

from microcred.cli.util import EXIT_INVALID, EXIT_OK, EXIT_USAGE, format_github, format_text, plural
from microcred.model.diagnostics import Diagnostic


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``validate`` command."""
    v = sub.add_parser("validate", help="check catalogues: every error with file, line and column")
    v.add_argument("paths", nargs="+", metavar="PATH", help="a catalogue: a YAML file or a directory")
    v.add_argument(
        "--format",
        choices=("text", "json", "github"),
        default="text",
        help="text: file:line:col: CODE message (default); json: one document; github: annotations, then text",
    )
    v.set_defaults(func=run)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
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
