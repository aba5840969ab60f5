"""What a catalogue diff reports: changed fields, rule changes, counterexamples, per credential and catalogue."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from microcred.rules.nodes import Duration

Meaning = Literal["unchanged", "equivalent", "changed", "not_analysed", "rule_added", "rule_removed", "no_rule"]

MEANING_TEXT: dict[str, str] = {
    "unchanged": "no change",
    "equivalent": "no change in meaning",
    "changed": "changed meaning",
    "not_analysed": "not analysed: too large",
    "rule_added": "rule added (it was awarded from outside only)",
    "rule_removed": "rule removed (now awarded from outside only)",
    "no_rule": "no rule in either version",
}


# == results ==============================================================================


def _plain(value: Any) -> Any:
    """A value for JSON and text: durations as words, numbers as they read."""
    if isinstance(value, Duration):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _show(value: Any) -> str:
    value = _plain(value)
    if value is None:
        return "none"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "none"
    return str(value)


@dataclass
class FieldChange:
    """A changed field: of a credential (``title``, ``credits``…), a course, or the catalogue."""

    field: str
    old: Any
    new: Any

    def __str__(self) -> str:
        return f"{self.field}: {_show(self.old)} → {_show(self.new)}"

    def to_json(self) -> dict[str, Any]:
        return {"field": self.field, "old": _plain(self.old), "new": _plain(self.new)}


@dataclass
class RuleChange:
    """A change the boolean skeleton cannot see: a number, a selector, a modifier."""

    #: courses | credits | selector | credit_values | admits | min_grade | shared | gpa | gpa_over |
    #: at_least | complete_within
    what: str
    node: str  # the node(s): id, label, or what it asks for
    old: Any
    new: Any
    message: str

    def __str__(self) -> str:
        return self.message

    def to_json(self) -> dict[str, Any]:
        return {
            "what": self.what,
            "node": self.node,
            "old": _plain(self.old),
            "new": _plain(self.new),
            "message": self.message,
        }


def _join(items: Sequence[str], word: str = "and") -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {word} " + items[-1]


@dataclass
class Counterexample:
    """A learner who meets one version of a rule but not the other."""

    meets: Literal["old", "new"]
    has: list[str]
    lacks: list[str]
    more_lacks: int = 0
    #: the learner also meets the requirements both versions share (not listed)
    context: bool = False

    @property
    def fails(self) -> str:
        return "new" if self.meets == "old" else "old"

    def __str__(self) -> str:
        lacks = list(self.lacks) + ([f"{self.more_lacks} more"] if self.more_lacks else [])
        if self.context:
            who = "a learner who meets the requirements both versions share"
            if self.has:
                who += ", with " + _join(self.has)
            if lacks:
                who += (" but not " if self.has else ", without ") + _join(lacks, "or")
            return f"{who}, meets the {self.meets} rule but not the {self.fails}"
        if self.has:
            who = "a learner with " + _join(self.has)
            if lacks:
                who += " but not " + _join(lacks, "or")
        elif lacks:
            who = "a learner without " + _join(lacks, "or")
        else:
            who = "a learner with nothing that counts"
        return f"{who} meets the {self.meets} rule but not the {self.fails}"

    def to_json(self) -> dict[str, Any]:
        return {
            "meets": self.meets,
            "has": self.has,
            "lacks": self.lacks,
            "shared_requirements_met": self.context,
            "text": str(self),
        }


@dataclass
class CredentialDiff:
    """How one credential present in both versions changed."""

    id: str
    title: str
    fields: list[FieldChange] = field(default_factory=list)
    meaning: Meaning = "unchanged"
    counterexamples: list[Counterexample] = field(default_factory=list)
    changes: list[RuleChange] = field(default_factory=list)
    #: credentials its rule names (``credential:``) whose own results may differ
    includes_changed: list[str] = field(default_factory=list)
    #: whether learners' results for it may differ (its compiled rule, or validity, changed)
    affected: bool = False
    #: the rule's text differs (perhaps only in order or labels)
    rewritten: bool = False
    note: str | None = None

    @property
    def changed(self) -> bool:
        """Anything that matters: a field, the rule's meaning, or what it includes (a rule
        only rewritten, its meaning the same, is not a change)."""
        return bool(self.fields or self.meaning not in ("unchanged", "equivalent", "no_rule") or self.includes_changed)

    @property
    def verdict(self) -> str:
        text = MEANING_TEXT[self.meaning]
        if self.note:
            text += f" ({self.note})"
        return text

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "meaning": self.meaning,
            "verdict": self.verdict,
            "fields": [f.to_json() for f in self.fields],
            "counterexamples": [c.to_json() for c in self.counterexamples],
            "changes": [c.to_json() for c in self.changes],
            "includes_changed": self.includes_changed,
            "rewritten": self.rewritten,
            "affected": self.affected,
        }


@dataclass
class CatalogDiff:
    """Everything that differs between two versions of a catalogue."""

    old_id: str
    new_id: str
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    #: catalogue-wide changes: the grade scale, the repeats policy
    catalogue: list[FieldChange] = field(default_factory=list)
    courses_added: list[str] = field(default_factory=list)
    courses_removed: list[str] = field(default_factory=list)
    courses_changed: dict[str, list[FieldChange]] = field(default_factory=dict)
    #: every credential present in both versions
    credentials: dict[str, CredentialDiff] = field(default_factory=dict)

    @property
    def changed(self) -> list[CredentialDiff]:
        return [d for d in self.credentials.values() if d.changed]

    @property
    def meaning_changed(self) -> list[str]:
        return [cid for cid, d in self.credentials.items() if d.meaning in ("changed", "rule_added", "rule_removed")]

    @property
    def affected(self) -> list[str]:
        """Credentials whose results for a learner may differ (added and removed included)."""
        return [*self.added, *self.removed, *(cid for cid, d in self.credentials.items() if d.affected)]

    @property
    def identical(self) -> bool:
        return not (
            self.added
            or self.removed
            or self.catalogue
            or self.courses_added
            or self.courses_removed
            or self.courses_changed
            or any(d.changed or d.rewritten for d in self.credentials.values())
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "old": self.old_id,
            "new": self.new_id,
            "identical": self.identical,
            "added": self.added,
            "removed": self.removed,
            "catalogue": [f.to_json() for f in self.catalogue],
            "courses": {
                "added": self.courses_added,
                "removed": self.courses_removed,
                "changed": {c: [f.to_json() for f in fs] for c, fs in self.courses_changed.items()},
            },
            "credentials": {cid: d.to_json() for cid, d in self.credentials.items() if d.changed or d.rewritten},
            "unchanged": [cid for cid, d in self.credentials.items() if not (d.changed or d.rewritten)],
            "affected": self.affected,
            "meaning_changed": self.meaning_changed,
        }
