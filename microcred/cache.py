"""Warm start: a compiled catalogue cached on disk, keyed by the digest of its content.

A registrar's nightly run evaluates against the same catalogue as the night before; reading,
validating and compiling it again is wasted work. The cache key is the SHA-256 of every
catalogue file (path and bytes) and of microcred's own source code, so any edit to the
catalogue, or any other microcred, misses the cache and compiles afresh. Only valid catalogues are cached.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path

from microcred import __version__
from microcred.catalog import SourceMap
from microcred.diagnostics import MicrocredError
from microcred.loader import catalogue_files, read_catalog_files
from microcred.rules.compiled import CompiledCatalog
from microcred.validate import validate_catalog


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "microcred"


_CODE_DIGEST: str | None = None


def code_digest() -> str:
    """SHA-256 of microcred's own source: a cached compiled catalogue is only reused by the
    same code that compiled it (a changed engine, even at the same version, compiles afresh)."""
    global _CODE_DIGEST
    if _CODE_DIGEST is None:
        package = Path(__file__).resolve().parent
        h = hashlib.sha256(__version__.encode())
        for source in sorted(package.rglob("*.py")):
            h.update(str(source.relative_to(package)).encode() + b"\0" + source.read_bytes() + b"\0")
        _CODE_DIGEST = h.hexdigest()
    return _CODE_DIGEST


def catalogue_digest(path: Path) -> str:
    """SHA-256 over the catalogue's files (relative path and content) and microcred's code."""
    h = hashlib.sha256(f"microcred {code_digest()}\n".encode())
    root = path if path.is_dir() else path.parent
    for file, _display in catalogue_files(path):
        h.update(str(file.relative_to(root)).encode() + b"\0")
        h.update(file.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def load_compiled(path: Path, cache_dir: Path | None = None, *, use_cache: bool = True) -> CompiledCatalog:
    """The compiled catalogue at ``path``, from the cache when its digest is there.

    Raises :class:`~microcred.loader.PathError` for a missing path and
    :class:`~microcred.diagnostics.MicrocredError` for an invalid catalogue.
    """
    cache_dir = cache_dir or default_cache_dir()
    files = catalogue_files(path)
    digest = catalogue_digest(path) if use_cache else ""
    cached = cache_dir / f"catalog-{digest}.pickle"
    if use_cache and cached.is_file():
        try:
            with cached.open("rb") as fh:
                compiled = pickle.load(fh)
            if isinstance(compiled, CompiledCatalog):
                return compiled
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            pass  # a damaged or stale entry: compile afresh and overwrite it
    catalog, diagnostics = read_catalog_files(files)
    report = validate_catalog(catalog, diagnostics)
    if report.errors:
        raise MicrocredError(report.errors)
    catalog.sources = SourceMap()  # locations are for validation; evaluation does not need them
    compiled = CompiledCatalog(catalog)
    if use_cache:
        _store(compiled, cached)
    return compiled


def _store(compiled: CompiledCatalog, target: Path) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".pickle")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(compiled, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, target)
    except OSError:
        pass  # a cache that cannot be written only costs time
