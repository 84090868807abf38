r"""Monte-Carlo runs of tabular IC-Q with the error tracked exactly at every handoff
(docs/theory.md §8, the Monte-Carlo certificate).

One seed runs the learner of :func:`icq.reference.learners.tabular.train_tabular` — the same
compiled handoff (:func:`~icq.reference.learners.smdp._choose`, ``_outcome``, ``_update``) on the
same random stream, so the final table equals ``train_tabular``'s bit for bit — and follows the
error of the table after every handoff.

The error. Every observation pair ``p = (ô, j)`` carries an interval ``[lo_p, hi_p]`` and its
error is ``e_p(Q) = max(Q_p − lo_p, hi_p − Q_p)``:

- learning error (to Q̂*_μ, what IC-Q can learn): ``lo_p = hi_p = Q̂*_μ(p)``, so
  ``e_p = |Q_p − Q̂*_μ(p)|``;
- total error (to Q* on latent pairs): ``lo_p = min`` and ``hi_p = max`` of ``Q*(y, j)`` over the
  latent pairs of the fiber ``σ(y) = ô`` that count, so ``e_p = max_y |Q_p − Q*(y, j)|``.

Which pairs count: those the behaviour chain visits in the long run, i.e. with weight ``w = μ(y)
π_b(j|σ(y)) > 0`` (μ of :func:`icq.reference.exact.ais.ais_model`); a pair of weight 0 has ``e_p =
−∞`` and never counts. The sup error is ``max_p e_p``; the μ error is ``√(Σ_p Σ_{y∈fiber} w_y (Q_p −
Q*(y,j))²) = √(Σ_p W_p Q_p² − 2 S1_p Q_p + S2_p)`` (learning: ``W_p = w_p``, ``S1_p = w_p
Q̂*_μ(p)``, ``S2_p = w_p Q̂*_μ(p)²``).

O(1) per handoff. One entry ``a`` changes per handoff, so for each target ε the run keeps the
count of entries with ``e_p > ε`` (sup) or the running sum above (μ) and updates it from the old
and new value of ``Q_a``. A projection (``radius``) rescales the whole table: then, and only then,
the counts and the sum are recomputed by a full pass. The counts are exact; the μ sum carries the
rounding of its updates (relative 1e-16 each), so a μ error within that of ε may be classed
either way.

``H`` (per target) is the first handoff count after which the error stays ``≤ ε`` through the
horizon: with ``e_t`` the error after ``t`` handoffs (``e_0`` of the initial table),
``H = min{h : e_t ≤ ε for h ≤ t ≤ horizon}``; ``inf`` when ``e_horizon > ε``.

Floors. The total error of any table is at least ``max_p (hi_p − lo_p)/2`` in sup norm (half the
fiber spread of Q*, reached by ``Q_p = (lo_p + hi_p)/2``) and ``√(Σ_p S2_p − S1_p²/W_p)`` in
‖·‖_μ (the fiber means); the learning error has floor 0.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field

import numba
import numpy as np

from icq.reference.common.parallel import map_tasks
from icq.reference.exact.ais import ais_model
from icq.reference.exact.chain import pair_weights
from icq.reference.exact.solve import solve
from icq.reference.learners.smdp import _run_many, _run_tracked, handoff_arrays, start_stream
from icq.reference.learners.tabular import TrainConfig, _mode_alpha
from icq.reference.model import EpochModel

__all__ = ["BACKENDS", "ERRORS", "NORMS", "ErrorSpec", "MonteCarloResult", "SeedRun",
           "error_spec", "full_error", "log_grid", "run_seed", "run_seeds"]

#: the two errors and the two norms a run can track
ERRORS = ("learning", "total")
NORMS = ("sup", "mu")
#: where the seeds run: ``serial`` (one after the other), ``local`` (numba threads over the seeds
#: of a chunk, in this process: no worker start-up) or ``ray`` (chunks as Ray tasks, threads
#: inside each)
BACKENDS = ("serial", "local", "ray")


@dataclass(frozen=True, eq=False)
class ErrorSpec:
    """What the tracked error measures, per observation pair (see the module docstring).

    Attributes
    ----------
    error, norm : one of :data:`ERRORS`, :data:`NORMS`
    lo, hi : (n_obs_pairs,) the interval of Q* (or Q̂*_μ) values; ``+inf``/``−inf`` where no
        pair counts
    W, S1, S2 : (n_obs_pairs,) the weight sums of the ‖·‖_μ error
    floor : the smallest reachable error for this error and norm
    floor_pair : the observation pair that sets the floor (sup), else −1
    method : how the reference values and weights were obtained
    """

    error: str
    norm: str
    lo: np.ndarray
    hi: np.ndarray
    W: np.ndarray  # noqa: N815
    S1: np.ndarray  # noqa: N815
    S2: np.ndarray  # noqa: N815
    floor: float
    floor_pair: int
    method: str


def error_spec(model: EpochModel, error: str = "learning", norm: str = "sup") -> ErrorSpec:
    """The per-pair reference intervals and weights of ``error`` in ``norm`` (docs/theory.md §8).

    Parameters
    ----------
    model : the model
    error : ``"learning"`` (to Q̂*_μ) or ``"total"`` (to Q* on latent pairs with μ(y)π_b > 0)
    norm : ``"sup"`` or ``"mu"``
    """
    if error not in ERRORS:
        raise ValueError(f"error: {error!r} is not one of {', '.join(ERRORS)}")
    if norm not in NORMS:
        raise ValueError(f"norm: {norm!r} is not one of {', '.join(NORMS)}")
    ais = ais_model(model)
    mu = ais.weights / ais.weights.sum()
    pop = model.pair_obs_pair
    w_lat = pair_weights(model, mu)  # μ(y) π_b(j|σ(y)), latent pairs
    W = np.bincount(pop, w_lat, minlength=model.n_obs_pairs)  # noqa: N806 - per observation pair
    P = model.n_obs_pairs  # noqa: N806
    if error == "learning":
        ref = solve(ais.smdp).q
        lo = np.where(W > 0, ref, np.inf)
        hi = np.where(W > 0, ref, -np.inf)
        S1, S2 = W * ref, W * ref**2  # noqa: N806
        method = f"Q̂*_μ exact by policy iteration; {ais.method}"
    else:
        ref = solve(model.latent).q
        live = w_lat > 0
        lo = np.full(P, np.inf)
        hi = np.full(P, -np.inf)
        np.minimum.at(lo, pop[live], ref[live])
        np.maximum.at(hi, pop[live], ref[live])
        S1 = np.bincount(pop, w_lat * ref, minlength=P)  # noqa: N806
        S2 = np.bincount(pop, w_lat * ref**2, minlength=P)  # noqa: N806
        method = f"Q* exact by policy iteration on latent pairs with μ(y)π_b > 0; {ais.method}"
    spread = np.where(hi >= lo, (hi - lo) / 2, 0.0)
    if norm == "sup":
        floor_pair = int(np.argmax(spread))
        floor = float(spread[floor_pair])
    elif error == "learning":
        floor_pair, floor = -1, 0.0
    else:  # Σ w (Q* − fiber mean)², summed as squares (no cancellation)
        floor_pair = -1
        mean = np.where(W > 0, S1 / np.where(W > 0, W, 1.0), 0.0)
        floor = float(math.sqrt(np.sum(w_lat * (ref - mean[pop]) ** 2)))
    return ErrorSpec(error, norm, lo, hi, W, S1, S2, floor, floor_pair, method)


def full_error(spec: ErrorSpec, q: np.ndarray) -> float:
    """The error of table ``q`` by a full pass (the O(1) tracking's reference)."""
    if spec.norm == "sup":
        e = np.maximum(q - spec.lo, spec.hi - q)
        return float(max(e.max(), 0.0)) if e.size else 0.0
    return float(math.sqrt(max(float(np.sum(spec.W * q**2 - 2 * spec.S1 * q + spec.S2)), 0.0)))


def log_grid(horizon: int, points: int = 60) -> np.ndarray:
    """0 and about ``points`` log-spaced handoff counts up to ``horizon`` (distinct integers)."""
    if horizon <= 0:
        return np.zeros(1, dtype=np.int64)
    g = np.unique(np.round(np.logspace(0, math.log10(horizon), points)).astype(np.int64))
    return np.concatenate([[0], g[(g >= 1) & (g <= horizon)]]).astype(np.int64)


@dataclass(frozen=True, eq=False)
class SeedRun:
    """One seed: ``H`` per target, the error on the grid and the final table."""

    seed: int
    H: np.ndarray  # noqa: N815
    errors: np.ndarray
    q: np.ndarray
    visits: np.ndarray
    episodes: int


def run_seed(model: EpochModel, config: TrainConfig, spec: ErrorSpec, targets: np.ndarray, *,
             horizon: int, seed: int, grid: np.ndarray | None = None,
             arrays: dict | None = None) -> SeedRun:
    """Run seed ``seed`` of ``config`` for ``horizon`` handoffs with the error tracked
    (module docstring). The final table equals ``train_tabular(model, config with
    handoffs=horizon, seed=seed).q`` bit for bit."""
    if config.average:
        raise ValueError("average: the certificate tracks the last iterate; run with "
                         "average=False")
    arr = arrays if arrays is not None else handoff_arrays(model)
    grid = log_grid(horizon) if grid is None else np.asarray(grid, dtype=np.int64)
    eps = np.ascontiguousarray(targets, dtype=float)
    rs, y = start_stream(arr, seed)  # train_tabular's start
    q = np.zeros(model.n_obs_pairs)
    visits = np.zeros(model.n_obs_pairs)
    grid_err = np.full(grid.shape[0], np.nan)
    last_bad = np.empty(eps.shape[0], dtype=np.int64)
    mode, alpha = _mode_alpha(config)
    _, episodes = _run_tracked(
        int(horizon), rs, q, visits, y, arr["state_obs"], arr["obs_ptr"], arr["beh_cdf"],
        arr["pair_ptr"], arr["out_ptr"], arr["out_pack"], arr["init_cdf"], mode, config.omega,
        alpha, config.exploration == "epsilon-greedy", config.epsilon, config.radius or 0.0,
        spec.lo, spec.hi, spec.W, spec.S1, spec.S2, spec.norm == "sup", eps, grid, grid_err,
        last_bad)
    return SeedRun(seed, _h(last_bad, horizon), grid_err, q, visits, int(episodes))


def _chunk(task: tuple) -> tuple[np.ndarray, np.ndarray]:
    """Worker: the seeds of one chunk (module-level for processes and Ray), one numba thread
    per seed with ``threads``, else one after the other through :func:`run_seed`."""
    model, config, spec, targets, horizon, grid, seeds, threads = task
    arr = handoff_arrays(model)
    if not threads:
        runs = [run_seed(model, config, spec, targets, horizon=horizon, seed=s, grid=grid,
                         arrays=arr) for s in seeds]
        return np.array([r.H for r in runs]), np.array([r.errors for r in runs])
    if config.average:
        raise ValueError("average: the certificate tracks the last iterate; run with "
                         "average=False")
    n = len(seeds)
    starts = [start_stream(arr, s) for s in seeds]  # train_tabular's start
    rss = np.array([rs for rs, _ in starts], dtype=np.uint64).reshape(n, 4)
    ys = np.array([y for _, y in starts], dtype=np.int64)
    eps = np.ascontiguousarray(targets, dtype=float)
    grid_err = np.full((n, grid.shape[0]), np.nan)
    last_bad = np.empty((n, eps.shape[0]), dtype=np.int64)
    mode, alpha = _mode_alpha(config)
    _run_many(int(horizon), rss, ys, np.zeros((n, model.n_obs_pairs)),
              np.zeros((n, model.n_obs_pairs)), arr["state_obs"], arr["obs_ptr"],
              arr["beh_cdf"], arr["pair_ptr"], arr["out_ptr"], arr["out_pack"], arr["init_cdf"],
              mode, config.omega, alpha, config.exploration == "epsilon-greedy", config.epsilon,
              config.radius or 0.0, spec.lo, spec.hi, spec.W, spec.S1, spec.S2,
              spec.norm == "sup", eps, grid, grid_err, last_bad, np.zeros(n, dtype=np.int64))
    return _h(last_bad, horizon), grid_err


def _h(last_bad: np.ndarray, horizon: int) -> np.ndarray:
    """H = last handoff count with error above the target, plus one; inf if that is the
    horizon."""
    return np.where(last_bad >= horizon, np.inf, last_bad + 1.0)


@dataclass(frozen=True, eq=False)
class MonteCarloResult:
    """n independent tracked runs of one learner configuration (docs/theory.md §8).

    Attributes
    ----------
    H : (n_seeds, n_targets) first handoff count from which the error stays ≤ target through
        the horizon (``inf``: not within the horizon)
    grid : (n_grid,) handoff counts at which ``errors`` were recorded (0, then log-spaced)
    errors : (n_seeds, n_grid) the error after ``grid[g]`` handoffs
    targets, seeds, horizon, config, spec : what was run
    seconds : wall time of the runs
    method : how it was obtained
    """

    H: np.ndarray  # noqa: N815
    grid: np.ndarray
    errors: np.ndarray
    targets: np.ndarray
    seeds: np.ndarray
    horizon: int
    config: TrainConfig
    spec: ErrorSpec
    seconds: float
    method: str = ("tabular IC-Q (the compiled train_tabular handoff) per seed, error tracked "
                   "in O(1) per handoff")
    extra: dict = field(default_factory=dict)


def run_seeds(model: EpochModel, config: TrainConfig, targets, *, horizon: int,
              seeds=200, error: str = "learning", norm: str = "sup",
              backend: str = "local", workers: int | None = None, chunk: int | None = None,
              grid: np.ndarray | None = None, spec: ErrorSpec | None = None,
              progress: bool = False, checkpoint=None, resume: bool = False) -> MonteCarloResult:
    """Tracked runs of ``config`` on ``model`` for each seed, over ``backend`` (:data:`BACKENDS`;
    identical results on every backend, in seed order). Chunks of seeds go through
    :func:`icq.reference.common.parallel.map_tasks` (``serial`` in this process, or ``ray``); inside
    a chunk the seeds run on numba threads (``local``, ``ray``). Threads rather than processes on
    one machine: a process pool's start-up (interpreter, imports, compiled-code cache) costs more
    than the runs of a typical certificate.

    Parameters
    ----------
    targets : a target ε or a sequence of them
    horizon : handoffs per seed
    seeds : a count n (seeds 0..n−1) or the seeds themselves
    error, norm : what is tracked (:func:`error_spec`)
    workers : threads (``local``) or Ray CPUs; default: all cores
    chunk : seeds per task (default: 8 chunks on ``local``, 4 per worker on ``ray``)
    checkpoint, resume : a folder for the finished chunks, and whether to continue from it
        (:func:`~icq.reference.common.parallel.map_tasks`)
    """
    if horizon < 0:
        raise ValueError(f"horizon: {horizon} must be >= 0")
    seed_list = np.arange(seeds) if np.ndim(seeds) == 0 else np.asarray(seeds, dtype=np.int64)
    eps = np.atleast_1d(np.asarray(targets, dtype=float))
    if not np.all(np.isfinite(eps) & (eps >= 0)):
        raise ValueError(f"targets: {eps.tolist()} must be finite and >= 0")
    spec = spec if spec is not None else error_spec(model, error, norm)
    grid = log_grid(horizon) if grid is None else np.asarray(grid, dtype=np.int64)
    if backend not in BACKENDS:
        raise ValueError(f"backend: {backend!r} is not one of {', '.join(BACKENDS)}")
    n_workers = workers or os.cpu_count() or 1
    threads = backend != "serial"
    if chunk is None:  # local: a few chunks, each over all threads; ray: a few per worker
        per = 4 * n_workers if backend == "ray" else 8
        chunk = max(1, math.ceil(len(seed_list) / per))
    tasks = [(model, config, spec, eps, int(horizon), grid, seed_list[i:i + chunk].tolist(),
              threads) for i in range(0, len(seed_list), chunk)]
    t0 = time.perf_counter()
    old_threads = numba.get_num_threads()
    if backend == "local":
        numba.set_num_threads(min(n_workers, numba.config.NUMBA_NUM_THREADS))
    try:
        out = map_tasks(_chunk, tasks, backend="ray" if backend == "ray" else "serial",
                        workers=workers, progress=progress, checkpoint=checkpoint,
                        resume=resume)
    finally:
        numba.set_num_threads(old_threads)
    seconds = time.perf_counter() - t0
    if out:
        H, errors = np.concatenate([o[0] for o in out]), np.concatenate([o[1] for o in out])  # noqa: N806
    else:
        H, errors = np.zeros((0, eps.size)), np.zeros((0, grid.size))  # noqa: N806
    return MonteCarloResult(H=H, grid=grid, errors=errors, targets=eps, seeds=seed_list,
                            horizon=int(horizon), config=config, spec=spec, seconds=seconds)
