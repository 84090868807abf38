"""The primitive-level IC-SMDP and its exact reduction to decision epochs (docs/theory.md §1).

The model
---------
``N`` agents ``i = 0..N-1``; a latent state ``s ∈ S``, an interface state (artifact) ``z ∈ Z``
and private states ``x_i ∈ X_i``, all finite and indexed from 0. Exactly one agent is active.
Agent ``i`` observes only ``o = O_i(z, x_i)`` (the interface constraint). An epoch state is
``y = (i, s, z, x_1..x_N)``. At the start of its invocation agent ``i`` commits to a successor
``j ∈ J_i(o) ⊆ {agents ≠ i} ∪ {END}`` (``o`` the observation at that start), then, writing
``u_t = (s_t, z_t, x_{i,t})`` for what its steps can change, for ``t = 0, 1, ...``:

1. local action ``a_t ~ π_i^loc(· | O_i(z_t, x_{i,t}))`` (the agent's *current* observation);
2. reward ``r_t = r_i(s_t, z_t, x_{i,t}, a_t, j)``;
3. ``u_{t+1} ~ P_i(· | s_t, z_t, x_{i,t}, a_t, j)``; the other agents' private states stay;
4. the invocation ends, with duration ``τ = t + 1``, with probability ``β_i(u_{t+1})``, and
   surely when ``t + 1 = T_max`` (Assumption 1(ii)).

It yields the option reward ``R = Σ_{t<τ} γ^t r_t`` and the next epoch state
``y' = (j, s_τ, z_τ, x_1..x_{i,τ}..x_N)``: control passes to ``j``. When ``j = END`` the episode
ends when the invocation does (``y'`` is "none"); this is the only way an episode ends. Episodes
start from ``ν₀``, a law over ``(i, s, z, x_1..x_N)``. A behaviour policy ``π_b(j | i, o)``
(default uniform on ``J_i(o)``) drives exploration (docs/theory.md §4).

With ``N = 1`` an agent cannot hand off to itself (FORMAT.md), so ``J_0(o) = {END}``: every
episode is one invocation, and the epoch model is a single-agent SMDP with one option per state
whose value ``r̄(y, END)`` is the finite-horizon value of ``π^loc`` in the primitive chain killed
at rate ``β``.

Array layout
------------
Per-agent fields are sequences of ``N`` numpy arrays (shapes may differ between agents through
``|X_i|``, ``|A_i|`` and ``n_obs_i``). The successor axis ``j`` has length ``N + 1`` (agents,
then ``END = N``) or length 1 when the quantity does not depend on ``j``.

- ``observation[i]``: ``(|Z|, |X_i|)`` int in ``0..n_obs_i-1``, ``O_i(z, x_i)``;
- ``successors[i]``: ``(n_obs_i, N+1)`` bool, ``j ∈ J_i(o)``;
- ``local_policy[i]``: ``(n_obs_i, |A_i|)``, ``π_i^loc(a | o)``;
- ``kernel[i]``: ``(|S|, |Z|, |X_i|, |A_i|, N+1 or 1, |S|, |Z|, |X_i|)``,
  ``P_i(s', z', x_i' | s, z, x_i, a, j)``;
- ``reward[i]``: ``(|S|, |Z|, |X_i|, |A_i|, N+1 or 1)``, ``r_i(s, z, x_i, a, j)``;
- ``termination[i]``: ``(|S|, |Z|, |X_i|)`` in ``[0, 1]``, ``β_i(s', z', x_i')``;
- ``behavior[i]``: ``(n_obs_i, N+1)``, zero off ``J_i(o)``, ``π_b(j | i, o)``;

and ``initial`` has shape ``(N, |S|, |Z|, |X_1|, ..., |X_N|)``. Kernel and reward entries for a
successor that no observation of agent ``i`` admits are never used and not checked. Inside an
invocation the local state ``u = (s, z, x_i)`` is flattened row-major:
``u = (s·|Z| + z)·|X_i| + x_i``.

The reduction
-------------
:func:`reduce_to_epoch` is the exact dynamic program over one invocation (docs/theory.md §1): for
each reachable ``y`` and ``j ∈ J_i(O_i(z, x_i))`` it computes, for ``τ = 1..T_max``, the joint law
of (end at ``τ``, ``y'``) and ``E[R 1{τ, y'}]``, and writes one epoch outcome per ``(τ, y')``
with ``prob = P(τ, y')`` and ``reward = E[R | τ, y']`` (outcomes of an ``END`` pair are merged
per ``τ``). This preserves the joint law of ``(τ, Y')`` and hence ``r̄``, ``K``, ``γ̄``,
``E[γ^{2τ} 1{Y'=y'}]`` (docs/theory.md §5) and the duration law exactly. It does not preserve the
law of ``R`` given ``(τ, y')``: the epoch file's ``R̄ = max |reward|`` is a maximum of conditional
means, which can be smaller than ``max |R|``; :attr:`PrimitiveICSMDP.reward_bound` is the sound
bound ``R_max (1 − γ^{T_max})/(1 − γ)`` of docs/theory.md §1.

The package: :mod:`~icq.reference.model.primitive.model` (the model and its validation),
:mod:`~icq.reference.model.primitive.reduction` (the dynamic program and the reduction),
:mod:`~icq.reference.model.primitive.simulate` (Monte Carlo simulation) and
:mod:`~icq.reference.model.primitive.families` (:func:`geometric_handoff`); this module
re-exports their public names.

Examples
--------
A writer improves a draft (``z = 1``: done) with probability 1/2 per step and hands off to a
reviewer with probability ``p = 1/2`` per step; the reviewer returns a draft and ends on a done
artifact after one step.

>>> import numpy as np
>>> improve = np.array([[0.5, 0.5], [0.0, 1.0]]).reshape(1, 2, 1, 1, 1, 1, 2, 1)
>>> keep = np.eye(2).reshape(1, 2, 1, 1, 1, 1, 2, 1)
>>> z_obs = np.array([[0], [1]])
>>> initial = np.zeros((2, 1, 2, 1, 1)); initial[0, 0, 0, 0, 0] = 1.0
>>> m = geometric_handoff(
...     (0.5, 1.0), 4, gamma=0.9, agents=("writer", "reviewer"),
...     observation=(z_obs, z_obs), obs_labels=(("draft", "done"), ("draft", "done")),
...     successors=(np.array([[0, 1, 0], [0, 1, 0]], bool),
...                 np.array([[1, 0, 0], [0, 0, 1]], bool)),
...     local_policy=(np.ones((2, 1)), np.ones((2, 1))), kernel=(improve, keep),
...     reward=(np.full((1, 2, 1, 1, 1), -0.1), np.array([0.0, 1.0]).reshape(1, 2, 1, 1, 1)),
...     initial=initial)
>>> em = reduce_to_epoch(m)
>>> em.state_ids
('writer|0|0|0,0', 'reviewer|0|0|0,0', 'reviewer|0|1|0,0')
>>> [int(d) for d in em.out_dur[em.out_ptr[0]:em.out_ptr[1]]]
[1, 1, 2, 2, 3, 3, 4, 4]
>>> round(float(em.reward[0]), 6)  # -0.1 · E[(1 − γ^τ)/(1 − γ)], τ geometric(1/2) cut at 4
-0.174363
"""

from icq.reference.model.primitive.families import geometric_handoff
from icq.reference.model.primitive.model import PrimitiveICSMDP
from icq.reference.model.primitive.reduction import (
    InvocationLaw,
    invocation_law,
    reduce_to_epoch,
    to_epoch_dict,
)
from icq.reference.model.primitive.simulate import Invocations, simulate

__all__ = [
    "Invocations",
    "InvocationLaw",
    "PrimitiveICSMDP",
    "geometric_handoff",
    "invocation_law",
    "reduce_to_epoch",
    "simulate",
    "to_epoch_dict",
]
