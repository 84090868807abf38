"""The primitive-level IC-SMDP (docs/theory.md §1): :class:`PrimitiveICSMDP`, its sizes and
naming, and the validation that checks every rule on construction.

The dynamics and the shape of every array are described in :mod:`icq.reference.model.primitive`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from icq.reference.model.parse import END, PROB_TOL, ModelError

__all__ = ["PrimitiveICSMDP"]

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


def freeze(arr: np.ndarray) -> np.ndarray:
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
        **{fld: tuple(freeze(a) for a in arrs[fld]) for fld in _PER_AGENT},
        "initial": freeze(init),
        "behavior": tuple(freeze(np.asarray(b, dtype=np.float64)) for b in behavior),
        "gamma": float(gamma),
        "T_max": int(t_max),
        "agents": tuple(agents),
        "obs_labels": labels,
    }
