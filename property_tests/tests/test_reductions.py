"""Reductions (docs/theory.md §1, §3): τ ≡ 1 makes IC-Q ordinary Q-learning (compiled learner and
runtime agents, bit for bit up to rounding), and exact observations make ε = δ = 0 and
Q̂*∘σ = Q*."""

from hypothesis import given
from hypothesis import strategies as st

from icq.property_tests.properties import (
    assert_falsified,
    dealias,
    exact_observation_reduction,
    unit_duration_reduction,
)
from icq.property_tests.strategies import epoch_models


@given(epoch_models())
def test_unit_durations_reduce_icq_to_q_learning(m):
    unit_duration_reduction(m, handoffs=1500)


@given(epoch_models())
def test_exact_observations_give_zero_interface_gap(m):
    exact_observation_reduction(m)


@given(epoch_models())
def test_dealias_keeps_the_latent_model(m):
    d = dealias(m)
    assert d.n_obs == d.n_states == m.n_states
    assert (d.reward == m.reward).all() and (d.K != m.K).nnz == 0


def test_control_reduction_with_durations_is_falsified():
    """Without τ ≡ 1 the SMDP target R + γ^τ V is not Q-learning's R + γ V."""
    msg = assert_falsified(epoch_models(T_max=st.integers(2, 4), p_handoff=st.floats(0.3, 0.6)),
                           lambda m: unit_duration_reduction(m, handoffs=1500,
                                                             force_unit=False))
    assert "Q_IC-Q − Q_Q-learning" in msg


def test_control_aliased_observations_have_a_gap():
    msg = assert_falsified(epoch_models(aliasing=1.0, states_per_agent=st.integers(2, 3)),
                           lambda m: exact_observation_reduction(m, force_exact=False))
    assert "ε =" in msg
