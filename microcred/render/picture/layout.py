"""Where the boxes of a picture go: levels, rows ordered to keep crossings few, waypoints, the shape cache."""

from __future__ import annotations

import dataclasses
import itertools
import math
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

import networkx as nx

from microcred.model.catalog import Catalog
from microcred.model.graph import credential_subgraph, levels

if TYPE_CHECKING:
    from microcred.render.picture.model import Picture, PictureNode


# -- levels -----------------------------------------------------------------------------


def type_ranks(catalog: Catalog) -> dict[str, int]:
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
    rank = type_ranks(catalog)
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


# -- crossing reduction -----------------------------------------------------------------


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


def total_crossings(layers: list[list[str]], down: dict[str, list[str]]) -> int:
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


# -- the shape cache --------------------------------------------------------------------

#: results of the layout steps that depend only on the graph's shape, not on the learner, so
#: that a report of many learners against one catalogue lays the picture out once: a pure
#: function's results keyed by all of its inputs (bounded: the oldest go first)
SHAPES: dict[tuple[object, ...], object] = {}
SHAPES_MAX = 64
#: held while the cache changes, so that threads drawing pictures at once share it safely
SHAPES_LOCK = threading.Lock()


def remember(key: tuple[object, ...], value: object) -> None:
    """Keep ``value`` under ``key`` in :data:`SHAPES`, the oldest entry going when it is full."""
    with SHAPES_LOCK:
        if len(SHAPES) >= SHAPES_MAX:
            SHAPES.pop(next(iter(SHAPES)), None)
        SHAPES[key] = value


def shape_of(pic: Picture) -> tuple[object, ...]:
    """Everything about ``pic`` that ordering and placing its boxes depend on."""
    return (
        tuple((k, n.kind, n.row) for k, n in pic.nodes.items()),
        tuple((e.source, e.target, e.kind) for e in pic.edges),
    )


# -- the rows of a picture -------------------------------------------------------------


def order_rows(pic: Picture) -> None:
    """Fill ``pic.layers``, ``pic.routes`` and ``pic.rows``: credentials ordered to keep
    crossings few, long edges through waypoints; courses below, by their credentials."""
    key = ("order", *shape_of(pic))
    found = SHAPES.get(key)
    if isinstance(found, tuple):
        layers, routes = found
        pic.layers = [list(layer) for layer in layers]
        pic.routes = [list(route) for route in routes]
        pic.rows = [[n for n in layer if not is_waypoint(n)] for layer in pic.layers]
        return
    _order_afresh(pic)
    remember(key, (tuple(map(tuple, pic.layers)), tuple(map(tuple, pic.routes))))


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
    best_count = total_crossings(best, down)
    for _sweep in range(6):
        for r in range(1, nrows):
            cur[r] = _barycentre_sort(cur[r], cur[r - 1], down)
        for r in range(nrows - 2, -1, -1):
            cur[r] = _barycentre_sort(cur[r], cur[r + 1], up)
        _transpose(cur, up, down)
        count = total_crossings(cur, down)
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


def ordered_nodes(pic: Picture) -> list[PictureNode]:
    """The boxes of ``pic`` row by row, bottom to top, each row left to right."""
    return [pic.nodes[k] for row in pic.rows for k in row]


# -- a level in several lines -----------------------------------------------------------


def wrap_rows(pic: Picture, cap: int) -> Picture:
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
    order_rows(out)
    return out
