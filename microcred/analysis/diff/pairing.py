"""The numbers the skeleton cannot see: nodes of two versions of a rule paired and compared."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from microcred.analysis.diff.results import RuleChange, _join
from microcred.analysis.diff.skeleton import _duration_text, _Facet

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


def _overlap(a: Iterable[str], b: Iterable[str]) -> float:
    sa, sb = set(a), set(b)
    if not sa and not sb:
        return 0.5
    return len(sa & sb) / max(1, len(sa | sb))


def _similar(f: _Facet, g: _Facet) -> float:
    if f.kind == "course":
        return 1.0 if f.data["course"] == g.data["course"] else 0.0
    if f.kind == "credential":
        return 1.0 if f.data["target"] == g.data["target"] else 0.0
    if f.kind in ("courses", "credits"):
        return _overlap(f.data["courses"], g.data["courses"])
    if f.kind == "gpa":
        fo, go = f.data["over"], g.data["over"]
        if fo is None or go is None:
            return 1.0 if fo is go else 0.1
        return _overlap(fo, go) or 0.1
    if f.kind == "at_least":
        return 1.0 if f.data["of"] == g.data["of"] else 0.1
    if f.kind == "window":
        return 1.0 if f.data["kind"] == g.data["kind"] else 0.1
    return 0.0


def _facet_changes(old: list[_Facet], new: list[_Facet]) -> list[RuleChange]:
    out: list[RuleChange] = []
    grade_moves: dict[tuple[str | None, str | None], list[str]] = {}
    shared_moves: dict[bool, list[str]] = {}
    for kind in ("course", "courses", "credits", "gpa", "credential", "at_least", "window"):
        fo = [f for f in old if f.kind == kind]
        fn = [f for f in new if f.kind == kind]
        pairs, left_old, left_new = _pair(fo, fn, _similar)
        for a, b in pairs:
            name = b.name
            da, db = a.data, b.data
            if kind in ("courses", "credits") and da["need"] != db["need"]:
                unit = "courses" if kind == "courses" else "credits"
                out.append(
                    RuleChange(kind, name, da["need"], db["need"], f"{name}: {da['need']:g} → {db['need']:g} {unit}")
                )
            if kind in ("courses", "credits"):
                gained = sorted(set(db["courses"]) - set(da["courses"]))
                lost = sorted(set(da["courses"]) - set(db["courses"]))
                if gained:
                    out.append(
                        RuleChange("selector", name, None, gained, f"{name}: now also matches {', '.join(gained)}")
                    )
                if lost:
                    out.append(RuleChange("selector", name, lost, None, f"{name}: no longer matches {', '.join(lost)}"))
            if kind in ("credits", "gpa"):
                va, vb = da["credit_values"], db["credit_values"]
                for c in sorted(set(va) & set(vb)):
                    if va[c] != vb[c]:
                        out.append(
                            RuleChange(
                                "credit_values",
                                name,
                                va[c],
                                vb[c],
                                f"{name}: {c} counts {va[c]:g} → {vb[c]:g} credits",
                            )
                        )
            if kind == "credits":
                ga = sorted(set(db["admits"]) - set(da["admits"]))
                la = sorted(set(da["admits"]) - set(db["admits"]))
                if ga:
                    out.append(RuleChange("admits", name, None, ga, f"{name}: now also admits {', '.join(ga)}"))
                if la:
                    out.append(RuleChange("admits", name, la, None, f"{name}: no longer admits {', '.join(la)}"))
            if kind == "gpa":
                if da["need"] != db["need"]:
                    word = "GPA " if (b.node_id or b.label) else ""
                    msg = f"{name}: {word}{da['need']:g} → {db['need']:g}"
                    out.append(RuleChange("gpa", name, da["need"], db["need"], msg))
                oa, ob = da["over"], db["over"]
                if oa != ob:
                    if oa is None or ob is None:
                        old_t = "all courses" if oa is None else ", ".join(oa)
                        new_t = "all courses" if ob is None else ", ".join(ob)
                        out.append(RuleChange("gpa_over", name, oa, ob, f"{name}: GPA over {old_t} → {new_t}"))
                    else:
                        gained = sorted(set(ob) - set(oa))
                        lost = sorted(set(oa) - set(ob))
                        if gained:
                            msg = f"{name}: the GPA now also averages {', '.join(gained)}"
                            out.append(RuleChange("gpa_over", name, None, gained, msg))
                        if lost:
                            msg = f"{name}: the GPA no longer averages {', '.join(lost)}"
                            out.append(RuleChange("gpa_over", name, lost, None, msg))
            if kind == "at_least" and da["need"] != db["need"]:
                out.append(
                    RuleChange(
                        "at_least",
                        name,
                        da["need"],
                        db["need"],
                        f"{name}: {da['need']} → {db['need']} of {db['of']}"
                        if name == "at_least"
                        else f"{name}: at_least {da['need']} → {db['need']} of {db['of']}",
                    )
                )
            if kind == "window" and da["months"] != db["months"]:
                out.append(
                    RuleChange(
                        "complete_within",
                        name,
                        _duration_text(da["months"]),
                        _duration_text(db["months"]),
                        f"{name}: complete_within {_duration_text(da['months'])} → {_duration_text(db['months'])}",
                    )
                )
            if kind in ("course", "courses", "credits", "credential"):
                if da["level"] != db["level"]:
                    grade_moves.setdefault((da["min_grade"], db["min_grade"]), []).append(name)
                if da["shared"] != db["shared"]:
                    shared_moves.setdefault(db["shared"], []).append(name)
        if kind == "window":
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
