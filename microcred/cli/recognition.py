"""``microcred recognition import-ctdl``: recognition rules from Credential
Engine transfer values (docs/recognition.md#ctdl).

``microcred recognition import-ctdl FILE --catalog C [--elective COURSE] [-o OUT]`` writes a
catalogue file with a ``recognition:`` section: one rule a ``ceterms:TransferValueProfile``.

Exit codes: 0 written, 1 invalid input (an invalid catalogue, a file that is not CTDL JSON,
or no profile that could become a rule), 2 usage.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, cast

from microcred.cli.util import EXIT_INVALID, load_catalog_or_report, write_output

if TYPE_CHECKING:
    from microcred.model.catalog import Catalog

PROG = "microcred recognition import-ctdl"


def _cmd_import(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import yaml

    from microcred.badges.transfer import rules_from_ctdl
    from microcred.cli.util import UsageError, input_file, unknown_id

    input_file(args.file, "", "CTDL file")
    loaded, code = load_catalog_or_report(args.catalog, err)
    if loaded is None:
        return code
    catalog = cast("Catalog", loaded)
    if args.elective is not None and args.elective not in catalog.courses:
        raise unknown_id("--elective", "course", args.elective, catalog.courses)
    try:
        doc = json.loads(Path(args.file).read_bytes())
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        msg = exc.strerror if isinstance(exc, OSError) else "not JSON"
        err.write(f"{args.file}:1:1: {PROG}: {msg}; give a CTDL JSON-LD document (a TransferValueProfile or a graph)\n")
        return EXIT_INVALID
    if not isinstance(doc, dict | list):
        raise UsageError(args.file, "not a CTDL document", "give a JSON object or list")
    rules, warnings = rules_from_ctdl(doc, catalog, elective=args.elective)
    for w in warnings:
        err.write(f"{args.file}: warning: {w}\n")
    if not rules:
        err.write(f"{args.file}: {PROG}: no transfer value profile could become a recognition rule\n")
        return EXIT_INVALID
    text = "# recognition rules imported from " + Path(args.file).name + "\n"
    text += yaml.safe_dump({"recognition": rules}, sort_keys=False, allow_unicode=True, width=110)
    return write_output(PROG, args.output, text, out, err)


def register(sub: Any) -> None:
    """Add ``recognition`` to the ``microcred`` command line."""
    r = sub.add_parser("recognition", help="recognition rules: import Credential Engine transfer values")
    rsub = r.add_subparsers(dest="recognition_command", metavar="ACTION")
    rsub.required = True
    i = rsub.add_parser(
        "import-ctdl",
        help="turn CTDL TransferValueProfiles (ACE recommendations, articulation tables) into recognition rules",
    )
    i.add_argument("file", metavar="FILE", help="CTDL JSON-LD: a TransferValueProfile, a list, or an @graph")
    i.add_argument("--catalog", required=True, metavar="PATH", help="the catalogue the rules are for")
    i.add_argument(
        "--elective",
        metavar="COURSE",
        help="grant this placeholder course when a profile's target is not in the catalogue",
    )
    i.add_argument("-o", "--output", metavar="OUT", help="the YAML file to write (default: standard output)")
    i.set_defaults(func=_cmd_import)
