"""Mixing of the behaviour chain: d(t), τ_mix(ε) and the sound envelope (docs/theory.md §4, A2).

``d(t) = max_y ½‖P_b^t(y,·) − μ‖₁`` is non-increasing in t, and so is each row's own distance
(μ is stationary and P_b contracts total variation). ``τ_mix(ε) = min{t : d(t) ≤ ε}``,
``t_mix = τ_mix(1/4)``.

:func:`mixing_profile` computes the rows ``P_b^t(y,·)`` for all starting states by compiled
sparse steps (numba, rows in parallel), a block of starting states at a time (``O(n·(nnz + n))``
time per step, ``O(block·n)`` memory: this is what makes the 10,000-state audit feasible), and
stops a block as soon as its largest distance
is ≤ the requested ε. The profile it returns is an upper bound ``d̃(t) ≥ d(t)`` that is *exact*
wherever it exceeds ε (a stopped block's rows are ≤ ε from then on), so ``τ_mix(ε')`` is exact
for every ``ε' ≥ ε`` covered by the profile.

Beyond the profile, the envelope ``d(t) ≤ d̄(t₀)^⌊t/t₀⌋`` (Mixing.v ``mixing_envelope``) is used,
with ``d̄(t₀) ≤ 2 d(t₀)`` (triangle inequality through μ) at the computed ``t₀`` minimising
``t₀ / ln(1/d̄(t₀))``; the result is then an upper bound on τ_mix and says so.

Reducible or periodic chains (not uniformly ergodic, A2 fails) get no number, only the reason.

>>> from icq.reference.model import load, example_path
>>> p = mixing_profile(load(example_path("ring-exact")))
>>> p.tau(0.25).tau, p.tau(0.25).exact
(4, True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from icq.reference.chain import BehaviourChain, Envelope, Stationary, behaviour_chain, stationary
from icq.reference.model import EpochModel
from numba import njit, prange

__all__ = ["MixingProfile", "TauMix", "mixing_profile", "row_distances", "start_distances"]

#: floats per block of simultaneous starting states (2e6 floats = 16 MB, twice)
BLOCK_FLOATS = 2_000_000
#: the smallest ε computed exactly; smaller ones use the envelope (floating-point floor)
EXACT_EPS_FLOOR = 1e-12


@dataclass(frozen=True)
class TauMix:
    """``τ_mix(ε)``: ``tau`` is exact when ``exact``, else a sound upper bound; None when the
    chain is not uniformly ergodic (``reason``)."""

    epsilon: float
    tau: int | None
    exact: bool
    method: str
    reason: str = ""


@dataclass(frozen=True, eq=False)
class MixingProfile:
    """An upper profile ``d̃(t) ≥ d(t)``, ``t = 1..len(d)``, exact where ``d̃(t) > eps``.

    Attributes
    ----------
    ergodic, reason : the verdict on uniform ergodicity (A2)
    d : (t_n,) the profile (empty when not ergodic)
    eps : the ε the computation ran down to
    envelope : ``d(t) ≤ d̄(t₀)^⌊t/t₀⌋`` from the profile, or None
    method : how it was computed
    """

    ergodic: bool
    reason: str
    d: np.ndarray
    eps: float
    envelope: Envelope | None
    method: str

    def tau(self, epsilon: float) -> TauMix:
        """``τ_mix(ε)``: exact from the profile when ``ε ≥ eps``, else the envelope's bound."""
        if not self.ergodic:
            return TauMix(epsilon, None, False, "not uniformly ergodic", self.reason)
        if epsilon >= 1.0:
            return TauMix(epsilon, 0, True, "d(0) ≤ 1 ≤ ε")
        hit = np.flatnonzero(self.d <= epsilon)
        if len(hit) and epsilon >= self.eps:
            return TauMix(epsilon, int(hit[0] + 1), True, self.method)
        if self.envelope is None:
            return TauMix(epsilon, None, False, "no envelope: d(t) did not drop below 1/2",
                          "profile too short")
        env = self.envelope
        bound = env.tau(epsilon)
        if len(hit):  # the profile may already certify a smaller time
            bound = min(bound, int(hit[0] + 1)) if bound is not None else int(hit[0] + 1)
        return TauMix(epsilon, bound, False,
                      f"upper bound from the envelope d(t) ≤ d̄(t₀)^⌊t/t₀⌋, t₀ = {env.t0}, "
                      f"d̄(t₀) ≤ {env.dbar:.6g} (docs/theory.md §4)")


@njit(parallel=True, cache=True)
def _step_rows(X, Y, indptr, indices, data, e, nu_idx, nu_val, mu, dist):  # pragma: no cover
    """``Y[b] = X[b] P_b`` for each row b (in parallel) and ``dist[b] = ½‖Y[b] − μ‖₁``.

    ``P_b = A + e ν₀ᵀ`` with A in CSR (``indptr, indices, data``) and ν₀ given by its support.
    Each row is computed by one thread in a fixed order, so results are deterministic.
    """
    m, n = X.shape
    for b in prange(m):
        for i in range(n):
            Y[b, i] = 0.0
        restart = 0.0
        for i in range(n):
            xi = X[b, i]
            if xi != 0.0:
                restart += xi * e[i]
                for kk in range(indptr[i], indptr[i + 1]):
                    Y[b, indices[kk]] += xi * data[kk]
        for k in range(len(nu_idx)):
            Y[b, nu_idx[k]] += restart * nu_val[k]
        s = 0.0
        for i in range(n):
            s += abs(Y[b, i] - mu[i])
        dist[b] = 0.5 * s


def row_distances(ch: BehaviourChain, mu: np.ndarray, starts: np.ndarray, eps: float,
                  t_limit: int) -> np.ndarray:
    """``max_{y ∈ starts} ½‖P_b^t(y,·) − μ‖₁`` for ``t = 1..`` until it is ≤ ``eps``.

    The rows ``P_b^t(y,·)`` are advanced by a compiled sparse step (``O(nnz + n)`` per row).
    """
    n = ch.n
    A = ch.A.tocsr()
    A.sort_indices()
    supp = np.flatnonzero(ch.nu0 > 0)
    X = np.zeros((len(starts), n))
    X[np.arange(len(starts)), starts] = 1.0
    Y = np.empty_like(X)
    dist = np.empty(len(starts))
    mu = np.ascontiguousarray(mu, dtype=float)
    e = np.ascontiguousarray(ch.e, dtype=float)
    out = []
    for _ in range(t_limit):
        _step_rows(X, Y, A.indptr, A.indices, A.data, e, supp, ch.nu0[supp], mu, dist)
        X, Y = Y, X
        d = float(dist.max())
        out.append(d)
        if d <= eps:
            break
    return np.array(out)


def _envelope(d: np.ndarray) -> Envelope | None:
    """The envelope with ``d̄(t) ≤ min(1, 2 d̃(t))`` at the t minimising ``t / ln(1/d̄(t))``."""
    best: tuple[float, int, float] | None = None
    for t, dt in enumerate(d, start=1):
        u = min(1.0, 2.0 * float(dt))
        if u >= 1.0:
            continue
        score = 0.0 if u == 0.0 else t / math.log(1.0 / u)
        if best is None or score < best[0]:
            best = (score, t, u)
    return None if best is None else Envelope(t0=best[1], dbar=best[2])


def mixing_profile(model: EpochModel, eps: float = 0.25, *, behavior: np.ndarray | None = None,
                   st: Stationary | None = None, t_limit: int = 100_000) -> MixingProfile:
    """The profile of d(t) down to ``eps`` (docs/theory.md §4; see the module docstring).

    Parameters
    ----------
    model : the epoch model
    eps : run until ``d(t) ≤ eps`` (floored at 1e-12)
    behavior : (n_obs_pairs,) behaviour policy (default: the file's π_b)
    st : the stationary law if already computed
    t_limit : the most steps computed
    """
    st = stationary(model, behavior) if st is None else st
    if not st.ergodic:
        return MixingProfile(False, st.reason, np.zeros(0), eps, None, "not uniformly ergodic")
    ch = behaviour_chain(model, behavior)
    n = ch.n
    target = max(float(eps), EXACT_EPS_FLOOR)
    block = max(1, min(n, BLOCK_FLOATS // n))
    per_block = []
    for start in range(0, n, block):
        starts = np.arange(start, min(n, start + block))
        per_block.append(row_distances(ch, st.mu, starts, target, t_limit))
    t_n = max(len(b) for b in per_block)
    # a stopped block stays at or below its last value (row distances are non-increasing)
    d = np.max([np.concatenate([b, np.full(t_n - len(b), b[-1])]) for b in per_block], axis=0)
    how = "exact: d(t) = max_y ½‖P_b^t(y,·) − μ‖₁ by compiled sparse steps of every row"
    return MixingProfile(True, st.reason, d, target, _envelope(d), how)


def start_distances(model: EpochModel, mu: np.ndarray, *, tol: float = 1e-15,
                    t_limit: int = 100_000) -> np.ndarray:
    """``d_ν₀(t) = ½‖ν₀P_b^t − μ‖₁`` for ``t = 0, 1, …`` until it is ≤ ``tol`` (docs/theory.md
    §6, the start-law correction of Theorem 1).

    Non-increasing in t (μ is stationary and P_b contracts total variation), so the last entry
    bounds every later t. One compiled vector step per t (``O(nnz + n)``).
    """
    ch = behaviour_chain(model)
    A = ch.A.tocsr()
    A.sort_indices()
    supp = np.flatnonzero(ch.nu0 > 0)
    mu = np.ascontiguousarray(mu, dtype=float)
    X = np.ascontiguousarray(ch.nu0, dtype=float).reshape(1, -1).copy()
    Y = np.empty_like(X)
    dist = np.empty(1)
    out = [0.5 * float(np.abs(X[0] - mu).sum())]
    e = np.ascontiguousarray(ch.e, dtype=float)
    while out[-1] > tol and len(out) <= t_limit:
        _step_rows(X, Y, A.indptr, A.indices, A.data, e, supp, ch.nu0[supp], mu, dist)
        X, Y = Y, X
        out.append(min(out[-1], float(dist[0])))
    return np.array(out)
