"""Evaluate learners at scale on Dask (a bag of transcripts, or a dataframe of attempts), and generate a
synthetic population on the workers.

    from microcred.run.dask import evaluate_bag, evaluate_dataframe

    results = evaluate_bag(bag_of_transcripts, "catalog/example-university")   # Bag of JSON dicts
    rows = evaluate_dataframe(dd.read_csv("attempts-*.csv", dtype=str), "catalog/example-university")

The same code runs on the threaded scheduler, a ``LocalCluster`` or a multi-machine
cluster (``Client("tcp://scheduler:8786")``); see ``docs/scale.md``.

The catalogue is compiled once per worker process, not shipped with every task: given a
path, each worker loads it from that path (which every worker must be able to read) and
keeps the compiled catalogue in a process-wide cache keyed by the path and the digest of the
catalogue's files; the digest is taken on the client, so a worker that sees different files
(or runs another microcred version) fails loudly instead of evaluating against the wrong
rules. Given a loaded :class:`~microcred.model.catalog.Catalog` (or a compiled one), it is put in
the task graph once, as a single key that each worker fetches once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import json
import math
import os
import threading
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

try:
    import dask.bag as db
    import dask.dataframe as dd
    from dask.delayed import delayed

    pd: Any = importlib.import_module("pandas")  # a dependency of dask[dataframe]; untyped here
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "microcred.run.dask needs Dask: install microcred[dask] "
        "(pip install 'microcred[dask]'), on the client and on every worker"
    ) from exc

from pydantic import ValidationError

from microcred.io.transcript import (
    CSV_COLUMNS,
    CSV_REQUIRED,
    Transcript,
    TranscriptError,
    TranscriptSource,
    read_transcript_text,
    transcript_from_rows,
)
from microcred.model.catalog import Catalog, SourceMap
from microcred.model.diagnostics import Diagnostic, Location, MicrocredError
from microcred.rules.compiled import CompiledCatalog
from microcred.rules.evaluate import compile_catalog, evaluate
from microcred.run.cache import catalogue_digest, load_compiled
from microcred.run.programmes import Programme

__all__ = [
    "RESULT_COLUMNS",
    "CatalogMismatchError",
    "compiled_catalog",
    "evaluate_bag",
    "evaluate_dataframe",
    "generate_bag",
]

Errors = Literal["report", "raise", "skip"]

#: The columns of :func:`evaluate_dataframe`'s result (one row a learner × credential).
RESULT_COLUMNS: tuple[str, ...] = (
    "learner_id",
    "credential",
    "status",
    "earned_on",
    "expires_on",
    "progress",
    "error",
)
_ORDER = "_microcred_order"


class CatalogMismatchError(RuntimeError):
    """A worker sees other catalogue files (or another microcred) than the client did."""


# -- the catalogue, once per worker --------------------------------------------------------


class _CatalogRef:
    """A catalogue by path and digest: a few bytes in each task, resolved on the worker."""

    __slots__ = ("digest", "path")

    def __init__(self, path: str, digest: str):
        self.path = path
        self.digest = digest

    def __reduce__(self) -> tuple[Any, ...]:
        return (_CatalogRef, (self.path, self.digest))

    def __repr__(self) -> str:
        return f"CatalogRef({self.path!r}, {self.digest[:12]})"


_CACHE: dict[tuple[str, str], CompiledCatalog] = {}
_CACHE_MAX = 8
_LOCK = threading.Lock()


def compiled_catalog(path: str | os.PathLike[str], digest: str | None = None) -> CompiledCatalog:
    """The compiled catalogue at ``path``, compiled once per process and then cached.

    With ``digest`` (from :func:`microcred.run.cache.catalogue_digest` on the client), the files
    read here must have that digest, else :class:`CatalogMismatchError`.
    """
    key = (os.fspath(path), digest or "")
    hit = _CACHE.get(key)
    if hit is not None:
        return hit
    with _LOCK:  # threads of one worker: compile once
        hit = _CACHE.get(key)
        if hit is not None:
            return hit
        p = Path(key[0])
        if not p.exists():
            raise FileNotFoundError(
                f"microcred: the catalogue {p} is not reachable from this worker; every worker needs it at "
                "the same path (shared storage, or a copy in the worker image)"
            )
        if digest is not None and catalogue_digest(p) != digest:
            raise CatalogMismatchError(
                f"microcred: the catalogue at {p} on this worker differs from the client's (other files, or "
                "another microcred version): deploy the same catalogue and microcred everywhere"
            )
        compiled = load_compiled(p, use_cache=False)
        if len(_CACHE) >= _CACHE_MAX:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = compiled
        return compiled


def _catalog_arg(catalog: str | os.PathLike[str] | Catalog | CompiledCatalog) -> tuple[Any, CompiledCatalog]:
    """What the tasks receive (a path reference, or the catalogue as one graph key), and the
    compiled catalogue on the client (loading it here fails fast when it is missing or
    invalid, before any task runs)."""
    if isinstance(catalog, (str, os.PathLike)):
        path = Path(catalog).resolve()  # workers do not share the client's working directory
        digest = catalogue_digest(path)
        return _CatalogRef(str(path), digest), compiled_catalog(path, digest)
    compiled = compile_catalog(catalog)
    # Ship a clean copy of the catalogue, compiled on each worker (once: it is one key of the
    # graph, held by the worker). Not the compiled catalogue: after use it holds caches keyed
    # by id() of its nodes, which a pickled copy does not keep; nor the source map, which
    # evaluation does not need.
    clean = dataclasses.replace(compiled.catalog, sources=SourceMap())
    return delayed(clean, name=f"microcred-catalog-{uuid.uuid4().hex}", traverse=False), compiled


def _check_credentials(compiled: CompiledCatalog, credentials: Iterable[str] | None) -> list[str] | None:
    if credentials is None:
        return None
    wanted = list(credentials)
    unknown = [c for c in wanted if c not in compiled.credentials]
    if unknown:
        raise ValueError(f"no credential {', '.join(unknown)} in the catalogue")
    return wanted


def _resolve(catalog: Any) -> CompiledCatalog:
    if isinstance(catalog, _CatalogRef):
        return compiled_catalog(catalog.path, catalog.digest)
    if isinstance(catalog, (Catalog, CompiledCatalog)):
        return compile_catalog(catalog)  # cached on the object, which a worker holds once
    raise TypeError(f"not a catalogue: {type(catalog).__name__}")


# -- a bag of transcripts ------------------------------------------------------------------


def _source(item: Any) -> TranscriptSource | TranscriptError:
    """A bag item (Transcript, TranscriptSource, a JSON transcript as a dict or a text line)."""
    if isinstance(item, TranscriptSource):
        return item
    if isinstance(item, Transcript):
        return TranscriptSource(item, "<bag>")
    if isinstance(item, TranscriptError):
        return item
    if isinstance(item, (str, bytes)):
        try:
            item = json.loads(item)
        except json.JSONDecodeError as exc:
            return TranscriptError(
                None, [Diagnostic("E501", f"not a JSON transcript: {exc.msg}", Location("<bag>", 1, exc.colno))]
            )
    if isinstance(item, dict):
        try:
            return TranscriptSource(Transcript.model_validate(item), "<bag>")
        except ValidationError:
            try:  # the slow path, for located, worded errors
                return read_transcript_text(json.dumps(item, default=str), "<bag>")
            except TranscriptError as exc:
                return exc
    return TranscriptError(
        None,
        [Diagnostic("E501", f"not a transcript: {type(item).__name__}", Location("<bag>", 1, 1))],
    )


def _error_record(learner_id: str | None, diagnostics: Sequence[Diagnostic]) -> dict[str, Any]:
    return {"learner": {"id": learner_id}, "errors": [d.to_dict() for d in diagnostics]}


def _evaluate_items(
    items: Iterable[Any],
    catalog: Any,
    as_of: dt.date | None,
    default_day: dt.date,
    include_planned: bool,
    credentials: list[str] | None,
    errors: Errors,
    detail: bool,
) -> list[dict[str, Any]]:
    cc = _resolve(catalog)
    out: list[dict[str, Any]] = []
    for item in items:
        src = _source(item)
        if isinstance(src, TranscriptError):
            if errors == "raise":
                raise src
            if errors == "report":
                out.append(_error_record(src.learner_id, src.diagnostics))
            continue
        day = as_of or src.transcript.as_of or default_day
        try:
            result = evaluate(cc, src, day, include_planned=include_planned, credentials=credentials, detail=detail)
        except MicrocredError as exc:
            if errors == "raise":
                raise
            if errors == "report":
                out.append(_error_record(src.transcript.learner.id, exc.diagnostics))
            continue
        out.append(result.to_json())
    return out


def evaluate_bag(
    bag: db.Bag,
    catalog: str | os.PathLike[str] | Catalog | CompiledCatalog,
    as_of: dt.date | None = None,
    include_planned: bool = False,
    *,
    credentials: Iterable[str] | None = None,
    errors: Errors = "report",
    detail: bool = True,
) -> db.Bag:
    """Evaluate every transcript of ``bag``; a bag of result JSON dicts, one a learner.

    Items may be :class:`~microcred.io.transcript.Transcript` or ``TranscriptSource`` objects,
    or JSON transcripts (dicts, or JSON Lines text as from ``db.read_text``). Each result is
    ``LearnerResult.to_json()``, exactly what :func:`microcred.rules.evaluate.evaluate` gives (and
    ``microcred evaluate --format json`` prints). ``as_of`` overrides each transcript's own
    date; without either, the date this function was called is used on every worker.

    A learner whose transcript has an error becomes ``{"learner": {"id": …}, "errors": [...]}``
    (``errors="report"``), is left out (``"skip"``), or fails the computation (``"raise"``).
    ``detail=False`` leaves out the costly extensions (requirement trees, reasons for
    courses not counted), as ``microcred batch`` does.
    """
    if errors not in ("report", "raise", "skip"):
        raise ValueError(f"errors must be report, raise or skip, not {errors!r}")
    cat, compiled = _catalog_arg(catalog)
    wanted = _check_credentials(compiled, credentials)
    source: Any = bag  # dask's Bag methods are untyped
    result: db.Bag = source.map_partitions(
        _evaluate_items, cat, as_of, dt.date.today(), include_planned, wanted, errors, detail
    )
    return result


# -- a dataframe of attempts ---------------------------------------------------------------


def _tag_order(df: Any, partition_info: dict[str, Any] | None = None) -> Any:
    """Number rows by (partition, position), so each learner's attempts keep their order
    through the shuffle."""
    number = int(partition_info["number"]) if partition_info else 0
    out = df.copy()
    out[_ORDER] = (number << 32) + pd.RangeIndex(len(df)).to_numpy(dtype="int64")
    return out


def _cell(value: Any) -> str:
    """A dataframe cell as the text a CSV cell holds."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _result_frame(rows: list[tuple[Any, ...]]) -> Any:
    """Object columns built as such (pandas would infer a string dtype and turn None into
    NaN), so that a missing date is None, as in the JSON results."""
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in RESULT_COLUMNS]
    return pd.DataFrame(
        {
            name: pd.Series(list(values), dtype="float64" if name == "progress" else object)
            for name, values in zip(RESULT_COLUMNS, columns, strict=True)
        }
    )


def _evaluate_frame(
    df: Any,
    catalog: Any,
    as_of: dt.date | None,
    default_day: dt.date,
    include_planned: bool,
    credentials: list[str] | None,
) -> Any:
    cc = _resolve(catalog)
    day = as_of or default_day
    columns = [c for c in CSV_COLUMNS if c in df.columns]
    col = {c: i for i, c in enumerate(columns)}
    rows: list[tuple[Any, ...]] = []
    if len(df):
        df = df.sort_values(_ORDER, kind="stable") if _ORDER in df.columns else df
        ids = [_cell(v) for v in df["learner_id"].tolist()]
        order = df[_ORDER].tolist() if _ORDER in df.columns else list(range(len(df)))
        values = list(zip(*(df[c].tolist() for c in columns), strict=True))
        by_learner: dict[str, list[Any]] = {}
        for lid, pos, vals in zip(ids, order, values, strict=True):
            line = int(pos) & 0xFFFFFFFF
            by_learner.setdefault(lid, []).append(
                ("<dataframe>", line + 2, col, {c: _cell(v) for c, v in zip(columns, vals, strict=True)})
            )
        for lid in sorted(by_learner):
            if not lid:
                rows.append((None, None, "error", None, None, 0.0, "E504 row has no learner_id"))
                continue
            src = transcript_from_rows(lid, by_learner[lid])
            if isinstance(src, TranscriptError):
                rows.append((lid, None, "error", None, None, 0.0, _message(src.diagnostics)))
                continue
            try:
                result = evaluate(cc, src, day, include_planned=include_planned, credentials=credentials, detail=False)
            except MicrocredError as exc:
                rows.append((lid, None, "error", None, None, 0.0, _message(exc.diagnostics)))
                continue
            for cid, r in result.credentials.items():
                rows.append(
                    (
                        lid,
                        cid,
                        r.status,
                        r.earned_on.isoformat() if r.earned_on else None,
                        r.expires_on.isoformat() if r.expires_on else None,
                        float(r.progress),
                        None,
                    )
                )
    return _result_frame(rows)


def _message(diagnostics: Sequence[Diagnostic]) -> str:
    return "; ".join(f"{d.code} {d.message}" for d in diagnostics)


def evaluate_dataframe(
    ddf: dd.DataFrame,
    catalog: str | os.PathLike[str] | Catalog | CompiledCatalog,
    as_of: dt.date | None = None,
    include_planned: bool = False,
    *,
    credentials: Iterable[str] | None = None,
    partitioned_by_learner: bool = False,
) -> dd.DataFrame:
    """Evaluate a dataframe of attempts (the CSV columns ``learner_id, course, date, grade``
    and optionally ``credits, status``; other columns are ignored); a dataframe with one row
    a learner × credential: ``learner_id, credential, status, earned_on, expires_on,
    progress, error`` (dates as ``YYYY-MM-DD`` text or null).

    Rows are shuffled so that each learner's attempts meet in one partition (their order is
    kept); pass ``partitioned_by_learner=True`` when they already do (e.g. after
    ``set_index("learner_id")``-style partitioning) to skip the shuffle. A learner whose rows
    have an error (a malformed date, a grade off the scale…) gets one row with status
    ``error``, no credential, and the messages in ``error``. Read CSVs with ``dtype=str`` so
    that ids such as ``007`` keep their zeros.
    """
    missing = [c for c in CSV_REQUIRED if c not in ddf.columns]
    if missing:
        raise ValueError(f"the dataframe lacks column(s) {', '.join(missing)}; expected {','.join(CSV_COLUMNS)}")
    cat, compiled = _catalog_arg(catalog)
    wanted = _check_credentials(compiled, credentials)
    keep = [c for c in CSV_COLUMNS if c in ddf.columns]
    frame = ddf[keep]
    if not partitioned_by_learner:
        frame = frame.map_partitions(_tag_order, meta=_tag_order(frame._meta))
        frame = frame.shuffle(on="learner_id")
    meta = _result_frame([])
    out: dd.DataFrame = frame.map_partitions(
        _evaluate_frame, cat, as_of, dt.date.today(), include_planned, wanted, meta=meta, enforce_metadata=False
    )
    return out


# -- a population, generated on the cluster ------------------------------------------------


def _generate_slice(
    span: tuple[int, int],
    catalog: Any,
    seed: int,
    as_of: dt.date,
    fmt: Literal["transcript", "json"],
    programmes: tuple[Programme, ...],
) -> list[Any]:
    from microcred.run.generate import generate_population, transcript_to_json

    start, count = span
    cc = _resolve(catalog)
    items = generate_population(cc, count, seed, as_of, start=start, programmes=programmes)
    if fmt == "json":
        return [transcript_to_json(t) for t in items]
    return list(items)


def generate_bag(
    catalog: str | os.PathLike[str] | Catalog | CompiledCatalog,
    learners: int,
    seed: int,
    as_of: dt.date,
    *,
    npartitions: int = 8,
    as_json: bool = False,
) -> db.Bag:
    """A synthetic population (:func:`microcred.run.generate.generate_population`) generated in
    ``npartitions`` slices on the workers: the same learners as one sequential run (the
    catalogue's programmes file is read here, once: the workers' copies of the catalogue do not
    remember its files)."""
    from microcred.io.programmes import programmes_file, read_programmes
    from microcred.run.programmes import from_file

    if learners < 0 or npartitions < 1:
        raise ValueError("learners must not be negative and npartitions must be at least 1")
    size = max(1, -(-learners // npartitions))
    spans = [(s, min(size, learners - s)) for s in range(0, learners, size)] or [(0, 0)]
    cat, compiled = _catalog_arg(catalog)
    found = programmes_file(catalog if isinstance(catalog, (str, os.PathLike)) else compiled.catalog)
    programmes = from_file(read_programmes(found, compiled.catalog)) if found is not None else ()
    fmt: Literal["transcript", "json"] = "json" if as_json else "transcript"
    bags: Any = db  # dask.bag's functions are untyped
    bag: db.Bag = bags.from_sequence(spans, npartitions=len(spans)).map_partitions(
        lambda part, c: [x for span in part for x in _generate_slice(span, c, seed, as_of, fmt, programmes)], cat
    )
    return bag
