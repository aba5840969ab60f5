"""The rule language: one model per node kind, selectors, and modifiers.

A rule is a mapping with exactly one node key (``course``, ``all``, ``any``, ``at_least``,
``courses``, ``credits``, ``credential``, ``gpa``) plus optional modifiers (``label``, ``id``,
``min_grade``, ``complete_within``, ``shared``). Which model reads a mapping is decided by its
node key (a discriminated union), so an error names the key that is wrong. A kind registered
beyond these (``microcred.rules.kinds.register``) joins the union through :func:`extend_rules`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Annotated, Any, ClassVar

from pydantic import (
    Discriminator,
    Field,
    PlainValidator,
    StrictBool,
    StrictInt,
    StrictStr,
    Tag,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

from microcred.model.modelbase import Strict

PositiveInt = Annotated[StrictInt, Field(ge=1)]
PositiveNumber = Annotated[float, Field(gt=0)]
StrOrList = StrictStr | list[StrictStr]

#: The keys that make a mapping a rule node, in the order they are documented.
NODE_KEYS: tuple[str, ...] = (
    "course",
    "all",
    "any",
    "at_least",
    "courses",
    "credits",
    "credential",
    "gpa",
    "competency",
)
MODIFIER_KEYS: tuple[str, ...] = ("label", "id", "min_grade", "complete_within", "shared")

_LEVEL_RE = re.compile(r"^\s*(>=|<=|>|<|=)?\s*(\d+)\s*(\+)?\s*$")
_RANGE_RE = re.compile(r"^\s*(\d+)\s*-\s*(\d+)\s*$")


class Duration(Strict):
    """A span of time: ``{years: N}``, ``{months: N}`` or both."""

    years: Annotated[StrictInt, Field(ge=0)] = 0
    months: Annotated[StrictInt, Field(ge=0)] = 0

    @model_validator(mode="before")
    @classmethod
    def _not_empty(cls, data: Any) -> Any:
        if isinstance(data, dict) and not ({"years", "months"} & data.keys()):
            raise ValueError("give `years` or `months`, e.g. {years: 2}")
        return data

    @property
    def total_months(self) -> int:
        return self.years * 12 + self.months

    def __str__(self) -> str:
        parts = []
        if self.years:
            parts.append(f"{self.years} year{'s' if self.years != 1 else ''}")
        if self.months:
            parts.append(f"{self.months} month{'s' if self.months != 1 else ''}")
        return " ".join(parts) or "0 months"


def parse_level(spec: int | str) -> tuple[int | None, int | None]:
    """The inclusive (low, high) bounds of a level filter; ``None`` is unbounded.

    ``3000`` or ``"3000"`` is exactly 3000; ``"3000+"`` and ``">=3000"`` are 3000 and above;
    ``">3000"``, ``"<3000"``, ``"<=2999"`` and ``"1000-2999"`` mean what they say.
    """
    if isinstance(spec, bool):
        raise ValueError('a level is a number such as 3000 or a string such as "3000+"')
    if isinstance(spec, int):
        return spec, spec
    m = _RANGE_RE.match(spec)
    if m:
        lo, hi = int(m.group(1)), int(m.group(2))
        if lo > hi:
            raise ValueError(f"level range {spec!r} is empty: write the lower bound first")
        return lo, hi
    m = _LEVEL_RE.match(spec)
    if not m or (m.group(3) and m.group(1)):
        raise ValueError(f'level {spec!r} is not understood; write 3000, "3000+", ">=3000", "<2000" or "1000-2999"')
    op, n = m.group(1) or ("+" if m.group(3) else "="), int(m.group(2))
    return {
        "=": (n, n),
        "+": (n, None),
        ">=": (n, None),
        ">": (n + 1, None),
        "<=": (None, n),
        "<": (None, n - 1),
    }[op]


class Selector(Strict):
    """Filters on courses, all of which must hold."""

    ids: list[StrictStr] | None = Field(default=None, description="Course ids.")
    subject: StrOrList | None = Field(default=None, description="A subject, or a list: any of them.")
    level: StrictInt | StrictStr | None = Field(
        default=None, description='3000 (exactly), "3000+" or ">=3000", "<2000", "1000-2999".'
    )
    attribute: StrOrList | None = Field(
        default=None, description="An attribute, or a list: a course with any of them matches."
    )
    exclude: list[StrictStr] | None = Field(default=None, description="Course ids that never match.")

    @field_validator("level")
    @classmethod
    def _level_ok(cls, v: int | str | None) -> int | str | None:
        if v is not None:
            parse_level(v)
        return v

    @property
    def subjects(self) -> tuple[str, ...] | None:
        return _as_tuple(self.subject)

    @property
    def attributes(self) -> tuple[str, ...] | None:
        return _as_tuple(self.attribute)

    @property
    def level_bounds(self) -> tuple[int | None, int | None]:
        return parse_level(self.level) if self.level is not None else (None, None)

    @property
    def has_course_filter(self) -> bool:
        """Whether any course filter (``ids``, ``subject``, ``level``, ``attribute``,
        ``exclude``) is given."""
        return not (
            self.ids is None
            and self.subject is None
            and self.level is None
            and self.attribute is None
            and self.exclude is None
        )

    @property
    def credentials_only(self) -> bool:
        """Whether the selector names awarded credentials and no course filter: it then admits
        those credentials and no course (CONTRACT.md §6). Plain selectors never do."""
        return False

    def describe(self) -> str:
        """Plain words for reports: "CSCI at 3000+", "one of: CSCI 2312, CSCI 2421"."""
        parts: list[str] = []
        if self.ids is not None:
            parts.append(", ".join(self.ids))
        if self.subjects:
            parts.append(" or ".join(self.subjects))
        if self.level is not None:
            parts.append(f"at {self.level}")
        if self.attributes:
            parts.append("with attribute " + " or ".join(self.attributes))
        if self.exclude:
            parts.append("except " + ", ".join(self.exclude))
        if not (self.ids is not None or self.subjects or self.attributes):
            parts.insert(0, "any course")
        return " ".join(parts)


def counted_from(text: str, sep: str = " from: ") -> str:
    """What follows "N courses" for a selector described as ``text``: ``" from: CSCI 2312,
    CSCI 2421"``, but ``" with attribute ethics"`` (never "from: with attribute …")."""
    if text.startswith(("with ", "at ", "except ")):
        return " " + text
    return sep + text


def _as_tuple(v: str | list[str] | None) -> tuple[str, ...] | None:
    if v is None:
        return None
    return (v,) if isinstance(v, str) else tuple(v)


class CredentialFilter(Strict):
    """Awarded credentials admitted to a ``credits`` node at their catalogue credit value."""

    ids: list[StrictStr] | None = None
    type: StrictStr | None = None

    @model_validator(mode="after")
    def _something(self) -> CredentialFilter:
        if self.ids is None and self.type is None:
            raise ValueError("give `ids` or `type` (or both)")
        return self


class CreditSelector(Selector):
    """A selector in a ``credits`` node: it may also admit awarded credentials.

    With ``credentials:`` and no course filter (``from: {credentials: {type: badge}}``) it
    admits those credentials and no course; a selector with no key at all matches every
    course (CONTRACT.md §6)."""

    credentials: CredentialFilter | None = None

    @property
    def credentials_only(self) -> bool:
        return self.credentials is not None and not self.has_course_filter

    def describe(self) -> str:
        """As :meth:`Selector.describe`; a selector of only ``credentials:`` is described by the
        credentials it admits ("awarded credentials of type badge")."""
        f = self.credentials
        if f is None or self.has_course_filter:
            return super().describe()
        parts: list[str] = []
        if f.ids is not None:
            parts.append(", ".join(f.ids))
        if f.type is not None:
            parts.append(f"of type {f.type}")
        return "awarded credentials " + " or ".join(parts)


class RuleBase(Strict):
    """Modifiers, allowed on every node."""

    kind: ClassVar[str]
    label: StrictStr | None = Field(default=None, description="The human name used in reports.")
    id: StrictStr | None = Field(default=None, description="A stable name for exceptions and reports.")
    min_grade: StrictStr | None = Field(default=None, description="Every attempt counted below must reach this grade.")
    complete_within: Duration | None = Field(
        default=None, description="The attempts counted below must all fall within this span."
    )
    shared: StrictBool = Field(default=False, description="Courses counted here may also count elsewhere.")

    def children(self) -> list[Rule]:
        return []

    def child_path(self, index: int) -> tuple[str | int, ...]:
        """The path, inside this node's mapping, to child ``index``."""
        raise IndexError(index)

    @property
    def named_course(self) -> str | None:
        """The course the node names itself (``course:``), if any."""
        return None

    @property
    def named_credential(self) -> str | None:
        """The credential the node names itself (``credential:``), if any."""
        return None

    def selectors(self) -> list[tuple[str, Selector, bool]]:
        """The node's selectors: (key, selector, whether the courses it matches count here)."""
        return []

    @property
    def admits(self) -> CredentialFilter | None:
        """The awarded credentials the node admits at their credit value, if any."""
        return None

    @property
    def needed(self) -> int:
        """How many of the node's children must hold (for a node with children)."""
        return 1

    @property
    def named_competency(self) -> tuple[str, int | None] | None:
        """The competency the node names itself (``competency:``) and the least level, if any."""
        return None

    @property
    def counted_courses(self) -> tuple[Selector, int] | None:
        """(selector, N) when the node is met by any N courses the selector matches (``courses:``)."""
        return None


class CourseRule(RuleBase):
    kind: ClassVar[str] = "course"
    course: StrictStr

    @property
    def named_course(self) -> str | None:
        return self.course


class AllRule(RuleBase):
    kind: ClassVar[str] = "all"
    all_: list[Rule] = Field(alias="all", min_length=1)

    def children(self) -> list[Rule]:
        return self.all_

    def child_path(self, index: int) -> tuple[str | int, ...]:
        return ("all", index)

    @property
    def needed(self) -> int:
        return len(self.all_)


class AnyRule(RuleBase):
    kind: ClassVar[str] = "any"
    any_: list[Rule] = Field(alias="any", min_length=1)

    def children(self) -> list[Rule]:
        return self.any_

    def child_path(self, index: int) -> tuple[str | int, ...]:
        return ("any", index)


class AtLeastRule(RuleBase):
    kind: ClassVar[str] = "at_least"
    at_least: PositiveInt
    of: list[Rule] = Field(min_length=1)

    def children(self) -> list[Rule]:
        return self.of

    def child_path(self, index: int) -> tuple[str | int, ...]:
        return ("of", index)

    @property
    def needed(self) -> int:
        return self.at_least


class CoursesRule(RuleBase):
    kind: ClassVar[str] = "courses"
    courses: PositiveInt
    from_: Selector = Field(alias="from")

    def selectors(self) -> list[tuple[str, Selector, bool]]:
        return [("from", self.from_, True)]

    @property
    def counted_courses(self) -> tuple[Selector, int] | None:
        return (self.from_, self.courses)


class CreditsRule(RuleBase):
    kind: ClassVar[str] = "credits"
    credits: PositiveNumber
    from_: CreditSelector = Field(alias="from")

    def selectors(self) -> list[tuple[str, Selector, bool]]:
        return [("from", self.from_, True)]

    @property
    def admits(self) -> CredentialFilter | None:
        return self.from_.credentials


class CredentialRule(RuleBase):
    kind: ClassVar[str] = "credential"
    credential: StrictStr

    @property
    def named_credential(self) -> str | None:
        return self.credential


class GpaRule(RuleBase):
    kind: ClassVar[str] = "gpa"
    gpa: Annotated[float, Field(ge=0)]
    over: Selector | None = None

    def selectors(self) -> list[tuple[str, Selector, bool]]:
        return [] if self.over is None else [("over", self.over, False)]


class CompetencyRule(RuleBase):
    """A competency (extension): met by one course or credential aligned with it at ``level``
    or above (docs/competencies.md)."""

    kind: ClassVar[str] = "competency"
    competency: StrictStr = Field(description="A competency URI, or framework:code.")
    level: Annotated[StrictInt, Field(ge=0)] | None = Field(default=None, description="The least level aligned.")

    @property
    def named_competency(self) -> tuple[str, int | None] | None:
        return (self.competency, self.level)


#: Models of the node kinds registered beyond ``NODE_KEYS``, by node key (see :func:`extend_rules`).
EXTENSIONS: dict[str, type[RuleBase]] = {}
#: The union's tag for a node of a kind in :data:`EXTENSIONS`.
EXTENSION_TAG = "<ext>"


def rule_kind(value: Any) -> str | None:
    """The node kind of a raw mapping (or model), or None when it is not exactly one node."""
    if isinstance(value, RuleBase):
        return f"<{value.kind}>" if value.kind in NODE_KEYS else EXTENSION_TAG
    if isinstance(value, dict):
        keys = [k for k in NODE_KEYS if k in value]
        if EXTENSIONS:
            keys += [k for k in EXTENSIONS if k in value]
        if len(keys) == 1:
            return f"<{keys[0]}>" if keys[0] in NODE_KEYS else EXTENSION_TAG
    return None


def extend_rules(model: type[RuleBase]) -> None:
    """Let catalogues use ``model``'s node key: a mapping with that key (and no other node key)
    is read by ``model`` wherever a rule may stand."""
    if model.kind in NODE_KEYS or model.kind in MODIFIER_KEYS:
        raise ValueError(f"{model.kind!r} is already a key of the rule language")
    EXTENSIONS[model.kind] = model


def retract_rules(key: str) -> None:
    """Undo :func:`extend_rules` for ``key``."""
    EXTENSIONS.pop(key, None)


def _read_extension(value: Any) -> RuleBase:
    if isinstance(value, RuleBase):
        return value
    key = next(k for k in EXTENSIONS if k in value)
    return EXTENSIONS[key].model_validate(value)


Rule = Annotated[
    Annotated[CourseRule, Tag("<course>")]
    | Annotated[AllRule, Tag("<all>")]
    | Annotated[AnyRule, Tag("<any>")]
    | Annotated[AtLeastRule, Tag("<at_least>")]
    | Annotated[CoursesRule, Tag("<courses>")]
    | Annotated[CreditsRule, Tag("<credits>")]
    | Annotated[CredentialRule, Tag("<credential>")]
    | Annotated[GpaRule, Tag("<gpa>")]
    | Annotated[CompetencyRule, Tag("<competency>")]
    | Annotated[SkipJsonSchema[Annotated[RuleBase, PlainValidator(_read_extension)]], Tag(EXTENSION_TAG)],
    Discriminator(
        rule_kind,
        custom_error_type="rule_kind",
        custom_error_message="a rule needs exactly one of: " + ", ".join(NODE_KEYS),
    ),
]

RulePath = tuple[str | int, ...]


def walk(rule: RuleBase, path: RulePath = ()) -> Iterator[tuple[RulePath, RuleBase, list[RuleBase]]]:
    """Every node below ``rule`` (pre-order) with its path and its ancestors (outermost first)."""
    stack: list[tuple[RulePath, RuleBase, list[RuleBase]]] = [(path, rule, [])]
    while stack:
        p, node, ancestors = stack.pop()
        yield p, node, ancestors
        kids = node.children()
        for i in range(len(kids) - 1, -1, -1):
            stack.append((p + node.child_path(i), kids[i], [*ancestors, node]))
