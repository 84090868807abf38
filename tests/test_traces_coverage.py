"""End to end with known truth: simulate traces from a bundled model, fit, bootstrap.

Guarantees tested (docs/traces.md):

- coverage: nominal 90% basic bootstrap intervals on κ and on every entry of Q̂*_μ hold the true
  value in 85–95% of 100 simulated data sets. The truth is the bundled author-reviewer-editor
  example with behaviour 0.7/0.3 on its two-successor observations: there κ and Q̂*_μ are
  smooth functions of the counts (A6's maximum ratio M(ô')/w(ô',b) is attained at one pair, not
  at a tie), the condition under which bootstrap intervals are consistent. (Under uniform
  behaviour κ² involves min_b π̂(b|ô'), which has a kink at the truth; the bootstrap is not
  consistent there, docs/traces.md.)
- consistency: the fitted Q̂*_μ converges to the truth's at the rate n^{-1/2} of a smooth
  function of the maximum-likelihood estimate (delta method): 16 times the episodes divide the
  mean error by 4, checked within a factor 2 (between 2 and 8).
"""

from __future__ import annotations

import numpy as np

from icq.bounds.bootstrap import coverage, measure
from icq.reference.common.parallel import map_tasks
from icq.reference.learners.traces import fit_lines, simulate_traces
from icq.reference.model import example_path, load, replace_arrays

TRUTH = "author-reviewer-editor"


def _truth():
    """The bundled example with π_b = (0.7, 0.3) on every two-successor observation."""
    m = load(example_path(TRUTH))
    beh = np.array(m.behavior)
    for o in range(m.n_obs):
        a, b = m.obs_ptr[o], m.obs_ptr[o + 1]
        if b - a == 2:
            beh[a:b] = [0.7, 0.3]
    return replace_arrays(m, behavior=beh)


def test_bootstrap_intervals_cover_the_truth_at_the_nominal_rate():
    truth = _truth()
    c = coverage(truth, episodes=150, datasets=100, replicates=40, level=0.9,
                 backend="local", workers=2)
    assert c.trials["kappa"] == 100
    assert 0.85 <= c.rate("kappa") <= 0.95, c.hits
    assert 0.85 <= c.rate("q_hat") <= 0.95, c.hits


def _error(task):
    episodes, seed = task
    truth = _truth()
    fit = fit_lines(simulate_traces(truth, episodes, seed=seed), truth.gamma)
    tn = truth.obs_pair_index
    idx = np.array([tn[k] for k in fit.model.obs_pair_index])
    q_true = measure(truth, ("q_hat",))["q_hat"][idx]
    return float(np.abs(measure(fit.model, ("q_hat",))["q_hat"] - q_true).max())


def test_fitted_q_hat_converges_at_the_root_n_rate():
    sizes, sets = (40, 640), 12
    errs = map_tasks(_error, [(n, 100 + s) for n in sizes for s in range(sets)],
                     backend="serial")
    small, large = np.mean(errs[:sets]), np.mean(errs[sets:])
    assert 2.0 <= small / large <= 8.0, (small, large)
