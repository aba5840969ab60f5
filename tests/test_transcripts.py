"""Bad transcripts: each error names its file and line (or CSV row), and other learners are
still evaluated."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from microcred.cli import main
from microcred.io.transcript import TranscriptError, TranscriptSource, iter_csv, read_transcripts

CATALOG = "catalog/example-university"
ROOT = Path(__file__).resolve().parent.parent


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


GOOD = """learner: {id: S1}
as_of: 2026-01-01
attempts:
  - {course: CSCI 1410, date: 2024-12-15, grade: A}
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


@pytest.mark.parametrize(
    ("line", "code", "fragment"),
    [
        ("  - {course: CSCI 1411, date: 2024-12-15, grade: Z}\n", "E502", "not on the grade scale"),
        ("  - {course: CSCI 1411, date: 2024-13-45, grade: A}\n", "E503", "date"),
        ("  - {course: CSCI 1411, grade: A}\n", "E503", "needs a `date`"),
        ("  - {course: CSCI 1411, date: 2024-12-15, grade: A, credits: -3}\n", "E501", "must not be negative, got -3"),
        ("  - {course: CSCI 1411, date: 2024-12-15, grade: A, status: finished}\n", "E501", "expected"),
    ],
)
def test_bad_attempt_is_located(tmp_path: Path, line: str, code: str, fragment: str) -> None:
    bad = _write(tmp_path, "bad.yaml", GOOD.replace("learner: {id: S1}", "learner: {id: S2}") + line)
    good = _write(tmp_path, "good.yaml", GOOD)
    rc, out, err = run("evaluate", "--catalog", CATALOG, "--format", "json", str(bad), str(good))
    assert rc == 1
    assert f"{bad}:5:" in err and code in err and fragment in err, err
    # the valid learner is still reported
    lines = [json.loads(x) for x in out.splitlines()]
    assert [x["learner"]["id"] for x in lines] == ["S1"]
    assert "Traceback" not in err


def test_missing_learner_id(tmp_path: Path) -> None:
    bad = _write(tmp_path, "bad.yaml", "learner: {name: Nobody}\nattempts: []\n")
    rc, _out, err = run("evaluate", "--catalog", CATALOG, str(bad))
    assert rc == 1 and "E504" in err and f"{bad}:1:" in err


def test_csv_bad_rows_name_the_row(tmp_path: Path) -> None:
    text = (
        "learner_id,course,date,grade,credits,status\n"
        "A1,CSCI 1410,2024-12-15,A,,\n"
        "B2,CSCI 1410,2024-12-15,Q,,\n"  # grade off the scale: checked against the catalogue
        "C3,CSCI 1410,12/15/2024,A,,\n"  # malformed date
        "D4,CSCI 1410,,A,,completed\n"  # completed without a date
        "E5,CSCI 1410,2024-12-15,A,-1,\n"  # negative credits
        "F6,CSCI 1410,2024-12-15,A,,done\n"  # unknown status
        ",CSCI 1410,2024-12-15,A,,\n"  # no learner id
        "A1,CSCI 1411,2024-12-15,B,,\n"
    )
    p = _write(tmp_path, "many.csv", text)
    rc, out, err = run("evaluate", "--catalog", CATALOG, "--format", "json", str(p))
    assert rc == 1
    assert f"{p}:4:3: E503" in err  # malformed date, column of `date`
    assert f"{p}:5:" in err and "needs a `date`" in err
    assert f"{p}:6:5:" in err and "negative" in err
    assert f"{p}:7:6:" in err and "done" in err
    assert f"{p}:8:1: E504" in err
    assert f"{p}:3:" in err and "E502" in err
    ids = [json.loads(x)["learner"]["id"] for x in out.splitlines()]
    assert ids == ["A1"]


def test_csv_missing_column(tmp_path: Path) -> None:
    p = _write(tmp_path, "x.csv", "learner_id,course,grade\nA1,CSCI 1410,A\n")
    items = list(read_transcripts(p))
    assert len(items) == 1 and isinstance(items[0], TranscriptError)
    assert "missing column date" in items[0].diagnostics[0].message


def test_csv_unsorted_rows_group_by_learner() -> None:
    text = (
        "learner_id,course,date,grade\nA,CSCI 1410,2024-01-01,A\nB,CSCI 1410,2024-01-01,B\nA,CSCI 1411,2024-01-01,A\n"
    )
    got = [x for x in iter_csv(text, "x.csv") if isinstance(x, TranscriptSource)]
    assert [(s.transcript.learner.id, len(s.transcript.attempts)) for s in got] == [("A", 2), ("B", 1)]


def test_json_transcript(tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        "t.json",
        json.dumps(
            {
                "learner": {"id": "J1"},
                "as_of": "2026-01-01",
                "attempts": [{"course": "CSCI 1410", "date": "2024-12-15", "grade": "A"}],
            }
        ),
    )
    rc, out, _err = run("evaluate", "--catalog", CATALOG, "--format", "json", str(p))
    assert rc == 0
    doc = json.loads(out)
    assert doc["learner"] == {"id": "J1"} and doc["as_of"] == "2026-01-01"


def test_unknown_course_is_a_warning(tmp_path: Path) -> None:
    p = _write(tmp_path, "t.yaml", GOOD + "  - {course: ZZZZ 9999, date: 2024-12-15, grade: A}\n")
    rc, out, err = run("evaluate", "--catalog", CATALOG, "--format", "json", str(p))
    assert rc == 0 and "W606" in err
    assert json.loads(out)["warnings"][0]["code"] == "W606"


def test_bad_exception_is_an_error(tmp_path: Path) -> None:
    p = _write(tmp_path, "t.yaml", GOOD + "exceptions:\n  - {waive: no-such-node, reason: x}\n")
    rc, _out, err = run("evaluate", "--catalog", CATALOG, str(p))
    assert rc == 1 and "E505" in err and f"{p}:6:" in err
