"""The sweep file: a base scenario, engines, and a grid or a list of overrides. Expanding it gives
tasks in a fixed order, each with a stable id and its own seed from `SeedSequence.spawn`, so the
numbers never depend on which worker runs what, or when.

Every case is checked before anything runs — against the scenario schema and against the World
(names, years, overrides) exactly as a run would check it — so a bad case stops the sweep with
its file and line and nothing stored, instead of failing in a worker after the good ones ran.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from burdenshift.errors import InputError, from_validation
from burdenshift.scenario.loader import load_scenario
from burdenshift.scenario.schema import Scenario
from burdenshift.yamltext import line_of, read_yaml

if TYPE_CHECKING:
    from burdenshift.domain.world import World

Engine = Literal["assess", "simulate", "risk", "plan"]

MAX_TASKS = 10_000
"""Tasks (cases × engines) in one sweep. Each task keeps its full scenario in memory while the
sweep is expanded and one run in the store; 10,000 is already hours of risk or plan work on a
laptop, and a bigger study resumes better as several sweeps than as one."""
MAX_DRAWS = 100_000
"""Risk draws per task: the standard error of a probability is then at most 0.16 points, finer
than the data support, and a task's kept arrays stay near 300 MB even over a 30-year horizon
(1 M draws held about 1 GB per worker and took minutes per task)."""
MAX_TIME_LIMIT = 3_600.0
"""Seconds per solver stage of a plan task: an hour; a longer limit would let one task hold a
worker for most of a day, since a plan solves in several stages."""
MAX_SEED = 2**63
"""Seeds below this fit the store's 64-bit integers."""
MAX_FILE_BYTES = 4_000_000
"""A sweep file's size: far above any sweep within `MAX_TASKS`, and small enough to parse
at once."""
MAX_NAME = 100
"""Characters in a sweep or case name (the case names are printed in the summary table)."""
PROGRESS_CASES = 2_000
"""Cases from which checking them shows a progress bar (a third of a second of work or more:
the checks take about 0.17 ms a case)."""

LAYOUT = "see the sweep file layout in README.md (Uncertainty and sweeps)"


def _printable(name: str) -> str:
    if not name.isprintable():
        raise ValueError("the name has control characters (such as terminal escapes)")
    return name


PlainName = Annotated[str, Field(min_length=1, max_length=MAX_NAME), AfterValidator(_printable)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class RiskOptions(_Strict):
    draws: int = Field(default=10_000, ge=1, le=MAX_DRAWS)
    """As `burdenshift risk`."""


class PlanOptions(_Strict):
    mode: Literal["national", "pooled"] | None = None
    time_limit: float | None = Field(default=None, gt=0, le=MAX_TIME_LIMIT)
    """Seconds per solver stage (default as `burdenshift plan --time-limit`)."""
    total_time_limit: float | None = Field(default=None, gt=0, le=3 * MAX_TIME_LIMIT)
    """Seconds per plan (default as `burdenshift plan --total-time-limit`)."""
    chain: int = Field(default=8, ge=1, le=MAX_TASKS)
    """Plan tasks solved one after another on one kept solver model (warm start); 1 solves
    each plan cold. Chains follow task order, never scheduling."""


class Case(_Strict):
    name: PlainName
    set: dict[str, Any] = Field(default_factory=dict)
    """Scenario fields by dotted path, e.g. `budget.multiplier: 1.2`."""


class SweepFile(_Strict):
    name: PlainName = "sweep"
    base: str | None = Field(default=None, min_length=1, max_length=1_000)
    """A shipped scenario name or a path (relative to the sweep file); default the baseline."""
    engines: list[Engine] = Field(default_factory=lambda: ["assess"], min_length=1, max_length=4)
    grid: dict[str, list[Any]] = Field(default_factory=dict)
    cases: list[Case] = Field(default_factory=list)
    seed: int = Field(default=2027, ge=0, lt=MAX_SEED)
    risk: RiskOptions = RiskOptions()
    plan: PlanOptions = PlanOptions()


@dataclass(frozen=True)
class Task:
    index: int
    id: str
    case: str
    engine: Engine
    scenario: dict[str, Any]
    """The full scenario as applied (JSON-ready)."""
    seed: int
    options: dict[str, Any]
    chain: str = ""
    """Tasks with the same chain run in order in one process (plan warm starts)."""
    line: int | None = None
    """The line of the case (or first grid key) in the sweep file, for error messages."""


@dataclass(frozen=True)
class SweepSource:
    """A read and checked sweep file, not yet expanded: its size is known before any case is
    built, so an oversized grid is refused in no time and no memory."""

    sweep: SweepFile
    base: Scenario
    file: str
    root: Any
    """The YAML node tree (for line numbers)."""
    cases: int
    tasks: int


def load_sweep(path: str | Path, world: World | None = None) -> tuple[SweepFile, list[Task]]:
    """Read, check and expand a sweep file against `world` (default: the embedded data)."""
    if world is None:
        from burdenshift.domain.load import load_world

        world = load_world()
    source = read_sweep(path)
    return source.sweep, expand(source, world)


def read_sweep(path: str | Path) -> SweepSource:
    """Parse and check the sweep file's layout and size; every problem names the file and line."""
    file = str(path)
    try:
        size = Path(path).stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(
                f"is {size:,} bytes, more than the {MAX_FILE_BYTES:,} a sweep file may have",
                file=file,
                fix=f"split it into several sweeps of at most {MAX_TASKS:,} tasks each",
            )
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            f"cannot be read ({exc})", file=file, fix="give the path of a UTF-8 sweep file"
        ) from None
    doc = read_yaml(text, file)
    raw, root = ({} if doc.data is None else doc.data), doc.root
    if not isinstance(raw, dict):
        raise InputError(
            "is not a mapping of sweep fields",
            file=file,
            line=1,
            fix="write fields such as 'engines: [assess]' and 'grid:' at the top level",
        )
    try:
        sweep = SweepFile.model_validate(raw)
    except ValidationError as exc:
        err = from_validation(exc, file, root)
        fix = f"remove or rename it; {LAYOUT}" if err.problem == "unknown field" else err.fix
        raise InputError(err.problem, file=file, line=err.line, field=err.field, fix=fix) from None
    _check_layout(sweep, root, file)
    cases, tasks = _size(sweep, root, file)
    base_ref = sweep.base
    if base_ref is not None and (Path(path).parent / base_ref).is_file():
        base_ref = str(Path(path).parent / base_ref)
    return SweepSource(sweep, load_scenario(base_ref), file, root, cases, tasks)


def _check_layout(sweep: SweepFile, root: Any, file: str) -> None:
    """What the schema cannot say field by field: one kind of case list, no empty grid key,
    no engine or case name twice."""
    if sweep.grid and sweep.cases:
        raise InputError(
            "gives both 'grid' and 'cases'",
            file=file,
            line=line_of(root, ["cases"]),
            field="cases",
            fix="give either a grid or a list of cases, not both (split them into two sweeps)",
        )
    for key, values in sweep.grid.items():
        if not values:
            raise InputError(
                f"grid '{key}' has no values",
                file=file,
                line=line_of(root, ["grid", key]),
                field=f"grid.{key}",
                fix="give it at least one value, or remove it",
            )
    for i, engine in enumerate(sweep.engines):
        if engine in sweep.engines[:i]:
            raise InputError(
                f"names the engine '{engine}' twice",
                file=file,
                line=line_of(root, ["engines", i]),
                field=f"engines.{i}",
                fix="name each engine once",
            )
    seen: dict[str, int] = {}
    for i, case in enumerate(sweep.cases):
        if case.name in seen:
            raise InputError(
                f"names the case '{case.name}' twice (first as case {seen[case.name] + 1})",
                file=file,
                line=line_of(root, ["cases", i, "name"]),
                field=f"cases.{i}.name",
                fix="give every case its own name",
            )
        seen[case.name] = i


def _size(sweep: SweepFile, root: Any, file: str) -> tuple[int, int]:
    """Cases and tasks, from the grid's sizes alone (no case is built); refuses more than
    `MAX_TASKS` tasks, naming the sizes that multiply up."""
    engines = len(sweep.engines)
    if not sweep.grid:
        cases = len(sweep.cases) or 1
        if cases * engines > MAX_TASKS:
            raise InputError(
                f"has {cases:,} cases × {engines} engines = {cases * engines:,} tasks, more "
                f"than the {MAX_TASKS:,} one sweep may run",
                file=file,
                line=line_of(root, ["cases"]),
                field="cases",
                fix="split the cases into several sweep files, or name fewer engines",
            )
        return cases, cases * engines
    sizes = {k: len(v) for k, v in sweep.grid.items()}
    cases = 1
    for n in sizes.values():
        cases *= n
        if cases * engines > MAX_TASKS:
            break
    if cases * engines <= MAX_TASKS:
        return cases, cases * engines
    exact: int | None = 1
    for n in sizes.values():  # multiplied out only as far as 10^18: no huge integers
        exact = exact * n if exact is not None and exact * n < 10**18 else None
    count = (
        f"{exact:,} cases × {engines} engine{'s' * (engines > 1)} = {exact * engines:,} tasks"
        if exact is not None
        else f"more than 10^18 cases ({len(sizes)} grid keys)"
    )
    largest = sorted(sizes.items(), key=lambda kv: -kv[1])
    shown = ", ".join(f"{k} {n}" for k, n in largest[:8])
    if len(largest) > 8:
        shown += f" and {len(largest) - 8} more keys"
    raise InputError(
        f"its grid has {count} (values per key: {shown}), more than the {MAX_TASKS:,} one "
        "sweep may run",
        file=file,
        line=line_of(root, ["grid"]),
        field="grid",
        fix="give fewer values per key or fewer engines, or split the sweep into several files "
        "(each over a part of one key's values)",
    )


@dataclass(frozen=True)
class _Where:
    """Where a case comes from in the sweep file: its name, its line and the YAML location of
    each field it sets."""

    name: str
    line: int | None
    spots: dict[str, list[Any]]


def _cases(source: SweepSource) -> Iterator[tuple[Case, _Where]]:
    """The cases in task order, one at a time (a grid is never held as a list)."""
    sweep, root = source.sweep, source.root
    if sweep.grid:
        keys = list(sweep.grid)
        line = line_of(root, ["grid", keys[0]])
        indexed = [list(enumerate(v)) for v in sweep.grid.values()]
        for combo in itertools.product(*indexed):
            values = [v for _, v in combo]
            name = ", ".join(f"{k}={v}" for k, v in zip(keys, values, strict=True))
            if not name.isprintable():
                raise InputError(
                    f"the grid case '{name!r}' has control characters (such as terminal escapes)",
                    file=source.file,
                    line=line,
                    field="grid",
                    fix="remove them from the grid's keys and values",
                )
            spots = {k: ["grid", k, j] for k, (j, _) in zip(keys, combo, strict=True)}
            yield (
                Case.model_construct(name=name, set=dict(zip(keys, values, strict=True))),
                _Where(name, line, spots),
            )
    elif sweep.cases:
        for i, case in enumerate(sweep.cases):
            spots = {k: ["cases", i, "set", k] for k in case.set}
            yield case, _Where(case.name, line_of(root, ["cases", i]), spots)
    else:
        yield Case(name="base"), _Where("base", None, {})


def expand(
    source: SweepSource, world: World, progress: Callable[[int], None] | None = None
) -> list[Task]:
    """Every case checked as a run would check it, then the tasks in order. `progress` is
    called once per case checked."""
    sweep = source.sweep
    # the levers the sweep varies stay fixed in each risk task (see `draws.pinned`)
    varied = sorted(set(sweep.grid) | {k for case in sweep.cases for k in case.set})
    checker = _Checker(source, world)
    specs = []
    for case, where in _cases(source):
        scenario = checker.check(case, where)
        for engine in sweep.engines:
            specs.append((where, engine, scenario, _options(sweep, engine, varied)))
        if progress is not None:
            progress(1)
    seeds = np.random.SeedSequence(sweep.seed).spawn(len(specs))
    tasks = []
    plans = 0
    for i, ((where, engine, scenario, options), ss) in enumerate(zip(specs, seeds, strict=True)):
        seed = int(ss.generate_state(1)[0])
        key = json.dumps([engine, scenario, options, seed], sort_keys=True)
        tid = hashlib.sha256(key.encode()).hexdigest()[:16]
        chain = tid
        if engine == "plan":
            chain = f"plan-{plans // sweep.plan.chain}"
            plans += 1
        tasks.append(Task(i, tid, where.name, engine, scenario, seed, options, chain, where.line))
    return tasks


def _options(sweep: SweepFile, engine: str, varied: list[str]) -> dict[str, Any]:
    if engine == "risk":
        return {**sweep.risk.model_dump(), "varied": varied}
    if engine == "plan":  # a total limit left unset keeps the task ids of earlier sweeps
        unset = {"total_time_limit"} if sweep.plan.total_time_limit is None else set()
        return sweep.plan.model_dump(exclude=unset)
    return {}


class _Checker:
    """Applies a case to the base scenario and checks the result against the schema and the
    World, as `tasks.run_task` will; an override set is applied to the World once, however
    many cases share it."""

    def __init__(self, source: SweepSource, world: World) -> None:
        self.source, self.world = source, world
        self.base = source.base.model_dump(mode="json")
        self.applied: set[str] = set()
        self._base_error: InputError | Literal[False] | None = False

    def check(self, case: Case, where: _Where) -> dict[str, Any]:
        from burdenshift.scenario.apply import applied_world, check_scenario

        data = self._apply(case, where)
        try:
            scenario = Scenario.model_validate(data)
        except ValidationError as exc:
            raise self._error(from_validation(exc), where) from None
        overrides = json.dumps(data["overrides"], sort_keys=True)
        try:
            if overrides in self.applied:
                check_scenario(self.world, scenario)
            else:
                applied_world(self.world, scenario)
                self.applied.add(overrides)
        except InputError as exc:
            raise self._error(exc, where) from None
        return scenario.model_dump(mode="json")

    def _apply(self, case: Case, where: _Where) -> dict[str, Any]:
        data = json.loads(json.dumps(self.base))
        data["name"] = _scenario_name(self.source.base.name, case.name)
        for dotted, value in case.set.items():
            node = data
            parts = dotted.split(".")
            for part in parts[:-1]:
                node = node.get(part) if isinstance(node, dict) else None
            if not isinstance(node, dict) or parts[-1] not in node:
                raise InputError(
                    f"in case '{where.name}', '{dotted}' is not a scenario field",
                    file=self.source.file,
                    line=line_of(self.source.root, where.spots[dotted]),
                    field=dotted,
                    fix="use dotted scenario fields such as budget.multiplier or deadline",
                )
            node[parts[-1]] = value
        return data

    def _error(self, exc: InputError, where: _Where) -> InputError:
        """The problem at the line of the case's field that caused it; a problem of the base
        scenario itself at the base's own file and line."""
        field = exc.field or ""
        for key, spot in where.spots.items():
            if field == key or field.startswith(key + "."):
                rest = [int(p) if p.isdigit() else p for p in field[len(key) + 1 :].split(".") if p]
                return self._located(exc, where, field, line_of(self.source.root, spot + rest))
        base = self._base_failure()
        if base is not None:
            return base
        keys = list(where.spots)
        if field in ("", "(top level)") and keys:
            field = ", ".join(keys)
        line = line_of(self.source.root, where.spots[keys[0]]) if keys else where.line
        return self._located(exc, where, field, line)

    def _located(self, exc: InputError, where: _Where, field: str, line: int | None) -> InputError:
        return InputError(
            f"in case '{where.name}', {exc.problem}",
            file=self.source.file,
            line=line,
            field=field or None,
            fix=exc.fix or "correct the value in the grid or case",
        )

    def _base_failure(self) -> InputError | None:
        """The base scenario's own problem against the World, if it has one (checked once)."""
        if self._base_error is False:
            from burdenshift.scenario.apply import applied_world

            try:
                applied_world(self.world, self.source.base)
                self._base_error = None
            except InputError as exc:
                self._base_error = InputError(
                    f"the sweep's base scenario: {exc.problem}",
                    file=exc.file or self.source.file,
                    line=exc.line if exc.file else line_of(self.source.root, ["base"]),
                    field=exc.field,
                    fix=exc.fix,
                )
        return self._base_error


def _scenario_name(base: str, case: str) -> str:
    """`base [case]`, shortened to the schema's 200 characters for long grid case names."""
    name = f"{base} [{case}]"
    return name if len(name) <= 200 else name[:198] + "…]"
