"""``microcred plan`` and ``microcred pathways``: what a learner still has to take, and where a
credential leads.

Exit codes: 0 planned (or already earned), 1 a target that cannot be earned or an input that
is invalid (the others are still reported), 2 usage error (unknown credential, missing file),
3 planning could not finish for some learner (a solve ran out of time, or the evaluator
rejected every set the model proposed): that says nothing about whether the target can be
earned.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path
from typing import Any, TextIO

from microcred.cli.util import EXIT_INVALID, EXIT_OK, UsageError

#: ``plan``: planning could not finish for some learner (out of time, or too many rejected sets)
EXIT_UNFINISHED = 3
#: Interchangeable courses listed in text output before "and N more".
SHOW_INSTEAD = 4


def register(sub: Any) -> None:
    """Add ``microcred plan`` and ``microcred pathways`` to the CLI's subparsers."""
    from microcred.analysis.plan import MAX_REJECTED
    from microcred.cli.util import nonneg_int, parse_date

    def positive_int(text: str) -> int:
        n = nonneg_int(text)
        if n < 1:
            raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
        return n

    p = sub.add_parser(
        "plan",
        help="the cheapest further courses that would earn a credential",
        description=(
            "The cheapest set of further courses (fewest credits, then fewest courses) that would earn "
            "the target, each assumed completed on the evaluation date with the top grade of the scale, "
            "and the next cheapest alternatives. Every set is checked by the evaluator. Exit 0 planned or "
            "already earned, 1 the target cannot be earned (the reason is printed) or an input is invalid, "
            "2 usage error, 3 planning could not finish (the message says why and what to do)."
        ),
    )
    p.add_argument("--catalog", required=True, metavar="PATH", help="the catalogue (a YAML file or directory)")
    p.add_argument("transcript", metavar="TRANSCRIPT", help="YAML/JSON (one learner) or CSV/JSONL (many)")
    p.add_argument("--target", required=True, metavar="ID", help="the credential to plan for")
    p.add_argument(
        "--alternatives", type=nonneg_int, default=3, metavar="N", help="next cheapest sets to list (default 3)"
    )
    p.add_argument(
        "--as-of", type=parse_date, metavar="DATE", help="evaluation date (default: the transcript's, else today)"
    )
    p.add_argument(
        "--max-rejected",
        type=positive_int,
        default=MAX_REJECTED,
        metavar="N",
        help=f"sets the evaluator may reject before planning gives up (default {MAX_REJECTED})",
    )
    p.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text: for an advisor (default); json: one object a line",
    )
    p.set_defaults(func=_cmd_plan)

    w = sub.add_parser(
        "pathways",
        help="the stack paths from a credential up to the top, with the credits each step still needs",
        description=(
            "Every stack path from a credential to the credentials that stack into nothing (degrees, "
            "usually). Without --transcript each step shows the credential's catalogue credit value; with "
            "one, the credits of the cheapest plan that earns it for that learner."
        ),
    )
    w.add_argument("--catalog", required=True, metavar="PATH", help="the catalogue (a YAML file or directory)")
    w.add_argument("--from", dest="from_", required=True, metavar="ID", help="the credential to start from")
    w.add_argument(
        "--transcript", metavar="TRANSCRIPT", help="a learner's transcript (YAML/JSON, or CSV/JSONL with --learner)"
    )
    w.add_argument("--learner", metavar="ID", help="the learner, when TRANSCRIPT holds several")
    w.add_argument("--as-of", type=parse_date, metavar="DATE", help="evaluation date (with --transcript)")
    w.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text: for an advisor (default); json: one object a line",
    )
    w.set_defaults(func=_cmd_pathways)


def _load(path: str, credential: str, option: str, err: TextIO) -> tuple[Any, int]:
    """The compiled catalogue, or the exit code after reporting why not (``credential``, given
    by ``option``, must be one of its credentials)."""
    from microcred.cli.util import load_catalog_or_report, unknown_id
    from microcred.rules.evaluate import compile_catalog

    catalog, code = load_catalog_or_report(path, err)
    if catalog is None:
        return None, code
    cc = compile_catalog(catalog)  # type: ignore[arg-type]
    if credential not in cc.credentials:
        raise unknown_id(option, "credential", credential, cc.credentials)
    return cc, EXIT_OK


def _cmd_plan(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from microcred.analysis.plan import PlanError, PlanUnconfirmed, plan
    from microcred.cli.util import format_text, input_file
    from microcred.io.transcript import TranscriptError, read_transcripts
    from microcred.model.diagnostics import MicrocredError

    input_file(args.transcript, "", "transcript file")
    cc, code = _load(args.catalog, args.target, "--target", err)
    if cc is None:
        return code
    title = cc.catalog.credentials[args.target].title
    status = EXIT_OK
    first = True
    for item in read_transcripts(Path(args.transcript), args.transcript):
        if isinstance(item, TranscriptError):
            status = max(status, EXIT_INVALID)
            who = f" (learner {item.learner_id})" if item.learner_id else ""
            err.write(f"microcred plan: cannot plan for {args.transcript}{who}:\n")
            for d in item.diagnostics:
                err.write(format_text(d) + "\n")
            continue
        t = item.transcript
        day = args.as_of or t.as_of or dt.date.today()
        if not first and args.format == "text":
            out.write("\n" + "─" * 72 + "\n\n")
        first = False
        try:
            result = plan(cc, item, args.target, day, alternatives=args.alternatives, max_rejected=args.max_rejected)
        except (PlanUnconfirmed, TimeoutError) as exc:
            status = max(status, EXIT_UNFINISHED)
            what = exc.reason if isinstance(exc, PlanUnconfirmed) else f"planning {args.target} stopped: {exc}"
            err.write(f"microcred plan: {args.transcript} (learner {t.learner.id}): {what}\n")
            continue
        except MicrocredError as exc:
            status = max(status, EXIT_INVALID)
            err.write(f"microcred plan: cannot plan for {args.transcript} (learner {t.learner.id}):\n")
            for d in exc.diagnostics:
                err.write(format_text(d) + "\n")
            continue
        except PlanError as exc:
            status = max(status, EXIT_INVALID)
            reason = exc.reason
            if args.format == "json":
                doc = {
                    "learner": {"id": t.learner.id},
                    "as_of": day.isoformat(),
                    "target": {"id": args.target, "title": title},
                    "possible": False,
                    "reason": reason,
                }
                out.write(json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n")
            else:
                out.write(f"{_who(t.learner.id, t.learner.name)}: {title} ({args.target}) cannot be earned.\n")
                out.write(f"Why: {reason}\n")
            continue
        if args.format == "json":
            out.write(json.dumps(result.to_json(), ensure_ascii=False, separators=(",", ":")) + "\n")
        else:
            out.write(render_plan(result, t.learner.name, args.alternatives))
    return status


def _who(ident: str, name: str | None) -> str:
    return f"{name} ({ident})" if name else ident


def _credits(x: float) -> str:
    return f"{x:g} credit{'' if x == 1 else 's'}"


def render_plan(p: Any, learner_name: str | None = None, asked: int = 3) -> str:
    """A plan as text for an advisor (``asked``: how many alternatives were asked for)."""
    from microcred.model.figures import percent_text

    lines = [
        f"{_who(p.learner_id, learner_name)} → {p.title} ({p.target})",
        f"as of {p.as_of.isoformat()}: {p.status.replace('_', ' ')}, progress {percent_text(p.progress)}",
    ]
    if p.already_earned:
        lines.append(f"Already earned (on {p.best.earned_on}): nothing further is needed.")
        return "\n".join(lines) + "\n"
    best = p.best
    lines.append(
        f"Cheapest plan: {len(best)} course{'s' if len(best) != 1 else ''}, {_credits(best.credits)} "
        f"(each completed with {p.grade} on {p.as_of.isoformat()})"
    )
    width = max((len(c.course) for c in best.courses), default=0)
    twidth = min(40, max((len(c.title) for c in best.courses), default=0))
    for c in best.courses:
        notes = []
        if c.pending:
            notes.append(c.pending.replace("_", " "))
        if c.retake:
            notes.append("retake")
        where = "; ".join(c.counts_toward)
        tag = f"[{', '.join(notes)}] " if notes else ""
        title = c.title if len(c.title) <= twidth else c.title[: twidth - 1] + "…"
        lines.append(f"  {c.course:<{width}}  {title:<{twidth}}  {c.credits:>4g}  {tag}{where}")
        if c.or_instead:
            shown = ", ".join(c.or_instead[:SHOW_INSTEAD])
            more = len(c.or_instead) - SHOW_INSTEAD
            lines.append(f"  {'':<{width}}  or instead: {shown}" + (f" and {more} more" if more > 0 else ""))
    if best.expires_on:
        lines.append(f"Once earned it is valid until {best.expires_on.isoformat()}.")
    for i, alt in enumerate(p.alternatives, 1):
        mine, theirs = set(best.ids), set(alt.ids)
        drop = sorted(mine - theirs)
        add = [c for c in alt.courses if c.course not in mine]
        added = ", ".join(c.course + (" (retake)" if c.retake else "") for c in add)
        lines.append(
            f"Alternative {i}: {len(alt)} course{'s' if len(alt) != 1 else ''}, {_credits(alt.credits)}: "
            + (f"instead of {', '.join(drop)}, " if drop else "also ")
            + f"take {added}"
        )
    if p.alternatives_note:
        lines.append(f"Alternatives: {p.alternatives_note}.")
    elif asked and not p.alternatives:
        lines.append("No alternative: every set that earns it includes these courses (or interchangeable ones).")
    return "\n".join(lines) + "\n"


def _cmd_pathways(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from microcred.analysis.plan import pathways
    from microcred.cli.util import format_text, input_file, one_learner
    from microcred.io.transcript import TranscriptSource
    from microcred.model.diagnostics import MicrocredError

    if args.transcript is None and (args.as_of is not None or args.learner is not None):
        raise UsageError("--as-of and --learner need --transcript", "", "give the learner's transcript")
    if args.transcript is not None:
        input_file(args.transcript, "--transcript", "transcript file")
    cc, code = _load(args.catalog, args.from_, "--from", err)
    if cc is None:
        return code
    source: TranscriptSource | None = None
    if args.transcript is not None:
        source, code = one_learner(args.transcript, args.learner, "microcred pathways", err)
        if source is None:
            return code
    try:
        paths = pathways(cc, args.from_, source, args.as_of)
    except MicrocredError as exc:
        err.write(f"microcred pathways: cannot evaluate {args.transcript}:\n")
        for d in exc.diagnostics:
            err.write(format_text(d) + "\n")
        return EXIT_INVALID
    if args.format == "json":
        doc: dict[str, Any] = {"from": args.from_, "pathways": [p.to_json() for p in paths]}
        if source is not None:
            day = args.as_of or source.transcript.as_of or dt.date.today()
            doc["learner"] = {"id": source.transcript.learner.id}
            doc["as_of"] = day.isoformat()
        out.write(json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n")
        return EXIT_OK
    cred = cc.catalog.credentials[args.from_]
    head = f"Pathways from {cred.title} ({args.from_})"
    if source is not None:
        t = source.transcript
        head += f" for {_who(t.learner.id, t.learner.name)}; credits: what the cheapest plan still needs"
    else:
        head += "; credits: each credential's catalogue credit value"
    out.write(head + "\n")
    if len(paths) == 1 and len(paths[0].steps) == 1:
        out.write("It stacks into nothing: it is a top of its stack.\n")
    for n, path in enumerate(paths, 1):
        out.write(f"{n}. {' → '.join(path.ids)}\n")
        width = max(len(s.credential) for s in path.steps)
        for s in path.steps:
            if s.credits is None:
                amount = "—"
            elif source is not None and s.credits == 0:
                amount = "done"
            else:
                amount = _credits(s.credits)
            status = f"  {s.status.replace('_', ' ')}" if s.status else ""
            note = f"  ({s.note})" if s.note else ""
            out.write(f"   {s.credential:<{width}}  {s.type:<16} {amount:>12}{status}{note}\n")
    return EXIT_OK
