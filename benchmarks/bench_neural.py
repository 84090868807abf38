"""Neural IC-Q throughput on CPU, side by side: the stacked update, a minimal autograd loop and
the in-place update, in handoffs per second for one seed.

A script, not a test::

    .venv/bin/python benchmarks/bench_neural.py                 # the full table (~5 min idle)
    .venv/bin/python benchmarks/bench_neural.py --quick         # 2×64 and 3×512, B = 1 only
    .venv/bin/python benchmarks/bench_neural.py --json

Three implementations of the same learner on the same handoffs (``author-reviewer-editor``,
SGD, harmonic steps, projection radius 10):

- ``stacked``: :func:`icq.reference.learners.neural.update.torch_step` driven directly (the
  project's update before the in-place one, and still its engine for many seeds with one
  handoff per update): each update gathers the predecessor's and successor's whole parameter
  rows, forms one gradient row per handoff and scatters the changed row back;
- ``autograd``: a minimal loop with ``torch.nn.Linear`` layers and ``loss.backward()``: no
  centring, no averaged iterate, no projection (less work than the learner does);
- ``in-place``: :func:`icq.reference.learners.neural.train_neural` (rank-one ``addmm_`` updates into
  views of the parameters, summed gradients for minibatches, averaged iterate and projection).

Figures are handoffs per second of the update loop (sampling and tensor preparation included
for ``stacked`` and ``in-place``), over 2×64 and 3×512 networks, float64 and float32, one handoff
per update and minibatches B = 64 and 256, with one torch thread unless ``--threads``; the last
rows compare 1 and 2 threads for the in-place 3×512 update. Read the ratios: the machine's load
average is printed and matters.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from dataclasses import replace

import numpy as np
import torch

from icq.reference.learners import neural as nn
from icq.reference.learners.neural import sampling, tangent, update
from icq.reference.model import example_path, load


def stacked(m, cfg: nn.NeuralConfig) -> float:
    """Handoffs/s of the stacked update (:func:`torch_step`), timed like ``train_neural``."""
    nets = nn.build_networks(m, cfg.width, cfg.depth, cfg.seed, dtype=cfg.torch_dtype)
    scale = tangent._tangent_raw(nets)[1]
    st = update.step_static(nets, cfg, inplace=True)
    z = torch.zeros((1,) + nets.theta0.shape, dtype=nets.dtype)
    state = (z, z.clone(), z.clone(), z.clone(), torch.zeros((1, nets.n_agents), dtype=z.dtype))
    th0 = nets.theta0.unsqueeze(0)
    t = time.perf_counter()
    s = nn.sample_handoffs(m, cfg.handoffs, seed=cfg.seed)
    steps = cfg.handoffs // cfg.batch
    data = sampling._chunk_data(nets, nets.f0.unsqueeze(0), [s], cfg.batch,
                                update.base_steps(cfg, 0, steps),
                                torch.full((1,), 1 / scale**2, dtype=nets.dtype), 0)
    with torch.no_grad():
        for i in range(steps):
            state = update.torch_step(st, th0, *state, update.StepData(*(x[i] for x in data)))
    return cfg.handoffs / (time.perf_counter() - t)


def autograd(m, cfg: nn.NeuralConfig) -> float:
    """Handoffs/s of a minimal autograd loop (per-agent ``nn.Sequential``, plain SGD)."""
    nets = nn.build_networks(m, cfg.width, cfg.depth, cfg.seed, dtype=cfg.torch_dtype)
    d_in, K = nets.X.shape[1], nets.obs_mask.shape[1]
    dims = [d_in] + [cfg.width] * cfg.depth + [K]
    mlps = []
    for _ in range(nets.n_agents):
        layers: list[torch.nn.Module] = []
        for i, (a, b) in enumerate(zip(dims[:-1], dims[1:], strict=True)):
            layers.append(torch.nn.Linear(a, b, dtype=cfg.torch_dtype))
            if i < len(dims) - 2:
                layers.append(torch.nn.ReLU())
        mlps.append(torch.nn.Sequential(*layers))
    t = time.perf_counter()
    s = nn.sample_handoffs(m, cfg.handoffs, seed=cfg.seed)
    pair = torch.as_tensor(s["pair"])
    obs, slot = nets.pair_obs[pair], nets.pair_slot[pair]
    ag = nets.obs_agent[obs]
    cont = torch.as_tensor(s["next_obs"] >= 0)
    nobs = torch.where(cont, torch.as_tensor(s["next_obs"]), 0)
    nag = nets.obs_agent[nobs]
    rew = torch.as_tensor(s["reward"], dtype=cfg.torch_dtype)
    disc = torch.as_tensor(s["discount"], dtype=cfg.torch_dtype)
    B, lr = cfg.batch, 1e-3
    for i in range(0, cfg.handoffs, B):
        sl = slice(i, i + B)
        target = rew[sl].clone()
        with torch.no_grad():
            for a in nag[sl].unique().tolist():
                k = (nag[sl] == a).nonzero().squeeze(1)
                q = mlps[a](nets.X[nobs[sl][k]])
                v = torch.where(nets.obs_mask[nobs[sl][k]], q, -torch.inf).amax(-1)
                target[k] += torch.where(cont[sl][k], disc[sl][k] * v, 0.0)
        loss = 0.0
        for a in ag[sl].unique().tolist():
            k = (ag[sl] == a).nonzero().squeeze(1)
            q = mlps[a](nets.X[obs[sl][k]]).gather(1, slot[sl][k].unsqueeze(1)).squeeze(1)
            loss = loss + 0.5 * ((q - target[k]) ** 2).sum() / B
        loss.backward()
        with torch.no_grad():
            for net in mlps:
                for p in net.parameters():
                    if p.grad is not None:
                        p -= lr * p.grad
                        p.grad = None
    return cfg.handoffs / (time.perf_counter() - t)


def in_place(m, cfg: nn.NeuralConfig) -> float:
    return cfg.handoffs / nn.train_neural(m, cfg).seconds


def rows(quick: bool, scale: float) -> list[tuple]:
    """(width, depth, dtype, batch, handoffs, stacked handoffs or 0 to skip)."""
    out = []
    for width, depth, base in ((64, 2, 2000), (512, 3, 200)):
        for dtype in ("float64", "float32"):
            for batch in (1,) if quick else (1, 64, 256):
                n = int(base * scale) if batch == 1 else batch * (40 if width == 64 else 8)
                n -= n % batch
                # the stacked minibatch holds B parameter and gradient rows: a few updates
                ns = n if batch == 1 else (batch * 2 if width == 512 and batch == 64 else
                                           0 if width == 512 else batch * 8)
                out.append((width, depth, dtype, batch, max(n, batch), ns))
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="one handoff per update only")
    p.add_argument("--scale", type=float, default=1.0, help="multiply the handoff counts")
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    m = load(example_path("author-reviewer-editor"))
    results = []
    for width, depth, dtype, batch, n, ns in rows(args.quick, args.scale):
        cfg = nn.NeuralConfig(handoffs=n, width=width, depth=depth, dtype=dtype, batch=batch,
                              radius=10.0, threads=args.threads)
        nn.train_neural(m, replace(cfg, handoffs=batch * 2))  # warm-up: compile the sampler
        r = {"width": width, "depth": depth, "dtype": dtype, "batch": batch,
             "threads": args.threads, "handoffs": n,
             "stacked": stacked(m, replace(cfg, handoffs=ns)) if ns else None,
             "autograd": autograd(m, cfg), "in_place": in_place(m, cfg)}
        results.append(r)
        if not args.json:
            print(_line(r), flush=True)
    cfg = nn.NeuralConfig(handoffs=int(100 * args.scale), width=512, depth=3, radius=10.0)
    for th in (1, 2):
        r = {"width": 512, "depth": 3, "dtype": "float64", "batch": 1, "threads": th,
             "handoffs": cfg.handoffs, "stacked": None, "autograd": None,
             "in_place": in_place(m, replace(cfg, threads=th))}
        results.append(r)
        if not args.json:
            print(_line(r), flush=True)
    env = {"torch": torch.__version__, "cpu": platform.processor() or platform.machine(),
           "cpus": os.cpu_count(), "load_average": os.getloadavg(),
           "cuda": torch.cuda.is_available()}
    if args.json:
        print(json.dumps({"environment": env, "results": results}))
    else:
        print(f"torch {env['torch']}, {env['cpus']} CPUs, CUDA {env['cuda']}, load average "
              f"{', '.join(f'{x:.2f}' for x in env['load_average'])}")


def _line(r: dict) -> str:
    f = lambda x: "skipped" if x is None else f"{x:,.0f}"  # noqa: E731
    ratio = ("" if r["stacked"] is None else
             f"  in-place/stacked {r['in_place'] / r['stacked']:.1f}×")
    return (f"{r['depth']}×{r['width']:<4d} {r['dtype']} B={r['batch']:<3d} "
            f"threads={r['threads']}: stacked {f(r['stacked'])}, autograd {f(r['autograd'])}, "
            f"in-place {f(r['in_place'])} handoffs/s{ratio}")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
