"""Shared helpers: write small catalogues into a temporary directory and validate them."""

from __future__ import annotations

import os
import struct
import textwrap
import zlib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from microcred.checks.validate import ValidationReport, validate_catalog
from microcred.io.loader import read_catalog
from microcred.model.diagnostics import Diagnostic

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "catalog" / "example-university"


def shared_path(relative: str) -> Path:
    """``shared/<relative>``: where ``MICROCRED_SHARED`` points, else the shared data folder laid
    inside or beside the checkout, or in any folder above it (a worktree sits deeper). The first
    that holds ``relative`` wins; when none does, the path beside the checkout (for the skip
    message)."""
    candidates = [Path(os.environ["MICROCRED_SHARED"])] if os.environ.get("MICROCRED_SHARED") else []
    candidates += [ROOT / "shared", *(parent / "shared" for parent in ROOT.parents)]
    for folder in candidates:
        if (folder / relative).exists():
            return folder / relative
    return ROOT.parent / "shared" / relative


@pytest.fixture(autouse=True, scope="session")
def _private_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The compiled-catalogue cache of the commands the tests run (in this process and in the
    ones it starts) is a temporary directory, not the user's ~/.cache."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
        yield


#: A small taxonomy and course list that the broken catalogues of the tests build on.
#: Line numbers matter: the tests assert them. BASE is 9 lines long.
BASE = """\
taxonomy:
  types:
    badge: {stacks_into: [certificate]}
    certificate: {}
courses:
  - {id: CSCI 1410, title: Fundamentals, credits: 3}
  - {id: CSCI 2312, title: Intermediate, credits: 3}
  - {id: MATH 1110, title: Algebra, credits: 4, attributes: [quant]}
credentials:
"""
BASE_LINES = BASE.count("\n")

Files = Mapping[str, str | bytes]


def write_files(root: Path, files: Files) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")
    return root


def run_catalog(root: Path, files: Files) -> ValidationReport:
    write_files(root, files)
    catalog, diagnostics = read_catalog(root)
    return validate_catalog(catalog, diagnostics)


def where(d: Diagnostic, root: Path) -> tuple[str, int, int]:
    """(file relative to ``root``, line, column) of a diagnostic."""
    assert d.location is not None, d
    return (Path(d.location.file).relative_to(root).as_posix(), d.location.line, d.location.column)


class Checker:
    """Validate YAML written into a fresh directory and look diagnostics up by code."""

    def __init__(self, root: Path):
        self.root = root
        self.count = 0

    def __call__(self, files: Files | str) -> ValidationReport:
        if isinstance(files, str):
            files = {"catalog.yaml": files}
        self.count += 1
        root = self.root / f"run{self.count}"
        root.mkdir()
        self.last_root = root
        return run_catalog(root, files)

    def codes(self, report: ValidationReport) -> list[str]:
        return [d.code for d in report.diagnostics]

    def one(self, report: ValidationReport, code: str) -> tuple[str, int, int, str]:
        """The only diagnostic with ``code``: (file, line, column, message)."""
        found = [d for d in report.diagnostics if d.code == code]
        assert len(found) == 1, f"expected one {code}, got: " + "\n".join(map(str, report.diagnostics))
        file, line, col = where(found[0], self.last_root)
        return file, line, col, found[0].message


@pytest.fixture
def check(tmp_path: Path) -> Checker:
    return Checker(tmp_path)


@pytest.fixture
def credentials(check: Checker) -> Callable[[str], ValidationReport]:
    """Validate BASE followed by the ``credentials:`` items written in ``body``.

    ``body`` is dedented and then indented by two spaces, so its first line is line
    ``BASE_LINES + 1`` and an item's ``- id`` key is at column 5.
    """

    def run(body: str) -> ValidationReport:
        return check(BASE + textwrap.indent(textwrap.dedent(body).lstrip("\n"), "  "))

    return run


def tiny_png() -> bytes:
    """The smallest valid PNG (one grey pixel), to bake badges into."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0\0")) + chunk(b"IEND", b"")


def ob3_credential(issuer: str, credential_id: str) -> dict[str, Any]:
    """An unsigned Open Badges 3.0 credential from ``issuer``, for other implementations to sign."""
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer, "type": ["Profile"], "name": "Example University"},
        "name": "Data Foundations",
        "validFrom": "2024-06-01T00:00:00Z",
        "credentialSubject": {
            "id": "did:example:learner",
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://example.edu/achievements/data-foundations",
                "type": ["Achievement"],
                "name": "Data Foundations",
                "description": "Foundations of data analysis.",
                "criteria": {"narrative": "Pass the four courses."},
            },
        },
    }
