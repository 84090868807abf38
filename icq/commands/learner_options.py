"""The learner options of the command line: the one table of
:func:`icq.reference.learners.spec.add_learner_arguments` (``icq train``, ``icq budget``) read
into a :class:`~icq.reference.learners.spec.LearnerSpec` with exit status 2 on bad input, and
the older neural learner's own options (``icq train --learner neural``; docs/theory.md §8,
"The learner specification").
"""

from __future__ import annotations

import argparse
from typing import Any

from icq.commands import UsageError
from icq.reference.learners.neural.options import (
    ACTIVATIONS,
    DTYPE_NAMES,
    OPTIMIZERS,
    PROJECTIONS,
)
from icq.reference.learners.spec import LearnerSpec, add_learner_arguments, spec_from_args

__all__ = ["OLDER_NEURAL", "add_learner_arguments", "add_older_neural_arguments",
           "learner_spec", "older_neural_options"]

#: the older neural learner's own options (``train_neural``) and their defaults: any of them
#: given on the command line (even at its default), or ``--checkpoint``, runs ``--learner
#: neural`` on it instead of the network certificate's learner
OLDER_NEURAL = {"activation": "relu", "no_bias": False, "optimizer": "sgd", "lr": None,
                "lr_decay": 1000.0, "projection": "agent", "batch": 1, "dtype": "float64",
                "threads": 1, "checkpoint_every": 10_000}


def learner_spec(args: argparse.Namespace) -> LearnerSpec:
    """The spec of the parsed options; κ and ω of the neural theory step from ``--kappa`` and
    ``--feature-omega`` when given. UsageError (exit 2, one line per problem) if invalid."""
    try:
        spec = spec_from_args(args)
        kappa, omega = getattr(args, "kappa", None), getattr(args, "feature_omega", None)
        if kappa is not None or omega is not None:
            if spec.step != "theory" or spec.representation != "neural":
                raise ValueError("kappa, feature-omega: only --learner neural --step theory "
                                 "reads them (the tabular and linear theory steps take κ and "
                                 "ω from the audit of their features)")
            spec = spec.with_theory_constants(kappa, omega)
    except ValueError as exc:  # each line names its option
        raise UsageError("\n".join(f"--{line}" for line in str(exc).splitlines())) from None
    return spec


def add_older_neural_arguments(p: argparse.ArgumentParser) -> None:
    """The older neural learner's options (``icq train --learner neural``) and the theory
    step's constants of the network learners."""
    d = OLDER_NEURAL
    g = p.add_argument_group("older neural learner (--learner neural with any of these or "
                             "--checkpoint; docs/theory.md §5–§6)")
    g.add_argument("--activation", choices=ACTIVATIONS, default=None,
                   help=f"default {d['activation']}")
    g.add_argument("--no-bias", action="store_true", help="layers without biases")
    g.add_argument("--optimizer", choices=OPTIMIZERS, default=None,
                   help="projected SGD (the theorem's algorithm) or Adam (practical)")
    g.add_argument("--lr", type=float, default=None,
                   help="--step harmonic: its lr/(1 + t/lr-decay) (default 0.5 for SGD, 1e-3 "
                   "for Adam)")
    g.add_argument("--lr-decay", type=float, default=None)
    g.add_argument("--projection", choices=PROJECTIONS, default=None,
                   help="per-agent balls of radius R/√N or one joint ball")
    g.add_argument("--batch", type=int, default=None, help="handoffs per update")
    g.add_argument("--dtype", choices=DTYPE_NAMES, default=None)
    g.add_argument("--threads", type=int, default=None,
                   help="torch threads while training (0 = torch's own setting)")
    g.add_argument("--checkpoint-every", type=int, default=None,
                   help="handoffs between checkpoints")
    n = p.add_argument_group("network learners (--learner linear|neural)")
    n.add_argument("--device", default=None,
                   help="cpu, cuda or cuda:N (default: CUDA when present)")
    n.add_argument("--kappa", type=float, default=None,
                   help="κ of A6 for --step theory with --learner neural (tangent features)")
    n.add_argument("--feature-omega", type=float, default=None,
                   help="ω = λ_min(Σ) of A5 for --step theory with --learner neural")


def older_neural_options(args: argparse.Namespace) -> dict[str, Any] | None:
    """The older neural learner's :class:`NeuralConfig` fields of the parsed options, or None
    when none of :data:`OLDER_NEURAL` is set and there is no ``--checkpoint`` (then the
    network certificate's learner runs)."""
    given = {k: getattr(args, k) for k in OLDER_NEURAL
             if getattr(args, k) not in (None, False)}
    if not given and not args.checkpoint:
        return None
    v = {**OLDER_NEURAL, **given}
    if v["checkpoint_every"] < 1:
        raise UsageError(f"--checkpoint-every: {v['checkpoint_every']} must be >= 1")
    out = {k: v[k] for k in OLDER_NEURAL if k not in ("no_bias", "threads")}
    out.update(bias=not v["no_bias"], threads=v["threads"] or None,
               device=args.device or "cpu")
    return out
