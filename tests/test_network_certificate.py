"""The network certificate runs (docs/theory.md §8, "The network certificate"): the batched
linear and neural learners against plainly written single-seed runs, against the existing
neural learner and the tabular learner where they coincide, the grid errors against a brute-force
evaluation of the network at every grid point, and negative controls that must fail."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from icq.bounds.certificate import certificate
from icq.reference.learners.montecarlo import check_grid, error_spec, full_error, run_seed
from icq.reference.learners.neural import (
    NeuralConfig,
    build_networks,
    q_values,
    sample_handoffs,
    tangent_features,
    train_neural,
)
from icq.reference.learners.neural import batched as B
from icq.reference.learners.neural.batched import run_network_seeds, train_network
from icq.reference.learners.spec import LearnerSpec
from icq.reference.learners.tabular import TrainConfig, train_tabular
from icq.reference.model import example_path, load

RING = load(example_path("ring-exact"))
ARE = load(example_path("author-reviewer-editor"))


def plain_neural(model, learner: LearnerSpec, seed: int, T: int, points, stats=None
                 ) -> dict[int, np.ndarray]:
    """The neural learner written plainly for one seed: one handoff at a time from
    ``sample_handoffs``, the gradient by autograd, every iterate kept; returns the table of the
    reported iterate (the mean of the stored iterates) at each of ``points`` (and counts the
    projections in ``stats``)."""
    nets = build_networks(model, learner.width, learner.depth, seed)
    s = tangent_features(model, networks=nets).scale
    h = sample_handoffs(model, learner.burn_in + T, seed)
    delta = torch.zeros_like(nets.theta0)
    hist = [delta]
    visits = np.zeros(model.n_obs_pairs)
    for k in range(learner.burn_in, learner.burn_in + T):
        p = int(h["pair"][k])
        o, slot = nets.pair_obs[p], int(nets.pair_slot[p])
        target = float(h["reward"][k])
        if h["next_obs"][k] >= 0:
            o2 = int(h["next_obs"][k])
            out = nets.outputs(delta, torch.tensor([o2]))[0] + learner.q0
            target += float(h["discount"][k]) * float(out[nets.obs_mask[o2]].max())
        d = delta.clone().requires_grad_(True)
        q = nets.outputs(d, o.view(1))[0, slot] + learner.q0
        (g,) = torch.autograd.grad(q, d)
        q = float(q.detach())
        visits[p] += 1
        alpha = (visits[p] ** -learner.step_exponent if learner.step == "harmonic"
                 else learner.alpha)
        delta = delta - alpha / s**2 * (q - target) * g
        if learner.radius is not None:
            n = float(torch.linalg.vector_norm(delta))
            if n > learner.radius:
                delta = delta * (learner.radius / n)
                if stats is not None:
                    stats["projections"] = stats.get("projections", 0) + 1
        hist.append(delta)
    out = {}
    for t in points:
        a = learner.average_start(int(t))
        rep = hist[t] if a == t else torch.stack(hist[a:t]).mean(0)
        out[int(t)] = q_values(nets, rep) + learner.q0
    return out


NEURAL = LearnerSpec(representation="neural", width=6, depth=2, average="polyak", burn_in=7,
                     radius=0.3, q0=0.25)


def test_batched_run_is_the_plain_single_seed_run_and_its_grid_errors_are_exact():
    T, seeds = 60, [0, 1, 2]
    spec = error_spec(ARE, "learning", "sup")
    mc = run_network_seeds(ARE, NEURAL, [0.3, 0.6], horizon=T, seeds=seeds, spec=spec,
                           device="cpu")
    assert mc.check_grid is not None and mc.check_grid[-1] == T
    np.testing.assert_array_equal(mc.grid, check_grid(T))
    stats: dict = {}
    for i, s in enumerate(seeds):
        ref = plain_neural(ARE, NEURAL, s, T, mc.grid, stats)
        brute = [full_error(spec, ref[int(h)]) for h in mc.grid]
        np.testing.assert_allclose(mc.errors[i], brute, rtol=0, atol=1e-12)
        one = train_network(ARE, NEURAL, T, s, device="cpu")  # the seed alone
        np.testing.assert_allclose(one.q, ref[T], rtol=0, atol=1e-12)
        np.testing.assert_allclose(q_values(one.networks, torch.as_tensor(one.theta)) + 0.25,
                                   one.q, rtol=0, atol=1e-13)
    # H on the grid: the least grid point after the last one above the target
    for i in range(len(seeds)):
        for e, eps in enumerate(mc.targets):
            above = np.flatnonzero(mc.errors[i] > eps)
            want = (math.inf if above.size and above[-1] == len(mc.grid) - 1 else
                    mc.grid[above[-1] + 1] if above.size else mc.grid[0])
            assert mc.H[i, e] == want
    assert stats["projections"] > 10  # the projection was active, so the test covers it


def test_tail_average_matches_brute_force():
    lr = LearnerSpec(representation="neural", width=5, depth=1, average="tail:0.4",
                     step="constant", alpha=0.3)
    spec = error_spec(RING, "total", "mu")
    mc = run_network_seeds(RING, lr, [0.5], horizon=50, seeds=[4, 9], spec=spec, device="cpu")
    one_by_one = run_network_seeds(RING, lr, [0.5], horizon=50, seeds=[4, 9], spec=spec,
                                   device="cpu", block=1)
    np.testing.assert_allclose(one_by_one.errors, mc.errors, rtol=0, atol=1e-13)
    for i, s in enumerate([4, 9]):
        ref = plain_neural(RING, lr, s, 50, mc.grid)
        np.testing.assert_allclose(mc.errors[i], [full_error(spec, ref[int(h)])
                                                  for h in mc.grid], rtol=0, atol=1e-12)
        np.testing.assert_allclose(train_network(RING, lr, 50, s).q, ref[50], rtol=0,
                                   atol=1e-12)


def test_claimed_average_that_is_the_last_iterate_is_caught(monkeypatch):
    """Negative control: the same comparison fails when the reported iterate is the last."""
    T = 60
    spec = error_spec(ARE, "learning", "sup")
    ref = plain_neural(ARE, NEURAL, 1, T, check_grid(T))
    brute = np.array([full_error(spec, ref[int(h)]) for h in check_grid(T)])
    monkeypatch.setattr(B._Body, "reported", lambda self, t, snaps: self.params)
    mc = run_network_seeds(ARE, NEURAL, [0.3], horizon=T, seeds=[1], spec=spec, device="cpu")
    assert np.abs(mc.errors[0] - brute).max() > 1e-3


def test_same_as_the_existing_neural_learner_where_semantics_match():
    """Constant step, last iterate, no projection: ``train_neural``'s SGD (α/s² per parameter)."""
    lr = LearnerSpec(representation="neural", width=8, depth=2, step="constant", alpha=0.3)
    for seed in (0, 5):
        ours = train_network(ARE, lr, 200, seed, device="cpu")
        theirs = train_neural(ARE, NeuralConfig(handoffs=200, seed=seed, width=8, depth=2,
                                                schedule="constant", lr=0.3, average=False))
        np.testing.assert_allclose(ours.q, theirs.q_last, rtol=0, atol=1e-12)
        np.testing.assert_array_equal(ours.visits, theirs.visits)


def test_linear_with_one_hot_features_is_tabular_iq():
    """Linear IC-Q with the one-hot features is tabular IC-Q: the same tables and grid errors
    as the tabular learner's tracked run (harmonic steps, last iterate)."""
    P, T = ARE.n_obs_pairs, 3000
    lr = LearnerSpec(representation="linear", features="one-hot.json")
    spec = error_spec(ARE, "learning", "sup")
    mc = run_network_seeds(ARE, lr, [0.2], horizon=T, seeds=[0, 3], spec=spec,
                           features=np.eye(P), device="cpu")
    for i, s in enumerate([0, 3]):
        tab = run_seed(ARE, TrainConfig(omega=0.7), spec, np.array([0.2]), horizon=T, seed=s,
                       grid=mc.grid)
        np.testing.assert_allclose(mc.errors[i], tab.errors, rtol=0, atol=1e-12)
        one = train_network(ARE, lr, T, s, features=np.eye(P), device="cpu")
        np.testing.assert_allclose(one.q, train_tabular(ARE, TrainConfig(handoffs=T, seed=s)).q,
                                   rtol=0, atol=1e-12)
        np.testing.assert_allclose(one.q, one.theta, rtol=0, atol=0)


def test_a_network_that_never_updates_does_not_certify(monkeypatch):
    """Negative control: the learner certifies a target that a frozen network cannot."""
    lr = LearnerSpec(representation="linear", features="one-hot.json")
    phi = np.eye(RING.n_obs_pairs)
    kw = dict(horizon=1500, seeds=60, error="learning", norm="sup", features=phi, device="cpu")
    good = certificate(run_network_seeds(RING, lr, [0.2], **kw), quantile=0.9)
    assert good.status == "ok" and good.handoffs < 1500
    monkeypatch.setattr(B._Steps, "__call__",
                        lambda self, pair, t0: np.zeros(pair.shape))
    frozen = run_network_seeds(RING, lr, [0.2], **kw)
    assert np.isinf(frozen.H).all()
    assert certificate(frozen, quantile=0.9).status == "beyond horizon"


def test_grid_that_skips_the_horizon_is_refused_and_bad_input_named():
    lr = LearnerSpec(representation="neural", width=4, depth=1)
    with pytest.raises(ValueError, match="grid: .*end at the horizon 20"):
        run_network_seeds(RING, lr, [0.1], horizon=20, seeds=2, grid=np.arange(1, 20))
    with pytest.raises(ValueError, match="block: 0 must be >= 1"):
        run_network_seeds(RING, lr, [0.1], horizon=20, seeds=2, block=0)
    with pytest.raises(ValueError, match="exploration"):
        train_network(RING, LearnerSpec(representation="neural", exploration="epsilon-greedy"),
                      5, 0)
    with pytest.raises(ValueError, match="features"):
        train_network(RING, LearnerSpec(representation="linear", features="f.json"), 5, 0)
    with pytest.raises(ValueError, match="features: expected"):
        train_network(RING, LearnerSpec(representation="linear", features="f.json"), 5, 0,
                      features=np.eye(3))
    with pytest.raises(ValueError, match="step: 'theory'"):
        train_network(RING, LearnerSpec(representation="neural", step="theory"), 5, 0)
    with pytest.raises(ValueError, match="not a network learner"):
        train_network(RING, LearnerSpec(), 5, 0)


def test_a_non_finite_network_is_above_every_target(monkeypatch):
    """A table with a non-finite entry counts as above every target: never certified."""
    lr = LearnerSpec(representation="neural", width=4, depth=1)
    real = B._MLP.table

    def table(self, params):
        q = real(self, params)
        q[0, 0] = math.nan  # seed 0 only
        return q

    monkeypatch.setattr(B._MLP, "table", table)
    mc = run_network_seeds(RING, lr, [1e6], horizon=20, seeds=2, device="cpu")
    assert np.isinf(mc.errors[0]).all() and np.isfinite(mc.errors[1]).all()
    assert mc.H[:, 0].tolist() == [math.inf, 1.0]
