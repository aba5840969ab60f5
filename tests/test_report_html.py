"""The HTML report: structure and content (parsed), self-containment, escaping, the command
line, and a real browser (headless Chromium) that renders the page and takes a screenshot."""

from __future__ import annotations

import io
import itertools
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT

from microcred import Catalog, load_catalog
from microcred.cli import main
from microcred.io.transcript import TranscriptSource, read_transcripts
from microcred.model.result import LearnerResult
from microcred.render.report_html import (
    PALETTE,
    TRACK,
    percent,
    render_html,
    scope_svg_ids,
    svg_is_inert,
)
from microcred.rules.evaluate import evaluate

CATALOG = ROOT / "catalog/example-university"
TRANSCRIPTS = sorted((ROOT / "examples/example-university/transcripts").glob("*.yaml"))
ORDER = {"earned": 0, "in_progress": 1, "partial": 2, "expired": 3, "not_started": 4}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


# -- a small DOM from html.parser -------------------------------------------------------


@dataclass
class El:
    tag: str
    attrs: dict[str, str]
    parent: El | None = None
    children: list[El | str] = field(default_factory=list)

    def iter(self) -> Iterator[El]:
        yield self
        for c in self.children:
            if isinstance(c, El):
                yield from c.iter()

    def find_all(self, tag: str | None = None, **attrs: str) -> list[El]:
        """Descendants (and self) with this tag and these attribute values; ``class_``
        matches one class of the element, ``attr=True``-like checks use ``...=None``."""
        out = []
        for e in self.iter():
            if tag is not None and e.tag != tag:
                continue
            ok = True
            for k, v in attrs.items():
                if k == "class_":
                    ok = ok and v in e.attrs.get("class", "").split()
                else:
                    ok = ok and e.attrs.get(k.replace("_", "-")) == v
            if ok:
                out.append(e)
        return out

    def find(self, tag: str | None = None, **attrs: str) -> El:
        found = self.find_all(tag, **attrs)
        assert found, f"no <{tag}> with {attrs}"
        return found[0]

    @property
    def text(self) -> str:
        parts: list[str] = []
        for c in self.children:
            parts.append(c if isinstance(c, str) else c.text)
        return "".join(parts)

    def words(self) -> str:
        return re.sub(r"\s+", " ", self.text).strip()

    def ancestors(self) -> Iterator[El]:
        e = self.parent
        while e is not None:
            yield e
            e = e.parent


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = El("#document", {})
        self.cur = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        el = El(tag, {k: v or "" for k, v in attrs}, self.cur)
        self.cur.children.append(el)
        if tag not in VOID:
            self.cur = el

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.cur.children.append(El(tag, {k: v or "" for k, v in attrs}, self.cur))

    def handle_endtag(self, tag: str) -> None:
        e: El | None = self.cur
        while e is not None and e.tag != tag:
            e = e.parent
        assert e is not None and e.parent is not None, f"</{tag}> closes nothing"
        self.cur = e.parent

    def handle_data(self, data: str) -> None:
        self.cur.children.append(data)


def parse(html: str) -> El:
    b = _Builder()
    b.feed(html)
    b.close()
    return b.root


# -- fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(CATALOG)


@pytest.fixture(scope="module")
def results(catalog: Catalog) -> list[LearnerResult]:
    out = []
    for path in TRANSCRIPTS:
        for src in read_transcripts(path):
            assert isinstance(src, TranscriptSource)
            out.append(evaluate(catalog, src))
    return out


@pytest.fixture(scope="module")
def page(results: list[LearnerResult], catalog: Catalog) -> str:
    return render_html(results, catalog)


@pytest.fixture(scope="module")
def doc(page: str) -> El:
    return parse(page)


def learner(doc: El, lid: str) -> El:
    return doc.find("section", class_="learner", data_learner=lid)


def article(doc: El, lid: str, cid: str) -> El:
    return learner(doc, lid).find("article", class_="credential", data_credential=cid)


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


# -- structure and content --------------------------------------------------------------


def test_one_document_with_a_section_per_learner(page: str, doc: El, results: list[LearnerResult]) -> None:
    assert page.startswith("<!DOCTYPE html>")
    assert len(doc.find_all("html")) == 1 and doc.find("html").attrs["lang"] == "en"
    assert doc.find("meta", charset="utf-8")
    assert doc.find("title").words()
    sections = doc.find_all("section", class_="learner")
    assert [s.attrs["data-learner"] for s in sections] == [r.learner_id for r in results]
    for r, s in zip(results, sections, strict=True):
        head = s.find("header", class_="learner-head")
        assert head.find("h2").words() == (r.learner_name or r.learner_id)
        assert head.find("dd", class_="learner-id").words() == r.learner_id
        assert head.find("dd", class_="as-of").find("time").attrs["datetime"] == r.as_of.isoformat()
    # the table of contents links to every learner
    toc = doc.find("nav", class_="toc")
    assert [a.attrs["href"] for a in toc.find_all("a")] == ["#" + s.attrs["id"] for s in sections]


def test_ids_are_unique(doc: El) -> None:
    ids = [e.attrs["id"] for e in doc.iter() if "id" in e.attrs]
    assert len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1][:5]
    # every in-page link lands somewhere
    for a in doc.find_all("a"):
        href = a.attrs.get("href", "")
        if href.startswith("#"):
            assert href[1:] in ids, href


def test_headings_are_nested_without_gaps(doc: El) -> None:
    levels = [int(e.tag[1]) for e in doc.iter() if re.fullmatch(r"h[1-6]", e.tag)]
    assert levels[0] == 1 and levels.count(1) == 1
    for before, after in itertools.pairwise(levels):
        assert after <= before + 1, levels


def test_summary_table_lists_every_credential_with_status_and_progress(doc: El, results: list[LearnerResult]) -> None:
    for r in results:
        summary = learner(doc, r.learner_id).find("section", class_="summary")
        rows = [tr for t in summary.find_all("table", class_="summary-table") for tr in t.find_all("tr")[1:]]
        assert {tr.attrs["data-credential"]: tr.attrs["data-status"] for tr in rows} == {
            cid: c.status for cid, c in r.credentials.items()
        }
        # started ones first, in report order; those not started folded away in <details>
        statuses = [tr.attrs["data-status"] for tr in rows]
        assert statuses == sorted(statuses, key=ORDER.__getitem__)
        for tr in rows:
            c = r.credentials[tr.attrs["data-credential"]]
            assert tr.find("th").attrs["scope"] == "row" and tr.find("th").find("a").words() == c.title
            assert tr.find("span", class_="badge").attrs["data-status"] == c.status
            bar = tr.find(role="progressbar")
            assert bar.attrs["aria-valuenow"] == str(percent(c.progress))
            folded = any(a.tag == "details" for a in tr.ancestors())
            assert folded == (c.status == "not_started")


def test_expected_statuses_and_dates_of_the_bundled_learners(doc: El) -> None:
    cert = article(doc, "S1001", "data-analytics-certificate")
    assert cert.attrs["data-status"] == "earned"
    assert "Earned 2026-05-08" in cert.find("p", class_="meta").words()
    expired = article(doc, "S1004", "cloud-foundations")
    assert expired.attrs["data-status"] == "expired"
    assert "Expired 2024-12-16" in expired.find("p", class_="meta").words()
    assert article(doc, "S1002", "cloud-computing-essentials").attrs["data-status"] == "in_progress"
    aws = article(doc, "S1005", "aws-cloud-practitioner")
    assert "Awarded 2025-03-01" in aws.find("p", class_="meta").words()
    assert "Expires 2028-03-01" in aws.find("p", class_="meta").words()


def test_credentials_in_report_order_and_not_started_collapsed(doc: El, results: list[LearnerResult]) -> None:
    for r in results:
        section = learner(doc, r.learner_id).find("section", class_="credentials")
        articles = section.find_all("article", class_="credential")
        assert {a.attrs["data-credential"] for a in articles} == set(r.credentials)
        keys = [(ORDER[a.attrs["data-status"]], -r.credentials[a.attrs["data-credential"]].progress) for a in articles]
        assert keys == sorted(keys)
        for a in articles:
            in_details = any(p.tag == "details" and "not-started" in p.attrs.get("class", "") for p in a.ancestors())
            assert in_details == (a.attrs["data-status"] == "not_started")
            assert a.find("h4").words() == r.credentials[a.attrs["data-credential"]].title
            assert a.find("div", class_="progress").find(role="progressbar")


def test_requirement_tree_shows_what_counted(doc: El, results: list[LearnerResult]) -> None:
    maya = next(r for r in results if r.learner_id == "S1001")
    a = article(doc, "S1001", "data-analytics-certificate")
    tree = a.find("ul", class_="req-tree")
    capstone = tree.find("li", class_="req", data_node="capstone")
    assert capstone.attrs["data-state"] == "met"
    attempt = capstone.find("li", class_="attempt", data_course="STAT 4900")
    assert attempt.find("span", class_="grade").words() == "A"
    assert attempt.find("time").attrs["datetime"] == "2026-05-08"
    # the unneeded alternative of a met choice is shown as such
    assert tree.find("li", class_="req", data_kind="course", data_state="optional")
    # the flat table: every applied attempt, with grade, date and credits
    table = a.find("table", class_="counted")
    assert [th.words() for th in table.find("thead").find_all("th")] == [
        "Course",
        "Title",
        "Grade",
        "Date",
        "Credits",
        "Toward",
    ]
    rows = table.find("tbody").find_all("tr")
    applied = maya.credentials["data-analytics-certificate"].applied
    assert [tr.attrs["data-course"] for tr in rows] == [x.course for x in applied]
    stat = next(tr for tr in rows if tr.attrs["data-course"] == "STAT 4900")
    cells = [c.words() for c in stat.children if isinstance(c, El)]
    assert cells[:5] == ["STAT 4900", "Statistical Consulting Capstone", "A", "2026-05-08", "3"]


def test_missing_and_did_not_count(doc: El, results: list[LearnerResult]) -> None:
    priya = next(r for r in results if r.learner_id == "S1003")
    c = priya.credentials["software-development"]
    a = article(doc, "S1003", "software-development")
    assert [li.words() for li in a.find("ul", class_="missing").find_all("li")] == c.missing
    table = a.find("table", class_="not-counted")
    row = table.find("tr", data_course="ISMG 3600")
    assert "grade C- is below the minimum grade C" in row.words()
    assert "2025-12-12" in row.words() and "C-" in row.words()
    # the tree marks unmet and partly met nodes
    tree = a.find("ul", class_="req-tree")
    assert tree.find("li", class_="req", data_node="core").attrs["data-state"] == "met"
    assert tree.find("li", class_="req", data_node="practice").attrs["data-state"] == "unmet"
    assert tree.find("li", class_="req", data_node="requires").attrs["data-state"] == "progress"


def test_where_it_stacks(doc: El, results: list[LearnerResult]) -> None:
    maya = next(r for r in results if r.learner_id == "S1001")
    a = article(doc, "S1001", "data-foundations")
    rows = a.find("table", class_="stacks").find("tbody").find_all("tr")
    found = {tr.attrs["data-credential"]: tr for tr in rows}
    assert "data-analytics-certificate" in found
    assert found["data-analytics-certificate"].attrs["data-status"] == "earned"
    stacking = getattr(maya, "stacking", None) or []
    if stacking:  # the stacking section: transitive targets, with credits and depth
        entry = next(e for e in stacking if e.credential == "data-foundations")
        assert set(found) == {t.credential for t in entry.stacks_into}
        for t in entry.stacks_into:
            assert found[t.credential].attrs["data-depth"] == str(t.depth)
            assert f"{t.credits:g}" in found[t.credential].words()
        pathways = learner(doc, "S1001").find("table", class_="pathways-table")
        assert {tr.attrs["data-credential"] for tr in pathways.find("tbody").find_all("tr")} == {
            e.credential for e in stacking if e.stacks_into
        }
    else:
        direct = dict(maya.credentials["data-foundations"].stacks_into)
        assert set(found) == set(direct)


def test_progress_bars_and_tables_are_accessible(doc: El) -> None:
    bars = doc.find_all(role="progressbar")
    assert len(bars) > 100
    for bar in bars:
        assert bar.attrs["aria-valuemin"] == "0" and bar.attrs["aria-valuemax"] == "100"
        assert 0 <= int(bar.attrs["aria-valuenow"]) <= 100
        assert bar.attrs["aria-label"].startswith("Progress toward ")
        # the percentage is also written beside the bar, for those who cannot see colour
        assert bar.parent is not None and bar.parent.find("span", class_="pct").words().endswith("%")
    for table in doc.find_all("table"):
        heads = table.find("thead").find_all("th")
        assert heads and all(th.attrs.get("scope") == "col" for th in heads)
    for mark in doc.find_all("span", class_="mark"):
        assert mark.attrs["aria-hidden"] == "true"  # the state is in words beside it


def _luminance(colour: str) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("status", sorted(PALETTE))
def test_status_colours_have_enough_contrast(status: str) -> None:
    text, background, fill = PALETTE[status]
    assert contrast(text, background) >= 4.5  # WCAG AA, small text
    assert contrast(text, "#ffffff") >= 4.5
    assert contrast(fill, TRACK) >= 3.0 and contrast(fill, "#ffffff") >= 3.0  # non-text contrast


def test_print_stylesheet(page: str) -> None:
    style = re.search(r"<style>(.*?)</style>", page, re.S)
    assert style is not None
    css = style.group(1)
    assert "@media print" in css and "@page" in css and "print-color-adjust:exact" in css
    assert "break-before:page" in css  # a learner a page


# -- self-contained: nothing from elsewhere ---------------------------------------------

REMOTE = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.I)


def assert_self_contained(page: str, doc: El) -> None:
    for e in doc.iter():
        assert e.tag not in ("link", "iframe", "object", "embed", "img", "base"), e.tag
        for name, value in e.attrs.items():
            if name in ("src", "href", "xlink:href", "action", "poster", "srcset", "data", "formaction"):
                assert not REMOTE.match(value), (e.tag, name, value)
                assert not value.lower().startswith(("http:", "https:", "ftp:")), (e.tag, name, value)
        if e.tag == "script":
            assert "src" not in e.attrs
            assert "fetch(" not in e.text and "XMLHttpRequest" not in e.text and "import(" not in e.text
    styles = [e.text for e in doc.find_all("style")] + [e.attrs["style"] for e in doc.iter() if "style" in e.attrs]
    for css in styles:
        assert "@import" not in css and "@font-face" not in css
        for url in re.findall(r"url\(\s*['\"]?([^)'\"]*)", css):
            assert url.startswith("#"), url


def test_self_contained(page: str, doc: El) -> None:
    assert_self_contained(page, doc)
    # the only script opens collapsed parts before printing
    scripts = doc.find_all("script")
    assert len(scripts) == 1 and "beforeprint" in scripts[0].text


HOSTILE_CATALOG = """\
catalog: {id: evil, name: "Evil <i>U</i> & Co"}
taxonomy: {types: {badge: {stacks_into: [certificate]}, certificate: {}}}
courses:
  - {id: X 1000, title: "<img src=x onerror=document.documentElement.dataset.pwned=2>", credits: 3}
  - {id: X 2000, title: Fine, credits: 3}
credentials:
  - id: pwn
    type: badge
    title: "<script>document.documentElement.dataset.pwned=1</script> & \\"Badge\\""
    requires: {all: [{course: X 1000}, {id: lab, course: X 2000, label: "Lab <u>work</u>"}]}
  - id: cert
    type: certificate
    title: "Cert </article></section><h1>Fake</h1>"
    requires: {all: [{credential: pwn}]}
"""

HOSTILE_TRANSCRIPT = """\
learner: {id: "H<1>", name: "<b onmouseover=alert(1)>Bobby</b> Tables"}
as_of: 2026-01-01
attempts:
  - {course: X 1000, date: 2025-05-01, grade: A}
exceptions:
  - {waive: lab, credential: pwn, reason: "Done elsewhere <script>document.body.dataset.pwned=3</script>"}
"""


@pytest.fixture
def hostile(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "evil.yaml").write_text(HOSTILE_CATALOG, encoding="utf-8")
    (tmp_path / "t.yaml").write_text(HOSTILE_TRANSCRIPT, encoding="utf-8")
    return tmp_path / "evil.yaml", tmp_path / "t.yaml"


def test_hostile_titles_are_shown_not_run(hostile: tuple[Path, Path]) -> None:
    cat_path, t_path = hostile
    code, page, err = run("evaluate", "--catalog", str(cat_path), "--format", "html", str(t_path))
    assert code == 0, err
    doc = parse(page)
    assert_self_contained(page, doc)
    # nothing from the files became markup
    assert len(doc.find_all("script")) == 1 and "beforeprint" in doc.find("script").text
    assert not doc.find_all("img") and not doc.find_all("b") and not doc.find_all("i") and not doc.find_all("u")
    assert len(doc.find_all("h1")) == 1 and not any(e.attrs.get("onmouseover") for e in doc.iter())
    assert len(doc.find_all("section", class_="learner")) == 1
    # ... and it is all shown, as text
    pwn = doc.find("article", data_credential="pwn")
    assert pwn.find("h4").text == '<script>document.documentElement.dataset.pwned=1</script> & "Badge"'
    assert doc.find("h2").words() == "<b onmouseover=alert(1)>Bobby</b> Tables"
    assert doc.find("section", class_="learner").attrs["data-learner"] == "H<1>"
    assert "<img src=x onerror=document.documentElement.dataset.pwned=2>" in pwn.words()
    assert doc.find("article", data_credential="cert").find("h4").text == "Cert </article></section><h1>Fake</h1>"
    assert "Evil <i>U</i> & Co" in doc.find("p", class_="catalogue").words()
    # the waiver: the node is shown waived, the exception with its reason
    assert pwn.find("li", class_="req", data_node="lab").attrs["data-state"] == "waived"
    exc = pwn.find("table", class_="exceptions").find("tr", data_kind="waive")
    assert "Done elsewhere <script>document.body.dataset.pwned=3</script>" in exc.words()


def test_substitution_is_shown(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(
        "catalog: {id: t, name: T}\ntaxonomy: {types: {badge: {}}}\n"
        "courses:\n  - {id: A 1000, title: A, credits: 3}\n  - {id: B 1000, title: B, credits: 3}\n"
        "credentials:\n  - {id: b, type: badge, title: B, requires: {all: [{course: A 1000}]}}\n",
        encoding="utf-8",
    )
    (tmp_path / "t.yaml").write_text(
        "learner: {id: S1}\nas_of: 2026-01-01\nattempts:\n  - {course: B 1000, date: 2025-01-01, grade: A}\n"
        "exceptions:\n  - {substitute: {course: B 1000, for: A 1000}, reason: Same content}\n",
        encoding="utf-8",
    )
    code, page, err = run(
        "evaluate", "--catalog", str(tmp_path / "c.yaml"), "--format", "html", str(tmp_path / "t.yaml")
    )
    assert code == 0, err
    a = parse(page).find("article", data_credential="b")
    assert a.attrs["data-status"] == "earned"
    assert "Substitution" in a.find("table", class_="exceptions").words()
    assert "B 1000 as A 1000" in a.find("li", class_="attempt").words()


# -- the stacking picture ---------------------------------------------------------------


def test_the_stacking_picture_is_inline_svg(page: str, doc: El, results: list[LearnerResult]) -> None:
    for r in results:
        fig = learner(doc, r.learner_id).find("figure", class_="stacking-picture")
        svg = fig.find("svg")
        assert svg.attrs.get("role") == "img" and svg.find("title").words()
        assert fig.find("figcaption").words()
        # ids are scoped to the learner, so six pictures in one page do not collide
        own = [e.attrs["id"] for e in svg.iter() if "id" in e.attrs]
        assert own and all(i.startswith(fig.attrs["aria-labelledby"].removesuffix("-cap")) for i in own)
    assert "<?xml" not in page


def test_svg_checks() -> None:
    ok = '<svg xmlns="http://www.w3.org/2000/svg"><defs><marker id="a"/></defs><path marker-end="url(#a)"/></svg>'
    assert svg_is_inert(ok)
    assert svg_is_inert("<svg><text>onload= url(http://x) &lt;script&gt;</text></svg>")  # text is only text
    for bad in (
        "<svg><script>alert(1)</script></svg>",
        '<svg onload="alert(1)"></svg>',
        '<svg><image href="https://example.org/x.png"/></svg>',
        '<svg><use xlink:href="other.svg#a"/></svg>',
        '<svg><rect style="fill:url(https://example.org/p)"/></svg>',
        "<svg><style>@import 'https://example.org/x.css';</style></svg>",
        "<svg><foreignObject><div/></foreignObject></svg>",
    ):
        assert not svg_is_inert(bad), bad
    scoped = scope_svg_ids(ok, "p1-")
    assert 'id="p1-a"' in scoped and "url(#p1-a)" in scoped


# -- the command line -------------------------------------------------------------------


def test_cli_writes_one_file_for_several_learners(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    code, stdout, err = run(
        "evaluate", "--catalog", str(CATALOG), *map(str, TRANSCRIPTS), "--format", "html", "-o", str(out)
    )
    assert code == 0, err
    assert stdout == ""
    doc = parse(out.read_text(encoding="utf-8"))
    assert len(doc.find_all("section", class_="learner")) == len(TRANSCRIPTS)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]  # no temporary file left


def test_cli_html_to_stdout_and_csv_input() -> None:
    code, stdout, err = run(
        "evaluate",
        "--catalog",
        str(CATALOG),
        str(ROOT / "examples/example-university/learners.csv"),
        "--format",
        "html",
    )
    assert code == 0, err
    doc = parse(stdout)
    assert len(doc.find_all("html")) == 1
    assert len(doc.find_all("section", class_="learner")) == 14


def test_cli_output_for_the_other_formats(tmp_path: Path) -> None:
    out = tmp_path / "r.jsonl"
    code, stdout, _err = run(
        "evaluate", "--catalog", str(CATALOG), str(TRANSCRIPTS[0]), "--format", "json", "-o", str(out)
    )
    assert code == 0 and stdout == "" and out.read_text().count("\n") == 1


@pytest.mark.parametrize(
    "target, reason",
    [("missing-dir/report.html", "does not exist"), (".", "is a directory")],
)
def test_cli_unwritable_output_exits_2(tmp_path: Path, target: str, reason: str) -> None:
    path = tmp_path / target
    code, stdout, err = run(
        "evaluate", "--catalog", str(CATALOG), str(TRANSCRIPTS[0]), "--format", "html", "-o", str(path)
    )
    assert code == 2 and stdout == ""
    assert err.startswith(f"microcred evaluate: -o {path}: ") and reason in err
    assert "Traceback" not in err
    assert not (tmp_path / "missing-dir").exists()


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root may write anywhere")
def test_cli_read_only_directory_exits_2(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        code, _out, err = run(
            "evaluate", "--catalog", str(CATALOG), str(TRANSCRIPTS[0]), "--format", "html", "-o", str(ro / "r.html")
        )
    finally:
        ro.chmod(0o755)
    assert code == 2 and "permission denied" in err and "Traceback" not in err


def test_cli_failure_while_writing_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "report.html"
    out.write_text("the old report")

    def full(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    code, _o, err = run("evaluate", "--catalog", str(CATALOG), str(TRANSCRIPTS[0]), "--format", "html", "-o", str(out))
    assert code == 2 and "No space left on device" in err and "Traceback" not in err
    assert out.read_text() == "the old report"  # untouched, and no temporary file left behind
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


# -- a real browser ---------------------------------------------------------------------


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else None


CHROMIUM = find_chromium()
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no Chromium found (chromium, chromium-browser or google-chrome on PATH); "
    "on Debian/Ubuntu: apt-get install chromium",
)


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-extensions",
        "--host-resolver-rules=MAP * ~NOTFOUND",  # no name resolves: nothing can leave the machine
        f"--user-data-dir={profile}",
        *args,
    ]
    env = {**os.environ, "HOME": str(tmp_path)}
    # its own process group, so that a hung browser is stopped with all its helpers
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True
    )
    try:
        out, err = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"chromium did not finish within 120 s: {' '.join(cmd)}")
    assert proc.returncode == 0, err[-2000:]
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory, page: str) -> Path:
    path = tmp_path_factory.mktemp("browser") / "report.html"
    path.write_text(page, encoding="utf-8")
    return path


@needs_chromium
def test_chromium_renders_the_report(tmp_path: Path, report_file: Path, results: list[LearnerResult]) -> None:
    proc = chromium(tmp_path, "--dump-dom", report_file.as_uri())
    dom = parse(proc.stdout)
    sections = dom.find_all("section", class_="learner")
    assert [s.attrs["data-learner"] for s in sections] == [r.learner_id for r in results]
    for r, s in zip(results, sections, strict=True):
        articles = s.find_all("article", class_="credential")
        assert {a.attrs["data-credential"] for a in articles} == set(r.credentials)
        assert all(a.find(role="progressbar") for a in articles)
        earned = {a.attrs["data-credential"] for a in articles if a.attrs["data-status"] == "earned"}
        assert earned == set(r.earned())
    assert len(dom.find_all(role="progressbar")) > 100
    assert len(dom.find_all("figure", class_="stacking-picture")) == len(results)


@needs_chromium
def test_chromium_does_not_run_hostile_titles(tmp_path: Path, hostile: tuple[Path, Path]) -> None:
    cat_path, t_path = hostile
    out = tmp_path / "evil.html"
    code, _o, err = run("evaluate", "--catalog", str(cat_path), "--format", "html", "-o", str(out), str(t_path))
    assert code == 0, err
    dom = parse(chromium(tmp_path, "--dump-dom", out.as_uri()).stdout)
    # had any of it become markup, a script or handler would have marked the document (the
    # payloads set attributes rather than call alert(), which would block a headless browser)
    assert "data-pwned" not in dom.find("html").attrs and "data-pwned" not in dom.find("body").attrs
    assert not dom.find_all("img") and not dom.find_all("b")
    assert "<script>" in dom.find("article", data_credential="pwn").find("h4").text


#: installed first in <head>: records script errors and console errors
MEASURE_HEAD = (
    "<script>window.__errors=[];addEventListener('error',function(e){__errors.push(String(e.message))});"
    "(function(){var o=console.error;console.error=function(){__errors.push([].join.call(arguments,' '));"
    "o.apply(console,arguments)}})();</script>"
)
#: run last in <body>: measures the laid-out page and writes what it found into <pre id=measured>
MEASURE_TAIL = """<script>(function(){
var d=document.documentElement,out={client:d.clientWidth,scroll:d.scrollWidth,tables:[],text:[],frames:[],
errors:window.__errors||['the error hook did not run']};
document.querySelectorAll('table.summary-table').forEach(function(t){
  var r=t.getBoundingClientRect(),p=t.parentElement.getBoundingClientRect();
  if(r.width)out.tables.push({past_right:r.right-p.right,hidden:t.scrollWidth-t.clientWidth});});
document.querySelectorAll('figure.stacking-picture svg').forEach(function(svg){
  if(!svg.getBoundingClientRect().width)return;  // the picture for the other widths
  var least=1e9;svg.querySelectorAll('text').forEach(function(el){var m=el.getScreenCTM();
    var px=parseFloat(el.getAttribute('font-size'))*Math.hypot(m.a,m.b);if(px<least)least=px;});
  out.text.push(least);var f=svg.parentElement;out.frames.push(f.scrollWidth-f.clientWidth);});
out.past=[];document.querySelectorAll('body *').forEach(function(el){  // past the window, inside a scroller
  if(!(el instanceof SVGElement)&&el.getBoundingClientRect().right>d.clientWidth+0.5&&out.past.length<5)
    out.past.push(el.tagName+' in '+(el.closest('table,section')||{className:''}).className);});
var pre=document.createElement('pre');pre.id='measured';pre.textContent=JSON.stringify(out);
document.body.appendChild(pre);})();</script>"""


def measure(tmp_path: Path, page: str, width: int) -> dict[str, Any]:
    """Lay ``page`` out in Chromium in a window ``width`` pixels wide; what MEASURE_TAIL found."""
    path = tmp_path / f"measure-{width}.html"
    path.write_text(page.replace("<head>", "<head>" + MEASURE_HEAD, 1).replace("</body>", MEASURE_TAIL + "</body>", 1))
    proc = chromium(tmp_path, f"--window-size={width},1000", "--dump-dom", path.as_uri())
    pre = parse(proc.stdout).find("pre", id="measured")
    found: dict[str, Any] = json.loads(pre.text)
    return found


@needs_chromium
@pytest.mark.parametrize("width", [600, 800, 1280])
def test_chromium_readable_at_any_width(tmp_path: Path, page: str, width: int) -> None:
    """From 600 pixels up: the document never scrolls sideways, no summary table is clipped,
    the stacking picture's smallest text is at least 11 pixels high, and nothing is logged
    as an error."""
    m = measure(tmp_path, page, width)
    assert m["errors"] == []
    assert m["scroll"] <= m["client"], f"the page is {m['scroll']} pixels wide in a {m['client']}-pixel window"
    assert m["past"] == []  # nor does any table need scrolling sideways within itself
    assert len(m["tables"]) == 12  # two a learner: started, and not started (collapsed, still laid out)
    for table in m["tables"]:
        assert table["past_right"] <= 0.5 and table["hidden"] <= 0, table
    assert len(m["text"]) == 6
    assert min(m["text"]) >= 11 - 0.01, m["text"]
    assert max(m["frames"]) <= 0, m["frames"]  # the whole picture in view, no sideways scrolling


@needs_chromium
def test_the_width_check_sees_an_overflow(tmp_path: Path) -> None:
    """The measurement itself: a page wider than the window, a table past its container, tiny
    picture text and a script error are all seen."""
    page = (
        "<!DOCTYPE html><html><head></head><body><div style='width:300px'>"
        "<table class='summary-table' style='width:900px'><tr><td>x</td></tr></table></div>"
        "<figure class='stacking-picture'><div><svg viewBox='0 0 1000 100' width='200'>"
        "<text x='0' y='50' font-size='12'>tiny</text></svg></div></figure>"
        "<script>undefined_function()</script></body></html>"
    )
    m = measure(tmp_path, page, 600)
    assert m["scroll"] > m["client"]
    assert m["tables"][0]["past_right"] > 0 and m["past"]
    assert m["text"][0] < 3
    assert m["errors"] and "undefined_function" in m["errors"][0]


def png_facts(data: bytes) -> tuple[int, int, int]:
    """(width, height, distinct byte values of the decompressed image data) of a PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    return width, height, len(set(raw))


@needs_chromium
def test_chromium_screenshot(tmp_path: Path, report_file: Path) -> None:
    shot = tmp_path / "shot.png"
    chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,2000", "--hide-scrollbars", report_file.as_uri())
    data = shot.read_bytes()
    width, height, distinct = png_facts(data)
    assert (width, height) == (1280, 2000)
    # a blank page compresses to a few kilobytes of a handful of byte values (white, and the
    # row filter types); the report has text, badges, bars and the picture
    assert len(data) > 50_000, len(data)
    assert distinct > 100, distinct
    keep = os.environ.get("MICROCRED_SCREENSHOT")
    if keep:  # MICROCRED_SCREENSHOT=/path/shot.png pytest -k screenshot: keep it to look at
        shutil.copyfile(shot, keep)


def test_png_facts_tells_a_blank_page() -> None:
    """The screenshot check itself: a white image has few distinct bytes."""
    width, height = 64, 32
    rows = b"".join(b"\x00" + b"\xff" * (width * 3) for _ in range(height))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
    assert png_facts(png) == (64, 32, 2)


def test_without_a_catalogue_with_a_filter_and_with_warnings(tmp_path: Path, catalog: Catalog) -> None:
    t = tmp_path / "t.yaml"
    t.write_text(
        "learner: {id: W1}\nas_of: 2026-01-01\nattempts:\n"
        "  - {course: CSCI 1410, date: 2025-05-01, grade: A}\n"
        "  - {course: NOPE 1000, date: 2025-05-01, grade: A}\n"
        "  - {course: CSCI 1411, status: in_progress}\n",
        encoding="utf-8",
    )
    src = next(iter(read_transcripts(t)))
    assert isinstance(src, TranscriptSource)
    r = evaluate(catalog, src, credentials=["python-programming"])
    assert r.warnings
    for cat in (catalog, None):
        doc = parse(render_html([r], cat))
        a = doc.find("article", data_credential="python-programming")
        assert a.attrs["data-status"] == "in_progress"
        assert "CSCI 1410" in a.find("li", class_="req", data_node="lecture").words()
        assert "(in progress)" in a.find("ul", class_="missing").words()
        assert a.find("table", class_="stacks").find("tr", data_credential="data-foundations")
        assert "NOPE 1000" in doc.find("div", class_="warnings").words()
        assert len(doc.find_all("article", class_="credential")) == 1
    assert not parse(render_html([r], None)).find_all("figure", class_="stacking-picture")
    empty = parse(render_html([], catalog))
    assert not empty.find_all("section", class_="learner") and "No learner" in empty.find("main").words()


def test_same_input_same_page(results: list[LearnerResult], catalog: Catalog, page: str) -> None:
    assert render_html(results, catalog) == page
