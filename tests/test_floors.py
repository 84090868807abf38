"""The house rules of the layout: imports only go down the floors, every package is installed,
no library file is longer than a reader can hold.

Floors, bottom up (README "Layout"): common ← model ← exact ← learners (all in ``reference/``)
← ``bounds/`` ← ``property_tests/`` (the checks) ← ``icq/`` (API, command line, reports) and
``experiments/`` (the paper's experiments, which ``icq reproduce`` runs). Every import of
project code is checked, also one inside a function.
"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: package → folder, as in pyproject.toml's package-dir
FOLDERS = {"icq.reference": "reference", "icq.bounds": "bounds",
           "icq.property_tests": "property_tests", "icq.experiments": "experiments", "icq": "icq"}
#: module-name prefix → floor; the longest matching prefix decides
FLOORS = {"icq.reference": 0, "icq.reference.common": 0, "icq.reference.model": 1,
          "icq.reference.exact": 2, "icq.reference.learners": 3, "icq.bounds": 4,
          "icq.property_tests": 5, "icq": 6, "icq.experiments": 6, "icq.integrations": 6}
#: no library source file is longer than this (lines)
MAX_LINES = 600


def floor(module: str) -> int:
    best = max((p for p in FLOORS if module == p or module.startswith(p + ".")), key=len)
    return FLOORS[best]


def library_files() -> dict[str, Path]:
    """Module name → file for every library module (the pytest files are not library)."""
    out = {}
    for pkg, folder in FOLDERS.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT / folder)
            if "tests" in rel.parts or (pkg == "icq" and rel.parts[0] in ("examples", "schema")):
                continue
            parts = [p for p in rel.with_suffix("").parts if p != "__init__"]
            out[".".join([pkg, *parts])] = path
    return out


def project_imports(source: str, module: str, is_package: bool) -> list[tuple[int, str]]:
    """``(line, imported module)`` for every import of project code in ``source``, relative
    imports resolved, at any depth (inside functions and ``if`` blocks too)."""
    here = module.split(".") if is_package else module.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(here[: len(here) - node.level + 1] + ([base] if base else []))
            found += [(node.lineno, f"{base}.{a.name}") for a in node.names]
    return [(line, name) for line, name in found if name == "icq" or name.startswith("icq.")]


def upward_imports(files: dict[str, Path]) -> list[str]:
    bad = []
    for module, path in files.items():
        for line, name in project_imports(path.read_text(), module, path.name == "__init__.py"):
            if floor(name) > floor(module):
                bad.append(f"{path.name}:{line}: {module} (floor {floor(module)}) "
                           f"imports {name} (floor {floor(name)})")
    return bad


def test_no_import_crosses_a_floor_upward():
    files = library_files()
    assert len(files) > 80  # the walk found the library
    assert upward_imports(files) == []


def test_the_check_catches_an_upward_import_even_inside_a_function(tmp_path):
    """Negative control: a learner that reaches the bounds inside a function is reported, as is
    a relative import that climbs out of its floor."""
    learner = tmp_path / "learner.py"
    learner.write_text("def f():\n    from icq.bounds.theorem import theorem1\n")
    relative = tmp_path / "model_part.py"
    relative.write_text("from ..exact.solve import solve\n")
    bad = upward_imports({"icq.reference.learners.x": learner,
                          "icq.reference.model.y": relative})
    assert len(bad) == 2
    assert "imports icq.bounds.theorem.theorem1 (floor 4)" in bad[0]
    assert "imports icq.reference.exact.solve.solve (floor 2)" in bad[1]
    ok = tmp_path / "ok.py"
    ok.write_text("from icq.reference.model import EpochModel\n")
    assert upward_imports({"icq.bounds.z": ok}) == []


@pytest.mark.parametrize("module, expected", [
    ("icq.reference.common.io", 0), ("icq.reference.model.primitive", 1),
    ("icq.reference.exact.mixing", 2), ("icq.reference.learners.neural", 3),
    ("icq.bounds.theorem", 4), ("icq.property_tests.strategies", 5), ("icq.cli", 6),
    ("icq.report.figures", 6), ("icq.experiments.t1.runner", 6)])
def test_floor_of_a_module(module, expected):
    assert floor(module) == expected


def test_every_package_folder_is_installed():
    """pyproject.toml lists every folder with an ``__init__.py`` under the package roots (a
    non-editable install would miss the others)."""
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert cfg["package-dir"] == {k: v for k, v in FOLDERS.items()}
    found = {m for m, p in library_files().items() if p.name == "__init__.py"}
    assert set(cfg["packages"]) == found


def test_no_library_file_is_longer_than_a_reader_can_hold():
    long = {str(p.relative_to(ROOT)): n for p in library_files().values()
            if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}


def layout_rows() -> dict[str, tuple[str, str]]:
    """README "Layout": folder → (floor, text) for each row naming one package folder."""
    text = (ROOT / "README.md").read_text().split("## Layout", 1)[1]
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and (m := re.match(r"`([\w/]+/)`", cells[1])):
            rows[m.group(1)] = (cells[0], cells[2])
    return rows


def package_folders() -> dict[str, str]:
    """Folder (as the README writes it) → package, for every library package with modules of
    its own, except the experiments' subpackages."""
    out = {}
    for module, path in library_files().items():
        if (path.name == "__init__.py" and not module.startswith("icq.experiments.")
                and len(list(path.parent.glob("*.py"))) > 1):
            out[str(path.parent.relative_to(ROOT)) + "/"] = module
    return out


def test_readme_layout_names_every_package_its_floor_and_its_modules():
    rows, folders = layout_rows(), package_folders()
    assert set(folders) <= set(rows), set(folders) - set(rows)
    for folder, package in folders.items():
        floor_cell, what = rows[folder]
        assert floor_cell == str(floor(package)), (folder, floor_cell)
        named = set(re.findall(r"`([\w]+)`", what))
        modules = {p.stem for p in (ROOT / folder).glob("*.py") if p.stem != "__init__"}
        assert modules <= named, (folder, modules - named)
    assert all((ROOT / f).is_dir() for f in rows), [f for f in rows if not (ROOT / f).is_dir()]
