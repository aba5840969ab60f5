"""The colours every format of a picture shares: by status with a learner, by credential type without."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from microcred.render.picture.model import Picture, PictureNode

TEXT = "#1f2933"
EDGE = "#8792a2"
EARNED_EDGE = "#2e7d32"
COURSE_FILL = "#f8fafc"
COURSE_STROKE = "#cbd2da"

#: status -> (fill, stroke, text)
STATUS_COLOURS: dict[str, tuple[str, str, str]] = {
    "earned": ("#e3f2e6", "#2e7d32", "#1b5e20"),
    "in_progress": ("#fff3dc", "#d98e04", "#7a4f00"),
    "partial": ("#f1f6fc", "#7fa6d6", "#234a7a"),
    "expired": ("#ececec", "#9e9e9e", "#616161"),
    "not_started": ("#ffffff", "#c5ccd5", "#4b5563"),
}
NEUTRAL = ("#ffffff", "#aab3bf", TEXT)
#: one (fill, stroke) a credential type, lowest rank first, when no learner is given
TYPE_PALETTE: list[tuple[str, str]] = [
    ("#f3f0ff", "#7c6bd6"),
    ("#e8f6f8", "#2b93a6"),
    ("#fdf1e7", "#d9772b"),
    ("#fbeef5", "#b54f8a"),
    ("#eef2f7", "#51657d"),
    ("#f6f8e8", "#8a9a2a"),
]


def node_colours(pic: Picture, n: PictureNode) -> tuple[str, str, str]:
    """(fill, stroke, text) of a box: a course's, its status's with a learner, else its type's."""
    if n.kind == "course":
        return COURSE_FILL, COURSE_STROKE, TEXT
    if pic.has_learner:
        return STATUS_COLOURS.get(n.status or "", NEUTRAL)
    types = list(pic.types)
    i = types.index(n.type) if n.type in types else 0
    fill, stroke = TYPE_PALETTE[i % len(TYPE_PALETTE)]
    return fill, stroke, TEXT
