"""Pure analysis of the CPU experiment (tested).

>>> runs = [{"observations": "register_block", "seed": s, "train_accuracy": 1.0,
...          "test_accuracy": a} for s, a in enumerate((0.8, 0.6))]
>>> summarize({"runs": runs})["test_accuracy"]["register_block"]
0.7
"""

from __future__ import annotations

import numpy as np

from icq.experiments.common.io import markdown_table
from icq.reference.learners.adaptable import NOT_COVERED

__all__ = ["summarize", "tables"]

PAPER = 0.80


def summarize(raw: dict) -> dict:
    kinds = list(dict.fromkeys(r["observations"] for r in raw["runs"]))
    out: dict = {"test_accuracy": {}, "test_accuracy_sd": {}, "train_accuracy": {},
                 "seeds_learning_train": {}, "seeds": {}}
    for k in kinds:
        rows = [r for r in raw["runs"] if r["observations"] == k]
        te = np.array([r["test_accuracy"] for r in rows])
        tr = np.array([r["train_accuracy"] for r in rows])
        out["test_accuracy"][k] = float(te.mean())
        out["test_accuracy_sd"][k] = float(te.std(ddof=1)) if len(te) > 1 else 0.0
        out["train_accuracy"][k] = float(tr.mean())
        out["seeds_learning_train"][k] = int((tr == 1.0).sum())
        out["seeds"][k] = len(rows)
    out["paper_test_accuracy"] = PAPER
    out["regime"] = ("adaptable (local actions and successors learned), learner "
                     f"icq.reference.learners.adaptable.train_adaptable. {NOT_COVERED}")
    return out


def tables(raw: dict, summary: dict) -> str:
    head = ["observation", "seeds", "train accuracy", "unseen-target accuracy (mean)", "sd",
            "seeds with 100% on train"]
    rows = [[k, summary["seeds"][k], summary["train_accuracy"][k],
             summary["test_accuracy"][k], summary["test_accuracy_sd"][k],
             summary["seeds_learning_train"][k]] for k in summary["test_accuracy"]]
    per = [[r["observations"], r["seed"], r["train_targets"], r["test_targets"],
            r["train_accuracy"], r["test_accuracy"], r["table_entries"], r["seconds"]]
           for r in raw["runs"]]
    return ("Adaptable regime (Theorem 1 does not cover it). Paper: "
            f"{PAPER:.0%} on unseen targets after training on 20% of the range.\n\n"
            + markdown_table(head, rows)
            + "\n\n### Every run\n\n"
            + markdown_table(["observation", "seed", "train targets", "unseen targets",
                              "train acc.", "unseen acc.", "table entries", "train s"], per))
