"""The restart decomposition (docs/theory.md §9, Mixing.v ``restart_decomposition``): on random
IC-SMDPs the restart bound is never below the exact d(t), and τ_mix read from it is never below
the exact τ_mix. Negative control: dropping the survival term P_y(T > t) is falsified."""

import numpy as np
from hypothesis import event, given

from icq.property_tests.properties import assert_falsified
from icq.property_tests.strategies import epoch_models
from icq.reference.exact.chain import behaviour_chain, end_reachable, stationary
from icq.reference.exact.mixing import mixing_profile, restart_bound

T_MAX = 40
EPS = 1e-6


def _bound_dominates_exact(m, *, survival=True):
    st = stationary(m)
    if not st.ergodic:
        event("not ergodic")
        return
    ch = behaviour_chain(m)
    if not end_reachable(ch.A, ch.e):
        event("END not reachable from every state")
        return
    exact = mixing_profile(m, EPS, st=st, method="exact", t_limit=T_MAX).d
    bound = restart_bound(ch, st.mu, EPS, T_MAX, survival=survival)
    k = min(len(exact), len(bound))
    # where the exact run stopped early (d ≤ EPS) every later d(t) is ≤ EPS as well
    assert np.all(bound[:k] >= exact[:k] - 1e-12), (
        f"the restart bound is below the exact d(t) at t = "
        f"{int(np.argmax(bound[:k] < exact[:k] - 1e-12)) + 1}")


@given(epoch_models())
def test_restart_bound_is_never_below_exact_mixing(m):
    _bound_dominates_exact(m)


@given(epoch_models(p_terminal=0.02))
def test_restart_tau_is_an_upper_bound_on_exact_tau(m):
    st = stationary(m)
    ch = behaviour_chain(m)
    if not (st.ergodic and end_reachable(ch.A, ch.e)):
        return
    exact = mixing_profile(m, 0.25, st=st, method="exact").tau(0.25)
    bound = mixing_profile(m, 0.25, st=st, method="restart").tau(0.25)
    event(f"restart τ / exact τ ≤ {2 ** int(np.ceil(np.log2(bound.tau / exact.tau)))}")
    assert exact.exact and not bound.exact and bound.tau >= exact.tau


def test_control_without_the_survival_term_is_falsified():
    """Σ_s P_y(T = s) d_ν₀(t − s) alone ignores the mass not yet restarted: not a bound."""
    msg = assert_falsified(epoch_models(), lambda m: _bound_dominates_exact(m, survival=False))
    assert "below the exact d(t)" in msg
