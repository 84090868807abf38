#!/usr/bin/env python3
"""Check the Coq proofs and their tie to the Python numbers (docs/theory.md §7).

Run from the repository root::

    python proofs/check.py

Steps (each failure is one readable line; exit status 1 if there is any):

1. **Sources.** Every ``.v`` file listed in ``proofs/_CoqProject`` is scanned, comments and
   strings removed, for ``Admitted``, ``admit``, ``Abort``, ``Axiom``, ``Parameter``,
   ``Hypothesis``, ``Conjecture``, ``give_up`` and the flags that switch off Coq's checks.
2. **Build.** The files are compiled from scratch with ``coq_makefile`` + ``make`` in a
   temporary directory (nothing is written into ``proofs/``).
3. **Tie.** For every entry of ``bounds/lemmas.py`` (the table from Python terms to lemmas):
   the pinned statement is the statement in the ``.v`` source (whitespace-normalised text);
   a generated Coq file checks that the compiled lemma has *exactly* that statement
   (``exact`` for convertibility, then ``constr_eq_strict`` for syntactic identity), and
   ``Print Assumptions`` lists the axioms it depends on, which must all be among the
   classical-reals axioms of the Coq standard library (:data:`ALLOWED_AXIOMS`).
4. **Python.** Each entry's ``python`` name resolves to an object whose docstring names the
   lemma.
5. **Tests.** Each entry names a property test (``test``, ``path::function``) that checks on
   random models that the Python objects satisfy the lemma's premises and conclusion, and its
   negative control (``control``). Both must exist as module-level functions; the test must
   be a Hypothesis test (decorated with ``given``) and the control must ask Hypothesis to
   falsify a deliberately broken computation (it calls ``assert_falsified``). The test suite
   (``make test``) runs them.

``check(table=None) -> list[str]`` returns the problems (empty when everything holds) and is
what ``tests/test_proofs.py`` calls; :func:`build`, :func:`source_problems`,
:func:`tie_problems`, :func:`python_problems` and :func:`property_test_problems` are the single
steps.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import importlib.util
import inspect
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

PROOFS = Path(__file__).resolve().parent
ROOT = PROOFS.parent
LEMMAS_PY = ROOT / "bounds" / "lemmas.py"
COQPROJECT = PROOFS / "_CoqProject"
LOGICAL_ROOT = "ICQ"
TIMEOUT = 600  # seconds, per external command

#: tokens that must not occur in the proof sources (outside comments and strings)
FORBIDDEN_TOKENS = ("Admitted", "admit", "Abort", "Axiom", "Axioms", "Parameter", "Parameters",
                    "Hypothesis", "Hypotheses", "Conjecture", "give_up")
#: commands that switch off the kernel's checks
FORBIDDEN_FLAGS = re.compile(r"\bUnset\s+(Guard|Positivity|Universe)\s+Checking\b|\bbypass_check\b")

#: Axioms a lemma may depend on: the axioms behind the standard library's classical reals.
#: Coq 8.16 builds R from constructive Cauchy reals and prints exactly the first four; the
#: rest are the field and order axioms of the older axiomatic ``Rdefinitions``/``Raxioms``,
#: listed so that the check reads the same on such a standard library.
ALLOWED_AXIOMS = frozenset({
    "ClassicalDedekindReals.sig_forall_dec",
    "ClassicalDedekindReals.sig_not_dec",
    "FunctionalExtensionality.functional_extensionality_dep",
    "Classical_Prop.classic",
    # axiomatic reals (older standard libraries)
    "Rdefinitions.R", "Rdefinitions.R0", "Rdefinitions.R1", "Rdefinitions.Rplus",
    "Rdefinitions.Rmult", "Rdefinitions.Ropp", "Rdefinitions.Rinv", "Rdefinitions.Rlt",
    "Rdefinitions.up", "Raxioms.Rplus_comm", "Raxioms.Rplus_assoc", "Raxioms.Rplus_opp_r",
    "Raxioms.Rplus_0_l", "Raxioms.Rmult_comm", "Raxioms.Rmult_assoc", "Raxioms.Rinv_l",
    "Raxioms.Rmult_1_l", "Raxioms.R1_neq_R0", "Raxioms.Rmult_plus_distr_l",
    "Raxioms.Rlt_asym", "Raxioms.Rlt_trans", "Raxioms.Rplus_lt_compat_l",
    "Raxioms.Rmult_lt_compat_l", "Raxioms.total_order_T", "Raxioms.archimed",
    "Raxioms.completeness",
})


@dataclass
class TieResult:
    """What the tie check found for one table entry."""

    python: str
    coq: str
    axioms: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# The table and the sources
# ---------------------------------------------------------------------------------------------


def load_table(path: Path = LEMMAS_PY) -> tuple:
    """The tuple ``LEMMAS`` of ``bounds/lemmas.py``, loaded by path (no package import)."""
    name = "_icq_lemmas_table"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(f"cannot load the lemma table {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return tuple(module.LEMMAS)


def coq_files() -> list[str]:
    """The ``.v`` files of ``_CoqProject``, in dependency order."""
    return [ln.strip() for ln in COQPROJECT.read_text().splitlines()
            if ln.strip().endswith(".v")]


def strip_comments(src: str) -> str:
    """``src`` with Coq comments ``(* … *)`` (nested) and string literals replaced by spaces
    (newlines kept, so line numbers survive)."""
    out: list[str] = []
    i, depth, n = 0, 0, len(src)
    in_string = False
    while i < n:
        two = src[i:i + 2]
        ch = src[i]
        if in_string:
            if two == '""':
                out.append("  ")
                i += 2
                continue
            if ch == '"':
                in_string = False
            out.append("\n" if ch == "\n" else " ")
            i += 1
        elif two == "(*":
            depth += 1
            out.append("  ")
            i += 2
        elif depth and two == "*)":
            depth -= 1
            out.append("  ")
            i += 2
        elif depth:
            out.append("\n" if ch == "\n" else " ")
            i += 1
        elif ch == '"':
            in_string = True
            out.append(" ")
            i += 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def normalize(statement: str) -> str:
    """Whitespace-normalised statement text, without a final period."""
    s = " ".join(statement.split())
    return s[:-1].rstrip() if s.endswith(".") else s


def source_statement(coq_file: str, name: str) -> str | None:
    """The text between ``Theorem name :`` (or ``Lemma``) and ``Proof.`` in ``coq_file``."""
    path = PROOFS / coq_file
    if not path.exists():
        return None
    code = strip_comments(path.read_text())
    m = re.search(rf"\b(?:Theorem|Lemma)\s+{re.escape(name)}\s*:(.*?)\bProof\.", code, re.S)
    return normalize(m.group(1)) if m else None


def scan_source(text: str, name: str = "<source>") -> list[str]:
    """Forbidden tokens and check-disabling commands in Coq source ``text`` (outside comments
    and strings), one ``name:line: …`` line each."""
    problems: list[str] = []
    for lineno, line in enumerate(strip_comments(text).splitlines(), 1):
        for tok in FORBIDDEN_TOKENS:
            if re.search(rf"(?<![\w.']){tok}(?![\w'])", line):
                problems.append(f"{name}:{lineno}: forbidden token {tok!r}")
        if FORBIDDEN_FLAGS.search(line):
            problems.append(f"{name}:{lineno}: a command that disables Coq's checks")
    return problems


def source_problems(table: Iterable | None = None) -> list[str]:
    """Forbidden tokens in the sources, and pinned statements that differ from the source."""
    problems: list[str] = []
    files = coq_files()
    for f in files:
        problems += scan_source((PROOFS / f).read_text(), f"proofs/{f}")
    table = load_table() if table is None else tuple(table)
    seen: set[tuple[str, str]] = set()
    for e in table:
        key = (e.python, e.coq_name)
        if key in seen:
            problems.append(f"{e.python}: duplicate table entry for {e.coq_name}")
        seen.add(key)
        if e.coq_file not in files:
            problems.append(f"{e.python}: coq_file {e.coq_file!r} is not in proofs/_CoqProject")
            continue
        src = source_statement(e.coq_file, e.coq_name)
        if src is None:
            problems.append(f"{e.python}: no Theorem/Lemma {e.coq_name} in proofs/{e.coq_file}")
        elif src != normalize(e.statement):
            problems.append(f"{e.python}: the pinned statement of {e.coq_file} {e.coq_name} "
                            f"differs from the source text")
    return problems


# ---------------------------------------------------------------------------------------------
# Compiling
# ---------------------------------------------------------------------------------------------


def _run(cmd: Sequence[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(list(cmd), cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT)


def _tail(text: str, n: int = 25) -> str:
    return "\n".join(text.strip().splitlines()[-n:])


def build(build_dir: Path, jobs: int = 2) -> list[str]:
    """Compile every ``.v`` of ``_CoqProject`` from scratch in ``build_dir``."""
    for tool in ("coqc", "coq_makefile", "make"):
        if shutil.which(tool) is None:
            return [f"build: {tool} not found on PATH (Debian/Ubuntu: apt-get install coq make)"]
    build_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy2(COQPROJECT, build_dir / "_CoqProject")
    for f in coq_files():
        shutil.copy2(PROOFS / f, build_dir / f)
    mk = _run(["coq_makefile", "-f", "_CoqProject", "-o", "Makefile.coq"], build_dir)
    if mk.returncode != 0:
        return [f"build: coq_makefile failed:\n{_tail(mk.stdout + mk.stderr)}"]
    res = _run(["make", "-f", "Makefile.coq", f"-j{jobs}"], build_dir)
    if res.returncode != 0:
        return [f"build: compilation failed:\n{_tail(res.stdout + res.stderr)}"]
    missing = [f for f in coq_files() if not (build_dir / f).with_suffix(".vo").exists()]
    return [f"build: no .vo produced for {f}" for f in missing]


# ---------------------------------------------------------------------------------------------
# The tie
# ---------------------------------------------------------------------------------------------


def _tie_source(entry) -> tuple[str, dict[str, tuple[int, int]]]:
    """The Coq file that checks one entry, and the line range of each step."""
    stems = [Path(f).stem for f in coq_files()]
    own = Path(entry.coq_file).stem
    modules = " ".join(stems + ([own] if own not in stems else []))
    target = f"{LOGICAL_ROOT}.{Path(entry.coq_file).stem}.{entry.coq_name}"
    statement = normalize(entry.statement)
    # The statement is read with the proof modules imported, inside a module so that the
    # imports end before Print Assumptions (which then prints qualified axiom names).
    parts = [
        ("header", f"From Coq Require Import Reals List.\n"
                   f"From {LOGICAL_ROOT} Require {modules}.\n"
                   f"Import ListNotations.\nLocal Open Scope R_scope.\n"
                   f"Module Tie.\nImport {modules}.\n"),
        ("parse", f"Definition pinned_statement : Prop :=\n  {statement}.\n"),
        ("convertible", f"Lemma tie_convertible : pinned_statement.\n"
                        f"Proof. exact @{target}. Qed.\n"),
        ("identical", f"Goal True.\n  let t := type of @{target} in\n"
                      f"  let p := eval unfold pinned_statement in pinned_statement in\n"
                      f"  constr_eq_strict t p.\n  exact I.\nQed.\nEnd Tie.\n"),
        ("assumptions", f"Print Assumptions {target}.\n"),
    ]
    text, ranges, line = "", {}, 1
    for step, chunk in parts:
        n = chunk.count("\n")
        ranges[step] = (line, line + n - 1)
        text += chunk
        line += n
    return text, ranges


_STEP_MESSAGE = {
    "header": "the proof modules cannot be loaded",
    "parse": "the pinned statement does not parse or typecheck",
    "convertible": "the lemma does not prove the pinned statement",
    "identical": "the lemma's statement is convertible to, but not identical with, the pinned one",
    "assumptions": "Print Assumptions failed",
}


def parse_assumptions(output: str) -> tuple[list[str], list[str]]:
    """Axiom names from ``Print Assumptions`` output, and any unexpected headings."""
    axioms: list[str] = []
    odd: list[str] = []
    mode = None
    for line in output.splitlines():
        if not line or line[0].isspace():
            continue
        if line.startswith("Closed under the global context"):
            mode = None
        elif line.rstrip() == "Axioms:":
            mode = "axioms"
        elif line.rstrip().endswith(":"):
            mode = "other"
            odd.append(line.rstrip())
        elif mode == "axioms":
            axioms.append(line.split(":", 1)[0].strip())
        elif mode == "other":
            odd.append(line.strip())
    return axioms, odd


def _tie_one(entry, build_dir: Path, work: Path, k: int) -> TieResult:
    res = TieResult(entry.python, f"{entry.coq_file} {entry.coq_name}")
    text, ranges = _tie_source(entry)
    path = work / f"tie_{k}.v"
    path.write_text(text)
    out = _run(["coqc", "-q", "-R", str(build_dir), LOGICAL_ROOT, path.name], work)
    if out.returncode != 0:
        err = out.stdout + out.stderr
        m = re.search(r'line (\d+)', err)
        step = "unknown"
        if m:
            ln = int(m.group(1))
            step = next((s for s, (a, b) in ranges.items() if a <= ln <= b), "unknown")
        first = " ".join(err.strip().split())[:400]
        res.problems.append(f"{entry.python} ↔ {res.coq}: "
                            f"{_STEP_MESSAGE.get(step, 'the tie file failed')} ({first})")
        return res
    axioms, odd = parse_assumptions(out.stdout)
    res.axioms = axioms
    for a in axioms:
        if a not in ALLOWED_AXIOMS:
            res.problems.append(f"{entry.python} ↔ {res.coq}: depends on axiom {a}, "
                                f"which is not a standard-library reals axiom")
    for o in odd:
        res.problems.append(f"{entry.python} ↔ {res.coq}: unexpected assumption output {o!r}")
    return res


def tie_results(table: Iterable | None, build_dir: Path, jobs: int = 2) -> list[TieResult]:
    """Run the Coq side of the tie for every entry against the compiled ``build_dir``."""
    table = load_table() if table is None else tuple(table)
    with tempfile.TemporaryDirectory(prefix="icq-tie-") as tmp:
        work = Path(tmp)
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            return list(pool.map(lambda ke: _tie_one(ke[1], build_dir, work, ke[0]),
                                 enumerate(table)))


def tie_problems(table: Iterable | None, build_dir: Path, jobs: int = 2) -> list[str]:
    """The problems of :func:`tie_results`, flattened."""
    return [p for r in tie_results(table, build_dir, jobs) for p in r.problems]


# ---------------------------------------------------------------------------------------------
# The Python side
# ---------------------------------------------------------------------------------------------


def resolve(dotted: str):
    """Import the longest importable module prefix of ``dotted`` and getattr the rest."""
    parts = dotted.split(".")
    last_error: Exception | None = None
    for cut in range(len(parts), 0, -1):
        modname = ".".join(parts[:cut])
        try:
            obj = importlib.import_module(modname)
        except ModuleNotFoundError as exc:
            last_error = exc
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)  # AttributeError propagates with the missing name
        return obj
    raise ModuleNotFoundError(f"no importable module in {dotted!r} ({last_error})")


def python_problems(table: Iterable | None = None) -> list[str]:
    """Every ``python`` name resolves, and its docstring names the entry's lemma."""
    table = load_table() if table is None else tuple(table)
    problems: list[str] = []
    for e in table:
        try:
            obj = resolve(e.python)
        except ModuleNotFoundError as exc:
            problems.append(f"{e.python}: cannot import its module: {exc}")
            continue
        except AttributeError as exc:
            problems.append(f"{e.python}: no such Python object ({exc})")
            continue
        except Exception as exc:  # an import-time error in the module
            problems.append(f"{e.python}: importing it raised {type(exc).__name__}: {exc}")
            continue
        doc = inspect.getdoc(obj) or ""
        if not re.search(rf"(?<![\w.]){re.escape(e.coq_name)}(?!\w)", doc):
            problems.append(f"{e.python}: its docstring does not name the lemma {e.coq_name} "
                            f"({e.coq_file})")
    return problems


# ---------------------------------------------------------------------------------------------
# The tests that check the Python side
# ---------------------------------------------------------------------------------------------


def _decorator_names(fn: ast.FunctionDef) -> set[str]:
    names: set[str] = set()
    for dec in fn.decorator_list:
        node = dec.func if isinstance(dec, ast.Call) else dec
        if isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.Name):
            names.add(node.id)
    return names


def _called_names(fn: ast.FunctionDef) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(fn):
        if isinstance(node, ast.Call):
            f = node.func
            names.add(f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", ""))
    return names


def _find_test(node_id: str, what: str, owner: str,
               cache: dict[Path, dict[str, ast.FunctionDef]]
               ) -> tuple[ast.FunctionDef | None, list[str]]:
    if not node_id:
        return None, [f"{owner}: no {what} named (field {what!r} of bounds/lemmas.py)"]
    path_s, sep, func = node_id.partition("::")
    if not sep or not func.isidentifier():
        return None, [f"{owner}: {what} {node_id!r} is not of the form path::function"]
    path = (ROOT / path_s).resolve()
    if ROOT not in path.parents or not path.is_file():
        return None, [f"{owner}: {what} file {path_s} does not exist"]
    if path not in cache:
        try:
            tree = ast.parse(path.read_text(), filename=path_s)
        except SyntaxError as exc:
            return None, [f"{owner}: {what} file {path_s} does not parse ({exc})"]
        cache[path] = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    fn = cache[path].get(func)
    if fn is None:
        return None, [f"{owner}: {what} {func} is not a module-level function of {path_s}"]
    if not func.startswith("test_"):
        return None, [f"{owner}: {what} {func} is not collected by pytest (name test_…)"]
    return fn, []


def property_test_problems(table: Iterable | None = None) -> list[str]:
    """Every entry names an existing Hypothesis property test and an existing negative control
    that calls ``assert_falsified`` (step 5 of the module docstring)."""
    table = load_table() if table is None else tuple(table)
    cache: dict[Path, dict[str, ast.FunctionDef]] = {}
    problems: list[str] = []
    for e in table:
        owner = f"{e.python} ↔ {e.coq_file} {e.coq_name}"
        fn, probs = _find_test(getattr(e, "test", ""), "test", owner, cache)
        problems += probs
        if fn is not None and "given" not in _decorator_names(fn):
            problems.append(f"{owner}: test {fn.name} is not a Hypothesis property test "
                            f"(no @given)")
        fn, probs = _find_test(getattr(e, "control", ""), "control", owner, cache)
        problems += probs
        if fn is not None and not {"assert_falsified", "find_counterexample"} & _called_names(fn):
            problems.append(f"{owner}: control {fn.name} does not ask Hypothesis to falsify a "
                            f"broken computation (no assert_falsified call)")
    return problems


# ---------------------------------------------------------------------------------------------
# Everything
# ---------------------------------------------------------------------------------------------


def check(table: Iterable | None = None, *, build_dir: Path | None = None,
          python_names: bool = True, jobs: int = 2,
          results: list[TieResult] | None = None) -> list[str]:
    """All checks; returns the problems (an empty list when everything holds).

    ``build_dir`` reuses an existing build (see :func:`build`); by default a fresh temporary
    build is made and removed.  ``results``, if given, receives the per-entry tie results.
    """
    table = load_table() if table is None else tuple(table)
    problems = source_problems(table)
    with tempfile.TemporaryDirectory(prefix="icq-coq-") as tmp:
        bdir = Path(tmp) if build_dir is None else Path(build_dir)
        if build_dir is None:
            problems += build(bdir, jobs)
        if not any(p.startswith("build:") for p in problems):
            found = tie_results(table, bdir, jobs)
            if results is not None:
                results.extend(found)
            problems += [p for r in found for p in r.problems]
    if python_names:
        problems += python_problems(table)
    problems += property_test_problems(table)
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-python", action="store_true",
                        help="skip resolving the Python names (Coq side only)")
    parser.add_argument("-j", "--jobs", type=int, default=2, help="parallel Coq jobs (2)")
    args = parser.parse_args(argv)
    table = load_table()
    results: list[TieResult] = []
    problems = check(table, python_names=not args.no_python, jobs=args.jobs, results=results)
    for r in results:
        status = "FAIL" if r.problems else "ok  "
        print(f"{status} {r.python} ↔ {r.coq}")
        print(f"       axioms: {', '.join(r.axioms) if r.axioms else '(none)'}")
    if problems:
        print(f"\n{len(problems)} problem(s):", file=sys.stderr)
        for p in problems:
            print(f"  - {p}", file=sys.stderr)
        return 1
    used = sorted({a for r in results for a in r.axioms})
    print(f"\nOK: {len(coq_files())} Coq files compiled, nothing admitted; {len(table)} table "
          f"entries tied to their exact statements and to a property test with its negative "
          f"control; axioms used: {', '.join(used) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
