"""A6 (docs/theory.md §5): strong monotonicity of the expected update and the κ-contraction of
``ΠT̂`` in ``‖·‖_μ``, checked against the audit's κ and ω (:func:`a6_contraction`), the §5
quantities they are made of (:func:`a6_parts`) and the negative control
(:func:`kappa_without_max`, the κ of policy evaluation).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from icq.bounds.features import EIG_TOL, support
from icq.bounds.features import kappa as kappa_fn
from icq.bounds.features import omega as omega_fn
from icq.property_tests.properties.common import array_digest, fail, per_model
from icq.reference.exact.chain import pair_weights, stationary
from icq.reference.exact.induced import ais_model
from icq.reference.model import EpochModel

__all__ = ["A6Check", "A6Parts", "a6_contraction", "a6_parts", "kappa_without_max"]


@dataclass(frozen=True, eq=False)
class A6Parts:
    """What §5's quantities are made of, for a feature map Φ and the stationary μ.

    w_pair : (n_pairs,) ``μ(y) π_b(j|σ(y))``; w : (n_obs_pairs,) ``w(ô,j)``;
    sigma : (d, d) ``Σ``; M : (n_obs,) ``E[γ^{2τ} 1{σ(Y') = ô'}]``
    """

    model: EpochModel
    phi: np.ndarray
    mu: np.ndarray
    w_pair: np.ndarray
    w: np.ndarray
    sigma: np.ndarray
    M: np.ndarray
    r_hat: np.ndarray
    K_hat: Any

    def ratio(self, u: np.ndarray) -> tuple[float, float]:
        """Numerator and denominator of κ²'s Rayleigh-type quotient at direction ``u``."""
        m = self.model
        with np.errstate(all="ignore"):  # a non-finite direction gives a non-finite ratio
            f = self.phi @ u
            top = np.maximum.reduceat(f**2, m.obs_ptr[:-1]) if len(f) else f
            return float(self.M @ top), float(u @ self.sigma @ u)

    def basis_ratios(self) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`ratio` at every coordinate direction ``e_k`` at once: (d,) numerators and
        denominators (``φ e_k`` is column k of Φ, ``e_kᵀΣe_k = Σ_kk``)."""
        m = self.model
        top = (np.maximum.reduceat(self.phi**2, m.obs_ptr[:-1], axis=0) if len(self.phi)
               else np.zeros((0, self.phi.shape[1])))
        return self.M @ top, np.diag(self.sigma).copy()

    def expected_update(self, theta: np.ndarray) -> np.ndarray:
        """``ḡ(θ) = E_{μ⊗π_b}[φ(ô,j)(R + γ^τ max_b φ(ô',b)ᵀθ − φ(ô,j)ᵀθ)]`` (0 continuation at an
        end), computed on latent pairs."""
        m = self.model
        q = self.phi @ theta
        v_obs = np.maximum.reduceat(q, m.obs_ptr[:-1])  # V_θ(ô') = max_b φ(ô',b)ᵀθ
        phik = self.phi[m.pair_obs_pair]
        td = m.reward + m.K @ v_obs[m.state_obs] - phik @ theta
        return phik.T @ (self.w_pair * td)

    def projected_bellman(self, theta: np.ndarray) -> np.ndarray:
        """``ΠT̂Q_θ`` on observation pairs: T̂ of the AIS model under μ, Π the ‖·‖_μ projection
        onto span(Φ) (least squares on the support)."""
        m = self.model
        q = self.phi @ theta
        tq = self.r_hat + self.K_hat @ np.maximum.reduceat(q, m.obs_ptr[:-1])
        sw = np.sqrt(self.w)
        coef = np.linalg.lstsq(self.phi * sw[:, None], tq * sw, rcond=None)[0]
        return self.phi @ coef

    def norm(self, f: np.ndarray) -> float:
        """``‖f‖_μ = (Σ w f²)^{1/2}`` over observation pairs."""
        return float(np.sqrt(self.w @ (f * f)))


def a6_parts(model: EpochModel, phi: np.ndarray) -> A6Parts:
    """The §5 quantities for ``phi`` under the behaviour chain's stationary μ.

    Raises ValueError when the chain is not uniformly ergodic (no μ: §5 is undefined)."""
    st = stationary(model)
    if not st.ergodic:
        raise ValueError(f"A6 needs the stationary law μ: {st.reason}")
    mu = st.mu
    phi = np.asarray(phi, dtype=float)
    if phi.ndim != 2 or phi.shape[0] != model.n_obs_pairs:
        raise ValueError(f"phi: expected shape (n_obs_pairs = {model.n_obs_pairs}, d), got "
                         f"{phi.shape}")
    w_pair = pair_weights(model, mu)
    w = np.bincount(model.pair_obs_pair, w_pair, minlength=model.n_obs_pairs)
    sigma = phi.T @ (phi * w[:, None])
    M = np.asarray(model.obs_states.T @ (model.K2.T @ w_pair)).ravel()
    ais = ais_model(model, mu).smdp
    return A6Parts(model, phi, mu, w_pair, w, sigma, M, ais.reward, ais.K)


def kappa_without_max(model: EpochModel, phi: np.ndarray) -> float:
    """WRONG ON PURPOSE (a negative control): κ with the successor's ``max_b`` replaced by the
    behaviour average ``Σ_b π_b(b|ô')``, i.e. the κ of policy evaluation, not of Q-learning.
    ``κ_wrong² = λ_max(N_avg, Σ)`` with ``N_avg = Σ_ô' M(ô') Σ_b π_b(b|ô') φ_bφ_bᵀ``."""
    p = a6_parts(model, phi)
    wb = p.M[model.obs_pair_obs] * model.behavior
    N = p.phi.T @ (p.phi * wb[:, None])
    lam, U = np.linalg.eigh(p.sigma)
    pos = lam > 1e-12 * max(float(lam.max(initial=0.0)), 1e-300)
    L = U[:, pos] / np.sqrt(lam[pos])
    top = np.linalg.eigvalsh(L.T @ N @ L)
    return math.sqrt(max(float(top.max(initial=0.0)), 0.0))


def _infinite_kappa_ratio(p: A6Parts, K: Any) -> float:
    """Verify an audit's κ = ∞ given without a witness direction: it needs Σ singular (to
    working precision, smallest eigenvalue ≤ 1e-12 × largest), i.e. a direction the learner
    never updates; for a nonsingular Σ κ is finite and the claim is wrong."""
    if not math.isinf(K.lower):
        raise fail("a6_contraction", f"the audit says A6 fails with κ_lower = {K.lower!r} but "
                    "gives no witness direction")
    lam = np.linalg.eigvalsh(p.sigma)
    top = float(lam.max(initial=0.0))
    if top <= 0.0 or float(lam.min()) <= 1e-12 * top:
        # Σ = 0, or singular to working precision: A5 fails and κ = ∞ is the conservative
        # reading (a direction that is never updated); nothing finer is decidable in floats
        return math.inf
    raise fail("a6_contraction", f"the audit says κ = ∞ without a witness, but Σ is "
                f"nonsingular (eigenvalues {float(lam.min()):.3g} … {top:.3g}), so κ is finite")


@dataclass(frozen=True)
class A6Check:
    """What :func:`a6_contraction` checked: the audit's verdict and the two inequalities."""

    verdict: bool | None
    kappa: float
    omega: float
    monotone: tuple[float, float]
    contraction: tuple[float, float]
    ratio: float
    holds: bool = True


def a6_contraction(model: EpochModel, phi: np.ndarray, theta1: np.ndarray,
                   theta2: np.ndarray, *, kappa: float | None = None,
                   omega: float | None = None, basis: bool = True) -> A6Check:
    """A6 on one θ pair, against the audit's κ and ω (docs/theory.md §5; :mod:`..features`).

    Always: the direction ``u = θ₁ − θ₂`` (and, with ``basis``, every coordinate direction)
    has ``ratio(u) ≤ κ_upper²`` (κ_upper is sound).
    Where the audit says A6 holds with κ (< 1):

    - strong monotonicity ``(θ₁−θ₂)ᵀ(ḡ(θ₁) − ḡ(θ₂)) ≤ −(1−κ) ω ‖θ₁−θ₂‖²``;
    - contraction ``‖ΠT̂Q_θ₁ − ΠT̂Q_θ₂‖_μ ≤ κ ‖Q_θ₁ − Q_θ₂‖_μ``.

    Both inequalities are checked at the drawn pair and, with ``basis``, at every pair
    ``(e_k, 0)`` of coordinate directions. Where the audit says A6 fails: its witness direction
    has ratio ≥ 1 (equal to κ_lower²), so A6 really fails. ``kappa``/``omega`` given
    explicitly replace the audit's (negative controls pass :func:`kappa_without_max`); the
    inequalities are then checked whatever κ is.
    """
    name = "a6_contraction"
    digest = array_digest(phi)
    p = per_model(model, ("a6_parts", digest), lambda: a6_parts(model, phi))
    u = np.asarray(theta1, float) - np.asarray(theta2, float)
    num, den = p.ratio(u)
    ratio = num / den if den > 0 else (math.inf if num > 0 else 0.0)
    verdict: bool | None = True
    if kappa is None:
        def terms() -> tuple[Any, Any]:
            sup = support(model, p.mu)
            return kappa_fn(model, p.phi, sup, p.mu), omega_fn(p.phi, sup)

        K, O = per_model(model, ("a6_kappa_omega", digest), terms)  # noqa: N806
        verdict, kap, om = K.a6_holds, K.upper, O.value
        slack_r = 1e-9 * (1.0 + K.upper**2 if math.isfinite(K.upper) else 1.0)
        nums, dens = [num], [den]
        live = [True]
        if basis:
            bn, bd = per_model(model, ("a6_basis", digest), p.basis_ratios)
            nums, dens = [num, *bn], [den, *bd]
            # the audit reduces Φ to its row space to EIG_TOL (icq.bounds.features): a column
            # below that cut is numerically zero there, and so not a direction it bounds
            norms = np.linalg.norm(p.phi, axis=0)
            top = float(np.linalg.norm(p.phi, 2)) if p.phi.size else 0.0
            live += list(norms > EIG_TOL * max(top, 1e-300))
        for k, (num_k, den_k) in enumerate(zip(nums, dens, strict=True)):
            if not live[k]:
                continue
            which = "u = θ₁ − θ₂" if k == 0 else f"e_{k - 1}"
            r = num_k / den_k if den_k > 0 else (math.inf if num_k > 0 else 0.0)
            if r > K.upper**2 + slack_r:
                raise fail(name, f"direction {which} has ratio {r:.12g} > κ_upper² = "
                            f"{K.upper**2:.12g}: the audit's κ upper bound is not sound")
        if verdict is False:
            if K.witness is not None:
                wn, wd = p.ratio(np.asarray(K.witness, float))
                wr = wn / wd if wd > 0 else math.inf
            elif K.witness_pair is not None:  # the tabular closed form names a pair
                e = np.zeros(model.n_obs_pairs)
                e[K.witness_pair] = 1.0
                coef = np.linalg.lstsq(p.phi, e, rcond=None)[0]
                wn, wd = p.ratio(coef)
                wr = wn / wd if wd > 0 else math.inf
            else:  # κ = ∞ without a witness: Σ = 0, or a null direction of Σ is seen
                wr = _infinite_kappa_ratio(p, K)
            if wr < 1.0 - 1e-9:
                raise fail(name, f"the audit says A6 fails (κ_lower = {K.lower:.6g}) but its "
                            f"witness has ratio {wr:.12g} < 1")
            return A6Check(False, K.lower, om, (0.0, 0.0), (0.0, 0.0), wr)
        if verdict is None:
            return A6Check(None, kap, om, (0.0, 0.0), (0.0, 0.0), ratio)
    else:
        kap = float(kappa)
        om = float(omega) if omega is not None else float(
            np.linalg.eigvalsh(p.sigma).min(initial=0.0))
    pairs = [(np.asarray(theta1, float), np.asarray(theta2, float), "the drawn pair")]
    if basis:  # the coordinate directions, where tabular worst cases sit
        d = p.phi.shape[1]
        pairs += [(np.eye(d)[k], np.zeros(d), f"(e_{k}, 0)") for k in range(d)]
    worst_mono, worst_c = (-math.inf, 0.0), (0.0, 0.0)
    for t1, t2, which in pairs:
        du = t1 - t2
        g1, g2 = p.expected_update(t1), p.expected_update(t2)
        mono = float(du @ (g1 - g2))
        mono_rhs = -(1.0 - kap) * om * float(du @ du)
        scale = 1e-9 * (1.0 + float(du @ du) + abs(float(du @ g1)) + abs(float(du @ g2)))
        if mono > mono_rhs + scale:
            raise fail(name, f"at {which}: (θ₁−θ₂)ᵀ(ḡ(θ₁)−ḡ(θ₂)) = {mono:.12g} > "
                        f"−(1−κ)ω‖θ₁−θ₂‖² = {mono_rhs:.12g} (κ = {kap:.6g}, ω = {om:.6g})")
        c_lhs = p.norm(p.projected_bellman(t1) - p.projected_bellman(t2))
        c_rhs = kap * p.norm(p.phi @ du)
        if c_lhs > c_rhs + 1e-9 * (1.0 + c_rhs):
            raise fail(name, f"at {which}: ‖ΠT̂Q_θ₁ − ΠT̂Q_θ₂‖_μ = {c_lhs:.12g} > "
                        f"κ‖Q_θ₁ − Q_θ₂‖_μ = {c_rhs:.12g} (κ = {kap:.6g})")
        if mono - mono_rhs > worst_mono[0] - worst_mono[1]:
            worst_mono = (mono, mono_rhs)
        if c_lhs - c_rhs > worst_c[0] - worst_c[1]:
            worst_c = (c_lhs, c_rhs)
    return A6Check(verdict, kap, om, worst_mono, worst_c, ratio)
