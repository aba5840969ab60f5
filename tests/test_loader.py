"""Reading catalogue files: strict, safe YAML with every problem located (E1xx, E2xx, W605)."""

from __future__ import annotations

import itertools
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import BASE, EXAMPLE, Checker

import microcred.io.yamlsource as yamlsource
from microcred.checks.validate import ValidationReport, load_catalog
from microcred.io.loader import PathError, catalogue_files, read_catalog, read_catalog_files
from microcred.io.yamlsource import YamlLoadError, parse_yaml
from microcred.model.diagnostics import Diagnostic, MicrocredError

Run = Callable[[str], ValidationReport]

COURSE = "courses:\n  - {id: CSCI 1410, title: Fundamentals, credits: 3}\n"


# --- the example catalogue -----------------------------------------------------------------


def test_example_catalogue_is_valid() -> None:
    catalog = load_catalog(EXAMPLE)
    assert len(catalog.courses) > 50
    assert "bas-information-systems" in catalog.credentials
    assert catalog.info is not None and catalog.info.id == "example-university"


def test_subject_and_level_default_from_the_id(check: Checker) -> None:
    report = check(
        "courses:\n"
        "  - {id: CSCI 1410, title: A, credits: 3}\n"
        "  - {id: MATH-3191, title: B, credits: 3}\n"
        "  - {id: ENGL 2030, title: C, credits: 3, subject: WRIT, level: 2500}\n"
        "  - {id: Capstone, title: D, credits: 3}\n"
    )
    assert report.valid
    assert report.catalog is not None
    courses = report.catalog.courses
    assert (courses["CSCI 1410"].subject, courses["CSCI 1410"].level) == ("CSCI", 1000)
    assert (courses["MATH-3191"].subject, courses["MATH-3191"].level) == ("MATH", 3000)
    assert (courses["ENGL 2030"].subject, courses["ENGL 2030"].level) == ("WRIT", 2500)
    assert (courses["Capstone"].subject, courses["Capstone"].level) == (None, None)


def test_sections_merge_across_files(check: Checker) -> None:
    report = check(
        {
            "a.yaml": BASE + "  - {id: b1, type: badge, title: B, requires: {course: MATH 1110}}\n",
            "more/b.yml": "courses:\n  - {id: PHIL 1020, title: Ethics, credits: 3}\n",
            "more/c.yaml": "credentials:\n  - {id: c1, type: certificate, title: C, requires: "
            "{all: [{credential: b1}, {course: PHIL 1020}]}}\n",
            ".hidden/d.yaml": "not: [a catalogue",  # hidden directories are skipped
            "notes.txt": "not yaml at all: [",  # so are files that are not .yaml/.yml
        }
    )
    assert report.valid, report.diagnostics
    assert report.catalog is not None
    assert set(report.catalog.credentials) == {"b1", "c1"}
    assert "PHIL 1020" in report.catalog.courses


def test_catalogue_files_sorted_and_path_errors(tmp_path: Path) -> None:
    (tmp_path / "b.yaml").write_text(COURSE)
    (tmp_path / "a.yml").write_text("")
    assert [name for _p, name in catalogue_files(tmp_path)] == [str(tmp_path / "a.yml"), str(tmp_path / "b.yaml")]
    with pytest.raises(PathError, match="no such file"):
        read_catalog(tmp_path / "missing")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(PathError, match=r"no \.yaml or \.yml files"):
        read_catalog(empty)


def test_load_catalog_raises_with_every_error(check: Checker) -> None:
    check("courses:\n  - {id: X 1000, title: 12:30, credits: 3}\n  - {id: X 2000, title: no, credits: 3}\n")
    with pytest.raises(MicrocredError) as info:
        load_catalog(check.last_root)
    assert [d.code for d in info.value.diagnostics] == ["E203", "E203"]
    assert "catalog.yaml:2:" in str(info.value) and "catalog.yaml:3:" in str(info.value)


# --- E100 file cannot be read ----------------------------------------------------------------


def test_e100_missing_file(tmp_path: Path) -> None:
    _cat, diags = read_catalog_files([(tmp_path / "gone.yaml", "gone.yaml"), (tmp_path, "dir.yaml")])
    found = [(d.code, d.location.file, d.location.line, d.location.column) for d in diags if d.location]
    assert found == [("E100", "gone.yaml", 1, 1), ("E100", "dir.yaml", 1, 1)]
    assert "No such file" in diags[0].message and "directory" in diags[1].message


def test_e100_non_utf8_bytes_located(check: Checker) -> None:
    report = check({"latin1.yaml": b"courses:\n  - {id: CSCI 1410, title: Caf\xe9, credits: 3}\n"})
    file, line, col, msg = check.one(report, "E100")
    assert (file, line, col) == ("latin1.yaml", 2, 31)
    assert "UTF-8" in msg and "0xe9" in msg


def test_e100_truncated_utf8_sequence(check: Checker) -> None:
    report = check({"cut.yaml": b"courses: []\n# caf\xc3"})
    assert check.one(report, "E100")[:3] == ("cut.yaml", 2, 6)


def test_utf8_bom_is_accepted(check: Checker) -> None:
    report = check({"bom.yaml": "\ufeff".encode() + COURSE.encode()})
    assert report.valid, report.diagnostics


# --- E101 YAML syntax ------------------------------------------------------------------------


def test_e101_syntax_error(check: Checker) -> None:
    report = check("courses:\n  - {id: CSCI 1410, title: T, credits: 3\n  - {id: CSCI 2312}\n")
    file, line, _col, msg = check.one(report, "E101")
    assert (file, line) == ("catalog.yaml", 3)
    assert msg.startswith("YAML syntax error")


def test_e101_control_character(check: Checker) -> None:
    report = check({"ctl.yaml": "courses:\n  - {id: CSCI 1410, title: Bell\x07, credits: 3}\n"})
    assert check.one(report, "E101")[:3] == ("ctl.yaml", 2, 32)


def test_e101_tab_indentation(check: Checker) -> None:
    report = check("courses:\n\t- {id: CSCI 1410, title: T, credits: 3}\n")
    assert check.one(report, "E101")[:2] == ("catalog.yaml", 2)


# --- E102 duplicate key ----------------------------------------------------------------------


def test_e102_duplicate_key_in_a_mapping(check: Checker) -> None:
    report = check(
        "courses:\n  - id: CSCI 1410\n    title: Fundamentals\n    credits: 3\n    title: Fundamentals of Computing\n"
    )
    file, line, col, msg = check.one(report, "E102")
    assert (file, line, col) == ("catalog.yaml", 5, 5)
    assert "'title'" in msg and "first at line 3, column 5" in msg


def test_e102_duplicate_top_level_section(check: Checker) -> None:
    report = check(COURSE + "credentials: []\ncourses: []\n")
    assert check.one(report, "E102")[:3] == ("catalog.yaml", 4, 1)


def test_e102_duplicate_key_in_flow_mapping(check: Checker) -> None:
    report = check("courses:\n  - {id: CSCI 1410, title: T, credits: 3, credits: 4}\n")
    assert check.one(report, "E102")[:3] == ("catalog.yaml", 2, 43)


# --- E103 aliases and nesting ----------------------------------------------------------------


def _billion_laughs() -> str:
    lines = ["lol: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    names = "abcdefghij"
    for prev, name in itertools.pairwise(names):
        lines.append(f"{name}{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    lines.append("courses: *j")
    return "\n".join(lines) + "\n"


def test_e103_billion_laughs_fails_fast() -> None:
    # 10**10 nodes once expanded: it must stop at the alias bound, not expand
    with pytest.raises(YamlLoadError) as info:
        parse_yaml(_billion_laughs(), "lol.yaml")
    d = info.value.diagnostic
    assert d.code == "E103"
    assert d.location is not None and d.location.file == "lol.yaml"
    assert "billion laughs" in d.message


def test_e103_billion_laughs_in_a_catalogue(check: Checker) -> None:
    report = check({"lol.yaml": _billion_laughs()})
    assert [d.code for d in report.diagnostics] == ["E103"]


def test_aliases_within_the_bound_are_fine() -> None:
    doc = parse_yaml("a: &x [1, 2]\nb: *x\nc: *x\n", "f.yaml")
    assert doc.data == {"a": [1, 2], "b": [1, 2], "c": [1, 2]}


def test_e103_alias_bound_is_configurable() -> None:
    with pytest.raises(YamlLoadError) as info:
        parse_yaml("a: &x [1, 2, 3]\nb: [*x, *x, *x]\n", "f.yaml", max_alias_nodes=5)
    assert info.value.diagnostic.code == "E103"
    # the aliased node shares its anchor's position: the error points at what is expanded too often
    assert info.value.diagnostic.location is not None and info.value.diagnostic.location.line == 1


def test_e103_deep_block_nesting(check: Checker) -> None:
    text = "courses:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(80)) + "  " * 81 + "v\n"
    report = check({"deep.yaml": text})
    file, line, _col, msg = check.one(report, "E103")
    assert file == "deep.yaml"
    assert line == yamlsource.MAX_DEPTH + 2  # the first mapping deeper than the bound
    assert "nesting deeper than" in msg


@pytest.mark.parametrize("depth", [100, 20_000])
def test_e103_deep_flow_nesting(check: Checker, depth: int) -> None:
    report = check({"deep.yaml": "courses: " + "[" * depth + "]" * depth + "\n"})
    assert [d.code for d in report.diagnostics] == ["E103"]
    assert check.one(report, "E103")[1] == 1


# --- E104 tags -------------------------------------------------------------------------------


def test_e104_python_tag_runs_no_code(check: Checker, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    report = check(
        {
            "evil.yaml": COURSE
            + f"credentials: !!python/object/apply:os.system ['touch {marker}']\n"
            + "taxonomy: !!python/object/new:os.system ['touch "
            + str(marker)
            + "']\n"
        }
    )
    assert not marker.exists()
    file, line, col, msg = check.one(report, "E104")
    assert (file, line, col) == ("evil.yaml", 3, 14)
    assert "python/object/apply:os.system" in msg


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("courses:\n  - !!python/object:collections.OrderedDict {id: x}\n", (2, 5)),
        ("courses:\n  - {id: !custom CSCI 1410, title: T, credits: 3}\n", (2, 10)),
        ("courses: !!set {a, b}\n", (1, 10)),
        ("courses:\n  - {id: X 1, title: !!binary aGVsbG8=, credits: 3}\n", (2, 22)),
    ],
)
def test_e104_other_tags(check: Checker, text: str, where: tuple[int, int]) -> None:
    assert check.one(check(text), "E104")[1:3] == where


def test_core_tags_are_allowed(check: Checker) -> None:
    report = check("courses:\n  - {id: !!str 1410, title: !!str 12:30, credits: !!int '3'}\n")
    assert report.valid, report.diagnostics
    assert report.catalog is not None and report.catalog.courses["1410"].title == "12:30"


# --- E105 file too large -----------------------------------------------------------------------


def test_e105_file_over_the_size_limit(check: Checker, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamlsource, "MAX_FILE_BYTES", 20)
    report = check({"big.yaml": COURSE, "small.yaml": "courses: []\n"})
    file, line, col, msg = check.one(report, "E105")
    assert (file, line, col) == ("big.yaml", 1, 1)
    assert "limit" in msg
    assert [d.code for d in report.diagnostics] == ["E105"]  # the small file is read as usual


# --- E201 unknown keys, with "did you mean" ---------------------------------------------------


def test_e201_unknown_top_level_key(check: Checker) -> None:
    report = check(COURSE + "credentails: []\n")
    file, line, col, msg = check.one(report, "E201")
    assert (file, line, col) == ("catalog.yaml", 3, 1)
    assert "did you mean 'credentials'?" in msg


def test_e201_unknown_course_key(check: Checker) -> None:
    report = check("courses:\n  - {id: CSCI 1410, title: T, credits: 3, atributes: [quant]}\n")
    file, line, col, msg = check.one(report, "E201")
    assert (file, line, col) == ("catalog.yaml", 2, 43)
    assert "did you mean 'attributes'?" in msg


def test_e201_without_close_match_lists_the_allowed_keys(check: Checker) -> None:
    report = check("courses:\n  - {id: CSCI 1410, title: T, credits: 3, colour: red}\n")
    msg = check.one(report, "E201")[3]
    assert "did you mean" not in msg and "allowed here: id, title, credits" in msg


def test_e201_unknown_key_in_a_rule_and_selector(credentials: Run) -> None:
    report = credentials(
        """
        - id: b1
          type: badge
          title: B
          requires:
            courses: 1
            from: {subjet: CSCI}
            min_grad: C
        """
    )
    found = sorted((d.location.line, d.location.column, d.message) for d in report.diagnostics if d.location)
    assert [(line, col) for line, col, _m in found] == [(15, 14), (16, 7)]
    assert "did you mean 'subject'?" in found[0][2]
    assert "did you mean 'min_grade'?" in found[1][2]


def test_e201_unknown_taxonomy_and_catalog_keys(check: Checker) -> None:
    report = check(
        "catalog: {id: u, name: U, isuer: {name: U}}\ntaxonomy:\n  types:\n    badge: {stack_into: [certificate]}\n"
    )
    msgs = {(d.location.line, d.location.column): d.message for d in report.diagnostics if d.location}
    assert set(msgs) == {(1, 27), (4, 13)}
    assert "did you mean 'issuer'?" in msgs[1, 27]
    assert "did you mean 'stacks_into'?" in msgs[4, 13]


# --- E202 required key missing -----------------------------------------------------------------


def test_e202_missing_required_keys(check: Checker) -> None:
    report = check(
        "catalog: {id: u}\ncourses:\n  - {id: CSCI 1410, credits: 3}\ncredentials:\n  - id: b1\n    title: B\n"
    )
    found = sorted((d.location.line, d.location.column, d.message) for d in report.diagnostics if d.location)
    assert [d.code for d in report.diagnostics] == ["E202", "E202", "E202"]
    assert [(line, col) for line, col, _m in found] == [(1, 10), (3, 5), (5, 5)]
    assert "'name'" in found[0][2] and "'title'" in found[1][2] and "'type'" in found[2][2]


# --- E203 invalid values, including YAML 1.1 traps ---------------------------------------------


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("12:30", "the number 750"),  # sexagesimal
        ("no", "false"),  # YAML 1.1 boolean
        ("on", "true"),
        ("0101", "the number 65"),  # octal
        ("1.10", "the number 1.1"),
        ("2024-01-01", "the date 2024-01-01"),
        ("~", "nothing (null)"),
    ],
)
def test_e203_yaml_11_traps_expected_string(check: Checker, value: str, words: str) -> None:
    report = check(f"courses:\n  - {{id: CSCI 1410, title: {value}, credits: 3}}\n")
    file, line, col, msg = check.one(report, "E203")
    assert (file, line, col) == ("catalog.yaml", 2, 28)
    assert "expected a string" in msg and words in msg


def test_e203_quoted_values_are_strings(check: Checker) -> None:
    report = check(
        "courses:\n  - {id: CSCI 1410, title: '12:30', credits: 3}\n  - {id: X 1, title: \"no\", credits: 1}\n"
    )
    assert report.valid, report.diagnostics


@pytest.mark.parametrize(
    ("line", "where", "words"),
    [
        ("  - {id: CSCI 1410, title: T, credits: three}", (2, 40), "expected a number"),
        ("  - {id: CSCI 1410, title: T, credits: -1}", (2, 40), "must not be negative, got -1"),
        ("  - {id: CSCI 1410, title: T, credits: 3, level: '3000'}", (2, 50), "whole number"),
        ("  - {id: 1410, title: T, credits: 3}", (2, 10), "the number 1410"),
        ("  - {id: CSCI 1410, title: T, credits: 3, attributes: quant}", (2, 55), "a list"),
        ("  - just a string", (2, 5), "a mapping"),
    ],
)
def test_e203_course_values(check: Checker, line: str, where: tuple[int, int], words: str) -> None:
    report = check("courses:\n" + line + "\n")
    _file, ln, col, msg = check.one(report, "E203")
    assert (ln, col) == where
    assert words in msg


def test_e203_sections_of_the_wrong_shape(check: Checker) -> None:
    report = check("courses: {id: CSCI 1410}\ncredentials: 3\n")
    found = [(d.code, d.location.line, d.location.column) for d in report.diagnostics if d.location]
    assert found == [("E203", 1, 10), ("E203", 2, 14)]


def test_e203_file_not_a_mapping(check: Checker) -> None:
    report = check("- {id: CSCI 1410, title: T, credits: 3}\n")
    _file, line, col, msg = check.one(report, "E203")
    assert (line, col) == (1, 1) and "must be a mapping" in msg


@pytest.mark.parametrize(
    ("rule", "col", "words"),
    [
        # the rule starts at column 47
        ('{courses: 1, from: {level: "3000++"}}', 74, "not understood"),
        ('{courses: 1, from: {level: "3000-1000"}}', 74, "empty"),
        ("{courses: 0, from: {subject: CSCI}}", 57, "must be at least 1, got 0"),
        ("{course: CSCI 1410, complete_within: {}}", 84, "give `years` or `months`"),
        ("{course: CSCI 1410, shared: yes please}", 75, "true or false"),
        ("{credits: 3, from: {credentials: {}}}", 80, "give `ids` or `type`"),
        ("{all: []}", 53, "at least 1 item"),
    ],
)
def test_e203_rule_values(credentials: Run, rule: str, col: int, words: str) -> None:
    report = credentials(f"- {{id: b1, type: badge, title: B, requires: {rule}}}\n")
    errors = [d for d in report.diagnostics if d.code == "E203"]
    assert len(errors) == 1, report.diagnostics
    assert errors[0].location is not None
    assert (errors[0].location.line, errors[0].location.column) == (10, col)
    assert words in errors[0].message


def test_e203_taxonomy_values(check: Checker) -> None:
    report = check(
        "taxonomy:\n"
        "  grade_scale: {A: 4, B: high, P: {points: null, passing: maybe}}\n"
        "  types:\n"
        "    badge: {credits: {min: 3, max: 1}}\n"
    )
    found = sorted((d.code, d.location.line, d.location.column) for d in report.diagnostics if d.location)
    assert found == [("E203", 2, 26), ("E203", 2, 59), ("E203", 4, 22)]


def test_e203_repeats_policy(check: Checker) -> None:
    report = check("catalog: {id: u, name: U, repeats: first}\n")
    _file, line, col, msg = check.one(report, "E203")
    assert (line, col) == (1, 36) and "'best'" in msg and "'latest'" in msg


# --- E204 rule is not exactly one node -----------------------------------------------------------


def test_e204_two_node_keys(credentials: Run) -> None:
    report = credentials(
        """
        - id: b1
          type: badge
          title: B
          requires:
            course: CSCI 1410
            all: [{course: CSCI 2312}]
        """
    )
    _file, line, col, msg = check_one(report, "E204")
    assert (line, col) == (14, 7)
    assert "'course' and 'all'" in msg


def test_e204_no_node_key_did_you_mean(credentials: Run) -> None:
    report = credentials(
        """
        - id: b1
          type: badge
          title: B
          requires:
            all:
              - {cours: CSCI 1410}
              - course: CSCI 2312
        """
    )
    _file, line, col, msg = check_one(report, "E204")
    assert (line, col) == (15, 11)
    assert "did you mean 'course'?" in msg


def test_e204_rule_not_a_mapping(credentials: Run) -> None:
    report = credentials("- {id: b1, type: badge, title: B, requires: CSCI 1410}\n")
    _file, line, col, msg = check_one(report, "E204")
    assert (line, col) == (10, 47)
    assert "must be a mapping" in msg


def check_one(report: ValidationReport, code: str) -> tuple[str, int, int, str]:
    found = [d for d in report.diagnostics if d.code == code]
    assert len(found) == 1, report.diagnostics
    loc = found[0].location
    assert loc is not None
    return loc.file, loc.line, loc.column, found[0].message


# --- E205 id defined twice ---------------------------------------------------------------------


def test_e205_duplicate_course_across_files_names_both_places(check: Checker) -> None:
    report = check(
        {
            "courses/a.yaml": COURSE,
            "courses/b.yaml": (
                "courses:\n  - {id: MATH 1110, title: M, credits: 4}\n  - {id: CSCI 1410, title: Again, credits: 3}\n"
            ),
        }
    )
    file, line, col, msg = check.one(report, "E205")
    assert (file, line, col) == ("courses/b.yaml", 3, 5)
    assert f"{check.last_root / 'courses/a.yaml'}:2:5" in msg


def test_e205_duplicate_credential_type_and_catalog(check: Checker) -> None:
    report = check(
        {
            "a.yaml": "catalog: {id: u, name: U}\ntaxonomy:\n  types:\n    badge: {}\n"
            "credentials:\n  - {id: b1, type: badge, title: B}\n",
            "b.yaml": "catalog: {id: v, name: V}\ntaxonomy:\n  types:\n    badge: {}\n"
            "credentials:\n  - {id: b1, type: badge, title: B}\n",
        }
    )
    found = sorted((where_of(d, check.last_root), d.message) for d in report.diagnostics)
    assert [w for w, _m in found] == [("b.yaml", 1, 10), ("b.yaml", 4, 12), ("b.yaml", 6, 5)]
    assert all(d.code == "E205" for d in report.diagnostics)
    assert all(str(check.last_root / "a.yaml") in m for _w, m in found)


def where_of(d: Diagnostic, root: Path) -> tuple[str, int, int]:
    assert d.location is not None
    return (Path(d.location.file).relative_to(root).as_posix(), d.location.line, d.location.column)


def test_e205_duplicate_grade_scale(check: Checker) -> None:
    report = check({"a.yaml": "taxonomy: {grade_scale: {A: 4}}\n", "b.yaml": "taxonomy:\n  grade_scale: {A: 4}\n"})
    assert check.one(report, "E205")[:3] == ("b.yaml", 2, 16)


# --- W605 empty file --------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "# only a comment\n", "---\n", "\n\n"])
def test_w605_empty_file(check: Checker, text: str) -> None:
    report = check({"empty.yaml": text, "real.yaml": COURSE})
    assert report.valid
    assert check.one(report, "W605")[:3] == ("empty.yaml", 1, 1)


# --- every error of a run is collected --------------------------------------------------------


def test_all_errors_are_collected(check: Checker) -> None:
    report = check(
        textwrap.dedent(
            """\
            courses:
              - {id: CSCI 1410, title: Fundamentals, credits: three}
              - {id: CSCI 2312, title: 12:30, credits: 3}
              - {id: CSCI 2421, title: Data Structures, credits: 3, colour: blue}
            """
        )
    )
    assert [(d.code, d.location.line) for d in report.diagnostics if d.location] == [
        ("E203", 2),
        ("E203", 3),
        ("E201", 4),
    ]


def test_errors_in_several_files_are_all_reported(check: Checker) -> None:
    report = check(
        {
            "a.yaml": "courses:\n  - {id: X 1, title: T, credits: 3, credits: 4}\n",  # E102 stops this file
            "b.yaml": "courses: [\n",  # E101
            "c.yaml": b"title: \xff\n",  # E100
            "d.yaml": BASE + "  - {id: b1, type: badge, title: B, requires: {course: NOPE 1000}}\n",  # E301
        }
    )
    assert sorted(d.code for d in report.diagnostics) == ["E100", "E101", "E102", "E301"]


def test_merge_keys_are_read(check: Checker) -> None:
    report = check(
        "courses:\n"
        "  - &base {id: CSCI 1410, title: Fundamentals, credits: 3, attributes: [quant]}\n"
        "  - {<<: *base, id: CSCI 1411, title: Lab, credits: 1}\n"
    )
    assert report.valid, report.diagnostics
    assert report.catalog is not None
    lab = report.catalog.courses["CSCI 1411"]
    assert (lab.title, lab.credits, lab.attributes) == ("Lab", 1, ["quant"])


def test_merge_key_needs_a_mapping(check: Checker) -> None:
    report = check("courses:\n  - {<<: [1, 2], id: CSCI 1410, title: T, credits: 3}\n")
    assert check.one(report, "E203")[1:3] == (2, 11)


@pytest.mark.parametrize("libyaml", [True, False], ids=["libyaml", "pure-python"])
def test_reader_errors_are_located_with_either_parser(monkeypatch: pytest.MonkeyPatch, libyaml: bool) -> None:
    import yaml

    if libyaml and not yamlsource._LIBYAML:
        pytest.skip("PyYAML was built without libyaml")
    monkeypatch.setattr(yamlsource, "_Loader", yaml.CSafeLoader if libyaml else yaml.SafeLoader)
    monkeypatch.setattr(yamlsource, "_LIBYAML", libyaml)
    cases = [
        ("a: é\nb: x\x01\n".encode(), ("E101", 2, 5)),  # a control character after a 2-byte one
        (b"a: caf\xe9\n", ("E100", 1, 7)),
        (b"a: b\nc: \xc3", ("E100", 2, 4)),  # a sequence cut short at the end
        ("a: é\nb: x\x01\n", ("E101", 2, 5)),  # text rather than bytes
    ]
    for data, expected in cases:
        with pytest.raises(YamlLoadError) as info:
            parse_yaml(data, "f.yaml")
        d = info.value.diagnostic
        assert d.location is not None
        assert (d.code, d.location.line, d.location.column) == expected, data
