"""Figures of the multi-agent reasoning experiment."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from icq.experiments.common.plotting import plt, save
from icq.experiments.llm.analysis import NAMES


def make(raw: dict, summary: dict, out: Path) -> list[Path]:
    t = summary["table"]
    profs = list(t)
    cols = ["direct", "cot", "reflection", "combine_e", "combine_t", "icq_accuracy"]
    labels = ["Direct", "CoT", "Reflect.", "Comb-E", "Comb-T", "IC-Q learned"]
    fig, ax = plt.subplots(figsize=(7.5, 3.4))
    x = np.arange(len(profs))
    w = 0.13
    for k, (c, lab) in enumerate(zip(cols, labels, strict=True)):
        ax.bar(x + (k - 2.5) * w, [t[p][c] for p in profs], width=w, label=lab,
               hatch="//" if c == "icq_accuracy" else None)
    ax.set_xticks(x, [f"{p}\n(IC-Q: {NAMES[t[p]['icq_workflow']]})" for p in profs], fontsize=8)
    ax.set_ylim(0.2, 1.0)
    ax.set_ylabel("accuracy")
    ax.set_title("Simulated agents calibrated to Table 1: IC-Q vs predefined workflows\n"
                 "(the paper's IC-Q column is the best workflow, equal by construction)",
                 fontsize=9)
    ax.legend(fontsize=7, ncol=3, loc="upper left")
    return [save(fig, Path(out) / "llm_accuracy.png")]
