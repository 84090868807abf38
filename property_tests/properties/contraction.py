"""Lemma C: the Bellman optimality operator is a γ̄-contraction (docs/theory.md §1), for the
latent model and for the AIS-induced model, with its negative control
(:func:`per_handoff_discount_operator`, a γ per handoff where an SMDP discounts by ``γ^τ``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from icq.property_tests.properties.common import Checked, fail, scaled_tol
from icq.reference.exact.induced import ais_model
from icq.reference.model import EpochModel

__all__ = ["bellman_contraction", "per_handoff_discount_operator"]


def per_handoff_discount_operator(model: EpochModel) -> Callable[[np.ndarray], np.ndarray]:
    """WRONG ON PURPOSE (a negative control): ``Tq = r̄ + γ·P·max q``, discounting each handoff
    by γ where an SMDP discounts by ``γ^τ``. It is not a γ̄-contraction when durations exceed 1.
    """
    smdp, P, r, g = model.latent, model.P, model.reward, model.gamma
    return lambda q: r + g * (P @ smdp.vmax(q))


def bellman_contraction(model: EpochModel, q1: np.ndarray, q2: np.ndarray, *,
                        operator: Callable[[EpochModel], Callable] | None = None) -> Checked:
    """Lemma C on one pair: ``‖Tq₁ − Tq₂‖∞ ≤ γ̄ ‖q₁ − q₂‖∞`` for the latent Bellman optimality
    operator (docs/theory.md §1), and the same for the AIS-induced model with its own γ̄̂ ≤ γ̄.

    Parameters
    ----------
    q1, q2 : (n_pairs,) arbitrary action-value vectors
    operator : a factory ``model ↦ T`` to check instead of the latent operator (negative
        controls pass :func:`per_handoff_discount_operator`)
    """
    name = "bellman_contraction"
    q1, q2 = np.asarray(q1, float), np.asarray(q2, float)
    T = model.latent.bellman if operator is None else operator(model)
    g = model.gamma_bar
    lhs = float(np.max(np.abs(T(q1) - T(q2)), initial=0.0))
    dist = float(np.max(np.abs(q1 - q2), initial=0.0))
    slack = scaled_tol(model.R_bar, np.abs(q1).max(initial=0), np.abs(q2).max(initial=0))
    if lhs > g * dist + slack:
        raise fail(name, f"‖Tq − Tq'‖∞ = {lhs:.12g} > γ̄‖q − q'‖∞ = {g:.12g} × {dist:.12g} = "
                    f"{g * dist:.12g}")
    if operator is None:  # the AIS-induced model's operator, on the σ-averages of q₁, q₂
        hat = ais_model(model).smdp
        if hat.gamma_bar > g + 1e-12:
            raise fail(name, f"the AIS model's γ̄̂ = {hat.gamma_bar!r} exceeds γ̄ = {g!r}")
        cnt = np.bincount(model.pair_obs_pair, minlength=model.n_obs_pairs)
        h1, h2 = (np.bincount(model.pair_obs_pair, q, minlength=model.n_obs_pairs) / cnt
                  for q in (q1, q2))
        lhs_h = float(np.max(np.abs(hat.bellman(h1) - hat.bellman(h2)), initial=0.0))
        rhs_h = hat.gamma_bar * float(np.max(np.abs(h1 - h2), initial=0.0))
        if lhs_h > rhs_h + slack:
            raise fail(name, f"AIS model: ‖T̂q − T̂q'‖∞ = {lhs_h:.12g} > γ̄̂‖q − q'‖∞ = "
                        f"{rhs_h:.12g}")
    return Checked(name, lhs, g * dist, f"γ̄ = {g:.6g}, ‖q − q'‖∞ = {dist:.6g}")
