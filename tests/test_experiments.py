"""The experiments' analysis functions, tested on small synthetic inputs (docs/contributing.md,
"Tests").

Each test asserts a property of the analysis (a known correlation, an exact power law, a known
routing answer, an exact calibration), not merely that code runs. Everything here is fast.
"""

from __future__ import annotations

import doctest
import importlib
import json
import math

import networkx as nx
import numpy as np
import pytest

from icq.experiments.common.io import markdown_table
from icq.experiments.common.policy import greedy_obs_policy, latent_value, undiscounted_smdp
from icq.experiments.common.stats import loglog_fit, mean_se, pearson, wilson_interval
from icq.experiments.cpu import analysis as cpu_analysis
from icq.experiments.cpu.env import CPUEnv
from icq.experiments.cpu.machine import AGENTS, LOCAL_ACTIONS, WIRING, Machine, observe
from icq.experiments.llm import analysis as llm_analysis
from icq.experiments.llm.agents import (
    CalibrationError,
    Conversation,
    SimulatedAgent,
    Status,
    calibrate,
    check_agent,
    simulated_agents,
)
from icq.experiments.llm.agents import (
    observe as observe_conv,
)
from icq.experiments.llm.settings import FREE, TABLE1
from icq.experiments.llm.system import (
    WORKFLOWS,
    build_model,
    script_policy,
    success_probability,
    workflow_accuracy,
)
from icq.experiments.routing import analysis as routing_analysis
from icq.experiments.routing import env as routing_env
from icq.experiments.synthetic.family import retained, synthetic_model, with_retention
from icq.experiments.t1 import analysis as t1_analysis
from icq.experiments.t2 import analysis as t2_analysis
from icq.reference.common.io import jsonable, write_json
from icq.reference.exact.solve import solve
from icq.reference.learners.adaptable import check_environment
from icq.reference.model import example_path, load

# --- statistics ------------------------------------------------------------------------------


def test_pearson_known_values_and_invariances():
    x = np.arange(10.0)
    assert pearson(x, 3 * x + 1) == pytest.approx(1.0)
    assert pearson(x, -x) == pytest.approx(-1.0)
    # symmetric data around a parabola's vertex: zero linear correlation
    assert pearson([-2, -1, 0, 1, 2], [4, 1, 0, 1, 4]) == pytest.approx(0.0, abs=1e-12)
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=50), rng.normal(size=50)
    r = pearson(a, b)
    assert pearson(5 * a - 2, 0.1 * b + 7) == pytest.approx(r)  # affine invariance
    assert pearson(b, a) == pytest.approx(r)
    assert math.isnan(pearson([1, 1, 1], [1, 2, 3]))


def test_pearson_rejects_bad_input():
    with pytest.raises(ValueError):
        pearson([1, 2], [1, 2, 3])
    with pytest.raises(ValueError):
        pearson([1], [1])


def test_loglog_fit_recovers_an_exact_power_law():
    T = np.logspace(2, 7, 9)
    fit = loglog_fit(T, 3.5 * T ** -1.0)
    assert fit.slope == pytest.approx(-1.0, abs=1e-12)
    assert 10 ** fit.intercept == pytest.approx(3.5)
    assert fit.r2 == pytest.approx(1.0)
    assert fit.predict([1e4])[0] == pytest.approx(3.5e-4)
    # log T / T has a local slope above -1 that approaches -1
    fit2 = loglog_fit(T, np.log(T) / T)
    assert -1.0 < fit2.slope < -0.8
    with pytest.raises(ValueError):
        loglog_fit([1, 2], [0.0, 1.0])


def test_mean_se_and_wilson():
    m, se = mean_se([1.0, 3.0])
    assert (m, se) == (2.0, pytest.approx(1.0))
    lo, hi = wilson_interval(100, 100)
    assert hi == pytest.approx(1.0) and 0.95 < lo < 1.0


def test_io_jsonable_and_atomic_write(tmp_path):
    obj = {"a": np.float64(1.5), "b": np.arange(3), "c": float("inf"), "d": np.bool_(True)}
    p = write_json(tmp_path / "x" / "r.json", obj, indent=2)
    # the project's one convention (icq.reference.common.io): +∞ is written 1e999, read back as ∞
    assert json.loads(p.read_text()) == {"a": 1.5, "b": [0, 1, 2], "c": math.inf, "d": True}
    assert "1e999" in p.read_text() and jsonable(obj)["b"] == [0, 1, 2]
    assert [f.name for f in p.parent.iterdir()] == ["r.json"]  # no temporary file left
    assert markdown_table(["h"], [[0.123456]]).splitlines()[-1] == "| 0.1235 |"


# --- policies on epoch models ------------------------------------------------------------------


def test_greedy_policy_of_the_exact_optimum_attains_v_star():
    m = load(example_path("ring-exact"))
    star = solve(m.latent)
    pi = greedy_obs_policy(m, star.q[np.argsort(m.pair_obs_pair)])  # σ is injective here
    assert latent_value(m, pi) == pytest.approx(float(m.initial @ star.v))
    assert np.allclose(np.add.reduceat(pi, m.obs_ptr[:-1]), 1.0)
    with pytest.raises(ValueError):
        greedy_obs_policy(m, np.zeros(m.n_obs_pairs + 1))


# --- T1 ------------------------------------------------------------------------------------


def _t1_rows(noise: float, seed: int = 0) -> list[dict]:
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(4):
        for rho in (0.2, 0.6, 1.0):
            g = 0.0 if rho == 1.0 else (1 - rho) * (1 + 0.3 * s)
            rows.append({"rho": rho, "seed": s, "observations": 4,
                         "value_gap": 0.5 * g + noise * rng.normal(),
                         "value_gap_sup": g, "a6_holds": True, "kappa": 0.5, "gamma_bar": 0.5,
                         "gaps": {k: g for k in t1_analysis.GAP_NAMES}})
    return rows


def test_t1_correlation_is_one_on_an_exact_linear_relation():
    s = t1_analysis.summarize({"rows": _t1_rows(noise=0.0)})
    assert s["pearson"] == pytest.approx(1.0)
    assert s["target_met"] and s["points"] == 12 and s["seeds"] == 4
    assert s["value_gap_by_rho"][1.0] == (0.0, 0.0)


def test_t1_correlation_drops_with_noise_and_flags_the_target():
    s = t1_analysis.summarize({"rows": _t1_rows(noise=2.0)})
    assert s["pearson"] < 0.9 and not s["target_met"]
    assert "NOT met" in t1_analysis.tables({"rows": _t1_rows(2.0)}, s)


def test_t1_does_not_correlate_a_term_that_is_zero_up_to_rounding():
    rows = _t1_rows(noise=0.0)
    for r in rows:
        r["gaps"]["delta_tv"] = 1e-16 * r["seed"]
    corr = t1_analysis.correlations(rows, ["delta_tv", "ais_gap"])
    assert corr["delta_tv"] == {"value_gap": None, "value_gap_sup": None}
    assert corr["ais_gap"]["value_gap"] == pytest.approx(1.0)


def test_t1_by_rho_means_and_spread():
    rows = [{"rho": 0.5, "x": v} for v in (1.0, 3.0)] + [{"rho": 1.0, "x": 2.0}]
    out = t1_analysis.by_rho(rows, lambda r: r["x"])
    assert out[0.5] == (2.0, pytest.approx(math.sqrt(2.0)))
    assert out[1.0] == (2.0, 0.0)


def test_retained_features_and_relabelling_is_the_exact_reduction():
    assert [retained(r, 5) for r in (0.2, 0.4, 0.6, 0.8, 1.0)] == [1, 2, 3, 4, 5]
    with pytest.raises(ValueError):
        retained(0.0, 5)
    kw = dict(d=2, n_agents=2, p=0.5, T_max=3, gamma=0.8, seed=1)
    _, full = synthetic_model(rho=1.0, **kw)
    _, half = synthetic_model(rho=0.5, **kw)
    re = with_retention(full, 0.5, 2)
    assert re.state_ids == half.state_ids and re.obs_labels == half.obs_labels
    assert np.array_equal(re.state_obs, half.state_obs)
    assert np.allclose(re.reward, half.reward) and abs(re.K - half.K).max() < 1e-15


# --- T2 ------------------------------------------------------------------------------------


def test_t2_mu_error_is_the_weighted_squared_distance():
    w = np.array([0.2, 0.3, 0.5])
    q_star = np.array([1.0, 2.0, 3.0])
    assert t2_analysis.mu_sq_error(np.array([1.0, 2.0, 3.0]), q_star, w, [0, 1, 2]) == 0.0
    # an aliased table: pairs 1 and 2 share entry 1
    err = t2_analysis.mu_sq_error(np.array([1.0, 2.5]), q_star, w, [0, 1, 1])
    assert err == pytest.approx(0.3 * 0.25 + 0.5 * 0.25)
    with pytest.raises(ValueError):
        t2_analysis.mu_sq_error(np.zeros(2), q_star, w[:2], [0, 1, 1])


def test_t2_envelope_and_floor_checks():
    assert t2_analysis.below([1.0, 2.0], [1.0, None])
    assert not t2_analysis.below([1.0, 2.0], [0.5, 3.0])
    assert t2_analysis.floor_order(0.5, 1.0, 2.0)
    assert not t2_analysis.floor_order(1.5, 1.0, 2.0)
    assert not t2_analysis.floor_order(0.5, 3.0, 2.0)


def test_t2_summary_fits_the_slope_of_synthetic_scans():
    Ts = [10, 100, 1000, 10000]
    runs = [{"learner": ln, "T": T, "seed": 0, "error": c / T} for T in Ts
            for ln, c in (("theorem", 2.0), ("theorem_averaged", 3.0), ("tabular", 5.0))]
    env = [{"T": T, "bound": 100.0 / T, "residual": 99.0 / T, "ais": 0.0} for T in Ts]
    raw = {"a": {"runs": runs, "envelope": env},
           "b": {"runs": [{"p": p, "seed": 0, "error": p, "relative_error": p} for p in (0.1, .5)],
                 "models": {str(p): {"tau_mix": 2, "tau_mix_alpha_T": 5, "gamma_bar": 0.5,
                                     "a6_holds": True} for p in (0.1, 0.5)}, "T": 10},
           "c": {"runs": [{"rho": r, "seed": 0, "error": e} for r, e in ((0.5, 1.0), (1.0, 0.0))],
                 "models": {"0.5": {"floor_sq": 1.0, "ais_gap_exact": 2.0, "ais_gap": 3.0},
                            "1.0": {"floor_sq": 0.0, "ais_gap_exact": 0.0, "ais_gap": 0.0}},
                 "T": 10}}
    s = t2_analysis.summarize(raw)
    assert s["slope"] == pytest.approx(-1.0)
    assert s["a_tabular"]["slope"] == pytest.approx(-1.0)
    assert s["a_theorem"]["below_envelope"]
    assert s["a_envelope_over_error_min"] == pytest.approx(50.0)
    assert s["c"]["floor_below_exact_below_ais"] and s["c"]["rms_error_below_exact"]


# --- routing -------------------------------------------------------------------------------


def _path_instance(n=4):
    g = nx.path_graph(n)
    return g, routing_env.shortest_next_hops(g)


def test_routing_accuracy_of_the_shortest_path_policy_is_one():
    g, sh = _path_instance()
    dec = {(i, d, f): min(sh[(i, d)]) for (i, d) in sh for f in (0, 1)}
    assert routing_analysis.decision_accuracy(dec, sh) == 1.0
    assert routing_analysis.packet_accuracy(dec, sh) == 1.0


def test_routing_accuracy_counts_a_wrong_hop_on_every_pair_it_affects():
    g, sh = _path_instance()
    dec = {(i, d, f): min(sh[(i, d)]) for (i, d) in sh for f in (0, 1)}
    dec[(1, 3, 1)] = 0  # router 1, detained packets for 3, sent backwards
    assert routing_analysis.decision_accuracy(dec, sh) == pytest.approx(1 - 1 / 24)
    # packets start free, so only those that *arrive* at router 1 (source 0) can be detained
    # there: one of the 12 (source, destination) pairs fails
    assert routing_analysis.packet_accuracy(dec, sh) == pytest.approx(11 / 12)


def test_routing_model_is_exact_ais_and_its_optimum_routes_shortest():
    g = nx.cycle_graph(5)
    m = routing_env.routing_model(g, gamma=0.9, step_cost=0.1, delivery_reward=1.0,
                                  p_detain=0.3, detain_stop=0.5, T_max=3)
    assert m.n_obs == m.n_states  # σ injective: the exact-AIS regime
    star = solve(m.latent)
    dec = routing_env.decisions(m, greedy_obs_policy(m, star.q[np.argsort(m.pair_obs_pair)]))
    sh = routing_env.shortest_next_hops(g)
    assert routing_analysis.packet_accuracy(dec, sh) == 1.0
    assert sum(p for _, p in routing_env.detained_durations(0.5, 4)) == pytest.approx(1.0)


# --- multi-agent reasoning (simulated agents) ----------------------------------------------


def test_llm_calibration_reproduces_table1_exactly():
    for prof, targets in TABLE1.items():
        p = calibrate(targets, **FREE[prof])
        for w in WORKFLOWS:
            assert workflow_accuracy(p, w) == pytest.approx(targets[w], abs=1e-12), (prof, w)


def test_llm_calibration_rejects_unreachable_targets():
    bad = {**TABLE1["mathqa"], "combine_e": 0.999}
    with pytest.raises(CalibrationError, match="f_editor"):
        calibrate(bad, **FREE["mathqa"])


def test_llm_epoch_model_agrees_with_the_workflow_enumeration():
    p = calibrate(TABLE1["mmlu_high_school"], **FREE["mmlu_high_school"])
    m = build_model(p, gamma=0.999)
    for w in WORKFLOWS:
        pi = script_policy(m, w)
        assert pi is not None
        assert success_probability(m, pi) == pytest.approx(workflow_accuracy(p, w), abs=1e-12)
        # the same number by an exact linear solve on the undiscounted kernel
        assert latent_value(m, pi, undiscounted_smdp(m)) == pytest.approx(
            workflow_accuracy(p, w), abs=1e-9)


def test_llm_identify_and_best_workflow():
    seqs = {w: {s} for w, s in WORKFLOWS.items()}
    assert llm_analysis.identify({WORKFLOWS["cot"]}, seqs) == "cot"
    assert llm_analysis.identify({WORKFLOWS["cot"], ("x",)}, seqs) == "other"
    assert llm_analysis.best_workflow({"cot": 0.9, "combine_e": 0.9}) == ("cot", 0.9)
    with pytest.raises(ValueError):
        llm_analysis.best_workflow({})


def test_llm_simulators_are_agents_and_their_laws_are_distributions():
    p = calibrate(TABLE1["mathqa"], **FREE["mathqa"])
    for agent in simulated_agents(p).values():
        assert check_agent(agent) == []
        for st in (Status(), Status(author="editor", correct=True),
                   Status(author="editor", checked=True, judged=False)):
            assert sum(x for x, _ in agent.outcomes(st)) == pytest.approx(1.0)
    assert check_agent(object()) != []


def test_llm_monte_carlo_through_the_protocol_matches_the_exact_accuracy():
    p = calibrate(TABLE1["mmlu_elementary"], **FREE["mmlu_elementary"])
    agents = {k: SimulatedAgent(k, p) for k in ("commissioner", "thinker", "editor")}
    rng = np.random.default_rng(1)
    wins = 0
    n = 4000
    for _ in range(n):  # CoT through act(): commissioner, thinker, editor
        conv = Conversation(question="q", gold="A")
        for name in ("commissioner", "thinker", "editor"):
            conv = agents[name].act(conv, rng)
        wins += conv.answer == conv.gold and observe_conv(conv) == "1000"
    assert abs(wins / n - workflow_accuracy(p, "cot")) < 4 * math.sqrt(0.04 * 0.96 / n) + 1e-3


def test_llm_summary_reports_recovery():
    prof = {"direct": 0.3, "paper_icq": 0.9,
            "workflows": {w: {"exact": a, "target": a} for w, a in
                          (("cot", 0.8), ("reflection", 0.7), ("combine_e", 0.9),
                           ("combine_t", 0.6))},
            "seeds": [{"workflow": "combine_e", "accuracy": 0.9, "mc_accuracy": 0.89},
                      {"workflow": "cot", "accuracy": 0.8, "mc_accuracy": 0.8}],
            "ais_optimum": {"workflow": "combine_e"},
            "gaps": {"ais_gap": 1.0, "ais_gap_exact": 0.5, "epsilon": 0.1, "delta_tv": 0.2}}
    s = llm_analysis.summarize({"profiles": {"x": prof}})
    t = s["table"]["x"]
    assert t["best_predefined"] == "combine_e" and t["icq_recovers_best_fraction"] == 0.5
    assert not s["recovers_best_everywhere"] and "simulated" in s["agents"]


def test_llm_paper_icq_column_is_the_best_table1_workflow_by_construction():
    # the settings' claim: on every profile the paper's IC-Q figure is its best workflow's
    for prof, row in TABLE1.items():
        wf = {w: row[w] for w in ("cot", "reflection", "combine_e", "combine_t")}
        assert llm_analysis.paper_icq_workflow(row) == llm_analysis.best_workflow(wf)[0], prof
    # negative controls: an IC-Q figure above every workflow, or equal to a non-best one
    row = TABLE1["mathqa"]
    assert llm_analysis.paper_icq_workflow({**row, "paper_icq": row["combine_e"] + 0.01}) is None
    assert llm_analysis.paper_icq_workflow({**row, "paper_icq": row["cot"]}) is None


def test_llm_outputs_label_the_paper_column_and_say_what_is_evidence():
    prof = {"direct": 0.3, "paper_icq": 0.9,
            "workflows": {w: {"exact": a, "target": a} for w, a in
                          (("cot", 0.8), ("reflection", 0.7), ("combine_e", 0.9),
                           ("combine_t", 0.6))},
            "seeds": [{"workflow": "combine_e", "accuracy": 0.9, "mc_accuracy": 0.89}],
            "ais_optimum": {"workflow": "combine_e"},
            "gaps": {"ais_gap": 1.0, "ais_gap_exact": 0.5, "epsilon": 0.1, "delta_tv": 0.2}}
    raw = {"profiles": {"x": prof}}
    s = llm_analysis.summarize(raw)
    assert s["table"]["x"]["paper_icq_is_workflow"] == "combine_e"
    text = llm_analysis.tables(raw, s)
    assert llm_analysis.PAPER_ICQ_LABEL in text and "| 0.9 (Combine-E) |" in text
    assert llm_analysis.EVIDENCE in text and s["evidence"] == llm_analysis.EVIDENCE
    assert "equal by construction" in llm_analysis.EVIDENCE


# --- CPU -----------------------------------------------------------------------------------


def test_cpu_reference_program_writes_every_target():
    m = Machine(bits=5)
    program = ([("starter", 0)] + [("loader_a", 0), ("loader_b", 0), ("alu", 0),
                                   ("selector", 0)] * 5 + [("writer", 0)])
    for t in range(32):
        s = m.reset(t)
        for agent, a in program:
            s = m.local(s, agent, a)
        assert s[5] == t and m.potential(s) == 1.0


def test_cpu_register_block_observation_does_not_see_the_value():
    m = Machine(bits=6)
    a, b = m.reset(0b101010), m.reset(0b100000)  # same top bit, different values
    assert m.observe(a, "register_block") == m.observe(b, "register_block")
    assert m.observe(a, "raw") != m.observe(b, "raw")
    assert set(WIRING) == set(AGENTS) == set(LOCAL_ACTIONS)
    # the comparator flags see a local action's effect: B <- t[k] is right, B <- 0 is not
    good = m.local(a, "loader_b", LOCAL_ACTIONS["loader_b"].index("B<-t[k]"))
    bad = m.local(a, "loader_b", LOCAL_ACTIONS["loader_b"].index("B<-0"))
    assert observe(good, "register_block")[6] and not observe(bad, "register_block")[6]


def test_cpu_digit_datapath_and_potential():
    m = Machine(bits=8, digit_bits=4)
    s = m.reset(0xB7)
    assert m.potential(s) == 0.0  # ACC = 0 holds the empty prefix: no digit done yet
    for agent in ("starter", "loader_a", "loader_b", "alu", "selector") + (
            "loader_a", "loader_b", "alu", "selector", "writer"):
        s = m.local(s, agent, 0)
    assert s[5] == 0xB7 and m.potential(s) == 1.0
    with pytest.raises(ValueError):
        Machine(bits=8, digit_bits=3)


def test_cpu_summary_means_over_seeds():
    runs = [{"observations": k, "seed": i, "train_accuracy": tr, "test_accuracy": te}
            for k, vals in (("register_block", ((1.0, 0.8), (1.0, 0.6))),
                            ("raw", ((0.5, 0.0), (1.0, 0.0))))
            for i, (tr, te) in enumerate(vals)]
    s = cpu_analysis.summarize({"runs": runs})
    assert s["test_accuracy"] == {"register_block": pytest.approx(0.7), "raw": 0.0}
    assert s["seeds_learning_train"] == {"register_block": 2, "raw": 1}
    assert "Theorem 1 does not cover" in s["regime"]


def test_cpu_environment_conforms_and_hides_nothing_it_should_show():
    env = CPUEnv(Machine(4), targets=(3, 11), kind="register_block", cap=20, gamma=0.99)
    check_environment(env)
    env.start(11)
    assert env.agents[env.active()] == "starter" and len(env.successors()) == 2
    env.handoffs = env.cap
    assert env.successors() == (len(AGENTS),)  # after the cap only END remains


# --- the experiments' own docstring examples ------------------------------------------------

_DOCTESTED = ("common.io", "common.stats", "common.policy", "common.gaps", "synthetic.family",
              "t1.analysis", "t2.analysis", "t2.learner", "routing.env", "routing.analysis",
              "llm.agents", "llm.system", "llm.analysis", "cpu.machine", "cpu.env",
              "cpu.analysis", "findings")


@pytest.mark.parametrize("name", _DOCTESTED)
def test_experiment_docstring_examples(name):
    mod = importlib.import_module(f"icq.experiments.{name}")
    res = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert res.failed == 0, f"{name}: {res.failed} doctest failures"
