"""Run ``icq audit`` in-process on a fuzzed file and classify the outcome (docs/format.md).

Shared by ``property_tests/tests/test_fuzz_inputs.py`` and ``benchmarks/fuzz_inputs.py``. A file's
verdict is known in advance (:class:`icq.property_tests.fuzz.Mutant`); the outcome is correct when
an invalid file exits 2 with every stderr line prefixed ``icq audit:``, one of them naming the
field, no traceback and nothing written, and a valid file exits 0.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
from dataclasses import dataclass

from icq.cli import main
from icq.property_tests.fuzz import Mutant

__all__ = ["Outcome", "run_audit"]


@dataclass(frozen=True)
class Outcome:
    """What ``icq audit`` did with one file."""

    rc: int
    stdout: str
    stderr: str
    written: tuple[str, ...]  # files other than the input left in its folder
    seconds: float

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
            if not lines or not all(s.startswith("icq audit: ") for s in lines) \
                    or not any(m.field in s for s in lines):
                out.append("no line naming the field")
        return out


def run_audit(m: Mutant) -> Outcome:
    """``icq audit FILE`` in a fresh folder: for a valid file with ``--json`` or as tables
    (alternately, by the parity of its size), for an invalid one with ``--report``."""
    import time

    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "m.json")
        with open(path, "wb") as fh:
            fh.write(m.data)
        args = (["audit", path] + (["--json"] if len(m.data) % 2 else []) if m.valid
                else ["audit", path, "--report", os.path.join(d, "rep.html")])
        out, err = io.StringIO(), io.StringIO()
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = main(args)
        return Outcome(rc, out.getvalue(), err.getvalue(),
                       tuple(sorted(set(os.listdir(d)) - {"m.json"})), time.perf_counter() - t0)
