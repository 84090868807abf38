"""The Python snippets of docs/property-testing.md, section "Checking your own IC-SMDP", run as
written (docs/contributing.md, "Documentation"), on a bundled example saved as
``my-icsmdp.json``."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from icq.reference.model import example_path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "property-testing.md"
README = ROOT / "README.md"


def _section_snippets(doc: Path = DOC) -> list[str]:
    text = doc.read_text(encoding="utf-8")
    start = text.index("## Checking your own IC-SMDP")
    end = text.find("\n## ", start + 1)
    section = text[start:end if end >= 0 else None]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def test_section_has_a_pytest_example_of_at_most_five_lines():
    first = _section_snippets()[0]
    lines = [ln for ln in first.splitlines() if ln.strip()]
    assert len(lines) <= 5, first
    assert "def test_" in first and "check_model" in first


@pytest.mark.parametrize("k", range(len(_section_snippets())))
def test_snippet_runs_as_a_test(k, tmp_path, monkeypatch):
    shutil.copy(example_path("author-reviewer-editor"), tmp_path / "my-icsmdp.json")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": f"doc_snippet_{k}"}
    exec(compile(_section_snippets()[k], f"{DOC.name}[{k}]", "exec"), namespace)
    tests = [f for name, f in namespace.items() if name.startswith("test_") and callable(f)]
    assert tests, "the snippet defines no test"
    for f in tests:
        f()


def test_readme_example_is_the_documented_one_and_runs(tmp_path, monkeypatch):
    """The README's "Checking your own IC-SMDP" example (issue: a 5-line pytest example that is
    itself run as a test)."""
    snippet = _section_snippets(README)[0]
    assert snippet == _section_snippets()[0]
    assert len([ln for ln in snippet.splitlines() if ln.strip()]) <= 5
    shutil.copy(example_path("author-reviewer-editor"), tmp_path / "my-icsmdp.json")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "readme_snippet"}
    exec(compile(snippet, "README.md", "exec"), namespace)
    namespace["test_my_icsmdp_satisfies_the_theory"]()
