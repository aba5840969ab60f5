"""Recognition of learning done elsewhere: what a learner's verified external credentials
count as under the catalogue's recognition rules (docs/recognition.md), and the caps on it.

Recognised evidence enters the evaluation as awards and transfer attempts, so it stacks
exactly like everything else; the solver is unchanged. Nothing here reads or verifies a
file: :mod:`microcred.badges.evidence` does, and hands over
:class:`~microcred.model.recognition.ExternalCredential` values, each with its verdict.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from microcred.io.transcript import Attempt, Awarded, Learner
from microcred.model.competencies import resolve_uri
from microcred.model.recognition import REASONS, ExternalCredential, Grant, Identifier, Outcome, RecognitionRule

if TYPE_CHECKING:
    from microcred.model.catalog import Catalog
    from microcred.taxonomy.grades import GradeScale

# -- binding to the learner ---------------------------------------------------------------


def _hash_equal(identity_hash: str, value: str, salt: str) -> bool:
    algo, sep, digest = identity_hash.partition("$")
    if not sep or algo.lower() not in ("sha256", "md5"):
        return False
    h = hashlib.new(algo.lower(), (value + salt).encode("utf-8")).hexdigest()
    return hmac.compare_digest(h, digest.lower())


def learner_identities(learner: Learner) -> tuple[set[str], set[str]]:
    """(subject ids, emails) the learner is known by."""
    ids = {learner.id, *learner.identifiers}
    emails = {e.strip().lower() for e in [learner.email] if e}
    ids |= {"mailto:" + e for e in emails}
    return ids, emails


def bound_to(evidence: ExternalCredential, learner: Learner) -> bool:
    """Whether the credential was issued to this learner: its subject id is one of the
    learner's identifiers, or one of its recipient identifiers (hashed with its salt, or
    plain) is the learner's email (``emailAddress``) or id/identifier (any other type)."""
    ids, emails = learner_identities(learner)
    if any(s in ids for s in evidence.subject_ids):
        return True
    for ident in evidence.identifiers:
        candidates = (
            sorted(emails) if ident.kind in ("emailAddress", "email") else sorted(ids - {"mailto:" + e for e in emails})
        )
        for c in candidates:
            if ident.hashed:
                if _hash_equal(ident.value, c, ident.salt):
                    return True
            elif ident.value.strip().lower() == c.strip().lower():
                return True
    return False


# -- matching ------------------------------------------------------------------------------


def _number(text: Any) -> float | None:
    if isinstance(text, bool):
        return None
    try:
        return float(str(text).strip().rstrip("%"))
    except ValueError:
        return None


def meets_minimum(rule: RecognitionRule, results: Sequence[str], scale: GradeScale) -> bool:
    """Whether one of the credential's results reaches the rule's ``min_result``: numbers
    compare as numbers; a grade of the scale by its points; anything else must be equal."""
    want = rule.min_result
    if want is None:
        return True
    floor = _number(want)
    grade = scale.grades.get(str(want)) if isinstance(want, str) else None
    for r in results:
        if isinstance(want, str) and grade is not None and grade.points is not None:
            g = scale.grades.get(r)
            if g is not None and g.points is not None and g.points >= grade.points - 1e-9:
                return True
        elif floor is not None and not (isinstance(want, str) and grade is not None):
            n = _number(r)
            if n is not None and n >= floor - 1e-9:
                return True
        elif r.strip() == str(want).strip():
            return True
    return False


def competency_uri(catalog: Catalog, ref: str) -> str:
    """The competency URI a rule's ``competency`` names: a URI of the catalogue's frameworks,
    or ``framework:code``; an unknown reference stands for itself (``validate`` flags it, E321)."""
    return resolve_uri(ref, catalog.competencies, catalog.competency_codes) or ref


def matches(rule: RecognitionRule, evidence: ExternalCredential, catalog: Catalog | None = None) -> bool:
    """Whether the rule names this credential: every key of its ``match`` holds (``issuer``,
    ``achievement``, a common ``ctid``, a ``competency`` one of the achievement's alignments
    points at). ``catalog`` resolves ``framework:code`` competencies; without it they are read
    as URIs."""
    m = rule.match
    if m.achievements is None and m.ctids is None and m.competencies is None:
        return False
    return all(ok for _key, ok in _keys(rule, evidence, catalog))


def no_rule_message(catalog: Catalog, e: ExternalCredential) -> str:
    """Why no rule names ``e``: what it was looked up by (its issuer and achievement, its
    CTIDs, the competencies it aligns with) and, for those the catalogue knows, which rules
    come closest."""
    what = e.achievement or e.name or e.id or e.source
    looked = [f"issuer {e.issuer or 'unknown'}", f"achievement {e.achievement or 'none'}"]
    if e.ctids:
        looked.append("CTID " + ", ".join(e.ctids))
    if e.competencies:
        known = [c for c in e.competencies if c in catalog.competencies]
        if known:
            looked.append("aligned with " + ", ".join(known))
        elif catalog.competencies:
            looked.append("aligned only with competencies the catalogue's frameworks do not define")
    elif catalog.competencies:
        looked.append("no competency alignment")
    near: list[str] = []
    for r in catalog.recognition:
        m = r.match
        named = (
            (m.achievements is not None and e.achievement in m.achievements)
            or (m.ctids is not None and bool(set(m.ctids) & set(e.ctids)))
            or (
                m.competencies is not None
                and bool({competency_uri(catalog, c) for c in m.competencies} & set(e.competencies))
            )
        )
        if not named:
            continue
        differs = [key for key, ok in _keys(r, e, catalog) if not ok]
        near.append(f"rule {r.id} differs in {' and '.join(differs)}")
    hint = "; closest: " + "; ".join(near[:3]) if near else ""
    return f"no recognition rule accepts {what} ({'; '.join(looked)}){hint}"


def _keys(rule: RecognitionRule, e: ExternalCredential, catalog: Catalog | None) -> list[tuple[str, bool]]:
    """Each key the rule's ``match`` gives, and whether ``e`` meets it."""
    m = rule.match
    out: list[tuple[str, bool]] = []
    if m.issuers is not None:
        out.append(("issuer", e.issuer in m.issuers))
    if m.achievements is not None:
        out.append(("achievement", e.achievement in m.achievements))
    if m.ctids is not None:
        out.append(("CTID", bool(set(m.ctids) & set(e.ctids))))
    if m.competencies is not None:
        uris = {competency_uri(catalog, c) if catalog is not None else c for c in m.competencies}
        out.append(("competency", bool(uris & set(e.competencies))))
    return out


def in_window(rule: RecognitionRule, day: dt.date | None) -> bool:
    if day is None:
        return rule.valid_from is None and rule.valid_until is None
    if rule.valid_from is not None and day < rule.valid_from:
        return False
    return not (rule.valid_until is not None and day >= rule.valid_until)


def _window_text(rule: RecognitionRule) -> str:
    parts = []
    if rule.valid_from:
        parts.append(f"from {rule.valid_from.isoformat()}")
    if rule.valid_until:
        parts.append(f"until {rule.valid_until.isoformat()}")
    return " ".join(parts) or "at any date"


@dataclass
class Recognised:
    """What a learner's evidence adds to the transcript, and the outcome of every credential."""

    attempts: list[Attempt]
    awarded: list[Awarded]
    outcomes: list[Outcome]
    #: solver item keys of what recognition added (``credential:ID`` or a course id)
    keys: frozenset[str] = frozenset()


def _key(e: ExternalCredential) -> tuple[str, str] | None:
    return (e.issuer, e.id) if e.issuer and e.id else None


def recognise(
    catalog: Catalog,
    evidence: Iterable[ExternalCredential],
    learner: Learner,
    native_courses: Iterable[str] = (),
) -> Recognised:
    """Decide what each external credential counts as.

    Refused: what did not verify (its refusal), what was not issued to ``learner``, an older
    copy of the same credential (same issuer and id; the newer one replaces it), and what no
    rule accepts (no rule names it, it was issued outside the rule's window, or its result is
    below the rule's minimum). The first rule in catalogue order that accepts it applies.
    """
    items = list(evidence)
    outcomes: list[Outcome] = []
    live: list[ExternalCredential] = []
    for e in items:
        if e.refusal is not None:
            outcomes.append(Outcome(e, "refused", e.refusal, "; ".join(e.problems)))
        elif not bound_to(e, learner):
            outcomes.append(
                Outcome(
                    e,
                    "refused",
                    "wrong_recipient",
                    f"issued to someone else: no recipient identifier matches learner {learner.id}",
                )
            )
        else:
            live.append(e)
    newest: dict[tuple[str, str], ExternalCredential] = {}
    for e in live:
        k = _key(e)
        if k is None:
            continue
        held = newest.get(k)
        if held is None or (e.issued or dt.date.min, e.source) > (held.issued or dt.date.min, held.source):
            newest[k] = e
    rules = list(catalog.recognition)
    scale = catalog.grade_scale
    attempts: list[Attempt] = []
    awarded: list[Awarded] = []
    keys: set[str] = set()
    native = set(native_courses)
    for e in live:
        k = _key(e)
        if k is not None and newest[k] is not e:
            kept = newest[k]
            outcomes.append(
                Outcome(
                    e,
                    "refused",
                    "superseded",
                    f"a newer copy of the same credential ({kept.source}, issued "
                    f"{kept.issued.isoformat() if kept.issued else 'undated'}) replaces it",
                )
            )
            continue
        named = [r for r in rules if matches(r, e, catalog)]
        if not named:
            outcomes.append(Outcome(e, "refused", "no_rule", no_rule_message(catalog, e)))
            continue
        vouched = [r for r in named if not r.match.needs_trust or e.trusted_by]
        if not vouched:
            r = named[0]
            by = "CTID" if r.match.ctids is not None else "competency"
            outcomes.append(
                Outcome(
                    e,
                    "refused",
                    "untrusted_issuer",
                    f"rule {r.id} matches by {by} without naming an issuer, so the issuer {e.issuer} must be on "
                    "a trusted-issuer list (--trusted-issuers); it is on none given",
                    r.id,
                )
            )
            continue
        named = vouched
        dated = [r for r in named if in_window(r, e.issued)]
        if not dated:
            r = named[0]
            issued = e.issued.isoformat() if e.issued else "undated"
            outcomes.append(
                Outcome(
                    e,
                    "refused",
                    "outside_window",
                    f"issued {issued}; rule {r.id} accepts credentials issued {_window_text(r)}",
                    r.id,
                )
            )
            continue
        good = [r for r in dated if meets_minimum(r, e.results, scale)]
        if not good:
            r = dated[0]
            got = ", ".join(e.results) if e.results else "no result"
            outcomes.append(
                Outcome(
                    e,
                    "refused",
                    "below_minimum",
                    f"rule {r.id} needs a result of at least {r.min_result}; the credential carries {got}",
                    r.id,
                )
            )
            continue
        rule = good[0]
        g = rule.grants
        day = e.issued
        assert day is not None  # a verified credential has an issuance date
        if g.credential is not None:
            until = e.valid_until if e.valid_until is not None and e.valid_until > day else None
            awarded.append(
                Awarded(credential=g.credential, date=day, expires_on=until, issuer=e.issuer, evidence=e.source)
            )
            keys.add("credential:" + g.credential)
        else:
            assert g.course is not None
            course = catalog.courses[g.course]
            credits = g.credits if g.credits is not None else course.credits
            attempts.append(Attempt(course=g.course, date=day, grade=g.grade, credits=credits, status="transfer"))
            if g.course not in native:
                keys.add(g.course)
            g = g.model_copy(update={"credits": credits})
        outcomes.append(Outcome(e, "recognised", None, f"accepted by rule {rule.id} as {rule.describe()}", rule.id, g))
    order = {id(e): i for i, e in enumerate(items)}
    outcomes.sort(key=lambda o: order[id(o.evidence)])
    return Recognised(attempts, awarded, outcomes, frozenset(keys))


def recognition_limit(catalog: Catalog, cid: str) -> float | None:
    """The cap, in credits, on recognised learning counted toward credential ``cid``:
    ``limits: recognised_credits`` (a number, or a percentage of the credential's credits) and
    ``residency_credits`` (its credits less those that must be earned here), the smaller."""
    cred = catalog.credentials[cid]
    lim = cred.limits
    if lim is None:
        return None
    caps: list[float] = []
    value = lim.recognised_credits
    if isinstance(value, str):
        caps.append((cred.credits or 0.0) * float(value.strip().rstrip("%")) / 100.0)
    elif value is not None:
        caps.append(float(value))
    if lim.residency_credits is not None:
        caps.append(max(0.0, (cred.credits or 0.0) - lim.residency_credits))
    return min(caps) if caps else None


def describe_outcome(o: Outcome, titles: Mapping[str, str] | None = None) -> str:
    """One line for text reports."""
    e = o.evidence
    what = e.name or e.achievement or e.id or e.source
    if o.status == "recognised":
        where = ", ".join(o.counted_toward) if o.counted_toward else "nothing yet"
        line = f"{what} ({e.source}): recognised by rule {o.rule} as {o.grants_text()}; counts toward {where}"
        if o.capped_in:
            line += f"; capped in {', '.join(o.capped_in)}"
        return line
    rule = f" (rule {o.rule})" if o.rule else ""
    return f"{what} ({e.source}): refused, {o.reason}{rule}: {o.message}"


__all__ = [
    "REASONS",
    "ExternalCredential",
    "Grant",
    "Identifier",
    "Outcome",
    "Recognised",
    "RecognitionRule",
    "bound_to",
    "describe_outcome",
    "recognise",
    "recognition_limit",
]
