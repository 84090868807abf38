"""Settings of T2 (data only): three scans, one per term of Theorem 1.

(a) error against handoffs T at ρ = 1 (exact interface): the mixing residual;
(b) error against the handoff probability p at fixed T, with τ_mix: mixing and durations;
(c) error against ρ at large T: the floor set by the interface gap.
"""

from icq.experiments.t1.settings import FAMILY

COMMON = {
    "family": FAMILY,
    "model_seed": 0,       # the family instance (the seeds below vary the learner's stream)
    "omega": 0.7,          # step exponent of the library's tabular IC-Q
    "ps": [0.1, 0.2, 0.3, 0.5, 0.7, 0.9],
    "rhos": [0.2, 0.4, 0.6, 0.8, 1.0],
}

QUICK = {**COMMON, "seeds": 3,
         "handoffs_grid": [1_000, 3_000, 10_000, 30_000, 100_000, 300_000, 1_000_000],
         "handoffs_p": 100_000, "handoffs_rho": 1_000_000}
FULL = {**COMMON, "seeds": 10,
        "handoffs_grid": [1_000, 3_000, 10_000, 30_000, 100_000, 300_000, 1_000_000,
                          3_000_000, 10_000_000],
        "handoffs_p": 1_000_000, "handoffs_rho": 20_000_000}
