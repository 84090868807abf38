"""``icq check``: every property holds on valid instances (exit 0), a failing property is
reported with its smallest counterexample saved as a loadable file (exit 3), invalid input
exits 2 and writes nothing."""

from __future__ import annotations

import json

import numpy as np
import pytest

import icq.property_tests.check as check
import icq.property_tests.properties as props
from icq.cli import main
from icq.reference.model import example_path, load
from icq.reference.model.generate import random_model

ARE = example_path("author-reviewer-editor")


def _json(capsys) -> dict:
    return json.loads(capsys.readouterr().out)


def slow_handoffs_doc() -> dict:
    """Two agents, every invocation takes 2 steps, so γ̄ ≤ γ² < γ·P(continue)."""
    out = lambda nxt, r: [{"prob": 0.9, "duration": 2, "reward": r, "next": nxt},  # noqa: E731
                          {"prob": 0.1, "duration": 2, "reward": 0.0, "next": None}]
    return {
        "format": "icsmdp-epoch/1", "name": "slow", "gamma": 0.9, "agents": ["a", "b"],
        "states": [{"id": "A", "agent": "a", "obs": "o"}, {"id": "B", "agent": "b", "obs": "p"}],
        "initial": {"A": 1.0},
        "successors": {"a": {"o": ["b"]}, "b": {"p": ["a"]}},
        "transitions": [{"state": "A", "successor": "b", "outcomes": out("B", 1.0)},
                        {"state": "B", "successor": "a", "outcomes": out("A", -0.5)}],
    }


def test_all_properties_hold_on_a_bundled_example(capsys, tmp_path):
    assert main(["check", str(ARE), "--examples", "2", "--json", "--out", str(tmp_path)]) == 0
    out = _json(capsys)
    names = [p.name for p in check.model_properties()]
    assert list(out["properties"]) == names
    for name, p in out["properties"].items():
        assert p["holds"] is True, (name, p)
        assert p["examples"] >= 2 and p["counterexample"] is None
    assert out["properties"]["bellman_contraction"]["applicable"] == 4
    assert list(tmp_path.iterdir()) == []


def test_properties_hold_on_an_unseen_generated_instance(capsys, tmp_path):
    m = random_model(40, n_agents=3, obs_per_agent=3, successors=2, outcomes=2,
                     duration="next", max_duration=3, p_terminal=0.1, behavior="random",
                     seed=11)
    path = tmp_path / "unseen.json"
    path.write_text(json.dumps(m.to_dict()))
    args = ["check", str(path), "--examples", "3", "--json", "--out", str(tmp_path)]
    for name in ("bellman_contraction", "a6_contraction", "ais_policy_evaluation_gap",
                 "ais_bound_soundness", "exact_observation_reduction", "runtime_interface"):
        args += ["--property", name]
    assert main(args) == 0
    out = _json(capsys)
    assert len(out["properties"]) == 6
    assert all(p["holds"] and p["applicable"] >= 1 for p in out["properties"].values())


def test_a_failing_property_exits_3_and_saves_the_smallest_counterexample(
        capsys, tmp_path, monkeypatch):
    wrong = check.ModelProperty(
        "wrong_contraction", "γ per handoff (deliberately wrong)", check._q_pair,
        lambda m, a: props.bellman_contraction(m, a[0], a[1],
                                               operator=props.per_handoff_discount_operator))
    monkeypatch.setattr(check, "model_properties", lambda features=None: (wrong,))
    src = tmp_path / "slow.json"
    src.write_text(json.dumps(slow_handoffs_doc()))
    assert main(["check", str(src), "--examples", "10", "--json", "--out", str(tmp_path)]) == 3
    c = _json(capsys)["properties"]["wrong_contraction"]
    assert c["holds"] is False
    ce = c["counterexample"]
    assert "γ̄‖q − q'‖∞" in ce["message"] and ce["perturbed"] is False
    saved = load(ce["file"])  # a loadable icsmdp-epoch/1 file with the model's structure
    assert saved.state_ids == ("A", "B") and saved.T_max == 2
    assert len(ce["draws"]) == 2 and len(ce["draws"][0]) == saved.n_pairs
    # the shrunk draws still fail, and the human output prints the path
    q1, q2 = (np.array(v) for v in ce["draws"])
    with pytest.raises(AssertionError, match="γ̄"):
        props.bellman_contraction(saved, q1, q2, operator=props.per_handoff_discount_operator)
    assert main(["check", str(src), "--examples", "10", "--out", str(tmp_path)]) == 3
    text = capsys.readouterr().out
    assert "FAILS" in text and f"saved to {ce['file']}" in text


def test_invalid_file_exits_2_and_writes_nothing(capsys, tmp_path):
    bad = slow_handoffs_doc()
    bad["transitions"][0]["outcomes"][0]["prob"] = 0.5
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    assert main(["check", str(path), "--out", str(out_dir)]) == 2
    err = capsys.readouterr().err
    assert "must sum to 1" in err and "Traceback" not in err
    assert list(out_dir.iterdir()) == []


def test_bad_arguments_exit_2(capsys, tmp_path):
    assert main(["check", str(ARE), "--examples", "0"]) == 2
    assert main(["check", str(ARE), "--property", "no_such_property"]) == 2
    assert main(["check", str(ARE), "--out", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert "--examples" in err and "no_such_property" in err and "--out" in err


def test_check_model_report_shape():
    r = check.check_model(load(example_path("ring-exact")), examples=1,
                          properties=("exact_observation_reduction", "runtime_interface"))
    js = r.to_json()
    assert r.holds and set(js["properties"]) == {"exact_observation_reduction",
                                                 "runtime_interface"}
    assert {"holds", "examples", "counterexample"} <= set(js["properties"]["runtime_interface"])
