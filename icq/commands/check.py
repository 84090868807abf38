"""``icq check FILE``: property-based checks of the theory on your IC-SMDP and on perturbations.

Each property of :mod:`icq.property_tests.properties` (Lemma C's contraction, A6, policy
correspondence, the AIS gaps and policy loss, tabular convergence, the τ ≡ 1 and
exact-observation reductions, the runtime's interface; not the Theorem 1 empirical property,
which no learner can fail: docs/property-testing.md) is searched
by Hypothesis on the model itself (random Q pairs, θ pairs, decentralized policies) and on
``--examples`` perturbations of it (same structure, jittered probabilities and rewards). The
search is derandomized: the same file gives the same report. Hypothesis keeps its files
(a cache of constants; the example database is off) under ``$HYPOTHESIS_STORAGE_DIRECTORY`` if
set, else the user's cache directory (``$XDG_CACHE_HOME/icq/hypothesis``, default
``~/.cache/icq/hypothesis``), never the working directory. The linear algebra runs on
``--threads`` BLAS/OpenMP threads (default 1, through threadpoolctl): the checks are many
medium-sized decompositions, which gain little from threads on an idle machine and lose an
order of magnitude to oversubscription on a busy one (``benchmarks/README.md``).

For a property that fails, the smallest counterexample found is written as an
``icsmdp-epoch/1`` file (``--out DIR``, default the current directory) that ``icq solve`` and
``icq audit`` load; its path is printed. Exit status: 0 every property holds, 3 some property
fails, 2 invalid input. ``--json`` prints
``{"properties": {name: {"holds", "examples", "counterexample", ...}}, ...}``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from threadpoolctl import threadpool_limits

from icq.commands import UsageError, emit_json, format_table
from icq.commands.audit import parse_features
from icq.reference.model import load

__all__ = ["add_parser", "hypothesis_home", "run"]


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("check", help="property-based checks on a model and its perturbations",
                       description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", help="an icsmdp-epoch/1 JSON file (docs/format.md); "
                   "- reads standard input")
    p.add_argument("--examples", type=int, default=20,
                   help="examples per stage: random draws on the model, then perturbations "
                   "(default 20)")
    p.add_argument("--property", action="append", dest="properties", metavar="NAME",
                   help="check only this property (repeatable); default: all")
    p.add_argument("--features", default="tabular",
                   help="feature map for the A6 property: 'tabular' (default) or a .npy/.json "
                   "file of shape (n_obs_pairs, d) with row norms ≤ 1 (as icq audit)")
    p.add_argument("--out", default=".",
                   help="directory for counterexample files (default: current directory)")
    p.add_argument("--threads", type=int, default=1,
                   help="BLAS/OpenMP threads for the linear algebra (default 1)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return p


def hypothesis_home() -> Path:
    """Where ``icq check`` lets Hypothesis write: ``$HYPOTHESIS_STORAGE_DIRECTORY`` if set, else
    ``$XDG_CACHE_HOME/icq/hypothesis`` (``~/.cache/icq/hypothesis`` by default); never the
    working directory (Hypothesis's own default)."""
    if os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
        return Path(os.environ["HYPOTHESIS_STORAGE_DIRECTORY"])
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "icq" / "hypothesis"


def run(args: argparse.Namespace) -> int:
    try:
        # Hypothesis: imported when the command runs, so `icq --help` stays fast
        from hypothesis.configuration import set_hypothesis_home_dir
    except ImportError:
        print("icq check: needs Hypothesis (pip install 'icq-reference[test]')", file=sys.stderr)
        return 1
    if args.threads < 1:
        raise UsageError(f"--threads: {args.threads} must be >= 1")
    set_hypothesis_home_dir(hypothesis_home())
    try:
        with threadpool_limits(limits=args.threads):
            return _run(args)
    finally:
        set_hypothesis_home_dir(None)  # back to Hypothesis's own resolution


def _run(args: argparse.Namespace) -> int:
    # the property-test floor (Hypothesis, sympy): imported when the command runs, not for
    # `icq --help`
    from icq.property_tests.check import check_model, model_properties

    if args.examples < 1:
        raise UsageError(f"--examples: {args.examples} must be >= 1")
    known = [p.name for p in model_properties()]
    if args.properties:
        unknown = [n for n in args.properties if n not in known]
        if unknown:
            raise UsageError(f"--property: unknown {', '.join(unknown)} (known: "
                             f"{', '.join(known)})")
    out = Path(args.out)
    if not out.is_dir():
        raise UsageError(f"--out: {args.out!r} is not an existing directory")
    model = load(args.file)
    feats = parse_features(args.features, model)
    report = check_model(model, examples=args.examples,
                         features=None if isinstance(feats, str) else feats,
                         properties=tuple(args.properties) if args.properties else None,
                         save_dir=str(out),
                         stem="stdin" if args.file == "-" else Path(args.file).stem)
    status = 0 if report.holds else 3
    if args.json:
        emit_json({"file": str(args.file), **report.to_json()})
        return status
    rows = []
    for name, p in report.properties.items():
        verdict = "holds" if p.holds else "FAILS"
        if p.holds and p.applicable == 0:
            verdict = "holds (not applicable)"
        rows.append([name, verdict, p.examples, p.applicable, f"{p.seconds:.1f}"])
    print(f"{model.name}: {model.n_states} latent states, {model.n_obs} observations; "
          f"{args.examples} examples per stage (the model, then perturbations of it)")
    print(format_table(["property", "verdict", "examples", "applicable", "seconds"], rows))
    for name, p in report.properties.items():
        if p.holds and p.applicable == 0 and p.note:
            print(f"\n{name}: not applicable: {p.note}")
        if p.counterexample is not None:
            c = p.counterexample
            where = "a perturbation of the model" if c["perturbed"] else "the model itself"
            print(f"\n{name} FAILS on {where}:\n  {c['message']}")
            if c["draws"] is not None:
                print(f"  draws: {c['draws']}")
            print(f"  smallest counterexample saved to {c['file']}")
    print(f"\nmethod: {report.method}")
    return status
