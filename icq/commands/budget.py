"""``icq budget FILE --target E``: how many handoffs until the learned table is within E.

One row per method (docs/theory.md §8):

- Monte-Carlo certificate (default method): ``--seeds`` independent runs of the learner
  specified exactly as ``icq train`` would run it (the same learner options: ``--learner``,
  ``--step``, ``--omega``, ``--average``, ``--burn-in``, ``--radius``, ...), on this file, from its
  ν₀, up to ``--horizon`` handoffs, on the seeds 2³² + 0, 1, … (a range ``icq train`` never uses
  by default). T = H_(k), the k-th smallest first handoff from which the error stays ≤ E through
  the horizon, is a ``--confidence`` upper bound on the ``--quantile`` of that handoff count
  (order statistics). ``--horizon auto`` doubles the horizon from 200,000 up to
  ``--horizon-cap`` until T lies in its first half;
- the theorem rows (docs/theory.md §6): sound in expectation for the learners they name, and
  loose. Where Theorem 1 gives a budget, its own learner (theory step, Polyak average, the
  burn-in and radius the budget chose) is certified beside it, with the ratio theorem T /
  certified T: how loose the theorem is on this model.

``--tune`` searches a declared family of learners (ω grid, rescaled-linear and constant steps,
last/Polyak/tail-averaged iterates) on ``--selection-seeds`` runs, picks the one with the
smallest selection-stage quantile of H and certifies it on the (disjoint) certificate seeds.
``--traces T --bootstrap B`` (FILE fitted from T by ``icq fit``) reruns the certificate on B
bootstrap refits and reports the spread of certified T across them.

``--error learning`` (default) measures ‖Q − Q̂*_μ‖ (what IC-Q can learn, no floor); ``--error
total`` measures Q∘σ against Q* on the latent pairs with μ(y)π_b > 0, whose smallest reachable
value (half the fiber spread of Q*, or the fiber variance in ‖·‖_μ) is printed; a target at or
below it is refused. ``--norm sup`` (default) or ``mu`` (‖·‖_μ over μ ⊗ π_b).

Exit status: 0 when at least one method gives a budget; 2 on invalid input (a target at or
below the smallest reachable total error or, for tabular IC-Q, at or below the total error of
Q̂*_μ∘σ it converges to; too few seeds for the quantile and confidence, ...); 3 when no method
gives a budget (the certificate lies beyond the horizon and every theorem is blocked): the
blocking term of each method and the smallest reachable target are printed.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

from icq.bounds.constants import AUTO_CAP, NO_BUDGET
from icq.commands import UsageError, emit_json, format_table, show_progress
from icq.commands.audit import check_bootstrap_args, check_report_path, parse_features
from icq.commands.learner_options import learner_spec
from icq.reference.learners.spec import add_learner_arguments
from icq.reference.model import load

__all__ = ["add_parser", "run", "NO_BUDGET"]


def _horizon(text: str) -> int | str:
    if text == "auto":
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer or 'auto'") from None


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
    p.add_argument("--horizon", type=_horizon, default=2_000_000,
                   help="handoffs per run; nothing is certified beyond it (default 2,000,000); "
                   "auto: double from 200,000 until T lies in the first half")
    p.add_argument("--horizon-cap", type=int, default=AUTO_CAP,
                   help=f"the largest horizon of --horizon auto (default {AUTO_CAP:,})")
    p.add_argument("--tune", action="store_true",
                   help="also choose a faster learner from a declared family on selection "
                   "seeds and certify it on fresh ones")
    p.add_argument("--selection-seeds", type=int, default=59,
                   help="--tune: runs per candidate in the selection stage (default 59)")
    p.add_argument("--traces", default=None,
                   help="with --bootstrap: the icq-trace/1 file FILE was fitted from")
    p.add_argument("--bootstrap", type=int, default=None, metavar="B",
                   help="rerun the certificate on B episode-bootstrap refits of FILE")
    p.add_argument("--bootstrap-seed", type=int, default=0)
    p.add_argument("--level", type=float, default=0.9,
                   help="--bootstrap: the reported upper quantile of T across refits "
                   "(default 0.9)")
    p.add_argument("--backend", choices=("local", "ray"), default="local",
                   help="seeds over local processes (default) or a Ray cluster")
    p.add_argument("--workers", type=int, default=None,
                   help="processes or Ray CPUs (default: all cores)")
    add_learner_arguments(p, features=False)
    p.add_argument("--features", default="tabular",
                   help="features of the theorem rows and of --learner linear: 'tabular' "
                   "(default) or a .npy/.json file")
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
    if args.horizon != "auto" and args.horizon < 1:
        problems.append(f"--horizon: {args.horizon} must be >= 1 or 'auto'")
    if args.horizon_cap < 1:
        problems.append(f"--horizon-cap: {args.horizon_cap} must be >= 1")
    if args.selection_seeds < 1:
        problems.append(f"--selection-seeds: {args.selection_seeds} must be >= 1")
    for name in ("quantile", "confidence", "level"):
        v = getattr(args, name)
        if not 0.0 < v < 1.0:
            problems.append(f"--{name}: {v} must lie in (0, 1)")
    if args.learner == "linear" and args.features == "tabular":
        problems.append("--features: the linear learner needs a feature file (--features FILE)")
    if args.workers is not None and args.workers < 1:
        problems.append(f"--workers: {args.workers} must be >= 1")
    if args.resume and args.checkpoint is None:
        problems.append("--resume: needs --checkpoint DIR")
    if problems:
        raise UsageError("\n".join(problems))


def run(args: argparse.Namespace) -> int:
    # the bounds floor (sympy, numba, scipy.stats) is loaded when the command runs, not when the
    # command line is built: `icq --help` stays fast
    from icq.bounds.budgets import (
        LearnerNotRunnable,
        TargetBelowFloor,
        bootstrap_budget,
        budgets,
    )
    from icq.bounds.certificate import SeedsTooFew
    from icq.reference.learners.traces.data import trace_data_for_model
    from icq.report import write_report

    _check(args)
    check_report_path(args.report)
    learner = learner_spec(args)
    m = load(args.file)
    check_bootstrap_args(args)
    data = None if args.bootstrap is None else trace_data_for_model(args.traces, m)
    features = parse_features(args.features, m)
    opts = dict(error=args.error, norm=args.norm, seeds=args.seeds, quantile=args.quantile,
                confidence=args.confidence, horizon=args.horizon, horizon_cap=args.horizon_cap,
                backend=args.backend, workers=args.workers, model_name=Path(args.file).name,
                progress=show_progress(args))
    try:
        b = budgets(m, args.target, learner, features=features,
                    feature_kind=None if isinstance(features, str) else "user",
                    model_file=args.file, tune=args.tune,
                    selection_seeds=args.selection_seeds, checkpoint=args.checkpoint,
                    resume=args.resume, **opts)
        boot = None if data is None else bootstrap_budget(
            data, args.target, learner, replicates=args.bootstrap, seed=args.bootstrap_seed,
            level=args.level, **opts)
    except SeedsTooFew as exc:
        raise UsageError(f"--seeds: {exc}") from None
    except TargetBelowFloor as exc:
        raise UsageError(exc.message("--target")) from None
    except LearnerNotRunnable as exc:
        raise UsageError(f"--{exc}") from None
    code = b.exit_code
    if args.report is not None:
        curves = SimpleNamespace(grid=b.runs.grid, errors=b.runs.errors, target=args.target,
                                 handoffs=b.rows[0].handoffs, norm=args.norm)
        write_report(b.audit, args.report, certificate=curves)
    if boot is not None:
        b = replace(b, bootstrap=boot)
    if args.json:
        emit_json(b.to_json())
        return code
    _print(b, args)
    if b.bootstrap is not None:
        _print_bootstrap(b.bootstrap)
    return code


def _num(v) -> str:
    return "—" if v is None else f"{v:,.0f}"


def _print(b, args: argparse.Namespace) -> None:
    rows = b.rows
    limit = ("" if b.limit is None else
             f"; total error of Q̂*_μ∘σ, which tabular IC-Q converges to: {b.limit:.6g}")
    print(f"error ≤ {args.target:g} ({args.error} error, {args.norm} norm; smallest reachable "
          f"target for any table {b.floor:.6g}{limit}):")
    print(format_table(["method", "handoffs", "primitive steps (expected)", "status", "section"],
                       [[r.method, _num(r.handoffs), _num(r.primitive_steps_expected), r.status,
                         r.section] for r in rows]))
    for r in rows:
        print(f"\n{r.method}: {r.covers}")
        if r.reason:
            print(f"  {r.reason}" + (f" (blocked by {r.blocked_by})" if r.blocked_by else ""))
        if "train_command" in r.details:
            print(f"  train it: {' '.join(r.details['train_command'])}")
        ratio = r.details.get("theorem_over_certificate")
        if r.method == "Theorem 1" and r.details.get("own_learner_certificate") is not None:
            print(f"  beside the certificate of its own learner: "
                  f"{_num(r.details['clock_handoffs'])} / "
                  f"{_num(r.details['own_learner_certificate'])} = {ratio:,.3g} (how loose "
                  "Theorem 1 is on this model; both count handoffs after the burn-in)")
    if b.tune is not None:
        _print_tune(b.tune)
    if not b.ok:
        print(f"\nno method gives a budget (exit {NO_BUDGET}); smallest reachable target "
              f"{b.floor:.6g}")


def _print_tune(t) -> None:
    def q(c):
        if c.quantile_H is None:  # the reason names the options first
            return f"not run ({c.reason.split(':')[0]})"
        return "beyond horizon" if c.quantile_H == float("inf") else _num(c.quantile_H)

    print(f"\n--tune: {len(t.candidates)} candidates, {t.selection_seeds.size} selection runs "
          f"each (horizon {t.selection_horizon:,})")
    print(format_table(["selection quantile of H", "learner options"],
                       [[q(c), " ".join(c.spec.argv())] for c in t.candidates]))
    print(f"chosen: {' '.join(t.chosen.argv())}")
    print(f"certified T: tuned {_num(t.row.handoffs)}, default {_num(t.default.handoffs)}"
          + ("" if t.speedup is None else f" (default / tuned = {t.speedup:.3g})"))


def _print_bootstrap(boot) -> None:
    print(f"\n--bootstrap: certified T on {boot.replicates} refits: "
          + ", ".join(_num(t) if t != float("inf") else "∞" for t in sorted(boot.handoffs)))
    print(f"  {boot.level:g} upper quantile: "
          f"{_num(boot.upper) if boot.upper != float('inf') else '∞ (beyond the horizon)'}")
    print(f"  {boot.meaning}")
