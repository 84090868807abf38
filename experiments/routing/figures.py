"""Figures of the routing experiment."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from icq.experiments.common.plotting import plt, save


def make(raw: dict, summary: dict, out: Path) -> list[Path]:
    fams = list(raw["runs"])
    fig, ax = plt.subplots(figsize=(6, 3.2))
    x = np.arange(len(fams))
    for k, (key, label) in enumerate((("packet_accuracy", "packets on a shortest path"),
                                      ("decision_accuracy", "shortest-hop decisions"))):
        vals = [[r[key] for r in raw["runs"][f]] for f in fams]
        ax.bar(x + (k - 0.5) * 0.38, [np.mean(v) for v in vals], width=0.38, label=label,
               yerr=[np.std(v) for v in vals], capsize=3)
    ax.set_xticks(x, [f.replace("_", "-") for f in fams])
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("accuracy (mean over seeds)")
    ax.set_title("IC-Q routing accuracy (exact AIS: Δ_AIS = 0)")
    ax.legend(loc="lower right", fontsize=8)
    return [save(fig, Path(out) / "routing_accuracy.png")]
