"""A credential filter (`evaluate --credential X`, ``evaluate(credentials=[X])``) chooses what is
shown, never what it says: every figure of a filtered run is the full run's figure."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from microcred.checks.validate import load_catalog
from microcred.cli import main
from microcred.io.transcript import TranscriptSource, read_transcripts
from microcred.render.report_text import render
from microcred.rules.compiled import CompiledCatalog
from microcred.rules.evaluate import compile_catalog, evaluate

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "catalog/example-university"
TRANSCRIPTS = ROOT / "examples/example-university/transcripts"
CSV = ROOT / "examples/example-university/learners.csv"


@pytest.fixture(scope="module")
def compiled() -> CompiledCatalog:
    return compile_catalog(load_catalog(CATALOG))


def _sources() -> list[TranscriptSource]:
    out: list[TranscriptSource] = []
    for path in [*sorted(TRANSCRIPTS.glob("*.yaml")), CSV]:
        for item in read_transcripts(path, str(path)):
            assert isinstance(item, TranscriptSource)
            out.append(item)
    return out


def _stacking_text(text: str) -> list[list[str]]:
    """The entries of the text report's "Where it leads" section: each entry's lines."""
    lines = text.splitlines()
    if "Where it leads (stacking, up to degrees):" not in lines:
        return []
    entries: list[list[str]] = []
    for line in lines[lines.index("Where it leads (stacking, up to degrees):") + 1 :]:
        if line.startswith("  ") and not line.startswith("    "):
            entries.append([line])
        elif line.startswith("      → "):
            entries[-1].append(line)
    return entries


def _blocks(text: str) -> list[str]:
    """The credential blocks of a detailed text report (between "Detail" and the stacking section)."""
    body = text.split("\nWhere it leads")[0].split("Detail\n──────\n", 1)[1]
    return [b.strip() for b in body.split("\n\n") if b.strip() and not b.strip()[0].isdigit()]


def test_every_figure_of_a_filtered_run_is_the_full_runs(compiled: CompiledCatalog) -> None:
    checked = 0
    for src in _sources():
        full = evaluate(compiled, src)
        full_json = full.to_json()
        full_text = render(full, show_all=True, detail=True)
        full_entries = _stacking_text(full_text)
        for cid in compiled.credentials:
            part = evaluate(compiled, src, credentials=[cid])
            part_json = part.to_json()
            who = (src.transcript.learner.id, cid)
            assert list(part_json["credentials"]) == [cid], who
            assert part_json["credentials"][cid] == full_json["credentials"][cid], who
            assert part_json["stacking"] == [e for e in full_json["stacking"] if e["credential"] == cid], who
            assert part_json["warnings"] == full_json["warnings"], who
            text = render(part, show_all=True, detail=True)
            blocks = _blocks(text)
            assert len(blocks) == 1 and blocks[0] in _blocks(full_text), who
            for entry in _stacking_text(text):
                assert len(entry) > 1, (who, entry)  # no header with nothing under it
                assert entry in full_entries, who
            checked += 1
    assert checked == 20 * len(compiled.credentials)


def test_stacking_progress_of_a_filtered_credential_is_computed(compiled: CompiledCatalog) -> None:
    """The figure the filter used to get wrong: data-foundations stacks into the certificate
    (earned) and, through it, the degree (partial), though neither is asked for."""
    src = next(s for s in _sources() if s.file.endswith("earned-certificate.yaml"))
    part = evaluate(compiled, src, credentials=["data-foundations"])
    full = evaluate(compiled, src)
    r = part.credentials["data-foundations"]
    assert r.stacks_into == [("data-analytics-certificate", 1.0)]
    (entry,) = part.stacking
    targets = {t.credential: t for t in entry.stacks_into}
    assert set(targets) == {"data-analytics-certificate", "bas-information-systems"}
    degree = full.credentials["bas-information-systems"]
    assert 0 < targets["bas-information-systems"].progress == degree.progress < 1
    assert targets["bas-information-systems"].status == degree.status == "partial"
    assert "bas-information-systems" not in part.credentials  # evaluated, not shown
    assert part.lookup("bas-information-systems") is not None


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_cli_filter_json_and_text_match_the_full_run() -> None:
    files = [str(p) for p in sorted(TRANSCRIPTS.glob("*.yaml"))] + [str(CSV)]
    ids = ["python-programming", "data-analytics-certificate", "bas-information-systems"]
    code, full, _err = _run("evaluate", "--catalog", str(CATALOG), "--format", "json", *files)
    assert code == 0
    filt_args = [a for cid in ids for a in ("--credential", cid)]
    code, part, _err = _run("evaluate", "--catalog", str(CATALOG), "--format", "json", *filt_args, *files)
    assert code == 0
    for f_line, p_line in zip(full.splitlines(), part.splitlines(), strict=True):
        f_doc, p_doc = json.loads(f_line), json.loads(p_line)
        assert p_doc["credentials"] == {cid: f_doc["credentials"][cid] for cid in ids}
        assert p_doc["stacking"] == [e for e in f_doc["stacking"] if e["credential"] in ids]
    code, text, _err = _run("evaluate", "--catalog", str(CATALOG), "--detail", *filt_args, *files)
    assert code == 0
    code, full_text, _err = _run("evaluate", "--catalog", str(CATALOG), "--detail", "--all", *files)
    full_entries = [e for report in full_text.split("─" * 72) for e in _stacking_text(report)]
    for report in text.split("─" * 72):
        for entry in _stacking_text(report):
            assert len(entry) > 1 and entry in full_entries
        # a credential asked for is shown even when not started
        assert "not started (--all shows them)" not in report


def test_text_report_has_no_empty_stacking_headers(compiled: CompiledCatalog) -> None:
    """An earned degree leads nowhere: the JSON keeps its (empty) stacking entry, the text
    report gives it no line, and a report of it alone has no "Where it leads" section."""
    src = next(s for s in _sources() if s.transcript.learner.id == "S2010")
    full = evaluate(compiled, src)
    assert full.credentials["bas-information-systems"].status == "earned"
    assert any(e.credential == "bas-information-systems" and not e.stacks_into for e in full.stacking)
    entries = _stacking_text(render(full, detail=True))
    assert entries and all(len(e) > 1 for e in entries)
    assert not any("(bas-information-systems, earned)" in e[0] for e in entries)
    only_top = evaluate(compiled, src, credentials=["bas-information-systems"])
    assert only_top.to_json()["stacking"] == [
        {"credential": "bas-information-systems", "status": "earned", "stacks_into": []}
    ]
    assert "Where it leads" not in render(only_top, detail=True)
