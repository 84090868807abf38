"""Training neural IC-Q: one seed (:func:`train_neural`) or many at once
(:func:`train_neural_batch`), with checkpoints and exact resume.

The shared run loop draws the handoffs in chunks (:mod:`.sampling`), feeds them to the update
(:mod:`.update`: in place for one seed or for minibatches, stacked or under ``torch.func.vmap``
for many seeds) and writes a checkpoint after each chunk (:mod:`.checkpoints`), with
:func:`torch_threads` threads; the results are :class:`NeuralResult` and
:class:`NeuralBatchResult`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch.func import vmap
from tqdm import tqdm

from icq.reference.learners.checkpoint import check_handoffs, model_fingerprint, resume_target
from icq.reference.learners.handoffs import handoff_arrays
from icq.reference.learners.neural.checkpoints import (
    TrainState,
    check_table,
    config_json,
    load_state,
    save_state,
)
from icq.reference.learners.neural.networks import (
    AgentNetworks,
    Encoding,
    networks_for,
    q_values,
)
from icq.reference.learners.neural.options import NeuralConfig
from icq.reference.learners.neural.sampling import Stream, chunk_data, draw_rows
from icq.reference.learners.neural.tangent import tangent_raw
from icq.reference.learners.neural.update import (
    StepData,
    StepStatic,
    average_iterate,
    base_steps,
    fast_step,
    layer_views,
    numpy_views,
    step_static,
    torch_step,
)
from icq.reference.model import EpochModel

__all__ = ["NeuralBatchResult", "NeuralResult", "torch_threads", "train_neural",
           "train_neural_batch"]


@dataclass(frozen=True, eq=False)
class NeuralResult:
    """Neural IC-Q after ``handoffs`` updates, and how it was obtained.

    Attributes
    ----------
    q : (n_obs_pairs,) ``Q`` at the reported iterate (θ̄_T if ``config.average``, else θ_T)
    q_last : (n_obs_pairs,) ``Q`` at the last iterate θ_T
    delta, delta_bar : (N, P) arrays, ``θ_T − θ₀`` and ``θ̄_T − θ₀`` (padded rows)
    theta_distance_from_init : ``‖θ − θ₀‖₂`` of the reported iterate (all agents jointly)
    projection_radius : R_θ (parameter units) or None
    feature_scale : the tangent-feature scale s (SGD steps are ``α/s²`` in parameter units)
    visits : (n_obs_pairs,) updates per observation pair
    """

    q: np.ndarray
    q_last: np.ndarray
    delta: np.ndarray
    delta_bar: np.ndarray
    visits: np.ndarray
    handoffs: int
    episodes: int
    seconds: float
    theta_distance_from_init: float
    theta_distance_from_init_last: float
    projection_radius: float | None
    feature_scale: float
    n_params: tuple[int, ...]
    config: NeuralConfig
    networks: AgentNetworks = field(repr=False)
    method: str = ""


@dataclass(frozen=True, eq=False)
class NeuralBatchResult:
    """Neural IC-Q for several seeds at once; arrays have a leading seed axis.

    ``q``/``q_last`` (S, n_obs_pairs), ``delta``/``delta_bar`` (S, N, P),
    ``theta_distance_from_init`` (S,) of the reported iterate, ``visits`` (S, n_obs_pairs),
    ``episodes`` and ``feature_scale`` (S,).
    """

    seeds: tuple[int, ...]
    q: np.ndarray
    q_last: np.ndarray
    delta: np.ndarray
    delta_bar: np.ndarray
    theta_distance_from_init: np.ndarray
    visits: np.ndarray
    episodes: np.ndarray
    feature_scale: np.ndarray
    handoffs: int
    seconds: float
    config: NeuralConfig
    engine: str
    method: str = ""


def _method(config: NeuralConfig) -> str:
    if config.optimizer == "sgd":
        opt = "projected SGD" if config.radius is not None else "SGD"
    else:
        opt = "Adam" + (" with projection" if config.radius is not None else "")
    if config.schedule == "constant":
        sched = f"α = {config.lr:g}"
    elif config.schedule == "harmonic":
        sched = f"α_t = {config.lr:g}/(1 + t/{config.lr_decay:g})"
    else:
        sched = (f"α_t = 1/((1−κ)ω(t+1)), κ = {config.kappa:g}, ω = {config.omega:g} "
                 "(docs/theory.md §6)")
    if config.optimizer == "sgd":
        sched += " in tangent-feature units (α/s² per parameter)"
    proj = ""
    if config.radius is not None:
        ball = "per-agent balls of radius R_θ/√N" if config.projection == "agent" else "joint ball"
        proj = f", {ball} with R_θ = {config.radius:g}"
    it = "averaged iterate θ̄_T" if config.average else "last iterate θ_T"
    return (f"neural IC-Q (per-agent MLPs {config.depth}×{config.width} {config.activation}, "
            f"{opt}, {sched}{proj}, batch {config.batch}, {it}; semi-gradient SMDP Q-learning "
            "with the successor's value passed back as one float)")


def _fast_chunk(static: StepStatic, theta0: torch.Tensor, st: TrainState, data: StepData) -> None:
    """Run a chunk of updates with :func:`fast_step`, seed after seed within each update."""
    S, N = theta0.shape[:2]
    views = [[layer_views(static.layers, theta0[s, a], st.delta[s, a], st.u[s, a], st.m[s, a],
                     st.v[s, a]) for a in range(N)] for s in range(S)]
    ags, nags = data.ag.tolist(), data.nag.tolist()
    alphas = data.alpha.reshape(len(ags), S).tolist()
    ts = data.t[:, 0].reshape(-1).tolist()
    k = st.k.tolist()
    per_seed = [[x[:, s].unbind(0) for x in data] for s in range(S)]
    cpu = theta0.device.type == "cpu"
    npv = [[numpy_views(p) for p in vs] if cpu else None for vs in views]
    caches: list[list] = [[None] for _ in range(S)]
    for i in range(len(ags)):
        for s in range(S):
            d = StepData(*(f[i] for f in per_seed[s]))
            fast_step(static, views[s], st.delta[s], st.u[s], k[s], d, ags[i][s], nags[i][s],
                       alphas[i][s], ts[i], npv[s], caches[s])
    st.k.copy_(torch.as_tensor(k, dtype=st.k.dtype))


@contextmanager
def torch_threads(n: int | None):
    """Run with ``torch.set_num_threads(n)`` and restore the previous count (None: no change).

    The learner's default is one thread (:attr:`NeuralConfig.threads`): on a machine whose
    cores run other seeds, torch's default of one thread per core oversubscribes them (see
    ``benchmarks/README.md``)."""
    if n is None:
        yield
        return
    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def _run(model: EpochModel, config: NeuralConfig, seeds: tuple[int, ...],
         encoding: Encoding | None, checkpoint: str | Path | None, resume: bool, chunk: int,
         progress: bool, engine: str):
    """The shared training loop; returns (networks per seed, final state, feature scales)."""
    with torch_threads(config.threads):
        return _run_loop(model, config, seeds, encoding, checkpoint, resume, chunk, progress,
                         engine)


def _run_loop(model: EpochModel, config: NeuralConfig, seeds: tuple[int, ...],
              encoding: Encoding | None, checkpoint: str | Path | None, resume: bool,
              chunk: int, progress: bool, engine: str):
    if engine not in ("native", "vmap"):
        raise ValueError(f"engine: {engine!r} is not 'native' or 'vmap'")
    if chunk < 1:
        raise ValueError(f"chunk: {chunk} must be >= 1")
    nets = [networks_for(model, config, encoding, seed=s) for s in seeds]
    arr = handoff_arrays(model)
    theta0 = torch.stack([n.theta0 for n in nets])
    f0 = torch.stack([n.f0 for n in nets])
    scales = [tangent_raw(n)[1] for n in nets]
    unit = torch.as_tensor([1.0 / s**2 if config.optimizer == "sgd" else 1.0 for s in scales],
                           dtype=theta0.dtype, device=theta0.device)
    meta = {"model": model_fingerprint(model),
            "config": json.loads(config_json(config, nets[0], seeds))}
    ckpt = resume_target(checkpoint, resume)
    steps_total = config.handoffs // config.batch
    if resume:
        st = load_state(ckpt, meta, model, theta0)
        check_table(ckpt, nets, st)
        check_handoffs(ckpt, st.t * config.batch, config.handoffs)
    else:
        st = TrainState.fresh(theta0, [Stream.start(arr, s) for s in seeds], model.n_obs_pairs)
    # the in-place update for one seed, or for minibatches (B > 1) of any number of seeds;
    # many seeds with one handoff per update share the stacked update (one batched product)
    fast = engine == "native" and (len(seeds) == 1 or config.batch > 1)
    if engine == "native":
        static = step_static(nets[0], config, inplace=True)
        step = lambda *a: torch_step(static, *a)  # noqa: E731
    else:
        static = step_static(nets[0], config)

        def one(theta0_s, delta_s, u_s, m_s, v_s, k_s, *data_s):
            e = lambda x: x.unsqueeze(0)  # noqa: E731
            out = torch_step(static, e(theta0_s), e(delta_s), e(u_s), e(m_s), e(v_s), e(k_s),
                        StepData(*(e(x) for x in data_s)))
            return tuple(o.squeeze(0) for o in out)

        vone = vmap(one)
        step = lambda th0, de, db, m, v, k, d: vone(th0, de, db, m, v, k, *d)  # noqa: E731
    bar = None
    if progress:
        bar = tqdm(total=config.handoffs * len(seeds), initial=st.t * config.batch * len(seeds),
                   unit="handoff", unit_scale=True)
    per_chunk = max(1, chunk // (config.batch * len(seeds)))
    while st.t < steps_total:
        n_steps = min(per_chunk, steps_total - st.t)
        t_start = time.perf_counter()
        samples = [draw_rows(arr, s, n_steps * config.batch) for s in st.streams]
        for i, s in enumerate(samples):
            st.visits[i] += np.bincount(s["pair"], minlength=model.n_obs_pairs)
        data = chunk_data(nets[0], f0, samples, config.batch,
                           base_steps(config, st.t, n_steps), unit, st.t)
        with torch.no_grad():
            if fast:
                _fast_chunk(static, theta0, st, data)
            else:
                state = (st.delta, st.u, st.m, st.v, st.k)
                for i in range(n_steps):
                    state = step(theta0, *state, StepData(*(x[i] for x in data)))
                st.delta, st.u, st.m, st.v, st.k = state
        st.t += n_steps
        st.seconds += time.perf_counter() - t_start
        if ckpt is not None:
            save_state(ckpt, st, meta)
        if bar is not None:
            bar.update(n_steps * config.batch * len(seeds))
    if bar is not None:
        bar.close()
    return nets, st, scales


def train_neural(model: EpochModel, config: NeuralConfig = NeuralConfig(), *,
                 encoding: Encoding | None = None, checkpoint: str | Path | None = None,
                 resume: bool = False, chunk: int = 10_000, progress: bool = False
                 ) -> NeuralResult:
    """Run neural IC-Q for ``config.handoffs`` handoffs (paper §3; docs/theory.md §6).

    Parameters
    ----------
    model : the epoch model; handoffs are sampled under its behaviour policy π_b
    config : :class:`NeuralConfig`
    encoding : the observation encoding hook (default :func:`one_hot_encoding`)
    checkpoint : path of an atomic checkpoint written after every ``chunk`` handoffs and at the
        end (parameters, averaged iterate, optimizer state, generator and latent state)
    resume : continue from ``checkpoint`` if it exists; the result is bit-for-bit that of an
        uninterrupted run (same machine, same torch thread count)
    progress : show a tqdm bar (callers pass True only on a terminal)

    Returns
    -------
    NeuralResult
    """
    nets, st, scales = _run(model, config, (config.seed,), encoding, checkpoint, resume, chunk,
                            progress, "native")
    n = nets[0]
    dbar = average_iterate(st.delta, st.u, st.t)[0]
    rep = dbar if config.average else st.delta[0]
    last = st.delta[0]
    return NeuralResult(
        q=q_values(n, rep), q_last=q_values(n, last), delta=last.double().cpu().numpy(),
        delta_bar=dbar.double().cpu().numpy(), visits=st.visits[0],
        handoffs=st.t * config.batch, episodes=st.streams[0].episodes, seconds=st.seconds,
        theta_distance_from_init=float(torch.linalg.vector_norm(rep)),
        theta_distance_from_init_last=float(torch.linalg.vector_norm(last)),
        projection_radius=config.radius, feature_scale=scales[0], n_params=n.n_params,
        config=config, networks=n, method=_method(config))


def train_neural_batch(model: EpochModel, config: NeuralConfig, seeds: Sequence[int], *,
                       encoding: Encoding | None = None, checkpoint: str | Path | None = None,
                       resume: bool = False, chunk: int = 10_000, progress: bool = False,
                       engine: str = "native") -> NeuralBatchResult:
    """Neural IC-Q for several seeds at once, on parameters stacked over seeds.

    Seed ``s`` has its own initialisation and its own handoff stream, exactly those of
    ``train_neural(model, replace(config, seed=s))`` (``config.seed`` is ignored here).
    ``engine="native"`` runs the update on the leading seed axis directly; ``engine="vmap"``
    runs the one-seed update under ``torch.func.vmap`` (the same function; slower on CPU,
    kept as a cross-check). ``chunk`` counts handoffs over all seeds.
    """
    seeds = tuple(int(s) for s in seeds)
    if not seeds:
        raise ValueError("seeds: give at least one seed")
    if any(s < 0 for s in seeds):
        raise ValueError(f"seeds: {seeds} must all be >= 0")
    nets, st, scales = _run(model, config, seeds, encoding, checkpoint, resume, chunk, progress,
                            engine)
    dbar = average_iterate(st.delta, st.u, st.t)
    rep = dbar if config.average else st.delta
    S = len(seeds)
    return NeuralBatchResult(
        seeds=seeds, q=np.stack([q_values(n, rep[i]) for i, n in enumerate(nets)]),
        q_last=np.stack([q_values(n, st.delta[i]) for i, n in enumerate(nets)]),
        delta=st.delta.double().cpu().numpy(), delta_bar=dbar.double().cpu().numpy(),
        theta_distance_from_init=torch.linalg.vector_norm(rep.reshape(S, -1), dim=1)
        .double().cpu().numpy(),
        visits=st.visits, episodes=np.array([s.episodes for s in st.streams]),
        feature_scale=np.array(scales), handoffs=st.t * config.batch, seconds=st.seconds,
        config=config, engine=engine,
        method=_method(config) + f"; {S} seeds batched ({engine})")
