r"""The Bellman-residual certificate for any learned table (docs/theory.md §8; Residual.v).

For a table ``Q`` over the observation pairs and the AIS-induced SMDP ``(r̂, K̂)`` with fixed point
``Q̂*_μ`` and largest row mass ``γ̂ = max Σ K̂`` (≤ γ̄ < 1):

- sup-norm form (Residual.v ``residual_certificate``):
  ``‖Q − Q̂*‖∞ ≤ ‖ĤQ − Q‖∞ / (1 − γ̂)``;
- pointwise form (Residual.v ``residual_certificate_pointwise``): ``|Q − Q̂*| ≤ e`` for every
  ``e ≥ 0`` with ``e ≥ c + K̂ max e`` on every pair, ``c = |ĤQ − Q|``. The least such ``e`` is
  the fixed point of the monotone γ̂-contraction ``F e = c + K̂ max e``. We iterate ``F`` from 0
  (an increasing sequence ``e_k``) and stop when the slack ``s = max(F e_k − e_k)⁺/(1 − γ̂)``
  is at most ``rtol·max(‖e_k‖∞, ‖c‖∞)``; the reported ``e = e_k + s`` satisfies
  ``F e ≤ F e_k + γ̂ s ≤ e_k + s = e`` (a post-fixed point, hence sound), and exceeds the least
  fixed point by at most ``s``.

**Rounding.** The lemmas are about exact arithmetic; ``c`` is computed in floating point.
Each entry of ``r̂ + K̂ max Q − Q`` is a sum of at most ``m + 2`` terms (``m`` the most
successors of a pair), so its rounding error is at most ``(m + 2)·ε_mach·(‖r̂‖∞ + 2‖Q‖∞)``
(row masses ≤ 1; ε_mach = 2⁻⁵² is twice the unit roundoff, a margin). That absolute cushion
is added to every entry of ``c``; ``γ̂`` is rounded up by ``(m + 1)·ε_mach·γ̂`` (its row
sums), and the sup form is multiplied by ``1 + 4ε_mach`` (the subtraction ``1 − γ̂`` and the
division). The certificate is therefore a bound for the model's numbers as stored, not only
for exact arithmetic; without the cushion a table within a few ulp of ``Q̂*`` can be
certified below its true error (``property_tests/tests/test_residual.py``).

Both are exact at ``Q = Q̂*`` up to that cushion (``c`` is the cushion alone, so ``e`` is
about ``(m + 2)·ε_mach·(‖r̂‖∞ + 2‖Q‖∞)/(1 − γ̂)``). Nothing here is imported or assumed
beyond the model file: the certificate holds for *any* table, however it was learned.

>>> import numpy as np
>>> from icq.reference.model import load, example_path
>>> from icq.reference.exact.induced import ais_model
>>> from icq.reference.exact.solve import solve
>>> m = load(example_path("ring-exact"))
>>> q = solve(ais_model(m).smdp).q
>>> residual_certificate(m, q).sup_bound < 1e-9
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from icq.reference.exact.induced import AISModel, ais_model
from icq.reference.model import SMDP, EpochModel

__all__ = ["ResidualCertificate", "residual_certificate", "rounding_cushion"]

#: relative slack at which the pointwise iteration stops
RTOL = 1e-9
#: machine epsilon of float64 (twice the unit roundoff: a margin in the rounding cushion)
EPS_MACH = float(np.finfo(float).eps)
#: give up refining the pointwise bound after this many sweeps (it stays sound: e_k + s)
MAX_SWEEPS = 100_000


@dataclass(frozen=True, eq=False)
class ResidualCertificate:
    """``‖Q − Q̂*_μ‖`` certified from the Bellman residual alone (docs/theory.md §8).

    Attributes
    ----------
    residual : ``‖ĤQ − Q‖∞``
    gamma_hat : ``γ̂``, the largest row mass of ``K̂``
    sup_bound : ``‖ĤQ − Q‖∞ / (1 − γ̂)`` (Residual.v ``residual_certificate``)
    pointwise : (n_obs_pairs,) ``e`` with ``|Q − Q̂*| ≤ e`` entrywise (Residual.v
        ``residual_certificate_pointwise``)
    pointwise_max : ``max e`` (never above ``sup_bound`` up to rounding)
    bound : ``min(sup_bound, pointwise_max)``, the certified ``‖Q − Q̂*‖∞``
    sweeps : iterations of ``F`` used
    method : how it was computed
    """

    residual: float
    gamma_hat: float
    sup_bound: float
    pointwise: np.ndarray
    pointwise_max: float
    bound: float
    sweeps: int
    method: str

    def certifies(self, epsilon: float) -> bool:
        """Whether ``‖Q − Q̂*_μ‖∞ ≤ epsilon`` is certified."""
        return self.bound <= epsilon


def _smdp(model_or_ais: EpochModel | AISModel | SMDP) -> SMDP:
    if isinstance(model_or_ais, SMDP):
        return model_or_ais
    if isinstance(model_or_ais, AISModel):
        return model_or_ais.smdp
    return ais_model(model_or_ais).smdp


def rounding_cushion(h: SMDP, q: np.ndarray) -> float:
    """``(m + 2)·ε_mach·(‖r̂‖∞ + 2‖Q‖∞)``: a bound on the floating-point error of each entry of
    ``ĤQ − Q`` (module docstring, "Rounding"; docs/theory.md §8)."""
    m = int(np.diff(h.K.indptr).max(initial=0))
    scale = float(np.abs(h.reward).max(initial=0.0)) + 2.0 * float(np.abs(q).max(initial=0.0))
    return (m + 2) * EPS_MACH * scale


def residual_certificate(model_or_ais: EpochModel | AISModel | SMDP, q: np.ndarray, *,
                         rtol: float = RTOL, rounding: bool = True) -> ResidualCertificate:
    """Certify ``‖q − Q̂*_μ‖∞`` from the Bellman residual (docs/theory.md §8; Residual.v
    ``residual_certificate`` and ``residual_certificate_pointwise``).

    Parameters
    ----------
    model_or_ais : an epoch model (its AIS model under the stationary μ is built), an
        :class:`icq.reference.exact.induced.AISModel`, or the AIS SMDP itself
    q : (n_obs_pairs,) the table to certify
    rtol : relative slack at which the pointwise iteration stops
    rounding : add the rounding cushion (module docstring); ``False`` only for the negative
        control of ``property_tests/tests/test_residual.py``
    """
    h = _smdp(model_or_ais)
    q = np.asarray(q, dtype=float)
    if q.shape != (h.n_pairs,):
        raise ValueError(f"q: expected shape ({h.n_pairs},), got {q.shape}")
    m = int(np.diff(h.K.indptr).max(initial=0))
    g = h.gamma_bar * (1.0 + (m + 1) * EPS_MACH) if rounding else h.gamma_bar
    if not g < 1:
        raise ValueError(f"gamma_hat: the largest row mass of K̂ is {h.gamma_bar} (rounded up "
                         f"{g}) ≥ 1")
    c = np.abs(h.bellman(q) - q)
    if rounding:
        c = c + rounding_cushion(h, q)
    res = float(c.max(initial=0.0))
    sup = res / (1.0 - g) * ((1.0 + 4 * EPS_MACH) if rounding else 1.0)
    e = np.zeros_like(c)
    sweeps = 0
    while True:
        fe = c + h.K @ h.vmax(e)
        slack = float(np.max(fe - e, initial=0.0)) / (1.0 - g)
        scale = max(float(e.max(initial=0.0)), res)
        if slack <= rtol * scale or sweeps >= MAX_SWEEPS:
            break
        e, sweeps = np.maximum(fe, e), sweeps + 1
    point = (e + slack) * (1.0 + 1e-12)  # covers floating-point rounding of the sweeps
    pmax = float(point.max(initial=0.0))
    return ResidualCertificate(
        residual=res, gamma_hat=g, sup_bound=sup, pointwise=point, pointwise_max=pmax,
        bound=min(sup, pmax), sweeps=sweeps,
        method=f"Ĥ from the AIS-induced SMDP; least fixed point of e = |ĤQ − Q| + K̂ max e by "
        f"{sweeps} sweeps from 0, reported e + max(Fe − e)⁺/(1 − γ̂) (a post-fixed point)"
        + ("; c and γ̂ cushioned for floating-point rounding" if rounding else ""))
