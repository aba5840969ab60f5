"""The base of every model read from user files: immutable, strict, no unknown keys."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """Immutable, strict (no YAML 1.1 coercions such as ``NO`` → a string), no extra keys."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        strict=True,
        defer_build=True,
    )
