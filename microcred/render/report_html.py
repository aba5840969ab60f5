"""The advisor's report as one self-contained HTML file: every learner, every credential.

The page needs nothing but itself: the CSS is inline, there are no fonts, images or scripts
from elsewhere (one line of inline script opens the collapsed parts before printing), and the
stacking picture, when :mod:`microcred.render.picture` is installed, is inline SVG. Every string that
comes from a catalogue or a transcript goes through :func:`html.escape`.

Elements carry stable hooks for tests and for institutions that restyle the page:
``section.learner[data-learner]``, ``tr[data-credential][data-status]`` in the summary
table, ``article.credential[data-credential][data-status]``, ``li.req[data-node][data-kind]
[data-state]`` in requirement trees, ``[role=progressbar][aria-valuenow]`` for every progress
bar, ``figure.stacking-picture`` for the picture.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Sequence
from html import escape
from importlib import resources
from typing import Any

from microcred import __version__
from microcred.model.figures import percent, percent_text
from microcred.model.result import Applied, CredentialResult, LearnerResult, RequirementResult
from microcred.rules.kinds import KINDS, Count, Group, Occurrence, Reference

STATUSES = ("earned", "in_progress", "partial", "expired", "not_started")
ORDER = {s: i for i, s in enumerate(STATUSES)}
STATUS_WORD = {
    "earned": "Earned",
    "expired": "Expired",
    "in_progress": "In progress",
    "partial": "Partial",
    "not_started": "Not started",
}
STATUS_MARK = {"earned": "✓", "expired": "⊘", "in_progress": "◐", "partial": "○", "not_started": "·"}

#: Status colours: (text, background) of the badge and the fill of the progress bar, the hues
#: of the stacking picture (microcred.render.picture): green earned, amber in progress, blue partial,
#: grey expired. The text has at least 4.5:1 contrast on its background (WCAG AA) and the fill
#: at least 3:1 on white (non-text contrast); tests/test_report_html.py checks both.
PALETTE: dict[str, tuple[str, str, str]] = {
    "earned": ("#1b5e20", "#e3f2e6", "#2e7d32"),
    "in_progress": ("#6b4500", "#fff3dc", "#b57500"),
    "partial": ("#234a7a", "#e6eefa", "#3f72b0"),
    "expired": ("#4f4f4f", "#e6e6e6", "#757575"),
    "not_started": ("#4b5563", "#f3f4f6", "#6b7280"),
}
TRACK = "#e3e6ea"
INK = "#1b1f24"
MUTED = "#555d66"

#: Requirement node states: (mark, words for screen readers).
REQ_STATE = {
    "met": ("✓", "Met"),
    "waived": ("✓", "Waived"),
    "progress": ("◐", "Partly met"),
    "unmet": ("✗", "Not met"),
    "optional": ("–", "Not needed (an alternative is met)"),
}


def _partial(kind: str) -> bool:
    """Whether an unmet node of ``kind`` shows its progress as a percentage."""
    found = KINDS.get(kind)
    return found is not None and found.partial


def _alternatives(kind: str) -> bool:
    """Whether a met node of ``kind`` may leave children unmet (they are then not needed)."""
    found = KINDS.get(kind)
    return found is not None and found.alternatives


def _e(value: object) -> str:
    """Escaped text for element content and attribute values (quotes included)."""
    return escape(str(value), quote=True)


def _date(d: dt.date | None) -> str:
    return f'<time datetime="{d.isoformat()}">{d.isoformat()}</time>' if d else ""


def _credits(value: float) -> str:
    return f"{value:g}"


class _Ids:
    """Unique, stable HTML ids made from arbitrary learner and credential ids."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def make(self, *parts: str) -> str:
        base = "-".join(re.sub(r"[^A-Za-z0-9_]+", "-", p).strip("-") or "x" for p in parts)
        candidate, n = base, 1
        while candidate in self.used:
            n += 1
            candidate = f"{base}-{n}"
        self.used.add(candidate)
        return candidate


class _Catalog:
    """What the report needs from a catalogue (a Catalog, a CompiledCatalog, or None)."""

    def __init__(self, catalog: Any) -> None:
        cat = getattr(catalog, "catalog", catalog)  # a CompiledCatalog holds the Catalog
        self.raw = catalog
        self.catalog = cat
        self.courses: dict[str, Any] = dict(getattr(cat, "courses", None) or {})
        self.credentials: dict[str, Any] = dict(getattr(cat, "credentials", None) or {})
        info = getattr(cat, "info", None)
        self.name: str | None = getattr(info, "name", None)
        self.id: str | None = getattr(info, "id", None)
        issuer = getattr(info, "issuer", None)
        self.issuer: str | None = getattr(issuer, "name", None)

    def type_label(self, type_: str) -> str:
        """The taxonomy's label for a credential type ("Digital badge"), else the type itself."""
        types = getattr(self.catalog, "types", None) or {}
        label = getattr(types.get(type_), "label", None) if hasattr(types, "get") else None
        return str(label) if label else type_.replace("_", " ").replace("-", " ").capitalize()

    def course_title(self, course: str) -> str | None:
        c = self.courses.get(course)
        return str(c.title) if c is not None else None

    def credential_title(self, cid: str, result: LearnerResult | None = None) -> str:
        if result is not None and cid in result.credentials:
            return result.credentials[cid].title
        c = self.credentials.get(cid)
        return str(c.title) if c is not None else cid


def _bar(progress: float, status: str, label: str, *, small: bool = False) -> str:
    """A progress bar readable without colour: the percentage is written beside it."""
    now = percent(progress)
    width = max(0.0, min(100.0, progress * 100))
    word = STATUS_WORD.get(status, status).lower()
    if status == "in_progress":  # the striped rest of the bar counts once the courses are passed
        word += ", the rest once the courses in progress are passed"
    cls = "progress progress-small" if small else "progress"
    tip = ' title="The striped part counts once the courses in progress are passed"' if status == "in_progress" else ""
    return (
        f'<div class="{cls}" data-status="{_e(status)}"{tip}>'
        f'<div class="bar" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow="{now}" '
        f'aria-valuetext="{_e(percent_text(progress))}, {_e(word)}" aria-label="{_e(label)}">'
        f'<span class="fill" style="width:{width:.1f}%"></span></div>'
        f'<span class="pct">{_e(percent_text(progress))}</span></div>'
    )


def _badge(status: str) -> str:
    return (
        f'<span class="badge" data-status="{_e(status)}">'
        f'<span aria-hidden="true">{STATUS_MARK.get(status, "")}</span> {_e(STATUS_WORD.get(status, status))}</span>'
    )


def _order(results: Iterable[CredentialResult]) -> list[CredentialResult]:
    return sorted(results, key=lambda r: (ORDER.get(r.status, len(ORDER)), -r.progress, r.id))


# -- the requirement tree ---------------------------------------------------------------


def _attempt(a: Applied, cat: _Catalog) -> str:
    grade = a.grade or a.status.replace("_", " ")
    title = cat.course_title(a.course)
    sub = f' <span class="as">as {_e(a.substituted_for)}</span>' if a.substituted_for else ""
    tip = f' title="{_e(title)}"' if title else ""
    return (
        f'<li class="attempt" data-course="{_e(a.course)}"{tip}>'
        f'<span class="course">{_e(a.course)}</span>{sub} '
        f'<span class="grade">{_e(grade)}</span> {_date(a.date)}</li>'
    )


def _describe(node: RequirementResult, cat: _Catalog, result: LearnerResult) -> str:
    desc = node.description
    found = KINDS.get(node.kind)
    heading = found.heading(desc) if found is not None else None
    if isinstance(heading, Group) and desc == node.kind:
        return f'<span class="desc">{_e(heading.html)}</span>'
    if isinstance(heading, Count):
        return f'<span class="desc">Any {heading.need} of these {heading.of}</span>'
    if isinstance(heading, Reference):
        cid = heading.credential
        if cid in cat.credentials or cid in result.credentials:
            return (
                f'<span class="desc">{_e(cat.credential_title(cid, result))}</span> '
                f'<span class="ref">credential {_e(cid)}</span>'
            )
    if isinstance(heading, Occurrence):
        title = cat.course_title(heading.course)
        if title:
            return f'<span class="desc code">{_e(desc)}</span> <span class="sub">{_e(title)}</span>'
    return f'<span class="desc">{_e(desc)}</span>'


def _tree(node: RequirementResult, cat: _Catalog, result: LearnerResult, optional: bool, out: list[str]) -> None:
    if node.waived:
        state = "waived"
    elif node.satisfied:
        state = "met"
    elif optional:
        state = "optional"
    elif node.progress > 0:
        state = "progress"
    else:
        state = "unmet"
    mark, words = REQ_STATE[state]
    line = [f'<span class="sr-only">{words}: </span>', _describe(node, cat, result)]
    if node.waived:
        line.append('<span class="tag tag-waived">waived</span>')
    elif node.note:
        line.append(f'<span class="tag">{_e(node.note)}</span>')
    elif state == "progress" and _partial(node.kind):  # "not met" says 0 already
        line.append(f'<span class="node-pct">{_e(percent_text(node.progress))}</span>')
    head = (
        f'<span class="req-line"><span class="mark mark-{state}" aria-hidden="true">{mark}</span>'
        f'<span class="req-text">{" ".join(line)}</span></span>'
    )
    body: list[str] = []
    if node.applied:
        body.append('<ul class="attempts" aria-label="Counted">')
        body += [_attempt(a, cat) for a in node.applied]
        body.append("</ul>")
    if node.children:
        # the unmet alternatives of a met choice are not needed: shown as optional
        spare = optional or (node.satisfied and _alternatives(node.kind))
        body.append("<ul>")
        for c in node.children:
            _tree(c, cat, result, spare, body)
        body.append("</ul>")
    attrs = f'class="req" data-node="{_e(node.ref)}" data-kind="{_e(node.kind)}" data-state="{state}"'
    if node.target is not None and node.children:
        # another credential expanded inline: open only where the learner is part way
        opened = " open" if state == "progress" else ""
        out.append(f"<li {attrs}><details{opened}><summary>{head}</summary>{''.join(body)}</details></li>")
    else:
        out.append(f"<li {attrs}>{head}{''.join(body)}</li>")


def _requirements(r: CredentialResult, cat: _Catalog, result: LearnerResult, hid: str) -> list[str]:
    if r.requirements is None:
        if r.awarded:
            return []
        return [f'<h5 id="{hid}">Requirements</h5>', '<p class="muted">This credential can only be awarded.</p>']
    out = [f'<h5 id="{hid}">Requirements</h5>', f'<ul class="req-tree" aria-labelledby="{hid}">']
    _tree(r.requirements, cat, result, False, out)
    out.append("</ul>")
    return out


# -- one credential ---------------------------------------------------------------------


def _node_names(node: RequirementResult | None) -> dict[str, str]:
    names: dict[str, str] = {}
    stack = [node] if node is not None else []
    while stack:
        n = stack.pop()
        names.setdefault(n.ref, n.description)
        stack.extend(reversed(n.children))
    return names


def _counted_table(r: CredentialResult, cat: _Catalog, result: LearnerResult, hid: str) -> list[str]:
    names = _node_names(r.requirements)
    out = [
        f'<h5 id="{hid}">What counted</h5>',
        f'<table class="counted" aria-labelledby="{hid}"><thead><tr>'
        '<th scope="col">Course</th><th scope="col">Title</th><th scope="col">Grade</th>'
        '<th scope="col">Date</th><th scope="col" class="num">Credits</th><th scope="col">Toward</th>'
        "</tr></thead><tbody>",
    ]
    for a in r.applied:
        title = cat.course_title(a.course) or (cat.credential_title(a.course) if a.course in cat.credentials else "")
        course = _e(a.course) + (f' <span class="as">as {_e(a.substituted_for)}</span>' if a.substituted_for else "")
        toward = names.get(a.node, a.label or a.node)
        if a.owner and a.owner != r.id:
            toward += f" ({cat.credential_title(a.owner, result)})"
        grade = a.grade or a.status.replace("_", " ")
        out.append(
            f'<tr data-course="{_e(a.course)}" data-attempt-status="{_e(a.status)}">'
            f'<th scope="row" class="code">{course}</th><td>{_e(title)}</td><td>{_e(grade)}</td>'
            f"<td>{_date(a.date)}</td>"
            f'<td class="num">{_credits(a.credits)}</td><td>{_e(toward)}</td></tr>'
        )
    out.append("</tbody></table>")
    return out


def _stack_rows(r: CredentialResult, result: LearnerResult) -> list[tuple[str, float, str, float | None, int]]:
    """(credential, progress, status, credits applied, depth) of where ``r`` leads: the
    result's stacking section when it has the credential, else its direct ``stacks_into``."""
    for entry in getattr(result, "stacking", None) or []:
        if getattr(entry, "credential", None) == r.id and entry.stacks_into:
            return [
                (
                    str(t.credential),
                    float(t.progress),
                    str(t.status),
                    None if getattr(t, "credits", None) is None else float(t.credits),
                    int(getattr(t, "depth", 1)),
                )
                for t in entry.stacks_into
            ]
    rows: list[tuple[str, float, str, float | None, int]] = []
    for cid, p in r.stacks_into:
        lookup = getattr(result, "lookup", None)
        other = lookup(cid) if lookup is not None else result.credentials.get(cid)
        guess = "earned" if p >= 1 else "partial" if p > 0 else "not_started"  # not evaluated
        rows.append((cid, p, other.status if other else guess, None, 1))
    return rows


def _stacks(r: CredentialResult, cat: _Catalog, result: LearnerResult, ids: dict[str, str], hid: str) -> list[str]:
    rows = _stack_rows(r, result)
    if not rows:
        return []
    rows.sort(key=lambda t: (t[4], ORDER.get(t[2], 9), -t[1], t[0]))
    with_credits = any(c is not None for *_x, c, _d in rows)
    out = [
        f'<h5 id="{hid}">Stacks into</h5>',
        f'<table class="stacks" aria-labelledby="{hid}"><thead><tr><th scope="col">Credential</th>'
        '<th scope="col">Status</th><th scope="col">Progress</th>'
        + ('<th scope="col" class="num">Credits applied</th>' if with_credits else "")
        + '<th scope="col">Route</th></tr></thead><tbody>',
    ]
    for cid, progress, status, credits, depth in rows:
        title = cat.credential_title(cid, result)
        name = f'<a href="#{ids[cid]}">{_e(title)}</a>' if cid in ids else _e(title)
        route = "direct" if depth <= 1 else f"via {depth - 1} other{'s' if depth > 2 else ''}"
        out.append(
            f'<tr data-credential="{_e(cid)}" data-status="{_e(status)}" data-depth="{depth}">'
            f'<th scope="row">{name}</th><td>{_badge(status)}</td>'
            f"<td>{_bar(progress, status, f'Progress toward {title}', small=True)}</td>"
            + (f'<td class="num">{_credits(credits) if credits is not None else ""}</td>' if with_credits else "")
            + f"<td>{route}</td></tr>"
        )
    out.append("</tbody></table>")
    return out


def _credential(r: CredentialResult, cat: _Catalog, result: LearnerResult, ids: dict[str, str], id_maker: _Ids) -> str:
    cid = ids[r.id]
    colors = PALETTE.get(r.status, PALETTE["not_started"])
    dates: list[str] = []
    if r.earned_on:
        dates.append(f"{'Awarded' if r.awarded else 'Earned'} {_date(r.earned_on)}")
    if r.expires_on:
        dates.append(f"{'Expired' if r.status == 'expired' else 'Expires'} {_date(r.expires_on)}")
    meta = [f'<span class="ref">{_e(r.id)}</span>', f'<span class="type">{_e(cat.type_label(r.type))}</span>', *dates]
    out = [
        f'<article class="credential" id="{cid}" data-credential="{_e(r.id)}" data-status="{_e(r.status)}" '
        f'aria-labelledby="{cid}-h" style="--status:{colors[2]}">',
        '<header class="credential-head">',
        f'<h4 id="{cid}-h">{_e(r.title)}</h4>{_badge(r.status)}',
        "</header>",
        f'<p class="meta">{" · ".join(meta)}</p>',
        _bar(r.progress, r.status, f"Progress toward {r.title}"),
    ]
    out.append('<div class="credential-body">')
    out.append('<div class="col-tree">')
    out += _requirements(r, cat, result, id_maker.make(cid, "req"))
    out.append("</div>")
    side: list[str] = []
    if r.missing:
        hid = id_maker.make(cid, "missing")
        side += [f'<h5 id="{hid}">Still missing</h5>', f'<ul class="missing" aria-labelledby="{hid}">']
        side += [f"<li>{_e(m)}</li>" for m in r.missing]
        side.append("</ul>")
    if r.not_counted:
        hid = id_maker.make(cid, "not-counted")
        side += [
            f'<h5 id="{hid}">Did not count</h5>',
            f'<table class="not-counted" aria-labelledby="{hid}"><thead><tr><th scope="col">Course</th>'
            '<th scope="col">Grade</th><th scope="col">Date</th><th scope="col">Why</th></tr></thead><tbody>',
        ]
        for n in r.not_counted:
            side.append(
                f'<tr data-course="{_e(n.course)}"><th scope="row" class="code">{_e(n.course)}</th>'
                f"<td>{_e(n.grade or '–')}</td><td>{_date(n.date) or '–'}</td><td>{_e(n.reason)}</td></tr>"
            )
        side.append("</tbody></table>")
    if r.exceptions:
        hid = id_maker.make(cid, "exceptions")
        side += [
            f'<h5 id="{hid}">Exceptions</h5>',
            f'<table class="exceptions" aria-labelledby="{hid}"><thead><tr><th scope="col">Kind</th>'
            '<th scope="col">Applies to</th><th scope="col">Reason</th></tr></thead><tbody>',
        ]
        for x in r.exceptions:
            kind = {"waive": "Waiver", "substitute": "Substitution"}.get(x.kind, x.kind)
            side.append(
                f'<tr data-kind="{_e(x.kind)}"><th scope="row">{_e(kind)}</th>'
                f"<td>{_e(x.target)}</td><td>{_e(x.reason)}</td></tr>"
            )
        side.append("</tbody></table>")
    if side:
        out += ['<div class="col-side">', *side, "</div>"]
    out.append("</div>")
    if r.applied and r.status != "not_started":
        out += _counted_table(r, cat, result, id_maker.make(cid, "counted"))
    out += _stacks(r, cat, result, ids, id_maker.make(cid, "stacks"))
    out.append("</article>")
    return "\n".join(out)


# -- one learner ------------------------------------------------------------------------


def _summary_table(rows: Sequence[CredentialResult], cat: _Catalog, ids: dict[str, str], caption: str) -> list[str]:
    out = [
        f'<table class="summary-table"><caption class="sr-only">{_e(caption)}</caption><thead><tr>'
        '<th scope="col">Credential</th><th scope="col">Type</th><th scope="col">Status</th>'
        '<th scope="col" class="col-progress">Progress</th><th scope="col">Earned</th><th scope="col">Expires</th>'
        "</tr></thead><tbody>",
    ]
    for r in rows:
        out.append(
            f'<tr data-credential="{_e(r.id)}" data-status="{_e(r.status)}">'
            f'<th scope="row"><a href="#{ids[r.id]}">{_e(r.title)}</a>{_when(r)}</th>'
            f'<td class="type">{_e(cat.type_label(r.type))}</td><td>{_badge(r.status)}</td>'
            f"<td>{_bar(r.progress, r.status, f'Progress toward {r.title}', small=True)}</td>"
            f'<td class="date">{_date(r.earned_on)}</td><td class="date">{_date(r.expires_on)}</td></tr>'
        )
    out.append("</tbody></table>")
    return out


def _when(r: CredentialResult) -> str:
    """The dates of a summary row, under its title where the page is too narrow for their columns."""
    bits = []
    if r.earned_on:
        bits.append(f"{'awarded' if r.awarded else 'earned'} {_date(r.earned_on)}")
    if r.expires_on:
        bits.append(f"{'expired' if r.status == 'expired' else 'expires'} {_date(r.expires_on)}")
    return f'<span class="when">{", ".join(bits)}</span>' if bits else ""


def _summary(ordered: Sequence[CredentialResult], cat: _Catalog, ids: dict[str, str], hid: str) -> str:
    started = [r for r in ordered if r.status != "not_started"]
    waiting = [r for r in ordered if r.status == "not_started"]
    out = [f'<section class="summary" aria-labelledby="{hid}">', f'<h3 id="{hid}">Summary</h3>']
    if started:
        out += _summary_table(started, cat, ids, "Credentials started, earned or expired")
    else:
        out.append('<p class="muted">No credential started yet.</p>')
    if waiting:
        n = len(waiting)
        out.append(
            f'<details class="not-started-summary"><summary>{n} credential{"s" if n != 1 else ""} not started</summary>'
        )
        out += _summary_table(waiting, cat, ids, "Credentials not started")
        out.append("</details>")
    out.append("</section>")
    return "\n".join(out)


def _skills(result: LearnerResult, cat: _Catalog, ids: dict[str, str], hid: str) -> str:
    """The learner's skill profile (docs/competencies.md); nothing when the catalogue has no framework."""
    if result.skills is None:
        return ""
    out = [f'<section class="skills" aria-labelledby="{hid}">', f'<h3 id="{hid}">Skills</h3>']
    if not result.skills:
        out += ['<p class="muted">No competency evidenced yet.</p>', "</section>"]
        return "\n".join(out)
    out.append(
        '<table class="summary-table skills-table"><caption class="sr-only">Competencies evidenced</caption><thead><tr>'
        '<th scope="col">Competency</th><th scope="col">Framework</th><th scope="col">Level</th>'
        '<th scope="col">Since</th><th scope="col">Until</th><th scope="col">Evidenced by</th>'
        "</tr></thead><tbody>"
    )
    for e in result.skills:
        evidence = []
        for v in e.evidence:
            if v.kind == "credential" and v.id in ids:
                name = f'<a href="#{ids[v.id]}">{_e(cat.credential_title(v.id, result))}</a>'
            elif v.kind == "credential":
                name = _e(cat.credential_title(v.id, result))
            else:
                name = _e(v.id)
            lapsed = v.until is not None and v.until <= result.as_of
            note = f" (expired {_date(v.until)})" if lapsed else ""
            evidence.append(f"<li>{name}{note}</li>")
        state = "current" if e.current else "lapsed"
        # only a web address is a link (a framework file could hold any scheme)
        web = e.uri.startswith(("https://", "http://"))
        label = f'<a href="{_e(e.uri)}" rel="noopener">{_e(e.label)}</a>' if web else _e(e.label)
        out.append(
            f'<tr data-competency="{_e(e.uri)}" data-state="{state}">'
            f'<th scope="row">{label}'
            + (f'<span class="when">{_e(e.statement)}</span>' if e.name and e.name != e.statement else "")
            + ("" if e.current else ' <span class="when">lapsed</span>')
            + f"</th><td>{_e(e.framework)}</td><td>{'' if e.level is None else e.level}</td>"
            f'<td class="date">{_date(e.since)}</td><td class="date">{_date(e.until)}</td>'
            f'<td><ul class="evidence">{"".join(evidence)}</ul></td></tr>'
        )
    out += ["</tbody></table>", "</section>"]
    return "\n".join(out)


_TAG = r"<[^<>]*"  # inside one tag: text content is escaped, so it holds no "<"


def svg_is_inert(svg: str) -> bool:
    """True when inline SVG is inert and self-contained: no script, event handler, foreign
    content, style sheet import, or reference to anything outside the document."""
    low = svg.lower()
    if re.search(r"<\s*(script|foreignobject|iframe|object|embed|image|use|a)\b", low):
        return False
    if re.search(_TAG + r"\son[a-z]+\s*=", low):
        return False
    if re.search(_TAG + r"\burl\(\s*['\"]?(?!#)", low):
        return False
    for style in re.findall(r"<style\b.*?</style>", low, re.S):
        if "@import" in style or re.search(r"url\(\s*['\"]?(?!#)", style):
            return False
    for m in re.finditer(_TAG + r"\s(?:xlink:)?(?:href|src)\s*=\s*(['\"])(.*?)\1", svg, re.I | re.S):
        if not m.group(2).strip().startswith("#"):
            return False
    return True


def scope_svg_ids(svg: str, prefix: str) -> str:
    """Prefix the ids an SVG defines, and its references to them, so that several pictures in
    one page (one a learner) do not share ids."""
    ids = set(re.findall(_TAG + r'\sid="([^"]+)"', svg))
    if not ids:
        return svg

    def one(m: re.Match[str]) -> str:
        return m.group(1) + prefix + m.group(2) + m.group(3) if m.group(2) in ids else m.group(0)

    svg = re.sub(r'(\sid=")([^"]+)(")', one, svg)
    svg = re.sub(r"(url\(#)([^)\s]+)(\))", one, svg)
    return re.sub(r'(\s(?:xlink:)?href="#)([^"]+)(")', one, svg)


def _svg_element(svg: str) -> str:
    """The ``<svg>`` element of a picture, without an XML declaration, doctype or comment."""
    start = svg.find("<svg")
    return svg[start:].strip() if start >= 0 else ""


def stacking_svg(result: LearnerResult, catalog: Any, max_width: float | None = None) -> str | None:
    """The learner's stacking picture (inline SVG drawn by :mod:`microcred.render.picture`, at most
    ``max_width`` pixels wide, :data:`PICTURE_WIDTH` by default), or None when there is no
    catalogue or the SVG is not inert."""
    if catalog is None:
        return None
    from microcred.render.picture.svg import to_svg  # networkx: loaded only when a page is drawn

    svg = _svg_element(to_svg(catalog, result, max_width=max_width or PICTURE_WIDTH))
    return svg if svg and svg_is_inert(svg) else None


#: the widest the embedded picture is drawn: it fits the page at 1280 pixels
PICTURE_WIDTH = 1200.0
#: the picture for windows narrower than 1240 pixels: two boxes a line, legible from 600 up
PICTURE_NARROW = 540.0
#: the smallest text of the embedded picture, in CSS pixels, however narrow the page
PICTURE_TEXT = 11.0


def _legible_width(svg: str) -> int:
    """The narrowest the picture may be shown with its smallest text still
    :data:`PICTURE_TEXT` pixels high; narrower frames scroll sideways instead."""
    m = re.search(r'viewBox="0 0 ([0-9.]+) ', svg)
    from microcred.render.picture.svg import SMALL_SIZE

    return math.ceil(float(m.group(1)) * PICTURE_TEXT / SMALL_SIZE) if m else 0


def _picture(result: LearnerResult, catalog: Any, hid: str) -> str:
    wide = stacking_svg(result, catalog)
    if wide is None:
        return ""
    frames = []
    narrow = stacking_svg(result, catalog, PICTURE_NARROW)
    for svg, cls, scope in ((wide, "pic-wide", "-"), (narrow, "pic-narrow", "-n-")):
        if svg is None:
            continue
        svg = scope_svg_ids(svg, hid + scope)
        m = re.search(r'\swidth="([0-9.]+)"', svg)
        most = f";--most:{math.ceil(float(m.group(1)) * 1.3)}px" if m else ""  # not blown up past 130 %
        frames.append(f'<div class="svg-frame {cls}" style="--legible:{_legible_width(svg)}px{most}">{svg}</div>')
    who = _e(result.learner_name or result.learner_id)
    return (
        f'<figure class="stacking-picture{" two-sizes" if len(frames) == 2 else ""}" aria-labelledby="{hid}-cap">'
        f'<input type="checkbox" class="zoom" id="{hid}-zoom">'
        f'<label for="{hid}-zoom" class="zoom-label">Full size</label>'
        + "".join(frames)
        + f'<figcaption id="{hid}-cap">How {who}\'s credentials stack, from badges at the bottom to degrees at the '
        "top; the table below says the same in words.</figcaption></figure>"
    )


def _pathways(result: LearnerResult, cat: _Catalog, ids: dict[str, str], hid: str) -> str:
    entries = [e for e in getattr(result, "stacking", None) or [] if e.stacks_into]
    picture = _picture(result, cat.raw if cat.catalog is not None else None, hid)
    if not entries and not picture:
        return ""
    out = [f'<section class="pathways" aria-labelledby="{hid}">', f'<h3 id="{hid}">Where it leads</h3>']
    if picture:
        out.append(picture)
    if entries:
        out.append(
            '<table class="pathways-table"><thead><tr><th scope="col">From</th><th scope="col">Leads to</th>'
            "</tr></thead><tbody>"
        )
        for entry in entries:
            src = str(entry.credential)
            targets = sorted(entry.stacks_into, key=lambda t: (int(getattr(t, "depth", 1)), str(t.credential)))
            chips = []
            for t in targets:
                tid = str(t.credential)
                title = cat.credential_title(tid, result)
                link = f'<a href="#{ids[tid]}">{_e(title)}</a>' if tid in ids else _e(title)
                chips.append(
                    f'<li data-credential="{_e(tid)}" data-status="{_e(t.status)}">'
                    f'<span class="dot" data-status="{_e(t.status)}" aria-hidden="true"></span>{link} '
                    f'<span class="muted">{_e(STATUS_WORD.get(str(t.status), str(t.status)).lower())}, '
                    f"{_e(percent_text(float(t.progress)))}</span></li>"
                )
            src_title = cat.credential_title(src, result)
            src_link = f'<a href="#{ids[src]}">{_e(src_title)}</a>' if src in ids else _e(src_title)
            out.append(
                f'<tr data-credential="{_e(src)}" data-status="{_e(entry.status)}">'
                f'<th scope="row">{src_link} {_badge(str(entry.status))}</th>'
                f'<td><ul class="leads">{"".join(chips)}</ul></td></tr>'
            )
        out.append("</tbody></table>")
    out.append("</section>")
    return "\n".join(out)


def _learner(result: LearnerResult, cat: _Catalog, id_maker: _Ids, lid: str) -> str:
    ids = {c: id_maker.make(lid, c) for c in result.credentials}
    ordered = _order(result.credentials.values())
    started = [r for r in ordered if r.status != "not_started"]
    waiting = [r for r in ordered if r.status == "not_started"]
    counts = {s: sum(1 for r in ordered if r.status == s) for s in STATUSES}
    name = result.learner_name or result.learner_id
    tally = "".join(
        f'<li data-status="{s}"><span class="n">{counts[s]}</span> {_e(STATUS_WORD[s].lower())}</li>'
        for s in STATUSES
        if counts[s]
    )
    out = [
        f'<section class="learner" id="{lid}" data-learner="{_e(result.learner_id)}" aria-labelledby="{lid}-h">',
        '<header class="learner-head"><div>',
        '<p class="eyebrow">Learner</p>',
        f'<h2 id="{lid}-h">{_e(name)}</h2>',
        '<dl class="facts">',
        f'<div><dt>Learner ID</dt><dd class="learner-id">{_e(result.learner_id)}</dd></div>',
        f'<div><dt>As of</dt><dd class="as-of">{_date(result.as_of)}</dd></div>',
        f"<div><dt>Credentials</dt><dd>{len(ordered)}</dd></div>",
        "</dl></div>",
        f'<ul class="tally" aria-label="Credentials by status">{tally}</ul>',
        "</header>",
    ]
    if result.recognition is not None:
        from microcred.rules.recognition import describe_outcome

        out.append('<div class="recognition" role="note"><h3>Learning recognised from elsewhere</h3><ul>')
        if not result.recognition:
            out.append("<li>No external credentials were offered.</li>")
        for o in result.recognition:
            word = "recognised" if o.status == "recognised" else "refused"
            out.append(f'<li class="{word}">{_e(describe_outcome(o))}</li>')
        out.append("</ul></div>")
    if result.warnings:
        out.append('<div class="warnings" role="note"><h3>Warnings</h3><ul>')
        out += [f"<li>{_e(w)}</li>" for w in result.warnings]
        out.append("</ul></div>")
    out.append(_summary(ordered, cat, ids, id_maker.make(lid, "summary")))
    out.append(_skills(result, cat, ids, id_maker.make(lid, "skills")))
    out.append(_pathways(result, cat, ids, id_maker.make(lid, "pathways")))
    hid = id_maker.make(lid, "credentials")
    out += [f'<section class="credentials" aria-labelledby="{hid}">', f'<h3 id="{hid}">Credentials</h3>']
    if not started:
        out.append('<p class="muted">No credential started yet.</p>')
    out += [_credential(r, cat, result, ids, id_maker) for r in started]
    if waiting:
        n = len(waiting)
        out.append(f'<details class="not-started"><summary>{n} credential{"s" if n != 1 else ""} not started</summary>')
        out += [_credential(r, cat, result, ids, id_maker) for r in waiting]
        out.append("</details>")
    out += ["</section>", "</section>"]
    return "\n".join(o for o in out if o)


# -- the page ---------------------------------------------------------------------------


def _css() -> str:
    status_rules = []
    for s, (fg, bg, fill) in PALETTE.items():
        status_rules.append(
            f'.badge[data-status="{s}"]{{color:{fg};background:{bg};border-color:{fill}}}'
            f'[data-status="{s}"]>.bar>.fill{{background:{fill}}}'
            f'.dot[data-status="{s}"]{{background:{fill}}}'
            f'.tally li[data-status="{s}"] .n{{color:{fg}}}'
        )
    return (
        CSS.replace("--INK--", INK).replace("--MUTED--", MUTED).replace("--TRACK--", TRACK)
        + "\n"
        + "\n".join(status_rules)
    )


#: The page's style sheet (package data, ``render/assets/report.css``), with ``--INK--``,
#: ``--MUTED--`` and ``--TRACK--`` standing for the palette's colours.
CSS = (resources.files("microcred.render") / "assets" / "report.css").read_text(encoding="utf-8").strip()

#: Before printing, open what is collapsed so that paper shows everything (the only script).
PRINT_SCRIPT = (
    'addEventListener("beforeprint",function(){'
    'document.querySelectorAll("details").forEach(function(d){d.open=true})});'
)


def render_html(results: Sequence[LearnerResult], catalog: Any = None, *, title: str | None = None) -> str:
    """One self-contained HTML page reporting every learner of ``results``.

    ``catalog`` (a Catalog or a CompiledCatalog) supplies course titles, the catalogue's name
    and, when :mod:`microcred.render.picture` is there, the stacking picture; without it the report
    still shows everything the results hold.
    """
    cat = _Catalog(catalog)
    ids = _Ids()
    heading = title or "Credential progress report"
    page_title = heading + (f" — {cat.name}" if cat.name else "")
    if len(results) == 1:
        r0 = results[0]
        page_title = f"{r0.learner_name or r0.learner_id} — {page_title}"
    head_bits = []
    if cat.name:
        head_bits.append(_e(cat.name))
    if cat.issuer and cat.issuer != cat.name:
        head_bits.append(_e(cat.issuer))
    anchors = [ids.make("learner", r.learner_id) for r in results]
    sections = [_learner(r, cat, ids, lid) for r, lid in zip(results, anchors, strict=True)]
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="generator" content="microcred {_e(__version__)}">',
        f"<title>{_e(page_title)}</title>",
        f"<style>\n{_css()}\n</style>",
        f"<script>{PRINT_SCRIPT}</script>",
        "</head>",
        "<body>",
        '<div class="page">',
        '<header class="report-head"><div>',
        '<p class="eyebrow">microcred</p>',
        f"<h1>{_e(heading)}</h1>",
        f'<p class="catalogue">{" · ".join(head_bits)}</p>' if head_bits else "",
        "</div>",
        f'<p class="muted">{len(results)} learner{"s" if len(results) != 1 else ""}</p>',
        "</header>",
    ]
    if len(results) > 1:
        out.append('<nav class="toc" aria-labelledby="toc-h"><h2 id="toc-h">Learners</h2><ol>')
        for r, lid in zip(results, anchors, strict=True):
            who = r.learner_name or r.learner_id
            out.append(f'<li><a href="#{lid}">{_e(who)}</a> <span class="muted">{_e(r.learner_id)}</span></li>')
        out.append("</ol></nav>")
    out.append("<main>")
    if not results:
        out.append('<p class="muted">No learner was evaluated.</p>')
    out += sections
    out += [
        "</main>",
        '<footer class="report-foot">',
        f"Produced by microcred {_e(__version__)}"
        + (f" from the catalogue {_e(cat.name)}" if cat.name else "")
        + ". Progress counts completed and transferred courses and awarded credentials; "
        "a course in progress raises it once passed.",
        "</footer>",
        "</div>",
        "</body>",
        "</html>",
    ]
    return "\n".join(o for o in out if o) + "\n"


def __getattr__(name: str) -> Any:
    """``microcred.render.report_html.write_atomically``, moved to :mod:`microcred.io.atomicfile`; kept here
    for one release, with a deprecation warning."""
    if name == "write_atomically":
        import warnings

        warnings.warn(
            "microcred.render.report_html.write_atomically has moved: import it from microcred.io.atomicfile",
            DeprecationWarning,
            stacklevel=2,
        )
        from microcred.io.atomicfile import write_atomically

        return write_atomically
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
