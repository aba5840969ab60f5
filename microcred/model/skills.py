"""What courses and credentials align with, and what a learner's record evidences.

A course aligns with the competencies it names. A credential aligns with those it names and
inherits those its rule *guarantees*: a competency every way of satisfying the rule passes
through (a course or credential that aligns with it). ``all`` passes on what any child
guarantees; ``any`` what every child does; ``at_least N`` (and ``courses: N from``) what every
choice of N children (or matching courses) does; a ``credential`` node what that credential
aligns with. A ``credits`` or ``gpa`` node guarantees nothing. The level inherited is the
least level the credential guarantees. See docs/competencies.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from microcred.model.catalog import Catalog
from microcred.model.competencies import Alignment, as_ref, merge_level, resolve_uri
from microcred.rules.nodes import (
    RuleBase,
)
from microcred.rules.selectors import course_matches

#: what a rule guarantees: URI → least level guaranteed (None: no level stated)
Guarantee = dict[str, int | None]
_ABSENT = -2
_NO_LEVEL = -1


def has_competencies(catalog: Catalog) -> bool:
    """Whether the catalogue speaks of competencies at all (else nothing here shows)."""
    return bool(catalog.frameworks)


def resolve(catalog: Catalog, items: Iterable[Any]) -> list[Alignment]:
    """The alignments a ``competencies:`` list names that the catalogue knows (unknown ones are
    reported by ``validate``, E321, and left out here)."""
    out: dict[str, int | None] = {}
    for item in items:
        ref = as_ref(item)
        uri = resolve_uri(ref.uri, catalog.competencies, catalog.competency_codes)
        if uri is not None:
            out[uri] = merge_level(out[uri], ref.level) if uri in out else ref.level
    return [Alignment(u, lv) for u, lv in out.items()]


def course_alignments(catalog: Catalog, course_id: str) -> Guarantee:
    course = catalog.courses.get(course_id)
    if course is None or not course.competencies:
        return {}
    return {a.uri: a.level for a in resolve(catalog, course.competencies)}


def _pick(children: list[Guarantee], n: int) -> Guarantee:
    """What every choice of ``n`` of ``children`` guarantees: for each URI, the ``n`` children
    weakest in it (absent weakest of all) are the adversary's choice; the strongest of those."""
    if n <= 0 or n > len(children):
        return {}
    out: Guarantee = {}
    for uri in {u for c in children for u in c}:
        ranks = sorted(
            (_ABSENT if uri not in c else (_NO_LEVEL if c[uri] is None else int(c[uri] or 0))) for c in children
        )
        best = max(ranks[:n])
        if best == _ABSENT:
            continue
        out[uri] = None if best == _NO_LEVEL else best
    return out


class _Inheritance:
    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self.done: dict[str, Guarantee] = {}
        self.running: set[str] = set()

    def credential(self, cid: str) -> Guarantee:
        if cid in self.done:
            return self.done[cid]
        cred = self.catalog.credentials.get(cid)
        if cred is None or cid in self.running:
            return {}
        self.running.add(cid)
        out: Guarantee = {a.uri: a.level for a in resolve(self.catalog, cred.competencies)}
        if cred.requires is not None:
            for uri, level in self.node(cred.requires).items():
                out[uri] = merge_level(out[uri], level) if uri in out else level
        self.running.discard(cid)
        self.done[cid] = out
        return out

    def node(self, node: RuleBase) -> Guarantee:
        """What meeting ``node`` guarantees, from what the node names (the model's answers)."""
        if node.named_course is not None:
            return course_alignments(self.catalog, node.named_course)
        if node.named_credential is not None:
            return self.credential(node.named_credential)
        kids = node.children()
        if kids:
            return _pick([self.node(c) for c in kids], node.needed)
        if node.named_competency is not None:
            ref, level = node.named_competency
            uri = resolve_uri(ref, self.catalog.competencies, self.catalog.competency_codes)
            return {} if uri is None else {uri: level}
        if node.counted_courses is not None:
            sel, n = node.counted_courses
            matching = [c for c in self.catalog.courses.values() if course_matches(c, sel)]
            return _pick([course_alignments(self.catalog, c.id) for c in matching], n)
        return {}


def credential_alignments(catalog: Catalog) -> dict[str, Guarantee]:
    """Every credential's alignments, its own and those inherited (computed once a catalogue)."""
    cached = catalog.alignments
    if cached is None:
        inh = _Inheritance(catalog)
        cached = catalog.alignments = {cid: inh.credential(cid) for cid in catalog.credentials}
    return cached


def required_credentials(catalog: Catalog, cid: str) -> list[str]:
    """The credentials ``cid``'s rule cannot be satisfied without (its ``credential:`` nodes that
    every way passes through), in catalogue order."""
    cred = catalog.credentials.get(cid)
    if cred is None or cred.requires is None:
        return []

    def needs(node: RuleBase) -> set[str]:
        if node.named_credential is not None:
            return {node.named_credential}
        kids = node.children()
        if not kids:
            return set()
        n = node.needed
        sets = [needs(k) for k in kids]
        return {c for c in set().union(*sets) if sum(c not in s for s in sets) < n}

    found = needs(cred.requires)
    return [c for c in catalog.credentials if c in found]


def alignment_json(catalog: Catalog, aligned: Mapping[str, int | None]) -> list[dict[str, Any]]:
    """Alignments as JSON, in URI order: ``{"uri", "framework", "statement", "level"?}``."""
    out = []
    for uri in sorted(aligned):
        comp = catalog.competencies[uri]
        item: dict[str, Any] = {"uri": uri, "framework": comp.framework, "statement": comp.statement}
        if comp.name:
            item["name"] = comp.name
        if aligned[uri] is not None:
            item["level"] = aligned[uri]
        out.append(item)
    return out


@dataclass(frozen=True, slots=True)
class Evidence:
    """One course passed or credential held that evidences a competency."""

    kind: str  # course | credential
    id: str
    since: dt.date | None
    until: dt.date | None
    level: int | None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "id": self.id,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
        }
        if self.level is not None:
            out["level"] = self.level
        return out


@dataclass
class SkillEntry:
    """A competency in a learner's profile, with all that evidences it."""

    uri: str
    statement: str
    framework: str
    name: str | None
    as_of: dt.date
    evidence: list[Evidence] = field(default_factory=list)

    def current_evidence(self) -> list[Evidence]:
        return [e for e in self.evidence if e.until is None or e.until > self.as_of]

    @property
    def current(self) -> bool:
        return bool(self.current_evidence())

    @property
    def level(self) -> int | None:
        levels = [e.level for e in self.current_evidence() if e.level is not None]
        return max(levels) if levels else None

    @property
    def since(self) -> dt.date | None:
        dates = [e.since for e in self.current_evidence() if e.since is not None]
        return min(dates) if dates else None

    @property
    def until(self) -> dt.date | None:
        """When the last current evidence lapses; None while some evidence never does."""
        now = self.current_evidence()
        if not now or any(e.until is None for e in now):
            return None
        return max(e.until for e in now if e.until is not None)

    @property
    def label(self) -> str:
        return self.name or self.statement

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"uri": self.uri, "framework": self.framework, "statement": self.statement}
        if self.name:
            out["name"] = self.name
        out["current"] = self.current
        if self.level is not None:
            out["level"] = self.level
        out["since"] = self.since.isoformat() if self.since else None
        out["until"] = self.until.isoformat() if self.until else None
        out["evidence"] = [e.to_json() for e in self.evidence]
        return out


def skill_profile(
    catalog: Catalog,
    as_of: dt.date,
    passed: Mapping[str, dt.date | None],
    held: Iterable[tuple[str, str, dt.date | None, dt.date | None]],
) -> list[SkillEntry]:
    """A learner's competencies: ``passed`` maps each course passed (completed or transfer) to
    the date it was first passed; ``held`` lists (credential, status, earned_on, expires_on) of
    the credentials earned or expired. Ordered by framework, then name, then URI."""
    entries: dict[str, SkillEntry] = {}

    def add(uri: str, ev: Evidence) -> None:
        comp = catalog.competencies[uri]
        entry = entries.get(uri)
        if entry is None:
            entry = entries[uri] = SkillEntry(uri, comp.statement, comp.framework, comp.name, as_of)
        entry.evidence.append(ev)

    for course_id in sorted(passed):
        for uri, level in course_alignments(catalog, course_id).items():
            add(uri, Evidence("course", course_id, passed[course_id], None, level))
    aligned = credential_alignments(catalog)
    for cid, status, earned_on, expires_on in sorted(held, key=lambda h: h[0]):
        if status not in ("earned", "expired"):
            continue
        for uri, level in aligned.get(cid, {}).items():
            add(uri, Evidence("credential", cid, earned_on, expires_on, level))
    return sorted(entries.values(), key=lambda e: (e.framework, e.label.casefold(), e.uri))
