"""Hand-computed tiny instances for every term of docs/theory.md §3–§5 (icq.bounds)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from icq.bounds import audit
from icq.bounds.ais import delta_w1, policy_loss_bound
from icq.bounds.setting import prepare
from icq.bounds.terms import duration_discount
from icq.bounds.validate import InputError, check_features, check_obs_metric
from icq.reference.exact.chain import behaviour_chain
from icq.reference.exact.mixing import mixing_profile
from icq.reference.model import example_path, from_dict, load


def _t(s, j, r, nxt, d=1, p=1.0):
    return {"state": s, "successor": j,
            "outcomes": [{"prob": p, "duration": d, "reward": float(r), "next": nxt}]}


def loop_doc() -> dict:
    """docs/theory.md §3 Lemma P counterexample: A observes ``o`` in a1, a2; B has one state b → a2.

    γ = 0.9, every duration 1. r(a1,B) = 1, r(a1,END) = −1, r(a2,B) = −1, r(a2,END) = 0,
    r(b,A) = 0. Behaviour uniform; μ = (1/3, 1/3, 1/3).
    """
    return {"format": "icsmdp-epoch/1", "name": "loop", "gamma": 0.9, "agents": ["A", "B"],
            "states": [{"id": "a1", "agent": "A", "obs": "o"},
                       {"id": "a2", "agent": "A", "obs": "o"},
                       {"id": "b", "agent": "B", "obs": "p"}],
            "initial": {"a1": 1.0}, "successors": {"A": {"o": ["B", "END"]}, "B": {"p": ["A"]}},
            "transitions": [_t("a1", "B", 1, "b"), _t("a1", "END", -1, None),
                            _t("a2", "B", -1, "b"), _t("a2", "END", 0, None),
                            _t("b", "A", 0, "a2")]}


@pytest.fixture(scope="module")
def loop():
    return audit(from_dict(loop_doc()), handoffs=1000)


def test_loop_section3_by_hand(loop):
    a = loop
    assert a.model.gamma_bar == pytest.approx(0.9)
    assert np.allclose(a.setting.mu, [1 / 3, 1 / 3, 1 / 3])
    assert a.epsilon.value == pytest.approx(1.0)  # |r̄(a1,B) − r̂(o,B)| = |1 − 0|
    assert a.ipm_l1.delta == pytest.approx(0.0, abs=1e-12)  # σ#K = K̂∘σ exactly
    assert a.ipm_l1.L_V == pytest.approx(0.0, abs=1e-12)  # V̂* ≡ 0
    assert a.gap_paper.value == pytest.approx(10.0)  # (1 + 0)/(1 − 0.9)
    assert a.gap_value_aware.value == pytest.approx(10.0)
    assert a.gap_statewise.value == pytest.approx(100 / 19)  # e(a2,B) = 1 + 0.81 e(a2,B)
    assert a.gap_exact.value == pytest.approx(1.0)
    assert a.loss_exact.value == pytest.approx(100 / 19)  # π̂ loops a2 → b → a2


def test_lemma_p_erratum_two_delta_exact_is_not_a_bound(loop):
    a = loop
    assert a.loss_exact.value > 2 * a.gap_exact.value  # docs/theory.md §3 as written fails here
    b = policy_loss_bound(a.gap_exact, 0.9)
    assert b.value == pytest.approx(20.0) and a.loss_exact.value <= b.value  # 2Δ_exact/(1−γ̄)
    assert a.policy_loss_bound.value == pytest.approx(200 / 19)
    assert a.policy_loss_bound.gap_form == "statewise"


def test_loop_mixing_by_hand():
    m = from_dict(loop_doc())
    p = mixing_profile(m, 1e-3)
    assert np.allclose(p.d[:3], [2 / 3, 1 / 3, 1 / 6])
    assert p.tau(0.25).tau == 3 and p.tau(0.25).exact


def test_loop_section5_by_hand(loop):
    f = loop.features
    assert f.support.outside == 0
    assert np.allclose(f.support.w, [1 / 3, 1 / 3, 1 / 3])
    assert f.omega.value == pytest.approx(1 / 3)  # min w
    # M(o) = M(p) = 0.81/3, κ² = 0.27/(1/3) = 0.81
    assert f.kappa.kappa == pytest.approx(0.9) and f.kappa.exact and f.kappa.a6_holds
    assert f.C_F.value == pytest.approx(1 + 1.9 / 0.1)
    assert f.approximation.value == 0.0
    assert np.allclose(sorted(f.fixed_point.theta), [-0.5, 0.0, 0.0], atol=1e-10)
    assert f.fixed_point.norm_bound == pytest.approx(0.5, abs=1e-9)


def test_zero_behaviour_probability_leaves_a_pair_off_the_support_but_read():
    """π_b(END|o) = 0 and (a2, B) ends w.p. ½: μ = (0.2, 0.4, 0.4). (o, END) is off the
    support but T̂ reads it at the successor o, so the tabular ε_approx is
    |Q̂*(o, END)| = r̂(o, END) = ⅓(0.5) + ⅔(0.5) = 0.5."""
    doc = loop_doc()
    doc["transitions"][1]["outcomes"][0]["reward"] = 0.5  # r(a1, END)
    doc["transitions"][2]["outcomes"] = [  # a2 --B--> b w.p. ½, else ends (aperiodic)
        {"prob": 0.5, "duration": 1, "reward": -1.0, "next": "b"},
        {"prob": 0.5, "duration": 1, "reward": -1.0, "next": None}]
    doc["transitions"][3]["outcomes"][0]["reward"] = 0.5  # r(a2, END)
    doc["behavior"] = {"A": {"o": {"B": 1.0, "END": 0.0}}}
    a = audit(from_dict(doc), handoffs=1000)
    f = a.features
    assert np.allclose(a.setting.mu, [0.2, 0.4, 0.4])
    assert f.support.outside == 1 and f.support.read.all()
    assert f.omega.value == pytest.approx(0.4)
    assert f.kappa.kappa == pytest.approx(0.9)  # M(o) = M(p) = 0.324; w = 0.6, 0.4
    assert f.approximation.value == pytest.approx(0.5)
    assert f.C_F.value == pytest.approx(20.0)
    assert a.theorem.terms["approximation"] == pytest.approx(3 * 20.0**2 * 0.25)
    assert a.to_json()["features"]["outside_support"] == 1


def test_loop_theorem_by_hand(loop):
    th = loop.theorem
    assert th.applicable
    T = 1000
    Tc = T - th.burn_in  # noqa: N806 - the step clock starts after the burn-in
    assert th.alpha_T == pytest.approx(1 / (0.1 * (1 / 3) * (Tc + 1)))
    G = 1.0 + 2 * 0.5
    tau = th.tau_mix_alpha_T
    mix = 3 * G**2 * (9 + 24 * (tau + 1)) * (1 + math.log(Tc)) / (Tc * 0.01 * (1 / 3) ** 2)
    # d(t_b) = ½‖ν₀P_b^{t_b} − μ‖₁ by dense matrix powers
    ch = behaviour_chain(from_dict(loop_doc()))
    nu = ch.nu0 @ np.linalg.matrix_power(ch.dense(), th.burn_in)
    assert th.d_burn == pytest.approx(0.5 * np.abs(nu - loop.setting.mu).sum(), abs=1e-12)
    burn = 4 * 0.5**2 * th.d_burn  # 4R_θ²·d(t_b), BurnIn.v burn_in_shift
    assert th.terms["ais"] == pytest.approx(3 * 100.0)
    assert th.terms["approximation"] == 0.0
    assert th.terms["mixing_residual"] == pytest.approx(mix, rel=1e-9)
    assert th.terms["burn_in"] == pytest.approx(3 * burn, rel=1e-9, abs=1e-15)
    assert th.bound_three == pytest.approx(300.0 + mix + 3 * burn, rel=1e-9)
    assert th.bound == pytest.approx((10.0 + math.sqrt(mix / 3 + burn)) ** 2, rel=1e-9)
    assert th.bound_by_gap["exact"] == pytest.approx((1.0 + math.sqrt(mix / 3 + burn)) ** 2,
                                                     rel=1e-9)
    # τ_mix(α_T) exactly: least t with d(t) ≤ α_T
    p = mixing_profile(from_dict(loop_doc()), th.alpha_T)
    assert tau == int(np.flatnonzero(p.d <= th.alpha_T)[0] + 1)


def test_ring_exact_gives_zero_gaps():
    a = audit(load(example_path("ring-exact")))
    assert a.epsilon.value == 0.0
    assert a.ipm_l1.delta == 0.0
    for g in a.gaps().values():
        assert g == pytest.approx(0.0, abs=1e-12)
    assert a.loss_exact.value == pytest.approx(0.0, abs=1e-12)


def test_duration_discount_bounds_by_hand():
    dd = duration_discount(load(example_path("ring-exact")))
    # b0 → a: ½γ + ½γ³ = 0.45 + 0.3645
    assert sorted(np.round(dd.discount, 10)) == sorted([0.9, 0.81, 0.9, 0.8145])
    assert dd.lower == pytest.approx(0.9**3) and dd.upper == 0.9 and dd.within_bounds
    assert dd.gamma_bar == pytest.approx(0.9)


def test_w1_equal_masses_by_hand():
    """Two observations at distance 2 for agent A; W₁ moves 0.45 mass over distance 2."""
    doc = {"format": "icsmdp-epoch/1", "name": "w1", "gamma": 0.9, "agents": ["A", "B"],
           "states": [{"id": "b1", "agent": "B", "obs": "q"},
                      {"id": "b2", "agent": "B", "obs": "q"},
                      {"id": "a1", "agent": "A", "obs": "x"},
                      {"id": "a2", "agent": "A", "obs": "y"}],
           "initial": {"b1": 0.5, "b2": 0.5},
           "successors": {"B": {"q": ["A"]}, "A": {"x": ["END"], "y": ["END"]}},
           "transitions": [_t("b1", "A", 0, "a1"), _t("b2", "A", 0, "a2"),
                           _t("a1", "END", 1, None), _t("a2", "END", 0, None)]}
    m = from_dict(doc)
    s = prepare(m)
    where = {("B", "q"): 0.0, ("A", "x"): 1.0, ("A", "y"): -1.0}  # points on a line
    pos = np.array([where[m.obs_name(o)] for o in range(m.n_obs)])
    metric = np.abs(pos[:, None] - pos[None, :])  # d(x, y) = 2, d(q, ·) = 1
    ipm = delta_w1(s, check_obs_metric(metric, m))
    # μ(b1|q) = μ(b2|q) = ½: K̂(q) = 0.45 x + 0.45 y; σ#K(b1) = 0.9 x → move 0.45 from y to x
    assert ipm.d_max == pytest.approx(0.45 * 2)
    assert ipm.delta == pytest.approx(0.9 / 0.9)
    assert ipm.L_V == pytest.approx(max(0.55 / 1, 0.45 / 1, 1 / 2))  # V̂*: q 0.45, x 1, y 0
    assert ipm.sink is None


def test_w1_sink_keeps_the_ipm_inequality_when_masses_differ():
    doc = loop_doc()
    doc["transitions"][0]["outcomes"] = [  # a1 --B--> b w.p. ½, else the episode ends
        {"prob": 0.5, "duration": 1, "reward": 2.0, "next": "b"},
        {"prob": 0.5, "duration": 1, "reward": 0.0, "next": None}]
    m = from_dict(doc)
    s = prepare(m)
    metric = check_obs_metric(np.array([[0, 1], [1, 0]], float), m)
    ipm = delta_w1(s, metric)
    v = s.hat.v
    assert ipm.sink is not None  # σ#K(a1,B) has mass 0.45, K̂(o,B) has 0.675
    assert ipm.sink >= max(np.abs(v).max() / ipm.L_V, 0.5) - 1e-12
    gap = np.abs(s.push @ v - s.khat @ v)
    assert np.all(gap <= ipm.L_V * ipm.per_pair + 1e-12)
    assert ipm.per_pair.max() > 0


def test_w1_refuses_rather_than_rescale_when_no_sink_works():
    doc = loop_doc()
    doc["transitions"][0]["outcomes"] = [
        {"prob": 0.5, "duration": 1, "reward": 0.0, "next": "b"},
        {"prob": 0.5, "duration": 1, "reward": 0.0, "next": None}]
    for t in doc["transitions"]:  # reward 1 on ending, 1 − 0.9 on continuing: V̂* ≡ 1
        for o in t["outcomes"]:
            o["reward"] = 1.0 if o["next"] is None else 0.1
    m = from_dict(doc)
    s = prepare(m)
    metric = check_obs_metric(np.array([[0, 1], [1, 0]], float), m)
    v = s.hat.v
    assert np.allclose(v, 1.0)  # L_V = 0: no finite sink distance keeps ρ(V̂*) = L_V
    with pytest.raises(InputError, match="sink"):
        delta_w1(s, metric)


@pytest.mark.parametrize("bad,rule", [
    (np.ones((4, 2)), "‖φ‖₂"),
    (np.zeros((3, 2)), "shape"),
    (np.full((4, 1), np.nan), "non-finite"),
])
def test_feature_validation_names_the_rule(bad, rule):
    m = load(example_path("ring-exact"))
    with pytest.raises(InputError, match=rule):
        check_features(bad, m)


@pytest.mark.parametrize("bad,rule", [
    ([[0, 1, 2], [1, 0, 1], [3, 1, 0]], "symmetric"),
    ([[0, 1, 5], [1, 0, 1], [5, 1, 0]], "triangle"),
    ([[0, 0, 1], [0, 0, 1], [1, 1, 0]], "> 0"),
    ([[1, 1, 1], [1, 0, 1], [1, 1, 0]], "diagonal"),
    ([[0, 1], [1, 0]], "shape"),
])
def test_metric_validation_names_the_rule(bad, rule):
    m = load(example_path("ring-exact"))
    with pytest.raises(InputError, match=rule):
        check_obs_metric(np.array(bad, dtype=float), m)


def test_periodic_chain_gets_no_mixing_number_and_no_theorem():
    doc = {"format": "icsmdp-epoch/1", "name": "periodic", "gamma": 0.9, "agents": ["A", "B"],
           "states": [{"id": "a", "agent": "A", "obs": "o"}, {"id": "b", "agent": "B", "obs": "p"}],
           "initial": {"a": 1.0}, "successors": {"A": {"o": ["B"]}, "B": {"p": ["A"]}},
           "transitions": [_t("a", "B", 1, "b"), _t("b", "A", 0, "a")]}
    a = audit(from_dict(doc))
    assert a.t_mix.tau is None and "periodic" in a.t_mix.reason
    assert a.assumptions["A2"].holds is False
    assert not a.theorem.applicable and "A2" in a.theorem.reason
    j = a.to_json()
    assert j["tau_mix"] is None and j["stationary"] is None
    assert j["features"]["kappa"] is None


def test_envelope_bound_is_an_upper_bound_on_the_exact_mixing_time():
    m = load(example_path("author-reviewer-editor"))
    coarse = mixing_profile(m, 0.25)
    for eps in (1e-2, 1e-4, 1e-8):
        fine = mixing_profile(m, eps)
        exact = fine.tau(eps)
        bound = coarse.tau(eps)
        assert exact.exact and not bound.exact
        assert bound.tau >= exact.tau
