"""The advisor's plain-text report of one learner's evaluation."""

from __future__ import annotations

from microcred.result import CredentialResult, LearnerResult, RequirementResult

STATUS_MARK = {"earned": "✓", "expired": "⌛", "in_progress": "◐", "partial": "○", "not_started": "·"}
STATUS_WORD = {
    "earned": "earned",
    "expired": "expired",
    "in_progress": "in progress",
    "partial": "partial",
    "not_started": "not started",
}
ORDER = {"earned": 0, "in_progress": 1, "partial": 2, "expired": 3, "not_started": 4}


def bar(progress: float, width: int = 20) -> str:
    filled = round(progress * width)
    return "█" * filled + "░" * (width - filled) + f" {progress * 100:5.1f}%"


def _tree(node: RequirementResult, depth: int, lines: list[str], optional: bool = False) -> None:
    mark = "✓" if node.satisfied else ("–" if optional else "◐" if node.progress > 0 else "✗")
    extra = ""
    if node.waived:
        extra = "  (waived)"
    elif node.note:
        extra = f"  ({node.note})"
    elif not node.satisfied and node.kind in ("courses", "credits", "all", "any", "at_least", "credential"):
        extra = f"  {node.progress * 100:.0f}%"
    lines.append(f"{'  ' * depth}{mark} {node.description}{extra}")
    for a in node.applied:
        sub = f" as {a.substituted_for}" if a.substituted_for else ""
        grade = a.grade or a.status.replace("_", " ")
        when = a.date.isoformat() if a.date else ""
        lines.append(f"{'  ' * (depth + 1)}· {a.course}{sub}  {grade}  {when}")
    # the unmet alternatives of a met choice are not needed: shown with a dash
    spare = node.satisfied and node.kind in ("any", "at_least")
    for c in node.children:
        _tree(c, depth + 1, lines, optional or spare)


def credential_block(r: CredentialResult, detail: bool = True) -> list[str]:
    head = f"{STATUS_MARK[r.status]} {r.title} ({r.id}, {r.type}): "
    dates = []
    if r.earned_on:
        head += ("awarded " if r.awarded else "earned ") + r.earned_on.isoformat()
    else:
        head += STATUS_WORD[r.status]
    if r.expires_on:
        dates.append(("expired " if r.status == "expired" else "expires ") + r.expires_on.isoformat())
    if dates:
        head += ", " + ", ".join(dates)
    lines = [head, "    " + bar(r.progress)]
    if not detail:
        return lines
    if r.requirements is not None and r.status != "not_started":
        tree: list[str] = []
        _tree(r.requirements, 0, tree)
        lines += ["    " + t for t in tree]
    if r.missing:
        lines.append("    Missing:")
        lines += [f"      - {m}" for m in r.missing]
    if r.not_counted:
        lines.append("    Did not count:")
        lines += [
            f"      - {n.course} ({n.grade or '-'}, {n.date.isoformat() if n.date else '-'}): {n.reason}"
            for n in r.not_counted
        ]
    for e in r.exceptions:
        lines.append(f"    Exception: {e.kind} {e.target} — {e.reason}")
    if r.stacks_into:
        lines.append("    Stacks into: " + ", ".join(f"{cid} ({p * 100:.0f}%)" for cid, p in r.stacks_into))
    return lines


def render(result: LearnerResult, *, show_all: bool = False) -> str:
    name = f"{result.learner_name} ({result.learner_id})" if result.learner_name else result.learner_id
    lines = [f"{name} — as of {result.as_of.isoformat()}", ""]
    ordered = sorted(result.credentials.values(), key=lambda r: (ORDER[r.status], -r.progress, r.id))
    hidden = 0
    for r in ordered:
        if r.status == "not_started" and not show_all:
            hidden += 1
            continue
        lines += credential_block(r)
        lines.append("")
    if hidden:
        lines.append(f"{hidden} credential{'s' if hidden != 1 else ''} not started (--all shows them).")
    if result.stacking:
        lines += ["", "Where it leads (stacking, up to degrees):"]
        for entry in result.stacking:
            title = result.credentials[entry.credential].title
            lines.append(f"  {STATUS_MARK[entry.status]} {title} ({entry.credential}, {STATUS_WORD[entry.status]}):")
            for t in entry.stacks_into:
                target = result.credentials[t.credential]
                via = "" if t.depth == 1 else f" (via {t.depth - 1} other{'s' if t.depth > 2 else ''})"
                lines.append(
                    f"      → {target.title}: {STATUS_WORD[t.status]}, {t.progress * 100:.0f}%, "
                    f"{t.credits:g} credits applied{via}"
                )
    for w in result.warnings:
        lines.append(f"warning: {w}")
    return "\n".join(lines).rstrip() + "\n"
