"""Atomic writes, Markdown tables and progress bars for experiment runners.

>>> print(markdown_table(["a", "b"], [[1, 0.5], ["x", 2.0]]))
| a | b |
|---|---|
| 1 | 0.5 |
| x | 2 |
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from icq.reference.common.io import atomic_write, dumps, format_float, jsonable

__all__ = ["write_text_atomic", "write_json_atomic", "markdown_table", "progress", "to_jsonable",
           "fmt"]


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename."""
    path = Path(path)
    with atomic_write(path) as fh:
        fh.write(text)
        os.chmod(fh.name, 0o644)
    return path


#: numpy scalars and arrays to plain Python, non-finite floats marked for the project's one
#: JSON convention (±∞ → ±1e999, NaN → null; :mod:`icq.reference.common.io`)
to_jsonable = jsonable


def write_json_atomic(path: str | Path, obj: Any) -> Path:
    """Write ``obj`` as indented JSON, atomically (see :func:`write_text_atomic`)."""
    return write_text_atomic(path, dumps(obj, indent=2) + "\n")


def fmt(v: Any, digits: int = 4) -> str:
    """A table cell: floats with ``digits`` significant digits, the rest as ``str``."""
    if isinstance(v, bool | np.bool_):
        return str(bool(v))
    if isinstance(v, float | np.floating):
        return format_float(v, f".{digits}g")
    return str(v)


def markdown_table(headers: list[str], rows: Iterable[Iterable[Any]], digits: int = 4) -> str:
    """A GitHub Markdown table."""
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(fmt(v, digits) for v in r) + " |" for r in rows]
    return "\n".join(out)


def progress(items: Iterable[Any], *, enabled: bool, desc: str, total: int | None = None
             ) -> Iterator[Any]:
    """``items`` wrapped in a tqdm bar when ``enabled`` (a terminal and no ``--json``)."""
    if not enabled:
        yield from items
        return
    from tqdm import tqdm

    yield from tqdm(items, desc=desc, total=total, leave=False)
