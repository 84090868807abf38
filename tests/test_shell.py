"""The shell's conventions of the ``icq`` command line (icq/cli.py), each through a subprocess:
a closed pipe ends quietly with status 0, an unwritable output exits 2 naming the path, an
output equal to an input is refused, ``-`` reads standard input (and ``-o -`` writes the model to
standard output).
"""

from __future__ import annotations

import json
import subprocess
import sys

from icq.reference.model import example_path

RING = str(example_path("ring-exact"))
TRACE = ('{"episode": "e1", "t": 0, "agent": "a", "obs": "x", "successor": "b", "duration": 1, '
         '"reward": 0.5, "next_agent": "b", "next_obs": "y"}\n'
         '{"episode": "e1", "t": 1, "agent": "b", "obs": "y", "successor": "END", '
         '"duration": 2, "reward": 1.0, "next_agent": null, "next_obs": null}\n')


def icq(*args: str, stdin: str | None = None, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "icq", *args], input=stdin, text=True,
                          capture_output=True, cwd=cwd, timeout=120)


def test_a_closed_pipe_ends_quietly_with_status_0():
    p = subprocess.Popen([sys.executable, "-m", "icq", "solve", RING], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    p.stdout.close()  # the reader is gone before the first line is written
    err = p.stderr.read().decode()
    assert p.wait(timeout=120) == 0, err
    assert err == ""


def test_the_negative_control_a_pipe_left_open_prints_the_output():
    """The same command with the pipe read: output arrives (the quiet exit is not silence)."""
    out = icq("solve", RING)
    assert out.returncode == 0 and out.stdout.startswith("ring-exact")


def test_an_unwritable_output_exits_2_naming_the_path(tmp_path):
    (tmp_path / "t.jsonl").write_text(TRACE)
    (tmp_path / "plain").write_text("a file, not a folder")
    for target in (".", "plain/m.json"):
        out = icq("fit", "t.jsonl", "-o", target, "--gamma", "0.9", cwd=tmp_path)
        assert out.returncode == 2, out.stderr
        assert f"{target}: cannot write the output" in out.stderr
        assert "internal error" not in out.stderr
    rep = icq("audit", RING, "--report", str(tmp_path / "plain" / "r.html"))
    assert rep.returncode == 2 and "r.html" in rep.stderr, rep.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain", "t.jsonl"]


def test_an_output_equal_to_an_input_is_refused(tmp_path):
    log = tmp_path / "t.jsonl"
    log.write_text(TRACE)
    out = icq("fit", str(log), "-o", str(log), "--gamma", "0.9")
    assert out.returncode == 2 and "is the input traces" in out.stderr, out.stderr
    assert log.read_text() == TRACE  # the log is intact
    other = icq("fit", str(log), "-o", str(tmp_path / "m.json"), "--gamma", "0.9")
    assert other.returncode == 0, other.stderr  # negative control: a distinct output is fine


def test_fit_reads_standard_input_and_writes_standard_output(tmp_path):
    (tmp_path / "t.jsonl").write_text(TRACE)
    from_file = icq("fit", "t.jsonl", "-o", "m.json", "--gamma", "0.9", "--name", "x",
                    cwd=tmp_path)
    assert from_file.returncode == 0, from_file.stderr
    piped = icq("fit", "-", "-o", "-", "--gamma", "0.9", "--name", "x", stdin=TRACE)
    assert piped.returncode == 0, piped.stderr
    assert json.loads(piped.stdout) == json.loads((tmp_path / "m.json").read_text())
