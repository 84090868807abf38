"""Empirical error against the computed bound (docs/theory.md §2, §6): tabular IC-Q converges to
Q̂*_μ; Theorem 1's empirical property cannot fail (a documented negative example, not run by
check_model), while its control shows a bound that is too small is caught."""

import numpy as np
from hypothesis import assume, given
from hypothesis import strategies as st

from icq.property_tests.check import model_properties
from icq.property_tests.properties import assert_falsified, tabular_convergence, theorem1_empirical
from icq.property_tests.strategies import epoch_models
from icq.reference.exact.chain import mu_squared_error, pair_weights, stationary
from icq.reference.exact.solve import solve


@given(epoch_models())
def test_theorem1_property_cannot_fail_so_check_model_does_not_run_it(m):
    """Where Theorem 1 applies its bound is above the error of a learner that never moves
    (Q ≡ 0): the property holds whatever the learner does, a documented negative example
    (``theorem1_empirical``'s docstring), and ``check_model`` leaves it out. The property's
    own control below shows it can still catch a bound that is too small."""
    res = theorem1_empirical(m, handoffs=400, seeds=4)
    assume(res.applicable)
    frozen = mu_squared_error(np.zeros(m.n_obs_pairs), solve(m.latent).q,
                              pair_weights(m, stationary(m).mu), m.pair_obs_pair)
    assert res.mse - 3 * res.se <= res.bound
    assert frozen <= res.bound  # a learner that never moves passes too
    assert "theorem1_empirical" not in [p.name for p in model_properties()]


@given(epoch_models())
def test_tabular_icq_converges_to_the_ais_optimum(m):
    res = tabular_convergence(m, handoffs=200_000)
    assert res.lhs <= res.rhs


def test_control_bound_without_mixing_residual_is_falsified():
    """3C_F²ε_approx² + 3Δ² alone (the T → ∞ asymptote) is not a bound at finite T."""
    knobs = dict(states_per_agent=1, max_successors=1, agents=st.integers(2, 3),
                 gamma=st.floats(0.8, 0.95))
    msg = assert_falsified(epoch_models(**knobs),
                           lambda m: theorem1_empirical(m, handoffs=400, seeds=4,
                                                        asymptote_only=True))
    assert "no mixing residual" in msg


def test_control_learner_ignoring_durations_does_not_converge_to_the_ais_optimum():
    """A learner discounting each handoff by γ instead of γ^τ converges elsewhere."""
    knobs = dict(T_max=st.integers(3, 4), p_handoff=st.floats(0.2, 0.5),
                 gamma=st.floats(0.9, 0.99), p_terminal=0.02, agents=st.integers(2, 3),
                 max_successors=1)
    msg = assert_falsified(epoch_models(**knobs),
                           lambda m: tabular_convergence(m, handoffs=200_000,
                                                         ignore_durations=True))
    assert "ignores durations" in msg


def test_control_frozen_learner_does_not_converge_to_the_ais_optimum():
    """A learner that never moves (Q ≡ 0) is falsified by the convergence property; the
    Theorem 1 property alone cannot catch it (its bound is 10⁹× the observed error)."""
    knobs = dict(agents=st.integers(2, 3), max_successors=1, gamma=st.floats(0.8, 0.95))
    msg = assert_falsified(epoch_models(**knobs),
                           lambda m: tabular_convergence(m, handoffs=1, frozen=True))
    assert "frozen learner" in msg
