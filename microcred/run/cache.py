"""Warm start: a compiled catalogue cached on disk, keyed by the digest of its content.

A registrar's nightly run evaluates against the same catalogue as the night before, and an
advisor evaluates one learner after another; reading, validating and compiling it again is
wasted work. The cache key is the SHA-256 of every catalogue file (path and bytes) and of
microcred's own source code, so any edit to the catalogue, or any other microcred, misses the
cache and compiles afresh. Only valid catalogues are cached: an entry also says "this
catalogue was validated and has no error".

An entry is ``MAGIC``, the key, the SHA-256 of the pickled catalogue, then the pickle. One
whose header, key or checksum does not match, or that does not load, is ignored, compiled
afresh and replaced, so a damaged entry costs time and never changes a result. Entries are
written to a temporary file and renamed into place, so concurrent runs each see a whole entry
or none.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from microcred import __version__
from microcred.io.loader import catalogue_files

if TYPE_CHECKING:
    from microcred.model.catalog import Catalog
    from microcred.model.diagnostics import Diagnostic
    from microcred.rules.compiled import CompiledCatalog

#: The first bytes of a cache entry (the format's version is part of it).
MAGIC = b"microcred compiled catalogue 2\n"


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "microcred"


def read_catalog_files(files: list[tuple[Path, str]]) -> tuple[Catalog, list[Diagnostic]]:
    """:func:`microcred.io.loader.read_catalog_files`, imported only when a catalogue is compiled."""
    from microcred.io.loader import read_catalog_files as read

    return read(files)


_CODE_DIGEST: str | None = None


def code_digest() -> str:
    """SHA-256 of microcred's own source: a cached compiled catalogue is only reused by the
    same code that compiled it (a changed engine, even at the same version, compiles afresh)."""
    global _CODE_DIGEST
    if _CODE_DIGEST is None:
        package = Path(__file__).resolve().parent.parent  # microcred/, not run/
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

    Raises :class:`~microcred.io.loader.PathError` for a missing path and
    :class:`~microcred.model.diagnostics.MicrocredError` for an invalid catalogue (never cached:
    every run reports its errors again).
    """
    cache_dir = cache_dir or default_cache_dir()
    files = catalogue_files(path)
    digest = catalogue_digest(path) if use_cache else ""
    cached = cache_dir / f"catalog-{digest}.pickle"
    if use_cache:
        hit = _load(cached, digest)
        if hit is not None:
            return hit
    from microcred.checks.validate import validate_catalog
    from microcred.model.catalog import SourceMap
    from microcred.model.diagnostics import MicrocredError
    from microcred.rules.compiled import CompiledCatalog

    catalog, diagnostics = read_catalog_files(files)
    report = validate_catalog(catalog, diagnostics)
    if report.errors:
        raise MicrocredError(report.errors)
    catalog.sources = SourceMap()  # locations are for validation; evaluation does not need them
    compiled = CompiledCatalog(catalog)
    compiled.tabulate_stacking()  # a loaded copy then answers stacking without the graph
    if use_cache:
        _store(compiled, cached, digest)
    return compiled


def _load(path: Path, digest: str) -> CompiledCatalog | None:
    """The entry at ``path`` if it is whole and is the one for ``digest``; else None."""
    try:
        with path.open("rb") as fh:
            data = fh.read()
    except OSError:
        return None  # no entry (or an unreadable one)
    head = MAGIC + digest.encode() + b"\n"
    body = len(head) + 32
    if not data.startswith(head) or len(data) <= body:
        return None
    if hashlib.sha256(data[body:]).digest() != data[len(head) : body]:
        return None  # damaged: compile afresh and overwrite it
    try:
        compiled = pickle.loads(data[body:])  # our own entry: its checksum was verified above
    except Exception:  # an entry written by code that no longer loads it
        return None
    from microcred.rules.compiled import CompiledCatalog

    if not isinstance(compiled, CompiledCatalog):
        return None
    for file, sha in compiled.catalog.external_files.items():  # framework files the catalogue names
        try:
            if hashlib.sha256(Path(file).read_bytes()).hexdigest() != sha:
                return None
        except OSError:
            return None
    return compiled


def _store(compiled: CompiledCatalog, target: Path, digest: str) -> None:
    tmp: str | None = None
    try:
        payload = pickle.dumps(compiled, protocol=pickle.HIGHEST_PROTOCOL)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".pickle")
        with os.fdopen(fd, "wb") as fh:
            fh.write(MAGIC + digest.encode() + b"\n" + hashlib.sha256(payload).digest() + payload)
        os.replace(tmp, target)
        tmp = None
    except Exception:
        pass  # a cache that cannot be written only costs time
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
