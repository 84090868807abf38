"""The loader: every rule of FORMAT.md, and the semantics of the arrays it builds."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest

from icq.cli import main
from icq.reference.model import ModelError, example_path, from_dict, load

BASE = json.loads(example_path("author-reviewer-editor").read_text())


def doc(**changes):
    d = copy.deepcopy(BASE)
    d.update(changes)
    return d


def problems(d) -> list[str]:
    with pytest.raises(ModelError) as err:
        from_dict(d)
    return err.value.problems


def first_outcome(d):
    return d["transitions"][0]["outcomes"][0]


# ------------------------------------------------------------------ semantics


def test_example_arrays_match_format_semantics():
    m = load(example_path("author-reviewer-editor"))
    # r̄ = Σ prob·reward and K = Σ prob·γ^τ·1{next} for pair (a_fresh, reviewer)
    k = 0
    assert m.state_ids[m.pair_state[k]] == "a_fresh"
    assert m.successor_name(m.pair_succ[k]) == "reviewer"
    assert m.reward[k] == pytest.approx(0.7 * -0.3 + 0.3 * -0.2)
    r_good, r_weak = m.state_ids.index("r_good"), m.state_ids.index("r_weak")
    assert m.K[k, r_good] == pytest.approx(0.7 * 0.95**3)
    assert m.K[k, r_weak] == pytest.approx(0.3 * 0.95**2)
    # episode ends contribute no continuation; γ̄ is the largest row mass
    assert m.gamma_bar == pytest.approx(max(np.asarray(m.K.sum(axis=1)).ravel()))
    assert m.gamma_bar == pytest.approx(0.95)  # (r_good, author): τ = 1 with probability 1
    assert m.T_max == 4 and m.R_bar == 1.0
    # aliased observation: r_good and r_weak share the reviewer's "draft"
    assert m.state_obs[r_good] == m.state_obs[r_weak]
    assert m.n_obs == 4


def test_round_trip_preserves_model():
    m = load(example_path("author-reviewer-editor"))
    m2 = from_dict(m.to_dict())
    for name in ("reward", "behavior", "initial", "state_obs", "obs_succ"):
        np.testing.assert_array_equal(getattr(m, name), getattr(m2, name))
    assert (m.K != m2.K).nnz == 0


def test_behavior_missing_entries_are_uniform():
    m = from_dict(doc(behavior={"author": {"start": {"reviewer": 0.25, "editor": 0.75}}}))
    o = m.obs_labels.index("start")
    np.testing.assert_allclose(m.behavior[m.obs_ptr[o]:m.obs_ptr[o + 1]], [0.25, 0.75])
    o = m.obs_labels.index("draft")
    np.testing.assert_allclose(m.behavior[m.obs_ptr[o]:m.obs_ptr[o + 1]], [0.5, 0.5])


def test_integral_float_duration_is_accepted():
    d = doc()
    first_outcome(d)["duration"] = 3.0
    assert from_dict(d).out_dur[0] == 3


# ------------------------------------------------------------------ rejections (FORMAT.md)


def test_unknown_format():
    assert any("format" in p for p in problems(doc(format="icsmdp-epoch/2")))


@pytest.mark.parametrize("gamma", [0.0, 1.0, 1.5, -0.1, float("nan"), float("inf"), "0.9", True])
def test_gamma_outside_open_unit_interval(gamma):
    assert any(p.startswith("gamma") for p in problems(doc(gamma=gamma)))


def test_duplicate_ids_and_agents():
    d = doc()
    d["states"].append(dict(d["states"][0]))
    assert any("duplicate state id 'a_fresh'" in p for p in problems(d))
    assert any("duplicate agent" in p for p in problems(doc(agents=["author", "author",
                                                                    "reviewer", "editor"])))


def test_agent_named_end():
    assert any("reserved" in p for p in problems(doc(agents=["author", "reviewer", "editor",
                                                              "END"])))


def test_state_with_unlisted_agent():
    d = doc()
    d["states"][0]["agent"] = "ghost"
    ps = problems(d)
    assert any("states[0] (state 'a_fresh'): agent 'ghost'" in p for p in ps)


def test_missing_and_extra_transitions():
    d = doc()
    del d["transitions"][0]
    assert any("missing entry for state 'a_fresh', successor 'reviewer'" in p
               for p in problems(d))
    d = doc()
    extra = copy.deepcopy(d["transitions"][0])
    extra["successor"] = "END"
    d["transitions"].append(extra)
    assert any("not admissible" in p and "'a_fresh'" in p for p in problems(d))
    d = doc()
    d["transitions"].append(copy.deepcopy(d["transitions"][0]))
    assert any("duplicate transitions entry" in p for p in problems(d))


@pytest.mark.parametrize("prob", [-0.1, 0.0, float("nan"), float("inf"), "0.5", None])
def test_bad_outcome_probability(prob):
    d = doc()
    first_outcome(d)["prob"] = prob
    ps = problems(d)
    assert any("(state 'a_fresh', successor 'reviewer')" in p and ".prob" in p
               for p in ps), ps


def test_probabilities_not_summing_to_one():
    d = doc()
    first_outcome(d)["prob"] = 0.7 + 2e-9
    assert any("sum to" in p and "'a_fresh'" in p for p in problems(d))
    d = doc()
    first_outcome(d)["prob"] = 0.7 + 1e-12  # within the 1e-9 relative tolerance
    from_dict(d)


@pytest.mark.parametrize("dur", [0, -1, 2.5, "3", float("nan"), None])
def test_bad_duration(dur):
    d = doc()
    first_outcome(d)["duration"] = dur
    assert any(".duration" in p and ("integer >= 1" in p or "is not a number" in p)
               for p in problems(d))


@pytest.mark.parametrize("rew", [float("nan"), float("inf"), "1", None])
def test_non_finite_reward(rew):
    d = doc()
    first_outcome(d)["reward"] = rew
    assert any(".reward" in p and ("finite" in p or "is not a number" in p)
               for p in problems(d))


def test_unknown_next_and_wrong_agent_next():
    d = doc()
    first_outcome(d)["next"] = "nowhere"
    assert any("'nowhere': not a state id" in p for p in problems(d))
    d = doc()
    first_outcome(d)["next"] = "e_accept"  # successor is the reviewer
    assert any("differs from the successor 'reviewer'" in p for p in problems(d))
    d = doc()
    end_pair = next(t for t in d["transitions"] if t["successor"] == "END")
    end_pair["outcomes"][0]["next"] = "a_fresh"
    assert any("END must have next = null" in p for p in problems(d))


def test_successor_unknown_or_self():
    d = doc()
    d["successors"]["author"]["start"] = ["reviewer", "editor", "ghost"]
    assert any("successor 'ghost' is not an agent" in p for p in problems(d))
    d = doc()
    d["successors"]["author"]["start"] = ["reviewer", "editor", "author"]
    assert any("equals the acting agent" in p for p in problems(d))
    d = doc()
    d["transitions"][0]["successor"] = "author"
    assert any("equals the acting agent" in p for p in problems(d))


def test_initial_not_a_distribution():
    assert any("initial" in p and "sum to" in p for p in problems(doc(initial={"a_fresh": 0.5})))
    assert any("'ghost' is not a state id" in p for p in problems(doc(initial={"ghost": 1.0})))
    assert any("initial (state 'a_fresh')" in p
               for p in problems(doc(initial={"a_fresh": -1.0, "r_good": 2.0})))


def test_behavior_not_a_distribution():
    ps = problems(doc(behavior={"author": {"start": {"reviewer": 0.2, "editor": 0.2}}}))
    assert any("behavior.author.start" in p and "sum to" in p for p in ps)
    ps = problems(doc(behavior={"author": {"start": {"reviewer": 1.0, "END": 0.0}}}))
    assert any("'END' is not an admissible successor" in p for p in ps)
    ps = problems(doc(behavior={"author": {"start": {"reviewer": 1.5, "editor": -0.5}}}))
    assert any("behavior.author.start.editor" in p for p in ps)
    ps = problems(doc(behavior={"ghost": {}}))
    assert any("'ghost'" in p for p in ps)


def test_many_problems_reported_together():
    d = doc(gamma=2.0)
    first_outcome(d)["duration"] = 0
    d["transitions"][1]["outcomes"][0]["reward"] = float("nan")
    assert len(problems(d)) >= 3


def test_duplicate_json_keys(tmp_path):
    p = tmp_path / "dup.json"
    text = json.dumps(BASE).replace('"initial": {"a_fresh": 1.0}',
                                    '"initial": {"a_fresh": 1.0, "a_fresh": 0.5}')
    p.write_text(text)
    with pytest.raises(ModelError) as err:
        load(p)
    assert any("duplicate key 'a_fresh'" in line for line in err.value.problems)


# ------------------------------------------------------------------ the command line


def test_cli_invalid_file_exits_2_with_readable_lines(tmp_path, capsys):
    d = doc(gamma=1.2)
    first_outcome(d)["prob"] = -1
    p = tmp_path / "bad.json"
    p.write_text(json.dumps(d))
    out_before = set(tmp_path.iterdir())
    assert main(["solve", str(p), "--json"]) == 2
    cap = capsys.readouterr()
    assert cap.out == ""
    lines = cap.err.strip().splitlines()
    assert any("gamma" in line for line in lines) and any(".prob" in line for line in lines)
    assert all(line.startswith("icq solve: ") for line in lines)
    assert "Traceback" not in cap.err
    assert set(tmp_path.iterdir()) == out_before  # nothing written


def test_cli_unreadable_and_not_json(tmp_path, capsys):
    assert main(["solve", str(tmp_path / "missing.json")]) == 2
    p = tmp_path / "x.json"
    p.write_text("{not json")
    assert main(["solve", str(p)]) == 2
    assert "not valid JSON" in capsys.readouterr().err


def test_nan_literal_in_json_is_rejected(tmp_path):
    p = tmp_path / "nan.json"
    p.write_text(json.dumps(BASE).replace('"reward": -0.3', '"reward": NaN', 1))
    with pytest.raises(ModelError) as err:
        load(p)
    # one line, naming the field, the state and the rule
    assert err.value.problems == [
        "transitions (state 'a_fresh', successor 'reviewer'): outcomes[0].reward = nan: "
        "must be a finite number"]
