"""The catalogue: courses, credentials, the institution, and where each was defined."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import Field, StrictStr, model_validator

from microcred.model.competencies import Competency, CompetencyItem, Framework, Occupation
from microcred.model.diagnostics import Location
from microcred.model.modelbase import Strict
from microcred.model.recognition import RecognitionRule
from microcred.rules.nodes import Duration, Rule, RuleBase
from microcred.taxonomy.grades import GradeScale
from microcred.taxonomy.models import CredentialType, Taxonomy

Number = Annotated[float, Field(ge=0)]
_COURSE_ID = re.compile(r"^\s*([A-Za-z]+)[\s\-_]*(\d+)[A-Za-z]?\s*$")


def course_id_parts(course_id: str) -> tuple[str | None, int | None]:
    """Subject and level implied by a course id: ``CSCI 1410`` → (``CSCI``, 1000)."""
    m = _COURSE_ID.match(course_id)
    if not m:
        return None, None
    digits = m.group(2)
    return m.group(1).upper(), int(digits[0]) * 10 ** (len(digits) - 1)


class Issuer(Strict):
    name: StrictStr
    url: StrictStr | None = None
    email: StrictStr | None = None
    id: StrictStr | None = None
    description: StrictStr | None = None
    image: StrictStr | None = None


class CatalogInfo(Strict):
    """The ``catalog:`` section: who the catalogue belongs to, and institution-wide policy."""

    id: StrictStr
    name: StrictStr
    issuer: Issuer | None = None
    description: StrictStr | None = None
    repeats: Literal["best", "latest"] = Field(
        default="best", description="Which one attempt of a repeated course counts."
    )


class Course(Strict):
    id: StrictStr
    title: StrictStr
    credits: Number
    subject: StrictStr | None = None
    level: Annotated[int, Field(ge=0)] | None = None
    attributes: list[StrictStr] = Field(default_factory=list)
    description: StrictStr | None = None
    competencies: list[CompetencyItem] = Field(
        default_factory=list, description="Competencies the course teaches (URIs, or {uri, level}) (extension)."
    )

    @model_validator(mode="after")
    def _defaults_from_id(self) -> Course:
        subject, level = course_id_parts(self.id)
        if self.subject is None and subject is not None:
            object.__setattr__(self, "subject", subject)
        if self.level is None and level is not None:
            object.__setattr__(self, "level", level)
        return self


class Alignment(Strict):
    """A link to a framework, standard or skill the credential aligns with."""

    target_name: StrictStr
    target_url: StrictStr | None = None
    target_framework: StrictStr | None = None
    target_code: StrictStr | None = None
    target_type: StrictStr | None = None


class SharingLimit(Strict):
    """At most this many courses (or credits) counted toward both this credential and another."""

    credential: StrictStr
    max_courses: Annotated[int, Field(ge=0)] | None = None
    max_credits: Number | None = None

    @model_validator(mode="after")
    def _one(self) -> SharingLimit:
        if (self.max_courses is None) == (self.max_credits is None):
            raise ValueError("give exactly one of `max_courses` or `max_credits`")
        return self


class Limits(Strict):
    """Caps on what may count toward a credential (an extension of the rule language)."""

    prior_learning_credits: Number | None = Field(
        default=None, description="At most this many credits from awarded credentials admitted for credit."
    )
    shared_with: list[SharingLimit] = Field(
        default_factory=list, description="Pairwise caps on courses or credits counted toward both."
    )
    recognised_credits: Number | Annotated[StrictStr, Field(pattern=r"^\s*\d+(\.\d+)?\s*%\s*$")] | None = Field(
        default=None,
        description="At most this many credits (or this percentage of the credential's credits, e.g. '25%') "
        "from learning recognised through the catalogue's recognition rules.",
    )
    residency_credits: Number | None = Field(
        default=None,
        description="At least this many of the credential's credits must be earned here: recognised "
        "learning counts for at most its credits less this.",
    )


class Credential(Strict):
    id: StrictStr
    type: StrictStr
    title: StrictStr
    description: StrictStr | None = None
    criteria: StrictStr | None = None
    credits: Number | None = Field(
        default=None, description="Credit value, used when the credential is awarded from outside."
    )
    valid_for: Duration | None = Field(
        default=None, description="An earned credential expires this long after earned_on."
    )
    min_grade: StrictStr | None = Field(default=None, description="Inherited by every node of the rule.")
    requires: Rule | None = Field(
        default=None, description="The stacking rule; a credential without one can only be awarded."
    )
    limits: Limits | None = Field(default=None, description="Caps on prior learning and on sharing (extension).")
    image: StrictStr | None = None
    tags: list[StrictStr] = Field(default_factory=list)
    alignments: list[Alignment] = Field(default_factory=list)
    competencies: list[CompetencyItem] = Field(
        default_factory=list, description="Competencies the credential assesses (URIs, or {uri, level}) (extension)."
    )
    metadata: dict[StrictStr, Any] = Field(
        default_factory=dict, description="Institution-specific fields (e.g. EQF level, ECTS)."
    )

    @property
    def rule(self) -> RuleBase | None:
        return self.requires

    def field_value(self, name: str) -> Any:
        """A named field, or a metadata key, for ``required_fields`` checks."""
        if name in type(self).model_fields and name != "metadata":
            value = getattr(self, name)
            return None if value in ("", [], {}) else value
        value = self.metadata.get(name)
        return None if value in ("", [], {}) else value


class CatalogFile(Strict):
    """One catalogue file. Sections from several files merge."""

    catalog: CatalogInfo | None = None
    taxonomy: Taxonomy | None = None
    courses: list[Course] = Field(default_factory=list)
    credentials: list[Credential] = Field(default_factory=list)
    frameworks: list[Framework] = Field(
        default_factory=list, description="Competency frameworks courses and credentials align with (extension)."
    )
    recognition: list[RecognitionRule] = Field(
        default_factory=list, description="External achievements the institution accepts (extension)."
    )


#: (file, path inside the file) of a definition.
Origin = tuple[str, tuple[str | int, ...]]


@dataclass
class SourceMap:
    """Where each part of a catalogue was written, to point errors at file, line and column."""

    documents: dict[str, Any] = field(default_factory=dict)  # file -> YamlDocument
    courses: dict[str, Origin] = field(default_factory=dict)
    credentials: dict[str, Origin] = field(default_factory=dict)
    types: dict[str, Origin] = field(default_factory=dict)
    frameworks: dict[str, Origin] = field(default_factory=dict)
    catalog: Origin | None = None
    grade_scale: Origin | None = None
    #: the origin of each recognition rule, in catalogue order
    recognition: list[Origin] = field(default_factory=list)

    def locate(self, origin: Origin | None, sub: tuple[str | int, ...] = (), *, key: bool = False) -> Location | None:
        if origin is None:
            return None
        file, path = origin
        doc = self.documents.get(file)
        if doc is None:
            return Location(file, 1, 1)
        loc: Location = doc.locate(path + sub, key=key)
        return loc

    def credential(self, cid: str, sub: tuple[str | int, ...] = (), *, key: bool = False) -> Location | None:
        return self.locate(self.credentials.get(cid), sub, key=key)

    def course(self, cid: str, sub: tuple[str | int, ...] = (), *, key: bool = False) -> Location | None:
        return self.locate(self.courses.get(cid), sub, key=key)

    def type(self, name: str, sub: tuple[str | int, ...] = (), *, key: bool = False) -> Location | None:
        return self.locate(self.types.get(name), sub, key=key)


@dataclass
class Catalog:
    """A whole catalogue, merged from its files."""

    info: CatalogInfo | None
    taxonomy: Taxonomy
    courses: dict[str, Course]
    credentials: dict[str, Credential]
    sources: SourceMap = field(default_factory=SourceMap)
    #: ids of entries that were defined but failed to load (their references are not dangling)
    broken_ids: frozenset[str] = frozenset()
    #: competency frameworks by id, and the competencies they define by URI (the first definition)
    frameworks: dict[str, Framework] = field(default_factory=dict)
    competencies: dict[str, Competency] = field(default_factory=dict)
    occupations: dict[str, Occupation] = field(default_factory=dict)
    #: (framework id, code) → URI, for references written ``framework:code``
    competency_codes: dict[tuple[str, str], str] = field(default_factory=dict)
    #: later definitions of a URI already defined: (the later one, the first one)
    competency_clashes: list[tuple[Competency, Competency]] = field(default_factory=list)
    #: framework files read (absolute path → SHA-256), so that a cached catalogue sees them change
    external_files: dict[str, str] = field(default_factory=dict)
    #: recognition rules: external achievements accepted, and what each counts as (extension)
    recognition: list[RecognitionRule] = field(default_factory=list)
    #: the grade scale the taxonomy defines (or the default one), made from it when the
    #: catalogue is made
    grade_scale: GradeScale = field(init=False, repr=False, compare=False)
    #: every credential's competency alignments, its own and inherited
    #: (:func:`microcred.model.skills.credential_alignments` works them out on first use)
    alignments: dict[str, dict[str, int | None]] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.grade_scale = GradeScale.from_spec(self.taxonomy.grade_scale)

    @property
    def id(self) -> str:
        return self.info.id if self.info else "catalog"

    @property
    def repeats(self) -> str:
        return self.info.repeats if self.info else "best"

    @property
    def types(self) -> Mapping[str, CredentialType]:
        return self.taxonomy.types
