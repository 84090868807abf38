"""Projected IC-Q with Theorem 1's step sizes and iterate averaging, one-hot features.

docs/theory.md §6 analyses this learner:
``θ ← Π_{R_θ}(θ + α_t (R + γ^τ max_b θ(ô', b) − θ(ô, j)) φ(ô, j))`` with
``α_t = 1/((1−κ)ω(t+1))``, the projection onto the Euclidean ball of radius ``R_θ``, and the
averaged iterate ``θ̄_T`` (docs/theory.md §6) or the last iterate ``θ_T`` (what the cited theorem
bounds, and what :mod:`icq.bounds` implements). With one-hot features ``θ`` is the table over
observation pairs, so this is the library's compiled learner
(:func:`icq.reference.learners.tabular.train_tabular`) with ``step="theory"``, ``radius`` and
``average``.

>>> from icq.reference.model import load, example_path
>>> m = load(example_path("ring-exact"))
>>> last, avg = projected_icq(m, 20_000, kappa=0.5, omega=0.2, radius=10.0, seed=0)
>>> last.shape == avg.shape == (m.n_obs_pairs,)
True
"""

from __future__ import annotations

import numpy as np

from icq.reference.learners.tabular import TrainConfig, train_tabular
from icq.reference.model import EpochModel

__all__ = ["projected_icq"]


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
    if T < 1:
        raise ValueError(f"projected_icq: need T >= 1, got T={T}")
    res = train_tabular(model, TrainConfig(handoffs=int(T), seed=seed, step="theory",
                                           kappa=kappa, feature_omega=omega, radius=radius,
                                           average=True), chunk=max(int(T), 1))
    return res.q, res.q_average
