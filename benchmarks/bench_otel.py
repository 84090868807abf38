"""Benchmark: ``icq traces from-otel`` throughput (spans per minute; target ≥ 10⁶) and peak
memory, against a baseline that only decodes the same lines.

Run ``python benchmarks/bench_otel.py [--spans 1000000] [--small 200000] [--model NAME]``. It
simulates episodes of a bundled example (``icq.reference.learners.traces.simulate_traces``),
turns them into OTLP JSON requests (``icq.reference.learners.traces.otel.otlp_requests``: one
``invoke_agent`` span per handoff with one ``chat`` child per primitive step under a root span
per trace, 100 spans per request line), repeats them under fresh trace ids until the file holds
``--spans`` spans, and runs, each in a fresh process:

- ``convert``: :func:`~icq.reference.learners.traces.otel.convert_otel` (parse with the
  project's limits, group by trace id, check every rule, write ``icq-trace/1`` atomically);
- ``json.loads``: a loop that only decodes each line with ``json.loads`` (the floor for any
  converter of this format written in Python);
- ``parse``: the same loop with the project's parser with limits
  (:func:`icq.reference.model.parse`, which the conversion uses for every line).

Both sizes report wall seconds, spans per minute and the process's peak resident memory
(``ru_maxrss``); grouping spills to disk past ``OtelMapping.buffer`` spans, so the peak must not
grow with the file. This is a script, not a timed test: figures depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

from bench_fit import PEAK_MIB, episode_copies  # the same files and memory probe

from icq.reference.learners.traces.otel import otlp_requests
from icq.reference.model import example_path, load

CHILD = PEAK_MIB + r"""
path, out, mode = sys.argv[1], sys.argv[2], sys.argv[3]
t = time.perf_counter()
if mode == "convert":
    from icq.reference.learners.traces.otel import convert_otel
    st = convert_otel(path, out)
    n, extra = st.spans, {"handoffs": st.handoffs, "spilled": st.spilled}
else:
    if mode == "parse":
        from icq.reference.model import parse as loads
    else:
        loads = json.loads
    n, extra = 0, {}
    with open(path, "rb") as fh:
        for raw in fh:
            for r in loads(raw)["resourceSpans"]:
                for s in r["scopeSpans"]:
                    n += len(s["spans"])
dt = time.perf_counter() - t
print(json.dumps({"spans": n, "seconds": dt, **extra,
                  "peak_mib": peak_mib()}))
"""


def write_file(path: str, n_spans: int, model_name: str) -> int:
    copies = episode_copies(load(example_path(model_name)))
    written = 0
    with open(path, "w") as fh:
        while written < n_spans:
            for req in otlp_requests(next(copies)):
                fh.write(json.dumps(req, separators=(",", ":")) + "\n")
                written += sum(len(s["spans"]) for r in req["resourceSpans"]
                               for s in r["scopeSpans"])
    return written


def write_in_child(path: str, n_spans: int, model_name: str) -> int:
    """:func:`write_file` in a fresh process, so that this one stays small (a child's
    ``ru_maxrss`` starts from its parent's at the fork)."""
    res = subprocess.run([sys.executable, __file__, "--write", path, str(n_spans), model_name],
                         check=True, capture_output=True, text=True)
    return int(res.stdout)


def run_child(path: str, out: str, mode: str) -> dict:
    res = subprocess.run([sys.executable, "-c", CHILD, path, out, mode], check=True,
                         capture_output=True, text=True)
    return json.loads(res.stdout)


def main() -> None:
    if sys.argv[1:2] == ["--write"]:
        print(write_file(sys.argv[2], int(sys.argv[3]), sys.argv[4]))
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spans", type=int, default=1_000_000)
    ap.add_argument("--small", type=int, default=200_000)
    ap.add_argument("--model", default="planner-coder-tester-reviewer")
    args = ap.parse_args()
    print(f"python {sys.version.split()[0]}, model {args.model}")
    print(f"{'spans':>10} {'file MiB':>9} {'mode':>11} {'seconds':>8} {'spans/min':>12} "
          f"{'peak MiB':>9} {'× json.loads':>13}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in (args.small, args.spans):
            path, out = os.path.join(tmp, f"spans-{n}.jsonl"), os.path.join(tmp, "t.jsonl")
            written = write_in_child(path, n, args.model)
            mib = os.path.getsize(path) / 2**20
            base = run_child(path, out, "json.loads")
            floor = run_child(path, out, "parse")
            conv = run_child(path, out, "convert")
            assert conv["spans"] == base["spans"] == floor["spans"] == written
            for mode, r in (("json.loads", base), ("parse", floor), ("convert", conv)):
                print(f"{r['spans']:>10,} {mib:>9.1f} {mode:>11} {r['seconds']:>8.2f} "
                      f"{60 * r['spans'] / r['seconds']:>12,.0f} {r['peak_mib']:>9.1f} "
                      f"{r['seconds'] / base['seconds']:>13.2f}")
            print(f"{'':>10} converted: {conv['handoffs']:,} handoffs, spilled to disk: "
                  f"{conv['spilled']}")


if __name__ == "__main__":
    main()
