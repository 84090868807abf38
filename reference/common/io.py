"""Writing files safely, and the one JSON convention for every number the project prints.

Atomic writes. Every file the project writes (checkpoints, reports, figures, counterexamples,
fitted models) goes through :func:`atomic_write`: the content is written to a temporary file in
the destination's folder and renamed over the destination only when complete, so a failure at any
point leaves nothing behind (and an earlier file, if any, untouched).

JSON and non-finite numbers. JSON has no infinity or NaN. The project writes

- ``+∞`` as the number ``1e999`` and ``−∞`` as ``-1e999``: valid JSON grammar, and every common
  parser reads it back as an infinite double (Python's ``json``, JavaScript's ``JSON.parse``);
- NaN as ``null`` (no printed quantity is NaN by design; ``null`` marks "not computed");
- numpy scalars and arrays as plain numbers and lists.

>>> dumps({"kappa": float("inf"), "n": np.int64(3), "v": np.array([0.5, -np.inf])})
'{"kappa": 1e999, "n": 3, "v": [0.5, -1e999]}'
>>> json.loads(dumps({"x": float("inf")}))["x"]
inf
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import numpy as np

__all__ = ["OutputError", "atomic_write", "dumps", "format_float", "jsonable", "plain",
           "write_json", "write_text"]

_TOKEN = f"icq-nonfinite-{uuid.uuid4().hex}"


def plain(obj: Any, *, mark: bool = False) -> Any:
    """``obj`` with numpy types made plain Python (dicts, lists, bool, int, float).

    With ``mark``, non-finite floats are marked for :func:`dumps` (what :func:`jsonable` does);
    without, they stay floats, for objects that are also printed as tables.
    """
    if isinstance(obj, dict):
        return {str(k): plain(v, mark=mark) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [plain(v, mark=mark) for v in obj]
    if isinstance(obj, np.ndarray):
        return plain(obj.tolist(), mark=mark)
    if isinstance(obj, bool | np.bool_):
        return bool(obj)
    if isinstance(obj, int | np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        x = float(obj)
        if mark and math.isnan(x):
            return None
        if mark and math.isinf(x):
            return f"{_TOKEN}{'+' if x > 0 else '-'}"
        return x
    return obj


def jsonable(obj: Any) -> Any:
    """``obj`` with numpy types made plain and non-finite floats marked for :func:`dumps`."""
    return plain(obj, mark=True)


def dumps(obj: Any, *, indent: int | None = None,
          separators: tuple[str, str] | None = None) -> str:
    """One JSON text for ``obj`` under the convention of the module docstring
    (``separators`` as for :func:`json.dumps`, e.g. ``(",", ":")`` for JSON Lines)."""
    text = json.dumps(jsonable(obj), indent=indent, ensure_ascii=False, allow_nan=False,
                      separators=separators)
    return text.replace(f'"{_TOKEN}+"', "1e999").replace(f'"{_TOKEN}-"', "-1e999")


def format_float(x: Any, spec: str = ".6g") -> str:
    """A number for a printed table: ``format(x, spec)``, with ``∞``, ``−∞`` and ``NaN`` for
    the non-finite values (the one formatting rule of every table the project prints).

    >>> format_float(float("inf")), format_float(-np.inf), format_float(0.125, ".2f")
    ('∞', '−∞', '0.12')
    """
    x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    return format(x, spec)


class OutputError(ValueError):
    """An output path that cannot be written (a folder, a read-only place, a missing parent
    that cannot be created): one line naming the path and the reason (exit status 2)."""

    def __init__(self, path: str | os.PathLike, reason: str):
        super().__init__(f"{os.fspath(path)}: cannot write the output: {reason} (rule: an output "
                         "path must be a file in a writable folder)")


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


@contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "w", *,
                 encoding: str | None = "utf-8") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; on success rename it to ``path``, else delete it.

    ``mode`` is ``"w"`` (text, ``encoding``) or ``"wb"`` (bytes). The destination's folder is
    created if missing.

    Raises
    ------
    OutputError
        ``path`` is a folder, or its folder cannot be created or written (before the body
        runs), or the rename fails; nothing is left behind.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"mode: {mode!r} is not 'w' or 'wb'")
    dest = Path(path)
    if dest.is_dir() or str(path).endswith(os.sep):
        raise OutputError(path, "it is a folder")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".tmp")
    except OSError as exc:
        raise OutputError(path, _reason(exc)) from None
    try:
        with os.fdopen(fd, mode, encoding=encoding if mode == "w" else None) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp's 0600 is not what an output file wants
        try:
            os.replace(tmp, dest)
        except OSError as exc:
            raise OutputError(path, _reason(exc)) from None
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _umask() -> int:
    """The process's umask (read by setting and restoring it)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (:func:`atomic_write`); returns the path."""
    with atomic_write(path) as fh:
        fh.write(text)
    return Path(path)


def write_json(path: str | os.PathLike, obj: Any, *, indent: int | None = 1) -> Path:
    """Write ``obj`` as JSON (:func:`dumps`) atomically, with a final newline."""
    return write_text(path, dumps(obj, indent=indent) + "\n")
