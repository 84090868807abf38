"""Benchmark: what the learner specification's choices do on the bundled examples.

A script, not a test. For each bundled example and each spec of a small family (the default
harmonic ω = 0.7 last iterate; its Polyak and tail:0.5 averages; ω = 0.85; the rescaled-linear
step, last and tail:0.5), it trains ``--seeds`` seeds for ``--handoffs`` updates with
:func:`icq.reference.learners.tabular.train` and prints the median over the seeds of the sup
learning error max_p |Q_p − Q̂*_μ(p)| over the pairs with μ(y)π_b(j|σ(y)) > 0
(:func:`icq.reference.learners.montecarlo.full_error`, docs/theory.md §8) at the spec's iterate,
and the wall time of one run::

    .venv/bin/python benchmarks/bench_learner_spec.py --handoffs 200000 --seeds 5
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from icq.reference.learners.montecarlo import error_spec, full_error
from icq.reference.learners.spec import LearnerSpec
from icq.reference.learners.tabular import train
from icq.reference.model import example_path, load

EXAMPLES = ("author-reviewer-editor", "planner-coder-tester-reviewer", "synthetic-handoff",
            "ring-exact")
SPECS = {"harmonic ω=0.7, last (default)": LearnerSpec(),
         "harmonic ω=0.7, polyak": LearnerSpec(average="polyak"),
         "harmonic ω=0.7, tail:0.5": LearnerSpec(average="tail:0.5"),
         "harmonic ω=0.85, last": LearnerSpec(step_exponent=0.85),
         "rescaled, last": LearnerSpec(step="rescaled"),
         "rescaled, tail:0.5": LearnerSpec(step="rescaled", average="tail:0.5")}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--handoffs", type=int, default=200_000)
    ap.add_argument("--seeds", type=int, default=5)
    args = ap.parse_args(argv)
    train(load(example_path("ring-exact")), LearnerSpec(average="polyak"), handoffs=10)  # compile
    print(f"sup learning error at {args.handoffs:,} updates, median over {args.seeds} seeds "
          "(seconds: one run)")
    for name in EXAMPLES:
        m = load(example_path(name))
        es = error_spec(m, "learning", "sup")
        print(f"\n{name}")
        for label, spec in SPECS.items():
            errs, secs = [], []
            for seed in range(args.seeds):
                t0 = time.perf_counter()
                res = train(m, spec, handoffs=args.handoffs, seed=seed)
                secs.append(time.perf_counter() - t0)
                errs.append(full_error(es, res.q_reported))
            print(f"  {label:34s} {np.median(errs):8.4f}   ({min(secs):.3f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
