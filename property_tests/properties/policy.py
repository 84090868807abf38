"""Policy correspondence (docs/theory.md §2: a decentralized policy run through the runtime is
worth the exact value of its lift ``π∘σ``) and the AIS policy-evaluation gap of one policy with
its three bounds (§3, Lemma A for a fixed policy).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from icq.property_tests.properties.common import Checked, ais_pieces, fail, scaled_tol
from icq.reference.common.rng import Xoshiro
from icq.reference.exact.induced import ais_model
from icq.reference.exact.solve import evaluate
from icq.reference.learners.runtime import PolicyAgent, World, evaluate_decentralized, run
from icq.reference.model import SMDP, EpochModel

__all__ = ["PolicyGap", "ais_policy_evaluation_gap", "policy_correspondence"]


def _episode_length(model: EpochModel, policy: np.ndarray) -> float:
    """Expected handoffs per episode from ν₀ under ``policy`` (∞ if episodes may never end)."""
    lifted = model.lift(policy)
    Pi = model.latent.policy_matrix(lifted)
    P = (Pi @ model.P).toarray()
    A = np.eye(model.n_states) - P
    try:
        steps = np.linalg.solve(A, np.ones(model.n_states))
    except np.linalg.LinAlgError:
        return math.inf
    if not np.all(np.isfinite(steps)) or (steps < 0).any():
        return math.inf
    return float(model.initial @ steps)


class _SurvivalWorld(World):
    """The same world, but the episode ends after an invocation of τ steps with probability
    ``1 − γ^τ`` (its own random stream): undiscounted returns are then unbiased for the
    discounted value, and every episode ends. Used when episodes may be endless or long."""

    def __init__(self, model: EpochModel, rng: Xoshiro, kill: Xoshiro):
        super().__init__(model, rng)
        self._kill = kill
        self._g = model.gamma

    def invoke(self, successor: str) -> tuple[int, float, tuple[str, str] | None]:
        tau, reward, nxt = super().invoke(successor)
        if nxt is not None and self._kill.random() >= self._g ** tau:
            return tau, reward, None
        return tau, reward, nxt


def _return_sd(model: EpochModel, policy: np.ndarray, survival: bool) -> float:
    """The exact standard deviation of one episode's return from ν₀ under ``policy``.

    Second moments ``m(y) = E[G² | y]`` solve ``m = c + Π K_x m`` with, per latent pair,
    ``c = Σ_o p_o (R_o² + 2 R_o γ^{τ_o} V(y'_o))`` and ``K_x = E[γ^{2τ} 1{Y'=·}]`` for discounted
    returns (``E[γ^τ 1{Y'=·}]`` for the survival world, whose continuation is kept with
    probability γ^τ and then undiscounted).
    """
    m = model
    lifted = m.lift(policy)
    _, v = evaluate(m.latent, lifted)
    nxt_v = np.where(m.out_next >= 0, v[np.maximum(m.out_next, 0)], 0.0)
    disc = m.out_discount
    c = np.bincount(m.out_pair, m.out_prob * (m.out_rew**2 + 2 * m.out_rew * disc * nxt_v),
                    minlength=m.n_pairs)
    Pi = m.latent.policy_matrix(lifted)
    Kx = m.K if survival else m.K2
    A = np.eye(m.n_states) - (Pi @ Kx).toarray()
    m2 = np.linalg.solve(A, Pi @ c)
    mean = float(m.initial @ v)
    return math.sqrt(max(float(m.initial @ m2) - mean**2, 0.0))


def _runtime_value(model: EpochModel, policy: np.ndarray, episodes: int, seed: int
                   ) -> tuple[float, float, int, str]:
    length = _episode_length(model, policy)
    # plain episodes when they are short; else the survival world, whose episodes last about
    # 1/(1−γ) handoffs at most, whatever the policy
    if length <= max(50.0, 2.0 / (1.0 - model.gamma)):
        mean, se, n = evaluate_decentralized(model, policy, episodes, seed=seed,
                                             max_handoffs=int(episodes * length * 50 + 10_000))
        se = max(se, _return_sd(model, policy, survival=False) / math.sqrt(n))
        return mean, se, n, "evaluate_decentralized (runtime, discounted returns)"
    rng = Xoshiro(seed)
    world = _SurvivalWorld(model, rng, Xoshiro(seed + 7919))
    agents = {}
    for a in model.agents:
        pol: dict[str, dict[str, float]] = {}
        for o in np.flatnonzero(model.obs_agent == model.agents.index(a)):
            sl = slice(model.obs_ptr[o], model.obs_ptr[o + 1])
            pol[model.obs_labels[o]] = {model.successor_name(j): float(p) for j, p in
                                        zip(model.obs_succ[sl], policy[sl], strict=True)}
        agents[a] = PolicyAgent(a, pol, rng)
    stats = run(world, agents, episodes * 10_000, learn=False, gamma=1.0, episodes=episodes)
    r = np.array(stats.returns)
    se = float(r.std(ddof=1) / math.sqrt(len(r))) if len(r) > 1 else 0.0
    se = max(se, _return_sd(model, policy, survival=True) / math.sqrt(len(r)))
    return float(r.mean()), se, len(r), ("runtime run() with survival probability γ^τ per "
                                         "handoff (episodes may be endless under π)")


def policy_correspondence(model: EpochModel, policy: np.ndarray, *, episodes: int = 1000,
                          seed: int = 0, z: float = 5.0, reference: str = "latent") -> Checked:
    """Policy correspondence (docs/theory.md §2): the decentralized policy ``π`` executed through
    the runtime (agents see only their own observation; three numbers per handoff) has the value of
    the lifted policy ``π∘σ`` evaluated exactly in the latent model:
    ``|mean − ν₀ᵀV^{π∘σ}| ≤ z·se``, ``se`` the larger of the sample's standard error and the
    exact one (the return's exact standard deviation over √episodes: a rare outcome the sample
    missed cannot shrink the tolerance to 0).

    ``reference="ais"`` is a NEGATIVE CONTROL: it compares with ``ν₀ᵀ(V̂^π∘σ)``, the AIS model's
    own evaluation, which is not the value the agents get when observations alias states.
    """
    name = "policy_correspondence"
    policy = np.asarray(policy, float)
    _, v = evaluate(model.latent, model.lift(policy))
    if reference == "latent":
        exact = float(model.initial @ v)
    elif reference == "ais":
        _, vhat = evaluate(ais_model(model).smdp, policy)
        exact = float(model.initial @ vhat[model.state_obs])
    else:
        raise ValueError(f"reference: {reference!r} is not 'latent' or 'ais'")
    mean, se, n, how = _runtime_value(model, policy, episodes, seed)
    tol = z * se + scaled_tol(exact, model.R_bar) * 10
    if abs(mean - exact) > tol:
        raise fail(name, f"runtime mean return {mean:.9g} (± {se:.3g} over {n} episodes) "
                    f"differs from the exact value {exact:.9g} by {abs(mean - exact):.3g} > "
                    f"{z:g}·se = {tol:.3g} [{how}; reference {reference}]")
    return Checked(name, abs(mean - exact), tol, f"{n} episodes, {how}")


@dataclass(frozen=True)
class PolicyGap:
    """The AIS policy-evaluation gap of one policy and its three bounds (docs/theory.md §3)."""

    gap: float
    statewise: float
    value_aware: float
    total_variation: float
    epsilon: float
    holds: bool = True


def ais_policy_evaluation_gap(model: EpochModel, policy: np.ndarray, *,
                              horizon_factor: bool = True) -> PolicyGap:
    """Lemma A for a fixed decentralized policy π (docs/theory.md §3, proof of Lemma A with the max
    over successors replaced by the average under π):

    ``max_y |V^π(y) − V̂^π(σ(y))| ≤ max e^π ≤ (ε + D^π)/(1−γ̄) ≤ (ε + d₁‖V̂^π‖∞)/(1−γ̄)``

    where ``e^π = (I − KΠ)^{-1}(|r̄ − r̂∘σ| + |⟨σ#K − K̂, V̂^π⟩|)`` is the state-wise bound,
    ``D^π = max |⟨σ#K − K̂, V̂^π⟩|`` and ``d₁ = max ‖σ#K − K̂‖₁`` (total variation, full L1, paired
    with the sup norm). μ is the behaviour chain's stationary law.

    ``horizon_factor=False`` is a NEGATIVE CONTROL: the TV bound without its ``1/(1−γ̄)``.
    """
    name = "ais_policy_evaluation_gap"
    policy = np.asarray(policy, float)
    lifted = model.lift(policy)
    _, v = evaluate(model.latent, lifted)
    r_err, _, _, ais = ais_pieces(model, np.zeros(model.n_obs))
    _, vhat = evaluate(ais.smdp, policy)
    r_err, D, L1, _ = ais_pieces(model, vhat)
    gap = float(np.max(np.abs(v - vhat[model.state_obs])))
    lat = model.latent
    e_q, e_v = evaluate(SMDP(lat.ptr, lat.succ, r_err + D, lat.K), lifted)
    g = model.gamma_bar
    eps = float(r_err.max())
    h = 1.0 / (1.0 - g) if horizon_factor else 1.0
    va = (eps + float(D.max())) * h
    tv = (eps + float(L1.max()) * float(np.abs(vhat).max(initial=0.0))) * h
    statewise = float(e_v.max())
    slack = scaled_tol(gap, tv, model.R_bar)
    if not horizon_factor:
        if gap > tv + slack:
            raise fail(name, f"gap max|V^π − V̂^π∘σ| = {gap:.9g} > ε + d₁‖V̂^π‖∞ = {tv:.9g} "
                        "(the bound without 1/(1−γ̄))")
        return PolicyGap(gap, statewise, va, tv, eps)
    chain = [("max|V^π − V̂^π∘σ|", gap), ("state-wise max e^π", statewise),
             ("value-aware (ε + D^π)/(1−γ̄)", va), ("total variation (ε + d₁‖V̂^π‖∞)/(1−γ̄)", tv)]
    for (n1, a), (n2, b) in zip(chain, chain[1:], strict=False):
        if a > b + slack:
            raise fail(name, f"{n1} = {a:.12g} > {n2} = {b:.12g}")
    return PolicyGap(gap, statewise, va, tv, eps)
