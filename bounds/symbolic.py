"""Every bound of docs/theory.md §3–§6 as one sympy expression: the single source of truth.

Each printed number of :mod:`icq.bounds` is ``lambdify`` of an expression defined here, and each
report prints ``latex()`` of the same expression; no formula is written a second time in numpy.

Symbols (all real; the declared assumptions are sympy's, the side conditions in
:data:`CONDITIONS` are those sympy cannot declare on a symbol):

====================  ===================================================================
``gamma_bar`` γ̄       effective per-epoch discount (§1), positive, γ̄ < 1
``epsilon`` ε         reward sufficiency (B1, §3), nonnegative
``delta`` δ           evolution sufficiency (B2, §3), nonnegative
``L_V``               ρ_F(V̂*), the IPM's Minkowski functional at V̂* (§3), nonnegative
``D``                 value-aware transition gap max|⟨σ#K − K̂, V̂*⟩| (§3), nonnegative
``kappa`` κ           A6 contraction factor (§5), nonnegative, κ < 1
``omega`` ω           A5 λ_min(Σ) (§5), positive
``eps_approx``        ε_approx (§5), nonnegative
``C_F``, ``G``        Lemma F constant (§5) and gradient bound R̄ + 2R_θ (§6), positive
``R_bar``, ``R_theta``  max |R| and the projection radius (§6), nonnegative
``Delta`` Δ           an AIS gap of §3, nonnegative
``tau`` τ             τ_mix(α_T) (§4), nonnegative integer
``T``                 handoffs, positive
``t0``, ``dbar``      the mixing envelope d(t) ≤ d̄(t₀)^⌊t/t₀⌋ (§4), t₀ ≥ 1, 0 < d̄ < 1
``d_burn``            ½‖ν₀P_b^{t_b} − μ‖₁, the start law's distance after t_b burn-in handoffs
====================  ===================================================================

>>> float(DELTA_AIS.subs({epsilon: 0.25, gamma_bar: 0.5, L_V: 2, delta: 0.25}))
1.0
>>> sp.latex(C_F_EXPR)
'1 + \\\\frac{\\\\bar{\\\\gamma} + 1}{1 - \\\\kappa}'
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

import sympy as sp

from icq.reference.learners.handoffs import theory_step

__all__ = [
    "ALPHA_T", "AIS_TERM", "APPROX_TERM", "BOUND", "CONDITIONS", "C_F_EXPR", "DELTA_AIS",
    "DELTA_VA", "ENVELOPE", "G_EXPR", "MIX_TERM", "POLICY_LOSS", "POLICY_LOSS_EXACT_GAP",
    "T0_EXPR", "TAU_ENVELOPE", "evaluate", "latex", "numeric",
    "BOUND_MINKOWSKI", "BOUND_THREE", "BURN_IN_TERM", "MIX_RATE", "RESIDUAL",
    "RESIDUAL_ENVELOPE", "BETA",
]

# -- symbols ----------------------------------------------------------------------------------
gamma_bar = sp.Symbol(r"\bar{\gamma}", positive=True)
epsilon = sp.Symbol(r"\varepsilon", nonnegative=True)
delta = sp.Symbol(r"\delta", nonnegative=True)
L_V = sp.Symbol("L_V", nonnegative=True)  # noqa: N816 - the paper's name
D = sp.Symbol("D", nonnegative=True)
kappa = sp.Symbol(r"\kappa", nonnegative=True)
omega = sp.Symbol(r"\omega", positive=True)
eps_approx = sp.Symbol(r"\varepsilon_{\mathrm{approx}}", nonnegative=True)
C_F = sp.Symbol("C_F", positive=True)  # noqa: N816
G = sp.Symbol("G", positive=True)
R_bar = sp.Symbol(r"\bar{R}", nonnegative=True)  # noqa: N816
R_theta = sp.Symbol(r"R_\theta", nonnegative=True)  # noqa: N816
Delta = sp.Symbol(r"\Delta", nonnegative=True)  # noqa: N816
tau = sp.Symbol(r"\tau_{\mathrm{mix}}(\alpha_T)", nonnegative=True, integer=True)
T = sp.Symbol("T", positive=True)
t0 = sp.Symbol("t_0", positive=True)
dbar = sp.Symbol(r"\bar{d}", positive=True)
d_burn = sp.Symbol(r"d(t_b)", nonnegative=True)
N_min = sp.Symbol(r"N_{\min}", positive=True)  # noqa: N816
gamma_hat = sp.Symbol(r"\hat{\gamma}", nonnegative=True)

#: side conditions that sympy cannot attach to a symbol; reports print them with the formula
CONDITIONS = (sp.Lt(gamma_bar, 1), sp.Lt(kappa, 1), sp.Ge(T, 1), sp.Ge(t0, 1), sp.Lt(dbar, 1))

# -- §3: AIS gaps and the policy loss ----------------------------------------------------------
#: Δ_AIS = (ε + γ̄ L_V δ)/(1 − γ̄), the paper form (Lemma A, AisGap.v ``ais_gap_paper_form``)
DELTA_AIS = (epsilon + gamma_bar * L_V * delta) / (1 - gamma_bar)
#: Δ_va = (ε + D)/(1 − γ̄) (Lemma A, AisGap.v ``ais_gap_value_aware``)
DELTA_VA = (epsilon + D) / (1 - gamma_bar)
#: 2Δ for a Δ that bounds every policy's evaluation gap too: Δ_AIS, Δ_va, the state-wise bound
#: (Lemma P, PolicyLoss.v ``greedy_policy_loss``)
POLICY_LOSS = 2 * Delta
#: 2Δ_exact/(1 − γ̄): what Δ_exact alone supports (docs/theory.md §3's "each Δ" is false for Δ_exact)
POLICY_LOSS_EXACT_GAP = 2 * Delta / (1 - gamma_bar)

# -- §5: Lemma F --------------------------------------------------------------------------------
#: C_F = 1 + (1 + γ̄)/(1 − κ) (Approximation.v ``approximation_constant``)
C_F_EXPR = 1 + (1 + gamma_bar) / (1 - kappa)

# -- §6: Theorem 1 -------------------------------------------------------------------------------
#: G = R̄ + 2R_θ (the bound on the stochastic semi-gradient, uniform in τ since γ^τ ≤ 1)
G_EXPR = R_bar + 2 * R_theta
#: step size at T: α_T = 1/((1 − κ) ω (T + 1))
ALPHA_T = theory_step(kappa, omega, T)
APPROX_TERM = 3 * C_F**2 * eps_approx**2
AIS_TERM = 3 * Delta**2
#: imported: Bhandari, Russo & Singal (2018), Theorem 3(c), with (1 − γ) replaced by (1 − κ):
#: E‖Q_θ̄_T − Q_θ*‖²_μ for the *averaged* iterate θ̄_T of the projected theory-step learner, its
#: chain started in μ. Conservative reading (docs/errata.md item 2): ω² where the theorem as
#: recalled has ω, and τ_mix(α_T) + 1 (the sample-tuple step of §4) for τ_mix(α_T); since
#: ω ≤ 1 both only enlarge the number.
MIX_RATE = G**2 * (9 + 24 * (tau + 1)) * (1 + sp.log(T)) / (T * (1 - kappa) ** 2 * omega**2)
#: the start-law correction: after t_b burn-in handoffs (no updates) the chain's law is at TV
#: distance d(t_b) from μ; the squared error lies in [0, 4R_θ²] in the projection ball, so the
#: expectation moves by at most 4R_θ²·d(t_b) (docs/theory.md §6; BurnIn.v ``burn_in_shift``)
BURN_IN_TERM = 4 * R_theta**2 * d_burn
#: the estimation term E‖Q_θ̄_T − Q_θ*‖²_μ from the learner's start law ν₀ (T counts handoffs
#: after the burn-in)
RESIDUAL = MIX_RATE + BURN_IN_TERM
#: the stationary-start three-term mixing residual 3·MIX_RATE (no burn-in; kept for reports)
MIX_TERM = 3 * MIX_RATE
#: Theorem 1 at a stationary start, three-term form (Decomposition.v
#: ``three_term_decomposition``); θ̄_T the averaged iterate
BOUND = APPROX_TERM + AIS_TERM + MIX_TERM
#: Theorem 1 from ν₀, three-term form: 3C_F²ε_approx² + 3Δ² + 3(MIX_RATE + 4R_θ²d(t_b))
BOUND_THREE = APPROX_TERM + AIS_TERM + 3 * RESIDUAL
#: Theorem 1 from ν₀, Minkowski form (Residual.v ``minkowski_combination``):
#: E‖Q_θ̄_T∘σ − Q*‖²_μ ≤ (C_F ε_approx + Δ + √RESIDUAL)², never above BOUND_THREE
#: (Residual.v ``minkowski_le_three_terms``)
BOUND_MINKOWSKI = (C_F * eps_approx + Delta + sp.sqrt(RESIDUAL)) ** 2

# -- §8: the A6-free route ----------------------------------------------------------------------
#: β = 1 − N_min (1 − γ̂): the sup-norm contraction factor of F̄ = NĤ + (I − N) (icq.bounds.a6free)
BETA = 1 - N_min * (1 - gamma_hat)

# -- §4/§6: the mixing envelope and the sample budget --------------------------------------------
_alpha = sp.Symbol(r"\alpha", positive=True)
#: τ_mix(α) ≤ t₀ (1 + ln(1/α)/ln(1/d̄)) for 0 < α ≤ 1 (from d(t) ≤ d̄(t₀)^⌊t/t₀⌋)
TAU_ENVELOPE = t0 * (1 + sp.log(1 / _alpha) / sp.log(1 / dbar))
#: the continuous envelope of BOUND in T: τ_mix(α_T) replaced by TAU_ENVELOPE at α = α_T
ENVELOPE = BOUND.subs(tau, TAU_ENVELOPE.subs(_alpha, ALPHA_T))
#: the continuous envelope of MIX_RATE alone (what the budget bisects on; = ENVELOPE with
#: A = 0 and c = G²/((1 − κ)²ω²) in Budget.v ``budget_envelope``)
RESIDUAL_ENVELOPE = MIX_RATE.subs(tau, TAU_ENVELOPE.subs(_alpha, ALPHA_T))
#: ENVELOPE is strictly decreasing for T ≥ T₀ (derivation in :mod:`icq.bounds.budget`)
T0_EXPR = sp.Max(sp.E, sp.exp(sp.Max(0, 2 - (33 + 24 * t0) * sp.log(1 / dbar) / (24 * t0)))
                 / ((1 - kappa) * omega) - 1)

_NAMES: dict[str, sp.Symbol] = {
    "gamma_bar": gamma_bar, "epsilon": epsilon, "delta": delta, "L_V": L_V, "D": D,
    "kappa": kappa, "omega": omega, "eps_approx": eps_approx, "C_F": C_F, "G": G,
    "R_bar": R_bar, "R_theta": R_theta, "Delta": Delta, "tau": tau, "T": T, "t0": t0,
    "dbar": dbar, "alpha": _alpha, "d_burn": d_burn, "N_min": N_min, "gamma_hat": gamma_hat,
}


def _args(expr: sp.Expr) -> tuple[str, ...]:
    inv = {v: k for k, v in _NAMES.items()}
    return tuple(sorted(inv[s] for s in expr.free_symbols))


@cache
def numeric(expr: sp.Expr) -> tuple[Any, tuple[str, ...]]:
    """``(f, names)``: ``f = lambdify`` of ``expr`` over its free symbols, in ``names`` order."""
    names = _args(expr)
    return sp.lambdify([_NAMES[n] for n in names], expr, modules="math"), names


def evaluate(expr: sp.Expr, **values: float) -> float:
    """The number ``expr`` takes at ``values`` (keyword names as in the table above).

    >>> evaluate(C_F_EXPR, gamma_bar=0.5, kappa=0.5)
    4.0
    """
    f, names = numeric(expr)
    missing = [n for n in names if n not in values]
    if missing:
        raise TypeError(f"missing values for {missing}")
    try:
        return float(f(*(float(values[n]) for n in names)))
    except OverflowError:  # every expression here is a non-negative bound: beyond the doubles
        return math.inf


def latex(expr: sp.Expr) -> str:
    """``sympy.latex`` of ``expr`` (what reports print)."""
    return sp.latex(expr)
