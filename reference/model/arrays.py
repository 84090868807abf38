"""Building a model from arrays (docs/format.md, "What the loader refuses"):
:func:`from_arrays` checks every numeric and semantic rule of the format, vectorised, for large
generated models and for :func:`~icq.reference.model.from_dict`, which translates a document's
names into these arrays; the agent-name and state-id rules both entry points share.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from icq.reference.model.epoch import EpochModel
from icq.reference.model.parse import (
    END,
    MAX_DURATION,
    MAX_VALUE,
    PROB_TOL,
    ModelError,
    short,
)

__all__ = ["from_arrays"]


def is_number(v: Any) -> bool:
    return isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool)


def agent_problems(agents: Any) -> list[str]:
    """Agent names: non-empty, unique strings, none of them ``END``."""
    out = [] if len(agents) else ["agents: expected a non-empty list of agent names"]
    for a_i, a in enumerate(agents):
        if not isinstance(a, str) or not a:
            out.append(f"agents[{a_i}]: {short(a)} is not a non-empty string")
        elif a == END:
            out.append(f"agents[{a_i}]: the name 'END' is reserved for the end of the workflow")
        elif a in agents[:a_i]:
            out.append(f"agents[{a_i}]: duplicate agent {a!r}")
    return out


def id_problems(ids: Any) -> list[str]:
    """State ids: non-empty, unique strings."""
    out = []
    seen: set[Any] = set()
    for y, sid in enumerate(ids):
        if not isinstance(sid, str) or not sid:
            out.append(f"states[{y}]: id {short(sid)} is not a non-empty string")
        elif sid in seen:
            out.append(f"states[{y}] (state {sid!r}): duplicate state id {sid!r}")
        seen.add(sid)
    return out


def _first_lines(mask: np.ndarray, line: Any, limit: int = 10) -> list[str]:
    """``line(i)`` for the first ``limit`` indices where ``mask`` holds, then a count."""
    idx = np.flatnonzero(mask)
    out = [line(int(i)) for i in idx[:limit]]
    if len(idx) > limit:
        out.append(f"... and {len(idx) - limit} more like the line above")
    return out


def _largest_gamma(fits: Any, gamma: float) -> float | None:
    """The largest γ in (0, ``gamma``) with ``fits(γ)`` (monotone: true below a threshold), by
    bisection to the last double; None when even the smallest γ does not fit."""
    lo, hi = 0.0, gamma
    if not fits(5e-324):
        return None
    for _ in range(200):
        mid = lo + (hi - lo) / 2
        if mid in (lo, hi):
            break
        lo, hi = (mid, hi) if fits(mid) else (lo, mid)
    return lo


def _discount_problems(gamma: float, prob: np.ndarray, dur: np.ndarray, rew: np.ndarray,
                       nxt: np.ndarray, out_pair: np.ndarray, n_pairs: int, pair_where: Any,
                       out_where: Any) -> list[str]:
    """The rules γ̄ < 1 and R̄/(1 − γ̄) <= MAX_VALUE (docs/theory.md §1, docs/format.md, Ranges).

    Each row's discounted mass Σ prob·γ^duration over its outcomes with a next state is computed
    and a row with mass >= 1 refused by name (outcome probabilities may sum to 1 + 1e-9, so a γ
    within about 1e-9 of 1 can reach it); both messages give the largest γ that works for the
    file, so that no command meets a γ̄ of 1 or a value that is not a double.
    """
    live = (nxt >= 0) & np.isfinite(prob)
    d = np.clip(dur, 1, None)

    def masses(g: float) -> np.ndarray:
        return np.bincount(out_pair, np.where(live, prob * g ** d, 0.0), minlength=n_pairs)

    r_max = float(np.abs(rew).max(initial=0.0))

    def fits(g: float) -> bool:
        m = float(masses(g).max(initial=0.0))
        return m < 1.0 and r_max <= MAX_VALUE * (1.0 - m)

    mass = masses(gamma)
    if fits(gamma):
        return []
    ok = _largest_gamma(fits, gamma)
    works = (f"the largest γ that works for this file is {ok!r}" if ok is not None
             else "no γ in (0, 1) works for this file")
    if (mass >= 1.0).any():
        return _first_lines(mass >= 1.0, lambda k: (
            f"{pair_where(k)}: discounted mass Σ prob·γ^duration over the outcomes with a next "
            f"state = {float(mass[k])!r} >= 1 (rule: γ̄ < 1, docs/theory.md §1; outcome "
            f"probabilities may sum to 1 ± 1e-9); {works}"))
    g_bar = float(mass.max(initial=0.0))
    with np.errstate(over="ignore"):
        v_max = np.abs(rew) / (1.0 - g_bar)
    return _first_lines(v_max > MAX_VALUE, lambda i: (
        f"{out_where(i)}.reward = {float(rew[i])!r}: with γ̄ = {g_bar!r} values reach "
        f"|reward|/(1 − γ̄) = {float(v_max[i]):.3g} > 1e300 (rule: every value function "
        f"must be a finite double; docs/format.md, Ranges); {works}"), limit=1)


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
    >>> from icq.reference.model import from_dict
    >>> from_dict(m.to_dict()).state_ids
    ('y0', 'y1')
    """
    naming: list[str] = []  # problems with names only: the arrays are still checked
    problems: list[str] = []

    def fail(*lines: str) -> ModelError:
        return ModelError(naming + problems + list(lines))

    def arr(x: Any, dtype: Any, what: str = "arrays") -> np.ndarray:
        try:
            return np.array(x, dtype=dtype).reshape(-1)
        except (TypeError, ValueError, OverflowError) as exc:
            raise fail(f"{what}: cannot be read as {np.dtype(dtype).name} numbers ({exc})"
                       ) from None

    agents = tuple(agents)
    N = len(agents)
    if not is_number(gamma) or not math.isfinite(gamma) or not 0.0 < gamma < 1.0:
        naming.append(f"gamma: {short(gamma)} is not a number in (0, 1) (rule: 0 < gamma < 1)")
    naming += agent_problems(agents)
    s_agent = arr(state_agent, np.int64, "state_agent")
    s_obs = arr(state_obs, np.int64, "state_obs")
    o_agent, o_ptr = arr(obs_agent, np.int64, "obs_agent"), arr(obs_ptr, np.int64, "obs_ptr")
    o_succ = arr(obs_succ, np.int64, "obs_succ")
    n, n_obs = len(s_agent), len(o_agent)
    ids = tuple(f"y{y}" for y in range(n)) if state_ids is None else tuple(state_ids)
    if len(ids) != n or len(s_obs) != n or not n:
        raise fail(f"states: state_agent, state_obs and state_ids must have one entry per "
                   f"state, got {len(s_agent)}, {len(s_obs)}, {len(ids)}")
    if len(o_ptr) != n_obs + 1 or o_ptr[0] != 0 or (np.diff(o_ptr) < 0).any() \
            or o_ptr[-1] != len(o_succ):
        raise fail("successors: obs_ptr must be a non-decreasing (n_obs+1,) pointer "
                   "array from 0 to len(obs_succ)")
    naming += id_problems(ids)
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
        f"{obs_where(srt[p] // (N + 1))}: duplicate successor "
        f"{(agents + (END,))[srt[p] % (N + 1)]!r}"))
    if problems:
        raise fail()

    def dist_lines(p: np.ndarray, ptr: np.ndarray, where: Any, item: Any, what: str,
                   positive: bool) -> list[str]:
        owner = np.repeat(np.arange(len(ptr) - 1), np.diff(ptr))
        bad = ~np.isfinite(p) | ((p <= 0) if positive else (p < 0))
        out = _first_lines(bad, lambda i: (
            f"{item(i)} = {float(p[i])!r}: a probability must be a finite number "
            f"{'> 0' if positive else '>= 0'}"))
        tot = np.bincount(owner, np.where(bad, 0.0, p), minlength=len(ptr) - 1)
        off = np.abs(tot - 1.0) > PROB_TOL * np.maximum(1.0, tot)
        out += _first_lines(off & (np.bincount(owner, bad, minlength=len(ptr) - 1) == 0),
                            lambda b: f"{where(b)}: {what} sum to {float(tot[b])!r}, must sum to 1 "
                            "(relative tolerance 1e-9)")
        return out

    # initial and behaviour ------------------------------------------------------------------
    nu0 = arr(initial, float, "initial")
    if len(nu0) != n:
        raise fail(f"initial: expected {n} probabilities, got {len(nu0)}")
    problems += dist_lines(nu0, np.array([0, n]), lambda _: "initial",
                           lambda y: f"initial (state {ids[y]!r})", "probabilities", False)
    beh = (np.repeat(1.0 / np.diff(o_ptr), np.diff(o_ptr)) if behavior is None
           else arr(behavior, float, "behavior")[gather])
    if len(beh) != len(o_succ):
        raise fail(f"behavior: expected {len(o_succ)} probabilities, got {len(beh)}")
    problems += dist_lines(beh, o_ptr, lambda o: f"behavior.{agents[o_agent[o]]}.{labels[o]}",
                           lambda q: (f"behavior.{agents[o_agent[obs_of_pair[q]]]}."
                                      f"{labels[obs_of_pair[q]]}.{(agents + (END,))[o_succ[q]]}"),
                           "probabilities", False)

    # latent pairs and outcomes ---------------------------------------------------------------
    n_succ = np.diff(o_ptr)[s_obs]
    pair_ptr = np.zeros(n + 1, dtype=np.int64)
    pair_ptr[1:] = np.cumsum(n_succ)
    n_pairs = int(pair_ptr[-1])
    pair_state = np.repeat(np.arange(n), n_succ)
    pair_obs_pair = o_ptr[s_obs][pair_state] + np.arange(n_pairs) - pair_ptr[:-1][pair_state]
    pair_succ = o_succ[pair_obs_pair]
    u_ptr = arr(out_ptr, np.int64, "out_ptr")
    if len(u_ptr) != n_pairs + 1 or u_ptr[0] != 0 or (np.diff(u_ptr) < 1).any():
        raise fail(f"transitions: out_ptr must be an increasing ({n_pairs}+1,) "
                   "pointer array from 0 (every pair needs >= 1 outcome)")
    u_prob, u_rew = arr(out_prob, float, "out_prob"), arr(out_rew, float, "out_rew")
    u_dur_raw, u_next = arr(out_dur, float, "out_dur"), arr(out_next, np.int64, "out_next")
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

    problems += dist_lines(u_prob, u_ptr, pair_where, lambda i: f"{out_where(i)}.prob",
                           "outcome probabilities", True)
    problems += _first_lines(~np.isfinite(u_dur_raw) | (u_dur_raw < 1) | (u_dur_raw > MAX_DURATION)
                             | (u_dur_raw != np.floor(u_dur_raw)), lambda i: (
        f"{out_where(i)}.duration = {float(u_dur_raw[i]):.17g}: must be an integer >= 1 and "
        "<= 2**53 (rule: docs/format.md, Fields)"))
    problems += _first_lines(~np.isfinite(u_rew), lambda i: (
        f"{out_where(i)}.reward = {float(u_rew[i])!r}: must be a finite number"))
    if not problems and is_number(gamma) and 0.0 < gamma < 1.0:  # γ̄ < 1, values are doubles
        problems += _discount_problems(float(gamma), u_prob, u_dur_raw, u_rew, u_next, out_pair,
                                       n_pairs, pair_where, out_where)
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
