"""Decentralized policies of an epoch model and their exact values (docs/theory.md §2, Lemma P).

A table ``q`` over the model's observation pairs (what IC-Q learns) defines the greedy
decentralized policy ``π̂(ô) = argmax_j q(ô, j)``; lifted through σ it is a policy of the latent
SMDP, evaluated exactly there by :func:`icq.reference.exact.solve.evaluate`.

>>> from icq.reference.model import load, example_path
>>> m = load(example_path("ring-exact"))
>>> from icq.reference.exact.solve import solve
>>> from icq.reference.exact.induced import ais_model
>>> q_hat = solve(ais_model(m).smdp).q
>>> v = latent_value(m, greedy_obs_policy(m, q_hat))
>>> bool(abs(v - initial_value(m, solve(m.latent).v)) < 1e-9)
True
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from icq.reference.exact.solve import evaluate
from icq.reference.model import SMDP, EpochModel

__all__ = ["greedy_obs_policy", "lift_policy", "latent_value", "initial_value",
           "undiscounted_smdp", "greedy_successors"]


def greedy_obs_policy(model: EpochModel, q: np.ndarray) -> np.ndarray:
    """(n_obs_pairs,) one-hot ``π̂(j|ô)`` greedy in ``q`` (ties to the first successor)."""
    q = np.asarray(q, dtype=float)
    if q.shape != (model.n_obs_pairs,):
        raise ValueError(f"q: expected shape ({model.n_obs_pairs},), got {q.shape}")
    smdp = SMDP(model.obs_ptr, model.obs_succ, q, sp.csr_matrix((model.n_obs_pairs, 1)))
    pi = np.zeros(model.n_obs_pairs)
    pi[smdp.argmax(q)] = 1.0
    return pi


def greedy_successors(model: EpochModel, q: np.ndarray) -> dict[tuple[str, str], str]:
    """``{(agent, obs label): successor name}`` of the greedy policy of ``q``."""
    pi = greedy_obs_policy(model, q)
    out = {}
    for k in np.flatnonzero(pi):
        o = int(model.obs_pair_obs[k])
        out[model.obs_name(o)] = model.successor_name(int(model.obs_succ[k]))
    return out


def lift_policy(model: EpochModel, obs_policy: np.ndarray) -> np.ndarray:
    """(n_pairs,) ``π(j|y) = π(j|σ(y))``: a decentralized policy as a latent policy."""
    return np.asarray(obs_policy, dtype=float)[model.pair_obs_pair]


def initial_value(model: EpochModel, v: np.ndarray) -> float:
    """``Σ_y ν₀(y) v(y)``."""
    return float(model.initial @ np.asarray(v, dtype=float))


def latent_value(model: EpochModel, obs_policy: np.ndarray, smdp: SMDP | None = None) -> float:
    """Exact value from ν₀ of a decentralized policy in the latent SMDP (or in ``smdp``, an SMDP
    over the same latent pairs, e.g. :func:`undiscounted_smdp`)."""
    smdp = model.latent if smdp is None else smdp
    _, v = evaluate(smdp, lift_policy(model, obs_policy))
    return initial_value(model, v)


def undiscounted_smdp(model: EpochModel, reward: np.ndarray | None = None) -> SMDP:
    """The latent pairs with the *undiscounted* kernel ``P`` (and optionally other rewards).

    With a policy that ends every episode surely, evaluating it here gives expected totals,
    e.g. the probability of success when ``reward`` is the success indicator.
    """
    r = model.reward if reward is None else np.asarray(reward, dtype=float)
    return SMDP(model.pair_ptr, model.pair_succ, r, model.P)
