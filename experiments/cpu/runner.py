"""Run the CPU experiment with the library's adaptable IC-Q
(:func:`icq.reference.learners.adaptable.train_adaptable`): train on the lowest 20% of the integer
range, then run every agent's greedy choices on every target."""

from __future__ import annotations

import time

import numpy as np

from icq.experiments.cpu.env import CPUEnv
from icq.experiments.cpu.machine import AGENTS, LOCAL_ACTIONS, Machine
from icq.reference.common.parallel import map_tasks
from icq.reference.learners.adaptable import AdaptableConfig, make_agents, train_adaptable


def rollout(env: CPUEnv, agents, target: int) -> tuple[bool, list[str]]:
    """The greedy program on ``target``: True if it ends with ``OUT = t``; the trace."""
    env.start(target)
    trace = []
    for _ in range(env.cap + 1):
        me = agents[env.active()]
        name = AGENTS[env.active()]
        a = me.act(env.observe(), env.local_actions())
        env.step_local(a)
        j = me.choose(env.observe(), env.successors())
        trace.append(f"{name}: {LOCAL_ACTIONS[name][a]} -> "
                     f"{'END' if j == len(AGENTS) else AGENTS[j]}")
        env.handoff(j)
        if j == len(AGENTS):
            return env.solved(), trace
    return False, trace


def run_one(kind: str, seed: int, s: dict) -> dict:
    machine = Machine(s["bits"], s["digit_bits"])
    n = 1 << s["bits"]
    n_train = max(1, int(s["train_fraction"] * n))
    train, test = np.arange(n_train), np.arange(n_train, n)
    cap = s["max_handoffs_per_digit"] * machine.n + 4
    env = CPUEnv(machine, train, kind=kind, cap=cap, gamma=s["gamma"], order_seed=seed)
    agents = make_agents(env, s["optimism"])
    phases = s["phases"]
    e0, e1 = s["epsilon"]
    t0 = time.perf_counter()
    method = ""
    # ε decayed in phases; the agents keep learning across them. max_episode_steps = cap + 2 so
    # that the forced END after ``cap`` handoffs is reached and learned from (cap + 1 local
    # steps), rather than the episode being cut just before it.
    for k in range(phases):
        eps = e0 + (e1 - e0) * k / max(1, phases - 1)
        res = train_adaptable(env, AdaptableConfig(
            episodes=s["episodes"] // phases, alpha=s["alpha"], epsilon=eps,
            q_init=s["optimism"], seed=seed * 1000 + k, max_episode_steps=cap + 2),
            agents=agents)
        method = res.method
    seconds = time.perf_counter() - t0
    ok_test = [rollout(env, agents, int(t))[0] for t in test]
    ok_train = [rollout(env, agents, int(t))[0] for t in train]
    _, trace = rollout(env, agents, int(test[-1]))
    return {"observations": kind, "seed": seed, "train_targets": int(n_train),
            "test_targets": int(len(test)), "train_accuracy": float(np.mean(ok_train)),
            "test_accuracy": float(np.mean(ok_test)),
            "failed_train_targets": [int(t) for t, ok in zip(train, ok_train, strict=True)
                                     if not ok][:20],
            "seconds": seconds, "program": trace[:12], "method": method, "note": res.note,
            "table_entries": int(sum(len(g.q_loc) + len(g.q_succ) for g in agents))}


def _job(job: tuple) -> dict:
    return run_one(*job)


def run(settings: dict, *, progress_bar: bool = False, backend: str = "serial") -> dict:
    """All (observations, seed) jobs, as independent tasks on ``backend`` (see
    :func:`map_tasks`)."""
    jobs = [(k, seed, settings) for k in settings["observations"]
            for seed in range(settings["seeds"])]
    return {"runs": map_tasks(_job, jobs, backend=backend, progress=progress_bar)}
