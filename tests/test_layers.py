"""The package's layers, visible in its folders: each module imports only from its own layer and
the layers below it, and nothing in the library imports the command line."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "microcred"

#: The layers from the bottom up, and the modules of each (paths inside ``microcred/``, ``*``
#: a whole folder). ``rules/`` (the rule language and its evaluator) and ``taxonomy/`` (credential
#: types and their checks) are folders by concept, so their modules sit in several layers.
LAYERS: dict[str, list[str]] = {
    "model": ["model/*", "rules/nodes.py", "rules/selectors.py", "taxonomy/models.py", "taxonomy/grades.py"],
    "io": ["io/*"],
    "engine": [
        "rules/kinds/*",
        "rules/caches.py",
        "rules/compiled.py",
        "rules/settling.py",
        "rules/scenario.py",
        "rules/solver.py",
        "rules/cpsat.py",
        "rules/explain.py",
        "rules/evaluate.py",
        "rules/recognition.py",
        "rules/skeleton.py",
    ],
    "checks": ["checks/*", "rules/checks.py", "rules/logic.py", "taxonomy/checks.py"],
    "analysis": ["analysis/*"],
    "render": ["render/*"],
    "interop": ["badges/*"],
    "run": ["run/*"],
    "cli": ["cli/*", "__main__.py"],
}
#: Package roots, the table of moved names, and ``diff.py``, the old module that became two (``analysis/diff/``
#: and ``run/impact.py``) and hands on the names of both for one release: they belong to no layer.
OUTSIDE = {
    "__init__.py",
    "_moved.py",
    "diff.py",
    "rules/__init__.py",
    "taxonomy/__init__.py",
}
ORDER = list(LAYERS)
#: Imports that still reach up a layer, each until the change its comment names.
EXCEPTIONS: set[tuple[str, str]] = set()


def layer_of(rel: str) -> str | None:
    for layer, patterns in LAYERS.items():
        for pattern in patterns:
            if (pattern.endswith("/*") and rel.startswith(pattern[:-1])) or rel == pattern:
                return layer
    return None


def module_name(rel: str) -> str:
    return "microcred." + rel.removesuffix(".py").removesuffix("/__init__").replace("/", ".")


def imported(path: Path) -> set[str]:
    """Every module ``path`` imports, at the top or inside a function, except in a module-level
    ``__getattr__``: there a name that moved away is handed on, with a deprecation warning, for
    one release."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    shims = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "__getattr__"]
    skipped = {id(n) for shim in shims for n in ast.walk(shim)}
    names: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


MODULES = sorted(str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py"))
BY_NAME = {module_name(rel): rel for rel in MODULES}
LIBRARY = [rel for rel in MODULES if layer_of(rel) != "cli"]


@pytest.mark.parametrize("rel", MODULES)
def test_every_module_is_in_one_layer(rel: str) -> None:
    assert rel in OUTSIDE or layer_of(rel), f"microcred/{rel} is in no layer: add its folder to LAYERS"


@pytest.mark.parametrize("rel", [rel for rel in MODULES if rel not in OUTSIDE])
def test_a_module_imports_only_its_layer_and_the_layers_below(rel: str) -> None:
    mine = ORDER.index(layer_of(rel) or "cli")
    above = {
        name: layer
        for name in imported(PACKAGE / rel)
        if name in BY_NAME
        and (layer := layer_of(BY_NAME[name]))
        and ORDER.index(layer) > mine
        and (rel, name) not in EXCEPTIONS
    }
    assert not above, f"microcred/{rel} ({ORDER[mine]}) imports from a layer above it: {above}"


def test_the_walk_sees_the_layers() -> None:
    assert {"run/generate.py", "run/batch.py", "rules/evaluate.py", "io/loader.py"} <= set(LIBRARY)
    assert layer_of("cli/generate.py") == "cli"
    assert "microcred.cli.util" in imported(PACKAGE / "cli" / "generate.py")  # a command does import the CLI
    assert "microcred.io.loader" in imported(PACKAGE / "checks" / "validate.py")  # and a check reads


#: Module-level functions that hand on a name that moved away, with a deprecation warning, for one
#: release (``io/loader.py``: ``load_catalog``, now in ``checks/validate.py``, which reads with the
#: loader): the imports inside them are no part of the graph of imports.
SHIMS: set[tuple[str, str]] = {("io/loader.py", "__getattr__")}
#: Modules left out of the graph: the table of moved module names, which imports them by name.
NOT_IN_GRAPH = {"_moved.py"}
#: Pairs of modules that still import each other, each with the reason.
MUTUAL: dict[frozenset[str], str] = {}


def _type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def graph_imports(source: str, name: str, package: bool, shims: set[str], modules: set[str]) -> set[str]:
    """The modules of ``modules`` that the module ``name`` (a package's ``__init__`` when
    ``package``) imports, at the top or inside a function, except under ``if TYPE_CHECKING:`` and
    inside the module-level functions named in ``shims``."""
    tree = ast.parse(source)
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _type_checking(node.test):
            skipped.update(id(n) for part in node.body for n in ast.walk(part))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in shims:
            skipped.update(id(n) for n in ast.walk(node))
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in modules)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = name.split(".")[: len(name.split(".")) - node.level + package]
                base = ".".join([*parts, base] if base else parts)
            for alias in node.names:
                if f"{base}.{alias.name}" in modules:  # a module of a package
                    found.add(f"{base}.{alias.name}")
                elif base in modules:
                    found.add(base)
    found.discard(name)
    return found


def mutual_pairs(graph: dict[str, set[str]]) -> set[frozenset[str]]:
    """Every two modules of ``graph`` that import each other."""
    return {frozenset((a, b)) for a, targets in graph.items() for b in targets if a in graph.get(b, set())}


def import_graph() -> dict[str, set[str]]:
    modules = set(BY_NAME)
    return {
        module_name(rel): graph_imports(
            (PACKAGE / rel).read_text(encoding="utf-8"),
            module_name(rel),
            rel.endswith("__init__.py"),
            {function for shim, function in SHIMS if shim == rel},
            modules,
        )
        for rel in MODULES
        if rel not in NOT_IN_GRAPH
    }


def test_no_two_modules_import_each_other() -> None:
    """Two modules that import each other, at the top or inside a function, are one module in
    two files: each has one job and imports only downward. (A name imported only for the type
    checker, and a moved name handed on for one release, do not count.)"""
    pairs = mutual_pairs(import_graph())
    found = sorted(" <-> ".join(sorted(pair)) for pair in pairs - MUTUAL.keys())
    assert not found, f"modules that import each other: {found}"
    stale = sorted(" <-> ".join(sorted(pair)) for pair in MUTUAL.keys() - pairs)
    assert not stale, f"MUTUAL names pairs that no longer import each other: {stale}"


def test_the_graph_of_imports_sees_lazy_imports_and_leaves_out_the_type_checker() -> None:
    modules = {"m.a", "m.b", "m.c", "m.d", "m.e", "m.pkg", "m.pkg.f"}
    source = (
        "from __future__ import annotations\n"
        "import typing\n"
        "from typing import TYPE_CHECKING\n"
        "from m.b import x\n"
        "if TYPE_CHECKING:\n"
        "    from m.c import y\n"
        "if typing.TYPE_CHECKING:\n"
        "    import m.c\n"
        "else:\n"
        "    import m.e\n"
        "def f() -> None:\n"
        "    from m import d\n"
        "def __getattr__(name: str) -> object:\n"
        "    from m.c import z\n"
        "    return z\n"
        "from .pkg import f as g\n"
    )
    assert graph_imports(source, "m.a", False, {"__getattr__"}, modules) == {"m.b", "m.d", "m.e", "m.pkg.f"}
    assert graph_imports(source, "m.a", False, set(), modules) == {"m.b", "m.c", "m.d", "m.e", "m.pkg.f"}
    assert graph_imports("from . import f\n", "m.pkg", True, set(), modules) == {"m.pkg.f"}
    assert mutual_pairs({"a": {"b", "c"}, "b": {"a"}, "c": set()}) == {frozenset(("a", "b"))}
    # and in the package: the night reads its options from below; the loader's shim is left out
    graph = import_graph()
    assert "microcred.run.options" in graph["microcred.run.night"]
    assert "microcred.io.loader" in graph["microcred.checks.validate"]
    assert "microcred.checks.validate" not in graph["microcred.io.loader"]


@pytest.mark.parametrize("rel", LIBRARY)
def test_no_library_module_imports_the_command_line(rel: str) -> None:
    assert not {
        name for name in imported(PACKAGE / rel) if name == "microcred.cli" or name.startswith("microcred.cli.")
    }


def test_moved_names_still_import_for_one_release_with_a_warning() -> None:
    """Names that moved between modules keep working where they were, saying where they went."""
    import microcred.io.loader
    import microcred.render.report_html
    from microcred.checks.validate import load_catalog
    from microcred.io.atomicfile import write_atomically

    with pytest.warns(DeprecationWarning, match="microcred.checks.validate"):
        assert microcred.io.loader.load_catalog is load_catalog
    with pytest.warns(DeprecationWarning, match="microcred.io.atomicfile"):
        assert microcred.render.report_html.write_atomically is write_atomically
    with pytest.raises(AttributeError):
        _ = microcred.io.loader.no_such_name


def test_moved_modules_still_import_under_their_old_names() -> None:
    """Every module that moved to a layer folder imports under its old name, as the same module
    object (so a patch through either name is seen by both), with a warning that names the new
    place. Run in a fresh interpreter, where none is imported yet."""
    from microcred._moved import MOVED

    script = (
        "import importlib, warnings, sys\n"
        "from microcred._moved import MOVED\n"
        "for old, new in MOVED.items():\n"
        "    with warnings.catch_warnings(record=True) as caught:\n"
        "        warnings.simplefilter('always')\n"
        "        module = importlib.import_module(old)\n"
        "    assert module is importlib.import_module(new), old\n"
        "    assert sys.modules[old] is module, old\n"
        "    assert any(new in str(w.message) and w.category is DeprecationWarning for w in caught), old\n"
        "print(len(MOVED))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) == len(MOVED) > 20
    for new in MOVED.values():
        assert importlib.util.find_spec(new) is not None, new


def test_the_old_diff_module_hands_on_every_name_with_a_warning() -> None:
    """``microcred.diff`` became ``microcred.analysis.diff`` and ``microcred.run.impact``; its
    names still import from the old path, as the same objects, with a warning naming both.
    Run in a fresh interpreter, where it is not imported yet."""
    script = (
        "import warnings\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    warnings.simplefilter('always')\n"
        "    import microcred.diff as old\n"
        "import microcred.analysis.diff as analysis, microcred.run.impact as run\n"
        "for name in old.__all__:\n"
        "    now = getattr(analysis if name in analysis.__all__ else run, name)\n"
        "    assert getattr(old, name) is now, name\n"
        "print(' '.join(sorted(old.__all__)))\n"
        "print(' | '.join(str(w.message) for w in caught if w.category is DeprecationWarning))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    names, warned = done.stdout.splitlines()
    assert {"diff_catalogs", "render_diff", "plan_impact", "impact", "iter_impact", "run_impact"} <= set(names.split())
    assert "microcred.analysis.diff" in warned and "microcred.run.impact" in warned
