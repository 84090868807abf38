"""The behaviour chain on latent epoch states, its stationary law and mixing (docs/theory.md §4).

``P_b(y'|y) = Σ_j π_b(j|σ(y)) [P(Y'=y'|y,j) + P(end|y,j) ν₀(y')]``: episodes restart from
``ν₀``. It is stored as a sparse part plus a rank-one restart term,
``P_b = A + e ν₀ᵀ`` with ``e(y) = Σ_j π_b(j|σ(y)) P(end|y,j)``.

Uniform ergodicity (A2) holds for a finite chain iff it has exactly one closed class and that
class is aperiodic (transient states are allowed and get μ = 0). A chain with several closed
classes is reported as *reducible*, an aperiodicity failure as *periodic*; neither gets a number.

>>> from icq.reference.model import load, example_path
>>> m = load(example_path("ring-exact"))
>>> st = stationary(m)
>>> bool(abs(st.mu.sum() - 1) < 1e-12), st.ergodic
(True, True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import reduce

import numpy as np
import scipy.sparse as sp
import scipy.sparse.csgraph as csgraph
import scipy.sparse.linalg as spla

from .model import EpochModel

__all__ = ["BehaviourChain", "Stationary", "Mixing", "behaviour_chain", "stationary",
           "mixing_time", "tv_distances"]

#: chains up to this size get exact d(t) by dense powers
EXACT_MIXING_MAX = 4_000


@dataclass(frozen=True, eq=False)
class BehaviourChain:
    """``P_b = A + e ν₀ᵀ`` (A sparse n×n, e and ν₀ length n)."""

    A: sp.csr_matrix
    e: np.ndarray
    nu0: np.ndarray

    @property
    def n(self) -> int:
        return self.A.shape[0]

    def step(self, X: np.ndarray) -> np.ndarray:
        """Rows of ``X P_b`` for X of shape (m, n) (distributions as rows)."""
        return np.asarray(self.A.T @ X.T).T + np.outer(X @ self.e, self.nu0)

    def dense(self) -> np.ndarray:
        return self.A.toarray() + np.outer(self.e, self.nu0)

    def graph(self) -> sp.csr_matrix:
        """Adjacency of the support graph with a restart node ``n`` (edges y→n→supp ν₀)."""
        n = self.n
        A = self.A.tocoo()
        ends = np.flatnonzero(self.e > 0)
        starts = np.flatnonzero(self.nu0 > 0)
        rows = np.concatenate([A.row[A.data > 0], ends, np.full(len(starts), n)])
        cols = np.concatenate([A.col[A.data > 0], np.full(len(ends), n), starts])
        return sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n + 1, n + 1))


def behaviour_chain(model: EpochModel, behavior: np.ndarray | None = None) -> BehaviourChain:
    """The behaviour chain of ``model`` under ``behavior`` (default: the file's π_b)."""
    beh = model.behavior if behavior is None else np.asarray(behavior, dtype=float)
    w = beh[model.pair_obs_pair]  # π_b(j|σ(y)) for each latent pair
    Pi = sp.csr_matrix((w, np.arange(model.n_pairs), model.pair_ptr),
                       shape=(model.n_states, model.n_pairs))
    A = (Pi @ model.P).tocsr()
    e = Pi @ model.p_end
    return BehaviourChain(A=A, e=np.asarray(e), nu0=np.asarray(model.initial, dtype=float))


@dataclass(frozen=True, eq=False)
class Stationary:
    """The stationary law of the behaviour chain and the verdict on uniform ergodicity."""

    mu: np.ndarray | None
    ergodic: bool
    closed_classes: int
    period: int
    transient: int
    reason: str
    method: str


def _period(adj: sp.csr_matrix, weights: sp.csr_matrix, nodes: np.ndarray) -> int:
    """gcd of cycle lengths of the strongly connected set ``nodes`` (0/1 edge weights)."""
    sub = adj[nodes][:, nodes].tocoo()
    wsub = weights[nodes][:, nodes].tocoo()
    # weights are stored as length + 1 so that zero-length edges survive sparse slicing
    wmap = dict(zip(zip(wsub.row.tolist(), wsub.col.tolist(), strict=True),
                    (wsub.data.astype(int) - 1).tolist(), strict=True))
    m = len(nodes)
    dist = np.full(m, -1, dtype=np.int64)
    dist[0] = 0
    # 0-1 BFS
    from collections import deque

    dq = deque([0])
    indptr, indices = sp.csr_matrix(sub).indptr, sp.csr_matrix(sub).indices
    while dq:
        u = dq.popleft()
        for v in indices[indptr[u]:indptr[u + 1]]:
            w = wmap.get((u, int(v)), 1)
            if dist[v] < 0 or dist[u] + w < dist[v]:
                dist[v] = dist[u] + w
                (dq.appendleft if w == 0 else dq.append)(int(v))
    diffs = [abs(int(dist[u] + wmap.get((u, v), 1) - dist[v]))
             for u, v in zip(sub.row.tolist(), sub.col.tolist(), strict=True)]
    return reduce(math.gcd, diffs, 0)


def stationary(model: EpochModel, behavior: np.ndarray | None = None) -> Stationary:
    """Stationary law μ of the behaviour chain (docs/theory.md §4) and its ergodicity verdict."""
    ch = behaviour_chain(model, behavior)
    n = ch.n
    G = ch.graph()
    ncomp, labels = csgraph.connected_components(G, directed=True, connection="strong")
    # closed classes: components with no edge leaving them
    coo = G.tocoo()
    leaves = np.zeros(ncomp, dtype=bool)
    cross = labels[coo.row] != labels[coo.col]
    leaves[labels[coo.row[cross]]] = True
    closed = np.flatnonzero(~leaves)
    if len(closed) != 1:
        return Stationary(mu=None, ergodic=False, closed_classes=len(closed), period=0,
                          transient=0, reason=f"reducible: {len(closed)} closed classes under "
                          "the behaviour policy", method="strongly connected components")
    nodes = np.flatnonzero(labels == closed[0])
    weights = _edge_weights(G, n)
    period = _period(G, weights, nodes)
    transient = int(n + 1 - len(nodes))
    if period != 1:
        return Stationary(mu=None, ergodic=False, closed_classes=1, period=period,
                          transient=transient, reason=f"periodic with period {period}",
                          method="strongly connected components, cycle-length gcd")
    mu = _solve_stationary(ch, nodes[nodes < n])
    return Stationary(mu=mu, ergodic=True, closed_classes=1, period=1, transient=transient,
                      reason="one closed class, aperiodic",
                      method="sparse linear solve of μᵀ(I − P_b) = 0 on the closed class")


def _edge_weights(G: sp.csr_matrix, n: int) -> sp.csr_matrix:
    """Length of each support edge: 1, except restart→y' which is 0 (restarts take one step)."""
    W = sp.csr_matrix((np.full(G.nnz, 2.0), G.indices.copy(), G.indptr.copy()), shape=G.shape)
    start, stop = W.indptr[n], W.indptr[n + 1]
    W.data[start:stop] = 1.0  # stored as length + 1
    return W


def _solve_stationary(ch: BehaviourChain, nodes: np.ndarray) -> np.ndarray:
    """μ on the closed class ``nodes``, zero elsewhere. Solves ``(I − P_bᵀ) μ = 0, Σμ = 1``."""
    n = ch.n
    A = ch.A[nodes][:, nodes].tocsr()
    e = ch.e[nodes]
    nu = ch.nu0[nodes]
    m = len(nodes)
    if m <= 2000:
        P = A.toarray() + np.outer(e, nu)
        M = np.eye(m) - P.T
        M[-1, :] = 1.0
        b = np.zeros(m)
        b[-1] = 1.0
        sol = np.linalg.solve(M, b)
    elif e.sum() > 0 and _restart_reachable(A):
        # μᵀ = c ν₀ᵀ (I − A)^{-1}: (I − A) is invertible when every state can end the episode.
        # GMRES first: sparse LU of a random-looking transition graph fills in badly (minutes
        # at 10,000 states), while I − Aᵀ is well conditioned here; LU only as a fallback.
        M = (sp.identity(m, format="csr") - A.T).tocsr()
        x, info = spla.gmres(M, nu, rtol=1e-14, atol=0.0, restart=50, maxiter=2000)
        if info != 0 or not np.abs(M @ x - nu).max() <= 1e-12 * max(1.0, np.abs(x).max()):
            x = spla.spsolve(M.tocsc(), nu)
        sol = x / x.sum()
    else:
        # no restarts inside the class: replace one equation by the normalisation
        M = (sp.identity(m, format="lil") - A.T).tolil()
        M[m - 1, :] = np.ones(m)
        b = np.zeros(m)
        b[-1] = 1.0
        sol = spla.spsolve(M.tocsc(), b)
    sol = np.clip(sol, 0.0, None)
    mu = np.zeros(n)
    mu[nodes] = sol / sol.sum()
    return mu


def _restart_reachable(A: sp.csr_matrix) -> bool:
    """True when the substochastic A has spectral radius < 1 (every state leaks mass)."""
    mass = np.ones(A.shape[0])
    for _ in range(A.shape[0] + 1):
        mass = A @ mass
        if mass.max() < 0.5:
            return True
    return False


@dataclass(frozen=True, eq=False)
class Mixing:
    """``τ_mix(ε) = min{t : d(t) ≤ ε}`` with ``d(t) = max_y ½‖P_b^t(y,·) − μ‖₁``."""

    epsilon: float
    tau: int | None
    d: np.ndarray  # d(1..t) as computed (exact) or the envelope values used
    method: str
    t0: int | None = None
    dbar_t0: float | None = None
    reason: str = ""


def tv_distances(ch: BehaviourChain, mu: np.ndarray, t_max: int, *, tol: float = 0.0
                 ) -> np.ndarray:
    """Exact ``d(t)`` for ``t = 1..t_max``, stopping once ``d(t) ≤ tol``.

    The rows ``P_b^t(y,·)`` are advanced together as a dense n×n array by sparse steps
    (``O(n·nnz + n²)`` per step, ``8n²`` bytes).
    """
    Pt = np.eye(ch.n)
    out = []
    for _ in range(t_max):
        Pt = ch.step(Pt)
        d = 0.5 * float(np.abs(Pt - mu[None, :]).sum(axis=1).max())
        out.append(d)
        if d <= tol:
            break
    return np.array(out)


def mixing_time(model: EpochModel, epsilon: float = 0.25, *, behavior: np.ndarray | None = None,
                t_limit: int = 100_000, exact_max: int = EXACT_MIXING_MAX) -> Mixing:
    """``τ_mix(ε)`` exactly (dense powers) for chains up to ``exact_max`` states, else the sound
    envelope ``d(t) ≤ d̄(t₀)^⌊t/t₀⌋`` (Lemma ``mixing_envelope``, ``proofs/Mixing.v``)."""
    st = stationary(model, behavior)
    if not st.ergodic:
        return Mixing(epsilon=epsilon, tau=None, d=np.zeros(0), method="not uniformly ergodic",
                      reason=st.reason)
    ch = behaviour_chain(model, behavior)
    if ch.n <= exact_max:
        d = tv_distances(ch, st.mu, t_limit, tol=epsilon)
        hit = np.flatnonzero(d <= epsilon)
        tau = int(hit[0] + 1) if len(hit) else None
        return Mixing(epsilon=epsilon, tau=tau, d=d,
                      method="exact: d(t) = max_y ½‖P_b^t(y,·) − μ‖₁ by repeated sparse steps")
    env = dbar_envelope(ch)
    return Mixing(epsilon=epsilon, tau=env.tau(epsilon), d=np.array([env.dbar]),
                  method=f"envelope d(t) ≤ d̄(t₀)^⌊t/t₀⌋ with t₀ = {env.t0}",
                  t0=env.t0, dbar_t0=env.dbar)


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


def dbar_envelope(ch: BehaviourChain, t0_max: int = 64, block: int = 512) -> Envelope:
    """The envelope of docs/theory.md §4 at the smallest power-of-two ``t₀ ≤ t0_max`` whose bound
    on ``d̄(t₀) = max_{y,y'} ½‖P^t(y,·) − P^t(y',·)‖₁`` is below 1/2.

    The bound used is ``d̄(t) ≤ 1 − Σ_{y'} min_y P^t(y,y')`` (since ``½‖p − q‖₁ = 1 − Σ min(p,q)``
    and ``min(p,q)`` dominates the column minimum), computed blockwise in ``O(n·nnz·t₀)`` time
    and ``O(block·n)`` memory. It is sound: any upper bound on d̄(t₀) gives a valid envelope.
    """
    n = ch.n
    t0 = 1
    while True:
        colmin = np.full(n, np.inf)
        for start in range(0, n, block):
            X = np.zeros((min(block, n - start), n))
            X[np.arange(X.shape[0]), np.arange(start, start + X.shape[0])] = 1.0
            for _ in range(t0):
                X = ch.step(X)
            colmin = np.minimum(colmin, X.min(axis=0))
        dbar = float(min(1.0, max(0.0, 1.0 - colmin.sum())))
        if dbar < 0.5 or t0 >= t0_max:
            return Envelope(t0=t0, dbar=dbar)
        t0 *= 2
