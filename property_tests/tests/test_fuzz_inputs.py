"""Every bad input is refused cleanly (docs/format.md): fuzzed model files and raw bytes.

Guarantee under test: for a file whose verdict is known independently of the loader
(:mod:`icq.property_tests.fuzz`), ``icq audit`` exits 2 with a line naming the field when the file
is invalid (never 1, never a traceback, nothing written) and exits 0 when it is valid, whatever
the size of its values. ``benchmarks/fuzz_inputs.py`` runs the same check on >= 1,000 mutants.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

from icq.property_tests.fuzz import OPTION_CASES, Mutant, mutant, raw_cases
from icq.property_tests.fuzz_logs import otlp_mutant, trace_mutant
from icq.reference.learners.traces import format as trace_format
from icq.reference.learners.traces import otel
from icq.reference.model import ModelError, example_path, names, parse
from icq.reference.model.names import _fast_structure_ok
from icq.reference.model.parse import depth_and_text_problems, schema_validator

_spec = importlib.util.spec_from_file_location("icq_inputcheck",
                                              Path(__file__).with_name("inputcheck.py"))
inputcheck = sys.modules.setdefault(_spec.name, importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(inputcheck)
run_audit, run_fit, run_option = inputcheck.run_audit, inputcheck.run_fit, inputcheck.run_option
run_otel = inputcheck.run_otel

BASES = {n: example_path(n).read_bytes()
         for n in ("ring-exact", "author-reviewer-editor", "synthetic-handoff")}
TRACES = {n: inputcheck.simulated_log(n, spans=False, episodes=6, seed=1)
          for n in ("ring-exact", "author-reviewer-editor")}
SPANS = {n: inputcheck.simulated_log(n, spans=True, episodes=6, seed=1)
         for n in ("ring-exact", "author-reviewer-editor")}


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


trace_mutants = st.builds(lambda name, r: trace_mutant(TRACES[name], r),
                          st.sampled_from(sorted(TRACES)), st.randoms(use_true_random=False))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trace_mutants)
def test_fuzzed_traces_are_refused_with_line_and_field_or_fitted(m):
    out = run_fit(m)
    assert not out.problems(m), (m.what, m.valid, m.field, out)


def test_negative_control_a_reader_without_the_order_rule_is_caught(monkeypatch):
    """Without the rule that t increases within an episode the property fails."""
    monkeypatch.setattr(trace_format._Order, "problem", lambda self, d, lineno: None)
    found = find(trace_mutants, lambda m: bool(run_fit(m).problems(m)),
                 settings=settings(max_examples=500, deadline=None, database=None,
                                   phases=[Phase.generate],
                                   suppress_health_check=[HealthCheck.too_slow]))
    assert found.field == "is not after"


span_mutants = st.builds(lambda name, r: otlp_mutant(SPANS[name], r),
                         st.sampled_from(sorted(SPANS)), st.randoms(use_true_random=False))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(span_mutants)
def test_fuzzed_otlp_spans_are_refused_naming_the_rule_or_converted(m):
    """``icq traces from-otel``: a broken OTLP file exits 2 naming the field or rule and the
    line or trace, writing nothing; a valid one converts to traces that ``icq fit`` accepts."""
    out = run_otel(m)
    assert not out.problems(m), (m.what, m.valid, m.field, out)


@pytest.mark.filterwarnings("ignore:Generating overly large repr")
def test_negative_control_a_converter_that_trusts_labels_is_caught(monkeypatch):
    """Without the label rules (any attribute value taken as a label, no trace-line check)
    the property fails."""
    monkeypatch.setattr(otel, "_label", lambda v: True)
    monkeypatch.setattr(otel, "check_line", lambda d: None)
    found = find(span_mutants, lambda m: bool(run_otel(m).problems(m)),
                 settings=settings(max_examples=500, deadline=None, database=None,
                                   phases=[Phase.generate],
                                   suppress_health_check=[HealthCheck.too_slow]))
    assert not found.valid


@pytest.mark.parametrize("case", [c for c in OPTION_CASES if c[0] == "train"],
                         ids=lambda c: " ".join(c[1:3]))
def test_learner_options_are_refused_naming_the_option(case):
    m, out = run_option(*case)
    assert not out.problems(m), out
