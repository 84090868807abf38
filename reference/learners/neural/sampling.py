"""Sampling handoffs under the behaviour policy (the same draws as the tabular learner).

The compiled sampler is the one every learner shares,
:func:`icq.reference.learners.handoffs.sample_behaviour`; :class:`Stream` is its state between
chunks (what a checkpoint stores), :func:`sample_handoffs` the public entry point and
:func:`chunk_data` turns the seeds' handoffs into the update's
:class:`~icq.reference.learners.neural.update.StepData`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from icq.reference.learners.handoffs import handoff_arrays, sample_behaviour, start_stream
from icq.reference.learners.neural.networks import AgentNetworks
from icq.reference.learners.neural.update import StepData
from icq.reference.model import EpochModel

__all__ = ["sample_handoffs"]


@dataclass
class Stream:
    """The sampler's state: generator words, latent state, episodes so far."""

    rng: np.ndarray
    y: int
    episodes: int = 0

    @classmethod
    def start(cls, arr: dict[str, np.ndarray], seed: int) -> Stream:
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
    return draw_rows(arr, Stream.start(arr, seed), n)


def draw_rows(arr: dict[str, np.ndarray], stream: Stream, n: int) -> dict[str, np.ndarray]:
    """The next ``n`` handoffs of ``stream`` (advanced in place) as the arrays of
    :func:`sample_handoffs`."""
    out = {"pair": np.empty(n, np.int64), "reward": np.empty(n), "discount": np.empty(n),
           "next_obs": np.empty(n, np.int64)}
    y, eps = sample_behaviour(n, stream.rng, stream.y, arr["state_obs"], arr["obs_ptr"],
                              arr["beh_cdf"], arr["pair_ptr"], arr["out_ptr"], arr["out_pack"],
                              arr["init_cdf"], out["pair"], out["reward"], out["discount"],
                              out["next_obs"])
    stream.y, stream.episodes = int(y), stream.episodes + int(eps)
    return out


def chunk_data(nets: AgentNetworks, f0: torch.Tensor, samples: list[dict[str, np.ndarray]],
               batch: int, alpha: np.ndarray, unit: torch.Tensor, t0: int) -> StepData:
    """Stack the seeds' handoffs into ``StepData`` fields of shape (steps, S, ...)."""
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
    return StepData(
        ag=ag, x=nets.X[obs],
        slot_1h=(slot.unsqueeze(-1) == torch.arange(K, device=dev)).to(dt),
        f0_sel=f0[sidx, obs, slot], agent_1h=(ag.unsqueeze(2) == agents).to(dt),
        reward=seq("reward", dt), discount=seq("discount", dt), cont=cont,
        nag=nets.obs_agent[nobs], xn=nets.X[nobs], f0n=f0[sidx, nobs],
        maskn=nets.obs_mask[nobs], alpha=a, t=t.expand(steps, S, 1, 1))
