"""Checkpoints of the learners: written atomically, checked completely before they are used.

A checkpoint is an ``.npz`` archive (never pickled) of named arrays, plus three entries:

- ``__kind__``: what wrote it (``"tabular-icq/3"``, ``"neural-icq/2"``), so a foreign or older
  file is refused rather than misread;
- ``__meta__``: a JSON object with the model's fingerprint (:func:`model_fingerprint`, a SHA-256
  of every array and number that defines the model) and the learner's configuration;
- ``__sha256__``: a SHA-256 of every other entry (name, dtype, shape and bytes, the
  configuration included; :func:`~icq.reference.common.archive.content_digest`), so that
  damage anywhere in the content is found.

The archive is read entry by entry (:func:`~icq.reference.common.archive.read_archive`): at
most :data:`~icq.reference.common.archive.MAX_ENTRIES`
entries, each entry's size checked against the limit *before* it is decompressed or read
(a small file with a huge entry is refused without the memory), nothing after the archive's
end. Then the digest, the kind and the metadata are compared with the current run, and every
array is checked against an :class:`ArraySpec` (presence, dtype, shape, index range, finite
values, integral counts) and the invariants (:func:`check_visits`: visit counts sum to the
handoffs done; tables within :func:`value_bound`) *before* the compiled loop sees it: a crafted
or damaged file gives one :class:`CheckpointError` line (exit status 2 on the command line),
never a crash or a silently wrong run.

>>> from icq.reference.model import load, example_path
>>> m = load(example_path("ring-exact"))
>>> model_fingerprint(m) == model_fingerprint(load(example_path("ring-exact")))
True
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from icq.reference.common.archive import ArchiveError, read_archive, write_archive
from icq.reference.common.io import dumps
from icq.reference.model import EpochModel, ModelError
from icq.reference.model.parse import parse_checked

__all__ = ["ArraySpec", "CheckpointError", "check_handoffs", "check_target", "check_visits",
           "load_checkpoint", "model_fingerprint", "resume_target", "save_checkpoint",
           "value_bound"]



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
    integral: bool = False  # floats that count: every value an integer

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
        if self.integral and a.size and (a != np.floor(a)).any():
            return f"holds {float(a[a != np.floor(a)].flat[0])!r}, not an integer count"
        return None

    def max_bytes(self) -> int | None:
        """The size of a ``.npy`` entry holding such an array (None: a free axis)."""
        if any(s is None for s in self.shape):
            return None
        return np.dtype(self.dtype).itemsize * int(np.prod(self.shape, dtype=np.int64)) + 4096


def value_bound(model: EpochModel) -> float:
    """R̄/(1 − γ): the largest |value| a table of sampled updates can reach (docs/theory.md §1,
    §4). Each update mixes the table with a target R + γ^τ·max Q', |R| <= R̄, γ^τ <= γ (τ >= 1),
    so with step sizes in (0, 1] and a table starting at 0, every entry stays within R̄/(1 − γ),
    which is at least R̄/(1 − γ̄) since γ̄ <= γ."""
    return float(model.R_bar) / (1.0 - float(model.gamma))


def check_visits(path: str | Path, visits: np.ndarray, done: int | np.ndarray) -> None:
    """Visit counts are integers >= 0 and each row sums to the handoffs done (``done``, one
    number per row of ``visits``, or one for a 1-d array)."""
    v = np.asarray(visits, dtype=np.float64)
    if v.size and ((v < 0).any() or (v != np.floor(v)).any() or not np.isfinite(v).all()):
        raise CheckpointError(path, "entry 'visits': the counts are not integers >= 0")
    tot = v.reshape(-1, v.shape[-1] if v.ndim else 1).sum(axis=1)
    want = np.broadcast_to(np.asarray(done, dtype=np.float64), tot.shape)
    if (tot != want).any():
        i = int(np.flatnonzero(tot != want)[0])
        raise CheckpointError(path, f"entry 'visits': the counts sum to {tot[i]:.15g}, not to "
                              f"the {want[i]:.15g} handoffs done (rule: one visit per handoff)")


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
    """Write ``arrays``, ``meta`` and their digest atomically
    (:func:`icq.reference.common.io.atomic_write`)."""
    write_archive(path, {**arrays, "__kind__": np.array(kind),
                         "__meta__": np.array(dumps(meta))})


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
        stored = read_archive(p, {name: s.max_bytes() for name, s in spec.items()})
    except ArchiveError as exc:
        raise CheckpointError(path, str(exc).removeprefix(f"{p}: ")) from None
    if "__kind__" not in stored or stored["__kind__"].dtype.kind != "U" \
            or str(stored["__kind__"]) != kind:
        found = str(stored["__kind__"])[:40] if "__kind__" in stored else "no kind"
        raise CheckpointError(path, f"is not a {kind} checkpoint (found {found!r})")
    try:
        theirs = parse_checked(str(stored.get("__meta__", "")), "__meta__")
    except ModelError:
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

