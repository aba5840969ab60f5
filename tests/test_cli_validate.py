"""The command line: ``microcred validate`` (and ``schema``), in-process and as a process."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import EXAMPLE, ROOT, write_files

from microcred.cli import main
from microcred.cli.util import format_github
from microcred.io.loader import catalogue_files
from microcred.model.diagnostics import CODES, Diagnostic, Location

BROKEN = {
    "catalog.yaml": "catalog: {id: u, name: U}\n",
    "courses.yaml": "courses:\n  - {id: CSCI 1410, title: 12:30, credits: 3}\n",
    "credentials.yaml": (
        "taxonomy: {types: {badge: {}}}\n"
        "credentials:\n"
        "  - {id: b1, type: badge, title: B, requires: {course: CSCI 1411}}\n"
        "  - {id: b2, type: badge, title: B, requires: {gpa: 3, over: {subject: PHYS}}}\n"
    ),
}
WARN_ONLY = {"a.yaml": "courses:\n  - {id: CSCI 1410, title: T, credits: 3}\n", "empty.yaml": ""}


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    assert "Traceback" not in out.getvalue() + err.getvalue()
    return code, out.getvalue(), err.getvalue()


def run_process(*argv: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "microcred", *argv],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
        check=False,
    )
    assert "Traceback" not in proc.stdout + proc.stderr
    return proc


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    return write_files(tmp_path / "broken", BROKEN)


# --- exit codes ------------------------------------------------------------------------------


def test_example_catalogue_valid_json() -> None:
    code, out, _err = run("validate", str(EXAMPLE), "--format", "json")
    assert code == 0
    assert json.loads(out) == {"valid": True, "errors": [], "warnings": []}


def test_example_catalogue_valid_text() -> None:
    code, out, err = run("validate", str(EXAMPLE))
    assert (code, out) == (0, "")
    assert err.startswith("valid: 0 errors, 0 warnings")


def test_invalid_catalogue_exits_1(broken: Path) -> None:
    assert run("validate", str(broken))[0] == 1


def test_warnings_alone_exit_0(tmp_path: Path) -> None:
    root = write_files(tmp_path / "w", WARN_ONLY)
    code, out, _err = run("validate", str(root), "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["valid"] is True and doc["errors"] == []
    assert [w["code"] for w in doc["warnings"]] == ["W605"]


@pytest.mark.parametrize(
    "argv",
    [
        ["validate", "/no/such/catalogue"],
        ["validate"],
        ["validate", str(EXAMPLE), "--format", "xml"],
        ["validate", str(EXAMPLE), "--colour"],
        ["frobnicate"],
        [],
    ],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(*argv)
    assert code == 2
    assert out == ""
    # argparse writes its usage message to sys.stderr itself, not to ``err``
    assert err or capsys.readouterr().err  # says what is wrong


def test_missing_path_among_good_ones_exits_2(tmp_path: Path) -> None:
    code, _out, err = run("validate", str(EXAMPLE), str(tmp_path / "missing"))
    assert code == 2 and "no such file or directory" in err


def test_directory_without_yaml_exits_2(tmp_path: Path) -> None:
    code, _out, err = run("validate", str(tmp_path))
    assert code == 2 and "no .yaml or .yml files" in err


def test_single_file_path(broken: Path) -> None:
    code, out, _err = run("validate", str(broken / "courses.yaml"))
    assert code == 1
    assert (
        out == f"{broken / 'courses.yaml'}:2:28: E203 courses[0].title: expected a string, got the number 750 "
        "(put it in quotes if it is text; YAML reads 12:30 as 750 and 0101 as 65)\n"
    )


# --- formats -------------------------------------------------------------------------------------


def test_text_format(broken: Path) -> None:
    code, out, err = run("validate", str(broken), "--format", "text")
    assert code == 1
    lines = out.splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == [
        f"{broken / 'courses.yaml'}:2:28",
        f"{broken / 'credentials.yaml'}:3:56",
        f"{broken / 'credentials.yaml'}:4:62",
    ]
    assert [line.split(": ", 1)[1].split()[0] for line in lines] == ["E203", "E301", "W601"]
    assert err.startswith("invalid: 2 errors, 1 warning")


def test_json_format(broken: Path) -> None:
    code, out, _err = run("validate", str(broken), "--format", "json")
    assert code == 1
    doc = json.loads(out)
    assert doc["valid"] is False
    assert [(e["code"], e["line"], e["column"]) for e in doc["errors"]] == [("E203", 2, 28), ("E301", 3, 56)]
    assert [(w["code"], w["line"], w["column"]) for w in doc["warnings"]] == [("W601", 4, 62)]
    for item in doc["errors"] + doc["warnings"]:
        assert {"file", "line", "column", "code", "message"} <= set(item)
        assert Path(item["file"]).is_file()
        assert item["code"] in CODES
        assert isinstance(item["line"], int) and isinstance(item["column"], int)
    assert len(out.splitlines()) == 1  # one JSON document


def test_github_format(broken: Path) -> None:
    code, out, _err = run("validate", str(broken), "--format", "github")
    assert code == 1
    annotations = [line for line in out.splitlines() if line.startswith("::")]
    assert annotations[0].startswith(f"::error file={broken / 'courses.yaml'},line=2,col=28,title=E203::E203 ")
    assert annotations[1].startswith(f"::error file={broken / 'credentials.yaml'},line=3,col=56,title=E301::")
    assert annotations[2].startswith(f"::warning file={broken / 'credentials.yaml'},line=4,col=62,title=W601::")
    # the plain list follows, as GitHub shows only the first annotations of a step
    assert len([line for line in out.splitlines() if not line.startswith("::")]) == 3


def test_github_escaping() -> None:
    d = Diagnostic("E203", "50% done\nnext line\r: a, b", Location("dir,1/a:b%.yaml", 3, 4))
    line = format_github(d)
    assert line == "::error file=dir%2C1/a%3Ab%25.yaml,line=3,col=4,title=E203::E203 50%25 done%0Anext line%0D: a, b"
    assert "\n" not in line


def test_github_escaping_of_a_real_file_name(tmp_path: Path) -> None:
    root = write_files(tmp_path / "odd,dir", {"a:b.yaml": "courses:\n  - {id: X 1, title: no, credits: 1}\n"})
    code, out, _err = run("validate", str(root), "--format", "github")
    assert code == 1
    first = out.splitlines()[0]
    assert f"file={str(root).replace(',', '%2C')}/a%3Ab.yaml,line=2,col=22," in first


def test_several_paths_are_each_validated(tmp_path: Path, broken: Path) -> None:
    good = write_files(tmp_path / "good", WARN_ONLY)
    code, out, _err = run("validate", str(good), str(broken), "--format", "json")
    doc = json.loads(out)
    assert code == 1
    assert len(doc["errors"]) == 2 and len(doc["warnings"]) == 2


# --- every broken input gives diagnostics, never a traceback ----------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        b"\xff\xfe\x00garbage",
        b"courses: !!python/object/apply:os.system ['echo hi']\n",
        b"a: &a [*a]\n",
        b"[" * 5000,
        b"courses:\n  - " + b"{" * 100,
        b"\x00\x01\x02",
        "courses:\n  - {id: \u2028, title: \ud7ff, credits: 1e400}\n".encode(),
    ],
)
def test_no_traceback_on_broken_input(tmp_path: Path, content: bytes) -> None:
    root = write_files(tmp_path / "c", {"x.yaml": content})
    for fmt in ("text", "json", "github"):
        code, out, _err = run("validate", str(root), "--format", fmt)
        assert code in (0, 1)
        if fmt == "json":
            json.loads(out)


# --- schema ---------------------------------------------------------------------------------------


def test_schema_is_json() -> None:
    code, out, _err = run("schema")
    assert code == 0
    schema = json.loads(out)
    assert schema["title"] == "microcred catalogue file"
    assert set(schema["properties"]) == {"catalog", "taxonomy", "courses", "credentials", "frameworks", "recognition"}


def test_schema_accepts_the_example_catalogue() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    import yaml

    schema = json.loads(run("schema")[1])
    validator = jsonschema.Draft202012Validator(schema)
    validator.check_schema(schema)
    files = [path for path, _name in catalogue_files(EXAMPLE)]  # not its hidden programmes file
    assert files
    for path in files:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        errors = [e.message for e in validator.iter_errors(data)]
        assert errors == [], f"{path}: {errors}"


def test_schema_rejects_an_unknown_key() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(run("schema")[1])
    validator = jsonschema.Draft202012Validator(schema)
    assert list(validator.iter_errors({"courses": [{"id": "X 1", "title": "T", "credits": 3, "colour": "red"}]}))
    assert list(validator.iter_errors({"coursez": []}))


# --- as a process ----------------------------------------------------------------------------------


def test_process_valid_example_json() -> None:
    proc = run_process("validate", "catalog/example-university", "--format", "json")
    assert proc.returncode == 0
    assert json.loads(proc.stdout) == {"valid": True, "errors": [], "warnings": []}


def test_process_invalid_exits_1(broken: Path) -> None:
    proc = run_process("validate", str(broken))
    assert proc.returncode == 1
    assert proc.stdout.splitlines()[0].startswith(f"{broken / 'courses.yaml'}:2:28: E203 ")


def test_process_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run_process("validate", str(tmp_path / "missing")).returncode == 2
    proc = run_process("validate", "--format", "yaml", "catalog/example-university")
    assert proc.returncode == 2
    assert "usage:" in proc.stderr


def test_process_help_and_version() -> None:
    assert run_process("--help").returncode == 0
    proc = run_process("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("microcred ")
