"""How neural IC-Q is configured: :class:`NeuralConfig`, the tables of its choices and the
``icq train --learner neural`` options (:func:`add_train_arguments`).

Importing this module does not import torch, so that building the command line stays fast
(the package :mod:`icq.reference.learners.neural` imports its other modules on first use);
torch is imported when a configuration is made (:func:`resolve_device`).
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

__all__ = ["ACTIVATIONS", "DEFAULT_LR", "DTYPE_NAMES", "NeuralConfig", "OPTIMIZERS",
           "PROJECTIONS", "SCHEDULES", "add_train_arguments", "resolve_device"]

ACTIVATIONS = ("relu", "tanh")
OPTIMIZERS = ("sgd", "adam")
SCHEDULES = ("constant", "harmonic", "theory")
PROJECTIONS = ("agent", "joint")
DTYPE_NAMES = ("float64", "float32")
#: default ``lr``: SGD in tangent-feature units (the step on Q), Adam per parameter
DEFAULT_LR = {"sgd": 0.5, "adam": 1e-3}


@dataclass(frozen=True)
class NeuralConfig:
    """How neural IC-Q is run (see :mod:`icq.reference.learners.neural` for each quantity).

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
        if self.dtype not in DTYPE_NAMES:
            bad(f"dtype: {self.dtype!r} is not one of {DTYPE_NAMES}")
        if self.threads is not None and self.threads < 1:
            bad(f"threads: {self.threads} must be >= 1 (or None: torch's own setting)")
        resolve_device(self.device)

    @property
    def torch_dtype(self) -> torch.dtype:
        import torch  # a configuration is made: torch is needed (module docstring)

        return getattr(torch, self.dtype)  # DTYPE_NAMES are torch's own names

    def network_key(self) -> dict[str, Any]:
        """The fields that determine the networks (and so the tangent features)."""
        return {"width": self.width, "depth": self.depth, "activation": self.activation,
                "bias": self.bias, "seed": self.seed}


def resolve_device(device: str) -> torch.device:
    """A ``torch.device`` for ``"cpu"``, ``"cuda"`` or ``"cuda:N"``; a clear error otherwise.

    >>> resolve_device("cpu")
    device(type='cpu')
    """
    # torch: the [neural] extra; the command line reads this module, and must not load torch
    import torch

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


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``--learner neural`` options to ``icq train``."""
    g = parser.add_argument_group("neural learner (--learner neural; docs/theory.md §5–§6)")
    g.add_argument("--width", type=int, default=64, help="hidden width of every agent's MLP")
    g.add_argument("--depth", type=int, default=2, help="hidden layers (0 = linear)")
    g.add_argument("--activation", choices=ACTIVATIONS, default="relu")
    g.add_argument("--no-bias", action="store_true", help="layers without biases")
    g.add_argument("--optimizer", choices=OPTIMIZERS, default="sgd",
                   help="projected SGD (the theorem's algorithm) or Adam (practical)")
    g.add_argument("--lr", type=float,
                   help="step size for --schedule constant/harmonic (default 0.5 for SGD, in "
                        "tangent-feature units, i.e. the step on Q; 1e-3 for Adam)")
    g.add_argument("--schedule", choices=SCHEDULES, default="harmonic",
                   help="α = lr, α_t = lr/(1 + t/lr-decay), or α_t = 1/((1−κ)ω(t+1))")
    g.add_argument("--lr-decay", type=float, default=1000.0)
    g.add_argument("--kappa", type=float, help="κ of A6, for --schedule theory")
    g.add_argument("--feature-omega", type=float,
                   help="ω = λ_min(Σ) of A5 (tangent features), for --schedule theory")
    g.add_argument("--radius", type=float,
                   help="R_θ: keep ‖θ − θ₀‖₂ ≤ R (parameter units); default no projection")
    g.add_argument("--projection", choices=PROJECTIONS, default="agent",
                   help="per-agent balls of radius R/√N (decentralised) or one joint ball")
    g.add_argument("--batch", type=int, default=1, help="handoffs per update")
    g.add_argument("--no-average", action="store_true",
                   help="report the last iterate θ_T instead of the average θ̄_T")
    g.add_argument("--dtype", choices=DTYPE_NAMES, default="float64")
    g.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    g.add_argument("--threads", type=int, default=1,
                   help="torch threads while training (default 1: one per seed process, so "
                        "that parallel seeds do not oversubscribe the cores; 0 = torch's own "
                        "setting)")
    g.add_argument("--checkpoint-every", type=int, default=10_000,
                   help="handoffs between checkpoints (neural learner)")
