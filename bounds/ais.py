"""AIS constants, the interface gap in four forms, and the policy loss (docs/theory.md §3).

Notation (docs/theory.md §2–§3): σ(y) the observation of latent state y; ``r̂, K̂`` the AIS-induced
SMDP under μ; ``σ#K(·|y,j)(ô') = Σ_{y'∈σ⁻¹(ô')} K(y'|y,j)``; ``Q*``, ``Q̂*``, ``V̂* = max_j Q̂*``.

- ``ε = max_{y,j} |r̄(y,j) − r̂(σ(y),j)|``                                  (B1)
- ``δ = max_{y,j} d_F(σ#K(·|y,j), K̂(·|σ(y),j)) / γ̄`` (0 if γ̄ = 0)          (B2)
- ``L_V = ρ_F(V̂*)``; total variation: ``d = Σ|ν₁ − ν₂|`` (full L1), ``ρ = ‖·‖∞`` (the masses of
  the two kernels differ in general, so ½·span is never used); Wasserstein-1 with a user metric:
  ``d = W₁``, ``ρ`` = the Lipschitz constant, with a sink point when the masses differ
- ``Δ_AIS = (ε + γ̄ L_V δ)/(1 − γ̄)``                                        (paper form)
- ``Δ_va = (ε + D)/(1 − γ̄)``, ``D = max |⟨σ#K − K̂, V̂*⟩|``                  (value-aware)
- ``e`` = least fixed point of ``e = |r̄ − r̂∘σ| + |⟨σ#K − K̂, V̂*⟩| + K max e``  (state-wise)
- ``Δ_exact = max |Q* − Q̂*∘σ|``                                            (exact)

Lemma A (AisGap.v): ``Δ_exact ≤ max e ≤ Δ_va ≤ Δ_AIS``.

Lemma P (PolicyLoss.v ``greedy_policy_loss``): the greedy decentralized policy π̂ satisfies
``V* − V^π̂ ≤ 2Δ`` for ``Δ ∈ {Δ_AIS, Δ_va, max e}``. docs/theory.md §3 also claims it for Δ_exact;
that is false (counterexample in :func:`policy_loss_bound`); what Δ_exact supports is
``2Δ_exact/(1 − γ̄)``.

Numbers come from the sympy expressions of :mod:`icq.bounds.symbolic`.

>>> from icq.reference.model import load, example_path
>>> from icq.bounds.setting import prepare
>>> s = prepare(load(example_path("author-reviewer-editor")))
>>> gaps = [ais_gap_exact(s).value, ais_gap_statewise(s).value,
...         ais_gap_value_aware(s).value, ais_gap_from_setting(s).value]
>>> all(a <= b + 1e-12 for a, b in zip(gaps, gaps[1:]))
True
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from icq.bounds import symbolic as S
from icq.bounds.setting import Setting, exact_solve
from icq.bounds.validate import InputError
from icq.reference.exact.solve import deterministic_policy, evaluate
from icq.reference.model import SMDP

__all__ = [
    "GAP_FORMS", "JSON_ALIASES", "METRIC_ALIASES", "gap_key", "gap_label", "with_aliases",
    "AisGap", "Ipm", "PairGap", "PolicyLoss", "PolicyLossBound",
    "ais_gap_exact", "ais_gap_from_setting", "ais_gap_paper", "ais_gap_statewise",
    "ais_gap_value_aware", "delta_l1", "delta_w1", "policy_loss_bound", "policy_loss_exact",
    "reward_sufficiency", "value_aware_gap",
]

#: masses closer than this are treated as equal by the W₁ computation
MASS_TOL = 1e-12


@dataclass(frozen=True, eq=False)
class PairGap:
    """A maximum over latent pairs ``(y, j)``.

    Attributes
    ----------
    name : ``"epsilon"`` or ``"D"``
    value : the maximum
    per_pair : (n_pairs,) the quantity for each latent pair
    argmax : the latent pair index attaining it (−1 when there are no pairs)
    method, section : how and where it is defined
    """

    name: str
    value: float
    per_pair: np.ndarray
    argmax: int
    method: str
    section: str


@dataclass(frozen=True, eq=False)
class Ipm:
    """The evolution-sufficiency constant δ and ``L_V`` for one integral probability metric.

    Attributes
    ----------
    metric : ``"l1"`` or ``"w1"``
    delta : ``max_{y,j} d / γ̄`` (B2)
    d_max : ``max_{y,j} d(σ#K(·|y,j), K̂(·|σ(y),j))``
    L_V : ``ρ_F(V̂*)``
    per_pair : (n_pairs,) the distances d
    gamma_bar : γ̄
    distance, rho : what d and ρ are
    sink : the sink's distance to every observation (W₁ with unequal masses), else None
    method : how it was computed
    """

    metric: str
    delta: float
    d_max: float
    L_V: float  # noqa: N815
    per_pair: np.ndarray
    gamma_bar: float
    distance: str
    rho: str
    sink: float | None
    method: str


@dataclass(frozen=True, eq=False)
class AisGap:
    """One of the four AIS gaps of docs/theory.md §3.

    Attributes
    ----------
    form : ``"paper"``, ``"value_aware"``, ``"statewise"`` or ``"exact"``
    value : the gap Δ (a bound on ``max |Q* − Q̂*∘σ|``, or that maximum itself for ``exact``)
    inputs : the scalars it was computed from
    per_pair : (n_pairs,) the pairwise bound (state-wise, exact), else None
    method : how it was computed
    lemma : the Coq lemma it instantiates
    bounds_every_policy : whether Δ also bounds ``|Q^π − Q̂^π∘σ|`` for π greedy for Q̂*, so that
        ``2Δ`` bounds the policy loss (Lemma P); False only for ``exact``
    """

    form: str
    value: float
    inputs: dict[str, float]
    per_pair: np.ndarray | None
    method: str
    lemma: str
    bounds_every_policy: bool
    expression: str = field(default="")


#: the one vocabulary of the four interface gaps of docs/theory.md §3, tightest last: the keys
#: of :meth:`Audit.gaps` and of Theorem 1's ``gap_form``; the JSON key is :func:`gap_key`, the
#: printed label :func:`gap_label` (``paper`` is the paper's Δ_AIS, ``value_aware`` Δ_va,
#: ``statewise`` the state-wise bound max e)
GAP_FORMS = ("paper", "value_aware", "statewise", "exact")
#: JSON keys of earlier releases → their names now; both are printed for one more release
#: (docs/numbers.md), then the old ones go
JSON_ALIASES = {"ais_gap": "gap_paper", "ais_gap_value_aware": "gap_value_aware",
                "ais_gap_statewise": "gap_statewise", "ais_gap_exact": "gap_exact",
                "ais_gap_tv": "gap_paper_l1", "delta_tv": "delta_l1", "L_V_tv": "L_V_l1"}
#: the old name of the metric ``l1`` (the full L1 norm, twice TV on laws), accepted one release
METRIC_ALIASES = {"tv": "l1"}


def gap_key(form: str) -> str:
    """The JSON key of a gap form (``"exact"`` → ``"gap_exact"``)."""
    return f"gap_{form}"


def gap_label(form: str) -> str:
    """The printed label of a gap form (``"exact"`` → ``"Δ_exact"``)."""
    return f"Δ_{form}"


def with_aliases(d: dict[str, Any]) -> dict[str, Any]:
    """``d`` with each key of :data:`JSON_ALIASES` whose new name it holds added after it."""
    out = dict(d)
    out.update({old: d[new] for old, new in JSON_ALIASES.items() if new in d})
    return out


# ---------------------------------------------------------------------------------------------
# B1, the value-aware transition gap
# ---------------------------------------------------------------------------------------------


def _pair_max(name: str, per_pair: np.ndarray, method: str, section: str) -> PairGap:
    k = int(np.argmax(per_pair)) if len(per_pair) else -1
    return PairGap(name, float(per_pair[k]) if k >= 0 else 0.0, per_pair, k, method, section)


def reward_sufficiency(s: Setting) -> PairGap:
    """ε of B1: ``max_{y,j} |r̄(y,j) − r̂(σ(y),j)|`` (docs/theory.md §3)."""
    m = s.model
    per = np.abs(m.reward - m.lift(s.ais.smdp.reward))
    return _pair_max("epsilon", per, "exact: max over latent pairs of |r̄ − r̂∘σ|", "§3 (B1)")


def value_aware_gap(s: Setting) -> PairGap:
    """``D = max_{y,j} |⟨σ#K(·|y,j) − K̂(·|σ(y),j), V̂*⟩|`` (docs/theory.md §3, value-aware)."""
    v = s.hat.v
    per = np.abs(s.push @ v - s.khat @ v)
    return _pair_max("D", per, "exact: max over latent pairs of |⟨σ#K − K̂, V̂*⟩| with V̂* "
                     f"from {s.hat.method}", "§3 (value-aware)")


# ---------------------------------------------------------------------------------------------
# B2: δ and L_V
# ---------------------------------------------------------------------------------------------


def delta_l1(s: Setting) -> Ipm:
    """δ and ``L_V`` for the full L1 norm (docs/theory.md §3; AisGap.v ``ipm_tv_bound``).

    ``d(ν₁, ν₂) = Σ_ô |ν₁(ô) − ν₂(ô)|`` (the full L1 norm) paired with ``ρ(f) = ‖f‖∞``, which
    gives ``|⟨ν₁ − ν₂, f⟩| ≤ d(ν₁, ν₂) ρ(f)`` for measures of any masses. The half-span
    ``½ span(f)`` is valid only for equal masses and is never used. For two probability laws
    this is twice the total-variation distance (mixing, §4, uses ½L1); it was named ``tv``
    before, and ``--metric tv`` and the JSON keys ``delta_tv``, ``L_V_tv``, ``ais_gap_tv`` stay
    one release as aliases (docs/numbers.md).
    """
    diff = (s.push - s.khat).tocsr()
    per = np.asarray(abs(diff).sum(axis=1)).ravel()
    g = s.gamma_bar
    d_max = float(per.max(initial=0.0))
    return Ipm(metric="l1", delta=d_max / g if g > 0 else 0.0, d_max=d_max,
               L_V=float(np.abs(s.hat.v).max(initial=0.0)), per_pair=per, gamma_bar=g,
               distance="full L1 norm Σ|ν₁ − ν₂| of the sub-probability kernels",
               rho="sup norm ‖V̂*‖∞", sink=None,
               method="exact sparse row sums of |σ#K − K̂∘σ|; L_V = ‖V̂*‖∞")


def lipschitz_constant(v: np.ndarray, metric: np.ndarray) -> float:
    """``max_{a≠b} |v(a) − v(b)| / d(a, b)`` (0 for a single point)."""
    n = len(v)
    if n < 2:
        return 0.0
    off = ~np.eye(n, dtype=bool)
    return float((np.abs(v[:, None] - v[None, :])[off] / metric[off]).max())


def _import_pot():
    """POT (optional: ``pip install icq-reference[ot]``), numpy backend only.

    POT probes every array backend it finds at import (torch alone takes seconds); the arrays
    here are numpy, so the others are switched off unless the user configured them.
    """
    if "ot" not in sys.modules:
        for lib in ("PYTORCH", "JAX", "TENSORFLOW", "CUPY"):
            os.environ.setdefault(f"POT_BACKEND_DISABLE_{lib}", "1")
    try:
        # POT: the [ot] extra, only for --metric w1
        import ot
    except ImportError:
        raise InputError("metric w1: needs POT, the optional dependency "
                         "(pip install 'icq-reference[ot]'); or use --metric l1") from None
    return ot


def delta_w1(s: Setting, metric: np.ndarray) -> Ipm:
    """δ and ``L_V`` for Wasserstein-1 under a user metric on observations (docs/theory.md §3).

    ``ρ(f)`` = the Lipschitz constant of f. W₁ needs equal masses; where the two kernels'
    masses differ, a sink point s is added to both measures so that each has mass
    ``max(m₁, m₂)``, with ``f(s) = 0`` and ``d(ô, s) = c`` for every ô, where
    ``c = max(‖V̂*‖∞ / L_V, diam/2)``: the first keeps the extended V̂* L_V-Lipschitz (so
    ``|⟨ν₁ − ν₂, V̂*⟩| ≤ L_V W₁(ν₁', ν₂')`` still holds), the second keeps d a metric. Masses
    are never rescaled (POT's ``emd2`` renormalises ``b`` to ``a``'s mass; here the masses
    passed to it are exactly equal by construction, or equal to 1e-12). When masses differ
    and V̂* is a nonzero constant (L_V = 0), no finite sink works and the audit refuses.

    Parameters
    ----------
    s : the solved setting
    metric : (n_obs, n_obs) a validated metric (:func:`icq.bounds.validate.check_obs_metric`)
    """
    ot = _import_pot()

    v = s.hat.v
    L = lipschitz_constant(v, metric)
    vmax = float(np.abs(v).max(initial=0.0))
    diam = float(metric.max(initial=0.0))
    push = s.push.toarray()
    khat = s.khat.toarray()
    m1, m2 = push.sum(axis=1), khat.sum(axis=1)
    unequal = np.abs(m1 - m2) > MASS_TOL
    sink = None
    if unequal.any():
        if L > 0:
            sink = max(vmax / L, diam / 2.0)
        elif vmax == 0:
            sink = diam / 2.0 if diam > 0 else 1.0
        else:
            k = int(np.flatnonzero(unequal)[0])
            raise InputError(
                "metric w1: the kernels σ#K and K̂ have different masses (latent pair "
                f"{k}: {m1[k]:.6g} vs {m2[k]:.6g}) and V̂* is the nonzero constant "
                f"{float(v[0]):.6g}, so no sink distance keeps L_V = 0 (rule: equal masses or a "
                "sink with f = 0 at distance ≥ ‖V̂*‖∞/L_V); use --metric l1")
    n_obs = metric.shape[0]
    cost = np.zeros((n_obs + 1, n_obs + 1))
    cost[:n_obs, :n_obs] = metric
    cost[n_obs, :n_obs] = cost[:n_obs, n_obs] = sink if sink is not None else 0.0
    per = np.zeros(len(m1))
    cache: dict[bytes, float] = {}
    for k in range(len(m1)):
        a, b = push[k], khat[k]
        if m1[k] <= 0 and m2[k] <= 0:
            continue
        key = a.tobytes() + b.tobytes()
        if key in cache:
            per[k] = cache[key]
            continue
        if unequal[k]:
            top = max(m1[k], m2[k])
            a2, b2 = np.append(a, top - m1[k]), np.append(b, top - m2[k])
            val = float(ot.emd2(a2, b2, cost, numItermax=10_000_000))
        else:
            val = float(ot.emd2(a, b, metric, numItermax=10_000_000))
        per[k] = cache[key] = max(0.0, val)
    g = s.gamma_bar
    d_max = float(per.max(initial=0.0))
    how = "POT ot.emd2 (exact network simplex) per latent pair"
    if sink is not None:
        how += (f"; {int(unequal.sum())} pairs with unequal masses get a sink at distance "
                f"{sink:.6g} = max(‖V̂*‖∞/L_V, diam/2)")
    return Ipm(metric="w1", delta=d_max / g if g > 0 else 0.0, d_max=d_max, L_V=L,
               per_pair=per, gamma_bar=g, distance="Wasserstein-1 under the user metric",
               rho="Lipschitz constant of V̂* under the user metric", sink=sink, method=how)


# ---------------------------------------------------------------------------------------------
# The four gaps
# ---------------------------------------------------------------------------------------------


def ais_gap_paper(epsilon: float, delta: float, L_V: float, gamma_bar: float,  # noqa: N803
                  *, metric: str = "l1") -> AisGap:
    """``Δ_AIS = (ε + γ̄ L_V δ)/(1 − γ̄)``, the paper form (AisGap.v ``ais_gap_paper_form``).

    Sound because ``|⟨σ#K − K̂, V̂*⟩| ≤ d_F · ρ_F(V̂*) = γ̄ δ L_V`` (Lemma A).

    >>> ais_gap_paper(0.25, 0.25, 2.0, 0.5).value
    1.0
    """
    value = S.evaluate(S.DELTA_AIS, epsilon=epsilon, delta=delta, L_V=L_V, gamma_bar=gamma_bar)
    return AisGap("paper", value, {"epsilon": epsilon, "delta": delta, "L_V": L_V,
                                   "gamma_bar": gamma_bar}, None,
                  f"lambdify of the sympy Δ_AIS with the {metric} IPM", "ais_gap_paper_form",
                  True, S.latex(S.DELTA_AIS))


def ais_gap_from_setting(s: Setting, ipm: Ipm | None = None) -> AisGap:
    """:func:`ais_gap_paper` with ε, δ and L_V computed from ``s`` (total variation by default)."""
    ipm = delta_l1(s) if ipm is None else ipm
    return ais_gap_paper(reward_sufficiency(s).value, ipm.delta, ipm.L_V, s.gamma_bar,
                         metric=ipm.metric)


def ais_gap_value_aware(s: Setting) -> AisGap:
    """``Δ_va = (ε + D)/(1 − γ̄)`` (docs/theory.md §3; AisGap.v ``ais_gap_value_aware``)."""
    eps = reward_sufficiency(s).value
    d = value_aware_gap(s).value
    value = S.evaluate(S.DELTA_VA, epsilon=eps, D=d, gamma_bar=s.gamma_bar)
    return AisGap("value_aware", value, {"epsilon": eps, "D": d, "gamma_bar": s.gamma_bar},
                  None, "lambdify of the sympy Δ_va; D exact", "ais_gap_value_aware", True,
                  S.latex(S.DELTA_VA))


def ais_gap_statewise(s: Setting) -> AisGap:
    """``max e`` for the least fixed point of ``e = c + K max e`` (AisGap.v
    ``ais_gap_statewise_sound``), ``c = |r̄ − r̂∘σ| + |⟨σ#K − K̂, V̂*⟩|`` per latent pair.

    The operator is the Bellman optimality operator of the latent SMDP with reward ``c ≥ 0``,
    a monotone γ̄-contraction, so its least fixed point is its unique fixed point: the optimal
    value of that SMDP, solved exactly by policy iteration (iteration from 0 converges to it).
    """
    m = s.model
    c = reward_sufficiency(s).per_pair + value_aware_gap(s).per_pair
    sg = SMDP(m.pair_ptr, m.pair_succ, c, m.K)
    sol = exact_solve(sg)
    e = np.maximum(sol.q, 0.0)
    # the lemma covers max e + r/(1 − γ̄) with r = max(F e − e, 0): add the solver's residual
    r = float(np.max(sg.bellman(e) - e, initial=0.0))
    slack = max(r, 0.0) / (1.0 - s.gamma_bar)
    return AisGap("statewise", float(e.max(initial=0.0)) + slack,
                  {"max_c": float(c.max(initial=0.0)), "gamma_bar": s.gamma_bar,
                   "residual_slack": slack},
                  e, f"least fixed point solved exactly: {sol.method}; reported max e + "
                  f"r/(1 − γ̄) with residual r = {r:.1e}", "ais_gap_statewise_sound", True,
                  r"e = c + K \max_{j'} e,\ c = |\bar r - \hat r\circ\sigma| + "
                  r"|\langle \sigma_\# K - \hat K, \hat V^*\rangle|")


def ais_gap_exact(s: Setting) -> AisGap:
    """``Δ_exact = max_{y,j} |Q*(y,j) − Q̂*(σ(y),j)|``, both solved exactly (docs/theory.md §3)."""
    per = np.abs(s.latent.q - s.model.lift(s.hat.q))
    return AisGap("exact", float(per.max(initial=0.0)), {}, per,
                  f"Q*: {s.latent.method}; Q̂*: {s.hat.method}", "ais_gap_exact_le_statewise",
                  False, r"\max_{y,j} |Q^*(y,j) - \hat Q^*(\sigma(y),j)|")


# ---------------------------------------------------------------------------------------------
# Lemma P: the policy loss
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyLossBound:
    """A bound on ``max_y (V* − V^π̂)(y)`` for the greedy decentralized policy π̂ (Lemma P)."""

    value: float
    gap_form: str
    gap: float
    method: str
    lemma: str


def policy_loss_bound(gap: AisGap, gamma_bar: float) -> PolicyLossBound:
    """``2Δ`` (PolicyLoss.v ``greedy_policy_loss``), or ``2Δ_exact/(1 − γ̄)`` for Δ_exact.

    ``V* − V^π̂ ≤ |V* − V̂*∘σ| + |V̂^π̂∘σ − V^π̂|`` (``V̂^π̂ = V̂*``). The first term is ≤ Δ for every
    form. The second is the evaluation gap of the *fixed* policy π̂; the derivations of Δ_AIS,
    Δ_va and the state-wise bound only use ``V̂^π̂ = V̂*``, so they bound it too and give 2Δ.

    Δ_exact does not: docs/theory.md §3 claims ``V* − V^π̂ ≤ 2Δ_exact``, which is false.
    Counterexample (γ = 0.9, all durations 1, deterministic, μ uniform): agent A observes ``o``
    in latent states a1, a2, successors {B, END}; B has one state b → A (reward 0, next a2);
    r(a1,B) = 1 (next b), r(a1,END) = −1, r(a2,B) = −1 (next b), r(a2,END) = 0. Then
    ``Q̂*(o,B) = 0 > Q̂*(o,END) = −½``, ``Δ_exact = 1``, but π̂ loops a2 → b → a2 at cost 1 per
    round: ``V*(a2) − V^π̂(a2) = 1/0.19 ≈ 5.26 > 2``. What Δ_exact does support is the classical
    ``2Δ_exact/(1 − γ̄)`` (the per-epoch loss ``V* − Q*(·,π̂) ≤ 2Δ_exact`` accumulates through
    ``(I − K_π̂)⁻¹``); that is what this function returns for ``gap.form == "exact"``.
    """
    if gap.bounds_every_policy:
        value = S.evaluate(S.POLICY_LOSS, Delta=gap.value)
        return PolicyLossBound(value, gap.form, gap.value, "2Δ (lambdify of the sympy 2Δ)",
                               "greedy_policy_loss")
    value = S.evaluate(S.POLICY_LOSS_EXACT_GAP, Delta=gap.value, gamma_bar=gamma_bar)
    return PolicyLossBound(value, gap.form, gap.value,
                           "2Δ_exact/(1 − γ̄): 2Δ_exact alone is not a bound (docs/theory.md §3 "
                           "erratum, counterexample in the docstring)",
                           "greedy_policy_loss_exact_gap")


@dataclass(frozen=True, eq=False)
class PolicyLoss:
    """The exact loss of the greedy decentralized policy π̂(ô) = argmax_j Q̂*(ô, j).

    Attributes
    ----------
    value : ``max_y (V*(y) − V^π̂(y))``
    initial : ``Σ_y ν₀(y) (V* − V^π̂)(y)``
    per_state : (n,) ``V* − V^π̂``
    policy : (n_obs,) the greedy observation pair of each observation
    method : how it was computed
    """

    value: float
    initial: float
    per_state: np.ndarray
    policy: np.ndarray
    method: str


def policy_loss_exact(s: Setting) -> PolicyLoss:
    """Exact ``V* − V^π̂``: π̂ lifted to latent states and evaluated exactly in the latent model
    (:func:`icq.reference.exact.solve.evaluate` on ``m.latent`` with ``m.lift(π̂)``)."""
    m = s.model
    pi_obs = deterministic_policy(s.ais.smdp, s.hat.policy)
    _, v = evaluate(m.latent, m.lift(pi_obs))
    per = s.latent.v - v
    return PolicyLoss(float(per.max(initial=0.0)), float(m.initial @ per), per, s.hat.policy,
                      "exact evaluation of the lifted greedy policy in the latent model "
                      "(icq.reference.exact.solve.evaluate)")
