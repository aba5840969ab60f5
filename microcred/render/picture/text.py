"""Text every format of a picture shares: one clean line, a credential's status, the caption."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from microcred.model.figures import percent_text
from microcred.render.picture.model import STATUS_LABELS

if TYPE_CHECKING:
    from microcred.render.picture.model import Picture, PictureNode

XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(text: str) -> str:
    """Text fit for one line of XML: no control characters, whitespace runs as one space."""
    return " ".join(XML_BAD.sub("", text).split())


def status_text(n: PictureNode) -> str:
    """A credential's status in words, with its date or progress (empty without a learner)."""
    if n.status is None:
        return ""
    label = STATUS_LABELS.get(n.status, n.status)
    if n.status == "earned" and n.earned_on:
        return f"✓ {label} {n.earned_on.isoformat()}"
    if n.status == "expired" and n.expires_on:
        return f"{label} {n.expires_on.isoformat()}"
    if n.status in ("partial", "in_progress") and n.progress is not None:
        return f"{label} · {percent_text(n.progress)}"
    return label


def box_subtitle(n: PictureNode) -> str:
    """The second line of a box: a course's id, or a credential's type and status."""
    if n.kind == "course":
        return n.ident
    status = status_text(n).replace("✓ ", "")
    return n.type_label + (f" · {status}" if status else "")


def caption(pic: Picture) -> str:
    """The picture's caption: the catalogue, and the learner and date when given."""
    text = f"{pic.title}: stacking"
    if pic.learner_id is not None:
        who = f"{pic.learner_name} ({pic.learner_id})" if pic.learner_name else pic.learner_id
        text += f" for {who}"
        if pic.as_of:
            text += f", as of {pic.as_of.isoformat()}"
    return text
