"""The exact reduction of a primitive model to decision epochs (docs/theory.md §1): the forward
dynamic program over one invocation (:func:`invocation_law`), the breadth-first search of the
reachable epoch states, and the epoch document (:func:`to_epoch_dict`, :func:`reduce_to_epoch`).

What the reduction preserves is said in :mod:`icq.reference.model.primitive`.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np

from icq.reference.model.epoch import EpochModel
from icq.reference.model.names import from_dict
from icq.reference.model.parse import FORMAT
from icq.reference.model.primitive.model import PrimitiveICSMDP, freeze

__all__ = ["InvocationLaw", "invocation_law", "reduce_to_epoch", "to_epoch_dict"]


@dataclass(frozen=True, eq=False)
class InvocationLaw:
    """The exact law of one invocation of ``agent`` committed to ``successor`` (docs/theory.md §1).

    Local states are flattened, ``u = (s·|Z| + z)·|X_i| + x_i``; ``M = |S|·|Z|·|X_i|``.

    Attributes
    ----------
    agent, successor : the pair ``(i, j)`` (``j = N`` is END)
    prob : (M, T_max, M) ``P(τ = t+1, u_τ = u' | u_0 = u)`` at ``[u, t, u']``
    reward : (M, T_max, M) ``E[R 1{τ = t+1, u_τ = u'} | u_0 = u]``
    reward_sq : (M, T_max, M) ``E[R² 1{τ = t+1, u_τ = u'} | u_0 = u]``
    method : how it was computed
    """

    agent: int
    successor: int
    prob: np.ndarray
    reward: np.ndarray
    reward_sq: np.ndarray
    method: str


def _invocation_arrays(model: PrimitiveICSMDP, i: int, j: int
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Forward DP over ``t = 0..T_max-1`` from every start ``u`` at once (see invocation_law)."""
    n_m = model.local_size(i)
    t_max, gamma = model.T_max, model.gamma
    pi = model.local_policy[i][model._obs_u(i)]  # (M, A)
    ker = model.kernel[i][:, :, :, :, model._kernel_col(i, j)].reshape(n_m, -1, n_m)
    rew = model.reward[i][..., model._reward_col(i, j)].reshape(n_m, -1)
    beta = model.termination[i].reshape(n_m)
    w = pi[:, :, None] * ker  # (M, A, M): π(a|u) P(u'|u,a,j)
    step = w.sum(axis=1)  # Σ_a π P
    g1 = np.einsum("ua,uav->uv", rew, w)  # Σ_a π r P
    g2 = np.einsum("ua,uav->uv", rew * rew, w)  # Σ_a π r² P
    prob = np.zeros((n_m, t_max, n_m))
    r1 = np.zeros_like(prob)
    r2 = np.zeros_like(prob)
    alive = np.eye(n_m)  # P(not ended by t, u_t = u | u_0)
    m1 = np.zeros((n_m, n_m))  # E[R_t 1{alive, u_t}], R_t = Σ_{t'<t} γ^{t'} r_{t'}
    m2 = np.zeros((n_m, n_m))  # E[R_t² 1{alive, u_t}]
    for t in range(t_max):
        disc = gamma ** t
        nxt = alive @ step
        nxt1 = m1 @ step + disc * (alive @ g1)
        nxt2 = m2 @ step + 2.0 * disc * (m1 @ g1) + disc * disc * (alive @ g2)
        stop = beta if t + 1 < t_max else np.ones(n_m)
        prob[:, t], r1[:, t], r2[:, t] = nxt * stop, nxt1 * stop, nxt2 * stop
        cont = 1.0 - stop
        alive, m1, m2 = nxt * cont, nxt1 * cont, nxt2 * cont
        if not alive.any():
            break
    return prob, r1, r2


def invocation_law(model: PrimitiveICSMDP, agent: int, successor: int) -> InvocationLaw:
    """The exact joint law of (``τ``, end local state, ``R``) of one invocation (docs/theory.md §1).

    Forward dynamic program over ``t = 0..T_max-1``, vectorised over all start states: the
    sub-probability ``α_t(u)`` of being in ``u`` and not yet ended, and the moments
    ``E[R_t 1{·}]``, ``E[R_t² 1{·}]`` of the partial reward ``R_t = Σ_{t'<t} γ^{t'} r_{t'}``,
    are pushed through one step (actions are summed out jointly with the reward they earn)
    and split by ``β`` into "ends at ``τ = t + 1``" and "continues". Cost
    ``O(T_max·M³)`` time and ``O(T_max·M²)`` memory, ``M = |S|·|Z|·|X_i|``.

    Parameters
    ----------
    model : the primitive model
    agent : ``i`` in ``0..N-1``
    successor : ``j`` in ``0..N`` (``N`` is END), ``j ≠ i``

    Returns
    -------
    InvocationLaw
        ``prob``, ``reward``, ``reward_sq`` of shape ``(M, T_max, M)``.
    """
    n = model.n_agents
    if isinstance(agent, bool) or not isinstance(agent, numbers.Integral) or not 0 <= agent < n:
        raise ValueError(f"agent: {agent!r} is not an agent index in 0..{n - 1}")
    if (isinstance(successor, bool) or not isinstance(successor, numbers.Integral)
            or not 0 <= successor <= n or successor == agent):
        raise ValueError(f"successor: {successor!r} is not a successor index in 0..{n} (N = END)"
                         f" other than the agent {agent}")
    prob, r1, r2 = _invocation_arrays(model, int(agent), int(successor))
    return InvocationLaw(int(agent), int(successor), freeze(prob), freeze(r1), freeze(r2),
                         method="exact forward dynamic program over one invocation "
                         "(docs/theory.md §1)")


# ---------------------------------------------------------------------------------------
# The reduction to the epoch model
# ---------------------------------------------------------------------------------------


class _Reducer:
    """Breadth-first search of the reachable epoch states with cached invocation laws."""

    def __init__(self, model: PrimitiveICSMDP):
        self.m = model
        self.shape = model.epoch_shape
        self.laws: dict[tuple[int, int, int], tuple[np.ndarray, np.ndarray]] = {}
        g = model.gamma
        self.horizon = (1.0 - g ** np.arange(1, model.T_max + 1)) / (1.0 - g)  # Σ_{t<τ} γ^t

    def law(self, i: int, j: int) -> tuple[np.ndarray, np.ndarray]:
        key = (i, self.m._kernel_col(i, j), self.m._reward_col(i, j))
        if key not in self.laws:
            prob, r1, _ = _invocation_arrays(self.m, i, j)
            self.laws[key] = (prob, r1)
        return self.laws[key]

    def outcomes(self, y: np.ndarray, j: int
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(prob, duration, reward, next code or -1) of the pair ``(y, j)``."""
        m = self.m
        i = int(y[0])
        u0 = int(m._local_index(i, y[1], y[2], y[3 + i]))
        prob, r1 = self.law(i, j)
        p, w = prob[u0], r1[u0]  # (T, M)
        if j == m.END:
            p, w = p.sum(axis=1), w.sum(axis=1)
            (t_idx,) = np.nonzero(p > 0)
            pr, wr = p[t_idx], w[t_idx]
            nxt = np.full(len(t_idx), -1, dtype=np.int64)
        else:
            t_idx, u1 = np.nonzero(p > 0)
            pr, wr = p[t_idx, u1], w[t_idx, u1]
            s1, z1, x1 = np.unravel_index(u1, (m.n_latent, m.n_interface, m.n_private[i]))
            rows = np.repeat(y[None, :], len(u1), axis=0)
            rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3 + i] = j, s1, z1, x1
            nxt = np.ravel_multi_index(rows.T, self.shape)
        # E[R | τ, y'] lies in [min r, max r]·Σ_{t<τ} γ^t; clipping only removes rounding
        # noise of outcomes whose probability underflows (the products prob·reward are exact).
        used = m._used_reward_cols(i)
        rew_all = m.reward[i][..., used]
        h = self.horizon[t_idx]
        lo, hi = rew_all.min() * h, rew_all.max() * h
        reward = np.clip(wr / pr, lo, hi)
        return pr, t_idx + 1, reward, nxt

    def run(self) -> tuple[list[int], dict[int, list[tuple[int, tuple]]]]:
        m = self.m
        start = np.flatnonzero(m.initial.ravel() > 0)
        seen = set(int(c) for c in start)
        queue = sorted(seen)
        trans: dict[int, list[tuple[int, tuple]]] = {}
        while queue:
            code = queue.pop()
            y = np.array(np.unravel_index(code, self.shape), dtype=np.int64)
            i, o = int(y[0]), m.observe(y)
            trans[code] = []
            for j in np.flatnonzero(m.successors[i][o]):
                out = self.outcomes(y, int(j))
                trans[code].append((int(j), out))
                for c in out[3]:
                    if c >= 0 and int(c) not in seen:
                        seen.add(int(c))
                        queue.append(int(c))
        return sorted(seen), trans


def to_epoch_dict(model: PrimitiveICSMDP) -> dict[str, Any]:
    """The exact epoch-level model as an ``icsmdp-epoch/1`` document (docs/theory.md §1, FORMAT.md).

    States are the epoch states reachable from ``ν₀`` under every admissible successor, in
    row-major order of ``(i, s, z, x_1..x_N)``, with ids ``"agent|s|z|x_1,...,x_N"`` and
    ``obs`` = the label of ``O_i(z, x_i)``. Each pair ``(y, j)`` gets one outcome per
    ``(τ, y')`` of positive probability (per ``τ`` when ``j = END``, with ``next = null``),
    ``prob = P(τ, y')``, ``duration = τ``, ``reward = E[R | τ, y']``; so ``r̄``, ``K`` and the
    joint law of ``(τ, Y')`` are exact. Successors and behaviour are listed for the observation
    labels that reachable states use.

    Parameters
    ----------
    model : the primitive model

    Returns
    -------
    dict
        A document that :func:`icq.reference.model.from_dict` accepts.
    """
    red = _Reducer(model)
    codes, trans = red.run()
    shape = red.shape
    ys = {c: np.array(np.unravel_index(c, shape), dtype=np.int64) for c in codes}
    ids = {c: model.state_id(ys[c]) for c in codes}
    states, successors, behavior, transitions = [], {}, {}, []
    init_flat = model.initial.ravel()
    for c in codes:
        y = ys[c]
        i, o = int(y[0]), model.observe(y)
        agent, label = model.agents[i], model.obs_labels[i][o]
        states.append({"id": ids[c], "agent": agent, "obs": label})
        js = np.flatnonzero(model.successors[i][o])
        successors.setdefault(agent, {})[label] = [model.successor_name(int(j)) for j in js]
        behavior.setdefault(agent, {})[label] = {
            model.successor_name(int(j)): float(model.behavior[i][o, j]) for j in js}
        for j, (pr, dur, rew, nxt) in trans[c]:
            transitions.append({
                "state": ids[c],
                "successor": model.successor_name(j),
                "outcomes": [
                    {"prob": float(p), "duration": int(d), "reward": float(r),
                     "next": None if nx < 0 else ids[int(nx)]}
                    for p, d, r, nx in zip(pr, dur, rew, nxt, strict=True)],
            })
    return {
        "format": FORMAT,
        "name": model.name,
        "gamma": model.gamma,
        "agents": list(model.agents),
        "states": states,
        "initial": {ids[c]: float(init_flat[c]) for c in codes if init_flat[c] > 0},
        "successors": successors,
        "transitions": transitions,
        "behavior": behavior,
    }


def reduce_to_epoch(model: PrimitiveICSMDP) -> EpochModel:
    """The exact epoch model of a primitive model (docs/theory.md §1): ``from_dict(to_epoch_dict)``.

    Going through the loader means the result satisfies every rule of FORMAT.md by
    construction. See :func:`to_epoch_dict` for what is exact.
    """
    return from_dict(to_epoch_dict(model))
