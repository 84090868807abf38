"""Adaptable agents: IC-Q with learned local actions (paper §3, last paragraph; §5.3).

In the pre-configured regime of docs/theory.md §1 an agent's local policy ``π_i^loc`` is fixed and
only its successor is learned. An *adaptable* agent learns both, with two coupled Q-functions
over its own observations:

- ``Q^loc_i(o, a)``: value of local action ``a`` at observation ``o``. After the primitive step
  ``(r, o⁺)`` it regresses against ``r + γ max_{a'} Q^loc_i(o⁺, a')`` while the invocation goes on,
  and against ``r + γ V^succ_i(o⁺)``, ``V^succ_i(o⁺) = max_{j∈J(o⁺)} Q^succ_i(o⁺, j)``, once the
  invocation has ended: the successor-selection value at the post-action observation.
- ``Q^succ_i(o, j)``: value of handing off to ``j`` at the post-action observation ``o``. The
  handoff takes ``τ ≥ 0`` primitive steps with reward ``R``; the successor, at its own first
  observation ``o_j``, sends back the one float ``V_j(o_j) = max_a Q^loc_j(o_j, a)``, and
  ``Q^succ_i(o, j)`` regresses against ``R + γ^τ V_j(o_j)`` (``R`` when ``j = END``).

The value passing is the one of pre-configured IC-Q (paper eq. (4)–(5)): one scalar per handoff.
**Theorem 1 does not cover adaptable agents** (the two-timescale coupling of ``Q^loc`` and
``Q^succ`` needs regularity the single-Q analysis does not provide; the paper treats the case
empirically), so nothing here reports a bound, and every result carries that note.

The environment interface (:class:`AdaptableEnv`) is deliberately small; a user's environment is
checked with :func:`check_environment`. The Q-functions here are tables keyed by the agent's own
(hashable) observations.

Examples
--------
>>> env = RegisterMachine(targets=(6,))
>>> check_environment(env)
>>> res = train_adaptable(env, AdaptableConfig(episodes=500, q_init=1.0, seed=0))
>>> bool(evaluate(env, res.agents) > evaluate(env, make_agents(env)))
True
>>> res.note.startswith("Theorem 1 does not cover")
True
"""

from __future__ import annotations

import copy
import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from icq.reference.learners.handoffs import q_step, smdp_target

__all__ = [
    "NOT_COVERED",
    "AdaptableAgent",
    "AdaptableConfig",
    "AdaptableEnv",
    "AdaptableResult",
    "RegisterMachine",
    "check_environment",
    "evaluate",
    "make_agents",
    "train_adaptable",
]

NOT_COVERED = ("Theorem 1 does not cover adaptable agents (learned local actions; paper §3): "
               "no finite-sample bound is reported for them.")


@runtime_checkable
class AdaptableEnv(Protocol):
    """An IC-SMDP with learnable local actions, as the agents see it.

    Attributes
    ----------
    agents : the agent names; successor index ``len(agents)`` is END
    gamma : the primitive discount γ ∈ (0, 1)

    Methods (all about the *active* agent; nothing else crosses the interface)
    -------
    reset(rng) : start an episode (``rng`` a numpy Generator for any randomness of the start)
    active() -> int : the active agent
    observe() -> Hashable : its observation ``o = O_i(z, x_i)``
    local_actions() -> Sequence[int] : its admissible local actions at ``o`` (non-empty)
    step_local(a) -> (r, over) : one primitive step; ``over`` is the termination β of the
        invocation (then the agent must hand off)
    successors() -> Sequence[int] : the admissible successors ``J(o)`` at the post-action
        observation (non-empty, never the active agent; ``len(agents)`` = END)
    handoff(j) -> (R, τ) : pass control to ``j``; ``R`` the reward and ``τ ≥ 0`` the primitive
        steps of the transit. ``j = END`` ends the episode.
    """

    agents: tuple[str, ...]
    gamma: float

    def reset(self, rng: np.random.Generator) -> None: ...

    def active(self) -> int: ...

    def observe(self) -> Hashable: ...

    def local_actions(self) -> Sequence[int]: ...

    def step_local(self, a: int) -> tuple[float, bool]: ...

    def successors(self) -> Sequence[int]: ...

    def handoff(self, j: int) -> tuple[float, int]: ...


# ---------------------------------------------------------------------------------------
# An example environment
# ---------------------------------------------------------------------------------------


class RegisterMachine:
    """A two-agent register machine (a small cousin of the paper's CPU-programming task, §5.3).

    A register holds ``v`` (starting at 0); a target ``g`` is drawn from ``targets`` at reset.
    Both agents observe ``(v, g)``. The *adder* (agent 0) has local actions ``+1`` and ``+2``,
    the *doubler* (agent 1) ``×2`` and ``×1``; every invocation is one local step with reward
    ``-step_cost``. Then the agent hands off to the other agent (``τ = 1``, ``R = 0``) or to END,
    which pays 1 if ``v = g`` and 0 otherwise. ``v`` is capped at ``cap``; after ``horizon``
    local steps END is the only successor. The adder starts.

    >>> env = RegisterMachine(targets=(6,))
    >>> env.reset(np.random.default_rng(0)); env.observe(), env.local_actions()
    ((0, 6), (0, 1))
    >>> env.step_local(1), env.successors()
    ((-0.05, True), (1, 2))
    """

    ADD, DOUBLE = 0, 1

    def __init__(self, targets: Sequence[int] = (5, 6, 7), *, cap: int = 16, horizon: int = 12,
                 step_cost: float = 0.05, gamma: float = 0.95):
        if not targets or any(not 0 < g <= cap for g in targets):
            raise ValueError(f"targets: {tuple(targets)} must be non-empty, each in 1..cap={cap}")
        if horizon < 1 or not 0 < gamma < 1 or step_cost < 0:
            raise ValueError("horizon >= 1, 0 < gamma < 1 and step_cost >= 0 are required")
        self.agents = ("adder", "doubler")
        self.gamma = float(gamma)
        self.targets = tuple(int(g) for g in targets)
        self.cap, self.horizon, self.step_cost = int(cap), int(horizon), float(step_cost)
        self._v = self._g = self._steps = 0
        self._agent = 0
        self._done = True

    def reset(self, rng: np.random.Generator) -> None:
        self._v, self._steps, self._agent, self._done = 0, 0, self.ADD, False
        self._g = self.targets[int(rng.integers(len(self.targets)))]

    def active(self) -> int:
        return self._agent

    def observe(self) -> tuple[int, int]:
        return (self._v, self._g)

    def local_actions(self) -> tuple[int, ...]:
        return (0, 1)

    def step_local(self, a: int) -> tuple[float, bool]:
        if self._done:
            raise RuntimeError("step_local: the episode has ended; call reset")
        if a not in (0, 1):
            raise ValueError(f"step_local: local action {a!r} is not 0 or 1")
        if self._agent == self.ADD:
            self._v += 1 + a
        else:
            self._v *= 2 if a == 0 else 1
        self._v = min(self._v, self.cap)
        self._steps += 1
        return -self.step_cost, True

    def successors(self) -> tuple[int, ...]:
        end = len(self.agents)
        if self._steps >= self.horizon:
            return (end,)
        return (1 - self._agent, end)

    def handoff(self, j: int) -> tuple[float, int]:
        if self._done:
            raise RuntimeError("handoff: the episode has ended; call reset")
        if j not in self.successors():
            raise ValueError(f"handoff: successor {j!r} is not admissible here "
                             f"({self.successors()})")
        if j == len(self.agents):
            self._done = True
            return (1.0 if self._v == self._g else 0.0), 0
        self._agent = j
        return 0.0, 1


# ---------------------------------------------------------------------------------------
# Conformance check for a user's environment (docs/contributing.md, "Worlds and agents")
# ---------------------------------------------------------------------------------------


def check_environment(env: AdaptableEnv, *, episodes: int = 5, seed: int = 0,
                      max_steps: int = 10_000) -> None:
    """Check that ``env`` implements :class:`AdaptableEnv`, by running random episodes.

    Raises
    ------
    ValueError
        Naming the method, the value and the rule broken.
    """
    for name in ("reset", "active", "observe", "local_actions", "step_local", "successors",
                 "handoff"):
        if not callable(getattr(env, name, None)):
            raise ValueError(f"environment: method {name}() is missing")
    agents = getattr(env, "agents", None)
    if not isinstance(agents, tuple) or not agents or not all(isinstance(a, str) for a in agents):
        raise ValueError(f"environment.agents: {agents!r} must be a non-empty tuple of names")
    gamma = getattr(env, "gamma", None)
    if not isinstance(gamma, float | int) or not 0 < gamma < 1:
        raise ValueError(f"environment.gamma: {gamma!r} must be a number in (0, 1)")
    N = len(agents)
    rng = np.random.default_rng(seed)
    for ep in range(episodes):
        env.reset(rng)
        steps = 0
        while True:
            i = env.active()
            if not isinstance(i, int | np.integer) or not 0 <= i < N:
                raise ValueError(f"active(): {i!r} is not an agent index in 0..{N - 1}")
            o = env.observe()
            try:
                hash(o)
            except TypeError:
                raise ValueError(f"observe(): {o!r} is not hashable") from None
            acts = list(env.local_actions())
            if not acts:
                raise ValueError(f"local_actions(): empty at observation {o!r} of agent "
                                 f"{agents[i]!r} (rule: non-empty)")
            over = False
            while not over:
                r, over = env.step_local(acts[int(rng.integers(len(acts)))])
                if not isinstance(r, float | int) or not math.isfinite(r):
                    raise ValueError(f"step_local(): reward {r!r} is not a finite number")
                if not isinstance(over, bool | np.bool_):
                    raise ValueError(f"step_local(): 'over' {over!r} is not a bool")
                steps += 1
                if steps > max_steps:
                    raise ValueError(f"episode {ep}: no END within {max_steps} primitive steps")
                if not over:
                    acts = list(env.local_actions())
                    if not acts:
                        raise ValueError("local_actions(): empty during an invocation")
            js = list(env.successors())
            if not js or any(not 0 <= j <= N or j == i for j in js):
                raise ValueError(f"successors(): {js!r} at agent {agents[i]!r} must be a non-empty "
                                 f"list of agent indices other than {i}, or END = {N}")
            j = js[int(rng.integers(len(js)))]
            R, tau = env.handoff(j)
            if not isinstance(R, float | int) or not math.isfinite(R):
                raise ValueError(f"handoff(): reward {R!r} is not a finite number")
            if not isinstance(tau, int | np.integer) or tau < 0:
                raise ValueError(f"handoff(): duration {tau!r} must be an integer >= 0")
            if j == N:
                break
            if env.active() != j:
                raise ValueError(f"handoff({j}): the active agent is {env.active()}, not {j}")


# ---------------------------------------------------------------------------------------
# The agents and the learner
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AdaptableConfig:
    """How adaptable IC-Q is run.

    episodes : training episodes; alpha : constant step of both Q-functions;
    epsilon : ε-greedy exploration for both choices; q_init : initial value of every table
    entry (optimism drives exploration when rewards come only at the end);
    max_episode_steps : truncation guard; seed : numpy seed of exploration and resets
    """

    episodes: int = 2000
    alpha: float = 0.5
    epsilon: float = 0.2
    q_init: float = 0.0
    seed: int = 0
    max_episode_steps: int = 10_000

    def __post_init__(self) -> None:
        if self.episodes < 0:
            raise ValueError(f"episodes: {self.episodes} must be >= 0")
        if not 0 < self.alpha <= 1:
            raise ValueError(f"alpha: {self.alpha} must be in (0, 1]")
        if not 0 <= self.epsilon <= 1:
            raise ValueError(f"epsilon: {self.epsilon} must be in [0, 1]")
        if not math.isfinite(self.q_init):
            raise ValueError(f"q_init: {self.q_init} must be finite")
        if self.max_episode_steps < 1:
            raise ValueError(f"max_episode_steps: {self.max_episode_steps} must be >= 1")


class AdaptableAgent:
    """One adaptable agent: ``Q^loc`` and ``Q^succ`` over its own observations (tables whose
    entries start at ``q_init``).

    It sees only its observations, its admissible sets, its rewards and the one float its
    successor sends back; it never holds a reference to the environment or to other agents.
    """

    def __init__(self, name: str, q_init: float = 0.0):
        self.name = name
        self.q_init = float(q_init)
        self.q_loc: dict[tuple[Hashable, int], float] = {}
        self.q_succ: dict[tuple[Hashable, int], float] = {}

    # greedy values -------------------------------------------------------------------
    def value(self, obs: Hashable, actions: Sequence[int]) -> float:
        """``V(o) = max_a Q^loc(o, a)``: the one float sent back to a predecessor."""
        return float(max(self.q_loc.get((obs, a), self.q_init) for a in actions))

    def successor_value(self, obs: Hashable, successors: Sequence[int]) -> float:
        """``V^succ(o) = max_j Q^succ(o, j)`` at a post-action observation."""
        return float(max(self.q_succ.get((obs, j), self.q_init) for j in successors))

    def _pick(self, table, obs, options, rng, epsilon) -> int:
        if rng is not None and rng.random() < epsilon:
            return int(options[int(rng.integers(len(options)))])
        vals = [table.get((obs, x), self.q_init) for x in options]
        return int(options[int(np.argmax(vals))])  # ties: the first option

    def act(self, obs, actions, rng=None, epsilon: float = 0.0) -> int:
        """ε-greedy local action (greedy when ``rng`` is None)."""
        return self._pick(self.q_loc, obs, list(actions), rng, epsilon)

    def choose(self, obs, successors, rng=None, epsilon: float = 0.0) -> int:
        """ε-greedy successor (greedy when ``rng`` is None)."""
        return self._pick(self.q_succ, obs, list(successors), rng, epsilon)

    # the two coupled updates -----------------------------------------------------------
    def learn_local(self, obs, a: int, target: float, alpha: float) -> None:
        """``Q^loc(o,a) ← Q^loc(o,a) + α (target − Q^loc(o,a))``."""
        self.q_loc[(obs, a)] = q_step(self.q_loc.get((obs, a), self.q_init), target, alpha)

    def learn_successor(self, obs, j: int, reward: float, discount: float, value: float | None,
                        alpha: float) -> None:
        """``Q^succ(o,j) ← Q^succ + α (R + γ^τ V_j − Q^succ)``; ``value`` None at END."""
        target = reward if value is None else smdp_target(reward, discount, value)
        self.q_succ[(obs, j)] = q_step(self.q_succ.get((obs, j), self.q_init), target, alpha)


def make_agents(env: AdaptableEnv, q_init: float = 0.0) -> list[AdaptableAgent]:
    """Fresh agents (every Q-value ``q_init``) for ``env``'s agents."""
    return [AdaptableAgent(name, q_init) for name in env.agents]


@dataclass(frozen=True, eq=False)
class AdaptableResult:
    """Trained adaptable agents and how they were obtained.

    ``returns`` holds each training episode's discounted return; ``truncated`` counts episodes
    cut at ``max_episode_steps``; ``note`` says that Theorem 1 does not apply.
    """

    agents: list[AdaptableAgent]
    returns: np.ndarray
    primitive_steps: int
    handoffs: int
    truncated: int
    config: AdaptableConfig
    method: str
    note: str = NOT_COVERED
    extra: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        """The result as JSON-ready data: the method, the totals, the configuration and
        :attr:`note` (the agents' tables are not included; they are keyed by user objects)."""
        n = len(self.returns)
        return {"method": self.method, "note": self.note, "episodes": n,
                "primitive_steps": int(self.primitive_steps), "handoffs": int(self.handoffs),
                "truncated": int(self.truncated),
                "mean_return": float(np.mean(self.returns)) if n else None,
                "config": {k: getattr(self.config, k) for k in self.config.__dataclass_fields__},
                "agents": [a.name for a in self.agents], "extra": dict(self.extra)}

    def __str__(self) -> str:
        d = self.to_json()
        mean = "n/a" if d["mean_return"] is None else f"{d['mean_return']:.4g}"
        return (f"{self.method}\n{d['episodes']} episodes, {d['handoffs']} handoffs, "
                f"{d['primitive_steps']} primitive steps ({d['truncated']} truncated); "
                f"mean discounted return {mean}\n{self.note}")


def _episode(env: AdaptableEnv, agents: list[AdaptableAgent], rng: np.random.Generator,
             config: AdaptableConfig | None, max_steps: int) -> tuple[float, int, int, bool]:
    """One episode; learns when ``config`` is given (ε-greedy), else runs greedily.

    Returns (discounted return, primitive steps, handoffs, truncated).
    """
    env.reset(rng)
    gamma = float(env.gamma)
    END = len(agents)
    eps = config.epsilon if config is not None else 0.0
    explore = rng if config is not None else None
    ret, disc, steps, handoffs = 0.0, 1.0, 0, 0
    while True:
        i = env.active()
        me = agents[i]
        o = env.observe()
        acts = list(env.local_actions())
        over = False
        while not over:
            a = me.act(o, acts, explore, eps)
            r, over = env.step_local(a)
            ret += disc * r
            disc *= gamma
            steps += 1
            o2 = env.observe()
            if over:
                js = list(env.successors())
                boot = me.successor_value(o2, js)
            else:
                acts = list(env.local_actions())
                boot = me.value(o2, acts)
            if config is not None:
                me.learn_local(o, a, smdp_target(r, gamma, boot), config.alpha)
            o = o2
            if steps >= max_steps:
                return ret, steps, handoffs, True
        j = me.choose(o, js, explore, eps)
        R, tau = env.handoff(j)
        ret += disc * R
        disc *= gamma**tau
        handoffs += 1
        if j == END:
            if config is not None:
                me.learn_successor(o, j, float(R), 0.0, None, config.alpha)
            return ret, steps, handoffs, False
        # the successor computes its value at its own observation and sends back one float
        succ = agents[j]
        v = succ.value(env.observe(), list(env.local_actions()))
        if config is not None:
            me.learn_successor(o, j, float(R), gamma**tau, v, config.alpha)


def train_adaptable(env: AdaptableEnv, config: AdaptableConfig = AdaptableConfig(), *,
                    agents: list[AdaptableAgent] | None = None) -> AdaptableResult:
    """Train adaptable agents on ``env`` for ``config.episodes`` episodes (paper §3).

    ``agents`` (default :func:`make_agents`) are updated in place and returned.
    """
    agents = make_agents(env, config.q_init) if agents is None else agents
    if len(agents) != len(env.agents):
        raise ValueError(f"agents: {len(agents)} given for {len(env.agents)} environment agents")
    rng = np.random.default_rng(config.seed)
    returns = np.empty(config.episodes)
    steps = handoffs = truncated = 0
    for e in range(config.episodes):
        ret, s, h, cut = _episode(env, agents, rng, config, config.max_episode_steps)
        returns[e] = ret
        steps, handoffs, truncated = steps + s, handoffs + h, truncated + int(cut)
    return AdaptableResult(
        agents=agents, returns=returns, primitive_steps=steps, handoffs=handoffs,
        truncated=truncated, config=config,
        method=(f"adaptable IC-Q (tabular Q^loc and Q^succ per agent, constant step "
                f"{config.alpha:g}, ε-greedy {config.epsilon:g}, initial value "
                f"{config.q_init:g}; one float per handoff)"))


def evaluate(env: AdaptableEnv, agents: list[AdaptableAgent], *, episodes: int = 200,
             seed: int = 12345, max_steps: int = 10_000) -> float:
    """Mean discounted return of the agents' greedy policies (ties to the first option).

    The environment is copied, so evaluation does not disturb a caller's environment.
    """
    env = copy.deepcopy(env)
    rng = np.random.default_rng(seed)
    return float(np.mean([_episode(env, agents, rng, None, max_steps)[0]
                          for _ in range(episodes)]))
