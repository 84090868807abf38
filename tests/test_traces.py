"""Handoff traces: the line rules, the maximum-likelihood fit, ``icq fit``, the bootstrap audit
and offline IC-Q (docs/traces.md)."""

from __future__ import annotations

import json

import jsonschema
import numpy as np
import pytest

from icq.bounds.auditor import audit
from icq.bounds.bootstrap import QUANTITIES, bootstrap
from icq.bounds.setting import prepare
from icq.cli import main
from icq.reference.learners.traces import (
    FIT_KEY,
    check_line,
    fit_lines,
    fit_record,
    fit_traces,
    offline_icq,
    read_traces,
    schema,
    simulate_traces,
    trace_data_from_lines,
    write_traces,
)
from icq.reference.model import ModelError, example_path, load

LINE = {"episode": "e1", "t": 0, "agent": "a", "obs": "x", "successor": "b", "duration": 2,
        "reward": 0.5, "next_agent": "b", "next_obs": "y", "latent": "a0", "next_latent": "b0",
        "behavior_prob": 0.5}

# (change to LINE, the field the rule names)
BAD = [
    ({"duration": 0}, "duration"), ({"duration": 1.5}, "duration"), ({"t": -1}, "t"),
    ({"reward": "1"}, "reward"), ({"agent": ""}, "agent"), ({"agent": "END"}, "agent"),
    ({"episode": None}, "episode"), ({"behavior_prob": 0}, "behavior_prob"),
    ({"behavior_prob": 1.5}, "behavior_prob"), ({"next_obs": 3}, "next_obs"),
    ({"colour": 1}, "colour"), ({"latent": ""}, "latent"), ({"successor": True}, "successor"),
]
# rules that relate fields: beyond the schema
RELATED = [
    ({"successor": "a", "next_agent": "a"}, "successor"),
    ({"successor": "END"}, "next_agent"),
    ({"next_agent": None}, "next_obs"),
    ({"next_agent": "c"}, "next_agent"),
    ({"next_latent": None}, "next_latent"),
]


def _mutate(change):
    d = dict(LINE)
    for k, v in change.items():
        d[k] = v
    return d


def test_valid_line_passes_both_the_schema_and_the_rules():
    jsonschema.validate(LINE, schema())
    assert check_line(LINE) is None
    end = _mutate({"successor": "END", "next_agent": None, "next_obs": None, "next_latent": None})
    jsonschema.validate(end, schema())
    assert check_line(end) is None
    ended = _mutate({"next_agent": None, "next_obs": None, "next_latent": None})
    assert check_line(ended) is None  # an episode may end on a handoff to an agent (FORMAT.md)
    ext = _mutate({"x-run": "abc"})
    jsonschema.validate(ext, schema())
    assert check_line(ext) is None


@pytest.mark.parametrize("change,field", BAD)
def test_per_field_rules_agree_with_the_schema(change, field):
    d = _mutate(change)
    assert check_line(d)[0] == field
    assert not jsonschema.Draft202012Validator(schema()).is_valid(d)


@pytest.mark.parametrize("change,field", RELATED)
def test_rules_that_relate_fields(change, field):
    assert check_line(_mutate(change))[0] == field


def _write(path, docs):
    path.write_text("".join(json.dumps(d) + "\n" for d in docs))
    return path


def test_icq_fit_rejects_a_bad_line_naming_line_and_field(tmp_path, capsys):
    good = _mutate({"successor": "END", "next_agent": None, "next_obs": None,
                    "next_latent": None})
    f = _write(tmp_path / "t.jsonl", [{**good, "episode": f"e{i}"} for i in (1, 2)]
               + [_mutate({"duration": 0}), {**good, "episode": "e4"}])
    out = tmp_path / "m.json"
    assert main(["fit", str(f), "-o", str(out), "--gamma", "0.9"]) == 2
    err = capsys.readouterr().err
    assert "line 3: duration" in err and "line 1" not in err
    assert not out.exists()
    (tmp_path / "j.jsonl").write_text(json.dumps(good) + "\n{not json\n")
    assert main(["fit", str(tmp_path / "j.jsonl"), "-o", str(out), "--gamma", "0.9"]) == 2
    assert "line 2: not valid JSON" in capsys.readouterr().err
    assert main(["fit", str(f), "-o", str(out), "--gamma", "1.5"]) == 2


def _line(ep, t, y, j, dur, r, y2):
    agent = {"a0": "a", "a1": "a", "b0": "b"}
    obs = {"a0": "x", "a1": "x", "b0": "z"}
    return {"episode": ep, "t": t, "agent": agent[y], "obs": obs[y], "successor": j,
            "duration": dur, "reward": r, "next_agent": None if y2 is None else agent[y2],
            "next_obs": None if y2 is None else obs[y2], "latent": y, "next_latent": y2}


# Three episodes; every probability below is a ratio of counts of these nine lines.
LINES = [
    _line(0, 0, "a0", "b", 1, 1.0, "b0"), _line(0, 1, "b0", "a", 2, 0.0, "a1"),
    _line(0, 2, "a1", "END", 1, 3.0, None),
    _line(1, 0, "a0", "b", 1, 2.0, "b0"), _line(1, 1, "b0", "a", 1, 0.0, "a0"),
    _line(1, 2, "a0", "END", 1, -1.0, None),
    _line(2, 0, "a1", "b", 3, 4.0, "b0"), _line(2, 1, "b0", "END", 1, 0.5, None),
]


def test_fit_is_the_empirical_law():
    fit = fit_lines(LINES, gamma=0.9, min_count=2)
    m = fit.model
    ids = {s: i for i, s in enumerate(m.state_ids)}
    K = m.K.toarray()

    def pair(y, j):
        k = [k for k in range(m.n_pairs) if m.pair_state[k] == ids[y]
             and m.successor_name(m.pair_succ[k]) == j]
        return k[0]

    # a0 → b seen twice, τ = 1 both, rewards 1 and 2: one outcome, mean reward 1.5
    k = pair("a0", "b")
    assert m.reward[k] == pytest.approx(1.5) and K[k, ids["b0"]] == pytest.approx(0.9)
    # b0 → a: once to a1 with τ = 2, once to a0 with τ = 1
    k = pair("b0", "a")
    assert K[k, ids["a1"]] == pytest.approx(0.5 * 0.81) and K[k, ids["a0"]] == pytest.approx(0.45)
    # ν₀: episodes start at a0, a0, a1
    assert m.initial[ids["a0"]] == pytest.approx(2 / 3)
    # π_b(·|x): obs x acts 5 times: b ×3, END ×2
    o = [o for o in range(m.n_obs) if m.obs_name(o) == ("a", "x")][0]
    beh = dict(zip([m.successor_name(j) for j in m.obs_succ[m.obs_ptr[o]:m.obs_ptr[o + 1]]],
                   m.behavior[m.obs_ptr[o]:m.obs_ptr[o + 1]], strict=True))
    assert beh == pytest.approx({"b": 0.6, "END": 0.4})
    # counts per pair and the flags (min_count 2)
    assert int(fit.pair_counts.sum()) == len(LINES) == fit.lines and fit.episodes == 3
    ext = fit.extension()
    assert ext["counts"]["a0"] == {"b": 2, "END": 1}
    flagged = {(f["state"], f["successor"]) for f in ext["flagged"]}
    assert flagged == {(m.state_ids[m.pair_state[k]], m.successor_name(m.pair_succ[k]))
                       for k in range(m.n_pairs) if fit.pair_counts[k] < 2}
    assert ("a0", "END") in flagged and ("a0", "b") not in flagged


def test_unseen_pair_borrows_its_observation_pairs_pooled_law():
    lines = [ln for ln in LINES if not (ln["latent"] == "a1" and ln["successor"] == "END")]
    lines = [dict(ln, successor="END", next_agent=None, next_obs=None, next_latent=None)
             if ln["episode"] == 0 and ln["t"] == 1 else ln for ln in lines]
    fit = fit_lines(lines, gamma=0.9)
    m = fit.model
    y = m.state_ids.index("a1")
    ks = [k for k in range(m.n_pairs) if m.pair_state[k] == y
          and m.successor_name(m.pair_succ[k]) == "END"]
    assert fit.pair_how[ks[0]] == 1 and fit.pair_counts[ks[0]] == 0
    # pooled over σ⁻¹(x) = {a0, a1}: the only END line from x has reward −1
    assert m.reward[ks[0]] == pytest.approx(-1.0)
    assert any("pooled law" in n for n in fit.notes())


def test_without_latent_labels_the_gap_is_zero_by_construction(tmp_path):
    truth = load(example_path("author-reviewer-editor"))
    assert prepare(truth).hat.q.size  # the truth has an interface gap (two reviewer states)
    path = tmp_path / "t.jsonl"
    write_traces(path, simulate_traces(truth, 200, seed=4, latent=False))
    fit = fit_traces(path, truth.gamma)
    assert fit.latent == "observation" and not fit.identifiable
    assert fit.model.n_states == fit.model.n_obs
    assert any("not identifiable" in n for n in fit.notes())
    a = audit(fit.model)
    assert a.gap_exact.value == pytest.approx(0.0, abs=1e-12)
    assert a.epsilon.value == pytest.approx(0.0, abs=1e-12)


def test_fitted_file_loads_with_its_fit_record(tmp_path, capsys):
    truth = load(example_path("ring-exact"))
    path = tmp_path / "t.jsonl"
    n = write_traces(path, simulate_traces(truth, 50, seed=1, behavior_prob=True))
    out = tmp_path / "m.json"
    assert main(["fit", str(path), "-o", str(out), "--gamma", "0.9", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    m = load(out)
    ext = fit_record(m)
    assert ext is m.source["extensions"][FIT_KEY]
    assert ext["lines"] == n == printed["lines"] and printed["latent"] == "labels"
    assert sum(c for row in ext["counts"].values() for c in row.values()) == n
    assert sorted(m.state_ids) == sorted(truth.state_ids)
    # the logged π_b equals the truth's; the fitted one is its empirical frequency
    assert all(e["min"] == e["max"] for e in ext["logged_behavior"])


def test_bootstrap_with_unit_weights_is_the_fit():
    truth = load(example_path("author-reviewer-editor"))
    data = trace_data_from_lines(simulate_traces(truth, 60, seed=2), truth.gamma)
    m, how = data.model(np.ones(data.episodes))
    f = data.fit.model
    assert (how == data.fit.pair_how).all()
    for name in ("out_prob", "out_rew", "out_next", "out_dur", "initial", "behavior"):
        np.testing.assert_allclose(getattr(m, name), getattr(f, name), rtol=1e-12)


def test_icq_audit_bootstrap_cli(tmp_path, capsys):
    truth = load(example_path("author-reviewer-editor"))
    path = tmp_path / "t.jsonl"
    write_traces(path, simulate_traces(truth, 80, seed=3))
    model = tmp_path / "m.json"
    assert main(["fit", str(path), "-o", str(model), "--gamma", "0.95"]) == 0
    capsys.readouterr()
    assert main(["audit", str(model), "--traces", str(path), "--bootstrap", "4",
                 "--workers", "1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    iv = out["bootstrap"]["intervals"]
    assert set(iv) == set(QUANTITIES)
    assert iv["kappa"]["estimate"] == pytest.approx(out["features"]["kappa"])
    assert iv["ais_gap_exact"]["estimate"] == pytest.approx(out["ais_gap_exact"])
    # A6 fails here, so no Theorem 1 budget exists in any replicate: said, not a number
    assert iv["budget"]["defined"] == 0.0 and iv["budget"]["lower"] is None
    assert main(["audit", str(model), "--bootstrap", "4"]) == 2
    assert "--traces" in capsys.readouterr().err
    other = tmp_path / "o.jsonl"
    write_traces(other, simulate_traces(truth, 80, seed=9))
    assert main(["audit", str(model), "--traces", str(other), "--bootstrap", "4"]) == 2
    assert "sha256" in capsys.readouterr().err


def test_instability_is_reported_at_a_tiny_data_size():
    truth = load(example_path("author-reviewer-editor"))
    data = trace_data_from_lines(simulate_traces(truth, 8, seed=5), truth.gamma)
    r = bootstrap(data, replicates=30, quantities=("policy_loss_exact", "q_hat"),
                  backend="serial")
    assert r.unstable  # eight episodes settle neither the policy loss nor every Q̂* entry
    for name in r.unstable:
        assert r.intervals[name].why


def test_offline_icq_converges_to_the_fitted_q_hat(tmp_path, capsys):
    """σ injective (ring-exact): the fixed point of replayed IC-Q is the fitted model's Q̂*,
    so the error must keep shrinking with more passes."""
    truth = load(example_path("ring-exact"))
    path = tmp_path / "t.jsonl"
    write_traces(path, simulate_traces(truth, 300, seed=6))
    fit = fit_traces(path, truth.gamma)
    q_hat = prepare(fit.model).hat.q
    errs = [np.abs(offline_icq(fit.model, read_traces(path), passes=p).q - q_hat).max()
            for p in (1, 100)]
    assert errs[1] < errs[0] / 5
    model = tmp_path / "m.json"
    assert main(["fit", str(path), "-o", str(model), "--gamma", "0.9"]) == 0
    capsys.readouterr()
    assert main(["train", str(model), "--traces", str(path), "--passes", "100", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["max_abs_error_vs_q_ais"] == pytest.approx(errs[1])
    assert out["handoffs"] == 100 * fit.lines


def test_offline_icq_rejects_a_log_that_does_not_match_the_model(tmp_path):
    truth = load(example_path("ring-exact"))
    other = load(example_path("author-reviewer-editor"))
    path = tmp_path / "t.jsonl"
    write_traces(path, simulate_traces(other, 5, seed=0))
    with pytest.raises(ModelError, match="line 1: successor"):
        offline_icq(truth, read_traces(path))


def test_kappa_at_an_exact_tie_is_flagged_unstable():
    """Uniform behaviour on two successors: the two ratios M(ô')/w(ô',b) of the maximising
    observation tie at the truth, so the maximising pair flips in about half the replicates."""
    truth = load(example_path("author-reviewer-editor"))
    data = trace_data_from_lines(simulate_traces(truth, 400, seed=7), truth.gamma)
    iv = bootstrap(data, replicates=40, quantities=("kappa",), backend="serial").intervals
    assert iv["kappa"].unstable and "pair attaining κ" in iv["kappa"].why
