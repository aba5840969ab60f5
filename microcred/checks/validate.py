"""Validation of a catalogue: every check, every diagnostic, in one report; and
:func:`load_catalog`, which reads a catalogue (:mod:`microcred.io.loader`) and checks it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from microcred.checks import competencies as competency_checks
from microcred.checks import recognition
from microcred.io.gcpause import paused_gc
from microcred.io.loader import read_catalog
from microcred.model.catalog import Catalog
from microcred.model.diagnostics import Diagnostic, MicrocredError, sort_key
from microcred.model.graph import build_graph, stacking_cycles
from microcred.rules import checks as rule_checks
from microcred.rules.selectors import CourseIndex
from microcred.taxonomy import checks as taxonomy_checks

if TYPE_CHECKING:
    import networkx as nx


@dataclass
class ValidationReport:
    """All that validation found. ``valid`` when there is no error (warnings allowed)."""

    diagnostics: list[Diagnostic]
    catalog: Catalog | None = None
    _graph: nx.DiGraph | None = field(default=None, repr=False)

    @property
    def graph(self) -> nx.DiGraph | None:
        """The catalogue's credential graph, built when first asked for (validation itself
        needs only the stacking edges)."""
        if self._graph is None and self.catalog is not None:
            self._graph = build_graph(self.catalog)
        return self._graph

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if not d.is_error]

    @property
    def valid(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, object]:
        return {
            "valid": self.valid,
            "errors": [d.to_dict() for d in self.errors],
            "warnings": [d.to_dict() for d in self.warnings],
        }


def validate_catalog(catalog: Catalog, diagnostics: Iterable[Diagnostic] = ()) -> ValidationReport:
    """Run every static check on a catalogue already read (``diagnostics``: those of reading)."""
    with paused_gc():  # (see microcred/io/gcpause.py)
        return _validate(catalog, diagnostics)


def _validate(catalog: Catalog, diagnostics: Iterable[Diagnostic]) -> ValidationReport:
    found = list(diagnostics)
    index = CourseIndex(catalog.courses)
    cycles = stacking_cycles(build_graph(catalog, index, courses=False))
    found += taxonomy_checks.check_types(catalog)
    found += taxonomy_checks.check_stacking_permissions(catalog)
    found += taxonomy_checks.check_required_fields(catalog)
    found += taxonomy_checks.check_credit_bounds(catalog)
    found += taxonomy_checks.check_grades(catalog)
    found += taxonomy_checks.check_cycles(catalog, cycles)
    found += rule_checks.check_references(catalog)
    found += rule_checks.check_node_ids(catalog)
    found += rule_checks.check_limits(catalog)
    found += competency_checks.check_competencies(catalog)
    found += recognition.check_rules(catalog)
    counted = list(rule_checks.check_counts(catalog, index))
    found += counted
    # logic is analysed where counting found nothing impossible
    impossible = {d.subject for d in counted if (d.is_error or d.code == "W609") and d.subject}
    logical = list(rule_checks.check_logic(catalog, set()))
    found += logical
    if not cycles:
        impossible |= {d.subject for d in found if d.is_error and d.subject}
        found += rule_checks.check_best_learner(catalog, impossible)
        found += rule_checks.check_reachable(catalog, impossible)
    return ValidationReport(sorted(dict.fromkeys(found), key=sort_key), catalog)


def validate_paths(paths: Path | str | Sequence[Path | str]) -> ValidationReport:
    """Read and validate a catalogue. Raises :class:`~microcred.io.loader.PathError` for a
    path that does not exist."""
    catalog, diagnostics = read_catalog(paths)
    return validate_catalog(catalog, diagnostics)


def load_catalog(paths: Path | str | Sequence[Path | str]) -> Catalog:
    """Read and check a catalogue; raise :class:`MicrocredError` if it has any error."""
    catalog, diagnostics = read_catalog(paths)
    report = validate_catalog(catalog, diagnostics)
    if report.errors:
        raise MicrocredError(report.errors)
    return catalog
