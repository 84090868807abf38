"""Certificate runs survive faults (reference/common/parallel.py, "Fault tolerance").

- A certificate sweep (:func:`run_seeds`, one seed per task) in a subprocess is killed with
  SIGKILL at random moments, 20 times, each time resumed from its checkpoint folder: the final
  H and error curves are identical, bit for bit, to an uninterrupted run.
- ``icq budget --checkpoint DIR --resume`` gives the uninterrupted command's answer; a folder of
  another run is refused with exit 2.
- A finished task's file that is damaged or edited is refused, never resumed.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from icq.cli import main
from icq.reference.common.archive import ArchiveError
from icq.reference.common.parallel import map_tasks
from icq.reference.learners.montecarlo import run_seeds
from icq.reference.learners.tabular import TrainConfig
from icq.reference.model import example_path, load

HORIZON, SEEDS = 200_000, 80
DRIVER = f"""
import hashlib, sys
from icq.reference.learners.montecarlo import run_seeds
from icq.reference.learners.tabular import TrainConfig
from icq.reference.model import example_path, load
r = run_seeds(load(example_path("ring-exact")), TrainConfig(), [0.3], horizon={HORIZON},
              seeds={SEEDS}, chunk=1, backend="serial", checkpoint=sys.argv[1],
              resume=sys.argv[2] == "resume")
print(hashlib.sha256(r.H.tobytes() + r.errors.tobytes()).hexdigest())
"""


def digest(r) -> str:
    return hashlib.sha256(r.H.tobytes() + r.errors.tobytes()).hexdigest()


@pytest.mark.slow  # 21 interpreter start-ups: about a minute on a busy machine
def test_twenty_sigkills_then_resume_give_the_uninterrupted_result(tmp_path):
    want = digest(run_seeds(load(example_path("ring-exact")), TrainConfig(), [0.3],
                            horizon=HORIZON, seeds=SEEDS, chunk=1, backend="serial"))
    folder = tmp_path / "ck"
    rnd = random.Random(7)
    progress = []
    for k in range(20):
        before = len(list(folder.glob("task-*.npz")))
        p = subprocess.Popen([sys.executable, "-c", DRIVER, str(folder),
                              "resume" if k else "fresh"], stdout=subprocess.PIPE)
        deadline = time.monotonic() + 120
        # a random moment once this run has made progress (its start-up takes seconds)
        while len(list(folder.glob("task-*.npz"))) <= before and p.poll() is None \
                and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(rnd.uniform(0.0, 0.15))
        p.send_signal(signal.SIGKILL)
        p.wait()
        progress.append(len(list(folder.glob("task-*.npz"))))
    out = subprocess.run([sys.executable, "-c", DRIVER, str(folder), "resume"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[0] == want
    # every kill landed mid-sweep: after some progress, before the end
    assert progress == sorted(progress) and progress[-1] < SEEDS, progress
    assert len(set(progress)) == 20, progress


def _square(x):
    return np.array([x * x], dtype=np.float64), {"x": x / 3}


def test_resume_reads_back_what_was_written_bit_for_bit(tmp_path):
    tasks = [0.1 * i for i in range(6)]
    first = map_tasks(_square, tasks, backend="serial", checkpoint=tmp_path)
    (tmp_path / "task-000002.npz").unlink()
    again = map_tasks(_square, tasks, backend="serial", checkpoint=tmp_path, resume=True)
    for a, b in zip(first, again, strict=True):
        assert a[0].tobytes() == b[0].tobytes() and a[1] == b[1]


def test_a_damaged_or_foreign_task_file_is_refused(tmp_path):
    tasks = [1.0, 2.0, 3.0]
    map_tasks(_square, tasks, backend="serial", checkpoint=tmp_path)
    f = tmp_path / "task-000001.npz"
    good = f.read_bytes()
    with pytest.raises(ArchiveError, match="another task"):  # another sweep's folder
        map_tasks(_square, [1.0, 2.5, 3.0], backend="serial", checkpoint=tmp_path, resume=True)
    blob = bytearray(good)
    blob[len(blob) // 2] ^= 0xFF
    f.write_bytes(bytes(blob))
    with pytest.raises(ArchiveError):
        map_tasks(_square, tasks, backend="serial", checkpoint=tmp_path, resume=True)
    f.write_bytes(good)  # negative control: the intact file resumes
    assert map_tasks(_square, tasks, backend="serial", checkpoint=tmp_path, resume=True)[1][1] \
        == {"x": 2.0 / 3}


def test_icq_budget_resume_gives_the_uninterrupted_answer(tmp_path, capsys):
    ring = str(example_path("ring-exact"))
    base = ["budget", ring, "--target", "0.3", "--horizon", "20000", "--seeds", "60", "--json"]

    def answer(*extra) -> dict:
        rc = main([*base, *extra])
        res = json.loads(capsys.readouterr().out)
        assert rc == res["exit"]
        for m in res["methods"]:
            m.get("details", {}).pop("seconds", None)
        return res

    want = answer()
    ck = tmp_path / "ck"
    assert answer("--checkpoint", str(ck)) == want
    files = sorted(ck.glob("task-*.npz"))
    assert len(files) > 2
    for f in files[::2]:
        os.unlink(f)
    assert answer("--checkpoint", str(ck), "--resume") == want
    assert main([*base[:-3], "--seeds", "59", "--checkpoint", str(ck), "--resume"]) == 2
    assert "another task" in capsys.readouterr().err
