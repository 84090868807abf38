"""Run the routing experiment: per family and seed, build the graph and its epoch model, train
tabular IC-Q under the uniform behaviour policy, and score the greedy decentralized policy."""

from __future__ import annotations

import numpy as np

from icq.experiments.common.gaps import GAP_KEYS, audit_numbers
from icq.experiments.common.policy import greedy_obs_policy
from icq.experiments.routing import analysis, env
from icq.reference.common.parallel import map_tasks
from icq.reference.exact.solve import solve
from icq.reference.learners.tabular import TrainConfig, train_tabular


def _oracle_agreement(model, q, tol=1e-9) -> float:
    """Fraction of latent states whose greedy successor attains ``max_j Q*`` (σ injective)."""
    star = solve(model.latent)
    pi = greedy_obs_policy(model, q)[model.pair_obs_pair]
    best = model.latent.vmax(star.q)
    chosen = np.add.reduceat(pi * star.q, model.pair_ptr[:-1])
    return float(np.mean(chosen >= best - tol * (1 + np.abs(best))))


def run_one(family: str, params: dict, seed: int, s: dict) -> dict:
    g = env.make_graph(family, params, seed)
    m = env.routing_model(g, name=f"routing-{family}-seed{seed}", **s)
    res = train_tabular(m, TrainConfig(handoffs=s["handoffs"], seed=seed, omega=s["omega"]))
    pi = greedy_obs_policy(m, res.q)
    dec = env.decisions(m, pi)
    sh = env.shortest_next_hops(g)
    gaps = audit_numbers(m)
    return {"seed": seed, "nodes": g.number_of_nodes(), "edges": g.number_of_edges(),
            "states": m.n_states, "packet_accuracy": analysis.packet_accuracy(dec, sh),
            "decision_accuracy": analysis.decision_accuracy(dec, sh),
            "oracle_agreement": _oracle_agreement(m, res.q),
            "unvisited_pairs": int((res.visits == 0).sum()), "seconds": res.seconds,
            "gaps": {k: gaps[k] for k in (*GAP_KEYS, "source")}}


def _job(job: tuple) -> dict:
    return run_one(*job)


def run(settings: dict, *, progress_bar: bool = False, backend: str = "serial") -> dict:
    """All (family, seed) jobs, as independent tasks on ``backend`` (see :func:`map_tasks`)."""
    jobs = [(f, p, seed, settings) for f, p in settings["families"].items()
            for seed in range(settings["seeds"])]
    runs: dict[str, list] = {f: [] for f in settings["families"]}
    for job, out in zip(jobs, map_tasks(_job, jobs, backend=backend, progress=progress_bar),
                        strict=True):
        runs[job[0]].append(out)
    return {"runs": runs}
