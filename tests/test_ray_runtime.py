"""The decentralized runtime on Ray (docs/theory.md §2) and ``icq reproduce --backend ray``.

One local Ray instance (``ray.init(num_cpus=2)``) for the whole module, shut down at its end.
Each agent and the world run in actors of their own; what crosses is recorded and inspected:
an agent receives only its own observation labels, successor names and, at a handoff, exactly
the three numbers ``(V_j(o'), τ, R)``. On the same random streams the Ray run reproduces the
local run bit for bit, and ``icq reproduce`` gives the same results on Ray as in process.
"""

from __future__ import annotations

import json
from dataclasses import fields

import pytest
import ray

from icq.cli import main
from icq.experiments.routing import settings
from icq.property_tests.properties import LatentLeakWorld
from icq.reference.common.rng import Xoshiro
from icq.reference.learners.ray_runtime import Message, run_ray, tabular_actors
from icq.reference.learners.runtime import Handoff, run
from icq.reference.learners.tabular import TrainConfig
from icq.reference.learners.worlds import admissible_successors
from icq.reference.model import END, example_path, load


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    ray.init(num_cpus=2, log_to_driver=False, include_dashboard=False)
    yield
    ray.shutdown()


def message_violations(model, record: list[Message]) -> list[str]:
    """Every rule of the actor boundary that a recorded run breaks (empty: none)."""
    views, bad = admissible_successors(model), []
    last_value: dict[str, float] = {}
    last_invoke = None
    for k, msg in enumerate(record):
        where = f"message {k} to {msg.target} ({msg.method})"
        if msg.target == "world":
            if msg.method == "reset" and msg.args == ():
                continue
            if (msg.method != "invoke" or len(msg.args) != 1
                    or msg.args[0] not in (*model.agents, END)):
                bad.append(f"{where}: the world receives only a successor name")
                continue
            last_invoke = msg.reply
            continue
        own = views.get(msg.target)
        if own is None or msg.method not in ("choose", "value", "learn"):
            bad.append(f"{where}: not an agent method")
            continue
        label = msg.args[0]
        if not isinstance(label, str) or label not in own:
            bad.append(f"{where}: {label!r} is not one of its own observation labels")
            continue
        if msg.method in ("choose", "value"):
            if len(msg.args) != 1:
                bad.append(f"{where}: more than its own observation label")
            if msg.method == "value":
                last_value = {"value": msg.reply}
            continue
        if len(msg.args) != 3 or msg.args[1] not in own[label]:
            bad.append(f"{where}: learn takes (own label, admissible successor, Handoff)")
            continue
        h = msg.args[2]
        if type(h) is not Handoff or [f.name for f in fields(h)] != ["value", "duration",
                                                                      "reward"]:
            bad.append(f"{where}: the handoff is not exactly (V_j(o'), τ, R)")
            continue
        tau, reward, nxt = last_invoke
        expected_value = 0.0 if nxt is None else last_value.get("value")
        if (h.duration, h.reward, h.value) != (tau, reward, expected_value):
            bad.append(f"{where}: the handoff is not the world's (τ, R) and the successor's "
                       "own value")
    return bad


def _tables(agents):
    return {a: agent.table() for a, agent in agents.items()}


def test_ray_run_reproduces_the_local_run_and_passes_only_three_numbers():
    """Bit for bit against the local runtime on the same streams (ε-greedy: the agents draw
    from their own generators and read their own tables), and every recorded message obeys the
    boundary: own labels, successor names, Handoff(V_j(o'), τ, R)."""
    m = load(example_path("author-reviewer-editor"))
    cfg = TrainConfig(seed=4, exploration="epsilon-greedy")
    world, agents = tabular_actors(m, cfg)
    local = run(world, agents, 200, gamma=m.gamma)
    record: list[Message] = []
    remote = run_ray(*tabular_actors(m, cfg), 200, gamma=m.gamma, record=record)
    assert remote.stats == local
    assert _tables(remote.agents) == _tables(agents)  # exact float equality
    assert remote.world.latent_state == world.latent_state
    learns = [r for r in record if r.method == "learn"]
    assert len(learns) == 200 and all(r.reply is None for r in learns)
    assert message_violations(m, record) == []


def test_control_a_world_leaking_the_latent_state_is_caught():
    """NEGATIVE CONTROL: the same inspection flags a world that shows agents the state id (the
    agent's actor cannot use the foreign label and fails; the message is on record)."""
    m = load(example_path("author-reviewer-editor"))
    _, agents = tabular_actors(m, TrainConfig(seed=2))
    record: list[Message] = []
    with pytest.raises(ray.exceptions.RayTaskError):
        run_ray(LatentLeakWorld(m, Xoshiro(2)), agents, 50, record=record)
    assert any("not one of its own observation labels" in v
               for v in message_violations(m, record))


def _without_timings(obj):
    if isinstance(obj, dict):
        return {k: _without_timings(v) for k, v in obj.items()
                if k not in ("seconds", "train_seconds")}
    if isinstance(obj, list):
        return [_without_timings(v) for v in obj]
    return obj


def test_reproduce_gives_identical_results_on_ray_and_in_process(tmp_path, capsys, monkeypatch):
    """The quickest experiment (routing ``--quick``, cut to one graph family and 2·10⁵ handoffs
    to keep CI fast; two seeds): every number but the timings is identical whether the
    independent runs go to Ray tasks or run in this process (``serial``; ``local`` processes
    run the same function and agree with ``serial`` in tests/test_parallel.py)."""
    monkeypatch.setattr(settings, "QUICK", {**settings.QUICK, "families": {"chain": {"n": 6}},
                                            "handoffs": 200_000})
    results = {}
    for backend in ("serial", "ray"):
        out = tmp_path / backend
        assert main(["reproduce", "routing", "--quick", "--seeds", "2", "--backend", backend,
                     "--json", "--out", str(out)]) == 0
        printed = json.loads(capsys.readouterr().out)
        doc = json.loads((out / "results.json").read_text())
        assert doc["command"].endswith(f"--backend {backend}")
        results[backend] = (_without_timings(printed["accuracy"]),
                            _without_timings(doc["raw"]), _without_timings(doc["summary"]))
    assert results["ray"] == results["serial"]
    assert len(results["ray"][1]["runs"]["chain"]) == 2
