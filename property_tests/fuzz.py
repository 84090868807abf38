"""Fuzzed model files with a known verdict, for testing that every bad input is refused cleanly.

Each mutation of a valid ``icsmdp-epoch/1`` document states, independently of the loader, whether
the result is valid and, if not, a field name that the refusal must mention (docs/format.md lists
the rules). :func:`mutant` draws one from a :class:`random.Random`, so the same code drives the
Hypothesis test (through ``st.randoms()``) and the benchmark script that runs thousands.
:func:`raw_cases` are byte strings that are not valid files (encoding, truncation, nesting, size).

>>> import random
>>> from icq.reference.model import example_path
>>> m = mutant(example_path("ring-exact").read_bytes(), random.Random(0))
>>> isinstance(m.data, bytes) and m.valid in (True, False)
True
"""

from __future__ import annotations

import copy
import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from icq.reference.model import END, MAX_DURATION
from icq.reference.model.parse import MAX_NAME

__all__ = ["HUGE_INT", "LITERAL", "OPTION_CASES", "Mutant", "mutant", "raw_cases"]

#: an integer literal beyond Python's int() digit limit
HUGE_INT = "1" + "0" * 5000
_BAD_NUMBERS = ("NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1" + "0" * 400, HUGE_INT)
_WRONG_FOR_NUMBER = ('"0.5"', "[1]", '{"a": 1}', "true", "null")
_WRONG_FOR_STRING = ("1", '["x"]', '{"a": "b"}', "true")
#: a placeholder string, replaced by a raw literal after encoding
LITERAL = "\x00icq-fuzz-literal\x00"


@dataclass(frozen=True)
class Mutant:
    """A fuzzed file: its bytes, whether it is a valid file, the field a refusal must name,
    and what was done (for reports)."""

    data: bytes
    valid: bool
    field: str
    what: str


def _encode(doc: Any, literal: str | None = None) -> bytes:
    text = json.dumps(doc, ensure_ascii=False)
    if literal is not None:
        text = text.replace(json.dumps(LITERAL), literal)
    return text.encode("utf-8")


def _leaves(doc: Any, path: tuple = ()) -> list[tuple[tuple, Any]]:
    out = []
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _leaves(v, (*path, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _leaves(v, (*path, i))
    else:
        out.append((path, doc))
    return out


def _set(doc: Any, path: tuple, value: Any) -> None:
    for p in path[:-1]:
        doc = doc[p]
    doc[path[-1]] = value


def _field(path: tuple) -> str:
    """The most specific key name on ``path`` (what a refusal line must mention)."""
    keys = [p for p in path if isinstance(p, str)]
    return keys[-1] if keys else "top level"


def _number_leaves(doc: dict) -> list[tuple[tuple, Any]]:
    return [(p, v) for p, v in _leaves(doc) if isinstance(v, int | float)
            and not isinstance(v, bool)]


def _string_leaves(doc: dict) -> list[tuple[tuple, Any]]:
    # names and references; "next" may legitimately be null, "name" any string
    return [(p, v) for p, v in _leaves(doc) if isinstance(v, str)
            and p[-1] not in ("name",) and p[0] != "extensions"]


# ---------------------------------------------------------------------------------------
# Invalid mutations: each returns (doc or bytes, field)
# ---------------------------------------------------------------------------------------


def _delete_required(doc: dict, r: random.Random) -> tuple[Any, str]:
    choices = [((k,), k) for k in ("format", "gamma", "agents", "states", "initial",
                                   "successors", "transitions")]
    choices += [(("states", i, k), k) for i in range(len(doc["states"]))
                for k in ("id", "agent", "obs")]
    choices += [(("transitions", t, "outcomes", o, k), k)
                for t, tr in enumerate(doc["transitions"]) for o in range(len(tr["outcomes"]))
                for k in ("prob", "duration", "reward", "next")]
    path, key = r.choice(choices)
    parent = doc
    for p in path[:-1]:
        parent = parent[p]
    del parent[path[-1]]
    return doc, key


def _wrong_type(doc: dict, r: random.Random) -> tuple[Any, str]:
    if r.random() < 0.5:
        path, _ = r.choice(_number_leaves(doc))
        literal = r.choice(_WRONG_FOR_NUMBER)
    else:
        path, _ = r.choice(_string_leaves(doc))
        literal = r.choice(_WRONG_FOR_STRING)
    _set(doc, path, LITERAL)
    return _encode(doc, literal), _field(path)


def _non_finite_or_huge(doc: dict, r: random.Random) -> tuple[Any, str]:
    path, _ = r.choice(_number_leaves(doc))
    _set(doc, path, LITERAL)
    return _encode(doc, r.choice(_BAD_NUMBERS)), _field(path)


def _out_of_range(doc: dict, r: random.Random) -> tuple[Any, str]:
    t = r.choice(doc["transitions"])
    o = r.choice(t["outcomes"])
    kind = r.choice(["gamma", "prob", "duration", "reward"])
    if kind == "reward":  # values beyond the doubles (docs/format.md, Ranges)
        o["reward"] = r.choice([1e308, -1e308])
    elif kind == "gamma":
        doc["gamma"] = r.choice([0, 1, 1.0, -0.5, 1.5, 2])
    elif kind == "prob":
        o["prob"] = r.choice([0, -0.1, -1, o["prob"] * 0.5, o["prob"] + 0.25])
    else:
        o["duration"] = r.choice([0, -3, 2.5, 1e-9, MAX_DURATION + 2, 10**24])
    return doc, kind


_MISSPELLED = {(): ("behaviour", "gama", "agent", "transition", "intial", "format_"),
               ("states",): ("ID", "agents", "observation"),
               ("transitions",): ("outcome", "succesor", "states"),
               ("outcomes",): ("probability", "duraton", "rewards", "nxt")}


def _unknown_key(doc: dict, r: random.Random) -> tuple[Any, str]:
    where = r.choice(list(_MISSPELLED))
    key = r.choice(_MISSPELLED[where])
    if where == ():
        target = doc
    elif where == ("states",):
        target = r.choice(doc["states"])
    elif where == ("transitions",):
        target = r.choice(doc["transitions"])
    else:
        target = r.choice(r.choice(doc["transitions"])["outcomes"])
    target[key] = 1
    return doc, key


def _duplicate(doc: dict, r: random.Random) -> tuple[Any, str]:
    kind = r.choice(["state", "agent", "json-key", "transition"])
    if kind == "state":
        doc["states"].append(copy.deepcopy(r.choice(doc["states"])))
        return doc, "duplicate state id"
    if kind == "agent":
        doc["agents"].append(r.choice(doc["agents"]))
        return doc, "duplicate agent"
    if kind == "transition":
        doc["transitions"].append(copy.deepcopy(r.choice(doc["transitions"])))
        return doc, "duplicate transitions entry"
    text = _encode(doc).decode()
    return text.replace('"gamma": ', '"gamma": 0.5, "gamma": ', 1).encode(), "duplicate key"


def _empty(doc: dict, r: random.Random) -> tuple[Any, str]:
    kind = r.choice(["agents", "states", "outcomes", "transitions", "initial"])
    if kind == "outcomes":
        r.choice(doc["transitions"])["outcomes"] = []
    elif kind == "initial":
        doc["initial"] = {}
    else:
        doc[kind] = []
    return doc, kind if kind != "transitions" else "missing entry"


def _bad_reference(doc: dict, r: random.Random) -> tuple[Any, str]:
    kind = r.choice(["agent", "next", "state", "successor", "initial", "successors"])
    if kind == "agent":
        r.choice(doc["states"])["agent"] = "ghost"
    elif kind == "next":
        r.choice(r.choice(doc["transitions"])["outcomes"])["next"] = "nowhere"
    elif kind == "state":
        r.choice(doc["transitions"])["state"] = "nowhere"
    elif kind == "successor":
        r.choice(doc["transitions"])["successor"] = "ghost"
    elif kind == "initial":
        doc["initial"]["nowhere"] = 0.0
        return doc, "initial"
    else:
        per_obs = r.choice(list(doc["successors"].values()))
        r.choice(list(per_obs.values())).append("ghost")
        return doc, "ghost"
    return doc, {"agent": "ghost", "next": "nowhere", "state": "nowhere",
                 "successor": "ghost"}[kind]


def _semantic(doc: dict, r: random.Random) -> tuple[Any, str]:
    kind = r.choice(["end-next", "agent-end", "self", "missing", "wrong-agent", "initial"])
    ends = [t for t in doc["transitions"] if t["successor"] == END]
    if kind == "end-next" and ends:
        r.choice(r.choice(ends)["outcomes"])["next"] = doc["states"][0]["id"]
        return doc, "END"
    if kind == "agent-end":
        doc["agents"].append(END)
        return doc, "END"
    if kind == "self":
        t = r.choice(doc["transitions"])
        agent = next(s["agent"] for s in doc["states"] if s["id"] == t["state"])
        t["successor"] = agent
        return doc, "acting agent"
    if kind == "initial":
        sid = r.choice(list(doc["initial"]))
        doc["initial"][sid] = doc["initial"][sid] + 0.5
        return doc, "initial"
    if kind == "wrong-agent":
        nonend = [(t, o) for t in doc["transitions"] if t["successor"] != END
                  for o in t["outcomes"] if o["next"] is not None]
        if nonend:
            t, o = r.choice(nonend)
            other = [s["id"] for s in doc["states"] if s["agent"] != t["successor"]]
            o["next"] = r.choice(other)
            return doc, "next"
    del doc["transitions"][r.randrange(len(doc["transitions"]))]
    return doc, "missing entry"


def _container_type(doc: dict, r: random.Random) -> tuple[Any, str]:
    key = r.choice(["agents", "states", "initial", "successors", "transitions", "behavior"])
    doc[key] = r.choice(["x", 1, None, True] + ([{}] if key in ("agents", "states",
                                                                 "transitions") else [[]]))
    return doc, key


def _long_name(doc: dict, r: random.Random) -> tuple[Any, str]:
    """A name of 10**6 characters (an agent, a state id, an observation label, the model's
    name), renamed consistently everywhere: only its length breaks a rule."""
    kind = r.choice(["agent", "state", "obs", "name"])
    long = "n" * r.choice([MAX_NAME + 1, 10**6])
    if kind == "name":
        doc["name"] = long
        return doc, f"{MAX_NAME} allowed"
    s = r.choice(doc["states"])
    old = s["agent" if kind == "agent" else "id" if kind == "state" else "obs"]
    text = _encode(doc).decode().replace(json.dumps(old), json.dumps(long))
    return text.encode(), f"{MAX_NAME} allowed"


def _gamma_near_one(doc: dict, r: random.Random) -> tuple[Any, str]:
    """γ within 10⁻¹³ of 1 and one row whose outcomes all continue, with probabilities that
    sum to 1 + 0.9·10⁻⁹ (within the tolerance): its discounted mass exceeds 1."""
    rows = [t for t in doc["transitions"] if t["successor"] != END
            and all(o["next"] is not None and o["duration"] <= 100 for o in t["outcomes"])]
    if not rows:
        return _out_of_range(doc, r)
    doc["gamma"] = r.choice([1 - 1e-13, 1 - 2**-52, 1 - 1e-15])
    for o in r.choice(rows)["outcomes"]:
        o["prob"] *= 1 + 0.9e-9
    return doc, "discounted mass"


_INVALID: tuple[Callable[[dict, random.Random], tuple[Any, str]], ...] = (
    _delete_required, _wrong_type, _non_finite_or_huge, _out_of_range, _unknown_key,
    _duplicate, _empty, _bad_reference, _semantic, _container_type, _long_name,
    _gamma_near_one)

# ---------------------------------------------------------------------------------------
# Valid mutations: the result is a valid file (docs/format.md)
# ---------------------------------------------------------------------------------------


def _valid(doc: dict, r: random.Random) -> tuple[bytes, str]:
    kind = r.choice(["extensions", "shuffle", "name", "rename", "gamma", "extreme", "bom",
                     "no-behavior", "null-next", "keys"])
    if kind == "extensions":
        doc["extensions"] = {"org.example": {"counts": [[1, 2], [3, 4]], "note": "é"}}
    elif kind == "shuffle":
        r.shuffle(doc["transitions"])
        r.shuffle(doc["states"])
    elif kind == "name":
        doc["name"] = r.choice(["", "naïve – test", "x" * MAX_NAME])
    elif kind == "rename":
        old = r.choice(doc["states"])["id"]
        text = _encode(doc).decode().replace(json.dumps(old), json.dumps(old + "·renamed"))
        return text.encode(), kind
    elif kind == "gamma":
        doc["gamma"] = r.choice([1e-9, 0.5, 0.999999])
    elif kind == "extreme":
        o = r.choice(r.choice(doc["transitions"])["outcomes"])
        if r.random() < 0.5:
            o["reward"] = r.choice([1e290, -1e290, 5e-324])
        else:
            o["duration"] = r.choice([MAX_DURATION, 10**15, 2**31])
    elif kind == "bom":
        return b"\xef\xbb\xbf" + _encode(doc), kind
    elif kind == "no-behavior":
        doc.pop("behavior", None)
    elif kind == "null-next":
        r.choice(r.choice(doc["transitions"])["outcomes"])["next"] = None
    else:
        return json.dumps(dict(reversed(list(doc.items()))), indent=3).encode(), kind
    return _encode(doc), kind


def mutant(base: bytes, r: random.Random, p_valid: float = 0.25) -> Mutant:
    """One fuzzed file from the valid document ``base``: valid with probability ``p_valid``."""
    doc = json.loads(base)
    if r.random() < p_valid:
        data, what = _valid(doc, r)
        return Mutant(data, True, "", what)
    fn = r.choice(_INVALID)
    out, field = fn(doc, r)
    data = out if isinstance(out, bytes) else _encode(out)
    return Mutant(data, False, field, fn.__name__.lstrip("_"))


def raw_cases(base: bytes) -> list[Mutant]:
    """Byte strings that are not valid files, each with the word its refusal must contain."""
    text = base.decode("utf-8")
    deep = "[" * 1000 + "]" * 1000
    cases = [
        (b"", "not valid JSON"), (b"   \n", "not valid JSON"), (base[: len(base) // 2],
                                                                "not valid JSON"),
        (base[:1], "not valid JSON"), (base + b"}", "not valid JSON"),
        (text.replace('"gamma"', '"gamm\u00e9"').encode("latin-1"), "encoding"),
        (b"\xff" + base, "encoding"), (text.encode("utf-16"), "encoding"),
        (text.encode("utf-16-le"), "encoding"), (text.encode("utf-32"), "encoding"),
        (deep.encode(), "nesting"), (text.replace('"name"', f'"extensions": {deep}, "name"', 1)
                                     .encode(), "nesting"),
        (("[" * 100_000).encode(), "nesting"), (b"null", "top level"), (b"[]", "top level"),
        (b"1", "top level"), (b'"icsmdp-epoch/1"', "top level"),
        (text.replace('"format"', '"\\u0000format"', 1).encode(), "format"),
        (text.replace('"name"', '"\\ud800"', 1).encode(), "surrogate"),
        (re.sub(r'"gamma":\s*[-0-9.eE+]+', '"gamma": ' + HUGE_INT, text, count=1).encode(),
         "gamma"),
        (b"{" + b'"a": 1, ' * 200_000 + b'"b": 2}', "duplicate key"),
        (b"\xef\xbb\xbf\xef\xbb\xbf" + base, "not valid JSON"),
    ]
    return [Mutant(d, False, f, f"raw {i}") for i, (d, f) in enumerate(cases)]


#: command-line options that must be refused (exit 2, naming the option) or accepted:
#: ``(command, option, value, valid)``; the command runs on a small valid model
OPTION_CASES: tuple[tuple[str, str, str, bool], ...] = (
    *(("train", "--alpha", v, False) for v in ("nan", "inf", "-inf", "0", "-0.5", "1.5")),
    *(("train", "--epsilon", v, False) for v in ("1.5", "nan", "-0.1", "inf")),
    *(("budget", "--alpha", v, False) for v in ("nan", "inf")),
    *(("budget", "--epsilon", v, False) for v in ("1.5", "nan", "-0.1")),
    *(("budget", "--target", v, False) for v in ("nan", "-1", "inf")),
    *(("budget", "--seeds", v, False) for v in ("0", "-3")),
    *(("budget", "--horizon", v, False) for v in ("-1",)),
    *(("train", "--handoffs", v, False) for v in ("-5",)),
    *(("train", "--alpha", v, True) for v in ("0.5", "1")),
    *(("train", "--epsilon", v, True) for v in ("0", "0.1", "1")),
)
