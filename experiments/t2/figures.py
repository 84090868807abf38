"""Figures of T2: (a) log-log error against T with the Theorem 1 envelope, (b) error and τ_mix
against p, (c) error against ρ with the floor, Δ_exact and Δ_AIS."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from icq.experiments.common.plotting import plt, save
from icq.experiments.common.stats import loglog_fit


def make(raw: dict, summary: dict, out: Path) -> list[Path]:
    out = Path(out)
    paths = []
    a, tab, avg = summary["a_theorem"], summary["a_tabular"], summary["a_theorem_averaged"]
    env = raw["a"]["envelope"]
    fig, ax = plt.subplots(figsize=(5.5, 4))
    for learner in ("theorem", "theorem_averaged", "tabular"):
        rows = [r for r in raw["a"]["runs"] if r["learner"] == learner]
        ax.scatter([r["T"] for r in rows], [r["error"] for r in rows], s=8, alpha=0.4)
    ax.plot(a["T"], a["mean_error"], "o-",
            label=f"projected IC-Q, Theorem 1 steps, last iterate (slope {a['slope']:.2f})")
    ax.plot(avg["T"], avg["mean_error"], "d-",
            label=f"same, averaged iterate (slope {avg['slope']:.2f})")
    ax.plot(tab["T"], tab["mean_error"], "s-",
            label=f"tabular IC-Q, per-entry 1/n^ω (slope {tab['slope']:.2f})")
    fit = loglog_fit(a["T"], a["mean_error"])
    ax.plot(a["T"], fit.predict(a["T"]), "k:", lw=1)
    if env[0]["bound"] is not None:
        ax.plot([e["T"] for e in env], [e["bound"] for e in env], "r--",
                label="Theorem 1 bound (explicit constants)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("handoffs T")
    ax.set_ylabel("E‖Q∘σ − Q*‖²_μ")
    ax.set_title("T2(a): ρ = 1 (exact interface)")
    ax.legend(fontsize=7)
    paths.append(save(fig, out / "t2a_handoffs.png"))

    b = summary["b"]
    fig, ax = plt.subplots(figsize=(5.5, 4))
    ax.plot(b["p"], b["mean_error"], "o-", color="C0", label="error (tabular IC-Q)")
    ax.plot(b["p"], b["mean_relative_error"], "o:", color="C0", label="error / ‖Q*‖²_μ")
    for p, e, ok in zip(b["p"], b["mean_error"], b["a6_holds"], strict=True):
        if not ok:
            ax.plot([p], [e], "x", color="red", ms=10)
    ax.set_yscale("log")
    ax.set_xlabel("per-step handoff probability p")
    ax.set_ylabel(f"error at T = {b['T']:,}", color="C0")
    ax2 = ax.twinx()
    ax2.plot(b["p"], b["tau_mix"], "s--", color="C1", label="τ_mix(1/4)")
    ax2.plot(b["p"], b["tau_mix_alpha_T"], "^--", color="C2", label="τ_mix(α_T)")
    ax2.set_ylabel("mixing time (handoffs)")
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2 + [], fontsize=7, loc="upper left")
    ax.set_title("T2(b): error and mixing against p (× : A6 fails)")
    paths.append(save(fig, out / "t2b_handoff_probability.png"))

    c = summary["c"]
    fig, ax = plt.subplots(figsize=(5.5, 4))
    ax.plot(c["rho"], np.sqrt(c["mean_error"]), "o-", label=f"RMS error at T = {c['T']:,}")
    ax.plot(c["rho"], np.sqrt(c["floor_sq"]), "k.--", label="floor ‖Q̂*∘σ − Q*‖_μ")
    ax.plot(c["rho"], c["ais_gap_exact"], "s-", label="Δ_exact")
    ax.plot(c["rho"], c["ais_gap"], "^-", label="Δ_AIS")
    ax.set_yscale("symlog", linthresh=1e-3)
    ax.set_xlabel("retention ratio ρ")
    ax.set_ylabel("error (units of Q)")
    ax.set_title("T2(c): the interface floor")
    ax.legend(fontsize=7)
    paths.append(save(fig, out / "t2c_retention.png"))
    return paths
