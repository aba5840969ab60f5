"""`microcred evaluate`: the contract's JSON shape, the advisor's text report, exit codes."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from microcred.cli import main

ROOT = Path(__file__).resolve().parent.parent
CATALOG = str(ROOT / "catalog/example-university")
TRANSCRIPTS = ROOT / "examples/example-university/transcripts"
CSV = str(ROOT / "examples/example-university/learners.csv")
FIELDS = {"status", "earned_on", "expires_on", "progress", "applied", "missing", "stacks_into"}


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_json_shape_one_line_per_learner() -> None:
    files = sorted(str(p) for p in TRANSCRIPTS.glob("*.yaml"))
    code, out, err = run("evaluate", "--catalog", CATALOG, "--format", "json", *files, CSV)
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == len(files) + 14
    for line in lines:
        doc = json.loads(line)
        assert set(doc) == {"learner", "as_of", "credentials", "stacking", "warnings"}
        for entry in doc["stacking"]:
            assert doc["credentials"][entry["credential"]]["status"] in ("earned", "in_progress")
            for t in entry["stacks_into"]:
                assert set(t) == {"credential", "depth", "status", "progress", "credits"}
                assert t["progress"] == doc["credentials"][t["credential"]]["progress"]
        assert isinstance(doc["learner"]["id"], str)
        assert len(doc["as_of"]) == 10
        for cid, c in doc["credentials"].items():
            assert set(c) >= FIELDS, cid
            assert c["status"] in {"earned", "expired", "in_progress", "partial", "not_started"}
            assert 0.0 <= c["progress"] <= 1.0
            if c["status"] in ("earned", "expired"):
                assert c["earned_on"] is not None and c["progress"] == 1.0
            else:
                assert c["earned_on"] is None
            for s in c["stacks_into"]:
                assert set(s) == {"credential", "progress"}


def test_every_status_appears_in_the_examples() -> None:
    files = sorted(str(p) for p in TRANSCRIPTS.glob("*.yaml"))
    _code, out, _err = run("evaluate", "--catalog", CATALOG, "--format", "json", *files)
    statuses = {c["status"] for line in out.splitlines() for c in json.loads(line)["credentials"].values()}
    assert statuses == {"earned", "expired", "in_progress", "partial", "not_started"}


def test_expected_results_of_the_bundled_learners() -> None:
    code, out, _err = run(
        "evaluate", "--catalog", CATALOG, "--format", "json", str(TRANSCRIPTS / "earned-certificate.yaml")
    )
    assert code == 0
    creds = json.loads(out)["credentials"]
    cert = creds["data-analytics-certificate"]
    assert (cert["status"], cert["earned_on"]) == ("earned", "2026-05-08")
    assert creds["data-foundations"]["earned_on"] == "2024-12-13"
    assert creds["statistical-modeling"]["earned_on"] == "2025-05-09"
    # stacking: the certificate counts toward the bachelor degree
    assert [s["credential"] for s in cert["stacks_into"]] == ["bas-information-systems"]
    # and the stacking section follows data-foundations up to the degree, with its credits
    doc = json.loads(out)
    found = {e["credential"]: e for e in doc["stacking"]}
    targets = {t["credential"]: t for t in found["data-foundations"]["stacks_into"]}
    assert targets["data-analytics-certificate"]["depth"] == 1
    assert targets["bas-information-systems"]["depth"] == 2
    assert targets["data-analytics-certificate"]["credits"] > 0


def test_same_input_same_output() -> None:
    args = ("evaluate", "--catalog", CATALOG, "--format", "json", CSV)
    assert run(*args)[1] == run(*args)[1]


def test_text_report_for_an_advisor() -> None:
    code, out, _err = run("evaluate", "--catalog", CATALOG, "--detail", str(TRANSCRIPTS / "in-progress.yaml"))
    assert code == 0
    assert "Jordan Alvarez (S1002)" in out
    assert "Cloud Computing Essentials" in out and "in progress" in out
    assert "█" in out and "Missing:" in out
    assert "course CSCI 3800 (in progress)" in out
    assert "✓ CSCI 2150" in out


def test_as_of_and_include_planned(tmp_path: Path) -> None:
    t = tmp_path / "t.yaml"
    t.write_text(
        "learner: {id: P1}\n"
        "attempts:\n"
        "  - {course: CSCI 1410, date: 2024-12-15, grade: A}\n"
        "  - {course: CSCI 1411, status: planned}\n"
    )
    _c, out, _e = run("evaluate", "--catalog", CATALOG, "--format", "json", "--as-of", "2025-01-01", str(t))
    doc = json.loads(out)
    assert doc["as_of"] == "2025-01-01"
    assert doc["credentials"]["python-programming"]["status"] == "partial"
    _c, out, _e = run(
        "evaluate", "--catalog", CATALOG, "--format", "json", "--as-of", "2025-01-01", "--include-planned", str(t)
    )
    assert json.loads(out)["credentials"]["python-programming"]["status"] == "in_progress"


@pytest.mark.parametrize(
    "argv",
    [
        ("evaluate", "--catalog", CATALOG, "/no/such/transcript.yaml"),
        ("evaluate", "--catalog", "/no/such/catalog", str(TRANSCRIPTS / "partial.yaml")),
        ("evaluate", "--catalog", CATALOG, "--as-of", "yesterday", str(TRANSCRIPTS / "partial.yaml")),
        ("evaluate", "--catalog", CATALOG, "--credential", "nope", str(TRANSCRIPTS / "partial.yaml")),
        ("evaluate", str(TRANSCRIPTS / "partial.yaml")),
    ],
)
def test_usage_errors_exit_2(argv: tuple[str, ...]) -> None:
    code, out, err = run(*argv)
    assert code == 2 and out == "" and "Traceback" not in err


def test_invalid_catalogue_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "c.yaml"
    bad.write_text("courses:\n  - {id: X 1, title: X}\n")
    code, _out, err = run("evaluate", "--catalog", str(bad), str(TRANSCRIPTS / "partial.yaml"))
    assert code == 1 and f"{bad}:2:" in err


def test_python_dash_m_runs() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "microcred",
            "evaluate",
            "--catalog",
            CATALOG,
            "--format",
            "json",
            str(TRANSCRIPTS / "expired.yaml"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    creds = json.loads(proc.stdout)["credentials"]
    assert creds["cloud-foundations"]["status"] == "expired"
    assert creds["cloud-foundations"]["expires_on"] == "2024-12-16"


def test_waiver_survives_edits_around_its_node(tmp_path: Path) -> None:
    """A waiver names a node by its stable id: inserting siblings before it changes the
    node's path but not what the waiver refers to."""
    base = (
        "catalog: {id: t, name: T}\n"
        "taxonomy: {types: {badge: {}}}\n"
        "courses:\n"
        "  - {id: A 1000, title: A, credits: 3}\n"
        "  - {id: B 1000, title: B, credits: 3}\n"
        "  - {id: C 1000, title: C, credits: 3}\n"
        "credentials:\n"
        "  - id: b\n"
        "    type: badge\n"
        "    title: B\n"
        "    requires:\n"
        "      all:\n"
        "{extra}"
        "        - {id: lab, course: B 1000}\n"
    )
    transcript = tmp_path / "t.yaml"
    transcript.write_text(
        "learner: {id: W1}\nas_of: 2026-01-01\nattempts:\n  - {course: A 1000, date: 2025-01-01, grade: A}\n"
        "exceptions:\n  - {waive: lab, credential: b, reason: Lab done at another campus}\n"
    )
    results = []
    edits = (
        "        - {course: A 1000}\n",
        "        - {course: A 1000}\n        - {any: [{course: C 1000}, {course: A 1000}], shared: true}\n",
    )
    for extra in edits:
        cat = tmp_path / "c.yaml"
        cat.write_text(base.replace("{extra}", extra))
        code, out, err = run("evaluate", "--catalog", str(cat), "--format", "json", str(transcript))
        assert code == 0, err
        c = json.loads(out)["credentials"]["b"]
        results.append((c["status"], c["earned_on"]))
        assert c["exceptions"] == [{"kind": "waive", "target": "lab", "reason": "Lab done at another campus"}]
    assert results == [("earned", "2025-01-01"), ("earned", "2025-01-01")]
