"""The sweep file: a base scenario, engines, and a grid or a list of overrides. Expanding it gives
tasks in a fixed order, each with a stable id and its own seed from `SeedSequence.spawn`, so the
numbers never depend on which worker runs what, or when."""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from burdenshift.errors import InputError
from burdenshift.scenario.loader import load_scenario
from burdenshift.scenario.schema import Scenario
from burdenshift.yamltext import line_of

Engine = Literal["assess", "simulate", "risk", "plan"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RiskOptions(_Strict):
    draws: int = Field(default=10_000, ge=1)
    """As `burdenshift risk`."""


class PlanOptions(_Strict):
    mode: Literal["national", "pooled"] | None = None
    time_limit: float | None = Field(default=None, gt=0)
    chain: int = Field(default=8, ge=1)
    """Plan tasks solved one after another on one kept solver model (warm start); 1 solves
    each plan cold. Chains follow task order, never scheduling."""


class Case(_Strict):
    name: str
    set: dict[str, Any] = Field(default_factory=dict)
    """Scenario fields by dotted path, e.g. `budget.multiplier: 1.2`."""


class SweepFile(_Strict):
    name: str = "sweep"
    base: str | None = None
    """A shipped scenario name or a path (relative to the sweep file); default the baseline."""
    engines: list[Engine] = Field(default_factory=lambda: ["assess"], min_length=1)
    grid: dict[str, list[Any]] = Field(default_factory=dict)
    cases: list[Case] = Field(default_factory=list)
    seed: int = Field(default=2027, ge=0)
    risk: RiskOptions = RiskOptions()
    plan: PlanOptions = PlanOptions()

    @model_validator(mode="after")
    def _one_kind(self) -> SweepFile:
        if self.grid and self.cases:
            raise ValueError("give either 'grid' or 'cases', not both")
        for key, values in self.grid.items():
            if not values:
                raise ValueError(f"grid '{key}' has no values")
        return self


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


def load_sweep(path: str | Path) -> tuple[SweepFile, list[Task]]:
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(
            f"cannot be read ({exc})", file=file, fix="give the sweep file's path"
        ) from None
    try:
        raw = yaml.safe_load(text) or {}
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(
            "is not valid YAML",
            file=file,
            line=mark.line + 1 if mark else None,
            fix="check indentation, colons and quotes near that line",
        ) from None
    try:
        sweep = SweepFile.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise InputError(
            "unknown field" if err["type"] == "extra_forbidden" else err["msg"],
            file=file,
            line=line_of(root, list(err["loc"])),
            field=".".join(str(p) for p in err["loc"]),
            fix="see the sweep file layout in README.md",
        ) from None
    base_ref = sweep.base
    if base_ref is not None and (Path(path).parent / base_ref).is_file():
        base_ref = str(Path(path).parent / base_ref)
    base = load_scenario(base_ref)
    return sweep, expand(sweep, base, file)


def expand(sweep: SweepFile, base: Scenario, file: str = "<sweep>") -> list[Task]:
    if sweep.grid:
        keys = list(sweep.grid)
        cases = [
            Case(
                name=", ".join(f"{k}={v}" for k, v in zip(keys, combo, strict=True)),
                set=dict(zip(keys, combo, strict=True)),
            )
            for combo in itertools.product(*sweep.grid.values())
        ]
    else:
        cases = sweep.cases or [Case(name="base")]
    # the levers the sweep varies stay fixed in each risk task (see `draws.pinned`)
    varied = sorted({k for case in cases for k in case.set})
    specs = []
    for case in cases:
        scenario = _apply(base, case, file)
        for engine in sweep.engines:
            options = _options(sweep, engine, varied)
            specs.append((case.name, engine, scenario, options))
    seeds = np.random.SeedSequence(sweep.seed).spawn(len(specs))
    tasks = []
    plans = 0
    for i, ((case, engine, scenario, options), ss) in enumerate(zip(specs, seeds, strict=True)):
        seed = int(ss.generate_state(1)[0])
        key = json.dumps([engine, scenario, options, seed], sort_keys=True)
        tid = hashlib.sha256(key.encode()).hexdigest()[:16]
        chain = tid
        if engine == "plan":
            chain = f"plan-{plans // sweep.plan.chain}"
            plans += 1
        tasks.append(Task(i, tid, case, engine, scenario, seed, options, chain))
    return tasks


def _options(sweep: SweepFile, engine: str, varied: list[str]) -> dict[str, Any]:
    if engine == "risk":
        return {**sweep.risk.model_dump(), "varied": varied}
    if engine == "plan":
        return sweep.plan.model_dump()
    return {}


def _apply(base: Scenario, case: Case, file: str) -> dict[str, Any]:
    data = base.model_dump(mode="json")
    data["name"] = f"{base.name} [{case.name}]"
    for dotted, value in case.set.items():
        node = data
        parts = dotted.split(".")
        for part in parts[:-1]:
            if not isinstance(node.get(part), dict):
                raise InputError(
                    f"'{dotted}' is not a scenario field",
                    file=file,
                    field=dotted,
                    fix="use dotted scenario fields such as budget.multiplier or deadline",
                )
            node = node[part]
        if parts[-1] not in node:
            raise InputError(
                f"'{dotted}' is not a scenario field",
                file=file,
                field=dotted,
                fix="use dotted scenario fields such as budget.multiplier or deadline",
            )
        node[parts[-1]] = value
    try:
        return Scenario.model_validate(data).model_dump(mode="json")
    except ValidationError as exc:
        err = exc.errors()[0]
        raise InputError(
            f"case '{case.name}': {err['msg']}",
            file=file,
            field=".".join(str(p) for p in err["loc"]),
            fix="correct the value in the grid or case",
        ) from None
