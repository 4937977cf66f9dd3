"""Run a sweep on Dask and keep each finished task in the run store as it completes.

Workers compute; this process is the store's one writer. A task is written in one transaction
the moment it finishes, so a killed sweep loses nothing finished, and rerunning skips every task
the store already holds (matched by task id).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from burdenshift.store.database import Store
from burdenshift.sweep.spec import Task
from burdenshift.sweep.tasks import run_task


def run_sweep(
    tasks: list[Task],
    store: Store,
    workers: int = 2,
    scheduler: str | None = None,
    data: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[dict[str, Any]]:
    """Run the tasks the store lacks; return every task's result, in task order.

    `workers=0` runs in this process (no Dask), the reference for reproducibility checks.
    """
    finished = store.task_results({t.id for t in tasks})
    todo = [t for t in tasks if t.id not in finished]
    if progress is not None and finished:
        progress(len(finished))

    def keep(task: Task, out: dict[str, Any]) -> None:
        result = {**out["result"], "sweep": {k: out[k] for k in ("task", "index", "case", "seed")}}
        store.save(task.engine, result, out["wall_time_s"], task_id=task.id)
        finished[task.id] = result
        if progress is not None:
            progress(1)

    if todo and workers == 0 and scheduler is None:
        for t in todo:
            keep(t, _timed(asdict(t), data))
    elif todo:
        _on_dask(todo, workers, scheduler, data, keep)
    return [finished[t.id] for t in tasks]


def _timed(task: dict[str, Any], data: str | None) -> dict[str, Any]:
    start = time.perf_counter()
    out = run_task(task, data)
    return {**out, "wall_time_s": time.perf_counter() - start}


def _on_dask(
    todo: list[Task],
    workers: int,
    scheduler: str | None,
    data: str | None,
    keep: Callable[[Task, dict[str, Any]], None],
) -> None:
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=max(workers, 1),
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            scheduler_port=0,
        )
        client = Client(cluster)
    else:
        client = Client(scheduler)
    try:
        by_key = {}
        futures = []
        for t in todo:
            fut = client.submit(_timed, asdict(t), data, key=f"burdenshift-{t.id}", pure=False)
            by_key[fut.key] = t
            futures.append(fut)
        for fut in as_completed(futures):
            keep(by_key[fut.key], fut.result())
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
