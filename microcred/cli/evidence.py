"""The options of ``evaluate`` and ``batch`` that bring in learners' external credentials
(``--evidence`` and how to verify it; docs/recognition.md). Not a command of its own: the
core commands import it without the badge commands, and the badge machinery only when
``--evidence`` is given."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from microcred.cli.util import UsageError, input_file, unprefixed


def _url_file(text: str) -> tuple[str, str]:
    url, sep, path = text.partition("=")
    if not sep or not url or not path:
        raise argparse.ArgumentTypeError(f"{text!r}: write URL=FILE (the URL or DID, and a local copy)")
    return url, path


def evidence_arguments(p: Any) -> None:
    """The options of ``evaluate`` and ``batch`` that bring in a learner's external credentials."""
    g = p.add_argument_group("learning recognised from elsewhere (docs/recognition.md)")
    g.add_argument(
        "--evidence",
        metavar="PATH",
        help="external credentials (OB 3.0 JSON/VC-JWT, baked PNG/SVG, OB 2.0, CLR): a file or folder; "
        "a folder named after a learner's id holds that learner's",
    )
    g.add_argument("--keys", metavar="JWKS", help="issuers' public keys (JWK set, JWK or public PEM) to trust")
    g.add_argument(
        "--resolve",
        action="append",
        type=_url_file,
        metavar="URL=FILE",
        help="a local copy of the document served at URL or DID (issuer did.json, hosted OB 2.0 assertion)",
    )
    g.add_argument(
        "--status-list", action="append", type=_url_file, metavar="URL=FILE", help="a local copy of a status list"
    )
    g.add_argument(
        "--trusted-issuers", action="append", metavar="FILE", help="a trusted-issuer list (DCC registry.json)"
    )
    g.add_argument("--online", action="store_true", help="fetch issuers' controller documents over https")


def evidence_options(args: argparse.Namespace) -> Any:
    """(evidence root, options) from ``evaluate``/``batch`` arguments; None without ``--evidence``.
    Raises :class:`UsageError` for a file that cannot be used."""
    extras = [args.keys, args.resolve, args.status_list, args.trusted_issuers]
    if not args.evidence:
        if any(extras) or args.online:
            raise UsageError(
                "--keys/--resolve/--status-list/--trusted-issuers",
                "these verify external credentials",
                "give the credentials with --evidence PATH",
            )
        return None
    from microcred.badges.evidence import EvidenceOptions

    root = Path(args.evidence)
    if not root.exists():
        raise UsageError(f"--evidence {args.evidence}", "no such file or folder", "check the path")
    keys, documents, registries, lists = trust_inputs(args)
    return root, EvidenceOptions(keys, documents, registries, lists, args.online)


def trust_inputs(args: argparse.Namespace) -> tuple[Any, dict[str, str], list[Any], dict[str, str]]:
    """What a verifier is told to trust, from ``--keys``, ``--resolve``, ``--trusted-issuers`` and
    ``--status-list`` (as ``badge verify`` and ``--evidence`` take them): (public keys or None,
    URL → local document, registries, URL → local status list). Every file is checked first;
    one that cannot be used raises :class:`UsageError`."""
    from microcred.badges.errors import BadgeError
    from microcred.badges.keys import load_public_keys
    from microcred.badges.resolve import load_registry

    lists = dict(args.status_list or [])
    for f in lists.values():
        input_file(f, "--status-list", "status list file")
    documents = dict(args.resolve or [])
    for f in documents.values():
        input_file(f, "--resolve", "document file")
    keys = None
    if args.keys:
        input_file(args.keys, "--keys", "key file")
        try:
            keys = load_public_keys(Path(args.keys))
        except BadgeError as exc:
            raise UsageError(
                f"--keys {args.keys}",
                unprefixed(str(exc), args.keys),
                "give the issuer's public keys (JWK set, JWK or PEM)",
            ) from None
    registries = []
    for f in args.trusted_issuers or []:
        input_file(f, "--trusted-issuers", "registry file")
        try:
            registries.append(load_registry(Path(f)))
        except BadgeError as exc:
            raise UsageError(f"--trusted-issuers {f}", unprefixed(str(exc), f)) from None
    return keys, documents, registries, lists
