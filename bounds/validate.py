"""Validation of user-supplied inputs to the audit: feature maps and observation metrics.

Each rejection raises :class:`InputError` with one line naming the field, the value and the
rule (docs/contributing.md, "Bad input"); the command line turns it into exit status 2 with
nothing written.

Feature files (``--features FILE``): an array of shape ``(n_obs_pairs, d)`` whose rows are the
features ``φ(ô, j)`` of the model's observation pairs, every row with ``‖φ‖₂ ≤ 1``
(docs/theory.md §5). Accepted forms:

- ``.npy``: the array, rows in the model's observation-pair order;
- ``.json``: either the array as a list of rows (model order), or an object
  ``{"pairs": [{"agent": …, "obs": …, "successor": …}, …], "features": [[…], …]}`` naming
  every observation pair exactly once, in any order.

Observation metrics (``--obs-metric FILE``, for ``--metric w1``): a metric on the disjoint union
of observations, as ``.npy`` (model order) or ``.json``: a list of rows (model order) or
``{"observations": [{"agent": …, "obs": …}, …], "distances": [[…], …]}``. It must be finite,
symmetric, zero exactly on the diagonal and satisfy the triangle inequality.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from icq.reference.model import EpochModel, ModelError
from icq.reference.model.parse import parse_checked

__all__ = ["InputError", "check_features", "check_obs_metric", "load_features",
           "load_obs_metric", "NORM_TOL"]

#: tolerance on ‖φ‖₂ ≤ 1 and on the metric axioms
NORM_TOL = 1e-9


class InputError(ValueError):
    """An invalid user input to the audit (one readable line)."""


def check_features(phi: Any, model: EpochModel, *, field: str = "features") -> np.ndarray:
    """A float (n_obs_pairs, d) array with finite entries and row norms ≤ 1, or InputError."""
    try:
        arr = np.asarray(phi, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{field}: not a numeric array ({exc})") from None
    if arr.ndim != 2 or arr.shape[0] != model.n_obs_pairs or arr.shape[1] < 1:
        raise InputError(f"{field}: shape {arr.shape} is not (n_obs_pairs, d) = "
                         f"({model.n_obs_pairs}, d ≥ 1) (rule: one row per observation pair)")
    if not np.isfinite(arr).all():
        r = int(np.argwhere(~np.isfinite(arr))[0][0])
        raise InputError(f"{field}: row {r} ({_pair_name(model, r)}) has a non-finite entry")
    norms = np.linalg.norm(arr, axis=1)
    if (norms > 1.0 + NORM_TOL).any():
        r = int(np.argmax(norms))
        raise InputError(f"{field}: row {r} ({_pair_name(model, r)}) has ‖φ‖₂ = {norms[r]:.6g} "
                         "> 1 (rule: ‖φ(ô,j)‖₂ ≤ 1, docs/theory.md §5)")
    return arr


def check_obs_metric(dist: Any, model: EpochModel, *, field: str = "obs-metric") -> np.ndarray:
    """A float (n_obs, n_obs) metric, or InputError naming the broken axiom."""
    try:
        M = np.asarray(dist, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{field}: not a numeric matrix ({exc})") from None
    n = model.n_obs
    if M.shape != (n, n):
        raise InputError(f"{field}: shape {M.shape} is not (n_obs, n_obs) = ({n}, {n})")
    if not np.isfinite(M).all():
        raise InputError(f"{field}: non-finite distance (rule: a finite metric)")
    scale = max(1.0, float(np.abs(M).max(initial=0.0)))
    if np.abs(M - M.T).max(initial=0.0) > NORM_TOL * scale:
        a, b = np.unravel_index(np.argmax(np.abs(M - M.T)), M.shape)
        raise InputError(f"{field}: d({_obs_name(model, a)}, {_obs_name(model, b)}) ≠ "
                         f"d({_obs_name(model, b)}, {_obs_name(model, a)}) (rule: symmetric)")
    if np.abs(np.diag(M)).max(initial=0.0) > 0:
        a = int(np.argmax(np.abs(np.diag(M))))
        raise InputError(f"{field}: d({_obs_name(model, a)}, itself) = {M[a, a]:g} ≠ 0 "
                         "(rule: zero on the diagonal)")
    off = M + np.eye(n) * scale
    if (off <= 0).any():
        a, b = np.argwhere(off <= 0)[0]
        raise InputError(f"{field}: d({_obs_name(model, a)}, {_obs_name(model, b)}) = "
                         f"{M[a, b]:g} (rule: > 0 between distinct observations)")
    # triangle inequality: d(a,c) ≤ d(a,b) + d(b,c)
    via = (M[:, :, None] + M[None, :, :]).min(axis=1)
    if (M > via + NORM_TOL * scale).any():
        a, c = np.argwhere(M > via + NORM_TOL * scale)[0]
        raise InputError(f"{field}: d({_obs_name(model, a)}, {_obs_name(model, c)}) = "
                         f"{M[a, c]:g} exceeds a path through another observation "
                         f"({via[a, c]:g}) (rule: triangle inequality)")
    return M


def _pair_name(model: EpochModel, r: int) -> str:
    o = int(model.obs_pair_obs[r])
    agent, label = model.obs_name(o)
    return f"agent {agent!r}, obs {label!r}, successor {model.successor_name(model.obs_succ[r])!r}"


def _obs_name(model: EpochModel, o: int) -> str:
    agent, label = model.obs_name(int(o))
    return f"{agent}/{label}"


def _read(path: str | Path, field: str) -> Any:
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{field}: {str(p)!r} is not a readable file")
    if p.suffix == ".npy":
        try:
            return np.load(p, allow_pickle=False)
        except ValueError as exc:
            raise InputError(f"{field}: {str(p)!r} is not a .npy array ({exc})") from None
    try:  # the model file's JSON reader, with its limits (docs/format.md)
        return parse_checked(p.read_bytes(), f"{field}: {str(p)!r}")
    except ModelError as exc:
        raise InputError("; ".join(exc.problems)) from None


def _positions(entries: list, index: dict, keys: tuple[str, ...], field: str, name: str,
               what: str) -> list[int]:
    """The model index of each named entry; each of ``len(index)`` must be named exactly once."""
    order = []
    for k, p in enumerate(entries):
        key = tuple(p.get(f) for f in keys) if isinstance(p, dict) else None
        if key not in index:
            raise InputError(f"{field}: {name}[{k}] = {p!r} is not one of the model's {what}")
        order.append(index[key])
    if sorted(order) != list(range(len(index))):
        raise InputError(f"{field}: {name} must name each of the {len(index)} {what} exactly "
                         "once")
    return order


def load_features(path: str | Path, model: EpochModel) -> np.ndarray:
    """Read and validate a feature file (formats in the module docstring)."""
    raw = _read(path, "features")
    if isinstance(raw, dict):
        pairs, rows = raw.get("pairs"), raw.get("features")
        if not isinstance(pairs, list) or not isinstance(rows, list) or len(pairs) != len(rows):
            raise InputError("features: expected {\"pairs\": [...], \"features\": [...]} of "
                             "equal length")
        index = {(*model.obs_name(int(model.obs_pair_obs[r])),
                  model.successor_name(model.obs_succ[r])): r for r in range(model.n_obs_pairs)}
        order = _positions(pairs, index, ("agent", "obs", "successor"), "features", "pairs",
                           "observation pairs")
        try:
            arr = np.asarray(rows, dtype=float)
        except (TypeError, ValueError) as exc:
            raise InputError(f"features: not a numeric array ({exc})") from None
        if arr.ndim != 2:
            raise InputError(f"features: rows have unequal lengths or shape {arr.shape}")
        out = np.empty_like(arr)
        out[order] = arr
        raw = out
    return check_features(raw, model)


def load_obs_metric(path: str | Path, model: EpochModel) -> np.ndarray:
    """Read and validate an observation-metric file (formats in the module docstring)."""
    raw = _read(path, "obs-metric")
    if isinstance(raw, dict):
        obs, rows = raw.get("observations"), raw.get("distances")
        if not isinstance(obs, list) or not isinstance(rows, list):
            raise InputError("obs-metric: expected {\"observations\": [...], "
                             "\"distances\": [[...], ...]}")
        index = {model.obs_name(o): o for o in range(model.n_obs)}
        order = _positions(obs, index, ("agent", "obs"), "obs-metric", "observations",
                           "observations")
        try:
            arr = np.asarray(rows, dtype=float)
        except (TypeError, ValueError) as exc:
            raise InputError(f"obs-metric: not a numeric matrix ({exc})") from None
        if arr.shape != (model.n_obs, model.n_obs):
            raise InputError(f"obs-metric: shape {arr.shape} is not (n_obs, n_obs) = "
                             f"({model.n_obs}, {model.n_obs})")
        out = np.empty_like(arr)
        out[np.ix_(order, order)] = arr
        raw = out
    return check_obs_metric(raw, model)
