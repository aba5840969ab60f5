"""microcred: microcredential catalogues as a graph with stacking rules, and the evaluation of
learners' transcripts against them."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from microcred.catalog import Catalog, Course, Credential
    from microcred.diagnostics import Diagnostic, Location, MicrocredError
    from microcred.graph import build_graph
    from microcred.loader import read_catalog
    from microcred.validate import ValidationReport, load_catalog, validate_catalog, validate_paths

#: The public names and the module each comes from. They are imported when first used, so that
#: ``import microcred`` (and the command line, which imports it) loads only what a command needs.
_PUBLIC: dict[str, str] = {
    "Catalog": "microcred.catalog",
    "Course": "microcred.catalog",
    "Credential": "microcred.catalog",
    "Diagnostic": "microcred.diagnostics",
    "Location": "microcred.diagnostics",
    "MicrocredError": "microcred.diagnostics",
    "build_graph": "microcred.graph",
    "load_catalog": "microcred.validate",
    "read_catalog": "microcred.loader",
    "ValidationReport": "microcred.validate",
    "validate_catalog": "microcred.validate",
    "validate_paths": "microcred.validate",
}

__all__ = [
    "Catalog",
    "Course",
    "Credential",
    "Diagnostic",
    "Location",
    "MicrocredError",
    "ValidationReport",
    "__version__",
    "build_graph",
    "load_catalog",
    "read_catalog",
    "validate_catalog",
    "validate_paths",
]


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'microcred' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC))
