"""Planning benchmarks: the cheapest way to the bachelor's degree for bundled learners.

Run with ``pytest benchmarks/test_bench_plan.py --benchmark-enable``; figures go to
docs/plan.md. Target: planning ``bas-information-systems`` (with its three alternatives, each
verified by the evaluator) in at most 1 s. In the normal test run (benchmarks disabled) each
runs once, checking its result.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from microcred import load_catalog
from microcred.analysis.plan import pathways, plan
from microcred.io.transcript import TranscriptSource, read_transcripts
from microcred.rules.compiled import CompiledCatalog
from microcred.rules.evaluate import compile_catalog

ROOT = Path(__file__).resolve().parent.parent
TRANSCRIPTS = ROOT / "examples/example-university/transcripts"
DEGREE = "bas-information-systems"


@pytest.fixture(scope="module")
def example() -> CompiledCatalog:
    compiled = compile_catalog(load_catalog(ROOT / "catalog/example-university"))
    # warm up: the first plan imports OR-Tools
    plan(compiled, _one("partial.yaml"), "software-development", alternatives=0)
    return compiled


def _one(name: str) -> TranscriptSource:
    (src,) = [s for s in read_transcripts(TRANSCRIPTS / name) if isinstance(s, TranscriptSource)]
    return src


@pytest.mark.parametrize("learner", ["earned-certificate.yaml", "in-progress.yaml"])
def test_plan_the_bachelor_degree(benchmark: pytest.FixtureRequest, example: CompiledCatalog, learner: str) -> None:
    src = _one(learner)
    result = benchmark(plan, example, src, DEGREE)  # type: ignore[operator]
    assert result.status == "partial"
    assert len(result.alternatives) == 3
    assert result.best.credits > 0


def test_plan_the_bachelor_degree_cheapest_only(benchmark: pytest.FixtureRequest, example: CompiledCatalog) -> None:
    src = _one("earned-certificate.yaml")
    result = benchmark(plan, example, src, DEGREE, alternatives=0)  # type: ignore[operator]
    assert result.best.credits == 91 and result.alternatives == []


def test_pathways_with_a_transcript(benchmark: pytest.FixtureRequest, example: CompiledCatalog) -> None:
    src = _one("repeats-and-transfer.yaml")
    paths = benchmark(pathways, example, "data-literacy", src)  # type: ignore[operator]
    assert any(p.ids[-1] == DEGREE for p in paths)
