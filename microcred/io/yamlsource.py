"""Safe, strict YAML reading that remembers where every value came from.

The document is *composed* into a node tree by libyaml (or PyYAML's pure-Python parser), and
plain Python data is then built from that tree here, by hand, so that:

- no tag ever constructs an object: only the core scalar types, mappings and sequences exist;
- a key that appears twice in one mapping is an error (PyYAML silently keeps the last);
- alias expansion and nesting depth are bounded, so a "billion laughs" file fails fast;
- every value can be traced back to its file, line and column (:meth:`YamlDocument.locate`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from microcred.model.diagnostics import Diagnostic, Location

try:  # libyaml is 2-3x faster and keeps the same marks
    from yaml import CSafeLoader as _Loader

    _LIBYAML = True
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

    _LIBYAML = False

#: Largest file read, in bytes.
MAX_FILE_BYTES = 16 * 1024 * 1024
#: Most nodes that alias expansion may add to a document.
MAX_ALIAS_NODES = 100_000
#: Deepest nesting of mappings and sequences.
MAX_DEPTH = 64

_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_TAG + t for t in ("str", "int", "float", "bool", "null", "timestamp")}

PathElem = str | int


class YamlLoadError(Exception):
    """One located problem that stops the reading of a document."""

    def __init__(self, diagnostic: Diagnostic):
        super().__init__(str(diagnostic))
        self.diagnostic = diagnostic


def _loc(file: str, node: Node | None) -> Location:
    if node is None:
        return Location(file, 1, 1)
    mark = node.start_mark
    return Location(file, mark.line + 1, mark.column + 1)


@dataclass
class YamlDocument:
    """A YAML document: its data, and the node tree to locate any part of it."""

    file: str
    data: Any
    root: Node | None
    _constructor: SafeConstructor = field(default_factory=SafeConstructor, repr=False)

    def locate(self, path: Sequence[PathElem], *, key: bool = False) -> Location:
        """The position of the value at ``path`` (or of its key, with ``key=True``).

        A path that leaves the document (a missing key, say) stops at the deepest node that
        exists: the mapping that should have held the key.
        """
        node = self.root
        key_node: Node | None = None
        for elem in path:
            if node is None:
                break
            found = _child(node, elem)
            if found is None:
                key_node = None
                break
            key_node, node = found
        if key and key_node is not None:
            return _loc(self.file, key_node)
        return _loc(self.file, node)


def _child(node: Node, elem: PathElem) -> tuple[Node | None, Node] | None:
    if isinstance(node, SequenceNode):
        if isinstance(elem, int) and 0 <= elem < len(node.value):
            return None, node.value[elem]
        return None
    if isinstance(node, MappingNode):
        for k, v in _mapping_pairs(node):
            if isinstance(k, ScalarNode) and (k.value == elem or str(k.value) == str(elem)):
                return k, v
    return None


def _mapping_pairs(node: MappingNode) -> Iterator[tuple[Node, Node]]:
    """Key/value node pairs, with ``<<`` merge keys expanded (explicit keys first)."""
    merged: list[tuple[Node, Node]] = []
    for k, v in node.value:
        if k.tag == _TAG + "merge":
            sources = v.value if isinstance(v, SequenceNode) else [v]
            for src in sources:
                if isinstance(src, MappingNode):
                    merged.extend(_mapping_pairs(src))
        else:
            yield k, v
    yield from merged


class _Builder:
    """Builds plain data from a node tree, enforcing the rules in the module docstring."""

    def __init__(self, file: str, max_alias_nodes: int):
        self.file = file
        self.constructor = SafeConstructor()
        self.seen: set[int] = set()
        self.alias_nodes = 0
        self.max_alias_nodes = max_alias_nodes

    def fail(self, code: str, message: str, node: Node | None) -> YamlLoadError:
        return YamlLoadError(Diagnostic(code, message, _loc(self.file, node)))

    def build(self, node: Node, depth: int = 0, in_alias: bool = False) -> Any:
        if depth > MAX_DEPTH:
            raise self.fail("E103", f"nesting deeper than {MAX_DEPTH} levels; flatten the document", node)
        if id(node) in self.seen:
            in_alias = True  # this node is being built again: an alias refers to it
        else:
            self.seen.add(id(node))
        if in_alias:
            self.alias_nodes += 1
            if self.alias_nodes > self.max_alias_nodes:
                raise self.fail(
                    "E103",
                    f"aliases expand to more than {self.max_alias_nodes} nodes "
                    "(a 'billion laughs' document?); write the values out or use fewer aliases",
                    node,
                )
        if isinstance(node, ScalarNode):
            return self.scalar(node)
        if isinstance(node, SequenceNode):
            if node.tag != _TAG + "seq":
                raise self.tag_error(node)
            return [self.build(child, depth + 1, in_alias) for child in node.value]
        if isinstance(node, MappingNode):
            if node.tag != _TAG + "map":
                raise self.tag_error(node)
            return self.mapping(node, depth, in_alias)
        raise self.fail("E101", "unexpected YAML node", node)  # pragma: no cover

    def tag_error(self, node: Node) -> YamlLoadError:
        return self.fail(
            "E104",
            f"the tag {node.tag!r} is not allowed; microcred reads plain YAML only "
            "(strings, numbers, booleans, dates, lists and mappings): remove the tag",
            node,
        )

    def scalar(self, node: ScalarNode) -> Any:
        if node.tag not in _SCALAR_TAGS:
            raise self.tag_error(node)
        kind = node.tag[len(_TAG) :]
        try:
            if kind == "str":
                return node.value
            if kind == "null":
                return None
            if kind == "bool":
                return self.constructor.construct_yaml_bool(node)
            if kind == "int":
                return self.constructor.construct_yaml_int(node)
            if kind == "float":
                return self.constructor.construct_yaml_float(node)
            value = self.constructor.construct_yaml_timestamp(node)
        except Exception as exc:  # PyYAML raises IndexError, KeyError, AttributeError… on odd input
            what = "a date" if kind == "timestamp" else f"a {kind}"
            raise self.fail("E203", f"{node.value!r} is not {what}: {exc or type(exc).__name__}", node) from None
        if isinstance(value, dt.datetime) and value.time() == dt.time(0) and value.tzinfo is None:
            return value.date()
        return value

    def mapping(self, node: MappingNode, depth: int, in_alias: bool) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        first_seen: dict[Any, Node] = {}
        merged: list[Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _TAG + "merge":
                merged.extend(value_node.value if isinstance(value_node, SequenceNode) else [value_node])
                continue
            if not isinstance(key_node, ScalarNode):
                raise self.fail("E203", "a mapping key must be a plain value, not a list or mapping", key_node)
            key = self.scalar(key_node)
            if key in first_seen:
                prev = _loc(self.file, first_seen[key])
                raise self.fail(
                    "E102",
                    f"duplicate key {key!r} (first at line {prev.line}, column {prev.column}); "
                    "YAML keeps only one of them: remove or rename one",
                    key_node,
                )
            first_seen[key] = key_node
            result[key] = self.build(value_node, depth + 1, in_alias)
        for src in merged:
            if not isinstance(src, MappingNode):
                raise self.fail("E203", "a '<<' merge key needs a mapping or a list of mappings", src)
            for k, v in self.mapping(src, depth, True).items():
                result.setdefault(k, v)
        return result


def _reader_error(text: str | bytes, file: str, exc: yaml.reader.ReaderError) -> Diagnostic:
    """A located diagnostic for bytes that are not UTF-8, or characters YAML forbids."""
    raw = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
    char = ord(exc.character) if isinstance(exc.character, str) else int(exc.character)
    undecodable = "control" not in exc.reason and "special" not in exc.reason
    # libyaml counts ``position`` in bytes; PyYAML's pure-Python reader counts decoding
    # errors in bytes and forbidden characters in characters
    pos, reason = exc.position, exc.reason
    if undecodable:
        try:  # libyaml points at the byte after a bad lead byte, or reports -1: find the first
            raw.decode("utf-8")
        except UnicodeDecodeError as bad:
            pos, char, reason = bad.start, raw[bad.start], bad.reason
    elif not _LIBYAML:
        decoded = text if isinstance(text, str) else raw.decode("utf-8", "replace")
        pos = len(decoded[:pos].encode("utf-8", "surrogatepass"))
    before = raw[:pos]
    line_start = before.rfind(b"\n") + 1
    loc = Location(file, before.count(b"\n") + 1, len(before[line_start:].decode("utf-8", "replace")) + 1)
    if undecodable:
        return Diagnostic("E100", f"not UTF-8 text: byte 0x{char:02x} ({reason}); save the file as UTF-8", loc)
    return Diagnostic("E101", f"YAML syntax error: character U+{char:04X} is not allowed ({reason}); remove it", loc)


def parse_yaml(
    text: str | bytes,
    file: str,
    *,
    max_alias_nodes: int | None = None,
) -> YamlDocument:
    """Parse one YAML document held in memory. Raises :class:`YamlLoadError`."""
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.reader.ReaderError as exc:
        raise YamlLoadError(_reader_error(text, file, exc)) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file, 1, 1)
        problem = exc.problem or "invalid YAML"
        if "maximum nesting depth" in problem:  # libyaml's own bound on flow nesting
            raise YamlLoadError(
                Diagnostic("E103", f"nesting deeper than {MAX_DEPTH} levels; flatten the document", loc)
            ) from None
        if exc.context:
            problem = f"{problem} ({exc.context})"
        raise YamlLoadError(Diagnostic("E101", f"YAML syntax error: {problem}", loc)) from None
    except yaml.YAMLError as exc:
        raise YamlLoadError(Diagnostic("E101", f"YAML error: {exc}", Location(file, 1, 1))) from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise YamlLoadError(Diagnostic("E100", f"not UTF-8 text: {exc}", Location(file, 1, 1))) from None
    except RecursionError:
        raise YamlLoadError(
            Diagnostic("E103", "the document is nested too deeply to read", Location(file, 1, 1))
        ) from None
    if root is None:
        return YamlDocument(file, None, None)
    data = _Builder(file, MAX_ALIAS_NODES if max_alias_nodes is None else max_alias_nodes).build(root)
    return YamlDocument(file, data, root)


def read_yaml_file(path: Path, display: str | None = None, *, max_bytes: int | None = None) -> YamlDocument:
    """Read and parse one YAML file. Raises :class:`YamlLoadError` with a located diagnostic."""
    name = display or str(path)
    if max_bytes is None:
        max_bytes = MAX_FILE_BYTES
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise YamlLoadError(
                Diagnostic(
                    "E105",
                    f"file is {size:,} bytes, over the {max_bytes:,}-byte limit; split it into several files",
                    Location(name, 1, 1),
                )
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise YamlLoadError(
            Diagnostic("E100", f"cannot read file: {exc.strerror or exc}", Location(name, 1, 1))
        ) from None
    return parse_yaml(raw, name)
