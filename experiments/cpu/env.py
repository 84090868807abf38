"""The CPU machine as an :class:`icq.reference.learners.adaptable.AdaptableEnv` (one local step per
invocation; a handoff takes no time).

Each invocation: the active agent observes the machine (:meth:`Machine.observe`), takes one
local action (reward: the shaping ``γΦ(s') − Φ(s)``) and hands off along :data:`WIRING`; END
pays 1 if ``OUT = t``. After ``cap`` handoffs END is the only successor. The order in which an
agent's options are listed is a random permutation fixed per environment (``order_seed``): the
reference learner breaks ties to the first option, and the natural order of
:data:`LOCAL_ACTIONS` lists the correct action first, which would favour untrained entries.

>>> import numpy as np
>>> env = CPUEnv(Machine(4), targets=(11,), kind="register_block", cap=30, gamma=0.99)
>>> env.reset(np.random.default_rng(0)); env.agents[env.active()]
'starter'
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from icq.experiments.cpu.machine import AGENTS, END, LOCAL_ACTIONS, OUT, TARGET, WIRING, Machine

__all__ = ["CPUEnv"]


class CPUEnv:
    """The six agents' CPU task for :func:`icq.reference.learners.adaptable.train_adaptable`."""

    agents = AGENTS

    def __init__(self, machine: Machine, targets: Sequence[int], *, kind: str, cap: int,
                 gamma: float, order_seed: int = 0):
        self.m = machine
        self.targets = np.asarray(targets, dtype=np.int64)
        self.kind = kind
        self.cap = int(cap)
        self.gamma = float(gamma)
        rng = np.random.default_rng(order_seed)
        self._local = {a: tuple(int(x) for x in rng.permutation(len(LOCAL_ACTIONS[a])))
                       for a in AGENTS}
        idx = {name: k for k, name in enumerate(AGENTS)} | {END: len(AGENTS)}
        self._succ = {a: tuple(idx[WIRING[a][int(x)]] for x in rng.permutation(len(WIRING[a])))
                      for a in AGENTS}
        self.s = machine.reset(int(self.targets[0]))
        self.i = 0
        self.handoffs = 0

    def start(self, target: int) -> None:
        """Start an episode on a given target (evaluation)."""
        self.s = self.m.reset(int(target))
        self.i = 0
        self.handoffs = 0

    def reset(self, rng: np.random.Generator) -> None:
        self.start(int(rng.choice(self.targets)))

    def active(self) -> int:
        return self.i

    def observe(self):
        return self.m.observe(self.s, self.kind)

    def local_actions(self) -> tuple[int, ...]:
        return self._local[AGENTS[self.i]]

    def step_local(self, a: int) -> tuple[float, bool]:
        s2 = self.m.local(self.s, AGENTS[self.i], a)
        r = self.gamma * self.m.potential(s2) - self.m.potential(self.s)
        self.s = s2
        return r, True

    def successors(self) -> tuple[int, ...]:
        if self.handoffs >= self.cap:
            return (len(AGENTS),)
        return self._succ[AGENTS[self.i]]

    def handoff(self, j: int) -> tuple[float, int]:
        self.handoffs += 1
        if j == len(AGENTS):
            return (1.0 if self.s[OUT] == self.s[TARGET] else 0.0), 0
        self.i = j
        return 0.0, 0

    def solved(self) -> bool:
        return self.s[OUT] == self.s[TARGET]
