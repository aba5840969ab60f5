"""Batch evaluation takes a credential's result from an earlier learner whose record is the
same in everything that credential's evaluation reads (``evaluate(reuse=True)``), and reads CSV
rows through a lighter path: the output is byte for byte the output of evaluating every
learner afresh."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import AS_OF, AWARDS, DATES, DENSE, EXTENSIONS, RETAKES, build_catalog, catalog_specs, transcript_specs

from microcred.checks.validate import load_catalog, validate_catalog
from microcred.io.transcript import (
    Transcript,
    TranscriptError,
    TranscriptSource,
    _quick_transcript,
    csv_columns,
    csv_rows,
    read_transcripts,
    transcript_from_rows,
)
from microcred.rules import evaluate as evaluation
from microcred.rules import solver
from microcred.rules.evaluate import compile_catalog, evaluate
from microcred.run.batch import BatchOptions, run_batch
from microcred.run.generate import generate_population, write_csv, write_jsonl

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "catalog/example-university"
AS_OF_POPULATION = dt.date(2026, 11, 29)


def _json(result: Any) -> bytes:
    return orjson.dumps(result.to_json())


def _reused(cc: Any) -> int:
    """How many results the compiled catalogue keeps for reuse."""
    return sum(len(c.cache.reuse) for c in cc.credentials.values() if c.cache.reuse is not None)


@st.composite
def populations(draw: st.DrawFn) -> tuple[Any, list[tuple[Transcript, dt.date, bool]]]:
    """A small catalogue and learners for it, many of whom share part of their records: each
    learner's attempts are another's with courses added or taken away, and learners are
    evaluated at different dates, with and without planned courses."""
    profile = draw(st.sampled_from([DENSE, AWARDS, RETAKES, EXTENSIONS]))
    cspec = draw(catalog_specs(profile))
    specs = [draw(transcript_specs(cspec, profile)) for _ in range(draw(st.integers(2, 4)))]
    for _ in range(draw(st.integers(2, 6))):
        a, b = draw(st.sampled_from(specs)), draw(st.sampled_from(specs))
        courses = {x["course"] for x in b["attempts"]}
        keep = draw(st.sampled_from(["mine", "theirs", "both"]))
        attempts = [x for x in a["attempts"] if keep != "theirs" or x["course"] not in courses]
        if keep != "mine":
            taken = {(x["course"], x.get("date")) for x in attempts}
            attempts += [x for x in b["attempts"] if (x["course"], x.get("date")) not in taken]
        mixed = {**a, "attempts": attempts}
        if draw(st.booleans()) and "awarded" in b:
            mixed["awarded"] = b["awarded"]
        specs.append(mixed)
    catalog = build_catalog(cspec)
    learners = []
    for spec in draw(st.permutations(specs)):
        spec = dict(spec)
        if draw(st.booleans()) and spec["attempts"]:
            # a planned course: read only with include_planned
            spec["attempts"] = [*spec["attempts"], {"course": spec["attempts"][0]["course"], "status": "planned"}]
        t = Transcript.model_validate(spec)
        as_of = draw(st.sampled_from([AS_OF, DATES[-1], DATES[4]]))
        learners.append((t, as_of, draw(st.booleans())))
    return catalog, learners


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(populations())
def test_reuse_gives_byte_identical_results(population: tuple[Any, list[tuple[Transcript, dt.date, bool]]]) -> None:
    catalog, learners = population
    if not validate_catalog(catalog).valid:
        return
    shared = compile_catalog(catalog)
    for round_ in range(2):  # the second round finds every learner's results kept
        for t, as_of, planned in learners:
            # compiled afresh for each learner: nothing kept from another learner (results,
            # settled forms, answers of branch and bound)
            fresh = evaluation.CompiledCatalog(catalog)
            want = evaluate(fresh, t, as_of, include_planned=planned, detail=False)
            got = evaluate(shared, t, as_of, include_planned=planned, detail=False, reuse=True)
            assert _json(got) == _json(want), (round_, t.model_dump_json())


def test_results_are_reused_and_the_table_is_bounded(monkeypatch: Any) -> None:
    """Learners who share a credential's relevant record share its result: fewer results are
    kept than credentials evaluated, and a full table is emptied, never grown past its bound."""
    cc = compile_catalog(load_catalog(CATALOG))
    population = list(generate_population(CATALOG, 300, seed=5, as_of=AS_OF_POPULATION))
    calls = 0
    real = evaluation._Learner._evaluate_rule

    def counting(self: Any, *args: Any) -> Any:
        nonlocal calls
        calls += self.reuse  # (a blank result is worked out once, by a learner without reuse)
        return real(self, *args)

    monkeypatch.setattr(evaluation._Learner, "_evaluate_rule", counting)
    for t in population:
        evaluate(cc, t, AS_OF_POPULATION, detail=False, reuse=True)
    kept = _reused(cc)
    assert 0 < kept == calls  # every result evaluated was kept (no table filled up)...
    calls = 0
    for t in population:
        evaluate(cc, t, AS_OF_POPULATION, detail=False, reuse=True)
    assert calls == 0  # ... and a second pass evaluates nothing again
    monkeypatch.setattr(evaluation, "REUSE_PER_CREDENTIAL", 8)
    small = compile_catalog(load_catalog(CATALOG))
    for t in population:
        evaluate(small, t, AS_OF_POPULATION, detail=False, reuse=True)
    tables = [c.cache.reuse for c in small.credentials.values() if c.cache.reuse is not None]
    assert tables and all(0 < len(table) <= 8 for table in tables)


def test_no_reuse_with_exceptions_or_detail() -> None:
    cc = compile_catalog(load_catalog(CATALOG))
    t = next(iter(generate_population(CATALOG, 1, seed=5, as_of=AS_OF_POPULATION)))
    evaluate(cc, t, AS_OF_POPULATION, reuse=True)  # detail: the requirement trees read other results
    assert _reused(cc) == 0
    waived = Transcript.model_validate(
        {**t.model_dump(mode="json", by_alias=True), "exceptions": [{"waive": "composition", "reason": "transfer"}]}
    )
    evaluate(cc, waived, AS_OF_POPULATION, detail=False, reuse=True)
    assert _reused(cc) == 0
    evaluate(cc, t, AS_OF_POPULATION, detail=False, reuse=True)
    assert _reused(cc) > 0


def test_compiled_catalogue_pickles_without_kept_results() -> None:
    import pickle

    cc = compile_catalog(load_catalog(CATALOG))
    for t in generate_population(CATALOG, 5, seed=5, as_of=AS_OF_POPULATION):
        evaluate(cc, t, AS_OF_POPULATION, detail=False, reuse=True)
    assert _reused(cc) > 0
    assert _reused(pickle.loads(pickle.dumps(cc))) == 0


def test_batch_output_is_byte_identical_to_evaluating_each_learner_afresh(tmp_path: Path) -> None:
    """A generated population through `batch` (CSV and JSONL inputs, reuse and the light
    reading path) against each learner read with the general reader and evaluated without
    reuse, byte for byte."""
    csv_path, jsonl_path = tmp_path / "pop.csv", tmp_path / "pop.jsonl"
    with csv_path.open("w") as fh:
        write_csv(generate_population(CATALOG, 600, seed=21, as_of=AS_OF_POPULATION), fh)
    with jsonl_path.open("w") as fh:
        write_jsonl(generate_population(CATALOG, 150, seed=22, as_of=AS_OF_POPULATION), fh)
    cc = compile_catalog(load_catalog(CATALOG))
    for path in (csv_path, jsonl_path):
        out = tmp_path / (path.stem + path.suffix + ".out.jsonl")
        summary = run_batch(
            BatchOptions(catalog=CATALOG, inputs=[path], output=out, as_of=AS_OF_POPULATION, use_cache=False)
        )
        assert summary.failed == 0
        got = {orjson.loads(line)["learner"]["id"]: line for line in out.read_bytes().splitlines()}
        want = {}
        for src in read_transcripts(path):
            assert isinstance(src, TranscriptSource)
            want[src.transcript.learner.id] = _json(evaluate(cc, src, AS_OF_POPULATION, detail=False))
        assert len(want) == summary.learners > 100
        assert got == want


def _validated(learner_id: str, rows: list[Any]) -> Transcript:
    """The rows of one learner validated by the models, as the general reading path does."""
    attempts = []
    for _file, _line, _col, values in rows:
        raw: dict[str, Any] = {"course": values["course"]}
        for name in ("date", "grade", "status"):
            if values.get(name):
                raw[name] = values[name]
        if values.get("credits"):
            raw["credits"] = float(values["credits"])
        attempts.append(raw)
    return Transcript.model_validate({"learner": {"id": learner_id}, "as_of": None, "attempts": attempts})


def test_csv_rows_read_without_validators_equal_validated_models() -> None:
    """The light reading path builds the very models validation builds (values and the fields
    set), and leaves every row out of the ordinary to validation, which words its error."""
    import csv
    import io

    text = io.StringIO()
    write_csv(generate_population(CATALOG, 60, seed=8, as_of=AS_OF_POPULATION), text)
    extra = [
        "X1,CSCI 1410,2025-05-09,B,4.5,completed",
        "X1,MATH 1110,,,,planned",
        "X1,STAT 2000,2025-12-12,,,in_progress",
        "X1,ENGL 1020,20250509,A,,transfer",  # another ISO form fromisoformat reads
        "X2,CSCI 1410,2025-05-09,B,-1,completed",  # negative credits: an error
        "X3,CSCI 1410,2025-13-09,B,,completed",  # no such date: an error
        "X4,CSCI 1410,,B,,completed",  # a completed attempt needs a date
        "X5,CSCI 1410,2025-05-09,B,nan,completed",  # not a number
        "X6,CSCI 1410,2025-05-09,B,,passed",  # no such status
    ]
    lines = text.getvalue().splitlines() + extra
    reader = csv.reader(lines)
    col = csv_columns(next(reader), "pop.csv")
    assert isinstance(col, dict)
    grouped: dict[str, list[Any]] = {}
    for row in csv_rows(reader, "pop.csv", col, lambda: reader.line_num):
        assert not isinstance(row, TranscriptError)
        grouped.setdefault(row[3]["learner_id"], []).append(row)
    assert len(grouped) == 66
    for lid, rows in grouped.items():
        got = transcript_from_rows(lid, rows)
        if lid in ("X2", "X3", "X4", "X5", "X6"):
            assert isinstance(got, TranscriptError) and got.diagnostics, lid
            continue
        assert isinstance(got, TranscriptSource)
        assert _quick_transcript(lid, rows, None) is not None  # the light path read it
        want = _validated(lid, rows)
        assert got.transcript == want
        assert got.transcript.model_fields_set == want.model_fields_set
        assert [a.model_fields_set for a in got.transcript.attempts] == [a.model_fields_set for a in want.attempts]
        assert got.transcript.model_dump_json() == want.model_dump_json()
        assert got.attempt_lines == [(file, line) for file, line, _c, _v in rows]


def test_answers_of_branch_and_bound_are_shared_across_learners_without_changing_a_result(monkeypatch: Any) -> None:
    """Learners whose degrees pose the same search (the same starting amounts and, in search
    order, the same contested options and credits) share its answer; every result is byte
    for byte what a catalogue that keeps no answers gives."""
    population = list(generate_population(CATALOG, 300, seed=5, as_of=AS_OF_POPULATION))
    catalog = load_catalog(CATALOG)
    keeping = evaluation.CompiledCatalog(catalog)
    calls = 0
    search = solver._branch_and_bound

    def counted(*args: Any) -> list[int] | None:
        nonlocal calls
        calls += 1
        return search(*args)

    monkeypatch.setattr(solver, "_branch_and_bound", counted)
    got = [_json(evaluate(keeping, t, AS_OF_POPULATION, detail=False)) for t in population]
    kept = sum(len(c.cache.searches) for c in keeping.credentials.values())
    assert calls > kept > 0  # answers were kept, and some were found again (fewer than 1,024: none dropped)
    monkeypatch.setattr(solver, "SEARCHES_KEPT", 0)
    keeping_none = evaluation.CompiledCatalog(catalog)
    want = [_json(evaluate(keeping_none, t, AS_OF_POPULATION, detail=False)) for t in population]
    assert not any(c.cache.searches for c in keeping_none.credentials.values())
    assert got == want
