"""The audit report: what ``icq audit`` computes and prints, as one record of the library.

:func:`audit_report` does the work of ``icq audit`` (docs/theory.md §3–§6): the feature map
(one-hot, a user's array, or the tangent features of per-agent MLPs), the audit, the greedy
policies, an optional what-if search, and an optional episode bootstrap on the traces the model
was fitted from (their provenance checked by
:func:`icq.reference.learners.traces.trace_data_for_model`). The command only parses its
arguments and prints the record: :meth:`AuditReport.to_json` is exactly what
``icq audit --json`` prints, and :meth:`AuditReport.numbers` the table its text output shows.

>>> from icq.reference.model import load, example_path
>>> r = audit_report(load(example_path("ring-exact")))
>>> r.to_json()["gap_exact"] == r.audit.gap_exact.value, r.numbers()[6][0]
(True, 'Δ_paper')
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from icq.bounds.auditor import Audit, audit
from icq.bounds.bootstrap import bootstrap
from icq.bounds.summary import PolicyComparison, greedy_policies, number_rows, verdict
from icq.bounds.whatif import what_if
from icq.reference.learners.traces import trace_data_for_model
from icq.reference.model import EpochModel

__all__ = ["AuditReport", "audit_report"]


@dataclass(frozen=True, eq=False)
class AuditReport:
    """Everything ``icq audit`` prints (see the module docstring).

    Attributes
    ----------
    audit : the :class:`icq.bounds.auditor.Audit`
    policies : both greedy policies (:func:`icq.bounds.summary.greedy_policies`)
    whatif : an :class:`icq.bounds.whatif.WhatIf`, or None
    neural : the :class:`icq.bounds.neural_features.NeuralFeatureTerms` of ``--features
        neural``, or None
    bootstrap : an :class:`icq.bounds.bootstrap.BootstrapResult`, or None
    """

    audit: Audit
    policies: PolicyComparison
    whatif: Any | None = None
    neural: Any | None = None
    bootstrap: Any | None = None

    def to_json(self) -> dict[str, Any]:
        """The ``icq audit --json`` object: :meth:`Audit.to_json` and ``greedy_policies``,
        with ``what_if``, ``neural`` and ``bootstrap`` where they were computed."""
        out = self.audit.to_json()
        out["greedy_policies"] = self.policies.to_json()
        for key, part in (("what_if", self.whatif), ("neural", self.neural),
                          ("bootstrap", self.bootstrap)):
            if part is not None:
                out[key] = part.to_json()
        return out

    def numbers(self) -> list[tuple[str, Any, str]]:
        """``(label, value, docs/theory.md section)`` of every number
        (:func:`icq.bounds.summary.number_rows`)."""
        return number_rows(self.audit)

    def verdict(self) -> str:
        """The verdict a deployment reviewer reads (:func:`icq.bounds.summary.verdict`)."""
        return verdict(self.audit, self.whatif)


def audit_report(model: EpochModel, *, features: Any = "tabular", width: int = 64,
                 depth: int = 2, seed: int = 0, metric: str = "l1", obs_metric: Any = None,
                 handoffs: int | None = None, whatif: dict[str, Any] | None = None,
                 traces: str | Path | None = None, replicates: int | None = None,
                 level: float = 0.9, target: float = 0.1, bootstrap_seed: int = 0,
                 workers: int | None = None) -> AuditReport:
    """Run ``icq audit`` on ``model`` (docs/theory.md §3–§6).

    Parameters
    ----------
    model : the epoch model
    features : ``"tabular"`` (one-hot), ``"neural"`` (tangent features of per-agent MLPs of
        ``width`` and ``depth`` hidden layers at initialisation ``seed``, §5) or an
        (n_obs_pairs, d) array
    metric, obs_metric, handoffs : as for :func:`icq.bounds.auditor.audit`
    whatif : keywords of :func:`icq.bounds.whatif.what_if` (``gammas``, ``initials``,
        ``removals``), or None for no what-if search
    traces, replicates : the trace file the model was fitted from and the number of bootstrap
        replicates (both or neither)
    level, target, bootstrap_seed, workers : as for :func:`icq.bounds.bootstrap.bootstrap`

    Raises
    ------
    icq.bounds.validate.InputError, icq.reference.model.ModelError
        Invalid features, metric, what-if knobs or traces (the message names the field).
    """
    neural = None
    if isinstance(features, str) and features == "neural":
        from icq.bounds.neural_features import neural_feature_terms  # torch: only when asked

        neural = neural_feature_terms(model, width=width, depth=depth, seed=seed,
                                      handoffs=handoffs, metric=metric, obs_metric=obs_metric)
        a = neural.audit
    else:
        a = audit(model, features=features,
                  feature_kind=None if isinstance(features, str) else "user",
                  metric=metric, obs_metric=obs_metric, handoffs=handoffs)
    found = None
    if whatif is not None:
        phi = None if a.features.kind == "tabular" else a.features.phi
        found = what_if(model, phi=phi, setting=a.setting, **whatif)
    boot = None
    if (traces is None) != (replicates is None):
        raise ValueError("traces and replicates: give both (a bootstrap) or neither")
    if traces is not None:
        boot = bootstrap(trace_data_for_model(traces, model), replicates=int(replicates),
                         level=level, target=target, seed=bootstrap_seed, backend="local",
                         workers=workers)
    return AuditReport(a, greedy_policies(a), found, neural, boot)
