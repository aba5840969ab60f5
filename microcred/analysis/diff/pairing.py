"""The numbers the skeleton cannot see: nodes of two versions of a rule paired and compared."""

from __future__ import annotations

from collections.abc import Callable

from microcred.analysis.diff.reading import _Facet
from microcred.analysis.diff.results import RuleChange, _join
from microcred.rules.kinds import KINDS
from microcred.rules.kinds.base import duration_text as _duration_text

#: The facet of a completion window (``complete_within`` on any node), not a rule kind.
WINDOW = "window"

# -- (b): pairing nodes and comparing their numbers ---------------------------------------


def _pair(
    old: list[_Facet], new: list[_Facet], similar: Callable[[_Facet, _Facet], float]
) -> tuple[list[tuple[_Facet, _Facet]], list[_Facet], list[_Facet]]:
    """Pairs of facets that differ, and the facets left without a counterpart in the old and
    in the new rule. Exact matches are set aside first, then pairs are made by id, by label,
    by similarity, and finally from a single leftover on each side."""
    old, new = list(old), list(new)
    for f in list(old):
        match = next((g for g in new if g.sig == f.sig), None)
        if match is not None:
            old.remove(f)
            new.remove(match)
    pairs: list[tuple[_Facet, _Facet]] = []
    for attr in ("node_id", "label"):
        for f in list(old):
            value = getattr(f, attr)
            if value is None:
                continue
            match = next((g for g in new if getattr(g, attr) == value), None)
            if match is not None:
                pairs.append((f, match))
                old.remove(f)
                new.remove(match)
    while old and new:
        score, f, g = max(((similar(f, g), f, g) for f in old for g in new), key=lambda t: t[0])
        if score <= 0:
            break
        pairs.append((f, g))
        old.remove(f)
        new.remove(g)
    if len(old) == 1 and len(new) == 1:
        pairs.append((old[0], new[0]))
        old, new = [], []
    return pairs, old, new


def _similar(f: _Facet, g: _Facet) -> float:
    if f.kind == WINDOW:
        return 1.0 if f.data["kind"] == g.data["kind"] else 0.1
    return KINDS[f.kind].diff_similar(f.data, g.data)


def _facet_changes(old: list[_Facet], new: list[_Facet]) -> list[RuleChange]:
    """The changes between the paired facets of two versions of a rule: kind by kind (in the
    order of their ``diff_rank``), completion windows last, then the moves of ``min_grade``
    and ``shared``."""
    out: list[RuleChange] = []
    grade_moves: dict[tuple[str | None, str | None], list[str]] = {}
    shared_moves: dict[bool, list[str]] = {}
    present = {f.kind for f in (*old, *new)} - {WINDOW}
    order = list(KINDS)
    kinds = sorted(present, key=lambda k: (KINDS[k].diff_rank, order.index(k)))
    for kind in [*kinds, WINDOW]:
        fo = [f for f in old if f.kind == kind]
        fn = [f for f in new if f.kind == kind]
        pairs, left_old, left_new = _pair(fo, fn, _similar)
        for a, b in pairs:
            name = b.name
            da, db = a.data, b.data
            if kind == WINDOW:
                if da["months"] != db["months"]:
                    before, after = _duration_text(da["months"]), _duration_text(db["months"])
                    msg = f"{name}: complete_within {before} → {after}"
                    out.append(RuleChange("complete_within", name, before, after, msg))
                continue
            named = bool(b.node_id or b.label)
            for what, was, now, msg in KINDS[kind].diff_changes(name, da, db, named):
                out.append(RuleChange(what, name, was, now, msg))
            if "level" in da and "shared" in da:
                if da["level"] != db["level"]:
                    grade_moves.setdefault((da["min_grade"], db["min_grade"]), []).append(name)
                if da["shared"] != db["shared"]:
                    shared_moves.setdefault(db["shared"], []).append(name)
        if kind == WINDOW:
            for f in left_old:
                months = _duration_text(f.data["months"])
                msg = f"{f.name}: complete_within {months} removed"
                out.append(RuleChange("complete_within", f.name, months, None, msg))
            for g in left_new:
                months = _duration_text(g.data["months"])
                msg = f"{g.name}: complete_within {months} added"
                out.append(RuleChange("complete_within", g.name, None, months, msg))
    for (g_old, g_new), moved in grade_moves.items():
        names = list(dict.fromkeys(moved))
        out.append(
            RuleChange(
                "min_grade",
                ", ".join(names),
                g_old,
                g_new,
                f"min_grade {g_old or 'none'} → {g_new or 'none'} on {_join(names)}",
            )
        )
    for now, moved in shared_moves.items():
        names = list(dict.fromkeys(moved))
        word = "now shared" if now else "no longer shared"
        out.append(RuleChange("shared", ", ".join(names), not now, now, f"{word}: {_join(names)}"))
    return out
