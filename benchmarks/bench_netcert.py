"""Benchmark: the network certificate's runs (docs/theory.md §8, "The network certificate"):
200 seeds of a 2×64 MLP per agent on ``author-reviewer-editor`` to 10⁵ updates each (target:
under 10 minutes on a 2-core machine), against running seeds one after the other with the
existing neural learner (``train_neural``), measured in the same run.

Run ``python benchmarks/bench_netcert.py [--seeds 200] [--horizon 100000] [--short 200]
[--baseline-seeds 3] [--baseline-horizon 2000] [--threads 1] [--block N] [--device cpu]
[--profile] [--json]``.

What is timed. Batched: ``run_network_seeds(model, LearnerSpec(representation="neural"),
[0.1, 0.2], horizon=H, seeds=S)`` (harmonic steps 1/n^0.7, last iterate, learning sup error
checked on the geometric grid), end to end (networks, tangent scales, sampling, updates,
checks). It runs twice, at ``--short`` updates and at ``--horizon`` updates; the difference
gives the cost per update of all seeds, and the time at 10⁵ updates is the long run's own time
when ``--horizon`` is 10⁵, else ``t(short) + (10⁵ − short)·per-update`` (stated as an
extrapolation; the grid's checks grow with log H, a few seconds at 10⁵). Baseline:
``train_neural(model, NeuralConfig(handoffs=h, seed=s, average=False))`` for
``--baseline-seeds`` seeds one after the other (its own per-seed loop with its fused in-place
update), per update and seed, extrapolated linearly to S seeds × 10⁵ updates.

Threads: torch's intra-op threads are set to ``--threads`` for both (``torch.set_num_threads``,
and ``threads=`` of the runs; default 1: the per-update products are small, and on a shared
machine a second thread costs more in synchronisation than it gains). ``--block``: seeds per
batch on the CPU (the batches run one after the other; default ``CPU_BLOCK``). Wall and CPU
seconds (``time.process_time``) are both printed, with the load average before and after: on
a machine shared with other work the CPU seconds are the better measure of the work, the wall
seconds what a user waits.

``--profile`` prints torch's profiler table of 50 updates of the batched loop.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
import torch
from torch.profiler import profile as prof

from icq.reference.learners.neural import NeuralConfig, train_neural
from icq.reference.learners.neural import batched as B
from icq.reference.learners.neural.batched import CPU_BLOCK, run_network_seeds
from icq.reference.learners.spec import LearnerSpec
from icq.reference.model import example_path, load

TARGET_UPDATES = 100_000
TARGET_SECONDS = 600.0


def timed(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=200)
    ap.add_argument("--horizon", type=int, default=TARGET_UPDATES)
    ap.add_argument("--short", type=int, default=200)
    ap.add_argument("--baseline-seeds", type=int, default=3)
    ap.add_argument("--baseline-horizon", type=int, default=2000)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--block", type=int, default=None,
                    help="seeds per batch (default: the library's, CPU_BLOCK on the CPU)")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    model = load(example_path("author-reviewer-editor"))
    spec = LearnerSpec(representation="neural")
    load0 = os.getloadavg()[0]
    # the baseline: the existing learner, seeds one after the other
    base = []
    for s in range(a.baseline_seeds):
        cfg = NeuralConfig(handoffs=a.baseline_horizon, seed=s, average=False, threads=a.threads)
        _, w, c = timed(lambda cfg=cfg: train_neural(model, cfg))
        base.append((w, c))
    bw, bc = (float(np.mean([b[i] for b in base])) / a.baseline_horizon for i in (0, 1))
    # the batched runs
    run = lambda h: run_network_seeds(model, spec, [0.1, 0.2], horizon=h,  # noqa: E731
                                      seeds=a.seeds, device=a.device, threads=a.threads,
                                      block=a.block)
    _, sw, sc = timed(lambda: run(a.short))
    mc, lw, lc = timed(lambda: run(a.horizon))
    per_w, per_c = ((lw - sw) / (a.horizon - a.short), (lc - sc) / (a.horizon - a.short))
    exact = a.horizon == TARGET_UPDATES
    at_w = lw if exact else sw + (TARGET_UPDATES - a.short) * per_w
    at_c = lc if exact else sc + (TARGET_UPDATES - a.short) * per_c
    out = {
        "device": a.device, "threads": a.threads, "block": a.block or CPU_BLOCK,
        "seeds": a.seeds, "horizon": a.horizon,
        "load_average_before": load0, "load_average_after": os.getloadavg()[0],
        "batched_wall_s": lw, "batched_cpu_s": lc, "short_wall_s": sw, "short_cpu_s": sc,
        "ms_per_update_all_seeds_wall": 1e3 * per_w, "ms_per_update_all_seeds_cpu": 1e3 * per_c,
        "at_1e5_wall_s": at_w, "at_1e5_cpu_s": at_c, "at_1e5_measured": exact,
        "baseline_ms_per_update_per_seed_wall": 1e3 * bw,
        "baseline_ms_per_update_per_seed_cpu": 1e3 * bc,
        "baseline_at_1e5_wall_s": bw * a.seeds * TARGET_UPDATES,
        "baseline_at_1e5_cpu_s": bc * a.seeds * TARGET_UPDATES,
        "median_H_eps_0.2": float(np.median(mc.H[:, 1])),
    }
    out["speedup_wall"] = out["baseline_at_1e5_wall_s"] / at_w
    out["speedup_cpu"] = out["baseline_at_1e5_cpu_s"] / at_c
    out["target_met_wall"] = at_w < TARGET_SECONDS
    if a.json:
        print(json.dumps(out, indent=1))
    else:
        how = "measured" if exact else f"extrapolated from {a.short:,} and {a.horizon:,} updates"
        print(f"author-reviewer-editor, 2×64 MLP per agent, {a.seeds} seeds, device {a.device}, "
              f"{a.threads} torch thread(s); load average {load0:.1f} → "
              f"{out['load_average_after']:.1f}")
        print(f"batched: {1e3 * per_w:.2f} ms wall / {1e3 * per_c:.2f} ms CPU per update of all "
              f"seeds; to 10⁵ updates ({how}): {at_w:,.0f} s wall, {at_c:,.0f} s CPU "
              f"(target {TARGET_SECONDS:.0f} s: {'met' if at_w < TARGET_SECONDS else 'missed'})")
        print(f"baseline (train_neural, {a.baseline_seeds} seeds × {a.baseline_horizon:,} "
              f"updates one after the other): {1e3 * bw:.3f} ms wall / {1e3 * bc:.3f} ms CPU "
              f"per update and seed → {out['baseline_at_1e5_wall_s']:,.0f} s wall for "
              f"{a.seeds} seeds × 10⁵")
        print(f"speed-up: {out['speedup_wall']:.1f}× wall, {out['speedup_cpu']:.1f}× CPU")
    if a.profile:
        profile(model, spec, a.seeds, a.device)


def profile(model, spec, seeds, device) -> None:
    """torch's profiler over 50 updates of the batched loop (after 50 warm-up updates)."""
    calls = {"n": 0}
    orig = B._MLP.step

    def step(self, c, i, t):
        calls["n"] += 1
        if calls["n"] == 51:
            self._p = prof(record_shapes=True)
            self._p.__enter__()
        orig(self, c, i, t)
        if calls["n"] == 100:
            self._p.__exit__(None, None, None)
            print(self._p.key_averages(group_by_input_shape=True)
                  .table(sort_by="self_cpu_time_total", row_limit=15))

    B._MLP.step = step
    try:
        run_network_seeds(model, spec, [0.1], horizon=100, seeds=seeds, device=device,
                          threads=None)
    finally:
        B._MLP.step = orig


if __name__ == "__main__":
    main()
