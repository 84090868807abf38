"""Lemma C (docs/theory.md §1): the Bellman optimality operator is a γ̄-contraction in sup norm."""

from hypothesis import given
from hypothesis import strategies as st

from icq.property_tests.properties import (
    assert_falsified,
    bellman_contraction,
    per_handoff_discount_operator,
)
from icq.property_tests.strategies import epoch_models, q_vectors


@st.composite
def model_and_q_pair(draw, **knobs):
    m = draw(epoch_models(**knobs))
    return m, draw(q_vectors(m.n_pairs)), draw(q_vectors(m.n_pairs, sparse=True))


@given(model_and_q_pair())
def test_bellman_operator_contracts_by_gamma_bar(case):
    m, q1, q2 = case
    res = bellman_contraction(m, q1, q2)
    assert res.lhs <= res.rhs + 1e-9 * (1 + res.rhs)


@given(model_and_q_pair())
def test_contraction_is_attained_along_a_constant_shift(case):
    # T(q + c) − T(q) = c·Σ_{y'} K(·|y,j): the modulus γ̄ is attained, so no smaller one is sound
    m, q, _ = case
    res = bellman_contraction(m, q + 1.0, q)
    assert abs(res.lhs - m.gamma_bar) <= 1e-9 * (1 + abs(q).max())


def test_control_discounting_each_handoff_by_gamma_is_falsified():
    """γ per handoff instead of γ^τ is not a γ̄-contraction once durations exceed 1."""
    msg = assert_falsified(model_and_q_pair(T_max=4, p_handoff=0.3),
                           lambda c: bellman_contraction(*c,
                                                         operator=per_handoff_discount_operator))
    assert "γ̄" in msg
