"""Validating an ``icsmdp-epoch/1`` document (docs/format.md, "What the loader refuses"): the
structure (a fast check, then the JSON Schema's messages), the naming rules of :func:`from_dict`
(every id an entry refers to exists, with a "did you mean") and :func:`load`, which reads a file.

The numeric and semantic rules are checked by :func:`~icq.reference.model.from_arrays` on the
arrays the names translate to, so that both entry points give the same messages.

>>> from icq.reference.model import example_path
>>> load(example_path("ring-exact")).n_states
3
>>> structure_problems({"format": "icsmdp-epoch/1"})[0]
"top level: missing required key 'gamma'"
"""

from __future__ import annotations

import math
import re
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from icq.reference.model.arrays import agent_problems, from_arrays, id_problems, is_number
from icq.reference.model.epoch import EpochModel
from icq.reference.model.parse import (
    END,
    EXTENSIONS,
    FORMAT,
    MAX_NAME,
    ModelError,
    depth_and_text_problems,
    did_you_mean,
    parse,
    schema_lines,
    schema_validator,
)

__all__ = ["from_dict", "load", "replace_arrays", "structure_problems"]


# ---------------------------------------------------------------------------------------
# The structure: a fast path for valid documents, else the JSON Schema's messages
# ---------------------------------------------------------------------------------------


def _text_ok(s: Any) -> bool:
    return isinstance(s, str) and len(s) <= MAX_NAME and (s.isascii() or not _SURROGATE.search(s))


def _name_ok(s: Any) -> bool:
    return isinstance(s, str) and s != "" and _text_ok(s)


def _obj_ok(d: Any, keys: frozenset[str], required: frozenset[str] | None = None) -> bool:
    return (isinstance(d, dict) and not getattr(d, "dups", ()) and d.keys() <= keys
            and (required is None or required <= d.keys()))


_SURROGATE = re.compile("[\ud800-\udfff]")
_TOP_KEYS = frozenset(("format", "name", "gamma", "agents", "states", "initial", "successors",
                       "transitions", "behavior", EXTENSIONS))
_TOP_REQUIRED = frozenset(("format", "gamma", "agents", "states", "initial", "successors",
                           "transitions"))
_STATE_KEYS = frozenset(("id", "agent", "obs"))
_TRANSITION_KEYS = frozenset(("state", "successor", "outcomes"))
_OUTCOME_KEYS = frozenset(("prob", "duration", "reward", "next"))


def _fast_structure_ok(doc: Any) -> bool:  # noqa: C901 - the schema, spelled out
    """True only if the shipped schema accepts ``doc`` and it has no duplicate keys, nesting or
    text problem: a fast path for valid documents (the schema gives the messages otherwise)."""
    num = is_number
    if not _obj_ok(doc, _TOP_KEYS, _TOP_REQUIRED) or doc["format"] != FORMAT \
            or not isinstance(doc["format"], str) or not num(doc["gamma"]) \
            or not _text_ok(doc.get("name", "")):
        return False
    agents, states, initial = doc["agents"], doc["states"], doc["initial"]
    if not (isinstance(agents, list) and agents and all(_name_ok(a) for a in agents)):
        return False
    if not (isinstance(states, list) and states and all(
            _obj_ok(s, _STATE_KEYS, _STATE_KEYS) and _name_ok(s["id"]) and _name_ok(s["agent"])
            and _text_ok(s["obs"]) for s in states)):
        return False
    if not (_obj_ok(initial, initial.keys() if isinstance(initial, dict) else frozenset())
            and initial and all(_text_ok(k) and num(v) for k, v in initial.items())):
        return False
    succ = doc["successors"]
    if not (_obj_ok(succ, succ.keys() if isinstance(succ, dict) else frozenset()) and all(
            _text_ok(a) and isinstance(per, dict) and not getattr(per, "dups", ())
            and all(_text_ok(o) and isinstance(lst, list) and all(_name_ok(j) for j in lst)
                    for o, lst in per.items()) for a, per in succ.items())):
        return False
    trans = doc["transitions"]
    if not isinstance(trans, list):
        return False
    for t in trans:
        if not (_obj_ok(t, _TRANSITION_KEYS, _TRANSITION_KEYS) and _name_ok(t["state"])
                and _name_ok(t["successor"]) and isinstance(t["outcomes"], list)
                and t["outcomes"]):
            return False
        for o in t["outcomes"]:
            if not (_obj_ok(o, _OUTCOME_KEYS, _OUTCOME_KEYS) and num(o["prob"])
                    and num(o["duration"]) and num(o["reward"])
                    and (o["next"] is None or _text_ok(o["next"]))):
                return False
    beh = doc.get("behavior", {})
    if not (isinstance(beh, dict) and not getattr(beh, "dups", ()) and all(
            _text_ok(a) and isinstance(per, dict) and not getattr(per, "dups", ()) and all(
                _text_ok(o) and isinstance(dist, dict) and not getattr(dist, "dups", ())
                and all(_text_ok(j) and num(p) for j, p in dist.items())
                for o, dist in per.items()) for a, per in beh.items())):
        return False
    ext = doc.get(EXTENSIONS, {})
    return isinstance(ext, dict) and not depth_and_text_problems(ext)


def structure_problems(doc: Any) -> list[str]:
    """Nesting, text and JSON Schema problems of a document, one line each (empty if none)."""
    if _fast_structure_ok(doc):
        return []
    lines = depth_and_text_problems(doc)
    if lines:
        return lines
    for err in sorted(schema_validator().iter_errors(doc), key=lambda e: list(map(str, e.path))):
        lines += [s for s in schema_lines(doc, err) if s not in lines]
    return lines


# ---------------------------------------------------------------------------------------
# The naming rules, then the arrays; reading a file
# ---------------------------------------------------------------------------------------


def _to_float(v: Any) -> float:
    try:
        return float(v)
    except OverflowError:  # an int beyond the doubles: ±∞, refused as not finite
        return math.copysign(math.inf, v)


def from_dict(doc: Any) -> EpochModel:  # noqa: C901 - one pass over the naming rules
    """Validate an ``icsmdp-epoch/1`` document and build the array-backed model.

    Three stages, each refusing with one line per problem (docs/format.md): the structure
    (nesting, duplicate keys, the shipped JSON Schema: keys, types), then the names (every id
    an entry refers to exists, agent names), here; then every numeric and semantic rule, by
    :func:`from_arrays` on the arrays the names translate to, so that both entry points give
    the same messages. An entry whose names are wrong is replaced by a neutral one before the
    arrays are checked, so one root problem gives one line.
    """
    lines = structure_problems(doc)
    if lines:
        raise ModelError(lines)
    problems: list[str] = []
    bad = problems.append
    lines = agent_problems(doc["agents"])
    if lines:
        raise ModelError(lines)
    agents: list[str] = list(doc["agents"])
    agent_index = {a: i for i, a in enumerate(agents)}
    n_agents = len(agents)
    succ_index = {**agent_index, END: n_agents}

    # states: ids, agents, observation labels --------------------------------------------------
    state_ids: list[str] = []
    state_agent: list[int] = []
    state_label: list[str] = []
    refused: set[str] = set()  # ids already reported: entries naming them are not reported again
    for s_i, s in enumerate(doc["states"]):
        sid, sa = s["id"], s["agent"]
        if sa not in agent_index:
            bad(f"states[{s_i}] (state {sid!r}): agent {sa!r} is not listed in agents"
                f"{did_you_mean(sa, agents)}")
            refused.add(sid)
            continue
        state_ids.append(sid)
        state_agent.append(agent_index[sa])
        state_label.append(s["obs"])
    if not state_ids:
        raise ModelError(problems)
    problems += id_problems(state_ids)
    if problems and len(set(state_ids)) != len(state_ids):
        raise ModelError(problems)
    state_index = {sid: y for y, sid in enumerate(state_ids)}
    n = len(state_ids)

    def unknown_state(where: str, sid: str, what: str) -> None:
        if sid not in refused:
            bad(f"{where}: {what} {sid!r} is not a state id{did_you_mean(sid, state_ids)}")

    # observations: ordered by agent, then by first appearance ---------------------------------
    obs_key_index: dict[tuple[int, str], int] = {}
    for a in range(n_agents):
        for y in range(n):
            if state_agent[y] == a and (a, state_label[y]) not in obs_key_index:
                obs_key_index[(a, state_label[y])] = len(obs_key_index)
    obs_keys = list(obs_key_index)
    state_obs = [obs_key_index[(state_agent[y], state_label[y])] for y in range(n)]

    # initial ----------------------------------------------------------------------------------
    initial = np.zeros(n)
    for sid, p in doc["initial"].items():
        if sid not in state_index:
            unknown_state("initial", sid, "state")
            initial = np.full(n, 1.0 / n)  # neutral: the problem is the name
            break
        initial[state_index[sid]] = _to_float(p)

    # successors (admissible sets, by name) -----------------------------------------------------
    def per_agent(section: str) -> Any:
        """(name, index, value) of each listed agent of ``doc[section]``; others reported."""
        for a_name, value in doc.get(section, {}).items():
            if a_name in agent_index:
                yield a_name, agent_index[a_name], value
            else:
                bad(f"{section}: agent {a_name!r} is not listed in agents"
                    f"{did_you_mean(a_name, agents)}")

    admissible: dict[tuple[int, str], list[int]] = {}
    for a_name, a, per_obs in per_agent("successors"):
        for label, lst in per_obs.items():
            js: list[int] = []
            for j in lst:
                if j not in succ_index:
                    bad(f"successors.{a_name}.{label}: successor {j!r} is not an agent or "
                        f"'END'{did_you_mean(j, succ_index)}")
                else:
                    js.append(succ_index[j])
            admissible[(a, label)] = js
    missing_obs: set[tuple[int, str]] = set()  # reported once; their transitions are not
    for (a, label) in obs_keys:
        if (a, label) not in admissible:
            missing_obs.add((a, label))
            ys = [state_ids[y] for y in range(n) if state_agent[y] == a and state_label[y] == label]
            bad(f"successors.{agents[a]}: no entry for observation {label!r} (used by state "
                f"{ys[0]!r}){did_you_mean(label, doc['successors'].get(agents[a], {}))}")
            admissible[(a, label)] = [n_agents]  # neutral

    # transitions: one entry per admissible pair -------------------------------------------------
    neutral = [(1.0, 1.0, 0.0, -1)]  # one certain episode end: valid for every pair
    pair_outcomes: dict[tuple[int, int], list[tuple[float, float, float, int]]] = {}
    for t_i, t in enumerate(doc["transitions"]):
        sid, jn = t["state"], t["successor"]
        where = f"transitions[{t_i}]"
        if sid not in state_index:
            unknown_state(where, sid, "state")
            continue
        y = state_index[sid]
        if (state_agent[y], state_label[y]) in missing_obs:
            continue
        where = f"transitions[{t_i}] (state {sid!r}, successor {jn!r})"
        if jn not in succ_index:
            bad(f"{where}: successor is not an agent or 'END'{did_you_mean(jn, succ_index)}")
            continue
        j = succ_index[jn]
        if j == state_agent[y]:
            bad(f"{where}: successor equals the acting agent (not allowed)")
            continue
        if j not in admissible.get((state_agent[y], state_label[y]), []):
            bad(f"{where}: successor is not admissible for observation {state_label[y]!r} of "
                f"agent {agents[state_agent[y]]!r} (extra transitions entry)")
            continue
        if (y, j) in pair_outcomes:
            bad(f"{where}: duplicate transitions entry for this state and successor")
            continue
        outs = []
        for o_i, o in enumerate(t["outcomes"]):
            nx = o["next"]
            if nx is not None and nx not in state_index:
                if nx not in refused:
                    bad(f"{where}: outcomes[{o_i}].next = {nx!r}: not a state id"
                        f"{did_you_mean(nx, state_ids)}")
                outs = neutral
                break
            outs.append((_to_float(o["prob"]), _to_float(o["duration"]), _to_float(o["reward"]),
                         -1 if nx is None else state_index[nx]))
        pair_outcomes[(y, j)] = outs
    for y in range(n):
        for j in admissible[(state_agent[y], state_label[y])]:
            if (y, j) not in pair_outcomes:
                if (state_agent[y], state_label[y]) in missing_obs:
                    pair_outcomes[(y, j)] = neutral
                    continue
                bad(f"transitions: missing entry for state {state_ids[y]!r}, successor "
                    f"{(agents + [END])[j]!r}")
                pair_outcomes[(y, j)] = neutral

    # behaviour (missing entries: uniform) -------------------------------------------------------
    obs_succ_lists = [admissible[k] for k in obs_keys]
    beh_lists = [np.full(len(js), 1.0 / max(len(js), 1)) for js in obs_succ_lists]
    for a_name, a, per_obs in per_agent("behavior"):
        for label, dist in per_obs.items():
            where = f"behavior.{a_name}.{label}"
            if (a, label) not in obs_key_index:  # like successors: ignored if no state uses it
                if (a, label) not in admissible:
                    bad(f"{where}: observation {label!r} has no successors entry for agent "
                        f"{a_name!r}{did_you_mean(label, [lb for (b, lb) in obs_keys if b == a])}")
                continue
            js = admissible[(a, label)]
            vec = np.zeros(len(js))
            for jn, p in dist.items():
                if succ_index.get(jn) not in js:
                    bad(f"{where}: {jn!r} is not an admissible successor here")
                    break
                vec[js.index(succ_index[jn])] = _to_float(p)
            else:
                beh_lists[obs_key_index[(a, label)]] = vec

    # the arrays: every numeric and semantic rule is checked by from_arrays ---------------------
    obs_ptr = np.zeros(len(obs_keys) + 1, dtype=np.int64)
    obs_ptr[1:] = np.cumsum([len(js) for js in obs_succ_lists])
    outs_all = [out for y in range(n) for j in obs_succ_lists[state_obs[y]]
                for out in pair_outcomes[(y, j)]]
    out_counts = [len(pair_outcomes[(y, j)]) for y in range(n)
                  for j in obs_succ_lists[state_obs[y]]]
    arr = np.array(outs_all, dtype=float).reshape(-1, 4)
    try:
        model = from_arrays(
            gamma=_to_float(doc["gamma"]), agents=agents, state_agent=state_agent,
            state_obs=state_obs, obs_agent=[a for a, _ in obs_keys], obs_ptr=obs_ptr,
            obs_succ=[j for js in obs_succ_lists for j in js],
            out_ptr=np.concatenate([[0], np.cumsum(out_counts)]), out_prob=arr[:, 0],
            out_dur=arr[:, 1], out_rew=arr[:, 2], out_next=arr[:, 3].astype(np.int64),
            initial=initial, behavior=np.concatenate(beh_lists), state_ids=state_ids,
            obs_labels=[label for _, label in obs_keys], name=doc.get("name", ""))
    except ModelError as exc:
        raise ModelError(problems + exc.problems) from None
    if problems:
        raise ModelError(problems)
    return replace(model, source=doc)


def load(path: str | Path) -> EpochModel:
    """Read and validate an ``icsmdp-epoch/1`` JSON file (``"-"``: standard input).

    The text must be UTF-8 (a byte order mark is ignored); the document is checked against the
    shipped JSON Schema (:func:`schema_path`), then against the semantic rules (:func:`from_dict`).

    Raises
    ------
    ModelError
        With one readable line per problem (field, state, value and rule).
    """
    if str(path) == "-":
        where, data = "<stdin>", sys.stdin.buffer.read()
    else:
        where = str(path)
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise ModelError([f"{where}: cannot read file: {exc.strerror or exc}"]) from None
    return from_dict(parse(data, where))


def replace_arrays(model: EpochModel, **arrays: Any) -> EpochModel:
    """A model with the structure of ``model`` and some of ``out_prob``, ``out_rew``,
    ``initial``, ``behavior`` or ``gamma`` replaced, validated again by :func:`from_dict`
    (docs/theory.md §1).

    A function of the loader rather than a method of :class:`EpochModel`, so that
    :mod:`~icq.reference.model.epoch` does not import the module built on it.
    """
    fields = {f: getattr(model, f) for f in model.__dataclass_fields__}
    return from_dict(EpochModel(**{**fields, **arrays}).to_dict())
