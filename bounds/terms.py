"""Model constants of docs/theory.md §1 and the duration statistics behind them.

- ``γ̄ = max_{y,j} Σ_{y'} K(y'|y,j) = max_{y,j} E[γ^τ 1{continue} | y,j]``;
- ``T_max = max τ``, ``R̄ = max |R|``;
- ``E[γ^τ | y,j]`` and ``E[γ^{2τ} | y,j]`` per pair, and their means under μ ⊗ π_b.

Durations.v ``discount_duration_bounds`` states ``γ^{T_max} ≤ E[γ^τ | y,j] ≤ γ`` for durations
``1 ≤ τ ≤ T_max``; :func:`duration_discount` reports both sides and checks them.

>>> from icq.reference.model import load, example_path
>>> dd = duration_discount(load(example_path("ring-exact")))
>>> round(dd.gamma_bar, 6), dd.T_max, dd.within_bounds
(0.9, 3, True)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from icq.reference.exact.chain import pair_weights
from icq.reference.model import EpochModel

__all__ = ["DurationDiscount", "Term", "duration_discount", "model_constants"]


@dataclass(frozen=True)
class Term:
    """A number, how it was obtained and what it was computed from.

    Attributes
    ----------
    name : the symbol (``"gamma_bar"``, …)
    value : the number, or None when it is undefined (``reason`` says why)
    method : how it was computed
    section : the docs/theory.md section (and lemma) that defines it
    inputs : the scalars it was computed from
    reason : why it is undefined, when it is
    """

    name: str
    value: float | None
    method: str
    section: str
    inputs: dict[str, float] = field(default_factory=dict)
    reason: str = ""


@dataclass(frozen=True, eq=False)
class DurationDiscount:
    """``E[γ^τ]`` statistics of the epoch model (Durations.v ``discount_duration_bounds``).

    Attributes
    ----------
    gamma : the primitive discount γ
    T_max : the largest duration
    gamma_bar : ``max_{y,j} E[γ^τ 1{continue} | y,j]`` (docs/theory.md §1)
    discount : (n_pairs,) ``E[γ^τ | y,j]`` (episode ends included)
    discount2 : (n_pairs,) ``E[γ^{2τ} | y,j]``
    continuation : (n_pairs,) ``Σ_{y'} K(y'|y,j)``
    mean_discount, mean_discount2, mean_duration : under μ ⊗ π_b (None without μ)
    lower, upper : ``γ^{T_max}`` and ``γ``
    within_bounds : ``lower ≤ E[γ^τ|y,j] ≤ upper`` for every pair (up to 1e-12)
    method : how it was computed
    """

    gamma: float
    T_max: int  # noqa: N815
    gamma_bar: float
    discount: np.ndarray
    discount2: np.ndarray
    continuation: np.ndarray
    mean_discount: float | None
    mean_discount2: float | None
    mean_duration: float | None
    lower: float
    upper: float
    within_bounds: bool
    method: str


def duration_discount(model: EpochModel, mu: np.ndarray | None = None) -> DurationDiscount:
    """Discount statistics of the durations (docs/theory.md §1; Durations.v
    ``discount_duration_bounds``: ``γ^{T_max} ≤ E[γ^τ | y,j] ≤ γ``, checked per pair).

    Parameters
    ----------
    model : the epoch model
    mu : (n,) latent weighting for the means (typically the stationary law); None skips them
    """
    g = model.gamma
    disc_out = model.out_prob * model.out_discount
    discount = np.bincount(model.out_pair, disc_out, minlength=model.n_pairs)
    discount2 = np.bincount(model.out_pair, model.out_prob * g ** (2.0 * model.out_dur),
                            minlength=model.n_pairs)
    cont = np.asarray(model.K.sum(axis=1)).ravel()
    lower, upper = g ** model.T_max, g
    ok = bool(np.all(discount >= lower - 1e-12) and np.all(discount <= upper + 1e-12))
    if mu is not None:
        w = pair_weights(model, mu)
        tau = np.bincount(model.out_pair, model.out_prob * model.out_dur, minlength=model.n_pairs)
        means = (float(w @ discount), float(w @ discount2), float(w @ tau))
    else:
        means = (None, None, None)
    return DurationDiscount(
        gamma=g, T_max=model.T_max, gamma_bar=float(cont.max(initial=0.0)), discount=discount,
        discount2=discount2, continuation=cont, mean_discount=means[0],
        mean_discount2=means[1], mean_duration=means[2], lower=lower, upper=upper,
        within_bounds=ok,
        method="exact sums over the outcomes of each pair (FORMAT.md semantics)")


def model_constants(model: EpochModel) -> dict[str, Term]:
    """``γ̄``, ``T_max`` and ``R̄`` (docs/theory.md §1), each with its method.

    >>> from icq.reference.model import load, example_path
    >>> c = model_constants(load(example_path("ring-exact")))
    >>> c["T_max"].value, c["R_bar"].value
    (3, 1.0)
    """
    return {
        "gamma_bar": Term("gamma_bar", model.gamma_bar,
                          "max over pairs of Σ_y' K(y'|y,j) = E[γ^τ 1{continue}]", "§1"),
        "T_max": Term("T_max", model.T_max, "largest duration in the file", "§1"),
        "R_bar": Term("R_bar", model.R_bar, "largest |reward| in the file", "§1"),
    }
