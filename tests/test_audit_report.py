"""The audit report record (icq.bounds.record): ``icq audit --json`` prints exactly its
``to_json()``, the text prints its rows, one gap vocabulary, the old JSON keys as aliases."""

from __future__ import annotations

import json

import pytest

from icq.bounds.ais import GAP_FORMS, JSON_ALIASES, gap_key, gap_label
from icq.bounds.record import audit_report
from icq.cli import main
from icq.reference.common.io import dumps
from icq.reference.learners.traces import (
    fit_traces,
    simulate_traces,
    trace_data_for_model,
    write_traces,
)
from icq.reference.model import ModelError, example_path, from_dict, load


def cli_json(capsys, *argv: str) -> dict:
    assert main(["audit", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("name, extra, knobs", [
    ("ring-exact", (), None),
    ("planner-coder-tester-reviewer", ("--what-if", "--try-gamma", "0.5"),
     {"gammas": (0.5,), "initials": (), "removals": ()})])
def test_audit_json_is_exactly_the_report_record(capsys, name, extra, knobs):
    path = str(example_path(name))
    printed = cli_json(capsys, path, *extra)
    record = json.loads(dumps(audit_report(load(path), whatif=knobs).to_json()))
    assert printed == record
    assert ("what_if" in printed) == (knobs is not None)


def test_one_gap_vocabulary_in_code_json_and_text(capsys):
    r = audit_report(load(example_path("author-reviewer-editor")))
    j, gaps = r.to_json(), r.audit.gaps()
    assert tuple(gaps) == GAP_FORMS
    rows = {label: value for label, value, _ in r.numbers()}
    for form, value in gaps.items():
        assert j[gap_key(form)] == value == rows[gap_label(form)]
    assert main(["audit", str(example_path("author-reviewer-editor"))]) == 0
    text = capsys.readouterr().out
    assert all(gap_label(f) in text for f in GAP_FORMS)
    assert "Δ_AIS " not in text and "state-wise " not in text  # the old labels are gone


def test_old_json_keys_are_aliases_of_the_new_ones(capsys):
    j = cli_json(capsys, str(example_path("synthetic-handoff")))
    for old, new in JSON_ALIASES.items():
        assert j[old] == j[new], old
    assert j["gap_paper"] > 0  # a model with an interface gap: the aliases carry numbers
    old = cli_json(capsys, str(example_path("synthetic-handoff")), "--metric", "tv")
    assert old == j and j["metric"] == "l1"  # --metric tv is the old name of l1


def test_trace_provenance_is_checked_by_the_library(tmp_path):
    truth = load(example_path("ring-exact"))
    logs, other = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    write_traces(logs, simulate_traces(truth, episodes=30, seed=0))
    write_traces(other, simulate_traces(truth, episodes=30, seed=1))
    fitted = from_dict(fit_traces(logs, gamma=truth.gamma).to_dict())  # what icq fit writes
    assert trace_data_for_model(logs, fitted).fit.sha256 is not None
    with pytest.raises(ModelError, match="sha256 differs"):  # negative control
        trace_data_for_model(other, fitted)
    with pytest.raises(ModelError, match="no fit record"):
        trace_data_for_model(logs, truth)
