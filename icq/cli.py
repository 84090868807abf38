"""The ``icq`` command line.

Each subcommand lives in ``icq/commands/<name>.py`` and defines ``add_parser(subparsers)`` and
``run(args) -> int``. Conventions shared by all of them:

- ``--json`` prints exactly one JSON object on stdout; without it, readable tables;
- exit 0 on success, 2 on invalid input (one line per problem on stderr, naming the field, the
  state and the rule; no traceback; nothing written), 1 on an internal error, 3 for "no answer"
  where a command documents it (``icq budget``: no method gives a budget);
- progress bars only on a terminal and never with ``--json``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Any

import numpy as np

from icq.reference.common.io import dumps, format_float
from icq.reference.model import ModelError

#: subcommand modules, in the order ``icq --help`` lists them
COMMANDS = ("solve", "train", "audit", "budget", "check", "reproduce", "fit", "traces")


class UsageError(ValueError):
    """Invalid command-line input (exit status 2)."""


def _available_commands() -> list[Any]:
    mods = []
    for name in COMMANDS:
        try:
            mods.append(importlib.import_module(f"icq.commands.{name}"))
        except ModuleNotFoundError as exc:
            if exc.name != f"icq.commands.{name}":
                raise
    return mods


def _version() -> str:
    from icq import __version__

    return __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="icq", description="IC-Q reference: exact solutions, IC-Q learners and the "
        "Theorem 1 audit for interface-constrained SMDPs (icsmdp-epoch/1 files).")
    parser.add_argument("--version", action="version", version=f"icq {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for mod in _available_commands():
        p = mod.add_parser(sub)
        p.set_defaults(_run=mod.run)
    return parser


def emit_json(obj: dict[str, Any]) -> None:
    """Print one JSON object (numpy values converted; ±∞ as ±1e999 and NaN as null, the one
    convention of :mod:`icq.reference.common.io`)."""
    sys.stdout.write(dumps(obj) + "\n")


def show_progress(args: argparse.Namespace) -> bool:
    return not getattr(args, "json", False) and sys.stderr.isatty()


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except ModelError as exc:
        for line in exc.problems:
            print(f"icq {args.command}: {line}", file=sys.stderr)
        return 2
    except UsageError as exc:
        print(f"icq {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"icq {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the documented exit status 1
        if getattr(args, "debug", False) or __import__("os").environ.get("ICQ_DEBUG"):
            raise
        print(f"icq {args.command}: internal error: {type(exc).__name__}: {exc} "
              "(set ICQ_DEBUG=1 for a traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())


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
