"""The solved setting every term of :mod:`icq.bounds` reads (docs/theory.md §1–§2, §4).

One :class:`Setting` holds, for an epoch model (notation of :mod:`icq.reference.model`):

- the behaviour chain's stationary law μ and its ergodicity verdict (§4);
- the AIS-induced SMDP ``(r̂, K̂)`` under μ (§2; uniform μ(y|ô) where μ is undefined);
- ``Q*`` of the latent SMDP and ``Q̂*`` of the AIS-induced SMDP, both solved exactly (Lemma C);
- the pushforward ``σ#K(·|y,j)`` and the lifted ``K̂(·|σ(y),j)``, both (n_pairs, n_obs) CSR.

Building it once lets every term share the two exact solves.

>>> from icq.reference.model import load, example_path
>>> s = prepare(load(example_path("ring-exact")))
>>> s.push.shape, round(float(s.hat.v[0]), 6)
((4, 3), 0.847442)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from icq.reference.exact.chain import Stationary, stationary
from icq.reference.exact.induced import AISModel, ais_model
from icq.reference.exact.solve import Solution, policy_iteration
from icq.reference.model import SMDP, EpochModel

__all__ = ["Setting", "prepare", "exact_solve"]

def exact_solve(smdp: SMDP) -> Solution:
    """``Q*`` of ``smdp`` by policy iteration with exact evaluations (Lemma C):
    :func:`icq.reference.exact.solve.policy_iteration`, whose result records its method and the
    computed residual ``‖TQ − Q‖∞``."""
    return policy_iteration(smdp)


@dataclass(frozen=True, eq=False)
class Setting:
    """The exact solutions and kernels shared by the terms (see the module docstring).

    Attributes
    ----------
    model : the epoch model
    stationary : the behaviour chain's stationary law and ergodicity verdict (§4)
    ais : the AIS-induced SMDP and the weighting μ it was built from (§2)
    latent : ``Q*`` (exact), pairs as ``model.latent``
    hat : ``Q̂*`` (exact), pairs as the model's observation pairs
    push : (n_pairs, n_obs) CSR ``σ#K(ô'|y,j) = Σ_{y'∈σ⁻¹(ô')} K(y'|y,j)``
    khat : (n_pairs, n_obs) CSR ``K̂(ô'|σ(y),j)``
    """

    model: EpochModel
    stationary: Stationary
    ais: AISModel
    latent: Solution
    hat: Solution
    push: sp.csr_matrix
    khat: sp.csr_matrix

    @property
    def mu(self) -> np.ndarray | None:
        """μ, the stationary law, or None when the behaviour chain is not uniformly ergodic."""
        return self.stationary.mu

    @property
    def gamma_bar(self) -> float:
        return self.model.gamma_bar


def prepare(model: EpochModel, *, weights: np.ndarray | None = None) -> Setting:
    """Solve everything the terms share (docs/theory.md §1–§2, §4).

    Parameters
    ----------
    model : the epoch model
    weights : optional latent weighting μ for the AIS model (default: the stationary law of the
        behaviour chain; uniform μ(y|ô) when the chain is not uniformly ergodic, as in
        :func:`icq.reference.exact.induced.ais_model`)
    """
    st = stationary(model)
    if weights is None and st.ergodic:
        ais = ais_model(model, st.mu)
        ais = AISModel(smdp=ais.smdp, weights=ais.weights, cond=ais.cond,
                       method="μ = stationary law of the behaviour chain (docs/theory.md §4)")
    else:
        ais = ais_model(model, weights if weights is not None
                        else np.ones(model.n_states))
        if weights is None:
            ais = AISModel(smdp=ais.smdp, weights=ais.weights, cond=ais.cond,
                           method="μ uniform on each σ⁻¹(ô): behaviour chain not uniformly "
                           f"ergodic ({st.reason})")
    latent = exact_solve(model.latent)
    hat = exact_solve(ais.smdp)
    push = (model.K @ model.obs_states).tocsr()
    khat = ais.smdp.K[model.pair_obs_pair].tocsr()
    return Setting(model=model, stationary=st, ais=ais, latent=latent, hat=hat, push=push,
                   khat=khat)
