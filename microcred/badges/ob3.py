"""Build an Open Badges 3.0 ``OpenBadgeCredential`` (VC Data Model 2.0) for an earned credential.

The achievement comes from the catalogue (id, name, description, criteria, achievementType,
creditsAvailable, alignments, image, tags); the issuer Profile from ``catalog.issuer``; the
recipient is identified by a salted SHA-256 hash of the learner's email (an IdentityObject),
never by the plain address; the evidence lists the attempts that earned the credential.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from microcred.badges._codec import format_datetime
from microcred.badges.competencies import ob3_alignments
from microcred.badges.errors import BadgeError
from microcred.model.catalog import Catalog, Credential
from microcred.model.figures import percent_text
from microcred.model.result import CredentialResult, LearnerResult

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB3_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB3_CONTEXT_PREFIX = "https://purl.imsglobal.org/spec/ob/v3p0/context"
OB3_EXTENSIONS_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
#: the 1EdTech JSON schema a credential names in ``credentialSchema``
OB3_SCHEMA = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
SCHEMA_VALIDATOR = "1EdTechJsonSchemaValidator2019"

#: catalogue credential type → OB 3.0 AchievementType (anything else becomes "ext:<type>")
ACHIEVEMENT_TYPES: dict[str, str] = {
    "badge": "Badge",
    "microcredential": "MicroCredential",
    "certificate": "Certificate",
    "associate": "AssociateDegree",
    "bachelor": "BachelorDegree",
}
#: OB 3.0 AlignmentTargetType values (others are written as "ext:<value>")
ALIGNMENT_TARGET_TYPES = frozenset(
    {
        "ceasn:Competency",
        "ceterms:Credential",
        "CFItem",
        "CFRubric",
        "CFRubricCriterion",
        "CFRubricCriterionLevel",
        "CTDL",
    }
)
#: namespace of the deterministic urn:uuid ids microcred derives
MICROCRED_NS = uuid.UUID("6c1b0e55-7a0e-5b8e-9d59-6d6963726f63")


def achievement_type(credential_type: str) -> str:
    """OB 3.0 ``achievementType`` of a catalogue type: badge→Badge … else ``ext:<type>``."""
    return ACHIEVEMENT_TYPES.get(credential_type, "ext:" + credential_type)


def identity_hash(email: str, salt: str) -> str:
    """``sha256$`` + hex(sha256(email + salt)), the email trimmed and lower-cased."""
    return "sha256$" + hashlib.sha256((email.strip().lower() + salt).encode("utf-8")).hexdigest()


def _urn(*parts: str) -> str:
    return "urn:uuid:" + str(uuid.uuid5(MICROCRED_NS, "\x1f".join(parts)))


def _has_scheme(value: str) -> bool:
    scheme, sep, _ = value.partition(":")
    return bool(sep) and bool(scheme) and scheme[0].isalpha() and all(c.isalnum() or c in "+-." for c in scheme)


def issuer_profile(catalog: Catalog) -> dict[str, Any]:
    """The issuer ``Profile`` from ``catalog.issuer`` (falling back to the catalogue's name).

    The id is ``catalog.issuer.id``, else ``catalog.issuer.url``; an issuer with neither is a
    :class:`BadgeError`: a verifier could not tell who issued the badge.
    """
    info = catalog.info
    issuer = info.issuer if info else None
    name = issuer.name if issuer else (info.name if info else catalog.id)
    if issuer and issuer.id:
        if not _has_scheme(issuer.id):
            raise BadgeError(f"catalog.issuer.id {issuer.id!r} is not a URI; an issuer id must be one")
        ident = issuer.id
    elif issuer and issuer.url:
        ident = issuer.url
    else:
        raise BadgeError(
            "the catalogue's issuer has no id, so no verifier could tell who issued the badge: add "
            "catalog.issuer.id (a did:web such as did:web:example.edu, an https URL the issuer serves, or "
            "the did:key of the signing key), then publish its keys with `microcred keys publish`"
        )
    profile: dict[str, Any] = {"id": ident, "type": ["Profile"], "name": name}
    if issuer:
        if issuer.url:
            profile["url"] = issuer.url
        if issuer.email:
            profile["email"] = issuer.email
        if issuer.description:
            profile["description"] = issuer.description
        if issuer.image:
            profile["image"] = {"id": issuer.image, "type": "Image"}
    return profile


def achievement_id(catalog: Catalog, credential_id: str, base_url: str | None = None) -> str:
    """``<base_url>/<credential id>`` when a base URL is given, else a stable ``urn:uuid``."""
    if base_url:
        return base_url.rstrip("/") + "/" + quote(credential_id, safe="")
    return _urn("achievement", catalog.id, credential_id)


def _alignment(a: Any) -> dict[str, Any] | None:
    if not a.target_url:
        return None  # OB 3.0 requires targetUrl
    out: dict[str, Any] = {"type": ["Alignment"], "targetName": a.target_name, "targetUrl": a.target_url}
    if a.target_framework:
        out["targetFramework"] = a.target_framework
    if a.target_code:
        out["targetCode"] = a.target_code
    if a.target_type:
        tt = a.target_type
        out["targetType"] = tt if tt in ALIGNMENT_TARGET_TYPES or tt.startswith("ext:") else "ext:" + tt
    return out


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def build_achievement(
    catalog: Catalog, credential_id: str, *, base_url: str | None = None, creator: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The OB 3.0 ``Achievement`` of a catalogue credential."""
    cred: Credential | None = catalog.credentials.get(credential_id)
    if cred is None:
        raise BadgeError(f"no credential {credential_id!r} in the catalogue")
    achievement: dict[str, Any] = {
        "id": achievement_id(catalog, credential_id, base_url),
        "type": ["Achievement"],
        "name": cred.title,
        "description": cred.description or cred.title,
        "criteria": {"narrative": cred.criteria or f"Meet the requirements of {cred.title} in the catalogue."},
        "achievementType": achievement_type(cred.type),
    }
    if cred.credits is not None:
        achievement["creditsAvailable"] = _number(cred.credits)
    alignments = [x for x in (_alignment(a) for a in cred.alignments) if x is not None]
    alignments += ob3_alignments(catalog, credential_id, lambda cid: achievement_id(catalog, cid, base_url))
    if alignments:
        achievement["alignment"] = alignments
    if cred.image:
        achievement["image"] = {"id": cred.image, "type": "Image"}
    if cred.tags:
        achievement["tag"] = list(cred.tags)
    achievement["humanCode"] = cred.id
    if creator:
        achievement["creator"] = creator
    return achievement


def build_evidence(catalog: Catalog, result: CredentialResult, *, grades: bool = True) -> list[dict[str, Any]]:
    """One ``Evidence`` per attempt (or awarded credential) counted toward the credential."""
    evidence = []
    for a in result.applied:
        course = catalog.courses.get(a.course)
        owner = catalog.credentials.get(a.owner)
        name = f"{a.course} {course.title}" if course else a.course
        toward = owner.title if owner else a.owner
        where = a.label or ("" if "[" in a.node or a.node == "requires" else a.node)
        parts = [f"{a.status.replace('_', ' ').capitalize()}"]
        if a.date:
            parts.append(f"on {a.date.isoformat()}")
        if grades and a.grade:
            parts.append(f"with grade {a.grade}")
        credits = _number(a.credits)
        parts.append(f"({credits} credit{'' if credits == 1 else 's'})")
        narrative = " ".join(parts) + f"; counted toward {toward}" + (f": {where}." if where else ".")
        if a.substituted_for:
            narrative += f" Substituted for {a.substituted_for}."
        evidence.append({"type": ["Evidence"], "name": name, "narrative": narrative})
    return evidence


@dataclass
class IssueOptions:
    """How a credential is written. Everything has a sensible default."""

    #: the learner's email (required: the recipient is identified by its salted hash)
    email: str | None = None
    #: the salt of the identity hash; default: 16 random bytes, hex
    salt: str | None = None
    #: the credential's own id; default: a random urn:uuid
    credential_uri: str | None = None
    #: credentialSubject.id (e.g. the learner's DID), also the JWT ``sub``; default: the
    #: learner id when it is a DID, URN or URL, else a stable ``urn:uuid`` of the issuer and learner id;
    #: ``""`` for none
    subject_id: str | None = None
    #: the achievement's image (URL or data: URI) when the catalogue gives none
    achievement_image: str | None = None
    #: base URL of achievement ids; default: a stable urn:uuid per catalogue and credential
    achievement_base_url: str | None = None
    #: include grades in the evidence
    grades: bool = True
    #: extra top-level properties (e.g. credentialStatus)
    extra: dict[str, Any] = field(default_factory=dict)


def _refusal(learner: str, cid: str, r: CredentialResult) -> str:
    if r.status == "expired":
        return f"learner {learner} earned {cid} but it expired on {r.expires_on}: an expired credential is not issued"
    how = f"status {r.status}"
    if r.status in ("partial", "in_progress"):
        how += f", progress {percent_text(r.progress)}"
    missing = f"; missing: {'; '.join(r.missing[:5])}" if r.missing else ""
    return f"learner {learner} has not earned {cid} ({how}){missing}"


def build_credential(
    catalog: Catalog,
    result: LearnerResult,
    credential_id: str,
    options: IssueOptions | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """An unsigned ``OpenBadgeCredential`` for ``credential_id``, which the learner must have earned.

    ``options`` (or the same names as keyword arguments) set the email, salt, ids … (see
    :class:`IssueOptions`). Raises :class:`BadgeError` with the reason when the credential is
    unknown, not earned, expired, or the learner has no email.
    """
    opts = options or IssueOptions()
    for k, v in kwargs.items():
        if not hasattr(opts, k):
            raise TypeError(f"build_credential() got an unexpected keyword argument {k!r}")
        setattr(opts, k, v)
    if credential_id not in catalog.credentials:
        raise BadgeError(f"no credential {credential_id!r} in the catalogue")
    r = result.credentials.get(credential_id)
    if r is None:
        raise BadgeError(f"{credential_id} was not evaluated for learner {result.learner_id}")
    if r.status != "earned" or r.earned_on is None:
        raise BadgeError(_refusal(result.learner_id, credential_id, r))
    if not opts.email or "@" not in opts.email:
        raise BadgeError(
            f"learner {result.learner_id} has no email: the badge identifies its recipient by a hashed "
            "email (add learner.email to the transcript)"
        )
    salt = opts.salt if opts.salt is not None else secrets.token_hex(16)
    issuer = issuer_profile(catalog)
    cred = catalog.credentials[credential_id]
    subject: dict[str, Any] = {"type": ["AchievementSubject"]}
    subject_id = subject_identifier(issuer["id"], result.learner_id) if opts.subject_id is None else opts.subject_id
    if subject_id:
        if not _has_scheme(subject_id):
            raise BadgeError(f"the subject id {subject_id!r} is not a URI")
        subject["id"] = subject_id
    subject["identifier"] = [
        {
            "type": "IdentityObject",
            "identityHash": identity_hash(opts.email, salt),
            "identityType": "emailAddress",
            "hashed": True,
            "salt": salt,
        }
    ]
    subject["achievement"] = build_achievement(catalog, credential_id, base_url=opts.achievement_base_url)
    if "image" not in subject["achievement"] and opts.achievement_image:
        subject["achievement"]["image"] = {"id": opts.achievement_image, "type": "Image"}
    if cred.credits is not None:
        subject["creditsEarned"] = _number(cred.credits)
    credential: dict[str, Any] = {
        "@context": [VC_CONTEXT, OB3_CONTEXT, OB3_EXTENSIONS_CONTEXT],
        "id": opts.credential_uri or f"urn:uuid:{uuid.uuid4()}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": issuer,
        "name": cred.title,
        "validFrom": format_datetime(r.earned_on),
    }
    if r.expires_on is not None:
        credential["validUntil"] = format_datetime(r.expires_on)
    credential["awardedDate"] = format_datetime(r.earned_on)
    credential["credentialSubject"] = subject
    evidence = build_evidence(catalog, r, grades=opts.grades)
    if evidence:
        credential["evidence"] = evidence
    credential["credentialSchema"] = [{"id": OB3_SCHEMA, "type": SCHEMA_VALIDATOR}]
    credential.update(opts.extra)
    return credential


def subject_identifier(issuer_id: str, learner_id: str) -> str:
    """``credentialSubject.id`` of a learner: the learner id when it is a DID, URN or URL,
    else a ``urn:uuid`` derived from the issuer and learner ids, the same in every badge the
    issuer gives the learner (a pseudonym: the learner id itself is not in the badge)."""
    if learner_id.startswith(("did:", "urn:", "https://", "http://")) and _has_scheme(learner_id):
        return learner_id
    return _urn("learner", issuer_id, learner_id)


def alignment_warnings(catalog: Catalog, credential_id: str) -> list[str]:
    """Catalogue alignments left out of the badge (OB 3.0 requires a targetUrl)."""
    cred = catalog.credentials.get(credential_id)
    if cred is None:
        return []
    return [
        f"alignment {a.target_name!r} of {credential_id} has no target_url and is left out of the badge"
        for a in cred.alignments
        if not a.target_url
    ]


__all__ = [
    "ACHIEVEMENT_TYPES",
    "IssueOptions",
    "achievement_type",
    "alignment_warnings",
    "build_achievement",
    "build_credential",
    "build_evidence",
    "identity_hash",
    "issuer_profile",
    "subject_identifier",
]
