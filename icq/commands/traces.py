"""``icq traces from-otel SPANS -o TRACES``: OpenTelemetry spans to ``icq-trace/1``.

SPANS is OTLP JSON (an OpenTelemetry Collector's file export: one ``ExportTraceServiceRequest``
per line; or one JSON array of requests) of a pipeline instrumented with the GenAI semantic
conventions. Each trace is one episode, each ``invoke_agent`` span one handoff; the mapping and
its defaults are in docs/traces.md ("From OpenTelemetry spans"). The conversion streams (memory
grows with the largest trace, not with the file). A span that breaks a rule exits 2 naming the
trace id, the span id and the rule; nothing is written.
"""

from __future__ import annotations

import argparse

from icq.commands import UsageError, emit_json
from icq.reference.learners.traces.otel import OtelMapping, convert_otel

__all__ = ["add_parser", "run"]

_DEFAULT = OtelMapping()


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("traces", help="convert handoff logs to icq-trace/1 (from-otel)",
                       description="Convert logs of a running pipeline to icq-trace/1 traces.")
    cmds = p.add_subparsers(dest="traces_command", required=True, metavar="SOURCE")
    q = cmds.add_parser("from-otel", help="OTLP JSON spans (GenAI conventions) to icq-trace/1",
                        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    q.add_argument("spans", help="OTLP JSON file: one ExportTraceServiceRequest per line, or "
                   "a JSON array of them ('-': standard input)")
    q.add_argument("-o", "--output", required=True, help="the icq-trace/1 file to write")
    q.add_argument("--obs-attr", default=_DEFAULT.obs_attr,
                   help=f"span attribute holding the observation label (default "
                   f"{_DEFAULT.obs_attr})")
    q.add_argument("--reward-attr", default=_DEFAULT.reward_attr,
                   help=f"span attribute holding the reward (default {_DEFAULT.reward_attr})")
    q.add_argument("--latent-attr", default=_DEFAULT.latent_attr,
                   help=f"span attribute holding the latent label, optional (default "
                   f"{_DEFAULT.latent_attr})")
    q.add_argument("--successor-attr", default=_DEFAULT.successor_attr,
                   help="span attribute naming the successor where present (default "
                   f"{_DEFAULT.successor_attr}; else the next invocation's agent, END after the "
                   "last)")
    q.add_argument("--duration-attr", default=None,
                   help="integer span attribute holding τ (default: the number of child chat "
                   "and execute_tool spans, at least 1)")
    q.add_argument("--buffer", type=int, default=_DEFAULT.buffer,
                   help=f"spans held in memory before grouping spills to temporary files "
                   f"(default {_DEFAULT.buffer})")
    q.add_argument("--json", action="store_true", help="print one JSON object")
    return p


def run(args: argparse.Namespace) -> int:
    try:
        mapping = OtelMapping(obs_attr=args.obs_attr, reward_attr=args.reward_attr,
                              latent_attr=args.latent_attr, successor_attr=args.successor_attr,
                              duration_attr=args.duration_attr or None, buffer=args.buffer)
    except ValueError as exc:  # names its field: --buffer
        raise UsageError(f"--{exc}") from None
    for name in ("obs_attr", "reward_attr", "latent_attr", "successor_attr"):
        if not getattr(args, name):
            raise UsageError(f"--{name.replace('_', '-')}: must be a non-empty attribute name")
    stats = convert_otel(args.spans, args.output, mapping)
    if args.json:
        emit_json({"output": args.output, "requests": stats.lines, "spans": stats.spans,
                   "traces": stats.traces, "handoffs": stats.handoffs,
                   "spilled": stats.spilled})
        return 0
    print(f"{args.output}: {stats.handoffs:,} handoffs from {stats.traces:,} traces "
          f"({stats.spans:,} spans in {stats.lines:,} requests)")
    return 0
