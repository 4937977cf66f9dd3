"""Run a sweep on Dask and keep each finished task in a results folder (the I/O edge).

A task's file is written atomically (temporary file, then rename) as soon as the task finishes,
so a killed sweep loses nothing finished; rerunning skips every task whose file exists.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from burdenshift.sweep.spec import Task
from burdenshift.sweep.tasks import run_task


def result_path(folder: Path, task: Task) -> Path:
    return folder / f"{task.index:05d}-{task.engine}-{task.id}.json"


def done(folder: Path, tasks: list[Task]) -> set[str]:
    return {t.id for t in tasks if result_path(folder, t).exists()}


def save(folder: Path, task: Task, payload: dict[str, Any]) -> None:
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".task-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(payload, fh, indent=1, sort_keys=True)
        os.replace(tmp, result_path(folder, task))
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def run_sweep(
    tasks: list[Task],
    folder: Path,
    workers: int = 2,
    scheduler: str | None = None,
    data: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[dict[str, Any]]:
    """Run the tasks not yet in `folder`; return every task's saved payload, in task order.

    `workers=0` runs in this process (no Dask), the reference for reproducibility checks.
    """
    folder.mkdir(parents=True, exist_ok=True)
    finished = done(folder, tasks)
    todo = [t for t in tasks if t.id not in finished]
    if progress is not None and finished:
        progress(len(finished))
    if todo and workers == 0 and scheduler is None:
        for t in todo:
            save(folder, t, run_task(asdict(t), data))
            if progress is not None:
                progress(1)
    elif todo:
        _on_dask(todo, folder, workers, scheduler, data, progress)
    return [json.loads(result_path(folder, t).read_text()) for t in tasks]


def _on_dask(
    todo: list[Task],
    folder: Path,
    workers: int,
    scheduler: str | None,
    data: str | None,
    progress: Callable[[int], None] | None,
) -> None:
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=max(workers, 1),
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        )
        client = Client(cluster)
    else:
        client = Client(scheduler)
    try:
        by_key = {}
        futures = []
        for t in todo:
            fut = client.submit(run_task, asdict(t), data, key=f"burdenshift-{t.id}", pure=False)
            by_key[fut.key] = t
            futures.append(fut)
        for fut in as_completed(futures):
            save(folder, by_key[fut.key], fut.result())
            if progress is not None:
                progress(1)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
