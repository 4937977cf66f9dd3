"""The figure tables: which fields each allows, in which unit, with which bounds and defaults.

Every number in the data is one row of a long table with its own source, year and confidence, so
`data sources` can list each figure and results can say how much rests on weak ones.
"""

from __future__ import annotations

from dataclasses import dataclass

COLUMNS = ("key", "field", "value", "unit", "year", "source", "confidence", "note")
CONFIDENCE = ("high", "medium", "low", "assumption")
WEAK = frozenset({"low", "assumption"})


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

    @property
    def weak(self) -> bool:
        return self.confidence in WEAK

    def as_dict(self) -> dict[str, object]:
        """The shape of `data sources --json`."""
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
        }


@dataclass(frozen=True)
class FieldSpec:
    unit: str
    required: bool = True
    default: float | None = None
    upper: float | None = None
    """Inclusive upper bound (shares: 1); every figure is non-negative."""


SHARE = FieldSpec("share", upper=1.0)

TABLES: dict[str, dict[str, FieldSpec]] = {
    "allies.csv": {
        "gdp_usd_bn": FieldSpec("USD_bn"),
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
        "value_per_unit": FieldSpec("cu"),
        "unit_cost_musd": FieldSpec("USD_m"),
        "service_life_years": FieldSpec("years"),
    },
    "holdings.csv": {"quantity": FieldSpec("items")},
    "lines.csv": {
        "capacity_per_year": FieldSpec("items_per_year"),
        "capacity_ceiling_per_year": FieldSpec("items_per_year"),
        "max_ramp_share_per_year": SHARE,
        "lead_time_years": FieldSpec("years", upper=30.0),
        "capex_musd_per_unit_capacity": FieldSpec("USD_m"),
        "us_content_share": FieldSpec("share", required=False, default=0.0, upper=1.0),
        "europe_share": FieldSpec("share", required=False, default=1.0, upper=1.0),
        "planned_capacity_per_year": FieldSpec("items_per_year", required=False, default=0.0),
        "planned_capacity_year": FieldSpec("year", required=False, default=0.0, upper=2100.0),
    },
    "inputs.csv": {
        "supply_per_year": FieldSpec("units_per_year"),
        "max_growth_share_per_year": FieldSpec("share", upper=10.0),
    },
    "parameters.csv": {"value": FieldSpec("*")},
}

INPUT_USE_PREFIX = "uses_"
"""lines.csv fields `uses_<input>` (unit `per_item`) give a line's use of a critical input."""

PARAMETERS: dict[str, FieldSpec] = {
    "base_year": FieldSpec("year", upper=2100.0),
    "gdp_real_growth": FieldSpec("share", upper=0.2),
    "available_share": SHARE,
    "discount_rate": FieldSpec("share", upper=0.5),
    "learning_rate": FieldSpec("share", upper=1.0),
    "variant_fixed_cost_musd": FieldSpec("USD_m"),
}


def field_spec(table: str, field: str, key: str) -> FieldSpec | None:
    """The rule for one figure, or None when the table does not know the field."""
    if table == "parameters.csv":
        return PARAMETERS.get(key) if field == "value" else None
    if table == "lines.csv" and field.startswith(INPUT_USE_PREFIX):
        return FieldSpec("per_item", required=False, default=0.0)
    return TABLES.get(table, {}).get(field)
