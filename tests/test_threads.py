"""One compiled catalogue shared by threads (as Dask's threaded scheduler does) gives the same
results as serial evaluation: the engine's caches on the compiled catalogue are safe to share.
"""

from __future__ import annotations

import datetime as dt
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from microcred.checks.validate import load_catalog
from microcred.rules import evaluate as evaluation
from microcred.rules.evaluate import compile_catalog, evaluate
from microcred.run.generate import generate_population

ROOT = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2026, 11, 29)


def test_threads_sharing_a_fresh_compiled_catalogue_agree_with_serial_evaluation() -> None:
    population = list(generate_population(ROOT / "catalog/example-university", 60, seed=11, as_of=AS_OF))
    serial_cc = compile_catalog(load_catalog(ROOT / "catalog/example-university"))
    want = [evaluate(serial_cc, t, AS_OF).to_json() for t in population]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, to expose races
    try:
        for _round in range(3):
            shared = compile_catalog(load_catalog(ROOT / "catalog/example-university"))  # caches empty
            with ThreadPoolExecutor(max_workers=8) as pool:
                got = list(pool.map(lambda t, cc=shared: evaluate(cc, t, AS_OF).to_json(), population))
            assert got == want
    finally:
        sys.setswitchinterval(interval)


def test_threads_sharing_reused_results_agree_with_serial_evaluation(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batch evaluation (``detail=False``) with results reused across learners: threads share
    the tables of reused results, which are emptied when full (a small bound here, so that they
    are emptied again and again while other threads read them)."""
    monkeypatch.setattr(evaluation, "REUSE_PER_CREDENTIAL", 16)
    monkeypatch.setattr(evaluation, "REUSE_TRIAL", 40)
    population = list(generate_population(ROOT / "catalog/example-university", 120, seed=12, as_of=AS_OF))
    population += population[:40]  # learners seen again: their results are found
    serial_cc = compile_catalog(load_catalog(ROOT / "catalog/example-university"))
    want = [evaluate(serial_cc, t, AS_OF, detail=False).to_json() for t in population]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for _round in range(2):
            shared = compile_catalog(load_catalog(ROOT / "catalog/example-university"))
            with ThreadPoolExecutor(max_workers=8) as pool:
                got = list(
                    pool.map(
                        lambda t, cc=shared: evaluate(cc, t, AS_OF, detail=False, reuse=True).to_json(), population
                    )
                )
            assert got == want
            assert sum(len(c.cache.reuse) for c in shared.credentials.values() if c.cache.reuse is not None) > 0
    finally:
        sys.setswitchinterval(interval)
