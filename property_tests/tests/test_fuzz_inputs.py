"""Every bad input is refused cleanly (docs/format.md): fuzzed model files and raw bytes.

Guarantee under test: for a file whose verdict is known independently of the loader
(:mod:`icq.property_tests.fuzz`), ``icq audit`` exits 2 with a line naming the field when the file
is invalid (never 1, never a traceback, nothing written) and exits 0 when it is valid, whatever
the size of its values. ``benchmarks/fuzz_inputs.py`` runs the same check on >= 1,000 mutants.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

from icq.inputcheck import run_audit
from icq.property_tests.fuzz import Mutant, mutant, raw_cases
from icq.reference.model import ModelError, example_path, names, parse
from icq.reference.model.names import _fast_structure_ok
from icq.reference.model.parse import depth_and_text_problems, schema_validator

BASES = {n: example_path(n).read_bytes()
         for n in ("ring-exact", "author-reviewer-editor", "synthetic-handoff")}


def verdict_ok(m: Mutant) -> bool:
    return not run_audit(m).problems(m)


mutants = st.builds(lambda name, r: mutant(BASES[name], r), st.sampled_from(sorted(BASES)),
                    st.randoms(use_true_random=False))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutants)
def test_fuzzed_files_are_refused_cleanly_or_accepted(m):
    out = run_audit(m)
    assert not out.problems(m), (m.what, m.valid, m.field, out)


@pytest.mark.parametrize("case", raw_cases(BASES["ring-exact"]), ids=lambda c: c.what)
def test_raw_bytes_are_refused_with_one_line(case):
    out = run_audit(case)
    assert not out.problems(case), out
    assert len(out.stderr.splitlines()) <= 2, out  # one root problem: one line (two at most)


def test_negative_control_a_lenient_loader_is_caught(monkeypatch):
    """Without the schema stage (unknown keys ignored, types unchecked) the property fails."""
    monkeypatch.setattr(names, "structure_problems", lambda doc: [])
    found = find(mutants, lambda m: not verdict_ok(m),
                 settings=settings(max_examples=300, deadline=None, database=None,
                                   phases=[Phase.generate],  # the first failure suffices
                                   suppress_health_check=[HealthCheck.too_slow]))
    assert not found.valid


def fast_path_sound(m: Mutant, fast) -> bool:
    """The loader skips the JSON Schema when its fast structural check accepts a document;
    that is sound only if the schema (and the nesting and text checks) accept it too."""
    try:
        doc = parse(m.data)
    except ModelError:
        return True
    if not fast(doc):
        return True
    return (not list(schema_validator().iter_errors(doc))
            and not depth_and_text_problems(doc))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutants)
def test_fast_structure_check_never_accepts_what_the_schema_refuses(m):
    assert fast_path_sound(m, _fast_structure_ok)


def test_negative_control_a_fast_path_that_accepts_everything_is_caught():
    found = find(mutants, lambda m: not fast_path_sound(m, lambda doc: True),
                 settings=settings(max_examples=300, deadline=None, database=None,
                                   phases=[Phase.generate]))
    assert not found.valid
