"""The World: every figure of a data folder as labelled arrays, built once, read by engines."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from burdenshift.dims import EUROPE_AGGREGATE, US
from burdenshift.domain.entities import (
    AlliesFile,
    AreasFile,
    GreenfieldFile,
    InputsFile,
    Line,
    LinesFile,
    RequirementsFile,
    SystemsFile,
)
from burdenshift.domain.figures import INPUT_USE_PREFIX, TABLES, Figure, field_spec
from burdenshift.domain.reader import RawData
from burdenshift.domain.uncertainty import Uncertainty
from burdenshift.errors import InputError


@dataclass(frozen=True, eq=False)
class World:
    """Immutable arrays over (ally, area, metric, system, line, input); money in USD_m."""

    allies: tuple[str, ...]
    ally_names: tuple[str, ...]
    ally_region: tuple[str, ...]
    gdp_usd_bn: np.ndarray
    defence_pct_gdp: np.ndarray
    equipment_share: np.ndarray
    core_pct_gdp_2035: np.ndarray

    areas: tuple[str, ...]
    area_names: tuple[str, ...]
    area_coordination: np.ndarray
    integration_penalty: np.ndarray
    us_floor_share: np.ndarray

    metrics: tuple[str, ...]
    """`area:metric` ids."""
    metric_names: tuple[str, ...]
    metric_units: tuple[str, ...]
    metric_area: np.ndarray
    metric_weight: np.ndarray

    systems: tuple[str, ...]
    system_names: tuple[str, ...]
    system_metric: np.ndarray
    value_per_unit: np.ndarray
    unit_cost_musd: np.ndarray
    service_life_years: np.ndarray

    holdings: np.ndarray
    """(ally, system) items held today; the `EUR` aggregate already allocated to European allies."""
    us_contribution: np.ndarray
    """(system,) items the US contributes to Europe's defence today."""
    holdings_weak: np.ndarray
    """(ally, system) share of the holding resting on low-confidence or assumed figures."""
    us_weak: np.ndarray

    lines: tuple[str, ...]
    line_producer: tuple[str, ...]
    line_system: np.ndarray
    line_country: np.ndarray
    capacity_per_year: np.ndarray
    capacity_ceiling_per_year: np.ndarray
    max_ramp_share_per_year: np.ndarray
    lead_time_years: np.ndarray
    capex_musd_per_unit_capacity: np.ndarray
    us_content_share: np.ndarray
    europe_share: np.ndarray
    planned_capacity_per_year: np.ndarray
    """Capacity already financed and being built: reached in `planned_capacity_year` (0: none)
    without new orders."""
    planned_capacity_year: np.ndarray
    line_greenfield: np.ndarray
    """(line,) a plant Europe could build (greenfield.yaml): no capacity today, built from
    nothing up to its largest size, after its lead time."""
    line_min_capacity: np.ndarray
    """(line,) the smallest plant worth building (greenfield lines; 0 elsewhere)."""
    line_lag_years: np.ndarray
    """(line,) whole years from an order to delivery into the buyer's stock (delivery.csv)."""

    inputs: tuple[str, ...]
    input_units: tuple[str, ...]
    input_use: np.ndarray
    """(line, input) use per item produced."""
    input_supply_per_year: np.ndarray
    input_max_growth_share: np.ndarray

    requirement_sets: tuple[str, ...]
    """Named requirement sets of the data (requirements.yaml), before the computed ones."""
    requirement_set_names: tuple[str, ...]
    requirement_default: str
    requirement_quantity: np.ndarray
    """(set, metric) the set's requirement, its fallback's where it gives none; NaN: none."""
    requirement_weak: np.ndarray
    """(set, metric) the figure is low-confidence or an assumption."""
    campaign_days: np.ndarray
    """(set,) the days of high-intensity war each set's munition stocks must last."""
    daily_use: np.ndarray
    """(metric,) use a day in high-intensity war, metric units; NaN: not a munition."""
    training_use_per_year: np.ndarray
    availability: np.ndarray
    """(ally, system) share of the holding ready for war (serviceability, crews)."""
    us_availability: np.ndarray
    """(system,) the same for the US contribution."""
    us_made: np.ndarray
    """(system,) share of the system of US origin (US spares, software, munitions)."""
    dependence_floor: np.ndarray
    """(system,) availability factor a fleet with US-made parts falls to when licences are
    refused (the whole fleet's factor, allowing for the share that is US-made)."""
    dependence_years: np.ndarray
    """(system,) years to fall to that floor."""
    threat_stock: np.ndarray
    """(metric,) Russia's holdings in the metric's units; NaN: no public estimate."""
    threat_output: np.ndarray
    """(metric,) Russia's new production and refurbishment a year; NaN: not estimated."""
    threat_use: np.ndarray
    """(metric,) Russia's losses and expenditure a year in the war against Ukraine; NaN: not
    estimated."""
    threat_year: np.ndarray
    """(metric,) the year of the stock estimate."""
    ukraine_per_year: np.ndarray
    """(system,) European transfers to Ukraine a year."""

    base_year: int
    gdp_real_growth: float
    available_share: float
    discount_rate: float
    learning_rate: float
    """Unit price multiplies by this with every doubling of cumulative output (Wright's law)."""
    variant_fixed_cost_musd: float
    """One-off cost of each distinct national variant: qualification, integration, training."""

    figures: tuple[Figure, ...] = field(repr=False)
    data_hash: str = ""
    source: str = ""
    uncertainty: Uncertainty = field(default_factory=Uncertainty, repr=False)
    """Default distributions of the uncertain parameters (data/uncertainty.yaml)."""
    raw: RawData | None = field(default=None, repr=False)
    """The data folder as read, so a scenario's overrides can rebuild the World."""

    # -- derived views -------------------------------------------------------------------
    @property
    def us_index(self) -> int:
        return self.allies.index(US)

    @property
    def line_is_us(self) -> np.ndarray:
        return self.line_country == self.us_index

    @property
    def system_area(self) -> np.ndarray:
        return self.metric_area[self.system_metric]

    def system_to_metric(self) -> np.ndarray:
        """(system, metric) matrix of capability per item."""
        out = np.zeros((len(self.systems), len(self.metrics)))
        out[np.arange(len(self.systems)), self.system_metric] = self.value_per_unit
        return out

    def metric_to_area(self) -> np.ndarray:
        """(metric, area) matrix of metric weights."""
        out = np.zeros((len(self.metrics), len(self.areas)))
        out[np.arange(len(self.metrics)), self.metric_area] = self.metric_weight
        return out

    def europe_mask(self, include_canada: bool = True) -> np.ndarray:
        """The allies counted as 'Europe': all but the US (Canada optional)."""
        mask = np.array([a != US for a in self.allies])
        if not include_canada:
            mask &= np.array([r == "europe" for r in self.ally_region])
        return mask

    def defence_budget_musd(self) -> np.ndarray:
        """(ally,) defence spending today, USD_m."""
        return self.gdp_usd_bn * 1000.0 * self.defence_pct_gdp / 100.0


def build_world(raw: RawData) -> World:
    """Arrays from checked figures (run `check_all` first: this trusts references)."""
    figs = raw.figures
    value: dict[tuple[str, str, str], float] = {(f.table, f.key, f.field): f.value for f in figs}
    weak: dict[tuple[str, str, str], bool] = {(f.table, f.key, f.field): f.weak for f in figs}
    d = raw.definitions
    allies_f, areas_f = d["allies.yaml"], d["areas.yaml"]
    systems_f, lines_f, inputs_f = d["systems.yaml"], d["lines.yaml"], d["inputs.yaml"]
    assert isinstance(allies_f, AlliesFile) and isinstance(areas_f, AreasFile)
    assert isinstance(systems_f, SystemsFile) and isinstance(lines_f, LinesFile)
    assert isinstance(inputs_f, InputsFile)

    def get(table: str, key: str, name: str) -> float:
        spec = field_spec(table, name, key)
        got = value.get((table, key, name))
        if got is None:
            assert spec is not None and spec.default is not None, (table, key, name)
            return spec.default
        return got

    def arr(table: str, keys: tuple[str, ...], name: str) -> np.ndarray:
        return np.array([get(table, k, name) for k in keys], dtype=float)

    allies = tuple(allies_f.allies)
    areas = tuple(areas_f.areas)
    metrics = tuple(f"{a}:{m}" for a, area in areas_f.areas.items() for m in area.metrics)
    metric_defs = [areas_f.areas[a].metrics[m] for a, m in (x.split(":") for x in metrics)]
    systems = tuple(systems_f.systems)
    inputs = tuple(inputs_f.inputs)
    new_lines, new_values = _greenfield_lines(raw, value, inputs)
    all_lines = {**lines_f.lines, **new_lines}
    value.update(new_values)
    lines = tuple(all_lines)

    system_metric = np.array(
        [metrics.index(f"{s.area}:{s.metric}") for s in systems_f.systems.values()], dtype=int
    )
    param = {f.key: f.value for f in figs if f.table == "parameters.csv"}
    # constant 2025 USD, the data's one money basis (allies.csv gives current dollars)
    gdp = arr("allies.csv", allies, "gdp_usd_bn") / param.get("gdp_price_factor", 1.0)
    defence_pct = arr("allies.csv", allies, "defence_pct_gdp")
    equipment = arr("allies.csv", allies, "equipment_share")

    holdings = np.zeros((len(allies), len(systems)))
    holdings_weak = np.zeros_like(holdings)
    us = np.zeros(len(systems))
    us_weak = np.zeros(len(systems))
    # the EUR aggregate is spread over European allies by equipment spending (an assumption)
    europe = np.array([r == "europe" for r in (a.region for a in allies_f.allies.values())])
    equipment_money = np.where(europe, gdp * defence_pct * equipment, 0.0)
    spread = equipment_money / equipment_money.sum() if equipment_money.sum() > 0 else europe * 0.0
    for f in figs:
        if f.table != "holdings.csv":
            continue
        holder, system = f.key.split(":")
        s = systems.index(system)
        w = float(f.weak)
        if holder == US:
            us[s] += f.value
            us_weak[s] += f.value * w
        elif holder == EUROPE_AGGREGATE:
            holdings[:, s] += spread * f.value
            holdings_weak[:, s] += spread * f.value * w
        else:
            holdings[allies.index(holder), s] += f.value
            holdings_weak[allies.index(holder), s] += f.value * w
    with np.errstate(invalid="ignore", divide="ignore"):
        holdings_weak = np.where(holdings > 0, holdings_weak / holdings, 0.0)
        us_weak = np.where(us > 0, us_weak / us, 0.0)
    # a system's value per unit is a figure too: weak values make the holding weak
    value_weak = np.array(
        [weak[("systems.csv", s, "value_per_unit")] for s in systems], dtype=float
    )
    holdings_weak = np.maximum(holdings_weak, value_weak[None, :])
    us_weak = np.maximum(us_weak, value_weak)

    input_use = np.array(
        [[get("lines.csv", lid, f"{INPUT_USE_PREFIX}{k}") for k in inputs] for lid in lines],
        dtype=float,
    ).reshape(len(lines), len(inputs))
    line_country = np.array([allies.index(ln.country) for ln in all_lines.values()], dtype=int)

    return World(
        **_requirements(raw, metrics, value, weak),
        **_readiness(allies, systems, value),
        **_threat(metrics, figs),
        daily_use=np.array(
            [value.get(("expenditure.csv", m, "daily_use"), np.nan) for m in metrics]
        ),
        training_use_per_year=np.array(
            [value.get(("expenditure.csv", m, "training_use_per_year"), 0.0) for m in metrics]
        ),
        ukraine_per_year=np.array(
            [value.get(("ukraine.csv", s, "items_per_year"), 0.0) for s in systems]
        ),
        allies=allies,
        ally_names=tuple(a.name for a in allies_f.allies.values()),
        ally_region=tuple(a.region for a in allies_f.allies.values()),
        gdp_usd_bn=gdp,
        defence_pct_gdp=defence_pct,
        equipment_share=equipment,
        core_pct_gdp_2035=arr("allies.csv", allies, "core_pct_gdp_2035"),
        areas=areas,
        area_names=tuple(a.name for a in areas_f.areas.values()),
        area_coordination=np.array([a.coordination_dependent for a in areas_f.areas.values()]),
        integration_penalty=arr("areas.csv", areas, "integration_penalty"),
        us_floor_share=arr("areas.csv", areas, "us_floor_share"),
        metrics=metrics,
        metric_names=tuple(m.name for m in metric_defs),
        metric_units=tuple(m.unit for m in metric_defs),
        metric_area=np.array([areas.index(m.split(":")[0]) for m in metrics], dtype=int),
        metric_weight=arr("areas.csv", metrics, "weight"),
        systems=systems,
        system_names=tuple(s.name for s in systems_f.systems.values()),
        system_metric=system_metric,
        value_per_unit=arr("systems.csv", systems, "value_per_unit"),
        unit_cost_musd=arr("systems.csv", systems, "unit_cost_musd"),
        service_life_years=np.maximum(arr("systems.csv", systems, "service_life_years"), 1.0),
        holdings=holdings,
        us_contribution=us,
        holdings_weak=holdings_weak,
        us_weak=us_weak,
        lines=lines,
        line_producer=tuple(ln.producer for ln in all_lines.values()),
        line_system=np.array([systems.index(ln.system) for ln in all_lines.values()], dtype=int),
        line_country=line_country,
        capacity_per_year=arr("lines.csv", lines, "capacity_per_year"),
        capacity_ceiling_per_year=arr("lines.csv", lines, "capacity_ceiling_per_year"),
        max_ramp_share_per_year=arr("lines.csv", lines, "max_ramp_share_per_year"),
        lead_time_years=np.rint(arr("lines.csv", lines, "lead_time_years")).astype(int),
        capex_musd_per_unit_capacity=arr("lines.csv", lines, "capex_musd_per_unit_capacity"),
        us_content_share=arr("lines.csv", lines, "us_content_share"),
        europe_share=arr("lines.csv", lines, "europe_share"),
        planned_capacity_per_year=arr("lines.csv", lines, "planned_capacity_per_year"),
        planned_capacity_year=np.rint(arr("lines.csv", lines, "planned_capacity_year")).astype(int),
        line_greenfield=np.array([lid in new_lines for lid in lines]),
        line_min_capacity=np.array(
            [new_values.get(("greenfield.min", lid, ""), 0.0) for lid in lines]
        ),
        line_lag_years=np.array(
            [
                value.get(
                    ("delivery.csv", f"{ln.system}:{ln.country}", "lag_years"),
                    value.get(("delivery.csv", ln.system, "lag_years"), 0.0),
                )
                for ln in all_lines.values()
            ],
            dtype=int,
        ),
        inputs=inputs,
        input_units=tuple(i.unit for i in inputs_f.inputs.values()),
        input_use=input_use,
        input_supply_per_year=arr("inputs.csv", inputs, "supply_per_year"),
        input_max_growth_share=arr("inputs.csv", inputs, "max_growth_share_per_year"),
        base_year=int(param["base_year"]),
        gdp_real_growth=param["gdp_real_growth"],
        available_share=param["available_share"],
        discount_rate=param["discount_rate"],
        learning_rate=param["learning_rate"],
        variant_fixed_cost_musd=param["variant_fixed_cost_musd"],
        figures=figs,
        data_hash=raw.data_hash,
        source=str(raw.folder),
        uncertainty=_uncertainty(raw),
        raw=raw,
    )


TODAY = "today"
"""The comparator set: today's European holdings plus the US contribution, both ready for war.
It moves with the holdings, so it says nothing about what defending Europe needs."""
RATIO_TO_RUSSIA = "ratio-to-russia"
"""A stated force ratio to Russia's projected holdings, per metric where they are estimated."""
NATO_CAMPAIGN_DAYS = 30.0
"""Campaign days where a set states none: NATO's 30-day stockpile guideline (docs/method.md)."""


GREENFIELD_PREFIX = "NEW-"
"""Line ids of plants Europe could build: NEW-<family>-<host>."""


def _greenfield_lines(
    raw: RawData, value: dict[tuple[str, str, str], float], inputs: tuple[str, ...]
) -> tuple[dict[str, Line], dict[tuple[str, str, str], float]]:
    """One potential line per greenfield family and host, with the figures of lines.csv: no
    capacity today, a ceiling of the largest plant, the family's lead time, capital cost and
    ramp, and the critical inputs of the system's existing European lines (their mean)."""
    found = raw.definitions.get("greenfield.yaml")
    lines_f = raw.definitions["lines.yaml"]
    if not isinstance(found, GreenfieldFile) or not isinstance(lines_f, LinesFile):
        return {}, {}
    new: dict[str, Line] = {}
    extra: dict[tuple[str, str, str], float] = {}
    for fid, fam in found.families.items():
        peers = [
            lid for lid, ln in lines_f.lines.items() if ln.system == fam.system and ln.country != US
        ]
        for host in fam.hosts:
            lid = f"{GREENFIELD_PREFIX}{fid}-{host}"
            new[lid] = Line(producer=f"new plant: {fam.name}", country=host, system=fam.system)

            def fig(name: str, default: float = 0.0, family: str = fid) -> float:
                return value.get(("greenfield.csv", family, name), default)

            extra.update(
                {
                    ("lines.csv", lid, "capacity_per_year"): 0.0,
                    ("lines.csv", lid, "capacity_ceiling_per_year"): fig("max_capacity_per_year"),
                    ("lines.csv", lid, "max_ramp_share_per_year"): fig(
                        "max_ramp_share_per_year", 1.0
                    ),
                    ("lines.csv", lid, "lead_time_years"): fig("lead_time_years"),
                    ("lines.csv", lid, "capex_musd_per_unit_capacity"): fig(
                        "capex_musd_per_unit_capacity"
                    ),
                    ("greenfield.min", lid, ""): fig("min_capacity_per_year"),
                }
            )
            for k in inputs:
                uses = [value.get(("lines.csv", p, f"{INPUT_USE_PREFIX}{k}"), 0.0) for p in peers]
                if uses:
                    extra["lines.csv", lid, f"{INPUT_USE_PREFIX}{k}"] = sum(uses) / len(uses)
    return new, extra


def _requirements(
    raw: RawData,
    metrics: tuple[str, ...],
    value: dict[tuple[str, str, str], float],
    weak: dict[tuple[str, str, str], bool],
) -> dict[str, object]:
    """Each named set's figures, resolved through its fallback chain (checked beforehand)."""
    found = raw.definitions.get("requirements.yaml")
    sets = dict(found.sets) if isinstance(found, RequirementsFile) else {}
    ids = tuple(sets)
    qty = np.full((len(ids), len(metrics)), np.nan)
    weak_q = np.zeros((len(ids), len(metrics)), dtype=bool)
    days = np.full(len(ids), NATO_CAMPAIGN_DAYS)
    for i, sid in enumerate(ids):
        chain: list[str] = []
        at: str | None = sid
        while at is not None and at in sets and at not in chain:
            chain.append(at)
            at = sets[at].fallback
        days[i] = next(
            (
                value[("requirements.csv", c, "campaign_days")]
                for c in chain
                if ("requirements.csv", c, "campaign_days") in value
            ),
            NATO_CAMPAIGN_DAYS,
        )
        for j, m in enumerate(metrics):
            for c in chain:
                k = ("requirements.csv", f"{c}:{m}", "quantity")
                if k in value:
                    qty[i, j], weak_q[i, j] = value[k], weak[k]
                    break
    return {
        "requirement_sets": ids,
        "requirement_set_names": tuple(sets[s].name for s in ids),
        "requirement_default": found.default if isinstance(found, RequirementsFile) else TODAY,
        "requirement_quantity": qty,
        "requirement_weak": weak_q,
        "campaign_days": days,
    }


def _readiness(
    allies: tuple[str, ...], systems: tuple[str, ...], value: dict[tuple[str, str, str], float]
) -> dict[str, np.ndarray]:
    """Availability per holder and system (a holder's own figure, else the system's, else 1)."""

    def get(key: str, name: str, default: float) -> float:
        return value.get(("readiness.csv", key, name), default)

    base = np.array([get(s, "availability", 1.0) for s in systems])
    per_ally = np.array(
        [[get(f"{a}:{s}", "availability", base[j]) for j, s in enumerate(systems)] for a in allies]
    )
    return {
        "availability": per_ally,
        "us_availability": per_ally[allies.index(US)] if US in allies else base,
        "us_made": np.array([get(s, "us_made", 0.0) for s in systems]),
        "dependence_floor": np.array([get(s, "dependence_floor", 1.0) for s in systems]),
        "dependence_years": np.array([get(s, "dependence_years", 1.0) for s in systems]),
    }


def _threat(metrics: tuple[str, ...], figs: tuple[Figure, ...]) -> dict[str, np.ndarray]:
    rows = {(f.key, f.field): f for f in figs if f.table == "threat.csv"}

    def col(name: str, default: float) -> np.ndarray:
        return np.array([rows[m, name].value if (m, name) in rows else default for m in metrics])

    return {
        "threat_stock": col("stock", np.nan),
        "threat_output": col("output_per_year", np.nan),
        "threat_use": col("use_per_year", np.nan),
        "threat_year": np.array(
            [rows[m, "stock"].year if (m, "stock") in rows else 0 for m in metrics], dtype=int
        ),
    }


def _uncertainty(raw: RawData) -> Uncertainty:
    found = raw.definitions.get("uncertainty.yaml")
    return found if isinstance(found, Uncertainty) else Uncertainty()


def override_figures(raw: RawData, overrides: dict[tuple[str, str, str], float]) -> RawData:
    """The same data with some figures replaced by (table, key, field); marked as assumptions."""
    figs = {(f.table, f.key, f.field): f for f in raw.figures}
    for (table, key, name), val in overrides.items():
        spec = field_spec(table, name, key)
        if spec is None or table not in TABLES:
            raise InputError(
                f"cannot override unknown field '{name}' of {table}",
                field=f"overrides.{table}.{key}.{name}",
                fix="name a table, key and field listed in docs/data.md",
            )
        old = figs.get((table, key, name))
        figs[table, key, name] = Figure(
            table,
            key,
            name,
            val,
            spec.unit,
            old.year if old else 0,
            "scenario override",
            "assumption",
            "value set by the scenario",
            0,
        )
    return replace(raw, figures=tuple(figs.values()))
