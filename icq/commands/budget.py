"""``icq budget FILE --target E``: how many handoffs until the learned table is within E.

One row per method (docs/theory.md §8):

- Monte-Carlo certificate (default method): ``--seeds`` independent runs of the tabular learner
  configured exactly as ``icq train`` would run it (same options), on this file, from its ν₀ and
  Q₀ = 0, up to ``--horizon`` handoffs, the error tracked at every handoff. T = H_(k), the k-th
  smallest first handoff from which the error stays ≤ E through the horizon, is a
  ``--confidence`` upper bound on the ``--quantile`` of that handoff count (order statistics);
- the theorem rows (docs/theory.md §6): sound in expectation for the learner they name, and
  loose.

``--error learning`` (default) measures ‖Q − Q̂*_μ‖ (what IC-Q can learn, no floor); ``--error
total`` measures Q∘σ against Q* on the latent pairs with μ(y)π_b > 0, whose smallest reachable
value (half the fiber spread of Q*, or the fiber variance in ‖·‖_μ) is printed; a target at or
below it is refused. ``--norm sup`` (default) or ``mu`` (‖·‖_μ over μ ⊗ π_b).

Exit status: 0 when at least one method gives a budget; 2 on invalid input (a target at or
below the smallest reachable total error, too few seeds for the quantile and confidence, ...);
3 when no method gives a budget (the certificate lies beyond the horizon and every theorem is
blocked): the blocking term of each method and the smallest reachable target are printed.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from icq.cli import UsageError, emit_json, format_table, show_progress
from icq.commands.audit import check_report_path, parse_features
from icq.commands.train import add_tabular_arguments, tabular_config
from icq.reference.model import load

__all__ = ["add_parser", "run", "NO_BUDGET"]

#: exit status when no method gives a budget
NO_BUDGET = 3


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("budget", help="handoffs needed for a target error (Monte-Carlo "
                       "certificate and theorems; exit 3: no method gives a budget)",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", help="an icsmdp-epoch/1 JSON file (docs/format.md); "
                   "- reads standard input")
    p.add_argument("--target", type=float, required=True, help="target error E > 0")
    p.add_argument("--error", choices=("learning", "total"), default="learning",
                   help="learning: to Q̂*_μ (default); total: to Q* on latent pairs")
    p.add_argument("--norm", choices=("sup", "mu"), default="sup",
                   help="sup norm (default) or ‖·‖_μ over μ ⊗ π_b")
    p.add_argument("--seeds", type=int, default=200, help="independent runs (default 200)")
    p.add_argument("--quantile", type=float, default=0.95,
                   help="q: the certified fraction of fresh runs (default 0.95)")
    p.add_argument("--confidence", type=float, default=0.95,
                   help="1 − β: confidence of the certificate (default 0.95)")
    p.add_argument("--horizon", type=int, default=2_000_000,
                   help="handoffs per run; nothing is certified beyond it (default 2,000,000)")
    p.add_argument("--backend", choices=("local", "ray"), default="local",
                   help="seeds over local processes (default) or a Ray cluster")
    p.add_argument("--workers", type=int, default=None,
                   help="processes or Ray CPUs (default: all cores)")
    add_tabular_arguments(p)
    p.add_argument("--features", default="tabular",
                   help="features of the theorem rows: 'tabular' (default) or a .npy/.json file")
    p.add_argument("--report", default=None, metavar="PATH.md|PATH.html",
                   help="also write the audit report with the certificate's learning curves")
    p.add_argument("--checkpoint", default=None, metavar="DIR",
                   help="write each finished chunk of the certificate's runs to DIR atomically")
    p.add_argument("--resume", action="store_true",
                   help="continue the certificate's runs from --checkpoint DIR (the result is "
                   "identical, bit for bit, to an uninterrupted run)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return p


def _check(args: argparse.Namespace) -> None:
    problems = []
    if not (math.isfinite(args.target) and args.target > 0):
        problems.append(f"--target: {args.target} must be a finite number > 0")
    if args.seeds < 1:
        problems.append(f"--seeds: {args.seeds} must be >= 1")
    if args.horizon < 1:
        problems.append(f"--horizon: {args.horizon} must be >= 1")
    for name in ("quantile", "confidence"):
        v = getattr(args, name)
        if not 0.0 < v < 1.0:
            problems.append(f"--{name}: {v} must lie in (0, 1)")
    if args.workers is not None and args.workers < 1:
        problems.append(f"--workers: {args.workers} must be >= 1")
    if args.resume and args.checkpoint is None:
        problems.append("--resume: needs --checkpoint DIR")
    if problems:
        raise UsageError("\n".join(problems))


def run(args: argparse.Namespace) -> int:
    from icq.bounds.budgets import TargetBelowFloor, budgets
    from icq.bounds.certificate import SeedsTooFew

    _check(args)
    check_report_path(args.report)
    config = tabular_config(args, handoffs=args.horizon, seed=0)
    m = load(args.file)
    features = parse_features(args.features, m)
    try:
        b = budgets(m, args.target, config, error=args.error, norm=args.norm, seeds=args.seeds,
                    quantile=args.quantile, confidence=args.confidence, horizon=args.horizon,
                    backend=args.backend, workers=args.workers, features=features,
                    feature_kind=None if isinstance(features, str) else "user",
                    model_name=Path(args.file).name, progress=show_progress(args),
                    checkpoint=args.checkpoint, resume=args.resume)
    except SeedsTooFew as exc:
        raise UsageError(f"--seeds: {exc}") from None
    except TargetBelowFloor as exc:
        raise UsageError(exc.message("--target")) from None
    code = 0 if b.ok else NO_BUDGET
    if args.report is not None:
        from types import SimpleNamespace

        from icq.report import write_report

        curves = SimpleNamespace(grid=b.runs.grid, errors=b.runs.errors, target=args.target,
                                 handoffs=b.rows[0].handoffs, norm=args.norm)
        write_report(b.audit, args.report, certificate=curves)
    if args.json:
        emit_json({
            "target": args.target, "error": args.error, "norm": args.norm,
            "smallest_reachable_target": b.floor, "exit": code,
            "methods": [_row_json(r) for r in b.rows]})
        return code
    _print(b.rows, b.floor, args)
    return code


def _row_json(r) -> dict:
    from dataclasses import asdict

    return asdict(r)


def _print(rows, floor: float, args: argparse.Namespace) -> None:
    def num(v):
        return "—" if v is None else f"{v:,.0f}"

    print(f"error ≤ {args.target:g} ({args.error} error, {args.norm} norm; smallest reachable "
          f"target {floor:.6g}):")
    print(format_table(["method", "handoffs", "primitive steps (expected)", "status", "section"],
                       [[r.method, num(r.handoffs), num(r.primitive_steps_expected), r.status,
                         r.section] for r in rows]))
    for r in rows:
        print(f"\n{r.method}: {r.covers}")
        if r.reason:
            print(f"  {r.reason}" + (f" (blocked by {r.blocked_by})" if r.blocked_by else ""))
    if not any(r.status == "ok" for r in rows):
        print(f"\nno method gives a budget (exit {NO_BUDGET}); smallest reachable target "
              f"{floor:.6g}")
