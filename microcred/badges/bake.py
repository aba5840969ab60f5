"""Baking: a credential carried inside its badge image (PNG or SVG), and read back out.

Open Badges 3.0 (§ "Baked Badge") and the Open Badges 2.0 baking specification:

- PNG: an ``iTXt`` chunk with keyword ``openbadgecredential`` (3.0) or ``openbadges`` (2.0),
  without compression, empty language tag and translated keyword; its text is the VC-JWT
  (compact JWS) or the credential's JSON. Baking inserts the chunk just before ``IEND`` and
  leaves every other byte of the image as it was.
- SVG: an ``<openbadges:credential>`` element (namespace ``https://purl.imsglobal.org/ob/v3p0``)
  directly after the ``<svg>`` start tag, holding the JSON in a CDATA section, or a ``verify``
  attribute holding the VC-JWT; for 2.0, ``<openbadges:assertion verify="…">`` in namespace
  ``http://openbadges.org``. Baking inserts the element (and the namespace declaration, when
  missing) as text, so the rest of the SVG stays byte for byte the same.

Reading is defensive: PNG chunk lengths and CRCs are checked, compressed text is
decompressed under a size limit, and SVG is parsed with :mod:`defusedxml` (entity
declarations — "billion laughs" bombs, external entities — and DOCTYPEs with an internal
subset are refused; a plain DOCTYPE naming the SVG 1.1 DTD is allowed and never fetched).
Every failure is a :class:`BakeError` whose message says what is wrong.
"""

from __future__ import annotations

import base64
import codecs
import json
import re
import struct
import zlib
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser

from microcred.badges.errors import BadgeError
from microcred.model.words import article

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: PNG keywords: Open Badges 3.0 and 2.0
OB3_KEYWORD = "openbadgecredential"
OB2_KEYWORD = "openbadges"
KEYWORDS = (OB3_KEYWORD, OB2_KEYWORD)

OB3_NAMESPACE = "https://purl.imsglobal.org/ob/v3p0"
OB2_NAMESPACE = "http://openbadges.org"
_OB3_TAG = f"{{{OB3_NAMESPACE}}}credential"
_OB2_TAG = f"{{{OB2_NAMESPACE}}}assertion"

#: largest text a compressed PNG chunk may inflate to (a zip bomb stops here)
MAX_TEXT_BYTES = 16 * 1024 * 1024
_MAX_CHUNK = 2**31 - 1
_JWS = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$")
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class BakeError(BadgeError):
    """An image cannot be baked or read: corrupt, not PNG/SVG, unsafe, or already baked."""


# -- PNG ----------------------------------------------------------------------------------


class _Chunk:
    __slots__ = ("data", "end", "start", "type")

    def __init__(self, type_: bytes, data: bytes, start: int, end: int):
        self.type = type_
        self.data = data
        self.start = start  # offset of the length field
        self.end = end  # offset just after the CRC


def _chunks(png: bytes) -> list[_Chunk]:
    """Every chunk up to and including IEND, each length and CRC checked."""
    if not isinstance(png, (bytes, bytearray)):
        raise BakeError("not a PNG: expected the image's bytes")
    if len(png) < len(PNG_SIGNATURE) or png[: len(PNG_SIGNATURE)] != PNG_SIGNATURE:
        raise BakeError("not a PNG: the file does not start with the PNG signature")
    out: list[_Chunk] = []
    pos = len(PNG_SIGNATURE)
    while True:
        if pos + 8 > len(png):
            raise BakeError(f"corrupt PNG: truncated at byte {pos} (no IEND chunk)")
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        ctype = png[pos + 4 : pos + 8]
        if length > _MAX_CHUNK:
            raise BakeError(f"corrupt PNG: chunk at byte {pos} declares an impossible length {length}")
        if not all(65 <= b <= 90 or 97 <= b <= 122 for b in ctype):
            raise BakeError(f"corrupt PNG: invalid chunk type {ctype!r} at byte {pos}")
        name = ctype.decode("ascii")
        end = pos + 12 + length
        if end > len(png):
            raise BakeError(f"corrupt PNG: the {name} chunk at byte {pos} is truncated")
        data = bytes(png[pos + 8 : pos + 8 + length])
        (crc,) = struct.unpack(">I", png[pos + 8 + length : end])
        if zlib.crc32(ctype + data) & 0xFFFFFFFF != crc:
            raise BakeError(f"corrupt PNG: bad CRC in the {name} chunk at byte {pos}")
        if not out and ctype != b"IHDR":
            raise BakeError(f"corrupt PNG: the first chunk is {name}, not IHDR")
        out.append(_Chunk(ctype, data, pos, end))
        pos = end
        if ctype == b"IEND":
            return out


def _inflate(data: bytes, what: str) -> bytes:
    d = zlib.decompressobj()
    try:
        out = d.decompress(data, MAX_TEXT_BYTES + 1)
    except zlib.error as exc:
        raise BakeError(f"corrupt PNG: the compressed text of {what} does not inflate ({exc})") from None
    if len(out) > MAX_TEXT_BYTES or d.unconsumed_tail:
        raise BakeError(f"PNG refused: the compressed text of {what} inflates beyond {MAX_TEXT_BYTES} bytes")
    return out


def _text_chunk(chunk: _Chunk) -> tuple[str, str | None]:
    """(keyword, text) of a tEXt, zTXt or iTXt chunk; text None when not a text chunk.

    Only the keyword is decoded eagerly; callers ask for the text of the chunks they want.
    """
    if chunk.type not in (b"tEXt", b"zTXt", b"iTXt"):
        return "", None
    name = chunk.type.decode("ascii")
    nul = chunk.data.find(b"\0")
    if nul < 1 or nul > 79:
        return "", None  # no valid keyword: not Open Badges data, and not ours to judge
    keyword = chunk.data[:nul].decode("latin-1")
    if keyword not in KEYWORDS:
        return keyword, None
    rest = chunk.data[nul + 1 :]
    where = f"the {name} chunk {keyword!r}"
    if chunk.type == b"tEXt":
        return keyword, rest.decode("latin-1")
    if chunk.type == b"zTXt":
        if not rest or rest[0] != 0:
            raise BakeError(f"corrupt PNG: {where} uses an unknown compression method")
        return keyword, _inflate(rest[1:], where).decode("latin-1")
    if len(rest) < 2:
        raise BakeError(f"corrupt PNG: {where} is cut short")
    flag, method = rest[0], rest[1]
    parts = rest[2:].split(b"\0", 2)
    if len(parts) != 3:
        raise BakeError(f"corrupt PNG: {where} lacks its language tag or translated keyword")
    raw = parts[2]
    if flag == 1:
        if method != 0:
            raise BakeError(f"corrupt PNG: {where} uses an unknown compression method {method}")
        raw = _inflate(raw, where)
    elif flag != 0:
        raise BakeError(f"corrupt PNG: {where} has an invalid compression flag {flag}")
    try:
        return keyword, raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BakeError(f"corrupt PNG: the text of {where} is not UTF-8") from None


def _check_keyword(keyword: str) -> bytes:
    try:
        raw = keyword.encode("latin-1")
    except UnicodeEncodeError:
        raise BakeError(f"PNG keyword {keyword!r} must be Latin-1") from None
    if not 1 <= len(raw) <= 79 or b"\0" in raw or keyword != keyword.strip() or "  " in keyword:
        raise BakeError(f"PNG keyword {keyword!r} is invalid: 1 to 79 characters, no leading or double spaces")
    return raw


def _itxt(keyword: str, payload: str) -> bytes:
    try:
        text = payload.encode("utf-8")
    except UnicodeEncodeError:
        raise BakeError("the credential holds characters that are not valid Unicode text") from None
    # keyword NUL, compression flag 0, method 0, empty language tag NUL, empty translated keyword NUL
    data = _check_keyword(keyword) + b"\0" + b"\0\0" + b"\0" + b"\0" + text
    body = b"iTXt" + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def bake_png(png: bytes, payload: str, keyword: str = OB3_KEYWORD) -> bytes:
    """The PNG with ``payload`` (a VC-JWT or the credential's JSON) baked in.

    Inserts one uncompressed ``iTXt`` chunk (compression flag 0, method 0, empty language
    tag and translated keyword) before ``IEND``; every other byte stays as it was. Refuses
    a corrupt PNG and one that already carries Open Badges data (``openbadgecredential`` or
    ``openbadges``, in any text chunk).
    """
    if not isinstance(payload, str) or not payload.strip():
        raise BakeError("nothing to bake: the credential is empty")
    chunks = _chunks(png)
    for chunk in chunks:
        kw, _text = _text_chunk(chunk)
        if kw in KEYWORDS:
            raise BakeError(
                f"the PNG is already baked (it has {article(chunk.type.decode())} chunk {kw!r}); "
                "bake into the original, unbaked image"
            )
    iend = chunks[-1]
    return bytes(png[: iend.start]) + _itxt(keyword, payload) + bytes(png[iend.start :])


def extract_png(png: bytes) -> tuple[str, str] | None:
    """(keyword, text) of the credential baked into a PNG, or None when there is none.

    Reads ``iTXt`` (compressed or not), ``zTXt`` and ``tEXt`` chunks with keyword
    ``openbadgecredential`` (OB 3.0) or ``openbadges`` (OB 2.0; a legacy ``tEXt`` holds the
    hosted assertion's URL). When both are present the 3.0 one wins; of several chunks with
    one keyword, the first.
    """
    found: dict[str, str] = {}
    for chunk in _chunks(png):
        keyword, text = _text_chunk(chunk)
        if text is not None and keyword not in found:
            found[keyword] = text
    for keyword in KEYWORDS:
        if keyword in found:
            return keyword, found[keyword]
    return None


# -- SVG ----------------------------------------------------------------------------------


class _Doctype:
    def __init__(self) -> None:
        self.internal_subset = False

    def __call__(self, name: str, sysid: str | None, pubid: str | None, has_internal_subset: int) -> None:
        if has_internal_subset:
            self.internal_subset = True


def _parse_svg(svg: bytes) -> Element:
    """The SVG's element tree, parsed safely; BakeError for anything unsafe or malformed."""
    if not isinstance(svg, (bytes, bytearray)):
        raise BakeError("not an SVG: expected the image's bytes")
    doctype = _Doctype()
    parser: Any = DefusedXMLParser(target=TreeBuilder(), forbid_dtd=False, forbid_entities=True, forbid_external=True)
    parser.parser.StartDoctypeDeclHandler = doctype
    try:
        parser.feed(bytes(svg))
        root: Element = parser.close()
    except EntitiesForbidden as exc:
        if exc.sysid or exc.pubid:
            raise BakeError(
                f"SVG refused: it declares an external entity {exc.name!r} ({exc.sysid or exc.pubid}); "
                "external entities are never resolved"
            ) from None
        raise BakeError(
            f"SVG refused: it declares the entity {exc.name!r}; entity declarations are refused "
            "(they allow 'billion laughs' entity bombs)"
        ) from None
    except ExternalReferenceForbidden as exc:
        raise BakeError(f"SVG refused: it references an external resource ({exc.sysid or exc.pubid})") from None
    except DTDForbidden:  # pragma: no cover - DTDs are checked below, not forbidden outright
        raise BakeError("SVG refused: it has a DOCTYPE") from None
    except ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        reason = re.sub(r": line \d+, column \d+$", "", str(exc))
        raise BakeError(f"not a well-formed SVG: {reason} (line {line}, column {column + 1})") from None
    if doctype.internal_subset:
        raise BakeError("SVG refused: its DOCTYPE has an internal subset (DTD declarations are not accepted)")
    local = root.tag.rpartition("}")[2]
    if local != "svg":
        raise BakeError(f"not an SVG: the root element is <{local}>, not <svg>")
    return root


def _baked_element(root: Element) -> Element | None:
    for el in root.iter():
        if el.tag in (_OB3_TAG, _OB2_TAG):
            return el
    return None


def extract_svg(svg: bytes) -> str | None:
    """The credential baked into an SVG (JSON text or a JWT), or None when there is none.

    Reads the first ``<openbadges:credential>`` (OB 3.0) or ``<openbadges:assertion>``
    (OB 2.0) element: its text (the CDATA body) when it has one, else its ``verify``
    attribute (a VC-JWT, a signed 2.0 assertion, or a hosted assertion's URL).
    """
    el = _baked_element(_parse_svg(svg))
    if el is None:
        return None
    body = "".join(el.itertext()).strip()
    if body:
        return body
    verify = (el.get("verify") or "").strip()
    if verify:
        return verify
    name = "credential" if el.tag == _OB3_TAG else "assertion"
    raise BakeError(f"the SVG's <openbadges:{name}> element holds no credential and no verify attribute")


def _encoding(svg: bytes) -> tuple[str, bytes]:
    """(codec, BOM) of an SVG document: its XML declaration's encoding, UTF-8 by default."""
    if svg.startswith(codecs.BOM_UTF8):
        return "utf-8", codecs.BOM_UTF8
    if svg[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) or svg[:2] in (b"<\0", b"\0<"):
        raise BakeError("SVG in UTF-16 or UTF-32 is not supported for baking; save it as UTF-8")
    m = re.match(rb"<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']", svg)
    name = m.group(1).decode("ascii") if m else "utf-8"
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        raise BakeError(f"the SVG declares an unknown encoding {name!r}") from None
    if "<svg xmlns:a='b'>]]>".encode(codec, errors="replace") != b"<svg xmlns:a='b'>]]>":
        raise BakeError(f"SVG in encoding {name!r} is not supported for baking; save it as UTF-8")
    return codec, b""


def _root_start_tag(text: str) -> tuple[str, int, int, bool]:
    """(qualified name, offset of '<', offset just after '>', self-closing) of the root element.

    Only called on a document that parsed, so its prolog is well-formed.
    """
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
        elif text.startswith("<?", i):
            i = text.index("?>", i + 2) + 2
        elif text.startswith("<!--", i):
            i = text.index("-->", i + 4) + 3
        elif text.startswith("<!", i):  # DOCTYPE without an internal subset (refused earlier)
            quote = ""
            k = i + 2
            while k < n and (quote or text[k] != ">"):
                if quote and text[k] == quote:
                    quote = ""
                elif not quote and text[k] in "\"'":
                    quote = text[k]
                k += 1
            i = k + 1
        elif text.startswith("<", i):
            m = re.compile(r"<([^\s/>]+)").match(text, i)
            assert m is not None
            quote = ""
            k = m.end()
            while k < n and (quote or text[k] != ">"):
                if quote and text[k] == quote:
                    quote = ""
                elif not quote and text[k] in "\"'":
                    quote = text[k]
                k += 1
            return m.group(1), i, k + 1, text[k - 1] == "/"
        else:
            break
    raise BakeError("not an SVG: no root element found")  # pragma: no cover - parsed before


def _attr(value: str) -> str:
    return (
        value.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace('"', "&quot;")
        .replace("\n", "&#10;")
        .replace("\r", "&#13;")
        .replace("\t", "&#9;")
    )


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _svg_element(payload: str, version: int) -> str:
    text = payload.strip()
    is_json = text.startswith("{")
    obj: Any = None
    if is_json:
        try:
            obj = json.loads(text)
        except ValueError as exc:
            raise BakeError(f"the credential to bake looks like JSON but does not parse ({exc})") from None
        if not isinstance(obj, dict):
            raise BakeError("the credential to bake must be a JSON object")
    if version == 3:
        if is_json:
            return f"<openbadges:credential>{_cdata(text)}</openbadges:credential>"
        if _JWS.match(text):
            return f'<openbadges:credential verify="{_attr(text)}"></openbadges:credential>'
        raise BakeError("the credential to bake is neither JSON nor a compact JWS (VC-JWT)")
    if is_json:
        verify = obj.get("id")
        if not isinstance(verify, str) and isinstance(obj.get("verify"), dict):  # Open Badges 1.x
            verify = obj["verify"].get("url")
        if not isinstance(verify, str) or not verify:
            raise BakeError("an Open Badges 2.0 assertion needs an `id` (its hosted URL) for the verify attribute")
        return f'<openbadges:assertion verify="{_attr(verify)}">{_cdata(text)}</openbadges:assertion>'
    if _JWS.match(text) or re.match(r"^https?://\S+$", text):
        return f'<openbadges:assertion verify="{_attr(text)}"/>'
    raise BakeError("the assertion to bake is neither JSON, a JWS, nor a hosted assertion URL")


def bake_svg(svg: bytes, payload: str, version: int = 3) -> bytes:
    """The SVG with ``payload`` baked in, as Open Badges ``version`` 3 (default) or 2 says.

    3.0: ``<openbadges:credential>`` with the JSON in CDATA, or with a ``verify`` attribute
    holding the VC-JWT. 2.0: ``<openbadges:assertion verify="…">`` with the assertion's JSON
    in CDATA (``verify`` is its hosted URL, its ``id``), or self-closing with a JWS or URL.
    The element goes directly after the ``<svg>`` start tag, which gains the
    ``xmlns:openbadges`` declaration when it lacks it; every other byte stays the same.
    Refuses an SVG that already carries Open Badges data, an unsafe or malformed one.
    """
    if version not in (2, 3):
        raise BakeError(f"Open Badges version {version} cannot be baked; use 3 or 2")
    if not isinstance(payload, str) or not payload.strip():
        raise BakeError("nothing to bake: the credential is empty")
    if _XML_INVALID.search(payload):
        raise BakeError("the credential holds characters XML cannot carry (control characters)")
    root = _parse_svg(svg)
    existing = _baked_element(root)
    if existing is not None:
        name = "credential" if existing.tag == _OB3_TAG else "assertion"
        raise BakeError(
            f"the SVG is already baked (it has an <openbadges:{name}> element); bake into the original, unbaked image"
        )
    codec, bom = _encoding(bytes(svg))
    try:
        text = bytes(svg)[len(bom) :].decode(codec)
    except UnicodeDecodeError as exc:
        raise BakeError(f"the SVG is not valid {codec}: {exc.reason} at byte {exc.start}") from None
    namespace = OB3_NAMESPACE if version == 3 else OB2_NAMESPACE
    qname, start, end, self_closing = _root_start_tag(text)
    tag = text[start:end]
    declared = re.search(r"\sxmlns:openbadges\s*=\s*([\"'])(.*?)\1", tag, re.S)
    if declared and declared.group(2) != namespace:
        raise BakeError(
            f"the SVG already binds the prefix openbadges to {declared.group(2)!r}, not {namespace!r}; "
            f"cannot bake Open Badges {version}.0 into it"
        )
    close = end - (2 if self_closing else 1)
    head = text[:close]
    if not declared:
        head += f' xmlns:openbadges="{namespace}"'
    element = _svg_element(payload, version)
    if self_closing:
        new_text = head + ">\n" + element + "\n</" + qname + ">" + text[end:]
    else:
        new_text = head + ">\n" + element + text[end:]
    try:
        out = bom + new_text.encode(codec)
    except UnicodeEncodeError:
        raise BakeError(f"the credential holds characters the SVG's encoding ({codec}) cannot carry") from None
    if extract_svg(out) != payload.strip():  # pragma: no cover - a guard, never expected to fire
        raise BakeError("baking failed: the credential does not read back from the baked SVG")
    return out


__all__ = [
    "KEYWORDS",
    "OB2_KEYWORD",
    "OB2_NAMESPACE",
    "OB3_KEYWORD",
    "OB3_NAMESPACE",
    "BakeError",
    "bake_png",
    "bake_svg",
    "data_uri",
    "extract_png",
    "extract_svg",
]


def data_uri(path: Path) -> str:
    """The image in ``path`` (.png or .svg) as a ``data:`` URI, for ``achievement.image``."""
    kind = "image/svg+xml" if Path(path).suffix.lower() == ".svg" else "image/png"
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise BadgeError(f"{path}: cannot read the image ({exc.strerror or exc})") from None
    return f"data:{kind};base64," + base64.b64encode(data).decode("ascii")
