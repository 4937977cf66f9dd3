"""Schemas of the definition files: what exists, with no figures (figures live in CSV tables)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from burdenshift.domain.uncertainty import Uncertainty

Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$", max_length=64)]
"""An id of the data (ally code, area, metric, system, line, input): letters, digits, `_`, `.`
and `-`. No `:`, which joins compound keys in the figure tables (`holder:system`), and no comma
or space, which would need quoting in them."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Ally(_Strict):
    name: str
    region: Literal["europe", "north_america"]


class Metric(_Strict):
    name: str
    unit: str
    """The capability unit, e.g. 'tonnes of transferable fuel'."""


class Area(_Strict):
    name: str
    coordination_dependent: bool
    """Runs on US-led coordination: loses effectiveness when the US leaves those mechanisms."""
    metrics: dict[Id, Metric] = Field(min_length=1)


class System(_Strict):
    name: str
    area: str
    metric: str


class Line(_Strict):
    producer: str
    country: str
    system: str


class Input(_Strict):
    name: str
    unit: str


class GreenfieldFamily(_Strict):
    """A plant Europe could build: it makes one system, in one of the host countries."""

    name: str
    system: Id
    hosts: list[Id] = Field(min_length=1, max_length=40)


class GreenfieldFile(_Strict):
    families: dict[Id, GreenfieldFamily]


class RequirementSet(_Strict):
    name: str
    description: str
    fallback: Id | None = None
    """The set whose figure applies where this one gives none (a study that covers some areas)."""


class RequirementsFile(_Strict):
    """Named requirement sets; their figures are in requirements.csv (`SET:area:metric`)."""

    default: Id
    sets: dict[Id, RequirementSet] = Field(min_length=1)


class AlliesFile(_Strict):
    allies: dict[Id, Ally] = Field(min_length=1)


class AreasFile(_Strict):
    areas: dict[Id, Area] = Field(min_length=1)


class SystemsFile(_Strict):
    systems: dict[Id, System] = Field(min_length=1)


class LinesFile(_Strict):
    lines: dict[Id, Line] = Field(min_length=1)


class InputsFile(_Strict):
    inputs: dict[Id, Input]


DEFINITION_FILES: dict[str, type[BaseModel]] = {
    "allies.yaml": AlliesFile,
    "areas.yaml": AreasFile,
    "systems.yaml": SystemsFile,
    "lines.yaml": LinesFile,
    "inputs.yaml": InputsFile,
    "uncertainty.yaml": Uncertainty,
    "requirements.yaml": RequirementsFile,
    "greenfield.yaml": GreenfieldFile,
}
OPTIONAL_FILES = frozenset({"uncertainty.yaml", "requirements.yaml", "greenfield.yaml"})
"""Definition files a data folder may leave out."""
