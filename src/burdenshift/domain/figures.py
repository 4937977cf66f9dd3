"""The figure tables: which fields each allows, in which unit, with which bounds and defaults.

Every number in the data is one row of a long table with its own source, year and confidence, so
`data sources` can list each figure and results can say how much rests on weak ones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

COLUMNS = ("key", "field", "value", "unit", "year", "source", "confidence", "note", "low", "high")
"""The header of every figure table. `low` and `high` (a plausible range, its reasoning in the
note) may be left off a row, or the file may stop at `note`: a figure without a range."""
SHORT_COLUMNS = COLUMNS[:-2]
CONFIDENCE = ("definition", "high", "medium", "low", "assumption")
"""`definition`: true by definition (the unit of a metric is one of its reference system), its
reasoning in the note; never weak and never drawn."""
WEAK = frozenset({"low", "assumption"})
MEDIUM_RELATIVE_RANGE = {
    "holdings.csv": 0.15,
    "lines.csv": 0.25,
    "systems.csv": 0.2,
    "requirements.csv": 0.2,
    "expenditure.csv": 0.3,
    "default": 0.2,
}
"""The range drawn for a `medium` figure without its own (value × (1 ± r)): a reputable secondary
report of a primary figure, off by a rounding or a vintage. Output and capacity claims (lines)
and use rates in war (expenditure) are the least settled (docs/data.md, Ranges)."""


@dataclass(frozen=True)
class Figure:
    """One sourced number."""

    table: str
    key: str
    field: str
    value: float
    unit: str
    year: int
    source: str
    confidence: str
    note: str
    line: int
    """Line number in the CSV file, for error messages."""
    low: float | None = None
    high: float | None = None
    """The plausible range the row states (both or neither), value inside it."""

    @property
    def weak(self) -> bool:
        return self.confidence in WEAK

    def plausible_range(self) -> tuple[float, float, str] | None:
        """(low, high, basis): the row's own range (basis "stated"), or for a `medium` row
        without one value × (1 ± the table's default) within the field's bounds (basis
        "default ±15 %"); None for a `high` or `definition` figure without a range. `risk` and
        `sensitivity` draw the figures they use within it, except `high` ones."""
        if self.low is not None and self.high is not None:
            return self.low, self.high, "stated"
        if self.confidence != "medium":
            return None
        r = MEDIUM_RELATIVE_RANGE.get(self.table, MEDIUM_RELATIVE_RANGE["default"])
        lo, hi = self.value * (1 - r), self.value * (1 + r)
        spec = field_spec(self.table, self.field, self.key)
        if spec is not None:
            lo, hi = max(lo, spec.lower), min(hi, spec.upper)
        return lo, hi, f"default ±{100 * r:.0f} %"

    def as_dict(self) -> dict[str, object]:
        """The shape of `data sources --json`: `low`/`high` as the row states them,
        `range_low`/`range_high`/`range_basis` its `plausible_range`."""
        drawn = self.plausible_range()
        return {
            "table": self.table.removesuffix(".csv"),
            "key": self.key,
            "field": self.field,
            "value": self.value,
            "unit": self.unit,
            "year": self.year,
            "source": self.source,
            "confidence": self.confidence,
            "note": self.note,
            "low": self.low,
            "high": self.high,
            "range_low": None if drawn is None else drawn[0],
            "range_high": None if drawn is None else drawn[1],
            "range_basis": None if drawn is None else drawn[2],
        }


@dataclass(frozen=True)
class FieldSpec:
    """The domain of one figure: its unit, whether it is required, and its bounds.

    Every bound is finite, so the arithmetic of the engines (sums over a few hundred systems and
    lines, products of at most a handful of figures over a 30-year horizon) stays far below the
    largest float: a figure at the bound is nonsense, never an overflow.
    """

    unit: str
    required: bool = True
    default: float | None = None
    upper: float = 1e9
    """Inclusive upper bound (shares: 1)."""
    lower: float = 0.0
    """Inclusive lower bound; no figure is negative."""
    positive: bool = False
    """The figure must be strictly above `lower` (a zero would divide by zero downstream)."""
    integer: bool = False
    """A whole number (years)."""

    def problem(self, value: float) -> tuple[str, str] | None:
        """(what is wrong, how to fix it) for a value outside this domain, or None."""
        if not math.isfinite(value):
            return f"value {value:g} is not a finite number", "write a plain decimal"
        if value < self.lower or (self.positive and value <= self.lower):
            if self.lower == 0:
                what = "positive" if self.positive else "zero or more"
                return (
                    f"value {value:g} is not {what}",
                    "figures are non-negative quantities; correct the sign"
                    + (" (a zero here would divide by zero)" if self.positive else ""),
                )
            return (
                f"value {value:g} is below the allowed minimum {self.lower:g}",
                f"give a value from {self.lower:g} to {self.upper:g}",
            )
        if value > self.upper:
            hint = (
                "a share is a fraction between 0 and 1"
                if self.unit == "share" and self.upper == 1
                else f"give a value from {self.lower:g} to {self.upper:g} (check the unit)"
            )
            return f"value {value:g} is above the allowed maximum {self.upper:g}", hint
        if self.integer and not float(value).is_integer():
            return f"value {value:g} is not a whole number", "write it as a whole year, e.g. 2026"
        return None


# Bounds, chosen to be generous but finite (see FieldSpec):
MAX_ITEMS = 1e9
"""Items held or made a year: the largest stock in the data is about a million rounds."""
MAX_UNIT_MUSD = 1e6
"""USD m per item or per item of yearly capacity: a trillion dollars, a hundred times a carrier."""
MAX_GDP_USD_BN = 1e6
"""USD bn: about ten times world GDP."""
MAX_VALUE_PER_UNIT = 1e9
"""Capability per item in the metric's unit (the data's largest is in the hundreds)."""
MAX_SUPPLY = 1e9
"""Units of a critical input a year (tonnes of energetics are in the thousands)."""
MAX_USE_PER_ITEM = 1e6
"""Units of a critical input per item made."""
FIRST_YEAR, LAST_YEAR = 1900, 2100
"""The years a figure's source may refer to."""
BASE_YEAR_MIN, BASE_YEAR_MAX = 2000, 2100
"""The base year and planned-capacity years: the planning window of the scenario schema."""

SHARE = FieldSpec("share", upper=1.0)

TABLES: dict[str, dict[str, FieldSpec]] = {
    "allies.csv": {
        # GDP divides the burden shares: a zero would make them NaN
        "gdp_usd_bn": FieldSpec("USD_bn", upper=MAX_GDP_USD_BN, positive=True),
        "defence_pct_gdp": FieldSpec("pct_gdp", upper=100.0),
        "equipment_share": SHARE,
        "core_pct_gdp_2035": FieldSpec("pct_gdp", upper=100.0),
    },
    "areas.csv": {
        "weight": SHARE,
        "integration_penalty": SHARE,
        "us_floor_share": SHARE,
    },
    "systems.csv": {
        "value_per_unit": FieldSpec("cu", upper=MAX_VALUE_PER_UNIT),
        "unit_cost_musd": FieldSpec("USD_m", upper=MAX_UNIT_MUSD),
        # a fleet loses 1/service life a year: below a year it would lose more than it has;
        # standing formations (headquarters) are given 100 years, i.e. no wear-out
        "service_life_years": FieldSpec("years", lower=1.0, upper=200.0),
    },
    "holdings.csv": {"quantity": FieldSpec("items", upper=MAX_ITEMS)},
    "lines.csv": {
        "capacity_per_year": FieldSpec("items_per_year", upper=MAX_ITEMS),
        "capacity_ceiling_per_year": FieldSpec("items_per_year", upper=MAX_ITEMS),
        "max_ramp_share_per_year": SHARE,
        "lead_time_years": FieldSpec("years", upper=30.0),
        "capex_musd_per_unit_capacity": FieldSpec("USD_m", upper=MAX_UNIT_MUSD),
        "us_content_share": FieldSpec("share", required=False, default=0.0, upper=1.0),
        "europe_share": FieldSpec("share", required=False, default=1.0, upper=1.0),
        "planned_capacity_per_year": FieldSpec(
            "items_per_year", required=False, default=0.0, upper=MAX_ITEMS
        ),
        # what a producer says the line can make, beside what it delivers (capacity_per_year):
        # kept for the record and shown in `data sources`; no engine counts it as output
        "claimed_capacity_per_year": FieldSpec(
            "items_per_year", required=False, default=0.0, upper=MAX_ITEMS
        ),
        # the default 0 means "none planned"; a given year lies in the planning window
        "planned_capacity_year": FieldSpec(
            "year",
            required=False,
            default=0.0,
            lower=BASE_YEAR_MIN,
            upper=BASE_YEAR_MAX,
            integer=True,
        ),
    },
    "inputs.csv": {
        "supply_per_year": FieldSpec("units_per_year", upper=MAX_SUPPLY),
        "max_growth_share_per_year": FieldSpec("share", upper=10.0),
    },
    "parameters.csv": {"value": FieldSpec("*")},
    # the tables below are optional: a folder without them counts every fleet as ready, nothing
    # as US-made, no campaign use and no threat, and measures against the `today` comparator
    "requirements.csv": {
        "quantity": FieldSpec("cu", required=False, upper=MAX_ITEMS),
        # a campaign of more than ten years is not a stockpile norm
        "campaign_days": FieldSpec("days", required=False, lower=1.0, upper=3650.0),
    },
    "expenditure.csv": {
        "daily_use": FieldSpec("cu_per_day", required=False, upper=MAX_ITEMS, positive=True),
        "training_use_per_year": FieldSpec("cu_per_year", required=False, upper=MAX_ITEMS),
    },
    "readiness.csv": {
        "availability": FieldSpec("share", required=False, upper=1.0),
        "us_made": FieldSpec("share", required=False, upper=1.0),
        "dependence_floor": FieldSpec("share", required=False, upper=1.0),
        "dependence_years": FieldSpec("years", required=False, upper=30.0),
    },
    "threat.csv": {
        "stock": FieldSpec("cu", required=False, upper=MAX_ITEMS),
        "output_per_year": FieldSpec("cu_per_year", required=False, upper=MAX_ITEMS),
        "use_per_year": FieldSpec("cu_per_year", required=False, upper=MAX_ITEMS),
    },
    "ukraine.csv": {"items_per_year": FieldSpec("items_per_year", required=False, upper=MAX_ITEMS)},
    "greenfield.csv": {
        "lead_time_years": FieldSpec("years", upper=30.0),
        "capex_musd_per_unit_capacity": FieldSpec("USD_m", upper=MAX_UNIT_MUSD),
        "min_capacity_per_year": FieldSpec("items_per_year", upper=MAX_ITEMS),
        "max_capacity_per_year": FieldSpec("items_per_year", upper=MAX_ITEMS, positive=True),
        "max_ramp_share_per_year": FieldSpec("share", required=False, default=1.0, upper=1.0),
    },
    # whole years from an order (payment) to delivery into the buyer's stock
    "delivery.csv": {
        "lag_years": FieldSpec("years", required=False, upper=10.0, integer=True),
    },
}
OPTIONAL_TABLES = frozenset(
    {
        "requirements.csv",
        "expenditure.csv",
        "readiness.csv",
        "threat.csv",
        "ukraine.csv",
        "greenfield.csv",
        "delivery.csv",
    }
)
"""Figure tables a data folder may leave out."""

INPUT_USE_PREFIX = "uses_"
"""lines.csv fields `uses_<input>` (unit `per_item`) give a line's use of a critical input."""
INPUT_USE = FieldSpec("per_item", required=False, default=0.0, upper=MAX_USE_PER_ITEM)

PARAMETERS: dict[str, FieldSpec] = {
    "base_year": FieldSpec("year", lower=BASE_YEAR_MIN, upper=BASE_YEAR_MAX, integer=True),
    "gdp_real_growth": FieldSpec("share", upper=0.2),
    "available_share": SHARE,
    "discount_rate": FieldSpec("share", upper=0.5),
    # Wright's law: price x this per doubling; 0 would make pooled output free (log2(0) = -inf),
    # and the steepest learning ever reported is about 0.7
    "learning_rate": FieldSpec("share", lower=0.5, upper=1.0),
    "variant_fixed_cost_musd": FieldSpec("USD_m", upper=MAX_UNIT_MUSD),
    # GDP in allies.csv is in the source year's current dollars; dividing by this factor (US
    # prices of that year over 2025's) puts budgets on the data's one basis, constant 2025 USD
    "gdp_price_factor": FieldSpec(
        "factor", required=False, default=1.0, lower=0.1, upper=20.0, positive=True
    ),
}


def field_spec(table: str, field: str, key: str) -> FieldSpec | None:
    """The rule for one figure, or None when the table does not know the field."""
    if table == "parameters.csv":
        return PARAMETERS.get(key) if field == "value" else None
    if table == "lines.csv" and field.startswith(INPUT_USE_PREFIX):
        return INPUT_USE
    return TABLES.get(table, {}).get(field)
