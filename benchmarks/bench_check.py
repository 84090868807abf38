"""``icq check`` on a generated 200-state, 800-pair model, side by side with the two changes of
issue 16 undone (target: under 10 s with 5 examples on an idle 2-core machine).

A script, not a test::

    .venv/bin/python benchmarks/bench_check.py                  # 200 states, 5 examples
    .venv/bin/python benchmarks/bench_check.py --states 100 --examples 3 --no-compare

The model is ``icq.reference.model.generate.random_model(states, successors=4, seed=0)`` (4 agents,
one observation per state, 4 successors: 800 observation pairs at 200 states).
:func:`icq.property_tests.check.check_model` runs every property on it (``examples`` draws on
the model, then ``examples`` perturbations). The comparison run (``--no-compare`` skips it)
undoes, in the same process, (1) κ's top eigenpair from the smaller Gram matrix
(:func:`icq.bounds.features.top_gram_eigenpair` replaced by the full ``numpy.linalg.eigh`` of
``BᵀB``, and the closed-form κ of one-hot features, ``features._kappa_one_hot``, replaced by the
general computation), (2) the per-model caches (every draw of the A6 property recomputes κ, ω
and the coordinate-direction ratios; the Theorem 1 property prepares the setting once per encoding)
and (3) the thread limit (``icq check --threads 1``, through threadpoolctl): the comparison run
uses the BLAS library's default thread count. Both runs give the same verdicts (checked).
Seconds are wall time per property; read the ratio, the machine's load average is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from contextlib import contextmanager

import numpy as np
from threadpoolctl import threadpool_limits

import icq.bounds.features as features
import icq.property_tests.check as check
import icq.property_tests.properties.a6 as a6_props
import icq.property_tests.properties.theorem1 as theorem1_props
from icq.reference.model.generate import random_model


def _full_eigh(B: np.ndarray) -> tuple[float, np.ndarray]:
    """The pre-change computation: the full ``eigh`` of ``BᵀB``."""
    ev, vec = np.linalg.eigh(B.T @ B)
    if not len(ev):
        return 0.0, np.zeros(0)
    return float(ev[-1]), vec[:, -1]


@contextmanager
def undone():
    """Undo the Gram-matrix eigenpair and the per-model cache for the comparison run."""
    saved = (features.top_gram_eigenpair, a6_props.per_model, theorem1_props.per_model,
             features._kappa_one_hot)
    features.top_gram_eigenpair = _full_eigh
    # the properties that cache call per_model through their own module's name
    a6_props.per_model = theorem1_props.per_model = lambda model, key, compute: compute()
    features._kappa_one_hot = lambda *a: None  # the general κ for one-hot features too
    try:
        yield
    finally:
        (features.top_gram_eigenpair, a6_props.per_model, theorem1_props.per_model,
         features._kappa_one_hot) = saved


def run(model, examples: int) -> tuple[float, dict]:
    t = time.perf_counter()
    rep = check.check_model(model, examples=examples)
    return time.perf_counter() - t, rep.properties


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--states", type=int, default=200)
    p.add_argument("--examples", type=int, default=5)
    p.add_argument("--no-compare", action="store_true", help="skip the run with changes undone")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    m = random_model(args.states, successors=4, seed=0)
    check.check_model(m, examples=1, properties=("bellman_contraction",))  # warm-up: numba, imports
    with threadpool_limits(limits=1):
        now, rep = run(m, args.examples)
    out = {"states": m.n_states, "obs_pairs": m.n_obs_pairs, "examples": args.examples,
           "seconds": now, "per_property": {k: v.seconds for k, v in rep.items()},
           "load_average": os.getloadavg()}
    if not args.no_compare:
        with undone():
            before, rep0 = run(m, args.examples)
        assert {k: v.holds for k, v in rep.items()} == {k: v.holds for k, v in rep0.items()}
        out |= {"seconds_undone": before,
                "per_property_undone": {k: v.seconds for k, v in rep0.items()}}
    if args.json:
        print(json.dumps(out))
        return
    print(f"icq check, {m.n_states} states, {m.n_obs_pairs} observation pairs, "
          f"{args.examples} examples; load average "
          f"{', '.join(f'{x:.2f}' for x in out['load_average'])}")
    for k, sec in out["per_property"].items():
        extra = ("" if args.no_compare else
                 f"   undone {out['per_property_undone'][k]:7.2f} s")
        print(f"  {k:28s} {sec:7.2f} s{extra}")
    extra = "" if args.no_compare else (f"   undone {before:7.2f} s   "
                                         f"({before / now:.1f}× slower)")
    print(f"  {'total':28s} {now:7.2f} s{extra}")


if __name__ == "__main__":
    main()
