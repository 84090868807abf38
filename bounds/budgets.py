"""How many handoffs until the learned table is within a target error: every method side by side
(docs/theory.md §6, §8), what ``icq budget`` prints and :func:`icq.budget` returns.

The Monte-Carlo certificate comes first (:mod:`icq.bounds.certificate`, on runs of
:mod:`icq.reference.learners.montecarlo`): independent runs of the tabular learner configured by
``config``, the error tracked at every handoff, and an order-statistic bound on the handoff
count after which a fresh run stays within the target. The theorem rows follow
(:func:`icq.bounds.budget.theorem_budgets`): sound in expectation for the learner they name, and
loose, or blocked with the reason.

>>> import icq
>>> b = budgets(icq.load(icq.example_path("ring-exact")), 0.1, seeds=59, horizon=20_000,
...             backend="serial")
>>> b.rows[0].method, b.rows[0].status, b.ok
('Monte-Carlo certificate', 'ok', True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from icq.bounds.auditor import Audit, audit
from icq.bounds.budget import MethodBudget, theorem_budgets
from icq.bounds.certificate import certificate, order_statistic_rank
from icq.reference.learners.montecarlo import MonteCarloResult, error_spec, run_seeds
from icq.reference.learners.tabular import TrainConfig
from icq.reference.model import EpochModel

__all__ = ["Budgets", "TargetBelowFloor", "budgets", "learner_words"]


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


@dataclass(frozen=True, eq=False)
class Budgets:
    """One row per method (certificate first) and what they were computed from.

    Attributes
    ----------
    target, error, norm : the question (``error``: ``"learning"`` or ``"total"``)
    floor : the smallest reachable target (0 for the learning error)
    rows : the methods' :class:`~icq.bounds.budget.MethodBudget`
    runs : the Monte-Carlo runs (learning curves for reports)
    audit : the model's audit (the theorem rows' inputs)
    """

    target: float
    error: str
    norm: str
    floor: float
    rows: tuple[MethodBudget, ...]
    runs: MonteCarloResult
    audit: Audit

    @property
    def ok(self) -> bool:
        """Whether at least one method gives a budget."""
        return any(r.status == "ok" for r in self.rows)


def learner_words(config: TrainConfig) -> str:
    """The learner a certificate covers, in words."""
    step = (f"harmonic steps 1/n^{config.omega:g} per entry" if config.step == "harmonic"
            else f"constant step {config.alpha:g}")
    expl = ("the file's behaviour policy π_b" if config.exploration == "behavior"
            else f"ε-greedy exploration (ε = {config.epsilon:g})")
    return f"tabular IC-Q ({step}, {expl}, last iterate)"


def budgets(model: EpochModel, target: float, config: TrainConfig = TrainConfig(), *,
            error: str = "learning", norm: str = "sup", seeds: int = 200,
            quantile: float = 0.95, confidence: float = 0.95, horizon: int = 2_000_000,
            backend: str = "local", workers: int | None = None, features: Any = "tabular",
            feature_kind: str | None = None, model_name: str | None = None,
            progress: bool = False, checkpoint=None, resume: bool = False) -> Budgets:
    """Every method's handoff budget for ``target`` (see the module docstring).

    Raises :class:`~icq.bounds.certificate.SeedsTooFew` when ``seeds`` cannot bound the
    ``quantile`` with ``confidence``, and :class:`TargetBelowFloor` for a total-error target
    at or below the smallest reachable one. ``features`` and ``feature_kind`` go to the audit
    (:func:`icq.bounds.audit`); ``model_name`` names the model in the certificate's claim;
    ``checkpoint`` and ``resume`` make the certificate's runs survive a kill
    (:func:`~icq.reference.learners.montecarlo.run_seeds`).
    """
    order_statistic_rank(seeds, quantile, confidence)
    spec = error_spec(model, error, norm)
    if error == "total" and target <= spec.floor:
        pair = "" if spec.floor_pair < 0 else (
            f"{'/'.join(model.obs_name(int(model.obs_pair_obs[spec.floor_pair])))} → "
            f"{model.successor_name(int(model.obs_succ[spec.floor_pair]))}")
        raise TargetBelowFloor(target, spec.floor, norm, pair)
    a = audit(model, features=features, feature_kind=feature_kind)
    mc = run_seeds(model, config, [target], horizon=horizon, seeds=seeds, spec=spec,
                   backend=backend, workers=workers, progress=progress,
                   checkpoint=checkpoint, resume=resume)
    rows = (certificate(mc, quantile=quantile, confidence=confidence,
                        model_name=model_name or model.name, learner=learner_words(config),
                        mean_duration=a.durations.mean_duration, T_max=model.T_max),
            *theorem_budgets(a, target, error=error, norm=norm))
    return Budgets(target, error, norm, spec.floor, tuple(rows), mc, a)
