"""A learner's external credentials, read and verified, for recognition in an evaluation.

Each file is an Open Badges 3.0 credential (JSON with a DataIntegrityProof, or a VC-JWT), a
baked PNG or SVG, an Open Badges 2.0 hosted assertion, or a CLR 2.0 bundle (each credential
inside is verified on its own). A folder is read file by file (sorted; hidden files skipped).

Everything is checked offline, with the machinery of :mod:`microcred.badges.verify`: the proof,
that the signing key is the issuer's (``--resolve URL=FILE`` copies of controller documents, or
``--keys``), the trusted-issuer lists, the status lists (``--status-list URL=FILE``) and the
validity dates at the evaluation date. A credential that fails is kept, with the reason, so
that reports can say why it did not count. A file that is no credential at all is an error
(``E507``) for the learner.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from microcred.badges import bake
from microcred.badges._codec import b64url_decode, parse_datetime
from microcred.badges.jwt import credential_from_payload
from microcred.badges.ob2signed import SIGNED_TYPES, verify_signed_assertion
from microcred.badges.resolve import Registry, Resolver, registries_naming
from microcred.badges.verify import MAX_FILE_BYTES, StatusLists, check_validity, verify_credential
from microcred.model.diagnostics import Diagnostic, Location, MicrocredError
from microcred.model.recognition import ExternalCredential, Identifier

OB2_CONTEXT = "https://w3id.org/openbadges/v2"
SUFFIXES = (".json", ".jsonld", ".jwt", ".png", ".svg", ".txt")


@dataclass
class EvidenceOptions:
    """How evidence is verified: keys, controller documents, trusted-issuer lists, status lists.

    ``documents`` (URL or DID → local file) serves both the issuers' controller documents and,
    for Open Badges 2.0, the hosted assertions and their BadgeClass and Issuer documents.
    Nothing is fetched from the network unless ``online``.
    """

    keys: list[dict[str, Any]] | dict[str, Any] | None = None
    documents: Mapping[str, str | Path] = field(default_factory=dict)
    registries: Sequence[Registry] = ()
    status_lists: StatusLists = field(default_factory=dict)
    online: bool = False

    def resolver(self) -> Resolver:
        return Resolver(dict(self.documents), online=self.online)


class EvidenceError(MicrocredError):
    """A file that is not a credential at all (the learner's evaluation stops there)."""

    def __init__(self, diagnostic: Diagnostic):
        super().__init__([diagnostic])
        self.diagnostic = diagnostic


def evidence_files(path: Path, *, recursive: bool = True) -> list[Path]:
    """The files of an evidence path: the file itself, or a folder's files (sorted; hidden
    files and folders skipped; sub-folders too unless ``recursive``)."""
    if path.is_dir():
        found = path.rglob("*") if recursive else path.iterdir()
        return [
            p
            for p in sorted(found)
            if p.is_file()
            and not any(part.startswith(".") for part in p.relative_to(path).parts)
            and p.suffix.lower() in SUFFIXES
        ]
    return [path]


def learner_evidence(root: Path, learner_id: str) -> tuple[Path, bool]:
    """Where one learner's evidence is under ``root``, and whether to read its sub-folders: the
    folder named after the learner's id when there is one (all of it); otherwise ``root``
    itself, without its sub-folders (those are other learners'): its files are offered to
    every learner, and binding to the recipient keeps each credential with its holder."""
    if root.is_dir():
        own = root / learner_id
        if learner_id and learner_id not in (".", "..") and own.is_dir() and own.parent == root:
            return own, True
        return root, False
    return root, True


def for_learner(
    root: Path, learner_id: str, as_of: dt.date, options: EvidenceOptions | None = None
) -> list[ExternalCredential]:
    """The verified external credentials of one learner under an evidence ``root`` (a file, a
    folder, or a folder of per-learner folders, see :func:`learner_evidence`)."""
    path, recursive = learner_evidence(root, learner_id)
    return read_evidence(path, as_of, options, recursive=recursive)


def evidence_digest(root: Path, learner_id: str) -> str:
    """A digest of one learner's evidence files under ``root`` (names and contents): equal
    digests, equal evidence. An incremental night adds it to the learner's digest."""
    path, recursive = learner_evidence(root, learner_id)
    h = hashlib.blake2b(digest_size=16)
    if path.exists():
        for f in evidence_files(path, recursive=recursive):
            h.update(b"\x1e" + str(f.relative_to(root) if f != root else f.name).encode())
            try:
                h.update(b"\x1f" + hashlib.blake2b(f.read_bytes(), digest_size=16).digest())
            except OSError:
                h.update(b"\x1funreadable")
    return h.hexdigest()


def options_digest(root: Path, options: EvidenceOptions) -> str:
    """A digest of what verification reads besides the learners' files: the keys, the local
    copies of documents and status lists, the trusted-issuer lists."""
    h = hashlib.blake2b(str(root.resolve()).encode(), digest_size=16)
    h.update(json.dumps(options.keys, sort_keys=True, default=str).encode())
    for kind, files in (("documents", options.documents), ("status", options.status_lists)):
        for url in sorted(files):
            h.update(f"\x1e{kind}\x1f{url}".encode())
            try:
                h.update(Path(files[url]).read_bytes())
            except OSError:
                h.update(b"\x1funreadable")
    for r in options.registries:
        h.update(json.dumps([r.name, r.entries], sort_keys=True, default=str).encode())
    h.update(b"online" if options.online else b"offline")
    return h.hexdigest()


def _moment(as_of: dt.date) -> dt.datetime:
    """Credentials are judged at the end of the evaluation date (UTC)."""
    return dt.datetime(as_of.year, as_of.month, as_of.day, 23, 59, 59, tzinfo=dt.UTC)


def read_evidence(
    path: Path,
    as_of: dt.date,
    options: EvidenceOptions | None = None,
    display: str | None = None,
    *,
    recursive: bool = True,
) -> list[ExternalCredential]:
    """Every credential under ``path``, each verified at ``as_of``. Raises :class:`EvidenceError`
    for a file that cannot be read or holds no credential."""
    opts = options or EvidenceOptions()
    if not path.exists():
        raise EvidenceError(
            Diagnostic("E507", "no such file or folder; check the --evidence path", _at(display or str(path)))
        )
    out: list[ExternalCredential] = []
    base = display or str(path)
    for f in evidence_files(path, recursive=recursive):
        name = base if f == path else str(Path(base) / f.relative_to(path))
        out.extend(read_file(f, as_of, opts, name))
    return out


def _at(name: str) -> Location:
    return Location(name, 1, 1)


def _fail(name: str, message: str) -> EvidenceError:
    return EvidenceError(
        Diagnostic("E507", f"{message}; give an Open Badge (JSON, VC-JWT, PNG or SVG) or a CLR", _at(name))
    )


def read_file(path: Path, as_of: dt.date, options: EvidenceOptions, name: str) -> list[ExternalCredential]:
    """The credentials of one evidence file, verified."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise _fail(name, f"too large to be a credential ({path.stat().st_size} bytes)")
        data = path.read_bytes()
    except OSError as exc:
        raise EvidenceError(Diagnostic("E507", f"cannot read the file: {exc.strerror or exc}", _at(name))) from None
    text = _payload(data, name)
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            doc = json.loads(stripped)
        except ValueError as exc:
            msg = (
                f"not valid JSON ({exc.msg}, line {exc.lineno} column {exc.colno})"
                if isinstance(exc, json.JSONDecodeError)
                else "not valid JSON"
            )
            raise _fail(name, msg) from None
        except RecursionError:
            raise _fail(name, "JSON nested too deeply") from None
        if not isinstance(doc, dict):
            raise _fail(name, "the JSON is not an object")
        if _is_ob2(doc):
            return [_ob2(doc, as_of, options, name)]
        if "ClrCredential" in _types(doc):
            return list(_clr(doc, as_of, options, name))
        return [_ob3(doc, as_of, options, name, "ob3-json")]
    if stripped.count(".") == 2 and not any(c.isspace() for c in stripped):
        payload = _jws_payload(stripped)
        if payload is not None and _is_ob2(payload):
            return [_ob2(payload, as_of, options, name, token=stripped)]
        if payload is not None and "ClrCredential" in _types(credential_from_payload(payload)[0]):
            return list(_clr(credential_from_payload(payload)[0], as_of, options, name, token=stripped))
        return [_ob3(stripped, as_of, options, name, "vc-jwt")]
    raise _fail(name, "holds neither a JSON credential nor a VC-JWT")


def _jws_payload(token: str) -> dict[str, Any] | None:
    """The JSON object a compact JWS carries, unverified (None when it carries none)."""
    try:
        payload = json.loads(b64url_decode(token.split(".")[1]))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    return payload if isinstance(payload, dict) else None


def _payload(data: bytes, name: str) -> str:
    if data.startswith(bake.PNG_SIGNATURE):
        try:
            found = bake.extract_png(data)
        except Exception as exc:  # a broken PNG: the baking module says why
            raise _fail(name, f"a damaged PNG ({exc})") from None
        if found is None:
            raise _fail(name, "the PNG carries no badge")
        return found[1]
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        try:
            svg = bake.extract_svg(data)
        except Exception as exc:
            raise _fail(name, f"a damaged SVG ({exc})") from None
        if svg is None:
            raise _fail(name, "the SVG carries no badge")
        return svg
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _fail(name, "not a badge (neither text nor a PNG or SVG image)") from None


def _types(obj: Any) -> list[str]:
    t = obj.get("type") if isinstance(obj, Mapping) else None
    return [t] if isinstance(t, str) else [x for x in t if isinstance(x, str)] if isinstance(t, list) else []


def _is_ob2(doc: Mapping[str, Any]) -> bool:
    ctx = doc.get("@context")
    ctxs = ctx if isinstance(ctx, list) else [ctx]
    return OB2_CONTEXT in ctxs or "Assertion" in _types(doc)


def _date(value: Any) -> dt.date | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_datetime(value).date()
    except (ValueError, OverflowError):
        return None


def reason_of(errors: Sequence[str]) -> str:
    """The one reason, of :data:`microcred.rules.recognition.REASONS`, a credential that failed
    verification is refused for: a failure of form or proof first (it says nothing trustworthy
    then), then trust, revocation, and dates."""
    kinds: list[str] = []
    for e in errors:
        low = e.lower()
        if low.startswith(("revoked", "suspended", "flagged")):
            kinds.append("revoked")
        elif low.startswith("expired"):
            kinds.append("expired")
        elif low.startswith("not yet valid"):
            kinds.append("not_yet_valid")
        elif (
            "trusted-issuer list" in low
            or "not controlled by the issuer" in low
            or ("cannot tell whether the issuer controls" in low)
        ):
            kinds.append("untrusted_issuer")
        else:
            kinds.append("invalid")
    for k in ("invalid", "untrusted_issuer", "revoked", "expired", "not_yet_valid"):
        if k in kinds:
            return k
    return "invalid"


def _subjects(credential: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    s = credential.get("credentialSubject")
    items = s if isinstance(s, list) else [s]
    return [x for x in items if isinstance(x, Mapping)]


def _ctids(achievement: Mapping[str, Any]) -> tuple[str, ...]:
    found: list[str] = []
    for o in _list(achievement.get("otherIdentifier")):
        if isinstance(o, Mapping) and isinstance(o.get("identifier"), str):
            ident = str(o["identifier"])
            if ident.startswith("ce-") or str(o.get("identifierType", "")).lower() == "ctid":
                found.append(ident)
    for a in _list(achievement.get("alignment")):
        if not isinstance(a, Mapping):
            continue
        if str(a.get("targetType", "")) in ("ceterms:Credential", "Credential") or "ceterms" in str(
            a.get("targetType", "")
        ):
            code = a.get("targetCode")
            if isinstance(code, str) and code.startswith("ce-"):
                found.append(code)
            url = a.get("targetUrl")
            if isinstance(url, str) and "/ce-" in url:
                found.append(url.rstrip("/").rsplit("/", 1)[-1])
    return tuple(dict.fromkeys(found))


#: alignment target types that point at a competency (OB 3.0 AlignmentTargetType)
COMPETENCY_TARGETS = ("CFItem", "ceasn:Competency")


def competency_targets(achievement: Mapping[str, Any]) -> tuple[str, ...]:
    """What the achievement's competency alignments point at: the ``targetUrl`` and
    ``targetCode`` of each ``alignment`` whose ``targetType`` is ``CFItem`` or
    ``ceasn:Competency``, or absent (Open Badges 2.0 alignments have none)."""
    found: list[str] = []
    for a in _list(achievement.get("alignment")):
        if not isinstance(a, Mapping):
            continue
        kind = a.get("targetType")
        if kind is not None and kind not in COMPETENCY_TARGETS:
            continue
        for k in ("targetUrl", "targetCode"):
            v = a.get(k)
            if isinstance(v, str) and v.strip():
                found.append(v.strip())
    return tuple(dict.fromkeys(found))


def _list(v: Any) -> list[Any]:
    return v if isinstance(v, list) else [] if v is None else [v]


def _issuer(credential: Mapping[str, Any]) -> str | None:
    i = credential.get("issuer")
    if isinstance(i, str):
        return i
    if isinstance(i, Mapping) and isinstance(i.get("id"), str):
        return str(i["id"])
    return None


def _facts(credential: Mapping[str, Any], name: str, fmt: str) -> ExternalCredential:
    subjects = _subjects(credential)
    subject = subjects[0] if subjects else {}
    ach = subject.get("achievement")
    ach = ach if isinstance(ach, Mapping) else {}
    results: list[str] = []
    for r in _list(subject.get("result")):
        if isinstance(r, Mapping):
            for k in ("value", "achievedLevel"):
                if isinstance(r.get(k), str | int | float) and not isinstance(r.get(k), bool):
                    results.append(str(r[k]))
    idents: list[Identifier] = []
    for s in subjects:
        for ident in _list(s.get("identifier")):
            if isinstance(ident, Mapping) and isinstance(ident.get("identityHash"), str):
                idents.append(
                    Identifier(
                        str(ident.get("identityType", "")),
                        str(ident["identityHash"]),
                        ident.get("hashed") is True,
                        str(ident.get("salt") or ""),
                    )
                )
    issued = (
        _date(subject.get("awardedDate")) or _date(credential.get("validFrom")) or _date(credential.get("issuanceDate"))
    )
    return ExternalCredential(
        source=name,
        format=fmt,
        issuer=_issuer(credential),
        id=credential.get("id") if isinstance(credential.get("id"), str) else None,
        achievement=ach.get("id") if isinstance(ach.get("id"), str) else None,
        name=(ach.get("name") if isinstance(ach.get("name"), str) else None)
        or (credential.get("name") if isinstance(credential.get("name"), str) else None),
        ctids=_ctids(ach),
        competencies=competency_targets(ach),
        issued=issued,
        valid_until=_date(credential.get("validUntil")) or _date(credential.get("expirationDate")),
        results=tuple(results),
        subject_ids=tuple(str(s["id"]) for s in subjects if isinstance(s.get("id"), str)),
        identifiers=tuple(idents),
    )


#: what the verifier says of a credential without a proof of its own
UNSIGNED = ("the credential has no proof: it is not signed",)


def _ob3(
    credential: str | dict[str, Any],
    as_of: dt.date,
    options: EvidenceOptions,
    name: str,
    fmt: str,
    secured_by: str | None = None,
) -> ExternalCredential:
    """One OB 3.0 credential, verified. ``secured_by``: the issuer of a verified CLR bundle
    that holds it; a credential of that issuer without a proof of its own is secured by the
    bundle's proof."""
    result = verify_credential(
        credential,
        keys=options.keys,
        status_lists=options.status_lists,
        now=_moment(as_of),
        resolver=options.resolver(),
        registries=options.registries,
    )
    if result.credential is None:
        raise _fail(name, "; ".join(result.errors) or "no credential")
    facts = _facts(result.credential, name, fmt)
    problems = list(result.errors)
    if secured_by is not None and "proof" not in result.credential and facts.issuer == secured_by:
        problems = [p for p in problems if p not in UNSIGNED]
    if not problems and facts.issued is None:
        problems.append("the credential gives no issuance date (validFrom)")
    facts = _with(facts, trusted_by=tuple(result.registries))
    if problems:
        return _refused(facts, problems, result.warnings)
    return _with(facts, warnings=tuple(result.warnings))


def _refused(facts: ExternalCredential, problems: Sequence[str], warnings: Sequence[str] = ()) -> ExternalCredential:
    return _with(facts, refusal=reason_of(problems), problems=tuple(problems), warnings=tuple(warnings))


def _with(facts: ExternalCredential, **changes: Any) -> ExternalCredential:
    return dataclasses.replace(facts, **changes)


def _clr(
    doc: dict[str, Any], as_of: dt.date, options: EvidenceOptions, name: str, token: str | None = None
) -> Iterator[ExternalCredential]:
    """The credentials of a CLR 2.0 bundle. The bundle's own proof (a Data Integrity proof, or
    the VC-JWT ``token`` that carries it) is verified first, with its dates and status: when it
    fails, the bundle is refused as a whole, as one credential, and nothing inside is
    considered. Then each credential inside is verified on its own; one without a proof of its
    own counts when the bundle's issuer is its issuer (the bundle's proof secures it)."""
    subject = doc.get("credentialSubject")
    inner = subject.get("verifiableCredential") if isinstance(subject, Mapping) else None
    if not isinstance(inner, list) or not inner:
        raise _fail(name, "a CLR without credentialSubject.verifiableCredential")
    outer = verify_credential(
        token if token is not None else doc,
        keys=options.keys,
        status_lists=options.status_lists,
        now=_moment(as_of),
        resolver=options.resolver(),
    )
    if outer.errors:
        facts = ExternalCredential(
            source=name,
            format="clr",
            issuer=_issuer(doc),
            id=doc.get("id") if isinstance(doc.get("id"), str) else None,
            name=doc.get("name") if isinstance(doc.get("name"), str) else None,
            issued=_date(doc.get("validFrom")) or _date(doc.get("issuanceDate")),
        )
        count = f"{len(inner)} credential{'s' if len(inner) != 1 else ''}"
        first, *rest = outer.errors
        yield _with(
            facts,
            refusal=reason_of(outer.errors),
            problems=(f"the CLR bundle is refused as a whole, none of its {count} considered: {first}", *rest),
            warnings=tuple(outer.warnings),
        )
        return
    holder = subject.get("id") if isinstance(subject, Mapping) and isinstance(subject.get("id"), str) else None
    for i, c in enumerate(inner):
        where = f"{name}#{i}"
        if not isinstance(c, str | dict):
            raise _fail(where, "an entry of the CLR's verifiableCredential is not a credential")
        facts = _ob3(c, as_of, options, where, "clr", secured_by=_issuer(doc))
        # the bundle's holder is the learner the inner credentials were issued to
        if not facts.subject_ids and holder is not None:
            facts = _with(facts, subject_ids=(holder,))
        if outer.warnings:
            facts = _with(facts, warnings=(*facts.warnings, *(f"the CLR bundle: {w}" for w in outer.warnings)))
        yield facts


# -- Open Badges 2.0 -----------------------------------------------------------------------


def _document(url: str, options: EvidenceOptions) -> tuple[dict[str, Any] | None, str | None]:
    path = options.documents.get(url) or options.status_lists.get(url)
    if path is None:
        return None, f"no local copy of {url} was given (--resolve {url}=FILE); microcred never fetches it"
    try:
        doc = json.loads(Path(path).read_bytes())
    except (OSError, ValueError, UnicodeDecodeError):
        return None, f"the local copy {path} of {url} cannot be read as JSON"
    if not isinstance(doc, dict):
        return None, f"the document of {url} is not a JSON object"
    return doc, None


def _unrevoked(doc: Mapping[str, Any]) -> dict[str, Any]:
    """An assertion without its revocation: the issuer revokes by changing its hosted copy."""
    return {k: v for k, v in doc.items() if k not in ("revoked", "revocationReason")}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _ob2(
    doc: dict[str, Any], as_of: dt.date, options: EvidenceOptions, name: str, token: str | None = None
) -> ExternalCredential:
    """An Open Badges 2.0 assertion, verified as hosted: the copy served at its id (given with
    ``--resolve``) must be the same assertion, on the issuer's origin, not revoked; or, given
    as the JWS ``token`` that carries it, as signed (:mod:`microcred.badges.ob2signed`). Its
    BadgeClass and Issuer are read from the assertion or from local copies."""
    problems: list[str] = []
    warnings: list[str] = []
    aid = doc.get("id") if isinstance(doc.get("id"), str) else None
    badge = doc.get("badge")
    badge_doc: Mapping[str, Any] = badge if isinstance(badge, Mapping) else {}
    if isinstance(badge, str):
        got, problem = _document(badge, options)
        if problem:
            problems.append(f"the BadgeClass cannot be read: {problem}")
        badge_doc = got or {}
    issuer_ref = badge_doc.get("issuer")
    issuer = (
        issuer_ref
        if isinstance(issuer_ref, str)
        else (
            issuer_ref.get("id") if isinstance(issuer_ref, Mapping) and isinstance(issuer_ref.get("id"), str) else None
        )
    )
    recipient = doc.get("recipient")
    idents: list[Identifier] = []
    if isinstance(recipient, Mapping) and isinstance(recipient.get("identity"), str):
        kind = str(recipient.get("type", "email"))
        idents.append(
            Identifier(
                "emailAddress" if kind == "email" else kind,
                str(recipient["identity"]),
                recipient.get("hashed") is True,
                str(recipient.get("salt") or ""),
            )
        )
    results = tuple(str(r) for r in _list(doc.get("result")) if isinstance(r, str | int | float))
    ctids: tuple[str, ...] = _ctids(
        {
            "alignment": [
                {"targetType": "ceterms:Credential", "targetCode": a.get("targetCode"), "targetUrl": a.get("targetUrl")}
                for a in _list(badge_doc.get("alignment"))
                if isinstance(a, Mapping)
            ]
        }
    )
    facts = ExternalCredential(
        source=name,
        format="ob2",
        issuer=issuer,
        id=aid,
        achievement=badge
        if isinstance(badge, str)
        else (badge_doc.get("id") if isinstance(badge_doc.get("id"), str) else None),
        name=badge_doc.get("name") if isinstance(badge_doc.get("name"), str) else None,
        ctids=ctids,
        competencies=competency_targets(badge_doc),
        issued=_date(doc.get("issuedOn")),
        valid_until=_date(doc.get("expires")),
        results=results,
        identifiers=tuple(idents),
    )
    verification = doc.get("verification")
    vtype = verification.get("type") if isinstance(verification, Mapping) else None
    if token is not None:
        profile: Mapping[str, Any] | None = issuer_ref if isinstance(issuer_ref, Mapping) else None
        if isinstance(issuer_ref, str):
            profile, problem = _document(issuer_ref, options)
            if problem is not None and options.documents.get(issuer_ref) is not None:
                problems.append(f"the issuer profile cannot be read: {problem}")
        found, warned = verify_signed_assertion(token, doc, profile, issuer, lambda url: _document(url, options))
        problems += found
        warnings += warned
    elif vtype in SIGNED_TYPES:
        problems.append(
            "a signed Open Badges 2.0 assertion given as plain JSON: its signature is lost; give the JWS "
            "(the .jwt file, or the baked image) instead"
        )
    elif vtype not in ("hosted", "HostedBadge"):
        problems.append(
            f"verification type {vtype!r}: an Open Badges 2.0 assertion is verified as hosted (give its "
            "hosted copy with --resolve) or as signed (give its JWS)"
        )
    elif aid is None or not aid.startswith("https://"):
        problems.append("the assertion's id is not an https URL, so it cannot be checked as hosted")
    else:
        hosted, problem = _document(aid, options)
        if problem or hosted is None:
            problems.append(f"cannot check the hosted assertion: {problem}")
        elif _unrevoked(hosted) != _unrevoked(doc):
            problems.append(f"the assertion differs from the copy hosted at {aid}: it was altered")
        elif hosted.get("revoked") is True:
            reason = hosted.get("revocationReason")
            problems.append(
                f"revoked: the hosted assertion {aid} is marked revoked" + (f" ({reason})" if reason else "")
            )
        allowed = verification.get("allowedOrigins") if isinstance(verification, Mapping) else None
        origins = {_origin(str(o)) if "://" in str(o) else f"https://{o}".lower() for o in _list(allowed)}
        if issuer and not origins:
            origins = {_origin(issuer)}
        if origins and _origin(aid) not in origins:
            problems.append(f"the assertion is hosted at {_origin(aid)}, not on the issuer's origin: not the issuer's")
    if issuer is None:
        problems.append("the BadgeClass names no issuer")
    listed = registries_naming(issuer, options.registries)
    facts = dataclasses.replace(facts, trusted_by=tuple(r.name for r, _entry in listed))
    if options.registries and not listed:
        names = ", ".join(r.name for r in options.registries)
        problems.append(f"the issuer {issuer} is on none of the trusted-issuer lists given ({names})")
    if facts.issued is None:
        problems.append("the assertion gives no issuedOn date")
    moment = _moment(as_of)
    window = {"validFrom": doc.get("issuedOn")} if isinstance(doc.get("issuedOn"), str) else {}
    if isinstance(doc.get("expires"), str):
        window["validUntil"] = doc["expires"]
    problems += check_validity(window, moment)
    return _refused(facts, problems, warnings) if problems else dataclasses.replace(facts, warnings=tuple(warnings))


__all__ = [
    "EvidenceError",
    "EvidenceOptions",
    "evidence_digest",
    "evidence_files",
    "for_learner",
    "learner_evidence",
    "options_digest",
    "read_evidence",
    "read_file",
    "reason_of",
]
