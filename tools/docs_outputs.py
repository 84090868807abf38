#!/usr/bin/env python3
"""Docs that run: every output shown in README.md and docs/*.md is the output of its command.

Run from the repository root::

    python tools/docs_outputs.py            # check; exit status 1 and a diff on any drift
    python tools/docs_outputs.py --update   # rewrite the shown outputs from fresh runs

``tests/test_docs_outputs.py`` runs the check. An **output block** is a fenced block with no
language or the language ``text``. Each one must be claimed in one of three ways:

1. it follows a ```` ```bash ```` block holding one command (lines joined at a trailing ``\\``),
   with only blank lines between: the whole output of that command is shown (**full**);
2. the line before it is ``<!-- shows: COMMAND -->`` (**full**) or
   ``<!-- shows-lines: COMMAND -->`` (**lines**: a selection of the output's lines, in order;
   a trailing ``  # …`` on a shown line is an annotation and not compared);
3. the line before it is ``<!-- not-run: REASON -->``: the block is not a command's output
   run here (e.g. a file's text, or output on a file the text only describes); the reason is
   reported.

A block that is none of these fails the check, so a new output block cannot go unchecked.

Commands run in the repository root with ``bash -c``, the interpreter's ``bin`` directory first
on ``PATH`` (so ``icq`` is the one of this checkout), stdout and stderr together, any exit status
accepted; each distinct command runs once.

**Masking rule** (the only numbers not compared): durations, i.e. a number followed by ``s``,
``ms``, ``min`` or ``seconds`` as a word (``12.3 s``, ``450ms``), become ``<time>`` in the shown
and in the actual output alike; trailing spaces are dropped and, in lines mode, runs of spaces
are collapsed. Everything else, every other number included, must match exactly. The printed
numbers are deterministic (fixed seeds), so anything that differs is drift.

``--update`` rewrites full blocks with the fresh output and, in lines mode, replaces each shown
line by the next output line with the same text once numbers are ignored, or else with the same
first word (keeping its annotation);
run it after merging branches that change what commands print, then review the diff.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 1800  # seconds per command

_FENCE = re.compile(r"^```(\w*)\s*$")
_SHOWS = re.compile(r"^<!--\s*(shows|shows-lines|not-run):\s*(.*?)\s*-->\s*$")
_TIME = re.compile(r"\b\d+(?:\.\d+)?\s?(?:ms|s|min|seconds)\b")
_NUM = re.compile(r"[-+]?(?:\d[\d,]*\.?\d*(?:e[-+]?\d+)?|\.\d+)")


@dataclass
class Block:
    """One output block: its file, line range (0-based, fences excluded), text and claim."""

    path: Path
    start: int
    end: int
    text: str
    mode: str  # "full", "lines", "not-run" or "" (unclaimed)
    command: str  # the command, or the not-run reason

    @property
    def where(self) -> str:
        """``FILE:LINE`` of the block's first line, the file relative to the repository."""
        return f"{self.path.relative_to(ROOT)}:{self.start + 1}"


def doc_files(root: Path = ROOT) -> list[Path]:
    """README.md and docs/*.md."""
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def parse(path: Path) -> list[Block]:
    """The output blocks of one Markdown file, each with its claim."""
    lines = path.read_text().splitlines()
    fences: list[tuple[str, int, int]] = []  # (language, first content line, end line)
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if m:
            j = i + 1
            while j < len(lines) and not lines[j].startswith("```"):
                j += 1
            fences.append((m.group(1), i + 1, j))
            i = j + 1
        else:
            i += 1
    blocks: list[Block] = []
    for k, (lang, a, b) in enumerate(fences):
        if lang not in ("", "text"):
            continue
        text = "\n".join(lines[a:b])
        mode, command = "", ""
        before = lines[a - 2] if a >= 2 else ""
        m = _SHOWS.match(before)
        if m:
            mode = {"shows": "full", "shows-lines": "lines", "not-run": "not-run"}[m.group(1)]
            command = m.group(2)
        elif k > 0 and fences[k - 1][0] == "bash":
            pa, pb = fences[k - 1][1], fences[k - 1][2]
            between = lines[pb + 1:a - 1]
            cmd_lines = [ln for ln in lines[pa:pb] if ln.strip()]
            joined = " ".join(ln.rstrip("\\").strip() for ln in cmd_lines)
            single = all(ln.rstrip().endswith("\\") for ln in cmd_lines[:-1])
            if not any(ln.strip() for ln in between) and single:
                mode, command = "full", joined
        blocks.append(Block(path, a, b, text, mode, command))
    return blocks


def mask(text: str) -> str:
    """The masking rule of the module docstring (durations), trailing spaces dropped."""
    return "\n".join(_TIME.sub("<time>", ln).rstrip() for ln in text.strip("\n").splitlines())


def _collapse(line: str) -> str:
    return " ".join(line.split())


def _annotation_split(line: str) -> tuple[str, str]:
    i = line.find("  # ")
    return (line[:i].rstrip(), line[i:]) if i >= 0 else (line.rstrip(), "")


def _key(line: str) -> str:
    return _collapse(_NUM.sub("<n>", _TIME.sub("<time>", line)))


def run(command: str, cache: dict[str, str]) -> str:
    """The output of ``command`` (stdout and stderr), cached by command."""
    if command not in cache:
        env = dict(os.environ)
        env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
        env.setdefault("COLUMNS", "200")
        res = subprocess.run(["bash", "-c", command], cwd=ROOT, capture_output=True, text=True,
                             timeout=TIMEOUT, env=env)
        cache[command] = res.stdout + res.stderr
    return cache[command]


def problems_of(block: Block, actual: str) -> list[str]:
    """Why the shown ``block`` differs from ``actual`` (empty when it matches)."""
    where = block.where
    shown = mask(block.text)
    if block.mode == "full":
        got = mask(actual)
        if shown == got:
            return []
        diff = "\n".join(difflib.unified_diff(shown.splitlines(), got.splitlines(), "shown",
                                              "actual", lineterm="", n=1))
        return [f"{where}: the output of `{block.command}` differs:\n{diff}"]
    out = [_collapse(ln) for ln in mask(actual).splitlines()]
    pos = 0
    for ln in shown.splitlines():
        want = _collapse(_annotation_split(ln)[0])
        if not want:
            continue
        try:
            pos = out.index(want, pos) + 1
        except ValueError:
            near = [o for o in out if _key(o) == _key(want)]
            hint = f" (the output has `{near[0]}`)" if near else ""
            return [f"{where}: `{want}` is not a line of the output of `{block.command}` "
                    f"after the previous shown line{hint}"]
    return []


def updated(block: Block, actual: str) -> str:
    """The block's text regenerated from ``actual``."""
    if block.mode == "full":
        return "\n".join(ln.rstrip() for ln in actual.strip("\n").splitlines())
    out = [ln.rstrip() for ln in actual.splitlines()]
    new, pos = [], 0
    for ln in block.text.splitlines():
        body, note = _annotation_split(ln)
        words = body.split()
        hit = next((i for i in range(pos, len(out)) if _key(out[i]) == _key(body)), None)
        if hit is None and words:  # a changed layout: the next line with the same first word
            hit = next((i for i in range(pos, len(out)) if out[i].split()[:1] == words[:1]),
                       None)
        if hit is None:
            new.append(ln)
        else:
            new.append(out[hit] + note)
            pos = hit + 1
    return "\n".join(new)


def check(files: list[Path] | None = None, *, update: bool = False,
          cache: dict[str, str] | None = None) -> tuple[list[str], list[str]]:
    """``(problems, notes)``: drift and unclaimed blocks, and the not-run reasons.

    With ``update`` the files are rewritten (full and lines blocks) before checking again.
    """
    cache = {} if cache is None else cache
    problems: list[str] = []
    notes: list[str] = []
    for path in files or doc_files():
        blocks = parse(path)
        if update:
            lines = path.read_text().splitlines()
            for b in reversed(blocks):
                if b.mode in ("full", "lines"):
                    lines[b.start:b.end] = updated(b, run(b.command, cache)).splitlines()
            path.write_text("\n".join(lines) + "\n")
            blocks = parse(path)
        for b in blocks:
            if b.mode == "":
                problems.append(f"{b.where}: an output block that no command claims (precede it "
                                f"with a bash block, <!-- shows: … -->, <!-- shows-lines: … --> "
                                f"or <!-- not-run: reason -->)")
            elif b.mode == "not-run":
                notes.append(f"{b.where}: not run: {b.command}")
            else:
                problems += problems_of(b, run(b.command, cache))
    return problems, notes


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--update", action="store_true", help="rewrite the shown outputs")
    p.add_argument("files", nargs="*", type=Path, help="Markdown files (default: README.md, "
                   "docs/*.md)")
    args = p.parse_args(argv)
    files = [f.resolve() for f in args.files] or None
    problems, notes = check(files, update=args.update)
    for n in notes:
        print(n)
    for pr in problems:
        print(pr, file=sys.stderr)
    print(f"{'updated; ' if args.update else ''}{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
