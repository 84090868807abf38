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
import subprocess
import sys
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


# --- the floors at run time: a fresh interpreter per floor -------------------------------------

#: the root package ``icq`` is every module's parent; it imports nothing itself (icq/__init__.py)
ROOT_PACKAGE = "icq"


def loaded_above(modules: list[str], level: int, prelude: str = "") -> list[str]:
    """The project modules of a floor above ``level`` that a fresh interpreter has loaded after
    running ``prelude`` and importing ``modules``."""
    code = (f"{prelude}\nimport importlib, sys\nfor m in {modules!r}:\n"
            "    importlib.import_module(m)\n"
            "print('\\n'.join(k for k in sys.modules if k.startswith('icq')))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT).stdout.split()
    return sorted(m for m in out if m != ROOT_PACKAGE and floor(m) > level)


def test_import_icq_loads_no_floor():
    code = "import sys, icq\nprint(sorted(k for k in sys.modules if k.startswith('icq')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT).stdout.strip()
    assert out == "['icq']"


def parser_loads(prelude: str = "") -> list[str]:
    """The modules of the bounds floor and above (but the command modules) that building the
    command line loads in a fresh interpreter: what ``icq --help`` pays for."""
    code = (f"{prelude}\nimport sys\nimport icq.cli\nicq.cli.build_parser()\n"
            "print('\\n'.join(k for k in sys.modules if k.startswith('icq')))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT).stdout.split()
    light = ("icq.cli", "icq.commands", "icq.bounds.constants")
    return sorted(m for m in out if floor(m) >= 4 and m != ROOT_PACKAGE and m != "icq.bounds"
                  and not m.startswith(light))


def test_icq_help_loads_no_bounds_and_no_checks():
    """The command modules import the bounds floor (sympy, scipy.stats, the compiled loops'
    certificates) and the checks (Hypothesis) when a command runs: ``icq --help`` loads only
    the constants it prints (about 0.5 s instead of 1.6 s)."""
    assert parser_loads() == []


def test_the_help_check_catches_an_eager_bounds_import():
    """Negative control: a command module that imported the budgets at its top (as
    ``icq.commands.budget`` did for two constants) is reported."""
    assert "icq.bounds.budgets" in parser_loads(prelude="import icq.bounds.budgets")


@pytest.mark.parametrize("level", [0, 1, 2, 3, 4, 5])
def test_every_module_of_a_floor_loads_only_its_floor_and_below(level):
    """All modules of one floor imported together in a fresh interpreter: none of them pulls
    in a module of a higher floor (function-level and lazy imports run later, if at all)."""
    modules = [m for m in library_files() if floor(m) == level]
    assert modules
    assert loaded_above(modules, level) == []


def test_the_run_time_check_catches_an_eager_upward_load():
    """Negative control: the old ``icq/__init__.py`` imported the solver and the learners; a
    floor-0 import after such an eager load reports floors 2 and 3."""
    bad = loaded_above(["icq.reference.common.io"], 0,
                       prelude="import icq.reference.exact.solve, icq.reference.learners.tabular")
    assert "icq.reference.exact.solve" in bad and "icq.reference.learners.tabular" in bad


# --- no import cycles, no private names across modules -----------------------------------------

def _type_checking_only(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"))


def _run_time_nodes(tree: ast.AST):
    """Every node that runs at some point: all but the bodies of ``if TYPE_CHECKING:``."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if _type_checking_only(child):
                stack.extend(child.orelse)
            else:
                stack.append(child)


def module_imports(source: str, module: str, is_package: bool, modules: set[str]
                   ) -> list[tuple[int, str, str | None]]:
    """``(line, module, name)`` for every run-time import of project code: ``import m``,
    ``from m import name`` (``name`` None when it is a submodule) and
    ``importlib.import_module("m")`` or an f-string prefix of one (every module under the
    prefix), at any depth."""
    here = module.split(".") if is_package else module.split(".")[:-1]
    found: list[tuple[int, str, str | None]] = []
    for node in _run_time_nodes(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name, None) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(here[: len(here) - node.level + 1] + ([base] if base else []))
            for a in node.names:
                sub = f"{base}.{a.name}"
                found.append((node.lineno, sub, None) if sub in modules
                             else (node.lineno, base, a.name))
        elif (isinstance(node, ast.Call) and node.args
              and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"):
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.append((node.lineno, arg.value, None))
            elif isinstance(arg, ast.JoinedStr):
                prefix = "".join(v.value for v in arg.values if isinstance(v, ast.Constant))
                found += [(node.lineno, m, None) for m in sorted(modules)
                          if m.startswith(prefix.rstrip(".") + ".")]
    return [f for f in found if f[1] == "icq" or f[1].startswith("icq.")]


def import_graph(files: dict[str, Path]) -> tuple[dict[str, set[str]], list[str]]:
    """The module graph (module → modules it imports) and every import of another module's
    private name (``from x import _y``)."""
    modules = set(files)
    graph: dict[str, set[str]] = {m: set() for m in files}
    private = []
    for module, path in files.items():
        for line, target, name in module_imports(path.read_text(), module,
                                                 path.name == "__init__.py", modules):
            if target in modules and target != module:
                graph[module].add(target)
            if name and name.startswith("_") and not name.startswith("__") and target != module:
                private.append(f"{path.name}:{line}: {module} imports {target}.{name}")
    return graph, private


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


#: private names still imported across modules, and why (none: a name shared across modules is
#: public)
ALLOWED_PRIVATE: set[str] = set()


def test_no_import_cycle_and_no_private_name_across_modules():
    graph, private = import_graph(library_files())
    assert cycles(graph) == []
    assert [p for p in private if p.rsplit(" ", 1)[1] not in ALLOWED_PRIVATE] == []


def test_the_cycle_check_sees_function_level_and_importlib_imports(tmp_path):
    """Negative control: a cycle closed by an import inside a function, one closed by
    ``importlib.import_module`` with an f-string, and a private import are all reported."""
    (tmp_path / "a.py").write_text("from icq.x.b import f\n")
    (tmp_path / "b.py").write_text("def f():\n    from icq.x.a import g\n    return g\n")
    (tmp_path / "cli.py").write_text(
        "import importlib\nfor n in ('c',):\n    importlib.import_module(f'icq.y.{n}')\n")
    (tmp_path / "c.py").write_text("from icq.y.cli import _helper\n")
    (tmp_path / "d.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from icq.x.a import g\n")
    files = {"icq.x.a": tmp_path / "a.py", "icq.x.b": tmp_path / "b.py",
             "icq.y.cli": tmp_path / "cli.py", "icq.y.c": tmp_path / "c.py",
             "icq.x.d": tmp_path / "d.py"}
    graph, private = import_graph(files)
    assert cycles(graph) == [["icq.x.a", "icq.x.b"], ["icq.y.c", "icq.y.cli"]]
    assert private == ["c.py:1: icq.y.c imports icq.y.cli._helper"]
    assert graph["icq.x.d"] == set()  # annotations only: not a run-time import


# --- an import inside a function says why ------------------------------------------------------

#: the folders whose Python files are checked: the library, its tests, benchmarks and tools
CHECKED_FOLDERS = (*FOLDERS.values(), "tests", "benchmarks", "tools")


def _in_an_import_block(text: str) -> bool:
    """An import line, or a continuation line of a parenthesized ``from … import (…)``."""
    return (text.startswith(("import ", "from ")) or text.endswith(("(", ",")) or text == ")"
            or (bool(text) and text[0].isidentifier() and text.endswith(",")))


def unexplained_function_imports(path: Path, source: str | None = None) -> list[str]:
    """``path:line`` of every import inside a function body that states no reason: no ``#``
    comment on its line, nor in the comment lines directly above its contiguous block of import
    lines."""
    source = path.read_text(encoding="utf-8") if source is None else source
    lines = source.splitlines()
    found: set[int] = set()
    for fn in ast.walk(ast.parse(source)):
        if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            found |= {n.lineno for n in ast.walk(fn) if isinstance(n, ast.Import | ast.ImportFrom)}
    bad = []
    for line in sorted(found):
        k, reason = line - 2, "#" in lines[line - 1]
        while k >= 0 and not reason:
            text = lines[k].strip()
            if text.startswith("#"):
                reason = True
            elif not _in_an_import_block(text):
                break
            k -= 1
        if not reason:
            bad.append(f"{path}:{line}")
    return bad


def test_every_function_level_import_states_why():
    """An import inside a function says why, on its line or on the line above its block: an
    optional extra (torch, ray, matplotlib, ...) or the run-time floors (``icq --help`` stays
    fast); a cycle is never the reason (the cycle check above counts these imports too)."""
    files = sorted(p for folder in CHECKED_FOLDERS for p in (ROOT / folder).rglob("*.py"))
    assert len(files) > 200  # the walk found the library and its tests
    bad = [b for p in files for b in unexplained_function_imports(p.relative_to(ROOT),
                                                                   p.read_text(encoding="utf-8"))]
    assert bad == []


def test_the_check_catches_an_unexplained_function_level_import(tmp_path):
    """Negative control: an import inside a function with no reason is reported (also one
    nested in a method and one below a reasoned import, past a blank line); one with a comment
    on its line or above its block, and a top-level import, are not."""
    bad = tmp_path / "bad.py"
    bad.write_text("import os\n\n\ndef f():\n    import json\n    return json\n\n\n"
                   "class C:\n    def g(self):\n        # torch: the [neural] extra\n"
                   "        import torch\n\n        from icq.cli import main\n"
                   "        return torch, main\n")
    assert unexplained_function_imports(bad) == [f"{bad}:5", f"{bad}:14"]
    ok = tmp_path / "ok.py"
    ok.write_text("def f():\n    # ray: the [ray] extra\n    from icq.bounds.ais import (\n"
                  "        delta_l1,\n    )\n    import ray\n\n"
                  "    import matplotlib  # matplotlib: the [report] extra\n"
                  "    return ray, matplotlib, delta_l1\n")
    assert unexplained_function_imports(ok) == []
