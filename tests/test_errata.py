"""The places where the implementation corrects docs/theory.md (docs/errata.md), pinned by tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from icq.bounds import audit
from icq.reference.exact.chain import stationary
from icq.reference.exact.mixing import mixing_time
from icq.reference.model import from_dict, load

DATA = Path(__file__).parent / "data"


def test_lemma_p_fails_for_delta_exact_but_holds_in_corrected_form():
    """docs/theory.md §3 claims V* − V^π̂ ≤ 2Δ_exact; this file breaks it (errata item 1)."""
    a = audit(load(DATA / "lemma_p_delta_exact_counterexample.json"))
    loss, g = a.loss_exact.value, a.setting.gamma_bar
    d_exact = a.gap_exact.value
    assert loss > 2 * d_exact + 1e-9  # docs/theory.md's claim is false here
    assert loss <= 2 * d_exact / (1 - g) + 1e-9  # the corrected form holds
    for form in ("statewise", "value_aware", "paper"):
        assert loss <= a.loss_bounds[form].value + 1e-9, form
    assert a.loss_bounds["exact"].value == pytest.approx(2 * d_exact / (1 - g))
    assert min(b.value for b in a.loss_bounds.values()) == pytest.approx(
        a.to_json()["policy_loss_bound"])


def test_transient_states_do_not_break_uniform_ergodicity():
    """A state never re-entered is transient; the chain is still uniformly ergodic (item 4)."""
    d = {"format": "icsmdp-epoch/1", "name": "transient", "gamma": 0.9, "agents": ["a", "b"],
         "states": [{"id": "S", "agent": "a", "obs": "start"},
                    {"id": "A", "agent": "a", "obs": "o"},
                    {"id": "B", "agent": "b", "obs": "p"}],
         "initial": {"A": 1.0},
         "successors": {"a": {"start": ["b"], "o": ["b", "END"]}, "b": {"p": ["a", "END"]}},
         "transitions": [
             {"state": "S", "successor": "b",
              "outcomes": [{"prob": 1.0, "duration": 1, "reward": 0.0, "next": "B"}]},
             {"state": "A", "successor": "b",
              "outcomes": [{"prob": 1.0, "duration": 1, "reward": 1.0, "next": "B"}]},
             {"state": "A", "successor": "END",
              "outcomes": [{"prob": 1.0, "duration": 1, "reward": 0.0, "next": None}]},
             {"state": "B", "successor": "a",
              "outcomes": [{"prob": 0.5, "duration": 2, "reward": 0.0, "next": "A"},
                           {"prob": 0.5, "duration": 1, "reward": 0.0, "next": None}]},
             {"state": "B", "successor": "END",
              "outcomes": [{"prob": 1.0, "duration": 1, "reward": 0.0, "next": None}]}]}
    m = from_dict(d)
    st = stationary(m)
    assert st.ergodic and st.transient >= 1 and st.mu[m.state_ids.index("S")] == 0.0
    assert mixing_time(m).tau is not None
