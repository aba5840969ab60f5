"""The picture of a stacking graph: its boxes and arrows, built from a catalogue and a learner's result."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import networkx as nx

from microcred.model.catalog import Catalog
from microcred.model.graph import CREDENTIAL, build_graph
from microcred.model.result import LearnerResult
from microcred.render.picture.layout import layout_levels, order_rows, type_ranks
from microcred.rules.compiled import CompiledCatalog

STATUSES = ("earned", "in_progress", "partial", "expired", "not_started")
STATUS_LABELS = {
    "earned": "Earned",
    "in_progress": "In progress",
    "partial": "Partial",
    "expired": "Expired",
    "not_started": "Not started",
}
COURSE_PREFIX = "course:"


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
    """The stacking graph of a catalogue, laid out, with a learner's statuses when given.

    The credentials of a catalogue (and, optionally, its courses) with the stacks-into edges
    between them, in rows by taxonomy level, badges at the bottom and degrees at the top, ordered
    within each row to keep edge crossings few (:mod:`microcred.render.picture.layout`). Given a
    learner's :class:`~microcred.model.result.LearnerResult`, every credential carries the
    learner's status and progress, and the pictures colour it::

        pic = Picture.build(catalog, result)
        svg = to_svg(pic)          # also to_dot, to_graphml, to_mermaid

    Every ``to_*`` function also takes a catalogue (plain or compiled) directly, with the same
    ``result`` and ``courses`` arguments as :meth:`build`. Nodes are named by credential id;
    courses (``courses=True``) by ``course:`` and their id.
    """

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


def as_picture(source: Source, result: LearnerResult | None, courses: bool) -> Picture:
    """``source`` itself when it is a picture, else the picture of a catalogue (:meth:`Picture.build`)."""
    if isinstance(source, Picture):
        return source
    return Picture.build(source, result, courses=courses)


def type_label(catalog: Catalog, type_: str) -> str:
    """How a credential type is named in a picture: its taxonomy label, else its id in words."""
    ctype = catalog.types.get(type_)
    if ctype is not None and ctype.label:
        return ctype.label
    return type_.replace("_", " ").replace("-", " ").capitalize()


def _build(catalog: Catalog, g: nx.DiGraph, result: LearnerResult | None, courses: bool) -> Picture:
    lv = layout_levels(catalog, g)
    ranks = type_ranks(catalog)
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
            type_label=type_label(catalog, cred.type),
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
    types = {t: type_label(catalog, t) for t in sorted(present, key=lambda t: (ranks.get(t, 0), t))}
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
    order_rows(pic)
    return pic
