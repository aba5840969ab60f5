"""What a command loads, and the cache of compiled catalogues behind `microcred evaluate`.

A command imports only what it needs: `--version` none of the engine, `evaluate` with a
cached catalogue neither validation (sympy, networkx) nor CP-SAT, badges or progress bars. A
cached catalogue never changes a result: a warm run prints byte for byte what a cold one does,
and a damaged, foreign or unreadable entry is ignored.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import microcred
from microcred.cli import main
from microcred.run.cache import MAGIC, default_cache_dir

ROOT = Path(__file__).resolve().parent.parent
CATALOG = str(ROOT / "catalog/example-university")
LEARNER = str(ROOT / "examples/example-university/transcripts/earned-certificate.yaml")
EVALUATE = ["evaluate", "--catalog", CATALOG, LEARNER]

#: Runs the command line's main() in a fresh interpreter, then writes its exit code and every
#: module it imported to the file named by the first argument.
PROBE = """
import json, sys
from microcred.cli import main
code = main(sys.argv[2:])
with open(sys.argv[1], "w") as fh:
    json.dump({"code": code, "modules": sorted(sys.modules)}, fh)
"""

HEAVY = {"sympy", "networkx", "ortools", "rich", "cryptography", "pyld", "dask"}


def probe(tmp_path: Path, cache: Path, *argv: str) -> tuple[int, set[str]]:
    report = tmp_path / "modules.json"
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, str(report), *argv], env=env, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(report.read_text())
    return doc["code"], set(doc["modules"])


def tops(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def entries(cache: Path) -> list[Path]:
    return sorted(cache.glob("catalog-*.pickle"))


def whole(entry: Path) -> bool:
    """Whether ``entry`` is a cache entry that loads, under its own name."""
    from microcred.run.cache import _load

    return _load(entry, entry.name.removeprefix("catalog-").removesuffix(".pickle")) is not None


def test_version_imports_none_of_the_engine(tmp_path: Path) -> None:
    code, modules = probe(tmp_path, tmp_path / "xdg", "--version")
    assert code == 0
    assert not tops(modules) & (HEAVY | {"pydantic", "yaml"})
    assert not {"microcred.model.catalog", "microcred.rules.evaluate", "microcred.checks.validate"} & modules


def test_warm_evaluate_imports_neither_validation_nor_the_graph(tmp_path: Path) -> None:
    cache = tmp_path / "xdg"
    code, cold = probe(tmp_path, cache, *EVALUATE)
    assert code == 0
    assert "microcred.checks.validate" in cold  # the first run reads, validates and compiles
    code, warm = probe(tmp_path, cache, *EVALUATE)
    assert code == 0
    assert not tops(warm) & HEAVY, sorted(tops(warm) & HEAVY)
    assert (
        not {"microcred.checks.validate", "microcred.rules.checks", "microcred.rules.logic", "microcred.analysis.diff"}
        & warm
    )


def test_validate_imports_no_badge_or_progress_libraries(tmp_path: Path) -> None:
    code, modules = probe(tmp_path, tmp_path / "xdg", "validate", CATALOG)
    assert code == 0
    assert not tops(modules) & {"rich", "cryptography", "pyld", "dask", "ortools"}


def test_the_public_names_still_import() -> None:
    for name in microcred.__all__:
        assert getattr(microcred, name) is not None
    from microcred import MicrocredError, ValidationReport, validate_paths
    from microcred.model import graph

    assert graph.build_graph is microcred.build_graph
    assert isinstance(validate_paths(CATALOG), ValidationReport)
    assert issubclass(MicrocredError, Exception)
    with pytest.raises(AttributeError):
        _ = microcred.no_such_name  # type: ignore[attr-defined]


@pytest.mark.parametrize("fmt", ["json", "text", "html"])
def test_warm_evaluate_prints_what_a_cold_one_does(tmp_path: Path, fmt: str) -> None:
    cache = tmp_path / "cache"
    opts = ["--format", fmt, "--as-of", "2026-05-20"]
    cold = run(*EVALUATE, *opts, "--no-cache")
    assert cold[0] == 0, cold[2]
    first = run(*EVALUATE, *opts, "--cache-dir", str(cache))
    assert len(entries(cache)) == 1
    warm = run(*EVALUATE, *opts, "--cache-dir", str(cache))
    assert cold == first == warm


def test_a_hit_is_not_rewritten_and_no_cache_writes_nothing(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    run(*EVALUATE, "--no-cache", "--cache-dir", str(cache))
    assert not cache.exists()
    run(*EVALUATE, "--cache-dir", str(cache))
    (entry,) = entries(cache)
    written = entry.stat().st_mtime_ns
    run(*EVALUATE, "--cache-dir", str(cache))
    assert entry.stat().st_mtime_ns == written  # a hit is read, not rewritten


def test_the_default_cache_follows_xdg_cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / "microcred"
    code, _out, err = run(*EVALUATE, "--format", "json")
    assert code == 0, err
    assert len(entries(tmp_path / "microcred")) == 1


def damage_truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def damage_edited(data: bytes) -> bytes:
    """One letter of a credential's title changed: the pickle still loads, with another title."""
    assert data.count(b"Data Foundations") >= 1
    return data.replace(b"Data Foundations", b"Data Foundationz")


def damage_garbage(data: bytes) -> bytes:
    return b"\x80\x05 not a pickle at all" * 10


def damage_empty(data: bytes) -> bytes:
    return b""


def damage_plain_pickle(data: bytes) -> bytes:
    """A pickle of something else, without the header (as an older microcred wrote)."""
    import pickle

    return pickle.dumps({"credentials": {}})


@pytest.mark.parametrize("damage", [damage_truncated, damage_edited, damage_garbage, damage_empty, damage_plain_pickle])
def test_a_damaged_entry_is_ignored_and_rebuilt(tmp_path: Path, damage: object) -> None:
    cache = tmp_path / "cache"
    opts = ["--format", "json", "--as-of", "2026-05-20", "--cache-dir", str(cache)]
    expected = run(*EVALUATE, *opts)
    (entry,) = entries(cache)
    good = entry.read_bytes()
    assert callable(damage) and whole(entry)
    damaged = damage(good)
    entry.write_bytes(damaged)
    assert not whole(entry)
    assert run(*EVALUATE, *opts) == expected
    assert entry.read_bytes() != damaged and whole(entry)  # compiled afresh and written again


def test_another_catalogues_entry_is_not_used(tmp_path: Path) -> None:
    """An entry renamed to another catalogue's key (its header names its own) is ignored: that
    catalogue is compiled afresh and its own entry written."""
    import shutil

    from microcred.io.loader import catalogue_files

    copy = tmp_path / "copy"
    shutil.copytree(CATALOG, copy)
    first = catalogue_files(copy)[0][0]  # a file of the catalogue (not its hidden programmes file)
    first.write_text(first.read_text(encoding="utf-8") + "# a comment: another digest\n", encoding="utf-8")
    cache = tmp_path / "cache"
    opts = ["--format", "json", "--as-of", "2026-05-20", "--cache-dir", str(cache)]
    run(*EVALUATE, *opts)
    (theirs,) = entries(cache)
    expected = run("evaluate", "--catalog", str(copy), LEARNER, *opts)
    (ours,) = set(entries(cache)) - {theirs}
    assert ours.read_bytes().startswith(MAGIC + ours.name.removeprefix("catalog-").removesuffix(".pickle").encode())
    ours.write_bytes(theirs.read_bytes())
    assert not whole(ours)
    assert run("evaluate", "--catalog", str(copy), LEARNER, *opts) == expected
    assert ours.read_bytes() != theirs.read_bytes() and whole(ours)


def test_an_invalid_catalogue_is_never_cached(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("courses:\n  - {id: CSCI 1410, title: x, credits: -3}\ncredentials: []\n", encoding="utf-8")
    cache = tmp_path / "cache"
    first = run("evaluate", "--catalog", str(bad), LEARNER, "--cache-dir", str(cache))
    assert first[0] == 1 and "is invalid" in first[2]
    assert not entries(cache)
    assert run("evaluate", "--catalog", str(bad), LEARNER, "--cache-dir", str(cache)) == first


def test_an_unwritable_cache_costs_only_time(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory")
    expected = run(*EVALUATE, "--format", "json", "--no-cache")
    assert run(*EVALUATE, "--format", "json", "--cache-dir", str(blocked / "cache")) == expected


def test_concurrent_runs_share_one_whole_entry(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cmd = [sys.executable, "-m", "microcred", *EVALUATE, "--format", "json", "--cache-dir", str(cache)]

    def one(_i: int) -> subprocess.CompletedProcess[str]:
        return subprocess.run(cmd, capture_output=True, text=True, check=False)

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(one, range(4)))
    assert all(r.returncode == 0 for r in results), [r.stderr for r in results]
    assert len({r.stdout for r in results}) == 1
    assert len(entries(cache)) == 1
    assert not [p for p in cache.iterdir() if p.name.startswith(".tmp-")]  # no temporary file left
    assert whole(entries(cache)[0])


CORE_LINES = [
    ["--version"],
    ["evaluate", "--help"],
    ["validate", "--help"],
    ["batch", "--help"],
    ["schema", "--help"],
    ["evaluate", "--catalog"],
    ["evaluate", "--format", "yaml", "--catalog", CATALOG, LEARNER],
    ["evaluate", "--catalog", CATALOG, LEARNER, "--no-such-option"],
    ["evaluate", "--as-of", "2026-13-01", "--catalog", CATALOG, LEARNER],
    ["validate"],
    ["batch", "--catalog", CATALOG],
    ["evaluate", "--learner", "S1", "--catalog", CATALOG, LEARNER],  # an option of another command
]


@pytest.mark.parametrize("argv", CORE_LINES, ids=" ".join)
def test_a_core_command_line_parses_as_with_every_command(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """Parsing a command line of validate, evaluate, batch or schema (or --version) without the
    other commands' modules prints, and decides, exactly what the whole parser does."""
    from microcred.cli import build_parser, parse_args

    seen = []
    for parse in (build_parser().parse_args, parse_args):
        try:
            args = vars(parse(argv))
            exit_code = None
        except SystemExit as exc:
            args, exit_code = {}, exc.code
        captured = capsys.readouterr()
        seen.append((args, exit_code, captured.out, captured.err))
    assert seen[0] == seen[1]


def test_core_commands_do_not_import_the_other_commands(tmp_path: Path) -> None:
    others = {
        "microcred.cli.generate",
        "microcred.cli.badges",
        "microcred.cli.plan",
        "microcred.cli.diff",
    }
    for argv in (["--version"], ["schema"], EVALUATE):
        code, modules = probe(tmp_path, tmp_path / "xdg", *argv)
        assert code == 0
        assert not others & modules, argv
    code, modules = probe(tmp_path, tmp_path / "xdg", "--help")
    assert code == 0 and others <= modules  # the whole list of commands
