"""Scaling with the size of the catalogue: the cost per learner on catalogues of 10, 100 and
1,000 credentials written by ``catalog_gen.py``, for learners generated for each catalogue.

What a learner costs should grow with what the learner's record touches, not with the size of
the catalogue: credentials a record does not touch are found through the index from courses to
credentials and answered from a cached blank result. Figures are in docs/performance.md.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

from microcred.checks.validate import load_catalog
from microcred.rules.evaluate import compile_catalog, evaluate
from microcred.run.generate import generate_population

sys.path.insert(0, str(Path(__file__).parent))

import catalog_gen

AS_OF = dt.date(2026, 11, 29)
LEARNERS = 40


@pytest.mark.parametrize(("courses", "credentials"), [(250, 10), (500, 100), (5000, 1000)])
def test_cost_per_learner_by_catalogue_size(
    benchmark: pytest.FixtureRequest, tmp_path: Path, courses: int, credentials: int
) -> None:
    cc = compile_catalog(load_catalog(catalog_gen.write(tmp_path, courses, credentials)))
    population = list(generate_population(cc, LEARNERS, seed=3, as_of=AS_OF))

    def run() -> int:
        earned = 0
        for t in population:
            result = evaluate(cc, t, AS_OF, detail=False)
            earned += len(result.earned())
            assert len(result.credentials) == credentials
        return earned

    earned = benchmark.pedantic(run, rounds=3, iterations=1)  # type: ignore[attr-defined]
    assert earned > 0  # the generated learners do earn credentials in these catalogues
    benchmark.extra_info["learners"] = LEARNERS  # type: ignore[attr-defined]
