"""microcred: microcredential catalogues as a graph with stacking rules, and the evaluation of
learners' transcripts against them."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

from microcred._moved import install as _install_moved_names

_install_moved_names()

if TYPE_CHECKING:
    from microcred.checks.validate import ValidationReport, load_catalog, validate_catalog, validate_paths
    from microcred.io.loader import read_catalog
    from microcred.model.catalog import Catalog, Course, Credential
    from microcred.model.diagnostics import Diagnostic, Location, MicrocredError
    from microcred.model.graph import build_graph

#: The public names and the module each comes from. They are imported when first used, so that
#: ``import microcred`` (and the command line, which imports it) loads only what a command needs.
_PUBLIC: dict[str, str] = {
    "Catalog": "microcred.model.catalog",
    "Course": "microcred.model.catalog",
    "Credential": "microcred.model.catalog",
    "Diagnostic": "microcred.model.diagnostics",
    "Location": "microcred.model.diagnostics",
    "MicrocredError": "microcred.model.diagnostics",
    "build_graph": "microcred.model.graph",
    "load_catalog": "microcred.checks.validate",
    "read_catalog": "microcred.io.loader",
    "ValidationReport": "microcred.checks.validate",
    "validate_catalog": "microcred.checks.validate",
    "validate_paths": "microcred.checks.validate",
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
