"""End to end with known truth: simulate traces from a bundled model, fit, bootstrap.

Guarantees tested (docs/traces.md):

- coverage: nominal 90% basic bootstrap intervals on κ and on every entry of Q̂*_μ hold the true
  value in 85–95% of 100 simulated data sets. κ and Q̂*_μ are smooth functions of the counts at
  the truth (A6's maximum is attained by the ratios of one observation, whose behaviour
  frequencies are resampled together), so the interval's coverage tends to 90%; with 100 data
  sets the count of hits is Binomial(100, ≈0.9), inside 85–95 with probability ≈ 0.9.
- consistency: the fitted Q̂*_μ converges to the truth's at the rate n^{-1/2} of a smooth
  function of the maximum-likelihood estimate (delta method): 16 times the episodes divide the
  mean error by 4, checked within a factor 2 (between 2 and 8).
"""

from __future__ import annotations

import numpy as np
from icq.bounds.bootstrap import coverage, measure
from icq.reference.model import example_path, load
from icq.reference.parallel import map_tasks
from icq.reference.traces import fit_lines, obs_pair_names, simulate_traces

TRUTH = "author-reviewer-editor"


def test_bootstrap_intervals_cover_the_truth_at_the_nominal_rate():
    truth = load(example_path(TRUTH))
    c = coverage(truth, episodes=150, datasets=100, replicates=40, level=0.9,
                 backend="local", workers=2)
    assert c.trials["kappa"] == 100
    assert 0.85 <= c.rate("kappa") <= 0.95, c.hits
    assert 0.85 <= c.rate("q_hat") <= 0.95, c.hits


def _error(task):
    episodes, seed = task
    truth = load(example_path(TRUTH))
    fit = fit_lines(simulate_traces(truth, episodes, seed=seed), truth.gamma)
    tn = obs_pair_names(truth)
    idx = np.array([tn[k] for k in obs_pair_names(fit.model)])
    q_true = measure(truth, ("q_hat",))["q_hat"][idx]
    return float(np.abs(measure(fit.model, ("q_hat",))["q_hat"] - q_true).max())


def test_fitted_q_hat_converges_at_the_root_n_rate():
    sizes, sets = (40, 640), 12
    errs = map_tasks(_error, [(n, 100 + s) for n in sizes for s in range(sets)],
                     backend="serial")
    small, large = np.mean(errs[:sets]), np.mean(errs[sets:])
    assert 2.0 <= small / large <= 8.0, (small, large)
