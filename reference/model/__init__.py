"""The epoch-level IC-SMDP, array-backed (docs/theory.md §1; FORMAT.md ``icsmdp-epoch/1``).

An IC-SMDP seen at its decision epochs (handoff times) has

- latent epoch states ``y = 0..n-1``; agent ``i(y)`` is active at ``y`` and observes
  ``σ(y) = ô``, an index into the disjoint union of all agents' observations ``0..n_obs-1``;
- successors ``j``: agent indices ``0..N-1`` and ``END = N``; the admissible set ``J(ô)``
  depends on the observation only (Assumption 1(iii));
- for every pair ``(y, j)`` with ``j ∈ J(σ(y))`` the joint law of one invocation's outcome
  ``(τ, R, y')`` (``y' = -1`` when the episode ends), from which

  ``r̄(y,j) = E[R | y,j]`` and ``K(y'|y,j) = E[γ^τ 1{Y'=y'} | y,j]`` (sub-stochastic),
  ``γ̄ = max_{y,j} Σ_{y'} K(y'|y,j)``, ``T_max = max τ``, ``R̄ = max |R|``.

Pairs are stored contiguously per state (``pair_ptr[y]:pair_ptr[y+1]``) in the order of
``J(σ(y))``; observation pairs ``(ô, j)`` likewise (``obs_ptr``), so that latent pair ``k``
and its observation pair ``pair_obs_pair[k]`` name the same successor. Kernels are
``scipy.sparse`` CSR matrices; nothing on a hot path is a Python dict.

The package, bottom up: :mod:`~icq.reference.model.parse` (the format's constants,
:class:`ModelError`, decoding, the JSON Schema checks), :mod:`~icq.reference.model.smdp`
(:class:`SMDP`), :mod:`~icq.reference.model.epoch` (:class:`EpochModel`),
:mod:`~icq.reference.model.arrays` (:func:`from_arrays`: the numeric rules) and
:mod:`~icq.reference.model.names` (:func:`from_dict`, :func:`load`: the naming rules); this
module re-exports their public names.

Examples
--------
>>> from icq.reference.model import load, example_path
>>> m = load(example_path("ring-exact"))
>>> m.n_states, m.n_obs, m.n_pairs, m.T_max
(3, 3, 4, 3)
>>> round(float(m.gamma_bar), 6)
0.9
"""

from icq.reference.model.arrays import from_arrays
from icq.reference.model.epoch import EpochModel
from icq.reference.model.names import from_dict, load, replace_arrays, structure_problems
from icq.reference.model.parse import (
    END,
    EXTENSIONS,
    FORMAT,
    MAX_DEPTH,
    MAX_DURATION,
    MAX_VALUE,
    PROB_TOL,
    ModelError,
    example_path,
    parse,
    schema_path,
)
from icq.reference.model.smdp import SMDP

__all__ = [
    "END",
    "EXTENSIONS",
    "FORMAT",
    "MAX_DEPTH",
    "MAX_DURATION",
    "MAX_VALUE",
    "PROB_TOL",
    "EpochModel",
    "ModelError",
    "SMDP",
    "example_path",
    "from_arrays",
    "from_dict",
    "load",
    "parse",
    "replace_arrays",
    "schema_path",
    "structure_problems",
]
