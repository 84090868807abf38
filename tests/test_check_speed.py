"""``icq check`` at scale: κ's top eigenvalue from the smaller Gram matrix, what a property
computed for a model reused by the next draw, and Hypothesis's files kept out of the working
directory."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import icq.bounds.features as features
import icq.property_tests.properties as props
from icq.bounds import audit
from icq.property_tests.check import _tabular_phi
from icq.reference.exact.chain import stationary
from icq.reference.model import example_path
from icq.reference.model.generate import random_model


@pytest.mark.parametrize("m, r, rank", [(3, 40, 3), (40, 3, 3), (30, 50, 7), (50, 30, 30),
                                        (1, 5, 1), (6, 6, 0), (0, 4, 0)])
def test_top_gram_eigenpair_is_the_full_eigh_of_btb(m, r, rank):
    """λ_max(BᵀB) and its eigenvector, whichever Gram matrix is used, equal the full
    ``eigh`` of BᵀB (docs/theory.md §5: κ² is such a top eigenvalue)."""
    rng = np.random.default_rng(m * 100 + r)
    B = rng.standard_normal((m, rank)) @ rng.standard_normal((rank, r)) if rank else np.zeros(
        (m, r))
    lam, x = features.top_gram_eigenpair(B)
    ev, vec = np.linalg.eigh(B.T @ B)
    assert lam == pytest.approx(max(float(ev[-1]), 0.0), rel=1e-10, abs=1e-12)
    assert np.linalg.norm(x) == pytest.approx(1.0)
    # x is a top eigenvector: its Rayleigh quotient attains λ_max and BᵀBx = λx
    np.testing.assert_allclose(B.T @ (B @ x), lam * x, atol=1e-9 * (1 + lam))
    if rank and ev[-1] - ev[-2] > 1e-6 * ev[-1]:  # a simple top eigenvalue: the same line
        assert abs(float(x @ vec[:, -1])) == pytest.approx(1.0, abs=1e-8)


def test_a6_property_reuse_changes_no_verdict_and_never_crosses_models():
    """Draws on one model reuse what the property computed for it (κ, ω; per model object):
    every draw's result equals the result on a fresh, equal model object (nothing stale), and
    another model's κ is its own, as the audit computes it (docs/theory.md §5)."""
    def model(seed):
        return random_model(12, n_agents=3, successors=2, seed=seed)

    m = model(4)
    phi = _tabular_phi(m)
    rng = np.random.default_rng(0)
    draws = [(rng.standard_normal(phi.shape[1]), rng.standard_normal(phi.shape[1]))
             for _ in range(3)]
    reused = [props.a6_contraction(m, phi, *d) for d in draws]
    fresh = [props.a6_contraction(model(4), phi, *d) for d in draws]
    assert reused == fresh
    other = model(5)
    got = props.a6_contraction(other, _tabular_phi(other), *draws[0])
    want = audit(other).features.kappa
    assert got.kappa in (want.kappa, want.upper)
    assert (got.kappa, got.omega) != (reused[0].kappa, reused[0].omega)


def _env(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "HYPOTHESIS_STORAGE_DIRECTORY"}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    return env


def test_icq_check_writes_no_hypothesis_files_in_the_working_directory(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    cmd = [sys.executable, "-m", "icq.cli", "check", str(example_path("ring-exact")),
           "--examples", "2", "--property", "bellman_contraction", "--json"]
    done = subprocess.run(cmd, cwd=work, env=_env(tmp_path), capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert list(work.iterdir()) == []
    assert (tmp_path / "cache" / "icq" / "hypothesis").is_dir()  # Hypothesis wrote there
    # control: the same search through the library, where Hypothesis keeps its own default
    probe = ("from icq.reference.model import load, example_path\n"
             "from icq.property_tests.check import check_model\n"
             "check_model(load(example_path('ring-exact')), examples=2,\n"
             "            properties=('bellman_contraction',))\n")
    subprocess.run([sys.executable, "-c", probe], cwd=work, env=_env(tmp_path), check=True,
                   timeout=300)
    assert (work / ".hypothesis").is_dir()


@pytest.mark.parametrize("seed", range(6))
def test_one_hot_kappa_closed_form_equals_the_enumeration(seed):
    """For features one-hot up to a per-row scale (columns shared between pairs, as the
    constant and one-hot encodings give), the closed form κ equals the exact κ of the general
    computation, the maximum of λ_max(N_b, Σ) over every assignment (docs/theory.md §5)."""
    rng = np.random.default_rng(seed)
    m = random_model(6 + seed, n_agents=2 + seed % 2, successors=2, seed=seed)
    mu = stationary(m).mu
    d = 2 + seed
    col = rng.integers(0, d, m.n_obs_pairs)
    phi = np.zeros((m.n_obs_pairs, d))
    phi[np.arange(m.n_obs_pairs), col] = rng.uniform(0.5, 2.0, m.n_obs_pairs)
    if seed % 3 == 0:
        phi[rng.integers(0, m.n_obs_pairs)] = 0.0  # a zero row is one-hot up to scale 0
    sup = features.support(m, mu)
    M = features.next_obs_weights(m, mu)
    n_assign = int(np.prod([m.obs_ptr[o + 1] - m.obs_ptr[o] for o in range(m.n_obs)
                            if M[o] > 0]))
    closed = features.kappa(m, phi, sup, mu)
    general = features._kappa_general(m, phi, sup, M, n_assign, 10**6, 2, 0)
    assert general.exact and closed.exact
    assert closed.kappa == pytest.approx(general.kappa, rel=1e-9)
    assert closed.a6_holds == general.a6_holds
    # the witness direction attains κ²: max over assignments of its Rayleigh quotient
    p = props.a6_parts(m, phi)
    num, den = p.ratio(closed.witness)
    assert num / den == pytest.approx(closed.kappa**2, rel=1e-9)


def test_one_hot_kappa_declines_dense_features():
    """A row with two nonzero entries is not one-hot: the closed form declines it."""
    m = random_model(6, n_agents=2, successors=2, seed=0)
    mu = stationary(m).mu
    phi = np.ones((m.n_obs_pairs, 2))
    assert features._kappa_one_hot(m, phi, features.support(m, mu),
                                   features.next_obs_weights(m, mu), 1) is None
