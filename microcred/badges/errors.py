"""Errors and verification outcomes of :mod:`microcred.badges`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class BadgeError(Exception):
    """A user-facing failure (bad key file, unearned credential, unreadable badge …).

    The message always says what is wrong and, where it can, what to do about it; it never
    contains key material.
    """


@dataclass
class VerifyResult:
    """The verdict on one credential: ``valid`` is true only when ``errors`` is empty.

    ``warnings`` never make a credential invalid (e.g. a VC-JWT without ``sub``).
    ``credential`` is the credential that was checked (the JSON object, also for a VC-JWT)
    when it could be read at all.
    """

    valid: bool = False
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    credential: dict[str, Any] | None = None

    def error(self, message: str) -> None:
        self.errors.append(message)
        self.valid = False

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def finish(self) -> VerifyResult:
        """Set ``valid`` from ``errors`` (call once every check has run)."""
        self.valid = not self.errors
        return self

    def merge(self, other: VerifyResult) -> None:
        for e in other.errors:
            if e not in self.errors:
                self.errors.append(e)
        for w in other.warnings:
            self.warn(w)
        if self.credential is None:
            self.credential = other.credential

    def to_json(self) -> dict[str, Any]:
        return {"valid": self.valid, "errors": list(self.errors), "warnings": list(self.warnings)}
