"""microcred: microcredential catalogues as a graph with stacking rules, and the evaluation of
learners' transcripts against them."""

from __future__ import annotations

__version__ = "0.1.0"

from microcred.catalog import Catalog, Course, Credential
from microcred.diagnostics import Diagnostic, Location, MicrocredError
from microcred.graph import build_graph
from microcred.loader import load_catalog, read_catalog
from microcred.validate import ValidationReport, validate_catalog, validate_paths

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
