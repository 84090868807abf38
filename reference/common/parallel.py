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
Ray). Workers run with one math-library thread each (``torch``, BLAS through the environment
variables a fresh process reads), so that parallel seeds do not oversubscribe the cores.

>>> map_tasks(abs, [-3, 1, -2], backend="serial")
[3, 1, 2]
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

__all__ = ["BACKENDS", "ensure_ray", "map_tasks"]

#: the backends :func:`map_tasks` accepts
BACKENDS = ("serial", "local", "ray")

_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "NUMBA_NUM_THREADS")


def _one_thread() -> None:
    """Worker initialiser: one math thread per worker process."""
    try:
        import torch
    except ImportError:  # torch is an optional extra
        return
    torch.set_num_threads(1)


def _progress(total: int, enabled: bool):
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="task")


def map_tasks(fn: Callable[[Any], Any], tasks: Sequence[Any], *, backend: str = "local",
              workers: int | None = None, address: str | None = None,
              progress: bool = False) -> list[Any]:
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

    Raises
    ------
    ValueError
        for an unknown backend or ``workers < 1``.
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend: {backend!r} is not one of {', '.join(BACKENDS)}")
    if workers is not None and workers < 1:
        raise ValueError(f"workers: {workers} must be >= 1")
    tasks = list(tasks)
    bar = _progress(len(tasks), progress)
    try:
        if backend == "serial" or not tasks:
            out = []
            for t in tasks:
                out.append(fn(t))
                if bar is not None:
                    bar.update(1)
            return out
        if backend == "local":
            return _local(fn, tasks, workers or os.cpu_count() or 1, bar)
        return _ray(fn, tasks, workers, address, bar)
    finally:
        if bar is not None:
            bar.close()


def _local(fn, tasks, workers, bar) -> list[Any]:
    if workers == 1 or len(tasks) == 1:
        return map_tasks(fn, tasks, backend="serial")
    saved = {k: os.environ.get(k) for k in _THREAD_VARS}
    os.environ.update({k: "1" for k in _THREAD_VARS})  # read by the fresh worker processes
    try:
        ctx = multiprocessing.get_context("spawn")  # no fork of a threaded parent
        with ProcessPoolExecutor(max_workers=min(workers, len(tasks)), mp_context=ctx,
                                 initializer=_one_thread) as pool:
            futures = [pool.submit(fn, t) for t in tasks]
            out = []
            for f in futures:
                out.append(f.result())
                if bar is not None:
                    bar.update(1)
            return out
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
    import ray

    if not ray.is_initialized():
        address = address or os.environ.get("RAY_ADDRESS")
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(num_cpus=workers or os.cpu_count() or 1, log_to_driver=False,
                     include_dashboard=False)


def _ray(fn, tasks, workers, address, bar) -> list[Any]:
    import ray

    ensure_ray(workers, address)
    remote = ray.remote(num_cpus=1)(fn)
    refs = [remote.remote(t) for t in tasks]
    out = []
    for ref in refs:
        out.append(ray.get(ref))
        if bar is not None:
            bar.update(1)
    return out
