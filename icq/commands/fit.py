"""``icq fit TRACES -o MODEL``: the maximum-likelihood epoch model from handoff traces.

TRACES is an ``icq-trace/1`` JSON Lines file (docs/traces.md; ``-``: standard input), read in one
streaming pass (``-o -`` writes the model to standard output). The
output is an ``icsmdp-epoch/1`` model with the fit's counts and flags in ``extensions["icq.fit"]``
(docs/traces.md): lines, episodes, the trace file's SHA-256, whether latent labels were given
(without them the interface gap is not identifiable: Δ terms are 0 by construction), the
count of every pair, the pairs seen fewer than ``--min-count`` times, and the logged behaviour
probabilities beside the fitted π_b. Invalid lines exit 2 naming the line and the field;
nothing is written.
"""

from __future__ import annotations

import argparse
import contextlib
import sys

from icq.commands import UsageError, emit_json, format_table
from icq.reference.common.io import dumps, write_json
from icq.reference.learners.traces import FIT_KEY, MIN_COUNT, fit_traces

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("fit", help="fit an icsmdp-epoch/1 model from handoff traces",
                       description=__doc__)
    p.add_argument("traces", help="an icq-trace/1 JSON Lines file ('-': standard input)")
    p.add_argument("-o", "--output", required=True,
                   help="where to write the fitted model ('-': standard output, the summary "
                   "then goes to standard error)")
    p.add_argument("--gamma", type=float, required=True,
                   help="the primitive discount γ in (0, 1) (traces do not carry it)")
    p.add_argument("--min-count", type=int, default=MIN_COUNT,
                   help=f"flag pairs seen fewer than this many times (default {MIN_COUNT})")
    p.add_argument("--name", default=None, help="model name (default: the traces' file stem)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return p


def run(args: argparse.Namespace) -> int:
    if not 0.0 < args.gamma < 1.0:
        raise UsageError(f"--gamma: {args.gamma} is not in (0, 1)")
    if args.min_count < 1:
        raise UsageError(f"--min-count: {args.min_count} must be >= 1")
    name = args.name or ("stdin" if args.traces == "-" else None)
    fit = fit_traces(args.traces, args.gamma, min_count=args.min_count, name=name)
    doc = fit.to_dict()
    if args.output == "-":
        sys.stdout.write(dumps(doc, indent=1) + "\n")
        with contextlib.redirect_stdout(sys.stderr):
            _summary(args, fit, doc)
        return 0
    write_json(args.output, doc)
    return _summary(args, fit, doc)


def _summary(args: argparse.Namespace, fit, doc: dict) -> int:
    m, ext = fit.model, doc["extensions"][FIT_KEY]
    if args.json:
        emit_json({"output": args.output, "n_states": m.n_states, "n_obs": m.n_obs,
                   "n_pairs": m.n_pairs, "agents": list(m.agents), **{
                       k: ext[k] for k in ("lines", "episodes", "sha256", "latent",
                                           "interface_gap_identifiable", "min_count",
                                           "flagged", "notes", "method")}})
        return 0
    print(f"{args.output}: {m.n_states} latent states, {m.n_agents} agents, {m.n_obs} "
          f"observations, {m.n_pairs} pairs from {fit.lines:,} lines ({fit.episodes:,} "
          f"episodes); latent states from "
          f"{'latent labels' if fit.identifiable else 'observations'}")
    if ext["flagged"]:
        print(format_table(["state", "successor", "count", "reason"],
                           [[f["state"], f["successor"], f["count"], f["reason"]]
                            for f in ext["flagged"]]))
    for note in fit.notes():
        print(f"note: {note}")
    return 0
