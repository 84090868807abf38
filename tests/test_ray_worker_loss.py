"""A Ray worker killed mid-chunk is retried by Ray (``max_retries``, reference/common/parallel.py)
and the certificate's H is identical to the serial run's; with ``max_retries = 0`` the same kill
loses the chunk (the negative control).

One local Ray instance (``ray.init(num_cpus=2)``); each chunk is the certificate's own worker
function, preceded by a marker file named after the worker's pid and a pause, so that the test
finds the worker running seed 0 and kills it with SIGKILL mid-task.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import ray

from icq.reference.common import parallel
from icq.reference.common.parallel import map_tasks
from icq.reference.learners.montecarlo import _chunk, error_spec, log_grid, run_seeds
from icq.reference.learners.tabular import TrainConfig, kernel_params
from icq.reference.model import example_path, load

HORIZON, SEEDS = 20_000, 4


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    ray.init(num_cpus=2, log_to_driver=False, include_dashboard=False)
    yield
    ray.shutdown()


def _marked_chunk(arg):
    """The certificate's chunk, after leaving ``<seed>-<pid>`` in ``folder`` and pausing."""
    folder, task = arg
    Path(folder, f"{task[7][0]}-{os.getpid()}").touch()
    time.sleep(1.5)
    return _chunk(task)


def _tasks(folder):
    m = load(example_path("ring-exact"))
    spec = error_spec(m, "learning", "sup")
    learner = TrainConfig().spec  # _chunk's task: model, learner, step, error, targets, ...
    return [(str(folder), (m, learner, kernel_params(learner, m), spec, np.array([0.3]), HORIZON,
                           log_grid(HORIZON), [s], True)) for s in range(SEEDS)]


def _kill_seed_0_worker(folder: Path, killed: list[int]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        found = sorted(folder.glob("0-*"))
        if found:
            pid = int(found[0].name.split("-")[1])
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
            return
        time.sleep(0.01)


def _run_with_a_kill(folder: Path):
    killed: list[int] = []
    killer = threading.Thread(target=_kill_seed_0_worker, args=(folder, killed))
    killer.start()
    try:
        return map_tasks(_marked_chunk, _tasks(folder), backend="ray"), killed
    finally:
        killer.join()


def test_a_killed_worker_is_retried_and_h_is_identical(tmp_path):
    want = run_seeds(load(example_path("ring-exact")), TrainConfig(), [0.3], horizon=HORIZON,
                     seeds=SEEDS, chunk=1, backend="serial")
    out, killed = _run_with_a_kill(tmp_path)
    assert killed, "no worker was killed"
    attempts = sorted(p.name for p in tmp_path.glob("0-*"))
    assert len(attempts) == 2 and attempts != [f"0-{killed[0]}"] * 2  # run again elsewhere
    H = np.concatenate([o[0] for o in out])  # noqa: N806
    errors = np.concatenate([o[1] for o in out])
    assert H.tobytes() == want.H.tobytes() and errors.tobytes() == want.errors.tobytes()


def test_negative_control_without_retries_the_chunk_is_lost(tmp_path, monkeypatch):
    monkeypatch.setattr(parallel, "RAY_RETRIES", 0)
    with pytest.raises(ray.exceptions.RayError):
        _run_with_a_kill(tmp_path)
