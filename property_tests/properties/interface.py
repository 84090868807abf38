"""The decentralized runtime's interface (docs/theory.md §1–§2): :func:`check_runtime_interface`
wraps the world and every agent and checks each value an agent receives; the two worlds that
leak the latent state (:class:`LatentLeakWorld`, :class:`RelabellingWorld`) are its negative
controls.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from icq.reference.common.rng import Xoshiro
from icq.reference.learners.runtime import Handoff, World, run, tabular_agents
from icq.reference.learners.tabular import TrainConfig
from icq.reference.model import EpochModel

__all__ = ["InterfaceReport", "LatentLeakWorld", "RelabellingWorld", "check_runtime_interface"]


class LatentLeakWorld(World):
    """WRONG ON PURPOSE (a negative control): a world whose observation label carries the
    latent state id, so that agents could tell aliased states apart."""

    def view(self, y: int) -> tuple[str, str]:
        agent, label = super().view(y)
        return agent, f"{label}#{self.model.state_ids[y]}"


class RelabellingWorld(World):
    """WRONG ON PURPOSE (a negative control): a subtler leak. A latent state that is not the
    first of its observation class ``σ⁻¹(ô)`` is shown another of its agent's own labels, so the
    label is a valid label of the agent but not a function of ``σ(y)``."""

    def view(self, y: int) -> tuple[str, str]:
        m = self.model
        agent, label = super().view(y)
        o = int(m.state_obs[y])
        first = int(np.flatnonzero(m.state_obs == o)[0])
        own = np.flatnonzero(m.obs_agent == m.obs_agent[o])
        if y != first and len(own) > 1:
            other = own[(int(np.searchsorted(own, o)) + 1) % len(own)]
            return agent, m.obs_labels[other]
        return agent, label


@dataclass(frozen=True)
class InterfaceReport:
    """What :func:`check_runtime_interface` saw: calls per method and handoffs checked."""

    handoffs: int
    calls: dict[str, int] = field(default_factory=dict)
    holds: bool = True


class _Probe:
    """Wraps the world: records the latent state (for the checker only) and each outcome."""

    def __init__(self, world: World):
        self.world = world
        self.y = -1
        self.last: tuple[int, float] | None = None

    def _latent(self) -> int:
        y = getattr(self.world, "latent_state", None)
        if not isinstance(y, int | np.integer):
            raise AssertionError("check_runtime_interface: the world keeps no latent state "
                                 "attribute `latent_state` to check the labels against")
        return int(y)

    def reset(self) -> tuple[str, str]:
        view = self.world.reset()
        self.y = self._latent()
        return view

    def invoke(self, successor: str) -> tuple[int, float, tuple[str, str] | None]:
        tau, reward, nxt = self.world.invoke(successor)
        self.last = (tau, reward)
        if nxt is not None:
            self.y = self._latent()
        return tau, reward, nxt


class _Recorder:
    """Wraps one agent and checks every value it receives."""

    def __init__(self, name: str, inner: Any, model: EpochModel, probe: _Probe,
                 log: dict[str, Any]):
        self.name = name
        self._inner = inner
        self._m = model
        self._probe = probe
        self._log = log
        a = model.agents.index(name)
        self._own = {model.obs_labels[o]: [model.successor_name(j) for j in
                                           model.obs_succ[model.obs_ptr[o]:model.obs_ptr[o + 1]]]
                     for o in np.flatnonzero(model.obs_agent == a)}
        self._pending: tuple[str, str] | None = None

    def _where(self) -> str:
        return f"agent {self.name!r}"

    def _check_obs(self, obs: Any, method: str, *, current: bool) -> None:
        m = self._m
        self._log["calls"][method] = self._log["calls"].get(method, 0) + 1
        if type(obs) is not str:
            raise AssertionError(f"{self._where()}.{method} received {type(obs).__name__} "
                                 f"{obs!r}, not an observation label (str)")
        if obs not in self._own:
            raise AssertionError(f"{self._where()}.{method} received {obs!r}, which is not one "
                                 f"of its own observation labels {sorted(self._own)}")
        if current:
            y = self._probe.y
            if m.agents[m.state_agent[y]] != self.name:
                raise AssertionError(f"{self._where()}.{method} called while agent "
                                     f"{m.agents[m.state_agent[y]]!r} is active")
            expected = m.obs_labels[m.state_obs[y]]
            seen = self._log["labels"].setdefault(int(m.state_obs[y]), set())
            seen.add(obs)
            if obs != expected:
                raise AssertionError(
                    f"{self._where()}.{method} received label {obs!r} at a latent state whose "
                    f"observation is {expected!r}: labels are not the function O_i of σ(y) "
                    f"(labels seen for this observation: {sorted(seen)})")

    def choose(self, obs: str) -> str:
        self._check_obs(obs, "choose", current=True)
        j = self._inner.choose(obs)
        if type(j) is not str or j not in self._own[obs]:
            raise AssertionError(f"{self._where()}.choose returned {j!r}, not an admissible "
                                 f"successor name of {obs!r}: {self._own[obs]}")
        self._pending = (obs, j)
        return j

    def value(self, obs: str) -> float:
        self._check_obs(obs, "value", current=True)
        v = self._inner.value(obs)
        self._log["last_value"] = float(v)
        return v

    def learn(self, obs: str, successor: str, message: Handoff) -> None:
        self._check_obs(obs, "learn", current=False)
        if self._pending != (obs, successor):
            raise AssertionError(f"{self._where()}.learn received ({obs!r}, {successor!r}), not "
                                 f"its own last decision {self._pending}")
        if type(message) is not Handoff:
            raise AssertionError(f"{self._where()}.learn received a {type(message).__name__}, "
                                 "not a Handoff")
        names = tuple(f.name for f in fields(message))
        if names != ("value", "duration", "reward"):
            raise AssertionError(f"Handoff carries {names}, not exactly (value, duration, reward)")
        tau, reward = self._probe.last
        if (message.duration, message.reward) != (tau, reward):
            raise AssertionError(f"Handoff (duration, reward) = ({message.duration}, "
                                 f"{message.reward}) differs from the invocation's ({tau}, "
                                 f"{reward})")
        expect = self._log.pop("last_value", 0.0)
        if message.value != expect:
            raise AssertionError(f"Handoff.value = {message.value!r} is not the successor's own "
                                 f"V_j(o') = {expect!r}")
        self._log["handoffs"] += 1
        self._inner.learn(obs, successor, message)


def check_runtime_interface(model: EpochModel, *, world: Callable[[EpochModel, Xoshiro], World]
                            = World, handoffs: int = 500, seed: int = 0,
                            config: TrainConfig | None = None) -> InterfaceReport:
    """Run tabular IC-Q agents through :func:`~icq.reference.learners.runtime.run` and check, at
    every call, that an agent receives only (docs/theory.md §1, interface constraint; §2):

    - its *own* observation labels, equal to the model's label ``O_i`` of the current ``σ(y)``
      (so labels are a function of the observation and carry nothing of ``y``);
    - admissible successor names (``str``) and, in ``learn``, its own last decision;
    - :class:`~icq.reference.learners.runtime.Handoff` messages of exactly three numbers: the
    successor's
      own value ``V_j(o')`` (0 at an episode end), and the invocation's ``τ`` and ``R``.

    ``world`` builds the world (default the runtime's :class:`World`); the negative controls pass
    :class:`LatentLeakWorld` or :class:`RelabellingWorld`. Raises AssertionError at the first
    violation.
    """
    cfg = config or TrainConfig(handoffs=handoffs, seed=seed)
    _, inner = tabular_agents(model, cfg)
    probe = _Probe(world(model, Xoshiro(seed + 1)))
    log: dict[str, Any] = {"calls": {}, "labels": {}, "handoffs": 0}
    agents = {a: _Recorder(a, inner[a], model, probe, log) for a in model.agents}
    stats = run(probe, agents, handoffs)  # type: ignore[arg-type]
    if log["handoffs"] != stats.handoffs:
        raise AssertionError(f"{stats.handoffs} handoffs ran but {log['handoffs']} reached the "
                             "predecessor's learn()")
    return InterfaceReport(handoffs=stats.handoffs, calls=dict(log["calls"]))
