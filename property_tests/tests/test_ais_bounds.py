"""Lemma A and Lemma P (docs/theory.md §3) with the numbers of icq.bounds: Δ_exact ≤ state-wise ≤
Δ_va ≤ Δ_AIS and the greedy decentralized policy's loss within its bounds; ε, d_TV and Δ_exact
agree with an independent computation."""

from hypothesis import given
from hypothesis import strategies as st

from icq.property_tests.properties import ais_bound_soundness, assert_falsified
from icq.property_tests.strategies import epoch_models


@given(epoch_models(aliasing=st.floats(0.3, 1.0)))
def test_ais_gaps_are_ordered_and_bound_the_policy_loss(m):
    c = ais_bound_soundness(m)
    tol = 1e-9 * (1 + c.paper)
    assert c.exact <= c.statewise + tol and c.value_aware <= c.paper + tol
    assert c.policy_loss <= min(c.loss_bounds.values()) + tol


@given(epoch_models(aliasing=0.0))
def test_exact_observations_have_no_gap(m):
    c = ais_bound_soundness(m)
    assert c.paper <= 1e-9 * (1 + m.R_bar) and c.policy_loss <= 1e-9 * (1 + m.R_bar)


def test_control_bound_without_horizon_factor_is_falsified():
    knobs = dict(aliasing=1.0, states_per_agent=st.integers(2, 3), gamma=st.floats(0.9, 0.99),
                 p_terminal=0.01, T_max=1, agents=st.integers(2, 3), max_next=1,
                 max_successors=1)
    msg = assert_falsified(epoch_models(**knobs),
                           lambda m: ais_bound_soundness(m, horizon_factor=False))
    assert "ε + γ̄ L_V δ" in msg
