"""Checks of competency alignments: unknown competencies (E321), levels a framework does not
define (E322), credentials of a type that requires an alignment and have none (E323), and a
competency two frameworks define differently (W620)."""

from __future__ import annotations

from collections.abc import Iterator

from microcred.io.modelerrors import suggest
from microcred.model.catalog import Catalog, SourceMap
from microcred.model.competencies import CompetencyRef, as_ref, resolve_uri
from microcred.model.diagnostics import Diagnostic, Location
from microcred.model.skills import credential_alignments


def _refs(catalog: Catalog) -> Iterator[tuple[str, str, int, str | CompetencyRef, Location | None]]:
    src: SourceMap = catalog.sources
    for cid, course in catalog.courses.items():
        for i, item in enumerate(course.competencies):
            yield "course", cid, i, item, src.course(cid, ("competencies", i))
    for cid, cred in catalog.credentials.items():
        for i, item in enumerate(cred.competencies):
            yield "credential", cid, i, item, src.credential(cid, ("competencies", i))
    for fid, fw in catalog.frameworks.items():
        for j, occ in enumerate(fw.occupations):
            for i, item in enumerate(occ.competencies):
                where = src.locate(src.frameworks.get(fid), ("occupations", j, "competencies", i))
                yield "occupation", occ.uri, i, item, where


def check_alignments(catalog: Catalog) -> Iterator[Diagnostic]:
    """E321 and E322 on every ``competencies:`` entry of a course or credential."""
    for what, cid, _i, item, loc in _refs(catalog):
        ref = as_ref(item)
        uri = resolve_uri(ref.uri, catalog.competencies, catalog.competency_codes)
        if uri is None:
            fw, sep, code = ref.uri.partition(":")
            if not catalog.frameworks:
                hint = "the catalogue defines no framework: add a `frameworks:` section that defines it"
            elif sep and fw in catalog.frameworks:
                codes = [c for f, c in catalog.competency_codes if f == fw]
                hint = f"framework '{fw}' has no competency coded '{code}'{suggest(code, codes)}"
            else:
                hint = "no framework of the catalogue defines it; check the URI or add the framework that does"
            yield Diagnostic("E321", f"{what} '{cid}' aligns with unknown competency '{ref.uri}': {hint}", loc)
            continue
        if ref.level is None:
            continue
        comp = catalog.competencies[uri]
        levels = catalog.frameworks[comp.framework].levels if comp.framework in catalog.frameworks else None
        if levels is None:
            yield Diagnostic(
                "E322",
                f"{what} '{cid}' gives level {ref.level} for '{ref.uri}', but framework '{comp.framework}' defines "
                f"no levels; remove `level` or give the framework `levels: {{min: …, max: …}}`",
                loc,
            )
        elif not levels.min <= ref.level <= levels.max:
            yield Diagnostic(
                "E322",
                f"{what} '{cid}' gives level {ref.level} for '{ref.uri}', outside framework "
                f"'{comp.framework}''s levels {levels.min}–{levels.max}",
                loc,
            )


def check_required(catalog: Catalog) -> Iterator[Diagnostic]:
    """E323: a credential whose type requires competencies aligns with none, own or inherited."""
    wanting = {name for name, t in catalog.types.items() if t.require_competencies}
    if not wanting:
        return
    aligned = credential_alignments(catalog)
    for cid, cred in catalog.credentials.items():
        if cred.type in wanting and not aligned.get(cid):
            yield Diagnostic(
                "E323",
                f"credential '{cid}' aligns with no competency, but the taxonomy requires one of every "
                f"{cred.type}; list `competencies:` on it, or on courses its rule cannot do without",
                catalog.sources.credential(cid, ("id",)),
            )


def check_disagreements(catalog: Catalog) -> Iterator[Diagnostic]:
    """W620: one URI defined twice, differently (the first definition is kept)."""
    for later, first in catalog.competency_clashes:
        what = []
        if later.statement != first.statement:
            what.append(f"statement {later.statement!r} against {first.statement!r}")
        if later.code != first.code:
            what.append(f"code {later.code!r} against {first.code!r}")
        if later.name != first.name:
            what.append(f"name {later.name!r} against {first.name!r}")
        if not what:
            continue
        yield Diagnostic(
            "W620",
            f"framework '{later.framework}' defines '{later.uri}' differently from framework '{first.framework}' "
            f"({'; '.join(what)}); the first is used: import the framework once, or align them",
            catalog.sources.locate(catalog.sources.frameworks.get(later.framework), ("id",)),
        )


def check_competencies(catalog: Catalog) -> Iterator[Diagnostic]:
    yield from check_alignments(catalog)
    yield from check_required(catalog)
    yield from check_disagreements(catalog)
