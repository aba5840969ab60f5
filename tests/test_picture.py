"""Pictures of the stacking graph: DOT, GraphML, Mermaid and microcred's own SVG, and
`microcred graph`."""

from __future__ import annotations

import hashlib
import io
import itertools
import re
import sys
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import networkx as nx
import pytest
from conftest import EXAMPLE, ROOT

from microcred.checks.validate import load_catalog
from microcred.cli import main
from microcred.io.transcript import TranscriptSource, read_transcripts
from microcred.model import graph
from microcred.model.catalog import Catalog
from microcred.model.result import LearnerResult
from microcred.render import picture as P
from microcred.render.picture import layout
from microcred.rules.evaluate import compile_catalog, evaluate

TRANSCRIPTS = ROOT / "examples/example-university/transcripts"
EARNED = TRANSCRIPTS / "earned-certificate.yaml"
CSV = ROOT / "examples/example-university/learners.csv"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(EXAMPLE)


@pytest.fixture(scope="module")
def stacking(catalog: Catalog) -> nx.DiGraph:
    return graph.credential_subgraph(graph.build_graph(catalog))


@pytest.fixture(scope="module")
def maya(catalog: Catalog) -> LearnerResult:
    (src,) = list(read_transcripts(EARNED))
    assert isinstance(src, TranscriptSource)
    return evaluate(catalog, src)


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


# -- the picture ------------------------------------------------------------------------


def test_picture_holds_the_stacking_graph(catalog: Catalog, stacking: nx.DiGraph) -> None:
    pic = P.Picture.build(catalog)
    assert set(pic.nodes) == set(stacking.nodes)
    assert {(e.source, e.target) for e in pic.edges} == set(stacking.edges)
    assert sorted(k for row in pic.rows for k in row) == sorted(stacking.nodes)
    for e in pic.edges:  # every edge goes up: rows follow the stacking
        assert pic.nodes[e.source].row < pic.nodes[e.target].row
    # a compiled catalogue gives the same picture; the layout is deterministic
    again = P.Picture.build(compile_catalog(catalog))
    assert again.rows == pic.rows and again.routes == pic.routes


def test_levels_follow_the_taxonomy(catalog: Catalog) -> None:
    pic = P.Picture.build(catalog)
    level = {k: n.level for k, n in pic.nodes.items()}
    by_type: dict[str, set[int]] = {}
    for k, n in pic.nodes.items():
        by_type.setdefault(n.type, set()).add(level[k])
    # one row a type here: statistical-modeling (no badge stacks into it) sits with the
    # other microcredentials, not with the badges
    assert by_type == {"badge": {0}, "microcredential": {1}, "certificate": {2}, "associate": {3}, "bachelor": {4}}
    assert [set(pic.nodes[k].type for k in row) for row in pic.rows] == [
        {"badge"},
        {"microcredential"},
        {"certificate"},
        {"associate"},
        {"bachelor"},
    ]


def test_explicit_taxonomy_levels_win(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(
        """\
taxonomy:
  types:
    badge: {stacks_into: [degree], level: 0}
    degree: {level: 5}
courses:
  - {id: CSCI 1410, title: Fundamentals, credits: 3}
credentials:
  - {id: b, type: badge, title: B, requires: {course: CSCI 1410}}
  - {id: d, type: degree, title: D, requires: {credential: b}}
""",
        encoding="utf-8",
    )
    pic = P.Picture.build(load_catalog(tmp_path))
    assert (pic.nodes["b"].level, pic.nodes["d"].level) == (0, 5)
    assert (pic.nodes["b"].row, pic.nodes["d"].row) == (0, 1)  # empty levels take no room


def test_ordering_keeps_crossings_few(catalog: Catalog) -> None:
    pic = P.Picture.build(catalog)
    down: dict[str, list[str]] = {}
    for route in pic.routes:
        for a, b in itertools.pairwise(route):
            down.setdefault(b, []).append(a)
    assert P._total_crossings(pic.layers, down) <= 6
    # every edge that skips rows has one waypoint in each row between
    for e, route in zip(pic.edges, pic.routes, strict=True):
        assert len(route) == pic.nodes[e.target].row - pic.nodes[e.source].row + 1


def test_learner_statuses(catalog: Catalog, maya: LearnerResult) -> None:
    pic = P.Picture.build(catalog, maya)
    assert pic.learner_id == "S1001"
    for cid, n in pic.nodes.items():
        assert n.status == maya.credentials[cid].status
        assert n.progress == maya.credentials[cid].progress


# -- DOT --------------------------------------------------------------------------------

DOT_NODE = re.compile(r'^  "((?:[^"\\]|\\.)*)" \[(.*)\];$')
DOT_EDGE = re.compile(r'^  "((?:[^"\\]|\\.)*)" -> "((?:[^"\\]|\\.)*)" \[(.*)\];$')


def _dot(text: str) -> tuple[dict[str, str], dict[tuple[str, str], str], list[str]]:
    lines = text.splitlines()
    assert lines[0].startswith("digraph ") and lines[0].endswith("{")
    assert lines[-1] == "}"
    assert text.count("{") == text.count("}")
    nodes: dict[str, str] = {}
    edges: dict[tuple[str, str], str] = {}
    ranks: list[str] = []
    for line in lines[1:-1]:
        if m := DOT_EDGE.match(line):
            edges[(m.group(1), m.group(2))] = m.group(3)
        elif m := DOT_NODE.match(line):
            nodes[m.group(1)] = m.group(2)
        elif line.startswith("  { rank=same;"):
            ranks.append(line)
        else:
            assert re.match(r"^  (graph|node|edge) \[.*\];$", line), line
    return nodes, edges, ranks


def test_dot(catalog: Catalog, stacking: nx.DiGraph) -> None:
    nodes, edges, ranks = _dot(P.to_dot(catalog))
    assert set(nodes) == set(stacking.nodes)
    assert set(edges) == set(stacking.edges)
    assert "rankdir=BT" in P.to_dot(catalog)
    for (u, v), attrs in edges.items():
        via = stacking.edges[u, v]["via"]
        assert f'via="{via}"' in attrs
        assert ("style=dashed" in attrs) == (via == "credit")
    assert 'label="Data Foundations\\nMicrocredential"' in nodes["data-foundations"]
    assert "level=0" in nodes["python-programming"] and "level=4" in nodes["bas-information-systems"]
    assert len(ranks) == 3  # rows with more than one credential: badges, microcredentials, certificates


def test_dot_with_learner_and_courses(catalog: Catalog, maya: LearnerResult) -> None:
    nodes, edges, _ranks = _dot(P.to_dot(catalog, maya, courses=True))
    assert 'status="earned"' in nodes["data-analytics-certificate"]
    assert 'status="partial"' in nodes["business-analytics"]
    assert 'kind="course"' in nodes["course:CSCI 1410"]
    assert edges[("course:CSCI 1410", "python-programming")].startswith('kind="counts_toward"')


# -- GraphML ----------------------------------------------------------------------------


def test_graphml_round_trip(catalog: Catalog, stacking: nx.DiGraph, maya: LearnerResult) -> None:
    g = nx.read_graphml(io.BytesIO(P.to_graphml(catalog, maya).encode("utf-8")))
    assert set(g.nodes) == set(stacking.nodes)
    assert set(g.edges) == set(stacking.edges)
    for u, v, data in g.edges(data=True):
        assert data["kind"] == "stacks_into" and data["via"] == stacking.edges[u, v]["via"]
    for cid, data in g.nodes(data=True):
        cred = catalog.credentials[cid]
        assert data["title"] == cred.title and data["type"] == cred.type
        assert data["status"] == maya.credentials[cid].status
        assert data["progress"] == pytest.approx(maya.credentials[cid].progress)
        assert isinstance(data["level"], int)
    assert g.nodes["data-analytics-certificate"]["earned_on"] == "2026-05-08"
    assert g.graph["learner"] == "S1001"


def test_graphml_without_learner_and_with_courses(catalog: Catalog) -> None:
    g = nx.read_graphml(io.BytesIO(P.to_graphml(catalog, courses=True).encode("utf-8")))
    assert "status" not in g.nodes["data-foundations"]
    full = graph.build_graph(catalog)
    assert g.number_of_nodes() == full.number_of_nodes()
    assert g.number_of_edges() == full.number_of_edges()


# -- Mermaid ----------------------------------------------------------------------------


def test_mermaid(catalog: Catalog, stacking: nx.DiGraph, maya: LearnerResult) -> None:
    pic = P.Picture.build(catalog, maya)
    text = P.to_mermaid(pic)
    ids = P.mermaid_ids(pic)
    lines = text.splitlines()
    assert "flowchart BT" in lines
    declared = {m.group(1) for line in lines if (m := re.match(r'^  (\w+)\["', line))}
    assert declared == {ids[c] for c in stacking.nodes}
    arrows = {(m.group(1), m.group(3)) for line in lines if (m := re.match(r"^  (\w+) (-->|-\.->) (\w+)$", line))}
    assert arrows == {(ids[u], ids[v]) for u, v in stacking.edges}
    for u, v, data in stacking.edges(data=True):
        arrow = "-.->" if data["via"] == "credit" else "-->"
        assert f"  {ids[u]} {arrow} {ids[v]}" in lines
    for status in P.STATUSES:
        assert any(line.startswith(f"  classDef {status} ") for line in lines)
    earned_line = next(line for line in lines if line.startswith("  class ") and line.endswith(" earned"))
    assert set(earned_line.split()[1].split(",")) == {ids[c] for c in maya.earned()}


def test_mermaid_escapes_text(tmp_path: Path) -> None:
    cat = _odd_catalog(tmp_path)
    text = P.to_mermaid(cat)
    assert '["Q #quot;quoted#quot; #lt;b#gt; #amp; #35;1' in text
    assert "c_end" in text  # "end" would close a Mermaid block


# -- SVG --------------------------------------------------------------------------------


def _boxes(root: ET.Element) -> dict[str, ET.Element]:
    out = {}
    for g in root.iter(f"{SVG}g"):
        if "node" in g.get("class", "").split():
            out[g.get("data-id", "")] = g
    return out


def _box_rect(g: ET.Element) -> ET.Element:
    rects = [r for r in g.findall(f"{SVG}rect") if r.get("class") == "box"]
    assert len(rects) == 1
    return rects[0]


def test_svg_structure(catalog: Catalog, stacking: nx.DiGraph) -> None:
    text = P.to_svg(catalog)
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == f"{SVG}svg"
    vb = [float(v) for v in root.get("viewBox", "").split()]
    width, height = float(root.get("width", 0)), float(root.get("height", 0))
    assert vb[:2] == [0, 0] and 0 < width <= P.MAX_WIDTH
    assert abs(vb[2] / vb[3] - width / height) < 0.01  # scaled, not stretched
    boxes = _boxes(root)
    assert set(boxes) == set(stacking.nodes)  # one box a credential
    for cid, g in boxes.items():
        rect = _box_rect(g)
        assert float(rect.get("width", 0)) > 0 and rect.get("rx")
        texts = " ".join(t.text or "" for t in g.iter(f"{SVG}text"))
        assert catalog.credentials[cid].title.split()[0] in texts
        label = P._type_label(catalog, catalog.credentials[cid].type)
        assert label.upper() in texts or label in texts  # in capitals where they fit the box
    edges = [p for p in root.iter(f"{SVG}path") if "edge" in p.get("class", "").split()]
    assert {(p.get("data-source"), p.get("data-target")) for p in edges} == set(stacking.edges)
    assert len(edges) == stacking.number_of_edges()
    for p in edges:
        assert p.get("marker-end", "").startswith("url(#arrow")
        via = stacking.edges[p.get("data-source"), p.get("data-target")]["via"]
        assert (p.get("stroke-dasharray") is not None) == (via == "credit")
    markers = {m.get("id") for m in root.iter(f"{SVG}marker")}
    assert {"arrow", "arrow-earned"} <= markers
    assert any("legend" in g.get("class", "") for g in root.iter(f"{SVG}g"))


@pytest.mark.parametrize("courses", [False, True])
def test_svg_fits_a_browser_window_with_legible_text(catalog: Catalog, maya: LearnerResult, courses: bool) -> None:
    """Drawn at most 1280 pixels wide, levels wrapped into lines, and no text smaller than
    11 pixels at the size drawn."""
    root = ET.fromstring(P.to_svg(catalog, maya, courses=courses).encode("utf-8"))
    width = float(root.get("width", 0))
    scale = width / float(root.get("viewBox", "").split()[2])
    assert width <= 1280
    sizes = [float(t.get("font-size", 0)) * scale for t in root.iter(f"{SVG}text")]
    assert sizes and min(sizes) >= 11, min(sizes)
    # the nine badges no longer stand in one line 2,000 pixels wide: their level is wrapped
    boxes = _boxes(root)
    badge_lines = {
        _y(g) for cid, g in boxes.items() if cid in catalog.credentials and catalog.credentials[cid].type == "badge"
    }
    assert len(badge_lines) >= 2


@pytest.mark.parametrize("max_width", [540, 800])
def test_a_narrow_picture_wraps_more(catalog: Catalog, maya: LearnerResult, max_width: int) -> None:
    wide, narrow = P.wrapped(P.Picture.build(catalog), 1280), P.wrapped(P.Picture.build(catalog), max_width)
    assert len(narrow.rows) > len(wide.rows) > 5
    assert max(len(r) for r in narrow.rows) < max(len(r) for r in wide.rows)
    for pic in (wide, narrow):  # every edge still goes up, and no credential is lost
        assert sorted(k for row in pic.rows for k in row) == sorted(P.Picture.build(catalog).nodes)
        assert all(pic.nodes[e.source].row < pic.nodes[e.target].row for e in pic.edges)
    root = ET.fromstring(P.to_svg(catalog, maya, max_width=max_width).encode("utf-8"))
    width = float(root.get("width", 0))
    scale = width / float(root.get("viewBox", "").split()[2])
    assert width <= max_width
    assert min(float(t.get("font-size", 0)) * scale for t in root.iter(f"{SVG}text")) >= 11
    boxes = _boxes(root)
    for spans in _spans_by_line(boxes).values():  # boxes of a line still do not overlap
        assert all(x0 + w0 < x1 for (x0, w0), (x1, _w1) in itertools.pairwise(sorted(spans)))
    legend = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "legend")
    lines = {t.get("y") for t in legend.iter(f"{SVG}text")}
    assert len(lines) >= 2  # the legend wraps


def _spans_by_line(boxes: dict[str, ET.Element]) -> dict[float, list[tuple[float, float]]]:
    rows: dict[float, list[tuple[float, float]]] = {}
    for g in boxes.values():
        r = _box_rect(g)
        rows.setdefault(_y(g), []).append((float(r.get("x", 0)), float(r.get("width", 0))))
    return rows


def test_layouts_remembered_across_learners_change_nothing(catalog: Catalog, maya: LearnerResult) -> None:
    """The layout of a catalogue's shape is worked out once for many learners: what is
    remembered gives the same picture as working it out afresh."""
    again = P.to_svg(catalog, maya), P.to_svg(catalog, maya, max_width=540)
    P._SHAPES.clear()
    fresh = P.to_svg(catalog, maya), P.to_svg(catalog, maya, max_width=540)
    assert again == fresh
    assert P._SHAPES  # and it was remembered


def test_threads_sharing_the_layout_cache_draw_what_one_thread_draws(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Threads drawing pictures at once share the remembered layouts (and push the oldest out
    of a cache kept small here) and still draw every picture byte for byte as one thread does."""
    results: list[LearnerResult | None] = [None]
    for name in ("earned-certificate", "in-progress", "expired"):
        (src,) = list(read_transcripts(TRANSCRIPTS / f"{name}.yaml"))
        assert isinstance(src, TranscriptSource)
        results.append(evaluate(catalog, src))
    jobs = [(result, width, courses) for result in results for width in (540, 1280) for courses in (False, True)]

    def draw(job: tuple[LearnerResult | None, int, bool]) -> str:
        result, width, courses = job
        return P.to_svg(catalog, result, courses=courses, max_width=width)

    P._SHAPES.clear()
    want = [draw(job) for job in jobs]
    monkeypatch.setattr(layout, "SHAPES_MAX", 4)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, to expose races
    try:
        for _round in range(2):
            P._SHAPES.clear()
            with ThreadPoolExecutor(max_workers=6) as pool:
                got = list(pool.map(draw, jobs))
            assert got == want
            assert 0 < len(P._SHAPES) <= 4
    finally:
        sys.setswitchinterval(interval)


def test_in_progress_shows_what_is_pending(catalog: Catalog) -> None:
    """A credential in progress at 0 % still shows its pending part, not an empty bar."""
    src = next(read_transcripts(ROOT / "examples/example-university/transcripts/in-progress.yaml"))
    assert isinstance(src, TranscriptSource)
    jordan = evaluate(catalog, src)
    assert jordan.credentials["technical-writing"].status == "in_progress"
    assert jordan.credentials["technical-writing"].progress == 0
    boxes = _boxes(ET.fromstring(P.to_svg(catalog, jordan).encode("utf-8")))
    tw = boxes["technical-writing"]
    pending = [r for r in tw.iter(f"{SVG}rect") if r.get("class") == "pending"]
    track = [r for r in tw.iter(f"{SVG}rect") if r.get("class") == "track"]
    assert len(pending) == 1 and float(pending[0].get("width", 0)) == float(track[0].get("width", 0))
    assert not [r for r in boxes["data-literacy"].iter(f"{SVG}rect") if r.get("class") == "pending"]


def _y(g: ET.Element) -> float:
    return float(_box_rect(g).get("y", 0))


def test_svg_levels_bottom_up(catalog: Catalog, stacking: nx.DiGraph) -> None:
    boxes = _boxes(ET.fromstring(P.to_svg(catalog).encode("utf-8")))
    assert _y(boxes["python-programming"]) > _y(boxes["data-foundations"]) > _y(boxes["data-analytics-certificate"])
    assert _y(boxes["data-literacy"]) > _y(boxes["bas-information-systems"])
    for u, v in stacking.edges:
        assert _y(boxes[u]) > _y(boxes[v]), (u, v)
    # boxes of one row do not overlap
    rows: dict[float, list[tuple[float, float]]] = {}
    for g in boxes.values():
        r = _box_rect(g)
        rows.setdefault(_y(g), []).append((float(r.get("x", 0)), float(r.get("width", 0))))
    for spans in rows.values():
        spans.sort()
        for (x0, w0), (x1, _w1) in itertools.pairwise(spans):
            assert x0 + w0 < x1


def test_svg_learner_styles(catalog: Catalog, maya: LearnerResult) -> None:
    root = ET.fromstring(P.to_svg(catalog, maya).encode("utf-8"))
    boxes = _boxes(root)
    earned_fill, earned_stroke, _t = P.STATUS_COLOURS["earned"]
    earned = set(maya.earned())
    assert earned == {
        "python-programming",
        "data-literacy",
        "spreadsheet-modeling",
        "data-foundations",
        "statistical-modeling",
        "data-analytics-certificate",
    }
    for cid, g in boxes.items():
        status = maya.credentials[cid].status
        assert g.get("data-status") == status
        assert status in g.get("class", "").split()
        rect = _box_rect(g)
        assert (rect.get("fill") == earned_fill) == (cid in earned), cid
        assert rect.get("fill") == P.STATUS_COLOURS[status][0]
        texts = [t.text or "" for t in g.iter(f"{SVG}text")]
        if cid in earned:
            assert rect.get("stroke") == earned_stroke
            assert f"✓ Earned {maya.credentials[cid].earned_on}" in texts
    # partial: a progress bar as long as the progress
    ba = boxes["business-analytics"]
    assert maya.credentials["business-analytics"].status == "partial"
    track = next(r for r in ba.iter(f"{SVG}rect") if r.get("class") == "track")
    bar = next(r for r in ba.iter(f"{SVG}rect") if r.get("class") == "progress")
    ratio = float(bar.get("width", 0)) / float(track.get("width", 1))
    assert ratio == pytest.approx(maya.credentials["business-analytics"].progress, abs=0.01)
    # edges out of earned credentials are drawn in the earned colour
    for p in root.iter(f"{SVG}path"):
        if "edge" in p.get("class", "").split():
            assert (p.get("stroke") == P.EARNED_EDGE) == (p.get("data-source") in earned)
    legend = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "legend")
    legend_text = {t.text for t in legend.iter(f"{SVG}text")}
    assert set(P.STATUS_LABELS.values()) <= legend_text


def test_svg_other_statuses(catalog: Catalog) -> None:
    seen: set[str] = set()
    for path in sorted(TRANSCRIPTS.glob("*.yaml")):
        (src,) = list(read_transcripts(path))
        assert isinstance(src, TranscriptSource)
        result = evaluate(catalog, src)
        for cid, g in _boxes(ET.fromstring(P.to_svg(catalog, result).encode("utf-8"))).items():
            status = result.credentials[cid].status
            assert _box_rect(g).get("fill") == P.STATUS_COLOURS[status][0]
            seen.add(status)
    assert seen == set(P.STATUSES)


def test_svg_with_courses(catalog: Catalog) -> None:
    root = ET.fromstring(P.to_svg(catalog, courses=True).encode("utf-8"))
    boxes = _boxes(root)
    courses = [k for k in boxes if k.startswith("course:")]
    assert len(courses) == len(catalog.courses)
    # the courses sit below the badges
    assert min(_y(boxes[c]) for c in courses) > _y(boxes["python-programming"])
    lines = [p for p in root.iter(f"{SVG}path") if "counts-toward" in p.get("class", "")]
    assert ("course:CSCI 1410", "python-programming") in {(p.get("data-source"), p.get("data-target")) for p in lines}
    # a degree any course counts toward gets a note, not 89 lines
    assert not any(p.get("data-target") == "bas-information-systems" for p in lines)
    pools = [g for g in boxes.values() if g.find(f"{SVG}rect[@class='pool']") is not None]
    assert {g.get("data-id") for g in pools} == {"aas-information-technology", "bas-information-systems"}


def _odd_catalog(tmp_path: Path) -> Catalog:
    (tmp_path / "c.yaml").write_text(
        """\
catalog: {id: odd, name: "Odd & <Co>"}
taxonomy:
  types:
    badge: {label: "Badge \\"B\\"", stacks_into: [degree]}
    degree: {}
courses:
  - {id: CSCI 1410, title: "Intro <to> & more", credits: 3}
credentials:
  - id: q
    type: badge
    title: "Q \\"quoted\\" <b> & #1 \\\\ it's \\x07 a very long title that goes on and on and on and on and on and on"
    description: d
    requires: {course: CSCI 1410}
  - {id: end, type: degree, title: "Ünïcödé 学位", requires: {credential: q}}
""",
        encoding="utf-8",
    )
    return load_catalog(tmp_path)


def test_svg_escapes_text(tmp_path: Path) -> None:
    cat = _odd_catalog(tmp_path)
    text = P.to_svg(cat, courses=True)
    root = ET.fromstring(text.encode("utf-8"))
    assert "\x07" not in text
    all_text = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    assert 'Q "quoted" <b> & #1' in all_text
    assert "…" in all_text  # the long title is cut short after three lines
    assert "Ünïcödé 学位" in all_text
    assert "Odd & <Co>" in all_text
    boxes = _boxes(root)
    assert set(boxes) == {"q", "end", "course:CSCI 1410"}
    tip = boxes["q"].find(f"{SVG}title")
    assert tip is not None and tip.text and "it's" in tip.text
    for fmt in ("dot", "graphml", "mermaid"):
        assert "\x07" not in P.render(fmt, cat)
    nx.read_graphml(io.BytesIO(P.to_graphml(cat, courses=True).encode("utf-8")))
    nodes, _edges, _ranks = _dot(P.to_dot(cat))
    assert 'label="Q \\"quoted\\" <b> & #1 \\\\ it' in nodes["q"]


def test_svg_survives_cycles(tmp_path: Path) -> None:
    from microcred.io.loader import read_catalog

    (tmp_path / "c.yaml").write_text(
        """\
taxonomy:
  types:
    badge: {stacks_into: [badge]}
credentials:
  - {id: a, type: badge, title: A, requires: {credential: b}}
  - {id: b, type: badge, title: B, requires: {credential: a}}
  - {id: s, type: badge, title: S, requires: {credential: s}}
""",
        encoding="utf-8",
    )
    cat, _diagnostics = read_catalog(tmp_path)  # invalid (a cycle), but still drawable
    root = ET.fromstring(P.to_svg(cat).encode("utf-8"))
    edges = [p for p in root.iter(f"{SVG}path") if "edge" in p.get("class", "").split()]
    assert {(p.get("data-source"), p.get("data-target")) for p in edges} == {("a", "b"), ("b", "a"), ("s", "s")}


def test_render_rejects_an_unknown_format(catalog: Catalog) -> None:
    with pytest.raises(ValueError, match="unknown format"):
        P.render("png", catalog)


def test_text_wrapping() -> None:
    assert P.wrap("Data Foundations", 200, 13) == ["Data Foundations"]
    lines = P.wrap("Associate of Applied Science in Information Technology", 178, 13, bold=True)
    assert 2 <= len(lines) <= 3 and all(P.text_width(s, 13, bold=True) <= 178 for s in lines)
    assert P.wrap("x" * 200, 100, 13, max_lines=1)[0].endswith("…")


# -- the command ------------------------------------------------------------------------

CATALOG = str(EXAMPLE)


@pytest.mark.parametrize("fmt", P.FORMATS)
def test_cli_formats(fmt: str) -> None:
    code, out, err = run("graph", "--catalog", CATALOG, "--format", fmt)
    assert code == 0, err
    assert out == P.render(fmt, load_catalog(EXAMPLE))


def test_cli_with_transcript_and_output(tmp_path: Path) -> None:
    target = tmp_path / "maya.svg"
    code, out, err = run("graph", "--catalog", CATALOG, "--transcript", str(EARNED), "-o", str(target))
    assert (code, out) == (0, ""), err
    boxes = _boxes(ET.fromstring(target.read_bytes()))
    assert boxes["data-analytics-certificate"].get("data-status") == "earned"
    # the format follows the file name; --as-of moves the evaluation date
    dot = tmp_path / "g.dot"
    code, _out, err = run(
        "graph", "--catalog", CATALOG, "--transcript", str(EARNED), "--as-of", "2025-01-01", "-o", str(dot)
    )
    assert code == 0, err
    nodes, _edges, _ranks = _dot(dot.read_text(encoding="utf-8"))
    assert 'status="earned"' in nodes["data-foundations"]
    assert 'status="earned"' not in nodes["data-analytics-certificate"]
    assert not list(tmp_path.glob("*.tmp"))


def test_cli_courses() -> None:
    code, out, err = run("graph", "--catalog", CATALOG, "--format", "mermaid", "--courses")
    assert code == 0, err
    assert "k_CSCI_1410" in out


def test_cli_csv_needs_a_learner() -> None:
    code, _out, err = run("graph", "--catalog", CATALOG, "--transcript", str(CSV), "--format", "graphml")
    assert code == 2 and "--learner" in err
    code, out, err = run(
        "graph", "--catalog", CATALOG, "--transcript", str(CSV), "--learner", "S2001", "--format", "graphml"
    )
    assert code == 0, err
    assert nx.read_graphml(io.BytesIO(out.encode("utf-8"))).graph["learner"] == "S2001"
    code, _out, err = run("graph", "--catalog", CATALOG, "--transcript", str(CSV), "--learner", "NOBODY")
    assert code == 2 and "--learner 'NOBODY': no such learner" in err


def _bad_catalog(tmp_path: Path) -> str:
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "c.yaml").write_text("credentials:\n  - {id: x, type: nope, title: X}\n", encoding="utf-8")
    return str(tmp_path / "bad")


def _bad_transcript(tmp_path: Path) -> str:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "learner: {id: S1}\nattempts:\n  - {course: CSCI 1410, date: 2024-01-01, grade: Z}\n", encoding="utf-8"
    )
    return str(path)


def _broken_transcript(tmp_path: Path) -> str:
    path = tmp_path / "broken.yaml"
    path.write_text("learner: {id: S1}\nattempts: [{course: CSCI 1410, date: 'not a date', grade: A}]\n")
    return str(path)


@pytest.mark.parametrize(
    ("case", "expected", "message"),
    [
        ("missing catalogue", 2, "no such file or directory"),
        ("invalid catalogue", 1, "is invalid"),
        ("missing transcript", 2, "no such file"),
        ("grade off the scale", 1, "E502"),
        ("malformed transcript", 1, "cannot read"),
        ("output in a missing folder", 2, "cannot write"),
        ("output is a folder", 2, "is a directory"),
        ("as-of without transcript", 2, "need --transcript"),
    ],
)
def test_cli_errors(tmp_path: Path, case: str, expected: int, message: str) -> None:
    args = {
        "missing catalogue": ["--catalog", str(tmp_path / "nowhere")],
        "invalid catalogue": ["--catalog", _bad_catalog(tmp_path)],
        "missing transcript": ["--catalog", CATALOG, "--transcript", str(tmp_path / "none.yaml")],
        "grade off the scale": ["--catalog", CATALOG, "--transcript", _bad_transcript(tmp_path)],
        "malformed transcript": ["--catalog", CATALOG, "--transcript", _broken_transcript(tmp_path)],
        "output in a missing folder": ["--catalog", CATALOG, "-o", str(tmp_path / "no" / "such" / "g.svg")],
        "output is a folder": ["--catalog", CATALOG, "-o", str(tmp_path)],
        "as-of without transcript": ["--catalog", CATALOG, "--as-of", "2025-01-01"],
    }[case]
    code, out, err = run("graph", *args)
    assert code == expected, err
    assert message in err
    assert "Traceback" not in err and "internal error" not in err
    assert out == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--transcript", str(EARNED), "--as-of", "2025-13-45"], "not a date"),
        (["--format", "png"], "invalid choice"),
    ],
)
def test_cli_usage_errors(capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    code, out, _err = run("graph", "--catalog", CATALOG, *args)
    assert (code, out) == (2, "")
    assert message in capsys.readouterr().err  # argparse's own message


def test_cli_unwritable_file(tmp_path: Path) -> None:
    import os

    if os.geteuid() == 0:
        pytest.skip("root can write anywhere")
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        code, _out, err = run("graph", "--catalog", CATALOG, "-o", str(folder / "g.svg"))
    finally:
        folder.chmod(0o700)
    assert code == 2 and "cannot write" in err


# -- docs/graph.md stays true -----------------------------------------------------------


def test_docs_example_is_the_real_output() -> None:
    doc = (ROOT / "docs" / "graph.md").read_text(encoding="utf-8")
    block = re.search(r"^```mermaid\n(.*?)^```", doc, re.M | re.S)
    assert block is not None
    code, out, err = run("graph", "--catalog", CATALOG, "--transcript", str(EARNED), "--format", "mermaid")
    assert code == 0, err
    assert block.group(1) == out, "regenerate the example of docs/graph.md with the command it shows"


def test_docs_library_example_runs(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    doc = (ROOT / "docs" / "graph.md").read_text(encoding="utf-8")
    block = re.search(r"^```python\n(.*?)^```", doc, re.M | re.S)
    assert block is not None
    monkeypatch.chdir(ROOT)
    exec(compile(block.group(1), "docs/graph.md", "exec"), {})
    assert capsys.readouterr().out == "earned\n"


# -- the bytes of every format ------------------------------------------------------------

#: sha256 of every picture of the example catalogue: without a learner, and for two learners
#: (one who earned a certificate, one with courses in progress), without and with courses, in
#: every format ("svg540" and "svg800": the SVG at those widths, its levels wrapped). The
#: pictures are deterministic; a change to any byte of them is a change of behaviour.
#: (GraphML is written by networkx: a new networkx that writes it otherwise changes its digests.)
DIGESTS: dict[tuple[str | None, bool, str], str] = {
    (None, False, "dot"): "4476a865c2fbdb75f7d4f4ab110341316cd4b6d63a42e73463897a116ee581f2",
    (None, False, "graphml"): "c00fd200bde5a4b19a0f32e71f94abbb6a74776e2c3f9f15c1093dcc349c0ebe",
    (None, False, "mermaid"): "b3efd0721c1a718df057fb7628cec11ba8a7c756e97240cc5078788651d3b075",
    (None, False, "svg"): "1b320ef28be36efe18b317f78506ba0f1001a61f758376c75dfe6f50bed176c4",
    (None, False, "svg540"): "f612006190bb36fcf22f2088aab13b2c1191c1d80a5c52d9f3b5d73a24645cc0",
    (None, False, "svg800"): "bad6d93680b375bcb3078e3736f75ecb6a89d6cbd1c3ad87c6982aaa33002b7c",
    (None, True, "dot"): "f534636b3d8b8a7217d387558102378d5077f63bb5467f999e08f8060608c706",
    (None, True, "graphml"): "63049f17f41d0daf9e952223120ec565d4ad780f6e2125b8cf207e0dd5a4a871",
    (None, True, "mermaid"): "c77803edd4b9ca9dec0fa236447f1c6059b3ea499600a893503feeca4919e16a",
    (None, True, "svg"): "759c9ff5f91c959c121bc7de474531ca71fbbbd7bc81220b18fdcfd59d95dd59",
    (None, True, "svg540"): "fcb6c5b75094450ddb5e5884b0a303bf90d0f2aab382092e073d2c658053bcb4",
    (None, True, "svg800"): "df7f2ea22af65fdcf78b1ceba73758ab6b46c44bc54f34cbf10d4a7c05457737",
    ("earned-certificate", False, "dot"): "b21a6ab32781e9adc7f7e258d57e01091821af7ff150091950e516fc23bbec13",
    ("earned-certificate", False, "graphml"): "4285c401543a1cbf89f1ed99ae80292ef16b7f3fe28c42e905f41ee5c3da90fa",
    ("earned-certificate", False, "mermaid"): "1c296d8270d5217674c7c466c591d666729a08f9a8b719767ef1c0951231894a",
    ("earned-certificate", False, "svg"): "034f05c30f4eb5901fc5b8ec1ed52f8e5e1e08923a42a28f441f10fed121186d",
    ("earned-certificate", False, "svg540"): "034e88f2bc59a9bc9df2ae3011737dc6cd900e886ee9bb3f23194826bc3f3be5",
    ("earned-certificate", False, "svg800"): "3a9ab10ed1eb4b316605643a86021f4da0a82415d3f822683b98113ddf12a928",
    ("earned-certificate", True, "dot"): "fab9ca1b3cf7a574a381e072d6eb1ede2b67b0f4033467e055734f8fb89bd9a6",
    ("earned-certificate", True, "graphml"): "0e36dbf16757ec63ba49d72219f5e1d443d1e63f2ba532c0b4e708c13fe91238",
    ("earned-certificate", True, "mermaid"): "5681f9b32b90b9fa60efa2b23994e2d86c4d4d5284712244f750c0fd21695304",
    ("earned-certificate", True, "svg"): "6d7f601bd6ac030d3fae6052bc5541264678c5bd34492dc162f2983a44fa99f5",
    ("earned-certificate", True, "svg540"): "1878862cddc7f36be8d5f7551105a7a39f29e8d6662d96f0bf217d4bc0db9ee0",
    ("earned-certificate", True, "svg800"): "5ed5c532f78341ac55b24796e379acdbbe0bf7a8828af95a50e7a10d0ab58465",
    ("in-progress", False, "dot"): "a9118cd09c06d3ac469326a263ebee5e13a4db220bcb39ba9b1e264c5bf512ce",
    ("in-progress", False, "graphml"): "fe5ef2ed1114b5c116f880bec2423997334b39a861c39e5576a8220e088b0cc8",
    ("in-progress", False, "mermaid"): "6347ed9a10047df176449b6c7b7c9c2e929586ba6f70584bfefb3d1ccee5f967",
    ("in-progress", False, "svg"): "31fb23f5dca9d1fe1df40532809e773860aff4d94c352b2c7a88ef78f8bdf367",
    ("in-progress", False, "svg540"): "d82f04ef1ebadb6fd4437af667e92db76bacfb31ac6e430048d00f88751aedd4",
    ("in-progress", False, "svg800"): "447a4ab002063a99d01dcb9e1cf9613c3dd38dbe6d594ac6d3e5f9b08df1d7e1",
    ("in-progress", True, "dot"): "e577ec43532e37ae24303b66c6eba12388f6f337f9a2781fbed33dbf60199d97",
    ("in-progress", True, "graphml"): "1dd4050d9f98bb2ad822dae592a7c3393743945666bd08e36e7744cccb61cc14",
    ("in-progress", True, "mermaid"): "3de0565d5908a17e8be57b4ac010daa9d46584ff38ca3e48d1a8be062529ccdd",
    ("in-progress", True, "svg"): "1b3e38d03172ed26cb814d61de40046bdd03b65eeb29bc55fda184e336cf478a",
    ("in-progress", True, "svg540"): "df6f30a3413a4d2c2d9a2dddc23e582850d9c05c0fdd95107a8d08b8918f1908",
    ("in-progress", True, "svg800"): "cc78a6b30309845732b661e39637476fc7543a3994a92365d3da98e2288bdd04",
}


@pytest.mark.parametrize(("learner", "courses", "fmt"), sorted(DIGESTS, key=repr))
def test_every_format_keeps_its_bytes(catalog: Catalog, learner: str | None, courses: bool, fmt: str) -> None:
    result = None
    if learner is not None:
        (src,) = list(read_transcripts(TRANSCRIPTS / f"{learner}.yaml"))
        assert isinstance(src, TranscriptSource)
        result = evaluate(catalog, src)
    if fmt.startswith("svg") and fmt != "svg":
        text = P.to_svg(catalog, result, courses=courses, max_width=int(fmt[3:]))
    else:
        text = P.render(fmt, catalog, result, courses=courses)
    assert hashlib.sha256(text.encode("utf-8")).hexdigest() == DIGESTS[(learner, courses, fmt)]
