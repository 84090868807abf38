"""The decentralized runtime: agents that see only their own observation (docs/theory.md §2).

Three kinds of object, and what each can reach:

- a :class:`World` holds the latent epoch state ``y`` and the model; it reveals to the active
  agent only the pair ``(agent name, observation label)``;
- an agent (see :class:`Agent`) holds only its own parameters; its methods receive only its own
  observation labels (``str``), successor names (``str``) and :class:`Handoff` messages;
- :func:`run` passes those values between them and holds no learning state of its own.

A :class:`Handoff` carries exactly three numbers from successor to predecessor: the successor's
value ``V_j(o')``, the duration ``τ`` and the option reward ``R``. Nothing else crosses an agent
boundary: no table, no latent state, no observation of another agent.

>>> from icq.reference.model import load, example_path
>>> m = load(example_path("ring-exact"))
>>> world, agents = tabular_agents(m)
>>> stats = run(world, agents, handoffs=1000)
>>> stats.handoffs
1000
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from icq.reference.common.rng import Xoshiro, cdf, draw_index
from icq.reference.learners.handoffs import STEP_MODES, block_cdf, q_step, smdp_target, step_size
from icq.reference.learners.tabular import TrainConfig
from icq.reference.model import EpochModel

__all__ = ["Handoff", "Agent", "World", "TabularICQAgent", "PolicyAgent", "RunStats", "run",
           "tabular_agents", "evaluate_decentralized"]


@dataclass(frozen=True, slots=True)
class Handoff:
    """The message from successor to predecessor at a handoff: exactly three numbers.

    value : ``V_j(o')`` computed by the successor from its own parameters (0 at an episode end)
    duration : ``τ``, primitive steps the predecessor's invocation took
    reward : ``R = Σ_{t<τ} γ^t r_t``
    """

    value: float
    duration: int
    reward: float

    def __post_init__(self) -> None:
        for name, kind in (("value", float), ("duration", int), ("reward", float)):
            v = getattr(self, name)
            if not isinstance(v, kind) or isinstance(v, bool):
                raise TypeError(f"Handoff.{name} must be a {kind.__name__}, got "
                                f"{type(v).__name__}")


@runtime_checkable
class Agent(Protocol):
    """What the runtime asks of an agent; a user may implement it around any model."""

    name: str

    def choose(self, obs: str) -> str:
        """The successor (an agent name or ``"END"``) for this observation."""

    def value(self, obs: str) -> float:
        """``V(obs) = max_j Q(obs, j)``, sent back to the predecessor at a handoff."""

    def learn(self, obs: str, successor: str, message: Handoff) -> None:
        """Update from the predecessor's own ``(obs, successor)`` and the three numbers."""


class World:
    """The latent process. Only :func:`run` talks to it; it never hands out ``y``."""

    def __init__(self, model: EpochModel, rng: Xoshiro):
        self._m = model
        self._rng = rng
        self._init_cdf = block_cdf(model.initial, np.array([0, model.n_states]))
        self._out_cdf = block_cdf(model.out_prob, model.out_ptr)
        self._y = -1

    @property
    def model(self) -> EpochModel:
        """The model this world simulates (for conformance checkers; agents never see it)."""
        return self._m

    @property
    def latent_state(self) -> int:
        """The current latent state ``y`` (−1 between episodes), read-only, for conformance
        checkers such as :func:`icq.property_tests.properties.check_runtime_interface`; the runtime
        never passes it to an agent."""
        return self._y

    def view(self, y: int) -> tuple[str, str]:
        """What the active agent at ``y`` is shown: ``(agent, O_i(z, x_i))`` — nothing else.
        A subclass overriding this is how a conformance check models a leaking interface."""
        m = self._m
        return m.agents[m.state_agent[y]], m.obs_labels[m.state_obs[y]]

    def reset(self) -> tuple[str, str]:
        """Start an episode from ν₀; returns (active agent, its observation label)."""
        u = self._rng.random()
        self._y = draw_index(self._init_cdf, u)
        return self.view(self._y)

    def invoke(self, successor: str) -> tuple[int, float, tuple[str, str] | None]:
        """Run the active agent's invocation ending in a handoff to ``successor``.

        Returns ``(τ, R, (next agent, its observation) or None at the episode end)``.
        """
        m, y = self._m, self._y
        o = m.state_obs[y]
        lo, hi = m.obs_ptr[o], m.obs_ptr[o + 1]
        names = [m.successor_name(j) for j in m.obs_succ[lo:hi]]
        if successor not in names:
            raise ValueError(f"successor {successor!r} is not admissible here")
        k = m.pair_ptr[y] + names.index(successor)
        a, b = m.out_ptr[k], m.out_ptr[k + 1]
        u = self._rng.random()
        x = a + draw_index(self._out_cdf[a:b], u)
        tau, reward, nxt = int(m.out_dur[x]), float(m.out_rew[x]), int(m.out_next[x])
        if nxt < 0:
            self._y = -1
            return tau, reward, None
        self._y = nxt
        return tau, reward, self.view(nxt)


class TabularICQAgent:
    """An IC-Q agent: a table over its own observations and admissible successors only."""

    __slots__ = ("name", "_gamma", "_succ", "_beh", "_q", "_n", "_rng", "_config")

    def __init__(self, name: str, successors: Mapping[str, Sequence[str]], gamma: float, *,
                 behavior: Mapping[str, Sequence[float]] | None = None,
                 config: TrainConfig | None = None, rng: Xoshiro | None = None):
        self.name = name
        self._gamma = float(gamma)
        self._succ = {o: tuple(js) for o, js in successors.items()}
        self._beh = {o: cdf(behavior[o] if behavior else np.full(len(js), 1.0 / len(js)))
                     for o, js in self._succ.items()}
        self._q = {o: np.zeros(len(js)) for o, js in self._succ.items()}
        self._n = {o: np.zeros(len(js)) for o, js in self._succ.items()}
        self._rng = rng or Xoshiro(0)
        self._config = config or TrainConfig()
        c = self._config
        if c.step in ("theory", "rescaled") or c.radius is not None or c.average \
                or c.burn_in or c.q0:
            raise ValueError("a decentralized agent has no global clock, joint table norm, "
                             "shared average or model constant: step 'theory' or 'rescaled', "
                             "radius, average, burn-in and q0 are options of the compiled "
                             "learner only")

    def choose(self, obs: str) -> str:
        js, q = self._succ[obs], self._q[obs]
        if self._config.exploration == "epsilon-greedy":
            if self._rng.random() < self._config.epsilon:
                return js[int(self._rng.random() * len(js))]
            return js[int(np.argmax(q))]
        row = self._beh[obs]
        u = self._rng.random()
        return js[draw_index(row, u)]

    def value(self, obs: str) -> float:
        return float(self._q[obs].max())

    def greedy(self, obs: str) -> str:
        """The successor maximizing this agent's own ``Q(obs, ·)`` (the first one on a tie)."""
        return self._succ[obs][int(np.argmax(self._q[obs]))]

    def learn(self, obs: str, successor: str, message: Handoff) -> None:
        a = self._succ[obs].index(successor)
        self._n[obs][a] += 1.0
        c = self._config
        alpha = step_size(self._n[obs][a], 0, STEP_MODES[c.step], c.omega, c.alpha)
        target = smdp_target(message.reward, self._gamma ** message.duration, message.value)
        self._q[obs][a] = q_step(self._q[obs][a], target, alpha)

    def table(self) -> dict[str, dict[str, float]]:
        """This agent's own table (for reporting; never passed to another agent)."""
        return {o: dict(zip(js, self._q[o].tolist(), strict=True)) for o, js in self._succ.items()}

    def visits(self) -> dict[str, dict[str, float]]:
        """This agent's own visit counts ``n(o, j)`` (the step sizes' clock; for checkpoints)."""
        return {o: dict(zip(js, self._n[o].tolist(), strict=True)) for o, js in self._succ.items()}

    def set_table(self, table: Mapping[str, Mapping[str, float]],
                  visits: Mapping[str, Mapping[str, float]] | None = None) -> None:
        """Replace this agent's own table (and visit counts) by values of the same shape, e.g.
        read back from a checkpoint; every observation and successor must be given."""
        for o, js in self._succ.items():
            self._q[o] = np.array([float(table[o][j]) for j in js])
            if visits is not None:
                self._n[o] = np.array([float(visits[o][j]) for j in js])


class PolicyAgent:
    """A fixed decentralized policy ``π_i(j | o)``; learns nothing, reports no value."""

    __slots__ = ("name", "_succ", "_cdf", "_rng")

    def __init__(self, name: str, policy: Mapping[str, Mapping[str, float]], rng: Xoshiro):
        self.name = name
        self._succ = {o: tuple(d) for o, d in policy.items()}
        self._cdf = {o: cdf(list(d.values())) for o, d in policy.items()}
        self._rng = rng

    def choose(self, obs: str) -> str:
        js = self._succ[obs]
        u = self._rng.random()
        return js[draw_index(self._cdf[obs], u)]

    def value(self, obs: str) -> float:
        return 0.0

    def learn(self, obs: str, successor: str, message: Handoff) -> None:
        return None


@dataclass(frozen=True)
class RunStats:
    """What :func:`run` observed: counts and, per episode, the discounted return."""

    handoffs: int
    episodes: int
    returns: tuple[float, ...]


def run(world: World, agents: Mapping[str, Agent], handoffs: int, *, learn: bool = True,
        gamma: float | None = None, episodes: int | None = None) -> RunStats:
    """Run ``handoffs`` handoffs (or until ``episodes`` episodes have ended); at each handoff the
    successor's value crosses back as one float.

    With ``gamma``, also accumulate each completed episode's discounted return
    ``Σ_k γ^{t_k} R_k`` (``t_k`` = primitive steps before the k-th invocation).
    """
    agent, obs = world.reset()
    returns: list[float] = []
    ret, clock, ended, done = 0.0, 0, 0, 0
    for _ in range(handoffs):
        if episodes is not None and ended >= episodes:
            break
        done += 1
        successor = agents[agent].choose(obs)
        tau, reward, nxt = world.invoke(successor)
        if gamma is not None:
            ret += gamma ** clock * reward
            clock += tau
        if nxt is None:
            message = Handoff(0.0, tau, reward)
        else:
            message = Handoff(float(agents[nxt[0]].value(nxt[1])), tau, reward)
        if learn:
            agents[agent].learn(obs, successor, message)
        if nxt is None:
            ended += 1
            returns.append(ret)
            ret, clock = 0.0, 0
            agent, obs = world.reset()
        else:
            agent, obs = nxt
    return RunStats(handoffs=done, episodes=ended, returns=tuple(returns))


def agent_views(model: EpochModel) -> dict[str, tuple[dict[str, list[str]],
                                                        dict[str, list[float]]]]:
    """Per agent: its own observation labels → admissible successors and π_b."""
    views: dict[str, tuple[dict[str, list[str]], dict[str, list[float]]]] = {
        a: ({}, {}) for a in model.agents}
    for o in range(model.n_obs):
        a, label = model.obs_name(o)
        sl = slice(model.obs_ptr[o], model.obs_ptr[o + 1])
        views[a][0][label] = [model.successor_name(j) for j in model.obs_succ[sl]]
        views[a][1][label] = model.behavior[sl].tolist()
    return views


def tabular_agents(model: EpochModel, config: TrainConfig | None = None
                   ) -> tuple[World, dict[str, TabularICQAgent]]:
    """A world and one tabular IC-Q agent per agent of ``model``.

    All share one generator, in the draw order of the compiled learner, so that ``run(world, agents,
    n)`` reproduces :func:`icq.reference.learners.tabular.train_tabular` with the same
    ``config.seed`` (to floating-point rounding): the two are the same algorithm.
    """
    config = config or TrainConfig()
    rng = Xoshiro(config.seed)
    world = World(model, rng)
    agents = {a: TabularICQAgent(a, succ, model.gamma, behavior=beh, config=config, rng=rng)
              for a, (succ, beh) in agent_views(model).items()}
    return world, agents


def evaluate_decentralized(model: EpochModel, policy: np.ndarray, episodes: int, *,
                           seed: int = 0, max_handoffs: int = 10_000_000
                           ) -> tuple[float, float, int]:
    """Monte Carlo value of a decentralized policy executed through the runtime.

    ``policy`` is (n_obs_pairs,) ``π(j|ô)``; each agent receives only the rows of its own
    observations. Returns ``(mean return, standard error, episodes completed)`` from ν₀.
    """
    rng = Xoshiro(seed)
    world = World(model, rng)
    per_agent: dict[str, dict[str, dict[str, float]]] = {a: {} for a in model.agents}
    for o in range(model.n_obs):
        a, label = model.obs_name(o)
        sl = slice(model.obs_ptr[o], model.obs_ptr[o + 1])
        per_agent[a][label] = {model.successor_name(j): float(p)
                               for j, p in zip(model.obs_succ[sl], policy[sl], strict=True)}
    agents = {a: PolicyAgent(a, pol, rng) for a, pol in per_agent.items()}
    stats = run(world, agents, max_handoffs, learn=False, gamma=model.gamma, episodes=episodes)
    r = np.array(stats.returns)
    if len(r) == 0:
        raise RuntimeError("no episode ended within max_handoffs")
    return float(r.mean()), float(r.std(ddof=1) / np.sqrt(len(r))) if len(r) > 1 else 0.0, len(r)

