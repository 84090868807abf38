r"""The sample budget of Theorem 1 (docs/theory.md §6; Budget.v ``budget_envelope_decreasing``).

``T*`` is the least number of handoffs from which on the right-hand side of Theorem 1 stays
``≤ target²``. The exact right-hand side is not monotone in T (τ_mix(α_T) steps up by one now
and then), so the search runs on a continuous envelope and the exact expression is checked at
the answer.

The envelope. From ``d(t) ≤ d̄(t₀)^⌊t/t₀⌋`` (docs/theory.md §4), for ``0 < α ≤ 1``
``τ_mix(α) ≤ t₀ ⌈ln(1/α)/ln(1/d̄)⌉ ≤ t₀ + c ln(1/α)`` with ``c = t₀/ln(1/d̄)``. With
``a = (1−κ)ω`` we have ``1/α_T = a(T+1)``, and replacing τ_mix(α_T) in the mixing residual gives

    E(T) = A + C₀ · u(T) · (1 + ln T)/T,   u(T) = b + 24 c ln(a(T+1)),   b = 33 + 24 t₀,

with ``A = 3C_F²ε_approx² + 3Δ²`` and ``C₀ = 3G²/((1−κ)²ω)``; ``E(T) ≥`` the exact right-hand
side wherever ``α_T ≤ 1`` (and ``E ≥ A`` always).

T₀ (derivation). Write ``v(T) = (1 + ln T)/T``, so ``v' = −ln T/T²`` and
``u' = 24c/(T+1)``. Then ``T²(T+1)·(uv)' = 24c T(1 + ln T) − u (T+1) ln T``. For ``T ≥ e``,
``1 + ln T ≤ 2 ln T``, so ``24c T (1 + ln T) ≤ 48c T ln T``, and if moreover ``u(T) ≥ 48c``,
``48c T ln T ≤ u T ln T < u (T+1) ln T``: the derivative is negative. ``u(T) ≥ 48c`` holds iff
``ln(a(T+1)) ≥ 2 − b/(24c)``. Requiring also ``α_T ≤ 1`` (``a(T+1) ≥ 1``) gives

    T₀ = max(e, exp(max(0, 2 − b/(24c))) / a − 1),   b/(24c) = (33 + 24t₀) ln(1/d̄)/(24 t₀),

and E is strictly decreasing on ``[T₀, ∞)`` (:data:`icq.bounds.symbolic.T0_EXPR`). The answer
is the least integer ``T ≥ ⌈T₀⌉`` with ``E(T) ≤ target²`` (bisection); for every ``T' ≥ T``,
exact RHS(T') ≤ E(T') ≤ E(T) ≤ target². If ``A ≥ target²`` no budget suffices and the
blocking term is named.

Budgets are reported in handoffs T, expected primitive steps ``E[τ]·T`` (E[τ] under μ ⊗ π_b)
and worst-case primitive steps ``T_max·T``.

>>> b = sample_budget(0.5, C_F=4.0, eps_approx=0.0, Delta=0.1, G=3.0, kappa=0.5, omega=0.25,
...                   t0=2, dbar=0.5, mean_duration=2.0, T_max=3)
>>> b.blocked_by is None and b.exact_check
True
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import symbolic as S

__all__ = ["Budget", "MethodBudget", "budget_T0", "sample_budget", "theorem_budgets"]

#: give up beyond this many handoffs
T_CAP = 1e30


@dataclass(frozen=True)
class Budget:
    """The least T with Theorem 1's right-hand side ≤ target² from T on.

    Attributes
    ----------
    target : the target error E (in ‖·‖_μ, not squared)
    handoffs : T*, or None when blocked
    primitive_steps_expected : ``E[τ]·T*``
    primitive_steps_max : ``T_max·T*``
    blocked_by : None, or ``"approximation"``, ``"ais"``, ``"approximation+ais"`` (the floor
        ``3C_F²ε_approx² + 3Δ² ≥ target²``), ``"assumptions"`` (Theorem 1 does not apply),
        ``"mixing"`` (no envelope) or ``"cap"`` (beyond 1e30 handoffs)
    reason : one line
    T0 : the envelope is decreasing from T₀ on
    floor : ``3C_F²ε_approx² + 3Δ²``
    envelope_at_answer, exact_at_answer : E(T*) and the exact right-hand side at T*
    tau_at_answer : τ_mix(α_T*) used in the exact check
    exact_check : exact right-hand side at T* ≤ target²
    method : how it was computed
    """

    target: float
    handoffs: int | None
    primitive_steps_expected: float | None
    primitive_steps_max: int | None
    blocked_by: str | None
    reason: str
    T0: float | None  # noqa: N815
    floor: float | None
    envelope_at_answer: float | None
    exact_at_answer: float | None
    tau_at_answer: int | None
    exact_check: bool | None
    method: str

    def _repr_html_(self) -> str:
        from icq.reference.tables import fields_html

        return fields_html("Theorem 1 sample budget (docs/theory.md §6)", vars(self))


@dataclass(frozen=True)
class MethodBudget:
    """One method's answer to "how many handoffs for error ≤ target?" (one row of ``icq budget``).

    Every method (the Monte-Carlo certificate, the A6-free tabular theorem, Theorem 1) reports
    in this shape, so that the command line, the JSON output and the report treat them alike.

    Attributes
    ----------
    method : the method's name, e.g. ``"Monte-Carlo certificate"``, ``"A6-free theorem"``,
        ``"Theorem 1"``
    target : the target error ε
    error : ``"learning"`` (to Q̂*_μ, what IC-Q can learn) or ``"total"`` (to Q* on latent pairs)
    norm : ``"sup"`` or ``"mu"`` (‖·‖_μ)
    status : ``"ok"`` (a budget), ``"blocked"`` (no budget: ``blocked_by`` and ``reason`` say
        why) or ``"beyond horizon"`` (the certified count lies past the simulated horizon)
    handoffs : the budget T, or None
    primitive_steps_expected : ``E[τ]·T`` (E[τ] under μ ⊗ π_b), or None
    primitive_steps_max : ``T_max·T``, or None
    covers : what the number guarantees: which learner and configuration, which iterate, which
        start law and initial table, which horizon, with which probability or in expectation
    blocked_by : the term or assumption that blocks a budget, or None
    reason : one line
    floor : the smallest reachable target for this method and error, or None when there is none
    section : the docs/theory.md section that defines the method
    details : method-specific numbers (JSON-serialisable)
    """

    method: str
    target: float
    error: str
    norm: str
    status: str
    handoffs: int | None
    primitive_steps_expected: float | None
    primitive_steps_max: int | None
    covers: str
    blocked_by: str | None = None
    reason: str = ""
    floor: float | None = None
    section: str = ""
    details: dict = field(default_factory=dict)

    def _repr_html_(self) -> str:
        from icq.reference.tables import fields_html

        return fields_html(f"{self.method} budget (docs/theory.md {self.section})",
                           {k: v for k, v in vars(self).items() if k != "details"}
                           | {f"details: {k}": v for k, v in self.details.items()})


def budget_T0(t0: int, dbar: float, kappa: float, omega: float) -> float:  # noqa: N802
    """T₀ beyond which the budget envelope decreases (derivation in the module docstring;
    Budget.v ``budget_envelope_decreasing``).

    >>> round(budget_T0(2, 0.5, 0.5, 0.25), 6)
    17.352314
    """
    return S.evaluate(S.T0_EXPR, t0=t0, dbar=max(dbar, 1e-300), kappa=kappa, omega=omega)


def _blocked(target: float, reason: str, blocked_by: str, floor: float | None = None,
             T0: float | None = None) -> Budget:  # noqa: N803
    return Budget(target, None, None, None, blocked_by, reason, T0, floor, None, None, None,
                  None, "no budget")


def sample_budget(target: float, *, C_F: float | None, eps_approx: float | None,  # noqa: N803
                  Delta: float, G: float | None, kappa: float | None, omega: float,  # noqa: N803
                  t0: int | None, dbar: float | None, mean_duration: float, T_max: int,  # noqa: N803
                  tau: Callable[[float], Any] | None = None, applicable: bool = True,
                  reason: str = "") -> Budget:
    """Least T with Theorem 1's right-hand side ≤ ``target²`` from T on (docs/theory.md §6;
    Budget.v ``budget_envelope_decreasing``, ``bisection_finds_least``; derivation of T₀ in the
    module docstring).

    Parameters
    ----------
    target : E > 0, the target error in ‖·‖_μ
    C_F, eps_approx, Delta, G, kappa, omega : the constants of Theorem 1
    t0, dbar : the mixing envelope ``d(t) ≤ d̄(t₀)^⌊t/t₀⌋`` (d̄ < 1)
    mean_duration, T_max : E[τ] under μ ⊗ π_b and the largest duration
    tau : ``α ↦ τ_mix(α)`` (int or object with ``.tau``) for the exact check at the answer;
        default: the envelope itself
    applicable, reason : the verdict of the assumption checks
    """
    if not (isinstance(target, int | float) and math.isfinite(target) and target > 0):
        raise ValueError(f"target: {target!r} must be a finite number > 0")
    if not applicable or C_F is None or eps_approx is None or G is None or kappa is None \
            or not kappa < 1 or not omega > 0:
        return _blocked(target, reason or "Theorem 1 does not apply", "assumptions")
    approx = S.evaluate(S.APPROX_TERM, C_F=C_F, eps_approx=eps_approx)
    ais = S.evaluate(S.AIS_TERM, Delta=Delta)
    floor = approx + ais
    goal = target**2
    if floor >= goal:
        who = ("approximation+ais" if approx < goal and ais < goal
               else "ais" if ais >= approx else "approximation")
        return _blocked(target, f"3C_F²ε_approx² = {approx:.6g} and 3Δ² = {ais:.6g} sum to "
                        f"{floor:.6g} ≥ target² = {goal:.6g}: no number of handoffs suffices",
                        who, floor)
    if t0 is None or dbar is None or not dbar < 1:
        return _blocked(target, "no mixing envelope d(t) ≤ d̄(t₀)^⌊t/t₀⌋ with d̄ < 1", "mixing",
                        floor)
    db = max(dbar, 1e-300)
    vals = dict(C_F=C_F, eps_approx=eps_approx, Delta=Delta, G=G, kappa=kappa, omega=omega,
                t0=t0, dbar=db)
    T0 = budget_T0(t0, dbar, kappa, omega)  # noqa: N806

    def env(T: float) -> float:  # noqa: N803
        return S.evaluate(S.ENVELOPE, T=T, **vals)

    lo = max(1, math.ceil(T0))
    if env(lo) <= goal:
        T = lo  # noqa: N806
    else:
        hi = lo
        while env(hi) > goal:
            lo, hi = hi, hi * 2
            if hi > T_CAP:
                return _blocked(target, f"the envelope stays above target² beyond {T_CAP:g} "
                                "handoffs", "cap", floor, T0)
        while hi - lo > 1:  # invariant: env(lo) > goal ≥ env(hi)
            mid = (lo + hi) // 2
            if env(mid) <= goal:
                hi = mid
            else:
                lo = mid
        T = hi  # noqa: N806
    alpha = S.evaluate(S.ALPHA_T, kappa=kappa, omega=omega, T=T)
    if tau is not None:
        t = tau(alpha)
        tau_val = t if isinstance(t, int) else t.tau
    else:
        tau_val = None
    if tau_val is None:  # the envelope's own integer bound
        tau_val = t0 * max(0, math.ceil(math.log(1 / alpha) / math.log(1 / db))) \
            if alpha < 1 else 0
    exact = S.evaluate(S.BOUND, C_F=C_F, eps_approx=eps_approx, Delta=Delta, G=G, tau=tau_val,
                       T=T, kappa=kappa, omega=omega)
    return Budget(
        target=target, handoffs=int(T), primitive_steps_expected=mean_duration * T,
        primitive_steps_max=int(T_max) * int(T), blocked_by=None,
        reason=f"the envelope is decreasing from T₀ = {T0:.6g} on and ≤ target² from T* on",
        T0=T0, floor=floor, envelope_at_answer=env(T), exact_at_answer=exact,
        tau_at_answer=tau_val, exact_check=bool(exact <= goal * (1 + 1e-12)),
        method="bisection over integers T ≥ ⌈T₀⌉ on the lambdified sympy envelope; exact "
        "right-hand side (lambdified Theorem 1) checked at T*")


def theorem_budgets(a: Any, target: float, *, error: str = "learning", norm: str = "sup"
                    ) -> list[MethodBudget]:
    """Theorem-backed rows of ``icq budget`` for an audit ``a`` (docs/theory.md §6).

    Theorem 1 bounds E‖Q_θ̄_T∘σ − Q*‖²_μ (the total error in ‖·‖_μ) for the projected
    theory-step learner's averaged iterate; a ‖·‖_μ bound says nothing about the sup norm, and a
    bound on the total error bounds the learning error only through the triangle inequality with
    the interface gap, so only ``error="total", norm="mu"`` gets a number here; the other
    combinations are reported as blocked with the reason.
    """
    from .auditor import budget  # the auditor imports this module

    covers = ("the projected theory-step learner (α_t = 1/((1−κ)ω(t+1)), projection radius "
              "R_θ), its averaged iterate θ̄_T, in expectation, chain started in μ")
    if norm != "mu" or error != "total":
        return [MethodBudget(
            method="Theorem 1", target=target, error=error, norm=norm, status="blocked",
            handoffs=None, primitive_steps_expected=None, primitive_steps_max=None,
            covers=covers, blocked_by="norm" if norm != "mu" else "error",
            reason="Theorem 1 bounds the total error ‖Q∘σ − Q*‖ in ‖·‖_μ only (use --error "
                   "total --norm mu)", section="docs/theory.md §6")]
    b = budget(a, target)
    return [MethodBudget(
        method="Theorem 1", target=target, error=error, norm=norm,
        status="ok" if b.handoffs is not None else "blocked", handoffs=b.handoffs,
        primitive_steps_expected=b.primitive_steps_expected,
        primitive_steps_max=b.primitive_steps_max, covers=covers, blocked_by=b.blocked_by,
        reason=b.reason, floor=None if b.floor is None else math.sqrt(b.floor),
        section="docs/theory.md §6",
        details={"T0": b.T0, "exact_check": b.exact_check, "method": b.method})]
