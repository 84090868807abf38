"""IC-Q for LangGraph graphs: record handoff traces, route with decentralized IC-Q (extra
``langgraph``; docs/langgraph.md; docs/theory.md §2 and §4).

What the user supplies, as :class:`Hooks` (``state`` is the graph's state as a dict):

- ``observe(agent, state) → label``: what ``agent`` observes when it is invoked, O_i(z, x_i);
- ``reward(agent, before, after) → float``: R of the invocation, from the states before and
  after the node ran;
- optionally ``latent(state) → label`` (a richer label no agent sees), ``duration(agent, before,
  after, calls) → τ`` (default: ``calls``, the model and tool calls the node made, counted with
  LangChain callbacks, at least 1) and ``ended(state) → bool`` (the episode ended although the
  successor is an agent: ``"next": null`` in the model format).

:func:`record_traces` runs a compiled graph for N episodes and writes ``icq-trace/1`` (one line
per node run: the agent, its observation, the next node as successor, τ, R).

:class:`IcqRouter` routes a graph with IC-Q. Wrap each agent's node with :meth:`IcqRouter.node`
and route with :meth:`IcqRouter.edge` (a conditional-edge function), or wrap it with
:meth:`IcqRouter.command_node` for graphs whose nodes hand off themselves (``Command(goto=…)``).
At a node's entry the agent observes its label and chooses its successor from its own table
(exploring with π_b while learning, greedy when frozen); the chosen successor is in the state
under :attr:`IcqRouter.key` while the node runs. Each agent is a
:class:`~icq.reference.learners.runtime.TabularICQAgent` (or any
:class:`~icq.reference.learners.runtime.Agent`): it keeps its own table and, at a handoff,
receives exactly a :class:`~icq.reference.learners.runtime.Handoff` — the successor's value
``V_j(o')``, computed by the successor, the duration and the reward — the decentralized update of
docs/theory.md §2. The router itself holds no learning state, only the handoff in flight. With
``record=[]`` every call to an agent is appended as a
:class:`~icq.reference.learners.ray_runtime.Message`, as in the Ray runtime. The tables load from
and save to the checkpoint format of ``icq train`` (``tabular-icq/3``,
:mod:`icq.reference.learners.checkpoint`).

The state after a node is the state before updated with the node's returned dict (plain keys;
reducers such as message lists are not replayed here).
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.runnables import RunnableConfig
from langchain_core.tracers.context import register_configure_hook
from langgraph.graph import END as GRAPH_END
from langgraph.types import Command

from icq.reference.common.rng import Xoshiro, cdf, draw_index
from icq.reference.learners.ray_runtime import Message
from icq.reference.learners.runtime import Agent, Handoff, TabularICQAgent, agent_views
from icq.reference.learners.tabular import (
    CheckpointState,
    TrainConfig,
    checkpoint_meta,
    load_state,
    save_state,
)
from icq.reference.learners.traces.format import check_line, write_traces
from icq.reference.model import END, EpochModel, ModelError

__all__ = ["CallCounter", "Hooks", "IcqRouter", "counting", "record_traces"]

State = Mapping[str, Any]


class CallCounter(BaseCallbackHandler):
    """Counts the model and tool calls LangChain reports (chat models, LLMs, tools), each run
    once; every enclosing counter (see :func:`counting`) counts them too."""

    def __init__(self, parent: CallCounter | None = None):
        super().__init__()
        self.calls = 0
        self._seen: set = set()
        self._parent = parent

    def _tick(self, run_id: Any) -> None:
        # a counter may receive a run twice: inherited from an enclosing run and from its own
        # context variable; it counts each run id once
        c: CallCounter | None = self
        while c is not None:
            if run_id not in c._seen:
                c._seen.add(run_id)
                c.calls += 1
            c = c._parent

    def on_chat_model_start(self, *args: Any, run_id: Any = None, **kwargs: Any) -> None:
        self._tick(run_id)

    def on_llm_start(self, *args: Any, run_id: Any = None, **kwargs: Any) -> None:
        self._tick(run_id)

    def on_tool_start(self, *args: Any, run_id: Any = None, **kwargs: Any) -> None:
        self._tick(run_id)


_COUNTER: ContextVar[CallCounter | None] = ContextVar("icq_langgraph_counter", default=None)
register_configure_hook(_COUNTER, inheritable=True)


@contextlib.contextmanager
def counting() -> Iterator[CallCounter]:
    """Count the model and tool calls made inside the block (every LangChain run configured in
    it gets the counter as a callback, through a context variable)."""
    c = CallCounter(_COUNTER.get())
    token = _COUNTER.set(c)
    try:
        yield c
    finally:
        _COUNTER.reset(token)


@dataclass(frozen=True)
class Hooks:
    """How a graph's states map onto the handoff sample (see the module docstring)."""

    observe: Callable[[str, State], str]
    reward: Callable[[str, State, State], float]
    latent: Callable[[State], str] | None = None
    duration: Callable[[str, State, State, int], int] | None = None
    ended: Callable[[State], bool] | None = None

    def tau(self, agent: str, before: State, after: State, calls: int) -> int:
        """τ of one invocation: :attr:`duration` if given, else the calls counted (≥ 1)."""
        if self.duration is None:
            return max(1, calls)
        return int(self.duration(agent, before, after, calls))

    def is_end(self, state: State) -> bool:
        return bool(self.ended(state)) if self.ended is not None else False


# ---------------------------------------------------------------------------------------
# the recorder
# ---------------------------------------------------------------------------------------


def _steps(graph: Any, inputs: Any, config: Any) -> list[tuple[str, dict, dict, int]]:
    """``(node, state before, state after, calls)`` of each step of one run."""
    steps: list[tuple[str, dict, dict, int]] = []
    state: dict = {}
    node, last = None, 0
    with counting() as c:
        for mode, ev in graph.stream(inputs, config, stream_mode=["updates", "values"]):
            if mode == "updates":
                if len(ev) != 1:
                    raise ValueError(f"nodes {sorted(ev)} ran in one step: handoffs are "
                                     "sequential (one agent at a time)")
                node = next(iter(ev))
            elif node is None:
                state = dict(ev)
            else:
                after = dict(ev)
                steps.append((node, state, after, c.calls - last))
                state, node, last = after, None, c.calls
    return steps


def record_traces(graph: Any, episodes: int, inputs: Any, hooks: Hooks,
                  output: str | Path | None = None, *, agents: Any = None,
                  successor: Callable[[str, State], str | None] | None = None,
                  around: Callable[[int], Any] | None = None, config: Any = None,
                  first_episode: int = 0) -> list[dict]:
    """Run ``graph`` for ``episodes`` episodes and return (and with ``output``, write
    atomically) their ``icq-trace/1`` lines.

    ``inputs`` is the input of every run, or a function of the episode number. Each run of a
    node in ``agents`` (default: every node) is one handoff; its successor is the next agent
    node run, else ``successor(agent, state after)`` where given (the graph ended during a
    handoff to that agent), else ``END``. ``around(e)``, when given, is a context manager
    entered around episode ``e`` (e.g. a root span). ``episode`` ids are integers from
    ``first_episode``.

    Raises
    ------
    ModelError
        A line breaks a rule of docs/traces.md (named with the episode and step); nothing is
        written.
    """
    keep = None if agents is None else set(agents)
    lines: list[dict] = []
    for e in range(first_episode, first_episode + episodes):
        inp = inputs(e) if callable(inputs) else inputs
        with around(e) if around is not None else contextlib.nullcontext():
            steps = [s for s in _steps(graph, inp, config) if keep is None or s[0] in keep]
        # each step's observation and latent label, once: also the previous line's next_*
        obs = [hooks.observe(agent, before) for agent, before, _, _ in steps] + [None]
        lat = [hooks.latent(before) for _, before, _, _ in steps] + [None] \
            if hooks.latent is not None else None
        for t, (agent, before, after, calls) in enumerate(steps):
            nxt = steps[t + 1] if t + 1 < len(steps) else None
            named = successor(agent, after) if successor is not None else None
            succ = nxt[0] if nxt is not None else (named if named not in (None, GRAPH_END)
                                                    else END)
            if nxt is not None and named is not None and named != succ:
                raise ModelError([f"episode {e} step {t}: successor: {agent!r} named {named!r} "
                                  f"but {succ!r} ran next"])
            d = {"episode": e, "t": t, "agent": agent, "obs": obs[t],
                 "successor": succ, "duration": hooks.tau(agent, before, after, calls),
                 "reward": float(hooks.reward(agent, before, after)),
                 "next_agent": None if nxt is None else nxt[0], "next_obs": obs[t + 1]}
            if lat is not None:
                d["latent"], d["next_latent"] = lat[t], lat[t + 1]
            bad = check_line(d)
            if bad is not None:
                raise ModelError([f"episode {e} step {t}: {bad[0]}: {bad[1]}"])
            lines.append(d)
    if output is not None:
        write_traces(output, lines)
    return lines


# ---------------------------------------------------------------------------------------
# the router
# ---------------------------------------------------------------------------------------


def _with_config(fn: Callable[..., Any]) -> Callable[[dict, Any], Any]:
    """``fn(state, config)`` if ``fn`` takes LangGraph's ``config`` argument, else ``fn(state)``."""
    try:
        takes = "config" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        takes = False
    return (lambda s, c: fn(s, config=c)) if takes else (lambda s, c: fn(s))


class IcqRouter:
    """Decentralized IC-Q routing of a LangGraph graph (see the module docstring).

    Parameters
    ----------
    model : the epoch model whose admissible successors, π_b and γ the agents use (a fitted
        model, ``icq fit``); the learned tables approach its Q̂*_μ when the graph's law is the
        model's (docs/theory.md §2)
    hooks : :class:`Hooks`
    config : the agents' :class:`~icq.reference.learners.tabular.TrainConfig` (step size,
        exploration, seed); also the configuration recorded in checkpoints
    agents : agent objects to use instead of fresh tabular IC-Q agents
    key : the state key holding the chosen successor while a node runs
    record : a list; every call to an agent is appended as a ``Message``

    The router holds the one handoff in flight between two node runs, so a router routes one
    episode at a time (one graph run at a time); after an interrupted run call :meth:`reset`.
    Frozen routing asks each agent for ``greedy(obs)`` and checkpoints set its table with
    ``set_table``: both are methods of
    :class:`~icq.reference.learners.runtime.TabularICQAgent`.
    """

    def __init__(self, model: EpochModel, hooks: Hooks, *, config: TrainConfig | None = None,
                 agents: Mapping[str, Agent] | None = None, key: str = "icq_next",
                 record: list | None = None):
        self.model, self.hooks, self.key = model, hooks, key
        self.config = config or TrainConfig()
        self._rng = Xoshiro(self.config.seed)
        if agents is None:
            agents = {a: TabularICQAgent(a, succ, model.gamma, behavior=beh, config=self.config,
                                         rng=self._rng)
                      for a, (succ, beh) in agent_views(model).items()}
        self.agents = dict(agents)
        self.learning = True
        self.handoffs = 0
        self.episodes = 0
        #: the list every call to an agent is appended to (None: not recorded)
        self.record = record
        self._pending: tuple[str, str, str, int, float] | None = None

    # -- the decentralized protocol -------------------------------------------------------
    def _call(self, agent: str, method: str, *args: Any) -> Any:
        reply = getattr(self.agents[agent], method)(*args)
        if self.record is not None:
            self.record.append(Message(agent, method, args, reply))
        return reply

    def _handoff(self, value: float) -> None:
        agent, obs, succ, tau, reward = self._pending
        self._pending = None
        self.handoffs += 1
        if self.learning:
            self._call(agent, "learn", obs, succ, Handoff(float(value), int(tau), float(reward)))

    def _enter(self, agent: str, state: State) -> tuple[str, str]:
        """The agent's observation and chosen successor at its node's entry; completes the
        predecessor's handoff with this agent's own value."""
        obs = self.hooks.observe(agent, state)
        if self._pending is None:
            self.episodes += 1
        else:
            if self._pending[2] != agent:
                raise RuntimeError(f"{self._pending[0]!r} handed off to {self._pending[2]!r} "
                                   f"but {agent!r} ran next")
            self._handoff(self._call(agent, "value", obs) if self.learning else 0.0)
        succ = self._call(agent, "choose" if self.learning else "greedy", obs)
        return obs, succ

    def _run(self, agent: str, fn: Callable[[dict], Any], state: State) -> tuple[dict, bool]:
        before = dict(state)
        obs, succ = self._enter(agent, before)
        inner = {**before, self.key: succ}
        with counting() as c:
            update = dict(fn(inner) or {})
        update[self.key] = succ
        after = {**inner, **update}
        tau = self.hooks.tau(agent, before, after, c.calls)
        self._pending = (agent, obs, succ, tau, float(self.hooks.reward(agent, before, after)))
        ended = succ == END or self.hooks.is_end(after)
        if ended:
            self._handoff(0.0)
        return update, ended

    def node(self, agent: str, fn: Callable[[dict], Any]) -> Callable[[dict], dict]:
        """``agent``'s node: ``fn(state)`` (or ``fn(state, config)`` if it takes LangGraph's
        ``config``) runs with the chosen successor at ``state[key]``; route after it with
        :meth:`edge`."""
        inner = _with_config(fn)

        def run(state: dict, config: RunnableConfig) -> dict:
            return self._run(agent, lambda s: inner(s, config), state)[0]

        run.__name__ = agent
        return run

    def edge(self, state: State) -> str:
        """The conditional-edge function: the chosen successor, or LangGraph's END when the
        successor is END or the episode ended."""
        succ = state[self.key]
        return GRAPH_END if succ == END or self.hooks.is_end(state) else succ

    def command_node(self, agent: str, fn: Callable[[dict], Any]) -> Callable[[dict], Command]:
        """``agent``'s node for graphs whose nodes hand off themselves: returns
        ``Command(goto=successor, update=…)`` (LangGraph's END when the episode ends)."""
        inner = _with_config(fn)

        def run(state: dict, config: RunnableConfig) -> Command:
            update, ended = self._run(agent, lambda s: inner(s, config), state)
            return Command(goto=GRAPH_END if ended else update[self.key], update=update)

        run.__name__ = agent
        return run

    def successor(self, agent: str, state: State) -> str | None:
        """The successor ``agent`` chose (for :func:`record_traces`)."""
        return state.get(self.key)

    def reset(self) -> None:
        """Drop a handoff left in flight by an interrupted run."""
        self._pending = None

    def freeze(self) -> None:
        """Stop learning: each agent routes greedily on its own table."""
        self.learning = False

    # -- tables and checkpoints -----------------------------------------------------------
    def tables(self) -> dict[str, dict[str, dict[str, float]]]:
        """Each agent's own table, ``agent → obs → successor → Q``."""
        return {a: ag.table() for a, ag in self.agents.items()}

    def policy(self) -> dict[str, dict[str, str]]:
        """The frozen router's decision at every observation: ``agent → obs → successor``."""
        return {a: {o: ag.greedy(o) for o in ag.table()} for a, ag in self.agents.items()}

    def q_vector(self) -> np.ndarray:
        """The tables as one vector over the model's observation pairs (the order of
        ``icq train``'s table and of :func:`icq.reference.exact.induced.ais_model`)."""
        return self._flat("table")

    def _flat(self, what: str) -> np.ndarray:
        vals = {a: getattr(ag, what)() for a, ag in self.agents.items()}
        out = np.zeros(self.model.n_obs_pairs)
        for (a, o, j), p in self.model.obs_pair_index.items():
            out[p] = vals[a][o][j]
        return out

    def save(self, path: str | Path) -> None:
        """Write the tables as an ``icq train`` checkpoint (``tabular-icq/3``) of ``model``
        and ``config``; ``icq train MODEL --checkpoint PATH --resume`` continues from it."""
        q, visits = self.q_vector(), self._flat("visits")
        zeros = np.zeros_like(q)
        # the latent state a resumed `icq train` starts from: a draw from ν₀ (on a copy of
        # the generator, so that saving does not change this router's stream)
        y0 = draw_index(cdf(self.model.initial), Xoshiro(state=self._rng.state.copy()).random())
        st = CheckpointState(q=q, visits=visits, rng=self._rng.state.copy(), y=y0,
                    done=int(self.handoffs), episodes=int(self.episodes), seconds=0.0,
                    norm2=0.0, acc=zeros, last=zeros.copy())
        save_state(Path(path), st, checkpoint_meta(self.model, self.config.spec, self.config.seed,
                                                   None))

    def load(self, path: str | Path) -> None:
        """Read the tables from an ``icq train`` checkpoint of the same model and
        configuration (checked completely; CheckpointError otherwise)."""
        meta = checkpoint_meta(self.model, self.config.spec, self.config.seed, None)
        st = load_state(Path(path), self.model, meta, 2**62)
        tables: dict[str, dict[str, dict[str, float]]] = {a: {} for a in self.agents}
        visits: dict[str, dict[str, dict[str, float]]] = {a: {} for a in self.agents}
        for (a, o, j), p in self.model.obs_pair_index.items():
            tables[a].setdefault(o, {})[j] = float(st.q[p])
            visits[a].setdefault(o, {})[j] = float(st.visits[p])
        for a, ag in self.agents.items():
            ag.set_table(tables[a], visits[a])
        self._rng.state[:] = st.rng
        self.handoffs, self.episodes = int(st.done), int(st.episodes)
