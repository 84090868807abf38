"""Assemble ``docs/results.md`` from finished runs (``out/NAME/results.{json,md}``).

    python -m icq.experiments.docs [--out-root out] [--docs docs] [--partial]

For each experiment that has results, the figures are copied to ``docs/figures/`` and the
tables and the command that made them are embedded verbatim after the experiment's
introduction (:data:`INTRO`) and findings, so the document shows exactly what the command
printed. The introductions and findings are templates filled from the run's ``results.json``
by :mod:`.findings` (and a sentence from ``OUT_ROOT/NAME-quick/results.json`` when a quick run
is there): no figure in them is typed by hand.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from icq.experiments.findings import fill, intro_facts
from icq.experiments.findings import findings as FINDINGS
from icq.reference.common.io import write_text

ORDER = ("t1", "t2", "routing", "llm", "cpu")

TITLES = {
    "t1": "T1 — the AIS gap predicts the value gap (paper §5.1)",
    "t2": "T2 — finite-sample behaviour along the three terms of Theorem 1 (paper §5.1)",
    "routing": "Multi-agent routing: the exact-AIS regime (paper §5.3)",
    "llm": "Multi-agent mathematical reasoning with simulated agents (paper §5.2, Table 1)",
    "cpu": "Multi-agent CPU programming: adaptable agents (paper §5.3)",
}


PREAMBLE = """
# Results: reproducing §5 of "Learning to Hand Off"

Every number below was produced by `icq reproduce NAME` (full settings) and is embedded verbatim
from the run's `results.md`; each run also wrote `results.json` with its settings, every
individual run, the command and the runtime. The same commands with `--quick` take seconds to
minutes each (each section gives its full run's time). Figures are in
`docs/figures/`. This file is assembled by `python -m icq.experiments.docs` from `out/`; the
introductions are in `experiments/docs.py`, and every figure in the findings is filled from the
run's `results.json` by `experiments/findings.py`.

Quantities from the theory (ε, δ, Δ_AIS, Δ_va, the state-wise bound, Δ_exact, κ, ω, τ_mix and
Theorem 1) come from `icq.bounds.audit` with one-hot (tabular) features and the total-variation IPM.
Learners are the library's tabular IC-Q (`icq.reference.learners.tabular.train_tabular`) unless a
section says otherwise.
"""

INTRO: dict[str, str] = {
    "t1": """
**Family** (`experiments/synthetic/family.py`, settings in `experiments/t1/settings.py`): a
primitive-level IC-SMDP compiled exactly to decision epochs by
`icq.reference.model.primitive.reduce_to_epoch`. N = {n_agents} pre-configured agents, an artifact z
of d = {d} binary features, per-step handoff probability p = {p} with durations truncated at
T_max = {T_max}, γ = {gamma}. The private state of each agent is its progress counter inside an
invocation (it realises the geometric handoff and returns to 0 at every handoff, so ρ = 1 is
exact: Δ_AIS = 0). Each agent works on one feature per step (a fixed local policy that ignores
the observation, so the physical system is the same for every ρ) and earns W[i, j]·(2z − 1) per
step for the successor j it committed to. The active agent observes the first ⌈ρd⌉ features and
its private state. Behaviour: uniform over the two other agents and END.

**A6 holds for the features used** (one-hot over the observation pairs, i.e. tabular IC-Q): κ ≤
{kappa_max} < 1 at every point (`icq.bounds` closed form), because E[γ^{{2τ}}] is small enough
against the uniform behaviour (docs/theory.md §5: with τ ≡ 1 the same family has κ > 1, and A6
fails).

**Protocol.** For each seed (a new draw of W and the local policies) and ρ ∈ {{{rhos}}}: audit
the model, train tabular IC-Q, and evaluate its greedy policy exactly in the latent model. The
value gap is V(π_{{ρ=1}}) − V(π_ρ) from ν₀ (both IC-Q policies of the same seed). The headline
is the pooled Pearson r between Δ_AIS (the paper's form, the term in Theorem 1) and that value
gap over all (seed, ρ) points; the other gap forms and the max-over-states value gap are
reported beside it.

**How the family was chosen (disclosed).** The reward structure and feature weighting were
settled after trying {variants} variants on {seeds_lo}–{seeds_hi} seeds (Gaussian or sign
weights, decaying or equal feature importance, shared or per-pair weights, "specialist"
weights, other flip rates), whose pooled r ranged from {r_lo} to {r_hi} (exploratory runs,
recorded in `experiments/t1/settings.py`, not rerun); the equal-importance Gaussian family had
the highest. The relation is convex (aliasing costs little until it flips decisions near ties),
which limits a linear correlation with a sup-norm gap; the max-over-states value gap, the
quantity Lemma P bounds pointwise, correlates more strongly.
""",
    "t2": """
Same family as T1 (model seed 0). Seeds vary the learner's random stream.

**(a)** At ρ = 1 (Δ_AIS = 0), E‖Q∘σ − Q*‖²_μ (the left-hand side of Theorem 1 for one run, over
(y, j) ~ μ ⊗ π_b) against the number of handoffs T, for two learners: projected IC-Q with
Theorem 1's own steps α_t = 1/((1−κ)ω(t+1)) and projection radius R_θ from the audit
(`experiments/t2/learner.py`, the algorithm the theorem is about; both its last iterate, which
`icq.bounds` bounds, and its averaged iterate, docs/theory.md's wording, are shown), and the
library's tabular IC-Q (per-entry steps 1/n^{omega}, no averaging). The red line is Theorem 1's
right-hand side with explicit constants from `icq.bounds.theorem1` (its mixing residual is
imported from Bhandari, Russo & Singal 2018, not machine-checked).

**(b)** Error at fixed T against the per-step handoff probability p (ρ = 1), with τ_mix(1/4)
and τ_mix(α_T) of the behaviour chain on the second axis. Larger p means shorter invocations, a
larger effective discount γ̄ and larger κ; A6 fails for p ≥ {a6_p} (marked ×), where Theorem 1
does not apply and τ_mix(α_T) is undefined. In this family the behaviour chain restarts after
END with probability 1/3 per handoff, which keeps τ_mix(1/4) at {tau_lo}–{tau_hi} handoffs for
every p: the mixing axis of the paper's figure is therefore weak here, and we say so rather
than tune it. The Q-values shrink with p (shorter invocations collect less reward), so the
error relative to ‖Q*‖²_μ is shown as well.

**(c)** Error at large T against ρ: it settles on the floor ‖Q̂*∘σ − Q*‖_μ (the distance from
the AIS-induced optimum IC-Q converges to, under μ), which lies below Δ_exact, which lies below
Δ_AIS (Lemma A).
""",
    "routing": """
Routers on connected random graphs from networkx (Erdős–Rényi, Barabási–Albert, Watts–Strogatz,
path). A router observes only (destination, detain flag) of the packet it holds and picks a
neighbour (`experiments/routing/env.py`). A free packet's hop takes one step; a detained one
waits a geometric number of extra steps (truncated at T_max). Each step costs {step_cost} and
delivery pays {delivery_reward} (γ = {gamma}); the packet is detained at the next router with
probability {p_detain}. The observation is the whole latent state, so σ is injective: ε = δ =
Δ_AIS = 0 (the audit's numbers below). Accuracy: **packet accuracy** = fraction of (source,
destination) pairs delivered along a shortest path whatever the detentions on the way (every
decision reachable from the source is a shortest-path hop); **decision accuracy** = fraction of
observations whose greedy next hop is on a shortest path; both are also checked against the
centralized oracle's argmax Q*.
""",
    "llm": """
**The agents are simulated.** No language model is called: the commissioner, thinker, editor
and checker are stochastic stand-ins (`experiments/llm/agents.py`) behind an `Agent` protocol
(`act(conversation, rng) -> conversation`) that a user can implement around a real model client
(`check_agent` checks an implementation). Their probabilities are solved so that the four
predefined workflows reach exactly the accuracies of the paper's Table 1 (three dataset
profiles). What this shows is that IC-Q, seeing only the 4-bit status (answer given, modified,
checked, judged correct), finds the best predefined workflow of each profile; it says nothing
about real models.

Workflows (agent sequences; the commissioner closes): CoT = C→T→E→C; Reflection = C→T→E→T→E→C
(the thinker reflects on the editor's answer); Combine-E = C→T→E→K→E→C (the checker's verdict
goes to the editor, who revises an answer judged incorrect); Combine-T = C→T→E→K→T→E→C (the
verdict goes to the thinker). Reward 1 when the editor concludes with the correct answer; γ =
{gamma} per call (a small price per call); the thinker's call lasts {steps_lo}–{steps_hi}
steps. Admissible successors depend on the 4-bit status only: a reworked or judged-correct
answer can only be concluded, so every workflow ends. IC-Q (tabular, uniform behaviour,
per-entry steps 1/n) learns only the routing; the learned accuracy is computed exactly on the
epoch model and by Monte Carlo through the `Agent` protocol. Direct answer is a one-model
baseline outside the workflow space. The interface gap is large in absolute terms (the hidden
correctness of the answer is not in the 4 bits, and γ̄ ≈ 1 inflates 1/(1−γ̄)); what matters for
the decision is that the greedy AIS optimum coincides with the best workflow.
""",
    "cpu": """
**Adaptable regime: outside Theorem 1.** Six agents (starter, loader A, loader B, ALU, selector,
writer) must write a {bits}-bit target t into memory (`experiments/cpu/machine.py`): each learns its
local action (what to load, which ALU operation, advance the pointer or not, what to write) and its
successor along the datapath's wiring (two choices each; the writer ends). A correct program is
bit-serial shift-and-add. The learner is the library's adaptable IC-Q
(`icq.reference.learners.adaptable.train_adaptable`): per agent a local-action table regressed on
its own successor table at the post-action observation, and a successor table regressed on the value
the successor sends back (one number), ε-greedy from optimistic values ({optimism}), constant step
{alpha}, ε decayed from {eps_hi} to {eps_lo} over {phases} phases of training on the same agents.
The environment (`experiments/cpu/env.py`) adds potential-based shaping (the fraction of target bits
correctly accumulated; it does not change which programs are optimal) and lists each agent's options
in a random order fixed per seed, because the learner breaks ties to the first option and the
natural order would favour untrained entries. Training uses the lowest {train_pct} of the integer
range (t < {n_train}); accuracy is the fraction of the other {n_test} targets whose greedy program
writes them exactly.

Two observations: the **register block** (the AIS: pointer exhausted, register valid bits and
comparator flags of each register against its part of the target; booleans, no values) and the
**raw** register file (values; a table entry per value).
""",
}


def _section(name: str, out_root: Path, docs: Path, intro: dict[str, str]) -> str | None:
    res = out_root / name / "results.json"
    md = out_root / name / "results.md"
    if not res.exists() or not md.exists():
        return None
    meta = json.loads(res.read_text())
    body = md.read_text().split("\n")
    tables = "\n".join(ln for ln in body[1:] if not ln.startswith("![")
                       and not ln.startswith("Made by")).strip()
    figs = []
    (docs / "figures").mkdir(parents=True, exist_ok=True)
    for f in meta.get("figures", []):
        src = out_root / name / f
        if src.exists():
            shutil.copyfile(src, docs / "figures" / f)
            figs.append(f"![{Path(f).stem}](figures/{f})")
    quick = out_root / f"{name}-quick" / "results.json"
    findings = FINDINGS(name, meta, json.loads(quick.read_text()) if quick.exists() else None)
    text = fill(intro.get(name, ""), intro_facts(meta)).strip()
    return (f"## {TITLES[name]}\n\n{text}\n\n"
            + (f"{findings}\n\n" if findings else "")
            + f"Command: `{meta['command']}` ({meta['seconds'] / 60:.1f} min on a shared 2-core "
            f"machine; settings in `experiments/{name}/settings.py`).\n\n"
            f"{tables}\n\n" + "\n\n".join(figs) + "\n")


def render(out_root: Path, docs: Path, intro: dict[str, str], preamble: str) -> str:
    parts = [preamble.strip() + "\n"]
    for name in ORDER:
        sec = _section(name, out_root, docs, intro)
        if sec is not None:
            parts.append(sec)
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--out-root", default="out")
    p.add_argument("--docs", default="docs")
    p.add_argument("--intro", default=None,
                   help="JSON file {experiment: text, '_preamble': text} overriding the "
                        "introductions (templates like INTRO: {name} fields, {{ }} for braces)")
    p.add_argument("--partial", action="store_true",
                   help="write the document even if some experiments have no results")
    a = p.parse_args(argv)
    missing = [n for n in ORDER if not (Path(a.out_root) / n / "results.json").exists()]
    if missing and not a.partial:
        for n in missing:
            print(f"--out-root: no {Path(a.out_root) / n / 'results.json'} (run `icq reproduce "
                  f"{n}`, or pass --partial); nothing written", file=sys.stderr)
        return 2
    prose = json.loads(Path(a.intro).read_text()) if a.intro else {}
    intro = {**INTRO, **prose}
    text = render(Path(a.out_root), Path(a.docs), intro, prose.get("_preamble", PREAMBLE))
    write_text(Path(a.docs) / "results.md", text)
    print(f"wrote {Path(a.docs) / 'results.md'}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
