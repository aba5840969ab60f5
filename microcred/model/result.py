"""Evaluation results: plain typed data that adapters (JSON, text, HTML, badges) render."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from microcred.model.diagnostics import Diagnostic

if TYPE_CHECKING:
    from microcred.model.recognition import Outcome
    from microcred.model.skills import SkillEntry


def _iso(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None


@dataclass(frozen=True, slots=True)
class Applied:
    """One attempt (or awarded credential) counted toward one node."""

    course: str
    node: str  # the node's id, or its path in the owner's rule
    owner: str  # the credential whose rule holds the node (differs when expanded inline)
    date: dt.date | None
    grade: str | None
    credits: float
    status: str
    label: str | None = None
    substituted_for: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "course": self.course,
            "node": self.node,
            "date": _iso(self.date),
            "grade": self.grade,
            "credits": self.credits,
            "status": self.status,
        }
        if self.owner:
            out["credential"] = self.owner
        if self.label:
            out["label"] = self.label
        if self.substituted_for:
            out["substituted_for"] = self.substituted_for
        return out


@dataclass(frozen=True, slots=True)
class NotCounted:
    """A taken course that could have counted toward the credential but did not, and why."""

    course: str
    date: dt.date | None
    grade: str | None
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"course": self.course, "date": _iso(self.date), "grade": self.grade, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class ExceptionUse:
    kind: str  # waive | substitute
    target: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "target": self.target, "reason": self.reason}


@dataclass
class RequirementResult:
    """One node of a requirement tree, for reports."""

    ref: str
    kind: str
    description: str
    progress: float
    satisfied: bool
    applied: list[Applied] = field(default_factory=list)
    children: list[RequirementResult] = field(default_factory=list)
    waived: bool = False
    note: str | None = None
    #: a ``credential`` node: the credential it names (not in the JSON: the description says it)
    target: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "node": self.ref,
            "kind": self.kind,
            "description": self.description,
            "progress": self.progress,
            "satisfied": self.satisfied,
        }
        if self.waived:
            out["waived"] = True
        if self.note:
            out["note"] = self.note
        if self.children:
            out["children"] = [c.to_json() for c in self.children]
        return out


@dataclass
class CredentialResult:
    id: str
    title: str
    type: str
    status: str
    earned_on: dt.date | None
    expires_on: dt.date | None
    progress: float
    applied: list[Applied]
    missing: list[str]
    stacks_into: list[tuple[str, float]]
    not_counted: list[NotCounted] = field(default_factory=list)
    exceptions: list[ExceptionUse] = field(default_factory=list)
    requirements: RequirementResult | None = None
    awarded: bool = False
    #: the competencies the credential aligns with, own and inherited (docs/competencies.md);
    #: None when the catalogue has no framework, and then not in the JSON
    competencies: list[dict[str, Any]] | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "status": self.status,
            "earned_on": _iso(self.earned_on),
            "expires_on": _iso(self.expires_on),
            "progress": self.progress,
            "applied": [a.to_json() for a in self.applied],
            "missing": list(self.missing),
            "stacks_into": [{"credential": c, "progress": p} for c, p in self.stacks_into],
            "title": self.title,
            "type": self.type,
        }
        if self.awarded:
            out["awarded"] = True
        if self.not_counted:
            out["not_counted"] = [n.to_json() for n in self.not_counted]
        if self.exceptions:
            out["exceptions"] = [e.to_json() for e in self.exceptions]
        if self.requirements is not None:
            out["requirements"] = self.requirements.to_json()
        if self.competencies is not None:
            out["competencies"] = self.competencies
        return out


@dataclass(frozen=True, slots=True)
class StackTarget:
    """A credential that another stacks into, directly (depth 1) or through others."""

    credential: str
    depth: int
    status: str
    progress: float
    credits: float  # credits the stacked credential's attempts (or award) apply to it

    def to_json(self) -> dict[str, Any]:
        return {
            "credential": self.credential,
            "depth": self.depth,
            "status": self.status,
            "progress": self.progress,
            "credits": self.credits,
        }


@dataclass
class StackEntry:
    """Where one earned or in-progress credential leads: every credential it stacks into,
    transitively up to the top (degrees)."""

    credential: str
    status: str
    stacks_into: list[StackTarget]

    def to_json(self) -> dict[str, Any]:
        return {
            "credential": self.credential,
            "status": self.status,
            "stacks_into": [t.to_json() for t in self.stacks_into],
        }


@dataclass
class LearnerResult:
    learner_id: str
    learner_name: str | None
    as_of: dt.date
    credentials: dict[str, CredentialResult]
    warnings: list[Diagnostic] = field(default_factory=list)
    stacking: list[StackEntry] = field(default_factory=list)
    #: credentials evaluated but not asked for (with a credential filter: those the shown ones
    #: stack into), so that their figures can be named; never in the JSON
    context: dict[str, CredentialResult] = field(default_factory=dict)
    #: every credential's title in the catalogue, to name those not in ``credentials``; never in the JSON
    titles: dict[str, str] = field(default_factory=dict)
    #: the learner's skill profile (docs/competencies.md); None when the catalogue has no
    #: framework, and then not in the JSON
    skills: list[SkillEntry] | None = None
    #: what became of each external credential offered as evidence (None: none was offered)
    recognition: list[Outcome] | None = None

    def lookup(self, cid: str) -> CredentialResult | None:
        """The result of credential ``cid``, shown or evaluated for context; None when not evaluated."""
        return self.credentials.get(cid) or self.context.get(cid)

    def to_json(self) -> dict[str, Any]:
        learner: dict[str, Any] = {"id": self.learner_id}
        if self.learner_name:
            learner["name"] = self.learner_name
        out: dict[str, Any] = {
            "learner": learner,
            "as_of": self.as_of.isoformat(),
            "credentials": {cid: r.to_json() for cid, r in self.credentials.items()},
            "stacking": [s.to_json() for s in self.stacking],
            "warnings": [d.to_dict() for d in self.warnings],
        }
        if self.skills is not None:
            out["skills"] = [e.to_json() for e in self.skills]
        if self.recognition is not None:
            out["recognition"] = [o.to_json() for o in self.recognition]
        return out

    def earned(self) -> list[str]:
        return [cid for cid, r in self.credentials.items() if r.status == "earned"]
