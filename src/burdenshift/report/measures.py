"""The comparable measures of a run, whatever its engine: per area the share at the deadline,
the earliest year the target holds, its probability and the deterrence gap; overall spending
(risk: its median) and, for plans, the discounted cost (the figure `plan --mode both` compares).
The gap is what a blunt and a phased US step-back differ by most."""

from __future__ import annotations

from typing import Any

from burdenshift.engine.runinfo import label_of
from burdenshift.output import COSTS, USD_BN, money_key


def measures(engine: str, p: dict[str, Any]) -> dict[str, Any]:
    areas: dict[str, dict[str, float | int | None]] = {}
    cost = None
    discounted = None
    if engine == "assess":
        for a in p["areas"]:
            areas[a["area"]] = {
                "share_at_deadline": a["share_at_deadline_max_ramp"],
                "earliest_year": a["year_target_max_ramp"],
            }
    elif engine == "simulate":
        dl = p["years"].index(p["run"]["applied"]["deadline"])
        for area, v in p["areas"].items():
            areas[area] = {
                "share_at_deadline": v["europe_share"][dl],
                "earliest_year": v["year_target"],
                "gap": v["deterrence_gap_total"],
            }
        cost = sum(p["cost_musd"]["total"])
    elif engine == "plan":
        deadline = str(p["run"]["applied"]["deadline"])
        for a in p["areas"]:
            areas[a["area"]] = {
                "share_at_deadline": a["benchmarks"].get(deadline),
                "earliest_year": a["earliest_year"],
            }
        cost = p["cost_musd"]["total"]
        discounted = p["objective"]["cost_musd"]
    elif engine == "risk":
        for a in p["areas"]:
            areas[a["area"]] = {
                "share_at_deadline": a["share_at_deadline_quantiles"]["p50"],
                "earliest_year": a["year_target_quantiles"]["p50"],
                "probability": a["p_target_by_deadline"],
                "gap": a["gap_quantiles"]["p50"],
            }
        cost = p["cost_musd_quantiles"]["p50"]
    return {
        "areas": areas,
        "cost_musd": cost,
        "discounted_cost_musd": discounted,
        "deadline": p["run"]["applied"]["deadline"],
        "engine_label": label_of(p, engine),
    }


def _diff(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    return b - a


def compare(run_a: dict[str, Any], run_b: dict[str, Any]) -> dict[str, Any]:
    """B minus A for every measure both runs have."""
    ma = measures(run_a["engine"], run_a["result"])
    mb = measures(run_b["engine"], run_b["result"])
    rows = []
    for area in ma["areas"]:
        if area not in mb["areas"]:
            continue
        row: dict[str, Any] = {"area": area}
        for key in ("share_at_deadline", "earliest_year", "probability", "gap"):
            va, vb = ma["areas"][area].get(key), mb["areas"][area].get(key)
            if va is None and vb is None:
                continue
            row[key] = {"a": va, "b": vb, "diff": _diff(va, vb)}
        rows.append(row)
    gaps = [r["gap"] for r in rows if "gap" in r]
    total = {
        k: sum(g[k] for g in gaps) if gaps and None not in [g[k] for g in gaps] else None
        for k in ("a", "b")
    }
    money: dict[str, Any] = {"unit": USD_BN}
    for term, key in (("spending", "cost_musd"), ("discounted_cost", "discounted_cost_musd")):
        va, vb = (None if m[key] is None else m[key] / 1000 for m in (ma, mb))
        if va is None and vb is None:
            continue
        money[money_key(term)] = {"a": va, "b": vb, "diff": _diff(va, vb)}
    money["terms"] = {
        money_key(t): f"{COSTS[t][0]}: {COSTS[t][1]}"
        for t in ("spending", "discounted_cost")
        if money_key(t) in money
    }
    return {
        "a": {k: run_a[k] for k in ("run_id", "engine", "scenario")}
        | {"deadline": ma["deadline"], "engine_label": ma["engine_label"]},
        "b": {k: run_b[k] for k in ("run_id", "engine", "scenario")}
        | {"deadline": mb["deadline"], "engine_label": mb["engine_label"]},
        "areas": rows,
        "gap": {**total, "diff": _diff(total["a"], total["b"])},
        "cost_musd": {
            "a": ma["cost_musd"],
            "b": mb["cost_musd"],
            "diff": _diff(ma["cost_musd"], mb["cost_musd"]),
            "measure": "spending",
        },
        "money": money,
    }
