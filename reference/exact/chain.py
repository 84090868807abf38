"""The behaviour chain on latent epoch states and its stationary law (docs/theory.md §4).

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

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.csgraph as csgraph
import scipy.sparse.linalg as spla
from numba import njit

from icq.reference.exact.solve import bicgstab
from icq.reference.model import EpochModel

__all__ = ["BehaviourChain", "Stationary", "behaviour_chain", "end_reachable", "mu_squared_error",
           "obs_pair_weights", "pair_weights", "stationary"]


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


@njit(cache=True)
def _period_kernel(indptr, indices, zero_src):  # pragma: no cover
    """gcd of ``dist[u] + w(u,v) − dist[v]`` over the edges of a strongly connected graph.

    ``dist`` are 0-1 BFS distances from node 0 with edge length 0 out of ``zero_src`` and 1
    otherwise (``zero_src = -1``: none). The deque is a flat buffer: a node's distance is set
    once and lowered at most once (from D + 1 to D), so each end takes at most 2m pushes.
    """
    m = len(indptr) - 1
    dist = np.full(m, -1, dtype=np.int64)
    buf = np.empty(4 * m + 8, dtype=np.int64)
    head = 2 * m + 4
    tail = head
    buf[tail] = 0
    tail += 1
    dist[0] = 0
    while head < tail:
        u = buf[head]
        head += 1
        w = 0 if u == zero_src else 1
        for k in range(indptr[u], indptr[u + 1]):
            v = indices[k]
            if dist[v] < 0 or dist[u] + w < dist[v]:
                dist[v] = dist[u] + w
                if w == 0:
                    head -= 1
                    buf[head] = v
                else:
                    buf[tail] = v
                    tail += 1
    g = 0
    for u in range(m):
        w = 0 if u == zero_src else 1
        for k in range(indptr[u], indptr[u + 1]):
            x = abs(dist[u] + w - dist[indices[k]])
            while x:
                g, x = x, g % x
    return g


def _period(G: sp.csr_matrix, nodes: np.ndarray, zero_src: int) -> int:
    """gcd of cycle lengths of the strongly connected set ``nodes`` of the support graph ``G``,
    every edge of length 1 except those out of node ``zero_src`` (the restart node), of length 0.

    Compiled 0-1 breadth-first search (``O(nnz)``): the period is the gcd of
    ``dist(u) + len(u,v) − dist(v)`` over the edges of the class.
    """
    sub = G[nodes][:, nodes].tocsr()
    sub.sort_indices()
    pos = np.searchsorted(nodes, zero_src)
    local = int(pos) if pos < len(nodes) and nodes[pos] == zero_src else -1
    return int(_period_kernel(sub.indptr.astype(np.int64), sub.indices.astype(np.int64),
                              local))


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
    period = _period(G, nodes, n)
    transient = int(n + 1 - len(nodes))
    if period != 1:
        return Stationary(mu=None, ergodic=False, closed_classes=1, period=period,
                          transient=transient, reason=f"periodic with period {period}",
                          method="strongly connected components, cycle-length gcd")
    mu = _solve_stationary(ch, nodes[nodes < n])
    return Stationary(mu=mu, ergodic=True, closed_classes=1, period=1, transient=transient,
                      reason="one closed class, aperiodic",
                      method="sparse linear solve of μᵀ(I − P_b) = 0 on the closed class")


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
    elif end_reachable(A, e):
        # μᵀ = c ν₀ᵀ (I − A)^{-1}: (I − A) is invertible when every state can end the episode.
        # BiCGSTAB first (the solver's BLAS-free one: 17× faster than SciPy's GMRES at 10⁵
        # states), then GMRES: sparse LU of a random-looking transition graph fills in badly
        # (minutes at 10,000 states), while I − Aᵀ is well conditioned here; LU only last.
        M = (sp.identity(m, format="csr") - A.T).tocsr()

        def solved(x: np.ndarray) -> bool:
            return bool(np.abs(M @ x - nu).max() <= 1e-12 * max(1.0, np.abs(x).max()))

        x = bicgstab(A.T.tocsr(), nu, nu, 1e-14 * float(nu.max()), 2000)
        if not solved(x):
            x, info = spla.gmres(M, nu, rtol=1e-14, atol=0.0, restart=50, maxiter=2000)
            if info != 0 or not solved(x):
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


def end_reachable(A: sp.csr_matrix, e: np.ndarray) -> bool:
    """True when every state can reach an END outcome (``e > 0``) through the support of A.

    For the substochastic A of ``P_b = A + e ν₀ᵀ`` this is the same as spectral radius < 1:
    the survival ``P_y(T > t) = (Aᵗ1)(y)`` of docs/theory.md §9 then goes to 0 for every y.
    One reverse breadth-first search, ``O(nnz)``.
    """
    n = A.shape[0]
    coo = A.tocoo()
    keep = coo.data > 0
    ends = np.flatnonzero(np.asarray(e) > 0)
    # reversed edges y' → y, plus a source node n → every state with an END outcome
    rows = np.concatenate([coo.col[keep], np.full(len(ends), n)])
    cols = np.concatenate([coo.row[keep], ends])
    R = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n + 1, n + 1))
    return len(csgraph.breadth_first_order(R, n, directed=True, return_predecessors=False)) \
        == n + 1


def pair_weights(model: EpochModel, mu: np.ndarray, behavior: np.ndarray | None = None
                 ) -> np.ndarray:
    """(n_pairs,) ``μ(y) π_b(j|σ(y))``, the law of ``(y, j)`` under μ ⊗ π_b (§4–§5)
    (``behavior``: π_b over observation pairs, default the model's)."""
    beh = model.behavior if behavior is None else np.asarray(behavior, dtype=float)
    return np.asarray(mu)[model.pair_state] * beh[model.pair_obs_pair]


def obs_pair_weights(model: EpochModel, mu: np.ndarray, behavior: np.ndarray | None = None
                     ) -> np.ndarray:
    """(n_obs_pairs,) the law of the observation pair ``(σ(y), j)`` under μ ⊗ π_b: the
    :func:`pair_weights` summed over each observation pair's latent pairs."""
    return np.bincount(model.pair_obs_pair, pair_weights(model, mu, behavior),
                       minlength=model.n_obs_pairs)


def mu_squared_error(q_obs: np.ndarray, q_latent: np.ndarray, weights: np.ndarray,
                     pair_obs_pair: np.ndarray) -> float | np.ndarray:
    """``‖q∘σ − Q‖²_μ = Σ_k w_k (q(σ(y_k), j_k) − Q(y_k, j_k))²`` over latent pairs ``k``
    (docs/theory.md §6), ``w`` the :func:`pair_weights`; ``q_obs`` one table (n_obs_pairs,)
    or a stack of them (…, n_obs_pairs), one value each."""
    q_obs, q_latent, w = (np.asarray(a, dtype=float) for a in (q_obs, q_latent, weights))
    if q_latent.shape != w.shape:
        raise ValueError("q_latent and weights must have one entry per latent pair")
    d = q_obs[..., np.asarray(pair_obs_pair)] - q_latent
    out = (d * d) @ w
    return float(out) if np.ndim(out) == 0 else out
