"""Diagnostics: errors and warnings as values, each with a stable code and a location.

Nothing here prints. Checks *yield* diagnostics; the command line decides how to show them
and which exit code follows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Location:
    """A 1-based position in a source file."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class CodeInfo:
    code: str
    severity: Severity
    title: str


#: Every code microcred reports. Stable: a code is never reused for another meaning.
#: ``docs/errors.md`` documents each one (a test keeps the two in step).
CODES: dict[str, CodeInfo] = {
    c.code: c
    for c in [
        # Reading files
        CodeInfo("E100", Severity.ERROR, "file cannot be read"),
        CodeInfo("E101", Severity.ERROR, "YAML syntax error"),
        CodeInfo("E102", Severity.ERROR, "duplicate key in a mapping"),
        CodeInfo("E103", Severity.ERROR, "alias expansion or nesting too large"),
        CodeInfo("E104", Severity.ERROR, "YAML tag not allowed"),
        CodeInfo("E105", Severity.ERROR, "file too large"),
        # Shape of the documents
        CodeInfo("E201", Severity.ERROR, "unknown key"),
        CodeInfo("E202", Severity.ERROR, "required key missing"),
        CodeInfo("E203", Severity.ERROR, "invalid value"),
        CodeInfo("E204", Severity.ERROR, "rule is not exactly one node"),
        CodeInfo("E205", Severity.ERROR, "id defined twice"),
        # References and the taxonomy
        CodeInfo("E301", Severity.ERROR, "unknown course"),
        CodeInfo("E302", Severity.ERROR, "unknown credential"),
        CodeInfo("E303", Severity.ERROR, "unknown credential type"),
        CodeInfo("E304", Severity.ERROR, "stacking cycle"),
        CodeInfo("E305", Severity.ERROR, "stacking forbidden by the taxonomy"),
        CodeInfo("E306", Severity.ERROR, "grade not on the grade scale"),
        CodeInfo("E307", Severity.ERROR, "required metadata missing"),
        CodeInfo("E308", Severity.ERROR, "credit value outside the type's bounds"),
        # Competencies
        CodeInfo("E320", Severity.ERROR, "framework file cannot be read"),
        CodeInfo("E321", Severity.ERROR, "unknown competency"),
        CodeInfo("E322", Severity.ERROR, "competency level outside the framework's levels"),
        CodeInfo("E323", Severity.ERROR, "competency alignment missing"),
        # Rules that can never hold
        CodeInfo("E401", Severity.ERROR, "at_least asks for more children than it has"),
        CodeInfo("E402", Severity.ERROR, "more courses demanded than the selector can supply"),
        CodeInfo("E403", Severity.ERROR, "more credits demanded than the selector can supply"),
        CodeInfo("E404", Severity.ERROR, "rule logic can never hold"),
        CodeInfo("E405", Severity.ERROR, "GPA above the top of the grade scale"),
        CodeInfo("E406", Severity.ERROR, "competency no course or credential aligns with"),
        # Recognition of learning done elsewhere
        CodeInfo("E310", Severity.ERROR, "recognition rule grants an unknown course or credential"),
        CodeInfo("E311", Severity.ERROR, "recognition window never opens"),
        CodeInfo("E312", Severity.ERROR, "percentage cap without credits"),
        # Transcripts
        CodeInfo("E501", Severity.ERROR, "invalid transcript"),
        CodeInfo("E502", Severity.ERROR, "grade not on the grade scale"),
        CodeInfo("E503", Severity.ERROR, "invalid date"),
        CodeInfo("E504", Severity.ERROR, "learner id missing"),
        CodeInfo("E505", Severity.ERROR, "invalid exception"),
        CodeInfo("E506", Severity.ERROR, "duplicate record"),
        CodeInfo("E507", Severity.ERROR, "evidence cannot be read"),
        # Warnings
        CodeInfo("W601", Severity.WARNING, "selector matches no course"),
        CodeInfo("W602", Severity.WARNING, "credential no learner can reach"),
        CodeInfo("W603", Severity.WARNING, "redundant branch"),
        CodeInfo("W604", Severity.WARNING, "rule too large for logical analysis"),
        CodeInfo("W605", Severity.WARNING, "empty file"),
        CodeInfo("W606", Severity.WARNING, "course not in the catalogue"),
        CodeInfo("W607", Severity.WARNING, "credential not in the catalogue"),
        CodeInfo("W608", Severity.WARNING, "attempt dated after the evaluation date"),
        CodeInfo("W609", Severity.WARNING, "credentials-only selector falls short"),
        CodeInfo("W620", Severity.WARNING, "frameworks disagree"),
        CodeInfo("W610", Severity.WARNING, "overlapping recognition rules"),
    ]
}


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One error or warning: what is wrong, where, and how to fix it."""

    code: str
    message: str
    location: Location | None = None
    #: the credential (or other entry) the diagnostic is about, when there is one
    subject: str | None = field(default=None, compare=False)

    @property
    def severity(self) -> Severity:
        return CODES[self.code].severity

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def to_dict(self) -> dict[str, object]:
        loc = self.location
        return {
            "file": loc.file if loc else None,
            "line": loc.line if loc else None,
            "column": loc.column if loc else None,
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
        }

    def __str__(self) -> str:
        where = str(self.location) if self.location else "<input>"
        return f"{where}: {self.code} {self.message}"


def sort_key(d: Diagnostic) -> tuple[str, int, int, str]:
    loc = d.location
    if loc is None:
        return ("", 0, 0, d.code)
    return (loc.file, loc.line, loc.column, d.code)


class MicrocredError(Exception):
    """Raised when input cannot be used; carries every diagnostic found."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics = sorted(diagnostics, key=sort_key)
        super().__init__("\n".join(str(d) for d in self.diagnostics) or "invalid input")
