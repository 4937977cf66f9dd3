"""What every stored or printed result records about how it was made."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from importlib.metadata import PackageNotFoundError, version

from burdenshift.domain.world import World
from burdenshift.engine.counting import requirement_label
from burdenshift.scenario.schema import Scenario

ENGINES: dict[str, dict[str, str]] = {
    "assess": {
        "kind": "a ceiling",
        "assumes": "the most each area could get, with every line's output bought",
        "counts": "counts every line's output (at today's rates or the fastest ramp) as bought "
        "by Europe, as far as all of Europe's money pays for it",
    },
    "simulate": {
        "kind": "a buying rule",
        "assumes": "what a stated buying rule delivers",
        "counts": "spends each year's money by its stated rule, so it is lower where money, "
        "the rule or the open export routes bind",
    },
    "plan": {
        "kind": "an optimised plan",
        "assumes": "the best plan an optimiser finds",
        "counts": "chooses the orders and new capacity that leave the least shortfall, then the "
        "least discounted cost, so it can beat the buying rule where the rule spends badly",
    },
    "risk": {
        "kind": "the rule under uncertainty",
        "assumes": "the buying rule under uncertainty, over many draws of the uncertain figures",
        "counts": "runs the buying rule over many draws of the uncertain figures and reports "
        "their median, which can sit below the central case",
    },
    "sensitivity": {
        "kind": "which levers matter",
        "assumes": "how much of the buying rule's spread each uncertain figure causes "
        "(Sobol indices)",
        "counts": "ranks the uncertain figures by how much of the buying rule's spread each causes",
    },
    "weakest": {
        "kind": "which figures to check first",
        "assumes": "the buying rule with one figure at a time at each end of its range",
        "counts": "ranks the figures by how far each one's range moves an area's share at the "
        "deadline under the buying rule, every other figure as stated",
    },
    "threat": {
        "kind": "the race against Russia",
        "assumes": "Europe's stocks and output against Russia's, at today's rates and the fastest "
        "ramp",
        "counts": "sets Europe's stocks and output against Russia's",
    },
}
"""What each engine is and assumes, in one place: every table, chart, JSON object, report
section and page panel prints these words (through `engine_tag`, `engine_label` and the `run`
block), never its own copy."""


def engine_tag(engine: str) -> str:
    """The engine's name and kind, to open a headline: "assess (a ceiling)"."""
    e = ENGINES.get(engine)
    return f"{engine} ({e['kind']})" if e else engine


def engine_label(engine: str) -> str:
    """The engine and what it assumes, in one line: "assess (a ceiling): the most …"."""
    e = ENGINES.get(engine)
    return f"{engine_tag(engine)}: {e['assumes']}" if e else engine


def engine_counts(engine: str) -> str:
    """How the engine counts a share, for the sentence on why two engines differ."""
    e = ENGINES.get(engine)
    return f"{engine_tag(engine)} {e['counts']}" if e else engine


def label_of(payload: dict, engine: str | None = None) -> str:
    """A result's engine label: its `run` block's, or (runs kept before runs carried one) the
    label of the engine it names."""
    run = payload.get("run") or {}
    return run.get("engine_label") or engine_label(engine or run.get("engine", ""))


def counts_of(payload: dict, engine: str | None = None) -> str:
    run = payload.get("run") or {}
    return run.get("engine_counts") or engine_counts(engine or run.get("engine", ""))


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
    engine_label: str = ""
    """The engine and what it assumes (`engine_label`), printed by every output of the run."""
    engine_counts: str = ""
    """How the engine counts a share (`engine_counts`): why it differs from another engine."""

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
        engine_label=engine_label(engine),
        engine_counts=engine_counts(engine),
    )
