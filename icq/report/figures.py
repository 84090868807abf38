"""The audit report's figures (docs/theory.md §3–§6, §8): each returns a document block, a
:class:`~icq.reference.common.document.Figure` or, when the figure does not apply, an
:class:`~icq.reference.common.document.Omitted` with the sentence saying why (never a blank image).

- :func:`learning_figure`: Monte-Carlo learning curves (median and 50 %/90 % quantile bands of
  the per-seed sup error over handoffs), the target line and the certified handoff count (§8);
- :func:`bound_figure`: each bound of Theorem 1 against T with the exact asymptote (§6);
- :func:`policy_loss_figure`: ``V* − V^π̂`` per latent state (§3, Lemma P);
- :func:`kappa_figure`: every support pair's share of κ² with the line κ² = 1 (§5, A6);
- :func:`whatif_figure`: κ of every evaluated what-if configuration (§5);
- :func:`gaps_figure`: the four AIS gaps (§3, Lemma A).

The certificate is duck-typed (:func:`certificate_curves`): ``grid`` (handoff counts, 1-D),
``errors`` (n_seeds × len(grid)), ``target`` and the certified count, ``handoffs`` on the
object or on its ``budget`` (an :class:`icq.bounds.budget.MethodBudget`).
"""

from __future__ import annotations

import io
import math
from typing import Any

import numpy as np

from icq.bounds import symbolic as S
from icq.bounds.auditor import Audit
from icq.reference.common.document import Figure, Omitted
from icq.reference.exact.mixing import EXACT_MIXING_MAX, mixing_profile

__all__ = ["bound_figure", "certificate_curves", "gaps_figure", "kappa_figure",
           "learning_figure", "policy_loss_figure", "whatif_figure"]

_FAIL, _OK = "#c0392b", "#1e8449"
#: bar charts show at most this many bars (the largest; the caption says so)
BARS_MAX = 40


def _plt():
    # matplotlib: the [report] extra, only when a figure is drawn
    import matplotlib

    matplotlib.use("Agg")
    # pyplot after matplotlib.use("Agg"): it picks its backend when first imported
    import matplotlib.pyplot as plt

    return plt


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    _plt().close(fig)
    return buf.getvalue()


def certificate_curves(cert: Any) -> tuple[np.ndarray, np.ndarray, float, int | None]:
    """``(grid, errors, target, certified T)`` of a Monte-Carlo certificate (module docstring)."""
    grid = np.asarray(cert.grid, dtype=float).ravel()
    errors = np.atleast_2d(np.asarray(cert.errors, dtype=float))
    if errors.shape[1] != len(grid):
        raise ValueError(f"certificate: errors has {errors.shape[1]} columns, grid "
                         f"{len(grid)} handoff counts")
    budget = getattr(cert, "budget", None)
    target = getattr(cert, "target", None)
    if target is None and budget is not None:
        target = budget.target
    t_cert = getattr(cert, "handoffs", None)
    if t_cert is None and budget is not None:
        t_cert = budget.handoffs
    return grid, errors, float(target), None if t_cert is None else int(t_cert)


def learning_figure(cert: Any | None) -> Figure | Omitted:
    """Learning curves with quantile bands, target line and certified T (§8)."""
    if cert is None:
        return Omitted("learning", "no Monte-Carlo certificate was given to the report, so there "
                       "are no learning curves (docs/theory.md §8).")
    grid, errors, target, t_cert = certificate_curves(cert)
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    q = np.quantile(errors, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
    ax.fill_between(grid, q[0], q[4], color="#4c72b0", alpha=0.18, label="5–95 % of seeds")
    ax.fill_between(grid, q[1], q[3], color="#4c72b0", alpha=0.35, label="25–75 % of seeds")
    ax.plot(grid, q[2], color="#4c72b0", lw=1.5, label=f"median of {errors.shape[0]} seeds")
    ax.axhline(target, color=_FAIL, ls="--", lw=1, label=f"target {target:.3g}")
    if t_cert is not None:
        ax.axvline(t_cert, color="k", ls=":", lw=1.2, label=f"certified T = {t_cert:,}")
    ax.set_xscale("log")
    if np.all(errors > 0):
        ax.set_yscale("log")
    ax.set_xlabel("handoffs")
    norm = "‖·‖_μ" if getattr(cert, "norm", "sup") == "mu" else "sup"
    ax.set_ylabel(f"{norm} error")
    ax.set_title("Monte-Carlo learning curves")
    ax.legend(fontsize=7)
    return Figure("learning", _png(fig), "learning curves",
                  f"The {norm} error of each seed's table over handoffs: median and quantile "
                  "bands, the target and the certified handoff count (docs/theory.md §8).")


def bound_figure(a: Audit) -> Figure | Omitted:
    """Each bound of Theorem 1 against T with the exact asymptote Δ_exact (§6)."""
    th = a.theorem
    inp = th.inputs
    if not th.applicable or inp.get("G") is None:
        return Omitted("bound", "Theorem 1 does not apply (see the failing assumptions), so "
                       "there is no finite-sample bound to plot against T.")
    gaps = a.gaps()
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    Ts = np.unique(np.logspace(0, max(7.0, math.log10(th.handoffs) + 1), 60).astype(int))
    prof = a.mixing
    if a.model.n_states <= EXACT_MIXING_MAX:  # exact τ_mix(α_T) along the whole curve
        a_min = S.evaluate(S.ALPHA_T, kappa=inp["kappa"], omega=inp["omega"], T=int(Ts[-1]))
        prof = mixing_profile(a.model, a_min, st=a.setting.stationary)
    for form, style in (("paper", "-"), ("statewise", "--"), ("exact", ":")):
        vals = []
        for T in Ts:
            alpha = S.evaluate(S.ALPHA_T, kappa=inp["kappa"], omega=inp["omega"], T=int(T))
            tau = prof.tau(alpha).tau
            vals.append(math.sqrt(S.evaluate(
                S.BOUND, C_F=inp["C_F"], eps_approx=inp["eps_approx"], Delta=gaps[form],
                G=inp["G"], tau=tau, T=int(T), kappa=inp["kappa"], omega=inp["omega"])))
        ax.loglog(Ts, vals, style, label=f"√bound, Δ = {form}")
    ax.axhline(gaps["exact"], color="k", lw=0.8, label="exact asymptote Δ_exact")
    ax.axvline(th.handoffs, color="#888", lw=0.8, ls=":", label=f"T = {th.handoffs:,}")
    ax.set_xlabel("handoffs T")
    ax.set_ylabel("error bound (‖·‖_μ)")
    ax.legend(fontsize=7)
    ax.set_title("Theorem 1 against T")
    return Figure("bound", _png(fig), "bound against T",
                  "The square root of each form of Theorem 1's right-hand side against T, with "
                  "the exact asymptote Δ_exact (docs/theory.md §6).")


def policy_loss_figure(a: Audit) -> Figure | Omitted:
    """``V*(y) − V^π̂(y)`` per latent state (§3)."""
    per = np.asarray(a.loss_exact.per_state)
    tol = 1e-9 * max(1.0, float(np.abs(a.setting.latent.v).max(initial=0.0)))
    if not np.any(per > tol):
        return Omitted("policy-loss", "the decentralized greedy policy loses nothing in any "
                       "latent state (V* − V^π̂ = 0 up to rounding), so there is nothing to plot.")
    m = a.model
    shown = (np.arange(m.n_states) if m.n_states <= BARS_MAX
             else np.sort(np.argsort(-per, kind="stable")[:BARS_MAX]))
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, max(2.4, 0.22 * len(shown) + 0.8)))
    order = shown[::-1]
    ax.barh([m.state_ids[y] for y in order], per[order],
            color=[_FAIL if per[y] > tol else "#999" for y in order])
    ax.set_xlabel("V*(y) − V^π̂(y)")
    ax.tick_params(axis="y", labelsize=7)
    ax.set_title(f"Policy loss per latent state (from ν₀: {a.loss_exact.initial:.4g})")
    more = (f" The {len(shown)} states with the largest loss of {m.n_states} are shown."
            if len(shown) < m.n_states else "")
    return Figure("policy-loss", _png(fig), "per-state policy loss",
                  "Value lost in each latent state by the decentralized greedy policy against "
                  "the centralized optimum (docs/theory.md §3, Lemma P)." + more)


def kappa_figure(witness: Any | None) -> Figure | Omitted:
    """Each support pair's share of κ² against the line κ² = 1 (§5)."""
    if witness is None or not witness.ratios:
        return Omitted("kappa", "κ is undefined here (no stationary law μ, or no witness "
                       "direction), so there is no A6 witness to plot.")
    every = np.array([r for _, r in witness.ratios])
    shown = (np.arange(len(every)) if len(every) <= BARS_MAX
             else np.sort(np.argsort(-every, kind="stable")[:BARS_MAX]))
    names = [f"{a}/{o} → {j}" for (a, o, j), _ in (witness.ratios[i] for i in shown)]
    vals = every[shown]
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, max(2.4, 0.22 * len(vals) + 0.8)))
    ax.barh(names[::-1], vals[::-1], color=[_FAIL if v >= 1 else _OK for v in vals[::-1]])
    ax.axvline(1.0, color="k", lw=1, ls="--", label="κ² = 1 (A6 boundary)")
    ax.tick_params(axis="y", labelsize=7)
    ax.set_xlabel("share of κ² (one-hot: M(ô')/w(ô',b))")
    ax.set_title(f"A6 witness: κ = {witness.kappa:.4g}")
    ax.legend(fontsize=7)
    more = (f" The {len(shown)} largest of {len(every)} pairs are shown."
            if len(shown) < len(every) else "")
    return Figure("kappa", _png(fig), "A6 witness",
                  "Each (observation, successor) pair's ratio; red pairs (≥ 1) make κ ≥ 1 "
                  "(docs/theory.md §5)." + more)


def whatif_figure(w: Any | None) -> Figure | Omitted:
    """κ of every evaluated what-if configuration (§5)."""
    if w is None:
        return Omitted("whatif", "no what-if search was run (icq audit --what-if).")
    labels = [f"{s.knob} ({s.behaviour})" for s in w.scenarios]
    vals = np.array([min(s.kappa, 1e6) for s in w.scenarios])
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, max(2.4, 0.3 * len(vals) + 0.8)))
    ax.barh(labels[::-1], vals[::-1], color=[_OK if v < 1 else _FAIL for v in vals[::-1]])
    ax.axvline(1.0, color="k", lw=1, ls="--", label="κ = 1")
    ax.tick_params(axis="y", labelsize=7)
    ax.set_xlabel("κ")
    ax.set_title("What-if: κ of each evaluated configuration")
    ax.legend(fontsize=7)
    return Figure("whatif", _png(fig), "what-if",
                  "κ of every configuration the what-if search evaluated; green ones satisfy A6 "
                  "(docs/theory.md §5).")


def gaps_figure(a: Audit) -> Figure:
    """The four AIS gaps (§3, Lemma A)."""
    gaps = a.gaps()
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 3))
    names = ["exact", "statewise", "value_aware", "paper"]
    ax.bar(names, [gaps[n] for n in names], color=["#4c72b0", "#55a868", "#c44e52", "#8172b2"])
    ax.set_ylabel("Δ (action-value gap)")
    ax.set_title("AIS gap: exact ≤ state-wise ≤ value-aware ≤ paper")
    return Figure("gaps", _png(fig), "AIS gaps",
                  "The four sound forms of the interface gap (docs/theory.md §3, Lemma A).")
