"""Run T2's three scans on the synthetic family (see :mod:`.settings`)."""

from __future__ import annotations

import numpy as np

from icq.bounds import audit, theorem1
from icq.experiments.common.gaps import audit_numbers
from icq.experiments.common.io import progress
from icq.experiments.synthetic.family import synthetic_model, with_retention
from icq.experiments.t2.analysis import mu_sq_error
from icq.experiments.t2.learner import projected_icq
from icq.reference.common.parallel import map_tasks
from icq.reference.exact.chain import pair_weights, stationary
from icq.reference.exact.induced import ais_model
from icq.reference.exact.solve import solve
from icq.reference.learners.tabular import TrainConfig, train_tabular


def _pair_weight(m) -> np.ndarray:
    return pair_weights(m, stationary(m).mu)


def scan_handoffs(m, s: dict, bar: bool) -> dict:
    grid = [int(t) for t in s["handoffs_grid"]]
    a = audit(m, handoffs=max(grid))
    fa = a.features
    kap, om, radius = fa.kappa.upper, fa.omega.value, fa.fixed_point.norm_bound
    envelope = []
    for T in grid:
        th = theorem1(T, kappa=kap, omega=om, eps_approx=fa.approximation.value,
                      C_F=fa.C_F.value, gaps=a.gaps(), R_bar=m.R_bar, R_theta=radius,
                      tau=a.mixing.tau, applicable=a.theorem.applicable,
                      reason=a.theorem.reason)
        envelope.append({"T": T, "bound": th.bound, "residual": th.terms["mixing_residual"],
                         "ais": th.terms["ais"], "tau_mix_alpha_T": th.tau_mix_alpha_T})
    q_star = solve(m.latent).q
    w = _pair_weight(m)
    runs = []
    jobs = [(T, seed) for T in grid for seed in range(s["seeds"])]
    for T, seed in progress(jobs, enabled=bar, desc="t2 (a) handoffs"):
        last, avg = projected_icq(m, T, kappa=kap, omega=om, radius=radius, seed=seed)
        runs.append({"learner": "theorem", "T": T, "seed": seed,
                     "error": mu_sq_error(last, q_star, w, m.pair_obs_pair)})
        runs.append({"learner": "theorem_averaged", "T": T, "seed": seed,
                     "error": mu_sq_error(avg, q_star, w, m.pair_obs_pair)})
        res = train_tabular(m, TrainConfig(handoffs=T, seed=seed, omega=s["omega"]))
        runs.append({"learner": "tabular", "T": T, "seed": seed,
                     "error": mu_sq_error(res.q, q_star, w, m.pair_obs_pair)})
    return {"runs": runs, "envelope": envelope,
            "constants": {"kappa": kap, "omega": om, "R_theta": radius, "R_bar": m.R_bar,
                          "gamma_bar": m.gamma_bar, "applicable": a.theorem.applicable,
                          "reason": a.theorem.reason, "imported": a.theorem.imported,
                          "bound_method": a.theorem.method}}


def scan_p(s: dict, bar: bool) -> dict:
    T = int(s["handoffs_p"])
    models, runs = {}, []
    for p in progress(s["ps"], enabled=bar, desc="t2 (b) handoff probability"):
        fam = {**s["family"], "p": p}
        _, m = synthetic_model(rho=1.0, seed=s["model_seed"], **fam)
        a = audit_numbers(m, handoffs=T)
        models[str(p)] = {k: a[k] for k in ("tau_mix", "tau_mix_alpha_T", "gamma_bar", "kappa",
                                            "a6_holds", "omega")}
        q_star = solve(m.latent).q
        w = _pair_weight(m)
        scale = float(w @ (q_star * q_star))
        models[str(p)]["q_star_sq"] = scale
        for seed in range(s["seeds"]):
            res = train_tabular(m, TrainConfig(handoffs=T, seed=seed, omega=s["omega"]))
            err = mu_sq_error(res.q, q_star, w, m.pair_obs_pair)
            runs.append({"p": p, "seed": seed, "error": err, "relative_error": err / scale})
    return {"runs": runs, "models": models, "T": T}


def scan_rho(base, s: dict, bar: bool) -> dict:
    T = int(s["handoffs_rho"])
    q_star = solve(base.latent).q
    models, runs = {}, []
    for rho in progress(s["rhos"], enabled=bar, desc="t2 (c) retention"):
        m = with_retention(base, rho, s["family"]["d"])
        w = _pair_weight(m)
        a = audit_numbers(m, handoffs=T)
        q_hat = solve(ais_model(m).smdp).q
        models[str(rho)] = {"ais_gap": a["ais_gap"], "ais_gap_exact": a["ais_gap_exact"],
                            "ais_gap_statewise": a["ais_gap_statewise"],
                            "floor_sq": mu_sq_error(q_hat, q_star, w, m.pair_obs_pair)}
        for seed in range(s["seeds"]):
            res = train_tabular(m, TrainConfig(handoffs=T, seed=seed, omega=s["omega"]))
            runs.append({"rho": rho, "seed": seed,
                         "error": mu_sq_error(res.q, q_star, w, m.pair_obs_pair)})
    return {"runs": runs, "models": models, "T": T}


def _scan(job: tuple) -> dict:
    part, settings, bar = job
    if part == "b":
        return scan_p(settings, bar)
    _, base = synthetic_model(rho=1.0, seed=settings["model_seed"], **settings["family"])
    return (scan_handoffs if part == "a" else scan_rho)(base, settings, bar)


def run(settings: dict, *, progress_bar: bool = False, backend: str = "serial") -> dict:
    """The three scans, as independent tasks on ``backend`` (see :func:`map_tasks`);
    progress bars only when serial."""
    jobs = [(part, settings, progress_bar and backend == "serial") for part in "abc"]
    return dict(zip("abc", map_tasks(_scan, jobs, backend=backend), strict=True))
