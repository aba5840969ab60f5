"""microcred on Dask: results equal, learner by learner, those of `microcred.rules.evaluate.evaluate`."""

from __future__ import annotations

import datetime as dt
import importlib
import io
import pickle
import re
import sys
from pathlib import Path
from typing import Any

import pytest

dask = pytest.importorskip("dask")
db = pytest.importorskip("dask.bag")
dd = pytest.importorskip("dask.dataframe")
pd = pytest.importorskip("pandas")

from microcred import load_catalog  # noqa: E402
from microcred.io.transcript import Transcript, TranscriptSource, iter_csv  # noqa: E402
from microcred.model.catalog import Catalog  # noqa: E402
from microcred.rules.evaluate import compile_catalog, evaluate  # noqa: E402
from microcred.run import dask as mdask  # noqa: E402
from microcred.run.generate import generate_population, transcript_to_json, write_csv, write_jsonl  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "catalog" / "example-university"
AS_OF = dt.date(2026, 5, 20)
N = 200
FIELDS = ("status", "earned_on", "expires_on", "progress")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(CATALOG)


@pytest.fixture(scope="module")
def population(catalog: Catalog) -> list[Transcript]:
    return list(generate_population(catalog, N, 21, AS_OF))


@pytest.fixture(scope="module")
def expected(catalog: Catalog, population: list[Transcript]) -> dict[str, dict[str, Any]]:
    """The reference: microcred.rules.evaluate.evaluate, one learner at a time."""
    cc = compile_catalog(catalog)
    return {t.learner.id: evaluate(cc, t, AS_OF).to_json() for t in population}


@pytest.fixture(scope="module")
def csv_text(population: list[Transcript]) -> str:
    buf = io.StringIO()
    write_csv(population, buf)
    return buf.getvalue()


@pytest.fixture(scope="module")
def expected_csv(
    catalog: Catalog, population: list[Transcript], expected: dict[str, dict[str, Any]], csv_text: str
) -> dict[tuple[str, str], tuple[Any, ...]]:
    """The reference for the CSV route (CSV carries no awards): learner × credential → fields."""
    cc = compile_catalog(catalog)
    awarded = {t.learner.id for t in population if t.awarded}
    out: dict[tuple[str, str], tuple[Any, ...]] = {}
    for src in iter_csv(csv_text, "pop.csv", AS_OF):
        assert isinstance(src, TranscriptSource)
        lid = src.transcript.learner.id
        doc = evaluate(cc, src, AS_OF).to_json() if lid in awarded else expected[lid]
        for cid, r in doc["credentials"].items():
            out[(lid, cid)] = tuple(r[f] for f in FIELDS)
    return out


def _by_learner(results: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out = {r["learner"]["id"]: r for r in results}
    assert len(out) == len(results)
    return out


def _rows(frame: Any) -> dict[tuple[str, str], tuple[Any, ...]]:
    out: dict[tuple[str, str], tuple[Any, ...]] = {}
    for rec in frame.to_dict("records"):
        assert rec["error"] is None
        out[(rec["learner_id"], rec["credential"])] = tuple(rec[f] for f in FIELDS)
    assert len(out) == len(frame)
    return out


def test_bag_on_a_local_cluster_equals_evaluate(
    population: list[Transcript], expected: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    distributed = pytest.importorskip("distributed")
    loads: list[Path] = []
    real = mdask.load_compiled

    def counting(path: Path, *args: Any, **kwargs: Any) -> Any:
        loads.append(path)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(mdask, "load_compiled", counting)
    monkeypatch.setattr(mdask, "_CACHE", {})
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=2, processes=False, dashboard_address=":0") as cluster,
        distributed.Client(cluster) as client,
    ):
        bag = mdask.evaluate_bag(db.from_sequence(population, npartitions=8), str(CATALOG), AS_OF)
        results = client.compute(bag).result()
    assert _by_learner(results) == expected
    # compiled once in this process (the client's check; the in-process workers reuse it),
    # not once per task or partition
    assert len(loads) == 1


def test_the_catalogue_is_not_shipped_with_every_task(catalog: Catalog, population: list[Transcript]) -> None:
    # by path: tasks carry a small reference (path + digest), resolved on each worker
    bag = mdask.evaluate_bag(db.from_sequence(population[:20], npartitions=4), str(CATALOG), AS_OF)
    refs = [a for task in dict(bag.__dask_graph__()).values() for a in _walk(task) if isinstance(a, mdask._CatalogRef)]
    assert refs and all(len(pickle.dumps(r)) < 1000 for r in refs)
    # as an object: one key in the graph that every task depends on
    bag = mdask.evaluate_bag(db.from_sequence(population[:20], npartitions=4), catalog, AS_OF)
    keys = [k for k in dict(bag.__dask_graph__()) if str(k).startswith("microcred-catalog-")]
    assert len(keys) == 1


def test_the_shipped_catalogue_survives_pickling(
    catalog: Catalog, population: list[Transcript], expected: dict[str, dict[str, Any]]
) -> None:
    """Worker processes get the catalogue pickled; a catalogue already used on the client
    (caches inside) must still give the same results there."""
    compile_catalog(catalog)  # used: the fixtures evaluated with it
    bag = mdask.evaluate_bag(db.from_sequence(population[:40], npartitions=2), catalog, AS_OF)
    graph = dict(bag.__dask_graph__())
    (key,) = [k for k in graph if str(k).startswith("microcred-catalog-")]
    shipped = graph[key]
    shipped = getattr(shipped, "value", shipped)  # a DataNode in newer dask
    copy = pickle.loads(pickle.dumps(shipped))
    for t in population[:40]:
        assert evaluate(compile_catalog(copy), t, AS_OF).to_json() == expected[t.learner.id]


def _walk(obj: Any) -> list[Any]:
    """Every object inside a task (old tuples or new Task objects)."""
    out: list[Any] = []
    stack = [obj]
    seen = 0
    while stack and seen < 10_000:
        seen += 1
        x = stack.pop()
        out.append(x)
        if isinstance(x, (tuple, list)):
            stack.extend(x)
        elif isinstance(x, dict):
            stack.extend(x.values())
        else:
            for attr in ("args", "kwargs", "value"):
                v = getattr(x, attr, None)
                if isinstance(v, (tuple, list, dict)) or (attr == "value" and v is not None and v is not x):
                    stack.append(v)
    return out


def test_bag_with_a_catalogue_object_and_json_lines(
    catalog: Catalog, population: list[Transcript], expected: dict[str, dict[str, Any]]
) -> None:
    buf = io.StringIO()
    write_jsonl(population, buf)
    lines = buf.getvalue().splitlines()
    with dask.config.set(scheduler="threads"):
        results = mdask.evaluate_bag(db.from_sequence(lines, npartitions=5), catalog).compute()
    # no as_of given: each JSON transcript carries its own
    assert _by_learner(results) == expected


def test_bag_errors_are_reported_skipped_or_raised(catalog: Catalog) -> None:
    good = transcript_to_json(next(generate_population(catalog, 1, 1, AS_OF)))
    bad_grade = {"learner": {"id": "B1"}, "attempts": [{"course": "CSCI 1410", "date": "2025-05-09", "grade": "Z"}]}
    bad_date = {"learner": {"id": "B2"}, "attempts": [{"course": "CSCI 1410", "date": "2025-13-01", "grade": "A"}]}
    items = [good, bad_grade, bad_date, "{not json"]
    with dask.config.set(scheduler="sync"):
        reported = mdask.evaluate_bag(db.from_sequence(items, npartitions=2), catalog, AS_OF).compute()
        assert [r["learner"]["id"] for r in reported] == ["L0000001", "B1", "B2", None]
        assert "credentials" in reported[0]
        assert reported[1]["errors"][0]["code"] == "E502"
        assert reported[2]["errors"][0]["code"] == "E503"
        assert reported[3]["errors"][0]["code"] == "E501"
        skipped = mdask.evaluate_bag(db.from_sequence(items), catalog, AS_OF, errors="skip").compute()
        assert [r["learner"]["id"] for r in skipped] == ["L0000001"]
        with pytest.raises(Exception, match="not on the grade scale"):
            mdask.evaluate_bag(db.from_sequence(items[:2]), catalog, AS_OF, errors="raise").compute()
    with pytest.raises(ValueError, match="no credential nope"):
        mdask.evaluate_bag(db.from_sequence(items), catalog, AS_OF, credentials=["nope"])


def test_dataframe_equals_evaluate_learner_by_learner(
    tmp_path: Path, catalog: Catalog, csv_text: str, expected_csv: dict[tuple[str, str], tuple[Any, ...]]
) -> None:
    path = tmp_path / "attempts.csv"
    path.write_text(csv_text, encoding="utf-8")
    # small blocks: learners' rows are split over partitions, and the shuffle brings them together
    ddf = dd.read_csv(str(path), dtype=str, keep_default_na=False, blocksize=16_000)
    assert ddf.npartitions > 3
    with dask.config.set(scheduler="threads"):
        out = mdask.evaluate_dataframe(ddf, str(CATALOG), AS_OF)
        assert list(out.columns) == list(mdask.RESULT_COLUMNS)
        frame = out.compute()
    assert _rows(frame) == expected_csv
    statuses = set(frame["status"])
    assert {"earned", "partial", "not_started", "in_progress", "expired"} <= statuses


def test_dataframe_from_pandas_with_missing_values(
    catalog: Catalog, csv_text: str, expected_csv: dict[tuple[str, str], tuple[Any, ...]]
) -> None:
    pdf = pd.read_csv(io.StringIO(csv_text), dtype={"learner_id": str, "credits": float})  # empty cells: NaN
    pdf["extra"] = 1  # other columns are ignored
    ddf = dd.from_pandas(pdf, npartitions=4, sort=False)
    with dask.config.set(scheduler="sync"):
        frame = mdask.evaluate_dataframe(ddf, catalog, AS_OF).compute()
    assert _rows(frame) == expected_csv


def test_dataframe_bad_rows_become_error_rows(catalog: Catalog) -> None:
    pdf = pd.DataFrame(
        {
            "learner_id": ["X1", "X1", "X2", "X3"],
            "course": ["CSCI 1410", "CSCI 1411", "CSCI 1410", "CSCI 1410"],
            "date": ["2025-05-09", "2025-05-09", "2025-13-40", "2025-05-09"],
            "grade": ["A", "B", "A", "Q"],
        }
    )
    with dask.config.set(scheduler="sync"):
        frame = mdask.evaluate_dataframe(dd.from_pandas(pdf, npartitions=2), catalog, AS_OF).compute()
    errors = frame[frame["status"] == "error"].set_index("learner_id")
    assert sorted(errors.index) == ["X2", "X3"]
    assert errors.loc["X2", "error"].startswith("E503") and errors.loc["X3", "error"].startswith("E502")
    x1 = frame[frame["learner_id"] == "X1"].set_index("credential")
    assert x1.loc["python-programming", "status"] == "earned"
    assert x1.loc["python-programming", "earned_on"] == "2025-05-09"
    with pytest.raises(ValueError, match="lacks column"):
        mdask.evaluate_dataframe(dd.from_pandas(pdf[["learner_id", "course"]], npartitions=1), catalog)


def test_generate_bag_is_the_same_population(catalog: Catalog) -> None:
    with dask.config.set(scheduler="sync"):
        bag = mdask.generate_bag(catalog, 23, 9, AS_OF, npartitions=4, as_json=True).compute()
    assert bag == [transcript_to_json(t) for t in generate_population(catalog, 23, 9, AS_OF)]


def test_catalogue_checks_on_the_worker(tmp_path: Path) -> None:
    with pytest.raises(mdask.CatalogMismatchError, match="differs from the client"):
        mdask.compiled_catalog(CATALOG, "0" * 64)
    with pytest.raises(FileNotFoundError, match="not reachable from this worker"):
        mdask.compiled_catalog(tmp_path / "nope")
    assert mdask.compiled_catalog(CATALOG) is mdask.compiled_catalog(CATALOG)  # cached per process


def test_a_clear_message_without_dask(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("dask", "dask.bag", "dask.dataframe"):
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.delitem(sys.modules, "microcred.run.dask")
    with pytest.raises(ImportError, match=r"install microcred\[dask\]"):
        importlib.import_module("microcred.run.dask")


def test_the_examples_of_docs_scale_md_run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """The Python blocks of docs/scale.md run, in order, as one program (the cluster example
    is a ```text block: it needs a real cluster)."""
    text = (ROOT / "docs" / "scale.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```python\n(.*?)^```", text, re.M | re.S)
    assert len(blocks) >= 4
    monkeypatch.chdir(ROOT)
    namespace: dict[str, Any] = {"__name__": "docs_scale"}
    for block in blocks:
        exec(compile(block, "docs/scale.md", "exec"), namespace)
    out = capsys.readouterr().out
    assert "50 learners," in out and "credentials earned" in out and "60 learners evaluated" in out
