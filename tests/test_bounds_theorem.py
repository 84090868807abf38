"""Theorem 1 and the sample budget: symbolic = numeric, T₀, monotonicity, blocked budgets,
and the audit never claiming Theorem 1 where A5 or A6 fails (docs/theory.md §5–§6)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

from icq.bounds import audit, sample_budget, theorem1
from icq.bounds import symbolic as S
from icq.bounds.auditor import budget
from icq.bounds.budget import budget_T0
from icq.reference.model import example_path, from_dict, load

from .test_bounds_hand import loop_doc

EXPRS = [S.DELTA_AIS, S.DELTA_VA, S.POLICY_LOSS, S.POLICY_LOSS_EXACT_GAP, S.C_F_EXPR, S.G_EXPR,
         S.ALPHA_T, S.APPROX_TERM, S.AIS_TERM, S.MIX_TERM, S.BOUND, S.ENVELOPE, S.T0_EXPR,
         S.MIX_RATE, S.BURN_IN_TERM, S.RESIDUAL, S.BOUND_THREE, S.BOUND_MINKOWSKI,
         S.RESIDUAL_ENVELOPE]


def _values(rng: np.random.Generator) -> dict[str, float]:
    return {"gamma_bar": rng.uniform(0.1, 0.99), "epsilon": rng.uniform(0, 2),
            "delta": rng.uniform(0, 2), "L_V": rng.uniform(0, 5), "D": rng.uniform(0, 2),
            "kappa": rng.uniform(0, 0.99), "omega": rng.uniform(1e-4, 1),
            "eps_approx": rng.uniform(0, 1), "C_F": rng.uniform(1, 50), "G": rng.uniform(0.1, 9),
            "R_bar": rng.uniform(0, 3), "R_theta": rng.uniform(0, 3), "Delta": rng.uniform(0, 3),
            "tau": float(rng.integers(0, 40)), "T": float(rng.integers(1, 10**9)),
            "t0": float(rng.integers(1, 9)), "dbar": rng.uniform(0.01, 0.99),
            "d_burn": rng.uniform(0, 1)}


@pytest.mark.parametrize("seed", range(5))
def test_lambdified_numbers_equal_the_symbolic_expressions(seed):
    vals = _values(np.random.default_rng(seed))
    for expr in EXPRS:
        names = S.numeric(expr)[1]
        sub = {S._NAMES[n]: sp.Float(vals[n], 30) for n in names}
        exact = float(expr.subs(sub).evalf(30))
        assert S.evaluate(expr, **{n: vals[n] for n in names}) == pytest.approx(exact, rel=1e-12)


def test_theorem1_is_the_sum_of_its_terms_and_prints_its_latex():
    r = theorem1(12345, kappa=0.4, omega=0.2, eps_approx=0.3, C_F=4.0,
                 gaps={"paper": 1.5, "exact": 0.5}, R_bar=1.0, R_theta=2.0, tau=lambda a: 7)
    G = 1.0 + 4.0
    mix = 3 * G**2 * (9 + 24 * 8) * (1 + math.log(12345)) / (12345 * 0.6**2 * 0.2**2)
    assert r.terms["mixing_residual"] == pytest.approx(mix, rel=1e-12)
    assert r.terms["approximation"] == pytest.approx(3 * 16 * 0.09)
    # no burn-in, unknown start law: d(0) = 1, the burn-in term is 3·8R_θ²
    assert r.terms["burn_in"] == pytest.approx(3 * 8 * 2.0**2)
    assert r.bound_three == pytest.approx(sum(r.terms.values()), rel=1e-12)
    assert r.bound_three_by_gap["exact"] == pytest.approx(r.bound_three - 3 * 1.5**2
                                                          + 3 * 0.5**2)
    c = math.sqrt(mix / 3 + 8 * 2.0**2)
    assert r.bound == pytest.approx((4.0 * 0.3 + 1.5 + c) ** 2, rel=1e-12)
    assert r.bound <= r.bound_three and "θ̄_T" in r.iterate and "averaged" in r.covers
    # a burn-in moves the step clock: T_clock = T − t_b
    rb = theorem1(12345, kappa=0.4, omega=0.2, eps_approx=0.3, C_F=4.0, gaps={"paper": 1.5},
                  R_bar=1.0, R_theta=2.0, tau=lambda a: 7, burn_in=345, d_burn=0.0)
    assert rb.terms["mixing_residual"] == pytest.approx(
        3 * G**2 * (9 + 24 * 8) * (1 + math.log(12000)) / (12000 * 0.6**2 * 0.2**2), rel=1e-12)
    assert rb.terms["burn_in"] == 0.0
    latex = S.latex(S.BOUND)
    for piece in (r"\kappa", r"\omega", r"\log", "C_{F}", r"\tau_{\mathrm{mix}}"):
        assert piece in latex
    assert "Bhandari" in r.imported and "not machine-checked" in r.imported


@pytest.mark.parametrize("seed", range(8))
def test_budget_envelope_decreases_beyond_T0(seed):
    v = _values(np.random.default_rng(100 + seed))
    T0 = budget_T0(int(v["t0"]), v["dbar"], v["kappa"], v["omega"])
    dE = sp.lambdify([S.T], sp.diff(S.ENVELOPE, S.T).subs(
        {S._NAMES[k]: v[k] for k in ("C_F", "eps_approx", "Delta", "G", "kappa", "omega",
                                      "t0", "dbar")}), "math")
    for T in T0 * np.logspace(0, 12, 60):
        assert dE(float(T)) < 0
    # and the envelope bounds the exact residual from above (τ_mix ≤ envelope τ)
    alpha = S.evaluate(S.ALPHA_T, kappa=v["kappa"], omega=v["omega"], T=math.ceil(T0))
    tau_env = S.evaluate(S.TAU_ENVELOPE, t0=v["t0"], dbar=v["dbar"], alpha=alpha)
    tau_int = v["t0"] * math.ceil(math.log(1 / alpha) / math.log(1 / v["dbar"]))
    assert tau_int <= tau_env + 1e-9


def _applicable_audit():
    a = audit(from_dict(loop_doc()), handoffs=1000)
    assert a.theorem.applicable
    return a


def test_budget_is_monotone_in_the_target_and_checked_exactly():
    a = _applicable_audit()
    floor = a.gap_paper.value  # the Minkowski floor: C_F ε_approx + Δ, ε_approx = 0 here
    prev = None
    for target in floor * np.array([50.0, 10.0, 3.0, 1.5, 1.1, 1.01]):
        b = budget(a, float(target))
        assert b.blocked_by is None and b.exact_check
        assert b.exact_at_answer <= b.envelope_at_answer * (1 + 1e-12) <= target**2 * (1 + 1e-9)
        if b.handoffs > math.ceil(b.T0):  # least: one handoff fewer is above the target
            th, env = a.theorem.inputs, a.mixing.envelope
            before = S.evaluate(S.RESIDUAL_ENVELOPE, T=b.clock_handoffs - 1, G=th["G"],
                                kappa=th["kappa"], omega=th["omega"], t0=env.t0, dbar=env.dbar)
            burn = S.evaluate(S.BURN_IN_TERM, R_theta=th["R_theta"], d_burn=b.d_burn)
            room = (target - th["C_F"] * th["eps_approx"] - th["Delta"]) ** 2
            assert before + burn > room
        assert b.handoffs == b.burn_in + b.clock_handoffs
        assert b.handoffs_three is None or b.handoffs_three >= b.handoffs
        assert b.primitive_steps_max == a.model.T_max * b.handoffs
        assert b.primitive_steps_expected == pytest.approx(a.durations.mean_duration * b.handoffs)
        if prev is not None:
            assert b.handoffs >= prev
        prev = b.handoffs


def test_budget_infeasible_names_the_blocking_term():
    a = _applicable_audit()
    b = budget(a, a.gap_paper.value * 0.99)
    assert b.handoffs is None and b.blocked_by == "ais"
    assert f"{a.gap_paper.value:.6g}" in b.reason  # the smallest reachable target
    # between the Minkowski floor Δ and the three-term floor √3·Δ only Minkowski has a budget
    b = budget(a, a.gap_paper.value * 1.5)
    assert b.handoffs is not None and b.handoffs_three is None
    common = dict(Delta=0.0, G=2.0, kappa=0.5, omega=0.1, t0=2, dbar=0.5, mean_duration=1.0,
                  T_max=1)
    assert sample_budget(1.0, C_F=10.0, eps_approx=0.1, **common).blocked_by == "approximation"
    both = sample_budget(1.0, C_F=1.0, eps_approx=0.55, **{**common, "Delta": 0.55})
    assert both.blocked_by == "approximation+ais"
    assert sample_budget(1.0, C_F=1.0, eps_approx=0.0, **common).handoffs is not None
    with pytest.raises(ValueError, match="target"):
        sample_budget(-1.0, C_F=1.0, eps_approx=0.0, **common)


def test_budget_blocked_when_theorem1_does_not_apply():
    a = audit(load(example_path("author-reviewer-editor")))
    assert a.features.kappa.a6_holds is False
    b = budget(a, 100.0)
    assert b.handoffs is None and b.blocked_by == "assumptions" and "A6" in b.reason


def test_never_applicable_when_a5_fails():
    m = from_dict(loop_doc())
    phi = np.zeros((m.n_obs_pairs, 4))  # d = 4 > 3 support pairs: Σ singular
    phi[np.arange(m.n_obs_pairs), np.arange(m.n_obs_pairs)] = 1.0
    a = audit(m, features=phi)
    assert a.features.omega.value == 0.0 and not a.features.omega.holds
    assert a.features.omega.nonzero > 0
    assert not a.theorem.applicable and "A5" in a.theorem.reason
    assert a.theorem.bound is None and a.theorem.terms["ais"] is not None


def test_user_one_hot_features_reproduce_the_tabular_audit():
    m = from_dict(loop_doc())
    tab = audit(m)
    user = audit(m, features=np.eye(m.n_obs_pairs))
    assert user.features.kappa.kappa == pytest.approx(tab.features.kappa.kappa)
    assert user.features.omega.value == pytest.approx(tab.features.omega.value)
    assert user.features.approximation.value == pytest.approx(0.0, abs=1e-9)
    assert user.theorem.bound == pytest.approx(tab.theorem.bound, rel=1e-9)


def test_one_hot_uniform_behaviour_usually_fails_a6():
    """docs/theory.md §5: with one-hot features and uniform behaviour, κ² ≈ E[γ^{2τ}]·|J|."""
    a = audit(load(example_path("author-reviewer-editor")))
    k = a.features.kappa
    assert k.kappa > 1 and k.a6_holds is False
    assert a.assumptions["A6"].holds is False
    assert not a.theorem.applicable
