"""Tabular IC-Q (paper §3, eq. (4)–(5); docs/theory.md §2), compiled with numba.

One update per handoff, by the predecessor, on its own table entry ``(ô, j)``:

    target = R + γ^τ · V_j(ô'),   V_j(ô') = max_{j'} Q(ô', j')   (computed by the successor)
    Q(ô, j) ← Q(ô, j) + α_n (target − Q(ô, j))

with ``target = R`` when the episode ends (then it restarts from ν₀). This is rlax's
``q_learning`` with ``discount_t = γ^τ``: the step and the sampler are those of
:mod:`icq.reference.learners.handoffs`, shared with every learner. The successor's value, the
duration and the reward are the only numbers that cross an agent boundary; the loop below fuses
all agents' tables into one array for speed, and :mod:`icq.reference.learners.runtime` runs the same
algorithm through separate agent objects on the same random stream (tested to agree bit for bit).

With a fixed behaviour policy the iterates converge to ``Q̂*_μ`` of the AIS-induced SMDP under the
behaviour chain's stationary law (agent-state Q-learning; imported result, docs/theory.md §2).

:func:`train` runs any tabular :class:`~icq.reference.learners.spec.LearnerSpec` (docs/theory.md
§8, "The learner specification"): its step schedule, burn-in, Q₀, projection and iterate (last,
Polyak–Ruppert or tail average). :class:`TrainConfig` with :func:`train_tabular` is the older
entry: a spec under the old field names (``omega`` is the step exponent) plus ``handoffs`` and
``seed``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np
from tqdm import tqdm

from icq.reference.exact.induced import ais_model
from icq.reference.learners.checkpoint import (
    ArraySpec,
    CheckpointError,
    check_handoffs,
    check_visits,
    load_checkpoint,
    model_fingerprint,
    resume_target,
    save_checkpoint,
    value_bound,
)
from icq.reference.learners.handoffs import (
    STEP_MODES,
    StepParams,
    TableState,
    burn_in_handoffs,
    handoff_arrays,
    handoff_record,
    run_handoffs,
    start_stream,
    step_params,
    table_norm2,
    theory_rate,
)
from icq.reference.learners.spec import LearnerSpec
from icq.reference.model import EpochModel

__all__ = ["TrainConfig", "TrainResult", "kernel_params", "train", "train_tabular"]


#: the default learner: :class:`TrainConfig`'s defaults and :func:`train`'s ``spec`` are its fields
_SPEC = LearnerSpec()


@dataclass(frozen=True)
class TrainConfig:
    """A tabular :class:`~icq.reference.learners.spec.LearnerSpec` under the older field names,
    plus the run's ``handoffs`` (updates, after the burn-in) and ``seed``.

    ``omega`` is the spec's ``step_exponent`` (the harmonic step 1/n^ω); ``average`` is
    ``False`` (the last iterate), ``True`` (the Polyak–Ruppert average θ̄_T = (1/T)
    Σ_{t=0}^{T−1} θ_t) or ``"tail:F"``; every other field is the spec's. :attr:`spec` is the
    spec; :meth:`from_spec` the inverse. The clock, the joint projection, the average and the
    rescaled step need the whole table (or the model), so the decentralized runtime refuses
    them.
    """

    handoffs: int = 1_000_000
    seed: int = 0
    step: str = _SPEC.step
    omega: float = _SPEC.step_exponent
    alpha: float = _SPEC.alpha
    exploration: str = _SPEC.exploration
    epsilon: float = _SPEC.epsilon
    kappa: float | None = _SPEC.kappa
    feature_omega: float | None = _SPEC.feature_omega
    radius: float | None = _SPEC.radius
    average: bool | str = _SPEC.averaged  # False: the spec's default ``last``
    burn_in: int = _SPEC.burn_in
    q0: float = _SPEC.q0

    def __post_init__(self) -> None:
        if self.average in (True, "polyak"):
            object.__setattr__(self, "average", "polyak")
        elif self.average in (False, "last"):
            object.__setattr__(self, "average", False)
        spec = self.spec  # validates every field (ValueError naming it)
        if spec.step == "theory" and (spec.kappa is None or spec.feature_omega is None):
            raise ValueError(f"step 'theory' needs 0 <= kappa < 1 and feature_omega > 0 "
                             f"(got kappa={self.kappa}, feature_omega={self.feature_omega})")
        if isinstance(self.handoffs, bool) or not isinstance(self.handoffs, int) \
                or self.handoffs < 0:
            raise ValueError(f"handoffs: {self.handoffs!r} must be an integer >= 0")

    @property
    def spec(self) -> LearnerSpec:
        """The learner this configuration runs."""
        return LearnerSpec(**{s: getattr(self, c) for c, s in _SPEC_FIELD.items()},
                           average=self.average or "last")

    @classmethod
    def from_spec(cls, spec: LearnerSpec, handoffs: int = 1_000_000,
                  seed: int = 0) -> TrainConfig:
        """The configuration of a tabular ``spec`` run for ``handoffs`` with ``seed``."""
        if spec.representation != "tabular":
            raise ValueError(f"learner: {spec.representation!r} is not the tabular learner")
        return cls(handoffs=handoffs, seed=seed,
                   **{c: getattr(spec, s) for c, s in _SPEC_FIELD.items()},
                   average=False if spec.average == "last" else spec.average)


#: :class:`TrainConfig` field -> its :class:`LearnerSpec` field (all but ``handoffs``,
#: ``seed`` and ``average``, whose values differ: ``False`` is the spec's ``"last"``)
_SPEC_FIELD = {f.name: "step_exponent" if f.name == "omega" else f.name
               for f in fields(TrainConfig) if f.name not in ("handoffs", "seed", "average")}


@dataclass(frozen=True, eq=False)
class TrainResult:
    """The learned table over observation pairs and how it was obtained.

    ``q`` is the last iterate θ_T; ``q_average`` the averaged iterate of an averaging spec
    (else None); :attr:`q_reported` the spec's iterate. ``handoffs`` counts updates (the
    burn-in's ``spec.burn_in`` handoffs excluded), ``episodes`` the episodes they ended.
    """

    q: np.ndarray
    visits: np.ndarray
    handoffs: int
    episodes: int
    seconds: float
    config: TrainConfig
    method: str = "tabular IC-Q (numba-compiled asynchronous SMDP Q-learning)"
    q_average: np.ndarray | None = None
    extra: dict = field(default_factory=dict)

    @property
    def spec(self) -> LearnerSpec:
        """The learner that was run."""
        return self.config.spec

    @property
    def q_reported(self) -> np.ndarray:
        """The spec's iterate: θ̄_T for an averaging spec, else θ_T."""
        return self.q if self.q_average is None else self.q_average


def kernel_params(spec: LearnerSpec, model: EpochModel) -> StepParams:
    """The compiled loops' step parameters of a tabular ``spec`` on ``model``: the step mode
    and its constant — ``alpha`` (constant), ``1/((1 − κ)ω)`` (theory: :func:`theory_rate`),
    ``1 − γ̂`` (rescaled, γ̂ the largest row mass of K̂) — exploration and radius (0: none)."""
    if spec.representation != "tabular":
        raise ValueError(f"learner: {spec.representation!r} is not the tabular learner")
    if spec.step == "theory":
        if spec.kappa is None or spec.feature_omega is None:
            raise ValueError("step: 'theory' needs κ (A6) and ω (A5) of the model: "
                             "LearnerSpec.with_theory_constants(kappa, omega)")
        alpha = theory_rate(spec.kappa, spec.feature_omega)
    elif spec.step == "rescaled":
        alpha = 1.0 - ais_model(model).smdp.gamma_bar
    else:
        alpha = spec.alpha
    return step_params(STEP_MODES[spec.step], spec.step_exponent, alpha,
                       spec.exploration == "epsilon-greedy", spec.epsilon, spec.radius or 0.0)


@dataclass
class CheckpointState:
    """What a tabular checkpoint holds: the table, visit counts, the generator's state, the
    latent state, the counts done and the average's lazy sums (:func:`save_state`)."""

    q: np.ndarray
    visits: np.ndarray
    rng: np.ndarray
    y: int
    done: int
    episodes: int
    seconds: float
    norm2: float
    acc: np.ndarray
    last: np.ndarray


_KIND = "tabular-icq/3"  # /3: the spec in the meta, the average over θ_0..θ_{T−1}
_SCALARS = ("y", "done", "episodes", "seconds", "norm2")


def checkpoint_meta(model: EpochModel, spec: LearnerSpec, seed: int, start: int | None) -> dict:
    """The checkpoint's meta: the model's fingerprint; under ``config`` every field of the spec,
    the seed and, for a tail average, its first averaged update (it depends on ``handoffs``)."""
    config = {**spec.to_json(), "seed": seed}
    if start is not None:
        config["average_start"] = start
    return {"model": model_fingerprint(model), "config": config}


def save_state(path: Path, st: CheckpointState, meta: dict) -> None:
    """Atomic checkpoint (:mod:`icq.reference.learners.checkpoint`): state, model fingerprint,
    spec and seed."""
    arrays = {k: getattr(st, k) for k in ("q", "visits", "rng", "acc", "last")}
    arrays.update(y=np.int64(st.y), done=np.int64(st.done), episodes=np.int64(st.episodes),
                  seconds=np.float64(st.seconds), norm2=np.float64(st.norm2))
    save_checkpoint(path, _KIND, arrays, meta)


def load_state(path: Path, model: EpochModel, meta: dict, handoffs: int) -> CheckpointState:
    """Read and check a checkpoint completely before the compiled loop sees it."""
    P, f, i = (model.n_obs_pairs,), "<f8", "<i8"
    v = value_bound(model) * (1 + 1e-9)
    spec = {"q": ArraySpec(f, P, -v, v), "visits": ArraySpec(f, P, 0, integral=True),
            "acc": ArraySpec(f, P),
            "rng": ArraySpec("<u8", (4,), rng=True), "y": ArraySpec(i, (), 0, model.n_states - 1),
            "done": ArraySpec(i, (), 0), "episodes": ArraySpec(i, (), 0),
            "seconds": ArraySpec(f, (), 0), "norm2": ArraySpec(f, (), 0)}
    z = load_checkpoint(path, _KIND, meta, spec)
    done = int(z["done"])
    problem = ArraySpec(f, P, 0, done).problem(z["last"]) if "last" in z else "missing"
    if problem:
        raise CheckpointError(path, f"entry 'last': {problem}")
    check_handoffs(path, done, handoffs)
    check_visits(path, z["visits"], done)
    return CheckpointState(q=z["q"].copy(), visits=z["visits"].copy(), rng=z["rng"].copy(),
                  acc=z["acc"].copy(), last=z["last"].copy(),
                  **{k: z[k].item() for k in _SCALARS})


def train(model: EpochModel, spec: LearnerSpec = _SPEC, *, handoffs: int = 1_000_000,
          seed: int = 0, checkpoint: str | Path | None = None, resume: bool = False,
          chunk: int = 2_000_000, progress: bool = False,
          stop: Callable[[np.ndarray, int], bool] | None = None) -> TrainResult:
    """Run the tabular learner ``spec`` for ``handoffs`` updates after its burn-in (docs/theory.md
    §8, "The learner specification").

    The burn-in's ``spec.burn_in`` handoffs are drawn first, on the same random stream, without
    an update; the update clock ``t`` starts at 0 after them. The averaged iterate of
    ``polyak`` is θ̄_T = (1/T) Σ_{t=0}^{T−1} θ_t (θ_0 = Q₀), of ``tail:F`` the mean of θ_t for
    ``t ≥ T − ⌈F·T⌉`` (:meth:`LearnerSpec.average_start`), accumulated lazily in O(1) per
    update (an empty average, T = 0, is θ_0).

    ``stop(q, handoffs)``, when given, is evaluated after each chunk on the last iterate and the
    number of updates done; training ends early when it returns True (the command line passes
    the Bellman-residual certificate of docs/theory.md §8 here); an averaging spec refuses it.

    With ``checkpoint``, the state (table, visit counts, prefix sums, generator state, latent
    state) is written atomically after every ``chunk`` updates, with the spec and seed;
    ``resume=True`` continues from it and gives exactly the table an uninterrupted run would
    have.
    """
    S = kernel_params(spec, model)  # noqa: N806
    config = TrainConfig.from_spec(spec, handoffs, seed)  # validates handoffs
    if stop is not None and spec.averaged:
        raise ValueError(f"average: {spec.average!r}: the stopping rule reads the last iterate; "
                         "stop early with the last iterate only")
    arr = handoff_arrays(model)
    H = handoff_record(arr)  # noqa: N806
    start = spec.average_start(handoffs) if spec.averaged else None
    meta = checkpoint_meta(model, spec, seed, start if spec.tail_fraction is not None else None)
    ckpt = resume_target(checkpoint, resume)
    if resume:
        st = load_state(ckpt, model, meta, handoffs)
    else:
        rs, y0 = start_stream(arr, seed)
        q = np.full(model.n_obs_pairs, float(spec.q0))
        zeros = np.zeros(model.n_obs_pairs)
        t0 = time.perf_counter()
        y0 = burn_in_handoffs(spec.burn_in, rs, y0, H, S, q) if spec.burn_in else y0
        st = CheckpointState(q=q, visits=zeros.copy(), rng=rs, y=int(y0), done=0, episodes=0,
                    seconds=time.perf_counter() - t0, norm2=table_norm2(q) if spec.q0 else 0.0,
                    acc=zeros.copy(), last=zeros.copy())
    bar = None
    if progress:
        bar = tqdm(total=handoffs, initial=st.done, unit="handoff", unit_scale=True)
    while st.done < handoffs:
        n = min(chunk, handoffs - st.done)
        averaging = start is not None and st.done >= start
        if start is not None and st.done < start:
            n = min(n, start - st.done)
        elif averaging and st.done == start:  # the average starts here: Σ over t ≥ start
            st.acc[:] = 0.0
            st.last[:] = start
        t0 = time.perf_counter()
        y, eps, st.norm2 = run_handoffs(n, st.rng, st.y, st.done, st.norm2, averaging, H, S,
                                TableState(st.q, st.visits, st.acc, st.last))
        st.seconds += time.perf_counter() - t0
        st.y, st.done, st.episodes = int(y), st.done + n, st.episodes + int(eps)
        if ckpt is not None:
            save_state(ckpt, st, meta)
        if bar is not None:
            bar.update(n)
        if stop is not None and stop(st.q, st.done):
            break
    if bar is not None:
        bar.close()
    q_average = None
    if start is not None:
        q_average = ((st.acc + st.q * (st.done - st.last)) / (st.done - start)
                     if st.done > start else st.q.copy())
    return TrainResult(q=st.q, visits=st.visits, handoffs=st.done, episodes=st.episodes,
                       seconds=st.seconds, config=config, q_average=q_average)


def train_tabular(model: EpochModel, config: TrainConfig = TrainConfig(), *,
                  checkpoint: str | Path | None = None, resume: bool = False,
                  chunk: int = 2_000_000, progress: bool = False,
                  stop: Callable[[np.ndarray, int], bool] | None = None) -> TrainResult:
    """Run tabular IC-Q for ``config.handoffs`` handoffs: :func:`train` of ``config.spec``
    (see there for ``checkpoint``, ``resume``, ``chunk``, ``progress`` and ``stop``)."""
    return train(model, config.spec, handoffs=config.handoffs, seed=config.seed,
                 checkpoint=checkpoint, resume=resume, chunk=chunk, progress=progress,
                 stop=stop)
