"""Results as long rows (run, area, ally, system, line, year, metric, value, unit), from each
engine's JSON payload, so every engine's output lands in one table that SQL can slice."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Row:
    area: str | None = None
    ally: str | None = None
    system: str | None = None
    line: str | None = None
    year: int | None = None
    metric: str = ""
    value: float | None = None
    unit: str = ""

    def as_tuple(self) -> tuple[Any, ...]:
        return (
            self.area,
            self.ally,
            self.system,
            self.line,
            self.year,
            self.metric,
            self.value,
            self.unit,
        )


def _num(v: Any) -> float | None:
    return None if v is None else float(v)


def rows_for(engine: str, payload: dict[str, Any]) -> list[Row]:
    return {
        "assess": _assess,
        "simulate": _simulate,
        "plan": _plan,
        "risk": _risk,
        "sensitivity": _sensitivity,
    }[engine](payload)


def _assess(p: dict[str, Any]) -> list[Row]:
    out = []
    for a in p["areas"]:
        for k, unit in (
            ("europe", "share"),
            ("us", "share"),
            ("europe_share_now", "share"),
            ("share_at_deadline_current_rates", "share"),
            ("share_at_deadline_max_ramp", "share"),
            ("target", "share"),
            ("year_target_current_rates", "year"),
            ("year_target_max_ramp", "year"),
            ("weak_share", "share"),
        ):
            out.append(
                Row(area=a["area"], year=p["deadline"], metric=k, value=_num(a[k]), unit=unit)
            )
    for b in p["allies"]:
        for k, unit in (
            ("defence_spending_usd_bn", "USD_bn"),
            ("spending_share", "share"),
            ("gdp_share", "share"),
            ("burden_ratio", "ratio"),
        ):
            out.append(Row(ally=b["ally"], metric=k, value=_num(b[k]), unit=unit))
        for area, v in b["contribution"].items():
            out.append(Row(area=area, ally=b["ally"], metric="contribution", value=v, unit="share"))
    return out


def _simulate(p: dict[str, Any]) -> list[Row]:
    out = []
    years = p["years"]
    for area, v in p["areas"].items():
        for y, s, g in zip(years, v["europe_share"], v["gap"], strict=True):
            out.append(Row(area=area, year=y, metric="europe_share", value=s, unit="share"))
            out.append(Row(area=area, year=y, metric="gap", value=g, unit="share"))
        for y, s in zip(years, v.get("us_share", []), strict=False):
            out.append(Row(area=area, year=y, metric="us_share", value=s, unit="share"))
        out.append(Row(area=area, metric="target", value=v["target"], unit="share"))
    for ally, costs in p["cost_musd"]["by_ally"].items():
        for y, c in zip(years, costs, strict=True):
            out.append(Row(ally=ally, year=y, metric="cost", value=c, unit="USD_m"))
    return out


def _plan(p: dict[str, Any]) -> list[Row]:
    out = [
        Row(metric="shortfall", value=_num(p["objective"]["shortfall"]), unit="share-years"),
        Row(metric="cost", value=_num(p["objective"]["cost_musd"]), unit="USD_m discounted"),
        # the plan's relative MIP gap (null: unknown); runs kept before plans reported it lack it
        Row(metric="mip_gap", value=_num(p.get("mip_gap")), unit="share"),
    ]
    for a in p["areas"]:
        out.append(
            Row(area=a["area"], metric="earliest_year", value=_num(a["earliest_year"]), unit="year")
        )
        for y, v in a["benchmarks"].items():
            out.append(Row(area=a["area"], year=int(y), metric="benchmark", value=v, unit="share"))
    for e in p["plan"]["expansions"]:
        out.append(
            Row(
                line=e["line"],
                year=e["year"],
                metric="expansion",
                value=e["items_per_year"],
                unit="items_per_year",
            )
        )
    for d in p["plan"]["deliveries"]:
        out.append(
            Row(
                line=d["line"],
                ally=d["ally"],
                year=d["year"],
                metric="deliveries",
                value=d["items"],
                unit="items",
            )
        )
    for ally, total in p["cost_musd"]["by_ally"].items():
        out.append(Row(ally=ally, metric="cost", value=total, unit="USD_m"))
    return out


def _risk(p: dict[str, Any]) -> list[Row]:
    out = [
        Row(metric=f"cost_{k}", value=v, unit="USD_m") for k, v in p["cost_musd_quantiles"].items()
    ]
    for a in p["areas"]:
        out.append(
            Row(
                area=a["area"],
                metric="p_target_by_deadline",
                value=a["p_target_by_deadline"],
                unit="probability",
            )
        )
        out.append(Row(area=a["area"], metric="p_se", value=a["p_se"], unit="probability"))
        for k, v in a["year_target_quantiles"].items():
            out.append(Row(area=a["area"], metric=f"year_target_{k}", value=_num(v), unit="year"))
        for k, v in a["gap_quantiles"].items():
            out.append(Row(area=a["area"], metric=f"gap_{k}", value=v, unit="share-years"))
        for y, q in a.get("share_quantiles", {}).items():
            for k, v in q.items():
                out.append(
                    Row(area=a["area"], year=int(y), metric=f"share_{k}", value=v, unit="share")
                )
    return out


def _sensitivity(p: dict[str, Any]) -> list[Row]:
    out = []
    for output, rows in p["outputs"].items():
        area = output.split(":", 1)[1] if ":" in output else None
        name = output.split(":", 1)[0]
        for r in rows:
            for k in ("S1", "S1_conf", "ST", "ST_conf"):
                out.append(
                    Row(area=area, metric=f"{name}:{k}:{r['parameter']}", value=r[k], unit="index")
                )
    return out
