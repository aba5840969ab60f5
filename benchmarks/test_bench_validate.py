"""Benchmarks: validating a generated catalogue, at two sizes to show linear growth.

In the normal test run (``--benchmark-disable``) each benchmark runs once, as a test. For
figures::

    pytest benchmarks --benchmark-enable
"""

from __future__ import annotations

from pathlib import Path

import pytest
from catalog_gen import write

from microcred.checks.validate import ValidationReport, validate_paths

SIZES = {
    "small": (1_250, 250),
    "large": (5_000, 1_000),
}


@pytest.fixture(scope="module", params=list(SIZES), ids=[f"{c}-courses-{k}-credentials" for c, k in SIZES.values()])
def generated(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, int]:
    n_courses, n_credentials = SIZES[request.param]
    root = write(tmp_path_factory.mktemp(request.param), n_courses, n_credentials)
    return root, n_courses, n_credentials


def test_bench_validate(benchmark, generated: tuple[Path, int, int]) -> None:  # type: ignore[no-untyped-def]
    """Read and validate the whole catalogue: YAML, models, graph, every check."""
    root, n_courses, n_credentials = generated
    benchmark.extra_info.update(courses=n_courses, credentials=n_credentials)
    report: ValidationReport = benchmark.pedantic(validate_paths, args=(root,), rounds=3, iterations=1)
    assert report.valid, report.errors[:5]
    assert report.warnings == []
    assert report.catalog is not None
    assert len(report.catalog.courses) == n_courses
    assert len(report.catalog.credentials) == n_credentials
