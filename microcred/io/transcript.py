"""Transcripts: a learner's attempts, awarded credentials and advisor exceptions.

YAML or JSON hold one learner a file; CSV holds many (one row an attempt). Reading is as
strict as for catalogues: every error is located (file, line, column, or CSV row), and a
learner with an error is reported, never guessed at.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, StrictStr, TypeAdapter, ValidationError, model_validator

from microcred.io.modelerrors import diagnostics_from_validation
from microcred.io.yamlsource import YamlDocument, YamlLoadError, parse_yaml
from microcred.model.dates import Date
from microcred.model.diagnostics import Diagnostic, Location
from microcred.model.modelbase import Strict

Status = Literal["completed", "transfer", "in_progress", "planned"]
STATUSES: tuple[str, ...] = ("completed", "transfer", "in_progress", "planned")
DATED: tuple[str, ...] = ("completed", "transfer")


Credits = Annotated[float, Field(ge=0)]


class Learner(Strict):
    id: Annotated[StrictStr, Field(min_length=1)]
    name: StrictStr | None = None
    email: StrictStr | None = None
    identifiers: list[StrictStr] = Field(
        default_factory=list,
        description="Other ids the learner is known by (DIDs, URLs): external credentials issued to them are theirs.",
    )


class Attempt(Strict):
    """One attempt of a course."""

    course: StrictStr
    date: Date | None = None
    grade: StrictStr | None = None
    credits: Credits | None = Field(default=None, description="Overrides the catalogue's credits.")
    status: Status = "completed"
    term: StrictStr | None = None

    @model_validator(mode="after")
    def _dated(self) -> Attempt:
        if self.status in DATED:
            if self.date is None:
                raise ValueError(f"a {self.status} attempt needs a `date` (YYYY-MM-DD)")
            if self.grade is None:
                raise ValueError(f"a {self.status} attempt needs a `grade`")
        return self


class Awarded(Strict):
    """A credential held from outside this evaluation."""

    credential: StrictStr
    date: Date
    expires_on: Date | None = None
    issuer: StrictStr | None = None
    evidence: StrictStr | None = None

    @model_validator(mode="after")
    def _order(self) -> Awarded:
        if self.expires_on is not None and self.expires_on <= self.date:
            raise ValueError("expires_on must be after the award date")
        return self


class Substitution(Strict):
    course: StrictStr = Field(description="The course the learner took.")
    for_: StrictStr = Field(alias="for", description="The catalogue course it stands for.")


class Waive(Strict):
    """An advisor's waiver: the node with this id counts as met."""

    waive: StrictStr = Field(description="The `id` of a rule node.")
    credential: StrictStr | None = Field(default=None, description="Limit to one credential.")
    reason: Annotated[StrictStr, Field(min_length=1)]
    by: StrictStr | None = None


class Substitute(Strict):
    """An advisor's substitution: one course counts as another."""

    substitute: Substitution
    credential: StrictStr | None = None
    reason: Annotated[StrictStr, Field(min_length=1)]
    by: StrictStr | None = None


AdvisorException = Annotated[Waive | Substitute, Field(union_mode="left_to_right")]


class Transcript(Strict):
    """One learner's record."""

    learner: Learner
    as_of: Date | None = Field(default=None, description="Evaluation date; default: today.")
    attempts: list[Attempt] = Field(default_factory=list)
    awarded: list[Awarded] = Field(default_factory=list)
    exceptions: list[AdvisorException] = Field(default_factory=list)


_transcript = TypeAdapter(Transcript)


@dataclass
class TranscriptSource:
    """A transcript read from a file, with what is needed to locate its parts."""

    transcript: Transcript
    file: str
    document: YamlDocument | None = None
    #: CSV: the file and line of each attempt, in order
    attempt_lines: list[tuple[str, int]] = field(default_factory=list)

    def locate_attempt(self, index: int, key: str | None = None) -> Location:
        if self.document is not None:
            path: tuple[str | int, ...] = ("attempts", index) + ((key,) if key else ())
            loc: Location = self.document.locate(path)
            return loc
        file, line = self.attempt_lines[index] if index < len(self.attempt_lines) else (self.file, 1)
        col = 1 + CSV_COLUMNS.index(key) if key in CSV_COLUMNS else 1
        return Location(file, line, col)

    def locate(self, path: Sequence[str | int]) -> Location:
        if self.document is not None:
            loc: Location = self.document.locate(path)
            return loc
        return Location(self.file, 1, 1)


def read_transcript_text(text: str | bytes, file: str) -> TranscriptSource:
    """Read one YAML or JSON transcript. Raises :class:`TranscriptError`."""
    try:
        doc = parse_yaml(text, file)
    except YamlLoadError as exc:
        raise TranscriptError(None, [_transcript_code(exc.diagnostic)]) from None
    data = doc.data
    if not isinstance(data, dict):
        raise TranscriptError(
            None,
            [Diagnostic("E501", "a transcript must be a mapping with `learner` and `attempts`", doc.locate(()))],
        )
    learner_id = _learner_id(data)
    if not learner_id:
        raise TranscriptError(
            None,
            [
                Diagnostic(
                    "E504",
                    "the learner has no id; add `learner: {id: ...}`",
                    doc.locate(("learner", "id") if isinstance(data.get("learner"), dict) else ("learner",)),
                )
            ],
        )
    try:
        transcript = _transcript.validate_python(data)
    except ValidationError as exc:
        diags = [_transcript_code(d) for d in diagnostics_from_validation(exc, doc, (), data, Transcript)]
        raise TranscriptError(learner_id, diags) from None
    return TranscriptSource(transcript, file, doc)


def _learner_id(data: dict[str, Any]) -> str | None:
    learner = data.get("learner")
    if isinstance(learner, dict):
        ident = learner.get("id")
        if isinstance(ident, (str, int)) and not isinstance(ident, bool) and str(ident).strip():
            return str(ident)
    return None


def _transcript_code(d: Diagnostic) -> Diagnostic:
    """Transcript problems carry transcript codes: dates E503, everything else E501."""
    if d.code not in ("E203", "E201", "E202", "E204"):
        return d
    code = "E503" if ("date" in d.message.lower() and d.code == "E203") else "E501"
    return Diagnostic(code, d.message, d.location, d.subject)


class TranscriptError(Exception):
    def __init__(self, learner_id: str | None, diagnostics: list[Diagnostic]):
        super().__init__("; ".join(str(d) for d in diagnostics))
        self.learner_id = learner_id
        self.diagnostics = diagnostics


CSV_COLUMNS: tuple[str, ...] = ("learner_id", "course", "date", "grade", "credits", "status")
CSV_REQUIRED: tuple[str, ...] = ("learner_id", "course", "date", "grade")


#: One CSV row: (file, line, the header's column positions, the row's values by column)
CsvRow = tuple[str, int, dict[str, int], dict[str, str]]


def csv_columns(header: list[str], file: str) -> dict[str, int] | TranscriptError:
    """The position of each column, or the error that makes the whole file unreadable."""
    header = [h.strip() for h in header]
    missing = [c for c in CSV_REQUIRED if c not in header]
    unknown = [c for c in header if c not in CSV_COLUMNS]
    if missing or unknown:
        parts = []
        if missing:
            parts.append("missing column" + ("s " if len(missing) > 1 else " ") + ", ".join(missing))
        if unknown:
            parts.append("unknown column" + ("s " if len(unknown) > 1 else " ") + ", ".join(unknown))
        message = f"CSV header: {'; '.join(parts)}; expected {','.join(CSV_COLUMNS)}"
        return TranscriptError(None, [Diagnostic("E501", message, Location(file, 1, 1))])
    return {name: i for i, name in enumerate(header)}


def csv_rows(
    reader: Iterator[list[str]], file: str, col: dict[str, int], line_of: Any
) -> Iterator[CsvRow | TranscriptError]:
    """Rows of a CSV after its header: each row, or the error of a row that cannot belong to a
    learner (wrong field count, no learner id). ``line_of()`` gives the current line."""
    width = len(col)
    for row in reader:
        line = int(line_of())
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != width:
            lid = row[col["learner_id"]].strip() if len(row) > col["learner_id"] else None
            yield TranscriptError(
                lid or None,
                [Diagnostic("E501", f"row has {len(row)} fields, the header {width}", Location(file, line, 1))],
            )
            continue
        values = {name: row[i].strip() for name, i in col.items()}
        if not values["learner_id"]:
            yield TranscriptError(
                None, [Diagnostic("E504", "row has no learner_id", Location(file, line, 1 + col["learner_id"]))]
            )
            continue
        yield (file, line, col, values)


def transcript_from_rows(
    learner_id: str, rows: list[CsvRow], as_of: dt.date | None = None
) -> TranscriptSource | TranscriptError:
    """One learner's transcript from its CSV rows (from one file or several)."""
    quick = _quick_transcript(learner_id, rows, as_of)
    if quick is not None:
        return quick
    attempts: list[dict[str, Any]] = []
    lines: list[tuple[str, int]] = []
    diags: list[Diagnostic] = []
    for file, line, col, values in rows:
        try:
            raw = _raw_attempt(values)
        except ValueError:
            diags.append(
                Diagnostic(
                    "E501",
                    f"credits {values['credits']!r} is not a number",
                    Location(file, line, 1 + col["credits"]),
                )
            )
            continue
        try:
            Attempt.model_validate(raw)
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                where = next((str(x) for x in err["loc"] if isinstance(x, str)), "")
                column = 1 + col[where] if where in col else 1
                msg = str(err["msg"]).removeprefix("Value error, ")
                code = "E503" if where == "date" or "date" in msg else "E501"
                if err["type"] == "literal_error":
                    msg = f"status {values.get('status')!r} is not one of: {', '.join(STATUSES)}"
                elif err["type"] == "greater_than_equal":
                    msg = f"{where} must not be negative"
                diags.append(Diagnostic(code, f"{where or 'row'}: {msg}", Location(file, line, column)))
            continue
        attempts.append(raw)
        lines.append((file, line))
    if diags:
        return TranscriptError(learner_id, diags)
    transcript = Transcript.model_validate({"learner": {"id": learner_id}, "as_of": as_of, "attempts": attempts})
    file = rows[0][0] if rows else "<csv>"
    return TranscriptSource(transcript, file, None, lines)


def _quick_transcript(learner_id: str, rows: list[CsvRow], as_of: dt.date | None) -> TranscriptSource | None:
    """The transcript of rows that validate, validated once, as a whole: the same models, from
    the same values, as the general path's last step builds after checking row by row. None
    when anything is wrong: the caller then validates row by row, which locates and words
    each error."""
    try:
        attempts = [_raw_attempt(values) for _file, _line, _col, values in rows]
        transcript = Transcript.model_validate({"learner": {"id": learner_id}, "as_of": as_of, "attempts": attempts})
    except (ValueError, ValidationError):  # credits that are not a number, or what the models refuse
        return None
    return TranscriptSource(transcript, rows[0][0] if rows else "<csv>", None, [(r[0], r[1]) for r in rows])


def _raw_attempt(values: dict[str, str]) -> dict[str, Any]:
    """An attempt's fields from a CSV row's values, as the models read them (empty cells left
    out). Raises ValueError for credits that are not a number."""
    raw: dict[str, Any] = {"course": values["course"]}
    if values["date"]:
        raw["date"] = values["date"]
    if values["grade"]:
        raw["grade"] = values["grade"]
    if values.get("credits"):
        raw["credits"] = float(values["credits"])
    if values.get("status"):
        raw["status"] = values["status"]
    return raw


def iter_csv(text: str, file: str, as_of: dt.date | None = None) -> Iterator[TranscriptSource | TranscriptError]:
    """Learners of a CSV of attempts (rows need not be sorted), each a transcript or an error.

    A row with a problem is reported with its line; its learner is not evaluated, the
    others are. (For inputs too large for memory, see :mod:`microcred.run.batch`.)
    """
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        yield TranscriptError(
            None, [Diagnostic("E501", "empty CSV file: expected a header line", Location(file, 1, 1))]
        )
        return
    col = csv_columns(header, file)
    if isinstance(col, TranscriptError):
        yield col
        return
    grouped: dict[str, list[CsvRow]] = {}
    broken: dict[str | None, list[Diagnostic]] = {}
    for row in csv_rows(reader, file, col, lambda: reader.line_num):
        if isinstance(row, TranscriptError):
            broken.setdefault(row.learner_id, []).extend(row.diagnostics)
        else:
            grouped.setdefault(row[3]["learner_id"], []).append(row)
    for lid, rows in grouped.items():
        result = transcript_from_rows(lid, rows, as_of)
        if lid in broken:
            diags = broken.pop(lid) + (result.diagnostics if isinstance(result, TranscriptError) else [])
            yield TranscriptError(lid, diags)
        else:
            yield result
    for lid_or_none, diags in broken.items():
        yield TranscriptError(lid_or_none, diags)


def transcript_from_json_line(text: str, file: str, line: int) -> TranscriptSource | TranscriptError:
    """One transcript from one line of a JSONL file; errors name the file and the line."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        message = f"not a JSON transcript (truncated line?): {exc.msg}"
        return TranscriptError(None, [Diagnostic("E501", message, Location(file, line, exc.colno))])
    try:
        src = read_transcript_text(json.dumps(data), file)
    except TranscriptError as exc:
        exc.diagnostics = [Diagnostic(d.code, d.message, Location(file, line, 1), d.subject) for d in exc.diagnostics]
        return exc
    src.attempt_lines = [(file, line)] * len(src.transcript.attempts)
    src.document = None
    return src


def read_transcripts(path: Path, display: str | None = None) -> Iterator[TranscriptSource | TranscriptError]:
    """Every learner in one input file (YAML, JSON or CSV)."""
    name = display or str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        yield TranscriptError(
            None, [Diagnostic("E100", f"cannot read file: {exc.strerror or exc}", Location(name, 1, 1))]
        )
        return
    if path.suffix.lower() == ".jsonl":
        text = raw.decode("utf-8", errors="replace")
        for n, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                yield transcript_from_json_line(line, name, n)
        return
    if path.suffix.lower() == ".csv":
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            yield TranscriptError(None, [Diagnostic("E100", f"not UTF-8 text: {exc}", Location(name, 1, 1))])
            return
        yield from iter_csv(text, name)
        return
    try:
        yield read_transcript_text(raw, name)
    except TranscriptError as exc:
        yield exc
