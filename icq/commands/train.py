"""``icq train FILE --learner tabular``: run IC-Q and compare with the exact Q̂*_μ (THEORY.md §2).

``max_abs_error_vs_q_ais`` = max over observation pairs of |Q − Q̂*_μ| (exact Q̂*_μ by policy
iteration on the AIS-induced SMDP).
"""

from __future__ import annotations

import argparse

import numpy as np

from icq.cli import UsageError, emit_json, format_table, show_progress
from icq.reference.ais import ais_model
from icq.reference.model import load
from icq.reference.solve import solve
from icq.reference.tabular import TrainConfig, train_tabular

LEARNERS = ("tabular", "neural")


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("train", help="train IC-Q and report its error to Q̂*_μ",
                       description=__doc__)
    p.add_argument("file", help="an icsmdp-epoch/1 JSON file")
    p.add_argument("--learner", choices=LEARNERS, default="tabular")
    p.add_argument("--handoffs", type=int, default=1_000_000, help="number of handoffs (updates)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--step", choices=("harmonic", "constant"), default="harmonic",
                   help="α_n = 1/n^ω per table entry (default) or a constant α")
    p.add_argument("--omega", type=float, default=0.7, help="harmonic step exponent in (0.5, 1]")
    p.add_argument("--alpha", type=float, default=0.05, help="constant step size")
    p.add_argument("--exploration", choices=("behavior", "epsilon-greedy"), default="behavior")
    p.add_argument("--epsilon", type=float, default=0.1)
    p.add_argument("--checkpoint", help="write an atomic checkpoint here every chunk")
    p.add_argument("--resume", action="store_true", help="continue from --checkpoint")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    _add_neural_args(p)
    return p


def _add_neural_args(p: argparse.ArgumentParser) -> None:
    from icq.reference.neural_options import add_train_arguments  # torch-free

    add_train_arguments(p)


def run(args: argparse.Namespace) -> int:
    if args.handoffs < 0:
        raise UsageError(f"--handoffs: {args.handoffs} must be >= 0")
    if args.resume and not args.checkpoint:
        raise UsageError("--resume needs --checkpoint PATH")
    m = load(args.file)
    if args.learner == "neural":
        from icq.reference.neural import run_train_command

        return run_train_command(m, args)
    try:
        config = TrainConfig(handoffs=args.handoffs, seed=args.seed, step=args.step,
                             omega=args.omega, alpha=args.alpha, exploration=args.exploration,
                             epsilon=args.epsilon)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    res = train_tabular(m, config, checkpoint=args.checkpoint, resume=args.resume,
                        progress=show_progress(args))
    hat = solve(ais_model(m).smdp)
    err = float(np.max(np.abs(res.q - hat.q)))
    q = [{"agent": m.agents[m.obs_agent[o]], "obs": m.obs_labels[o],
          "successor": m.successor_name(j), "q": float(v)}
         for o, j, v in zip(m.obs_pair_obs, m.obs_succ, res.q, strict=True)]
    if args.json:
        emit_json({"learner": "tabular", "handoffs": res.handoffs, "seconds": res.seconds,
                   "episodes": res.episodes, "q": q, "max_abs_error_vs_q_ais": err,
                   "unvisited_pairs": int((res.visits == 0).sum()), "method": res.method,
                   "config": vars(config)})
        return 0
    print(f"{res.method}: {res.handoffs:,} handoffs, {res.episodes:,} episodes, "
          f"{res.seconds:.2f} s ({res.handoffs / max(res.seconds, 1e-9):,.0f} handoffs/s)")
    print(format_table(["agent", "obs", "successor", "Q", "Q̂*_μ", "visits"],
                       [[r["agent"], r["obs"], r["successor"], r["q"], float(h), int(n)]
                        for r, h, n in zip(q, hat.q, res.visits, strict=True)]))
    print(f"\nmax |Q − Q̂*_μ| = {err:.3g} (THEORY.md §2; Q̂*_μ exact by policy iteration)")
    return 0
