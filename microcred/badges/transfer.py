"""Credential Engine transfer values and the catalogue's recognition rules, both ways.

Import: each ``ceterms:TransferValueProfile`` of a CTDL JSON-LD document (one profile, a list,
or an ``@graph``; ACE credit recommendations, an articulation table) becomes one recognition
rule: it matches the CTIDs of ``ceterms:transferValueFrom``, is in force from
``ceterms:startDate`` until ``ceterms:endDate``, and grants what ``ceterms:transferValueFor``
names in the catalogue (a course by ``ceterms:codedNotation``, a credential by its CTID) with
the credits of ``ceterms:transferValue``; a profile whose target the catalogue lacks grants
the elective placeholder course given, or is left out with a warning.

Export: each recognition rule of the catalogue becomes a ``ceterms:TransferValueProfile``
(see :func:`transfer_value_profiles`, used by ``microcred export ctdl``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from microcred.model.catalog import Catalog
from microcred.model.recognition import RecognitionRule
from microcred.rules.recognition import competency_uri

_CTID = re.compile(r"ce-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TVP = "ceterms:TransferValueProfile"


def _list(v: Any) -> list[Any]:
    return v if isinstance(v, list) else [] if v is None else [v]


def _text(v: Any) -> str | None:
    if isinstance(v, str):
        return v
    if isinstance(v, Mapping):
        for value in v.values():
            if isinstance(value, str):
                return value
            if isinstance(value, list) and value and isinstance(value[0], str):
                return value[0]
    return None


def _types(node: Mapping[str, Any]) -> list[str]:
    return [t for t in _list(node.get("@type")) if isinstance(t, str)]


def _profiles(doc: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(doc, list):
        for item in doc:
            yield from _profiles(item)
    elif isinstance(doc, Mapping):
        if TVP in _types(doc) or "TransferValueProfile" in _types(doc):
            yield doc
        for key in ("@graph", "ceterms:hasTransferValueProfile"):
            if key in doc:
                yield from _profiles(doc[key])


def _ctids(ref: Any, graph: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The CTIDs a reference names: a node's ``ceterms:ctid``, or a registry URI ending in one."""
    if isinstance(ref, str):
        node = graph.get(ref)
        if node is not None:
            return _ctids(node, {})
        return _CTID.findall(ref)[-1:]
    if isinstance(ref, Mapping):
        ctid = ref.get("ceterms:ctid")
        if isinstance(ctid, str) and _CTID.fullmatch(ctid):
            return [ctid]
        rid = ref.get("@id")
        if isinstance(rid, str):
            return _ctids(rid, graph) if rid in graph else _CTID.findall(rid)[-1:]
    return []


def _credits(profile: Mapping[str, Any]) -> float | None:
    for value in _list(profile.get("ceterms:transferValue")):
        if not isinstance(value, Mapping):
            continue
        for key in ("schema:value", "qdata:value", "schema:minValue"):
            v = value.get(key)
            if isinstance(v, int | float) and not isinstance(v, bool) and v >= 0:
                return float(v)
            if isinstance(v, str):
                try:
                    return float(v)
                except ValueError:
                    continue
    return None


def rules_from_ctdl(
    doc: Any, catalog: Catalog, *, elective: str | None = None, credential_ctids: Mapping[str, str] | None = None
) -> tuple[list[dict[str, Any]], list[str]]:
    """(recognition rules as catalogue YAML mappings, warnings) from the transfer value
    profiles of a CTDL document. ``credential_ctids``: CTID → credential id of the catalogue
    (default: each credential's ``metadata.ctid``)."""
    nodes = _list(doc.get("@graph") if isinstance(doc, Mapping) else doc)
    graph = {n["@id"]: n for n in nodes if isinstance(n, Mapping) and isinstance(n.get("@id"), str)}
    by_ctid = dict(credential_ctids or {})
    if credential_ctids is None:
        for cid, cred in catalog.credentials.items():
            given = cred.metadata.get("ctid")
            if isinstance(given, str):
                by_ctid[given] = cid
    rules: list[dict[str, Any]] = []
    warnings: list[str] = []
    seen: set[str] = set()
    for n, profile in enumerate(_profiles(doc), start=1):
        own = profile.get("ceterms:ctid")
        name = _text(profile.get("ceterms:name")) or (own if isinstance(own, str) else f"profile {n}")
        sources = [c for ref in _list(profile.get("ceterms:transferValueFrom")) for c in _ctids(ref, graph)]
        if not sources:
            warnings.append(f"{name}: transferValueFrom names no CTID; left out (a rule needs something to match)")
            continue
        grant: dict[str, Any] | None = None
        credits = _credits(profile)
        for target in _list(profile.get("ceterms:transferValueFor")):
            node = graph.get(target, target) if isinstance(target, str) else target
            code = _text(node.get("ceterms:codedNotation")) if isinstance(node, Mapping) else None
            if code and code in catalog.courses:
                grant = {"course": code}
                break
            hit = next((by_ctid[c] for c in _ctids(node, graph) if c in by_ctid), None)
            if hit is not None:
                grant = {"credential": hit}
                break
        if grant is None and elective is not None:
            grant = {"course": elective}
        if grant is None:
            warnings.append(
                f"{name}: transferValueFor names nothing in the catalogue; left out "
                "(give --elective COURSE to grant elective credit instead)"
            )
            continue
        if "course" in grant and credits is not None:
            grant["credits"] = credits
        base = own if isinstance(own, str) else f"tvp-{n}"
        rid = base
        k = 2
        while rid in seen:
            rid, k = f"{base}-{k}", k + 1
        seen.add(rid)
        rule: dict[str, Any] = {
            "id": rid,
            "label": name,
            "match": {"ctid": sources[0] if len(sources) == 1 else sources},
            "grants": grant,
        }
        for key, field in (("ceterms:startDate", "valid_from"), ("ceterms:endDate", "valid_until")):
            value = profile.get(key)
            if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()[:10]):
                rule[field] = value.strip()[:10]
        rules.append(rule)
    return rules, warnings


def transfer_value_profiles(
    catalog: Catalog,
    *,
    ctid: Callable[[str, str], str],
    ref: Callable[[str], str],
    course_ref: Callable[[str], str],
    credential_ref: Callable[[str], str],
    text: Callable[[str], dict[str, str]],
    credit_value: Callable[[float], dict[str, Any]],
    org: str,
) -> list[dict[str, Any]]:
    """The catalogue's recognition rules as ``ceterms:TransferValueProfile`` nodes: what is
    accepted (``transferValueFrom``: the CTIDs matched, or the issuer's achievement), what it
    counts as (``transferValueFor``) and for how much (``transferValue``), and when."""
    out = []
    for rule in catalog.recognition:
        out.append(_profile(catalog, rule, ctid, ref, course_ref, credential_ref, text, credit_value, org))
    return out


def _profile(
    catalog: Catalog,
    rule: RecognitionRule,
    ctid: Callable[[str, str], str],
    ref: Callable[[str], str],
    course_ref: Callable[[str], str],
    credential_ref: Callable[[str], str],
    text: Callable[[str], dict[str, str]],
    credit_value: Callable[[float], dict[str, Any]],
    org: str,
) -> dict[str, Any]:
    own = ctid("recognition", rule.id)
    m, g = rule.match, rule.grants
    sources: list[Any] = [ref(c) for c in m.ctids or []]
    if not sources:
        for issuer in m.issuers or []:
            for achievement in m.achievements or []:
                sources.append(
                    {
                        "@type": "ceterms:LearningOpportunityProfile",
                        "ceterms:name": text(f"{achievement} (issued by {issuer})"),
                        "ceterms:subjectWebpage": achievement,
                        "ceterms:ownedBy": [issuer],
                    }
                )
    if not sources and m.competencies:
        # learning elsewhere that teaches the competency, by whichever issuer the rule names
        uris = [competency_uri(catalog, c) for c in m.competencies]
        source: dict[str, Any] = {
            "@type": "ceterms:LearningOpportunityProfile",
            "ceterms:name": text("Learning aligned with " + ", ".join(uris)),
            "ceterms:teaches": [
                {"@type": "ceterms:CredentialAlignmentObject", "ceterms:targetNode": uri} for uri in uris
            ],
        }
        if m.issuers:
            source["ceterms:ownedBy"] = list(m.issuers)
        sources.append(source)
    node: dict[str, Any] = {
        "@id": ref(own),
        "@type": TVP,
        "ceterms:ctid": own,
        "ceterms:name": text(rule.label or rule.id),
        "ceterms:description": text(rule.note or f"Recognised by {catalog.id} as {rule.describe()} (rule {rule.id})"),
        "ceterms:ownedBy": [org],
        "ceterms:transferValueFrom": sources,
    }
    if g.course is not None:
        node["ceterms:transferValueFor"] = [course_ref(g.course)]
        credits = g.credits if g.credits is not None else catalog.courses[g.course].credits
        node["ceterms:transferValue"] = [credit_value(credits)]
    else:
        assert g.credential is not None
        node["ceterms:transferValueFor"] = [credential_ref(g.credential)]
        value = catalog.credentials[g.credential].credits
        if value:
            node["ceterms:transferValue"] = [credit_value(value)]
    if rule.valid_from is not None:
        node["ceterms:startDate"] = rule.valid_from.isoformat()
    if rule.valid_until is not None:
        node["ceterms:endDate"] = rule.valid_until.isoformat()
    return node


__all__ = ["TVP", "rules_from_ctdl", "transfer_value_profiles"]
