"""Reading a catalogue: files → located documents → models, merged, with every error collected."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from microcred.io.frameworks import FrameworkError, read_framework
from microcred.io.gcpause import paused_gc
from microcred.io.modelerrors import diagnostics_from_validation, suggest
from microcred.io.yamlsource import YamlDocument, YamlLoadError, read_yaml_file
from microcred.model.catalog import Catalog, CatalogFile, CatalogInfo, Course, Credential, Origin, SourceMap
from microcred.model.competencies import Competency, Framework, Occupation, as_ref
from microcred.model.diagnostics import Diagnostic, Location
from microcred.model.recognition import RecognitionRule
from microcred.taxonomy.models import CredentialType, Taxonomy

SECTIONS = tuple(CatalogFile.model_fields)
YAML_SUFFIXES = (".yaml", ".yml")

_course = TypeAdapter(Course)
_credential = TypeAdapter(Credential)
_info = TypeAdapter(CatalogInfo)
_taxonomy = TypeAdapter(Taxonomy)
_framework = TypeAdapter(Framework)
_recognition = TypeAdapter(RecognitionRule)


class PathError(Exception):
    """A path given by the user does not exist or is not a catalogue (a usage error)."""


def catalogue_files(path: Path) -> list[tuple[Path, str]]:
    """The YAML files of a catalogue (a file, or a directory searched recursively), sorted.

    Hidden files and directories (``.git``) are skipped. Raises :class:`PathError`.
    """
    if path.is_file():
        return [(path, str(path))]
    if path.is_dir():
        found = []
        for p in sorted(path.rglob("*")):
            rel = p.relative_to(path)
            if any(part.startswith(".") for part in rel.parts):
                continue
            if p.suffix.lower() in YAML_SUFFIXES and p.is_file():
                found.append((p, str(p)))
        if not found:
            raise PathError(
                f"{path}: no .yaml or .yml files in this directory; give the catalogue's folder or one of its files"
            )
        return found
    if path.exists():
        raise PathError(f"{path}: not a regular file (a device, pipe or socket); give a YAML file or a folder of them")
    raise PathError(f"{path}: no such file or directory; check the path")


class _Merger:
    def __init__(self) -> None:
        self.sources = SourceMap()
        self.diagnostics: list[Diagnostic] = []
        self.info: CatalogInfo | None = None
        self.grade_scale: Any = None
        self.types: dict[str, CredentialType] = {}
        self.courses: dict[str, Course] = {}
        self.credentials: dict[str, Credential] = {}
        self.broken: set[str] = set()
        self.frameworks: dict[str, Framework] = {}
        self.competencies: dict[str, Competency] = {}
        self.occupations: dict[str, Occupation] = {}
        self.needs: dict[str, list[tuple[str, int | None]]] = {}
        self.codes: dict[tuple[str, str], str] = {}
        self.clashes: list[tuple[Competency, Competency]] = []
        self.files: dict[str, str] = {}
        self.recognition: list[RecognitionRule] = []

    def duplicate(self, what: str, ident: str, first: Origin, here: Origin) -> None:
        prev = self.sources.locate(first)
        self.diagnostics.append(
            Diagnostic(
                "E205",
                f"{what} '{ident}' is defined twice: here and at {prev}; remove one or give it another id",
                self.sources.locate(here),
            )
        )

    def add_document(self, doc: YamlDocument) -> None:
        self.sources.documents[doc.file] = doc
        data = doc.data
        if data is None:
            self.diagnostics.append(Diagnostic("W605", "empty file: it defines nothing", Location(doc.file, 1, 1)))
            return
        if not isinstance(data, dict):
            self.diagnostics.append(
                Diagnostic(
                    "E203",
                    "a catalogue file must be a mapping with any of the keys " + ", ".join(SECTIONS),
                    doc.locate(()),
                )
            )
            return
        for key in data:
            if key not in SECTIONS:
                self.diagnostics.append(
                    Diagnostic(
                        "E201",
                        f"unknown top-level key '{key}'{suggest(str(key), SECTIONS)}; "
                        "a catalogue file may hold: " + ", ".join(SECTIONS),
                        doc.locate((key,), key=True),
                    )
                )
        if "catalog" in data:
            self.add_info(doc, data["catalog"])
        if "taxonomy" in data:
            self.add_taxonomy(doc, data["taxonomy"])
        if "frameworks" in data and data["frameworks"] is not None:
            if isinstance(data["frameworks"], list):
                for i, raw in enumerate(data["frameworks"]):
                    self.add_framework(doc, i, raw)
            else:
                self.diagnostics.append(
                    Diagnostic(
                        "E203",
                        "'frameworks' must be a list (each item starting with '- ')",
                        doc.locate(("frameworks",)),
                    )
                )
        for section, adapter in (("courses", _course), ("credentials", _credential), ("recognition", _recognition)):
            if section not in data:
                continue
            items = data[section]
            if items is None:
                continue
            if not isinstance(items, list):
                self.diagnostics.append(
                    Diagnostic(
                        "E203", f"'{section}' must be a list (each item starting with '- ')", doc.locate((section,))
                    )
                )
                continue
            for i, raw in enumerate(items):
                self.add_item(doc, section, i, raw, adapter)

    def validate(
        self, doc: YamlDocument, path: tuple[str | int, ...], raw: Any, adapter: TypeAdapter[Any], model: Any
    ) -> Any:
        try:
            return adapter.validate_python(raw)
        except ValidationError as exc:
            self.diagnostics.extend(diagnostics_from_validation(exc, doc, path, raw, model))
            return None

    def add_info(self, doc: YamlDocument, raw: Any) -> None:
        here: Origin = (doc.file, ("catalog",))
        if self.sources.catalog is not None:
            self.duplicate("the catalog section", "catalog", self.sources.catalog, here)
            return
        self.sources.catalog = here
        self.info = self.validate(doc, ("catalog",), raw, _info, CatalogInfo)

    def add_taxonomy(self, doc: YamlDocument, raw: Any) -> None:
        tax: Taxonomy | None = self.validate(doc, ("taxonomy",), raw, _taxonomy, Taxonomy)
        if tax is None:
            if isinstance(raw, dict) and isinstance(raw.get("types"), dict):
                self.broken.update(str(k) for k in raw["types"])
            return
        if tax.grade_scale is not None:
            here: Origin = (doc.file, ("taxonomy", "grade_scale"))
            if self.sources.grade_scale is not None:
                self.duplicate("the grade scale", "grade_scale", self.sources.grade_scale, here)
            else:
                self.sources.grade_scale = here
                self.grade_scale = tax.grade_scale
        for name, ctype in tax.types.items():
            here = (doc.file, ("taxonomy", "types", name))
            if name in self.sources.types:
                self.duplicate("credential type", name, self.sources.types[name], here)
                continue
            self.sources.types[name] = here
            self.types[name] = ctype

    def add_item(self, doc: YamlDocument, section: str, i: int, raw: Any, adapter: TypeAdapter[Any]) -> None:
        path: tuple[str | int, ...] = (section, i)
        model = {"courses": Course, "credentials": Credential}.get(section, RecognitionRule)
        item = self.validate(doc, path, raw, adapter, model)
        if section == "recognition":
            if item is not None:
                self.sources.recognition.append((doc.file, path))
                self.recognition.append(item)
            return
        if item is None:
            if isinstance(raw, dict) and isinstance(raw.get("id"), str):
                self.broken.add(raw["id"])
            return
        table: dict[str, Any] = self.courses if section == "courses" else self.credentials
        origins = self.sources.courses if section == "courses" else self.sources.credentials
        here: Origin = (doc.file, path)
        if item.id in table:
            self.duplicate("course" if section == "courses" else "credential", item.id, origins[item.id], here)
            return
        origins[item.id] = here
        table[item.id] = item

    def add_framework(self, doc: YamlDocument, i: int, raw: Any) -> None:
        path: tuple[str | int, ...] = ("frameworks", i)
        fw: Framework | None = self.validate(doc, path, raw, _framework, Framework)
        if fw is None:
            return
        here: Origin = (doc.file, path)
        if fw.id in self.frameworks:
            self.duplicate("framework", fw.id, self.sources.frameworks[fw.id], here)
            return
        self.sources.frameworks[fw.id] = here
        self.frameworks[fw.id] = fw
        found = [Competency(c.uri, c.statement, fw.id, c.code, c.name, c.type) for c in fw.competencies]
        if fw.source is not None:
            file = Path(doc.file).parent / fw.source
            try:
                data = read_framework(file, fw.id, fw.format)
            except FrameworkError as exc:
                self.diagnostics.append(
                    Diagnostic(
                        "E320",
                        f"framework '{fw.id}': {exc.where(str(file))}: {exc.message}",
                        doc.locate((*path, "source")),
                    )
                )
                return
            self.files[str(file.resolve())] = data.digest
            for occ_uri, skill, level in data.needs:
                self.needs.setdefault(occ_uri, []).append((skill, level))
            found += [dataclasses.replace(c, scheme=data.format) for c in data.competencies]
            for occ in data.occupations:
                self.occupations.setdefault(occ.uri, occ)
        for od in fw.occupations:
            self.occupations.setdefault(od.uri, Occupation(od.uri, od.title, fw.id, od.code))
            self.needs.setdefault(od.uri, []).extend((as_ref(i).uri, as_ref(i).level) for i in od.competencies)
        for comp in found:
            first = self.competencies.get(comp.uri)
            if first is None:
                self.competencies[comp.uri] = comp
            elif first != comp:
                self.clashes.append((comp, first))
            if comp.code is not None:
                self.codes.setdefault((fw.id, comp.code), comp.uri)

    def _occupations(self) -> dict[str, Occupation]:
        """The occupations, with the needs read from relation files added to each."""
        out = dict(self.occupations)
        for uri, needs in self.needs.items():
            occ = out.get(uri) or Occupation(uri, uri.rsplit("/", 1)[-1], "", uri.rsplit("/", 1)[-1])
            out[uri] = dataclasses.replace(occ, needs=occ.needs + tuple(needs))
        return out

    def catalog(self) -> Catalog:
        return Catalog(
            info=self.info,
            taxonomy=Taxonomy(grade_scale=self.grade_scale, types=self.types),
            courses=self.courses,
            credentials=self.credentials,
            sources=self.sources,
            broken_ids=frozenset(self.broken),
            frameworks=self.frameworks,
            competencies=self.competencies,
            occupations=self._occupations(),
            competency_codes=self.codes,
            competency_clashes=self.clashes,
            external_files=self.files,
            recognition=self.recognition,
        )


def read_catalog(paths: Path | str | Sequence[Path | str]) -> tuple[Catalog, list[Diagnostic]]:
    """Read a catalogue from one or more files or directories, merging them.

    Returns the catalogue (with every part that could be read) and every diagnostic found while
    reading. Raises :class:`PathError` when a path does not exist.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    files: list[tuple[Path, str]] = []
    for p in paths:
        files.extend(catalogue_files(Path(p)))
    return read_catalog_files(files)


def read_catalog_files(files: Iterable[tuple[Path, str]]) -> tuple[Catalog, list[Diagnostic]]:
    """Read the given files as one catalogue.

    Python's cyclic garbage collector is paused while reading: the located node trees are
    kept (every diagnostic needs them) and each full collection would walk them all again,
    which makes reading grow faster than the input. The collector's previous state is
    restored afterwards, whatever happens.
    """
    merger = _Merger()
    with paused_gc():
        for path, display in files:
            try:
                doc = read_yaml_file(path, display)
            except YamlLoadError as exc:
                merger.diagnostics.append(exc.diagnostic)
                continue
            merger.add_document(doc)
    return merger.catalog(), merger.diagnostics


def __getattr__(name: str) -> Any:
    """``microcred.io.loader.load_catalog``, moved to :mod:`microcred.checks.validate` (loading sits below
    validation); kept here for one release, with a deprecation warning."""
    if name == "load_catalog":
        import warnings

        warnings.warn(
            "microcred.io.loader.load_catalog has moved: import it from microcred (or microcred.checks.validate)",
            DeprecationWarning,
            stacklevel=2,
        )
        from microcred.checks.validate import load_catalog

        return load_catalog
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
