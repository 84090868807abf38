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

>>> from icq.reference.model import load, example_path
>>> truth = load(example_path("ring-exact"))
>>> fit = fit_lines(simulate_traces(truth, episodes=200, seed=1), gamma=truth.gamma)
>>> sorted(fit.model.state_ids) == sorted(truth.state_ids), fit.latent, fit.flagged.size
(True, 'labels', 0)
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import scipy.sparse as sp

from icq.reference.common.rng import Xoshiro
from icq.reference.learners.runtime import World
from icq.reference.model import END, EpochModel, ModelError, from_arrays

__all__ = ["FIT_KEY", "MIN_COUNT", "TRACE_FORMAT", "FitResult", "TraceData", "check_line",
           "fit_lines", "fit_record", "fit_traces", "load_trace_data", "model_from_counts",
           "obs_pair_names",
           "offline_icq", "read_traces", "schema", "simulate_traces", "trace_data_from_lines",
           "write_traces"]

TRACE_FORMAT = "icq-trace/1"
#: the top-level key of a fitted model file that holds the fit's counts and flags
#: the owner key of the fit record inside the model file's ``extensions`` (docs/format.md)
FIT_KEY = "icq.fit"
#: pairs seen fewer than this many times are flagged (their law is a rough estimate)
MIN_COUNT = 10
#: at most this many problems are listed before reading stops
MAX_PROBLEMS = 20

_REQUIRED = ("episode", "t", "agent", "obs", "successor", "duration", "reward", "next_agent",
             "next_obs")
_OPTIONAL = ("latent", "next_latent", "behavior_prob")
_REQ = frozenset(_REQUIRED)
_KNOWN = frozenset(_REQUIRED + _OPTIONAL)


def schema() -> dict[str, Any]:
    """The JSON Schema of one trace line (package data ``icq/schema/icq-trace-1.schema.json``)."""
    path = resources.files("icq").joinpath("schema", "icq-trace-1.schema.json")
    return json.loads(path.read_text(encoding="utf-8"))


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _is_name(v: Any) -> bool:
    return type(v) is str and v != ""


def check_line(d: Any) -> tuple[str, str] | None:  # noqa: C901 - one rule per field
    """The first rule of docs/traces.md that the decoded line ``d`` breaks, as
    ``(field, message)``, or None. Agrees with :func:`schema` on the per-field rules and adds
    the rules that relate fields (END, the successor's name, latent labels)."""
    if not isinstance(d, dict):
        return "line", "expected a JSON object"
    keys = d.keys()
    if not _REQ <= keys:
        return next(k for k in _REQUIRED if k not in d), "required field is missing"
    extra = keys - _KNOWN
    for k in sorted(extra):
        if not k.startswith("x-"):
            return k, "unknown field (extensions must start with 'x-')"
    ep = d["episode"]
    if not (_is_name(ep) or _is_int(ep)):
        return "episode", f"{ep!r} is not a non-empty string or an integer"
    if not _is_int(d["t"]) or d["t"] < 0:
        return "t", f"{d['t']!r} is not an integer >= 0"
    for k in ("agent", "obs"):
        if not _is_name(d[k]):
            return k, f"{d[k]!r} is not a non-empty string"
    if d["agent"] == END:
        return "agent", "'END' is reserved for the end of the workflow"
    if not _is_name(d["successor"]):
        return "successor", f"{d['successor']!r} is not a non-empty string"
    dur = d["duration"]
    if not _is_int(dur) or dur < 1:
        return "duration", f"{dur!r} is not an integer >= 1"
    r = d["reward"]
    if not _is_num(r) or not math.isfinite(r):
        return "reward", f"{r!r} is not a finite number"
    na, no = d["next_agent"], d["next_obs"]
    if na is not None and not _is_name(na):
        return "next_agent", f"{na!r} is not a non-empty string or null"
    if no is not None and not _is_name(no):
        return "next_obs", f"{no!r} is not a non-empty string or null"
    if "latent" in d and not _is_name(d["latent"]):
        return "latent", f"{d['latent']!r} is not a non-empty string"
    if "next_latent" in d and d["next_latent"] is not None and not _is_name(d["next_latent"]):
        return "next_latent", f"{d['next_latent']!r} is not a non-empty string or null"
    if "behavior_prob" in d:
        p = d["behavior_prob"]
        if not _is_num(p) or not 0.0 < p <= 1.0:
            return "behavior_prob", f"{p!r} is not a number in (0, 1]"
    # rules that relate fields
    if d["successor"] == d["agent"]:
        return "successor", "equals the acting agent (not allowed)"
    if (na is None) != (no is None):
        return ("next_obs" if na is None else "next_agent"), \
            "next_agent and next_obs are both null (the episode ended) or both given"
    if d["successor"] == END and na is not None:
        return "next_agent", "must be null when the successor is END"
    if na is not None and na != d["successor"]:
        return "next_agent", f"{na!r} differs from the successor {d['successor']!r}"
    if "latent" in d and na is not None and d.get("next_latent") is None:
        return "next_latent", "required (non-null) with 'latent' unless the episode ended"
    if d.get("next_latent") is not None and na is None:
        return "next_latent", "must be null when the episode ended"
    if "next_latent" in d and "latent" not in d:
        return "next_latent", "given without 'latent'"
    return None


class Line(NamedTuple):
    """One validated handoff: ``(episode, t, (agent, obs, latent), successor, τ, R, next)``;
    ``next`` is None at an episode end, else ``(agent, obs, latent)``; ``latent`` is None when
    the line has none."""

    episode: Any
    t: int
    state: tuple[str, str, str | None]
    successor: str
    duration: int
    reward: float
    next: tuple[str, str, str | None] | None
    behavior_prob: float | None


def _to_line(d: dict[str, Any]) -> Line:
    nxt = None if d["next_agent"] is None else (d["next_agent"], d["next_obs"],
                                                d.get("next_latent"))
    return Line(d["episode"], d["t"], (d["agent"], d["obs"], d.get("latent")), d["successor"],
                d["duration"], float(d["reward"]), nxt, d.get("behavior_prob"))


def _schema_message(d: Any) -> tuple[str, str] | None:
    """The JSON Schema's own message for ``d`` (only on lines that already failed)."""
    import jsonschema

    err = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(schema()).iter_errors(d))
    if err is None:
        return None
    return (".".join(str(p) for p in err.absolute_path) or "line"), err.message


def read_traces(path: str | Path, *, digest: list | None = None) -> Iterator[Line]:
    """Stream the validated lines of a trace file (blank lines skipped).

    Problems are collected (up to :data:`MAX_PROBLEMS`) and raised together at the end as a
    :class:`~icq.reference.model.ModelError`, one ``line N: field: message`` each. With
    ``digest`` (a list), the file's SHA-256 is appended to it once the file is read.
    """
    path = Path(path)
    problems: list[str] = []
    h = hashlib.sha256()
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise ModelError([f"{path}: cannot read file: {exc.strerror or exc}"]) from None
    with fh:
        for lineno, raw in enumerate(fh, 1):
            h.update(raw)
            if not raw.strip():
                continue
            try:
                d = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                problems.append(f"{path}: line {lineno}: not valid JSON: {exc}")
            else:
                bad = check_line(d)
                if bad is None:
                    if not problems:
                        yield _to_line(d)
                    continue
                field_, msg = _schema_message(d) or bad
                problems.append(f"{path}: line {lineno}: {field_}: {msg}")
            if len(problems) >= MAX_PROBLEMS:
                problems.append(f"{path}: stopped after {MAX_PROBLEMS} problems")
                break
    if problems:
        raise ModelError(problems)
    if digest is not None:
        digest.append(h.hexdigest())


def lines_from_dicts(docs: Iterable[dict[str, Any]]) -> Iterator[Line]:
    """Validate decoded lines (e.g. from :func:`simulate_traces`); ModelError on the first bad
    one, naming its index (1-based) and field."""
    for i, d in enumerate(docs, 1):
        bad = check_line(d)
        if bad is not None:
            raise ModelError([f"line {i}: {bad[0]}: {bad[1]}"])
        yield _to_line(d)


# ---------------------------------------------------------------------------------------------
# Counting
# ---------------------------------------------------------------------------------------------


class _Counter:
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


def _structure(cn: _Counter) -> Structure:
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
        logged = [{"agent": a, "obs": o, "successor": j, "min": lo, "max": hi,
                   "fitted": float(_fitted_behavior(m, a, o, j))}
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


def obs_pair_names(m: EpochModel) -> dict[tuple[str, str, str], int]:
    """``(agent, obs, successor) → observation pair index`` (to compare models by name)."""
    return {(*m.obs_name(int(o)), m.successor_name(int(j))): p
            for p, (o, j) in enumerate(zip(m.obs_pair_obs, m.obs_succ, strict=True))}


def _fitted_behavior(m: EpochModel, agent: str, obs: str, succ: str) -> float:
    p = obs_pair_names(m).get((agent, obs, succ))
    return 0.0 if p is None else float(m.behavior[p])


def _finish(cn: _Counter, gamma: float, min_count: int, name: str, sha: str | None
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


def _check_gamma(gamma: float) -> None:
    if not isinstance(gamma, int | float) or not 0.0 < gamma < 1.0:
        raise ModelError([f"gamma: {gamma!r} is not a number in (0, 1) (the traces do not "
                          "carry γ; give it)"])


def fit_lines(lines: Iterable[Line | dict[str, Any]], gamma: float, *,
              min_count: int = MIN_COUNT, name: str = "fitted") -> FitResult:
    """Fit the maximum-likelihood epoch model from lines (dicts are validated first)."""
    _check_gamma(gamma)
    return trace_data_from_lines(lines, gamma, min_count=min_count, name=name).fit


def _as_lines(lines: Iterable[Line | dict[str, Any]]) -> Iterator[Line]:
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
    _check_gamma(gamma)
    if not isinstance(min_count, int) or min_count < 1:
        raise ModelError([f"min-count: {min_count!r} must be an integer >= 1"])
    cn = _Counter()
    digest: list[str] = []
    for ln in read_traces(path, digest=digest):
        cn.add(ln)
    return _finish(cn, gamma, min_count, name or Path(path).stem, digest[0])


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


def _trace_data(cn: _Counter, fit: FitResult) -> TraceData:
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
    _check_gamma(gamma)
    cn = _Counter(keep_lines=True)
    digest: list[str] = []
    for ln in read_traces(path, digest=digest):
        cn.add(ln)
    return _trace_data(cn, _finish(cn, gamma, min_count, name or Path(path).stem, digest[0]))


def trace_data_from_lines(lines: Iterable[Line | dict[str, Any]], gamma: float, *,
                          min_count: int = MIN_COUNT, name: str = "fitted") -> TraceData:
    """:class:`TraceData` from lines (dicts are validated first), as from a file."""
    _check_gamma(gamma)
    cn = _Counter(keep_lines=True)
    for ln in _as_lines(lines):
        cn.add(ln)
    return _trace_data(cn, _finish(cn, gamma, min_count, name, None))


# ---------------------------------------------------------------------------------------------
# Simulation (known truth)
# ---------------------------------------------------------------------------------------------


def simulate_traces(model: EpochModel, episodes: int, *, seed: int = 0, latent: bool = True,
                    behavior_prob: bool = False, max_handoffs: int = 10_000_000
                    ) -> Iterator[dict[str, Any]]:
    """Trace lines of ``episodes`` episodes of ``model`` under its behaviour policy π_b.

    The latent process is the runtime's :class:`~icq.reference.learners.runtime.World`; successors
    are drawn from π_b(·|ô). With ``latent``, lines carry the model's state ids as labels.
    """
    rng = Xoshiro(seed)
    world = World(model, rng)
    cdf = {}
    for o in range(model.n_obs):
        sl = slice(model.obs_ptr[o], model.obs_ptr[o + 1])
        c = np.cumsum(model.behavior[sl])
        c[-1] = 1.0
        cdf[model.obs_name(o)] = ([model.successor_name(j) for j in model.obs_succ[sl]], c,
                                  model.behavior[sl].tolist())
    done = 0
    for e in range(episodes):
        view = world.reset()
        t = 0
        while view is not None and done < max_handoffs:
            y = world.latent_state
            names, c, probs = cdf[view]
            i = min(int(np.searchsorted(c, rng.random(), side="right")), len(names) - 1)
            tau, reward, nxt = world.invoke(names[i])
            d: dict[str, Any] = {
                "episode": e, "t": t, "agent": view[0], "obs": view[1], "successor": names[i],
                "duration": tau, "reward": reward,
                "next_agent": None if nxt is None else nxt[0],
                "next_obs": None if nxt is None else nxt[1]}
            if latent:
                d["latent"] = model.state_ids[y]
                d["next_latent"] = None if nxt is None else model.state_ids[world.latent_state]
            if behavior_prob:
                d["behavior_prob"] = probs[i]
            yield d
            done += 1
            t += 1
            view = nxt


def write_traces(path: str | Path, lines: Iterable[dict[str, Any]]) -> int:
    """Write lines as JSON Lines, atomically; returns the number written."""
    from icq.reference.common.io import atomic_write

    n = 0
    with atomic_write(path) as fh:
        for d in lines:
            fh.write(json.dumps(d, separators=(",", ":")) + "\n")
            n += 1
    return n


# ---------------------------------------------------------------------------------------------
# Offline IC-Q: replaying logged handoffs
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ReplayResult:
    """Tabular IC-Q replayed over logged handoffs (observation pairs of ``model``).

    q : (n_obs_pairs,) the table; visits : (n_obs_pairs,) updates per entry; lines : handoffs
    in the log; passes : times the log was replayed; method : how it was computed
    """

    q: np.ndarray
    visits: np.ndarray
    lines: int
    passes: int
    method: str = ("offline tabular IC-Q: the logged handoffs replayed in file order; each "
                   "update uses R, γ^τ and V_j(o') = max_b Q(o', b) read from the successor's "
                   "own table (0 at END); α_n = 1/n^ω per entry")


def _replay_kernel():
    from numba import njit

    @njit(cache=True)
    def run(q, visits, a, nxt, disc, rew, obs_ptr, omega, passes):  # pragma: no cover
        for _ in range(passes):
            for i in range(a.shape[0]):
                o2 = nxt[i]
                v = 0.0
                if o2 >= 0:  # the successor's value, from the successor's own table row
                    v = q[obs_ptr[o2]]
                    for b in range(obs_ptr[o2] + 1, obs_ptr[o2 + 1]):
                        if q[b] > v:
                            v = q[b]
                k = a[i]
                visits[k] += 1.0
                q[k] += (rew[i] + disc[i] * v - q[k]) / visits[k] ** omega

    return run


def replay_arrays(model: EpochModel, lines: Iterable[Line]
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per line: the acting observation pair, the next observation (−1 at END), ``γ^τ``, R.

    Raises ModelError naming the line when its (agent, obs, successor) or next (agent, obs)
    is not in ``model``.
    """
    from array import array

    pairs = obs_pair_names(model)
    obs = {model.obs_name(o): o for o in range(model.n_obs)}
    a, nx, dur, rew = array("q"), array("q"), array("d"), array("d")
    for i, ln in enumerate(lines, 1):
        k = pairs.get((ln.state[0], ln.state[1], ln.successor))
        if k is None:
            raise ModelError([f"line {i}: successor: ({ln.state[0]!r}, {ln.state[1]!r}) → "
                              f"{ln.successor!r} is not an observation pair of the model"])
        o2 = -1 if ln.next is None else obs.get((ln.next[0], ln.next[1]))
        if o2 is None:
            raise ModelError([f"line {i}: next_obs: ({ln.next[0]!r}, {ln.next[1]!r}) is not an "
                              "observation of the model"])
        a.append(k)
        nx.append(o2)
        dur.append(ln.duration)
        rew.append(ln.reward)
    return (np.frombuffer(a, dtype=np.int64), np.frombuffer(nx, dtype=np.int64),
            model.gamma ** np.frombuffer(dur), np.frombuffer(rew))


def offline_icq(model: EpochModel, lines: Iterable[Line], *, passes: int = 1,
                omega: float = 0.7) -> ReplayResult:
    """Offline IC-Q over logged handoffs (docs/traces.md; the update of docs/theory.md §2).

    Each line updates its own entry ``Q(ô, j) ← Q + α_n (R + γ^τ V_j(ô') − Q)``, where
    ``V_j(ô')`` is computed from the successor agent's own table entries: exactly the online
    update, on the logged sample path. Replayed ``passes`` times, it converges to the fixed
    point of the empirical AIS Bellman operator of the log, which is the fitted model's Q̂*
    when σ is injective and tends to it as the log grows otherwise.
    """
    if not isinstance(passes, int) or passes < 1:
        raise ValueError(f"passes: {passes!r} must be an integer >= 1")
    if not 0.5 < omega <= 1.0:
        raise ValueError(f"omega: {omega} outside (0.5, 1] (Robbins–Monro)")
    a, nx, disc, rew = replay_arrays(model, lines)
    q = np.zeros(model.n_obs_pairs)
    visits = np.zeros(model.n_obs_pairs)
    _replay_kernel()(q, visits, a, nx, disc, rew, np.ascontiguousarray(model.obs_ptr),
                     float(omega), int(passes))
    return ReplayResult(q=q, visits=visits, lines=len(a), passes=passes)
