"""Run a sweep on Dask and keep each finished task in the run store as it completes.

Workers compute; this process is the store's one writer. A task is written in one transaction
the moment it finishes, so a killed sweep loses nothing finished, and rerunning skips every task
the store already holds (matched by task id).

A task that fails does not stop the others: every task that can finish is stored, then one
`SweepFailed` names the failed tasks, so fixing the cause and rerunning runs only those.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from burdenshift.store.database import NewRun, Store
from burdenshift.sweep.spec import Task
from burdenshift.sweep.tasks import failure, run_chain


class SweepFailed(Exception):
    """Some tasks failed; every task that finished is stored. `failures` as `tasks.failure`."""

    def __init__(self, failures: list[dict[str, Any]], stored: int, total: int) -> None:
        self.failures = sorted(failures, key=lambda f: f["index"])
        self.stored, self.total = stored, total
        super().__init__(f"{len(failures)} of {total} sweep tasks failed")

    @property
    def input_only(self) -> bool:
        """Every failure was the user's input (an InputError), not a defect or a resource."""
        return all(f["kind"] == "input" for f in self.failures)


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
    failures: list[dict[str, Any]] = []

    def keep(done: list[tuple[list[Task], list[dict[str, Any]]]]) -> None:
        """Store the tasks of the chains that finished together, in one transaction; note the
        failed ones."""
        pairs = []
        for chain, outputs in done:
            for t, o in zip(chain, outputs, strict=False):
                if "failed" in o:
                    failures.append(o["failed"])
                else:
                    pairs.append((t, o))
        new = [(t, o) for t, o in pairs if t.id not in finished]
        if not new:
            return
        results = [
            {**o["result"], "sweep": {k: o[k] for k in ("task", "index", "case", "seed")}}
            for _, o in new
        ]
        store.save_many(
            [
                NewRun(t.engine, r, o["wall_time_s"], task_id=t.id)
                for (t, o), r in zip(new, results, strict=True)
            ]
        )
        for (t, _), r in zip(new, results, strict=True):
            finished[t.id] = r
        if progress is not None:
            progress(len(new))

    chains = _chains(tasks, {t.id for t in todo})
    if chains and workers == 0 and scheduler is None:
        for chain in chains:
            keep([(chain, run_chain([asdict(t) for t in chain], data))])
    elif chains:
        _on_dask(chains, workers, scheduler, data, keep)
    if failures:
        raise SweepFailed(failures, len(finished), len(tasks))
    return [finished[t.id] for t in tasks]


def _chains(tasks: list[Task], todo: set[str]) -> list[list[Task]]:
    """Every chain with a task to do, whole: a plan chain cut by a kill reruns from its start
    (keeping only what is new), so each plan warm-starts from the same one as before."""
    by_chain: dict[str, list[Task]] = {}
    for t in tasks:
        by_chain.setdefault(t.chain or t.id, []).append(t)
    return [c for c in by_chain.values() if any(t.id in todo for t in c)]


def _on_dask(
    chains: list[list[Task]],
    workers: int,
    scheduler: str | None,
    data: str | None,
    keep: Callable[[list[tuple[list[Task], list[dict[str, Any]]]]], None],
) -> None:
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler is None:
        import dask

        # Dask's workers default to MALLOC_TRIM_THRESHOLD_=65536, which hands freed memory
        # back at once, so every large numpy temporary faults its pages in again: `risk` ran
        # 2.5x slower in a worker than here. Unset it for the workers this sweep starts.
        trim = "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"
        with dask.config.set({trim: None}):
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
        for chain in chains:
            key = f"burdenshift-{chain[0].id}-{len(chain)}"
            fut = client.submit(run_chain, [asdict(t) for t in chain], data, key=key, pure=False)
            by_key[fut.key] = chain
            futures.append(fut)
        for batch in as_completed(futures).batches():
            keep([(by_key[fut.key], _outputs(fut, by_key[fut.key])) for fut in batch])
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _outputs(fut: Any, chain: list[Task]) -> list[dict[str, Any]]:
    """A chain's outputs, or its first task's failure when the worker itself failed (killed,
    out of memory, lost): never a Dask traceback."""
    try:
        return list(fut.result())
    except Exception as exc:  # Dask re-raises whatever ended the worker; report it as data
        return [{"failed": failure(asdict(chain[0]), exc)}]
