"""`microcred generate`: deterministic, valid and realistic synthetic learner populations."""

from __future__ import annotations

import collections
import datetime as dt
import io
import itertools
import json
from pathlib import Path

import pytest
from tiny_catalog import TINY

from microcred import load_catalog
from microcred.cli import main
from microcred.io.transcript import Transcript, TranscriptSource, iter_csv
from microcred.model.catalog import Catalog
from microcred.rules.evaluate import compile_catalog, evaluate
from microcred.run.generate import (
    generate_population,
    read_jsonl,
    term_end,
    transcript_to_json,
    write_csv,
    write_jsonl,
)

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "catalog" / "example-university"
AS_OF = dt.date(2026, 5, 20)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(CATALOG)


@pytest.fixture(scope="module")
def population(catalog: Catalog) -> list[Transcript]:
    return list(generate_population(catalog, 400, 11, AS_OF))


def _json(ts: list[Transcript]) -> list[dict[str, object]]:
    return [transcript_to_json(t) for t in ts]


def test_term_ends_are_fridays_like_the_example_university_calendar() -> None:
    # spring, summer and fall terms of the example transcripts
    assert term_end(2024 * 3 + 0) == dt.date(2024, 5, 10)
    assert term_end(2024 * 3 + 1) == dt.date(2024, 8, 2)
    assert term_end(2023 * 3 + 2) == dt.date(2023, 12, 15)
    assert term_end(2025 * 3 + 2) == dt.date(2025, 12, 12)
    assert all(term_end(t).weekday() == 4 for t in range(2000 * 3, 2040 * 3))


def test_deterministic_for_a_seed_and_sliceable(catalog: Catalog) -> None:
    a = _json(list(generate_population(catalog, 60, 5, AS_OF)))
    b = _json(list(generate_population(catalog, 60, 5, AS_OF)))
    assert a == b
    assert a != _json(list(generate_population(catalog, 60, 6, AS_OF)))
    # learner i depends only on (seed, i): slices generated apart join into the same population
    parts = _json(list(generate_population(catalog, 25, 5, AS_OF))) + _json(
        list(generate_population(catalog, 35, 5, AS_OF, start=25))
    )
    assert parts == a
    assert [t["learner"] for t in a[:2]] == [{"id": "L0000001"}, {"id": "L0000002"}]
    # a path works as well as a loaded catalogue
    assert _json(list(generate_population(CATALOG, 5, 5, AS_OF))) == a[:5]


def test_lazy(catalog: Catalog) -> None:
    first = list(itertools.islice(generate_population(catalog, 10**12, 1, AS_OF), 3))
    assert [t.learner.id for t in first] == ["L0000001", "L0000002", "L0000003"]
    with pytest.raises(ValueError):
        next(generate_population(catalog, -1, 1, AS_OF))


def test_every_learner_is_valid_and_evaluates_cleanly(catalog: Catalog, population: list[Transcript]) -> None:
    cc = compile_catalog(catalog)
    scale = catalog.grade_scale
    for t in population:
        # what the generator built without validation passes validation
        assert Transcript.model_validate(transcript_to_json(t)) == Transcript.model_validate(
            t.model_dump(mode="json", by_alias=True)
        )
        for a in t.attempts:
            assert a.course in catalog.courses
            if a.status in ("completed", "transfer"):
                assert a.date is not None and a.date <= AS_OF and a.grade in scale
            else:
                assert a.date is None and a.grade is None
            if a.status == "transfer":
                assert a.grade == "TR"
        for aw in t.awarded:
            assert aw.credential in catalog.credentials
            assert aw.date < AS_OF and aw.expires_on is not None and aw.expires_on > aw.date
        result = evaluate(cc, t, AS_OF)  # raises on an error
        assert result.warnings == []


def test_realistic_distribution(catalog: Catalog, population: list[Transcript]) -> None:
    grades = collections.Counter(a.grade for t in population for a in t.attempts if a.status == "completed")
    total = sum(grades.values())

    def share(*names: str) -> float:
        return sum(grades[n] for n in names) / total

    letters_a_to_c = ("A", "A-", "B+", "B", "B-", "C+", "C", "C-")
    assert share(*letters_a_to_c) > 0.75  # mostly A–C
    assert 0.02 < share("D+", "D", "D-", "F") < 0.15  # some D and F
    assert 0.01 < share("W") < 0.08  # a few withdrawals
    assert grades["P"] > 0  # pass/fail seminar
    assert share("A", "A-") > share("C", "C-")  # skewed toward the top, as grades are

    statuses = collections.Counter(a.status for t in population for a in t.attempts)
    assert statuses["transfer"] > 0 and statuses["in_progress"] > 0 and statuses["planned"] > 0

    repeats = sum(
        1 for t in population if any(n > 1 for n in collections.Counter(a.course for a in t.attempts).values())
    )
    assert 0.1 * len(population) < repeats < 0.8 * len(population)
    awarded = [aw for t in population for aw in t.awarded]
    assert awarded and {aw.credential for aw in awarded} == {"aws-cloud-practitioner"}
    assert len(awarded) < 0.15 * len(population)  # a few

    # learners at every stage
    new = [t for t in population if t.attempts and all(a.status in ("in_progress", "planned") for a in t.attempts)]
    active = [t for t in population if any(a.status == "in_progress" for a in t.attempts)]
    long = [t for t in population if sum(a.status == "completed" for a in t.attempts) >= 30]
    assert new and long
    assert 0.15 * len(population) < len(active) < 0.7 * len(population)

    cc = compile_catalog(catalog)
    status = collections.defaultdict(collections.Counter)
    for t in population:
        for cid, r in evaluate(cc, t, AS_OF).credentials.items():
            status[cid][r.status] += 1
    assert status["bas-information-systems"]["earned"] + status["aas-information-technology"]["earned"] > 0
    for cert in ("data-analytics-certificate", "it-infrastructure-certificate", "business-technology-certificate"):
        assert status[cert]["earned"] > 0 and status[cert]["partial"] > 0
    assert status["python-programming"]["in_progress"] > 0
    assert status["lab-safety"]["expired"] + status["cloud-foundations"]["expired"] > 0  # valid_for
    assert status["aws-cloud-practitioner"]["earned"] > 0  # awarded from outside
    # a programme, not a scatter: most learners stay within a few subjects
    subjects = sorted(len({a.course.split()[0] for a in t.attempts}) for t in population)
    assert subjects[len(subjects) // 2] <= 5


def test_csv_round_trip(catalog: Catalog, population: list[Transcript]) -> None:
    buf = io.StringIO()
    stats = write_csv(population, buf)
    assert stats.learners == len(population)
    assert stats.attempts == sum(len(t.attempts) for t in population)
    assert stats.awards_dropped == sum(len(t.awarded) for t in population) > 0
    text = buf.getvalue()
    assert text.splitlines()[0] == "learner_id,course,date,grade,credits,status"
    read = list(iter_csv(text, "pop.csv", AS_OF))
    assert all(isinstance(r, TranscriptSource) for r in read)
    with_attempts = [t for t in population if t.attempts]  # a learner without rows has no place in CSV
    got = [transcript_to_json(r.transcript) for r in read if isinstance(r, TranscriptSource)]
    want = [transcript_to_json(t.model_copy(update={"awarded": []})) for t in with_attempts]
    assert got == want


def test_jsonl_round_trip(population: list[Transcript]) -> None:
    buf = io.StringIO()
    stats = write_jsonl(population, buf)
    assert stats.learners == len(population) and stats.awards == sum(len(t.awarded) for t in population)
    lines = buf.getvalue().splitlines()
    assert len(lines) == len(population)
    read = list(read_jsonl(lines, "pop.jsonl"))
    assert all(isinstance(r, TranscriptSource) for r in read)
    got = [r.transcript for r in read if isinstance(r, TranscriptSource)]
    assert _json(got) == _json(population)
    assert [json.loads(x) for x in lines] == _json(population)


def test_jsonl_reader_reports_bad_lines() -> None:
    lines = ['{"learner": {"id": "X1"}, "attempts": [{"course": "CSCI 1410", "grade": "A"}]}', "", "[1, 2]"]
    read = list(read_jsonl(lines, "bad.jsonl"))
    assert len(read) == 2 and not any(isinstance(r, TranscriptSource) for r in read)


def test_other_catalogues_get_plans_from_their_own_courses(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(TINY, encoding="utf-8")
    tiny = load_catalog(tmp_path)
    cc = compile_catalog(tiny)
    pop = list(generate_population(tiny, 80, 2, AS_OF))
    assert {a.course for t in pop for a in t.attempts} <= set(tiny.courses)
    earned = collections.Counter()
    for t in pop:
        r = evaluate(cc, t, AS_OF)
        assert r.warnings == []
        earned.update(r.earned())
    assert earned["drawing"] > 0 and earned["studio"] > 0


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_cli_csv_to_stdout_then_evaluate(tmp_path: Path) -> None:
    args = ("generate", "--catalog", str(CATALOG), "--learners", "40", "--seed", "3", "--as-of", "2026-05-20")
    code, out, err = run(*args)
    assert code == 0, err
    assert out.startswith("learner_id,course,date,grade,credits,status\n")
    assert "generated 40 learners" in err and "--format jsonl" in err  # awards dropped: say so
    assert run(*args)[1] == out  # deterministic
    path = tmp_path / "pop.csv"
    path.write_text(out, encoding="utf-8")
    code, res, err = run("evaluate", "--catalog", str(CATALOG), "--format", "json", "--as-of", "2026-05-20", str(path))
    assert code == 0, err
    assert err == ""  # no warnings: every course is in the catalogue
    assert len(res.splitlines()) == len({line.split(",")[0] for line in out.splitlines()[1:]})


def test_cli_jsonl_to_file(tmp_path: Path) -> None:
    target = tmp_path / "pop.jsonl"
    code, out, err = run(
        "generate", "--catalog", str(CATALOG), "--learners", "30", "--seed", "3", "--as-of", "2026-05-20",
        "--format", "jsonl", "-o", str(target),
    )  # fmt: skip
    assert code == 0, err
    assert out == ""
    docs = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert len(docs) == 30 and all(d["as_of"] == "2026-05-20" for d in docs)
    lib = _json(list(generate_population(CATALOG, 30, 3, AS_OF)))
    assert docs == lib


def test_cli_usage_errors(tmp_path: Path) -> None:
    code, _, err = run("generate", "--catalog", str(CATALOG), "--learners", "-3")
    assert code == 2
    code, _, err = run("generate", "--catalog", str(tmp_path / "nope"), "--learners", "3")
    assert code == 2 and "nope" in err
    code, _, err = run("generate", "--catalog", str(CATALOG), "--learners", "3", "-o", str(tmp_path / "no/dir/x"))
    assert code == 2 and "cannot write" in err
    code, _, _ = run("generate", "--catalog", str(CATALOG), "--learners", "3", "--format", "xml")
    assert code == 2
