"""``microcred keys …`` and ``microcred badge …``: generate keys, issue and verify Open Badges 3.0.

Handlers are ``func(args, out, err) -> exit code``, like the other commands; nothing here
ever prints a private key.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path
from typing import Any, TextIO

from microcred.badges.errors import BadgeError, VerifyResult

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


def _parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; write YYYY-MM-DD") from None


def _parse_moment(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date or date-time (YYYY-MM-DD[Thh:mm:ssZ])") from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _status_list(text: str) -> tuple[str, str]:
    url, sep, path = text.partition("=")
    if not sep or not url or not path:
        raise argparse.ArgumentTypeError(f"{text!r}: write URL=FILE (the status list's URL and a local copy)")
    return url, path


# -- keys generate ------------------------------------------------------------------------


def _cmd_keys_generate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from microcred.badges.keys import generate_key, save_key

    try:
        key = generate_key(args.type)
        paths = save_key(key, Path(args.out), args.name or args.type)
    except BadgeError as exc:
        err.write(f"microcred keys generate: {exc}\n")
        return EXIT_USAGE
    for p in paths:
        out.write(f"{p}\n")
    info = f"{args.type} key ({key.algorithm}), kid {key.kid}"
    if key.kind == "ed25519":
        info += f", did:key {key.did_key().split('#', 1)[0]}"
    err.write(f"wrote a new {info}; keep {paths[0]} private (mode 0600); publish {paths[2]}\n")
    return EXIT_OK


# -- badge issue --------------------------------------------------------------------------


def _one_transcript(path: str, learner: str | None, err: TextIO) -> tuple[Any, int]:
    from microcred.cli import one_learner

    return one_learner(path, learner, "microcred badge issue", err)


def _cmd_badge_issue(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from microcred.badges import bake
    from microcred.badges.dataintegrity import sign_eddsa_rdfc_2022
    from microcred.badges.jwt import sign_vc_jwt
    from microcred.badges.keys import load_private_key, write_atomic
    from microcred.badges.ob3 import IssueOptions, alignment_warnings, build_credential
    from microcred.cli import _load_catalog_or_report, format_text
    from microcred.diagnostics import MicrocredError
    from microcred.evaluate import compile_catalog, evaluate

    prog = "microcred badge issue"
    for p in (args.transcript, args.key, args.image):
        if p and not Path(p).is_file():
            err.write(
                f"{prog}: {p} is a directory, not a file\n" if Path(p).is_dir() else f"{prog}: no such file: {p}\n"
            )
            return EXIT_USAGE
    image_kind = None
    if args.image:
        image_kind = Path(args.image).suffix.lower().lstrip(".")
        if image_kind not in ("png", "svg"):
            err.write(f"{prog}: --image must be a .png or .svg file, not {args.image}\n")
            return EXIT_USAGE
    out_path = Path(args.output)
    if out_path.is_dir() or not out_path.parent.is_dir():
        err.write(
            f"{prog}: cannot write {out_path}: {'it is a directory' if out_path.is_dir() else 'no such directory'}\n"
        )
        return EXIT_USAGE
    try:
        key = load_private_key(Path(args.key))
    except BadgeError as exc:
        err.write(f"{prog}: {exc}\n")
        return EXIT_USAGE
    if args.format == "json" and key.kind != "ed25519":
        err.write(f"{prog}: --format json signs with eddsa-rdfc-2022, which needs an Ed25519 key; {args.key} is RSA\n")
        return EXIT_USAGE
    catalog, code = _load_catalog_or_report(args.catalog, err)
    if catalog is None:
        return code
    compiled = compile_catalog(catalog)  # type: ignore[arg-type]
    if args.credential not in compiled.catalog.credentials:
        err.write(f"{prog}: no credential {args.credential} in the catalogue\n")
        return EXIT_USAGE
    src, code = _one_transcript(args.transcript, args.learner, err)
    if src is None:
        return code
    try:
        result = evaluate(compiled, src, args.as_of, credentials=[args.credential])
    except MicrocredError as exc:
        err.write(f"{prog}: cannot evaluate {args.transcript}:\n")
        for d in exc.diagnostics:
            err.write(format_text(d) + "\n")
        return EXIT_INVALID
    options = IssueOptions(
        email=args.email or src.transcript.learner.email,
        salt=args.salt,
        credential_uri=args.id,
        subject_id=args.subject_id,
        achievement_base_url=args.achievement_base_url,
        grades=not args.no_grades,
    )
    try:
        credential = build_credential(compiled.catalog, result, args.credential, options)
    except BadgeError as exc:
        err.write(f"{prog}: refused: {exc}\n")
        return EXIT_INVALID
    for w in alignment_warnings(compiled.catalog, args.credential):
        err.write(f"{prog}: warning: {w}\n")
    try:
        if args.format == "jwt":
            payload = sign_vc_jwt(credential, key)
        else:
            issuer = credential["issuer"]["id"]
            vm = args.verification_method or f"{issuer}#{key.multikey}"
            payload = json.dumps(sign_eddsa_rdfc_2022(credential, key, vm), indent=2, ensure_ascii=False) + "\n"
        if image_kind is not None:
            image = Path(args.image).read_bytes()
            data = bake.bake_png(image, payload) if image_kind == "png" else bake.bake_svg(image, payload)
        else:
            data = payload.encode("utf-8") if payload.endswith("\n") else (payload + "\n").encode("utf-8")
        write_atomic(out_path, data, 0o644)
    except BadgeError as exc:
        err.write(f"{prog}: {exc}\n")
        return EXIT_INVALID
    except OSError as exc:
        err.write(f"{prog}: cannot write {out_path}: {exc.strerror or exc}\n")
        return EXIT_USAGE
    out.write(f"{out_path}\n")
    how = "VC-JWT " + key.algorithm if args.format == "jwt" else "DataIntegrityProof eddsa-rdfc-2022"
    baked = f", baked into a {image_kind.upper()}" if image_kind else ""
    err.write(
        f"issued {args.credential} to learner {result.learner_id} ({how}{baked}), "
        f"valid from {credential['validFrom']}"
        + (f" until {credential['validUntil']}" if "validUntil" in credential else "")
        + "\n"
    )
    return EXIT_OK


# -- badge verify -------------------------------------------------------------------------


def _summary(credential: dict[str, Any] | None) -> list[str]:
    if not isinstance(credential, dict):
        return []
    lines = []
    issuer = credential.get("issuer")
    issuer_name = issuer.get("name") or issuer.get("id") if isinstance(issuer, dict) else issuer
    subject = credential.get("credentialSubject")
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    name = achievement.get("name") if isinstance(achievement, dict) else credential.get("name")
    if name:
        lines.append(f"  credential: {name}" + (f" ({credential['id']})" if "id" in credential else ""))
    if issuer_name:
        lines.append(f"  issuer: {issuer_name}")
    window = credential.get("validFrom") or credential.get("issuanceDate")
    until = credential.get("validUntil") or credential.get("expirationDate")
    if window:
        lines.append(f"  valid from: {window}" + (f" until {until}" if until else ""))
    return lines


def _cmd_badge_verify(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from microcred.badges.keys import load_public_keys
    from microcred.badges.verify import verify_file

    prog = "microcred badge verify"
    path = Path(args.file)
    if not path.is_file():
        err.write(
            f"{prog}: {path} is a directory, not a file\n" if path.is_dir() else f"{prog}: no such file: {path}\n"
        )
        return EXIT_USAGE
    lists = dict(args.status_list or [])
    absent = [f for f in lists.values() if not Path(f).is_file()]
    if absent:
        err.write(f"{prog}: no such status list file: {', '.join(absent)}\n")
        return EXIT_USAGE
    keys = None
    if args.keys:
        try:
            keys = load_public_keys(Path(args.keys))
        except BadgeError as exc:
            err.write(f"{prog}: {exc}\n")
            return EXIT_USAGE
    result: VerifyResult = verify_file(path, keys=keys, recipient=args.recipient, status_lists=lists, now=args.now)
    if args.format == "json":
        doc = result.to_json()
        doc["file"] = str(path)
        doc["credential"] = result.credential
        out.write(json.dumps(doc, ensure_ascii=False) + "\n")
    else:
        out.write(f"{'valid' if result.valid else 'INVALID'}: {path}\n")
        for line in _summary(result.credential):
            out.write(line + "\n")
        for e in result.errors:
            out.write(f"  error: {e}\n")
        for w in result.warnings:
            out.write(f"  warning: {w}\n")
    return EXIT_OK if result.valid else EXIT_INVALID


# -- registration -------------------------------------------------------------------------


def register(sub: Any) -> None:
    """Add ``keys`` and ``badge`` to the ``microcred`` command line."""
    keys = sub.add_parser("keys", help="signing keys for badges: generate")
    ksub = keys.add_subparsers(dest="keys_command", metavar="ACTION")
    ksub.required = True
    g = ksub.add_parser("generate", help="write a new key pair: NAME.pem (private), NAME.pub.pem, NAME.jwk.json")
    g.add_argument(
        "--type", choices=("ed25519", "rsa"), required=True, help="ed25519 (EdDSA) or rsa (RS256, 3072 bits)"
    )
    g.add_argument("--out", required=True, metavar="DIR", help="directory to write to (created if missing)")
    g.add_argument("--name", metavar="NAME", help="file name stem (default: the key type)")
    g.set_defaults(func=_cmd_keys_generate)

    badge = sub.add_parser("badge", help="Open Badges 3.0: issue a learner's earned credential, verify a badge")
    bsub = badge.add_subparsers(dest="badge_command", metavar="ACTION")
    bsub.required = True
    i = bsub.add_parser("issue", help="issue a signed OpenBadgeCredential for an earned credential")
    i.add_argument("--catalog", required=True, metavar="PATH", help="the catalogue (a YAML file or directory)")
    i.add_argument(
        "transcript", metavar="TRANSCRIPT", help="the learner's transcript (YAML/JSON, or CSV with --learner)"
    )
    i.add_argument("--credential", required=True, metavar="ID", help="the credential to issue (must be earned)")
    i.add_argument("--key", required=True, metavar="FILE", help="the issuer's private key (PEM or JWK)")
    i.add_argument("--image", metavar="FILE", help="a .png or .svg to bake the credential into")
    i.add_argument("-o", "--output", required=True, metavar="OUT", help="where to write the badge")
    i.add_argument(
        "--format",
        choices=("jwt", "json"),
        default="jwt",
        help="jwt: VC-JWT (RS256 or EdDSA, default); json: JSON with a DataIntegrityProof (Ed25519 keys)",
    )
    i.add_argument("--as-of", type=_parse_date, metavar="DATE", help="evaluation date (default: the transcript's)")
    i.add_argument("--learner", metavar="ID", help="the learner, when TRANSCRIPT holds several")
    i.add_argument("--email", metavar="EMAIL", help="the recipient's email (default: the transcript's learner.email)")
    i.add_argument("--salt", metavar="TEXT", help="salt of the hashed email (default: random)")
    i.add_argument("--id", metavar="URI", help="the credential's id (default: a random urn:uuid)")
    i.add_argument("--subject-id", metavar="URI", help="credentialSubject.id, e.g. the learner's DID (also JWT sub)")
    i.add_argument("--achievement-base-url", metavar="URL", help="achievement ids become URL/<credential id>")
    i.add_argument("--verification-method", metavar="URI", help="json: the proof's verificationMethod")
    i.add_argument("--no-grades", action="store_true", help="leave grades out of the evidence")
    i.set_defaults(func=_cmd_badge_issue)

    v = bsub.add_parser("verify", help="verify a badge: PNG, SVG, JSON credential or VC-JWT")
    v.add_argument("file", metavar="FILE")
    v.add_argument("--keys", metavar="JWKS", help="the issuer's public keys (JWK set, JWK or public PEM) to trust")
    v.add_argument("--recipient", metavar="EMAIL", help="check that the badge was issued to this email")
    v.add_argument(
        "--status-list",
        action="append",
        type=_status_list,
        metavar="URL=FILE",
        help="a local copy of a revocation/status list (repeatable); nothing is fetched",
    )
    v.add_argument("--now", type=_parse_moment, metavar="WHEN", help="check validity at this time (default: now)")
    v.add_argument("--format", choices=("text", "json"), default="text")
    v.set_defaults(func=_cmd_badge_verify)
