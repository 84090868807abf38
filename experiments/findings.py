"""The findings of ``docs/results.md`` as templates filled from the runs' ``results.json``.

Settings are data, analysis is pure: every figure in a finding is a placeholder that
:data:`FACTS` computes from a run's ``results.json`` (the document ``icq reproduce NAME``
writes: ``settings``, ``summary``, ``raw``), so the prose cannot drift from the runs. The
templates' own text holds no figure (:func:`literal_figures` finds any, and a test keeps it
empty); what a template says that no run measures (how a family was chosen, what an earlier
version of a simulator did) is build history, stated without figures.

>>> fill("r = {r} over {n} points", {"r": "0.93", "n": "100"})
'r = 0.93 over 100 points'
>>> literal_figures("r = 0.93 over {n} points (Theorem 1, Table 1)")
['0.93']
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Callable, Mapping

import numpy as np

from icq.experiments.llm.analysis import EVIDENCE, NAMES
from icq.experiments.t1.analysis import TARGET
from icq.experiments.t1.settings import EXPLORED

__all__ = ["FACTS", "QUICK", "TEMPLATES", "fill", "findings", "intro_facts", "literal_figures",
           "num", "placeholders"]


# ---------------------------------------------------------------------------------------
# filling
# ---------------------------------------------------------------------------------------


def placeholders(template: str) -> set[str]:
    """The field names of ``template`` (``{name}`` or ``{name:spec}``)."""
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


def fill(template: str, values: Mapping[str, str]) -> str:
    """``template`` with every ``{name}`` replaced by ``values[name]``.

    Raises
    ------
    KeyError
        naming every field the values lack
    """
    missing = sorted(placeholders(template) - set(values))
    if missing:
        raise KeyError(f"findings: no value for {', '.join(missing)}")
    return template.format_map(dict(values))


#: references that are names, not figures ("Theorem 1", "Table 1", "§5", "4-bit", "A6", a
#: citation's year "Singal 2018")
_NAMES = re.compile(r"(Theorem|Table|Lemma|Fig\.|figure|§)\s*\d+(\.\d+)?|\d+-bit|\b4 bits\b|"
                    r"[A-Za-z_]\d+\b|\d+/\d+\b(?=\))|[A-Z][a-z]+ (?:19|20)\d\d\b")
#: a figure: a decimal, a percentage or an integer of two or more digits (single digits are
#: the constants of formulas such as (1 + ln T)/T or τ_mix(1/4))
_FIGURE = re.compile(r"(?<![\w{.,])(?:\d+[.,]\d+(?:[.,]\d+)*%?|\d+%|\d{2,})")


def literal_figures(template: str) -> list[str]:
    """Figures typed into ``template`` outside its placeholders (section and theorem numbers,
    "4-bit" and names such as ``A6`` or ``Q*`` excepted)."""
    text = re.sub(r"\{[^{}]*\}", " ", template)
    return _FIGURE.findall(_NAMES.sub(" ", text))


def num(x: float | None, digits: int = 3) -> str:
    """``x`` to ``digits`` significant figures (``"n/a"`` for ``None`` or nan)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{float(x):.{digits}g}"


def _pct(x: float, digits: int = 1) -> str:
    return f"{100 * float(x):.{digits}f}%".replace(".0%", "%") if digits else f"{100 * x:.0f}%"


def _power(x: float) -> str:
    """``x`` as m·10ᵏ in Unicode superscripts (``1000 -> 10³``, ``2e7 -> 2·10⁷``)."""
    sup = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
    k = math.floor(math.log10(x) + 1e-9)
    m = x / 10**k
    head = "" if abs(m - 1) < 1e-9 else f"{m:.3g}·"
    return f"{head}10{str(k).translate(sup)}"


def _monotone_down(values: list[float]) -> bool:
    return all(b <= a + 1e-12 for a, b in zip(values, values[1:], strict=False))


# ---------------------------------------------------------------------------------------
# facts: pure functions of one results.json
# ---------------------------------------------------------------------------------------

_T1_GAPS = ("epsilon", "delta_tv", "ais_gap", "ais_gap_value_aware", "ais_gap_statewise",
            "ais_gap_exact")


def facts_t1(res: dict) -> dict[str, str]:
    """T1: the headline correlation, the other gap forms, δ, monotonicity and Lemma P."""
    s, rows = res["summary"], res["raw"]["rows"]
    c = s["correlations"]
    rhos = sorted({r["rho"] for r in rows})

    def means(key):
        return [float(np.mean([key(r) for r in rows if r["rho"] == rho])) for rho in rhos]

    series = [means(lambda r, k=k: r["gaps"][k]) for k in _T1_GAPS]
    series += [means(lambda r: r["value_gap"]), means(lambda r: r["value_gap_sup"])]
    sup_ratio = max((r["value_gap_sup"] / (2 * r["gaps"]["ais_gap_exact"]) for r in rows
                     if r["gaps"]["ais_gap_exact"] > 0), default=0.0)
    nu_ratio = max((r["value_gap"] / (2 * r["gaps"]["ais_gap"]) for r in rows
                    if r["gaps"]["ais_gap"] > 0), default=0.0)
    zero_ok = all(r["value_gap_sup"] <= 1e-9 for r in rows if r["gaps"]["ais_gap_exact"] <= 0)
    delta_zero = c["delta_tv"]["value_gap"] is None
    return {
        "r": num(s["pearson"]), "points": str(s["points"]),
        "target": "met" if s["target_met"] else "NOT met", "threshold": num(TARGET),
        "r_sup": num(c["ais_gap"]["value_gap_sup"]),
        "r_exact": num(c["ais_gap_exact"]["value_gap"], 2),
        "r_statewise": num(c["ais_gap_statewise"]["value_gap"], 2),
        "r_exact_sup": num(c["ais_gap_exact"]["value_gap_sup"], 2),
        "r_statewise_sup": num(c["ais_gap_statewise"]["value_gap_sup"], 2),
        "delta": ("δ is zero up to rounding here (each feature flips independently, so hidden "
                  "features never change how the observed ones evolve): Δ_AIS = ε/(1−γ̄) and "
                  "Δ_va = Δ_AIS" if delta_zero else
                  "δ is not zero here, so Δ_AIS exceeds ε/(1−γ̄)"),
        "monotone": ("fall monotonically" if all(_monotone_down(v) for v in series)
                     else "do not all fall monotonically"),
        "lemma_p": ("every point respects Lemma P" if sup_ratio <= 1 and nu_ratio <= 1
                    and zero_ok else "some point VIOLATES Lemma P"),
        "sup_ratio": num(sup_ratio, 2), "nu_ratio": num(nu_ratio, 2),
    }


def facts_t2(res: dict) -> dict[str, str]:
    """T2: the rate in (a), the error against p in (b), the floor in (c)."""
    s, raw = res["summary"], res["raw"]
    a, avg, tab = s["a_theorem"], s["a_theorem_averaged"], s["a_tabular"]
    ratios = [e["bound"] / v for e, v in zip(raw["a"]["envelope"], a["mean_error"],
                                             strict=True) if v > 0]
    b, c = s["b"], s["c"]
    p, err, rel = b["p"], b["mean_error"], b["mean_relative_error"]
    p_model = res["settings"]["family"]["p"]  # the family's own p: where (b) starts its story
    i0 = p.index(p_model) if p_model in p else 0
    fails = [q for q, h in zip(p, b["a6_holds"], strict=True) if not h]
    below = [k for k, r in enumerate(c["rho"]) if r < 1]
    rms = [math.sqrt(v) for v in c["mean_error"]]
    floor = [math.sqrt(f) for f in c["floor_sq"]]
    k0 = below[0] if below else 0
    top = len(c["rho"]) - 1
    return {
        "slope": num(a["slope"]), "slope_upper": num(a["slope_upper_half"]),
        "T_lo": _power(a["T"][0]), "T_hi": _power(a["T"][-1]),
        "slope_avg": num(avg["slope"]), "slope_tab": num(tab["slope"], 2),
        "omega_step": num(res["settings"]["omega"]),
        "below": "lies below" if a["below_envelope"] else "does NOT all lie below",
        "ratio_lo": _power(10 ** math.floor(math.log10(min(ratios)))),
        "ratio_hi": _power(10 ** math.floor(math.log10(max(ratios)))),
        "omega": num(raw["a"]["constants"]["omega"], 2),
        "T_b": _power(b["T"]), "p_first": num(p[i0]), "p_last": num(p[-1]),
        "b_verdict": ("**Reproduced**" if err[-1] > err[i0] and rel[-1] > rel[i0]
                      else "**Not reproduced**"),
        "b_trend": ("falls" if err[-1] < err[i0] and rel[-1] < rel[i0] else
                    "grows" if err[-1] > err[i0] and rel[-1] > rel[i0] else "moves"),
        "tau_lo": str(min(b["tau_mix"])), "tau_hi": str(max(b["tau_mix"])),
        "a6_fails": f"A6 fails from p = {num(fails[0])}" if fails else "A6 holds at every p",
        "T_c": _power(c["T"]),
        "floor_match": ("equals" if all(f"{rms[k]:.3g}" == f"{floor[k]:.3g}" for k in below)
                        else "does not equal"),
        "order": ("holds" if c["floor_below_exact_below_ais"] else "FAILS"),
        "rho0": num(c["rho"][k0]), "floor0": num(floor[k0]),
        "exact0": num(c["ais_gap_exact"][k0]), "ais0": num(c["ais_gap"][k0]),
        "rms_top": num(rms[top], 2),
    }


def facts_routing(res: dict) -> dict[str, str]:
    """Routing: accuracies, the graph sizes and the audit's zeros."""
    s, runs = res["summary"], res["raw"]["runs"]
    nodes = sorted({r["nodes"] for rows in runs.values() for r in rows})
    zero = all(r["gaps"][k] == 0 for rows in runs.values() for r in rows
               for k in ("epsilon", "delta_tv", "ais_gap", "ais_gap_exact"))
    return {
        "packet": _pct(min(s["accuracy"].values())),
        "decision": _pct(min(s["decision_accuracy"].values())),
        "oracle": ("attaining argmax Q* at every latent state"
                   if min(s["oracle_agreement"].values()) == 1.0
                   else "not always attaining argmax Q*"),
        "graphs": str(sum(s["seeds"].values())), "families": str(len(s["seeds"])),
        "seeds": "/".join(sorted({str(v) for v in s["seeds"].values()})),
        "nodes": " or ".join(str(n) for n in nodes),
        "zero": "ε = δ = Δ_AIS = Δ_exact = 0" if zero else "a nonzero gap",
    }


def facts_llm(res: dict) -> dict[str, str]:
    """LLM: the recovered workflows, Monte Carlo agreement and the thinnest margin."""
    s, raw, st = res["summary"], res["raw"]["profiles"], res["settings"]
    t = s["table"]
    wf = ("cot", "reflection", "combine_e", "combine_t")
    margins = {p: sorted((v[w] for w in wf), reverse=True) for p, v in t.items()}
    thin = min(margins, key=lambda p: margins[p][0] - margins[p][1])
    second = max((w for w in wf if w != t[thin]["best_predefined"]), key=lambda w: t[thin][w])
    mc = max(abs(sd["mc_accuracy"] - sd["accuracy"]) for r in raw.values() for sd in r["seeds"])
    return {
        "recovers": ("On every profile and every one of the {} seeds, IC-Q's greedy routing is "
                     "exactly the best predefined workflow".format(st["seeds"])
                     if s["recovers_best_everywhere"] else
                     "IC-Q's greedy routing is NOT the best predefined workflow on every seed"),
        "choices": "; ".join(f"{NAMES[v['best_predefined']]} on {p} "
                             f"({num(v['best_predefined_accuracy'])})" for p, v in t.items()),
        "mc_episodes": f"{st['mc_episodes']:,}", "mc_diff": num(mc, 1),
        "ais": ("picks the same workflows" if all(v["ais_optimum_workflow"] == v["best_predefined"]
                                                    for v in t.values())
                else "does not always pick the same workflows"),
        "thin": thin, "best_thin": NAMES[t[thin]["best_predefined"]],
        "second_thin": NAMES[second], "margin": num(margins[thin][0] - margins[thin][1], 1),
        "handoffs": _power(st["handoffs"]),
        "calibration": num(max(v["max_calibration_error"] for v in t.values()), 1),
        "evidence": EVIDENCE,
    }


def facts_cpu(res: dict) -> dict[str, str]:
    """CPU: training and unseen-target accuracy per observation kind."""
    s, runs, st = res["summary"], res["raw"]["runs"], res["settings"]
    blk = [r for r in runs if r["observations"] == "register_block"]
    raw = [r for r in runs if r["observations"] == "raw"]
    worst = min(blk, key=lambda r: r["test_accuracy"])
    return {
        "train_all": ("every seed learns a program that writes all {} training targets".format(
            blk[0]["train_targets"]) if all(r["train_accuracy"] == 1.0 for r in blk)
            else "not every seed learns all training targets"),
        "unseen": str(blk[0]["test_targets"]),
        "perfect": str(sum(r["test_accuracy"] == 1.0 for r in blk)), "seeds": str(len(blk)),
        "mean": _pct(s["test_accuracy"]["register_block"]),
        "sd": _pct(s["test_accuracy_sd"]["register_block"]),
        "worst": _pct(worst["test_accuracy"]),
        "raw_test": _pct(max(r["test_accuracy"] for r in raw), 0) if raw else "n/a",
        "raw_train": _pct(s["train_accuracy"].get("raw", float("nan")), 0),
        "episodes": f"{st['episodes']:,}",
        "raw_entries": f"{round(np.mean([r['table_entries'] for r in raw]), -3):,.0f}"
        if raw else "n/a",
        "blk_entries": f"{round(np.mean([r['table_entries'] for r in blk]), -2):,.0f}",
        "paper": _pct(s["paper_test_accuracy"], 0),
    }


def facts_quick(res: dict) -> dict[str, str]:
    """The quick run's headline, in the words of each experiment."""
    s, name = res["summary"], res["experiment"]
    if name == "t1":
        return {"quick": f"The quick setting ({res['settings']['seeds']} seeds) gives "
                         f"r = {num(s['pearson'])}."}
    if name == "cpu":
        return {"quick": f"The quick setting ({res['settings']['seeds']} seeds × "
                         f"{res['settings']['episodes']:,} episodes) gives "
                         f"{_pct(s['train_accuracy']['register_block'], 0)} on training and "
                         f"{_pct(s['test_accuracy']['register_block'], 0)} on unseen targets."}
    if name == "llm":
        return {"quick": f"The quick setting ({res['settings']['seeds']} seeds) "
                         + ("also recovered the best workflow everywhere."
                            if s["recovers_best_everywhere"] else
                            "did NOT recover the best workflow everywhere.")}
    return {"quick": ""}


def intro_facts(res: dict) -> dict[str, str]:
    """The settings (and the few measured figures) an experiment's introduction quotes."""
    st, s, name = res["settings"], res["summary"], res["experiment"]
    if name == "t1":
        fam = st["family"]
        return {**{k: num(fam[k]) for k in ("n_agents", "d", "p", "T_max", "gamma")},
                "kappa_max": num(s["kappa_max"], 2),
                "rhos": ", ".join(num(r) for r in st["rhos"]),
                "variants": str(EXPLORED["variants"]), "seeds_lo": str(EXPLORED["seeds"][0]),
                "seeds_hi": str(EXPLORED["seeds"][1]), "r_lo": num(EXPLORED["pooled_r"][0]),
                "r_hi": num(EXPLORED["pooled_r"][1])}
    if name == "t2":
        b = s["b"]
        fails = [q for q, h in zip(b["p"], b["a6_holds"], strict=True) if not h]
        return {"omega": num(st["omega"]), "a6_p": num(fails[0]) if fails else "(never)",
                "tau_lo": str(min(b["tau_mix"])), "tau_hi": str(max(b["tau_mix"]))}
    if name == "routing":
        return {k: num(st[k]) for k in ("step_cost", "delivery_reward", "gamma", "p_detain")}
    if name == "llm":
        return {"gamma": num(st["gamma"], 6), "steps_lo": str(min(st["thinker_steps"])),
                "steps_hi": str(max(st["thinker_steps"]))}
    if name == "cpu":
        run = res["raw"]["runs"][0]
        return {"bits": str(st["bits"]), "optimism": num(st["optimism"]),
                "alpha": num(st["alpha"]), "eps_hi": num(max(st["epsilon"])),
                "eps_lo": num(min(st["epsilon"])), "phases": str(st["phases"]),
                "train_pct": _pct(st["train_fraction"], 0), "n_train": str(run["train_targets"]),
                "n_test": str(run["test_targets"])}
    return {}


FACTS: dict[str, Callable[[dict], dict[str, str]]] = {
    "t1": facts_t1, "t2": facts_t2, "routing": facts_routing, "llm": facts_llm,
    "cpu": facts_cpu,
}

#: the sentence about the quick run, present only when its results.json is given
QUICK = "{quick}"


# ---------------------------------------------------------------------------------------
# templates (no figure typed: every number is a placeholder)
# ---------------------------------------------------------------------------------------

TEMPLATES: dict[str, str] = {
    "t1": """
**Findings.** r = {r} between Δ_AIS and the ν₀ value gap over {points} points (target ≥
{threshold}: {target}); {r_sup} with the max-over-states value gap; Δ_exact and the state-wise
bound give {r_exact} and {r_statewise} ({r_exact_sup} and {r_statewise_sup} against the
max-state gap). {delta}. The means of every gap term and of both value gaps {monotone} as ρ
grows, and {lemma_p}: the max-state value gap is at most {sup_ratio} × 2Δ_exact, the ν₀ value
gap at most {nu_ratio} × 2Δ_AIS.
""",
    "t2": """
**Findings.** (a) Theorem 1's learner, last iterate (what `icq.bounds` bounds, with ω²):
log-log slope {slope} over T = {T_lo}…{T_hi} and {slope_upper} on the upper half, against the
(1 + ln T)/T rate; its averaged iterate (docs/theory.md's wording) {slope_avg}; the library's
per-entry 1/n^{omega_step} learner has slope {slope_tab}, as its step schedule predicts. Every
mean error {below} the bound, which is {ratio_lo}–{ratio_hi} times larger (mostly 1/((1−κ)²ω²)
with ω = min μ⊗π_b ≈ {omega}): sound here, but not a usable estimate. (b) {b_verdict}: the
paper reports error growing as mixing slows with p; here the error at T = {T_b} {b_trend} from
p = {p_first} to {p_last} (absolute and relative to ‖Q*‖²_μ), τ_mix(1/4) stays within
{tau_lo}–{tau_hi} handoffs, and {a6_fails}. An exploratory variant with rare episode ends (not
part of these settings, so no figures here) made τ_mix grow with p but broke A6 sooner: for
one-hot features, A6 needs frequent restarts and slow mixing needs rare ones. (c) At T = {T_c}
the RMS error {floor_match} the floor ‖Q̂*∘σ − Q*‖_μ to three digits at every ρ < 1, and floor
< Δ_exact < Δ_AIS {order} throughout (e.g. ρ = {rho0}: {floor0} < {exact0} < {ais0}); at ρ = 1
the RMS error is {rms_top}.
""",
    "routing": """
**Findings.** {packet} packet accuracy and {decision} decision accuracy (worst family) on all
{graphs} graphs ({seeds} seeds per family, {families} families; {nodes} routers), with the
greedy next hop {oracle}, and {zero} on every graph (audit). This is the regime where Theorem
1's interface term vanishes and IC-Q is plain asynchronous SMDP Q-learning on the latent state.
""",
    "llm": """
**Findings.** {recovers}: {choices}. Monte Carlo through the `Agent` protocol ({mc_episodes}
questions per seed) agrees within {mc_diff}. The greedy policy of the exact AIS optimum Q̂*
{ais}. The margin is smallest on {thin} ({best_thin} beats {second_thin} by {margin} in
accuracy); the full setting trains {handoffs} handoffs per seed. The calibration reproduces the
workflow columns of Table 1 to {calibration}. **What this is evidence of, and what not.**
{evidence} Getting here required designing the interface so that the 4 bits distinguish what
matters for each decision: in earlier versions of the simulator (build history, not rerun),
resetting the check bits after a revision made a revised answer look like a reflected one,
paying the reward at the commissioner's closing step mixed editor- and thinker-revised answers
under one observation, and letting a judged-correct answer go back to the thinker created a
nearly free loop; in each case IC-Q (and Q̂*) chose a non-predefined or looping workflow.
""",
    "cpu": """
**Findings.** With the register block {train_all}, and on the {unseen} unseen targets {perfect}
of {seeds} seeds score perfectly: {mean} on average (sd {sd}). The worst seed scores {worst}.
With the raw register file, at most {raw_test} of unseen targets on any seed, as it must be for
tables indexed by value (an unseen target is an unseen observation), and {raw_train} of the
training targets after the same {episodes} episodes (about {raw_entries} table entries to fill
instead of about {blk_entries}). The paper reports {paper}; our machine, interface and shaping
are our own, so these numbers support the qualitative claim (an interface that abstracts away
the values lets a learned workflow transfer to unseen values) rather than reproduce the paper's
figure. Two lessons from building it (build history, not rerun): without the comparator flags
nothing was learned (a local action's effect must show in the observation the successor's value
is computed at); and the training loop must not be cut before the forced END, or looping
programs never see their terminal value and stay optimistic.
""",
}


def findings(name: str, results: dict, quick: dict | None = None) -> str:
    """The findings paragraph of experiment ``name`` filled from its full run's
    ``results.json`` (and, if given, a sentence from its quick run's)."""
    text = fill(TEMPLATES[name], FACTS[name](results)).strip()
    if quick is not None:
        extra = fill(QUICK, facts_quick(quick)).strip()
        text = f"{text} {extra}".strip()
    return text
