"""A picture as Graphviz DOT."""

from __future__ import annotations

from microcred.model.result import LearnerResult
from microcred.render.picture.colours import EARNED_EDGE, EDGE, node_colours
from microcred.render.picture.layout import ordered_nodes
from microcred.render.picture.model import Source, as_picture
from microcred.render.picture.text import box_subtitle, caption, clean


def _dot_quote(text: str) -> str:
    return '"' + clean(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(source: Source, result: LearnerResult | None = None, *, courses: bool = False) -> str:
    """Graphviz DOT, bottom to top: one line a node, one line an edge, ``rank=same`` rows."""
    pic = as_picture(source, result, courses)
    lines = [
        f"digraph {_dot_quote(pic.catalog_id)} {{",
        f"  graph [rankdir=BT, ranksep=0.7, nodesep=0.3, fontname=Helvetica, labelloc=t, "
        f"label={_dot_quote(caption(pic))}];",
        '  node [shape=box, style="rounded,filled", fontname=Helvetica, fontsize=11, margin="0.15,0.08"];',
        "  edge [arrowsize=0.7];",
    ]
    for n in ordered_nodes(pic):
        fill, stroke, _colour = node_colours(pic, n)
        attrs = [
            'label="' + _dot_escape(n.title) + "\\n" + _dot_escape(box_subtitle(n)) + '"',
            f"kind={_dot_quote(n.kind)}",
            f"type={_dot_quote(n.type)}",
            f"level={n.level}",
            f'fillcolor="{fill}"',
            f'color="{stroke}"',
            f"tooltip={_dot_quote(n.ident + ': ' + n.title)}",
        ]
        if n.status is not None:
            attrs.append(f"status={_dot_quote(n.status)}")
        if n.progress is not None:
            attrs.append(f"progress={n.progress:.4g}")
        if n.kind == "course":
            attrs.append("shape=note")
        lines.append(f"  {_dot_quote(n.key)} [{', '.join(attrs)}];")
    for row in pic.rows:
        if len(row) > 1:
            lines.append("  { rank=same; " + " ".join(_dot_quote(k) + ";" for k in row) + " }")
    for e in pic.edges:
        attrs = [f"kind={_dot_quote(e.kind)}"]
        if e.via:
            attrs.append(f"via={_dot_quote(e.via)}")
        if e.via == "credit":
            attrs.append("style=dashed")
        if e.kind == "counts_toward":
            attrs.append('color="#b8c0cc"')
        elif pic.nodes[e.source].status == "earned":
            attrs.append(f'color="{EARNED_EDGE}"')
        else:
            attrs.append(f'color="{EDGE}"')
        lines.append(f"  {_dot_quote(e.source)} -> {_dot_quote(e.target)} [{', '.join(attrs)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_escape(text: str) -> str:
    return clean(text).replace("\\", "\\\\").replace('"', '\\"')
