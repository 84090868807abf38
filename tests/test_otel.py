"""``icq traces from-otel``: OTLP JSON spans (GenAI conventions) to ``icq-trace/1``
(docs/traces.md, "From OpenTelemetry spans")."""

from __future__ import annotations

import base64
import io
import json

import pytest

from icq.cli import main
from icq.reference.learners.traces import fit_lines, read_traces, simulate_traces
from icq.reference.learners.traces.otel import OtelMapping, OtelStats, otel_lines, otlp_requests
from icq.reference.model import ModelError, example_path, load

TID = "0af7651916cd43dd8448eb211c80319c"


def attr(key, v):
    kind = {str: "stringValue", int: "intValue", float: "doubleValue", bool: "boolValue"}[type(v)]
    return {"key": key, "value": {kind: str(v) if kind == "intValue" else v}}


def span(sid, start, end, parent=None, op=None, tid=TID, attrs=()):
    a = [attr("gen_ai.operation.name", op)] if op else []
    a += [attr(k, v) for k, v in dict(attrs).items()]
    d = {"traceId": tid, "spanId": sid, "startTimeUnixNano": str(start),
         "endTimeUnixNano": str(end), "attributes": a}
    if parent:
        d["parentSpanId"] = parent
    return d


def agent(sid, start, end, name, obs, reward, parent="00000000000000f0", extra=()):
    kw = {"icq.obs": obs, "icq.reward": reward, **dict(extra)}
    if name is not None:
        kw["gen_ai.agent.name"] = name
    return span(sid, start, end, parent, "invoke_agent", attrs=kw)


def good_trace():
    """root → planner (2 chat, 1 tool under a chain span) → coder (no child) → END."""
    return [
        span("00000000000000f0", 0, 100),
        agent("0000000000000001", 1, 40, "planner", "task", 0.5),
        span("0000000000000011", 2, 5, "0000000000000001", "chat"),
        span("0000000000000012", 5, 9, "0000000000000001", "chat"),
        span("0000000000000013", 10, 30, "0000000000000001"),  # a chain span
        span("0000000000000014", 11, 12, "0000000000000013", "execute_tool"),
        agent("0000000000000002", 50, 90, "coder", "plan", 2),
    ]


def write(path, spans, per_line=3):
    with open(path, "w") as fh:
        for i in range(0, len(spans), per_line):
            req = {"resourceSpans": [{"scopeSpans": [{"spans": spans[i:i + per_line]}]}]}
            fh.write(json.dumps(req) + "\n")


def convert(tmp_path, spans, *extra):
    src, out = tmp_path / "spans.jsonl", tmp_path / "traces.jsonl"
    write(src, spans)
    rc = main(["traces", "from-otel", str(src), "-o", str(out), *extra])
    return rc, out


def test_mapping_of_one_trace(tmp_path):
    rc, out = convert(tmp_path, good_trace())
    assert rc == 0
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert lines == [
        {"episode": TID, "t": 0, "agent": "planner", "obs": "task", "successor": "coder",
         "duration": 3, "reward": 0.5, "next_agent": "coder", "next_obs": "plan"},
        {"episode": TID, "t": 1, "agent": "coder", "obs": "plan", "successor": "END",
         "duration": 1, "reward": 2, "next_agent": None, "next_obs": None}]
    assert len(list(read_traces(out))) == 2


def test_successor_and_duration_attributes(tmp_path):
    spans = good_trace()
    spans[-1] = agent("0000000000000002", 50, 90, "coder", "plan", 2.0,
                      extra={"icq.successor": "tester", "my.steps": 7})
    spans[1]["attributes"].append(attr("my.steps", 4))
    rc, out = convert(tmp_path, spans, "--duration-attr", "my.steps")
    assert rc == 0
    last = json.loads(out.read_text().splitlines()[-1])
    assert (last["successor"], last["next_agent"], last["duration"]) == ("tester", None, 7)
    assert json.loads(out.read_text().splitlines()[0])["duration"] == 4


def test_a_json_array_of_requests_and_base64_ids(tmp_path):
    spans = good_trace()
    for s in spans:  # the protobuf JSON mapping writes bytes as base64
        s["traceId"] = base64.b64encode(bytes.fromhex(s["traceId"])).decode()
        s["spanId"] = base64.b64encode(bytes.fromhex(s["spanId"])).decode()
    src, out = tmp_path / "spans.json", tmp_path / "t.jsonl"
    src.write_text(json.dumps([{"resourceSpans": [{"scopeSpans": [{"spans": spans[:4]}]}]},
                               {"resourceSpans": [{"scopeSpans": [{"spans": spans[4:]}]}]}]))
    assert main(["traces", "from-otel", str(src), "-o", str(out)]) == 0
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert [d["episode"] for d in lines] == [TID, TID]
    assert [d["duration"] for d in lines] == [3, 1]


# (how to break the good trace, what the message must name)
MALFORMED = [
    ("missing agent name", lambda s: s.__setitem__(
        1, agent("0000000000000001", 1, 40, None, "task", 0.5)),
     ["0000000000000001", "gen_ai.agent.name"]),
    ("child without its parent", lambda s: s.pop(4), ["0000000000000014", "absent"]),
    ("end before start", lambda s: s.__setitem__(2, span("0000000000000011", 6, 5,
                                                          "0000000000000001", "chat")),
     ["0000000000000011", "clock skew"]),
    ("child outside its parent", lambda s: s.__setitem__(2, span(
        "0000000000000011", 2, 45, "0000000000000001", "chat")),
     ["0000000000000011", "clock skew", "outside"]),
    ("parent chain loops", lambda s: s.__setitem__(4, span("0000000000000013", 10, 30,
                                                            "0000000000000014")),
     ["0000000000000014", "loops"]),
    ("duplicate span id", lambda s: s.append(span("0000000000000012", 60, 61,
                                                  "0000000000000002", "chat")),
     ["0000000000000012", "duplicate"]),
    ("non-numeric reward", lambda s: s.__setitem__(
        6, agent("0000000000000002", 50, 90, "coder", "plan", "high")), ["icq.reward"]),
    ("overlapping invocations", lambda s: s.__setitem__(
        6, agent("0000000000000002", 30, 90, "coder", "plan", 1.0)), ["sequential"]),
    ("agent hands off to itself", lambda s: s.__setitem__(
        6, agent("0000000000000002", 50, 90, "planner", "plan", 1.0)), ["successor"]),
    ("successor attribute disagrees", lambda s: s[1]["attributes"].append(
        attr("icq.successor", "tester")), ["icq.successor", "coder"]),
    ("reward given twice", lambda s: s[6]["attributes"].append(attr("icq.reward", 3.0)),
     ["0000000000000002", "icq.reward", "appears twice"]),
    ("reward intValue not an integer", lambda s: s[6]["attributes"][2]["value"].update(
        intValue="--5"), ["0000000000000002", "icq.reward", "not an integer"]),
    ("reward intValue beyond int()", lambda s: s[6]["attributes"][2]["value"].update(
        intValue="9" * 5000), ["0000000000000002", "icq.reward", "not an integer"]),
    ("attributes not an array", lambda s: s[6].update(attributes=5),
     ["0000000000000002", "attributes"]),
    ("attribute key not a string", lambda s: s[6]["attributes"].append(
        {"key": ["icq.obs"], "value": {"stringValue": "x"}}), ["0000000000000002", "attributes"]),
]


@pytest.mark.parametrize("name,breaks,names", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_spans_exit_2_naming_trace_span_and_rule(tmp_path, capsys, name, breaks,
                                                           names):
    out = tmp_path / "traces.jsonl"
    out.write_text("previous content\n")
    spans = good_trace()
    breaks(spans)
    rc, _ = convert(tmp_path, spans)
    err = capsys.readouterr().err
    assert rc == 2, name
    assert all(n in err for n in names), err
    assert f"trace {TID}" in err or "line" in err
    assert out.read_text() == "previous content\n"  # nothing written
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".traces")]


def test_negative_control_the_good_trace_passes_every_check(tmp_path):
    assert convert(tmp_path, good_trace())[0] == 0


@pytest.mark.parametrize("text,names", [
    ("\n", ["no invoke_agent span among 0 spans"]),
    (json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [
        span("0000000000000001", 0, 1, op="chat")]}]}]}) + "\n",
     ["no invoke_agent span among 1 spans"]),
    ('{"resourceSpans": 3}\n', ["line 1", "resourceSpans"]),
    ('{"resourceSpans": [\n', ["line 1", "not valid JSON"]),
    (json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [
        dict(span("01", 0, 1))]}]}]}) + "\n", ["spanId", "8 bytes"]),
    (json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [
        dict(span("0000000000000001", 0, 1), startTimeUnixNano="soon")]}]}]}) + "\n",
     ["startTimeUnixNano"]),
    # digits that int() refuses: isdigit but not decimal, more than 4,300 of them
    (json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [
        dict(span("0000000000000001", 0, 1), startTimeUnixNano="\u00b2")]}]}]}) + "\n",
     ["startTimeUnixNano"]),
    (json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [
        dict(span("0000000000000001", 0, 1), endTimeUnixNano="9" * 5000)]}]}]}) + "\n",
     ["endTimeUnixNano"]),
    (json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [
        dict(span("0000000000000001", 0, 1), traceId="01 02 " + "03" * 13)]}]}]}) + "\n",
     ["traceId", "16 bytes"]),
])
def test_malformed_requests_exit_2(tmp_path, capsys, text, names):
    src, out = tmp_path / "s.jsonl", tmp_path / "t.jsonl"
    src.write_text(text)
    assert main(["traces", "from-otel", str(src), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert all(n in err for n in names), err
    assert not out.exists()


def model_law(m):
    """The fitted model by names, independent of state order: ν₀, π_b and, per (state,
    successor), ``(next state, τ) → (probability, reward)``."""
    ids = m.state_ids
    law = {"gamma": m.gamma, "initial": {ids[y]: p for y, p in enumerate(m.initial) if p},
           "behavior": {k: m.behavior[i] for k, i in m.obs_pair_index.items()}}
    for k in range(m.n_pairs):
        y, j = int(m.pair_state[k]), int(m.pair_succ[k])
        law[(ids[y], m.successor_name(j))] = {
            ("END" if m.out_next[x] < 0 else ids[m.out_next[x]], int(m.out_dur[x])):
                (float(m.out_prob[x]), pytest.approx(float(m.out_rew[x]), rel=1e-12))
            for x in range(m.out_ptr[k], m.out_ptr[k + 1])}
    return law


def _strip(d):
    return {k: v for k, v in d.items() if k not in ("episode", "behavior_prob")}


@pytest.mark.parametrize("buffer", [10**6, 50, 3])
def test_round_trip_and_the_fit_is_unchanged(buffer):
    """Lines → spans → lines is the identity (up to episode ids), in memory and spilled to
    disk; so the fitted model is the one of the original lines."""
    m = load(example_path("planner-coder-tester-reviewer"))
    lines = list(simulate_traces(m, episodes=120, seed=3))
    stats = OtelStats()
    back = list(otel_lines(otlp_requests(lines, per_request=7), OtelMapping(buffer=buffer),
                           stats=stats))
    assert stats.spilled == (buffer < 10**6)
    key = sorted(json.dumps(_strip(d), sort_keys=True) for d in lines)
    assert sorted(json.dumps(_strip(d), sort_keys=True) for d in back) == key
    a, b = fit_lines(lines, gamma=m.gamma), fit_lines(back, gamma=m.gamma)
    assert model_law(a.model) == model_law(b.model)
    assert model_law(a.model) != model_law(fit_lines(lines[:-20], gamma=m.gamma).model)


def test_latent_labels_on_some_traces_only_is_refused():
    m = load(example_path("planner-coder-tester-reviewer"))
    lines = list(simulate_traces(m, episodes=10, seed=3))
    for d in lines[:3]:
        d.pop("latent", None)
        d.pop("next_latent", None)
    with pytest.raises(ModelError, match="latent"):
        list(otel_lines(otlp_requests(lines)))


def test_json_summary_and_usage_errors(tmp_path, capsys):
    src, out = tmp_path / "spans.jsonl", tmp_path / "t.jsonl"
    write(src, good_trace())
    assert main(["traces", "from-otel", str(src), "-o", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["spans"], summary["traces"], summary["handoffs"]) == (7, 1, 2)
    assert main(["traces", "from-otel", str(src), "-o", str(out), "--buffer", "0"]) == 2
    assert "--buffer" in capsys.readouterr().err
    assert main(["traces", "from-otel", str(tmp_path / "absent.jsonl"), "-o", str(out)]) == 2
    assert "cannot read" in capsys.readouterr().err


@pytest.mark.parametrize("array", [False, True])
def test_standard_input(tmp_path, monkeypatch, array):
    src, out = tmp_path / "spans.jsonl", tmp_path / "t.jsonl"
    write(src, good_trace())
    data = src.read_bytes()
    if array:
        data = b"[" + b",".join(data.splitlines()) + b"]"
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BufferedReader(io.BytesIO(data))))
    assert main(["traces", "from-otel", "-", "-o", str(out)]) == 0
    assert [json.loads(x)["agent"] for x in out.read_text().splitlines()] == ["planner", "coder"]


def test_a_huge_bad_value_is_shown_shortened(tmp_path, capsys):
    """A 5,000-digit time is refused naming the field, with the value cut to a readable length
    (as the trace-line rules show values), not echoed whole."""
    src, out = tmp_path / "s.jsonl", tmp_path / "t.jsonl"
    req = {"resourceSpans": [{"scopeSpans": [{"spans": [
        dict(span("0000000000000001", 0, 1), endTimeUnixNano="7" * 5000)]}]}]}
    src.write_text(json.dumps(req) + "\n")
    assert main(["traces", "from-otel", str(src), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "endTimeUnixNano" in err and "..." in err and len(err) < 400, err[:500]
    assert not out.exists()
