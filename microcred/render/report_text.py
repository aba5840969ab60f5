"""The advisor's plain-text report of one learner's evaluation.

The report opens with a summary of about a dozen lines: what the learner has earned (since
when, until when), what is in progress, and what is next (the closest partial credentials and
what they still miss). ``detail=True`` (``microcred evaluate --detail``) adds, below it, every
credential's progress, requirement tree, what counted and what did not, and where it leads.
Every percentage is written by :func:`microcred.model.figures.percent_text`.
"""

from __future__ import annotations

from microcred.model.figures import percent, percent_text
from microcred.model.result import CredentialResult, LearnerResult, RequirementResult
from microcred.rules.kinds import KINDS, Count, Group, Reference

STATUS_MARK = {"earned": "✓", "expired": "⌛", "in_progress": "◐", "partial": "○", "not_started": "·"}
STATUS_WORD = {
    "earned": "earned",
    "expired": "expired",
    "in_progress": "in progress",
    "partial": "partial",
    "not_started": "not started",
}
ORDER = {"earned": 0, "in_progress": 1, "partial": 2, "expired": 3, "not_started": 4}


def _partial(kind: str) -> bool:
    """Whether an unmet node of ``kind`` shows its progress as a percentage."""
    found = KINDS.get(kind)
    return found is not None and found.partial


def _alternatives(kind: str) -> bool:
    """Whether a met node of ``kind`` may leave children unmet (they are then not needed)."""
    found = KINDS.get(kind)
    return found is not None and found.alternatives


#: how many partial credentials the summary names as "next"
NEXT = 3
#: the summary's lines are kept to this many characters where they can be
WIDTH = 100


def bar(progress: float, width: int = 20, status: str | None = None) -> str:
    """A bar of ``width`` cells and the percentage; an in-progress credential's cells still to
    be passed are shaded ``▒`` (they count once the courses in progress are passed)."""
    pct = percent(progress)
    filled = min(width, max(0, (pct * width + 50) // 100))
    if pct > 0 and filled == 0:
        filled = 1
    rest = "▒" if status == "in_progress" else "░"
    text = f" {pct:3d}%" + (", the rest in progress" if status == "in_progress" else "")
    return "█" * filled + rest * (width - filled) + text


def describe(node: RequirementResult, titles: dict[str, str] | None = None) -> str:
    """A requirement node in words: "all of", "any of", "at least 2 of 3" for groups (after
    the group's label when it has one), a credential by its title (the kind's ``heading``)."""
    desc = node.description
    found = KINDS.get(node.kind)
    heading = found.heading(desc) if found is not None else None
    if isinstance(heading, Group):
        return heading.text if desc == node.kind else f"{desc}: {heading.text}"
    if isinstance(heading, Count):
        return f"at least {heading.need} of {heading.of}"
    if isinstance(heading, Reference) and titles and heading.credential in titles:
        return f"{titles[heading.credential]} (credential {heading.credential})"
    return desc


def _tree(
    node: RequirementResult,
    depth: int,
    lines: list[str],
    optional: bool = False,
    titles: dict[str, str] | None = None,
) -> None:
    mark = "✓" if node.satisfied else ("–" if optional else "◐" if node.progress > 0 else "✗")
    extra = ""
    if node.waived:
        extra = "  (waived)"
    elif node.note:
        extra = f"  ({node.note})"
    elif not node.satisfied and not optional and node.progress > 0 and _partial(node.kind):
        extra = f"  {percent_text(node.progress)}"
    lines.append(f"{'  ' * depth}{mark} {describe(node, titles)}{extra}")
    for a in node.applied:
        sub = f" as {a.substituted_for}" if a.substituted_for else ""
        grade = a.grade or a.status.replace("_", " ")
        when = a.date.isoformat() if a.date else ""
        lines.append(f"{'  ' * (depth + 1)}· {a.course}{sub}  {grade}  {when}")
    # the unmet alternatives of a met choice are not needed: shown with a dash
    spare = node.satisfied and _alternatives(node.kind)
    for c in node.children:
        _tree(c, depth + 1, lines, optional or spare, titles)


def _dates(r: CredentialResult) -> str:
    """Since when and until when: "earned 2024-12-13, expires 2027-05-09"."""
    text = ""
    if r.earned_on:
        text = ("awarded " if r.awarded else "earned ") + r.earned_on.isoformat()
    if r.expires_on:
        text += (", " if text else "") + ("expired " if r.status == "expired" else "expires ")
        text += r.expires_on.isoformat()
    return text


def _when(r: CredentialResult) -> str:
    """The date a credential was earned, as the first column of a summary line."""
    return r.earned_on.isoformat() if r.earned_on else " " * 10


def _until(r: CredentialResult) -> str:
    """After a summary line's title: held by award, and until when."""
    text = ", awarded" if r.awarded else ""
    if r.expires_on:
        text += (", expired " if r.status == "expired" else ", expires ") + r.expires_on.isoformat()
    return text


def credential_block(r: CredentialResult, detail: bool = True, titles: dict[str, str] | None = None) -> list[str]:
    head = f"{STATUS_MARK[r.status]} {r.title} ({r.id}, {r.type}): "
    head += _dates(r) or STATUS_WORD[r.status]
    lines = [head, "    " + bar(r.progress, status=r.status)]
    if not detail:
        return lines
    if r.requirements is not None and r.status != "not_started":
        tree: list[str] = []
        _tree(r.requirements, 0, tree, titles=titles)
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
        lines.append("    Stacks into: " + ", ".join(f"{cid} ({percent_text(p)})" for cid, p in r.stacks_into))
    return lines


def _cut(text: str, room: int) -> str:
    """``text`` in at most ``room`` characters (at least 24), ending in "…" when cut."""
    room = max(room, 24)
    if len(text) <= room:
        return text
    return text[: room - 1].rstrip(" ,;:") + "…"


def _missing_briefly(r: CredentialResult, room: int) -> str:
    """What a credential still misses, in one short phrase of at most ``room`` characters:
    the requirements themselves when there are one or two and they fit, else how many."""
    if not r.missing:
        return ""
    listed = "missing " + "; ".join(r.missing)
    if len(r.missing) <= 2 and len(listed) <= room:
        return listed
    if len(r.missing) == 2 and len("missing " + r.missing[0] + "; and 1 more") <= room:
        return "missing " + r.missing[0] + "; and 1 more"
    return f"{len(r.missing)} requirements missing"


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def summary(result: LearnerResult, *, show_all: bool = False) -> list[str]:
    """About a dozen lines: earned (since when, until when), in progress, the closest partial
    credentials and what they miss, expired; then how to see the rest."""
    name = f"{result.learner_name} ({result.learner_id})" if result.learner_name else result.learner_id
    creds = list(result.credentials.values())
    by: dict[str, list[CredentialResult]] = {s: [] for s in ORDER}
    for r in sorted(creds, key=lambda r: (-r.progress, r.id)):
        by.setdefault(r.status, []).append(r)
    counts = ", ".join(f"{len(by[s])} {STATUS_WORD[s]}" for s in ORDER if by[s])
    lines = [f"{name} — as of {result.as_of.isoformat()}", f"{_count(len(creds), 'credential')}: {counts or 'none'}"]

    def title(r: CredentialResult) -> str:
        return f"{r.title} ({r.type})"

    earned = sorted(by["earned"], key=lambda r: (r.earned_on.toordinal() if r.earned_on else 0, r.id), reverse=True)
    lines.append("")
    if earned:
        lines.append(f"Earned ({len(earned)}), latest first:")
        lines += [f"  ✓ {_when(r)}  {title(r)}{_until(r)}" for r in earned]
    else:
        lines.append("Earned: nothing yet.")
    if by["in_progress"]:
        lines.append(f"In progress ({len(by['in_progress'])}), earned once the courses in progress are passed:")
        for r in by["in_progress"]:
            head = f"  ◐ {title(r)}  {percent_text(r.progress)} so far"
            waiting = "; ".join(m.removesuffix(" (in progress)") for m in r.missing)
            lines.append(head + (", waiting on " + _cut(waiting, WIDTH - len(head) - 13) if waiting else ""))
    partial = by["partial"]
    if partial:
        closest = sorted(partial, key=lambda r: (-percent(r.progress), len(r.missing), r.id))[:NEXT]
        which = (
            f"the closest {len(closest)} of {len(partial)}" if len(partial) > len(closest) else f"all {len(partial)}"
        )
        lines.append(f"Next ({which} partial):")
        for r in closest:
            head = f"  ○ {percent_text(r.progress):>4} {r.title}"
            lines.append(head + ": " + _missing_briefly(r, WIDTH - len(head) - 2) if r.missing else head)
    if by["expired"]:
        lines.append(f"Expired ({len(by['expired'])}):")
        expired = sorted(by["expired"], key=lambda r: r.expires_on.toordinal() if r.expires_on else 0, reverse=True)
        lines += [f"  ⌛ {_when(r)}  {title(r)}{_until(r)}" for r in expired]
    if show_all and by["not_started"]:
        lines.append(f"Not started ({len(by['not_started'])}):")
        lines += [f"  · {title(r)}" for r in sorted(by["not_started"], key=lambda r: r.title)]
    return lines


def skills_block(result: LearnerResult) -> list[str]:
    """The learner's skill profile (docs/competencies.md), one line a competency: current ones
    first, then those whose evidence has all expired. Empty when the catalogue has no framework."""
    if result.skills is None:
        return []
    current = [e for e in result.skills if e.current]
    lapsed = [e for e in result.skills if not e.current]
    if not result.skills:
        return ["", "Skills: none evidenced yet."]
    lines = ["", f"Skills ({len(current)} current" + (f", {len(lapsed)} lapsed):" if lapsed else "):")]
    for e in current + lapsed:
        level = f", level {e.level}" if e.level is not None else ""
        if e.current:
            when = f"since {e.since.isoformat() if e.since else '?'}" + (
                f" until {e.until.isoformat()}" if e.until else ""
            )
        else:
            last = max((v.until for v in e.evidence if v.until is not None), default=None)
            when = f"lapsed {last.isoformat()}" if last else "lapsed"
        head = f"  {'✓' if e.current else '⌛'} {_cut(e.label, 48)} ({e.framework}{level}), {when}"
        via = ", ".join(dict.fromkeys(v.id for v in e.evidence))
        lines.append(head + ": " + _cut(via, WIDTH - len(head) - 2))
    return lines


def recognition_lines(result: LearnerResult) -> list[str]:
    """What became of each external credential offered (nothing when none was)."""
    if result.recognition is None:
        return []
    from microcred.rules.recognition import describe_outcome

    lines = ["", "Learning recognised from elsewhere:"]
    if not result.recognition:
        lines.append("  (no external credentials were offered)")
    for o in result.recognition:
        mark = "✓" if o.status == "recognised" else "✗"
        lines.append(f"  {mark} {describe_outcome(o)}")
    return lines


def render(result: LearnerResult, *, show_all: bool = False, detail: bool = False) -> str:
    """The learner's report: the summary (and the skill profile, when the catalogue has
    competency frameworks); with ``detail``, every credential in full below it; ``show_all``
    also lists the credentials not started."""
    lines = summary(result, show_all=show_all) + skills_block(result)
    for w in result.warnings:
        lines.append(f"warning: {w}")
    lines += recognition_lines(result)
    hidden = sum(1 for r in result.credentials.values() if r.status == "not_started")
    lines.append("")
    if not detail:
        more = "--detail: each credential's requirements, what counted, where it leads"
        if hidden and not show_all:
            more += f"; --all: the {hidden} not started"
        lines.append(f"({more}.)")
        return "\n".join(lines) + "\n"
    titles = {**result.titles, **{cid: r.title for cid, r in result.credentials.items()}}
    lines += ["Detail", "──────", ""]
    ordered = sorted(result.credentials.values(), key=lambda r: (ORDER[r.status], -r.progress, r.id))
    for r in ordered:
        if r.status == "not_started" and not show_all:
            continue
        lines += credential_block(r, titles=titles)
        lines.append("")
    if hidden and not show_all:
        lines.append(f"{hidden} credential{'s' if hidden != 1 else ''} not started (--all shows them).")
    leads = [entry for entry in result.stacking if entry.stacks_into]
    if leads:
        lines += ["", "Where it leads (stacking, up to degrees):"]
        for entry in leads:
            title = result.credentials[entry.credential].title
            lines.append(f"  {STATUS_MARK[entry.status]} {title} ({entry.credential}, {STATUS_WORD[entry.status]}):")
            for t in entry.stacks_into:
                target = result.lookup(t.credential)
                assert target is not None  # the stacking section names evaluated credentials only
                via = "" if t.depth == 1 else f" (via {t.depth - 1} other{'s' if t.depth > 2 else ''})"
                lines.append(
                    f"      → {target.title}: {STATUS_WORD[t.status]}, {percent_text(t.progress)}, "
                    f"{t.credits:g} credits applied{via}"
                )
    return "\n".join(lines).rstrip() + "\n"
