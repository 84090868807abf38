"""Train the learner of a :class:`~icq.reference.learners.spec.LearnerSpec` and report it:
``icq train``'s library side (docs/theory.md §2, §8 "The learner specification").

:func:`train_report` runs one seed of any spec — ``tabular``
(:func:`icq.reference.learners.tabular.train`), ``linear`` and ``neural``
(:func:`icq.reference.learners.neural.batched.train_network`, the learner the network
certificate runs) — and returns a :class:`TrainReport`, whose :meth:`TrainReport.to_json` is
exactly ``icq train --json`` and :meth:`TrainReport.lines` its text. The reported error is
``max |Q − Q̂*_μ|`` over the observation pairs at the spec's iterate (Q̂*_μ exact by policy
iteration on the AIS-induced SMDP, docs/theory.md §2); a tabular report adds the
Bellman-residual certificate of docs/theory.md §8 (it holds for any table).

Theorem 1's step needs κ (A6) and ω (A5) of the learner's features: :func:`with_theory`
computes them from the audit (tabular: one-hot features on the support; linear: the feature
file) and refuses κ ≥ 1 or ω = 0, naming the assumption.

The older neural learner (:func:`icq.reference.learners.neural.train_neural`: checkpoints,
Adam, batches, float32, …) runs a spec through :func:`neural_config`, the one mapping of a spec
onto its :class:`~icq.reference.learners.neural.NeuralConfig`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from icq.bounds.auditor import FeatureAudit, audit
from icq.bounds.residual import residual_certificate
from icq.bounds.validate import load_features
from icq.reference.exact.induced import ais_model
from icq.reference.exact.solve import solve
from icq.reference.learners.neural import NeuralConfig
from icq.reference.learners.spec import LearnerSpec
from icq.reference.learners.tabular import train
from icq.reference.learners.traces import offline_icq
from icq.reference.model import EpochModel

__all__ = ["OfflineReport", "TheoryStepRefused", "TrainReport", "neural_config", "offline_report",
           "train_report", "with_theory"]


class TheoryStepRefused(ValueError):
    """Theorem 1's step cannot be formed: A6 (κ < 1) or A5 (ω > 0) fails for the features."""


def with_theory(spec: LearnerSpec, model: EpochModel, *,
                features_audit: FeatureAudit | None = None) -> LearnerSpec:
    """``spec`` with κ and ω of the ``theory`` step filled in from the audit of ``model`` with
    the spec's features (tabular: one-hot on the support; linear: the feature file); other
    specs, and a theory spec that already has both, are returned unchanged.
    ``features_audit``: that audit's :class:`~icq.bounds.auditor.FeatureAudit` when the caller
    has it (``icq budget``), so that the model is not audited again.

    Raises
    ------
    TheoryStepRefused
        when the audit's sound upper bound on κ is ≥ 1 (A6 fails or is undecided) or ω = 0
        (A5 fails), or for the neural learner (its tangent features' κ and ω are not computed
        here: give them to the neural learner's own options).
    """
    if spec.step != "theory" or (spec.kappa is not None and spec.feature_omega is not None):
        return spec
    if spec.representation == "neural":
        raise TheoryStepRefused("step: 'theory' for the neural learner needs κ (A6) and ω (A5) "
                                "of its tangent features; give --kappa and --feature-omega")
    fa = features_audit
    if fa is None:
        features: Any = "tabular"
        if spec.representation == "linear":
            features = load_features(spec.features, model)
        fa = audit(model, features=features).features
    kap, om = fa.kappa, fa.omega
    if kap is None or not kap.upper < 1:
        value = "undefined" if kap is None else f"≤ {kap.upper:.4g} (lower {kap.lower:.4g})"
        raise TheoryStepRefused(f"step: 'theory' needs A6 (κ < 1) for the {fa.kind} features; "
                                f"κ {value}: Theorem 1's step 1/((1 − κ)ω(t + 1)) is undefined")
    if om is None or not om.holds:
        raise TheoryStepRefused(f"step: 'theory' needs A5 (ω = λ_min(Σ) > 0) for the {fa.kind} "
                                "features; ω = 0")
    return spec.with_theory_constants(kap.upper, om.value)


def neural_config(spec: LearnerSpec, handoffs: int, seed: int, **options: Any):
    """The :class:`~icq.reference.learners.neural.NeuralConfig` of the older neural learner
    that runs ``spec`` (the one mapping; ``options``: its other fields, e.g. ``optimizer``,
    ``batch``, ``device``).

    ``constant`` → schedule ``constant`` with ``lr = alpha``; ``harmonic`` → its schedule
    ``lr/(1 + t/lr_decay)`` (not the per-pair ``1/n^ω`` of the network certificate's learner);
    ``theory`` → schedule ``theory`` with the spec's κ and ω; ``average`` ``last``/``polyak``;
    ``radius``, ``width``, ``depth`` as they are. A spec it cannot run (``rescaled``,
    ``tail:F``, a burn-in, Q₀ ≠ 0, ε-greedy) gives ValueError naming the option.
    """
    problems = []
    if spec.representation != "neural":
        problems.append(f"learner: {spec.representation!r} is not the neural learner")
    if spec.step == "rescaled":
        problems.append("step: 'rescaled' is not a schedule of the older neural learner")
    if spec.tail_fraction is not None:
        problems.append(f"average: {spec.average!r}: the older neural learner averages all "
                        "iterates (polyak) or none (last)")
    if spec.burn_in:
        problems.append("burn-in: the older neural learner has no burn-in")
    if spec.q0:
        problems.append("q0: the older neural learner starts from Q₀ = 0")
    if spec.exploration != "behavior":
        problems.append("exploration: the neural learner samples handoffs from the file's "
                        "behaviour policy π_b")
    if problems:
        raise ValueError("\n".join(problems))
    step: dict[str, Any] = {"schedule": spec.step}
    if spec.step == "constant":
        step["lr"] = spec.alpha
    elif spec.step == "theory":
        step.update(kappa=spec.kappa, omega=spec.feature_omega)
    return NeuralConfig(handoffs=handoffs, seed=seed, width=spec.width, depth=spec.depth,
                        radius=spec.radius, average=spec.average == "polyak",
                        **{**options, **step})


@dataclass(frozen=True, eq=False)
class TrainReport:
    """One trained seed of a spec and its error (module docstring).

    Attributes
    ----------
    spec, handoffs, seed : what was run (``handoffs`` counts updates, after the burn-in)
    q, q_last : (n_obs_pairs,) the spec's iterate and the last iterate
    q_hat : Q̂*_μ; rows : one ``{agent, obs, successor, q}`` per pair (at ``q``)
    visits, episodes, seconds, method : how it went
    certificate : the Bellman-residual certificate's JSON (tabular), else None
    extra : learner-specific JSON keys (networks)
    """

    spec: LearnerSpec
    handoffs: int
    seed: int
    q: np.ndarray
    q_last: np.ndarray
    q_hat: np.ndarray
    rows: list[dict]
    visits: np.ndarray
    episodes: int
    seconds: float
    method: str
    certificate: dict | None = None
    extra: dict = field(default_factory=dict)

    @property
    def error(self) -> float:
        """``max |Q − Q̂*_μ|`` over the observation pairs at the spec's iterate."""
        return float(np.max(np.abs(self.q - self.q_hat))) if self.q.size else 0.0

    @property
    def error_last(self) -> float:
        """The same at the last iterate."""
        return float(np.max(np.abs(self.q_last - self.q_hat))) if self.q.size else 0.0

    def to_json(self) -> dict[str, Any]:
        """``icq train --json``."""
        out = {"learner": self.spec.representation, "spec": self.spec.to_json(),
               "learner_words": self.spec.words(), "iterate": self.spec.average,
               "handoffs": self.handoffs, "burn_in": self.spec.burn_in, "seed": self.seed,
               "seconds": self.seconds, "episodes": self.episodes, "q": self.rows,
               "max_abs_error_vs_q_ais": self.error,
               "max_abs_error_vs_q_ais_last_iterate": self.error_last,
               "unvisited_pairs": int((self.visits == 0).sum()), "method": self.method}
        if self.certificate is not None:
            out["certificate"] = self.certificate
        return {**out, **self.extra}

    def lines(self) -> list[str]:
        """The text of ``icq train`` (the table of pairs comes from the caller's formatter:
        :meth:`table`)."""
        rate = self.handoffs / max(self.seconds, 1e-9)
        burn = f" after a burn-in of {self.spec.burn_in:,}" if self.spec.burn_in else ""
        out = [f"{self.method}: {self.handoffs:,} handoffs{burn}, {self.episodes:,} episodes, "
               f"{self.seconds:.2f} s ({rate:,.0f} handoffs/s)",
               f"learner: {self.spec.words()}"]
        it = "θ_T" if self.spec.average == "last" else f"θ̄_T ({self.spec.average})"
        last = "" if self.spec.average == "last" else \
            f" ({self.error_last:.3g} at the last iterate θ_T)"
        out.append(f"max |Q − Q̂*_μ| = {self.error:.3g} at {it}{last} (docs/theory.md §2; "
                   "Q̂*_μ exact by policy iteration)")
        c = self.certificate
        if c is not None:
            out.append(_certificate_line(c))
            if c.get("stopped_early"):
                out.append(f"stopped after {self.handoffs:,} handoffs: certificate ≤ "
                           f"{c['stop_when_certified']:g}")
        return out

    def table(self) -> tuple[list[str], list[list]]:
        """The per-pair table: header and rows (agent, obs, successor, Q, Q̂*_μ, visits)."""
        return _pair_table(self.rows, self.q_hat, self.visits)


def _pair_table(rows: list[dict], q_hat: np.ndarray,
                visits: np.ndarray) -> tuple[list[str], list[list]]:
    return (["agent", "obs", "successor", "Q", "Q̂*_μ", "visits"],
            [[r["agent"], r["obs"], r["successor"], r["q"], float(h), int(n)]
             for r, h, n in zip(rows, q_hat, visits, strict=True)])


def _certificate_line(c: dict) -> str:
    return (f"certified ‖Q − Q̂*_μ‖∞ ≤ {c['certified_error']:.3g} from the Bellman residual "
            f"‖ĤQ − Q‖∞ = {c['bellman_residual']:.3g}, γ̂ = {c['gamma_hat']:.4g} "
            "(docs/theory.md §8; holds for any table)")


@dataclass(frozen=True, eq=False)
class OfflineReport:
    """Offline IC-Q replayed over logged handoffs (``icq train MODEL --traces T``), its error
    against the model's Q̂*_μ and the Bellman-residual certificate (docs/traces.md)."""

    lines_read: int
    passes: int
    q_hat: np.ndarray
    rows: list[dict]
    visits: np.ndarray
    error: float
    certificate: dict
    method: str

    def to_json(self) -> dict[str, Any]:
        """``icq train --traces T --json``."""
        return {"learner": "tabular-offline", "lines": self.lines_read, "passes": self.passes,
                "handoffs": self.lines_read * self.passes, "q": self.rows,
                "max_abs_error_vs_q_ais": self.error, "certificate": self.certificate,
                "unvisited_pairs": int((self.visits == 0).sum()), "method": self.method}

    def lines(self) -> list[str]:
        """The text of ``icq train --traces`` (the table of pairs: :meth:`table`)."""
        return [self.method, f"{self.lines_read:,} logged handoffs × {self.passes} passes",
                f"max |Q − Q̂*_μ| = {self.error:.3g} against the fitted model's Q̂*_μ "
                "(docs/theory.md §2; exact by policy iteration)",
                _certificate_line(self.certificate)]

    def table(self) -> tuple[list[str], list[list]]:
        """The per-pair table: header and rows (agent, obs, successor, Q, Q̂*_μ, visits)."""
        return _pair_table(self.rows, self.q_hat, self.visits)


def offline_report(model: EpochModel, lines, *, passes: int = 1,
                   step_exponent: float = 0.7) -> OfflineReport:
    """Replay ``lines`` (``icq-trace/1``) ``passes`` times through offline IC-Q
    (:func:`icq.reference.learners.traces.offline_icq`) and report it against ``model``."""
    res = offline_icq(model, lines, passes=passes, omega=step_exponent)
    ais = ais_model(model)
    q_hat = solve(ais.smdp).q
    return OfflineReport(res.lines, res.passes, q_hat, model.obs_pair_rows(res.q), res.visits,
                         float(np.max(np.abs(res.q - q_hat))) if res.q.size else 0.0,
                         certificate_json(residual_certificate(ais, res.q)), res.method)


def certificate_json(cert) -> dict:
    """The Bellman-residual certificate's keys in ``icq train --json`` (docs/theory.md §8)."""
    return {"certified_error": cert.bound, "bellman_residual": cert.residual,
            "gamma_hat": cert.gamma_hat, "sup_bound": cert.sup_bound,
            "pointwise_max": cert.pointwise_max, "method": cert.method,
            "section": "docs/theory.md §8"}


def train_report(model: EpochModel, spec: LearnerSpec, *, handoffs: int, seed: int = 0,
                 checkpoint: str | Path | None = None, resume: bool = False,
                 progress: bool = False, stop_when_certified: float | None = None,
                 certify_every: int = 100_000, neural_options: dict | None = None,
                 device: Any = None) -> TrainReport:
    """Train ``spec`` (κ, ω of a theory step filled in by :func:`with_theory`) for ``handoffs``
    updates with ``seed`` and report it (module docstring).

    Parameters
    ----------
    checkpoint, resume : tabular, and the older neural learner
    stop_when_certified, certify_every : tabular last iterate: stop once the Bellman-residual
        certificate is ≤ this, checked every ``certify_every`` updates
    neural_options : run the neural spec on the older neural learner
        (:func:`neural_config`) with these fields (``{}``: its defaults); None: the network
        certificate's learner
    device : torch device of the network learners (None: CUDA when present)
    """
    if stop_when_certified is not None and spec.representation != "tabular":
        raise ValueError("stop_when_certified: the Bellman-residual certificate stops the "
                         "tabular learner only")
    spec = with_theory(spec, model)
    ais = ais_model(model)
    q_hat = solve(ais.smdp).q
    if spec.representation == "tabular":
        return _tabular(model, spec, ais, q_hat, handoffs, seed, checkpoint, resume, progress,
                        stop_when_certified, certify_every)
    if spec.representation == "neural" and (neural_options is not None or checkpoint):
        return _older_neural(model, spec, q_hat, handoffs, seed, checkpoint, resume, progress,
                             neural_options or {})
    if checkpoint:
        raise ValueError(f"checkpoint: the {spec.representation} learner of the network "
                         "certificate keeps no checkpoint")
    # torch: the [neural] extra, only for the network learners
    from icq.reference.learners.neural.batched import train_network

    features = None
    if spec.representation == "linear":
        features = load_features(spec.features, model)
    run = train_network(model, spec, handoffs, seed, features=features, device=device,
                        progress=progress)
    extra = {"theta_distance_from_init": float(np.linalg.norm(run.theta)),
             "theta_distance_from_init_last_iterate": float(np.linalg.norm(run.theta_last)),
             "projection_radius": spec.radius}
    return TrainReport(spec, run.handoffs, seed, run.q, run.q_last, q_hat,
                       model.obs_pair_rows(run.q), run.visits, run.episodes, run.seconds,
                       run.method, extra=extra)


def _tabular(model, spec, ais, q_hat, handoffs, seed, checkpoint, resume, progress,
             target, certify_every) -> TrainReport:
    stop: Callable | None = None
    chunk = 2_000_000
    if target is not None:
        if not (math.isfinite(target) and target > 0):
            raise ValueError(f"stop_when_certified: {target} must be a finite number > 0")
        if certify_every < 1:
            raise ValueError(f"certify_every: {certify_every} must be >= 1")

        def stop(q: np.ndarray, done: int) -> bool:
            return residual_certificate(ais, q).certifies(target)
        chunk = certify_every
    res = train(model, spec, handoffs=handoffs, seed=seed, checkpoint=checkpoint,
                resume=resume, progress=progress, chunk=chunk, stop=stop)
    q = res.q_reported
    cert = {**certificate_json(residual_certificate(ais, q)), "stop_when_certified": target,
            "stopped_early": bool(target is not None and res.handoffs < handoffs)}
    return TrainReport(spec, res.handoffs, seed, q, res.q, q_hat, model.obs_pair_rows(q),
                       res.visits, res.episodes, res.seconds, res.method, certificate=cert)


def _older_neural(model, spec, q_hat, handoffs, seed, checkpoint, resume, progress,
                  options) -> TrainReport:
    # torch: the [neural] extra, only for the network learners
    from icq.reference.learners.neural import train_neural

    chunk = options.pop("checkpoint_every", 10_000)
    config = neural_config(spec, handoffs, seed, **options)
    res = train_neural(model, config, checkpoint=checkpoint, resume=resume, chunk=chunk,
                       progress=progress)
    extra = {"theta_distance_from_init": res.theta_distance_from_init,
             "theta_distance_from_init_last_iterate": res.theta_distance_from_init_last,
             "projection_radius": res.projection_radius,
             "projection": config.projection if config.radius is not None else None,
             "feature_scale": res.feature_scale, "n_params": list(res.n_params),
             "config": {k: (list(v) if isinstance(v, tuple) else v)
                        for k, v in asdict(config).items()}}
    return TrainReport(spec, res.handoffs, seed, res.q, res.q_last, q_hat,
                       model.obs_pair_rows(res.q), res.visits, res.episodes, res.seconds,
                       res.method, extra=extra)
