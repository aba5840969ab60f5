"""Data Integrity proofs (eddsa-rdfc-2022) against Digital Bazaar's ``@digitalbazaar/vc``, both ways.

That library, with the eddsa-rdfc-2022 cryptosuite, is what the Digital Credentials Consortium's
verifier (behind Learner Credential Wallet) builds on. It resolves the proof's verification
method through the issuer's controller document, as written by ``keys publish``, and checks the
key is listed under ``assertionMethod``. The tests need Node and the packages of
``tests/interop/node`` (``npm ci`` there; ``.ci/run`` does it) and skip, saying so, without them.
"""

from __future__ import annotations

import copy
import io
import json
import shutil
import subprocess
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLE, ROOT, ob3_credential

from microcred.badges.dataintegrity import CONTEXT_FILES
from microcred.badges.identity import controller_document
from microcred.badges.keys import generate_key
from microcred.badges.resolve import Resolver
from microcred.badges.verify import verify_credential
from microcred.cli import main

NODE_DIR = ROOT / "tests" / "interop" / "node"
NODE = shutil.which("node")
if NODE is None:
    pytest.skip("Node.js is not installed: the Digital Bazaar interoperability tests need it", allow_module_level=True)
if not (NODE_DIR / "node_modules" / "@digitalbazaar" / "vc").is_dir():
    pytest.skip(
        f"the Node packages are not installed: run `npm ci` in {NODE_DIR} (.ci/run does)", allow_module_level=True
    )

EARNED = ROOT / "examples" / "example-university" / "transcripts" / "earned-certificate.yaml"
ISSUER = "https://example.edu"
CONTEXTS = {url: str(resources.files("microcred.badges").joinpath("contexts", f)) for url, f in CONTEXT_FILES.items()}


def node(mode: str, request: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / f"{mode}-request.json"
    path.write_text(json.dumps({"contexts": CONTEXTS, **request}))
    done = subprocess.run(
        [str(NODE), str(NODE_DIR / "interop.mjs"), mode, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


def run(*argv: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("issuer")
    assert run("keys", "generate", "--type", "ed25519", "--out", d, "--name", "ed")[0] == 0
    code, _, err = run("keys", "publish", "--catalog", EXAMPLE, "--key", d / "ed.pem", "--out", d / "site")
    assert code == 0, err
    return d


def controller(site: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((site / "site" / "controller.json").read_text())
    return doc


# -- microcred → Digital Bazaar -------------------------------------------------------------


def test_a_json_badge_verifies_with_digital_bazaar_vc(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "badge.json"
    code, _, err = run("badge", "issue", "--catalog", EXAMPLE, EARNED, "--credential", "data-foundations",
                       "--key", site / "ed.pem", "--format", "json", "-o", out)  # fmt: skip
    assert code == 0, err
    badge = json.loads(out.read_text())
    answer = node("verify", {"credential": badge, "documents": {ISSUER: controller(site)}}, tmp_path)
    assert answer == {"verified": True, "errors": []}
    tampered = copy.deepcopy(badge)
    tampered["credentialSubject"]["achievement"]["name"] = "Doctor of Everything"
    assert (
        node("verify", {"credential": tampered, "documents": {ISSUER: controller(site)}}, tmp_path)["verified"] is False
    )
    # the controller document of another key: Digital Bazaar refuses it too, as microcred does
    stranger = controller_document(ISSUER, [generate_key("ed25519")])
    refused = node("verify", {"credential": badge, "documents": {ISSUER: stranger}}, tmp_path)
    assert refused["verified"] is False
    assert not verify_credential(badge, resolver=Resolver({ISSUER: stranger})).valid


def test_a_json_clr_and_its_credentials_verify_with_digital_bazaar_vc(site: Path, tmp_path: Path) -> None:
    code, out, err = run("clr", "--catalog", EXAMPLE, EARNED, "--key", site / "ed.pem", "--format", "json", "-o", "-")
    assert code == 0, err
    clr = json.loads(out)
    documents = {ISSUER: controller(site)}
    assert node("verify", {"credential": clr, "documents": documents}, tmp_path) == {"verified": True, "errors": []}
    for inner in clr["credentialSubject"]["verifiableCredential"][:2]:
        assert node("verify", {"credential": inner, "documents": documents}, tmp_path)["verified"] is True


def test_a_did_key_issuers_badge_verifies_with_digital_bazaar_vc(tmp_path: Path) -> None:
    from microcred.badges.dataintegrity import sign_eddsa_rdfc_2022
    from microcred.badges.identity import multikey_method_id

    key = generate_key("ed25519")
    me = key.did_key().split("#")[0]
    cred = credential(me)
    signed = sign_eddsa_rdfc_2022(cred, key, multikey_method_id(me, key))
    assert verify_credential(signed).valid
    assert node("verify", {"credential": signed}, tmp_path) == {"verified": True, "errors": []}


# -- Digital Bazaar → microcred -------------------------------------------------------------


def test_a_credential_signed_by_digital_bazaar_verifies_in_microcred(tmp_path: Path) -> None:
    answer = node("issue", {"credential": credential(ISSUER), "issuer": ISSUER}, tmp_path)
    signed = answer["credential"]
    multikey = answer["publicKeyMultibase"]
    (proof,) = signed["proof"] if isinstance(signed["proof"], list) else [signed["proof"]]
    assert proof["cryptosuite"] == "eddsa-rdfc-2022" and proof["verificationMethod"] == f"{ISSUER}#{multikey}"
    method = {"id": f"{ISSUER}#{multikey}", "type": "Multikey", "controller": ISSUER, "publicKeyMultibase": multikey}
    doc = {"id": ISSUER, "verificationMethod": [method], "assertionMethod": [method["id"]]}
    r = verify_credential(signed, resolver=Resolver({ISSUER: doc}))
    assert r.valid, r.errors
    assert r.issuer_key == method["id"]
    tampered = copy.deepcopy(signed)
    tampered["validFrom"] = "2020-01-01T00:00:00Z"
    bad = verify_credential(tampered, resolver=Resolver({ISSUER: doc}))
    assert not bad.valid and any("does not verify" in e for e in bad.errors), bad.errors
    # intact, but signed by a key the issuer never published
    unbound = verify_credential(
        signed, resolver=Resolver({ISSUER: controller_document(ISSUER, [generate_key("ed25519")])})
    )
    assert not unbound.valid


def credential(issuer: str) -> dict[str, Any]:
    return ob3_credential(issuer, "urn:uuid:2f4e1a52-1c39-4a6e-8c2f-7f0d3f1a9b20")
