"""Run T1: per seed, reduce the primitive family exactly at ρ = 1, relabel σ for each ρ, audit
the interface gap, train tabular IC-Q and evaluate its greedy policy exactly in the latent model.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from icq.experiments.common.gaps import GAP_KEYS, audit_numbers
from icq.experiments.common.policy import greedy_obs_policy, lift_policy
from icq.experiments.synthetic.family import synthetic_model, with_retention
from icq.reference.common.parallel import map_tasks
from icq.reference.exact.solve import evaluate, solve
from icq.reference.learners.tabular import TrainConfig, train_tabular


def run_seed(seed: int, s: dict) -> list[dict]:
    fam = s["family"]
    _, base = synthetic_model(rho=1.0, seed=seed, **fam)
    star = solve(base.latent)
    rows = []
    for rho in s["rhos"]:
        m = with_retention(base, rho, fam["d"])
        a = audit_numbers(m, handoffs=s["handoffs"])
        res = train_tabular(m, TrainConfig(handoffs=s["handoffs"], seed=seed, omega=s["omega"]))
        _, v_pi = evaluate(m.latent, lift_policy(m, greedy_obs_policy(m, res.q)))
        rows.append({
            "seed": seed, "rho": rho, "observations": m.n_obs,
            "value_icq": float(m.initial @ v_pi), "value_star": float(m.initial @ star.v),
            "v_icq": v_pi.tolist(),
            "gaps": {k: a[k] for k in GAP_KEYS},
            "kappa": a["kappa"], "omega": a["omega"], "a6_holds": a["a6_holds"],
            "gamma_bar": a["gamma_bar"], "tau_mix": a["tau_mix"],
            "policy_loss_exact": a["policy_loss_exact"],
            "train_seconds": res.seconds, "unvisited_pairs": int((res.visits == 0).sum()),
            "source": a["source"]})
    return rows


def run(settings: dict, *, progress_bar: bool = False, backend: str = "serial") -> dict:
    """All seeds, as independent tasks on ``backend`` (see :func:`map_tasks`)."""
    rows = []
    for seed_rows in map_tasks(partial(run_seed, s=settings), range(settings["seeds"]),
                               backend=backend, progress=progress_bar):
        rows += seed_rows
    for r in rows:  # the value gap relative to the ρ = 1 IC-Q policy of the same seed
        ref = next(x for x in rows if x["seed"] == r["seed"] and x["rho"] == 1.0)
        r["value_gap"] = ref["value_icq"] - r["value_icq"]
        r["value_gap_sup"] = float(np.max(np.asarray(ref["v_icq"]) - np.asarray(r["v_icq"])))
    for r in rows:
        del r["v_icq"]
    return {"rows": rows}
