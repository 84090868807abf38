"""One validator: ``from_dict`` and ``from_arrays`` give the same lines for the same problem;
decoding, nesting, huge numbers, unknown keys, standard input and ``--version``."""

from __future__ import annotations

import importlib.metadata
import io
import json
import re
import sys
from pathlib import Path

import jsonschema
import numpy as np
import pytest

from icq.cli import main
from icq.reference.model import (
    MAX_DURATION,
    ModelError,
    example_path,
    from_arrays,
    from_dict,
    load,
    parse,
    schema_path,
)

ARE = load(example_path("author-reviewer-editor"))


def arrays_of(m) -> dict:
    names = ("state_agent", "state_obs", "obs_agent", "obs_ptr", "obs_succ", "out_ptr",
             "out_prob", "out_dur", "out_rew", "out_next", "initial", "behavior")
    out = {k: np.array(getattr(m, k)) for k in names}
    out["out_dur"] = out["out_dur"].astype(float)
    return {**out, "gamma": m.gamma, "agents": list(m.agents), "state_ids": list(m.state_ids),
            "obs_labels": list(m.obs_labels), "name": m.name}


def lines(fn, arg) -> list[str]:
    with pytest.raises(ModelError) as err:
        fn(**arg) if isinstance(arg, dict) and "out_ptr" in arg else fn(arg)
    return err.value.problems


def outcome(d, i):
    """The dict outcome behind outcome index ``i`` of the arrays (to_dict keeps the order)."""
    k = int(np.searchsorted(ARE.out_ptr, i, side="right") - 1)
    return d["transitions"][k]["outcomes"][i - int(ARE.out_ptr[k])]


END_OUT = int(ARE.out_ptr[int(np.flatnonzero(ARE.pair_succ == ARE.END)[0])])
CONT_OUT = int(np.flatnonzero(ARE.out_next >= 0)[0])
OTHER = int(np.flatnonzero(ARE.state_agent != ARE.pair_succ[ARE.out_pair[CONT_OUT]])[0])


def _set_out(field, key, v):
    def arrays(a):
        a[field][1] = v

    def doc(d):
        outcome(d, 1)[key] = v
    return arrays, doc


CASES = {
    "prob<0": _set_out("out_prob", "prob", -0.25),
    "prob=0": _set_out("out_prob", "prob", 0.0),
    "prob sum": _set_out("out_prob", "prob", 0.05),
    "duration 0": _set_out("out_dur", "duration", 0.0),
    "duration 2.5": _set_out("out_dur", "duration", 2.5),
    "duration > 2**53": _set_out("out_dur", "duration", float(MAX_DURATION * 4)),
    "reward nan": _set_out("out_rew", "reward", float("nan")),
    "reward 1e308": _set_out("out_rew", "reward", 1e308),
    "gamma 1": (lambda a: a.update(gamma=1.0), lambda d: d.update(gamma=1.0)),
    "initial<0": (lambda a: a["initial"].__setitem__(0, -1.0),
                  lambda d: d["initial"].__setitem__(ARE.state_ids[0], -1.0)),
    "initial sum": (lambda a: a["initial"].__setitem__(1, 0.5),
                    lambda d: d["initial"].__setitem__(ARE.state_ids[1], 0.5)),
    "behavior": (lambda a: a["behavior"].__setitem__(0, 0.9),
                 lambda d: d["behavior"][ARE.agents[ARE.obs_agent[0]]][ARE.obs_labels[0]]
                 .__setitem__(ARE.successor_name(ARE.obs_succ[0]), 0.9)),
    "END next": (lambda a: a["out_next"].__setitem__(END_OUT, 0),
                 lambda d: outcome(d, END_OUT).__setitem__("next", ARE.state_ids[0])),
    "next agent": (lambda a: a["out_next"].__setitem__(CONT_OUT, OTHER),
                   lambda d: outcome(d, CONT_OUT).__setitem__("next", ARE.state_ids[OTHER])),
    "duplicate id": (lambda a: a["state_ids"].__setitem__(1, ARE.state_ids[0]),
                     lambda d: d["states"][1].__setitem__("id", ARE.state_ids[0])),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_both_entry_points_give_the_same_lines(case):
    to_arrays, to_doc = CASES[case]
    a, d = arrays_of(ARE), ARE.to_dict()
    to_arrays(a)
    to_doc(d)
    got_arrays, got_dict = lines(from_arrays, a), lines(from_dict, d)
    assert got_arrays == got_dict
    assert len(got_dict) == 1, got_dict  # one root problem, one line


def test_unchanged_arrays_and_document_are_accepted():
    assert from_arrays(**arrays_of(ARE)).n_pairs == from_dict(ARE.to_dict()).n_pairs


def test_unknown_key_did_you_mean_and_extensions():
    d = ARE.to_dict()
    d["behaviour"] = d.pop("behavior")
    (line,) = lines(from_dict, d)
    assert "unknown key 'behaviour'" in line and "did you mean 'behavior'?" in line
    d = ARE.to_dict()
    d["transitions"][0]["outcomes"][0]["duraton"] = 3
    assert "did you mean 'duration'?" in lines(from_dict, d)[0]
    d = ARE.to_dict()
    d["extensions"] = {"traces": {"counts": [[1, 2]]}}
    assert from_dict(d).source["extensions"] == {"traces": {"counts": [[1, 2]]}}


def test_one_root_problem_gives_one_line():
    d = ARE.to_dict()  # a prob error and a duration error in one outcome: two lines, no more
    d["transitions"][0]["outcomes"][0].update(prob=-1.0, duration=0)
    got = lines(from_dict, d)
    assert len(got) == 2 and not any("missing entry" in g for g in got), got
    d = ARE.to_dict()
    d["transitions"][0]["outcomes"][0]["next"] = {"a": 1}
    assert len(lines(from_dict, d)) == 1


def test_next_null_on_an_agent_successor_ends_the_episode():
    d = ARE.to_dict()
    outcome(d, CONT_OUT)["next"] = None
    m = from_dict(d)
    k = ARE.out_pair[CONT_OUT]
    assert m.p_end[k] == pytest.approx(ARE.p_end[k] + ARE.out_prob[CONT_OUT])


RING = json.loads(example_path("ring-exact").read_text())


def with_gamma(literal: str) -> bytes:
    return json.dumps({**RING, "gamma": "@"}).replace('"@"', literal).encode()


@pytest.mark.parametrize("data,word", [
    ("é".encode("latin-1"), "encoding"), ('{"a": 1}'.encode("utf-16"), "encoding"),
    (b"[" * 5000, "nesting"), (with_gamma("1" + "0" * 5000), "gamma"),
    (with_gamma("NaN"), "gamma"), (with_gamma("-Infinity"), "gamma"),
    (b"", "not valid JSON")])
def test_decoding_nesting_and_numbers_refused_with_one_line(data, word):
    with pytest.raises(ModelError) as err:
        from_dict(parse(data, "f.json"))
    assert len(err.value.problems) == 1 and word in err.value.problems[0]


def test_utf8_bom_is_ignored():
    text = example_path("ring-exact").read_bytes()
    assert from_dict(parse(b"\xef\xbb\xbf" + text)).n_states == 3


def test_schema_is_shipped_and_valid():
    schema = json.loads(schema_path().read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    for name in ("ring-exact", "author-reviewer-editor", "synthetic-handoff"):
        jsonschema.validate(json.loads(example_path(name).read_text()), schema)


def test_model_from_standard_input(monkeypatch, capsys):
    data = example_path("ring-exact").read_bytes()
    assert main(["solve", str(example_path("ring-exact")), "--json"]) == 0
    from_file = json.loads(capsys.readouterr().out)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert main(["solve", "-", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == from_file
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"{")))
    assert main(["solve", "-"]) == 2
    assert "<stdin>: not valid JSON" in capsys.readouterr().err


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"icq {importlib.metadata.version('icq-reference')}"


def test_format_doc_example_loads_and_schema_is_named():
    text = (Path(__file__).parents[1] / "docs" / "format.md").read_text()
    (example,) = re.findall(r"```json\n(.*?)```", text, re.S)
    m = from_dict(parse(example))
    assert m.n_states == 3 and "extensions" in m.source
    assert schema_path().name in text


def test_theory_doc_has_the_sections_and_definitions_it_owns():
    text = (Path(__file__).parents[1] / "docs" / "theory.md").read_text()
    sections = dict(re.findall(r"^## (\d+)\. .*?\n(.*?)(?=^## |\Z)", text, re.S | re.M))
    must = {"1": ["r̄(y, j)", "K(y' | y, j)", "γ̄", "T_max", "R̄", "Lemma C", "Assumption 1"],
            "2": ["σ(y)", "r̂(ô, j)", "K̂(ô' | ô, j)", "Q̂*"],
            "3": ["ε =", "δ =", "L_V", "Δ_AIS", "Δ_va", "Δ_exact", "Lemma A", "Lemma P",
                  "Correction"],
            "4": ["P_b(y' | y)", "τ_mix(ε)", "d̄(t)", "A2", "Correction"],
            "5": ["A5", "A6", "κ²", "ω", "ε_approx", "Lemma F", "C_F", "Correction"],
            "6": ["averaged", "G = R̄ + 2R_θ", "4R_θ²", "Minkowski", "three-term", "Budget"],
            "7": ["proved (Coq)", "Imported", "only tested", "restart bound",
                  "residual certificate"],
            "8": ["Bellman-residual certificate", "A6-free", "not shipped",
                  "k = min{k : P(Bin(n, q) ≤ k − 1) ≥ 1 − β}", "David & Nagaraja"],
            "9": ["restart decomposition", "END", "d_ν₀(u)", "Lemma"]}
    for n, words in must.items():
        assert n in sections, n
        for w in words:
            assert w in sections[n], (n, w)


def test_audit_of_a_valid_file_never_fails_on_a_value_s_size(tmp_path, capsys):
    """Reward 1e290 is valid (|reward|/(1 − γ̄) <= 1e300); the theorem's G² is beyond the
    doubles, so the bound is +∞: printed ∞ in tables, 1e999 in JSON, the report is written."""
    d = json.loads(example_path("synthetic-handoff").read_text())
    d["transitions"][0]["outcomes"][0]["reward"] = 1e290
    p = tmp_path / "big.json"
    p.write_text(json.dumps(d))
    assert main(["audit", str(p), "--report", str(tmp_path / "rep.html")]) == 0
    assert "bound ∞" in capsys.readouterr().out and (tmp_path / "rep.html").exists()
    assert main(["audit", str(p), "--json"]) == 0
    out = capsys.readouterr().out
    assert "1e999" in out and '"inf"' not in out
    assert json.loads(out)["theorem1"]["bound"] == float("inf")
    d["transitions"][0]["outcomes"][0]["reward"] = 1e308  # beyond: refused, naming the rule
    p.write_text(json.dumps(d))
    assert main(["audit", str(p)]) == 2
    assert "reward = 1e+308" in capsys.readouterr().err
