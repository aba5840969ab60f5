"""Recognition of learning done elsewhere, as data: the catalogue's recognition rules
(docs/recognition.md), the record of an external credential as verified, and what became of
it. What the rules mean is in :mod:`microcred.rules.recognition`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import Field, StrictFloat, StrictInt, StrictStr, model_validator

from microcred.model.dates import Date
from microcred.model.modelbase import Strict

#: why an external credential did not count (stable words, in the JSON ``reason``)
REASONS = (
    "invalid",  # malformed, or its proof does not verify (tampered, bad signature)
    "untrusted_issuer",  # on no trusted-issuer list given, or its key is not the issuer's
    "revoked",
    "expired",
    "not_yet_valid",
    "wrong_recipient",
    "superseded",  # a newer copy of the same credential (same issuer and id) replaces it
    "no_rule",
    "outside_window",
    "below_minimum",
    "capped",
)


OneOrMore = StrictStr | Annotated[list[StrictStr], Field(min_length=1)]


def _as_list(value: str | list[str] | None) -> list[str] | None:
    return [value] if isinstance(value, str) else value


class Match(Strict):
    """What an external credential must be for a rule to apply (each key one value or a list)."""

    issuer: OneOrMore | None = Field(
        default=None, description="Issuer id(s): a DID or URL, as the credential's issuer.id gives it."
    )
    achievement: OneOrMore | None = Field(
        default=None, description="Achievement id(s) (OB 3.0 achievement.id, OB 2.0 BadgeClass id)."
    )
    ctid: OneOrMore | None = Field(
        default=None, description="Credential Engine CTID(s): achievement.otherIdentifier or a ceterms alignment."
    )
    competency: OneOrMore | None = Field(
        default=None,
        description="Competency URI(s) or framework:code(s) of the catalogue's frameworks: an achievement "
        "alignment (CFItem, ceasn:Competency) naming one of them.",
    )

    @property
    def issuers(self) -> list[str] | None:
        return _as_list(self.issuer)

    @property
    def achievements(self) -> list[str] | None:
        return _as_list(self.achievement)

    @property
    def ctids(self) -> list[str] | None:
        return _as_list(self.ctid)

    @property
    def competencies(self) -> list[str] | None:
        return _as_list(self.competency)

    @property
    def needs_trust(self) -> bool:
        """Whether the rule names no issuer: it matches by CTID or competency alone, which
        anyone can claim, so a trusted-issuer list must vouch for the issuer."""
        return self.issuer is None

    @model_validator(mode="after")
    def _enough(self) -> Match:
        if self.ctid is None and self.competency is None and (self.issuer is None or self.achievement is None):
            raise ValueError("match needs `issuer` and `achievement`, or `ctid`, or `competency`")
        return self


class Grant(Strict):
    """What a recognised credential counts as: a credential (awarded) or a course equivalent."""

    credential: StrictStr | None = Field(default=None, description="Awarded as this catalogue credential.")
    course: StrictStr | None = Field(default=None, description="Counts as a transfer attempt of this course.")
    credits: Annotated[float, Field(ge=0)] | None = Field(
        default=None, description="Course equivalent: its credits (default: the course's catalogue credits)."
    )
    grade: StrictStr = Field(default="TR", description="Course equivalent: the grade it carries (default TR).")

    @model_validator(mode="before")
    @classmethod
    def _number(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("credits"), int) and not isinstance(data["credits"], bool):
            return {**data, "credits": float(data["credits"])}
        return data

    @model_validator(mode="after")
    def _one(self) -> Grant:
        if (self.credential is None) == (self.course is None):
            raise ValueError("grant exactly one of `credential` or `course`")
        if self.credential is not None and self.credits is not None:
            raise ValueError(
                "`credits` goes with a `course` grant; an awarded credential carries its catalogue credits"
            )
        return self


class RecognitionRule(Strict):
    """One recognition rule of the catalogue (extension; docs/recognition.md)."""

    id: Annotated[StrictStr, Field(min_length=1)]
    label: StrictStr | None = None
    match: Match
    grants: Grant
    valid_from: Date | None = Field(default=None, description="Credentials issued before this date are not accepted.")
    valid_until: Date | None = Field(default=None, description="Credentials issued on or after it are not accepted.")
    min_result: StrictStr | StrictInt | StrictFloat | None = Field(
        default=None, description="The least result the credential must carry (a number or a grade)."
    )
    note: StrictStr | None = None

    def describe(self) -> str:
        g = self.grants
        if g.credential is not None:
            return f"credential {g.credential}"
        return f"course {g.course}" + (f" ({g.credits:g} credits, {g.grade})" if g.credits is not None else "")


# -- evidence, as verified elsewhere -------------------------------------------------------


@dataclass(frozen=True)
class Identifier:
    """A recipient identifier of a credential (OB 3.0 IdentityObject / OB 2.0 recipient)."""

    kind: str  # identityType: emailAddress, studentId, …
    value: str  # the identity hash (``sha256$…``) or the plain value
    hashed: bool
    salt: str = ""


@dataclass(frozen=True)
class ExternalCredential:
    """One external credential read from a learner's evidence, with the verdict on it.

    ``refusal`` is None when it verified (proof, issuer key, trust, status, dates); otherwise
    one of :data:`REASONS` and ``problems`` says why in full.
    """

    source: str
    format: str
    issuer: str | None = None
    id: str | None = None
    achievement: str | None = None
    name: str | None = None
    ctids: tuple[str, ...] = ()
    #: what the achievement's competency alignments (targetType CFItem or ceasn:Competency, or
    #: none given) point at: their targetUrl and targetCode values, as written
    competencies: tuple[str, ...] = ()
    issued: dt.date | None = None
    valid_until: dt.date | None = None
    results: tuple[str, ...] = ()
    subject_ids: tuple[str, ...] = ()
    identifiers: tuple[Identifier, ...] = ()
    refusal: str | None = None
    problems: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    #: the trusted-issuer lists (by name) that list the issuer
    trusted_by: tuple[str, ...] = ()


@dataclass
class Outcome:
    """What became of one external credential: recognised (with the rule) or refused (why)."""

    evidence: ExternalCredential
    status: str  # recognised | refused
    reason: str | None = None
    message: str = ""
    rule: str | None = None
    grants: Grant | None = None
    #: the credentials of the catalogue it counted toward (filled in after evaluation)
    counted_toward: list[str] = field(default_factory=list)
    #: credentials where a cap kept it from counting
    capped_in: list[str] = field(default_factory=list)

    def grants_text(self) -> str:
        g = self.grants
        if g is None:
            return "nothing"
        if g.credential is not None:
            return f"credential {g.credential}"
        return f"course {g.course} ({g.credits or 0:g} credits, grade {g.grade})"

    def to_json(self) -> dict[str, Any]:
        e = self.evidence
        out: dict[str, Any] = {
            "source": e.source,
            "format": e.format,
            "issuer": e.issuer,
            "id": e.id,
            "achievement": e.achievement,
            "name": e.name,
            "issued": e.issued.isoformat() if e.issued else None,
            "status": self.status,
            "reason": self.reason,
            "message": self.message,
            "rule": self.rule,
        }
        if self.grants is not None:
            g = self.grants
            out["grants"] = (
                {"credential": g.credential}
                if g.credential is not None
                else {"course": g.course, "credits": g.credits, "grade": g.grade}
            )
        out["counted_toward"] = list(self.counted_toward)
        if self.capped_in:
            out["capped_in"] = list(self.capped_in)
        return out


__all__ = ["REASONS", "ExternalCredential", "Grant", "Identifier", "Match", "Outcome", "RecognitionRule"]
