"""The Bellman-residual certificate against exact solves on generated models (docs/theory.md §8):
never below the true error, pointwise or in sup norm, and exact at Q = Q̂*_μ up to its rounding
cushion. On adversarial tables (within a few ulp of Q̂*, rewards scaled up to 10⁸) the
floating-point certificate is never below the lemma's right side evaluated in exact rational
arithmetic; its negative control drops the rounding cushion."""

from fractions import Fraction

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from icq.bounds.residual import residual_certificate
from icq.property_tests.properties import assert_falsified
from icq.property_tests.strategies import epoch_models
from icq.reference.exact.induced import ais_model
from icq.reference.exact.solve import solve
from icq.reference.model import SMDP

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


ADVERSARIAL = st.tuples(epoch_models(), st.integers(0, 8), st.integers(0, 2**32 - 1),
                        st.integers(0, 4))


def _exact_rhs(h, q):
    """max |ĤQ − Q| and γ̂ in exact rational arithmetic on the stored floats."""
    v = [max(Fraction(float(x)) for x in q[h.ptr[i]:h.ptr[i + 1]]) for i in range(h.n)]
    K = h.K.tocsr()
    res, gam = Fraction(0), Fraction(0)
    for i in range(h.n_pairs):
        lo, hi = K.indptr[i], K.indptr[i + 1]
        row = [(Fraction(float(K.data[k])), int(K.indices[k])) for k in range(lo, hi)]
        hq = Fraction(float(h.reward[i])) + sum((a * v[j] for a, j in row), Fraction(0))
        res = max(res, abs(hq - Fraction(float(q[i]))))
        gam = max(gam, sum((a for a, _ in row), Fraction(0)))
    return res, gam


def _adversarial(case, *, rounding: bool = True) -> None:
    m, k, seed, ulps = case
    base = ais_model(m).smdp
    h = SMDP(base.ptr, base.succ, base.reward * 10.0**k, base.K)
    qs = solve(h).q
    noise = np.random.default_rng(seed).integers(-ulps, ulps + 1, size=qs.shape)
    q = qs + noise * np.spacing(np.abs(qs) + 1.0)
    c = residual_certificate(h, q, rounding=rounding)
    res, gam = _exact_rhs(h, q)
    if Fraction(c.residual) < res:
        raise AssertionError(f"residual certificate: computed ‖ĤQ − Q‖∞ = {c.residual!r} is "
                             f"below the exact {float(res)!r}"
                             + ("" if rounding else " (without the rounding cushion)"))
    if gam < 1 and Fraction(c.sup_bound) < res / (1 - gam):
        raise AssertionError(f"residual certificate: sup bound {c.sup_bound!r} is below the "
                             f"exact ‖ĤQ − Q‖∞/(1 − γ̂) = {float(res / (1 - gam))!r}")


@given(ADVERSARIAL)
def test_cushioned_certificate_holds_in_exact_arithmetic_on_adversarial_tables(case):
    _adversarial(case)


def test_control_certificate_without_the_rounding_cushion_is_falsified():
    msg = assert_falsified(ADVERSARIAL, lambda c: _adversarial(c, rounding=False))
    assert "below the exact" in msg
