"""A compiled rule settled in one scenario, and its leaves indexed: shared by the solver and the planner.

Before anything is assigned, a scenario settles some nodes of a rule as constants: a node an
advisor waived (met), and a node whose kind ``settles`` and whose ``constant`` the scenario
gives (a GPA floor, a ``credential:`` the learner holds by award). Nothing below a constant is
assigned. The other nodes are *active*; their consuming leaves are the active leaves, and the
``complete_within`` nodes among them are the windows. The solver settles every node it can
(``solver._settled`` keeps the result per combination of settled values); the planner leaves
the GPA floors open, because the courses it proposes move them (``leave_open``).
"""

from __future__ import annotations

from collections.abc import Callable

from microcred.rules.compiled import CNode, CompiledCredential
from microcred.rules.kinds import KINDS, RuleKind
from microcred.rules.scenario import Scenario


class Settled:
    """A rule settled in one scenario (see :func:`settle`). The solver shares one between the
    solves of a combination of settled values: nobody changes it."""

    __slots__ = ("active", "below", "constants", "leaves", "opened", "windows")

    def __init__(
        self,
        constants: dict[int, float],
        active: dict[int, CNode],
        windows: list[CNode],
        leaves: list[CNode],
        opened: list[CNode],
    ):
        #: id(node) -> the value of each settled node
        self.constants = constants
        #: id(node) -> node, for every node left to the assignment (and every node left open)
        self.active = active
        #: the active ``complete_within`` nodes, in the rule's order
        self.windows = windows
        #: the active consuming leaves, in the rule's order (that of ``CompiledCredential.leaves``)
        self.leaves = leaves
        #: the nodes ``leave_open`` kept out of the settling, in the rule's order
        self.opened = opened
        #: id(window node) -> the leaf indices of the active leaves below it (the solver's, kept
        #: here because they depend on the active set)
        self.below: dict[int, set[int]] = {}


def settle(
    root: CNode,
    sc: Scenario,
    waived: frozenset[int] = frozenset(),
    leave_open: Callable[[RuleKind], bool] | None = None,
) -> Settled:
    """The rule below ``root`` settled in scenario ``sc``, with the nodes whose ``id()`` is in
    ``waived`` met. A node whose kind ``leave_open`` accepts is neither settled nor entered:
    it is active, listed in ``opened``, and its caller decides it (the planner models a GPA
    floor the courses it proposes can move)."""
    constants: dict[int, float] = {}
    active: dict[int, CNode] = {}
    windows: list[CNode] = []
    leaves: list[CNode] = []
    opened: list[CNode] = []

    def visit(node: CNode) -> None:
        nid = id(node)
        if nid in waived:
            constants[nid] = 1.0
            return
        kind = KINDS[node.kind]
        if leave_open is not None and leave_open(kind):
            active[nid] = node
            opened.append(node)
            if node.leaf >= 0:
                leaves.append(node)
            return
        if kind.settles:
            value = kind.constant(node, sc)
            if value is not None:
                constants[nid] = value
                return
        active[nid] = node
        if node.leaf >= 0:
            leaves.append(node)
        if node.window_months is not None:
            windows.append(node)
        for c in node.children:
            visit(c)
        if node.inline is not None:
            visit(node.inline)

    visit(root)
    return Settled(constants, active, windows, leaves, opened)


def leaves_by_key(cc: CompiledCredential) -> dict[str, list[CNode]]:
    """Each course (or ``credential:<id>`` award) -> the leaves of ``cc`` it may count toward,
    in the rule's order (worked out once, kept in the credential's cache)."""
    cache = cc.cache
    found = cache.by_key
    if found is None:
        found = {}
        for leaf in cc.leaves:
            for key in KINDS[leaf.kind].keys(leaf):
                found.setdefault(key, []).append(leaf)
        cache.by_key = found
    return found


def leaves_below(node: CNode, active: dict[int, CNode]) -> list[CNode]:
    """The active leaves below ``node`` (inline credentials included), in the rule's order."""
    return [n for n in node.walk() if n.leaf >= 0 and id(n) in active]
