"""Properties of IC-Q and of its bounds, as plain functions (docs/theory.md §1–§6).

Each property is a function of a model (and of the random draws it quantifies over) that returns
a small :class:`Checked` record when it holds and raises :class:`AssertionError` with the numbers
when it does not, so that it runs the same in a pytest suite, in a Hypothesis search, in
:func:`check_model` and in ``icq check``. Each has a *negative control*: a deliberately wrong
variant (selected by a keyword, or a named wrong object: :func:`per_handoff_discount_operator`,
:func:`kappa_without_max`, :class:`LatentLeakWorld`, :class:`RelabellingWorld`) that a
Hypothesis search falsifies; the property tests in ``property_tests/`` show both.

=====================================  ========================================================
property                               statement (docs/theory.md)
=====================================  ========================================================
:func:`bellman_contraction`            ``‖TQ − TQ'‖∞ ≤ γ̄ ‖Q − Q'‖∞`` (§1, Lemma C)
:func:`a6_contraction`                 where the audit says A6 holds with κ:
                                       ``(θ−θ')ᵀ(ḡ(θ)−ḡ(θ')) ≤ −(1−κ)ω‖θ−θ'‖²`` and
                                       ``‖ΠT̂Q_θ − ΠT̂Q_θ'‖_μ ≤ κ‖Q_θ − Q_θ'‖_μ``; where it says A6
                                       fails, the witness direction has ratio ≥ 1 (§5)
:func:`policy_correspondence`          runtime Monte Carlo value of π = exact value of π∘σ (§2)
:func:`ais_policy_evaluation_gap`      ``|V^π − V̂^π∘σ| ≤ e^π ≤ Δ^π_va ≤ Δ^π_TV`` (§3, Lemma A for a
                                       fixed policy)
:func:`ais_bound_soundness`            ``Δ_exact ≤ max e ≤ Δ_va ≤ Δ_AIS``, loss ≤ its bounds (§3)
:func:`theorem1_empirical`             MSE of projected IC-Q over seeds ≤ Theorem 1 (§6)
:func:`tabular_convergence`            tabular IC-Q → ``Q̂*_μ`` (§2)
:func:`unit_duration_reduction`        τ ≡ 1: IC-Q is ordinary Q-learning (§1)
:func:`exact_observation_reduction`    exact observations: ε = δ = 0, ``Q̂*∘σ = Q*`` (§3)
:func:`check_runtime_interface`        agents receive only their own labels, successor names and
                                       three-number handoffs (§1–§2)
:func:`primitive_reduction`            the primitive → epoch reduction agrees with simulation (§1)
=====================================  ========================================================

:func:`check_model` runs them on a user's model and on perturbations of it (``icq check``);
:func:`assert_falsified` runs a negative control.

>>> from icq.reference.model import load, example_path
>>> m = load(example_path("ring-exact"))
>>> q = np.arange(m.n_pairs, dtype=float)
>>> bellman_contraction(m, q, -q).holds
True
"""

from __future__ import annotations

import hashlib
import math
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from icq.reference.common.io import write_json
from icq.reference.common.rng import Xoshiro
from icq.reference.exact.ais import ais_model
from icq.reference.exact.chain import stationary
from icq.reference.exact.solve import evaluate, solve
from icq.reference.learners.runtime import (
    Handoff,
    PolicyAgent,
    World,
    evaluate_decentralized,
    run,
    tabular_agents,
)
from icq.reference.learners.smdp import block_cdf
from icq.reference.learners.tabular import TrainConfig, train_tabular
from icq.reference.model import SMDP, EpochModel, from_arrays

__all__ = [
    "A6Check",
    "A6Parts",
    "CheckReport",
    "Checked",
    "GapChain",
    "InterfaceReport",
    "LatentLeakWorld",
    "ModelProperty",
    "NotApplicable",
    "PolicyGap",
    "PropertyReport",
    "RelabellingWorld",
    "Theorem1Check",
    "a6_contraction",
    "a6_parts",
    "ais_bound_soundness",
    "ais_policy_evaluation_gap",
    "assert_falsified",
    "bellman_contraction",
    "check_model",
    "check_runtime_interface",
    "constant_encoding",
    "dealias",
    "exact_observation_reduction",
    "find_counterexample",
    "kappa_without_max",
    "model_properties",
    "ordinary_q_learning",
    "per_handoff_discount_operator",
    "policy_correspondence",
    "primitive_reduction",
    "tabular_convergence",
    "theorem1_empirical",
    "unit_duration_reduction",
    "unit_durations",
]


@dataclass(frozen=True)
class Checked:
    """A property that held: ``lhs ≤ rhs`` (or ``lhs`` within ``rhs``) and how it was checked."""

    name: str
    lhs: float
    rhs: float
    detail: str = ""
    holds: bool = True


def _fail(name: str, message: str) -> AssertionError:
    return AssertionError(f"{name}: {message}")


def _tol(*scales: float) -> float:
    """Floating-point slack for inequalities between sums of magnitude ``scales``."""
    return 1e-9 * (1.0 + sum(abs(float(s)) for s in scales))


# ---------------------------------------------------------------------------------------
# Lemma C: the Bellman operator is a γ̄-contraction
# ---------------------------------------------------------------------------------------


def per_handoff_discount_operator(model: EpochModel) -> Callable[[np.ndarray], np.ndarray]:
    """WRONG ON PURPOSE (a negative control): ``Tq = r̄ + γ·P·max q``, discounting each handoff
    by γ where an SMDP discounts by ``γ^τ``. It is not a γ̄-contraction when durations exceed 1.
    """
    smdp, P, r, g = model.latent, model.P, model.reward, model.gamma
    return lambda q: r + g * (P @ smdp.vmax(q))


def bellman_contraction(model: EpochModel, q1: np.ndarray, q2: np.ndarray, *,
                        operator: Callable[[EpochModel], Callable] | None = None) -> Checked:
    """Lemma C on one pair: ``‖Tq₁ − Tq₂‖∞ ≤ γ̄ ‖q₁ − q₂‖∞`` for the latent Bellman optimality
    operator (docs/theory.md §1), and the same for the AIS-induced model with its own γ̄̂ ≤ γ̄.

    Parameters
    ----------
    q1, q2 : (n_pairs,) arbitrary action-value vectors
    operator : a factory ``model ↦ T`` to check instead of the latent operator (negative
        controls pass :func:`per_handoff_discount_operator`)
    """
    name = "bellman_contraction"
    q1, q2 = np.asarray(q1, float), np.asarray(q2, float)
    T = model.latent.bellman if operator is None else operator(model)
    g = model.gamma_bar
    lhs = float(np.max(np.abs(T(q1) - T(q2)), initial=0.0))
    dist = float(np.max(np.abs(q1 - q2), initial=0.0))
    slack = _tol(model.R_bar, np.abs(q1).max(initial=0), np.abs(q2).max(initial=0))
    if lhs > g * dist + slack:
        raise _fail(name, f"‖Tq − Tq'‖∞ = {lhs:.12g} > γ̄‖q − q'‖∞ = {g:.12g} × {dist:.12g} = "
                    f"{g * dist:.12g}")
    if operator is None:  # the AIS-induced model's operator, on the σ-averages of q₁, q₂
        hat = ais_model(model).smdp
        if hat.gamma_bar > g + 1e-12:
            raise _fail(name, f"the AIS model's γ̄̂ = {hat.gamma_bar!r} exceeds γ̄ = {g!r}")
        cnt = np.bincount(model.pair_obs_pair, minlength=model.n_obs_pairs)
        h1, h2 = (np.bincount(model.pair_obs_pair, q, minlength=model.n_obs_pairs) / cnt
                  for q in (q1, q2))
        lhs_h = float(np.max(np.abs(hat.bellman(h1) - hat.bellman(h2)), initial=0.0))
        rhs_h = hat.gamma_bar * float(np.max(np.abs(h1 - h2), initial=0.0))
        if lhs_h > rhs_h + slack:
            raise _fail(name, f"AIS model: ‖T̂q − T̂q'‖∞ = {lhs_h:.12g} > γ̄̂‖q − q'‖∞ = "
                        f"{rhs_h:.12g}")
    return Checked(name, lhs, g * dist, f"γ̄ = {g:.6g}, ‖q − q'‖∞ = {dist:.6g}")


# ---------------------------------------------------------------------------------------
# Policy correspondence (§2) and the AIS policy-evaluation gap (§3)
# ---------------------------------------------------------------------------------------


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
    disc = m.gamma ** m.out_dur.astype(float)
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
    tol = z * se + _tol(exact, model.R_bar) * 10
    if abs(mean - exact) > tol:
        raise _fail(name, f"runtime mean return {mean:.9g} (± {se:.3g} over {n} episodes) "
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


def _ais_pieces(model: EpochModel, vhat: np.ndarray, weights: np.ndarray | None = None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, Any]:
    """Per latent pair: ``|r̄ − r̂∘σ|``, ``|⟨σ#K − K̂, v̂⟩|`` and ``‖σ#K − K̂‖₁`` (docs/theory.md §3)."""
    ais = ais_model(model, weights)
    r_err = np.abs(model.reward - ais.smdp.reward[model.pair_obs_pair])
    push = (model.K @ model.obs_states).tocsr()
    diff = (push - ais.smdp.K[model.pair_obs_pair]).tocsr()
    D = np.abs(diff @ vhat)
    L1 = np.asarray(abs(diff).sum(axis=1)).ravel()
    return r_err, D, L1, ais


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
    r_err, _, _, ais = _ais_pieces(model, np.zeros(model.n_obs))
    _, vhat = evaluate(ais.smdp, policy)
    r_err, D, L1, _ = _ais_pieces(model, vhat)
    gap = float(np.max(np.abs(v - vhat[model.state_obs])))
    lat = model.latent
    e_q, e_v = evaluate(SMDP(lat.ptr, lat.succ, r_err + D, lat.K), lifted)
    g = model.gamma_bar
    eps = float(r_err.max())
    h = 1.0 / (1.0 - g) if horizon_factor else 1.0
    va = (eps + float(D.max())) * h
    tv = (eps + float(L1.max()) * float(np.abs(vhat).max(initial=0.0))) * h
    statewise = float(e_v.max())
    slack = _tol(gap, tv, model.R_bar)
    if not horizon_factor:
        if gap > tv + slack:
            raise _fail(name, f"gap max|V^π − V̂^π∘σ| = {gap:.9g} > ε + d₁‖V̂^π‖∞ = {tv:.9g} "
                        "(the bound without 1/(1−γ̄))")
        return PolicyGap(gap, statewise, va, tv, eps)
    chain = [("max|V^π − V̂^π∘σ|", gap), ("state-wise max e^π", statewise),
             ("value-aware (ε + D^π)/(1−γ̄)", va), ("total variation (ε + d₁‖V̂^π‖∞)/(1−γ̄)", tv)]
    for (n1, a), (n2, b) in zip(chain, chain[1:], strict=False):
        if a > b + slack:
            raise _fail(name, f"{n1} = {a:.12g} > {n2} = {b:.12g}")
    return PolicyGap(gap, statewise, va, tv, eps)


# ---------------------------------------------------------------------------------------
# The decentralized runtime's interface (§1–§2)
# ---------------------------------------------------------------------------------------


class LatentLeakWorld(World):
    """WRONG ON PURPOSE (a negative control): a world whose observation label carries the
    latent state id, so that agents could tell aliased states apart."""

    def view(self, y: int) -> tuple[str, str]:
        agent, label = super().view(y)
        return agent, f"{label}#{self.model.state_ids[y]}"


class RelabellingWorld(World):
    """WRONG ON PURPOSE (a negative control): a subtler leak. A latent state that is not the
    first of its observation class ``σ⁻¹(ô)`` is shown another of its agent's own labels, so the
    label is a valid label of the agent but not a function of ``σ(y)``."""

    def view(self, y: int) -> tuple[str, str]:
        m = self.model
        agent, label = super().view(y)
        o = int(m.state_obs[y])
        first = int(np.flatnonzero(m.state_obs == o)[0])
        own = np.flatnonzero(m.obs_agent == m.obs_agent[o])
        if y != first and len(own) > 1:
            other = own[(int(np.searchsorted(own, o)) + 1) % len(own)]
            return agent, m.obs_labels[other]
        return agent, label


@dataclass(frozen=True)
class InterfaceReport:
    """What :func:`check_runtime_interface` saw: calls per method and handoffs checked."""

    handoffs: int
    calls: dict[str, int] = field(default_factory=dict)
    holds: bool = True


class _Probe:
    """Wraps the world: records the latent state (for the checker only) and each outcome."""

    def __init__(self, world: World):
        self.world = world
        self.y = -1
        self.last: tuple[int, float] | None = None

    def _latent(self) -> int:
        y = getattr(self.world, "latent_state", None)
        if not isinstance(y, int | np.integer):
            raise AssertionError("check_runtime_interface: the world keeps no latent state "
                                 "attribute `latent_state` to check the labels against")
        return int(y)

    def reset(self) -> tuple[str, str]:
        view = self.world.reset()
        self.y = self._latent()
        return view

    def invoke(self, successor: str) -> tuple[int, float, tuple[str, str] | None]:
        tau, reward, nxt = self.world.invoke(successor)
        self.last = (tau, reward)
        if nxt is not None:
            self.y = self._latent()
        return tau, reward, nxt


class _Recorder:
    """Wraps one agent and checks every value it receives."""

    def __init__(self, name: str, inner: Any, model: EpochModel, probe: _Probe,
                 log: dict[str, Any]):
        self.name = name
        self._inner = inner
        self._m = model
        self._probe = probe
        self._log = log
        a = model.agents.index(name)
        self._own = {model.obs_labels[o]: [model.successor_name(j) for j in
                                           model.obs_succ[model.obs_ptr[o]:model.obs_ptr[o + 1]]]
                     for o in np.flatnonzero(model.obs_agent == a)}
        self._pending: tuple[str, str] | None = None

    def _where(self) -> str:
        return f"agent {self.name!r}"

    def _check_obs(self, obs: Any, method: str, *, current: bool) -> None:
        m = self._m
        self._log["calls"][method] = self._log["calls"].get(method, 0) + 1
        if type(obs) is not str:
            raise AssertionError(f"{self._where()}.{method} received {type(obs).__name__} "
                                 f"{obs!r}, not an observation label (str)")
        if obs not in self._own:
            raise AssertionError(f"{self._where()}.{method} received {obs!r}, which is not one "
                                 f"of its own observation labels {sorted(self._own)}")
        if current:
            y = self._probe.y
            if m.agents[m.state_agent[y]] != self.name:
                raise AssertionError(f"{self._where()}.{method} called while agent "
                                     f"{m.agents[m.state_agent[y]]!r} is active")
            expected = m.obs_labels[m.state_obs[y]]
            seen = self._log["labels"].setdefault(int(m.state_obs[y]), set())
            seen.add(obs)
            if obs != expected:
                raise AssertionError(
                    f"{self._where()}.{method} received label {obs!r} at a latent state whose "
                    f"observation is {expected!r}: labels are not the function O_i of σ(y) "
                    f"(labels seen for this observation: {sorted(seen)})")

    def choose(self, obs: str) -> str:
        self._check_obs(obs, "choose", current=True)
        j = self._inner.choose(obs)
        if type(j) is not str or j not in self._own[obs]:
            raise AssertionError(f"{self._where()}.choose returned {j!r}, not an admissible "
                                 f"successor name of {obs!r}: {self._own[obs]}")
        self._pending = (obs, j)
        return j

    def value(self, obs: str) -> float:
        self._check_obs(obs, "value", current=True)
        v = self._inner.value(obs)
        self._log["last_value"] = float(v)
        return v

    def learn(self, obs: str, successor: str, message: Handoff) -> None:
        self._check_obs(obs, "learn", current=False)
        if self._pending != (obs, successor):
            raise AssertionError(f"{self._where()}.learn received ({obs!r}, {successor!r}), not "
                                 f"its own last decision {self._pending}")
        if type(message) is not Handoff:
            raise AssertionError(f"{self._where()}.learn received a {type(message).__name__}, "
                                 "not a Handoff")
        names = tuple(f.name for f in fields(message))
        if names != ("value", "duration", "reward"):
            raise AssertionError(f"Handoff carries {names}, not exactly (value, duration, reward)")
        tau, reward = self._probe.last
        if (message.duration, message.reward) != (tau, reward):
            raise AssertionError(f"Handoff (duration, reward) = ({message.duration}, "
                                 f"{message.reward}) differs from the invocation's ({tau}, "
                                 f"{reward})")
        expect = self._log.pop("last_value", 0.0)
        if message.value != expect:
            raise AssertionError(f"Handoff.value = {message.value!r} is not the successor's own "
                                 f"V_j(o') = {expect!r}")
        self._log["handoffs"] += 1
        self._inner.learn(obs, successor, message)


def check_runtime_interface(model: EpochModel, *, world: Callable[[EpochModel, Xoshiro], World]
                            = World, handoffs: int = 500, seed: int = 0,
                            config: TrainConfig | None = None) -> InterfaceReport:
    """Run tabular IC-Q agents through :func:`~icq.reference.learners.runtime.run` and check, at
    every call, that an agent receives only (docs/theory.md §1, interface constraint; §2):

    - its *own* observation labels, equal to the model's label ``O_i`` of the current ``σ(y)``
      (so labels are a function of the observation and carry nothing of ``y``);
    - admissible successor names (``str``) and, in ``learn``, its own last decision;
    - :class:`~icq.reference.learners.runtime.Handoff` messages of exactly three numbers: the
    successor's
      own value ``V_j(o')`` (0 at an episode end), and the invocation's ``τ`` and ``R``.

    ``world`` builds the world (default the runtime's :class:`World`); the negative controls pass
    :class:`LatentLeakWorld` or :class:`RelabellingWorld`. Raises AssertionError at the first
    violation.
    """
    cfg = config or TrainConfig(handoffs=handoffs, seed=seed)
    _, inner = tabular_agents(model, cfg)
    probe = _Probe(world(model, Xoshiro(seed + 1)))
    log: dict[str, Any] = {"calls": {}, "labels": {}, "handoffs": 0}
    agents = {a: _Recorder(a, inner[a], model, probe, log) for a in model.agents}
    stats = run(probe, agents, handoffs)  # type: ignore[arg-type]
    if log["handoffs"] != stats.handoffs:
        raise AssertionError(f"{stats.handoffs} handoffs ran but {log['handoffs']} reached the "
                             "predecessor's learn()")
    return InterfaceReport(handoffs=stats.handoffs, calls=dict(log["calls"]))


# ---------------------------------------------------------------------------------------
# Reductions: τ ≡ 1 and exact observations
# ---------------------------------------------------------------------------------------


def ordinary_q_learning(model: EpochModel, config: TrainConfig) -> np.ndarray:
    """Plain Watkins Q-learning on observation pairs with discount γ per step, in plain Python,
    on the same random stream and in the same draw order as
    :func:`~icq.reference.learners.tabular.train_tabular` (behaviour exploration). For a model with
    τ ≡ 1 this is ordinary Q-learning of the MDP; for others it ignores the durations.

    ``Q(ô,j) ← Q(ô,j) + α_n (R + γ max_{j'} Q(ô',j') − Q(ô,j))``, target ``R`` at an episode end.
    """
    if config.exploration != "behavior":
        raise ValueError("ordinary_q_learning: only behaviour exploration is implemented")
    from icq.reference.common.rng import next_double, seed_state

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
    y = min(int(np.searchsorted(init_cdf, next_double(rs), side="right")), m.n_states - 1)
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
    from icq.property_tests.strategies import rebuild

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
        raise _fail(name, f"max |Q_IC-Q − Q_Q-learning| = {err:.3g} after {handoffs} handoffs "
                    f"(T_max = {m.T_max})")
    world, agents = tabular_agents(m, cfg)
    run(world, agents, handoffs)
    rt = np.concatenate([np.array([agents[m.agents[m.obs_agent[o]]].table()[m.obs_labels[o]][
        m.successor_name(j)] for j in m.obs_succ[m.obs_ptr[o]:m.obs_ptr[o + 1]]])
        for o in range(m.n_obs)])
    err_rt = float(np.max(np.abs(rt - plain), initial=0.0))
    if err_rt > scale:
        raise _fail(name, f"runtime agents differ from Q-learning by {err_rt:.3g}")
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
    r_err, D, L1, ais = _ais_pieces(m, np.zeros(m.n_obs))
    eps, d1 = float(r_err.max()), float(L1.max())
    q = solve(m.latent).q
    qhat = solve(ais.smdp).q
    gap = float(np.max(np.abs(q - qhat[m.pair_obs_pair])))
    scale = 1e-9 * (1.0 + float(np.abs(q).max()))
    eps_b, delta_b = _bounds_terms(m)
    if max(abs(eps_b), abs(delta_b)) > scale:
        raise _fail(name, f"icq.bounds reports ε = {eps_b!r}, δ = {delta_b!r} for "
                    f"{'exact' if force_exact else 'the given'} observations "
                    f"({m.n_states} states, {m.n_obs} observations)")
    if max(eps, d1, gap) > scale:
        raise _fail(name, f"ε = {eps:.3g}, d_TV = {d1:.3g}, max|Q* − Q̂*∘σ| = {gap:.3g} "
                    f"for {'exact' if force_exact else 'the given'} observations "
                    f"({m.n_states} states, {m.n_obs} observations)")
    return Checked(name, max(eps, d1, gap), scale, f"{m.n_states} states, exact observations")


def _bounds_terms(model: EpochModel) -> tuple[float, float]:
    """ε (B1) and δ (B2, total variation) as :mod:`icq.bounds` computes them."""
    from icq.bounds.ais import delta_tv, reward_sufficiency
    from icq.bounds.setting import prepare

    s = prepare(model)
    return reward_sufficiency(s).value, delta_tv(s).delta


# ---------------------------------------------------------------------------------------
# Tabular IC-Q converges to Q̂*_μ (§2)
# ---------------------------------------------------------------------------------------


def tabular_convergence(model: EpochModel, *, handoffs: int = 400_000, seed: int = 0,
                        tol: float = 0.05, ignore_durations: bool = False,
                        frozen: bool = False) -> Checked:
    """Tabular IC-Q with the behaviour policy converges to ``Q̂*_μ`` of the AIS-induced SMDP
    under the stationary μ (docs/theory.md §2): after ``handoffs`` handoffs the μ-weighted RMS error
    ``‖Q − Q̂*_μ‖_μ`` over the support of μ ⊗ π_b is at most ``tol·(1 + ‖Q̂*_μ‖∞)``.

    Needs a uniformly ergodic behaviour chain (raises ValueError otherwise).
    ``ignore_durations=True`` is a NEGATIVE CONTROL: a learner that discounts every handoff by
    γ instead of γ^τ (IC-Q run on the model with τ ≡ 1), compared with the true ``Q̂*_μ``.
    ``frozen=True`` is a NEGATIVE CONTROL: a learner that never moves (Q ≡ Q₀ = 0).
    """
    name = "tabular_convergence"
    st = stationary(model)
    if not st.ergodic:
        raise ValueError(f"{name}: the behaviour chain is not uniformly ergodic ({st.reason})")
    hat = solve(ais_model(model).smdp).q
    learner_model = unit_durations(model) if ignore_durations else model
    q = (np.zeros(model.n_obs_pairs) if frozen
         else train_tabular(learner_model, TrainConfig(handoffs=handoffs, seed=seed)).q)
    w = np.bincount(model.pair_obs_pair, st.mu[model.pair_state], minlength=model.n_obs_pairs)
    w = w * model.behavior
    w = w / w.sum()
    err = float(np.sqrt(w @ (q - hat) ** 2))
    bound = tol * (1.0 + float(np.abs(hat).max()))
    if err > bound:
        raise _fail(name, f"‖Q − Q̂*_μ‖_μ = {err:.4g} > {bound:.4g} after {handoffs} handoffs"
                    + (" (learner ignores durations)" if ignore_durations else "")
                    + (" (frozen learner)" if frozen else ""))
    return Checked(name, err, bound, f"{handoffs} handoffs, seed {seed}")



# ---------------------------------------------------------------------------------------
# Lemma A and Lemma P: the AIS gaps are ordered and bound the policy loss (§3)
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GapChain:
    """The four AIS gaps, the exact policy loss and its bounds, as :mod:`icq.bounds` computed
    them (docs/theory.md §3)."""

    exact: float
    statewise: float
    value_aware: float
    paper: float
    policy_loss: float
    loss_bounds: dict[str, float]
    holds: bool = True


def ais_bound_soundness(model: EpochModel, *, horizon_factor: bool = True) -> GapChain:
    """Lemma A and Lemma P on one model, with the numbers of :mod:`icq.bounds` (docs/theory.md §3):

    - ``Δ_exact ≤ max e ≤ Δ_va ≤ Δ_AIS`` (total variation, paper form);
    - the exact loss of the greedy decentralized policy is at most each of its bounds:
      ``2Δ`` for Δ_AIS, Δ_va and the state-wise bound, ``2Δ_exact/(1−γ̄)`` for Δ_exact;
    - cross-checks against an independent computation: ε, ``d = max‖σ#K − K̂‖₁`` and Δ_exact
      (both optima solved here by :func:`~icq.reference.exact.solve.solve`) agree to 1e-8.

    NEGATIVE CONTROL: ``horizon_factor=False`` uses the paper form without its ``1/(1−γ̄)``,
    ``ε + γ̄ L_V δ``, as the bound on Δ_exact.
    """
    from icq.bounds import (
        ais_gap_exact,
        ais_gap_paper,
        ais_gap_statewise,
        ais_gap_value_aware,
        delta_tv,
        policy_loss_bound,
        policy_loss_exact,
        prepare,
        reward_sufficiency,
    )

    name = "ais_bound_soundness"
    s = prepare(model)
    g = model.gamma_bar
    eps = reward_sufficiency(s).value
    tv = delta_tv(s)
    paper = ais_gap_paper(eps, tv.delta, tv.L_V, g)
    va, sw, ex = ais_gap_value_aware(s), ais_gap_statewise(s), ais_gap_exact(s)
    loss = policy_loss_exact(s).value
    bounds = {gp.form: policy_loss_bound(gp, g).value for gp in (paper, va, sw, ex)}
    scale = 1.0 + float(np.abs(s.latent.q).max(initial=0.0)) + model.R_bar
    slack = 1e-9 * scale

    # independent cross-checks
    weights = s.ais.weights
    r_err, _, L1, ais = _ais_pieces(model, np.zeros(model.n_obs), weights)
    q, qhat = solve(model.latent).q, solve(ais.smdp).q
    mine = {"ε": (float(r_err.max(initial=0.0)), eps),
            "d_TV": (float(L1.max(initial=0.0)), tv.d_max),
            "Δ_exact": (float(np.abs(q - qhat[model.pair_obs_pair]).max(initial=0.0)),
                        ex.value)}
    for what, (a, b) in mine.items():
        if abs(a - b) > 1e-8 * scale:
            raise _fail(name, f"{what} = {b!r} from icq.bounds differs from an independent "
                        f"computation {a!r}")

    top = paper.value if horizon_factor else eps + g * tv.L_V * tv.delta
    chain = [("Δ_exact", ex.value), ("state-wise max e", sw.value),
             ("Δ_va", va.value), ("Δ_AIS" if horizon_factor else "ε + γ̄ L_V δ", top)]
    if not horizon_factor:
        chain = [chain[0], chain[-1]]
    for (n1, a), (n2, b) in zip(chain, chain[1:], strict=False):
        if a > b + slack:
            raise _fail(name, f"{n1} = {a:.12g} > {n2} = {b:.12g} (γ̄ = {g:.6g}, ε = {eps:.6g}, "
                        f"δ = {tv.delta:.6g}, L_V = {tv.L_V:.6g})")
    for what, b in ((f"its bound from Δ {form}", b) for form, b in bounds.items()):
        if loss > b + slack:
            raise _fail(name, f"exact policy loss max(V* − V^π̂) = {loss:.12g} > {what} = "
                        f"{b:.12g}")
    return GapChain(ex.value, sw.value, va.value, paper.value, loss, bounds)


# ---------------------------------------------------------------------------------------
# A6: strong monotonicity and the κ-contraction of ΠT̂ (§5)
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class A6Parts:
    """What §5's quantities are made of, for a feature map Φ and the stationary μ.

    w_pair : (n_pairs,) ``μ(y) π_b(j|σ(y))``; w : (n_obs_pairs,) ``w(ô,j)``;
    sigma : (d, d) ``Σ``; M : (n_obs,) ``E[γ^{2τ} 1{σ(Y') = ô'}]``
    """

    model: EpochModel
    phi: np.ndarray
    mu: np.ndarray
    w_pair: np.ndarray
    w: np.ndarray
    sigma: np.ndarray
    M: np.ndarray
    r_hat: np.ndarray
    K_hat: Any

    def ratio(self, u: np.ndarray) -> tuple[float, float]:
        """Numerator and denominator of κ²'s Rayleigh-type quotient at direction ``u``."""
        m = self.model
        with np.errstate(all="ignore"):  # a non-finite direction gives a non-finite ratio
            f = self.phi @ u
            top = np.maximum.reduceat(f**2, m.obs_ptr[:-1]) if len(f) else f
            return float(self.M @ top), float(u @ self.sigma @ u)

    def basis_ratios(self) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`ratio` at every coordinate direction ``e_k`` at once: (d,) numerators and
        denominators (``φ e_k`` is column k of Φ, ``e_kᵀΣe_k = Σ_kk``)."""
        m = self.model
        top = (np.maximum.reduceat(self.phi**2, m.obs_ptr[:-1], axis=0) if len(self.phi)
               else np.zeros((0, self.phi.shape[1])))
        return self.M @ top, np.diag(self.sigma).copy()

    def expected_update(self, theta: np.ndarray) -> np.ndarray:
        """``ḡ(θ) = E_{μ⊗π_b}[φ(ô,j)(R + γ^τ max_b φ(ô',b)ᵀθ − φ(ô,j)ᵀθ)]`` (0 continuation at an
        end), computed on latent pairs."""
        m = self.model
        q = self.phi @ theta
        v_obs = np.maximum.reduceat(q, m.obs_ptr[:-1])  # V_θ(ô') = max_b φ(ô',b)ᵀθ
        phik = self.phi[m.pair_obs_pair]
        td = m.reward + m.K @ v_obs[m.state_obs] - phik @ theta
        return phik.T @ (self.w_pair * td)

    def projected_bellman(self, theta: np.ndarray) -> np.ndarray:
        """``ΠT̂Q_θ`` on observation pairs: T̂ of the AIS model under μ, Π the ‖·‖_μ projection
        onto span(Φ) (least squares on the support)."""
        m = self.model
        q = self.phi @ theta
        tq = self.r_hat + self.K_hat @ np.maximum.reduceat(q, m.obs_ptr[:-1])
        sw = np.sqrt(self.w)
        coef = np.linalg.lstsq(self.phi * sw[:, None], tq * sw, rcond=None)[0]
        return self.phi @ coef

    def norm(self, f: np.ndarray) -> float:
        """``‖f‖_μ = (Σ w f²)^{1/2}`` over observation pairs."""
        return float(np.sqrt(self.w @ (f * f)))


_MEMO: dict[int, tuple[weakref.ref, dict[Any, Any]]] = {}


def per_model(model: EpochModel, key: Any, compute: Callable[[], Any]) -> Any:
    """``compute()`` once per model object and ``key``: what one property (or one draw) computed
    for a model is reused by the others on the same model (:func:`check_model` checks the model
    itself with every property and many draws). Entries live as long as the model object."""
    entry = _MEMO.get(id(model))
    if entry is None or entry[0]() is not model:
        entry = (weakref.ref(model), {})
        _MEMO[id(model)] = entry
        weakref.finalize(model, _MEMO.pop, id(model), None)
    cache = entry[1]
    if key not in cache:
        cache[key] = compute()
    return cache[key]


def _digest(a: np.ndarray) -> str:
    a = np.ascontiguousarray(a, dtype=float)
    return hashlib.sha256(a.tobytes() + repr(a.shape).encode()).hexdigest()


def a6_parts(model: EpochModel, phi: np.ndarray) -> A6Parts:
    """The §5 quantities for ``phi`` under the behaviour chain's stationary μ.

    Raises ValueError when the chain is not uniformly ergodic (no μ: §5 is undefined)."""
    st = stationary(model)
    if not st.ergodic:
        raise ValueError(f"A6 needs the stationary law μ: {st.reason}")
    mu = st.mu
    phi = np.asarray(phi, dtype=float)
    if phi.ndim != 2 or phi.shape[0] != model.n_obs_pairs:
        raise ValueError(f"phi: expected shape (n_obs_pairs = {model.n_obs_pairs}, d), got "
                         f"{phi.shape}")
    w_pair = mu[model.pair_state] * model.behavior[model.pair_obs_pair]
    w = np.bincount(model.pair_obs_pair, w_pair, minlength=model.n_obs_pairs)
    sigma = phi.T @ (phi * w[:, None])
    M = np.asarray(model.obs_states.T @ (model.K2.T @ w_pair)).ravel()
    ais = ais_model(model, mu).smdp
    return A6Parts(model, phi, mu, w_pair, w, sigma, M, ais.reward, ais.K)


def kappa_without_max(model: EpochModel, phi: np.ndarray) -> float:
    """WRONG ON PURPOSE (a negative control): κ with the successor's ``max_b`` replaced by the
    behaviour average ``Σ_b π_b(b|ô')``, i.e. the κ of policy evaluation, not of Q-learning.
    ``κ_wrong² = λ_max(N_avg, Σ)`` with ``N_avg = Σ_ô' M(ô') Σ_b π_b(b|ô') φ_bφ_bᵀ``."""
    p = a6_parts(model, phi)
    wb = p.M[model.obs_pair_obs] * model.behavior
    N = p.phi.T @ (p.phi * wb[:, None])
    lam, U = np.linalg.eigh(p.sigma)
    pos = lam > 1e-12 * max(float(lam.max(initial=0.0)), 1e-300)
    L = U[:, pos] / np.sqrt(lam[pos])
    top = np.linalg.eigvalsh(L.T @ N @ L)
    return math.sqrt(max(float(top.max(initial=0.0)), 0.0))


def _infinite_kappa_ratio(p: A6Parts, K: Any) -> float:
    """Verify an audit's κ = ∞ given without a witness direction: it needs Σ singular (to
    working precision, smallest eigenvalue ≤ 1e-12 × largest), i.e. a direction the learner
    never updates; for a nonsingular Σ κ is finite and the claim is wrong."""
    if not math.isinf(K.lower):
        raise _fail("a6_contraction", f"the audit says A6 fails with κ_lower = {K.lower!r} but "
                    "gives no witness direction")
    lam = np.linalg.eigvalsh(p.sigma)
    top = float(lam.max(initial=0.0))
    if top <= 0.0 or float(lam.min()) <= 1e-12 * top:
        # Σ = 0, or singular to working precision: A5 fails and κ = ∞ is the conservative
        # reading (a direction that is never updated); nothing finer is decidable in floats
        return math.inf
    raise _fail("a6_contraction", f"the audit says κ = ∞ without a witness, but Σ is "
                f"nonsingular (eigenvalues {float(lam.min()):.3g} … {top:.3g}), so κ is finite")


@dataclass(frozen=True)
class A6Check:
    """What :func:`a6_contraction` checked: the audit's verdict and the two inequalities."""

    verdict: bool | None
    kappa: float
    omega: float
    monotone: tuple[float, float]
    contraction: tuple[float, float]
    ratio: float
    holds: bool = True


def a6_contraction(model: EpochModel, phi: np.ndarray, theta1: np.ndarray,
                   theta2: np.ndarray, *, kappa: float | None = None,
                   omega: float | None = None, basis: bool = True) -> A6Check:
    """A6 on one θ pair, against the audit's κ and ω (docs/theory.md §5; :mod:`..features`).

    Always: the direction ``u = θ₁ − θ₂`` (and, with ``basis``, every coordinate direction)
    has ``ratio(u) ≤ κ_upper²`` (κ_upper is sound).
    Where the audit says A6 holds with κ (< 1):

    - strong monotonicity ``(θ₁−θ₂)ᵀ(ḡ(θ₁) − ḡ(θ₂)) ≤ −(1−κ) ω ‖θ₁−θ₂‖²``;
    - contraction ``‖ΠT̂Q_θ₁ − ΠT̂Q_θ₂‖_μ ≤ κ ‖Q_θ₁ − Q_θ₂‖_μ``.

    Both inequalities are checked at the drawn pair and, with ``basis``, at every pair
    ``(e_k, 0)`` of coordinate directions. Where the audit says A6 fails: its witness direction
    has ratio ≥ 1 (equal to κ_lower²), so A6 really fails. ``kappa``/``omega`` given
    explicitly replace the audit's (negative controls pass :func:`kappa_without_max`); the
    inequalities are then checked whatever κ is.
    """
    from icq.bounds.features import kappa as kappa_fn
    from icq.bounds.features import omega as omega_fn
    from icq.bounds.features import support

    name = "a6_contraction"
    digest = _digest(phi)
    p = per_model(model, ("a6_parts", digest), lambda: a6_parts(model, phi))
    u = np.asarray(theta1, float) - np.asarray(theta2, float)
    num, den = p.ratio(u)
    ratio = num / den if den > 0 else (math.inf if num > 0 else 0.0)
    verdict: bool | None = True
    if kappa is None:
        def terms() -> tuple[Any, Any]:
            sup = support(model, p.mu)
            return kappa_fn(model, p.phi, sup, p.mu), omega_fn(p.phi, sup)

        K, O = per_model(model, ("a6_kappa_omega", digest), terms)  # noqa: N806
        verdict, kap, om = K.a6_holds, K.upper, O.value
        slack_r = 1e-9 * (1.0 + K.upper**2 if math.isfinite(K.upper) else 1.0)
        nums, dens = [num], [den]
        if basis:
            bn, bd = per_model(model, ("a6_basis", digest), p.basis_ratios)
            nums, dens = [num, *bn], [den, *bd]
        for k, (num_k, den_k) in enumerate(zip(nums, dens, strict=True)):
            which = "u = θ₁ − θ₂" if k == 0 else f"e_{k - 1}"
            r = num_k / den_k if den_k > 0 else (math.inf if num_k > 0 else 0.0)
            if r > K.upper**2 + slack_r:
                raise _fail(name, f"direction {which} has ratio {r:.12g} > κ_upper² = "
                            f"{K.upper**2:.12g}: the audit's κ upper bound is not sound")
        if verdict is False:
            if K.witness is not None:
                wn, wd = p.ratio(np.asarray(K.witness, float))
                wr = wn / wd if wd > 0 else math.inf
            elif K.witness_pair is not None:  # the tabular closed form names a pair
                e = np.zeros(model.n_obs_pairs)
                e[K.witness_pair] = 1.0
                coef = np.linalg.lstsq(p.phi, e, rcond=None)[0]
                wn, wd = p.ratio(coef)
                wr = wn / wd if wd > 0 else math.inf
            else:  # κ = ∞ without a witness: Σ = 0, or a null direction of Σ is seen
                wr = _infinite_kappa_ratio(p, K)
            if wr < 1.0 - 1e-9:
                raise _fail(name, f"the audit says A6 fails (κ_lower = {K.lower:.6g}) but its "
                            f"witness has ratio {wr:.12g} < 1")
            return A6Check(False, K.lower, om, (0.0, 0.0), (0.0, 0.0), wr)
        if verdict is None:
            return A6Check(None, kap, om, (0.0, 0.0), (0.0, 0.0), ratio)
    else:
        kap = float(kappa)
        om = float(omega) if omega is not None else float(
            np.linalg.eigvalsh(p.sigma).min(initial=0.0))
    pairs = [(np.asarray(theta1, float), np.asarray(theta2, float), "the drawn pair")]
    if basis:  # the coordinate directions, where tabular worst cases sit
        d = p.phi.shape[1]
        pairs += [(np.eye(d)[k], np.zeros(d), f"(e_{k}, 0)") for k in range(d)]
    worst_mono, worst_c = (-math.inf, 0.0), (0.0, 0.0)
    for t1, t2, which in pairs:
        du = t1 - t2
        g1, g2 = p.expected_update(t1), p.expected_update(t2)
        mono = float(du @ (g1 - g2))
        mono_rhs = -(1.0 - kap) * om * float(du @ du)
        scale = 1e-9 * (1.0 + float(du @ du) + abs(float(du @ g1)) + abs(float(du @ g2)))
        if mono > mono_rhs + scale:
            raise _fail(name, f"at {which}: (θ₁−θ₂)ᵀ(ḡ(θ₁)−ḡ(θ₂)) = {mono:.12g} > "
                        f"−(1−κ)ω‖θ₁−θ₂‖² = {mono_rhs:.12g} (κ = {kap:.6g}, ω = {om:.6g})")
        c_lhs = p.norm(p.projected_bellman(t1) - p.projected_bellman(t2))
        c_rhs = kap * p.norm(p.phi @ du)
        if c_lhs > c_rhs + 1e-9 * (1.0 + c_rhs):
            raise _fail(name, f"at {which}: ‖ΠT̂Q_θ₁ − ΠT̂Q_θ₂‖_μ = {c_lhs:.12g} > "
                        f"κ‖Q_θ₁ − Q_θ₂‖_μ = {c_rhs:.12g} (κ = {kap:.6g})")
        if mono - mono_rhs > worst_mono[0] - worst_mono[1]:
            worst_mono = (mono, mono_rhs)
        if c_lhs - c_rhs > worst_c[0] - worst_c[1]:
            worst_c = (c_lhs, c_rhs)
    return A6Check(verdict, kap, om, worst_mono, worst_c, ratio)


# ---------------------------------------------------------------------------------------
# Theorem 1 against the learner (§6)
# ---------------------------------------------------------------------------------------


def constant_encoding(model: EpochModel, agent: int) -> np.ndarray:
    """The observation encoding ``x(ô) = 1`` for every observation of ``agent``: with a linear
    network (depth 0, no bias) ``Q(ô, j) = W_i[j]``, one parameter per (agent, successor)."""
    return np.ones((int((np.asarray(model.obs_agent) == agent).sum()), 1))


@dataclass(frozen=True)
class Theorem1Check:
    """MSE of projected IC-Q over seeds against Theorem 1 at T handoffs (docs/theory.md §6)."""

    applicable: bool
    reason: str
    handoffs: int
    seeds: int
    mse: float | None = None
    se: float | None = None
    bound: float | None = None
    asymptote: float | None = None
    holds: bool = True


def theorem1_empirical(model: EpochModel, *, handoffs: int = 500, seeds: int = 6,
                       encoding: Callable[[EpochModel, int], np.ndarray] = constant_encoding,
                       z: float = 3.0, asymptote_only: bool = False) -> Theorem1Check:
    """Theorem 1 against the learner it is about (docs/theory.md §6).

    The learner is neural IC-Q (:mod:`icq.reference.learners.neural`) with linear networks (depth 0,
    no bias) over ``encoding``: ``Q = Φθ`` exactly, Φ its tangent features. The audit
    (:func:`icq.bounds.audit` with that Φ) decides whether Theorem 1 applies and gives κ, ω, R_θ and
    the bound at T = ``handoffs``. Where it applies, projected SGD with the theorem's steps ``α_t =
    1/((1−κ)ω(t+1))``, the joint projection onto ``‖θ‖ ≤ R_θ`` and the averaged iterate θ̄_T runs
    for ``seeds`` seeds, and the mean over seeds of ``‖Q_θ̄_T∘σ − Q*‖²_μ`` (over (y, j) ~ μ ⊗ π_b)
    must be at most the bound with every Δ of §3 (the tightest, Δ_exact, included) plus ``z``
    standard errors of that mean.

    Where the theorem does not apply, returns ``applicable=False`` with the audit's reason.
    ``asymptote_only=True`` is a NEGATIVE CONTROL: the bound without its mixing residual
    (``3C_F²ε_approx² + 3Δ_exact²``), which a finite run does not reach.
    """
    from icq.bounds import audit
    from icq.bounds.theorem import theorem1
    from icq.reference.learners.neural import NeuralConfig, tangent_features, train_neural_batch

    name = "theorem1_empirical"
    tf = tangent_features(model, width=1, depth=0, bias=False, encoding=encoding)
    shared = per_model(model, "bounds_setting", dict)  # one setting for every encoding
    a = audit(model, features=tf.Phi, feature_kind="linear", handoffs=handoffs,
              setting=shared.get("setting"))
    shared["setting"] = a.setting
    th = a.theorem
    if not th.applicable:
        return Theorem1Check(False, th.reason, handoffs, seeds)
    inp = th.inputs
    radius = max(float(inp["R_theta"]), 1e-9)
    # θ* = 0: any positive radius is admissible. The learner below starts from ν₀ with no
    # burn-in: re-evaluate at t_b = 0 with d(0) = ½‖ν₀ − μ‖₁ (docs/theory.md §6).
    d0 = float(a.start_distances[0]) if a.start_distances is not None else 1.0
    th = theorem1(handoffs, kappa=inp["kappa"], omega=inp["omega"],
                  eps_approx=inp["eps_approx"], C_F=inp["C_F"], gaps=a.gaps(),
                  R_bar=model.R_bar, R_theta=radius, tau=a.mixing.tau,
                  applicable=True, reason=th.reason, burn_in=0, d_burn=min(d0, 1.0))
    cfg = NeuralConfig(handoffs=handoffs, width=1, depth=0, bias=False, optimizer="sgd",
                       schedule="theory", kappa=inp["kappa"], omega=inp["omega"],
                       radius=radius / tf.scale, projection="joint", average=True)
    res = train_neural_batch(model, cfg, seeds=range(seeds), encoding=encoding)
    mu = a.setting.stationary.mu
    w = mu[model.pair_state] * model.behavior[model.pair_obs_pair]
    # Theorem 1 (docs/theory.md §6, corrected) is about the averaged iterate θ̄_T
    err = ((res.q[:, model.pair_obs_pair] - a.setting.latent.q[None, :]) ** 2) @ w
    mse = float(err.mean())
    se = float(err.std(ddof=1) / math.sqrt(len(err))) if len(err) > 1 else 0.0
    bound = min(b for b in th.bound_by_gap.values() if b is not None)
    asym = th.terms["approximation"] + 3.0 * a.gap_exact.value ** 2
    claim = asym if asymptote_only else bound
    if mse - z * se > claim * (1 + 1e-9) + 1e-12:
        what = ("3C_F²ε_approx² + 3Δ_exact² (no mixing residual)" if asymptote_only
                else "the Theorem 1 bound (tightest Δ)")
        raise _fail(name, f"mean over {seeds} seeds of ‖Q_θ̄_T∘σ − Q*‖²_μ = {mse:.6g} "
                    f"(se {se:.3g}) > {what} = {claim:.6g} at T = {handoffs} "
                    f"(κ = {inp['kappa']:.4g}, ω = {inp['omega']:.4g}, R_θ = {radius:.4g})")
    return Theorem1Check(True, th.reason, handoffs, seeds, mse, se, bound, asym)


# ---------------------------------------------------------------------------------------
# The primitive → epoch reduction against simulation (§1)
# ---------------------------------------------------------------------------------------


def primitive_reduction(pm: Any, *, invocations: int = 4000, seed: int = 0, z: float = 5.0,
                        t_max_shift: int = 0) -> Checked:
    """The exact reduction :func:`~icq.reference.model.primitive.reduce_to_epoch` against Monte
    Carlo simulation of the primitive model (docs/theory.md §1).

    Along ``invocations`` simulated invocations ``(y_k, j_k, τ_k, R_k, y'_k)`` of the behaviour
    chain (:func:`~icq.reference.model.primitive.simulate`), the differences ``R_k − r̄(y_k,j_k)``,
    ``γ^{τ_k} − E[γ^τ | y_k,j_k]``, ``τ_k − E[τ | y_k,j_k]`` and
    ``1{y'_k = end} − P(end | y_k,j_k)`` are martingale differences under the exact law; each
    mean must be within ``z`` standard errors (computed from the sample) of 0. Every simulated
    state must be a state of the reduction.

    ``t_max_shift=1`` is a NEGATIVE CONTROL: the reduction of the model with ``T_max + 1``
    (forced termination one step too late), compared with simulations of the model itself.
    """
    from dataclasses import replace

    from icq.reference.model.primitive import reduce_to_epoch, simulate

    name = "primitive_reduction"
    em = reduce_to_epoch(pm if not t_max_shift else replace(pm, T_max=pm.T_max + t_max_shift))
    sim = simulate(pm, invocations, seed)
    index = {sid: y for y, sid in enumerate(em.state_ids)}
    ys = []
    for row in sim.state:
        sid = pm.state_id(row)
        if sid not in index:
            raise _fail(name, f"simulated epoch state {sid!r} is not a state of the reduction")
        ys.append(index[sid])
    ys = np.array(ys)
    # latent pair of each sample: position of j in J(σ(y))
    pair = np.empty(len(ys), dtype=np.int64)
    for k, (y, j) in enumerate(zip(ys, sim.successor, strict=True)):
        lo, hi = em.pair_ptr[y], em.pair_ptr[y + 1]
        pos = np.flatnonzero(em.pair_succ[lo:hi] == j)
        if len(pos) != 1:
            raise _fail(name, f"successor {j} is not admissible at {em.state_ids[y]!r}")
        pair[k] = lo + pos[0]
    per_outcome = {"R": em.out_rew, "γ^τ": em.gamma ** em.out_dur.astype(float),
                   "τ": em.out_dur.astype(float), "end": (em.out_next < 0).astype(float)}
    seen = {"R": sim.reward, "γ^τ": em.gamma ** sim.duration.astype(float),
            "τ": sim.duration.astype(float), "end": (sim.next[:, 0] < 0).astype(float)}
    worst = 0.0
    for what, f in per_outcome.items():
        ex = np.bincount(em.out_pair, em.out_prob * f, minlength=em.n_pairs)
        # the exact conditional variance given (y, j) (for R, its part between outcomes, a
        # lower bound): it keeps the standard error honest when rare outcomes go unsampled
        var = np.bincount(em.out_pair, em.out_prob * f * f, minlength=em.n_pairs) - ex**2
        d = seen[what] - ex[pair]
        mean = float(d.mean())
        v = max(float(d.var(ddof=1)) if len(d) > 1 else 0.0, float(np.maximum(var, 0)[pair].mean()))
        se = math.sqrt(v / len(d))
        tol = z * se + 1e-9 * (1.0 + float(np.abs(ex).max(initial=0.0)))
        if abs(mean) > tol:
            raise _fail(name, f"E[{what}] of the simulated invocations differs from the exact "
                        f"reduction by {mean:.4g} (> {z:g}·se = {tol:.3g}, {len(d)} invocations"
                        + (f"; reduction with T_max + {t_max_shift}" if t_max_shift else "")
                        + ")")
        worst = max(worst, abs(mean) / tol if tol > 0 else 0.0)
    return Checked(name, worst, 1.0, f"{invocations} simulated invocations, seed {seed}")


# ---------------------------------------------------------------------------------------
# Checking a user's model: every property on the model and on perturbations of it
# ---------------------------------------------------------------------------------------


class NotApplicable(Exception):  # noqa: N818 - a verdict, not an error
    """A property that does not apply to this model (e.g. no stationary law)."""


@dataclass(frozen=True)
class ModelProperty:
    """A property of one model, as :func:`check_model` runs it.

    ``draws(model)`` is the Hypothesis strategy of its auxiliary draws (θ pairs, policies, …;
    it depends only on the model's structure), ``check(model, aux)`` raises AssertionError when
    the property fails and :class:`NotApplicable` when it does not apply.
    """

    name: str
    statement: str
    draws: Callable[[EpochModel], Any]
    check: Callable[[EpochModel, Any], Any]


def _no_draws(model: EpochModel) -> Any:
    from hypothesis import strategies as st

    return st.just(None)


def _q_pair(model: EpochModel) -> Any:
    from hypothesis import strategies as st

    from icq.property_tests.strategies import q_vectors

    g = model.gamma_bar
    scale = 2.0 * (1.0 + model.R_bar / max(1.0 - g, 1e-12))
    return st.tuples(q_vectors(model.n_pairs, scale=scale),
                     q_vectors(model.n_pairs, scale=scale, sparse=True))


def _policy(model: EpochModel) -> Any:
    from icq.property_tests.strategies import decentralized_policies

    return decentralized_policies(model)


def _tabular_phi(model: EpochModel) -> np.ndarray:
    from icq.bounds.features import support, tabular_features

    st_ = stationary(model)
    if not st_.ergodic:
        raise NotApplicable(f"no stationary law μ: {st_.reason}")
    return tabular_features(model, support(model, st_.mu))


def _theta_pair_for(phi_of: Callable[[EpochModel], np.ndarray]) -> Callable[[EpochModel], Any]:
    def draws(model: EpochModel) -> Any:
        from hypothesis import strategies as st

        from icq.property_tests.strategies import q_vectors

        try:
            d = phi_of(model).shape[1]
        except NotApplicable:
            return st.just(None)
        return st.tuples(q_vectors(d, sparse=True), q_vectors(d))
    return draws


def _a6_check(phi_of: Callable[[EpochModel], np.ndarray]) -> Callable[[EpochModel, Any], Any]:
    def check(model: EpochModel, aux: Any) -> Any:
        phi = phi_of(model)
        if aux is None:
            raise NotApplicable("no stationary law μ")
        return a6_contraction(model, phi, aux[0], aux[1])
    return check


def _ergodic_only(fn: Callable[[EpochModel], Any]) -> Callable[[EpochModel, Any], Any]:
    def check(model: EpochModel, aux: Any) -> Any:
        st_ = stationary(model)
        if not st_.ergodic:
            raise NotApplicable(f"the behaviour chain is not uniformly ergodic: {st_.reason}")
        return fn(model)
    return check


#: how messages name the feature maps (never by their function names)
_ENCODING_NAMES = {"constant_encoding": "one parameter per (agent, successor)",
                   "one_hot_encoding": "one-hot observations (tabular)"}


def _theorem1(model: EpochModel, aux: Any) -> Any:
    """Theorem 1 with the first linear feature map it applies to: one parameter per (agent,
    successor) (:func:`constant_encoding`), else one-hot observations (tabular)."""
    from icq.reference.learners.neural import one_hot_encoding

    reasons = []
    for enc in (constant_encoding, one_hot_encoding):
        r = theorem1_empirical(model, encoding=enc)
        if r.applicable:
            return r
        reasons.append(f"{_ENCODING_NAMES[enc.__name__]}: {r.reason}")
    raise NotApplicable("; ".join(reasons))


def _tabular(model: EpochModel) -> Any:
    return tabular_convergence(model, handoffs=int(min(5_000_000,
                                                       200_000 + 20_000 * model.n_obs_pairs)))


def model_properties(features: np.ndarray | None = None) -> tuple[ModelProperty, ...]:
    """The properties :func:`check_model` runs, in order (``features``: a user feature map
    for the A6 property, default the tabular one-hot features on the support)."""
    phi_of = _tabular_phi if features is None else (lambda m: np.asarray(features, float))
    return (
        ModelProperty("bellman_contraction", "‖TQ − TQ'‖∞ ≤ γ̄‖Q − Q'‖∞ (Lemma C)", _q_pair,
                      lambda m, a: bellman_contraction(m, a[0], a[1])),
        ModelProperty("a6_contraction", "under A6: strong monotonicity (1−κ)ω and ΠT̂ a "
                      "κ-contraction in ‖·‖_μ; where A6 fails, the witness has ratio ≥ 1 (§5)",
                      _theta_pair_for(phi_of), _a6_check(phi_of)),
        ModelProperty("policy_correspondence", "runtime Monte Carlo value of π = exact value "
                      "of π∘σ (§2)", _policy,
                      lambda m, a: policy_correspondence(m, a, episodes=600)),
        ModelProperty("ais_policy_evaluation_gap", "|V^π − V̂^π∘σ| ≤ e^π ≤ Δ^π_va ≤ Δ^π_TV "
                      "(§3)", _policy, lambda m, a: ais_policy_evaluation_gap(m, a)),
        ModelProperty("ais_bound_soundness", "Δ_exact ≤ max e ≤ Δ_va ≤ Δ_AIS; policy loss ≤ "
                      "its bounds (Lemmas A, P)", _no_draws,
                      lambda m, a: ais_bound_soundness(m)),
        ModelProperty("theorem1_empirical", "MSE of projected IC-Q over seeds ≤ Theorem 1 "
                      "(§6), where it applies", _no_draws, _theorem1),
        ModelProperty("tabular_convergence", "tabular IC-Q → Q̂*_μ (§2)", _no_draws,
                      _ergodic_only(_tabular)),
        ModelProperty("unit_duration_reduction", "τ ≡ 1: IC-Q is ordinary Q-learning",
                      _no_draws, lambda m, a: unit_duration_reduction(m)),
        ModelProperty("exact_observation_reduction", "exact observations: ε = δ = 0, Q̂*∘σ = "
                      "Q*", _no_draws, lambda m, a: exact_observation_reduction(m)),
        ModelProperty("runtime_interface", "agents receive only their own labels, successor "
                      "names and three-number handoffs", _no_draws,
                      lambda m, a: check_runtime_interface(m)),
    )


@dataclass(frozen=True)
class PropertyReport:
    """One property's verdict on a model and its perturbations.

    holds : no counterexample was found
    examples : examples checked (the model and its perturbations, with their draws)
    applicable : how many of them the property applied to
    counterexample : None, or the smallest failing example Hypothesis found: ``model`` (an
        ``icsmdp-epoch/1`` document), ``perturbed`` (whether it differs from the input),
        ``draws`` (the auxiliary draws, JSON-able), ``message`` and ``file`` (where it was saved)
    note : why the property did not apply, if it never did
    """

    name: str
    statement: str
    holds: bool
    examples: int
    applicable: int
    counterexample: dict[str, Any] | None = None
    note: str = ""
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {"holds": self.holds, "examples": self.examples, "applicable": self.applicable,
                "counterexample": self.counterexample, "statement": self.statement,
                "note": self.note, "seconds": round(self.seconds, 3)}


@dataclass(frozen=True)
class CheckReport:
    """What :func:`check_model` found: one :class:`PropertyReport` per property."""

    model: str
    properties: dict[str, PropertyReport]
    examples: int
    method: str

    @property
    def holds(self) -> bool:
        return all(p.holds for p in self.properties.values())

    def to_json(self) -> dict[str, Any]:
        return {"model": self.model, "holds": self.holds, "examples_per_stage": self.examples,
                "properties": {k: v.to_json() for k, v in self.properties.items()},
                "method": self.method}


def _jsonable(x: Any) -> Any:
    if x is None or isinstance(x, bool | int | str):
        return x
    if isinstance(x, float | np.floating):
        return float(x) if math.isfinite(x) else str(float(x))
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.ndarray):
        return [_jsonable(v) for v in x.tolist()]
    if isinstance(x, list | tuple):
        return [_jsonable(v) for v in x]
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    return repr(x)


def _run_property(prop: ModelProperty, model: EpochModel, examples: int,
                  shrink_seconds: float) -> tuple[int, int, str, Any]:
    """Search the model (stage 1) and its perturbations (stage 2) for a counterexample."""
    import time

    from hypothesis import HealthCheck, Phase, find, settings
    from hypothesis import strategies as st
    from hypothesis.errors import NoSuchExample

    from icq.property_tests.strategies import perturbations

    aux = prop.draws(model)
    stats = {"examples": 0, "applicable": 0, "note": "", "failed_at": None}

    def fails(case: tuple[EpochModel, Any]) -> bool:
        if stats["failed_at"] is not None and time.monotonic() > stats["failed_at"]:
            return False  # shrinking budget spent: keep the smallest failure found so far
        stats["examples"] += 1
        m, a = case
        try:
            prop.check(m, a)
        except NotApplicable as exc:
            stats["note"] = str(exc)
            return False
        except AssertionError:
            if stats["failed_at"] is None:
                stats["failed_at"] = time.monotonic() + shrink_seconds
            return True
        stats["applicable"] += 1
        return False

    cfg = settings(max_examples=max(1, examples), derandomize=True, database=None,
                   deadline=None, suppress_health_check=list(HealthCheck),
                   phases=[Phase.explicit, Phase.generate, Phase.shrink])
    stages = [st.tuples(st.just(model), aux),
              st.tuples(perturbations(model), aux)]
    for strategy in stages:
        try:
            found = find(strategy, fails, settings=cfg, random=None)
        except NoSuchExample:
            continue
        return stats["examples"], stats["applicable"], stats["note"], found
    return stats["examples"], stats["applicable"], stats["note"], None


def check_model(model: EpochModel, examples: int = 20, *, features: np.ndarray | None = None,
                properties: tuple[str, ...] | None = None, save_dir: str | None = None,
                stem: str = "model", shrink_seconds: float = 30.0) -> CheckReport:
    """Run every property (:func:`model_properties`) on ``model`` and on perturbations of it.

    For each property, Hypothesis searches two stages, each with ``examples`` examples and
    ``derandomize=True`` (the same input gives the same report): the model itself with random
    auxiliary draws (Q pairs, θ pairs, decentralized policies), then perturbations of the model
    (:func:`~icq.property_tests.strategies.perturbations`: same structure, jittered probabilities
    and rewards). A failure is shrunk (for at most ``shrink_seconds``) to the smallest
    counterexample found, which is written to ``save_dir`` as an ``icsmdp-epoch/1`` file
    ``{stem}.{property}.counterexample.json`` when ``save_dir`` is given.

    >>> from icq.reference.model import load, example_path
    >>> r = check_model(load(example_path("ring-exact")), examples=2,
    ...                 properties=("bellman_contraction", "exact_observation_reduction"))
    >>> r.holds, r.properties["bellman_contraction"].examples
    (True, 4)
    """
    import time
    from pathlib import Path

    props = model_properties(features)
    if properties is not None:
        unknown = set(properties) - {p.name for p in props}
        if unknown:
            raise ValueError(f"properties: unknown {sorted(unknown)} (known: "
                             f"{', '.join(p.name for p in props)})")
        props = tuple(p for p in props if p.name in properties)
    out: dict[str, PropertyReport] = {}
    for prop in props:
        t0 = time.perf_counter()
        n, applicable, note, found = _run_property(prop, model, examples, shrink_seconds)
        counter = None
        if found is not None:
            m, aux = found
            try:
                prop.check(m, aux)
                message = "(the failure did not reproduce on a second run)"
            except AssertionError as exc:
                message = str(exc)
            doc = m.to_dict()
            same = (np.array_equal(m.out_prob, model.out_prob)
                    and np.array_equal(m.out_rew, model.out_rew))
            counter = {"message": message, "draws": _jsonable(aux), "perturbed": not same,
                       "model": doc, "file": None}
            if save_dir is not None:
                path = Path(save_dir) / f"{stem}.{prop.name}.counterexample.json"
                write_json(path, doc)
                counter["file"] = str(path)
        out[prop.name] = PropertyReport(
            prop.name, prop.statement, found is None, n, applicable, counter,
            note if applicable == 0 else "", time.perf_counter() - t0)
    return CheckReport(model=model.name, properties=out, examples=examples,
                       method="Hypothesis find() over the model (random draws) and over "
                       "perturbations of it, derandomized; failures shrunk")


# ---------------------------------------------------------------------------------------
# Negative controls: Hypothesis must falsify the deliberately wrong variants
# ---------------------------------------------------------------------------------------


def find_counterexample(strategy: Any, check: Callable[[Any], Any], *,
                        max_examples: int | None = None, shrink: bool = False
                        ) -> tuple[Any, str] | None:
    """The first example of ``strategy`` on which ``check`` raises AssertionError (shrunk when
    ``shrink``), with the message; None if there is none within ``max_examples`` examples.

    The search is derandomized (the same call finds the same example) and uses
    ``max_examples`` (default: the larger of the active profile's and the ``ci`` profile's),
    so a negative control that is falsified under ``ci`` is falsified under every profile.
    """
    from hypothesis import HealthCheck, Phase, find, settings
    from hypothesis.errors import NoSuchExample

    from icq.property_tests.strategies import PROFILES

    n = max_examples or max(settings().max_examples, PROFILES["ci"]["max_examples"])
    phases = [Phase.explicit, Phase.generate] + ([Phase.shrink] if shrink else [])
    cfg = settings(max_examples=n, derandomize=True, database=None, deadline=None,
                   phases=phases, suppress_health_check=list(HealthCheck))

    def fails(x: Any) -> bool:
        try:
            check(x)
        except AssertionError:
            return True
        return False

    try:
        ex = find(strategy, fails, settings=cfg)
    except NoSuchExample:
        return None
    try:
        check(ex)
    except AssertionError as exc:
        return ex, str(exc)
    return ex, "(did not fail again)"  # pragma: no cover - checks are deterministic


def assert_falsified(strategy: Any, check: Callable[[Any], Any], *,
                     max_examples: int | None = None) -> str:
    """Assert that Hypothesis falsifies ``check`` on ``strategy`` (a negative control must
    fail); returns the failure message."""
    found = find_counterexample(strategy, check, max_examples=max_examples)
    if found is None:
        raise AssertionError("the negative control was not falsified: the property could not "
                             "catch the deliberately wrong variant on these examples")
    return found[1]
