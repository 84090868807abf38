r"""The A6-free sup-norm route for tabular IC-Q (docs/theory.md §8): its ingredients, and why
no number is shipped.

Tabular IC-Q with constant step α is the stochastic approximation ``x ← x + α(F(x, Y_k) − x)``
with Markov noise ``Y_k = (y_k, j_k, τ_k, R_k, y_{k+1})``. Its averaged operator is
``F̄ = NĤ + (I − N)``, ``N = diag(μ ⊗ π_b)`` on the observation pairs, with fixed point
``Q̂*_μ`` and sup-norm contraction factor

    β = 1 − N_min (1 − γ̂),   γ̂ = max_{(ô,j)} Σ_{ô'} K̂(ô'|ô,j) ≤ γ̄,

(:data:`BETA`), one sample's discount ``γ^τ ≤ γ^{τ_min}`` (the per-sample operator's Lipschitz
constant), and the noise mixes within ``t_α ≤ τ_mix(α) + 1``. Chen, Maguluri, Shakkottai &
Shanmugam (2021, arXiv:2102.01567) bound such an iteration in mean square in sup norm, through
a generalized Moreau envelope whose constants (the smoothing parameters, the norm-equivalence
constants of the envelope and the numerical factors of their Theorem 2.1 and Q-learning
corollary) come from their appendix.

Status: **not shipped**. The source could not be read where this module was written (only its
abstract was reachable); the numerical constants as remembered cannot be checked, and a
finite-sample bound with a wrong constant is not sound. :func:`a6free_terms` computes every
ingredient that is ours (β, N_min, γ̂, γ^{τ_min}); :func:`icq.bounds.budget.theorem_budgets`
reports the row as ``blocked`` with :data:`BLOCKED_REASON`. Such a bound would be loose in any
case: β is within N_min(1 − γ̂) of 1, and N_min is small on any model with many pairs.

>>> from icq.reference.model import load, example_path
>>> t = a6free_terms(load(example_path("ring-exact")))
>>> 0 < t.N_min <= 1 and t.gamma_hat < 1 and t.beta == 1 - t.N_min * (1 - t.gamma_hat)
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from icq.bounds import symbolic as S
from icq.reference.exact.chain import obs_pair_weights, stationary
from icq.reference.exact.induced import ais_model
from icq.reference.model import EpochModel

__all__ = ["A6FreeTerms", "BETA", "BLOCKED_REASON", "a6free_terms"]

#: β = 1 − N_min (1 − γ̂), defined once in :mod:`icq.bounds.symbolic`
BETA = S.BETA

BLOCKED_REASON = (
    "A6-free theorem not shipped: the numerical constants of Chen, Maguluri, Shakkottai & "
    "Shanmugam (2021, arXiv:2102.01567, Theorem 2.1 and its Q-learning corollary; generalized "
    "Moreau envelope constants from their appendix) could not be read from the source, and "
    "constants that cannot be checked give no sound bound; its ingredients are computed "
    "(details: N_min, γ̂, β = 1 − N_min(1 − γ̂), γ^τ_min)")


@dataclass(frozen=True)
class A6FreeTerms:
    """The ingredients of the A6-free route (docs/theory.md §8).

    Attributes
    ----------
    N_min : the smallest ``μ⊗π_b`` weight over observation pairs (0: some pair is never
        updated, and F̄ does not contract there)
    gamma_hat : the largest row mass of K̂
    beta : ``1 − N_min(1 − γ̂)`` (:data:`BETA`)
    gamma_tau_min : ``γ^{τ_min}``, the largest discount one sample can carry
    outside : observation pairs with zero weight
    method : how they were computed
    """

    N_min: float  # noqa: N815
    gamma_hat: float
    beta: float
    gamma_tau_min: float
    outside: int
    method: str


def a6free_terms(model: EpochModel, mu: np.ndarray | None = None) -> A6FreeTerms:
    """N_min, γ̂, β and γ^{τ_min} for ``model`` under μ (default: stationary) (docs/theory.md §8).
    """
    if mu is None:
        st = stationary(model)
        if not st.ergodic:
            raise ValueError(f"mu: the behaviour chain is not uniformly ergodic ({st.reason})")
        mu = st.mu
    w = obs_pair_weights(model, mu)
    n_min = float(w.min()) if len(w) else 0.0
    g_hat = ais_model(model, mu).smdp.gamma_bar
    beta = S.evaluate(BETA, N_min=max(n_min, 1e-300), gamma_hat=g_hat)
    return A6FreeTerms(N_min=n_min, gamma_hat=g_hat, beta=beta,
                       gamma_tau_min=float(model.gamma ** int(model.out_dur.min())),
                       outside=int((w <= 0).sum()),
                       method="N = μ⊗π_b summed over σ⁻¹(ô); γ̂ = max row mass of K̂ under μ")
