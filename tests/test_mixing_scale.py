"""Mixing at scale (docs/theory.md §4, §9): the compiled period check, END reachability, the
restart-decomposition recursion and the exact profile, each against an independent oracle."""

from __future__ import annotations

import math
from collections import deque
from functools import reduce

import numpy as np
import pytest
import scipy.sparse as sp

from icq.reference.exact import mixing
from icq.reference.exact.chain import _period, behaviour_chain, end_reachable, stationary
from icq.reference.exact.mixing import mixing_profile, mixing_time, restart_bound
from icq.reference.model import from_dict
from icq.reference.model.generate import random_model


def _period_python(G: sp.csr_matrix, nodes: np.ndarray, zero_src: int) -> int:
    """The former pure-Python 0-1 BFS over dicts (the implementation the compiled one replaces)."""
    sub = G[nodes][:, nodes].tocsr()
    zero = {int(i) for i in np.flatnonzero(nodes == zero_src)}
    coo = sub.tocoo()
    wmap = {(u, v): (0 if u in zero else 1) for u, v in zip(coo.row.tolist(), coo.col.tolist(),
                                                              strict=True)}
    dist = np.full(len(nodes), -1, dtype=np.int64)
    dist[0] = 0
    dq = deque([0])
    while dq:
        u = dq.popleft()
        for v in sub.indices[sub.indptr[u]:sub.indptr[u + 1]]:
            w = wmap[(u, int(v))]
            if dist[v] < 0 or dist[u] + w < dist[v]:
                dist[v] = dist[u] + w
                (dq.appendleft if w == 0 else dq.append)(int(v))
    return reduce(math.gcd, (abs(int(dist[u] + w - dist[v])) for (u, v), w in wmap.items()), 0)


def _period_brute(G: sp.csr_matrix, zero_src: int) -> int:
    """gcd of closed-walk lengths ≤ m (they include every simple cycle), by boolean matrix
    powers, after contracting the zero-length edges out of ``zero_src`` (u → z → v becomes
    u → v of length 1)."""
    M = G.toarray() > 0
    if zero_src >= 0:
        keep = np.arange(M.shape[0]) != zero_src
        M = M | np.outer(M[:, zero_src], M[zero_src, :])
        M = M[keep][:, keep]
    m = M.shape[0]
    g, Pk = 0, np.eye(m, dtype=bool)
    for t in range(1, m + 1):
        Pk = (Pk.astype(np.int64) @ M.astype(np.int64)) > 0
        if Pk.diagonal().any():
            g = math.gcd(g, t)
    return g


def _cyclic_graph(rng: np.random.Generator, k: int, n: int, extra: int) -> sp.csr_matrix:
    """A strongly connected graph whose cycle lengths are all multiples of k: node v is in
    class v mod k, a Hamiltonian cycle 0 → 1 → … → n−1 → 0 (n a multiple of k) and ``extra``
    random edges from class c to class c + 1."""
    rows, cols = list(range(n)), [(v + 1) % n for v in range(n)]
    for _ in range(extra):
        u = int(rng.integers(n))
        v = int(rng.choice(np.flatnonzero(np.arange(n) % k == (u + 1) % k)))
        rows.append(u)
        cols.append(v)
    return sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))


@pytest.mark.parametrize("seed", range(40))
def test_compiled_period_matches_python_bfs_and_cycle_gcd(seed):
    rng = np.random.default_rng(seed)
    k = int(rng.integers(1, 5))
    n = k * int(rng.integers(1, 7))
    G = _cyclic_graph(rng, k, n, int(rng.integers(0, 2 * n)))
    zero_src = int(rng.integers(-1, n))
    nodes = np.arange(n)
    got = _period(G, nodes, zero_src)
    assert got == _period_python(G, nodes, zero_src) == _period_brute(G, zero_src)
    if zero_src < 0:
        assert got % k == 0  # every cycle length is a multiple of k by construction


def test_period_of_a_class_inside_a_larger_graph():
    # nodes 0..2 transient (they lead into the class); the class 3..8 has the cycles
    # 3 → 4 → … → 8 → 3 (length 6) and 3 → 4 → 5 → 3 (length 3): period gcd(6, 3) = 3
    rows = [0, 1, 2, 3, 4, 5, 6, 7, 8, 5]
    cols = [1, 2, 3, 4, 5, 6, 7, 8, 3, 3]
    G = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(9, 9))
    assert _period(G, np.arange(3, 9), -1) == 3
    # a zero-length edge out of 5 turns the 3-cycle into a 2-cycle: gcd(6 − 1, 2) = 1
    assert _period(G, np.arange(3, 9), 5) == 1


@pytest.mark.parametrize("seed", range(20))
def test_end_reachable_is_spectral_radius_below_one(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 12))
    A = rng.random((n, n)) * (rng.random((n, n)) < 0.3)
    e = rng.random(n) * (rng.random(n) < 0.3)
    dead = A.sum(axis=1) + e == 0
    A[dead, dead] = 1.0  # rows of A + e ν₀ᵀ sum to 1: a state with nothing else loops
    s = A.sum(axis=1) + e
    A, e = A / s[:, None], e / s
    mass = np.linalg.matrix_power(A, n) @ np.ones(n)  # every state leaks within n steps iff …
    assert end_reachable(sp.csr_matrix(A), e) == bool(np.all(mass < 1 - 1e-15))


def _dense_oracle(m, t_max):
    """d(t) and the restart bound by dense matrix powers, straight from their definitions."""
    ch = behaviour_chain(m)
    mu = stationary(m).mu
    A, e, nu = ch.A.toarray(), ch.e, ch.nu0
    P = A + np.outer(e, nu)
    n = len(mu)
    d = [0.5 * np.abs(np.linalg.matrix_power(P, t) - mu).sum(axis=1).max()
         for t in range(1, t_max + 1)]
    g = [0.5 * np.abs(nu @ np.linalg.matrix_power(P, u) - mu).sum() for u in range(t_max)]
    u = [np.linalg.matrix_power(A, t) @ np.ones(n) for t in range(t_max + 1)]
    B = [(u[t] + sum((u[s - 1] - u[s]) * g[t - s] for s in range(1, t + 1))).max()
         for t in range(1, t_max + 1)]
    return np.array(d), np.array(B)


@pytest.mark.parametrize("seed", range(4))
def test_restart_recursion_and_exact_profile_match_dense_definitions(seed):
    m = random_model(24, n_agents=3, successors=2, outcomes=2, p_terminal=0.2, seed=seed)
    ch = behaviour_chain(m)
    mu = stationary(m).mu
    t_max = 12
    d, B = _dense_oracle(m, t_max)
    got_B = restart_bound(ch, mu, 0.0, t_max)
    np.testing.assert_allclose(got_B, B, rtol=0, atol=1e-12)
    prof = mixing_profile(m, 1e-300, method="exact", t_limit=t_max)
    np.testing.assert_allclose(prof.d, d, rtol=0, atol=1e-12)
    assert np.all(B >= d - 1e-12)  # the lemma, on this instance


@pytest.mark.parametrize("seed", range(3))
def test_first_restart_identity(seed):
    """P_bᵗ = Aᵗ + Σ_{s≤t} A^{s−1} e ν₀ᵀ P_b^{t−s}: the instance of restart_decomposition."""
    ch = behaviour_chain(random_model(15, n_agents=3, p_terminal=0.3, seed=seed))
    A, e, nu = ch.A.toarray(), ch.e, ch.nu0
    P = ch.dense()
    mp = np.linalg.matrix_power
    for t in range(1, 9):
        rhs = mp(A, t) + sum(np.outer(mp(A, s - 1) @ e, nu @ mp(P, t - s))
                             for s in range(1, t + 1))
        np.testing.assert_allclose(mp(P, t), rhs, rtol=0, atol=1e-13)
        mass = mp(A, t).sum(axis=1) + sum(mp(A, s - 1) @ e for s in range(1, t + 1))
        np.testing.assert_allclose(mass, 1.0, rtol=0, atol=1e-13)  # Σa + Σp = 1


def _no_end_doc() -> dict:
    """Ergodic (closed class {A, B, C}, cycles of length 2 and 3) but nobody ever ends."""
    def o(nxt):
        return {"prob": 1.0, "duration": 1, "reward": 0.0, "next": nxt}
    return {"format": "icsmdp-epoch/1", "name": "no-end", "gamma": 0.9,
            "agents": ["a", "b", "c"],
            "states": [{"id": "S", "agent": "c", "obs": "s"},
                       {"id": "A", "agent": "a", "obs": "o"},
                       {"id": "B", "agent": "b", "obs": "p"},
                       {"id": "C", "agent": "c", "obs": "q"}],
            "initial": {"S": 1.0},
            "successors": {"a": {"o": ["b"]}, "b": {"p": ["a", "c"]},
                           "c": {"s": ["a"], "q": ["a"]}},
            "transitions": [
                {"state": "S", "successor": "a", "outcomes": [o("A")]},
                {"state": "A", "successor": "b", "outcomes": [o("B")]},
                {"state": "B", "successor": "a", "outcomes": [o("A")]},
                {"state": "B", "successor": "c", "outcomes": [o("C")]},
                {"state": "C", "successor": "a", "outcomes": [o("A")]}]}


def test_end_unreachable_falls_back_to_exact_or_says_why(monkeypatch):
    m = from_dict(_no_end_doc())
    assert stationary(m).ergodic and not end_reachable(behaviour_chain(m).A, behaviour_chain(m).e)
    exact = mixing_time(m)  # small: exact, whatever END does
    assert exact.exact and exact.tau is not None
    r = mixing_time(m, method="restart")
    assert r.tau is None and "END is not reachable" in r.reason
    monkeypatch.setattr(mixing, "EXACT_MIXING_MAX", 1)
    monkeypatch.setattr(mixing, "EXACT_FALLBACK_MAX", 3)
    big = mixing_profile(m)
    assert big.method == "none" and big.tau(0.25).tau is None
    assert "END is not reachable" in big.reason and "4" in big.reason
    monkeypatch.setattr(mixing, "EXACT_FALLBACK_MAX", 4)
    assert mixing_profile(m).exact and mixing_profile(m).tau(0.25).tau == exact.tau


def test_auto_uses_the_restart_bound_beyond_the_exact_size(monkeypatch):
    m = random_model(40, n_agents=4, successors=2, outcomes=2, p_terminal=0.1, seed=3)
    exact = mixing_profile(m, 0.25)
    monkeypatch.setattr(mixing, "EXACT_MIXING_MAX", 10)
    prof = mixing_profile(m, 0.25)
    assert prof.method.startswith("restart decomposition") and not prof.exact
    t = prof.tau(0.25)
    assert not t.exact and t.tau >= exact.tau(0.25).tau  # an upper bound on τ_mix
    assert np.all(np.diff(prof.d) <= 0)  # running minimum: d is non-increasing


def test_unknown_method_is_rejected():
    with pytest.raises(ValueError, match="method"):
        mixing_profile(random_model(8, n_agents=2, seed=0), method="dense")
