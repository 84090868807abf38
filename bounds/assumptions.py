"""The hypotheses of Theorem 1, each checked: holds / fails / not checkable, with a reason.

Paper Assumption 1 (i)–(iii), Assumption 2 (B1, B2) and A1–A6 (docs/theory.md §1–§5). B1 and B2
are existence statements ("there are ε, δ such that …"): they always hold with the computed
constants, and the detail gives them. A3 and A4 concern the network's local linearisation:
for linear features (tabular or a user file) they hold by construction (projection onto
``‖θ‖ ≤ R_θ``, an exactly linear model); for tangent features they are not checkable from the
features alone.

>>> c = Check.of(None, "needs the network")
>>> c.status
'not checkable'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Check", "check_assumptions", "ORDER"]

ORDER = ("Assumption 1(i)", "Assumption 1(ii)", "Assumption 1(iii)", "B1", "B2",
         "A1", "A2", "A3", "A4", "A5", "A6")


@dataclass(frozen=True)
class Check:
    """One hypothesis: ``holds`` is True, False, or None (not checkable), with a one-line detail."""

    holds: bool | None
    detail: str

    @property
    def status(self) -> str:
        return {True: "holds", False: "fails", None: "not checkable"}[self.holds]

    @classmethod
    def of(cls, holds: bool | None, detail: str) -> Check:
        return cls(holds, detail)

    def to_json(self) -> dict[str, Any]:
        return {"holds": self.holds, "status": self.status, "detail": self.detail}


def check_assumptions(*, T_max: int, R_bar: float, gamma_bar: float, epsilon: float,  # noqa: N803
                      delta: float, metric: str, ergodic: bool, ergodic_reason: str,
                      feature_kind: str, omega: float | None, omega_detail: str,
                      kappa_lower: float | None, kappa_upper: float | None,
                      a6_holds: bool | None, n_obs: int, n_pairs: int) -> dict[str, Check]:
    """Every hypothesis of Theorem 1 with its verdict (see the module docstring)."""
    c: dict[str, Check] = {}
    c["Assumption 1(i)"] = Check(True, "the epoch-level file gives, for each (y, j), one law "
                                 "of (τ, R, y') independent of the past: a Markov SMDP")
    c["Assumption 1(ii)"] = Check(True, f"every invocation ends within T_max = {T_max} "
                                  "primitive steps (finite durations in the file)")
    c["Assumption 1(iii)"] = Check(True, "admissible successors are listed per (agent, obs), "
                                   "so they depend on the observation only")
    c["B1"] = Check(True, f"holds with ε = {epsilon:.6g}" + (" (exact AIS rewards)"
                                                             if epsilon == 0 else ""))
    c["B2"] = Check(True, f"holds with δ = {delta:.6g} ({metric})" + (
        " (exact AIS transitions)" if delta == 0 else ""))
    c["A1"] = Check(True, f"finite: {n_obs} observations, {n_pairs} latent pairs; "
                    f"|R| ≤ R̄ = {R_bar:.6g}, τ ≤ T_max = {T_max}, γ̄ = {gamma_bar:.6g} < 1")
    c["A2"] = Check(ergodic, ("uniformly ergodic: " if ergodic else "not uniformly ergodic: ")
                    + ergodic_reason)
    if feature_kind == "tangent":
        c["A3"] = Check(None, "depends on the network's boundedness on the trust region")
        c["A4"] = Check(None, "depends on the network's linearisation error on the trust region")
    else:
        c["A3"] = Check(True, f"{feature_kind} features are linear and IC-Q projects onto "
                        "‖θ‖ ≤ R_θ, so Q_θ is bounded and iterates stay in the ball")
        c["A4"] = Check(True, f"{feature_kind} features: Q_θ = Φθ is exactly linear")
    if omega is None:
        c["A5"] = Check(None, "needs the stationary law μ (A2 fails)")
    else:
        c["A5"] = Check(omega > 0, f"ω = λ_min(Σ) = {omega:.6g}; {omega_detail}")
    if kappa_upper is None:
        c["A6"] = Check(None, "needs the stationary law μ (A2 fails)")
    else:
        rng = (f"κ = {kappa_upper:.6g}" if kappa_lower == kappa_upper
               else f"{kappa_lower:.6g} ≤ κ ≤ {kappa_upper:.6g}")
        if a6_holds is True:
            c["A6"] = Check(True, f"{rng} < 1")
        elif a6_holds is False:
            hint = (" (with one-hot features, κ² ≈ E[γ^{2τ}]·|J|)"
                    if feature_kind == "tabular" else "")
            c["A6"] = Check(False, f"{rng} ≥ 1: the projected SMDP Bellman operator is not "
                            f"shown to contract{hint}")
        else:
            c["A6"] = Check(None, f"{rng}: the bounds straddle 1, undecided")
    return c


def applicability(checks: dict[str, Check]) -> tuple[bool, str]:
    """Theorem 1 applies iff every check holds; otherwise the reason names each failure."""
    bad = [f"{k} {v.status} ({v.detail})" for k, v in checks.items() if v.holds is not True]
    if not bad:
        return True, "every hypothesis holds (Assumptions 1–2, A1–A6)"
    return False, "Theorem 1 does not apply: " + "; ".join(bad)
