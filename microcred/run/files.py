"""A batch run from files to a file: a whole student body evaluated, streaming, resumable, parallel.

Inputs are CSV files of attempts (many learners, rows in any order), JSONL files of
transcripts (one a line), or folders of transcript files. Memory stays bounded whatever the
input size: CSV rows are first partitioned on disk by learner id (hash buckets), then each
bucket is grouped and evaluated; JSONL and folders stream.

Output is written to ``OUT.partial`` and renamed to ``OUT`` at the end (atomic). A journal
(``OUT.partial.journal``) records, after each learner, the unit done and the byte offsets of
the output and error files, so ``resume=True`` continues an interrupted run (even one killed
with SIGKILL) without repeating or losing a learner: the files are cut back to the last
journaled offsets and finished units are skipped.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import gc
import hashlib
import io
import json
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import orjson

from microcred.io.transcript import (
    CsvRow,
    TranscriptError,
    TranscriptSource,
    csv_columns,
    csv_rows,
    read_transcript_text,
    transcript_from_json_line,
    transcript_from_rows,
)
from microcred.model.diagnostics import Diagnostic, Location, MicrocredError
from microcred.rules.compiled import CompiledCatalog
from microcred.rules.evaluate import evaluate
from microcred.run.cache import load_compiled
from microcred.run.options import BatchOptions, BatchSummary, BatchUsageError, check_paths
from microcred.run.workers import Unit, run_pool

#: Bytes of CSV input per on-disk bucket: the most a bucket holds in memory at once.
BUCKET_BYTES = 8 * 1024 * 1024
#: Learners written between two journal commits (each commit flushes the output files).
COMMIT_EVERY = 64
TRANSCRIPT_SUFFIXES = (".yaml", ".yml", ".json")
CSV_OUTPUT_COLUMNS = ("learner_id", "credential", "status", "earned_on", "expires_on", "progress")

# The units of work of files (microcred.run.workers.Unit): ("rows", key, learner_id, rows, columns) |
# ("jsonl", key, file, line, text) | ("file", key, path) | ("error", key, learner_id, diagnostics)


class BatchInterrupted(KeyboardInterrupt):
    """The run was interrupted (Ctrl-C); the learners done so far are journaled."""

    def __init__(self) -> None:
        super().__init__("interrupted — rerun with --resume to continue where it stopped")


# -- inputs -------------------------------------------------------------------------------


def input_files(inputs: Iterable[Path]) -> tuple[list[Path], list[Path], list[Path]]:
    """(CSV files, JSONL files, transcript files), each sorted, from files and folders."""
    csvs: list[Path] = []
    jsonls: list[Path] = []
    singles: list[Path] = []
    for p in inputs:
        if p.is_dir():
            files = sorted(f for f in p.rglob("*") if f.is_file() and not f.name.startswith("."))
        elif p.is_file() or p.is_fifo():  # a pipe: streamed like a file
            files = [p]
        elif p.exists():
            raise BatchUsageError(str(p), "not a file or folder (a device or socket)", "give a file or a folder")
        else:
            raise BatchUsageError(str(p), "no such file or directory", "check the path")
        for f in files:
            suffix = f.suffix.lower()
            if suffix == ".csv":
                csvs.append(f)
            elif suffix == ".jsonl":
                jsonls.append(f)
            elif suffix in TRANSCRIPT_SUFFIXES:
                singles.append(f)
            elif not p.is_dir():
                raise BatchUsageError(
                    str(f), "not a CSV, JSONL, YAML or JSON file", "name it by its content: .csv, .jsonl, .yaml, .json"
                )
    return csvs, jsonls, singles


def _bucket_of(learner_id: str, buckets: int) -> int:
    if buckets == 1:
        return 0
    return int.from_bytes(hashlib.blake2b(learner_id.encode(), digest_size=4).digest(), "big") % buckets


def _csv_units(files: list[Path], workdir: Path) -> Iterator[Unit]:
    """Learners of CSV files, rows in any order, with memory bounded by one bucket."""
    total = sum(f.stat().st_size for f in files if f.is_file())
    buckets = max(1, min(512, total // BUCKET_BYTES + 1))
    paths = [workdir / f"bucket-{i}.jsonl" for i in range(buckets)]
    handles = [p.open("wb") for p in paths]
    columns: dict[str, dict[str, int]] = {}
    try:
        for f in files:
            name = str(f)
            try:
                fh = f.open(newline="", encoding="utf-8-sig")
            except OSError as exc:
                yield (
                    "error",
                    f"csv-file:{name}",
                    None,
                    [Diagnostic("E100", f"cannot read file: {exc}", Location(name, 1, 1))],
                )
                continue
            with fh:
                reader = csv.reader(fh)
                try:
                    header = next(reader)
                except StopIteration:
                    yield (
                        "error",
                        f"csv-file:{name}",
                        None,
                        [Diagnostic("E501", "empty CSV file: expected a header line", Location(name, 1, 1))],
                    )
                    continue
                except (csv.Error, UnicodeDecodeError) as exc:
                    yield (
                        "error",
                        f"csv-file:{name}",
                        None,
                        [Diagnostic("E501", f"unreadable CSV: {exc}", Location(name, 1, 1))],
                    )
                    continue
                col = csv_columns(header, name)
                if isinstance(col, TranscriptError):
                    yield ("error", f"csv-file:{name}", None, col.diagnostics)
                    continue
                columns[name] = col
                try:
                    for row in csv_rows(reader, name, col, lambda r=reader: r.line_num):
                        if isinstance(row, TranscriptError):
                            d = row.diagnostics[0]
                            rec: list[Any] = [
                                "E",
                                row.learner_id,
                                d.code,
                                d.message,
                                name,
                                d.location.line if d.location else 1,
                                d.location.column if d.location else 1,
                            ]
                            if row.learner_id is None:
                                yield ("error", f"csv-row:{name}:{rec[5]}", None, row.diagnostics)
                                continue
                            lid = row.learner_id
                        else:
                            lid = row[3]["learner_id"]
                            rec = ["R", lid, name, row[1], row[3]]
                        handles[_bucket_of(lid, buckets)].write(orjson.dumps(rec) + b"\n")
                except (csv.Error, UnicodeDecodeError) as exc:
                    yield (
                        "error",
                        f"csv-file:{name}",
                        None,
                        [
                            Diagnostic(
                                "E501",
                                f"unreadable CSV after line {reader.line_num}: {exc}",
                                Location(name, reader.line_num, 1),
                            )
                        ],
                    )
    finally:
        for h in handles:
            h.close()
    for p in paths:
        grouped: dict[str, list[Any]] = {}
        with p.open("rb") as bucket:
            for line in bucket:
                rec = orjson.loads(line)
                grouped.setdefault(rec[1], []).append(rec)
        p.unlink()
        for lid, recs in grouped.items():
            yield ("rows", f"csv:{lid}", lid, recs, columns)


def _jsonl_units(files: list[Path]) -> Iterator[Unit]:
    for f in files:
        name = str(f)
        try:
            fh = f.open(encoding="utf-8")
        except OSError as exc:
            yield (
                "error",
                f"jsonl-file:{name}",
                None,
                [Diagnostic("E100", f"cannot read file: {exc}", Location(name, 1, 1))],
            )
            continue
        with fh:
            for n, line in enumerate(fh, start=1):
                if line.strip():
                    yield ("jsonl", f"{name}:{n}", name, n, line)


def units(inputs: list[Path], workdir: Path) -> Iterator[Unit]:
    csvs, jsonls, singles = input_files(inputs)
    for f in singles:
        yield ("file", str(f), str(f))
    yield from _jsonl_units(jsonls)
    if csvs:
        yield from _csv_units(csvs, workdir)


# -- evaluation (in workers) ----------------------------------------------------------------


def unit_source(unit: Unit) -> TranscriptSource | TranscriptError:
    """The learner a unit of work carries (a transcript file, a JSON line, a learner's CSV rows or
    the errors found while reading them), read into a transcript, or its located errors."""
    kind = unit[0]
    if kind == "file":
        path = Path(unit[2])
        try:
            return read_transcript_text(path.read_bytes(), unit[2])
        except OSError as exc:
            return TranscriptError(None, [Diagnostic("E100", f"cannot read file: {exc}", Location(unit[2], 1, 1))])
        except TranscriptError as exc:
            return exc
    if kind == "jsonl":
        _k, _key, file, line, text = unit
        return transcript_from_json_line(text, file, line)
    if kind == "rows":
        _k, _key, lid, recs, columns = unit
        rows: list[CsvRow] = []
        diags: list[Diagnostic] = []
        for rec in recs:
            if rec[0] == "E":
                _e, _lid, code, message, file, line, column = rec
                diags.append(Diagnostic(code, message, Location(file, line, column)))
            else:
                _r, _lid, file, line, values = rec
                rows.append((file, line, columns[file], values))
        result = transcript_from_rows(lid, rows)
        if diags:
            more = result.diagnostics if isinstance(result, TranscriptError) else []
            return TranscriptError(lid, diags + more)
        return result
    _k, _key, lid, diags = unit
    return TranscriptError(lid, diags)


def _error_records(err: TranscriptError) -> list[dict[str, Any]]:
    out = []
    for d in err.diagnostics:
        rec = {"learner": err.learner_id, **d.to_dict()}
        out.append(rec)
    return out


def _format_result(result: Any, fmt: str) -> str:
    if fmt == "jsonl":
        # orjson writes the same compact UTF-8 text as json.dumps(ensure_ascii=False,
        # separators=(",", ":")), about five times faster (a learner is ~25 KB of JSON)
        return orjson.dumps(result.to_json()).decode("utf-8") + "\n"
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    for cid, r in result.credentials.items():
        w.writerow(
            [
                result.learner_id,
                cid,
                r.status,
                r.earned_on.isoformat() if r.earned_on else "",
                r.expires_on.isoformat() if r.expires_on else "",
                repr(r.progress),
            ]
        )
    return buf.getvalue()


def evaluate_unit(
    unit: Unit,
    compiled: CompiledCatalog,
    as_of: dt.date | None,
    planned: bool,
    fmt: str,
    evidence: tuple[Path, Any] | None = None,
) -> tuple[str, str, list[dict[str, Any]]]:
    """(unit key, output text, error records) for one learner. ``evidence``: (root, options)
    of the learners' external credentials (a folder per learner id, see docs/recognition.md)."""
    key = unit[1]
    src = unit_source(unit)
    if isinstance(src, TranscriptError):
        return key, "", _error_records(src)
    try:
        held = None
        if evidence is not None:
            from microcred.badges.evidence import for_learner

            day = as_of or src.transcript.as_of or dt.date.today()
            held = for_learner(evidence[0], src.transcript.learner.id, day, evidence[1])
        result = evaluate(
            compiled, src, as_of, include_planned=planned, detail=False, evidence=held, reuse=held is None
        )
    except MicrocredError as exc:
        return key, "", _error_records(TranscriptError(src.transcript.learner.id, exc.diagnostics))
    return key, _format_result(result, fmt), []


# -- the run ------------------------------------------------------------------------------


class _Journal:
    """Output, error and journal files of a run, kept consistent after every learner."""

    def __init__(
        self,
        out: Path,
        errors: Path,
        fmt: str,
        resume: bool,
        guard: Callable[[], AbstractContextManager[None]] = contextlib.nullcontext,
    ):
        self.guard = guard  # what an interruption may not cut in two: a commit, the final renames
        self.out_final, self.err_final = out, errors
        self.out_part = out.with_name(out.name + ".partial")
        self.err_part = errors.with_name(errors.name + ".partial")
        self.journal = out.with_name(out.name + ".partial.journal")
        self.done: set[str] = set()
        self._pending: list[str] = []  # journal lines not yet written
        out_size = err_size = 0
        if resume and self.journal.is_file() and self.out_part.is_file():
            with self.journal.open("rb") as fh:
                for raw in fh:
                    if not raw.endswith(b"\n"):
                        break  # the last line was cut by the interruption
                    key, o, e = raw.decode("utf-8").rstrip("\n").rsplit("\t", 2)
                    self.done.add(key)
                    out_size, err_size = int(o), int(e)
        else:
            for p in (self.out_part, self.err_part, self.journal):
                p.unlink(missing_ok=True)
        self.out_fh = self._open_at(self.out_part, out_size)
        self.err_fh = self._open_at(self.err_part, err_size)
        self.journal_fh = self.journal.open("ab")
        if out_size == 0 and fmt == "csv":
            self.out_fh.write((",".join(CSV_OUTPUT_COLUMNS) + "\n").encode())
            self.out_fh.flush()
        # the journal must agree with the files it describes: rewrite it compactly
        if not self.done:
            self.journal_fh.truncate(0)

    @staticmethod
    def _open_at(path: Path, size: int) -> Any:
        fh = path.open("r+b" if path.exists() else "w+b")
        fh.truncate(size)
        fh.seek(size)
        return fh

    def record(self, key: str, text: str, errors: list[dict[str, Any]]) -> None:
        """Write one learner's output and errors; they are journaled (and so survive an
        interruption) at the next :meth:`commit`, every ``COMMIT_EVERY`` learners."""
        if text:
            self.out_fh.write(text.encode("utf-8"))
        for rec in errors:
            self.err_fh.write((json.dumps(rec, ensure_ascii=False) + "\n").encode("utf-8"))
        self._pending.append(f"{key}\t{self.out_fh.tell()}\t{self.err_fh.tell()}\n")
        self.done.add(key)
        if len(self._pending) >= COMMIT_EVERY:
            self.commit()

    def commit(self) -> None:
        """Flush the outputs, then journal the learners written since the last commit: the
        journal never names a learner whose output is not on disk."""
        if not self._pending:
            return
        with self.guard():
            self.out_fh.flush()
            self.err_fh.flush()
            self.journal_fh.write("".join(self._pending).encode("utf-8"))
            self.journal_fh.flush()
            self._pending.clear()

    def finish(self) -> None:
        self.commit()
        with self.guard():
            for fh in (self.out_fh, self.err_fh, self.journal_fh):
                fh.flush()
                os.fsync(fh.fileno())
                fh.close()
            os.replace(self.out_part, self.out_final)
            os.replace(self.err_part, self.err_final)
            self.journal.unlink(missing_ok=True)

    def close(self) -> None:
        """Close the files; after an interruption the learners written so far are journaled,
        so that ``--resume`` does not do them again."""
        if not self.journal_fh.closed:
            # (on a full disk, say, the commit fails: those learners are done again on resume)
            with contextlib.suppress(OSError):
                self.commit()
        for fh in (self.out_fh, self.err_fh, self.journal_fh):
            if not fh.closed:
                fh.close()


class _Interrupts:
    """Ctrl-C (SIGINT) during a run: raised at once as :class:`BatchInterrupted`, except
    inside :meth:`critical` (a journal commit, the final renames), which it lets finish
    first; after the first, further Ctrl-Cs are ignored while the run cleans up. Outside the
    main thread (where no signal handler can be set) it changes nothing."""

    def __init__(self) -> None:
        self.depth = 0
        self.pending = False
        self.fired = False
        self.previous: Any = None
        self.installed = False

    def __enter__(self) -> _Interrupts:
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.getsignal(signal.SIGINT)
            signal.signal(signal.SIGINT, self._handler)
            self.installed = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self.installed:
            signal.signal(signal.SIGINT, self.previous)

    def _handler(self, signum: int, frame: object) -> None:
        if self.fired:
            return
        if self.depth:
            self.pending = True
            return
        self.fired = True
        raise BatchInterrupted

    @contextlib.contextmanager
    def critical(self) -> Iterator[None]:
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1
        if not self.depth and self.pending and not self.fired:
            self.fired = True
            raise BatchInterrupted


def run_files(opts: BatchOptions) -> BatchSummary:
    """Evaluate every learner of the input files into ``opts.output``.

    Raises :class:`BatchUsageError` for unusable inputs or outputs,
    :class:`~microcred.io.loader.PathError` for a missing catalogue and
    :class:`~microcred.model.diagnostics.MicrocredError` for an invalid one.
    """
    start = time.perf_counter()
    if opts.format not in ("jsonl", "csv"):
        raise BatchUsageError(f"--format {opts.format}", "unknown format", "use jsonl or csv")
    errors_path = opts.errors or opts.output.with_name(opts.output.name + ".errors.jsonl")
    check_paths(opts, errors_path)
    input_files(opts.inputs)  # fail early on a missing input
    with _Interrupts() as interrupts:
        compiled = load_compiled(opts.catalog, opts.cache_dir, use_cache=opts.use_cache)
        journal = _Journal(opts.output, errors_path, opts.format, opts.resume, interrupts.critical)
        summary = BatchSummary(output=opts.output, errors=errors_path, skipped=len(journal.done))
        workdir = Path(tempfile.mkdtemp(prefix="microcred-batch-"))

        def handle(key: str, text: str, errs: list[dict[str, Any]]) -> None:
            journal.record(key, text, errs)
            summary.learners += 1
            if errs:
                summary.failed += 1
            if opts.progress is not None:
                opts.progress(summary.learners, summary.failed)

        gc.freeze()  # what exists now (the compiled catalogue) lives as long as the run: not walked
        try:
            todo = (u for u in units(opts.inputs, workdir) if u[1] not in journal.done)
            if opts.jobs <= 1:
                for u in todo:
                    handle(*evaluate_unit(u, compiled, opts.as_of, opts.include_planned, opts.format, opts.evidence))
            else:
                run_pool(opts, todo, handle, evaluate_unit)
            journal.finish()
        finally:
            gc.unfreeze()
            journal.close()
            shutil.rmtree(workdir, ignore_errors=True)
    summary.seconds = time.perf_counter() - start
    return summary
