"""The A6 witness and the what-if search (docs/theory.md §5): the witness's numbers from the
definition, κ's analytic dependence on γ, and recommendations that were evaluated."""

from __future__ import annotations

import math

import numpy as np
import pytest

from icq.bounds.auditor import audit
from icq.bounds.features import feature_covariance, next_obs_weights
from icq.bounds.setting import prepare
from icq.bounds.validate import InputError
from icq.bounds.whatif import kappa_of_behaviour, minimise_kappa, remove_successor, what_if
from icq.experiments.pipeline_example import pipeline_text
from icq.reference.exact.solve import deterministic_policy, evaluate
from icq.reference.model import example_path, from_dict, load, replace_arrays

from .test_check_cli import slow_handoffs_doc

PIPE = example_path("planner-coder-tester-reviewer")


@pytest.fixture(scope="module")
def pipe():
    m = load(PIPE)
    return m, audit(m)


def test_witness_numbers_follow_the_definition(pipe):
    m, a = pipe
    mu = a.setting.mu
    # M(ô') = Σ_y μ(y) Σ_j π_b(j|σ(y)) Σ_outcomes prob γ^{2τ} 1{σ(next) = ô'}, by plain loops
    M = np.zeros(m.n_obs)
    for k in range(m.n_pairs):
        y = m.pair_state[k]
        pb = m.behavior[m.pair_obs_pair[k]]
        for i in range(m.out_ptr[k], m.out_ptr[k + 1]):
            if m.out_next[i] >= 0:
                M[m.state_obs[m.out_next[i]]] += (mu[y] * pb * m.out_prob[i]
                                                  * m.gamma ** (2 * m.out_dur[i]))
    w = a.witness
    assert a.features.kappa.a6_holds is False and w.pairs
    kappa2 = a.features.kappa.kappa ** 2
    for p in w.pairs:
        o = [i for i in range(m.n_obs) if m.obs_name(i) == (p.agent, p.observation)][0]
        k = [i for i in range(m.obs_ptr[o], m.obs_ptr[o + 1])
             if m.successor_name(int(m.obs_succ[i])) == p.successor][0]
        mu_o = sum(mu[y] for y in range(m.n_states) if m.state_obs[y] == o)
        assert p.M == pytest.approx(M[o], rel=1e-12)
        assert p.mu_obs == pytest.approx(mu_o, rel=1e-12)
        assert p.behaviour == pytest.approx(m.behavior[k], rel=1e-12)
        assert p.ratio == pytest.approx(M[o] / (mu_o * m.behavior[k]), rel=1e-12)
        assert p.ratio >= 1.0 and p.ratio <= kappa2 * (1 + 1e-12)  # each witness pair: κ² ≥ 1
        assert sum(s for *_, s in p.sources) <= 1 + 1e-12
    assert w.pairs[0].ratio == pytest.approx(kappa2, rel=1e-12)  # κ² is the largest ratio
    j = a.to_json()["a6_witness"]
    assert j["pairs"][0]["agent"] == w.pairs[0].agent and j["a6_holds"] is False


def test_gamma_knob_scales_kappa_as_gamma_to_the_duration():
    # every invocation lasts 2 steps and μ does not depend on γ, so κ ∝ γ² (one-hot)
    m = from_dict(slow_handoffs_doc())
    w = what_if(m, gammas=(0.5,), starts=1, maxfev=40)
    file = {s.knob: s for s in w.scenarios if s.behaviour == "file"}
    assert file["γ = 0.5"].kappa == pytest.approx(file["as given"].kappa * (0.5 / 0.9) ** 2,
                                                  rel=1e-9)


def test_recommendation_is_what_was_evaluated(pipe):
    m, a = pipe
    w = what_if(m, gammas=(0.5,), starts=1, maxfev=60, setting=a.setting)
    assert w.found == any(s.a6_holds for s in w.scenarios) and w.found
    b = w.best
    assert b.a6_holds and b.kappa < 1 and b.knob in w.verdict()
    # rebuild the recommended configuration from the reported numbers and audit it afresh
    beh = np.array([b.behavior[f"{x}/{o}"][m.successor_name(int(m.obs_succ[k]))]
                    for k in range(m.n_obs_pairs)
                    for x, o in [m.obs_name(int(m.obs_pair_obs[k]))]])
    m2 = replace_arrays(m, gamma=0.5, behavior=beh)
    a2 = audit(m2)
    assert a2.features.kappa.kappa == pytest.approx(b.kappa, rel=1e-9)
    assert a2.gap_exact.value == pytest.approx(b.delta_exact, rel=1e-9, abs=1e-12)
    # its greedy policy, evaluated in the original model, loses what was reported
    pi = deterministic_policy(a.setting.ais.smdp, a2.setting.hat.policy)
    _, v = evaluate(m.latent, m.lift(pi))
    assert float(m.initial @ (a.setting.latent.v - v)) == pytest.approx(b.loss_initial,
                                                                        abs=1e-9)


def test_nothing_found_is_stated_and_never_worse_than_the_file(pipe):
    m, a = pipe
    w = what_if(m, starts=1, maxfev=60, setting=a.setting)
    assert not w.found and all(not s.a6_holds for s in w.scenarios)
    assert "Nothing in the family searched" in w.verdict()
    assert w.best.kappa == min(s.kappa for s in w.scenarios) <= w.baseline.kappa


def test_minimise_kappa_is_no_worse_than_its_starts():
    m = load(example_path("author-reviewer-editor"))
    beh, k, n = minimise_kappa(m, starts=1, maxfev=60)
    uniform = np.concatenate([np.full(int(d), 1.0 / d) for d in np.diff(m.obs_ptr)])
    assert n > 1 and math.isfinite(k)
    assert k <= kappa_of_behaviour(m, uniform)[0].kappa + 1e-12
    assert k <= kappa_of_behaviour(m, m.behavior)[0].kappa + 1e-12
    assert kappa_of_behaviour(m, beh)[0].kappa == pytest.approx(k, rel=1e-12)


def test_remove_successor_validates_and_renormalises():
    m = load(PIPE)
    m2 = remove_successor(m, "tester", "pass", "reviewer")
    assert m2.n_obs_pairs == m.n_obs_pairs - 1
    o = [i for i in range(m2.n_obs) if m2.obs_name(i) == ("tester", "pass")][0]
    sl = slice(m2.obs_ptr[o], m2.obs_ptr[o + 1])
    assert sorted(m2.successor_name(int(j)) for j in m2.obs_succ[sl]) == ["END", "coder"]
    assert m2.behavior[sl].sum() == pytest.approx(1.0)
    for bad, rule in ((("tester", "pass", "planner"), "not admissible"),
                      (("nobody", "pass", "END"), "no observation"),
                      (("planner", "task", "nobody"), "not admissible")):
        with pytest.raises(InputError, match=rule):
            remove_successor(m, *bad)
    one = remove_successor(m, "planner", "task", "END")
    with pytest.raises(InputError, match="only successor"):
        remove_successor(one, "planner", "task", "coder")


def test_generator_reproduces_the_bundled_example():
    assert PIPE.read_text() == pipeline_text()
    s = prepare(load(PIPE))
    assert s.stationary.ergodic


def test_witness_for_user_features_decomposes_the_local_search_ratio():
    m = load(example_path("author-reviewer-editor"))
    rng = np.random.default_rng(3)
    phi = rng.standard_normal((m.n_obs_pairs, 2))
    phi /= np.maximum(1.0, np.linalg.norm(phi, axis=1))[:, None]
    a = audit(m, features=phi, feature_kind="user")
    k, w = a.features.kappa, a.witness
    assert k.witness is not None and w.pairs
    u = k.witness
    M = next_obs_weights(m, a.setting.mu)
    num = sum(M[o] * max((phi[b] @ u) ** 2 for b in range(m.obs_ptr[o], m.obs_ptr[o + 1]))
              for o in range(m.n_obs) if M[o] > 0)
    den = u @ feature_covariance(phi, a.features.support) @ u
    shares = sum(r for _, r in w.ratios)
    assert shares == pytest.approx(num / den, rel=1e-9)  # the pairs' shares sum to the ratio
    assert shares <= k.upper ** 2 * (1 + 1e-9)  # which is at most κ²
    assert w.pairs[0].ratio == max(r for _, r in w.ratios)
