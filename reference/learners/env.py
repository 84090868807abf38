"""A PettingZoo AEC environment for an IC-SMDP (docs/theory.md §1–§2; extra ``env``).

PettingZoo's agent–environment cycle (AEC) lets exactly one agent act at a time, which is the
IC-SMDP seen at its decision epochs: the active agent ``i`` observes ``o = O_i(z, x_i)`` and
commits to a successor ``j ∈ J_i(o)``; the world then runs the invocation and reports
``(τ, R, y')``. In :class:`ICSMDPEnv`:

- ``agent_selection`` is the active agent;
- the action is the index of the chosen successor in ``successors`` (the agents, then
  ``END`` at index ``N``), a ``Discrete(N + 1)``;
- the observation is the dict ``{"observation", "action_mask"}``: ``observation`` is the agent's
  own observation only, never the latent state — its index among its own labels
  (``observation_labels(agent)``), or that index one-hot; ``action_mask`` (1-D ``int8``,
  length ``N + 1``) marks ``J_i(o)``. Only the active agent observes: any other agent sees
  "nothing" (index ``-1``, or the zero vector) and an all-zero mask;
- the reward of the acting agent is the invocation's option reward ``R = Σ_{t<τ} γ^t r_t``;
- ``infos[agent]`` carries ``"tau"`` (``τ``) and ``"discount"`` (``γ^τ``), the SMDP discount,
  for which Gymnasium has no field;
- the successor ``END`` terminates every agent (``terminations`` all true); with
  ``max_handoffs`` an episode is truncated after that many handoffs;
- ``observation_space(a)`` and ``action_space(a)`` return the same object on every call.
  All agents share one observation space (``max_i n_obs_i`` observation indices), so that
  PettingZoo's checks see homogeneous agents.

The world behind the environment is :class:`icq.reference.learners.runtime.World` for an epoch model
and :class:`PrimitiveWorld` (step-by-step primitive simulation) for a primitive model; both follow
the world protocol of ``docs/worlds.md``. ``state()`` is not provided: the latent state never leaves
the world.

>>> from icq.reference.model import load, example_path
>>> env = ICSMDPEnv(load(example_path("ring-exact")))
>>> env.reset(seed=0)
>>> obs, reward, terminated, truncated, info = env.last()
>>> sorted(obs)
['action_mask', 'observation']
>>> env.action_space(env.agent_selection) is env.action_space(env.agent_selection)
True
"""

from __future__ import annotations

from typing import Any

import gymnasium
import numpy as np
from pettingzoo import AECEnv

from icq.reference.common.rng import Xoshiro, cdf, draw_index
from icq.reference.learners.runtime import World
from icq.reference.model import END, EpochModel
from icq.reference.model.primitive import PrimitiveICSMDP

__all__ = ["ICSMDPEnv", "PrimitiveWorld", "env"]

OBSERVATIONS = ("index", "onehot")


def _draw(rng: Xoshiro, row: np.ndarray) -> int:
    """One index of a cumulative row (never one of probability 0)."""
    return draw_index(row, rng.random())


class PrimitiveWorld:
    """A world that simulates a primitive model step by step (docs/theory.md §1).

    ``reset()`` draws ``y = (i, s, z, x_1..x_N)`` from ``ν₀``; ``invoke(successor)`` runs the active
    agent's invocation committed to ``successor``: local actions from ``π_i^loc``, rewards, the
    kernel ``P_i``, termination ``β_i`` (surely at ``T_max``). It returns ``(τ, R, (next agent, its
    observation label))``, or ``(τ, R, None)`` when the successor is ``END``. Its law of ``(τ, R,
    y')`` is the one :func:`~icq.reference.model.primitive.reduce_to_epoch` computes exactly.
    """

    def __init__(self, model: PrimitiveICSMDP, rng: Xoshiro):
        self._m = model
        self._rng = rng
        self._names = (*model.agents, END)
        self._init_cdf = cdf(model.initial.ravel())
        self._obs_u = [model._obs_u(i) for i in range(model.n_agents)]
        self._pol = [cdf(p) for p in model.local_policy]
        self._ker = [cdf(k.reshape(model.local_size(i), k.shape[3], k.shape[4], -1))
                     for i, k in enumerate(model.kernel)]
        self._rew = [r.reshape(model.local_size(i), r.shape[3], r.shape[4])
                     for i, r in enumerate(model.reward)]
        self._beta = [b.reshape(-1) for b in model.termination]
        self._y: list[int] | None = None

    def _view(self) -> tuple[str, str]:
        m, y = self._m, self._y
        i = y[0]
        return m.agents[i], m.obs_labels[i][m.observe(y)]

    def reset(self) -> tuple[str, str]:
        """Start an episode from ν₀; returns (active agent, its observation label)."""
        code = _draw(self._rng, self._init_cdf)
        self._y = [int(v) for v in np.unravel_index(code, self._m.epoch_shape)]
        return self._view()

    def invoke(self, successor: str) -> tuple[int, float, tuple[str, str] | None]:
        """Run the active agent's invocation ending in a handoff to ``successor``."""
        m, y, rng = self._m, self._y, self._rng
        if y is None:
            raise RuntimeError("invoke before reset (or after the episode ended)")
        i = y[0]
        o = m.observe(y)
        j = self._names.index(successor) if successor in self._names else -1
        if j < 0 or not m.successors[i][o, j]:
            raise ValueError(f"successor {successor!r} is not admissible for agent "
                             f"{m.agents[i]!r} at observation {m.obs_labels[i][o]!r}")
        kj = j if m.kernel[i].shape[4] > 1 else 0
        rj = j if m.reward[i].shape[4] > 1 else 0
        u = int(m._local_index(i, np.int64(y[1]), np.int64(y[2]), np.int64(y[3 + i])))
        ret, tau = 0.0, m.T_max
        for t in range(m.T_max):
            a = _draw(rng, self._pol[i][self._obs_u[i][u]])
            ret += m.gamma ** t * float(self._rew[i][u, a, rj])
            u = _draw(rng, self._ker[i][u, a, kj])
            if rng.random() < self._beta[i][u] or t + 1 == m.T_max:
                tau = t + 1
                break
        if j == m.END:
            self._y = None
            return tau, ret, None
        s1, z1, x1 = np.unravel_index(u, (m.n_latent, m.n_interface, m.n_private[i]))
        y = list(y)
        y[0], y[1], y[2], y[3 + i] = j, int(s1), int(z1), int(x1)
        self._y = y
        return tau, ret, self._view()


def _interface(model: EpochModel | PrimitiveICSMDP
               ) -> tuple[tuple[str, ...], dict[str, tuple[str, ...]], dict[str, np.ndarray]]:
    """Per agent: its observation labels and the (n_obs_i, N+1) int8 admissibility masks."""
    agents = tuple(model.agents)
    n = len(agents)
    if isinstance(model, PrimitiveICSMDP):
        labels = {a: tuple(model.obs_labels[i]) for i, a in enumerate(agents)}
        masks = {a: model.successors[i].astype(np.int8) for i, a in enumerate(agents)}
        return agents, labels, masks
    lab: dict[str, list[str]] = {a: [] for a in agents}
    rows: dict[str, list[np.ndarray]] = {a: [] for a in agents}
    for o in range(model.n_obs):
        a, label = model.obs_name(o)
        row = np.zeros(n + 1, dtype=np.int8)
        row[model.obs_succ[model.obs_ptr[o]:model.obs_ptr[o + 1]]] = 1
        lab[a].append(label)
        rows[a].append(row)
    masks = {a: np.array(rows[a], dtype=np.int8).reshape(-1, n + 1) for a in agents}
    return agents, {a: tuple(v) for a, v in lab.items()}, masks


class ICSMDPEnv(AECEnv):
    """The PettingZoo AEC environment of an epoch or primitive IC-SMDP (see the module).

    Parameters
    ----------
    model : an :class:`~icq.reference.model.EpochModel` or a
        :class:`~icq.reference.model.primitive.PrimitiveICSMDP`
    observation : ``"index"`` (``Discrete(n + 1, start=-1)``, ``-1`` = nothing observed) or
        ``"onehot"`` (``Box(0, 1, (n,), int8)``, the zero vector = nothing observed), with
        ``n = max_i n_obs_i``
    max_handoffs : truncate an episode after this many handoffs (None: never)
    render_mode : None or ``"ansi"`` (``render()`` returns one line of text)
    """

    metadata = {"name": "icsmdp_v0", "render_modes": ["ansi"], "is_parallelizable": False}

    def __init__(self, model: EpochModel | PrimitiveICSMDP, *, observation: str = "index",
                 max_handoffs: int | None = None, render_mode: str | None = None):
        super().__init__()
        if not isinstance(model, EpochModel | PrimitiveICSMDP):
            raise TypeError(f"model: {type(model).__name__} is not an EpochModel or a "
                            "PrimitiveICSMDP")
        if observation not in OBSERVATIONS:
            raise ValueError(f"observation: {observation!r} is not one of "
                             f"{', '.join(OBSERVATIONS)}")
        if max_handoffs is not None and max_handoffs < 1:
            raise ValueError(f"max_handoffs: {max_handoffs} must be >= 1")
        if render_mode not in (None, *self.metadata["render_modes"]):
            raise ValueError(f"render_mode: {render_mode!r} is not None or 'ansi'")
        self._model = model
        self._encoding = observation
        self._max_handoffs = max_handoffs
        self.render_mode = render_mode
        self.gamma = float(model.gamma)
        agents, self._labels, self._masks = _interface(model)
        self.possible_agents = list(agents)
        #: successor names by action index: the agents, then END
        self.successors = (*agents, END)
        self._n_obs = max(len(v) for v in self._labels.values())
        mask_space = gymnasium.spaces.Box(0, 1, (len(self.successors),), np.int8)
        if observation == "index":
            inner = gymnasium.spaces.Discrete(self._n_obs + 1, start=-1)
        else:
            inner = gymnasium.spaces.Box(0, 1, (self._n_obs,), np.int8)
        self._obs_spaces = {a: gymnasium.spaces.Dict({"observation": inner,
                                                      "action_mask": mask_space})
                            for a in agents}
        self._act_spaces = {a: gymnasium.spaces.Discrete(len(self.successors)) for a in agents}
        self._world: World | PrimitiveWorld | None = None
        self._current: tuple[str, int] | None = None
        self._handoffs = 0

    # -- spaces and naming -------------------------------------------------------------
    def observation_space(self, agent: str) -> gymnasium.spaces.Dict:
        return self._obs_spaces[agent]

    def action_space(self, agent: str) -> gymnasium.spaces.Discrete:
        return self._act_spaces[agent]

    def observation_labels(self, agent: str) -> tuple[str, ...]:
        """``agent``'s own observation labels, by observation index."""
        return self._labels[agent]

    # -- the cycle ---------------------------------------------------------------------
    def _new_world(self, seed: int) -> World | PrimitiveWorld:
        rng = Xoshiro(seed)
        if isinstance(self._model, PrimitiveICSMDP):
            return PrimitiveWorld(self._model, rng)
        return World(self._model, rng)

    def _activate(self, view: tuple[str, str]) -> None:
        agent, label = view
        self._current = (agent, self._labels[agent].index(label))
        self.agent_selection = agent

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> None:
        """Start an episode; ``seed`` restarts the world's generator (None: continue it)."""
        if seed is not None:
            self._world = self._new_world(int(seed))
        elif self._world is None:
            self._world = self._new_world(int(np.random.SeedSequence().entropy % 2**63))
        self.agents = list(self.possible_agents)
        self.rewards = {a: 0.0 for a in self.agents}
        self._cumulative_rewards = {a: 0.0 for a in self.agents}
        self.terminations = {a: False for a in self.agents}
        self.truncations = {a: False for a in self.agents}
        self.infos = {a: {} for a in self.agents}
        self._handoffs = 0
        self._activate(self._world.reset())

    def observe(self, agent: str) -> dict[str, np.ndarray]:
        mask = np.zeros(len(self.successors), dtype=np.int8)
        o = -1
        if self._current is not None and self._current[0] == agent:
            o = self._current[1]
            mask[:] = self._masks[agent][o]
        if self._encoding == "index":
            obs = np.array(o, dtype=np.int64)
        else:
            obs = np.zeros(self._n_obs, dtype=np.int8)
            if o >= 0:
                obs[o] = 1
        return {"observation": obs, "action_mask": mask}

    def step(self, action: int | np.integer | None) -> None:
        agent = self.agent_selection
        if self.terminations[agent] or self.truncations[agent]:
            self._was_dead_step(action)
            return
        _, o = self._current
        a = -1 if action is None else int(action)
        if not (0 <= a < len(self.successors) and self._masks[agent][o, a]):
            allowed = [s for s, ok in zip(self.successors, self._masks[agent][o], strict=True)
                       if ok]
            raise ValueError(f"action: {action!r} is not an admissible successor index for "
                             f"agent {agent!r} at observation {self._labels[agent][o]!r} "
                             f"(admissible: {allowed})")
        self._cumulative_rewards[agent] = 0.0
        tau, reward, nxt = self._world.invoke(self.successors[a])
        self._handoffs += 1
        self.rewards = {x: 0.0 for x in self.agents}
        self.rewards[agent] = float(reward)
        self.infos = {x: {} for x in self.agents}
        self.infos[agent] = {"tau": int(tau), "discount": self.gamma ** int(tau)}
        if nxt is None:
            self._current = None
            self.terminations = {x: True for x in self.agents}
        else:
            self._activate(nxt)  # on truncation the successor still sees its observation
            if self._max_handoffs is not None and self._handoffs >= self._max_handoffs:
                self.truncations = {x: True for x in self.agents}
        if nxt is None or self.truncations[agent]:
            self.agent_selection = agent  # the agent that ended the episode steps out first
        self._accumulate_rewards()

    def render(self) -> str | None:
        """One line: the active agent and its observation label (``render_mode="ansi"``)."""
        if self.render_mode is None:
            return None
        if self._current is None:
            return "episode over"
        agent, o = self._current
        return f"{agent} observes {self._labels[agent][o]!r}"

    def close(self) -> None:
        """Nothing to release."""


def env(model: EpochModel | PrimitiveICSMDP, **kwargs: Any) -> ICSMDPEnv:
    """:class:`ICSMDPEnv` (PettingZoo's conventional constructor name)."""
    return ICSMDPEnv(model, **kwargs)

