"""Checkpoints of the learners: written atomically, checked completely before they are used.

A checkpoint is an ``.npz`` archive (never pickled) of named arrays, plus two entries:

- ``__kind__``: what wrote it (``"tabular-icq/2"``, ``"neural-icq/2"``), so a foreign or older
  file is refused rather than misread;
- ``__meta__``: a JSON object with the model's fingerprint (:func:`model_fingerprint`, a SHA-256
  of every array and number that defines the model) and the learner's configuration.

On resume both are compared with the current run, and every array is checked against an
:class:`ArraySpec` (presence, dtype, shape, index range, finite values) *before* the compiled
loop sees it: a crafted or damaged file gives one :class:`CheckpointError` line (exit status 2
on the command line), never a crash or a silently wrong run.

>>> from icq.reference.model import load, example_path
>>> m = load(example_path("ring-exact"))
>>> model_fingerprint(m) == model_fingerprint(load(example_path("ring-exact")))
True
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from icq.reference.common.io import atomic_write, dumps
from icq.reference.model import EpochModel, ModelError

__all__ = ["ArraySpec", "CheckpointError", "check_handoffs", "check_target", "load_checkpoint",
           "model_fingerprint", "resume_target", "save_checkpoint"]


class CheckpointError(ModelError):
    """A checkpoint that cannot be used: one line naming the file, the entry and the rule."""

    def __init__(self, path: str | Path, message: str):
        super().__init__([f"checkpoint {path}: {message}"])


def model_fingerprint(model: EpochModel) -> str:
    """SHA-256 (hex) of everything that defines the model: γ, the names and every array."""
    h = hashlib.sha256()
    h.update(json.dumps([float(model.gamma).hex(), list(model.agents), list(model.state_ids),
                         list(model.obs_labels)]).encode())
    for name in ("state_agent", "state_obs", "obs_agent", "obs_ptr", "obs_succ", "initial",
                 "behavior", "pair_ptr", "pair_obs_pair", "out_ptr", "out_prob", "out_dur",
                 "out_rew", "out_next"):
        a = np.ascontiguousarray(getattr(model, name))
        h.update(f"{name}:{a.dtype.str}:{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()


@dataclass(frozen=True)
class ArraySpec:
    """What one stored array must be: ``dtype``, ``shape`` (``None`` = any length on that
    axis), values in ``[low, high]`` (``None``: unbounded) and finite (floats)."""

    dtype: str
    shape: tuple[int | None, ...]
    low: float | None = None
    high: float | None = None
    rng: bool = False  # rows of 4 words: xoshiro256 states, not all zero

    @classmethod
    def like(cls, a: Any, low: float | None = None, high: float | None = None) -> ArraySpec:
        """The spec of an array of the same dtype and shape as ``a`` (numpy or torch)."""
        arr = a.detach().cpu().numpy() if hasattr(a, "detach") else np.asarray(a)
        return cls(arr.dtype.str, tuple(arr.shape), low, high)

    def problem(self, a: np.ndarray) -> str | None:
        """What is wrong with ``a``, or ``None``."""
        if a.dtype != np.dtype(self.dtype):
            return f"dtype {a.dtype} is not {np.dtype(self.dtype)}"
        if a.ndim != len(self.shape) or any(
                want is not None and got != want for got, want in zip(a.shape, self.shape,
                                                                        strict=True)):
            want = tuple("*" if s is None else s for s in self.shape)
            return f"shape {a.shape} is not {want}"
        if a.dtype.kind == "f" and not np.isfinite(a).all():
            return "holds a non-finite value (NaN or ±∞)"
        if a.size and self.low is not None and (a < self.low).any():
            return f"holds {a.min()!r}, below the smallest allowed {self.low!r}"
        if a.size and self.high is not None and (a > self.high).any():
            return f"holds {a.max()!r}, above the largest allowed {self.high!r}"
        if self.rng and (a.shape[-1:] != (4,) or (a.reshape(-1, 4) == 0).all(axis=1).any()):
            return "is not a generator state (rows of 4 words, not all zero)"
        return None


def check_target(path: str | Path | None) -> Path | None:
    """``path`` as a :class:`Path`, refused early if it is a folder (nothing is written)."""
    if path is None or str(path) == "":
        return None
    if Path(path).is_dir():
        raise CheckpointError(path, "is a folder, not a checkpoint file")
    return Path(path)


def resume_target(path: str | Path | None, resume: bool) -> Path | None:
    """:func:`check_target`, and a path required when ``resume`` is set.

    Raises
    ------
    CheckpointError
        ``path`` is a folder.
    ValueError
        ``resume`` without a path.
    """
    target = check_target(path)
    if resume and target is None:
        raise ValueError("resume: needs a checkpoint path")
    return target


def check_handoffs(path: str | Path, done: int, requested: int) -> None:
    """Refuse a checkpoint that already holds more handoffs (``done``) than the run requests."""
    if done > requested:
        raise CheckpointError(path, f"already has {done} handoffs, more than the "
                              f"{requested} requested (--handoffs must be at least that)")


def save_checkpoint(path: str | Path, kind: str, arrays: dict[str, Any],
                    meta: dict[str, Any]) -> None:
    """Write ``arrays`` and ``meta`` atomically (:func:`icq.reference.common.io.atomic_write`)."""
    with atomic_write(path, "wb") as fh:
        np.savez(fh, **{k: np.asarray(v) for k, v in arrays.items()},
                 __kind__=np.array(kind), __meta__=np.array(dumps(meta)))


def _differences(theirs: dict[str, Any], mine: dict[str, Any]) -> list[str]:
    return [f"{k}: checkpoint {theirs.get(k)!r}, now {mine.get(k)!r}"
            for k in sorted(set(theirs) | set(mine)) if theirs.get(k) != mine.get(k)]


def load_checkpoint(path: str | Path, kind: str, meta: dict[str, Any],
                    spec: dict[str, ArraySpec]) -> dict[str, np.ndarray]:
    """Read a checkpoint written by :func:`save_checkpoint` and check it completely.

    ``meta`` must equal the stored one (the model fingerprint under ``"model"``, the
    configuration under ``"config"``); every array of ``spec`` must be present and satisfy it.

    Raises
    ------
    CheckpointError
        Missing file, a folder, not an ``.npz`` archive, truncated or corrupt, another kind,
        another model or configuration, or an array that breaks its spec.
    """
    p = Path(path)
    if p.is_dir():
        raise CheckpointError(path, "is a folder, not a checkpoint file")
    if not p.exists():
        raise CheckpointError(path, "does not exist (--resume continues an existing checkpoint)")
    try:
        with np.load(p, allow_pickle=False) as z:
            stored = {k: z[k] for k in z.files}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile,
            zipfile.LargeZipFile, NotImplementedError, RuntimeError) as exc:
        raise CheckpointError(path, f"cannot be read as a checkpoint ({type(exc).__name__}: "
                              f"{str(exc)[:120]})") from None
    if "__kind__" not in stored or stored["__kind__"].dtype.kind != "U" \
            or str(stored["__kind__"]) != kind:
        found = str(stored["__kind__"])[:40] if "__kind__" in stored else "no kind"
        raise CheckpointError(path, f"is not a {kind} checkpoint (found {found!r})")
    try:
        theirs = json.loads(str(stored.get("__meta__", "")))
    except (ValueError, RecursionError):
        theirs = None
    if not isinstance(theirs, dict):
        raise CheckpointError(path, "its __meta__ entry is not a JSON object")
    mine = json.loads(dumps(meta))
    for key, what in (("model", "another model (fingerprints differ: the file's arrays, γ or "
                       "names changed)"), ("config", "a different configuration")):
        if theirs.get(key) != mine.get(key):
            if key == "config" and isinstance(theirs.get(key), dict):
                what += " (" + "; ".join(_differences(theirs[key], mine[key])) + ")"
            raise CheckpointError(path, f"was written for {what}")
    for name, s in spec.items():
        if name not in stored:
            raise CheckpointError(path, f"entry {name!r} is missing")
        msg = s.problem(stored[name])
        if msg:
            raise CheckpointError(path, f"entry {name!r}: {msg}")
    return stored

