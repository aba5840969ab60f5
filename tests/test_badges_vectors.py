"""The official Open Badges 3.0 vectors (1EdTech): the validator's vectors shipped in
``tests/vectors/openbadges`` (Apache-2.0), and the specification's eddsa-rdfc-2022 walk-through,
read from shared/vectors/openbadges beside the checkout when present (see ``conftest.shared_path``)."""

from __future__ import annotations

import hashlib
import html
import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, shared_path
from cryptography.hazmat.primitives.asymmetric import ed25519

from microcred.badges import dataintegrity as di
from microcred.badges.jwt import decode_unverified
from microcred.badges.keys import SigningKey
from microcred.badges.resolve import Resolver
from microcred.badges.verify import verify_file

VECTORS = ROOT / "tests" / "vectors" / "openbadges"
DCV = VECTORS / "dcv-ob30"
OBS = shared_path("vectors/openbadges/obs-test-vectors/impl")

TESTLIST_URL = (
    "https://raw.githubusercontent.com/1EdTech/digital-credentials-public-validator/refs/heads/main/"
    "inspector-vc/src/test/resources/ob30/bit-string-list/testlist"
)


# -- the vectors' issuers, as if they published their controller documents -----------------

VECTOR_KEY = "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"  # the Ed25519 key most vectors sign with
JWT_ISSUER = "https://1edtech.edu/issuers/565049"
OTHER_KEY = "z6MkrvfzkMnvCroEUP2DVc9SHPE48CRsvHiVSusHioxTYu1x"  # the key of simple-json.png/.svg


def _method(issuer: str, fragment: str, **key: Any) -> dict[str, Any]:
    return {"id": f"{issuer}#{fragment}", "type": "Multikey" if "publicKeyMultibase" in key else "JsonWebKey",
            "controller": issuer, **key}  # fmt: skip


def published() -> Resolver:
    """The controller documents the vectors' https issuers would serve: each lists the key its
    vectors are signed with (the Multikey of the proofs, the RSA key of the VC-JWT vectors)."""
    docs: dict[str, Any] = {}
    from microcred.badges import bake

    png = bake.extract_png((DCV / "simple-jwt.png").read_bytes())
    assert png is not None
    jwt_keys = [decode_unverified(token)[0]["jwk"] for token in (_jwt_of(DCV / "simple-jwt.svg"), png[1].strip())]
    for issuer, methods in {
        "https://example.com/issuers/876543": [
            _method("https://example.com/issuers/876543", mk, publicKeyMultibase=mk) for mk in (VECTOR_KEY, OTHER_KEY)
        ],
        JWT_ISSUER: [
            *(_method(JWT_ISSUER, mk, publicKeyMultibase=mk)
              for mk in (VECTOR_KEY, "z6Mknyb2Gb4NxzW3xSr9ChTtdQZ1zs77piQ3r9SaJ9vMzmrs")),
            *(_method(JWT_ISSUER, f"key-{i}", publicKeyJwk=jwk) for i, jwk in enumerate(jwt_keys)),
        ],
        "https://example.edu/issuers/565049": [
            _method("https://example.edu/issuers/565049", VECTOR_KEY, publicKeyMultibase=VECTOR_KEY)
        ],
    }.items():  # fmt: skip
        docs[issuer] = {"id": issuer, "verificationMethod": methods, "assertionMethod": [m["id"] for m in methods]}
    return Resolver(docs)


def _jwt_of(path: Path) -> str:
    from microcred.badges import bake

    text = bake.extract_svg(path.read_bytes())
    assert text is not None
    return text.strip()


# -- baked badges that must verify --------------------------------------------------------


@pytest.mark.parametrize("name", ["simple-jwt.png", "simple-jwt.svg"])
def test_baked_jwt_badges_verify_with_missing_sub_as_a_warning(name: str) -> None:
    assert decode_unverified(_jwt_of(DCV / "simple-jwt.svg"))[1]["iss"] == JWT_ISSUER
    r = verify_file(DCV / name, resolver=published())
    assert r.valid, r.errors
    assert r.issuer_key is not None and r.issuer_key.startswith(f"{JWT_ISSUER}#key-")
    assert r.errors == []
    assert any("'sub'" in w for w in r.warnings), r.warnings
    assert r.credential is not None and "OpenBadgeCredential" in r.credential["type"]


@pytest.mark.parametrize("name", ["simple-json.png", "simple-json.svg", "simple.json", "simple-multiple-proofs.json"])
def test_json_badges_verify(name: str) -> None:
    r = verify_file(DCV / name, resolver=published())
    assert r.valid, r.errors
    assert r.issuer_key is not None and r.issuer_key.startswith("https://example.com/issuers/876543#z6Mk")
    # intact, but the issuer's keys unknown: not valid, and the reason says how to fix it
    alone = verify_file(DCV / name)
    assert not alone.valid
    assert [e for e in alone.errors if "signature" in e or "proofValue" in e] == []
    assert any("controller document (https://example.com/issuers/876543) was not given" in e for e in alone.errors)
    assert r.credential is not None and r.credential["id"] == "http://example.com/credentials/3527"


def test_did_key_vector_is_intact_but_not_its_issuers() -> None:
    # signed with a did:key, issued by a urn:uuid that controls no key: anyone could have signed it
    r = verify_file(DCV / "simple-did-key-method.json")
    assert not r.valid
    assert r.errors == [
        "cannot tell whether the issuer controls the signing key: the issuer id "
        "'urn:uuid:6f2e33e5-7a29-4155-840a-59483ba10164' cannot be resolved to keys (microcred resolves did:key, "
        "did:web and https issuers); pass the issuer's keys with --keys if you know them"
    ]


def test_pinned_keys_verify_without_the_self_certified_key_warning() -> None:
    x = "S96v3i6ovu-t2MaZtcfgcEz1EVTVLheyC3EzfKBMxaU"  # the vectors' Ed25519 key, as a JWK
    r = verify_file(DCV / "simple.json", keys=[{"kty": "OKP", "crv": "Ed25519", "x": x}])
    assert r.valid, r.errors
    assert not any("not who issued it" in w for w in r.warnings)
    other = ed25519.Ed25519PrivateKey.generate().public_key()
    from microcred.badges.keys import public_key_to_jwk

    r2 = verify_file(DCV / "simple.json", keys=[{**public_key_to_jwk(other), "kid": "other"}])
    assert not r2.valid and any("none of the given keys" in e for e in r2.errors)


# -- vectors that must fail, each for the reason its name gives ---------------------------

ERR_REASONS: dict[str, str] = {
    "simple-err-context.json": "@context must begin with https://www.w3.org/ns/credentials/v2",
    "simple-err-credential-subject-achievement-result-description-type.json": (
        "credentialSubject.achievement.resultDescription[2].type must include 'ResultDescription'"
    ),
    "simple-err-credential-subject-identifier-type.json": (
        "credentialSubject.identifier[0].type must include 'IdentityObject'"
    ),
    "simple-err-credential-subject-profile-type.json": "credentialSubject.source.type must include 'Profile'",
    "simple-err-credential-subject-result-type.json": "credentialSubject.result[1].type must include 'Result'",
    "simple-err-credential-subject-type.json": "credentialSubject.type must include 'AchievementSubject'",
    "simple-err-evidence-type.json": "evidence[1].type must include 'Evidence'",
    "simple-err-expired.json": "expired: validUntil is 2010-01-01T00:00:00Z",
    "simple-err-issued.json": "not yet valid: validFrom is 2040-01-01T00:00:00Z",
    "simple-err-issuer-otheridentifier-type.json": "issuer.otherIdentifier[1].type must include 'IdentifierEntry'",
    "simple-err-issuer-parentorg-type.json": "issuer.parentOrg.type must include 'Profile'",
    "simple-err-issuer-type.json": "issuer.type must include 'Profile'",
    "simple-err-issuer.json": "the credential has no issuer",
    "simple-err-proof-method-no-scheme.json": (
        "verificationMethod 'z6MkrvfzkMnvCroEUP2DVc9SHPE48CRsvHiVSusHioxTYu1x' is not a URL"
    ),
    "simple-err-proof-method-unknown-did-method.json": "uses the DID method 'did:example'",
    "simple-err-proof-method-unknown-scheme.json": "uses the unsupported URL scheme 'xxx'",
    "simple-err-proof-method.json": "the signing key (https://example.edu/issuers/565049#z6MkjZRsdas",
    "simple-err-proof-value.json": "proofValue does not verify",
    "simple-err-type.json": "type must include 'OpenBadgeCredential'",
}


def test_every_err_vector_is_listed() -> None:
    assert sorted(p.name for p in DCV.glob("simple-err-*")) == sorted(ERR_REASONS)


@pytest.mark.parametrize("name", sorted(ERR_REASONS))
def test_err_vectors_fail_for_their_reason(name: str) -> None:
    r = verify_file(DCV / name, resolver=published())
    assert not r.valid
    assert any(ERR_REASONS[name] in e for e in r.errors), r.errors


def test_expired_vector_is_valid_before_it_expires() -> None:
    import datetime as dt

    r = verify_file(DCV / "simple-err-expired.json", now=dt.datetime(2009, 12, 31, tzinfo=dt.UTC))
    assert any("not yet valid" in e for e in r.errors)  # validFrom == validUntil: never valid
    assert not any(e.startswith("expired") for e in r.errors)


@pytest.mark.parametrize("name", ["credential-status-revoked.json", "credential-status-revoked-blank-nodes.json"])
def test_revoked_vector_fails_as_revoked(name: str) -> None:
    r = verify_file(
        DCV / "bit-string-list" / name,
        status_lists={TESTLIST_URL: DCV / "bit-string-list/testlist"},
        resolver=published(),
    )
    assert not r.valid
    assert any(e.startswith("revoked: entry 23 of the status list") for e in r.errors), r.errors
    # the credential's own proof is fine: revocation is the only reason
    assert len(r.errors) == 1


def test_revocation_unknown_without_the_list_is_a_warning() -> None:
    r = verify_file(DCV / "bit-string-list/credential-status-revoked.json", resolver=published())
    assert r.valid, r.errors
    assert any("revocation not checked" in w and "--status-list" in w for w in r.warnings)


def test_1edtech_revocation_list_from_a_local_file(tmp_path: Path) -> None:
    cred = json.loads((DCV / "complete.json").read_text())
    url = cred["credentialStatus"]["id"]
    listed = tmp_path / "revocations.json"
    listed.write_text(json.dumps({"id": url, "revokedCredentials": [{"id": cred["id"], "revocationReason": "error"}]}))
    r = verify_file(DCV / "complete.json", status_lists={url: listed}, resolver=published())
    assert any(e.startswith("revoked:") and "(error)" in e for e in r.errors), r.errors
    clean = tmp_path / "clean.json"
    clean.write_text(json.dumps({"id": url, "revokedCredentials": [{"id": "urn:uuid:someone-else"}]}))
    assert verify_file(DCV / "complete.json", status_lists={url: clean}, resolver=published()).valid


def test_a_tampered_status_list_is_not_trusted(tmp_path: Path) -> None:
    doc = json.loads((DCV / "bit-string-list/testlist").read_text())
    doc["credentialSubject"]["encodedList"] = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"
    forged = tmp_path / "testlist"
    forged.write_text(json.dumps(doc))
    r = verify_file(
        DCV / "bit-string-list/credential-status-revoked.json",
        status_lists={TESTLIST_URL: forged},
        resolver=published(),
    )
    assert not r.valid
    assert any("is not validly signed" in e and "revocation status is unknown" in e for e in r.errors), r.errors


# -- eddsa-rdfc-2022, byte for byte --------------------------------------------------------


def _section(text: str, sid: str) -> str:
    m = re.search(rf'<h3 id="{sid}">.*?</section>', text, re.S)
    assert m, sid
    return m.group(0)


def _pre(text: str, sid: str) -> Any:
    m = re.search(r"<pre[^>]*>(.*?)</pre\s*>", _section(text, sid), re.S)
    assert m, sid
    return json.loads(html.unescape(m.group(1)))


def _code(text: str, sid: str) -> str:
    m = re.search(r"<code\s*>\s*(\S+?)\s*</code", _section(text, sid), re.S)
    assert m, sid
    return m.group(1)


@pytest.fixture(scope="module", params=[("ob", "obv3p0"), ("clr", "clrv2p0")], ids=["ob", "clr"])
def ldp(request: pytest.FixtureRequest) -> dict[str, Any]:
    prefix, folder = request.param
    page = OBS / f"linked-data-proof-{prefix}.html"
    if not page.is_file():
        pytest.skip(f"{page} is absent")
    text = page.read_text(encoding="utf-8")
    keys = re.search(
        r"Public key \(hex\):\s*<code\s*>([0-9a-f]{64}).*?Private key \(hex\):\s*<code\s*>([0-9a-f]{128})", text, re.S
    )
    assert keys, "the page gives the key pair in hex"
    assert keys.group(2)[64:] == keys.group(1)  # private = seed ‖ public
    return {
        "credential": _pre(text, f"{prefix}-test-data"),
        "proof": _pre(text, f"{prefix}-proof"),
        "signed": _pre(text, f"{prefix}-signed-credential"),
        "document_hash": _code(text, f"{prefix}-document-hash"),
        "proof_hash": _code(text, f"{prefix}-proof-hash"),
        "data": _code(text, f"{prefix}-data"),
        "signature": _code(text, f"{prefix}-signature"),
        "proof_value": _code(text, f"{prefix}-proof-value"),
        "document_canon": (OBS / f"test-vectors/{folder}/document-canon.txt").read_text(encoding="utf-8"),
        "proof_canon": (OBS / f"test-vectors/{folder}/proof-canon.txt").read_text(encoding="utf-8"),
        "private": keys.group(2)[:64],
        "public": keys.group(1),
    }


def test_the_vector_key_and_multikey(ldp: dict[str, Any]) -> None:
    key = SigningKey(ed25519.Ed25519PrivateKey.from_private_bytes(bytes.fromhex(ldp["private"])), "EdDSA", None)
    assert key.multikey == "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"
    assert key.public_jwk()["kty"] == "OKP"
    from cryptography.hazmat.primitives import serialization

    raw = key.public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert raw.hex() == ldp["public"]
    assert ldp["proof"]["verificationMethod"].endswith("#" + key.multikey)


def test_canonical_forms_and_hashes_reproduce_byte_for_byte(ldp: dict[str, Any]) -> None:
    options = {k: v for k, v in ldp["proof"].items() if k != "proofValue"}
    proof_canon, doc_canon, data = di.hash_data(ldp["credential"], options)
    assert doc_canon == ldp["document_canon"]
    assert proof_canon == ldp["proof_canon"]
    assert hashlib.sha256(doc_canon.encode()).hexdigest() == ldp["document_hash"]
    assert hashlib.sha256(proof_canon.encode()).hexdigest() == ldp["proof_hash"]
    assert data.hex() == ldp["data"]


def test_signature_and_proof_value_reproduce_byte_for_byte(ldp: dict[str, Any]) -> None:
    private = ed25519.Ed25519PrivateKey.from_private_bytes(bytes.fromhex(ldp["private"]))
    key = SigningKey(private, "EdDSA", None)
    signed = di.sign_eddsa_rdfc_2022(
        ldp["credential"], key, ldp["proof"]["verificationMethod"], created=ldp["proof"]["created"]
    )
    assert signed["proof"][0]["proofValue"] == ldp["proof_value"]
    expected = dict(ldp["signed"])
    proofs = expected.pop("proof")
    assert signed.pop("proof") == (proofs if isinstance(proofs, list) else [proofs])
    assert signed == expected
    options = {k: v for k, v in ldp["proof"].items() if k != "proofValue"}
    assert private.sign(di.hash_data(ldp["credential"], options)[2]).hex() == ldp["signature"]
    assert di.verify_eddsa_rdfc_2022(ldp["signed"], [{"id": ldp["proof"]["verificationMethod"],
                                                       "publicKeyMultibase": VECTOR_KEY}]).valid  # fmt: skip


def test_shipped_contexts_are_the_pinned_copies() -> None:
    from microcred.badges.dataintegrity import CONTEXT_FILES, shipped_context

    for url, filename in CONTEXT_FILES.items():
        pinned = VECTORS / "contexts" / filename
        assert shipped_context(url) == json.loads(pinned.read_text(encoding="utf-8")), url


def test_verification_never_touches_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("microcred tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    from pyld import jsonld

    jsonld._resolved_context_cache.clear()  # resolve every context again, from the shipped files
    for path in sorted(DCV.glob("*.json")) + sorted(DCV.glob("*.png")) + sorted(DCV.glob("*.svg")):
        verify_file(path)
