"""What a rule kind provides: the hooks every module in this package implements, and their helpers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal, NamedTuple, Protocol

from microcred.rules.nodes import Duration

if TYPE_CHECKING:
    from microcred.model.catalog import Catalog
    from microcred.model.diagnostics import Diagnostic
    from microcred.rules.compiled import CNode
    from microcred.rules.nodes import RuleBase, RulePath
    from microcred.rules.scenario import Item, Scenario
    from microcred.rules.selectors import CourseIndex
    from microcred.rules.solver import NodeValues

#: How the solver works out a node's progress from below it.
Role = Literal["all", "any", "at_least", "pass", "leaf", "constant"]


@dataclass(frozen=True)
class Gate:
    """A node that is a boolean gate over its children: ``op`` ``and``, ``or`` or ``atleast``
    (at least ``need`` of them)."""

    op: Literal["and", "or", "atleast"]
    need: int


@dataclass(frozen=True)
class Occurrence:
    """A leaf naming one course: two occurrences of a course compete for its one attempt."""

    course: str


@dataclass(frozen=True)
class Reference:
    """A node naming another credential: its rule may be read in its place."""

    credential: str


@dataclass(frozen=True)
class Atom:
    """Any other node: a free variable (what it needs is counted elsewhere)."""


#: A rule node read as a boolean formula (see :func:`microcred.rules.kinds.boolean`).
Shape = Gate | Occurrence | Reference | Atom


@dataclass(frozen=True)
class Group:
    """A report heading for a group of children, in a text report (``text``) and in HTML (``html``)."""

    text: str
    html: str


@dataclass(frozen=True)
class Count:
    """A report heading for "``need`` of ``of``" children."""

    need: int
    of: int


#: What a report heading shows for a requirement (see :meth:`RuleKind.heading`): a group, a
#: count, a credential (by its title) or a course (by its title); anything else is shown as
#: the requirement's description.
Heading = Group | Count | Reference | Occurrence


class Compiling(Protocol):
    """What a kind's compile step sees: the catalogue and the context the node is compiled in."""

    catalog: Catalog
    index: CourseIndex
    owner: str
    min_grade: str | None

    def children(self, rule: RuleBase) -> list[CNode]:
        """The compiled children of ``rule`` (by :meth:`RuleBase.children`)."""

    def inline(self, credential: str) -> CNode | None:
        """The rule of ``credential`` compiled in place, or None (no rule, or a cycle)."""


class CpsatEncoding(Protocol):
    """What a kind's CP-SAT encoding sees (``microcred.rules.cpsat``): a node's progress is an
    integer variable or constant ``v`` on a scale ``s`` (progress = v / s)."""

    model: Any

    def encode(self, node: CNode) -> tuple[Any, int] | None:
        """The progress of ``node`` (None: the scale would grow too large)."""

    def leaf(self, node: CNode) -> tuple[Any, int]:
        """The progress of a consuming leaf: what it receives, up to what it needs."""

    def children(self, node: CNode) -> tuple[list[Any], int] | None:
        """The children's progress on one common scale: (values, scale)."""

    def fits(self, scale: int) -> bool:
        """Whether ``scale`` is small enough to stay exact."""

    def holds(self, node: CNode) -> Any:
        """True, False, or a 0/1 variable that implies ``node`` is met."""

    def leaf_holds(self, node: CNode) -> Any:
        """That a consuming leaf is met: it receives what it needs."""

    def gate_holds(self, node: CNode, gate: Gate) -> Any:
        """That ``gate`` over the node's children holds."""

    def floor(self, node: CNode) -> Any:
        """That a GPA floor the model can move holds."""


class Explaining(Protocol):
    """What a kind's explanation sees (``microcred.rules.explain``): the walk of what is missing."""

    sc: Scenario
    #: id(node) -> progress, for every node of the solution
    progress: NodeValues

    def say(self, prefix: str, text: str) -> None:
        """Add one sentence (with the prefix of the inline credential it lies in)."""

    def said(self) -> int:
        """How many sentences were added so far."""

    def visit(self, node: CNode, prefix: str) -> None:
        """What is missing below ``node``."""

    def leaf_text(self, node: CNode) -> str:
        """What a consuming leaf still needs."""

    def course_text(self, node: CNode) -> str: ...

    def counted_text(self, node: CNode, unit: str) -> str: ...


class Exporting(Protocol):
    """What a kind's CTDL export sees (``microcred.badges.ctdl``): the catalogue and the words
    and condition profiles of the export."""

    catalog: Catalog
    index: CourseIndex
    #: the most courses a selector's condition lists as targets
    max_listed: int

    def describe(self, node: RuleBase, grade: str | None) -> str:
        """A node in plain words, modifiers included (``grade``: the ``min_grade`` in force)."""

    def profile(self, node: RuleBase, grade: str | None) -> dict[str, Any]:
        """A node's ``ceterms:ConditionProfile``."""

    def leaf_targets(self, node: RuleBase) -> tuple[list[str], list[str]] | None:
        """(courses, credentials) all of which meet ``node``, when it is such a conjunction."""

    def selector(self, sel: Any) -> str: ...

    def plural(self, n: float, word: str) -> str: ...

    def title(self, cid: str) -> str: ...

    def credential_words(self, cid: str) -> str: ...

    def type_label(self, type_id: str) -> str: ...

    def text_list(self, items: list[str]) -> dict[str, list[str]]: ...

    def credit_value(self, value: float) -> dict[str, Any]: ...

    def alignment(self, uri: str) -> dict[str, Any]: ...

    def targets(self, p: dict[str, Any], courses: Iterable[str], creds: Iterable[str]) -> None:
        """Name the courses and credentials of profile ``p`` as its targets."""

    def partial_targets(self, p: dict[str, Any], kids: Sequence[RuleBase]) -> None:
        """The targets of those of ``kids`` that have them, as ``p``'s targets."""

    def n_combinations(self, n: int, k: int) -> bool:
        """Whether the ``k``-combinations of ``n`` options are few enough to list."""

    def combinations(
        self, p: dict[str, Any], options: list[tuple[list[str], list[str]]], k: int, grade: str | None
    ) -> None:
        """Every ``k`` of ``options`` as an alternative condition of ``p``."""


class Place(NamedTuple):
    """Where a node is read into its skeleton (``microcred.rules.skeleton``): the modifiers in force there."""

    owner: str
    #: the node's id, else its label
    name: str | None
    min_grade: str | None
    #: the points of ``min_grade`` (None: any passing grade, or read without a grade scale)
    level: float | None
    shared: bool
    #: the tightest completion window in force, in months
    window: int | None

    @property
    def grade_text(self) -> str:
        """ " with B or better" when a grade is in force, else ""."""
        return f" with {self.min_grade} or better" if self.level is not None else ""

    @property
    def window_text(self) -> str:
        """ " within 2 years" when a window is in force, else ""."""
        return "" if self.window is None else f" within {duration_text(self.window)}"


def duration_text(months: int | None) -> str:
    """A span of ``months`` in words ("2 years", "1 year 6 months"; None: "none")."""
    if months is None:
        return "none"
    years, rest = divmod(months, 12)
    return str(Duration(years=years, months=rest))


class Reading(Protocol):
    """What a kind's reading for ``diff`` sees (``microcred.analysis.diff.reading``): a leaf
    that is neither a gate nor a course occurrence becomes an *atom* (one variable of the
    equivalence check per key) and a *facet* (the node's numbers, paired with its counterpart
    in the other version of the rule)."""

    catalog: Catalog
    #: course -> its credits
    credits: dict[str, float]

    def matched(self, sel: Any) -> list[str]:
        """The courses a selector matches, sorted."""

    def atom(
        self,
        rule: RuleBase,
        key: tuple[Any, ...],
        *,
        need: float,
        courses: dict[str, float],
        admits: dict[str, float] | None = None,
        level: float | None = None,
        window: int | None = None,
        target: str | None = None,
        text: str,
        consumes: bool,
    ) -> Any:
        """The atom of ``key`` (one variable for every node with that key, in both versions):
        ``need`` of what ``courses`` (course -> weight) and ``admits`` (credential -> credits)
        give, under ``level`` and ``window``; ``text`` says what it asks for."""

    def any_of(self, rule: RuleBase, options: Sequence[RuleBase], at: Place) -> Any:
        """``rule`` read as ``any`` over ``options`` (nodes it stands for, read in its place
        under the modifiers in force there, ``at``): course options are occurrences, so
        exclusivity with the rest of the rule holds for them. The options' own facets are
        not recorded (record the node's facet with :meth:`facet`)."""

    def facet(self, rule: RuleBase, name: str, sig: tuple[Any, ...], data: dict[str, Any]) -> None:
        """Record the node's facet: ``sig`` equal in both versions means unchanged, ``data``
        is what :meth:`RuleKind.diff_changes` compares. A facet with ``level`` and ``shared``
        in its data reports changes of ``min_grade`` and ``shared`` too."""


#: A change ``diff`` reports between paired nodes: (what changed, old value, new value, sentence).
Change = tuple[str, Any, Any, str]


def level_ge(a: float | None, b: float | None) -> bool:
    """Whether grade level ``a`` is at least ``b`` (None: any passing grade)."""
    return b is None or (a is not None and a >= b)


def window_le(a: int | None, b: int | None) -> bool:
    """Whether window ``a`` is at most ``b`` months (None: no window)."""
    return b is None or (a is not None and a <= b)


def overlap(a: Iterable[str], b: Iterable[str]) -> float:
    """How much two sets of courses overlap (for pairing nodes), 0 to 1."""
    sa, sb = set(a), set(b)
    if not sa and not sb:
        return 0.5
    return len(sa & sb) / max(1, len(sa | sb))


def selector_changes(name: str, a: dict[str, Any], b: dict[str, Any]) -> list[Change]:
    """The courses a selector matches now and no longer (facets with ``courses``)."""
    out: list[Change] = []
    gained = sorted(set(b["courses"]) - set(a["courses"]))
    lost = sorted(set(a["courses"]) - set(b["courses"]))
    if gained:
        out.append(("selector", None, gained, f"{name}: now also matches {', '.join(gained)}"))
    if lost:
        out.append(("selector", lost, None, f"{name}: no longer matches {', '.join(lost)}"))
    return out


def credit_value_changes(name: str, a: dict[str, Any], b: dict[str, Any]) -> list[Change]:
    """The courses that count for other credits (facets with ``credit_values``)."""
    va, vb = a["credit_values"], b["credit_values"]
    return [
        ("credit_values", va[c], vb[c], f"{name}: {c} counts {va[c]:g} → {vb[c]:g} credits")
        for c in sorted(set(va) & set(vb))
        if va[c] != vb[c]
    ]


def validity(cred: Any) -> tuple[int, int] | None:
    """A credential's ``valid_for`` as (years, months), for fingerprints (None: no credential, or no expiry)."""
    if cred is None or cred.valid_for is None:
        return None
    return (cred.valid_for.years, cred.valid_for.months)


class Planning(Protocol):
    """What a kind's words see when the planner explains why no set of courses earns a target
    (``microcred.analysis.plan``): it asks the planning model which parts can be met."""

    #: the learner's awards (of catalogue credentials)
    awards: Sequence[Any]

    @property
    def as_of(self) -> dt.date: ...

    @property
    def scenario(self) -> Scenario: ...

    @property
    def top(self) -> str:
        """The grade a planned course is assumed to receive."""

    def ok(self, nodes: Sequence[CNode], windows: bool = True) -> bool:
        """Whether some set of courses meets all of ``nodes`` at once (completion windows
        ignored unless ``windows``)."""

    def settled(self, node: CNode) -> bool | None:
        """True or False when the learner's record settles ``node`` before any course is
        taken; None when the plan can change it."""

    def name(self, node: CNode) -> str:
        """What a reason calls ``node`` (its label, else its words, with the credential it lies in)."""

    def short(self, node: CNode, depth: int) -> str:
        """What ``node`` asks for, its groups spelled out ``depth`` levels down."""

    def why(self, node: CNode) -> list[str]:
        """Why ``node`` cannot be met."""

    def conflict(self, node: CNode, kids: list[CNode], need: int) -> str:
        """Why ``need`` of ``kids``, each of which can be met, cannot be met together."""

    def window(self, node: CNode) -> str:
        """Why what counts toward ``node`` cannot be completed within its completion window."""

    def items(self, node: CNode) -> list[Item]:
        """What may count toward a leaf, from the record and the courses the plan may add."""

    def gpa_reach(self, node: CNode) -> Any:
        """The best GPA a plan can bring a GPA floor to (None: no grades count toward it)."""


@dataclass
class Checking:
    """What a kind's static checks see (``microcred.rules.checks``)."""

    catalog: Catalog
    index: CourseIndex
    #: the location of a path inside a credential's rule (for a diagnostic)
    locate: Callable[[str, RulePath], Any]
    #: the top of the grade scale
    top: float


class RuleKind(Protocol):
    """One kind of rule node: every hook the engine, the checks and the reports ask of it.

    Each module of this package defines one class implementing it; the registry
    (:data:`microcred.rules.kinds.KINDS`) maps the node key to an instance."""

    @property
    def key(self) -> str:
        """The node key (``course``, ``all``, ...)."""

    @property
    def model(self) -> type[RuleBase]:
        """The model that reads the node (a :class:`~microcred.rules.nodes.RuleBase`)."""

    @property
    def consuming(self) -> bool:
        """A leaf that counts attempts (each counts toward one such leaf, unless shared)."""

    @property
    def by_credits(self) -> bool:
        """A consuming leaf measured in credits, not in attempts."""

    @property
    def monotone(self) -> bool:
        """Its value can only rise as attempts are added (a GPA floor can fall)."""

    @property
    def settles(self) -> bool:
        """Its value may be settled by the scenario before any assignment (see :meth:`constant`)."""

    @property
    def partial(self) -> bool:
        """Reports show its progress when it is not met ("2 of 3")."""

    @property
    def alternatives(self) -> bool:
        """It can be met with children left unmet (reports mark those "not needed")."""

    def compile(self, rule: Any, node: CNode, ctx: Compiling) -> None:
        """Fill in ``node`` (kind, modifiers and path are set) from the model ``rule``."""

    def relevant(self, node: CNode) -> frozenset[str] | None:
        """The courses whose attempts can change the node's own value (None: every course)."""

    def keys(self, node: CNode) -> Iterable[str]:
        """For a consuming leaf, the keys of the items that may count toward it (course ids,
        ``credential:<id>`` for awards admitted)."""

    def role(self, node: CNode) -> Role:
        """How the solver works out the node's progress."""

    def constant(self, node: CNode, sc: Scenario) -> float | None:
        """The node's value when the scenario settles it before any assignment, else None."""

    def cpsat(self, enc: CpsatEncoding, node: CNode) -> tuple[Any, int] | None:
        """The node's progress in a CP-SAT model (see :class:`CpsatEncoding`)."""

    def holds(self, enc: CpsatEncoding, node: CNode) -> Any:
        """That the node is met, in a CP-SAT model: True, False or a 0/1 variable that
        implies it (see :meth:`CpsatEncoding.holds`)."""

    def boolean(self, rule: Any) -> Shape:
        """The model node read as a boolean formula: its shape in the skeleton the static checks and
        ``diff`` share (``microcred.rules.skeleton``)."""

    def gate(self, node: CNode) -> Gate | None:
        """The compiled node as a boolean gate over its children (None: not a gate), for
        :meth:`holds` (``RuleModel.gate_holds`` encodes it)."""

    def describe(self, node: CNode) -> str:
        """What the node asks for, in a few words (when it has no label)."""

    def explain(self, walk: Explaining, node: CNode, prefix: str) -> None:
        """What is missing for an unmet node the assignment decides."""

    def explain_settled(self, walk: Explaining, node: CNode, prefix: str) -> None:
        """What is missing for an unmet node the scenario settled (see :meth:`constant`)."""

    def leaf_text(self, walk: Explaining, node: CNode) -> str:
        """What a consuming leaf still needs, in a sentence."""

    def heading(self, description: str) -> Heading | None:
        """What the reports show for a requirement of this kind described as ``description``
        (``RequirementResult.description``); None: the description itself."""

    def trim(self, node: CNode, items: list[Item]) -> list[Item]:
        """Of the items counted toward a consuming leaf (in date order), those it needs."""

    def check(self, ctx: Checking, cid: str, path: RulePath, rule: Any) -> Iterator[Diagnostic]:
        """Demands of the node no catalogue could meet (E4xx, W6xx)."""

    def plan_words(self, why: Planning, node: CNode, depth: int) -> str:
        """What an unlabelled node asks for, in the planner's reasons (see :meth:`Planning.short`)."""

    def plan_unmet(self, why: Planning, node: CNode) -> list[str]:
        """Why no set of courses meets ``node`` (nothing when one does)."""

    def plan_settled(self, why: Planning, node: CNode) -> list[str]:
        """Why ``node``, which the learner's record settles as unmet, cannot be met."""

    @property
    def diff_rank(self) -> int:
        """Where ``diff`` lists the changes of this kind's nodes among the kinds'."""

    def diff_atom(self, rd: Reading, rule: Any, at: Place) -> Any:
        """A node that is neither a gate nor a course occurrence (see :meth:`boolean`) read
        into ``diff``'s skeleton: its atom (:meth:`Reading.atom`) or ``any`` of the nodes it
        stands for (:meth:`Reading.any_of`), with its facet."""

    def diff_implies(self, a: Any, b: Any) -> bool:
        """Whether meeting atom ``a`` of this kind always meets atom ``b`` of this kind (the
        fields of :meth:`Reading.atom`)."""

    def diff_similar(self, a: dict[str, Any], b: dict[str, Any]) -> float:
        """How alike two facets of this kind are (their ``data``), 0 to 1, for pairing them."""

    def diff_changes(self, name: str, a: dict[str, Any], b: dict[str, Any], named: bool) -> list[Change]:
        """The changes between two paired facets of this kind (``named``: the new node has an
        id or a label)."""

    def fingerprint(self, catalog: Catalog, node: CNode) -> Any:
        """What the compiled node contributes to evaluation beyond its kind, numbers, courses
        and modifiers (hashable; ``diff`` compares it to find what can differ)."""

    def ctdl_words(self, ex: Exporting, rule: Any, grade: str | None) -> str:
        """The model node in the plain words of a CTDL condition, without its modifiers
        (``grade``: the ``min_grade`` in force)."""

    def ctdl_targets(self, ex: Exporting, rule: Any) -> tuple[list[str], list[str]] | None:
        """(courses, credentials) all of which meet the node, when it is such a conjunction."""

    def ctdl_profile(self, ex: Exporting, rule: Any, grade: str | None, p: dict[str, Any]) -> None:
        """Fill in the condition profile ``p`` of a node that has no targets (see
        :meth:`ctdl_targets`)."""


def unique(texts: Iterable[str]) -> list[str]:
    """``texts`` without repeats, in their order."""
    return list(dict.fromkeys(texts))


class Kind:
    """Defaults for the hooks of :class:`RuleKind`: a node with no children that counts nothing
    and whose value the scenario does not settle. Each kind overrides what it is about."""

    key: ClassVar[str]
    model: ClassVar[type[RuleBase]]
    diff_rank: ClassVar[int] = 100
    consuming: ClassVar[bool] = False
    by_credits: ClassVar[bool] = False
    monotone: ClassVar[bool] = True
    settles: ClassVar[bool] = False
    partial: ClassVar[bool] = False
    alternatives: ClassVar[bool] = False

    def relevant(self, node: CNode) -> frozenset[str] | None:
        return frozenset()

    def keys(self, node: CNode) -> Iterable[str]:
        return ()

    def constant(self, node: CNode, sc: Scenario) -> float | None:
        return None

    def explain_settled(self, walk: Explaining, node: CNode, prefix: str) -> None:
        return None

    def gate(self, node: CNode) -> Gate | None:
        return None

    def heading(self, description: str) -> Heading | None:
        return None

    def leaf_text(self, walk: Explaining, node: CNode) -> str:
        """What a consuming leaf still needs (see :meth:`Explaining.leaf_text`)."""
        return node.describe()

    def trim(self, node: CNode, items: list[Item]) -> list[Item]:
        return items[: int(node.need)]

    def check(self, ctx: Checking, cid: str, path: RulePath, rule: Any) -> Iterator[Diagnostic]:
        return iter(())

    def ctdl_targets(self, ex: Exporting, rule: Any) -> tuple[list[str], list[str]] | None:
        return None

    def plan_words(self, why: Planning, node: CNode, depth: int) -> str:
        return node.describe()

    def diff_atom(self, rd: Reading, rule: Any, at: Place) -> Any:
        raise TypeError(f"unknown rule node {type(rule).__name__}")

    def diff_implies(self, a: Any, b: Any) -> bool:
        return False

    def diff_similar(self, a: dict[str, Any], b: dict[str, Any]) -> float:
        return 0.0

    def diff_changes(self, name: str, a: dict[str, Any], b: dict[str, Any], named: bool) -> list[Change]:
        return []

    def fingerprint(self, catalog: Catalog, node: CNode) -> Any:
        return None

    def plan_unmet(self, why: Planning, node: CNode) -> list[str]:
        return [] if why.ok([node]) else [f"{why.name(node)} cannot be met"]

    def plan_settled(self, why: Planning, node: CNode) -> list[str]:
        return [f"{why.name(node)} cannot be met"]

    def ctdl_profile(self, ex: Exporting, rule: Any, grade: str | None, p: dict[str, Any]) -> None:
        return None


class Leaf(Kind):
    """A consuming leaf: what it receives is assigned by the solver."""

    consuming = True

    def plan_unmet(self, why: Planning, node: CNode) -> list[str]:
        if why.ok([node]):
            return []
        if why.ok([node], windows=False):
            return [why.window(node)]
        return [self.plan_supply(why, node)]

    def diff_implies(self, a: Any, b: Any) -> bool:
        # a counting leaf: as much, of no more courses, each weighing no more, under no looser limits
        if not (a.need >= b.need and level_ge(a.level, b.level) and window_le(a.window, b.window)):
            return False
        if any(c not in b.courses or b.courses[c] < w for c, w in a.courses.items()):
            return False
        return all(c in b.admits and b.admits[c] >= w for c, w in a.admits.items())

    def plan_supply(self, why: Planning, node: CNode) -> str:
        """Why too little can count toward the leaf, in the planner's reasons."""
        grade = f" with {node.min_grade} or better" if node.min_grade else ""
        return f"{why.name(node)}: too little can count here{grade}"

    def role(self, node: CNode) -> Role:
        return "leaf"

    def relevant(self, node: CNode) -> frozenset[str] | None:
        return node.eligible

    def keys(self, node: CNode) -> Iterable[str]:
        return [*node.eligible, *("credential:" + c for c in node.admits)]

    def cpsat(self, enc: CpsatEncoding, node: CNode) -> tuple[Any, int] | None:
        return enc.leaf(node)

    def holds(self, enc: CpsatEncoding, node: CNode) -> Any:
        return enc.leaf_holds(node)

    def boolean(self, rule: Any) -> Shape:
        return Atom()

    def explain(self, walk: Explaining, node: CNode, prefix: str) -> None:
        walk.say(prefix, walk.leaf_text(node))


class Composite(Kind):
    """A node whose progress combines its children's (by default: ``need`` of them)."""

    partial = True

    def compile(self, rule: Any, node: CNode, ctx: Compiling) -> None:
        node.children = ctx.children(rule)

    def holds(self, enc: CpsatEncoding, node: CNode) -> Any:
        gate = self.gate(node)
        return False if gate is None else enc.gate_holds(node, gate)

    def plan_words(self, why: Planning, node: CNode, depth: int) -> str:
        return group_words(why, node, depth, f"{int(node.need)} of")

    def plan_unmet(self, why: Planning, node: CNode) -> list[str]:
        if why.ok([node]):
            return []
        kids, bad = open_children(why, node)
        need = int(node.need) - (len(node.children) - len(kids))
        good = [c for c in kids if c not in bad]
        if len(good) < need:
            reasons = [r for c in bad for r in why.why(c)]
            return [
                f"{why.name(node)} needs {int(node.need)} of its {len(node.children)} options, and only "
                f"{len(node.children) - len(bad)} can be met: " + "; ".join(reasons)
            ]
        return [why.conflict(node, good, need)]


def group_words(why: Planning, node: CNode, depth: int, head: str) -> str:
    """A group in the planner's reasons: ``head`` and its first three children."""
    if depth <= 0:
        return node.node_id or f"requirement {node.ref}"
    kids = [why.short(c, depth - 1) for c in node.children[:3]]
    more = ", …" if len(node.children) > 3 else ""
    text = f"{head} ({'; '.join(kids)}{more})"
    return f"{node.node_id} [{text}]" if node.node_id else text


def open_children(why: Planning, node: CNode) -> tuple[list[CNode], list[CNode]]:
    """The children the record does not settle as met, and those of them no plan can meet."""
    kids = [c for c in node.children if why.settled(c) is not True]
    bad = [c for c in kids if why.settled(c) is False or not why.ok([c])]
    return kids, bad
