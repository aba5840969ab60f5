"""The diff and the impact summary in words and JSON lines."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from microcred.analysis.diff.impact import LearnerChange, LearnerError
from microcred.analysis.diff.results import CatalogDiff

# == rendering the diff =====================================================================


def render_diff(diff: CatalogDiff) -> str:
    """The diff in plain text, for a committee."""
    lines: list[str] = []
    title = diff.old_id if diff.old_id == diff.new_id else f"{diff.old_id} → {diff.new_id}"
    lines.append(f"Catalogue {title}")
    if diff.identical:
        lines.append("  no differences")
        return "\n".join(lines) + "\n"
    for f in diff.catalogue:
        lines.append(f"  {f}")
    if diff.added:
        lines.append(f"  credentials added: {', '.join(diff.added)}")
    if diff.removed:
        lines.append(f"  credentials removed: {', '.join(diff.removed)}")
    if diff.courses_added:
        lines.append(f"  courses added: {', '.join(diff.courses_added)}")
    if diff.courses_removed:
        lines.append(f"  courses removed: {', '.join(diff.courses_removed)}")
    for cid, fs in diff.courses_changed.items():
        lines.append(f"  course {cid}: " + "; ".join(str(f) for f in fs))
    shown = [d for d in diff.credentials.values() if d.changed or d.rewritten]
    # the credentials that changed themselves first, then those that only include one
    shown.sort(key=lambda d: not (d.fields or d.meaning != "unchanged"))
    for d in shown:
        lines.append("")
        lines.append(f"{d.id} ({d.title})")
        for f in d.fields:
            lines.append(f"  {f}")
        if d.meaning != "unchanged" or not d.includes_changed:
            lines.append(f"  rule: {d.verdict}")
        for c in d.counterexamples:
            lines.append(f"    e.g. {c}")
        for ch in d.changes:
            lines.append(f"    {ch}")
        if d.includes_changed:
            lines.append(f"  includes credentials that changed: {', '.join(d.includes_changed)}")
    rest = len(diff.credentials) - len(shown)
    lines.append("")
    lines.append(f"{rest} other credential{'s' if rest != 1 else ''} unchanged")
    return "\n".join(lines) + "\n"


@dataclass
class ImpactSummary:
    """Counts over a run of :func:`iter_impact`."""

    learners: int = 0
    changed: int = 0
    errors: int = 0
    #: credential -> Counter of "old → new" status transitions
    transitions: dict[str, Counter[str]] = field(default_factory=dict)
    #: credential -> learners whose status is the same but earned_on or expires_on moved
    dates_only: Counter[str] = field(default_factory=Counter)

    def add(self, r: LearnerChange | LearnerError) -> None:
        if isinstance(r, LearnerError):
            self.errors += 1
            return
        self.learners += 1
        if r.changes:
            self.changed += 1
        for c in r.changes:
            if c.status_changed:
                move = f"{c.old_status or '(absent)'} → {c.new_status or '(absent)'}"
                self.transitions.setdefault(c.credential, Counter())[move] += 1
            else:
                self.dates_only[c.credential] += 1

    def to_json(self) -> dict[str, Any]:
        return {
            "learners": self.learners,
            "changed": self.changed,
            "errors": self.errors,
            "status_changes": {
                cid: {"learners": sum(t.values()), "transitions": dict(t)} for cid, t in self.transitions.items()
            },
            "date_changes": dict(self.dates_only),
        }

    def render(self, as_of: dt.date | None = None) -> str:
        when = f" (as of {as_of.isoformat()})" if as_of else ""
        lines = [
            f"Impact on {self.learners} learner{'s' if self.learners != 1 else ''}{when}: "
            f"{self.changed} with changes" + (f"; {self.errors} could not be compared" if self.errors else "")
        ]
        if self.transitions:
            lines.append("  status changes, by credential:")
            for cid in sorted(self.transitions, key=lambda c: (-sum(self.transitions[c].values()), c)):
                t = self.transitions[cid]
                n = sum(t.values())
                moves = ", ".join(f"{m}: {k}" for m, k in sorted(t.items(), key=lambda x: (-x[1], x[0])))
                lines.append(f"    {cid}: {n} learner{'s' if n != 1 else ''} ({moves})")
        if self.dates_only:
            lines.append("  same status, earned_on or expires_on moved:")
            for cid, n in sorted(self.dates_only.items(), key=lambda x: (-x[1], x[0])):
                lines.append(f"    {cid}: {n} learner{'s' if n != 1 else ''}")
        return "\n".join(lines) + "\n"


def to_json_line(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
