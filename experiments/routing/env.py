"""Routers on a graph as an epoch-level IC-SMDP (FORMAT.md ``icsmdp-epoch/1``).

Latent epoch state ``y = (router i, destination d, detain flag f)`` with ``i ≠ d``; router
``i`` observes exactly ``(d, f)``, so σ is injective and ε = δ = Δ_AIS = 0 (the exact-AIS
regime). The successor is a neighbour ``j`` of ``i`` (the next hop); END is never admissible:
the episode ends when the packet reaches ``d``. One invocation is one hop:

- duration ``τ = 1`` if the packet is free (f = 0); if it is detained (f = 1) it waits
  ``k ≥ 1`` extra steps, ``P(k) = s(1 − s)^{k−1}`` with ``s`` = ``detain_stop``, the hop forced
  to end at ``T_max`` (so ``τ ∈ 2..T_max``);
- reward ``R = −c Σ_{t<τ} γ^t`` (``c`` = ``step_cost``) plus ``γ^{τ−1}·B`` when ``j = d``
  (``B`` = ``delivery_reward``);
- next state ``(j, d, f')`` with ``f' = 1`` with probability ``p_detain``, or the end of the
  episode when ``j = d``.

Packets start free at a uniform (source, destination) pair. The detention law is the same at
every router, so the optimal next hops are exactly the shortest-path next hops.

>>> import networkx as nx
>>> m = routing_model(nx.path_graph(3), gamma=0.9, step_cost=0.1, delivery_reward=1.0,
...                   p_detain=0.5, detain_stop=0.5, T_max=3)
>>> m.n_states, m.n_agents
(12, 3)
"""

from __future__ import annotations

import networkx as nx
import numpy as np

from icq.reference.model import EpochModel, from_dict

__all__ = ["make_graph", "routing_model", "state_id", "obs_label", "detained_durations"]


def make_graph(family: str, params: dict, seed: int) -> nx.Graph:
    """A connected graph of ``family`` (``erdos_renyi``, ``barabasi_albert``,
    ``watts_strogatz``, ``chain``); Erdős–Rényi draws are repeated until connected."""
    n = int(params["n"])
    if family == "erdos_renyi":
        for k in range(1000):
            g = nx.gnp_random_graph(n, params["p"], seed=seed * 1000 + k)
            if nx.is_connected(g):
                return g
        raise ValueError(f"erdos_renyi: no connected G({n}, {params['p']}) in 1000 draws")
    if family == "barabasi_albert":
        return nx.barabasi_albert_graph(n, params["m"], seed=seed)
    if family == "watts_strogatz":
        return nx.connected_watts_strogatz_graph(n, params["k"], params["p"], tries=1000,
                                                 seed=seed)
    if family == "chain":
        return nx.path_graph(n)
    raise ValueError(f"family: unknown graph family {family!r}")


def detained_durations(detain_stop: float, T_max: int) -> list[tuple[int, float]]:
    """``[(τ, P(τ))]`` of a detained hop: ``τ = 1 + k``, k geometric, forced at ``T_max``."""
    if T_max < 2:
        raise ValueError("T_max: a detained hop takes at least 2 steps, so T_max >= 2")
    out = []
    rest = 1.0
    for tau in range(2, T_max + 1):
        p = rest if tau == T_max else rest * detain_stop
        out.append((tau, p))
        rest -= p
    return out


def router(i: int) -> str:
    return f"r{i}"


def obs_label(d: int, f: int) -> str:
    return f"to r{d}, {'detained' if f else 'free'}"


def state_id(i: int, d: int, f: int) -> str:
    return f"r{i}|{obs_label(d, f)}"


def routing_model(g: nx.Graph, *, gamma: float, step_cost: float, delivery_reward: float,
                  p_detain: float, detain_stop: float, T_max: int, name: str = "routing",
                  **_: object) -> EpochModel:
    """The epoch model of routing on ``g`` (nodes relabelled 0..n-1; see the module docstring)."""
    g = nx.convert_node_labels_to_integers(g)
    n = g.number_of_nodes()
    if not nx.is_connected(g):
        raise ValueError("graph: routing needs a connected graph")
    durations = {0: [(1, 1.0)], 1: detained_durations(detain_stop, T_max)}
    states, succ, beh, trans = [], {}, {}, []
    initial = {}
    for i in range(n):
        nbrs = sorted(g.neighbors(i))
        for d in range(n):
            if d == i:
                continue
            for f in (0, 1):
                sid, lab = state_id(i, d, f), obs_label(d, f)
                states.append({"id": sid, "agent": router(i), "obs": lab})
                succ.setdefault(router(i), {})[lab] = [router(j) for j in nbrs]
                beh.setdefault(router(i), {})[lab] = {router(j): 1.0 / len(nbrs) for j in nbrs}
                if f == 0:
                    initial[sid] = 1.0
                for j in nbrs:
                    outs = []
                    for tau, pt in durations[f]:
                        cost = -step_cost * (1 - gamma ** tau) / (1 - gamma)
                        if j == d:
                            outs.append({"prob": pt, "duration": tau, "next": None,
                                         "reward": cost + gamma ** (tau - 1) * delivery_reward})
                            continue
                        for f2, pf in ((0, 1.0 - p_detain), (1, p_detain)):
                            if pf > 0:
                                outs.append({"prob": pt * pf, "duration": tau, "reward": cost,
                                             "next": state_id(j, d, f2)})
                    trans.append({"state": sid, "successor": router(j), "outcomes": outs})
    total = sum(initial.values())
    doc = {"format": "icsmdp-epoch/1", "name": name, "gamma": gamma,
           "agents": [router(i) for i in range(n)], "states": states,
           "initial": {k: v / total for k, v in initial.items()}, "successors": succ,
           "transitions": trans, "behavior": beh}
    return from_dict(doc)


def shortest_next_hops(g: nx.Graph) -> dict[tuple[int, int], set[int]]:
    """``{(i, d): {neighbours j of i with dist(j, d) = dist(i, d) − 1}}`` for ``i ≠ d``."""
    g = nx.convert_node_labels_to_integers(g)
    dist = dict(nx.all_pairs_shortest_path_length(g))
    return {(i, d): {j for j in g.neighbors(i) if dist[j][d] == dist[i][d] - 1}
            for i in g.nodes for d in g.nodes if i != d}


def decisions(model: EpochModel, obs_policy: np.ndarray) -> dict[tuple[int, int, int], int]:
    """``{(i, d, f): next hop}`` of a deterministic decentralized policy of a routing model."""
    out = {}
    for k in np.flatnonzero(np.asarray(obs_policy) > 0.5):
        o = int(model.obs_pair_obs[k])
        agent, label = model.obs_name(o)
        dest, flag = label.split(", ")
        out[(int(agent[1:]), int(dest[4:]), int(flag == "detained"))] = int(
            model.agents[model.obs_succ[k]][1:])
    return out
