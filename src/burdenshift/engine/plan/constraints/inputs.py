"""Critical inputs shared across European lines.

    Σ_l uses[l, k] · Σ_a deliveries[l, a, t] ≤ supply[k, t]

Supply follows its fastest growth path (inputs.csv); US lines draw on US inputs, not modelled.
Only the (line, input) pairs with a use enter the rows: the pairs are listed along a `use`
dimension and grouped by their input (no line × input product).
"""

from __future__ import annotations

import linopy
import numpy as np
import xarray as xr

from burdenshift.engine.plan.prepared import PlanData


def add(m: linopy.Model, d: PlanData) -> None:
    line_at, input_at = np.nonzero(d.uses.transpose("line", "input").values > 0)
    if not len(line_at):
        return
    use = {"dims": "use", "coords": {"use": np.arange(len(line_at))}}
    per_item = xr.DataArray(d.uses.transpose("line", "input").values[line_at, input_at], **use)
    of = xr.DataArray(np.asarray(d.input, dtype=object)[input_at], name="input", **use)
    delivered = m.variables["deliveries"].fillna(0).sum("ally")  # (line, year)
    pairs = delivered.isel(line=xr.DataArray(line_at, **use)).drop_vars("line")
    used = (pairs * per_item).groupby(of).sum().reindex(input=d.input).fillna(0)
    m.add_constraints(used <= d.supply, name="input-supply", mask=d.uses.sum("line") > 0)
