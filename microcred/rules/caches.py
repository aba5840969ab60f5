"""The engine's working caches, owned by the compiled catalogue and left behind when it is pickled.

Every compiled credential holds one :class:`CredentialCache`, made when it is compiled: the
solver's flattened rule, its leaves by course key, its settled forms, and the evaluation's
reused and blank results. They are keyed by the identities of the credential's nodes and
belong to the process that filled them. A compiled catalogue is pickled to the on-disk cache
and to batch workers; :meth:`Cache.__reduce__` is the one place that leaves the caches behind,
so a loaded copy starts with empty ones and fills its own.

Threads may share a compiled catalogue (``tests/test_threads.py``): a cache is filled by single
assignments and dictionary stores, each atomic, so a thread sees either nothing (and computes
the same value itself) or a finished value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from microcred.model.result import CredentialResult
    from microcred.rules.compiled import CNode
    from microcred.rules.evaluate import _Reuse
    from microcred.rules.scenario import Scenario
    from microcred.rules.solver import _Flat


class Cache:
    """A store of values worked out from the compiled catalogue, for this process only."""

    __slots__ = ()

    def __reduce__(self) -> tuple[type[Cache], tuple[()]]:
        # pickled (and copied), a cache becomes an empty one of its kind: what it holds is
        # keyed by the identities of this process's objects
        return (type(self), ())


class CredentialCache(Cache):
    """One compiled credential's caches (``CompiledCredential.cache``).

    ``flat``: the solver's flattened rule (``solver._Flat``). ``by_key``: each course key ->
    the leaves it may count toward (:func:`microcred.rules.settling.leaves_by_key`).
    ``specials``: the nodes a scenario may settle, with their kind's ``constant``.
    ``settled``: the settled forms of the rule, by combination of settled values and waivers
    (``solver._settled``). ``searches``: the answers of the solver's branch and bound, by
    problem (``solver._branch_and_bound``). ``reuse``: results reused across learners (``evaluate._Reuse``).
    ``blank``: the result of a learner whose record touches nothing of the credential."""

    __slots__ = ("blank", "by_key", "flat", "reuse", "searches", "settled", "specials")

    def __init__(self) -> None:
        self.flat: _Flat | None = None
        self.by_key: dict[str, list[CNode]] | None = None
        self.specials: list[tuple[CNode, Callable[[CNode, Scenario], float | None]]] | None = None
        self.settled: dict[Any, Any] = {}
        self.searches: dict[tuple[object, ...], list[int]] = {}
        self.reuse: _Reuse | None = None
        self.blank: CredentialResult | None = None
