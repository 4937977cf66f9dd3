"""The limits every plan keeps: seconds per solver stage, seconds per plan, and memory.

A plan solves three times (the least shortfall, the least cost holding it, an LP for the
duals). Each stage stops at `STAGE_TIME_LIMIT` seconds and the plan at `TOTAL_TIME_LIMIT`,
unless told otherwise; a stage stopped by a limit returns the best plan found, marked
`time_limit` with its MIP gap. Before the model is built, its memory is estimated from the
prepared arrays and a model that would not fit in the memory available is refused.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from burdenshift.engine.plan.prepared import PlanData
from burdenshift.errors import InputError

STAGE_TIME_LIMIT = 300.0
"""Seconds per solver stage. On the default world the slowest stage (national, least
shortfall) took 5.2 s (median of three, load average below 1) and up to 15 s at a load average
of 5–8 (two cores shared with other work); the pooled stages and the duals' LP take about a
second. 300 s is 20 times the worst and 60 times the median, so no study of the shipped data
meets it and bigger worlds still plan (S10 over a 2045 horizon solved in 100 s over all its
stages); a MIP that runs away returns its best plan after five minutes instead of holding the
terminal or a sweep's worker for hours."""
TOTAL_TIME_LIMIT = 600.0
"""Seconds per plan, from preparing the data to the last stage: twice a stage's limit, so two
long stages may each run to their limit and the duals' LP (a third of a second on the default
world) still gets time; the default world plans in 5–15 s."""

MEMORY_ENV = "BURDENSHIFT_PLAN_MEMORY_MB"
"""The memory a plan may use, MB, instead of the memory available (MemAvailable in
/proc/meminfo): lower to keep room for other work, higher when the estimate is too cautious."""

BASE_BYTES = 50e6
"""Memory a plan needs whatever its size: HiGHS and linopy's fixed work, the solution arrays."""
BYTES_PER_CELL = 2_500.0
"""Build and solve memory per cell of the model's main arrays (see `ModelSize.cells`), with
headroom. Calibrated on the peak RSS growth of a national plan's build and first solve (up to
60 s of it), each world in a process of its own, with the grouped formulation: default world
155 MB for 97,400 cells (1.59 kB a cell), S2 302 MB for 194,900 (1.55 kB), L2 246 MB for
157,200 (1.57 kB), a 20-year horizon 348 MB for 245,700 (1.42 kB), S5 538 MB for 487,100
(1.10 kB), S10 1,257 MB for 974,300 (1.29 kB). Linear in the cells, as the model's non-zeros
are; 2.5 kB is 1.5 times the largest, for a MIP's search tree growing over a longer solve."""


@dataclass(frozen=True)
class ModelSize:
    """The model's main arrays, counted from the prepared data before anything is built."""

    lines: int
    allies: int
    systems: int
    metrics: int
    inputs: int
    years: int

    @property
    def cells(self) -> int:
        """Cells of the arrays the model holds densely: deliveries (line × ally × year), new
        capacity coming online (line × order year × year), input use (line × input × year),
        capability (system × metric × year) and variants (ally × system)."""
        lines, years = self.lines, self.years
        return (
            lines * self.allies * years
            + lines * years * years
            + lines * self.inputs * years
            + self.systems * self.metrics * years
            + self.allies * self.systems
        )

    @property
    def bytes(self) -> float:
        """Estimated peak memory to build the model and solve it."""
        return BASE_BYTES + BYTES_PER_CELL * self.cells

    def describe(self) -> str:
        return (
            f"{self.lines:,} lines, {self.allies:,} buyers, {self.systems:,} systems and "
            f"{self.years:,} plan years"
        )


def size_of(d: PlanData) -> ModelSize:
    return ModelSize(
        lines=len(d.line),
        allies=len(d.ally),
        systems=len(d.system),
        metrics=len(d.metric),
        inputs=len(d.input),
        years=len(d.years),
    )


def available_memory() -> tuple[float, str] | None:
    """(bytes, where the figure comes from) a plan may use: `MEMORY_ENV` if set, else the
    kernel's estimate of memory available without swapping; None where neither is known."""
    given = os.environ.get(MEMORY_ENV)
    if given is not None and given.strip():
        try:
            mb = float(given)
        except ValueError:
            mb = math.nan
        if not math.isfinite(mb) or mb <= 0:
            raise InputError(
                f"{MEMORY_ENV}={given!r} is not a positive number of MB",
                field=MEMORY_ENV,
                fix=f"give MB, e.g. {MEMORY_ENV}=4000, or unset it",
            )
        return mb * 1e6, f"allowed by {MEMORY_ENV}"
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024, "available (MemAvailable)"
    except OSError:
        pass
    return None


def check_size(d: PlanData, memory_mb: float | None = None) -> ModelSize:
    """The model's size; refused with an InputError when its estimated memory exceeds
    `memory_mb` (MB), else `MEMORY_ENV`, else the memory available."""
    size = size_of(d)
    if memory_mb is not None:
        budget: tuple[float, str] | None = (memory_mb * 1e6, "allowed (memory_mb)")
    else:
        budget = available_memory()
    if budget is None:
        return size
    allowed, source = budget
    if size.bytes > allowed:
        raise InputError(
            f"the plan's model would need about {size.bytes / 1e6:,.0f} MB to build and solve "
            f"(estimated from {size.describe()}), more than the {allowed / 1e6:,.0f} MB "
            f"{source}",
            fix="plan a smaller world (a shorter horizon, fewer systems or lines) or free "
            f"memory; if the estimate is too cautious, set {MEMORY_ENV} to the MB the plan may "
            "use",
        )
    return size


__all__ = [
    "MEMORY_ENV",
    "STAGE_TIME_LIMIT",
    "TOTAL_TIME_LIMIT",
    "ModelSize",
    "available_memory",
    "check_size",
    "size_of",
]
