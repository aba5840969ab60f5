"""A catalogue's programmes file (``.programmes.yaml``): found beside the catalogue, not read as
part of it, used by the generator, and every mistake in it reported at its line and column."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import ROOT
from tiny_catalog import TINY

from microcred.checks.validate import validate_paths
from microcred.cli import main
from microcred.io.programmes import PROGRAMMES_FILE, programmes_file
from microcred.model.diagnostics import MicrocredError
from microcred.run.generate import catalogue_programmes, generate_population, transcript_to_json
from microcred.run.programmes import Step

EXAMPLE = ROOT / "catalog" / "example-university"
AS_OF = dt.date(2026, 5, 20)


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def _digest(*argv: str) -> str:
    code, out, err = run("generate", *argv)
    assert code == 0, err
    return hashlib.sha256(out.encode("utf-8")).hexdigest()


# -- the example's file ---------------------------------------------------------------------------


def test_the_example_has_a_programmes_file_that_validate_does_not_read() -> None:
    found = programmes_file(EXAMPLE)
    assert found == EXAMPLE / PROGRAMMES_FILE and found.is_file()
    report = validate_paths(EXAMPLE)
    assert report.valid and report.diagnostics == []  # not taken for catalogue content, no warning
    assert report.catalog is not None
    assert not any(PROGRAMMES_FILE in f for f in report.catalog.sources.documents)
    assert programmes_file(report.catalog) == found  # found from a loaded catalogue too


def test_the_example_programmes_are_read_with_their_shared_steps() -> None:
    programmes = catalogue_programmes(EXAMPLE)
    assert [(p.name, p.target) for p in programmes] == [
        ("data-analytics", "data-analytics-certificate"),
        ("it-infrastructure", "it-infrastructure-certificate"),
        ("business-technology", "business-technology-certificate"),
        ("software-development", "software-development"),
        ("badges", "python-programming"),
        ("associate", "aas-information-technology"),
        ("bachelor", "bas-information-systems"),
    ]
    by_name = {p.name: p for p in programmes}
    # the aliases of shared lists are spliced in: the associate's general education, software
    # core, its choice of infrastructure or business technology (each option a list of steps)
    associate = by_name["associate"]
    assert len(associate.steps) == 5 + 3 + 1 + 1
    choice = associate.steps[8]
    assert choice.k == 1 and [len(option) for option in choice.options] == [3, 2]
    assert all(isinstance(part, Step) for option in choice.options for part in option)
    assert by_name["bachelor"].steps[5:] == by_name["data-analytics"].steps + associate.steps
    assert by_name["data-analytics"].extras == (("STAT 1050", 0.2), ("STAT 2011", 0.3))
    assert by_name["it-infrastructure"].awards[0].replaces == ("CSCI 2910",)
    assert sum(p.weight for p in programmes) == pytest.approx(1.0)


#: Digests of populations generated before the programmes moved out of the library into the
#: example's programmes file: the same learners, byte for byte.
PINNED = {
    ("example", "jsonl"): "2df74f02ad11d7b1815a03e00723baced79850685250e0cafe4fed526bef14f9",
    ("example", "csv"): "d604c583b5cbc3a3751a441410430ea266f28e778f770d487783c7cecbe16558",
    ("tiny", "jsonl"): "93a09355c9ac9cf0f6dd698fd34004724151d80d6914b0fba36a85aadefefcb7",
}


@pytest.mark.parametrize(("catalogue", "fmt"), list(PINNED))
def test_populations_are_pinned(tmp_path: Path, catalogue: str, fmt: str) -> None:
    if catalogue == "example":
        path = EXAMPLE
    else:
        path = tmp_path / "c.yaml"
        path.write_text(TINY, encoding="utf-8")
    args = ("--catalog", str(path), "--learners", "50", "--seed", "7", "--as-of", AS_OF.isoformat(), "--format", fmt)
    assert _digest(*args) == PINNED[catalogue, fmt]


def test_the_library_gives_the_same_learners_as_the_command(tmp_path: Path) -> None:
    code, out, err = run(
        "generate", "--catalog", str(EXAMPLE), "--learners", "12", "--seed", "4", "--as-of", "2026-05-20",
        "--format", "jsonl",
    )  # fmt: skip
    assert code == 0, err
    lib = [transcript_to_json(t) for t in generate_population(EXAMPLE, 12, 4, AS_OF)]
    assert [json.loads(line) for line in out.splitlines()] == lib
    # a copy of the catalogue takes its programmes file along
    copy = tmp_path / "copy"
    shutil.copytree(EXAMPLE, copy)
    assert [transcript_to_json(t) for t in generate_population(copy, 12, 4, AS_OF)] == lib
    # without it, the generic programmes drawn from the catalogue
    (copy / PROGRAMMES_FILE).unlink()
    assert [transcript_to_json(t) for t in generate_population(copy, 12, 4, AS_OF)] != lib


# -- a catalogue's own file -----------------------------------------------------------------------


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    folder = tmp_path / "tiny"
    folder.mkdir()
    (folder / "catalog.yaml").write_text(TINY, encoding="utf-8")
    return folder


def test_a_programmes_file_decides_what_learners_take(tiny: Path) -> None:
    (tiny / PROGRAMMES_FILE).write_text(
        "programmes:\n  - {name: drawing, target: drawing, weight: 1, steps: [ART 1000], transfer_rate: 0}\n",
        encoding="utf-8",
    )
    code, out, err = run("generate", "--catalog", str(tiny), "--learners", "40", "--seed", "1", "--as-of", "2026-05-20")
    assert code == 0, err
    courses = {line.split(",")[1] for line in out.splitlines()[1:]}
    assert courses == {"ART 1000"}  # the generic programmes would take ART 2000 and ART 3000 too
    assert validate_paths(tiny).diagnostics == []


BAD = {
    "yaml syntax": ("programmes:\n  - {name: a, target: drawing\n", "E101", 3, 1, "YAML syntax error"),
    "unknown course": (
        "programmes:\n  - name: a\n    target: drawing\n    weight: 1\n    steps:\n      - one: [ART 1000, ART 2001]\n",
        "E301",
        6,
        25,
        "unknown course 'ART 2001' (did you mean 'ART 2000'?)",
    ),
    "unknown credential": (
        "programmes:\n  - {name: a, target: drawings, weight: 1, steps: [ART 1000]}\n",
        "E302",
        2,
        23,
        "unknown credential 'drawings' (did you mean 'drawing'?)",
    ),
    "choose more than listed": (
        "programmes:\n  - name: a\n    target: studio\n    weight: 1\n    steps:\n"
        "      - {choose: 3, of: [ART 2000, ART 3000]}\n",
        "E203",
        6,
        18,
        "choose: 3 asks for more than the 2 parts listed under 'of'; lower it to 2 at most or list more",
    ),
    "choose zero": (
        "programmes:\n  - {name: a, target: studio, weight: 1, steps: [{choose: 0, of: [ART 2000]}]}\n",
        "E203",
        2,
        59,
        "steps[0].choose: must be at least 1, got 0",
    ),
    "wrong type": (
        "programmes:\n  - {name: a, target: studio, weight: heavy, steps: [ART 1000]}\n",
        "E203",
        2,
        39,
        "weight: expected a number, got 'heavy'",
    ),
    "a number for a course": (
        "programmes:\n  - {name: a, target: studio, weight: 1, steps: [{all: [ART 1000, 2000]}]}\n",
        "E203",
        2,
        67,
        "steps[0].all[1]: expected a course id, a step (a mapping such as {one: [MATH 1010, MATH 1070]}) or a list",
    ),
    "two forms in a step": (
        "programmes:\n  - {name: a, target: studio, weight: 1, steps: [{all: [ART 1000], one: [ART 2000]}]}\n",
        "E203",
        2,
        50,
        "a step has exactly one of all, one, of (with choose) or options (with choose); it has all and one",
    ),
    "unknown key": (
        "programmes:\n  - {name: a, target: studio, weigth: 1, steps: [ART 1000]}\n",
        "E201",
        2,
        31,
        "unknown key 'weigth' in programmes[0] (did you mean 'weight'?)",
    ),
    "missing key": ("programmes:\n  - {name: a, weight: 1, steps: [ART 1000]}\n", "E202", 2, 5, "'target'"),
    "empty": ("# nothing yet\n", "E202", 1, 1, "missing required key 'programmes'"),
    "not a mapping": ("- a\n- b\n", "E203", 1, 1, "(top level): expected a mapping, got a list"),
    "a tag": ("programmes: !!python/object:os.system []\n", "E104", 1, 13, "is not allowed"),
    "unknown course in extras": (
        "programmes:\n  - name: a\n    target: studio\n    weight: 1\n    steps: [ART 1000]\n"
        "    extras: {ART 1001: 0.5}\n",
        "E301",
        6,
        14,
        "unknown course 'ART 1001'",
    ),
    "unknown award": (
        "programmes:\n  - name: a\n    target: studio\n    weight: 1\n    steps: [ART 1000]\n    awards:\n"
        "      - {credential: paintng, probability: 0.2, replaces: [ART 200]}\n",
        "E302",
        7,
        22,
        "unknown credential 'paintng'",
    ),
    "choose more options than listed": (
        "programmes:\n  - name: a\n    target: studio\n    weight: 1\n    steps:\n"
        "      - choose: 3\n        options: [[ART 2000], [ART 3000]]\n",
        "E203",
        6,
        17,
        "choose: 3 asks for more than the 2 options listed",
    ),
    "a probability above 1": (
        "programmes:\n  - {name: a, target: studio, weight: 1, steps: [ART 1000], transfer_rate: 1.5}\n",
        "E203",
        2,
        76,
        "transfer_rate: must be at most 1, got 1.5",
    ),
    "a name twice": (
        "programmes:\n  - {name: a, target: studio, weight: 1, steps: [ART 1000]}\n"
        "  - {name: a, target: drawing, weight: 1, steps: [ART 1000]}\n",
        "E205",
        3,
        12,
        "programme 'a' is defined twice",
    ),
}


@pytest.mark.parametrize(("text", "code", "line", "column", "words"), BAD.values(), ids=BAD.keys())
def test_a_bad_programmes_file_is_reported_where_it_is(
    tiny: Path, tmp_path: Path, text: str, code: str, line: int, column: int, words: str
) -> None:
    bad = tiny / PROGRAMMES_FILE
    bad.write_text(text, encoding="utf-8")
    target = tmp_path / "out.csv"
    status, out, err = run("generate", "--catalog", str(tiny), "--learners", "3", "-o", str(target))
    assert status == 1  # invalid input (docs/cli.md)
    assert out == "" and not target.exists()  # nothing written
    lines = err.splitlines()
    assert lines[0] == f"microcred generate: the programmes file {bad} is invalid:"
    assert f"{bad}:{line}:{column}: {code} " in err, err
    assert words in err, err
    assert "Traceback" not in err
    assert all(re.match(rf"{re.escape(str(bad))}:\d+:\d+: [EW]\d{{3}} ", x) for x in lines[1:]), err
    # the catalogue itself is still valid: the file is not part of it
    assert validate_paths(tiny).valid
    # the library raises at the call, not at the first learner
    with pytest.raises(MicrocredError) as exc:
        generate_population(tiny, 3, 1, AS_OF)
    assert code in [d.code for d in exc.value.diagnostics]


def test_an_error_in_a_shared_step_points_at_the_step(tiny: Path) -> None:
    """A mistake in a list that programmes share by an alias is reported where the list is written."""
    (tiny / PROGRAMMES_FILE).write_text(
        "shared:\n  art: &art\n    - one: [ART 2000, ART 300]\n"
        "programmes:\n  - {name: a, target: studio, weight: 1, steps: [*art]}\n",
        encoding="utf-8",
    )
    with pytest.raises(MicrocredError) as exc:
        catalogue_programmes(tiny)
    [d] = exc.value.diagnostics
    assert (d.code, d.location and (d.location.line, d.location.column)) == ("E301", (3, 23))


def test_the_documented_example_is_a_valid_programmes_file(tmp_path: Path) -> None:
    text = (ROOT / "docs" / "scale.md").read_text(encoding="utf-8")
    [block] = re.findall(r"^```yaml\n(# \.programmes\.yaml\n.*?)^```", text, re.M | re.S)
    copy = tmp_path / "catalogue"
    shutil.copytree(EXAMPLE, copy)
    (copy / PROGRAMMES_FILE).write_text(block, encoding="utf-8")
    [programme] = catalogue_programmes(copy)
    assert programme.target == "data-analytics-certificate"
    assert [s.k for s in programme.steps] == [1, 1, 2, 1, 1]
    population = list(generate_population(copy, 20, 1, AS_OF))
    assert all(t.attempts for t in population)
