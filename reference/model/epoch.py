"""The epoch model (docs/theory.md §1; FORMAT.md ``icsmdp-epoch/1``): :class:`EpochModel`, its
sizes, the derived arrays (``r̄``, ``K``, ``K₂``, ``P``) and the round trip to a document.

The notation is that of :mod:`icq.reference.model`; models are built by
:func:`~icq.reference.model.load`, :func:`~icq.reference.model.from_dict` or
:func:`~icq.reference.model.from_arrays`, which validate them.

>>> from icq.reference.model import load, example_path
>>> m = load(example_path("ring-exact"))
>>> [m.successor_name(j) for j in m.pair_succ]
['b', 'b', 'END', 'a']
>>> m.reward.tolist()
[0.0, 0.5, 1.0, 0.1]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import scipy.sparse as sp

from icq.reference.model.parse import END, FORMAT
from icq.reference.model.smdp import SMDP

__all__ = ["EpochModel"]


@dataclass(frozen=True, eq=False)
class EpochModel:
    """A validated epoch-level IC-SMDP (notation: :mod:`icq.reference.model`).

    Build it with :func:`~icq.reference.model.load` or :func:`~icq.reference.model.from_dict`;
    the arrays are read-only views of the file, indexed by integers.
    """

    name: str
    gamma: float
    agents: tuple[str, ...]
    state_ids: tuple[str, ...]
    state_agent: np.ndarray  # (n,) int64
    state_obs: np.ndarray  # (n,) int64, σ(y)
    obs_agent: np.ndarray  # (n_obs,) int64
    obs_labels: tuple[str, ...]  # (n_obs,)
    obs_ptr: np.ndarray  # (n_obs+1,) int64
    obs_succ: np.ndarray  # (n_obs_pairs,) int64
    initial: np.ndarray  # (n,) float64, ν₀
    behavior: np.ndarray  # (n_obs_pairs,) float64, π_b(j|ô)
    pair_ptr: np.ndarray  # (n+1,) int64
    pair_obs_pair: np.ndarray  # (n_pairs,) int64
    out_ptr: np.ndarray  # (n_pairs+1,) int64
    out_prob: np.ndarray  # (n_out,) float64
    out_dur: np.ndarray  # (n_out,) int64
    out_rew: np.ndarray  # (n_out,) float64
    out_next: np.ndarray  # (n_out,) int64, -1 = episode ends
    source: dict[str, Any] = field(repr=False, default_factory=dict)

    # -- sizes ---------------------------------------------------------------------------
    @property
    def n_agents(self) -> int:
        return len(self.agents)

    @property
    def END(self) -> int:  # noqa: N802 - the successor index of END
        return len(self.agents)

    @property
    def n_states(self) -> int:
        return len(self.state_ids)

    @property
    def n_obs(self) -> int:
        return len(self.obs_labels)

    @property
    def n_pairs(self) -> int:
        return len(self.pair_obs_pair)

    @property
    def n_obs_pairs(self) -> int:
        return len(self.obs_succ)

    def successor_name(self, j: int) -> str:
        return END if j == self.END else self.agents[j]

    def pair_rows(self, values: np.ndarray) -> list[dict]:
        """One ``{state, successor, q}`` row per latent pair, ``q`` from ``values``."""
        return [{"state": self.state_ids[y], "successor": self.successor_name(j), "q": float(v)}
                for y, j, v in zip(self.pair_state, self.pair_succ, values, strict=True)]

    def obs_pair_rows(self, values: np.ndarray) -> list[dict]:
        """One ``{agent, obs, successor, q}`` row per observation pair, ``q`` from ``values``."""
        return [{"agent": self.agents[self.obs_agent[o]], "obs": self.obs_labels[o],
                 "successor": self.successor_name(j), "q": float(v)}
                for o, j, v in zip(self.obs_pair_obs, self.obs_succ, values, strict=True)]

    # -- derived arrays --------------------------------------------------------------------
    @cached_property
    def pair_state(self) -> np.ndarray:
        """(n_pairs,) the latent state ``y`` of each pair."""
        return np.repeat(np.arange(self.n_states), np.diff(self.pair_ptr))

    @cached_property
    def pair_succ(self) -> np.ndarray:
        """(n_pairs,) the successor ``j`` of each pair."""
        return self.obs_succ[self.pair_obs_pair]

    @cached_property
    def obs_pair_obs(self) -> np.ndarray:
        """(n_obs_pairs,) the observation ``ô`` of each observation pair."""
        return np.repeat(np.arange(self.n_obs), np.diff(self.obs_ptr))

    @cached_property
    def out_pair(self) -> np.ndarray:
        """(n_out,) the pair each outcome belongs to."""
        return np.repeat(np.arange(self.n_pairs), np.diff(self.out_ptr))

    @cached_property
    def reward(self) -> np.ndarray:
        """(n_pairs,) ``r̄(y,j) = Σ prob·reward``."""
        return np.bincount(self.out_pair, self.out_prob * self.out_rew, minlength=self.n_pairs)

    def _continuation(self, weight: np.ndarray) -> sp.csr_matrix:
        cont = self.out_next >= 0
        return sp.csr_matrix(
            (weight[cont], (self.out_pair[cont], self.out_next[cont])),
            shape=(self.n_pairs, self.n_states),
        )

    @cached_property
    def obs_pair_index(self) -> dict[tuple[str, str, str], int]:
        """``(agent, observation, successor)`` names → observation-pair index."""
        return {(*self.obs_name(int(o)), self.successor_name(int(j))): p
                for p, (o, j) in enumerate(zip(self.obs_pair_obs, self.obs_succ, strict=True))}

    @cached_property
    def out_discount(self) -> np.ndarray:
        """(n_outcomes,) ``γ^τ`` of each outcome (read-only): the discount every learner and
        every bound applies to the successor's value."""
        disc = self.gamma ** self.out_dur.astype(float)
        disc.flags.writeable = False
        return disc

    @cached_property
    def K(self) -> sp.csr_matrix:  # noqa: N802
        """(n_pairs, n) CSR ``K(y'|y,j) = Σ prob·γ^τ·1{next=y'}``."""
        return self._continuation(self.out_prob * self.out_discount)

    @cached_property
    def K2(self) -> sp.csr_matrix:  # noqa: N802
        """(n_pairs, n) CSR ``E[γ^{2τ} 1{Y'=y'} | y,j]`` (for A6, docs/theory.md §5)."""
        return self._continuation(self.out_prob * self.gamma ** (2.0 * self.out_dur))

    @cached_property
    def P(self) -> sp.csr_matrix:  # noqa: N802
        """(n_pairs, n) CSR ``P(Y'=y' | y,j)`` (undiscounted)."""
        return self._continuation(self.out_prob)

    @cached_property
    def p_end(self) -> np.ndarray:
        """(n_pairs,) probability that the episode ends during the invocation."""
        return np.bincount(self.out_pair, self.out_prob * (self.out_next < 0),
                           minlength=self.n_pairs)

    @cached_property
    def latent(self) -> SMDP:
        """The latent decision-epoch SMDP (the centralized oracle's model)."""
        return SMDP(self.pair_ptr, self.pair_succ, self.reward, self.K)

    @cached_property
    def gamma_bar(self) -> float:
        """``γ̄`` (docs/theory.md §1)."""
        return self.latent.gamma_bar

    @cached_property
    def T_max(self) -> int:  # noqa: N802
        return int(self.out_dur.max())

    @cached_property
    def R_bar(self) -> float:  # noqa: N802
        return float(np.abs(self.out_rew).max())


    @cached_property
    def obs_states(self) -> sp.csr_matrix:
        """(n, n_obs) CSR indicator ``1{σ(y) = ô}``."""
        return sp.csr_matrix((np.ones(self.n_states), (np.arange(self.n_states), self.state_obs)),
                             shape=(self.n_states, self.n_obs))

    def obs_name(self, o: int) -> tuple[str, str]:
        return self.agents[self.obs_agent[o]], self.obs_labels[o]

    def lift(self, obs_pair_values: np.ndarray) -> np.ndarray:
        """Compose a function of ``(ô, j)`` with σ: ``(y, j) ↦ f(σ(y), j)``."""
        return np.asarray(obs_pair_values)[self.pair_obs_pair]

    # -- round trip --------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The model as an ``icsmdp-epoch/1`` document (loads back to an equal model)."""
        ids = self.state_ids
        succ = {}
        behavior = {}
        for o in range(self.n_obs):
            a, label = self.obs_name(o)
            sl = slice(self.obs_ptr[o], self.obs_ptr[o + 1])
            names = [self.successor_name(j) for j in self.obs_succ[sl]]
            succ.setdefault(a, {})[label] = names
            behavior.setdefault(a, {})[label] = {
                nm: float(p) for nm, p in zip(names, self.behavior[sl], strict=True)}
        transitions = []
        for k in range(self.n_pairs):
            y = self.pair_state[k]
            sl = slice(self.out_ptr[k], self.out_ptr[k + 1])
            transitions.append({
                "state": ids[y],
                "successor": self.successor_name(self.pair_succ[k]),
                "outcomes": [
                    {"prob": float(p), "duration": int(d), "reward": float(r),
                     "next": None if nx < 0 else ids[nx]}
                    for p, d, r, nx in zip(self.out_prob[sl], self.out_dur[sl],
                                           self.out_rew[sl], self.out_next[sl], strict=True)
                ],
            })
        return {
            "format": FORMAT,
            "name": self.name,
            "gamma": self.gamma,
            "agents": list(self.agents),
            "states": [{"id": ids[y], "agent": self.agents[self.state_agent[y]],
                        "obs": self.obs_labels[self.state_obs[y]]} for y in range(self.n_states)],
            "initial": {ids[y]: float(p) for y, p in enumerate(self.initial) if p > 0},
            "successors": succ,
            "transitions": transitions,
            "behavior": behavior,
        }
