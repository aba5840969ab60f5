"""Static checks of the catalogue's recognition rules (docs/recognition.md): targets the
catalogue lacks, grades, windows that never open, overlapping rules, caps that need credits."""

from __future__ import annotations

import datetime as dt
from typing import Any

from microcred.io.modelerrors import suggest
from microcred.model.catalog import Catalog
from microcred.model.competencies import resolve_uri
from microcred.model.diagnostics import Diagnostic
from microcred.model.recognition import RecognitionRule


def check_rules(catalog: Catalog) -> list[Diagnostic]:
    """``E310`` a rule granting an unknown course or credential; ``E306`` a grade off the
    scale; ``E311`` a window that never opens; ``E205`` a rule id used twice; ``W610`` two
    rules that can accept the same credential at the same date (the first applies)."""
    out: list[Diagnostic] = []
    src = catalog.sources
    scale = catalog.grade_scale
    seen: dict[str, int] = {}
    rules = list(catalog.recognition)
    for i, r in enumerate(rules):

        def where(*sub: str | int, i: int = i) -> Any:
            return src.locate(src.recognition[i], tuple(sub)) if i < len(src.recognition) else None

        if r.id in seen:
            out.append(
                Diagnostic(
                    "E205",
                    f"recognition rule '{r.id}' is defined twice: here and at {where(i=seen[r.id])}; "
                    "give each rule its own id",
                    where("id"),
                )
            )
        else:
            seen[r.id] = i
        g = r.grants
        if g.credential is not None and g.credential not in catalog.credentials:
            out.append(
                Diagnostic(
                    "E310",
                    f"recognition rule '{r.id}' grants credential '{g.credential}', which the catalogue lacks; "
                    "name a credential of the catalogue",
                    where("grants", "credential"),
                    subject=r.id,
                )
            )
        if g.course is not None:
            if g.course not in catalog.courses:
                out.append(
                    Diagnostic(
                        "E310",
                        f"recognition rule '{r.id}' grants course '{g.course}', which the catalogue lacks; "
                        "name a course of the catalogue (a placeholder such as CSCI 2XXX grants elective credit)",
                        where("grants", "course"),
                        subject=r.id,
                    )
                )
            if g.grade not in scale:
                out.append(
                    Diagnostic(
                        "E306",
                        f"recognition rule '{r.id}' grants grade '{g.grade}', which is not on the grade scale; "
                        f"grades: {', '.join(scale.names())}",
                        where("grants", "grade"),
                        subject=r.id,
                    )
                )
            elif not scale.grades[g.grade].passing:
                out.append(
                    Diagnostic(
                        "E306",
                        f"recognition rule '{r.id}' grants grade '{g.grade}', which does not pass: the course "
                        "equivalent would count nowhere; grant a passing grade such as TR",
                        where("grants", "grade"),
                        subject=r.id,
                    )
                )
        refs = r.match.competencies or []
        for k, ref in enumerate(refs):
            if resolve_uri(ref, catalog.competencies, catalog.competency_codes) is not None:
                continue
            fw, sep, code = ref.partition(":")
            if not catalog.frameworks:
                hint = "the catalogue defines no framework: add a `frameworks:` section that defines it"
            elif sep and fw in catalog.frameworks:
                codes = [c for f, c in catalog.competency_codes if f == fw]
                hint = f"framework '{fw}' has no competency coded '{code}'{suggest(code, codes)}"
            else:
                hint = (
                    "no framework of the catalogue defines it; check the URI (the credential's alignment "
                    "targetUrl) or add the framework that does"
                )
            one = not isinstance(r.match.competency, list)
            path: tuple[str | int, ...] = ("match", "competency") if one else ("match", "competency", k)
            out.append(
                Diagnostic(
                    "E321",
                    f"recognition rule '{r.id}' matches unknown competency '{ref}': {hint}",
                    where(*path),
                    subject=r.id,
                )
            )
        if r.valid_from is not None and r.valid_until is not None and r.valid_until <= r.valid_from:
            out.append(
                Diagnostic(
                    "E311",
                    f"recognition rule '{r.id}' never accepts anything: valid_until {r.valid_until.isoformat()} is "
                    f"not after valid_from {r.valid_from.isoformat()}",
                    where("valid_until"),
                    subject=r.id,
                )
            )
    for cid, cred in catalog.credentials.items():
        lim = cred.limits
        if lim is not None and isinstance(lim.recognised_credits, str) and not cred.credits:
            out.append(
                Diagnostic(
                    "E312",
                    f"credential '{cid}' caps recognised learning at {lim.recognised_credits.strip()} of its credits, "
                    "but gives no `credits`; give the credential its credits or cap in credits (recognised_credits: 6)",
                    src.credential(cid, ("limits", "recognised_credits")),
                    subject=cid,
                )
            )
        if lim is not None and lim.residency_credits is not None and not cred.credits:
            out.append(
                Diagnostic(
                    "E312",
                    f"credential '{cid}' asks for {lim.residency_credits:g} credits earned here, but gives no "
                    "`credits` to take them from; give the credential its credits or cap recognised learning "
                    "in credits (recognised_credits: 6)",
                    src.credential(cid, ("limits", "residency_credits")),
                    subject=cid,
                )
            )
    for i, a in enumerate(rules):
        for j in range(i + 1, len(rules)):
            b = rules[j]
            if _overlap(a, b, catalog):
                loc = src.locate(src.recognition[j], ("match",)) if j < len(src.recognition) else None
                out.append(
                    Diagnostic(
                        "W610",
                        f"recognition rules '{a.id}' and '{b.id}' can accept the same credential at the same date; "
                        f"'{a.id}' (the first) applies: narrow the match or the windows",
                        loc,
                        subject=b.id,
                    )
                )
    return out


def _overlap(a: RecognitionRule, b: RecognitionRule, catalog: Catalog) -> bool:
    """Whether two rules name a common achievement, CTID or competency, every other key of
    their matches can hold together, and their windows meet."""
    ma, mb = a.match, b.match

    def meet(x: list[str] | None, y: list[str] | None) -> bool:
        return x is None or y is None or bool(set(x) & set(y))

    def uris(refs: list[str] | None) -> list[str] | None:
        if refs is None:
            return None
        return [resolve_uri(c, catalog.competencies, catalog.competency_codes) or c for c in refs]

    ca, cb = uris(ma.competencies), uris(mb.competencies)
    if not (meet(ma.issuers, mb.issuers) and meet(ma.achievements, mb.achievements)):
        return False
    if not (meet(ma.ctids, mb.ctids) and meet(ca, cb)):
        return False
    shared = [
        (x, y)
        for x, y in ((ma.achievements, mb.achievements), (ma.ctids, mb.ctids), (ca, cb))
        if x is not None and y is not None
    ]
    if not shared:
        return False
    lo = max(a.valid_from or dt.date.min, b.valid_from or dt.date.min)
    hi = min(a.valid_until or dt.date.max, b.valid_until or dt.date.max)
    return lo < hi


__all__ = ["check_rules"]
