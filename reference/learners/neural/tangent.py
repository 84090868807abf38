"""Tangent features of neural IC-Q's networks (docs/theory.md §5) and the linearisation
error on the trust region (A4).

Theorem 1 is a statement about the *linearised* learner ``Q = φᵀθ`` with the tangent features
``φ(ô,j) = ∇_θ f(ô,j; θ₀)`` (:func:`tangent_features`); the network differs from it by the
linearisation error on the trust region, which :func:`linearisation_error` measures.
:func:`reduce_to_support_span` expresses Φ in the span of the support rows, the only directions
the learner moves in (what :mod:`icq.bounds.neural_features` hands to the audit).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch.func import jacrev, vmap

from icq.reference.learners.neural.networks import (
    AgentNetworks,
    Encoding,
    build_networks,
    forward_rows,
)
from icq.reference.learners.neural.options import PROJECTIONS
from icq.reference.model import EpochModel

__all__ = ["SPAN_METHOD", "LinearisationError", "TangentFeatures", "linearisation_error",
           "reduce_to_support_span", "support_span", "tangent_features"]


def _agent_fn(nets: AgentNetworks, a: int) -> tuple[Callable, torch.Tensor, np.ndarray]:
    """``θ_a ↦ f_a(X_a; θ_a)`` (n_a, K) for agent ``a``'s observations, and their indices."""
    obs = torch.nonzero(nets.obs_agent == a).squeeze(1)
    Xa = nets.X[obs]

    def f(theta_row: torch.Tensor) -> torch.Tensor:
        return forward_rows(theta_row.unsqueeze(0).expand(Xa.shape[0], -1), Xa, nets.layers,
                        nets.activation)

    return f, obs, obs.cpu().numpy()


def tangent_raw(nets: AgentNetworks) -> tuple[list[np.ndarray], float, list[np.ndarray]]:
    """Per-agent raw Jacobian blocks (rows: that agent's observation pairs; columns: its real
    parameters), the largest row norm, and the pair indices of each block."""
    blocks, rows = [], []
    pair_obs = nets.pair_obs.cpu().numpy()
    pair_slot = nets.pair_slot.cpu().numpy()
    pair_agent = nets.pair_agent.cpu().numpy()
    for a in range(nets.n_agents):
        f, _, obs_np = _agent_fn(nets, a)
        J = jacrev(f)(nets.theta0[a])  # (n_a, K, P)
        J = J[:, :, nets.real[a]].double().cpu().numpy()
        local = {int(o): i for i, o in enumerate(obs_np)}
        pairs = np.flatnonzero(pair_agent == a)
        blocks.append(J[[local[int(o)] for o in pair_obs[pairs]], pair_slot[pairs]]
                      if len(pairs) else np.zeros((0, J.shape[2])))
        rows.append(pairs)
    norms = [np.linalg.norm(b, axis=1).max(initial=0.0) for b in blocks]
    scale = float(max(norms, default=0.0))
    return blocks, (scale if scale > 0 else 1.0), rows


@dataclass(frozen=True, eq=False)
class TangentFeatures:
    """Tangent features ``φ(ô,j) = ∇_θ f(ô,j; θ₀) / s`` of each agent's network (docs/theory.md §5).

    Attributes
    ----------
    Phi : (n_obs_pairs, d_total) block-diagonal: agent ``i``'s pairs are nonzero only in columns
        ``blocks[i]`` (its own parameters; no sharing), every row has ``‖φ‖₂ ≤ 1``
    scale : s, the largest raw row norm: ``Φ = Φ_raw / s``. The linear model ``Q = Φθ`` is the
        network's tangent model with ``θ = s·(θ_net − θ₀)``: a radius ``R`` in parameter units is
        ``s·R`` in these units and a step α in these units is ``α/s²`` in parameter units
    blocks : per agent, the ``(start, stop)`` column range of its parameters
    pair_agent : (n_obs_pairs,) the agent of each row
    method : how Φ was computed
    """

    Phi: np.ndarray
    scale: float
    blocks: tuple[tuple[int, int], ...]
    pair_agent: np.ndarray
    width: int
    depth: int
    seed: int
    activation: str
    method: str

    @property
    def d_total(self) -> int:
        return self.Phi.shape[1]

    def to_parameters(self, theta: np.ndarray) -> np.ndarray:
        """``θ`` in feature units → ``θ_net − θ₀`` per agent's real parameters (flat, blocks)."""
        return np.asarray(theta) / self.scale


def tangent_features(model: EpochModel, width: int = 64, depth: int = 2, seed: int = 0, *,
                     activation: str = "relu", bias: bool = True,
                     encoding: Encoding | None = None,
                     networks: AgentNetworks | None = None) -> TangentFeatures:
    """``Φ`` with rows ``∇_θ f(ô, j; θ₀)`` for each agent's network at initialisation.

    Exact Jacobians by ``torch.func.jacrev`` of the same forward pass the learner uses, in float64,
    one agent at a time; normalised by the largest row norm (docs/theory.md §5: ``‖φ‖₂ ≤ 1``).
    ``networks`` (from :func:`build_networks`) overrides the other arguments.

    >>> from icq.reference.model import load, example_path
    >>> tf = tangent_features(load(example_path("ring-exact")), width=4, depth=1)
    >>> tf.Phi.shape, tf.blocks
    ((4, 35), ((0, 22), (22, 35)))
    """
    nets = networks if networks is not None else build_networks(
        model, width, depth, seed, activation=activation, bias=bias, encoding=encoding)
    raw, scale, rows = tangent_raw(nets)
    d = list(nets.n_params)
    starts = np.concatenate([[0], np.cumsum(d)]).astype(int)
    Phi = np.zeros((model.n_obs_pairs, int(starts[-1])))
    for a, (B, r) in enumerate(zip(raw, rows, strict=True)):
        Phi[r, starts[a]:starts[a + 1]] = B / scale
    return TangentFeatures(
        Phi=Phi, scale=scale, blocks=tuple((int(starts[a]), int(starts[a + 1]))
                                           for a in range(nets.n_agents)),
        pair_agent=nets.pair_agent.cpu().numpy(), width=nets.width, depth=nets.depth,
        seed=nets.seed, activation=nets.activation,
        method=(f"exact Jacobian ∇_θ f(ô,j;θ₀) by torch.func.jacrev ({nets.theta0.dtype}) of "
                f"per-agent MLPs {nets.depth}×{nets.width} {nets.activation}, encoding "
                f"{nets.encoding_name}, divided by the largest row norm s = {scale:.6g}"))


@dataclass(frozen=True, eq=False)
class LinearisationError:
    """The measured A4 linearisation error ``max |f(θ) − f(θ₀) − φ_rawᵀ(θ − θ₀)|``.

    Attributes
    ----------
    max_abs : the largest error found (over the samples and all observation pairs)
    radius : R_θ in parameter units; per_agent_radius : the radius each agent's block was sampled at
    samples : number of sampled θ per agent; method : how it was measured (a lower estimate of the
        supremum over the trust region, not a certified bound)
    """

    max_abs: float
    radius: float
    per_agent_radius: float
    samples: int
    method: str
    per_agent: tuple[float, ...]


def linearisation_error(nets: AgentNetworks, radius: float, *, samples: int = 256,
                        projection: str = "agent", seed: int = 0) -> LinearisationError:
    """Measure the linearisation error of every agent's network on the trust region (A4).

    ``f_i`` depends only on ``θ_i``, so the supremum over the joint ball ``‖θ − θ₀‖ ≤ R`` is the
    largest supremum over one agent's ball of radius ``R`` (``projection="joint"``); with
    ``projection="agent"`` the set is the product of balls of radius ``R/√N``. For each agent,
    ``samples`` directions are drawn uniformly on the sphere of its real parameters (numpy seed
    ``seed``) and the error is evaluated at the boundary; ``φᵀ(θ−θ₀)`` from the exact Jacobian.
    """
    if not (math.isfinite(radius) and radius > 0):
        raise ValueError(f"radius: {radius} must be a finite number > 0")
    if projection not in PROJECTIONS:
        raise ValueError(f"projection: {projection!r} is not one of {PROJECTIONS}")
    r = radius / math.sqrt(nets.n_agents) if projection == "agent" else radius
    region = ("product of per-agent balls R/√N" if projection == "agent"
              else "joint ball: its worst block")
    rng = np.random.default_rng(seed)
    per_agent = []
    for a in range(nets.n_agents):
        f, obs, _ = _agent_fn(nets, a)
        mask = nets.obs_mask[obs]
        real = nets.real[a].cpu().numpy()
        U = np.zeros((samples, nets.n_params_padded))
        g = rng.standard_normal((samples, int(real.sum())))
        U[:, real] = r * g / np.linalg.norm(g, axis=1, keepdims=True)
        U_t = torch.as_tensor(U, dtype=nets.dtype, device=nets.device)
        th0 = nets.theta0[a]
        J = jacrev(f)(th0)  # (n_a, K, P)
        with torch.no_grad():
            f0 = f(th0)
            lin = torch.einsum("okp,sp->sok", J, U_t)
            fu = vmap(lambda u, th0=th0, f=f: f(th0 + u))(U_t)
            err = torch.where(mask, (fu - f0 - lin).abs(), 0.0)
        per_agent.append(float(err.max()) if err.numel() else 0.0)
    return LinearisationError(
        max_abs=max(per_agent), radius=float(radius), per_agent_radius=r, samples=samples,
        per_agent=tuple(per_agent),
        method=(f"max over {samples} directions per agent, uniform on the sphere of radius "
                f"{r:.6g} in that agent's parameters ({region}), numpy seed {seed}; φᵀ(θ−θ₀) by "
                "the jacrev Jacobian; a sampled lower estimate of the supremum, not a certified "
                "bound"))


SPAN_METHOD = ("Φ V with V an orthonormal basis of the span of the support rows of Φ, per agent "
               "block (eigendecomposition of the Gram matrix); SGD iterates θ − θ₀ stay in that "
               "span, so the learner is the same and ω is λ_min of Σ on it")


def reduce_to_support_span(tf: TangentFeatures, mask: np.ndarray | None = None,
                           rtol: float = 1e-10) -> np.ndarray:
    """``Φ V``: the tangent features in an orthonormal basis ``V`` of the span of the support rows.

    Linearised IC-Q only ever moves ``θ − θ₀`` along the rows ``φ(ô,j)`` of pairs it updates (the
    support of μ ⊗ π_b, ``mask``; all rows when None), and the projection onto a ball around
    θ₀ (joint or per agent) only rescales, so the iterates stay in ``span{φ(ô,j) : (ô,j) ∈ S}``.
    In coordinates ``θ = Vθ'`` the learner is the same with features ``Vᵀφ`` (``‖Vᵀφ‖ ≤ ‖φ‖ ≤ 1``,
    same norms, same steps), and Σ is nonsingular on that span: A5 reads its smallest nonzero
    eigenvalue, which is the paper's reading of A5. V is block-diagonal (one block per agent),
    so per-agent balls stay per-agent balls. Eigenvalues of the Gram matrix below
    ``rtol·max`` count as zero.

    >>> from icq.reference.model import load, example_path
    >>> tf = tangent_features(load(example_path("ring-exact")), width=8, depth=1)
    >>> R = reduce_to_support_span(tf)
    >>> R.shape, bool(np.allclose(R @ R.T, tf.Phi @ tf.Phi.T))
    ((4, 4), True)
    """
    return support_span(tf, mask, rtol)[0]


def support_span(tf: TangentFeatures, mask: np.ndarray | None, rtol: float
                 ) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """:func:`reduce_to_support_span`'s ``Φ V`` and the ``(start, stop)`` column range of each
    agent's block in it."""
    n = tf.Phi.shape[0]
    mask = np.ones(n, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    cols, blocks, start = [], [], 0
    for a, (lo, hi) in enumerate(tf.blocks):
        rows = tf.pair_agent == a
        S = tf.Phi[rows & mask, lo:hi]
        r_a = 0
        if S.shape[0]:
            lam, U = np.linalg.eigh(S @ S.T)
            keep = lam > rtol * max(float(lam.max(initial=0.0)), 1e-300)
            if keep.any():
                V = S.T @ (U[:, keep] / np.sqrt(lam[keep]))  # (d_a, r_a), orthonormal columns
                block = np.zeros((n, V.shape[1]))
                block[rows] = tf.Phi[rows, lo:hi] @ V
                cols.append(block)
                r_a = V.shape[1]
        blocks.append((start, start + r_a))
        start += r_a
    return (np.hstack(cols) if cols else np.zeros((n, 1))), blocks
