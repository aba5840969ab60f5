"""Checks that depend on the taxonomy: types, stacking permissions, metadata, credit bounds,
grades."""

from __future__ import annotations

from collections.abc import Iterator

from microcred.io.modelerrors import suggest
from microcred.model.catalog import Catalog
from microcred.model.diagnostics import Diagnostic
from microcred.rules.nodes import walk


def check_types(catalog: Catalog) -> Iterator[Diagnostic]:
    """E303: credential types and ``stacks_into`` entries the taxonomy lacks."""
    types = catalog.types
    src = catalog.sources
    for name, ctype in types.items():
        for i, target in enumerate(ctype.stacks_into):
            if target not in types:
                yield Diagnostic(
                    "E303",
                    f"type '{name}' stacks into '{target}', which the taxonomy does not define"
                    f"{suggest(target, types)}; add it under taxonomy.types or fix the name",
                    src.type(name, ("stacks_into", i)),
                )
    for cid, cred in catalog.credentials.items():
        if cred.type not in types and cred.type not in catalog.broken_ids:
            known = ", ".join(sorted(types)) or "none defined"
            yield Diagnostic(
                "E303",
                f"credential '{cid}' has type '{cred.type}', which the taxonomy does not define"
                f"{suggest(cred.type, types)}; types: {known}",
                src.credential(cid, ("type",)),
            )


def check_stacking_permissions(catalog: Catalog) -> Iterator[Diagnostic]:
    """E305: a ``credential:`` node stacks a credential into one whose type it may not enter."""
    types = catalog.types
    for cid, cred in catalog.credentials.items():
        if cred.requires is None or cred.type not in types:
            continue
        for path, node, _anc in walk(cred.requires, ("requires",)):
            named = node.named_credential
            if named is None:
                continue
            inner = catalog.credentials.get(named)
            if inner is None or inner.type not in types:
                continue
            allowed = types[inner.type].stacks_into
            if cred.type not in allowed:
                may = ", ".join(allowed) if allowed else "nothing"
                yield Diagnostic(
                    "E305",
                    f"'{named}' ({inner.type}) cannot stack into '{cid}' ({cred.type}): the "
                    f"taxonomy lets a {inner.type} stack into {may}; add '{cred.type}' to "
                    f"taxonomy.types.{inner.type}.stacks_into or remove this reference",
                    catalog.sources.credential(cid, path),
                )


def check_required_fields(catalog: Catalog) -> Iterator[Diagnostic]:
    """E307: metadata the credential's type requires is missing or empty."""
    for cid, cred in catalog.credentials.items():
        ctype = catalog.types.get(cred.type)
        if ctype is None:
            continue
        for fld in ctype.required_fields:
            if cred.field_value(fld) is None:
                yield Diagnostic(
                    "E307",
                    f"credential '{cid}' lacks '{fld}', which every {cred.type} must have "
                    f"(taxonomy.types.{cred.type}.required_fields); add `{fld}: ...` "
                    "(or under `metadata:` for institution-specific fields)",
                    catalog.sources.credential(cid, ("id",), key=True),
                )


def check_credit_bounds(catalog: Catalog) -> Iterator[Diagnostic]:
    """E308: a credential's ``credits`` outside its type's bounds."""
    for cid, cred in catalog.credentials.items():
        ctype = catalog.types.get(cred.type)
        if ctype is None or ctype.credits is None or cred.credits is None:
            continue
        lo, hi = ctype.credits.min, ctype.credits.max
        if (lo is not None and cred.credits < lo) or (hi is not None and cred.credits > hi):
            bounds = (
                f"{lo:g} to {hi:g}"
                if lo is not None and hi is not None
                else (f"at least {lo:g}" if lo is not None else f"at most {hi:g}")
            )
            yield Diagnostic(
                "E308",
                f"credential '{cid}' is worth {cred.credits:g} credits, but a {cred.type} must be "
                f"worth {bounds} (taxonomy.types.{cred.type}.credits)",
                catalog.sources.credential(cid, ("credits",)),
            )


def check_grades(catalog: Catalog) -> Iterator[Diagnostic]:
    """E306: a ``min_grade`` that is not on the scale, or that has no points to compare."""
    scale = catalog.grade_scale
    names = scale.names()

    def bad(grade: str, cid: str, path: tuple[str | int, ...]) -> Diagnostic | None:
        if grade not in scale:
            return Diagnostic(
                "E306",
                f"min_grade '{grade}' is not on the grade scale{suggest(grade, names)}; grades: {', '.join(names)}",
                catalog.sources.credential(cid, path),
            )
        if scale.points(grade) is None:
            return Diagnostic(
                "E306",
                f"min_grade '{grade}' has no grade points, so it cannot be a minimum; use a graded value such as C",
                catalog.sources.credential(cid, path),
            )
        return None

    for cid, cred in catalog.credentials.items():
        if cred.min_grade is not None:
            d = bad(cred.min_grade, cid, ("min_grade",))
            if d:
                yield d
        if cred.requires is None:
            continue
        for path, node, _anc in walk(cred.requires, ("requires",)):
            if node.min_grade is not None:
                d = bad(node.min_grade, cid, (*path, "min_grade"))
                if d:
                    yield d


def check_cycles(catalog: Catalog, cycles: list[list[str]]) -> Iterator[Diagnostic]:
    """E304: credentials that stack into each other."""
    for cycle in cycles:
        shown = " → ".join(cycle)
        first = cycle[0]
        # point at the reference in the second credential's rule that names the first
        target = cycle[1]
        loc = catalog.sources.credential(target)
        cred = catalog.credentials.get(target)
        if cred is not None and cred.requires is not None:
            for path, node, _anc in walk(cred.requires, ("requires",)):
                if node.named_credential == first:
                    loc = catalog.sources.credential(target, path)
                    break
        yield Diagnostic(
            "E304",
            f"stacking cycle: {shown}; a credential cannot count toward itself, remove one of these references",
            loc,
        )
