"""Modules that moved to the layer folders, still importable under their old names for one
release, with a DeprecationWarning that says where each went (MOVED-NAMES-TABLE)."""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import warnings
from types import ModuleType

#: old module name -> where it lives now
MOVED: dict[str, str] = {
    "microcred.atomicfile": "microcred.io.atomicfile",
    "microcred.badges.commands": "microcred.cli.badges",
    "microcred.badges.exports": "microcred.cli.exports",
    "microcred.batch": "microcred.run.batch",
    "microcred.cache": "microcred.run.cache",
    "microcred.catalog": "microcred.model.catalog",
    "microcred.cliutil": "microcred.cli.util",
    "microcred.commands_diff": "microcred.cli.diff",
    "microcred.commands_generate": "microcred.cli.generate",
    "microcred.commands_graph": "microcred.cli.graph",
    "microcred.commands_plan": "microcred.cli.plan",
    "microcred.dates": "microcred.model.dates",
    "microcred.diagnostics": "microcred.model.diagnostics",
    "microcred.evaluate": "microcred.rules.evaluate",
    "microcred.figures": "microcred.model.figures",
    "microcred.gcpause": "microcred.io.gcpause",
    "microcred.generate": "microcred.run.generate",
    "microcred.graph": "microcred.model.graph",
    "microcred.integrations": "microcred.run",
    "microcred.integrations.dask": "microcred.run.dask",
    "microcred.loader": "microcred.io.loader",
    "microcred.modelbase": "microcred.model.modelbase",
    "microcred.modelerrors": "microcred.io.modelerrors",
    "microcred.picture": "microcred.render.picture",
    "microcred.plan": "microcred.analysis.plan",
    "microcred.programmes": "microcred.run.programmes",
    "microcred.report_html": "microcred.render.report_html",
    "microcred.report_text": "microcred.render.report_text",
    "microcred.result": "microcred.model.result",
    "microcred.schema": "microcred.model.schema",
    "microcred.transcript": "microcred.io.transcript",
    "microcred.usage": "microcred.model.usage",
    "microcred.validate": "microcred.checks.validate",
    "microcred.words": "microcred.model.words",
    "microcred.yamlsource": "microcred.io.yamlsource",
}


class _Alias(importlib.abc.Loader):
    """Loads an old name as the module it moved to: one module object under both names."""

    def __init__(self, new: str) -> None:
        self.new = new

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        warnings.warn(
            f"{spec.name} moved to {self.new}; import it from there (the old name goes in the next release)",
            DeprecationWarning,
            stacklevel=2,
        )
        return importlib.import_module(self.new)

    def exec_module(self, module: ModuleType) -> None:
        """The module was executed under its new name."""


class _MovedFinder(importlib.abc.MetaPathFinder):
    def find_spec(
        self, fullname: str, path: object = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        new = MOVED.get(fullname)
        if new is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, _Alias(new))


def install() -> None:
    """Put the finder first on ``sys.meta_path`` (once)."""
    if not any(isinstance(f, _MovedFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _MovedFinder())
