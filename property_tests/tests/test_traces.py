"""Trace lines (docs/traces.md): the per-field rules of ``check_line`` are exactly the JSON
Schema's, and a fit of simulated traces is a valid model whose counts add up to the lines."""

from __future__ import annotations

import jsonschema
from hypothesis import given
from hypothesis import strategies as st

from icq.property_tests.properties import assert_falsified
from icq.property_tests.strategies import epoch_models
from icq.reference.learners.traces import check_line, fit_lines, schema, simulate_traces

_VALIDATOR = jsonschema.Draft202012Validator(schema())
_RELATED = ("successor", "next_agent", "next_obs", "next_latent")

_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-2, 3), st.floats(-1.0, 2.0),
                    st.sampled_from(["", "a", "b", "END", "x"]))
_BASE = {"episode": "e", "t": 0, "agent": "a", "obs": "x", "successor": "b", "duration": 1,
         "reward": 0.0, "next_agent": "b", "next_obs": "y"}


@st.composite
def lines(draw):
    """A valid line with a few fields replaced by arbitrary values, removed, or added."""
    d = dict(_BASE)
    if draw(st.booleans()):
        d.update(latent="l", next_latent="m")
    for k in draw(st.lists(st.sampled_from(list(_BASE) + ["latent", "next_latent",
                                                            "behavior_prob", "extra"]),
                           max_size=3)):
        if draw(st.integers(0, 5)) == 0:
            d.pop(k, None)
        else:
            d[k] = draw(_VALUES)
    return d


def schema_agrees(d, check=check_line):
    """A line the schema rejects is rejected; a per-field rejection is one the schema makes."""
    bad = check(d)
    valid = _VALIDATOR.is_valid(d)
    if not valid:
        assert bad is not None, f"schema rejects {d} but the rules accept it"
    elif bad is not None:
        assert bad[0] in _RELATED, f"rules reject {d} on {bad}, the schema accepts it"


@given(lines())
def test_rules_agree_with_the_schema(d):
    schema_agrees(d)


def test_control_a_rule_set_without_the_duration_rule_is_falsified():
    def lax(d):
        if isinstance(d, dict) and "duration" in d:
            d = dict(d, duration=1)
        return check_line(d)

    msg = assert_falsified(st.builds(lambda v: dict(_BASE, duration=v), _VALUES),
                           lambda d: schema_agrees(d, lax))
    assert "schema rejects" in msg


def fit_counts_add_up(m, episodes=20, drop=False):
    docs = list(simulate_traces(m, episodes, seed=1))
    fit = fit_lines(docs, m.gamma)
    total = int(fit.pair_counts.sum()) - (1 if drop else 0)
    assert total == len(docs), f"{total} counted, {len(docs)} lines"
    assert fit.episodes == episodes
    assert set(fit.model.state_ids) <= set(m.state_ids)


@given(epoch_models())
def test_fit_counts_every_line_once(m):
    fit_counts_add_up(m)


def test_control_miscounting_is_falsified():
    assert_falsified(epoch_models(), lambda m: fit_counts_add_up(m, drop=True))
