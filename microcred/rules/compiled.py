"""Compiling a catalogue: rules become trees of plain nodes with their selectors resolved to
course sets, ``min_grade`` resolved to points, and ``credential:`` nodes expanded inline.

Compile once, evaluate many: every learner is evaluated against the same compiled form. Each
compiled credential owns the engine's working caches for its rule (``cache``, a
:class:`~microcred.rules.caches.CredentialCache`), which a pickled copy leaves behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from microcred.model.graph import ancestors, build_graph, credential_subgraph, stacks_into
from microcred.rules.caches import CredentialCache
from microcred.rules.kinds import KINDS
from microcred.rules.nodes import RuleBase, Selector
from microcred.rules.selectors import CourseIndex
from microcred.taxonomy.grades import GradeScale

if TYPE_CHECKING:
    import networkx as nx

    from microcred.model.catalog import Catalog


@dataclass(eq=False)
class CNode:
    """One node of a compiled rule."""

    kind: str
    owner: str  # the credential whose rule this node belongs to
    ref: str  # the node's id, or its path inside the owner's rule
    path: tuple[str | int, ...]  # path inside the owner's rule, from `requires`
    label: str | None = None
    node_id: str | None = None
    min_grade: str | None = None
    min_points: float | None = None
    window_months: int | None = None
    shared: bool = False
    children: list[CNode] = field(default_factory=list)
    need: float = 0  # courses N, credits X, at_least N, gpa X
    by_credits: bool = False  # a consuming leaf measured in credits (``credits``), not in attempts
    course: str | None = None
    eligible: frozenset[str] = frozenset()
    selector: Selector | None = None
    admits: tuple[str, ...] = ()
    gpa_over: frozenset[str] | None = None
    target: str | None = None  # credential: the credential named
    inline: CNode | None = None  # credential: its rule, expanded here
    leaf: int = -1  # index among the consuming leaves of the compiled credential
    #: the texts of :meth:`describe` and :meth:`selector_text`, worked out on first use
    description: str | None = field(default=None, init=False, repr=False)
    selector_words: str | None = field(default=None, init=False, repr=False)

    def walk(self) -> Iterator[CNode]:
        yield self
        for c in self.children:
            yield from c.walk()
        if self.inline is not None:
            yield from self.inline.walk()

    def describe(self) -> str:
        """A short human name: the label, else what the node asks for (worked out once)."""
        text = self.description
        if text is None:
            text = self.description = self._describe()
        return text

    def selector_text(self) -> str:
        """The node's selector in plain words ("any course" when it has none), worked out once."""
        text = self.selector_words
        if text is None:
            text = self.selector_words = self.selector.describe() if self.selector else "any course"
        return text

    def _describe(self) -> str:
        if self.label:
            return self.label
        return KINDS[self.kind].describe(self)


@dataclass
class CompiledCredential:
    id: str
    root: CNode | None
    leaves: list[CNode]
    #: courses whose attempts can change this credential's result (None: every course)
    relevant_courses: frozenset[str] | None
    #: credentials whose awards can change this credential's result
    relevant_credentials: frozenset[str]
    has_gpa: bool
    has_window: bool
    #: the engine's working caches for this rule, made empty at compilation; a pickled copy
    #: starts with empty ones (:mod:`microcred.rules.caches`), as does one made by
    #: ``dataclasses.replace``
    cache: CredentialCache = field(default_factory=CredentialCache, init=False, repr=False, compare=False)


class CompiledCatalog:
    """A catalogue ready for evaluation: compiled rules, the graph and the indexes."""

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self.scale: GradeScale = catalog.grade_scale
        self.index = CourseIndex(catalog.courses)
        self._graph: nx.DiGraph | None = None
        self.course_credits: dict[str, float] = {cid: c.credits for cid, c in catalog.courses.items()}
        self.credential_credits: dict[str, float | None] = {cid: c.credits for cid, c in catalog.credentials.items()}
        self.credentials: dict[str, CompiledCredential] = {}
        for cid in catalog.credentials:
            self.credentials[cid] = self._compile_credential(cid)
        #: course id -> credentials whose result it can change (for indexing batch work)
        self.by_course: dict[str, set[str]] = {}
        self.uses_all_courses: set[str] = set()
        for cid, cc in self.credentials.items():
            if cc.relevant_courses is None:
                self.uses_all_courses.add(cid)
            else:
                for course in cc.relevant_courses:
                    self.by_course.setdefault(course, set()).add(cid)
        #: credential id -> title, as results name the credentials they mention
        self.titles: dict[str, str] = {cid: c.title for cid, c in catalog.credentials.items()}
        # the stacking, worked out on first use (or all at once, :meth:`tabulate_stacking`)
        self._credential_graph: nx.DiGraph | None = None
        self._stacking_graph: nx.DiGraph | None = None
        self._stack_targets: dict[str, list[tuple[str, int]]] = {}
        self._direct: dict[str, list[str]] = {}
        self._stacked_from: dict[str, frozenset[str]] = {}

    def tabulate_stacking(self) -> None:
        """Work out now the stacking of every credential (what :meth:`stack_targets`,
        :meth:`direct_stacks` and :meth:`stacked_from` answer), keep it in tables and let the
        graphs go (:attr:`graph` builds the graph again if asked for). Evaluation then needs no
        graph, and a pickled copy loads without networkx."""
        for cid in self.credentials:
            self.stack_targets(cid)
            self.direct_stacks(cid)
            self.stacked_from(cid)
        self._graph = None
        self._credential_graph = None
        self._stacking_graph = None

    def _stacking(self) -> nx.DiGraph:
        """The credentials and the stacks-into edges between them: what stacking questions
        need, without the course edges of :attr:`graph` (whose number grows with credentials ×
        courses). Courses only ever point into credentials, so paths between credentials and
        their lengths are the same in both."""
        g = self._credential_graph
        if g is None:
            g = self._credential_graph = build_graph(self.catalog, self.index, courses=False)
        return g

    def stack_targets(self, credential: str) -> list[tuple[str, int]]:
        """Every credential ``credential`` stacks into, with the length of the shortest stacking
        path to it, nearest first (computed once per credential)."""
        cache = self._stack_targets
        hit = cache.get(credential)
        if hit is None:
            h = self._stacking_graph
            if h is None:
                h = self._stacking_graph = credential_subgraph(self._stacking())
            import networkx as nx

            lengths = nx.single_source_shortest_path_length(h, credential) if credential in h else {}
            hit = sorted(((t, d) for t, d in lengths.items() if t != credential), key=lambda x: (x[1], x[0]))
            cache[credential] = hit
        return hit

    def direct_stacks(self, credential: str) -> list[str]:
        """The credentials ``credential`` stacks into directly (the graph's successors)."""
        cache = self._direct
        hit = cache.get(credential)
        if hit is None:
            hit = stacks_into(self._stacking(), credential)
            cache[credential] = hit
        return hit

    def stacked_from(self, credential: str) -> frozenset[str]:
        """``credential`` and every credential that stacks into it, directly or not."""
        cache = self._stacked_from
        hit = cache.get(credential)
        if hit is None:
            hit = frozenset({credential} | ancestors(self._stacking(), credential))
            cache[credential] = hit
        return hit

    @property
    def graph(self) -> nx.DiGraph:
        """The credential graph (built on first use)."""
        if self._graph is None:
            self._graph = build_graph(self.catalog, self.index)
        return self._graph

    # -- compilation ------------------------------------------------------------------

    def _points(self, grade: str | None) -> float | None:
        if grade is None or grade not in self.scale:
            return None
        return self.scale.points(grade)

    def _compile_credential(self, cid: str) -> CompiledCredential:
        cred = self.catalog.credentials[cid]
        if cred.requires is None:
            return CompiledCredential(cid, None, [], frozenset(), frozenset(), False, False)
        root = self._compile(cred.requires, cid, ("requires",), cred.min_grade, False, (cid,))
        leaves: list[CNode] = []
        relevant: set[str] | None = set()
        creds: set[str] = set()
        has_gpa = has_window = False
        for node in root.walk():
            kind = KINDS[node.kind]
            if kind.consuming:
                node.leaf = len(leaves)
                leaves.append(node)
            if node.window_months is not None:
                has_window = True
            if not kind.monotone:
                has_gpa = True
            if relevant is not None:
                own = kind.relevant(node)
                if own is None:
                    relevant = None
                else:
                    relevant |= own
            if node.target:
                creds.add(node.target)
            creds.update(node.admits)
        return CompiledCredential(
            cid,
            root,
            leaves,
            frozenset(relevant) if relevant is not None else None,
            frozenset(creds),
            has_gpa,
            has_window,
        )

    def _compile(
        self,
        rule: RuleBase,
        owner: str,
        path: tuple[str | int, ...],
        min_grade: str | None,
        shared: bool,
        stack: tuple[str, ...],
    ) -> CNode:
        min_grade = rule.min_grade or min_grade
        shared = shared or rule.shared
        within = rule.complete_within.total_months if rule.complete_within is not None else None
        ref = (
            rule.id
            or ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in path[1:]).replace(".[", "[")
            or "requires"
        )
        node = CNode(
            kind=rule.kind,
            owner=owner,
            ref=ref,
            path=path,
            label=rule.label,
            node_id=rule.id,
            min_grade=min_grade,
            min_points=self._points(min_grade),
            window_months=within,
            shared=shared,
        )
        kind = KINDS[rule.kind]
        node.by_credits = kind.by_credits
        kind.compile(rule, node, _Compiling(self, owner, path, min_grade, shared, stack))
        return node


class _Compiling:
    """The context one node is compiled in (see :class:`microcred.rules.kinds.base.Compiling`)."""

    def __init__(
        self,
        compiler: CompiledCatalog,
        owner: str,
        path: tuple[str | int, ...],
        min_grade: str | None,
        shared: bool,
        stack: tuple[str, ...],
    ):
        self.compiler = compiler
        self.catalog = compiler.catalog
        self.index = compiler.index
        self.owner = owner
        self.path = path
        self.min_grade = min_grade
        self.shared = shared
        self.stack = stack

    def children(self, rule: RuleBase) -> list[CNode]:
        c = self.compiler
        return [
            c._compile(child, self.owner, self.path + rule.child_path(i), self.min_grade, self.shared, self.stack)
            for i, child in enumerate(rule.children())
        ]

    def inline(self, credential: str) -> CNode | None:
        inner = self.catalog.credentials.get(credential)
        if inner is None or inner.requires is None or credential in self.stack:
            return None
        # its own min_grade if it sets one, else the one in force here
        inner_min = inner.min_grade or self.min_grade
        return self.compiler._compile(
            inner.requires, credential, ("requires",), inner_min, self.shared, (*self.stack, credential)
        )
