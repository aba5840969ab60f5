"""Open Badges 2.0 export: hosted Assertion, BadgeClass and Issuer, and the baked image."""

from __future__ import annotations

import hashlib
import io
import json
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLE, ROOT

from microcred import load_catalog
from microcred.badges.bake import BakeError, extract_png, extract_svg
from microcred.badges.errors import BadgeError
from microcred.badges.ob2 import OB2_CONTEXT, export_ob2, write_ob2
from microcred.cli import main
from microcred.io.transcript import TranscriptSource, read_transcripts
from microcred.model.catalog import Catalog
from microcred.model.result import LearnerResult
from microcred.rules.evaluate import evaluate

TRANSCRIPTS = ROOT / "examples" / "example-university" / "transcripts"
EARNED = TRANSCRIPTS / "earned-certificate.yaml"
BASE = "https://badges.example.edu/ob2"
EMAIL = "maya.chen@example.edu"


def chunk(ctype: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", zlib.crc32(ctype + data) & 0xFFFFFFFF)


PNG = (
    b"\x89PNG\r\n\x1a\n"
    + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    + chunk(b"IDAT", zlib.compress(b"\x00\x10\x20\x30"))
    + chunk(b"IEND", b"")
)
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><rect width="1" height="1"/></svg>\n'


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(EXAMPLE)


@pytest.fixture(scope="module")
def maya(catalog: Catalog) -> LearnerResult:
    (src,) = list(read_transcripts(EARNED))
    assert isinstance(src, TranscriptSource)
    return evaluate(catalog, src)


def export(catalog: Catalog, maya: LearnerResult, **kw: Any) -> Any:
    credential = kw.pop("credential", "data-foundations")
    args: dict[str, Any] = {"base_url": BASE, "email": EMAIL, "image": PNG, "salt": "pepper"}
    args.update(kw)
    return export_ob2(catalog, maya, credential, **args)


def test_assertion(catalog: Catalog, maya: LearnerResult) -> None:
    e = export(catalog, maya)
    a = e.assertion
    assert a["@context"] == OB2_CONTEXT
    assert a["type"] == "Assertion"
    assert a["id"] == f"{BASE}/assertions/{e.urls.uid}.json"
    expected = "sha256$" + hashlib.sha256((EMAIL + "pepper").encode()).hexdigest()
    assert a["recipient"] == {"type": "email", "hashed": True, "salt": "pepper", "identity": expected}
    assert a["verification"] == {"type": "hosted"}
    assert a["badge"] == f"{BASE}/badges/data-foundations.json" == e.badge_class["id"]
    assert a["issuedOn"] == "2024-12-13T00:00:00Z"
    assert "expires" not in a
    assert a["image"] == f"{BASE}/assertions/{e.urls.uid}.png"
    assert {x["name"] for x in a["evidence"]} >= {"STAT 2000 Introduction to Statistics"}
    assert not any("grade" in x["narrative"] for x in a["evidence"])  # public: no grades by default
    with_grades = export(catalog, maya, grades=True).assertion
    assert any("with grade" in x["narrative"] for x in with_grades["evidence"])


def test_badge_class_and_issuer(catalog: Catalog, maya: LearnerResult) -> None:
    e = export(catalog, maya)
    bc, issuer = e.badge_class, e.issuer
    assert bc["@context"] == OB2_CONTEXT and bc["type"] == "BadgeClass"
    assert bc["name"] == "Data Foundations"
    assert bc["image"] == f"{BASE}/badges/data-foundations.png"
    assert bc["criteria"]["narrative"].startswith("Earn the Python Programming badge")
    assert bc["issuer"] == issuer["id"] == f"{BASE}/issuer.json"
    assert issuer["type"] == "Issuer" and issuer["name"] == "Example University"
    assert issuer["url"] == "https://example.edu"


def test_baked_png_holds_the_assertion(catalog: Catalog, maya: LearnerResult) -> None:
    e = export(catalog, maya)
    found = extract_png(e.baked)
    assert found is not None
    keyword, text = found
    assert keyword == "openbadges"
    assert json.loads(text) == e.assertion
    assert e.baked[: len(PNG) - 12] == PNG[: len(PNG) - 12]  # the image itself is untouched
    with pytest.raises(BakeError, match="already baked"):
        export(catalog, maya, image=e.baked)


def test_svg_image(catalog: Catalog, maya: LearnerResult) -> None:
    e = export(catalog, maya, image=SVG)
    assert e.urls.badge_image_path == "badges/data-foundations.svg"
    assert f'<openbadges:assertion verify="{e.assertion["id"]}">'.encode() in e.baked
    text = extract_svg(e.baked)
    assert text is not None and json.loads(text) == e.assertion


def test_stable_assertion_url_random_salt(catalog: Catalog, maya: LearnerResult) -> None:
    a = export_ob2(catalog, maya, "data-foundations", base_url=BASE + "/", email=EMAIL, image=PNG)
    b = export_ob2(catalog, maya, "data-foundations", base_url=BASE, email=EMAIL, image=PNG)
    assert a.assertion["id"] == b.assertion["id"]
    assert a.assertion["recipient"]["salt"] != b.assertion["recipient"]["salt"]


def test_catalogue_image_url_is_used_without_image(catalog: Catalog, maya: LearnerResult) -> None:
    with pytest.raises(BadgeError, match="needs an image"):
        export(catalog, maya, image=None)
    pictured = catalog.credentials["data-foundations"].model_copy(update={"image": "https://example.edu/df.png"})
    other = Catalog(
        catalog.info, catalog.taxonomy, catalog.courses, {**catalog.credentials, "data-foundations": pictured}
    )
    e = export(other, maya, image=None)
    assert e.badge_class["image"] == "https://example.edu/df.png"
    assert e.baked is None and "image" not in e.assertion


def test_refusals(catalog: Catalog, maya: LearnerResult) -> None:
    with pytest.raises(BadgeError, match=r"has not earned business-analytics \(status partial.*ISMG 4700"):
        export(catalog, maya, credential="business-analytics")
    with pytest.raises(BadgeError, match="no credential 'nope'"):
        export(catalog, maya, credential="nope")
    with pytest.raises(BadgeError, match="has no email"):
        export(catalog, maya, email=None)
    with pytest.raises(BadgeError, match="absolute http"):
        export(catalog, maya, base_url="badges.example.edu")
    with pytest.raises(BadgeError, match="PNG or an SVG"):
        export(catalog, maya, image=b"GIF89a")


def test_write_ob2(tmp_path: Path, catalog: Catalog, maya: LearnerResult) -> None:
    e = export(catalog, maya)
    written = write_ob2(e, tmp_path)
    rel = sorted(p.relative_to(tmp_path).as_posix() for p in written)
    uid = e.urls.uid
    assert rel == sorted(
        [
            "issuer.json",
            "badges/data-foundations.json",
            "badges/data-foundations.png",
            f"assertions/{uid}.json",
            f"assertions/{uid}.png",
        ]
    )
    for path in written:  # each document sits where its id says
        if path.suffix == ".json":
            doc = json.loads(path.read_text(encoding="utf-8"))
            assert doc["id"] == f"{BASE}/{path.relative_to(tmp_path).as_posix()}"
    assert (tmp_path / "badges/data-foundations.png").read_bytes() == PNG


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def test_cli_export_ob2(tmp_path: Path) -> None:
    image = tmp_path / "badge.png"
    image.write_bytes(PNG)
    args = ["export", "ob2", "--catalog", str(EXAMPLE), str(EARNED), "--base-url", BASE, "--image", str(image)]
    code, out, err = run(*args, "--credential", "statistical-modeling", "-o", str(tmp_path / "site"))
    assert code == 0, err
    assert len(out.splitlines()) == 5
    baked = [Path(p) for p in out.split() if "/assertions/" in p and p.endswith(".png")]
    found = extract_png(baked[0].read_bytes())
    assert found is not None and json.loads(found[1])["badge"] == f"{BASE}/badges/statistical-modeling.json"


def test_cli_export_ob2_errors(tmp_path: Path) -> None:
    image = tmp_path / "badge.png"
    image.write_bytes(PNG)
    common = ["export", "ob2", "--catalog", str(EXAMPLE), str(EARNED), "-o", str(tmp_path / "out")]
    code, _, err = run(*common, "--credential", "business-analytics", "--base-url", BASE, "--image", str(image))
    assert code == 1 and "has not earned business-analytics" in err and "ISMG 4700" in err
    assert not (tmp_path / "out").exists()
    code, _, err = run(*common, "--credential", "data-foundation", "--base-url", BASE, "--image", str(image))
    assert code == 2 and "did you mean 'data-foundations'" in err
    code, _, err = run(*common, "--credential", "data-foundations", "--base-url", "ftp://x", "--image", str(image))
    assert code == 2 and "http(s) URL" in err
    code, _, err = run(*common, "--credential", "data-foundations", "--base-url", BASE, "--image", "nope.png")
    assert code == 2 and "--image nope.png: no such file" in err
    code, _, err = run(*common, "--credential", "data-foundations", "--base-url", BASE)
    assert code == 1 and "needs an image" in err
    code, _, err = run("export", "ob2", "--catalog", str(EXAMPLE), str(EARNED), "--credential", "x")
    assert code == 2 and "Traceback" not in err
