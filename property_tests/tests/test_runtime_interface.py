"""The decentralized runtime's interface (docs/theory.md §1–§2): agents receive only their own
observation labels (the function O_i of σ(y)), admissible successor names and three-number
handoffs. Two leaking worlds are negative controls the checker must catch."""

from hypothesis import given

from icq.property_tests.properties import (
    LatentLeakWorld,
    RelabellingWorld,
    assert_falsified,
    check_runtime_interface,
)
from icq.property_tests.strategies import epoch_models


@given(epoch_models())
def test_runtime_passes_only_own_labels_names_and_handoffs(m):
    rep = check_runtime_interface(m, handoffs=300)
    assert rep.handoffs == 300
    assert rep.calls["choose"] == 300 and rep.calls["learn"] == 300


def test_control_world_leaking_the_state_id_is_caught():
    msg = assert_falsified(epoch_models(),
                           lambda m: check_runtime_interface(m, world=LatentLeakWorld))
    assert "not one of its own observation labels" in msg


def test_control_world_relabelling_aliased_states_is_caught():
    """A subtler leak: valid labels of the agent, but not a function of σ(y)."""
    msg = assert_falsified(epoch_models(aliasing=0.5),
                           lambda m: check_runtime_interface(m, world=RelabellingWorld))
    assert "not the function O_i of σ(y)" in msg
