"""The ``icq`` command line.

Each subcommand lives in ``icq/commands/<name>.py`` and defines ``add_parser(subparsers)`` and
``run(args) -> int``; the helpers they share (:class:`UsageError`, :func:`emit_json`,
:func:`format_table`, :func:`show_progress`) live in :mod:`icq.commands`, so that the commands
import only downward and this module imports them. Conventions shared by all of them:

- ``--json`` prints exactly one JSON object on stdout; without it, readable tables;
- exit 0 on success, 2 on invalid input (one line per problem on stderr, naming the field, the
  state and the rule; no traceback; nothing written), 1 on an internal error, 3 for "no answer"
  where a command documents it (``icq budget``: no method gives a budget);
- progress bars only on a terminal and never with ``--json``;
- the shell's conventions: ``-`` reads standard input (``icq fit -`` too); a closed standard
  output (``icq solve F | head -1``) ends quietly with status 0; an output that cannot be written
  exits 2 naming the path; an output path equal to an input path is refused (exit 2) before
  anything is read or written.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from icq import __version__
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
    traces,
    train,
)
from icq.reference.common.archive import ArchiveError
from icq.reference.common.io import OutputError
from icq.reference.model import ModelError

#: subcommand modules, in the order ``icq --help`` lists them
COMMANDS = (solve, train, audit, budget, check, reproduce, fit, traces)


def _version() -> str:
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


#: the attributes of a command's arguments that name files it reads, and files it writes
_INPUTS = ("file", "traces")
_OUTPUTS = ("output", "report", "checkpoint")


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return Path(a).resolve() == Path(b).resolve()


def check_paths(args: argparse.Namespace) -> None:
    """Refuse an output path that is an input path (``icq fit T -o T`` would overwrite its log).

    Raises
    ------
    UsageError
        naming both options.
    """
    def named(keys: tuple[str, ...]) -> list[tuple[str, str]]:
        return [(k, str(v)) for k in keys if isinstance(v := getattr(args, k, None), str | Path)
                and str(v) not in ("", "-")]
    for ko, out in named(_OUTPUTS):
        for ki, inp in named(_INPUTS):
            if _same_file(out, inp):
                raise UsageError(f"--{ko}: {out!r} is the input {ki} {inp!r} (rule: an output "
                                 "never overwrites an input)")


def _quiet_stdout() -> None:
    """After a closed pipe: point standard output at the null device, so that the flush at
    exit does not fail again (the recipe of the Python documentation, signal module)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        check_paths(args)
        rc = int(args._run(args) or 0)
        sys.stdout.flush()
        return rc
    except BrokenPipeError:  # the reader (e.g. head) closed the pipe: what it wanted is read
        _quiet_stdout()
        return 0
    except (OutputError, ArchiveError) as exc:
        print(f"icq {args.command}: {exc}", file=sys.stderr)
        return 2
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
        if getattr(args, "debug", False) or os.environ.get("ICQ_DEBUG"):
            raise
        print(f"icq {args.command}: internal error: {type(exc).__name__}: {exc} "
              "(set ICQ_DEBUG=1 for a traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
