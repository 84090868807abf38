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

import base64
import copy
import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from icq.reference.model import END, MAX_DURATION
from icq.reference.model.parse import MAX_NAME

__all__ = ["OPTION_CASES", "Mutant", "mutant", "otlp_mutant", "raw_cases", "trace_mutant"]

_HUGE_INT = "1" + "0" * 5000  # beyond Python's int() digit limit
_BAD_NUMBERS = ("NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1" + "0" * 400, _HUGE_INT)
_WRONG_FOR_NUMBER = ('"0.5"', "[1]", '{"a": 1}', "true", "null")
_WRONG_FOR_STRING = ("1", '["x"]', '{"a": "b"}', "true")
_TOKEN = "\x00icq-fuzz-literal\x00"


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
        text = text.replace(json.dumps(_TOKEN), literal)
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
    _set(doc, path, _TOKEN)
    return _encode(doc, literal), _field(path)


def _non_finite_or_huge(doc: dict, r: random.Random) -> tuple[Any, str]:
    path, _ = r.choice(_number_leaves(doc))
    _set(doc, path, _TOKEN)
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
        (re.sub(r'"gamma":\s*[-0-9.eE+]+', '"gamma": ' + _HUGE_INT, text, count=1).encode(),
         "gamma"),
        (b"{" + b'"a": 1, ' * 200_000 + b'"b": 2}', "duplicate key"),
        (b"\xef\xbb\xbf\xef\xbb\xbf" + base, "not valid JSON"),
    ]
    return [Mutant(d, False, f, f"raw {i}") for i, (d, f) in enumerate(cases)]


# ---------------------------------------------------------------------------------------
# Trace files (docs/traces.md) and command-line options
# ---------------------------------------------------------------------------------------

_TRACE_REQUIRED = ("episode", "t", "agent", "obs", "successor", "duration", "reward",
                   "next_agent", "next_obs")


def _trace_line(lines: list[dict], r: random.Random) -> tuple[list[Any], str]:
    """One line of ``lines`` made invalid; returns the lines (dicts, or text for raw JSON) and
    the word its refusal must contain."""
    i = r.randrange(len(lines))
    d = lines[i]
    kind = r.choice(["missing", "type", "digits", "huge-reward", "duration", "surrogate",
                     "deep", "long", "same-t", "unknown", "nan", "not-json", "end-agent",
                     "negative-t", "duplicate-key"])
    raw = None
    field = kind
    if kind == "missing":
        field = r.choice(_TRACE_REQUIRED)
        del d[field]
    elif kind == "type":
        field = r.choice(["t", "duration", "reward", "agent", "obs", "successor"])
        d[field] = r.choice(["x", [1], {"a": 1}, True] if field in ("t", "duration", "reward")
                            else [1, ["x"], {"a": "b"}, True, ""])
    elif kind in ("digits", "huge-reward", "nan"):
        field = "reward" if kind != "digits" else r.choice(["t", "duration", "reward"])
        literal = {"digits": _HUGE_INT, "huge-reward": "1" + "0" * 400,
                   "nan": r.choice(["NaN", "Infinity", "-Infinity", "1e400"])}[kind]
        d[field] = _TOKEN
        raw = json.dumps(d).replace(json.dumps(_TOKEN), literal)
    elif kind == "duration":
        field = "duration"
        d["duration"] = r.choice([2**64, 10**30, MAX_DURATION + 1, 0, -1])
    elif kind == "surrogate":
        field = r.choice(["obs", "agent"])
        d[field] = _TOKEN
        raw = json.dumps(d).replace(json.dumps(_TOKEN), '"\\ud800"')
    elif kind == "deep":
        field = "x-deep"
        d["x-deep"] = _TOKEN
        raw = json.dumps(d).replace(json.dumps(_TOKEN), "[" * 1000 + "]" * 1000)
    elif kind == "long":
        field = r.choice(["agent", "obs", "successor"] if d["successor"] == END
                         else ["agent", "obs"])
        d[field] = "n" * r.choice([MAX_NAME + 1, 10**6])
    elif kind == "same-t":
        lines.insert(i + 1, copy.deepcopy(d))
        return lines, "is not after"
    elif kind == "unknown":
        field = "behaviour_prob"
        d[field] = 0.5
    elif kind == "not-json":
        raw = json.dumps(d)[: r.randrange(1, 20)]
        field = "not valid JSON"
    elif kind == "end-agent":
        field = "agent"
        d["agent"] = END
    elif kind == "negative-t":
        field = "t"
        d["t"] = -1
    else:
        raw = json.dumps(d)[:-1] + ', "t": 0}'
        field = "duplicate key"
    if raw is not None:
        lines[i] = raw
    return lines, field


def trace_mutant(base: bytes, r: random.Random, p_valid: float = 0.25) -> Mutant:
    """One fuzzed ``icq-trace/1`` file from the valid JSON Lines ``base``: valid (extension
    fields, blank lines, integer episode ids) with probability ``p_valid``, else one line
    broken by a rule of docs/traces.md or of the shared JSON reader."""
    lines: list[Any] = [json.loads(s) for s in base.decode().splitlines() if s.strip()]
    if r.random() < p_valid:
        kind = r.choice(["x-field", "blank", "int-episodes"])
        if kind == "x-field":
            r.choice(lines)["x-note"] = {"by": "fuzz", "n": [1, 2, 3]}
        elif kind == "int-episodes":
            ids: dict[Any, int] = {}
            for d in lines:
                d["episode"] = ids.setdefault(d["episode"], len(ids))
        text = "\n".join(json.dumps(d) for d in lines) + "\n"
        if kind == "blank":
            text = text.replace("\n", "\n\n", 3)
        return Mutant(text.encode(), True, "", f"trace {kind}")
    lines, field = _trace_line(lines, r)
    text = "\n".join(s if isinstance(s, str) else json.dumps(s, ensure_ascii=False)
                     for s in lines) + "\n"
    return Mutant(text.encode("utf-8", "surrogatepass"), False, field, "trace")


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


# ---------------------------------------------------------------------------------------
# OTLP JSON span files (docs/traces.md, "From OpenTelemetry spans")
# ---------------------------------------------------------------------------------------

_OP, _AGENT_NAME = "gen_ai.operation.name", "gen_ai.agent.name"


def _spans(requests: list[dict]) -> list[dict]:
    return [sp for req in requests for rs in req["resourceSpans"] for ss in rs["scopeSpans"]
            for sp in ss["spans"]]


def _op(sp: dict) -> str | None:
    for a in sp.get("attributes", ()):
        if a["key"] == _OP:
            return a["value"]["stringValue"]
    return None


def _drop_attr(sp: dict, key: str) -> None:
    sp["attributes"] = [a for a in sp["attributes"] if a["key"] != key]


def _b64(hex_id: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_id)).decode()


def _otlp_valid(requests: list[dict], r: random.Random) -> tuple[list[Any], str]:
    spans = _spans(requests)
    kind = r.choice(["base64-ids", "upper-hex", "array", "other-spans", "int-reward",
                     "shuffled-attributes"])
    if kind == "base64-ids":  # the protobuf JSON mapping writes ids in base64
        for sp in spans:
            for key in ("traceId", "spanId", "parentSpanId"):
                if key in sp:
                    sp[key] = _b64(sp[key])
    elif kind == "upper-hex":
        for sp in spans:
            sp["traceId"] = sp["traceId"].upper()
    elif kind == "other-spans":  # spans of other operations are ignored
        spans_of = requests[0]["resourceSpans"][0]["scopeSpans"][0]["spans"]
        for k, sp in enumerate(r.sample(spans, min(3, len(spans)))):  # ids the base never uses
            spans_of.append({**copy.deepcopy(sp), "spanId": f"e{k:015x}",
                             "attributes": [{"key": _OP, "value": {"stringValue": "embed"}}]})
    elif kind == "int-reward":  # OTLP JSON writes integers as decimal strings
        for sp in spans:
            for a in sp["attributes"]:
                if a["key"] == "icq.reward":
                    a["value"] = {"intValue": str(r.randrange(-5, 6))}
    elif kind == "shuffled-attributes":
        for sp in spans:
            r.shuffle(sp["attributes"])
    else:
        return [json.dumps(requests)], kind
    return requests, kind


def _otlp_invalid(requests: list[dict], r: random.Random) -> tuple[list[Any], str]:
    """``requests`` with one rule of docs/traces.md broken; returns the requests (dicts, or
    text for raw lines) and the word the refusal must contain."""
    spans = _spans(requests)
    agents = [sp for sp in spans if _op(sp) == "invoke_agent"]
    children = [sp for sp in spans if _op(sp) == "chat"]
    sp = r.choice(agents)
    same = [a for a in agents if a["traceId"] == sp["traceId"]]
    kind = r.choice(["no-agent-name", "no-obs", "no-reward", "reward-type", "trace-id",
                     "span-id", "parent-id", "time", "skew", "duplicate-span", "orphan",
                     "loop", "overlap", "successor", "not-json", "not-array", "no-agents",
                     "latent", "digits", "child-outside"])
    raw: str | None = None
    if kind in ("no-agent-name", "no-obs", "no-reward"):
        field = {"no-agent-name": _AGENT_NAME, "no-obs": "icq.obs",
                 "no-reward": "icq.reward"}[kind]
        _drop_attr(sp, field)
    elif kind == "reward-type":
        field = "icq.reward"
        for a in sp["attributes"]:
            if a["key"] == field:
                a["value"] = r.choice([{"doubleValue": "NaN"}, {"stringValue": "1.0"},
                                       {"intValue": "x"}, {"doubleValue": None}])
    elif kind in ("trace-id", "span-id"):
        field = {"trace-id": "traceId", "span-id": "spanId"}[kind]
        sp[field] = r.choice(["", "xyz", "0" * 15, "g" * 32, 12, None])
    elif kind == "parent-id":
        field = "parentSpanId"
        sp[field] = r.choice(["xyz", "0" * 17, 5])
    elif kind == "time":
        field = r.choice(["startTimeUnixNano", "endTimeUnixNano"])
        sp[field] = r.choice(["-1", "1.5", "soon", -3, 1.5, None])
    elif kind == "skew":
        field = "clock skew"
        sp["endTimeUnixNano"] = str(int(sp["startTimeUnixNano"]) - 1)
    elif kind == "duplicate-span":
        field = "duplicate span id"
        other = r.choice([s for s in spans if s is not sp and s["traceId"] == sp["traceId"]])
        other["spanId"] = sp["spanId"]
    elif kind == "orphan":
        field = "absent"
        r.choice([c for c in children if c["traceId"] == sp["traceId"]] or children)[
            "parentSpanId"] = "f" * 16
    elif kind == "loop":  # two spans of another operation, each the other's parent
        field = "loops"
        c = r.choice(children)
        a, b = "d" * 16, "c" * 16  # ids the base never uses
        mk = {"traceId": c["traceId"], "startTimeUnixNano": "0", "endTimeUnixNano": "1",
              "attributes": [{"key": _OP, "value": {"stringValue": "embed"}}]}
        spans_of = requests[0]["resourceSpans"][0]["scopeSpans"][0]["spans"]
        spans_of += [{**mk, "spanId": a, "parentSpanId": b}, {**mk, "spanId": b,
                                                              "parentSpanId": a}]
        c["parentSpanId"] = a
    elif kind == "overlap" and len(same) > 1:
        field = "sequential"
        i = r.randrange(1, len(same))
        same[i]["startTimeUnixNano"] = str(int(same[i - 1]["endTimeUnixNano"]) - 1)
    elif kind == "successor" and len(same) > 1:
        field = "differs from"
        first = same[0]
        names = {a["value"]["stringValue"] for s in agents for a in s["attributes"]
                 if a["key"] == _AGENT_NAME}
        nxt = next(a["value"]["stringValue"] for a in same[1]["attributes"]
                   if a["key"] == _AGENT_NAME)
        wrong = sorted(names - {nxt}) or ["nobody"]
        first["attributes"].append({"key": "icq.successor",
                                    "value": {"stringValue": r.choice(wrong)}})
    elif kind == "not-json":
        field = "not valid JSON"
        raw = json.dumps(requests[0])[: r.randrange(1, 40)]
    elif kind == "not-array":
        field = "resourceSpans"
        requests[0]["resourceSpans"] = r.choice([{}, "x", 3, None])
    elif kind == "no-agents":
        field = "no invoke_agent span"
        for s in agents:
            _drop_attr(s, _OP)
    elif kind == "latent":
        field = "icq.latent"
        mine = [a for a in sp["attributes"] if a["key"] == field]
        how = r.choice(["empty", "twice"] + (["only-here"] if len(same) > 1 else []))
        if how == "empty":
            _drop_attr(sp, field)
            sp["attributes"].append({"key": field, "value": {"stringValue": ""}})
        elif how == "twice":  # attribute keys are unique within a span
            sp["attributes"].append({"key": field, "value": {"stringValue": "y0"}})
        elif mine:  # on every other invocation of the trace but not on this one
            _drop_attr(sp, field)
        else:  # on this invocation only
            sp["attributes"].append({"key": field, "value": {"stringValue": "y0"}})
    elif kind == "digits":  # 5,000 digits: read as a number beyond every time
        field = "startTimeUnixNano"
        sp["startTimeUnixNano"] = _TOKEN
        at = next(i for i, req in enumerate(requests) if sp in _spans([req]))
        requests[at] = json.dumps(requests[at]).replace(json.dumps(_TOKEN), _HUGE_INT)
    else:  # child-outside: a child span that runs outside its invocation
        field = "clock skew"
        c = r.choice([c for c in children if c["traceId"] == sp["traceId"]] or children)
        c["endTimeUnixNano"] = str(10**15)
    if raw is not None:
        return [raw, *requests[1:]], field
    return requests, field


def otlp_mutant(base: bytes, r: random.Random, p_valid: float = 0.25) -> Mutant:
    """One fuzzed OTLP JSON span file from the valid file ``base`` (one request per line, as
    :func:`icq.reference.learners.traces.otel.otlp_requests` writes them): valid (base64 or
    upper-case ids, a JSON array, spans of other operations, integer rewards, shuffled
    attributes) with probability ``p_valid``, else one rule of docs/traces.md broken."""
    requests = [json.loads(s) for s in base.decode().splitlines() if s.strip()]
    if r.random() < p_valid:
        out, what = _otlp_valid(requests, r)
        valid, field = True, ""
    else:
        out, field = _otlp_invalid(requests, r)
        valid, what = False, "otlp"
    text = "\n".join(s if isinstance(s, str) else json.dumps(s) for s in out) + "\n"
    return Mutant(text.encode(), valid, field, f"otlp {what}")
