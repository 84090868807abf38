"""Neural IC-Q (paper §3–§4; docs/theory.md §2, §5, §6), in PyTorch.

The model
---------
Agent ``i`` owns a network ``f_i(x; θ_i) ∈ R^{K_i}`` over the encoding ``x_i(o) ∈ R^{d_i}`` of its
*own* observations (default: one-hot of its observation labels), with one output per *slot*: the
successors ``j`` that occur in some admissible set ``J(ô)`` of the agent, inadmissible ones masked
out. The network is an MLP with ``depth`` hidden layers of ``width`` units (``depth = 0``: linear in
the encoding); parameters are never shared between agents. With ``θ₀`` the initialisation and
``δ = θ − θ₀``,

    Q_θ(ô, j) = f_i(x(ô); θ_i)[j] − f_i(x(ô); θ_{i,0})[j]          (ô an observation of agent i)

(centred, so ``Q_θ₀ = 0`` as in the tabular learner and the tangent model is exactly
``Q ≈ φᵀδ``; ``center=False`` drops the offset). The update at a handoff ``(ô, j, τ, R, ô')``
(paper eq. (4)–(5)) is done by the predecessor ``i`` alone:

    v = V_j(ô') = max_{j'∈J(ô')} Q_{θ_j}(ô', j')   (by the successor; sent back as one float)
    target = R + γ^τ v    (target = R when the episode ends)
    δ_i ← Π( δ_i − α_t (Q_θ(ô, j) − target) ∇_{θ_i} f_i(x(ô); θ_i)[j] )

a semi-gradient step on ``½(Q − target)²`` (rlax's ``q_learning`` with ``discount = γ^τ``). With a
minibatch of ``B`` consecutive handoffs the step is the mean over them. ``Π`` projects onto the
trust region of A3: with ``projection="agent"`` (default) each agent projects its own block onto a
ball of radius ``R_θ/√N`` around its initialisation, so that the joint iterate stays in
``‖θ − θ₀‖₂ ≤ R_θ`` without any agent learning another's norm; ``projection="joint"`` projects the
concatenated ``θ`` (a centralised step, docs/theory.md §6 read literally). ``R_θ`` is in parameter
units; in the normalised tangent-feature units of docs/theory.md §5 it is ``s·R_θ`` with ``s`` the
tangent-feature scale. SGD step sizes are in feature units, i.e. ``α_t/s²`` per parameter, so that
``α`` is the step on ``Q`` for the pair with the largest gradient, whatever the width:
``"theory"`` ``α_t = 1/((1−κ)ω(t+1))`` (§6), ``"constant"`` ``α_t = lr``, ``"harmonic"``
``α_t = lr/(1 + t/lr_decay)``; Adam (a practical option outside the theorem) takes ``lr`` in
parameter units. ``t`` counts updates over all agents (the theorem's clock; a deployment needs a
shared clock for it). The reported iterate is the average ``θ̄_T = θ₀ + (1/T) Σ_{t=1}^T δ_t``
(``average=True``), kept as ``δ_T − U_T/T`` with ``U_T = Σ_t (t−1)(δ_t − δ_{t−1})``, which
changes only where δ does.

Samples come from the same epoch-level simulation as :mod:`icq.reference.learners.tabular` under the
behaviour policy ``π_b`` (the pre-configured regime of Theorem 1): with the same seed the two
learners see the same handoffs. The stream does not depend on ``θ``, so it is drawn in chunks by a
compiled sampler and fed to the update. The update is one pure function over parameters stacked
along a leading seed axis: one seed is an axis of length 1 (:func:`train_neural`), many seeds
run at once (:func:`train_neural_batch`), natively or under ``torch.func.vmap`` of the one-seed
update (the same numbers; on CPU the native axis is much faster, see ``benchmarks/``).
Parameters are stored as one flat row per agent (rows zero-padded to a common length; padding
never moves), so an update touches its own agent's row only. The native loop for one seed, and
for minibatches of any number of seeds, updates in place (:func:`_fast_step`): every layer of
the predecessor's network gets ``−α DᵀH`` added to a view of its row (``addmm_``; rank one for
one handoff, the sum over the minibatch's handoffs of that agent otherwise), the forward pass
reads ``W₀h + W_δh`` without forming ``θ₀ + δ``, and no parameter or gradient row is gathered
or stored per handoff. Many seeds with one handoff per update use the stacked update
(:func:`_step`, one batched product over seeds); the two agree to rounding. Training runs with
``NeuralConfig.threads`` torch threads (default 1, see ``benchmarks/README.md``).

Theorem 1 is a statement about the *linearised* learner ``Q = φᵀθ`` with the tangent features
``φ(ô,j) = ∇_θ f(ô,j; θ₀)`` (docs/theory.md §5, :func:`tangent_features`); the network differs from
it by the linearisation error on the trust region (A4), which :func:`linearisation_error` measures
and :func:`neural_feature_terms` reports beside the theorem's terms.

Examples
--------
>>> from icq.reference.model import load, example_path
>>> m = load(example_path("ring-exact"))
>>> res = train_neural(m, NeuralConfig(handoffs=200, width=8, depth=1, seed=3))
>>> res.q.shape, res.handoffs
((4,), 200)
>>> tf = tangent_features(m, width=8, depth=1, seed=3)
>>> tf.Phi.shape[0], bool(abs(np.linalg.norm(tf.Phi, axis=1).max() - 1) < 1e-12)
(4, True)
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch
from numba import njit
from torch.func import jacrev, vmap

from icq.reference.learners.checkpoint import (
    ArraySpec,
    CheckpointError,
    check_target,
    load_checkpoint,
    model_fingerprint,
    save_checkpoint,
)
from icq.reference.learners.neural_options import (  # noqa: F401 - re-exported
    ACTIVATIONS,
    DTYPE_NAMES,
    OPTIMIZERS,
    PROJECTIONS,
    SCHEDULES,
    add_train_arguments,
)
from icq.reference.learners.smdp import handoff_arrays, sample_behaviour, start_stream
from icq.reference.model import EpochModel

__all__ = [
    "ACTIVATIONS",
    "AgentNetworks",
    "Encoding",
    "LinearisationError",
    "NeuralBatchResult",
    "NeuralConfig",
    "NeuralFeatureTerms",
    "NeuralResult",
    "TangentFeatures",
    "add_train_arguments",
    "build_networks",
    "linearisation_error",
    "neural_feature_terms",
    "one_hot_encoding",
    "q_values",
    "reduce_to_support_span",
    "resolve_device",
    "sample_handoffs",
    "smdp_target",
    "successor_value",
    "tangent_features",
    "torch_threads",
    "train_neural",
    "train_neural_batch",
]

DTYPES = {"float64": torch.float64, "float32": torch.float32}
assert tuple(DTYPES) == DTYPE_NAMES
#: standard deviation of the hidden layers' initial biases
HIDDEN_BIAS_STD = 0.1
#: default ``lr``: SGD in tangent-feature units (the step on Q), Adam per parameter
DEFAULT_LR = {"sgd": 0.5, "adam": 1e-3}

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


# ---------------------------------------------------------------------------------------
# Configuration and devices
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NeuralConfig:
    """How neural IC-Q is run (see the module docstring for each quantity).

    Attributes
    ----------
    handoffs : T, the number of handoffs (updates); a multiple of ``batch``
    width, depth : hidden width and number of hidden layers of every agent's MLP
    activation : ``"relu"`` or ``"tanh"``; bias : whether layers have biases
    center : report ``Q = f(θ) − f(θ₀)`` (default) rather than ``f(θ)``
    optimizer : ``"sgd"`` (projected SGD, the theorem's algorithm) or ``"adam"`` (practical)
    lr : the step (None: :data:`DEFAULT_LR` of the optimizer)
    schedule : ``"constant"``, ``"harmonic"`` (``lr/(1 + t/lr_decay)``) or ``"theory"``
        (``1/((1−κ)ω(t+1))`` with ``kappa``, ``omega``; SGD only). For SGD the step is in
        tangent-feature units (``α/s²`` per parameter); for Adam ``lr`` is per parameter
    radius : R_θ in parameter units (``‖θ − θ₀‖₂ ≤ R_θ``), ``None`` for no projection
    projection : ``"agent"`` (per-agent balls of radius ``R_θ/√N``) or ``"joint"``
    batch : handoffs per update (1 = the paper's algorithm)
    average : report the averaged iterate θ̄_T (docs/theory.md §6) rather than the last one
    dtype, device : torch dtype name and device (``"cpu"``, ``"cuda"``, ``"cuda:1"``)
    threads : torch's intra-op threads while training (``torch.set_num_threads``, restored
        afterwards); default 1, one thread per seed process, so that processes running seeds in
        parallel (:func:`icq.reference.common.parallel.map_tasks`) do not oversubscribe the cores;
        ``None`` leaves torch's setting alone. Not part of the configuration a checkpoint
        records (the numbers may differ in the last bits between thread counts)
    """

    handoffs: int = 100_000
    seed: int = 0
    width: int = 64
    depth: int = 2
    activation: str = "relu"
    bias: bool = True
    center: bool = True
    optimizer: str = "sgd"
    schedule: str = "harmonic"
    lr: float | None = None
    lr_decay: float = 1000.0
    kappa: float | None = None
    omega: float | None = None
    radius: float | None = None
    projection: str = "agent"
    batch: int = 1
    average: bool = True
    adam_betas: tuple[float, float] = (0.9, 0.999)
    adam_eps: float = 1e-8
    dtype: str = "float64"
    device: str = "cpu"
    threads: int | None = 1

    def __post_init__(self) -> None:  # noqa: C901 - one check per field
        def bad(msg: str) -> None:
            raise ValueError(msg)

        if self.handoffs < 0:
            bad(f"handoffs: {self.handoffs} must be >= 0")
        if self.seed < 0:
            bad(f"seed: {self.seed} must be >= 0")
        if self.width < 1:
            bad(f"width: {self.width} must be >= 1")
        if self.depth < 0:
            bad(f"depth: {self.depth} must be >= 0 (0 = linear in the encoding)")
        if self.activation not in ACTIVATIONS:
            bad(f"activation: {self.activation!r} is not one of {ACTIVATIONS}")
        if self.optimizer not in OPTIMIZERS:
            bad(f"optimizer: {self.optimizer!r} is not one of {OPTIMIZERS}")
        if self.schedule not in SCHEDULES:
            bad(f"schedule: {self.schedule!r} is not one of {SCHEDULES}")
        if self.projection not in PROJECTIONS:
            bad(f"projection: {self.projection!r} is not one of {PROJECTIONS}")
        if self.batch < 1:
            bad(f"batch: {self.batch} must be >= 1")
        if self.handoffs % self.batch:
            bad(f"handoffs: {self.handoffs} is not a multiple of batch = {self.batch} "
                "(every update uses a full batch, so that --resume is exact)")
        if self.lr is None:
            object.__setattr__(self, "lr", DEFAULT_LR[self.optimizer])
        if not (math.isfinite(self.lr) and self.lr > 0):
            bad(f"lr: {self.lr} must be a finite number > 0")
        if not (math.isfinite(self.lr_decay) and self.lr_decay > 0):
            bad(f"lr_decay: {self.lr_decay} must be a finite number > 0")
        if self.radius is not None and not (math.isfinite(self.radius) and self.radius > 0):
            bad(f"radius: {self.radius} must be a finite number > 0 (or None: no projection)")
        if self.schedule == "theory":
            if self.optimizer != "sgd":
                bad("schedule 'theory' is the step size of projected SGD (docs/theory.md §6); "
                    "it cannot be used with optimizer 'adam'")
            if self.kappa is None or self.omega is None:
                bad("schedule 'theory': give kappa (κ of A6) and omega (ω = λ_min(Σ) of A5)")
        if self.kappa is not None and not 0.0 <= self.kappa < 1.0:
            bad(f"kappa: {self.kappa} must be in [0, 1) (A6)")
        if self.omega is not None and not (math.isfinite(self.omega) and self.omega > 0):
            bad(f"omega: {self.omega} must be a finite number > 0 (A5)")
        b1, b2 = self.adam_betas
        if not (0 <= b1 < 1 and 0 <= b2 < 1) or self.adam_eps <= 0:
            bad(f"adam_betas {self.adam_betas} must lie in [0, 1) and adam_eps > 0")
        if self.dtype not in DTYPES:
            bad(f"dtype: {self.dtype!r} is not one of {tuple(DTYPES)}")
        if self.threads is not None and self.threads < 1:
            bad(f"threads: {self.threads} must be >= 1 (or None: torch's own setting)")
        resolve_device(self.device)

    @property
    def torch_dtype(self) -> torch.dtype:
        return DTYPES[self.dtype]

    def network_key(self) -> dict[str, Any]:
        """The fields that determine the networks (and so the tangent features)."""
        return {"width": self.width, "depth": self.depth, "activation": self.activation,
                "bias": self.bias, "seed": self.seed}


def resolve_device(device: str) -> torch.device:
    """A ``torch.device`` for ``"cpu"``, ``"cuda"`` or ``"cuda:N"``; a clear error otherwise.

    >>> resolve_device("cpu")
    device(type='cpu')
    """
    if not isinstance(device, str) or not (device == "cpu" or device == "cuda"
                                           or device.startswith("cuda:")):
        raise ValueError(f"device: {device!r} is not 'cpu', 'cuda' or 'cuda:N'")
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ValueError(f"device: {device!r} requested but no CUDA device is available "
                             "(torch.cuda.is_available() is False); use --device cpu")
        idx = int(device.split(":")[1]) if ":" in device else 0
        if idx >= torch.cuda.device_count():
            raise ValueError(f"device: {device!r} requested but only "
                             f"{torch.cuda.device_count()} CUDA device(s) exist")
    return torch.device(device)


# ---------------------------------------------------------------------------------------
# The networks: one MLP per agent, stored as one flat parameter row per agent
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Layer:
    w: int  # offset of W (out × in, row-major) in the flat row
    b: int  # offset of b (out,), or -1 without bias
    out: int
    inp: int


def _layout(d_in: int, width: int, depth: int, n_slots: int, bias: bool
            ) -> tuple[tuple[_Layer, ...], int]:
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
        layers.append(_Layer(w=w, b=b, out=out, inp=inp))
    return tuple(layers), off


def _forward(rows: torch.Tensor, x: torch.Tensor, layers: tuple[_Layer, ...], act: str,
             keep: bool = False):
    """MLP outputs for parameter rows (B, P) and inputs (B, d) → (B, K).

    With ``keep`` also the layer inputs and hidden post-activations (for :func:`_backward`).
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


def _backward(rows: torch.Tensor, hs: list[torch.Tensor], out_grad: torch.Tensor,
              layers: tuple[_Layer, ...], act: str) -> torch.Tensor:
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

    layers: tuple[_Layer, ...]
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
        return _forward(rows, self.X[obs], self.layers, self.activation) - self.f0[obs]


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
        f0 = _forward(theta0_t[obs_agent_t], X_t, layers, activation)
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


def _networks_for(model: EpochModel, config: NeuralConfig, encoding: Encoding | None,
                  seed: int | None = None) -> AgentNetworks:
    return build_networks(model, config.width, config.depth,
                          config.seed if seed is None else seed, activation=config.activation,
                          bias=config.bias, center=config.center, encoding=encoding,
                          dtype=config.torch_dtype, device=resolve_device(config.device))


def q_values(nets: AgentNetworks, delta: torch.Tensor) -> np.ndarray:
    """(n_obs_pairs,) ``Q_θ(ô, j)`` at ``θ = θ₀ + δ`` for every observation pair."""
    with torch.no_grad():
        out = nets.outputs(delta)
        return out[nets.pair_obs, nets.pair_slot].double().cpu().numpy()


# ---------------------------------------------------------------------------------------
# The update (paper eq. (4)–(5)): pure functions over tensors with a leading seed axis
# ---------------------------------------------------------------------------------------


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
    """``R + γ^τ v``, or ``R`` where the episode ended (``cont`` False) (paper eq. (5)).

    >>> smdp_target(torch.tensor([1.0, 1.0]), torch.tensor([0.81, 0.0]), torch.tensor([2.0, 9.0]),
    ...             torch.tensor([True, False]))
    tensor([2.6200, 1.0000])
    """
    return reward + torch.where(cont, discount * v, torch.zeros_like(v))


@dataclass(frozen=True)
class _Static:
    """What the update needs that is neither state nor data."""

    layers: tuple[_Layer, ...]
    act: str
    n_agents: int
    optimizer: str
    betas: tuple[float, float]
    eps: float
    radius: float | None
    projection: str
    projection_rows: bool  # no projection, or per-agent: a B = 1 update touches one row
    inplace: bool = False  # update the state tensors in place (the native training loop)


class _Data(NamedTuple):
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


def _step(st: _Static, theta0, delta, u, m, v, k, d: _Data):
    """One IC-Q update from B handoffs, for S independent seeds at once.

    State (S, N, P): ``delta = θ − θ₀``; ``u = Σ_s (s−1)(δ_s − δ_{s−1})``, from which the average
    of the iterates is ``δ_t − u/t`` (:func:`_average`; ``u`` changes only where δ changes); Adam
    moments ``m``, ``v``; ``k`` (S, N) per-agent Adam step counts. Returns the new
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
    q_next = _forward(rows_n, d.xn.reshape(S * B, -1), st.layers, st.act).reshape(S, B, -1)
    v_next = successor_value(q_next - d.f0n, d.maskn)
    target = smdp_target(d.reward, d.discount, v_next, d.cont)
    # the predecessor i: semi-gradient of ½(Q − target)² on its own parameters only
    d_rows = flat.index_select(0, row)
    rows = flat0.index_select(0, row) + d_rows
    out, hs = _forward(rows, d.x.reshape(S * B, -1), st.layers, st.act, keep=True)
    q = (out.reshape(S, B, -1) * d.slot_1h).sum(-1) - d.f0_sel
    err = (q - target) / B
    g = _backward(rows, hs, (d.slot_1h * err.unsqueeze(-1)).reshape(S * B, -1), st.layers,
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


def _put(st: _Static, x: torch.Tensor, row: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
    """``x`` with rows ``row`` of its flattened leading axes replaced by ``value``."""
    flat = x.reshape((-1,) + tuple(x.shape[2:]))
    if st.inplace:
        flat.index_copy_(0, row, value)
        return x
    return flat.index_copy(0, row, value).reshape(x.shape)


def _average(delta: torch.Tensor, u: torch.Tensor, steps: int) -> torch.Tensor:
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


def _views(layers: tuple[_Layer, ...], theta0: torch.Tensor, delta: torch.Tensor,
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
    """:func:`_forward` of one agent at ``θ₀ + δ`` for inputs (n, d) → (n, K), from the
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
    :func:`_backward`, summed over rows instead of stored per row)."""
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


def _numpy_views(p: _Views) -> tuple[tuple[np.ndarray, ...], ...]:
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
    ``addmm_`` of :func:`_fast_step`, to rounding); returns ``‖δ_agent‖²`` after it."""
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


def _fast_step(st: _Static, views: list[_Views], delta: torch.Tensor, u: torch.Tensor,
               k: list[float], d: _Data, ags: list[int], nags: list[int], alpha: float,
               t: float, npv: list | None = None, cache: list | None = None) -> None:
    """One IC-Q update of one seed from B handoffs, in place (the same update as
    :func:`_step`, to rounding).

    ``views`` per agent (:func:`_views`) of the seed's rows of ``delta`` (N, P) and ``u``;
    ``k`` the per-agent Adam step counts (updated); ``d`` the seed's data (:class:`_Data`
    fields without the seed axis); ``ags``/``nags`` the predecessor and successor agent of each
    handoff; ``alpha`` the step in parameter units and ``t`` the update's index. SGD adds
    ``−α DᵀH`` to each layer of the predecessor's parameters (and ``−αt DᵀH`` to u) with
    ``addmm_``; Adam forms one summed gradient row per updated agent.

    With ``npv`` (per agent :func:`_numpy_views`, CPU) a B = 1 SGD step without the joint
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


def _base_steps(config: NeuralConfig, t0: int, n: int) -> np.ndarray:
    """α_t for t = t0..t0+n−1 before the unit conversion (docs/theory.md §6 for ``"theory"``)."""
    t = np.arange(t0, t0 + n, dtype=float)
    if config.schedule == "constant":
        return np.full(n, config.lr)
    if config.schedule == "harmonic":
        return config.lr / (1.0 + t / config.lr_decay)
    return 1.0 / ((1.0 - config.kappa) * config.omega * (t + 1.0))


# ---------------------------------------------------------------------------------------
# Sampling handoffs under the behaviour policy (the same draws as the tabular learner)
# ---------------------------------------------------------------------------------------


@dataclass
class _Stream:
    """The sampler's state: generator words, latent state, episodes so far."""

    rng: np.ndarray
    y: int
    episodes: int = 0

    @classmethod
    def start(cls, arr: dict[str, np.ndarray], seed: int) -> _Stream:
        rs, y = start_stream(arr, seed)
        return cls(rng=rs, y=y)


def sample_handoffs(model: EpochModel, n: int, seed: int = 0) -> dict[str, np.ndarray]:
    """The first ``n`` handoffs ``(ô, j, R, γ^τ, ô')`` of the behaviour chain for ``seed``.

    Returns arrays ``pair`` (observation-pair index of ``(ô, j)``), ``reward``, ``discount``
    (``γ^τ``, 0 at an episode end) and ``next_obs`` (``-1`` at an episode end). The draws are
    those of :func:`icq.reference.learners.tabular.train_tabular` with the same seed.

    >>> from icq.reference.model import load, example_path
    >>> s = sample_handoffs(load(example_path("ring-exact")), 5, seed=1)
    >>> s["pair"].tolist(), s["next_obs"][:2].tolist()
    ([0, 3, 0, 3, 1], [2, 0])
    """
    arr = handoff_arrays(model)
    return _draw(arr, _Stream.start(arr, seed), n)


def _draw(arr: dict[str, np.ndarray], stream: _Stream, n: int) -> dict[str, np.ndarray]:
    out = {"pair": np.empty(n, np.int64), "reward": np.empty(n), "discount": np.empty(n),
           "next_obs": np.empty(n, np.int64)}
    y, eps = sample_behaviour(n, stream.rng, stream.y, arr["state_obs"], arr["obs_ptr"],
                              arr["beh_cdf"], arr["pair_ptr"], arr["out_ptr"], arr["out_pack"],
                              arr["init_cdf"], out["pair"], out["reward"], out["discount"],
                              out["next_obs"])
    stream.y, stream.episodes = int(y), stream.episodes + int(eps)
    return out


def _chunk_data(nets: AgentNetworks, f0: torch.Tensor, samples: list[dict[str, np.ndarray]],
                batch: int, alpha: np.ndarray, unit: torch.Tensor, t0: int) -> _Data:
    """Stack the seeds' handoffs into ``_Data`` fields of shape (steps, S, ...)."""
    dev, dt = nets.device, nets.dtype
    S = len(samples)
    n = len(samples[0]["pair"])
    steps = n // batch

    def seq(key: str, dtype=None) -> torch.Tensor:
        a = np.stack([s[key] for s in samples]).reshape(S, steps, batch)
        return torch.as_tensor(a, dtype=dtype, device=dev).permute(1, 0, 2)

    pair = seq("pair")
    obs, slot = nets.pair_obs[pair], nets.pair_slot[pair]
    ag = nets.obs_agent[obs]
    nxt = seq("next_obs")
    cont = nxt >= 0
    nobs = torch.where(cont, nxt, torch.zeros_like(nxt))
    K = nets.obs_mask.shape[1]
    sidx = torch.arange(S, device=dev).view(1, S, 1)
    agents = torch.arange(nets.n_agents, device=dev).view(1, 1, -1, 1)
    a = torch.as_tensor(alpha, dtype=dt, device=dev).view(steps, 1, 1, 1) * unit.view(1, S, 1, 1)
    t = torch.arange(t0, t0 + steps, dtype=dt, device=dev).view(steps, 1, 1, 1)
    return _Data(
        ag=ag, x=nets.X[obs],
        slot_1h=(slot.unsqueeze(-1) == torch.arange(K, device=dev)).to(dt),
        f0_sel=f0[sidx, obs, slot], agent_1h=(ag.unsqueeze(2) == agents).to(dt),
        reward=seq("reward", dt), discount=seq("discount", dt), cont=cont,
        nag=nets.obs_agent[nobs], xn=nets.X[nobs], f0n=f0[sidx, nobs],
        maskn=nets.obs_mask[nobs], alpha=a, t=t.expand(steps, S, 1, 1))


# ---------------------------------------------------------------------------------------
# Training: one seed or many at once; checkpoints and exact resume
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class NeuralResult:
    """Neural IC-Q after ``handoffs`` updates, and how it was obtained.

    Attributes
    ----------
    q : (n_obs_pairs,) ``Q`` at the reported iterate (θ̄_T if ``config.average``, else θ_T)
    q_last : (n_obs_pairs,) ``Q`` at the last iterate θ_T
    delta, delta_bar : (N, P) arrays, ``θ_T − θ₀`` and ``θ̄_T − θ₀`` (padded rows)
    theta_distance_from_init : ``‖θ − θ₀‖₂`` of the reported iterate (all agents jointly)
    projection_radius : R_θ (parameter units) or None
    feature_scale : the tangent-feature scale s (SGD steps are ``α/s²`` in parameter units)
    visits : (n_obs_pairs,) updates per observation pair
    """

    q: np.ndarray
    q_last: np.ndarray
    delta: np.ndarray
    delta_bar: np.ndarray
    visits: np.ndarray
    handoffs: int
    episodes: int
    seconds: float
    theta_distance_from_init: float
    theta_distance_from_init_last: float
    projection_radius: float | None
    feature_scale: float
    n_params: tuple[int, ...]
    config: NeuralConfig
    networks: AgentNetworks = field(repr=False)
    method: str = ""


@dataclass(frozen=True, eq=False)
class NeuralBatchResult:
    """Neural IC-Q for several seeds at once; arrays have a leading seed axis.

    ``q``/``q_last`` (S, n_obs_pairs), ``delta``/``delta_bar`` (S, N, P),
    ``theta_distance_from_init`` (S,) of the reported iterate, ``visits`` (S, n_obs_pairs),
    ``episodes`` and ``feature_scale`` (S,).
    """

    seeds: tuple[int, ...]
    q: np.ndarray
    q_last: np.ndarray
    delta: np.ndarray
    delta_bar: np.ndarray
    theta_distance_from_init: np.ndarray
    visits: np.ndarray
    episodes: np.ndarray
    feature_scale: np.ndarray
    handoffs: int
    seconds: float
    config: NeuralConfig
    engine: str
    method: str = ""


def _method(config: NeuralConfig) -> str:
    if config.optimizer == "sgd":
        opt = "projected SGD" if config.radius is not None else "SGD"
    else:
        opt = "Adam" + (" with projection" if config.radius is not None else "")
    if config.schedule == "constant":
        sched = f"α = {config.lr:g}"
    elif config.schedule == "harmonic":
        sched = f"α_t = {config.lr:g}/(1 + t/{config.lr_decay:g})"
    else:
        sched = (f"α_t = 1/((1−κ)ω(t+1)), κ = {config.kappa:g}, ω = {config.omega:g} "
                 "(docs/theory.md §6)")
    if config.optimizer == "sgd":
        sched += " in tangent-feature units (α/s² per parameter)"
    proj = ""
    if config.radius is not None:
        ball = "per-agent balls of radius R_θ/√N" if config.projection == "agent" else "joint ball"
        proj = f", {ball} with R_θ = {config.radius:g}"
    it = "averaged iterate θ̄_T" if config.average else "last iterate θ_T"
    return (f"neural IC-Q (per-agent MLPs {config.depth}×{config.width} {config.activation}, "
            f"{opt}, {sched}{proj}, batch {config.batch}, {it}; semi-gradient SMDP Q-learning "
            "with the successor's value passed back as one float)")


@dataclass
class _TrainState:
    """Everything a run carries between chunks, for S seeds (what a checkpoint stores)."""

    delta: torch.Tensor
    u: torch.Tensor
    m: torch.Tensor
    v: torch.Tensor
    k: torch.Tensor
    t: int
    visits: np.ndarray
    streams: list[_Stream]
    seconds: float

    @classmethod
    def fresh(cls, theta0: torch.Tensor, streams: list[_Stream], n_pairs: int) -> _TrainState:
        z = torch.zeros_like(theta0)
        S, N = theta0.shape[:2]
        return cls(delta=z, u=z.clone(), m=z.clone(), v=z.clone(),
                   k=torch.zeros((S, N), dtype=theta0.dtype, device=theta0.device), t=0,
                   visits=np.zeros((S, n_pairs), dtype=np.int64), streams=streams, seconds=0.0)


def _static(nets: AgentNetworks, config: NeuralConfig, *, inplace: bool = False,
            rowwise: bool = True) -> _Static:
    rows = rowwise and (config.radius is None or config.projection == "agent")
    return _Static(layers=nets.layers, act=nets.activation, n_agents=nets.n_agents,
                   optimizer=config.optimizer, betas=tuple(config.adam_betas),
                   eps=config.adam_eps, radius=config.radius, projection=config.projection,
                   projection_rows=rows, inplace=inplace)


def _config_json(config: NeuralConfig, nets: AgentNetworks, seeds: tuple[int, ...]) -> str:
    d = asdict(config)
    d.pop("handoffs")
    d.pop("threads")
    d["seed"] = list(seeds)
    d["adam_betas"] = list(d["adam_betas"])
    d["encoding"] = [nets.encoding_name, nets.encoding_digest]
    return json.dumps(d, sort_keys=True)


_STATE_TENSORS = ("delta", "u", "m", "v", "k")


_KIND = "neural-icq/2"


def _save(path: Path, st: _TrainState, meta: dict) -> None:
    """Atomic checkpoint (:mod:`icq.reference.learners.checkpoint`): the state, the model
    fingerprint
    and the configuration (``meta``)."""
    save_checkpoint(path, _KIND, {
        **{n: getattr(st, n).cpu().numpy() for n in _STATE_TENSORS},
        "t": np.int64(st.t), "visits": st.visits,
        "rng": np.stack([s.rng for s in st.streams]),
        "y": np.array([s.y for s in st.streams], dtype=np.int64),
        "episodes": np.array([s.episodes for s in st.streams], dtype=np.int64),
        "seconds": np.float64(st.seconds)}, meta)


def _load(path: Path, meta: dict, model: EpochModel, theta0: torch.Tensor) -> _TrainState:
    """Read and check a checkpoint completely (every array against the shape and dtype of a
    fresh state of this run) before the training loop sees it."""
    fresh = _TrainState.fresh(theta0, [], model.n_obs_pairs)
    S = theta0.shape[0]
    spec = {n: ArraySpec.like(getattr(fresh, n)) for n in _STATE_TENSORS}
    spec.update(t=ArraySpec("<i8", (), 0), visits=ArraySpec.like(fresh.visits, 0),
                rng=ArraySpec("<u8", (S, 4), rng=True),
                y=ArraySpec("<i8", (S,), 0, model.n_states - 1),
                episodes=ArraySpec("<i8", (S,), 0), seconds=ArraySpec("<f8", (), 0))
    z = load_checkpoint(path, _KIND, meta, spec)
    t = lambda a: torch.as_tensor(a, dtype=theta0.dtype, device=theta0.device)  # noqa: E731
    streams = [_Stream(rng=z["rng"][i].copy(), y=int(z["y"][i]), episodes=int(z["episodes"][i]))
               for i in range(S)]
    return _TrainState(**{n: t(z[n]) for n in _STATE_TENSORS}, t=int(z["t"]),
                       visits=z["visits"].copy(), streams=streams, seconds=float(z["seconds"]))


def _fast_chunk(static: _Static, theta0: torch.Tensor, st: _TrainState, data: _Data) -> None:
    """Run a chunk of updates with :func:`_fast_step`, seed after seed within each update."""
    S, N = theta0.shape[:2]
    views = [[_views(static.layers, theta0[s, a], st.delta[s, a], st.u[s, a], st.m[s, a],
                     st.v[s, a]) for a in range(N)] for s in range(S)]
    ags, nags = data.ag.tolist(), data.nag.tolist()
    alphas = data.alpha.reshape(len(ags), S).tolist()
    ts = data.t[:, 0].reshape(-1).tolist()
    k = st.k.tolist()
    per_seed = [[x[:, s].unbind(0) for x in data] for s in range(S)]
    cpu = theta0.device.type == "cpu"
    npv = [[_numpy_views(p) for p in vs] if cpu else None for vs in views]
    caches: list[list] = [[None] for _ in range(S)]
    for i in range(len(ags)):
        for s in range(S):
            d = _Data(*(f[i] for f in per_seed[s]))
            _fast_step(static, views[s], st.delta[s], st.u[s], k[s], d, ags[i][s], nags[i][s],
                       alphas[i][s], ts[i], npv[s], caches[s])
    st.k.copy_(torch.as_tensor(k, dtype=st.k.dtype))


@contextmanager
def torch_threads(n: int | None):
    """Run with ``torch.set_num_threads(n)`` and restore the previous count (None: no change).

    The learner's default is one thread (:attr:`NeuralConfig.threads`): on a machine whose
    cores run other seeds, torch's default of one thread per core oversubscribes them (see
    ``benchmarks/README.md``)."""
    if n is None:
        yield
        return
    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def _run(model: EpochModel, config: NeuralConfig, seeds: tuple[int, ...],
         encoding: Encoding | None, checkpoint: str | Path | None, resume: bool, chunk: int,
         progress: bool, engine: str):
    """The shared training loop; returns (networks per seed, final state, feature scales)."""
    with torch_threads(config.threads):
        return _run_loop(model, config, seeds, encoding, checkpoint, resume, chunk, progress,
                         engine)


def _run_loop(model: EpochModel, config: NeuralConfig, seeds: tuple[int, ...],
              encoding: Encoding | None, checkpoint: str | Path | None, resume: bool,
              chunk: int, progress: bool, engine: str):
    if engine not in ("native", "vmap"):
        raise ValueError(f"engine: {engine!r} is not 'native' or 'vmap'")
    if chunk < 1:
        raise ValueError(f"chunk: {chunk} must be >= 1")
    nets = [_networks_for(model, config, encoding, seed=s) for s in seeds]
    arr = handoff_arrays(model)
    theta0 = torch.stack([n.theta0 for n in nets])
    f0 = torch.stack([n.f0 for n in nets])
    scales = [_tangent_raw(n)[1] for n in nets]
    unit = torch.as_tensor([1.0 / s**2 if config.optimizer == "sgd" else 1.0 for s in scales],
                           dtype=theta0.dtype, device=theta0.device)
    meta = {"model": model_fingerprint(model),
            "config": json.loads(_config_json(config, nets[0], seeds))}
    ckpt = check_target(checkpoint)
    steps_total = config.handoffs // config.batch
    if resume and ckpt is None:
        raise ValueError("resume: needs a checkpoint path")
    if resume:
        st = _load(ckpt, meta, model, theta0)
        if st.t > steps_total:
            raise CheckpointError(ckpt, f"already has {st.t * config.batch} handoffs, more than "
                                  f"the {config.handoffs} requested (--handoffs must be at "
                                  "least that)")
    else:
        st = _TrainState.fresh(theta0, [_Stream.start(arr, s) for s in seeds], model.n_obs_pairs)
    # the in-place update for one seed, or for minibatches (B > 1) of any number of seeds;
    # many seeds with one handoff per update share the stacked update (one batched product)
    fast = engine == "native" and (len(seeds) == 1 or config.batch > 1)
    if engine == "native":
        static = _static(nets[0], config, inplace=True)
        step = lambda *a: _step(static, *a)  # noqa: E731
    else:
        static = _static(nets[0], config)

        def one(theta0_s, delta_s, u_s, m_s, v_s, k_s, *data_s):
            e = lambda x: x.unsqueeze(0)  # noqa: E731
            out = _step(static, e(theta0_s), e(delta_s), e(u_s), e(m_s), e(v_s), e(k_s),
                        _Data(*(e(x) for x in data_s)))
            return tuple(o.squeeze(0) for o in out)

        vone = vmap(one)
        step = lambda th0, de, db, m, v, k, d: vone(th0, de, db, m, v, k, *d)  # noqa: E731
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=config.handoffs * len(seeds), initial=st.t * config.batch * len(seeds),
                   unit="handoff", unit_scale=True)
    per_chunk = max(1, chunk // (config.batch * len(seeds)))
    while st.t < steps_total:
        n_steps = min(per_chunk, steps_total - st.t)
        t_start = time.perf_counter()
        samples = [_draw(arr, s, n_steps * config.batch) for s in st.streams]
        for i, s in enumerate(samples):
            st.visits[i] += np.bincount(s["pair"], minlength=model.n_obs_pairs)
        data = _chunk_data(nets[0], f0, samples, config.batch,
                           _base_steps(config, st.t, n_steps), unit, st.t)
        with torch.no_grad():
            if fast:
                _fast_chunk(static, theta0, st, data)
            else:
                state = (st.delta, st.u, st.m, st.v, st.k)
                for i in range(n_steps):
                    state = step(theta0, *state, _Data(*(x[i] for x in data)))
                st.delta, st.u, st.m, st.v, st.k = state
        st.t += n_steps
        st.seconds += time.perf_counter() - t_start
        if ckpt is not None:
            _save(ckpt, st, meta)
        if bar is not None:
            bar.update(n_steps * config.batch * len(seeds))
    if bar is not None:
        bar.close()
    return nets, st, scales


def train_neural(model: EpochModel, config: NeuralConfig = NeuralConfig(), *,
                 encoding: Encoding | None = None, checkpoint: str | Path | None = None,
                 resume: bool = False, chunk: int = 10_000, progress: bool = False
                 ) -> NeuralResult:
    """Run neural IC-Q for ``config.handoffs`` handoffs (paper §3; docs/theory.md §6).

    Parameters
    ----------
    model : the epoch model; handoffs are sampled under its behaviour policy π_b
    config : :class:`NeuralConfig`
    encoding : the observation encoding hook (default :func:`one_hot_encoding`)
    checkpoint : path of an atomic checkpoint written after every ``chunk`` handoffs and at the
        end (parameters, averaged iterate, optimizer state, generator and latent state)
    resume : continue from ``checkpoint`` if it exists; the result is bit-for-bit that of an
        uninterrupted run (same machine, same torch thread count)
    progress : show a tqdm bar (callers pass True only on a terminal)

    Returns
    -------
    NeuralResult
    """
    nets, st, scales = _run(model, config, (config.seed,), encoding, checkpoint, resume, chunk,
                            progress, "native")
    n = nets[0]
    dbar = _average(st.delta, st.u, st.t)[0]
    rep = dbar if config.average else st.delta[0]
    last = st.delta[0]
    return NeuralResult(
        q=q_values(n, rep), q_last=q_values(n, last), delta=last.double().cpu().numpy(),
        delta_bar=dbar.double().cpu().numpy(), visits=st.visits[0],
        handoffs=st.t * config.batch, episodes=st.streams[0].episodes, seconds=st.seconds,
        theta_distance_from_init=float(torch.linalg.vector_norm(rep)),
        theta_distance_from_init_last=float(torch.linalg.vector_norm(last)),
        projection_radius=config.radius, feature_scale=scales[0], n_params=n.n_params,
        config=config, networks=n, method=_method(config))


def train_neural_batch(model: EpochModel, config: NeuralConfig, seeds: Sequence[int], *,
                       encoding: Encoding | None = None, checkpoint: str | Path | None = None,
                       resume: bool = False, chunk: int = 10_000, progress: bool = False,
                       engine: str = "native") -> NeuralBatchResult:
    """Neural IC-Q for several seeds at once, on parameters stacked over seeds.

    Seed ``s`` has its own initialisation and its own handoff stream, exactly those of
    ``train_neural(model, replace(config, seed=s))`` (``config.seed`` is ignored here).
    ``engine="native"`` runs the update on the leading seed axis directly; ``engine="vmap"``
    runs the one-seed update under ``torch.func.vmap`` (the same function; slower on CPU,
    kept as a cross-check). ``chunk`` counts handoffs over all seeds.
    """
    seeds = tuple(int(s) for s in seeds)
    if not seeds:
        raise ValueError("seeds: give at least one seed")
    if any(s < 0 for s in seeds):
        raise ValueError(f"seeds: {seeds} must all be >= 0")
    nets, st, scales = _run(model, config, seeds, encoding, checkpoint, resume, chunk, progress,
                            engine)
    dbar = _average(st.delta, st.u, st.t)
    rep = dbar if config.average else st.delta
    S = len(seeds)
    return NeuralBatchResult(
        seeds=seeds, q=np.stack([q_values(n, rep[i]) for i, n in enumerate(nets)]),
        q_last=np.stack([q_values(n, st.delta[i]) for i, n in enumerate(nets)]),
        delta=st.delta.double().cpu().numpy(), delta_bar=dbar.double().cpu().numpy(),
        theta_distance_from_init=torch.linalg.vector_norm(rep.reshape(S, -1), dim=1)
        .double().cpu().numpy(),
        visits=st.visits, episodes=np.array([s.episodes for s in st.streams]),
        feature_scale=np.array(scales), handoffs=st.t * config.batch, seconds=st.seconds,
        config=config, engine=engine,
        method=_method(config) + f"; {S} seeds batched ({engine})")


# ---------------------------------------------------------------------------------------
# Tangent features (docs/theory.md §5) and the linearisation error on the trust region (A4)
# ---------------------------------------------------------------------------------------


def _agent_fn(nets: AgentNetworks, a: int) -> tuple[Callable, torch.Tensor, np.ndarray]:
    """``θ_a ↦ f_a(X_a; θ_a)`` (n_a, K) for agent ``a``'s observations, and their indices."""
    obs = torch.nonzero(nets.obs_agent == a).squeeze(1)
    Xa = nets.X[obs]

    def f(theta_row: torch.Tensor) -> torch.Tensor:
        return _forward(theta_row.unsqueeze(0).expand(Xa.shape[0], -1), Xa, nets.layers,
                        nets.activation)

    return f, obs, obs.cpu().numpy()


def _tangent_raw(nets: AgentNetworks) -> tuple[list[np.ndarray], float, list[np.ndarray]]:
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
    raw, scale, rows = _tangent_raw(nets)
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


@dataclass(frozen=True, eq=False)
class NeuralFeatureTerms:
    """Theorem 1's feature terms for a network's tangent features, with the A4 error beside them.

    Attributes
    ----------
    features : the :class:`TangentFeatures` Φ (n_obs_pairs, d_total)
    Phi_audit : (n_obs_pairs, r) ``Φ V`` with V an orthonormal basis of the span of the support
        rows, one block per agent: the same linearised learner in the only directions it moves
        (see :func:`reduce_to_support_span`); this is what the audit receives
    kind : ``"linear"`` for depth 0 (the network is exactly linear in θ, so A3–A4 hold) or
        ``"tangent"`` (A3–A4 not checkable from Φ; the measured error is beside)
    audit : the :class:`icq.bounds.Audit` for ``Phi_audit`` (ω, κ, ε_approx, C_F, θ*, Theorem 1)
    radius : R_θ in parameter units (``R_θ / s``) for the trust region, None if θ* is undefined;
        radius_features : R_θ in feature units (the audit's certified bound on ‖θ*‖)
    linearisation : the measured :class:`LinearisationError` on that trust region, or None
    notes : what the numbers do and do not cover
    """

    features: TangentFeatures
    Phi_audit: np.ndarray
    kind: str
    audit: Any
    radius: float | None
    radius_features: float | None
    projection: str
    linearisation: LinearisationError | None
    notes: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """The ``neural`` block for ``icq audit --features neural`` (beside ``audit.to_json()``)."""
        tf, lin = self.features, self.linearisation
        return {
            "width": tf.width, "depth": tf.depth, "seed": tf.seed, "activation": tf.activation,
            "kind": self.kind, "feature_scale": tf.scale, "d_total": tf.d_total,
            "d_audit": int(self.Phi_audit.shape[1]),
            "n_params": [b - a for a, b in tf.blocks],
            "projection": self.projection, "R_theta_parameters": self.radius,
            "R_theta_features": self.radius_features,
            "linearisation_error": None if lin is None else {
                "max_abs": lin.max_abs, "per_agent": list(lin.per_agent),
                "radius": lin.radius, "per_agent_radius": lin.per_agent_radius,
                "samples": lin.samples, "method": lin.method},
            "method": {"features": tf.method, "audit_features": SPAN_METHOD},
            "notes": list(self.notes),
        }


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
    return _support_span(tf, mask, rtol)[0]


def _support_span(tf: TangentFeatures, mask: np.ndarray | None, rtol: float
                  ) -> tuple[np.ndarray, list[tuple[int, int]]]:
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


def neural_feature_terms(model: EpochModel, width: int = 64, depth: int = 2, seed: int = 0, *,
                         activation: str = "relu", bias: bool = True,
                         encoding: Encoding | None = None, projection: str = "joint",
                         radius: float | None = None, samples: int = 256,
                         sample_seed: int = 0, **audit_options: Any) -> NeuralFeatureTerms:
    """Theorem 1's terms for neural IC-Q's tangent features (``icq audit --features neural``).

    Builds the networks (as :func:`train_neural` does for ``seed``), their tangent features Φ
    (:func:`tangent_features`), reduces Φ to the span of the support rows
    (:func:`reduce_to_support_span`) and runs :func:`icq.bounds.audit` on it, which gives ω, κ,
    ε_approx, C_F, θ* and Theorem 1 (docs/theory.md §5–§6). Then measures the linearisation error of
    the networks on the trust region (A4, :func:`linearisation_error`).

    Parameters
    ----------
    model, width, depth, seed, activation, bias, encoding : the networks
    projection : the trust region: ``"joint"`` (default; docs/theory.md §6, ``‖θ − θ₀‖ ≤ R_θ``) or
        ``"agent"`` (per-agent balls ``R_θ/√N``; then ``R_θ = √N·max_i ‖θ*_i‖`` bounds)
    radius : R_θ in parameter units; default: the smallest certified one from θ*
    samples, sample_seed : the A4 measurement
    audit_options : passed to :func:`icq.bounds.audit` (``handoffs``, ``metric``,
        ``obs_metric``)
    """
    from icq.bounds import audit as run_audit
    from icq.bounds.features import support
    from icq.bounds.setting import prepare

    if projection not in PROJECTIONS:
        raise ValueError(f"projection: {projection!r} is not one of {PROJECTIONS}")
    nets = build_networks(model, width, depth, seed, activation=activation, bias=bias,
                          encoding=encoding)
    tf = tangent_features(model, networks=nets)
    setting = prepare(model)
    mask = None if setting.mu is None else support(model, setting.mu).mask
    phi, blocks = _support_span(tf, mask, 1e-10)
    kind = "linear" if depth == 0 else "tangent"
    a = run_audit(model, features=phi, feature_kind=kind, setting=setting, **audit_options)
    notes = [
        "Theorem 1 bounds the linearised learner Q = φᵀθ with these tangent features "
        "(docs/theory.md "
        "§5–§6); " + ("a depth-0 network is exactly linear in θ, so A3–A4 hold." if depth == 0
                      else "the network differs from it by the linearisation error on the trust "
                      "region (A4), measured here by sampling (a lower estimate of the "
                      "supremum): the audit marks A3–A4 not checkable."),
        f"the audit sees Φ in the span of its support rows ({phi.shape[1]} of "
        f"{tf.d_total} dimensions): {SPAN_METHOD}.",
    ]
    fp = a.features.fixed_point
    R_feat = None
    if radius is not None:
        if not (math.isfinite(radius) and radius > 0):
            raise ValueError(f"radius: {radius} must be a finite number > 0")
        R_feat = radius * tf.scale
    elif fp is not None:
        slack = max(fp.norm_bound - float(np.linalg.norm(fp.theta)), 0.0)
        if projection == "joint":
            R_feat = fp.norm_bound
        else:
            R_feat = math.sqrt(nets.n_agents) * max(
                float(np.linalg.norm(fp.theta[lo:hi])) + slack for lo, hi in blocks)
        notes.append(f"R_θ = {R_feat:.6g} (feature units) = {R_feat / tf.scale:.6g} (parameter "
                     f"units) is the smallest certified radius whose {projection} trust region "
                     "contains θ*.")
    else:
        notes.append("θ* is undefined (A5 or A6 fails): no trust region, so the linearisation "
                     "error was not measured; give radius to measure it.")
    R = None if R_feat is None else R_feat / tf.scale
    lin = None
    if R is not None and R > 0:
        lin = linearisation_error(nets, R, samples=samples, projection=projection,
                                  seed=sample_seed)
    elif R is not None:
        notes.append("θ* = 0: the trust region is the single point θ₀ (no linearisation error).")
    return NeuralFeatureTerms(features=tf, Phi_audit=phi, kind=kind, audit=a, radius=R,
                              radius_features=R_feat, projection=projection, linearisation=lin,
                              notes=tuple(notes))


# ---------------------------------------------------------------------------------------
# Command line: ``icq train FILE --learner neural``
# ---------------------------------------------------------------------------------------
