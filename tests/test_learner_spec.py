"""The tabular learner runs every tabular LearnerSpec (docs/theory.md §8, "The learner
specification"), and the Monte-Carlo runs certify each of them: burn-in, Q₀, the rescaled step
and the averaged iterates against a plain-Python reference on the same handoffs; the averaged
iterate's check grid against a brute-force evaluation, each with a negative control."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import icq.reference.learners.tabular as tab
from icq.bounds.auditor import audit
from icq.bounds.certificate import certificate
from icq.bounds.training import train_report
from icq.cli import main
from icq.reference.exact.induced import ais_model
from icq.reference.learners.handoffs import (
    ErrorArrays,
    handoff_arrays,
    handoff_record,
    run_tracked,
    start_stream,
)
from icq.reference.learners.montecarlo import (
    check_grid,
    error_spec,
    full_error,
    h_on_grid,
    run_seed,
    run_seeds,
)
from icq.reference.learners.neural.sampling import sample_handoffs
from icq.reference.learners.spec import LearnerSpec
from icq.reference.learners.tabular import TrainConfig, kernel_params, train, train_tabular
from icq.reference.model import example_path, load
from icq.reference.model.generate import random_model

ARE = str(example_path("author-reviewer-editor"))


def _reference(model, spec: LearnerSpec, T: int, seed: int, gamma_hat: float | None = None):
    """Plain Python: draw burn-in + T handoffs of the behaviour chain, skip the burn-in's, then
    apply T SMDP Q-learning updates with the spec's step from Q₀. Returns every iterate
    θ_0..θ_T (rows)."""
    h = sample_handoffs(model, spec.burn_in + T, seed)
    P = model.n_obs_pairs  # noqa: N806
    q = np.full(P, spec.q0)
    n = np.zeros(P)
    out = [q.copy()]
    for i in range(spec.burn_in, spec.burn_in + T):
        a = h["pair"][i]
        o2 = h["next_obs"][i]
        v = q[model.obs_ptr[o2]:model.obs_ptr[o2 + 1]].max() if o2 >= 0 else 0.0
        target = h["reward"][i] + h["discount"][i] * v
        n[a] += 1
        alpha = (1 / n[a] ** spec.step_exponent if spec.step == "harmonic" else
                 spec.alpha if spec.step == "constant" else 1 / (1 + (1 - gamma_hat) * n[a]))
        q[a] += alpha * (target - q[a])
        out.append(q.copy())
    return np.array(out)


SPECS = [LearnerSpec(burn_in=37), LearnerSpec(q0=2.5, step="constant", alpha=0.3),
         LearnerSpec(step="rescaled", average="polyak"),
         LearnerSpec(average="tail:0.3", burn_in=5, q0=-1.0)]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: " ".join(s.argv()[2:]))
def test_train_runs_the_spec_as_the_python_reference(spec):
    """Burn-in, Q₀, the rescaled step 1/(1 + (1 − γ̂)n) and the averages (θ̄_T over θ_0..θ_{T−1};
    tail:F over its last ⌈F·T⌉) equal a plain-Python learner on the same handoffs; the
    conventions one might confuse them with (no burn-in skipped, θ_1..θ_T) do not."""
    m = load(ARE)
    T = 300
    g = ais_model(m).smdp.gamma_bar
    ref = _reference(m, spec, T, seed=3, gamma_hat=g)
    res = train(m, spec, handoffs=T, seed=3, chunk=77)
    np.testing.assert_allclose(res.q, ref[T], rtol=0, atol=1e-12)
    if spec.averaged:
        t0 = spec.average_start(T)
        np.testing.assert_allclose(res.q_average, ref[t0:T].mean(axis=0), atol=1e-12)
        assert not np.allclose(res.q_average, ref[t0 + 1:T + 1].mean(axis=0), atol=1e-6)
    else:
        assert res.q_average is None
    if spec.burn_in:
        unburnt = _reference(m, LearnerSpec(**{**spec.to_json(), "burn_in": 0}), T, 3, g)
        assert not np.allclose(res.q, unburnt[T], atol=1e-6)
    assert res.spec == spec and res.handoffs == T


def test_train_config_is_the_spec_under_the_old_names():
    cfg = TrainConfig(handoffs=500, seed=2, omega=0.85, average=True, burn_in=3)
    assert cfg.spec == LearnerSpec(step_exponent=0.85, average="polyak", burn_in=3)
    assert TrainConfig.from_spec(cfg.spec, 500, 2) == cfg
    a = train_tabular(load(ARE), cfg)
    b = train(load(ARE), cfg.spec, handoffs=500, seed=2)
    assert np.array_equal(a.q_average, b.q_average) and np.array_equal(a.q, b.q)
    with pytest.raises(ValueError, match="alpha"):
        TrainConfig(step="constant", alpha=float("nan"))
    with pytest.raises(ValueError, match="κ"):
        train(load(ARE), LearnerSpec(step="theory"), handoffs=10)
    with pytest.raises(ValueError, match="stopping rule"):
        train(load(ARE), LearnerSpec(average="polyak"), handoffs=10, stop=lambda q, t: False)


def test_tail_average_resume_is_bit_for_bit_and_checkpoint_records_the_spec(tmp_path,
                                                                           monkeypatch):
    """A run killed after its second checkpoint (inside the tail) resumes to the uninterrupted
    run's tables; a checkpoint of another spec or another tail start is refused."""
    m = load(ARE)
    spec = LearnerSpec(average="tail:0.5", burn_in=11, q0=0.5, step="rescaled")
    full = train(m, spec, handoffs=30_000, seed=1, chunk=7_000)
    ck = tmp_path / "t.npz"
    save, calls = tab.save_state, []

    def crash(*a):
        save(*a)
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr(tab, "save_state", crash)
    with pytest.raises(KeyboardInterrupt):
        train(m, spec, handoffs=30_000, seed=1, checkpoint=ck, chunk=7_000)
    monkeypatch.setattr(tab, "save_state", save)
    resumed = train(m, spec, handoffs=30_000, seed=1, checkpoint=ck, resume=True, chunk=7_000)
    np.testing.assert_array_equal(resumed.q, full.q)
    np.testing.assert_array_equal(resumed.q_average, full.q_average)
    with pytest.raises(ValueError, match="different configuration.*q0"):
        train(m, LearnerSpec(**{**spec.to_json(), "q0": 0.0}), handoffs=30_000, seed=1,
              checkpoint=ck, resume=True)
    with pytest.raises(ValueError, match="average_start"):
        train(m, spec, handoffs=30_002, seed=1, checkpoint=ck, resume=True)


# --- Monte-Carlo runs of every spec --------------------------------------------------------


@pytest.mark.parametrize("spec", [LearnerSpec(burn_in=20, q0=1.0, step="rescaled"),
                                  LearnerSpec(step="constant", alpha=0.2, radius=4.0)],
                         ids=["burn-in,q0,rescaled", "constant,radius"])
def test_tracked_last_iterate_is_train_bit_for_bit(spec):
    m = load(ARE)
    es = error_spec(m, "learning", "sup")
    run = run_seed(m, spec, es, [0.5], horizon=3000, seed=4, grid=np.arange(0, 3001, 500))
    ref = train(m, spec, handoffs=3000, seed=4)
    assert np.array_equal(run.q, ref.q) and np.array_equal(run.visits, ref.visits)
    errs = [full_error(es, train(m, spec, handoffs=int(t), seed=4).q)
            for t in range(0, 3001, 500)]
    np.testing.assert_allclose(run.errors, errs, rtol=1e-12)


@pytest.mark.parametrize("average", ["last", "polyak"])
def test_projection_from_q0_is_train_bit_for_bit(average):
    """Q₀ ≠ 0 with a radius just above ‖Q₀‖₂: the running ‖q‖₂² starts from the same sum in
    ``train`` and in the tracked runs (600 entries, where a BLAS ``q @ q`` rounds otherwise),
    so both project by the same factors."""
    m = random_model(2000, n_agents=4, obs_per_agent=50, successors=3, outcomes=3,
                     p_terminal=0.1, seed=0)
    q0 = 0.7
    spec = LearnerSpec(step="constant", alpha=0.3, q0=q0, average=average,
                       radius=math.sqrt(m.n_obs_pairs) * q0 * (1 + 1e-7))
    run = run_seed(m, spec, error_spec(m, "learning", "sup"), [0.5], horizon=20000, seed=3)
    assert np.array_equal(run.q, train(m, spec, handoffs=20000, seed=3).q)


@pytest.mark.parametrize("average", ["polyak", "tail:0.5"])
@pytest.mark.parametrize("norm", ["sup", "mu"])
def test_averaged_certificate_errors_equal_brute_force_on_the_grid(average, norm):
    """At every check-grid point h, the run's error equals that of the averaged table of
    ``train(..., handoffs=h)`` with the same seed; H is the least grid point from which every
    grid point is ≤ ε. Negative control: a learner that claims averaging but reports the last
    iterate gives other errors, which this comparison catches."""
    m = random_model(9, n_agents=3, obs_per_agent=2, seed=4)
    spec = LearnerSpec(average=average, burn_in=7, q0=0.3)
    es = error_spec(m, "total", norm)
    horizon = 300
    grid = check_grid(horizon, 8)
    brute = np.array([full_error(es, train(m, spec, handoffs=int(h), seed=5).q_average)
                      for h in grid])
    targets = np.unique(np.quantile(brute, np.linspace(0.05, 0.95, 9)))
    run = run_seed(m, spec, es, targets, horizon=horizon, seed=5, grid=grid)
    np.testing.assert_allclose(run.errors, brute, rtol=1e-9, atol=1e-12)
    for eps, h in zip(targets, run.H, strict=True):
        ok = brute <= eps
        want = math.inf if not ok[-1] else grid[np.nonzero(~ok)[0][-1] + 1] if (~ok).any() \
            else grid[0]
        assert h == want
    mc = run_seeds(m, spec, targets, horizon=horizon, seeds=[5, 6], grid=grid, spec=es,
                   backend="local", workers=2)
    np.testing.assert_array_equal(mc.errors[0], run.errors)
    assert np.array_equal(mc.check_grid, grid) and mc.learner == spec
    fake = np.array([full_error(es, train(m, spec, handoffs=int(h), seed=5).q) for h in grid])
    assert not np.allclose(fake, run.errors, rtol=1e-6)


def test_check_grid_ends_at_the_horizon_and_a_grid_without_it_is_caught():
    """The check grid always holds the horizon (a given grid gets it appended); H computed on a
    grid that skips its last point differs from the grid's H (negative control)."""
    m = random_model(9, n_agents=3, obs_per_agent=2, seed=4)
    spec = LearnerSpec(average="polyak")
    es = error_spec(m, "learning", "sup")
    horizon = 400
    for h in (1, 2, 17, horizon, 10**7):
        g = check_grid(h)
        assert g[-1] == h and np.all(np.diff(g) > 0) and g[0] == 1
        step = np.maximum(g[:-1] + 1, np.ceil(g[:-1] * 2 ** (1 / 16) - 1e-9))
        assert np.all(g[1:] <= step)  # no gap wider than a factor 2^(1/16) (or 1)
    skipped = check_grid(horizon)[:-1]
    run = run_seed(m, spec, es, [0.1], horizon=horizon, seed=2, grid=skipped)
    assert run.errors.size == skipped.size + 1  # the horizon was appended
    e = run.errors
    eps = (e[-1] + e[-2]) / 2
    assert e[-1] != e[-2]
    full = np.append(skipped, horizon)
    assert h_on_grid(e, full, [eps])[0] != h_on_grid(e[:-1], skipped, [eps])[0]
    assert run_seeds(m, spec, [eps], horizon=horizon, seeds=1, grid=skipped,
                     backend="serial").check_grid[-1] == horizon


def test_non_finite_entries_are_above_every_target():
    """A table entry that is NaN counts as above every target (never certified), in the O(1)
    tracker, the full pass and the check grid; naive comparisons would call NaN ≤ ε."""
    m = load(ARE)
    arr = handoff_arrays(m)
    H, S = handoff_record(arr), kernel_params(LearnerSpec(), m)  # noqa: N806
    for norm in ("sup", "mu"):
        es = error_spec(m, "learning", norm)
        eps = np.array([0.1, 1e300])
        q = np.zeros(m.n_obs_pairs)
        q[3] = np.nan
        rs, y = start_stream(arr, 0)
        last_bad = np.empty(2, dtype=np.int64)
        grid = np.array([0, 100])
        grid_err = np.zeros(2)
        run_tracked(100, 0, rs, y, q, np.zeros(m.n_obs_pairs), H, S,
                     ErrorArrays(es.lo, es.hi, es.W, es.S1, es.S2, norm == "sup", eps), grid,
                     grid_err, last_bad)
        assert last_bad.tolist() == [100, 100] and np.all(np.isinf(grid_err))
        assert full_error(es, q) == math.inf
        assert not (np.nan > 1e300)  # what a naive tracker would compare
    assert h_on_grid(np.array([0.0, np.nan, 0.0]), np.array([1, 2, 3]), [1.0])[0] == 3
    assert h_on_grid(np.array([0.0, 0.0, np.inf]), np.array([1, 2, 3]), [1.0])[0] == math.inf


def test_certificate_claim_names_the_spec_the_grid_and_the_counted_pairs():
    """The claim names the learner by its words, Q₀ and burn-in, says which handoffs were
    checked (averaged iterate) and over which pairs the error is taken."""
    m = load(ARE)
    spec = LearnerSpec(average="tail:0.5", burn_in=100, q0=0.5, step="rescaled")
    mc = run_seeds(m, spec, [1.0], horizon=2000, seeds=59, backend="serial")
    claim = certificate(mc, model_name="are").covers
    assert spec.words() in claim and "Q₀ = 0.5" in claim and "burn-in of 100" in claim
    assert "μ(y)π_b(j|σ(y)) > 0" in claim and "sup norm" not in claim
    assert f"the {mc.check_grid.size} counts ⌈2^(k/16)⌉" in claim
    last = run_seeds(m, LearnerSpec(), [1.0], horizon=2000, seeds=59, backend="serial",
                     error="total")
    c2 = certificate(last).covers
    assert "checked" not in c2 and "latent pairs (y, j) with μ(y)π_b(j|σ(y)) > 0" in c2
    assert LearnerSpec().words() in c2


# --- icq train ------------------------------------------------------------------------------

CLI_SPECS = [["--step", "rescaled", "--average", "polyak"],
             ["--step", "constant", "--alpha", "0.2", "--radius", "3.0", "--q0", "0.5"],
             ["--omega", "0.85", "--average", "tail:0.25", "--burn-in", "500"],
             ["--exploration", "epsilon-greedy", "--epsilon", "0.3"]]


@pytest.mark.parametrize("opts", CLI_SPECS, ids=" ".join)
def test_icq_train_runs_each_spec_option_as_the_library(opts, capsys):
    """``icq train … OPTIONS --json`` is ``train_report(...).to_json()`` of the spec the options
    name (the command parses and prints), and its table is ``train``'s iterate."""
    assert main(["train", ARE, "--handoffs", "3000", "--seed", "1", "--json", *opts]) == 0
    got = json.loads(capsys.readouterr().out)
    spec = LearnerSpec(**got["spec"])
    assert spec.argv()[2:] == opts or sorted(spec.argv()[2:]) == sorted(opts)
    m = load(ARE)
    want = train_report(m, spec, handoffs=3000, seed=1).to_json()
    got.pop("seconds")
    want.pop("seconds")
    assert json.loads(json.dumps(want)) == got
    ref = train(m, spec, handoffs=3000, seed=1)
    assert [r["q"] for r in got["q"]] == ref.q_reported.tolist()


def test_icq_train_refuses_bad_options_and_runs_theorem_1s_learner(capsys, tmp_path):
    """Invalid options exit 2 naming the option; Theorem 1's learner (theory step with κ, ω
    of the audit, projection, Polyak average, burn-in) runs where A6 holds and is refused,
    naming A6, where κ ≥ 1; the linear and neural learners run from the command line."""
    for bad, name in ((["--alpha", "nan"], "alpha"), (["--average", "tail:1.5"], "average"),
                      (["--burn-in", "-1"], "burn-in"), (["--q0", "inf"], "q0"),
                      (["--traces", "t.jsonl", "--average", "polyak"], "--traces"),
                      (["--learner", "neural", "--stop-when-certified", "0.1"],
                       "stop_when_certified"),
                      (["--average", "polyak", "--stop-when-certified", "0.1"], "average"),
                      (["--step", "theory", "--kappa", "0.5", "--feature-omega", "0.1"],
                       "kappa")):
        assert main(["train", ARE, "--handoffs", "10", *bad]) == 2
        assert name in capsys.readouterr().err
    syn = str(example_path("synthetic-handoff"))
    theorem = ["--step", "theory", "--radius", "20", "--average", "polyak", "--burn-in", "100"]
    assert main(["train", syn, "--handoffs", "20000", "--json", *theorem]) == 0
    out = json.loads(capsys.readouterr().out)
    fa = audit(load(syn)).features
    assert out["spec"]["kappa"] == fa.kappa.upper and out["spec"]["feature_omega"] == \
        fa.omega.value
    assert out["burn_in"] == 100 and out["iterate"] == "polyak"
    assert main(["train", ARE, "--handoffs", "100", *theorem]) == 2
    assert "A6 (κ < 1)" in capsys.readouterr().err
    m = load(ARE)
    feats = tmp_path / "onehot.npy"
    np.save(feats, np.eye(m.n_obs_pairs))
    assert main(["train", ARE, "--learner", "linear", "--features", str(feats), "--handoffs",
                 "300", "--step", "constant", "--alpha", "0.3", "--json"]) == 0
    lin = json.loads(capsys.readouterr().out)
    tab = train(m, LearnerSpec(step="constant", alpha=0.3), handoffs=300)
    np.testing.assert_allclose([r["q"] for r in lin["q"]], tab.q, atol=1e-9)  # one-hot = table
    assert main(["train", ARE, "--learner", "neural", "--width", "4", "--depth", "1",
                 "--handoffs", "200", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["learner"] == "neural"
