"""The networks of neural IC-Q: one MLP per agent, stored as one flat parameter row per agent.

The observation encodings (:func:`one_hot_encoding`, the :data:`Encoding` hook), the layer
layout of a flat row, the forward pass and the hand-written backward pass over stacked rows,
:class:`AgentNetworks` (every agent's network at initialisation and the tables that connect it
to the model), :func:`build_networks` and :func:`q_values`.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import torch

from icq.reference.learners.neural.options import (
    ACTIVATIONS,
    DTYPE_NAMES,
    NeuralConfig,
    resolve_device,
)
from icq.reference.model import EpochModel

__all__ = ["AgentNetworks", "Encoding", "build_networks", "one_hot_encoding", "q_values"]

DTYPES = {"float64": torch.float64, "float32": torch.float32}
assert tuple(DTYPES) == DTYPE_NAMES
#: standard deviation of the hidden layers' initial biases
HIDDEN_BIAS_STD = 0.1

#: An encoding hook: ``encoding(model, agent)`` returns an array of shape ``(n_i, d_i)`` whose row
#: ``k`` encodes the agent's ``k``-th observation (model order, ``obs_agent == agent``).
Encoding = Callable[[EpochModel, int], np.ndarray]


def one_hot_encoding(model: EpochModel, agent: int) -> np.ndarray:
    """The default encoding: one-hot of the agent's own observation labels.

    >>> from icq.reference.model import load, example_path
    >>> one_hot_encoding(load(example_path("ring-exact")), 0)
    array([[1., 0.],
           [0., 1.]])
    """
    return np.eye(int((np.asarray(model.obs_agent) == agent).sum()))


@dataclass(frozen=True)
class Layer:
    """Where one layer's weights and bias sit in an agent's flat parameter row."""

    w: int  # offset of W (out × in, row-major) in the flat row
    b: int  # offset of b (out,), or -1 without bias
    out: int
    inp: int


def _layout(d_in: int, width: int, depth: int, n_slots: int, bias: bool
            ) -> tuple[tuple[Layer, ...], int]:
    layers = []
    off = 0
    dims = [d_in] + [width] * depth + [n_slots]
    for inp, out in zip(dims[:-1], dims[1:], strict=True):
        w = off
        off += out * inp
        b = -1
        if bias:
            b = off
            off += out
        layers.append(Layer(w=w, b=b, out=out, inp=inp))
    return tuple(layers), off


def forward_rows(rows: torch.Tensor, x: torch.Tensor, layers: tuple[Layer, ...], act: str,
                 keep: bool = False):
    """MLP outputs for parameter rows (B, P) and inputs (B, d) → (B, K).

    With ``keep`` also the layer inputs and hidden post-activations (for :func:`backward_rows`).
    """
    h = x
    hs = []
    last = len(layers) - 1
    for li, L in enumerate(layers):
        W = rows[:, L.w:L.w + L.out * L.inp].reshape(-1, L.out, L.inp)
        hs.append(h)
        h = torch.bmm(W, h.unsqueeze(2)).squeeze(2)
        if L.b >= 0:
            h = h + rows[:, L.b:L.b + L.out]
        if li < last:
            h = torch.relu(h) if act == "relu" else torch.tanh(h)
    return (h, hs) if keep else h


def backward_rows(rows: torch.Tensor, hs: list[torch.Tensor], out_grad: torch.Tensor,
                  layers: tuple[Layer, ...], act: str) -> torch.Tensor:
    """``(∂f/∂θ)ᵀ out_grad`` per row: (B, P), for ``out_grad`` (B, K) (manual backprop)."""
    pieces: list[torch.Tensor] = []
    d = out_grad
    for li in range(len(layers) - 1, -1, -1):
        L = layers[li]
        h = hs[li]
        if L.b >= 0:
            pieces.append(d)
        pieces.append((d.unsqueeze(2) * h.unsqueeze(1)).reshape(d.shape[0], -1))
        if li > 0:
            W = rows[:, L.w:L.w + L.out * L.inp].reshape(-1, L.out, L.inp)
            d = torch.bmm(W.transpose(1, 2), d.unsqueeze(2)).squeeze(2)
            d = d * (h > 0) if act == "relu" else d * (1 - h * h)
    return torch.cat(pieces[::-1], dim=1)


@dataclass(frozen=True, eq=False)
class AgentNetworks:
    """Every agent's network at initialisation and the tables that connect it to the model.

    Attributes
    ----------
    theta0 : (N, P) tensor, agent ``i``'s flat parameters at initialisation in row ``i`` (rows are
        padded to a common length P; padding entries are 0 and never move)
    real : (N, P) bool, the entries that are agent ``i``'s parameters (``n_params[i]`` of them)
    X : (n_obs, d) tensor, the encoding of every observation (zero-padded to a common d)
    obs_agent : (n_obs,) long tensor; obs_mask : (n_obs, K) bool, admissible slots
    pair_slot : (n_obs_pairs,) long, the output slot of each observation pair
    f0 : (n_obs, K) tensor, the network outputs at θ₀ (the centring offset; 0 if not centred)
    slots : per agent, the successor index of each output slot
    """

    layers: tuple[Layer, ...]
    n_params_padded: int
    theta0: torch.Tensor
    real: torch.Tensor
    X: torch.Tensor
    obs_agent: torch.Tensor
    obs_mask: torch.Tensor
    pair_slot: torch.Tensor
    pair_obs: torch.Tensor
    f0: torch.Tensor
    slots: tuple[tuple[int, ...], ...]
    n_params: tuple[int, ...]
    width: int
    depth: int
    activation: str
    bias: bool
    center: bool
    seed: int
    encoding_name: str
    encoding_digest: str

    @property
    def n_agents(self) -> int:
        return self.theta0.shape[0]

    @property
    def dtype(self) -> torch.dtype:
        return self.theta0.dtype

    @property
    def device(self) -> torch.device:
        return self.theta0.device

    @cached_property
    def pair_agent(self) -> torch.Tensor:
        return self.obs_agent[self.pair_obs]

    def outputs(self, delta: torch.Tensor, obs: torch.Tensor | None = None) -> torch.Tensor:
        """Centred outputs ``f(θ₀+δ) − f0`` for observations ``obs`` (all if None): (n, K)."""
        obs = torch.arange(self.X.shape[0], device=self.device) if obs is None else obs
        ag = self.obs_agent[obs]
        rows = self.theta0[ag] + delta[ag]
        return forward_rows(rows, self.X[obs], self.layers, self.activation) - self.f0[obs]


def _encode(model: EpochModel, encoding: Encoding | None) -> tuple[list[np.ndarray], str, str]:
    fn = one_hot_encoding if encoding is None else encoding
    name = "one-hot" if encoding is None else getattr(encoding, "__name__", "user")
    mats = []
    h = hashlib.sha256()
    for a in range(model.n_agents):
        n_a = int((np.asarray(model.obs_agent) == a).sum())
        E = np.asarray(fn(model, a), dtype=float)
        if E.ndim != 2 or E.shape[0] != n_a or E.shape[1] < 1:
            raise ValueError(f"encoding {name!r}: agent {model.agents[a]!r} has {n_a} "
                             f"observations, so the encoding must have shape ({n_a}, d) with "
                             f"d >= 1; got {E.shape}")
        if not np.isfinite(E).all():
            raise ValueError(f"encoding {name!r}: agent {model.agents[a]!r}: non-finite entries")
        mats.append(E)
        h.update(np.ascontiguousarray(E).tobytes())
        h.update(str(E.shape).encode())
    return mats, name, h.hexdigest()[:16]


def build_networks(model: EpochModel, width: int = 64, depth: int = 2, seed: int = 0, *,
                   activation: str = "relu", bias: bool = True, center: bool = True,
                   encoding: Encoding | None = None, dtype: torch.dtype = torch.float64,
                   device: str | torch.device = "cpu") -> AgentNetworks:
    """Initialise one MLP per agent (docs/theory.md §5: per-agent parameter blocks, no sharing).

    Agent ``i``'s weights are drawn from its own generator (numpy ``SeedSequence([seed, i])``,
    float64, so the draw does not depend on device or dtype): hidden layers ``N(0, g²/fan_in)``
    with ``g² = 2`` for ReLU and 1 for tanh, the output layer ``N(0, 1/fan_in)``; hidden biases
    ``N(0, 0.1²)`` (so that no ReLU sits exactly at its kink at θ₀, where f would not be
    differentiable and the tangent features would not be its linearisation), output biases 0.

    >>> from icq.reference.model import load, example_path
    >>> nets = build_networks(load(example_path("ring-exact")), width=4, depth=1)
    >>> nets.n_params, nets.slots
    ((22, 13), ((1, 2), (0,)))
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation: {activation!r} is not one of {ACTIVATIONS}")
    if width < 1 or depth < 0:
        raise ValueError(f"width {width} must be >= 1 and depth {depth} >= 0")
    N = model.n_agents
    obs_agent = np.asarray(model.obs_agent)
    encs, enc_name, digest = _encode(model, encoding)
    slots = []
    for a in range(N):
        sel = np.isin(np.asarray(model.obs_pair_obs), np.flatnonzero(obs_agent == a))
        slots.append(tuple(int(j) for j in np.unique(np.asarray(model.obs_succ)[sel])))
    d_in = max(E.shape[1] for E in encs)
    K = max(1, max(len(s) for s in slots))
    layers, P = _layout(d_in, width, depth, K, bias)

    theta0 = np.zeros((N, P))
    real = np.zeros((N, P), dtype=bool)
    gain2 = 2.0 if activation == "relu" else 1.0
    for a in range(N):
        rng = np.random.default_rng(np.random.SeedSequence([int(seed), a]))
        d_a, k_a = encs[a].shape[1], len(slots[a])
        for li, L in enumerate(layers):
            rows_n = k_a if li == len(layers) - 1 else L.out
            cols_n = d_a if li == 0 else L.inp
            var = (1.0 if li == len(layers) - 1 else gain2) / cols_n
            Wm = np.zeros((L.out, L.inp))
            Wm[:rows_n, :cols_n] = rng.normal(0.0, math.sqrt(var), size=(rows_n, cols_n))
            theta0[a, L.w:L.w + L.out * L.inp] = Wm.ravel()
            mask = np.zeros((L.out, L.inp), dtype=bool)
            mask[:rows_n, :cols_n] = True
            real[a, L.w:L.w + L.out * L.inp] = mask.ravel()
            if L.b >= 0:
                real[a, L.b:L.b + rows_n] = True
                if li < len(layers) - 1:
                    theta0[a, L.b:L.b + rows_n] = rng.normal(0.0, HIDDEN_BIAS_STD, size=rows_n)
    n_obs = model.n_obs
    X = np.zeros((n_obs, d_in))
    local = np.zeros(n_obs, dtype=np.int64)
    for a in range(N):
        idx = np.flatnonzero(obs_agent == a)
        local[idx] = np.arange(len(idx))
        X[idx, :encs[a].shape[1]] = encs[a]
    slot_of = [{j: s for s, j in enumerate(slots[a])} for a in range(N)]
    pair_obs = np.asarray(model.obs_pair_obs)
    pair_slot = np.array([slot_of[obs_agent[o]][int(j)]
                          for o, j in zip(pair_obs, model.obs_succ, strict=True)], dtype=np.int64)
    obs_mask = np.zeros((n_obs, K), dtype=bool)
    obs_mask[pair_obs, pair_slot] = True

    dev = torch.device(device)
    t = lambda a: torch.as_tensor(a, dtype=dtype, device=dev)  # noqa: E731
    li = lambda a: torch.as_tensor(np.array(a), dtype=torch.long, device=dev)  # noqa: E731
    theta0_t, X_t, obs_agent_t = t(theta0), t(X), li(obs_agent)
    if center:
        f0 = forward_rows(theta0_t[obs_agent_t], X_t, layers, activation)
    else:
        f0 = torch.zeros((n_obs, K), dtype=dtype, device=dev)
    return AgentNetworks(
        layers=layers, n_params_padded=P, theta0=theta0_t,
        real=torch.as_tensor(real, device=dev), X=X_t, obs_agent=obs_agent_t,
        obs_mask=torch.as_tensor(obs_mask, device=dev), pair_slot=li(pair_slot),
        pair_obs=li(pair_obs), f0=f0, slots=tuple(slots),
        n_params=tuple(int(r.sum()) for r in real), width=int(width), depth=int(depth),
        activation=activation, bias=bool(bias), center=bool(center), seed=int(seed),
        encoding_name=enc_name, encoding_digest=digest)


def networks_for(model: EpochModel, config: NeuralConfig, encoding: Encoding | None,
                 seed: int | None = None) -> AgentNetworks:
    """:func:`build_networks` with the options of ``config`` (``seed`` overrides its seed)."""
    return build_networks(model, config.width, config.depth,
                          config.seed if seed is None else seed, activation=config.activation,
                          bias=config.bias, center=config.center, encoding=encoding,
                          dtype=config.torch_dtype, device=resolve_device(config.device))


def q_values(nets: AgentNetworks, delta: torch.Tensor) -> np.ndarray:
    """(n_obs_pairs,) ``Q_θ(ô, j)`` at ``θ = θ₀ + δ`` for every observation pair."""
    with torch.no_grad():
        out = nets.outputs(delta)
        return out[nets.pair_obs, nets.pair_slot].double().cpu().numpy()
