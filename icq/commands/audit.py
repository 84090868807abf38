"""``icq audit FILE``: every Theorem 1 term, the assumption checks and the verdict.

Numbers (docs/theory.md, docs/numbers.md): ``gamma_bar, T_max, R_bar`` (§1); ``epsilon`` (B1),
``delta_l1``/``delta`` and ``L_V`` (B2), the gaps ``gap_paper`` (the paper's Δ_AIS),
``gap_value_aware``, ``gap_statewise``, ``gap_exact``, ``policy_loss_bound`` and
``policy_loss_exact`` (§3, Lemmas A and P; the old keys ``ais_gap*``, ``delta_tv`` are printed
too for one release);
``stationary`` and ``tau_mix`` = τ_mix(1/4) (§4; ``tau_mix_method``: exact, restart
decomposition §9, or envelope); ``features`` ω, κ, ε_approx, C_F (§5);
``theorem1`` (§6); ``assumptions``: each hypothesis holds / fails / not checkable.
With ``--traces TRACES --bootstrap B`` (a model written by ``icq fit``), ``bootstrap`` holds
episode-bootstrap intervals on κ, t_mix, the Δ terms, the policy loss and the budget, and names
the quantities that are unstable at the data size given (docs/traces.md).
Each number has a ``method``. Where A5 or A6 fails, ``theorem1.applicable`` is false and
``theorem1.reason`` says why; every defined term is still reported. The work is the library's
(:func:`icq.bounds.record.audit_report`); ``--json`` prints its ``to_json()`` exactly.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from icq.commands import UsageError, emit_json, format_table
from icq.reference.common.io import format_float
from icq.reference.model import load

if TYPE_CHECKING:
    from icq.bounds.record import AuditReport

__all__ = ["add_parser", "add_bootstrap_args", "run", "parse_features", "check_report_path",
           "parse_whatif"]

#: the text output lists at most this many latent states in the greedy-policy table
TEXT_POLICY_ROWS = 60


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("audit", help="Theorem 1 audit: every term, assumptions, verdict",
                       description=__doc__)
    p.add_argument("file", help="an icsmdp-epoch/1 JSON file (docs/format.md); "
                   "- reads standard input")
    p.add_argument("--features", default="tabular",
                   help="'tabular' (one-hot, default), 'neural' (tangent features of per-agent "
                   "MLPs at initialisation, docs/theory.md §5) or a .npy/.json file of shape "
                   "(n_obs_pairs, d) with row norms ≤ 1")
    p.add_argument("--width", type=int, default=64, help="MLP width for --features neural")
    p.add_argument("--depth", type=int, default=2,
                   help="MLP hidden layers for --features neural (0 = linear)")
    p.add_argument("--seed", type=int, default=0, help="initialisation seed for --features neural")
    p.add_argument("--metric", choices=("l1", "w1", "tv"), default="l1",
                   help="IPM for δ and L_V: the full L1 norm (default; 'tv', its old name, is "
                   "accepted one more release) or Wasserstein-1")
    p.add_argument("--obs-metric", default=None,
                   help="metric on observations for --metric w1 (.npy or .json)")
    p.add_argument("--at-handoffs", type=int, default=None, metavar="T",
                   help="T at which Theorem 1 is evaluated (default 1,000,000)")
    # its old name, accepted one more release: in `icq train` --handoffs is the number of updates
    p.add_argument("--handoffs", type=int, dest="old_handoffs", default=None,
                   help=argparse.SUPPRESS)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--report", default=None, help="write a report to PATH.md or PATH.html")
    p.add_argument("--what-if", action="store_true",
                   help="search for a configuration with κ < 1: the behaviour policy minimising "
                   "κ, and each --try-* knob (docs/theory.md §5); reports only what it evaluated")
    p.add_argument("--try-gamma", type=float, action="append", default=[], metavar="G",
                   help="with --what-if: also evaluate discount γ = G (repeatable)")
    p.add_argument("--try-initial", action="append", default=[], metavar="ID=P,...",
                   help="with --what-if: also evaluate this restart law ν₀ (repeatable)")
    p.add_argument("--try-remove", action="append", default=[], metavar="AGENT/OBS/SUCC",
                   help="with --what-if: also evaluate with successor SUCC made inadmissible at "
                   "AGENT/OBS (repeatable)")
    add_bootstrap_args(p)
    return p


def parse_whatif(args: argparse.Namespace) -> dict | None:
    """The :func:`icq.bounds.whatif.what_if` keywords from ``--what-if``/``--try-*``."""
    tried = args.try_gamma or args.try_initial or args.try_remove
    if not args.what_if:
        if tried:
            raise UsageError("--try-gamma/--try-initial/--try-remove: only used with --what-if")
        return None
    laws = []
    for text in args.try_initial:
        law = {}
        for item in text.split(","):
            key, sep, val = item.partition("=")
            try:
                law[key.strip()] = float(val)
            except ValueError:
                sep = ""
            if not sep:
                raise UsageError(f"--try-initial: {item!r} is not STATE=PROBABILITY")
        laws.append(law)
    removals = []
    for text in args.try_remove:
        parts = text.split("/")
        if len(parts) != 3 or not all(parts):
            raise UsageError(f"--try-remove: {text!r} is not AGENT/OBS/SUCCESSOR")
        removals.append(tuple(parts))
    return {"gammas": tuple(args.try_gamma), "initials": tuple(laws),
            "removals": tuple(removals)}


def add_bootstrap_args(p: argparse.ArgumentParser) -> None:
    """``--traces``, ``--bootstrap`` and their settings (docs/traces.md)."""
    p.add_argument("--traces", default=None,
                   help="the icq-trace/1 file the model was fitted from (icq fit)")
    p.add_argument("--bootstrap", type=int, default=None, metavar="B",
                   help="B episode-bootstrap replicates: intervals on every audit quantity")
    p.add_argument("--level", type=float, default=0.9, help="nominal coverage (default 0.9)")
    p.add_argument("--target", type=float, default=0.1,
                   help="target error of the budget quantity (default 0.1)")
    p.add_argument("--bootstrap-seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=None,
                   help="processes for the replicates (default: all cores)")


def parse_features(arg: str, model) -> object:
    """``"tabular"`` or a validated feature array (UsageError naming the rule)."""
    from icq.bounds.validate import InputError, load_features  # see run()

    if arg in ("tabular", "neural"):
        return arg
    try:
        return load_features(arg, model)
    except InputError as exc:
        raise UsageError(str(exc)) from None


def check_report_path(path: str | None) -> None:
    if path is None:
        return
    p = Path(path)
    if p.suffix.lower() not in (".md", ".html", ".htm"):
        raise UsageError(f"--report: {path!r} must end in .md or .html")
    if not p.parent.exists():
        raise UsageError(f"--report: directory {str(p.parent)!r} does not exist")


def run(args: argparse.Namespace) -> int:
    # the bounds floor (sympy, scipy.optimize) is imported when a command runs, not when the
    # command line is built: `icq --help` stays fast
    from icq.bounds.record import audit_report
    from icq.bounds.validate import InputError, load_obs_metric

    if args.old_handoffs is not None:
        if args.at_handoffs is not None:
            raise UsageError("--handoffs: the old name of --at-handoffs; give one of them")
        print("icq audit: --handoffs is now --at-handoffs (the T at which Theorem 1 is "
              "evaluated); the old name is accepted until the next release", file=sys.stderr)
        args.at_handoffs = args.old_handoffs
    if args.at_handoffs is not None and args.at_handoffs < 1:
        raise UsageError(f"--at-handoffs: {args.at_handoffs} must be an integer ≥ 1")
    if args.metric == "w1" and args.obs_metric is None:
        raise UsageError("--obs-metric: required with --metric w1 (a metric on observations)")
    if args.metric != "w1" and args.obs_metric is not None:
        raise UsageError("--obs-metric: only used with --metric w1")
    if args.features == "neural" and (args.width < 1 or args.depth < 0):
        raise UsageError(f"--width {args.width} / --depth {args.depth}: need width ≥ 1, depth ≥ 0")
    check_report_path(args.report)
    knobs = parse_whatif(args)
    check_bootstrap_args(args)
    m = load(args.file)
    features = parse_features(args.features, m)
    try:
        metric = load_obs_metric(args.obs_metric, m) if args.metric == "w1" else None
        r = audit_report(m, features=features, width=args.width, depth=args.depth,
                         seed=args.seed, metric=args.metric, obs_metric=metric,
                         handoffs=args.at_handoffs, whatif=knobs, traces=args.traces,
                         replicates=args.bootstrap, level=args.level, target=args.target,
                         bootstrap_seed=args.bootstrap_seed, workers=args.workers)
    except InputError as exc:
        raise UsageError(str(exc)) from None
    if args.report is not None:
        from icq.report import write_report  # matplotlib: only when a report is asked for

        write_report(r.audit, args.report, whatif=r.whatif)
    if args.json:
        emit_json(r.to_json())
        return 0
    _print_text(r)
    return 0


def check_bootstrap_args(args: argparse.Namespace) -> None:
    """``--traces``/``--bootstrap`` and their settings, checked before any work."""
    if args.bootstrap is None:
        if args.traces is not None:
            raise UsageError("--traces: only used with --bootstrap B")
        return
    if args.traces is None:
        raise UsageError("--bootstrap: needs --traces TRACES, the episodes to resample")
    if args.bootstrap < 2:
        raise UsageError(f"--bootstrap: {args.bootstrap} replicates; need at least 2")
    if not 0.0 < args.level < 1.0:
        raise UsageError(f"--level: {args.level} is not in (0, 1)")
    if not args.target > 0:
        raise UsageError(f"--target: {args.target} must be > 0")


def _print_bootstrap(boot) -> None:
    print(f"\nbootstrap: {boot.replicates} replicates over {boot.episodes:,} episodes "
          f"({boot.lines:,} lines), {100 * boot.level:g}% intervals, the method per quantity "
          f"with its measured coverage (indicative: below the nominal level or not measured)")
    rows = []
    for name, iv in boot.intervals.items():
        rows.append([name, iv.estimate, iv.lower, iv.upper, iv.method,
                     ("indicative " if iv.indicative else "") + iv.coverage,
                     f"{100 * iv.defined:.0f}%",
                     ("unstable: " + iv.why) if iv.unstable else iv.why])
    print(format_table(["quantity", "estimate", "lower", "upper", "method", "coverage",
                        "defined", "stability"], rows))
    if boot.unstable:
        print(f"unstable at this data size: {', '.join(boot.unstable)}")


def _print_text(r: AuditReport) -> None:
    from icq.bounds.summary import PolicyComparison  # see run()

    a, out, pc, whatif = r.audit, r.to_json(), r.policies, r.whatif
    m = a.model
    th = out["theorem1"]
    print(f"{m.name}: {m.n_states} latent states, {m.n_agents} agents, {m.n_obs} observations")
    rows = [[label, "—" if v is None else v, where] for label, v, where in r.numbers()]
    print(format_table(["quantity", "value", "docs/theory.md"], rows))
    print("\nassumptions")
    print(format_table(["name", "status", "detail"],
                       [[k, v["status"], v["detail"]] for k, v in out["assumptions"].items()]))
    print(f"\nTheorem 1 at T = {th['handoffs']:,}: "
          + (f"bound {format_float(th['bound'])} = (C_F ε_approx + Δ + √residual)² "
             f"(three-term form {format_float(th['bound_three_term'])}); burn-in "
             f"t_b = {th['burn_in']:,}, d(t_b) = {format_float(th['d_burn'])}"
             if th["applicable"] else "does not apply"))
    print(f"  covers: {th['covers']}")
    print("  terms, in squared-error units (3C_F²ε_approx², 3Δ², 3·mixing residual, "
          "3·4R_θ²d(t_b); §6):")
    for k, v in th["terms"].items():
        print(f"    {k}: {'—' if v is None else format_float(v)}")
    print(f"  ({th['imported']})")
    if a.witness is not None:
        print("\nA6 witness (docs/theory.md §5)")
        print("\n".join(a.witness.lines()))
    if whatif is not None:
        print("\nwhat-if (docs/theory.md §5): every configuration below was evaluated exactly")
        print(format_table(["configuration", "behaviour", "κ", "A6", "Δ_exact", "loss from ν₀",
                            "worst-state loss"],
                           [[s.knob, s.behaviour, s.kappa, "holds" if s.a6_holds else "fails",
                             s.delta_exact, s.loss_initial, s.loss_max]
                            for s in whatif.scenarios]))
    rows = pc.shown(TEXT_POLICY_ROWS)
    print("\ngreedy policies (docs/theory.md §2–§3): centralized sees the latent state, "
          "decentralized only the observation; * marks a difference")
    print(format_table(list(PolicyComparison.HEADERS),
                       [[*row[:5], "*" if row[5] else "", row[6], row[7]] for row in rows]))
    if len(rows) < len(pc.rows):
        print(f"({len(rows)} of {len(pc.rows)} states, those that differ first; --json has all)")
    print(f"from the initial law: V*(ν₀) = {pc.value_central:.6g}, V^π̂(ν₀) = "
          f"{pc.value_decentral:.6g}, loss {pc.loss_initial:.6g}")
    print(f"\nverdict: {r.verdict()}")
    if r.bootstrap is not None:
        _print_bootstrap(r.bootstrap)
    if r.neural is not None:
        print("\nneural tangent features (docs/theory.md §5, A3–A4):")
        for k, v in out["neural"].items():
            print(f"  {k}: {v}")
