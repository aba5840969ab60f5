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
from microcred.cli.util import (
    EXIT_INVALID,
    EXIT_OK,
    EXIT_USAGE,
    FORMAT_OF_SUFFIX,
    UsageError,
    article,
    check_output,
    check_output_dir,
    date_arg,
    email_arg,
    http_url_arg,
    input_file,
    unknown_id,
    unprefixed,
    uri_arg,
)

EDDSA_JWT_WARNING = (
    "an EdDSA VC-JWT: 1EdTech's validator accepts only RS256 and ES256 tokens; sign with an RSA key "
    "(`microcred keys generate --type rsa`) or use --format json for an Ed25519 key"
)


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

    check_output_dir(args.out, "--out")
    try:
        key = generate_key(args.type)
        paths = save_key(key, Path(args.out), args.name or args.type)
    except BadgeError as exc:
        raise UsageError(f"--out {args.out}", str(exc)) from None
    for p in paths:
        out.write(f"{p}\n")
    info = f"{args.type} key ({key.algorithm}), kid {key.kid}"
    if key.kind == "ed25519":
        info += f", did:key {key.did_key().split('#', 1)[0]}"
    err.write(
        f"wrote a new {info}; keep {paths[0]} private (mode 0600); publish the public key with "
        "`microcred keys publish`\n"
    )
    return EXIT_OK


# -- keys publish -------------------------------------------------------------------------


def _cmd_keys_publish(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from microcred.badges.identity import files_to_publish
    from microcred.badges.keys import load_private_key, load_public_keys
    from microcred.badges.ob3 import issuer_profile
    from microcred.cli.util import load_catalog_or_report
    from microcred.io.atomicfile import write_atomically

    prog = "microcred keys publish"
    for f in args.key:
        input_file(f, "--key", "key file")
    directory = check_output_dir(args.out, "--out", inputs=[args.catalog])
    issuer_id = args.issuer
    if args.catalog:
        catalog, code = load_catalog_or_report(args.catalog, err)
        if catalog is None:
            return code
        try:
            issuer_id = issuer_profile(catalog)["id"]  # type: ignore[arg-type]
        except BadgeError as exc:
            err.write(f"{prog}: {exc}\n")
            return EXIT_INVALID
    keys = []
    for f in args.key:
        try:
            try:
                keys.append(load_private_key(Path(f)))
            except BadgeError:
                keys.append(_public_signing_key(load_public_keys(Path(f)), f))
        except BadgeError as exc:
            raise UsageError(f"--key {f}", unprefixed(str(exc), f), "give the issuer's key (PEM or JWK)") from None
    try:
        files = files_to_publish(issuer_id, keys)
    except BadgeError as exc:
        err.write(f"{prog}: {exc}\n")
        return EXIT_INVALID
    if not files:
        err.write(f"{prog}: {issuer_id} is a did:key: it resolves by itself, there is nothing to publish\n")
        return EXIT_OK
    try:
        directory.mkdir(exist_ok=True)
        for f in files:
            write_atomically(directory / f.name, f.content, mode=0o644)
    except OSError as exc:
        raise UsageError(f"--out {directory}", f"cannot write into it: {exc.strerror or exc}") from None
    for f in files:
        out.write(f"{directory / f.name}\t{f.url}\n")
    err.write(f"{prog}: serve each file at the URL beside it, as JSON (application/json)\n")
    return EXIT_OK


def _public_signing_key(jwks: list[dict[str, Any]], name: str) -> Any:
    """A stand-in SigningKey for a public key file: publishing needs only the public half."""
    from microcred.badges.keys import PublicSigningKey

    if len(jwks) != 1:
        raise BadgeError(f"{name}: give one key per --key (this file holds {len(jwks)})")
    return PublicSigningKey.from_jwk(jwks[0])


# -- badge issue --------------------------------------------------------------------------


def _one_transcript(path: str, learner: str | None, err: TextIO) -> tuple[Any, int]:
    from microcred.cli.util import one_learner

    return one_learner(path, learner, "microcred badge issue", err)


def _cmd_badge_issue(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from microcred.badges import bake
    from microcred.badges.dataintegrity import sign_eddsa_rdfc_2022
    from microcred.badges.identity import check_issuer_key, controller_url, issuer_kind, multikey_method_id
    from microcred.badges.jwt import sign_vc_jwt
    from microcred.badges.keys import KIND_NAMES, load_private_key
    from microcred.badges.ob3 import IssueOptions, alignment_warnings, build_credential
    from microcred.cli.util import format_text, load_catalog_or_report
    from microcred.io.atomicfile import write_atomically
    from microcred.model.diagnostics import MicrocredError
    from microcred.rules.evaluate import compile_catalog, evaluate

    prog = "microcred badge issue"
    input_file(args.transcript, "", "transcript file")
    input_file(args.key, "--key", "key file")
    image_kind = None
    if args.image:
        input_file(args.image, "--image", "PNG or SVG image")
        image_kind = Path(args.image).suffix.lower().lstrip(".")
        if image_kind not in ("png", "svg"):
            raise UsageError(f"--image {args.image}", "is not a .png or .svg file", "give a PNG or SVG image")
    want = image_kind or args.format
    ending = {"png": ".png", "svg": ".svg", "jwt": ".jwt", "json": ".json"}[want]
    out_path = check_output(
        args.output, "-o", inputs=[args.catalog, args.transcript, args.key, args.image], example=f"badge{ending}"
    )
    suffix = Path(args.output).suffix.lower()
    if suffix in FORMAT_OF_SUFFIX and FORMAT_OF_SUFFIX[suffix] != want:
        made = f"{article(want.upper())} image with the badge baked in" if image_kind else f"a {want.upper()} badge"
        raise UsageError(
            f"-o {args.output}", f"the ending {suffix} does not match what is written ({made})", f"end it in {ending}"
        )
    try:
        key = load_private_key(Path(args.key))
    except BadgeError as exc:
        raise UsageError(
            f"--key {args.key}", unprefixed(str(exc), args.key), "give the issuer's private key (PEM or JWK)"
        ) from None
    if args.format == "json" and key.kind != "ed25519":
        raise UsageError(
            f"--key {args.key}",
            f"is {article(KIND_NAMES[key.kind])} key, but --format json signs with eddsa-rdfc-2022, which needs an "
            "Ed25519 key",
            "give an Ed25519 key, or use --format jwt",
        )
    image = None
    if args.image:
        image = Path(args.image).read_bytes()
        try:  # an image that cannot carry the badge is refused before any work
            (bake.bake_png if image_kind == "png" else bake.bake_svg)(image, "{}")
        except BadgeError as exc:
            raise UsageError(f"--image {args.image}", str(exc), "give an image without a badge in it") from None
    catalog, code = load_catalog_or_report(args.catalog, err)
    if catalog is None:
        return code
    compiled = compile_catalog(catalog)  # type: ignore[arg-type]
    if args.credential not in compiled.catalog.credentials:
        raise unknown_id("--credential", "credential", args.credential, compiled.catalog.credentials)
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
        options.achievement_image = bake.data_uri(Path(args.image)) if args.image else None
        credential = build_credential(compiled.catalog, result, args.credential, options)
        check_issuer_key(credential["issuer"]["id"], key)
    except BadgeError as exc:
        err.write(f"{prog}: refused: {exc}\n")
        return EXIT_INVALID
    for w in alignment_warnings(compiled.catalog, args.credential):
        err.write(f"{prog}: warning: {w}\n")
    if args.format == "jwt" and key.algorithm == "EdDSA":
        err.write(f"{prog}: warning: {EDDSA_JWT_WARNING}\n")
    try:
        if args.format == "jwt":
            payload = sign_vc_jwt(credential, key)
        else:
            vm = args.verification_method or multikey_method_id(credential["issuer"]["id"], key)
            payload = json.dumps(sign_eddsa_rdfc_2022(credential, key, vm), indent=2, ensure_ascii=False) + "\n"
        if image is not None:
            data = bake.bake_png(image, payload) if image_kind == "png" else bake.bake_svg(image, payload)
        else:
            data = payload.encode("utf-8") if payload.endswith("\n") else (payload + "\n").encode("utf-8")
        write_atomically(out_path, data, mode=0o644)
    except BadgeError as exc:
        err.write(f"{prog}: {exc}\n")
        return EXIT_INVALID
    except OSError as exc:
        err.write(f"{prog}: cannot write {out_path}: {exc.strerror or exc}\n")
        return EXIT_USAGE
    out.write(f"{out_path}\n")
    how = "VC-JWT " + key.algorithm if args.format == "jwt" else "DataIntegrityProof eddsa-rdfc-2022"
    baked = f", baked into {article(image_kind.upper())}" if image_kind else ""
    err.write(
        f"issued {args.credential} to learner {result.learner_id} ({how}{baked}), "
        f"valid from {credential['validFrom']}"
        + (f" until {credential['validUntil']}" if "validUntil" in credential else "")
        + "\n"
    )
    issuer_id = credential["issuer"]["id"]
    if issuer_kind(issuer_id) in ("did:web", "https"):
        err.write(
            f"verifiers look for the issuer's keys at {controller_url(issuer_id)}: serve the files "
            "`microcred keys publish` writes there\n"
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
    from microcred.badges.resolve import Resolver
    from microcred.badges.verify import verify_file
    from microcred.cli.util import trust_inputs

    path = input_file(args.file, "", "badge file")
    keys, documents, registries, lists = trust_inputs(args)
    result: VerifyResult = verify_file(
        path,
        keys=keys,
        recipient=args.recipient,
        status_lists=lists,
        now=args.now,
        resolver=Resolver(documents, online=args.online),
        registries=registries,
    )
    if args.format == "json":
        doc = result.to_json()
        doc["file"] = str(path)
        doc["credential"] = result.credential
        out.write(json.dumps(doc, ensure_ascii=False) + "\n")
    else:
        out.write(f"{'valid' if result.valid else 'INVALID'}: {path}\n")
        for line in _summary(result.credential):
            out.write(line + "\n")
        if result.issuer_key:
            out.write(f"  signed by the issuer's key: {result.issuer_key}\n")
        elif keys is not None and result.valid:
            out.write(f"  signed by a key given with --keys ({args.keys})\n")
        if result.registries:
            out.write(f"  issuer listed in: {', '.join(result.registries)}\n")
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
        "--type",
        choices=("rsa", "p256", "ed25519"),
        default="rsa",
        help="rsa (RS256, 3072 bits; the default), p256 (ES256) or ed25519 (EdDSA, Data Integrity proofs, did:key)",
    )
    g.add_argument(
        "--out",
        required=True,
        metavar="DIR",
        help="the folder to write to (created if missing, in a folder that exists)",
    )
    g.add_argument("--name", metavar="NAME", help="file name stem (default: the key type)")
    g.set_defaults(func=_cmd_keys_generate)
    pub = ksub.add_parser(
        "publish", help="write the files the issuer serves so verifiers can resolve its keys (did.json, JWKS)"
    )
    who = pub.add_mutually_exclusive_group(required=True)
    who.add_argument("--catalog", metavar="PATH", help="the catalogue whose catalog.issuer.id is the issuer")
    who.add_argument("--issuer", type=uri_arg, metavar="ID", help="the issuer id (did:web:…, https://…, did:key:…)")
    pub.add_argument("--key", action="append", required=True, metavar="FILE", help="a signing key (repeatable)")
    pub.add_argument(
        "--out",
        required=True,
        metavar="DIR",
        help="the folder to write to (created if missing, in a folder that exists)",
    )
    pub.set_defaults(func=_cmd_keys_publish)

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
    i.add_argument("--as-of", type=date_arg, metavar="DATE", help="evaluation date (default: the transcript's)")
    i.add_argument("--learner", metavar="ID", help="the learner, when TRANSCRIPT holds several")
    i.add_argument(
        "--email",
        type=email_arg,
        metavar="EMAIL",
        help="the recipient's email (default: the transcript's learner.email)",
    )
    i.add_argument("--salt", metavar="TEXT", help="salt of the hashed email (default: random)")
    i.add_argument("--id", type=uri_arg, metavar="URI", help="the credential's id (default: a random urn:uuid)")
    i.add_argument(
        "--subject-id", type=uri_arg, metavar="URI", help="credentialSubject.id, e.g. the learner's DID (also JWT sub)"
    )
    i.add_argument(
        "--achievement-base-url", type=http_url_arg, metavar="URL", help="achievement ids become URL/<credential id>"
    )
    i.add_argument("--verification-method", type=uri_arg, metavar="URI", help="json: the proof's verificationMethod")
    i.add_argument("--no-grades", action="store_true", help="leave grades out of the evidence")
    i.set_defaults(func=_cmd_badge_issue)

    v = bsub.add_parser("verify", help="verify a badge: PNG, SVG, JSON credential or VC-JWT")
    v.add_argument("file", metavar="FILE", help="the badge: a baked PNG or SVG, a JSON credential or a VC-JWT")
    v.add_argument("--keys", metavar="JWKS", help="the issuer's public keys (JWK set, JWK or public PEM) to trust")
    v.add_argument("--recipient", metavar="EMAIL", help="check that the badge was issued to this email")
    v.add_argument(
        "--status-list",
        action="append",
        type=_status_list,
        metavar="URL=FILE",
        help="a local copy of a revocation/status list (repeatable); nothing is fetched",
    )
    v.add_argument(
        "--resolve",
        action="append",
        type=_status_list,
        metavar="URL=FILE",
        help="a local copy of the document served at URL or DID, e.g. the issuer's did.json (repeatable)",
    )
    v.add_argument("--online", action="store_true", help="fetch the issuer's controller document over https")
    v.add_argument(
        "--trusted-issuers",
        action="append",
        metavar="FILE",
        help="a trusted-issuer list (registry.json, DCC format); the issuer must be on one (repeatable)",
    )
    v.add_argument("--now", type=_parse_moment, metavar="WHEN", help="check validity at this time (default: now)")
    v.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text: the verdict and the reasons, for people (default); json: one object",
    )
    v.set_defaults(func=_cmd_badge_verify)
