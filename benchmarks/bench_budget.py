"""Benchmark: the Monte-Carlo certificate of ``icq budget`` against reality (docs/theory.md §8).

Run ``python benchmarks/bench_budget.py [--quick] [--json]``. A script, not a timed test;
``benchmarks/README.md`` records one run.

Per model (the three bundled examples at ε = 0.1 and the learner defaults of ``icq budget``;
three models drawn by :func:`icq.reference.model.generate.random_model` with seeds not used anywhere
else in the project, at ε = 5 % of max |Q̂*_μ|), all for the sup-norm learning error:

- certified T = H_(k) of n = 200 calibration seeds (q = 0.95, confidence 0.95), and the wall
  time of those runs (``run_seeds`` on local processes, all cores: what ``icq budget`` runs);
- on 200 fresh seeds (disjoint from the calibration seeds): the empirical q-quantile of H and
  the ratio T / quantile (target ≤ 3), and the fraction of fresh seeds with H ≤ T (the claim:
  ≥ q, within binomial slack 3·√(q(1−q)/200));
- throughput: one seed of the tracked run against plain ``train_tabular`` on the same handoffs,
  alternated, best of 3 each (target: tracked time ≤ 1.5 × plain time).
"""

from __future__ import annotations

import argparse
import json
import math
import time

import numpy as np

from icq.bounds.certificate import certificate
from icq.reference.learners.montecarlo import error_spec, run_seed, run_seeds
from icq.reference.learners.tabular import TrainConfig, train_tabular
from icq.reference.model import example_path, load
from icq.reference.model.generate import random_model

Q, CONF = 0.95, 0.95


def models(quick: bool):
    horizon = 500_000 if quick else 2_000_000  # the icq budget default is 2,000,000
    for name in ("synthetic-handoff", "author-reviewer-editor", "ring-exact"):
        yield name, load(example_path(name)), 0.1, horizon
    for n, agents, obs, seed in ((12, 3, 2, 9101), (24, 4, 3, 9202), (40, 4, None, 9303)):
        m = random_model(n, n_agents=agents, obs_per_agent=obs, seed=seed)
        ref = error_spec(m, "learning", "sup").lo
        eps = 0.05 * float(np.max(np.abs(ref[np.isfinite(ref)])))
        yield f"random_model({n}, n_agents={agents}, obs_per_agent={obs}, seed={seed})", m, \
            eps, horizon


def throughput(m, horizon: int) -> float:
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


def bench(name, m, eps, horizon, seeds: int) -> dict:
    config = TrainConfig()
    spec = error_spec(m, "learning", "sup")
    cal = run_seeds(m, config, [eps], horizon=horizon, seeds=seeds, spec=spec, backend="local")
    cert = certificate(cal, quantile=Q, confidence=CONF)
    fresh = run_seeds(m, config, [eps], horizon=horizon, seeds=np.arange(10**6, 10**6 + seeds),
                      spec=spec, backend="local")
    h = np.sort(fresh.H[:, 0])
    emp = float(h[max(0, math.ceil(Q * h.size) - 1)])
    T = cert.handoffs  # noqa: N806
    return {
        "model": name, "target": eps, "horizon": horizon, "seeds": seeds,
        "certified_T": T, "status": cert.status, "empirical_q_quantile": emp,
        "ratio": None if T is None or not math.isfinite(emp) else T / max(emp, 1.0),
        "fresh_fraction_meeting": None if T is None else float(np.mean(h <= T)),
        "claim_floor": Q - 3 * math.sqrt(Q * (1 - Q) / seeds),
        "certificate_seconds": cal.seconds,
        "tracked_over_plain_time": throughput(m, min(horizon, 1_000_000)),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="shorter horizons, 60 seeds")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rows = [bench(*spec, seeds=60 if args.quick else 200) for spec in models(args.quick)]
    if args.json:
        print(json.dumps(rows))
        return
    print("| model | ε | horizon | certified T | empirical 0.95-quantile (fresh) | ratio | "
          "fresh ≥ ε at T | certificate s | tracked/plain time |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        def f(v, fmt):
            return "—" if v is None else format(v, fmt)

        print(f"| {r['model']} | {r['target']:.3g} | {r['horizon']:,} | "
              f"{f(r['certified_T'], ',')} | {r['empirical_q_quantile']:,.0f} | "
              f"{f(r['ratio'], '.2f')} | {f(r['fresh_fraction_meeting'], '.3f')} "
              f"(≥ {r['claim_floor']:.3f}) | {r['certificate_seconds']:.1f} | "
              f"{r['tracked_over_plain_time']:.2f} |")


if __name__ == "__main__":
    main()
