"""Benchmark: handoffs per second of the decentralized runtime locally and on Ray, and steps per
second of the PettingZoo environment.

Run ``python benchmarks/bench_env_ray.py [--handoffs 20000] [--ray-handoffs 1000] [--json]``.
Figures depend on the machine; ``benchmarks/README.md`` records one run. This is a script, not a
timed test.

On the bundled ``author-reviewer-editor`` model, in one process, side by side:

- **local runtime**: :func:`icq.reference.learners.runtime.run` over the objects of
  :func:`icq.reference.learners.ray_runtime.tabular_actors` (tabular IC-Q agents, one generator
  each);
- **Ray runtime**: :func:`icq.reference.learners.ray_runtime.run_ray` on the same objects, world and
  agents in actors of a local ``ray.init(num_cpus=2)`` instance (actor start-up excluded: the
  clock covers the handoffs only). The final tables are checked to equal the local run's;
- **env, random actions**: ``ICSMDPEnv.step`` with a successor drawn from the action mask;
- **env, tabular IC-Q**: the ``train_icq`` loop of ``docs/env.md`` (env steps plus the updates);
- **compiled learner** (reference point): :func:`icq.reference.learners.tabular.train_tabular`.

Wall-clock seconds (``time.perf_counter``), best of ``--repeat`` runs for the local loops, one
run for Ray.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import time
from pathlib import Path

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import numpy as np  # noqa: E402

from icq.env import ICSMDPEnv  # noqa: E402
from icq.reference.learners.ray_runtime import run_ray, tabular_actors  # noqa: E402
from icq.reference.learners.runtime import run  # noqa: E402
from icq.reference.learners.tabular import TrainConfig, train_tabular  # noqa: E402
from icq.reference.model import example_path, load  # noqa: E402

DOC = Path(__file__).resolve().parents[1] / "docs" / "env.md"


def _best(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def env_random(model, steps: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    env = ICSMDPEnv(model)
    env.reset(seed=seed)
    for _ in range(steps):
        agent = env.agent_selection
        env.step(int(rng.choice(np.flatnonzero(env.observe(agent)["action_mask"]))))
        if env.terminations[agent]:
            env.reset()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--handoffs", type=int, default=20_000, help="local loops (20000)")
    ap.add_argument("--ray-handoffs", type=int, default=1_000, help="Ray runtime (1000)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    m = load(example_path("author-reviewer-editor"))
    cfg = TrainConfig(seed=0)
    ns: dict = {}
    for code in re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S):
        if "def train_icq" in code:
            exec(compile(code, str(DOC), "exec"), ns)  # noqa: S102
    n, nr = args.handoffs, args.ray_handoffs
    train_tabular(m, TrainConfig(handoffs=1000))  # compile outside the clock
    rows = {
        "local runtime": n / _best(lambda: run(*tabular_actors(m, cfg), n), args.repeat),
        "env, random actions": n / _best(lambda: env_random(m, n), args.repeat),
        "env, tabular IC-Q (docs/env.md)":
            n / _best(lambda: ns["train_icq"](ICSMDPEnv(m), n), args.repeat),
        "compiled learner (train_tabular)":
            100 * n / _best(lambda: train_tabular(m, TrainConfig(handoffs=100 * n)),
                            args.repeat),
    }
    # ray: the [ray] extra; its import takes seconds, only this part needs it
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        world, agents = tabular_actors(m, cfg)
        out = run_ray(world, agents, nr)
        local_w, local_a = tabular_actors(m, cfg)
        run(local_w, local_a, nr)
        same = all(out.agents[a].table() == local_a[a].table() for a in agents)
        rows["Ray runtime (actors)"] = nr / out.seconds
    finally:
        ray.shutdown()
    base = rows["local runtime"]
    result = {"model": m.name, "handoffs_per_s": rows,
              "ratio_to_local_runtime": {k: v / base for k, v in rows.items()},
              "ray_equals_local": same, "cpus": os.cpu_count(),
              "load_average": os.getloadavg()[0], "python": platform.python_version(),
              "ray": ray.__version__}
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"{m.name}: {n} handoffs (Ray: {nr}); load average {result['load_average']:.1f} "
          f"on {result['cpus']} CPUs; Ray tables equal the local run's: {same}")
    print("| loop | handoffs/s | × local runtime |\n|---|---:|---:|")
    for k, v in rows.items():
        print(f"| {k} | {v:,.0f} | {v / base:.3g} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
