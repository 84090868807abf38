"""The update of neural IC-Q (paper eq. (4)–(5)): the semi-gradient SMDP step.

:func:`successor_value` and :func:`smdp_target` (the one float the successor sends back and the
target), the stacked update :func:`torch_step` (pure functions over tensors with a leading seed
axis), the in-place update :func:`fast_step` (rank-one or summed changes written into views of
each agent's own parameters, with the fused numba layer :func:`_rank_one_layer` for one handoff
with SGD), the projection onto the trust region (:func:`_shrink`) and the step-size schedules
(:func:`base_steps`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch
from numba import njit

from icq.reference.learners.handoffs import smdp_target as shared_target
from icq.reference.learners.handoffs import theory_step
from icq.reference.learners.neural.networks import AgentNetworks, Layer, backward_rows, forward_rows
from icq.reference.learners.neural.options import NeuralConfig

__all__ = ["smdp_target", "successor_value"]


def successor_value(q_next: torch.Tensor, mask_next: torch.Tensor) -> torch.Tensor:
    """``V_j(ô') = max_{j' ∈ J(ô')} Q_j(ô', j')`` — the one number the successor sends back.

    Parameters
    ----------
    q_next : (..., K) the successor's centred outputs at its observation ô'
    mask_next : (..., K) bool, the admissible slots of ô'

    Returns
    -------
    (...) one float per handoff (paper eq. (4)).

    >>> successor_value(torch.tensor([[1.0, 5.0, 2.0]]), torch.tensor([[True, False, True]]))
    tensor([2.])
    """
    return torch.where(mask_next, q_next, -torch.inf).amax(dim=-1)


def smdp_target(reward: torch.Tensor, discount: torch.Tensor, v: torch.Tensor,
                cont: torch.Tensor) -> torch.Tensor:
    """``R + γ^τ v``, or ``R`` where the episode ended (``cont`` False) (paper eq. (5)): the
    shared :func:`icq.reference.learners.handoffs.smdp_target` with ``v`` zeroed where it ended.

    >>> smdp_target(torch.tensor([1.0, 1.0]), torch.tensor([0.81, 0.0]), torch.tensor([2.0, 9.0]),
    ...             torch.tensor([True, False]))
    tensor([2.6200, 1.0000])
    """
    return shared_target(reward, discount, torch.where(cont, v, torch.zeros_like(v)))


@dataclass(frozen=True)
class StepStatic:
    """What the update needs that is neither state nor data."""

    layers: tuple[Layer, ...]
    act: str
    n_agents: int
    optimizer: str
    betas: tuple[float, float]
    eps: float
    radius: float | None
    projection: str
    projection_rows: bool  # no projection, or per-agent: a B = 1 update touches one row
    inplace: bool = False  # update the state tensors in place (the native training loop)


class StepData(NamedTuple):
    """One update's handoffs for S seeds × B handoffs, every θ-independent lookup done.

    Shapes: (S, B) unless noted; ``K`` output slots, ``d`` encoding width, ``N`` agents.
    """

    ag: torch.Tensor  # predecessor agent i
    x: torch.Tensor  # (S, B, d) encoding of ô
    slot_1h: torch.Tensor  # (S, B, K) one-hot of the successor j's output slot
    f0_sel: torch.Tensor  # centring offset of the updated output
    agent_1h: torch.Tensor  # (S, N, B) one-hot of the predecessor, as a matrix
    reward: torch.Tensor  # R
    discount: torch.Tensor  # γ^τ (0 where the episode ended)
    cont: torch.Tensor  # bool, False where the episode ended
    nag: torch.Tensor  # successor agent j (a valid dummy where the episode ended)
    xn: torch.Tensor  # (S, B, d) encoding of ô'
    f0n: torch.Tensor  # (S, B, K) the successor's centring offsets at ô'
    maskn: torch.Tensor  # (S, B, K) admissible slots J(ô')
    alpha: torch.Tensor  # (S, 1, 1) step size in parameter units
    t: torch.Tensor  # (S, 1, 1) the update's index t = 0, 1, … (its weight in u)


def torch_step(st: StepStatic, theta0, delta, u, m, v, k, d: StepData):
    """One IC-Q update from B handoffs, for S independent seeds at once.

    State (S, N, P): ``delta = θ − θ₀``; ``u = Σ_s (s−1)(δ_s − δ_{s−1})``, from which the average
    of the iterates is ``δ_t − u/t`` (:func:`average_iterate`; ``u`` changes only where δ
    changes); Adam moments ``m``, ``v``; ``k`` (S, N) per-agent Adam step counts. Returns the new
    ``(delta, u, m, v, k)``. Pure unless ``st.inplace`` (then the state tensors are updated in
    place and returned).

    With one handoff per update (B = 1) and no joint projection only the predecessor's row
    changes, and the update gathers, changes and scatters back that row alone; otherwise every
    agent's row is updated (inactive agents by exactly 0). The two give the same numbers.
    """
    S, B = d.ag.shape
    N, P = theta0.shape[-2:]
    flat0, flat = theta0.reshape(S * N, P), delta.reshape(S * N, P)
    base = torch.arange(0, S * N, N, device=theta0.device).unsqueeze(1)  # row of agent 0, seed s
    nrow = (base + d.nag).reshape(-1)
    row = (base + d.ag).reshape(-1)
    # the successor j: its own network at its own observation, reduced to one float per handoff
    rows_n = flat0.index_select(0, nrow) + flat.index_select(0, nrow)
    q_next = forward_rows(rows_n, d.xn.reshape(S * B, -1), st.layers, st.act).reshape(S, B, -1)
    v_next = successor_value(q_next - d.f0n, d.maskn)
    target = smdp_target(d.reward, d.discount, v_next, d.cont)
    # the predecessor i: semi-gradient of ½(Q − target)² on its own parameters only
    d_rows = flat.index_select(0, row)
    rows = flat0.index_select(0, row) + d_rows
    out, hs = forward_rows(rows, d.x.reshape(S * B, -1), st.layers, st.act, keep=True)
    q = (out.reshape(S, B, -1) * d.slot_1h).sum(-1) - d.f0_sel
    err = (q - target) / B
    g = backward_rows(rows, hs, (d.slot_1h * err.unsqueeze(-1)).reshape(S * B, -1), st.layers,
                  st.act)
    b1, b2 = st.betas
    if B == 1 and st.projection_rows:
        # row-wise: gather the predecessor's row, change it, scatter it back
        alpha = d.alpha.reshape(S, 1)
        if st.optimizer == "sgd":
            new = d_rows - alpha * g
        else:
            m_row = b1 * m.reshape(S * N, P).index_select(0, row) + (1 - b1) * g
            v_row = b2 * v.reshape(S * N, P).index_select(0, row) + (1 - b2) * g * g
            k_row = k.reshape(S * N).index_select(0, row) + 1
            kk = k_row.unsqueeze(1)
            upd = (m_row / (1 - b1 ** kk)) / (torch.sqrt(v_row / (1 - b2 ** kk)) + st.eps)
            new = d_rows - alpha * upd
            m = _put(st, m, row, m_row)
            v = _put(st, v, row, v_row)
            k = _put(st, k, row, k_row)
        if st.radius is not None:
            r = st.radius / math.sqrt(st.n_agents)
            new = new * torch.clamp(r / torch.linalg.vector_norm(new, dim=-1, keepdim=True),
                                    max=1.0)
        u_row = u.reshape(S * N, P).index_select(0, row) + d.t.reshape(S, 1) * (new - d_rows)
        return _put(st, delta, row, new), _put(st, u, row, u_row), m, v, k
    # every row: the gradient lands in its own agent's block (B = 1: a product with 0/1, as
    # bmm would compute it, without batched-gemm overhead for a rank-one product)
    g = g.reshape(S, B, P)
    G = d.agent_1h * g if B == 1 else torch.bmm(d.agent_1h, g)
    active = (d.agent_1h.amax(-1) > 0).unsqueeze(-1)  # (S, N, 1): agents that had a handoff
    if st.optimizer == "sgd":
        new = delta - d.alpha * G
    else:
        k = k + active.squeeze(-1).to(k.dtype)
        m = torch.where(active, b1 * m + (1 - b1) * G, m)
        v = torch.where(active, b2 * v + (1 - b2) * G * G, v)
        kk = torch.clamp(k, min=1).unsqueeze(-1)
        upd = (m / (1 - b1 ** kk)) / (torch.sqrt(v / (1 - b2 ** kk)) + st.eps)
        new = torch.where(active, delta - d.alpha * upd, delta)
    if st.radius is not None:
        if st.projection == "agent":  # an agent projects when it updates
            r = st.radius / math.sqrt(st.n_agents)
            fac = torch.clamp(r / torch.linalg.vector_norm(new, dim=-1, keepdim=True), max=1.0)
            new = new * torch.where(active, fac, torch.ones_like(fac))
        else:
            r = st.radius
            new = new * torch.clamp(r / torch.linalg.vector_norm(new, dim=(-2, -1),
                                                                 keepdim=True), max=1.0)
    u = u + d.t * (new - delta)
    return new, u, m, v, k


def _put(st: StepStatic, x: torch.Tensor, row: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
    """``x`` with rows ``row`` of its flattened leading axes replaced by ``value``."""
    flat = x.reshape((-1,) + tuple(x.shape[2:]))
    if st.inplace:
        flat.index_copy_(0, row, value)
        return x
    return flat.index_copy(0, row, value).reshape(x.shape)


def average_iterate(delta: torch.Tensor, u: torch.Tensor, steps: int) -> torch.Tensor:
    """``(1/T) Σ_{t=1}^T δ_t = δ_T − U_T/T`` (docs/theory.md §6's averaged iterate, minus θ₀)."""
    return delta if steps == 0 else delta - u / steps


# ---------------------------------------------------------------------------------------
# The in-place update (the native loop): rank-one (B = 1) or summed (B > 1) changes to each
# agent's own parameters, written into views of the state; no parameter row is gathered, no
# gradient row is stored per handoff
# ---------------------------------------------------------------------------------------


class _Views(NamedTuple):
    """One agent's parameters of one seed as per-layer views (no copies) of its flat rows."""

    w0: tuple[torch.Tensor, ...]  # W at θ₀, (out, inp) per layer
    wd: tuple[torch.Tensor, ...]  # W in δ = θ − θ₀
    wu: tuple[torch.Tensor, ...]  # W in u
    b0: tuple[torch.Tensor | None, ...]
    bd: tuple[torch.Tensor | None, ...]
    bu: tuple[torch.Tensor | None, ...]
    delta: torch.Tensor  # (P,) the agent's row of δ
    u: torch.Tensor
    m: torch.Tensor
    v: torch.Tensor


def layer_views(layers: tuple[Layer, ...], theta0: torch.Tensor, delta: torch.Tensor,
           u: torch.Tensor, m: torch.Tensor, v: torch.Tensor) -> _Views:
    """:class:`_Views` of the flat rows (P,) ``theta0``, ``delta``, ``u``, ``m``, ``v``."""
    def w(row: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return tuple(row[L.w:L.w + L.out * L.inp].view(L.out, L.inp) for L in layers)

    def b(row: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        return tuple(row[L.b:L.b + L.out] if L.b >= 0 else None for L in layers)

    return _Views(w(theta0), w(delta), w(u), b(theta0), b(delta), b(u), delta, u, m, v)


#: rows at which one agent's forward pass forms ``W₀ + W_δ`` once instead of two products
COMBINE_ROWS = 2


def _weights(p: _Views, rows: int) -> tuple[tuple[tuple[torch.Tensor, ...], ...],
                                             tuple[tuple[torch.Tensor, ...], ...]]:
    """Per layer the matrices (and bias vectors) whose products with h are summed: ``(W₀, W_δ)``
    for a few rows (two matrix–vector products read each matrix once, nothing is written), the
    sum ``(W₀ + W_δ,)`` for ``rows ≥ COMBINE_ROWS`` (one matrix product instead of two)."""
    if rows >= COMBINE_ROWS:
        return (tuple((w0 + wd,) for w0, wd in zip(p.w0, p.wd, strict=True)),
                tuple(() if b0 is None else (b0 + bd,) for b0, bd in zip(p.b0, p.bd, strict=True)))
    return (tuple(zip(p.w0, p.wd, strict=True)),
            tuple(() if b0 is None else (b0, bd) for b0, bd in zip(p.b0, p.bd, strict=True)))


def _split_forward(p: _Views, x: torch.Tensor, act: str, keep: bool = False):
    """:func:`forward_rows` of one agent at ``θ₀ + δ`` for inputs (n, d) → (n, K), from the
    matrices of :func:`_weights`; with ``keep`` also the layer inputs and those matrices (for
    :func:`_split_backward`)."""
    Ws, bs = _weights(p, x.shape[0])
    h = x
    hs = []
    last = len(Ws) - 1
    for li in range(last + 1):
        hs.append(h)
        z = torch.mm(h, Ws[li][0].t())
        for w in Ws[li][1:]:
            z.addmm_(h, w.t())
        for b in bs[li]:
            z += b
        if li < last:
            z = z.relu_() if act == "relu" else z.tanh_()
        h = z
    return (h, hs, Ws) if keep else h


def _split_backward(Ws: tuple[tuple[torch.Tensor, ...], ...], hs: list[torch.Tensor],
                    out_grad: torch.Tensor, act: str) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Per layer the factors ``(D, H)`` of ``Σ_rows (∂f/∂θ)ᵀ out_grad``: the weight gradient is
    ``DᵀH`` (rank one for one row) and the bias gradient ``Σ D`` (the backprop of
    :func:`backward_rows`, summed over rows instead of stored per row)."""
    fac: list[tuple[torch.Tensor, torch.Tensor]] = [None] * len(Ws)  # type: ignore[list-item]
    d = out_grad
    for li in range(len(Ws) - 1, -1, -1):
        h = hs[li]
        fac[li] = (d, h)
        if li > 0:
            dn = torch.mm(d, Ws[li][0])
            for w in Ws[li][1:]:
                dn.addmm_(d, w)
            d = dn * (h > 0) if act == "relu" else dn * (1 - h * h)
    return fac


def _groups(agents: list[int]) -> list[tuple[int, list[int] | None]]:
    """The handoffs of each agent: ``(agent, positions)``, positions None for all of them."""
    if len(set(agents)) == 1:
        return [(agents[0], None)]
    out: dict[int, list[int]] = {}
    for i, a in enumerate(agents):
        out.setdefault(a, []).append(i)
    return list(out.items())


def _rows(x: torch.Tensor, idx: torch.Tensor | None) -> torch.Tensor:
    return x if idx is None else x.index_select(0, idx)


@njit(cache=True)
def _rank_one_layer(w0, wd, wu, bd, bu, dv, h, a, b, dn, want_dn):
    """One layer of a B = 1 SGD step in one pass over its matrices: ``dn = dᵀ(W₀ + W_δ)``
    (the backprop, before the update) when ``want_dn``, then ``W_δ += a·d hᵀ``,
    ``W_u += b·d hᵀ`` (and the biases by ``a·d``, ``b·d``); returns ``‖W_δ‖² + ‖b_δ‖²`` after
    the update (the projection's norm, read in the same pass)."""
    n_out, n_in = wd.shape
    acc = np.zeros(n_in, dtype=wd.dtype)
    for i in range(n_out):
        di = dv[i]
        ai = a * di
        bi = b * di
        if want_dn:
            for j in range(n_in):
                w = wd[i, j]
                dn[j] += di * (w0[i, j] + w)
                w += ai * h[j]
                wd[i, j] = w
                acc[j] += w * w
                wu[i, j] += bi * h[j]
        else:
            for j in range(n_in):
                w = wd[i, j] + ai * h[j]
                wd[i, j] = w
                acc[j] += w * w
                wu[i, j] += bi * h[j]
    sq = acc.sum()
    for i in range(bd.shape[0]):
        bd[i] += a * dv[i]
        bu[i] += b * dv[i]
        sq += bd[i] * bd[i]
    return sq


def numpy_views(p: _Views) -> tuple[tuple[np.ndarray, ...], ...]:
    """Per layer ``(W₀, W_δ, W_u, b_δ, b_u)`` of :class:`_Views` as numpy arrays sharing the
    tensors' memory (CPU only; an absent bias is an empty array)."""
    out = []
    for li, wd in enumerate(p.wd):
        empty = np.empty(0, dtype=wd.numpy().dtype)
        out.append((p.w0[li].numpy(), wd.numpy(), p.wu[li].numpy(),
                    empty if p.bd[li] is None else p.bd[li].numpy(),
                    empty if p.bu[li] is None else p.bu[li].numpy()))
    return tuple(out)


def _fused_sgd(npv: tuple[tuple[np.ndarray, ...], ...], hs: list[torch.Tensor],
               out_grad: torch.Tensor, act: str, alpha: float, t: float) -> float:
    """The B = 1 SGD backprop and update of one agent, layer by layer with
    :func:`_rank_one_layer` (the same update as :func:`_split_backward` followed by the rank-one
    ``addmm_`` of :func:`fast_step`, to rounding); returns ``‖δ_agent‖²`` after it."""
    d = out_grad.reshape(-1).numpy()
    sq = 0.0
    for li in range(len(npv) - 1, -1, -1):
        w0, wd, wu, bd, bu = npv[li]
        h = hs[li].reshape(-1)
        dn = np.zeros(wd.shape[1], dtype=wd.dtype)
        sq += _rank_one_layer(w0, wd, wu, bd, bu, d, h.numpy(), -alpha, -alpha * t, dn, li > 0)
        if li > 0:
            hn = h.numpy()
            d = dn * (hn > 0) if act == "relu" else dn * (1 - hn * hn)
    return sq


def fast_step(st: StepStatic, views: list[_Views], delta: torch.Tensor, u: torch.Tensor,
               k: list[float], d: StepData, ags: list[int], nags: list[int], alpha: float,
               t: float, npv: list | None = None, cache: list | None = None) -> None:
    """One IC-Q update of one seed from B handoffs, in place (the same update as
    :func:`torch_step`, to rounding).

    ``views`` per agent (:func:`layer_views`) of the seed's rows of ``delta`` (N, P) and ``u``;
    ``k`` the per-agent Adam step counts (updated); ``d`` the seed's data (:class:`StepData`
    fields without the seed axis); ``ags``/``nags`` the predecessor and successor agent of each
    handoff; ``alpha`` the step in parameter units and ``t`` the update's index. SGD adds
    ``−α DᵀH`` to each layer of the predecessor's parameters (and ``−αt DᵀH`` to u) with
    ``addmm_``; Adam forms one summed gradient row per updated agent.

    With ``npv`` (per agent :func:`numpy_views`, CPU) a B = 1 SGD step without the joint
    projection runs :func:`_fused_sgd` (one pass over each matrix for the backprop, the update
    of δ and u and the projection's norm). ``cache`` (a one-element list) carries the
    successor's forward pass to the next step, whose predecessor it usually is: when that
    agent's parameters did not change and its input is the same, the forward pass is reused
    (the same numbers, not recomputed).
    """
    B = len(ags)
    dev = delta.device
    # the successors: one float per handoff, from parameters before the update
    v_next = None
    reuse = cache is not None and B == 1
    prev = cache[0] if reuse else None
    for a, pos in _groups(nags):
        idx = None if pos is None else torch.as_tensor(pos, device=dev)
        if reuse:
            fwd = _split_forward(views[a], d.xn, st.act, keep=True)
            out_n = fwd[0]
        else:
            out_n = _split_forward(views[a], _rows(d.xn, idx), st.act)
        q_next = out_n - _rows(d.f0n, idx)
        val = successor_value(q_next, _rows(d.maskn, idx))
        if idx is None:
            v_next = val
        else:
            if v_next is None:
                v_next = torch.empty(B, dtype=val.dtype, device=dev)
            v_next.index_copy_(0, idx, val)
    target = smdp_target(d.reward, d.discount, v_next, d.cont)
    b1, b2 = st.betas
    for a, pos in _groups(ags):
        idx = None if pos is None else torch.as_tensor(pos, device=dev)
        p = views[a]
        slot = _rows(d.slot_1h, idx)
        if prev is not None and prev[0] == a and torch.equal(prev[1], d.x):
            out, hs, Ws = prev[2]  # this agent's forward pass of the previous step, unchanged
        else:
            out, hs, Ws = _split_forward(p, _rows(d.x, idx), st.act, keep=True)
        q = (out * slot).sum(-1) - _rows(d.f0_sel, idx)
        err = (q - _rows(target, idx)) / B
        fused = (npv is not None and B == 1 and st.optimizer == "sgd"
                 and (st.radius is None or st.projection == "agent"))
        if fused:
            sq = _fused_sgd(npv[a], hs, slot * err.unsqueeze(-1), st.act, alpha, t)
            if st.radius is not None:
                _shrink(p.delta, p.u, st.radius / math.sqrt(st.n_agents), t, math.sqrt(sq))
            continue
        fac = _split_backward(Ws, hs, slot * err.unsqueeze(-1), st.act)
        if st.optimizer == "sgd":
            for li, (D, H) in enumerate(fac):
                if D.shape[0] == 1:  # rank one: two in-place products, nothing allocated
                    p.wd[li].addmm_(D.t(), H, alpha=-alpha)
                    p.wu[li].addmm_(D.t(), H, alpha=-alpha * t)
                else:  # the summed gradient once, added to δ and u
                    G = torch.mm(D.t(), H)
                    p.wd[li].add_(G, alpha=-alpha)
                    p.wu[li].add_(G, alpha=-alpha * t)
                if p.bd[li] is not None:
                    gb = D.sum(0)
                    p.bd[li].add_(gb, alpha=-alpha)
                    p.bu[li].add_(gb, alpha=-alpha * t)
        else:
            g = torch.zeros_like(p.delta)
            for li, (D, H) in enumerate(fac):
                L = st.layers[li]
                torch.mm(D.t(), H, out=g[L.w:L.w + L.out * L.inp].view(L.out, L.inp))
                if L.b >= 0:
                    torch.sum(D, 0, out=g[L.b:L.b + L.out])
            k[a] += 1.0
            p.m.mul_(b1).add_(g, alpha=1 - b1)
            p.v.mul_(b2).addcmul_(g, g, value=1 - b2)
            upd = (p.m / (1 - b1 ** k[a])) / (torch.sqrt(p.v / (1 - b2 ** k[a])) + st.eps)
            p.delta.add_(upd, alpha=-alpha)
            p.u.add_(upd, alpha=-alpha * t)
        if st.radius is not None and st.projection == "agent":  # an agent projects when it updates
            _shrink(p.delta, p.u, st.radius / math.sqrt(st.n_agents), t)
    if st.radius is not None and st.projection == "joint":
        _shrink(delta, u, st.radius, t)
    if reuse:  # the successor's parameters are unchanged when it did not update or project
        changed = nags[0] == ags[0] or (st.radius is not None and st.projection == "joint")
        cache[0] = None if changed else (nags[0], d.xn, fwd)


def _shrink(delta: torch.Tensor, u: torch.Tensor, r: float, t: float,
            nrm: float | None = None) -> None:
    """Project ``delta`` onto the ball of radius ``r`` in place, and add ``t`` times the change
    to ``u`` (Π of A3; nothing changes inside the ball); ``nrm`` is ``‖delta‖`` when known."""
    if nrm is None:
        nrm = float(torch.linalg.vector_norm(delta))
    if nrm > r:
        c = r / nrm
        u.add_(delta, alpha=t * (c - 1.0))
        delta.mul_(c)


def base_steps(config: NeuralConfig, t0: int, n: int) -> np.ndarray:
    """α_t for t = t0..t0+n−1 before the unit conversion (docs/theory.md §6 for ``"theory"``)."""
    t = np.arange(t0, t0 + n, dtype=float)
    if config.schedule == "constant":
        return np.full(n, config.lr)
    if config.schedule == "harmonic":
        return config.lr / (1.0 + t / config.lr_decay)
    return theory_step(config.kappa, config.omega, t)


def step_static(nets: AgentNetworks, config: NeuralConfig, *, inplace: bool = False,
                rowwise: bool = True) -> StepStatic:
    """The :class:`StepStatic` of ``nets`` trained with ``config``; ``rowwise=False`` turns
    off the one-row update (``projection_rows``) that a run without a projection, or with the
    per-agent one, takes otherwise."""
    rows = rowwise and (config.radius is None or config.projection == "agent")
    return StepStatic(layers=nets.layers, act=nets.activation, n_agents=nets.n_agents,
                      optimizer=config.optimizer, betas=tuple(config.adam_betas),
                      eps=config.adam_eps, radius=config.radius, projection=config.projection,
                      projection_rows=rows, inplace=inplace)
