"""Competency frameworks and alignments: what a course or credential teaches or assesses.

A *framework* (a CASE package, Open Skills Network rich skill descriptors, ESCO, O*NET, or
the institution's own list) defines *competencies*, each with a stable URI, a statement and
the framework it belongs to. Courses and credentials name the competencies they align with,
with a level where the framework has levels. See docs/competencies.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import Field, StrictStr, model_validator

from microcred.model.modelbase import Strict

FORMATS = ("case", "rsd", "esco", "onet")


class CompetencyDef(Strict):
    """A competency written out in the catalogue (an institution's own learning outcome)."""

    uri: StrictStr
    statement: StrictStr
    code: StrictStr | None = Field(default=None, description="A short code, usable as `framework:code`.")
    name: StrictStr | None = None
    type: StrictStr | None = Field(default=None, description="Knowledge, skill, competence …")


class LevelRange(Strict):
    """The levels a framework defines (O*NET's level scale runs from 0 to 7)."""

    min: Annotated[int, Field(ge=0)] = 0
    max: Annotated[int, Field(ge=0)]

    @model_validator(mode="after")
    def _ordered(self) -> LevelRange:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        return self


class CompetencyRef(Strict):
    """An alignment: ``{uri: …, level: 3}``; a plain string is an alignment without level."""

    uri: StrictStr
    level: Annotated[int, Field(ge=0)] | None = None


#: What ``competencies:`` of a course or credential lists.
CompetencyItem = StrictStr | CompetencyRef


class OccupationDef(Strict):
    """An occupation written out in the catalogue, with the competencies it needs."""

    uri: StrictStr
    title: StrictStr
    code: StrictStr | None = None
    competencies: list[CompetencyItem] = Field(default_factory=list)


class Framework(Strict):
    """One entry of the ``frameworks:`` section: a framework imported from a file, written
    out, or both."""

    id: StrictStr
    title: StrictStr | None = None
    uri: StrictStr | None = None
    source: StrictStr | None = Field(
        default=None, description="A framework file, relative to the catalogue file that names it."
    )
    format: Literal["case", "rsd", "esco", "onet"] | None = Field(
        default=None, description="The file's format; recognised from its content when absent."
    )
    license: StrictStr | None = None
    levels: LevelRange | None = Field(default=None, description="The levels alignments may state.")
    competencies: list[CompetencyDef] = Field(default_factory=list)
    occupations: list[OccupationDef] = Field(
        default_factory=list, description="Occupations and the competencies they need (for gap analyses)."
    )

    @model_validator(mode="after")
    def _something(self) -> Framework:
        if self.source is None and not self.competencies and not self.occupations:
            raise ValueError("give a `source` file, a list of `competencies` or a list of `occupations`")
        if self.format is not None and self.source is None:
            raise ValueError("`format` describes a `source` file: give one, or remove `format`")
        return self


@dataclass(frozen=True, slots=True)
class Competency:
    """A competency as the catalogue knows it, from whichever framework defined it."""

    uri: str
    statement: str
    framework: str
    code: str | None = None
    name: str | None = None
    kind: str | None = None
    #: the format the competency was read from (case, rsd, esco, onet); None when written out
    scheme: str | None = None

    @property
    def label(self) -> str:
        """A short human name: the name, else the statement."""
        return self.name or self.statement


@dataclass(frozen=True, slots=True)
class Occupation:
    """An occupation a framework defines (ESCO occupation, O*NET-SOC code), with the
    competencies it needs (URI or ``framework:code`` as written, and a level or None)."""

    uri: str
    title: str
    framework: str
    code: str | None = None
    needs: tuple[tuple[str, int | None], ...] = ()


@dataclass(frozen=True, slots=True)
class Alignment:
    """A resolved alignment: a competency URI and an optional level."""

    uri: str
    level: int | None = None


def as_ref(item: str | CompetencyRef) -> CompetencyRef:
    return CompetencyRef(uri=item) if isinstance(item, str) else item


def resolve_uri(ref: str, competencies: dict[str, Competency], codes: dict[tuple[str, str], str]) -> str | None:
    """The URI ``ref`` names: a competency URI, or ``framework:code`` (``onet:2.B.3.e``)."""
    if ref in competencies:
        return ref
    fw, sep, code = ref.partition(":")
    if sep and (fw, code) in codes:
        return codes[(fw, code)]
    return None


def merge_level(a: int | None, b: int | None) -> int | None:
    """The higher of two levels (a stated level beats none)."""
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)
