"""``icq budget --tune``: choose a faster learner from a declared family on one set of seeds, then
certify the chosen one on fresh, disjoint seeds (docs/theory.md §8, "Tuning").

The family (:func:`family`), built from the user's spec (its representation, exploration, Q₀):
harmonic steps with ω in :data:`OMEGAS`, the rescaled-linear step, and constant steps α in
:data:`ALPHAS`, each with the iterates in :data:`AVERAGES` (last, Polyak, tail half).

Two stages, on disjoint seed ranges:

1. **Selection.** Every candidate runs on the selection seeds ``SELECTION_SEED_BASE + i``
   (:data:`icq.bounds.budgets.SELECTION_SEED_BASE`); the candidate with the smallest
   selection-stage empirical q-quantile of H is chosen (ties: the first in family order, the
   user's own spec first).
2. **Certification.** The chosen spec is certified on the certificate seeds
   ``CERTIFICATE_SEED_BASE + i``, which the selection never saw (:func:`check_disjoint`). The
   selection is a function of the selection runs only, so, conditionally on it, the
   certification runs are i.i.d. runs of a fixed spec and the order-statistic bound of
   :mod:`icq.bounds.certificate` holds for the chosen spec as for any fixed one: the guarantee
   is not inflated by the choice. Certifying on the selection seeds would be (the minimum of
   the candidates' quantiles is biased low); :func:`check_disjoint` refuses it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from icq.bounds.budget import MethodBudget
from icq.bounds.certificate import certificate
from icq.bounds.certify import (
    DEFAULT_LEARNER,
    SELECTION_SEED_BASE,
    LearnerNotRunnable,
    certificate_seeds,
    certify,
    check_disjoint,
    run_spec,
    seed_words,
)
from icq.reference.learners.spec import LearnerSpec

__all__ = ["ALPHAS", "AVERAGES", "OMEGAS", "Candidate", "Tuned", "check_disjoint", "family",
           "tune"]

#: the declared family: harmonic exponents, constant steps and iterates
OMEGAS = (0.6, 0.7, 0.85, 1.0)
ALPHAS = (0.02, 0.05, 0.1)
AVERAGES = ("last", "polyak", "tail:0.5")
METHOD = "Monte-Carlo certificate (tuned)"


def family(base: LearnerSpec = DEFAULT_LEARNER) -> tuple[LearnerSpec, ...]:
    """``base`` first, then every step schedule × iterate of the declared family (module
    docstring), keeping ``base``'s representation, exploration and Q₀; no duplicates."""
    keep = dict(representation=base.representation, features=base.features, width=base.width,
                depth=base.depth, exploration=base.exploration, epsilon=base.epsilon,
                q0=base.q0)
    out = [base]
    for avg in AVERAGES:
        out += [LearnerSpec(step="harmonic", step_exponent=w, average=avg, **keep)
                for w in OMEGAS]
        out.append(LearnerSpec(step="rescaled", average=avg, **keep))
        out += [LearnerSpec(step="constant", alpha=a, average=avg, **keep) for a in ALPHAS]
    seen, uniq = set(), []
    for s in out:
        key = tuple(s.argv())
        if key not in seen:
            seen.add(key)
            uniq.append(s)
    return tuple(uniq)


@dataclass(frozen=True)
class Candidate:
    """One spec of the family at the selection stage.

    Attributes
    ----------
    spec : the learner
    quantile_H : the selection-stage empirical q-quantile of H (``inf``: beyond the horizon;
        None: the spec could not be run, ``reason`` says why)
    reason : empty, or why the spec was not run
    """

    spec: LearnerSpec
    quantile_H: float | None  # noqa: N815
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"learner": self.spec.to_json(), "argv": self.spec.argv(),
                "selection_quantile_H": self.quantile_H, "reason": self.reason}


@dataclass(frozen=True, eq=False)
class Tuned:
    """The outcome of :func:`tune`.

    Attributes
    ----------
    candidates : the family with their selection-stage quantiles, in family order
    chosen : the chosen spec
    row : its certificate on the certification seeds (``method`` :data:`METHOD`)
    default : the certificate of the user's own spec on the same certification seeds
    selection_seeds, certification_seeds : the two disjoint seed sets
    selection_horizon : the horizon of the selection runs
    """

    candidates: tuple[Candidate, ...]
    chosen: LearnerSpec
    row: MethodBudget
    default: MethodBudget
    selection_seeds: np.ndarray
    certification_seeds: np.ndarray
    selection_horizon: int

    @property
    def speedup(self) -> float | None:
        """default T / tuned T (None unless both are certified)."""
        if self.row.handoffs and self.default.handoffs:
            return self.default.handoffs / self.row.handoffs
        return None

    def to_json(self) -> dict[str, Any]:
        return {"candidates": [c.to_json() for c in self.candidates],
                "chosen": self.chosen.to_json(), "chosen_argv": self.chosen.argv(),
                "tuned_handoffs": self.row.handoffs, "default_handoffs": self.default.handoffs,
                "default_over_tuned": self.speedup,
                "selection_seeds": [int(self.selection_seeds.min()),
                                    int(self.selection_seeds.max())],
                "certification_seeds": [int(self.certification_seeds.min()),
                                        int(self.certification_seeds.max())],
                "selection_horizon": self.selection_horizon}


def tune(model: Any, target: float, base: LearnerSpec, *, selection_seeds: int | np.ndarray,
         certification_seeds: np.ndarray, selection_horizon: int, horizon: int | str,
         errspec: Any, quantile: float, confidence: float, default_row: MethodBudget,
         candidates: tuple[LearnerSpec, ...] | None = None, **common: Any) -> Tuned:
    """Select on ``selection_seeds`` (a count n: ``SELECTION_SEED_BASE + 0..n−1``), certify the
    chosen spec on ``certification_seeds`` (module docstring). ``default_row``: the certificate
    of ``base`` on the certification seeds; ``common``: :func:`icq.bounds.budgets.certify`'s
    remaining options."""
    sel = (certificate_seeds(selection_seeds, SELECTION_SEED_BASE)
           if np.ndim(selection_seeds) == 0 else np.asarray(selection_seeds, dtype=np.int64))
    cert_seeds = np.asarray(certification_seeds, dtype=np.int64)
    check_disjoint(sel, cert_seeds)
    run_opts = {k: common[k] for k in ("backend", "workers") if k in common}
    found = []
    for spec in candidates or family(base):
        try:
            mc = run_spec(model, spec, [target], horizon=int(selection_horizon), seeds=sel,
                          errspec=errspec, **run_opts)
        except LearnerNotRunnable as exc:
            found.append(Candidate(spec, None, str(exc).splitlines()[0]))
            continue
        row = certificate(mc, quantile=quantile, confidence=confidence)
        found.append(Candidate(spec, float(row.details["empirical_quantile"])))
    ran = [c for c in found if c.quantile_H is not None]
    chosen = min(ran, key=lambda c: c.quantile_H).spec if ran else base
    note = (f"The learner was chosen among {len(found)} candidates of a declared family by the "
            f"smallest empirical {quantile:g}-quantile of H on {sel.size} selection runs "
            f"({seed_words(sel)}, horizon {int(selection_horizon):,}), disjoint from the "
            "certification runs: the guarantee holds for the chosen learner and is not "
            "inflated by the choice.")
    if chosen == base:
        row = replace(default_row, method=METHOD,
                      covers=f"{default_row.covers} {note}",
                      details={**default_row.details, "claim": f"{default_row.covers} {note}"})
    else:
        row, _ = certify(model, chosen, target, seeds=cert_seeds, horizon=horizon,
                         errspec=errspec, quantile=quantile, confidence=confidence,
                         selection_seeds=sel.size, method=METHOD, note=note, **common)
    return Tuned(tuple(found), chosen, row, default_row, sel, cert_seeds,
                 int(selection_horizon))
