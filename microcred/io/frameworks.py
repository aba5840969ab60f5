"""Reading competency frameworks from the files their publishers export.

- **CASE** (1EdTech Competencies and Academic Standards Exchange): a CFPackage in JSON, with a
  ``CFDocument``, ``CFItems`` (each a competency: ``uri``, ``fullStatement``,
  ``humanCodingScheme``, ``CFItemType``) and ``CFAssociations``. A package wrapped as
  ``{"CFPackage": {...}}`` is read too.
- **RSD** (Open Skills Network Rich Skill Descriptor): JSON-LD, one ``RichSkillDescriptor``
  (``id``, ``skillName``, ``skillStatement``), a list of them, or a collection with ``skills``.
- **ESCO**: the CSV export of skills (``conceptUri``, ``preferredLabel``, ``description``,
  ``skillType``) or of occupations (``conceptType`` ``Occupation``, ``code``).
- **O*NET**: the database's tab-delimited text files: the content model reference (``Element
  ID``, ``Element Name``, ``Description``) and occupation data (``O*NET-SOC Code``, ``Title``).
  O*NET publishes no URIs; an element is named by its O*NET OnLine address
  (``https://www.onetonline.org/find/descriptor/browse/2.B.3.e``), an occupation by its summary
  page (``https://www.onetonline.org/link/summary/15-1252.00``).

Every reader returns the competencies and occupations found, or raises
:class:`FrameworkError` with the line (and column, where the format has one) of the problem.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from microcred.model.competencies import Competency, Occupation

#: A framework file larger than this is not read (the catalogue's own YAML files have the same bound).
MAX_BYTES = 16 * 1024 * 1024
ONET_ELEMENT = "https://www.onetonline.org/find/descriptor/browse/"
ONET_OCCUPATION = "https://www.onetonline.org/link/summary/"


class FrameworkError(Exception):
    """A framework file that cannot be read; ``line``/``column`` 1-based inside it, when known."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column

    def where(self, display: str) -> str:
        if self.line is None:
            return display
        return f"{display}:{self.line}" + (f":{self.column}" if self.column else "")


@dataclass
class FrameworkData:
    """What one framework file defines."""

    format: str
    title: str | None = None
    competencies: list[Competency] = field(default_factory=list)
    occupations: list[Occupation] = field(default_factory=list)
    #: what occupations need: (occupation URI, competency URI, level or None)
    needs: list[tuple[str, str, int | None]] = field(default_factory=list)
    digest: str = ""


def read_framework(path: Path, framework: str, fmt: str | None = None) -> FrameworkData:
    """Read the framework file at ``path`` (format ``fmt``, or recognised from its content);
    its competencies belong to framework ``framework``. Raises :class:`FrameworkError`."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise FrameworkError(f"file is {size:,} bytes, over the {MAX_BYTES:,}-byte limit; give a smaller extract")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise FrameworkError("no such file; the path is relative to the catalogue file that names it") from None
    except IsADirectoryError:
        raise FrameworkError("a directory, not a file; name the framework file itself") from None
    except OSError as exc:
        raise FrameworkError(f"cannot be read ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise FrameworkError(f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as UTF-8", line) from None
    data = read_framework_text(text, framework, fmt, path.suffix.lower())
    data.digest = hashlib.sha256(raw).hexdigest()
    return data


def read_framework_text(text: str, framework: str, fmt: str | None = None, suffix: str = "") -> FrameworkData:
    """Read a framework from its text (see :func:`read_framework`)."""
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise FrameworkError(f"not valid JSON: {exc.msg}", exc.lineno, exc.colno) from None
        fmt = fmt or _json_format(doc)
        if fmt == "case":
            return _case(doc, framework)
        if fmt == "rsd":
            return _rsd(doc, framework)
        raise FrameworkError(f"a JSON file cannot hold the {fmt} format; give a CASE package or rich skill descriptors")
    first = text.splitlines()[0] if text else ""
    if fmt is None:
        if "conceptUri" in first or ("occupationUri" in first and "skillUri" in first):
            fmt = "esco"
        elif "Element ID" in first or "O*NET-SOC Code" in first:
            fmt = "onet"
        else:
            raise FrameworkError(
                "the format is not recognised: a CASE package or rich skill descriptors (JSON), an ESCO CSV export "
                "(a `conceptUri` column) or an O*NET text file (an `Element ID` or `O*NET-SOC Code` column); "
                "or say `format:`",
                1,
            )
    if fmt == "esco":
        return _esco(text, framework)
    if fmt == "onet":
        return _onet(text, framework)
    raise FrameworkError(f"a {fmt} framework is JSON; this file is not")


def _json_format(doc: Any) -> str:
    if isinstance(doc, dict) and ("CFItems" in doc or "CFDocument" in doc or "CFPackage" in doc):
        return "case"
    items = doc if isinstance(doc, list) else [doc]
    if isinstance(doc, dict) and isinstance(doc.get("skills"), list):
        items = doc["skills"]
    if items and all(_is_rsd(i) for i in items):
        return "rsd"
    raise FrameworkError(
        "JSON that is neither a CASE package (CFDocument, CFItems) nor rich skill descriptors (skillStatement)", 1, 1
    )


def _is_rsd(item: Any) -> bool:
    return isinstance(item, dict) and ("skillStatement" in item or item.get("type") == "RichSkillDescriptor")


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _case(doc: Any, framework: str) -> FrameworkData:
    if isinstance(doc, dict) and isinstance(doc.get("CFPackage"), dict):
        doc = doc["CFPackage"]
    document = doc.get("CFDocument") if isinstance(doc, dict) else None
    items = doc.get("CFItems") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        raise FrameworkError("a CASE package needs a `CFItems` list")
    out = FrameworkData("case", _text(document.get("title")) if isinstance(document, dict) else None)
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise FrameworkError(f"CFItems[{i}] is not an object")
        uri = _text(item.get("uri"))
        statement = _text(item.get("fullStatement"))
        if uri is None or statement is None:
            missing = "uri" if uri is None else "fullStatement"
            raise FrameworkError(f"CFItems[{i}] ({item.get('identifier', 'no identifier')}) has no `{missing}`")
        out.competencies.append(
            Competency(
                uri,
                statement,
                framework,
                code=_text(item.get("humanCodingScheme")),
                name=_text(item.get("abbreviatedStatement")),
                kind=_text(item.get("CFItemType")),
            )
        )
    return out


def _rsd(doc: Any, framework: str) -> FrameworkData:
    title = None
    if isinstance(doc, dict) and isinstance(doc.get("skills"), list):
        title = _text(doc.get("name"))
        doc = doc["skills"]
    items = doc if isinstance(doc, list) else [doc]
    out = FrameworkData("rsd", title)
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise FrameworkError(f"skill {i + 1} is not an object")
        uri = _text(item.get("id"))
        statement = _text(item.get("skillStatement"))
        if uri is None or statement is None:
            missing = "id" if uri is None else "skillStatement"
            raise FrameworkError(f"skill {i + 1} ({item.get('skillName', 'no skillName')}) has no `{missing}`")
        out.competencies.append(Competency(uri, statement, framework, name=_text(item.get("skillName"))))
    return out


def _rows(text: str, delimiter: str, needed: tuple[str, ...]) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The header and the rows (with their first line numbers) of a delimited file."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise FrameworkError("the file is empty", 1) from None
    except csv.Error as exc:
        raise FrameworkError(f"not valid CSV: {exc}", 1) from None
    absent = [n for n in needed if n not in header]
    if absent:
        raise FrameworkError(f"no column {', '.join(repr(a) for a in absent)} in the header", 1)
    rows = []
    line = reader.line_num + 1
    try:
        for values in reader:
            if any(v.strip() for v in values):
                rows.append((line, dict(zip(header, values, strict=False))))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise FrameworkError(f"not valid CSV: {exc}", line) from None
    return header, rows


def _esco(text: str, framework: str) -> FrameworkData:
    first = text.splitlines()[0] if text else ""
    out = FrameworkData("esco")
    if "occupationUri" in first and "conceptUri" not in first:
        _header, rows = _rows(text, ",", ("occupationUri", "relationType", "skillUri"))
        for line, row in rows:
            occ, skill = _text(row.get("occupationUri")), _text(row.get("skillUri"))
            if occ is None or skill is None:
                raise FrameworkError("a relation needs its occupationUri and skillUri", line)
            if (row.get("relationType") or "").strip() == "essential":
                out.needs.append((occ, skill, None))
        return out
    _header, rows = _rows(text, ",", ("conceptUri", "preferredLabel"))
    for line, row in rows:
        uri = _text(row.get("conceptUri"))
        label = _text(row.get("preferredLabel"))
        if uri is None or label is None:
            raise FrameworkError(f"no {'conceptUri' if uri is None else 'preferredLabel'} in this row", line)
        if row.get("conceptType", "").strip() == "Occupation":
            out.occupations.append(Occupation(uri, label, framework, code=_text(row.get("code"))))
            continue
        statement = _text(row.get("description")) or _text(row.get("definition")) or label
        out.competencies.append(Competency(uri, statement, framework, name=label, kind=_text(row.get("skillType"))))
    return out


#: an O*NET element an occupation rates at least this important (1–5) is one it needs
ONET_IMPORTANT = 3.0


def _onet_needs(text: str) -> list[tuple[str, str, int | None]]:
    """Skills.txt (and Knowledge.txt, Abilities.txt): an element rated at least
    :data:`ONET_IMPORTANT` on the importance scale (IM) is needed, at its level (LV, 0–7)
    rounded half up."""
    _header, rows = _rows(text, "\t", ("O*NET-SOC Code", "Element ID", "Scale ID", "Data Value"))
    important: set[tuple[str, str]] = set()
    levels: dict[tuple[str, str], int] = {}
    for line, row in rows:
        code, eid, scale = (_text(row.get(k)) for k in ("O*NET-SOC Code", "Element ID", "Scale ID"))
        if code is None or eid is None or scale is None:
            raise FrameworkError("a rating needs its O*NET-SOC Code, Element ID and Scale ID", line)
        try:
            value = float(row.get("Data Value", ""))
        except ValueError:
            raise FrameworkError(f"Data Value {row.get('Data Value')!r} is not a number", line) from None
        if scale == "IM" and value >= ONET_IMPORTANT:
            important.add((code, eid))
        elif scale == "LV":
            levels[(code, eid)] = int(value + 0.5)
    return [(ONET_OCCUPATION + c, ONET_ELEMENT + e, levels.get((c, e))) for c, e in sorted(important)]


def _onet(text: str, framework: str) -> FrameworkData:
    first = text.splitlines()[0]
    out = FrameworkData("onet")
    if "Scale ID" in first:
        out.needs = _onet_needs(text)
        return out
    if "O*NET-SOC Code" in first:
        _header, rows = _rows(text, "\t", ("O*NET-SOC Code", "Title"))
        for line, row in rows:
            code, title = _text(row.get("O*NET-SOC Code")), _text(row.get("Title"))
            if code is None or title is None:
                raise FrameworkError("an occupation needs its O*NET-SOC Code and Title", line)
            out.occupations.append(Occupation(ONET_OCCUPATION + code, title, framework, code=code))
        return out
    _header, rows = _rows(text, "\t", ("Element ID", "Element Name", "Description"))
    for line, row in rows:
        eid, name, description = (_text(row.get(k)) for k in ("Element ID", "Element Name", "Description"))
        if eid is None or name is None:
            raise FrameworkError("an element needs its Element ID and Element Name", line)
        out.competencies.append(Competency(ONET_ELEMENT + eid, description or name, framework, code=eid, name=name))
    return out
