"""The maximum-likelihood fit of an epoch model from trace lines (docs/traces.md, docs/theory.md
§1–§2): counting the ``(y, j, τ, y')`` cells, the fitted model's index sets (:class:`Structure`),
the model from (possibly weighted) counts (:func:`model_from_counts`), and the fit itself
(:func:`fit_lines`, :func:`fit_traces`) with what it saw (:class:`FitResult`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from icq.reference.learners.traces.format import (
    TRACE_FORMAT,
    Line,
    lines_from_dicts,
    read_traces,
)
from icq.reference.model import END, EpochModel, ModelError, from_arrays

__all__ = ["FIT_KEY", "MIN_COUNT", "FitResult", "Structure", "fit_lines", "fit_record",
           "fit_traces", "model_from_counts"]

#: the top-level key of a fitted model file that holds the fit's counts and flags
#: the owner key of the fit record inside the model file's ``extensions`` (docs/format.md)
FIT_KEY = "icq.fit"
#: pairs seen fewer than this many times are flagged (their law is a rough estimate)
MIN_COUNT = 10


# ---------------------------------------------------------------------------------------------
# Counting
# ---------------------------------------------------------------------------------------------


class CellCounter:
    """Sufficient statistics of a stream of lines (memory: distinct cells, not lines)."""

    def __init__(self, keep_lines: bool = False):
        self.states: dict[Any, int] = {}
        self.state_info: list[tuple[str, str]] = []  # (agent, obs) of each state
        self.cells: dict[tuple[int, str, int, int], int] = {}
        self.cell_n: list[int] = []
        self.cell_r: list[float] = []
        self.init: dict[int, int] = {}
        self.logged: dict[tuple[str, str, str], list[float]] = {}
        self.agents: dict[str, None] = {}
        self.lines = 0
        self.latent: bool | None = None
        self.keep = keep_lines
        self.ep_index: dict[Any, int] = {}
        self.line_ep: list[int] = []
        self.line_cell: list[int] = []
        self.line_r: list[float] = []
        self.ep_init: dict[int, int] = {}

    def _state(self, s: tuple[str, str, str | None], lineno: int) -> int:
        key = s[2] if s[2] is not None else (s[0], s[1])
        y = self.states.get(key)
        if y is None:
            y = self.states[key] = len(self.state_info)
            self.state_info.append((s[0], s[1]))
            self.agents.setdefault(s[0])
        elif self.state_info[y] != (s[0], s[1]):
            a, o = self.state_info[y]
            raise ModelError([f"line {lineno}: latent: label {s[2]!r} was seen with agent "
                              f"{a!r} and obs {o!r}, here with {s[0]!r} and {s[1]!r} (a latent "
                              "state has one agent and one observation)"])
        return y

    def add(self, ln: Line) -> None:
        self.lines += 1
        has = ln.state[2] is not None
        if self.latent is None:
            self.latent = has
        elif self.latent != has:
            raise ModelError([f"line {self.lines}: latent: given on some lines and not on "
                              "others (label every line or none)"])
        y = self._state(ln.state, self.lines)
        y2 = -1 if ln.next is None else self._state(ln.next, self.lines)
        if ln.successor != END:
            self.agents.setdefault(ln.successor)
        key = (y, ln.successor, ln.duration, y2)
        c = self.cells.get(key)
        if c is None:
            c = self.cells[key] = len(self.cell_n)
            self.cell_n.append(0)
            self.cell_r.append(0.0)
        self.cell_n[c] += 1
        self.cell_r[c] += ln.reward
        if ln.t == 0:
            self.init[y] = self.init.get(y, 0) + 1
        if ln.behavior_prob is not None:
            lk = (ln.state[0], ln.state[1], ln.successor)
            lo_hi = self.logged.get(lk)
            if lo_hi is None:
                self.logged[lk] = [ln.behavior_prob, ln.behavior_prob]
            else:
                lo_hi[0] = min(lo_hi[0], ln.behavior_prob)
                lo_hi[1] = max(lo_hi[1], ln.behavior_prob)
        if self.keep:
            e = self.ep_index.setdefault(ln.episode, len(self.ep_index))
            self.line_ep.append(e)
            self.line_cell.append(c)
            self.line_r.append(ln.reward)
            if ln.t == 0:
                self.ep_init[e] = y


@dataclass(frozen=True, eq=False)
class Structure:
    """The fitted model's index sets, fixed across bootstrap replicates.

    Cells ``c`` are the distinct ``(y, j, τ, y')`` seen; pooled cells ``(ô, j, τ, y')`` serve
    pairs that were never seen. Arrays are numpy, indices as in
    :func:`icq.reference.model.from_arrays`.
    """

    agents: tuple[str, ...]
    state_ids: tuple[str, ...]
    state_agent: np.ndarray
    state_obs: np.ndarray
    obs_agent: np.ndarray
    obs_labels: tuple[str, ...]
    obs_ptr: np.ndarray
    obs_succ: np.ndarray
    pair_ptr: np.ndarray  # latent pairs by state, in J(σ(y)) order
    pair_op: np.ndarray  # observation pair of each latent pair
    cell_pair: np.ndarray
    cell_dur: np.ndarray
    cell_next: np.ndarray
    cell_pool: np.ndarray  # pooled cell of each cell
    pool_op: np.ndarray
    pool_dur: np.ndarray
    pool_next: np.ndarray
    terminal_obs: np.ndarray  # observations made terminal (seen only as successors)

    @property
    def n_cells(self) -> int:
        return len(self.cell_pair)


def _structure(cn: CellCounter) -> Structure:
    agents = tuple(cn.agents)
    N = len(agents)
    succ_index = {**{a: i for i, a in enumerate(agents)}, END: N}
    n = len(cn.state_info)
    obs_key: dict[tuple[str, str], int] = {}
    state_obs = np.empty(n, dtype=np.int64)
    for y, ao in enumerate(cn.state_info):
        state_obs[y] = obs_key.setdefault(ao, len(obs_key))
    obs_list = list(obs_key)
    J: list[dict[int, None]] = [{} for _ in obs_list]
    keys = list(cn.cells)
    for (y, j, _, _) in keys:
        J[state_obs[y]].setdefault(succ_index[j])
    terminal = np.array([not js for js in J], dtype=bool)
    for o in np.flatnonzero(terminal):
        J[o][N] = None
    obs_ptr = np.zeros(len(obs_list) + 1, dtype=np.int64)
    obs_ptr[1:] = np.cumsum([len(js) for js in J])
    obs_succ = np.array([j for js in J for j in js], dtype=np.int64)
    pos = [{j: int(obs_ptr[o]) + m for m, j in enumerate(js)} for o, js in enumerate(J)]
    n_succ = np.diff(obs_ptr)[state_obs]
    pair_ptr = np.zeros(n + 1, dtype=np.int64)
    pair_ptr[1:] = np.cumsum(n_succ)
    pair_state = np.repeat(np.arange(n), n_succ)
    pair_op = obs_ptr[state_obs][pair_state] + np.arange(pair_ptr[-1]) - pair_ptr[:-1][pair_state]
    cell_pair = np.empty(len(keys), dtype=np.int64)
    cell_dur = np.empty(len(keys), dtype=np.int64)
    cell_next = np.empty(len(keys), dtype=np.int64)
    cell_pool = np.empty(len(keys), dtype=np.int64)
    pools: dict[tuple[int, int, int], int] = {}
    for c, (y, j, dur, y2) in enumerate(keys):
        op = pos[state_obs[y]][succ_index[j]]
        cell_pair[c] = pair_ptr[y] + op - obs_ptr[state_obs[y]]
        cell_dur[c], cell_next[c] = dur, y2
        cell_pool[c] = pools.setdefault((op, dur, y2), len(pools))
    pool = np.array(list(pools), dtype=np.int64).reshape(-1, 3)
    ids = []
    for key in cn.states:
        ids.append(key if isinstance(key, str) else f"{key[0]}/{key[1]}")
    if len(set(ids)) != len(ids):
        ids = [f"y{y}" for y in range(n)]
    return Structure(
        agents=agents, state_ids=tuple(ids),
        state_agent=np.array([succ_index[a] for a, _ in cn.state_info], dtype=np.int64),
        state_obs=state_obs, obs_agent=np.array([succ_index[a] for a, _ in obs_list],
                                                 dtype=np.int64),
        obs_labels=tuple(o for _, o in obs_list), obs_ptr=obs_ptr, obs_succ=obs_succ,
        pair_ptr=pair_ptr, pair_op=pair_op, cell_pair=cell_pair, cell_dur=cell_dur,
        cell_next=cell_next, cell_pool=cell_pool, pool_op=pool[:, 0], pool_dur=pool[:, 1],
        pool_next=pool[:, 2], terminal_obs=terminal)


def model_from_counts(st: Structure, gamma: float, cell_n: np.ndarray, cell_r: np.ndarray,
                      init: np.ndarray, *, name: str = "fitted",
                      fallback: EpochModel | None = None) -> tuple[EpochModel, np.ndarray]:
    """The maximum-likelihood epoch model from (possibly weighted) cell counts.

    Parameters
    ----------
    st : the index sets
    gamma : the primitive discount γ (not in the traces)
    cell_n, cell_r : (n_cells,) counts and reward sums of the cells ``(y, j, τ, y')``
    init : (n_states,) counts of episode-start states
    fallback : a model with the same structure whose law a pair takes when neither it nor its
        observation pair has a count (bootstrap replicates)

    Returns
    -------
    (model, how) : ``how[k]`` is 0 for a pair fitted from its own counts, 1 for a pair that
        borrows its observation pair's pooled law, 2 for a terminal-by-assumption pair, 3 for
        a pair that took ``fallback``'s law.
    """
    n_pairs = int(st.pair_ptr[-1])
    pair_n = np.bincount(st.cell_pair, cell_n, minlength=n_pairs)
    pool_n = np.bincount(st.cell_pool, cell_n, minlength=len(st.pool_op))
    pool_r = np.bincount(st.cell_pool, cell_r, minlength=len(st.pool_op))
    op_n = np.bincount(st.pool_op, pool_n, minlength=len(st.obs_succ))
    cells_of = np.argsort(st.cell_pair, kind="stable")
    cell_ptr = np.searchsorted(st.cell_pair[cells_of], np.arange(n_pairs + 1))
    pools_of = np.argsort(st.pool_op, kind="stable")
    pool_ptr = np.searchsorted(st.pool_op[pools_of], np.arange(len(st.obs_succ) + 1))
    pair_obs = st.state_obs[np.repeat(np.arange(len(st.state_obs)), np.diff(st.pair_ptr))]
    how = np.zeros(n_pairs, dtype=np.int64)
    probs: list[np.ndarray] = []
    durs: list[np.ndarray] = []
    rews: list[np.ndarray] = []
    nexts: list[np.ndarray] = []
    counts = np.zeros(n_pairs + 1, dtype=np.int64)
    for k in range(n_pairs):
        op = st.pair_op[k]
        if pair_n[k] > 0:
            c = cells_of[cell_ptr[k]:cell_ptr[k + 1]]
            c = c[cell_n[c] > 0]
            p, d, r, x = cell_n[c] / pair_n[k], st.cell_dur[c], cell_r[c] / cell_n[c], \
                st.cell_next[c]
        elif st.terminal_obs[pair_obs[k]]:
            how[k] = 2
            p, d, r, x = np.ones(1), np.ones(1, np.int64), np.zeros(1), -np.ones(1, np.int64)
        elif op_n[op] > 0:
            how[k] = 1
            c = pools_of[pool_ptr[op]:pool_ptr[op + 1]]
            c = c[pool_n[c] > 0]
            p, d, r, x = pool_n[c] / op_n[op], st.pool_dur[c], pool_r[c] / pool_n[c], \
                st.pool_next[c]
        elif fallback is not None:
            how[k] = 3
            sl = slice(fallback.out_ptr[k], fallback.out_ptr[k + 1])
            p, d, r, x = (fallback.out_prob[sl], fallback.out_dur[sl], fallback.out_rew[sl],
                          fallback.out_next[sl])
        else:
            y = int(np.searchsorted(st.pair_ptr, k, side="right") - 1)
            raise ModelError([f"transitions (state {st.state_ids[y]!r}): no data for a pair "
                              "and no fallback"])
        probs.append(p)
        durs.append(d)
        rews.append(r)
        nexts.append(x)
        counts[k + 1] = len(p)
    beh = np.zeros(len(st.obs_succ))
    n_obs = len(st.obs_labels)
    obs_tot = np.bincount(np.repeat(np.arange(n_obs), np.diff(st.obs_ptr)), op_n,
                          minlength=n_obs)
    for o in range(n_obs):
        sl = slice(st.obs_ptr[o], st.obs_ptr[o + 1])
        beh[sl] = op_n[sl] / obs_tot[o] if obs_tot[o] > 0 else 1.0 / (sl.stop - sl.start)
    model = from_arrays(
        gamma=gamma, agents=st.agents, state_agent=st.state_agent, state_obs=st.state_obs,
        obs_agent=st.obs_agent, obs_ptr=st.obs_ptr, obs_succ=st.obs_succ,
        out_ptr=np.cumsum(counts), out_prob=np.concatenate(probs),
        out_dur=np.concatenate(durs), out_rew=np.concatenate(rews),
        out_next=np.concatenate(nexts), initial=init / init.sum(), behavior=beh,
        state_ids=st.state_ids, obs_labels=st.obs_labels, name=name)
    return model, how


# ---------------------------------------------------------------------------------------------
# The fit
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class FitResult:
    """A fitted epoch model and what the fit saw.

    Attributes
    ----------
    model : the maximum-likelihood epoch model (see the module docstring)
    lines, episodes : lines read; episodes started (lines with ``t = 0``)
    latent : ``"labels"`` (latent labels given) or ``"observation"`` (σ = identity)
    pair_counts : (n_pairs,) lines seen per latent pair ``(y, j)``
    pair_how : (n_pairs,) 0 fitted, 1 pooled law of its observation pair, 2 terminal by assumption
    min_count : pairs with ``pair_counts < min_count`` are flagged
    logged_behavior : ``(agent, obs, successor) → (min, max)`` of the logged π_b, if any
    sha256 : of the trace file (None for in-memory lines)
    method : how it was computed
    """

    model: EpochModel
    lines: int
    episodes: int
    latent: str
    pair_counts: np.ndarray
    pair_how: np.ndarray
    min_count: int
    logged_behavior: dict[tuple[str, str, str], tuple[float, float]]
    sha256: str | None = None
    structure: Structure | None = field(default=None, repr=False)
    method: str = ("maximum likelihood: empirical law of (τ, y') per pair with the cell-mean "
                   "reward; empirical ν₀ and π_b (docs/traces.md)")

    @property
    def identifiable(self) -> bool:
        """Whether the logs can show an interface gap (only with latent labels)."""
        return self.latent == "labels"

    @property
    def flagged(self) -> np.ndarray:
        """Latent pair indices seen fewer than ``min_count`` times."""
        return np.flatnonzero(self.pair_counts < self.min_count)

    def notes(self) -> list[str]:
        """What a reader must know about this fit, one line each."""
        m = self.model
        out = []
        if not self.identifiable:
            out.append("no latent labels: the latent state is the observation itself, so the "
                       "interface gap is not identifiable from these logs (the Δ terms are 0 "
                       "by construction, not by evidence)")
        if len(self.flagged):
            out.append(f"{len(self.flagged)} of {m.n_pairs} pairs seen fewer than "
                       f"{self.min_count} times (flagged in extensions.{FIT_KEY}.flagged)")
        if (self.pair_how == 1).any():
            out.append(f"{int((self.pair_how == 1).sum())} pairs never seen borrow the pooled "
                       "law of their observation pair")
        if (self.pair_how == 2).any():
            out.append(f"{int((self.pair_how == 2).sum())} observations seen only as successors "
                       "were made terminal (END, τ = 1, R = 0): truncated logs?")
        off = [k for k, (lo, hi) in self.logged_behavior.items() if hi - lo > 1e-9]
        if off:
            out.append(f"{len(off)} logged behaviour probabilities vary across lines: the "
                       "behaviour policy was not fixed")
        return out

    def extension(self) -> dict[str, Any]:
        """The fit record, stored as ``extensions["icq.fit"]`` of the model (docs/traces.md)."""
        m = self.model
        counts: dict[str, dict[str, int]] = {}
        flagged = []
        reasons = {0: "seen fewer than min_count times", 1: "never seen: pooled law of its "
                   "observation pair", 2: "observation seen only as a successor: terminal by "
                   "assumption"}
        for k in range(m.n_pairs):
            sid = m.state_ids[m.pair_state[k]]
            j = m.successor_name(m.pair_succ[k])
            counts.setdefault(sid, {})[j] = int(self.pair_counts[k])
            if self.pair_counts[k] < self.min_count:
                flagged.append({"state": sid, "successor": j, "count": int(self.pair_counts[k]),
                                "reason": reasons[int(self.pair_how[k])]})
        index = m.obs_pair_index
        logged = [{"agent": a, "obs": o, "successor": j, "min": lo, "max": hi,
                   "fitted": float(m.behavior[index[a, o, j]]) if (a, o, j) in index else 0.0}
                  for (a, o, j), (lo, hi) in self.logged_behavior.items()]
        return {"format": TRACE_FORMAT, "lines": self.lines, "episodes": self.episodes,
                "sha256": self.sha256, "latent": self.latent,
                "interface_gap_identifiable": self.identifiable, "min_count": self.min_count,
                "counts": counts, "flagged": flagged, "logged_behavior": logged,
                "notes": self.notes(), "method": self.method}

    def to_dict(self) -> dict[str, Any]:
        """The fitted model as an ``icsmdp-epoch/1`` document, the fit record in its
        ``extensions`` (docs/format.md)."""
        doc = self.model.to_dict()
        doc["extensions"] = {**doc.get("extensions", {}), FIT_KEY: self.extension()}
        return doc


def fit_record(m: EpochModel) -> dict[str, Any] | None:
    """The fit record of a model written by ``icq fit`` (``extensions["icq.fit"]``), or None."""
    rec = (m.source.get("extensions") or {}).get(FIT_KEY)
    return rec if isinstance(rec, dict) else None


def finish_fit(cn: CellCounter, gamma: float, min_count: int, name: str, sha: str | None
            ) -> FitResult:
    if cn.lines == 0:
        raise ModelError(["traces: no lines"])
    if not cn.init:
        raise ModelError(["t: no line has t = 0, so the initial law ν₀ cannot be estimated"])
    st = _structure(cn)
    cell_n = np.asarray(cn.cell_n, dtype=float)
    init = np.bincount(np.fromiter(cn.init, np.int64), np.fromiter(cn.init.values(), float),
                       minlength=len(st.state_ids))
    model, how = model_from_counts(st, gamma, cell_n, np.asarray(cn.cell_r), init, name=name)
    pair_counts = np.bincount(st.cell_pair, cell_n, minlength=model.n_pairs).astype(np.int64)
    return FitResult(model=model, lines=cn.lines, episodes=int(sum(cn.init.values())),
                     latent="labels" if cn.latent else "observation", pair_counts=pair_counts,
                     pair_how=how, min_count=int(min_count),
                     logged_behavior={k: (v[0], v[1]) for k, v in cn.logged.items()},
                     sha256=sha, structure=st)


def check_gamma(gamma: float) -> None:
    if not isinstance(gamma, int | float) or not 0.0 < gamma < 1.0:
        raise ModelError([f"gamma: {gamma!r} is not a number in (0, 1) (the traces do not "
                          "carry γ; give it)"])


def fit_lines(lines: Iterable[Line | dict[str, Any]], gamma: float, *,
              min_count: int = MIN_COUNT, name: str = "fitted") -> FitResult:
    """Fit the maximum-likelihood epoch model from lines (dicts are validated first)."""
    check_gamma(gamma)
    return finish_fit(count_lines(as_lines(lines)), gamma, min_count, name, None)


def count_lines(lines: Iterable[Line], keep_lines: bool = False) -> CellCounter:
    """The counts of ``lines`` (with ``keep_lines``, one entry per line for the bootstrap)."""
    cn = CellCounter(keep_lines=keep_lines)
    for ln in lines:
        cn.add(ln)
    return cn


def as_lines(lines: Iterable[Line | dict[str, Any]]) -> Iterator[Line]:
    it = iter(lines)
    first = next(it, None)
    if first is None:
        return
    if isinstance(first, Line):
        yield first
        yield from it  # type: ignore[misc]
    else:
        yield from lines_from_dicts(_chain(first, it))  # type: ignore[arg-type]


def _chain(first: Any, rest: Iterator[Any]) -> Iterator[Any]:
    yield first
    yield from rest


def fit_traces(path: str | Path, gamma: float, *, min_count: int = MIN_COUNT,
               name: str | None = None) -> FitResult:
    """Fit the maximum-likelihood epoch model from a trace file, streaming (docs/traces.md).

    Raises
    ------
    ModelError
        One ``line N: field: message`` per problem (the file is read to the end or to
        :data:`MAX_PROBLEMS` problems).
    """
    check_gamma(gamma)
    if not isinstance(min_count, int) or min_count < 1:
        raise ModelError([f"min-count: {min_count!r} must be an integer >= 1"])
    cn = CellCounter()
    digest: list[str] = []
    for ln in read_traces(path, digest=digest):
        cn.add(ln)
    return finish_fit(cn, gamma, min_count, name or Path(path).stem, digest[0])
