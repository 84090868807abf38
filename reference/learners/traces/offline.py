"""Offline IC-Q (docs/traces.md; the update of docs/theory.md §2): tabular IC-Q replayed over
logged handoffs, in file order, against the observation pairs of a model.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numba import njit

from icq.reference.learners.handoffs import STEP_MODES, q_step, smdp_target, step_size
from icq.reference.learners.traces.format import Line
from icq.reference.model import EpochModel, ModelError

__all__ = ["ReplayResult", "offline_icq", "replay_arrays"]


@dataclass(frozen=True, eq=False)
class ReplayResult:
    """Tabular IC-Q replayed over logged handoffs (observation pairs of ``model``).

    q : (n_obs_pairs,) the table; visits : (n_obs_pairs,) updates per entry; lines : handoffs
    in the log; passes : times the log was replayed; method : how it was computed
    """

    q: np.ndarray
    visits: np.ndarray
    lines: int
    passes: int
    method: str = ("offline tabular IC-Q: the logged handoffs replayed in file order; each "
                   "update uses R, γ^τ and V_j(o') = max_b Q(o', b) read from the successor's "
                   "own table (0 at END); α_n = 1/n^ω per entry")


def _replay_kernel():
    # the online learner's target and step (docs/theory.md §2), compiled into this loop
    target, move, alpha = (njit(inline="always")(f) for f in (smdp_target, q_step, step_size))
    harmonic = STEP_MODES["harmonic"]  # α_n = 1/n^ω per entry

    @njit(cache=True)
    def run(q, visits, a, nxt, disc, rew, obs_ptr, omega, passes):  # pragma: no cover
        for _ in range(passes):
            for i in range(a.shape[0]):
                o2 = nxt[i]
                v = 0.0
                if o2 >= 0:  # the successor's value, from the successor's own table row
                    v = q[obs_ptr[o2]]
                    for b in range(obs_ptr[o2] + 1, obs_ptr[o2 + 1]):
                        if q[b] > v:
                            v = q[b]
                k = a[i]
                visits[k] += 1.0
                q[k] = move(q[k], target(rew[i], disc[i], v),
                            alpha(visits[k], 0, harmonic, omega, 0.0))

    return run


def replay_arrays(model: EpochModel, lines: Iterable[Line]
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per line: the acting observation pair, the next observation (−1 at END), ``γ^τ``, R.

    Raises ModelError naming the line when its (agent, obs, successor) or next (agent, obs)
    is not in ``model``.
    """
    pairs = model.obs_pair_index
    obs = {model.obs_name(o): o for o in range(model.n_obs)}
    a, nx, dur, rew = array("q"), array("q"), array("d"), array("d")
    for i, ln in enumerate(lines, 1):
        k = pairs.get((ln.state[0], ln.state[1], ln.successor))
        if k is None:
            raise ModelError([f"line {i}: successor: ({ln.state[0]!r}, {ln.state[1]!r}) → "
                              f"{ln.successor!r} is not an observation pair of the model"])
        o2 = -1 if ln.next is None else obs.get((ln.next[0], ln.next[1]))
        if o2 is None:
            raise ModelError([f"line {i}: next_obs: ({ln.next[0]!r}, {ln.next[1]!r}) is not an "
                              "observation of the model"])
        a.append(k)
        nx.append(o2)
        dur.append(ln.duration)
        rew.append(ln.reward)
    return (np.frombuffer(a, dtype=np.int64), np.frombuffer(nx, dtype=np.int64),
            model.gamma ** np.frombuffer(dur), np.frombuffer(rew))


def offline_icq(model: EpochModel, lines: Iterable[Line], *, passes: int = 1,
                omega: float = 0.7) -> ReplayResult:
    """Offline IC-Q over logged handoffs (docs/traces.md; the update of docs/theory.md §2).

    Each line updates its own entry ``Q(ô, j) ← Q + α_n (R + γ^τ V_j(ô') − Q)``, where
    ``V_j(ô')`` is computed from the successor agent's own table entries: exactly the online
    update, on the logged sample path. Replayed ``passes`` times, it converges to the fixed
    point of the empirical AIS Bellman operator of the log, which is the fitted model's Q̂*
    when σ is injective and tends to it as the log grows otherwise.
    """
    if not isinstance(passes, int) or passes < 1:
        raise ValueError(f"passes: {passes!r} must be an integer >= 1")
    if not 0.5 < omega <= 1.0:
        raise ValueError(f"omega: {omega} outside (0.5, 1] (Robbins–Monro)")
    a, nx, disc, rew = replay_arrays(model, lines)
    q = np.zeros(model.n_obs_pairs)
    visits = np.zeros(model.n_obs_pairs)
    _replay_kernel()(q, visits, a, nx, disc, rew, np.ascontiguousarray(model.obs_ptr),
                     float(omega), int(passes))
    return ReplayResult(q=q, visits=visits, lines=len(a), passes=passes)
