"""The two reductions (docs/theory.md §1, §3): with τ ≡ 1 IC-Q is ordinary Q-learning
(:func:`unit_duration_reduction`, against the plain-Python :func:`ordinary_q_learning`), and with
exact observations the AIS model is the latent model (:func:`exact_observation_reduction`, on the
:func:`dealias` ed model).
"""

from __future__ import annotations

import numpy as np

from icq.bounds.ais import delta_l1, reward_sufficiency
from icq.bounds.setting import prepare
from icq.property_tests.properties.common import Checked, ais_pieces, fail
from icq.property_tests.strategies import rebuild
from icq.reference.common.rng import draw_index, next_double, seed_state
from icq.reference.exact.solve import solve
from icq.reference.learners.handoffs import block_cdf
from icq.reference.learners.runtime import run, tabular_agents
from icq.reference.learners.tabular import TrainConfig, train_tabular
from icq.reference.model import EpochModel, from_arrays

__all__ = ["dealias", "exact_observation_reduction", "ordinary_q_learning",
           "unit_duration_reduction", "unit_durations"]


def ordinary_q_learning(model: EpochModel, config: TrainConfig) -> np.ndarray:
    """Plain Watkins Q-learning on observation pairs with discount γ per step, in plain Python,
    on the same random stream and in the same draw order as
    :func:`~icq.reference.learners.tabular.train_tabular` (behaviour exploration). For a model with
    τ ≡ 1 this is ordinary Q-learning of the MDP; for others it ignores the durations.

    ``Q(ô,j) ← Q(ô,j) + α_n (R + γ max_{j'} Q(ô',j') − Q(ô,j))``, target ``R`` at an episode end.
    """
    if config.exploration != "behavior":
        raise ValueError("ordinary_q_learning: only behaviour exploration is implemented")
    m = model
    rs = seed_state(config.seed)
    init_cdf = block_cdf(m.initial, np.array([0, m.n_states]))
    beh_cdf = block_cdf(m.behavior, m.obs_ptr)
    out_cdf = block_cdf(m.out_prob, m.out_ptr)

    def pick(cdf: np.ndarray, lo: int, hi: int, u: float) -> int:
        for i in range(lo, hi):
            if u < cdf[i]:
                return i
        return hi - 1

    q = np.zeros(m.n_obs_pairs)
    visits = np.zeros(m.n_obs_pairs)
    y = draw_index(init_cdf, next_double(rs))
    for _ in range(config.handoffs):
        o = m.state_obs[y]
        lo, hi = int(m.obs_ptr[o]), int(m.obs_ptr[o + 1])
        a = pick(beh_cdf, lo, hi, next_double(rs))
        k = int(m.pair_ptr[y]) + a - lo
        x = pick(out_cdf, int(m.out_ptr[k]), int(m.out_ptr[k + 1]), next_double(rs))
        nxt = int(m.out_next[x])
        if nxt < 0:
            target = m.out_rew[x]
            y = pick(init_cdf, 0, m.n_states, next_double(rs))
        else:
            o2 = m.state_obs[nxt]
            target = m.out_rew[x] + m.gamma * q[m.obs_ptr[o2]:m.obs_ptr[o2 + 1]].max()
            y = nxt
        visits[a] += 1
        step = 1.0 / visits[a] ** config.omega if config.step == "harmonic" else config.alpha
        q[a] += step * (target - q[a])
    return q


def unit_durations(model: EpochModel) -> EpochModel:
    """``model`` with every duration set to 1 (τ ≡ 1: an ordinary MDP with discount γ)."""
    return rebuild(model, out_dur=np.ones_like(model.out_dur))


def unit_duration_reduction(model: EpochModel, *, handoffs: int = 2000, seed: int = 0,
                            force_unit: bool = True) -> Checked:
    """τ ≡ 1 reduction (docs/theory.md §1; rlax's "one operator reduces to another"): on the model
    with every duration set to 1, compiled tabular IC-Q (target ``R + γ^τ V``) and the runtime's
    agents both produce exactly the table of plain Q-learning with discount γ.

    ``force_unit=False`` is a NEGATIVE CONTROL: the same comparison on the model as given, which
    fails as soon as a duration τ > 1 affects a visited target.
    """
    name = "unit_duration_reduction"
    m = unit_durations(model) if force_unit else model
    cfg = TrainConfig(handoffs=handoffs, seed=seed)
    icq = train_tabular(m, cfg).q
    plain = ordinary_q_learning(m, cfg)
    err = float(np.max(np.abs(icq - plain), initial=0.0))
    scale = 1e-10 * (1.0 + float(np.abs(plain).max(initial=0.0)))
    if err > scale:
        raise fail(name, f"max |Q_IC-Q − Q_Q-learning| = {err:.3g} after {handoffs} handoffs "
                    f"(T_max = {m.T_max})")
    world, agents = tabular_agents(m, cfg)
    run(world, agents, handoffs)
    rt = np.concatenate([np.array([agents[m.agents[m.obs_agent[o]]].table()[m.obs_labels[o]][
        m.successor_name(j)] for j in m.obs_succ[m.obs_ptr[o]:m.obs_ptr[o + 1]]])
        for o in range(m.n_obs)])
    err_rt = float(np.max(np.abs(rt - plain), initial=0.0))
    if err_rt > scale:
        raise fail(name, f"runtime agents differ from Q-learning by {err_rt:.3g}")
    return Checked(name, max(err, err_rt), scale, f"{handoffs} handoffs, τ ≡ 1")


def dealias(model: EpochModel) -> EpochModel:
    """``model`` with exact observations: every latent state gets its own label
    (``label|state``), with the admissible set and behaviour of its former observation."""
    m = model
    counts = np.diff(m.obs_ptr)[m.state_obs]
    ptr = np.zeros(m.n_states + 1, dtype=np.int64)
    ptr[1:] = np.cumsum(counts)
    gather = np.concatenate([np.arange(m.obs_ptr[o], m.obs_ptr[o + 1]) for o in m.state_obs])
    return from_arrays(
        gamma=m.gamma, agents=m.agents, state_agent=m.state_agent,
        state_obs=np.arange(m.n_states), obs_agent=m.state_agent, obs_ptr=ptr,
        obs_succ=m.obs_succ[gather], out_ptr=m.out_ptr, out_prob=m.out_prob,
        out_dur=m.out_dur, out_rew=m.out_rew, out_next=m.out_next, initial=m.initial,
        behavior=m.behavior[gather], state_ids=m.state_ids,
        obs_labels=[f"{m.obs_labels[m.state_obs[y]]}|{m.state_ids[y]}"
                    for y in range(m.n_states)], name=m.name)


def exact_observation_reduction(model: EpochModel, *, force_exact: bool = True) -> Checked:
    """Exact observations (σ injective) make the AIS model the latent model (docs/theory.md §3):
    ε = δ = 0 (the bounds module's numbers and an independent computation) and
    ``Q̂* ∘ σ = Q*``.

    ``force_exact=False`` is a NEGATIVE CONTROL: the same claim for the model as given, which
    fails as soon as aliasing makes two states of one observation differ.
    """
    name = "exact_observation_reduction"
    m = dealias(model) if force_exact else model
    r_err, D, L1, ais = ais_pieces(m, np.zeros(m.n_obs))
    eps, d1 = float(r_err.max()), float(L1.max())
    q = solve(m.latent).q
    qhat = solve(ais.smdp).q
    gap = float(np.max(np.abs(q - qhat[m.pair_obs_pair])))
    scale = 1e-9 * (1.0 + float(np.abs(q).max()))
    eps_b, delta_b = _bounds_terms(m)
    if max(abs(eps_b), abs(delta_b)) > scale:
        raise fail(name, f"icq.bounds reports ε = {eps_b!r}, δ = {delta_b!r} for "
                    f"{'exact' if force_exact else 'the given'} observations "
                    f"({m.n_states} states, {m.n_obs} observations)")
    if max(eps, d1, gap) > scale:
        raise fail(name, f"ε = {eps:.3g}, d_TV = {d1:.3g}, max|Q* − Q̂*∘σ| = {gap:.3g} "
                    f"for {'exact' if force_exact else 'the given'} observations "
                    f"({m.n_states} states, {m.n_obs} observations)")
    return Checked(name, max(eps, d1, gap), scale, f"{m.n_states} states, exact observations")


def _bounds_terms(model: EpochModel) -> tuple[float, float]:
    """ε (B1) and δ (B2, total variation) as :mod:`icq.bounds` computes them."""
    s = prepare(model)
    return reward_sufficiency(s).value, delta_l1(s).delta
