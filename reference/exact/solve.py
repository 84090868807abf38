"""Exact solutions of a finite SMDP in sufficient statistics (docs/theory.md §1–§2).

Bellman optimality ``Q*(x,j) = r̄(x,j) + Σ_{x'} K(x'|x,j) max_{j'} Q*(x',j')``; the operator is a
γ̄-contraction in sup norm (Lemma C, ``proofs/Contraction.v``). Two methods:

- ``"pi"`` policy iteration. Each evaluation solves ``(I − K_π) v = r_π``: by dense LU up to
  :data:`DENSE_MAX` states; beyond, by BiCGSTAB started from the previous values and iterated
  until the *true* residual ``‖r_π + K_π v − v‖∞`` is at most ``KRYLOV_RTOL·s``,
  ``s = max(1, ‖r_π‖∞)/(1 − γ̄)`` (Richardson sweeps, which contract the residual by γ̄ in sup
  norm, take over should the Krylov solve stall), so ``‖v − V^π‖∞ ≤ residual/(1 − γ̄)``. While
  the policy is still changing, evaluations stop at the looser ``KRYLOV_LOOSE·s`` (they only
  choose the path); the loop ends only when the policy is greedy for a tight evaluation, which
  for finite SMDPs is the exact optimum up to floating point. Sparse LU (``linear="direct"``)
  is not the default: on random-looking transition graphs its fill-in grows like n² (a
  10,000-state random model took minutes).
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
from typing import Any

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from icq.reference.common.tables import fields_html, frame
from icq.reference.model import SMDP, EpochModel

__all__ = ["Solution", "solve", "evaluate", "value_iteration", "policy_iteration",
           "solution_frame", "deterministic_policy", "DENSE_MAX", "KRYLOV_RTOL", "KRYLOV_LOOSE"]

#: policy evaluations of models with at most this many states use dense LU
DENSE_MAX = 100
#: Krylov evaluations stop at a true residual ≤ KRYLOV_RTOL·max(1, ‖r_π‖∞)/(1 − γ̄)
KRYLOV_RTOL = 1e-14
#: ... or, while policy iteration is still changing the policy, at
#: min(KRYLOV_LOOSE, GAIN_FRACTION·(largest gain of the last improvement)/s)
KRYLOV_LOOSE = 1e-3
GAIN_FRACTION = 1e-2
#: improvement steps on loose evaluations before every evaluation is tight
LOOSE_MAX_ITER = 100


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

    def _repr_html_(self) -> str:
        return fields_html("Solution (docs/theory.md §1, Lemma C)", {
            "method": self.method, "iterations": self.iterations, "states": len(self.v),
            "pairs": len(self.q), "residual ‖TQ − Q‖∞": self.residual,
            "certified error bound": self.error_bound,
            "min V*": float(self.v.min()) if len(self.v) else None,
            "max V*": float(self.v.max()) if len(self.v) else None})


def deterministic_policy(smdp: SMDP, greedy_pairs: np.ndarray) -> np.ndarray:
    """(n_pairs,) the one-hot policy vector choosing pair ``greedy_pairs[x]`` in each state."""
    pi = np.zeros(smdp.n_pairs)
    pi[greedy_pairs] = 1.0
    return pi


# ---------------------------------------------------------------------------------------
# Greedy step: V = max_j q and the first maximiser, vectorised
# ---------------------------------------------------------------------------------------


def _uniform_k(smdp: SMDP) -> int:
    """The common number of pairs per state, or 0 when states differ."""
    n = smdp.n
    k, rem = divmod(smdp.n_pairs, max(n, 1))
    return k if n and k and not rem and bool(np.all(np.diff(smdp.ptr) == k)) else 0


def _vmax(smdp: SMDP, q: np.ndarray, k: int) -> np.ndarray:
    """``V(x) = max_j q(x,j)``; ``k = _uniform_k(smdp)`` (columnwise maxima when k > 0)."""
    if not k:
        return smdp.vmax(q)
    q2 = q.reshape(-1, k)
    v = q2[:, 0].copy()
    for c in range(1, k):
        np.maximum(v, q2[:, c], out=v)
    return v


def _greedy(smdp: SMDP, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """``(V, pairs)``: ``V = max_j q`` and the first maximising pair of each state."""
    if not k:
        return smdp.vmax(q), smdp.argmax(q)
    idx = q.reshape(-1, k).argmax(axis=1)
    pairs = smdp.ptr[:-1] + idx
    return q[pairs], pairs


# ---------------------------------------------------------------------------------------
# Policy evaluation: (I − K_π) v = r_π
# ---------------------------------------------------------------------------------------


def _residual(K_pi: sp.csr_matrix, r_pi: np.ndarray, v: np.ndarray) -> float:
    """``‖r_π + K_π v − v‖∞``."""
    return float(np.max(np.abs(r_pi + K_pi @ v - v), initial=0.0))


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """``a·b`` without BLAS: a threaded BLAS dot on a busy machine can cost more than a matvec."""
    return float(np.multiply(a, b).sum())


def bicgstab(K_pi: sp.csr_matrix, b: np.ndarray, x: np.ndarray, atol: float, maxiter: int
              ) -> np.ndarray:
    """BiCGSTAB (van der Vorst 1992) for ``(I − K_π) x = b`` from ``x``, stopping when the
    recursively updated residual is ≤ ``atol`` in sup norm (the caller checks the true one)."""
    x = x.copy()
    r = b - x
    r += K_pi @ x
    rhat = r.copy()
    rho_old = alpha = omega = 1.0
    p = np.zeros_like(b)
    w = np.zeros_like(b)
    s = np.empty_like(b)
    t = np.empty_like(b)
    for _ in range(maxiter):
        if np.max(np.abs(r), initial=0.0) <= atol:
            break
        rho = _dot(rhat, r)
        if rho == 0.0 or omega == 0.0:
            break  # breakdown: the caller restarts from x
        # p = r + β (p − ω w), β = (ρ/ρ_old)(α/ω)
        p -= omega * w
        p *= (rho / rho_old) * (alpha / omega)
        p += r
        np.subtract(p, K_pi @ p, out=w)
        den = _dot(rhat, w)
        if den == 0.0:
            break
        alpha = rho / den
        np.subtract(r, alpha * w, out=s)
        np.subtract(s, K_pi @ s, out=t)
        tt = _dot(t, t)
        omega = _dot(t, s) / tt if tt > 0 else 0.0
        x += alpha * p
        x += omega * s
        np.subtract(s, omega * t, out=r)
        rho_old = rho
    return x


def _policy_values(K_pi: sp.csr_matrix, r_pi: np.ndarray, linear: str,
                   v0: np.ndarray | None = None, rtol: float = KRYLOV_RTOL,
                   gamma_bar: float | None = None) -> tuple[np.ndarray, float]:
    """Solve ``v = r_π + K_π v``; returns ``(v, ‖r_π + K_π v − v‖∞)``.

    ``linear``: ``"dense"`` (LU), ``"direct"`` (sparse LU) or ``"krylov"``: BiCGSTAB from ``v0``
    (default ``r_π``) until the true residual is ≤ ``rtol·max(1, ‖r_π‖∞)/(1 − g)`` (module
    docstring), where ``g = gamma_bar`` (the model's γ̄ ≥ the policy's) or, if None,
    ``max_x Σ K_π(x,·)``.
    """
    n = K_pi.shape[0]
    if linear == "dense":
        v = np.linalg.solve(np.eye(n) - K_pi.toarray(), r_pi) if n else np.zeros(0)
    elif linear == "direct":
        v = spla.spsolve((sp.identity(n, format="csc") - K_pi).tocsc(), r_pi)
    elif linear == "krylov":
        g = float(np.asarray(K_pi.sum(axis=1)).max(initial=0.0)) if gamma_bar is None \
            else gamma_bar
        atol = rtol * max(1.0, float(np.max(np.abs(r_pi), initial=0.0))) / (1.0 - g)
        v = r_pi.copy() if v0 is None else v0
        for _ in range(4):  # BiCGSTAB, restarted from its own iterate if it stalls
            v = bicgstab(K_pi, r_pi, v, 0.5 * atol, maxiter=max(100, 2 * n))
            res = _residual(K_pi, r_pi, v)
            if res <= atol:
                return v, res
        # Richardson sweeps: the residual contracts by γ̄ per sweep (Lemma C)
        best, best_res = v, res
        for _ in range(100_000):
            v = r_pi + K_pi @ v
            res = _residual(K_pi, r_pi, v)
            if res < best_res:
                best, best_res = v, res
            if res <= atol or res >= best_res and res < 1e3 * atol:
                break
        return best, best_res
    else:
        raise ValueError(f"linear: unknown solver {linear!r} (expected 'dense', 'direct' or "
                         "'krylov')")
    return v, _residual(K_pi, r_pi, v)


def _default_linear(n: int) -> str:
    return "dense" if n <= DENSE_MAX else "krylov"


_LINEAR_NAMES = {
    "dense": "exact evaluation by dense LU",
    "direct": "exact evaluation by sparse LU",
    "krylov": f"evaluations by BiCGSTAB, to a true residual ≤ {KRYLOV_LOOSE:g}·s while the "
              f"policy changes, then ≤ {KRYLOV_RTOL:g}·s with s = max(1, ‖r_π‖∞)/(1 − γ̄)",
}


def evaluate(smdp: SMDP, pi: np.ndarray, *, linear: str | None = None) -> tuple[np.ndarray,
                                                                                  np.ndarray]:
    """Exact evaluation of a stationary policy.

    Parameters
    ----------
    pi : (n_pairs,) probabilities ``π(j|x)`` on each state's pairs (rows sum to 1)
    linear : ``"dense"``, ``"direct"`` (sparse LU) or ``"krylov"``; default dense up to
        :data:`DENSE_MAX` states, else Krylov to a true residual ≤ ``KRYLOV_RTOL·s``

    Returns
    -------
    q, v : ``Q^π`` (n_pairs,) and ``V^π`` (n,), solving ``v = r_π + K_π v``.
    """
    Pi = smdp.policy_matrix(pi)
    K_pi = (Pi @ smdp.K).tocsr()
    r_pi = Pi @ smdp.reward
    v, _ = _policy_values(K_pi, r_pi, linear or _default_linear(smdp.n))
    q = smdp.reward + smdp.K @ v
    return q, v


def _finish(smdp: SMDP, q: np.ndarray, method: str, iterations: int) -> Solution:
    v, policy = _greedy(smdp, q, _uniform_k(smdp))
    residual = float(np.max(np.abs(smdp.reward + smdp.K @ v - q), initial=0.0))
    g = smdp.gamma_bar
    return Solution(q=q, v=v, policy=policy, method=method, iterations=iterations,
                    residual=residual, error_bound=g / (1.0 - g) * residual)


def policy_iteration(smdp: SMDP, *, max_iter: int = 1000, linear: str | None = None
                     ) -> Solution:
    """Howard's policy iteration (docs/theory.md §1; evaluations as in the module docstring).

    Starts from the policy greedy for ``r̄``; each evaluation starts from the previous values.
    With Krylov evaluations, the policy is improved on evaluations to the loose residual
    :data:`KRYLOV_LOOSE` until it is stable, then evaluated to :data:`KRYLOV_RTOL`, and the
    loop ends only when the policy is greedy for its tight evaluation (inexact evaluations
    only choose the path, not the answer). Ties keep the current action, so the loop cannot
    cycle on equal values.
    """
    linear = linear or _default_linear(smdp.n)
    K, r = smdp.K.tocsr(), smdp.reward
    k = _uniform_k(smdp)
    _, greedy = _greedy(smdp, r, k)
    start = None  # each evaluation starts one sweep after the previous values: q[greedy]
    scale = max(1.0, float(np.max(np.abs(r), initial=0.0))) / (1.0 - smdp.gamma_bar)
    rtol = KRYLOV_LOOSE if linear == "krylov" else KRYLOV_RTOL
    for it in range(1, max_iter + 1):
        if it > LOOSE_MAX_ITER:
            rtol = KRYLOV_RTOL
        v, _ = _policy_values(K[greedy], r[greedy], linear, start, rtol, smdp.gamma_bar)
        q = r + K @ v
        _, new = _greedy(smdp, q, k)
        gain = q[new] - q[greedy]
        new = np.where(gain <= 1e-12 * (1.0 + np.abs(q[new])), greedy, new)
        if np.array_equal(new, greedy):
            if rtol > KRYLOV_RTOL:
                rtol = KRYLOV_RTOL  # evaluate the stable policy tightly, then check it again
                start = q[greedy]
                continue
            return _finish(smdp, q, f"policy iteration ({_LINEAR_NAMES[linear]})", it)
        if rtol > KRYLOV_RTOL:  # the next evaluation need only resolve this step's gains
            rtol = min(KRYLOV_LOOSE, max(KRYLOV_RTOL, GAIN_FRACTION * float(gain.max()) / scale))
        greedy = new
        start = q[greedy]
    raise RuntimeError(f"policy iteration did not stabilise in {max_iter} steps")


def value_iteration(smdp: SMDP, *, tol: float = 1e-10, max_iter: int = 1_000_000,
                    q0: np.ndarray | None = None) -> Solution:
    """Value iteration to a certified sup-norm error ``tol`` (Lemma C)."""
    g = smdp.gamma_bar
    K, r = smdp.K.tocsr(), smdp.reward
    k = _uniform_k(smdp)
    q = np.zeros(smdp.n_pairs) if q0 is None else np.array(q0, dtype=float)
    stop = tol * (1.0 - g) / max(g, 1e-300)
    for it in range(1, max_iter + 1):
        q_new = r + K @ _vmax(smdp, q, k)
        delta = float(np.max(np.abs(q_new - q), initial=0.0))
        q = q_new
        if delta <= stop:
            return _finish(smdp, q, f"value iteration (tolerance {tol:g} in sup norm)", it)
    raise RuntimeError(f"value iteration did not reach tolerance {tol} in {max_iter} sweeps")


def solve(smdp: SMDP | EpochModel, method: str = "pi", *, tol: float = 1e-10) -> Solution:
    """Solve ``Q* = T Q*`` by ``method`` ``"pi"`` (default, exact) or ``"vi"``.

    ``smdp`` is an :class:`SMDP` or an :class:`EpochModel`, whose latent SMDP (the
    centralized oracle's model, docs/theory.md §1) is solved; anything else is a ``TypeError``.
    ``T`` is a γ̄-contraction in sup norm (Lemma C: ``bellman_contraction`` in
    ``proofs/Contraction.v``), so ``Q*`` is unique and the certified error of the result is
    ``γ̄/(1−γ̄)·‖Tq − q‖∞``.
    """
    if isinstance(smdp, EpochModel):
        smdp = smdp.latent
    elif not isinstance(smdp, SMDP):
        raise TypeError(f"solve: expected an SMDP or an EpochModel, got {type(smdp).__name__}")
    if method == "pi":
        return policy_iteration(smdp)
    if method == "vi":
        return value_iteration(smdp, tol=tol)
    raise ValueError(f"method: unknown solver {method!r} (expected 'pi' or 'vi')")


def solution_frame(model: EpochModel, sol: Any, level: str = "latent") -> Any:
    """A solution's Q-values with named rows: ``level="latent"`` (pairs of ``model.latent``:
    state, agent, observation, successor) or ``"observation"`` (the AIS model's pairs: agent,
    observation, successor), with a ``greedy`` column."""
    greedy = np.zeros(len(sol.q), dtype=bool)
    greedy[np.asarray(sol.policy)] = True
    if level == "latent":
        recs = [{"state": model.state_ids[y], "agent": model.agents[model.state_agent[y]],
                 "observation": model.obs_labels[model.state_obs[y]],
                 "successor": model.successor_name(int(j)), "Q": float(q), "greedy": bool(g)}
                for y, j, q, g in zip(model.pair_state, model.pair_succ, sol.q, greedy,
                                      strict=True)]
        return frame(recs, ["state", "successor"])
    if level == "observation":
        recs = [{"agent": model.agents[model.obs_agent[o]], "observation": model.obs_labels[o],
                 "successor": model.successor_name(int(j)), "Q": float(q), "greedy": bool(g)}
                for o, j, q, g in zip(model.obs_pair_obs, model.obs_succ, sol.q, greedy,
                                      strict=True)]
        return frame(recs, ["agent", "observation", "successor"])
    raise ValueError(f"level: {level!r} is not 'latent' or 'observation'")
