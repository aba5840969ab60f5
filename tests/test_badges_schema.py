"""microcred's badges and CLRs against 1EdTech's JSON schemas for OB 3.0 and CLR 2.0.

The schemas are 1EdTech's (``ob_v3p0_achievementcredential_schema.json``,
``clr_v2p0_clrcredential_schema.json``, JSON Schema 2019-09); their license lets registered
users redistribute them, which an open-source checkout cannot promise, so they are not part of
the project. ``.ci/fetch-reference-files`` fetches them from 1EdTech's addresses; the tests read
the files ``MICROCRED_OB3_SCHEMA`` / ``MICROCRED_CLR_SCHEMA`` name (or ``shared/schemas/``, found
as ``conftest.shared_path`` finds shared data), and skip, saying so, when they are absent.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLE, ROOT, shared_path, tiny_png

from microcred.badges import _codec, bake
from microcred.cli import main

jsonschema = pytest.importorskip("jsonschema")

EARNED = ROOT / "examples" / "example-university" / "transcripts" / "earned-certificate.yaml"


def schema(env: str, name: str) -> Any:
    path = Path(os.environ[env]) if os.environ.get(env) else shared_path(f"schemas/{name}")
    if not path.is_file():
        pytest.skip(f"1EdTech's {name} is not at {path} (set {env} to its file)")
    return jsonschema.Draft201909Validator(json.loads(path.read_text(encoding="utf-8")))


def run(*argv: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], out, err)
    return code, out.getvalue(), err.getvalue()


def problems(validator: Any, doc: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in validator.iter_errors(doc)]


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("keys")
    assert run("keys", "generate", "--out", d, "--name", "rsa")[0] == 0
    assert run("keys", "generate", "--type", "ed25519", "--out", d, "--name", "ed")[0] == 0
    return d


def test_badges_validate_against_the_ob3_schema(keys: Path, tmp_path: Path) -> None:
    ob3 = schema("MICROCRED_OB3_SCHEMA", "ob_v3p0_achievementcredential_schema.json")
    png = tmp_path / "plain.png"
    png.write_bytes(tiny_png())
    base = ["badge", "issue", "--catalog", EXAMPLE, EARNED, "--credential", "data-analytics-certificate"]
    out = tmp_path / "b.json"
    assert run(*base, "--key", keys / "ed.pem", "--format", "json", "-o", out)[0] == 0
    assert problems(ob3, json.loads(out.read_text())) == []
    baked = tmp_path / "b.png"
    assert run(*base, "--key", keys / "ed.pem", "--format", "json", "--image", png, "-o", baked)[0] == 0
    found = bake.extract_png(baked.read_bytes())
    assert found is not None
    assert problems(ob3, json.loads(found[1])) == []
    token = tmp_path / "b.jwt"
    assert run(*base, "--key", keys / "rsa.pem", "-o", token)[0] == 0
    payload = json.loads(_codec.b64url_decode(token.read_text().strip().split(".")[1]))
    assert problems(ob3, payload) == []


def test_clrs_and_their_credentials_validate(keys: Path) -> None:
    ob3 = schema("MICROCRED_OB3_SCHEMA", "ob_v3p0_achievementcredential_schema.json")
    for key, fmt in (("ed.pem", "json"), ("rsa.pem", "jwt")):
        code, out, err = run("clr", "--catalog", EXAMPLE, EARNED, "--key", keys / key, "--format", fmt, "-o", "-")
        assert code == 0, err
        clr = json.loads(out) if fmt == "json" else json.loads(_codec.b64url_decode(out.strip().split(".")[1]))
        for inner in clr["credentialSubject"]["verifiableCredential"]:
            assert problems(ob3, inner) == []
        if (
            os.environ.get("MICROCRED_CLR_SCHEMA")
            or shared_path("schemas/clr_v2p0_clrcredential_schema.json").is_file()
        ):
            clr_schema = schema("MICROCRED_CLR_SCHEMA", "clr_v2p0_clrcredential_schema.json")
            assert problems(clr_schema, clr) == []


def test_badges_aligned_with_competencies_validate(keys: Path, tmp_path: Path) -> None:
    """A badge of a catalogue with competency frameworks: CFItem, ceasn:Competency and
    ceterms:Credential alignments (docs/competencies.md)."""
    ob3 = schema("MICROCRED_OB3_SCHEMA", "ob_v3p0_achievementcredential_schema.json")
    skills = ROOT / "examples" / "skills"
    t = tmp_path / "t.yaml"
    t.write_text(
        (skills / "transcripts" / "ada.yaml").read_text().replace("name: Ada Lovelace", "email: ada@example.edu")
    )
    out = tmp_path / "b.json"
    base = ["badge", "issue", "--catalog", skills / "catalog", t, "--credential", "data-foundations"]
    assert run(*base, "--key", keys / "ed.pem", "--format", "json", "-o", out)[0] == 0
    badge = json.loads(out.read_text())
    types = {a["targetType"] for a in badge["credentialSubject"]["achievement"]["alignment"]}
    assert types == {"CFItem", "ceasn:Competency", "ceterms:Credential"}
    assert problems(ob3, badge) == []
