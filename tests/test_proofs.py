"""The Coq proofs and their tie to the Python numbers (docs/theory.md §7; ``proofs/check.py``).

The proofs are compiled with ``coqc`` once per module (never skipped: Coq is a test
dependency).  Every check has a negative control: a deliberately wrong table entry, source or
docstring that the checker must reject.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load_checker():
    spec = importlib.util.spec_from_file_location("icq_proofs_check", ROOT / "proofs" / "check.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


check = _load_checker()
TABLE = check.load_table()
BY_NAME = {e.coq_name: e for e in TABLE}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """All of ``proofs/`` compiled from scratch (a failure here is a failed proof)."""
    build_dir = tmp_path_factory.mktemp("coq-build")
    problems = check.build(build_dir)
    assert problems == [], "\n".join(problems)
    return build_dir


# -- (1) the Python side ---------------------------------------------------------------------


@pytest.mark.parametrize("entry", TABLE, ids=lambda e: f"{e.python}-{e.coq_name}")
def test_python_name_resolves_and_docstring_names_the_lemma(entry):
    try:
        obj = check.resolve(entry.python)
    except (ModuleNotFoundError, AttributeError) as exc:
        pytest.fail(f"{entry.python} (tied to {entry.coq_file} {entry.coq_name}) does not "
                    f"resolve to a Python object: {exc}")
    doc = inspect.getdoc(obj) or ""
    assert re.search(rf"(?<![\w.]){re.escape(entry.coq_name)}(?!\w)", doc), (
        f"the docstring of {entry.python} does not name {entry.coq_name} ({entry.coq_file})")


def test_python_check_reports_missing_names_and_docstring_mismatches():
    entry = BY_NAME["bellman_contraction"]
    wrong_lemma = dataclasses.replace(entry, coq_name="no_such_lemma_named_here")
    missing_attr = dataclasses.replace(entry, python="icq.reference.exact.solve.no_such_function")
    missing_module = dataclasses.replace(entry, python="icq_no_such_package.solve.solve")
    (p1,) = check.python_problems([wrong_lemma])
    assert "docstring does not name the lemma no_such_lemma_named_here" in p1
    (p2,) = check.python_problems([missing_attr])
    assert "no such Python object" in p2
    (p3,) = check.python_problems([missing_module])
    assert "cannot import" in p3


def test_docstring_match_is_a_whole_name():
    """``greedy_policy_loss`` in a docstring does not vouch for ``greedy_policy``."""
    entry = BY_NAME["greedy_policy_loss"]
    prefix = dataclasses.replace(entry, coq_name="greedy_policy")
    assert check.python_problems([entry]) == []
    assert len(check.python_problems([prefix])) == 1


# -- the sources -----------------------------------------------------------------------------


def test_every_entry_names_an_existing_property_test_and_control():
    assert check.property_test_problems() == []


@pytest.mark.parametrize("change, says", [
    (dict(test=""), "no test named"),
    (dict(control=""), "no control named"),
    (dict(test="property_tests/tests/test_no_such_file.py::test_x"), "does not exist"),
    (dict(test="property_tests/tests/test_residual.py::test_no_such_function"),
     "is not a module-level function"),
    (dict(test="property_tests/tests/test_residual.py"), "is not of the form path::function"),
    # a plain (not Hypothesis) test and a control that falsifies nothing
    (dict(test="property_tests/tests/test_strategies.py::test_our_ci_profile_wins_when_ci_is_set"),
     "not a Hypothesis property test"),
    (dict(control="property_tests/tests/test_residual.py::"
                  "test_residual_certificate_is_exact_at_the_fixed_point"),
     "does not ask Hypothesis to falsify"),
])
def test_property_test_tie_rejects_missing_or_wrong_tests(change, says):
    entry = dataclasses.replace(BY_NAME["residual_certificate"], **change)
    problems = check.property_test_problems([entry])
    assert any(says in p for p in problems), problems


def test_sources_admit_nothing_and_match_the_table():
    assert check.source_problems() == []


def test_every_coq_file_is_in_the_project_and_has_a_theory_reference():
    listed = set(check.coq_files())
    on_disk = {p.name for p in (ROOT / "proofs").glob("*.v") if not p.name.startswith("_")}
    assert listed == on_disk
    for name in listed:
        if name == "Finite.v":
            continue
        assert "docs/theory.md §" in (ROOT / "proofs" / name).read_text(), name


@pytest.mark.parametrize("bad, token", [
    ("Lemma x : True.\nProof. Admitted.\n", "Admitted"),
    ("Lemma x : 1 = 1.\nProof. admit. Qed.\n", "admit"),
    ("Lemma x : 1 = 1.\nAbort.\n", "Abort"),
    ("Axiom cheat : False.\n", "Axiom"),
    ("Parameter p : nat.\n", "Parameter"),
    ("Hypothesis h : False.\n", "Hypothesis"),
])
def test_forbidden_tokens_are_caught(bad, token):
    problems = check.scan_source(bad, "Bad.v")
    assert any(f"forbidden token {token!r}" in p for p in problems), problems


def test_forbidden_tokens_in_comments_and_strings_are_ignored():
    ok = ('(* Admitted, admit, (* nested Axiom *) Abort *)\n'
          'Definition s := "Admitted".\n'
          'Lemma admitted_free : True. Proof. exact I. Qed.\n')
    assert check.scan_source(ok) == []
    assert check.scan_source("Unset Guard Checking.\n")


def test_a_modified_statement_differs_from_the_source_text():
    entry = BY_NAME["bellman_contraction"]
    modified = dataclasses.replace(entry, statement=entry.statement.replace(
        "<= g * supnorm", "< g * supnorm"))
    assert modified.statement != entry.statement
    problems = check.source_problems([modified])
    assert any("differs from the source text" in p for p in problems), problems


# -- (2) the tie, compiled -------------------------------------------------------------------


def test_the_whole_check_passes(built):
    results: list = []
    problems = check.check(build_dir=built, results=results)
    assert problems == [], "\n".join(problems)
    assert {r.python for r in results} == {e.python for e in TABLE}
    for r in results:
        assert set(r.axioms) <= check.ALLOWED_AXIOMS, (r.coq, r.axioms)


# -- (3) negative controls on the Coq side ---------------------------------------------------


def _tie(built, entry):
    return check.tie_problems([entry], built, jobs=1)


@pytest.mark.parametrize("lemma, old, new, says", [
    # a changed inequality
    ("bellman_contraction", "<= g * supnorm", "< g * supnorm",
     "does not prove the pinned statement"),
    # dropping the premise 0 ≤ D claims more than the lemma proves
    ("ais_gap_value_aware", "0 <= eps -> 0 <= D ->", "0 <= eps ->",
     "does not prove the pinned statement"),
    # C_F with (1 + γ̄) replaced by γ̄ is a different (false) statement
    ("approximation_constant", "(1 + (1 + g) / (1 - kappa))", "(1 + g / (1 - kappa))", ""),
    # unfolding ``supnorm`` proves the same thing but is not the pinned text
    ("bellman_contraction", "g * supnorm M (fun x j => q1 x j - q2 x j)",
     "g * pmax (states M) (adm M) (fun x j => Rabs (q1 x j - q2 x j))", "not identical"),
], ids=["changed-inequality", "stronger-claim", "wrong-constant", "convertible-but-different"])
def test_tie_rejects_a_statement_other_than_the_proved_one(built, lemma, old, new, says):
    entry = BY_NAME[lemma]
    assert old in entry.statement
    problems = _tie(built, dataclasses.replace(entry, statement=entry.statement.replace(old, new)))
    assert problems and (not says or (len(problems) == 1 and says in problems[0])), problems


def test_tie_rejects_a_statement_that_does_not_parse(built):
    entry = BY_NAME["mixing_envelope"]
    modified = dataclasses.replace(entry, statement=entry.statement + " ->")
    problems = _tie(built, modified)
    assert len(problems) == 1 and "does not parse" in problems[0], problems


def test_tie_reports_a_lemma_that_rests_on_an_axiom(built, tmp_path):
    """A lemma proved from ``Axiom cheat : False`` compiles, but its assumption is flagged."""
    bad = built / "CheatForTest.v"
    bad.write_text("Axiom cheat : False.\n"
                   "Theorem one_is_two : (1 = 2)%nat.\nProof. destruct cheat. Qed.\n")
    out = subprocess.run(["coqc", "-q", "-R", str(built), check.LOGICAL_ROOT, bad.name],
                         cwd=built, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    entry = check.load_table()[0]
    cheat = dataclasses.replace(entry, coq_file="CheatForTest.v", coq_name="one_is_two",
                                statement="(1 = 2)%nat")
    try:
        problems = _tie(built, cheat)
    finally:
        for suffix in (".v", ".vo", ".vok", ".vos", ".glob"):
            (built / f"CheatForTest{suffix}").unlink(missing_ok=True)
            (built / f".CheatForTest{suffix}.aux").unlink(missing_ok=True)
    assert len(problems) == 1 and "CheatForTest.cheat" in problems[0], problems
    assert "not a standard-library reals axiom" in problems[0]


def test_parse_assumptions():
    closed = "Closed under the global context\n"
    assert check.parse_assumptions(closed) == ([], [])
    out = ("Axioms:\nClassicalDedekindReals.sig_not_dec : forall P : Prop, {~ ~ P} + {~ P}\n"
           "FunctionalExtensionality.functional_extensionality_dep\n"
           "  : forall (A : Type) (B : A -> Type) (f g : forall x : A, B x),\n"
           "    (forall x : A, f x = g x) -> f = g\n")
    axioms, odd = check.parse_assumptions(out)
    assert axioms == ["ClassicalDedekindReals.sig_not_dec",
                      "FunctionalExtensionality.functional_extensionality_dep"]
    assert odd == []
    _, odd = check.parse_assumptions("Constants relying on a subset of types:\nfoo\n")
    assert odd
