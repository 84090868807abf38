"""Four reasoning agents behind one protocol, and calibrated stochastic simulators of them.

The conversation is the interface state ``z`` (free text in a real system). What crosses into
every routing decision is only its 4-bit status, the AIS observation of the paper:
``answer given``, ``modified``, ``checked``, ``judged correct`` (:func:`observe`).

Roles (each one model call per invocation; the thinker's lasts 1-3 primitive steps):

- commissioner: opens the task (hands it to the thinker) and closes it (END) once the editor
  has concluded; the reward is 1 if the editor concludes (hands its final answer to the
  commissioner) with the correct answer;
- thinker: with no answer, writes a step-by-step rationale and an answer (correct with
  probability ``cot``); on an unchecked answer, reflects on it (keeps a correct answer with
  probability ``u``, fixes a wrong one with ``v``); on an answer judged incorrect, revises it
  (``h_thinker`` / ``f_thinker``); an answer is reworked at most once (``modified``; the
  ``checked``/``judged`` bits keep the verdict that prompted the rework);
- editor: writes the final answer (copies the thinker's); on its own answer judged incorrect
  and not yet modified, revises it (``h_editor`` / ``f_editor``);
- checker: judges the current answer (``s`` = P(judged correct | correct),
  ``t`` = P(judged incorrect | wrong)); an answer it has already judged keeps its verdict.

``direct`` is the accuracy of one model asked directly (Table 1's first column; a baseline
outside the workflow space).

A real deployment implements :class:`Agent` around a model client: ``act`` receives the
conversation, appends its message and sets the answer fields it parsed. The simulators also
expose :meth:`SimulatedAgent.outcomes`, the exact law of one call on the finite
:class:`Status`, from which the experiment builds the exact epoch model.

>>> p = calibrate({"direct": 0.3, "cot": 0.8, "reflection": 0.78, "combine_e": 0.82,
...                "combine_t": 0.79}, s=0.9, t=0.6, h_editor=0.5, h_thinker=0.4, v=0.15)
>>> round(p.f_editor, 4)
0.5
>>> observe(Conversation(question="1+1?", answer="2", author="editor", checked=True))
'1010'
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol, runtime_checkable

import numpy as np

from icq.reference.common.rng import cdf, draw_index

__all__ = ["Conversation", "Agent", "Status", "SimParams", "SimulatedAgent", "ROLES",
           "observe", "status_of", "calibrate", "simulated_agents", "check_agent",
           "CalibrationError"]

ROLES = ("commissioner", "thinker", "editor", "checker")


@dataclass(frozen=True)
class Conversation:
    """The interface artifact: the messages so far and the current answer's status.

    ``gold`` is the reference answer, used only to score the concluded answer; agents must not
    read it (:func:`check_agent` verifies that an agent's output does not depend on it).
    """

    question: str
    messages: tuple[tuple[str, str], ...] = ()
    answer: str | None = None
    author: str | None = None
    modified: bool = False
    checked: bool = False
    judged_correct: bool = False
    gold: str | None = None

    def say(self, agent: str, text: str, **fields) -> Conversation:
        return replace(self, messages=(*self.messages, (agent, text)), **fields)


@runtime_checkable
class Agent(Protocol):
    """One reasoning agent. ``act`` is one model call on the conversation."""

    name: str

    def act(self, conversation: Conversation, rng: np.random.Generator) -> Conversation:
        """Read the conversation, append one message, update the answer fields it changes."""


def observe(conv: Conversation) -> str:
    """The 4-bit AIS observation ``given modified checked judged`` as a string of 0/1."""
    bits = (conv.answer is not None, conv.modified, conv.checked,
            conv.checked and conv.judged_correct)
    return "".join("1" if b else "0" for b in bits)


@dataclass(frozen=True, order=True)
class Status:
    """The finite latent part of a conversation the simulators act on.

    ``author``: "" (no answer), "thinker" or "editor"; ``correct``: the answer is right
    (hidden from every agent).
    """

    author: str = ""
    correct: bool = False
    modified: bool = False
    checked: bool = False
    judged: bool = False

    @property
    def obs(self) -> str:
        bits = (self.author != "", self.modified, self.checked, self.checked and self.judged)
        return "".join("1" if b else "0" for b in bits)


def status_of(conv: Conversation) -> Status:
    """The :class:`Status` of a conversation with a known ``gold`` answer."""
    return Status(author=conv.author or "", correct=conv.answer is not None
                  and conv.answer == conv.gold, modified=conv.modified, checked=conv.checked,
                  judged=conv.judged_correct)


class CalibrationError(ValueError):
    """Table 1 targets that no simulator with the given free parameters reproduces."""


@dataclass(frozen=True)
class SimParams:
    """All simulator probabilities (see the module docstring)."""

    direct: float
    cot: float
    u: float
    v: float
    s: float
    t: float
    h_editor: float
    f_editor: float
    h_thinker: float
    f_thinker: float

    def __post_init__(self) -> None:
        for k, val in vars(self).items():
            if not 0.0 <= val <= 1.0:
                raise CalibrationError(f"{k} = {val:.6g} is not a probability")


def calibrate(targets: dict, *, s: float, t: float, h_editor: float, h_thinker: float,
              v: float) -> SimParams:
    """Solve the simulator so the workflows' exact accuracies equal ``targets``.

    With ``c`` the CoT accuracy: reflection ``= c u + (1 − c) v``; Combine-E
    ``= c (s + (1 − s) h_E) + (1 − c) t f_E``; Combine-T likewise with ``h_T, f_T``.

    Raises
    ------
    CalibrationError
        If a solved parameter falls outside [0, 1] (names it).
    """
    c = float(targets["cot"])
    if not 0 < c < 1:
        raise CalibrationError(f"cot = {c} must be in (0, 1)")
    u = (targets["reflection"] - (1 - c) * v) / c
    keep_e = c * (s + (1 - s) * h_editor)
    keep_t = c * (s + (1 - s) * h_thinker)
    f_e = (targets["combine_e"] - keep_e) / ((1 - c) * t)
    f_t = (targets["combine_t"] - keep_t) / ((1 - c) * t)
    return SimParams(direct=float(targets["direct"]), cot=c, u=u, v=v, s=s, t=t,
                     h_editor=h_editor, f_editor=f_e, h_thinker=h_thinker, f_thinker=f_t)


def _rework(st: Status, keep: float, fix: float, author: str) -> list[tuple[float, Status]]:
    p_right = keep if st.correct else fix
    new = replace(st, modified=True, author=author)
    out = [(p_right, replace(new, correct=True)), (1 - p_right, replace(new, correct=False))]
    return [(p, x) for p, x in out if p > 0]


class SimulatedAgent:
    """A calibrated stochastic stand-in for one role (implements :class:`Agent`)."""

    def __init__(self, name: str, params: SimParams):
        if name not in ROLES:
            raise ValueError(f"name: {name!r} is not one of {ROLES}")
        self.name = name
        self.p = params

    def outcomes(self, st: Status) -> list[tuple[float, Status]]:
        """The exact law of the status after one call."""
        p, name = self.p, self.name
        if name == "commissioner":
            return [(1.0, st)]
        if name == "thinker":
            if st.author == "":
                return [(x, Status(author="thinker", correct=c)) for x, c in
                        ((p.cot, True), (1 - p.cot, False)) if x > 0]
            if st.modified or (st.checked and st.judged):
                return [(1.0, st)]
            if st.checked:
                return _rework(st, p.h_thinker, p.f_thinker, "thinker")
            return _rework(st, p.u, p.v, "thinker")
        if name == "editor":
            if st.author == "":
                return [(x, Status(author="editor", correct=c)) for x, c in
                        ((p.direct, True), (1 - p.direct, False)) if x > 0]
            mine = replace(st, author="editor")
            if st.checked and not st.judged and not st.modified:
                return _rework(mine, p.h_editor, p.f_editor, "editor")
            return [(1.0, mine)]
        # checker
        if st.author == "" or st.checked:
            return [(1.0, st)]
        yes = p.s if st.correct else 1 - p.t
        out = [(yes, replace(st, checked=True, judged=True)),
               (1 - yes, replace(st, checked=True, judged=False))]
        return [(x, y) for x, y in out if x > 0]

    def act(self, conversation: Conversation, rng: np.random.Generator) -> Conversation:
        """Sample one call: draw the next status, then write it into the conversation."""
        st = status_of(conversation)
        outs = self.outcomes(st)
        k = draw_index(cdf([x for x, _ in outs]), rng.random())
        new = outs[k][1]
        conv = conversation
        answer = conv.answer
        if new.author and (new.correct != st.correct or not st.author):
            answer = conv.gold if new.correct else _wrong(conv.gold)
        text = {"commissioner": "Please solve the problem.",
                "thinker": f"Step by step ... the answer is {answer}.",
                "editor": f"Final answer: {answer}.",
                "checker": f"I judge the answer {'correct' if new.judged else 'incorrect'}."
                }[self.name]
        return conv.say(self.name, text, answer=answer, author=new.author or None,
                        modified=new.modified, checked=new.checked,
                        judged_correct=new.judged)


def _wrong(gold: str | None) -> str:
    return f"not-{gold}"


def simulated_agents(params: SimParams) -> dict[str, SimulatedAgent]:
    """The four calibrated simulators, by role."""
    return {r: SimulatedAgent(r, params) for r in ROLES}


def check_agent(agent: Agent, *, trials: int = 20, seed: int = 0) -> list[str]:
    """Conformance check for a user's :class:`Agent`: returns a list of problems (empty: ok).

    It calls ``act`` on a fresh conversation and on one with an answer, and checks that the
    result is a :class:`Conversation` with the same question, exactly one new message by the
    agent. (A real agent must not read ``gold``; the simulators do, since they simulate how often
    a model is right.)
    """
    problems = []
    if not isinstance(agent, Agent):
        return [f"{agent!r} does not implement Agent (needs .name and .act)"]
    starts = [Conversation(question="What is 2 + 3?", gold="5"),
              Conversation(question="What is 2 + 3?", gold="5", answer="5", author="editor")]
    for conv in starts:
        for k in range(trials):
            out = agent.act(conv, np.random.default_rng(seed + k))
            if not isinstance(out, Conversation):
                problems.append(f"act returned {type(out).__name__}, not Conversation")
                break
            if out.question != conv.question or len(out.messages) != len(conv.messages) + 1:
                problems.append("act must keep the question and append exactly one message")
                break
            if out.messages[-1][0] != agent.name:
                problems.append(f"the new message is signed {out.messages[-1][0]!r}, "
                                f"not {agent.name!r}")
                break
    return problems
