"""The engine's caches belong to the compiled catalogue: each compiled credential owns one
cache object, made at compilation, and nothing is attached to the catalogue, the compiled
credentials or their nodes while learners are evaluated and planned. A pickled copy (the
on-disk cache, a batch worker's catalogue) starts with empty caches and evaluates the same."""

from __future__ import annotations

import dataclasses
import datetime as dt
import pickle
from pathlib import Path
from typing import Any

import pytest

from microcred.analysis.plan import PlanError, plan
from microcred.checks.validate import load_catalog
from microcred.model.catalog import Catalog
from microcred.rules.caches import CredentialCache
from microcred.rules.compiled import CNode, CompiledCatalog, CompiledCredential
from microcred.rules.evaluate import compile_catalog, evaluate
from microcred.run.generate import generate_population

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "catalog/example-university"
AS_OF = dt.date(2026, 11, 29)


@pytest.fixture(scope="module")
def population() -> list[Any]:
    return list(generate_population(CATALOG, 40, seed=3, as_of=AS_OF))


def _empty(cache: CredentialCache) -> bool:
    return (
        cache.flat is None
        and cache.by_key is None
        and cache.specials is None
        and not cache.settled
        and cache.reuse is None
        and cache.blank is None
    )


def _work(cc: CompiledCatalog, population: list[Any]) -> list[Any]:
    """Every way the engine fills its caches: detailed and batch evaluations (results reused
    across learners), and plans."""
    out = [evaluate(cc, t, AS_OF).to_json() for t in population[:10]]
    out += [evaluate(cc, t, AS_OF, detail=False, reuse=True).to_json() for t in population]
    for t in population[:3]:
        for target in ("software-development", "aas-information-technology"):
            try:
                out.append(plan(cc, t, target, AS_OF, alternatives=1).to_json())
            except PlanError as exc:
                out.append(str(exc))
    return out


def test_a_pickled_compiled_catalogue_starts_with_empty_caches_and_evaluates_the_same(population: list[Any]) -> None:
    cc = compile_catalog(load_catalog(CATALOG))
    assert all(_empty(c.cache) for c in cc.credentials.values())  # made empty at compilation
    first = _work(cc, population)
    ruled = [c for c in cc.credentials.values() if c.root is not None]
    assert all(c.cache.flat is not None and c.cache.settled for c in ruled if c.cache.blank is None)
    assert any(c.cache.reuse is not None for c in ruled) and any(c.cache.blank is not None for c in ruled)
    copy = pickle.loads(pickle.dumps(cc))
    assert all(_empty(c.cache) for c in copy.credentials.values())
    assert all(c.cache is not cc.credentials[cid].cache for cid, c in copy.credentials.items())
    assert _work(copy, population) == first
    assert _work(cc, population) == first  # the original, its caches full, still agrees
    assert all(_empty(dataclasses.replace(c).cache) for c in ruled)


def _declared(obj: Any) -> set[str]:
    return {f.name for f in dataclasses.fields(obj)}


def test_nothing_is_attached_to_the_catalogue_its_rules_or_their_nodes(population: list[Any]) -> None:
    catalog = load_catalog(CATALOG)
    cc = compile_catalog(catalog)
    assert compile_catalog(catalog) is cc  # compiled once
    compiled_keys = set(vars(cc))
    _work(cc, population)
    cc.tabulate_stacking()
    assert set(vars(catalog)) <= _declared(Catalog)
    assert set(vars(cc)) == compiled_keys
    nodes = 0
    for comp in cc.credentials.values():
        assert set(vars(comp)) <= _declared(CompiledCredential)
        for node in comp.root.walk() if comp.root is not None else ():
            assert set(vars(node)) <= _declared(CNode), node.ref
            nodes += 1
    assert nodes > 100


def test_competencies_attach_nothing_to_the_catalogue() -> None:
    """A catalogue with competencies: the alignments the results report are worked out once,
    into the catalogue's declared field."""
    from microcred.io.transcript import read_transcripts

    skills = ROOT / "examples/skills"
    catalog = load_catalog(skills / "catalog")
    cc = compile_catalog(catalog)
    (src,) = read_transcripts(skills / "transcripts/ada.yaml")
    first = evaluate(cc, src, AS_OF).to_json()
    assert catalog.alignments is not None
    assert evaluate(cc, src, AS_OF).to_json() == first
    assert set(vars(catalog)) <= _declared(Catalog)
