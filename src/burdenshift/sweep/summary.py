"""One headline row per finished sweep task, whatever its engine."""

from __future__ import annotations

from typing import Any


def summarise(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for r in results:
        res, engine = r["result"], r["engine"]
        row: dict[str, Any] = {"index": r["index"], "case": r["case"], "engine": engine}
        if engine == "assess":
            met = [a for a in res["areas"] if a["share_at_deadline_max_ramp"] >= a["target"] - 1e-9]
            row["headline"] = (
                f"{len(met)}/{len(res['areas'])} areas can hold the target by the deadline"
            )
            row["areas_met"] = len(met)
        elif engine == "simulate":
            gaps = sum(v["deterrence_gap_total"] for v in res["areas"].values())
            row["headline"] = f"deterrence gap {gaps:.2f} requirement-share-years"
            row["deterrence_gap"] = gaps
        elif engine == "risk":
            p = [a["p_target_by_deadline"] for a in res["areas"]]
            row["headline"] = f"mean P(target) {sum(p) / len(p):.1%} over {len(p)} areas"
            row["mean_p_target"] = sum(p) / len(p)
        else:
            obj = res["objective"]
            row["headline"] = (
                f"{res['status']}: shortfall {obj['shortfall']:.3f}, "
                f"cost {obj['cost_musd'] / 1000:.1f} USD bn"
            )
            row.update(obj)
        rows.append(row)
    return rows


def sweep_payload(
    name: str, tasks: list[Any], results: list[dict[str, Any]], skipped: int, store: str
) -> dict[str, Any]:
    """What `sweep --json` prints and the API returns: the counts and one row per task."""
    rows = summarise(
        [
            {**r["sweep"], "engine": t.engine, "result": r}
            for r, t in zip(results, tasks, strict=True)
        ]
    )
    return {
        "sweep": name,
        "tasks": len(tasks),
        "skipped": skipped,
        "ran": len(tasks) - skipped,
        "store": store,
        "results": rows,
    }
