"""The credential graph: courses count toward credentials, credentials stack into others.

The graph is plain networkx data, built once from a catalogue and queried with functions.
Nodes are ``("course", id)`` and ``("credential", id)``; edges carry a ``kind``:

- ``counts_toward``: course → credential, when the credential's rule names the course or a
  selector of a counting leaf (``courses``, ``credits``) matches it;
- ``stacks_into``: credential → credential, when the second one's rule holds a
  ``credential:`` node naming the first (``via="credential"``), or admits it at its credit
  value in a ``credits`` node (``via="credit"``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from microcred.rules.nodes import walk
from microcred.rules.selectors import CourseIndex

if TYPE_CHECKING:
    import networkx as nx

    from microcred.model.catalog import Catalog

COURSE = "course"
CREDENTIAL = "credential"
Node = tuple[str, str]


def course_node(course_id: str) -> Node:
    return (COURSE, course_id)


def credential_node(credential_id: str) -> Node:
    return (CREDENTIAL, credential_id)


def admitted_credentials(catalog: Catalog, ids: Iterable[str] | None, type_: str | None, owner: str) -> list[str]:
    """Credentials a ``credits`` node admits for prior learning (never its own credential)."""
    found: list[str] = []
    if ids is not None:
        found.extend(i for i in ids if i in catalog.credentials)
    if type_ is not None:
        found.extend(i for i, c in catalog.credentials.items() if c.type == type_)
    return [i for i in dict.fromkeys(found) if i != owner]


def build_graph(catalog: Catalog, index: CourseIndex | None = None, *, courses: bool = True) -> nx.DiGraph:
    """The credential graph of a catalogue (dangling references are left out).

    With ``courses=False``, only the credentials and the stacks-into edges between them: all
    that stacking checks need, without the course edges, whose number grows with credentials
    × courses (a degree's "120 credits from any course" links it to every course).
    """
    import networkx as nx

    index = index or CourseIndex(catalog.courses)
    g = nx.DiGraph()
    if courses:
        for cid, course in catalog.courses.items():
            g.add_node(course_node(cid), kind=COURSE, title=course.title, credits=course.credits)
    for cid, cred in catalog.credentials.items():
        g.add_node(credential_node(cid), kind=CREDENTIAL, title=cred.title, type=cred.type)
    counts: list[tuple[Node, Node]] = []  # added at once: add_edges_from is twice as fast
    for cid, cred in catalog.credentials.items():
        if cred.requires is None:
            continue
        target = credential_node(cid)
        for _path, node, _anc in walk(cred.requires):
            named, credential = node.named_course, node.named_credential
            if named is not None and courses and named in catalog.courses:
                counts.append((course_node(named), target))
            if courses:
                for _key, sel, counted in node.selectors():
                    if counted:
                        counts.extend((course_node(c), target) for c in index.match(sel))
            f = node.admits
            if f is not None:
                for other in admitted_credentials(catalog, f.ids, f.type, cid):
                    if not g.has_edge(credential_node(other), target):
                        g.add_edge(credential_node(other), target, kind="stacks_into", via="credit")
            if credential is not None and credential in catalog.credentials:
                g.add_edge(credential_node(credential), target, kind="stacks_into", via="credential")
    g.add_edges_from(counts, kind="counts_toward")
    return g


def credential_subgraph(g: nx.DiGraph) -> nx.DiGraph:
    """Only credentials and the stacks-into edges between them, nodes named by id."""
    import networkx as nx

    h = nx.DiGraph()
    for (kind, ident), data in g.nodes(data=True):
        if kind == CREDENTIAL:
            h.add_node(ident, **data)
    for (uk, u), succ in g.adj.items():  # only credentials have edges to credentials
        if uk != CREDENTIAL:
            continue
        for (vk, v), data in succ.items():
            if vk == CREDENTIAL:
                h.add_edge(u, v, **data)
    return h


def stacks_into(g: nx.DiGraph, credential_id: str) -> list[str]:
    """Credentials that ``credential_id`` counts toward directly."""
    return sorted(v for _k, v in g.successors(credential_node(credential_id)))


def stacked_from(g: nx.DiGraph, credential_id: str) -> list[str]:
    """Credentials that count directly toward ``credential_id``."""
    return sorted(v for k, v in g.predecessors(credential_node(credential_id)) if k == CREDENTIAL)


def descendants(g: nx.DiGraph, credential_id: str) -> set[str]:
    """Every credential ``credential_id`` stacks into, directly or through others."""
    import networkx as nx

    return {v for _k, v in nx.descendants(g, credential_node(credential_id))}


def ancestors(g: nx.DiGraph, credential_id: str) -> set[str]:
    """Every credential that stacks into ``credential_id``, directly or through others."""
    import networkx as nx

    return {v for k, v in nx.ancestors(g, credential_node(credential_id)) if k == CREDENTIAL}


def courses_toward(g: nx.DiGraph, credential_id: str) -> set[str]:
    """Every course that can count toward ``credential_id``, directly or through credentials."""
    import networkx as nx

    return {v for k, v in nx.ancestors(g, credential_node(credential_id)) if k == COURSE}


def credentials_of_course(g: nx.DiGraph, course_id: str) -> set[str]:
    """Every credential a course can count toward, directly or by stacking."""
    import networkx as nx

    node = course_node(course_id)
    if node not in g:
        return set()
    return {v for _k, v in nx.descendants(g, node)}


def tops(g: nx.DiGraph) -> list[str]:
    """Credentials that stack into nothing: the top of each stack (typically degrees)."""
    return sorted(v for (k, v) in g.nodes if k == CREDENTIAL and g.out_degree((k, v)) == 0)


def paths_to_top(g: nx.DiGraph, credential_id: str, *, limit: int = 1000) -> list[list[str]]:
    """Stack paths from ``credential_id`` up to credentials that stack into nothing.

    Each path is a list of credential ids starting with ``credential_id``; at most ``limit``
    paths, shortest first.
    """
    import networkx as nx

    h = credential_subgraph(g)
    if credential_id not in h:
        return []
    top = [t for t in tops(g) if t != credential_id]
    if h.out_degree(credential_id) == 0:
        return [[credential_id]]
    paths: list[list[str]] = []
    for path in nx.all_simple_paths(h, credential_id, top):
        paths.append(list(path))
        if len(paths) >= limit:
            break
    return sorted(paths, key=lambda p: (len(p), p))


#: Degrees are the usual top of a stack; the name says what users call it.
paths_to_degrees = paths_to_top


def stacking_cycles(g: nx.DiGraph) -> list[list[str]]:
    """One cycle for each group of credentials that stack into each other."""
    import networkx as nx

    h = credential_subgraph(g)
    cycles: list[list[str]] = []
    for comp in nx.strongly_connected_components(h):
        if len(comp) == 1:
            (only,) = comp
            if h.has_edge(only, only):
                cycles.append([only, only])
            continue
        sub = h.subgraph(comp)
        start = min(comp)
        edges = nx.find_cycle(sub, source=start)
        cycle = [edges[0][0]] + [v for _u, v in edges]
        cycles.append(cycle)
    return sorted(cycles)


def levels(g: nx.DiGraph, catalog: Catalog) -> dict[str, int]:
    """A layout level for each credential: the taxonomy's ``level`` where given, else the
    length of the longest stacking chain below it (badges 0, degrees highest)."""
    import networkx as nx

    h = credential_subgraph(g)
    out: dict[str, int] = {}
    if nx.is_directed_acyclic_graph(h):
        for node in nx.topological_sort(h):
            preds = list(h.predecessors(node))
            out[node] = 1 + max((out[p] for p in preds), default=-1)
    else:
        out = {n: 0 for n in h}
    for cid, cred in catalog.credentials.items():
        ctype = catalog.types.get(cred.type)
        if ctype is not None and ctype.level is not None:
            out[cid] = ctype.level
    return out
