"""Benchmark: ``icq fit`` throughput (trace lines per minute; target ≥ 10⁶) and peak memory.

Run ``python benchmarks/bench_fit.py [--lines 1000000] [--small 200000] [--model NAME]``. It
simulates episodes of a bundled example (``icq.reference.learners.traces.simulate_traces``), writes
``--lines`` lines by repeating them under fresh episode ids, and fits the file in a fresh
process for each of two sizes, reporting wall seconds, lines per minute and the process's peak
resident memory (``ru_maxrss``). The fit streams, so the peak must not grow with the number of
lines: the two sizes are compared side by side. A baseline loop that only decodes each line
(``json.loads``) gives the share of the time spent in JSON parsing.

This is a script, not a timed test: figures depend on the machine.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator

from icq.reference.learners.traces import simulate_traces
from icq.reference.model import EpochModel, example_path, load

#: the start of each child script (here and in ``bench_otel.py``): ``peak_mib()``
PEAK_MIB = r"""
import json, sys, time
def peak_mib():  # VmHWM, this process's own peak: ru_maxrss keeps the parent's across exec
    with open("/proc/self/status") as fh:
        return next(int(s.split()[1]) for s in fh if s.startswith("VmHWM:")) / 1024
"""

CHILD = PEAK_MIB + r"""
from icq.reference.learners.traces import fit_traces
path, gamma, mode = sys.argv[1], float(sys.argv[2]), sys.argv[3]
t = time.perf_counter()
if mode == "fit":
    fit = fit_traces(path, gamma)
    n = fit.lines
else:
    n = 0
    with open(path, "rb") as fh:
        for raw in fh:
            json.loads(raw)
            n += 1
dt = time.perf_counter() - t
print(json.dumps({"lines": n, "seconds": dt,
                  "peak_mib": peak_mib()}))
"""


def episode_copies(m: EpochModel, episodes: int = 2000) -> Iterator[Iterator[dict]]:
    """Copies 0, 1, 2, … of ``episodes`` simulated episodes of ``m`` (seed 0), copy k under the
    episode ids ``k-ID``: a file of any size with distinct episodes (here and in
    ``bench_otel.py``)."""
    base = list(simulate_traces(m, episodes, seed=0))
    for copy in itertools.count():
        yield (dict(d, episode=f"{copy}-{d['episode']}") for d in base)


def write_file(path: str, n_lines: int, model_name: str) -> float:
    m = load(example_path(model_name))
    copies = episode_copies(m)
    written = 0
    with open(path, "w") as fh:
        while written < n_lines:
            for d in next(copies):
                fh.write(json.dumps(d, separators=(",", ":")) + "\n")
                written += 1
    return m.gamma


def run_child(path: str, gamma: float, mode: str) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", CHILD, path, str(gamma), mode], check=True,
                         capture_output=True, text=True, env=env).stdout
    return json.loads(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--small", type=int, default=200_000)
    ap.add_argument("--model", default="author-reviewer-editor")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in (args.small, args.lines):
            path = os.path.join(tmp, f"traces-{n}.jsonl")
            gamma = write_file(path, n, args.model)
            fit = run_child(path, gamma, "fit")
            base = run_child(path, gamma, "decode")
            rows.append({"lines": fit["lines"], "fit_seconds": fit["seconds"],
                         "lines_per_minute": 60 * fit["lines"] / fit["seconds"],
                         "fit_peak_mib": fit["peak_mib"], "decode_seconds": base["seconds"],
                         "decode_peak_mib": base["peak_mib"],
                         "file_mib": os.path.getsize(path) / 2**20})
    if args.json:
        print(json.dumps(rows))
        return 0
    print(f"{'lines':>10} {'file MiB':>9} {'fit s':>8} {'lines/min':>12} {'peak MiB':>9} "
          f"{'decode s':>9} {'decode peak':>11}")
    for r in rows:
        print(f"{r['lines']:>10,} {r['file_mib']:>9.1f} {r['fit_seconds']:>8.2f} "
              f"{r['lines_per_minute']:>12,.0f} {r['fit_peak_mib']:>9.1f} "
              f"{r['decode_seconds']:>9.2f} {r['decode_peak_mib']:>11.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
