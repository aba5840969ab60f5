"""Who issued a badge: the signing key must be one its issuer controls.

A badge claiming any issuer and signed with any key is intact, but says nothing about who issued
it; verification must reject it, with the reason, unless the key is bound to the issuer (a
did:key issuer, a did:web or https issuer's controller document, or keys the caller trusts).
"""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLE
from cryptography.hazmat.primitives.asymmetric import ed25519

from microcred.badges.dataintegrity import sign_eddsa_rdfc_2022
from microcred.badges.errors import BadgeError
from microcred.badges.identity import (
    controller_document,
    did_web_url,
    files_to_publish,
    jwk_method_id,
    multikey_method_id,
)
from microcred.badges.jwt import decode_unverified, sign_vc_jwt
from microcred.badges.keys import SigningKey, generate_key, save_key
from microcred.badges.resolve import Resolver, load_registry
from microcred.badges.verify import verify_credential
from microcred.cli import main

ISSUER = "https://example.edu"
EARNED = EXAMPLE.parent.parent / "examples" / "example-university" / "transcripts" / "earned-certificate.yaml"


def credential(issuer: str = ISSUER, name: str = "Example University") -> dict[str, Any]:
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "urn:uuid:8f1c7f2a-0b5e-4c57-9a53-0f1f7d6c1a01",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer, "type": ["Profile"], "name": name},
        "name": "Python Programming",
        "validFrom": "2024-12-15T00:00:00Z",
        "credentialSubject": {
            "id": "did:example:learner",
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "urn:uuid:6f5d2f8e-7c1b-5a7e-8f0a-000000000001",
                "type": ["Achievement"],
                "name": "Python Programming",
                "description": "Programs in Python.",
                "criteria": {"narrative": "Pass CSCI 1410 and CSCI 1411."},
            },
        },
    }


@pytest.fixture(scope="module")
def ed() -> SigningKey:
    return generate_key("ed25519")


@pytest.fixture(scope="module")
def rsa() -> SigningKey:
    return generate_key("rsa", rsa_bits=2048)


@pytest.fixture(scope="module")
def attacker() -> SigningKey:
    return generate_key("ed25519")


@pytest.fixture(scope="module")
def attacker_rsa() -> SigningKey:
    return generate_key("rsa", rsa_bits=2048)


@pytest.fixture(scope="module")
def published(ed: SigningKey, rsa: SigningKey) -> Resolver:
    return Resolver({ISSUER: controller_document(ISSUER, [ed, rsa])})


# -- the trust gap: any issuer, any key --------------------------------------------------


def test_a_badge_signed_with_someone_elses_did_key_is_invalid(attacker: SigningKey, published: Resolver) -> None:
    forged = sign_eddsa_rdfc_2022(credential(), attacker, attacker.did_key())
    for resolver in (None, published):
        r = verify_credential(forged, resolver=resolver)
        assert not r.valid
        # the signature itself is fine: the key just is not the issuer's
        assert not any("does not verify" in e for e in r.errors), r.errors
        assert r.issuer_key is None
    r = verify_credential(forged, resolver=published)
    assert any(f"({attacker.did_key()}) is not controlled by the issuer {ISSUER}" in e for e in r.errors), r.errors


def test_a_badge_naming_the_issuers_url_with_another_key_is_invalid(attacker: SigningKey, published: Resolver) -> None:
    # the verificationMethod is under the issuer's URL, but the issuer never published that key
    forged = sign_eddsa_rdfc_2022(credential(), attacker, f"{ISSUER}#{attacker.multikey}")
    r = verify_credential(forged, resolver=published)
    assert not r.valid and any("is not among the keys the issuer publishes" in e for e in r.errors), r.errors


@pytest.mark.parametrize("which", ["ed", "rsa"])
def test_a_jwt_with_an_embedded_foreign_key_is_invalid(
    which: str, attacker: SigningKey, attacker_rsa: SigningKey, published: Resolver
) -> None:
    key = attacker if which == "ed" else attacker_rsa
    token = sign_vc_jwt(credential(), key)
    r = verify_credential(token, resolver=published)
    assert not r.valid and r.issuer_key is None
    assert any("is not controlled by the issuer https://example.edu" in e for e in r.errors), r.errors
    assert not any("signature does not verify" in e for e in r.errors)


def test_a_jwt_whose_kid_names_the_issuers_key_but_signed_by_another_fails(
    ed: SigningKey, attacker: SigningKey
) -> None:
    web = "did:web:example.edu"
    doc = controller_document(web, [ed])
    token = sign_vc_jwt(credential(web), attacker)
    body = token.split(".")[1]
    header = decode_unverified(token)[0]
    header["kid"] = jwk_method_id(web, ed)  # claim the issuer's key
    header.pop("jwk")
    from microcred.badges import _codec

    forged_head = _codec.b64url_encode(json.dumps(header).encode())
    assert isinstance(attacker.private_key, ed25519.Ed25519PrivateKey)
    forged_sig = _codec.b64url_encode(attacker.private_key.sign(f"{forged_head}.{body}".encode()))
    r = verify_credential(f"{forged_head}.{body}.{forged_sig}", resolver=Resolver({did_web_url(web): doc}))
    assert not r.valid and any("signature does not verify" in e for e in r.errors), r.errors


def test_the_issuers_own_keys_verify(ed: SigningKey, rsa: SigningKey, published: Resolver) -> None:
    signed = sign_eddsa_rdfc_2022(credential(), ed, multikey_method_id(ISSUER, ed))
    r = verify_credential(signed, resolver=published)
    assert r.valid, r.errors
    assert r.issuer_key == f"{ISSUER}#{ed.multikey}"
    token = sign_vc_jwt(credential(), rsa)
    r2 = verify_credential(token, resolver=published)
    assert r2.valid, r2.errors
    assert r2.issuer_key is not None and r2.issuer_key.startswith(ISSUER + "#")
    # tampering is still caught once the key is bound
    tampered = copy.deepcopy(signed)
    tampered["name"] = "Advanced Python"
    assert not verify_credential(tampered, resolver=published).valid


# -- did:key and did:web issuers ----------------------------------------------------------


def test_a_did_key_issuer_verifies_offline_and_only_with_its_own_key(ed: SigningKey, attacker: SigningKey) -> None:
    me = ed.did_key().split("#")[0]
    signed = sign_eddsa_rdfc_2022(credential(me), ed, multikey_method_id(me, ed))
    r = verify_credential(signed)
    assert r.valid, r.errors
    assert r.issuer_key == ed.did_key()
    token = sign_vc_jwt(credential(me), ed)
    assert decode_unverified(token)[0]["kid"] == ed.did_key()
    assert verify_credential(token).valid
    bare = sign_eddsa_rdfc_2022(credential(me), ed, me)  # the DID itself names its one key
    assert verify_credential(bare).valid
    forged = sign_eddsa_rdfc_2022(credential(me), attacker, attacker.did_key())
    r2 = verify_credential(forged)
    assert not r2.valid and any(f"is not the issuer's did:key {me}" in e for e in r2.errors), r2.errors
    with pytest.raises(BadgeError, match="must sign with its own key"):
        multikey_method_id(me, attacker)


def test_a_did_web_issuer_resolves_through_its_did_document(ed: SigningKey, rsa: SigningKey, tmp_path: Path) -> None:
    web = "did:web:example.edu:issuers:1"
    assert did_web_url(web) == "https://example.edu/issuers/1/did.json"
    assert did_web_url("did:web:example.edu%3A8443") == "https://example.edu:8443/.well-known/did.json"
    files = {f.name: f for f in files_to_publish(web, [ed, rsa])}
    assert sorted(files) == ["did.json", "jwks.json"]
    assert files["did.json"].url == "https://example.edu/issuers/1/did.json"
    assert files["jwks.json"].url == "https://example.edu/.well-known/jwks.json"
    (tmp_path / "did.json").write_bytes(files["did.json"].content)
    jwks = json.loads(files["jwks.json"].content)
    token = sign_vc_jwt(credential(web), rsa)
    kid = decode_unverified(token)[0]["kid"]
    assert kid.startswith(web + "#") and kid in {k["kid"] for k in jwks["keys"]}
    assert not any("d" in k for k in jwks["keys"])  # public keys only
    by_url = Resolver({"https://example.edu/issuers/1/did.json": tmp_path / "did.json"})
    by_did = Resolver({web: tmp_path / "did.json"})
    for resolver in (by_url, by_did):
        r = verify_credential(token, resolver=resolver)
        assert r.valid and r.issuer_key == kid, r.errors
        signed = sign_eddsa_rdfc_2022(credential(web), ed, multikey_method_id(web, ed))
        assert verify_credential(signed, resolver=resolver).valid
    offline = verify_credential(token)
    assert not offline.valid
    assert any("--resolve https://example.edu/issuers/1/did.json=FILE" in e for e in offline.errors), offline.errors


def test_a_controller_document_for_another_id_or_without_assertion_method_binds_nothing(ed: SigningKey) -> None:
    signed = sign_eddsa_rdfc_2022(credential(), ed, multikey_method_id(ISSUER, ed))
    other = controller_document("https://evil.example", [ed])
    r = verify_credential(signed, resolver=Resolver({ISSUER: other}))
    assert not r.valid and any("is for 'https://evil.example', not for the issuer" in e for e in r.errors)
    bare = controller_document(ISSUER, [ed])
    del bare["assertionMethod"]
    r2 = verify_credential(signed, resolver=Resolver({ISSUER: bare}))
    assert not r2.valid and any("lists no assertionMethod" in e for e in r2.errors)
    foreign = controller_document(ISSUER, [ed])
    for m in foreign["verificationMethod"]:
        m["controller"] = "https://evil.example"
    r3 = verify_credential(signed, resolver=Resolver({ISSUER: foreign}))
    assert not r3.valid


def test_online_resolution_only_when_asked(ed: SigningKey) -> None:
    signed = sign_eddsa_rdfc_2022(credential(), ed, multikey_method_id(ISSUER, ed))
    fetched: list[str] = []

    def fetch(url: str) -> bytes:
        fetched.append(url)
        return json.dumps(controller_document(ISSUER, [ed])).encode()

    assert not verify_credential(signed, resolver=Resolver(fetch=fetch)).valid
    assert fetched == []  # offline unless asked
    r = verify_credential(signed, resolver=Resolver(online=True, fetch=fetch))
    assert r.valid, r.errors
    assert fetched == [ISSUER]

    def down(url: str) -> bytes:
        raise BadgeError(f"cannot fetch {url}: connection refused")

    r2 = verify_credential(signed, resolver=Resolver(online=True, fetch=down))
    assert not r2.valid and any("cannot fetch https://example.edu" in e for e in r2.errors)


def test_an_unresolvable_issuer_is_invalid_unless_the_caller_trusts_the_key(ed: SigningKey) -> None:
    urn = "urn:uuid:00000000-0000-4000-8000-000000000000"
    signed = sign_eddsa_rdfc_2022(credential(urn), ed, ed.did_key())
    r = verify_credential(signed)
    assert not r.valid and any("cannot be resolved to keys" in e for e in r.errors)
    pinned = verify_credential(signed, keys=[{**ed.public_jwk(), "kid": ed.did_key()}])
    assert pinned.valid, pinned.errors


def test_a_status_list_signed_by_someone_else_is_not_trusted(
    ed: SigningKey, attacker: SigningKey, published: Resolver, tmp_path: Path
) -> None:
    import base64
    import gzip

    url = "https://example.edu/status/1"
    cred = credential()
    cred["credentialStatus"] = {
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "3",
        "statusListCredential": url,
    }
    signed = sign_eddsa_rdfc_2022(cred, ed, multikey_method_id(ISSUER, ed))
    bits = bytearray(16 * 1024)
    encoded = "u" + base64.urlsafe_b64encode(gzip.compress(bytes(bits))).decode().rstrip("=")
    status = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": ISSUER,
        "validFrom": "2024-01-01T00:00:00Z",
        "credentialSubject": {
            "id": url + "#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encoded,
        },
    }
    good = tmp_path / "good.json"
    good.write_text(json.dumps(sign_eddsa_rdfc_2022(status, ed, multikey_method_id(ISSUER, ed))))
    r = verify_credential(signed, resolver=published, status_lists={url: good})
    assert r.valid, r.errors
    # a list claiming the issuer, signed by another key, cannot un-revoke or revoke anything
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(sign_eddsa_rdfc_2022(status, attacker, attacker.did_key())))
    r2 = verify_credential(signed, resolver=published, status_lists={url: bad})
    assert not r2.valid and any("is not validly signed" in e for e in r2.errors), r2.errors


# -- trusted-issuer lists -----------------------------------------------------------------


def registry(tmp_path: Path, entries: dict[str, Any], name: str = "Test Registry") -> Path:
    path = tmp_path / "registry.json"
    path.write_text(json.dumps({"meta": {"created": "2024-01-01T00:00:00Z", "name": name}, "registry": entries}))
    return path


def test_a_trusted_issuer_list_answers_who_issued_it(ed: SigningKey, published: Resolver, tmp_path: Path) -> None:
    signed = sign_eddsa_rdfc_2022(credential(), ed, multikey_method_id(ISSUER, ed))
    listed = load_registry(registry(tmp_path, {ISSUER: {"name": "Example University", "url": ISSUER}}))
    r = verify_credential(signed, resolver=published, registries=[listed])
    assert r.valid and r.registries == ["Test Registry"], r.errors
    assert r.to_json()["registries"] == ["Test Registry"]
    absent = load_registry(registry(tmp_path, {"did:web:other.example": {"name": "Other"}}))
    r2 = verify_credential(signed, resolver=published, registries=[absent])
    assert not r2.valid and r2.errors == [
        "the issuer https://example.edu is on none of the trusted-issuer lists given (Test Registry)"
    ]
    renamed = load_registry(registry(tmp_path, {ISSUER: {"name": "Example U.", "url": ISSUER}}))
    r3 = verify_credential(signed, resolver=published, registries=[renamed])
    assert r3.valid and any("knows it as 'Example U.'" in w for w in r3.warnings)


def test_a_trusted_issuer_list_never_vouches_for_a_key_the_issuer_does_not_control(
    attacker: SigningKey, published: Resolver, tmp_path: Path
) -> None:
    forged = sign_eddsa_rdfc_2022(credential(), attacker, attacker.did_key())
    listed = load_registry(registry(tmp_path, {ISSUER: {"name": "Example University"}}))
    assert not verify_credential(forged, resolver=published, registries=[listed]).valid


@pytest.mark.parametrize(
    ("content", "reason"),
    [("{oops", "not JSON"), ('{"meta": {}}', "not a trusted-issuer list"), ('{"registry": {"a": 1}}', "not a trusted")],
)
def test_bad_registry_files_are_refused(content: str, reason: str, tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text(content)
    with pytest.raises(BadgeError, match=reason):
        load_registry(path)
    with pytest.raises(BadgeError, match="cannot read"):
        load_registry(tmp_path / "absent.json")


# -- the command line ---------------------------------------------------------------------


def run(*argv: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], out, err)
    return code, out.getvalue(), err.getvalue()


def test_issue_refuses_an_issuer_without_a_resolvable_id(tmp_path: Path, ed: SigningKey) -> None:
    import shutil

    save_key(ed, tmp_path, "k")
    folder = tmp_path / "cat"
    shutil.copytree(EXAMPLE, folder)
    text = (folder / "catalog.yaml").read_text(encoding="utf-8")
    assert "    url: https://example.edu\n" in text
    (folder / "catalog.yaml").write_text(text.replace("    url: https://example.edu\n", ""), encoding="utf-8")
    for fmt in ("json", "jwt"):
        out_file = tmp_path / f"b.{fmt}"
        code, _, err = run(
            "badge", "issue", "--catalog", folder, EARNED, "--credential", "data-foundations",
            "--key", tmp_path / "k.pem", "--format", fmt, "-o", out_file,
        )  # fmt: skip
        assert code == 1, err
        assert "issuer has no id" in err and "catalog.issuer.id" in err and "microcred keys publish" in err
        assert not out_file.exists()
    code, _, err = run("clr", "--catalog", folder, EARNED, "--key", tmp_path / "k.pem", "-o", tmp_path / "c.jwt")
    assert code == 1 and "issuer has no id" in err


def test_keys_publish_writes_what_the_issuer_serves(tmp_path: Path, ed: SigningKey, rsa: SigningKey) -> None:
    save_key(ed, tmp_path, "ed")
    save_key(rsa, tmp_path, "rsa")
    code, out, err = run(
        "keys", "publish", "--issuer", "did:web:example.edu", "--key", tmp_path / "ed.pem",
        "--key", tmp_path / "rsa.jwk.json", "--out", tmp_path / "site",
    )  # fmt: skip
    assert code == 0, err
    assert out.splitlines() == [
        f"{tmp_path / 'site' / 'did.json'}\thttps://example.edu/.well-known/did.json",
        f"{tmp_path / 'site' / 'jwks.json'}\thttps://example.edu/.well-known/jwks.json",
    ]
    doc = json.loads((tmp_path / "site" / "did.json").read_text())
    assert doc["id"] == "did:web:example.edu"
    assert doc["assertionMethod"] == [m["id"] for m in doc["verificationMethod"]]
    assert {m["type"] for m in doc["verificationMethod"]} == {"Multikey", "JsonWebKey"}
    assert "PRIVATE" not in (tmp_path / "site" / "did.json").read_text() + out + err
    assert all("d" not in m.get("publicKeyJwk", {}) for m in doc["verificationMethod"])
    # the CLI verifies against it, given as a local copy
    token = sign_vc_jwt(credential("did:web:example.edu"), rsa)
    badge = tmp_path / "b.jwt"
    badge.write_text(token)
    code, out, _ = run("badge", "verify", badge, "--resolve", f"did:web:example.edu={tmp_path / 'site' / 'did.json'}")
    assert code == 0 and "signed by the issuer's key: did:web:example.edu#" in out, out
    code, out, _ = run("badge", "verify", badge)
    assert code == 1 and "did.json) was not given" in out, out
    # a did:key publishes nothing; a urn cannot be published
    me = ed.did_key().split("#")[0]
    code, out, err = run("keys", "publish", "--issuer", me, "--key", tmp_path / "ed.pem", "--out", tmp_path / "x")
    assert code == 0 and out == "" and "nothing to publish" in err
    code, _, err = run("keys", "publish", "--issuer", "urn:x:1", "--key", tmp_path / "ed.pem", "--out", tmp_path / "y")
    assert code == 1 and "cannot be resolved by a verifier" in err
    code, _, err = run("keys", "publish", "--issuer", me, "--key", tmp_path / "rsa.pem", "--out", tmp_path / "z")
    assert code == 1 and "needs an Ed25519 key" in err


def test_verify_cli_with_a_trusted_issuer_list(tmp_path: Path, ed: SigningKey) -> None:
    me = ed.did_key().split("#")[0]
    badge = tmp_path / "b.json"
    badge.write_text(json.dumps(sign_eddsa_rdfc_2022(credential(me), ed, multikey_method_id(me, ed))))
    listed = registry(tmp_path, {me: {"name": "Example University", "location": "Springfield"}})
    code, out, _ = run("badge", "verify", badge, "--trusted-issuers", listed)
    assert code == 0 and "issuer listed in: Test Registry" in out, out
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"registry": {"did:web:x.example": {"name": "X"}}}))
    code, out, _ = run("badge", "verify", badge, "--trusted-issuers", other, "--format", "json")
    doc = json.loads(out)
    assert code == 1 and doc["valid"] is False and "on none of the trusted-issuer lists" in doc["errors"][0]
    code, _, err = run("badge", "verify", badge, "--trusted-issuers", tmp_path / "absent.json")
    assert code == 2 and "--trusted-issuers" in err and "no such file" in err
    code, _, err = run("badge", "verify", badge, "--resolve", f"{ISSUER}={tmp_path / 'absent.json'}")
    assert code == 2 and "--resolve" in err and "no such file" in err


def test_keys_may_be_the_issuers_controller_document(tmp_path: Path, ed: SigningKey, rsa: SigningKey) -> None:
    from microcred.badges.keys import load_public_keys

    web = "did:web:example.edu"
    doc = tmp_path / "did.json"
    doc.write_text(json.dumps(controller_document(web, [ed, rsa])))
    keys = load_public_keys(doc)
    assert {k["kid"] for k in keys} == {m["id"] for m in controller_document(web, [ed, rsa])["verificationMethod"]}
    for signed in (
        sign_vc_jwt(credential(web), rsa),
        sign_eddsa_rdfc_2022(credential(web), ed, multikey_method_id(web, ed)),
    ):
        badge = tmp_path / "b.txt"
        badge.write_text(signed if isinstance(signed, str) else json.dumps(signed))
        code, out, _ = run("badge", "verify", badge, "--keys", doc)
        assert code == 0, out
    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps({"id": web, "verificationMethod": []}))
    with pytest.raises(BadgeError, match="lists no Ed25519 or RSA key"):
        load_public_keys(empty)


@pytest.mark.parametrize("issuer", ["did:web:example.edu", "did:key"])
def test_a_catalogue_issuer_by_did_issues_badges_that_verify(issuer: str, tmp_path: Path, ed: SigningKey) -> None:
    import shutil

    save_key(ed, tmp_path, "k")
    ident = ed.did_key().split("#")[0] if issuer == "did:key" else issuer
    folder = tmp_path / "cat"
    shutil.copytree(EXAMPLE, folder)
    text = (folder / "catalog.yaml").read_text(encoding="utf-8")
    (folder / "catalog.yaml").write_text(text.replace("    url: https://example.edu\n", f"    id: {ident}\n"))
    code, out, err = run("keys", "publish", "--catalog", folder, "--key", tmp_path / "k.pem", "--out", tmp_path / "s")
    assert code == 0, err
    resolve = [] if issuer == "did:key" else ["--resolve", f"{issuer}={tmp_path / 's' / 'did.json'}"]
    for fmt in ("json", "jwt"):
        badge = tmp_path / f"b.{fmt}"
        code, _, err = run("badge", "issue", "--catalog", folder, EARNED, "--credential", "data-foundations",
                           "--key", tmp_path / "k.pem", "--format", fmt, "-o", badge)  # fmt: skip
        assert code == 0, err
        code, out, _ = run("badge", "verify", badge, *resolve)
        assert code == 0 and f"signed by the issuer's key: {ident}#" in out, out
        if fmt == "jwt":
            header = decode_unverified(badge.read_text())[0]
            assert header["kid"].startswith(ident + "#")
    code, out, err = run("clr", "--catalog", folder, EARNED, "--key", tmp_path / "k.pem", "--format", "json",
                         "-o", tmp_path / "clr.json")  # fmt: skip
    assert code == 0, err
    code, out, _ = run("badge", "verify", tmp_path / "clr.json", *resolve)
    assert code == 0, out
