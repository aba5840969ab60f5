"""The credential graph: courses count toward credentials, credentials stack into others."""

from __future__ import annotations

import networkx as nx
import pytest
from conftest import EXAMPLE, Checker

from microcred.checks.validate import load_catalog, validate_catalog
from microcred.model import graph as g
from microcred.model.catalog import Catalog


@pytest.fixture(scope="module")
def example() -> Catalog:
    return load_catalog(EXAMPLE)


@pytest.fixture(scope="module")
def example_graph(example: Catalog) -> nx.DiGraph:
    return g.build_graph(example)


LADDER = """\
taxonomy:
  types:
    badge: {stacks_into: [micro, degree], level: 0}
    micro: {stacks_into: [degree]}
    degree: {}
courses:
  - {id: CSCI 1410, title: A, credits: 3}
  - {id: CSCI 2312, title: B, credits: 3}
  - {id: CSCI 3287, title: C, credits: 3}
  - {id: MATH 1110, title: D, credits: 4}
  - {id: PHIL 1020, title: E, credits: 3}
credentials:
  - {id: b1, type: badge, title: B1, credits: 3, requires: {course: CSCI 1410}}
  - {id: b2, type: badge, title: B2, credits: 3}
  - id: m1
    type: micro
    title: M1
    requires: {all: [{credential: b1}, {courses: 1, from: {subject: CSCI, level: "2000+"}}]}
  - id: d1
    type: degree
    title: D1
    requires:
      all:
        - credential: m1
        - credits: 4
          from: {subject: MATH, credentials: {ids: [b2]}}
"""


@pytest.fixture
def ladder(check: Checker) -> nx.DiGraph:
    report = check(LADDER)
    assert report.diagnostics == []
    assert report.graph is not None
    return report.graph


def test_nodes_and_edges(ladder: nx.DiGraph) -> None:
    assert ladder.nodes[g.course_node("CSCI 1410")]["kind"] == g.COURSE
    assert ladder.nodes[g.credential_node("d1")] == {"kind": g.CREDENTIAL, "title": "D1", "type": "degree"}
    assert ladder.edges[g.course_node("CSCI 1410"), g.credential_node("b1")] == {"kind": "counts_toward"}
    b1_m1 = ladder.edges[g.credential_node("b1"), g.credential_node("m1")]
    assert b1_m1 == {"kind": "stacks_into", "via": "credential"}
    assert ladder.edges[g.credential_node("b2"), g.credential_node("d1")] == {"kind": "stacks_into", "via": "credit"}
    # selectors are resolved: level 2000+ CSCI courses count toward m1
    assert {c for k, c in ladder.predecessors(g.credential_node("m1")) if k == g.COURSE} == {"CSCI 2312", "CSCI 3287"}
    # a course no rule names counts toward nothing
    assert ladder.out_degree(g.course_node("PHIL 1020")) == 0


def test_queries(ladder: nx.DiGraph) -> None:
    assert g.stacks_into(ladder, "b1") == ["m1"]
    assert g.stacked_from(ladder, "d1") == ["b2", "m1"]
    assert g.descendants(ladder, "b1") == {"m1", "d1"}
    assert g.ancestors(ladder, "d1") == {"b1", "b2", "m1"}
    assert g.courses_toward(ladder, "d1") == {"CSCI 1410", "CSCI 2312", "CSCI 3287", "MATH 1110"}
    assert g.credentials_of_course(ladder, "CSCI 1410") == {"b1", "m1", "d1"}
    assert g.credentials_of_course(ladder, "NOPE 1000") == set()
    assert g.tops(ladder) == ["d1"]
    assert g.paths_to_top(ladder, "b1") == [["b1", "m1", "d1"]]
    assert g.paths_to_top(ladder, "d1") == [["d1"]]
    assert g.paths_to_top(ladder, "missing") == []
    assert g.stacking_cycles(ladder) == []


def test_credential_subgraph(ladder: nx.DiGraph) -> None:
    h = g.credential_subgraph(ladder)
    assert set(h.nodes) == {"b1", "b2", "m1", "d1"}
    assert set(h.edges) == {("b1", "m1"), ("m1", "d1"), ("b2", "d1")}


def test_levels(check: Checker) -> None:
    report = check(LADDER)
    assert report.graph is not None and report.catalog is not None
    # badge has a taxonomy level (0); the others are the longest chain below them
    assert g.levels(report.graph, report.catalog) == {"b1": 0, "b2": 0, "m1": 1, "d1": 2}


def test_owner_is_never_admitted_for_its_own_credit(example: Catalog) -> None:
    assert g.admitted_credentials(example, ["aas-information-technology"], None, "aas-information-technology") == []
    badges = g.admitted_credentials(example, None, "badge", "x")
    assert "python-programming" in badges and "data-foundations" not in badges


def test_dangling_references_are_left_out_of_the_graph(check: Checker) -> None:
    report = check(
        LADDER + "  - {id: x, type: degree, title: X, requires: {all: [{credential: nope}, {course: NOPE 1}]}}\n"
    )
    assert sorted(d.code for d in report.diagnostics) == ["E301", "E302"]
    assert report.graph is not None
    assert report.graph.in_degree(g.credential_node("x")) == 0


def test_stacking_cycles_name_each_cycle(check: Checker) -> None:
    report = check(
        "taxonomy: {types: {t: {stacks_into: [t]}}}\n"
        "credentials:\n"
        "  - {id: a, type: t, title: A, requires: {credential: b}}\n"
        "  - {id: b, type: t, title: B, requires: {credential: a}}\n"
        "  - {id: s, type: t, title: S, requires: {credential: s}}\n"
    )
    assert report.graph is not None
    assert g.stacking_cycles(report.graph) == [["a", "b", "a"], ["s", "s"]]
    e304 = [(d.location.line, d.location.column) for d in report.diagnostics if d.code == "E304" and d.location]
    assert e304 == [(4, 42), (5, 42)]  # the rule node that names the previous credential
    # with a cycle, levels fall back to 0 rather than fail
    assert report.catalog is not None
    assert set(g.levels(report.graph, report.catalog).values()) == {0}


def test_example_graph(example: Catalog, example_graph: nx.DiGraph) -> None:
    assert g.stacking_cycles(example_graph) == []
    assert g.tops(example_graph) == ["bas-information-systems"]
    assert "aas-information-technology" in g.descendants(example_graph, "python-programming") or (
        "bas-information-systems" in g.descendants(example_graph, "python-programming")
    )
    assert g.stacks_into(example_graph, "data-foundations") == ["data-analytics-certificate"]
    assert g.stacked_from(example_graph, "data-analytics-certificate") == ["data-foundations", "statistical-modeling"]
    assert g.paths_to_degrees(example_graph, "sql-fundamentals")[0][-1] == "bas-information-systems"
    # every course of the catalogue counts toward the bachelor's total credits
    assert g.courses_toward(example_graph, "bas-information-systems") == set(example.courses)
    lv = g.levels(example_graph, example)
    ladder = ["python-programming", "data-foundations", "data-analytics-certificate", "bas-information-systems"]
    assert [lv[c] for c in ladder] == sorted({lv[c] for c in ladder}) and len({lv[c] for c in ladder}) == 4


def test_validation_report_carries_the_graph(example: Catalog) -> None:
    report = validate_catalog(example)
    assert report.valid and report.diagnostics == []
    assert report.graph is not None
    assert report.to_dict() == {"valid": True, "errors": [], "warnings": []}
