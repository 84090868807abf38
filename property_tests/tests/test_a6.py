"""A6 (docs/theory.md §5): where the audit says A6 holds with κ, the expected IC-Q update is
strongly
monotone with (1−κ)ω and ΠT̂ is a κ-contraction in ‖·‖_μ; where it says A6 fails, its witness
direction really has ratio ≥ 1. κ_upper bounds the ratio of every direction."""

import numpy as np
from hypothesis import event, given
from hypothesis import strategies as st

from icq.bounds.features import kappa as audit_kappa
from icq.bounds.features import support, tabular_features
from icq.property_tests.properties import (
    a6_contraction,
    a6_parts,
    assert_falsified,
    kappa_without_max,
)
from icq.property_tests.strategies import epoch_models, feature_maps, q_vectors
from icq.reference.exact.chain import stationary


@st.composite
def model_features_thetas(draw, kind="random", **knobs):
    m = draw(epoch_models(**knobs))
    phi = draw(feature_maps(m, kind=kind))
    d = phi.shape[1]
    return m, phi, draw(q_vectors(d, sparse=True)), draw(q_vectors(d))


@given(model_features_thetas())
def test_a6_for_random_feature_maps(case):
    res = a6_contraction(*case)
    verdict = {True: "holds", False: "fails", None: "undecided"}[res.verdict]
    event(f"audit verdict: A6 {verdict}")
    if res.verdict:
        assert res.monotone[0] <= res.monotone[1] + 1e-9 * (1 + abs(res.monotone[1]))
        assert res.contraction[0] <= res.contraction[1] + 1e-9 * (1 + res.contraction[1])
    elif res.verdict is False:
        assert res.ratio >= 1 - 1e-9


@given(model_features_thetas(kind="onehot"))
def test_a6_for_one_hot_features(case):
    a6_contraction(*case)


@given(epoch_models())
def test_tabular_closed_form_is_the_generalized_eigenvalue(m):
    """κ² = max M(ô')/w(ô',b) (closed form) equals the max over assignments for one-hot Φ."""
    mu = stationary(m).mu
    sup = support(m, mu)
    phi = tabular_features(m, sup)
    closed = audit_kappa(m, phi, sup, mu, tabular=True)
    general = audit_kappa(m, phi, sup, mu)
    assert abs(closed.kappa - general.kappa) <= 1e-9 * (1 + closed.kappa)
    # and no coordinate direction exceeds it
    p = a6_parts(m, phi)
    for k in range(phi.shape[1]):
        num, den = p.ratio(np.eye(phi.shape[1])[k])
        assert num / den <= closed.kappa ** 2 * (1 + 1e-9) + 1e-12


def test_control_kappa_without_the_max_is_falsified():
    """κ of policy evaluation (behaviour average over the successor's choices instead of the
    max) is too small for Q-learning: ΠT̂ does not contract by it."""
    knobs = dict(gamma=st.floats(0.9, 0.99), T_max=1, agents=st.integers(2, 3),
                 p_terminal=0.01, max_next=1, aliasing=0.0)
    msg = assert_falsified(
        model_features_thetas(kind="onehot", **knobs),
        lambda c: a6_contraction(*c, kappa=kappa_without_max(c[0], c[1])))
    assert "κ" in msg
