"""``icq train FILE --learner tabular``: run IC-Q, compare with the exact Q̂*_μ (docs/theory.md §2).

``max_abs_error_vs_q_ais`` = max over observation pairs of |Q − Q̂*_μ| (exact Q̂*_μ by policy
iteration on the AIS-induced SMDP). With ``--traces TRACES`` (FILE the model ``icq fit`` wrote
from them) IC-Q is run offline by replaying the logged handoffs (docs/traces.md).
``certified_error`` is the Bellman-residual certificate of
docs/theory.md §8, computed from the learned table and the model alone:
‖Q − Q̂*_μ‖∞ ≤ min(‖ĤQ − Q‖∞/(1 − γ̂), max e), e the least fixed point of e = |ĤQ − Q| + K̂ max e.
``--stop-when-certified ε`` (tabular) stops training once that certificate is ≤ ε.
"""

from __future__ import annotations

import argparse

import numpy as np

from icq.commands import UsageError, emit_json, format_table, show_progress
from icq.reference.exact.ais import ais_model
from icq.reference.exact.solve import solve
from icq.reference.learners.tabular import TrainConfig, train_tabular
from icq.reference.model import load

LEARNERS = ("tabular", "neural")


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("train", help="train IC-Q and report its error to Q̂*_μ",
                       description=__doc__)
    p.add_argument("file", help="an icsmdp-epoch/1 JSON file (docs/format.md); "
                   "- reads standard input")
    p.add_argument("--learner", choices=LEARNERS, default="tabular")
    p.add_argument("--handoffs", type=int, default=1_000_000, help="number of handoffs (updates)")
    p.add_argument("--seed", type=int, default=0)
    add_tabular_arguments(p)
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
    _add_neural_args(p)
    return p


def add_tabular_arguments(p: argparse.ArgumentParser) -> None:
    """The tabular learner's options (step schedule, exploration), shared by ``icq train`` and
    ``icq budget`` so that a budget certifies exactly the configuration ``icq train`` runs."""
    p.add_argument("--step", choices=("harmonic", "constant"), default="harmonic",
                   help="α_n = 1/n^ω per table entry (default) or a constant α")
    p.add_argument("--omega", type=float, default=0.7, help="harmonic step exponent in (0.5, 1]")
    p.add_argument("--alpha", type=float, default=0.05, help="constant step size")
    p.add_argument("--exploration", choices=("behavior", "epsilon-greedy"), default="behavior")
    p.add_argument("--epsilon", type=float, default=0.1)


def tabular_config(args: argparse.Namespace, *, handoffs: int, seed: int) -> TrainConfig:
    """The :class:`TrainConfig` of :func:`add_tabular_arguments`' options (exit 2 if invalid)."""
    try:
        return TrainConfig(handoffs=handoffs, seed=seed, step=args.step, omega=args.omega,
                           alpha=args.alpha, exploration=args.exploration,
                           epsilon=args.epsilon)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _add_neural_args(p: argparse.ArgumentParser) -> None:
    from icq.reference.learners.neural.options import add_train_arguments  # torch-free

    add_train_arguments(p)


def run(args: argparse.Namespace) -> int:
    if args.handoffs < 0:
        raise UsageError(f"--handoffs: {args.handoffs} must be >= 0")
    if args.resume and not args.checkpoint:
        raise UsageError("--resume needs --checkpoint PATH")
    m = load(args.file)
    if args.traces is not None:
        return _run_traces(m, args)
    if args.learner == "neural":
        return _run_neural(m, args)
    config = tabular_config(args, handoffs=args.handoffs, seed=args.seed)
    from icq.bounds.residual import residual_certificate

    target = args.stop_when_certified
    if target is not None and not (np.isfinite(target) and target > 0):
        raise UsageError(f"--stop-when-certified: {target} must be a finite number > 0")
    if args.certify_every < 1:
        raise UsageError(f"--certify-every: {args.certify_every} must be >= 1")
    ais = ais_model(m)
    stop, chunk = None, 2_000_000
    if target is not None:
        def stop(q: np.ndarray, done: int) -> bool:
            return residual_certificate(ais, q).certifies(target)
        chunk = args.certify_every
    res = train_tabular(m, config, checkpoint=args.checkpoint, resume=args.resume,
                        progress=show_progress(args), chunk=chunk, stop=stop)
    hat = solve(ais.smdp)
    err = float(np.max(np.abs(res.q - hat.q)))
    cert = residual_certificate(ais, res.q)
    q = _q_rows(m, res.q)
    certificate = {**_certificate_json(cert), "stop_when_certified": target,
                   "stopped_early": bool(target is not None and res.handoffs < config.handoffs)}
    if args.json:
        emit_json({"learner": "tabular", "handoffs": res.handoffs, "seconds": res.seconds,
                   "episodes": res.episodes, "q": q, "max_abs_error_vs_q_ais": err,
                   "certificate": certificate,
                   "unvisited_pairs": int((res.visits == 0).sum()), "method": res.method,
                   "config": vars(config)})
        return 0
    _print_run(res, q, hat.q)
    print(f"\nmax |Q − Q̂*_μ| = {err:.3g} (docs/theory.md §2; Q̂*_μ exact by policy iteration)")
    _print_certificate(cert)
    if certificate["stopped_early"]:
        print(f"stopped after {res.handoffs:,} handoffs: certificate ≤ {target:g}")
    return 0


def _run_traces(m, args: argparse.Namespace) -> int:
    """``icq train MODEL --traces TRACES``: offline IC-Q, error against the model's Q̂*_μ."""
    from icq.reference.learners.traces import offline_icq, read_traces

    if args.learner != "tabular":
        raise UsageError("--traces: offline replay is a tabular learner")
    if args.passes < 1:
        raise UsageError(f"--passes: {args.passes} must be >= 1")
    try:
        res = offline_icq(m, read_traces(args.traces), passes=args.passes, omega=args.omega)
    except ValueError as exc:
        if type(exc) is not ValueError:
            raise
        raise UsageError(str(exc)) from None
    from icq.bounds.residual import residual_certificate

    ais = ais_model(m)
    hat = solve(ais.smdp)
    err = float(np.max(np.abs(res.q - hat.q)))
    cert = residual_certificate(ais, res.q)
    q = _q_rows(m, res.q)
    if args.json:
        emit_json({"learner": "tabular-offline", "lines": res.lines, "passes": res.passes,
                   "handoffs": res.lines * res.passes, "q": q, "max_abs_error_vs_q_ais": err,
                   "certificate": _certificate_json(cert),
                   "unvisited_pairs": int((res.visits == 0).sum()), "method": res.method})
        return 0
    print(f"{res.method}\n{res.lines:,} logged handoffs × {res.passes} passes")
    print(format_table(["agent", "obs", "successor", "Q", "Q̂*_μ", "visits"],
                       [[r["agent"], r["obs"], r["successor"], r["q"], float(h), int(n)]
                        for r, h, n in zip(q, hat.q, res.visits, strict=True)]))
    print(f"\nmax |Q − Q̂*_μ| = {err:.3g} against the fitted model's Q̂*_μ (docs/theory.md §2; "
          "exact by policy iteration)")
    _print_certificate(cert)
    return 0


def _certificate_json(cert) -> dict:
    """The Bellman-residual certificate's keys in ``icq train --json`` (docs/theory.md §8)."""
    return {"certified_error": cert.bound, "bellman_residual": cert.residual,
            "gamma_hat": cert.gamma_hat, "sup_bound": cert.sup_bound,
            "pointwise_max": cert.pointwise_max, "method": cert.method,
            "section": "docs/theory.md §8"}


def _print_certificate(cert) -> None:
    print(f"certified ‖Q − Q̂*_μ‖∞ ≤ {cert.bound:.3g} from the Bellman residual "
          f"‖ĤQ − Q‖∞ = {cert.residual:.3g}, γ̂ = {cert.gamma_hat:.4g} (docs/theory.md §8; "
          "holds for any table)")


def _q_rows(m, values: np.ndarray) -> list[dict]:
    """One ``{agent, obs, successor, q}`` row per observation pair."""
    return [{"agent": m.agents[m.obs_agent[o]], "obs": m.obs_labels[o],
             "successor": m.successor_name(j), "q": float(v)}
            for o, j, v in zip(m.obs_pair_obs, m.obs_succ, values, strict=True)]


def _print_run(res, q: list[dict], q_hat: np.ndarray) -> None:
    print(f"{res.method}: {res.handoffs:,} handoffs, {res.episodes:,} episodes, "
          f"{res.seconds:.2f} s ({res.handoffs / max(res.seconds, 1e-9):,.0f} handoffs/s)")
    print(format_table(["agent", "obs", "successor", "Q", "Q̂*_μ", "visits"],
                       [[r["agent"], r["obs"], r["successor"], r["q"], float(h), int(n)]
                        for r, h, n in zip(q, q_hat, res.visits, strict=True)]))


def _neural_config(args: argparse.Namespace):
    from icq.reference.learners.neural import NeuralConfig

    return NeuralConfig(
        handoffs=args.handoffs, seed=args.seed, width=args.width, depth=args.depth,
        activation=args.activation, bias=not args.no_bias, optimizer=args.optimizer,
        schedule=args.schedule, lr=args.lr, lr_decay=args.lr_decay, kappa=args.kappa,
        omega=args.feature_omega, radius=args.radius, projection=args.projection,
        batch=args.batch, average=not args.no_average, dtype=args.dtype, device=args.device,
        threads=args.threads or None)


def _run_neural(m, args: argparse.Namespace) -> int:
    """``icq train FILE --learner neural``: train and compare with the exact ``Q̂*_μ``."""
    from dataclasses import asdict

    from icq.reference.learners.neural import train_neural

    if args.exploration != "behavior":
        raise UsageError("--exploration: the neural learner samples handoffs from the file's "
                         "behaviour policy π_b (Theorem 1's pre-configured regime); "
                         "'epsilon-greedy' is a tabular option")
    if args.checkpoint_every < 1:
        raise UsageError(f"--checkpoint-every: {args.checkpoint_every} must be >= 1")
    try:
        config = _neural_config(args)
        res = train_neural(m, config, checkpoint=args.checkpoint, resume=args.resume,
                           chunk=args.checkpoint_every, progress=show_progress(args))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    hat = solve(ais_model(m).smdp)
    err = float(np.max(np.abs(res.q - hat.q)))
    err_last = float(np.max(np.abs(res.q_last - hat.q)))
    q = _q_rows(m, res.q)
    if args.json:
        emit_json({"learner": "neural", "handoffs": res.handoffs, "seconds": res.seconds,
                   "episodes": res.episodes, "q": q, "max_abs_error_vs_q_ais": err,
                   "max_abs_error_vs_q_ais_last_iterate": err_last,
                   "iterate": "averaged" if config.average else "last",
                   "theta_distance_from_init": res.theta_distance_from_init,
                   "theta_distance_from_init_last_iterate": res.theta_distance_from_init_last,
                   "projection_radius": res.projection_radius,
                   "projection": config.projection if config.radius is not None else None,
                   "feature_scale": res.feature_scale,
                   "n_params": list(res.n_params),
                   "unvisited_pairs": int((res.visits == 0).sum()), "method": res.method,
                   "config": {k: (list(v) if isinstance(v, tuple) else v)
                              for k, v in asdict(config).items()}})
        return 0
    it = "θ̄_T" if config.average else "θ_T"
    _print_run(res, q, hat.q)
    rad = "no projection" if res.projection_radius is None else \
        f"projection radius {res.projection_radius:g}"
    print(f"\nmax |Q − Q̂*_μ| = {err:.3g} at {it} ({err_last:.3g} at the last iterate; "
          f"docs/theory.md "
          f"§2, Q̂*_μ exact by policy iteration)\n‖{it} − θ₀‖ = "
          f"{res.theta_distance_from_init:.4g} ({rad}); parameters per agent: "
          f"{', '.join(map(str, res.n_params))}")
    return 0
