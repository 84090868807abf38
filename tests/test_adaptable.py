"""Adaptable agents (paper §3, last paragraph): learned local actions and successors, coupled
through one float per handoff; outside Theorem 1."""

from __future__ import annotations

import copy
import dataclasses
import json

import numpy as np
import pytest

from icq.experiments.cpu import analysis as cpu_analysis
from icq.experiments.routing import analysis as routing_analysis
from icq.reference.common.io import jsonable
from icq.reference.learners.adaptable import (
    NOT_COVERED,
    AdaptableAgent,
    AdaptableConfig,
    RegisterMachine,
    check_environment,
    evaluate,
    make_agents,
    train_adaptable,
)


def optimal_return(env: RegisterMachine, target: int, turns: int = 8) -> float:
    """Best discounted return from the start, by exhaustive search over the agents' choices
    (the register machine is deterministic with one local step per invocation)."""
    start = copy.deepcopy(env)
    start.targets = (target,)
    start.reset(np.random.default_rng(0))
    g = env.gamma
    END = len(env.agents)

    def best(e, depth):
        out = -np.inf
        for a in e.local_actions():
            e1 = copy.deepcopy(e)
            r, over = e1.step_local(a)
            assert over
            for j in e1.successors():
                e2 = copy.deepcopy(e1)
                R, tau = e2.handoff(j)
                if j == END:
                    out = max(out, r + g * R)
                elif depth > 0:
                    out = max(out, r + g * (R + g**tau * best(e2, depth - 1)))
        return out

    return best(start, turns)


def test_learning_reaches_the_optimum_of_a_single_task():
    env = RegisterMachine(targets=(6,))
    opt = optimal_return(env, 6)
    before = evaluate(env, make_agents(env))
    res = train_adaptable(env, AdaptableConfig(episodes=600, q_init=1.0, seed=3))
    after = evaluate(env, res.agents)
    assert before < opt - 0.5
    assert after == pytest.approx(opt, abs=1e-12)
    assert res.truncated == 0


def test_learning_improves_return_over_several_targets():
    env = RegisterMachine(targets=(5, 6, 7))
    opt = np.mean([optimal_return(env, g) for g in env.targets])
    res = train_adaptable(env, AdaptableConfig(episodes=1500, q_init=1.0, seed=0))
    before, after = evaluate(env, make_agents(env)), evaluate(env, res.agents)
    assert after > before + 0.5
    assert after > opt - 0.1
    # both Q-functions were learned: local actions and successors both differ from the ties
    adder = res.agents[0]
    assert any(v != 1.0 for v in adder.q_loc.values())
    assert any(v != 1.0 for v in adder.q_succ.values())


class Logged(AdaptableAgent):
    """Records every message the learner passes to the agent (a test double)."""

    def __init__(self, name, log, q_init=0.0):
        super().__init__(name, q_init)
        self.log = log

    def learn_successor(self, obs, j, reward, discount, value, alpha):
        self.log.append((self.name, j, value))
        super().learn_successor(obs, j, reward, discount, value, alpha)


def test_handoff_carries_one_float_from_the_successor():
    env = RegisterMachine(targets=(5, 6))
    log: list = []
    agents = [Logged(n, log, 1.0) for n in env.agents]
    train_adaptable(env, AdaptableConfig(episodes=50, q_init=1.0, seed=1), agents=agents)
    END = len(env.agents)
    assert log
    for _name, j, value in log:
        assert (value is None) if j == END else isinstance(value, float)


def test_agents_hold_nothing_but_their_own_tables():
    env = RegisterMachine()
    res = train_adaptable(env, AdaptableConfig(episodes=20, seed=0))
    for ag in res.agents:
        assert set(vars(ag)) == {"name", "q_init", "q_loc", "q_succ"}
        own = {o for (o, _) in ag.q_loc} | {o for (o, _) in ag.q_succ}
        assert all(isinstance(o, tuple) and len(o) == 2 for o in own)


def test_same_seed_same_agents():
    env = RegisterMachine()
    a = train_adaptable(env, AdaptableConfig(episodes=100, seed=9))
    b = train_adaptable(env, AdaptableConfig(episodes=100, seed=9))
    assert [x.q_loc for x in a.agents] == [x.q_loc for x in b.agents]
    np.testing.assert_array_equal(a.returns, b.returns)


def _says_not_covered(text: str) -> bool:
    """Whether ``text`` states that Theorem 1 does not cover what it describes."""
    return "Theorem 1 does not cover" in text


def _cpu_outputs() -> list[str]:
    """Everything a user sees from an adaptable run: the result's text and JSON, and what
    ``icq reproduce cpu`` prints (the Markdown tables, or the summary with ``--json``)."""
    res = train_adaptable(RegisterMachine(), AdaptableConfig(episodes=3))
    runs = [{"observations": "register_block", "seed": s, "train_targets": 51,
             "test_targets": 205, "train_accuracy": 1.0, "test_accuracy": a,
             "table_entries": 10, "seconds": 0.1} for s, a in enumerate((0.5, 1.0))]
    summary = cpu_analysis.summarize({"runs": runs})
    return [str(res), json.dumps(res.to_json()), cpu_analysis.tables({"runs": runs}, summary),
            json.dumps(jsonable(summary))]


def test_every_user_facing_output_says_theorem1_does_not_cover_it():
    outs = _cpu_outputs()
    assert all(_says_not_covered(o) for o in outs), [o[:80] for o in outs]
    res = train_adaptable(RegisterMachine(), AdaptableConfig(episodes=2, seed=1))
    assert res.note == NOT_COVERED == res.to_json()["note"]
    assert str(res).endswith(NOT_COVERED)


def test_the_coverage_check_catches_a_missing_statement():
    # negative controls: a result stripped of its note, and what `icq reproduce routing`
    # prints (an experiment the theorem covers) fail the same check
    res = train_adaptable(RegisterMachine(), AdaptableConfig(episodes=1))
    stripped = dataclasses.replace(res, note="")
    assert not _says_not_covered(str(stripped))
    assert not _says_not_covered(json.dumps(stripped.to_json()))
    gaps = {"epsilon": 0.0, "delta_tv": 0.0, "ais_gap": 0.0, "ais_gap_exact": 0.0,
            "source": "icq.bounds.audit"}
    raw = {"runs": {"path": [{"seed": 0, "nodes": 3, "edges": 2, "states": 12,
                              "packet_accuracy": 1.0, "decision_accuracy": 1.0,
                              "oracle_agreement": 1.0, "gaps": gaps, "seconds": 0.1}]}}
    summary = routing_analysis.summarize(raw)
    assert not _says_not_covered(routing_analysis.tables(raw, summary))
    assert not _says_not_covered(json.dumps(jsonable(summary)))


# ---------------------------------------------------------------------------------------
# The conformance check, with a negative control per rule
# ---------------------------------------------------------------------------------------


class SelfHandoff(RegisterMachine):
    def successors(self):
        return (self._agent, len(self.agents))


class NeverEnds(RegisterMachine):
    def successors(self):
        return (1 - self._agent,)


class BadReward(RegisterMachine):
    def step_local(self, a):
        super().step_local(a)
        return float("nan"), True


class NoActions(RegisterMachine):
    def local_actions(self):
        return ()


class Unhashable(RegisterMachine):
    def observe(self):
        return [self._v, self._g]


def test_check_environment_accepts_the_example():
    check_environment(RegisterMachine())


@pytest.mark.parametrize("env, match", [
    (SelfHandoff(), "successors"),
    (NeverEnds(), "no END"),
    (BadReward(), "reward"),
    (NoActions(), "local_actions"),
    (Unhashable(), "hashable"),
])
def test_check_environment_rejects_broken_environments(env, match):
    with pytest.raises(ValueError, match=match):
        check_environment(env, max_steps=200)


@pytest.mark.parametrize("kw, match", [
    ({"episodes": -1}, "episodes"), ({"alpha": 0.0}, "alpha"), ({"epsilon": 2.0}, "epsilon"),
    ({"q_init": float("inf")}, "q_init"), ({"max_episode_steps": 0}, "max_episode_steps"),
])
def test_invalid_config(kw, match):
    with pytest.raises(ValueError, match=match):
        AdaptableConfig(**kw)


def test_register_machine_rejects_bad_knobs_and_moves():
    with pytest.raises(ValueError, match="targets"):
        RegisterMachine(targets=(99,))
    env = RegisterMachine()
    env.reset(np.random.default_rng(0))
    with pytest.raises(ValueError, match="local action"):
        env.step_local(5)
    env.step_local(0)
    with pytest.raises(ValueError, match="not admissible"):
        env.handoff(0)
