"""The public Python API: load data and scenarios, run every engine and query, keep and read runs.

Every function returns a result object whose tables are labelled pandas or xarray objects:
units in `attrs["units"]` (a DataFrame: {column: unit}; a DataArray: one string), years as
integers, and pandas' nullable `Int64` with <NA> where a year is "never". Each result's
`as_dict()` is the JSON the CLI prints with `--json`, and its tables are read from that JSON, so
a number from Python and from the command line are the same number.

>>> from burdenshift import api
>>> world = api.load_world()
>>> result = api.assess(world, "baseline-2027-blunt")
>>> result.to_frame()["year_target_max_ramp"].dtype
Int64Dtype()
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from burdenshift.domain.load import load_world as _load_world
from burdenshift.domain.world import World
from burdenshift.engine import queries as _queries
from burdenshift.engine.params import Params
from burdenshift.errors import InputError
from burdenshift.scenario.apply import applied_world
from burdenshift.scenario.loader import load_scenario, with_deadline
from burdenshift.scenario.schema import Scenario

ScenarioLike = Scenario | str | Path | Mapping[str, Any] | None
"""A Scenario, a shipped scenario's name, a YAML path, a mapping of scenario fields, or None
(the 2027 blunt baseline)."""

SHARE = "share of requirement"
FORCE = "share of the allied force"
FRACTION = "share"
YEAR = "year"
MUSD = "USD_m (constant 2025)"
USD_BN = "USD bn (constant 2025)"
ITEMS = "items"
PROBABILITY = "probability"
SHARE_YEARS = "requirement-share-years"
INDEX = "Sobol index (share of variance)"
PCT_GDP = "% of GDP"


# -- helpers -----------------------------------------------------------------------------------
def load_world(path: str | Path | None = None) -> World:
    """The data set: the embedded data (read once per session), or your own data folder.

    >>> world = load_world()
    >>> len(world.areas)
    12
    """
    return _load_world(path)


def _scenario(scenario: ScenarioLike, deadline: int | None = None) -> Scenario:
    """The scenario asked for, with the deadline overridden as `--deadline` does."""
    if isinstance(scenario, Scenario):
        sc = scenario
    elif isinstance(scenario, Mapping):
        sc = Scenario.model_validate(dict(scenario))
    else:
        sc = load_scenario(scenario)
    return with_deadline(sc, deadline)


def _world(world: World | None) -> World:
    return load_world() if world is None else world


def _frame(
    rows: Sequence[Mapping[str, Any]] | pd.DataFrame,
    units: Mapping[str, str],
    index: str | list[str] | None = None,
    years: Sequence[str] = (),
    nullable: Sequence[str] = (),
    **attrs: Any,
) -> pd.DataFrame:
    """A labelled DataFrame: year columns as Int64 (<NA>: never), `nullable` float columns as
    Float64 (<NA>: none), units in attrs for every column that has one."""
    df = rows.copy() if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    for col in years:
        if col in df:
            df[col] = pd.array([_int_or_na(v) for v in df[col]], dtype="Int64")
    for col in nullable:
        if col in df:
            df[col] = pd.array([pd.NA if v is None else v for v in df[col]], dtype="Float64")
    if index is not None and len(df):
        df = df.set_index(index)
    df.attrs["units"] = {c: u for c, u in units.items() if c in df.columns or c in df.index.names}
    df.attrs.update(attrs)
    return df


def _int_or_na(v: Any) -> Any:
    if v is None or v is pd.NA or (isinstance(v, float) and not np.isfinite(v)):
        return pd.NA
    return int(v)


def _array(
    values: Any, dims: tuple[str, ...], coords: Mapping[str, Any], units: str
) -> xr.DataArray:
    data = np.asarray(values, dtype=float)
    if data.size == 0:  # nothing to show (no metric of the kind): keep the dimensions
        data = data.reshape([len(coords[d]) if d in coords else 0 for d in dims])
    return xr.DataArray(data, dims=dims, coords=dict(coords)).assign_attrs(units=units)


def _whole(x: Any) -> bool:
    return isinstance(x, int | np.integer) and not isinstance(x, bool)


def _years(keys: Sequence[Any]) -> list[int]:
    return [int(k) for k in keys]


# -- results -----------------------------------------------------------------------------------
class Result:
    """A run's result: `as_dict()` is the CLI's `--json`; `to_frame()` the main table; `frames`
    every table by name. Attributes of the engine's own result object (arrays, dataclass
    fields) are reachable on it too when the run was made in this session."""

    engine = ""
    _frames: tuple[str, ...] = ()

    def __init__(self, payload: dict[str, Any], raw: Any = None, wall_time_s: float = 0.0) -> None:
        self._payload = payload
        self._raw = raw
        self.wall_time_s = wall_time_s
        self.run_id: str | None = None
        """The id in the run store, once kept (`RunStore.save`) or read (`RunStore.get`)."""

    def __getattr__(self, name: str) -> Any:
        raw = self.__dict__.get("_raw")
        if raw is None or name.startswith("__"):
            raise AttributeError(name)
        return getattr(raw, name)

    def as_dict(self) -> dict[str, Any]:
        """The result as `--json` prints it (a copy)."""
        return copy.deepcopy(self._payload)

    @property
    def run(self) -> dict[str, Any]:
        """How the run was made: engine, version, scenario and its hash, data hash, seed."""
        return copy.deepcopy(self._payload.get("run", {}))

    @property
    def scenario(self) -> str:
        return str(self._payload.get("run", {}).get("scenario", ""))

    @property
    def frames(self) -> dict[str, pd.DataFrame]:
        """Every table of the result, by name."""
        return {name: getattr(self, f"{name}_frame")() for name in self._frames}

    def to_frame(self) -> pd.DataFrame:
        return getattr(self, f"{self._frames[0]}_frame")()

    def _tag(self, **attrs: Any) -> dict[str, Any]:
        run = self._payload.get("run", {})
        return {"engine": self.engine, "scenario": run.get("scenario"), **attrs}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.engine} scenario={self.scenario!r}>"

    def _repr_html_(self) -> str:
        return f"<p>{type(self).__name__}: {self.engine}, scenario {self.scenario}</p>" + str(
            self.to_frame()._repr_html_()
        )


AREA_UNITS = {
    "europe": "share of requirement (not capped)",
    "us": "share of requirement (not capped)",
    "europe_share_now": SHARE,
    "share_at_deadline_current_rates": SHARE,
    "share_at_deadline_max_ramp": SHARE,
    "year_target_current_rates": YEAR,
    "year_target_max_ramp": YEAR,
    "target": SHARE,
    "weak_share": FRACTION,
    "force_share_now": FORCE,
    "force_share_at_deadline": FORCE,
    "us_made_share": FRACTION,
}


class AssessResult(Result):
    """`assess`: per area, where Europe stands today and how far its lines can take it."""

    engine = "assess"
    _frames = ("areas", "metrics", "allies", "days_of_war")

    def areas_frame(self) -> pd.DataFrame:
        """One row per area; `year_target_*` is Int64 (<NA>: not within the horizon)."""
        p = self._payload
        rows = [{k: v for k, v in a.items() if k != "metrics"} for a in p["areas"]]
        return _frame(
            rows,
            AREA_UNITS,
            "area",
            years=("year_target_current_rates", "year_target_max_ramp"),
            **self._tag(deadline=p["deadline"], requirement=p["requirement"]),
        )

    def metrics_frame(self) -> pd.DataFrame:
        """One row per (area, metric): capability in the metric's own unit (`unit` column)."""
        rows = [{"area": a["area"], **m} for a in self._payload["areas"] for m in a["metrics"]]
        units = {
            "europe": "the metric's unit",
            "us": "the metric's unit",
            "requirement": "the metric's unit",
            "requirement_at_deadline": "the metric's unit",
            "weight": FRACTION,
            "europe_share_now": SHARE,
            "force_share_now": FORCE,
            "days_of_war_now": "days",
            "days_of_war_at_deadline": "days",
        }
        return _frame(rows, units, ["area", "metric"], **self._tag())

    def allies_frame(self) -> pd.DataFrame:
        """One row per European ally: spending, its share, GDP share and burden ratio."""
        rows = []
        for b in self._payload["allies"]:
            row = {k: v for k, v in b.items() if k != "contribution"}
            row.update({f"contribution_{k}": v for k, v in b["contribution"].items()})
            rows.append(row)
        units = {
            "gdp_usd_bn": "USD bn",
            "defence_pct_gdp": PCT_GDP,
            "defence_spending_usd_bn": "USD bn",
            "spending_share": FRACTION,
            "gdp_share": FRACTION,
            "gdp_proportional_usd_bn": "USD bn",
            "burden_ratio": "ratio",
        }
        if rows:
            units |= {k: "share of Europe's capability" for k in rows[0] if k.startswith("contr")}
        return _frame(rows, units, "ally", **self._tag())

    def days_of_war_frame(self) -> pd.DataFrame:
        """(year × munition metric): days Europe's stock lasts at the fastest ramp."""
        days = self._payload["days_of_war"]
        df = pd.DataFrame({m: {int(y): v for y, v in by.items()} for m, by in days.items()})
        df.index = df.index.astype("int64").rename("year")
        df.columns.name = "metric"
        return _frame(df, dict.fromkeys(df.columns, "days"), **self._tag())

    def to_xarray(self) -> xr.Dataset:
        """(area, year) coverage at today's rates and at the fastest ramp, the US contribution
        on its drawdown path, and the target."""
        p = self._payload
        areas = [a["area"] for a in p["areas"]]
        coords = {"area": areas, "year": np.asarray(p["years"], dtype="int64")}
        paths = p["paths"]

        def var(key: str) -> xr.DataArray:
            return _array([paths[a][key] for a in areas], ("area", "year"), coords, SHARE)

        return xr.Dataset(
            {
                "share_current_rates": var("current_rates"),
                "share_max_ramp": var("max_ramp"),
                "us_share": var("us"),
                "target": _array(
                    [a["target"] for a in p["areas"]], ("area",), {"area": areas}, SHARE
                ),
            },
            attrs=self._tag(deadline=p["deadline"]),
        )


class SimulateResult(Result):
    """`simulate`: the buying rule year by year (the first parameter set of a batch)."""

    engine = "simulate"
    _frames = ("areas", "shares", "cost")
    _metric_area: list[str] = []  # noqa: RUF012  (the area of each metric, set by `simulate`)

    def _deadline(self) -> int:
        return int(self._payload["run"]["applied"]["deadline"])

    def areas_frame(self) -> pd.DataFrame:
        """One row per area: share at the deadline, first year the target holds (Int64),
        deterrence gap over the horizon."""
        p = self._payload
        dl = p["years"].index(self._deadline())
        rows = [
            {
                "area": area,
                "share_at_deadline": v["europe_share"][dl],
                "target": v["target"],
                "year_target": v["year_target"],
                "deterrence_gap_total": v["deterrence_gap_total"],
                "force_share_at_deadline": v["force_share"][dl] if v["force_share"] else None,
                "us_made_share": v["us_made_share"],
                "low_confidence": v["low_confidence"],
            }
            for area, v in p["areas"].items()
        ]
        units = {
            "share_at_deadline": SHARE,
            "target": SHARE,
            "year_target": YEAR,
            "deterrence_gap_total": SHARE_YEARS,
            "force_share_at_deadline": FORCE,
            "us_made_share": FRACTION,
        }
        return _frame(
            rows, units, "area", years=("year_target",), **self._tag(deadline=self._deadline())
        )

    def shares_frame(self) -> pd.DataFrame:
        """Long (area, year): coverage, deterrence gap, US share and force share."""
        p = self._payload
        rows = [
            {
                "area": area,
                "year": y,
                "europe_share": v["europe_share"][t],
                "gap": v["gap"][t],
                "us_share": v["us_share"][t] if v["us_share"] else None,
                "force_share": v["force_share"][t] if v["force_share"] else None,
            }
            for area, v in p["areas"].items()
            for t, y in enumerate(p["years"])
        ]
        units = {"europe_share": SHARE, "gap": SHARE, "us_share": SHARE, "force_share": FORCE}
        return _frame(rows, units, ["area", "year"], **self._tag())

    def cost_frame(self) -> pd.DataFrame:
        """(year × ally): what each ally spends, purchases plus new capacity."""
        p = self._payload
        by = p["cost_musd"]["by_ally"]
        df = pd.DataFrame(by, index=pd.Index(_years(p["years"]), name="year", dtype="int64"))
        df.columns.name = "ally"
        return _frame(df, dict.fromkeys(df.columns, MUSD), **self._tag())

    def long_frame(self) -> pd.DataFrame:
        """The long results table (area, ally, system, line, year, metric, value, unit), the
        columns `simulate --csv` and `runs export` write; needs the run made in this session."""
        from burdenshift.output import simulation_rows

        if self._raw is None:
            raise InputError(
                "the long table needs the simulation itself",
                field="long_frame",
                fix="rerun `simulate` in this session, or read the stored rows with "
                "`open_store().results(run_id)`",
            )
        cols = ["area", "ally", "system", "line", "year", "metric", "value", "unit"]
        rows = simulation_rows(self._raw, self._metric_area)
        df = pd.DataFrame(rows, columns=cols)
        return _frame(df, {"value": "see the unit column"}, years=("year",), **self._tag())

    def to_xarray(self) -> xr.Dataset:
        """The labelled Dataset (batch, …, year) of the simulation, units in each variable's
        attrs; for a stored run, the shares of its one parameter set (batch of one)."""
        if self._raw is not None:
            ds = self._raw.to_xarray()
            for name in ds.data_vars:
                unit = ds[name].attrs.get("unit")
                if unit is None and "metric" in ds[name].dims:
                    unit = "the metric's unit (see metric_unit)"
                ds[name].attrs["units"] = unit or ""
            return ds.assign_attrs(self._tag(deadline=self._deadline()))
        p = self._payload
        areas = list(p["areas"])
        coords = {"batch": [0], "area": areas, "year": np.asarray(p["years"], dtype="int64")}

        def var(key: str, unit: str) -> xr.DataArray:
            return _array(
                [[p["areas"][a][key] for a in areas]], ("batch", "area", "year"), coords, unit
            )

        return xr.Dataset(
            {
                "europe_share": var("europe_share", SHARE),
                "gap": var("gap", SHARE),
                "us_share": var("us_share", SHARE),
                "force_share": var("force_share", FORCE),
            },
            attrs=self._tag(deadline=self._deadline()),
        )


class PlanResult(Result):
    """`plan`: the cheapest phased plan to the target and what binds."""

    engine = "plan"
    _frames = ("areas", "bottlenecks", "expansions", "deliveries", "us_purchases", "cost")

    @property
    def mode(self) -> str:
        return str(self._payload["mode"])

    @property
    def status(self) -> str:
        return str(self._payload["status"])

    def _deadline(self) -> int:
        return int(self._payload["run"]["applied"]["deadline"])

    def areas_frame(self) -> pd.DataFrame:
        """One row per area: the plan's share at the deadline and the first year the target
        holds (Int64, <NA>: not within the horizon)."""
        dl = str(self._deadline())
        rows = [
            {
                "area": a["area"],
                "share_at_deadline": a["benchmarks"].get(dl),
                "earliest_year": a["earliest_year"],
                "us_made_share": a["us_made_share"],
                "low_confidence": a["low_confidence"],
            }
            for a in self._payload["areas"]
        ]
        units = {"share_at_deadline": SHARE, "earliest_year": YEAR, "us_made_share": FRACTION}
        return _frame(
            rows,
            units,
            "area",
            years=("earliest_year",),
            **self._tag(mode=self.mode, deadline=int(dl)),
        )

    @property
    def benchmarks(self) -> xr.DataArray:
        """(area, year) the coverage the plan reaches each year: the yearly benchmarks."""
        areas = self._payload["areas"]
        years = _years(areas[0]["benchmarks"]) if areas else []
        return (
            _array(
                [[a["benchmarks"][str(y)] for y in years] for a in areas],
                ("area", "year"),
                {"area": [a["area"] for a in areas], "year": np.asarray(years, dtype="int64")},
                SHARE,
            )
            .rename("benchmark")
            .assign_attrs(mode=self.mode)
        )

    def bottlenecks_frame(self) -> pd.DataFrame:
        """What binds, in the plan's order: areas no reachable line supplies, then the limits by
        `impact` (the shortfall removed by relaxing it by 10 %)."""
        rows = [
            {
                "rank": i + 1,
                **{k: v for k, v in b.items() if k != "years"},
                "binding_years": ", ".join(str(y) for y in b["years"]),
            }
            for i, b in enumerate(self._payload["bottlenecks"])
        ]
        units = {"dual": "see the unit column", "impact": SHARE_YEARS}
        return _frame(rows, units, "rank", **self._tag(mode=self.mode))

    def _plan_rows(self, key: str, units: Mapping[str, str]) -> pd.DataFrame:
        rows = (self._payload.get("plan") or {}).get(key, [])
        return _frame(rows, units, years=("year",), **self._tag(mode=self.mode))

    def expansions_frame(self) -> pd.DataFrame:
        """New capacity per line, by the year it is paid for."""
        return self._plan_rows("expansions", {"items_per_year": "items_per_year"})

    def deliveries_frame(self) -> pd.DataFrame:
        """Items per (line, buyer, year): the exact plan and in whole items."""
        return self._plan_rows("deliveries", {"items": ITEMS, "whole_items": ITEMS})

    def us_purchases_frame(self) -> pd.DataFrame:
        """Items bought from US lines per (line, buyer, year)."""
        return self._plan_rows("us_purchases", {"items": ITEMS})

    def cost_frame(self) -> pd.DataFrame:
        """Spending per year (undiscounted: purchases, capital and variant costs)."""
        by_year = self._payload["cost_musd"]["by_year"]
        df = pd.DataFrame(
            {"spending_musd": list(by_year.values())},
            index=pd.Index(_years(list(by_year)), name="year", dtype="int64"),
        )
        return _frame(df, {"spending_musd": MUSD}, **self._tag(mode=self.mode))

    @property
    def money(self) -> pd.Series:
        """Spending, discounted cost, capital and the money to European and to US industry."""
        m = self._payload.get("money") or {}
        values = {k: v for k, v in m.items() if k.endswith("_usd_bn")}
        s = pd.Series(values, name="USD bn", dtype="float64")
        s.attrs["units"] = USD_BN
        s.attrs["terms"] = dict(m.get("terms", {}))
        return s


class RiskResult(Result):
    """`risk`: per area, the probability Europe holds the target by the deadline."""

    engine = "risk"
    _frames = ("areas", "fan")

    def areas_frame(self) -> pd.DataFrame:
        """One row per area: P(target by the deadline) with its standard error, the same under
        policy uncertainty alone, and p10/p50/p90 of the year (Int64, <NA>: not within the
        horizon), the deterrence gap and the share at the deadline."""
        rows = []
        for a in self._payload["areas"]:
            row = {
                k: a[k]
                for k in (
                    "area",
                    "p_target_by_deadline",
                    "p_se",
                    "p_target_policy_only",
                    "p_se_policy_only",
                    "low_confidence",
                    "us_made_share",
                )
            }
            for key, name in (
                ("year_target_quantiles", "year_target"),
                ("gap_quantiles", "gap"),
                ("share_at_deadline_quantiles", "share_at_deadline"),
            ):
                row |= {f"{name}_{q}": v for q, v in a[key].items()}
            rows.append(row)
        units = {
            "p_target_by_deadline": PROBABILITY,
            "p_se": PROBABILITY,
            "p_target_policy_only": PROBABILITY,
            "p_se_policy_only": PROBABILITY,
            "us_made_share": FRACTION,
        }
        for q in ("p10", "p50", "p90"):
            units |= {f"year_target_{q}": YEAR, f"gap_{q}": SHARE_YEARS}
            units[f"share_at_deadline_{q}"] = SHARE
        p = self._payload
        return _frame(
            rows,
            units,
            "area",
            years=[f"year_target_{q}" for q in ("p10", "p50", "p90")],
            **self._tag(draws=p["draws"], seed=p["seed"], deadline=p["deadline"]),
        )

    def fan_frame(self) -> pd.DataFrame:
        """Long (area, year): p10, p50 and p90 of coverage, the fan chart."""
        rows = [
            {"area": a["area"], "year": int(y), **q}
            for a in self._payload["areas"]
            for y, q in a.get("share_quantiles", {}).items()
        ]
        units = {"p10": SHARE, "p50": SHARE, "p90": SHARE}
        return _frame(rows, units, ["area", "year"], **self._tag())

    def years_held_frame(self) -> pd.DataFrame:
        """(draw × area) the first year from which the target holds, Int64 (<NA>: never);
        needs the run made in this session."""
        raw = self._need_raw()
        held = pd.DataFrame(raw.year_held, columns=list(raw.areas)).astype("Int64")
        held = held.mask(held == 0)
        held.index.name = "draw"
        held.columns.name = "area"
        return _frame(held, dict.fromkeys(held.columns, YEAR), **self._tag())

    @property
    def cost_quantiles(self) -> pd.Series:
        s = pd.Series(self._payload["cost_musd_quantiles"], name="cost_musd", dtype="float64")
        s.attrs["units"] = MUSD
        return s

    def to_xarray(self) -> xr.Dataset:
        """Per draw: the share at the deadline and the deterrence gap (draw, area) and the cost
        (draw); the coverage quantiles (quantile, area, year). A stored run keeps only the
        quantiles."""
        p = self._payload
        areas = [a["area"] for a in p["areas"]]
        years = _years(p["areas"][0]["share_quantiles"]) if areas else []
        qs = ["p10", "p50", "p90"]
        fan = _array(
            [[[a["share_quantiles"][str(y)][q] for y in years] for a in p["areas"]] for q in qs],
            ("quantile", "area", "year"),
            {"quantile": qs, "area": areas, "year": np.asarray(years, dtype="int64")},
            SHARE,
        )
        data = {"share_quantiles": fan}
        if self._raw is not None:
            r = self._raw
            draw = np.arange(r.draws)
            c = {"draw": draw, "area": areas}
            data["share_at_deadline"] = _array(r.share_at_deadline, ("draw", "area"), c, SHARE)
            data["gap"] = _array(r.gap, ("draw", "area"), c, SHARE_YEARS)
            data["cost_musd"] = _array(r.cost_musd, ("draw",), {"draw": draw}, MUSD)
        return xr.Dataset(data, attrs=self._tag(draws=p["draws"], seed=p["seed"]))

    def _need_raw(self) -> Any:
        if self._raw is None:
            raise InputError(
                "the per-draw results are not kept in the run store",
                fix="rerun `risk` in this session",
            )
        return self._raw


class SensitivityResult(Result):
    """`sensitivity`: Sobol indices of each output with respect to the uncertain levers."""

    engine = "sensitivity"
    _frames = ("indices", "ranking")

    def indices_frame(self) -> pd.DataFrame:
        """Long (output, parameter): S1, ST and their 95 % confidence half-widths."""
        rows = [
            {"output": output, **r}
            for output, found in self._payload["outputs"].items()
            for r in found
        ]
        units = dict.fromkeys(("S1", "S1_conf", "ST", "ST_conf"), INDEX)
        p = self._payload
        return _frame(rows, units, ["output", "parameter"], **self._tag(n=p["n"], seed=p["seed"]))

    def ranking_frame(self) -> pd.DataFrame:
        """Parameters by their largest total index over all outputs."""
        return _frame(self._payload["ranking"], {"max_ST": INDEX}, "parameter", **self._tag())


class SweepResult(Result):
    """`sweep`: one headline row per task; each task's full result in `results`."""

    engine = "sweep"
    _frames = ("tasks",)

    def __init__(self, payload: dict[str, Any], results: list[Result], wall_time_s: float) -> None:
        super().__init__(payload, None, wall_time_s)
        self.results = results
        """Every task's result, in task order (an AssessResult, RiskResult, … each)."""

    @property
    def scenario(self) -> str:
        return str(self._payload["sweep"])

    def tasks_frame(self) -> pd.DataFrame:
        rows = [
            {**r, "scenario": res.scenario}
            for r, res in zip(self._payload["results"], self.results, strict=True)
        ]
        units = {
            "areas_met": "areas",
            "deterrence_gap": SHARE_YEARS,
            "mean_p_target": PROBABILITY,
            "shortfall": SHARE_YEARS,
            "cost_musd": "USD_m discounted",
        }
        df = _frame(rows, units, "index", sweep=self._payload["sweep"])
        if "areas_met" in df:
            df["areas_met"] = df["areas_met"].astype("Int64")
        return df


# -- queries -----------------------------------------------------------------------------------
class TimeToStockResult(Result):
    """`time_to_stock`: the year a stock reaches a number; `year` is None for never."""

    engine = "query time-to-stock"
    _frames = ("summary", "path")

    def summary_frame(self) -> pd.DataFrame:
        """One row: the answer, with `year` Int64 (<NA>: never)."""
        p = self._payload
        keep = ("system", "holder", "target", "stock_now", "pace", "limit", "reached", "year")
        row = {k: p[k] for k in keep} | {"years": p["years"], "answer": p["answer"]}
        units = {
            "target": ITEMS,
            "stock_now": ITEMS,
            "pace": "items_per_year",
            "limit": ITEMS,
            "year": YEAR,
            "years": "years",
        }
        return _frame([row], units, "system", years=("year", "years"), **self._tag())

    def path_frame(self) -> pd.DataFrame:
        """The stock year by year until it reaches the target (or settles)."""
        df = pd.DataFrame(self._payload["path"])
        df["year"] = df["year"].astype("int64")
        return _frame(df, {"stock": ITEMS}, "year", **self._tag())

    def to_frame(self) -> pd.DataFrame:
        return self.path_frame()


class CostOfListResult(Result):
    """`cost_of_list`: a shopping list priced line by line."""

    engine = "query cost-of-list"
    _frames = ("lines",)

    def lines_frame(self) -> pd.DataFrame:
        units = {
            "quantity": ITEMS,
            "unit_cost_musd": MUSD,
            "price_factor": "ratio",
            "cost_musd": MUSD,
            "output_per_year": "items_per_year",
            "us_content_share": FRACTION,
        }
        return _frame(
            self._payload["lines"],
            units,
            "system",
            nullable=("output_per_year", "us_content_share"),
            **self._tag(mode=self._payload["mode"], total_musd=self._payload["total_musd"]),
        )

    @property
    def by_industry_series(self) -> pd.Series:
        s = pd.Series(self._payload["by_industry"], name="cost_musd", dtype="float64")
        s.attrs["units"] = MUSD
        return s


class SpendingNeededResult(Result):
    """`spending_needed`: the spending at which an area holds its target, per engine."""

    engine = "query spending-needed"
    _frames = ("answers", "tried")

    def answers_frame(self) -> pd.DataFrame:
        """One row per engine; `pct_gdp` is Float64 with <NA> where not reachable at 10 %."""
        keep = (
            "engine",
            "reachable",
            "pct_gdp",
            "holds_below",
            "precision_pp",
            "coverage_at_answer",
            "evaluations",
            "answer",
            "assumes",
        )
        rows = [{k: a[k] for k in keep} for a in self._payload["answers"]]
        units = {
            "pct_gdp": PCT_GDP,
            "holds_below": PCT_GDP,
            "precision_pp": "percentage points of GDP",
            "coverage_at_answer": SHARE,
        }
        p = self._payload
        return _frame(
            rows,
            units,
            "engine",
            nullable=("pct_gdp", "holds_below", "precision_pp", "coverage_at_answer"),
            **self._tag(area=p["area"], who=p["who"], deadline=p["deadline"]),
        )

    def tried_frame(self) -> pd.DataFrame:
        """Every spending tried by the search, in order, per engine."""
        rows = [
            {"engine": a["engine"], "step": i + 1, **t}
            for a in self._payload["answers"]
            for i, t in enumerate(a["tried"])
        ]
        return _frame(
            rows, {"pct_gdp": PCT_GDP, "coverage": SHARE}, ["engine", "step"], **self._tag()
        )


class ThreatResult(Result):
    """`threat`: the race against Russia per metric."""

    engine = "threat"
    _frames = ("metrics",)

    def metrics_frame(self) -> pd.DataFrame:
        """One row per metric: Russia's output and use, and the first year Europe's output
        overtakes Russia's (Int64, <NA>: not within the horizon or not estimated)."""
        keep = ("metric", "name", "unit", "russia_output", "russia_use", "overtakes")
        rows = [
            {k: m[k] for k in keep}
            | {"overtakes_max_ramp": m["overtakes_max_ramp"], "weak": m["weak"]}
            for m in self._payload["metrics"]
        ]
        units = {
            "russia_output": "the metric's unit a year",
            "russia_use": "the metric's unit a year",
            "overtakes": YEAR,
            "overtakes_max_ramp": YEAR,
        }
        return _frame(
            rows,
            units,
            "metric",
            years=("overtakes", "overtakes_max_ramp"),
            nullable=("russia_output", "russia_use"),
            **self._tag(),
        )

    def to_xarray(self) -> xr.Dataset:
        """(metric, year) Europe's and Russia's stocks, their ratio and Europe's output."""
        p = self._payload
        ms = p["metrics"]
        coords = {"metric": [m["metric"] for m in ms], "year": np.asarray(p["years"], "int64")}
        unit = "the metric's unit (see metric_unit)"

        def var(key: str, u: str = unit) -> xr.DataArray:
            values = [[np.nan if v is None else v for v in m[key]] for m in ms]
            return _array(values, ("metric", "year"), coords, u)

        ds = xr.Dataset(
            {
                "europe_stock": var("europe_stock"),
                "russia_stock": var("russia_stock"),
                "stock_ratio": var("stock_ratio", "ratio"),
                "europe_output": var("europe_output", unit + " a year"),
                "europe_output_max_ramp": var("europe_output_max_ramp", unit + " a year"),
            },
            attrs=self._tag(),
        )
        return ds.assign_coords(metric_unit=("metric", [m["unit"] for m in ms]))


class WeakestResult(Result):
    """`weakest`: the figures to check first, largest swing first."""

    engine = "weakest"
    _frames = ("figures",)

    def figures_frame(self) -> pd.DataFrame:
        rows = [{"rank": i + 1, **f} for i, f in enumerate(self._payload["figures"])]
        units = {
            "value": "see the unit column",
            "low": "see the unit column",
            "high": "see the unit column",
            "year": YEAR,
            "swing": "share of requirement (points / 100)",
            "share_at_low": SHARE,
            "share_at_high": SHARE,
        }
        return _frame(
            rows,
            units,
            "rank",
            years=("year",),
            **self._tag(deadline=self._payload["deadline"], method=self._payload["method"]),
        )


class CompareResult(Result):
    """`compare`: B minus A per area and for the money both runs have."""

    engine = "compare"
    _frames = ("areas", "money")

    @property
    def scenario(self) -> str:
        return f"A = {self._payload['a']['scenario']}, B = {self._payload['b']['scenario']}"

    def areas_frame(self) -> pd.DataFrame:
        """One row per area: each measure for A, B and B − A; years Int64 (<NA>: never)."""
        rows = []
        for r in self._payload["areas"]:
            row: dict[str, Any] = {"area": r["area"]}
            for key in ("share_at_deadline", "earliest_year", "probability", "gap"):
                v = r.get(key)
                if v is not None:
                    row |= {f"{key}_{s}": v[s] for s in ("a", "b", "diff")}
            rows.append(row)
        units = {}
        for s in ("a", "b", "diff"):
            units |= {
                f"share_at_deadline_{s}": SHARE,
                f"earliest_year_{s}": YEAR if s != "diff" else "years",
                f"probability_{s}": PROBABILITY,
                f"gap_{s}": SHARE_YEARS,
            }
        years = [f"earliest_year_{s}" for s in ("a", "b", "diff")]
        a, b = self._payload["a"], self._payload["b"]
        return _frame(rows, units, "area", years=years, a=a, b=b)

    def money_frame(self) -> pd.DataFrame:
        """Spending (and, for plans, discounted cost) for A, B and B − A, USD bn."""
        m = self._payload["money"]
        rows = [
            {"measure": k.removesuffix("_usd_bn"), **v}
            for k, v in m.items()
            if k.endswith("_usd_bn") and isinstance(v, dict)
        ]
        df = _frame(
            rows,
            {"a": USD_BN, "b": USD_BN, "diff": USD_BN},
            "measure",
            nullable=("a", "b", "diff"),
            a=self._payload["a"],
            b=self._payload["b"],
        )
        return df


RESULTS: dict[str, type[Result]] = {
    c.engine: c
    for c in (
        AssessResult,
        SimulateResult,
        PlanResult,
        RiskResult,
        SensitivityResult,
        ThreatResult,
        WeakestResult,
        TimeToStockResult,
        CostOfListResult,
        SpendingNeededResult,
    )
}


def _timed(run: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    out = run()
    return out, time.perf_counter() - started


# -- engines -----------------------------------------------------------------------------------
def assess(
    world: World | None = None, scenario: ScenarioLike = None, *, deadline: int | None = None
) -> AssessResult:
    """Closed-form assessment per area: where Europe stands today and how far today's lines
    or their fastest ramp take it by the deadline (see docs/method.md).

    >>> r = assess(load_world(), "baseline-2027-blunt")
    >>> df = r.to_frame()                  # one row per area
    >>> df.attrs["units"]["share_at_deadline_max_ramp"]
    'share of requirement'
    >>> df["year_target_max_ramp"].dtype   # <NA>: not within the horizon
    Int64Dtype()
    """
    from burdenshift.engine.assess import assess as run
    from burdenshift.engine.runinfo import run_info
    from burdenshift.output import assessment_json

    sc = _scenario(scenario, deadline)
    w = applied_world(_world(world), sc)
    raw, wall = _timed(lambda: run(w, sc))
    return AssessResult(assessment_json(raw, run_info("assess", w, sc)), raw, wall)


def simulate(
    world: World | None = None,
    scenario: ScenarioLike = None,
    params: Params | None = None,
    *,
    deadline: int | None = None,
) -> SimulateResult:
    """Year-by-year simulation of the buying rule; `params` carries a batch of parameter sets
    (tables and `as_dict()` show the first; `to_xarray()` every one).

    >>> sim = simulate(load_world(), "pooled-procurement")
    >>> da = sim.to_xarray()["europe_share"].sel(area="iamd")   # (batch, year)
    >>> da.attrs["units"], da["year"].dtype
    ('share of requirement', dtype('int64'))
    >>> sim.to_frame()["year_target"].dtype
    Int64Dtype()
    """
    from burdenshift.engine.runinfo import run_info
    from burdenshift.engine.simulate import simulate as run
    from burdenshift.output import simulation_json

    sc = _scenario(scenario, deadline)
    w = applied_world(_world(world), sc)
    raw, wall = _timed(lambda: run(w, sc, params))
    result = SimulateResult(simulation_json(raw, run_info("simulate", w, sc)), raw, wall)
    result._metric_area = [w.areas[i] for i in w.metric_area]
    return result


def plan(
    world: World | None = None,
    scenario: ScenarioLike = None,
    *,
    mode: str | None = None,
    deadline: int | None = None,
    time_limit: float | None = None,
    mip_gap: float = 1e-4,
    total_time_limit: float | None = None,
    memory_mb: float | None = None,
) -> PlanResult:
    """The cheapest phased plan to the target (linopy + HiGHS): yearly benchmarks, expansions,
    deliveries, US purchases, money and the bottlenecks that bind. `mode`: national or pooled
    (default: the scenario's procurement); `time_limit`: seconds per solver stage (default
    300, as `plan --time-limit`), `total_time_limit`: seconds for the whole plan (default 600);
    a limit reached returns the best plan found, status `time_limit`, its `mip_gap` in the
    payload. `memory_mb`: the MB the model may use (default $BURDENSHIFT_PLAN_MEMORY_MB, else
    the memory available); a bigger estimate is refused. To set a national against a pooled
    plan, run both and `compare` them.

    >>> p = plan(load_world(), mode="pooled")
    >>> p.status, p.benchmarks.attrs["units"]
    ('optimal', 'share of requirement')
    >>> p.to_frame()["earliest_year"].dtype
    Int64Dtype()
    """
    from burdenshift.engine.plan import PlanStatus, SolveOptions
    from burdenshift.engine.plan import plan as run
    from burdenshift.engine.runinfo import run_info
    from burdenshift.output import with_plan_money

    if mode not in (None, "national", "pooled"):
        raise InputError(f"unknown mode '{mode}'", field="mode", fix="use national or pooled")
    for name, value, what, unit in (
        ("time_limit", time_limit, "time limit", "seconds"),
        ("total_time_limit", total_time_limit, "total time limit", "seconds"),
        ("memory_mb", memory_mb, "memory", "MB"),
    ):
        if value is not None and not value > 0:
            raise InputError(f"{what} {value} is not positive", field=name, fix=f"give {unit} > 0")
    sc = _scenario(scenario, deadline)
    w = applied_world(_world(world), sc)
    chosen = mode or sc.procurement
    options = SolveOptions(time_limit, mip_gap, total_time_limit, memory_mb)
    raw, wall = _timed(lambda: run(w, sc, chosen, options))  # type: ignore[arg-type]
    if raw.status in (PlanStatus.INFEASIBLE, PlanStatus.UNBOUNDED):
        raise InputError(
            f"the {chosen} plan is {raw.status.value}; involved: " + "; ".join(raw.diagnosis),
            fix="correct the figures named above (targets and budgets are soft, so only "
            "inconsistent data can make the plan infeasible)",
        )
    payload = {**with_plan_money(raw.as_dict(), w, sc), "run": run_info("plan", w, sc).as_dict()}
    return PlanResult(payload, raw, wall)


def risk(
    world: World | None = None,
    scenario: ScenarioLike = None,
    *,
    draws: int = 10_000,
    seed: int = 2027,
    deadline: int | None = None,
) -> RiskResult:
    """Monte Carlo over the uncertain levers and figures: per area the probability Europe
    holds the target by the deadline, with quantiles of the year, the gap and the cost.

    >>> r = risk(load_world(), draws=200, seed=7)
    >>> df = r.to_frame()
    >>> df.attrs["units"]["p_target_by_deadline"], df["year_target_p50"].dtype
    ('probability', Int64Dtype())
    """
    from burdenshift.engine.risk import risk as run
    from burdenshift.engine.runinfo import run_info

    if not _whole(draws) or draws < 1:
        raise InputError(f"{draws!r} draws", field="draws", fix="give at least 1 draw")
    if not _whole(seed) or seed < 0:
        raise InputError(f"seed {seed!r}", field="seed", fix="give a whole number ≥ 0")
    sc = _scenario(scenario, deadline)
    w = applied_world(_world(world), sc)
    raw, wall = _timed(lambda: run(w, sc, int(draws), int(seed)))
    payload = {**raw.as_dict(), "run": run_info("risk", w, sc, seed).as_dict()}
    return RiskResult(payload, raw, wall)


def sensitivity(
    world: World | None = None,
    scenario: ScenarioLike = None,
    *,
    n: int = 1024,
    seed: int = 2027,
    deadline: int | None = None,
) -> SensitivityResult:
    """Sobol indices (SALib) of each area's share at the deadline, the deterrence gap and
    cost: which uncertain levers matter most. `n`: base sample, a power of two (n · (k + 2)
    evaluations; small n gives rough indices).

    >>> s = sensitivity(load_world(), n=64)
    >>> s.frames["ranking"].attrs["units"]["max_ST"]
    'Sobol index (share of variance)'
    """
    from burdenshift.engine.runinfo import run_info
    from burdenshift.engine.sensitivity import sensitivity as run

    if not _whole(n) or n < 8 or n & (n - 1):
        raise InputError(
            f"n = {n} is not a power of two of at least 8",
            field="n",
            fix="use 64, 128, 256, … (Sobol sequences balance only at powers of two)",
        )
    sc = _scenario(scenario, deadline)
    w = applied_world(_world(world), sc)
    raw, wall = _timed(lambda: run(w, sc, int(n), int(seed)))
    payload = {**raw.as_dict(), "run": run_info("sensitivity", w, sc, seed).as_dict()}
    return SensitivityResult(payload, raw, wall)


def sweep(
    file: str | Path,
    *,
    store: RunStore | str | Path | None = None,
    workers: int = 0,
    scheduler: str | None = None,
    data: str | Path | None = None,
) -> SweepResult:
    """Run a sweep file (a grid or a list of cases × engines); every finished task is kept in
    the run store at once, and running it again skips finished tasks. `workers=0` runs in this
    process; `workers=k` on a local Dask cluster; `scheduler` on an existing one.

    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "s.yaml").write_text("engines: [assess]\\ngrid: {deadline: [2027, 2030]}\\n")
    >>> sw = sweep(folder / "s.yaml", store=folder / "runs.duckdb")
    >>> len(sw.to_frame()), sw.to_frame()["areas_met"].dtype
    (2, Int64Dtype())
    """
    from burdenshift.sweep.runner import run_sweep
    from burdenshift.sweep.spec import expand, read_sweep
    from burdenshift.sweep.summary import sweep_payload

    started = time.perf_counter()
    source = read_sweep(file)
    world = load_world(data)
    tasks = expand(source, world)
    kept = store if isinstance(store, RunStore) else open_store(store)
    skipped = len(kept._store.task_results({t.id for t in tasks}))
    results = run_sweep(tasks, kept._store, workers, scheduler, str(data) if data else None)
    payload = sweep_payload(source.sweep.name, tasks, results, skipped, str(kept.path))
    typed = [RESULTS[t.engine](r) for r, t in zip(results, tasks, strict=True)]
    return SweepResult(payload, typed, time.perf_counter() - started)


# -- queries -----------------------------------------------------------------------------------
def _query(result: Any, world: World, sc: Scenario, cls: type[Result], wall: float) -> Any:
    return cls(_queries.payload(result, world, sc), result, wall)


def time_to_stock(
    world: World | None = None,
    scenario: ScenarioLike = None,
    *,
    system: str,
    target: float,
    ally: str | None = None,
    pace: float | None = None,
) -> TimeToStockResult:
    """Years until Europe's (or `ally`'s) stock of `system` reaches `target` items at `pace`
    delivered a year (default: its share of today's European line output), with retirements
    and the yearly draw; "never" (`year` None, <NA> in the tables) when the pace cannot get
    there.

    >>> t = time_to_stock(load_world(), system="shell_155", target=3_000_000)
    >>> t.to_frame().attrs["units"]["stock"], t.frames["summary"]["year"].dtype
    ('items', Int64Dtype())
    """
    sc = _scenario(scenario)
    w = applied_world(_world(world), sc)
    raw, wall = _timed(lambda: _queries.time_to_stock(w, sc, system, target, ally, pace))
    return _query(raw, w, sc, TimeToStockResult, wall)


def cost_of_list(
    world: World | None,
    items: Mapping[str, float],
    scenario: ScenarioLike = None,
    mode: str | None = None,
) -> CostOfListResult:
    """One-off cost of a shopping list {system: quantity} in USD_m (constant 2025), line by
    line, and whose industry the money goes to; `mode` national or pooled (default: the
    scenario's procurement).

    >>> c = cost_of_list(load_world(), {"a330_mrtt": 3, "shell_155": 100_000})
    >>> c.to_frame().attrs["units"]["cost_musd"]
    'USD_m (constant 2025)'
    """
    sc = _scenario(scenario)
    w = applied_world(_world(world), sc)
    raw, wall = _timed(lambda: _queries.cost_of_list(w, sc, items, mode))
    return _query(raw, w, sc, CostOfListResult, wall)


def spending_needed(
    world: World | None = None,
    scenario: ScenarioLike = None,
    *,
    area: str,
    ally: str | None = None,
    engines: Sequence[str] = _queries.ENGINES,
    time_limit: float | None = None,
    max_plan_solves: int = _queries.MAX_PLAN_SOLVES,
    deadline: int | None = None,
) -> SpendingNeededResult:
    """Defence spending (% of GDP in the deadline year; every European ally, or `ally` only) at
    which `area` first holds its target by the deadline, under `simulate` and `plan`.

    >>> s = spending_needed(load_world(), area="land_forces", engines=["simulate"])
    >>> s.to_frame()["pct_gdp"].dtype      # <NA>: not reachable at 10 % of GDP
    Float64Dtype()
    """
    sc = _scenario(scenario, deadline)
    w = applied_world(_world(world), sc)
    raw, wall = _timed(
        lambda: _queries.spending_needed(w, sc, area, ally, engines, time_limit, max_plan_solves)
    )
    return _query(raw, w, sc, SpendingNeededResult, wall)


def threat(world: World | None = None, scenario: ScenarioLike = None) -> ThreatResult:
    """The race against Russia: per metric and year, Europe's and Russia's stock and output,
    and the first year Europe's output overtakes Russia's.

    >>> r = threat(load_world())
    >>> r.to_frame()["overtakes"].dtype, r.to_xarray()["russia_stock"].attrs["units"]
    (Int64Dtype(), "the metric's unit (see metric_unit)")
    """
    from burdenshift.engine.runinfo import run_info
    from burdenshift.engine.threat import race
    from burdenshift.output import race_json

    sc = _scenario(scenario)
    w = applied_world(_world(world), sc)
    raw, wall = _timed(lambda: race(w, sc))
    return ThreatResult(race_json(raw, run_info("threat", w, sc)), raw, wall)


def weakest(
    world: World | None = None,
    scenario: ScenarioLike = None,
    *,
    area: str | None = None,
    top: int = 15,
    deadline: int | None = None,
) -> WeakestResult:
    """The figures to check first: those whose range moves an area's share at the deadline
    most under the buying rule, one figure at a time, largest swing first.

    >>> w = weakest(load_world(), area="iamd", top=5)
    >>> len(w.to_frame()), w.to_frame()["year"].dtype
    (5, Int64Dtype())
    """
    from burdenshift.engine.data_draws import weakest_payload
    from burdenshift.engine.runinfo import run_info

    sc = _scenario(scenario, deadline)
    w = applied_world(_world(world), sc)
    if area is not None and area not in w.areas:
        raise InputError(
            f"unknown area '{area}'", field="area", fix=f"use one of: {', '.join(w.areas)}"
        )
    payload, wall = _timed(lambda: weakest_payload(w, sc, area, top))
    payload = {**payload, "run": run_info("weakest", w, sc).as_dict()}
    return WeakestResult(payload, None, wall)


def sources(world: World | None = None, area: str | None = None) -> pd.DataFrame:
    """Every figure of the data (or those behind `area`) with its unit, year, source,
    confidence and range, as `data sources` lists them.

    >>> df = sources(load_world(), area="iamd")
    >>> df["year"].dtype, df.attrs["units"]["value"]
    (Int64Dtype(), 'see the unit column')
    """
    from burdenshift.domain.sources import figures_for_area
    from burdenshift.output import source_rows

    w = _world(world)
    try:
        figures = figures_for_area(w, area)
    except InputError as exc:
        raise InputError(exc.problem, field="area", fix=exc.fix) from None
    units = {"year": YEAR} | dict.fromkeys(
        ("value", "low", "high", "range_low", "range_high"), "see the unit column"
    )
    return _frame(
        source_rows(w, figures),
        units,
        years=("year",),
        nullable=("low", "high", "range_low", "range_high"),
        area=area,
    )


def validate(folder: str | Path | None = None) -> pd.DataFrame:
    """Check a data folder (default: the embedded data) with the rules every run applies, as
    `data validate` does: one row per problem, with its file, line, field and fix; empty when
    every figure passes.

    >>> validate().empty
    True
    """
    from burdenshift.domain.checks import check_all
    from burdenshift.domain.reader import read_folder

    rows = [
        {"file": p.file, "line": p.line, "field": p.field, "problem": p.problem, "fix": p.fix}
        for p in check_all(read_folder(None if folder is None else Path(folder)))
    ]
    cols = ["file", "line", "field", "problem", "fix"]
    df = pd.DataFrame(rows, columns=cols)
    df["line"] = df["line"].astype("Int64")
    return _frame(df, {"line": "line number in the file"}, folder=str(folder or "embedded"))


def scenarios() -> pd.DataFrame:
    """The shipped scenarios, one row each.

    >>> "phased-2030" in scenarios().index
    True
    """
    from burdenshift.scenario.loader import library

    rows = []
    for name in library():
        sc = load_scenario(name)
        rows.append(
            {
                "name": name,
                "deadline": sc.deadline,
                "drawdown": sc.us_drawdown.path,
                "procurement": sc.procurement,
                "licences": sc.export.us_licences,
                "description": sc.description,
            }
        )
    return _frame(rows, {"deadline": YEAR}, "name", years=("deadline",))


def compare(
    a: Result | str, b: Result | str, store: RunStore | str | Path | None = None
) -> CompareResult:
    """B minus A per area (share at the deadline, earliest year, probability, deterrence gap)
    and in money, as `burdenshift compare` shows it. `a` and `b` are results from this session
    or ids of kept runs (in `store`, default the run store `open_store()` opens).

    >>> world = load_world()
    >>> blunt, phased = simulate(world), simulate(world, "phased-2030")
    >>> c = compare(blunt, phased)
    >>> c.to_frame().attrs["units"]["gap_diff"], c.to_frame()["earliest_year_a"].dtype
    ('requirement-share-years', Int64Dtype())
    """
    from burdenshift.report.measures import compare as run

    kept: RunStore | None = None

    def record(x: Result | str, side: str) -> dict[str, Any]:
        nonlocal kept
        if isinstance(x, str):
            if kept is None:
                kept = store if isinstance(store, RunStore) else open_store(store)
            x = kept.get(x)
        if not isinstance(x, Result) or x.engine not in ("assess", "simulate", "plan", "risk"):
            raise InputError(
                f"{side} is not an assess, simulate, plan or risk result",
                field=side,
                fix="give the result of one of those engines, or a kept run's id",
            )
        label = x.scenario
        if x.engine == "plan" and not label.endswith(f"[{x._payload['mode']}]"):
            label += f" [{x._payload['mode']}]"  # as the CLI keeps a plan
        return {"run_id": x.run_id, "engine": x.engine, "scenario": label, "result": x._payload}

    ra, rb = record(a, "a"), record(b, "b")
    return CompareResult(run(ra, rb))


# -- the run store -----------------------------------------------------------------------------
STORABLE = ("assess", "simulate", "plan", "risk", "sensitivity")


class RunStore:
    """The run store (one DuckDB file) as the CLI keeps it: list, get, export, save, delete."""

    def __init__(self, path: Path) -> None:
        from burdenshift.store.database import Store

        self.path = path
        self._store = Store(path)

    def __repr__(self) -> str:
        return f"<RunStore {self.path}>"

    def list(self) -> pd.DataFrame:
        """Every kept run, oldest first (an empty table when nothing is kept yet).

        >>> import pathlib, tempfile
        >>> store = open_store(pathlib.Path(tempfile.mkdtemp()) / "runs.duckdb")
        >>> run_id = store.save(assess(load_world()))
        >>> store.list().loc[run_id, "engine"]
        'assess'
        """
        cols = ["run_id", "engine", "created_at", "version", "scenario", "data_hash", "seed"]
        cols += ["status", "wall_time_s", "task_id"]
        rows = self._store.runs() if self.path.exists() else []
        df = pd.DataFrame(rows, columns=cols)
        df["created_at"] = pd.to_datetime(df["created_at"])
        df["seed"] = df["seed"].astype("Int64")
        df["wall_time_s"] = df["wall_time_s"].astype("float64")
        return _frame(df, {"wall_time_s": "s", "created_at": "UTC"}, "run_id", store=str(self.path))

    def get(self, run_id: str) -> Result:
        """A kept run as the result object of its engine (tables read from the stored JSON);
        `info` says how and when it was made.

        >>> import pathlib, tempfile
        >>> store = open_store(pathlib.Path(tempfile.mkdtemp()) / "runs.duckdb")
        >>> run_id = store.save(simulate(load_world()))
        >>> store.get(run_id).to_frame()["year_target"].dtype
        Int64Dtype()
        """
        info = self._store.run(run_id)
        payload = self._store.payload(run_id)
        cls = RESULTS.get(info["engine"], Result)
        out = cls(payload, None, float(info.get("wall_time_s") or 0.0))
        out.run_id = run_id
        out.info = info  # type: ignore[attr-defined]
        return out

    def results(self, run_id: str) -> pd.DataFrame:
        """The run's long results table (area, ally, system, line, year, metric, value, unit)."""
        cols = ["area", "ally", "system", "line", "year", "metric", "value", "unit"]
        df = pd.DataFrame(self._store.results(run_id), columns=cols)
        return _frame(df, {"value": "see the unit column"}, years=("year",), run_id=run_id)

    def export(self, run_id: str, format: str, path: str | Path) -> Path:
        """Write the run's long results table as `csv` or `parquet`, or every table of the run
        as one Excel workbook (`xlsx`, units in the headers), as `runs export` does; returns
        the path written. Each reads back with pandas.

        >>> import pathlib, tempfile
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> store = open_store(folder / "runs.duckdb")
        >>> run_id = store.save(assess(load_world()))
        >>> import pandas as pd
        >>> "value" in pd.read_parquet(store.export(run_id, "parquet", folder / "a.parquet"))
        True
        """
        if format not in ("csv", "parquet", "xlsx"):
            raise InputError(
                f"unknown format '{format}'", field="format", fix="use csv, parquet or xlsx"
            )
        target = Path(path)
        if target.resolve() == self.path.resolve():
            raise InputError("is the run store itself", file=str(target), fix="choose another name")
        if format == "xlsx":
            from burdenshift.report.workbook import write_workbook

            run = {**self._store.run(run_id), "result": self._store.payload(run_id)}
            world = load_world()
            same = run["data_hash"] == world.data_hash  # the sources sheet: the embedded data's
            from burdenshift.output import source_rows

            write_workbook([run], source_rows(world, world.figures) if same else None, target)
        else:
            self._store.export(run_id, target, format)
        return target

    def save(self, result: Result) -> str:
        """Keep a result from this session (assess, simulate, plan, risk, sensitivity); returns
        its run id, which `runs list`, `report` and `compare` on the command line see too."""
        from burdenshift.store.database import NewRun

        if result.engine not in STORABLE:
            raise InputError(
                f"a {result.engine} result is not kept in the run store",
                field="result",
                fix="keep an assess, simulate, plan, risk or sensitivity result",
            )
        payload = result.as_dict()
        if result.engine == "plan":
            payload["run"] = {**payload["run"], "scenario": f"{result.scenario} [{result.mode}]"}  # type: ignore[attr-defined]
        status = str(payload.get("status", "ok")) if result.engine == "plan" else "ok"
        run_id = self._store.save_many(
            [NewRun(result.engine, payload, result.wall_time_s, status)]
        )[0]
        result.run_id = run_id
        return run_id

    def delete(self, run_id: str) -> None:
        """Remove a kept run and its results."""
        self._store.delete(run_id)


def open_store(path: str | Path | None = None) -> RunStore:
    """The run store: `path`, else $BURDENSHIFT_DB, else ./burdenshift.duckdb (as the CLI).

    >>> import pathlib, tempfile
    >>> open_store(pathlib.Path(tempfile.mkdtemp()) / "runs.duckdb").list().empty
    True
    """
    from burdenshift.store.database import db_path

    return RunStore(db_path(Path(path) if path is not None else None))


__all__ = [
    "AssessResult",
    "CompareResult",
    "CostOfListResult",
    "Params",
    "PlanResult",
    "Result",
    "RiskResult",
    "RunStore",
    "Scenario",
    "SensitivityResult",
    "SimulateResult",
    "SpendingNeededResult",
    "SweepResult",
    "ThreatResult",
    "TimeToStockResult",
    "WeakestResult",
    "World",
    "assess",
    "compare",
    "cost_of_list",
    "load_scenario",
    "load_world",
    "open_store",
    "plan",
    "risk",
    "scenarios",
    "sensitivity",
    "simulate",
    "sources",
    "spending_needed",
    "sweep",
    "threat",
    "time_to_stock",
    "validate",
    "weakest",
]
