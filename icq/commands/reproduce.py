"""``icq reproduce NAME``: rerun one of the paper's experiments (§5) and write its results.

Experiments (``NAME``): ``t1`` (AIS gap predicts the value gap), ``t2`` (error against handoffs,
handoff probability and retention), ``routing`` (exact-AIS routers), ``llm`` (multi-agent
reasoning with *simulated* agents calibrated to the paper's Table 1), ``cpu`` (adaptable agents).

Each writes ``results.json`` (settings, summary, every run, command, runtime), ``results.md``
(the tables) and PNG figures into ``--out`` (default ``out/NAME``), all atomically. ``--quick``
uses the small settings (minutes); ``--seeds K`` overrides the number of seeds. ``--json``
prints the summary as one JSON object; otherwise the Markdown tables. ``--backend`` runs the
independent seeds (or scans, or profiles) in this process (``serial``), on this machine's cores
(``local``, the default) or on Ray (``ray``: ``RAY_ADDRESS`` names a cluster, else a local
instance); the results do not depend on it.

The experiments live in ``experiments/`` (importable as ``icq.experiments``), loaded only when
this command runs: the library itself never imports them.
"""

from __future__ import annotations

import argparse
import importlib
import platform
import sys
import time
from pathlib import Path

from icq.commands import UsageError, emit_json, show_progress
from icq.reference.common.io import jsonable, write_json, write_text
from icq.reference.common.parallel import BACKENDS

#: experiment name → package under icq.experiments
EXPERIMENTS = {"t1": "t1", "t2": "t2", "routing": "routing", "llm": "llm", "cpu": "cpu"}


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("reproduce", help="rerun an experiment of the paper (§5) with plots",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("name", choices=sorted(EXPERIMENTS), help="the experiment")
    p.add_argument("--quick", action="store_true", help="small settings (minutes, not hours)")
    p.add_argument("--seeds", type=int, default=None, help="number of seeds (overrides settings)")
    p.add_argument("--out", default=None, help="output folder (default out/NAME)")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    p.add_argument("--backend", choices=BACKENDS, default="local",
                   help="where independent seeds run: serial, local (cores; default) or ray")
    return p


def load_experiment(name: str):
    """The experiment's ``settings``, ``runner``, ``analysis`` and ``figures`` modules."""
    base = f"icq.experiments.{EXPERIMENTS[name]}"
    mods = {}
    for part in ("settings", "runner", "analysis", "figures"):
        mods[part] = importlib.import_module(f"{base}.{part}")
    return mods


def _command(args: argparse.Namespace) -> str:
    words = ["icq", "reproduce", args.name]
    if args.quick:
        words.append("--quick")
    if args.seeds is not None:
        words += ["--seeds", str(args.seeds)]
    if args.out is not None:
        words += ["--out", args.out]
    if getattr(args, "backend", "local") != "local":
        words += ["--backend", args.backend]
    return " ".join(words)


def run(args: argparse.Namespace) -> int:
    if args.seeds is not None and args.seeds < 1:
        raise UsageError(f"--seeds: {args.seeds} must be >= 1")
    mods = load_experiment(args.name)
    settings = dict(mods["settings"].QUICK if args.quick else mods["settings"].FULL)
    if args.seeds is not None:
        settings["seeds"] = args.seeds
    out = Path(args.out) if args.out else Path("out") / args.name
    t0 = time.perf_counter()
    raw = mods["runner"].run(settings, progress_bar=show_progress(args), backend=args.backend)
    summary = mods["analysis"].summarize(raw)
    figures = mods["figures"].make(raw, summary, out)
    seconds = time.perf_counter() - t0
    command = _command(args)
    tables = mods["analysis"].tables(raw, summary)
    figs_md = "\n".join(f"![{p.stem}]({p.name})" for p in figures)
    md = (f"# {args.name}{' (quick)' if args.quick else ''}\n\n"
          f"Made by `{command}` in {seconds:.0f} s.\n\n{tables}\n\n{figs_md}\n")
    write_text(out / "results.md", md)
    write_json(out / "results.json", {
        "experiment": args.name, "command": command, "quick": bool(args.quick),
        "seconds": seconds, "settings": settings, "summary": summary, "raw": raw,
        "figures": [p.name for p in figures],
        "python": sys.version.split()[0], "platform": platform.platform()}, indent=2)
    if args.json:
        emit_json(jsonable({**summary, "experiment": args.name, "quick": bool(args.quick),
                               "seconds": seconds, "out": str(out)}))
    else:
        print(tables)
        print(f"\nwrote {out / 'results.json'}, {out / 'results.md'} and "
              f"{len(figures)} figure(s) in {seconds:.0f} s")
    return 0
