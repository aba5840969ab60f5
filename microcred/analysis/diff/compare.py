"""``diff_catalogs``: two versions of a catalogue compared, credential by credential."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from microcred.analysis.diff.equivalence import _Analysis, _focus, _Sides
from microcred.analysis.diff.fingerprint import _direct_targets, _fingerprint, _scale_key
from microcred.analysis.diff.pairing import _facet_changes
from microcred.analysis.diff.reading import Level, _AtomInfo, _canon, _Reader
from microcred.analysis.diff.results import CatalogDiff, Counterexample, CredentialDiff, FieldChange, _show
from microcred.model.catalog import Catalog, Credential
from microcred.rules.compiled import CompiledCatalog
from microcred.rules.nodes import RuleBase

# == diff_catalogs ==========================================================================

_CRED_FIELDS = ("title", "type", "credits", "valid_for", "min_grade")
_COURSE_FIELDS = ("title", "credits", "subject", "level", "attributes")


def _compile(catalog: Catalog) -> CompiledCatalog:
    from microcred.rules.evaluate import compile_catalog

    return compile_catalog(catalog)


def diff_catalogs(old: Catalog, new: Catalog) -> CatalogDiff:
    """Compare two versions of a catalogue (both should be valid: see
    :func:`~microcred.checks.validate.load_catalog`)."""
    out = CatalogDiff(old.id, new.id)
    out.added = [c for c in new.credentials if c not in old.credentials]
    out.removed = [c for c in old.credentials if c not in new.credentials]
    if _scale_key(old) != _scale_key(new):
        out.catalogue.append(
            FieldChange(
                "grade_scale",
                [f"{g.name}={_show(g.points)}" for g in old.grade_scale.grades.values()],
                [f"{g.name}={_show(g.points)}" for g in new.grade_scale.grades.values()],
            )
        )
    if old.repeats != new.repeats:
        out.catalogue.append(FieldChange("repeats", old.repeats, new.repeats))
    out.courses_added = [c for c in new.courses if c not in old.courses]
    out.courses_removed = [c for c in old.courses if c not in new.courses]
    for cid, course in new.courses.items():
        was = old.courses.get(cid)
        if was is None:
            continue
        changes = [
            FieldChange(f, getattr(was, f), getattr(course, f))
            for f in _COURSE_FIELDS
            if getattr(was, f) != getattr(course, f)
        ]
        if changes:
            out.courses_changed[cid] = changes
    old_cc, new_cc = _compile(old), _compile(new)
    atoms: dict[Hashable, _AtomInfo] = {}
    grades: dict[Level, str] = {}
    read_old = _Reader(old, "old", atoms, grades)
    read_new = _Reader(new, "new", atoms, grades)
    affected = {
        cid
        for cid in new.credentials
        if cid in old.credentials and _fingerprint(old_cc, cid) != _fingerprint(new_cc, cid)
    }
    for cid, cred in new.credentials.items():
        before = old.credentials.get(cid)
        if before is None:
            continue
        d = CredentialDiff(cid, cred.title)
        d.fields = [
            FieldChange(f, getattr(before, f), getattr(cred, f))
            for f in _CRED_FIELDS
            if getattr(before, f) != getattr(cred, f)
        ]
        d.affected = cid in affected
        d.includes_changed = [
            t for t in _direct_targets(cred.requires) if t in affected or t in out.added or t in out.removed
        ]
        _compare_rules(d, before, cred, read_old, read_new, atoms, grades)
        out.credentials[cid] = d
    return out


def _dump(rule: RuleBase | None) -> Any:
    return None if rule is None else rule.model_dump(by_alias=True, exclude_none=True)


def _compare_rules(
    d: CredentialDiff,
    before: Credential,
    after: Credential,
    read_old: _Reader,
    read_new: _Reader,
    atoms: dict[Hashable, _AtomInfo],
    grades: dict[Level, str],
) -> None:
    if before.requires is None and after.requires is None:
        d.meaning = "no_rule"
        return
    if before.requires is None:
        d.meaning, d.rewritten = "rule_added", True
        return
    if after.requires is None:
        d.meaning, d.rewritten = "rule_removed", True
        return
    d.rewritten = _dump(before.requires) != _dump(after.requires) or before.min_grade != after.min_grade
    old_node, old_facets = read_old.credential(before.id)
    new_node, new_facets = read_new.credential(after.id)
    assert old_node is not None and new_node is not None
    d.changes = _facet_changes(old_facets, new_facets)
    canon_old, canon_new = _canon(old_node), _canon(new_node)
    if canon_old == canon_new:
        equivalent: bool | None = True
        examples: list[Counterexample] = []
    else:
        sides = _Sides(old_node, new_node)
        focus = _focus(canon_old, canon_new)
        if focus is not None:
            sides.focus_old, sides.focus_new = focus
        equivalent, examples = _Analysis(sides, atoms, grades).run()
    d.counterexamples = examples
    if examples or d.changes:
        d.meaning = "changed"
        if equivalent is None and not examples:
            d.note = "the skeleton was too large to compare; the changes below were found by pairing nodes"
    elif equivalent is None:
        d.meaning = "not_analysed"
    else:
        d.meaning = "equivalent" if d.rewritten or canon_old != canon_new else "unchanged"
