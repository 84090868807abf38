"""The Bellman-residual certificate against exact solves on generated models (docs/theory.md §8):
never below the true error, pointwise or in sup norm, and exact at Q = Q̂*_μ."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from icq.bounds.residual import residual_certificate
from icq.property_tests.properties import assert_falsified
from icq.property_tests.strategies import epoch_models
from icq.reference.exact.ais import ais_model
from icq.reference.exact.solve import solve

CASES = st.tuples(epoch_models(), st.integers(0, 2**32 - 1), st.floats(1e-3, 10.0))


def _check(case, *, drop_contraction: bool = False) -> None:
    m, seed, scale = case
    a = ais_model(m)
    qs = solve(a.smdp).q
    q = qs + scale * np.random.default_rng(seed).standard_normal(qs.shape)
    c = residual_certificate(a, q)
    err = np.abs(q - qs)
    sup = c.residual if drop_contraction else c.sup_bound  # the control drops 1/(1 − γ̂)
    tol = 1e-9 * (1.0 + float(np.abs(qs).max()))
    if err.max() > sup + tol:
        raise AssertionError(f"residual certificate: ‖Q − Q̂*‖∞ = {err.max():.6g} > {sup:.6g}"
                             + (" (without 1/(1 − γ̂))" if drop_contraction else ""))
    if not drop_contraction and np.any(err > c.pointwise + tol):
        raise AssertionError("residual certificate: |Q − Q̂*| exceeds the pointwise bound")


@given(CASES)
def test_residual_certificate_never_below_the_true_error(case):
    _check(case)


@given(epoch_models())
def test_residual_certificate_is_exact_at_the_fixed_point(m):
    a = ais_model(m)
    qs = solve(a.smdp).q
    assert residual_certificate(a, qs).bound <= 1e-8 * (1.0 + float(np.abs(qs).max()))


def test_control_certificate_without_the_contraction_factor_is_falsified():
    msg = assert_falsified(CASES, lambda c: _check(c, drop_contraction=True))
    assert "without 1/(1 − γ̂)" in msg
