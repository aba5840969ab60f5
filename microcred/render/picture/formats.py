"""A picture in a format named at run time."""

from __future__ import annotations

from microcred.model.result import LearnerResult
from microcred.render.picture.dot import to_dot
from microcred.render.picture.graphml import to_graphml
from microcred.render.picture.mermaid import to_mermaid
from microcred.render.picture.model import Source
from microcred.render.picture.svg import to_svg

FORMATS = ("dot", "graphml", "mermaid", "svg")


def render(fmt: str, source: Source, result: LearnerResult | None = None, *, courses: bool = False) -> str:
    """The picture in one of :data:`FORMATS`."""
    funcs = {"dot": to_dot, "graphml": to_graphml, "mermaid": to_mermaid, "svg": to_svg}
    if fmt not in funcs:
        raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    return funcs[fmt](source, result, courses=courses)
