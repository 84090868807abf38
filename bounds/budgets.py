"""How many handoffs until the learned table is within a target error: every method side by side
(docs/theory.md §6, §8), what ``icq budget`` prints and :func:`icq.budget` returns.

The Monte-Carlo certificate comes first (:mod:`icq.bounds.certificate`, on runs of
:mod:`icq.reference.learners.montecarlo`): independent runs of the learner specified by
``learner`` (a :class:`~icq.reference.learners.spec.LearnerSpec`, the options of ``icq train``),
the error tracked exactly, and an order-statistic bound on the handoff count after which a fresh
run stays within the target. The theorem rows follow (:func:`icq.bounds.budget.theorem_budgets`):
sound in expectation for the learners they name, and loose, or blocked with the reason. Where
Theorem 1 gives a budget, its own learner (theory step, Polyak average, the burn-in and radius
the budget chose) is certified too, and the ratio theorem T / certified T says how loose the
theorem is on this model (docs/theory.md §8, "Theorem 1 beside its own learner").

Seeds. Certificates run the seeds ``CERTIFICATE_SEED_BASE + i`` (:data:`CERTIFICATE_SEED_BASE`
= 2³²), a range ``icq train`` never uses by default (``--seed 0``), so a user's default training
run is a fresh run; ``icq budget --tune`` selects on the disjoint range
``SELECTION_SEED_BASE + i`` (:mod:`icq.bounds.tune`).

>>> import icq
>>> b = budgets(icq.load(icq.example_path("ring-exact")), 0.1, seeds=59, horizon=20_000,
...             backend="serial")
>>> b.rows[0].method, b.rows[0].status, b.ok
('Monte-Carlo certificate', 'ok', True)
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from icq.bounds.auditor import Audit, audit
from icq.bounds.bootstrap import replicate_weights
from icq.bounds.budget import MethodBudget, icq_limit, theorem_budgets
from icq.bounds.certificate import order_statistic_rank
from icq.bounds.certify import (
    AUTO_CAP,
    AUTO_START,
    CERTIFICATE_SEED_BASE,
    DEFAULT_LEARNER,
    SELECTION_SEED_BASE,
    LearnerNotRunnable,
    auto_horizon,
    certificate_seeds,
    certify,
    check_disjoint,
    run_spec,
    seed_words,
    train_command,
)
from icq.bounds.constants import NO_BUDGET
from icq.bounds.setting import prepare
from icq.bounds.training import TheoryStepRefused, with_theory
from icq.bounds.tune import tune as run_tune
from icq.reference.common.io import plain
from icq.reference.learners.montecarlo import (
    MonteCarloResult,
    error_spec,
)
from icq.reference.learners.spec import LearnerSpec
from icq.reference.learners.tabular import TrainConfig
from icq.reference.model import EpochModel

__all__ = ["AUTO_CAP", "AUTO_START", "CERTIFICATE_SEED_BASE", "DEFAULT_LEARNER", "NO_BUDGET",
           "SELECTION_SEED_BASE", "BootstrapBudget", "Budgets", "LearnerNotRunnable",
           "TargetBelowFloor", "TargetBelowLimit", "auto_horizon", "bootstrap_budget", "budgets",
           "certificate_seeds", "certify", "check_disjoint", "icq_limit", "run_spec",
           "seed_words", "theorem_learner", "train_command"]



class TargetBelowFloor(ValueError):
    """A total-error target at or below the smallest reachable one: no table over observations
    gets closer to Q* (``floor``; ``pair`` names the observation pair that sets it, or "")."""

    def __init__(self, target: float, floor: float, norm: str, pair: str):
        self.target, self.floor, self.norm, self.pair = target, floor, norm, pair
        super().__init__(self.message("target"))

    def message(self, option: str) -> str:
        """The refusal, naming the target as ``option`` (``"--target"`` on the command line)."""
        where = f" (set by the pair {self.pair})" if self.pair else ""
        return (f"{option}: {self.target:g} is at or below the smallest reachable total error "
                f"{self.floor:.6g} in the {self.norm} norm{where}: no table over observations "
                f"gets closer to Q*; choose {option} above it")


class TargetBelowLimit(TargetBelowFloor):
    """A total-error target at or below the total error of Q̂*_μ∘σ, the table tabular IC-Q
    converges to (``limit``, :func:`icq_limit`): no number of handoffs of IC-Q reaches it."""

    def __init__(self, target: float, floor: float, limit: float, norm: str):
        self.limit = limit
        super().__init__(target, floor, norm, "")

    def message(self, option: str) -> str:
        return (f"{option}: {self.target:g} is at or below {self.limit:.6g}, the total error "
                f"in the {self.norm} norm of Q̂*_μ∘σ, the table tabular IC-Q converges to "
                f"(the floor for any table is {self.floor:.6g}): no number of handoffs of "
                f"IC-Q gets below it; choose {option} above {self.limit:.6g}")


def theorem_learner(a: Audit, row: MethodBudget, base: LearnerSpec) -> LearnerSpec | None:
    """Theorem 1's own learner at the budget ``row`` (docs/theory.md §6): the theory step with
    the model's κ and ω, the Polyak average, the burn-in t_b and radius R_θ the budget chose,
    behaviour policy π_b; tabular for one-hot features, linear with ``base``'s feature file.
    None when the row gives no budget or the features are neither."""
    if row.handoffs is None:
        return None
    if a.features.kind == "tabular":
        rep, feats = "tabular", None
    elif base.representation == "linear":
        rep, feats = "linear", base.features
    else:
        return None
    th = a.theorem.inputs
    return LearnerSpec(representation=rep, features=feats, step="theory", average="polyak",
                       burn_in=int(row.details["burn_in"]),
                       radius=float(row.details["R_theta"])).with_theory_constants(
        float(th["kappa"]), float(th["omega"]))


@dataclass(frozen=True, eq=False)
class Budgets:
    """One row per method (certificate first) and what they were computed from.

    Attributes
    ----------
    target, error, norm : the question (``error``: ``"learning"`` or ``"total"``)
    floor : the smallest reachable target for any table (0 for the learning error)
    limit : total error: that of Q̂*_μ∘σ, the table tabular IC-Q converges to
        (:func:`icq_limit`); None for the learning error
    learner : the certified spec
    rows : the methods' :class:`~icq.bounds.budget.MethodBudget`
    runs : the Monte-Carlo runs of ``learner`` (learning curves for reports)
    audit : the model's audit (the theorem rows' inputs)
    tune : ``icq budget --tune``'s record (:class:`icq.bounds.tune.Tuned`), or None
    bootstrap : ``icq budget --bootstrap``'s record (:class:`BootstrapBudget`), or None
    """

    target: float
    error: str
    norm: str
    floor: float
    rows: tuple[MethodBudget, ...]
    runs: MonteCarloResult
    audit: Audit
    learner: LearnerSpec = DEFAULT_LEARNER
    limit: float | None = None
    tune: Any = None
    bootstrap: Any = None

    @property
    def ok(self) -> bool:
        """Whether at least one method gives a budget."""
        return any(r.status == "ok" for r in self.rows)

    @property
    def exit_code(self) -> int:
        """0 when a method gives a budget, else :data:`NO_BUDGET`."""
        return 0 if self.ok else NO_BUDGET

    def to_json(self) -> dict[str, Any]:
        """The record as ``icq budget --json`` prints it."""
        out = {"target": self.target, "error": self.error, "norm": self.norm,
               "smallest_reachable_target": self.floor, "icq_limit": self.limit,
               "learner": self.learner.to_json(), "exit": self.exit_code,
               "methods": [asdict(r) for r in self.rows]}
        if self.tune is not None:
            out["tune"] = self.tune.to_json()
        if self.bootstrap is not None:
            out["bootstrap"] = self.bootstrap.to_json()
        return plain(out)


def budgets(model: EpochModel, target: float, learner: LearnerSpec = DEFAULT_LEARNER, *,
            error: str = "learning", norm: str = "sup", seeds: int = 200,
            quantile: float = 0.95, confidence: float = 0.95, horizon: int | str = 2_000_000,
            horizon_cap: int = AUTO_CAP, backend: str = "local", workers: int | None = None,
            features: Any = "tabular", feature_kind: str | None = None,
            model_name: str | None = None, model_file: str | None = None,
            theorem_certificate: bool = True, tune: bool = False, selection_seeds: int = 59,
            progress: bool = False, checkpoint: Any = None, resume: bool = False) -> Budgets:
    """Every method's handoff budget for ``target`` (see the module docstring).

    Raises :class:`~icq.bounds.certificate.SeedsTooFew` when ``seeds`` cannot bound the
    ``quantile`` with ``confidence``, :class:`TargetBelowFloor` for a total-error target at or
    below the smallest reachable one and :class:`TargetBelowLimit` for one at or below IC-Q's
    limit (tabular specs). ``features`` and ``feature_kind`` go to the audit
    (:func:`icq.bounds.audit`); ``model_name`` names the model in the claims, ``model_file`` in
    ``train_command``. ``horizon="auto"``: see :func:`certify`. ``theorem_certificate``: also
    certify Theorem 1's own learner where it gives a budget. ``tune``: also run
    :func:`icq.bounds.tune.tune` with ``selection_seeds`` selection runs. ``checkpoint`` and
    ``resume`` make the certificate's runs of ``learner`` survive a kill
    (:func:`~icq.reference.learners.montecarlo.run_seeds`).
    """
    if isinstance(learner, TrainConfig):
        raise TypeError("learner: a LearnerSpec (icq.reference.learners.spec), not a TrainConfig")
    order_statistic_rank(seeds, quantile, confidence)
    spec = error_spec(model, error, norm)
    if error == "total" and target <= spec.floor:
        pair = "" if spec.floor_pair < 0 else (
            f"{'/'.join(model.obs_name(int(model.obs_pair_obs[spec.floor_pair])))} → "
            f"{model.successor_name(int(model.obs_succ[spec.floor_pair]))}")
        raise TargetBelowFloor(target, spec.floor, norm, pair)
    s = prepare(model)  # the exact solves that the limit, the audit and its rows share
    limit = icq_limit(model, norm, spec=spec, q_hat=s.hat.q) if error == "total" else None
    if limit is not None and learner.representation == "tabular" and target <= limit:
        raise TargetBelowLimit(target, spec.floor, limit, norm)
    a = audit(model, features=features, feature_kind=feature_kind, setting=s)
    try:  # κ and ω of a theory step from the audit, as icq train --step theory fills them
        learner = with_theory(learner, model, features_audit=a.features)
    except TheoryStepRefused:
        raise LearnerNotRunnable("step: 'theory' needs A6 (κ < 1) and A5 (ω > 0) of the "
                                 "learner's features, which the audit does not establish here "
                                 "(icq audit says why)") from None
    name = model_name or model.name
    common = dict(errspec=spec, quantile=quantile, confidence=confidence,
                  horizon_cap=horizon_cap, selection_seeds=selection_seeds, backend=backend,
                  workers=workers, model_name=name,
                  model_file=model_file or "MODEL.json", mean_duration=a.durations.mean_duration,
                  T_max=model.T_max, progress=progress)
    cert_seeds = certificate_seeds(seeds)
    first, mc = certify(model, learner, target, seeds=cert_seeds, horizon=horizon,
                        checkpoint=checkpoint, resume=resume, **common)
    rows = [first, *theorem_budgets(a, target, error=error, norm=norm, limit=limit)]
    if theorem_certificate:
        rows += _theorem_certificate(model, a, rows, learner, target, cert_seeds, horizon,
                                     common)
    tuned = None
    if tune:
        h = mc.horizon if horizon == "auto" else horizon
        tuned = run_tune(model, target, learner, certification_seeds=cert_seeds,
                         selection_horizon=h, horizon=horizon, default_row=first, **common)
        rows.insert(1, tuned.row)
    return Budgets(target, error, norm, spec.floor, tuple(rows), mc, a, learner, limit, tuned)


def _theorem_certificate(model, a, rows, learner, target, seeds, horizon, common
                         ) -> list[MethodBudget]:
    """The certificate of Theorem 1's own learner beside the Theorem 1 row, and the ratio
    theorem T / certified T (both counted after the burn-in) in the Theorem 1 row's details."""
    i = next(i for i, r in enumerate(rows) if r.method == "Theorem 1")
    spec = theorem_learner(a, rows[i], learner)
    if spec is None:
        return []
    try:
        own, _ = certify(model, spec, target, seeds=seeds, horizon=horizon,
                         method="Monte-Carlo certificate of Theorem 1's learner", **common)
    except LearnerNotRunnable as exc:
        own = MethodBudget(
            method="Monte-Carlo certificate of Theorem 1's learner", target=float(target),
            error=rows[i].error, norm=rows[i].norm, status="blocked", handoffs=None,
            primitive_steps_expected=None, primitive_steps_max=None, covers=spec.words(),
            blocked_by="learner", reason=str(exc), section="docs/theory.md §8",
            details={"learner": spec.to_json()})
    clock = rows[i].details.get("clock_handoffs")
    ratio = (clock / own.handoffs if own.handoffs and clock is not None else None)
    rows[i] = replace(rows[i], details={**rows[i].details, "own_learner_certificate":
                                        own.handoffs, "theorem_over_certificate": ratio,
                                        "train_command": train_command(
                                            common["model_file"], spec, clock,
                                            int(seeds.max()) + 1)})
    return [own]


@dataclass(frozen=True, eq=False)
class BootstrapBudget:
    """The certificate rerun on bootstrap refits of a fitted model (docs/theory.md §8,
    "Budget under model uncertainty").

    Attributes
    ----------
    handoffs : (B,) certified T per refit (``inf``: beyond the horizon, or the target is not
        reachable on that refit)
    level : the stated upper quantile
    upper : the ⌈level·B⌉-th smallest of ``handoffs``
    replicates, episodes, seed : the bootstrap
    meaning : what ``upper`` means, in words
    """

    handoffs: np.ndarray
    level: float
    upper: float
    replicates: int
    episodes: int
    seed: int
    meaning: str

    def to_json(self) -> dict[str, Any]:
        return plain({"handoffs": self.handoffs, "level": self.level, "upper": self.upper,
                      "replicates": self.replicates, "episodes": self.episodes,
                      "seed": self.seed, "meaning": self.meaning})


def bootstrap_budget(data: Any, target: float, learner: LearnerSpec = DEFAULT_LEARNER, *,
                     replicates: int, seed: int = 0, level: float = 0.9,
                     error: str = "learning", norm: str = "sup", seeds: int = 200,
                     quantile: float = 0.95, confidence: float = 0.95,
                     horizon: int | str = 2_000_000, horizon_cap: int = AUTO_CAP,
                     backend: str = "local", workers: int | None = None,
                     model_name: str | None = None, progress: bool = False) -> BootstrapBudget:
    """The Monte-Carlo certificate of ``learner`` on ``replicates`` episode-bootstrap refits of
    the model fitted from ``data`` (:class:`icq.reference.learners.traces.TraceData`).

    Refit ``b`` counts episode e ``w_e`` times, ``w ~ Multinomial(E, 1/E)`` drawn from
    ``numpy.random.default_rng([seed, b])``: the resampling of :mod:`icq.bounds.bootstrap`, so
    refit b is the model behind that module's replicate b. Each refit is certified on the
    certificate seeds (:func:`certificate_seeds`) for its own error (its own Q̂*_μ or Q*).
    """
    if not isinstance(replicates, int) or replicates < 2:
        raise ValueError(f"bootstrap: {replicates!r} replicates; need an integer >= 2")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level: {level!r} must lie in (0, 1)")
    order_statistic_rank(seeds, quantile, confidence)
    E = data.episodes  # noqa: N806
    out = np.full(replicates, np.inf)
    for b in range(replicates):
        model, _ = data.model(replicate_weights(E, seed, b))
        spec = error_spec(model, error, norm)
        if error == "total" and target <= max(spec.floor, icq_limit(model, norm, spec=spec)
                                              if learner.representation == "tabular" else 0.0):
            continue
        row, _ = certify(model, learner, target, seeds=certificate_seeds(seeds),
                         horizon=horizon, errspec=spec, quantile=quantile,
                         confidence=confidence, horizon_cap=horizon_cap, backend=backend,
                         workers=workers, model_name=model_name or model.name,
                         progress=progress)
        if row.handoffs is not None:
            out[b] = row.handoffs
    upper = float(np.sort(out)[math.ceil(level * replicates) - 1])
    meaning = (f"In {math.ceil(level * replicates)} of {replicates} bootstrap refits (the "
               f"{E:,} logged episodes resampled with replacement, the model refitted) the "
               f"certified T was ≤ {upper:,.0f}: a budget that holds across the model's "
               "uncertainty in the bootstrap sense, i.e. across the spread that resampling the "
               "episodes shows. It is not a guarantee for the true system: the bootstrap law "
               "only approximates the fitted model's sampling law, and each refit's "
               f"certificate is a confidence-{confidence:g} statement about that refit.")
    return BootstrapBudget(out, level, upper, replicates, E, seed, meaning)
