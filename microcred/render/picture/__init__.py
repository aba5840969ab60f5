"""Pictures of the stacking graph: a model, its layout, and DOT, GraphML, Mermaid and SVG."""

from __future__ import annotations

from microcred.render.picture.colours import COURSE_FILL as COURSE_FILL
from microcred.render.picture.colours import COURSE_STROKE as COURSE_STROKE
from microcred.render.picture.colours import EARNED_EDGE as EARNED_EDGE
from microcred.render.picture.colours import EDGE as EDGE
from microcred.render.picture.colours import NEUTRAL as NEUTRAL
from microcred.render.picture.colours import STATUS_COLOURS as STATUS_COLOURS
from microcred.render.picture.colours import TEXT as TEXT
from microcred.render.picture.colours import TYPE_PALETTE as TYPE_PALETTE
from microcred.render.picture.dot import to_dot
from microcred.render.picture.formats import FORMATS, render
from microcred.render.picture.graphml import to_graphml
from microcred.render.picture.layout import SHAPES as _SHAPES  # noqa: F401 (its name in the single module)
from microcred.render.picture.layout import is_waypoint as is_waypoint
from microcred.render.picture.layout import layout_levels
from microcred.render.picture.layout import total_crossings as _total_crossings  # noqa: F401 (its name in the single module)
from microcred.render.picture.mermaid import mermaid_ids as mermaid_ids
from microcred.render.picture.mermaid import to_mermaid
from microcred.render.picture.model import COURSE_PREFIX as COURSE_PREFIX
from microcred.render.picture.model import STATUS_LABELS as STATUS_LABELS
from microcred.render.picture.model import STATUSES as STATUSES
from microcred.render.picture.model import Picture, PictureEdge, PictureNode
from microcred.render.picture.model import Source as Source
from microcred.render.picture.model import type_label as _type_label  # noqa: F401 (its name in the single module)
from microcred.render.picture.svg import BAND as BAND
from microcred.render.picture.svg import BAND_LABEL_H as BAND_LABEL_H
from microcred.render.picture.svg import BAR as BAR
from microcred.render.picture.svg import BOX_W as BOX_W
from microcred.render.picture.svg import COMPACT_BELOW as COMPACT_BELOW
from microcred.render.picture.svg import COURSE_EDGE as COURSE_EDGE
from microcred.render.picture.svg import COURSE_W as COURSE_W
from microcred.render.picture.svg import EDGE_LEGEND as EDGE_LEGEND
from microcred.render.picture.svg import GAP_BOX as GAP_BOX
from microcred.render.picture.svg import GAP_WAYPOINT as GAP_WAYPOINT
from microcred.render.picture.svg import LABEL_W as LABEL_W
from microcred.render.picture.svg import LINE_GAP as LINE_GAP
from microcred.render.picture.svg import MARGIN as MARGIN
from microcred.render.picture.svg import MAX_WIDTH as MAX_WIDTH
from microcred.render.picture.svg import MIN_TEXT as MIN_TEXT
from microcred.render.picture.svg import MUTED as MUTED
from microcred.render.picture.svg import PAD as PAD
from microcred.render.picture.svg import POOL as POOL
from microcred.render.picture.svg import ROW_GAP as ROW_GAP
from microcred.render.picture.svg import SMALL_SIZE as SMALL_SIZE
from microcred.render.picture.svg import STATUS_SIZE as STATUS_SIZE
from microcred.render.picture.svg import TITLE_LEAD as TITLE_LEAD
from microcred.render.picture.svg import TITLE_SIZE as TITLE_SIZE
from microcred.render.picture.svg import TYPE_H as TYPE_H
from microcred.render.picture.svg import TYPE_SIZE as TYPE_SIZE
from microcred.render.picture.svg import WAYPOINT_ROOM as WAYPOINT_ROOM
from microcred.render.picture.svg import boxes_per_line as boxes_per_line
from microcred.render.picture.svg import text_width, to_svg, wrap
from microcred.render.picture.svg import wrapped as wrapped

__all__ = [
    "FORMATS",
    "Picture",
    "PictureEdge",
    "PictureNode",
    "layout_levels",
    "render",
    "text_width",
    "to_dot",
    "to_graphml",
    "to_mermaid",
    "to_svg",
    "wrap",
]
