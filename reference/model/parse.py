"""Reading an ``icsmdp-epoch/1`` text (docs/format.md): the format's constants, :class:`ModelError`,
decoding and JSON parsing, the bundled files (:func:`example_path`, :func:`schema_path`) and the
JSON Schema checks whose messages name the field.

Every other module of :mod:`icq.reference.model` builds on this one; the names, the numbers and
the model itself are checked in :mod:`icq.reference.model.names` and
:mod:`icq.reference.model.arrays`.

>>> parse(b'{"format": "icsmdp-epoch/1"}')
{'format': 'icsmdp-epoch/1'}
>>> did_you_mean("gama", ["gamma", "agents"])
"; did you mean 'gamma'?"
"""

from __future__ import annotations

import difflib
import json
import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

FORMAT = "icsmdp-epoch/1"
END = "END"
PROB_TOL = 1e-9
#: the largest duration τ a file may state: 2**53, the largest integer up to which every
#: integer is exactly a double, so the value is read the same by every JSON parser and
#: survives the float arrays of the model (γ^τ underflows to 0 long before it)
MAX_DURATION = 2**53
#: the largest |reward|/(1 − γ̄) a file may imply: it bounds every value function (|Q*| ≤
#: R̄/(1 − γ̄), docs/theory.md §1), which must be a finite double with room for sums
MAX_VALUE = 1e300
#: the deepest nesting of arrays and objects a file may have (the format itself needs 5)
MAX_DEPTH = 64
#: the longest name a file may give (an agent, a state id, an observation label, a successor, the
#: model's name, a trace's episode id): longer names are refused rather than drawn in every
#: table and figure (docs/format.md, Encoding, numbers and limits)
MAX_NAME = 256
#: the top-level field for user metadata, kept in ``EpochModel.source`` and ignored by the tools
EXTENSIONS = "extensions"
_SCHEMA_FILE = "icsmdp-epoch-1.schema.json"

__all__ = ["END", "EXTENSIONS", "FORMAT", "MAX_DEPTH", "MAX_DURATION", "MAX_NAME", "MAX_VALUE",
           "PROB_TOL", "ModelError", "did_you_mean", "example_path", "parse", "parse_checked",
           "schema_path"]


class ModelError(ValueError):
    """A model file or dict that breaks FORMAT.md; ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


# ---------------------------------------------------------------------------------------
# Files and decoding
# ---------------------------------------------------------------------------------------


def example_path(name: str) -> Path:
    """Path of a bundled example (``ring-exact``, ``author-reviewer-editor``)."""
    return Path(str(resources.files("icq").joinpath("examples", f"{name}.json")))


def schema_path() -> Path:
    """Path of the shipped JSON Schema of ``icsmdp-epoch/1`` (docs/format.md)."""
    return Path(str(resources.files("icq").joinpath("schema", _SCHEMA_FILE)))


class _Object(dict):
    """A JSON object that remembers the keys it saw twice (``dups``)."""

    dups: tuple[str, ...] = ()


def _object_pairs(pairs: list[tuple[str, Any]]) -> _Object:
    out = _Object(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        out.dups = tuple(dict.fromkeys(k for k, _ in pairs if k in seen or seen.add(k)))
    return out


def _parse_int(text: str) -> int | float:
    # integers too long for int() (and any beyond 2**64) are read as doubles (possibly ±∞):
    # the semantic rules then refuse them as out of range or not finite, naming the field
    return int(text) if len(text) <= 20 else float(text)


def _decode(data: bytes, where: str) -> str:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(data) >= 2 and b"\x00" in data[:4]):
        raise ModelError([f"{where}: encoding: the file is UTF-16 or UTF-32; icsmdp-epoch/1 "
                          "files are UTF-8 (rule: docs/format.md, Encoding)"])
    if data.startswith(b"\xef\xbb\xbf"):  # a UTF-8 byte order mark is ignored (RFC 8259 §8.1)
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ModelError([f"{where}: encoding: byte 0x{data[exc.start]:02x} at offset "
                          f"{exc.start} is not UTF-8 (rule: icsmdp-epoch/1 files are UTF-8)"]
                         ) from None


def parse(data: bytes | str, where: str = "input") -> Any:
    """Decode and parse one ``icsmdp-epoch/1`` text into plain JSON values (not yet validated).

    Raises
    ------
    ModelError
        One line naming ``where`` and the rule: bad encoding, invalid JSON, nesting too deep.
    """
    text = _decode(data, where) if isinstance(data, bytes) else data
    try:
        return json.loads(text, object_pairs_hook=_object_pairs, parse_int=_parse_int)
    except json.JSONDecodeError as exc:
        raise ModelError([f"{where}: not valid JSON: line {exc.lineno} column {exc.colno}: "
                          f"{exc.msg}"]) from None
    except RecursionError:
        raise ModelError([f"{where}: {_deep_field(text)}nesting: arrays and objects nested too "
                          f"deep (rule: at most {MAX_DEPTH} levels)"]) from None


_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _deep_field(text: str) -> str:
    """``"key: "``, the top-level key under which ``text`` first nests deeper than
    :data:`MAX_DEPTH` (one regex pass, on the failure path only), else ``""``."""
    depth, key = 0, None
    for m in _TOKEN.finditer(text):
        tok = m.group()
        if tok[0] == '"':
            if depth == 1:
                key = tok
        elif tok in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                try:
                    name = json.loads(key) if key is not None else None
                except ValueError:
                    name = None
                return f"{short(name, 40) if len(name) > 40 else name}: " \
                    if isinstance(name, str) else ""
        else:
            depth -= 1
    return ""


def parse_checked(data: bytes | str, where: str = "input") -> Any:
    """:func:`parse`, then the nesting and text rules (at most :data:`MAX_DEPTH` levels, no
    duplicate key, valid Unicode): the one JSON reader of every input of the project (model
    files, trace lines, checkpoint metadata), so that each obeys the same limits.

    >>> parse_checked('{"a": 1}')
    {'a': 1}
    >>> parse_checked('{"a": 1, "a": 2}', "line 3")
    Traceback (most recent call last):
    ...
    icq.reference.model.parse.ModelError: line 3: top level: duplicate key 'a'

    Raises
    ------
    ModelError
        One line per problem, each prefixed with ``where``.
    """
    doc = parse(data, where)
    problems = depth_and_text_problems(doc)
    if problems:
        raise ModelError([f"{where}: {p}" for p in problems])
    return doc


# ---------------------------------------------------------------------------------------
# The JSON Schema checks (messages that name the field)
# ---------------------------------------------------------------------------------------


def short(v: Any, limit: int = 60) -> str:
    if isinstance(v, dict):
        return "an object"
    if isinstance(v, list):
        return "an array"
    r = repr(v)
    return r if len(r) <= limit else r[:limit - 3] + "..."


def did_you_mean(word: str, choices: Any) -> str:
    """``"; did you mean 'x'?"`` for the closest of ``choices`` (difflib), else ``""``."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _where_path(doc: Any, path: list[Any]) -> str:
    """``transitions[0].outcomes[1].prob (state 'a', successor 'b')`` for a schema path."""
    text = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
    if len(path) >= 2 and path[0] in ("states", "transitions") and isinstance(path[1], int):
        item = doc[path[0]][path[1]]
        if isinstance(item, dict):
            if path[0] == "states" and isinstance(item.get("id"), str):
                text += f" (state {short(item['id'])})"
            elif isinstance(item.get("state"), str) and isinstance(item.get("successor"), str):
                text += f" (state {short(item['state'])}, successor {short(item['successor'])})"
    return text or "top level"


_JSON_TYPE = {"object": "an object", "array": "an array", "string": "a string",
              "number": "a number", "null": "null"}


@cache
def schema_validator() -> Any:
    # jsonschema: only when the fast structure check fails
    import jsonschema

    schema = json.loads(schema_path().read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def schema_lines(doc: Any, err: Any) -> list[str]:
    where = _where_path(doc, list(err.absolute_path))
    inst, kw, val = err.instance, err.validator, err.validator_value
    if kw == "type":
        types = val if isinstance(val, list) else [val]
        return [f"{where}: {short(inst)} is not {' or '.join(_JSON_TYPE[t] for t in types)} "
                "(rule: docs/format.md, Fields)"]
    if kw == "required":
        return [f"{where}: missing required key {k!r}" for k in val if k not in inst]
    if kw == "additionalProperties":
        known = err.schema.get("properties", {})
        return [f"{where}: unknown key {k!r}{did_you_mean(k, known)} (extra data belongs in "
                f"{EXTENSIONS!r})" for k in inst if k not in known]
    if kw == "const":
        return [f"{where}: unknown format {short(inst)}, expected {val!r}"]
    if kw in ("minItems", "minProperties"):
        return [f"{where}: must not be empty"]
    if kw == "minLength":
        return [f"{where}: must be a non-empty string"]
    if kw == "maxLength":
        return [f"{where}: a name of {len(inst):,} characters ({short(inst, 40)}) is longer "
                f"than the {val} allowed (rule: docs/format.md, Encoding, numbers and limits)"]
    return [f"{where}: {err.message[:200]}"]  # pragma: no cover - the schema uses no other


def depth_and_text_problems(doc: Any) -> list[str]:
    """Nesting deeper than MAX_DEPTH, duplicate keys, strings that are not valid Unicode."""
    out: list[str] = []
    stack: list[tuple[Any, str, int]] = [(doc, "top level", 1)]
    while stack:
        obj, where, depth = stack.pop()
        if depth > MAX_DEPTH:
            return [f"{where}: nesting: arrays and objects nested too deep "
                    f"(rule: at most {MAX_DEPTH} levels)"]
        if isinstance(obj, dict):
            out += [f"{where}: duplicate key {short(k)}" for k in getattr(obj, "dups", ())]
            for k, v in obj.items():
                key = k if len(k) <= 60 else k[:57] + "..."
                sub = key if where == "top level" else f"{where}.{key}"
                stack.append((k, where, depth))
                stack.append((v, sub, depth + 1))
        elif isinstance(obj, list):
            stack += [(v, f"{where}[{i}]", depth + 1) for i, v in enumerate(obj)]
        elif isinstance(obj, str):
            try:
                obj.encode("utf-8")
            except UnicodeEncodeError:
                out.append(f"{where}: the string {short(obj)} is not valid Unicode "
                           "(unpaired surrogate)")
    return out

