"""The ``microcred`` command line: the parser and the dispatch to one module a command (the
command line alone prints; the library returns values)."""

from __future__ import annotations

import argparse
import importlib
import io
import os
import sys
from collections.abc import Sequence
from typing import NoReturn, TextIO

from microcred import __version__
from microcred.cli.util import (
    EXIT_INTERRUPTED,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_USAGE,
    PROG,
    UsageError,
    did_you_mean,
)

__all__ = ["EXIT_INTERRUPTED", "EXIT_INVALID", "EXIT_OK", "EXIT_USAGE", "UsageError", "main"]

#: The modules of the commands every command line can use without loading the others' (each
#: defines ``register(subparsers)``, as the modules of :data:`COMMAND_MODULES` do).
CORE_MODULES: list[str] = [
    "microcred.cli.validate",
    "microcred.cli.evaluate",
    "microcred.cli.batch",
    "microcred.cli.schema",
]

#: Modules that add further subcommands (each defines ``register(subparsers)``).
COMMAND_MODULES: list[str] = [
    "microcred.cli.generate",
    "microcred.cli.badges",
    "microcred.cli.exports",
    "microcred.cli.graph",
    "microcred.cli.diff",
    "microcred.cli.plan",
    "microcred.cli.metrics",
    "microcred.cli.gaps",
    "microcred.cli.recognition",
]


class _Parser(argparse.ArgumentParser):
    """argparse, with a "did you mean" for a mistyped command, choice or option."""

    def error(self, message: str) -> NoReturn:
        import re

        choice = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if choice:
            options = re.findall(r"'([^']*)'", choice.group(2)) or [c.strip() for c in choice.group(2).split(",")]
            message += did_you_mean(choice.group(1), options)
        unknown = re.search(r"unrecognized arguments: (.*)", message)
        if unknown:
            flags = [s for a in self._actions for s in a.option_strings]
            for sub in self._subparsers._group_actions if self._subparsers else []:
                for p in getattr(sub, "choices", {}).values():
                    flags += [s for a in p._actions for s in a.option_strings]
            for word in unknown.group(1).split():
                if word.startswith("--"):
                    message += did_you_mean(word.split("=", 1)[0], flags)
                    break
        # the usage, then one line in the style of every other error: what is wrong, where to read more
        what = message.removeprefix("argument ")
        self.exit(EXIT_USAGE, f"{self.format_usage()}{self.prog}: {what} (see {self.prog} --help)\n")


#: The commands of :data:`CORE_MODULES`: a command line that names one of them first (or asks
#: only for --version) is parsed without importing the modules of the others.
CORE_COMMANDS = frozenset({"validate", "evaluate", "batch", "schema"})


def build_parser(everything: bool = True) -> argparse.ArgumentParser:
    """The ``microcred`` parser; with ``everything=False``, without the subcommands of
    :data:`COMMAND_MODULES` (enough to parse a command line of a :data:`CORE_COMMANDS`)."""
    parser = _Parser(
        prog="microcred",
        description="Validate microcredential catalogues and evaluate learners' transcripts.",
    )
    parser.add_argument("--version", action="version", version=f"microcred {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    for name in [*CORE_MODULES, *(COMMAND_MODULES if everything else ())]:
        # each module adds its subcommand(s): register(subparsers); the handler is called as
        # func(args, out, err) -> exit code, like the commands above
        importlib.import_module(name).register(sub)
    return parser


def _prog(args: argparse.Namespace) -> str:
    """``microcred COMMAND [ACTION]``: the name a command's messages begin with."""
    words = ["microcred", str(getattr(args, "command", "") or "")]
    for attr in ("keys_command", "badge_command", "export_format", "recognition_command"):
        if getattr(args, attr, None):
            words.append(str(getattr(args, attr)))
    return " ".join(w for w in words if w)


def parse_args(argv: list[str]) -> argparse.Namespace:
    """``argv`` parsed as the whole parser parses it. A command line of a :data:`CORE_COMMANDS`
    (or ``--version`` alone) is parsed first without the other commands' modules; should that
    fail, the whole parser parses it again and reports the error (its hints know every
    command's options)."""
    if argv and (argv[0] in CORE_COMMANDS or argv == ["--version"]):
        import contextlib

        shown = io.StringIO()
        try:
            with contextlib.redirect_stdout(shown), contextlib.redirect_stderr(shown):
                return build_parser(everything=False).parse_args(argv)
        except SystemExit as exc:
            if not exc.code:  # --help or --version: printed on stdout
                sys.stdout.write(shown.getvalue())
                raise
    return build_parser().parse_args(argv)


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        args = parse_args(sys.argv[1:] if argv is None else list(argv))
    except SystemExit as exc:  # argparse: --help, --version, or a usage error
        return int(exc.code or 0) if isinstance(exc.code, int) else EXIT_USAGE
    prog = PROG[0] = _prog(args)
    try:
        code: int = args.func(args, out, err)
        return code
    except UsageError as exc:
        err.write(f"{prog}: {exc}\n")
        return EXIT_USAGE
    except KeyboardInterrupt as exc:
        err.write(f"{prog}: {str(exc) or 'interrupted'}\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # no traceback reaches a user
        err.write(
            f"{prog}: internal error ({type(exc).__name__}: {exc}). This is a bug in microcred; "
            "please report it with the input that caused it.\n"
        )
        return EXIT_USAGE


def entry() -> None:
    # microcred's command line has no use for pydantic plugins, and looking for them scans the
    # metadata of every installed package on each run; PYDANTIC_DISABLE_PLUGINS= (empty) brings
    # them back
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    sys.exit(main())
