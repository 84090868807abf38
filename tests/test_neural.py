"""Neural IC-Q (paper §3–§4; docs/theory.md §2, §5, §6): the algorithm, its reductions, its
interface,
its tangent features and its bookkeeping (resume, batching, projection)."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest
import torch

from icq.bounds.features import epsilon_approx, support
from icq.bounds.neural_features import neural_feature_terms
from icq.bounds.setting import prepare
from icq.cli import main
from icq.reference.learners import neural as nn
from icq.reference.learners.neural import checkpoints, networks, sampling, training, update
from icq.reference.learners.tabular import TrainConfig, train_tabular
from icq.reference.model import example_path, load

ARE = load(example_path("author-reviewer-editor"))
RING = load(example_path("ring-exact"))


# ---------------------------------------------------------------------------------------
# The algorithm: convergence to Q̂*_μ and the tabular reduction
# ---------------------------------------------------------------------------------------


def test_error_to_q_ais_falls_at_a_stochastic_approximation_rate(tmp_path):
    """docs/theory.md §2, §6: with a network that can represent Q̂*_μ the error of the averaged
    iterate falls like a power of T.

    The error is the root mean square over 8 seeds of ‖Q_θ̄_T − Q̂*_μ‖_μ, at T = 1000, 2000,
    4000, 8000 (one run per seed, resumed from its checkpoint at each T: bit for bit the runs
    to each T). The averaged iterate's error is a bias that falls like 1/T (log–log slope −1)
    plus a noise that falls like 1/√T (slope −1/2; Theorem 1's estimation term
    c ∝ √((1 + ln T)/T) has slope −0.44 over this range), so the fitted slope lies near
    [−1, −1/2]; we require it below −0.3, which leaves room for the Monte-Carlo error of the
    fit. A learner that does not move (or stalls at a floor) has slope 0.
    """
    setting = prepare(ARE)
    w = support(ARE, setting.mu).w
    cfg = nn.NeuralConfig(width=16, depth=1, schedule="harmonic", lr=0.5, lr_decay=1000.0)
    Ts = (1000, 2000, 4000, 8000)
    err = []
    for i, T in enumerate(Ts):
        res = nn.train_neural_batch(ARE, replace(cfg, handoffs=T), seeds=range(8),
                                    checkpoint=tmp_path / "ck.npz", resume=i > 0)
        err.append(np.sqrt((((res.q - setting.hat.q) ** 2) * w).sum(axis=1).mean()))
    slope = np.polyfit(np.log(Ts), np.log(err), 1)[0]
    assert slope < -0.3, (slope, err)


def test_depth0_one_hot_network_without_bias_is_tabular_icq():
    """Reduction: a linear network on one-hot encodings has one parameter per (ô, j); with the
    same seed, constant step and the last iterate it is tabular IC-Q with that step."""
    alpha, T = 0.3, 3000
    tab = train_tabular(ARE, TrainConfig(handoffs=T, seed=5, step="constant", alpha=alpha))
    res = nn.train_neural(ARE, nn.NeuralConfig(handoffs=T, seed=5, depth=0, width=1, bias=False,
                                               schedule="constant", lr=alpha, average=False))
    assert res.feature_scale == 1.0  # one-hot tangent features: no rescaling of the step
    np.testing.assert_allclose(res.q, tab.q, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(res.visits, tab.visits)


def test_handoff_stream_is_the_tabular_learners():
    s = nn.sample_handoffs(ARE, 5000, seed=11)
    tab = train_tabular(ARE, TrainConfig(handoffs=5000, seed=11))
    np.testing.assert_array_equal(np.bincount(s["pair"], minlength=ARE.n_obs_pairs), tab.visits)
    ends = s["next_obs"] < 0
    assert (s["discount"][ends] == 0).all() and (s["discount"][~ends] > 0).all()


def test_averaged_iterate_is_the_running_mean_of_the_iterates():
    """θ̄_T = θ₀ + (1/T) Σ_t δ_t (docs/theory.md §6), checked against the iterates one by one."""
    cfg = nn.NeuralConfig(handoffs=1, width=4, depth=1, seed=2)
    deltas = []
    for T in range(1, 6):
        deltas.append(nn.train_neural(RING, replace(cfg, handoffs=T)).delta)
    res = nn.train_neural(RING, replace(cfg, handoffs=5))
    np.testing.assert_allclose(res.delta_bar, np.mean(deltas, axis=0), rtol=0, atol=1e-14)


# ---------------------------------------------------------------------------------------
# The interface: one float per handoff, no shared parameters
# ---------------------------------------------------------------------------------------


def _one_handoff(model, nets, seed=0):
    """A StepData for the first handoff of ``seed`` whose episode continues."""
    s = nn.sample_handoffs(model, 50, seed=seed)
    k = int(np.flatnonzero(s["next_obs"] >= 0)[0])
    one = {key: v[k:k + 1] for key, v in s.items()}
    unit = torch.ones(1, dtype=nets.dtype)
    data = sampling.chunk_data(nets, nets.f0.unsqueeze(0), [one], 1, np.array([0.1]), unit, 0)
    return update.StepData(*(x[0] for x in data))


def _state(nets, delta):
    z = torch.zeros_like(delta)
    return (nets.theta0.unsqueeze(0), delta, z.clone(), z.clone(), z.clone(),
            torch.zeros((1, nets.n_agents), dtype=nets.dtype))


def test_handoff_carries_one_float(monkeypatch):
    """The predecessor's update depends on the successor's network only through V_j(ô')."""
    nets = nn.build_networks(ARE, width=8, depth=1, seed=1)
    d = _one_handoff(ARE, nets)
    i, j = int(d.ag[0, 0]), int(d.nag[0, 0])
    assert i != j
    st = update.step_static(nets, nn.NeuralConfig())
    g = torch.Generator().manual_seed(0)
    delta_a = torch.zeros((1,) + nets.theta0.shape, dtype=nets.dtype)
    delta_b = delta_a.clone()
    delta_b[0, j] = torch.randn(nets.theta0.shape[1], generator=g, dtype=nets.dtype) * nets.real[j]
    sent = []
    orig = update.successor_value

    def record(q, mask):
        v = orig(q, mask)
        sent.append(v)
        return v

    monkeypatch.setattr(update, "successor_value", record)
    out_a = update.torch_step(st, *_state(nets, delta_a), d)
    out_b = update.torch_step(st, *_state(nets, delta_b), d)
    assert sent[0].shape == (1, 1) and sent[0].dtype == nets.dtype  # one float per handoff
    assert not torch.equal(sent[0], sent[1])
    assert not torch.equal(out_a[0][0, i], out_b[0][0, i])  # control: V_j differs, so does i

    # replay: the successor's network is now B's, but it sends A's float back
    monkeypatch.setattr(update, "successor_value", lambda q, mask: sent[0])
    out_c = update.torch_step(st, *_state(nets, delta_b), d)
    assert torch.equal(out_c[0][0, i], out_a[0][0, i])


def test_agents_parameters_are_disjoint():
    nets = nn.build_networks(ARE, width=8, depth=2, seed=3)
    tf = nn.tangent_features(ARE, networks=nets)
    # block-diagonal Φ: agent i's pairs have features only in agent i's parameters
    for a, (lo, hi) in enumerate(tf.blocks):
        rows = tf.pair_agent == a
        assert np.abs(tf.Phi[rows][:, :lo]).max(initial=0) == 0
        assert np.abs(tf.Phi[rows][:, hi:]).max(initial=0) == 0
        assert hi - lo == nets.n_params[a]
    # independent initialisations, and an update touches its own agent's row only
    assert not torch.equal(nets.theta0[0][nets.real[0]][:10], nets.theta0[1][nets.real[1]][:10])
    res = nn.train_neural(ARE, nn.NeuralConfig(handoffs=1, width=8, depth=2, seed=3))
    moved = np.flatnonzero(np.abs(res.delta).sum(axis=1) > 0)
    s = nn.sample_handoffs(ARE, 1, seed=3)
    assert moved.tolist() == [int(ARE.obs_agent[ARE.obs_pair_obs[s["pair"][0]]])]
    assert (res.delta[~nets.real.numpy()] == 0).all()  # padding never moves


# ---------------------------------------------------------------------------------------
# Checkpoints, resume, batching over seeds
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_resume_is_bit_for_bit(tmp_path, optimizer):
    cfg = nn.NeuralConfig(handoffs=900, width=8, depth=1, seed=4, optimizer=optimizer,
                          radius=2.0, batch=3)
    full = nn.train_neural(ARE, cfg, checkpoint=tmp_path / "full.npz", chunk=300)
    ck = tmp_path / "part.npz"
    nn.train_neural(ARE, replace(cfg, handoffs=390), checkpoint=ck, chunk=120)
    part = nn.train_neural(ARE, cfg, checkpoint=ck, resume=True, chunk=210)
    for name in ("q", "q_last", "delta", "delta_bar", "visits"):
        np.testing.assert_array_equal(getattr(part, name), getattr(full, name), err_msg=name)
    assert part.episodes == full.episodes
    assert sorted(os.listdir(tmp_path)) == ["full.npz", "part.npz"]  # no temporary files left


def test_resume_is_bit_for_bit_one_handoff_per_update(tmp_path):
    """B = 1 SGD (the fused in-place update, the successor's forward pass reused within a
    chunk): stopping and resuming at other chunk boundaries changes no bit."""
    cfg = nn.NeuralConfig(handoffs=300, width=8, depth=2, seed=3, radius=0.05, lr=2.0,
                          schedule="constant")
    full = nn.train_neural(ARE, cfg, chunk=300)
    ck = tmp_path / "part.npz"
    nn.train_neural(ARE, replace(cfg, handoffs=130), checkpoint=ck, chunk=70)
    part = nn.train_neural(ARE, cfg, checkpoint=ck, resume=True, chunk=45)
    for name in ("q", "q_last", "delta", "delta_bar"):
        np.testing.assert_array_equal(getattr(part, name), getattr(full, name), err_msg=name)


def test_resume_refuses_another_configuration(tmp_path):
    ck = tmp_path / "c.npz"
    nn.train_neural(RING, nn.NeuralConfig(handoffs=30, width=4, depth=1), checkpoint=ck)
    with pytest.raises(ValueError, match="width"):
        nn.train_neural(RING, nn.NeuralConfig(handoffs=60, width=5, depth=1), checkpoint=ck,
                        resume=True)
    with pytest.raises(ValueError, match="already has 30 handoffs"):
        nn.train_neural(RING, nn.NeuralConfig(handoffs=20, width=4, depth=1), checkpoint=ck,
                        resume=True)


def test_batched_seeds_equal_per_seed_training():
    cfg = nn.NeuralConfig(handoffs=400, width=8, depth=1, optimizer="adam", radius=3.0,
                          projection="joint")
    seeds = (0, 7, 3)
    batch = nn.train_neural_batch(ARE, cfg, seeds)
    vm = nn.train_neural_batch(ARE, replace(cfg, handoffs=200), seeds, engine="vmap")
    nat = nn.train_neural_batch(ARE, replace(cfg, handoffs=200), seeds)
    for k, s in enumerate(seeds):
        one = nn.train_neural(ARE, replace(cfg, seed=s))
        np.testing.assert_allclose(batch.q[k], one.q, rtol=0, atol=1e-12)
        np.testing.assert_allclose(batch.delta[k], one.delta, rtol=0, atol=1e-12)
        assert batch.episodes[k] == one.episodes
    np.testing.assert_allclose(vm.q, nat.q, rtol=0, atol=1e-12)  # torch.func.vmap engine


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_row_wise_update_equals_the_update_of_every_row(optimizer):
    """With one handoff per update only the predecessor's row moves; the row-wise update (the
    fast path) and the update of all rows give the same numbers, in place or not."""
    cfg = nn.NeuralConfig(width=8, depth=1, optimizer=optimizer, radius=0.3)
    nets = nn.build_networks(ARE, width=8, depth=1, seed=6)
    s = nn.sample_handoffs(ARE, 60, seed=6)
    data = sampling.chunk_data(nets, nets.f0.unsqueeze(0), [s], 1, update.base_steps(cfg, 0, 60),
                                torch.full((1,), 0.5, dtype=nets.dtype), 0)
    runs = []
    for rowwise, inplace in ((True, True), (True, False), (False, False)):
        st = update.step_static(nets, cfg, rowwise=rowwise, inplace=inplace)
        state = _state(nets, torch.zeros((1,) + nets.theta0.shape, dtype=nets.dtype))[1:]
        for i in range(60):
            state = update.torch_step(st, nets.theta0.unsqueeze(0), *state,
                                 update.StepData(*(x[i] for x in data)))
        runs.append(state)
    for other in runs[1:]:
        for a, b in zip(runs[0], other, strict=True):
            assert torch.equal(a, b)


def test_projection_keeps_iterates_in_the_trust_region():
    base = nn.NeuralConfig(handoffs=600, width=16, depth=1, lr=2.0, schedule="constant",
                           average=False)
    for proj in ("joint", "agent"):
        res = nn.train_neural(ARE, replace(base, radius=0.05, projection=proj))
        assert res.theta_distance_from_init <= 0.05 * (1 + 1e-12)
        if proj == "agent":
            per = np.linalg.norm(res.delta, axis=1)
            assert per.max() <= 0.05 / np.sqrt(ARE.n_agents) * (1 + 1e-12)
    free = nn.train_neural(ARE, base)
    assert free.theta_distance_from_init > 0.05  # control: the projection did something


def test_theory_step_sizes_are_theorys_in_feature_units():
    cfg = nn.NeuralConfig(handoffs=10, schedule="theory", kappa=0.5, omega=0.2)
    np.testing.assert_allclose(update.base_steps(cfg, 0, 4), 1 / (0.5 * 0.2 * np.arange(1, 5)))
    # with one-hot (s = 1) tangent features a theory step moves Q by α_0 (target − Q) exactly
    res = nn.train_neural(RING, replace(cfg, handoffs=1, depth=0, width=1, bias=False,
                                        kappa=0.0, omega=2.0, average=False))
    s = nn.sample_handoffs(RING, 1)
    k = int(s["pair"][0])
    assert res.q_last[k] == pytest.approx(0.5 * s["reward"][0])  # target R + γ^τ·0


# ---------------------------------------------------------------------------------------
# Tangent features (docs/theory.md §5) and the linearisation error (A4)
# ---------------------------------------------------------------------------------------


def _padded(nets, u_real):
    """Map a vector over the agents' real parameters (Φ's column order) to (N, P)."""
    U = torch.zeros_like(nets.theta0)
    start = 0
    for a in range(nets.n_agents):
        n = nets.n_params[a]
        U[a, nets.real[a]] = torch.as_tensor(u_real[start:start + n], dtype=nets.dtype)
        start += n
    return U


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_tangent_features_agree_with_finite_differences(activation):
    nets = nn.build_networks(ARE, width=6, depth=2, seed=8, activation=activation)
    tf = nn.tangent_features(ARE, networks=nets)
    rng = np.random.default_rng(0)
    h = 1e-6
    for _ in range(3):
        u = rng.standard_normal(tf.d_total)
        U = _padded(nets, u)
        fd = (nn.q_values(nets, h * U) - nn.q_values(nets, -h * U)) / (2 * h)
        np.testing.assert_allclose(fd, tf.scale * (tf.Phi @ u), rtol=1e-6, atol=1e-7)


def test_tangent_features_are_normalised_with_the_scale_recorded():
    tf = nn.tangent_features(ARE, width=12, depth=1, seed=0)
    norms = np.linalg.norm(tf.Phi, axis=1)
    assert norms.max() == pytest.approx(1.0, abs=1e-12) and (norms <= 1 + 1e-12).all()
    assert tf.scale > 1  # standard initialisation: raw gradients are larger than 1
    assert "jacrev" in tf.method and f"{tf.scale:.6g}" in tf.method


def _eps_approx(phi, model):
    """ε_approx of icq.bounds (Chebyshev fit on the pairs T̂ reads)."""
    s = prepare(model)
    return epsilon_approx(phi, s.hat.q, support(model, s.mu)).value


def test_wide_network_interpolates_and_an_aliasing_encoding_does_not():
    tf = nn.tangent_features(ARE, width=32, depth=1, seed=0)
    assert _eps_approx(nn.reduce_to_support_span(tf), ARE) < 1e-9
    assert _eps_approx(tf.Phi, ARE) < 1e-9  # the span reduction does not change ε_approx

    def constant(model, agent):  # every observation of an agent looks the same
        return np.ones((int((model.obs_agent == agent).sum()), 1))

    tf0 = nn.tangent_features(ARE, width=32, depth=1, seed=0, encoding=constant)
    assert _eps_approx(tf0.Phi, ARE) > 0.05  # control: Q̂* differs across aliased observations


def test_linearisation_error_is_zero_for_linear_networks_and_quadratic_for_smooth_ones():
    lin = nn.build_networks(ARE, width=1, depth=0, seed=0)
    assert nn.linearisation_error(lin, 10.0, samples=16).max_abs < 1e-12
    nets = nn.build_networks(ARE, width=16, depth=1, seed=0, activation="tanh")
    e1 = nn.linearisation_error(nets, 0.01, samples=32, projection="joint").max_abs
    e2 = nn.linearisation_error(nets, 0.02, samples=32, projection="joint").max_abs
    assert 0 < e1 < e2 and 3.0 < e2 / e1 < 5.0  # second order in the radius
    ea = nn.linearisation_error(nets, 0.02, samples=32, projection="agent")
    assert ea.per_agent_radius == pytest.approx(0.02 / np.sqrt(ARE.n_agents))
    assert "not a certified bound" in ea.method


def test_neural_feature_terms_feed_the_audit():
    nt = neural_feature_terms(RING, width=8, depth=1, seed=0, radius=0.5, samples=8,
                              handoffs=10_000)
    out = nt.to_json()
    assert out["kind"] == "tangent" and out["d_audit"] <= RING.n_obs_pairs
    assert nt.audit.assumptions["A4"].holds is None  # not checkable for a real network
    assert not nt.audit.theorem.applicable
    assert out["linearisation_error"]["radius"] == 0.5 and nt.linearisation.max_abs > 0
    json.dumps(out)
    lin = neural_feature_terms(RING, width=1, depth=0, seed=0, radius=1.0, samples=4)
    assert lin.kind == "linear" and lin.audit.assumptions["A4"].holds is True
    assert lin.linearisation.max_abs < 1e-12


# ---------------------------------------------------------------------------------------
# Validation and the command line
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("kw, match", [
    ({"schedule": "theory"}, "kappa"),
    ({"schedule": "theory", "optimizer": "adam", "kappa": 0.5, "omega": 0.1}, "adam"),
    ({"handoffs": 10, "batch": 3}, "multiple of batch"),
    ({"kappa": 1.0}, r"\[0, 1\)"),
    ({"radius": -1.0}, "radius"),
    ({"depth": -1}, "depth"),
    ({"activation": "gelu"}, "activation"),
    ({"device": "tpu"}, "device"),
    ({"threads": 0}, "threads"),
])
def test_invalid_config(kw, match):
    with pytest.raises(ValueError, match=match):
        nn.NeuralConfig(**kw)


def test_cuda_device_is_used_where_present_and_a_clear_error_otherwise(capsys):
    argv = ["train", str(example_path("ring-exact")), "--learner", "neural", "--device", "cuda",
            "--handoffs", "10", "--width", "4", "--depth", "1", "--json"]
    if torch.cuda.is_available():
        assert nn.NeuralConfig(device="cuda").device == "cuda"
        assert main(argv) == 0
        return
    with pytest.raises(ValueError, match="no CUDA device"):
        nn.NeuralConfig(device="cuda")
    assert main(argv) == 2
    assert "no CUDA device" in capsys.readouterr().err


def test_bad_encoding_is_rejected():
    with pytest.raises(ValueError, match="shape"):
        nn.build_networks(RING, encoding=lambda m, a: np.ones((7, 2)))


def test_cli_train_neural_json_and_resume(capsys, tmp_path):
    f = str(example_path("ring-exact"))
    args = ["train", f, "--learner", "neural", "--width", "8", "--depth", "1", "--radius", "5",
            "--seed", "2", "--json", "--optimizer", "sgd"]  # the older learner (checkpoints)
    assert main(args + ["--handoffs", "400"]) == 0
    full = json.loads(capsys.readouterr().out)
    assert {"learner", "handoffs", "seconds", "q", "max_abs_error_vs_q_ais",
            "theta_distance_from_init", "projection_radius"} <= set(full)
    assert full["learner"] == "neural" and full["projection_radius"] == 5.0
    assert set(full["q"][0]) == {"agent", "obs", "successor", "q"}
    assert full["theta_distance_from_init"] <= 5.0
    ck = str(tmp_path / "ck.npz")
    assert main(args + ["--handoffs", "150", "--checkpoint", ck]) == 0
    capsys.readouterr()
    assert main(args + ["--handoffs", "400", "--checkpoint", ck, "--resume"]) == 0
    resumed = json.loads(capsys.readouterr().out)
    assert resumed["q"] == full["q"]
    assert main(["train", f, "--learner", "neural", "--handoffs", "10", "--batch", "3"]) == 2
    assert "multiple of batch" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------
# The in-place update against the stacked one, the hand-written backward against autograd,
# the thread policy
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("optimizer, batch, projection, activation", [
    ("sgd", 1, "agent", "relu"), ("sgd", 1, "joint", "tanh"), ("sgd", 1, None, "tanh"),
    ("sgd", 4, None, "relu"),
    ("sgd", 4, "joint", "relu"), ("adam", 1, "agent", "tanh"), ("adam", 3, "joint", "relu"),
])
def test_in_place_update_equals_the_stacked_update(optimizer, batch, projection, activation):
    """The in-place update (rank-one for B = 1, summed gradients for B > 1) is the stacked
    update :func:`torch_step` (gathered rows, one gradient row per handoff) to rounding."""
    steps, radius = 40, 0.05
    cfg = nn.NeuralConfig(handoffs=steps * batch, width=8, depth=2, activation=activation,
                          optimizer=optimizer, batch=batch, radius=radius if projection else None,
                          projection=projection or "agent", lr=2.0, schedule="constant")
    nets = nn.build_networks(ARE, width=8, depth=2, seed=6, activation=activation)
    s = nn.sample_handoffs(ARE, steps * batch, seed=6)
    data = sampling.chunk_data(nets, nets.f0.unsqueeze(0), [s], batch,
                                update.base_steps(cfg, 0, steps),
                                torch.full((1,), 0.5, dtype=nets.dtype), 0)
    th0 = nets.theta0.unsqueeze(0)
    state = _state(nets, torch.zeros_like(th0))[1:]
    for i in range(steps):
        state = update.torch_step(update.step_static(nets, cfg), th0, *state,
                             update.StepData(*(x[i] for x in data)))
    fast = checkpoints.TrainState.fresh(th0, [], ARE.n_obs_pairs)
    training._fast_chunk(update.step_static(nets, cfg, inplace=True), th0, fast, data)
    for name, ref in zip(checkpoints._STATE_TENSORS, state, strict=True):
        np.testing.assert_allclose(getattr(fast, name).numpy(), ref.numpy(), rtol=1e-9,
                                   atol=1e-13, err_msg=name)
    assert fast.delta.abs().max() > 0
    if projection is not None:  # control: the projection binds, so it is compared too
        norms = (torch.linalg.vector_norm(fast.delta[0], dim=1) if projection == "agent"
                 else torch.linalg.vector_norm(fast.delta)).max()
        bound = radius / np.sqrt(nets.n_agents) if projection == "agent" else radius
        assert float(norms) == pytest.approx(bound, rel=1e-12)


def _autograd_rows(nets, rows, x, out_grad):
    rows = rows.clone().requires_grad_(True)
    out = networks.forward_rows(rows, x, nets.layers, nets.activation)
    (out * out_grad).sum().backward()
    return rows.grad


@pytest.mark.parametrize("activation, bias", [("relu", True), ("tanh", True), ("relu", False)])
def test_hand_written_backward_equals_autograd(activation, bias):
    """The manual backprop (per row, and summed over rows in factor form) is torch autograd's
    gradient of ``Σ out_grad · f(θ)``; control: a wrong activation derivative differs."""
    nets = nn.build_networks(ARE, width=7, depth=3, seed=1, activation=activation, bias=bias)
    g = torch.Generator().manual_seed(0)
    B, P = 5, nets.n_params_padded
    a = 1
    rows = (nets.theta0[a] + 0.1 * torch.randn(B, P, generator=g, dtype=nets.dtype)
            * nets.real[a])
    x = torch.randn(B, nets.X.shape[1], generator=g, dtype=nets.dtype)
    out_grad = torch.randn(B, nets.obs_mask.shape[1], generator=g, dtype=nets.dtype)
    ref = _autograd_rows(nets, rows, x, out_grad)
    out, hs = networks.forward_rows(rows, x, nets.layers, activation, keep=True)
    mine = networks.backward_rows(rows, hs, out_grad, nets.layers, activation)
    torch.testing.assert_close(mine, ref, rtol=1e-12, atol=1e-13)
    wrong = networks.backward_rows(rows, hs, out_grad, nets.layers, "tanh" if activation == "relu"
                               else "relu")
    assert not torch.allclose(wrong, ref, rtol=1e-6, atol=1e-8)
    # the summed form at θ₀ + δ for one agent's row, every handoff sharing the parameters
    delta = rows[0] - nets.theta0[a]
    z = torch.zeros_like(delta)
    p = update.layer_views(nets.layers, nets.theta0[a], delta, z, z, z)
    out_s, hs_s, Ws = update._split_forward(p, x, activation, keep=True)
    torch.testing.assert_close(out_s, networks.forward_rows(rows[:1].expand(B, -1), x, nets.layers,
                                                        activation))
    G = torch.zeros_like(delta)
    for L, (D, H) in zip(nets.layers, update._split_backward(Ws, hs_s, out_grad, activation),
                         strict=True):
        G[L.w:L.w + L.out * L.inp] = (D.t() @ H).reshape(-1)
        if L.b >= 0:
            G[L.b:L.b + L.out] = D.sum(0)
    torch.testing.assert_close(G, _autograd_rows(nets, rows[:1].expand(B, -1).contiguous(), x,
                                                 out_grad).sum(0), rtol=1e-12, atol=1e-13)


def test_training_runs_with_one_torch_thread_by_default(monkeypatch):
    seen = []
    orig = training._run_loop

    def record(*a, **kw):
        seen.append(torch.get_num_threads())
        return orig(*a, **kw)

    monkeypatch.setattr(training, "_run_loop", record)
    before = torch.get_num_threads()
    cfg = nn.NeuralConfig(handoffs=4, width=4, depth=1)
    nn.train_neural(RING, cfg)
    nn.train_neural(RING, replace(cfg, threads=2))
    nn.train_neural(RING, replace(cfg, threads=None))
    assert seen == [1, 2, before] and torch.get_num_threads() == before


# ---------------------------------------------------------------------------------------
# The package: every public name at its old path, modules imported on first use
# ---------------------------------------------------------------------------------------


def test_public_names_resolve_to_their_modules():
    for name in nn.__all__:
        home = importlib.import_module(f"{nn.__name__}.{nn._LAZY[name]}")
        assert getattr(nn, name) is getattr(home, name) and name in home.__all__, name
    assert set(nn.__all__) <= set(dir(nn))
    with pytest.raises(AttributeError, match="no_such_thing"):
        nn.no_such_thing  # noqa: B018


def test_the_command_line_options_do_not_import_torch():
    """Building ``icq``'s parser (it adds the neural options) leaves torch unimported; control:
    the first use of a learner name imports it."""
    probe = ("import sys\nfrom icq.cli import build_parser\nbuild_parser()\n"
             "import icq.reference.learners.neural as n\nn.NeuralConfig\n"
             "print('torch' in sys.modules)\nn.train_neural\nprint('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True,
                         text=True)
    assert out.stdout.split() == ["False", "True"]
