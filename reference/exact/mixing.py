"""Mixing of the behaviour chain: d(t), τ_mix(ε) and the sound bounds on them
(docs/theory.md §4, §9, A2). This module is the one implementation of mixing in the project.

``d(t) = max_y ½‖P_b^t(y,·) − μ‖₁`` is non-increasing in t, and so is each row's own distance
(μ is stationary and P_b contracts total variation). ``τ_mix(ε) = min{t : d(t) ≤ ε}``,
``t_mix = τ_mix(1/4)``. :func:`mixing_profile` returns an upper profile ``d̃(t) ≥ d(t)`` computed
by one of two methods, named in its ``method``:

- ``exact`` (chains up to :data:`EXACT_MIXING_MAX` states): the rows ``P_b^t(y,·)`` for all
  starting states by compiled sparse steps (numba, rows in parallel), a block of starting
  states at a time (``O(n·(nnz + n))`` time per step, ``O(block·n)`` memory), each block stopped
  as soon as its largest distance is ≤ the requested ε. The profile is *exact* wherever it
  exceeds ε (a stopped block's rows are ≤ ε from then on), so ``τ_mix(ε')`` is exact for every
  ``ε' ≥ ε`` covered by the profile.
- ``restart`` (larger chains, docs/theory.md §9, ``Mixing.v`` ``restart_decomposition``):
  ``d(t) ≤ max_y B_t(y)`` with ``B_t(y) = P_y(T > t) + Σ_{s≤t} P_y(T = s) d_ν₀(t − s)``, T the
  first END-outcome restart, computed by the recursion ``B_t = A B_{t−1} + e·d_ν₀(t − 1)``,
  ``B_0 = 1`` (``O(nnz)`` per step, :func:`restart_bound`); the profile is the running minimum
  (d is non-increasing), an upper bound everywhere, and τ read from it is an upper bound.
  It needs END reachable from every state. When it is not, the exact computation is used up to
  :data:`EXACT_FALLBACK_MAX` states; beyond that no number is reported and ``reason`` says why.

Beyond the profile, the envelope ``d(t) ≤ d̄(t₀)^⌊t/t₀⌋`` (Mixing.v ``mixing_envelope``) is used,
with ``d̄(t₀) ≤ 2 d̃(t₀)`` (triangle inequality through μ) at the computed ``t₀`` minimising
``t₀ / ln(1/d̄(t₀))``; the result is then an upper bound on τ_mix and says so.

Reducible or periodic chains (not uniformly ergodic, A2 fails) get no number, only the reason.

>>> from icq.reference.model import load, example_path
>>> p = mixing_profile(load(example_path("ring-exact")))
>>> p.tau(0.25).tau, p.tau(0.25).exact
(4, True)
>>> r = mixing_profile(load(example_path("ring-exact")), method="restart")
>>> r.tau(0.25).tau >= 4, r.tau(0.25).exact
(True, False)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit, prange

from icq.reference.exact.chain import (
    BehaviourChain,
    Stationary,
    behaviour_chain,
    end_reachable,
    stationary,
)
from icq.reference.model import EpochModel

__all__ = ["Envelope", "MixingProfile", "TauMix", "METHODS", "mixing_profile", "mixing_time",
           "restart_bound", "row_distances", "start_distances"]

#: floats per block of simultaneous starting states (2e6 floats = 16 MB, twice)
BLOCK_FLOATS = 2_000_000
#: the smallest ε computed exactly; smaller ones use the envelope (floating-point floor)
EXACT_EPS_FLOOR = 1e-12
#: ``method="auto"`` computes d(t) exactly (all rows) up to this many states
EXACT_MIXING_MAX = 4_000
#: when END is not reachable from every state, the exact computation is still run up to here
EXACT_FALLBACK_MAX = 20_000
#: the methods :func:`mixing_profile` accepts
METHODS = ("auto", "exact", "restart")

EXACT_METHOD = "exact: d(t) = max_y ½‖P_b^t(y,·) − μ‖₁ by compiled sparse steps of every row"
RESTART_METHOD = ("restart decomposition: d(t) ≤ max_y [P_y(T > t) + Σ_{s≤t} P_y(T = s) "
                  "d_ν₀(t − s)], T the first END restart (docs/theory.md §9)")


@dataclass(frozen=True)
class Envelope:
    """``d(t) ≤ d̄(t₀)^⌊t/t₀⌋`` (docs/theory.md §4)."""

    t0: int
    dbar: float

    def tau(self, epsilon: float) -> int | None:
        """Least t with ``d̄^⌊t/t₀⌋ ≤ ε`` (an upper bound on τ_mix(ε))."""
        if epsilon >= 1:
            return 0
        if self.dbar <= 0:
            return self.t0
        if self.dbar >= 1:
            return None
        return self.t0 * max(1, math.ceil(math.log(epsilon) / math.log(self.dbar)))


@dataclass(frozen=True)
class TauMix:
    """``τ_mix(ε)``: ``tau`` is exact when ``exact``, else a sound upper bound; None when the
    chain is not uniformly ergodic or no sound bound was computed (``reason``)."""

    epsilon: float
    tau: int | None
    exact: bool
    method: str
    reason: str = ""


@dataclass(frozen=True, eq=False)
class MixingProfile:
    """An upper profile ``d̃(t) ≥ d(t)``, ``t = 1..len(d)``; exact where ``d̃(t) > eps`` when
    ``exact``.

    Attributes
    ----------
    ergodic, reason : the verdict on uniform ergodicity (A2), or why no profile was computed
    d : (t_n,) the profile (empty when not ergodic or not computable)
    eps : the ε the computation ran down to
    envelope : ``d(t) ≤ d̄(t₀)^⌊t/t₀⌋`` from the profile, or None
    method : how it was computed (``exact: …``, ``restart decomposition: …`` or ``none``)
    exact : whether ``d`` is the exact d(t) above ``eps`` (else only an upper bound)
    """

    ergodic: bool
    reason: str
    d: np.ndarray
    eps: float
    envelope: Envelope | None
    method: str
    exact: bool = True

    def tau(self, epsilon: float) -> TauMix:
        """``τ_mix(ε)``: from the profile when ``ε ≥ eps`` (exact for the exact method), else
        the envelope's bound."""
        if not self.ergodic:
            return TauMix(epsilon, None, False, "not uniformly ergodic", self.reason)
        if epsilon >= 1.0:
            return TauMix(epsilon, 0, True, "d(0) ≤ 1 ≤ ε")
        if len(self.d) == 0:
            return TauMix(epsilon, None, False, self.method, self.reason)
        hit = np.flatnonzero(self.d <= epsilon)
        if len(hit) and epsilon >= self.eps:
            return TauMix(epsilon, int(hit[0] + 1), self.exact, self.method)
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




def restart_bound(ch: BehaviourChain, mu: np.ndarray, eps: float, t_limit: int,
                  *, survival: bool = True) -> np.ndarray:
    """``max_y B_t(y) ≥ d(t)`` for ``t = 1..`` until it is ≤ ``eps`` (docs/theory.md §9).

    Lemma ``restart_decomposition`` (``proofs/Mixing.v``): with T the first time the END-outcome
    term ``e ν₀ᵀ`` of ``P_b = A + e ν₀ᵀ`` is taken from y,
    ``½‖P_b^t(y,·) − μ‖₁ ≤ P_y(T > t) + Σ_{s≤t} P_y(T = s) d_ν₀(t − s)``, where
    ``P_y(T > t) = (Aᵗ1)(y)``, ``P_y(T = s) = (A^{s−1}e)(y)`` and
    ``d_ν₀(u) = ½‖ν₀P_b^u − μ‖₁``. The right side ``B_t`` obeys ``B_0 = 1``,
    ``B_t = A B_{t−1} + e·d_ν₀(t − 1)``: one sparse product for B and one compiled step of the
    single row ``ν₀P_b^u`` per t, ``O(nnz + n)``.
    The path identity, the recursion and the bound end to end are ``restart_path_identity``,
    ``restart_recursion`` and ``restart_bound_sound`` (``proofs/Restart.v``).

    Parameters
    ----------
    ch : the behaviour chain; mu : its stationary law
    eps : stop once the bound is ≤ eps; t_limit : the most steps
    survival : keep the ``P_y(T > t)`` term (``False`` only for the negative control of the
        property tests: the result is then *not* a bound)

    Returns
    -------
    (t_n,) ``max_y B_t(y)`` for ``t = 1..t_n`` (not yet made monotone).
    """
    n = ch.n
    A = ch.A.tocsr()
    A.sort_indices()
    e = np.ascontiguousarray(ch.e, dtype=float)
    mu = np.ascontiguousarray(mu, dtype=float)
    supp = np.flatnonzero(ch.nu0 > 0)
    X = np.ascontiguousarray(ch.nu0, dtype=float)[None, :].copy()
    Y = np.empty_like(X)
    dist = np.empty(1)
    g = 0.5 * float(np.abs(X[0] - mu).sum())  # d_ν₀(0)
    B = np.ones(n) if survival else np.zeros(n)
    out = []
    for _ in range(t_limit):
        B = A @ B + e * g
        b = float(B.max())
        out.append(b)
        if b <= eps:
            break
        _step_rows(X, Y, A.indptr, A.indices, A.data, e, supp, ch.nu0[supp], mu, dist)
        X, Y = Y, X
        g = float(dist[0])
    return np.array(out)


def start_distances(model: EpochModel, mu: np.ndarray, *, tol: float = 1e-12,
                    stall: int = 50, t_limit: int = 100_000) -> np.ndarray:
    """``d_ν₀(t) = ½‖ν₀P_b^t − μ‖₁`` for ``t = 0, 1, …`` (docs/theory.md §6, the start-law
    correction of Theorem 1; the same sequence enters §9's restart bound).

    Non-increasing in t (μ is stationary and P_b contracts total variation), so the last entry
    bounds every later t and the sequence may stop anywhere: it stops once it is ≤ ``tol``, once
    it has not decreased for ``stall`` steps (rounding: the computed distance levels off near
    machine precision, or a periodic chain does not converge), or after ``t_limit`` steps.
    One compiled vector step per t (``O(nnz + n)``).
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
    since = 0  # steps since the last decrease
    while out[-1] > tol and since < stall and len(out) <= t_limit:
        _step_rows(X, Y, A.indptr, A.indices, A.data, e, supp, ch.nu0[supp], mu, dist)
        X, Y = Y, X
        d = float(dist[0])
        since = since + 1 if d >= out[-1] else 0
        out.append(min(out[-1], d))
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
                   st: Stationary | None = None, t_limit: int = 100_000,
                   method: str = "auto") -> MixingProfile:
    """The profile of d(t) down to ``eps`` (docs/theory.md §4, §9; see the module docstring).

    Parameters
    ----------
    model : the epoch model
    eps : run until ``d(t) ≤ eps`` (floored at 1e-12)
    behavior : (n_obs_pairs,) behaviour policy (default: the file's π_b)
    st : the stationary law if already computed
    t_limit : the most steps computed
    method : ``"exact"``, ``"restart"`` or ``"auto"`` (exact up to
        :data:`EXACT_MIXING_MAX` states, else the restart bound when END is reachable from
        every state, else exact up to :data:`EXACT_FALLBACK_MAX`, else none)
    """
    if method not in METHODS:
        raise ValueError(f"method: {method!r} is not one of {', '.join(METHODS)}")
    st = stationary(model, behavior) if st is None else st
    if not st.ergodic:
        return MixingProfile(False, st.reason, np.zeros(0), eps, None, "not uniformly ergodic",
                             exact=False)
    ch = behaviour_chain(model, behavior)
    n = ch.n
    target = max(float(eps), EXACT_EPS_FLOOR)
    ends = None if method == "exact" or n <= EXACT_MIXING_MAX else end_reachable(ch.A, ch.e)
    if method == "auto":
        if n <= EXACT_MIXING_MAX:
            method = "exact"
        elif ends:
            method = "restart"
        elif n <= EXACT_FALLBACK_MAX:
            method = "exact"
        else:
            why = (f"END is not reachable from every state, so the restart bound of "
                   f"docs/theory.md §9 does not apply, and the exact all-rows computation "
                   f"(n² work) is limited to {EXACT_FALLBACK_MAX} states; this chain has {n}")
            return MixingProfile(True, why, np.zeros(0), target, None, "none", exact=False)
    if method == "restart":
        if not (end_reachable(ch.A, ch.e) if ends is None else ends):
            why = ("END is not reachable from every state: P_y(T > t) does not go to 0, "
                   "so the restart bound of docs/theory.md §9 does not apply")
            return MixingProfile(True, why, np.zeros(0), target, None, "none", exact=False)
        d = np.minimum.accumulate(restart_bound(ch, st.mu, target, t_limit))
        return MixingProfile(True, st.reason, d, target, _envelope(d), RESTART_METHOD,
                             exact=False)
    block = max(1, min(n, BLOCK_FLOATS // n))
    per_block = []
    for start in range(0, n, block):
        starts = np.arange(start, min(n, start + block))
        per_block.append(row_distances(ch, st.mu, starts, target, t_limit))
    t_n = max(len(b) for b in per_block)
    # a stopped block stays at or below its last value (row distances are non-increasing)
    d = np.max([np.concatenate([b, np.full(t_n - len(b), b[-1])]) for b in per_block], axis=0)
    return MixingProfile(True, st.reason, d, target, _envelope(d), EXACT_METHOD, exact=True)


def mixing_time(model: EpochModel, epsilon: float = 0.25, *, behavior: np.ndarray | None = None,
                t_limit: int = 100_000, method: str = "auto") -> TauMix:
    """``τ_mix(ε)`` of the behaviour chain: ``mixing_profile(model, ε).tau(ε)``.

    Exact for chains up to :data:`EXACT_MIXING_MAX` states; beyond, a sound upper bound from the
    restart decomposition (Lemma ``restart_decomposition``, ``proofs/Mixing.v``), and for ε
    below the profile the envelope ``d(t) ≤ d̄(t₀)^⌊t/t₀⌋`` (Lemma ``mixing_envelope``,
    ``proofs/Mixing.v``). None, with the reason, when A2 fails or no bound is computable.
    """
    return mixing_profile(model, epsilon, behavior=behavior, t_limit=t_limit,
                          method=method).tau(epsilon)
