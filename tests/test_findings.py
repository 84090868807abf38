"""The findings of docs/results.md are filled from results.json (issue 12, item 4).

Each experiment's results are synthetic runs with an analytic answer, passed through the
experiment's own ``summarize`` and a JSON round trip, as ``icq reproduce`` writes them.
"""

from __future__ import annotations

import copy
import json
import math

import pytest

from icq.experiments import docs as docs_mod
from icq.experiments import findings as F
from icq.experiments.cpu import analysis as cpu_a
from icq.experiments.cpu import settings as cpu_s
from icq.experiments.llm import analysis as llm_a
from icq.experiments.llm import settings as llm_s
from icq.experiments.routing import analysis as routing_a
from icq.experiments.routing import settings as routing_s
from icq.experiments.t1 import analysis as t1_a
from icq.experiments.t1 import settings as t1_s
from icq.experiments.t2 import analysis as t2_a
from icq.experiments.t2 import settings as t2_s
from icq.reference.common.io import jsonable


def _results(name: str, summarize, raw: dict, settings: dict) -> dict:
    doc = {"experiment": name, "command": f"icq reproduce {name}", "quick": False,
           "seconds": 60.0, "settings": settings, "summary": summarize(raw), "raw": raw,
           "figures": []}
    return json.loads(json.dumps(jsonable(doc)))


def t1_results(bad_row: bool = False, delta: float = 0.0) -> dict:
    # value gap = 0.2·Δ_AIS exactly (r = 1, ν₀ ratio 0.1), max-state gap = 0.5·Δ_exact
    # (ratio 0.25); every gap falls linearly in ρ and vanishes at ρ = 1
    rows = []
    for seed in range(3):
        for rho in (0.5, 1.0):
            g = (1 - rho) * (1 + seed)
            gaps = {"epsilon": 0.3 * g, "delta_tv": delta * g, "ais_gap": g,
                    "ais_gap_value_aware": g, "ais_gap_statewise": 0.8 * g,
                    "ais_gap_exact": 0.6 * g}
            rows.append({"seed": seed, "rho": rho, "gaps": gaps, "value_gap": 0.2 * g,
                         "value_gap_sup": 0.5 * 0.6 * g, "kappa": 0.5, "a6_holds": True,
                         "gamma_bar": 0.6, "observations": 4})
    if bad_row:
        rows[0]["value_gap_sup"] = 3 * rows[0]["gaps"]["ais_gap_exact"]
    return _results("t1", t1_a.summarize, {"rows": rows}, {**t1_s.FULL, "seeds": 3})


def test_t1_findings_state_the_analytic_values():
    f = F.facts_t1(t1_results())
    assert (f["r"], f["r_exact"], f["r_statewise"]) == ("1", "1", "1")
    assert (f["sup_ratio"], f["nu_ratio"], f["points"]) == ("0.25", "0.1", "6")
    assert f["lemma_p"] == "every point respects Lemma P" and f["monotone"] == "fall monotonically"
    assert f["delta"].startswith("δ is zero") and f["target"] == "met"
    text = F.findings("t1", t1_results())
    assert "r = 1 between Δ_AIS" in text and "0.25 × 2Δ_exact" in text and "{" not in text


def test_t1_findings_report_a_violation_and_a_nonzero_delta():
    f = F.facts_t1(t1_results(bad_row=True, delta=0.1))
    assert f["lemma_p"] == "some point VIOLATES Lemma P" and f["sup_ratio"] == "1.5"
    assert f["delta"].startswith("δ is not zero")


def t2_results(a6_last: bool = False) -> dict:
    Ts = [1_000, 10_000, 100_000, 1_000_000]
    runs = [{"learner": ln, "T": T, "seed": 0, "error": 5.0 / T}
            for ln in ("theorem", "theorem_averaged", "tabular") for T in Ts]
    env = [{"T": T, "bound": 5.0 / T * 10 ** (9 + k), "residual": 1.0}
           for k, T in enumerate(Ts)]
    ps = [0.1, 0.3, 0.9]
    b_runs = [{"p": p, "seed": 0, "error": 0.01 * (1 - p), "relative_error": 1e-4 * (1 - p)}
              for p in ps]
    models = {str(p): {"tau_mix": 2 + (p > 0.5), "tau_mix_alpha_T": 10, "gamma_bar": 0.5,
                       "a6_holds": p < 0.5 or a6_last} for p in ps}
    c_runs = [{"rho": 0.2, "seed": 0, "error": 4.0}, {"rho": 1.0, "seed": 0, "error": 0.0016}]
    c_models = {"0.2": {"floor_sq": 4.0, "ais_gap_exact": 3.0, "ais_gap": 5.0},
                "1.0": {"floor_sq": 0.0, "ais_gap_exact": 0.0, "ais_gap": 0.0}}
    raw = {"a": {"runs": runs, "envelope": env, "constants": {"omega": 0.0035}},
           "b": {"runs": b_runs, "models": models, "T": 1_000_000},
           "c": {"runs": c_runs, "models": c_models, "T": 20_000_000}}
    return _results("t2", t2_a.summarize, raw, {**t2_s.FULL, "omega": 0.7, "seeds": 1})


def test_t2_findings_state_the_analytic_values():
    f = F.facts_t2(t2_results())
    assert f["slope"] == f["slope_upper"] == f["slope_avg"] == "-1" and f["slope_tab"] == "-1"
    assert (f["T_lo"], f["T_hi"], f["T_b"], f["T_c"]) == ("10³", "10⁶", "10⁶", "2·10⁷")
    assert (f["ratio_lo"], f["ratio_hi"]) == ("10⁹", "10¹²")
    assert f["b_trend"] == "falls" and f["a6_fails"] == "A6 fails from p = 0.9"
    assert (f["tau_lo"], f["tau_hi"]) == ("2", "3")
    assert f["floor_match"] == "equals" and f["order"] == "holds" and f["rms_top"] == "0.04"
    assert (f["floor0"], f["exact0"], f["ais0"]) == ("2", "3", "5")
    assert F.facts_t2(t2_results(a6_last=True))["a6_fails"] == "A6 holds at every p"
    assert "{" not in F.findings("t2", t2_results())


def routing_results(miss: bool = False) -> dict:
    gaps = {"epsilon": 0.0, "delta_tv": 0.0, "ais_gap": 0.0, "ais_gap_exact": 0.0,
            "source": "icq.bounds.audit"}

    def run(seed, fam):
        ok = 0.5 if (miss and fam == "path" and seed == 1) else 1.0
        return {"seed": seed, "nodes": 5, "edges": 4, "states": 40, "packet_accuracy": ok,
                "decision_accuracy": 1.0, "oracle_agreement": 1.0, "gaps": gaps,
                "seconds": 0.1}

    raw = {"runs": {fam: [run(s, fam) for s in range(2)] for fam in ("path", "star")}}
    return _results("routing", routing_a.summarize, raw, {**routing_s.FULL, "seeds": 2})


def test_routing_findings_state_the_analytic_values():
    f = F.facts_routing(routing_results())
    assert (f["packet"], f["graphs"], f["families"], f["seeds"]) == ("100%", "4", "2", "2")
    assert f["zero"].startswith("ε = δ") and f["oracle"].startswith("attaining")
    assert F.facts_routing(routing_results(miss=True))["packet"] == "75%"


def llm_results(miss: bool = False) -> dict:
    acc = {"cot": 0.8, "reflection": 0.7, "combine_e": 0.9, "combine_t": 0.6}
    prof = {"direct": 0.3, "paper_icq": 0.9,
            "workflows": {w: {"exact": a, "target": a} for w, a in acc.items()},
            "seeds": [{"workflow": "combine_e", "accuracy": 0.9, "mc_accuracy": 0.89},
                      {"workflow": "cot" if miss else "combine_e", "accuracy": 0.9,
                       "mc_accuracy": 0.93}],
            "ais_optimum": {"workflow": "combine_e"},
            "gaps": {"ais_gap": 1.0, "ais_gap_exact": 0.5, "epsilon": 0.1, "delta_tv": 0.2}}
    return _results("llm", llm_a.summarize, {"profiles": {"x": prof}},
                    {**llm_s.FULL, "seeds": 2, "mc_episodes": 1000, "handoffs": 200_000_000})


def test_llm_findings_state_the_analytic_values_and_the_evidence():
    f = F.facts_llm(llm_results())
    assert f["recovers"].startswith("On every profile and every one of the 2 seeds")
    assert f["choices"] == "Combine-E on x (0.9)" and f["margin"] == "0.1"
    assert (f["best_thin"], f["second_thin"], f["mc_diff"]) == ("Combine-E", "CoT", "0.03")
    assert f["handoffs"] == "2·10⁸" and f["calibration"] == "0"
    text = F.findings("llm", llm_results())
    assert llm_a.EVIDENCE in text and "equal by construction" in text
    assert "NOT" in F.facts_llm(llm_results(miss=True))["recovers"]


def cpu_results() -> dict:
    def run(kind, seed, train, test, entries):
        return {"observations": kind, "seed": seed, "train_targets": 51, "test_targets": 205,
                "train_accuracy": train, "test_accuracy": test, "table_entries": entries,
                "seconds": 1.0}

    raw = {"runs": [run("register_block", 0, 1.0, 1.0, 2400), run("register_block", 1, 1.0,
                                                                  0.5, 2400),
                    run("raw", 0, 0.07, 0.0, 160_000), run("raw", 1, 0.07, 0.0, 160_000)]}
    return _results("cpu", cpu_a.summarize, raw, {**cpu_s.FULL, "seeds": 2, "episodes": 30_000})


def test_cpu_findings_state_the_analytic_values():
    f = F.facts_cpu(cpu_results())
    assert (f["perfect"], f["seeds"], f["mean"], f["worst"]) == ("1", "2", "75%", "50%")
    assert f["sd"] == f"{100 * math.sqrt(0.125):.1f}%"  # sd of (1, 0.5), ddof = 1
    assert (f["raw_test"], f["raw_train"], f["raw_entries"], f["blk_entries"]) == (
        "0%", "7%", "160,000", "2,400")
    assert f["train_all"].endswith("all 51 training targets") and f["paper"] == "80%"


def test_quick_sentence_comes_from_the_quick_run():
    q = t1_results()
    q["settings"]["seeds"] = 3
    text = F.findings("t1", t1_results(), q)
    assert text.endswith("The quick setting (3 seeds) gives r = 1.")


def test_templates_hold_no_typed_figure():
    for name, template in F.TEMPLATES.items():
        assert F.literal_figures(template) == [], name
        assert F.literal_figures(docs_mod.INTRO[name]) == [], name
    assert F.literal_figures(docs_mod.PREAMBLE) == []


@pytest.mark.parametrize("make", [t1_results, t2_results, routing_results, llm_results,
                                  cpu_results])
def test_introductions_quote_the_run_settings(make):
    res = make()
    facts = F.intro_facts(res)
    text = F.fill(docs_mod.INTRO[res["experiment"]], facts)
    expect = {"t1": ("kappa_max", "0.5", "ρ ∈ {0.2, 0.4, 0.6, 0.8, 1}:"),
              "t2": ("a6_p", "0.9", f"1/n^{F.num(0.7)}"),
              "routing": ("step_cost", F.num(routing_s.FULL["step_cost"]), "(γ = 0.95)"),
              "llm": ("gamma", F.num(llm_s.FULL["gamma"], 6), "γ = 0.9995 per call"),
              "cpu": ("n_test", "205", "other 205 targets")}
    key, value, quoted = expect[res["experiment"]]
    assert facts[key] == value
    assert quoted in " ".join(text.split()), quoted


def test_the_figure_scan_finds_typed_figures():
    # negative control: the numbers of the old hand-typed findings are found
    for typed in ("r = 0.928 over", "scores 37.6%:", "on all 40 graphs", "100% packet"):
        assert F.literal_figures(f"**Findings.** {typed} {{x}}"), typed
    assert F.literal_figures("Theorem 1, Table 1, §5, A6, 4-bit, τ_mix(1/4), {r:.3f}") == []


def test_fill_names_every_missing_field():
    with pytest.raises(KeyError, match="b, c"):
        F.fill("{a} {b} {c}", {"a": "1"})


def test_docs_embeds_the_filled_findings(tmp_path):
    res = routing_results()
    (tmp_path / "routing").mkdir()
    (tmp_path / "routing" / "results.json").write_text(json.dumps(res))
    (tmp_path / "routing" / "results.md").write_text("# routing\n\nMade by x.\n\n| a |\n|---|\n")
    text = docs_mod.render(tmp_path, tmp_path / "docs", docs_mod.INTRO, docs_mod.PREAMBLE)
    assert F.findings("routing", res) in text and "4 graphs (2 seeds per family" in text
    broken = copy.deepcopy(res)
    del broken["summary"]["accuracy"]
    (tmp_path / "routing" / "results.json").write_text(json.dumps(broken))
    with pytest.raises(KeyError):
        docs_mod.render(tmp_path, tmp_path / "docs", docs_mod.INTRO, docs_mod.PREAMBLE)


def test_docs_refuses_to_drop_experiments_without_results(tmp_path, capsys):
    res = routing_results()
    (tmp_path / "routing").mkdir()
    (tmp_path / "routing" / "results.json").write_text(json.dumps(res))
    (tmp_path / "routing" / "results.md").write_text("# routing\n\nMade by x.\n\n| a |\n|---|\n")
    out = tmp_path / "docs"
    assert docs_mod.main(["--out-root", str(tmp_path), "--docs", str(out)]) == 2
    assert not (out / "results.md").exists()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == len(docs_mod.ORDER) - 1 and all("nothing written" in e for e in err)
    assert docs_mod.main(["--out-root", str(tmp_path), "--docs", str(out), "--partial"]) == 0
    assert F.findings("routing", res) in (out / "results.md").read_text()
