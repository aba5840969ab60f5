"""The documentation stays true: every code is documented, and the YAML examples validate."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import ROOT

from microcred.checks.validate import validate_catalog
from microcred.io.loader import read_catalog
from microcred.model.diagnostics import CODES

DOCS = ROOT / "docs"
HEADING = re.compile(r"^## ([EW]\d{3}) — (.+)$", re.M)
YAML_BLOCK = re.compile(r"^```yaml\n(.*?)^```", re.M | re.S)


def _headings() -> dict[str, str]:
    text = (DOCS / "errors.md").read_text(encoding="utf-8")
    found = HEADING.findall(text)
    codes = [c for c, _t in found]
    assert len(codes) == len(set(codes)), "a code has two headings in docs/errors.md"
    return dict(found)


def test_every_code_has_a_heading_in_errors_md() -> None:
    missing = sorted(set(CODES) - set(_headings()))
    assert missing == [], f"codes without a '## CODE — title' heading in docs/errors.md: {missing}"


def test_every_heading_in_errors_md_is_a_code() -> None:
    unknown = sorted(set(_headings()) - set(CODES))
    assert unknown == [], f"headings in docs/errors.md for codes microcred does not have: {unknown}"


def test_headings_carry_the_code_titles() -> None:
    headings = _headings()
    wrong = {c: (headings[c], CODES[c].title) for c in headings if c in CODES and headings[c] != CODES[c].title}
    assert wrong == {}


def _blocks(doc: str, marker: str) -> list[tuple[str, str]]:
    """(id, text) of the YAML blocks of ``doc`` whose first line starts with ``marker``."""
    text = (DOCS / doc).read_text(encoding="utf-8")
    out = []
    for m in YAML_BLOCK.finditer(text):
        block = m.group(1)
        if block.startswith(marker):
            line = text[: m.start()].count("\n") + 2
            out.append((f"{doc}:{line}", block))
    return out


CATALOGUES = (
    _blocks("catalogue.md", "# catalogue")
    + _blocks("rules.md", "# catalogue")
    + _blocks("competencies.md", "# catalogue")
    + _blocks("recognition.md", "# catalogue")
)


def test_docs_have_complete_catalogue_examples() -> None:
    assert len(_blocks("catalogue.md", "# catalogue")) >= 2
    assert len(_blocks("rules.md", "# catalogue")) >= 4


@pytest.mark.parametrize(("where", "text"), CATALOGUES, ids=[w for w, _t in CATALOGUES])
def test_catalogue_examples_validate_clean(tmp_path: Path, where: str, text: str) -> None:
    (tmp_path / "catalogue.yaml").write_text(text, encoding="utf-8")
    catalog, diagnostics = read_catalog(tmp_path)
    report = validate_catalog(catalog, diagnostics)
    assert [str(d) for d in report.diagnostics] == [], where


def _broken_examples() -> list[tuple[str, str, str]]:
    text = (DOCS / "errors.md").read_text(encoding="utf-8")
    out = []
    for section in re.split(r"^(?=## [EW]\d{3} — )", text, flags=re.M):
        m = HEADING.match(section)
        if not m:
            continue
        for block in YAML_BLOCK.findall(section):
            if block.startswith("# broken catalogue"):
                out.append((m.group(1), m.group(1), block))
    return out


BROKEN = _broken_examples()


def test_most_catalogue_codes_have_an_example() -> None:
    with_example = {code for code, _w, _t in BROKEN}
    catalogue_codes = {c for c in CODES if c[1] in "1234" or c in {"W601", "W602", "W603", "W609"}}
    # E100 (bytes), E105 (16 MiB) cannot be shown as a YAML block
    assert catalogue_codes - with_example == {"E100", "E105"}


@pytest.mark.parametrize(("code", "where", "text"), BROKEN, ids=[w for _c, w, _t in BROKEN])
def test_broken_examples_give_their_code(tmp_path: Path, code: str, where: str, text: str) -> None:
    (tmp_path / "catalog.yaml").write_text(text, encoding="utf-8")
    catalog, diagnostics = read_catalog(tmp_path)
    report = validate_catalog(catalog, diagnostics)
    assert code in [d.code for d in report.diagnostics], [str(d) for d in report.diagnostics]


def test_every_catalogue_code_is_tested() -> None:
    """Each code a catalogue can produce appears in an assertion of the catalogue tests."""
    tests = "".join(
        (ROOT / "tests" / name).read_text(encoding="utf-8")
        for name in ("test_loader.py", "test_checks.py", "test_graph.py", "test_cli_validate.py")
    )
    catalogue_codes = [c for c in CODES if c[1] in "1234" or c in {"W601", "W602", "W603", "W604", "W605", "W609"}]
    untested = [c for c in catalogue_codes if f'"{c}"' not in tests]
    assert untested == []


def test_extensions_are_documented_as_extensions() -> None:
    catalogue = (DOCS / "catalogue.md").read_text(encoding="utf-8")
    rules = (DOCS / "rules.md").read_text(encoding="utf-8")
    for field in ("`image`", "`tags`", "`alignments`", "`metadata`", "`description`", "`level`"):
        assert re.search(re.escape(field) + r".*\*extension\*", catalogue), field
    assert "without `requires`** (an *extension*)" in catalogue
    assert "Merge keys (extension)" in catalogue
    assert "Level forms (extension)" in rules
