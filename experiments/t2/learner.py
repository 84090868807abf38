"""Projected IC-Q with Theorem 1's step sizes and iterate averaging, one-hot features.

THEORY.md §6 analyses this learner:
``θ ← Π_{R_θ}(θ + α_t (R + γ^τ max_b θ(ô', b) − θ(ô, j)) φ(ô, j))`` with
``α_t = 1/((1−κ)ω(t+1))``, the projection onto the Euclidean ball of radius ``R_θ``, and the
averaged iterate ``θ̄_T = (1/T) Σ_t θ_t`` (THEORY.md §6), or the last iterate ``θ_T`` (what the
cited theorem bounds, and what :mod:`icq.bounds` now implements). Both are returned. With
one-hot features ``θ`` is the table over
observation pairs. The library's :func:`icq.reference.tabular.train_tabular` runs the same
update with per-entry steps ``1/n^ω`` and no projection or averaging; this module exists so that
T2 compares Theorem 1's envelope with the algorithm it is about.

>>> from icq.reference.model import load, example_path
>>> m = load(example_path("ring-exact"))
>>> last, avg = projected_icq(m, 20_000, kappa=0.5, omega=0.2, radius=10.0, seed=0)
>>> last.shape == avg.shape == (m.n_obs_pairs,)
True
"""

from __future__ import annotations

import math

import numpy as np
from icq.reference.model import EpochModel
from icq.reference.rng import next_double, seed_state
from icq.reference.tabular import block_cdf
from numba import njit

__all__ = ["projected_icq"]


@njit(cache=True)
def _pick(cdf, lo, hi, u):
    for i in range(lo, hi):
        if u < cdf[i]:
            return i
    return hi - 1


@njit(cache=True)
def _run(T, rs, theta, state_obs, obs_ptr, beh_cdf, pair_ptr, out_ptr, out_cdf, out_disc,  # noqa: N803
         out_rew, out_next, init_cdf, kappa, omega, radius):
    n_par = theta.shape[0]
    acc = np.zeros(n_par)
    last = np.zeros(n_par)
    norm2 = 0.0
    for b in range(n_par):
        norm2 += theta[b] * theta[b]
    n_states = init_cdf.shape[0]
    y = _pick(init_cdf, 0, n_states, next_double(rs))
    c = 1.0 / ((1.0 - kappa) * omega)
    for t in range(T):
        o = state_obs[y]
        lo = obs_ptr[o]
        a = _pick(beh_cdf, lo, obs_ptr[o + 1], next_double(rs))
        k = pair_ptr[y] + (a - lo)
        x = _pick(out_cdf, out_ptr[k], out_ptr[k + 1], next_double(rs))
        nxt = out_next[x]
        if nxt < 0:
            target = out_rew[x]
            y = _pick(init_cdf, 0, n_states, next_double(rs))
        else:
            o2 = state_obs[nxt]
            v = theta[obs_ptr[o2]]
            for b in range(obs_ptr[o2] + 1, obs_ptr[o2 + 1]):
                if theta[b] > v:
                    v = theta[b]
            target = out_rew[x] + out_disc[x] * v
            y = nxt
        acc[a] += theta[a] * (t - last[a])
        last[a] = t
        new = theta[a] + c / (t + 1.0) * (target - theta[a])
        norm2 += new * new - theta[a] * theta[a]
        theta[a] = new
        if norm2 > radius * radius:
            # every value held so far is accounted for; from step t on the scaled values hold
            scale = radius / math.sqrt(norm2)
            for b in range(n_par):
                acc[b] += theta[b] * (t - last[b])
                last[b] = t
                theta[b] *= scale
            norm2 = radius * radius
    for b in range(n_par):
        acc[b] += theta[b] * (T - last[b])
    return theta, acc / T


def projected_icq(model: EpochModel, T: int, *, kappa: float, omega: float, radius: float,  # noqa: N803
                  seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The last iterate θ_T and the averaged iterate θ̄_T of projected IC-Q after ``T``
    handoffs under π_b.

    Raises
    ------
    ValueError
        Unless ``0 ≤ κ < 1``, ``ω > 0``, ``radius > 0`` and ``T ≥ 1`` (Theorem 1's hypotheses on
        the step size).
    """
    if not (0.0 <= kappa < 1.0 and omega > 0 and radius > 0 and T >= 1):
        raise ValueError(f"projected_icq: need 0 <= kappa < 1, omega > 0, radius > 0, T >= 1; "
                         f"got kappa={kappa}, omega={omega}, radius={radius}, T={T}")
    rs = seed_state(seed)
    return _run(int(T), rs, np.zeros(model.n_obs_pairs), np.ascontiguousarray(model.state_obs),
                np.ascontiguousarray(model.obs_ptr), block_cdf(model.behavior, model.obs_ptr),
                np.ascontiguousarray(model.pair_ptr), np.ascontiguousarray(model.out_ptr),
                block_cdf(model.out_prob, model.out_ptr),
                model.gamma ** model.out_dur.astype(float), np.ascontiguousarray(model.out_rew),
                np.ascontiguousarray(model.out_next),
                block_cdf(model.initial, np.array([0, model.n_states])), float(kappa),
                float(omega), float(radius))
