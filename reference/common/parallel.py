"""Independent tasks over the cores or a Ray cluster, results in input order.

Every sweep in the project (seeds of a Monte-Carlo certificate, replicates of an experiment) is a
list of independent tasks ``fn(task)``. :func:`map_tasks` runs them on one of three backends and
returns the results in the order of ``tasks``, so that a result never depends on the backend:

- ``"serial"``: in this process, one after the other (for debugging and tiny sweeps);
- ``"local"``: a pool of worker processes on this machine (default: one per core);
- ``"ray"``: Ray tasks, on the instance ``ray.init`` connects to. With ``RAY_ADDRESS`` set (or
  ``address="auto"`` passed) that is an existing cluster; otherwise a local instance is started
  with ``workers`` CPUs. An instance that is already initialised is used as it is.

``fn`` must be a module-level function and each task picklable (the usual rule for processes and
Ray).

Fault tolerance. With ``checkpoint=DIR`` each finished task's result is written atomically to
``DIR/task-<index>.npz`` (:mod:`icq.reference.common.archive`: the result bit for bit, the task's
index and :func:`task_digest`, a SHA-256 of the whole archive); with ``resume=True`` the
finished tasks are read back and checked (the digest of the archive, the index, the task's
digest: a folder of another sweep is refused, never mixed in) and only the others run, so a
sweep killed at any moment (SIGKILL included) and resumed returns exactly what an uninterrupted
one returns. On Ray, each task is also retried by Ray when its worker dies
(``max_retries``, :data:`RAY_RETRIES`).

Workers run with one math-library thread each (``torch``, BLAS through the environment variables
a fresh process reads), so that parallel seeds do not oversubscribe the cores.

>>> map_tasks(abs, [-3, 1, -2], backend="serial")
[3, 1, 2]
"""

from __future__ import annotations

import dataclasses
import hashlib
import multiprocessing
import os
import pickle
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from icq.reference.common.archive import ArchiveError, decode, encode, read_archive, write_archive

__all__ = ["BACKENDS", "RAY_RETRIES", "TaskStore", "ensure_ray", "map_tasks", "task_digest"]

#: how often Ray reruns a task whose worker died (``max_retries`` of the remote function)
RAY_RETRIES = 3

#: the backends :func:`map_tasks` accepts
BACKENDS = ("serial", "local", "ray")

_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "NUMBA_NUM_THREADS")


def _one_thread() -> None:
    """Worker initialiser: one math thread per worker process."""
    try:
        # torch: the [neural] extra, present only with the network learners
        import torch
    except ImportError:  # torch is an optional extra
        return
    torch.set_num_threads(1)


def _progress(total: int, enabled: bool):
    if not enabled:
        return None
    return tqdm(total=total, unit="task")


def map_tasks(fn: Callable[[Any], Any], tasks: Sequence[Any], *, backend: str = "local",
              workers: int | None = None, address: str | None = None,
              progress: bool = False, checkpoint: str | os.PathLike | None = None,
              resume: bool = False) -> list[Any]:
    """``[fn(t) for t in tasks]`` on ``backend``, in input order.

    Parameters
    ----------
    fn : a module-level function of one argument
    tasks : the arguments, each picklable
    backend : ``"serial"``, ``"local"`` (processes on this machine) or ``"ray"``
    workers : processes (``local``) or CPUs of a newly started local Ray instance; default: the
        number of cores
    address : Ray only: the cluster to connect to (default ``RAY_ADDRESS``, else a new local
        instance)
    progress : a progress bar over finished tasks
    checkpoint : a folder where each finished task's result is written (see the module
        docstring); created if missing
    resume : read the finished tasks from ``checkpoint`` and run only the others (without it,
        earlier results in the folder are removed first)

    Raises
    ------
    ValueError
        for an unknown backend, ``workers < 1`` or ``resume`` without ``checkpoint``.
    ArchiveError
        a stored result that is damaged or belongs to another sweep.
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend: {backend!r} is not one of {', '.join(BACKENDS)}")
    if workers is not None and workers < 1:
        raise ValueError(f"workers: {workers} must be >= 1")
    if resume and checkpoint is None:
        raise ValueError("resume: needs a checkpoint folder")
    tasks = list(tasks)
    store = None if checkpoint is None else TaskStore(checkpoint, tasks, resume)
    todo = [i for i in range(len(tasks)) if store is None or i not in store.done]
    results: dict[int, Any] = {} if store is None else dict(store.done)
    bar = _progress(len(tasks), progress)
    if bar is not None:
        bar.update(len(results))

    def finished(i: int, result: Any) -> None:
        results[i] = result
        if store is not None:
            store.save(i, result)
        if bar is not None:
            bar.update(1)

    try:
        if backend == "serial" or len(todo) <= 1 or (backend == "local" and workers == 1):
            for i in todo:
                finished(i, fn(tasks[i]))
        elif backend == "local":
            _local(fn, tasks, todo, workers or os.cpu_count() or 1, finished)
        else:
            _ray(fn, tasks, todo, workers, address, finished)
        return [results[i] for i in range(len(tasks))]
    finally:
        if bar is not None:
            bar.close()


def _describe(h: Any, x: Any) -> None:
    """Feed a canonical description of ``x`` into the hash ``h`` (see :func:`task_digest`)."""
    if x is None or isinstance(x, bool | int | str | bytes):
        h.update(f"{type(x).__name__}:{x!r};".encode())
    elif isinstance(x, float):
        h.update(f"float:{x.hex()};".encode())
    elif isinstance(x, np.ndarray | np.generic):
        a = np.ascontiguousarray(x)
        if a.dtype.hasobject:
            raise TypeError("object array")
        h.update(f"array:{a.dtype.str}:{a.shape};".encode())
        h.update(a.tobytes())
    elif isinstance(x, list | tuple):
        h.update(f"{type(x).__name__}:{len(x)};".encode())
        for v in x:
            _describe(h, v)
    elif isinstance(x, dict):
        h.update(f"dict:{len(x)};".encode())
        for k in sorted(x, key=repr):
            _describe(h, k)
            _describe(h, x[k])
    elif dataclasses.is_dataclass(x) and not isinstance(x, type):
        h.update(f"{type(x).__module__}.{type(x).__qualname__};".encode())
        for f in dataclasses.fields(x):
            h.update(f"{f.name}=".encode())
            _describe(h, getattr(x, f.name))
    else:
        raise TypeError(type(x).__name__)


def task_digest(task: Any) -> str:
    """SHA-256 (hex) of what a task is: numbers (floats exactly), strings, arrays (dtype, shape,
    bytes), lists, tuples, dicts and dataclasses (their fields only, so that a cached property
    computed on one side does not change it), recursively; other objects by their pickle.

    >>> task_digest((1, 0.5, "a")) == task_digest((1, 0.5, "a")) != task_digest((1, 0.5, "b"))
    True
    """
    h = hashlib.sha256()
    try:
        _describe(h, task)
    except TypeError:
        h = hashlib.sha256(b"pickle:" + pickle.dumps(task, protocol=5))
    return h.hexdigest()


class TaskStore:
    """The finished tasks of one sweep in a folder (see the module docstring).

    ``done`` holds the results read back on resume, by task index.
    """

    def __init__(self, folder: str | os.PathLike, tasks: list[Any], resume: bool):
        self.folder = Path(folder)
        if self.folder.exists() and not self.folder.is_dir():
            raise ArchiveError(f"{self.folder}: the checkpoint must be a folder, not a file")
        self.keys = [task_digest(t) for t in tasks]
        self.done: dict[int, Any] = {}
        self.folder.mkdir(parents=True, exist_ok=True)
        files = sorted(self.folder.glob("task-*.npz"))
        if not resume:
            for f in files:
                f.unlink()
            return
        for f in files:
            try:
                i = int(f.stem.removeprefix("task-"))
            except ValueError:
                raise ArchiveError(f"{f}: not a task file of this sweep") from None
            self.done[i] = self._read(f, i)

    def path(self, i: int) -> Path:
        return self.folder / f"task-{i:06d}.npz"

    def _read(self, f: Path, i: int) -> Any:
        z = read_archive(f)
        index, key = z.get("__index__"), z.get("__task__")
        if index is None or key is None or index.shape != () or int(index) != i \
                or i >= len(self.keys) or str(key) != self.keys[i]:
            raise ArchiveError(f"{f}: holds the result of another task (another model, "
                               "configuration, seeds or number of tasks): resume only in the "
                               "folder of the same run, or start again without --resume")
        try:
            return decode(z)
        except ArchiveError as exc:
            raise ArchiveError(f"{f}: {exc}") from None

    def save(self, i: int, result: Any) -> None:
        write_archive(self.path(i), {**encode(result), "__index__": np.int64(i),
                                     "__task__": np.array(self.keys[i])})


def _local(fn, tasks, todo, workers, finished) -> None:
    saved = {k: os.environ.get(k) for k in _THREAD_VARS}
    os.environ.update({k: "1" for k in _THREAD_VARS})  # read by the fresh worker processes
    try:
        ctx = multiprocessing.get_context("spawn")  # no fork of a threaded parent
        with ProcessPoolExecutor(max_workers=min(workers, len(todo)), mp_context=ctx,
                                 initializer=_one_thread) as pool:
            pending = {pool.submit(fn, tasks[i]): i for i in todo}
            while pending:
                ready, _ = wait(pending, return_when=FIRST_COMPLETED)
                for f in sorted(ready, key=pending.get):
                    finished(pending.pop(f), f.result())
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def ensure_ray(workers: int | None = None, address: str | None = None) -> None:
    """Connect to Ray unless already connected: to ``address`` (default ``RAY_ADDRESS``, e.g.
    ``"auto"`` or ``"ray://head:10001"`` for a cluster), else a new local instance with
    ``workers`` CPUs (default: the number of cores)."""
    # ray: the [ray] extra, only for the Ray backend
    import ray

    if not ray.is_initialized():
        address = address or os.environ.get("RAY_ADDRESS")
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(num_cpus=workers or os.cpu_count() or 1, log_to_driver=False,
                     include_dashboard=False)


def _ray(fn, tasks, todo, workers, address, finished) -> None:
    # ray: the [ray] extra, only for the Ray backend
    import ray

    ensure_ray(workers, address)
    remote = ray.remote(num_cpus=1, max_retries=RAY_RETRIES)(fn)
    pending = {remote.remote(tasks[i]): i for i in todo}
    while pending:
        ready, _ = ray.wait(list(pending), num_returns=1)
        for ref in ready:
            finished(pending.pop(ref), ray.get(ref))
