"""The ``icq`` command line.

Each subcommand lives in ``icq/commands/<name>.py`` and defines ``add_parser(subparsers)`` and
``run(args) -> int``; the helpers they share (:class:`UsageError`, :func:`emit_json`,
:func:`format_table`, :func:`show_progress`) live in :mod:`icq.commands`, so that the commands
import only downward and this module imports them. Conventions shared by all of them:

- ``--json`` prints exactly one JSON object on stdout; without it, readable tables;
- exit 0 on success, 2 on invalid input (one line per problem on stderr, naming the field, the
  state and the rule; no traceback; nothing written), 1 on an internal error, 3 for "no answer"
  where a command documents it (``icq budget``: no method gives a budget);
- progress bars only on a terminal and never with ``--json``.
"""

from __future__ import annotations

import argparse
import sys

from icq.commands import (  # noqa: F401 - the shared helpers, also importable from here
    UsageError,
    audit,
    budget,
    check,
    emit_json,
    fit,
    format_table,
    reproduce,
    show_progress,
    solve,
    train,
)
from icq.reference.model import ModelError

#: subcommand modules, in the order ``icq --help`` lists them
COMMANDS = (solve, train, audit, budget, check, reproduce, fit)


def _version() -> str:
    from icq import __version__

    return __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="icq", description="IC-Q reference: exact solutions, IC-Q learners and the "
        "Theorem 1 audit for interface-constrained SMDPs (icsmdp-epoch/1 files).")
    parser.add_argument("--version", action="version", version=f"icq {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for mod in COMMANDS:
        p = mod.add_parser(sub)
        p.set_defaults(_run=mod.run)
    return parser


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
