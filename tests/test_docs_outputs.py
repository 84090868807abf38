"""Docs that run (``tools/docs_outputs.py``): every output block of README.md and docs/*.md is
the output of its command, or says why it is not run. Negative controls: drifted, unclaimed,
reordered and masked blocks on small files with cheap commands."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _load():
    spec = importlib.util.spec_from_file_location("icq_docs_outputs",
                                                  ROOT / "tools" / "docs_outputs.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


docs = _load()


def test_every_shown_output_matches_its_command():
    problems, notes = docs.check()
    assert problems == [], "\n\n".join(problems)
    assert all("not run:" in n for n in notes)


def _doc(tmp_path, text: str) -> Path:
    d = tmp_path / "repo"
    d.mkdir(exist_ok=True)
    p = d / "doc.md"
    p.write_text(text)
    return p


def _check(monkeypatch, path: Path, **kw):
    monkeypatch.setattr(docs, "ROOT", path.parent)
    return docs.check([path], **kw)


def test_a_matching_block_passes_and_a_drifted_one_fails(tmp_path, monkeypatch):
    ok = _doc(tmp_path, "```bash\necho 'a 1'; echo 'b 2'\n```\n\n```\na 1\nb 2\n```\n")
    assert _check(monkeypatch, ok) == ([], [])
    bad = _doc(tmp_path, "```bash\necho 'a 1'; echo 'b 2'\n```\n\n```\na 1\nb 3\n```\n")
    (p,) = _check(monkeypatch, bad)[0]
    assert "differs" in p and "+b 2" in p


def test_an_unclaimed_output_block_fails_and_not_run_is_reported(tmp_path, monkeypatch):
    bare = _doc(tmp_path, "text\n\n```\nsome output\n```\n")
    (p,) = _check(monkeypatch, bare)[0]
    assert "no command claims" in p
    excused = _doc(tmp_path, "text\n\n<!-- not-run: a file's text -->\n```\nsome output\n```\n")
    assert _check(monkeypatch, excused) == ([], ["doc.md:5: not run: a file's text"])


def test_lines_mode_needs_the_lines_in_order_and_ignores_annotations(tmp_path, monkeypatch):
    cmd = "printf 'x 1\\ny 2\\nz 3\\n'"
    ok = _doc(tmp_path, f"<!-- shows-lines: {cmd} -->\n```\nx   1   # first\nz 3\n```\n")
    assert _check(monkeypatch, ok)[0] == []
    swapped = _doc(tmp_path, f"<!-- shows-lines: {cmd} -->\n```\nz 3\nx 1\n```\n")
    (p,) = _check(monkeypatch, swapped)[0]
    assert "`x 1` is not a line" in p
    changed = _doc(tmp_path, f"<!-- shows-lines: {cmd} -->\n```\ny 5\n```\n")
    (p,) = _check(monkeypatch, changed)[0]
    assert "the output has `y 2`" in p


def test_durations_are_masked_and_nothing_else(tmp_path, monkeypatch):
    timed = _doc(tmp_path, "<!-- shows: echo 'took 3.2 s, 12 states' -->\n```\n"
                           "took 9.9 s, 12 states\n```\n")
    assert _check(monkeypatch, timed)[0] == []
    count = _doc(tmp_path, "<!-- shows: echo 'took 3.2 s, 12 states' -->\n```\n"
                           "took 3.2 s, 13 states\n```\n")
    assert len(_check(monkeypatch, count)[0]) == 1


def test_update_regenerates_full_and_lines_blocks(tmp_path, monkeypatch):
    cmd = "printf 'x 1\\ny 2 new\\n'"
    path = _doc(tmp_path, f"```bash\n{cmd}\n```\n\n```\nold\n```\n\n"
                          f"<!-- shows-lines: {cmd} -->\n```\ny 7  # note\n```\n")
    assert len(_check(monkeypatch, path)[0]) == 2
    assert _check(monkeypatch, path, update=True)[0] == []
    text = path.read_text()
    assert "x 1\ny 2 new\n```" in text and "y 2 new  # note" in text
