"""Every audit number against an independent, deliberately naive implementation.

The naive side below is written from docs/theory.md §1–§6 alone: it reads the ``icsmdp-epoch/1``
dict itself into dense numpy arrays, solves with plain value iteration and dense linear
algebra, computes κ by brute-force generalized eigenproblems over every assignment b(·), and
never imports ``icq.bounds``. Random instances are built here as dicts (valid by construction:
every pair can end the episode, ν₀ has full support, so the behaviour chain is ergodic and
aperiodic) and loaded with ``icq.reference.model.from_dict``.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import scipy.linalg as sla
import scipy.optimize as so

from icq.bounds import audit
from icq.bounds.budget import icq_limit, theorem_budgets
from icq.reference.model import from_dict

RTOL = 1e-5


# ---------------------------------------------------------------------------------------------
# random instances
# ---------------------------------------------------------------------------------------------


def random_doc(seed: int, *, single_successor: bool = False, max_dur: int = 3,
               random_behavior: bool = False) -> dict:
    rng = np.random.default_rng(seed)
    n_agents = int(rng.integers(2, 4))
    agents = [f"g{i}" for i in range(n_agents)]
    states, succ, by_agent = [], {}, {a: [] for a in agents}
    for a in agents:
        for o in range(int(rng.integers(1, 3))):
            for k in range(int(rng.integers(1, 4))):
                sid = f"{a}.o{o}.{k}"
                states.append({"id": sid, "agent": a, "obs": f"o{o}"})
                by_agent[a].append(sid)
            others = [b for b in agents if b != a] + ["END"]
            size = 1 if single_successor else int(rng.integers(1, len(others) + 1))
            succ.setdefault(a, {})[f"o{o}"] = [str(x) for x in
                                               rng.choice(others, size=size, replace=False)]
    transitions = []
    for s in states:
        for j in succ[s["agent"]][s["obs"]]:
            outs = []
            if j != "END":
                for _ in range(int(rng.integers(1, 3))):
                    outs.append({"prob": float(rng.uniform(0.2, 1.0)),
                                 "duration": int(rng.integers(1, max_dur + 1)),
                                 "reward": float(np.round(rng.normal(), 3)),
                                 "next": str(rng.choice(by_agent[j]))})
            outs.append({"prob": float(rng.uniform(0.05, 0.5)),
                         "duration": int(rng.integers(1, max_dur + 1)),
                         "reward": float(np.round(rng.normal(), 3)), "next": None})
            tot = sum(o["prob"] for o in outs)
            for o in outs:
                o["prob"] /= tot
            transitions.append({"state": s["id"], "successor": j, "outcomes": outs})
    init = rng.uniform(0.1, 1.0, len(states))
    init /= init.sum()
    doc = {"format": "icsmdp-epoch/1", "name": f"random-{seed}",
           "gamma": float(rng.uniform(0.5, 0.95)), "agents": agents, "states": states,
           "initial": {s["id"]: float(p) for s, p in zip(states, init, strict=True)},
           "successors": succ, "transitions": transitions}
    if random_behavior:
        beh = {}
        for a, per in succ.items():
            for o, js in per.items():
                p = rng.uniform(0.1, 1.0, len(js))
                p /= p.sum()
                beh.setdefault(a, {})[o] = {j: float(q) for j, q in zip(js, p, strict=True)}
        doc["behavior"] = beh
    return doc


# ---------------------------------------------------------------------------------------------
# the naive implementation (docs/theory.md only)
# ---------------------------------------------------------------------------------------------


class Naive:
    """Dense arrays read straight from the dict; pairs (y, j) in file order of J(σ(y))."""

    def __init__(self, doc: dict):
        self.g = doc["gamma"]
        ids = [s["id"] for s in doc["states"]]
        self.n = n = len(ids)
        idx = {s: i for i, s in enumerate(ids)}
        self.obs_of = [(s["agent"], s["obs"]) for s in doc["states"]]
        self.obs = sorted(set(self.obs_of))
        self.sigma = [self.obs.index(o) for o in self.obs_of]
        self.J = {o: doc["successors"][o[0]][o[1]] for o in self.obs}
        self.pairs = [(y, j) for y in range(n) for j in self.J[self.obs_of[y]]]
        self.opairs = [(o, j) for o in range(len(self.obs)) for j in self.J[self.obs[o]]]
        P = len(self.pairs)
        self.r = np.zeros(P)
        self.K = np.zeros((P, n))
        self.K2 = np.zeros((P, n))
        self.Pn = np.zeros((P, n))
        self.end = np.zeros(P)
        self.tau = np.zeros(P)
        self.T_max, self.R_bar = 0, 0.0
        tr = {(t["state"], t["successor"]): t["outcomes"] for t in doc["transitions"]}
        for k, (y, j) in enumerate(self.pairs):
            for o in tr[(ids[y], j)]:
                p, d, R = o["prob"], o["duration"], o["reward"]
                self.r[k] += p * R
                self.tau[k] += p * d
                self.T_max = max(self.T_max, d)
                self.R_bar = max(self.R_bar, abs(R))
                if o["next"] is None:
                    self.end[k] += p
                else:
                    self.K[k, idx[o["next"]]] += p * self.g**d
                    self.K2[k, idx[o["next"]]] += p * self.g ** (2 * d)
                    self.Pn[k, idx[o["next"]]] += p
        self.nu0 = np.zeros(n)
        for s, p in doc["initial"].items():
            self.nu0[idx[s]] = p
        self.beh = {}
        for o in self.obs:
            js = self.J[o]
            given = doc.get("behavior", {}).get(o[0], {}).get(o[1])
            self.beh[o] = {j: (given[j] if given else 1.0 / len(js)) for j in js}
        self.gbar = self.K.sum(axis=1).max()

    # -- solves --------------------------------------------------------------------------------
    def pairs_of(self, y):
        return [k for k, (yy, _) in enumerate(self.pairs) if yy == y]

    def vi(self, r, K, pairs_by_state, tol=1e-13):
        q = np.zeros(len(r))
        for _ in range(200_000):
            v = np.array([max(q[k] for k in ks) for ks in pairs_by_state])
            q_new = r + K @ v
            if np.abs(q_new - q).max() < tol:
                return q_new
            q = q_new
        raise AssertionError("value iteration did not converge")

    def stationary(self):
        Pb = np.zeros((self.n, self.n))
        for k, (y, j) in enumerate(self.pairs):
            pb = self.beh[self.obs_of[y]][j]
            Pb[y] += pb * (self.Pn[k] + self.end[k] * self.nu0)
        A = np.vstack([np.eye(self.n) - Pb.T, np.ones(self.n)])
        b = np.zeros(self.n + 1)
        b[-1] = 1
        mu = np.linalg.lstsq(A, b, rcond=None)[0]
        return Pb, mu

    def compute(self, T: int = 1_000_000) -> dict:
        n, out = self.n, {}
        out["gamma_bar"], out["T_max"], out["R_bar"] = self.gbar, self.T_max, self.R_bar
        Pb, mu = self.stationary()
        out["mu"] = mu
        lat_by_state = [self.pairs_of(y) for y in range(n)]
        q_star = self.vi(self.r, self.K, lat_by_state)
        v_star = np.array([max(q_star[k] for k in ks) for ks in lat_by_state])
        # AIS model (docs/theory.md §2)
        n_o = len(self.obs)
        mo = np.array([sum(mu[y] for y in range(n) if self.sigma[y] == o) for o in range(n_o)])
        cond = np.array([mu[y] / mo[self.sigma[y]] for y in range(n)])
        S = np.zeros((n, n_o))
        for y in range(n):
            S[y, self.sigma[y]] = 1
        rhat = np.zeros(len(self.opairs))
        Khat = np.zeros((len(self.opairs), n_o))
        for k, (y, j) in enumerate(self.pairs):
            kk = self.opairs.index((self.sigma[y], j))
            rhat[kk] += cond[y] * self.r[k]
            Khat[kk] += cond[y] * (self.K[k] @ S)
        ais_by_obs = [[k for k, (o, _) in enumerate(self.opairs) if o == oo] for oo in range(n_o)]
        q_hat = self.vi(rhat, Khat, ais_by_obs)
        v_hat = np.array([max(q_hat[k] for k in ks) for ks in ais_by_obs])
        lift = np.array([self.opairs.index((self.sigma[y], j)) for (y, j) in self.pairs])
        # §3
        eps_pair = np.abs(self.r - rhat[lift])
        push = self.K @ S
        diff = push - Khat[lift]
        out["epsilon"] = eps_pair.max()
        out["delta_tv"] = np.abs(diff).sum(axis=1).max() / self.gbar if self.gbar > 0 else 0.0
        out["L_V"] = np.abs(v_hat).max()
        out["ais_gap"] = ((out["epsilon"] + self.gbar * out["L_V"] * out["delta_tv"])
                          / (1 - self.gbar))
        D_pair = np.abs(diff @ v_hat)
        out["ais_gap_value_aware"] = (out["epsilon"] + D_pair.max()) / (1 - self.gbar)
        e = self.vi(eps_pair + D_pair, self.K, lat_by_state)  # iterate from 0: least fixed point
        out["ais_gap_statewise"] = e.max()
        out["ais_gap_exact"] = np.abs(q_star - q_hat[lift]).max()
        # greedy decentralized policy, evaluated exactly in the latent model
        greedy = {o: max(ais_by_obs[o], key=lambda k: (q_hat[k], -k)) for o in range(n_o)}
        Kpi = np.zeros((n, n))
        rpi = np.zeros(n)
        for y in range(n):
            j = self.opairs[greedy[self.sigma[y]]][1]
            k = self.pairs.index((y, j))
            Kpi[y], rpi[y] = self.K[k], self.r[k]
        v_pi = np.linalg.solve(np.eye(n) - Kpi, rpi)
        out["policy_loss_exact"] = (v_star - v_pi).max()
        out["policy_loss_bound"] = 2 * min(out["ais_gap_statewise"], out["ais_gap_value_aware"],
                                           out["ais_gap"], out["ais_gap_exact"] / (1 - self.gbar))
        # §4: d(t) by dense powers
        Pt, ds = np.eye(n), []
        for _ in range(10_000):
            Pt = Pt @ Pb
            ds.append(0.5 * np.abs(Pt - mu).sum(axis=1).max())
            if ds[-1] <= 0.25:
                break
        out["tau_mix"] = len(ds)
        # §5, tabular features on the support
        w = np.array([mo[o] * self.beh[self.obs[o]][j] for (o, j) in self.opairs])
        supp = [k for k in range(len(w)) if w[k] > 0]
        out["omega"] = w[supp].min()
        pw = np.array([mu[y] * self.beh[self.obs_of[y]][j] for (y, j) in self.pairs])
        M = (pw @ self.K2) @ S
        out["M"] = M
        phi = np.zeros((len(self.opairs), len(supp)))
        for c, k in enumerate(supp):
            phi[k, c] = 1.0
        out["kappa"] = self.kappa_bruteforce(phi, w, M, supp)
        kappa = out["kappa"]
        out["epsilon_approx"] = 0.0
        if kappa < 1:
            out["C_F"] = 1 + (1 + self.gbar) / (1 - kappa)
            # θ*: iterate Q ← ΠT̂Q on the support (off-support rows are 0)
            q = np.zeros(len(self.opairs))
            for _ in range(100_000):
                v = np.array([max(q[k] for k in ks) for ks in ais_by_obs])
                t = rhat + Khat @ v
                q_new = np.zeros_like(q)
                q_new[supp] = t[supp]
                if np.abs(q_new - q).max() < 1e-14:
                    break
                q = q_new
            R_theta = np.linalg.norm(q_new[supp])
            G = self.R_bar + 2 * R_theta
            # start law: d(t) = ½‖ν₀P^t − μ‖₁ until ≤ 1e-15; burn-in candidates t = 0, the first
            # t with d(t) ≤ 10⁻ᵏ (k = 1..16) and the last t computed (docs/theory.md §6)
            nu, dnu = self.nu0.copy(), []
            while True:
                dnu.append(0.5 * np.abs(nu - mu).sum())
                if dnu[-1] <= 1e-15 or len(dnu) > 100_000:
                    break
                nu = nu @ Pb
            cands = {0, len(dnu) - 1}
            for k in range(1, 17):
                hit = [t for t, x in enumerate(dnu) if x <= 10.0**-k]
                if hit:
                    cands.add(hit[0])
            best = None
            for tb in sorted(cands):
                if tb >= T:
                    continue
                Tc = T - tb  # noqa: N806
                alpha = 1 / ((1 - kappa) * out["omega"] * (Tc + 1))
                Pt, t_a = np.eye(n), 0
                d = 0.5 * np.abs(Pt - mu).sum(axis=1).max()
                while d > alpha:
                    Pt = Pt @ Pb
                    t_a += 1
                    d = 0.5 * np.abs(Pt - mu).sum(axis=1).max()
                resid = (G**2 * (9 + 24 * (t_a + 1)) * (1 + math.log(Tc))
                         / (Tc * (1 - kappa) ** 2 * out["omega"] ** 2)
                         + 4 * R_theta**2 * min(dnu[tb], 1.0))
                bound = (out["ais_gap"] + math.sqrt(resid)) ** 2
                if best is None or bound < best[0]:
                    best = (bound, t_a, 3 * out["ais_gap"] ** 2 + 3 * resid)
            out["bound"], out["tau_alpha"], out["bound_three_term"] = best
        return out

    def kappa_bruteforce(self, phi, w, M, supp):
        """sup_u E[γ^{2τ} max_b (φᵀu)²]/E[(φᵀu)²] by every assignment b(·) (docs/theory.md §5)."""
        Sig = sum(w[k] * np.outer(phi[k], phi[k]) for k in supp)
        obs_next = [o for o in range(len(self.obs)) if M[o] > 0]
        choices = [[k for k, (oo, _) in enumerate(self.opairs) if oo == o] for o in obs_next]
        best = 0.0
        for assign in itertools.product(*choices):
            N = sum(M[o] * np.outer(phi[k], phi[k]) for o, k in zip(obs_next, assign,
                                                                     strict=True))
            if not np.any(N):
                continue
            best = max(best, sla.eigh(N, Sig, eigvals_only=True).max())
        return math.sqrt(best)


def close(a, b, rtol=RTOL, atol=1e-9):
    return abs(a - b) <= atol + rtol * abs(b)


KEYS = ["gamma_bar", "T_max", "R_bar", "epsilon", "delta_tv", "L_V", "ais_gap",
        "ais_gap_value_aware", "ais_gap_statewise", "ais_gap_exact", "policy_loss_bound",
        "policy_loss_exact", "tau_mix"]


@pytest.mark.parametrize("seed", range(12))
def test_every_key_agrees_with_the_naive_implementation(seed):
    doc = random_doc(seed, random_behavior=seed % 3 == 0, single_successor=seed % 4 == 1)
    nv = Naive(doc).compute()
    j = audit(from_dict(doc)).to_json()
    for key in KEYS:
        assert close(j[key], nv[key]), (key, j[key], nv[key])
    ids = [s["id"] for s in doc["states"]]
    for y, sid in enumerate(ids):
        assert close(j["stationary"][sid], nv["mu"][y], atol=1e-10)
    f = j["features"]
    assert close(f["omega"], nv["omega"])
    assert close(f["kappa"], nv["kappa"])
    assert f["kappa_lower"] <= f["kappa"] <= f["kappa_upper"]
    assert f["epsilon_approx"] == 0.0
    assert f["a6_holds"] == (nv["kappa"] < 1)
    if nv["kappa"] < 1:
        assert close(f["C_F"], nv["C_F"])
        assert j["theorem1"]["applicable"]
        assert j["theorem1"]["tau_mix_alpha_T"] == nv["tau_alpha"]
        assert close(j["theorem1"]["bound"], nv["bound"])
        assert close(j["theorem1"]["bound_three_term"], nv["bound_three_term"])
    else:
        assert not j["theorem1"]["applicable"] and j["theorem1"]["bound"] is None
        assert "A6" in j["theorem1"]["reason"]


@pytest.mark.parametrize("seed", range(40, 70))
def test_lemma_a_chain_and_policy_loss_bound_hold(seed):
    doc = random_doc(seed, random_behavior=seed % 2 == 0, max_dur=4)
    a = audit(from_dict(doc))
    g = a.gaps()
    tol = 1e-9 * (1 + g["paper"])
    assert g["exact"] <= g["statewise"] + tol
    assert g["statewise"] <= g["value_aware"] + tol
    assert g["value_aware"] <= g["paper"] + tol
    assert a.loss_exact.value <= a.policy_loss_bound.value + tol
    for b in a.loss_bounds.values():
        assert a.loss_exact.value <= b.value + tol
    # Theorem 1 is never claimed where A5 or A6 fails
    if a.features.kappa.a6_holds is not True or not a.features.omega.holds:
        assert not a.theorem.applicable and a.theorem.bound is None


def test_kappa_for_general_features_matches_brute_force():
    rng = np.random.default_rng(5)
    checked = 0
    for seed in range(100, 110):
        doc = random_doc(seed)
        m = from_dict(doc)
        nv_obj = Naive(doc)
        nv = nv_obj.compute()
        d = int(rng.integers(2, 4))
        phi = rng.normal(size=(m.n_obs_pairs, d))
        phi /= np.maximum(1.0, np.linalg.norm(phi, axis=1))[:, None] * 1.01
        # the model orders observation pairs by agent, then first appearance: map to naive's
        order = []
        for r in range(m.n_obs_pairs):
            agent, label = m.obs_name(int(m.obs_pair_obs[r]))
            order.append(nv_obj.opairs.index((nv_obj.obs.index((agent, label)),
                                              m.successor_name(m.obs_succ[r]))))
        phi_naive = np.zeros_like(phi)
        phi_naive[order] = phi
        a = audit(m, features=phi)
        f = a.to_json()["features"]
        mu_o = np.bincount(nv_obj.sigma, nv["mu"], minlength=len(nv_obj.obs))
        w = np.array([mu_o[o] * nv_obj.beh[nv_obj.obs[o]][j] for (o, j) in nv_obj.opairs])
        supp = [k for k in range(len(w)) if w[k] > 0]
        Sig = sum(w[k] * np.outer(phi_naive[k], phi_naive[k]) for k in supp)
        if np.linalg.eigvalsh(Sig).min() < 1e-8:
            continue
        assert close(f["omega"], np.linalg.eigvalsh(Sig).min())
        kap = nv_obj.kappa_bruteforce(phi_naive, w, nv["M"], supp)
        assert close(f["kappa"], kap), (f["kappa"], kap)
        assert f["kappa_exact"]
        # Chebyshev fit: the minimax value is unique
        q_hat = a.setting.hat.q
        qs = q_hat[a.features.support.mask]
        ps = phi[a.features.support.mask]
        res = so.linprog(np.r_[np.zeros(d), 1.0],
                         A_ub=np.vstack([np.c_[ps, -np.ones(len(qs))],
                                         np.c_[-ps, -np.ones(len(qs))]]),
                         b_ub=np.r_[qs, -qs], bounds=[(None, None)] * d + [(0, None)])
        assert close(f["epsilon_approx"], res.fun, rtol=1e-6)
        checked += 1
    assert checked >= 4


def test_w1_matches_a_naive_transport_lp_with_sink():
    for seed in (11,):
        doc = random_doc(seed)
        m = from_dict(doc)
        rng = np.random.default_rng(seed)
        pts = rng.uniform(0, 1, size=(m.n_obs, 2))
        metric = np.linalg.norm(pts[:, None] - pts[None], axis=2)
        a = audit(m, metric="w1", obs_metric=metric)
        s = a.setting
        v = s.hat.v
        L = max((abs(v[i] - v[k]) / metric[i, k] for i in range(m.n_obs)
                 for k in range(m.n_obs) if i != k), default=0.0)
        assert close(a.ipm.L_V, L)
        c = max(np.abs(v).max() / L, metric.max() / 2)
        push, khat = s.push.toarray(), s.khat.toarray()
        worst = 0.0
        for k in range(m.n_pairs):
            p, q = push[k], khat[k]
            top = max(p.sum(), q.sum())
            p2, q2 = np.r_[p, top - p.sum()], np.r_[q, top - q.sum()]
            n = m.n_obs + 1
            C = np.full((n, n), c)
            C[:-1, :-1] = metric
            C[-1, -1] = 0
            A_eq, b_eq = [], []
            for i in range(n):
                row = np.zeros((n, n))
                row[i, :] = 1
                A_eq.append(row.ravel())
                b_eq.append(p2[i])
            for i in range(n):
                col = np.zeros((n, n))
                col[:, i] = 1
                A_eq.append(col.ravel())
                b_eq.append(q2[i])
            res = so.linprog(C.ravel(), A_eq=np.array(A_eq), b_eq=b_eq, bounds=(0, None))
            worst = max(worst, res.fun)
            # the sound inequality the sink construction exists for
            assert abs((p - q) @ v) <= L * res.fun + 1e-9
        assert close(a.ipm.d_max, worst, rtol=1e-6, atol=1e-9)
        assert close(a.gap_paper.value, (a.epsilon.value + worst * L) / (1 - m.gamma_bar),
                     rtol=1e-6)


def test_budget_agrees_with_a_naive_scan():
    found = 0
    for seed in range(200, 260):
        doc = random_doc(seed, single_successor=True)
        a = audit(from_dict(doc))
        if not a.theorem.applicable:
            continue
        th = a.theorem.inputs
        gap = icq_limit(a.model, "mu")  # Δ of the Theorem 1 row for the total error in ‖·‖_μ
        target = gap * 1.5 if gap > 0 else 1.0
        b = theorem_budgets(a, target, error="total", norm="mu")[1]
        d = b.details
        assert b.blocked_by is None and d["exact_check"]
        assert b.handoffs == d["burn_in"] + d["clock_handoffs"]
        assert d["handoffs_three_term"] is None or d["handoffs_three_term"] >= b.handoffs
        T = d["clock_handoffs"]  # noqa: N806
        # naive: the Minkowski envelope at T and T − 1 for the chosen burn-in (docs/theory.md
        # §4/§6): (Δ + √(MIX_RATE envelope + 4R_θ²d(t_b)))²
        env = a.mixing.envelope
        kappa, omega, G, R = th["kappa"], th["omega"], th["G"], th["R_theta"]

        def envelope(t, kappa=kappa, omega=omega, G=G, env=env, gap=gap, R=R, d=d["d_burn"]):  # noqa: N803
            alpha = 1 / ((1 - kappa) * omega * (t + 1))
            tau = env.t0 * (1 + math.log(1 / alpha) / math.log(1 / max(env.dbar, 1e-300)))
            rate = G**2 * (9 + 24 * (tau + 1)) * (1 + math.log(t)) / (
                t * (1 - kappa) ** 2 * omega ** 2)
            return (gap + math.sqrt(rate + 4 * R**2 * d)) ** 2

        assert envelope(T) <= target**2 * (1 + 1e-12)
        if T > math.ceil(d["T0"]):
            assert envelope(T - 1) > target**2
        found += 1
        if found >= 3:
            break
    assert found >= 2
