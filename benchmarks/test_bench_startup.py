"""Benchmarks: the whole process an advisor waits for, `microcred --version` and
`microcred evaluate` of one learner against the example catalogue, warm (the compiled
catalogue cached, Python's bytecode cached), each run a new process.

To time another installation side by side (an earlier release, say), name its ``microcred``
command in ``MICROCRED_BASELINE``::

    MICROCRED_BASELINE=/path/to/other/venv/bin/microcred pytest benchmarks/test_bench_startup.py --benchmark-enable

In the normal test run (``--benchmark-disable``) each benchmark runs once, as a test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "catalog/example-university"
LEARNER = ROOT / "examples/example-university/transcripts/earned-certificate.yaml"

COMMANDS = {
    "version": ["--version"],
    "evaluate-one-learner": ["evaluate", "--catalog", str(CATALOG), str(LEARNER)],
}


def this_microcred() -> list[str]:
    script = Path(sys.executable).with_name("microcred")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "microcred"]


def installations() -> dict[str, list[str]]:
    found = {"this": this_microcred()}
    baseline = os.environ.get("MICROCRED_BASELINE")
    if baseline:
        found["baseline"] = [shutil.which(baseline) or baseline]
    return found


@pytest.fixture(scope="module")
def warm_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """An environment with its own compiled-catalogue cache and bytecode cache, both kept
    between runs (as on an advisor's machine)."""
    root = tmp_path_factory.mktemp("startup")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["XDG_CACHE_HOME"] = str(root / "cache")
    env["PYTHONPYCACHEPREFIX"] = str(root / "pycache")
    return env


@pytest.mark.parametrize("who", list(installations()))
@pytest.mark.parametrize("command", list(COMMANDS))
def test_bench_startup(benchmark, warm_env: dict[str, str], who: str, command: str) -> None:  # type: ignore[no-untyped-def]
    """One whole `microcred` process, from its start to its exit."""
    argv = installations()[who] + COMMANDS[command]

    def once() -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(argv, env=warm_env, capture_output=True, check=False)

    first = once()  # fills the caches: what follows is warm
    assert first.returncode == 0, first.stderr.decode()
    benchmark.extra_info.update(command=" ".join(COMMANDS[command]), installation=" ".join(argv[:1]))
    done = benchmark.pedantic(once, rounds=10, iterations=1, warmup_rounds=1)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout == first.stdout
