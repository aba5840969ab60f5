"""Parquet in and out (through pyarrow, an optional extra).

In: files of attempts (the CSV columns), awards and learners, any row order; each file is
read whole, sorted by learner id and handed over one learner at a time. Out: one row a
learner and credential, the columns of the database's ``microcred_results`` table, written
to ``OUT.partial`` in row groups and renamed to ``OUT`` at the end.
"""

from __future__ import annotations

import contextlib
import itertools
import operator
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from microcred.io.records import COLUMNS, REQUIRED
from microcred.model.usage import UsageError

#: Rows of results a row group holds.
ROW_GROUP = 50_000


def _pyarrow(where: str) -> Any:
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise UsageError(
            where, "Parquet needs pyarrow, which is not installed", "pip install 'microcred[parquet]'"
        ) from None
    return pyarrow


def read_rows(path: Path, kind: str, after: str | None) -> Iterator[tuple[str | None, list[tuple[Any, ...]]]]:
    """One Parquet file's rows, learner by learner in learner-id order (code-point order), after
    ``after``: (learner id, rows), each row the learner id first and then the columns of
    ``COLUMNS`` (as :func:`microcred.io.sql.read_rows`). A blank or missing id comes as None."""
    where = f"--{kind} {path}" if kind != "attempts" else str(path)
    pa = _pyarrow(where)
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
    except (OSError, pa.ArrowException) as exc:
        raise UsageError(where, f"not a readable Parquet file: {exc}", "check the file") from None
    found = {n.lower(): n for n in schema.names}
    missing = [c for c in ("learner_id", *REQUIRED[kind]) if c not in found]
    if missing:
        raise UsageError(
            where,
            "has no column" + ("s " if len(missing) > 1 else " ") + ", ".join(missing),
            f"expected learner_id,{','.join(COLUMNS[kind])}",
        )
    names = [found["learner_id"], *(found[c] for c in COLUMNS[kind] if c in found)]
    table = pq.read_table(path, columns=names)
    ids = pc.cast(table.column(found["learner_id"]), pa.string())
    table = table.append_column("__key", ids)
    if after is not None:
        table = table.filter(pc.greater(table.column("__key"), pa.scalar(after)))
    # a string sort in pyarrow is by bytes: UTF-8 bytes sort as code points, as Python does
    table = table.sort_by([("__key", "ascending")])
    keys = table.column("__key").to_pylist()
    cols = [table.column(found[c]).to_pylist() if c in found else [None] * len(keys) for c in COLUMNS[kind]]
    for lid, group in itertools.groupby(zip(keys, *cols, strict=True), operator.itemgetter(0)):
        yield (lid if lid is not None and lid.strip() else None), list(group)


class ParquetResults:
    """Results written to a Parquet file (with its errors to a JSON Lines file)."""

    def __init__(self, out: Path, errors: Path) -> None:
        self.out, self.errors = out, errors
        self.part = out.with_name(out.name + ".partial")
        self.writer: Any = None
        self.err_fh: Any = None
        self.buffer: list[tuple[Any, ...]] = []

    def open(self) -> None:
        pa = _pyarrow(f"-o {self.out}")
        import pyarrow.parquet as pq

        from microcred.io.sql import RESULT_COLUMNS

        if self.writer is not None:
            return  # a reconnection of the input: what was written stays
        types = {
            "position": pa.int32(),
            "earned_on": pa.date32(),
            "expires_on": pa.date32(),
            "progress": pa.float64(),
            "awarded": pa.bool_(),
        }
        self.columns = RESULT_COLUMNS
        self.schema = pa.schema([(c, types.get(c, pa.string())) for c in RESULT_COLUMNS])
        self.writer = pq.ParquetWriter(self.part, self.schema, compression="zstd")
        self.err_fh = self.errors.with_name(self.errors.name + ".partial").open("w", encoding="utf-8")

    def write(self, results: list[tuple[Any, ...]], errors: list[str]) -> None:
        self.buffer.extend(results)
        if len(self.buffer) >= ROW_GROUP:
            self._flush()
        for line in errors:
            self.err_fh.write(line)

    def _flush(self) -> None:
        if not self.buffer:
            return
        import datetime as dt

        import pyarrow as pa

        cols: list[list[Any]] = [list(c) for c in zip(*self.buffer, strict=True)]
        for name in ("earned_on", "expires_on"):
            i = self.columns.index(name)
            cols[i] = [dt.date.fromisoformat(v) if v else None for v in cols[i]]
        batch = pa.record_batch(cols, schema=self.schema)
        self.writer.write_batch(batch)
        self.buffer.clear()

    def finish(self) -> None:
        self._flush()
        self.writer.close()
        self.err_fh.flush()
        os.fsync(self.err_fh.fileno())
        self.err_fh.close()
        os.replace(self.part, self.out)
        os.replace(self.errors.with_name(self.errors.name + ".partial"), self.errors)

    def close(self) -> None:
        if self.writer is not None:
            with contextlib.suppress(Exception):
                self.writer.close()
        if self.err_fh is not None and not self.err_fh.closed:
            self.err_fh.close()


def write_table(path: Path, columns: dict[str, list[Any]]) -> None:
    """Write columns to a Parquet file (for tests and for handing data over)."""
    pa = _pyarrow(str(path))
    import pyarrow.parquet as pq

    pq.write_table(pa.table(columns), path)
