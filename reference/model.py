"""The epoch-level IC-SMDP, array-backed (docs/theory.md §1; FORMAT.md ``icsmdp-epoch/1``).

An IC-SMDP seen at its decision epochs (handoff times) has

- latent epoch states ``y = 0..n-1``; agent ``i(y)`` is active at ``y`` and observes
  ``σ(y) = ô``, an index into the disjoint union of all agents' observations ``0..n_obs-1``;
- successors ``j``: agent indices ``0..N-1`` and ``END = N``; the admissible set ``J(ô)``
  depends on the observation only (Assumption 1(iii));
- for every pair ``(y, j)`` with ``j ∈ J(σ(y))`` the joint law of one invocation's outcome
  ``(τ, R, y')`` (``y' = -1`` when the episode ends), from which

  ``r̄(y,j) = E[R | y,j]`` and ``K(y'|y,j) = E[γ^τ 1{Y'=y'} | y,j]`` (sub-stochastic),
  ``γ̄ = max_{y,j} Σ_{y'} K(y'|y,j)``, ``T_max = max τ``, ``R̄ = max |R|``.

Pairs are stored contiguously per state (``pair_ptr[y]:pair_ptr[y+1]``) in the order of
``J(σ(y))``; observation pairs ``(ô, j)`` likewise (``obs_ptr``), so that latent pair ``k``
and its observation pair ``pair_obs_pair[k]`` name the same successor. Kernels are
``scipy.sparse`` CSR matrices; nothing on a hot path is a Python dict.

Examples
--------
>>> from icq.reference.model import load, example_path
>>> m = load(example_path("ring-exact"))
>>> m.n_states, m.n_obs, m.n_pairs, m.T_max
(3, 3, 4, 3)
>>> round(float(m.gamma_bar), 6)
0.9
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

FORMAT = "icsmdp-epoch/1"
END = "END"
PROB_TOL = 1e-9

__all__ = [
    "END",
    "FORMAT",
    "EpochModel",
    "ModelError",
    "SMDP",
    "example_path",
    "from_arrays",
    "from_dict",
    "load",
]


class ModelError(ValueError):
    """A model file or dict that breaks FORMAT.md; ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


# ---------------------------------------------------------------------------------------
# The SMDP in sufficient statistics (used for both the latent and the AIS-induced model)
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class SMDP:
    """A finite SMDP given by its sufficient statistics (docs/theory.md §1).

    Rows are state–successor pairs: the pairs of state ``x`` are ``ptr[x]:ptr[x+1]``.

    Attributes
    ----------
    ptr : (n+1,) int64
    succ : (n_pairs,) int64, successor index of each pair (``N`` = END)
    reward : (n_pairs,) float64, ``r̄``
    K : (n_pairs, n) CSR float64, the discounted continuation kernel
    """

    ptr: np.ndarray
    succ: np.ndarray
    reward: np.ndarray
    K: sp.csr_matrix

    @property
    def n(self) -> int:
        return len(self.ptr) - 1

    @property
    def n_pairs(self) -> int:
        return len(self.succ)

    @cached_property
    def pair_state(self) -> np.ndarray:
        """(n_pairs,) the state of each pair."""
        return np.repeat(np.arange(self.n), np.diff(self.ptr))

    @cached_property
    def gamma_bar(self) -> float:
        """``γ̄ = max_pairs Σ_{x'} K`` (docs/theory.md §1)."""
        return float(np.asarray(self.K.sum(axis=1)).max(initial=0.0))

    def vmax(self, q: np.ndarray) -> np.ndarray:
        """``V(x) = max_{j ∈ J(x)} q(x, j)`` for ``q`` of shape (n_pairs,) or (n_pairs, B)."""
        return np.maximum.reduceat(q, self.ptr[:-1], axis=0)

    def argmax(self, q: np.ndarray) -> np.ndarray:
        """(n,) the greedy pair index of each state (first maximiser, ties to the lowest)."""
        v = self.vmax(q)
        is_max = q >= np.repeat(v, np.diff(self.ptr))
        idx = np.flatnonzero(is_max)
        first = np.searchsorted(idx, self.ptr[:-1])
        return idx[first]

    def bellman(self, q: np.ndarray) -> np.ndarray:
        """Bellman optimality operator ``(Tq)(x,j) = r̄ + Σ K(x'|x,j) max_{j'} q(x',j')``."""
        return self.reward + self.K @ self.vmax(q)

    def policy_matrix(self, pi: np.ndarray) -> sp.csr_matrix:
        """(n, n_pairs) CSR, row ``x`` holds ``π(j|x)`` on the pairs of ``x``."""
        return sp.csr_matrix((np.asarray(pi, dtype=float), np.arange(self.n_pairs), self.ptr),
                             shape=(self.n, self.n_pairs))


# ---------------------------------------------------------------------------------------
# The epoch model
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class EpochModel:
    """A validated epoch-level IC-SMDP (see the module docstring for the notation).

    Build it with :func:`load` or :func:`from_dict`; the arrays are read-only views of the
    file, indexed by integers.
    """

    name: str
    gamma: float
    agents: tuple[str, ...]
    state_ids: tuple[str, ...]
    state_agent: np.ndarray  # (n,) int64
    state_obs: np.ndarray  # (n,) int64, σ(y)
    obs_agent: np.ndarray  # (n_obs,) int64
    obs_labels: tuple[str, ...]  # (n_obs,)
    obs_ptr: np.ndarray  # (n_obs+1,) int64
    obs_succ: np.ndarray  # (n_obs_pairs,) int64
    initial: np.ndarray  # (n,) float64, ν₀
    behavior: np.ndarray  # (n_obs_pairs,) float64, π_b(j|ô)
    pair_ptr: np.ndarray  # (n+1,) int64
    pair_obs_pair: np.ndarray  # (n_pairs,) int64
    out_ptr: np.ndarray  # (n_pairs+1,) int64
    out_prob: np.ndarray  # (n_out,) float64
    out_dur: np.ndarray  # (n_out,) int64
    out_rew: np.ndarray  # (n_out,) float64
    out_next: np.ndarray  # (n_out,) int64, -1 = episode ends
    source: dict[str, Any] = field(repr=False, default_factory=dict)

    # -- sizes ---------------------------------------------------------------------------
    @property
    def n_agents(self) -> int:
        return len(self.agents)

    @property
    def END(self) -> int:  # noqa: N802 - the successor index of END
        return len(self.agents)

    @property
    def n_states(self) -> int:
        return len(self.state_ids)

    @property
    def n_obs(self) -> int:
        return len(self.obs_labels)

    @property
    def n_pairs(self) -> int:
        return len(self.pair_obs_pair)

    @property
    def n_obs_pairs(self) -> int:
        return len(self.obs_succ)

    def successor_name(self, j: int) -> str:
        return END if j == self.END else self.agents[j]

    # -- derived arrays --------------------------------------------------------------------
    @cached_property
    def pair_state(self) -> np.ndarray:
        """(n_pairs,) the latent state ``y`` of each pair."""
        return np.repeat(np.arange(self.n_states), np.diff(self.pair_ptr))

    @cached_property
    def pair_succ(self) -> np.ndarray:
        """(n_pairs,) the successor ``j`` of each pair."""
        return self.obs_succ[self.pair_obs_pair]

    @cached_property
    def obs_pair_obs(self) -> np.ndarray:
        """(n_obs_pairs,) the observation ``ô`` of each observation pair."""
        return np.repeat(np.arange(self.n_obs), np.diff(self.obs_ptr))

    @cached_property
    def out_pair(self) -> np.ndarray:
        """(n_out,) the pair each outcome belongs to."""
        return np.repeat(np.arange(self.n_pairs), np.diff(self.out_ptr))

    @cached_property
    def reward(self) -> np.ndarray:
        """(n_pairs,) ``r̄(y,j) = Σ prob·reward``."""
        return np.bincount(self.out_pair, self.out_prob * self.out_rew, minlength=self.n_pairs)

    def _continuation(self, weight: np.ndarray) -> sp.csr_matrix:
        cont = self.out_next >= 0
        return sp.csr_matrix(
            (weight[cont], (self.out_pair[cont], self.out_next[cont])),
            shape=(self.n_pairs, self.n_states),
        )

    @cached_property
    def K(self) -> sp.csr_matrix:  # noqa: N802
        """(n_pairs, n) CSR ``K(y'|y,j) = Σ prob·γ^τ·1{next=y'}``."""
        return self._continuation(self.out_prob * self.gamma ** self.out_dur.astype(float))

    @cached_property
    def K2(self) -> sp.csr_matrix:  # noqa: N802
        """(n_pairs, n) CSR ``E[γ^{2τ} 1{Y'=y'} | y,j]`` (for A6, docs/theory.md §5)."""
        return self._continuation(self.out_prob * self.gamma ** (2.0 * self.out_dur))

    @cached_property
    def P(self) -> sp.csr_matrix:  # noqa: N802
        """(n_pairs, n) CSR ``P(Y'=y' | y,j)`` (undiscounted)."""
        return self._continuation(self.out_prob)

    @cached_property
    def p_end(self) -> np.ndarray:
        """(n_pairs,) probability that the episode ends during the invocation."""
        return np.bincount(self.out_pair, self.out_prob * (self.out_next < 0),
                           minlength=self.n_pairs)

    @cached_property
    def latent(self) -> SMDP:
        """The latent decision-epoch SMDP (the centralized oracle's model)."""
        return SMDP(self.pair_ptr, self.pair_succ, self.reward, self.K)

    @cached_property
    def gamma_bar(self) -> float:
        """``γ̄`` (docs/theory.md §1)."""
        return self.latent.gamma_bar

    @cached_property
    def T_max(self) -> int:  # noqa: N802
        return int(self.out_dur.max())

    @cached_property
    def R_bar(self) -> float:  # noqa: N802
        return float(np.abs(self.out_rew).max())

    @cached_property
    def expected_duration(self) -> float:
        """``E[τ]`` under the behaviour chain's stationary law (§4), per handoff."""
        from .chain import stationary

        mu = stationary(self).mu
        pair_w = mu[self.pair_state] * self.behavior[self.pair_obs_pair]
        tau = np.bincount(self.out_pair, self.out_prob * self.out_dur, minlength=self.n_pairs)
        return float(pair_w @ tau)

    @cached_property
    def obs_states(self) -> sp.csr_matrix:
        """(n, n_obs) CSR indicator ``1{σ(y) = ô}``."""
        return sp.csr_matrix((np.ones(self.n_states), (np.arange(self.n_states), self.state_obs)),
                             shape=(self.n_states, self.n_obs))

    def obs_name(self, o: int) -> tuple[str, str]:
        return self.agents[self.obs_agent[o]], self.obs_labels[o]

    def lift(self, obs_pair_values: np.ndarray) -> np.ndarray:
        """Compose a function of ``(ô, j)`` with σ: ``(y, j) ↦ f(σ(y), j)``."""
        return np.asarray(obs_pair_values)[self.pair_obs_pair]

    # -- round trip --------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The model as an ``icsmdp-epoch/1`` document (loads back to an equal model)."""
        ids = self.state_ids
        succ = {}
        behavior = {}
        for o in range(self.n_obs):
            a, label = self.obs_name(o)
            sl = slice(self.obs_ptr[o], self.obs_ptr[o + 1])
            names = [self.successor_name(j) for j in self.obs_succ[sl]]
            succ.setdefault(a, {})[label] = names
            behavior.setdefault(a, {})[label] = {
                nm: float(p) for nm, p in zip(names, self.behavior[sl], strict=True)}
        transitions = []
        for k in range(self.n_pairs):
            y = self.pair_state[k]
            sl = slice(self.out_ptr[k], self.out_ptr[k + 1])
            transitions.append({
                "state": ids[y],
                "successor": self.successor_name(self.pair_succ[k]),
                "outcomes": [
                    {"prob": float(p), "duration": int(d), "reward": float(r),
                     "next": None if nx < 0 else ids[nx]}
                    for p, d, r, nx in zip(self.out_prob[sl], self.out_dur[sl],
                                           self.out_rew[sl], self.out_next[sl], strict=True)
                ],
            })
        return {
            "format": FORMAT,
            "name": self.name,
            "gamma": self.gamma,
            "agents": list(self.agents),
            "states": [{"id": ids[y], "agent": self.agents[self.state_agent[y]],
                        "obs": self.obs_labels[self.state_obs[y]]} for y in range(self.n_states)],
            "initial": {ids[y]: float(p) for y, p in enumerate(self.initial) if p > 0},
            "successors": succ,
            "transitions": transitions,
            "behavior": behavior,
        }

    def replace_arrays(self, **arrays: np.ndarray) -> EpochModel:
        """A model with the same structure and some of ``out_prob``, ``out_rew``, ``initial``,
        ``behavior`` or ``gamma`` replaced (validated again)."""
        doc_model = EpochModel(**{**{f: getattr(self, f) for f in self.__dataclass_fields__},
                                  **arrays})
        return from_dict(doc_model.to_dict())


# ---------------------------------------------------------------------------------------
# Loading and validation (FORMAT.md, "What a loader must reject")
# ---------------------------------------------------------------------------------------


def example_path(name: str) -> Path:
    """Path of a bundled example (``ring-exact``, ``author-reviewer-editor``)."""
    return Path(str(resources.files("icq").joinpath("examples", f"{name}.json")))


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    dups = []
    for k, v in pairs:
        if k in out:
            dups.append(k)
        out[k] = v
    if dups:
        out["\0duplicate-keys"] = dups
    return out


def load(path: str | Path) -> EpochModel:
    """Read and validate an ``icsmdp-epoch/1`` JSON file.

    Raises
    ------
    ModelError
        With one readable line per problem (field, state, value and rule).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ModelError([f"{path}: cannot read file: {exc.strerror or exc}"]) from None
    try:
        doc = json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise ModelError([f"{path}: not valid JSON: line {exc.lineno} column {exc.colno}: "
                          f"{exc.msg}"]) from None
    return from_dict(doc)


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _dist_problems(where: str, probs: list[float], what: str) -> list[str]:
    total = math.fsum(probs)
    if all(math.isfinite(p) for p in probs) and abs(total - 1.0) > PROB_TOL * max(1.0, total):
        return [f"{where}: {what} sum to {total!r}, must sum to 1 (relative tolerance 1e-9)"]
    return []


def from_dict(doc: Any) -> EpochModel:  # noqa: C901 - one pass over FORMAT.md's rules
    """Validate an ``icsmdp-epoch/1`` document and build the array-backed model.

    Every rule of FORMAT.md is checked; all problems are collected and raised together.
    """
    problems: list[str] = []
    bad = problems.append

    def dup_keys(obj: Any, where: str) -> None:
        if isinstance(obj, dict) and "\0duplicate-keys" in obj:
            for k in obj.pop("\0duplicate-keys"):
                bad(f"{where}: duplicate key {k!r}")

    if not isinstance(doc, dict):
        raise ModelError(["top level: expected a JSON object"])
    dup_keys(doc, "top level")

    fmt = doc.get("format")
    if fmt != FORMAT:
        bad(f"format: unknown format {fmt!r}, expected {FORMAT!r}")
    name = doc.get("name", "")
    if not isinstance(name, str):
        bad(f"name: expected a string, got {name!r}")
        name = str(name)

    gamma = doc.get("gamma")
    if not _is_number(gamma) or not math.isfinite(gamma) or not 0.0 < gamma < 1.0:
        bad(f"gamma: {gamma!r} is not a number in (0, 1) (rule: 0 < gamma < 1)")
        gamma = 0.5

    # agents -------------------------------------------------------------------------------
    agents_raw = doc.get("agents")
    agents: list[str] = []
    if not isinstance(agents_raw, list) or not agents_raw:
        bad("agents: expected a non-empty list of agent names")
        agents_raw = []
    for a in agents_raw:
        if not isinstance(a, str) or not a:
            bad(f"agents: {a!r} is not a non-empty string")
        elif a == END:
            bad("agents: the name 'END' is reserved for the end of the workflow")
        elif a in agents:
            bad(f"agents: duplicate agent {a!r}")
        else:
            agents.append(a)
    agent_index = {a: i for i, a in enumerate(agents)}
    n_agents = len(agents)
    succ_index = {**agent_index, END: n_agents}

    # states --------------------------------------------------------------------------------
    states_raw = doc.get("states")
    if not isinstance(states_raw, list) or not states_raw:
        bad("states: expected a non-empty list of states")
        states_raw = []
    state_ids: list[str] = []
    state_agent: list[int] = []
    state_label: list[str] = []
    state_index: dict[str, int] = {}
    for s_i, s in enumerate(states_raw):
        where = f"states[{s_i}]"
        if not isinstance(s, dict):
            bad(f"{where}: expected an object with id, agent, obs")
            continue
        dup_keys(s, where)
        sid, sa, so = s.get("id"), s.get("agent"), s.get("obs")
        if not isinstance(sid, str) or not sid:
            bad(f"{where}: id {sid!r} is not a non-empty string")
            continue
        where = f"states[{s_i}] (state {sid!r})"
        if sid in state_index:
            bad(f"{where}: duplicate state id {sid!r}")
            continue
        if sa not in agent_index:
            bad(f"{where}: agent {sa!r} is not listed in agents")
            continue
        if not isinstance(so, str):
            bad(f"{where}: obs {so!r} is not a string label")
            continue
        state_index[sid] = len(state_ids)
        state_ids.append(sid)
        state_agent.append(agent_index[sa])
        state_label.append(so)
    n = len(state_ids)

    # observations: ordered by agent, then by first appearance -----------------------------
    obs_key_index: dict[tuple[int, str], int] = {}
    for a in range(n_agents):
        for y in range(n):
            if state_agent[y] == a and (a, state_label[y]) not in obs_key_index:
                obs_key_index[(a, state_label[y])] = len(obs_key_index)
    obs_keys = list(obs_key_index)
    state_obs = [obs_key_index[(state_agent[y], state_label[y])] for y in range(n)]

    # initial -------------------------------------------------------------------------------
    initial = np.zeros(n)
    init_raw = doc.get("initial")
    if not isinstance(init_raw, dict) or not init_raw:
        bad("initial: expected a non-empty object {state id: probability}")
        init_raw = {}
    dup_keys(init_raw, "initial")
    for sid, p in init_raw.items():
        if sid not in state_index:
            bad(f"initial: state {sid!r} is not a state id")
        elif not _is_number(p) or not math.isfinite(p) or p < 0:
            bad(f"initial (state {sid!r}): probability {p!r} must be a finite number >= 0")
        else:
            initial[state_index[sid]] = p
    if init_raw:
        problems += _dist_problems("initial", [p for p in init_raw.values() if _is_number(p)],
                                   "probabilities")

    # successors ------------------------------------------------------------------------------
    succ_raw = doc.get("successors")
    if not isinstance(succ_raw, dict):
        bad("successors: expected an object {agent: {obs: [successor, ...]}}")
        succ_raw = {}
    dup_keys(succ_raw, "successors")
    admissible: dict[tuple[int, str], list[int]] = {}
    for a_name, per_obs in succ_raw.items():
        if a_name not in agent_index:
            bad(f"successors: agent {a_name!r} is not listed in agents")
            continue
        if not isinstance(per_obs, dict):
            bad(f"successors.{a_name}: expected an object {{obs: [successor, ...]}}")
            continue
        dup_keys(per_obs, f"successors.{a_name}")
        a = agent_index[a_name]
        for label, lst in per_obs.items():
            where = f"successors.{a_name}.{label}"
            if not isinstance(lst, list):
                bad(f"{where}: expected a list of successors")
                continue
            js: list[int] = []
            for j in lst:
                if j == a_name:
                    bad(f"{where}: successor {j!r} equals the acting agent (not allowed)")
                elif not isinstance(j, str) or j not in succ_index:
                    bad(f"{where}: successor {j!r} is not an agent or 'END'")
                elif succ_index[j] in js:
                    bad(f"{where}: duplicate successor {j!r}")
                else:
                    js.append(succ_index[j])
            if not lst:
                bad(f"{where}: the admissible set is empty (every observation needs a successor)")
            admissible[(a, label)] = js
    for (a, label) in obs_keys:
        if (a, label) not in admissible:
            ys = [state_ids[y] for y in range(n) if state_agent[y] == a and state_label[y] == label]
            bad(f"successors.{agents[a]}: no entry for observation {label!r} "
                f"(used by state {ys[0]!r})")
            admissible[(a, label)] = []

    # transitions -------------------------------------------------------------------------------
    trans_raw = doc.get("transitions")
    if not isinstance(trans_raw, list):
        bad("transitions: expected a list")
        trans_raw = []
    pair_outcomes: dict[tuple[int, int], list[tuple[float, int, float, int]]] = {}
    for t_i, t in enumerate(trans_raw):
        where = f"transitions[{t_i}]"
        if not isinstance(t, dict):
            bad(f"{where}: expected an object with state, successor, outcomes")
            continue
        dup_keys(t, where)
        sid, jn = t.get("state"), t.get("successor")
        if sid not in state_index:
            bad(f"{where}: state {sid!r} is not a state id")
            continue
        y = state_index[sid]
        where = f"transitions[{t_i}] (state {sid!r}, successor {jn!r})"
        key_obs = (state_agent[y], state_label[y])
        if jn == agents[state_agent[y]]:
            bad(f"{where}: successor equals the acting agent (not allowed)")
            continue
        if not isinstance(jn, str) or jn not in succ_index:
            bad(f"{where}: successor is not an agent or 'END'")
            continue
        j = succ_index[jn]
        if j not in admissible.get(key_obs, []):
            bad(f"{where}: successor is not admissible for observation {state_label[y]!r} of "
                f"agent {agents[state_agent[y]]!r} (extra transitions entry)")
            continue
        if (y, j) in pair_outcomes:
            bad(f"{where}: duplicate transitions entry for this state and successor")
            continue
        outs = t.get("outcomes")
        if not isinstance(outs, list) or not outs:
            bad(f"{where}: outcomes must be a non-empty list")
            continue
        parsed = []
        ok = True
        for o_i, o in enumerate(outs):
            ow = f"{where}: outcomes[{o_i}]"
            if not isinstance(o, dict):
                bad(f"{ow}: expected an object with prob, duration, reward, next")
                ok = False
                continue
            dup_keys(o, ow)
            p, d, r = o.get("prob"), o.get("duration"), o.get("reward")
            nx = o.get("next", "\0missing")
            if not _is_number(p) or not math.isfinite(p) or p <= 0:
                bad(f"{ow}.prob = {p!r}: must be a finite number > 0")
                ok = False
            if not _is_number(d) or not math.isfinite(d) or d != int(d):
                bad(f"{ow}.duration = {d!r}: must be an integer >= 1")
                ok = False
            elif d < 1:
                bad(f"{ow}.duration = {d!r}: must be an integer >= 1")
                ok = False
            if not _is_number(r) or not math.isfinite(r):
                bad(f"{ow}.reward = {r!r}: must be a finite number")
                ok = False
            if nx == "\0missing":
                bad(f"{ow}.next: missing (use null when the episode ends)")
                ok = False
                nxi = -1
            elif nx is None:
                nxi = -1
            elif nx not in state_index:
                bad(f"{ow}.next = {nx!r}: not a state id")
                ok = False
                nxi = -1
            elif j == n_agents:
                bad(f"{ow}.next = {nx!r}: successor END must have next = null")
                ok = False
                nxi = -1
            elif state_agent[state_index[nx]] != j:
                bad(f"{ow}.next = {nx!r}: its agent "
                    f"{agents[state_agent[state_index[nx]]]!r} differs from the successor {jn!r}")
                ok = False
                nxi = -1
            else:
                nxi = state_index[nx]
            if ok:
                parsed.append((float(p), int(d), float(r), nxi))
        if ok:
            bad_sum = _dist_problems(where, [o[0] for o in parsed], "outcome probabilities")
            problems += bad_sum
            if not bad_sum:
                pair_outcomes[(y, j)] = parsed
        else:
            pair_outcomes[(y, j)] = []  # reported; suppress a "missing" line for it
    for y in range(n):
        for j in admissible.get((state_agent[y], state_label[y]), []):
            if (y, j) not in pair_outcomes:
                bad(f"transitions: missing entry for state {state_ids[y]!r}, successor "
                    f"{(agents + [END])[j]!r}")

    # behaviour -------------------------------------------------------------------------------
    obs_succ_lists = [admissible.get(k, []) for k in obs_keys]
    beh_lists = [np.full(len(js), 1.0 / len(js)) if js else np.zeros(0) for js in obs_succ_lists]
    beh_raw = doc.get("behavior")
    if beh_raw is not None:
        if not isinstance(beh_raw, dict):
            bad("behavior: expected an object {agent: {obs: {successor: probability}}}")
            beh_raw = {}
        dup_keys(beh_raw, "behavior")
        for a_name, per_obs in beh_raw.items():
            if a_name not in agent_index or not isinstance(per_obs, dict):
                bad(f"behavior: {a_name!r} is not an agent listed in agents with an object value")
                continue
            dup_keys(per_obs, f"behavior.{a_name}")
            a = agent_index[a_name]
            for label, dist in per_obs.items():
                where = f"behavior.{a_name}.{label}"
                if (a, label) not in admissible:
                    bad(f"{where}: observation {label!r} has no successors entry for this agent")
                    continue
                if not isinstance(dist, dict):
                    bad(f"{where}: expected an object {{successor: probability}}")
                    continue
                dup_keys(dist, where)
                js = admissible[(a, label)]
                vec = np.zeros(len(js))
                ok = True
                for jn, p in dist.items():
                    if jn not in succ_index or succ_index[jn] not in js:
                        bad(f"{where}: {jn!r} is not an admissible successor here")
                        ok = False
                    elif not _is_number(p) or not math.isfinite(p) or p < 0:
                        bad(f"{where}.{jn}: probability {p!r} must be a finite number >= 0")
                        ok = False
                    else:
                        vec[js.index(succ_index[jn])] = p
                if ok:
                    sum_bad = _dist_problems(where, list(vec), "probabilities")
                    problems += sum_bad
                    if not sum_bad and (a, label) in obs_key_index:
                        beh_lists[obs_key_index[(a, label)]] = vec

    if problems:
        raise ModelError(problems)

    # assemble arrays ---------------------------------------------------------------------------
    obs_ptr = np.zeros(len(obs_keys) + 1, dtype=np.int64)
    obs_ptr[1:] = np.cumsum([len(js) for js in obs_succ_lists])
    obs_succ = np.array([j for js in obs_succ_lists for j in js], dtype=np.int64)
    behavior = np.concatenate(beh_lists) if beh_lists else np.zeros(0)

    pair_ptr = np.zeros(n + 1, dtype=np.int64)
    pair_obs_pair: list[int] = []
    outs_all: list[tuple[float, int, float, int]] = []
    out_counts: list[int] = []
    for y in range(n):
        o = state_obs[y]
        js = obs_succ_lists[o]
        pair_ptr[y + 1] = pair_ptr[y] + len(js)
        for m, j in enumerate(js):
            pair_obs_pair.append(int(obs_ptr[o]) + m)
            outs = pair_outcomes[(y, j)]
            outs_all.extend(outs)
            out_counts.append(len(outs))
    out_ptr = np.zeros(len(out_counts) + 1, dtype=np.int64)
    out_ptr[1:] = np.cumsum(out_counts)
    arr = np.array(outs_all, dtype=float).reshape(-1, 4)

    def ro(a: np.ndarray) -> np.ndarray:
        a.setflags(write=False)
        return a

    return EpochModel(
        name=name,
        gamma=float(gamma),
        agents=tuple(agents),
        state_ids=tuple(state_ids),
        state_agent=ro(np.array(state_agent, dtype=np.int64)),
        state_obs=ro(np.array(state_obs, dtype=np.int64)),
        obs_agent=ro(np.array([a for a, _ in obs_keys], dtype=np.int64)),
        obs_labels=tuple(label for _, label in obs_keys),
        obs_ptr=ro(obs_ptr),
        obs_succ=ro(obs_succ),
        initial=ro(initial / initial.sum()),
        behavior=ro(behavior),
        pair_ptr=ro(pair_ptr),
        pair_obs_pair=ro(np.array(pair_obs_pair, dtype=np.int64)),
        out_ptr=ro(out_ptr),
        out_prob=ro(arr[:, 0].copy()),
        out_dur=ro(arr[:, 1].astype(np.int64)),
        out_rew=ro(arr[:, 2].copy()),
        out_next=ro(arr[:, 3].astype(np.int64)),
        source=doc,
    )


# ---------------------------------------------------------------------------------------
# Building a model from arrays (large generated models; same rules as from_dict)
# ---------------------------------------------------------------------------------------


def _first_lines(mask: np.ndarray, line: Any, limit: int = 10) -> list[str]:
    """``line(i)`` for the first ``limit`` indices where ``mask`` holds, then a count."""
    idx = np.flatnonzero(mask)
    out = [line(int(i)) for i in idx[:limit]]
    if len(idx) > limit:
        out.append(f"... and {len(idx) - limit} more like the line above")
    return out


def from_arrays(*, gamma: float, agents: list[str] | tuple[str, ...],
                state_agent: Any, state_obs: Any, obs_agent: Any, obs_ptr: Any, obs_succ: Any,
                out_ptr: Any, out_prob: Any, out_dur: Any, out_rew: Any, out_next: Any,
                initial: Any, behavior: Any = None, state_ids: Any = None,
                obs_labels: Any = None, name: str = "") -> EpochModel:
    """Validate arrays against FORMAT.md's rules and build the model, without a JSON document.

    For models too large to write out as ``icsmdp-epoch/1`` (e.g. 10⁵ states); every rule that
    :func:`from_dict` checks is checked here, vectorised, and problems are raised together as a
    :class:`ModelError` naming the field and the state. The result equals
    ``from_dict(result.to_dict())``: observations are put in the loader's order (by agent, then
    by first appearance among the states) whatever order they are given in.

    Parameters
    ----------
    agents : N agent names (successor index ``N`` is END)
    state_agent, state_obs : (n,) agent and observation index of each latent state
    obs_agent : (n_obs,) agent of each observation
    obs_ptr, obs_succ : (n_obs+1,) and (n_obs_pairs,); the admissible successors of ``ô`` are
        ``J(ô) = obs_succ[obs_ptr[ô]:obs_ptr[ô+1]]``
    out_ptr : (n_pairs+1,) outcomes of latent pair ``k`` are ``out_ptr[k]:out_ptr[k+1]``; pairs
        are ordered by state, then in the order of ``J(σ(y))``
    out_prob, out_dur, out_rew, out_next : (n_out,) outcome law; ``out_next = -1`` ends the episode
    initial : (n,) ν₀; behavior : (n_obs_pairs,) π_b (default uniform)
    state_ids, obs_labels : names (default ``y<index>`` and ``o<index within the agent>``)

    >>> m = from_arrays(gamma=0.9, agents=["a", "b"], state_agent=[0, 1], state_obs=[0, 1],
    ...                 obs_agent=[0, 1], obs_ptr=[0, 1, 2], obs_succ=[1, 2], out_ptr=[0, 1, 2],
    ...                 out_prob=[1.0, 1.0], out_dur=[1, 2], out_rew=[0.0, 1.0],
    ...                 out_next=[1, -1], initial=[1.0, 0.0])
    >>> m.n_pairs, round(m.gamma_bar, 6)
    (2, 0.9)
    >>> from_dict(m.to_dict()).state_ids
    ('y0', 'y1')
    """
    naming: list[str] = []  # problems with names only: the arrays are still checked
    problems: list[str] = []

    def fail(*lines: str) -> ModelError:
        return ModelError(naming + problems + list(lines))

    def arr(x: Any, dtype: Any) -> np.ndarray:
        return np.array(x, dtype=dtype).reshape(-1)

    agents = tuple(agents)
    N = len(agents)
    if not _is_number(gamma) or not math.isfinite(gamma) or not 0.0 < gamma < 1.0:
        naming.append(f"gamma: {gamma!r} is not a number in (0, 1) (rule: 0 < gamma < 1)")
    if not N:
        naming.append("agents: expected a non-empty list of agent names")
    for a_i, a in enumerate(agents):
        if not isinstance(a, str) or not a:
            naming.append(f"agents: {a!r} is not a non-empty string")
        elif a == END:
            naming.append("agents: the name 'END' is reserved for the end of the workflow")
        elif a in agents[:a_i]:
            naming.append(f"agents: duplicate agent {a!r}")
    s_agent, s_obs = arr(state_agent, np.int64), arr(state_obs, np.int64)
    o_agent, o_ptr = arr(obs_agent, np.int64), arr(obs_ptr, np.int64)
    o_succ = arr(obs_succ, np.int64)
    n, n_obs = len(s_agent), len(o_agent)
    ids = tuple(f"y{y}" for y in range(n)) if state_ids is None else tuple(state_ids)
    if len(ids) != n or len(s_obs) != n or not n:
        raise fail(f"states: state_agent, state_obs and state_ids must have one entry per "
                   f"state, got {len(s_agent)}, {len(s_obs)}, {len(ids)}")
    if len(o_ptr) != n_obs + 1 or o_ptr[0] != 0 or (np.diff(o_ptr) < 0).any() \
            or o_ptr[-1] != len(o_succ):
        raise fail("successors: obs_ptr must be a non-decreasing (n_obs+1,) pointer "
                   "array from 0 to len(obs_succ)")
    if not all(isinstance(s, str) and s for s in ids) or len(set(ids)) != n:
        naming.append("states: state ids must be unique non-empty strings")
    if ((s_agent < 0) | (s_agent >= N)).any() or ((o_agent < 0) | (o_agent >= N)).any() \
            or ((s_obs < 0) | (s_obs >= n_obs)).any():
        raise fail("states: agent or observation index out of range")
    problems += _first_lines(o_agent[s_obs] != s_agent, lambda y: (
        f"states[{y}] (state {ids[y]!r}): its observation belongs to agent "
        f"{agents[o_agent[s_obs[y]]]!r}, not to its agent {agents[s_agent[y]]!r}"))
    used = np.bincount(s_obs, minlength=n_obs) > 0
    problems += _first_lines(~used, lambda o: f"successors: observation {o} is used by no state")

    # observation labels and the loader's order (by agent, then first appearance) ------------
    labels = tuple(f"o{o}" for o in range(n_obs)) if obs_labels is None else tuple(obs_labels)
    if len(labels) != n_obs or not all(isinstance(s, str) for s in labels) \
            or len(set(zip(o_agent.tolist(), labels, strict=True))) != n_obs:
        naming.append("states: observation labels must be strings, unique per agent")
    first = np.full(n_obs, n, dtype=np.int64)
    np.minimum.at(first, s_obs, np.arange(n))
    order = np.lexsort((first, o_agent))
    counts = np.diff(o_ptr)[order]
    new_ptr = np.zeros(n_obs + 1, dtype=np.int64)
    new_ptr[1:] = np.cumsum(counts)
    gather = np.repeat(o_ptr[:-1][order] - new_ptr[:-1], counts) + np.arange(new_ptr[-1])
    inv = np.empty(n_obs, dtype=np.int64)
    inv[order] = np.arange(n_obs)
    s_obs, o_agent, o_ptr, o_succ = inv[s_obs], o_agent[order], new_ptr, o_succ[gather]
    if obs_labels is None:  # "o<k>": the k-th observation of its agent in the loader's order
        labels = tuple(f"o{k}" for k in (np.arange(n_obs)
                                         - np.searchsorted(o_agent, o_agent)).tolist())
    else:
        labels = tuple(labels[o] for o in order)
    obs_of_pair = np.repeat(np.arange(n_obs), np.diff(o_ptr))

    def obs_where(o: int) -> str:
        return f"successors.{agents[o_agent[o]]}.{labels[o]}"

    problems += _first_lines(np.diff(o_ptr) == 0, lambda o: (
        f"{obs_where(o)}: the admissible set is empty (every observation needs a successor)"))
    bad_j = (o_succ < 0) | (o_succ > N)
    problems += _first_lines(bad_j, lambda p: (
        f"{obs_where(obs_of_pair[p])}: successor index {o_succ[p]} is not an agent or END"))
    problems += _first_lines(~bad_j & (o_succ == o_agent[obs_of_pair]), lambda p: (
        f"{obs_where(obs_of_pair[p])}: successor {agents[o_succ[p]]!r} equals the acting "
        "agent (not allowed)"))
    key = obs_of_pair * (N + 1) + o_succ
    srt = np.sort(key)
    problems += _first_lines(np.diff(srt) == 0, lambda p: (
        f"{obs_where(srt[p] // (N + 1))}: duplicate successor index {srt[p] % (N + 1)}"))
    if problems:
        raise fail()

    def dist_lines(p: np.ndarray, ptr: np.ndarray, where: Any, what: str, positive: bool
                   ) -> list[str]:
        owner = np.repeat(np.arange(len(ptr) - 1), np.diff(ptr))
        bad = ~np.isfinite(p) | ((p <= 0) if positive else (p < 0))
        out = _first_lines(bad, lambda i: (
            f"{where(owner[i])}: probability {float(p[i])!r} must be a finite number "
            f"{'> 0' if positive else '>= 0'}"))
        tot = np.bincount(owner, np.where(bad, 0.0, p), minlength=len(ptr) - 1)
        off = np.abs(tot - 1.0) > PROB_TOL * np.maximum(1.0, tot)
        out += _first_lines(off & (np.bincount(owner, bad, minlength=len(ptr) - 1) == 0),
                            lambda b: f"{where(b)}: {what} sum to {float(tot[b])!r}, must sum to 1 "
                            "(relative tolerance 1e-9)")
        return out

    # initial and behaviour ------------------------------------------------------------------
    nu0 = arr(initial, float)
    if len(nu0) != n:
        raise fail(f"initial: expected {n} probabilities, got {len(nu0)}")
    problems += dist_lines(nu0, np.array([0, n]), lambda _: "initial", "probabilities", False)
    beh = (np.repeat(1.0 / np.diff(o_ptr), np.diff(o_ptr)) if behavior is None
           else arr(behavior, float)[gather])
    if len(beh) != len(o_succ):
        raise fail(f"behavior: expected {len(o_succ)} probabilities, got {len(beh)}")
    problems += dist_lines(beh, o_ptr, lambda o: f"behavior.{agents[o_agent[o]]}.{labels[o]}",
                           "probabilities", False)

    # latent pairs and outcomes ---------------------------------------------------------------
    n_succ = np.diff(o_ptr)[s_obs]
    pair_ptr = np.zeros(n + 1, dtype=np.int64)
    pair_ptr[1:] = np.cumsum(n_succ)
    n_pairs = int(pair_ptr[-1])
    pair_state = np.repeat(np.arange(n), n_succ)
    pair_obs_pair = o_ptr[s_obs][pair_state] + np.arange(n_pairs) - pair_ptr[:-1][pair_state]
    pair_succ = o_succ[pair_obs_pair]
    u_ptr = arr(out_ptr, np.int64)
    if len(u_ptr) != n_pairs + 1 or u_ptr[0] != 0 or (np.diff(u_ptr) < 1).any():
        raise fail(f"transitions: out_ptr must be an increasing ({n_pairs}+1,) "
                   "pointer array from 0 (every pair needs >= 1 outcome)")
    u_prob, u_rew = arr(out_prob, float), arr(out_rew, float)
    u_dur_raw, u_next = arr(out_dur, float), arr(out_next, np.int64)
    n_out = int(u_ptr[-1])
    if not len(u_prob) == len(u_rew) == len(u_dur_raw) == len(u_next) == n_out:
        raise fail(f"transitions: out_prob, out_dur, out_rew, out_next must "
                   f"have out_ptr[-1] = {n_out} entries")
    out_pair = np.repeat(np.arange(n_pairs), np.diff(u_ptr))

    def pair_where(k: int) -> str:
        y = pair_state[k]
        j = pair_succ[k]
        return f"transitions (state {ids[y]!r}, successor {(agents + (END,))[j]!r})"

    def out_where(i: int) -> str:
        return f"{pair_where(out_pair[i])}: outcomes[{i - u_ptr[out_pair[i]]}]"

    problems += dist_lines(u_prob, u_ptr, pair_where, "outcome probabilities", True)
    problems += _first_lines(~np.isfinite(u_dur_raw) | (u_dur_raw < 1)
                             | (u_dur_raw != np.floor(u_dur_raw)), lambda i: (
        f"{out_where(i)}.duration = {float(u_dur_raw[i]):g}: must be an integer >= 1"))
    problems += _first_lines(~np.isfinite(u_rew), lambda i: (
        f"{out_where(i)}.reward = {float(u_rew[i])!r}: must be a finite number"))
    j_out = pair_succ[out_pair]
    bad_next = (u_next < -1) | (u_next >= n)
    problems += _first_lines(bad_next, lambda i: f"{out_where(i)}.next = {u_next[i]}: not a state")
    nx = np.where(bad_next, -1, u_next)
    problems += _first_lines((j_out == N) & (nx >= 0), lambda i: (
        f"{out_where(i)}.next = {ids[nx[i]]!r}: successor END must have next = null"))
    problems += _first_lines((j_out < N) & (nx >= 0) & (s_agent[nx] != j_out), lambda i: (
        f"{out_where(i)}.next = {ids[nx[i]]!r}: its agent {agents[s_agent[nx[i]]]!r} differs "
        f"from the successor {agents[j_out[i]]!r}"))
    if naming or problems:
        raise fail()

    def ro(a: np.ndarray) -> np.ndarray:
        a = np.ascontiguousarray(a)
        a.setflags(write=False)
        return a

    return EpochModel(
        name=str(name), gamma=float(gamma), agents=agents, state_ids=ids,
        state_agent=ro(s_agent), state_obs=ro(s_obs), obs_agent=ro(o_agent), obs_labels=labels,
        obs_ptr=ro(o_ptr), obs_succ=ro(o_succ), initial=ro(nu0 / nu0.sum()), behavior=ro(beh),
        pair_ptr=ro(pair_ptr), pair_obs_pair=ro(pair_obs_pair), out_ptr=ro(u_ptr),
        out_prob=ro(u_prob), out_dur=ro(u_dur_raw.astype(np.int64)), out_rew=ro(u_rew),
        out_next=ro(u_next))
