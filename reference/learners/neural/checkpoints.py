"""The training state of neural IC-Q and its checkpoints (exact resume).

:class:`TrainState` is everything a run carries between chunks; :func:`save_state` writes it
atomically with the model fingerprint and the configuration (:func:`config_json`), and
:func:`load_state` reads it back, every array checked against a fresh state of the run
(:mod:`icq.reference.learners.checkpoint`) before the training loop sees it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from icq.reference.learners.checkpoint import (
    ArraySpec,
    CheckpointError,
    check_visits,
    load_checkpoint,
    save_checkpoint,
)
from icq.reference.learners.neural.networks import AgentNetworks
from icq.reference.learners.neural.options import NeuralConfig
from icq.reference.learners.neural.sampling import Stream
from icq.reference.model import EpochModel

__all__: list[str] = []


@dataclass
class TrainState:
    """Everything a run carries between chunks, for S seeds (what a checkpoint stores)."""

    delta: torch.Tensor
    u: torch.Tensor
    m: torch.Tensor
    v: torch.Tensor
    k: torch.Tensor
    t: int
    visits: np.ndarray
    streams: list[Stream]
    seconds: float

    @classmethod
    def fresh(cls, theta0: torch.Tensor, streams: list[Stream], n_pairs: int) -> TrainState:
        z = torch.zeros_like(theta0)
        S, N = theta0.shape[:2]
        return cls(delta=z, u=z.clone(), m=z.clone(), v=z.clone(),
                   k=torch.zeros((S, N), dtype=theta0.dtype, device=theta0.device), t=0,
                   visits=np.zeros((S, n_pairs), dtype=np.int64), streams=streams, seconds=0.0)


def config_json(config: NeuralConfig, nets: AgentNetworks, seeds: tuple[int, ...]) -> str:
    """The run's configuration as a checkpoint's meta stores it: every field of ``config`` but
    ``handoffs`` and ``threads``, the seeds and the encoding's name and digest."""
    d = asdict(config)
    d.pop("handoffs")
    d.pop("threads")
    d["seed"] = list(seeds)
    d["adam_betas"] = list(d["adam_betas"])
    d["encoding"] = [nets.encoding_name, nets.encoding_digest]
    return json.dumps(d, sort_keys=True)


_STATE_TENSORS = ("delta", "u", "m", "v", "k")


_KIND = "neural-icq/2"


def save_state(path: Path, st: TrainState, meta: dict) -> None:
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


def check_table(path: Path, nets: list[AgentNetworks], st: TrainState) -> None:
    """The resumed networks' tables are finite: a δ that passes as a finite array (1e308) can
    still overflow the forward pass into NaN, which would then be trained on and certified."""
    for i, n in enumerate(nets):
        with torch.no_grad():
            q = n.outputs(st.delta[i])
        if not torch.isfinite(q).all():
            raise CheckpointError(path, f"entry 'delta': seed {i}'s network gives a non-finite "
                                  "table (NaN or ±∞) with this δ")


def load_state(path: Path, meta: dict, model: EpochModel, theta0: torch.Tensor) -> TrainState:
    """Read and check a checkpoint completely (every array against the shape and dtype of a
    fresh state of this run) before the training loop sees it."""
    fresh = TrainState.fresh(theta0, [], model.n_obs_pairs)
    S = theta0.shape[0]
    spec = {n: ArraySpec.like(getattr(fresh, n)) for n in _STATE_TENSORS}
    spec.update(t=ArraySpec("<i8", (), 0), visits=ArraySpec.like(fresh.visits, 0),
                rng=ArraySpec("<u8", (S, 4), rng=True),
                y=ArraySpec("<i8", (S,), 0, model.n_states - 1),
                episodes=ArraySpec("<i8", (S,), 0), seconds=ArraySpec("<f8", (), 0))
    z = load_checkpoint(path, _KIND, meta, spec)
    check_visits(path, z["visits"], int(z["t"]) * int(meta["config"].get("batch", 1)))
    t = lambda a: torch.as_tensor(a, dtype=theta0.dtype, device=theta0.device)  # noqa: E731
    streams = [Stream(rng=z["rng"][i].copy(), y=int(z["y"][i]), episodes=int(z["episodes"][i]))
               for i in range(S)]
    return TrainState(**{n: t(z[n]) for n in _STATE_TENSORS}, t=int(z["t"]),
                       visits=z["visits"].copy(), streams=streams, seconds=float(z["seconds"]))
