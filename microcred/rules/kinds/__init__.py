"""Rule kinds, one module each, in one table: :data:`KINDS` maps a node key to its :class:`RuleKind`."""

from __future__ import annotations

import types

from microcred.rules import nodes
from microcred.rules.kinds.all import All
from microcred.rules.kinds.any import AnyOf
from microcred.rules.kinds.at_least import AtLeast
from microcred.rules.kinds.base import Atom, Count, Gate, Group, Heading, Kind, Occurrence, Reference, RuleKind, Shape
from microcred.rules.kinds.competency import Competency
from microcred.rules.kinds.course import Course
from microcred.rules.kinds.courses import Courses
from microcred.rules.kinds.credential import Credential
from microcred.rules.kinds.credits import Credits
from microcred.rules.kinds.gpa import Gpa

__all__ = [
    "HOOKS",
    "KINDS",
    "Atom",
    "Count",
    "Gate",
    "Group",
    "Heading",
    "Kind",
    "Occurrence",
    "Reference",
    "RuleKind",
    "Shape",
    "kind_of",
    "register",
    "unregister",
]

#: node key -> its kind, in the order the keys are documented (``NODE_KEYS``).
KINDS: dict[str, RuleKind] = {}

#: What every kind provides: the methods and properties of :class:`RuleKind`.
HOOKS: tuple[str, ...] = tuple(
    sorted(
        name
        for name, member in vars(RuleKind).items()
        if not name.startswith("_") and isinstance(member, (types.FunctionType, property))
    )
)


def register(kind: RuleKind) -> RuleKind:
    """Add ``kind`` to the table. A key the rule language does not know yet (beyond
    ``NODE_KEYS``) becomes readable in catalogues: its model joins the rule union. A kind
    lacking any hook of :class:`RuleKind` is refused (TypeError)."""
    if kind.model.kind != kind.key:
        raise ValueError(f"the model of kind {kind.key!r} reads {kind.model.kind!r} nodes")
    missing = [hook for hook in HOOKS if not hasattr(kind, hook)]
    if missing:
        raise TypeError(f"rule kind {kind.key!r} lacks: {', '.join(missing)}")
    if kind.key not in nodes.NODE_KEYS:
        nodes.extend_rules(kind.model)
    KINDS[kind.key] = kind
    return kind


def unregister(key: str) -> None:
    """Remove a kind added beyond ``NODE_KEYS`` (the built-in kinds stay)."""
    if key in nodes.NODE_KEYS:
        raise ValueError(f"{key!r} is a built-in rule kind")
    KINDS.pop(key, None)
    nodes.retract_rules(key)


def kind_of(key: str) -> RuleKind:
    """The kind of node key ``key``."""
    return KINDS[key]


for _kind in (Course(), All(), AnyOf(), AtLeast(), Courses(), Credits(), Credential(), Gpa(), Competency()):
    register(_kind)
