"""Tabular IC-Q converges to ``Q̂*_μ`` of the AIS-induced SMDP under the stationary μ
(docs/theory.md §2), with two negative controls (a learner that ignores durations, a frozen one).
"""

from __future__ import annotations

import numpy as np

from icq.property_tests.properties.common import Checked, fail
from icq.property_tests.properties.reductions import unit_durations
from icq.reference.exact.chain import obs_pair_weights, stationary
from icq.reference.exact.induced import ais_model
from icq.reference.exact.solve import solve
from icq.reference.learners.tabular import TrainConfig, train_tabular
from icq.reference.model import EpochModel

__all__ = ["tabular_convergence"]


def tabular_convergence(model: EpochModel, *, handoffs: int = 400_000, seed: int = 0,
                        tol: float = 0.05, ignore_durations: bool = False,
                        frozen: bool = False) -> Checked:
    """Tabular IC-Q with the behaviour policy converges to ``Q̂*_μ`` of the AIS-induced SMDP
    under the stationary μ (docs/theory.md §2): after ``handoffs`` handoffs the μ-weighted RMS error
    ``‖Q − Q̂*_μ‖_μ`` over the support of μ ⊗ π_b is at most ``tol·(1 + ‖Q̂*_μ‖∞)``.

    Needs a uniformly ergodic behaviour chain (raises ValueError otherwise).
    ``ignore_durations=True`` is a NEGATIVE CONTROL: a learner that discounts every handoff by
    γ instead of γ^τ (IC-Q run on the model with τ ≡ 1), compared with the true ``Q̂*_μ``.
    ``frozen=True`` is a NEGATIVE CONTROL: a learner that never moves (Q ≡ Q₀ = 0).
    """
    name = "tabular_convergence"
    st = stationary(model)
    if not st.ergodic:
        raise ValueError(f"{name}: the behaviour chain is not uniformly ergodic ({st.reason})")
    hat = solve(ais_model(model).smdp).q
    learner_model = unit_durations(model) if ignore_durations else model
    q = (np.zeros(model.n_obs_pairs) if frozen
         else train_tabular(learner_model, TrainConfig(handoffs=handoffs, seed=seed)).q)
    w = obs_pair_weights(model, st.mu)
    w = w / w.sum()
    err = float(np.sqrt(w @ (q - hat) ** 2))
    bound = tol * (1.0 + float(np.abs(hat).max()))
    if err > bound:
        raise fail(name, f"‖Q − Q̂*_μ‖_μ = {err:.4g} > {bound:.4g} after {handoffs} handoffs"
                    + (" (learner ignores durations)" if ignore_durations else "")
                    + (" (frozen learner)" if frozen else ""))
    return Checked(name, err, bound, f"{handoffs} handoffs, seed {seed}")
