"""Competency alignments carried outward: Open Badges 3.0 ``Alignment``, CTDL
``CredentialAlignmentObject``, and a skills section for a learning and employment record.

Nothing here is added for a catalogue without competency frameworks (docs/competencies.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from microcred.model.catalog import Catalog
from microcred.model.competencies import Competency
from microcred.model.result import LearnerResult
from microcred.model.skills import credential_alignments, has_competencies, required_credentials


def _framework_name(catalog: Catalog, comp: Competency) -> str:
    fw = catalog.frameworks.get(comp.framework)
    return (fw.title if fw and fw.title else None) or comp.framework


def target_type(comp: Competency) -> str:
    """``CFItem`` for a competency read from a CASE package, else ``ceasn:Competency``."""
    return "CFItem" if comp.scheme == "case" else "ceasn:Competency"


def ob3_alignments(catalog: Catalog, cid: str, achievement_url: Callable[[str], str]) -> list[dict[str, Any]]:
    """The OB 3.0 ``Alignment`` objects of credential ``cid``: one per competency it aligns with
    (own and inherited, ``targetType`` ``CFItem`` or ``ceasn:Competency``), then one per
    credential its rule cannot do without (``ceterms:Credential``, at that credential's
    achievement id). Empty for a catalogue without frameworks."""
    if not has_competencies(catalog):
        return []
    out: list[dict[str, Any]] = []
    aligned = credential_alignments(catalog).get(cid, {})
    for uri in sorted(aligned):
        comp = catalog.competencies[uri]
        item: dict[str, Any] = {
            "type": ["Alignment"],
            "targetName": comp.label,
            "targetUrl": uri,
            "targetDescription": comp.statement,
            "targetFramework": _framework_name(catalog, comp),
            "targetType": target_type(comp),
        }
        if comp.code:
            item["targetCode"] = comp.code
        out.append(item)
    for other in required_credentials(catalog, cid):
        out.append(
            {
                "type": ["Alignment"],
                "targetName": catalog.credentials[other].title,
                "targetUrl": achievement_url(other),
                "targetCode": other,
                "targetType": "ceterms:Credential",
            }
        )
    return out


def ctdl_alignment(catalog: Catalog, uri: str, text: Callable[[str], dict[str, str]]) -> dict[str, Any]:
    """A CTDL ``ceterms:CredentialAlignmentObject`` naming competency ``uri``."""
    comp = catalog.competencies[uri]
    out: dict[str, Any] = {
        "@type": "ceterms:CredentialAlignmentObject",
        "ceterms:targetNode": uri,
        "ceterms:targetNodeName": text(comp.label),
        "ceterms:targetNodeDescription": text(comp.statement),
        "ceterms:frameworkName": text(_framework_name(catalog, comp)),
    }
    fw = catalog.frameworks.get(comp.framework)
    if fw is not None and fw.uri:
        out["ceterms:framework"] = fw.uri
    if comp.code:
        out["ceterms:codedNotation"] = comp.code
    return out


def ler_skills(result: LearnerResult) -> list[dict[str, Any]]:
    """The learner's current skills as a skills section a learning and employment record
    takes: each with its name, description, identifier (the competency URI), framework,
    level, the dates it holds between, and the courses and credentials that evidence it."""
    out: list[dict[str, Any]] = []
    for e in result.skills or []:
        if not e.current:
            continue
        item: dict[str, Any] = {"name": e.label, "description": e.statement, "id": e.uri, "framework": e.framework}
        if e.level is not None:
            item["proficiencyLevel"] = e.level
        item["validFrom"] = e.since.isoformat() if e.since else None
        item["validUntil"] = e.until.isoformat() if e.until else None
        item["evidence"] = [{"type": v.kind, "id": v.id} for v in e.current_evidence()]
        out.append(item)
    return out
