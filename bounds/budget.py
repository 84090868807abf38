r"""The sample budget of Theorem 1 (docs/theory.md §6; Budget.v ``budget_envelope_decreasing``).

``T*`` is the least number of handoffs from which on the right-hand side of Theorem 1 stays
``≤ target²``. The exact right-hand side is not monotone in T (τ_mix(α_T) steps up by one now
and then), so the search runs on a continuous envelope and the exact expression is checked at
the answer.

The envelope. From ``d(t) ≤ d̄(t₀)^⌊t/t₀⌋`` (docs/theory.md §4), for ``0 < α ≤ 1``
``τ_mix(α) ≤ t₀ ⌈ln(1/α)/ln(1/d̄)⌉ ≤ t₀ + c ln(1/α)`` with ``c = t₀/ln(1/d̄)``. With
``a = (1−κ)ω`` we have ``1/α_T = a(T+1)``, and replacing τ_mix(α_T) in the mixing residual gives

    E(T) = A + C₀ · u(T) · (1 + ln T)/T,   u(T) = b + 24 c ln(a(T+1)),   b = 33 + 24 t₀,

with ``A = 0`` and ``C₀ = G²/((1−κ)²ω²)``: the envelope of MIX_RATE (the ω² is the conservative
reading of docs/errata.md item 2); ``E(T) ≥`` the exact MIX_RATE wherever ``α_T ≤ 1``. The
burn-in term 4R_θ²d(t_b) (BurnIn.v ``burn_in_shift``) and the Minkowski combination are
added outside the bisection.

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

import numpy as np

from icq.bounds import symbolic as S
from icq.bounds.a6free import BLOCKED_REASON, a6free_terms
from icq.reference.common.tables import fields_html
from icq.reference.exact.chain import obs_pair_weights, pair_weights
from icq.reference.exact.induced import ais_model
from icq.reference.exact.mixing import Envelope
from icq.reference.exact.solve import solve
from icq.reference.learners.montecarlo import ErrorSpec, error_spec, full_error

__all__ = ["Budget", "MethodBudget", "budget_T0", "burn_in_candidates", "icq_limit",
           "sample_budget", "theorem_budgets"]

#: the learners each theorem row covers, as the learner options name them (docs/theory.md §8)
THEOREM1_COVERS = ("tabular or linear IC-Q, theory step (--step theory), Polyak average "
                   "(--average polyak), burn-in t_b (--burn-in), radius R_θ ≥ ‖θ*‖ (--radius), "
                   "behaviour policy π_b")
A6FREE_COVERS = "tabular IC-Q, constant step (--step constant), last iterate, behaviour policy π_b"

#: give up beyond this many handoffs
T_CAP = 1e30


@dataclass(frozen=True)
class Budget:
    """The least T with Theorem 1's right-hand side ≤ target² from T on.

    Attributes
    ----------
    target : the target error E (in ‖·‖_μ, not squared)
    handoffs : T* = t_b + T_clock (burn-in included), or None when blocked
    primitive_steps_expected : ``E[τ]·T*``
    primitive_steps_max : ``T_max·T*``
    blocked_by : None, or ``"approximation"``, ``"ais"``, ``"approximation+ais"`` (the floor
        ``(C_F ε_approx + Δ)² ≥ target²``), ``"assumptions"`` (Theorem 1 does not apply),
        ``"mixing"`` (no envelope) or ``"cap"`` (beyond 1e30 handoffs)
    reason : one line
    T0 : the envelope is decreasing from T₀ on
    floor : ``(C_F ε_approx + Δ)²``, the Minkowski floor (targets must exceed its root)
    envelope_at_answer, exact_at_answer : the Minkowski bound at T* with the envelope's and the
        exact τ_mix(α_T)
    tau_at_answer : τ_mix(α_T*) used in the exact check
    exact_check : exact right-hand side at T* ≤ target²
    method : how it was computed
    burn_in, d_burn, clock_handoffs : t_b, d_ν₀(t_b) and T_clock (handoffs = t_b + T_clock)
    R_theta : the projection radius the budget used
    handoffs_three : the same budget with the three-term form 3(a² + b² + c²) (never smaller)
    floor_three : ``3C_F²ε_approx² + 3Δ²``
    covers : the learner, iterate, start law and norm the budget covers
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
    burn_in: int | None = None
    d_burn: float | None = None
    clock_handoffs: int | None = None
    handoffs_three: int | None = None
    floor_three: float | None = None
    R_theta: float | None = None  # noqa: N815
    covers: str = ("the projected theory-step learner (α_t = 1/((1−κ)ω(t+1)), projection radius "
                   "R_θ ≥ ‖θ*‖), its averaged iterate θ̄_T, behaviour policy π_b, start law ν₀ "
                   "with t_b burn-in handoffs without updates, expected squared error in "
                   "‖·‖_μ over μ ⊗ π_b, total error to Q* on latent pairs")

    def _repr_html_(self) -> str:
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
        return fields_html(f"{self.method} budget (docs/theory.md {self.section})",
                           {k: v for k, v in vars(self).items() if k != "details"}
                           | {f"details: {k}": v for k, v in self.details.items()})


def icq_limit(model: Any, norm: str = "sup", *, spec: ErrorSpec | None = None,
              q_hat: np.ndarray | None = None) -> float:
    """The total error of Q̂*_μ∘σ in ``norm`` (docs/theory.md §8, "IC-Q's limit"): the table
    tabular IC-Q converges to, measured like the certificate's total error
    (:func:`icq.reference.learners.montecarlo.full_error`); never below the floor of
    :func:`~icq.reference.learners.montecarlo.error_spec`. In ‖·‖_μ it is the exact
    ‖Q̂*_μ∘σ − Q*‖_μ that the Theorem 1 row uses as Δ.

    ``spec`` (``error_spec(model, "total", norm)``) and ``q_hat`` (Q̂*_μ of the default AIS
    model, e.g. ``prepare(model).hat.q``): pass them when the caller has them, so that the
    exact solves are not repeated."""
    if spec is None:
        spec = error_spec(model, "total", norm)
    if q_hat is None:
        q_hat = solve(ais_model(model).smdp).q
    return full_error(spec, q_hat)


def budget_T0(t0: int, dbar: float, kappa: float, omega: float) -> float:  # noqa: N802
    """T₀ beyond which the budget envelope decreases (derivation in the module docstring;
    Budget.v ``budget_envelope_decreasing``).

    >>> round(budget_T0(2, 0.5, 0.5, 0.25), 6)
    17.352314
    """
    return S.evaluate(S.T0_EXPR, t0=t0, dbar=max(dbar, 1e-300), kappa=kappa, omega=omega)


def _blocked(target: float, reason: str, blocked_by: str, floor: float | None = None,
             T0: float | None = None, floor_three: float | None = None) -> Budget:  # noqa: N803
    return Budget(target, None, None, None, blocked_by, reason, T0, floor, None, None, None,
                  None, "no budget", floor_three=floor_three)


def burn_in_candidates(distances: np.ndarray | None, t0: int | None = None,
                       dbar: float | None = None) -> list[tuple[int, float]]:
    """``(t_b, d(t_b))`` pairs to try: t_b = 0 and the first t with ``d(t) ≤ 10⁻ᵏ``, k = 1..16.

    ``distances``: ``d_ν₀(t)``, t = 0, 1, … (:func:`icq.reference.exact.mixing.start_distances`,
    non-increasing). Without it the start law is treated as unknown: ``d(0) = 1`` bounds any
    total-variation distance and ``d(t) ≤ d̄(t₀)^⌊t/t₀⌋`` (docs/theory.md §4) any later one.

    >>> burn_in_candidates(None, 2, 0.1)[:3]
    [(0, 1.0), (2, 0.1), (4, 0.010000000000000002)]
    """
    out: dict[int, float] = {}
    if distances is not None and len(distances):
        d = np.asarray(distances, dtype=float)
        out[0] = float(d[0])
        for k in range(1, 17):
            hit = np.flatnonzero(d <= 10.0**-k)
            if len(hit):
                out.setdefault(int(hit[0]), float(d[hit[0]]))
        out.setdefault(len(d) - 1, float(d[-1]))
        return sorted(out.items())
    out[0] = 1.0
    if t0 is not None and dbar is not None and 0 < dbar < 1:
        for k in range(1, 17):
            m = max(1, math.ceil(k * math.log(10.0) / math.log(1.0 / dbar)))
            out.setdefault(m * int(t0), dbar**m)
    return sorted(out.items())


def _clock_budget(goal: float, env: Callable[[float], float], T0: float) -> int | None:
    """Least integer T ≥ ⌈T₀⌉ with ``env(T) ≤ goal`` (env non-increasing there), or None past
    the cap (Budget.v ``bisection_finds_least``)."""
    lo = max(1, math.ceil(T0))
    if env(lo) <= goal:
        return lo
    hi = lo
    while env(hi) > goal:
        lo, hi = hi, hi * 2
        if hi > T_CAP:
            return None
    while hi - lo > 1:  # invariant: env(lo) > goal ≥ env(hi)
        mid = (lo + hi) // 2
        if env(mid) <= goal:
            hi = mid
        else:
            lo = mid
    return hi


def sample_budget(target: float, *, C_F: float | None, eps_approx: float | None,  # noqa: N803
                  Delta: float, G: float | None, kappa: float | None, omega: float,  # noqa: N803
                  t0: int | None, dbar: float | None, mean_duration: float, T_max: int,  # noqa: N803
                  tau: Callable[[float], Any] | None = None, applicable: bool = True,
                  reason: str = "", R_theta: float | None = None,  # noqa: N803
                  start_distances: np.ndarray | None = None) -> Budget:
    """Least T with Theorem 1's right-hand side ≤ ``target²`` from T on (docs/theory.md §6;
    Budget.v ``budget_envelope_decreasing``, ``bisection_finds_least``; derivation of T₀ in the
    module docstring).

    The budget uses the Minkowski form (C_F ε_approx + Δ + √(residual))², residual =
    MIX_RATE(T_clock) + 4R_θ²·d(t_b) (BurnIn.v ``burn_in_shift``), and counts the burn-in:
    ``handoffs = t_b + T_clock``, t_b chosen among :func:`burn_in_candidates` to minimise the
    total. The three-term form 3(a² + b² + c²) is budgeted the same way and reported beside
    it (``handoffs_three``).

    Parameters
    ----------
    target : E > 0, the target error in ‖·‖_μ
    C_F, eps_approx, Delta, G, kappa, omega : the constants of Theorem 1
    t0, dbar : the mixing envelope ``d(t) ≤ d̄(t₀)^⌊t/t₀⌋`` (d̄ < 1)
    mean_duration, T_max : E[τ] under μ ⊗ π_b and the largest duration
    tau : ``α ↦ τ_mix(α)`` (int or object with ``.tau``) for the exact check at the answer;
        default: the envelope itself
    applicable, reason : the verdict of the assumption checks
    R_theta : the projection radius (default G/2 ≥ R_θ, since G = R̄ + 2R_θ)
    start_distances : ``d_ν₀(t)``, t = 0, 1, … (:func:`icq.reference.exact.mixing.start_distances`);
        None: any start law, d(t_b) from the mixing envelope
    """
    if not (isinstance(target, int | float) and math.isfinite(target) and target > 0):
        raise ValueError(f"target: {target!r} must be a finite number > 0")
    if not applicable or C_F is None or eps_approx is None or G is None or kappa is None \
            or not kappa < 1 or not omega > 0:
        return _blocked(target, reason or "Theorem 1 does not apply", "assumptions")
    a_err = C_F * eps_approx
    approx = S.evaluate(S.APPROX_TERM, C_F=C_F, eps_approx=eps_approx)
    ais = S.evaluate(S.AIS_TERM, Delta=Delta)
    floor = (a_err + Delta) ** 2
    floor_three = approx + ais
    goal = target**2
    if floor >= goal:
        who = ("approximation+ais" if a_err < target and Delta < target
               else "ais" if Delta >= a_err else "approximation")
        return _blocked(target, f"C_F ε_approx + Δ = {a_err:.6g} + {Delta:.6g} ≥ target = "
                        f"{target:.6g}: Theorem 1 cannot certify this target (its bound stays "
                        f"above {a_err + Delta:.6g}, a floor of the bound, not of the error)",
                        who, floor, None, floor_three)
    if t0 is None or dbar is None or not dbar < 1:
        return _blocked(target, "no mixing envelope d(t) ≤ d̄(t₀)^⌊t/t₀⌋ with d̄ < 1", "mixing",
                        floor, None, floor_three)
    R = G / 2 if R_theta is None else R_theta  # noqa: N806
    db = max(dbar, 1e-300)
    T0 = budget_T0(t0, dbar, kappa, omega)  # noqa: N806

    def env(T: float) -> float:  # noqa: N803
        return S.evaluate(S.RESIDUAL_ENVELOPE, T=T, G=G, kappa=kappa, omega=omega, t0=t0,
                          dbar=db)

    candidates = burn_in_candidates(start_distances, t0, dbar)

    def best(room: float) -> tuple[int, int, float] | None:
        """min over t_b of t_b + T_clock with MIX envelope ≤ room − 4R²d(t_b)."""
        found = None
        for tb, d in candidates:
            g = room - S.evaluate(S.BURN_IN_TERM, R_theta=R, d_burn=d)
            if g <= 0:
                continue
            Tc = _clock_budget(g, env, T0)  # noqa: N806
            if Tc is not None and (found is None or tb + Tc < found[0] + found[1]):
                found = (tb, Tc, d)
        return found

    mink = best((target - a_err - Delta) ** 2)
    three = best((goal - floor_three) / 3) if goal > floor_three else None
    if mink is None:
        return _blocked(target, f"the envelope stays above the target beyond {T_CAP:g} "
                        "handoffs for every burn-in", "cap", floor, T0, floor_three)
    tb, T, d = mink  # noqa: N806
    alpha = S.evaluate(S.ALPHA_T, kappa=kappa, omega=omega, T=T)
    tau_val = None
    if tau is not None:
        t = tau(alpha)
        tau_val = t if isinstance(t, int) else t.tau
    if tau_val is None:  # the envelope's own integer bound
        tau_val = Envelope(int(t0), db).tau(alpha)
    vals = dict(C_F=C_F, eps_approx=eps_approx, Delta=Delta, G=G, kappa=kappa, omega=omega,
                R_theta=R, d_burn=d)
    exact = S.evaluate(S.BOUND_MINKOWSKI, tau=tau_val, T=T, **vals)
    env_total = (a_err + Delta + math.sqrt(env(T) + S.evaluate(S.BURN_IN_TERM, R_theta=R,
                                                                d_burn=d))) ** 2
    total = tb + T
    return Budget(
        target=target, handoffs=int(total), primitive_steps_expected=mean_duration * total,
        primitive_steps_max=int(T_max) * int(total), blocked_by=None,
        reason=f"burn-in t_b = {tb:,} handoffs (d(t_b) ≤ {d:.3g}), then the envelope is "
        f"decreasing from T₀ = {T0:.6g} on and ≤ target² from T_clock = {T:,} on",
        T0=T0, floor=floor, envelope_at_answer=env_total, exact_at_answer=exact,
        tau_at_answer=tau_val, exact_check=bool(exact <= goal * (1 + 1e-12)),
        method="Minkowski form (C_F ε_approx + Δ + √(MIX_RATE + 4R_θ²d(t_b)))²; bisection over "
        "integers T ≥ ⌈T₀⌉ on the lambdified sympy envelope of MIX_RATE, burn-in chosen among "
        "the first times d_ν₀(t) ≤ 10⁻ᵏ; exact right-hand side checked at the answer",
        burn_in=tb, d_burn=d, clock_handoffs=T, R_theta=R,
        handoffs_three=None if three is None else int(three[0] + three[1]),
        floor_three=floor_three)


def theorem_budgets(a: Any, target: float, *, error: str = "learning",
                    norm: str = "sup", limit: float | None = None) -> list[MethodBudget]:
    """The theorem-backed rows of ``icq budget``: [A6-free theorem, Theorem 1]
    (docs/theory.md §6 and §8).

    Theorem 1 bounds E‖·‖²_μ; the other targets follow from it soundly:

    - learning error (to Q̂*_μ on observation pairs): Δ = 0 in the Minkowski form,
      ‖Q_θ̄ − Q̂*‖_μ ≤ C_F ε_approx + √residual;
    - total error (to Q* on latent pairs): in ‖·‖_μ, Δ = ‖Q̂*_μ∘σ − Q*‖_μ exactly
      (:func:`icq_limit`); in the sup norm, Δ_exact = ‖Q̂*∘σ − Q*‖∞;
    - sup norm over the support: ‖x‖∞ ≤ ‖x‖_μ/√w_min (w_min the smallest positive μ⊗π_b
      weight), and for the total error √E(‖x‖∞ + Δ)² ≤ √E‖x‖²∞ + Δ (Minkowski), so the
      learning budget is taken at target (ε − Δ)·√w_min.

    Parameters
    ----------
    a : an :class:`icq.bounds.auditor.Audit`
    target : ε > 0
    error : ``"learning"`` or ``"total"``
    norm : ``"sup"`` or ``"mu"``
    limit : ``icq_limit(a.model, norm)`` when the caller has it (total error in ‖·‖_μ: the
        row's Δ); default computed here
    """
    if error not in ("learning", "total"):
        raise ValueError(f"error: {error!r} is not 'learning' or 'total'")
    if norm not in ("sup", "mu"):
        raise ValueError(f"norm: {norm!r} is not 'sup' or 'mu'")
    if not (isinstance(target, int | float) and math.isfinite(target) and target > 0):
        raise ValueError(f"target: {target!r} must be a finite number > 0")
    m = a.model
    mu = a.setting.mu
    rows: list[MethodBudget] = []
    details: dict[str, Any] = {}
    if mu is not None and a.features.kind == "tabular":
        t = a6free_terms(m, mu)
        details = {"N_min": t.N_min, "gamma_hat": t.gamma_hat, "beta": t.beta,
                   "gamma_tau_min": t.gamma_tau_min, "outside_pairs": t.outside}
        why = BLOCKED_REASON
    elif mu is None:
        why = "A6-free theorem: needs the stationary law μ: " + a.setting.stationary.reason
    else:
        why = "A6-free theorem: tabular features only"
    rows.append(MethodBudget(
        method="A6-free theorem", target=float(target), error=error, norm=norm,
        status="blocked", handoffs=None, primitive_steps_expected=None,
        primitive_steps_max=None,
        covers=f"{A6FREE_COVERS}; any start law, mean squared sup-norm error to Q̂*_μ (loose)",
        blocked_by="constants", reason=why,
        section="docs/theory.md §8", details=details))

    th = a.theorem
    gap = a.gap_exact.value if error == "total" else 0.0
    scale, floor_extra = 1.0, 0.0
    if norm == "sup":
        if mu is None:
            w_min = 0.0
        else:
            w = pair_weights(m, mu) if error == "total" else obs_pair_weights(m, mu)
            pos = w[w > 0]
            w_min = float(pos.min()) if len(pos) else 0.0
        scale, floor_extra = math.sqrt(w_min), gap
        mu_target = (target - gap) * scale
        delta_mu = 0.0
    else:  # the exact ‖Q̂*_μ∘σ − Q*‖_μ, tighter than the sup-norm Δ_exact
        gap = 0.0 if error != "total" else limit if limit is not None else icq_limit(m, "mu")
        mu_target, delta_mu = float(target), gap
    if mu_target <= 0:
        b = _blocked(target, f"Theorem 1 cannot certify this target: its sup-norm bound stays "
                     f"above Δ_exact = {gap:.6g} ≥ target {target:.6g}", "ais", None)
    else:
        b = sample_budget(
            mu_target, C_F=a.features.C_F.value,
            eps_approx=None if a.features.approximation is None else
            a.features.approximation.value, Delta=delta_mu, G=th.inputs.get("G"),
            kappa=th.inputs["kappa"], omega=th.inputs["omega"],
            t0=None if a.mixing.envelope is None else a.mixing.envelope.t0,
            dbar=None if a.mixing.envelope is None else a.mixing.envelope.dbar,
            mean_duration=a.durations.mean_duration or 0.0, T_max=m.T_max,
            tau=a.mixing.tau, applicable=th.applicable, reason=th.reason,
            R_theta=th.inputs.get("R_theta"), start_distances=a.start_distances)
    floor = None
    if b.floor is not None:
        root = math.sqrt(b.floor)
        floor = (root / scale + floor_extra) if norm == "sup" and scale > 0 else root
    elif mu_target <= 0:
        floor = gap
    where = ("sup over the support of μ⊗π_b" if norm == "sup" else "‖·‖_μ over μ⊗π_b")
    what = ("to Q̂*_μ on observation pairs (learning)" if error == "learning" else
            "to Q* on latent pairs (learning + interface, Δ = Δ_exact)" if norm == "sup" else
            "to Q* on latent pairs (learning + interface, Δ = ‖Q̂*_μ∘σ − Q*‖_μ exact)")
    rows.append(MethodBudget(
        method="Theorem 1", target=float(target), error=error, norm=norm,
        status="ok" if b.handoffs is not None else "blocked", handoffs=b.handoffs,
        primitive_steps_expected=b.primitive_steps_expected,
        primitive_steps_max=b.primitive_steps_max,
        covers=f"{THEOREM1_COVERS} ({b.covers.rsplit(', expected', 1)[0]}); root-mean-square "
        f"error {what}, {where}; A5, A6 required",
        blocked_by=b.blocked_by, reason=b.reason, floor=floor, section="docs/theory.md §6",
        details={"burn_in": b.burn_in, "d_burn": b.d_burn, "clock_handoffs": b.clock_handoffs,
                 "handoffs_three_term": b.handoffs_three, "target_mu": mu_target,
                 "T0": b.T0, "exact_check": b.exact_check, "method": b.method,
                 "R_theta": b.R_theta, "Delta": delta_mu if norm == "mu" else gap,
                 "imported": th.imported}))
    return rows
