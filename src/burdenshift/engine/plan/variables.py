"""The planner's decisions and state, each a labelled linopy variable."""

from __future__ import annotations

import linopy
import xarray as xr

from burdenshift.engine.plan.prepared import PlanData, group_max


def add_variables(m: linopy.Model, d: PlanData) -> None:
    """build (line, order_year), deliveries (line, ally, year), stock (system, year),
    cover (metric, year) in [0, 1], shortfall (area, year), variant (binary), plant (binary, one
    per plant Europe could build)."""
    order = d.online.coords["order_year"]
    m.add_variables(
        lower=0,
        coords=[d.line, order.to_index()],
        name="build",
        mask=d.expandable.broadcast_like(d.online.isel(year=0)).astype(bool),
    )
    m.add_variables(lower=0, coords=[d.line, d.ally, d.years], name="deliveries", mask=d.route > 0)
    m.add_variables(lower=0, coords=[d.system, d.years], name="stock")
    m.add_variables(lower=0, upper=1, coords=[d.metric, d.years], name="cover")
    m.add_variables(lower=0, coords=[d.area, d.years], name="shortfall")
    if d.mode == "national":
        reachable = group_max(d.route.max("year"), d.makes, d.system) > 0  # (system, ally)
        mask = (d.new_variant > 0) & reachable
        coords = [d.ally, d.system]
    else:
        made = xr.DataArray(d.system.isin(d.makes.values), coords=[d.system])
        mask = (d.new_system > 0) & made
        coords = [d.system]
    m.add_variables(binary=True, coords=coords, name="variant", mask=mask)
    m.add_variables(binary=True, coords=[d.line], name="plant", mask=d.greenfield.astype(bool))
