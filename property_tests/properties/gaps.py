"""Lemma A and Lemma P (docs/theory.md §3): the AIS gaps :mod:`icq.bounds` computes are
ordered, bound the greedy policy's loss and agree with an independent computation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from icq.bounds.ais import (
    ais_gap_exact,
    ais_gap_paper,
    ais_gap_statewise,
    ais_gap_value_aware,
    delta_l1,
    policy_loss_bound,
    policy_loss_exact,
    reward_sufficiency,
)
from icq.bounds.setting import prepare
from icq.property_tests.properties.common import ais_pieces, fail
from icq.reference.exact.solve import solve
from icq.reference.model import EpochModel

__all__ = ["GapChain", "ais_bound_soundness"]


@dataclass(frozen=True)
class GapChain:
    """The four AIS gaps, the exact policy loss and its bounds, as :mod:`icq.bounds` computed
    them (docs/theory.md §3)."""

    exact: float
    statewise: float
    value_aware: float
    paper: float
    policy_loss: float
    loss_bounds: dict[str, float]
    holds: bool = True


def ais_bound_soundness(model: EpochModel, *, horizon_factor: bool = True) -> GapChain:
    """Lemma A and Lemma P on one model, with the numbers of :mod:`icq.bounds` (docs/theory.md §3):

    - ``Δ_exact ≤ max e ≤ Δ_va ≤ Δ_AIS`` (total variation, paper form);
    - the exact loss of the greedy decentralized policy is at most each of its bounds:
      ``2Δ`` for Δ_AIS, Δ_va and the state-wise bound, ``2Δ_exact/(1−γ̄)`` for Δ_exact;
    - cross-checks against an independent computation: ε, ``d = max‖σ#K − K̂‖₁`` and Δ_exact
      (both optima solved here by :func:`~icq.reference.exact.solve.solve`) agree to 1e-8.

    NEGATIVE CONTROL: ``horizon_factor=False`` uses the paper form without its ``1/(1−γ̄)``,
    ``ε + γ̄ L_V δ``, as the bound on Δ_exact.
    """
    name = "ais_bound_soundness"
    s = prepare(model)
    g = model.gamma_bar
    eps = reward_sufficiency(s).value
    tv = delta_l1(s)
    paper = ais_gap_paper(eps, tv.delta, tv.L_V, g)
    va, sw, ex = ais_gap_value_aware(s), ais_gap_statewise(s), ais_gap_exact(s)
    loss = policy_loss_exact(s).value
    bounds = {gp.form: policy_loss_bound(gp, g).value for gp in (paper, va, sw, ex)}
    scale = 1.0 + float(np.abs(s.latent.q).max(initial=0.0)) + model.R_bar
    slack = 1e-9 * scale

    # independent cross-checks
    weights = s.ais.weights
    r_err, _, L1, ais = ais_pieces(model, np.zeros(model.n_obs), weights)
    q, qhat = solve(model.latent).q, solve(ais.smdp).q
    mine = {"ε": (float(r_err.max(initial=0.0)), eps),
            "d_TV": (float(L1.max(initial=0.0)), tv.d_max),
            "Δ_exact": (float(np.abs(q - qhat[model.pair_obs_pair]).max(initial=0.0)),
                        ex.value)}
    for what, (a, b) in mine.items():
        if abs(a - b) > 1e-8 * scale:
            raise fail(name, f"{what} = {b!r} from icq.bounds differs from an independent "
                        f"computation {a!r}")

    top = paper.value if horizon_factor else eps + g * tv.L_V * tv.delta
    chain = [("Δ_exact", ex.value), ("state-wise max e", sw.value),
             ("Δ_va", va.value), ("Δ_AIS" if horizon_factor else "ε + γ̄ L_V δ", top)]
    if not horizon_factor:
        chain = [chain[0], chain[-1]]
    for (n1, a), (n2, b) in zip(chain, chain[1:], strict=False):
        if a > b + slack:
            raise fail(name, f"{n1} = {a:.12g} > {n2} = {b:.12g} (γ̄ = {g:.6g}, ε = {eps:.6g}, "
                        f"δ = {tv.delta:.6g}, L_V = {tv.L_V:.6g})")
    for what, b in ((f"its bound from Δ {form}", b) for form, b in bounds.items()):
        if loss > b + slack:
            raise fail(name, f"exact policy loss max(V* − V^π̂) = {loss:.12g} > {what} = "
                        f"{b:.12g}")
    return GapChain(ex.value, sw.value, va.value, paper.value, loss, bounds)
