"""Run ``icq`` in-process on a fuzzed input and classify the outcome (docs/format.md,
docs/traces.md): test support for ``property_tests/tests/test_fuzz_inputs.py`` and
``benchmarks/fuzz_inputs.py`` (both load this file by its path; it is not part of the package).

An input's verdict is known in advance (:class:`icq.property_tests.fuzz.Mutant`); the outcome is
correct when an invalid input exits 2 with every stderr line prefixed ``icq COMMAND:``, one of
them naming the field, no traceback and nothing written, and a valid input exits 0.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from icq.cli import main
from icq.property_tests.fuzz import Mutant
from icq.reference.learners.traces import simulate_traces
from icq.reference.learners.traces.otel import otlp_requests
from icq.reference.model import example_path, load

__all__ = ["Outcome", "run_audit", "run_fit", "run_option", "run_otel", "simulated_log"]


def simulated_log(name: str, *, spans: bool, episodes: int, seed: int) -> bytes:
    """A valid file to mutate: ``episodes`` simulated episodes of example ``name``, as
    ``icq-trace/1`` lines or (``spans``) as OTLP JSON requests of 7 spans, one per line."""
    lines = simulate_traces(load(example_path(name)), episodes, seed=seed)
    docs = otlp_requests(lines, per_request=7) if spans else lines
    return ("\n".join(json.dumps(d) for d in docs) + "\n").encode()


@dataclass(frozen=True)
class Outcome:
    """What ``icq COMMAND`` did with one input."""

    rc: int
    stdout: str
    stderr: str
    written: tuple[str, ...]  # files other than the input left in its folder
    seconds: float
    command: str = "audit"

    def problems(self, m: Mutant) -> list[str]:
        """Every way the outcome breaks the guarantee for ``m`` (empty when correct)."""
        out = []
        if "Traceback" in self.stderr or "internal error" in self.stderr:
            out.append("traceback")
        if self.rc != (0 if m.valid else 2):
            out.append("misclassified exit")
        if m.valid and self.rc == 0 and self.stdout.startswith("{"):
            try:  # --json: exactly one JSON object, with no "inf"/"nan" strings
                json.loads(self.stdout, parse_constant=lambda c: {}[c])
                if '"inf"' in self.stdout or '"nan"' in self.stdout:
                    raise ValueError
            except (ValueError, KeyError):
                out.append("invalid JSON output")
        if not m.valid:
            lines = self.stderr.splitlines()
            if self.written:
                out.append("wrote")
            if not lines or not all(s.startswith(f"icq {self.command}: ") for s in lines) \
                    or not any(m.field in s for s in lines):
                out.append("no line naming the field")
        return out


def _run(args: list[str]) -> tuple[int, str, str, float]:
    out, err = io.StringIO(), io.StringIO()
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main(args)
        except SystemExit as exc:  # argparse's own refusals (exit 2, a usage line)
            rc = exc.code if isinstance(exc.code, int) else 1
    return rc, out.getvalue(), err.getvalue(), time.perf_counter() - t0


@contextlib.contextmanager
def _fresh_folder(m: Mutant, name: str) -> Iterator[tuple[str, str, Callable[[], tuple]]]:
    """A temporary folder holding only ``m.data`` as ``name``: ``(folder, path, written)``,
    ``written()`` the names of the other files in it, sorted."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, name)
        with open(path, "wb") as fh:
            fh.write(m.data)
        yield d, path, lambda: tuple(sorted(set(os.listdir(d)) - {name}))


def run_audit(m: Mutant) -> Outcome:
    """``icq audit FILE`` in a fresh folder: for a valid file with ``--json`` or as tables
    (alternately, by the parity of its size), for an invalid one with ``--report``."""
    with _fresh_folder(m, "m.json") as (d, path, written):
        args = (["audit", path] + (["--json"] if len(m.data) % 2 else []) if m.valid
                else ["audit", path, "--report", os.path.join(d, "rep.html")])
        rc, out, err, sec = _run(args)
        return Outcome(rc, out, err, written(), sec)


def run_fit(m: Mutant) -> Outcome:
    """``icq fit TRACES -o MODEL --gamma 0.9`` on a fuzzed trace file, in a fresh folder; an
    invalid file's refusal must also name the line (``line N``)."""
    with _fresh_folder(m, "t.jsonl") as (d, path, written):
        rc, out, err, sec = _run(["fit", path, "-o", os.path.join(d, "m.json"), "--gamma",
                                  "0.9", "--json"])
        if not m.valid and rc == 2 and "line " not in err:
            err += "(no line number)"
        return Outcome(rc, out, err, written() if not m.valid else (), sec, "fit")


def run_otel(m: Mutant) -> Outcome:
    """``icq traces from-otel SPANS -o TRACES`` on a fuzzed OTLP JSON file, in a fresh folder;
    an invalid file's refusal must also name where (``line N`` or a ``trace`` id). A valid
    file's traces must be a valid ``icq-trace/1`` file (``icq fit`` accepts them)."""
    with _fresh_folder(m, "spans.jsonl") as (d, path, written):
        traces = os.path.join(d, "t.jsonl")
        rc, out, err, sec = _run(["traces", "from-otel", path, "-o", traces, "--json"])
        if (not m.valid and rc == 2 and "line " not in err and "trace " not in err
                and m.field != "no invoke_agent span"):  # the one rule about the whole file
            err += "(no line or trace named)"
        if not m.valid:
            return Outcome(rc, out, err, written(), sec, "traces")
        if rc == 0:
            fit = _run(["fit", traces, "-o", os.path.join(d, "m.json"), "--gamma", "0.9"])
            if fit[0] != 0:
                rc, err = fit[0], err + fit[2]
        return Outcome(rc, out, err, (), sec, "traces")


def run_option(command: str, option: str, value: str, valid: bool) -> tuple[Mutant, Outcome]:
    """``icq COMMAND ring-exact OPTION VALUE`` with small sizes; an invalid value must be
    refused naming the option."""
    ring = str(example_path("ring-exact"))
    small = (["--handoffs", "2000"] if command == "train"
             else ["--target", "0.5", "--horizon", "2000", "--seeds", "60"])
    if option in ("--handoffs", "--target", "--horizon", "--seeds"):
        small = [a for i, a in enumerate(small) if option not in small[max(0, i - 1):i + 1]]
    args = [command, ring, *small, f"{option}={value}", "--json"]
    if option == "--alpha":
        args += ["--step", "constant"]
    if option == "--epsilon":
        args += ["--exploration", "epsilon-greedy"]
    rc, out, err, sec = _run(args)
    m = Mutant(b"", valid, option, f"{command} {option} {value}")
    if valid and command == "budget" and rc == 3:  # no budget within the horizon: an answer
        rc = 0
    return m, Outcome(rc, out, err, (), sec, command)
