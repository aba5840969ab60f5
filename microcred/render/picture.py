"""Pictures of the stacking graph: DOT, GraphML, Mermaid, and an SVG microcred draws itself.

A :class:`Picture` is the credentials of a catalogue (and, optionally, its courses) with the
stacks-into edges between them, laid out in rows by taxonomy level, badges at the bottom and
degrees at the top, and ordered within each row to keep edge crossings few (barycentre
sweeps with adjacent swaps, edges that skip rows routed through waypoints). Given a learner's
:class:`~microcred.model.result.LearnerResult`, every credential carries the learner's status and
progress, and the pictures colour it::

    pic = Picture.build(catalog, result)
    svg = to_svg(pic)          # also to_dot, to_graphml, to_mermaid

Every ``to_*`` function also takes a catalogue (plain or compiled) directly, with the same
``result`` and ``courses`` arguments as :meth:`Picture.build`.

Nodes are named by credential id; courses (``courses=True``) by ``course:`` and their id.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import math
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

import networkx as nx

from microcred.model.catalog import Catalog
from microcred.model.figures import percent_text
from microcred.model.graph import CREDENTIAL, build_graph, credential_subgraph, levels
from microcred.model.result import LearnerResult
from microcred.rules.compiled import CompiledCatalog

FORMATS = ("dot", "graphml", "mermaid", "svg")
STATUSES = ("earned", "in_progress", "partial", "expired", "not_started")
STATUS_LABELS = {
    "earned": "Earned",
    "in_progress": "In progress",
    "partial": "Partial",
    "expired": "Expired",
    "not_started": "Not started",
}
COURSE_PREFIX = "course:"


# -- the picture ------------------------------------------------------------------------


@dataclass(frozen=True)
class PictureNode:
    """One box of the picture: a credential, or a course."""

    key: str  # its name in the picture: the credential id, or "course:" + the course id
    kind: str  # "credential" | "course"
    ident: str  # the credential or course id
    title: str
    type: str  # the credential type, or "course"
    type_label: str
    level: int  # layout level: the taxonomy's rank (courses: one below the lowest)
    row: int  # the row it is drawn in, 0 at the bottom
    status: str | None = None
    progress: float | None = None
    earned_on: dt.date | None = None
    expires_on: dt.date | None = None
    credits: float | None = None


@dataclass(frozen=True)
class PictureEdge:
    source: str
    target: str
    kind: str  # "stacks_into" | "counts_toward"
    via: str | None = None  # stacks_into: "credential" (a credential: node) | "credit" (admitted at credit value)


@dataclass
class Picture:
    """The stacking graph of a catalogue, laid out, with a learner's statuses when given."""

    title: str
    catalog_id: str
    nodes: dict[str, PictureNode]
    edges: list[PictureEdge]
    #: rows bottom to top, each ordered left to right (credentials and courses, no waypoints)
    rows: list[list[str]]
    #: rows with the waypoints of edges that skip rows (named "\x00" + edge index + row)
    layers: list[list[str]] = field(default_factory=list)
    #: for each edge, the keys it passes through: source, waypoints, target
    routes: list[list[str]] = field(default_factory=list)
    #: the type labels of the credential types, lowest rank first
    types: dict[str, str] = field(default_factory=dict)
    learner_id: str | None = None
    learner_name: str | None = None
    as_of: dt.date | None = None
    #: for each row, the band (level) it is drawn in: rows of one band are the lines of a
    #: level wrapped to fit a width (empty: one band a row)
    bands: list[int] = field(default_factory=list)

    @property
    def has_learner(self) -> bool:
        return self.learner_id is not None

    @classmethod
    def build(
        cls,
        catalog: Catalog | CompiledCatalog,
        result: LearnerResult | None = None,
        *,
        courses: bool = False,
    ) -> Picture:
        """Lay out the stacking graph of ``catalog``; ``result`` adds a learner's statuses."""
        if isinstance(catalog, CompiledCatalog):
            cat = catalog.catalog
            g = catalog.graph if courses else build_graph(cat, catalog.index, courses=False)
        else:
            cat = catalog
            g = build_graph(cat, courses=courses)
        return _build(cat, g, result, courses)


Source = Picture | Catalog | CompiledCatalog


def _picture(source: Source, result: LearnerResult | None, courses: bool) -> Picture:
    if isinstance(source, Picture):
        return source
    return Picture.build(source, result, courses=courses)


def _type_ranks(catalog: Catalog) -> dict[str, int]:
    """The rank of each credential type: the longest ``stacks_into`` chain of types below it."""
    t = nx.DiGraph()
    t.add_nodes_from(catalog.types)
    for name, ctype in catalog.types.items():
        t.add_edges_from((name, above) for above in ctype.stacks_into if above in catalog.types and above != name)
    if not nx.is_directed_acyclic_graph(t):
        return {name: 0 for name in catalog.types}
    rank: dict[str, int] = {}
    for name in nx.topological_sort(t):
        rank[name] = 1 + max((rank[p] for p in t.predecessors(name)), default=-1)
    return rank


def layout_levels(catalog: Catalog, g: nx.DiGraph) -> dict[str, int]:
    """The level of each credential: :func:`microcred.model.graph.levels`, which gives the
    taxonomy's own ``level`` where a type sets one. When no type does, a credential is also
    raised to its type's rank in the taxonomy (so that a microcredential no badge stacks into
    still sits with the microcredentials), and above everything that stacks into it."""
    base = levels(g, catalog)
    if any(ctype.level is not None for ctype in catalog.types.values()):
        return base
    rank = _type_ranks(catalog)
    h = credential_subgraph(g)
    out: dict[str, int] = {}
    order = list(nx.topological_sort(h)) if nx.is_directed_acyclic_graph(h) else sorted(h)
    acyclic = nx.is_directed_acyclic_graph(h)
    for cid in order:
        cred = catalog.credentials.get(cid)
        lvl = max(base.get(cid, 0), rank.get(cred.type, 0) if cred else 0)
        if acyclic:
            lvl = max([lvl] + [out[p] + 1 for p in h.predecessors(cid)])
        out[cid] = lvl
    return out


def _type_label(catalog: Catalog, type_: str) -> str:
    ctype = catalog.types.get(type_)
    if ctype is not None and ctype.label:
        return ctype.label
    return type_.replace("_", " ").replace("-", " ").capitalize()


def _build(catalog: Catalog, g: nx.DiGraph, result: LearnerResult | None, courses: bool) -> Picture:
    lv = layout_levels(catalog, g)
    ranks = _type_ranks(catalog)
    used = sorted(set(lv.values()))
    row_of_level = {level: i + (1 if courses else 0) for i, level in enumerate(used)}
    nodes: dict[str, PictureNode] = {}
    for cid, cred in catalog.credentials.items():
        res = result.credentials.get(cid) if result is not None else None
        nodes[cid] = PictureNode(
            key=cid,
            kind="credential",
            ident=cid,
            title=cred.title,
            type=cred.type,
            type_label=_type_label(catalog, cred.type),
            level=lv.get(cid, 0),
            row=row_of_level[lv.get(cid, 0)],
            status=res.status if res is not None else None,
            progress=res.progress if res is not None else None,
            earned_on=res.earned_on if res is not None else None,
            expires_on=res.expires_on if res is not None else None,
            credits=cred.credits,
        )
    edges: list[PictureEdge] = []
    for (uk, u), (vk, v), data in g.edges(data=True):
        if uk == CREDENTIAL and vk == CREDENTIAL:
            edges.append(PictureEdge(u, v, "stacks_into", data.get("via")))
    if courses:
        low = min(used, default=0) - 1
        for (kind, cid), data in g.nodes(data=True):
            if kind != CREDENTIAL:
                course = catalog.courses.get(cid)
                nodes[COURSE_PREFIX + cid] = PictureNode(
                    key=COURSE_PREFIX + cid,
                    kind="course",
                    ident=cid,
                    title=str(data.get("title", cid)),
                    type="course",
                    type_label="Course",
                    level=low,
                    row=0,
                    credits=course.credits if course is not None else None,
                )
        for (uk, u), (vk, v), data in g.edges(data=True):
            if uk != CREDENTIAL and vk == CREDENTIAL and data.get("kind") == "counts_toward":
                edges.append(PictureEdge(COURSE_PREFIX + u, v, "counts_toward"))
    edges.sort(key=lambda e: (e.kind != "stacks_into", e.source, e.target))
    present = {n.type for n in nodes.values() if n.kind == "credential"}
    types = {t: _type_label(catalog, t) for t in sorted(present, key=lambda t: (ranks.get(t, 0), t))}
    pic = Picture(
        title=catalog.info.name if catalog.info else catalog.id,
        catalog_id=catalog.id,
        nodes=nodes,
        edges=edges,
        rows=[],
        types=types,
        learner_id=result.learner_id if result is not None else None,
        learner_name=result.learner_name if result is not None else None,
        as_of=result.as_of if result is not None else None,
    )
    _order(pic)
    return pic


# -- ordering within rows ---------------------------------------------------------------


def _waypoint(edge: int, row: int) -> str:
    return f"\x00{edge}:{row}"


def is_waypoint(key: str) -> bool:
    return key.startswith("\x00")


def _crossings(upper: Sequence[str], lower: Sequence[str], down: dict[str, list[str]]) -> int:
    """Crossings of the segments between two adjacent layers (a Fenwick-tree count)."""
    pos = {n: i for i, n in enumerate(lower)}
    pairs = sorted((i, pos[m]) for i, n in enumerate(upper) for m in down.get(n, ()) if m in pos)
    tree = [0] * (len(lower) + 1)
    count = 0
    for seen, (_i, j) in enumerate(pairs):
        # segments seen so far whose lower end is right of j cross this one
        k = j + 1
        at_or_left = 0
        while k > 0:
            at_or_left += tree[k]
            k -= k & -k
        count += seen - at_or_left
        k = j + 1
        while k <= len(lower):
            tree[k] += 1
            k += k & -k
    return count


def _total_crossings(layers: list[list[str]], down: dict[str, list[str]]) -> int:
    return sum(_crossings(layers[r], layers[r - 1], down) for r in range(1, len(layers)))


def _barycentre_sort(layer: list[str], other: Sequence[str], nbrs: dict[str, list[str]]) -> list[str]:
    pos = {n: i for i, n in enumerate(other)}
    scale = len(other) / max(len(layer), 1)
    keys: dict[str, float] = {}
    for i, n in enumerate(layer):
        ps = [pos[m] for m in nbrs.get(n, ()) if m in pos]
        keys[n] = sum(ps) / len(ps) if ps else i * scale
    return sorted(layer, key=lambda n: keys[n])


def _pair_crossings(u: str, v: str, pos: dict[str, int], nbrs: dict[str, list[str]]) -> int:
    """Crossings between the segments of ``u`` and ``v`` (u left of v) to one adjacent layer."""
    pu = [pos[m] for m in nbrs.get(u, ()) if m in pos]
    pv = [pos[m] for m in nbrs.get(v, ()) if m in pos]
    return sum(1 for a in pu for b in pv if a > b)


def _transpose(layers: list[list[str]], up: dict[str, list[str]], down: dict[str, list[str]]) -> None:
    """Swap neighbours in a layer while that removes crossings."""
    for _ in range(8):
        improved = False
        for r, layer in enumerate(layers):
            below = {n: i for i, n in enumerate(layers[r - 1])} if r > 0 else {}
            above = {n: i for i, n in enumerate(layers[r + 1])} if r + 1 < len(layers) else {}
            for i in range(len(layer) - 1):
                u, v = layer[i], layer[i + 1]
                now = _pair_crossings(u, v, below, down) + _pair_crossings(u, v, above, up)
                swapped = _pair_crossings(v, u, below, down) + _pair_crossings(v, u, above, up)
                if swapped < now:
                    layer[i], layer[i + 1] = v, u
                    improved = True
        if not improved:
            return


def _initial_order(layers: list[list[str]], down: dict[str, list[str]]) -> list[list[str]]:
    """Order of first visit in a depth-first walk down from the top row."""
    row_of = {n: r for r, layer in enumerate(layers) for n in layer}
    seen: set[str] = set()
    order: list[list[str]] = [[] for _ in layers]

    def visit(start: str) -> None:
        stack = [start]
        while stack:
            n = stack.pop()
            if n in seen:
                continue
            seen.add(n)
            order[row_of[n]].append(n)
            stack.extend(sorted(down.get(n, ()), reverse=True))

    for r in range(len(layers) - 1, -1, -1):
        for n in sorted(layers[r]):
            visit(n)
    return order


#: results of the layout steps that depend only on the graph's shape, not on the learner, so
#: that a report of many learners against one catalogue lays the picture out once: a pure
#: function's results keyed by all of its inputs (bounded: the oldest go first)
_SHAPES: dict[tuple[object, ...], object] = {}
_SHAPES_MAX = 64


_SHAPES_LOCK = threading.Lock()


def _remember(key: tuple[object, ...], value: object) -> None:
    with _SHAPES_LOCK:
        if len(_SHAPES) >= _SHAPES_MAX:
            _SHAPES.pop(next(iter(_SHAPES)), None)
        _SHAPES[key] = value


def _shape(pic: Picture) -> tuple[object, ...]:
    """Everything about ``pic`` that ordering and placing its boxes depend on."""
    return (
        tuple((k, n.kind, n.row) for k, n in pic.nodes.items()),
        tuple((e.source, e.target, e.kind) for e in pic.edges),
    )


def _order(pic: Picture) -> None:
    """Fill ``pic.layers``, ``pic.routes`` and ``pic.rows``: credentials ordered to keep
    crossings few, long edges through waypoints; courses below, by their credentials."""
    key = ("order", *_shape(pic))
    found = _SHAPES.get(key)
    if isinstance(found, tuple):
        layers, routes = found
        pic.layers = [list(layer) for layer in layers]
        pic.routes = [list(route) for route in routes]
        pic.rows = [[n for n in layer if not is_waypoint(n)] for layer in pic.layers]
        return
    _order_afresh(pic)
    _remember(key, (tuple(map(tuple, pic.layers)), tuple(map(tuple, pic.routes))))


def _order_afresh(pic: Picture) -> None:
    nrows = max((n.row for n in pic.nodes.values()), default=-1) + 1
    layers: list[list[str]] = [[] for _ in range(nrows)]
    for n in pic.nodes.values():
        if n.kind == "credential":
            layers[n.row].append(n.key)
    up: dict[str, list[str]] = {}
    down: dict[str, list[str]] = {}
    routes: list[list[str]] = []
    for i, e in enumerate(pic.edges):
        if e.kind != "stacks_into":
            routes.append([e.source, e.target])
            continue
        r0, r1 = pic.nodes[e.source].row, pic.nodes[e.target].row
        route = [e.source]
        for r in range(r0 + 1, r1):
            w = _waypoint(i, r)
            layers[r].append(w)
            route.append(w)
        route.append(e.target)
        if r1 > r0:
            for a, b in itertools.pairwise(route):
                up.setdefault(a, []).append(b)
                down.setdefault(b, []).append(a)
        routes.append(route)
    cur = _initial_order(layers, down)
    best = [list(layer) for layer in cur]
    best_count = _total_crossings(best, down)
    for _sweep in range(6):
        for r in range(1, nrows):
            cur[r] = _barycentre_sort(cur[r], cur[r - 1], down)
        for r in range(nrows - 2, -1, -1):
            cur[r] = _barycentre_sort(cur[r], cur[r + 1], up)
        _transpose(cur, up, down)
        count = _total_crossings(cur, down)
        if count < best_count:
            best, best_count = [list(layer) for layer in cur], count
        if best_count == 0:
            break
    if any(n.kind == "course" for n in pic.nodes.values()):
        # courses in the bottom row, under the credentials they count toward
        rank: dict[str, float] = {}
        for layer in best:
            creds = [n for n in layer if not is_waypoint(n)]
            for i, key in enumerate(creds):
                rank[key] = (i + 0.5) / len(creds)
        targets: dict[str, list[float]] = {}
        for e in pic.edges:
            if e.kind == "counts_toward" and e.target in rank:
                targets.setdefault(e.source, []).append(rank[e.target])
        courses = [n.key for n in pic.nodes.values() if n.kind == "course"]
        best[0] = sorted(courses, key=lambda c: (sum(targets.get(c, [2.0])) / len(targets.get(c, [2.0])), c))
    pic.layers = best
    pic.routes = routes
    pic.rows = [[n for n in layer if not is_waypoint(n)] for layer in best]


def _ordered_nodes(pic: Picture) -> list[PictureNode]:
    return [pic.nodes[k] for row in pic.rows for k in row]


# -- text helpers -----------------------------------------------------------------------

_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: str) -> str:
    """Text fit for one line of XML: no control characters, whitespace runs as one space."""
    return " ".join(_XML_BAD.sub("", text).split())


def _status_text(n: PictureNode) -> str:
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


# -- DOT --------------------------------------------------------------------------------


def _dot_quote(text: str) -> str:
    return '"' + _clean(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(source: Source, result: LearnerResult | None = None, *, courses: bool = False) -> str:
    """Graphviz DOT, bottom to top: one line a node, one line an edge, ``rank=same`` rows."""
    pic = _picture(source, result, courses)
    lines = [
        f"digraph {_dot_quote(pic.catalog_id)} {{",
        f"  graph [rankdir=BT, ranksep=0.7, nodesep=0.3, fontname=Helvetica, labelloc=t, "
        f"label={_dot_quote(_caption(pic))}];",
        '  node [shape=box, style="rounded,filled", fontname=Helvetica, fontsize=11, margin="0.15,0.08"];',
        "  edge [arrowsize=0.7];",
    ]
    for n in _ordered_nodes(pic):
        fill, stroke, _colour = _node_colours(pic, n)
        attrs = [
            'label="' + _dot_escape(n.title) + "\\n" + _dot_escape(_dot_subtitle(n)) + '"',
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
    return _clean(text).replace("\\", "\\\\").replace('"', '\\"')


def _dot_subtitle(n: PictureNode) -> str:
    if n.kind == "course":
        return n.ident
    status = _status_text(n).replace("✓ ", "")
    return n.type_label + (f" · {status}" if status else "")


def _caption(pic: Picture) -> str:
    text = f"{pic.title}: stacking"
    if pic.learner_id is not None:
        who = f"{pic.learner_name} ({pic.learner_id})" if pic.learner_name else pic.learner_id
        text += f" for {who}"
        if pic.as_of:
            text += f", as of {pic.as_of.isoformat()}"
    return text


# -- GraphML ----------------------------------------------------------------------------


def to_graphml(source: Source, result: LearnerResult | None = None, *, courses: bool = False) -> str:
    """GraphML (networkx): nodes with ``title``, ``type``, ``level``, ``kind`` and, with a
    learner, ``status`` and ``progress`` (and ``earned_on``, ``expires_on`` when set); edges
    with ``kind`` and ``via``."""
    pic = _picture(source, result, courses)
    g = nx.DiGraph()
    g.graph["name"] = _clean(pic.title)
    g.graph["catalog"] = _clean(pic.catalog_id)
    if pic.learner_id is not None:
        g.graph["learner"] = _clean(pic.learner_id)
        if pic.as_of:
            g.graph["as_of"] = pic.as_of.isoformat()
    for n in _ordered_nodes(pic):
        attrs: dict[str, str | int | float] = {
            "kind": n.kind,
            "title": _clean(n.title),
            "type": _clean(n.type),
            "type_label": _clean(n.type_label),
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
        g.add_node(_clean(n.key), **attrs)
    for e in pic.edges:
        eattrs: dict[str, str] = {"kind": e.kind}
        if e.via:
            eattrs["via"] = e.via
        g.add_edge(_clean(e.source), _clean(e.target), **eattrs)
    return "\n".join(nx.generate_graphml(g, prettyprint=True)) + "\n"


# -- Mermaid ----------------------------------------------------------------------------


def _mermaid_text(text: str) -> str:
    out = _clean(text).replace("#", "#35;")
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
    pic = _picture(source, result, courses)
    ids = mermaid_ids(pic)
    lines = [f"%% {_clean(_caption(pic))}", "flowchart BT"]
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
    for n in _ordered_nodes(pic):
        sub = _dot_subtitle(n)
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


# -- SVG: colours and text metrics ------------------------------------------------------

TEXT = "#1f2933"
MUTED = "#5f6b7a"
EDGE = "#8792a2"
EARNED_EDGE = "#2e7d32"
COURSE_EDGE = "#c3cad4"
COURSE_FILL = "#f8fafc"
COURSE_STROKE = "#cbd2da"
BAND = "#f5f7fa"

#: status -> (fill, stroke, text)
STATUS_COLOURS: dict[str, tuple[str, str, str]] = {
    "earned": ("#e3f2e6", "#2e7d32", "#1b5e20"),
    "in_progress": ("#fff3dc", "#d98e04", "#7a4f00"),
    "partial": ("#f1f6fc", "#7fa6d6", "#234a7a"),
    "expired": ("#ececec", "#9e9e9e", "#616161"),
    "not_started": ("#ffffff", "#c5ccd5", "#4b5563"),
}
BAR = {"partial": ("#3d7fd0", "#d8e5f5"), "in_progress": ("#e69b00", "#f7e2b5")}
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


def _node_colours(pic: Picture, n: PictureNode) -> tuple[str, str, str]:
    if n.kind == "course":
        return COURSE_FILL, COURSE_STROKE, TEXT
    if pic.has_learner:
        return STATUS_COLOURS.get(n.status or "", NEUTRAL)
    types = list(pic.types)
    i = types.index(n.type) if n.type in types else 0
    fill, stroke = TYPE_PALETTE[i % len(TYPE_PALETTE)]
    return fill, stroke, TEXT


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
    words = _clean(text).split(" ")
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


# -- SVG: geometry ----------------------------------------------------------------------

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
    shape = ("x", *_shape(pic), tuple(map(tuple, pic.layers)), tuple(map(tuple, pic.routes)), max_width - label_w)
    found = _SHAPES.get(shape)
    if isinstance(found, dict):
        x: dict[str, float] = dict(found)
    else:
        x = _assign_x(pic, widths)
        _squeeze(pic, x, widths, max_width - 2 * MARGIN - label_w)
        _remember(shape, dict(x))
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
    out = _wrap(pic, cap)
    geo = _layout(out, max_width)
    while cap > 1 and geo.width * MIN_TEXT / SMALL_SIZE > max_width:
        shorter = _wrap(pic, cap - 1)
        narrower = _layout(shorter, max_width)
        if narrower.width >= geo.width - 1:  # the heading or the legend sets the width now
            break
        cap, out, geo = cap - 1, shorter, narrower
    return out, geo


def _wrap(pic: Picture, cap: int) -> Picture:
    """``pic`` with levels of more than ``cap`` credentials in lines of as even a length as can
    be: the boxes of a level alternate between its lines, in the order that keeps crossings
    few. Levels keep their order, badges at the bottom."""
    if all(len(row) <= cap or all(pic.nodes[k].kind == "course" for k in row) for row in pic.rows):
        return pic
    new_row: dict[str, int] = {}
    bands: list[int] = []
    for r, row in enumerate(pic.rows):
        lines = 1 if all(pic.nodes[k].kind == "course" for k in row) else max(1, math.ceil(len(row) / cap))
        for i, key in enumerate(row):
            new_row[key] = len(bands) + i % lines
        bands += [r] * lines
    nodes = {k: dataclasses.replace(n, row=new_row[k]) for k, n in pic.nodes.items()}
    out = dataclasses.replace(pic, nodes=nodes, rows=[], layers=[], routes=[], bands=bands)
    _order(out)
    return out


# -- SVG: drawing -----------------------------------------------------------------------


def _attr(value: str | float) -> str:
    if isinstance(value, float):
        return quoteattr(_num(value))
    return quoteattr(_XML_BAD.sub("", value))


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
    return f'<text x="{_num(x)}" y="{_num(y)}"{a}{extra}>{escape(_clean(text))}</text>'


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
    pic, geo = _wrapped(_picture(source, result, courses), max_width)
    W, H = geo.width, geo.height
    scale = min(1.0, max_width / W)
    out: list[str] = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_num(W * scale)}" height="{_num(H * scale)}" '
        f'viewBox="0 0 {_num(W)} {_num(H)}" role="img" '
        "font-family=\"'Helvetica Neue', Helvetica, Arial, 'Liberation Sans', 'DejaVu Sans', sans-serif\">",
        f"<title>{escape(_clean(_caption(pic)))}</title>",
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
    for n in _ordered_nodes(pic):
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
    return _clean(text)


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
    fill, stroke, text_colour = _node_colours(pic, n)
    status_cls = f" {n.status}" if n.status else ""
    tip = f"{n.title} ({n.ident})\n{n.type_label}"
    if n.credits is not None:
        tip += f", {n.credits:g} credits"
    if n.status is not None:
        tip += "\n" + _status_text(n).replace("✓ ", "")
        if n.expires_on and n.status == "earned":
            tip += f", expires {n.expires_on.isoformat()}"
    out = [
        f'<g class="node {n.kind}{status_cls}" data-id={_attr(n.key)} data-type={_attr(n.type)} '
        f'data-level="{n.level}"' + (f' data-status="{n.status}"' if n.status else "") + ">",
        f"<title>{escape(_XML_BAD.sub('', tip))}</title>",
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
        out.append(_text(left + PAD, sy, _status_text(n), STATUS_SIZE, fill=text_colour, weight="600",
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


def render(fmt: str, source: Source, result: LearnerResult | None = None, *, courses: bool = False) -> str:
    """The picture in one of :data:`FORMATS`."""
    funcs = {"dot": to_dot, "graphml": to_graphml, "mermaid": to_mermaid, "svg": to_svg}
    if fmt not in funcs:
        raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    return funcs[fmt](source, result, courses=courses)


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
