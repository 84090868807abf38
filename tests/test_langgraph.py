"""The LangGraph integration against the real libraries (LangGraph, LangChain's fake chat model
and tools, the OpenTelemetry SDK and its OTLP encoder; no mocks): the bundled example graph
recorded two ways (the recorder; OpenTelemetry spans → ``icq traces from-otel``) fits to the
maximum-likelihood model of its handoffs, the IC-Q router learns within the residual certificate
and, frozen, routes greedily; only (V, τ, R) cross an agent boundary (docs/langgraph.md)."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import fields, replace
from pathlib import Path

import numpy as np
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from icq.bounds.residual import residual_certificate
from icq.cli import main
from icq.integrations.example_graph import ExampleState, ExampleWorld
from icq.integrations.langgraph import IcqRouter, record_traces
from icq.integrations.otlp import write_otlp_json
from icq.reference.exact.induced import ais_model
from icq.reference.exact.solve import solve
from icq.reference.learners.checkpoint import CheckpointError
from icq.reference.learners.ray_runtime import Message
from icq.reference.learners.runtime import Handoff
from icq.reference.learners.tabular import TrainConfig, train_tabular
from icq.reference.learners.traces import fit_lines, read_traces
from icq.reference.model import END, example_path, load
from icq.reference.model.generate import random_model


def tracer_and_exporter():
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider.get_tracer("icq-test"), exporter


def record_example(episodes, seed=1, tracer=None, model=None, config=None, record=None):
    world = ExampleWorld(model, seed=seed, tracer=tracer)
    router = IcqRouter(world.model, world.hooks(), config=config, record=record)
    lines = record_traces(world.graph(router), episodes, world.start, world.hooks(),
                          successor=router.successor, around=world.episode_span)
    return world, router, lines


def ml_law(lines):
    """The maximum-likelihood law of the recorded handoffs, counted here from the lines:
    (latent, successor) → (next latent or END, τ) → (n/N, mean reward)."""
    n, r = defaultdict(Counter), defaultdict(lambda: defaultdict(list))
    for d in lines:
        cell = (d["next_latent"] if d["next_agent"] is not None else "END", d["duration"])
        n[(d["latent"], d["successor"])][cell] += 1
        r[(d["latent"], d["successor"])][cell].append(d["reward"])
    return {pair: {cell: (c / sum(cs.values()), pytest.approx(float(np.mean(r[pair][cell])),
                                                                rel=1e-12, abs=1e-15))
                   for cell, c in cs.items()} for pair, cs in n.items()}


def fitted_law(m):
    """The same law read from a fitted model (only pairs fitted from data)."""
    ids = m.state_ids
    return {(ids[int(m.pair_state[k])], m.successor_name(int(m.pair_succ[k]))): {
        ("END" if m.out_next[x] < 0 else ids[m.out_next[x]], int(m.out_dur[x])):
            (float(m.out_prob[x]), float(m.out_rew[x]))
        for x in range(m.out_ptr[k], m.out_ptr[k + 1])} for k in range(m.n_pairs)}


def test_otel_spans_and_the_recorder_fit_the_ml_model_of_the_handoffs(tmp_path, capsys):
    tracer, exporter = tracer_and_exporter()
    world, router, lines = record_example(60, tracer=tracer)
    # the durations are counted from real LangChain callbacks and vary: counting matters
    assert len({d["duration"] for d in lines}) > 2
    spans = exporter.get_finished_spans()
    assert {s.attributes.get("gen_ai.operation.name") for s in spans} == {
        "invoke_workflow", "invoke_agent", "chat", "execute_tool"}
    src, otel_traces = tmp_path / "spans.jsonl", tmp_path / "otel.jsonl"
    write_otlp_json(src, spans, per_request=97)
    rec_traces = tmp_path / "recorded.jsonl"
    rec_traces.write_text("".join(json.dumps(d) + "\n" for d in lines))
    assert main(["traces", "from-otel", str(src), "-o", str(otel_traces)]) == 0
    for t in (otel_traces, rec_traces):
        assert main(["fit", str(t), "-o", str(t.with_suffix(".model.json")), "--gamma",
                     str(world.model.gamma), "--min-count", "1"]) == 0
    capsys.readouterr()
    otel_model = load(otel_traces.with_suffix(".model.json"))
    rec_model = load(rec_traces.with_suffix(".model.json"))
    ml = ml_law(lines)
    seen = {k: v for k, v in fitted_law(otel_model).items() if k in ml}
    assert seen == ml and len(seen) == len(ml)
    assert {k: v for k, v in fitted_law(rec_model).items() if k in ml} == ml
    # the same lines up to the trace ids, in the same order of handoffs within an episode
    otel_lines = [dict(line._asdict(), episode=None) for line in read_traces(otel_traces)]
    rec_lines = [dict(line._asdict(), episode=None) for line in read_traces(rec_traces)]
    assert sorted(map(repr, otel_lines)) == sorted(map(repr, rec_lines))
    # negative control: the law of fewer episodes is not the law of these
    assert ml_law(lines[: len(lines) // 2]) != ml


def test_three_commands_from_spans_to_an_audit_and_a_budget(tmp_path, capsys):
    tracer, exporter = tracer_and_exporter()
    record_example(40, tracer=tracer, seed=5)
    src = tmp_path / "spans.jsonl"
    write_otlp_json(src, exporter.get_finished_spans())
    t, mdl = tmp_path / "traces.jsonl", tmp_path / "model.json"
    assert main(["traces", "from-otel", str(src), "-o", str(t)]) == 0
    assert main(["fit", str(t), "-o", str(mdl), "--gamma", "0.95"]) == 0
    capsys.readouterr()
    assert main(["audit", str(mdl), "--json"]) == 0
    audit = json.loads(capsys.readouterr().out)
    assert isinstance(audit["ais_gap"], float) and "theorem1" in audit
    # the latent labels of the spans made the generating model's states identifiable
    assert set(load(mdl).state_ids) <= set(load(example_path(
        "planner-coder-tester-reviewer")).state_ids)
    assert main(["budget", str(mdl), "--target", "0.3", "--seeds", "4", "--quantile", "0.5",
                 "--confidence", "0.9", "--horizon", "10000", "--json"]) == 0
    mc = json.loads(capsys.readouterr().out)["methods"][0]
    assert mc["method"] == "Monte-Carlo certificate" and mc["status"] == "ok"
    assert 0 < mc["handoffs"] <= 10_000


def test_sdk_spans_with_an_invocation_dropped_exit_2(tmp_path, capsys):
    tracer, exporter = tracer_and_exporter()
    record_example(5, tracer=tracer)
    spans = exporter.get_finished_spans()
    agent = next(s for s in spans if s.attributes.get("gen_ai.operation.name") == "invoke_agent")
    src, out = tmp_path / "spans.jsonl", tmp_path / "t.jsonl"
    write_otlp_json(src, [s for s in spans if s is not agent])
    assert main(["traces", "from-otel", str(src), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"parent span {agent.context.span_id:016x} is absent" in err
    assert f"trace {agent.context.trace_id:032x}" in err and not out.exists()


def boundary_violations(model, record, lines):
    """Every rule of the agent boundary a recorded routing run breaks (as in the Ray runtime):
    an agent receives only its own observation labels, admissible successors, and at a handoff
    exactly Handoff(V, τ, R) with V the successor's own reply (0 at an episode end) and (τ, R)
    the invocation's."""
    own = defaultdict(dict)
    for (a, o, j), _ in model.obs_pair_index.items():
        own[a].setdefault(o, set()).add(j)
    bad, last_value, handoffs = [], None, iter(lines)
    for k, msg in enumerate(record):
        where = f"message {k} to {msg.target} ({msg.method})"
        if msg.method not in ("choose", "greedy", "value", "learn"):
            bad.append(f"{where}: not an agent method")
            continue
        label = msg.args[0]
        if not isinstance(label, str) or label not in own[msg.target]:
            bad.append(f"{where}: {label!r} is not one of its own observation labels")
            continue
        if msg.method == "value":
            last_value = msg.reply
        if msg.method != "learn":
            continue
        h, line = msg.args[2], next(handoffs)
        if type(h) is not Handoff or [f.name for f in fields(h)] != ["value", "duration",
                                                                      "reward"]:
            bad.append(f"{where}: the handoff is not exactly (V_j(o'), τ, R)")
            continue
        expected = 0.0 if line["next_agent"] is None else last_value
        if (msg.target, label, msg.args[1]) != (line["agent"], line["obs"], line["successor"]) \
                or (h.value, h.duration, h.reward) != (expected, line["duration"],
                                                       line["reward"]):
            bad.append(f"{where}: not the successor's value and the invocation's (τ, R)")
    return bad


def test_only_value_duration_and_reward_cross_an_agent_boundary():
    record: list[Message] = []
    world, router, lines = record_example(30, record=record)
    assert sum(m.method == "learn" for m in record) == len(lines) == router.handoffs
    assert boundary_violations(world.model, record, lines) == []
    # negative controls: a tampered reward, and a foreign observation label, are caught
    k = next(i for i, m in enumerate(record) if m.method == "learn")
    h = record[k].args[2]
    tampered = [*record[:k], replace(record[k], args=(*record[k].args[:2], Handoff(
        h.value, h.duration, h.reward + 1.0))), *record[k + 1:]]
    assert any("(τ, R)" in v for v in boundary_violations(world.model, tampered, lines))
    leaked = [replace(record[0], args=("plan_easy",)), *record[1:]]
    assert any("own observation" in v for v in boundary_violations(world.model, leaked, lines))


def q_on(model, router_model, q):
    """``q`` (over ``router_model``'s observation pairs) in ``model``'s order, by names."""
    idx = model.obs_pair_index
    return np.array([q[router_model.obs_pair_index[k]] for k in sorted(idx, key=idx.get)])


def test_router_converges_to_the_fitted_q_hat_within_the_residual_certificate():
    m = load(example_path("ring-exact"))
    world, router, lines = record_example(300, seed=2, model=m)
    fit = fit_lines(lines, gamma=m.gamma)
    q = q_on(fit.model, m, router.q_vector())
    q_hat = solve(ais_model(fit.model).smdp).q
    cert = residual_certificate(fit.model, q)
    tol = 0.1 * np.abs(q_hat).max()
    assert np.abs(q - q_hat).max() <= cert.bound + 1e-12  # the certificate holds
    assert cert.bound <= tol  # and it is small: learned
    # negative control: the untrained table is far, and certified far
    assert residual_certificate(fit.model, np.zeros_like(q)).bound > tol


def test_frozen_router_routes_greedily_on_its_own_tables():
    m = load(example_path("author-reviewer-editor"))
    world, router, lines = record_example(200, seed=3, model=m)
    explored = Counter((d["agent"], d["obs"], d["successor"]) for d in lines)
    router.freeze()
    tables = router.tables()
    before = router.q_vector().copy()
    greedy = {(a, o): max(t, key=t.get) for a, ob in tables.items() for o, t in ob.items()}
    record: list[Message] = []
    router.record = record
    frozen = record_traces(world.graph(router), 100, world.start, world.hooks(),
                           successor=router.successor)
    assert all(d["successor"] == greedy[(d["agent"], d["obs"])] for d in frozen)
    assert {m.method for m in record} == {"greedy"}  # nothing learned, no value sent
    assert np.array_equal(router.q_vector(), before)
    assert router.policy() == {a: {o: greedy[(a, o)] for o in ob} for a, ob in tables.items()}
    # negative control: while learning, the router explored non-greedy successors
    assert any(greedy[(a, o)] != j for (a, o, j) in explored)


def test_command_nodes_route_like_conditional_edges():
    m = load(example_path("author-reviewer-editor"))
    runs = []
    for command in (False, True):
        world = ExampleWorld(m, seed=4)
        router = IcqRouter(m, world.hooks())
        lines = record_traces(world.graph(router, command=command), 40, world.start,
                              world.hooks(), successor=router.successor)
        runs.append((lines, router.q_vector()))
    assert runs[0][0] == runs[1][0] and np.array_equal(runs[0][1], runs[1][1])
    assert len(runs[0][0]) > 40 and np.abs(runs[0][1]).max() > 0


def test_tables_save_to_and_load_from_icq_train_checkpoints(tmp_path, capsys):
    m = load(example_path("author-reviewer-editor"))
    world, router, _ = record_example(50, seed=6, model=m)
    ck = tmp_path / "router.npz"
    router.save(ck)
    again = IcqRouter(m, world.hooks())
    again.load(ck)
    assert np.array_equal(again.q_vector(), router.q_vector())
    assert again.policy() == router.policy() and again.handoffs == router.handoffs
    # icq train continues from the router's tables
    mf = tmp_path / "model.json"
    mf.write_text(json.dumps(m.to_dict()))
    assert main(["train", str(mf), "--checkpoint", str(ck), "--resume", "--handoffs",
                 str(router.handoffs + 500), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["handoffs"] == router.handoffs + 500
    # and the router loads what icq train wrote
    res = train_tabular(m, TrainConfig(handoffs=3000, seed=1), checkpoint=tmp_path / "t.npz")
    loaded = IcqRouter(m, world.hooks(), config=TrainConfig(seed=1))
    loaded.load(tmp_path / "t.npz")
    assert np.array_equal(loaded.q_vector(), res.q)
    # and what the command line wrote with its default options
    assert main(["train", str(mf), "--handoffs", "2000", "--checkpoint",
                 str(tmp_path / "cli.npz"), "--json"]) == 0
    capsys.readouterr()
    cli = IcqRouter(m, world.hooks())
    cli.load(tmp_path / "cli.npz")
    assert cli.handoffs == 2000 and np.abs(cli.q_vector()).max() > 0
    # negative control: another configuration is refused, naming it
    with pytest.raises(CheckpointError, match="configuration"):
        IcqRouter(m, world.hooks(), config=TrainConfig(seed=2)).load(tmp_path / "t.npz")


def test_hooks_duration_overrides_the_call_count():
    m = load(example_path("ring-exact"))
    world = ExampleWorld(m, seed=7)
    hooks = replace(world.hooks(), duration=lambda a, before, after, calls: calls + 10)
    router = IcqRouter(m, hooks)
    lines = record_traces(world.graph(router), 5, world.start, hooks,
                          successor=router.successor)
    assert all(d["duration"] > 10 for d in lines)
    plain = record_traces(world.graph(IcqRouter(m, world.hooks())), 5, world.start,
                          world.hooks())
    assert all(d["duration"] <= m.T_max for d in plain)


def test_the_example_in_docs_langgraph_md_runs(tmp_path, monkeypatch, capsys):
    text = (Path(__file__).resolve().parents[1] / "docs" / "langgraph.md").read_text()
    block = text.split("## The bundled example")[1].split("```python")[1].split("```")[0]
    monkeypatch.chdir(tmp_path)
    exec(compile(block, "docs/langgraph.md", "exec"), {})
    assert main(["traces", "from-otel", "spans.jsonl", "-o", "traces.jsonl"]) == 0
    strip = [{k: v for k, v in d._asdict().items() if k != "episode"}
             for d in read_traces("traces.jsonl")]
    recorded = [{k: v for k, v in d._asdict().items() if k != "episode"}
                for d in read_traces("recorded.jsonl")]
    assert sorted(map(repr, strip)) == sorted(map(repr, recorded)) and len(recorded) > 20


def test_episodes_ending_during_a_handoff_to_an_agent_survive_the_span_path(tmp_path):
    """A model whose episodes may end on a handoff to an agent ("next": null): the spans carry
    icq.successor on that invocation, and from-otel gives the recorder's lines back."""
    m = random_model(6, n_agents=3, successors=2, outcomes=2, duration="uniform",
                     max_duration=3, gamma=0.9, p_terminal=0.2, seed=0)
    tracer, exporter = tracer_and_exporter()
    _, _, lines = record_example(40, seed=8, tracer=tracer, model=m)
    cut = [d for d in lines if d["successor"] != END and d["next_agent"] is None]
    assert cut  # the case is exercised
    src, out = tmp_path / "spans.jsonl", tmp_path / "t.jsonl"
    write_otlp_json(src, exporter.get_finished_spans())
    assert main(["traces", "from-otel", str(src), "-o", str(out)]) == 0
    back = [{k: v for k, v in d._asdict().items() if k != "episode"} for d in read_traces(out)]
    mine = [{k: v for k, v in d._asdict().items() if k != "episode"}
            for d in read_traces(_written(tmp_path / "r.jsonl", lines))]
    assert sorted(map(repr, back)) == sorted(map(repr, mine))
    # negative control: without the successor attribute those lines would end in END
    assert main(["traces", "from-otel", str(src), "-o", str(tmp_path / "x.jsonl"),
                 "--successor-attr", "absent.attr"]) == 0
    assert sum(d.successor == END for d in read_traces(tmp_path / "x.jsonl")) == \
        sum(d["successor"] == END for d in lines) + len(cut)


def _written(path, lines):
    path.write_text("".join(json.dumps(d) + "\n" for d in lines))
    return path


def test_nodes_that_take_langgraph_config_receive_it():
    m = load(example_path("ring-exact"))
    world = ExampleWorld(m, seed=1)
    seen = []

    def with_config(agent):
        stand_in = world.node(agent)

        def node(state, config):
            seen.append(config["configurable"]["tag"])
            return stand_in(state)
        return node

    router = IcqRouter(m, world.hooks())
    # the example's graph, built by hand with nodes that take config
    from langgraph.graph import END as GRAPH_END
    from langgraph.graph import START, StateGraph

    g = StateGraph(ExampleState)
    for a in m.agents:
        g.add_node(a, router.node(a, with_config(a)))
        g.add_conditional_edges(a, router.edge, [b for b in m.agents if b != a] + [GRAPH_END])
    g.add_conditional_edges(START, lambda s: m.agents[m.state_agent[
        m.state_ids.index(s["y"])]], list(m.agents))
    lines = record_traces(g.compile(), 3, world.start, world.hooks(),
                          successor=router.successor, config={"configurable": {"tag": "t"}})
    assert len(seen) == len(lines) > 0 and set(seen) == {"t"}
