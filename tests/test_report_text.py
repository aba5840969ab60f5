"""The text report (summary first, detail behind --detail) and the one rounding rule that
every format uses for percentages."""

from __future__ import annotations

import dataclasses
import io
import json
import re
import xml.etree.ElementTree as ET

import pytest
from conftest import ROOT

from microcred import Catalog, load_catalog
from microcred.cli import main
from microcred.io.transcript import TranscriptSource, read_transcripts
from microcred.model.figures import percent, percent_text
from microcred.model.result import LearnerResult, RequirementResult
from microcred.render import picture as P
from microcred.render.report_html import render_html
from microcred.render.report_text import describe, render
from microcred.rules.evaluate import evaluate

CATALOG = ROOT / "catalog/example-university"
TRANSCRIPTS = ROOT / "examples/example-university/transcripts"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(CATALOG)


def learner(catalog: Catalog, name: str) -> LearnerResult:
    src = next(read_transcripts(TRANSCRIPTS / name))
    assert isinstance(src, TranscriptSource)
    return evaluate(catalog, src)


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


# -- one rounding rule ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("progress", "expected"),
    [
        (0.456, 46),
        (0.455, 46),  # half up
        (0.45499999999999996, 46),  # 0.455 reached by float arithmetic
        (0.445, 45),  # half up, not to even
        (0.125, 13),  # half up, not to even (round() gives 12)
        (0.4549, 45),
        (0.004, 1),  # started: never 0 %
        (0.9951, 99),  # not finished: never 100 %
        (0.0, 0),
        (1.0, 100),
    ],
)
def test_percent_rule(progress: float, expected: int) -> None:
    assert percent(progress) == expected
    assert percent_text(progress) == f"{expected}%"


@pytest.mark.parametrize(("progress", "expected"), [(0.456, "46%"), (0.455, "46%"), (0.125, "13%"), (0.445, "45%")])
def test_every_format_writes_the_same_percentage(catalog: Catalog, progress: float, expected: str) -> None:
    """One partial credential given an exact progress: text (summary and detail), HTML,
    SVG, Mermaid and DOT all write the same percentage for it."""
    result = learner(catalog, "earned-certificate.yaml")
    cid = "business-technology-certificate"
    cred = result.credentials[cid]
    assert cred.status == "partial"
    assert cred.requirements is not None
    root = dataclasses.replace(cred.requirements, progress=progress)
    result.credentials[cid] = dataclasses.replace(cred, progress=progress, requirements=root)
    title = cred.title

    summary = render(result, show_all=True)
    if progress > 0.4:  # among the closest three: in "Next"
        assert f"○  {expected} {title}" in summary
    detail = render(result, detail=True).splitlines()
    head = next(i for i, line in enumerate(detail) if line.startswith(f"○ {title} ({cid}"))
    assert detail[head + 1].strip().endswith(f" {expected}")  # the bar
    assert f"all of  {expected}" in detail[head + 2]  # the root of the requirement tree

    page = render_html([result], catalog)
    row = re.search(rf'<tr data-credential="{cid}".*?</tr>', page, re.S)
    assert row is not None
    assert f'aria-valuenow="{expected[:-1]}"' in row.group(0) and f'<span class="pct">{expected}</span>' in row.group(0)

    root = ET.fromstring(P.to_svg(catalog, result).encode("utf-8"))
    box = next(g for g in root.iter(f"{SVG}g") if g.get("data-id") == cid)
    assert [t.text for t in box.iter(f"{SVG}text") if t.get("class") == "status"] == [f"Partial · {expected}"]
    mermaid = next(line for line in P.to_mermaid(catalog, result).splitlines() if f"{title}<br/>" in line)
    assert f"Partial · {expected}" in mermaid
    dot = next(line for line in P.to_dot(catalog, result).splitlines() if line.startswith(f'  "{cid}"'))
    assert f"Partial · {expected}" in dot


def test_no_percentage_in_the_reports_is_rounded_another_way(catalog: Catalog) -> None:
    """Every percentage the six example learners' text and HTML reports write is one of the
    rule's: the report's figures, rounded by the rule, and nothing else."""
    for path in sorted(TRANSCRIPTS.glob("*.yaml")):
        result = learner(catalog, path.name)
        figures = {c.progress for c in result.credentials.values()}
        for c in result.credentials.values():
            stack = [c.requirements] if c.requirements else []
            while stack:
                node = stack.pop()
                figures.add(node.progress)
                stack.extend(node.children)
        allowed = {percent_text(p) for p in figures}
        text = render(result, show_all=True, detail=True)
        assert set(re.findall(r"\d+%", text)) <= allowed, path.name
        page = render_html([result], catalog)
        assert set(re.findall(r">(\d+%)<", page)) <= allowed, path.name


# -- the summary ------------------------------------------------------------------------


def test_summary_answers_first(catalog: Catalog) -> None:
    """The README's first command: about a dozen lines, earned with dates, next with what is
    missing, and how to see the rest."""
    code, out, _err = run("evaluate", "--catalog", str(CATALOG), str(TRANSCRIPTS / "earned-certificate.yaml"))
    assert code == 0
    lines = out.splitlines()
    assert len(lines) <= 20, len(lines)
    assert lines[0] == "Maya Chen (S1001) — as of 2026-05-20"
    assert lines[1] == "22 credentials: 6 earned, 4 partial, 12 not started"
    head = lines.index("Earned (6), latest first:")
    earned = lines[head + 1 : head + 7]
    assert all(line.startswith("  ✓ ") for line in earned)
    assert earned[0] == "  ✓ 2026-05-08  Certificate in Data Analytics (certificate)"
    assert earned[-1] == "  ✓ 2023-12-15  Data Literacy (badge)"
    nxt = lines.index("Next (the closest 3 of 4 partial):")
    assert lines[nxt + 1] == "  ○  75% Business Analytics: missing course ISMG 4700"
    assert "--detail" in lines[-1] and "--all" in lines[-1]
    assert "Missing:" not in out and "all of" not in out  # the detail is not there


def test_summary_in_progress_and_expired(catalog: Catalog) -> None:
    jordan = render(learner(catalog, "in-progress.yaml"))
    assert "In progress (2), earned once the courses in progress are passed:" in jordan
    assert "  ◐ Cloud Computing Essentials (microcredential)  75% so far, waiting on course CSCI 3800" in jordan
    assert "  ✓ 2025-05-09  Cloud Foundations (badge), expires 2027-05-09" in jordan
    samuel = render(learner(catalog, "expired.yaml"))
    assert "Expired (2):" in samuel
    assert samuel.index("  ⌛ 2022-12-16  Cloud Foundations (badge), expired 2024-12-16") < samuel.index(
        "  ⌛ 2021-06-01  AWS Certified Cloud Practitioner (recognized) (badge), awarded, expired 2024-06-01"
    )  # the latest to expire first


def test_detail_keeps_the_full_report(catalog: Catalog) -> None:
    code, out, _err = run(
        "evaluate", "--catalog", str(CATALOG), "--detail", str(TRANSCRIPTS / "earned-certificate.yaml")
    )
    assert code == 0
    summary_end = out.index("\nDetail\n")
    assert out[:summary_end] == render(learner(catalog, "earned-certificate.yaml")).rsplit("\n(", 1)[0]
    detail = out[summary_end:]
    assert "Missing:" in detail and "Stacks into:" in detail and "Where it leads" in detail
    assert "· STAT 4900  A  2026-05-08" in detail
    assert "12 credentials not started (--all shows them)." in detail
    # --all with --detail lists the credentials not started in full as well
    _c, everything, _e = run(
        "evaluate", "--catalog", str(CATALOG), "--detail", "--all", str(TRANSCRIPTS / "earned-certificate.yaml")
    )
    assert everything.count("· Cloud Foundations (badge)") == 1  # the summary's list
    assert "(cloud-foundations, badge): not started" in everything


def test_json_is_untouched_by_the_text_options(catalog: Catalog) -> None:
    base = ("evaluate", "--catalog", str(CATALOG), "--format", "json", str(TRANSCRIPTS / "in-progress.yaml"))
    plain = run(*base)[1]
    assert run(*base, "--detail", "--all")[1] == plain
    assert json.loads(plain)["credentials"]["technical-writing"]["progress"] == 0.0


@pytest.mark.parametrize(
    ("kind", "description", "expected"),
    [
        ("all", "all", "all of"),
        ("any", "any", "any of"),
        ("at_least", "2 of 3", "at least 2 of 3"),
        ("any", "Data capstone", "Data capstone: any of"),
        ("all", "Cloud core courses", "Cloud core courses: all of"),
        ("course", "CSCI 1410", "CSCI 1410"),
    ],
)
def test_trees_say_groups_in_words(kind: str, description: str, expected: str) -> None:
    node = RequirementResult(ref="x", kind=kind, description=description, progress=0.0, satisfied=False)
    assert describe(node) == expected


def test_detail_trees_have_no_bare_keywords(catalog: Catalog) -> None:
    text = render(learner(catalog, "earned-certificate.yaml"), detail=True)
    marks = r"^\s*[✓◐✗–] "
    assert not re.search(marks + r"(all|any|\d+ of \d+)(  \d+%)?$", text, re.M)
    assert re.search(marks + r"all of$", text, re.M)
    assert "Data Foundations (credential data-foundations)" in text


@pytest.mark.parametrize(
    ("doc", "after", "transcript"),
    [
        ("README.md", "It answers first", "earned-certificate.yaml"),
        ("docs/report.md", "## The text report", "in-progress.yaml"),
    ],
)
def test_docs_show_the_real_summary(doc: str, after: str, transcript: str) -> None:
    text = (ROOT / doc).read_text(encoding="utf-8")
    block = re.search(r"^```\n(.*?)^```", text[text.index(after) :], re.M | re.S)
    assert block is not None
    code, out, err = run("evaluate", "--catalog", "catalog/example-university", str(TRANSCRIPTS / transcript))
    assert code == 0, err
    assert block.group(1) == out, f"regenerate the example in {doc} with the command it shows"
