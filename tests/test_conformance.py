"""Conformance cases: each file in tests/conformance/ holds a catalogue, a transcript and the
expected result, field by field. One small runner, many data files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from microcred.checks.validate import validate_catalog
from microcred.io.loader import read_catalog
from microcred.io.transcript import Transcript
from microcred.rules.evaluate import evaluate

CASES = sorted((Path(__file__).parent / "conformance").glob("*.yaml"))


def _cases() -> list[Any]:
    out = []
    for path in CASES:
        previous = None
        for i, case in enumerate(yaml.safe_load_all(path.read_text())):
            # a case without a catalogue uses the one before it in the same file
            case.setdefault("catalog", previous)
            previous = case["catalog"]
            out.append(pytest.param(case, id=f"{path.stem}[{i}]-{case.get('name', '')}"))
    return out


@pytest.mark.parametrize("case", _cases())
def test_case(case: dict[str, Any], tmp_path: Path) -> None:
    cat_file = tmp_path / "catalog.yaml"
    cat_file.write_text(yaml.safe_dump(case["catalog"], sort_keys=False))
    catalog, diags = read_catalog(cat_file)
    report = validate_catalog(catalog, diags)
    assert report.valid, [str(d) for d in report.errors]
    transcript = Transcript.model_validate(case["transcript"])
    as_of = case.get("as_of")
    result = evaluate(catalog, transcript, as_of, include_planned=case.get("include_planned", False))
    for cid, expected in case["expect"].items():
        got = result.credentials[cid]
        for key, want in expected.items():
            if key == "progress":
                assert got.progress == pytest.approx(want, abs=1e-9), (cid, key)
            elif key in ("earned_on", "expires_on"):
                value = getattr(got, key)
                want_date = dt.date.fromisoformat(str(want)) if want is not None else None
                assert value == want_date, (cid, key, value)
            elif key == "applied":
                assert sorted(a.course for a in got.applied) == sorted(want), (cid, key, got.applied)
            elif key == "applied_to":
                pairs = {a.course: a.node for a in got.applied}
                for course, node in want.items():
                    assert pairs.get(course) == node, (cid, course, pairs)
            elif key == "missing_contains":
                text = " | ".join(got.missing)
                for fragment in want if isinstance(want, list) else [want]:
                    assert fragment in text, (cid, fragment, got.missing)
            elif key == "not_counted":
                reasons = {n.course: n.reason for n in got.not_counted}
                for course, fragment in want.items():
                    assert fragment in reasons.get(course, ""), (cid, course, reasons)
            else:
                assert getattr(got, key) == want, (cid, key, getattr(got, key))
    for code in case.get("warnings", []):
        assert code in [w.code for w in result.warnings]
