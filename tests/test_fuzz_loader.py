"""Property tests: whatever bytes a catalogue file holds, reading and validating it never
raises and never hangs; every problem is a located diagnostic."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microcred.checks.validate import validate_catalog
from microcred.io.loader import catalogue_files, read_catalog_files
from microcred.model.diagnostics import CODES

EXAMPLE = Path(__file__).resolve().parent.parent / "catalog" / "example-university"
EXAMPLE_FILES = [path for path, _name in catalogue_files(EXAMPLE)]  # not its hidden programmes file
EXAMPLE_TEXTS = [p.read_text(encoding="utf-8") for p in EXAMPLE_FILES]

#: about 200 examples in all keep the suite fast; raise max_examples locally to fuzz longer
FUZZ = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)


def check_never_raises(texts: list[str | bytes]) -> None:
    """Write ``texts`` as catalogue files, read and validate them: all problems must be
    located diagnostics with known codes."""
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for i, text in enumerate(texts):
            path = Path(tmp) / f"f{i}.yaml"
            path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
            files.append((path, path.name))
        catalog, diagnostics = read_catalog_files(files)
        report = validate_catalog(catalog, diagnostics)
    names = {name for _p, name in files}
    for d in report.diagnostics:
        assert d.code in CODES, d
        assert d.location is not None, d
        assert d.location.file in names, d
        assert d.location.line >= 1 and d.location.column >= 1, d
        assert d.message, d
        str(d)
        d.to_dict()


# --- random text --------------------------------------------------------------------------


@settings(FUZZ, max_examples=40)
@given(st.binary(max_size=300))
def test_random_bytes(data: bytes) -> None:
    check_never_raises([data])


@settings(FUZZ, max_examples=40)
@given(st.text(max_size=200))
def test_random_text(text: str) -> None:
    check_never_raises([text.encode("utf-8", "replace")])


# --- YAML-ish text: YAML punctuation, keys of the format, anchors and tags -----------------

_TOKENS = [
    "courses:",
    "credentials:",
    "taxonomy:",
    "catalog:",
    "types:",
    "grade_scale:",
    "- ",
    "  ",
    "    ",
    "\n",
    ": ",
    ", ",
    "[",
    "]",
    "{",
    "}",
    "'",
    '"',
    "#",
    "&a ",
    "*a",
    "&b ",
    "*b",
    "<<: ",
    "!!str ",
    "!!int ",
    "!!python/object:os.system ",
    "!foo ",
    "---\n",
    "...\n",
    "|\n",
    ">-\n",
    "id",
    "title",
    "credits",
    "type",
    "requires",
    "course",
    "all",
    "any",
    "at_least",
    "of",
    "from",
    "courses",
    "credential",
    "gpa",
    "over",
    "min_grade",
    "shared",
    "complete_within",
    "years",
    "subject",
    "level",
    "attribute",
    "exclude",
    "ids",
    "stacks_into",
    "badge",
    "certificate",
    "CSCI 1410",
    "CSCI",
    "3000+",
    "3",
    "0",
    "-1",
    "4.5",
    "null",
    "yes",
    "no",
    "12:30",
    "0x1F",
    "2024-01-01",
    "A",
    "C",
    "P",
    "true",
    "?",
    "%",
    "\t",
    "é",
    "\x00",
]


@settings(FUZZ, max_examples=60)
@given(st.lists(st.sampled_from(_TOKENS), max_size=60))
def test_yamlish_text(tokens: list[str]) -> None:
    check_never_raises(["".join(tokens)])


# --- mutations of the example catalogue ---------------------------------------------------

_INSERTS = ["&a ", "*a", "!!tag ", "!!python/object/apply:os.system ", "<<: *a\n", "- ", ": ", "{", "]", "\t", "'"]


@st.composite
def mutated_example(draw: st.DrawFn) -> list[str]:
    texts = list(EXAMPLE_TEXTS)
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(texts) - 1))
        lines = texts[i].splitlines(keepends=True) or ["\n"]
        op = draw(st.sampled_from(["delete", "duplicate", "swap", "insert", "indent", "dedent"]))
        n = draw(st.integers(0, len(lines) - 1))
        if op == "delete":
            del lines[n]
        elif op == "duplicate":
            lines.insert(n, lines[n])
        elif op in ("indent", "dedent"):
            lines[n] = ("  " + lines[n]) if op == "indent" else lines[n][2:]
        else:
            text = "".join(lines)
            pos = draw(st.integers(0, max(len(text) - 2, 0)))
            if op == "swap" and len(text) > 1:
                text = text[:pos] + text[pos + 1] + text[pos] + text[pos + 2 :]
            else:
                text = text[:pos] + draw(st.sampled_from(_INSERTS)) + text[pos:]
            lines = [text]
        texts[i] = "".join(lines)
    return texts


@settings(FUZZ, max_examples=60)
@given(mutated_example())
def test_mutated_example_catalogue(texts: list[str]) -> None:
    check_never_raises(list(texts))
