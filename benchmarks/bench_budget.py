"""Benchmark: ``icq budget``'s certificates against reality, default and tuned learner
(docs/theory.md §8).

Run ``python benchmarks/bench_budget.py [--quick] [--horizon H] [--seeds N] [--json]``. A
script, not a timed test; ``benchmarks/README.md`` records one run.

Per model (the four bundled examples at ε = 0.1; three models drawn by
:func:`icq.reference.model.generate.random_model` with seeds not used anywhere else in the
project, at ε = 5 % of max |Q̂*_μ|), all for the sup-norm learning error, q = 0.95,
confidence 0.95, what ``icq budget --tune`` runs (:func:`icq.bounds.budgets.budgets`):

- the default spec's certified T (N certificate seeds 2³² + i);
- ``--tune``: the family of :mod:`icq.bounds.tune` on 59 selection seeds, the chosen spec and
  its certified T on the same certificate seeds (disjoint from the selection seeds), and
  default T / tuned T (target: ≥ 3 wherever the default needs ≥ 10⁵ handoffs);
- for both specs, on N fresh seeds 10⁶ + i (disjoint from both): the fraction meeting ε from T
  through the horizon (the claim: ≥ q, within binomial slack 3·√(q(1−q)/N)) and certified T /
  empirical q-quantile of H (target ≤ 2).

``--throughput``: also one seed of the tracked run against plain ``train_tabular`` on the same
handoffs (up to 10⁶), alternated, best of 3 each (target: tracked time ≤ 1.5 × plain time).

The candidates this version's runs cannot run (averaged iterates, the rescaled step) are listed
as not run; the table says how many candidates ran.
"""

from __future__ import annotations

import argparse
import json
import math
import time

import numpy as np

from icq.bounds.budgets import budgets, run_spec
from icq.reference.learners.montecarlo import error_spec, run_seed
from icq.reference.learners.spec import LearnerSpec
from icq.reference.learners.tabular import TrainConfig, train_tabular
from icq.reference.model import example_path, load
from icq.reference.model.generate import random_model

Q, CONF = 0.95, 0.95
FRESH = 10**6
EXAMPLES = ("synthetic-handoff", "author-reviewer-editor", "ring-exact",
            "planner-coder-tester-reviewer")


def models():
    for name in EXAMPLES:
        yield name, load(example_path(name)), 0.1
    for n, agents, obs, seed in ((12, 3, 2, 9101), (24, 4, 3, 9202), (40, 4, None, 9303)):
        m = random_model(n, n_agents=agents, obs_per_agent=obs, seed=seed)
        ref = error_spec(m, "learning", "sup").lo
        eps = 0.05 * float(np.max(np.abs(ref[np.isfinite(ref)])))
        yield f"random_model({n}, n_agents={agents}, obs_per_agent={obs}, seed={seed})", m, eps


def throughput(m, horizon: int) -> float:
    """Tracked over plain time of one seed, best of 3 each, alternated."""
    spec = error_spec(m, "learning", "sup")
    plain, tracked = [], []
    for _ in range(3):
        t = time.perf_counter()
        train_tabular(m, TrainConfig(handoffs=horizon, seed=1))
        plain.append(time.perf_counter() - t)
        t = time.perf_counter()
        run_seed(m, TrainConfig(), spec, [0.1], horizon=horizon, seed=1)
        tracked.append(time.perf_counter() - t)
    return min(tracked) / min(plain)


def fresh_check(m, spec: LearnerSpec, eps: float, T: int | None, horizon: int,  # noqa: N803
                seeds: int) -> dict:
    """Fraction of fresh seeds meeting ε from T on, and T / their empirical q-quantile."""
    runs = run_spec(m, spec, [eps], horizon=horizon, seeds=FRESH + np.arange(seeds),
                    errspec=error_spec(m, "learning", "sup"))
    h = np.sort(runs.H[:, 0])
    emp = float(h[max(0, math.ceil(Q * h.size) - 1)])
    return {"fraction": None if T is None else float(np.mean(h <= T)),
            "empirical_quantile": emp,
            "ratio": None if T is None or not math.isfinite(emp) else T / max(emp, 1.0)}


def bench(name: str, m, eps: float, horizon: int, seeds: int, selection: int) -> dict:
    t0 = time.perf_counter()
    b = budgets(m, eps, seeds=seeds, horizon=horizon, backend="local", tune=True,
                selection_seeds=selection, theorem_certificate=False)
    t = b.tune
    seconds = time.perf_counter() - t0
    out = {"model": name, "target": eps, "horizon": horizon, "seeds": seeds,
           "selection_seeds": selection, "default_T": t.default.handoffs,
           "tuned": " ".join(t.chosen.argv()), "tuned_T": t.row.handoffs,
           "default_over_tuned": t.speedup,
           "candidates_run": sum(c.quantile_H is not None for c in t.candidates),
           "candidates": len(t.candidates), "budget_seconds": seconds,
           "claim_floor": Q - 3 * math.sqrt(Q * (1 - Q) / seeds)}
    out["default_fresh"] = fresh_check(m, LearnerSpec(), eps, t.default.handoffs, horizon, seeds)
    out["tuned_fresh"] = (out["default_fresh"] if t.chosen == LearnerSpec() else
                          fresh_check(m, t.chosen, eps, t.row.handoffs, horizon, seeds))
    d = t.default.handoffs
    out["needs_1e5"] = bool(d is None or d >= 10**5)
    out["target_met"] = (None if not out["needs_1e5"] else
                         bool(t.row.handoffs is not None and (d is None or
                                                              3 * t.row.handoffs <= d)))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true",
                    help="horizon 200,000 and 60 seeds (unless given)")
    ap.add_argument("--horizon", type=int, default=None, help="default 2,000,000")
    ap.add_argument("--seeds", type=int, default=None, help="certificate and fresh seeds "
                    "(default 200)")
    ap.add_argument("--selection-seeds", type=int, default=59)
    ap.add_argument("--only", default=None,
                    help="comma-separated: run only models whose name contains one of these")
    ap.add_argument("--throughput", action="store_true",
                    help="also tracked/plain time of one seed")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    horizon = args.horizon or (200_000 if args.quick else 2_000_000)
    seeds = args.seeds or (60 if args.quick else 200)
    rows = []
    for name, m, eps in models():
        if args.only and not any(o and o in name for o in args.only.split(",")):
            continue
        rows.append(bench(name, m, eps, horizon, seeds, args.selection_seeds))
        if args.throughput:
            rows[-1]["tracked_over_plain_time"] = throughput(m, min(horizon, 1_000_000))
        if not args.json:
            _print_row(rows[-1], header=len(rows) == 1)
    if args.json:
        print(json.dumps(rows))


def _print_row(r: dict, header: bool) -> None:
    def f(v, fmt):
        return "—" if v is None else format(v, fmt)

    if header:
        print("| model | ε | horizon | default T | tuned spec (ran/candidates) | tuned T | "
              "default/tuned | fresh ≥ ε at T: default, tuned (floor) | T / empirical "
              "q-quantile: default, tuned | seconds |")
        print("|---|---|---|---|---|---|---|---|---|---|")
    d, t = r["default_fresh"], r["tuned_fresh"]
    print(f"| {r['model']} | {r['target']:.3g} | {r['horizon']:,} | {f(r['default_T'], ',')} | "
          f"`{r['tuned']}` ({r['candidates_run']}/{r['candidates']}) | {f(r['tuned_T'], ',')} | "
          f"{f(r['default_over_tuned'], '.2f')} | {f(d['fraction'], '.3f')}, "
          f"{f(t['fraction'], '.3f')} (≥ {r['claim_floor']:.3f}) | {f(d['ratio'], '.2f')}, "
          f"{f(t['ratio'], '.2f')} | {r['budget_seconds']:.0f} |"
          + ("" if "tracked_over_plain_time" not in r else
             f" tracked/plain time {r['tracked_over_plain_time']:.2f} |"), flush=True)


if __name__ == "__main__":
    main()
