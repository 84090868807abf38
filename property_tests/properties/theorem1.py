"""Theorem 1 against the learner it is about (docs/theory.md §6): projected neural IC-Q with
linear networks, its mean squared error over seeds against the audit's bound.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from icq.bounds import audit
from icq.bounds.theorem import theorem1
from icq.property_tests.properties.common import fail, per_model
from icq.reference.exact.chain import mu_squared_error, pair_weights
from icq.reference.model import EpochModel

__all__ = ["Theorem1Check", "constant_encoding", "theorem1_empirical"]


def constant_encoding(model: EpochModel, agent: int) -> np.ndarray:
    """The observation encoding ``x(ô) = 1`` for every observation of ``agent``: with a linear
    network (depth 0, no bias) ``Q(ô, j) = W_i[j]``, one parameter per (agent, successor)."""
    return np.ones((int((np.asarray(model.obs_agent) == agent).sum()), 1))


@dataclass(frozen=True)
class Theorem1Check:
    """MSE of projected IC-Q over seeds against Theorem 1 at T handoffs (docs/theory.md §6)."""

    applicable: bool
    reason: str
    handoffs: int
    seeds: int
    mse: float | None = None
    se: float | None = None
    bound: float | None = None
    asymptote: float | None = None
    holds: bool = True


def theorem1_empirical(model: EpochModel, *, handoffs: int = 500, seeds: int = 6,
                       encoding: Callable[[EpochModel, int], np.ndarray] = constant_encoding,
                       z: float = 3.0, asymptote_only: bool = False) -> Theorem1Check:
    """Theorem 1 against the learner it is about (docs/theory.md §6): a documented NEGATIVE
    EXAMPLE of a property, kept for that reason and not run by
    :func:`icq.property_tests.check.check_model`.

    No learner can fail it: where the audit says Theorem 1 applies, the bound is about 10⁹
    times the observed error (the mixing residual dominates at any T a test can run), so the
    property holds for a learner that never moves as well as for one that converges
    (``property_tests/tests/test_learning.py`` shows both). What it can catch is a bound too
    small to be one (its control, ``asymptote_only``); whether the learner learns is
    :func:`~icq.property_tests.properties.convergence.tabular_convergence`'s question.

    The learner is neural IC-Q (:mod:`icq.reference.learners.neural`) with linear networks (depth 0,
    no bias) over ``encoding``: ``Q = Φθ`` exactly, Φ its tangent features. The audit
    (:func:`icq.bounds.audit` with that Φ) decides whether Theorem 1 applies and gives κ, ω, R_θ and
    the bound at T = ``handoffs``. Where it applies, projected SGD with the theorem's steps ``α_t =
    1/((1−κ)ω(t+1))``, the joint projection onto ``‖θ‖ ≤ R_θ`` and the averaged iterate θ̄_T runs
    for ``seeds`` seeds, and the mean over seeds of ``‖Q_θ̄_T∘σ − Q*‖²_μ`` (over (y, j) ~ μ ⊗ π_b)
    must be at most the bound with every Δ of §3 (the tightest, Δ_exact, included) plus ``z``
    standard errors of that mean.

    Where the theorem does not apply, returns ``applicable=False`` with the audit's reason.
    ``asymptote_only=True`` is a NEGATIVE CONTROL: the bound without its mixing residual
    (``3C_F²ε_approx² + 3Δ_exact²``), which a finite run does not reach.
    """
    # torch: the [neural] extra, only for the network learners
    from icq.reference.learners.neural import NeuralConfig, tangent_features, train_neural_batch

    name = "theorem1_empirical"
    tf = tangent_features(model, width=1, depth=0, bias=False, encoding=encoding)
    shared = per_model(model, "bounds_setting", dict)  # one setting for every encoding
    a = audit(model, features=tf.Phi, feature_kind="linear", handoffs=handoffs,
              setting=shared.get("setting"))
    shared["setting"] = a.setting
    th = a.theorem
    if not th.applicable:
        return Theorem1Check(False, th.reason, handoffs, seeds)
    inp = th.inputs
    radius = max(float(inp["R_theta"]), 1e-9)
    # θ* = 0: any positive radius is admissible. The learner below starts from ν₀ with no
    # burn-in: re-evaluate at t_b = 0 with d(0) = ½‖ν₀ − μ‖₁ (docs/theory.md §6).
    d0 = float(a.start_distances[0]) if a.start_distances is not None else 1.0
    th = theorem1(handoffs, kappa=inp["kappa"], omega=inp["omega"],
                  eps_approx=inp["eps_approx"], C_F=inp["C_F"], gaps=a.gaps(),
                  R_bar=model.R_bar, R_theta=radius, tau=a.mixing.tau,
                  applicable=True, reason=th.reason, burn_in=0, d_burn=min(d0, 1.0))
    cfg = NeuralConfig(handoffs=handoffs, width=1, depth=0, bias=False, optimizer="sgd",
                       schedule="theory", kappa=inp["kappa"], omega=inp["omega"],
                       radius=radius / tf.scale, projection="joint", average=True)
    res = train_neural_batch(model, cfg, seeds=range(seeds), encoding=encoding)
    mu = a.setting.stationary.mu
    w = pair_weights(model, mu)
    # Theorem 1 (docs/theory.md §6, corrected) is about the averaged iterate θ̄_T
    err = mu_squared_error(res.q, a.setting.latent.q, w, model.pair_obs_pair)
    mse = float(err.mean())
    se = float(err.std(ddof=1) / math.sqrt(len(err))) if len(err) > 1 else 0.0
    bound = min(b for b in th.bound_by_gap.values() if b is not None)
    asym = th.terms["approximation"] + 3.0 * a.gap_exact.value ** 2
    claim = asym if asymptote_only else bound
    if mse - z * se > claim * (1 + 1e-9) + 1e-12:
        what = ("3C_F²ε_approx² + 3Δ_exact² (no mixing residual)" if asymptote_only
                else "the Theorem 1 bound (tightest Δ)")
        raise fail(name, f"mean over {seeds} seeds of ‖Q_θ̄_T∘σ − Q*‖²_μ = {mse:.6g} "
                    f"(se {se:.3g}) > {what} = {claim:.6g} at T = {handoffs} "
                    f"(κ = {inp['kappa']:.4g}, ω = {inp['omega']:.4g}, R_θ = {radius:.4g})")
    return Theorem1Check(True, th.reason, handoffs, seeds, mse, se, bound, asym)
