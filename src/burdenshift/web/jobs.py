"""The server's one job pool: every plan and risk run (background jobs and the synchronous
/api/plan and /api/risk alike) runs on a few fixed worker threads behind a bounded queue.
Past the queue the server says "busy" (429 with Retry-After) instead of starting more work,
so memory and CPU stay bounded however many requests arrive. A finished job drops its work
and hands freed memory back to the system."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import math
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Any, Literal

from burdenshift.errors import Cancelled, InputError

log = logging.getLogger("burdenshift.web")

INTERNAL_ERROR = "internal error; the server log has the details"

State = Literal["queued", "running", "done", "failed", "cancelled"]


class Busy(Exception):
    """The pool's workers and queue are full: try again in `retry_after` seconds."""

    def __init__(self, retry_after: int, running: int, queued: int) -> None:
        self.retry_after = retry_after
        self.running = running
        self.queued = queued
        super().__init__(f"busy: {running} running, {queued} queued")


class Job:
    """One unit of work: `work(job)` returns its result; it polls `job.cancelled` (through the
    engines' progress hooks) and raises `Cancelled` to stop early."""

    def __init__(self, work: Callable[[Job], Any], kind: str, public: bool) -> None:
        self.id = secrets.token_hex(6)
        self.kind = kind
        self.public = public
        self.state: State = "queued"
        self.progress = 0.0
        self.result: Any = None
        self.error: str | None = None
        self.exception: InputError | None = None
        """The user error that failed it (synchronous callers raise it again)."""
        self.cancel_requested = False
        self.work: Callable[[Job], Any] | None = work
        self.started: float | None = None
        self.finished = threading.Event()
        self._on_finish: list[Callable[[], None]] = []

    @property
    def cancelled(self) -> bool:
        return self.cancel_requested

    def check(self) -> None:
        """Raise `Cancelled` if cancel was asked: for progress hooks."""
        if self.cancel_requested:
            raise Cancelled

    def status(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "state": self.state,
            "progress": self.progress,
            "result": self.result,
            "error": self.error,
        }


def _trimmer() -> Callable[[], None]:
    """glibc's malloc_trim(0): numpy's freed arrays go back to the system, not only to the
    allocator's arenas (without it, 8 GB stayed held after 30 risk jobs)."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):  # not glibc: nothing to do
        return lambda: None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return lambda: trim(0) and None


release_memory = _trimmer()


def rss_bytes(pid: int | str = "self") -> int:
    """Resident memory of a process (Linux /proc), 0 where unknown."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class JobPool:
    """`workers` jobs run at once; up to `queue` more wait their turn; beyond that `submit`
    raises `Busy`. Public jobs (started through /api/jobs) are kept for their status until
    `keep` newer ones have finished."""

    def __init__(
        self,
        workers: int = 1,
        queue: int = 8,
        keep: int = 64,
        describe_error: Callable[[InputError], str] = lambda exc: exc.message,
    ) -> None:
        if workers < 1 or queue < 0:
            raise ValueError("a job pool needs at least one worker and a queue of 0 or more")
        self.workers = workers
        self.queue = queue
        self.keep = keep
        self.describe_error = describe_error
        self._lock = threading.Condition()
        self._waiting: deque[Job] = deque()
        """Queued: no worker yet."""
        self._assigned: deque[Job] = deque()
        """Marked running, for the next free worker thread to take."""
        self._running = 0
        self._live: set[Job] = set()
        """Assigned and not finished: what shutdown must stop."""
        self._threads: list[threading.Thread] = []
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._closed = False
        self._mean_seconds = 5.0
        """A running mean of job durations, for Retry-After."""

    # -- submitting --------------------------------------------------------------------
    def submit(self, work: Callable[[Job], Any], kind: str = "job", public: bool = True) -> Job:
        with self._lock:
            if self._closed:
                raise Busy(self.retry_after(), self._running, len(self._waiting))
            if self._running >= self.workers and len(self._waiting) >= self.queue:
                raise Busy(self.retry_after(), self._running, len(self._waiting))
            job = Job(work, kind, public)
            if self._running < self.workers:
                self._assign(job)
            else:
                self._waiting.append(job)
            if public:
                self._jobs[job.id] = job
                self._forget_old()
            if len(self._threads) < self.workers:
                thread = threading.Thread(
                    target=self._worker, name=f"burdenshift-job-{len(self._threads)}", daemon=True
                )
                self._threads.append(thread)
                thread.start()
            self._lock.notify_all()
            return job

    def retry_after(self) -> int:
        """Seconds until a place is likely free: the queue ahead at the mean job duration."""
        ahead = (len(self._waiting) + self.workers) / self.workers
        return max(1, min(120, math.ceil(self._mean_seconds * ahead)))

    def _assign(self, job: Job) -> None:
        job.state = "running"
        self._running += 1
        self._live.add(job)
        self._assigned.append(job)

    def _forget_old(self) -> None:
        finished = [k for k, j in self._jobs.items() if j.finished.is_set()]
        for k in finished[: max(0, len(self._jobs) - self.keep)]:
            del self._jobs[k]

    # -- asking --------------------------------------------------------------------------
    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def counts(self) -> dict[str, int]:
        with self._lock:
            return {"running": self._running, "queued": len(self._waiting)}

    def cancel(self, job: Job) -> State | Literal["cancelling"]:
        """A queued job is dropped at once; a running one stops at its next progress check."""
        with self._lock:
            if job.finished.is_set():
                return job.state
            job.cancel_requested = True
            if job in self._waiting:
                self._waiting.remove(job)
                job.state = "cancelled"
                self._finish(job)
                return "cancelled"
            return "cancelling"

    def cancel_all(self) -> None:
        """Cancel every queued and running job (tests; shutdown)."""
        with self._lock:
            jobs = [*self._waiting, *self._live]
        for job in jobs:
            self.cancel(job)

    def idle(self, timeout: float = 30.0) -> bool:
        """Wait until no job runs or waits; False if that took longer than `timeout`."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._running or self._waiting:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(left)
        return True

    async def wait(self, job: Job) -> None:
        """Until the job has finished, without holding a thread; a caller that goes away
        (the client disconnected) cancels it."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()

        def wake() -> None:
            loop.call_soon_threadsafe(lambda: done.done() or done.set_result(None))

        with self._lock:
            if job.finished.is_set():
                return
            job._on_finish.append(wake)
        try:
            await done
        except asyncio.CancelledError:
            self.cancel(job)
            raise

    # -- running ---------------------------------------------------------------------------
    def _worker(self) -> None:
        while True:
            with self._lock:
                while not self._assigned and not self._closed:
                    self._lock.wait()
                if not self._assigned:
                    return
                job = self._assigned.popleft()
            self._run(job)
            with self._lock:
                self._running -= 1
                if self._waiting and not self._closed:
                    self._assign(self._waiting.popleft())
                self._lock.notify_all()
            release_memory()

    def _run(self, job: Job) -> None:
        work, job.work = job.work, None
        job.started = time.monotonic()
        try:
            if job.cancel_requested or work is None:
                raise Cancelled
            result = work(job)
            job.result, job.progress, job.state = result, 1.0, "done"
        except Cancelled:
            job.state = "cancelled"
        except InputError as exc:
            job.error, job.exception, job.state = self.describe_error(exc), exc, "failed"
        except BaseException:  # MemoryError too: the client sees no repr, the log the traceback
            log.exception("%s job %s failed", job.kind, job.id)
            job.error, job.state = INTERNAL_ERROR, "failed"
        finally:
            del work
            seconds = time.monotonic() - job.started
            with self._lock:
                if job.state == "done":
                    self._mean_seconds = 0.8 * self._mean_seconds + 0.2 * seconds
                self._finish(job)

    def _finish(self, job: Job) -> None:
        """Under the lock: the job is over; wake whoever waits for it."""
        job.work = None
        self._live.discard(job)
        job.finished.set()
        callbacks, job._on_finish = job._on_finish, []
        for wake in callbacks:
            with contextlib.suppress(RuntimeError):  # the caller's loop is closed
                wake()

    def shutdown(self, timeout: float = 30.0) -> None:
        """Cancel everything and let running jobs stop: a solver killed mid-solve at exit
        aborts the whole process."""
        with self._lock:
            self._closed = True
            for job in list(self._waiting):
                job.cancel_requested, job.state = True, "cancelled"
                self._finish(job)
            self._waiting.clear()
            for job in self._live:
                job.cancel_requested = True
            self._lock.notify_all()
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout=timeout)
