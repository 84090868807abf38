"""Fuzz every input of the command line; print the counts per class (issues 11 and 24).

Run ``python benchmarks/fuzz_inputs.py [--mutants 1500] [--traces 600] [--spans 600] [--seed 0]``.

- model files: ``icq audit`` in-process on ``--mutants`` fuzzed files drawn from the bundled
  examples (:func:`icq.property_tests.fuzz.mutant`: deleted keys, wrong types, NaN/Infinity,
  huge numbers, duplicates, empty arrays, unknown keys, broken references, semantic rules, names
  of 10⁶ characters, γ within 10⁻¹³ of 1 with a row mass above 1, and valid variants with
  extreme values), plus the raw-byte cases;
- traces: ``icq fit`` on ``--traces`` fuzzed ``icq-trace/1`` files simulated from three models
  (:func:`icq.property_tests.fuzz_logs.trace_mutant`: 15 classes, among them 5,000-digit integers,
  durations beyond 2⁵³, lone surrogates, nesting 1,000 deep in an ``x-`` field, a repeated
  ``t``);
- OpenTelemetry spans: ``icq traces from-otel`` on ``--spans`` fuzzed OTLP JSON files converted
  from simulated traces (:func:`icq.property_tests.fuzz_logs.otlp_mutant`: each rule of
  docs/traces.md broken once — missing agent name, observation or reward, bad ids and times,
  clock skew, duplicate span ids and attributes, orphan and looping parents, overlapping
  invocations, a disagreeing successor, a latent label on some invocations only — and valid
  variants: base64 ids, one JSON array, integer rewards); a valid file's traces must then be
  accepted by ``icq fit``;
- options: :data:`icq.property_tests.fuzz.OPTION_CASES` (α, ε, target, seeds, horizon...);
- checkpoints: ``icq train --resume`` on crafted tabular and neural checkpoints (each invariant,
  a huge deflated entry, a plain ``.npy``, appended bytes, no digest) and on ``--flips``
  checkpoints with 1 to 8 random bytes flipped anywhere in the file. A flipped checkpoint that
  is resumed is counted "corrupted checkpoint resumed" unless its content (every array and the
  metadata) is bit for bit the original's, i.e. the flip hit bytes of the zip container that
  carry no data (file times, for example): then "harmless flip resumed".

Figures that must be 0: misclassified exits, tracebacks (exit 1), writes on invalid input,
refusals without a line naming the field (and the line, for traces), invalid JSON output, runs
over ``--hang-seconds`` (60), checkpoints not refused, corrupted checkpoints resumed. The script
exits 1 if any is not 0. A script, not a timed test: these figures do not depend on the machine.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import importlib.util
import io
import random
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from icq.cli import main as icq_main
from icq.property_tests.fuzz import OPTION_CASES, Mutant, mutant, raw_cases
from icq.property_tests.fuzz_logs import otlp_mutant, trace_mutant
from icq.reference.common.archive import content_digest
from icq.reference.common.io import dumps
from icq.reference.common.parallel import map_tasks
from icq.reference.model import example_path

NAMES = ("ring-exact", "author-reviewer-editor", "synthetic-handoff")
ROOT = Path(__file__).resolve().parents[1]
BAD = ("misclassified exit", "traceback", "wrote", "no line naming the field",
       "invalid JSON output", "hang", "checkpoint not refused", "corrupted checkpoint resumed")


def _inputcheck():
    """The test-support module ``property_tests/tests/inputcheck.py``, loaded by its path."""
    name = "icq_inputcheck"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, ROOT / "property_tests" / "tests" / "inputcheck.py")
        sys.modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[name])
    return sys.modules[name]


def _count(counts, examples, cls: str, m: Mutant, out, hang: float) -> None:
    probs = out.problems(m) + (["hang"] if out.seconds > hang else [])
    counts[(cls, "n")] += 1
    counts[(cls, "valid" if m.valid else "invalid")] += 1
    for p in probs:
        counts[(cls, p)] += 1
    if probs and len(examples) < 8:
        examples.append(f"{cls}: {m.what} ({'valid' if m.valid else m.field}): {probs}: "
                        f"{out.stderr[:200]!r}")


def _pack(counts, examples) -> dict:
    return {"counts": [[c, k, v] for (c, k), v in counts.items()], "examples": examples}


def model_chunk(task: tuple[int, int, int, float]) -> dict:
    """Model mutants ``start..stop`` of stream ``seed`` through ``icq audit``."""
    seed, start, stop, hang = task
    ic = _inputcheck()
    bases = {n: example_path(n).read_bytes() for n in NAMES}
    counts: collections.Counter = collections.Counter()
    examples: list[str] = []
    for i in range(start, stop):
        r = random.Random(f"{seed}/{i}")
        m = mutant(bases[r.choice(NAMES)], r)
        _count(counts, examples, f"model {m.what}", m, ic.run_audit(m), hang)
    if start == 0:
        for name in NAMES:
            for m in raw_cases(example_path(name).read_bytes()):
                _count(counts, examples, "model raw bytes", m, ic.run_audit(m), hang)
    return _pack(counts, examples)


def log_chunk(task: tuple[str, int, int, int, float]) -> dict:
    """Trace (``icq fit``) or OTLP span (``icq traces from-otel``) mutants ``start..stop`` of
    stream ``seed``."""
    kind, seed, start, stop, hang = task
    ic = _inputcheck()
    draw, run, label = ((trace_mutant, ic.run_fit, "trace") if kind == "trace"
                        else (otlp_mutant, ic.run_otel, "spans"))
    bases = {n: ic.simulated_log(n, spans=kind == "otlp", episodes=8, seed=3) for n in NAMES}
    counts: collections.Counter = collections.Counter()
    examples: list[str] = []
    for i in range(start, stop):
        r = random.Random(f"{kind}/{seed}/{i}")
        m = draw(bases[r.choice(NAMES)], r)
        _count(counts, examples, f"{label} {'valid' if m.valid else m.field}", m, run(m), hang)
    return _pack(counts, examples)


def option_chunk(hang: float) -> dict:
    ic = _inputcheck()
    counts: collections.Counter = collections.Counter()
    examples: list[str] = []
    for case in OPTION_CASES:
        m, out = ic.run_option(*case)
        _count(counts, examples, f"option {case[1]}", m, out, hang)
    return _pack(counts, examples)


def _cli(args: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        rc = icq_main(args)
    return rc, err.getvalue()


def _content(path: Path) -> dict | None:
    """Every entry's dtype, shape and bytes, read leniently (None when unreadable)."""
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: (z[k].dtype.str, z[k].shape, z[k].tobytes()) for k in z.files}
    except Exception:  # noqa: BLE001 - any failure means "not readable"
        return None


def checkpoint_chunk(task: tuple[str, int, int]) -> dict:
    """Crafted and byte-flipped checkpoints of one learner through ``icq train --resume``."""
    learner, flips, seed = task
    ring = str(example_path("ring-exact"))
    base = ["train", ring, "--json", "--seed", "1"] + (
        ["--learner", "neural", "--width", "4", "--depth", "1"] if learner == "neural" else [])
    first, then = ("1000", "2000") if learner == "tabular" else ("20", "40")
    counts: collections.Counter = collections.Counter()
    examples: list[str] = []
    with tempfile.TemporaryDirectory() as d:
        ck = Path(d) / "ck.npz"
        assert _cli([*base, "--handoffs", first, "--checkpoint", str(ck)])[0] == 0
        good = ck.read_bytes()
        original = _content(ck)
        with np.load(ck) as z:
            arrays = {k: z[k] for k in z.files}
        n = arrays["q"].shape if learner == "tabular" else arrays["visits"].shape
        crafted = ([dict(y=np.int64(10**6)), dict(y=np.int64(-10**9)),
                    dict(rng=np.array([1], dtype=np.uint64)), dict(rng=np.zeros(4, np.uint64)),
                    dict(q=np.full(n, np.nan)), dict(q=np.zeros(7)), dict(visits=-np.ones(n)),
                    dict(done=np.int64(-1)), dict(last=np.full(n, 1e18)),
                    dict(q=np.full(n, 1e308)), dict(visits=np.full(n, 0.5)),
                    dict(visits=np.full(n, 1e300)), dict(done=np.int64(1)),
                    dict(q=np.zeros(n, np.float32)), dict(episodes=np.int64(-3))]
                   if learner == "tabular" else
                   [dict(delta=np.full_like(arrays["delta"], 1e308)),
                    dict(delta=np.full_like(arrays["delta"], np.nan)),
                    dict(visits=arrays["visits"] + 1), dict(t=np.int64(10**9)),
                    dict(rng=arrays["rng"][:, :1])])
        crafted += [dict(__kind__=np.array("x")), dict(__meta__=np.array("["))]
        files = [good[: len(good) // k] for k in (2, 3, 7)] + [b"", b"PK\x03\x04", b"{}",
                                                              good + b"garbage"]
        for case in crafted + files + ["no digest", "plain npy", "huge entry"]:
            target = ck
            if isinstance(case, dict):
                new = {**arrays, **case}
                new["__sha256__"] = np.array(content_digest(new))  # so that the rule refuses it
                with open(ck, "wb") as fh:
                    np.savez(fh, **new)
            elif case == "no digest":
                with open(ck, "wb") as fh:
                    np.savez(fh, **{k: v for k, v in arrays.items() if k != "__sha256__"})
            elif case == "plain npy":
                target = Path(d) / "plain.npy"
                np.save(target, arrays["visits"])
            elif case == "huge entry":
                ck.write_bytes(good)
                with zipfile.ZipFile(ck, "a", compression=zipfile.ZIP_DEFLATED) as z, \
                        z.open("unused.npy", "w", force_zip64=True) as fh:
                    for _ in range(64):
                        fh.write(bytes(1 << 20))
            else:
                ck.write_bytes(case)
            rc, err = _cli([*base, "--handoffs", then, "--checkpoint", str(target), "--resume"])
            counts[(f"checkpoint {learner} crafted", "n")] += 1
            if rc != 2 or "internal error" in err:
                counts[(f"checkpoint {learner} crafted", "checkpoint not refused")] += 1
                examples.append(f"{learner} crafted {str(case)[:60]}: rc {rc} {err[:150]!r}")
        r = random.Random(f"flip/{learner}/{seed}")
        cls = f"checkpoint {learner} flipped"
        for _ in range(flips):
            blob = bytearray(good)
            for _ in range(r.choice([1, 2, 8])):
                blob[r.randrange(len(blob))] ^= 1 << r.randrange(8)
            ck.write_bytes(bytes(blob))
            intact = _content(ck) == original
            rc, err = _cli([*base, "--handoffs", then, "--checkpoint", str(ck), "--resume"])
            counts[(cls, "n")] += 1
            if "internal error" in err or rc not in (0, 2):
                counts[(cls, "traceback")] += 1
            elif rc == 0 and intact:
                counts[(cls, "harmless flip resumed")] += 1
            elif rc == 0:
                counts[(cls, "corrupted checkpoint resumed")] += 1
                examples.append(f"{cls}: resumed with changed content")
            else:
                counts[(cls, "refused")] += 1
    return _pack(counts, examples)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mutants", type=int, default=1500, help="fuzzed model files")
    ap.add_argument("--traces", type=int, default=600, help="fuzzed trace files")
    ap.add_argument("--spans", type=int, default=600, help="fuzzed OTLP span files")
    ap.add_argument("--flips", type=int, default=100,
                    help="byte-flipped checkpoints per learner (tabular, neural)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--chunk", type=int, default=50)
    ap.add_argument("--hang-seconds", type=float, default=60.0)
    ap.add_argument("--backend", default="local", choices=("serial", "local", "ray"))
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    h = a.hang_seconds
    results = map_tasks(model_chunk, [(a.seed, s, min(s + a.chunk, a.mutants), h)
                                      for s in range(0, a.mutants, a.chunk)], backend=a.backend)
    results += map_tasks(log_chunk, [("trace", a.seed, s, min(s + a.chunk, a.traces), h)
                                     for s in range(0, a.traces, a.chunk)], backend=a.backend)
    results += map_tasks(log_chunk, [("otlp", a.seed, s, min(s + a.chunk, a.spans), h)
                                     for s in range(0, a.spans, a.chunk)], backend=a.backend)
    results += map_tasks(option_chunk, [h], backend="serial")
    results += map_tasks(checkpoint_chunk, [("tabular", a.flips, a.seed),
                                            ("neural", a.flips, a.seed)], backend=a.backend)
    table: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for r in results:
        for cls, key, v in r["counts"]:
            table[cls][key] += v
    total: collections.Counter = collections.Counter()
    for c in table.values():
        total.update(c)
    bad = sum(total[k] for k in BAD)
    examples = [e for r in results for e in r["examples"]]
    if a.json:
        print(dumps({"classes": {k: dict(v) for k, v in sorted(table.items())},
                     "total": dict(total), "bad": bad, "examples": examples}))
    else:
        print(f"{'class':44s} {'n':>6s} {'bad':>4s}  other counts")
        for cls, c in sorted(table.items()):
            nbad = sum(c[k] for k in BAD)
            other = ", ".join(f"{k} {v}" for k, v in sorted(c.items())
                              if k not in ("n",) and v)
            print(f"{cls:44s} {c['n']:6d} {nbad:4d}  {other}")
        print(f"{'all inputs':44s} {total['n']:6d} {bad:4d}")
        for k in BAD:
            print(f"  {k:30s} {total[k]}")
        for e in examples:
            print("  example:", e)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
