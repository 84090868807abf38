"""Theorem 1 and the sample budget: symbolic = numeric, T₀, monotonicity, blocked budgets,
and the audit never claiming Theorem 1 where A5 or A6 fails (docs/theory.md §5–§6)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

from icq.bounds import audit, sample_budget, theorem1
from icq.bounds import symbolic as S
from icq.bounds.budget import budget_T0, icq_limit, theorem_budgets
from icq.reference.model import example_path, from_dict, load

from .test_bounds_hand import loop_doc

#: one point per formula, with its value worked out by hand from docs/theory.md §3–§6 (not by
#: sympy): each line is the formula at that point, then the arithmetic
E = math.e
MIX = {"G": 1.0, "tau": 0.0, "T": 1.0, "kappa": 0.0, "omega": 1.0}  # (9 + 24·1)·1/1 = 33
BY_HAND = [
    ("DELTA_AIS", {"epsilon": 1, "gamma_bar": 0.5, "L_V": 2, "delta": 0.5}, 3.0),  # (1+.5)/.5
    ("DELTA_VA", {"epsilon": 1, "D": 0.5, "gamma_bar": 0.5}, 3.0),                  # 1.5/.5
    ("POLICY_LOSS", {"Delta": 1.5}, 3.0),                                            # 2·1.5
    ("POLICY_LOSS_EXACT_GAP", {"Delta": 1.5, "gamma_bar": 0.5}, 6.0),                # 3/.5
    ("C_F_EXPR", {"gamma_bar": 0.5, "kappa": 0.5}, 4.0),                             # 1 + 1.5/.5
    ("G_EXPR", {"R_bar": 1, "R_theta": 2}, 5.0),                                     # 1 + 2·2
    ("ALPHA_T", {"kappa": 0.5, "omega": 0.25, "T": 7}, 1.0),                         # 1/(.5·.25·8)
    ("APPROX_TERM", {"C_F": 4, "eps_approx": 0.5}, 12.0),                            # 3·16·.25
    ("AIS_TERM", {"Delta": 2}, 12.0),                                                # 3·4
    ("MIX_RATE", MIX, 33.0),
    ("MIX_RATE", {**MIX, "G": 2.0, "T": E, "kappa": 0.5, "omega": 0.5},
     4 * 33 * 2 / (E * 0.25 * 0.25)),                                   # G²·33·(1+1)/(e·¼·¼)
    ("MIX_TERM", MIX, 99.0),                                                         # 3·33
    ("BURN_IN_TERM", {"R_theta": 1, "d_burn": 0.75}, 3.0),                          # 4·1·.75
    ("RESIDUAL", {**MIX, "R_theta": 1, "d_burn": 0.75}, 36.0),                      # 33 + 3
    ("BOUND", {**MIX, "C_F": 4, "eps_approx": 0.5, "Delta": 2}, 123.0),              # 12+12+99
    ("BOUND_THREE", {**MIX, "C_F": 4, "eps_approx": 0.5, "Delta": 2, "R_theta": 1,
                     "d_burn": 0.75}, 132.0),                                       # 12+12+3·36
    ("BOUND_MINKOWSKI", {**MIX, "C_F": 4, "eps_approx": 0.5, "Delta": 2, "R_theta": 1,
                         "d_burn": 0.75}, 100.0),                                   # (2+2+6)²
    # α_T = 1/2 at T = 1; τ envelope t₀(1 + log(1/α)/log(1/d̄)) = 1·(1 + 1) = 2: (9 + 24·3) = 81
    ("RESIDUAL_ENVELOPE", {"G": 1, "kappa": 0, "omega": 1, "T": 1, "t0": 1, "dbar": 0.5}, 81.0),
    ("ENVELOPE", {"G": 1, "kappa": 0, "omega": 1, "T": 1, "t0": 1, "dbar": 0.5, "C_F": 4,
                  "eps_approx": 0.5, "Delta": 2}, 267.0),                            # 12+12+3·81
    # T₀ = max(e, exp(max(0, 2 − (33 + 24t₀) log(1/d̄)/(24 t₀)))/((1 − κ)ω) − 1), κ = 0, ω = 1:
    # 57·(12/57)/24 = ½ → e^1.5 − 1 ≈ 3.48 > e; with log(1/d̄) = 1, 2 − 57/24 < 0 → e⁰ − 1 < e
    ("T0_EXPR", {"t0": 1, "dbar": math.exp(-12 / 57), "kappa": 0, "omega": 1}, E**1.5 - 1),
    ("T0_EXPR", {"t0": 1, "dbar": 1 / E, "kappa": 0, "omega": 1}, E),
    # τ envelope t₀(1 + log(1/α)/log(1/d̄)) at t₀ = 2, α = ¼, d̄ = ½: 2·(1 + 2) = 6
    ("TAU_ENVELOPE", {"t0": 2, "alpha": 0.25, "dbar": 0.5}, 6.0),
    ("BETA", {"N_min": 0.5, "gamma_hat": 0.5}, 0.75),                                # 1 − ½·½
]


def _values(rng: np.random.Generator) -> dict[str, float]:
    return {"gamma_bar": rng.uniform(0.1, 0.99), "epsilon": rng.uniform(0, 2),
            "delta": rng.uniform(0, 2), "L_V": rng.uniform(0, 5), "D": rng.uniform(0, 2),
            "kappa": rng.uniform(0, 0.99), "omega": rng.uniform(1e-4, 1),
            "eps_approx": rng.uniform(0, 1), "C_F": rng.uniform(1, 50), "G": rng.uniform(0.1, 9),
            "R_bar": rng.uniform(0, 3), "R_theta": rng.uniform(0, 3), "Delta": rng.uniform(0, 3),
            "tau": float(rng.integers(0, 40)), "T": float(rng.integers(1, 10**9)),
            "t0": float(rng.integers(1, 9)), "dbar": rng.uniform(0.01, 0.99),
            "d_burn": rng.uniform(0, 1)}


@pytest.mark.parametrize("name, values, expected", BY_HAND, ids=[b[0] for b in BY_HAND])
def test_every_formula_gives_its_hand_computed_value(name, values, expected):
    """The numbers the tools print come from these expressions (``S.evaluate``); each is checked
    at a point worked out by hand, so a wrong formula fails here whatever sympy makes of it."""
    assert S.evaluate(getattr(S, name), **values) == pytest.approx(expected, rel=1e-12)


def test_every_exported_formula_has_a_hand_computed_value():
    exprs = {n for n in S.__all__ if isinstance(getattr(S, n), sp.Expr)
             and not isinstance(getattr(S, n), sp.Symbol)}
    assert len(exprs) == 21 and exprs <= {b[0] for b in BY_HAND}


def test_theorem1_is_the_sum_of_its_terms_and_prints_its_latex():
    r = theorem1(12345, kappa=0.4, omega=0.2, eps_approx=0.3, C_F=4.0,
                 gaps={"paper": 1.5, "exact": 0.5}, R_bar=1.0, R_theta=2.0, tau=lambda a: 7)
    G = 1.0 + 4.0
    mix = 3 * G**2 * (9 + 24 * 8) * (1 + math.log(12345)) / (12345 * 0.6**2 * 0.2**2)
    assert r.terms["mixing_residual"] == pytest.approx(mix, rel=1e-12)
    assert r.terms["approximation"] == pytest.approx(3 * 16 * 0.09)
    # no burn-in, unknown start law: d(0) = 1, the burn-in term is 3·4R_θ²
    assert r.terms["burn_in"] == pytest.approx(3 * 4 * 2.0**2)
    assert r.bound_three == pytest.approx(sum(r.terms.values()), rel=1e-12)
    assert r.bound_three_by_gap["exact"] == pytest.approx(r.bound_three - 3 * 1.5**2
                                                          + 3 * 0.5**2)
    c = math.sqrt(mix / 3 + 4 * 2.0**2)
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


def budget(a, target):
    """The one Theorem 1 budget (the row ``icq budget --error total --norm mu`` prints)."""
    return theorem_budgets(a, target, error="total", norm="mu")[1]


def _applicable_audit():
    a = audit(from_dict(loop_doc()), handoffs=1000)
    assert a.theorem.applicable
    return a


def test_budget_is_monotone_in_the_target_and_checked_exactly():
    a = _applicable_audit()
    floor = a.gap_exact.value  # the Minkowski floor: C_F ε_approx + Δ_exact, ε_approx = 0 here
    assert floor > 0
    prev = None
    for target in floor * np.array([50.0, 10.0, 3.0, 1.5, 1.1, 1.01]):
        b = budget(a, float(target))
        d = b.details
        assert b.blocked_by is None and d["exact_check"]
        if b.handoffs > math.ceil(d["T0"]):  # least: one handoff fewer is above the target
            th, env = a.theorem.inputs, a.mixing.envelope
            before = S.evaluate(S.RESIDUAL_ENVELOPE, T=d["clock_handoffs"] - 1, G=th["G"],
                                kappa=th["kappa"], omega=th["omega"], t0=env.t0, dbar=env.dbar)
            burn = S.evaluate(S.BURN_IN_TERM, R_theta=th["R_theta"], d_burn=d["d_burn"])
            room = (target - th["C_F"] * th["eps_approx"] - floor) ** 2
            assert before + burn > room
        assert b.handoffs == d["burn_in"] + d["clock_handoffs"]
        three = d["handoffs_three_term"]
        assert three is None or three >= b.handoffs
        assert b.primitive_steps_max == a.model.T_max * b.handoffs
        assert b.primitive_steps_expected == pytest.approx(a.durations.mean_duration * b.handoffs)
        if prev is not None:
            assert b.handoffs >= prev
        prev = b.handoffs


def test_budget_infeasible_names_the_blocking_term():
    a = _applicable_audit()
    gap = icq_limit(a.model, "mu")  # Δ of the ‖·‖_μ total-error row: the exact ‖Q̂*_μ∘σ − Q*‖_μ
    assert 0 < gap <= a.gap_exact.value
    b = budget(a, gap * 0.99)
    assert b.handoffs is None and b.blocked_by == "ais"
    assert f"{gap:.6g}" in b.reason  # the smallest target Theorem 1 can certify
    # between the Minkowski floor Δ and the three-term floor √3·Δ only Minkowski has a budget
    b = budget(a, gap * 1.5)
    assert b.handoffs is not None and b.details["handoffs_three_term"] is None
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
