"""Turn pydantic validation errors into located, plain-spoken diagnostics."""

from __future__ import annotations

import datetime as dt
import math
import types
import typing
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from microcred.io.yamlsource import PathElem, YamlDocument
from microcred.model.diagnostics import Diagnostic
from microcred.rules.nodes import MODIFIER_KEYS, NODE_KEYS, RuleBase

_TYPE_WORDS = {
    "string_type": "a string",
    "int_type": "a whole number",
    "float_type": "a number",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "date_type": "a date (YYYY-MM-DD)",
    "date_from_datetime_inexact": "a date (YYYY-MM-DD)",
    "date_parsing": "a date (YYYY-MM-DD)",
}


def suggest(word: str, choices: Iterable[str]) -> str:
    """A " (did you mean 'x'?)" suffix when a choice is close to ``word``."""
    import difflib  # only when there is a mistake to suggest a fix for

    close = difflib.get_close_matches(word, sorted(set(choices)), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _strip(tp: Any) -> Any:
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    return tp


def _members(tp: Any) -> list[Any]:
    tp = _strip(tp)
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return [m for a in typing.get_args(tp) for m in _members(a)]
    return [tp]


def _model_at(root: Any, loc: Sequence[PathElem]) -> type[BaseModel] | None:
    """The model class that reads the mapping at ``loc``, following pydantic's loc labels."""
    tp = _strip(root)
    for elem in loc:
        members = _members(tp)
        if isinstance(elem, str) and elem.startswith("<"):
            picked = [
                m
                for m in members
                if isinstance(m, type) and issubclass(m, RuleBase) and f"<{getattr(m, 'kind', None)}>" == elem
            ]
            if not picked:
                return None
            tp = picked[0]
            continue
        models = [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)]
        if isinstance(elem, str) and len(models) == 1 and len(members) == 1:
            model = models[0]
            fld = next((f for n, f in model.model_fields.items() if (f.alias or n) == elem), None)
            if fld is None:
                return None
            tp = _strip(fld.annotation)
            continue
        container = [m for m in members if typing.get_origin(m) in (list, dict)]
        if container:
            args = typing.get_args(container[0])
            tp = _strip(args[-1])
            continue
        # a union member label such as 'str' or 'GradeSpec'
        named = [m for m in members if getattr(m, "__name__", None) == elem]
        if named:
            tp = named[0]
            continue
        return None
    last = [m for m in _members(tp) if isinstance(m, type) and issubclass(m, BaseModel)]
    return last[0] if len(last) == 1 else None


def _data_path(data: Any, loc: Sequence[PathElem]) -> tuple[list[PathElem], bool]:
    """The path into the data that ``loc`` names, skipping union labels; and whether it names a key."""
    path: list[PathElem] = []
    cur = data
    is_key = False
    for elem in loc:
        if elem == "[key]":
            is_key = True
            continue
        if isinstance(cur, dict) and elem in cur:  # noqa: SIM114 (separate, so that mypy narrows elem)
            path.append(elem)
            cur = cur[elem]
        elif isinstance(cur, list) and isinstance(elem, int) and 0 <= elem < len(cur):
            path.append(elem)
            cur = cur[elem]
        elif isinstance(cur, dict) and isinstance(elem, str) and not _is_label(elem):
            path.append(elem)  # a missing key
            cur = None
        # anything else is a union member label: skip it
    return path, is_key


_LABELS = {"str", "int", "float", "bool", "list[str]", "GradeSpec", "function-after[_defaults_from_id(), Course]"}


def _is_label(elem: str) -> bool:
    """Whether a pydantic ``loc`` element names a union member rather than a key.

    Keys of microcred's formats are snake_case words; member labels look like ``<course>``,
    ``list[str]``, ``constrained-float`` or ``function-after[...]``.
    """
    return elem in _LABELS or elem.startswith("<") or "[" in elem or "-" in elem


def display_path(path: Sequence[PathElem]) -> str:
    out = ""
    for elem in path:
        out += f"[{elem}]" if isinstance(elem, int) else (f".{elem}" if out else str(elem))
    return out or "(top level)"


def _rule_message(value: Any) -> str:
    if not isinstance(value, dict):
        return (
            f"a rule must be a mapping with one node key, such as {{course: CSCI 1410}}; got {value!r}. "
            "Node keys: " + ", ".join(NODE_KEYS)
        )
    keys = [k for k in NODE_KEYS if k in value]
    if len(keys) > 1:
        joined = "' and '".join(keys)
        return (
            f"this rule has both '{joined}': a rule has exactly one node key; "
            "to require several things, list them under `all: [...]`"
        )
    unknown = [str(k) for k in value if k not in MODIFIER_KEYS and k not in ("of", "from", "over")]
    hint = ""
    for k in unknown:
        hint = suggest(k, NODE_KEYS)
        if hint:
            break
    found = ", ".join(map(str, value)) or "nothing"
    return f"this rule has no node key (found: {found}){hint}; a rule needs exactly one of: " + ", ".join(NODE_KEYS)


def _describe_input(value: Any) -> str:
    if isinstance(value, bool):
        return f"{str(value).lower()} (YAML reads yes/no/on/off/true/false as a boolean: put it in quotes)"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"the number {value} (put it in quotes if it is text; YAML reads 12:30 as 750 and 0101 as 65)"
    if isinstance(value, float):
        return f"the number {value:g} (put it in quotes if it is text)"
    if isinstance(value, (dict, list)):
        return "a " + ("mapping" if isinstance(value, dict) else "list")
    if value is None:
        return "nothing (null)"
    if isinstance(value, (dt.date, dt.datetime)):
        return f"the date {value.isoformat()} (put it in quotes if it is text)"
    return repr(value)


def diagnostics_from_validation(
    exc: ValidationError,
    doc: YamlDocument,
    prefix: Sequence[PathElem],
    raw: Any,
    model: Any,
) -> list[Diagnostic]:
    """Located diagnostics for the errors pydantic found in ``raw`` (read at ``prefix``)."""
    grouped: dict[tuple[tuple[PathElem, ...], str], list[dict[str, Any]]] = {}
    for details in exc.errors(include_url=False):
        err: dict[str, Any] = dict(details)
        loc = tuple(err["loc"])
        path, is_key = _data_path(raw, loc)
        kind = (
            "extra"
            if err["type"] == "extra_forbidden"
            else "missing"
            if err["type"] == "missing"
            else ("rule" if err["type"] == "rule_kind" else "value")
        )
        err["_loc"] = loc
        err["_is_key"] = is_key
        grouped.setdefault((tuple(path), kind), []).append(err)

    # A union member that failed on its type ("expected a number, got a mapping") when another
    # member read the same value and failed deeper inside it says nothing useful: drop it.
    deeper = {p[:i] for (p, _k) in grouped for i in range(len(p))}
    for (gpath, kind), errs in list(grouped.items()):
        if kind == "value" and gpath in deeper:
            errs[:] = [e for e in errs if e["type"] not in _TYPE_WORDS]
            if not errs:
                del grouped[gpath, kind]

    out: list[Diagnostic] = []
    for (where_path, kind), errs in grouped.items():
        path = list(where_path)
        full = (*prefix, *path)
        first = errs[0]
        where = display_path(full)
        if kind == "extra":
            key = str(path[-1])
            model_cls = _model_at(model, first["_loc"][:-1])
            allowed = [(f.alias or n) for n, f in model_cls.model_fields.items()] if model_cls else []
            if model_cls is not None and issubclass(model_cls, RuleBase):
                allowed = [*allowed, *NODE_KEYS]
            hint = suggest(key, allowed)
            known = f"; allowed here: {', '.join(allowed)}" if allowed and not hint else ""
            msg = f"unknown key '{key}' in {display_path(full[:-1])}{hint}{known}"
            out.append(Diagnostic("E201", msg, doc.locate(full, key=True)))
        elif kind == "missing":
            key = str(path[-1])
            msg = f"missing required key '{key}' in {display_path(full[:-1])}"
            out.append(Diagnostic("E202", msg, doc.locate(full)))
        elif kind == "rule":
            out.append(Diagnostic("E204", f"{where}: {_rule_message(first['input'])}", doc.locate(full)))
        else:
            out.append(Diagnostic("E203", f"{where}: {_value_message(errs)}", doc.locate(full, key=first["_is_key"])))
    return out


#: pydantic's bound checks, in plain words: (type, the ctx key of the bound, the words)
_BOUNDS = {
    "greater_than_equal": ("ge", "at least"),
    "greater_than": ("gt", "more than"),
    "less_than_equal": ("le", "at most"),
    "less_than": ("lt", "less than"),
}


def _shown(value: Any) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return ".nan" if math.isnan(value) else ("-.inf" if value < 0 else ".inf")  # as YAML writes them
    return f"{value:g}" if isinstance(value, float) else repr(value)


def _bound_message(err: dict[str, Any]) -> str | None:
    """A bound check's failure in plain words ("must not be negative, got -1"), or None."""
    value = err.get("input")
    if isinstance(value, float) and not math.isfinite(value):
        return f"got {_shown(value)}, which is not a usable number; write a number such as 3"
    if err["type"] == "finite_number":
        return f"got {_shown(value)}, which is not a usable number; write a number such as 3"
    bound = _BOUNDS.get(err["type"])
    if bound is None:
        return None
    limit = (err.get("ctx") or {}).get(bound[0])
    if limit is None:
        return None
    words = "must not be negative" if (bound[0], limit) == ("ge", 0) else f"must be {bound[1]} {_shown(limit)}"
    return f"{words}, got {_shown(value)}"


def _value_message(errs: list[dict[str, Any]]) -> str:
    expected: list[str] = []
    others: list[str] = []
    value = errs[0].get("input")
    for err in errs:
        word = _TYPE_WORDS.get(err["type"])
        bounded = _bound_message(err)
        if bounded is not None:
            if bounded not in others:
                others.append(bounded)
        elif word:
            if word not in expected:
                expected.append(word)
        else:
            msg = str(err["msg"])
            if msg.startswith("Value error, "):
                msg = msg[len("Value error, ") :]
            if err["type"] == "literal_error":
                msg = f"expected {err['ctx']['expected']}, got {value!r}"
            if msg not in others:
                others.append(msg)
    if others:
        return "; ".join(others)
    return f"expected {' or '.join(expected)}, got {_describe_input(value)}"
