"""The metrics table written as CSV, JSON or Parquet: one row a figure, the same figures in
every format (rounded once, by :mod:`microcred.model.figures`, before they get here).

Columns: ``as_of``, ``dimension``, ``group``, ``subject`` (a credential id, ``type:T``, or ``*``
for the group itself), ``subject_kind`` (credential, type, population), ``title``, ``target``
and ``target_title`` (stack-through), ``window_years``, ``metric``, ``unit`` (count, percent,
days, credits), ``value``, ``denominator``, ``suppressed``. A suppressed figure has no value and
``suppressed`` true.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from microcred.analysis.metrics import DESCRIPTIONS, UNITS, MetricsTable, Row
from microcred.io.atomicfile import write_atomically

COLUMNS = (
    "as_of",
    "dimension",
    "group",
    "subject",
    "subject_kind",
    "title",
    "target",
    "target_title",
    "window_years",
    "metric",
    "unit",
    "value",
    "denominator",
    "suppressed",
)


def _record(table: MetricsTable, r: Row) -> dict[str, Any]:
    return {
        "as_of": r.as_of,
        "dimension": r.dimension,
        "group": r.group,
        "subject": r.subject,
        "subject_kind": r.kind,
        "title": table.title(r.subject),
        "target": r.target or None,
        "target_title": table.title(r.target) if r.target else None,
        "window_years": r.window or None,
        "metric": r.metric,
        "unit": UNITS.get(r.metric, "count"),
        "value": r.value,
        "denominator": r.denominator,
        "suppressed": r.suppressed,
    }


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)  # an int, or a Decimal with one decimal: 66.7


def to_csv(table: MetricsTable) -> str:
    """One line a figure, with a header (:data:`COLUMNS`)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for r in table.rows:
        rec = _record(table, r)
        w.writerow([_cell(rec[c]) for c in COLUMNS])
    return buf.getvalue()


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)  # one decimal: the shortest float text is that decimal (66.7)
    return value


def to_json(table: MetricsTable) -> str:
    """The figures and what they mean: ``{"min_group_size", "windows_years", "renewal_window_months",
    "as_of", "dimensions", "metrics": {name: {description, unit}}, "rows": [...]}``."""
    doc = {
        "min_group_size": table.min_group_size,
        "windows_years": list(table.windows),
        "renewal_window_months": table.renewal_months,
        "as_of": table.as_of_dates(),
        "dimensions": list(table.dimensions),
        "metrics": {m: {"description": d, "unit": UNITS.get(m, "count")} for m, d in DESCRIPTIONS.items()},
        "rows": [{k: _json_value(v) for k, v in _record(table, r).items()} for r in table.rows],
    }
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n"


class ParquetUnavailable(ImportError):
    """Parquet needs pyarrow (``pip install 'microcred[parquet]'``)."""


def to_parquet(table: MetricsTable, path: str | Path) -> None:
    """The figures as a Parquet file (pyarrow): ``value`` is a decimal with one place
    (decimal128(20, 1)), so a rate reads back as exactly the number the CSV shows."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise ParquetUnavailable(
            "Parquet output needs pyarrow: pip install 'microcred[parquet]'; or write CSV or JSON"
        ) from exc
    recs = [_record(table, r) for r in table.rows]
    schema = pa.schema(
        [
            ("as_of", pa.string()),
            ("dimension", pa.string()),
            ("group", pa.string()),
            ("subject", pa.string()),
            ("subject_kind", pa.string()),
            ("title", pa.string()),
            ("target", pa.string()),
            ("target_title", pa.string()),
            ("window_years", pa.int32()),
            ("metric", pa.string()),
            ("unit", pa.string()),
            ("value", pa.decimal128(20, 1)),
            ("denominator", pa.int64()),
            ("suppressed", pa.bool_()),
        ]
    )
    cols: dict[str, list[Any]] = {c: [] for c in COLUMNS}
    for rec in recs:
        for c in COLUMNS:
            v = rec[c]
            if c == "value" and v is not None:
                v = Decimal(v).quantize(Decimal("0.1"))
            cols[c].append(v)
    arrow = pa.table(cols, schema=schema)
    sink = pa.BufferOutputStream()
    pq.write_table(arrow, sink)
    # through the one atomic writer: a reader never sees half a file
    write_atomically(path, sink.getvalue().to_pybytes())


__all__ = ["COLUMNS", "ParquetUnavailable", "to_csv", "to_json", "to_parquet"]
