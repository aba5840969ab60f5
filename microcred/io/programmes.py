"""Reading a catalogue's programmes file (``.programmes.yaml``, the paths synthetic learners
follow): found beside the catalogue's files, read with locations, checked against the catalogue."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from microcred.io.modelerrors import diagnostics_from_validation, suggest
from microcred.io.yamlsource import PathElem, YamlDocument, YamlLoadError, read_yaml_file
from microcred.model.catalog import Catalog
from microcred.model.diagnostics import Diagnostic, MicrocredError
from microcred.model.programmes import ProgrammesFile, StepSpec

__all__ = ["PROGRAMMES_FILE", "catalogue_folder", "programmes_file", "read_programmes"]

#: The name of a catalogue's programmes file, in the catalogue's folder. It starts with a dot,
#: so that reading the catalogue skips it (docs/catalogue.md: hidden files are not catalogue files).
PROGRAMMES_FILE = ".programmes.yaml"

_file = TypeAdapter(ProgrammesFile)


def catalogue_folder(catalog: Catalog) -> Path | None:
    """The folder that holds every file the catalogue was read from (the catalogue's folder, or
    the folder of a one-file catalogue); None for a catalogue that does not remember its files
    (one built in memory, or loaded from the cache of compiled catalogues)."""
    files = list(catalog.sources.documents)
    if not files:
        return None
    folders = [os.path.dirname(f) or "." for f in files]
    try:
        return Path(os.path.commonpath(folders))
    except ValueError:  # relative and absolute paths mixed (or two Windows drives)
        try:
            return Path(os.path.commonpath([os.path.abspath(f) for f in folders]))
        except ValueError:  # pragma: no cover - two Windows drives
            return None


def programmes_file(catalog: Catalog | str | os.PathLike[str]) -> Path | None:
    """The programmes file of a catalogue (given as a path, or as a catalogue read from files), if
    there is one: ``.programmes.yaml`` in the catalogue's folder (the folder of a one-file catalogue)."""
    if isinstance(catalog, Catalog):
        folder = catalogue_folder(catalog)
    else:
        path = Path(catalog)
        folder = path if path.is_dir() else path.parent
    if folder is None:
        return None
    found = folder / PROGRAMMES_FILE
    return found if found.is_file() else None


def read_programmes(path: str | os.PathLike[str], catalog: Catalog) -> ProgrammesFile:
    """The programmes file at ``path``, checked against ``catalog``: every course and credential it
    names must be the catalogue's, and a step cannot choose more options than it has.

    Raises :class:`MicrocredError` with every problem found, each located at file, line and column.
    """
    try:
        doc = read_yaml_file(Path(path), str(path))
    except YamlLoadError as exc:
        raise MicrocredError([exc.diagnostic]) from None
    if doc.data is None:
        raise MicrocredError([_empty(doc)])
    try:
        spec = _file.validate_python(doc.data)
    except ValidationError as exc:
        raise MicrocredError(diagnostics_from_validation(exc, doc, (), doc.data, ProgrammesFile)) from None
    problems = list(_check(doc, spec, catalog))
    if problems:
        raise MicrocredError(problems)
    return spec


def _empty(doc: YamlDocument) -> Diagnostic:
    return Diagnostic(
        "E202",
        "missing required key 'programmes' in (top level): the file is empty; list the programmes "
        "under 'programmes:' (docs/scale.md), or remove the file to use programmes drawn from the catalogue",
        doc.locate(()),
    )


def _count(items: Sequence[Any]) -> int:
    """How many parts ``items`` holds once its lists are spliced in."""
    return sum(_count(p) if isinstance(p, list) else 1 for p in items)


def _check(doc: YamlDocument, spec: ProgrammesFile, catalog: Catalog) -> Iterator[Diagnostic]:
    """What the shape cannot say: the ids are the catalogue's, ``choose`` fits, names are unique."""
    courses, credentials = catalog.courses, catalog.credentials

    def course(cid: str, path: Sequence[PathElem], *, key: bool = False) -> Iterator[Diagnostic]:
        if cid not in courses:
            yield Diagnostic(
                "E301",
                f"unknown course '{cid}'{suggest(cid, courses)}: the programmes name courses of the catalogue "
                "only; correct the id or add the course to the catalogue",
                doc.locate(path, key=key),
            )

    def credential(cid: str, path: Sequence[PathElem]) -> Iterator[Diagnostic]:
        if cid not in credentials:
            yield Diagnostic(
                "E302",
                f"unknown credential '{cid}'{suggest(cid, credentials)}: the programmes name credentials of the "
                "catalogue only; correct the id or add the credential to the catalogue",
                doc.locate(path),
            )

    def parts(items: Sequence[Any], path: tuple[PathElem, ...]) -> Iterator[Diagnostic]:
        for i, part in enumerate(items):
            if isinstance(part, str):
                yield from course(part, (*path, i))
            elif isinstance(part, StepSpec):
                yield from step(part, (*path, i))
            else:
                yield from parts(part, (*path, i))

    def step(s: StepSpec, path: tuple[PathElem, ...]) -> Iterator[Diagnostic]:
        for key in ("all", "one", "of"):
            items = getattr(s, key)
            if items is not None:
                yield from parts(items, (*path, key))
        for i, option in enumerate(s.options or ()):
            yield from parts(option, (*path, "options", i))
        count = _count(s.of) if s.of is not None else len(s.options or ())
        if s.choose is not None and s.choose > count:
            what = f"{count} parts listed under 'of'" if s.of is not None else f"{count} options listed"
            yield Diagnostic(
                "E203",
                f"choose: {s.choose} asks for more than the {what}; lower it to {count} at most or list more",
                doc.locate((*path, "choose")),
            )

    seen: dict[str, int] = {}
    for i, prog in enumerate(spec.programmes):
        at: tuple[PathElem, ...] = ("programmes", i)
        if prog.name in seen:
            first = doc.locate(("programmes", seen[prog.name], "name"))
            yield Diagnostic(
                "E205",
                f"programme '{prog.name}' is defined twice: here and at {first}; remove one or give it another name",
                doc.locate((*at, "name")),
            )
        seen.setdefault(prog.name, i)
        yield from credential(prog.target, (*at, "target"))
        yield from parts(prog.steps, (*at, "steps"))
        for cid in prog.extras:
            yield from course(cid, (*at, "extras", cid), key=True)
        for j, cid in enumerate(prog.fillers):
            yield from course(cid, (*at, "fillers", j))
        for j, award in enumerate(prog.awards):
            yield from credential(award.credential, (*at, "awards", j, "credential"))
            for k, cid in enumerate(award.replaces):
                yield from course(cid, (*at, "awards", j, "replaces", k))
