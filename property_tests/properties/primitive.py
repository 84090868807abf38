"""The primitive → epoch reduction against Monte Carlo simulation of the primitive model
(docs/theory.md §1).
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np

from icq.property_tests.properties.common import Checked, fail
from icq.reference.model.primitive import reduce_to_epoch, simulate

__all__ = ["primitive_reduction"]


def primitive_reduction(pm: Any, *, invocations: int = 4000, seed: int = 0, z: float = 5.0,
                        t_max_shift: int = 0) -> Checked:
    """The exact reduction :func:`~icq.reference.model.primitive.reduce_to_epoch` against Monte
    Carlo simulation of the primitive model (docs/theory.md §1).

    Along ``invocations`` simulated invocations ``(y_k, j_k, τ_k, R_k, y'_k)`` of the behaviour
    chain (:func:`~icq.reference.model.primitive.simulate`), the differences ``R_k − r̄(y_k,j_k)``,
    ``γ^{τ_k} − E[γ^τ | y_k,j_k]``, ``τ_k − E[τ | y_k,j_k]`` and
    ``1{y'_k = end} − P(end | y_k,j_k)`` are martingale differences under the exact law; each
    mean must be within ``z`` standard errors (computed from the sample) of 0. Every simulated
    state must be a state of the reduction.

    ``t_max_shift=1`` is a NEGATIVE CONTROL: the reduction of the model with ``T_max + 1``
    (forced termination one step too late), compared with simulations of the model itself.
    """
    name = "primitive_reduction"
    em = reduce_to_epoch(pm if not t_max_shift else replace(pm, T_max=pm.T_max + t_max_shift))
    sim = simulate(pm, invocations, seed)
    index = {sid: y for y, sid in enumerate(em.state_ids)}
    ys = []
    for row in sim.state:
        sid = pm.state_id(row)
        if sid not in index:
            raise fail(name, f"simulated epoch state {sid!r} is not a state of the reduction")
        ys.append(index[sid])
    ys = np.array(ys)
    # latent pair of each sample: position of j in J(σ(y))
    pair = np.empty(len(ys), dtype=np.int64)
    for k, (y, j) in enumerate(zip(ys, sim.successor, strict=True)):
        lo, hi = em.pair_ptr[y], em.pair_ptr[y + 1]
        pos = np.flatnonzero(em.pair_succ[lo:hi] == j)
        if len(pos) != 1:
            raise fail(name, f"successor {j} is not admissible at {em.state_ids[y]!r}")
        pair[k] = lo + pos[0]
    per_outcome = {"R": em.out_rew, "γ^τ": em.out_discount,
                   "τ": em.out_dur.astype(float), "end": (em.out_next < 0).astype(float)}
    seen = {"R": sim.reward, "γ^τ": em.gamma ** sim.duration.astype(float),
            "τ": sim.duration.astype(float), "end": (sim.next[:, 0] < 0).astype(float)}
    worst = 0.0
    for what, f in per_outcome.items():
        ex = np.bincount(em.out_pair, em.out_prob * f, minlength=em.n_pairs)
        # the exact conditional variance given (y, j) (for R, its part between outcomes, a
        # lower bound): it keeps the standard error honest when rare outcomes go unsampled
        var = np.bincount(em.out_pair, em.out_prob * f * f, minlength=em.n_pairs) - ex**2
        d = seen[what] - ex[pair]
        mean = float(d.mean())
        v = max(float(d.var(ddof=1)) if len(d) > 1 else 0.0, float(np.maximum(var, 0)[pair].mean()))
        se = math.sqrt(v / len(d))
        tol = z * se + 1e-9 * (1.0 + float(np.abs(ex).max(initial=0.0)))
        if abs(mean) > tol:
            raise fail(name, f"E[{what}] of the simulated invocations differs from the exact "
                        f"reduction by {mean:.4g} (> {z:g}·se = {tol:.3g}, {len(d)} invocations"
                        + (f"; reduction with T_max + {t_max_shift}" if t_max_shift else "")
                        + ")")
        worst = max(worst, abs(mean) / tol if tol > 0 else 0.0)
    return Checked(name, worst, 1.0, f"{invocations} simulated invocations, seed {seed}")
