"""Handoff traces: read, validate, simulate, and fit the maximum-likelihood epoch model.

A trace file (``icq-trace/1``, docs/traces.md) is JSON Lines, one handoff per line: the
sample ``(y_k, j_k, τ_k, R_k, y_{k+1})`` of docs/theory.md §4 as a logging process sees it::

    {"episode": "e1", "t": 0, "agent": "author", "obs": "start", "successor": "reviewer",
     "duration": 3, "reward": -0.3, "next_agent": "reviewer", "next_obs": "draft",
     "latent": "a_fresh", "next_latent": "r_good", "behavior_prob": 0.5}

The latent state ``y`` is the ``latent`` label where the logs give one, else the observation
``ô = (agent, obs)`` itself. In the second case σ is the identity, so the fitted model has no
interface gap *by construction*: the logs cannot identify it (docs/theory.md §3).

The fit (docs/theory.md §1–§2). The epoch model enters every quantity of the theory only through
``r̄(y,j)``, ``K(y'|y,j)`` (and ``E[γ^{2τ}·]`` for A6), ``ν₀`` and ``π_b``. The fitted model keeps,
for each pair ``(y, j)``, the empirical law of ``(τ, y')`` (the maximum-likelihood estimate of a
categorical law) with the mean reward of each ``(τ, y')`` cell as its reward, so that
``r̄``, ``K`` and ``K₂`` are exactly their empirical versions; ``ν₀`` is the empirical law of the
``t = 0`` states and ``π̂_b(j|ô) = n(ô,j)/n(ô)``. Admissible sets are the successors seen.
A pair ``(y, j)`` never seen although ``j`` is admissible at ``σ(y)`` borrows the pooled law of
its observation pair ``(σ(y), j)``; an observation seen only as a successor (truncated logs) is
made terminal (successor END, τ = 1, R = 0). Both are flagged, as is every pair seen fewer than
``min_count`` times (default :data:`MIN_COUNT`).

The fit streams: memory grows with the number of distinct ``(y, j, τ, y')`` cells, never with
the number of lines (:func:`fit_traces`). :class:`TraceData` additionally keeps one (episode,
cell) count per line for the episode bootstrap (:mod:`icq.bounds.bootstrap`).

The package: :mod:`~icq.reference.learners.traces.format` (the line rules, reading and writing),
:mod:`~icq.reference.learners.traces.fit` (counting and the fit),
:mod:`~icq.reference.learners.traces.data` (per-episode data for the bootstrap),
:mod:`~icq.reference.learners.traces.simulate` (traces of a known model) and
:mod:`~icq.reference.learners.traces.offline` (offline IC-Q); this module re-exports their
public names.

>>> from icq.reference.model import load, example_path
>>> truth = load(example_path("ring-exact"))
>>> fit = fit_lines(simulate_traces(truth, episodes=200, seed=1), gamma=truth.gamma)
>>> sorted(fit.model.state_ids) == sorted(truth.state_ids), fit.latent, fit.flagged.size
(True, 'labels', 0)
"""

from icq.reference.learners.traces.data import (
    TraceData,
    load_trace_data,
    trace_data_for_model,
    trace_data_from_lines,
)
from icq.reference.learners.traces.fit import (
    FIT_KEY,
    MIN_COUNT,
    FitResult,
    Structure,
    fit_lines,
    fit_record,
    fit_traces,
    model_from_counts,
)
from icq.reference.learners.traces.format import (
    MAX_PROBLEMS,
    TRACE_FORMAT,
    Line,
    check_line,
    lines_from_dicts,
    read_traces,
    schema,
    write_traces,
)
from icq.reference.learners.traces.offline import ReplayResult, offline_icq, replay_arrays
from icq.reference.learners.traces.simulate import simulate_traces

__all__ = ["FIT_KEY", "MAX_PROBLEMS", "MIN_COUNT", "TRACE_FORMAT", "FitResult", "Line",
           "ReplayResult", "Structure", "TraceData", "check_line", "fit_lines", "fit_record",
           "fit_traces", "lines_from_dicts", "load_trace_data", "model_from_counts",
           "offline_icq", "read_traces", "replay_arrays", "schema",
           "simulate_traces", "trace_data_for_model", "trace_data_from_lines",
           "write_traces"]
