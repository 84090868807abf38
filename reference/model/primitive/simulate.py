"""Monte Carlo simulation of a primitive model step by step (docs/theory.md §1 and §4):
:func:`simulate` and the :class:`Invocations` it returns, to check the exact reduction against.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from icq.reference.common.rng import cdf
from icq.reference.model.parse import END
from icq.reference.model.primitive.model import PrimitiveICSMDP, freeze

__all__ = ["Invocations", "simulate"]


@dataclass(frozen=True, eq=False)
class Invocations:
    """Monte Carlo samples of invocations, one row each (docs/theory.md §1 and §4).

    Epoch states are rows ``(i, s, z, x_1..x_N)`` of length ``3 + N``.

    Attributes
    ----------
    state : (n, 3+N) int64, the epoch state ``y`` at the start of the invocation
    successor : (n,) int64, the committed successor ``j`` (``N`` is END)
    duration : (n,) int64, ``τ``: the primitive steps the invocation took
    reward : (n,) float64, ``R = Σ_{t<τ} γ^t r_t``
    next : (n, 3+N) int64, the next epoch state ``y'``; all ``-1`` when the episode ended
    seed, n_chains : how the stream was generated
    method : what was simulated
    """

    state: np.ndarray
    successor: np.ndarray
    duration: np.ndarray
    reward: np.ndarray
    next: np.ndarray
    seed: int
    n_chains: int
    method: str


def _draw(rng: np.random.Generator, cdf_rows: np.ndarray) -> np.ndarray:
    """One index per row of ``cdf_rows`` (k, K); never an index of probability 0."""
    u = 1.0 - rng.random(cdf_rows.shape[0])  # in (0, 1]
    return (cdf_rows < u[:, None]).sum(axis=1)


def _successor_index(model: PrimitiveICSMDP, successor: int | str) -> int:
    if isinstance(successor, str):
        names = [*model.agents, END]
        if successor not in names:
            raise ValueError(f"successor: {successor!r} is not an agent name or 'END'")
        return names.index(successor)
    if (isinstance(successor, bool) or not isinstance(successor, numbers.Integral)
            or not 0 <= successor <= model.n_agents):
        raise ValueError(f"successor: {successor!r} is not a successor index in "
                         f"0..{model.n_agents} (N = END) or a name")
    return int(successor)


def simulate(model: PrimitiveICSMDP, n_invocations: int, seed: int = 0, *,
             n_chains: int = 1024, start: Sequence[int] | None = None,
             successor: int | str | None = None) -> Invocations:
    """Simulate invocations of the primitive model step by step (docs/theory.md §1).

    Each invocation draws ``j`` (from ``π_b(·|i, o)`` unless ``successor`` is given), then
    repeats: ``a ~ π_i^loc(·|O_i(z, x_i))``, reward, ``(s, z, x_i) ~ P_i``, end with
    probability ``β_i`` (surely at ``T_max``). By default ``n_chains`` independent copies of the
    behaviour chain of docs/theory.md §4 run in lockstep: each starts from ``ν₀``, continues from
    ``y'`` and restarts from ``ν₀`` after an episode end; rows are ordered round by round.

    Parameters
    ----------
    model : the primitive model
    n_invocations : number of samples (≥ 1)
    seed : seed of ``numpy.random.default_rng``
    n_chains : parallel chains (≥ 1)
    start : an epoch state ``(i, s, z, x_1..x_N)``: every invocation starts there instead
    successor : with ``start``, the successor every invocation commits to (index or name);
        it must be admissible at ``start``

    Returns
    -------
    Invocations
    """
    n_ag, t_max, gamma = model.n_agents, model.T_max, model.gamma
    if (isinstance(n_invocations, bool) or not isinstance(n_invocations, numbers.Integral)
            or n_invocations < 1):
        raise ValueError(f"n_invocations: {n_invocations!r} must be an integer >= 1")
    if isinstance(n_chains, bool) or not isinstance(n_chains, numbers.Integral) or n_chains < 1:
        raise ValueError(f"n_chains: {n_chains!r} must be an integer >= 1")
    y0 = None
    if start is not None:
        y0 = np.asarray(start)
        if (y0.shape != (3 + n_ag,) or not np.issubdtype(y0.dtype, np.integer)
                or (y0 < 0).any() or (y0 >= np.array(model.epoch_shape)).any()):
            raise ValueError(f"start: {start!r} is not an epoch state (i, s, z, x_1..x_N) "
                             f"within {model.epoch_shape}")
        y0 = y0.astype(np.int64)
    j_fixed = None
    if successor is not None:
        if y0 is None:
            raise ValueError("successor: a fixed successor needs a fixed start state")
        j_fixed = _successor_index(model, successor)
        i0, o0 = int(y0[0]), model.observe(y0)
        if not model.successors[i0][o0, j_fixed]:
            raise ValueError(f"successor: {model.successor_name(j_fixed)!r} is not admissible "
                             f"for agent {model.agents[i0]!r} at observation "
                             f"{model.obs_labels[i0][o0]!r}")

    rng = np.random.default_rng(seed)
    n_c = int(min(n_chains, n_invocations))
    rounds = -(-int(n_invocations) // n_c)
    init_cdf = cdf(model.initial.ravel())
    obs_u = [model._obs_u(i) for i in range(n_ag)]
    pol_cdf = [cdf(p) for p in model.local_policy]
    beh_cdf = [cdf(b) for b in model.behavior]
    ker_cdf = [cdf(k.reshape(*k.shape[:5], -1)).reshape(model.local_size(i), k.shape[3],
                                                         k.shape[4], -1)
               for i, k in enumerate(model.kernel)]
    rew = [r.reshape(model.local_size(i), r.shape[3], r.shape[4])
           for i, r in enumerate(model.reward)]
    beta = [b.reshape(-1) for b in model.termination]

    def fresh(k: int) -> np.ndarray:
        if y0 is not None:
            return np.repeat(y0[None, :], k, axis=0)
        codes = _draw(rng, np.broadcast_to(init_cdf, (k, init_cdf.size)))
        return np.array(np.unravel_index(codes, model.epoch_shape), dtype=np.int64).T

    out_y = np.empty((rounds, n_c, 3 + n_ag), dtype=np.int64)
    out_j = np.empty((rounds, n_c), dtype=np.int64)
    out_tau = np.empty((rounds, n_c), dtype=np.int64)
    out_r = np.empty((rounds, n_c))
    out_next = np.empty_like(out_y)
    y = fresh(n_c)
    for k in range(rounds):
        nxt = y.copy()
        jj = np.empty(n_c, dtype=np.int64)
        tau = np.zeros(n_c, dtype=np.int64)
        ret = np.zeros(n_c)
        for i in range(n_ag):
            grp = np.flatnonzero(y[:, 0] == i)
            if grp.size == 0:
                continue
            o = model.observation[i][y[grp, 2], y[grp, 3 + i]]
            jj[grp] = j_fixed if j_fixed is not None else _draw(rng, beh_cdf[i][o])
            kj = jj[grp] if model.kernel[i].shape[4] > 1 else np.zeros(grp.size, np.int64)
            rj = jj[grp] if model.reward[i].shape[4] > 1 else np.zeros(grp.size, np.int64)
            u = model._local_index(i, y[grp, 1], y[grp, 2], y[grp, 3 + i])
            live = np.arange(grp.size)
            for t in range(t_max):
                uu = u[live]
                a = _draw(rng, pol_cdf[i][obs_u[i][uu]])
                ret[grp[live]] += gamma ** t * rew[i][uu, a, rj[live]]
                u[live] = _draw(rng, ker_cdf[i][uu, a, kj[live]])
                stop = rng.random(live.size) < beta[i][u[live]]
                if t + 1 == t_max:
                    stop[:] = True
                tau[grp[live[stop]]] = t + 1
                live = live[~stop]
                if live.size == 0:
                    break
            s1, z1, x1 = np.unravel_index(u, (model.n_latent, model.n_interface,
                                              model.n_private[i]))
            nxt[grp, 0], nxt[grp, 1], nxt[grp, 2], nxt[grp, 3 + i] = jj[grp], s1, z1, x1
        ended = jj == n_ag
        nxt[ended] = -1
        out_y[k], out_j[k], out_tau[k], out_r[k], out_next[k] = y, jj, tau, ret, nxt
        if y0 is not None:
            y = fresh(n_c)
        else:
            y = nxt
            if ended.any():
                y[ended] = fresh(int(ended.sum()))

    n_out = int(n_invocations)

    def flat(a: np.ndarray) -> np.ndarray:
        return freeze(a.reshape(rounds * n_c, *a.shape[2:])[:n_out].copy())

    mode = ("i.i.d. invocations from a fixed start" if y0 is not None else
            "behaviour chain (docs/theory.md §4), restarts from ν₀ after END")
    return Invocations(flat(out_y), flat(out_j), flat(out_tau), flat(out_r), flat(out_next),
                       seed=seed, n_chains=n_c,
                       method=f"Monte Carlo of the primitive model, {mode}")
