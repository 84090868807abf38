"""Fuzz the model loader and the checkpoint reader; print the figures issue 11 asks for.

Run ``python benchmarks/fuzz_inputs.py [--mutants 1000] [--seed 0] [--backend local]``.
It runs ``icq audit`` in-process on ``--mutants`` fuzzed files drawn from the bundled examples
(:mod:`icq.property_tests.fuzz`: deleted keys, wrong types, NaN/Infinity, huge numbers, duplicates,
empty arrays, unknown keys, broken references, semantic rules, and valid variants with extreme
values) plus the raw-byte cases, and ``icq train --resume`` on crafted tabular checkpoints, and
prints: misclassified exits, tracebacks, writes on invalid input, lines not naming the field,
hangs (a case over ``--hang-seconds``), and crashes (a worker process that died).

A script, not a timed test: the figures that must be 0 do not depend on the machine.
"""

from __future__ import annotations

import argparse
import collections
import random
import sys
import tempfile
from pathlib import Path

import numpy as np

from icq.property_tests.fuzz import mutant, raw_cases
from icq.reference.common.io import dumps
from icq.reference.common.parallel import map_tasks
from icq.reference.model import example_path

NAMES = ("ring-exact", "author-reviewer-editor", "synthetic-handoff")


def fuzz_chunk(task: tuple[int, int, int, float]) -> dict:
    """Run mutants ``start..stop`` of stream ``seed``; count each kind of problem."""
    from icq.inputcheck import run_audit

    seed, start, stop, hang = task
    bases = {n: example_path(n).read_bytes() for n in NAMES}
    counts: collections.Counter = collections.Counter()
    examples: list[str] = []
    for i in range(start, stop):
        r = random.Random(f"{seed}/{i}")
        m = mutant(bases[r.choice(NAMES)], r)
        out = run_audit(m)
        probs = out.problems(m) + (["hang"] if out.seconds > hang else [])
        counts["valid" if m.valid else "invalid"] += 1
        counts.update(probs)
        if probs and len(examples) < 5:
            examples.append(f"{m.what} ({'valid' if m.valid else m.field}): {probs}: "
                            f"{out.stderr[:200]!r}")
    return {"counts": dict(counts), "examples": examples}


def raw_chunk(_: int) -> dict:
    from icq.inputcheck import run_audit

    counts: collections.Counter = collections.Counter()
    examples = []
    for name in NAMES:
        for m in raw_cases(example_path(name).read_bytes()):
            probs = run_audit(m).problems(m)
            counts["raw"] += 1
            counts.update(probs)
            if probs:
                examples.append(f"{m.what}: {probs}")
    return {"counts": dict(counts), "examples": examples}


def checkpoint_chunk(_: int) -> dict:
    """Crafted tabular checkpoints (state 10**6, −10**9, rng of one word, NaN, truncation...)."""
    import contextlib
    import io

    from icq.cli import main

    ring = str(example_path("ring-exact"))
    base = ["train", ring, "--json", "--seed", "1"]
    counts: collections.Counter = collections.Counter()
    with tempfile.TemporaryDirectory() as d:
        ck = Path(d) / "ck.npz"
        with contextlib.redirect_stdout(io.StringIO()):
            main([*base, "--handoffs", "1000", "--checkpoint", str(ck)])
        good = ck.read_bytes()
        with np.load(ck) as z:
            arrays = {k: z[k] for k in z.files}
        crafted = [dict(y=np.int64(10**6)), dict(y=np.int64(-10**9)),
                   dict(rng=np.array([1], dtype=np.uint64)), dict(rng=np.zeros(4, np.uint64)),
                   dict(q=np.full(4, np.nan)), dict(q=np.zeros(7)), dict(visits=-np.ones(4)),
                   dict(done=np.int64(-1)), dict(last=np.full(4, 1e18)),
                   dict(__kind__=np.array("x")), dict(__meta__=np.array("[")),
                   dict(q=np.zeros(4, np.float32)), dict(episodes=np.int64(-3))]
        files = [good[: len(good) // k] for k in (2, 3, 7)] + [b"", b"PK\x03\x04", b"{}"]
        for case in crafted + files:
            if isinstance(case, dict):
                with open(ck, "wb") as fh:
                    np.savez(fh, **{**arrays, **case})
            else:
                ck.write_bytes(case)
            err = io.StringIO()
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
                rc = main([*base, "--handoffs", "2000", "--checkpoint", str(ck), "--resume"])
            counts["checkpoints"] += 1
            if rc != 2 or "Traceback" in err.getvalue():
                counts["checkpoint not refused"] += 1
    return {"counts": dict(counts), "examples": []}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mutants", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--chunk", type=int, default=50)
    ap.add_argument("--hang-seconds", type=float, default=30.0)
    ap.add_argument("--backend", default="local", choices=("serial", "local", "ray"))
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    tasks = [(a.seed, s, min(s + a.chunk, a.mutants), a.hang_seconds)
             for s in range(0, a.mutants, a.chunk)]
    results = map_tasks(fuzz_chunk, tasks, backend=a.backend)
    results += map_tasks(raw_chunk, [0], backend="serial")
    results += map_tasks(checkpoint_chunk, [0], backend="serial")
    total: collections.Counter = collections.Counter()
    for r in results:
        total.update(r["counts"])
    keys = ("valid", "invalid", "raw", "misclassified exit", "traceback", "wrote",
            "no line naming the field", "invalid JSON output", "hang", "checkpoints",
            "checkpoint not refused")
    figures = {k: total.get(k, 0) for k in keys}
    figures["crashes"] = 0  # a crashed worker would have raised out of map_tasks above
    if a.json:
        print(dumps({"figures": figures, "examples": [e for r in results
                                                      for e in r["examples"]]}))
    else:
        for k, v in figures.items():
            print(f"{k:28s} {v}")
        for e in (e for r in results for e in r["examples"]):
            print("  example:", e)
    bad = sum(figures[k] for k in keys[3:9]) + figures["checkpoint not refused"]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
