"""Network IC-Q for many seeds at once, with the error checked on a grid: the certificate runs
of the ``linear`` and ``neural`` learners of a :class:`~icq.reference.learners.spec.LearnerSpec`
(docs/theory.md §8, "The network certificate").

The learners
------------
``neural``: agent ``i`` owns an MLP (``depth`` hidden ReLU layers of ``width`` units, the
initialisation of :func:`~icq.reference.learners.neural.networks.build_networks` for the run's
seed) over the one-hot encoding of its own observations, one output per successor slot, and

    Q_θ(ô, j) = f_i(x(ô); θ_i)[j] − f_i(x(ô); θ_{i,0})[j] + Q₀     (ô an observation of agent i).

``linear``: ``Q_θ(ô, j) = φ(ô, j)ᵀθ + Q₀`` with the rows ``φ`` of the feature file (``icq audit
--features FILE``'s format, validated by the caller: ``‖φ‖₂ ≤ 1``), one parameter vector θ ∈ R^d
shared by every pair (Theorem 1's learner), ``θ₀ = 0``. It is the same update with no hidden
layer: the gradient of ``Q`` in θ is ``φ(ô, j)``; with one-hot features it is tabular IC-Q.

One update per handoff ``(ô, j, τ, R, ô')`` of the behaviour chain (paper eq. (4)–(5)), the
semi-gradient step of the existing neural learner with one handoff per update:

    target = R + γ^τ max_{j' ∈ J(ô')} Q_θ(ô', j')        (R when the episode ends)
    θ ← θ − (α / s²) (Q_θ(ô, j) − target) ∇_θ Q_θ(ô, j)

(only the predecessor's parameters move). ``α`` is the step on ``Q``: ``s`` is the largest
norm of a tangent feature ``∇_θ f(ô, j; θ₀)`` of the seed's networks (``tangent_features``'
scale: the pair with the largest gradient moves by α to first order), ``s = 1`` for ``linear``.

What each field of the spec means for a network
-----------------------------------------------
- ``step``: α for the update of pair ``p = (ô, j)`` at update ``t`` (0, 1, …), with ``n`` the
  number of updates of ``p`` so far including this one: ``harmonic`` ``1/n^ω``; ``rescaled``
  ``1/(1 + (1 − γ̂)n)``, γ̂ the largest row mass of K̂; ``constant`` α; ``theory``
  ``1/((1 − κ)ω_A5(t + 1))`` (κ, ω_A5 filled in by ``with_theory_constants``). All in units of
  ``Q`` as above (``α/s²`` per parameter).
- ``average``: the reported parameters after ``T`` updates are ``θ_T`` (``last``), the mean of
  the parameter vectors ``θ_t``, ``t = 0..T−1`` (``polyak``; θ₀ the initialisation) or their
  mean over the last ``⌈F·T⌉`` values of ``t`` (``tail:F``); ``Q`` is the network at the mean
  parameters (not the mean of the outputs). Kept lazily: ``u_T = Σ_{t<T} (t + 1)(θ_{t+1} − θ_t)``
  changes where θ changes, ``Σ_{t<T} θ_t = T·θ_T − u_T``, a tail subtracts its start's sum.
- ``burn_in`` t_b: t_b handoffs of the same stream are drawn and dropped before update 0.
- ``radius`` R: after every update, θ − θ₀ (all the seed's parameters, every agent jointly) is
  projected onto ``‖θ − θ₀‖₂ ≤ R``, R in parameter units (``s·R`` in the normalised tangent
  units of docs/theory.md §5; for ``linear``, ``‖θ‖₂ ≤ R``).
- ``q0``: the constant ``Q₀`` added to every output (``Q`` = Q₀ at θ₀).
- ``exploration``: the file's π_b only (the stream must not depend on θ); ``epsilon-greedy``
  is refused.

Seeds as a batch dimension
--------------------------
Seed ``s`` has its own initialisation (``build_networks(..., seed=s)``) and its own handoff stream
(:func:`~icq.reference.learners.handoffs.start_stream` ``(arrays, s)``, then the t_b handoffs of
:func:`~icq.reference.learners.handoffs.burn_in_handoffs` and T of
:func:`~icq.reference.learners.handoffs.sample_behaviour`: the same draws, in one stream), so a
seed's run does not depend on the other seeds of the batch. Layer ``l`` of every seed and agent
is one tensor ``(S·N, out, in + 1)`` (row ``s·N + i``, the bias as the last column): an update
is one gathered batched product per layer for the predecessors and successors of all seeds
together, and the rank-one changes are added back with ``index_add_`` (rows of distinct seeds
are distinct). float64 throughout, on CUDA when present (``device=None``); on the CPU in batches
of :data:`CPU_BLOCK` seeds.

The check grid. The error of ``Q_θ`` (the reported iterate) on the observation pairs with
positive weight (the :class:`~icq.reference.learners.montecarlo.ErrorSpec`: sup or μ norm,
learning or total error) is evaluated exactly, by a forward pass at every observation, on the
averaged tabular iterates' grid ``montecarlo.check_grid`` (``⌈2^(k/16)⌉``, k = 0, 1, …: every
count up to 23, then 16 per doubling, at most 4.4 % apart, and the horizon). H per seed and
target is defined on that grid (``montecarlo.h_on_grid``): the least grid point ``h`` with error
≤ ε at every grid point ≥ ``h`` (``inf`` when the error at the horizon is above ε; a non-finite
entry is above every target). Nothing is claimed between grid points.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, replace

import numpy as np
import torch
from tqdm import tqdm

from icq.reference.learners.handoffs import (
    StepParams,
    burn_in_handoffs,
    handoff_arrays,
    handoff_record,
    step_size,
)
from icq.reference.learners.montecarlo import (
    ErrorSpec,
    MonteCarloResult,
    check_grid,
    error_spec,
    full_error,
    h_on_grid,
)
from icq.reference.learners.neural.networks import AgentNetworks, build_networks
from icq.reference.learners.neural.sampling import Stream, draw_rows
from icq.reference.learners.neural.tangent import tangent_raw
from icq.reference.learners.neural.training import torch_threads
from icq.reference.learners.neural.update import smdp_target, successor_value
from icq.reference.learners.spec import LearnerSpec
from icq.reference.learners.tabular import kernel_params
from icq.reference.model import EpochModel

__all__ = ["CPU_BLOCK", "NetworkRun", "run_network_seeds", "train_network"]

#: the most memory the stored prefix sums of a tail average may take at once (bytes)
SNAPSHOT_BYTES = 2**31
#: handoffs drawn per seed at a time (bounded by ``2**21`` over all seeds)
CHUNK = 4096
#: seeds per batch on the CPU (bounds the working set; 50 and 200 measured alike, see
#: ``benchmarks/README.md``)
CPU_BLOCK = 50


def _as_grid(grid, horizon: int) -> np.ndarray:
    """A given grid, validated: distinct sorted integers in 1..horizon ending at the horizon."""
    g = np.asarray(grid)
    if g.ndim != 1 or g.size == 0 or not np.issubdtype(g.dtype, np.integer):
        raise ValueError("grid: expected a non-empty 1-d array of update counts (integers)")
    if np.any(np.diff(g) <= 0) or g[0] < 1 or g[-1] != horizon:
        raise ValueError(f"grid: update counts must increase strictly from >= 1 and end at the "
                         f"horizon {horizon} (H is defined up to the horizon); got "
                         f"{g[0]}..{g[-1]}")
    return g.astype(np.int64)


def _resolve_device(device) -> torch.device:
    return torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))


class _Steps:
    """α (on Q) per update and seed — the spec's schedule as the tabular learner computes it
    (``kernel_params``, ``step_size``) — and the visit counts (S, n_obs_pairs)."""

    def __init__(self, params: StepParams, n_pairs: int, n_seeds: int):
        self.visits = np.zeros((n_seeds, n_pairs))
        self.params = params

    def __call__(self, pair: np.ndarray, t0: int) -> np.ndarray:
        """α for the (C, S) pairs of updates t0..t0+C−1; counts the visits."""
        C, S = pair.shape
        n = np.empty((C, S))
        for s in range(S):
            p = pair[:, s]
            order = np.argsort(p, kind="stable")
            sp = p[order]
            starts = np.flatnonzero(np.r_[True, sp[1:] != sp[:-1]])
            rank = np.arange(C) - np.repeat(starts, np.diff(np.r_[starts, C]))
            n[order, s] = self.visits[s, sp] + rank + 1
            self.visits[s] += np.bincount(p, minlength=self.visits.shape[1])
        k = self.params
        t = np.arange(t0, t0 + C, dtype=float)[:, None]
        a = step_size(n, t, k.mode, k.step_exponent, k.alpha)
        return np.broadcast_to(np.asarray(a, dtype=float), (C, S)).copy()


class _Body:
    """The parameters of S seeds (a list of tensors, rows ``s·N + i``), their lazy sums and the
    projection; the subclasses give the forward pass and the update."""

    N: int  # parameter rows per seed

    def setup(self, learner: LearnerSpec, n_seeds: int) -> None:
        self.S, self.learner = n_seeds, learner
        self.q0 = float(learner.q0)
        self.theta0 = [p.clone() for p in self.params]
        self.u = [torch.zeros_like(p) for p in self.params] if learner.averaged else None
        if learner.radius is not None:
            self.nsq = torch.zeros(n_seeds, self.N, dtype=torch.float64, device=self.dev)
        self.seed_base = torch.arange(n_seeds, device=self.dev) * self.N

    def apply(self, rows: torch.Tensor, changes: list[torch.Tensor], t: int) -> None:
        """θ[rows] −= changes (per parameter tensor); u, the norms and the projection follow."""
        for p, c, u in zip(self.params, changes, self.u or [None] * len(changes), strict=True):
            p.index_add_(0, rows, c, alpha=-1.0)
            if u is not None:
                u.index_add_(0, rows, c, alpha=-float(t + 1))
        if self.learner.radius is not None:
            self._project(rows, t)

    def _project(self, rows: torch.Tensor, t: int) -> None:
        sq = sum(((p[rows] - p0[rows]) ** 2).flatten(1).sum(1)
                 for p, p0 in zip(self.params, self.theta0, strict=True))
        self.nsq.view(-1)[rows] = sq
        total = self.nsq.sum(1)
        r = float(self.learner.radius)
        over = torch.nonzero(total > r * r).flatten()
        if over.numel() == 0:
            return
        c = r / torch.sqrt(total[over])
        idx = (over.unsqueeze(1) * self.N + torch.arange(self.N, device=self.dev)).flatten()
        cr = c.repeat_interleave(self.N)
        for i, (p, p0) in enumerate(zip(self.params, self.theta0, strict=True)):
            old = p[idx]
            new = p0[idx] + cr.view((-1,) + (1,) * (old.dim() - 1)) * (old - p0[idx])
            p[idx] = new
            if self.u is not None:
                self.u[i][idx] += float(t + 1) * (new - old)
        self.nsq[over] *= (c * c).unsqueeze(1)

    def prefix(self, t: int) -> list[torch.Tensor]:
        """Σ_{t'<t} θ_{t'} = t·θ_t − u_t (the averaged iterates' lazy sum)."""
        return [t * p - u for p, u in zip(self.params, self.u, strict=True)]

    def reported(self, t: int, snapshots: dict) -> list[torch.Tensor]:
        """The reported parameters after t updates (module docstring, ``average``)."""
        a = self.learner.average_start(t)
        if t - a == 0:  # last iterate (or no iterate yet)
            return self.params
        tot = self.prefix(t)
        if a > 0:
            tot = [x - y for x, y in zip(tot, snapshots[a], strict=True)]
        return [x / (t - a) for x in tot]


class _MLP(_Body):
    """Layer ``l`` of every seed and agent: one tensor (S·N, out, in + 1), the bias as the last
    column (the layer's input carries a trailing 1), so that a layer is one gathered product
    forward, one backward and one rank-one change."""

    def __init__(self, model: EpochModel, learner: LearnerSpec, seeds, dev: torch.device):
        self.dev = dev
        nets = [build_networks(model, learner.width, learner.depth, int(s), device=dev)
                for s in seeds]
        n0 = nets[0]
        self.nets, self.layers, self.N = nets, n0.layers, n0.n_agents
        self.X, self.obs_agent, self.mask = n0.X, n0.obs_agent, n0.obs_mask
        self.pair_obs, self.pair_slot, self.K = n0.pair_obs, n0.pair_slot, n0.obs_mask.shape[1]
        flat = torch.stack([n.theta0 for n in nets]).reshape(len(seeds) * self.N, -1)
        self.params = [torch.cat([flat[:, L.w:L.w + L.out * L.inp].reshape(-1, L.out, L.inp),
                                  flat[:, L.b:L.b + L.out].unsqueeze(2)], 2).contiguous()
                       for L in self.layers]
        self.f0 = torch.stack([n.f0 for n in nets])  # (S, n_obs, K)
        scale = [tangent_raw(n)[1] for n in nets]  # s of tangent_features, without its Φ
        self.unit = torch.tensor([1.0 / s**2 for s in scale], dtype=torch.float64, device=dev)
        self.setup(learner, len(seeds))
        e = lambda *shape: torch.empty(shape, dtype=torch.float64, device=dev)  # noqa: E731
        S2 = 2 * self.S
        self.Wg = [e(S2, L.out, L.inp + 1) for L in self.layers]
        self.H = [e(S2, L.inp + 1, 1).fill_(1.0) for L in self.layers[1:]]  # hidden inputs, 1
        self.out = e(S2, self.K, 1)
        self.outer = [e(self.S, L.out, L.inp + 1) for L in self.layers]

    def chunk(self, pair, rew, disc, nobs, alpha) -> dict:
        """The update's θ-independent data for C steps, as (C, S, ...) tensors."""
        d = self.dev
        tt = lambda a, dt=torch.float64: torch.as_tensor(a, dtype=dt, device=d)  # noqa: E731
        pair, nobs = tt(pair, torch.long), tt(nobs, torch.long)
        obs = self.pair_obs[pair]
        cont = nobs >= 0
        nob = torch.where(cont, nobs, torch.zeros_like(nobs))
        sidx = torch.arange(self.S, device=d)
        rows2 = torch.cat([self.seed_base + self.obs_agent[obs],
                           self.seed_base + self.obs_agent[nob]], dim=1)
        x2 = torch.cat([self.X[obs], self.X[nob]], 1)
        slot = self.pair_slot[pair]
        return {"rows2": rows2, "x2": torch.cat([x2, torch.ones_like(x2[..., :1])], 2)
                .unsqueeze(3), "slot": slot.unsqueeze(2), "f0p": self.f0[sidx, obs, slot],
                "f0n": self.f0[sidx, nob], "maskn": self.mask[nob], "cont": cont,
                "rew": tt(rew), "disc": tt(disc), "alpha": tt(alpha) * self.unit}

    def step(self, c: dict, i: int, t: int) -> None:
        S, nl = self.S, len(self.layers)
        r2 = c["rows2"][i]
        hs = [c["x2"][i]] + self.H
        for li in range(nl):  # predecessors (rows :S) and successors (S:) in one product
            torch.index_select(self.params[li], 0, r2, out=self.Wg[li])
            if li < nl - 1:
                z = self.H[li][:, :-1]
                z.copy_(torch.bmm(self.Wg[li], hs[li])).clamp_(min=0.0)
            else:
                torch.bmm(self.Wg[li], hs[li], out=self.out)
        out = self.out.squeeze(2)
        v = successor_value(out[S:] - c["f0n"][i] + self.q0, c["maskn"][i])
        target = smdp_target(c["rew"][i], c["disc"][i], v, c["cont"][i])
        q = out[:S].gather(1, c["slot"][i]).squeeze(1) - c["f0p"][i] + self.q0
        coef = c["alpha"][i] * (q - target)  # (α/s²)(Q − target)
        d = torch.zeros(S, self.K, 1, dtype=torch.float64, device=self.dev)
        d.scatter_(1, c["slot"][i].unsqueeze(2), coef.view(S, 1, 1))
        for li in range(nl - 1, -1, -1):  # backprop, then the rank-one changes
            hh = hs[li][:S]
            torch.mul(d, hh.transpose(1, 2), out=self.outer[li])
            if li > 0:  # Wᵀd as the row vector dᵀW: a product over contiguous matrices
                dn = torch.bmm(d.transpose(1, 2), self.Wg[li][:S])[:, :, :-1]
                d = dn.transpose(1, 2) * (hh[:, :-1] > 0)
        self.apply(r2[:S], self.outer, t)

    def table(self, params: list[torch.Tensor]) -> torch.Tensor:
        """(S, n_obs_pairs) Q of every seed at ``params``."""
        rows = (self.seed_base.unsqueeze(1) + self.obs_agent).flatten()
        h = self.X.repeat(self.S, 1).unsqueeze(2)
        for li, p in enumerate(params):
            h = torch.bmm(p[rows], torch.cat([h, torch.ones_like(h[:, :1])], 1))
            h = h.clamp(min=0.0) if li < len(params) - 1 else h
        out = h.view(self.S, self.X.shape[0], self.K) - self.f0 + self.q0
        return out[:, self.pair_obs, self.pair_slot]

    def flat(self, params: list[torch.Tensor], s: int) -> np.ndarray:
        """θ − θ₀ of seed s as the (N, P) flat rows of :class:`AgentNetworks`."""
        out = torch.zeros_like(self.nets[s].theta0)
        sl = slice(s * self.N, (s + 1) * self.N)
        for p, p0, L in zip(params, self.theta0, self.layers, strict=True):
            w = p[sl] - p0[sl]
            out[:, L.w:L.w + L.out * L.inp] = w[..., :-1].reshape(self.N, -1)
            out[:, L.b:L.b + L.out] = w[..., -1]
        return out.cpu().numpy()


class _Linear(_Body):
    def __init__(self, model: EpochModel, learner: LearnerSpec, features: np.ndarray,
                 n_seeds: int, dev: torch.device):
        self.dev, self.N = dev, 1
        phi = np.asarray(features, dtype=float)
        if phi.ndim != 2 or phi.shape[0] != model.n_obs_pairs or not np.isfinite(phi).all():
            raise ValueError(f"features: expected a finite (n_obs_pairs, d) = "
                             f"({model.n_obs_pairs}, d) array, got shape {phi.shape}")
        ptr = np.asarray(model.obs_ptr)
        self.K = int(np.diff(ptr).max())
        slots = np.zeros((model.n_obs, self.K, phi.shape[1]))
        mask = np.zeros((model.n_obs, self.K), dtype=bool)
        for o in range(model.n_obs):
            k = ptr[o + 1] - ptr[o]
            slots[o, :k], mask[o, :k] = phi[ptr[o]:ptr[o + 1]], True
        tt = lambda a: torch.as_tensor(a, dtype=torch.float64, device=dev)  # noqa: E731
        self.phi, self.slots = tt(phi), tt(slots)
        self.mask = torch.as_tensor(mask, device=dev)
        self.params = [torch.zeros(n_seeds, phi.shape[1], dtype=torch.float64, device=dev)]
        self.setup(learner, n_seeds)

    def chunk(self, pair, rew, disc, nobs, alpha) -> dict:
        d = self.dev
        nobs = torch.as_tensor(nobs, device=d)
        cont = nobs >= 0
        tt = lambda a: torch.as_tensor(a, dtype=torch.float64, device=d)  # noqa: E731
        return {"pair": torch.as_tensor(pair, device=d), "cont": cont,
                "nobs": torch.where(cont, nobs, torch.zeros_like(nobs)), "rew": tt(rew),
                "disc": tt(disc), "alpha": tt(alpha)}

    def step(self, c: dict, i: int, t: int) -> None:
        th = self.params[0]
        nob = c["nobs"][i]
        qn = torch.bmm(self.slots[nob], th.unsqueeze(2)).squeeze(2) + self.q0
        target = smdp_target(c["rew"][i], c["disc"][i], successor_value(qn, self.mask[nob]),
                             c["cont"][i])
        phi = self.phi[c["pair"][i]]
        q = (phi * th).sum(1) + self.q0
        self.apply(self.seed_base, [phi * (c["alpha"][i] * (q - target)).unsqueeze(1)], t)

    def table(self, params: list[torch.Tensor]) -> torch.Tensor:
        return params[0] @ self.phi.T + self.q0


def _snapshot_uses(points: np.ndarray, learner: LearnerSpec, body: _Body) -> Counter:
    """Per start ``a > 0`` of a tail average, how many of ``points`` use its prefix sum;
    refuses points that would keep more than :data:`SNAPSHOT_BYTES` of them at once."""
    if learner.tail_fraction is None:
        return Counter()
    starts = np.array([learner.average_start(int(h)) for h in points])
    live = max((int(((starts <= a) & (points > a) & (starts > 0)).sum()) for a in starts),
               default=0)
    size = sum(p.numel() * p.element_size() for p in body.params)
    if live * size > SNAPSHOT_BYTES:
        raise ValueError(f"grid: a tail average on this grid keeps {live} prefix sums of "
                         f"{size / 2**20:.0f} MiB at once (limit {SNAPSHOT_BYTES / 2**30:.0f} "
                         "GiB); use a coarser grid or fewer seeds per run")
    return Counter(int(a) for a in starts if a > 0)


def _prepare(model: EpochModel, learner: LearnerSpec) -> tuple[dict, StepParams]:
    """The learner checked, and what every batch of its seeds shares: the handoff arrays and
    the step parameters (``kernel_params``: for ``rescaled``, γ̂ of the AIS model)."""
    if learner.representation not in ("linear", "neural"):
        raise ValueError(f"learner: {learner.representation!r} is not a network learner "
                         "(linear or neural); tabular runs go through montecarlo.run_seeds")
    if learner.exploration != "behavior":
        raise ValueError("exploration: the network learners sample the file's π_b (their "
                         "handoff stream must not depend on θ); epsilon-greedy is tabular only")
    return handoff_arrays(model), kernel_params(replace(learner, representation="tabular",
                                                        features=None), model)


def _run(model: EpochModel, learner: LearnerSpec, seeds: np.ndarray, horizon: int,
         grid: np.ndarray, on_grid, device, features, bar, prepared: tuple[dict, StepParams]):
    """The shared loop: burn-in, then ``horizon`` updates of every seed, ``on_grid(g, body,
    params)`` at each grid point; ``prepared`` is :func:`_prepare` of the model and learner.
    Returns (body, steps, streams, prefix sums kept)."""
    arr, params = prepared
    dev, S = device, len(seeds)
    steps = _Steps(params, model.n_obs_pairs, S)
    if learner.representation == "neural":
        body: _Body = _MLP(model, learner, seeds, dev)
    else:
        if features is None:
            raise ValueError("features: the linear learner needs its validated feature array "
                             f"(the rows of {learner.features})")
        body = _Linear(model, learner, features, S, dev)
    uses = _snapshot_uses(np.union1d(grid, [horizon]), learner, body)
    snapshots: dict[int, list[torch.Tensor]] = {}
    streams = [Stream.start(arr, int(s)) for s in seeds]
    chunk = max(1, min(CHUNK, 2**21 // S))
    if learner.burn_in:  # the draws of the same stream, no update (π_b: the table is unread)
        H, unread = handoff_record(arr), np.zeros(1)  # noqa: N806
        for st in streams:
            st.y = int(burn_in_handoffs(learner.burn_in, st.rng, st.y, H, steps.params, unread))
    g, t = 0, 0
    with torch.no_grad():
        while t < horizon:
            C = min(chunk, horizon - t)
            draws = [draw_rows(arr, st, C) for st in streams]
            pair, rew, disc, nobs = (np.stack([d[k] for d in draws], 1)
                                     for k in ("pair", "reward", "discount", "next_obs"))
            data = body.chunk(pair, rew, disc, nobs, steps(pair, t))
            for i in range(C):
                if uses[t] > 0:
                    snapshots[t] = body.prefix(t)
                body.step(data, i, t)
                t += 1
                while g < len(grid) and grid[g] == t:
                    on_grid(g, body, body.reported(t, snapshots))
                    a = learner.average_start(t)  # drop a prefix sum after its last use
                    uses[a] -= uses[a] > 0
                    if a in snapshots and uses[a] == 0:
                        del snapshots[a]
                    g += 1
            if bar is not None:
                bar.update(C * S)
    return body, steps, streams, snapshots


def _bar(progress: bool, total: int):
    if not progress:
        return None
    return tqdm(total=total, unit="handoff", unit_scale=True)


def _seed_list(seeds) -> np.ndarray:
    out = np.arange(seeds) if np.ndim(seeds) == 0 else np.asarray(seeds, dtype=np.int64)
    if out.size == 0 or np.any(out < 0):
        raise ValueError(f"seeds: {out.tolist()} must be one or more integers >= 0")
    return out


def _method(learner: LearnerSpec, n_grid: int, dev: str, block: int) -> str:
    return (f"{learner.words()}: seeds as a batch dimension (one batched product per layer "
            f"for {block} seeds at a time, {dev}, float64); error of Q_θ at the reported "
            f"iterate evaluated exactly on a check grid of {n_grid} update counts")


def run_network_seeds(model: EpochModel, learner: LearnerSpec, targets, *, horizon: int,
                      seeds=200, error: str = "learning", norm: str = "sup",
                      spec: ErrorSpec | None = None, grid=None, device=None,
                      progress: bool = False, features: np.ndarray | None = None,
                      block: int | None = None, threads: int | None = 1) -> MonteCarloResult:
    """Certificate runs of a ``linear`` or ``neural`` learner (module docstring), seeds batched,
    the error checked on a grid (docs/theory.md §8, "The network certificate").

    Parameters
    ----------
    learner : the :class:`LearnerSpec` (``representation`` linear or neural)
    targets : a target ε or a sequence of them
    horizon : updates per seed (after the burn-in)
    seeds : a count n (seeds 0..n−1) or the seeds themselves
    error, norm, spec : the error (``spec``, default :func:`error_spec` ``(model, error, norm)``)
    grid : the check grid (default ``montecarlo.check_grid``, that of the averaged tabular
        iterates); strictly increasing update counts from 1, ending at the horizon
    device : a torch device (None: CUDA when available, else the CPU)
    features : the linear learner's validated (n_obs_pairs, d) feature array (this floor does
        not read files: ``icq.bounds.validate.load_features(learner.features, model)``)
    block : seeds per batch, run one batch after the other (None: all seeds in one batch on
        CUDA, :data:`CPU_BLOCK` on the CPU); a seed's run does not depend on the batch it is in
    threads : torch's intra-op threads during the runs (restored after; None: torch's own
        setting). Default 1: the per-update products are small, and a second thread measured
        slower on a shared 2-core machine (``benchmarks/bench_netcert.py``)

    Returns
    -------
    MonteCarloResult with ``grid = check_grid`` the check grid, ``errors`` (S, G) the error of
    the reported iterate there and ``H`` (S, E) on that grid.
    """
    if horizon < 1:
        raise ValueError(f"horizon: {horizon} must be >= 1")
    eps = np.atleast_1d(np.asarray(targets, dtype=float))
    if not np.all(np.isfinite(eps) & (eps >= 0)):
        raise ValueError(f"targets: {eps.tolist()} must be finite and >= 0")
    seed_list = _seed_list(seeds)
    if block is not None and block < 1:
        raise ValueError(f"block: {block} must be >= 1 (seeds per batch)")
    spec = spec if spec is not None else error_spec(model, error, norm)
    grid = check_grid(horizon) if grid is None else _as_grid(grid, horizon)
    prepared = _prepare(model, learner)  # once for every batch
    errors = np.full((len(seed_list), len(grid)), np.nan)

    def record(sl: slice, g: int, body: _Body, params: list[torch.Tensor]) -> None:
        Q = body.table(params).cpu().numpy()  # noqa: N806
        errors[sl, g] = [full_error(spec, q) for q in Q]  # inf where an entry is not finite

    dev = _resolve_device(device)
    n = len(seed_list)
    block = min(n, block if block is not None else (n if dev.type == "cuda" else CPU_BLOCK))
    bar = _bar(progress, horizon * n)
    t0 = time.perf_counter()
    with torch_threads(threads):
        for b in range(0, n, block):
            sl = slice(b, b + block)
            _run(model, learner, seed_list[sl], horizon, grid,
                 lambda g, body, params, sl=sl: record(sl, g, body, params), dev, features, bar,
                 prepared)
    seconds = time.perf_counter() - t0
    if bar is not None:
        bar.close()
    return MonteCarloResult(H=h_on_grid(errors, grid, eps), grid=grid, errors=errors,
                            targets=eps, seeds=seed_list, horizon=int(horizon), learner=learner,
                            spec=spec, seconds=seconds, check_grid=grid,
                            method=_method(learner, len(grid), dev.type, block))


@dataclass(frozen=True, eq=False)
class NetworkRun:
    """One run of a network learner (``icq train --learner linear|neural``).

    Attributes
    ----------
    q : (n_obs_pairs,) Q_θ at the reported iterate (``learner.average``); q_last at θ_T
    theta, theta_last : the reported and last parameters: ``neural`` θ − θ₀ as the (N, P) flat
        rows of ``networks`` (so ``q_values(networks, theta) + q0 == q``), ``linear`` θ (d,)
    networks : the seed's :class:`AgentNetworks` (θ₀ and the layout; None for ``linear``)
    visits : (n_obs_pairs,) updates per observation pair
    handoffs, burn_in : updates made, and handoffs drawn before them
    episodes : episodes that ended during the updates
    """

    q: np.ndarray
    q_last: np.ndarray
    theta: np.ndarray
    theta_last: np.ndarray
    networks: AgentNetworks | None
    visits: np.ndarray
    handoffs: int
    burn_in: int
    episodes: int
    seconds: float
    learner: LearnerSpec
    method: str


def train_network(model: EpochModel, learner: LearnerSpec, handoffs: int, seed: int = 0, *,
                  features: np.ndarray | None = None, device=None, progress: bool = False,
                  threads: int | None = 1) -> NetworkRun:
    """Train one seed of a ``linear`` or ``neural`` learner for ``handoffs`` updates after its
    burn-in: the run of seed ``seed`` in :func:`run_network_seeds` (module docstring);
    ``threads`` as there."""
    if handoffs < 0:
        raise ValueError(f"handoffs: {handoffs} must be >= 0")
    seeds = _seed_list([seed])
    prepared = _prepare(model, learner)
    t0 = time.perf_counter()
    bar = _bar(progress, handoffs)
    with torch_threads(threads):
        body, steps, streams, snaps = _run(model, learner, seeds, handoffs,
                                           np.zeros(0, np.int64), lambda *a: None,
                                           _resolve_device(device), features, bar, prepared)
    if bar is not None:
        bar.close()
    rep = body.reported(handoffs, snaps)
    neural = isinstance(body, _MLP)
    theta = body.flat(rep, 0) if neural else rep[0][0].cpu().numpy()
    last = body.flat(body.params, 0) if neural else body.params[0][0].cpu().numpy()
    return NetworkRun(
        q=body.table(rep)[0].cpu().numpy(), q_last=body.table(body.params)[0].cpu().numpy(),
        theta=theta, theta_last=last, networks=body.nets[0] if neural else None,
        visits=steps.visits[0], handoffs=int(handoffs), burn_in=learner.burn_in,
        episodes=streams[0].episodes, seconds=time.perf_counter() - t0, learner=learner,
        method=_method(learner, 0, body.dev.type, 1).split(":")[0])
