"""``icq train FILE``: train one learner — any ``LearnerSpec`` (docs/theory.md §8, "The learner
specification") — and compare it with the exact Q̂*_μ (docs/theory.md §2).

The learner options are those of ``icq budget`` (one table): ``--learner tabular|linear|neural``
(``--features FILE``, ``--width``, ``--depth``), ``--step harmonic|rescaled|constant|theory``,
``--omega``, ``--alpha``, ``--average last|polyak|tail:F``, ``--burn-in N``, ``--radius R``,
``--exploration``, ``--epsilon``, ``--q0``. ``--step theory`` is Theorem 1's step with κ (A6)
and ω (A5) of the learner's features from the audit (exit 2 naming A6 when κ ≥ 1). ``--handoffs``
counts updates, after the burn-in.

``max_abs_error_vs_q_ais`` = max over observation pairs of |Q − Q̂*_μ| at the spec's iterate
(exact Q̂*_μ by policy iteration on the AIS-induced SMDP). The tabular learner also reports the
Bellman-residual certificate of docs/theory.md §8, computed from the learned table and the model
alone: ‖Q − Q̂*_μ‖∞ ≤ min(‖ĤQ − Q‖∞/(1 − γ̂), max e), e the least fixed point of
e = |ĤQ − Q| + K̂ max e. ``--stop-when-certified ε`` (tabular, last iterate) stops training once
that certificate is ≤ ε. ``--learner linear|neural`` run the network certificate's learner; with
``--checkpoint`` or an option of the older neural learner (``--optimizer``, ``--batch``, …) the
neural spec runs on that learner instead. With ``--traces TRACES`` (FILE the model ``icq fit``
wrote from them) IC-Q is run offline by replaying the logged handoffs (docs/traces.md).
"""

from __future__ import annotations

import argparse
from typing import NoReturn

from icq.commands import UsageError, emit_json, format_table, show_progress
from icq.commands.learner_options import (
    add_learner_arguments,
    add_older_neural_arguments,
    learner_spec,
    older_neural_options,
)
from icq.reference.learners.neural.options import resolve_device
from icq.reference.learners.spec import LearnerSpec
from icq.reference.learners.traces import read_traces
from icq.reference.model import load


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("train", help="train IC-Q (any learner spec) and report its error to "
                       "Q̂*_μ", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", help="an icsmdp-epoch/1 JSON file (docs/format.md); "
                   "- reads standard input")
    p.add_argument("--handoffs", type=int, default=1_000_000,
                   help="number of updates, after the burn-in")
    p.add_argument("--seed", type=int, default=0)
    add_learner_arguments(p)
    p.add_argument("--checkpoint", help="write an atomic checkpoint here every chunk")
    p.add_argument("--resume", action="store_true", help="continue from --checkpoint")
    p.add_argument("--stop-when-certified", type=float, default=None, metavar="EPS",
                   help="tabular: stop once the Bellman-residual certificate ‖Q − Q̂*_μ‖∞ ≤ EPS "
                   "(checked every --certify-every handoffs)")
    p.add_argument("--certify-every", type=int, default=100_000,
                   help="handoffs between certificate checks with --stop-when-certified")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--traces", default=None,
                   help="offline IC-Q: replay the handoffs of this icq-trace/1 file (FILE is "
                   "the model icq fit wrote from it)")
    p.add_argument("--passes", type=int, default=1, help="times --traces is replayed")
    add_older_neural_arguments(p)
    return p


def run(args: argparse.Namespace) -> int:
    # the bounds floor (sympy, numba, scipy.stats) is loaded when the command runs, not when the
    # command line is built: `icq --help` stays fast
    from icq.bounds.training import TheoryStepRefused, train_report

    if args.handoffs < 0:
        raise UsageError(f"--handoffs: {args.handoffs} must be >= 0")
    if args.resume and not args.checkpoint:
        raise UsageError("--resume needs --checkpoint PATH")
    spec = learner_spec(args)
    m = load(args.file)
    if args.traces is not None:
        if spec != LearnerSpec(step_exponent=spec.step_exponent):
            raise UsageError("--traces: offline replay runs the tabular learner with harmonic "
                             "steps and the last iterate; of the learner options only --omega "
                             "applies")
        return _run_traces(m, args)
    older = older_neural_options(args) if spec.representation == "neural" else None
    if args.device is not None:
        try:
            resolve_device(args.device)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    try:
        rep = train_report(m, spec, handoffs=args.handoffs, seed=args.seed,
                           checkpoint=args.checkpoint, resume=args.resume,
                           progress=show_progress(args),
                           stop_when_certified=args.stop_when_certified,
                           certify_every=args.certify_every, neural_options=older,
                           device=args.device)
    except TheoryStepRefused as exc:
        raise UsageError(str(exc)) from None
    except ValueError as exc:
        _refuse(exc)
    return _print(rep, args.json, head=1)


def _run_traces(m, args: argparse.Namespace) -> int:
    """``icq train MODEL --traces TRACES``: offline IC-Q, error against the model's Q̂*_μ."""
    # the bounds floor is loaded when the command runs: `icq --help` stays fast
    from icq.bounds.training import offline_report

    if args.passes < 1:
        raise UsageError(f"--passes: {args.passes} must be >= 1")
    try:
        rep = offline_report(m, read_traces(args.traces), passes=args.passes,
                             step_exponent=args.step_exponent)
    except ValueError as exc:
        _refuse(exc)
    return _print(rep, args.json, head=2)


def _refuse(exc: ValueError) -> NoReturn:
    """A plain ValueError from the library is bad input (exit 2); a subclass is re-raised."""
    if type(exc) is not ValueError:
        raise exc
    raise UsageError(str(exc)) from None


def _print(rep, as_json: bool, *, head: int) -> int:
    """A report's JSON, or its first ``head`` lines, its table of pairs and the rest."""
    if as_json:
        emit_json(rep.to_json())
        return 0
    lines = rep.lines()
    print("\n".join(lines[:head]))
    print(format_table(*rep.table()))
    print("\n" + "\n".join(lines[head:]))
    return 0
