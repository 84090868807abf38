"""The primitive-level IC-SMDP and its exact reduction to the epoch model (docs/theory.md §1).

What is asserted:

- (a) the reduction agrees with a Monte Carlo simulation of the primitive dynamics on r̄(y,j),
  E[R²|y,j], K(y'|y,j) = E[γ^τ 1{Y'=y'}] and the duration law, within 5 standard errors, and a
  deliberately wrong reduction (reward discounted one step too much; durations one step too
  long) is caught by the same check (negative controls);
- (b) analytic cases: T_max = 1 gives τ ≡ 1, K = γ·P and r̄ = E[r]; β ≡ p gives the truncated
  geometric duration law and the closed form of E[γ^τ];
- (c) N = 1 is a single-agent SMDP with one option (END) per state whose value is the
  finite-horizon killed-chain value of π^loc, computed here by backward induction;
- (d) the reduced model satisfies FORMAT.md (loads through ``from_dict``) and round-trips;
- (e) every validation rule raises a ``ValueError`` naming the field and the rule.
"""

from __future__ import annotations

import copy
import json
import math
import re

import numpy as np
import pytest

from icq.reference.exact.solve import solve
from icq.reference.model import ModelError, from_dict
from icq.reference.model.primitive import (
    PrimitiveICSMDP,
    geometric_handoff,
    invocation_law,
    reduce_to_epoch,
    simulate,
    to_epoch_dict,
)

Z_TOL = 5.0  # standard errors


# ---------------------------------------------------------------------------------------
# Random primitive models, valid by construction (normalise, never filter)
# ---------------------------------------------------------------------------------------


def _normalise(a: np.ndarray, axes) -> np.ndarray:
    return a / a.sum(axis=axes, keepdims=True)


def random_fields(seed: int, *, n_agents: int = 2, S: int = 2, Z: int = 2,  # noqa: N803
                  X: tuple[int, ...] | None = None, A: tuple[int, ...] | None = None,
                  n_obs: tuple[int, ...] | None = None, T_max: int = 3,  # noqa: N803
                  gamma: float = 0.9, beta: tuple[float, float] = (0.2, 0.8),
                  j_axis: bool = True, sparsity: float = 0.5) -> dict:
    """Keyword arguments of a random valid ``PrimitiveICSMDP``."""
    rng = np.random.default_rng(seed)
    n = n_agents
    X = X or tuple(int(v) for v in rng.integers(1, 3, n))  # noqa: N806
    A = A or (2,) * n  # noqa: N806
    n_obs = n_obs or tuple(min(2, Z * X[i]) for i in range(n))
    J = n + 1 if j_axis else 1  # noqa: N806
    obs, succ, pol, ker, rew, term, beh = [], [], [], [], [], [], []
    for i in range(n):
        obs.append(rng.integers(0, n_obs[i], (Z, X[i])))
        mask = rng.random((n_obs[i], n + 1)) < 0.6
        mask[:, i] = False
        allowed = [j for j in range(n + 1) if j != i]
        for row in mask:
            if not row.any():
                row[rng.choice(allowed)] = True
        succ.append(mask)
        pol.append(_normalise(rng.random((n_obs[i], A[i])) + 0.2, 1))
        m = S * Z * X[i]
        raw = rng.random((S, Z, X[i], A[i], J, m)) * (rng.random((S, Z, X[i], A[i], J, m))
                                                      < sparsity)
        np.put_along_axis(raw, rng.integers(0, m, (S, Z, X[i], A[i], J, 1)), 1.0, axis=-1)
        ker.append(_normalise(raw, -1).reshape(S, Z, X[i], A[i], J, S, Z, X[i]))
        rew.append(rng.uniform(0.0, 2.0, (S, Z, X[i], A[i], J)))
        term.append(rng.uniform(*beta, (S, Z, X[i])))
        beh.append(_normalise((rng.random(mask.shape) + 0.1) * mask, 1))
    shape = (n, S, Z, *X)
    init = rng.random(shape) * (rng.random(shape) < 0.3)
    init.flat[rng.integers(init.size)] += 1.0
    return dict(observation=tuple(obs), successors=tuple(succ), local_policy=tuple(pol),
                kernel=tuple(ker), reward=tuple(rew), termination=tuple(term),
                initial=init / init.sum(), gamma=gamma, T_max=T_max, behavior=tuple(beh))


def random_model(seed: int, **kw) -> PrimitiveICSMDP:
    return PrimitiveICSMDP(**random_fields(seed, **kw))


def epoch_tuple(model: PrimitiveICSMDP, sid: str) -> tuple[int, ...]:
    """Inverse of ``state_id``: ``"agent|s|z|x_1,...,x_N"`` → ``(i, s, z, x_1..x_N)``."""
    agent, s, z, x = sid.rsplit("|", 3)
    return (model.agents.index(agent), int(s), int(z), *(int(v) for v in x.split(",")))


def one_step(model: PrimitiveICSMDP, y, j) -> tuple[np.ndarray, np.ndarray]:
    """Independently of the DP: ``P(u_1 = ·)`` and ``E[r_0]`` of one step from ``y`` under ``j``."""
    i, s, z = y[0], y[1], y[2]
    x = y[3 + i]
    kj = j if model.kernel[i].shape[4] > 1 else 0
    rj = j if model.reward[i].shape[4] > 1 else 0
    pi = model.local_policy[i][model.observation[i][z, x]]
    p1 = np.einsum("a,auvw->uvw", pi, model.kernel[i][s, z, x, :, kj])
    r0 = float(pi @ model.reward[i][s, z, x, :, rj])
    return p1, r0


# ---------------------------------------------------------------------------------------
# (a) reduction vs Monte Carlo, with negative controls
# ---------------------------------------------------------------------------------------


def mc_check(model, em, inv, *, reward=None, K=None, dur=None):  # noqa: N803
    """Boolean arrays: is each sampled statistic within Z_TOL standard errors of the exact one?

    Standard errors use max(sample sd, exact sd) so that unobserved rare outcomes still count.
    Only pairs with at least 100 samples are compared. Returns (checks, tested pairs).
    """
    n_ag, n_st, T = model.n_agents, em.n_states, model.T_max  # noqa: N806
    reward = em.reward if reward is None else reward
    K = em.K.toarray() if K is None else K  # noqa: N806
    K2 = em.K2.toarray()  # noqa: N806
    if dur is None:
        dur = np.bincount(em.out_pair * T + em.out_dur - 1, em.out_prob,
                          minlength=em.n_pairs * T).reshape(em.n_pairs, T)
    index = {sid: y for y, sid in enumerate(em.state_ids)}

    def to_index(rows: np.ndarray) -> np.ndarray:
        uniq, inv_idx = np.unique(rows, axis=0, return_inverse=True)
        ids = np.array([-1 if r[0] < 0 else index[model.state_id(r)] for r in uniq])
        return ids[inv_idx.reshape(-1)]

    ys, nxt = to_index(inv.state), to_index(inv.next)
    pair_lookup = np.full(n_st * (n_ag + 1), -1)
    pair_lookup[em.pair_state * (n_ag + 1) + em.pair_succ] = np.arange(em.n_pairs)
    ks = pair_lookup[ys * (n_ag + 1) + inv.successor]
    assert (ks >= 0).all(), "a sampled (y, j) is not a pair of the reduced model"
    assert ((nxt < 0) == (inv.successor == n_ag)).all(), "episode ends iff j = END"
    assert (inv.duration >= 1).all() and (inv.duration <= T).all()
    assert np.abs(inv.reward).max() <= model.reward_bound * (1 + 1e-12)

    n_k = np.bincount(ks, minlength=em.n_pairs).astype(float)
    tested = n_k >= 100
    n_safe = np.maximum(n_k, 1.0)

    def within(s1, s2, exact, exact_var, n):
        mean = s1 / n
        sd = np.sqrt(np.maximum(np.maximum(s2 / n - mean ** 2, exact_var), 0.0))
        return np.abs(mean - exact) <= Z_TOL * sd / np.sqrt(n) + 1e-9

    # exact E[R²|y,j] from the invocation law's second moment
    r2_exact = np.zeros(em.n_pairs)
    laws = {}
    for k in range(em.n_pairs):
        y = epoch_tuple(model, em.state_ids[em.pair_state[k]])
        i, j = y[0], int(em.pair_succ[k])
        law = laws.setdefault((i, j), invocation_law(model, i, j))
        u0 = (y[1] * model.n_interface + y[2]) * model.n_private[i] + y[3 + i]
        r2_exact[k] = law.reward_sq[u0].sum()

    R = inv.reward  # noqa: N806
    s_r, s_r2 = np.bincount(ks, R, em.n_pairs), np.bincount(ks, R ** 2, em.n_pairs)
    s_r4 = np.bincount(ks, R ** 4, em.n_pairs)
    checks = {
        "reward": within(s_r, s_r2, reward, r2_exact - reward ** 2, n_safe)[tested],
        "reward_sq": within(s_r2, s_r4, r2_exact, 0.0, n_safe)[tested],
    }
    cont = nxt >= 0
    g = model.gamma ** inv.duration
    flat = ks[cont] * n_st + nxt[cont]
    s_k = np.bincount(flat, g[cont], em.n_pairs * n_st).reshape(em.n_pairs, n_st)
    s_k2 = np.bincount(flat, g[cont] ** 2, em.n_pairs * n_st).reshape(em.n_pairs, n_st)
    checks["K"] = within(s_k, s_k2, K, K2 - K ** 2, n_safe[:, None])[tested].ravel()
    cnt = np.bincount(ks * T + inv.duration - 1, minlength=em.n_pairs * T)
    cnt = cnt.reshape(em.n_pairs, T).astype(float)
    checks["duration"] = within(cnt, cnt, dur, dur * (1 - dur), n_safe[:, None])[tested].ravel()
    return checks, int(tested.sum())


MC_MODELS = [
    dict(seed=11, n_agents=2, S=2, Z=2, X=(2, 1), T_max=3),
    dict(seed=12, n_agents=3, S=1, Z=2, X=(1, 2, 1), A=(2, 3, 1), T_max=4, j_axis=False),
    dict(seed=13, n_agents=2, S=2, Z=1, X=(1, 2), T_max=5, beta=(0.0, 0.5)),
]


@pytest.fixture(scope="module", params=MC_MODELS, ids=lambda kw: f"seed{kw['seed']}")
def mc_case(request):
    kw = dict(request.param)
    model = random_model(kw.pop("seed"), **kw)
    em = reduce_to_epoch(model)
    inv = simulate(model, 60_000, seed=request.param["seed"], n_chains=2_000)
    return model, em, inv


def test_reduction_matches_monte_carlo(mc_case):
    model, em, inv = mc_case
    checks, tested = mc_check(model, em, inv)
    assert tested >= 0.7 * em.n_pairs, f"only {tested} of {em.n_pairs} pairs sampled enough"
    for name, ok in checks.items():
        assert ok.all(), f"{name}: {np.count_nonzero(~ok)} of {ok.size} outside {Z_TOL} s.e."
    # every reachable state is sampled (reachability of the reduction is not too large)
    seen = {model.state_id(r) for r in np.unique(inv.state, axis=0)}
    assert seen == set(em.state_ids)


def test_monte_carlo_check_catches_wrong_reductions(mc_case):
    """Negative controls: the same check fails for a reward discounted from γ¹ instead of γ⁰,
    and for durations one step too long (K multiplied by γ)."""
    model, em, inv = mc_case
    checks, _ = mc_check(model, em, inv, reward=em.reward * model.gamma)
    assert not checks["reward"].all()
    checks, _ = mc_check(model, em, inv, K=em.K.toarray() * model.gamma)
    assert not checks["K"].all()


def test_simulate_fixed_start_and_successor():
    model = random_model(5, n_agents=2, X=(2, 2), T_max=4)
    em = reduce_to_epoch(model)
    k = int(np.argmax(em.pair_succ != model.END))  # a pair with a continuation
    y = epoch_tuple(model, em.state_ids[em.pair_state[k]])
    j = model.successor_name(int(em.pair_succ[k]))
    inv = simulate(model, 20_000, seed=1, start=y, successor=j)
    assert (inv.state == np.array(y)).all() and (inv.successor == em.pair_succ[k]).all()
    assert inv.n_chains == 1024 and "fixed start" in inv.method
    n = len(inv.reward)
    sl = slice(em.out_ptr[k], em.out_ptr[k + 1])
    rbar = em.reward[k]
    sd = inv.reward.std()
    assert abs(inv.reward.mean() - rbar) <= Z_TOL * sd / math.sqrt(n)
    p_tau = np.bincount(em.out_dur[sl], em.out_prob[sl], minlength=model.T_max + 1)[1:]
    freq = np.bincount(inv.duration, minlength=model.T_max + 1)[1:] / n
    assert np.all(np.abs(freq - p_tau) <= Z_TOL * np.sqrt(p_tau * (1 - p_tau) / n) + 1e-12)
    # same seed, same stream
    again = simulate(model, 20_000, seed=1, start=y, successor=j)
    assert np.array_equal(again.reward, inv.reward)


# ---------------------------------------------------------------------------------------
# (b) analytic cases
# ---------------------------------------------------------------------------------------


def test_tmax_one_gives_unit_durations_and_one_step_kernel():
    model = random_model(21, n_agents=3, S=2, Z=2, X=(1, 2, 2), T_max=1)
    em = reduce_to_epoch(model)
    assert (em.out_dur == 1).all() and em.T_max == 1
    K = em.K.toarray()  # noqa: N806
    index = {sid: y for y, sid in enumerate(em.state_ids)}
    # reachable set by an independent one-step closure of supp ν₀
    frontier = [tuple(int(v) for v in ix) for ix in np.argwhere(model.initial > 0)]
    reach = set(frontier)
    while frontier:
        y = frontier.pop()
        i = y[0]
        for j in np.flatnonzero(model.successors[i][model.observe(y)]):
            if j == model.END:
                continue
            p1, _ = one_step(model, y, j)
            for s1, z1, x1 in np.argwhere(p1 > 0):
                y1 = list(y)
                y1[0], y1[1], y1[2], y1[3 + i] = int(j), int(s1), int(z1), int(x1)
                if tuple(y1) not in reach:
                    reach.add(tuple(y1))
                    frontier.append(tuple(y1))
    assert {model.state_id(y) for y in reach} == set(em.state_ids)
    for k in range(em.n_pairs):
        y = epoch_tuple(model, em.state_ids[em.pair_state[k]])
        j = int(em.pair_succ[k])
        p1, r0 = one_step(model, y, j)
        assert em.reward[k] == pytest.approx(r0, rel=1e-12, abs=1e-14)
        expected = np.zeros(em.n_states)
        if j != model.END:
            for (s1, z1, x1), p in np.ndenumerate(p1):
                if p > 0:
                    y1 = list(y)
                    y1[0], y1[1], y1[2], y1[3 + y[0]] = j, s1, z1, x1
                    expected[index[model.state_id(y1)]] += model.gamma * p
        np.testing.assert_allclose(K[k], expected, rtol=0, atol=1e-14)


def geometric_closed_form(p: float, gamma: float, t_max: int) -> float:
    q = (1 - p) * gamma
    return p * gamma * (1 - q ** (t_max - 1)) / (1 - q) + q ** (t_max - 1) * gamma


def truncated_geometric(p: float, t_max: int) -> np.ndarray:
    law = np.array([p * (1 - p) ** (t - 1) for t in range(1, t_max + 1)])
    law[-1] = (1 - p) ** (t_max - 1)
    return law


@pytest.mark.parametrize("t_max", [1, 2, 7])
@pytest.mark.parametrize("p", [0.0, 0.3, 1.0])
def test_closed_form_of_geometric_discount(p, t_max):
    """The brief's formula against the direct sum Σ_t P(τ = t) γ^t."""
    gamma = 0.85
    direct = float(truncated_geometric(p, t_max) @ gamma ** np.arange(1, t_max + 1))
    assert geometric_closed_form(p, gamma, t_max) == pytest.approx(direct, rel=1e-13)


@pytest.mark.parametrize("p, t_max", [((0.35, 0.8), 6), (0.0, 4), (1.0, 5)])
def test_geometric_handoff_duration_law(p, t_max):
    fields = random_fields(31, n_agents=2, S=2, Z=2, X=(2, 1), T_max=t_max)
    fields.pop("termination")
    fields.pop("T_max")
    model = geometric_handoff(p, t_max, **fields)
    assert model.T_max == t_max
    em = reduce_to_epoch(model)
    ps = np.broadcast_to(np.asarray(p, dtype=float), (2,))
    disc = model.gamma ** em.out_dur.astype(float)
    for k in range(em.n_pairs):
        agent = int(em.state_agent[em.pair_state[k]])
        sl = slice(em.out_ptr[k], em.out_ptr[k + 1])
        law = np.bincount(em.out_dur[sl] - 1, em.out_prob[sl], minlength=t_max)
        np.testing.assert_allclose(law, truncated_geometric(ps[agent], t_max), atol=1e-13)
        e_disc = float(em.out_prob[sl] @ disc[sl])
        assert e_disc == pytest.approx(geometric_closed_form(ps[agent], model.gamma, t_max),
                                       rel=1e-12)
        if em.pair_succ[k] != model.END:  # no episode end: Σ_{y'} K = E[γ^τ]
            assert em.K[k].sum() == pytest.approx(e_disc, rel=1e-12)


# ---------------------------------------------------------------------------------------
# (c) N = 1: a single-agent SMDP
# ---------------------------------------------------------------------------------------


def test_single_agent_is_an_smdp_with_one_option_per_state():
    """With N = 1 only END is admissible: each episode is one invocation, K = 0, Q* = r̄, and
    r̄ and E[γ^τ] equal the backward-induction values of π^loc in the chain killed at rate β."""
    model = random_model(41, n_agents=1, S=2, Z=2, X=(3,), A=(3,), T_max=6, beta=(0.1, 0.5))
    em = reduce_to_epoch(model)
    assert (em.pair_succ == model.END).all() and em.n_pairs == em.n_states
    assert em.K.nnz == 0 and np.allclose(em.p_end, 1.0)
    np.testing.assert_allclose(solve(em.latent).q, em.reward, rtol=1e-12)

    m = model.local_size(0)
    pi = model.local_policy[0][np.broadcast_to(model.observation[0], (2, 2, 3)).reshape(-1)]
    end = model.END  # the successor axis is (agent0, END)
    P = model.kernel[0][:, :, :, :, end].reshape(m, -1, m)  # noqa: N806
    step = np.einsum("ua,uav->uv", pi, P)
    r = np.einsum("ua,ua->u", pi, model.reward[0][..., end].reshape(m, -1))
    beta = model.termination[0].reshape(-1)
    gamma = model.gamma
    value, disc = r.copy(), np.full(m, gamma)  # horizon 1
    for _ in range(model.T_max - 1):
        value = r + gamma * step @ ((1 - beta) * value)
        disc = gamma * step @ (beta + (1 - beta) * disc)
    for y in range(em.n_states):
        s, z, x = epoch_tuple(model, em.state_ids[y])[1:]
        u = (s * 2 + z) * 3 + x
        sl = slice(em.out_ptr[y], em.out_ptr[y + 1])
        assert em.reward[y] == pytest.approx(value[u], rel=1e-12)
        assert float(em.out_prob[sl] @ gamma ** em.out_dur[sl]) == pytest.approx(disc[u],
                                                                                 rel=1e-12)


def test_single_agent_cannot_hand_off_to_itself():
    fields = random_fields(42, n_agents=1)
    fields["successors"] = (np.array([[True, True]] * fields["local_policy"][0].shape[0]),)
    fields["behavior"] = None
    with pytest.raises(ModelError, match="with N = 1 only END is admissible"):
        PrimitiveICSMDP(**fields)


# ---------------------------------------------------------------------------------------
# (d) FORMAT.md conformance and round trips
# ---------------------------------------------------------------------------------------


def test_reduced_model_satisfies_format_and_round_trips():
    model = random_model(51, n_agents=3, S=2, Z=2, X=(1, 2, 1), T_max=3)
    doc = to_epoch_dict(model)
    assert json.loads(json.dumps(doc)) == doc  # plain JSON types only
    em = from_dict(copy.deepcopy(doc))
    back = em.to_dict()
    assert back.pop("initial") == pytest.approx(doc["initial"], rel=1e-12)
    assert back == {k: v for k, v in doc.items() if k != "initial"}
    em2 = from_dict(em.to_dict())
    em3 = reduce_to_epoch(model)
    for other in (em2, em3):
        assert other.state_ids == em.state_ids and other.obs_labels == em.obs_labels
        for f in ("state_agent", "state_obs", "obs_ptr", "obs_succ", "pair_ptr",
                  "pair_obs_pair", "out_ptr", "out_prob", "out_dur", "out_rew", "out_next",
                  "behavior", "initial"):
            np.testing.assert_allclose(getattr(other, f), getattr(em, f), rtol=1e-15)
    # ids, agents, observation labels and admissible sets come from the primitive model
    for st in doc["states"]:
        y = epoch_tuple(model, st["id"])
        assert model.state_id(y) == st["id"]
        i, o = y[0], model.observe(y)
        assert st["agent"] == model.agents[i] and st["obs"] == model.obs_labels[i][o]
        assert doc["successors"][st["agent"]][st["obs"]] == [
            model.successor_name(j) for j in np.flatnonzero(model.successors[i][o])]
    # the epoch R̄ (max of conditional means) respects the primitive bound
    assert em.R_bar <= model.reward_bound


def test_model_arrays_are_copied_and_read_only():
    fields = random_fields(52)
    model = PrimitiveICSMDP(**fields)
    before = model.kernel[0].copy()
    fields["kernel"][0][...] = 0.0
    assert np.array_equal(model.kernel[0], before)
    with pytest.raises(ValueError):
        model.kernel[0][0, 0, 0, 0, 0, 0, 0, 0] = 1.0
    assert model.agents == ("agent0", "agent1") and model.obs_labels[0][0] == "o0"
    np.testing.assert_allclose(model.behavior[0].sum(axis=1), 1.0)


def test_default_behaviour_is_uniform_on_admissible_set():
    fields = random_fields(53)
    fields["behavior"] = None
    model = PrimitiveICSMDP(**fields)
    for b, s in zip(model.behavior, model.successors, strict=True):
        np.testing.assert_allclose(b, s / s.sum(axis=1, keepdims=True))


# ---------------------------------------------------------------------------------------
# (e) every validation rule
# ---------------------------------------------------------------------------------------


def base_fields() -> dict:
    """N = 2, |S| = |Z| = 2, X = (2, 1), A = (2, 3), n_obs = (2, 1)."""
    f = random_fields(61, n_agents=2, S=2, Z=2, X=(2, 1), A=(2, 3), n_obs=(2, 1))
    f["successors"] = (np.array([[0, 1, 1], [0, 1, 0]], bool), np.array([[1, 0, 1]], bool))
    f["behavior"] = (np.array([[0, 0.5, 0.5], [0, 1, 0]]), np.array([[0.5, 0, 0.5]]))
    return f


def _set(field, i=None, index=None, value=None, fn=None):
    def mutate(f):
        if i is None:
            f[field] = value
            return
        arrs = [np.array(a) for a in f[field]]
        if fn is not None:
            arrs[i] = fn(arrs[i])
        else:
            arrs[i][index] = value
        f[field] = tuple(arrs)
    return mutate


ERROR_CASES = [
    ("observation-array", _set("observation", value=np.zeros((2, 2, 1), int)),
     "observation: expected a non-empty tuple or list of N arrays"),
    ("observation-empty", _set("observation", value=()),
     "observation: expected a non-empty tuple or list"),
    ("kernel-count", _set("kernel", value=None), "kernel: expected a tuple or list of N = 2"),
    ("reward-length", lambda f: f.update(reward=f["reward"][:1]),
     "reward: 1 entries, expected N = 2"),
    ("behavior-length", lambda f: f.update(behavior=f["behavior"] * 2),
     "behavior: 4 entries, expected N = 2"),
    ("gamma-one", _set("gamma", value=1.0), "gamma: 1.0 is not a number in (0, 1)"),
    ("gamma-zero", _set("gamma", value=0), "gamma: 0 is not a number in (0, 1)"),
    ("gamma-nan", _set("gamma", value=float("nan")), "gamma: nan is not a number in (0, 1)"),
    ("gamma-bool", _set("gamma", value=True), "gamma: True is not a number"),
    ("gamma-str", _set("gamma", value="0.9"), "gamma: '0.9' is not a number"),
    ("tmax-zero", _set("T_max", value=0), "T_max: 0 must be an integer >= 1"),
    ("tmax-float", _set("T_max", value=2.0), "T_max: 2.0 must be an integer >= 1"),
    ("tmax-bool", _set("T_max", value=True), "T_max: True must be an integer >= 1"),
    ("name", _set("name", value=3), "name: expected a string"),
    ("agents-length", _set("agents", value=("a",)), "agents: expected N = 2 names"),
    ("agents-str", _set("agents", value="ab"), "agents: expected N = 2 names"),
    ("agents-dup", _set("agents", value=("a", "a")), "agents[1]: duplicate agent name 'a'"),
    ("agents-end", _set("agents", value=("a", "END")), "agents[1]: the name 'END' is reserved"),
    ("agents-empty", _set("agents", value=("a", "")), "agents[1]: '' is not a non-empty string"),
    ("agents-type", _set("agents", value=("a", 7)), "agents[1]: 7 is not a non-empty string"),
    ("observation-dtype", _set("observation", 0, fn=lambda a: a.astype(float)),
     "observation[0]: dtype float64 is not an integer dtype"),
    ("observation-bool", _set("observation", 0, fn=lambda a: a.astype(bool)),
     "observation[0]: dtype bool is not an integer dtype"),
    ("observation-ndim", _set("observation", 0, fn=lambda a: a.ravel()),
     "observation[0]: expected a 2-d array, got shape (4,)"),
    ("observation-ragged", _set("observation", 0, fn=lambda a: [[0, 1], [0]]),
     "observation[0]: not an array"),
    ("successors-values", _set("successors", 0, fn=lambda a: a.astype(int) * 2),
     "successors[0]: must be boolean (or 0/1)"),
    ("kernel-dtype", _set("kernel", 0, fn=lambda a: "abc"),
     "kernel[0]: dtype <U3 is not a real numeric dtype"),
    ("reward-complex", _set("reward", 0, fn=lambda a: a + 1j),
     "reward[0]: dtype complex128 is not a real numeric dtype"),
    ("initial-ndim", _set("initial", value=np.ones((2, 2))),
     "initial: expected a 5-d array (N, |S|, |Z|, |X_1|, ..., |X_N|)"),
    ("z-mismatch", _set("observation", 1, fn=lambda a: np.zeros((3, 1), int)),
     "observation[1]: shape (3, 1) has |Z| = 3 but observation[0] has |Z| = 2"),
    ("empty-axis", _set("observation", 1, fn=lambda a: np.zeros((2, 0), int)),
     "observation[1]: shape (2, 0) has an empty axis"),
    ("no-actions", _set("local_policy", 1, fn=lambda a: np.zeros((1, 0))),
     "local_policy[1]: shape (1, 0): agent 1 ('agent1') needs at least one observation and "
     "one action"),
    ("successors-shape", _set("successors", 0, fn=lambda a: a[:, :2]),
     "successors[0]: shape (2, 2), expected (n_obs_0, N+1) = (2, 3)"),
    ("behavior-shape", _set("behavior", 1, fn=lambda a: a[:, :2]),
     "behavior[1]: shape (1, 2), expected (n_obs_1, N+1) = (1, 3)"),
    ("kernel-shape", _set("kernel", 0, fn=lambda a: a[..., :1]),
     "kernel[0]: shape (2, 2, 2, 2, 3, 2, 2, 1), expected (|S|, |Z|, |X_0|, |A_0|, N+1 or 1"),
    ("kernel-successor-axis", _set("kernel", 0, fn=lambda a: a[:, :, :, :, :2]),
     "kernel[0]: shape (2, 2, 2, 2, 2, 2, 2, 2)"),
    ("reward-shape", _set("reward", 1, fn=lambda a: a[:, :, :, :2]),
     "reward[1]: shape (2, 2, 1, 2, 3), expected (|S|, |Z|, |X_1|, |A_1|, N+1 or 1)"),
    ("termination-shape", _set("termination", 0, fn=lambda a: a[0]),
     "termination[0]: expected a 3-d array"),
    ("termination-shape2", _set("termination", 0, fn=lambda a: a[:1]),
     "termination[0]: shape (1, 2, 2), expected (|S|, |Z|, |X_0|) = (2, 2, 2)"),
    ("initial-shape", _set("initial", value=np.ones((2, 2, 2, 2, 2)) / 32),
     "initial: shape (2, 2, 2, 2, 2), expected (N, |S|, |Z|, |X_1|, ..., |X_N|) = "
     "(2, 2, 2, 2, 1)"),
    ("labels-length", _set("obs_labels", value=(("a", "b"),)),
     "obs_labels: expected N = 2 sequences of labels"),
    ("labels-count", _set("obs_labels", value=(("a",), ("c",))),
     "obs_labels[0]: expected n_obs_0 = 2 labels"),
    ("labels-dup", _set("obs_labels", value=(("a", "a"), ("c",))),
     "obs_labels[0][1]: duplicate label 'a' for agent 0 ('agent0')"),
    ("labels-type", _set("obs_labels", value=(("a", 1), ("c",))),
     "obs_labels[0][1]: 1 is not a string"),
    ("observation-range", _set("observation", 0, (1, 0), 5),
     "observation[0][z=1, x=0] = 5 (rule: an observation index in 0..1)"),
    ("observation-negative", _set("observation", 1, (0, 0), -1),
     "observation[1][z=0, x=0] = -1 (rule: an observation index in 0..0)"),
    ("self-handoff", _set("successors", 0, (1, 0), True),
     "successors[0][o=1 ('o1')]: agent 0 ('agent0') lists itself (rule: j ≠ i"),
    ("empty-admissible", _set("successors", 1, (0, slice(None)), False),
     "successors[1][o=0 ('o0')]: the admissible set is empty (rule: every observation needs"),
    ("policy-negative", _set("local_policy", 1, (0, 0), -0.1),
     "local_policy[1][o=0, a=0] = -0.1 (rule: a finite probability >= 0)"),
    ("policy-nan", _set("local_policy", 0, (1, 1), np.nan),
     "local_policy[0][o=1, a=1] = nan (rule: a finite probability >= 0)"),
    ("policy-sum", _set("local_policy", 0, (0, 0), 5.0),
     "local_policy[0][o=0] sums to"),
    ("kernel-negative", _set("kernel", 0, (1, 0, 1, 1, 2, 0, 1, 1), -0.5),
     "kernel[0][s=1, z=0, x=1, a=1, j=2, s'=0, z'=1, x'=1] = -0.5 (rule: a finite probability"),
    ("kernel-inf", _set("kernel", 1, (0, 0, 0, 2, 0, 0, 0, 0), np.inf),
     "kernel[1][s=0, z=0, x=0, a=2, j=0, s'=0, z'=0, x'=0] = inf"),
    ("kernel-sum", _set("kernel", 1, (0, 1, 0, 0, 2, 1, 1, 0), 3.0),
     "kernel[1]: P_1(·|s=0, z=1, x=0, a=0, j=END) sums to"),
    ("reward-nan", _set("reward", 0, (0, 1, 1, 0, 1), np.nan),
     "reward[0][s=0, z=1, x=1, a=0, j=1] = nan (rule: a finite number)"),
    ("termination-range", _set("termination", 1, (1, 1, 0), 1.5),
     "termination[1][s=1, z=1, x=0] = 1.5 (rule: a probability in [0, 1])"),
    ("termination-negative", _set("termination", 0, (0, 0, 0), -0.0001),
     "termination[0][s=0, z=0, x=0] = -0.0001"),
    ("initial-negative", _set("initial", value=np.full((2, 2, 2, 2, 1), -1 / 16)),
     "initial[0, 0, 0, 0, 0] = -0.0625 (rule: a finite probability >= 0)"),
    ("initial-sum", _set("initial", value=np.full((2, 2, 2, 2, 1), 0.1)),
     "initial: sums to 1.6"),
    ("behavior-negative", _set("behavior", 0, (0, 1), -0.5),
     "behavior[0][o=0, j=agent1] = -0.5 (rule: a finite probability >= 0)"),
    ("behavior-off-support", _set("behavior", 1, (0, 1), 0.25),
     "behavior[1][o=0 ('o0'), j=agent1] = 0.25 (rule: π_b puts mass only on admissible"),
    ("behavior-sum", _set("behavior", 0, (1, 1), 0.5),
     "behavior[0][o=1 ('o1')] sums to 0.5 (rule: π_b(·|o) sums to 1"),
]


@pytest.mark.parametrize("mutate, message", [c[1:] for c in ERROR_CASES],
                         ids=[c[0] for c in ERROR_CASES])
def test_validation_errors_name_field_and_rule(mutate, message):
    fields = base_fields()
    PrimitiveICSMDP(**fields)  # the base is valid
    mutate(fields)
    with pytest.raises(ValueError, match=re.escape(message)) as exc:
        PrimitiveICSMDP(**fields)
    assert isinstance(exc.value, ModelError) and exc.value.problems


def test_validation_lists_a_few_offenders_and_counts_the_rest():
    fields = base_fields()
    fields["termination"] = (np.full((2, 2, 2), 2.0), fields["termination"][1])
    with pytest.raises(ModelError) as exc:
        PrimitiveICSMDP(**fields)
    assert len(exc.value.problems) == 4
    assert exc.value.problems[-1] == "  ... and 5 more of the same kind"


def test_unused_successor_columns_are_not_checked():
    """Kernel and reward columns of a successor no observation admits are never read."""
    fields = base_fields()
    ker = np.array(fields["kernel"][0])
    ker[:, :, :, :, 0] = np.nan  # agent 0 never hands off to itself
    rew = np.array(fields["reward"][1])
    rew[..., 1] = np.inf  # agent 1 never hands off to itself
    fields["kernel"] = (ker, fields["kernel"][1])
    fields["reward"] = (fields["reward"][0], rew)
    model = PrimitiveICSMDP(**fields)
    assert math.isfinite(model.reward_bound)
    em = reduce_to_epoch(model)
    assert np.isfinite(em.out_rew).all()
    simulate(model, 500, seed=0)  # never reads the unused columns


def test_api_argument_errors():
    model = PrimitiveICSMDP(**base_fields())
    with pytest.raises(ValueError, match="agent: 2 is not an agent index"):
        invocation_law(model, 2, 0)
    with pytest.raises(ValueError, match="successor: 0 is not a successor index"):
        invocation_law(model, 0, 0)
    with pytest.raises(ValueError, match="n_invocations: 0 must be an integer >= 1"):
        simulate(model, 0)
    with pytest.raises(ValueError, match="n_chains: 0 must be an integer >= 1"):
        simulate(model, 10, n_chains=0)
    with pytest.raises(ValueError, match="start: .* is not an epoch state"):
        simulate(model, 10, start=(0, 0, 0, 2, 0))
    with pytest.raises(ValueError, match="successor: a fixed successor needs a fixed start"):
        simulate(model, 10, successor="END")
    with pytest.raises(ValueError, match="successor: 'nobody' is not an agent name or 'END'"):
        simulate(model, 10, start=(0, 0, 0, 0, 0), successor="nobody")
    with pytest.raises(ValueError, match="successor: 7 is not a successor index"):
        simulate(model, 10, start=(0, 0, 0, 0, 0), successor=7)
    o = model.observe((1, 0, 0, 0, 0))
    assert not model.successors[1][o, 1]
    with pytest.raises(ValueError, match="successor: 'agent1' is not admissible for agent "
                       "'agent1'"):
        simulate(model, 10, start=(1, 0, 0, 0, 0), successor=1)
    fields = base_fields()
    fields.pop("T_max")
    term = fields.pop("termination")
    with pytest.raises(ValueError, match=re.escape("p: (0.1, 0.2, 0.3) must be one "
                                                   "probability in [0, 1] or one per agent")):
        geometric_handoff((0.1, 0.2, 0.3), 3, **fields)
    with pytest.raises(ValueError, match="p: 1.5 must be one probability"):
        geometric_handoff(1.5, 3, **fields)
    with pytest.raises(ValueError, match="termination: geometric_handoff sets it"):
        geometric_handoff(0.5, 3, termination=term, **fields)
    init = fields.pop("initial")
    with pytest.raises(ValueError, match="initial: required"):
        geometric_handoff(0.5, 3, **fields)
    with pytest.raises(ValueError, match=r"initial: shape \(2, 2\) is not"):
        geometric_handoff(0.5, 3, initial=init[:, :, 0, 0, 0], **fields)
