"""Neural IC-Q throughput on CPU: handoffs per second for one seed and for many seeds batched.

A script, not a test::

    .venv/bin/python benchmarks/bench_neural.py                      # defaults below
    .venv/bin/python benchmarks/bench_neural.py --width 512 --depth 3 --handoffs 500
    .venv/bin/python benchmarks/bench_neural.py --json

For each configuration it reports the training loop's own time (``seconds`` of the result:
sampling, tensor preparation and updates; not network construction) and the wall time, after a
warm-up run that compiles the sampler. ``seeds = 1`` is :func:`train_neural`; ``seeds > 1`` is
:func:`train_neural_batch` with the native seed axis and, for comparison, the
``torch.func.vmap`` engine (same update, same numbers). Handoffs per second count handoffs over
all seeds. The machine's load and torch's thread count matter: both are printed.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import platform
import time
from dataclasses import replace

import torch
from icq.reference.model import example_path, load
from icq.reference.neural import NeuralConfig, train_neural, train_neural_batch


def run(model_name: str, width: int, depth: int, handoffs: int, seeds: int, dtype: str,
        vmap_handoffs: int) -> list[dict]:
    m = load(example_path(model_name))
    cfg = NeuralConfig(handoffs=handoffs, width=width, depth=depth, dtype=dtype, radius=10.0)
    train_neural(m, replace(cfg, handoffs=10))  # warm-up: compile the sampler
    rows = []

    def record(what: str, n_seeds: int, res, wall: float) -> None:
        total = res.handoffs * n_seeds
        rows.append({"what": what, "model": model_name, "width": width, "depth": depth,
                     "dtype": dtype, "seeds": n_seeds, "handoffs_per_seed": res.handoffs,
                     "loop_seconds": res.seconds, "wall_seconds": wall,
                     "handoffs_per_second": total / res.seconds,
                     "handoffs_per_second_wall": total / wall})

    t = time.perf_counter()
    res = train_neural(m, cfg)
    record("one seed (train_neural)", 1, res, time.perf_counter() - t)
    if seeds > 1:
        t = time.perf_counter()
        res = train_neural_batch(m, cfg, range(seeds))
        record(f"{seeds} seeds, native seed axis", seeds, res, time.perf_counter() - t)
        if vmap_handoffs > 0:
            t = time.perf_counter()
            res = train_neural_batch(m, replace(cfg, handoffs=vmap_handoffs), range(seeds),
                                     engine="vmap")
            record(f"{seeds} seeds, torch.func.vmap", seeds, res, time.perf_counter() - t)
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="author-reviewer-editor",
                   help="a bundled example (author-reviewer-editor, ring-exact)")
    p.add_argument("--width", type=int, default=64)
    p.add_argument("--depth", type=int, default=2)
    p.add_argument("--handoffs", type=int, default=5000, help="handoffs per seed")
    p.add_argument("--seeds", type=int, default=64)
    p.add_argument("--vmap-handoffs", type=int, default=300,
                   help="handoffs per seed for the (slow) vmap engine; 0 skips it")
    p.add_argument("--dtype", choices=("float64", "float32"), default="float64")
    p.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    p.add_argument("--malloc-tuning", action="store_true",
                   help="raise glibc's mmap and trim thresholds (mallopt) so that freed tensor "
                        "memory is reused instead of returned to the system and faulted in "
                        "again: a process-wide setting, for this benchmark only")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.malloc_tuning:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 1 << 30)  # M_MMAP_THRESHOLD
        libc.mallopt(-1, 1 << 30)  # M_TRIM_THRESHOLD
    rows = run(args.model, args.width, args.depth, args.handoffs, args.seeds, args.dtype,
               args.vmap_handoffs)
    env = {"torch": torch.__version__, "threads": torch.get_num_threads(),
           "malloc_tuning": args.malloc_tuning,
           "cpu": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
           "load_average": os.getloadavg()}
    if args.json:
        print(json.dumps({"environment": env, "results": rows}))
        return
    print(f"torch {env['torch']}, {env['threads']} threads, {env['cpus']} CPUs, load average "
          f"{', '.join(f'{x:.2f}' for x in env['load_average'])}"
          + (", malloc tuning" if args.malloc_tuning else ""))
    print(f"{'configuration':36s} {'handoffs/s':>12s} {'(wall)':>10s} {'seconds':>8s}")
    for r in rows:
        print(f"{r['what']:36s} {r['handoffs_per_second']:12,.0f} "
              f"{r['handoffs_per_second_wall']:10,.0f} {r['loop_seconds']:8.2f}"
              f"   [{r['model']}, {r['depth']}×{r['width']}, {r['dtype']}, "
              f"{r['handoffs_per_seed']} handoffs/seed]")


if __name__ == "__main__":
    main()
