"""Subcommands of the ``icq`` command line (see :mod:`icq.cli`) and what they share.

Each command module imports from here and from the library, never from :mod:`icq.cli` (which
imports the command modules): the imports go one way (tests/test_floors.py).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import numpy as np

from icq.reference.common.io import dumps, format_float

__all__ = ["UsageError", "emit_json", "format_table", "show_progress"]


class UsageError(ValueError):
    """Invalid command-line input (exit status 2)."""


def emit_json(obj: dict[str, Any]) -> None:
    """Print one JSON object (numpy values converted; ±∞ as ±1e999 and NaN as null, the one
    convention of :mod:`icq.reference.common.io`)."""
    sys.stdout.write(dumps(obj) + "\n")


def show_progress(args: argparse.Namespace) -> bool:
    return not getattr(args, "json", False) and sys.stderr.isatty()


def format_table(headers: list[str], rows: list[list[Any]], floatfmt: str = ".6g") -> str:
    """A plain aligned text table."""
    def cell(v: Any) -> str:
        return format_float(v, floatfmt) if isinstance(v, float | np.floating) else str(v)

    body = [[cell(v) for v in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in body)) if body else len(h)
              for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.rjust(w) if c[:1] in "-−∞0123456789" else c.ljust(w)
                      for c, w in zip(r, widths, strict=True)) for r in body]
    return "\n".join(out)
