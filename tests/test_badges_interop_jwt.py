"""VC-JWTs against independent JOSE implementations, both ways.

microcred's tokens (issued by ``badge issue`` and ``clr``) are verified by PyJWT and jwcrypto
with the key taken from the files ``keys publish`` writes, as a wallet or an employer would;
tokens signed by PyJWT and jwcrypto are verified by microcred, and tampered copies are refused
by all of them.
"""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLE, ROOT, ob3_credential

from microcred.badges import _codec
from microcred.badges.identity import controller_document, did_web_url
from microcred.badges.keys import SigningKey, generate_key, jwk_thumbprint
from microcred.badges.resolve import Resolver
from microcred.badges.verify import verify_credential, verify_file
from microcred.cli import main

jwt = pytest.importorskip("jwt", reason="PyJWT is not installed (pip install -e '.[test]')")
jwcrypto_jwk = pytest.importorskip("jwcrypto.jwk", reason="jwcrypto is not installed (pip install -e '.[test]')")
jwcrypto_jws = pytest.importorskip("jwcrypto.jws", reason="jwcrypto is not installed (pip install -e '.[test]')")

EARNED = ROOT / "examples" / "example-university" / "transcripts" / "earned-certificate.yaml"
EMAIL = "maya.chen@example.edu"


def run(*argv: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], out, err)
    return code, out.getvalue(), err.getvalue()


def parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    head, body, _ = token.split(".")
    return json.loads(_codec.b64url_decode(head)), json.loads(_codec.b64url_decode(body))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An RSA key made by `keys generate` (its default) and the files `keys publish` writes."""
    d = tmp_path_factory.mktemp("issuer")
    code, _, err = run("keys", "generate", "--out", d, "--name", "issuer")
    assert code == 0, err
    assert run("keys", "generate", "--type", "ed25519", "--out", d, "--name", "ed")[0] == 0
    code, _, err = run("keys", "publish", "--catalog", EXAMPLE, "--key", d / "issuer.pem", "--key", d / "ed.pem",
                       "--out", d / "site")  # fmt: skip
    assert code == 0, err
    return d


def published_key(site: Path, header: dict[str, Any]) -> dict[str, Any]:
    """The issuer's key for a token, found as a verifier would: its JWKS, by kid or by the jwk's thumbprint."""
    jwks = json.loads((site / "site" / "jwks.json").read_text())
    if "kid" in header:
        (key,) = [k for k in jwks["keys"] if k["kid"] == header["kid"]]
    else:
        (key,) = [k for k in jwks["keys"] if jwk_thumbprint(k) == jwk_thumbprint(header["jwk"])]
    return dict(key)


def issue(site: Path, tmp_path: Path, credential: str = "data-analytics-certificate") -> str:
    out = tmp_path / "badge.jwt"
    code, _, err = run("badge", "issue", "--catalog", EXAMPLE, EARNED, "--credential", credential,
                       "--key", site / "issuer.pem", "-o", out)  # fmt: skip
    assert code == 0, err
    return out.read_text().strip()


# -- microcred → PyJWT, jwcrypto -----------------------------------------------------------


def test_the_default_badge_is_an_rs256_vc_jwt_others_verify(site: Path, tmp_path: Path) -> None:
    token = issue(site, tmp_path)
    header, payload = parts(token)
    assert header["alg"] == "RS256"  # the OB 3.0 interoperable minimum, and all 1EdTech's validator takes
    assert "kid" not in header or ":" in header["kid"]  # never a bare thumbprint
    assert "jti" not in payload
    assert payload["sub"] == payload["credentialSubject"]["id"]
    key = published_key(site, header)
    claims = jwt.decode(
        token,
        key=jwt.PyJWK.from_dict(key).key,
        algorithms=["RS256"],
        options={"require": ["iss", "sub", "nbf"]},
        issuer="https://example.edu",
    )
    assert claims["credentialSubject"]["achievement"]["humanCode"] == "data-analytics-certificate"
    jws = jwcrypto_jws.JWS()
    jws.deserialize(token)
    jws.verify(jwcrypto_jwk.JWK(**key), alg="RS256")
    assert json.loads(jws.payload) == payload


def test_tampered_badges_are_refused_by_every_implementation(site: Path, tmp_path: Path) -> None:
    token = issue(site, tmp_path)
    header, payload = parts(token)
    key = published_key(site, header)
    forged_payload = copy.deepcopy(payload)
    forged_payload["credentialSubject"]["achievement"]["name"] = "Doctor of Everything"
    head, _, sig = token.split(".")
    forged = f"{head}.{_codec.b64url_encode(json.dumps(forged_payload).encode())}.{sig}"
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(forged, key=jwt.PyJWK.from_dict(key).key, algorithms=["RS256"])
    jws = jwcrypto_jws.JWS()
    jws.deserialize(forged)
    with pytest.raises(jwcrypto_jws.InvalidJWSSignature):
        jws.verify(jwcrypto_jwk.JWK(**key))
    resolver = Resolver({"https://example.edu": site / "site" / "controller.json"})
    assert not verify_credential(forged, resolver=resolver).valid
    assert verify_credential(token, resolver=resolver).valid


def test_a_baked_badge_carries_the_same_token(site: Path, tmp_path: Path) -> None:
    from microcred.badges import bake

    svg = tmp_path / "plain.svg"
    svg.write_bytes(b'<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>\n')
    out = tmp_path / "baked.svg"
    code, _, err = run("badge", "issue", "--catalog", EXAMPLE, EARNED, "--credential", "data-foundations",
                       "--key", site / "issuer.pem", "--image", svg, "-o", out)  # fmt: skip
    assert code == 0, err
    token = bake.extract_svg(out.read_bytes())
    assert token is not None
    header, payload = parts(token.strip())
    assert payload["credentialSubject"]["achievement"]["image"]["id"].startswith("data:image/svg+xml;base64,")
    jwt.decode(token.strip(), key=jwt.PyJWK.from_dict(published_key(site, header)).key, algorithms=["RS256"])


def test_the_clr_jwt_verifies_with_pyjwt(site: Path) -> None:
    code, out, err = run("clr", "--catalog", EXAMPLE, EARNED, "--key", site / "issuer.pem", "-o", "-")
    assert code == 0, err
    token = out.strip()
    header, _ = parts(token)
    claims = jwt.decode(token, key=jwt.PyJWK.from_dict(published_key(site, header)).key, algorithms=["RS256"])
    assert claims["type"] == ["VerifiableCredential", "ClrCredential"]
    assert all(vc["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
               for vc in claims["credentialSubject"]["verifiableCredential"])  # fmt: skip


def test_an_eddsa_token_verifies_with_pyjwt(tmp_path: Path) -> None:
    from microcred.badges.jwt import sign_vc_jwt

    key = generate_key("ed25519")
    me = key.did_key().split("#")[0]
    token = sign_vc_jwt(credential(me), key)
    header, _ = parts(token)
    assert header == {"alg": "EdDSA", "typ": "JWT", "kid": key.did_key(), "jwk": header["jwk"]}
    pub = {k: v for k, v in key.public_jwk().items() if k in ("kty", "crv", "x")}
    jwt.decode(token, key=jwt.PyJWK.from_dict(pub, algorithm="EdDSA").key, algorithms=["EdDSA"])


# -- PyJWT, jwcrypto → microcred ----------------------------------------------------------


def claims(cred: dict[str, Any]) -> dict[str, Any]:
    return {**cred, "iss": cred["issuer"]["id"], "sub": cred["credentialSubject"]["id"], "nbf": 1717200000}


def rsa_pem(key: SigningKey) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


WEB = "did:web:badges.example.edu"


@pytest.fixture(scope="module")
def web_issuer() -> tuple[SigningKey, Resolver]:
    key = generate_key("rsa", rsa_bits=2048)
    return key, Resolver({did_web_url(WEB): controller_document(WEB, [key])})


def test_a_pyjwt_token_verifies_in_microcred_and_tampering_is_caught(web_issuer: tuple[SigningKey, Resolver]) -> None:
    key, resolver = web_issuer
    kid = f"{WEB}#{jwk_thumbprint(key.public_jwk())}"
    token = jwt.encode(claims(credential(WEB)), rsa_pem(key), algorithm="RS256", headers={"kid": kid})
    r = verify_credential(token, resolver=resolver)
    assert r.valid, r.errors
    assert r.issuer_key == kid
    head, body, sig = token.split(".")
    payload = json.loads(_codec.b64url_decode(body))
    payload["name"] = "Something Else"
    tampered = f"{head}.{_codec.b64url_encode(json.dumps(payload).encode())}.{sig}"
    bad = verify_credential(tampered, resolver=resolver)
    assert not bad.valid and any("signature does not verify" in e for e in bad.errors)


def test_a_pyjwt_token_signed_by_a_stranger_is_refused(web_issuer: tuple[SigningKey, Resolver]) -> None:
    _, resolver = web_issuer
    stranger = generate_key("rsa", rsa_bits=2048)
    jwk = {k: v for k, v in stranger.public_jwk().items() if k in ("kty", "n", "e")}
    token = jwt.encode(claims(credential(WEB)), rsa_pem(stranger), algorithm="RS256", headers={"jwk": jwk})
    r = verify_credential(token, resolver=resolver)
    assert not r.valid and any("is not controlled by the issuer did:web:badges.example.edu" in e for e in r.errors)


def test_a_jwcrypto_token_verifies_in_microcred(tmp_path: Path) -> None:
    key = jwcrypto_jwk.JWK.generate(kty="OKP", crv="Ed25519")
    public = json.loads(key.export_public())
    raw = _codec.b64url_decode(public["x"])
    multikey = _codec.ed25519_multikey(raw)
    issuer = f"did:key:{multikey}"
    token = jwcrypto_jws.JWS(json.dumps(claims(credential(issuer))).encode())
    token.add_signature(key, alg="EdDSA", protected={"alg": "EdDSA", "kid": f"{issuer}#{multikey}"})
    compact = token.serialize(compact=True)
    r = verify_credential(compact)  # a did:key issuer resolves offline
    assert r.valid, r.errors
    badge = tmp_path / "jwcrypto.jwt"
    badge.write_text(compact)
    assert verify_file(badge).valid
    # the same token, claiming another issuer, is refused
    other = jwcrypto_jws.JWS(json.dumps(claims(credential("did:web:elsewhere.example"))).encode())
    other.add_signature(key, alg="EdDSA", protected={"alg": "EdDSA", "kid": f"{issuer}#{multikey}"})
    assert not verify_credential(other.serialize(compact=True)).valid


def credential(issuer: str) -> dict[str, Any]:
    return ob3_credential(issuer, "urn:uuid:0b4f5a0e-3f0a-4d3c-9d55-2b5c8c0e7e11")


# -- ES256 (ECDSA on P-256), both ways ------------------------------------------------------


def test_an_es256_badge_verifies_with_pyjwt_and_jwcrypto(tmp_path: Path) -> None:
    """`keys generate --type p256` makes an ES256 key; the badge it signs carries a JOSE
    ``r || s`` signature that two independent libraries verify with the published JWKS, and a
    tampered copy fails everywhere."""
    code, _, err = run("keys", "generate", "--type", "p256", "--out", tmp_path, "--name", "p256")
    assert code == 0, err
    assert "(ES256)" in err
    code, _, err = run("keys", "publish", "--catalog", EXAMPLE, "--key", tmp_path / "p256.pem",
                       "--out", tmp_path / "site")  # fmt: skip
    assert code == 0, err
    out = tmp_path / "badge.jwt"
    code, _, err = run("badge", "issue", "--catalog", EXAMPLE, EARNED, "--credential", "data-analytics-certificate",
                       "--key", tmp_path / "p256.pem", "-o", out)  # fmt: skip
    assert code == 0, err
    token = out.read_text().strip()
    header, payload = parts(token)
    assert header["alg"] == "ES256" and header["jwk"]["crv"] == "P-256"
    assert len(_codec.b64url_decode(token.split(".")[2])) == 64  # r || s, not DER
    jwks = json.loads((tmp_path / "site" / "jwks.json").read_text())
    (key,) = [k for k in jwks["keys"] if jwk_thumbprint(k) == jwk_thumbprint(header["jwk"])]
    assert key["kty"] == "EC" and key["alg"] == "ES256"
    assert jwt.decode(token, key=jwt.PyJWK.from_dict(key).key, algorithms=["ES256"]) == payload
    jws = jwcrypto_jws.JWS()
    jws.deserialize(token)
    jws.verify(jwcrypto_jwk.JWK(**key), alg="ES256")
    resolver = Resolver({"https://example.edu": tmp_path / "site" / "controller.json"})
    assert verify_credential(token, resolver=resolver).valid
    forged_payload = copy.deepcopy(payload)
    forged_payload["credentialSubject"]["achievement"]["name"] = "Doctor of Everything"
    head, _, sig = token.split(".")
    forged = f"{head}.{_codec.b64url_encode(json.dumps(forged_payload).encode())}.{sig}"
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(forged, key=jwt.PyJWK.from_dict(key).key, algorithms=["ES256"])
    assert not verify_credential(forged, resolver=resolver).valid


def test_es256_tokens_from_pyjwt_and_jwcrypto_verify_in_microcred() -> None:
    """ES256 tokens signed by PyJWT and by jwcrypto for a did:web issuer whose controller
    document lists the P-256 key are valid; signed by a P-256 key the issuer does not list, or
    altered, they are not."""
    from cryptography.hazmat.primitives import serialization

    key = generate_key("p256")
    resolver = Resolver({did_web_url(WEB): controller_document(WEB, [key])})
    kid = f"{WEB}#{jwk_thumbprint(key.public_jwk())}"
    pem = key.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    token = jwt.encode(claims(credential(WEB)), pem, algorithm="ES256", headers={"kid": kid})
    r = verify_credential(token, resolver=resolver)
    assert r.valid, r.errors
    signer = jwcrypto_jwk.JWK.from_pem(pem)
    jws = jwcrypto_jws.JWS(json.dumps(claims(credential(WEB))).encode())
    jws.add_signature(signer, alg="ES256", protected={"alg": "ES256", "kid": kid})
    assert verify_credential(jws.serialize(compact=True), resolver=resolver).valid
    head, body, sig = token.split(".")
    flipped = _codec.b64url_encode(bytes([_codec.b64url_decode(sig)[0] ^ 1]) + _codec.b64url_decode(sig)[1:])
    assert not verify_credential(f"{head}.{body}.{flipped}", resolver=resolver).valid
    stranger = generate_key("p256")
    spem = stranger.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    jwk = {k: v for k, v in stranger.public_jwk().items() if k in ("kty", "crv", "x", "y")}
    forged = jwt.encode(claims(credential(WEB)), spem, algorithm="ES256", headers={"jwk": jwk})
    assert not verify_credential(forged, resolver=resolver).valid
