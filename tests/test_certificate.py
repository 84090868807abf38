"""The Monte-Carlo certificate (docs/theory.md §8): the order-statistic rank, the tracked runs
(same learner bit for bit, O(1) tracking = full recomputation), backends, held-out seeds and the
``icq budget`` command."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from icq.bounds.certificate import SeedsTooFew, certificate, order_statistic_rank, seeds_needed
from icq.cli import main
from icq.reference.learners.montecarlo import error_spec, full_error, run_seed, run_seeds
from icq.reference.learners.tabular import TrainConfig, train_tabular
from icq.reference.model import example_path, load
from icq.reference.model.generate import random_model

ARE = str(example_path("author-reviewer-editor"))
SYN = str(example_path("synthetic-handoff"))


@pytest.fixture(scope="module")
def ray_instance():
    """One real local Ray instance for the module (Ray 2.60 has no local mode)."""
    # ray: the [ray] extra; its import takes seconds, only the Ray tests need it
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


# --- the order statistic ------------------------------------------------------------------


def _binom_cdf(k: int, n: int, q: float) -> float:
    """P(Bin(n, q) ≤ k) by summing the probability mass function (exact integers)."""
    return sum(math.comb(n, i) * q**i * (1 - q) ** (n - i) for i in range(k + 1))


@pytest.mark.parametrize("n,q,conf", [(59, 0.95, 0.95), (200, 0.95, 0.95), (100, 0.9, 0.99),
                                      (30, 0.5, 0.9), (1000, 0.99, 0.95)])
def test_rank_is_the_least_k_by_brute_force(n, q, conf):
    k = order_statistic_rank(n, q, conf)
    assert _binom_cdf(k - 1, n, q) >= conf
    assert k == 1 or _binom_cdf(k - 2, n, q) < conf


def test_seeds_needed_is_the_smallest_n_with_q_to_the_n_at_most_beta():
    assert seeds_needed(0.95, 0.95) == 59  # ln 0.05 / ln 0.95 = 58.4
    for q, conf in [(0.95, 0.95), (0.9, 0.99), (0.5, 0.9)]:
        n = seeds_needed(q, conf)
        assert q**n <= 1 - conf < q ** (n - 1)
        order_statistic_rank(n, q, conf)
        with pytest.raises(SeedsTooFew, match=str(n)):
            order_statistic_rank(n - 1, q, conf)


def _coverage(rank_of, n: int, q: float, reps: int, rng) -> float:
    """Fraction of repetitions in which H_(rank) ≥ the q-quantile of Exp(1) (F(H_(rank)) ≥ q)."""
    x = np.sort(rng.exponential(size=(reps, n)), axis=1)[:, rank_of(n) - 1]
    return float(np.mean(1 - np.exp(-x) >= q))


def test_coverage_by_simulation_and_a_rank_too_small_fails():
    """P(F(H_(k)) ≥ q) ≥ 1 − β on a known law (within 4 binomial standard errors); the
    negative control, three ranks lower, falls clearly short."""
    rng = np.random.default_rng(1)
    reps, q, conf = 4000, 0.95, 0.95
    slack = 4 * math.sqrt(conf * (1 - conf) / reps)
    for n in (59, 200):
        assert _coverage(lambda n: order_statistic_rank(n, q, conf), n, q, reps, rng) \
            >= conf - slack
    low = _coverage(lambda n: order_statistic_rank(n, q, conf) - 3, 200, q, reps, rng)
    assert low < conf - slack


# --- the tracked runs ---------------------------------------------------------------------

CONFIGS = [TrainConfig(), TrainConfig(step="constant", alpha=0.2, exploration="epsilon-greedy",
                                      epsilon=0.3),
           TrainConfig(step="constant", alpha=0.3, radius=7.0)]


@pytest.mark.parametrize("config", CONFIGS)
def test_tracked_run_is_train_tabular_bit_for_bit(config):
    m = load(SYN)
    spec = error_spec(m, "total", "sup")
    for seed in (0, 7):
        run = run_seed(m, config, spec, [0.5], horizon=5000, seed=seed)
        ref = train_tabular(m, TrainConfig(**{**vars(config), "handoffs": 5000, "seed": seed}))
        assert np.array_equal(run.q, ref.q) and np.array_equal(run.visits, ref.visits)
        assert run.episodes == ref.episodes


def _h_from(errors: np.ndarray, eps: float) -> float:
    """H = min{h : e_t ≤ ε for h ≤ t ≤ horizon} from the error after every handoff."""
    bad = np.nonzero(errors > eps)[0]
    if bad.size == 0:
        return 0.0
    return math.inf if bad[-1] == errors.size - 1 else float(bad[-1] + 1)


@pytest.mark.parametrize("error,norm", [("learning", "sup"), ("total", "sup"),
                                        ("learning", "mu"), ("total", "mu")])
@pytest.mark.parametrize("config", CONFIGS)
def test_o1_tracking_equals_a_full_scan_after_every_handoff(error, norm, config):
    """The counts (sup) and the running sum (μ) give the same H as recomputing the error of
    the whole table after every handoff; a tracker that scans only every 25 handoffs does not
    (negative control)."""
    m = random_model(9, n_agents=3, obs_per_agent=2, seed=4)
    spec = error_spec(m, error, norm)
    horizon = 400
    e_full = np.array([full_error(spec, train_tabular(
        m, TrainConfig(**{**vars(config), "handoffs": t, "seed": 3})).q)
        for t in range(horizon + 1)])
    targets = np.unique(np.round(np.quantile(e_full, np.linspace(0.02, 0.98, 25)), 12)) + 1e-9
    run = run_seed(m, config, spec, targets, horizon=horizon, seed=3,
                   grid=np.arange(horizon + 1))
    np.testing.assert_allclose(run.errors, e_full, rtol=1e-9, atol=1e-12)
    assert run.H.tolist() == [_h_from(e_full, e) for e in targets]
    periodic = e_full.copy()
    for t in range(horizon + 1):
        periodic[t] = e_full[t - t % 25]
    assert any(_h_from(periodic, e) != h for e, h in zip(targets, run.H, strict=True))


def test_total_error_floor_is_half_the_fiber_spread():
    """Q = fiber midpoint reaches the sup floor and fiber means the μ floor; every other
    table is at least as far (checked on random tables)."""
    m = load(SYN)
    sup, mu = error_spec(m, "total", "sup"), error_spec(m, "total", "mu")
    mid = np.where(sup.hi >= sup.lo, (sup.lo + sup.hi) / 2, 0.0)
    mean = np.where(mu.W > 0, mu.S1 / np.where(mu.W > 0, mu.W, 1), 0.0)
    assert full_error(sup, mid) == pytest.approx(sup.floor, abs=1e-12)
    assert full_error(mu, mean) == pytest.approx(mu.floor, abs=1e-9)
    rng = np.random.default_rng(0)
    for _ in range(50):
        q = mid + rng.normal(scale=0.5, size=mid.shape)
        assert full_error(sup, q) >= sup.floor - 1e-12
        assert full_error(mu, q) >= mu.floor - 1e-9
    assert error_spec(m, "learning", "sup").floor == 0.0


def test_backends_give_identical_h(ray_instance):
    m = load(ARE)
    kw = dict(horizon=3000, seeds=list(range(10, 16)), error="learning", norm="sup", chunk=2)
    ref = run_seeds(m, TrainConfig(), [0.05, 0.2], backend="serial", **kw)
    for backend in ("local", "ray"):
        got = run_seeds(m, TrainConfig(), [0.05, 0.2], backend=backend, workers=2, **kw)
        assert np.array_equal(got.H, ref.H) and np.array_equal(got.errors, ref.errors)
    assert ref.errors.shape == (6, ref.grid.size) and ref.grid[0] == 0


# --- the claim on held-out seeds ----------------------------------------------------------


def test_held_out_seeds_meet_the_target_at_the_certified_t():
    """At T = H_(k) of 200 seeds, at least a fraction q of 300 fresh seeds have error ≤ ε from
    T through the horizon (within 3 binomial standard errors). Negative controls: the median of
    the same seeds as "T", and a frozen learner (α = 10⁻¹²), fail the check."""
    m = load(ARE)
    q, conf, eps, horizon = 0.95, 0.95, 0.1, 40_000
    config = TrainConfig()
    cal = run_seeds(m, config, [eps], horizon=horizon, seeds=200, backend="serial")
    cert = certificate(cal, quantile=q, confidence=conf)
    assert cert.status == "ok" and cert.details["rank_k"] == order_statistic_rank(200, q, conf)
    fresh = run_seeds(m, config, [eps], horizon=horizon, seeds=np.arange(1000, 1300),
                      backend="serial")
    slack = 3 * math.sqrt(q * (1 - q) / 300)
    assert np.mean(fresh.H[:, 0] <= cert.handoffs) >= q - slack
    median = float(np.median(cal.H[:, 0]))
    assert np.mean(fresh.H[:, 0] <= median) < q - slack
    frozen = run_seeds(m, TrainConfig(step="constant", alpha=1e-12), [eps], horizon=horizon,
                       seeds=np.arange(1000, 1060), backend="serial")
    assert np.mean(frozen.H[:, 0] <= cert.handoffs) < q - slack


# --- icq budget -----------------------------------------------------------------------------


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_budget_json_one_object_per_method(capsys):
    code, out, err = run(capsys, "budget", ARE, "--target", "0.1", "--seeds", "59",
                         "--horizon", "20000", "--workers", "1", "--json")
    assert code == 0, err
    j = json.loads(out)
    methods = [r["method"] for r in j["methods"]]
    assert methods[0] == "Monte-Carlo certificate" and "Theorem 1" in methods
    cert = j["methods"][0]
    assert cert["status"] == "ok" and 0 <= cert["handoffs"] <= 20000
    assert cert["details"]["rank_k"] == 59 and "confidence 0.95" in cert["covers"]
    for r in j["methods"]:
        for key in ("handoffs", "primitive_steps_expected", "covers", "status", "section"):
            assert key in r


def test_budget_exit_2_on_invalid_input(capsys):
    floor = error_spec(load(SYN), "total", "sup").floor
    code, out, err = run(capsys, "budget", SYN, "--target", f"{floor * 0.9}", "--error",
                         "total")
    assert code == 2 and out == "" and f"{floor:.6g}" in err and "--target" in err
    code, out, err = run(capsys, "budget", ARE, "--target", "0.1", "--seeds", "58")
    assert code == 2 and out == "" and "59" in err and "--seeds" in err
    for bad in ("-1", "0", "nan", "inf"):
        code, out, err = run(capsys, "budget", ARE, "--target", bad)
        assert code == 2 and out == "" and "--target" in err
    code, out, err = run(capsys, "budget", ARE, "--target", "0.1", "--omega", "0.3")
    assert code == 2 and "omega" in err


def test_budget_exit_3_when_no_method_gives_a_budget(capsys):
    # A6 fails on author-reviewer-editor, so Theorem 1 is blocked; the A6-free theorem is not
    # shipped; a 500-handoff horizon is too short for the certificate at 0.01
    code, out, err = run(capsys, "budget", ARE, "--target", "0.01", "--seeds", "59",
                         "--horizon", "500", "--workers", "1")
    assert code == 3, err
    assert "beyond the horizon" in out and "smallest reachable target" in out
    code, out, _ = run(capsys, "budget", ARE, "--target", "0.01", "--seeds", "59",
                       "--horizon", "500", "--workers", "1", "--json")
    j = json.loads(out)
    assert code == 3 and j["exit"] == 3
    assert [r["status"] for r in j["methods"]] == ["beyond horizon", "blocked", "blocked"]
    # control: with a horizon long enough the certificate answers and the exit is 0
    code, out, _ = run(capsys, "budget", ARE, "--target", "0.5", "--seeds", "59",
                       "--horizon", "20000", "--workers", "1", "--json")
    assert code == 0 and json.loads(out)["methods"][0]["status"] == "ok"
