"""Run the multi-agent reasoning experiment per dataset profile (simulated agents).

Per profile: calibrate the simulators to Table 1, check the predefined workflows' exact
accuracies, build the exact epoch model, train tabular IC-Q (uniform behaviour) per seed, and
score the greedy routing policy exactly and by Monte Carlo through the :class:`Agent` protocol.
"""

from __future__ import annotations

import numpy as np

from icq.experiments.common.gaps import GAP_KEYS, audit_numbers
from icq.experiments.common.io import progress
from icq.experiments.common.policy import greedy_obs_policy
from icq.experiments.llm import analysis
from icq.experiments.llm.agents import Agent, Conversation, calibrate, observe, simulated_agents
from icq.experiments.llm.settings import FREE, TABLE1
from icq.experiments.llm.system import (
    WORKFLOWS,
    build_model,
    reachable_sequences,
    script_policy,
    success_probability,
    workflow_accuracy,
)
from icq.reference.common.parallel import map_tasks
from icq.reference.exact.induced import ais_model
from icq.reference.exact.solve import solve
from icq.reference.learners.tabular import TrainConfig, train_tabular
from icq.reference.model import END


def routing_table(model, obs_policy) -> dict[tuple[str, str], str]:
    """``{(agent, 4-bit obs): successor}`` of a deterministic decentralized policy."""
    out = {}
    for k in np.flatnonzero(np.asarray(obs_policy) > 0.5):
        o = int(model.obs_pair_obs[k])
        out[model.obs_name(o)] = model.successor_name(int(model.obs_succ[k]))
    return out


def run_episode(agents: dict[str, Agent], table: dict[tuple[str, str], str],
                rng: np.random.Generator, max_calls: int = 50) -> bool:
    """One question through the protocol: each agent sees the conversation, the routing
    decision sees only the 4-bit observation. True if the concluded answer is correct."""
    conv = Conversation(question="simulated question", gold="A")
    agent = "commissioner"
    for _ in range(max_calls):
        nxt = table[(agent, observe(conv))]
        conv = agents[agent].act(conv, rng)
        if nxt == END:
            return conv.author == "editor" and conv.answer == conv.gold
        agent = nxt
    return False


def monte_carlo(agents, table, episodes: int, seed: int) -> float:
    rng = np.random.default_rng(seed)
    return float(np.mean([run_episode(agents, table, rng) for _ in range(episodes)]))


def run_profile(profile: str, s: dict, progress_bar: bool) -> dict:
    params = calibrate(TABLE1[profile], **FREE[profile])
    model = build_model(params, gamma=s["gamma"], thinker_steps=tuple(s["thinker_steps"]),
                        name=f"reasoning-{profile}")
    workflows = {}
    for w in WORKFLOWS:
        pi = script_policy(model, w)
        workflows[w] = {"target": TABLE1[profile][w], "exact": workflow_accuracy(params, w),
                        "model": None if pi is None else success_probability(model, pi)}
    seqs = {w: {WORKFLOWS[w]} for w in WORKFLOWS}
    hat = solve(ais_model(model).smdp)
    pi_hat = greedy_obs_policy(model, hat.q)
    agents = simulated_agents(params)
    seeds = []
    for seed in progress(range(s["seeds"]), enabled=progress_bar, desc=profile):
        res = train_tabular(model, TrainConfig(handoffs=s["handoffs"], seed=seed,
                                               omega=s["omega"]))
        pi = greedy_obs_policy(model, res.q)
        table = routing_table(model, pi)
        seeds.append({
            "seed": seed, "accuracy": success_probability(model, pi),
            "mc_accuracy": monte_carlo(agents, table, s["mc_episodes"], seed),
            "mc_episodes": s["mc_episodes"],
            "workflow": analysis.identify(reachable_sequences(model, pi), seqs),
            "routing": {f"{a} {o}": j for (a, o), j in sorted(table.items())},
            "train_seconds": res.seconds})
    gaps = audit_numbers(model)
    return {"profile": profile, "params": vars(params), "workflows": workflows,
            "direct": TABLE1[profile]["direct"], "paper_icq": TABLE1[profile]["paper_icq"],
            "states": model.n_states, "observations": model.n_obs,
            "ais_optimum": {"accuracy": success_probability(model, pi_hat),
                            "workflow": analysis.identify(reachable_sequences(model, pi_hat),
                                                          seqs)},
            "seeds": seeds, "gaps": {k: gaps[k] for k in (*GAP_KEYS, "source")}}


def _profile(job: tuple) -> dict:
    return run_profile(*job)


def run(settings: dict, *, progress_bar: bool = False, backend: str = "serial") -> dict:
    """All profiles, as independent tasks on ``backend`` (see :func:`map_tasks`); per-seed
    progress bars only when serial."""
    profiles = settings["profiles"]
    jobs = [(p, settings, progress_bar and backend == "serial") for p in profiles]
    return {"profiles": dict(zip(profiles, map_tasks(_profile, jobs, backend=backend),
                                 strict=True))}
