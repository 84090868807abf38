r"""Monte-Carlo runs of every tabular learner specification with the error tracked exactly
(docs/theory.md §8, the Monte-Carlo certificate).

One seed runs the tabular learner of :func:`icq.reference.learners.tabular.train` — the same
compiled handoff (:func:`~icq.reference.learners.handoffs._choose`, ``_outcome``, ``_update``)
on the same random stream, after the same burn-in, so the final table equals ``train``'s bit
for bit — and follows the error of the spec's iterate:

- the last iterate θ_t: after every update, in O(1) (below);
- an averaged iterate (``polyak``, ``tail:F``): on the check grid :func:`check_grid` (the
  distinct ⌈2^(k/16)⌉ up to the horizon, and the horizon), exactly. The run keeps the lazy
  prefix sums Σ_{s<t} θ_s (O(1) per update); at a grid point h it forms θ̄_h from the prefix
  sums at h and at the average's start t₀(h) (0 for ``polyak``, h − ⌈F·h⌉ for ``tail:F``,
  stored when the run passes it) and evaluates the error by a full pass, O(P) per grid point.

The error. Every observation pair ``p = (ô, j)`` carries an interval ``[lo_p, hi_p]`` and its
error is ``e_p(Q) = max(Q_p − lo_p, hi_p − Q_p)``:

- learning error (to Q̂*_μ, what IC-Q can learn): ``lo_p = hi_p = Q̂*_μ(p)``, so
  ``e_p = |Q_p − Q̂*_μ(p)|``;
- total error (to Q* on latent pairs): ``lo_p = min`` and ``hi_p = max`` of ``Q*(y, j)`` over the
  latent pairs of the fiber ``σ(y) = ô`` that count, so ``e_p = max_y |Q_p − Q*(y, j)|``.

Which pairs count: those the behaviour chain visits in the long run, i.e. with weight ``w = μ(y)
π_b(j|σ(y)) > 0`` (μ of :func:`icq.reference.exact.induced.ais_model`); a pair of weight 0 has
``e_p = −∞`` and never counts. The sup error is ``max_p e_p``; the μ error is
``√(Σ_p Σ_{y∈fiber} w_y (Q_p − Q*(y,j))²) = √(Σ_p W_p Q_p² − 2 S1_p Q_p + S2_p)``
(learning: ``W_p = w_p``, ``S1_p = w_p Q̂*_μ(p)``, ``S2_p = w_p Q̂*_μ(p)²``).

O(1) per handoff. One entry ``a`` changes per handoff, so for each target ε the run keeps the
count of entries with ``e_p > ε`` (sup) or the running sum above (μ) and updates it from the old
and new value of ``Q_a``. A projection (``radius``) rescales the whole table: then, and only then,
the counts and the sum are recomputed by a full pass. The counts are exact; the μ sum carries the
rounding of its updates (relative 1e-16 each), so a μ error within that of ε may be classed
either way.

``H`` (per target) is the first update count after which the error stays ``≤ ε`` through the
horizon: with ``e_t`` the error after ``t`` updates (``e_0`` of the initial table Q₀),
``H = min{h : e_t ≤ ε for h ≤ t ≤ horizon}``; ``inf`` when ``e_horizon > ε``. For an averaged
iterate ``t`` and ``h`` range over the check grid (:func:`h_on_grid`). A non-finite table entry
counts as above every target. Update counts exclude the burn-in.

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
from icq.reference.exact.chain import pair_weights
from icq.reference.exact.induced import ais_model
from icq.reference.exact.solve import solve
from icq.reference.learners.handoffs import (
    ErrorArrays,
    StepParams,
    TableState,
    handoff_arrays,
    handoff_record,
    run_checked,
    run_checked_many,
    run_tracked,
    run_tracked_many,
    start_stream,
)
from icq.reference.learners.spec import LearnerSpec
from icq.reference.learners.tabular import TrainConfig, kernel_params
from icq.reference.model import EpochModel

__all__ = ["BACKENDS", "CHECK_PER_DOUBLING", "ERRORS", "NORMS", "ErrorSpec", "MonteCarloResult",
           "SeedRun", "check_grid", "error_spec", "full_error", "h_on_grid", "learner_spec",
           "log_grid", "run_seed", "run_seeds"]

#: the two errors and the two norms a run can track
ERRORS = ("learning", "total")
NORMS = ("sup", "mu")
#: where the seeds run: ``serial`` (one after the other), ``local`` (numba threads over the seeds
#: of a chunk, in this process: no worker start-up) or ``ray`` (chunks as Ray tasks, threads
#: inside each)
BACKENDS = ("serial", "local", "ray")
#: points per doubling of the averaged iterates' check grid (:func:`check_grid`)
CHECK_PER_DOUBLING = 16


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
    """The error of table ``q`` by a full pass (the O(1) tracking's reference); ``inf`` when
    an entry is not finite (above every target)."""
    if not np.all(np.isfinite(q)):
        return math.inf
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


def check_grid(horizon: int, per_doubling: int = CHECK_PER_DOUBLING) -> np.ndarray:
    """The averaged iterates' check grid (docs/theory.md §8): the distinct ``⌈2^(k/m)⌉``,
    ``k = 0, 1, …``, ``m = per_doubling``, up to ``horizon``, and ``horizon`` itself (always a
    grid point): every update count up to about ``m/ln 2``, then ``m`` points per doubling, so
    consecutive points differ by at most a factor ``2^(1/m)`` (4.4 % for m = 16).

    >>> check_grid(40, 4).tolist()
    [1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 23, 27, 32, 39, 40]
    """
    if horizon < 1:
        raise ValueError(f"horizon: {horizon} must be >= 1 for an averaged iterate")
    k = np.arange(int(math.ceil(per_doubling * math.log2(horizon))) + 1)
    g = np.unique(np.ceil(2.0 ** (k / per_doubling) - 1e-9).astype(np.int64))
    return np.concatenate([g[g < horizon], [horizon]]).astype(np.int64)


def _as_grid(grid, horizon: int) -> np.ndarray:
    """A given check grid, validated: integers in 1..horizon, the horizon appended if
    missing (H is defined on the grid, and the grid always ends at the horizon)."""
    g = np.unique(np.asarray(grid, dtype=np.int64))
    g = g[g > 0]
    if g.size and g[-1] > horizon:
        raise ValueError(f"grid: {int(g[-1])} lies beyond the horizon {horizon}")
    return g if g.size and g[-1] == horizon else np.append(g, horizon).astype(np.int64)


def h_on_grid(errors: np.ndarray, grid: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """H per target on a check grid: the least grid point ``h`` with error ≤ ε at every grid
    point ≥ ``h`` (the last grid point is the horizon); ``inf`` when the error at the horizon
    is above ε. ``errors`` is ``(..., n_grid)``; a non-finite error is above every target."""
    errors = np.asarray(errors, dtype=float)
    eps = np.asarray(targets, dtype=float)
    bad = ~(errors[..., None, :] <= eps[:, None])  # (..., n_targets, n_grid); NaN is bad
    n = grid.shape[0]
    last = np.where(bad.any(axis=-1), n - 1 - np.argmax(bad[..., ::-1], axis=-1), -1)
    padded = np.append(grid.astype(float), math.inf)
    return padded[last + 1]


def _events(grid: np.ndarray, learner: LearnerSpec):
    """The event list of :func:`~icq.reference.learners.handoffs.run_checked` for ``grid``: a
    check at every grid point ``h`` (mean over ``t ≥ t₀ = learner.average_start(h)``) and, for
    a tail average, a stored prefix sum at every ``t₀ > 0``; buffer slots are reused once
    their check has passed. Returns (ev_time, ev_grid, ev_slot, ev_start, n_slots)."""
    items = []  # (time, kind 0 = check / 1 = store, grid index)
    starts = [learner.average_start(int(h)) for h in grid]
    for g, (h, t0) in enumerate(zip(grid, starts, strict=True)):
        items.append((int(h), 0, g))
        if t0 > 0:
            items.append((t0, 1, g))
    items.sort()  # at one time, checks (which free slots) before stores
    free: list[int] = []
    slot_of: dict[int, int] = {}
    n_slots = 0
    ev = []
    for time_, kind, g in items:
        if kind == 1:
            slot = free.pop() if free else n_slots
            n_slots = max(n_slots, slot + 1)
            slot_of[g] = slot
            ev.append((time_, -1, slot, 0))
        else:
            slot = slot_of.pop(g, -1)
            ev.append((time_, g, slot, starts[g]))
            if slot >= 0:
                free.append(slot)
    a = np.array(ev, dtype=np.int64).reshape(-1, 4)
    return (np.ascontiguousarray(a[:, 0]), np.ascontiguousarray(a[:, 1]),
            np.ascontiguousarray(a[:, 2]), np.ascontiguousarray(a[:, 3]), max(n_slots, 1))


def learner_spec(learner: LearnerSpec | TrainConfig) -> LearnerSpec:
    """The tabular :class:`LearnerSpec` of ``learner`` (a :class:`TrainConfig` gives its
    spec)."""
    spec = learner.spec if isinstance(learner, TrainConfig) else learner
    if not isinstance(spec, LearnerSpec) or spec.representation != "tabular":
        raise ValueError(f"learner: {getattr(spec, 'representation', spec)!r} is not a tabular "
                         "LearnerSpec (networks: icq.reference.learners.neural.batched)")
    return spec


def _error_arrays(spec: ErrorSpec, eps: np.ndarray) -> ErrorArrays:
    return ErrorArrays(spec.lo, spec.hi, spec.W, spec.S1, spec.S2, spec.norm == "sup",
                       np.ascontiguousarray(eps, dtype=float))


@dataclass(frozen=True, eq=False)
class SeedRun:
    """One seed: ``H`` per target, the error on the grid and the final table (the last
    iterate)."""

    seed: int
    H: np.ndarray  # noqa: N815
    errors: np.ndarray
    q: np.ndarray
    visits: np.ndarray
    episodes: int


def run_seed(model: EpochModel, learner: LearnerSpec | TrainConfig, spec: ErrorSpec,
             targets: np.ndarray, *, horizon: int, seed: int, grid: np.ndarray | None = None,
             arrays: dict | None = None, params: StepParams | None = None) -> SeedRun:
    """Run seed ``seed`` of the tabular ``learner`` for ``horizon`` updates (after its burn-in)
    with the error tracked (module docstring). The final table equals ``train(model, learner,
    handoffs=horizon, seed=seed).q`` bit for bit.

    ``grid``: for the last iterate, the update counts at which the error is recorded (default
    :func:`log_grid`; H uses every update); for an averaged iterate, the check grid (default
    :func:`check_grid`; the horizon is appended if missing) on which the error is evaluated
    exactly and H defined. ``arrays`` and ``params``: :func:`handoff_arrays` and
    :func:`kernel_params` of the model and learner, when the caller has them.
    """
    lspec = learner_spec(learner)
    arr = arrays if arrays is not None else handoff_arrays(model)
    S = params if params is not None else kernel_params(lspec, model)  # noqa: N806
    E = _error_arrays(spec, np.atleast_1d(targets))  # noqa: N806
    H, errors, Q, V, episodes = _run_block(model, arr, lspec, S, E, int(horizon),  # noqa: N806
                                           _grid(lspec, grid, horizon), [seed], threads=False)
    return SeedRun(seed, H[0], errors[0], Q[0], V[0], int(episodes[0]))


def _grid(lspec: LearnerSpec, grid, horizon: int) -> np.ndarray:
    """The recording grid of the last iterate (default :func:`log_grid`) or the check grid of
    an averaged iterate (default :func:`check_grid`; a given one through :func:`_as_grid`)."""
    if lspec.averaged:
        return check_grid(horizon) if grid is None else _as_grid(grid, horizon)
    return log_grid(horizon) if grid is None else np.asarray(grid, dtype=np.int64)


def _run_block(model: EpochModel, arr: dict, lspec: LearnerSpec, S: StepParams,  # noqa: N803
               E: ErrorArrays, horizon: int, grid: np.ndarray, seeds, threads: bool):  # noqa: N803
    """The tracked runs of ``seeds`` (row i of every result is seed i), each from ``train``'s
    start: on numba threads with ``threads`` (:func:`run_tracked_many`,
    :func:`run_checked_many`), else one after the other (:func:`run_tracked`,
    :func:`run_checked`); the check grid's events are formed once for all of them.
    Returns (H, grid errors, last tables, visit counts, episodes)."""
    n, P = len(seeds), model.n_obs_pairs  # noqa: N806
    starts = [start_stream(arr, int(s)) for s in seeds]  # train's start
    rss = np.array([rs for rs, _ in starts], dtype=np.uint64).reshape(n, 4)
    ys = np.array([y for _, y in starts], dtype=np.int64)
    H = handoff_record(arr)  # noqa: N806
    Q, V = np.full((n, P), float(lspec.q0)), np.zeros((n, P))  # noqa: N806
    grid_err = np.full((n, grid.shape[0]), np.nan)
    episodes = np.zeros(n, dtype=np.int64)
    if lspec.averaged:
        ev_time, ev_grid, ev_slot, ev_start, n_slots = _events(grid, lspec)
        ACC, LAST, BUF = np.zeros((n, P)), np.zeros((n, P)), np.zeros((n, n_slots, P))  # noqa: N806
        if threads:
            run_checked_many(lspec.burn_in, rss, ys, Q, V, ACC, LAST, H, S, E, ev_time,
                             ev_grid, ev_slot, ev_start, BUF, grid_err, episodes)
        else:
            for i in range(n):
                _, episodes[i] = run_checked(
                    lspec.burn_in, rss[i], ys[i], H, S, TableState(Q[i], V[i], ACC[i], LAST[i]),
                    E, ev_time, ev_grid, ev_slot, ev_start, BUF[i], grid_err[i])
        return h_on_grid(grid_err, grid, E.eps), grid_err, Q, V, episodes
    last_bad = np.empty((n, E.eps.shape[0]), dtype=np.int64)
    if threads:
        run_tracked_many(horizon, lspec.burn_in, rss, ys, Q, V, H, S, E, grid, grid_err,
                         last_bad, episodes)
    else:
        for i in range(n):
            _, episodes[i] = run_tracked(horizon, lspec.burn_in, rss[i], ys[i], Q[i], V[i], H,
                                         S, E, grid, grid_err[i], last_bad[i])
    return _h(last_bad, horizon), grid_err, Q, V, episodes


def _chunk(task: tuple) -> tuple[np.ndarray, np.ndarray]:
    """Worker: the seeds of one chunk (module-level for processes and Ray), one numba thread
    per seed with ``threads``, else one after the other (:func:`_run_block`)."""
    model, lspec, S, spec, targets, horizon, grid, seeds, threads = task  # noqa: N806
    H, errors, _, _, _ = _run_block(model, handoff_arrays(model), lspec, S,  # noqa: N806
                                    _error_arrays(spec, targets), horizon, grid, seeds, threads)
    return H, errors


def _h(last_bad: np.ndarray, horizon: int) -> np.ndarray:
    """H = last handoff count with error above the target, plus one; inf if that is the
    horizon."""
    return np.where(last_bad >= horizon, np.inf, last_bad + 1.0)


@dataclass(frozen=True, eq=False)
class MonteCarloResult:
    """n independent tracked runs of one learner (docs/theory.md §8).

    Attributes
    ----------
    H : (n_seeds, n_targets) first update count from which the error stays ≤ target through
        the horizon (``inf``: not within the horizon); on ``check_grid`` when it is set
    grid : (n_grid,) update counts at which ``errors`` were recorded (last iterate: 0, then
        log-spaced; averaged iterate: the check grid)
    errors : (n_seeds, n_grid) the error after ``grid[g]`` updates
    targets, seeds, horizon, learner, spec : what was run (``spec`` the :class:`ErrorSpec`)
    seconds : wall time of the runs
    check_grid : None when the error was checked after every update (the last iterate), else
        the sorted update counts at which it was checked (ending at the horizon)
    method : how it was obtained
    """

    H: np.ndarray  # noqa: N815
    grid: np.ndarray
    errors: np.ndarray
    targets: np.ndarray
    seeds: np.ndarray
    horizon: int
    learner: LearnerSpec
    spec: ErrorSpec
    seconds: float
    check_grid: np.ndarray | None = None
    method: str = ("tabular IC-Q (the compiled train handoff) per seed, error tracked in O(1) "
                   "per update")
    extra: dict = field(default_factory=dict)

    @property
    def config(self) -> TrainConfig:
        """The tabular learner as a :class:`TrainConfig` (run for ``horizon``, seed 0)."""
        return TrainConfig.from_spec(self.learner, self.horizon)


def run_seeds(model: EpochModel, learner: LearnerSpec | TrainConfig, targets, *, horizon: int,
              seeds=200, error: str = "learning", norm: str = "sup",
              backend: str = "local", workers: int | None = None, chunk: int | None = None,
              grid: np.ndarray | None = None, spec: ErrorSpec | None = None,
              progress: bool = False, checkpoint=None, resume: bool = False
              ) -> MonteCarloResult:
    """Tracked runs of the tabular ``learner`` on ``model`` for each seed, over ``backend``
    (:data:`BACKENDS`; identical results on every backend, in seed order). Chunks of seeds go
    through :func:`icq.reference.common.parallel.map_tasks` (``serial`` in this process, or
    ``ray``); inside a chunk the seeds run on numba threads (``local``, ``ray``). Threads rather
    than processes on one machine: a process pool's start-up (interpreter, imports,
    compiled-code cache) costs more than the runs of a typical certificate.

    Parameters
    ----------
    learner : a tabular :class:`LearnerSpec` (a :class:`TrainConfig` gives its spec)
    targets : a target ε or a sequence of them
    horizon : updates per seed (after the burn-in)
    seeds : a count n (seeds 0..n−1) or the seeds themselves
    error, norm : what is tracked (:func:`error_spec`)
    workers : threads (``local``) or Ray CPUs; default: all cores
    chunk : seeds per task (default: 8 chunks on ``local``, 4 per worker on ``ray``)
    grid : the recording grid (last iterate) or the check grid (averaged iterate), as in
        :func:`run_seed`
    checkpoint, resume : a folder for the finished chunks, and whether to continue from it
        (:func:`~icq.reference.common.parallel.map_tasks`)
    """
    if horizon < 0:
        raise ValueError(f"horizon: {horizon} must be >= 0")
    lspec = learner_spec(learner)
    S = kernel_params(lspec, model)  # noqa: N806 - once (rescaled: γ̂ of the AIS model)
    seed_list = np.arange(seeds) if np.ndim(seeds) == 0 else np.asarray(seeds, dtype=np.int64)
    eps = np.atleast_1d(np.asarray(targets, dtype=float))
    if not np.all(np.isfinite(eps) & (eps >= 0)):
        raise ValueError(f"targets: {eps.tolist()} must be finite and >= 0")
    spec = spec if spec is not None else error_spec(model, error, norm)
    grid = _grid(lspec, grid, horizon)
    if backend not in BACKENDS:
        raise ValueError(f"backend: {backend!r} is not one of {', '.join(BACKENDS)}")
    n_workers = workers or os.cpu_count() or 1
    threads = backend != "serial"
    if chunk is None:  # local: a few chunks, each over all threads; ray: a few per worker
        per = 4 * n_workers if backend == "ray" else 8
        chunk = max(1, math.ceil(len(seed_list) / per))
    tasks = [(model, lspec, S, spec, eps, int(horizon), grid, seed_list[i:i + chunk].tolist(),
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
    method = MonteCarloResult.method if not lspec.averaged else (
        "tabular IC-Q (the compiled train handoff) per seed, the averaged iterate's error "
        f"evaluated exactly on a check grid of {grid.size} update counts (lazy prefix sums)")
    return MonteCarloResult(H=H, grid=grid, errors=errors, targets=eps, seeds=seed_list,
                            horizon=int(horizon), learner=lspec, spec=spec, seconds=seconds,
                            check_grid=grid if lspec.averaged else None, method=method)
