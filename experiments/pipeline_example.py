"""Generate the bundled example ``icq/examples/planner-coder-tester-reviewer.json``.

    python -m icq.experiments.pipeline_example [--out PATH]

A four-agent software pipeline: a planner hands a task to a coder, whose code goes to a tester
or a reviewer, who either ship it (END) or send it back. Two things are hidden from every agent:
the task's difficulty (easy or hard: hard tasks take longer and more often give bad code) and the
code's quality (good or bad: shipping good code earns +1, bad code −1). The tester sees only
whether the tests passed and the reviewer only whether they approve, both noisy signals of the
quality; the coder sees only whether it is writing a first draft or a revision. Every number is
written below, so the file is reproducible. With uniform behaviour at γ = 0.95, A6 fails for
one-hot features (docs/theory.md §5).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from icq.reference.common.io import atomic_write

NAME = "planner-coder-tester-reviewer"
GAMMA = 0.95
DIFFICULTY = {"easy": 0.6, "hard": 0.4}  # initial law of the hidden difficulty
#: P(good code) by difficulty, first draft and revision
P_GOOD = {("easy", "draft"): 0.8, ("hard", "draft"): 0.4,
          ("easy", "revision"): 0.95, ("hard", "revision"): 0.7}
#: coder durations (steps, probability) by difficulty
CODE_TIME = {"easy": ((2, 0.7), (3, 0.3)), "hard": ((4, 0.6), (6, 0.4))}
P_PASS = {"good": 0.9, "bad": 0.3}  # tester: tests pass
P_APPROVE = {"good": 0.8, "bad": 0.35}  # reviewer: approves
STEP_COST = 0.02  # per primitive step
SHIP = {"good": 1.0, "bad": -1.0}


def _cost(duration: int, gamma: float) -> float:
    """The discounted cost ``−Σ_{t<τ} γ^t c`` of an invocation of ``duration`` steps."""
    return -STEP_COST * sum(gamma**t for t in range(duration))


def _signal(agent: str, quality: str) -> tuple[tuple[str, float], tuple[str, float]]:
    if agent == "tester":
        p = P_PASS[quality]
        return ("pass", p), ("fail", 1 - p)
    p = P_APPROVE[quality]
    return ("approve", p), ("flag", 1 - p)


def pipeline_document(gamma: float = GAMMA) -> dict[str, Any]:
    """The ``icsmdp-epoch/1`` document of the pipeline (see the module docstring)."""
    states: list[dict[str, str]] = []
    transitions: list[dict[str, Any]] = []
    for d in DIFFICULTY:
        states.append({"id": f"plan_{d}", "agent": "planner", "obs": "task"})
        for stage in ("draft", "revision"):
            states.append({"id": f"code_{d}_{stage}", "agent": "coder", "obs": stage})
        for q in ("good", "bad"):
            for agent in ("tester", "reviewer"):
                for sig, _ in _signal(agent, q):
                    states.append({"id": f"{agent}_{d}_{q}_{sig}", "agent": agent, "obs": sig})

    def handoff(d: str, q: str, to: str, duration: int, p: float, gamma: float
                ) -> list[dict[str, Any]]:
        return [{"prob": p * ps, "duration": duration, "reward": _cost(duration, gamma),
                 "next": f"{to}_{d}_{q}_{sig}"} for sig, ps in _signal(to, q)]

    for d in DIFFICULTY:
        plan_time = 1 if d == "easy" else 2
        transitions.append({"state": f"plan_{d}", "successor": "coder", "outcomes": [
            {"prob": 1.0, "duration": plan_time, "reward": _cost(plan_time, gamma),
             "next": f"code_{d}_draft"}]})
        transitions.append({"state": f"plan_{d}", "successor": "END", "outcomes": [
            {"prob": 1.0, "duration": 1, "reward": -0.3, "next": None}]})
        for stage in ("draft", "revision"):
            pg = P_GOOD[(d, stage)]
            for to in ("tester", "reviewer"):
                outs = []
                for q, pq in (("good", pg), ("bad", 1 - pg)):
                    for dur, pd in CODE_TIME[d]:
                        outs += handoff(d, q, to, dur, pq * pd, gamma)
                transitions.append({"state": f"code_{d}_{stage}", "successor": to,
                                    "outcomes": outs})
        for q in ("good", "bad"):
            for agent, other in (("tester", "reviewer"), ("reviewer", "tester")):
                for sig, _ in _signal(agent, q):
                    y = f"{agent}_{d}_{q}_{sig}"
                    transitions.append({"state": y, "successor": "coder", "outcomes": [
                        {"prob": 1.0, "duration": 1, "reward": _cost(1, gamma),
                         "next": f"code_{d}_revision"}]})
                    transitions.append({"state": y, "successor": other,
                                        "outcomes": handoff(d, q, other, 1, 1.0, gamma)})
                    transitions.append({"state": y, "successor": "END", "outcomes": [
                        {"prob": 1.0, "duration": 1, "reward": SHIP[q], "next": None}]})
    successors = {
        "planner": {"task": ["coder", "END"]},
        "coder": {"draft": ["tester", "reviewer"], "revision": ["tester", "reviewer"]},
        "tester": {"pass": ["coder", "reviewer", "END"], "fail": ["coder", "reviewer", "END"]},
        "reviewer": {"approve": ["coder", "tester", "END"],
                     "flag": ["coder", "tester", "END"]},
    }
    return {"format": "icsmdp-epoch/1", "name": NAME, "gamma": gamma,
            "agents": ["planner", "coder", "tester", "reviewer"], "states": states,
            "initial": {f"plan_{d}": p for d, p in DIFFICULTY.items()},
            "successors": successors, "transitions": transitions}


def pipeline_text(gamma: float = GAMMA) -> str:
    """The committed file's exact text."""
    return json.dumps(pipeline_document(gamma), indent=1) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(__file__).resolve().parents[1] / "icq" / "examples" / f"{NAME}.json"
    p.add_argument("--out", default=str(default), help="where to write the example")
    args = p.parse_args(argv)
    with atomic_write(args.out) as fh:
        fh.write(pipeline_text())
    print(args.out)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
