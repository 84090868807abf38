"""What every property module shares: the :class:`Checked` record a property returns when it
holds, the failure and tolerance helpers, the AIS pieces several properties recompute
independently of :mod:`icq.bounds`, and the per-model cache (:func:`per_model`) through which
the properties that :func:`~icq.property_tests.check.check_model` runs on one model reuse each
other's work.
"""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from icq.reference.exact.induced import ais_model
from icq.reference.model import EpochModel

__all__ = ["Checked", "per_model"]


@dataclass(frozen=True)
class Checked:
    """A property that held: ``lhs ≤ rhs`` (or ``lhs`` within ``rhs``) and how it was checked."""

    name: str
    lhs: float
    rhs: float
    detail: str = ""
    holds: bool = True


def fail(name: str, message: str) -> AssertionError:
    return AssertionError(f"{name}: {message}")


def scaled_tol(*scales: float) -> float:
    """Floating-point slack for inequalities between sums of magnitude ``scales``."""
    return 1e-9 * (1.0 + sum(abs(float(s)) for s in scales))


def ais_pieces(model: EpochModel, vhat: np.ndarray, weights: np.ndarray | None = None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, Any]:
    """Per latent pair: ``|r̄ − r̂∘σ|``, ``|⟨σ#K − K̂, v̂⟩|`` and ``‖σ#K − K̂‖₁`` (docs/theory.md §3)."""
    ais = ais_model(model, weights)
    r_err = np.abs(model.reward - ais.smdp.reward[model.pair_obs_pair])
    push = (model.K @ model.obs_states).tocsr()
    diff = (push - ais.smdp.K[model.pair_obs_pair]).tocsr()
    D = np.abs(diff @ vhat)
    L1 = np.asarray(abs(diff).sum(axis=1)).ravel()
    return r_err, D, L1, ais


_MEMO: dict[int, tuple[weakref.ref, dict[Any, Any]]] = {}


def per_model(model: EpochModel, key: Any, compute: Callable[[], Any]) -> Any:
    """``compute()`` once per model object and ``key``: what one property (or one draw) computed
    for a model is reused by the others on the same model (:func:`check_model` checks the model
    itself with every property and many draws). Entries live as long as the model object."""
    entry = _MEMO.get(id(model))
    if entry is None or entry[0]() is not model:
        entry = (weakref.ref(model), {})
        _MEMO[id(model)] = entry
        weakref.finalize(model, _MEMO.pop, id(model), None)
    cache = entry[1]
    if key not in cache:
        cache[key] = compute()
    return cache[key]


def array_digest(a: np.ndarray) -> str:
    a = np.ascontiguousarray(a, dtype=float)
    return hashlib.sha256(a.tobytes() + repr(a.shape).encode()).hexdigest()
