"""The Bellman-residual certificate, the Minkowski combination, the A6-free ingredients and
theorem_budgets (docs/theory.md §6, §8)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sps

from icq.bounds import audit
from icq.bounds import symbolic as S
from icq.bounds.a6free import a6free_terms
from icq.bounds.budget import MethodBudget, theorem_budgets
from icq.bounds.residual import residual_certificate
from icq.reference.exact.induced import ais_model
from icq.reference.exact.solve import solve
from icq.reference.model import SMDP, example_path, load


def test_residual_certificate_hand_computed_one_state():
    """One state, one action, K = g, r = 1: Q̂* = 1/(1 − g); for q = 0 the residual is 1 and
    both forms give 1/(1 − g) = |0 − Q̂*| (tight) up to the rounding cushion, here
    (m + 2)·ε_mach·‖r̂‖∞ = 3·2⁻⁵² on the residual."""
    g = 0.75
    h = SMDP(np.array([0, 1]), np.array([1]), np.array([1.0]), sps.csr_matrix([[g]]))
    c = residual_certificate(h, np.zeros(1))
    assert c.residual == 1.0 + 3 * 2.0**-52 and c.sup_bound == pytest.approx(4.0, rel=1e-14)
    assert c.sup_bound >= 4.0 and residual_certificate(h, np.zeros(1), rounding=False).residual == 1
    assert c.pointwise_max == pytest.approx(4.0, rel=1e-8) and c.pointwise_max >= 4.0


@pytest.mark.parametrize("name", ["ring-exact", "synthetic-handoff", "author-reviewer-editor"])
def test_residual_certificate_never_below_the_true_error_and_tight_at_the_fixed_point(name):
    a = ais_model(load(example_path(name)))
    qs = solve(a.smdp).q
    assert residual_certificate(a, qs).bound < 1e-8
    rng = np.random.default_rng(0)
    for scale in (1e-3, 0.1, 3.0):
        q = qs + scale * rng.standard_normal(qs.shape)
        c = residual_certificate(a, q)
        err = np.abs(q - qs)
        assert np.all(err <= c.pointwise * (1 + 1e-9) + 1e-12)
        assert err.max() <= c.sup_bound * (1 + 1e-9)
        assert c.pointwise_max <= c.sup_bound * (1 + 1e-9)
        # the post-fixed-point property the Coq lemma needs: F e ≤ e
        fe = np.abs(a.smdp.bellman(q) - q) + a.smdp.K @ a.smdp.vmax(c.pointwise)
        assert np.all(fe <= c.pointwise * (1 + 1e-12) + 1e-12)


def test_residual_certificate_negative_control_drops_the_contraction_factor():
    """‖ĤQ − Q‖∞ alone (without 1/(1 − γ̂)) is not a bound: it is exceeded on the 1-state case."""
    h = SMDP(np.array([0, 1]), np.array([1]), np.array([1.0]), sps.csr_matrix([[0.75]]))
    c = residual_certificate(h, np.zeros(1))
    assert abs(0.0 - 4.0) > c.residual


@pytest.mark.parametrize("seed", range(4))
def test_minkowski_never_above_three_terms(seed):
    rng = np.random.default_rng(seed)
    for _ in range(200):
        a, b, r = rng.uniform(0, 10, 3) * rng.choice([1e-3, 1, 1e3], 3)
        mink = (a + b + math.sqrt(r)) ** 2
        assert mink <= 3 * (a * a + b * b + r) * (1 + 1e-12)
    vals = dict(C_F=2.0, eps_approx=0.1, Delta=0.5, G=3.0, tau=4, T=1000, kappa=0.5,
                omega=0.5, R_theta=1.0, d_burn=0.01)
    assert S.evaluate(S.BOUND_MINKOWSKI, **vals) <= S.evaluate(S.BOUND_THREE, **vals)


def test_a6free_terms_hand_computed_on_ring_exact():
    m = load(example_path("ring-exact"))
    t = a6free_terms(m)
    assert t.outside == 0 and 0 < t.N_min <= 1
    assert t.beta == pytest.approx(1 - t.N_min * (1 - t.gamma_hat))
    assert t.gamma_hat == pytest.approx(ais_model(m).smdp.gamma_bar)
    assert t.gamma_tau_min == pytest.approx(m.gamma ** int(m.out_dur.min()))


def test_theorem_budgets_rows_for_every_error_and_norm():
    a = audit(load(example_path("synthetic-handoff")))
    for error in ("learning", "total"):
        for norm in ("sup", "mu"):
            rows = theorem_budgets(a, 3.0, error=error, norm=norm)
            assert [r.method for r in rows] == ["A6-free theorem", "Theorem 1"]
            assert all(isinstance(r, MethodBudget) and r.covers and r.reason for r in rows)
            assert rows[0].status == "blocked" and "2102.01567" in rows[0].reason
            assert "θ̄_T" in rows[1].covers and "ν₀" in rows[1].covers
    learn = theorem_budgets(a, 3.0, error="learning", norm="mu")[1]
    total = theorem_budgets(a, 3.0, error="total", norm="mu")[1]
    assert learn.status == total.status == "ok" and learn.handoffs <= total.handoffs
    # ‖·‖_μ total error: Δ is the exact ‖Q̂*_μ∘σ − Q*‖_μ (docs/theory.md §8), below Δ_exact
    from icq.bounds.budget import icq_limit

    gap_mu = icq_limit(a.model, "mu")
    below = theorem_budgets(a, 0.9 * gap_mu, error="total", norm="mu")[1]
    assert below.status == "blocked" and below.floor == pytest.approx(gap_mu)
    assert gap_mu < a.gap_exact.value
    blocked = theorem_budgets(audit(load(example_path("ring-exact"))), 1.0)[1]
    assert blocked.status == "blocked" and "A6" in blocked.reason
