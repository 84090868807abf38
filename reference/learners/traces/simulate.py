"""Trace lines simulated from a known epoch model under its behaviour policy (the truth that
the fit and the bootstrap are checked against).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from icq.reference.common.rng import Xoshiro, cdf, draw_index
from icq.reference.learners.runtime import World
from icq.reference.model import EpochModel

__all__ = ["simulate_traces"]


def simulate_traces(model: EpochModel, episodes: int, *, seed: int = 0, latent: bool = True,
                    behavior_prob: bool = False, max_handoffs: int = 10_000_000
                    ) -> Iterator[dict[str, Any]]:
    """Trace lines of ``episodes`` episodes of ``model`` under its behaviour policy π_b.

    The latent process is the runtime's :class:`~icq.reference.learners.runtime.World`; successors
    are drawn from π_b(·|ô). With ``latent``, lines carry the model's state ids as labels.
    """
    rng = Xoshiro(seed)
    world = World(model, rng)
    laws = {}
    for o in range(model.n_obs):
        sl = slice(model.obs_ptr[o], model.obs_ptr[o + 1])
        laws[model.obs_name(o)] = ([model.successor_name(j) for j in model.obs_succ[sl]],
                                   cdf(model.behavior[sl]),
                                   model.behavior[sl].tolist())
    done = 0
    for e in range(episodes):
        view = world.reset()
        t = 0
        while view is not None and done < max_handoffs:
            y = world.latent_state
            names, c, probs = laws[view]
            i = draw_index(c, rng.random())
            tau, reward, nxt = world.invoke(names[i])
            d: dict[str, Any] = {
                "episode": e, "t": t, "agent": view[0], "obs": view[1], "successor": names[i],
                "duration": tau, "reward": reward,
                "next_agent": None if nxt is None else nxt[0],
                "next_obs": None if nxt is None else nxt[1]}
            if latent:
                d["latent"] = model.state_ids[y]
                d["next_latent"] = None if nxt is None else model.state_ids[world.latent_state]
            if behavior_prob:
                d["behavior_prob"] = probs[i]
            yield d
            done += 1
            t += 1
            view = nxt
