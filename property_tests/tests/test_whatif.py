"""The what-if's γ knob (docs/theory.md §5): μ does not depend on γ and each term of κ² carries
γ^{2τ} with 1 ≤ τ ≤ T_max, so for one-hot features and γ' < γ

    (γ'/γ)^{T_max} ≤ κ(γ')/κ(γ) ≤ γ'/γ.

The negative control claims the upper end (γ'/γ)² (as if every invocation took two steps);
Hypothesis falsifies it on single-step models."""

from hypothesis import assume, given
from hypothesis import strategies as st

from icq.bounds.whatif import kappa_of_behaviour
from icq.property_tests.properties import assert_falsified
from icq.property_tests.strategies import epoch_models
from icq.reference.model import replace_arrays


@st.composite
def model_and_lower_gamma(draw, **knobs):
    m = draw(epoch_models(**knobs))
    return m, draw(st.floats(0.05, 0.99)) * m.gamma


def kappa_ratio(case):
    m, g = case
    k0, _ = kappa_of_behaviour(m, m.behavior)
    if k0 is None or not k0.kappa > 0:  # A6 undefined (no μ) or nothing follows
        return None
    k1, _ = kappa_of_behaviour(replace_arrays(m, gamma=g), m.behavior)
    return k1.kappa / k0.kappa, g / m.gamma, m.T_max


@given(model_and_lower_gamma())
def test_kappa_scales_between_the_duration_powers_of_the_gamma_ratio(case):
    res = kappa_ratio(case)
    assume(res is not None)
    ratio, r, t_max = res
    assert r**t_max * (1 - 1e-9) <= ratio <= r * (1 + 1e-9)


def test_negative_control_two_step_scaling_is_falsified():
    def wrong(case):
        res = kappa_ratio(case)
        if res is None:
            return
        ratio, r, _ = res
        assert ratio <= r**2 * (1 + 1e-9), f"κ(γ')/κ(γ) = {ratio} > (γ'/γ)² = {r**2}"

    msg = assert_falsified(model_and_lower_gamma(T_max=1), wrong)
    assert "κ(γ')/κ(γ)" in msg
