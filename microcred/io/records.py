"""A learner's rows from tables (a database or Parquet) into a transcript, checked row by row.

Rows arrive as the database or Parquet hands them over (dates as dates or ISO text, credits
as numbers or text, NULLs as ``None``), already grouped by learner. Each row is checked by
plain code rather than through the pydantic models (which cost several times more a row): a
learner whose rows break the transcript format gets its errors, each with the row itself, and
is not evaluated; the transcript of a learner whose rows pass is built without validating it
a second time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from microcred.io.transcript import STATUSES, Attempt, Awarded, Learner, Transcript, TranscriptSource
from microcred.model.diagnostics import CODES, Diagnostic, Location

#: The columns read from each input, in the order rows are kept.
ATTEMPT_COLUMNS: tuple[str, ...] = ("course", "date", "grade", "credits", "status")
AWARD_COLUMNS: tuple[str, ...] = ("credential", "date", "expires_on")
LEARNER_COLUMNS: tuple[str, ...] = ("name", "email")
#: Columns an input must have (besides ``learner_id``).
REQUIRED: dict[str, tuple[str, ...]] = {
    "attempts": ("course", "date", "grade"),
    "awards": ("credential", "date"),
    "learners": (),
}
COLUMNS: dict[str, tuple[str, ...]] = {
    "attempts": ATTEMPT_COLUMNS,
    "awards": AWARD_COLUMNS,
    "learners": LEARNER_COLUMNS,
}
_DATED = ("completed", "transfer")


@dataclass
class LearnerRecord:
    """One learner's rows from every input, each row in the order of ``COLUMNS``."""

    learner_id: str
    attempts: list[tuple[Any, ...]] = field(default_factory=list)
    awards: list[tuple[Any, ...]] = field(default_factory=list)
    learners: list[tuple[Any, ...]] = field(default_factory=list)


def rows_digest(salt: str, rows: dict[str, list[tuple[Any, ...]]]) -> str:
    """A digest of one learner's rows of each input, as the reader returned them (any order),
    and of ``salt`` (the catalogue's digest and the options that change results): equal
    digests, equal rows, so equal evaluations at any one date.

    A row is written as Python's ``repr`` of its values, which is exact and names each value's
    type (``'3'``, ``3`` and ``3.0`` differ; a float in full), and the rows of an input are
    sorted as text, so the order the database returns them in does not matter."""
    h = hashlib.blake2b(salt.encode(), digest_size=16)
    for name in ("attempts", "awards", "learners"):
        h.update(b"\x1e" + name.encode() + b"\x1d")
        h.update("\x1f".join(sorted(map(repr, rows.get(name, ())))).encode("utf-8", "backslashreplace"))
    return h.hexdigest()


def _canonical(row: tuple[Any, ...]) -> str:
    return "\x1d".join(_plain_text(v) for v in row)


def _plain_text(v: Any) -> str:
    t = type(v)
    if t is str:
        return "str:" + v  # type: ignore[no-any-return]
    if v is None:
        return "\x00"
    if t is dt.date or isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()  # type: ignore[no-any-return]
    if isinstance(v, (int, float, Decimal)) and not isinstance(v, bool):
        return repr(float(v))
    return f"{t.__name__}:{v}"


def jsonable(v: Any) -> Any:
    """A value of a row as JSON can hold it (for the errors table and file)."""
    if v is None or isinstance(v, (str, bool, int)):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else str(v)
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    if isinstance(v, Decimal):
        return float(v)
    return str(v)


@dataclass
class RowProblem:
    """One problem of one input row."""

    source: str  # attempts | awards | learners
    index: int  # the row's position among the learner's rows of that input
    column: str | None
    code: str
    message: str


@dataclass
class RecordSource(TranscriptSource):
    """A transcript built from table rows; locations name the input and the learner's row."""

    labels: dict[str, str] = field(default_factory=dict)

    def locate_attempt(self, index: int, key: str | None = None) -> Location:
        return _location(self.labels.get("attempts", "attempts"), index, key, ATTEMPT_COLUMNS)

    def locate(self, path: Sequence[str | int]) -> Location:
        if len(path) >= 2 and path[0] == "awarded" and isinstance(path[1], int):
            key = path[2] if len(path) > 2 and isinstance(path[2], str) else None
            return _location(self.labels.get("awards", "awards"), path[1], key, AWARD_COLUMNS)
        return Location(self.file, 1, 1)


def _location(label: str, index: int, key: str | None, columns: tuple[str, ...]) -> Location:
    column = 2 + columns.index(key) if key in columns else 1  # column 1 is learner_id
    return Location(label, index + 1, column)


def row_of(record: LearnerRecord, source: str, index: int) -> dict[str, Any] | None:
    """The row behind a problem, as a JSON object (``learner_id`` first)."""
    rows = getattr(record, source, None)
    if rows is None or not 0 <= index < len(rows):
        return None
    out: dict[str, Any] = {"learner_id": record.learner_id}
    out.update({c: jsonable(v) for c, v in zip(COLUMNS[source], rows[index], strict=True)})
    return out


def _text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, str):
        s = v.strip()
        return s or None
    raise TypeError


def _date(v: Any) -> dt.date | None:
    if v is None:
        return None
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if isinstance(v, str):
        if not v.strip():
            return None
        try:
            return dt.date.fromisoformat(v.strip())
        except ValueError:
            raise ValueError(f"{v!r} is not a date; write YYYY-MM-DD, e.g. 2025-05-09") from None
    raise ValueError(f"{v!r} is not a date")


def _credits(v: Any) -> float | None:
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    if isinstance(v, bool):
        raise ValueError(f"credits {v!r} is not a number")
    if isinstance(v, (int, float, Decimal)):
        x = float(v)
    elif isinstance(v, str):
        try:
            x = float(v)
        except ValueError:
            raise ValueError(f"credits {v!r} is not a number") from None
    else:
        raise ValueError(f"credits {v!r} is not a number")
    if not math.isfinite(x):
        raise ValueError(f"credits {v!r} is not a number")
    if x < 0:
        raise ValueError("credits must not be negative")
    return x


def build_transcript(record: LearnerRecord) -> Transcript | list[RowProblem]:
    """The learner's transcript, or every problem of its rows (then it is not evaluated)."""
    # one order whatever order the database returned the rows in: the same record, the same result
    keyed = sorted(((_canonical(r), r) for r in record.attempts), key=lambda kr: kr[0])
    record.attempts[:] = [r for _k, r in keyed]
    attempt_keys = [k for k, _r in keyed]
    keyed = sorted(((_canonical(r), r) for r in record.awards), key=lambda kr: kr[0])
    record.awards[:] = [r for _k, r in keyed]
    award_keys = [k for k, _r in keyed]
    problems: list[RowProblem] = []
    attempts: list[Attempt] = []
    seen: dict[str, int] = {}
    for i, row in enumerate(record.attempts):
        course_v, date_v, grade_v, credits_v, status_v = row
        before = len(problems)
        try:
            course = _text(course_v)
        except TypeError:
            course = None
            problems.append(RowProblem("attempts", i, "course", "E501", f"course {course_v!r} is not text"))
        else:
            if course is None:
                problems.append(RowProblem("attempts", i, "course", "E501", "the attempt has no course"))
        try:
            grade = _text(grade_v)
        except TypeError:
            grade = None
            problems.append(RowProblem("attempts", i, "grade", "E501", f"grade {grade_v!r} is not text"))
        try:
            status = _text(status_v) or "completed"
        except TypeError:
            status = "completed"
            problems.append(RowProblem("attempts", i, "status", "E501", f"status {status_v!r} is not text"))
        if status not in STATUSES:
            problems.append(
                RowProblem("attempts", i, "status", "E501", f"status {status!r} is not one of: {', '.join(STATUSES)}")
            )
        try:
            date = _date(date_v)
        except ValueError as exc:
            date = None
            problems.append(RowProblem("attempts", i, "date", "E503", f"date: {exc}"))
        else:
            if date is None and status in _DATED:
                problems.append(
                    RowProblem("attempts", i, "date", "E503", f"date: a {status} attempt needs a date (YYYY-MM-DD)")
                )
        if grade is None and status in _DATED:
            problems.append(RowProblem("attempts", i, "grade", "E501", f"grade: a {status} attempt needs a grade"))
        try:
            credits = _credits(credits_v)
        except ValueError as exc:
            credits = None
            problems.append(RowProblem("attempts", i, "credits", "E501", str(exc)))
        if len(problems) > before:
            continue
        key = attempt_keys[i]
        if key in seen:
            problems.append(
                RowProblem(
                    "attempts",
                    i,
                    None,
                    "E506",
                    f"the same attempt twice (as row {seen[key] + 1} of this learner's attempts); remove the duplicate",
                )
            )
            continue
        seen[key] = i
        attempts.append(
            Attempt.model_construct(
                course=cast(str, course), date=date, grade=grade, credits=credits, status=cast(Any, status), term=None
            )
        )
    awarded: list[Awarded] = []
    seen.clear()
    for i, row in enumerate(record.awards):
        cred_v, date_v, expires_v = row
        before = len(problems)
        try:
            cred = _text(cred_v)
        except TypeError:
            cred = None
        if cred is None:
            problems.append(RowProblem("awards", i, "credential", "E501", "the award names no credential (text)"))
        dates: list[dt.date | None] = []
        for col, v in (("date", date_v), ("expires_on", expires_v)):
            try:
                dates.append(_date(v))
            except ValueError as exc:
                dates.append(None)
                problems.append(RowProblem("awards", i, col, "E503", f"{col}: {exc}"))
        date, expires = dates
        if date is None and len(problems) == before:
            problems.append(RowProblem("awards", i, "date", "E503", "date: an award needs a date (YYYY-MM-DD)"))
        if date is not None and expires is not None and expires <= date:
            problems.append(RowProblem("awards", i, "expires_on", "E501", "expires_on must be after the award date"))
        if len(problems) > before:
            continue
        key = award_keys[i]
        if key in seen:
            problems.append(
                RowProblem("awards", i, None, "E506", f"the same award twice (as row {seen[key] + 1}); remove one")
            )
            continue
        seen[key] = i
        awarded.append(
            Awarded.model_construct(
                credential=cast(str, cred), date=cast(dt.date, date), expires_on=expires, issuer=None, evidence=None
            )
        )
    name = email = None
    if len(record.learners) > 1:
        problems.append(
            RowProblem("learners", 1, None, "E506", "the learner has more than one row; keep one row a learner")
        )
    elif record.learners:
        try:
            name, email = _text(record.learners[0][0]), _text(record.learners[0][1])
        except TypeError:
            problems.append(RowProblem("learners", 0, None, "E501", "name and email must be text"))
    if problems:
        return problems
    return Transcript.model_construct(
        learner=Learner.model_construct(id=record.learner_id, name=name, email=email, identifiers=[]),
        as_of=None,
        attempts=attempts,
        awarded=awarded,
        exceptions=[],
    )


def source_of(transcript: Transcript, labels: dict[str, str]) -> RecordSource:
    """The transcript with locations that name the input and the learner's row."""
    return RecordSource(transcript, labels.get("attempts", "attempts"), None, [], labels)


def problem_record(record: LearnerRecord, p: RowProblem, labels: dict[str, str]) -> dict[str, Any]:
    """One problem as an errors record: the learner, the input, the row, code and message."""
    return {
        "learner": record.learner_id,
        "source": labels.get(p.source, p.source),
        "row": row_of(record, p.source, p.index),
        "column": p.column,
        "code": p.code,
        "severity": CODES[p.code].severity.value,
        "message": p.message,
    }


def diagnostic_record(record: LearnerRecord, d: Diagnostic, labels: dict[str, str]) -> dict[str, Any]:
    """A diagnostic of the evaluation (a grade off the scale, a course the catalogue lacks)
    as an errors record, with the row its location names."""
    loc = d.location
    source = next((s for s, lab in labels.items() if loc is not None and lab == loc.file), None)
    row = row_of(record, source, loc.line - 1) if source and loc else None
    column = None
    if source and loc and loc.column >= 2:
        cols = COLUMNS[source]
        column = cols[loc.column - 2] if loc.column - 2 < len(cols) else None
    return {
        "learner": record.learner_id,
        "source": loc.file if loc else None,
        "row": row,
        "column": column,
        "code": d.code,
        "severity": d.severity.value,
        "message": d.message,
    }
