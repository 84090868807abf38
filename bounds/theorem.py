"""Theorem 1, corrected, constants explicit (docs/theory.md §6; Residual.v
``minkowski_combination``, Decomposition.v ``three_term_decomposition``).

Projected IC-Q with radius ``R_θ ≥ ‖θ*‖``, steps ``α_t = 1/((1−κ)ω(t+1))``, the **averaged**
iterate θ̄_T, ``G = R̄ + 2R_θ``, started from the file's ν₀, t_b burn-in handoffs without updates
and then T_clock = T − t_b learning handoffs. With the estimation term

    c² = G² (9 + 24 (τ_mix(α_T) + 1)) (1 + ln T_clock) / (T_clock (1−κ)² ω²) + 4 R_θ² d(t_b)

(α_T at T_clock; d(t_b) = ½‖ν₀P_b^{t_b} − μ‖₁):

    E‖Q_θ̄_T∘σ − Q*‖²_μ ≤ (C_F ε_approx + Δ + c)²              (headline, Minkowski)
                        ≤ 3 C_F² ε_approx² + 3 Δ² + 3 c²        (three-term form, also reported)

(neural approximation, interface gap, mixing residual). The ω² and τ_mix + 1 are the
conservative reading of the imported result (docs/errata.md item 2). The Minkowski and
three-term combinations are machine-checked; the mixing residual is **imported** from
Bhandari, Russo & Singal (2018), "A finite time analysis of temporal difference learning with
linear function approximation", Theorem 3(c), with (1 − γ) replaced by (1 − κ) through the
strong monotonicity of docs/theory.md §5: its constants are restated from the literature, not
proved here. Any Δ of §3 may stand for Δ (Δ_AIS is the paper's; all four are reported).

Every number is ``lambdify`` of :data:`icq.bounds.symbolic.BOUND` and its terms; ``latex()`` of
the same expressions is returned for reports.

>>> r = theorem1(1000, kappa=0.5, omega=0.25, eps_approx=0.0, C_F=4.0, gaps={"paper": 0.1},
...              R_bar=1.0, R_theta=1.0, tau=lambda a: 3)
>>> round(r.terms["ais"], 6), r.applicable, r.bound <= r.bound_three
(0.03, True, True)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from icq.bounds import symbolic as S

__all__ = ["IMPORTED", "Theorem1", "symbolic_summary", "theorem1"]

IMPORTED = ("mixing residual imported from Bhandari, Russo & Singal (2018), Theorem 3(c) "
            "(arXiv:1806.02450), (1−γ) replaced by (1−κ): restated from the literature, not "
            "machine-checked")

#: what Theorem 1's number covers (printed with every bound and budget)
COVERS = ("the projected theory-step learner (α_t = 1/((1−κ)ω(t+1)), radius R_θ ≥ ‖θ*‖), its "
          "averaged iterate θ̄_T, behaviour policy π_b, start law ν₀ with t_b burn-in handoffs "
          "without updates, expected squared error in ‖·‖_μ over μ ⊗ π_b to Q* (total error)")


@dataclass(frozen=True)
class Theorem1:
    """Theorem 1 evaluated at ``handoffs`` T.

    Attributes
    ----------
    applicable : whether every hypothesis holds (A1–A6, Assumptions 1–2)
    reason : why not, or a one-line confirmation
    handoffs : T
    gap_form : which Δ the headline ``terms``/``bound`` use (``"paper"`` = Δ_AIS)
    terms : {approximation, ais, mixing_residual, burn_in}: 3C_F²ε², 3Δ², 3·MIX_RATE and
        3·4R_θ²d(t_b) (the three-term form's summands), None where undefined
    bound : the Minkowski form (C_F ε + Δ + √(MIX_RATE + 4R_θ²d(t_b)))², None unless applicable
    bound_by_gap : the bound with each Δ of §3 (None unless applicable)
    alpha_T, tau_mix_alpha_T, tau_exact : α_T and τ_mix(α_T) (exact or an upper bound)
    inputs : every scalar used
    method : how the numbers were obtained
    """

    applicable: bool
    reason: str
    handoffs: int
    gap_form: str
    terms: dict[str, float | None]
    bound: float | None
    bound_by_gap: dict[str, float | None]
    alpha_T: float | None  # noqa: N815
    tau_mix_alpha_T: int | None  # noqa: N815
    tau_exact: bool
    inputs: dict[str, Any]
    method: str
    imported: str = field(default=IMPORTED)
    bound_three: float | None = None
    bound_three_by_gap: dict[str, float | None] = field(default_factory=dict)
    burn_in: int = 0
    d_burn: float = 1.0
    iterate: str = "averaged θ̄_T"
    covers: str = COVERS


def symbolic_summary() -> dict[str, Any]:
    """``latex()`` and ``str()`` of the bound, its terms, definitions and side conditions."""
    return {
        "latex": S.latex(S.BOUND_MINKOWSKI),
        "text": str(S.BOUND_MINKOWSKI),
        "three_term": S.latex(S.BOUND_THREE),
        "terms": {"approximation": S.latex(S.APPROX_TERM), "ais": S.latex(S.AIS_TERM),
                  "mixing_residual": S.latex(S.MIX_TERM),
                  "burn_in": S.latex(3 * S.BURN_IN_TERM)},
        "definitions": {"C_F": S.latex(S.C_F_EXPR), "G": S.latex(S.G_EXPR),
                        "alpha_T": S.latex(S.ALPHA_T), "Delta_AIS": S.latex(S.DELTA_AIS)},
        "conditions": [S.latex(c) for c in S.CONDITIONS],
        "imported": IMPORTED,
    }


def theorem1(handoffs: int, *, kappa: float | None, omega: float, eps_approx: float | None,
             C_F: float | None, gaps: dict[str, float], R_bar: float,  # noqa: N803
             R_theta: float | None, tau: Callable[[float], Any] | None,  # noqa: N803
             applicable: bool = True, reason: str = "A1–A6 and Assumptions 1–2 hold",
             gap_form: str = "paper", burn_in: int = 0, d_burn: float = 1.0) -> Theorem1:
    """Evaluate Theorem 1 at T = ``handoffs`` (Residual.v ``minkowski_combination`` and
    ``minkowski_le_three_terms``, Decomposition.v ``three_term_decomposition``).

    Parameters
    ----------
    handoffs : T ≥ 1
    kappa, omega : A6's κ (a sound upper bound when not exact) and A5's ω
    eps_approx, C_F : ε_approx and Lemma F's constant (None where undefined)
    gaps : Δ by form (``"paper"``, ``"value_aware"``, ``"statewise"``, ``"exact"``)
    R_bar, R_theta : max |R| and the projection radius (≥ ‖θ*‖)
    tau : ``α ↦ τ_mix(α)``, returning an int or an object with ``.tau`` and ``.exact``
    applicable, reason : the verdict of the assumption checks
    gap_form : the Δ used for the headline terms
    burn_in : t_b < T handoffs without updates before the step clock starts
    d_burn : ½‖ν₀P_b^{t_b} − μ‖₁ (or an upper bound; 1 bounds every start law)
    """
    if int(handoffs) < 1:
        raise ValueError(f"handoffs: {handoffs} must be an integer ≥ 1")
    if not 0 <= int(burn_in) < int(handoffs):
        raise ValueError(f"burn_in: {burn_in} must be an integer in [0, handoffs)")
    if not 0.0 <= d_burn <= 1.0:
        raise ValueError(f"d_burn: {d_burn} must be a total-variation distance in [0, 1]")
    T = int(handoffs) - int(burn_in)  # noqa: N806 - the step clock
    contraction = kappa is not None and kappa < 1 and omega > 0
    alpha = S.evaluate(S.ALPHA_T, kappa=kappa, omega=omega, T=T) if contraction else None
    tau_val, tau_exact = None, False
    if alpha is not None and tau is not None:
        t = tau(alpha)
        tau_val = t if isinstance(t, int) else getattr(t, "tau", None)
        tau_exact = True if isinstance(t, int) else bool(getattr(t, "exact", False))
    G = S.evaluate(S.G_EXPR, R_bar=R_bar, R_theta=R_theta) if R_theta is not None else None
    approx = (S.evaluate(S.APPROX_TERM, C_F=C_F, eps_approx=eps_approx)
              if C_F is not None and eps_approx is not None else None)
    mix = (S.evaluate(S.MIX_TERM, G=G, tau=tau_val, T=T, kappa=kappa, omega=omega)
           if contraction and tau_val is not None and G is not None else None)
    burn = (3 * S.evaluate(S.BURN_IN_TERM, R_theta=R_theta, d_burn=d_burn)
            if R_theta is not None else None)
    by_gap: dict[str, float | None] = {}
    three: dict[str, float | None] = {}
    for form, delta in gaps.items():
        ok = applicable and approx is not None and mix is not None
        vals = dict(C_F=C_F, eps_approx=eps_approx, Delta=delta, G=G, tau=tau_val, T=T,
                    kappa=kappa, omega=omega, R_theta=R_theta, d_burn=d_burn)
        by_gap[form] = S.evaluate(S.BOUND_MINKOWSKI, **vals) if ok else None
        three[form] = S.evaluate(S.BOUND_THREE, **vals) if ok else None
    terms = {"approximation": approx,
             "ais": S.evaluate(S.AIS_TERM, Delta=gaps[gap_form]),
             "mixing_residual": mix, "burn_in": burn}
    inputs = {"kappa": kappa, "omega": omega, "eps_approx": eps_approx, "C_F": C_F,
              "Delta": gaps[gap_form], "R_bar": R_bar, "R_theta": R_theta, "G": G,
              "tau_mix_alpha_T": tau_val, "T": T, "burn_in": int(burn_in), "d_burn": d_burn}
    return Theorem1(applicable=applicable, reason=reason, handoffs=int(handoffs),
                    gap_form=gap_form, bound_three=three.get(gap_form),
                    bound_three_by_gap=three, burn_in=int(burn_in), d_burn=float(d_burn),
                    terms=terms, bound=by_gap.get(gap_form), bound_by_gap=by_gap,
                    alpha_T=alpha, tau_mix_alpha_T=tau_val, tau_exact=tau_exact, inputs=inputs,
                    method="lambdify of the sympy expressions in icq.bounds.symbolic; "
                    + ("τ_mix(α_T) exact" if tau_exact else "τ_mix(α_T) a sound upper bound"
                       if tau_val is not None else "τ_mix(α_T) undefined"))
