"""Issuing Open Badges 3.0 from an evaluation, and the ``keys``/``badge`` commands end to end."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import tiny_png

from microcred import load_catalog
from microcred.badges.errors import BadgeError
from microcred.badges.ob3 import achievement_type, build_credential, identity_hash
from microcred.badges.resolve import Resolver
from microcred.badges.verify import verify_bytes, verify_file
from microcred.cli import main
from microcred.io.transcript import read_transcripts
from microcred.rules.evaluate import evaluate

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "catalog" / "example-university"
TRANSCRIPTS = ROOT / "examples" / "example-university" / "transcripts"
EARNED = TRANSCRIPTS / "earned-certificate.yaml"
EXPIRED = TRANSCRIPTS / "expired.yaml"
EMAIL = "maya.chen@example.edu"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], out, err)
    return code, out.getvalue(), err.getvalue()


TINY_SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><circle r="4" cx="5" cy="5"/></svg>\n'


@pytest.fixture(scope="module")
def catalog() -> Any:
    return load_catalog(CATALOG)


@pytest.fixture(scope="module")
def result(catalog: Any) -> Any:
    src = next(iter(read_transcripts(EARNED)))
    return evaluate(catalog, src)


@pytest.fixture(scope="module")
def keydir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("keys")
    assert run("keys", "generate", "--type", "ed25519", "--out", d, "--name", "ed")[0] == 0
    code, out, err = run("keys", "generate", "--type", "rsa", "--out", d, "--name", "rsa")
    assert code == 0
    assert "PRIVATE" not in out + err  # the private key is never printed
    code, out, err = run("keys", "publish", "--catalog", CATALOG, "--key", d / "ed.pem", "--key", d / "rsa.pem",
                         "--out", d / "site")  # fmt: skip
    assert code == 0, err
    assert out.splitlines() == [
        f"{d / 'site' / 'controller.json'}\thttps://example.edu",
        f"{d / 'site' / 'jwks.json'}\thttps://example.edu/.well-known/jwks.json",
    ]
    return d


def resolver(keydir: Path) -> Resolver:
    """Offline resolution of the example catalogue's issuer, https://example.edu."""
    return Resolver({"https://example.edu": keydir / "site" / "controller.json"})


RESOLVE = "https://example.edu={}"


# -- the credential -----------------------------------------------------------------------


def test_achievement_types() -> None:
    assert [achievement_type(t) for t in ("badge", "microcredential", "certificate", "associate", "bachelor")] == [
        "Badge",
        "MicroCredential",
        "Certificate",
        "AssociateDegree",
        "BachelorDegree",
    ]
    assert achievement_type("degree") == "ext:degree"


def test_build_credential_from_the_evaluation(catalog: Any, result: Any) -> None:
    cred = build_credential(
        catalog, result, "data-analytics-certificate", email=EMAIL, salt="pepper", credential_uri="urn:uuid:1"
    )
    assert cred["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert cred["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert cred["issuer"] == {
        "id": "https://example.edu",
        "type": ["Profile"],
        "name": "Example University",
        "url": "https://example.edu",
    }
    assert cred["validFrom"] == "2026-05-08T00:00:00Z" and "validUntil" not in cred
    subject = cred["credentialSubject"]
    ident = subject["identifier"][0]
    expected = "sha256$" + hashlib.sha256((EMAIL + "pepper").encode()).hexdigest()
    assert ident == {
        "type": "IdentityObject",
        "identityHash": expected,
        "identityType": "emailAddress",
        "hashed": True,
        "salt": "pepper",
    }
    assert EMAIL not in json.dumps(cred)  # never the plain address
    ach = subject["achievement"]
    assert ach["name"] == "Certificate in Data Analytics"
    assert ach["achievementType"] == "Certificate" and ach["creditsAvailable"] == 22
    assert ach["criteria"]["narrative"].startswith("Earn the Data Foundations")
    assert ach["description"].startswith("Prepares analysts")
    names = [e["name"] for e in cred["evidence"]]
    assert names[0] == "CSCI 1410 Fundamentals of Computing" and len(names) == 8
    assert "STAT 4900 Statistical Consulting Capstone" in names
    assert all(e["type"] == ["Evidence"] for e in cred["evidence"])
    assert identity_hash(" Maya.Chen@Example.edu ", "pepper") == expected


def test_expiring_credentials_carry_valid_until(catalog: Any) -> None:
    src = next(iter(read_transcripts(EXPIRED)))
    r = evaluate(catalog, src, dt.date(2023, 6, 1))
    cred = build_credential(catalog, r, "cloud-foundations", email="s@example.edu")
    assert cred["validFrom"] == "2022-12-16T00:00:00Z" and cred["validUntil"] == "2024-12-16T00:00:00Z"


def test_refusals(catalog: Any, result: Any) -> None:
    with pytest.raises(BadgeError, match=r"has not earned business-analytics \(status partial"):
        build_credential(catalog, result, "business-analytics", email=EMAIL)
    with pytest.raises(BadgeError, match="no credential 'nope'"):
        build_credential(catalog, result, "nope", email=EMAIL)
    with pytest.raises(BadgeError, match="has no email"):
        build_credential(catalog, result, "data-analytics-certificate")
    src = next(iter(read_transcripts(EXPIRED)))
    expired = evaluate(catalog, src)
    with pytest.raises(BadgeError, match="expired on 2024-12-16"):
        build_credential(catalog, expired, "cloud-foundations", email="s@example.edu")


# -- round trips through the command line -------------------------------------------------


@pytest.mark.parametrize(
    ("key", "fmt", "image"),
    [
        ("ed", "jwt", None),
        ("rsa", "jwt", None),
        ("ed", "json", None),
        ("ed", "jwt", "png"),
        ("rsa", "jwt", "svg"),
        ("ed", "json", "png"),
        ("ed", "json", "svg"),
    ],
)
def test_issue_then_verify(key: str, fmt: str, image: str | None, keydir: Path, tmp_path: Path) -> None:
    args = ["badge", "issue", "--catalog", CATALOG, EARNED, "--credential", "data-analytics-certificate"]
    args += ["--key", keydir / f"{key}.pem", "--format", fmt]
    if image:
        img = tmp_path / f"plain.{image}"
        img.write_bytes(tiny_png() if image == "png" else TINY_SVG)
        args += ["--image", img]
    out_file = tmp_path / f"badge.{image or fmt}"
    code, out, err = run(*args, "-o", out_file)
    assert code == 0, err
    assert out.strip() == str(out_file)
    assert "verifiers look for the issuer's keys at https://example.edu: serve the files" in err
    if image == "png":
        assert out_file.read_bytes().startswith(b"\x89PNG")
    # intact, but without the issuer's controller document no one can say who signed it
    alone = verify_file(out_file, recipient=EMAIL)
    assert not alone.valid and any("controller document (https://example.edu) was not given" in e for e in alone.errors)
    # the key bound to the issuer through its published controller document
    r = verify_file(out_file, recipient=EMAIL, resolver=resolver(keydir))
    assert r.valid, r.errors
    assert r.issuer_key is not None and r.issuer_key.startswith("https://example.edu#")
    assert r.credential is not None
    achievement = r.credential["credentialSubject"]["achievement"]
    assert achievement["achievementType"] == "Certificate"
    if image:  # the baked image is the achievement's image
        assert achievement["image"]["id"].startswith(f"data:image/{'png' if image == 'png' else 'svg+xml'};base64,")
    code, out, err = run("badge", "verify", out_file, "--resolve", RESOLVE.format(keydir / "site" / "controller.json"))
    assert code == 0 and "signed by the issuer's key: https://example.edu#" in out, out
    # pinned to the issuer's published key: valid, no warning
    code, out, err = run("badge", "verify", out_file, "--keys", keydir / f"{key}.jwk.json", "--recipient", EMAIL)
    assert code == 0, out
    assert out.startswith("valid:") and "warning" not in out
    # someone else's key, someone else's email
    other = "rsa" if key == "ed" else "ed"
    code, out, _ = run(
        "badge", "verify", out_file, "--keys", keydir / f"{other}.jwk.json", "--recipient", "eve@example.edu"
    )
    assert code == 1
    assert "INVALID" in out and "not issued to eve@example.edu" in out


def test_verify_json_output(keydir: Path, tmp_path: Path) -> None:
    out_file = tmp_path / "b.jwt"
    args = ["badge", "issue", "--catalog", CATALOG, EARNED, "--credential", "data-foundations"]
    assert run(*args, "--key", keydir / "ed.pem", "-o", out_file)[0] == 0
    site = keydir / "site" / "controller.json"
    code, out, _ = run("badge", "verify", out_file, "--format", "json", "--resolve", RESOLVE.format(site))
    doc = json.loads(out)
    assert code == 0 and doc["valid"] is True and doc["errors"] == []
    assert doc["issuer_key"].startswith("https://example.edu#")
    assert doc["credential"]["credentialSubject"]["achievement"]["achievementType"] == "MicroCredential"


def test_issue_refuses_an_unearned_credential(keydir: Path, tmp_path: Path) -> None:
    out_file = tmp_path / "no.jwt"
    code, _, err = run(
        "badge", "issue", "--catalog", CATALOG, EARNED, "--credential", "business-analytics",
        "--key", keydir / "ed.pem", "-o", out_file,
    )  # fmt: skip
    assert code == 1
    assert "refused: learner S1001 has not earned business-analytics" in err and "ISMG 4700" in err
    assert not out_file.exists() and "Traceback" not in err


def test_issue_refuses_an_expired_credential(keydir: Path, tmp_path: Path) -> None:
    code, _, err = run(
        "badge", "issue", "--catalog", CATALOG, EXPIRED, "--credential", "cloud-foundations",
        "--key", keydir / "ed.pem", "-o", tmp_path / "x.jwt",
    )  # fmt: skip
    assert code == 1 and "expired on 2024-12-16" in err


def test_an_expired_badge_fails_verification(keydir: Path, tmp_path: Path) -> None:
    out_file = tmp_path / "cloud.json"
    code, _, err = run(
        "badge", "issue", "--catalog", CATALOG, EXPIRED, "--credential", "cloud-foundations", "--as-of", "2023-06-01",
        "--key", keydir / "ed.pem", "--format", "json", "-o", out_file,
    )  # fmt: skip
    assert code == 0, err
    site = RESOLVE.format(keydir / "site" / "controller.json")
    code, out, _ = run("badge", "verify", out_file, "--resolve", site)
    assert code == 1 and "expired: validUntil is 2024-12-16T00:00:00Z" in out
    assert run("badge", "verify", out_file, "--now", "2024-01-01", "--resolve", site)[0] == 0


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda d: d / "absent.pem", "no such file"),
        (lambda d: d / "ed.pub.pem", "a public key; signing needs the private key"),
        (lambda d: d / "ed.jwk.json", "a public key; signing needs the private key"),
        (lambda d: d, "is a directory"),
    ],
)
def test_issue_with_a_wrong_or_missing_key(make: Any, reason: str, keydir: Path, tmp_path: Path) -> None:
    code, _, err = run(
        "badge", "issue", "--catalog", CATALOG, EARNED, "--credential", "data-foundations",
        "--key", make(keydir), "-o", tmp_path / "x.jwt",
    )  # fmt: skip
    assert code == 2
    assert reason in err and "Traceback" not in err and "internal error" not in err


def test_issue_json_needs_an_ed25519_key(keydir: Path, tmp_path: Path) -> None:
    code, _, err = run(
        "badge", "issue", "--catalog", CATALOG, EARNED, "--credential", "data-foundations",
        "--key", keydir / "rsa.pem", "--format", "json", "-o", tmp_path / "x.json",
    )  # fmt: skip
    assert code == 2 and "needs an Ed25519 key" in err


def test_issue_refuses_a_baked_image_and_a_bad_image(keydir: Path, tmp_path: Path) -> None:
    base = ["badge", "issue", "--catalog", CATALOG, EARNED, "--credential", "data-foundations"]
    base += ["--key", keydir / "ed.pem"]
    img = tmp_path / "i.png"
    img.write_bytes(tiny_png())
    assert run(*base, "--image", img, "-o", tmp_path / "once.png")[0] == 0
    code, _, err = run(*base, "--image", tmp_path / "once.png", "-o", tmp_path / "twice.png")
    assert code == 2 and "already baked" in err  # an unusable --image is a usage error, checked first
    gif = tmp_path / "i.gif"
    gif.write_bytes(b"GIF89a")
    code, _, err = run(*base, "--image", gif, "-o", tmp_path / "x.gif")
    assert code == 2 and ".png or .svg" in err
    broken = tmp_path / "broken.png"
    broken.write_bytes(tiny_png()[:20])
    code, _, err = run(*base, "--image", broken, "-o", tmp_path / "x.png")
    assert code == 2 and "Traceback" not in err and "internal error" not in err


def test_keys_generate_never_overwrites(tmp_path: Path) -> None:
    assert run("keys", "generate", "--type", "ed25519", "--out", tmp_path)[0] == 0
    before = (tmp_path / "ed25519.pem").read_bytes()
    code, _, err = run("keys", "generate", "--type", "ed25519", "--out", tmp_path)
    assert code == 2 and "refusing to overwrite" in err
    assert (tmp_path / "ed25519.pem").read_bytes() == before
    assert run("keys", "generate", "--type", "dsa", "--out", tmp_path)[0] == 2  # argparse: usage


# -- corrupt and hostile files ------------------------------------------------------------

CORRUPT: dict[str, tuple[bytes, str]] = {
    "empty.json": (b"", "the badge is empty"),
    "truncated.png": (tiny_png()[:30], "PNG"),
    "plain.png": (tiny_png(), "carries no Open Badge"),
    "plain.svg": (TINY_SVG, "carries no Open Badge"),
    "bomb.svg": (
        b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
        b'<svg xmlns="http://www.w3.org/2000/svg">&b;</svg>',
        "entity",
    ),
    "broken.json": (b'{"@context": [', "not valid JSON"),
    "deep.json": (b"[" * 100000, "nested too deeply"),
    "words.txt": (b"hello there", "neither a JSON credential nor a VC-JWT"),
    "binary.bin": (b"\xff\xfe\x00garbage", "not a badge"),
    "list.json": (b"[1, 2]", "is not a JSON object"),
    "hosted.txt": (b"https://example.edu/assertions/1", "hosted verification"),
}


@pytest.mark.parametrize("name", sorted(CORRUPT))
def test_corrupt_files_get_a_clear_verdict(name: str, tmp_path: Path) -> None:
    data, reason = CORRUPT[name]
    path = tmp_path / name
    path.write_bytes(data)
    code, out, err = run("badge", "verify", path)
    assert code == 1, (out, err)
    assert out.startswith("INVALID") and "Traceback" not in out + err and "internal error" not in err
    assert reason in out, out


def test_verify_usage_errors(tmp_path: Path) -> None:
    assert run("badge", "verify", tmp_path / "absent.png")[0] == 2
    f = tmp_path / "x.jwt"
    f.write_text("a.b.c")
    assert run("badge", "verify", f, "--status-list", "no-equals-sign")[0] == 2
    assert run("badge", "verify", f, "--status-list", f"https://x={tmp_path / 'absent'}")[0] == 2
    bad_keys = tmp_path / "keys.json"
    bad_keys.write_text("{oops")
    code, _, err = run("badge", "verify", f, "--keys", bad_keys)
    assert code == 2 and "not valid JSON" in err


def test_verify_bytes_of_a_vc_jwt_in_json_quotes(keydir: Path, tmp_path: Path) -> None:
    out_file = tmp_path / "b.jwt"
    args = ["badge", "issue", "--catalog", CATALOG, EARNED, "--credential", "data-literacy"]
    assert run(*args, "--key", keydir / "rsa.pem", "-o", out_file)[0] == 0
    token = out_file.read_text().strip()
    assert verify_bytes(json.dumps(token).encode(), resolver=resolver(keydir)).valid


def test_the_library_examples_of_docs_badges_md_run(capsys: pytest.CaptureFixture[str]) -> None:
    import os
    import re

    text = (ROOT / "docs" / "badges.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks
    here = os.getcwd()
    os.chdir(ROOT)
    try:
        namespace: dict[str, object] = {}
        for block in blocks:
            exec(compile(block, "docs/badges.md", "exec"), namespace)
    finally:
        os.chdir(here)
    assert capsys.readouterr().out.splitlines() == ["True [] []", "True"]
