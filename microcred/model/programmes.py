"""The programmes file of a catalogue (``.programmes.yaml``, docs/scale.md): the paths synthetic
learners follow toward its credentials, as pydantic models of the file's shape."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, TypeAlias, Union

from pydantic import Discriminator, Field, Tag, model_validator
from typing_extensions import TypeAliasType

from microcred.model.modelbase import Strict

__all__ = ["AwardSpec", "Part", "ProgrammeSpec", "ProgrammesFile", "StepSpec"]

Probability = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
CourseId = Annotated[str, Field(min_length=1)]


class StepSpec(Strict):
    """One choice of a programme, written in one of four forms: ``all: [...]`` (every part),
    ``one: [...]`` (one of the parts), ``choose: K`` with ``of: [...]`` (K of the parts) or
    with ``options: [[...], ...]`` (K of the options, each a list of parts)."""

    all: list[Part] | None = None
    one: list[Part] | None = None
    choose: Annotated[int, Field(ge=1)] | None = None
    of: list[Part] | None = None
    options: list[list[Part]] | None = None

    @model_validator(mode="after")
    def _one_form(self) -> StepSpec:
        given = [k for k in ("all", "one", "of", "options") if getattr(self, k) is not None]
        if len(given) != 1:
            found = f"it has {' and '.join(given)}" if given else "it has none"
            raise ValueError(
                f"a step has exactly one of all, one, of (with choose) or options (with choose); {found}: "
                "write e.g. {one: [MATH 1010, MATH 1070]} or {choose: 2, of: [STAT 3010, STAT 3510, STAT 4010]}"
            )
        if self.choose is not None and given[0] in ("all", "one"):
            raise ValueError(
                f"'choose' goes with 'of' or 'options', not with '{given[0]}': "
                f"write {{choose: {self.choose}, of: [...]}}, or remove 'choose'"
            )
        return self


def _part_tag(value: Any) -> str | None:
    if isinstance(value, str):
        return "<course>"
    if isinstance(value, (dict, StepSpec)):
        return "<step>"
    if isinstance(value, list):
        return "<list>"
    return None


#: A part of a step or an option: a course id, a step, or a list of parts (an alias such as
#: ``*gened`` to a list in ``shared``), whose items take its place.
if TYPE_CHECKING:
    Part: TypeAlias = Union[str, "StepSpec", list["Part"]]  # noqa: UP007 - members named by strings
else:
    Part = TypeAliasType(
        "Part",
        Annotated[
            Union[  # noqa: UP007 - members named by strings
                Annotated[CourseId, Tag("<course>")],
                Annotated["StepSpec", Tag("<step>")],
                Annotated[list["Part"], Tag("<list>")],
            ],
            Discriminator(
                _part_tag,
                custom_error_type="invalid_part",
                custom_error_message=(
                    "expected a course id, a step (a mapping such as {one: [MATH 1010, MATH 1070]}) or a list of them"
                ),
            ),
        ],
    )


class AwardSpec(Strict):
    """An external credential some learners of a programme hold, awarded from outside."""

    credential: str
    probability: Probability
    replaces: list[CourseId] = Field(default_factory=list)


class ProgrammeSpec(Strict):
    """A path toward one credential (``target``) and how common it is (``weight``)."""

    name: str
    target: str
    weight: Annotated[float, Field(gt=0, allow_inf_nan=False)]
    steps: Annotated[list[Part], Field(min_length=1)]
    extras: dict[CourseId, Probability] = Field(default_factory=dict)
    credits: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 0.0
    upper_credits: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 0.0
    fillers: list[CourseId] = Field(default_factory=list)
    awards: list[AwardSpec] = Field(default_factory=list)
    transfer_rate: Probability = 0.06


class ProgrammesFile(Strict):
    """The whole file: the programmes, and ``shared`` parts that programmes refer to by YAML
    aliases (read where they are used, not on their own)."""

    programmes: Annotated[list[ProgrammeSpec], Field(min_length=1)]
    shared: dict[str, object] = Field(default_factory=dict)


StepSpec.model_rebuild()
ProgrammeSpec.model_rebuild()
ProgrammesFile.model_rebuild()
