"""Markdown tables, table cells and progress bars for experiment runners (atomic writes are
:func:`icq.reference.common.io.atomic_write`'s).

>>> print(markdown_table(["a", "b"], [[1, 0.5], ["x", 2.0]]))
| a | b |
|---|---|
| 1 | 0.5 |
| x | 2 |
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
from tqdm import tqdm

from icq.reference.common.io import format_float

__all__ = ["markdown_table", "progress", "fmt"]


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
    yield from tqdm(items, desc=desc, total=total, leave=False)
