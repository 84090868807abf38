"""Benchmark: the same calls timed in this tree and in an earlier revision, side by side.

A script, not a test. It checks out ``--base`` (default ``HEAD~1``) into a temporary git
worktree, installs it editable into a temporary virtual environment that reuses this
environment's packages, then times, alternately in fresh processes (``--repeat`` rounds, best of
each): tabular IC-Q for 2·10⁷ handoffs, neural IC-Q (2×64) for 2·10⁴ handoffs, the audit of a
20,000-state random model, and 59 Monte-Carlo certificate runs of 2·10⁵ handoffs. Every call
goes through names that both layouts define (the old module path is tried when the new one is
missing), so a refactoring can be checked for speed::

    .venv/bin/python benchmarks/bench_revisions.py --base 1e17e7a --repeat 3

Read the ratios: the machine's load average is printed and matters.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: run in each tree's interpreter; prints one JSON object of seconds
TIMED = r'''
import importlib, json, os, time
import torch
torch.set_num_threads(1)
import icq

def first(*paths):
    for p in paths:
        mod, _, name = p.rpartition(".")
        try:
            return getattr(importlib.import_module(mod), name)
        except (ImportError, AttributeError):
            pass
    raise ImportError(paths)

random_model = first("icq.reference.model.generate.random_model",
                     "icq.reference.generate.random_model")
neural = first("icq.reference.learners.neural.train_neural", "icq.reference.neural.train_neural")
config = first("icq.reference.learners.neural.NeuralConfig", "icq.reference.neural.NeuralConfig")
run_seeds = first("icq.reference.learners.montecarlo.run_seeds",
                  "icq.reference.montecarlo.run_seeds")
m = icq.load(icq.example_path("synthetic-handoff"))
big = random_model(20000, n_agents=4, obs_per_agent=50, successors=3, outcomes=3,
                   p_terminal=0.1, seed=0)
out = {}

def timed(name, f, warm):
    warm()
    t = time.perf_counter()
    f()
    out[name] = time.perf_counter() - t

timed("tabular IC-Q, 2e7 handoffs",
      lambda: icq.train_tabular(m, icq.TrainConfig(handoffs=20_000_000, seed=1)),
      lambda: icq.train_tabular(m, icq.TrainConfig(handoffs=10_000, seed=0)))
timed("neural IC-Q 2x64, 2e4 handoffs",
      lambda: neural(m, config(width=64, depth=2, handoffs=20_000, seed=0)),
      lambda: neural(m, config(width=64, depth=2, handoffs=200, seed=0)))
timed("audit, 20,000 states", lambda: icq.audit(big), lambda: icq.audit(m))
timed("certificate runs, 59 seeds x 2e5",
      lambda: run_seeds(m, icq.TrainConfig(), [0.5], horizon=200_000, seeds=59,
                        backend="serial"),
      lambda: run_seeds(m, icq.TrainConfig(), [0.5], horizon=1000, seeds=2, backend="serial"))
print(json.dumps(out))
'''


def prepare(base: str, work: Path) -> Path:
    """A worktree of ``base`` under ``work`` with its own editable install; returns its
    interpreter."""
    tree = work / "tree"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(tree), base],
                   check=True)
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    # the site-packages that holds the dependencies (a venv may chain to another one's)
    here = next(Path(p) for p in sys.path
                if p.endswith("site-packages") and (Path(p) / "numpy").is_dir())
    there = next((venv / "lib").glob("python3*/site-packages"))
    (there / "reuse.pth").write_text(str(here) + "\n")
    py = venv / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps",
                    "-e", str(tree)], check=True, stdout=subprocess.DEVNULL)
    return py


def timings(py: Path, cwd: Path) -> dict[str, float]:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    p = subprocess.run([str(py), "-c", TIMED], cwd=cwd, capture_output=True, text=True,
                       env=env, check=False)
    if p.returncode:
        raise SystemExit(p.stderr[-3000:])
    return json.loads(p.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", default="HEAD~1", help="the earlier revision (default HEAD~1)")
    ap.add_argument("--repeat", type=int, default=2, help="alternating rounds (default 2)")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        try:
            trees = {f"base ({args.base})": (prepare(args.base, work), work / "tree"),
                     "this tree": (Path(sys.executable), ROOT)}
            runs: dict[str, list[dict[str, float]]] = {k: [] for k in trees}
            for _ in range(args.repeat):
                for name, (py, cwd) in trees.items():
                    runs[name].append(timings(py, cwd))
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                            str(work / "tree")], check=False, capture_output=True)
    base, ours = (list(runs.values())[i] for i in (0, 1))
    best = {k: (min(r[k] for r in base), min(r[k] for r in ours)) for k in ours[0]}
    if args.json:
        print(json.dumps({"base": args.base, "load_average": os.getloadavg(),
                          "seconds": {k: {"base": b, "this": t, "ratio": t / b}
                                      for k, (b, t) in best.items()}}))
        return 0
    print(f"load average {os.getloadavg()[0]:.2f}; best of {args.repeat} fresh processes each")
    print(f"{'measure':36s} {'base s':>8s} {'this s':>8s} {'this/base':>10s}")
    for k, (b, t) in best.items():
        print(f"{k:36s} {b:8.3f} {t:8.3f} {t / b:10.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
