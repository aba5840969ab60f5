"""A registrar's night: from a database (or Parquet) to a database (or Parquet), resumable,
and incremental.

The rows of every input arrive ordered by learner id, so a run always knows how far it got:
the last learner committed. Each commit (every ``COMMIT_LEARNERS`` learners) writes that
learner's id with the chunk's results in one transaction; a lost connection, or a run started
again with ``--resume``, reads the inputs again after it, so no learner is repeated or lost.

An incremental run keeps, for each learner, the digest of its inputs (its rows, the
catalogue's digest, the options that change results) and the next date on which its result
could change with the evaluation date alone (:func:`recheck_on`). A learner whose digest is
unchanged and whose date has not come is not evaluated again: its stored result is the one a
full run would give.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import json
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from microcred.io import records as rec
from microcred.io.records import LearnerRecord
from microcred.io.transcript import Transcript
from microcred.model.diagnostics import MicrocredError, Severity
from microcred.model.result import LearnerResult
from microcred.rules.compiled import CompiledCatalog
from microcred.rules.evaluate import evaluate
from microcred.run.cache import catalogue_digest, load_compiled
from microcred.run.options import BatchOptions, BatchSummary, BatchUsageError, check_paths
from microcred.run.workers import run_pool

#: Learners between two commits of a run (each commit is one transaction).
COMMIT_LEARNERS = 500
#: Times a run reconnects after a lost connection before it gives up.
RECONNECTS = 5
KINDS = ("attempts", "awards", "learners")
_DAY = dt.timedelta(days=1)


# -- when a result can change with the date alone ----------------------------------------------


def recheck_on(cc: CompiledCatalog, t: Transcript, result: LearnerResult, pending: tuple[str, ...]) -> dt.date | None:
    """The first date after ``result.as_of`` on which evaluating ``t`` could give another
    result, all else equal; None when no date can change it.

    The evaluation date enters an evaluation only through: attempts and awards dated after it
    (they count from their date on; a completed one has a warning that names the date, so it
    changes every day); awards' expiry (effective: with ``valid_for``); credentials' expiry
    (``expired`` from ``expires_on`` on); ``earned_on`` when no dated record decides it (it is
    then the evaluation date itself: the next day is taken); and in-progress attempts, which
    count as dated on it, which matters only to a completion window of a credential not yet
    earned (:func:`_window_change`). The earliest of those dates is the answer.
    """
    as_of = result.as_of
    dates: list[dt.date] = []
    for a in t.attempts:
        if a.date is not None and a.date > as_of:
            dates.append(a.date)
            if a.status in ("completed", "transfer"):
                # its warning (W608) names the evaluation date: it changes every day
                dates.append(as_of + _DAY)
    creds = cc.catalog.credentials
    for aw in t.awarded:
        if aw.date > as_of:
            dates.append(aw.date)
        expires = aw.expires_on
        cred = creds.get(aw.credential)
        if expires is None and cred is not None and cred.valid_for is not None:
            from microcred.model.dates import add_span

            expires = add_span(aw.date, cred.valid_for.years, cred.valid_for.months)
        if expires is not None and expires > as_of:
            dates.append(expires)
    for r in result.credentials.values():
        if r.expires_on is not None and r.expires_on > as_of:
            dates.append(r.expires_on)
        if r.earned_on == as_of:
            dates.append(as_of + _DAY)
    taking = {a.course for a in t.attempts if a.status in pending}
    if taking and t.exceptions:
        dates.append(as_of + _DAY)  # substitutions move courses between credentials: no bound here
    elif taking:
        for cid, comp in cc.credentials.items():
            rel = comp.relevant_courses
            if not comp.has_window or comp.root is None or (rel is not None and taking.isdisjoint(rel)):
                continue
            held = result.credentials.get(cid)
            if held is not None and held.status in ("earned", "expired"):
                continue  # the in-progress scenario is not looked at
            dates.append(_window_change(comp, t, as_of))
    found = min(dates, default=None)
    return None if found is None or found == dt.date.max else found


def _window_change(comp: Any, t: Transcript, as_of: dt.date) -> dt.date:
    """The first date after ``as_of`` on which an in-progress attempt, counted as dated on the
    evaluation day, can leave a completion window of ``comp`` (``dt.date.max``: never).

    A window holds an assignment when its latest date is at most its earliest date plus the
    window's span. With the in-progress attempt in it, the latest date is the evaluation day
    (every completed attempt counted is dated on or before it), and the earliest is the date of
    a relevant completed attempt or award, or the evaluation day itself. So each assignment's
    fit changes only on a day after such a date plus a span, and between those days the answer
    is the same."""
    from microcred.model.dates import add_months

    rel = comp.relevant_courses
    spans = {n.window_months for n in comp.root.walk() if n.window_months is not None}
    starts = {
        a.date
        for a in t.attempts
        if a.status in ("completed", "transfer")
        and a.date is not None
        and a.date <= as_of
        and (rel is None or a.course in rel)
    }
    starts |= {aw.date for aw in t.awarded if aw.date <= as_of and aw.credential in comp.relevant_credentials}
    changes = [add_months(d, span) + _DAY for d in starts for span in spans]
    return min((c for c in changes if c > as_of), default=dt.date.max)


# -- evaluation of one learner (in the workers) --------------------------------------------


def evaluate_record(
    unit: tuple[Any, ...],
    compiled: CompiledCatalog,
    as_of: dt.date | None,
    planned: bool,
    evidence: tuple[Path, Any] | None = None,
) -> tuple[str, str, list[dict[str, Any]]]:
    """(key, rows as JSON, error records) of one learner of a night (only learners to evaluate
    are sent here; a unit without a record gives empty rows). The rows: the learner's row and
    its result rows, with the explanations already written as JSON text. ``evidence``: (root,
    options) of the learners' external credentials, as for file input (docs/recognition.md)."""
    _kind, key, payload = unit
    if payload is None:
        return key, "", []
    record, labels, day = payload
    built = rec.build_transcript(record)
    if isinstance(built, list):
        return key, "", [rec.problem_record(record, p, labels) for p in built]
    src = rec.source_of(built, labels)
    try:
        held = None
        if evidence is not None:
            from microcred.badges.evidence import for_learner

            held = for_learner(evidence[0], built.learner.id, day, evidence[1])
        result = evaluate(compiled, src, day, include_planned=planned, detail=False, evidence=held)
    except MicrocredError as exc:
        return key, "", [rec.diagnostic_record(record, d, labels) for d in exc.diagnostics]
    pending = ("in_progress", "planned") if planned else ("in_progress",)
    recheck = recheck_on(compiled, built, result, pending)
    if any(o.reason != "wrong_recipient" for o in result.recognition or []):
        # verification looks at the date (validity, expiry): look again the next day
        recheck = min(recheck or dt.date.max, day + dt.timedelta(days=1))
    doc = result.to_json()
    lid = result.learner_id
    rows = []
    for pos, (cid, c) in enumerate(doc["credentials"].items()):
        exceptions = c.get("exceptions")
        rows.append(
            (
                lid,
                pos,
                cid,
                c["status"],
                c["earned_on"],
                c["expires_on"],
                c["progress"],
                orjson.dumps(c["applied"]).decode(),
                orjson.dumps(c["missing"]).decode(),
                orjson.dumps(c["stacks_into"]).decode(),
                c["title"],
                c["type"],
                bool(c.get("awarded", False)),
                orjson.dumps(exceptions).decode() if exceptions else None,
            )
        )
    head = (
        lid,
        result.learner_name,
        doc["as_of"],
        orjson.dumps(doc["warnings"]).decode(),
        orjson.dumps(doc["stacking"]).decode(),
        recheck.isoformat() if recheck else None,
        orjson.dumps(doc["recognition"]).decode() if "recognition" in doc else None,
    )
    warnings = [rec.diagnostic_record(record, d, labels) for d in result.warnings]
    return key, orjson.dumps([head, rows]).decode(), warnings


def evaluate_night_unit(
    unit: tuple[Any, ...],
    compiled: CompiledCatalog,
    as_of: dt.date | None,
    planned: bool,
    fmt: str,
    evidence: tuple[Path, Any] | None = None,
) -> tuple[str, str, list[dict[str, Any]]]:
    """:func:`evaluate_record` as the worker pool calls it (``fmt``, the output format of a run
    from files, has no part in a night)."""
    return evaluate_record(unit, compiled, as_of, planned, evidence)


# -- sources ----------------------------------------------------------------------------------


@dataclass
class Orphans:
    """Rows without a learner id."""

    kind: str
    row: tuple[Any, ...]


@dataclass
class LearnerRows:
    """One learner's rows of every input, as read: each row the learner id first, then the
    columns of ``COLUMNS``. Most learners of an incremental night are only digested."""

    learner_id: str
    rows: dict[str, list[tuple[Any, ...]]]

    def digest(self, salt: str) -> str:
        return rec.rows_digest(salt, self.rows)

    def record(self) -> LearnerRecord:
        """The learner's record, for evaluation (the rows without the learner id)."""
        get = self.rows.get
        return LearnerRecord(
            self.learner_id,
            [r[1:] for r in get("attempts", ())],
            [r[1:] for r in get("awards", ())],
            [r[1:] for r in get("learners", ())],
        )


#: one input, learner by learner: (learner id or None, the learner's rows, learner id first)
Stream = Iterator[tuple[str | None, list[tuple[Any, ...]]]]


def merge(streams: dict[str, Stream]) -> Iterator[LearnerRows | Orphans]:
    """One item a learner from inputs ordered by learner id (a learner's rows may come in
    several pieces, from several files); rows without a learner id as Orphans."""
    heads: dict[str, tuple[str | None, list[tuple[Any, ...]]] | None] = {}
    last: dict[str, str] = {}

    def advance(kind: str) -> None:
        item = next(streams[kind], None)
        if item is not None and item[0] is not None:
            prev = last.get(kind)
            if prev is not None and item[0] < prev:
                raise BatchUsageError(
                    f"--{kind}",
                    f"rows are not in learner order ({item[0]!r} after {prev!r})",
                    "report this: the database's text order differs from code-point order",
                )
            last[kind] = item[0]
        heads[kind] = item

    for kind in streams:
        advance(kind)
    while True:
        for kind in streams:
            head = heads[kind]
            while head is not None and head[0] is None:
                for row in head[1]:
                    yield Orphans(kind, row[1:])
                advance(kind)
                head = heads[kind]
        live = [h[0] for h in heads.values() if h is not None and h[0] is not None]
        if not live:
            return
        lid = min(live)
        rows: dict[str, list[tuple[Any, ...]]] = {}
        for kind in streams:
            head = heads[kind]
            while head is not None and head[0] == lid:
                if kind in rows:
                    rows[kind].extend(head[1])
                else:
                    rows[kind] = head[1]
                advance(kind)
                head = heads[kind]
        yield LearnerRows(lid, rows)


class _SqlSource:
    def __init__(self, opts: BatchOptions) -> None:
        from microcred.io.sql import Database, InputSpec

        assert opts.db is not None
        self.db = Database(opts.db, "--db")
        self.specs = [InputSpec("attempts", opts.attempts or "attempts")]
        if opts.awards:
            self.specs.append(InputSpec("awards", opts.awards))
        if opts.learners:
            self.specs.append(InputSpec("learners", opts.learners))
        self.labels = {s.kind: s.label for s in self.specs}
        self.conn: Any = None
        self.columns: dict[str, dict[str, str]] = {}

    def open(self) -> None:
        from microcred.io.sql import check_inputs

        self.close()
        self.conn = self.db.connect(snapshot=True)
        self.columns = check_inputs(self.db, self.conn, self.specs)

    def records(self, after: str | None) -> Iterator[LearnerRows | Orphans]:
        from microcred.io.sql import read_rows

        return merge({s.kind: read_rows(self.db, self.conn, s, self.columns[s.kind], after) for s in self.specs})

    def close(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(Exception):  # a connection already lost
                self.conn.close()
            self.conn = None


class _ParquetSource:
    def __init__(self, opts: BatchOptions, files: list[Path]) -> None:
        self.files = {"attempts": files}
        if opts.awards:
            self.files["awards"] = [Path(opts.awards)]
        if opts.learners:
            self.files["learners"] = [Path(opts.learners)]
        self.labels = {k: ",".join(str(f) for f in fs) for k, fs in self.files.items()}

    def open(self) -> None:
        for fs in self.files.values():
            for f in fs:
                if not f.is_file():
                    raise BatchUsageError(str(f), "no such file", "check the path")

    def records(self, after: str | None) -> Iterator[LearnerRows | Orphans]:
        from microcred.io.parquet import read_rows

        streams: dict[str, Stream] = {}
        for kind, fs in self.files.items():
            if len(fs) == 1:
                streams[kind] = read_rows(fs[0], kind, after)
            else:
                import heapq

                streams[kind] = heapq.merge(
                    *(read_rows(f, kind, after) for f in fs), key=lambda item: (item[0] is not None, item[0] or "")
                )
        return merge(streams)

    def close(self) -> None:
        pass


# -- the run ---------------------------------------------------------------------------------------


def _error_row(run_id: int, e: dict[str, Any]) -> tuple[Any, ...]:
    row = e.get("row")
    return (
        run_id,
        e.get("learner"),
        e.get("source"),
        orjson.dumps(row).decode() if row is not None else None,
        e.get("column"),
        e["code"],
        e["severity"],
        e["message"],
    )


def _orphan_record(o: Orphans, labels: dict[str, str]) -> dict[str, Any]:
    row = {"learner_id": None} | {c: rec.jsonable(v) for c, v in zip(rec.COLUMNS[o.kind], o.row, strict=True)}
    return {
        "learner": None,
        "source": labels.get(o.kind, o.kind),
        "row": row,
        "column": "learner_id",
        "code": "E504",
        "severity": Severity.ERROR.value,
        "message": "the row has no learner_id",
    }


def options_key(opts: BatchOptions, incremental: bool) -> str:
    return json.dumps(
        {
            "incremental": incremental,
            "planned": opts.include_planned,
            "db": opts.db,
            "attempts": opts.attempts,
            "awards": opts.awards,
            "learners": opts.learners,
            "inputs": [str(p) for p in opts.inputs],
            **({"evidence": str(opts.evidence[0])} if opts.evidence else {}),
        },
        sort_keys=True,
    )


def run_night(opts: BatchOptions) -> BatchSummary:
    """A run from a database or Parquet files into a database or a Parquet file."""
    from microcred.io.sql import Database, ResultStore, RunState, connection_errors, is_database_url

    start = time.perf_counter()
    as_of = opts.as_of or dt.date.today()
    parquet_in = [p for p in opts.inputs if p.suffix.lower() == ".parquet"]
    if opts.db is not None and opts.inputs:
        raise BatchUsageError(
            " ".join(str(p) for p in opts.inputs),
            "files given as well as --db",
            "read one database, or files, in a run",
        )
    if opts.db is None and (not parquet_in or len(parquet_in) != len(opts.inputs)):
        raise BatchUsageError(
            " ".join(str(p) for p in opts.inputs) or "INPUT",
            "a database or Parquet output needs database or Parquet input",
            "give --db URL, or .parquet files of attempts",
        )
    if opts.db is None and (
        (opts.awards and not opts.awards.lower().endswith(".parquet"))
        or (opts.learners and not opts.learners.lower().endswith(".parquet"))
    ):
        raise BatchUsageError("--awards/--learners", "with Parquet input they must be Parquet files too", "")
    source: _SqlSource | _ParquetSource = _SqlSource(opts) if opts.db is not None else _ParquetSource(opts, parquet_in)
    sink_url = opts.sink
    store: ResultStore | None = None
    pq_out: Any = None
    errors_path = opts.errors or opts.output.with_name(opts.output.name + ".errors.jsonl")
    if sink_url is not None and is_database_url(sink_url):
        store = ResultStore(Database(sink_url, "-o"))
    elif opts.output.suffix.lower() == ".parquet":
        from microcred.io.parquet import ParquetResults

        if opts.incremental:
            raise BatchUsageError(
                "--incremental", "needs a database output, where results are kept", "write to a database (-o URL)"
            )
        if opts.resume:
            raise BatchUsageError(
                "--resume", "a Parquet output is written whole", "run again without --resume, or write to a database"
            )
        check_paths(opts, errors_path)
        pq_out = ParquetResults(opts.output, errors_path)
    else:
        raise BatchUsageError(
            f"-o {opts.output}",
            "database and Parquet inputs write to a database or a Parquet file",
            "give -o sqlite:///results.db, -o postgresql://…, or -o results.parquet",
        )
    compiled = load_compiled(opts.catalog, opts.cache_dir, use_cache=opts.use_cache)
    salt = f"{catalogue_digest(opts.catalog)}|planned={opts.include_planned}"
    if opts.evidence is not None:
        from microcred.badges.evidence import options_digest

        salt += f"|evidence={options_digest(*opts.evidence)}"
    summary = BatchSummary(output=opts.output, errors=errors_path if pq_out else None)
    labels = source.labels
    try:
        source.open()
        if store is not None:
            store.open()
            state = store.begin(as_of, salt, options_key(opts, opts.incremental), opts.resume)
            stored = store.stored() if opts.incremental else {}
        else:
            pq_out.open()
            state = RunState(0, None)
            stored = {}
        if state.resumed:
            summary.skipped = state.learners
        stored_ids = sorted(stored)
        counts = RunState(
            state.run_id, state.high_water, state.learners, state.evaluated, state.skipped, state.failed, state.removed
        )
        retries = 0
        gc.freeze()
        while True:
            try:
                _night(opts, compiled, source, store, pq_out, state, counts, stored, stored_ids, salt, as_of, labels)
                break
            except connection_errors() as exc:
                retries += 1
                if retries > RECONNECTS:
                    raise BatchUsageError(
                        "the database", f"the connection was lost {retries} times: {exc}", "check the server"
                    ) from None
                time.sleep(min(5.0, 0.2 * 2**retries))
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                summary.warnings.append(f"the database connection was lost ({first}); resumed after the last commit")
                source.open()
                if store is not None:
                    store.open()
                    state = store.current(state.run_id)
                else:
                    state = RunState(
                        0,
                        counts.high_water,
                        counts.learners,
                        counts.evaluated,
                        counts.skipped,
                        counts.failed,
                        counts.removed,
                    )
                counts = RunState(
                    state.run_id,
                    state.high_water,
                    state.learners,
                    state.evaluated,
                    state.skipped,
                    state.failed,
                    state.removed,
                )
        if store is not None:
            # with nothing stored before (a first night), the staged learners are the whole result
            store.finish(state, full=not opts.incremental or not stored_ids)
        else:
            pq_out.finish()
    finally:
        gc.unfreeze()
        source.close()
        if store is not None:
            store.close()
        if pq_out is not None:
            pq_out.close()
    summary.learners = counts.learners - summary.skipped
    summary.failed = counts.failed
    summary.unchanged = counts.skipped
    summary.removed = counts.removed
    summary.seconds = time.perf_counter() - start
    return summary


def _evidence_stamp(opts: BatchOptions) -> Callable[[str], str]:
    """What a learner's evidence adds to its digest: nothing without ``--evidence``."""
    if opts.evidence is None:
        return lambda _lid: ""
    from microcred.badges.evidence import evidence_digest

    root = opts.evidence[0]
    return lambda lid: "|evidence=" + evidence_digest(root, lid)


def _night(
    opts: BatchOptions,
    compiled: CompiledCatalog,
    source: _SqlSource | _ParquetSource,
    store: Any,
    pq_out: Any,
    state: Any,
    counts: Any,
    stored: dict[str, Any],
    stored_ids: list[str],
    salt: str,
    as_of: dt.date,
    labels: dict[str, str],
) -> None:
    """Read, evaluate and commit every learner after ``state.high_water``.

    Only the learners to evaluate go to the workers. The others (unchanged, gone from the
    inputs, rows without a learner id) are settled here, in learner order with the evaluated
    ones: each is taken when every learner before it is, so ``high_water`` always means that
    every learner up to it is committed."""
    import bisect

    after = state.high_water
    gone_at = bisect.bisect_right(stored_ids, after) if after is not None else 0
    #: every learner (and orphan row) of the night in order: (what, learner id, digest, error records);
    #: what is "evaluate" (its answer comes from evaluation, in this order), "skip", "gone" or "orphan"
    order: deque[tuple[str, str | None, str | None, list[dict[str, Any]]]] = deque()
    results: list[tuple[Any, ...]] = []
    learners: list[tuple[Any, ...]] = []
    drops: list[str] = []
    errors: list[dict[str, Any]] = []
    pending = 0
    high = after
    incremental = opts.incremental

    def commit() -> None:
        nonlocal pending
        if store is not None:
            store.write(state, results, learners, drops, [_error_row(state.run_id, e) for e in errors], high, counts)
        else:
            pq_out.write(results, [json.dumps(e, ensure_ascii=False) + "\n" for e in errors])
        counts.high_water = high
        results.clear()
        learners.clear()
        drops.clear()
        errors.clear()
        pending = 0
        if opts.progress is not None:
            opts.progress(counts.learners, counts.failed)

    stamp = _evidence_stamp(opts)

    def units() -> Iterator[tuple[Any, ...]]:
        """The learners to evaluate; every other item goes into ``order`` only."""
        nonlocal gone_at
        for item in source.records(after):
            if isinstance(item, Orphans):
                order.append(("orphan", None, None, [_orphan_record(item, labels)]))
                continue
            lid = item.learner_id
            while gone_at < len(stored_ids) and stored_ids[gone_at] < lid:
                order.append(("gone", stored_ids[gone_at], None, []))  # gone from the inputs
                gone_at += 1
            if gone_at < len(stored_ids) and stored_ids[gone_at] == lid:
                gone_at += 1
            digest = item.digest(salt + stamp(lid))
            before = stored.get(lid)
            if (
                incremental
                and before is not None
                and before.digest == digest
                and (before.recheck_on is None or before.recheck_on > as_of)
            ):
                order.append(("skip", lid, None, []))
                continue
            order.append(("evaluate", lid, digest, []))
            yield ("night", lid, (item.record(), labels, as_of))
        while gone_at < len(stored_ids):
            order.append(("gone", stored_ids[gone_at], None, []))
            gone_at += 1

    def settle() -> None:
        """Take every item up to the next learner being evaluated."""
        nonlocal pending, high
        while order and order[0][0] != "evaluate":
            what, lid, _digest, extra = order.popleft()
            if what == "orphan":
                errors.extend(extra)
                counts.failed += 1
                continue
            assert lid is not None
            high = lid
            pending += 1
            if what == "gone":
                drops.append(lid)
                counts.removed += 1
            else:
                counts.learners += 1
                counts.skipped += 1
            if pending >= COMMIT_LEARNERS:
                commit()

    def handle(key: str, text: str, errs: list[dict[str, Any]]) -> None:
        nonlocal pending, high
        settle()
        _what, lid, digest, _extra = order.popleft()
        assert lid == key, (lid, key)
        high = lid
        pending += 1
        counts.learners += 1
        errors.extend(errs)
        if not text:
            counts.failed += 1
            drops.append(lid)
        else:
            counts.evaluated += 1
            head, rows = orjson.loads(text)
            lid_, name, day, warnings, stacking, recheck, recognition = head
            learners.append((lid_, name, day, warnings, stacking, digest, recheck, state.run_id, recognition))
            results.extend(tuple(r) for r in rows)
        if pending >= COMMIT_LEARNERS:
            commit()

    if opts.jobs <= 1:
        for u in units():
            handle(*evaluate_record(u, compiled, as_of, opts.include_planned, opts.evidence))
    else:
        pool_opts = BatchOptions(
            catalog=opts.catalog,
            inputs=[],
            output=opts.output,
            format="night",
            jobs=opts.jobs,
            as_of=as_of,
            include_planned=opts.include_planned,
            cache_dir=opts.cache_dir,
            use_cache=opts.use_cache,
            evidence=opts.evidence,
        )
        run_pool(pool_opts, units(), handle, evaluate_night_unit)
    settle()
    commit()


__all__ = ["evaluate_record", "merge", "recheck_on", "run_night"]
