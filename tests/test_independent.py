"""``icq solve`` against an independent implementation of docs/theory.md §1–§2, §4 and FORMAT.md.

Everything on the reference side of these tests is written here from the two documents, with
plain Python over the JSON dict and dense numpy: the file is parsed by hand, ``r̄`` and ``K`` are
summed outcome by outcome, ``Q*`` and ``Q̂*`` come from dense value iteration to a sup-norm
step of 1e-13 (error ≤ γ̄/(1−γ̄)·1e-13 by Lemma C), the behaviour chain's stationary law from a
dense linear solve (cross-checked against a dense eigendecomposition, which also decides
uniform ergodicity: one eigenvalue on the unit circle, and it is simple), and the AIS model
by explicit loops over observations, states, successors and outcomes. Nothing from
``icq.reference`` is used to compute an expected value. Instances are generated here (not the
bundled examples): terminal outcomes, durations that depend on the next state, aliased
observations, transient states whose observations carry no stationary mass, a reducible
behaviour chain, and one model with 1,200 latent states and 8 agents.

Then the reductions: τ ≡ 1 is an ordinary discounted MDP (and tabular IC-Q is then ordinary
Q-learning, step for step), N = 1 is a single-agent SMDP (every epoch ends, μ = ν₀), a relay
agent with one successor folds into a single-agent SMDP with composed options, and a
two-state chain with a closed-form optimum and stationary law.
"""

from __future__ import annotations

import json
import math
import random

import numpy as np
import pytest

from icq.cli import main
from icq.reference.common.rng import Xoshiro
from icq.reference.learners.tabular import TrainConfig, train_tabular
from icq.reference.model import from_dict
from icq.reference.model.generate import random_model

REL = 1e-6  # agreement required: |icq − independent| ≤ REL·max(1, max|independent|)


# ---------------------------------------------------------------------------------------
# Random icsmdp-epoch/1 documents, built as plain dicts
# ---------------------------------------------------------------------------------------


def random_doc(seed: int, n_states: int, n_agents: int, obs_per_agent: int, *,
               max_succ: int = 3, max_out: int = 3, p_end: float = 0.15, gamma: float = 0.9,
               t_max: int = 5, correlated: bool = True, full_initial: bool = True,
               ghost: bool = False, tau_one: bool = False) -> dict:
    """A valid random document (FORMAT.md).

    Every agent has a state; every state can end its episode in one invocation (the last
    outcome of its first admissible successor is terminal), and ν₀ has full support when
    ``full_initial``, so the behaviour chain is irreducible and, with a restart self-loop,
    aperiodic. ``correlated``: an outcome's duration is a fixed function of its next state.
    ``ghost``: one more agent that nobody hands to and ν₀ never starts in (transient states
    whose observations get no stationary mass).
    """
    rng = random.Random(seed)
    agents = [f"ag{i}" for i in range(n_agents)]
    all_agents = agents + (["ghost"] if ghost else [])
    states, of_agent = [], {a: [] for a in all_agents}
    for y in range(max(n_states, len(all_agents))):
        a = all_agents[y % len(all_agents)]
        sid = f"s{y}"
        states.append({"id": sid, "agent": a, "obs": f"o{rng.randrange(obs_per_agent)}"})
        of_agent[a].append(sid)
    dur_of = {s["id"]: rng.randint(1, t_max) for s in states}
    successors: dict[str, dict[str, list[str]]] = {}
    for s in states:
        a, o = s["agent"], s["obs"]
        if o not in successors.setdefault(a, {}):
            cands = [b for b in agents if b != a] + ["END"]
            rng.shuffle(cands)
            successors[a][o] = cands[:rng.randint(1, min(max_succ, len(cands)))]
    transitions = []
    for s in states:
        for idx, j in enumerate(successors[s["agent"]][s["obs"]]):
            m = rng.randint(1, max_out)
            w = [rng.random() + 0.05 for _ in range(m)]
            outs = []
            for k in range(m):
                end = j == "END" or rng.random() < p_end or (idx == 0 and k == m - 1)
                nxt = None if end else rng.choice(of_agent[j])
                if tau_one:
                    dur = 1
                elif correlated and nxt is not None:
                    dur = dur_of[nxt]
                else:
                    dur = rng.randint(1, t_max)
                outs.append({"prob": w[k] / sum(w), "duration": dur,
                             "reward": round(rng.uniform(-1, 1), 6), "next": nxt})
            transitions.append({"state": s["id"], "successor": j, "outcomes": outs})
    starters = [s["id"] for s in states if s["agent"] != "ghost"]
    if not full_initial:
        starters = of_agent[agents[0]]
    iw = [rng.random() + 0.1 for _ in starters]
    behavior = {a: {o: dict(zip(js, _simplex(rng, len(js)), strict=True))
                    for o, js in per.items()} for a, per in successors.items()}
    return {"format": "icsmdp-epoch/1", "name": f"independent-{seed}", "gamma": gamma,
            "agents": all_agents, "states": states,
            "initial": {sid: w / sum(iw) for sid, w in zip(starters, iw, strict=True)},
            "successors": successors, "transitions": transitions, "behavior": behavior}


def _simplex(rng: random.Random, k: int) -> list[float]:
    w = [rng.random() + 0.05 for _ in range(k)]
    return [x / sum(w) for x in w]


# ---------------------------------------------------------------------------------------
# The independent implementation
# ---------------------------------------------------------------------------------------


class Independent:
    """docs/theory.md §1, §2 and §4 for one document, by hand (see the module docstring)."""

    def __init__(self, doc: dict):
        self.doc = doc
        self.gamma = doc["gamma"]
        self.ids = [s["id"] for s in doc["states"]]
        self.index = {sid: y for y, sid in enumerate(self.ids)}
        self.agent = {s["id"]: s["agent"] for s in doc["states"]}
        self.obs = {s["id"]: (s["agent"], s["obs"]) for s in doc["states"]}
        self.obs_keys = sorted(set(self.obs.values()))
        self.obs_index = {o: i for i, o in enumerate(self.obs_keys)}
        n = len(self.ids)
        self.pairs = [(sid, j) for sid in self.ids
                      for j in doc["successors"][self.agent[sid]][self.obs[sid][1]]]
        self.pair_index = {p: k for k, p in enumerate(self.pairs)}
        self.outcomes = {(t["state"], t["successor"]): t["outcomes"] for t in doc["transitions"]}
        self.r = np.zeros(len(self.pairs))
        self.K = np.zeros((len(self.pairs), n))
        self.P = np.zeros((len(self.pairs), n))
        self.p_end = np.zeros(len(self.pairs))
        for k, p in enumerate(self.pairs):
            for o in self.outcomes[p]:
                self.r[k] += o["prob"] * o["reward"]
                if o["next"] is None:
                    self.p_end[k] += o["prob"]
                else:
                    self.K[k, self.index[o["next"]]] += o["prob"] * self.gamma ** o["duration"]
                    self.P[k, self.index[o["next"]]] += o["prob"]
        self.gamma_bar = float(self.K.sum(axis=1).max())
        self.state_of_pair = np.array([self.index[sid] for sid, _ in self.pairs])

    # -- §1: the latent optimum ----------------------------------------------------------
    def value_iteration(self, r: np.ndarray, K: np.ndarray, owner: np.ndarray, n: int,
                        tol: float = 1e-13) -> np.ndarray:
        """Dense value iteration on pairs until the sup-norm step is ≤ tol."""
        q = np.zeros(len(r))
        for _ in range(200_000):
            v = np.full(n, -np.inf)
            np.maximum.at(v, owner, q)
            q_new = r + K @ v
            step = np.abs(q_new - q).max(initial=0.0)
            q = q_new
            if step <= tol:
                return q
        raise AssertionError("value iteration did not converge")  # pragma: no cover

    def q_star(self) -> dict[tuple[str, str], float]:
        q = self.value_iteration(self.r, self.K, self.state_of_pair, len(self.ids))
        return dict(zip(self.pairs, q.tolist(), strict=True))

    # -- §4: the behaviour chain and its stationary law --------------------------------------
    def behaviour(self, sid: str, j: str) -> float:
        a, o = self.obs[sid]
        js = self.doc["successors"][a][o]
        table = (self.doc.get("behavior") or {}).get(a, {}).get(o)
        return table.get(j, 0.0) if table is not None else 1.0 / len(js)

    def chain(self) -> np.ndarray:
        n = len(self.ids)
        nu0 = np.zeros(n)
        for sid, p in self.doc["initial"].items():
            nu0[self.index[sid]] = p
        Pb = np.zeros((n, n))
        for k, (sid, j) in enumerate(self.pairs):
            w = self.behaviour(sid, j)
            Pb[self.index[sid]] += w * (self.P[k] + self.p_end[k] * nu0)
        return Pb

    def stationary(self) -> np.ndarray | None:
        """μ by a dense solve; None when the eigenvalues say the chain is not uniformly
        ergodic (1 not simple, or another eigenvalue on the unit circle)."""
        Pb = self.chain()
        n = len(Pb)
        w, V = np.linalg.eig(Pb.T)  # P_b and P_bᵀ have the same eigenvalues
        if np.sum(np.abs(w) > 1 - 1e-9) != 1:
            return None
        A = np.eye(n) - Pb.T
        A[-1, :] = 1.0
        b = np.zeros(n)
        b[-1] = 1.0
        mu = np.linalg.solve(A, b)
        # the same vector as the eigenvector of P_bᵀ for the eigenvalue 1
        e = np.real(V[:, np.argmin(np.abs(w - 1))])
        np.testing.assert_allclose(mu, e / e.sum(), atol=1e-10)
        # transient states have μ = 0; the dense solve leaves rounding noise (~1e-17) there,
        # which would otherwise decide μ(y|ô) on observations without stationary mass
        mu[np.abs(mu) < 1e-12] = 0.0
        return mu / mu.sum()

    # -- §2: the AIS-induced SMDP, by explicit loops -----------------------------------------
    def q_hat(self, mu: np.ndarray | None) -> dict[tuple[str, str, str], float]:
        members: dict[tuple[str, str], list[str]] = {o: [] for o in self.obs_keys}
        for sid in self.ids:
            members[self.obs[sid]].append(sid)
        weights = [1.0] * len(self.ids) if mu is None else list(mu)
        cond = {}
        for sids in members.values():
            mass = math.fsum(weights[self.index[s]] for s in sids)
            for s in sids:
                cond[s] = weights[self.index[s]] / mass if mass > 0 else 1.0 / len(sids)
        hat_pairs = [(o, j) for o in self.obs_keys for j in self.doc["successors"][o[0]][o[1]]]
        r_hat = np.zeros(len(hat_pairs))
        K_hat = np.zeros((len(hat_pairs), len(self.obs_keys)))
        for h, (o, j) in enumerate(hat_pairs):
            for s in members[o]:
                for out in self.outcomes[(s, j)]:
                    r_hat[h] += cond[s] * out["prob"] * out["reward"]
                    if out["next"] is not None:
                        o2 = self.obs_index[self.obs[out["next"]]]
                        K_hat[h, o2] += cond[s] * out["prob"] * self.gamma ** out["duration"]
        owner = np.array([self.obs_index[o] for o, _ in hat_pairs])
        q = self.value_iteration(r_hat, K_hat, owner, len(self.obs_keys))
        return {(o[0], o[1], j): float(x) for (o, j), x in zip(hat_pairs, q, strict=True)}


# ---------------------------------------------------------------------------------------
# Comparing with the command line
# ---------------------------------------------------------------------------------------


def icq_solve(doc: dict, tmp_path, capsys, *extra: str) -> dict:
    path = tmp_path / f"{doc['name']}.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    capsys.readouterr()
    code = main(["solve", str(path), "--json", *extra])
    out = capsys.readouterr()
    assert code == 0, out.err
    return json.loads(out.out)


def close(ours: dict, theirs: dict, what: str) -> None:
    assert ours.keys() == theirs.keys(), what
    scale = max(1.0, max(abs(v) for v in theirs.values()))
    worst = max(abs(ours[k] - theirs[k]) for k in theirs)
    assert worst <= REL * scale, f"{what}: max difference {worst:.3g} (scale {scale:.3g})"


def agree(doc: dict, tmp_path, capsys, *extra: str, ergodic: bool | None = True
          ) -> Independent:
    """Run ``icq solve --json`` and the independent implementation; compare every number."""
    out = icq_solve(doc, tmp_path, capsys, *extra)
    ind = Independent(doc)
    assert out["gamma_bar"] == pytest.approx(ind.gamma_bar, rel=1e-12)
    close({(r["state"], r["successor"]): r["q"] for r in out["q_latent"]}, ind.q_star(), "Q*")
    mu = ind.stationary()
    if ergodic is not None:
        assert (mu is not None) == ergodic
    if mu is None:
        assert out["stationary"] is None
    else:
        got = np.array([out["stationary"][sid] for sid in ind.ids])
        np.testing.assert_allclose(got, mu, rtol=REL, atol=1e-12)
    close({(r["agent"], r["obs"], r["successor"]): r["q"] for r in out["q_ais"]},
          ind.q_hat(mu), "Q̂*")
    return ind


# ---------------------------------------------------------------------------------------
# Agreement on generated instances
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed, method", [(1, "pi"), (2, "pi"), (3, "vi")])
def test_agreement_terminal_correlated_durations_aliased(seed, method, tmp_path, capsys):
    doc = random_doc(seed, n_states=40, n_agents=3, obs_per_agent=3)
    assert any(o["next"] is None for t in doc["transitions"] for o in t["outcomes"])
    ind = agree(doc, tmp_path, capsys, "--method", method, "--tol", "1e-11")
    assert len(ind.obs_keys) < len(ind.ids)  # aliased
    # durations are a function of the next state
    seen: dict[str, set[int]] = {}
    for t in doc["transitions"]:
        for o in t["outcomes"]:
            if o["next"] is not None:
                seen.setdefault(o["next"], set()).add(o["duration"])
    assert all(len(d) == 1 for d in seen.values()) and len({min(d) for d in seen.values()}) > 1


def test_agreement_transient_states_get_uniform_weights(tmp_path, capsys):
    """A ghost agent nobody reaches: μ = 0 on its states, so μ(y|ô) is uniform there (§2)."""
    doc = random_doc(7, n_states=30, n_agents=3, obs_per_agent=2, ghost=True)
    ind = agree(doc, tmp_path, capsys)
    mu = ind.stationary()
    ghosts = [ind.index[s] for s in ind.ids if ind.agent[s] == "ghost"]
    assert ghosts and np.all(mu[ghosts] == 0.0) and mu.sum() == pytest.approx(1.0)


def test_agreement_reducible_chain_uses_uniform_weights(tmp_path, capsys):
    """Two never-ending loops both reached from ν₀: two closed classes, no stationary law."""
    loop = [{"prob": 1.0, "duration": d, "reward": r, "next": nx}
            for d, r, nx in ((1, 0.5, "b1"), (2, -0.25, "a1"), (3, 1.0, "b2"), (1, 0.1, "a2"))]
    doc = {"format": "icsmdp-epoch/1", "name": "two-loops", "gamma": 0.8, "agents": ["a", "b"],
           "states": [{"id": sid, "agent": sid[0], "obs": "x" if sid[0] == "a" else "y"}
                      for sid in ("a1", "a2", "b1", "b2")],
           "initial": {"a1": 0.5, "a2": 0.5},
           "successors": {"a": {"x": ["b"]}, "b": {"y": ["a"]}},
           "transitions": [{"state": "a1", "successor": "b", "outcomes": [loop[0]]},
                           {"state": "b1", "successor": "a", "outcomes": [loop[1]]},
                           {"state": "a2", "successor": "b", "outcomes": [loop[2]]},
                           {"state": "b2", "successor": "a", "outcomes": [loop[3]]}]}
    out = icq_solve(doc, tmp_path, capsys)
    assert out["stationary"] is None and "reducible" in out["stationary_status"]
    agree(doc, tmp_path, capsys, ergodic=False)


def test_agreement_1200_states_8_agents(tmp_path, capsys):
    doc = random_doc(11, n_states=1200, n_agents=8, obs_per_agent=12, max_succ=3, max_out=3)
    ind = agree(doc, tmp_path, capsys)
    assert len(ind.ids) == 1200 and len(doc["agents"]) == 8 and len(ind.obs_keys) <= 96


def test_agreement_generated_model_round_trip(tmp_path, capsys):
    """The array generator's model, written out with ``to_dict``, agrees too."""
    m = random_model(300, n_agents=5, obs_per_agent=6, successors=3, outcomes=3,
                     duration="next", behavior="random", seed=4)
    doc = m.to_dict()
    doc["name"] = "generated"
    agree(doc, tmp_path, capsys)


def test_comparison_has_power(tmp_path, capsys):
    """Negative control: a reward moved by 1e-3 in one outcome is caught."""
    doc = random_doc(5, n_states=20, n_agents=3, obs_per_agent=2)
    out = icq_solve(doc, tmp_path, capsys)
    bad = json.loads(json.dumps(doc))
    bad["transitions"][0]["outcomes"][0]["reward"] += 1e-3
    q = {(r["state"], r["successor"]): r["q"] for r in out["q_latent"]}
    with pytest.raises(AssertionError):
        close(q, Independent(bad).q_star(), "Q*")


# ---------------------------------------------------------------------------------------
# Reductions
# ---------------------------------------------------------------------------------------


def test_tau_one_is_an_ordinary_discounted_mdp(tmp_path, capsys):
    """τ ≡ 1: K = γP, so Q* is the optimum of the MDP with discount γ (Q-learning's fixed
    point), computed here with γ and the undiscounted transition law only."""
    doc = random_doc(21, n_states=60, n_agents=4, obs_per_agent=60, tau_one=True)
    out = icq_solve(doc, tmp_path, capsys)
    ind = Independent(doc)
    q = ind.value_iteration(ind.r, doc["gamma"] * ind.P, ind.state_of_pair, len(ind.ids))
    close({(r["state"], r["successor"]): r["q"] for r in out["q_latent"]},
          dict(zip(ind.pairs, q.tolist(), strict=True)), "Q* vs the γ-discounted MDP")
    cont = ind.P.sum(axis=1).max()
    assert out["gamma_bar"] == pytest.approx(doc["gamma"] * cont, rel=1e-12)


def test_tau_one_tabular_icq_is_ordinary_q_learning():
    """With τ ≡ 1 the compiled IC-Q update is Q-learning's ``q + α(r + γ max q' − q)``: a plain
    Q-learning loop with discount γ, on the same random stream, gives the same table."""
    doc = random_doc(22, n_states=12, n_agents=3, obs_per_agent=12, tau_one=True)
    m = from_dict(doc)
    steps, omega = 20_000, 0.7
    res = train_tabular(m, TrainConfig(handoffs=steps, seed=3, omega=omega))

    # the same table layout as the file: observations by agent, then first appearance
    obs_order: list[tuple[str, str]] = []
    for a in doc["agents"]:
        for s in doc["states"]:
            if s["agent"] == a and (a, s["obs"]) not in obs_order:
                obs_order.append((a, s["obs"]))
    entries = [(o, j) for o in obs_order for j in doc["successors"][o[0]][o[1]]]
    entry = {e: i for i, e in enumerate(entries)}
    state = {s["id"]: s for s in doc["states"]}
    outs = {(t["state"], t["successor"]): t["outcomes"] for t in doc["transitions"]}
    ids = [s["id"] for s in doc["states"]]
    init = [doc["initial"].get(sid, 0.0) for sid in ids]

    def pick(probs: list[float], u: float) -> int:
        c = 0.0
        for i, p in enumerate(probs[:-1]):
            c += p
            if u < c:
                return i
        return len(probs) - 1

    rs = Xoshiro(3)
    q = [0.0] * len(entries)
    visits = [0] * len(entries)
    y = min(int(np.searchsorted(np.cumsum(init), rs.random(), side="right")), len(ids) - 1)
    gamma = doc["gamma"]
    for _ in range(steps):
        o = (state[ids[y]]["agent"], state[ids[y]]["obs"])
        js = doc["successors"][o[0]][o[1]]
        j = js[pick([doc["behavior"][o[0]][o[1]][b] for b in js], rs.random())]
        out = outs[(ids[y], j)][pick([x["prob"] for x in outs[(ids[y], j)]], rs.random())]
        if out["next"] is None:
            target = out["reward"]
            y = pick(init, rs.random())
        else:
            s2 = state[out["next"]]
            o2 = (s2["agent"], s2["obs"])
            target = out["reward"] + gamma * max(q[entry[(o2, b)]]
                                                 for b in doc["successors"][o2[0]][o2[1]])
            y = ids.index(out["next"])
        a = entry[(o, j)]
        visits[a] += 1
        q[a] += (target - q[a]) / visits[a] ** omega
    np.testing.assert_allclose(res.q, q, rtol=1e-9, atol=1e-12)
    assert res.visits.sum() == steps


def test_single_agent_every_epoch_ends(tmp_path, capsys):
    """N = 1: the only successor is END, so Q* = r̄, P_b = 1ν₀ᵀ and μ = ν₀, and Q̂* is the
    ν₀-weighted mean of r̄ over each observation (uniform where ν₀ gives it no mass)."""
    rng = random.Random(31)
    states = [{"id": f"s{y}", "agent": "solo", "obs": f"o{y % 3}"} for y in range(9)]
    transitions = []
    for s in states:
        outs = [{"prob": p, "duration": rng.randint(1, 4), "reward": rng.uniform(-2, 2),
                 "next": None} for p in (0.25, 0.75)]
        transitions.append({"state": s["id"], "successor": "END", "outcomes": outs})
    initial = {"s0": 0.2, "s1": 0.3, "s3": 0.5}  # o2 gets no mass
    doc = {"format": "icsmdp-epoch/1", "name": "solo", "gamma": 0.7, "agents": ["solo"],
           "states": states, "initial": initial,
           "successors": {"solo": {f"o{k}": ["END"] for k in range(3)}},
           "transitions": transitions}
    out = icq_solve(doc, tmp_path, capsys)
    rbar = {t["state"]: sum(o["prob"] * o["reward"] for o in t["outcomes"])
            for t in transitions}
    close({r["state"]: r["q"] for r in out["q_latent"]}, rbar, "Q* = r̄")
    assert out["gamma_bar"] == 0.0
    mu = {s["id"]: initial.get(s["id"], 0.0) for s in states}
    close(out["stationary"], mu, "μ = ν₀")
    expect = {}
    for k in range(3):
        members = [s["id"] for s in states if s["obs"] == f"o{k}"]
        mass = sum(mu[s] for s in members)
        expect[f"o{k}"] = (sum(mu[s] * rbar[s] for s in members) / mass if mass
                           else sum(rbar[s] for s in members) / len(members))
    close({r["obs"]: r["q"] for r in out["q_ais"]}, expect, "Q̂*")


def test_relay_agent_folds_into_a_single_agent_smdp(tmp_path, capsys):
    """A boss chooses between a relay (which can only hand back) and END. Folding each relay
    visit into the boss's option (R = R₁ + γ^{τ₁} R₂, τ = τ₁ + τ₂) gives a single-agent SMDP
    on the boss's states; its optimum, by value iteration with discount γ^τ, is icq's Q*."""
    rng = random.Random(41)
    g = 0.85
    boss = [f"b{i}" for i in range(5)]
    relay = [f"r{i}" for i in range(4)]
    states = ([{"id": b, "agent": "boss", "obs": b} for b in boss]
              + [{"id": r, "agent": "relay", "obs": "any"} for r in relay])
    out1 = {b: [(p, rng.randint(1, 3), rng.uniform(-1, 1), rng.choice(relay))
                for p in (0.5, 0.3, 0.2)] for b in boss}
    out2 = {r: [(0.6, rng.randint(1, 3), rng.uniform(-1, 1), rng.choice(boss)),
                (0.4, rng.randint(1, 3), rng.uniform(-1, 1), None)] for r in relay}
    stop = {b: rng.uniform(0, 2) for b in boss}

    def outcomes(rows):
        return [{"prob": p, "duration": d, "reward": r, "next": nx} for p, d, r, nx in rows]

    doc = {"format": "icsmdp-epoch/1", "name": "relay", "gamma": g, "agents": ["boss", "relay"],
           "states": states, "initial": {b: 1 / len(boss) for b in boss},
           "successors": {"boss": {b: ["relay", "END"] for b in boss},
                          "relay": {"any": ["boss"]}},
           "transitions": (
               [{"state": b, "successor": "relay", "outcomes": outcomes(out1[b])} for b in boss]
               + [{"state": b, "successor": "END",
                   "outcomes": [{"prob": 1.0, "duration": 1, "reward": stop[b], "next": None}]}
                  for b in boss]
               + [{"state": r, "successor": "boss", "outcomes": outcomes(out2[r])}
                  for r in relay])}
    out = icq_solve(doc, tmp_path, capsys)
    # the folded single-agent SMDP: option "relay" from b, composed outcome by outcome
    reward = {b: 0.0 for b in boss}
    kern = {b: {b2: 0.0 for b2 in boss} for b in boss}
    for b in boss:
        for p1, d1, r1, mid in out1[b]:
            for p2, d2, r2, nx in out2[mid]:
                reward[b] += p1 * p2 * (r1 + g**d1 * r2)
                if nx is not None:
                    kern[b][nx] += p1 * p2 * g ** (d1 + d2)
    v = {b: 0.0 for b in boss}
    for _ in range(10_000):
        q_relay = {b: reward[b] + sum(kern[b][b2] * v[b2] for b2 in boss) for b in boss}
        new = {b: max(q_relay[b], stop[b]) for b in boss}
        step = max(abs(new[b] - v[b]) for b in boss)
        v = new
        if step <= 1e-14:
            break
    got = {(r["state"], r["successor"]): r["q"] for r in out["q_latent"]}
    close({b: got[(b, "relay")] for b in boss}, q_relay, "Q*(b, relay)")
    close({b: got[(b, "END")] for b in boss}, stop, "Q*(b, END)")


@pytest.mark.parametrize("r0", [0.5, 5.0])
def test_two_state_chain_closed_form(r0, tmp_path, capsys):
    """a → b → a with exits: with c = r₁ + γ^{d₁} r̄_b and ρ = p γ^{d₁+d₂},
    V(a) = max(r₀, c/(1−ρ)) (the fixed point of V = max(r₀, c + ρV)); Q*(a,b) = c + ρV(a),
    Q*(b,a) = r̄_b + pγ^{d₂}V(a); γ̄ = max(γ^{d₁}, pγ^{d₂}); under π_b(b|a) = ½ and ν₀ = δ_a,
    μ = (2/3, 1/3)."""
    g, d1, d2, d3, p, r1, r2, r3 = 0.9, 2, 1, 3, 0.6, 1.0, 0.5, -0.5
    doc = {"format": "icsmdp-epoch/1", "name": "two", "gamma": g, "agents": ["A", "B"],
           "states": [{"id": "a", "agent": "A", "obs": "x"},
                      {"id": "b", "agent": "B", "obs": "z"}],
           "initial": {"a": 1.0},
           "successors": {"A": {"x": ["B", "END"]}, "B": {"z": ["A"]}},
           "transitions": [
               {"state": "a", "successor": "B",
                "outcomes": [{"prob": 1.0, "duration": d1, "reward": r1, "next": "b"}]},
               {"state": "a", "successor": "END",
                "outcomes": [{"prob": 1.0, "duration": 1, "reward": r0, "next": None}]},
               {"state": "b", "successor": "A",
                "outcomes": [{"prob": p, "duration": d2, "reward": r2, "next": "a"},
                             {"prob": 1 - p, "duration": d3, "reward": r3, "next": None}]}]}
    out = icq_solve(doc, tmp_path, capsys)
    rb = p * r2 + (1 - p) * r3
    c, rho = r1 + g**d1 * rb, p * g ** (d1 + d2)
    va = max(r0, c / (1 - rho))
    assert (va == r0) == (r0 == 5.0)  # one case each way
    expect = {("a", "B"): c + rho * va, ("a", "END"): r0, ("b", "A"): rb + p * g**d2 * va}
    close({(r["state"], r["successor"]): r["q"] for r in out["q_latent"]}, expect, "Q*")
    close({(r["obs"], r["successor"]): r["q"] for r in out["q_ais"]},
          {("x", "B"): expect[("a", "B")], ("x", "END"): r0, ("z", "A"): expect[("b", "A")]},
          "Q̂* (no aliasing)")
    assert out["gamma_bar"] == pytest.approx(max(g**d1, p * g**d2), rel=1e-12)
    close(out["stationary"], {"a": 2 / 3, "b": 1 / 3}, "μ")
