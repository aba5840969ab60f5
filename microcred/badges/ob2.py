"""Open Badges 2.0 export, for platforms that import only 2.0 badges.

A hosted 2.0 badge is three JSON documents, each at the URL that is its ``id``, plus an image:

- the **Issuer** profile at ``{base}/issuer.json``;
- the **BadgeClass** (what the credential is) at ``{base}/badges/{credential}.json``, its image
  at ``{base}/badges/{credential}.png`` (or ``.svg``);
- the **Assertion** (this learner earned it) at ``{base}/assertions/{uid}.json`` with
  ``verification: {type: hosted}``, the recipient as a salted SHA-256 hash of the learner's
  email (``sha256$…``), and the baked image at ``{base}/assertions/{uid}.png``: the BadgeClass
  image with the assertion JSON in an ``iTXt`` chunk keyword ``openbadges`` (SVG:
  ``<openbadges:assertion verify="…">``).

:func:`export_ob2` builds them; :func:`write_ob2` writes them under a directory laid out like
the URLs, ready to be uploaded to ``base_url``. The assertion's ``uid`` is derived from the
catalogue, credential, learner and date, so exporting again replaces the same hosted file.
Hosted assertions are public: grades are left out of the evidence unless asked for.
"""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from microcred.badges.bake import PNG_SIGNATURE, bake_png, bake_svg
from microcred.badges.errors import BadgeError
from microcred.badges.ob3 import MICROCRED_NS, build_evidence, identity_hash
from microcred.io.atomicfile import write_atomically
from microcred.model.catalog import Catalog
from microcred.model.figures import percent_text
from microcred.model.result import CredentialResult, LearnerResult

OB2_CONTEXT = "https://w3id.org/openbadges/v2"


def check_base_url(base_url: str) -> str:
    """``base_url`` without its trailing slash; BadgeError unless it is an absolute http(s) URL."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise BadgeError(
            f"the base URL {base_url!r} must be an absolute http(s) URL without query or fragment, "
            "e.g. https://badges.example.edu/ob2"
        )
    return base_url.rstrip("/")


@dataclass
class Ob2Urls:
    """Where each document of one exported badge is hosted, and its path under the output folder."""

    base: str
    credential_id: str
    uid: str
    image_ext: str = "png"

    def _path(self, *parts: str) -> str:
        return "/".join(parts)

    @property
    def issuer_path(self) -> str:
        return "issuer.json"

    @property
    def badge_class_path(self) -> str:
        return self._path("badges", quote(self.credential_id, safe="") + ".json")

    @property
    def badge_image_path(self) -> str:
        return self._path("badges", quote(self.credential_id, safe="") + "." + self.image_ext)

    @property
    def assertion_path(self) -> str:
        return self._path("assertions", self.uid + ".json")

    @property
    def baked_image_path(self) -> str:
        return self._path("assertions", self.uid + "." + self.image_ext)

    def url(self, path: str) -> str:
        return f"{self.base}/{path}"


@dataclass
class Ob2Export:
    """The documents of one Open Badges 2.0 hosted badge, by path relative to ``base_url``."""

    urls: Ob2Urls
    issuer: dict[str, Any]
    badge_class: dict[str, Any]
    assertion: dict[str, Any]
    image: bytes | None = None
    baked: bytes | None = None
    warnings: list[str] = field(default_factory=list)

    def files(self) -> dict[str, bytes]:
        """Relative path → content of every file to host."""
        out = {
            self.urls.issuer_path: _json(self.issuer),
            self.urls.badge_class_path: _json(self.badge_class),
            self.urls.assertion_path: _json(self.assertion),
        }
        if self.image is not None:
            out[self.urls.badge_image_path] = self.image
        if self.baked is not None:
            out[self.urls.baked_image_path] = self.baked
        return out


def _json(doc: dict[str, Any]) -> bytes:
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def build_issuer(catalog: Catalog, urls: Ob2Urls) -> dict[str, Any]:
    """The 2.0 Issuer profile (``url`` is required in 2.0: the issuer's, else the base URL)."""
    info = catalog.info
    issuer = info.issuer if info else None
    name = issuer.name if issuer else (info.name if info else catalog.id)
    doc: dict[str, Any] = {
        "@context": OB2_CONTEXT,
        "type": "Issuer",
        "id": urls.url(urls.issuer_path),
        "name": name,
        "url": issuer.url if issuer and issuer.url else urls.base,
    }
    if issuer and issuer.email:
        doc["email"] = issuer.email
    description = (issuer.description if issuer else None) or (info.description if info else None)
    if description:
        doc["description"] = description
    if issuer and issuer.image:
        doc["image"] = issuer.image
    return doc


def build_badge_class(catalog: Catalog, credential_id: str, urls: Ob2Urls, image_url: str) -> dict[str, Any]:
    """The 2.0 BadgeClass of a catalogue credential."""
    cred = catalog.credentials.get(credential_id)
    if cred is None:
        raise BadgeError(f"no credential {credential_id!r} in the catalogue")
    doc: dict[str, Any] = {
        "@context": OB2_CONTEXT,
        "type": "BadgeClass",
        "id": urls.url(urls.badge_class_path),
        "name": cred.title,
        "description": cred.description or cred.title,
        "image": image_url,
        "criteria": {"narrative": cred.criteria or f"Meet the requirements of {cred.title}."},
        "issuer": urls.url(urls.issuer_path),
    }
    alignments = [
        {
            "targetName": a.target_name,
            "targetUrl": a.target_url,
            **({"targetFramework": a.target_framework} if a.target_framework else {}),
            **({"targetCode": a.target_code} if a.target_code else {}),
        }
        for a in cred.alignments
        if a.target_url  # 2.0 requires targetUrl
    ]
    if alignments:
        doc["alignment"] = alignments
    if cred.tags:
        doc["tags"] = list(cred.tags)
    return doc


def _iso(d: Any) -> str:
    return f"{d.isoformat()}T00:00:00Z"


def refusal(learner: str, credential_id: str, r: CredentialResult) -> str:
    """Why a credential the learner holds no current award of cannot be exported."""
    if r.status == "expired":
        return f"learner {learner} earned {credential_id} but it expired on {r.expires_on}; it is not exported"
    how = f"status {r.status}"
    if r.status in ("partial", "in_progress"):
        how += f", progress {percent_text(r.progress)}"
    missing = f"; missing: {'; '.join(r.missing[:5])}" if r.missing else ""
    return f"learner {learner} has not earned {credential_id} ({how}){missing}"


def assertion_uid(catalog: Catalog, result: LearnerResult, credential_id: str) -> str:
    """A stable id of the award: the same learner, credential and date give the same uid."""
    r = result.credentials[credential_id]
    key = "\x1f".join(("ob2-assertion", catalog.id, credential_id, result.learner_id, str(r.earned_on)))
    return str(uuid.uuid5(MICROCRED_NS, key))


def image_kind(image: bytes) -> str:
    """``"png"`` or ``"svg"``: what a badge image is, from its first bytes; else :class:`BadgeError`."""
    if image.startswith(PNG_SIGNATURE):
        return "png"
    head = image[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<?xml") or head.startswith(b"<svg") or head.startswith(b"<!--") or b"<svg" in head:
        return "svg"
    raise BadgeError("the badge image must be a PNG or an SVG")


def export_ob2(
    catalog: Catalog,
    result: LearnerResult,
    credential_id: str,
    *,
    base_url: str,
    email: str | None,
    image: bytes | None = None,
    salt: str | None = None,
    grades: bool = False,
) -> Ob2Export:
    """The hosted Open Badges 2.0 documents of an earned credential, and its baked image.

    ``image`` (PNG or SVG bytes) becomes the BadgeClass image and is baked with the
    assertion; without it the catalogue's ``image:`` URL of the credential is used, and no
    baked image is made. Raises :class:`BadgeError` with the reason when the credential is
    unknown or not earned (or expired), the learner has no email, or there is no image.
    """
    base = check_base_url(base_url)
    cred = catalog.credentials.get(credential_id)
    if cred is None:
        raise BadgeError(f"no credential {credential_id!r} in the catalogue")
    r = result.credentials.get(credential_id)
    if r is None:
        raise BadgeError(f"{credential_id} was not evaluated for learner {result.learner_id}")
    if r.status != "earned" or r.earned_on is None:
        raise BadgeError(refusal(result.learner_id, credential_id, r))
    if not email or "@" not in email:
        raise BadgeError(
            f"learner {result.learner_id} has no email: an Open Badges 2.0 recipient is a hashed email "
            "(add learner.email to the transcript)"
        )
    ext = image_kind(image) if image is not None else "png"
    urls = Ob2Urls(base, credential_id, assertion_uid(catalog, result, credential_id), ext)
    if image is not None:
        image_url = urls.url(urls.badge_image_path)
    elif cred.image:
        image_url = cred.image
    else:
        raise BadgeError(
            f"an Open Badges 2.0 BadgeClass needs an image: pass one (--image badge.png) or set `image:` "
            f"on credential {credential_id} in the catalogue"
        )
    salt = salt if salt is not None else secrets.token_hex(16)
    assertion: dict[str, Any] = {
        "@context": OB2_CONTEXT,
        "type": "Assertion",
        "id": urls.url(urls.assertion_path),
        "recipient": {"type": "email", "hashed": True, "salt": salt, "identity": identity_hash(email, salt)},
        "badge": urls.url(urls.badge_class_path),
        "verification": {"type": "hosted"},
        "issuedOn": _iso(r.earned_on),
    }
    if r.expires_on is not None:
        assertion["expires"] = _iso(r.expires_on)
    if image is not None:
        assertion["image"] = urls.url(urls.baked_image_path)
    evidence = [
        {"type": "Evidence", "name": e["name"], "narrative": e["narrative"]}
        for e in build_evidence(catalog, r, grades=grades)
    ]
    if evidence:
        assertion["evidence"] = evidence
    warnings = [
        f"alignment {a.target_name!r} of {credential_id} has no target_url and is left out (2.0 requires one)"
        for a in cred.alignments
        if not a.target_url
    ]
    baked = None
    if image is not None:
        text = json.dumps(assertion, ensure_ascii=False)
        baked = bake_png(image, text, keyword="openbadges") if ext == "png" else bake_svg(image, text, version=2)
    return Ob2Export(
        urls=urls,
        issuer=build_issuer(catalog, urls),
        badge_class=build_badge_class(catalog, credential_id, urls, image_url),
        assertion=assertion,
        image=image,
        baked=baked,
        warnings=warnings,
    )


def write_ob2(export: Ob2Export, out_dir: Path) -> list[Path]:
    """Write every file of ``export`` under ``out_dir`` (laid out like the URLs); their paths."""
    written: list[Path] = []
    for rel, content in export.files().items():
        path = Path(out_dir, *rel.split("/"))
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(path, content)
        except OSError as exc:
            raise BadgeError(f"cannot write {path}: {exc.strerror or exc}") from None
        written.append(path)
    return written


__all__ = [
    "OB2_CONTEXT",
    "Ob2Export",
    "Ob2Urls",
    "build_badge_class",
    "build_issuer",
    "check_base_url",
    "export_ob2",
    "write_ob2",
]
