"""Tabular IC-Q (paper §3, eq. (4)–(5); docs/theory.md §2), compiled with numba.

One update per handoff, by the predecessor, on its own table entry ``(ô, j)``:

    target = R + γ^τ · V_j(ô'),   V_j(ô') = max_{j'} Q(ô', j')   (computed by the successor)
    Q(ô, j) ← Q(ô, j) + α_n (target − Q(ô, j))

with ``target = R`` when the episode ends (then it restarts from ν₀). This is rlax's
``q_learning`` with ``discount_t = γ^τ``: the step and the sampler are those of
:mod:`icq.reference.learners.smdp`, shared with every learner. The successor's value, the
duration and the reward are the only numbers that cross an agent boundary; the loop below fuses
all agents' tables into one array for speed, and :mod:`icq.reference.learners.runtime` runs the same
algorithm through separate agent objects on the same random stream (tested to agree bit for bit).

With a fixed behaviour policy the iterates converge to ``Q̂*_μ`` of the AIS-induced SMDP under the
behaviour chain's stationary law (agent-state Q-learning; imported result, docs/theory.md §2).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

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
from icq.reference.learners.smdp import STEP_MODES, _run, handoff_arrays, start_stream, theory_rate
from icq.reference.model import EpochModel

__all__ = ["TrainConfig", "TrainResult", "train_tabular"]


@dataclass(frozen=True)
class TrainConfig:
    """How tabular IC-Q is run.

    step : ``"harmonic"`` (``α_n = 1/n^omega`` per table entry), ``"constant"`` (``alpha``) or
        ``"theory"``: Theorem 1's ``α_t = 1/((1−κ)ω(t+1))`` on the global handoff clock, with
        ``kappa`` (A6) and ``feature_omega`` (A5) (docs/theory.md §6)
    exploration : ``"behavior"`` (the file's π_b, default) or ``"epsilon-greedy"`` (``epsilon``)
    radius : if set, project the table onto the Euclidean ball ``‖Q‖₂ ≤ radius`` after every
        update (Theorem 1's projection with one-hot features, where θ is the table)
    average : also return the averaged iterate ``θ̄_T = (1/T) Σ_{t=1..T} θ_t`` (θ_t: the table
        after t updates), accumulated lazily in O(1) per handoff

    The clock, the joint projection and the average need the whole table, so they are
    centralized conveniences for checking Theorem 1; the decentralized runtime refuses them.
    """

    handoffs: int = 1_000_000
    seed: int = 0
    step: str = "harmonic"
    omega: float = 0.7
    alpha: float = 0.05
    exploration: str = "behavior"
    epsilon: float = 0.1
    kappa: float | None = None
    feature_omega: float | None = None
    radius: float | None = None
    average: bool = False

    def __post_init__(self) -> None:
        if self.step not in ("harmonic", "constant", "theory"):
            raise ValueError(f"step: {self.step!r} is not 'harmonic', 'constant' or 'theory'")
        if self.step == "theory" and not (
                self.kappa is not None and 0.0 <= self.kappa < 1.0
                and self.feature_omega is not None and self.feature_omega > 0):
            raise ValueError(f"step 'theory' needs 0 <= kappa < 1 and feature_omega > 0 "
                             f"(got kappa={self.kappa}, feature_omega={self.feature_omega})")
        if self.radius is not None and not self.radius > 0:
            raise ValueError(f"radius: {self.radius} must be > 0")
        if self.exploration not in ("behavior", "epsilon-greedy"):
            raise ValueError(f"exploration: {self.exploration!r} is not 'behavior' or "
                             "'epsilon-greedy'")
        if not 0.5 < self.omega <= 1.0:
            raise ValueError(f"omega: {self.omega} outside (0.5, 1] (Robbins–Monro)")
        if self.handoffs < 0:
            raise ValueError("handoffs: must be >= 0")


@dataclass(frozen=True, eq=False)
class TrainResult:
    """The learned table over observation pairs and how it was obtained."""

    q: np.ndarray
    visits: np.ndarray
    handoffs: int
    episodes: int
    seconds: float
    config: TrainConfig
    method: str = "tabular IC-Q (numba-compiled asynchronous SMDP Q-learning)"
    q_average: np.ndarray | None = None
    extra: dict = field(default_factory=dict)


def _mode_alpha(config: TrainConfig) -> tuple[int, float]:
    """The compiled loop's step mode and α for ``config`` (one definition for every loop)."""
    mode = STEP_MODES[config.step]
    alpha = (theory_rate(config.kappa, config.feature_omega) if config.step == "theory"
             else config.alpha)
    return mode, alpha


@dataclass
class _State:
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


_KIND = "tabular-icq/2"
_SCALARS = ("y", "done", "episodes", "seconds", "norm2")


def _meta(model: EpochModel, config: TrainConfig) -> dict:
    cfg = asdict(config)
    cfg.pop("handoffs")
    return {"model": model_fingerprint(model), "config": cfg}


def _save(path: Path, st: _State, model: EpochModel, config: TrainConfig) -> None:
    """Atomic checkpoint (:mod:`icq.reference.learners.checkpoint`): state, model fingerprint,
    config."""
    arrays = {k: getattr(st, k) for k in ("q", "visits", "rng", "acc", "last")}
    arrays.update(y=np.int64(st.y), done=np.int64(st.done), episodes=np.int64(st.episodes),
                  seconds=np.float64(st.seconds), norm2=np.float64(st.norm2))
    save_checkpoint(path, _KIND, arrays, _meta(model, config))


def _load(path: Path, model: EpochModel, config: TrainConfig) -> _State:
    """Read and check a checkpoint completely before the compiled loop sees it."""
    P, f, i = (model.n_obs_pairs,), "<f8", "<i8"
    v = value_bound(model) * (1 + 1e-9)
    spec = {"q": ArraySpec(f, P, -v, v), "visits": ArraySpec(f, P, 0, integral=True),
            "acc": ArraySpec(f, P),
            "rng": ArraySpec("<u8", (4,), rng=True), "y": ArraySpec(i, (), 0, model.n_states - 1),
            "done": ArraySpec(i, (), 0), "episodes": ArraySpec(i, (), 0),
            "seconds": ArraySpec(f, (), 0), "norm2": ArraySpec(f, (), 0)}
    z = load_checkpoint(path, _KIND, _meta(model, config), spec)
    done = int(z["done"])
    problem = ArraySpec(f, P, 0, done).problem(z["last"]) if "last" in z else "missing"
    if problem:
        raise CheckpointError(path, f"entry 'last': {problem}")
    check_handoffs(path, done, config.handoffs)
    check_visits(path, z["visits"], done)
    return _State(q=z["q"].copy(), visits=z["visits"].copy(), rng=z["rng"].copy(),
                  acc=z["acc"].copy(), last=z["last"].copy(),
                  **{k: z[k].item() for k in _SCALARS})


def train_tabular(model: EpochModel, config: TrainConfig = TrainConfig(), *,
                  checkpoint: str | Path | None = None, resume: bool = False,
                  chunk: int = 2_000_000, progress: bool = False,
                  stop: Callable[[np.ndarray, int], bool] | None = None) -> TrainResult:
    """Run tabular IC-Q for ``config.handoffs`` handoffs.

    ``stop(q, handoffs)``, when given, is evaluated after each chunk on the current table and
    the number of handoffs done; training ends early when it returns True (the command line
    passes the Bellman-residual certificate of docs/theory.md §8 here).

    With ``checkpoint``, the state (table, visit counts, generator state, latent state) is
    written atomically after every ``chunk`` handoffs; ``resume=True`` continues from it and
    gives exactly the table an uninterrupted run would have.
    """
    arr = handoff_arrays(model)
    ckpt = resume_target(checkpoint, resume)
    if resume:
        st = _load(ckpt, model, config)
    else:
        rs, y0 = start_stream(arr, config.seed)
        zeros = np.zeros(model.n_obs_pairs)
        st = _State(q=zeros.copy(), visits=zeros.copy(), rng=rs, y=y0, done=0, episodes=0,
                    seconds=0.0, norm2=0.0, acc=zeros.copy(), last=zeros.copy())
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=config.handoffs, initial=st.done, unit="handoff", unit_scale=True)
    greedy = config.exploration == "epsilon-greedy"
    mode, alpha = _mode_alpha(config)
    while st.done < config.handoffs:
        n = min(chunk, config.handoffs - st.done)
        t0 = time.perf_counter()
        y, eps, st.norm2 = _run(n, st.rng, st.q, st.visits, st.y, arr["state_obs"],
                                arr["obs_ptr"], arr["beh_cdf"], arr["pair_ptr"], arr["out_ptr"],
                                arr["out_pack"], arr["init_cdf"], mode, config.omega, alpha,
                                greedy, config.epsilon, st.done, config.radius or 0.0,
                                st.norm2, config.average, st.acc, st.last)
        st.seconds += time.perf_counter() - t0
        st.y, st.done, st.episodes = int(y), st.done + n, st.episodes + int(eps)
        if ckpt is not None:
            _save(ckpt, st, model, config)
        if bar is not None:
            bar.update(n)
        if stop is not None and stop(st.q, st.done):
            break
    if bar is not None:
        bar.close()
    q_average = ((st.acc + st.q * (st.done - st.last)) / max(st.done, 1)
                 if config.average else None)
    return TrainResult(q=st.q, visits=st.visits, handoffs=st.done, episodes=st.episodes,
                       seconds=st.seconds, config=config, q_average=q_average)
