"""The audit: every term of docs/theory.md §3–§6 for one IC-SMDP, the assumptions and Theorem 1.

:func:`audit` returns a frozen :class:`Audit` whose :meth:`Audit.to_json` is what
``icq audit --json`` prints. Where A5 or A6 fails (common with one-hot features and uniform
behaviour, docs/theory.md §5) the audit says Theorem 1 does not apply and why, and still reports
every term that is defined.

>>> from icq.reference.model import load, example_path
>>> a = audit(load(example_path("ring-exact")))
>>> a.epsilon.value, a.ipm_l1.delta, a.gap_exact.value < 1e-9
(0.0, 0.0, True)
>>> a.theorem.applicable
False
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from icq.bounds import symbolic as S
from icq.bounds.ais import (
    METRIC_ALIASES,
    AisGap,
    Ipm,
    PairGap,
    PolicyLoss,
    PolicyLossBound,
    ais_gap_exact,
    ais_gap_paper,
    ais_gap_statewise,
    ais_gap_value_aware,
    delta_l1,
    delta_w1,
    gap_key,
    policy_loss_bound,
    policy_loss_exact,
    reward_sufficiency,
    with_aliases,
)
from icq.bounds.assumptions import Check, applicability, check_assumptions
from icq.bounds.budget import burn_in_candidates
from icq.bounds.features import (
    Approximation,
    FixedPoint,
    Kappa,
    Omega,
    Support,
    approximation_constant,
    epsilon_approx,
    kappa,
    omega,
    projected_fixed_point,
    support,
    tabular_features,
)
from icq.bounds.setting import Setting, prepare
from icq.bounds.summary import audit_html
from icq.bounds.terms import DurationDiscount, Term, duration_discount
from icq.bounds.theorem import Theorem1, symbolic_summary, theorem1
from icq.bounds.validate import InputError, check_features, check_obs_metric
from icq.bounds.whatif import Witness, a6_witness
from icq.reference.common.io import plain
from icq.reference.exact.mixing import (
    EXACT_MIXING_MAX,
    MixingProfile,
    TauMix,
    mixing_profile,
    start_distances,
)
from icq.reference.model import EpochModel

__all__ = ["Audit", "FeatureAudit", "audit"]

#: default T for Theorem 1 when none is given
DEFAULT_HANDOFFS = 1_000_000
#: the tabular Φ is materialised (for reports and callers) up to this many entries
TABULAR_DENSE_MAX = 4_000_000


@dataclass(frozen=True, eq=False)
class FeatureAudit:
    """docs/theory.md §5 for one feature map (None fields: undefined without μ)."""

    kind: str
    phi: np.ndarray | None
    support: Support | None
    omega: Omega | None
    kappa: Kappa | None
    approximation: Approximation | None
    C_F: Term  # noqa: N815
    fixed_point: FixedPoint | None
    reason: str = ""


@dataclass(frozen=True, eq=False)
class Audit:
    """Everything the audit computed, each with its method (see :meth:`to_json`)."""

    model: EpochModel
    setting: Setting
    durations: DurationDiscount
    epsilon: PairGap
    ipm_l1: Ipm
    ipm: Ipm
    gap_paper: AisGap
    gap_paper_l1: AisGap
    gap_value_aware: AisGap
    gap_statewise: AisGap
    gap_exact: AisGap
    loss_bounds: dict[str, PolicyLossBound]
    loss_exact: PolicyLoss
    mixing: MixingProfile
    t_mix: TauMix
    features: FeatureAudit
    assumptions: dict[str, Check]
    theorem: Theorem1
    witness: Witness | None = None
    start_distances: np.ndarray | None = None

    def _repr_html_(self) -> str:
        return audit_html(self)

    @property
    def policy_loss_bound(self) -> PolicyLossBound:
        """The tightest sound bound on the policy loss."""
        return min(self.loss_bounds.values(), key=lambda b: b.value)

    def gaps(self) -> dict[str, float]:
        """The four gaps by form (:data:`GAP_FORMS`; docs/theory.md §3)."""
        return {g.form: g.value for g in self._gap_terms()}

    def to_json(self) -> dict[str, Any]:
        """The ``icq audit --json`` object (plain Python values; printed by
        :func:`icq.reference.common.io.dumps`, which writes ±∞ as ±1e999 and NaN as null)."""
        m, th = self.model, self.theorem
        st = self.setting.stationary
        plb = self.policy_loss_bound
        out: dict[str, Any] = {
            "model": {"name": m.name, "n_states": m.n_states, "n_obs": m.n_obs,
                      "n_pairs": m.n_pairs, "n_obs_pairs": m.n_obs_pairs,
                      "agents": list(m.agents), "gamma": m.gamma},
            "gamma_bar": m.gamma_bar, "T_max": m.T_max, "R_bar": m.R_bar,
            "epsilon": self.epsilon.value,
            "metric": self.ipm.metric,
            "delta_l1": self.ipm_l1.delta, "L_V_l1": self.ipm_l1.L_V,
            "delta": self.ipm.delta, "L_V": self.ipm.L_V,
            **{gap_key(f): v for f, v in self.gaps().items()},
            "gap_paper_l1": self.gap_paper_l1.value,
            "policy_loss_bound": plb.value,
            "policy_loss_bounds": {f: b.value for f, b in self.loss_bounds.items()},
            "policy_loss_exact": self.loss_exact.value,
            "policy_loss_exact_initial": self.loss_exact.initial,
            "tau_mix": self.t_mix.tau, "tau_mix_exact": self.t_mix.exact,
            "tau_mix_method": self.t_mix.method, "tau_mix_reason": self.t_mix.reason,
            "stationary": ({m.state_ids[y]: float(p) for y, p in enumerate(st.mu)}
                           if st.mu is not None else None),
            "stationary_status": st.reason,
            "durations": {"mean_duration": self.durations.mean_duration,
                          "mean_discount": self.durations.mean_discount,
                          "mean_discount2": self.durations.mean_discount2,
                          "discount_lower": self.durations.lower,
                          "discount_upper": self.durations.upper,
                          "within_bounds": self.durations.within_bounds},
            "features": self._features_json(),
            "theorem1": {
                "applicable": th.applicable, "reason": th.reason, "handoffs": th.handoffs,
                "gap_form": th.gap_form, "terms": th.terms, "bound": th.bound,
                "bound_by_gap": th.bound_by_gap, "bound_three_term": th.bound_three,
                "bound_three_term_by_gap": th.bound_three_by_gap, "burn_in": th.burn_in,
                "d_burn": th.d_burn, "iterate": th.iterate, "covers": th.covers,
                "alpha_T": th.alpha_T,
                "tau_mix_alpha_T": th.tau_mix_alpha_T, "tau_mix_alpha_T_exact": th.tau_exact,
                "inputs": th.inputs, "symbolic": symbolic_summary(), "imported": th.imported,
            },
            "assumptions": {name: c.to_json() for name, c in self.assumptions.items()},
            "a6_witness": None if self.witness is None else self.witness.to_json(),
            "method": {
                "Q*": self.setting.latent.method, "Q̂*": self.setting.hat.method,
                "mu": self.setting.ais.method, "epsilon": self.epsilon.method,
                "delta_l1": self.ipm_l1.method, "delta": self.ipm.method,
                **{gap_key(g.form): g.method for g in self._gap_terms()},
                "policy_loss_bound": f"{plb.method} with Δ = {plb.gap_form}",
                "policy_loss_exact": self.loss_exact.method,
                "tau_mix": self.t_mix.method, "theorem1": th.method,
            },
        }
        out["method"] = with_aliases(out["method"])
        return plain(with_aliases(out))

    def _gap_terms(self) -> tuple[AisGap, ...]:
        return (self.gap_paper, self.gap_value_aware, self.gap_statewise, self.gap_exact)

    def _features_json(self) -> dict[str, Any]:
        fa = self.features
        k, om, ap, fp = fa.kappa, fa.omega, fa.approximation, fa.fixed_point
        sup = fa.support
        return {
            "kind": fa.kind, "dim": None if om is None else om.dim,
            "support_pairs": None if sup is None else int(sup.mask.sum()),
            "outside_support": None if sup is None else sup.outside,
            "omega": None if om is None else om.value,
            "omega_nonzero": None if om is None else om.nonzero,
            "rank": None if om is None else om.rank,
            "a5_holds": None if om is None else om.holds,
            "kappa": None if k is None else k.kappa,
            "kappa_lower": None if k is None else k.lower,
            "kappa_upper": None if k is None else k.upper,
            "kappa_exact": None if k is None else k.exact,
            "a6_holds": None if k is None else k.a6_holds,
            "epsilon_approx": None if ap is None else ap.value,
            "C_F": fa.C_F.value,
            "theta_star_norm": None if fp is None else float(np.linalg.norm(fp.theta)),
            "R_theta": None if fp is None else fp.norm_bound,
            "reason": fa.reason,
            "method": {"omega": None if om is None else om.method,
                       "kappa": None if k is None else k.method,
                       "epsilon_approx": None if ap is None else ap.method,
                       "C_F": fa.C_F.method if fa.C_F.value is not None else fa.C_F.reason,
                       "theta_star": None if fp is None else fp.method,
                       "support": None if sup is None else sup.method},
        }


def _feature_audit(s: Setting, features: Any, kind: str | None) -> FeatureAudit:
    m = s.model
    if s.mu is None:
        return FeatureAudit(kind or ("tabular" if isinstance(features, str) else "user"),
                            None, None, None, None, None,
                            approximation_constant(m.gamma_bar, None), None,
                            reason="§5 needs the stationary law μ: " + s.stationary.reason)
    sup = support(m, s.mu)
    if isinstance(features, str):
        if features != "tabular":
            raise InputError(f"features: {features!r} is not 'tabular' or an array")
        kind, tab = "tabular", True
        small = m.n_obs_pairs * int(sup.mask.sum()) <= TABULAR_DENSE_MAX
        phi = tabular_features(m, sup) if small else None  # closed forms need no Φ
    else:
        phi, kind, tab = check_features(features, m), kind or "user", False
    om = omega(phi, sup, tabular=tab)
    k = kappa(m, phi, sup, s.mu, tabular=tab)
    ap = epsilon_approx(phi, s.hat.q, sup, tabular=tab)
    kap = k.upper if k.a6_holds else None
    cf = approximation_constant(m.gamma_bar, kap if kap is not None else k.upper)
    fp = projected_fixed_point(m, s.ais.smdp, phi, sup, kap, om.value, tabular=tab)
    return FeatureAudit(kind, phi, sup, om, k, ap, cf, fp)


def audit(model: EpochModel, *, features: Any = "tabular", feature_kind: str | None = None,
          metric: str = "l1", obs_metric: Any = None, handoffs: int | None = None,
          setting: Setting | None = None) -> Audit:
    """Audit ``model`` (docs/theory.md §3–§6).

    Parameters
    ----------
    model : the epoch model
    features : ``"tabular"`` (one-hot on the support) or an (n_obs_pairs, d) array
    feature_kind : a name for user features (``"user"``; ``"tangent"`` marks A3–A4 as not
        checkable)
    metric : ``"l1"`` (default: the full L1 norm) or ``"w1"`` (needs ``obs_metric``);
        ``"tv"``, the old name of ``"l1"``, is accepted one more release
    obs_metric : (n_obs, n_obs) metric on observations for ``"w1"``
    handoffs : T for Theorem 1 (default 1,000,000)
    setting : a :func:`icq.bounds.setting.prepare` result to reuse
    """
    metric = METRIC_ALIASES.get(metric, metric)
    if metric not in ("l1", "w1"):
        raise InputError(f"metric: {metric!r} is not 'l1' or 'w1'")
    if metric == "w1" and obs_metric is None:
        raise InputError("obs-metric: --metric w1 needs a metric on observations")
    T = DEFAULT_HANDOFFS if handoffs is None else handoffs
    if not isinstance(T, int | np.integer) or isinstance(T, bool) or T < 1:
        raise InputError(f"handoffs: {handoffs!r} must be an integer ≥ 1")
    s = prepare(model) if setting is None else setting
    m = model
    dd = duration_discount(m, s.mu)
    eps = reward_sufficiency(s)
    l1 = delta_l1(s)
    ipm = l1 if metric == "l1" else delta_w1(s, check_obs_metric(obs_metric, m))
    g = m.gamma_bar
    paper = ais_gap_paper(eps.value, ipm.delta, ipm.L_V, g, metric=ipm.metric)
    paper_l1 = ais_gap_paper(eps.value, l1.delta, l1.L_V, g) if ipm is not l1 else paper
    va, sw, ex = ais_gap_value_aware(s), ais_gap_statewise(s), ais_gap_exact(s)
    bounds = {gp.form: policy_loss_bound(gp, g) for gp in (paper, va, sw, ex)}
    loss = policy_loss_exact(s)
    fa = _feature_audit(s, features, feature_kind)

    k = fa.kappa
    kap = k.upper if (k is not None and k.a6_holds) else None
    om = fa.omega.value if fa.omega is not None else 0.0
    alpha = (S.evaluate(S.ALPHA_T, kappa=kap, omega=om, T=int(T))
             if kap is not None and om > 0 else None)
    eps_mix = 0.25 if alpha is None or m.n_states > EXACT_MIXING_MAX else min(0.25, alpha)
    prof = mixing_profile(m, eps_mix, st=s.stationary)
    t_mix = prof.tau(0.25)

    checks = check_assumptions(
        T_max=m.T_max, R_bar=m.R_bar, gamma_bar=g, epsilon=eps.value, delta=ipm.delta,
        metric=ipm.metric, ergodic=s.stationary.ergodic, ergodic_reason=s.stationary.reason,
        feature_kind=fa.kind, omega=None if fa.omega is None else fa.omega.value,
        omega_detail="" if fa.omega is None else fa.omega.method,
        kappa_lower=None if k is None else k.lower, kappa_upper=None if k is None else k.upper,
        a6_holds=None if k is None else k.a6_holds, n_obs=m.n_obs, n_pairs=m.n_pairs)
    ok, reason = applicability(checks)
    gaps = {"paper": paper.value, "value_aware": va.value, "statewise": sw.value,
            "exact": ex.value}
    dist = start_distances(m, s.mu) if s.mu is not None else None
    best = None
    for tb, d in burn_in_candidates(dist, *((prof.envelope.t0, prof.envelope.dbar)
                                            if prof.envelope is not None else (None, None))):
        if tb >= int(T):
            continue
        th = theorem1(int(T), kappa=kap, omega=om,
                      eps_approx=None if fa.approximation is None else fa.approximation.value,
                      C_F=fa.C_F.value, gaps=gaps, R_bar=m.R_bar,
                      R_theta=None if fa.fixed_point is None else fa.fixed_point.norm_bound,
                      tau=prof.tau, applicable=ok, reason=reason, burn_in=tb, d_burn=min(d, 1.0))
        if best is None or (th.bound is not None and (best.bound is None
                                                      or th.bound < best.bound)):
            best = th
    th = best
    return Audit(model=m, setting=s, durations=dd, epsilon=eps, ipm_l1=l1, ipm=ipm,
                 gap_paper=paper, gap_paper_l1=paper_l1, gap_value_aware=va, gap_statewise=sw,
                 gap_exact=ex, loss_bounds=bounds, loss_exact=loss, mixing=prof, t_mix=t_mix,
                 features=fa, assumptions=checks, theorem=th, start_distances=dist,
                 witness=None if k is None or s.mu is None else a6_witness(
                     m, s.mu, k, phi=None if fa.kind == "tabular" else fa.phi))
