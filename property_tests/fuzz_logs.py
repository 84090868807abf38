"""Fuzzed handoff logs with a known verdict: ``icq-trace/1`` files (:func:`trace_mutant`) and
OTLP JSON span files (:func:`otlp_mutant`), each made from a valid file by breaking one rule of
docs/traces.md, or left valid in a way the reader must accept. Each :class:`Mutant` states the
word its refusal must contain (the field or the rule), so the same code drives the Hypothesis
tests and ``benchmarks/fuzz_inputs.py``.
"""

from __future__ import annotations

import base64
import copy
import json
import random
from typing import Any

from icq.property_tests.fuzz import HUGE_INT, LITERAL, Mutant
from icq.reference.model import END, MAX_DURATION
from icq.reference.model.parse import MAX_NAME

__all__ = ["otlp_mutant", "trace_mutant"]

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
        literal = {"digits": HUGE_INT, "huge-reward": "1" + "0" * 400,
                   "nan": r.choice(["NaN", "Infinity", "-Infinity", "1e400"])}[kind]
        d[field] = LITERAL
        raw = json.dumps(d).replace(json.dumps(LITERAL), literal)
    elif kind == "duration":
        field = "duration"
        d["duration"] = r.choice([2**64, 10**30, MAX_DURATION + 1, 0, -1])
    elif kind == "surrogate":
        field = r.choice(["obs", "agent"])
        d[field] = LITERAL
        raw = json.dumps(d).replace(json.dumps(LITERAL), '"\\ud800"')
    elif kind == "deep":
        field = "x-deep"
        d["x-deep"] = LITERAL
        raw = json.dumps(d).replace(json.dumps(LITERAL), "[" * 1000 + "]" * 1000)
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
        sp["startTimeUnixNano"] = LITERAL
        at = next(i for i, req in enumerate(requests) if sp in _spans([req]))
        requests[at] = json.dumps(requests[at]).replace(json.dumps(LITERAL), HUGE_INT)
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
