"""The bundled example graph: planner → coder → tester → reviewer as a LangGraph graph whose
nodes are deterministic, seeded stand-ins for model and tool calls (no network; extra
``langgraph``; docs/langgraph.md).

The generating law is an epoch model (by default the bundled ``planner-coder-tester-reviewer``,
docs/theory.md §1): the graph's state carries the latent state id ``y`` (no agent reads it; the
hooks expose only its observation label), and the node of the active agent, given the successor
the router chose, draws ``(τ, R, y')`` from the model's law for ``(y, j)`` with a seeded
generator. It makes τ calls — a LangChain fake chat model and a LangChain tool, alternately — so
that the recorder's call counter measures τ, and, with an OpenTelemetry tracer, it writes the
spans a GenAI-instrumented pipeline writes: one ``invoke_agent`` span with ``gen_ai.agent.name``,
``icq.obs``, ``icq.latent`` and ``icq.reward`` (and ``icq.successor`` when the episode ends during
a handoff to an agent) and one ``chat`` or ``execute_tool`` span per call, under one root span per
episode. Because the law is known, tests can compare what is recorded and learned with it.

>>> world = ExampleWorld(seed=1)
>>> router = IcqRouter(world.model, world.hooks())
>>> graph = world.graph(router)
>>> lines = record_traces(graph, 3, world.start, world.hooks(), successor=router.successor)
>>> lines[0]["agent"], lines[0]["obs"]
('planner', 'task')
"""

from __future__ import annotations

import contextlib
from typing import Any, TypedDict

import numpy as np
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.tools import StructuredTool
from langgraph.graph import END as GRAPH_END
from langgraph.graph import START, StateGraph

from icq.integrations.langgraph import Hooks, IcqRouter, record_traces
from icq.reference.common.rng import cdf, draw_index
from icq.reference.model import END, EpochModel, example_path, load

__all__ = ["EXAMPLE", "ExampleWorld", "IcqRouter", "record_traces"]

#: the bundled model the example graph samples by default
EXAMPLE = "planner-coder-tester-reviewer"


class ExampleState(TypedDict, total=False):
    y: str | None
    reward: float
    icq_next: str


def _check(code: str) -> str:
    """Run the checks on a piece of work (a stand-in: always answers 'ok')."""
    return "ok"


class ExampleWorld:
    """The example's generating law and its stand-in nodes.

    Parameters
    ----------
    model : the epoch model sampled (default: the bundled :data:`EXAMPLE`)
    seed : seed of the generator that draws ν₀ and every outcome
    tracer : an OpenTelemetry tracer; when given, the nodes write GenAI spans
    key : the state key of the chosen successor (:attr:`IcqRouter.key`)
    """

    def __init__(self, model: EpochModel | None = None, seed: int = 0, tracer: Any = None,
                 key: str = "icq_next"):
        self.model = model if model is not None else load(example_path(EXAMPLE))
        self.rng = np.random.default_rng(seed)
        self.tracer, self.key = tracer, key
        self._index = {s: i for i, s in enumerate(self.model.state_ids)}
        self._llm = FakeListChatModel(responses=["ok"])
        self._tool = StructuredTool.from_function(_check, name="run_checks")

    # -- what the hooks read ------------------------------------------------------------
    def observe(self, agent: str, state: Any) -> str:
        m, y = self.model, self._index[state["y"]]
        if m.agents[m.state_agent[y]] != agent:
            raise RuntimeError(f"{agent!r} runs in latent state {state['y']!r} of "
                               f"{m.agents[m.state_agent[y]]!r}")
        return m.obs_labels[m.state_obs[y]]

    def hooks(self) -> Hooks:
        """Observation = the label of ``y``; reward = the node's R; latent = ``y``; the episode
        ended when ``y`` is None. τ is left to the call counter."""
        return Hooks(observe=self.observe, reward=lambda a, before, after: after["reward"],
                     latent=lambda state: state["y"], ended=lambda state: state["y"] is None)

    def start(self, episode: int = 0) -> dict:
        """The input of one episode: ``y`` drawn from ν₀."""
        m = self.model
        return {"y": m.state_ids[draw_index(cdf(m.initial), self.rng.random())], "reward": 0.0}

    def episode_span(self, episode: int) -> Any:
        """A root span around one episode (a null context without a tracer)."""
        if self.tracer is None:
            return contextlib.nullcontext()
        return self.tracer.start_as_current_span(
            "invoke_workflow example", attributes={"gen_ai.operation.name": "invoke_workflow",
                                                   "icq.episode": episode})

    # -- the stand-in nodes -------------------------------------------------------------
    def _outcome(self, y: int, successor: str) -> tuple[int, float, int]:
        m = self.model
        ks = range(m.pair_ptr[y], m.pair_ptr[y + 1])
        k = next((k for k in ks if m.successor_name(int(m.pair_succ[k])) == successor), None)
        if k is None:
            raise RuntimeError(f"{successor!r} is not admissible in {m.state_ids[y]!r}")
        a, b = m.out_ptr[k], m.out_ptr[k + 1]
        x = a + draw_index(cdf(m.out_prob[a:b]), self.rng.random())
        return int(m.out_dur[x]), float(m.out_rew[x]), int(m.out_next[x])

    def _calls(self, tau: int) -> None:
        for i in range(tau):
            if i % 2 == 0:
                with self._span("chat fake", "chat"):
                    self._llm.invoke("continue the work")
            else:
                with self._span("execute_tool run_checks", "execute_tool"):
                    self._tool.invoke({"code": "work"})

    def _span(self, name: str, op: str, **attrs: Any) -> Any:
        if self.tracer is None:
            return contextlib.nullcontext()
        return self.tracer.start_as_current_span(
            name, attributes={"gen_ai.operation.name": op, **attrs})

    def node(self, agent: str) -> Any:
        """The stand-in for ``agent``: draws the outcome of ``(y, state[key])``, makes τ calls,
        returns the next latent state and the reward."""
        def run(state: dict) -> dict:
            y, succ = self._index[state["y"]], state[self.key]
            obs = self.observe(agent, state)
            with self._span(f"invoke_agent {agent}", "invoke_agent", **{
                    "gen_ai.agent.name": agent, "icq.obs": obs,
                    "icq.latent": state["y"]}) as span:
                tau, reward, nxt = self._outcome(y, succ)
                self._calls(tau)
                if span is not None:
                    span.set_attribute("icq.reward", reward)
                    if nxt < 0 and succ != END:
                        span.set_attribute("icq.successor", succ)
            return {"y": None if nxt < 0 else self.model.state_ids[nxt], "reward": reward}

        run.__name__ = agent
        return run

    def graph(self, router: IcqRouter, *, command: bool = False) -> Any:
        """The compiled graph, routed by ``router``: conditional edges (:meth:`IcqRouter.edge`)
        or, with ``command``, nodes that hand off themselves (:meth:`IcqRouter.command_node`)."""
        g = StateGraph(ExampleState)
        agents = list(self.model.agents)
        for a in agents:
            if command:
                g.add_node(a, router.command_node(a, self.node(a)),
                           destinations=(*[b for b in agents if b != a], GRAPH_END))
            else:
                g.add_node(a, router.node(a, self.node(a)))
        m = self.model
        g.add_conditional_edges(START, lambda s: m.agents[m.state_agent[self._index[s["y"]]]],
                                agents)
        if not command:
            for a in agents:
                g.add_conditional_edges(a, router.edge, [*[b for b in agents if b != a],
                                                         GRAPH_END])
        return g.compile()

    def run(self, graph: Any, episodes: int) -> None:
        """Run ``episodes`` episodes (each under :meth:`episode_span`)."""
        for e in range(episodes):
            with self.episode_span(e):
                graph.invoke(self.start(e))
