"""A picture as a Mermaid flowchart."""

from __future__ import annotations

import re

from microcred.model.result import LearnerResult
from microcred.render.picture.colours import COURSE_FILL, COURSE_STROKE, STATUS_COLOURS, TEXT, TYPE_PALETTE
from microcred.render.picture.layout import ordered_nodes
from microcred.render.picture.model import STATUSES, Picture, Source, as_picture
from microcred.render.picture.text import box_subtitle, caption, clean


def _mermaid_text(text: str) -> str:
    out = clean(text).replace("#", "#35;")
    for ch, entity in (('"', "#quot;"), ("<", "#lt;"), (">", "#gt;"), ("&", "#amp;")):
        out = out.replace(ch, entity)
    return out


def mermaid_ids(pic: Picture) -> dict[str, str]:
    """A Mermaid identifier for each node: ``c_`` (credentials) or ``k_`` (courses) and the
    id with every other character than letters, digits and ``_`` made ``_``; unique."""
    out: dict[str, str] = {}
    taken: set[str] = set()
    for n in sorted(pic.nodes.values(), key=lambda n: n.key):
        base = ("c_" if n.kind == "credential" else "k_") + re.sub(r"[^A-Za-z0-9_]", "_", n.ident)
        name, k = base, 2
        while name in taken:
            name, k = f"{base}_{k}", k + 1
        taken.add(name)
        out[n.key] = name
    return out


def to_mermaid(source: Source, result: LearnerResult | None = None, *, courses: bool = False) -> str:
    """A Mermaid ``flowchart BT``: a class per status (with a learner) or per type."""
    pic = as_picture(source, result, courses)
    ids = mermaid_ids(pic)
    lines = [f"%% {clean(caption(pic))}", "flowchart BT"]
    if pic.has_learner:
        for status in STATUSES:
            fill, stroke, text = STATUS_COLOURS[status]
            dash = ",stroke-dasharray:4 3" if status == "expired" else ""
            lines.append(f"  classDef {status} fill:{fill},stroke:{stroke},color:{text}{dash}")
    else:
        for i, t in enumerate(pic.types):
            fill, stroke = TYPE_PALETTE[i % len(TYPE_PALETTE)]
            lines.append(f"  classDef {_mermaid_class(t)} fill:{fill},stroke:{stroke},color:{TEXT}")
    if any(n.kind == "course" for n in pic.nodes.values()):
        lines.append(f"  classDef course fill:{COURSE_FILL},stroke:{COURSE_STROKE},color:{TEXT}")
    classes: dict[str, list[str]] = {}
    for n in ordered_nodes(pic):
        sub = box_subtitle(n)
        lines.append(f'  {ids[n.key]}["{_mermaid_text(n.title)}<br/><small>{_mermaid_text(sub)}</small>"]')
        if n.kind == "course":
            cls = "course"
        elif pic.has_learner:
            cls = n.status or ""
        else:
            cls = _mermaid_class(n.type)
        if cls:
            classes.setdefault(cls, []).append(ids[n.key])
    for e in pic.edges:
        arrow = "-.->" if e.via == "credit" else "-->"
        lines.append(f"  {ids[e.source]} {arrow} {ids[e.target]}")
    for cls, members in classes.items():
        lines.append(f"  class {','.join(members)} {cls}")
    return "\n".join(lines) + "\n"


def _mermaid_class(type_: str) -> str:
    return "type_" + re.sub(r"[^A-Za-z0-9_]", "_", type_)
