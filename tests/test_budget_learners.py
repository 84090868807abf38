"""``icq budget`` for a learner specification (docs/theory.md §8): the learner options, the seed
range, Theorem 1 beside the certificate of its own learner, IC-Q's limit, ``--tune``,
``--horizon auto`` and ``--bootstrap``."""

from __future__ import annotations

import json
import math
import sys

import numpy as np
import pytest

import icq.bounds.budgets as B
import icq.bounds.certify
from icq.bounds.auditor import audit
from icq.bounds.bootstrap import measure, replicate_weights
from icq.bounds.budget import theorem_budgets
from icq.bounds.certificate import certificate
from icq.bounds.tune import check_disjoint, family, tune
from icq.cli import main
from icq.reference.exact.chain import pair_weights
from icq.reference.exact.induced import ais_model
from icq.reference.exact.solve import solve
from icq.reference.learners.montecarlo import error_spec, run_seeds
from icq.reference.learners.spec import LearnerSpec
from icq.reference.learners.tabular import TrainConfig
from icq.reference.learners.traces import (
    load_trace_data,
    simulate_traces,
    write_traces,
)
from icq.reference.model import example_path, load

ARE = str(example_path("author-reviewer-editor"))
SYN = str(example_path("synthetic-handoff"))
RING = str(example_path("ring-exact"))
FAST = ("--seeds", "59", "--workers", "1", "--json")


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_budget_certifies_the_spec_of_its_learner_options_on_its_own_seeds(capsys):
    """The certificate is the order statistic of runs of exactly the spec the options give, on
    the seeds 2³² + i; its train_command trains that spec. Controls: the default spec and the
    seeds 0..58 give other H."""
    code, out, err = run(capsys, "budget", RING, "--target", "0.1", "--horizon", "20000",
                         "--step", "constant", "--alpha", "0.02", *FAST)
    assert code == 0, err
    j = json.loads(out)
    spec = LearnerSpec(step="constant", alpha=0.02)
    cert = j["methods"][0]
    assert j["learner"] == cert["details"]["learner"] == spec.to_json()
    seeds = B.certificate_seeds(59)
    assert seeds[0] == B.CERTIFICATE_SEED_BASE == 2**32
    m = load(RING)
    cfg = TrainConfig(step="constant", alpha=0.02)
    runs = run_seeds(m, cfg, [0.1], horizon=20_000, seeds=seeds, backend="serial")
    assert cert["handoffs"] == certificate(runs).handoffs
    assert "seeds 2³² + 0…58" in cert["covers"] and "--seed 0" in cert["covers"]
    cmd = cert["details"]["train_command"]
    assert cmd == ["icq", "train", RING, *spec.argv(), "--handoffs", str(cert["handoffs"]),
                   "--seed", str(2**32 + 59)]
    old = run_seeds(m, cfg, [0.1], horizon=20_000, seeds=59, backend="serial")
    other = run_seeds(m, TrainConfig(), [0.1], horizon=20_000, seeds=seeds, backend="serial")
    assert not np.array_equal(old.H, runs.H) and not np.array_equal(other.H, runs.H)


def test_theorem1_row_names_its_specs_and_sits_beside_its_own_learners_certificate():
    """Where Theorem 1 gives a budget, its own learner (theory step with the model's κ and ω,
    Polyak average, the budget's burn-in and radius) is certified and the ratio is theorem T /
    certified T."""
    m = load(SYN)
    b = B.budgets(m, 2.0, seeds=59, horizon=20_000, backend="serial")
    methods = [r.method for r in b.rows]
    th = b.rows[methods.index("Theorem 1")]
    own = b.rows[methods.index("Monte-Carlo certificate of Theorem 1's learner")]
    assert "theory step" in th.covers and "Polyak average" in th.covers
    assert "constant step" in b.rows[methods.index("A6-free theorem")].covers
    inputs = audit(m).theorem.inputs
    spec = LearnerSpec(step="theory", average="polyak", burn_in=th.details["burn_in"],
                       radius=th.details["R_theta"]).with_theory_constants(
        inputs["kappa"], inputs["omega"])
    assert own.details["learner"] == spec.to_json()
    assert own.status == "ok" and own.handoffs is not None
    assert th.details["theorem_over_certificate"] == pytest.approx(
        th.details["clock_handoffs"] / own.handoffs)
    cmd = th.details["train_command"]
    assert cmd[3:cmd.index("--handoffs")] == spec.argv() and cmd[-2] == "--seed"
    assert {"--step", "theory", "--average", "polyak", "--radius"} <= set(cmd)
    # control: a model where Theorem 1 is blocked gets no such row
    b = B.budgets(load(RING), 0.1, seeds=59, horizon=2_000, backend="serial")
    assert "Monte-Carlo certificate of Theorem 1's learner" not in [r.method for r in b.rows]


def _limit_by_hand(m, norm):
    """max (sup) or μ-weighted root mean square over latent pairs with weight > 0 of
    |Q̂*_μ(σ(y), j) − Q*(y, j)|."""
    ais = ais_model(m)
    w = pair_weights(m, ais.weights / ais.weights.sum())
    d = solve(ais.smdp).q[m.pair_obs_pair] - solve(m.latent).q
    return float(np.abs(d[w > 0]).max() if norm == "sup" else math.sqrt(np.sum(w * d**2)))


@pytest.mark.parametrize("norm", ["sup", "mu"])
def test_icq_limit_is_the_total_error_of_q_hat_and_targets_below_it_are_refused(capsys, norm):
    m = load(ARE)
    limit = B.icq_limit(m, norm)
    assert limit == pytest.approx(_limit_by_hand(m, norm), rel=1e-12)
    floor = error_spec(m, "total", norm).floor
    assert floor < limit
    between = (floor + limit) / 2
    code, out, err = run(capsys, "budget", ARE, "--target", f"{between}", "--error", "total",
                         "--norm", norm, "--horizon", "1000", *FAST)
    assert code == 2 and out == "" and f"{limit:.6g}" in err and "Q̂*_μ∘σ" in err
    code, out, err = run(capsys, "budget", ARE, "--target", f"{limit * 1.2}", "--error",
                         "total", "--norm", norm, "--horizon", "1000", *FAST)
    j = json.loads(out)
    assert code in (0, 3) and j["icq_limit"] == pytest.approx(limit)
    assert j["smallest_reachable_target"] == pytest.approx(floor)


def test_theorem1_total_mu_row_uses_the_exact_mu_gap_and_says_it_cannot_certify():
    m = load(SYN)
    a = audit(m)
    limit = B.icq_limit(m, "mu")
    th = theorem_budgets(a, 100.0, error="total", norm="mu")[1]
    assert th.details["Delta"] == pytest.approx(limit) and limit < a.gap_exact.value
    blocked = theorem_budgets(a, limit * 0.99, error="total", norm="mu")[1]
    assert blocked.status == "blocked" and "Theorem 1 cannot certify this target" in \
        blocked.reason and "no number of handoffs" not in blocked.reason
    sup = theorem_budgets(a, a.gap_exact.value * 0.5, error="total", norm="sup")[1]
    assert "Theorem 1 cannot certify this target" in sup.reason


def test_tune_selects_on_disjoint_seeds_and_its_claim_holds_on_held_out_seeds():
    """The chosen spec minimises the selection-stage quantile among the candidates that ran;
    its certificate is the order statistic of runs on the certificate seeds, which the
    selection never saw, and a fraction ≥ q of 300 held-out runs meet ε from T on."""
    m = load(RING)
    q, eps, horizon = 0.95, 0.1, 20_000
    b = B.budgets(m, eps, seeds=59, horizon=horizon, backend="serial", tune=True)
    t = b.tune
    assert b.rows[1] is t.row and t.default is b.rows[0]
    assert len(t.candidates) == len(family()) and t.candidates[0].spec == LearnerSpec()
    ran = [c for c in t.candidates if c.quantile_H is not None]
    assert t.chosen == min(ran, key=lambda c: c.quantile_H).spec
    assert np.intersect1d(t.selection_seeds, t.certification_seeds).size == 0
    assert t.selection_seeds.min() >= B.SELECTION_SEED_BASE
    assert "2³² + 2³¹ + 0…58" in t.row.covers and "disjoint" in t.row.covers
    errspec = error_spec(m)
    cal = B.run_spec(m, t.chosen, [eps], horizon=horizon, seeds=B.certificate_seeds(59),
                     errspec=errspec, backend="serial")
    assert t.row.handoffs == certificate(cal).handoffs
    fresh = B.run_spec(m, t.chosen, [eps], horizon=horizon, seeds=10**6 + np.arange(300),
                       errspec=errspec, backend="serial")
    slack = 3 * math.sqrt(q * (1 - q) / 300)
    assert np.mean(fresh.H[:, 0] <= t.row.handoffs) >= q - slack


def test_a_tuned_certificate_that_reuses_its_selection_seeds_is_refused():
    check_disjoint(np.arange(5), np.arange(5, 10))
    with pytest.raises(ValueError, match="selection seeds"):
        check_disjoint(np.arange(5), np.arange(4, 10))
    m = load(RING)
    spec = error_spec(m)
    seeds = B.certificate_seeds(59)
    default, _ = B.certify(m, LearnerSpec(), 0.1, seeds=seeds, horizon=2_000, errspec=spec,
                           quantile=0.95, confidence=0.95, backend="serial")
    with pytest.raises(ValueError, match="selection seeds"):
        tune(m, 0.1, LearnerSpec(), selection_seeds=seeds[:59], certification_seeds=seeds,
             selection_horizon=2_000, horizon=2_000, errspec=spec, quantile=0.95,
             confidence=0.95, default_row=default, candidates=(LearnerSpec(),),
             backend="serial")


def test_horizon_auto_doubles_on_separate_runs_until_t_lies_in_the_first_half(monkeypatch):
    """The horizon is chosen on 59 selection runs (the first horizon 250·2^i whose certified T
    lies in its first half), then certified on the certificate seeds, which took no part."""
    monkeypatch.setattr(icq.bounds.certify, "AUTO_START", 250)
    m = load(RING)
    b = B.budgets(m, 0.05, seeds=59, horizon="auto", horizon_cap=256_000, backend="serial")
    row = b.rows[0]
    tried = row.details["horizons_tried"]
    h = b.runs.horizon
    assert tried == [250 * 2**i for i in range(len(tried))] and tried[-1] == h and len(tried) > 1
    assert f"Horizon {h:,}, chosen by doubling from 250" in row.covers
    assert "2³² + 2³¹ + 0…58" in row.covers and "cap was reached" not in row.covers
    sel = B.certificate_seeds(59, B.SELECTION_SEED_BASE)

    def selection_T(horizon):
        runs = run_seeds(m, TrainConfig(), [0.05], horizon=horizon, seeds=sel, backend="serial")
        return certificate(runs).handoffs

    before, at = selection_T(h // 2), selection_T(h)
    assert (before is None or 2 * before > h // 2) and at is not None and 2 * at <= h
    runs = run_seeds(m, TrainConfig(), [0.05], horizon=h, seeds=B.certificate_seeds(59),
                     backend="serial")
    assert row.handoffs == certificate(runs).handoffs
    # control: a cap too small is reached first, and the claim says so
    b = B.budgets(m, 0.05, seeds=59, horizon="auto", horizon_cap=500, backend="serial")
    assert b.runs.horizon == 500 and "the cap was reached first" in b.rows[0].covers


def test_budget_bootstrap_reruns_the_certificate_on_the_bootstrap_refits(tmp_path, capsys):
    truth = load(ARE)
    path = tmp_path / "t.jsonl"
    write_traces(path, simulate_traces(truth, 80, seed=3))
    model = tmp_path / "m.json"
    assert main(["fit", str(path), "-o", str(model), "--gamma", "0.95"]) == 0
    capsys.readouterr()
    code, out, err = run(capsys, "budget", str(model), "--target", "0.3", "--horizon", "3000",
                         "--traces", str(path), "--bootstrap", "3", "--level", "0.6", *FAST)
    assert code in (0, 3), err
    j = json.loads(out)
    boot = j["bootstrap"]
    assert j["methods"][0]["method"] == "Monte-Carlo certificate"
    assert boot["replicates"] == 3 and len(boot["handoffs"]) == 3
    assert "not a guarantee" in boot["meaning"] and "bootstrap" in boot["meaning"]
    data = load_trace_data(str(path), 0.95, name=load(str(model)).name)
    for b, got in enumerate(boot["handoffs"]):
        w = np.random.default_rng([0, b]).multinomial(data.episodes,
                                                      np.full(data.episodes, 1.0 / data.episodes))
        refit, _ = data.model(w.astype(float))
        # the same refit as icq.bounds.bootstrap's replicate b (its one weight draw)
        assert np.array_equal(replicate_weights(data.episodes, 0, b), w)
        assert measure(data.model(replicate_weights(data.episodes, 0, b))[0], ("kappa",),
                       target=0.1)["kappa"] == pytest.approx(audit(refit).features.kappa.kappa)
        runs = run_seeds(refit, TrainConfig(), [0.3], horizon=3000,
                         seeds=B.certificate_seeds(59), backend="serial")
        want = certificate(runs).handoffs
        assert got == (math.inf if want is None else want)
    assert boot["upper"] == sorted(boot["handoffs"])[math.ceil(0.6 * 3) - 1]
    code, out, err = run(capsys, "budget", str(model), "--target", "0.3", "--bootstrap", "3")
    assert code == 2 and "--traces" in err


def test_theory_step_takes_the_models_constants_or_is_refused(capsys):
    code, out, err = run(capsys, "budget", SYN, "--target", "2", "--step", "theory",
                         "--horizon", "2000", *FAST)
    assert code in (0, 3), err
    fa = audit(load(SYN)).features
    got = json.loads(out)["learner"]
    assert (got["kappa"], got["feature_omega"]) == (fa.kappa.upper, fa.omega.value)
    # control: A6 fails on ring-exact, so Theorem 1's step is undefined there
    code, out, err = run(capsys, "budget", RING, "--target", "2", "--step", "theory",
                         "--horizon", "2000", *FAST)
    assert code == 2 and out == "" and "--step" in err and "A6" in err


def test_horizon_auto_progress_bar_on_a_terminal_only_never_with_json(capsys, monkeypatch):
    monkeypatch.setattr(icq.bounds.certify, "AUTO_START", 250)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    argv = ("budget", RING, "--target", "0.05", "--horizon", "auto", "--horizon-cap", "4000",
            "--seeds", "59", "--workers", "1")
    code, out, err = run(capsys, *argv)
    assert code in (0, 3) and "horizon" in err and "doubling" in err
    code, out, err = run(capsys, *argv, "--json")
    assert code in (0, 3) and "doubling" not in err and json.loads(out)["methods"]
