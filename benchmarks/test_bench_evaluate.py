"""Evaluation benchmarks: one realistic learner against the whole example catalogue, and the
pathological credential for a learner who meets it and one a course short.

Run with ``pytest benchmarks --benchmark-enable``; figures go to docs/performance.md. In the
normal test run (benchmarks disabled) each runs once, checking its result.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from microcred import load_catalog
from microcred.io.transcript import TranscriptSource, read_transcripts
from microcred.rules.compiled import CompiledCatalog
from microcred.rules.evaluate import compile_catalog, evaluate

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).parent))

import pathological  # noqa: E402


@pytest.fixture(scope="module")
def example() -> CompiledCatalog:
    return compile_catalog(load_catalog(ROOT / "catalog/example-university"))


def _one(path: str) -> TranscriptSource:
    (src,) = [s for s in read_transcripts(ROOT / path) if isinstance(s, TranscriptSource)]
    return src


def test_realistic_transcript(benchmark: pytest.FixtureRequest, example: CompiledCatalog) -> None:
    src = _one("examples/example-university/transcripts/earned-certificate.yaml")
    result = benchmark(evaluate, example, src)  # type: ignore[operator]
    assert result.credentials["data-analytics-certificate"].status == "earned"


def test_csv_population(benchmark: pytest.FixtureRequest, example: CompiledCatalog) -> None:
    learners = [
        s
        for s in read_transcripts(ROOT / "examples/example-university/learners.csv")
        if isinstance(s, TranscriptSource)
    ]

    def run() -> int:
        return sum(len(evaluate(example, s).earned()) for s in learners)

    earned = benchmark(run)  # type: ignore[operator]
    assert earned > 0


@pytest.fixture(scope="module")
def hard(tmp_path_factory: pytest.TempPathFactory) -> CompiledCatalog:
    catalog = pathological.catalogue(str(tmp_path_factory.mktemp("hard")))
    compiled = compile_catalog(catalog)
    # warm up: the first CP-SAT call imports OR-Tools
    evaluate(compiled, pathological.learners()[1])
    return compiled


def test_pathological_meets(benchmark: pytest.FixtureRequest, hard: CompiledCatalog) -> None:
    meets, _short = pathological.learners()
    result = benchmark(evaluate, hard, meets)  # type: ignore[operator]
    r = result.credentials["hard"]
    assert r.status == "earned" and r.progress == 1.0


def test_pathological_one_short(benchmark: pytest.FixtureRequest, hard: CompiledCatalog) -> None:
    _meets, short = pathological.learners()
    result = benchmark(evaluate, hard, short)  # type: ignore[operator]
    r = result.credentials["hard"]
    # 14 courses for 15 needed: five pools full, one half, and the 9 credits: (5.5/6 + 1) / 2
    assert r.status == "partial"
    assert r.progress == pytest.approx((5.5 / 6 + 1) / 2, abs=1e-12)
