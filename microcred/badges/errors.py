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
    #: the verification method of the issuer's key that the signature was checked with, when
    #: the key was shown to be the issuer's (None: it was not, or keys given by the caller)
    issuer_key: str | None = None
    #: the trusted-issuer lists (by name) that list the issuer
    registries: list[str] = field(default_factory=list)

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
        if self.issuer_key is None:
            self.issuer_key = other.issuer_key

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"valid": self.valid, "errors": list(self.errors), "warnings": list(self.warnings)}
        if self.issuer_key is not None:
            out["issuer_key"] = self.issuer_key
        if self.registries:
            out["registries"] = list(self.registries)
        return out
