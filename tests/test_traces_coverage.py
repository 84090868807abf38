"""End to end with known truth: simulate traces from a bundled model, fit, bootstrap.

Guarantees tested (docs/traces.md):

- coverage: nominal 90% basic bootstrap intervals on κ and on each entry of Q̂*_μ hold the true
  value at a rate consistent with 90%: over D independent simulated data sets the hits of one
  quantity are Bin(D, p), and p = 0.9 must not be rejected by the exact two-sided binomial test
  at level 10⁻³ (Bonferroni over the quantities). No window is tuned: the acceptance region is
  the binomial law's. The truth is the bundled author-reviewer-editor example with behaviour
  0.7/0.3 on its two-successor observations: there κ and Q̂*_μ are smooth functions of the
  counts (A6's maximum ratio M(ô')/w(ô',b) is attained at one pair, not at a tie), the
  condition under which bootstrap intervals are consistent. (Under uniform behaviour κ²
  involves min_b π̂(b|ô'), which has a kink at the truth; the bootstrap is not consistent
  there, docs/traces.md.) Negative control: the same intervals judged against a truth moved by
  one median interval width are rejected.
- consistency: the fitted Q̂*_μ converges to the truth's at the rate n^{-1/2} of a smooth
  function of the maximum-likelihood estimate (delta method): 16 times the episodes divide the
  mean error by 4, checked within a factor 2 (between 2 and 8)."""

from __future__ import annotations

import numpy as np
from scipy.stats import binomtest

from icq.bounds.bootstrap import bootstrap, measure
from icq.reference.common.parallel import map_tasks
from icq.reference.learners.traces import fit_lines, simulate_traces, trace_data_from_lines
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


#: data sets, replicates per bootstrap, episodes per data set, test level
DATASETS, REPLICATES, EPISODES, ALPHA = 40, 40, 150, 1e-3


def _intervals(seed):
    """One simulated data set's 90% intervals on κ and on every entry of Q̂*_μ, as
    (lower, upper) arrays over the truth's quantities [κ, Q̂*_μ by the truth's pair index]."""
    truth = _truth()
    data = trace_data_from_lines(simulate_traces(truth, EPISODES, seed=seed), truth.gamma)
    res = bootstrap(data, replicates=REPLICATES, quantities=("kappa", "q_hat"), level=0.9,
                    seed=seed, backend="serial")
    pos = np.array([truth.obs_pair_index[k] for k in data.fit.model.obs_pair_index])
    lo, hi = np.full(1 + truth.n_obs_pairs, np.nan), np.full(1 + truth.n_obs_pairs, np.nan)
    lo[0], hi[0] = res.intervals["kappa"].lower, res.intervals["kappa"].upper
    lo[1 + pos], hi[1 + pos] = res.intervals["q_hat"].lower, res.intervals["q_hat"].upper
    return lo, hi


def consistent_with(hits: np.ndarray, trials: int, p: float, alpha: float) -> np.ndarray:
    """Per quantity: p is not rejected by the exact two-sided binomial test at ``alpha``."""
    return np.array([binomtest(int(h), trials, p).pvalue >= alpha for h in hits])


def test_bootstrap_intervals_cover_the_truth_at_the_nominal_rate():
    truth = _truth()
    m = measure(truth, ("kappa", "q_hat"))
    true = np.concatenate([[m["kappa"]], m["q_hat"]])
    bounds = map_tasks(_intervals, range(DATASETS), backend="local", workers=2)
    lo, hi = (np.array([b[i] for b in bounds]) for i in (0, 1))  # (DATASETS, quantities)
    assert not np.isnan(lo).any()  # every pair seen in every data set
    tol = 1e-9 * (1.0 + np.abs(true))
    hits = ((lo - tol <= true) & (true <= hi + tol)).sum(axis=0)
    level = ALPHA / len(true)  # Bonferroni over κ and the Q̂*_μ entries
    assert consistent_with(hits, DATASETS, 0.9, level).all(), hits
    # negative control: the truth moved by one median width is not covered at 90%
    live = np.median(hi - lo, axis=0) > 0  # entries with a degenerate interval cannot move
    moved = true + np.median(hi - lo, axis=0)
    missed = ((lo - tol <= moved) & (moved <= hi + tol)).sum(axis=0)
    assert live.sum() >= 3 and not consistent_with(missed[live], DATASETS, 0.9, level).any()


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
