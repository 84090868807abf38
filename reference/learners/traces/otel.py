"""OpenTelemetry spans → ``icq-trace/1`` (docs/traces.md, "From OpenTelemetry spans").

The input is OTLP JSON: the JSON encoding of ``ExportTraceServiceRequest``, one request per line
as an OpenTelemetry Collector's file exporter writes it, or one JSON array of such requests. The
spans follow the GenAI semantic conventions: one ``invoke_agent`` span per agent invocation
(``gen_ai.operation.name``), with ``chat`` and ``execute_tool`` spans below it. The mapping onto
the sample ``(y_k, j_k, τ_k, R_k, y_{k+1})`` of docs/theory.md §4:

- episode = trace id; the invocations are the ``invoke_agent`` spans of the trace ordered by
  start time (they must not overlap); agent = ``gen_ai.agent.name``; ``t`` = the rank;
- successor = the next invocation's agent, ``END`` after the last one, unless the invocation
  carries the attribute :attr:`OtelMapping.successor_attr` (then it must agree with the next
  invocation; on the last one it may name an agent: the episode ended during that handoff);
- τ = the number of ``chat`` and ``execute_tool`` spans whose nearest ``invoke_agent`` ancestor
  is the invocation (at least 1), or the integer attribute :attr:`OtelMapping.duration_attr`;
- observation, reward and latent label from the attributes of :class:`OtelMapping`.

Spans are grouped by trace id in memory until :attr:`OtelMapping.buffer` spans are held; past
that they are spilled by a hash of the trace id into temporary bucket files, each converted
alone (recursively split if still too large), so memory grows with the largest trace, not with
the file. Every problem names the line or the trace and span ids and the rule broken; the
caller writes nothing (:func:`convert_otel` raises before its output is complete).

>>> span = {"traceId": "01" * 16, "spanId": "02" * 8, "startTimeUnixNano": "1",
...         "endTimeUnixNano": "5", "attributes": [
...     {"key": "gen_ai.operation.name", "value": {"stringValue": "invoke_agent"}},
...     {"key": "gen_ai.agent.name", "value": {"stringValue": "planner"}},
...     {"key": "icq.obs", "value": {"stringValue": "start"}},
...     {"key": "icq.reward", "value": {"doubleValue": 0.5}}]}
>>> req = {"resourceSpans": [{"scopeSpans": [{"spans": [span]}]}]}
>>> [d["successor"] for d in otel_lines([req])]
['END']
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import gc
import hashlib
import itertools
import math
import pickle
import re
import sys
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from icq.reference.learners.traces.format import MAX_PROBLEMS, check_line, write_traces
from icq.reference.model import END, ModelError, parse
from icq.reference.model.parse import short

__all__ = ["AGENT_OP", "CHILD_OPS", "OtelMapping", "OtelStats", "convert_otel", "otel_lines",
           "otlp_requests", "read_requests"]

#: ``gen_ai.operation.name`` of an agent invocation
AGENT_OP = "invoke_agent"
#: ``gen_ai.operation.name`` of the spans counted as primitive steps of an invocation
CHILD_OPS = ("chat", "execute_tool")
_OP_KEY = "gen_ai.operation.name"
_AGENT_KEY = "gen_ai.agent.name"
_OTHER, _AGENT, _CHILD = 0, 1, 2
_LOWER_HEX16 = re.compile(r"[0-9a-f]{16}").fullmatch
# one compact record per span: what the conversion needs, nothing else
_TRACE, _SPAN, _PARENT, _KIND, _START, _END, _NAME, _OBS, _REW, _LAT, _SUCC, _DUR, _LINE = \
    range(13)


@dataclass(frozen=True)
class OtelMapping:
    """Which span attributes carry the fields of a trace line (docs/traces.md).

    obs_attr : the observation label (string, required on every ``invoke_agent`` span)
    reward_attr : the reward R (double or int, required)
    latent_attr : the latent label (string; on every invocation or on none)
    successor_attr : names the successor when present (string, an agent or ``END``)
    duration_attr : when set, τ is this integer attribute (≥ 1, required) instead of the count
        of child ``chat``/``execute_tool`` spans
    buffer : spans held in memory before grouping spills to temporary files
    """

    obs_attr: str = "icq.obs"
    reward_attr: str = "icq.reward"
    latent_attr: str = "icq.latent"
    successor_attr: str = "icq.successor"
    duration_attr: str | None = None
    buffer: int = 100_000

    def __post_init__(self) -> None:
        if self.buffer < 1:
            raise ValueError(f"buffer: {self.buffer} must be >= 1")


@dataclass
class OtelStats:
    """What a conversion read and wrote."""

    lines: int = 0
    spans: int = 0
    traces: int = 0
    handoffs: int = 0
    spilled: bool = False


class _Problems:
    """Problems collected up to :data:`MAX_PROBLEMS`, raised together."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, msg: str) -> None:
        self.items.append(msg)
        if len(self.items) >= MAX_PROBLEMS:
            self.raise_()

    def raise_(self) -> None:
        if len(self.items) >= MAX_PROBLEMS:
            self.items.append(f"stopped after {MAX_PROBLEMS} problems")
        raise ModelError(self.items)


# ---------------------------------------------------------------------------------------
# reading OTLP JSON
# ---------------------------------------------------------------------------------------


def _norm_id(v: Any, nbytes: int) -> str | None:
    """A trace (16 bytes) or span (8 bytes) id as lower-case hex; OTLP JSON writes hex, the
    protobuf JSON mapping base64. None when it is neither."""
    if type(v) is not str:
        return None
    if len(v) == 2 * nbytes:
        try:
            raw = bytes.fromhex(v)
        except ValueError:
            return None
        return v.lower() if len(raw) == nbytes else None  # fromhex skips spaces
    try:
        raw = base64.b64decode(v, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw.hex() if len(raw) == nbytes else None


def _time(v: Any) -> int | None:
    # isdecimal, not isdigit: int() refuses digits such as '²' that isdigit accepts; and
    # decimal strings of more than 4,300 digits
    if type(v) is int and v >= 0:
        return v
    if type(v) is str and v.isdecimal():
        try:
            return int(v)
        except ValueError:
            pass
    return None


def _value(v: Any) -> Any:
    """The Python value of an OTLP ``AnyValue`` (ints arrive as strings in JSON)."""
    if not isinstance(v, dict) or len(v) != 1:
        return v
    (k, x), = v.items()
    if k == "intValue":
        if type(x) is str and (x[1:] if x[:1] == "-" else x).isdecimal():
            try:
                return int(x)
            except ValueError:  # more than 4,300 digits
                pass
        return x if type(x) is int else ("not an integer", x)
    if k == "doubleValue":
        if type(x) in (int, float):
            return float(x)
        return ("not a double", x)
    return x if k in ("stringValue", "boolValue") else (k, x)


def _input_name(path: str | Path) -> str:
    """How messages name the input (``"-"``: standard input)."""
    return "standard input" if str(path) == "-" else str(path)


def read_requests(path: str | Path) -> Iterator[tuple[int, Any]]:
    """``(line number, decoded request)`` for each request of an OTLP JSON file (``"-"``:
    standard input): one per line, or the elements of one top-level JSON array (read whole;
    line number 1)."""
    name = _input_name(path)
    if str(path) == "-":
        fh: Any = sys.stdin.buffer
        head = fh.peek(4096)[:4096] if hasattr(fh, "peek") else b""
        ctx: Any = contextlib.nullcontext(fh)
    else:
        try:
            fh = Path(path).open("rb")
        except OSError as exc:
            raise ModelError([f"{path}: cannot read file: {exc.strerror or exc}"]) from None
        ctx, head = fh, fh.read(4096)
        fh.seek(0)
    with ctx:
        if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"["):
            doc = parse(fh.read(), name)
            if not isinstance(doc, list):
                raise ModelError([f"{name}: expected a JSON array of ExportTraceServiceRequest"])
            for req in doc:
                yield 1, req
            return
        for lineno, raw in enumerate(fh, 1):
            if raw.strip():
                yield lineno, parse(raw, f"{name}: line {lineno}")


def _records(requests: Iterable[tuple[int, Any]], m: OtelMapping, stats: OtelStats,
             where: str) -> Iterator[tuple]:
    """One compact record per span; structural problems raise at once (ModelError)."""
    wanted = {_OP_KEY, _AGENT_KEY, m.obs_attr, m.reward_attr, m.latent_attr, m.successor_attr,
              m.duration_attr}
    tids: dict[str, str | None] = {}  # raw → normalized trace ids, a bounded cache
    for lineno, req in requests:
        stats.lines += 1
        at = f"{where}line {lineno}"
        rs = req.get("resourceSpans") if isinstance(req, dict) else None
        if not isinstance(rs, list):
            raise ModelError([f"{at}: resourceSpans: missing or not an array (rule: each "
                              "line is one OTLP JSON ExportTraceServiceRequest)"])
        for r in rs:
            ss = r.get("scopeSpans", []) if isinstance(r, dict) else None
            if not isinstance(ss, list):
                raise ModelError([f"{at}: scopeSpans: not an array"])
            for s in ss:
                spans = s.get("spans", []) if isinstance(s, dict) else None
                if not isinstance(spans, list):
                    raise ModelError([f"{at}: spans: not an array"])
                for sp in spans:
                    yield _record(sp, wanted, m, at, lineno, tids)
                    stats.spans += 1


def _record(sp: Any, wanted: set, m: OtelMapping, at: str, lineno: int,
            tids: dict[str, str | None]) -> tuple:
    if not isinstance(sp, dict):
        raise ModelError([f"{at}: span: not an object"])
    raw = sp.get("traceId")
    tid = tids.get(raw) if type(raw) is str else None
    if tid is None:
        tid = _norm_id(raw, 16)
        if tid is not None:
            if len(tids) >= 4096:
                tids.clear()
            tids[raw] = tid
    sid = sp.get("spanId")
    if not (type(sid) is str and _LOWER_HEX16(sid)):  # the common case checked inline
        sid = _norm_id(sid, 8)
    if tid is None or sid is None:
        field_, v = ("traceId", sp.get("traceId")) if tid is None else ("spanId", sp.get("spanId"))
        raise ModelError([f"{at}: {field_}: {short(v)} is not a hex or base64 id of "
                          f"{16 if tid is None else 8} bytes (rule: OTLP JSON ids)"])
    parent = sp.get("parentSpanId") or None
    if parent is not None and not (type(parent) is str and _LOWER_HEX16(parent)):
        parent = _norm_id(parent, 8)
        if parent is None:
            raise ModelError([f"{at}: trace {tid} span {sid}: parentSpanId: "
                              f"{short(sp.get('parentSpanId'))} is not a span id"])
    start, end = sp.get("startTimeUnixNano"), sp.get("endTimeUnixNano")
    try:  # the common case inline; _time for the others
        start = int(start) if type(start) is str and start.isdecimal() else _time(start)
        end = int(end) if type(end) is str and end.isdecimal() else _time(end)
    except ValueError:  # more digits than int() reads
        start, end = _time(sp.get("startTimeUnixNano")), _time(sp.get("endTimeUnixNano"))
    if start is None or end is None:
        field_ = "startTimeUnixNano" if start is None else "endTimeUnixNano"
        raise ModelError([f"{at}: trace {tid} span {sid}: {field_}: {short(sp.get(field_))} is not "
                          "a time in nanoseconds (rule: OTLP JSON, a decimal string)"])
    attrs = {}
    try:
        for a in sp.get("attributes") or ():
            if isinstance(a, dict) and a.get("key") in wanted:
                if a["key"] in attrs:
                    raise ModelError([f"{at}: trace {tid} span {sid}: {a['key']}: the attribute "
                                      "appears twice (rule: attribute keys are unique within a "
                                      "span)"])
                attrs[a["key"]] = _value(a.get("value"))
    except TypeError:  # attributes not an array, or a key that is not a string
        raise ModelError([f"{at}: trace {tid} span {sid}: attributes: not an array of "
                          "{key, value} objects, or a key that is not a string (rule: OTLP "
                          "JSON KeyValue)"]) from None
    op = attrs.get(_OP_KEY)
    kind = _AGENT if op == AGENT_OP else _CHILD if op in CHILD_OPS else _OTHER
    if kind != _AGENT:
        return (tid, sid, parent, kind, start, end, None, None, None, None, None, None, lineno)
    return (tid, sid, parent, kind, start, end, attrs.get(_AGENT_KEY), attrs.get(m.obs_attr),
            attrs.get(m.reward_attr), attrs.get(m.latent_attr), attrs.get(m.successor_attr),
            attrs.get(m.duration_attr) if m.duration_attr else None, lineno)


# ---------------------------------------------------------------------------------------
# grouping by trace id in bounded memory
# ---------------------------------------------------------------------------------------

_BUCKETS = 32
_MAX_DEPTH = 4
_BATCH = 4096
_SPILLS = itertools.count()


def _grouped(records: Iterator[Any], buffer: int, tmp: Path, stats: OtelStats,
             depth: int = 0) -> Iterator[tuple[str, list]]:
    """``(trace id, its records)`` in order of first appearance; past ``buffer`` records,
    spilled into bucket files by CRC-32 of the trace id and each bucket grouped alone."""
    held: dict[str, list] = {}
    n = 0
    for rec in records:
        held.setdefault(rec[_TRACE], []).append(rec)
        n += 1
        if n > buffer and depth < _MAX_DEPTH:
            stats.spilled = True
            yield from _spill(held, records, buffer, tmp, stats, depth)
            return
    yield from held.items()


def _spill(held: dict, rest: Iterator[Any], buffer: int, tmp: Path, stats: OtelStats,
           depth: int) -> Iterator[tuple[str, list]]:
    # batches of records pickled into this run's own private temporary folder (never a file
    # from elsewhere), read back bucket by bucket
    salt = f"{depth}:".encode()
    paths = [tmp / f"d{depth}-{next(_SPILLS)}.bin" for _ in range(_BUCKETS)]
    files = [p.open("wb") for p in paths]
    batches: list[list] = [[] for _ in range(_BUCKETS)]
    try:
        def put(rec: Any) -> None:
            k = zlib.crc32(salt + rec[_TRACE].encode()) % _BUCKETS
            b = batches[k]
            b.append(rec)
            if len(b) >= _BATCH:
                pickle.dump(b, files[k], pickle.HIGHEST_PROTOCOL)
                b.clear()

        for recs in held.values():
            for rec in recs:
                put(rec)
        held.clear()
        for rec in rest:
            put(rec)
        for f, b in zip(files, batches, strict=True):
            if b:
                pickle.dump(b, f, pickle.HIGHEST_PROTOCOL)
    finally:
        for f in files:
            f.close()
    for p in paths:
        yield from _grouped(_unpickled(p), buffer, tmp, stats, depth + 1)
        p.unlink()


def _unpickled(path: Path) -> Iterator[Any]:
    with path.open("rb") as fh:
        while True:
            try:
                batch = pickle.load(fh)
            except EOFError:
                return
            yield from batch


# ---------------------------------------------------------------------------------------
# one trace → its handoff lines
# ---------------------------------------------------------------------------------------


def _label(v: Any) -> bool:
    return type(v) is str and v != ""


def _trace_lines(tid: str, recs: list, m: OtelMapping, where: str,
                 problems: _Problems) -> list[dict]:
    """The handoff lines of one trace, or ``[]`` with its problems added."""
    def bad(sid: str, rule: str) -> list:
        problems.add(f"{where}trace {tid} span {sid}: {rule}")
        return []

    spans: dict[str, Any] = {}
    for r in recs:
        if r[_SPAN] in spans:
            return bad(r[_SPAN], "duplicate span id (rule: span ids are unique within a trace)")
        spans[r[_SPAN]] = r
        if r[_END] < r[_START]:
            return bad(r[_SPAN], f"clock skew: ends at {r[_END]} ns before it starts at "
                       f"{r[_START]} ns (rule: endTimeUnixNano >= startTimeUnixNano)")
    agents = sorted((r for r in recs if r[_KIND] == _AGENT), key=lambda r: (r[_START], r[_END],
                                                                            r[_SPAN]))
    for r in agents:
        sid = r[_SPAN]
        if not _label(r[_NAME]):
            return bad(sid, f"{_AGENT_KEY}: missing or not a non-empty string (rule: every "
                       f"{AGENT_OP} span names its agent)")
        if not _label(r[_OBS]):
            return bad(sid, f"{m.obs_attr}: missing or not a non-empty string (rule: the "
                       "observation label, --obs-attr)")
        rew = r[_REW]
        if type(rew) not in (int, float) or not math.isfinite(rew):
            what = "missing" if rew is None else f"{short(rew)} is not a finite number"
            return bad(sid, f"{m.reward_attr}: {what} (rule: the reward, --reward-attr, a "
                       "double or int attribute)")
        if (r[_LAT] is None) != (agents[0][_LAT] is None) or not (
                r[_LAT] is None or _label(r[_LAT])):
            return bad(sid, f"{m.latent_attr}: on some invocations of the trace and not on "
                       "others, or not a non-empty string (rule: the latent label is given on "
                       "every invocation or on none)")
    for a, b in zip(agents, agents[1:], strict=False):
        if b[_START] < a[_END]:
            return bad(b[_SPAN], f"starts at {b[_START]} ns before the {AGENT_OP} span "
                       f"{a[_SPAN]} ends at {a[_END]} ns (rule: the invocations of a trace are "
                       "sequential; nested or parallel agents are not handoffs)")
    count = dict.fromkeys((r[_SPAN] for r in agents), 0)
    for r in recs:
        if r[_KIND] != _CHILD or r[_PARENT] is None:
            continue
        p, steps = r[_PARENT], 0
        while p is not None and steps <= len(spans):
            q = spans.get(p)
            if q is None:
                return bad(r[_SPAN], f"parent span {p} is absent from the trace (rule: a "
                           f"{'/'.join(CHILD_OPS)} span's {AGENT_OP} ancestor must be exported "
                           "with it)")
            if q[_KIND] == _AGENT:
                if r[_START] < q[_START] or r[_END] > q[_END]:
                    return bad(r[_SPAN], f"clock skew: [{r[_START]}, {r[_END]}] ns lies outside "
                               f"its {AGENT_OP} span {p} [{q[_START]}, {q[_END]}] ns (rule: a "
                               "child span runs within its parent)")
                count[p] += 1
                break
            p, steps = q[_PARENT], steps + 1
        if p is not None and q[_KIND] != _AGENT:
            return bad(r[_SPAN], "its chain of parent spans loops (rule: spans form a tree)")
    out = []
    for t, r in enumerate(agents):
        sid, nxt = r[_SPAN], agents[t + 1] if t + 1 < len(agents) else None
        succ = r[_SUCC]
        if succ is not None and not _label(succ):
            return bad(sid, f"{m.successor_attr}: {short(succ)} is not a non-empty string")
        if succ is None:
            succ = END if nxt is None else nxt[_NAME]
        elif nxt is not None and succ != nxt[_NAME]:
            return bad(sid, f"{m.successor_attr}: {succ!r} differs from the agent of the next "
                       f"invocation, {nxt[_NAME]!r} (span {nxt[_SPAN]})")
        if m.duration_attr:
            dur = r[_DUR]
            if type(dur) is not int or dur < 1:
                what = "missing" if dur is None else f"{short(dur)} is not an integer >= 1"
                return bad(sid, f"{m.duration_attr}: {what} (rule: the duration, "
                           "--duration-attr)")
        else:
            dur = max(1, count[sid])
        d = {"episode": tid, "t": t, "agent": r[_NAME], "obs": r[_OBS], "successor": succ,
             "duration": dur, "reward": r[_REW],
             "next_agent": None if nxt is None else nxt[_NAME],
             "next_obs": None if nxt is None else nxt[_OBS]}
        if r[_LAT] is not None:
            d["latent"] = r[_LAT]
            d["next_latent"] = None if nxt is None else nxt[_LAT]
        rule = check_line(d)
        if rule is not None:
            return bad(sid, f"{rule[0]}: {rule[1]} (rule of icq-trace/1, docs/traces.md)")
        out.append(d)
    return out


def otel_lines(requests: Iterable[Any], mapping: OtelMapping = OtelMapping(), *,
               where: str = "", stats: OtelStats | None = None) -> Iterator[dict]:
    """The ``icq-trace/1`` lines (dicts) of decoded OTLP requests (or ``(line number,
    request)`` pairs from :func:`read_requests`), trace by trace.

    Raises
    ------
    ModelError
        After the last line, if any rule was broken (up to :data:`MAX_PROBLEMS` problems, each
        naming the trace and span ids, or the line, and the rule); structural problems of a
        request at once.
    """
    stats = stats if stats is not None else OtelStats()
    pairs = ((x if isinstance(x, tuple) else (i, x)) for i, x in enumerate(requests, 1))
    problems = _Problems()
    latent: bool | None = None  # whether the traces converted so far carry the latent label
    with tempfile.TemporaryDirectory(prefix="icq-otel-") as tmp:
        for tid, recs in _grouped(_records(pairs, mapping, stats, where), mapping.buffer,
                                  Path(tmp), stats):
            lines = _trace_lines(tid, recs, mapping, where, problems)
            if lines:
                has = "latent" in lines[0]
                if latent is not None and latent != has:
                    problems.add(f"{where}trace {tid} span {recs[0][_SPAN]}: "
                                 f"{mapping.latent_attr}: given in some traces and not in others "
                                 "(rule: the latent label is given on every line or on none)")
                    continue
                latent = has
                stats.traces += 1
            if not problems.items:
                stats.handoffs += len(lines)
                yield from lines
    if problems.items:
        problems.raise_()
    if stats.handoffs == 0:
        raise ModelError([f"{where}no {AGENT_OP} span among {stats.spans} spans (rule: agent "
                          f"invocations carry {_OP_KEY} = {AGENT_OP!r}); nothing to convert"])


def convert_otel(spans: str | Path, output: str | Path,
                 mapping: OtelMapping = OtelMapping()) -> OtelStats:
    """Convert an OTLP JSON file to an ``icq-trace/1`` file, atomically: on any problem a
    :class:`~icq.reference.model.ModelError` is raised and ``output`` is left untouched."""
    stats = OtelStats()
    lines = otel_lines(read_requests(spans), mapping, where=f"{_input_name(spans)}: ",
                       stats=stats)
    # the records are acyclic: the cyclic collector only rescans them (about half the time on
    # large files, benchmarks/bench_otel.py); it is restored before returning
    enabled = gc.isenabled()
    gc.disable()
    try:
        write_traces(output, lines)
    finally:
        if enabled:
            gc.enable()
    return stats


def _attr(key: str, v: Any) -> dict:
    if isinstance(v, str):
        return {"key": key, "value": {"stringValue": v}}
    if isinstance(v, int):
        return {"key": key, "value": {"intValue": str(v)}}
    return {"key": key, "value": {"doubleValue": v}}


def otlp_requests(lines: Iterable[dict], mapping: OtelMapping = OtelMapping(), *,
                  per_request: int = 100) -> Iterator[dict]:
    """The inverse mapping, for tests and benchmarks: OTLP JSON requests whose conversion gives
    back ``lines`` (``icq-trace/1`` dicts, the lines of an episode consecutive and in order).

    Each line becomes an ``invoke_agent`` span with ``duration`` child ``chat`` spans (one time
    unit each), under one root span per episode; the successor attribute is written only where
    the episode ends on a handoff to an agent. Trace ids are hex of the episode's SHA-256
    prefix, so distinct episodes get distinct traces.
    """
    spans: list[dict] = []
    counter = 0

    def span(tid: str, parent: str | None, start: int, end: int, attrs: list) -> str:
        nonlocal counter
        counter += 1
        sid = f"{counter:016x}"
        d = {"traceId": tid, "spanId": sid, "name": "span", "kind": 1,
             "startTimeUnixNano": str(start), "endTimeUnixNano": str(end), "attributes": attrs}
        if parent:
            d["parentSpanId"] = parent
        spans.append(d)
        return sid

    def flush() -> Iterator[dict]:
        while len(spans) >= per_request:
            yield {"resourceSpans": [{"resource": {"attributes": []}, "scopeSpans": [
                {"scope": {"name": "icq"}, "spans": spans[:per_request]}]}]}
            del spans[:per_request]

    def episode(ep: list[dict]) -> None:
        tid = hashlib.sha256(str(ep[0]["episode"]).encode()).hexdigest()[:32]
        clock = 10
        root = span(tid, None, clock, clock + 2 * sum(d["duration"] + 1 for d in ep) + 2,
                    [_attr("gen_ai.operation.name", "invoke_workflow")])
        for d in ep:
            attrs = [_attr(_OP_KEY, AGENT_OP), _attr(_AGENT_KEY, d["agent"]),
                     _attr(mapping.obs_attr, d["obs"]), _attr(mapping.reward_attr, d["reward"])]
            if "latent" in d:
                attrs.append(_attr(mapping.latent_attr, d["latent"]))
            if d["next_agent"] is None and d["successor"] != END:
                attrs.append(_attr(mapping.successor_attr, d["successor"]))
            start, clock = clock + 1, clock + 1 + d["duration"] + 1
            sid = span(tid, root, start, clock, attrs)
            for k in range(d["duration"]):
                span(tid, sid, start + k, start + k + 1, [_attr(_OP_KEY, CHILD_OPS[0])])

    ep: list[dict] = []
    for d in lines:
        if ep and (d["episode"] != ep[0]["episode"] or d["t"] == 0):
            episode(ep)
            ep = []
            yield from flush()
        ep.append(d)
    if ep:
        episode(ep)
    yield from flush()
    if spans:
        yield {"resourceSpans": [{"scopeSpans": [{"spans": spans[:]}]}]}
