"""Policy correspondence (docs/theory.md §2) and the AIS policy-evaluation gap (§3, Lemma A for a
fixed policy): a decentralized policy run through the runtime is worth exactly its lifted policy
evaluated in the latent model, and the AIS model's own evaluation is within its bounds."""

from hypothesis import given
from hypothesis import strategies as st

from icq.property_tests.properties import (
    ais_policy_evaluation_gap,
    assert_falsified,
    policy_correspondence,
)
from icq.property_tests.strategies import decentralized_policies, epoch_models

#: instances where aliasing matters: aliased states on long deterministic chains, one start
ALIASED = dict(aliasing=1.0, states_per_agent=st.integers(2, 3), gamma=st.floats(0.9, 0.99),
               p_terminal=0.02, T_max=1, agents=st.integers(2, 3))


@st.composite
def model_and_policy(draw, **knobs):
    m = draw(epoch_models(**knobs))
    return m, draw(decentralized_policies(m))


@given(model_and_policy())
def test_runtime_value_is_the_exact_value_of_the_lifted_policy(case):
    res = policy_correspondence(*case)
    assert res.lhs <= res.rhs


@given(model_and_policy(p_terminal=0.0, agents=st.integers(1, 3), max_successors=1))
def test_correspondence_when_episodes_may_never_end(case):
    """Without episode ends the runtime is run with survival probability γ^τ per handoff."""
    res = policy_correspondence(*case)
    assert res.lhs <= res.rhs


@given(model_and_policy(aliasing=1.0, T_max=st.integers(1, 3)))
def test_ais_policy_evaluation_gap_is_within_its_bounds(case):
    g = ais_policy_evaluation_gap(*case)
    tol = 1e-9 * (1 + g.total_variation)
    assert g.gap <= g.statewise + tol <= g.value_aware + 2 * tol <= g.total_variation + 3 * tol


def test_control_ais_model_value_is_not_the_runtime_value():
    """Comparing the runtime with the AIS model's own evaluation V̂^π∘σ is wrong under aliasing,
    and the Monte Carlo check is sharp enough to see it."""
    msg = assert_falsified(model_and_policy(initial="single", **ALIASED),
                           lambda c: policy_correspondence(*c, reference="ais"))
    assert "differs from the exact value" in msg


def test_control_gap_bound_without_horizon_factor_is_falsified():
    knobs = dict(ALIASED, p_terminal=0.01, max_next=1, max_successors=1)
    msg = assert_falsified(model_and_policy(**knobs),
                           lambda c: ais_policy_evaluation_gap(*c, horizon_factor=False))
    assert "without 1/(1−γ̄)" in msg
