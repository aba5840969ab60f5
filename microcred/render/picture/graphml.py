"""A picture as GraphML (written by networkx)."""

from __future__ import annotations

import networkx as nx

from microcred.model.result import LearnerResult
from microcred.render.picture.layout import ordered_nodes
from microcred.render.picture.model import Source, as_picture
from microcred.render.picture.text import clean


def to_graphml(source: Source, result: LearnerResult | None = None, *, courses: bool = False) -> str:
    """GraphML (networkx): nodes with ``title``, ``type``, ``level``, ``kind`` and, with a
    learner, ``status`` and ``progress`` (and ``earned_on``, ``expires_on`` when set); edges
    with ``kind`` and ``via``."""
    pic = as_picture(source, result, courses)
    g = nx.DiGraph()
    g.graph["name"] = clean(pic.title)
    g.graph["catalog"] = clean(pic.catalog_id)
    if pic.learner_id is not None:
        g.graph["learner"] = clean(pic.learner_id)
        if pic.as_of:
            g.graph["as_of"] = pic.as_of.isoformat()
    for n in ordered_nodes(pic):
        attrs: dict[str, str | int | float] = {
            "kind": n.kind,
            "title": clean(n.title),
            "type": clean(n.type),
            "type_label": clean(n.type_label),
            "level": n.level,
        }
        if n.status is not None:
            attrs["status"] = n.status
        if n.progress is not None:
            attrs["progress"] = float(n.progress)
        if n.earned_on is not None:
            attrs["earned_on"] = n.earned_on.isoformat()
        if n.expires_on is not None:
            attrs["expires_on"] = n.expires_on.isoformat()
        if n.credits is not None:
            attrs["credits"] = float(n.credits)
        g.add_node(clean(n.key), **attrs)
    for e in pic.edges:
        eattrs: dict[str, str] = {"kind": e.kind}
        if e.via:
            eattrs["via"] = e.via
        g.add_edge(clean(e.source), clean(e.target), **eattrs)
    return "\n".join(nx.generate_graphml(g, prettyprint=True)) + "\n"
