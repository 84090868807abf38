"""Checking a user's model (``icq check``): :func:`check_model` runs every property of
:mod:`icq.property_tests.properties` (:func:`model_properties`) on the model and on perturbations
of it, with Hypothesis, and reports each verdict and the smallest counterexample it found.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import HealthCheck, Phase, find, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

from icq.bounds.features import support, tabular_features
from icq.property_tests.properties.a6 import a6_contraction
from icq.property_tests.properties.contraction import bellman_contraction
from icq.property_tests.properties.convergence import tabular_convergence
from icq.property_tests.properties.gaps import ais_bound_soundness
from icq.property_tests.properties.interface import check_runtime_interface
from icq.property_tests.properties.policy import ais_policy_evaluation_gap, policy_correspondence
from icq.property_tests.properties.reductions import (
    exact_observation_reduction,
    unit_duration_reduction,
)
from icq.property_tests.strategies import decentralized_policies, perturbations, q_vectors
from icq.reference.common.io import plain, write_json
from icq.reference.exact.chain import stationary
from icq.reference.model import EpochModel

__all__ = ["CheckReport", "ModelProperty", "NotApplicable", "PropertyReport", "check_model",
           "model_properties"]


class NotApplicable(Exception):  # noqa: N818 - a verdict, not an error
    """A property that does not apply to this model (e.g. no stationary law)."""


@dataclass(frozen=True)
class ModelProperty:
    """A property of one model, as :func:`check_model` runs it.

    ``draws(model)`` is the Hypothesis strategy of its auxiliary draws (θ pairs, policies, …;
    it depends only on the model's structure), ``check(model, aux)`` raises AssertionError when
    the property fails and :class:`NotApplicable` when it does not apply.
    """

    name: str
    statement: str
    draws: Callable[[EpochModel], Any]
    check: Callable[[EpochModel, Any], Any]


def _no_draws(model: EpochModel) -> Any:
    return st.just(None)


def _q_pair(model: EpochModel) -> Any:
    g = model.gamma_bar
    scale = 2.0 * (1.0 + model.R_bar / max(1.0 - g, 1e-12))
    return st.tuples(q_vectors(model.n_pairs, scale=scale),
                     q_vectors(model.n_pairs, scale=scale, sparse=True))


def _policy(model: EpochModel) -> Any:
    return decentralized_policies(model)


def _tabular_phi(model: EpochModel) -> np.ndarray:
    st_ = stationary(model)
    if not st_.ergodic:
        raise NotApplicable(f"no stationary law μ: {st_.reason}")
    return tabular_features(model, support(model, st_.mu))


def _theta_pair_for(phi_of: Callable[[EpochModel], np.ndarray]) -> Callable[[EpochModel], Any]:
    def draws(model: EpochModel) -> Any:
        try:
            d = phi_of(model).shape[1]
        except NotApplicable:
            return st.just(None)
        return st.tuples(q_vectors(d, sparse=True), q_vectors(d))
    return draws


def _a6_check(phi_of: Callable[[EpochModel], np.ndarray]) -> Callable[[EpochModel, Any], Any]:
    def check(model: EpochModel, aux: Any) -> Any:
        phi = phi_of(model)
        if aux is None:
            raise NotApplicable("no stationary law μ")
        return a6_contraction(model, phi, aux[0], aux[1])
    return check


def _ergodic_only(fn: Callable[[EpochModel], Any]) -> Callable[[EpochModel, Any], Any]:
    def check(model: EpochModel, aux: Any) -> Any:
        st_ = stationary(model)
        if not st_.ergodic:
            raise NotApplicable(f"the behaviour chain is not uniformly ergodic: {st_.reason}")
        return fn(model)
    return check


def _tabular(model: EpochModel) -> Any:
    return tabular_convergence(model, handoffs=int(min(5_000_000,
                                                       200_000 + 20_000 * model.n_obs_pairs)))


def model_properties(features: np.ndarray | None = None) -> tuple[ModelProperty, ...]:
    """The properties :func:`check_model` runs, in order (``features``: a user feature map
    for the A6 property, default the tabular one-hot features on the support)."""
    phi_of = _tabular_phi if features is None else (lambda m: np.asarray(features, float))
    return (
        ModelProperty("bellman_contraction", "‖TQ − TQ'‖∞ ≤ γ̄‖Q − Q'‖∞ (Lemma C)", _q_pair,
                      lambda m, a: bellman_contraction(m, a[0], a[1])),
        ModelProperty("a6_contraction", "under A6: strong monotonicity (1−κ)ω and ΠT̂ a "
                      "κ-contraction in ‖·‖_μ; where A6 fails, the witness has ratio ≥ 1 (§5)",
                      _theta_pair_for(phi_of), _a6_check(phi_of)),
        ModelProperty("policy_correspondence", "runtime Monte Carlo value of π = exact value "
                      "of π∘σ (§2)", _policy,
                      lambda m, a: policy_correspondence(m, a, episodes=600)),
        ModelProperty("ais_policy_evaluation_gap", "|V^π − V̂^π∘σ| ≤ e^π ≤ Δ^π_va ≤ Δ^π_TV "
                      "(§3)", _policy, lambda m, a: ais_policy_evaluation_gap(m, a)),
        ModelProperty("ais_bound_soundness", "Δ_exact ≤ max e ≤ Δ_va ≤ Δ_AIS; policy loss ≤ "
                      "its bounds (Lemmas A, P)", _no_draws,
                      lambda m, a: ais_bound_soundness(m)),
        ModelProperty("tabular_convergence", "tabular IC-Q → Q̂*_μ (§2)", _no_draws,
                      _ergodic_only(_tabular)),
        ModelProperty("unit_duration_reduction", "τ ≡ 1: IC-Q is ordinary Q-learning",
                      _no_draws, lambda m, a: unit_duration_reduction(m)),
        ModelProperty("exact_observation_reduction", "exact observations: ε = δ = 0, Q̂*∘σ = "
                      "Q*", _no_draws, lambda m, a: exact_observation_reduction(m)),
        ModelProperty("runtime_interface", "agents receive only their own labels, successor "
                      "names and three-number handoffs", _no_draws,
                      lambda m, a: check_runtime_interface(m)),
    )


@dataclass(frozen=True)
class PropertyReport:
    """One property's verdict on a model and its perturbations.

    holds : no counterexample was found
    examples : examples checked (the model and its perturbations, with their draws)
    applicable : how many of them the property applied to
    counterexample : None, or the smallest failing example Hypothesis found: ``model`` (an
        ``icsmdp-epoch/1`` document), ``perturbed`` (whether it differs from the input),
        ``draws`` (the auxiliary draws, JSON-able), ``message`` and ``file`` (where it was saved)
    note : why the property did not apply, if it never did
    """

    name: str
    statement: str
    holds: bool
    examples: int
    applicable: int
    counterexample: dict[str, Any] | None = None
    note: str = ""
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {"holds": self.holds, "examples": self.examples, "applicable": self.applicable,
                "counterexample": self.counterexample, "statement": self.statement,
                "note": self.note, "seconds": round(self.seconds, 3)}


@dataclass(frozen=True)
class CheckReport:
    """What :func:`check_model` found: one :class:`PropertyReport` per property."""

    model: str
    properties: dict[str, PropertyReport]
    examples: int
    method: str

    @property
    def holds(self) -> bool:
        return all(p.holds for p in self.properties.values())

    def to_json(self) -> dict[str, Any]:
        return {"model": self.model, "holds": self.holds, "examples_per_stage": self.examples,
                "properties": {k: v.to_json() for k, v in self.properties.items()},
                "method": self.method}


def _jsonable(x: Any) -> Any:
    """A counterexample's draws as plain values (:func:`icq.reference.common.io.plain`: the
    one JSON convention writes ±∞ and NaN), any other object as its ``repr``."""
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple | np.ndarray):
        return [_jsonable(v) for v in (x.tolist() if isinstance(x, np.ndarray) else x)]
    p = plain(x)
    return p if p is None or isinstance(p, bool | int | float | str) else repr(x)


def _run_property(prop: ModelProperty, model: EpochModel, examples: int,
                  shrink_seconds: float) -> tuple[int, int, str, Any]:
    """Search the model (stage 1) and its perturbations (stage 2) for a counterexample."""
    aux = prop.draws(model)
    stats = {"examples": 0, "applicable": 0, "note": "", "failed_at": None}

    def fails(case: tuple[EpochModel, Any]) -> bool:
        if stats["failed_at"] is not None and time.monotonic() > stats["failed_at"]:
            return False  # shrinking budget spent: keep the smallest failure found so far
        stats["examples"] += 1
        m, a = case
        try:
            prop.check(m, a)
        except NotApplicable as exc:
            stats["note"] = str(exc)
            return False
        except AssertionError:
            if stats["failed_at"] is None:
                stats["failed_at"] = time.monotonic() + shrink_seconds
            return True
        stats["applicable"] += 1
        return False

    cfg = settings(max_examples=max(1, examples), derandomize=True, database=None,
                   deadline=None, suppress_health_check=list(HealthCheck),
                   phases=[Phase.explicit, Phase.generate, Phase.shrink])
    stages = [st.tuples(st.just(model), aux),
              st.tuples(perturbations(model), aux)]
    for strategy in stages:
        try:
            found = find(strategy, fails, settings=cfg, random=None)
        except NoSuchExample:
            continue
        return stats["examples"], stats["applicable"], stats["note"], found
    return stats["examples"], stats["applicable"], stats["note"], None


def check_model(model: EpochModel, examples: int = 20, *, features: np.ndarray | None = None,
                properties: tuple[str, ...] | None = None, save_dir: str | None = None,
                stem: str = "model", shrink_seconds: float = 30.0) -> CheckReport:
    """Run every property (:func:`model_properties`) on ``model`` and on perturbations of it.

    For each property, Hypothesis searches two stages, each with ``examples`` examples and
    ``derandomize=True`` (the same input gives the same report): the model itself with random
    auxiliary draws (Q pairs, θ pairs, decentralized policies), then perturbations of the model
    (:func:`~icq.property_tests.strategies.perturbations`: same structure, jittered probabilities
    and rewards). A failure is shrunk (for at most ``shrink_seconds``) to the smallest
    counterexample found, which is written to ``save_dir`` as an ``icsmdp-epoch/1`` file
    ``{stem}.{property}.counterexample.json`` when ``save_dir`` is given.

    >>> from icq.reference.model import load, example_path
    >>> r = check_model(load(example_path("ring-exact")), examples=2,
    ...                 properties=("bellman_contraction", "exact_observation_reduction"))
    >>> r.holds, r.properties["bellman_contraction"].examples
    (True, 4)
    """
    props = model_properties(features)
    if properties is not None:
        unknown = set(properties) - {p.name for p in props}
        if unknown:
            raise ValueError(f"properties: unknown {sorted(unknown)} (known: "
                             f"{', '.join(p.name for p in props)})")
        props = tuple(p for p in props if p.name in properties)
    out: dict[str, PropertyReport] = {}
    for prop in props:
        t0 = time.perf_counter()
        n, applicable, note, found = _run_property(prop, model, examples, shrink_seconds)
        counter = None
        if found is not None:
            m, aux = found
            try:
                prop.check(m, aux)
                message = "(the failure did not reproduce on a second run)"
            except AssertionError as exc:
                message = str(exc)
            doc = m.to_dict()
            same = (np.array_equal(m.out_prob, model.out_prob)
                    and np.array_equal(m.out_rew, model.out_rew))
            counter = {"message": message, "draws": _jsonable(aux), "perturbed": not same,
                       "model": doc, "file": None}
            if save_dir is not None:
                path = Path(save_dir) / f"{stem}.{prop.name}.counterexample.json"
                write_json(path, doc)
                counter["file"] = str(path)
        out[prop.name] = PropertyReport(
            prop.name, prop.statement, found is None, n, applicable, counter,
            note if applicable == 0 else "", time.perf_counter() - t0)
    return CheckReport(model=model.name, properties=out, examples=examples,
                       method="Hypothesis find() over the model (random draws) and over "
                       "perturbations of it, derandomized; failures shrunk")
