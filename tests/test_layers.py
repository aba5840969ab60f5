"""The package's layers: the library never imports the command line."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "microcred"
#: the command line: the parser, what its commands share, and the commands' own modules
CLI = {"cli.py", "cliutil.py", "__main__.py", "badges/commands.py", "badges/exports.py"}
CLI_MODULES = {"microcred.cli", "microcred.cliutil"}


def is_cli(rel: str) -> bool:
    return rel in CLI or Path(rel).name.startswith("commands_")


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


LIBRARY = sorted(str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py") if not is_cli(str(p.relative_to(PACKAGE))))


def test_the_walk_sees_the_library() -> None:
    assert {"generate.py", "batch.py", "evaluate.py", "loader.py"} <= set(LIBRARY)
    assert imported(PACKAGE / "commands_generate.py") & CLI_MODULES  # a command does import the CLI


@pytest.mark.parametrize("rel", LIBRARY)
def test_no_library_module_imports_the_command_line(rel: str) -> None:
    assert not imported(PACKAGE / rel) & CLI_MODULES


def test_reading_a_catalogue_does_not_reach_up_to_its_checks() -> None:
    """Loading (files to models) sits below validation: validate imports loader, never the reverse."""
    assert "microcred.loader" in imported(PACKAGE / "validate.py")
    assert not {m for m in imported(PACKAGE / "loader.py") if m.startswith("microcred.validate")}


def test_moved_names_still_import_for_one_release_with_a_warning() -> None:
    """Names that moved between modules keep working where they were, saying where they went."""
    import microcred.loader
    import microcred.report_html
    from microcred.atomicfile import write_atomically
    from microcred.validate import load_catalog

    with pytest.warns(DeprecationWarning, match="microcred.validate"):
        assert microcred.loader.load_catalog is load_catalog
    with pytest.warns(DeprecationWarning, match="microcred.atomicfile"):
        assert microcred.report_html.write_atomically is write_atomically
    with pytest.raises(AttributeError):
        _ = microcred.loader.no_such_name
