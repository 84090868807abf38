"""Whole-episode trace data for the episode bootstrap (:mod:`icq.bounds.bootstrap`):
:class:`TraceData` keeps one (episode, cell, reward) entry per line, so that a resample of the
episodes refits the model from reweighted counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from icq.reference.learners.traces.fit import (
    FIT_KEY,
    MIN_COUNT,
    CellCounter,
    FitResult,
    as_lines,
    check_gamma,
    count_lines,
    finish_fit,
    fit_record,
    model_from_counts,
)
from icq.reference.learners.traces.format import Line, read_traces
from icq.reference.model import EpochModel, ModelError

__all__ = ["TraceData", "load_trace_data", "trace_data_for_model", "trace_data_from_lines"]


@dataclass(frozen=True, eq=False)
class TraceData:
    """Whole-episode data for the bootstrap: per episode, its cell counts and start state.

    Attributes
    ----------
    fit : the full-data fit
    counts, rewards : (episodes, n_cells) CSR counts and reward sums per episode
    start : (episodes,) start state (t = 0 line) of each episode, −1 if none was logged
    """

    fit: FitResult
    counts: sp.csr_matrix
    rewards: sp.csr_matrix
    start: np.ndarray

    @property
    def episodes(self) -> int:
        return self.counts.shape[0]

    def model(self, weights: np.ndarray) -> tuple[EpochModel, np.ndarray]:
        """The fitted model with episode ``e`` counted ``weights[e]`` times (a resample)."""
        st = self.fit.structure
        w = np.asarray(weights, dtype=float)
        ok = self.start >= 0
        init = np.bincount(self.start[ok], w[ok], minlength=len(st.state_ids))
        if not init.sum() > 0:
            init = self.fit.model.initial
        return model_from_counts(st, self.fit.model.gamma, self.counts.T @ w,
                                 self.rewards.T @ w, init, name=self.fit.model.name,
                                 fallback=self.fit.model)


def _trace_data(cn: CellCounter, fit: FitResult) -> TraceData:
    E, C = len(cn.ep_index), fit.structure.n_cells
    ep = np.asarray(cn.line_ep, dtype=np.int64)
    cell = np.asarray(cn.line_cell, dtype=np.int64)
    counts = sp.csr_matrix((np.ones(len(ep)), (ep, cell)), shape=(E, C))
    rewards = sp.csr_matrix((np.asarray(cn.line_r), (ep, cell)), shape=(E, C))
    start = np.full(E, -1, dtype=np.int64)
    for e, y in cn.ep_init.items():
        start[e] = y
    return TraceData(fit=fit, counts=counts, rewards=rewards, start=start)


def load_trace_data(path: str | Path, gamma: float, *, min_count: int = MIN_COUNT,
                    name: str | None = None) -> TraceData:
    """Read a trace file once, keeping one (episode, cell, reward) entry per line."""
    check_gamma(gamma)
    cn = CellCounter(keep_lines=True)
    digest: list[str] = []
    for ln in read_traces(path, digest=digest):
        cn.add(ln)
    return _trace_data(cn, finish_fit(cn, gamma, min_count, name or Path(path).stem, digest[0]))


def trace_data_for_model(path: str | Path, model: EpochModel) -> TraceData:
    """The episodes of ``path`` for resampling ``model``, a model written by ``icq fit``
    (docs/traces.md): read with the model's γ and the ``min_count`` of its fit record, and
    checked to be the file it was fitted from (the record's sha256).

    Raises
    ------
    ModelError
        The model has no fit record, or the file is not the one it was fitted from.
    """
    rec = fit_record(model)
    if rec is None:
        raise ModelError([f"extensions.{FIT_KEY}: the model has no fit record; a bootstrap "
                          "needs a model written by icq fit"])
    data = load_trace_data(path, model.gamma, min_count=int(rec.get("min_count", MIN_COUNT)),
                           name=model.name)
    if rec.get("sha256") not in (None, data.fit.sha256):
        raise ModelError([f"--traces: {path} is not the file the model was fitted from "
                          f"(extensions.{FIT_KEY}.sha256 differs)"])
    return data


def trace_data_from_lines(lines: Iterable[Line | dict[str, Any]], gamma: float, *,
                          min_count: int = MIN_COUNT, name: str = "fitted") -> TraceData:
    """:class:`TraceData` from lines (dicts are validated first), as from a file."""
    check_gamma(gamma)
    cn = count_lines(as_lines(lines), keep_lines=True)
    return _trace_data(cn, finish_fit(cn, gamma, min_count, name, None))
