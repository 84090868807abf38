"""The four-agent system as an exact epoch-level IC-SMDP, and the predefined workflows.

Latent epoch state: (active agent, :class:`~.agents.Status`); agent ``i`` observes only the
4-bit status (:attr:`Status.obs`). Admissible successors depend on the observation only
(Assumption 1(iii)): the commissioner opens with the thinker (status ``0000``) and concludes
(END) otherwise; the thinker hands to the editor; the editor hands a reworked or judged-correct
answer to the commissioner (conclude), one judged incorrect to the commissioner or thinker, an
unchecked one to the commissioner, thinker or checker; the checker to the editor or thinker.
Every workflow therefore ends: each handoff back to the thinker or checker reworks or checks.
One call is one primitive step, the thinker's 1-3 steps.
Reward: 1 when the editor concludes with a correct answer, i.e. when the editor's invocation
hands a correct final answer to the commissioner (paid in that invocation, so it is a function
of the editor's own step; the commissioner's closing step pays nothing).

>>> from .agents import calibrate
>>> from .settings import TABLE1, FREE, COMMON
>>> p = calibrate(TABLE1["mathqa"], **FREE["mathqa"])
>>> {w: round(workflow_accuracy(p, w), 6) for w in WORKFLOWS}
{'cot': 0.833, 'reflection': 0.825, 'combine_e': 0.836, 'combine_t': 0.823}
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from icq.experiments.llm.agents import ROLES, SimParams, SimulatedAgent, Status
from icq.reference.model import END, EpochModel, from_dict

__all__ = ["WORKFLOWS", "SUCCESSORS", "workflow_accuracy", "build_model", "success_probability",
           "script_policy", "reachable_sequences", "state_id"]

#: the predefined workflows as fixed sequences of agents; the final commissioner concludes
WORKFLOWS = {
    "cot": ("commissioner", "thinker", "editor", "commissioner"),
    "reflection": ("commissioner", "thinker", "editor", "thinker", "editor", "commissioner"),
    "combine_e": ("commissioner", "thinker", "editor", "checker", "editor", "commissioner"),
    "combine_t": ("commissioner", "thinker", "editor", "checker", "thinker", "editor",
                  "commissioner"),
}


def SUCCESSORS(agent: str, obs: str) -> list[str]:  # noqa: N802 - a table, as a function
    """Admissible successors of ``agent`` at observation ``obs``."""
    if agent == "commissioner":
        return ["thinker"] if obs == "0000" else [END]
    if agent == "editor":
        modified, checked, judged = obs[1] == "1", obs[2] == "1", obs[3] == "1"
        if modified or judged:
            return ["commissioner"]
        return ["commissioner", "thinker"] if checked else ["commissioner", "thinker", "checker"]
    return {"thinker": ["editor"], "checker": ["editor", "thinker"]}[agent]


def _success(st: Status) -> float:
    return 1.0 if st.correct and st.author == "editor" else 0.0


def workflow_accuracy(params: SimParams, workflow: str) -> float:
    """Exact accuracy of a predefined workflow: enumerate the simulators' laws along it."""
    agents = {r: SimulatedAgent(r, params) for r in ROLES}
    dist = {Status(): 1.0}
    for name in WORKFLOWS[workflow][:-1]:
        new: dict[Status, float] = defaultdict(float)
        for st, p in dist.items():
            for q, st2 in agents[name].outcomes(st):
                new[st2] += p * q
        dist = new
    return float(sum(p * _success(st) for st, p in dist.items()))


def state_id(agent: str, st: Status) -> str:
    return f"{agent}|{st.author or '-'}|{'right' if st.correct else 'wrong'}|{st.obs}"


def build_model(params: SimParams, *, gamma: float, thinker_steps=(1, 2, 3),
                name: str = "multi-agent-reasoning") -> EpochModel:
    """The exact epoch model over the states reachable from (commissioner, no answer)."""
    agents = {r: SimulatedAgent(r, params) for r in ROLES}
    start = ("commissioner", Status())
    seen, queue, trans = {start}, [start], []
    states, succ, beh = [], defaultdict(dict), defaultdict(dict)
    while queue:
        a, st = queue.pop()
        sid = state_id(a, st)
        states.append({"id": sid, "agent": a, "obs": st.obs})
        js = SUCCESSORS(a, st.obs)
        succ[a][st.obs] = js
        beh[a][st.obs] = {j: 1.0 / len(js) for j in js}
        durs = thinker_steps if a == "thinker" else (1,)
        for j in js:
            outs = []
            for p, st2 in agents[a].outcomes(st):
                for tau in durs:
                    pr = p / len(durs)
                    reward = _success(st2) if (a, j) == ("editor", "commissioner") else 0.0
                    if j == END:
                        outs.append({"prob": pr, "duration": tau, "reward": 0.0, "next": None})
                    else:
                        nxt = (j, st2)
                        if nxt not in seen:
                            seen.add(nxt)
                            queue.append(nxt)
                        outs.append({"prob": pr, "duration": tau, "reward": reward,
                                     "next": state_id(j, st2)})
            trans.append({"state": sid, "successor": j, "outcomes": outs})
    doc = {"format": "icsmdp-epoch/1", "name": name, "gamma": gamma, "agents": list(ROLES),
           "states": states, "initial": {state_id(*start): 1.0}, "successors": dict(succ),
           "transitions": trans, "behavior": dict(beh)}
    return from_dict(doc)


def success_probability(model: EpochModel, obs_policy: np.ndarray, horizon: int = 500
                        ) -> float:
    """P(the episode ends with a correct editor's answer) under a decentralized policy,
    undiscounted: the distribution over latent states is pushed ``horizon`` handoffs (mass of a
    policy that never concludes counts as failure)."""
    pi = np.asarray(obs_policy, dtype=float)[model.pair_obs_pair]
    dist = model.initial.copy()
    total = 0.0
    w = pi * model.reward
    for _ in range(horizon):
        pair_mass = dist[model.pair_state] * pi
        total += float(dist[model.pair_state] @ w)
        dist = np.asarray(model.P.T @ pair_mass).ravel()
        if dist.sum() < 1e-15:
            break
    return total


def script_policy(model: EpochModel, workflow: str) -> np.ndarray | None:
    """The workflow as a decentralized policy on ``model`` (None if no stationary policy on the
    4-bit observation follows it on every branch)."""
    seq = WORKFLOWS[workflow]
    choice: dict[int, int] = {}
    frontier = {int(np.flatnonzero(model.initial > 0)[0])}
    for step, _agent in enumerate(seq):
        nxt_agent = seq[step + 1] if step + 1 < len(seq) else END
        new = set()
        for y in frontier:
            o = int(model.state_obs[y])
            lo, hi = model.obs_ptr[o], model.obs_ptr[o + 1]
            names = [model.successor_name(int(j)) for j in model.obs_succ[lo:hi]]
            if nxt_agent not in names:
                return None
            k = lo + names.index(nxt_agent)
            if choice.setdefault(o, k) != k:
                return None
            pair = model.pair_ptr[y] + names.index(nxt_agent)
            row = model.P[pair]
            new |= set(row.indices[row.data > 0].tolist())
        frontier = new
    pi = np.zeros(model.n_obs_pairs)
    for o in range(model.n_obs):
        pi[choice.get(o, model.obs_ptr[o])] = 1.0
    return pi


def reachable_sequences(model: EpochModel, obs_policy: np.ndarray, max_len: int = 12
                        ) -> set[tuple[str, ...]]:
    """Agent sequences (ending with the concluding agent) reachable under a deterministic
    decentralized policy; a sequence cut at ``max_len`` ends with ``"..."``."""
    pi = np.asarray(obs_policy)
    out: set[tuple[str, ...]] = set()
    stack = [(int(np.flatnonzero(model.initial > 0)[0]), ())]
    while stack:
        y, seq = stack.pop()
        seq = (*seq, model.agents[model.state_agent[y]])
        if len(seq) > max_len:
            out.add((*seq, "..."))
            continue
        o = int(model.state_obs[y])
        lo = model.obs_ptr[o]
        m = int(np.argmax(pi[lo:model.obs_ptr[o + 1]]))
        if model.obs_succ[lo + m] == model.END:
            out.add(seq)
            continue
        row = model.P[model.pair_ptr[y] + m]
        for y2 in sorted(set(row.indices[row.data > 0].tolist())):
            stack.append((y2, seq))
    return out
