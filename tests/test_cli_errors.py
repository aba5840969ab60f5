"""One error style across the command line: every bad input says what is wrong, where, and
how to fix it, with the same exit code everywhere, and never an internal error; no command
writes over one of its inputs; a file's ending and its content agree."""

from __future__ import annotations

import argparse
import io
import re
import zlib
from pathlib import Path

import pytest

from microcred.cli import build_parser, main
from microcred.cli.util import EXIT_INTERRUPTED, EXIT_INVALID, EXIT_OK, EXIT_USAGE, article, did_you_mean, plural

ROOT = Path(__file__).resolve().parent.parent
CATALOG = str(ROOT / "catalog/example-university")
EXAMPLES = ROOT / "examples/example-university"
EARNED = str(EXAMPLES / "transcripts/earned-certificate.yaml")
CSV = str(EXAMPLES / "learners.csv")


def run(*argv: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def clean(err: str) -> None:
    assert "internal error" not in err and "Traceback" not in err


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("keys")
    code, _o, err = run("keys", "generate", "--type", "ed25519", "--out", folder)
    assert code == 0, err
    return folder / "ed25519.pem"


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    ihdr = (1).to_bytes(4, "big") * 2 + bytes([8, 2, 0, 0, 0])
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0\0\0\0")) + chunk(b"IEND", b"")
    )


# -- words --------------------------------------------------------------------------------------


def test_plural_and_article() -> None:
    assert plural(1, "learner") == "1 learner" and plural(0, "learner") == "0 learners"
    assert plural(2, "match") == "2 matches" and plural(1.5, "credit") == "1.5 credits"
    assert [article(w) for w in ("SVG", "PNG", "iTXt", "JWT", "HTML page", "image", "URL")] == [
        "an SVG",
        "a PNG",
        "an iTXt",
        "a JWT",
        "an HTML page",
        "an image",
        "a URL",
    ]
    assert did_you_mean("data-foundatons", ["data-foundations", "x"]) == " (did you mean 'data-foundations'?)"


def test_counted_nouns_in_messages(tmp_path: Path) -> None:
    one = tmp_path / "one.csv"
    one.write_text("learner_id,course,date,grade\nA1,CSCI 1410,2024-12-15,A\n")
    code, _o, err = run("batch", "--catalog", CATALOG, one, "-o", tmp_path / "o.jsonl", "--no-cache")
    assert code == 0 and err.startswith("1 learner in ")
    code, _o, err = run("generate", "--catalog", CATALOG, "--learners", "1", "--as-of", "2026-01-01")
    assert code == 0 and "generated 1 learner, " in err


def test_a_selector_of_attributes_only_reads_as_words(tmp_path: Path) -> None:
    from microcred.rules.nodes import counted_from

    assert counted_from("with attribute ethics") == " with attribute ethics"
    assert counted_from("CSCI 2312, CSCI 2421") == " from: CSCI 2312, CSCI 2421"
    (tmp_path / "c.yaml").write_text(
        "taxonomy: {types: {badge: {}}}\n"
        "courses:\n  - {id: PHIL 1000, title: Ethics, credits: 3, attributes: [ethics]}\n"
        "credentials:\n  - {id: e, type: badge, title: E, requires: {courses: 1, from: {attribute: ethics}}}\n"
    )
    (tmp_path / "t.yaml").write_text("learner: {id: S1}\nattempts: []\n")
    code, out, err = run("evaluate", "--catalog", tmp_path / "c.yaml", tmp_path / "t.yaml", "--format", "json")
    assert code == 0, err
    assert "1 course with attribute ethics" in out and "from: with" not in out


# -- the exit codes -----------------------------------------------------------------------------


def _commands() -> set[str]:
    names: set[str] = set()

    def walk(parser: argparse.ArgumentParser, prefix: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    nested = any(isinstance(a, argparse._SubParsersAction) for a in sub._actions)
                    if nested:
                        walk(sub, f"{prefix}{name} ")
                    else:
                        names.add(prefix + name)

    walk(build_parser(), "")
    return names


def _exit_table() -> dict[str, dict[str, str]]:
    """The per-command exit code table of docs/cli.md: command -> {code: meaning}."""
    text = (ROOT / "docs/cli.md").read_text()
    section = text.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, dict[str, str]] = {}
    header: list[str] = []
    for line in section.splitlines():
        if not line.startswith("|") or set(line) <= set("|- "):
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells[0] == "command":
            header = cells
            continue
        if header:
            rows[cells[0].strip("`").removeprefix("microcred ")] = dict(zip(header[1:], cells[1:], strict=True))
    return rows


def test_the_exit_code_table_lists_every_command_and_the_codes_in_use() -> None:
    table = _exit_table()
    assert set(table) == _commands()
    for command, codes in table.items():
        assert set(codes) == {str(c) for c in (EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_INTERRUPTED)}, command
        assert codes["0"] and codes["2"], command  # every command succeeds and has usage errors


@pytest.mark.parametrize("command", sorted(_commands()))
def test_every_command_a_missing_file_is_exit_2(command: str, tmp_path: Path, key: Path) -> None:
    missing = tmp_path / "missing.yaml"
    argv: dict[str, list[object]] = {
        "validate": [missing],
        "evaluate": ["--catalog", CATALOG, missing],
        "batch": ["--catalog", CATALOG, missing, "-o", tmp_path / "o.jsonl"],
        "schema": [],
        "generate": ["--catalog", missing, "--learners", "1"],
        "keys generate": ["--type", "ed25519", "--out", tmp_path / "no" / "such" / "dir"],
        "keys publish": ["--issuer", "did:web:example.edu", "--key", missing, "--out", tmp_path / "site"],
        "badge issue": ["--catalog", CATALOG, missing, "--credential", "data-foundations", "--key", key, "-o", "x.jwt"],
        "badge verify": [missing],
        "clr": ["--catalog", CATALOG, missing, "--key", key, "-o", "-"],
        "export ctdl": ["--catalog", missing],
        "export ob2": ["--catalog", CATALOG, missing, "--credential", "x", "--base-url", "https://a.edu/", "-o", "d"],
        "export skills": ["--catalog", CATALOG, missing],
        "gaps": ["--catalog", CATALOG, missing, "--occupation", "15-1252.00"],
        "graph": ["--catalog", CATALOG, "--transcript", missing],
        "diff": [CATALOG, missing],
        "plan": ["--catalog", CATALOG, missing, "--target", "data-foundations"],
        "pathways": ["--catalog", CATALOG, "--from", "data-foundations", "--transcript", missing],
        "metrics": ["--catalog", CATALOG, missing],
        "recognition import-ctdl": [missing, "--catalog", CATALOG],
    }[command]
    code, _o, err = run(*command.split(), *argv)
    if command == "schema":
        assert code == EXIT_OK
        return
    assert code == EXIT_USAGE, err
    clean(err)
    assert err.startswith(f"microcred {command}: "), err
    assert "; " in err  # what is wrong; how to fix it


def test_the_same_bad_key_is_exit_2_in_badge_issue_and_clr(tmp_path: Path) -> None:
    bad = tmp_path / "key.pem"
    bad.write_text("not a key\n")
    common = ["--catalog", CATALOG, EARNED, "--key", bad]
    code1, _o, err1 = run("badge", "issue", *common, "--credential", "data-foundations", "-o", tmp_path / "b.jwt")
    code2, _o, err2 = run("clr", *common, "-o", tmp_path / "c.jwt")
    assert code1 == code2 == EXIT_USAGE
    assert f"--key {bad}: not a key file" in err1 and f"--key {bad}: not a key file" in err2


# -- messages that say the right thing --------------------------------------------------------


def test_a_directory_is_not_reported_as_missing(tmp_path: Path) -> None:
    code, _o, err = run("evaluate", "--catalog", CATALOG, tmp_path)
    assert code == 2 and f"{tmp_path}: is a directory, not a transcript file" in err
    code, _o, err = run("graph", "--catalog", CATALOG, "--transcript", tmp_path)
    assert code == 2 and "is a directory" in err


def test_validate_dev_null_is_not_a_missing_file() -> None:
    code, _o, err = run("validate", "/dev/null")
    assert code == 2 and "not a regular file" in err and "no such file" not in err


def test_keys_generate_out_a_file_says_so(tmp_path: Path) -> None:
    target = tmp_path / "k.pem"
    target.write_text("x")
    code, _o, err = run("keys", "generate", "--type", "ed25519", "--out", target)
    assert code == 2 and f"--out {target}: is a file, not a folder" in err and "cannot create" not in err


def test_a_bad_email_is_not_a_missing_one(tmp_path: Path, key: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _o, _e = run(
        "badge", "issue", "--catalog", CATALOG, EARNED, "--credential", "data-foundations", "--key", key,
        "-o", tmp_path / "b.jwt", "--email", "not an email",
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "is not an email address" in err and "has no email" not in err
    assert not (tmp_path / "b.jwt").exists()


def test_an_id_that_is_not_a_uri_is_refused(tmp_path: Path, key: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _o, _e = run(
        "badge", "issue", "--catalog", CATALOG, EARNED, "--credential", "data-foundations", "--key", key,
        "-o", tmp_path / "b.jwt", "--id", "hello world",
    )  # fmt: skip
    assert code == 2 and "is not a URI" in capsys.readouterr().err
    assert not (tmp_path / "b.jwt").exists()


def test_ctdl_registry_must_be_a_url(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _e = run("export", "ctdl", "--catalog", CATALOG, "--registry", "not a url")
    assert code == 2 and out == "" and "is not an http(s) URL" in capsys.readouterr().err


def test_pathways_offers_the_learner_option_it_asks_for() -> None:
    code, _o, err = run("pathways", "--catalog", CATALOG, "--from", "data-foundations", "--transcript", CSV)
    assert code == 2 and "choose one with --learner ID" in err
    code, out, err = run(
        "pathways", "--catalog", CATALOG, "--from", "data-foundations", "--transcript", CSV, "--learner", "S2001"
    )
    assert code == 0, err
    assert "for S2001" in out


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["evaluate", "--catalog", CATALOG, EARNED, "--credential", "data-foundatons"], "--credential"),
        (["plan", "--catalog", CATALOG, EARNED, "--target", "data-foundatons"], "--target"),
        (["pathways", "--catalog", CATALOG, "--from", "data-foundatons"], "--from"),
        (["graph", "--catalog", CATALOG, "--transcript", CSV, "--learner", "S20001"], "--learner"),
        (["pathways", "--catalog", CATALOG, "--from", "data-foundations", "--transcript", CSV,
          "--learner", "S201"], "--learner"),
    ],
)  # fmt: skip
def test_did_you_mean_for_every_id(argv: list[str], option: str) -> None:
    code, _o, err = run(*argv)
    assert code == 2 and err.startswith(f"microcred {argv[0]}: {option} ") and "(did you mean '" in err


def test_did_you_mean_for_a_badge_credential(tmp_path: Path, key: Path) -> None:
    code, _o, err = run(
        "badge", "issue", "--catalog", CATALOG, EARNED, "--credential", "data-foundatons", "--key", key,
        "-o", tmp_path / "b.jwt",
    )  # fmt: skip
    assert code == 2 and "(did you mean 'data-foundations'?)" in err


def test_did_you_mean_for_a_command_and_an_option(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("evalute")[0] == 2
    assert "did you mean 'evaluate'" in capsys.readouterr().err
    assert run("validate", "--format", "jsn", CATALOG)[0] == 2
    assert "did you mean 'json'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("value", "words"),
    [("-1", "must not be negative, got -1"), (".nan", "got .nan, which is not a usable number")],
)
def test_pydantic_words_do_not_leak(tmp_path: Path, value: str, words: str) -> None:
    (tmp_path / "t.yaml").write_text(
        f"learner: {{id: S1}}\nattempts:\n  - {{course: CSCI 1410, date: 2024-01-01, grade: A, credits: {value}}}\n"
    )
    code, _o, err = run("evaluate", "--catalog", CATALOG, tmp_path / "t.yaml")
    assert code == 1 and words in err and "Input should" not in err


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_generate_far_dates_are_a_usage_error(day: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _e = run("generate", "--catalog", CATALOG, "--learners", "2", "--as-of", day)
    err = capsys.readouterr().err
    assert code == 2 and out == "" and "out of range" in err
    clean(err)


# -- outputs ------------------------------------------------------------------------------------


def test_evaluate_never_writes_over_its_input(tmp_path: Path) -> None:
    own = tmp_path / "self.yaml"
    own.write_bytes(Path(EARNED).read_bytes())
    code, _o, err = run("evaluate", "--catalog", CATALOG, own, "-o", own)
    assert code == 2 and "is also an input" in err
    assert own.read_bytes() == Path(EARNED).read_bytes()


def test_graph_png_is_refused_not_filled_with_svg(tmp_path: Path) -> None:
    code, _o, err = run("graph", "--catalog", CATALOG, "-o", tmp_path / "x.png")
    assert code == 2 and "names PNG" in err and not (tmp_path / "x.png").exists()
    code, _o, err = run("graph", "--catalog", CATALOG, "-o", tmp_path / "x.svg", "--format", "dot")
    assert code == 2 and "does not match --format dot" in err


def test_evaluate_format_follows_the_ending(tmp_path: Path) -> None:
    code, _o, err = run("evaluate", "--catalog", CATALOG, EARNED, "-o", tmp_path / "r.html")
    assert code == 0, err
    assert (tmp_path / "r.html").read_text().lstrip().lower().startswith("<!doctype html")
    code, _o, err = run("evaluate", "--catalog", CATALOG, EARNED, "-o", tmp_path / "r.svg")
    assert code == 2 and "names SVG" in err


def test_a_png_badge_is_not_written_into_an_svg(tmp_path: Path, key: Path) -> None:
    image = tmp_path / "badge.png"
    image.write_bytes(_png())
    base = ["badge", "issue", "--catalog", CATALOG, EARNED, "--credential", "data-foundations", "--key", key]
    code, _o, err = run(*base, "--image", image, "-o", tmp_path / "out.svg")
    assert code == 2 and "end it in .png" in err and not (tmp_path / "out.svg").exists()
    code, _o, err = run(*base, "-o", tmp_path / "out.png")
    assert code == 2 and "end it in .jwt" in err
    code, _o, err = run(*base, "--image", image, "-o", tmp_path / "out.png")
    assert code == 0, err
    assert "baked into a PNG" in err


def test_ob2_does_not_create_a_chain_of_folders(tmp_path: Path) -> None:
    target = tmp_path / "nope" / "a" / "b"
    code, _o, err = run(
        "export", "ob2", "--catalog", CATALOG, EARNED, "--credential", "data-foundations",
        "--base-url", "https://badges.example.edu/ob2", "-o", target,
    )  # fmt: skip
    assert code == 2 and "does not exist" in err
    assert not (tmp_path / "nope").exists()


def test_batch_never_writes_over_its_input(tmp_path: Path) -> None:
    own = tmp_path / "self.csv"
    own.write_bytes(Path(CSV).read_bytes())
    code, _o, err = run("batch", "--catalog", CATALOG, own, "-o", own)
    assert code == 2 and "is also an input" in err
    assert own.read_bytes() == Path(CSV).read_bytes()


# -- help ---------------------------------------------------------------------------------------


def test_every_option_has_help() -> None:
    missing: list[str] = []

    def walk(parser: argparse.ArgumentParser, name: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub_name, sub in action.choices.items():
                    walk(sub, f"{name} {sub_name}")
            elif action.option_strings and not action.help and "-h" not in action.option_strings:
                missing.append(f"{name} {'/'.join(action.option_strings)}")

    walk(build_parser(), "microcred")
    assert missing == []


def test_the_error_line_names_the_command_and_the_option(tmp_path: Path) -> None:
    code, _o, err = run("batch", "--catalog", CATALOG, CSV, "-o", tmp_path)
    assert code == 2
    assert re.match(rf"microcred batch: -o {re.escape(str(tmp_path))}: is a directory; give a file name", err)
