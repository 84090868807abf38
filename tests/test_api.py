"""The public API at the top of the package (issue 12, item 5)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import icq
import icq.bounds
import icq.bounds.budgets
import icq.report
from icq.bounds.budgets import CERTIFICATE_SEED_BASE, TargetBelowFloor, certificate_seeds
from icq.bounds.certificate import certificate
from icq.cli import main
from icq.reference.learners import adaptable
from icq.reference.learners.montecarlo import run_seeds
from icq.reference.model import SMDP


def _imported_after(code: str, modules: tuple[str, ...]) -> dict[str, bool]:
    """Which of ``modules`` are in ``sys.modules`` after running ``code`` in a fresh process."""
    probe = (f"import sys\n{code}\nimport json\n"
             f"print(json.dumps({{m: m in sys.modules for m in {list(modules)!r}}}))")
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True,
                         text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


HEAVY = ("torch", "ray", "hypothesis", "sympy")


def test_import_icq_stays_light():
    got = _imported_after("import icq", HEAVY)
    assert not any(got.values()), got


def test_the_lightness_probe_sees_heavy_imports():
    # negative control: the same probe reports the modules the lazy names pull in
    got = _imported_after("import icq\nicq.audit\nimport icq.property_tests.strategies", HEAVY)
    assert got["sympy"] and got["hypothesis"], got


def test_every_public_name_resolves_to_its_definition():
    for name in icq.__all__:
        assert getattr(icq, name) is not None, name
    assert icq.audit is icq.bounds.audit
    assert icq.write_report is icq.report.write_report
    assert icq.render_report is icq.report.render_report
    assert icq.train_adaptable is adaptable.train_adaptable
    assert set(icq.__all__) <= set(dir(icq))
    assert icq.budget is icq.bounds.budgets.budgets  # every method's budget, as `icq budget`


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no_such_thing"):
        icq.no_such_thing  # noqa: B018


def test_solve_accepts_an_epoch_model_as_its_latent_smdp():
    m = icq.load(icq.example_path("author-reviewer-editor"))
    a, b = icq.solve(m), icq.solve(m.latent)
    assert isinstance(m.latent, SMDP)
    np.testing.assert_array_equal(a.q, b.q)
    np.testing.assert_array_equal(a.v, b.v)
    c = icq.solve(m, "vi", tol=1e-12)
    np.testing.assert_allclose(c.q, b.q, atol=1e-9)


@pytest.mark.parametrize("bad", ["ring-exact", {"n": 3}, None, np.zeros(3)])
def test_solve_refuses_anything_else_naming_the_type(bad):
    with pytest.raises(TypeError, match=type(bad).__name__):
        icq.solve(bad)


def test_audit_and_write_report_from_the_top(tmp_path):
    m = icq.load(icq.example_path("author-reviewer-editor"))
    a = icq.audit(m)
    assert isinstance(a, icq.Audit)
    written = icq.write_report(a, tmp_path / "r.md")
    text, _ = icq.render_report(a, "md", {k: f"r-{k}.png" for k in icq.report.FIGURES})
    assert written[-1] == tmp_path / "r.md"
    assert (tmp_path / "r.md").read_text() == text


def test_budget_from_the_top_is_what_icq_budget_prints(capsys):
    """icq.budget: the certificate row is the order statistic of the same runs, the theorem rows
    follow, and the command line prints exactly these rows."""
    m = icq.load(icq.example_path("ring-exact"))
    b = icq.budget(m, 0.1, seeds=59, horizon=20_000, backend="serial")
    runs = run_seeds(m, icq.TrainConfig(), [0.1], horizon=20_000, seeds=certificate_seeds(59),
                     backend="serial")
    assert b.rows[0].handoffs == certificate(runs).handoffs == int(runs.H[:, 0].max())
    assert b.rows[0].details["seed_first"] == CERTIFICATE_SEED_BASE
    assert [r.method for r in b.rows[1:]] == ["A6-free theorem", "Theorem 1"] and b.ok
    path = str(icq.example_path("ring-exact"))
    assert main(["budget", path, "--target", "0.1", "--seeds", "59", "--horizon", "20000",
                 "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    b = icq.budget(m, 0.1, seeds=59, horizon=20_000, backend="serial", model_name="ring-exact.json",
                   model_file=path)

    def timeless(j):  # wall times differ between two runs
        return [{**r, "details": {k: v for k, v in r["details"].items() if k != "seconds"}}
                for r in j["methods"]]
    assert timeless(printed) == timeless(json.loads(json.dumps(b.to_json())))
    assert {k: v for k, v in printed.items() if k != "methods"} == {
        k: v for k, v in b.to_json().items() if k != "methods"}
    with pytest.raises(TargetBelowFloor, match="smallest reachable total error"):
        icq.budget(icq.load(icq.example_path("synthetic-handoff")), 0.5, error="total",
                   seeds=59, horizon=100, backend="serial")


ROOT = Path(__file__).resolve().parents[1]
OURS = ("icq", "reference", "bounds", "experiments")


def private_imports(source: str) -> list[str]:
    """Imports of another package's private names (``pkg._mod`` or ``from pkg import _x``);
    relative imports and our own packages are ours to use."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            mods = [a.name for a in node.names]
            names: list[str] = []
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            mods, names = [node.module], [a.name for a in node.names]
        else:
            continue
        for m in mods:
            if m.split(".")[0] in OURS or m == "__future__":
                continue
            parts = m.split(".")[1:]
            if any(p.startswith("_") for p in parts) or any(
                    n.startswith("_") and not n.startswith("__") for n in names):
                found.append(m)
    return found


def test_no_private_imports_from_other_packages():
    bad = {}
    for folder in ("reference", "bounds", "icq", "experiments"):
        for f in (ROOT / folder).rglob("*.py"):
            hits = private_imports(f.read_text())
            if hits:
                bad[str(f.relative_to(ROOT))] = hits
    assert bad == {}


def test_the_private_import_scan_finds_one():
    # negative control: the import this issue removed from property_tests/strategies.py
    assert private_imports("from hypothesis._settings import is_in_ci") == [
        "hypothesis._settings"]
    assert private_imports("from numpy import _private") == ["numpy"]
    assert private_imports("import os\nfrom .tabular import _pick\nfrom icq.x import _y") == []
