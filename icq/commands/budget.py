"""``icq budget FILE --target E``: handoffs needed for Theorem 1's bound to reach E².

The least T from which on the right-hand side of Theorem 1 stays ≤ E² (docs/theory.md §6):
bisection on the continuous mixing envelope, decreasing beyond a stated T₀, with the exact
expression checked at the answer. Reported as ``handoffs``, ``primitive_steps_expected``
(E[τ]·T under μ ⊗ π_b) and ``primitive_steps_max`` (T_max·T). When
3C_F²ε_approx² + 3Δ² ≥ E² no budget suffices and ``blocked_by`` names the term; when A5/A6/A2
fail it is ``"assumptions"`` and ``reason`` says which.
"""

from __future__ import annotations

import argparse
import math

from icq.cli import UsageError, emit_json
from icq.commands.audit import parse_features
from icq.reference.model import load

__all__ = ["add_parser", "run"]

GAPS = {"paper": "paper", "value-aware": "value_aware", "statewise": "statewise",
        "exact": "exact"}


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("budget", help="handoffs needed for a target error (Theorem 1)",
                       description=__doc__)
    p.add_argument("file", help="an icsmdp-epoch/1 JSON file (docs/format.md); "
                   "- reads standard input")
    p.add_argument("--target", type=float, required=True,
                   help="target error E > 0 in ‖·‖_μ (the bound is on the squared error)")
    p.add_argument("--features", default="tabular",
                   help="'tabular' (default) or a .npy/.json feature file")
    p.add_argument("--gap", choices=tuple(GAPS), default="paper",
                   help="which Δ of docs/theory.md §3 enters the bound (default: paper, Δ_AIS)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return p


def run(args: argparse.Namespace) -> int:
    from icq.bounds.auditor import audit, budget

    if not (math.isfinite(args.target) and args.target > 0):
        raise UsageError(f"--target: {args.target} must be a finite number > 0")
    m = load(args.file)
    features = parse_features(args.features, m)
    a = audit(m, features=features, feature_kind=None if isinstance(features, str) else "user")
    b = budget(a, args.target, gap_form=GAPS[args.gap])
    out = {
        "target": b.target, "handoffs": b.handoffs,
        "primitive_steps_expected": b.primitive_steps_expected,
        "primitive_steps_max": b.primitive_steps_max, "blocked_by": b.blocked_by,
        "reason": b.reason, "gap": GAPS[args.gap], "T0": b.T0, "floor": b.floor,
        "envelope_at_answer": b.envelope_at_answer, "exact_at_answer": b.exact_at_answer,
        "tau_mix_at_answer": b.tau_at_answer, "exact_check": b.exact_check,
        "method": b.method, "imported": a.theorem.imported,
    }
    if args.json:
        emit_json(out)
        return 0
    if b.handoffs is None:
        print(f"no budget reaches E = {b.target:g}: blocked by {b.blocked_by}")
        print(f"  {b.reason}")
        return 0
    print(f"E = {b.target:g} (squared-error bound ≤ {b.target ** 2:g}) needs:")
    print(f"  handoffs T*               {b.handoffs:,}")
    print(f"  primitive steps, expected {b.primitive_steps_expected:,.0f} (E[τ]·T)")
    print(f"  primitive steps, at most  {b.primitive_steps_max:,} (T_max·T)")
    print(f"  envelope decreasing from T₀ = {b.T0:.6g}; exact bound at T* = "
          f"{b.exact_at_answer:.6g} (check {'passed' if b.exact_check else 'FAILED'})")
    print(f"  ({a.theorem.imported})")
    return 0
