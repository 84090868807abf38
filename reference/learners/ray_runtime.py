"""The decentralized runtime on Ray: each agent and the world in its own actor (extra ``ray``;
docs/theory.md §2).

:func:`run_ray` places the world and every agent of :mod:`icq.reference.learners.runtime` in a Ray
actor of its own (a separate process, possibly on another host, behind the trust boundary the paper
is about) and runs :func:`icq.reference.learners.runtime.run` over proxies of those actors. Each
agent actor holds only its own table; the driver only routes:

- to an agent actor it sends that agent's own observation label (``choose``, ``value``) or, at a
  handoff, ``learn(obs, successor, Handoff(V_j(o'), τ, R))``: the successor's value, computed in
  the successor's actor, the duration and the reward — nothing else;
- to the world actor it sends the chosen successor's name; the world answers ``(τ, R, (next
  agent, its observation label) or None)`` and never reveals the latent state.

With ``record=[]`` every message is appended as a :class:`Message`, so a test can inspect what
crossed. Because the loop is :func:`~icq.reference.learners.runtime.run` itself and every actor
executes its calls in the order the driver sends them, a run on Ray reproduces the local run of the
same objects bit for bit. Actors cannot share one generator, so :func:`tabular_actors` gives the
world and each agent a stream of its own (independent streams spawned from one seed); the local
runtime run on those same objects is the reference.

Where it runs: an instance ``ray.init`` already connected to is used as it is; otherwise
``address`` (or the ``RAY_ADDRESS`` environment variable; ``"auto"`` for the cluster this
machine belongs to, ``"ray://head:10001"`` for a remote one) is connected to, else a local
instance is started. Every handoff costs three round trips to actors (``learn`` is sent without
waiting): Ray is slower than the local runtime; its point is the boundary.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from icq.reference.common.parallel import ensure_ray
from icq.reference.common.rng import Xoshiro
from icq.reference.learners.runtime import (
    Agent,
    Handoff,
    RunStats,
    TabularICQAgent,
    World,
    agent_views,
    run,
)
from icq.reference.learners.tabular import TrainConfig
from icq.reference.model import EpochModel

__all__ = ["Message", "RayRun", "run_ray", "tabular_actors"]


@dataclass(frozen=True)
class Message:
    """One call the driver sent to an actor: the target (an agent name or ``"world"``), the
    method, its arguments and the reply (None for ``learn``, which is not waited for; the
    exception if the call failed)."""

    target: str
    method: str
    args: tuple
    reply: Any


@dataclass(frozen=True)
class RayRun:
    """What :func:`run_ray` returns: the run's statistics, the agents and the world as their
    actors left them (copied back), and how it was obtained."""

    stats: RunStats
    agents: dict[str, Any]
    world: Any
    seconds: float
    method: str = "decentralized runtime, one Ray actor per agent and one for the world"


def tabular_actors(model: EpochModel, config: TrainConfig | None = None
                   ) -> tuple[World, dict[str, TabularICQAgent]]:
    """A world and one tabular IC-Q agent per agent of ``model``, each with its own generator.

    The streams are spawned from ``config.seed`` (``numpy.random.SeedSequence``): the world's first,
    then the agents' in the order of ``model.agents``. Run them locally with
    :func:`~icq.reference.learners.runtime.run` or in actors with :func:`run_ray`: the results agree
    bit for bit.
    """
    config = config or TrainConfig()
    seeds = [int(s.generate_state(1, np.uint64)[0])
             for s in np.random.SeedSequence(config.seed).spawn(1 + model.n_agents)]
    world = World(model, Xoshiro(seeds[0]))
    views = agent_views(model)
    agents = {a: TabularICQAgent(a, views[a][0], model.gamma, behavior=views[a][1],
                                 config=config, rng=Xoshiro(seeds[1 + k]))
              for k, a in enumerate(model.agents)}
    return world, agents


class _Holder:
    """The body of every actor: one object, whose public methods the driver calls."""

    def __init__(self, obj: Any):
        # a private, writable copy: arguments arrive zero-copy and read-only from the store
        self._obj = copy.deepcopy(obj)

    def call(self, method: str, *args: Any) -> Any:
        return getattr(self._obj, method)(*args)

    def get(self) -> Any:
        return self._obj


class _Proxy:
    """The driver's handle on one actor, recording each message when asked to."""

    def __init__(self, target: str, handle: Any, record: list | None, pending: list):
        self.name = target
        self._handle, self._record, self._pending = handle, record, pending

    def _call(self, method: str, *args: Any, wait: bool = True) -> Any:
        # ray: the [ray] extra, only for the Ray backend
        import ray

        ref = self._handle.call.remote(method, *args)
        reply: Any = None
        try:
            if wait:
                reply = ray.get(ref)
            else:
                self._pending.append(ref)
                if len(self._pending) >= 1024:  # bounded: wait for the oldest learn calls
                    ray.get(self._pending)
                    self._pending.clear()
        except Exception as exc:
            reply = exc
            raise
        finally:
            if self._record is not None:
                self._record.append(Message(self.name, method, args, reply))
        return reply


class _AgentProxy(_Proxy):
    def choose(self, obs: str) -> str:
        return self._call("choose", obs)

    def value(self, obs: str) -> float:
        return self._call("value", obs)

    def learn(self, obs: str, successor: str, message: Handoff) -> None:
        self._call("learn", obs, successor, message, wait=False)


class _WorldProxy(_Proxy):
    def reset(self) -> tuple[str, str]:
        return self._call("reset")

    def invoke(self, successor: str) -> tuple[int, float, tuple[str, str] | None]:
        return self._call("invoke", successor)


def run_ray(world: Any, agents: Mapping[str, Agent], handoffs: int, *, learn: bool = True,
            gamma: float | None = None, episodes: int | None = None,
            address: str | None = None, workers: int | None = None,
            record: list | None = None) -> RayRun:
    """:func:`~icq.reference.learners.runtime.run` with the world and each agent in its own Ray
    actor.

    Parameters ---------- world, agents : as for :func:`~icq.reference.learners.runtime.run` (each
    is copied into its actor;
        the originals are not changed)
    handoffs, learn, gamma, episodes : as for :func:`~icq.reference.learners.runtime.run`
    address : the Ray cluster to connect to if not connected (default ``RAY_ADDRESS``, else a
        new local instance with ``workers`` CPUs)
    record : a list to which every message sent to an actor is appended (:class:`Message`)

    Returns
    -------
    RayRun
    """
    # ray: the [ray] extra, only for the Ray backend
    import ray

    ensure_ray(workers, address)
    actor = ray.remote(num_cpus=0)(_Holder)
    handles = {"world": actor.remote(world), **{a: actor.remote(obj) for a, obj in agents.items()}}
    pending: list = []
    try:
        proxies = {a: _AgentProxy(a, handles[a], record, pending) for a in agents}
        t0 = time.perf_counter()
        stats = run(_WorldProxy("world", handles["world"], record, pending), proxies, handoffs,
                    learn=learn, gamma=gamma, episodes=episodes)
        ray.get(pending)  # surface any error of a learn call
        seconds = time.perf_counter() - t0
        back = ray.get([handles[a].get.remote() for a in agents])
        world_back = ray.get(handles["world"].get.remote())
    finally:
        for h in handles.values():
            ray.kill(h)
    return RayRun(stats, dict(zip(agents, back, strict=True)), world_back, seconds)
