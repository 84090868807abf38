r"""The Monte-Carlo certificate (docs/theory.md §8): a distribution-free upper confidence bound
on the q-quantile of the handoffs IC-Q needs.

Let ``H_1, …, H_n`` be i.i.d. copies of ``H`` (the first handoff count after which the error stays
``≤ ε`` through the horizon, :mod:`icq.reference.learners.montecarlo`), ``x_q = inf{x : F(x) ≥ q}``
the q-quantile of its law F, and

    k = min{k : P(Bin(n, q) ≤ k − 1) ≥ 1 − β}.

Then ``P(H_(k) ≥ x_q) ≥ 1 − β``: the event ``H_(k) < x_q`` says that at least k of the n
draws fall below ``x_q``, and their number is ``Bin(n, p)`` with ``p = F(x_q−) ≤ q``, so
``P(H_(k) < x_q) = P(Bin(n, p) ≥ k) ≤ P(Bin(n, q) ≥ k) ≤ β`` (David & Nagaraja, *Order
Statistics*, 3rd ed., Wiley 2003, §7.2, distribution-free confidence bounds for quantiles).
On that event ``F(H_(k)) ≥ q``: a fresh run has ``H ≤ T = H_(k)`` — error ``≤ ε`` at every
handoff count from T through the horizon — with probability at least q. Such a k exists iff
``q^n ≤ β`` (k = n then needs ``1 − q^n ≥ 1 − β``), i.e. ``n ≥ ln β / ln q`` (59 for q = 0.95,
β = 0.05). For an averaged iterate H is defined on the run's check grid
(:attr:`MonteCarloResult.check_grid`), and "every handoff count" reads "every checked handoff
count": the claim lists them and claims nothing between them.

>>> order_statistic_rank(200, 0.95, 0.95), seeds_needed(0.95, 0.95)
(196, 59)
"""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import binom

from icq.bounds.budget import MethodBudget
from icq.reference.learners.montecarlo import CHECK_PER_DOUBLING, MonteCarloResult, check_grid

__all__ = ["SeedsTooFew", "certificate", "checked_words", "claim_text", "order_statistic_rank",
           "seeds_needed"]

METHOD = "Monte-Carlo certificate"
SECTION = "docs/theory.md §8"
CITATION = ("order statistics: David & Nagaraja, Order Statistics, 3rd ed. (Wiley 2003), §7.2, "
            "distribution-free confidence bounds for quantiles")


class SeedsTooFew(ValueError):
    """n is too small for any order statistic to bound the q-quantile with confidence 1 − β."""

    def __init__(self, n: int, needed: int, quantile: float, confidence: float):
        self.n, self.needed = n, needed
        super().__init__(f"seeds: {n} are too few for a {confidence:g}-confidence bound on the "
                         f"{quantile:g}-quantile; at least {needed} are needed")


def _check_levels(quantile: float, confidence: float) -> None:
    if not 0.0 < quantile < 1.0:
        raise ValueError(f"quantile: {quantile} must lie in (0, 1)")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence: {confidence} must lie in (0, 1)")


def seeds_needed(quantile: float = 0.95, confidence: float = 0.95) -> int:
    """The least n for which :func:`order_statistic_rank` exists: ``q^n ≤ β`` (module docstring).

    >>> seeds_needed(0.9, 0.9)
    22
    """
    _check_levels(quantile, confidence)
    beta = 1.0 - confidence
    n = max(1, math.ceil(math.log(beta) / math.log(quantile) - 1e-12))
    while quantile**n > beta:  # guard the rounding of the logarithms
        n += 1
    while n > 1 and quantile ** (n - 1) <= beta:
        n -= 1
    return n


def order_statistic_rank(n: int, quantile: float = 0.95, confidence: float = 0.95) -> int:
    """``k = min{k : P(Bin(n, q) ≤ k − 1) ≥ 1 − β}`` (1-based rank of the order statistic).

    Raises
    ------
    SeedsTooFew
        when no ``k ≤ n`` qualifies, with the number of seeds needed.
    """
    _check_levels(quantile, confidence)
    needed = seeds_needed(quantile, confidence)
    if n < needed:
        raise SeedsTooFew(n, needed, quantile, confidence)
    ks = np.arange(1, n + 1)
    ok = binom.cdf(ks - 1, n, quantile) >= confidence
    return int(ks[np.argmax(ok)])


def claim_text(*, model: str, learner: str, target: float, error: str, norm: str,
               horizon: int, T: float, quantile: float, confidence: float,  # noqa: N803
               q0: float = 0.0, burn_in: int = 0, checked: str | None = None) -> str:
    """The exact statement the certificate makes.

    ``learner`` is the learner in words (:meth:`LearnerSpec.words`), ``q0`` and ``burn_in`` its
    start, ``checked`` None when the error was checked after every update, else the words for
    the update counts that were checked (the check grid)."""
    live = "with μ(y)π_b(j|σ(y)) > 0"
    if norm == "sup":
        what = (f"max over the observation pairs (σ(y), j) {live} of |Q − Q̂*_μ|"
                if error == "learning" else
                f"max over the latent pairs (y, j) {live} of |Q(σ(y), j) − Q*(y, j)|")
        nm = ""
    else:
        what = "‖Q − Q̂*_μ‖_μ" if error == "learning" else "‖Q∘σ − Q*‖_μ"
        nm = f" (‖·‖_μ over μ ⊗ π_b, the pairs {live})"
    when = (f"from handoff {int(T):,} through handoff {horizon:,}" if math.isfinite(T)
            else f"at handoff {horizon:,} (the horizon): NOT certified, the order statistic "
            "lies beyond the horizon")
    if checked is not None:
        when += f", at each checked handoff count ({checked}); nothing is claimed between them"
    start = f"with Q₀ = {q0:g}"
    if burn_in:
        start += (f" after a burn-in of {burn_in:,} handoffs without update (handoffs counted "
                  "after it)")
    return (f"With confidence {confidence:g}, a fresh run of {learner} on {model}, started from "
            f"the file's initial law ν₀ {start}, has {what} ≤ {target:g}{nm} {when} with "
            f"probability ≥ {quantile:g}; nothing is claimed beyond handoff {horizon:,} or for "
            "another model, learner, ν₀ or Q₀.")


def checked_words(mc: MonteCarloResult) -> str | None:
    """The check grid of ``mc`` in words (None: every update was checked)."""
    g = mc.check_grid
    if g is None:
        return None
    if np.array_equal(g, check_grid(mc.horizon)):
        return (f"the {g.size} counts ⌈2^(k/{CHECK_PER_DOUBLING})⌉, k = 0, 1, …, and the "
                "horizon: docs/theory.md §8")
    return f"the {g.size} counts of the given check grid, the horizon last"


def certificate(mc: MonteCarloResult, *, quantile: float = 0.95, confidence: float = 0.95,
                target_index: int = 0, model_name: str = "the model", learner: str | None = None,
                mean_duration: float | None = None, T_max: int | None = None  # noqa: N803
                ) -> MethodBudget:
    """The certificate ``T = H_(k)`` for target ``mc.targets[target_index]`` (module docstring).

    Parameters
    ----------
    mc : tracked runs of the learner (:func:`icq.reference.learners.montecarlo.run_seeds`)
    quantile, confidence : q and 1 − β
    model_name : for the claim text
    learner : the learner in words for the claim; None (default): ``mc.learner.words()``
    mean_duration, T_max : E[τ] under μ ⊗ π_b and the largest duration, for primitive steps

    The claim names the learner's Q₀ and burn-in, and, for an averaged iterate, the check grid
    on which H was defined (``details["check_grid"]``).

    Raises
    ------
    SeedsTooFew
        when ``n`` seeds cannot give the bound.
    """
    H = np.sort(mc.H[:, target_index])  # noqa: N806
    n = H.shape[0]
    k = order_statistic_rank(n, quantile, confidence)
    T = float(H[k - 1])  # noqa: N806
    target = float(mc.targets[target_index])
    spec = mc.spec
    claim = claim_text(model=model_name, learner=learner or mc.learner.words(), target=target,
                       error=spec.error, norm=spec.norm, horizon=mc.horizon, T=T,
                       quantile=quantile, confidence=confidence, q0=mc.learner.q0,
                       burn_in=mc.learner.burn_in, checked=checked_words(mc))
    finite = math.isfinite(T)
    details = {
        "seeds": n, "rank_k": k, "quantile": quantile, "confidence": confidence,
        "horizon": mc.horizon, "empirical_quantile": _empirical_quantile(H, quantile),
        "seeds_within_horizon": int(np.isfinite(H).sum()), "seconds": mc.seconds,
        "claim": claim, "citation": CITATION, "reference": spec.method,
        "learner_method": mc.method, "learner": mc.learner.to_json(),
        "check_grid": None if mc.check_grid is None else [int(h) for h in mc.check_grid],
    }
    if finite:
        hand = int(T)
        late = (f"; T lies in the last half of the horizon {mc.horizon:,}: a longer horizon may "
                "see later excursions above the target" if 2 * hand > mc.horizon else "")
        return MethodBudget(
            method=METHOD, target=target, error=spec.error, norm=spec.norm, status="ok",
            handoffs=hand,
            primitive_steps_expected=None if mean_duration is None else mean_duration * hand,
            primitive_steps_max=None if T_max is None else int(T_max) * hand, covers=claim,
            reason=f"T = H_({k}) of {n} seeds{late}", floor=spec.floor, section=SECTION,
            details=details)
    return MethodBudget(
        method=METHOD, target=target, error=spec.error, norm=spec.norm, status="beyond horizon",
        handoffs=None, primitive_steps_expected=None, primitive_steps_max=None, covers=claim,
        blocked_by="horizon",
        reason=f"H_({k}) of {n} seeds lies beyond the horizon {mc.horizon:,}: only "
               f"{details['seeds_within_horizon']} seeds stay ≤ {target:g} to the end; raise "
               "--horizon", floor=spec.floor, section=SECTION, details=details)


def _empirical_quantile(H: np.ndarray, quantile: float) -> float:  # noqa: N803
    """The smallest sample value x with empirical F(x) ≥ q (``inf`` if it lies beyond the
    horizon)."""
    if H.size == 0:
        return math.inf
    return float(np.sort(H)[max(0, math.ceil(quantile * H.size) - 1)])
