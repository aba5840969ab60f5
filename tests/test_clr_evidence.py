"""A CLR 2.0 bundle as evidence: its own proof is verified before anything inside it is
considered, and a bundle that fails (tampered, unsigned, revoked, expired) is refused as a
whole, explained. Bundles are signed by independent implementations: Digital Bazaar's
``@digitalbazaar/vc`` (eddsa-rdfc-2022; skipped without Node and tests/interop/node's
packages) and PyJWT (a VC-JWT, RS256, did:web issuer)."""

from __future__ import annotations

import copy
import datetime as dt
import json
import shutil
import subprocess
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, ob3_credential

from microcred.badges import _codec
from microcred.badges.dataintegrity import CONTEXT_FILES
from microcred.badges.evidence import EvidenceOptions, read_evidence
from microcred.badges.identity import DID_CONTEXT, MULTIKEY_CONTEXT, controller_document, did_web_url
from microcred.badges.keys import SigningKey, generate_key, jwk_thumbprint
from microcred.io.loader import read_catalog
from microcred.io.transcript import Transcript
from microcred.model.catalog import Catalog
from microcred.rules.evaluate import evaluate

jwt = pytest.importorskip("jwt", reason="PyJWT is not installed (pip install -e '.[test]')")

AS_OF = dt.date(2026, 5, 20)
LEARNER = "did:example:ada"
PARTNER = "https://partner.example"
RECORDS = "did:web:records.example"
ACHIEVEMENT = "https://partner.example/achievements/data"
CLR_CONTEXTS = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]

CATALOGUE = f"""
catalog: {{id: example-university, name: Example University}}
taxonomy: {{types: {{badge: {{}}}}}}
courses: [{{id: CSCI 1410, title: Fundamentals of Computing, credits: 3}}]
credentials:
  - {{id: data, type: badge, title: Data, credits: 1}}
recognition:
  - id: partner-data
    match: {{issuer: ["{PARTNER}", "{RECORDS}"], achievement: "{ACHIEVEMENT}"}}
    grants: {{credential: data}}
"""


@pytest.fixture
def catalog(tmp_path: Path) -> Catalog:
    (tmp_path / "c.yaml").write_text(CATALOGUE)
    cat, diags = read_catalog(tmp_path / "c.yaml")
    assert not diags
    return cat


def inner(issuer: str, cid: str) -> dict[str, Any]:
    c = ob3_credential(issuer, cid)
    c["validFrom"] = "2025-03-01T00:00:00Z"
    c["credentialSubject"]["id"] = LEARNER
    c["credentialSubject"]["achievement"]["id"] = ACHIEVEMENT
    return c


def bundle(issuer: str, *credentials: Any, **changes: Any) -> dict[str, Any]:
    doc = {
        "@context": CLR_CONTEXTS,
        "id": "urn:uuid:6c1b1f7e-0000-4000-8000-00000000c1a2",
        "type": ["VerifiableCredential", "ClrCredential"],
        "issuer": {"id": issuer, "type": ["Profile"], "name": "Records"},
        "name": "Comprehensive learner record",
        "validFrom": "2025-04-01T00:00:00Z",
        "credentialSubject": {"id": LEARNER, "type": ["ClrSubject"], "verifiableCredential": list(credentials)},
    }
    doc.update(changes)
    return doc


def transcript() -> Transcript:
    return Transcript.model_validate({"learner": {"id": "S1", "identifiers": [LEARNER]}, "as_of": AS_OF})


def outcomes(catalog: Catalog, held: list[Any]) -> list[tuple[str, str | None]]:
    result = evaluate(catalog, transcript(), evidence=held)
    return [(o.status, o.reason) for o in result.recognition or []]


# -- a VC-JWT bundle, signed by PyJWT -------------------------------------------------------


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return generate_key("rsa", rsa_bits=2048)


def pyjwt(key: SigningKey, doc: dict[str, Any]) -> str:
    from cryptography.hazmat.primitives import serialization

    pem = key.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    issuer = doc["issuer"]["id"]
    claims = {**doc, "iss": issuer, "sub": LEARNER}
    return str(
        jwt.encode(claims, pem, algorithm="RS256", headers={"kid": f"{issuer}#{jwk_thumbprint(key.public_jwk())}"})
    )


@pytest.fixture
def opts(tmp_path: Path, key: SigningKey) -> EvidenceOptions:
    did_json = tmp_path / "did.json"
    did_json.write_text(json.dumps(controller_document(RECORDS, [key])))
    return EvidenceOptions(documents={did_web_url(RECORDS): str(did_json)})


def test_a_jwt_bundle_secures_its_own_issuers_plain_credentials(
    tmp_path: Path, catalog: Catalog, key: SigningKey, opts: EvidenceOptions
) -> None:
    # as microcred's own `clr --format jwt` writes it: the record signed, the badges inside plain
    token = pyjwt(key, bundle(RECORDS, inner(RECORDS, "urn:uuid:in-1"), inner(PARTNER, "urn:uuid:in-2")))
    (tmp_path / "clr.jwt").write_text(token)
    held = read_evidence(tmp_path / "clr.jwt", AS_OF, opts)
    assert [(h.format, h.source.rsplit("/", 1)[-1], h.refusal) for h in held] == [
        ("clr", "clr.jwt#0", None),
        ("clr", "clr.jwt#1", "invalid"),  # another issuer's badge needs a proof of its own
    ], [h.problems for h in held]
    assert "not signed" in held[1].problems[0]
    assert outcomes(catalog, held) == [("recognised", None), ("refused", "invalid")]


def test_a_tampered_jwt_bundle_is_refused_as_a_whole(
    tmp_path: Path, catalog: Catalog, key: SigningKey, opts: EvidenceOptions
) -> None:
    header, _payload, signature = pyjwt(key, bundle(RECORDS, inner(RECORDS, "urn:uuid:in-1"))).split(".")
    swapped = bundle(RECORDS, inner(RECORDS, "urn:uuid:in-1"), inner(RECORDS, "urn:uuid:smuggled"))
    payload = _codec.b64url_encode(json.dumps({**swapped, "iss": RECORDS, "sub": LEARNER}).encode())
    (tmp_path / "clr.jwt").write_text(f"{header}.{payload}.{signature}")
    (held,) = read_evidence(tmp_path / "clr.jwt", AS_OF, opts)
    assert (held.format, held.refusal, held.issuer, held.id) == ("clr", "invalid", RECORDS, swapped["id"])
    assert held.problems[0].startswith("the CLR bundle is refused as a whole, none of its 2 credentials considered")
    result = evaluate(catalog, transcript(), evidence=[held])
    (o,) = result.recognition or []
    assert (o.status, o.reason) == ("refused", "invalid") and "refused as a whole" in o.message
    assert result.credentials["data"].status == "not_started"


def test_an_expired_or_revoked_bundle_is_refused(
    tmp_path: Path, catalog: Catalog, key: SigningKey, opts: EvidenceOptions
) -> None:
    expired = bundle(RECORDS, inner(RECORDS, "urn:uuid:in-1"), validUntil="2026-01-01T00:00:00Z")
    (tmp_path / "old.jwt").write_text(pyjwt(key, expired))
    (held,) = read_evidence(tmp_path / "old.jwt", AS_OF, opts)
    assert held.refusal == "expired"
    status = {"id": "https://records.example/revocations", "type": "1EdTechRevocationList"}
    revoked = bundle(RECORDS, inner(RECORDS, "urn:uuid:in-1"), credentialStatus=status)
    (tmp_path / "rev.jwt").write_text(pyjwt(key, revoked))
    listed = tmp_path / "revocations.json"
    listed.write_text(json.dumps({"revokedCredentials": [{"id": revoked["id"], "revocationReason": "replaced"}]}))
    opts.status_lists = {status["id"]: str(listed)}
    (held,) = read_evidence(tmp_path / "rev.jwt", AS_OF, opts)
    assert held.refusal == "revoked" and "replaced" in held.problems[0]
    assert outcomes(catalog, [held]) == [("refused", "revoked")]


def test_an_unsigned_bundle_is_refused(
    tmp_path: Path, catalog: Catalog, key: SigningKey, opts: EvidenceOptions
) -> None:
    (tmp_path / "clr.json").write_text(json.dumps(bundle(RECORDS, pyjwt(key, inner(RECORDS, "urn:uuid:in-1")))))
    (held,) = read_evidence(tmp_path / "clr.json", AS_OF, opts)
    assert held.refusal == "invalid" and "not signed" in held.problems[0]


def test_a_bundle_signed_by_a_key_its_issuer_does_not_publish(
    tmp_path: Path, catalog: Catalog, opts: EvidenceOptions
) -> None:
    stranger = generate_key("rsa", rsa_bits=2048)
    (tmp_path / "clr.jwt").write_text(pyjwt(stranger, bundle(RECORDS, inner(RECORDS, "urn:uuid:in-1"))))
    (held,) = read_evidence(tmp_path / "clr.jwt", AS_OF, opts)
    assert held.refusal in ("invalid", "untrusted_issuer") and "refused as a whole" in held.problems[0]


# -- a Data Integrity bundle, signed by Digital Bazaar ---------------------------------------

NODE_DIR = ROOT / "tests" / "interop" / "node"
CONTEXTS = {url: str(resources.files("microcred.badges").joinpath("contexts", f)) for url, f in CONTEXT_FILES.items()}


def node(mode: str, request: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """What ``interop.mjs`` (Digital Bazaar's stack) answers; skips without Node or its packages."""
    found = shutil.which("node")
    if found is None or not (NODE_DIR / "node_modules" / "@digitalbazaar" / "vc").is_dir():
        pytest.skip(f"Node.js and the packages of {NODE_DIR} (npm ci there; .ci/run does) are needed")
    path = tmp_path / f"{mode}-request.json"
    path.write_text(json.dumps({"contexts": CONTEXTS, **request}))
    done = subprocess.run([found, str(NODE_DIR / "interop.mjs"), mode, str(path)],
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


def node_issue(credential: dict[str, Any], issuer: str, tmp_path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the credential signed by @digitalbazaar/vc, the issuer's controller document)."""
    answer = node("issue", {"credential": credential, "issuer": issuer}, tmp_path)
    multikey = answer["publicKeyMultibase"]
    method = {"id": f"{issuer}#{multikey}", "type": "Multikey", "controller": issuer, "publicKeyMultibase": multikey}
    controller = {
        "@context": [DID_CONTEXT, MULTIKEY_CONTEXT],
        "id": issuer,
        "verificationMethod": [method],
        "assertionMethod": [method["id"]],
    }
    return answer["credential"], controller


def test_a_bundle_signed_by_digital_bazaar(tmp_path: Path, catalog: Catalog) -> None:
    records = "https://records.example"
    badge, partner_doc = node_issue(inner(PARTNER, "urn:uuid:db-1"), PARTNER, tmp_path)
    signed, records_doc = node_issue(bundle(records, badge), records, tmp_path)
    docs = {}
    for url, doc in ((PARTNER, partner_doc), (records, records_doc)):
        f = tmp_path / f"{url.split('//')[1]}.json"
        f.write_text(json.dumps(doc))
        docs[url] = str(f)
    opts = EvidenceOptions(documents=docs)
    (tmp_path / "clr.json").write_text(json.dumps(signed))
    (held,) = read_evidence(tmp_path / "clr.json", AS_OF, opts)
    assert (held.format, held.refusal, held.issuer) == ("clr", None, PARTNER), held.problems
    assert outcomes(catalog, [held]) == [("recognised", None)]
    # a credential smuggled into the signed bundle: the inner one is genuine, the bundle is not
    smuggled = copy.deepcopy(signed)
    smuggled["credentialSubject"]["verifiableCredential"].append(badge)
    (tmp_path / "clr.json").write_text(json.dumps(smuggled))
    (held,) = read_evidence(tmp_path / "clr.json", AS_OF, opts)
    assert held.refusal == "invalid" and "refused as a whole, none of its 2 credentials" in held.problems[0]
    assert outcomes(catalog, [held]) == [("refused", "invalid")]
    # Digital Bazaar's verifier agrees on both
    controllers = {PARTNER: partner_doc, records: records_doc}
    verdict = node("verify", {"credential": signed, "documents": controllers}, tmp_path)
    assert verdict["verified"] is True, verdict
    assert node("verify", {"credential": smuggled, "documents": controllers}, tmp_path)["verified"] is False
    # the bundle intact, but its issuer's key not given: who signed it cannot be told
    only_partner = EvidenceOptions(documents={PARTNER: docs[PARTNER]})
    (tmp_path / "clr.json").write_text(json.dumps(signed))
    (held,) = read_evidence(tmp_path / "clr.json", AS_OF, only_partner)
    assert held.refusal is not None and held.issuer == records
