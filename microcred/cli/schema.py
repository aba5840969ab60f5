"""``microcred schema``: the JSON Schema of catalogue files, for editors."""

from __future__ import annotations

import argparse
import json
from typing import TextIO

from microcred.cli.util import EXIT_OK


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``schema`` command."""
    s = sub.add_parser("schema", help="print the JSON Schema of catalogue files (for editors)")
    s.set_defaults(func=run)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from microcred.model.schema import catalogue_schema

    out.write(json.dumps(catalogue_schema(), indent=2) + "\n")
    return EXIT_OK
