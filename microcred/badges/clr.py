"""CLR 2.0: a learner's whole record of earned credentials as one signed ``ClrCredential``.

The ``credentialSubject`` (a ``ClrSubject``) holds:

- ``verifiableCredential``: one Open Badges 3.0 credential (``OpenBadgeCredential``, which the
  OB 3.0 context also names ``AchievementCredential``) for every credential the learner has
  EARNED (status ``earned``: not expired, not in progress): with an Ed25519 key each is signed
  on its own (an ``eddsa-rdfc-2022`` Data Integrity proof), so that it stays verifiable when
  taken out of the record; with an RSA key (no Data Integrity suite) each is the plain
  credential, secured by the record's own VC-JWT (the CLR 2.0 schema admits only
  ``AchievementCredential`` objects there, not enveloped JWTs);
- ``association``: how those achievements stack, from the catalogue's credential graph —
  ``isChildOf`` for a direct stacking edge (the source stacks straight into the target) and
  ``isPartOf`` for every stack the source counts toward, directly or through others;
- ``identifier``: the learner as a salted hash of their email, as in each badge.

The record itself is signed like a badge: as a VC-JWT (``jwt``, RS256, ES256 or EdDSA) or with an
``eddsa-rdfc-2022`` proof (``json``, Ed25519 only).
"""

from __future__ import annotations

import datetime
import json
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519

from microcred.badges import CLR_FORMATS
from microcred.badges._codec import format_datetime
from microcred.badges.dataintegrity import sign_eddsa_rdfc_2022
from microcred.badges.errors import BadgeError
from microcred.badges.identity import check_issuer_key, multikey_method_id
from microcred.badges.jwt import sign_vc_jwt
from microcred.badges.keys import SigningKey
from microcred.badges.ob3 import (
    OB3_CONTEXT,
    OB3_EXTENSIONS_CONTEXT,
    SCHEMA_VALIDATOR,
    VC_CONTEXT,
    IssueOptions,
    build_credential,
    identity_hash,
    issuer_profile,
    subject_identifier,
)
from microcred.model.catalog import Catalog
from microcred.model.graph import build_graph, descendants, stacks_into
from microcred.model.result import LearnerResult

CLR_CONTEXT = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
CLR_SCHEMA = "https://purl.imsglobal.org/spec/clr/v2p0/schema/json/clr_v2p0_clrcredential_schema.json"
FORMATS = CLR_FORMATS


@dataclass(frozen=True)
class Association:
    """One CLR ``Association`` between two earned credentials (by catalogue id)."""

    association_type: str  # isChildOf | isPartOf
    source: str
    target: str


def earned_credentials(result: LearnerResult) -> list[str]:
    """Ids of the credentials the learner holds now (status ``earned``), in catalogue order."""
    return [cid for cid, r in result.credentials.items() if r.status == "earned" and r.earned_on is not None]


def stacking_associations(catalog: Catalog, earned: list[str]) -> list[Association]:
    """``isChildOf`` (direct stacking edges) and ``isPartOf`` (every stack, also through
    others) between the ``earned`` credentials, from the credential graph."""
    g = build_graph(catalog, courses=False)
    held = set(earned)
    out: list[Association] = []
    for source in earned:
        direct = set(stacks_into(g, source)) & held
        for target in sorted(direct):
            out.append(Association("isChildOf", source, target))
        for target in sorted(descendants(g, source) & held):
            if target != source:
                out.append(Association("isPartOf", source, target))
    return out


def _sign_inner(credential: dict[str, Any], key: SigningKey, verification_method: str, created: str) -> Any:
    if isinstance(key.private_key, ed25519.Ed25519PrivateKey):
        return sign_eddsa_rdfc_2022(credential, key, verification_method, created)
    return credential


def default_verification_method(key: SigningKey, issuer_id: str) -> str:
    """The issuer's verification method of ``key``, as ``badge issue`` writes it:
    ``{issuer id}#{Multikey}`` for a did:web or https issuer, the key's did:key for a did:key
    issuer (BadgeError when the key is not that did:key)."""
    return multikey_method_id(issuer_id, key)


def build_clr(
    catalog: Catalog,
    result: LearnerResult,
    key: SigningKey,
    *,
    email: str | None,
    salt: str | None = None,
    valid_from: datetime.datetime | None = None,
    clr_id: str | None = None,
    verification_method: str | None = None,
    achievement_base_url: str | None = None,
    grades: bool = True,
) -> dict[str, Any]:
    """The (unsigned) ``ClrCredential`` of the learner, its earned credentials signed inside.

    Raises :class:`BadgeError` when the learner has earned nothing or has no email.
    """
    earned = earned_credentials(result)
    if not earned:
        raise BadgeError(
            f"learner {result.learner_id} has earned no credential of the catalogue yet: there is nothing "
            "to put in a Comprehensive Learner Record"
        )
    if not email or "@" not in email:
        raise BadgeError(
            f"learner {result.learner_id} has no email: the record identifies its learner by a hashed email "
            "(add learner.email to the transcript)"
        )
    salt = salt if salt is not None else secrets.token_hex(16)
    now = valid_from or datetime.datetime.now(datetime.UTC)
    created = format_datetime(now)
    issuer = issuer_profile(catalog)
    check_issuer_key(issuer["id"], key)
    if verification_method is None and isinstance(key.private_key, ed25519.Ed25519PrivateKey):
        verification_method = default_verification_method(key, issuer["id"])
    inner: list[Any] = []
    achievement_ids: dict[str, str] = {}
    for cid in earned:
        opts = IssueOptions(email=email, salt=salt, achievement_base_url=achievement_base_url, grades=grades)
        badge = build_credential(catalog, result, cid, opts)
        achievement_ids[cid] = badge["credentialSubject"]["achievement"]["id"]
        inner.append(_sign_inner(badge, key, verification_method or "", created))
    subject: dict[str, Any] = {
        "id": subject_identifier(issuer["id"], result.learner_id),
        "type": ["ClrSubject"],
        "identifier": [
            {
                "type": "IdentityObject",
                "identityHash": identity_hash(email, salt),
                "identityType": "emailAddress",
                "hashed": True,
                "salt": salt,
            }
        ],
        "verifiableCredential": inner,
    }
    associations = stacking_associations(catalog, earned)
    if associations:
        subject["association"] = [
            {
                "type": "Association",
                "associationType": a.association_type,
                "sourceId": achievement_ids[a.source],
                "targetId": achievement_ids[a.target],
            }
            for a in associations
        ]
    return {
        "@context": [VC_CONTEXT, CLR_CONTEXT, OB3_CONTEXT, OB3_EXTENSIONS_CONTEXT],
        "id": clr_id or f"urn:uuid:{uuid.uuid4()}",
        "type": ["VerifiableCredential", "ClrCredential"],
        "issuer": issuer,
        "name": f"{issuer['name']}: comprehensive learner record",
        "description": (
            f"The {len(earned)} credential{'s' if len(earned) != 1 else ''} the learner holds from "
            f"{issuer['name']} as of {result.as_of.isoformat()}, and how they stack."
        ),
        "validFrom": created,
        "awardedDate": created,
        "credentialSubject": subject,
        "credentialSchema": [{"id": CLR_SCHEMA, "type": SCHEMA_VALIDATOR}],
    }


def issue_clr(
    catalog: Catalog,
    result: LearnerResult,
    key: SigningKey,
    *,
    format: str = "jwt",
    email: str | None,
    **kwargs: Any,
) -> str:
    """The signed CLR as text: a compact VC-JWT (``jwt``) or JSON with a proof (``json``).

    Further keyword arguments go to :func:`build_clr`.
    """
    if format not in FORMATS:
        raise BadgeError(f"unknown CLR format {format!r}; use jwt or json")
    if format == "json" and not isinstance(key.private_key, ed25519.Ed25519PrivateKey):
        raise BadgeError("the json format signs with eddsa-rdfc-2022, which needs an Ed25519 key; this key is RSA")
    clr = build_clr(catalog, result, key, email=email, **kwargs)
    if format == "jwt":
        return sign_vc_jwt(clr, key)
    vm = kwargs.get("verification_method") or default_verification_method(key, clr["issuer"]["id"])
    signed = sign_eddsa_rdfc_2022(clr, key, vm, clr["validFrom"])
    return json.dumps(signed, indent=2, ensure_ascii=False) + "\n"


__all__ = [
    "CLR_CONTEXT",
    "FORMATS",
    "Association",
    "build_clr",
    "default_verification_method",
    "earned_credentials",
    "issue_clr",
    "stacking_associations",
]
