"""Figures of T1: the value gap against the AIS gap (scatter), and both against ρ."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from icq.experiments.common.plotting import plt, save


def make(raw: dict, summary: dict, out: Path) -> list[Path]:
    rows = raw["rows"]
    rhos = summary["rhos"]
    cmap = plt.get_cmap("viridis")
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    x = np.array([r["gaps"]["ais_gap"] for r in rows])
    y = np.array([r["value_gap"] for r in rows])
    for k, rho in enumerate(rhos):
        sel = [i for i, r in enumerate(rows) if r["rho"] == rho]
        ax.scatter(x[sel], y[sel], color=cmap(k / max(1, len(rhos) - 1)), label=f"ρ = {rho:g}",
                   s=22)
    if np.ptp(x) > 0:
        b, a = np.polyfit(x, y, 1)
        xs = np.linspace(0, x.max(), 50)
        ax.plot(xs, a + b * xs, "k--", lw=1, label=f"least squares (r = {summary['pearson']:.3f})")
    ax.set_xlabel("Δ_AIS (paper form, TV) from icq.bounds.audit")
    ax.set_ylabel("value gap of the IC-Q policy vs ρ = 1 (from ν₀)")
    ax.set_title("T1: the AIS gap predicts the value gap")
    ax.legend(fontsize=7)
    for key, lab in (("ais_gap", "Δ_AIS"), ("ais_gap_statewise", "state-wise"),
                     ("ais_gap_exact", "Δ_exact")):
        m = [np.mean([r["gaps"][key] for r in rows if r["rho"] == rho]) for rho in rhos]
        ax2.plot(rhos, m, "o-", label=lab)
    for key, lab in (("value_gap", "value gap (ν₀)"), ("value_gap_sup", "value gap (max state)")):
        m = [np.mean([r[key] for r in rows if r["rho"] == rho]) for rho in rhos]
        ax2.plot(rhos, m, "s--", label=lab)
    ax2.set_xlabel("retention ratio ρ")
    ax2.set_title("means over seeds")
    ax2.set_ylabel("gap (units of value)")
    ax2.legend(fontsize=7)
    return [save(fig, Path(out) / "t1_scatter.png")]
