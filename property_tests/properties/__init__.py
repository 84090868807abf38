"""Properties of IC-Q and of its bounds, as plain functions (docs/theory.md §1–§6).

Each property is a function of a model (and of the random draws it quantifies over) that returns
a small :class:`Checked` record when it holds and raises :class:`AssertionError` with the numbers
when it does not, so that it runs the same in a pytest suite, in a Hypothesis search, in
:func:`~icq.property_tests.check.check_model` and in ``icq check``. Each has a *negative control*:
a deliberately wrong variant (selected by a keyword, or a named wrong object:
:func:`per_handoff_discount_operator`, :func:`kappa_without_max`, :class:`LatentLeakWorld`,
:class:`RelabellingWorld`) that a Hypothesis search falsifies; the property tests in
``property_tests/`` show both.

=====================================  ========================================================
property                               statement (docs/theory.md)
=====================================  ========================================================
:func:`bellman_contraction`            ``‖TQ − TQ'‖∞ ≤ γ̄ ‖Q − Q'‖∞`` (§1, Lemma C)
:func:`a6_contraction`                 where the audit says A6 holds with κ:
                                       ``(θ−θ')ᵀ(ḡ(θ)−ḡ(θ')) ≤ −(1−κ)ω‖θ−θ'‖²`` and
                                       ``‖ΠT̂Q_θ − ΠT̂Q_θ'‖_μ ≤ κ‖Q_θ − Q_θ'‖_μ``; where it says A6
                                       fails, the witness direction has ratio ≥ 1 (§5)
:func:`policy_correspondence`          runtime Monte Carlo value of π = exact value of π∘σ (§2)
:func:`ais_policy_evaluation_gap`      ``|V^π − V̂^π∘σ| ≤ e^π ≤ Δ^π_va ≤ Δ^π_TV`` (§3, Lemma A for a
                                       fixed policy)
:func:`ais_bound_soundness`            ``Δ_exact ≤ max e ≤ Δ_va ≤ Δ_AIS``, loss ≤ its bounds (§3)
:func:`theorem1_empirical`             MSE of projected IC-Q over seeds ≤ Theorem 1 (§6)
:func:`tabular_convergence`            tabular IC-Q → ``Q̂*_μ`` (§2)
:func:`unit_duration_reduction`        τ ≡ 1: IC-Q is ordinary Q-learning (§1)
:func:`exact_observation_reduction`    exact observations: ε = δ = 0, ``Q̂*∘σ = Q*`` (§3)
:func:`check_runtime_interface`        agents receive only their own labels, successor names and
                                       three-number handoffs (§1–§2)
:func:`primitive_reduction`            the primitive → epoch reduction agrees with simulation (§1)
=====================================  ========================================================

One module per group: ``common`` (:class:`Checked`, the per-model cache :func:`per_model`),
``contraction`` (Lemma C), ``policy`` (policy correspondence, the AIS policy-evaluation gap),
``interface`` (the runtime's interface), ``reductions`` (τ ≡ 1, exact observations), ``convergence``
(tabular IC-Q), ``gaps`` (Lemmas A and P), ``a6``, ``theorem1``, ``primitive`` and ``falsify``
(:func:`find_counterexample`, :func:`assert_falsified`: a negative control must fail); this package
re-exports their public names. :func:`~icq.property_tests.check.check_model`
(:mod:`icq.property_tests.check`) runs the properties on a user's model and on perturbations of it
(``icq check``).

>>> import numpy as np
>>> from icq.reference.model import load, example_path
>>> m = load(example_path("ring-exact"))
>>> q = np.arange(m.n_pairs, dtype=float)
>>> bellman_contraction(m, q, -q).holds
True
"""

from __future__ import annotations

from icq.property_tests.properties.a6 import (
    A6Check,
    A6Parts,
    a6_contraction,
    a6_parts,
    kappa_without_max,
)
from icq.property_tests.properties.common import Checked, per_model
from icq.property_tests.properties.contraction import (
    bellman_contraction,
    per_handoff_discount_operator,
)
from icq.property_tests.properties.convergence import tabular_convergence
from icq.property_tests.properties.falsify import assert_falsified, find_counterexample
from icq.property_tests.properties.gaps import GapChain, ais_bound_soundness
from icq.property_tests.properties.interface import (
    InterfaceReport,
    LatentLeakWorld,
    RelabellingWorld,
    check_runtime_interface,
)
from icq.property_tests.properties.policy import (
    PolicyGap,
    ais_policy_evaluation_gap,
    policy_correspondence,
)
from icq.property_tests.properties.primitive import primitive_reduction
from icq.property_tests.properties.reductions import (
    dealias,
    exact_observation_reduction,
    ordinary_q_learning,
    unit_duration_reduction,
    unit_durations,
)
from icq.property_tests.properties.theorem1 import (
    Theorem1Check,
    constant_encoding,
    theorem1_empirical,
)

__all__ = [
    "A6Check",
    "A6Parts",
    "Checked",
    "GapChain",
    "InterfaceReport",
    "LatentLeakWorld",
    "PolicyGap",
    "RelabellingWorld",
    "Theorem1Check",
    "a6_contraction",
    "a6_parts",
    "ais_bound_soundness",
    "ais_policy_evaluation_gap",
    "assert_falsified",
    "bellman_contraction",
    "check_runtime_interface",
    "constant_encoding",
    "dealias",
    "exact_observation_reduction",
    "find_counterexample",
    "kappa_without_max",
    "ordinary_q_learning",
    "per_handoff_discount_operator",
    "per_model",
    "policy_correspondence",
    "primitive_reduction",
    "tabular_convergence",
    "theorem1_empirical",
    "unit_duration_reduction",
    "unit_durations",
]
