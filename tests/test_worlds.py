"""The world protocol and ``icq.check_world`` (docs/worlds.md): conforming worlds pass, and each
rule is reported on a world deliberately built to break it (negative controls, one per rule)."""

from __future__ import annotations

import importlib.util
import math
import re
from pathlib import Path

import pytest

import icq
from icq.env import PrimitiveWorld
from icq.property_tests.properties import LatentLeakWorld
from icq.reference.common.rng import Xoshiro
from icq.reference.learners.runtime import World
from icq.reference.learners.worlds import RULES, admissible_successors, check_world
from icq.reference.model import END, example_path, from_dict, load
from icq.reference.model.primitive import reduce_to_epoch

DOC = Path(__file__).resolve().parents[1] / "docs" / "worlds.md"
ARE = example_path("author-reviewer-editor")


def _doc_namespace() -> dict:
    ns: dict = {"__name__": "worlds_doc"}
    for code in re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S):
        exec(compile(code, str(DOC), "exec"), ns)  # noqa: S102
    return ns


def test_documented_callable_world_conforms_and_icq_learns_on_it():
    ns = _doc_namespace()  # the blocks assert check_world(...).holds and the learned handoffs
    assert ns["report"].holds and ns["report"].episodes == 20


def test_simulators_of_the_library_conform():
    m = load(ARE)
    assert check_world(World(m, Xoshiro(1)), admissible_successors(m)).holds
    spec = importlib.util.spec_from_file_location("env_tests",
                                                  Path(__file__).parent / "test_env.py")
    env_tests = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(env_tests)
    p = env_tests.writer_reviewer()  # the primitive model of the primitive module's docstring
    rep = check_world(PrimitiveWorld(p, Xoshiro(1)), admissible_successors(reduce_to_epoch(p)))
    assert rep.holds and rep.episodes == 20
    assert icq.check_world is check_world


class _Wrapped:
    """A conforming world (the runtime's simulator of author-reviewer-editor) to break."""

    def __init__(self, seed: int = 0):
        self.m = load(ARE)
        self.inner = World(self.m, Xoshiro(seed))

    def reset(self):
        self.view = self.inner.reset()
        return self.view

    def invoke(self, successor):
        out = self.inner.invoke(successor)
        if out[2] is not None:
            self.view = out[2]
        return out


class BadShape(_Wrapped):
    def invoke(self, successor):
        return super().invoke(successor)[:2]


class BadDuration(_Wrapped):
    def invoke(self, successor):
        tau, r, nxt = super().invoke(successor)
        return float(tau), r, nxt


class BadReward(_Wrapped):
    def invoke(self, successor):
        tau, _, nxt = super().invoke(successor)
        return tau, math.nan, nxt


class BadNext(_Wrapped):
    def invoke(self, successor):
        tau, r, nxt = super().invoke(successor)
        return tau, r, None if nxt is None else (nxt[0], "everything")


class WrongSuccessor(_Wrapped):
    """Hands control to an agent other than the one chosen (with a valid label of it)."""

    def invoke(self, successor):
        tau, r, nxt = super().invoke(successor)
        if nxt is None:
            return tau, r, None
        other = next(a for a in self.m.agents if a != nxt[0])
        return tau, r, (other, next(iter(admissible_successors(self.m)[other])))


class EndContinues(_Wrapped):
    def invoke(self, successor):
        tau, r, nxt = super().invoke(successor)
        return (tau, r, self.reset()) if successor == END else (tau, r, nxt)


class AcceptsAnything(_Wrapped):
    """Accepts an inadmissible successor (silently runs the first admissible one)."""

    def invoke(self, successor):
        agent, label = self.view
        own = admissible_successors(self.m)[agent][label]
        return super().invoke(successor if successor in own else own[0])


PING_PONG = {  # END is never admissible: episodes cannot end
    "format": "icsmdp-epoch/1", "name": "ping-pong", "gamma": 0.9, "agents": ["a", "b"],
    "states": [{"id": "x", "agent": "a", "obs": "o"}, {"id": "y", "agent": "b", "obs": "o"}],
    "initial": {"x": 1.0}, "successors": {"a": {"o": ["b"]}, "b": {"o": ["a"]}},
    "transitions": [
        {"state": "x", "successor": "b",
         "outcomes": [{"prob": 1.0, "duration": 1, "reward": 0.0, "next": "y"}]},
        {"state": "y", "successor": "a",
         "outcomes": [{"prob": 1.0, "duration": 1, "reward": 0.0, "next": "x"}]}]}


def _never_ends():
    m = from_dict(PING_PONG)
    return World(m, Xoshiro(0)), admissible_successors(m)


BROKEN = {
    "reset": lambda: (LatentLeakWorld(load(ARE), Xoshiro(0)), None),
    "invoke-shape": lambda: (BadShape(), None),
    "duration": lambda: (BadDuration(), None),
    "reward": lambda: (BadReward(), None),
    "next": lambda: (BadNext(), None),
    "handoff": lambda: (WrongSuccessor(), None),
    "end": lambda: (EndContinues(), None),
    "refuse": lambda: (AcceptsAnything(), None),
    "episodes-end": _never_ends,
}


def test_every_rule_has_a_broken_world():
    assert set(BROKEN) == set(RULES)


@pytest.mark.parametrize("rule", sorted(BROKEN))
def test_control_each_broken_world_is_reported_for_its_rule(rule):
    world, succ = BROKEN[rule]()
    rep = check_world(world, succ or admissible_successors(load(ARE)), episodes=5,
                      max_handoffs=50)
    assert not rep.holds and rule in rep.rules_broken, rep.violations
    assert all(v.rule in RULES and v.detail for v in rep.violations)
