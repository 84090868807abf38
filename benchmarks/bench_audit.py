"""Benchmark: the full audit of a 10,000-state IC-SMDP with tabular features (target < 60 s).

Run ``python benchmarks/bench_audit.py [--states 10000] [--seed 0] [--repeat 1]``. It builds a
random ``icsmdp-epoch/1`` instance (agents hand off to random states of their successor; each
agent observes one of ``--obs`` labels per state, so the AIS aliases ~``states/obs`` latent
states per observation), times the end-to-end :func:`icq.bounds.audit` and then each phase
separately, and prints one table (and ``--json`` one object).

This is a script, not a timed test: figures depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np
from icq.bounds import ais as ais_terms
from icq.bounds import audit
from icq.bounds.features import (
    epsilon_approx,
    kappa,
    omega,
    projected_fixed_point,
    support,
)
from icq.bounds.mixing import mixing_profile
from icq.bounds.setting import exact_solve
from icq.reference.ais import ais_model
from icq.reference.chain import stationary
from icq.reference.model import EpochModel, from_dict


def instance(n_states: int = 10_000, n_agents: int = 4, obs_per_agent: int = 25,
             seed: int = 0, end_prob: float = 0.15, max_duration: int = 5,
             gamma: float = 0.95) -> dict:
    """A random ``icsmdp-epoch/1`` document with ``n_states`` latent epoch states."""
    rng = np.random.default_rng(seed)
    agents = [f"agent{i}" for i in range(n_agents)]
    per = n_states // n_agents
    states, by_agent, succ = [], {}, {}
    for a in agents:
        by_agent[a] = [f"{a}-{k}" for k in range(per)]
        states += [{"id": sid, "agent": a, "obs": f"o{k % obs_per_agent}"}
                   for k, sid in enumerate(by_agent[a])]
        others = [b for b in agents if b != a] + ["END"]
        succ[a] = {f"o{o}": [str(x) for x in rng.choice(others, size=int(rng.integers(2, 4)),
                                                         replace=False)]
                   for o in range(obs_per_agent)}
    transitions = []
    for s in states:
        for j in succ[s["agent"]][s["obs"]]:
            p = rng.dirichlet(np.ones(3))
            outs = [{"prob": float(q), "duration": int(rng.integers(1, max_duration + 1)),
                     "reward": float(np.round(rng.normal(), 3)),
                     "next": None if (j == "END" or rng.random() < end_prob)
                     else by_agent[j][int(rng.integers(per))]} for q in p]
            transitions.append({"state": s["id"], "successor": j, "outcomes": outs})
    return {"format": "icsmdp-epoch/1", "name": f"bench-{n_states}", "gamma": gamma,
            "agents": agents, "states": states, "initial": {by_agent[agents[0]][0]: 1.0},
            "successors": succ, "transitions": transitions}


def phases(m: EpochModel) -> dict[str, float]:
    """Time each phase of the audit separately (same functions :func:`audit` calls)."""
    out: dict[str, float] = {}

    def clock(name, f, *a, **k):
        t = time.perf_counter()
        r = f(*a, **k)
        out[name] = time.perf_counter() - t
        return r

    st = clock("stationary law μ", stationary, m)
    ais = clock("AIS model (r̂, K̂)", ais_model, m, st.mu)
    clock("Q* (latent, exact)", exact_solve, m.latent)
    clock("Q̂* (AIS, exact)", exact_solve, ais.smdp)
    from icq.bounds.setting import prepare
    s = prepare(m)
    clock("ε, δ (TV), D", lambda: (ais_terms.reward_sufficiency(s), ais_terms.delta_tv(s),
                                  ais_terms.value_aware_gap(s)))
    clock("state-wise fixed point", ais_terms.ais_gap_statewise, s)
    clock("exact policy loss", ais_terms.policy_loss_exact, s)
    sup = support(m, st.mu)
    clock("A5, A6, ε_approx, θ* (tabular)", lambda: (
        omega(None, sup, tabular=True), kappa(m, None, sup, st.mu, tabular=True),
        epsilon_approx(None, s.hat.q, sup, tabular=True),
        projected_fixed_point(m, s.ais.smdp, None, sup, 0.5, 1.0, tabular=True)))
    clock("mixing: exact t_mix (all rows)", mixing_profile, m, 0.25, st=st)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--states", type=int, default=10_000)
    p.add_argument("--obs", type=int, default=25, help="observation labels per agent")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)

    t = time.perf_counter()
    doc = instance(args.states, obs_per_agent=args.obs, seed=args.seed)
    t_gen = time.perf_counter() - t
    t = time.perf_counter()
    m = from_dict(doc)
    t_load = time.perf_counter() - t
    totals = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        a = audit(m)
        totals.append(time.perf_counter() - t)
    res = a.to_json()
    ph = phases(m)
    summary = {
        "states": m.n_states, "pairs": m.n_pairs, "observations": m.n_obs,
        "observation_pairs": m.n_obs_pairs, "generate_s": t_gen, "load_s": t_load,
        "audit_s": min(totals), "audit_runs_s": totals, "phases_s": ph,
        "tau_mix": res["tau_mix"], "kappa": res["features"]["kappa"],
        "theorem1_applicable": res["theorem1"]["applicable"],
    }
    if args.json:
        print(json.dumps(summary))
        return 0
    print(f"{m.n_states} states, {m.n_pairs} latent pairs, {m.n_obs} observations, "
          f"{m.n_obs_pairs} observation pairs")
    print(f"generate {t_gen:.2f} s, load {t_load:.2f} s")
    print(f"full audit (tabular features): {min(totals):.2f} s "
          f"(runs: {', '.join(f'{x:.2f}' for x in totals)})")
    print("phases, timed separately:")
    for k, v in ph.items():
        print(f"  {k:<34} {v:7.2f} s")
    print(f"t_mix = {res['tau_mix']} ({'exact' if res['tau_mix_exact'] else 'bound'}), "
          f"κ = {res['features']['kappa']}, Theorem 1 applies: "
          f"{res['theorem1']['applicable']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
