"""Random valid epoch models, generated with array operations only (FORMAT.md, docs/theory.md §1).

:func:`random_model` draws an ``icsmdp-epoch/1`` model directly as arrays and validates it with
:func:`~icq.reference.model.from_arrays` (the same rules as the JSON loader), so that models with
10⁵ latent states take well under a second to build. The draw, for ``n`` states and ``N`` agents:

- agent of each state: a random balanced assignment (every agent gets ⌊n/N⌋ or ⌈n/N⌉ states);
- observations (aliasing): agent ``i``'s states are split evenly over ``min(obs_per_agent, n_i)``
  observation labels (``None``: one label per state, no aliasing);
- admissible sets: ``J(ô)`` is a uniform ``successors``-subset of ``{agents ≠ i} ∪ {END}``;
- outcomes: every pair ``(y, j)`` has ``outcomes`` outcomes with Dirichlet(1) probabilities; an
  outcome ends the episode when ``j = END`` or with probability ``p_terminal``, otherwise its next
  state is a uniform state of agent ``j``;
- durations τ (``duration``): ``"one"`` (τ ≡ 1, an ordinary MDP with discount γ),
  ``"uniform"`` on ``1..max_duration``, ``"geometric"`` (stop with probability ½ per step, forced at
  ``max_duration``), or ``"next"``: τ = d(y') with ``d`` a fixed uniform draw per latent state, so
  the discount γ^τ is correlated with the next state (terminal outcomes: uniform);
- rewards: R = r (1 − γ^τ)/(1 − γ) with r uniform on [−1, 1] (a constant per-step reward r over
  the invocation), so ``R̄ ≤ (1 − γ^{T_max})/(1 − γ)``;
- ν₀ uniform over all states (``initial="uniform"``) or over agent 0's states (``"agent0"``);
  π_b uniform (``behavior="uniform"``) or Dirichlet(1) per observation (``"random"``).

>>> m = random_model(1000, n_agents=4, obs_per_agent=5, successors=2, outcomes=3, seed=1)
>>> m.n_states, m.n_obs, m.n_pairs, len(m.out_prob)
(1000, 20, 2000, 6000)
>>> m2 = random_model(1000, n_agents=4, obs_per_agent=5, successors=2, outcomes=3, seed=1)
>>> bool((m.out_rew == m2.out_rew).all())
True
"""

from __future__ import annotations

import numpy as np

from icq.reference.model import EpochModel, from_arrays

__all__ = ["DURATIONS", "random_model"]

DURATIONS = ("one", "uniform", "geometric", "next")


def random_model(n_states: int, *, n_agents: int = 4, obs_per_agent: int | None = None,
                 successors: int = 2, outcomes: int = 2, p_terminal: float = 0.05,
                 duration: str = "uniform", max_duration: int = 3, gamma: float = 0.9,
                 initial: str = "uniform", behavior: str = "uniform", seed: int = 0,
                 name: str | None = None) -> EpochModel:
    """A random valid epoch model (see the module docstring for the law it is drawn from).

    Parameters
    ----------
    n_states : latent epoch states n (≥ n_agents)
    n_agents : N ≥ 1 (with N = 1 the only admissible successor is END)
    obs_per_agent : observation labels per agent (aliasing), ``None`` for one per state
    successors : |J(ô)|, at most N (the candidates are the N − 1 other agents and END)
    outcomes : outcomes per pair (y, j), ≥ 1
    p_terminal : probability that an outcome of a pair with j ≠ END ends the episode
    duration : one of :data:`DURATIONS`; max_duration : T_max of the draw
    gamma : primitive discount γ; seed : numpy ``default_rng`` seed (same seed, same model)

    Raises
    ------
    ValueError
        For knobs outside their range (named in the message).
    """
    N = int(n_agents)
    k = int(successors)
    if N < 1:
        raise ValueError(f"n_agents: {n_agents} must be >= 1")
    if n_states < N:
        raise ValueError(f"n_states: {n_states} must be >= n_agents = {N}")
    if not 1 <= k <= N:
        raise ValueError(f"successors: {successors} must be in 1..n_agents = {N}")
    if outcomes < 1:
        raise ValueError(f"outcomes: {outcomes} must be >= 1")
    if not 0.0 <= p_terminal <= 1.0:
        raise ValueError(f"p_terminal: {p_terminal} must be in [0, 1]")
    if duration not in DURATIONS:
        raise ValueError(f"duration: {duration!r} is not one of {DURATIONS}")
    if max_duration < 1:
        raise ValueError(f"max_duration: {max_duration} must be >= 1")
    if obs_per_agent is not None and obs_per_agent < 1:
        raise ValueError(f"obs_per_agent: {obs_per_agent} must be >= 1 or None")
    if initial not in ("uniform", "agent0") or behavior not in ("uniform", "random"):
        raise ValueError("initial must be 'uniform' or 'agent0'; behavior 'uniform' or 'random'")
    rng = np.random.default_rng(seed)
    n = int(n_states)

    # agents and observations ----------------------------------------------------------------
    state_agent = rng.permutation(np.arange(n) % N)
    by_agent = np.argsort(state_agent, kind="stable")
    n_i = np.bincount(state_agent, minlength=N)
    rank = np.empty(n, dtype=np.int64)  # index of y among its agent's states
    rank[by_agent] = np.arange(n) - np.repeat(np.cumsum(n_i) - n_i, n_i)
    m_i = n_i if obs_per_agent is None else np.minimum(n_i, obs_per_agent)
    obs_base = np.cumsum(m_i) - m_i
    state_obs = obs_base[state_agent] + rank % m_i[state_agent]
    n_obs = int(m_i.sum())
    obs_agent = np.repeat(np.arange(N), m_i)

    # admissible sets: a k-subset of the N candidates {0..N} \ {i}, sorted -------------------
    pick = np.sort(np.argsort(rng.random((n_obs, N)), axis=1)[:, :k], axis=1)
    obs_succ = (pick + (pick >= obs_agent[:, None])).reshape(-1)
    obs_ptr = np.arange(n_obs + 1, dtype=np.int64) * k

    # latent pairs (state, then J(σ(y)) order) and their outcomes ---------------------------
    n_pairs = n * k
    pair_succ = obs_succ[(state_obs[:, None] * k + np.arange(k)).reshape(-1)]
    m = int(outcomes)
    n_out = n_pairs * m
    w = rng.exponential(size=(n_pairs, m)) + 1e-3
    out_prob = (w / w.sum(axis=1, keepdims=True)).reshape(-1)
    j_out = np.repeat(pair_succ, m)
    terminal = (j_out == N) | (rng.random(n_out) < p_terminal)
    agent_start = np.cumsum(n_i) - n_i
    jj = np.minimum(j_out, N - 1)
    nxt = by_agent[agent_start[jj] + (rng.random(n_out) * n_i[jj]).astype(np.int64)]
    out_next = np.where(terminal, -1, nxt)

    T = int(max_duration)
    if duration == "one":
        out_dur = np.ones(n_out, dtype=np.int64)
    elif duration == "uniform":
        out_dur = rng.integers(1, T + 1, size=n_out)
    elif duration == "geometric":
        out_dur = np.minimum(rng.geometric(0.5, size=n_out), T)
    else:
        per_state = rng.integers(1, T + 1, size=n)
        out_dur = np.where(terminal, rng.integers(1, T + 1, size=n_out),
                           per_state[np.maximum(out_next, 0)])
    out_rew = rng.uniform(-1.0, 1.0, n_out) * (1.0 - gamma ** out_dur) / (1.0 - gamma)

    nu0 = np.ones(n) if initial == "uniform" else (state_agent == 0).astype(float)
    if behavior == "uniform":
        beh = None
    else:
        b = rng.exponential(size=(n_obs, k)) + 1e-3
        beh = (b / b.sum(axis=1, keepdims=True)).reshape(-1)
    return from_arrays(
        gamma=gamma, agents=tuple(f"agent{i}" for i in range(N)),
        state_agent=state_agent, state_obs=state_obs, obs_agent=obs_agent, obs_ptr=obs_ptr,
        obs_succ=obs_succ, out_ptr=np.arange(n_pairs + 1, dtype=np.int64) * m,
        out_prob=out_prob, out_dur=out_dur, out_rew=out_rew, out_next=out_next,
        initial=nu0 / nu0.sum(), behavior=beh,
        name=name or (f"random-n{n}-N{N}-k{k}-m{m}-{duration}-seed{seed}"))
