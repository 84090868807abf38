"""Exact solutions of a finite SMDP in sufficient statistics (THEORY.md §1–§2).

Bellman optimality ``Q*(x,j) = r̄(x,j) + Σ_{x'} K(x'|x,j) max_{j'} Q*(x',j')``; the operator is a
γ̄-contraction in sup norm (Lemma C, ``proofs/Contraction.v``). Two methods:

- ``"pi"`` policy iteration: each evaluation solves ``(I − K_π) v = r_π`` exactly (sparse LU, or a
  Krylov solve to a residual of 1e-13 on very large models); terminates when the greedy policy
  is stable, which for finite SMDPs is the exact optimum (up to floating point).
- ``"vi"`` value iteration from 0 until ``‖TQ − Q‖∞ ≤ tol·(1−γ̄)/γ̄``, which guarantees
  ``‖Q − Q*‖∞ ≤ tol`` (Lemma C).

Every result records its method, iterations and the certified error.

>>> from icq.reference.model import load, example_path
>>> m = load(example_path("ring-exact"))
>>> res = solve(m.latent)
>>> res.method.startswith("policy iteration")
True
>>> bool(abs(res.residual) < 1e-12)
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from .model import SMDP

__all__ = ["Solution", "solve", "evaluate", "value_iteration", "policy_iteration",
           "deterministic_policy"]

#: models with more states than this use a Krylov solve for policy evaluation
DIRECT_SOLVE_MAX = 60_000


@dataclass(frozen=True, eq=False)
class Solution:
    """An exact (or certified) solution of the Bellman optimality equation.

    Attributes
    ----------
    q : (n_pairs,) the optimal action values ``Q*``
    v : (n,) ``V* = max_j Q*``
    policy : (n,) greedy pair index per state
    method : how it was computed
    iterations : improvement steps (PI) or sweeps (VI)
    residual : ``‖T q − q‖∞`` at the returned q (computed, not assumed)
    error_bound : certified ``‖q − Q*‖∞`` bound: ``γ̄/(1−γ̄)·residual`` (Lemma C)
    """

    q: np.ndarray
    v: np.ndarray
    policy: np.ndarray
    method: str
    iterations: int
    residual: float
    error_bound: float


def deterministic_policy(smdp: SMDP, greedy_pairs: np.ndarray) -> np.ndarray:
    """(n_pairs,) the one-hot policy vector choosing pair ``greedy_pairs[x]`` in each state."""
    pi = np.zeros(smdp.n_pairs)
    pi[greedy_pairs] = 1.0
    return pi


def _solve_linear(A: sp.csr_matrix, b: np.ndarray, method: str) -> np.ndarray:
    if method == "direct":
        return spla.spsolve(A.tocsc(), b)
    x, info = spla.bicgstab(A, b, rtol=1e-14, atol=0.0, maxiter=10_000)
    if info != 0:  # pragma: no cover - γ̄ < 1 makes I − K_π well conditioned
        x = spla.spsolve(A.tocsc(), b)
    return x


def evaluate(smdp: SMDP, pi: np.ndarray, *, linear: str | None = None) -> tuple[np.ndarray,
                                                                                  np.ndarray]:
    """Exact evaluation of a stationary policy.

    Parameters
    ----------
    pi : (n_pairs,) probabilities ``π(j|x)`` on each state's pairs (rows sum to 1)

    Returns
    -------
    q, v : ``Q^π`` (n_pairs,) and ``V^π`` (n,), solving ``v = r_π + K_π v`` exactly.
    """
    Pi = smdp.policy_matrix(pi)
    K_pi = (Pi @ smdp.K).tocsr()
    r_pi = Pi @ smdp.reward
    A = sp.identity(smdp.n, format="csr") - K_pi
    linear = linear or ("direct" if smdp.n <= DIRECT_SOLVE_MAX else "krylov")
    v = _solve_linear(A, r_pi, linear)
    q = smdp.reward + smdp.K @ v
    return q, v


def _finish(smdp: SMDP, q: np.ndarray, method: str, iterations: int) -> Solution:
    residual = float(np.max(np.abs(smdp.bellman(q) - q), initial=0.0))
    g = smdp.gamma_bar
    return Solution(q=q, v=smdp.vmax(q), policy=smdp.argmax(q), method=method,
                    iterations=iterations, residual=residual,
                    error_bound=g / (1.0 - g) * residual)


def policy_iteration(smdp: SMDP, *, max_iter: int = 1000) -> Solution:
    """Howard's policy iteration with exact sparse evaluation (THEORY.md §1)."""
    linear = "direct" if smdp.n <= DIRECT_SOLVE_MAX else "krylov"
    greedy = smdp.argmax(smdp.reward)
    for it in range(1, max_iter + 1):
        q, _ = evaluate(smdp, deterministic_policy(smdp, greedy), linear=linear)
        new = smdp.argmax(q)
        # keep the current action on ties, so the loop cannot cycle on equal values
        keep = q[greedy] >= q[new] - 1e-12 * (1.0 + np.abs(q[new]))
        new = np.where(keep, greedy, new)
        if np.array_equal(new, greedy):
            how = "sparse LU" if linear == "direct" else "BiCGSTAB to rtol 1e-14"
            return _finish(smdp, q, f"policy iteration (exact evaluation by {how})", it)
        greedy = new
    raise RuntimeError(f"policy iteration did not stabilise in {max_iter} steps")


def value_iteration(smdp: SMDP, *, tol: float = 1e-10, max_iter: int = 1_000_000,
                    q0: np.ndarray | None = None) -> Solution:
    """Value iteration to a certified sup-norm error ``tol`` (Lemma C)."""
    g = smdp.gamma_bar
    q = np.zeros(smdp.n_pairs) if q0 is None else np.array(q0, dtype=float)
    stop = tol * (1.0 - g) / max(g, 1e-300)
    for it in range(1, max_iter + 1):
        q_new = smdp.bellman(q)
        delta = float(np.max(np.abs(q_new - q), initial=0.0))
        q = q_new
        if delta <= stop:
            return _finish(smdp, q, f"value iteration (tolerance {tol:g} in sup norm)", it)
    raise RuntimeError(f"value iteration did not reach tolerance {tol} in {max_iter} sweeps")


def solve(smdp: SMDP, method: str = "pi", *, tol: float = 1e-10) -> Solution:
    """Solve ``Q* = T Q*`` by ``method`` ``"pi"`` (default, exact) or ``"vi"``."""
    if method == "pi":
        return policy_iteration(smdp)
    if method == "vi":
        return value_iteration(smdp, tol=tol)
    raise ValueError(f"method: unknown solver {method!r} (expected 'pi' or 'vi')")
