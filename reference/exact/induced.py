"""The AIS-induced SMDP on the disjoint union of observations (docs/theory.md §2).

With a weighting μ on latent states and ``μ(y|ô) = μ(y)/μ(σ⁻¹(ô))`` (uniform on ``σ⁻¹(ô)``
where μ gives ``ô`` no mass):

- ``r̂(ô,j) = Σ_{y∈σ⁻¹(ô)} μ(y|ô) r̄(y,j)``
- ``K̂(ô'|ô,j) = Σ_{y∈σ⁻¹(ô)} μ(y|ô) Σ_{y'∈σ⁻¹(ô')} K(y'|y,j)``

and ``Q̂*`` solves the Bellman equation of ``(r̂, K̂)``. A decentralized policy (``π_i: o ↦ j``)
is a policy of this SMDP (policy correspondence); its pairs are the model's observation pairs.

>>> from icq.reference.model import load, example_path
>>> m = load(example_path("ring-exact"))
>>> a = ais_model(m)
>>> a.smdp.n, a.smdp.n_pairs
(3, 4)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from icq.reference.exact.chain import stationary
from icq.reference.model import SMDP, EpochModel

__all__ = ["AISModel", "ais_model", "conditional_weights", "aggregation_matrix"]


@dataclass(frozen=True, eq=False)
class AISModel:
    """The AIS-induced SMDP and the weighting it was built from.

    Attributes
    ----------
    smdp : SMDP over observations; pairs are the model's observation pairs
    weights : (n,) the latent weighting μ used
    cond : (n,) ``μ(y|σ(y))``
    method : how μ was obtained
    """

    smdp: SMDP
    weights: np.ndarray
    cond: np.ndarray
    method: str


def conditional_weights(model: EpochModel, weights: np.ndarray) -> np.ndarray:
    """(n,) ``μ(y|σ(y))``; uniform on ``σ⁻¹(ô)`` where ``μ(σ⁻¹(ô)) = 0``."""
    w = np.asarray(weights, dtype=float)
    mass = np.bincount(model.state_obs, w, minlength=model.n_obs)
    count = np.bincount(model.state_obs, minlength=model.n_obs)
    m_y = mass[model.state_obs]
    return np.where(m_y > 0, w / np.where(m_y > 0, m_y, 1.0), 1.0 / count[model.state_obs])


def aggregation_matrix(model: EpochModel, cond: np.ndarray) -> sp.csr_matrix:
    """(n_obs_pairs, n_pairs) CSR ``W[(ô,j), (y,j)] = μ(y|ô)`` for ``σ(y) = ô``."""
    return sp.csr_matrix((cond[model.pair_state], (model.pair_obs_pair, np.arange(model.n_pairs))),
                         shape=(model.n_obs_pairs, model.n_pairs))


def ais_model(model: EpochModel, weights: np.ndarray | None = None) -> AISModel:
    """The AIS-induced SMDP under ``weights`` (default: the behaviour chain's stationary μ)."""
    if weights is None:
        st = stationary(model)
        if st.ergodic:
            weights, method = st.mu, "μ = stationary law of the behaviour chain (docs/theory.md §4)"
        else:
            weights = np.ones(model.n_states)
            method = ("μ uniform on each σ⁻¹(ô): behaviour chain not uniformly ergodic "
                      f"({st.reason})")
    else:
        weights = np.asarray(weights, dtype=float)
        if weights.shape != (model.n_states,) or (weights < 0).any():
            raise ValueError("weights: expected a nonnegative vector over latent states")
        method = "μ given by the caller"
    cond = conditional_weights(model, weights)
    W = aggregation_matrix(model, cond)
    r_hat = W @ model.reward
    K_hat = (W @ model.K @ model.obs_states).tocsr()
    smdp = SMDP(ptr=model.obs_ptr, succ=model.obs_succ, reward=np.asarray(r_hat), K=K_hat)
    return AISModel(smdp=smdp, weights=weights, cond=cond, method=method)
