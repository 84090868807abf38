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

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from icq.reference.model import END, FORMAT, PROB_TOL, EpochModel, ModelError, from_dict

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

#: at most this many offending entries are listed per field and rule
_MAX_LISTED = 3

_PER_AGENT = ("observation", "successors", "local_policy", "kernel", "reward", "termination")


# ---------------------------------------------------------------------------------------
# Validation helpers (FORMAT.md's tolerance: sums within 1e-9, relative)
# ---------------------------------------------------------------------------------------


def _sum_is_one(total: np.ndarray) -> np.ndarray:
    return np.abs(total - 1.0) <= PROB_TOL * np.maximum(1.0, np.abs(total))


def _list_bad(problems: list[str], mask: np.ndarray, describe, rule: str) -> None:
    """Append one line per offending index (at most ``_MAX_LISTED``) and a count of the rest."""
    idx = np.argwhere(mask)
    for ix in idx[:_MAX_LISTED]:
        problems.append(f"{describe(tuple(int(v) for v in ix))} ({rule})")
    if len(idx) > _MAX_LISTED:
        problems.append(f"  ... and {len(idx) - _MAX_LISTED} more of the same kind")


def _as_array(value: Any, field: str, problems: list[str], kind: str) -> np.ndarray | None:
    """``value`` as a fresh array of ``kind`` (``float``, ``int`` or ``bool``), or None."""
    try:
        arr = np.array(value)
    except (TypeError, ValueError):
        problems.append(f"{field}: not an array")
        return None
    if kind == "int":
        if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
            problems.append(f"{field}: dtype {arr.dtype} is not an integer dtype")
            return None
        return arr.astype(np.int64)
    if kind == "bool":
        if arr.dtype == bool:
            return arr
        if not np.issubdtype(arr.dtype, np.number) or not np.isin(arr, (0, 1)).all():
            problems.append(f"{field}: must be boolean (or 0/1) marks of admissible successors")
            return None
        return arr.astype(bool)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.number) or np.iscomplexobj(arr):
        problems.append(f"{field}: dtype {arr.dtype} is not a real numeric dtype")
        return None
    return arr.astype(np.float64)


def _freeze(arr: np.ndarray) -> np.ndarray:
    arr.setflags(write=False)
    return arr


# ---------------------------------------------------------------------------------------
# The primitive model
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class PrimitiveICSMDP:
    """A finite primitive-level IC-SMDP (docs/theory.md §1), array-backed and validated.

    See the module docstring for the dynamics and the shape of every array. Construction copies
    the arrays, makes them read-only and checks every rule, raising :class:`ModelError` (a
    ``ValueError``) with one line per problem naming the field, the index and the rule.

    Parameters
    ----------
    observation : N arrays ``(|Z|, |X_i|)`` int, ``O_i(z, x_i)``
    successors : N arrays ``(n_obs_i, N+1)`` bool, ``J_i(o)``; column ``N`` is ``END``
    local_policy : N arrays ``(n_obs_i, |A_i|)``, ``π_i^loc(a | o)``
    kernel : N arrays ``(|S|, |Z|, |X_i|, |A_i|, N+1 or 1, |S|, |Z|, |X_i|)``, ``P_i``
    reward : N arrays ``(|S|, |Z|, |X_i|, |A_i|, N+1 or 1)``, ``r_i``
    termination : N arrays ``(|S|, |Z|, |X_i|)``, ``β_i`` of the state after a step
    initial : ``(N, |S|, |Z|, |X_1|, ..., |X_N|)``, ``ν₀`` over (active agent, s, z, x_1..x_N)
    gamma : primitive discount, ``0 < γ < 1``
    T_max : forced termination time (an integer ≥ 1)
    behavior : N arrays ``(n_obs_i, N+1)``, ``π_b(j | i, o)``; None: uniform on ``J_i(o)``
    agents : N distinct names (not ``END``); None: ``agent0``, ``agent1``, ...
    obs_labels : N tuples of ``n_obs_i`` distinct labels; None: ``o0``, ``o1``, ...
    name : free text, copied to the epoch file
    """

    observation: tuple[np.ndarray, ...]
    successors: tuple[np.ndarray, ...]
    local_policy: tuple[np.ndarray, ...]
    kernel: tuple[np.ndarray, ...]
    reward: tuple[np.ndarray, ...]
    termination: tuple[np.ndarray, ...]
    initial: np.ndarray
    gamma: float
    T_max: int
    behavior: tuple[np.ndarray, ...] | None = None
    agents: tuple[str, ...] | None = None
    obs_labels: tuple[tuple[str, ...], ...] | None = None
    name: str = "primitive"

    def __post_init__(self) -> None:
        for key, value in _validated(self).items():
            object.__setattr__(self, key, value)

    # -- sizes ---------------------------------------------------------------------------
    @property
    def n_agents(self) -> int:
        """``N``."""
        return len(self.observation)

    @property
    def END(self) -> int:  # noqa: N802 - the successor index of END
        """The successor index of ``END`` (``N``)."""
        return self.n_agents

    @property
    def n_latent(self) -> int:
        """``|S|``."""
        return self.kernel[0].shape[0]

    @property
    def n_interface(self) -> int:
        """``|Z|``."""
        return self.observation[0].shape[0]

    @property
    def n_private(self) -> tuple[int, ...]:
        """``(|X_1|, ..., |X_N|)``."""
        return tuple(o.shape[1] for o in self.observation)

    @property
    def n_actions(self) -> tuple[int, ...]:
        """``(|A_1|, ..., |A_N|)``."""
        return tuple(p.shape[1] for p in self.local_policy)

    @property
    def n_obs(self) -> tuple[int, ...]:
        """``(n_obs_1, ..., n_obs_N)``: the number of observation labels of each agent."""
        return tuple(p.shape[0] for p in self.local_policy)

    @property
    def epoch_shape(self) -> tuple[int, ...]:
        """``(N, |S|, |Z|, |X_1|, ..., |X_N|)``: the grid of epoch states ``y``."""
        return (self.n_agents, self.n_latent, self.n_interface, *self.n_private)

    def local_size(self, agent: int) -> int:
        """``|S|·|Z|·|X_i|``: the number of local states ``u`` of an invocation of ``agent``."""
        return self.n_latent * self.n_interface * self.n_private[agent]

    @cached_property
    def reward_bound(self) -> float:
        """``R_max (1 − γ^{T_max})/(1 − γ)``, a bound on ``|R|`` (docs/theory.md §1).

        ``R_max`` is the largest ``|r_i|`` over all agents, states, actions and the successors
        that some observation admits.
        """
        r_max = max(float(np.abs(self.reward[i][..., self._used_reward_cols(i)]).max())
                    for i in range(self.n_agents))
        return r_max * (1.0 - self.gamma ** self.T_max) / (1.0 - self.gamma)

    # -- naming ----------------------------------------------------------------------------
    def successor_name(self, j: int) -> str:
        """The name of successor ``j`` (an agent or ``END``)."""
        return END if j == self.END else self.agents[j]

    def state_id(self, y: Sequence[int]) -> str:
        """The epoch state id ``"agent|s|z|x_1,...,x_N"`` of ``y = (i, s, z, x_1..x_N)``."""
        i, s, z, *x = (int(v) for v in y)
        return f"{self.agents[i]}|{s}|{z}|{','.join(str(v) for v in x)}"

    def observe(self, y: Sequence[int]) -> int:
        """``O_i(z, x_i)`` at the epoch state ``y = (i, s, z, x_1..x_N)``."""
        i, z = int(y[0]), int(y[2])
        return int(self.observation[i][z, int(y[3 + i])])

    # -- flattened views used by the dynamic program and the simulator --------------------
    def _kernel_col(self, i: int, j: int) -> int:
        return j if self.kernel[i].shape[4] > 1 else 0

    def _reward_col(self, i: int, j: int) -> int:
        return j if self.reward[i].shape[4] > 1 else 0

    def _used_reward_cols(self, i: int) -> np.ndarray:
        used = self.successors[i].any(axis=0)
        return used if self.reward[i].shape[4] > 1 else np.ones(1, dtype=bool)

    def _obs_u(self, i: int) -> np.ndarray:
        """(M_i,) ``O_i`` of every local state ``u``."""
        shape = (self.n_latent, self.n_interface, self.n_private[i])
        return np.broadcast_to(self.observation[i][None], shape).reshape(-1)

    def _local_index(self, i: int, s: np.ndarray, z: np.ndarray, x: np.ndarray) -> np.ndarray:
        return np.ravel_multi_index((s, z, x), (self.n_latent, self.n_interface,
                                                self.n_private[i]))


def _validated(m: PrimitiveICSMDP) -> dict[str, Any]:  # noqa: C901 - one pass over the rules
    """Check every rule of the model; return the normalised (copied, read-only) fields."""
    problems: list[str] = []
    bad = problems.append

    # per-agent sequences, names and scalars ----------------------------------------------
    def per_agent(val: Any) -> bool:
        return isinstance(val, Sequence) and not isinstance(val, str)

    obs_raw = m.observation
    if not per_agent(obs_raw) or not obs_raw:
        raise ModelError(["observation: expected a non-empty tuple or list of N arrays, one per "
                          "agent (wrap a single array as (array,))"])
    n = len(obs_raw)
    seqs: dict[str, Any] = {}
    for fld in (*_PER_AGENT[1:], "behavior"):
        val = getattr(m, fld)
        if fld == "behavior" and val is None:
            continue
        if not per_agent(val):
            bad(f"{fld}: expected a tuple or list of N = {n} arrays (one per agent), got "
                f"{type(val).__name__}")
        elif len(val) != n:
            bad(f"{fld}: {len(val)} entries, expected N = {n} (one per agent, as observation)")
        else:
            seqs[fld] = val

    gamma = m.gamma
    if (not isinstance(gamma, numbers.Real) or isinstance(gamma, bool)
            or not math.isfinite(gamma) or not 0.0 < gamma < 1.0):
        bad(f"gamma: {gamma!r} is not a number in (0, 1) (rule: 0 < gamma < 1)")
    t_max = m.T_max
    if (not isinstance(t_max, numbers.Integral) or isinstance(t_max, bool | np.bool_)
            or t_max < 1):
        bad(f"T_max: {t_max!r} must be an integer >= 1 (forced termination, Assumption 1(ii))")
    if not isinstance(m.name, str):
        bad(f"name: expected a string, got {m.name!r}")

    agents = m.agents
    if agents is None:
        agents = tuple(f"agent{i}" for i in range(n))
    elif isinstance(agents, str) or not isinstance(agents, Sequence) or len(agents) != n:
        bad(f"agents: expected N = {n} names, got {agents!r}")
    else:
        agents = tuple(agents)
        for i, a in enumerate(agents):
            if not isinstance(a, str) or not a:
                bad(f"agents[{i}]: {a!r} is not a non-empty string")
            elif a == END:
                bad(f"agents[{i}]: the name 'END' is reserved for the end of the workflow")
            elif a in agents[:i]:
                bad(f"agents[{i}]: duplicate agent name {a!r}")
    if problems:
        raise ModelError(problems)

    def who(i: int) -> str:
        return f"agent {i} ({agents[i]!r})"

    # arrays, dtypes and shapes --------------------------------------------------------------
    kinds = {"observation": "int", "successors": "bool", "local_policy": "float",
             "kernel": "float", "reward": "float", "termination": "float", "behavior": "float"}
    ndims = {"observation": 2, "successors": 2, "local_policy": 2, "kernel": 8, "reward": 5,
             "termination": 3, "behavior": 2}
    arrs: dict[str, list[np.ndarray]] = {}
    for fld, kind in kinds.items():
        src = obs_raw if fld == "observation" else seqs.get(fld)
        if src is None:
            continue
        out = []
        for i, v in enumerate(src):
            a = _as_array(v, f"{fld}[{i}]", problems, kind)
            if a is not None and a.ndim != ndims[fld]:
                bad(f"{fld}[{i}]: expected a {ndims[fld]}-d array, got shape {a.shape}")
                a = None
            out.append(a)
        arrs[fld] = out
    init = _as_array(m.initial, "initial", problems, "float")
    if init is not None and init.ndim != 3 + n:
        bad(f"initial: expected a {3 + n}-d array (N, |S|, |Z|, |X_1|, ..., |X_N|), got shape "
            f"{init.shape}")
    if problems:
        raise ModelError(problems)

    obs = arrs["observation"]
    n_z = obs[0].shape[0]
    n_x = tuple(o.shape[1] for o in obs)
    n_s = arrs["kernel"][0].shape[0]
    n_o = tuple(p.shape[0] for p in arrs["local_policy"])
    n_a = tuple(p.shape[1] for p in arrs["local_policy"])
    for i in range(n):
        if obs[i].shape[0] != n_z:
            bad(f"observation[{i}]: shape {obs[i].shape} has |Z| = {obs[i].shape[0]} but "
                f"observation[0] has |Z| = {n_z} (rule: one interface state space)")
        if 0 in obs[i].shape:
            bad(f"observation[{i}]: shape {obs[i].shape} has an empty axis")
        if n_o[i] < 1 or n_a[i] < 1:
            bad(f"local_policy[{i}]: shape {arrs['local_policy'][i].shape}: {who(i)} needs at "
                "least one observation and one action")
        if arrs["successors"][i].shape != (n_o[i], n + 1):
            bad(f"successors[{i}]: shape {arrs['successors'][i].shape}, expected (n_obs_{i}, "
                f"N+1) = {(n_o[i], n + 1)} (n_obs from local_policy[{i}]; last column END)")
        if "behavior" in arrs and arrs["behavior"][i].shape != (n_o[i], n + 1):
            bad(f"behavior[{i}]: shape {arrs['behavior'][i].shape}, expected (n_obs_{i}, N+1) "
                f"= {(n_o[i], n + 1)}")
        head = (n_s, n_z, n_x[i])
        ks = arrs["kernel"][i].shape
        if ks[:4] != (*head, n_a[i]) or ks[4] not in (1, n + 1) or ks[5:] != head:
            bad(f"kernel[{i}]: shape {ks}, expected (|S|, |Z|, |X_{i}|, |A_{i}|, N+1 or 1, |S|, "
                f"|Z|, |X_{i}|) = {(*head, n_a[i], n + 1, *head)} (or 1 on the successor axis)")
        rs = arrs["reward"][i].shape
        if rs[:4] != (*head, n_a[i]) or rs[4] not in (1, n + 1):
            bad(f"reward[{i}]: shape {rs}, expected (|S|, |Z|, |X_{i}|, |A_{i}|, N+1 or 1) = "
                f"{(*head, n_a[i], n + 1)} (or 1 on the successor axis)")
        if arrs["termination"][i].shape != head:
            bad(f"termination[{i}]: shape {arrs['termination'][i].shape}, expected (|S|, |Z|, "
                f"|X_{i}|) = {head}")
    if init.shape != (n, n_s, n_z, *n_x):
        bad(f"initial: shape {init.shape}, expected (N, |S|, |Z|, |X_1|, ..., |X_N|) = "
            f"{(n, n_s, n_z, *n_x)}")
    labels = m.obs_labels
    if labels is None:
        labels = tuple(tuple(f"o{k}" for k in range(n_o[i])) for i in range(n))
    elif isinstance(labels, str) or not isinstance(labels, Sequence) or len(labels) != n:
        bad(f"obs_labels: expected N = {n} sequences of labels, got {labels!r}")
    else:
        labels = tuple(tuple(lab) if isinstance(lab, Sequence) and not isinstance(lab, str)
                       else lab for lab in labels)
        for i, lab in enumerate(labels):
            if not isinstance(lab, tuple) or len(lab) != n_o[i]:
                bad(f"obs_labels[{i}]: expected n_obs_{i} = {n_o[i]} labels, got {lab!r}")
                continue
            for k, text in enumerate(lab):
                if not isinstance(text, str):
                    bad(f"obs_labels[{i}][{k}]: {text!r} is not a string")
                elif text in lab[:k]:
                    bad(f"obs_labels[{i}][{k}]: duplicate label {text!r} for {who(i)}")
    if problems:
        raise ModelError(problems)

    def jname(j: int) -> str:
        return END if j == n else agents[j]

    # values ---------------------------------------------------------------------------------
    for i in range(n):
        o = obs[i]
        _list_bad(problems, (o < 0) | (o >= n_o[i]),
                  lambda ix, i=i, o=o: f"observation[{i}][z={ix[0]}, x={ix[1]}] = "
                  f"{o[ix]}", f"rule: an observation index in 0..{n_o[i] - 1}")
        succ = arrs["successors"][i]
        _list_bad(problems, succ[:, i:i + 1],
                  lambda ix, i=i: f"successors[{i}][o={ix[0]} ({labels[i][ix[0]]!r})]: "
                  f"{who(i)} lists itself",
                  "rule: j ≠ i, an agent cannot hand off to itself"
                  + ("; with N = 1 only END is admissible" if n == 1 else ""))
        _list_bad(problems, ~succ.any(axis=1, keepdims=True),
                  lambda ix, i=i: f"successors[{i}][o={ix[0]} ({labels[i][ix[0]]!r})]: the "
                  "admissible set is empty", "rule: every observation needs a successor")

        pol = arrs["local_policy"][i]
        fin = np.isfinite(pol) & (pol >= 0)
        _list_bad(problems, ~fin, lambda ix, i=i, pol=pol: f"local_policy[{i}][o={ix[0]}, "
                  f"a={ix[1]}] = {float(pol[ix])!r}", "rule: a finite probability >= 0")
        tot = pol.sum(axis=1)
        _list_bad(problems, fin.all(axis=1) & ~_sum_is_one(tot),
                  lambda ix, i=i, tot=tot: f"local_policy[{i}][o={ix[0]}] sums to "
                  f"{float(tot[ix[0]])!r}", "rule: π_loc(·|o) sums to 1, relative tolerance 1e-9")

        used = succ.any(axis=0)  # successors some observation of agent i admits
        ker = arrs["kernel"][i]
        kcols = used if ker.shape[4] > 1 else np.ones(1, dtype=bool)
        fin = np.isfinite(ker) & (ker >= 0)
        fin_used = np.where(kcols[None, None, None, None, :, None, None, None], fin, True)
        _list_bad(problems, ~fin_used, lambda ix, i=i, ker=ker: f"kernel[{i}][s={ix[0]}, "
                  f"z={ix[1]}, x={ix[2]}, a={ix[3]}, j={ix[4]}, s'={ix[5]}, z'={ix[6]}, "
                  f"x'={ix[7]}] = {float(ker[ix])!r}", "rule: a finite probability >= 0")
        tot = ker.sum(axis=(5, 6, 7))
        row_bad = fin.all(axis=(5, 6, 7)) & ~_sum_is_one(tot) & kcols
        _list_bad(problems, row_bad, lambda ix, i=i, tot=tot, k1=ker.shape[4]:
                  f"kernel[{i}]: P_{i}(·|s={ix[0]}, z={ix[1]}, x={ix[2]}, a={ix[3]}, "
                  f"j={jname(ix[4]) if k1 > 1 else 'any'}) sums to {float(tot[ix])!r}",
                  "rule: sums to 1 over (s', z', x'), relative tolerance 1e-9")

        rew = arrs["reward"][i]
        rcols = used if rew.shape[4] > 1 else np.ones(1, dtype=bool)
        _list_bad(problems, ~np.isfinite(rew) & rcols,
                  lambda ix, i=i, rew=rew: f"reward[{i}][s={ix[0]}, z={ix[1]}, x={ix[2]}, "
                  f"a={ix[3]}, j={ix[4]}] = {float(rew[ix])!r}", "rule: a finite number")

        beta = arrs["termination"][i]
        _list_bad(problems, ~(np.isfinite(beta) & (beta >= 0) & (beta <= 1)),
                  lambda ix, i=i, beta=beta: f"termination[{i}][s={ix[0]}, z={ix[1]}, "
                  f"x={ix[2]}] = {float(beta[ix])!r}", "rule: a probability in [0, 1]")

    fin = np.isfinite(init) & (init >= 0)
    _list_bad(problems, ~fin, lambda ix: f"initial[{', '.join(map(str, ix))}] = "
              f"{float(init[ix])!r}", "rule: a finite probability >= 0")
    if fin.all() and not _sum_is_one(math.fsum(init.ravel())):
        bad(f"initial: sums to {math.fsum(init.ravel())!r} (rule: ν₀ sums to 1, relative "
            "tolerance 1e-9)")

    behavior = arrs.get("behavior")
    if behavior is None:
        behavior = [s / s.sum(axis=1, keepdims=True) for s in arrs["successors"]]
    else:
        for i, b in enumerate(behavior):
            succ = arrs["successors"][i]
            fin = np.isfinite(b) & (b >= 0)
            _list_bad(problems, ~fin, lambda ix, i=i, b=b: f"behavior[{i}][o={ix[0]}, "
                      f"j={jname(ix[1])}] = {float(b[ix])!r}", "rule: a finite probability >= 0")
            _list_bad(problems, fin & (b > 0) & ~succ, lambda ix, i=i, b=b: f"behavior[{i}]"
                      f"[o={ix[0]} ({labels[i][ix[0]]!r}), j={jname(ix[1])}] = {float(b[ix])!r}",
                      "rule: π_b puts mass only on admissible successors J_i(o)")
            tot = b.sum(axis=1)
            _list_bad(problems, fin.all(axis=1) & ~_sum_is_one(tot),
                      lambda ix, i=i, tot=tot: f"behavior[{i}][o={ix[0]} "
                      f"({labels[i][ix[0]]!r})] sums to {float(tot[ix[0]])!r}",
                      "rule: π_b(·|o) sums to 1, relative tolerance 1e-9")
    if problems:
        raise ModelError(problems)

    return {
        **{fld: tuple(_freeze(a) for a in arrs[fld]) for fld in _PER_AGENT},
        "initial": _freeze(init),
        "behavior": tuple(_freeze(np.asarray(b, dtype=np.float64)) for b in behavior),
        "gamma": float(gamma),
        "T_max": int(t_max),
        "agents": tuple(agents),
        "obs_labels": labels,
    }


# ---------------------------------------------------------------------------------------
# The dynamic program over one invocation
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class InvocationLaw:
    """The exact law of one invocation of ``agent`` committed to ``successor`` (docs/theory.md §1).

    Local states are flattened, ``u = (s·|Z| + z)·|X_i| + x_i``; ``M = |S|·|Z|·|X_i|``.

    Attributes
    ----------
    agent, successor : the pair ``(i, j)`` (``j = N`` is END)
    prob : (M, T_max, M) ``P(τ = t+1, u_τ = u' | u_0 = u)`` at ``[u, t, u']``
    reward : (M, T_max, M) ``E[R 1{τ = t+1, u_τ = u'} | u_0 = u]``
    reward_sq : (M, T_max, M) ``E[R² 1{τ = t+1, u_τ = u'} | u_0 = u]``
    method : how it was computed
    """

    agent: int
    successor: int
    prob: np.ndarray
    reward: np.ndarray
    reward_sq: np.ndarray
    method: str


def _invocation_arrays(model: PrimitiveICSMDP, i: int, j: int
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Forward DP over ``t = 0..T_max-1`` from every start ``u`` at once (see invocation_law)."""
    n_m = model.local_size(i)
    t_max, gamma = model.T_max, model.gamma
    pi = model.local_policy[i][model._obs_u(i)]  # (M, A)
    ker = model.kernel[i][:, :, :, :, model._kernel_col(i, j)].reshape(n_m, -1, n_m)
    rew = model.reward[i][..., model._reward_col(i, j)].reshape(n_m, -1)
    beta = model.termination[i].reshape(n_m)
    w = pi[:, :, None] * ker  # (M, A, M): π(a|u) P(u'|u,a,j)
    step = w.sum(axis=1)  # Σ_a π P
    g1 = np.einsum("ua,uav->uv", rew, w)  # Σ_a π r P
    g2 = np.einsum("ua,uav->uv", rew * rew, w)  # Σ_a π r² P
    prob = np.zeros((n_m, t_max, n_m))
    r1 = np.zeros_like(prob)
    r2 = np.zeros_like(prob)
    alive = np.eye(n_m)  # P(not ended by t, u_t = u | u_0)
    m1 = np.zeros((n_m, n_m))  # E[R_t 1{alive, u_t}], R_t = Σ_{t'<t} γ^{t'} r_{t'}
    m2 = np.zeros((n_m, n_m))  # E[R_t² 1{alive, u_t}]
    for t in range(t_max):
        disc = gamma ** t
        nxt = alive @ step
        nxt1 = m1 @ step + disc * (alive @ g1)
        nxt2 = m2 @ step + 2.0 * disc * (m1 @ g1) + disc * disc * (alive @ g2)
        stop = beta if t + 1 < t_max else np.ones(n_m)
        prob[:, t], r1[:, t], r2[:, t] = nxt * stop, nxt1 * stop, nxt2 * stop
        cont = 1.0 - stop
        alive, m1, m2 = nxt * cont, nxt1 * cont, nxt2 * cont
        if not alive.any():
            break
    return prob, r1, r2


def invocation_law(model: PrimitiveICSMDP, agent: int, successor: int) -> InvocationLaw:
    """The exact joint law of (``τ``, end local state, ``R``) of one invocation (docs/theory.md §1).

    Forward dynamic program over ``t = 0..T_max-1``, vectorised over all start states: the
    sub-probability ``α_t(u)`` of being in ``u`` and not yet ended, and the moments
    ``E[R_t 1{·}]``, ``E[R_t² 1{·}]`` of the partial reward ``R_t = Σ_{t'<t} γ^{t'} r_{t'}``,
    are pushed through one step (actions are summed out jointly with the reward they earn)
    and split by ``β`` into "ends at ``τ = t + 1``" and "continues". Cost
    ``O(T_max·M³)`` time and ``O(T_max·M²)`` memory, ``M = |S|·|Z|·|X_i|``.

    Parameters
    ----------
    model : the primitive model
    agent : ``i`` in ``0..N-1``
    successor : ``j`` in ``0..N`` (``N`` is END), ``j ≠ i``

    Returns
    -------
    InvocationLaw
        ``prob``, ``reward``, ``reward_sq`` of shape ``(M, T_max, M)``.
    """
    n = model.n_agents
    if isinstance(agent, bool) or not isinstance(agent, numbers.Integral) or not 0 <= agent < n:
        raise ValueError(f"agent: {agent!r} is not an agent index in 0..{n - 1}")
    if (isinstance(successor, bool) or not isinstance(successor, numbers.Integral)
            or not 0 <= successor <= n or successor == agent):
        raise ValueError(f"successor: {successor!r} is not a successor index in 0..{n} (N = END)"
                         f" other than the agent {agent}")
    prob, r1, r2 = _invocation_arrays(model, int(agent), int(successor))
    return InvocationLaw(int(agent), int(successor), _freeze(prob), _freeze(r1), _freeze(r2),
                         method="exact forward dynamic program over one invocation "
                         "(docs/theory.md §1)")


# ---------------------------------------------------------------------------------------
# The reduction to the epoch model
# ---------------------------------------------------------------------------------------


class _Reducer:
    """Breadth-first search of the reachable epoch states with cached invocation laws."""

    def __init__(self, model: PrimitiveICSMDP):
        self.m = model
        self.shape = model.epoch_shape
        self.laws: dict[tuple[int, int, int], tuple[np.ndarray, np.ndarray]] = {}
        g = model.gamma
        self.horizon = (1.0 - g ** np.arange(1, model.T_max + 1)) / (1.0 - g)  # Σ_{t<τ} γ^t

    def law(self, i: int, j: int) -> tuple[np.ndarray, np.ndarray]:
        key = (i, self.m._kernel_col(i, j), self.m._reward_col(i, j))
        if key not in self.laws:
            prob, r1, _ = _invocation_arrays(self.m, i, j)
            self.laws[key] = (prob, r1)
        return self.laws[key]

    def outcomes(self, y: np.ndarray, j: int
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(prob, duration, reward, next code or -1) of the pair ``(y, j)``."""
        m = self.m
        i = int(y[0])
        u0 = int(m._local_index(i, y[1], y[2], y[3 + i]))
        prob, r1 = self.law(i, j)
        p, w = prob[u0], r1[u0]  # (T, M)
        if j == m.END:
            p, w = p.sum(axis=1), w.sum(axis=1)
            (t_idx,) = np.nonzero(p > 0)
            pr, wr = p[t_idx], w[t_idx]
            nxt = np.full(len(t_idx), -1, dtype=np.int64)
        else:
            t_idx, u1 = np.nonzero(p > 0)
            pr, wr = p[t_idx, u1], w[t_idx, u1]
            s1, z1, x1 = np.unravel_index(u1, (m.n_latent, m.n_interface, m.n_private[i]))
            rows = np.repeat(y[None, :], len(u1), axis=0)
            rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3 + i] = j, s1, z1, x1
            nxt = np.ravel_multi_index(rows.T, self.shape)
        # E[R | τ, y'] lies in [min r, max r]·Σ_{t<τ} γ^t; clipping only removes rounding
        # noise of outcomes whose probability underflows (the products prob·reward are exact).
        used = m._used_reward_cols(i)
        rew_all = m.reward[i][..., used]
        h = self.horizon[t_idx]
        lo, hi = rew_all.min() * h, rew_all.max() * h
        reward = np.clip(wr / pr, lo, hi)
        return pr, t_idx + 1, reward, nxt

    def run(self) -> tuple[list[int], dict[int, list[tuple[int, tuple]]]]:
        m = self.m
        start = np.flatnonzero(m.initial.ravel() > 0)
        seen = set(int(c) for c in start)
        queue = sorted(seen)
        trans: dict[int, list[tuple[int, tuple]]] = {}
        while queue:
            code = queue.pop()
            y = np.array(np.unravel_index(code, self.shape), dtype=np.int64)
            i, o = int(y[0]), m.observe(y)
            trans[code] = []
            for j in np.flatnonzero(m.successors[i][o]):
                out = self.outcomes(y, int(j))
                trans[code].append((int(j), out))
                for c in out[3]:
                    if c >= 0 and int(c) not in seen:
                        seen.add(int(c))
                        queue.append(int(c))
        return sorted(seen), trans


def to_epoch_dict(model: PrimitiveICSMDP) -> dict[str, Any]:
    """The exact epoch-level model as an ``icsmdp-epoch/1`` document (docs/theory.md §1, FORMAT.md).

    States are the epoch states reachable from ``ν₀`` under every admissible successor, in
    row-major order of ``(i, s, z, x_1..x_N)``, with ids ``"agent|s|z|x_1,...,x_N"`` and
    ``obs`` = the label of ``O_i(z, x_i)``. Each pair ``(y, j)`` gets one outcome per
    ``(τ, y')`` of positive probability (per ``τ`` when ``j = END``, with ``next = null``),
    ``prob = P(τ, y')``, ``duration = τ``, ``reward = E[R | τ, y']``; so ``r̄``, ``K`` and the
    joint law of ``(τ, Y')`` are exact. Successors and behaviour are listed for the observation
    labels that reachable states use.

    Parameters
    ----------
    model : the primitive model

    Returns
    -------
    dict
        A document that :func:`icq.reference.model.from_dict` accepts.
    """
    red = _Reducer(model)
    codes, trans = red.run()
    shape = red.shape
    ys = {c: np.array(np.unravel_index(c, shape), dtype=np.int64) for c in codes}
    ids = {c: model.state_id(ys[c]) for c in codes}
    states, successors, behavior, transitions = [], {}, {}, []
    init_flat = model.initial.ravel()
    for c in codes:
        y = ys[c]
        i, o = int(y[0]), model.observe(y)
        agent, label = model.agents[i], model.obs_labels[i][o]
        states.append({"id": ids[c], "agent": agent, "obs": label})
        js = np.flatnonzero(model.successors[i][o])
        successors.setdefault(agent, {})[label] = [model.successor_name(int(j)) for j in js]
        behavior.setdefault(agent, {})[label] = {
            model.successor_name(int(j)): float(model.behavior[i][o, j]) for j in js}
        for j, (pr, dur, rew, nxt) in trans[c]:
            transitions.append({
                "state": ids[c],
                "successor": model.successor_name(j),
                "outcomes": [
                    {"prob": float(p), "duration": int(d), "reward": float(r),
                     "next": None if nx < 0 else ids[int(nx)]}
                    for p, d, r, nx in zip(pr, dur, rew, nxt, strict=True)],
            })
    return {
        "format": FORMAT,
        "name": model.name,
        "gamma": model.gamma,
        "agents": list(model.agents),
        "states": states,
        "initial": {ids[c]: float(init_flat[c]) for c in codes if init_flat[c] > 0},
        "successors": successors,
        "transitions": transitions,
        "behavior": behavior,
    }


def reduce_to_epoch(model: PrimitiveICSMDP) -> EpochModel:
    """The exact epoch model of a primitive model (docs/theory.md §1): ``from_dict(to_epoch_dict)``.

    Going through the loader means the result satisfies every rule of FORMAT.md by
    construction. See :func:`to_epoch_dict` for what is exact.
    """
    return from_dict(to_epoch_dict(model))


# ---------------------------------------------------------------------------------------
# Monte Carlo simulation of the primitive model
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Invocations:
    """Monte Carlo samples of invocations, one row each (docs/theory.md §1 and §4).

    Epoch states are rows ``(i, s, z, x_1..x_N)`` of length ``3 + N``.

    Attributes
    ----------
    state : (n, 3+N) int64, the epoch state ``y`` at the start of the invocation
    successor : (n,) int64, the committed successor ``j`` (``N`` is END)
    duration : (n,) int64, ``τ``: the primitive steps the invocation took
    reward : (n,) float64, ``R = Σ_{t<τ} γ^t r_t``
    next : (n, 3+N) int64, the next epoch state ``y'``; all ``-1`` when the episode ended
    seed, n_chains : how the stream was generated
    method : what was simulated
    """

    state: np.ndarray
    successor: np.ndarray
    duration: np.ndarray
    reward: np.ndarray
    next: np.ndarray
    seed: int
    n_chains: int
    method: str


def _cdf(p: np.ndarray) -> np.ndarray:
    """Cumulative sums along the last axis, scaled so the last entry is exactly 1."""
    c = np.cumsum(p, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):  # unused kernel columns may be 0
        return c / c[..., -1:]


def _draw(rng: np.random.Generator, cdf_rows: np.ndarray) -> np.ndarray:
    """One index per row of ``cdf_rows`` (k, K); never an index of probability 0."""
    u = 1.0 - rng.random(cdf_rows.shape[0])  # in (0, 1]
    return (cdf_rows < u[:, None]).sum(axis=1)


def _successor_index(model: PrimitiveICSMDP, successor: int | str) -> int:
    if isinstance(successor, str):
        names = [*model.agents, END]
        if successor not in names:
            raise ValueError(f"successor: {successor!r} is not an agent name or 'END'")
        return names.index(successor)
    if (isinstance(successor, bool) or not isinstance(successor, numbers.Integral)
            or not 0 <= successor <= model.n_agents):
        raise ValueError(f"successor: {successor!r} is not a successor index in "
                         f"0..{model.n_agents} (N = END) or a name")
    return int(successor)


def simulate(model: PrimitiveICSMDP, n_invocations: int, seed: int = 0, *,
             n_chains: int = 1024, start: Sequence[int] | None = None,
             successor: int | str | None = None) -> Invocations:
    """Simulate invocations of the primitive model step by step (docs/theory.md §1).

    Each invocation draws ``j`` (from ``π_b(·|i, o)`` unless ``successor`` is given), then
    repeats: ``a ~ π_i^loc(·|O_i(z, x_i))``, reward, ``(s, z, x_i) ~ P_i``, end with
    probability ``β_i`` (surely at ``T_max``). By default ``n_chains`` independent copies of the
    behaviour chain of docs/theory.md §4 run in lockstep: each starts from ``ν₀``, continues from
    ``y'`` and restarts from ``ν₀`` after an episode end; rows are ordered round by round.

    Parameters
    ----------
    model : the primitive model
    n_invocations : number of samples (≥ 1)
    seed : seed of ``numpy.random.default_rng``
    n_chains : parallel chains (≥ 1)
    start : an epoch state ``(i, s, z, x_1..x_N)``: every invocation starts there instead
    successor : with ``start``, the successor every invocation commits to (index or name);
        it must be admissible at ``start``

    Returns
    -------
    Invocations
    """
    n_ag, t_max, gamma = model.n_agents, model.T_max, model.gamma
    if (isinstance(n_invocations, bool) or not isinstance(n_invocations, numbers.Integral)
            or n_invocations < 1):
        raise ValueError(f"n_invocations: {n_invocations!r} must be an integer >= 1")
    if isinstance(n_chains, bool) or not isinstance(n_chains, numbers.Integral) or n_chains < 1:
        raise ValueError(f"n_chains: {n_chains!r} must be an integer >= 1")
    y0 = None
    if start is not None:
        y0 = np.asarray(start)
        if (y0.shape != (3 + n_ag,) or not np.issubdtype(y0.dtype, np.integer)
                or (y0 < 0).any() or (y0 >= np.array(model.epoch_shape)).any()):
            raise ValueError(f"start: {start!r} is not an epoch state (i, s, z, x_1..x_N) "
                             f"within {model.epoch_shape}")
        y0 = y0.astype(np.int64)
    j_fixed = None
    if successor is not None:
        if y0 is None:
            raise ValueError("successor: a fixed successor needs a fixed start state")
        j_fixed = _successor_index(model, successor)
        i0, o0 = int(y0[0]), model.observe(y0)
        if not model.successors[i0][o0, j_fixed]:
            raise ValueError(f"successor: {model.successor_name(j_fixed)!r} is not admissible "
                             f"for agent {model.agents[i0]!r} at observation "
                             f"{model.obs_labels[i0][o0]!r}")

    rng = np.random.default_rng(seed)
    n_c = int(min(n_chains, n_invocations))
    rounds = -(-int(n_invocations) // n_c)
    init_cdf = _cdf(model.initial.ravel())
    obs_u = [model._obs_u(i) for i in range(n_ag)]
    pol_cdf = [_cdf(p) for p in model.local_policy]
    beh_cdf = [_cdf(b) for b in model.behavior]
    ker_cdf = [_cdf(k.reshape(*k.shape[:5], -1)).reshape(model.local_size(i), k.shape[3],
                                                         k.shape[4], -1)
               for i, k in enumerate(model.kernel)]
    rew = [r.reshape(model.local_size(i), r.shape[3], r.shape[4])
           for i, r in enumerate(model.reward)]
    beta = [b.reshape(-1) for b in model.termination]

    def fresh(k: int) -> np.ndarray:
        if y0 is not None:
            return np.repeat(y0[None, :], k, axis=0)
        codes = _draw(rng, np.broadcast_to(init_cdf, (k, init_cdf.size)))
        return np.array(np.unravel_index(codes, model.epoch_shape), dtype=np.int64).T

    out_y = np.empty((rounds, n_c, 3 + n_ag), dtype=np.int64)
    out_j = np.empty((rounds, n_c), dtype=np.int64)
    out_tau = np.empty((rounds, n_c), dtype=np.int64)
    out_r = np.empty((rounds, n_c))
    out_next = np.empty_like(out_y)
    y = fresh(n_c)
    for k in range(rounds):
        nxt = y.copy()
        jj = np.empty(n_c, dtype=np.int64)
        tau = np.zeros(n_c, dtype=np.int64)
        ret = np.zeros(n_c)
        for i in range(n_ag):
            grp = np.flatnonzero(y[:, 0] == i)
            if grp.size == 0:
                continue
            o = model.observation[i][y[grp, 2], y[grp, 3 + i]]
            jj[grp] = j_fixed if j_fixed is not None else _draw(rng, beh_cdf[i][o])
            kj = jj[grp] if model.kernel[i].shape[4] > 1 else np.zeros(grp.size, np.int64)
            rj = jj[grp] if model.reward[i].shape[4] > 1 else np.zeros(grp.size, np.int64)
            u = model._local_index(i, y[grp, 1], y[grp, 2], y[grp, 3 + i])
            live = np.arange(grp.size)
            for t in range(t_max):
                uu = u[live]
                a = _draw(rng, pol_cdf[i][obs_u[i][uu]])
                ret[grp[live]] += gamma ** t * rew[i][uu, a, rj[live]]
                u[live] = _draw(rng, ker_cdf[i][uu, a, kj[live]])
                stop = rng.random(live.size) < beta[i][u[live]]
                if t + 1 == t_max:
                    stop[:] = True
                tau[grp[live[stop]]] = t + 1
                live = live[~stop]
                if live.size == 0:
                    break
            s1, z1, x1 = np.unravel_index(u, (model.n_latent, model.n_interface,
                                              model.n_private[i]))
            nxt[grp, 0], nxt[grp, 1], nxt[grp, 2], nxt[grp, 3 + i] = jj[grp], s1, z1, x1
        ended = jj == n_ag
        nxt[ended] = -1
        out_y[k], out_j[k], out_tau[k], out_r[k], out_next[k] = y, jj, tau, ret, nxt
        if y0 is not None:
            y = fresh(n_c)
        else:
            y = nxt
            if ended.any():
                y[ended] = fresh(int(ended.sum()))

    n_out = int(n_invocations)

    def flat(a: np.ndarray) -> np.ndarray:
        return _freeze(a.reshape(rounds * n_c, *a.shape[2:])[:n_out].copy())

    mode = ("i.i.d. invocations from a fixed start" if y0 is not None else
            "behaviour chain (docs/theory.md §4), restarts from ν₀ after END")
    return Invocations(flat(out_y), flat(out_j), flat(out_tau), flat(out_r), flat(out_next),
                       seed=seed, n_chains=n_c,
                       method=f"Monte Carlo of the primitive model, {mode}")


# ---------------------------------------------------------------------------------------
# A common family: geometric handoff
# ---------------------------------------------------------------------------------------


def geometric_handoff(p: float | Sequence[float], T_max: int, **fields: Any  # noqa: N803
                      ) -> PrimitiveICSMDP:
    """A primitive model whose agents hand off with a constant per-step probability ``p``.

    ``β_i ≡ p_i`` (docs/theory.md §1) with forced termination at ``T_max``, so every invocation of
    agent ``i`` has the truncated geometric duration ``P(τ = t) = p_i (1 − p_i)^{t−1}`` for
    ``t < T_max`` and ``P(τ = T_max) = (1 − p_i)^{T_max−1}``, whatever the path, and
    ``E[γ^τ] = p γ (1 − q^{T_max−1})/(1 − q) + q^{T_max−1} γ`` with ``q = (1 − p) γ``.

    Parameters
    ----------
    p : one probability in ``[0, 1]`` for all agents, or one per agent
    T_max : forced termination time
    **fields : every other field of :class:`PrimitiveICSMDP` except ``termination``
        (``initial`` fixes the shapes ``|S|``, ``|Z|``, ``|X_i|``)

    Returns
    -------
    PrimitiveICSMDP
    """
    if "termination" in fields:
        raise ValueError("termination: geometric_handoff sets it to p; do not pass it")
    if "initial" not in fields:
        raise ValueError("initial: required (its shape (N, |S|, |Z|, |X_1|, ..., |X_N|) "
                         "fixes the termination arrays)")
    shape = np.shape(fields["initial"])
    if len(shape) < 4:
        raise ValueError(f"initial: shape {shape} is not (N, |S|, |Z|, |X_1|, ..., |X_N|)")
    n = shape[0]
    ps = np.atleast_1d(np.asarray(p, dtype=float))
    if ps.shape == (1,):
        ps = np.repeat(ps, n)
    if ps.shape != (n,) or not (np.isfinite(ps) & (ps >= 0) & (ps <= 1)).all():
        raise ValueError(f"p: {p!r} must be one probability in [0, 1] or one per agent "
                         f"(N = {n})")
    term = tuple(np.full((shape[1], shape[2], shape[3 + i]), ps[i]) for i in range(n))
    return PrimitiveICSMDP(termination=term, T_max=T_max, **fields)
