"""Pure analysis of the routing experiment (tested in tests/test_experiments.py).

Decisions are ``{(router, destination, flag): next hop}``; ``shortest`` maps
``(router, destination)`` to the set of next hops on a shortest path.

>>> sh = {(0, 2): {1}, (1, 2): {2}, (2, 0): {1}, (1, 0): {0}, (0, 1): {1}, (2, 1): {1}}
>>> dec = {(i, d, f): min(sh[(i, d)]) for (i, d) in sh for f in (0, 1)}
>>> decision_accuracy(dec, sh), packet_accuracy(dec, sh)
(1.0, 1.0)
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from icq.experiments.common.io import markdown_table

__all__ = ["decision_accuracy", "packet_accuracy", "summarize", "tables"]


def decision_accuracy(decisions: Mapping[tuple[int, int, int], int],
                      shortest: Mapping[tuple[int, int], set[int]]) -> float:
    """Fraction of observations ``(i, d, f)`` whose next hop lies on a shortest path to ``d``."""
    if not decisions:
        raise ValueError("decisions: empty")
    ok = [j in shortest[(i, d)] for (i, d, _f), j in decisions.items()]
    return float(np.mean(ok))


def packet_accuracy(decisions: Mapping[tuple[int, int, int], int],
                    shortest: Mapping[tuple[int, int], set[int]]) -> float:
    """Fraction of (source, destination) pairs delivered along a shortest path whatever the
    detentions on the way: every decision reachable from ``(s, d, free)`` is a shortest hop."""
    pairs = sorted(shortest)
    if not pairs:
        raise ValueError("shortest: empty")
    good = 0
    for s, d in pairs:
        stack, seen, ok = [(s, 0)], set(), True
        while stack and ok:
            i, f = stack.pop()
            if (i, f) in seen:
                continue
            seen.add((i, f))
            j = decisions.get((i, d, f))
            if j is None or j not in shortest[(i, d)]:
                ok = False
            elif j != d:
                stack += [(j, 0), (j, 1)]
        good += ok
    return good / len(pairs)


def summarize(raw: dict) -> dict:
    """Per family: mean accuracies over seeds, the worst AIS gap and the oracle agreement."""
    acc, dec, oracle, gap, exact, runs = {}, {}, {}, {}, {}, {}
    for fam, rows in raw["runs"].items():
        acc[fam] = float(np.mean([r["packet_accuracy"] for r in rows]))
        dec[fam] = float(np.mean([r["decision_accuracy"] for r in rows]))
        oracle[fam] = float(np.mean([r["oracle_agreement"] for r in rows]))
        gap[fam] = float(max(r["gaps"]["ais_gap"] for r in rows))
        exact[fam] = float(max(r["gaps"]["ais_gap_exact"] for r in rows))
        runs[fam] = len(rows)
    return {"accuracy": acc, "decision_accuracy": dec, "oracle_agreement": oracle,
            "delta_ais_max": gap, "delta_exact_max": exact, "seeds": runs,
            "all_perfect": all(v == 1.0 for v in acc.values()),
            "gap_source": next(iter(raw["runs"].values()))[0]["gaps"]["source"]}


def tables(raw: dict, summary: dict) -> str:
    """Markdown: one row per family (means over seeds) and one per run."""
    fams = list(raw["runs"])
    head = ["family", "seeds", "packet accuracy", "decision accuracy", "agrees with Q* argmax",
            "max Δ_AIS", "max Δ_exact"]
    rows = [[f, summary["seeds"][f], summary["accuracy"][f], summary["decision_accuracy"][f],
             summary["oracle_agreement"][f], summary["delta_ais_max"][f],
             summary["delta_exact_max"][f]] for f in fams]
    per = [[f, r["seed"], r["nodes"], r["edges"], r["states"], r["packet_accuracy"],
            r["decision_accuracy"], r["gaps"]["epsilon"], r["gaps"]["delta_tv"],
            r["gaps"]["ais_gap"], r["seconds"]]
           for f in fams for r in raw["runs"][f]]
    return ("### Routing accuracy per graph family (mean over seeds)\n\n"
            + markdown_table(head, rows)
            + "\n\n### Every run\n\n"
            + markdown_table(["family", "seed", "nodes", "edges", "latent states",
                              "packet acc.", "decision acc.", "ε", "δ", "Δ_AIS", "train s"], per))
