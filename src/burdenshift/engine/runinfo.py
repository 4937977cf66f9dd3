"""What every stored or printed result records about how it was made."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from importlib.metadata import PackageNotFoundError, version

from burdenshift.domain.world import World
from burdenshift.engine.counting import requirement_label
from burdenshift.scenario.schema import Scenario


def package_version() -> str:
    try:
        return version("burdenshift")
    except PackageNotFoundError:
        return "0+unknown"


@dataclass(frozen=True)
class RunInfo:
    engine: str
    version: str
    scenario: str
    scenario_hash: str
    data_hash: str
    seed: int | None
    applied: dict
    """The full scenario as applied (defaults filled in), enough to reproduce the run."""
    requirement: str = ""
    """The requirement set the run measures against, in words."""

    def as_dict(self) -> dict:
        return asdict(self)


def run_info(engine: str, world: World, scenario: Scenario, seed: int | None = None) -> RunInfo:
    applied = scenario.model_dump(mode="json")
    digest = hashlib.sha256(json.dumps(applied, sort_keys=True).encode()).hexdigest()[:16]
    return RunInfo(
        engine=engine,
        version=package_version(),
        scenario=scenario.name,
        scenario_hash=digest,
        data_hash=world.data_hash,
        seed=seed,
        applied=applied,
        requirement=requirement_label(world, scenario),
    )
