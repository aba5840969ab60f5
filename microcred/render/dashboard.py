"""The metrics as one self-contained HTML page a person reads at a glance: headline figures,
the stacking flow (badge → microcredential → certificate → degree, with stack-through rates),
time to credential, trends by entry term, and a table of every credential.

The plots are drawn with matplotlib as inline SVG (text kept as text, so it scales, can be
searched and read by a screen reader): no script, no network, nothing to load; the page works
offline and from a file. Every number is the one the CSV and JSON outputs carry (the table's
rows, already rounded and suppressed); a suppressed figure reads "suppressed".
"""

from __future__ import annotations

import html
import io
import math
from decimal import Decimal
from typing import Any

from microcred.analysis.metrics import COHORT, TYPE_PREFIX, MetricsTable, Row, group_sort_key

PALETTE = ("#1b6ca8", "#d1495b", "#66a182", "#edae49", "#6b4c9a", "#2e4057", "#8d96a3", "#00798c")
SUPPRESSED = "suppressed"


class DashboardUnavailable(ImportError):
    """The dashboard needs matplotlib (``pip install 'microcred[dashboard]'``)."""


def _plt() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise DashboardUnavailable(
            "the HTML dashboard needs matplotlib: pip install 'microcred[dashboard]'; or write CSV, JSON or QData"
        ) from exc
    plt.rcParams.update(
        {
            "svg.fonttype": "none",  # text stays text
            "svg.hashsalt": "microcred-metrics",  # the same ids every run
            "font.family": "sans-serif",
            "font.size": 10,
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )
    return plt


def _tex(text: str) -> str:
    """A label as matplotlib shows it literally (a ``$`` would start mathematics)."""
    return text.replace("\\", "\\\\").replace("$", r"\$")


def _svg(plt: Any, fig: Any, name: str, alt: str) -> str:
    buf = io.StringIO()
    plt.rcParams["svg.hashsalt"] = f"microcred-{name}"
    fig.savefig(
        buf, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None, "Format": None, "Type": None}
    )
    plt.close(fig)
    svg = buf.getvalue()
    svg = svg[svg.index("<svg") :]
    # the picture scales with the page; its description is there for a screen reader
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{html.escape(alt)}" class="plot" ', 1)
    return svg


def _show(row: Row | None, unit: str = "") -> str:
    if row is None or row.value is None:
        return SUPPRESSED if row is not None and row.suppressed else "–"
    if isinstance(row.value, Decimal) and unit == "%":
        return f"{row.value}%"
    return f"{row.value}{unit}"


def _cell(row: Row | None, unit: str = "") -> str:
    text = _show(row, unit)
    if row is not None and row.suppressed:
        why = "fewer learners than the minimum group size, or hidden to protect such a figure"
        return f'<td class="suppressed" title="{why}">{text}</td>'
    return f"<td>{html.escape(text)}</td>"


def _flow(plt: Any, t: MetricsTable, as_of: str) -> str:
    """Boxes for the credential types, lowest level first, with each type's earners; an arrow
    from one type to the next where one stacks into the other, labelled with the stack-through
    rate of the longest window (the table beside it has every pair and window)."""
    import textwrap

    from matplotlib.patches import FancyBboxPatch

    pf = t.portfolio
    types = list(pf.type_order)
    window = max(t.windows) if t.windows else 0
    fig, ax = plt.subplots(figsize=(max(6.0, 2.2 * len(types)), 2.6))
    ax.set_axis_off()
    ax.set_xlim(-0.55, len(types) - 0.45)
    ax.set_ylim(-0.75, 0.95)
    pairs = set(pf.type_pairs())
    described: list[str] = []
    for x, ty in enumerate(types):
        earned = t.get(as_of, TYPE_PREFIX + ty, "earned")
        enrolled = t.get(as_of, TYPE_PREFIX + ty, "enrolled")
        ax.add_patch(
            FancyBboxPatch(
                (x - 0.36, -0.5),
                0.72,
                1.0,
                boxstyle="round,pad=0.02,rounding_size=0.06",
                facecolor="#eef4fa",
                edgecolor=PALETTE[0],
                linewidth=1.5,
            )
        )
        label = textwrap.fill(pf.type_labels.get(ty, ty), 15, break_long_words=False)
        ax.text(x, 0.18, _tex(label), ha="center", va="center", fontsize=10, weight="bold")
        ax.text(x, -0.3, f"earned: {_show(earned)}\nstarted: {_show(enrolled)}", ha="center", va="center", fontsize=8)
        if x + 1 < len(types) and (ty, types[x + 1]) in pairs:
            nxt = types[x + 1]
            row = t.get(as_of, TYPE_PREFIX + ty, "stack_through_rate", target=TYPE_PREFIX + nxt, window=window)
            ax.annotate(
                "",
                xy=(x + 1 - 0.37, 0.0),
                xytext=(x + 0.37, 0.0),
                arrowprops={"arrowstyle": "-|>", "color": PALETTE[1], "lw": 2},
            )
            ax.text(
                x + 0.5, 0.62, _show(row, "%"), ha="center", va="center", fontsize=10, color=PALETTE[1], weight="bold"
            )
            described.append(f"{pf.type_labels.get(ty, ty)} to {pf.type_labels.get(nxt, nxt)}: {_show(row, '%')}")
    ax.set_title(f"Stack-through to the next level within {window} years", fontsize=11, loc="left")
    return _svg(plt, fig, "flow", "Stacking flow. " + ("; ".join(described) or "no stacking between levels"))


def _time(plt: Any, t: MetricsTable, as_of: str) -> str:
    from matplotlib.lines import Line2D

    pf = t.portfolio
    items: list[tuple[str, float, float, float, str]] = []
    hidden: list[str] = []
    for cid in sorted(pf.types, key=lambda c: (pf.levels.get(c, 0), pf.titles.get(c, c))):
        q1, med, q3 = (t.get(as_of, cid, m) for m in ("time_q1", "time_median", "time_q3"))
        if med is None or med.value is None or q1 is None or q3 is None or q1.value is None or q3.value is None:
            if med is not None and med.suppressed:
                hidden.append(pf.titles.get(cid, cid))
            continue
        items.append((pf.titles.get(cid, cid), float(q1.value), float(med.value), float(q3.value), pf.types[cid]))
    fig, ax = plt.subplots(figsize=(8, max(1.6, 0.32 * len(items) + 1.0)))
    colours = {ty: PALETTE[i % len(PALETTE)] for i, ty in enumerate(pf.type_order)}
    for y, (_title, lo, mid, hi, ty) in enumerate(reversed(items)):
        ax.plot([lo, hi], [y, y], color=colours.get(ty, PALETTE[0]), lw=6, solid_capstyle="butt", alpha=0.55)
        ax.plot([mid], [y], marker="|", markersize=14, color="#111", mew=2)
    ax.set_yticks(range(len(items)), [_tex(i[0]) for i in reversed(items)])
    ax.set_xlabel("days from the first counted attempt to earning (bar: quartiles; mark: median)")
    if not items:
        ax.text(0.5, 0.5, "no figures to show (none, or all suppressed)", transform=ax.transAxes, ha="center")
        ax.set_yticks([])
    handles = [
        Line2D([], [], color=colours[ty], lw=6, alpha=0.55, label=_tex(pf.type_labels.get(ty, ty)))
        for ty in pf.type_order
        if any(i[4] == ty for i in items)
    ]
    if handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=8)
    ax.grid(axis="x", color="#ddd")
    alt = "; ".join(f"{i[0]}: median {i[2]:g} days, quartiles {i[1]:g} to {i[3]:g}" for i in items)
    return _svg(plt, fig, "time", f"Time to credential. {alt}")


def _trend(plt: Any, t: MetricsTable, as_of: str, metric: str, ylabel: str, name: str) -> str | None:
    pf = t.portfolio
    terms = sorted(
        {r.group for r in t.rows if r.as_of == as_of and r.dimension == COHORT and r.subject == "*"}
        - {"(none)", "(missing)"},
        key=group_sort_key,
    )
    if not terms:
        return None
    fig, ax = plt.subplots(figsize=(8, 3.2))
    described: list[str] = []
    for i, ty in enumerate(pf.type_order):
        ys: list[float] = []
        for term in terms:
            row = t.get(as_of, TYPE_PREFIX + ty, metric, dimension=COHORT, group=term)
            ys.append(float(row.value) if row is not None and row.value is not None else math.nan)
        shown = sum(1 for y in ys if not math.isnan(y))
        if shown:  # a suppressed term is a gap in the line
            ax.plot(
                range(len(terms)),
                ys,
                marker="o",
                color=PALETTE[i % len(PALETTE)],
                label=_tex(pf.type_labels.get(ty, ty)),
            )
            described.append(f"{pf.type_labels.get(ty, ty)}: {shown} of {len(terms)} terms shown")
    ax.set_xticks(range(len(terms)), terms, rotation=45, ha="right", fontsize=8)
    ax.set_ylabel(ylabel)
    ax.set_xlabel("cohort (entry term); gaps are suppressed groups")
    ax.grid(axis="y", color="#ddd")
    if described:
        ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    else:
        ax.text(0.5, 0.5, "every cohort is suppressed", transform=ax.transAxes, ha="center")
    return _svg(plt, fig, name, f"{ylabel} by cohort. " + "; ".join(described))


def _dates_trend(plt: Any, t: MetricsTable) -> str | None:
    dates = t.as_of_dates()
    if len(dates) < 2:
        return None
    pf = t.portfolio
    fig, ax = plt.subplots(figsize=(8, 3.0))
    for i, ty in enumerate(pf.type_order):
        pts = [(j, t.get(d, TYPE_PREFIX + ty, "earned")) for j, d in enumerate(dates)]
        xs = [j for j, r in pts if r is not None and r.value is not None]
        ys = [float(r.value) for _j, r in pts if r is not None and r.value is not None]
        if xs:
            ax.plot(xs, ys, marker="o", color=PALETTE[i % len(PALETTE)], label=_tex(pf.type_labels.get(ty, ty)))
    ax.set_xticks(range(len(dates)), dates, fontsize=8)
    ax.set_ylabel("learners who earned one")
    ax.grid(axis="y", color="#ddd")
    ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return _svg(plt, fig, "dates", "Learners who earned a credential of each type, at each date")


CSS = """
:root{color-scheme:light;--ink:#1d2733;--muted:#5b6775;--line:#d8dee6;--accent:#1b6ca8}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:#f6f8fa}
header{background:#fff;border-bottom:1px solid var(--line);padding:1.2rem 1.5rem}
h1{margin:0 0 .3rem;font-size:1.5rem}
header p{margin:0;color:var(--muted)}
main{max-width:1100px;margin:0 auto;padding:1rem 1.5rem 3rem}
section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:1rem 1.2rem;margin:1rem 0}
h2{font-size:1.15rem;margin:.2rem 0 .6rem}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(160px,1fr));gap:.8rem}
.card{border:1px solid var(--line);border-radius:8px;padding:.7rem .9rem;background:#fbfcfd}
.card .n{font-size:1.6rem;font-weight:700;color:var(--accent)}
.card .l{color:var(--muted);font-size:.85rem}
figure{margin:0;overflow-x:auto}
svg.plot{max-width:100%;height:auto}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.88rem}
th,td{border-bottom:1px solid var(--line);padding:.3rem .5rem;text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left;white-space:normal}
thead th{background:#f0f3f6;position:sticky;top:0}
td.suppressed{color:var(--muted);font-style:italic}
td.stacks{text-align:left;white-space:normal;min-width:14rem}
.note{color:var(--muted);font-size:.85rem}
"""


def dashboard_html(table: MetricsTable, *, title: str = "Metrics of success") -> str:
    """The dashboard of ``table`` (figures of its latest ``as_of`` date, trends over its cohorts
    and dates) as one HTML page."""
    plt = _plt()
    t = table
    pf = t.portfolio
    dates = t.as_of_dates()
    as_of = dates[-1] if dates else ""
    k = t.min_group_size
    learners = t.get(as_of, "*", "learners")
    window = max(t.windows) if t.windows else 0
    e = html.escape

    cards = [f'<div class="card"><div class="n">{e(_show(learners))}</div><div class="l">learners</div></div>']
    for ty in pf.type_order:
        r = t.get(as_of, TYPE_PREFIX + ty, "completion_rate")
        n = t.get(as_of, TYPE_PREFIX + ty, "earned")
        cards.append(
            f'<div class="card" data-type="{e(ty)}"><div class="n">{e(_show(n))}</div>'
            f'<div class="l">{e(pf.type_labels.get(ty, ty))}: earned · completion {e(_show(r, "%"))}</div></div>'
        )

    flow_rows = []
    for a, b in pf.type_pairs():
        cells = []
        for w in t.windows:
            rate_row = t.get(as_of, TYPE_PREFIX + a, "stack_through_rate", target=TYPE_PREFIX + b, window=w)
            obs = t.get(as_of, TYPE_PREFIX + a, "stack_observed", target=TYPE_PREFIX + b, window=w)
            cells.append(_cell(rate_row, "%") + _cell(obs))
        flow_rows.append(
            f"<tr><td>{e(pf.type_labels.get(a, a))} → {e(pf.type_labels.get(b, b))}</td>{''.join(cells)}</tr>"
        )
    win_heads = "".join(f"<th>within {w} years</th><th>earners observed</th>" for w in t.windows)

    cred_rows = []
    for cid in sorted(pf.types, key=lambda c: (pf.levels.get(c, 0), pf.titles.get(c, c))):
        g = {
            m: t.get(as_of, cid, m)
            for m in ("enrolled", "earned", "completion_rate", "time_median", "expired", "prior_learning")
        }
        stacks = [
            (y, t.get(as_of, cid, "stack_through_rate", target=y, window=window)) for y in pf.stacks_into.get(cid, ())
        ]
        shown = ", ".join(f"{pf.titles.get(y, y)} {_show(r, '%')}" for y, r in stacks if r is not None) or "–"
        cred_rows.append(
            f'<tr data-credential="{e(cid)}"><td>{e(pf.titles.get(cid, cid))} <span class="note">'
            f"({e(pf.type_labels.get(pf.types[cid], pf.types[cid]))})</span></td>"
            + _cell(g["enrolled"])
            + _cell(g["earned"])
            + _cell(g["completion_rate"], "%")
            + _cell(g["time_median"])
            + _cell(g["expired"])
            + _cell(g["prior_learning"])
            + f'<td class="stacks">{e(shown)}</td></tr>'
        )

    figures = [
        ("flow", "Stacking flow", _flow(plt, t, as_of)),
        ("time", "Time to credential", _time(plt, t, as_of)),
    ]
    trend_earned = _trend(plt, t, as_of, "earned", "learners who earned one", "trend-earned")
    trend_rate = _trend(plt, t, as_of, "completion_rate", "completion rate (%)", "trend-rate")
    by_dates = _dates_trend(plt, t)

    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(title)}</title><style>{CSS}</style></head><body>",
        f"<header><h1>{e(title)}</h1><p>As of {e(as_of)}"
        + (f" (and {', '.join(e(d) for d in dates[:-1])})" if len(dates) > 1 else "")
        + f" · figures of groups under {k} learners are suppressed</p></header><main>",
        f'<section id="summary" aria-label="Headline figures"><div class="cards">{"".join(cards)}</div></section>',
        f'<section id="flow"><h2>{figures[0][1]}</h2><figure>{figures[0][2]}</figure>'
        f'<div class="scroll"><table><thead><tr><th>from → to</th>{win_heads}</tr></thead>'
        f"<tbody>{''.join(flow_rows)}</tbody></table></div>"
        '<p class="note">Of the learners who earned a credential of the first type and were observed for the '
        "whole window, the share who earned one of the second type it stacks into, within the window "
        "(RAND/Ohio).</p></section>",
        f'<section id="time"><h2>{figures[1][1]}</h2><figure>{figures[1][2]}</figure></section>',
    ]
    trends = [s for s in (trend_earned, trend_rate, by_dates) if s]
    if trends:
        parts.append(
            '<section id="trends"><h2>Trends by term</h2>'
            + "".join(f"<figure>{s}</figure>" for s in trends)
            + "</section>"
        )
    parts += [
        '<section id="credentials"><h2>Every credential</h2><div class="scroll"><table><thead><tr>'
        "<th>credential</th><th>enrolled</th><th>earned</th><th>completion</th><th>median days</th>"
        f"<th>expired</th><th>prior learning</th><th>stacks into (within {window} years)</th></tr></thead>"
        f"<tbody>{''.join(cred_rows)}</tbody></table></div></section>",
        '<section id="reading"><h2>How to read this page</h2><p class="note">'
        "Enrolled: learners with progress above 0. Earned: learners who earned the credential (expired ones "
        "included). Completion: earned ÷ enrolled. Time to credential: days from the first counted attempt to the "
        "date earned (credentials awarded from outside are left out); quartiles by linear interpolation. Rates are "
        "percentages with one decimal, rounded half up. A figure marked suppressed rests on fewer than "
        f"{k} learners, or is hidden so that such a figure cannot be worked out from a total. "
        "Every definition, with its formula and source: docs/metrics.md.</p></section>",
        "</main></body></html>",
    ]
    return "\n".join(parts) + "\n"


__all__ = ["DashboardUnavailable", "dashboard_html"]
