"""A picture as an SVG drawn by microcred: text metrics, geometry in pixels, drawing."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from microcred.model.result import LearnerResult
from microcred.render.picture.colours import (
    COURSE_STROKE,
    EARNED_EDGE,
    EDGE,
    STATUS_COLOURS,
    TEXT,
    TYPE_PALETTE,
    node_colours,
)
from microcred.render.picture.layout import SHAPES, is_waypoint, ordered_nodes, remember, shape_of, wrap_rows
from microcred.render.picture.model import STATUS_LABELS, STATUSES, Picture, PictureNode, Source, as_picture
from microcred.render.picture.text import XML_BAD, caption, clean, status_text

# -- colours only the SVG uses ---------------------------------------------------------

MUTED = "#5f6b7a"
COURSE_EDGE = "#c3cad4"
BAND = "#f5f7fa"
#: status -> (bar, track) of the progress bar
BAR = {"partial": ("#3d7fd0", "#d8e5f5"), "in_progress": ("#e69b00", "#f7e2b5")}

# -- text metrics -----------------------------------------------------------------------

# Helvetica advance widths (1/1000 em) of printable ASCII, from its AFM metrics.
_WIDTHS = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,  # space … /
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,  # 0 … ?
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,  # @ … O
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,  # P … _
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,  # ` … o
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,  # p … ~
]  # fmt: skip


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """An estimate of the width of ``text`` in pixels, set in Helvetica (or a wider
    fallback: the estimate errs on the wide side)."""
    units = 0.0
    for ch in text:
        o = ord(ch)
        if 32 <= o < 127:
            units += _WIDTHS[o - 32]
        elif o >= 0x2E80:  # CJK and the like: full width
            units += 1000
        else:
            units += 600
    return units / 1000 * size * (1.12 if bold else 1.05)


def wrap(text: str, width: float, size: float, *, bold: bool = False, max_lines: int = 3) -> list[str]:
    """Words of ``text`` in lines no wider than ``width``; at most ``max_lines`` (the last
    one ends in an ellipsis when the text does not fit)."""
    words = clean(text).split(" ")
    lines: list[str] = []
    line = ""
    for word in words:
        trial = f"{line} {word}" if line else word
        if text_width(trial, size, bold=bold) <= width or not line:
            line = trial
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    lines = [ln if text_width(ln, size, bold=bold) <= width else _ellipsize(ln, width, size, bold) for ln in lines]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = _ellipsize(lines[-1], width, size, bold)
    return lines


def _ellipsize(line: str, width: float, size: float, bold: bool) -> str:
    """``line`` cut short enough to end in an ellipsis within ``width``."""
    body = line.rstrip("…")
    while body and text_width(body + "…", size, bold=bold) > width:
        body = body[:-1]
    return body.rstrip() + "…"


# -- geometry ---------------------------------------------------------------------------

BOX_W = 200.0
COURSE_W = 150.0
PAD = 11.0
#: the smallest text of the picture: type labels, row labels, the legend, course boxes
SMALL_SIZE = 12.0
TITLE_SIZE = 14.0
TITLE_LEAD = 17.0
TYPE_SIZE = SMALL_SIZE
TYPE_H = 15.0  # the type label's line, above the title
STATUS_SIZE = 12.0
ROW_GAP = 74.0
LINE_GAP = 46.0  # between the lines of a level that is wrapped
#: the widest the SVG is drawn (CSS pixels): a level with more boxes than fit is wrapped into
#: several lines, and a picture still wider is scaled to this width (its viewBox keeps the rest)
MAX_WIDTH = 1280.0
#: a picture narrower than this is compact: the row labels go above each band, not on the left
COMPACT_BELOW = 720.0
BAND_LABEL_H = 20.0
#: the smallest text, in CSS pixels, once the SVG is scaled to its width
MIN_TEXT = 11.0
#: room kept in a line for the edges passing through it, when working out how many boxes fit
WAYPOINT_ROOM = 90.0
GAP_BOX = 30.0
GAP_WAYPOINT = 9.0
MARGIN = 28.0
LABEL_W = 132.0
POOL = 12  # a credential more courses count toward gets a note instead of that many lines


@dataclass
class _Geometry:
    x: dict[str, float]  # centre x of every layer item
    row_top: list[float]  # y of the top of each row's band (row 0 is the bottom row)
    row_height: list[float]
    width: float
    height: float
    box_h: float
    course_h: float
    title_lines: dict[str, list[str]]
    course_cols: dict[str, tuple[float, float]] = field(default_factory=dict)  # course -> (x, y top)
    #: compact (a narrow picture): row labels above each band instead of in a column on the left
    compact: bool = False
    label_w: float = LABEL_W
    head_lines: list[str] = field(default_factory=list)
    sub_lines: list[str] = field(default_factory=list)
    legend_lines: list[list[_LegendEntry]] = field(default_factory=list)


#: one entry of the legend: (kind "box" | "edge" | "title", label, fill, stroke, bar colour, dash pattern)
_LegendEntry = tuple[str, str, str, str, str | None, str | None]


def _isotonic(targets: list[float], weights: list[float]) -> list[float]:
    """Non-decreasing values closest to ``targets`` in weighted least squares (pool adjacent
    violators)."""
    blocks: list[list[float]] = []  # [weight, weighted sum, count]
    for t, w in zip(targets, weights, strict=True):
        blocks.append([w, w * t, 1])
        while len(blocks) > 1 and blocks[-2][1] / blocks[-2][0] > blocks[-1][1] / blocks[-1][0]:
            w2, s2, c2 = blocks.pop()
            blocks[-1][0] += w2
            blocks[-1][1] += s2
            blocks[-1][2] += c2
    out: list[float] = []
    for w, s, c in blocks:
        out.extend([s / w] * int(c))
    return out


def _place_row(
    items: list[str], desired: dict[str, float], widths: dict[str, float], gap_waypoint: float = GAP_WAYPOINT
) -> dict[str, float]:
    """Centres for a row in its order, each as close to its desired centre as the gaps allow."""
    if not items:
        return {}
    offsets = [0.0]
    for a, b in itertools.pairwise(items):
        gap = GAP_BOX if not (is_waypoint(a) or is_waypoint(b)) else gap_waypoint
        if is_waypoint(a) != is_waypoint(b):
            gap = gap_waypoint + 6
        offsets.append(offsets[-1] + widths[a] / 2 + gap + widths[b] / 2)
    weights = [2.0 if is_waypoint(n) else 1.0 for n in items]
    ys = _isotonic([desired[n] - o for n, o in zip(items, offsets, strict=True)], weights)
    return {n: y + o for n, y, o in zip(items, ys, offsets, strict=True)}


def _assign_x(pic: Picture, widths: dict[str, float]) -> dict[str, float]:
    layers = pic.layers
    first = 1 if any(n.kind == "course" for n in pic.nodes.values()) else 0
    up: dict[str, list[str]] = {}
    down: dict[str, list[str]] = {}
    for e, route in zip(pic.edges, pic.routes, strict=True):
        if e.kind != "stacks_into":
            continue
        if pic.nodes[e.target].row <= pic.nodes[e.source].row:
            continue
        for a, b in itertools.pairwise(route):
            up.setdefault(a, []).append(b)
            down.setdefault(b, []).append(a)
    x: dict[str, float] = {}
    for r in range(first, len(layers)):
        x.update(_place_row(layers[r], {n: 0.0 for n in layers[r]}, widths))
        # centre the packed row on 0
        if layers[r]:
            mid = (x[layers[r][0]] + x[layers[r][-1]]) / 2
            for n in layers[r]:
                x[n] -= mid

    def mean(ns: Iterable[str], default: float) -> float:
        vals = [x[m] for m in ns]
        return sum(vals) / len(vals) if vals else default

    rows = range(first, len(layers))
    for _ in range(10):
        for r in rows[1:]:
            x.update(_place_row(layers[r], {n: mean(down.get(n, ()), x[n]) for n in layers[r]}, widths))
        for r in reversed(rows[:-1]):
            x.update(_place_row(layers[r], {n: mean(up.get(n, ()), x[n]) for n in layers[r]}, widths))
    for _ in range(3):
        for r in rows:
            x.update(_place_row(layers[r], {n: mean(up.get(n, []) + down.get(n, []), x[n]) for n in layers[r]}, widths))
    return x


def _squeeze(pic: Picture, x: dict[str, float], widths: dict[str, float], room: float) -> None:
    """Bring the credential rows within ``room`` pixels where their gaps allow: every centre
    is drawn toward the middle by one factor (the largest that fits, found by bisection), and
    each row packed again in its order, edges' waypoints closer together."""
    layers = [ly for ly in pic.layers if ly and (is_waypoint(ly[0]) or pic.nodes[ly[0]].kind == "credential")]
    keys = [k for ly in layers for k in ly]
    if not keys:
        return

    def extent(xs: dict[str, float]) -> float:
        return max(xs[k] + widths[k] / 2 for k in keys) - min(xs[k] - widths[k] / 2 for k in keys)

    if extent(x) <= room:
        return
    mid = (max(x[k] for k in keys) + min(x[k] for k in keys)) / 2

    def squeezed(factor: float) -> dict[str, float]:
        out: dict[str, float] = {}
        for ly in layers:
            row = _place_row(ly, {k: mid + (x[k] - mid) * factor for k in ly}, widths, GAP_WAYPOINT / 2)
            lo = min(row[k] - widths[k] / 2 for k in ly)
            hi = max(row[k] + widths[k] / 2 for k in ly)
            # slide the row into the window of the room where it fits, else centre it there
            if hi - lo > room:
                shift = mid - (lo + hi) / 2
            elif lo < mid - room / 2:
                shift = mid - room / 2 - lo
            else:
                shift = min(0.0, mid + room / 2 - hi)
            out.update({k: v + shift for k, v in row.items()})
        return out

    lo, hi = 0.0, 1.0
    best = squeezed(0.0)
    for _ in range(8):
        factor = (lo + hi) / 2
        trial = squeezed(factor)
        if extent(trial) <= room:
            lo, best = factor, trial
        else:
            hi = factor
    x.update(best)


def _layout(pic: Picture, max_width: float = MAX_WIDTH) -> _Geometry:
    compact = max_width < COMPACT_BELOW
    label_w = 0.0 if compact else LABEL_W
    has_courses = any(n.kind == "course" for n in pic.nodes.values())
    inner = BOX_W - 2 * PAD
    title_lines: dict[str, list[str]] = {}
    for n in pic.nodes.values():
        if n.kind == "credential":
            title_lines[n.key] = wrap(n.title, inner, TITLE_SIZE, bold=True)
        else:
            title_lines[n.key] = wrap(n.title, COURSE_W - 2 * 8, SMALL_SIZE, max_lines=2)
    most = max((len(v) for k, v in title_lines.items() if pic.nodes[k].kind == "credential"), default=1)
    box_h = PAD + TYPE_H + most * TITLE_LEAD + (34 if pic.has_learner else 6) + PAD - 4
    course_h = 8 + 15 + 2 * 15 + 6
    widths: dict[str, float] = {}
    for layer in pic.layers:
        for k in layer:
            widths[k] = 0.0 if is_waypoint(k) else (BOX_W if pic.nodes[k].kind == "credential" else COURSE_W)
    shape = ("x", *shape_of(pic), tuple(map(tuple, pic.layers)), tuple(map(tuple, pic.routes)), max_width - label_w)
    found = SHAPES.get(shape)
    if isinstance(found, dict):
        x: dict[str, float] = dict(found)
    else:
        x = _assign_x(pic, widths)
        _squeeze(pic, x, widths, max_width - 2 * MARGIN - label_w)
        remember(shape, dict(x))
    nrows = len(pic.layers)
    row_height = [box_h] * nrows
    course_cols: dict[str, tuple[float, float]] = {}
    cred_left = min((x[k] - widths[k] / 2 for k in x), default=0.0)
    cred_right = max((x[k] + widths[k] / 2 for k in x), default=BOX_W)
    if has_courses:
        courses = pic.layers[0]
        span = max(cred_right - cred_left, 6 * (COURSE_W + 14))
        ncols = max(1, min(len(courses), int((span + 14) // (COURSE_W + 14))))
        nlines = max(1, math.ceil(len(courses) / ncols))
        ncols = max(1, math.ceil(len(courses) / nlines))
        # column-major: courses ordered by their credentials fill columns left to right
        cols = [courses[c * nlines : (c + 1) * nlines] for c in range(ncols)]
        rank_x: dict[str, list[float]] = {}
        for e in pic.edges:
            if e.kind == "counts_toward" and e.target in x:
                rank_x.setdefault(e.source, []).append(x[e.target])
        col_keys = [f"\x01col{c}" for c in range(len(cols))]
        desired: dict[str, float] = {}
        cw: dict[str, float] = {}
        for key, members in zip(col_keys, cols, strict=True):
            xs = [sum(v) / len(v) for m in members if (v := rank_x.get(m))]
            desired[key] = sum(xs) / len(xs) if xs else cred_right
            cw[key] = COURSE_W
        placed = _place_row(col_keys, desired, cw)
        for key, members in zip(col_keys, cols, strict=True):
            for i, m in enumerate(members):
                course_cols[m] = (placed[key], i * (course_h + 10))
                x[m] = placed[key]
        row_height[0] = nlines * (course_h + 10) - 10
    left = min((x[k] - widths.get(k, COURSE_W) / 2 for k in x), default=0.0)
    right = max((x[k] + widths.get(k, COURSE_W) / 2 for k in x), default=BOX_W)
    shift = MARGIN + label_w - left
    for k in x:
        x[k] += shift
    # the width: the content's, or as much as the heading and the legend want, up to max_width
    entries = _legend_entries(pic)
    wants = max(
        _legend_width(pic),
        text_width(_heading(pic), 19, bold=True),
        text_width(_subtitle(pic), 13),
    )
    widest = max(_entry_width(entry) for entry in entries)
    width = max(MARGIN + label_w + (right - left) + MARGIN, min(MARGIN * 2 + wants, max_width), MARGIN * 2 + widest)
    room = width - 2 * MARGIN
    head_lines = wrap(_heading(pic), room, 19, bold=True, max_lines=2)
    sub_lines = wrap(_subtitle(pic), room, 13, max_lines=4)
    legend_lines: list[list[_LegendEntry]] = [[]]
    used = 0.0
    for entry in entries:
        if legend_lines[-1] and used + _entry_width(entry) > room:
            legend_lines.append([])
            used = 0.0
        legend_lines[-1].append(entry)
        used += _entry_width(entry)
    header = 20 + 24 * (len(head_lines) - 1) + 22 + 17 * (len(sub_lines) - 1) + 46
    row_top = [0.0] * nrows
    y = MARGIN + header
    bands = _bands(pic)
    for r in range(nrows - 1, -1, -1):
        if compact and (r == nrows - 1 or bands[r + 1] != bands[r]):
            y += BAND_LABEL_H  # the band's label, above its top line
        row_top[r] = y
        y += row_height[r] + (LINE_GAP if r > 0 and bands[r - 1] == bands[r] else ROW_GAP)
    content_bottom = y - ROW_GAP
    height = content_bottom + 40 + 56 + 24 * (len(legend_lines) - 1) + MARGIN
    for k, (_cx, dy) in course_cols.items():
        course_cols[k] = (x[k], row_top[0] + dy)
    return _Geometry(
        x, row_top, row_height, width, height, box_h, course_h, title_lines, course_cols,
        compact, label_w, head_lines, sub_lines, legend_lines,
    )  # fmt: skip


def _bands(pic: Picture) -> list[int]:
    return pic.bands if len(pic.bands) == len(pic.layers) else list(range(len(pic.layers)))


def boxes_per_line(max_width: float) -> int:
    """How many credential boxes a line of a level holds in a picture ``max_width`` wide."""
    label_w = 0.0 if max_width < COMPACT_BELOW else LABEL_W
    room = max_width - 2 * MARGIN - label_w - (WAYPOINT_ROOM if label_w else WAYPOINT_ROOM / 3)
    return max(1, int((room + GAP_BOX) // (BOX_W + GAP_BOX)))


def wrapped(pic: Picture, max_width: float = MAX_WIDTH) -> Picture:
    """``pic`` with every level of more credentials than fit in ``max_width`` wrapped into
    lines, laid out again (``pic`` itself when no level is too wide). Lines are made shorter
    until the drawing, scaled to ``max_width``, keeps its smallest text at least
    :data:`MIN_TEXT` pixels high, or until shorter lines no longer make it narrower."""
    return _wrapped(pic, max_width)[0]


def _wrapped(pic: Picture, max_width: float) -> tuple[Picture, _Geometry]:
    """:func:`wrapped`, and the layout of the picture it returns."""
    cap = boxes_per_line(max_width)
    out = wrap_rows(pic, cap)
    geo = _layout(out, max_width)
    while cap > 1 and geo.width * MIN_TEXT / SMALL_SIZE > max_width:
        shorter = wrap_rows(pic, cap - 1)
        narrower = _layout(shorter, max_width)
        if narrower.width >= geo.width - 1:  # the heading or the legend sets the width now
            break
        cap, out, geo = cap - 1, shorter, narrower
    return out, geo


# -- drawing ----------------------------------------------------------------------------


def _attr(value: str | float) -> str:
    if isinstance(value, float):
        return quoteattr(_num(value))
    return quoteattr(XML_BAD.sub("", value))


def _num(v: float) -> str:
    s = f"{v:.1f}"
    return s[:-2] if s.endswith(".0") else s


def _text(x: float, y: float, text: str, size: float, *, fill: str = TEXT, weight: str | None = None,
          anchor: str | None = None, extra: str = "") -> str:  # fmt: skip
    a = f' font-size="{_num(size)}" fill="{fill}"'
    if weight:
        a += f' font-weight="{weight}"'
    if anchor:
        a += f' text-anchor="{anchor}"'
    return f'<text x="{_num(x)}" y="{_num(y)}"{a}{extra}>{escape(clean(text))}</text>'


def _box_bounds(pic: Picture, geo: _Geometry, key: str) -> tuple[float, float, float, float]:
    """left, top, width, height of a node's box."""
    n = pic.nodes[key]
    if n.kind == "course":
        cx, top = geo.course_cols[key]
        return cx - COURSE_W / 2, top, COURSE_W, geo.course_h
    return geo.x[key] - BOX_W / 2, geo.row_top[n.row], BOX_W, geo.box_h


def _ports(pic: Picture, geo: _Geometry, drawn: list[int]) -> dict[tuple[int, str], float]:
    """Where each drawn edge leaves its source (top) and enters its target (bottom): spread
    over the box edge in the order of where the edges come from, so they do not overlap."""
    out: dict[tuple[int, str], float] = {}
    leaving: dict[str, list[tuple[float, int]]] = {}
    entering: dict[str, list[tuple[float, int]]] = {}
    for i in drawn:
        route = pic.routes[i]
        src, tgt = route[0], route[-1]
        nxt = route[1] if len(route) > 2 else tgt
        prv = route[-2] if len(route) > 2 else src
        leaving.setdefault(src, []).append((_cx(pic, geo, nxt), i))
        entering.setdefault(tgt, []).append((_cx(pic, geo, prv), i))
    for group, end in ((leaving, "s"), (entering, "t")):
        for key, items in group.items():
            items.sort()
            left, _top, w, _h = _box_bounds(pic, geo, key)
            spread = min(w - 36, 14.0 * (len(items) - 1))
            for j, (_x, i) in enumerate(items):
                off = 0.0 if len(items) == 1 else -spread / 2 + spread * j / (len(items) - 1)
                out[(i, end)] = left + w / 2 + off
    return out


def _cx(pic: Picture, geo: _Geometry, key: str) -> float:
    if key in pic.nodes and pic.nodes[key].kind == "course":
        return geo.course_cols[key][0]
    return geo.x[key]


def _curve(x0: float, y0: float, x1: float, y1: float) -> str:
    """A cubic from (x0, y0) up or down to (x1, y1) with vertical tangents at both ends."""
    my = (y0 + y1) / 2
    return f" C{_num(x0)},{_num(my)} {_num(x1)},{_num(my)} {_num(x1)},{_num(y1)}"


def _edge_path(pic: Picture, geo: _Geometry, i: int, ports: dict[tuple[int, str], float]) -> str:
    route = pic.routes[i]
    src, tgt = pic.nodes[route[0]], pic.nodes[route[-1]]
    sl, st, sw, sh = _box_bounds(pic, geo, src.key)
    tl, tt, tw, th = _box_bounds(pic, geo, tgt.key)
    sx = ports.get((i, "s"), sl + sw / 2)
    tx = ports.get((i, "t"), tl + tw / 2)
    if tgt.row > src.row or src.kind == "course":
        d = f"M{_num(sx)},{_num(st)}"
        px, py = sx, st
        for w in route[1:-1]:
            r = int(w.rsplit(":", 1)[1])
            bottom = geo.row_top[r] + geo.row_height[r]
            d += _curve(px, py, geo.x[w], bottom) + f" L{_num(geo.x[w])},{_num(geo.row_top[r])}"
            px, py = geo.x[w], geo.row_top[r]
        return d + _curve(px, py, tx, tt + th + 2)
    if src.key == tgt.key:  # a loop on the right of the box
        right = sl + sw
        return (
            f"M{_num(right - 24)},{_num(st)} C{_num(right - 24)},{_num(st - 34)} "
            f"{_num(right + 34)},{_num(st + sh / 2)} {_num(right + 2)},{_num(st + sh / 2)}"
        )
    if tgt.row == src.row:  # an arc over the row, higher from right to left
        lift = st - (34 if sx < tx else 52)
        return f"M{_num(sx)},{_num(st)} C{_num(sx)},{_num(lift)} {_num(tx)},{_num(lift)} {_num(tx)},{_num(tt - 2)}"
    return f"M{_num(sx)},{_num(st + sh)}" + _curve(sx, st + sh, tx, tt - 2)  # a downward edge


def _legend_items(pic: Picture) -> list[tuple[str, str, str, str | None]]:
    """(label, fill, stroke, bar colour) of each box swatch of the legend."""
    if pic.has_learner:
        out: list[tuple[str, str, str, str | None]] = []
        for s in STATUSES:
            fill, stroke, _t = STATUS_COLOURS[s]
            out.append((STATUS_LABELS[s], fill, stroke, BAR[s][0] if s in BAR else None))
        return out
    return [(label, *TYPE_PALETTE[i % len(TYPE_PALETTE)], None) for i, label in enumerate(pic.types.values())]


EDGE_LEGEND: tuple[tuple[str, str | None], ...] = (("stacks into", None), ("counts at its credit value", "5 4"))


def _legend_entries(pic: Picture) -> list[_LegendEntry]:
    out: list[_LegendEntry] = [("title", "Legend", "", "", None, None)]
    out += [("box", label, fill, stroke, bar, None) for label, fill, stroke, bar in _legend_items(pic)]
    out += [("edge", label, "", "", None, dash) for label, dash in EDGE_LEGEND]
    return out


def _entry_width(e: _LegendEntry) -> float:
    if e[0] == "title":
        return text_width(e[1], SMALL_SIZE, bold=True) + 16
    return (30 if e[0] == "box" else 40) + text_width(e[1], SMALL_SIZE) + 18


def _legend_width(pic: Picture) -> float:
    return sum(_entry_width(e) for e in _legend_entries(pic))


def to_svg(
    source: Source, result: LearnerResult | None = None, *, courses: bool = False, max_width: float = MAX_WIDTH
) -> str:
    """A standalone SVG drawn by microcred: rounded boxes (title and type; with a learner,
    the status and a progress bar) in rows by level, arrows for stacking (dashed where a
    credential counts by its credit value), row labels and a legend.

    A level with more boxes than fit in ``max_width`` pixels is wrapped into several lines;
    the ``width`` of the SVG is at most ``max_width`` (its ``viewBox`` holds the drawing)."""
    pic, geo = _wrapped(as_picture(source, result, courses), max_width)
    W, H = geo.width, geo.height
    scale = min(1.0, max_width / W)
    out: list[str] = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_num(W * scale)}" height="{_num(H * scale)}" '
        f'viewBox="0 0 {_num(W)} {_num(H)}" role="img" '
        "font-family=\"'Helvetica Neue', Helvetica, Arial, 'Liberation Sans', 'DejaVu Sans', sans-serif\">",
        f"<title>{escape(clean(caption(pic)))}</title>",
        f"<desc>{escape(_desc(pic))}</desc>",
        "<defs>",
    ]
    for name, colour in (("arrow", EDGE), ("arrow-earned", EARNED_EDGE), ("arrow-course", COURSE_EDGE)):
        out.append(
            f'<marker id="{name}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
            f'orient="auto"><path d="M0,1 L10,5 L0,9 z" fill="{colour}"/></marker>'
        )
    out.append(
        '<filter id="shadow" x="-10%" y="-10%" width="120%" height="140%">'
        '<feGaussianBlur in="SourceAlpha" stdDeviation="1.2"/><feOffset dy="1" result="blur"/>'
        '<feFlood flood-color="#1f2933" flood-opacity="0.12"/><feComposite in2="blur" operator="in"/>'
        '<feMerge><feMergeNode/><feMergeNode in="SourceGraphic"/></feMerge></filter>'
    )
    out.append(
        '<pattern id="pending" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        f'<rect width="6" height="6" fill="{BAR["in_progress"][1]}"/><rect width="3" height="6" '
        f'fill="{BAR["in_progress"][0]}"/></pattern>'
    )
    out.append("</defs>")
    out.append(f'<rect width="{_num(W)}" height="{_num(H)}" fill="#ffffff"/>')
    # header
    y = MARGIN + 20
    for j, line in enumerate(geo.head_lines):
        out.append(_text(MARGIN, y + 24 * j, line, 19, weight="700"))
    y += 24 * (len(geo.head_lines) - 1) + 22
    for j, line in enumerate(geo.sub_lines):
        out.append(_text(MARGIN, y + 17 * j, line, 13, fill=MUTED))
    # row bands and labels
    out.append('<g class="rows">')
    bands = _bands(pic)
    for b in range(bands[-1] if bands else -1, -1, -1):
        rows = [r for r, band in enumerate(bands) if band == b]
        top = min(geo.row_top[r] for r in rows)
        h = max(geo.row_top[r] + geo.row_height[r] for r in rows) - top
        above = BAND_LABEL_H if geo.compact else 0.0
        if (bands[-1] - b) % 2 == 0:
            out.append(
                f'<rect x="{_num(MARGIN / 2)}" y="{_num(top - above - ROW_GAP / 2 + 6)}" width="{_num(W - MARGIN)}" '
                f'height="{_num(h + above + ROW_GAP - 12)}" rx="10" fill="{BAND}"/>'
            )
        if geo.compact:  # one line above the band
            label = _cut_text(" · ".join(_row_types(pic, rows)), W - 2 * MARGIN, SMALL_SIZE, True)
            out.append(_text(MARGIN, top - above - ROW_GAP / 2 + 24, label, SMALL_SIZE, fill=MUTED, weight="600"))
            continue
        labels = _row_labels(pic, rows)
        y0 = top + h / 2 - (len(labels) - 1) * 8 + 4
        for j, label in enumerate(labels):
            out.append(_text(MARGIN, y0 + j * 16, label, SMALL_SIZE, fill=MUTED, weight="600"))
    out.append("</g>")
    # edges
    drawn: list[int] = []
    pools: dict[str, int] = {}
    course_in: dict[str, int] = {}
    for e in pic.edges:
        if e.kind == "counts_toward":
            course_in[e.target] = course_in.get(e.target, 0) + 1
    for i, e in enumerate(pic.edges):
        if e.kind == "counts_toward" and course_in[e.target] > POOL:
            pools[e.target] = course_in[e.target]
            continue
        drawn.append(i)
    ports = _ports(pic, geo, drawn)
    out.append('<g class="edges" fill="none" stroke-linecap="round">')
    for i in sorted(drawn, key=lambda i: (pic.edges[i].kind == "stacks_into", pic.edges[i].source == "")):
        e = pic.edges[i]
        if e.kind == "counts_toward":
            colour, marker, width = COURSE_EDGE, "arrow-course", 1.0
        elif pic.nodes[e.source].status == "earned":
            colour, marker, width = EARNED_EDGE, "arrow-earned", 1.6
        else:
            colour, marker, width = EDGE, "arrow", 1.3
        dash = ' stroke-dasharray="5 4"' if e.via == "credit" else ""
        cls = "edge " + e.kind.replace("_", "-") + (f" via-{e.via}" if e.via else "")
        out.append(
            f'<path class="{cls}" data-source={_attr(e.source)} data-target={_attr(e.target)} '
            f'd="{_edge_path(pic, geo, i, ports)}" stroke="{colour}" stroke-width="{_num(width)}"{dash} '
            f'marker-end="url(#{marker})"/>'
        )
    out.append("</g>")
    # boxes
    out.append('<g class="nodes">')
    for n in ordered_nodes(pic):
        out.extend(_node_svg(pic, geo, n, pools.get(n.key)))
    out.append("</g>")
    out.extend(_legend_svg(pic, geo))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _heading(pic: Picture) -> str:
    return f"{pic.title} · credential stacking"


def _desc(pic: Picture) -> str:
    creds = sum(1 for n in pic.nodes.values() if n.kind == "credential")
    links = sum(1 for e in pic.edges if e.kind == "stacks_into")
    text = f"{creds} credentials and {links} stacking links of {pic.title}, in rows by taxonomy level, lowest at the "
    text += "bottom."
    return clean(text)


def _subtitle(pic: Picture) -> str:
    creds = sum(1 for n in pic.nodes.values() if n.kind == "credential")
    links = sum(1 for e in pic.edges if e.kind == "stacks_into")
    text = f"{creds} credentials, {links} stacking links, in rows by taxonomy level (lowest at the bottom)"
    if pic.learner_id is not None:
        who = f"{pic.learner_name} ({pic.learner_id})" if pic.learner_name else pic.learner_id
        text = f"Progress of {who}" + (f" as of {pic.as_of.isoformat()}" if pic.as_of else "") + " · " + text
    return text


def _row_types(pic: Picture, rows: list[int]) -> list[str]:
    """The labels of the credential types in these rows, lowest rank first ("Courses" for the
    row of courses)."""
    keys = [k for r in rows for k in pic.rows[r]]
    if keys and all(pic.nodes[k].kind == "course" for k in keys):
        return ["Courses"]
    present = {pic.nodes[k].type for k in keys}
    return [label for t, label in pic.types.items() if t in present]


def _cut_text(text: str, width: float, size: float, bold: bool) -> str:
    return text if text_width(text, size, bold=bold) <= width else _ellipsize(text, width, size, bold)


def _row_labels(pic: Picture, rows: list[int]) -> list[str]:
    labels = _row_types(pic, rows)
    if labels == ["Courses"]:
        return labels
    out: list[str] = []
    for label in labels[:3]:
        out.extend(wrap(label, LABEL_W - 14, SMALL_SIZE, bold=True, max_lines=2))
    if len(labels) > 3:
        out.append(f"+{len(labels) - 3} more")
    return out


def _node_svg(pic: Picture, geo: _Geometry, n: PictureNode, pool: int | None) -> list[str]:
    left, top, w, h = _box_bounds(pic, geo, n.key)
    fill, stroke, text_colour = node_colours(pic, n)
    status_cls = f" {n.status}" if n.status else ""
    tip = f"{n.title} ({n.ident})\n{n.type_label}"
    if n.credits is not None:
        tip += f", {n.credits:g} credits"
    if n.status is not None:
        tip += "\n" + status_text(n).replace("✓ ", "")
        if n.expires_on and n.status == "earned":
            tip += f", expires {n.expires_on.isoformat()}"
    out = [
        f'<g class="node {n.kind}{status_cls}" data-id={_attr(n.key)} data-type={_attr(n.type)} '
        f'data-level="{n.level}"' + (f' data-status="{n.status}"' if n.status else "") + ">",
        f"<title>{escape(XML_BAD.sub('', tip))}</title>",
    ]
    dash = ' stroke-dasharray="5 3"' if n.status == "expired" else ""
    radius = 6 if n.kind == "course" else 10
    out.append(
        f'<rect class="box" x="{_num(left)}" y="{_num(top)}" width="{_num(w)}" height="{_num(h)}" '
        f'rx="{radius}" fill="{fill}" stroke="{stroke}" stroke-width="{1.0 if n.kind == "course" else 1.4}"'
        f'{dash} filter="url(#shadow)"/>'
    )
    if n.kind == "course":
        out.append(_text(left + 8, top + 17, n.ident, SMALL_SIZE, fill=MUTED, weight="700"))
        for j, line in enumerate(geo.title_lines[n.key]):
            out.append(_text(left + 8, top + 34 + j * 15, line, SMALL_SIZE, fill=text_colour))
        out.append("</g>")
        return out
    accent = stroke if not pic.has_learner else MUTED
    out.append(
        _text(left + PAD, top + PAD + 10, _type_line(n.type_label, w - 2 * PAD), TYPE_SIZE, fill=accent,
              weight="700", extra=' letter-spacing="0.3"')
    )  # fmt: skip
    lines = geo.title_lines[n.key]
    title_colour = STATUS_COLOURS["expired"][2] if n.status == "expired" else TEXT
    for j, line in enumerate(lines):
        out.append(
            _text(left + PAD, top + PAD + TYPE_H + (j + 1) * TITLE_LEAD - 2, line, TITLE_SIZE, fill=title_colour,
                  weight="600")
        )  # fmt: skip
    if n.status is not None:
        sy = top + h - PAD - 10
        out.append(_text(left + PAD, sy, status_text(n), STATUS_SIZE, fill=text_colour, weight="600",
                         extra=' class="status"'))  # fmt: skip
        if n.status in BAR and n.progress is not None:
            bar, track = BAR[n.status]
            bw = w - 2 * PAD
            by = top + h - PAD - 2
            out.append(
                f'<rect class="track" x="{_num(left + PAD)}" y="{_num(by)}" width="{_num(bw)}" height="4" '
                f'rx="2" fill="{track}"/>'
            )
            filled = bw * max(0.0, min(1.0, n.progress))
            if n.status == "in_progress" and filled < bw:
                # the part still to be passed: counts once the courses in progress are passed
                out.append(
                    f'<rect class="pending" x="{_num(left + PAD + filled)}" y="{_num(by)}" '
                    f'width="{_num(bw - filled)}" height="4" rx="2" fill="url(#pending)"/>'
                )
            if filled > 0:
                out.append(
                    f'<rect class="progress" x="{_num(left + PAD)}" y="{_num(by)}" width="{_num(max(filled, 4))}" '
                    f'height="4" rx="2" fill="{bar}"/>'
                )
    if pool:
        label = f"+ any of {pool} courses"
        pw = text_width(label, SMALL_SIZE) + 14
        px, py = left + w - pw - 8, top - 10
        out.append(
            f'<rect class="pool" x="{_num(px)}" y="{_num(py)}" width="{_num(pw)}" height="19" rx="9" '
            f'fill="#ffffff" stroke="{COURSE_STROKE}"/>'
        )
        out.append(_text(px + pw / 2, py + 14, label, SMALL_SIZE, fill=MUTED, anchor="middle"))
    out.append("</g>")
    return out


def _type_line(label: str, width: float) -> str:
    """The type label of a box: in capitals when that fits ``width``, else as written (cut
    short with an ellipsis when even that does not fit)."""
    upper = label.upper()
    if text_width(upper, TYPE_SIZE, bold=True) + 0.3 * len(upper) <= width:
        return upper
    if text_width(label, TYPE_SIZE, bold=True) + 0.3 * len(label) <= width:
        return label
    return _ellipsize(label, width - 0.3 * len(label), TYPE_SIZE, True)


def _legend_svg(pic: Picture, geo: _Geometry) -> list[str]:
    lines = geo.legend_lines or [_legend_entries(pic)]
    y = geo.height - MARGIN - 30 - 24 * (len(lines) - 1)
    out = ['<g class="legend">']
    out.append(
        f'<line x1="{_num(MARGIN)}" y1="{_num(y - 24)}" x2="{_num(geo.width - MARGIN)}" y2="{_num(y - 24)}" '
        f'stroke="#e3e7ec"/>'
    )
    for line in lines:
        x = MARGIN
        for kind, label, fill, stroke, bar, pattern in line:
            if kind == "title":
                out.append(_text(x, y + 4, label, SMALL_SIZE, fill=TEXT, weight="700"))
            elif kind == "box":
                dash = ' stroke-dasharray="4 2"' if label == STATUS_LABELS["expired"] and pic.has_learner else ""
                out.append(
                    f'<rect x="{_num(x)}" y="{_num(y - 8)}" width="22" height="16" rx="4" fill="{fill}" '
                    f'stroke="{stroke}" stroke-width="1.2"{dash}/>'
                )
                if bar:
                    out.append(
                        f'<rect x="{_num(x + 3)}" y="{_num(y + 3)}" width="10" height="2.5" rx="1" fill="{bar}"/>'
                    )
                out.append(_text(x + 30, y + 4, label, SMALL_SIZE, fill=TEXT))
            else:
                d = f' stroke-dasharray="{pattern}"' if pattern else ""
                out.append(
                    f'<path d="M{_num(x)},{_num(y)} L{_num(x + 30)},{_num(y)}" stroke="{EDGE}" stroke-width="1.4"{d} '
                    f'fill="none" marker-end="url(#arrow)"/>'
                )
                out.append(_text(x + 40, y + 4, label, SMALL_SIZE, fill=TEXT))
            x += _entry_width((kind, label, fill, stroke, bar, pattern))
        y += 24
    out.append("</g>")
    return out
