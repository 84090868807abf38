"""The world protocol of the decentralized runtime and its conformance check (docs/theory.md §1;
``docs/worlds.md``).

:func:`icq.reference.learners.runtime.run` (and :func:`icq.reference.learners.ray_runtime.run_ray`)
accept as the world any object with two methods:

- ``reset() -> (agent, observation)``: start an episode; the active agent's name and the label
  of what it observes, ``O_i(z, x_i)``;
- ``invoke(successor) -> (duration, reward, next)``: run the active agent's invocation, which
  ends by handing off to ``successor`` (an agent name or ``"END"``); ``duration`` is ``τ`` (an
  integer ≥ 1), ``reward`` is ``R = Σ_{t<τ} γ^t r_t`` (a finite number) and ``next`` is
  ``(successor, its observation label)``, or ``None`` when the episode has ended (always after
  ``END``). A successor that is not admissible is refused with ``ValueError``.

:func:`check_world`, in the style of PettingZoo's ``api_test``, drives a world with uniformly
random admissible successors and reports every rule of :data:`RULES` it breaks.

>>> from icq.reference.model import load, example_path
>>> from icq.reference.learners.runtime import World
>>> from icq.reference.common.rng import Xoshiro
>>> m = load(example_path("ring-exact"))
>>> check_world(World(m, Xoshiro(0)), admissible_successors(m)).holds
True
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from icq.reference.learners.runtime import agent_views
from icq.reference.model import END, EpochModel

__all__ = ["RULES", "Violation", "WorldCheck", "admissible_successors", "check_world"]

#: the rules :func:`check_world` checks, by name
RULES = {
    "reset": "reset() returns (agent, observation label) of a known agent and one of its labels",
    "invoke-shape": "invoke(successor) returns a 3-tuple (duration, reward, next)",
    "duration": "the duration τ is an integer >= 1",
    "reward": "the reward R is a finite real number",
    "next": "next is None or (agent, observation label) of a known agent and one of its labels",
    "handoff": "control passes to the chosen successor: next[0] == successor",
    "end": "handing off to END ends the episode: next is None",
    "refuse": "an inadmissible successor (the acting agent itself) is refused with ValueError",
    "episodes-end": "every episode ends within max_handoffs handoffs",
}


@dataclass(frozen=True)
class Violation:
    """One broken rule: its name (a key of :data:`RULES`) and what was seen."""

    rule: str
    detail: str


@dataclass(frozen=True)
class WorldCheck:
    """What :func:`check_world` found: the violations (each rule reported once, first
    occurrence), and how much of the world it exercised."""

    violations: tuple[Violation, ...]
    episodes: int
    handoffs: int
    method: str = "driven with uniformly random admissible successors (check_world)"

    @property
    def holds(self) -> bool:
        return not self.violations

    @property
    def rules_broken(self) -> tuple[str, ...]:
        return tuple(v.rule for v in self.violations)


def admissible_successors(model: EpochModel) -> dict[str, dict[str, list[str]]]:
    """``{agent: {observation label: [admissible successor names]}}`` of an epoch model."""
    return {a: succ for a, (succ, _) in agent_views(model).items()}


def _is_view(x: Any, successors: Mapping[str, Mapping[str, Sequence[str]]]) -> bool:
    return (isinstance(x, tuple) and len(x) == 2 and isinstance(x[0], str)
            and isinstance(x[1], str) and x[0] in successors and x[1] in successors[x[0]])


def check_world(world: Any, successors: Mapping[str, Mapping[str, Sequence[str]]], *,
                episodes: int = 20, max_handoffs: int = 1000, seed: int = 0) -> WorldCheck:
    """Drive ``world`` and report each rule of :data:`RULES` it breaks.

    Parameters
    ----------
    world : an object with ``reset()`` and ``invoke(successor)`` (the protocol above)
    successors : ``{agent: {observation label: [admissible successor names]}}``, what the
        agents themselves know (:func:`admissible_successors` of a model)
    episodes : episodes to run
    max_handoffs : handoffs after which an episode that has not ended is a violation
    seed : seed of the generator that picks the successors

    Returns
    -------
    WorldCheck
    """
    rng = np.random.default_rng(seed)
    found: dict[str, str] = {}

    def fail(rule: str, detail: str) -> None:
        found.setdefault(rule, detail)

    done_eps = total = 0
    for ep in range(episodes):
        try:
            view = world.reset()
        except Exception as exc:  # noqa: BLE001 - reported, not raised
            fail("reset", f"episode {ep}: reset() raised {type(exc).__name__}: {exc}")
            break
        if not _is_view(view, successors):
            fail("reset", f"episode {ep}: reset() returned {view!r}")
            break
        refused_tested = False
        for step in range(max_handoffs):
            agent, label = view
            where = f"episode {ep}, handoff {step}, agent {agent!r} at {label!r}"
            if not refused_tested:
                refused_tested = True
                try:
                    world.invoke(agent)
                    fail("refuse", f"{where}: invoke({agent!r}) (itself) was accepted")
                    break
                except ValueError:
                    pass
                except Exception as exc:  # noqa: BLE001
                    fail("refuse", f"{where}: invoke({agent!r}) raised {type(exc).__name__}, "
                         "not ValueError")
                    break
            choices = list(successors[agent][label])
            successor = choices[int(rng.integers(len(choices)))]
            try:
                out = world.invoke(successor)
            except Exception as exc:  # noqa: BLE001
                fail("invoke-shape", f"{where}: invoke({successor!r}) raised "
                     f"{type(exc).__name__}: {exc}")
                return _result(found, done_eps, total)
            total += 1
            if not (isinstance(out, tuple) and len(out) == 3):
                fail("invoke-shape", f"{where}: invoke({successor!r}) returned {out!r}")
                return _result(found, done_eps, total)
            tau, reward, nxt = out
            if (isinstance(tau, bool) or not isinstance(tau, numbers.Integral)
                    or tau < 1):
                fail("duration", f"{where}: duration {tau!r}")
            if (isinstance(reward, bool) or not isinstance(reward, numbers.Real)
                    or not math.isfinite(reward)):
                fail("reward", f"{where}: reward {reward!r}")
            if successor == END and nxt is not None:
                fail("end", f"{where}: invoke('END') returned next = {nxt!r}")
                break
            if nxt is None:
                done_eps += 1
                break
            if not _is_view(nxt, successors):
                fail("next", f"{where}: next = {nxt!r}")
                break
            if nxt[0] != successor:
                fail("handoff", f"{where}: chose {successor!r}, control passed to {nxt[0]!r}")
            view = nxt
        else:
            fail("episodes-end", f"episode {ep} did not end within {max_handoffs} handoffs")
    return _result(found, done_eps, total)


def _result(found: dict[str, str], episodes: int, handoffs: int) -> WorldCheck:
    order = list(RULES)
    return WorldCheck(tuple(Violation(r, found[r]) for r in sorted(found, key=order.index)),
                      episodes, handoffs)
