"""One learner specification for every tool: what ``icq train`` runs, what ``icq budget``
certifies and what the theorem rows cover (docs/theory.md §8, "The learner specification").

A :class:`LearnerSpec` fixes everything about a learner except how long it runs and its seed:

- representation: ``tabular`` (one entry per observation pair), ``linear`` (features from a
  file, ``features``) or ``neural`` (one MLP per agent, ``width`` × ``depth``);
- step schedule (``step``), per table entry ``n`` = its visit count, global clock ``t`` = the
  number of updates made before this one (burn-in handoffs are not updates):

  * ``harmonic``: α_n = 1/n^ω, ω = ``step_exponent`` in (0.5, 1];
  * ``rescaled``: α_n = 1/(1 + (1 − γ̂) n), γ̂ the largest row mass of K̂ (the rescaled-linear
    schedule of the sharp tabular Q-learning analyses);
  * ``constant``: α = ``alpha`` in (0, 1];
  * ``theory``: Theorem 1's α_t = 1/((1 − κ) ω_A5 (t + 1)) (docs/theory.md §6), with κ (A6) and
    ω_A5 (A5) of the features; they are properties of the model, filled in by
    :meth:`LearnerSpec.with_theory_constants` before the learner runs;
- iterate (``average``): ``last`` (θ_T), ``polyak`` (θ̄_T = (1/T) Σ_{t=0}^{T−1} θ_t, the iterates
  before each update, as in docs/theory.md §6) or ``tail:F`` (the same mean over the last
  ⌈F·T⌉ of those iterates, 0 < F < 1);
- ``burn_in`` t_b: handoffs sampled from the behaviour chain before the first update (the
  start-law burn-in of Theorem 1; the chain moves, the table does not, the clock does not run);
- ``radius`` R: projection onto the Euclidean ball ‖θ‖₂ ≤ R after every update (None: none);
- ``exploration``: ``behavior`` (the file's π_b) or ``epsilon-greedy`` (``epsilon`` in [0, 1]);
- ``q0``: the initial value of every table entry (tabular).

The spec is validated when it is made (every option finite and in its range, exit status 2 on
the command line), and :meth:`LearnerSpec.argv` gives back the exact ``icq train`` options that
run it: :func:`add_learner_arguments` and :func:`spec_from_args` are the one option table of
``icq train`` and ``icq budget``.

>>> s = LearnerSpec(step="constant", alpha=0.1, average="tail:0.5")
>>> s.argv()
['--learner', 'tabular', '--step', 'constant', '--alpha', '0.1', '--average', 'tail:0.5']
>>> s.tail_fraction
0.5
>>> LearnerSpec(alpha=float("nan"))
Traceback (most recent call last):
...
ValueError: alpha: nan must be a finite number in (0, 1]
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass, fields, replace
from typing import Any

__all__ = ["AVERAGES", "EXPLORATIONS", "REPRESENTATIONS", "STEPS", "LearnerSpec",
           "add_learner_arguments", "spec_from_args"]

REPRESENTATIONS = ("tabular", "linear", "neural")
STEPS = ("harmonic", "rescaled", "constant", "theory")
EXPLORATIONS = ("behavior", "epsilon-greedy")
#: the iterate choices; ``tail:F`` carries a fraction
AVERAGES = ("last", "polyak", "tail:F")


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _parse_tail(average: str) -> float | None:
    """F of ``tail:F``; None for ``last``/``polyak``; ValueError otherwise."""
    if average in ("last", "polyak"):
        return None
    head, _, frac = average.partition(":")
    try:
        f = float(frac) if head == "tail" else math.nan
    except ValueError:
        f = math.nan
    if not (math.isfinite(f) and 0.0 < f < 1.0):
        raise ValueError(f"average: {average!r} is not 'last', 'polyak' or 'tail:F' with "
                         "0 < F < 1")
    return f


@dataclass(frozen=True)
class LearnerSpec:
    """A learner, complete but for its length and seed (see the module docstring).

    Attributes
    ----------
    representation : ``tabular``, ``linear`` or ``neural``
    features : the feature file of ``linear`` (``icq audit --features FILE``'s format)
    width, depth : the MLP of ``neural`` (hidden width, hidden layers)
    step, step_exponent, alpha : the step schedule (module docstring)
    average : ``last``, ``polyak`` or ``tail:F``
    burn_in : handoffs before the first update
    radius : projection radius R (None: no projection)
    exploration, epsilon : the behaviour while learning
    q0 : initial table value (tabular)
    kappa, feature_omega : κ (A6) and ω (A5) of the ``theory`` step, filled in from the model
    """

    representation: str = "tabular"
    features: str | None = None
    width: int = 64
    depth: int = 2
    step: str = "harmonic"
    step_exponent: float = 0.7
    alpha: float = 0.05
    average: str = "last"
    burn_in: int = 0
    radius: float | None = None
    exploration: str = "behavior"
    epsilon: float = 0.1
    q0: float = 0.0
    kappa: float | None = None
    feature_omega: float | None = None

    def __post_init__(self) -> None:
        problems = self.problems()
        if problems:
            raise ValueError("\n".join(problems))

    def problems(self) -> list[str]:
        """Every rule the spec breaks, one line each, naming the option (empty: valid)."""
        out = []
        if self.representation not in REPRESENTATIONS:
            out.append(f"learner: {self.representation!r} is not one of "
                       f"{', '.join(REPRESENTATIONS)}")
        if self.representation == "linear" and not self.features:
            out.append("features: the linear learner needs a feature file")
        if self.representation != "linear" and self.features is not None:
            out.append(f"features: only the linear learner reads a feature file "
                       f"(learner {self.representation!r})")
        for name in ("width", "depth"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                out.append(f"{name}: {v!r} must be an integer >= 1")
        if self.step not in STEPS:
            out.append(f"step: {self.step!r} is not one of {', '.join(STEPS)}")
        if not (_finite(self.step_exponent) and 0.5 < self.step_exponent <= 1.0):
            out.append(f"omega: {self.step_exponent} must be a finite number in (0.5, 1] "
                       "(Robbins–Monro)")
        if not (_finite(self.alpha) and 0.0 < self.alpha <= 1.0):
            out.append(f"alpha: {self.alpha} must be a finite number in (0, 1]")
        try:
            _parse_tail(self.average)
        except ValueError as exc:
            out.append(str(exc))
        if isinstance(self.burn_in, bool) or not isinstance(self.burn_in, int) or self.burn_in < 0:
            out.append(f"burn-in: {self.burn_in!r} must be an integer >= 0")
        if self.radius is not None and not (_finite(self.radius) and self.radius > 0):
            out.append(f"radius: {self.radius} must be a finite number > 0")
        if self.exploration not in EXPLORATIONS:
            out.append(f"exploration: {self.exploration!r} is not one of "
                       f"{', '.join(EXPLORATIONS)}")
        if not (_finite(self.epsilon) and 0.0 <= self.epsilon <= 1.0):
            out.append(f"epsilon: {self.epsilon} must be a finite number in [0, 1]")
        if not _finite(self.q0):
            out.append(f"q0: {self.q0} must be a finite number")
        if self.kappa is not None and not (_finite(self.kappa) and 0.0 <= self.kappa < 1.0):
            out.append(f"kappa: {self.kappa} must lie in [0, 1) for the theory step (A6)")
        if self.feature_omega is not None and not (_finite(self.feature_omega)
                                                   and self.feature_omega > 0):
            out.append(f"feature_omega: {self.feature_omega} must be > 0 (A5)")
        return out

    @property
    def tail_fraction(self) -> float | None:
        """F of ``tail:F`` (None for ``last`` and ``polyak``)."""
        return _parse_tail(self.average)

    @property
    def averaged(self) -> bool:
        """Whether the reported iterate is an average (``polyak`` or ``tail:F``)."""
        return self.average != "last"

    def average_start(self, handoffs: int) -> int:
        """The first update index whose iterate enters the average over ``handoffs`` updates:
        0 for ``polyak``, ``T − ⌈F·T⌉`` for ``tail:F``, ``T`` for ``last`` (no average)."""
        if self.average == "last":
            return handoffs
        f = self.tail_fraction
        return 0 if f is None else handoffs - math.ceil(f * handoffs)

    def with_theory_constants(self, kappa: float, feature_omega: float) -> LearnerSpec:
        """The spec with κ and ω of the ``theory`` step filled in (validated)."""
        return replace(self, kappa=kappa, feature_omega=feature_omega)

    def argv(self) -> list[str]:
        """The ``icq train`` options that run this spec (defaults left out, in a fixed order);
        ``icq budget`` takes the same options."""
        default = LearnerSpec()
        out = ["--learner", self.representation]
        for f in fields(self):
            if f.name in ("representation", "kappa", "feature_omega"):
                continue
            v = getattr(self, f.name)
            if v == getattr(default, f.name) or v is None:
                continue
            out += [_OPTION[f.name], _text(v)]
        return out

    def words(self) -> str:
        """The learner in words, as a certificate's claim names it."""
        rep = {"tabular": "tabular IC-Q", "linear": f"linear IC-Q (features {self.features})",
               "neural": f"neural IC-Q ({self.depth}×{self.width} MLP per agent)"}
        step = {"harmonic": f"harmonic steps 1/n^{self.step_exponent:g} per entry",
                "rescaled": "rescaled-linear steps 1/(1 + (1 − γ̂)n) per entry",
                "constant": f"constant step {self.alpha:g}",
                "theory": "Theorem 1's steps 1/((1 − κ)ω(t + 1))"}
        expl = ("the file's behaviour policy π_b" if self.exploration == "behavior"
                else f"ε-greedy exploration (ε = {self.epsilon:g})")
        f = self.tail_fraction
        it = ("last iterate" if self.average == "last" else
              "Polyak–Ruppert average of all iterates" if f is None else
              f"average of the last {f:g} of the iterates")
        parts = [step.get(self.step, self.step), expl, it]
        if self.burn_in:
            parts.append(f"burn-in {self.burn_in:,} handoffs")
        if self.radius is not None:
            parts.append(f"projection radius {self.radius:g}")
        if self.q0:
            parts.append(f"Q₀ = {self.q0:g}")
        return f"{rep.get(self.representation, self.representation)} ({', '.join(parts)})"

    def to_json(self) -> dict[str, Any]:
        """The spec as a JSON object (every field)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


#: spec field -> its command-line option (the one table of ``icq train`` and ``icq budget``)
_OPTION = {"features": "--features", "width": "--width", "depth": "--depth", "step": "--step",
           "step_exponent": "--omega", "alpha": "--alpha", "average": "--average",
           "burn_in": "--burn-in", "radius": "--radius", "exploration": "--exploration",
           "epsilon": "--epsilon", "q0": "--q0"}


def _text(v: Any) -> str:
    return repr(v) if isinstance(v, float) else str(v)


def add_learner_arguments(p: argparse.ArgumentParser, *, features: bool = True) -> None:
    """The learner options of ``icq train`` and ``icq budget`` (one table: :data:`_OPTION`).

    ``features=False`` leaves out ``--features`` for a command that already has an option of
    that name with another meaning; it then reads the linear learner's file from there."""
    d = LearnerSpec()
    p.add_argument("--learner", choices=REPRESENTATIONS, default=d.representation,
                   help="tabular (default), linear (with --features FILE) or neural")
    if features:
        p.add_argument("--features", default=None, help="the linear learner's feature file")
    p.add_argument("--width", type=int, default=d.width, help="neural: hidden width")
    p.add_argument("--depth", type=int, default=d.depth, help="neural: hidden layers")
    p.add_argument("--step", choices=STEPS, default=d.step,
                   help="harmonic 1/n^ω (default), rescaled 1/(1+(1−γ̂)n), constant α, or "
                   "Theorem 1's theory step")
    p.add_argument("--omega", type=float, default=d.step_exponent, dest="step_exponent",
                   help=f"harmonic step exponent ω in (0.5, 1] (default {d.step_exponent})")
    p.add_argument("--alpha", type=float, default=d.alpha,
                   help=f"constant step α in (0, 1] (default {d.alpha})")
    p.add_argument("--average", default=d.average,
                   help="the iterate: last (default), polyak or tail:F (the last fraction F)")
    p.add_argument("--burn-in", type=int, default=d.burn_in, dest="burn_in",
                   help="handoffs before the first update (default 0)")
    p.add_argument("--radius", type=float, default=None,
                   help="project onto ‖θ‖₂ ≤ R after every update")
    p.add_argument("--exploration", choices=EXPLORATIONS, default=d.exploration)
    p.add_argument("--epsilon", type=float, default=d.epsilon,
                   help="ε of epsilon-greedy exploration, in [0, 1]")
    p.add_argument("--q0", type=float, default=d.q0, help="initial table value (default 0)")


def spec_from_args(args: argparse.Namespace) -> LearnerSpec:
    """The :class:`LearnerSpec` of :func:`add_learner_arguments`' options; ValueError (one line
    per problem, each naming its option) if invalid."""
    values = {f: getattr(args, f) for f in _OPTION if hasattr(args, f)}
    values["representation"] = args.learner
    if values.get("representation") != "linear":
        values["features"] = None
    return LearnerSpec(**values)
