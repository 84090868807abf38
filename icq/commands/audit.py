"""``icq audit FILE``: every Theorem 1 term, the assumption checks and the verdict.

Numbers (docs/theory.md): ``gamma_bar, T_max, R_bar`` (§1); ``epsilon`` (B1), ``delta_tv``/``delta``
and ``L_V`` (B2), ``ais_gap`` (Δ_AIS), ``ais_gap_value_aware``, ``ais_gap_statewise``,
``ais_gap_exact``, ``policy_loss_bound`` and ``policy_loss_exact`` (§3, Lemmas A and P);
``stationary`` and ``tau_mix`` = τ_mix(1/4) (§4); ``features`` ω, κ, ε_approx, C_F (§5);
``theorem1`` (§6); ``assumptions``: each hypothesis holds / fails / not checkable.
Each number has a ``method``. Where A5 or A6 fails, ``theorem1.applicable`` is false and
``theorem1.reason`` says why; every defined term is still reported.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from icq.cli import UsageError, emit_json, format_table
from icq.reference.model import load

__all__ = ["add_parser", "run", "parse_features", "check_report_path"]


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("audit", help="Theorem 1 audit: every term, assumptions, verdict",
                       description=__doc__)
    p.add_argument("file", help="an icsmdp-epoch/1 JSON file")
    p.add_argument("--features", default="tabular",
                   help="'tabular' (one-hot, default), 'neural' (tangent features of per-agent "
                   "MLPs at initialisation, docs/theory.md §5) or a .npy/.json file of shape "
                   "(n_obs_pairs, d) with row norms ≤ 1")
    p.add_argument("--width", type=int, default=64, help="MLP width for --features neural")
    p.add_argument("--depth", type=int, default=2,
                   help="MLP hidden layers for --features neural (0 = linear)")
    p.add_argument("--seed", type=int, default=0, help="initialisation seed for --features neural")
    p.add_argument("--metric", choices=("tv", "w1"), default="tv",
                   help="IPM for δ and L_V: total variation (default) or Wasserstein-1")
    p.add_argument("--obs-metric", default=None,
                   help="metric on observations for --metric w1 (.npy or .json)")
    p.add_argument("--handoffs", type=int, default=None,
                   help="T at which Theorem 1 is evaluated (default 1,000,000)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--report", default=None, help="write a report to PATH.md or PATH.html")
    return p


def parse_features(arg: str, model) -> object:
    """``"tabular"`` or a validated feature array (UsageError naming the rule)."""
    from icq.bounds.validate import InputError, load_features

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
    from icq.bounds.auditor import audit
    from icq.bounds.validate import InputError, load_obs_metric

    if args.handoffs is not None and args.handoffs < 1:
        raise UsageError(f"--handoffs: {args.handoffs} must be an integer ≥ 1")
    if args.metric == "w1" and args.obs_metric is None:
        raise UsageError("--obs-metric: required with --metric w1 (a metric on observations)")
    if args.metric == "tv" and args.obs_metric is not None:
        raise UsageError("--obs-metric: only used with --metric w1")
    if args.features == "neural" and (args.width < 1 or args.depth < 0):
        raise UsageError(f"--width {args.width} / --depth {args.depth}: need width ≥ 1, depth ≥ 0")
    check_report_path(args.report)
    m = load(args.file)
    features = parse_features(args.features, m)
    neural = None
    try:
        metric = load_obs_metric(args.obs_metric, m) if args.metric == "w1" else None
        if isinstance(features, str) and features == "neural":
            from icq.reference.neural import neural_feature_terms

            neural = neural_feature_terms(m, width=args.width, depth=args.depth, seed=args.seed,
                                          handoffs=args.handoffs, metric=args.metric,
                                          obs_metric=metric)
            a = neural.audit
        else:
            a = audit(m, features=features,
                      feature_kind=None if isinstance(features, str) else "user",
                      metric=args.metric, obs_metric=metric, handoffs=args.handoffs)
    except InputError as exc:
        raise UsageError(str(exc)) from None
    if args.report is not None:
        from icq.bounds.report import write_report

        write_report(a, args.report)
    out = a.to_json()
    if neural is not None:
        out["neural"] = neural.to_json()
    if args.json:
        emit_json(out)
        return 0
    _print_text(a, out)
    if neural is not None:
        print("\nneural tangent features (docs/theory.md §5, A3–A4):")
        for k, v in out["neural"].items():
            print(f"  {k}: {v}")
    return 0


def _print_text(a, out: dict) -> None:
    from icq.bounds.report import verdict

    m = a.model
    f = out["features"]
    th = out["theorem1"]
    print(f"{m.name}: {m.n_states} latent states, {m.n_agents} agents, {m.n_obs} observations")
    rows = [
        ["γ̄", out["gamma_bar"], "§1"], ["T_max", out["T_max"], "§1"],
        ["R̄", out["R_bar"], "§1"], ["ε (B1)", out["epsilon"], "§3"],
        [f"δ ({out['metric']})", out["delta"], "§3"], ["L_V", out["L_V"], "§3"],
        ["Δ_AIS", out["ais_gap"], "§3"], ["Δ_va", out["ais_gap_value_aware"], "§3"],
        ["state-wise", out["ais_gap_statewise"], "§3"], ["Δ_exact", out["ais_gap_exact"], "§3"],
        ["policy-loss bound", out["policy_loss_bound"], "§3 Lemma P"],
        ["exact policy loss", out["policy_loss_exact"], "§3"],
        ["t_mix", out["tau_mix"] if out["tau_mix"] is not None else "—", "§4"],
        ["ω (A5)", f["omega"] if f["omega"] is not None else "—", "§5"],
        ["κ (A6)", f["kappa"] if f["kappa"] is not None else "—", "§5"],
        ["ε_approx", f["epsilon_approx"] if f["epsilon_approx"] is not None else "—", "§5"],
        ["C_F", f["C_F"] if f["C_F"] is not None else "—", "§5"],
        ["pairs outside supp μ⊗π_b", f["outside_support"]
         if f["outside_support"] is not None else "—", "§5"],
    ]
    print(format_table(["quantity", "value", "docs/theory.md"], rows))
    print("\nassumptions")
    print(format_table(["name", "status", "detail"],
                       [[k, v["status"], v["detail"]] for k, v in out["assumptions"].items()]))
    print(f"\nTheorem 1 at T = {th['handoffs']:,}: "
          + (f"bound {th['bound']:.6g} = (C_F ε_approx + Δ + √residual)² (three-term form "
             f"{th['bound_three_term']:.6g}); burn-in t_b = {th['burn_in']:,}, "
             f"d(t_b) = {th['d_burn']:.3g}" if th["applicable"] else "does not apply"))
    print(f"  covers: {th['covers']}")
    print("  terms, in squared-error units (3C_F²ε_approx², 3Δ², 3·mixing residual, "
          "3·8R_θ²d(t_b); §6):")
    for k, v in th["terms"].items():
        print(f"    {k}: {'—' if v is None else format(v, '.6g')}")
    print(f"  ({th['imported']})")
    print(f"\nverdict: {verdict(a)}")
