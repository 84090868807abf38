"""A primitive-level IC-SMDP family with a retention knob ρ (paper §5.1; docs/theory.md §1).

The family (all sizes are settings):

- ``N`` pre-configured agents; one latent state (``|S| = 1``); the interface artifact
  ``z ∈ {0,1}^d`` (``d`` binary features ``z_0..z_{d−1}``, index ``Σ_k z_k 2^k``).
- Private state ``x_i ∈ {0..T_max−1}``: agent ``i``'s progress counter inside its invocation.
  Each primitive step it returns to 0 and the agent hands off with probability ``p``, else it
  advances; from ``T_max − 1`` it returns to 0 surely. With ``β_i(x') = 1{x' = 0}`` this is the
  per-step handoff probability ``p`` with geometric durations truncated at ``T_max``
  (the law of :func:`icq.reference.model.primitive.geometric_handoff`), and every invocation starts
  at ``x_i = 0``. A private state that persisted across invocations would be hidden from the
  predecessor that picks the successor, so even ρ = 1 would not be exact; the counter keeps
  private states while making ρ = 1 exact (Δ_AIS = 0).
- Local policy (pre-configured, the same for every ρ): agent ``i`` works on feature ``a`` with
  probability ``π_i^loc(a)`` (``local="uniform"``, or ``"dirichlet"``: drawn once per seed) and
  flips it with probability ``flip``; it does not depend on the observation, so the physical
  system is the same for all ρ.
- Reward per step ``r_i(z, j) = W[i, j] · (2z − 1)``: how well the artifact suits the committed
  successor ``j`` (``j = END``: suits ending). ``W[i, j, k] = g·decay^k`` with ``g ~ N(0, 1)``
  (``weights="gaussian"``), a random sign (``"signs"``), or ``g = c_j w_k`` with
  ``c_j, w_k ~ N(0, 1)`` (``"shared"``: one feature score ``w·(2z − 1)`` that each successor
  likes or dislikes to its own degree ``c_j``), or ``g = ±U(0.5, 1)`` on feature ``i mod d`` only
  (``"specialist"``: agent ``i``'s handoff decision hinges on its own feature, so hiding
  feature ``k`` costs the decisions of the agents that watch it, to first order in its
  weight). With ``decay < 1`` later features matter less, so dropping them first (lower ρ)
  degrades the interface gradually.
- Observation ``O_i(z, x_i) = (z_0..z_{k−1}, x_i)`` with ``k = ⌈ρ d⌉``: ρ = 1 sees all of ``z``.
- Successors ``J_i(o) = {agents ≠ i} ∪ {END}``; behaviour π_b puts ``end_prob`` on END and
  splits the rest evenly; ``ν₀`` uniform over (agent, z) with all counters 0.

>>> prim, m = synthetic_model(d=3, n_agents=2, rho=1.0, p=0.5, T_max=3, gamma=0.8, seed=0)
>>> m.n_states, m.n_obs, m.T_max
(16, 16, 3)
>>> _, m2 = synthetic_model(d=3, n_agents=2, rho=0.3, p=0.5, T_max=3, gamma=0.8, seed=0)
>>> m2.n_states, m2.n_obs
(16, 4)
"""

from __future__ import annotations

import math

import numpy as np

from icq.reference.model import EpochModel, from_dict
from icq.reference.model.primitive import PrimitiveICSMDP, reduce_to_epoch

__all__ = ["retained", "synthetic_primitive", "synthetic_model", "with_retention"]


def retained(rho: float, d: int) -> int:
    """``k = ⌈ρ d⌉`` features kept, for ``ρ ∈ (0, 1]``.

    >>> [retained(r, 5) for r in (0.2, 0.4, 0.6, 0.8, 1.0)]
    [1, 2, 3, 4, 5]
    """
    if not 0.0 < rho <= 1.0:
        raise ValueError(f"rho: {rho} is not in (0, 1]")
    return min(d, max(1, math.ceil(rho * d - 1e-9)))


def synthetic_primitive(*, d: int, n_agents: int, rho: float, p: float, T_max: int,  # noqa: N803
                        gamma: float, seed: int, flip: float = 0.5, decay: float = 0.7,
                        end_prob: float | None = None, reward_scale: float = 1.0,
                        weights: str = "gaussian", local: str = "dirichlet") -> PrimitiveICSMDP:
    """The primitive model of the family (see the module docstring)."""
    rng = np.random.default_rng(seed)
    N, nz, T = n_agents, 2 ** d, T_max
    k = retained(rho, d)
    feats = ((np.arange(nz)[:, None] >> np.arange(d)) & 1) * 2.0 - 1.0  # (|Z|, d) in ±1
    if weights == "gaussian":
        g = rng.normal(size=(N, N + 1, d))
    elif weights == "signs":
        g = rng.choice([-1.0, 1.0], size=(N, N + 1, d))
    elif weights == "specialist":
        g = np.zeros((N, N + 1, d))
        for i in range(N):
            g[i, :, i % d] = rng.choice([-1.0, 1.0], size=N + 1) * rng.uniform(0.5, 1.0, N + 1)
    elif weights == "shared":
        g = rng.normal(size=(1, N + 1, 1)) * rng.normal(size=(1, 1, d))
        g = np.repeat(g, N, axis=0)
    else:
        raise ValueError(f"weights: {weights!r} is not 'gaussian', 'signs', 'shared' or "
                         "'specialist'")
    W = g * decay ** np.arange(d) * reward_scale
    if local == "dirichlet":
        loc = rng.dirichlet(np.ones(d), size=N)
    elif local == "uniform":
        loc = np.full((N, d), 1.0 / d)
    else:
        raise ValueError(f"local: {local!r} is not 'dirichlet' or 'uniform'")

    # counter dynamics: x -> 0 w.p. p (hand off), else x + 1; T_max - 1 -> 0 surely
    C = np.zeros((T, T))
    for x in range(T):
        if x == T - 1:
            C[x, 0] = 1.0
        else:
            C[x, 0] += p
            C[x, x + 1] += 1.0 - p
    # artifact dynamics under action a: flip feature a with probability `flip`
    Z = np.zeros((d, nz, nz))
    for a in range(d):
        Z[a, np.arange(nz), np.arange(nz) ^ (1 << a)] += flip
        Z[a, np.arange(nz), np.arange(nz)] += 1.0 - flip
    # kernel (|S|, |Z|, |X|, |A|, 1, |S|, |Z|, |X|)
    ker = np.einsum("azw,xy->zxawy", Z, C).reshape(1, nz, T, d, 1, 1, nz, T)
    term = np.zeros((1, nz, T))
    term[0, :, 0] = 1.0
    obs = ((np.arange(nz) & (2 ** k - 1))[:, None] * T + np.arange(T)[None, :]).astype(np.int64)
    n_obs = 2 ** k * T
    labels = tuple(f"z[:{k}]={''.join(str((zz >> b) & 1) for b in range(k))}|x={x}"
                   for zz in range(2 ** k) for x in range(T))
    observation, successors, local, kernel, reward, behaviour = [], [], [], [], [], []
    for i in range(N):
        observation.append(obs)
        s = np.ones((n_obs, N + 1), dtype=bool)
        s[:, i] = False
        successors.append(s)
        local.append(np.repeat(loc[i][None, :], n_obs, axis=0))
        kernel.append(ker)
        r = np.einsum("jk,zk->zj", W[i], feats)  # (|Z|, N+1)
        reward.append(np.broadcast_to(r[None, :, None, None, :], (1, nz, T, d, N + 1)).copy())
        b = np.zeros(N + 1)
        if end_prob is None:
            b[[j for j in range(N + 1) if j != i]] = 1.0 / N
        else:
            b[[j for j in range(N) if j != i]] = (1.0 - end_prob) / (N - 1)
            b[N] = end_prob
        behaviour.append(np.repeat(b[None, :], n_obs, axis=0))
    init = np.zeros((N, 1, nz, *([T] * N)))
    init[(slice(None), 0, slice(None)) + (0,) * N] = 1.0 / (N * nz)
    return PrimitiveICSMDP(
        observation=tuple(observation), successors=tuple(successors),
        local_policy=tuple(local), kernel=tuple(kernel), reward=tuple(reward),
        termination=tuple(term for _ in range(N)), initial=init, gamma=gamma, T_max=T_max,
        behavior=tuple(behaviour), agents=tuple(f"agent{i}" for i in range(N)),
        obs_labels=tuple(labels for _ in range(N)),
        name=f"synthetic-d{d}-N{N}-rho{rho:g}-p{p:g}-seed{seed}")


def synthetic_model(**kw) -> tuple[PrimitiveICSMDP, EpochModel]:
    """The primitive model and its exact epoch model (:func:`reduce_to_epoch`)."""
    prim = synthetic_primitive(**kw)
    return prim, reduce_to_epoch(prim)


def with_retention(model: EpochModel, rho: float, d: int) -> EpochModel:
    """The epoch model of the same family at retention ``rho``, from one at any retention.

    The local policies ignore the observation, so the primitive dynamics, the latent epoch
    states and their outcome laws do not depend on ρ; only σ does. This relabels each state's
    observation to ``(z_0..z_{k−1}, x_i)`` (``k = ⌈ρ d⌉``), keeping the per-agent admissible sets
    and behaviour (which do not depend on the observation in this family). It equals
    ``reduce_to_epoch(synthetic_primitive(..., rho=rho))`` (tested) at a fraction of the cost.
    """
    k = retained(rho, d)
    doc = model.to_dict()
    first_label = {}
    for st in doc["states"]:
        first_label.setdefault(st["agent"], st["obs"])
    succ, beh = {}, {}
    for st in doc["states"]:
        _agent, _s, z, xs = st["id"].split("|")
        x = xs.split(",")[doc["agents"].index(st["agent"])]
        zz = int(z)
        label = f"z[:{k}]={''.join(str((zz >> b) & 1) for b in range(k))}|x={x}"
        a, old = st["agent"], st["obs"]
        succ.setdefault(a, {})[label] = doc["successors"][a][old]
        beh.setdefault(a, {})[label] = doc["behavior"][a][old]
        st["obs"] = label
    doc["successors"], doc["behavior"] = succ, beh
    doc["name"] = f"{doc['name']}-retention{rho:g}"
    return from_dict(doc)
