"""The primitive-level IC-SMDP and its exact reduction to decision epochs (docs/theory.md §1),
against Monte Carlo simulation of the primitive model, on random primitive models."""

from hypothesis import given

from icq.property_tests.properties import assert_falsified, primitive_reduction
from icq.property_tests.strategies import primitive_models
from icq.reference.model.primitive import reduce_to_epoch


@given(primitive_models())
def test_reduction_matches_simulation(pm):
    primitive_reduction(pm)


@given(primitive_models(termination="random", T_max=1))
def test_unit_horizon_reduces_to_one_step(pm):
    em = reduce_to_epoch(pm)
    assert em.T_max == 1 and em.gamma_bar <= pm.gamma + 1e-15


def test_control_late_forced_termination_is_falsified():
    """A reduction that forces termination one step too late disagrees with simulation."""
    msg = assert_falsified(primitive_models(termination=0.3, T_max=2),
                           lambda pm: primitive_reduction(pm, t_max_shift=1))
    assert "differs from the exact reduction" in msg
