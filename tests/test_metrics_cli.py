"""``microcred metrics``: a tiny catalogue whose figures are known by hand, every output format
carrying the same numbers, the same numbers from results files, with ``--jobs`` and on Dask,
bad inputs, and the dashboard in a real browser (headless Chromium)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import shutil
import signal
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from microcred.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "catalog" / "example-university"

TINY = """\
catalog: {id: tiny, name: Tiny College, issuer: {name: Tiny College, url: https://tiny.example.edu}}
taxonomy:
  types:
    badge: {label: Badge, stacks_into: [micro]}
    micro: {label: Microcredential}
courses:
  - {id: A 100, title: A, credits: 3}
  - {id: B 200, title: B, credits: 3}
credentials:
  - {id: b, type: badge, title: The Badge, credits: 3, requires: {course: A 100}}
  - {id: m, type: micro, title: The Micro, requires: {all: [{credential: b}, {course: B 200}]}}
"""


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Twelve learners: 1–10 pass A 100 on 2020-05-01, 1–6 also B 200 on 2021-05-01; 11 fails
    A 100; 12 has taken nothing."""
    d = tmp_path_factory.mktemp("tiny")
    (d / "catalog.yaml").write_text(TINY, encoding="utf-8")
    lines = []
    for i in range(1, 13):
        attempts = []
        if i <= 10:
            attempts.append({"course": "A 100", "date": "2020-05-01", "grade": "B"})
        if i <= 6:
            attempts.append({"course": "B 200", "date": "2021-05-01", "grade": "A"})
        if i == 11:
            attempts.append({"course": "A 100", "date": "2020-05-01", "grade": "F"})
        lines.append(json.dumps({"learner": {"id": f"T{i:02d}"}, "as_of": "2026-06-01", "attempts": attempts}))
    (d / "t.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return d / "catalog.yaml", d / "t.jsonl"


def rows_of(text: str) -> dict[tuple[str, ...], dict[str, str]]:
    out = {}
    for r in csv.DictReader(io.StringIO(text)):
        out[(r["as_of"], r["subject"], r["target"], r["window_years"], r["metric"], r["dimension"], r["group"])] = r
    return out


def fig(rows: dict[tuple[str, ...], dict[str, str]], subject: str, metric: str, **kw: str) -> str:
    key = (
        kw.get("as_of", "2026-06-01"),
        subject,
        kw.get("target", ""),
        kw.get("window", ""),
        metric,
        kw.get("dimension", "all"),
        kw.get("group", "all"),
    )
    return rows[key]["value"] if rows[key]["suppressed"] != "true" else "suppressed"


def test_a_tiny_population_worked_by_hand(tiny: tuple[Path, Path]) -> None:
    cat, transcripts = tiny
    code, out, err = run("metrics", "--catalog", str(cat), str(transcripts), "--min-group-size", "1")
    assert code == 0, err
    rows = rows_of(out)
    assert fig(rows, "*", "learners") == "12"
    assert (fig(rows, "b", "enrolled"), fig(rows, "b", "earned"), fig(rows, "b", "completion_rate")) == (
        "10",
        "10",
        "100.0",
    )
    # the micro: progress above 0 for the ten badge earners, earned by six
    assert (fig(rows, "m", "enrolled"), fig(rows, "m", "earned"), fig(rows, "m", "completion_rate")) == (
        "10",
        "6",
        "60.0",
    )
    # time to the micro: its first counted attempt (A 100, through the badge) 2020-05-01 to 2021-05-01
    assert fig(rows, "m", "time_median") == "365.0" and fig(rows, "m", "time_q1") == "365.0"
    assert fig(rows, "b", "time_median") == "0.0"
    # stack-through b → m: ten earners observed two and four years, six went on within a year
    for w in ("2", "4"):
        assert fig(rows, "b", "stack_observed", target="m", window=w) == "10"
        assert fig(rows, "b", "stack_through", target="m", window=w) == "6"
        assert fig(rows, "b", "stack_through_rate", target="m", window=w) == "60.0"
    assert fig(rows, "b", "stack_credits_mean", target="m", window="2") == "3.0"  # A 100 counted in m through b
    assert fig(rows, "type:badge", "stack_through_rate", target="type:micro", window="2") == "60.0"
    # cohorts: the first counted attempt's term; learner 11 (an F counts nowhere) and 12 have none
    assert fig(rows, "*", "learners", dimension="cohort", group="2020 Spring") == "10"
    assert fig(rows, "*", "learners", dimension="cohort", group="(none)") == "2"


def test_suppression_in_the_tiny_population(tiny: tuple[Path, Path]) -> None:
    cat, transcripts = tiny
    code, out, err = run("metrics", "--catalog", str(cat), str(transcripts))
    assert code == 0, err
    rows = rows_of(out)
    assert fig(rows, "*", "learners") == "12"
    # (none) holds 2 learners: hidden, and 2020 Spring with it, or 12 − 10 would give it away
    assert fig(rows, "*", "learners", dimension="cohort", group="(none)") == "suppressed"
    assert fig(rows, "*", "learners", dimension="cohort", group="2020 Spring") == "suppressed"
    assert fig(rows, "m", "earned") == "suppressed"  # 6 learners
    assert fig(rows, "m", "completion_rate") == "suppressed"  # rests on them
    assert fig(rows, "b", "completion_rate") == "100.0"
    for r in rows.values():
        if r["suppressed"] == "true":
            assert r["value"] == "" and r["denominator"] == ""


def test_every_format_carries_the_same_numbers(tiny: tuple[Path, Path], tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow.parquet")
    cat, transcripts = tiny
    outs = {}
    for ending in ("csv", "json", "parquet"):
        path = tmp_path / f"m.{ending}"
        code, _o, err = run(
            "metrics", "--catalog", str(cat), str(transcripts), "--min-group-size", "3", "-o", str(path)
        )
        assert code == 0, err
        outs[ending] = path
    csv_rows = list(csv.DictReader(outs["csv"].open(encoding="utf-8")))
    json_rows = json.loads(outs["json"].read_text(encoding="utf-8"))["rows"]
    parquet_rows = pa.read_table(outs["parquet"]).to_pylist()
    assert len(csv_rows) == len(json_rows) == len(parquet_rows) > 50
    for c, j, p in zip(csv_rows, json_rows, parquet_rows, strict=True):
        assert (
            (c["subject"], c["metric"], c["group"])
            == (j["subject"], j["metric"], j["group"])
            == (
                p["subject"],
                p["metric"],
                p["group"],
            )
        )
        if c["value"] == "":
            assert j["value"] is None and p["value"] is None
        else:
            # one number, one rendering: the CSV text, the JSON number and the Parquet decimal agree
            assert str(j["value"]) == c["value"] or float(c["value"]) == j["value"]
            assert p["value"] == Decimal(c["value"])


def test_results_files_give_the_numbers_of_transcripts(tiny: tuple[Path, Path], tmp_path: Path) -> None:
    cat, transcripts = tiny
    results = tmp_path / "r.jsonl"
    code, _o, err = run("batch", "--catalog", str(cat), str(transcripts), "-o", str(results))
    assert code == 0, err
    a = run("metrics", "--catalog", str(cat), str(transcripts), "--min-group-size", "2")
    b = run("metrics", "--catalog", str(cat), str(results), "--min-group-size", "2")
    assert a[0] == b[0] == 0 and a[1] == b[1]


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("population")
    path = d / "t.jsonl"
    code, _o, err = run(
        "generate",
        "--catalog",
        str(EXAMPLE),
        "--learners",
        "120",
        "--seed",
        "3",
        "--as-of",
        "2026-06-01",
        "-o",
        str(path),
    )
    assert code == 0, err
    return path


def test_jobs_give_the_same_numbers(population: Path, tmp_path: Path) -> None:
    dates = ("--as-of", "2024-06-01", "--as-of", "2026-06-01")
    one = run("metrics", "--catalog", str(EXAMPLE), str(population), *dates, "--jobs", "1")
    two = run("metrics", "--catalog", str(EXAMPLE), str(population), *dates, "--jobs", "2")
    assert one[0] == two[0] == 0, one[2] + two[2]
    assert one[1] == two[1]
    rows = rows_of(one[1])
    assert {k[0] for k in rows} == {"2024-06-01", "2026-06-01"}
    assert fig(rows, "*", "learners", as_of="2024-06-01") == "120"


def test_dask_gives_the_same_numbers(population: Path) -> None:
    db = pytest.importorskip("dask.bag")
    from microcred import load_catalog
    from microcred.analysis.metrics import Portfolio
    from microcred.render.metrics import to_csv
    from microcred.run.dask import evaluate_bag
    from microcred.run.metrics import metrics_bag

    catalog = load_catalog(EXAMPLE)
    lines = population.read_text(encoding="utf-8").splitlines()
    bag = db.from_sequence(lines, npartitions=4)
    results = evaluate_bag(bag, EXAMPLE, dt.date(2026, 6, 1), detail=False)
    acc = metrics_bag(results, Portfolio.from_catalog(catalog)).compute(scheduler="processes", num_workers=2)
    code, out, err = run("metrics", "--catalog", str(EXAMPLE), str(population), "--as-of", "2026-06-01", "--jobs", "2")
    assert code == 0, err
    assert to_csv(acc.table()) == out


def test_qdata_is_linked_and_publishes_no_suppressed_figure(tiny: tuple[Path, Path]) -> None:
    cat, transcripts = tiny
    code, out, err = run("metrics", "--catalog", str(cat), str(transcripts), "--format", "qdata")
    assert code == 0, err
    doc = json.loads(out)
    graph = doc["@graph"]
    profile = graph[0]
    assert profile["@type"] == "qdata:DataSetProfile"
    ids = {n["@id"]: n for n in graph}
    metrics = set(profile["qdata:hasMetric"])
    assert metrics and all(ids[m]["@type"] == "qdata:Metric" for m in metrics)
    points = {p for d in profile["qdata:hasDimension"] for p in ids[d]["qdata:hasPoint"]}
    observations = [ids[o] for o in profile["qdata:hasObservation"]]
    assert observations
    for o in observations:
        assert o["@type"] == "qdata:Observation" and o["qdata:isObservationOf"] in metrics
        assert set(o["qdata:atPoint"]) <= points
        assert any(k in o for k in ("schema:value", "qdata:percentage", "qdata:median"))
    # the 6 earners of the micro are under 10: no observation of them
    earned = next(m for m in metrics if ids[m]["ceterms:name"]["en-US"] == "Earned")
    values = [o.get("schema:value") for o in observations if o["qdata:isObservationOf"] == earned]
    assert 6 not in values and 10 in values
    assert "suppressed" in profile["qdata:dataSuppressionPolicy"]["en-US"]


def test_bad_inputs(tiny: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cat, transcripts = tiny
    attrs = tmp_path / "attrs.csv"
    attrs.write_text("learner_id,campus\nT01,N\nT01,S\n", encoding="utf-8")
    code, _o, err = run("metrics", "--catalog", str(cat), str(transcripts), "--attributes", str(attrs))
    assert code == 1 and f"{attrs}:3:1: learner T01 is given twice (first on line 2)" in err
    bad = tmp_path / "r.jsonl"
    bad.write_text('{"learner":{"id":"L"},"as_of":"2026-01-01","credentials":{}}\n{"learner":', encoding="utf-8")
    code, _o, err = run("metrics", "--catalog", str(cat), str(bad))
    assert code == 1 and f"{bad}:2:" in err and "not JSON" in err
    code, _o, err = run("metrics", "--catalog", str(cat), str(tmp_path / "nothing.jsonl"))
    assert code == 2 and "no such file" in err
    code, _o, err = run("metrics", "--catalog", str(cat), str(transcripts), "-o", str(tmp_path / "m.png"))
    assert code == 2 and "PNG" in err
    code, _o, err = run("metrics", "--catalog", str(cat), str(transcripts), "--format", "parquet")
    assert code == 2 and "give a file with -o" in err
    code, _o, _e = run("metrics", "--catalog", str(cat), str(transcripts), "--min-group-size", "0")
    assert code == 2 and "--min-group-size: 0 is below 1" in capsys.readouterr().err  # (argparse writes it)
    code, _o, err = run("metrics", "--catalog", str(cat), str(transcripts), "-o", str(transcripts))
    assert code == 2 and "Traceback" not in err


def test_learners_with_errors_are_left_out_and_said(tiny: tuple[Path, Path], tmp_path: Path) -> None:
    cat, transcripts = tiny
    t = tmp_path / "t.jsonl"
    t.write_text(
        transcripts.read_text()
        + '{"learner":{"id":"BAD"},"attempts":[{"course":"A 100","date":"2020-13-01","grade":"A"}]}\n'
    )
    code, out, err = run("metrics", "--catalog", str(cat), str(t), "--min-group-size", "1")
    assert code == 1
    assert f"{t}:13:" in err and "left out for errors" in err
    assert fig(rows_of(out), "*", "learners") == "12"


# -- the dashboard in a real browser ---------------------------------------------------------------


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else None


CHROMIUM = find_chromium()
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium found; on Debian/Ubuntu: apt-get install chromium"
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
        "--host-resolver-rules=MAP * ~NOTFOUND",  # nothing can leave the machine
        f"--user-data-dir={profile}",
        *args,
    ]
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "HOME": str(tmp_path)},
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail("chromium did not finish within 120 s")
    assert proc.returncode == 0, err[-2000:]
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


#: records script errors, console errors and failed loads, then writes them into <pre id=measured>
PROBE_HEAD = (
    "<script>window.__errors=[];addEventListener('error',function(e){__errors.push(String(e.message||e.type))},true);"
    "(function(){var o=console.error;console.error=function(){__errors.push([].join.call(arguments,' '));"
    "o.apply(console,arguments)}})();</script>"
)
PROBE_TAIL = """<script>(function(){
var out={errors:window.__errors,svgs:[],resources:performance.getEntriesByType('resource').length};
document.querySelectorAll('svg.plot').forEach(function(s){var r=s.getBoundingClientRect();
out.svgs.push({w:r.width,h:r.height,texts:s.querySelectorAll('text').length,label:s.getAttribute('aria-label')});});
out.wide=document.documentElement.scrollWidth-document.documentElement.clientWidth;
var pre=document.createElement('pre');pre.id='measured';pre.textContent=JSON.stringify(out);
document.body.appendChild(pre);})();</script>"""


@pytest.fixture(scope="module")
def dashboard(population: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("matplotlib")
    d = tmp_path_factory.mktemp("dash")
    attrs = d / "attrs.csv"
    ids = [json.loads(line)["learner"]["id"] for line in population.read_text().splitlines()]
    attrs.write_text(
        "learner_id,campus\n" + "".join(f"{lid},{'North' if i % 3 else 'South'}\n" for i, lid in enumerate(ids))
    )
    out = d / "metrics.html"
    code, _o, err = run(
        "metrics",
        "--catalog",
        str(EXAMPLE),
        str(population),
        "--as-of",
        "2025-06-01",
        "--as-of",
        "2026-06-01",
        "--attributes",
        str(attrs),
        "-o",
        str(out),
    )
    assert code == 0, err
    return out


def test_the_dashboard_is_self_contained(dashboard: Path) -> None:
    page = dashboard.read_text(encoding="utf-8")
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org", "")
    assert "src=" not in page and "<link" not in page  # nothing to load
    for section in ("summary", "flow", "time", "trends", "credentials"):
        assert f'id="{section}"' in page
    assert page.count("<svg") >= 4


@needs_chromium
def test_chromium_renders_the_dashboard(dashboard: Path, tmp_path: Path) -> None:
    probe = tmp_path / "probe.html"
    page = dashboard.read_text(encoding="utf-8")
    probe.write_text(page.replace("<head>", "<head>" + PROBE_HEAD, 1).replace("</body>", PROBE_TAIL + "</body>", 1))
    proc = chromium(tmp_path, "--window-size=1200,900", "--dump-dom", probe.as_uri())
    start = proc.stdout.index('<pre id="measured">') + len('<pre id="measured">')
    measured: dict[str, Any] = json.loads(
        proc.stdout[start : proc.stdout.index("</pre>", start)].replace("&quot;", '"').replace("&amp;", "&")
    )
    assert measured["errors"] == []
    assert measured["resources"] == 0  # nothing fetched
    assert len(measured["svgs"]) >= 4
    for svg in measured["svgs"]:
        assert svg["w"] > 200 and svg["h"] > 80 and svg["texts"] > 3, svg
    assert measured["wide"] <= 0  # no sideways scrolling of the page
    assert "Stacking flow" in measured["svgs"][0]["label"]
    shot = tmp_path / "dashboard.png"
    chromium(tmp_path, "--window-size=1200,2400", "--hide-scrollbars", f"--screenshot={shot}", dashboard.as_uri())
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000  # a picture with something in it


def test_windows_are_chosen_and_end_on_the_anniversary(tiny: tuple[Path, Path]) -> None:
    cat, transcripts = tiny
    code, out, err = run(
        "metrics", "--catalog", str(cat), str(transcripts), "--window", "1", "--format", "json", "--min-group-size", "1"
    )
    assert code == 0, err
    doc = json.loads(out)
    assert doc["windows_years"] == [1] and doc["min_group_size"] == 1
    rates = [
        r
        for r in doc["rows"]
        if r["metric"] == "stack_through_rate" and r["subject"] == "b" and r["dimension"] == "all"
    ]
    # the micro was earned 2021-05-01, one year to the day after the badge: within the window
    assert [(r["window_years"], r["value"], r["denominator"]) for r in rates] == [(1, 60.0, 10)]


def test_a_learner_given_twice_is_an_error(tiny: tuple[Path, Path], tmp_path: Path) -> None:
    cat, transcripts = tiny
    results = tmp_path / "r.jsonl"
    assert run("batch", "--catalog", str(cat), str(transcripts), "-o", str(results))[0] == 0
    twice = tmp_path / "twice.jsonl"
    lines = results.read_text().splitlines()
    twice.write_text("\n".join([*lines, lines[3]]) + "\n")
    code, out, err = run("metrics", "--catalog", str(cat), str(twice))
    assert code == 1 and out == "" and "learner T04 is given twice at 2026-06-01" in err
    # the same date asked twice is asked once
    once = run("metrics", "--catalog", str(cat), str(transcripts), "--as-of", "2026-06-01")
    again = run("metrics", "--catalog", str(cat), str(transcripts), "--as-of", "2026-06-01", "--as-of", "2026-06-01")
    assert once[0] == again[0] == 0 and once[1] == again[1]


def test_hostile_titles_stay_text_in_the_dashboard(tiny: tuple[Path, Path], tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    cat, transcripts = tiny
    hostile = tmp_path / "catalog.yaml"
    title = '<script>document.title="pwned"</script> $\\\\frac{a}{b}$ & "quotes"'
    hostile.write_text(
        cat.read_text()
        .replace("title: The Badge", "title: " + json.dumps(title))
        .replace("label: Badge", "label: " + json.dumps(title))
    )
    out = tmp_path / "m.html"
    code, _o, err = run("metrics", "--catalog", str(hostile), str(transcripts), "--min-group-size", "1", "-o", str(out))
    assert code == 0, err
    page = out.read_text(encoding="utf-8")
    assert "<script" not in page
    assert "&lt;script&gt;" in page  # shown as text, in the tables and in the pictures
    assert page.count("$") >= 2  # the dollars are text, not mathematics
