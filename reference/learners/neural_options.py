"""The ``--learner neural`` options of ``icq train``, without importing torch.

The names of the neural learner's choices live here so that building the command line stays
fast; :mod:`icq.reference.learners.neural` uses the same tuples.
"""

from __future__ import annotations

import argparse

__all__ = ["ACTIVATIONS", "OPTIMIZERS", "SCHEDULES", "PROJECTIONS", "DTYPE_NAMES",
           "add_train_arguments"]

ACTIVATIONS = ("relu", "tanh")
OPTIMIZERS = ("sgd", "adam")
SCHEDULES = ("constant", "harmonic", "theory")
PROJECTIONS = ("agent", "joint")
DTYPE_NAMES = ("float64", "float32")


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
