"""The institution's taxonomy: its credential types, their stacking, bounds and grades."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictBool, StrictStr, model_validator

from microcred.model.modelbase import Strict

NonNegative = Annotated[float, Field(ge=0)]


class GradeSpec(Strict):
    """A grade written out in full: ``P: {points: null, passing: true}``."""

    points: NonNegative | None = None
    passing: StrictBool | None = None


class CreditBounds(Strict):
    """Inclusive bounds on the ``credits`` of a credential of one type."""

    min: NonNegative | None = None
    max: NonNegative | None = None

    @model_validator(mode="after")
    def _ordered(self) -> CreditBounds:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min:g}) is greater than max ({self.max:g})")
        return self


class CredentialType(Strict):
    """One kind of credential the institution issues (badge, microcredential, …)."""

    label: StrictStr | None = None
    description: StrictStr | None = None
    stacks_into: list[StrictStr] = Field(
        default_factory=list, description="Types a credential of this type may count toward."
    )
    credits: CreditBounds | None = None
    required_fields: list[StrictStr] = Field(
        default_factory=list,
        description="Credential fields (or metadata keys) every credential of this type must give.",
    )
    level: Annotated[int, Field(ge=0)] | None = Field(
        default=None, description="Rank in drawings and reports (0 lowest); derived when absent."
    )
    require_competencies: StrictBool = Field(
        default=False,
        description="Every credential of this type must align with a competency, its own or inherited (extension).",
    )


GradeValue = NonNegative | GradeSpec


class Taxonomy(Strict):
    """The ``taxonomy:`` section of a catalogue."""

    grade_scale: dict[StrictStr, GradeValue] | None = None
    types: dict[StrictStr, CredentialType] = Field(default_factory=dict)
