"""Figure of the CPU experiment: accuracy on training and unseen targets per observation."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from icq.experiments.common.plotting import plt, save


def make(raw: dict, summary: dict, out: Path) -> list[Path]:
    kinds = list(summary["test_accuracy"])
    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    x = np.arange(len(kinds))
    for k, (key, lab) in enumerate((("train_accuracy", "training targets (lowest 20%)"),
                                    ("test_accuracy", "unseen targets (other 80%)"))):
        vals = [[r[key] for r in raw["runs"] if r["observations"] == kind] for kind in kinds]
        ax.bar(x + (k - 0.5) * 0.38, [np.mean(v) for v in vals], width=0.38, label=lab,
               yerr=[np.std(v) for v in vals], capsize=3)
    ax.axhline(summary["paper_test_accuracy"], color="k", ls=":", lw=1, label="paper: 80%")
    ax.set_xticks(x, kinds)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("programs writing the target exactly")
    ax.set_title("CPU programming, adaptable IC-Q (mean ± sd over seeds)")
    ax.legend(fontsize=7)
    return [save(fig, Path(out) / "cpu_accuracy.png")]
