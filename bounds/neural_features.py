"""Theorem 1's feature terms for neural IC-Q's tangent features (``icq audit --features neural``).

:func:`neural_feature_terms` builds each agent's network, its tangent features
(:func:`icq.reference.learners.neural.tangent_features`) in the span of the support rows, runs the
audit on them and measures the linearisation error on the trust region (A4) beside the
theorem's terms; :class:`NeuralFeatureTerms` holds the result.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from icq.bounds.auditor import Audit
from icq.bounds.auditor import audit as run_audit
from icq.bounds.features import support
from icq.bounds.setting import prepare
from icq.reference.learners.neural.networks import Encoding, build_networks
from icq.reference.learners.neural.options import PROJECTIONS
from icq.reference.learners.neural.tangent import (
    SPAN_METHOD,
    LinearisationError,
    TangentFeatures,
    linearisation_error,
    support_span,
    tangent_features,
)
from icq.reference.model import EpochModel

__all__ = ["NeuralFeatureTerms", "neural_feature_terms"]


@dataclass(frozen=True, eq=False)
class NeuralFeatureTerms:
    """Theorem 1's feature terms for a network's tangent features, with the A4 error beside them.

    Attributes
    ----------
    features : the :class:`~icq.reference.learners.neural.TangentFeatures` Φ
        (n_obs_pairs, d_total)
    Phi_audit : (n_obs_pairs, r) ``Φ V`` with V an orthonormal basis of the span of the support
        rows, one block per agent: the same linearised learner in the only directions it moves
        (see :func:`~icq.reference.learners.neural.reduce_to_support_span`); this is what the
        audit receives
    kind : ``"linear"`` for depth 0 (the network is exactly linear in θ, so A3–A4 hold) or
        ``"tangent"`` (A3–A4 not checkable from Φ; the measured error is beside)
    audit : the :class:`icq.bounds.Audit` for ``Phi_audit`` (ω, κ, ε_approx, C_F, θ*, Theorem 1)
    radius : R_θ in parameter units (``R_θ / s``) for the trust region, None if θ* is undefined;
        radius_features : R_θ in feature units (the audit's certified bound on ‖θ*‖)
    linearisation : the measured :class:`~icq.reference.learners.neural.LinearisationError` on
        that trust region, or None
    notes : what the numbers do and do not cover
    """

    features: TangentFeatures
    Phi_audit: np.ndarray
    kind: str
    audit: Audit
    radius: float | None
    radius_features: float | None
    projection: str
    linearisation: LinearisationError | None
    notes: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """The ``neural`` block for ``icq audit --features neural`` (beside ``audit.to_json()``)."""
        tf, lin = self.features, self.linearisation
        return {
            "width": tf.width, "depth": tf.depth, "seed": tf.seed, "activation": tf.activation,
            "kind": self.kind, "feature_scale": tf.scale, "d_total": tf.d_total,
            "d_audit": int(self.Phi_audit.shape[1]),
            "n_params": [b - a for a, b in tf.blocks],
            "projection": self.projection, "R_theta_parameters": self.radius,
            "R_theta_features": self.radius_features,
            "linearisation_error": None if lin is None else {
                "max_abs": lin.max_abs, "per_agent": list(lin.per_agent),
                "radius": lin.radius, "per_agent_radius": lin.per_agent_radius,
                "samples": lin.samples, "method": lin.method},
            "method": {"features": tf.method, "audit_features": SPAN_METHOD},
            "notes": list(self.notes),
        }


def neural_feature_terms(model: EpochModel, width: int = 64, depth: int = 2, seed: int = 0, *,
                         activation: str = "relu", bias: bool = True,
                         encoding: Encoding | None = None, projection: str = "joint",
                         radius: float | None = None, samples: int = 256,
                         sample_seed: int = 0, **audit_options: Any) -> NeuralFeatureTerms:
    """Theorem 1's terms for neural IC-Q's tangent features (``icq audit --features neural``).

    Builds the networks (as :func:`~icq.reference.learners.neural.train_neural` does for
    ``seed``), their tangent features Φ (:func:`~icq.reference.learners.neural.tangent_features`),
    reduces Φ to the span of the support rows
    (:func:`~icq.reference.learners.neural.reduce_to_support_span`) and runs
    :func:`icq.bounds.audit` on it, which gives ω, κ, ε_approx, C_F, θ* and Theorem 1
    (docs/theory.md §5–§6). Then measures the linearisation error of the networks on the trust
    region (A4, :func:`~icq.reference.learners.neural.linearisation_error`).

    Parameters
    ----------
    model, width, depth, seed, activation, bias, encoding : the networks
    projection : the trust region: ``"joint"`` (default; docs/theory.md §6, ``‖θ − θ₀‖ ≤ R_θ``) or
        ``"agent"`` (per-agent balls ``R_θ/√N``; then ``R_θ = √N·max_i ‖θ*_i‖`` bounds)
    radius : R_θ in parameter units; default: the smallest certified one from θ*
    samples, sample_seed : the A4 measurement
    audit_options : passed to :func:`icq.bounds.audit` (``handoffs``, ``metric``,
        ``obs_metric``)
    """
    if projection not in PROJECTIONS:
        raise ValueError(f"projection: {projection!r} is not one of {PROJECTIONS}")
    nets = build_networks(model, width, depth, seed, activation=activation, bias=bias,
                          encoding=encoding)
    tf = tangent_features(model, networks=nets)
    setting = prepare(model)
    mask = None if setting.mu is None else support(model, setting.mu).mask
    phi, blocks = support_span(tf, mask, 1e-10)
    kind = "linear" if depth == 0 else "tangent"
    a = run_audit(model, features=phi, feature_kind=kind, setting=setting, **audit_options)
    notes = [
        "Theorem 1 bounds the linearised learner Q = φᵀθ with these tangent features "
        "(docs/theory.md "
        "§5–§6); " + ("a depth-0 network is exactly linear in θ, so A3–A4 hold." if depth == 0
                      else "the network differs from it by the linearisation error on the trust "
                      "region (A4), measured here by sampling (a lower estimate of the "
                      "supremum): the audit marks A3–A4 not checkable."),
        f"the audit sees Φ in the span of its support rows ({phi.shape[1]} of "
        f"{tf.d_total} dimensions): {SPAN_METHOD}.",
    ]
    fp = a.features.fixed_point
    R_feat = None
    if radius is not None:
        if not (math.isfinite(radius) and radius > 0):
            raise ValueError(f"radius: {radius} must be a finite number > 0")
        R_feat = radius * tf.scale
    elif fp is not None:
        slack = max(fp.norm_bound - float(np.linalg.norm(fp.theta)), 0.0)
        if projection == "joint":
            R_feat = fp.norm_bound
        else:
            R_feat = math.sqrt(nets.n_agents) * max(
                float(np.linalg.norm(fp.theta[lo:hi])) + slack for lo, hi in blocks)
        notes.append(f"R_θ = {R_feat:.6g} (feature units) = {R_feat / tf.scale:.6g} (parameter "
                     f"units) is the smallest certified radius whose {projection} trust region "
                     "contains θ*.")
    else:
        notes.append("θ* is undefined (A5 or A6 fails): no trust region, so the linearisation "
                     "error was not measured; give radius to measure it.")
    R = None if R_feat is None else R_feat / tf.scale
    lin = None
    if R is not None and R > 0:
        lin = linearisation_error(nets, R, samples=samples, projection=projection,
                                  seed=sample_seed)
    elif R is not None:
        notes.append("θ* = 0: the trust region is the single point θ₀ (no linearisation error).")
    return NeuralFeatureTerms(features=tf, Phi_audit=phi, kind=kind, audit=a, radius=R,
                              radius_features=R_feat, projection=projection, linearisation=lin,
                              notes=tuple(notes))
