"""The SMDP Q-learning step and the behaviour sampler that every learner shares (paper §3,
eq. (4)–(5); docs/theory.md §2).

One handoff from latent state ``y``: the active agent sees ``ô = σ(y)`` and picks a successor
``j`` (from π_b, or ε-greedily); the invocation's outcome ``(τ, R, y')`` is drawn from the
pair's law; the predecessor moves its own entry toward the SMDP target

    target = R + γ^τ · V_j(ô'),   V_j(ô') = max_{j'} Q(ô', j')   (``R`` when the episode ends)
    Q(ô, j) ← Q(ô, j) + α (target − Q(ô, j))

and an ended episode restarts from ν₀. :func:`smdp_target` and :func:`q_step` are the
formulas, written once for floats, numpy arrays and torch tensors alike; the compiled learners
inline their numba versions, the decentralized runtime and the adaptable agents call them from
Python, and the neural learner forms its targets with :func:`smdp_target`. The compiled pieces
(:func:`_choose`, :func:`_outcome`, :func:`_update`) consume the random stream of
:mod:`icq.reference.common.rng` in one fixed order — successor, outcome, restart — so tabular
IC-Q (:func:`run_handoffs`, after the burn-in of :func:`burn_in_handoffs`), its Monte-Carlo
certificate runs with the error tracked (:func:`run_tracked`, :func:`run_tracked_many`;
averaged iterates on a check grid: :func:`run_checked`, :func:`run_checked_many`) and the
network learners' handoff stream
(:func:`sample_behaviour`) see the same handoffs for the same seed (tested). The compiled loops
take the model's arrays as one :data:`HandoffArrays` record, the step as a :data:`StepParams`
record and the table as a :data:`TableState` record. Those loops live in this file, beside the
step they inline: numba caches a compiled function under its own file, so a loop kept in another
file would go on running a stale copy of an edited step.

>>> q_step(0.0, smdp_target(1.0, 0.81, 2.0), 0.5)   # target 1 + 0.81·2 = 2.62, half-way from 0
1.31
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
from numba import njit, prange

from icq.reference.common.rng import draw_index, next_double, seed_state
from icq.reference.model import EpochModel

__all__ = ["STEP_MODES", "ErrorArrays", "HandoffArrays", "StepParams", "TableState",
           "block_cdf", "burn_in_handoffs", "handoff_arrays", "handoff_record", "q_step",
           "run_checked", "run_checked_many", "run_handoffs", "run_tracked", "run_tracked_many",
           "sample_behaviour", "smdp_target", "start_stream", "step_params", "step_size",
           "table_norm2", "theory_rate", "theory_step"]


def smdp_target(reward, discount, value):
    """``R + γ^τ V`` with ``discount = γ^τ`` (0 at an episode end)."""
    return reward + discount * value


def q_step(q, target, alpha):
    """``q + α (target − q)``: the Q-learning move of one entry toward its target."""
    return q + alpha * (target - q)


def theory_rate(kappa, omega):
    """``1/((1 − κ)ω)``: Theorem 1's step is this over ``t + 1`` (the compiled loops' mode 2)."""
    return 1 / ((1 - kappa) * omega)


def theory_step(kappa, omega, t):
    """Theorem 1's step ``α_t = 1/((1 − κ) ω (t + 1))`` (docs/theory.md §6), for numbers,
    arrays and sympy symbols alike (:data:`icq.bounds.symbolic.ALPHA_T` is this at ``T``)."""
    return 1 / ((1 - kappa) * omega * (t + 1))


#: the compiled loops' step-size modes (:func:`step_size`)
STEP_MODES = {"harmonic": 0, "constant": 1, "theory": 2, "rescaled": 3}


def step_size(visits, t, mode, step_exponent, alpha):
    """α for an entry updated for the ``visits``-th time at global update ``t``: mode 0
    (harmonic) ``1/visits^ω`` (ω = ``step_exponent``), 1 (constant) ``alpha``, 2 (theory clock)
    ``alpha/(t+1)``, 3 (rescaled-linear) ``1/(1 + alpha·visits)`` with ``alpha = 1 − γ̂``."""
    if mode == 0:
        return 1.0 / visits ** step_exponent
    if mode == 1:
        return alpha
    if mode == 2:
        return alpha / (t + 1.0)
    return 1.0 / (1.0 + alpha * visits)


#: the model's arrays every compiled handoff reads (:func:`handoff_arrays`), as one record
HandoffArrays = namedtuple("HandoffArrays", "state_obs obs_ptr beh_cdf pair_ptr out_ptr "
                           "out_pack init_cdf")
#: the learner's step parameters as the compiled loops read them (:func:`step_params`)
StepParams = namedtuple("StepParams", "mode step_exponent alpha greedy epsilon radius")


def step_params(mode: int, step_exponent: float, alpha: float, greedy: bool, epsilon: float,
                radius: float) -> StepParams:
    """The :data:`StepParams` record with fixed scalar types (one compiled signature):
    ``mode`` of :data:`STEP_MODES`, ``alpha`` the mode's constant (:func:`step_size`),
    ``radius`` 0 for no projection."""
    return StepParams(int(mode), float(step_exponent), float(alpha), bool(greedy),
                      float(epsilon), float(radius))


_target = njit(inline="always")(smdp_target)
_q_step = njit(inline="always")(q_step)
_step_size = njit(inline="always")(step_size)


def block_cdf(probs: np.ndarray, ptr: np.ndarray) -> np.ndarray:
    """Cumulative sums of ``probs`` within each block ``ptr[b]:ptr[b+1]``, last entry 1."""
    c = np.cumsum(probs)
    starts = ptr[:-1]
    offs = np.where(starts > 0, c[np.maximum(starts - 1, 0)], 0.0)
    out = c - np.repeat(offs, np.diff(ptr))
    ends = ptr[1:] - 1
    out[ends[np.diff(ptr) > 0]] = 1.0
    return out


def handoff_arrays(model: EpochModel) -> dict[str, np.ndarray]:
    """The arrays the compiled handoff reads: ``state_obs``, ``obs_ptr``, ``pair_ptr``,
    ``out_ptr``, the behaviour and restart CDFs, and ``out_pack``, one row ``[cdf, γ^τ, R,
    next]`` per outcome (contiguous: one or two cache lines per pair)."""
    pack = np.stack([block_cdf(model.out_prob, model.out_ptr), model.out_discount,
                     model.out_rew, model.out_next.astype(float)], axis=1)
    return {
        "state_obs": np.ascontiguousarray(model.state_obs),
        "obs_ptr": np.ascontiguousarray(model.obs_ptr),
        "beh_cdf": block_cdf(model.behavior, model.obs_ptr),
        "pair_ptr": np.ascontiguousarray(model.pair_ptr),
        "out_ptr": np.ascontiguousarray(model.out_ptr),
        "out_pack": np.ascontiguousarray(pack),
        "init_cdf": block_cdf(model.initial, np.array([0, model.n_states])),
    }


def handoff_record(arr: dict[str, np.ndarray]) -> HandoffArrays:
    """:func:`handoff_arrays`' dictionary as the :data:`HandoffArrays` record the compiled
    loops take."""
    return HandoffArrays(**{k: arr[k] for k in HandoffArrays._fields})


def start_stream(arr: dict[str, np.ndarray], seed: int) -> tuple[np.ndarray, int]:
    """The generator state for ``seed`` and the first latent state, drawn from ν₀."""
    rs = seed_state(seed)
    return rs, draw_index(arr["init_cdf"], next_double(rs))


@njit(cache=True, inline="always")
def _pick(cdf, lo, hi, u):
    """First ``i`` in ``[lo, hi)`` with ``u < cdf[i]`` (the last one if none): a linear scan,
    fastest for the few successors of one observation."""
    for i in range(lo, hi):
        if u < cdf[i]:
            return i
    return hi - 1


@njit(cache=True, inline="always")
def _bisect(cdf, u):
    """The same index as ``_pick(cdf, 0, len(cdf), u)``, by binary search (for ν₀)."""
    lo, hi = 0, cdf.shape[0] - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if u < cdf[mid]:
            hi = mid
        else:
            lo = mid + 1
    return lo


@njit(cache=True, inline="always")
def _choose(rs, q, y, state_obs, obs_ptr, beh_cdf, greedy, epsilon):
    """The successor the predecessor at latent state ``y`` hands to: the table index ``a`` of
    the observation pair ``(σ(y), j)``, drawn from π_b or ε-greedily (ties to the first; ``q``
    is read only then). Returns ``(a, first index of σ(y)'s pairs)``. (Written as one branchy
    body: splitting the π_b draw into a helper measured 17 % slower in the tabular loop.)"""
    o = state_obs[y]
    lo = obs_ptr[o]
    hi = obs_ptr[o + 1]
    if greedy:
        if next_double(rs) < epsilon:
            a = lo + int(next_double(rs) * (hi - lo))
        else:
            a = lo
            for b in range(lo + 1, hi):
                if q[b] > q[a]:
                    a = b
    else:
        a = _pick(beh_cdf, lo, hi, next_double(rs))
    return a, lo


@njit(cache=True, inline="always")
def _draw(rs, k, out_ptr, out_pack, init_cdf):
    """Draw the outcome row ``x`` of latent pair ``k``; on an episode end also the restart
    state from ν₀. Returns ``(x, next latent state, 1 if the episode ended else 0)``."""
    u = next_double(rs)
    x = out_ptr[k + 1] - 1
    for r in range(out_ptr[k], out_ptr[k + 1]):
        if u < out_pack[r, 0]:
            x = r
            break
    nxt = int(out_pack[x, 3])
    if nxt < 0:
        return x, _bisect(init_cdf, next_double(rs)), 1
    return x, nxt, 0


@njit(cache=True, inline="always")
def _outcome(rs, q, k, state_obs, obs_ptr, out_ptr, out_pack, init_cdf):
    """Sample the outcome ``(τ, R, y')`` of latent pair ``k`` and form the SMDP target
    (:func:`smdp_target`; ``R`` at an episode end, then restart from ν₀).
    Returns ``(target, next latent state, 1 if the episode ended else 0)``."""
    x, y, ended = _draw(rs, k, out_ptr, out_pack, init_cdf)
    if ended:
        return out_pack[x, 2], y, 1
    o2 = state_obs[y]
    v = q[obs_ptr[o2]]
    for b in range(obs_ptr[o2] + 1, obs_ptr[o2 + 1]):
        if q[b] > v:
            v = q[b]
    return _target(out_pack[x, 2], out_pack[x, 1], v), y, 0


@njit(cache=True, inline="always")
def _update(q, visits, a, target, t, S, norm2, average, acc, last):
    """Update ``t`` (0-based: it makes θ_{t+1} from θ_t) on entry ``a`` (:func:`q_step`) with
    the step of :data:`StepParams` ``S``, then the projection onto ``‖q‖₂ ≤ S.radius`` if set.
    With ``average``, ``acc[b] + q[b]·(t − last[b])`` is ``Σ_{s<t} θ_s[b]`` (the lazy prefix sum
    of docs/theory.md §6's average). Returns ``(norm2, projected)``."""
    visits[a] += 1
    step = _step_size(visits[a], t, S.mode, S.step_exponent, S.alpha)
    if average:
        acc[a] += q[a] * (t + 1 - last[a])
        last[a] = t + 1
    new = _q_step(q[a], target, step)
    radius = S.radius
    if radius > 0.0:
        norm2 += new * new - q[a] * q[a]
    q[a] = new
    projected = False
    if radius > 0.0 and norm2 > radius * radius:
        scale = radius / np.sqrt(norm2)
        for b in range(q.shape[0]):
            if average:
                acc[b] += q[b] * (t + 1 - last[b])
                last[b] = t + 1
            q[b] *= scale
        norm2 = radius * radius
        projected = True
    return norm2, projected


@njit(cache=True)
def sample_behaviour(n, rs, y, state_obs, obs_ptr, beh_cdf, pair_ptr, out_ptr, out_pack,
                     init_cdf, pair, rew, disc, nobs):
    """Draw ``n`` handoffs of the behaviour chain from latent state ``y`` — the draws of
    :func:`_choose` and :func:`_outcome` with π_b — into ``pair`` (the observation pair
    ``(ô, j)``), ``rew`` (R), ``disc`` (γ^τ, 0 at an episode end) and ``nobs`` (ô', −1 at an
    episode end).
    Returns ``(y, episodes)``."""
    episodes = 0
    for i in range(n):
        a, lo = _choose(rs, disc, y, state_obs, obs_ptr, beh_cdf, False, 0.0)  # q unread
        x, y, ended = _draw(rs, pair_ptr[y] + (a - lo), out_ptr, out_pack, init_cdf)
        pair[i] = a
        rew[i] = out_pack[x, 2]
        if ended:
            disc[i] = 0.0
            nobs[i] = -1
            episodes += 1
        else:
            disc[i] = out_pack[x, 1]
            nobs[i] = state_obs[y]
    return y, episodes


# ---------------------------------------------------------------------------------------
# The compiled loops (here, beside the step they inline: numba caches a compiled function by
# its own file, so a loop in another file would keep a stale copy of an edited step)
# ---------------------------------------------------------------------------------------

#: a learner's table state: the table ``q``, the visit counts and the lazy prefix sums of the
#: averaged iterate (``acc``, ``last``; see :func:`_update`)
TableState = namedtuple("TableState", "q visits acc last")
#: what a tracked run measures (:mod:`icq.reference.learners.montecarlo`): per observation pair
#: the interval ``[lo, hi]`` and the ‖·‖_μ weights ``W, S1, S2``, the norm (``sup``) and the
#: targets ``eps``
ErrorArrays = namedtuple("ErrorArrays", "lo hi W S1 S2 sup eps")


@njit(cache=True)
def table_norm2(q):
    """``‖q‖₂²`` summed entry by entry in index order: where the projection's running norm
    starts (:func:`run_handoffs`' ``norm2``), in every learner alike, so that ``train`` and the
    tracked runs project by the same factors (a BLAS ``q @ q`` may round otherwise)."""
    s = 0.0
    for p in range(q.shape[0]):
        s += q[p] * q[p]
    return s


@njit(cache=True)
def run_handoffs(n, rs, y, t0, norm2, average, H, S, L):
    """Advance IC-Q by ``n`` updates (global update clock ``t0`` on entry) from latent state
    ``y``: :data:`HandoffArrays` ``H``, :data:`StepParams` ``S``, :data:`TableState` ``L``.

    With ``S.radius > 0`` the table is projected onto ``‖q‖₂ ≤ radius`` (``norm2`` carries
    ``‖q‖₂²``); with ``average``, ``L.acc``/``L.last`` accumulate Σ_t θ_t lazily.
    One handoff is :func:`_choose`, :func:`_outcome` and :func:`_update`
    (shared with the tracked runs of :mod:`icq.reference.learners.montecarlo`; a wrapper around
    the three measured 1.4× slower). Returns (y, episodes, norm2).
    """
    episodes = 0
    q = L.q
    for step_i in range(n):
        a, lo = _choose(rs, q, y, H.state_obs, H.obs_ptr, H.beh_cdf, S.greedy, S.epsilon)
        target, y, ended = _outcome(rs, q, H.pair_ptr[y] + (a - lo), H.state_obs, H.obs_ptr,
                                    H.out_ptr, H.out_pack, H.init_cdf)
        episodes += ended
        norm2, _ = _update(q, L.visits, a, target, t0 + step_i, S, norm2, average, L.acc,
                           L.last)
    return y, episodes, norm2


@njit(cache=True)
def burn_in_handoffs(n, rs, y, H, S, q):
    """The burn-in: ``n`` handoffs of the behaviour chain from latent state ``y`` with the
    draws of :func:`run_handoffs` (successor, outcome, restart: the same random stream) and no
    update. Returns the latent state reached."""
    for _ in range(n):
        a, lo = _choose(rs, q, y, H.state_obs, H.obs_ptr, H.beh_cdf, S.greedy, S.epsilon)
        _, y, _ = _draw(rs, H.pair_ptr[y] + (a - lo), H.out_ptr, H.out_pack, H.init_cdf)
    return y


@njit(cache=True, inline="always")
def _entry_err(v, lo, hi):
    """``e_p = max(v − lo, hi − v)``; ``+inf`` for a non-finite ``v`` (above every target)."""
    if not np.isfinite(v):
        return np.inf
    return max(v - lo, hi - v)


@njit(cache=True)
def _recount(q, E, above):
    """Counts of entries with ``e_p > ε`` (sup) for each target; returns the μ sum over the
    finite entries and the number of non-finite entries."""
    s = 0.0
    nonfinite = 0
    for i in range(E.eps.shape[0]):
        above[i] = 0
    for p in range(q.shape[0]):
        if not np.isfinite(q[p]):
            nonfinite += 1
        if E.sup:
            e = _entry_err(q[p], E.lo[p], E.hi[p])
            for i in range(E.eps.shape[0]):
                if e > E.eps[i]:
                    above[i] += 1
        elif np.isfinite(q[p]):
            s += E.W[p] * q[p] * q[p] - 2.0 * E.S1[p] * q[p] + E.S2[p]
    return s, nonfinite


@njit(cache=True, inline="always")
def _is_bad(sup, above, s, nonfinite, eps, i):
    return above[i] > 0 if sup else (nonfinite > 0 or s > eps[i] * eps[i])


@njit(cache=True)
def _current(q, E, s, nonfinite):
    """The error now: a pass over the table for sup (only at grid points), the sum for μ;
    ``+inf`` with a non-finite entry."""
    if not E.sup:
        return np.inf if nonfinite > 0 else np.sqrt(max(s, 0.0))
    e = 0.0
    for p in range(q.shape[0]):
        e = max(e, _entry_err(q[p], E.lo[p], E.hi[p]))
    return e


@njit(cache=True)
def run_tracked(horizon, burn_in, rs, y, q, visits, H, S, E, grid, grid_err, last_bad):
    """``burn_in`` handoffs without update (:func:`burn_in_handoffs`), then ``horizon`` updates of
    :func:`run_handoffs` with the error (:data:`ErrorArrays` ``E``) tracked in O(1) per update;
    ``last_bad[i]`` receives the last update count ``t`` with ``e_t > eps[i]`` (−1 if none),
    ``grid_err[g]`` the error after ``grid[g]`` updates. A non-finite entry is above every
    target."""
    eps = E.eps
    n_eps = eps.shape[0]
    sup = E.sup
    lo = E.lo
    hi = E.hi
    above = np.zeros(n_eps, dtype=np.int64)
    y = burn_in_handoffs(burn_in, rs, y, H, S, q)
    s, nonfinite = _recount(q, E, above)
    for i in range(n_eps):
        last_bad[i] = 0 if _is_bad(sup, above, s, nonfinite, eps, i) else -1
    g = 0
    while g < grid.shape[0] and grid[g] == 0:
        grid_err[g] = _current(q, E, s, nonfinite)
        g += 1
    acc = np.zeros(1)
    last = np.zeros(1)
    norm2 = table_norm2(q) if S.radius > 0.0 else 0.0
    episodes = 0
    for t in range(horizon):
        a, first = _choose(rs, q, y, H.state_obs, H.obs_ptr, H.beh_cdf, S.greedy, S.epsilon)
        target, y, ended = _outcome(rs, q, H.pair_ptr[y] + (a - first), H.state_obs,
                                    H.obs_ptr, H.out_ptr, H.out_pack, H.init_cdf)
        episodes += ended
        old = q[a]
        norm2, projected = _update(q, visits, a, target, t, S, norm2, False, acc, last)
        new = q[a]
        if projected:
            s, nonfinite = _recount(q, E, above)
        elif sup:
            e_old = _entry_err(old, lo[a], hi[a])
            e_new = _entry_err(new, lo[a], hi[a])
            for i in range(n_eps):
                above[i] += int(e_new > eps[i]) - int(e_old > eps[i])
        elif np.isfinite(old) and np.isfinite(new):
            s += E.W[a] * (new * new - old * old) - 2.0 * E.S1[a] * (new - old)
        else:
            s, nonfinite = _recount(q, E, above)
        for i in range(n_eps):
            if _is_bad(sup, above, s, nonfinite, eps, i):
                last_bad[i] = t + 1
        while g < grid.shape[0] and grid[g] == t + 1:
            grid_err[g] = _current(q, E, s, nonfinite)
            g += 1
    return y, episodes


@njit(cache=True, parallel=True)
def run_tracked_many(horizon, burn_in, rss, ys, Q, V, H, S, E, grid, grid_err, last_bad,  # noqa: N803
              episodes):
    """:func:`run_tracked` for many seeds at once, one numba thread per seed (row i of every
    per-seed array belongs to seed i; the seeds share nothing, so the result does not depend
    on the threads)."""
    for i in prange(rss.shape[0]):
        _, ep = run_tracked(horizon, burn_in, rss[i], ys[i], Q[i], V[i], H, S, E, grid,
                             grid_err[i], last_bad[i])
        episodes[i] = ep


@njit(cache=True)
def run_checked(burn_in, rs, y, H, S, L, E, ev_time, ev_grid, ev_slot, ev_start, buf,
                 grid_err):
    """The averaged iterate's error on a check grid (docs/theory.md §8): ``burn_in`` handoffs
    without update, then updates with the lazy prefix sums ``Σ_{s<t} θ_s`` of :func:`_update`,
    stopping at each event time ``ev_time[k]`` (sorted): a tail start (``ev_grid[k] < 0``)
    stores the prefix sum in ``buf[ev_slot[k]]``; a check (``ev_grid[k] = g``) forms
    ``θ̄ = (Σ_{s<t} θ_s − Σ_{s<t₀} θ_s)/(t − t₀)``, ``t₀ = ev_start[k]`` (its prefix sum in
    ``buf[ev_slot[k]]``, or 0 when ``ev_slot[k] < 0``), and writes its error exactly (a full
    pass; ``+inf`` with a non-finite entry) to ``grid_err[g]``. Returns (y, episodes)."""
    q = L.q
    P = q.shape[0]  # noqa: N806
    y = burn_in_handoffs(burn_in, rs, y, H, S, q)
    norm2 = table_norm2(q) if S.radius > 0.0 else 0.0
    t = 0
    episodes = 0
    tmp = np.empty(P)
    for k in range(ev_time.shape[0]):
        n = ev_time[k] - t
        if n > 0:
            y, ep, norm2 = run_handoffs(n, rs, y, t, norm2, True, H, S, L)
            episodes += ep
            t = ev_time[k]
        for p in range(P):
            tmp[p] = L.acc[p] + q[p] * (t - L.last[p])
        g = ev_grid[k]
        slot = ev_slot[k]
        if g < 0:
            for p in range(P):
                buf[slot, p] = tmp[p]
            continue
        span = t - ev_start[k]
        e = 0.0
        s = 0.0
        bad = False
        for p in range(P):
            v = (tmp[p] - buf[slot, p]) / span if slot >= 0 else tmp[p] / span
            if not np.isfinite(v):
                bad = True
            elif E.sup:
                e = max(e, v - E.lo[p], E.hi[p] - v)
            else:
                s += E.W[p] * v * v - 2.0 * E.S1[p] * v + E.S2[p]
        grid_err[g] = np.inf if bad else (e if E.sup else np.sqrt(max(s, 0.0)))
    return y, episodes


@njit(cache=True, parallel=True)
def run_checked_many(burn_in, rss, ys, Q, V, ACC, LAST, H, S, E, ev_time, ev_grid,  # noqa: N803
                      ev_slot, ev_start, BUF, grid_err, episodes):
    """:func:`run_checked` for many seeds at once, one numba thread per seed (row i of every
    per-seed array belongs to seed i)."""
    for i in prange(rss.shape[0]):
        _, ep = run_checked(burn_in, rss[i], ys[i], H, S, TableState(Q[i], V[i], ACC[i],
                             LAST[i]), E, ev_time, ev_grid, ev_slot, ev_start, BUF[i],
                             grid_err[i])
        episodes[i] = ep
