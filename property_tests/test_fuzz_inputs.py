"""Every bad input is refused cleanly (docs/format.md): fuzzed model files and raw bytes.

Guarantee under test: for a file whose verdict is known independently of the loader
(:mod:`icq.reference.fuzz`), ``icq audit`` exits 2 with a line naming the field when the file
is invalid (never 1, never a traceback, nothing written) and exits 0 when it is valid, whatever
the size of its values. ``benchmarks/fuzz_inputs.py`` runs the same check on >= 1,000 mutants.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st
from icq.reference import model as model_mod
from icq.reference.fuzz import Mutant, mutant, raw_cases
from icq.reference.model import example_path

from icq.cli import main

BASES = {n: example_path(n).read_bytes()
         for n in ("ring-exact", "author-reviewer-editor", "synthetic-handoff")}


def run_cli(m: Mutant) -> tuple[int, str, list[str]]:
    """Exit status, stderr and the folder's files after ``icq audit`` on the mutant."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "m.json")
        with open(path, "wb") as fh:
            fh.write(m.data)
        args = (["audit", path, "--json"] if m.valid
                else ["audit", path, "--report", os.path.join(d, "rep.html")])
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = main(args)
        return rc, err.getvalue(), sorted(os.listdir(d))


def verdict_ok(m: Mutant) -> bool:
    rc, err, files = run_cli(m)
    if "Traceback" in err or "internal error" in err:
        return False
    if m.valid:
        return rc == 0
    lines = err.splitlines()
    return (rc == 2 and files == ["m.json"] and bool(lines)
            and all(line.startswith("icq audit: ") for line in lines)
            and any(m.field in line for line in lines))


mutants = st.builds(lambda name, r: mutant(BASES[name], r), st.sampled_from(sorted(BASES)),
                    st.randoms(use_true_random=False))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutants)
def test_fuzzed_files_are_refused_cleanly_or_accepted(m):
    rc, err, files = run_cli(m)
    assert verdict_ok(m), (m.what, m.valid, m.field, rc, err[:500], files)


@pytest.mark.parametrize("case", raw_cases(BASES["ring-exact"]), ids=lambda c: c.what)
def test_raw_bytes_are_refused_with_one_line(case):
    rc, err, files = run_cli(case)
    assert rc == 2 and files == ["m.json"], err[:500]
    assert "Traceback" not in err and case.field in err
    assert len(err.splitlines()) <= 2, err[:500]  # one root problem: one line (two at most)


def test_negative_control_a_lenient_loader_is_caught(monkeypatch):
    """Without the schema stage (unknown keys ignored, types unchecked) the property fails."""
    monkeypatch.setattr(model_mod, "structure_problems", lambda doc: [])
    found = find(mutants, lambda m: not verdict_ok(m),
                 settings=settings(max_examples=300, deadline=None, database=None,
                                   phases=[Phase.generate],  # the first failure suffices
                                   suppress_health_check=[HealthCheck.too_slow]))
    assert not found.valid
