"""``microcred clr`` and ``microcred export ctdl|ob2|skills``: a learner's CLR, the catalogue as CTDL, a
badge as Open Badges 2.0, a learner's skills.

- ``microcred clr --catalog C TRANSCRIPT --key K -o OUT [--format jwt|json] [--as-of DATE]``
  writes the learner's signed CLR 2.0 (every earned credential, and how they stack);
- ``microcred export ctdl --catalog C [-o OUT]`` writes the catalogue as CTDL JSON-LD;
- ``microcred export ob2 --catalog C TRANSCRIPT --credential ID --base-url URL -o DIR
  [--image PNG]`` writes the hosted Open Badges 2.0 files of one earned credential;
- ``microcred export skills --catalog C TRANSCRIPT [-o OUT]`` writes the learner's current
  skills as a section a learning and employment record takes.

Exit codes as for every command: 0 done, 1 bad input (invalid catalogue or transcript, an
unearned credential, an unusable key or image), 2 usage (a missing file, a wrong option).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from microcred.cli.util import (
    EXIT_INVALID,
    EXIT_OK,
    UsageError,
    check_output,
    check_output_dir,
    choose_format,
    email_arg,
    evaluate_learner,
    http_url_arg,
    input_file,
    load_catalog_or_report,
    one_learner,
    parse_date,
    plural,
    unknown_id,
    unprefixed,
    write_output,
)


@dataclass
class _Learner:
    catalog: Any
    result: Any
    email: str | None


def _load_learner(prog: str, args: argparse.Namespace, err: TextIO) -> tuple[_Learner | None, int]:
    """The catalogue and the evaluation of the one learner of ``args.transcript``
    (``args.learner`` picks one of several; ``args.email`` overrides the transcript's)."""
    from microcred.rules.evaluate import compile_catalog

    path = args.transcript
    input_file(path, "", "transcript file")
    catalog, code = load_catalog_or_report(args.catalog, err)
    if catalog is None:
        return None, code
    src, code = one_learner(path, args.learner, prog, err)
    if src is None:
        return None, code
    result, code = evaluate_learner(compile_catalog(catalog), src, args.as_of, prog, err)  # type: ignore[arg-type]
    if result is None:
        return None, code
    return _Learner(catalog, result, args.email or src.transcript.learner.email), EXIT_OK


def _learner_options(p: Any) -> None:
    p.add_argument("--learner", metavar="ID", help="the learner, when TRANSCRIPT holds several (a CSV)")
    p.add_argument(
        "--email", type=email_arg, metavar="EMAIL", help="the learner's email (default: the transcript's learner.email)"
    )
    p.add_argument(
        "--as-of", type=parse_date, metavar="DATE", help="evaluation date (default: the transcript's, else today)"
    )


# -- clr ----------------------------------------------------------------------------------


def _cmd_clr(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from microcred.badges.clr import issue_clr
    from microcred.badges.errors import BadgeError
    from microcred.badges.keys import load_private_key

    prog = "microcred clr"
    input_file(args.key, "--key", "key file")
    if args.output != "-":
        choose_format(args.format, args.output, "-o", {".jwt": "jwt", ".json": "json", ".jsonld": "json"}, "jwt")
        check_output(args.output, "-o", inputs=[args.catalog, args.transcript, args.key], example=f"clr.{args.format}")
    try:
        key = load_private_key(Path(args.key))
    except BadgeError as exc:
        raise UsageError(
            f"--key {args.key}", unprefixed(str(exc), args.key), "give the issuer's private key (PEM or JWK)"
        ) from None
    learner, code = _load_learner(prog, args, err)
    if learner is None:
        return code
    try:
        text = issue_clr(learner.catalog, learner.result, key, format=args.format, email=learner.email)
    except BadgeError as exc:
        err.write(f"{prog}: {exc}\n")
        return EXIT_INVALID
    if args.format == "jwt":
        text += "\n"
    code = write_output(prog, args.output, text, out, err)
    if code == EXIT_OK and args.output not in (None, "-"):
        held = learner.result.earned()
        err.write(f"{prog}: wrote {args.output} ({args.format}, {plural(len(held), 'earned credential')})\n")
    return code


# -- export ctdl --------------------------------------------------------------------------


def _cmd_ctdl(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from microcred.badges.ctdl import export_ctdl

    prog = "microcred export ctdl"
    if args.output not in (None, "-"):
        choose_format(None, args.output, "-o", {".json": "json", ".jsonld": "json"}, "json")
        check_output(args.output, "-o", inputs=[args.catalog], read_suffixes=(".yaml", ".yml"), example="ctdl.json")
    catalog, code = load_catalog_or_report(args.catalog, err)
    if catalog is None:
        return code
    try:
        export = export_ctdl(
            catalog,  # type: ignore[arg-type]
            language=args.language,
            credit_unit=args.credit_unit,
            registry=args.registry,
            agent_type=args.agent_type,
            agent_sector=args.agent_sector,
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    for w in export.warnings:
        err.write(f"{prog}: warning: {w}\n")
    text = json.dumps(export.document, indent=2, ensure_ascii=False) + "\n"
    return write_output(prog, args.output, text, out, err)


def _registry_url(text: str) -> str:
    """An argparse type: the registry's resource base, an http(s) URL ending in ``/``."""
    url = http_url_arg(text)
    if not url.endswith("/"):
        raise argparse.ArgumentTypeError(f"{text!r} must end with '/' (the CTIDs are appended to it)")
    return url


# -- export ob2 ---------------------------------------------------------------------------


def _cmd_ob2(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from microcred.badges.errors import BadgeError
    from microcred.badges.ob2 import check_base_url, export_ob2, image_kind, write_ob2

    prog = "microcred export ob2"
    try:
        check_base_url(args.base_url)
    except BadgeError as exc:
        raise UsageError(f"--base-url {args.base_url}", str(exc)) from None
    image: bytes | None = None
    if args.image is not None:
        image = input_file(args.image, "--image", "PNG or SVG image").read_bytes()
        try:
            image_kind(image)
        except BadgeError as exc:
            raise UsageError(f"--image {args.image}", str(exc)) from None
    out_dir = check_output_dir(args.output, "-o", inputs=[args.catalog, args.transcript])
    learner, code = _load_learner(prog, args, err)
    if learner is None:
        return code
    if args.credential not in learner.catalog.credentials:
        raise unknown_id("--credential", "credential", args.credential, learner.catalog.credentials)
    try:
        export = export_ob2(
            learner.catalog,
            learner.result,
            args.credential,
            base_url=args.base_url,
            email=learner.email,
            image=image,
            grades=args.grades,
        )
        written = write_ob2(export, out_dir)
    except BadgeError as exc:
        err.write(f"{prog}: {exc}\n")
        return EXIT_INVALID
    for w in export.warnings:
        err.write(f"{prog}: warning: {w}\n")
    for path in written:
        out.write(f"{path}\n")
    err.write(f"{prog}: upload {args.output} to {export.urls.base}/ (the assertion is {export.assertion['id']})\n")
    return EXIT_OK


# -- export skills ------------------------------------------------------------------------


def _cmd_skills(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from microcred.badges.competencies import ler_skills

    prog = "microcred export skills"
    if args.output not in (None, "-"):
        check_output(args.output, "-o", inputs=[args.catalog, args.transcript], example="skills.json")
    learner, code = _load_learner(prog, args, err)
    if learner is None:
        return code
    if not learner.catalog.frameworks:
        err.write(
            f"{prog}: the catalogue has no competency frameworks, so no skill can be evidenced; "
            "add a `frameworks:` section (docs/competencies.md)\n"
        )
        return EXIT_INVALID
    doc = {
        "learner": {"id": learner.result.learner_id},
        "as_of": learner.result.as_of.isoformat(),
        "skills": ler_skills(learner.result),
    }
    return write_output(prog, args.output, json.dumps(doc, ensure_ascii=False, indent=2) + "\n", out, err)


# -- registration -------------------------------------------------------------------------


def register(sub: Any) -> None:
    """Add ``clr`` and ``export`` (``ctdl``, ``ob2``) to the ``microcred`` command line."""
    from microcred.badges import CLR_FORMATS as FORMATS

    c = sub.add_parser(
        "clr",
        help="a learner's signed Comprehensive Learner Record (CLR 2.0): every earned credential and how they stack",
        description="Evaluate one learner and write their CLR 2.0: each earned credential as a signed "
        "Open Badges 3.0 credential, with isPartOf/isChildOf associations from the stacking graph.",
    )
    c.add_argument("--catalog", required=True, metavar="PATH", help="the catalogue (a YAML file or directory)")
    c.add_argument(
        "transcript", metavar="TRANSCRIPT", help="the learner's transcript (YAML/JSON, or CSV with --learner)"
    )
    c.add_argument(
        "--key", required=True, metavar="KEY", help="the issuer's private key (PEM or JWK; Ed25519, RSA or P-256)"
    )
    c.add_argument("-o", "--output", required=True, metavar="OUT", help="the file to write ('-': standard output)")
    c.add_argument(
        "--format",
        choices=FORMATS,
        default="jwt",
        help="jwt: a VC-JWT (RS256 or EdDSA); json: JSON with an eddsa-rdfc-2022 proof (Ed25519 keys)",
    )
    _learner_options(c)
    c.set_defaults(func=_cmd_clr)

    e = sub.add_parser("export", help="export the catalogue (CTDL) or an earned badge (Open Badges 2.0)")
    formats = e.add_subparsers(dest="export_format", metavar="FORMAT")
    formats.required = True

    t = formats.add_parser(
        "ctdl",
        help="the catalogue as CTDL JSON-LD for the Credential Engine registry",
        description="Write the catalogue's credentials, their rules (ConditionProfiles), the courses they name "
        "and their stacking (isPartOf/hasPart) as one CTDL JSON-LD @graph.",
    )
    t.add_argument("--catalog", required=True, metavar="PATH", help="the catalogue (a YAML file or directory)")
    t.add_argument("-o", "--output", metavar="OUT", help="the file to write (default: standard output)")
    t.add_argument("--language", default="en-US", metavar="TAG", help="language of the texts (default en-US)")
    t.add_argument(
        "--agent-type", default="Postsecondary", metavar="TERM", help="the issuer's orgType (default Postsecondary)"
    )
    t.add_argument(
        "--agent-sector",
        choices=("Public", "PrivateNonProfit", "PrivateForProfit"),
        help="the issuer's agentSector (default PrivateNonProfit, with a warning)",
    )
    t.add_argument(
        "--credit-unit",
        default="SemesterHour",
        metavar="UNIT",
        help="CTDL CreditUnit term of credit values (default SemesterHour; e.g. QuarterHour, ContactHour)",
    )
    t.add_argument(
        "--registry",
        default="https://credentialengineregistry.org/resources/",
        type=_registry_url,
        metavar="URL",
        help="resource base of the @id URIs (the sandbox: https://sandbox.credentialengineregistry.org/resources/)",
    )
    t.set_defaults(func=_cmd_ctdl)

    o = formats.add_parser(
        "ob2",
        help="one earned credential as hosted Open Badges 2.0 files (Assertion, BadgeClass, Issuer, baked image)",
        description="Evaluate one learner and, if they earned the credential, write the hosted Open Badges 2.0 "
        "Assertion, BadgeClass and Issuer JSON (ids under --base-url) and the baked image into a folder.",
    )
    o.add_argument("--catalog", required=True, metavar="PATH", help="the catalogue (a YAML file or directory)")
    o.add_argument(
        "transcript", metavar="TRANSCRIPT", help="the learner's transcript (YAML/JSON, or CSV with --learner)"
    )
    o.add_argument("--credential", required=True, metavar="ID", help="the earned credential to export")
    o.add_argument("--base-url", required=True, metavar="URL", help="where the folder will be hosted (https://…)")
    o.add_argument("-o", "--output", required=True, metavar="DIR", help="the folder to write the files into")
    o.add_argument("--image", metavar="PNG", help="the badge image (PNG or SVG); it is baked with the assertion")
    o.add_argument("--grades", action="store_true", help="name the grades in the public evidence (default: no)")
    _learner_options(o)
    o.set_defaults(func=_cmd_ob2)

    k = formats.add_parser(
        "skills",
        help="a learner's current skills as a section a learning and employment record (LER) takes",
        description="Evaluate one learner and write the competencies their record evidences now (name, "
        "description, URI, framework, level, dates, evidence) as JSON (docs/competencies.md).",
    )
    k.add_argument("--catalog", required=True, metavar="PATH", help="the catalogue (a YAML file or directory)")
    k.add_argument(
        "transcript", metavar="TRANSCRIPT", help="the learner's transcript (YAML/JSON, or CSV with --learner)"
    )
    k.add_argument("-o", "--output", metavar="OUT", help="the file to write (default: standard output)")
    _learner_options(k)
    k.set_defaults(func=_cmd_skills)


__all__ = ["register"]
