"""The strategies are valid by construction and their knobs do what they say; the profiles are
ours, even where Hypothesis would load its own ``ci`` profile."""

import os
import subprocess
import sys

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from icq.property_tests.strategies import (
    PROFILES,
    decentralized_policies,
    epoch_documents,
    epoch_models,
    feature_maps,
    in_ci,
    perturbations,
    truncated_geometric,
)
from icq.reference.model import example_path, from_dict, load

ARE = load(example_path("author-reviewer-editor"))


@given(epoch_documents())
def test_documents_load_and_round_trip(doc):
    m = from_dict(doc)
    again = from_dict(m.to_dict())
    assert np.array_equal(again.out_prob, m.out_prob) and again.state_ids == m.state_ids


@given(epoch_models(aliasing=0.0))
def test_no_aliasing_gives_exact_observations(m):
    assert m.n_obs == m.n_states


@given(epoch_models(aliasing=1.0, agents=1, states_per_agent=3))
def test_full_aliasing_merges_states(m):
    assert m.n_obs == 1


@given(epoch_models(T_max=3, p_handoff=0.5, duration_correlation=0.0, p_terminal=0.0))
def test_duration_law_is_the_truncated_geometric(m):
    law = truncated_geometric(0.5, 3)
    for k in range(m.n_pairs):
        sl = slice(m.out_ptr[k], m.out_ptr[k + 1])
        by_next: dict[int, np.ndarray] = {}
        for p, d, nx in zip(m.out_prob[sl], m.out_dur[sl], m.out_next[sl], strict=True):
            by_next.setdefault(int(nx), np.zeros(3))[d - 1] += p
        for dist in by_next.values():
            np.testing.assert_allclose(dist / dist.sum(), law, rtol=1e-12)
    # p_terminal = 0: only END ends an episode
    assert ((m.out_next >= 0) | (m.pair_succ[m.out_pair] == m.END)).all()


@given(epoch_models(duration_correlation=1.0, T_max=4, agents=2, states_per_agent=3))
def test_durations_may_depend_on_the_next_state(m):
    assert m.T_max <= 4 and (m.out_dur >= 1).all()


@given(epoch_models(gamma=0.7, behavior="uniform", initial="single"))
def test_fixed_knobs(m):
    assert m.gamma == 0.7 and m.initial[0] == 1.0
    for o in range(m.n_obs):
        b = m.behavior[m.obs_ptr[o]:m.obs_ptr[o + 1]]
        np.testing.assert_allclose(b, 1.0 / len(b))


@given(st.data())
def test_policies_are_distributions_over_admissible_successors(data):
    m = data.draw(epoch_models())
    pi = data.draw(decentralized_policies(m))
    sums = np.add.reduceat(pi, m.obs_ptr[:-1])
    np.testing.assert_allclose(sums, 1.0)
    assert (pi >= 0).all()


@given(st.data())
def test_feature_maps_have_rows_in_the_unit_ball(data):
    m = data.draw(epoch_models())
    phi = data.draw(feature_maps(m))
    assert phi.shape[0] == m.n_obs_pairs and 1 <= phi.shape[1] <= m.n_obs_pairs
    assert (np.linalg.norm(phi, axis=1) <= 1 + 1e-12).all()


@given(perturbations(ARE))
def test_perturbations_keep_the_structure(p):
    assert p.state_ids == ARE.state_ids and p.obs_labels == ARE.obs_labels
    for f in ("obs_ptr", "obs_succ", "pair_ptr", "out_ptr", "out_dur", "out_next"):
        assert np.array_equal(getattr(p, f), getattr(ARE, f)), f
    assert (p.out_prob > 0).all()
    np.testing.assert_allclose(np.add.reduceat(p.out_prob, p.out_ptr[:-1]), 1.0, rtol=1e-12)


@given(perturbations(ARE, scale=0.0))
def test_zero_scale_perturbation_is_the_model(p):
    np.testing.assert_allclose(p.out_prob, ARE.out_prob, rtol=1e-15)
    assert np.array_equal(p.out_rew, ARE.out_rew)


def _profile_in_subprocess(env: dict[str, str]) -> str:
    code = ("from icq.property_tests.strategies import load_profile\n"
            "from hypothesis import settings\n"
            "name = load_profile()\n"
            "s = settings()\n"
            "print(name, s.max_examples, s.derandomize, s.deadline)")
    clean = {k: v for k, v in os.environ.items() if k not in ("CI", "HYPOTHESIS_PROFILE")}
    out = subprocess.run([sys.executable, "-c", code], env={**clean, **env}, check=True,
                         capture_output=True, text=True)
    return out.stdout.strip()


def test_our_ci_profile_wins_when_ci_is_set():
    n = PROFILES["ci"]["max_examples"]
    assert _profile_in_subprocess({"CI": "true"}) == f"ci {n} True None"
    assert n != 100  # Hypothesis' own ci profile keeps the default max_examples=100


def test_profile_is_chosen_with_the_environment():
    n = PROFILES["thorough"]["max_examples"]
    assert _profile_in_subprocess({"CI": "true", "HYPOTHESIS_PROFILE": "thorough"}) == \
        f"thorough {n} False None"
    assert _profile_in_subprocess({}).startswith("dev ")


def test_ci_is_detected_by_the_ci_variable_alone():
    # Hypothesis documents CI detection as "the CI environment variable is set": any value,
    # even empty, selects our ci profile; its absence (with other CI-looking names) does not.
    assert in_ci({"CI": ""}) and in_ci({"CI": "0"})
    assert not in_ci({"GITHUB_ACTIONS": "true", "ci": "1"})
    assert _profile_in_subprocess({"CI": ""}).startswith("ci ")
