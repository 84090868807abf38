"""Benchmark: the full audit of an IC-SMDP with tabular features at 10³…10⁶ states
(targets: 10⁵ states < 60 s, 10⁶ states < 10 min and < 16 GB).

Run ``python benchmarks/bench_audit.py [--states 10000 ...] [--generator document|arrays]
[--exact-mixing] [--seed 0] [--repeat 1] [--json]``. For each size it builds a random instance,
times the end-to-end :func:`icq.bounds.audit` and then each phase separately, and prints one table
per size (``--json``: one object, a list of sizes). ``--generator document`` builds an
``icsmdp-epoch/1`` document (agents hand off to random states of their successor; each agent
observes one of ``--obs`` labels per state, so the AIS aliases ~``states/obs`` latent states per
observation) and loads it; ``arrays`` draws the same kind of model directly as arrays with
:func:`icq.reference.model.generate.random_model` (4 agents, ``--obs`` labels per agent, 3
admissible successors, 3 outcomes, p_terminal 0.15, durations 1..5, γ = 0.95, ν₀ on agent 0), which
is what makes 10⁶ states affordable to build. ``--exact-mixing`` also times the exact all-rows
mixing computation on the same instance (side by side with the method the audit uses). Peak memory
is the process's peak resident set (``resource.getrusage``), measured right after the audit of the
first size (so run one size per process for a clean figure).

This is a script, not a timed test: figures depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import resource
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
from icq.bounds.setting import exact_solve, prepare
from icq.reference.exact.chain import stationary
from icq.reference.exact.induced import ais_model
from icq.reference.exact.mixing import mixing_profile
from icq.reference.model import EpochModel, from_dict
from icq.reference.model.generate import random_model


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


def array_instance(n_states: int, obs_per_agent: int = 25, seed: int = 0) -> EpochModel:
    """The ``--generator arrays`` instance (see the module docstring)."""
    return random_model(n_states, n_agents=4, obs_per_agent=obs_per_agent, successors=3,
                        outcomes=3, p_terminal=0.15, max_duration=5, gamma=0.95,
                        initial="agent0", seed=seed, name=f"bench-{n_states}")


def peak_rss_mib() -> float:
    """The process's peak resident set so far, MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def phases(m: EpochModel, exact_mixing: bool = False) -> dict[str, float | int | str]:
    """Time each phase of the audit separately (same functions :func:`audit` calls)."""
    out: dict[str, float | int | str] = {}

    def clock(name, f, *a, **k):
        t = time.perf_counter()
        r = f(*a, **k)
        out[name] = time.perf_counter() - t
        return r

    st = clock("stationary law μ", stationary, m)
    ais = clock("AIS model (r̂, K̂)", ais_model, m, st.mu)
    clock("Q* (latent, exact)", exact_solve, m.latent)
    clock("Q̂* (AIS, exact)", exact_solve, ais.smdp)
    s = prepare(m)
    clock("ε, δ (TV), D", lambda: (ais_terms.reward_sufficiency(s), ais_terms.delta_l1(s),
                                  ais_terms.value_aware_gap(s)))
    clock("state-wise fixed point", ais_terms.ais_gap_statewise, s)
    clock("exact policy loss", ais_terms.policy_loss_exact, s)
    sup = support(m, st.mu)
    clock("A5, A6, ε_approx, θ* (tabular)", lambda: (
        omega(None, sup, tabular=True), kappa(m, None, sup, st.mu, tabular=True),
        epsilon_approx(None, s.hat.q, sup, tabular=True),
        projected_fixed_point(m, s.ais.smdp, None, sup, 0.5, 1.0, tabular=True)))
    prof = clock("mixing: t_mix (the audit's method)", mixing_profile, m, 0.25, st=st)
    out["mixing method"] = prof.method.split(":")[0]
    out["t_mix from it"] = prof.tau(0.25).tau
    if exact_mixing:
        ex = clock("mixing: exact t_mix (all rows)", mixing_profile, m, 0.25, st=st,
                   method="exact")
        out["exact t_mix"] = ex.tau(0.25).tau
    return out


def run(n_states: int, args: argparse.Namespace) -> dict:
    """Build, audit and time one instance; the summary object."""
    t = time.perf_counter()
    if args.generator == "arrays":
        m = array_instance(n_states, args.obs, args.seed)
        t_gen, t_load = time.perf_counter() - t, 0.0
    else:
        doc = instance(n_states, obs_per_agent=args.obs, seed=args.seed)
        t_gen = time.perf_counter() - t
        t = time.perf_counter()
        m = from_dict(doc)
        t_load = time.perf_counter() - t
    totals = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        a = audit(m)
        totals.append(time.perf_counter() - t)
    rss = peak_rss_mib()
    res = a.to_json()
    ph = phases(m, args.exact_mixing)
    return {
        "states": m.n_states, "pairs": m.n_pairs, "observations": m.n_obs,
        "observation_pairs": m.n_obs_pairs, "generator": args.generator,
        "generate_s": t_gen, "load_s": t_load,
        "audit_s": min(totals), "audit_runs_s": totals, "peak_rss_mib": rss, "phases_s": ph,
        "tau_mix": res["tau_mix"], "tau_mix_exact": res["tau_mix_exact"],
        "mixing_method": a.mixing.method, "kappa": res["features"]["kappa"],
        "theorem1_applicable": res["theorem1"]["applicable"],
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--states", type=int, nargs="+", default=[10_000])
    p.add_argument("--obs", type=int, default=25, help="observation labels per agent")
    p.add_argument("--generator", choices=("document", "arrays"), default="document")
    p.add_argument("--exact-mixing", action="store_true",
                   help="also time the exact all-rows mixing computation")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    out = []
    for n in args.states:
        r = run(n, args)
        out.append(r)
        if args.json:
            continue
        print(f"{r['states']} states, {r['pairs']} latent pairs, {r['observations']} "
              f"observations, {r['observation_pairs']} observation pairs ({r['generator']})")
        print(f"generate {r['generate_s']:.2f} s, load {r['load_s']:.2f} s")
        print(f"full audit (tabular features): {r['audit_s']:.2f} s "
              f"(runs: {', '.join(f'{x:.2f}' for x in r['audit_runs_s'])}), "
              f"peak RSS {r['peak_rss_mib']:.0f} MiB")
        print("phases, timed separately:")
        for k, v in r["phases_s"].items():
            print(f"  {k:<38} {v:7.2f} s" if isinstance(v, float) else f"  {k:<38} {v}")
        print(f"t_mix = {r['tau_mix']} ({'exact' if r['tau_mix_exact'] else 'bound'}), "
              f"κ = {r['kappa']}, Theorem 1 applies: {r['theorem1_applicable']}")
    if args.json:
        print(json.dumps(out if len(out) > 1 else out[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
