"""`microcred batch`: equal to one-at-a-time evaluation, streaming, bad records, resume."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from microcred.cli import main
from microcred.io.transcript import TranscriptSource, read_transcripts
from microcred.rules.evaluate import evaluate
from microcred.run.cache import load_compiled
from microcred.run.generate import generate_population, write_csv, write_jsonl

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "catalog/example-university"
AS_OF = dt.date(2026, 6, 1)
CONTRACT = ("status", "earned_on", "expires_on", "progress", "applied", "missing", "stacks_into")


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("pop")
    with (d / "pop.csv").open("w") as fh:
        write_csv(generate_population(CATALOG, 120, seed=3, as_of=AS_OF), fh)
    with (d / "pop.jsonl").open("w") as fh:
        write_jsonl(generate_population(CATALOG, 40, seed=4, as_of=AS_OF, start=1000), fh)
    return d


def _by_learner(path: Path) -> dict[str, dict[str, object]]:
    out = {}
    for line in path.read_text().splitlines():
        doc = json.loads(line)
        out[doc["learner"]["id"]] = doc
    return out


def _contract(doc: dict[str, object]) -> dict[str, object]:
    creds = doc["credentials"]
    assert isinstance(creds, dict)
    return {cid: {k: c[k] for k in CONTRACT} for cid, c in creds.items()}


def test_batch_equals_evaluate_learner_by_learner(population: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    code, _o, err = run(
        "batch",
        "--catalog",
        str(CATALOG),
        str(population / "pop.csv"),
        str(population / "pop.jsonl"),
        "-o",
        str(out),
        "--as-of",
        AS_OF.isoformat(),
        "--cache-dir",
        str(tmp_path / "cache"),
    )
    assert code == 0, err
    got = _by_learner(out)
    assert len(got) == 160
    compiled = load_compiled(CATALOG, tmp_path / "cache")
    for name in ("pop.csv", "pop.jsonl"):
        for src in read_transcripts(population / name):
            assert isinstance(src, TranscriptSource)
            one = evaluate(compiled, src, AS_OF).to_json()
            assert _contract(got[src.transcript.learner.id]) == _contract(one)


def test_parallel_equals_serial(population: Path, tmp_path: Path) -> None:
    outs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"out{jobs}.csv"
        code, _o, err = run(
            "batch",
            "--catalog",
            str(CATALOG),
            str(population / "pop.csv"),
            "-o",
            str(out),
            "--format",
            "csv",
            "--jobs",
            jobs,
            "--as-of",
            AS_OF.isoformat(),
            "--cache-dir",
            str(tmp_path / "c"),
        )
        assert code == 0, err
        lines = out.read_text().splitlines()
        assert lines[0] == "learner_id,credential,status,earned_on,expires_on,progress"
        outs.append(sorted(lines[1:]))
    assert outs[0] == outs[1]
    assert len(outs[0]) == 120 * 22


def test_bad_records_go_to_the_errors_file(tmp_path: Path) -> None:
    good = "A1,CSCI 1410,2024-12-15,A,,\n"
    src = tmp_path / "in"  # the output goes beside the folder read, never into it
    src.mkdir()
    (src / "a.csv").write_text(
        "learner_id,course,date,grade,credits,status\n"
        + good
        + "B2,CSCI 1410,2024-12-15,Q,,\n"  # grade off the scale
        + "C3,CSCI 1410,15/12/2024,A,,\n"  # malformed date, line 4
        + "D4,CSCI 1410,2024-12-15,A,,\n"
    )
    (src / "b.csv").write_text("learner_id,course,grade\nX,CSCI 1410,A\n")  # missing column
    (src / "c.jsonl").write_text(
        json.dumps({"learner": {"id": "J1"}, "attempts": [{"course": "CSCI 1410", "date": "2024-12-15", "grade": "A"}]})
        + "\n"
        + '{"learner": {"id": "J2"}, "attempts": [{"cou'  # truncated
    )
    out = tmp_path / "out.jsonl"
    code, _o, err = run("batch", "--catalog", str(CATALOG), str(src), "-o", str(out), "--no-cache")
    assert code == 1
    assert sorted(_by_learner(out)) == ["A1", "D4", "J1"]
    errors = [json.loads(x) for x in (tmp_path / "out.jsonl.errors.jsonl").read_text().splitlines()]
    where = {(e["learner"], e["code"], Path(e["file"]).name, e["line"]) for e in errors}
    assert ("B2", "E502", "a.csv", 3) in where
    assert ("C3", "E503", "a.csv", 4) in where
    assert (None, "E501", "b.csv", 1) in where
    assert (None, "E501", "c.jsonl", 2) in where
    assert "3 with errors" in err or "4 with errors" in err


def test_usage_errors(tmp_path: Path) -> None:
    code, _o, err = run("batch", "--catalog", str(CATALOG), str(tmp_path / "missing.csv"), "-o", str(tmp_path / "o"))
    assert code == 2 and "no such file" in err
    code, _o, err = run("batch", "--catalog", str(CATALOG), str(tmp_path), "-o", str(tmp_path / "no/dir/o"))
    assert code == 2


def test_warm_start_uses_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = load_compiled(CATALOG, tmp_path)
    assert list(tmp_path.glob("catalog-*.pickle"))

    def refuse(*_a: object, **_k: object) -> object:
        raise AssertionError("the catalogue was read again")

    monkeypatch.setattr("microcred.run.cache.read_catalog_files", refuse)
    second = load_compiled(CATALOG, tmp_path)
    assert sorted(second.credentials) == sorted(first.credentials)


def test_kill_and_resume_loses_and_doubles_nothing(population: Path, tmp_path: Path) -> None:
    src = population / "pop.csv"
    out = tmp_path / "out.jsonl"
    cmd = [
        sys.executable,
        "-m",
        "microcred",
        "batch",
        "--catalog",
        str(CATALOG),
        str(src),
        "-o",
        str(out),
        "--as-of",
        AS_OF.isoformat(),
        "--cache-dir",
        str(tmp_path / "cache"),
        "--progress",
        "never",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    journal = out.with_name(out.name + ".partial.journal")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if journal.exists() and journal.read_bytes().count(b"\n") >= 20:
            break
        time.sleep(0.01)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    if proc.returncode == 0:
        pytest.skip("the run finished before it could be interrupted")
    assert not out.exists()  # nothing final until the run completes
    code = subprocess.run([*cmd, "--resume"], capture_output=True, text=True, check=False)
    assert code.returncode == 0, code.stderr
    assert "done before (resumed)" in code.stderr
    lines = out.read_text().splitlines()
    ids = [json.loads(x)["learner"]["id"] for x in lines]
    assert len(ids) == len(set(ids)) == 120
    clean = tmp_path / "clean.jsonl"
    subprocess.run([str(clean) if c == str(out) else c for c in cmd], check=True, capture_output=True)
    assert sorted(lines) == sorted(clean.read_text().splitlines())


def test_a_used_compiled_catalogue_pickles_correctly(population: Path) -> None:
    """The engine's caches are keyed by node identity; a pickled copy of a catalogue that has
    already evaluated learners must not reuse them."""
    import pickle

    compiled = load_compiled(CATALOG, use_cache=False)
    sources = [s for s in read_transcripts(population / "pop.csv") if isinstance(s, TranscriptSource)][:60]
    before = [evaluate(compiled, s, AS_OF, detail=False).to_json() for s in sources]
    copy = pickle.loads(pickle.dumps(compiled))
    # the identity-keyed caches stay behind (a new object can reuse an old identity)
    for comp in copy.credentials.values():
        assert comp.cache.flat is None and not comp.cache.settled
    after = [evaluate(copy, s, AS_OF, detail=False).to_json() for s in sources]
    assert before == after


def test_cache_key_changes_with_the_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A compiled catalogue cached by other microcred code is not reused."""
    import microcred.run.cache as cache

    load_compiled(CATALOG, tmp_path)
    assert len(list(tmp_path.glob("catalog-*.pickle"))) == 1
    monkeypatch.setattr(cache, "_CODE_DIGEST", "another version of the code")
    load_compiled(CATALOG, tmp_path)
    assert len(list(tmp_path.glob("catalog-*.pickle"))) == 2
