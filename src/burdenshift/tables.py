"""Rich tables for the terminal."""

from __future__ import annotations

import os
import re
import sys
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table as RichTable
from rich.text import Text

from burdenshift.domain.names import area_name
from burdenshift.engine.runinfo import engine_label, engine_tag, label_of
from burdenshift.output import COSTS, URL, money_key, money_text, num_text, range_text
from burdenshift.percent import against

# a terminal's own width; piped output follows COLUMNS, else 140
console = Console(width=None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 140)

COMPACT_BELOW = 150
"""Below this width tables drop their vertical rules and use short labels, so a row of the
widest table (assess) stays on one line at 100 columns."""

SHORT_AREA = {
    "isr": "ISR",
    "long_range_strike": "Strike",
    "iamd": "IAMD",
    "munitions": "Munitions",
    "air_refuelling": "Air refuelling",
    "strategic_airlift": "Airlift",
    "sead_ew": "SEAD/EW",
    "c2": "C2",
    "sustainment": "Sustainment",
    "land_forces": "Land forces",
    "combat_air": "Combat air",
    "maritime": "Maritime",
}


SHORT_BINDING = {
    "capacity (ceiling)": "ceiling",
    "none (target met)": "met",
    "no European producer": "no producer",
}


def compact() -> bool:
    return console.width < COMPACT_BELOW


def new_table(*args: Any, **kwargs: Any) -> RichTable:
    """Rich's table, without vertical rules below `COMPACT_BELOW` columns."""
    if compact():
        kwargs.setdefault("box", box.SIMPLE_HEAD)
        kwargs.setdefault("padding", (0, 1))
        kwargs.setdefault("show_edge", False)
    return RichTable(*args, **kwargs)


def area_label(area: dict[str, Any] | str) -> str:
    """An area's name (payloads that carry only its id: the embedded data's name), or its short
    name in a narrow terminal."""
    code = area if isinstance(area, str) else area["area"]
    name = (None if isinstance(area, str) else area.get("name")) or area_name(code)
    return SHORT_AREA.get(code, name) if compact() else name


_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028-\u202e\u2066-\u2069]")
"""C0 (ESC among them), DEL, C1, line separators and bidirectional overrides: in a name they
could clear the screen, retitle the window, forge a link or reorder what the analyst reads."""


def _visible(match: re.Match[str]) -> str:
    c = match.group()
    if c in "\t\n\r":
        return " "
    return f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"


def clean(value: Any) -> str:
    """User text (names, descriptions, run ids, notes) safe for a terminal: every control
    character is shown as its escape (`\\x1b`), so it prints but never acts."""
    return _UNSAFE.sub(_visible, "" if value is None else str(value))


def plain(value: Any) -> Text:
    """A cell, title or line that carries user text: cleaned, and a Text so Rich markup
    (`[bold]`, `[link=…]`) and emoji codes in it print literally."""
    return Text(clean(value))


def linked(value: Any) -> Text:
    """User text with each http(s) address a terminal hyperlink (OSC 8, where the terminal
    shows them), so a source folded over several lines still opens whole."""
    text = plain(value)
    for m in URL.finditer(text.plain):
        text.stylize(f"link {m.group(0)}", m.start(), m.end())
    return text


def _pct(x: float) -> str:
    return f"{x:.0%}"


def _year(y: int | None) -> str:
    return str(y) if y is not None else "—"


def _requirement(payload: dict[str, Any], engine: str | None = None) -> Text:
    """The caption every results table carries: the engine and what it assumes, and the
    requirement set it is measured against."""
    name = payload.get("requirement") or payload.get("run", {}).get("requirement") or "—"
    return Text("\n").join(
        [plain(f"Engine: {label_of(payload, engine)}"), plain(f"Requirement: {name}")]
    )


def _by_year(values: dict[Any, float], year: int) -> float:
    """A per-year mapping read back from JSON has string keys."""
    return values[year] if year in values else values[str(year)]


def print_assessment(payload: dict[str, Any]) -> None:
    deadline, target = payload["deadline"], payload["target_share"]
    run = payload["run"]
    table = new_table(
        title=plain(
            f"{engine_tag('assess')}: can Europe hold {target:.0%} of each capability by "
            f"{deadline}?  (scenario {clean(run['scenario'])}, data {clean(run['data_hash'])})"
        ),
        caption=_requirement(payload, "assess"),
        caption_justify="left",
        title_justify="left",
    )
    narrow = compact()
    for col, just in [
        ("area", "left"),
        ("Europe now" if not narrow else "now", "right"),
        ("US now" if not narrow else "US", "right"),
        (f"{deadline} today's rates" if not narrow else f"{deadline} rates", "right"),
        (f"{deadline} fastest ramp" if not narrow else f"{deadline} ramp", "right"),
        ("force share now" if not narrow else "force", "right"),
        ("US-made", "right"),
        (f"holds {target:.0%} from (rates / ramp)" if not narrow else "held from", "center"),
        ("held back by" if not narrow else "binds", "left"),
    ]:
        table.add_column(col, justify=just, no_wrap=narrow or col == "area")  # type: ignore[arg-type]
    held_sep = "/" if narrow else " / "
    flagged = False
    for a in payload["areas"]:
        mark = " *" if a["low_confidence"] else ""
        flagged |= a["low_confidence"]
        met = a["share_at_deadline_max_ramp"] >= a["target"] - 1e-9
        style = "green" if met else "red"
        force = a["force_share_now"]
        table.add_row(
            plain(area_label(a) + mark),
            _pct(a["europe_share_now"]),
            _pct(min(a["us"], 1.0)),
            against(a["share_at_deadline_current_rates"], a["target"]),
            f"[{style}]{against(a['share_at_deadline_max_ramp'], a['target'])}[/{style}]",
            _pct(force) if force is not None else "—",
            _pct(a["us_made_share"]),
            f"{_year(a['year_target_current_rates'])}{held_sep}{_year(a['year_target_max_ramp'])}",
            plain(SHORT_BINDING.get(a["binding"], a["binding"]) if narrow else a["binding"]),
        )
    console.print(table)
    met = sum(a["share_at_deadline_max_ramp"] >= a["target"] - 1e-9 for a in payload["areas"])
    majority = sum((a["force_share_now"] or 0) > 0.5 for a in payload["areas"])
    console.print(
        plain(
            f"{engine_tag('assess')}: Europe can cover {target:.0%} of the requirement "
            f"{payload['requirement']} by {deadline} in {met} of {len(payload['areas'])} areas "
            "even at the fastest feasible ramp. Coverage is Europe's capability ready for war as "
            "a share of what defending "
            f"Europe requires (E / R, capped at 100 %). Read as the allied force instead, "
            f"Europe holds the majority today in {majority} of {len(payload['areas'])} areas "
            "(force share E / (E + U)): that reading rises when the US leaves, even if Europe "
            "builds nothing."
        )
    )
    first = payload["years"][0]
    names = {m["metric"]: m["name"] for a in payload["areas"] for m in a["metrics"]}
    for m, by_year in (payload.get("days_of_war") or {}).items():
        now, at = _by_year(by_year, first), _by_year(by_year, deadline)
        console.print(
            plain(
                f"  {names.get(m, m)}: Europe's stock lasts {now:,.0f} "
                f"{'day' if round(now) == 1 else 'days'} of high-intensity war "
                f"in {first} and {at:,.0f} in {deadline} at the fastest ramp "
                f"(the requirement asks for {payload['campaign_days']:.0f})."
            )
        )
    if flagged:
        console.print(
            "* more than half of this area's capability rests on low-confidence or "
            "assumed figures (`burdenshift data sources --area AREA`)."
        )
    console.print(plain(payload["scope"]))
    allies = sorted(payload["allies"], key=lambda b: -b["defence_spending_usd_bn"])
    burden = new_table(title="Who carries Europe's defence spending (top 10)", title_justify="left")
    for col in ("ally", "USD bn", "% GDP", "share of spending", "share of GDP", "ratio"):
        burden.add_column(col, justify="left" if col == "ally" else "right")
    for b in allies[:10]:
        burden.add_row(
            plain(b["name"]),
            f"{b['defence_spending_usd_bn']:.1f}",
            f"{b['defence_pct_gdp']:.2f}",
            _pct(b["spending_share"]),
            _pct(b["gdp_share"]),
            f"{b['burden_ratio']:.2f}",
        )
    console.print(burden)


def _num(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x:,.0f}" if abs(x) >= 10 else f"{x:.2g}"


def print_race(payload: dict[str, Any]) -> None:
    years = payload["years"]
    show = [y for y in years if y in (years[0], years[1], years[-1])]
    table = new_table(
        title=plain(
            f"{engine_tag('threat')}  (scenario {clean(payload['run']['scenario'])}, "
            f"data {clean(payload['run']['data_hash'])})"
        ),
        title_justify="left",
        caption=_requirement(payload, "threat"),
        caption_justify="left",
    )
    table.add_column("metric", no_wrap=True)
    for y in show:
        table.add_column(f"stock {y} Europe / Russia", justify="right")
    table.add_column("output a year Europe / Russia", justify="right")
    table.add_column("Europe out-produces from (rates / ramp)", justify="center")
    flagged = False
    for m in payload["metrics"]:
        flagged |= m["weak"]
        cells = [
            f"{_num(m['europe_stock'][years.index(y)])} / {_num(m['russia_stock'][years.index(y)])}"
            for y in show
        ]
        table.add_row(
            plain(m["name"] + (" *" if m["weak"] else "")),
            *cells,
            f"{_num(m['europe_output'][1 if len(years) > 1 else 0])} / {_num(m['russia_output'])}",
            f"{_year(m['overtakes'])} / {_year(m['overtakes_max_ramp'])}",
        )
    console.print(table)
    console.print(
        "Stocks are gross holdings in each metric's unit; Russia's path adds its yearly output and "
        "subtracts what the war against Ukraine uses. Europe's output is its own lines' for Europe."
    )
    if flagged:
        console.print("* Russia's figures for this metric are low-confidence or assumptions.")


def print_simulation(payload: dict[str, Any]) -> None:
    years = payload["years"]
    run = payload["run"]
    table = new_table(
        title=plain(
            f"{engine_tag('simulate')}: Europe's share of the requirement by year "
            f"(scenario {run['scenario']})"
        ),
        title_justify="left",
        caption=_requirement(payload, "simulate"),
        caption_justify="left",
    )
    table.add_column("area")
    for y in years:
        table.add_column(str(y), justify="right")
    table.add_column("gap (req.-years)", justify="right")
    for area, v in payload["areas"].items():
        cells = [
            f"[{'green' if s >= v['target'] - 1e-9 else 'red'}]{against(s, v['target'])}[/]"
            for s in v["europe_share"]
        ]
        table.add_row(plain(area_label(area)), *cells, f"{v['deterrence_gap_total']:.2f}")
    console.print(table)
    cost = payload["cost_musd"]
    money = payload.get("money") or {}
    split = "".join(
        f", {money_text(t, money[money_key(t)] * 1000)}"
        for t in ("money_to_european_industry", "money_to_us_industry")
        if money.get(money_key(t)) is not None
    )
    console.print(
        plain(
            f"{engine_tag('simulate')}: {money_text('spending', sum(cost['total']))} "
            f"(of which {money_text('capital_for_new_capacity', sum(cost['capacity']))}{split}) of "
            f"{sum(cost['budget']) / 1000:,.1f} USD bn budget for the modelled systems over "
            f"{years[0]}–{years[-1]}, constant 2025 USD. " + payload["policy"]
        )
    )
    console.print(plain(payload["scope"]))


def print_scenarios(items: list[tuple[str, Any]]) -> None:
    table = new_table(title="Shipped scenarios", title_justify="left")
    for col in ("name", "deadline", "drawdown", "procurement", "licences", "description"):
        table.add_column(col)
    for name, sc in items:
        table.add_row(
            plain(name),
            str(sc.deadline),
            plain(sc.us_drawdown.path),
            plain(sc.procurement),
            plain(sc.export.us_licences),
            plain(sc.description),
        )
    console.print(table)


def print_sources(rows: list[dict[str, Any]]) -> None:
    table = new_table(title=f"{len(rows)} figures", title_justify="left")
    cols = (
        "table",
        "key",
        "field",
        "value",
        "range",
        "unit",
        "year",
        "confidence",
        "source",
        "note",
    )
    for col in cols:
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(
            plain(r["table"]),
            plain(r["key"]),
            plain(r["field"]),
            num_text(r["value"]),
            range_text(r),
            plain(r["unit"]),
            plain(r["year"]),
            plain(r["confidence"]),
            linked(r["source"]),
            linked(r.get("note") or ""),
        )
    console.print(table)


def print_weakest(payload: dict[str, Any]) -> None:
    where = f" in {payload['area']}" if payload["area"] else ""
    table = new_table(
        title=plain(
            f"{engine_tag('weakest')}: the figures whose range moves the share{where} in "
            f"{payload['deadline']} most"
        ),
        title_justify="left",
        caption=plain(payload["method"]),
        caption_justify="left",
    )
    narrow = compact()
    cols = ("#", "figure", "value", "range", "confidence", "area", "swing", "source")
    for col in cols[:-1] if narrow else cols:
        table.add_column(col, overflow="fold", justify="right" if col in ("#", "swing") else "left")

    def source(r: dict[str, Any]) -> str:
        return r["source"] if len(r["source"]) <= 140 else r["source"][:139] + "… (--json)"

    for i, r in enumerate(payload["figures"], start=1):
        cells = [
            str(i),
            plain(f"{r['table']} {r['key']} {r['field']}"),
            num_text(r["value"]),
            range_text(r),
            plain(r["confidence"]),
            plain(area_label(r["area"])),
            f"{100 * r['swing']:.1f} pts",
        ]
        table.add_row(*cells, *([] if narrow else [linked(source(r))]))
    console.print(table)
    if narrow:  # the sources below the table, whole, one paragraph each, in a narrow terminal
        for i, r in enumerate(payload["figures"], start=1):
            console.print(linked(f"{i}. {r['source']}"))


def print_plan(result: dict[str, Any], bottlenecks: bool = True) -> None:
    areas = result["areas"]
    years = list(areas[0]["benchmarks"]) if areas else []
    obj = result["objective"]
    table = new_table(
        title=plain(
            f"{engine_tag('plan')}, {result['mode']} procurement, {result['status']}: Europe's "
            "share of the requirement each year — the benchmarks"
        ),
        title_justify="left",
        caption=_requirement(result, "plan"),
        caption_justify="left",
    )
    table.add_column("area", no_wrap=True)
    for y in years:
        table.add_column(y, justify="right")
    table.add_column("target held from", justify="center")
    for a in areas:
        table.add_row(
            plain(area_label(a) + (" *" if a.get("low_confidence") else "")),
            *(f"{v:.0%}" for v in a["benchmarks"].values()),
            _year(a["earliest_year"]),
        )
    console.print(table)
    money = [
        money_text("discounted_cost", obj["cost_musd"]),
        money_text("spending", result["cost_musd"]["total"]),
    ]
    split = result.get("money") or {}
    for term in ("capital_for_new_capacity", "money_to_european_industry", "money_to_us_industry"):
        if split.get(f"{term}_usd_bn") is not None:
            money.append(money_text(term, split[f"{term}_usd_bn"] * 1000))
    console.print(
        f"Shortfall left: {obj['shortfall']:.3f} requirement-share-years; "
        + "; ".join(money)
        + " (constant 2025 USD)."
    )
    console.print(plan_solve_line(result))
    whole = result.get("whole_items")
    if whole:
        big = whole["largest_benchmark_change"]
        console.print(
            plain(
                f"In whole items (each buyer's orders rounded on their running total): "
                f"{whole['items_added']:,.0f} items added, {whole['items_removed']:,.0f} removed, "
                f"spending {whole['spending_change_usd_bn']:+,.2f} USD bn; the benchmark that "
                f"moves most is {big['area']} {big['year']}, {big['exact']:.1%} → "
                f"{big['whole_items']:.1%}. `--json` gives each delivery in whole items."
            )
        )
    if bottlenecks and result["bottlenecks"]:
        b = new_table(
            title=plain(f"What binds under {result['mode']} procurement, largest effect first"),
            title_justify="left",
            caption="effect: the shortfall (requirement-share-years) that relaxing the "
            "constraint by 10 % would lift (|dual| × 10 % of its size); for 'no-producer', the "
            "whole shortfall no line can buy down",
            caption_justify="left",
        )
        b.add_column("#", justify="right")
        b.add_column("effect", justify="right")
        b.add_column("constraint", no_wrap=True)
        b.add_column("where")
        b.add_column("explanation", overflow="fold")
        ranked = sorted(result["bottlenecks"][:10], key=lambda r: -r["impact"])
        for i, row in enumerate(ranked, start=1):
            b.add_row(
                str(i),
                f"{row['impact']:.3g}",
                plain(row["constraint"]),
                plain(row["where"]),
                plain(row["explanation"]),
            )
        console.print(b)


def plan_solve_line(result: dict[str, Any]) -> Text:
    """Whether the plan is proven optimal, its MIP gap, and the limit that stopped a stage."""
    gap = result.get("mip_gap")
    shown = "unknown" if gap is None else f"{gap:.2%}"
    solve = result.get("solve") or {}
    stopped = solve.get("stopped_by") or "--time-limit"
    seconds = solve.get("total_time_limit_s" if "total" in stopped else "time_limit_s")
    limit = f"{stopped} {seconds:g} s" if seconds is not None else stopped
    limit += " for the whole plan" if "total" in stopped else " per solver stage"
    stages = {s["stage"]: s["status"] for s in solve.get("stages", [])}
    notes = []
    if stages.get("cost") == "skipped":
        notes.append("no time was left to minimise its cost")
    if not solve.get("bottlenecks_found", True):
        notes.append(f"what binds is not ranked: the duals' LP did not finish within {limit}")
    note = "".join(f"; {n}" for n in notes)
    if result["status"] != "time_limit":
        tolerance = solve.get("mip_gap_tolerance")
        within = f" (the solver stops at {tolerance:.2%})" if tolerance is not None else ""
        return Text(f"Proven optimal: MIP gap {shown}{within}{note}.")
    text = Text("Not proven optimal", style="bold")
    text.append(
        f": the time limit ({limit}) stopped the solver; MIP gap {shown}. The plan is the best "
        f"found{note}. Raise {stopped} for a proven optimum."
    )
    return text


def print_plan_difference(diff: dict[str, Any]) -> None:
    money = diff["money"]
    parts = [
        f"{COSTS[t][0]} {money[money_key(t)]:+,.1f} USD bn"
        for t in COSTS
        if money.get(money_key(t)) is not None
    ]
    console.print(
        f"Pooled minus national procurement: {'; '.join(parts)} "
        f"({diff['discounted_cost_saving_share']:.0%} of discounted cost saved); shortfall "
        f"{diff['shortfall']:+.3f}. `compare` of the two kept runs shows the same figures."
    )
    earlier = {
        a: v["years_earlier"] for a, v in diff["earliest_year"].items() if v["years_earlier"]
    }
    if earlier:
        console.print(
            plain(
                "Areas reaching the target earlier when pooled: "
                + ", ".join(f"{a} ({n:+d} years)" for a, n in earlier.items())
            )
        )


def print_risk(payload: dict[str, Any]) -> None:
    table = new_table(
        title=f"{engine_tag('risk')}: chance Europe holds the target by {payload['deadline']} "
        f"({payload['draws']:,} draws, seed {payload['seed']})",
        title_justify="left",
        caption=_requirement(payload, "risk"),
        caption_justify="left",
    )
    narrow = compact()
    sep = "/" if narrow else " / "
    for col in (
        "area",
        "P(target)",
        "± s.e.",
        "P, data as stated" if not narrow else "P as stated",
        "held from p10 / p50 / p90" if not narrow else "held from p10/50/90",
        "gap p10 / p50 / p90" if not narrow else "gap p10/50/90",
    ):
        table.add_column(
            col, justify="left" if col == "area" else "right", no_wrap=narrow or col == "area"
        )
    for a in payload["areas"]:
        y, g = a["year_target_quantiles"], a["gap_quantiles"]
        alone = a.get("p_target_policy_only")
        table.add_row(
            plain(area_label(a) + (" *" if a.get("low_confidence") else "")),
            f"{a['p_target_by_deadline']:.1%}",
            f"{a['p_se']:.1%}",
            "—" if alone is None else f"{alone:.1%}",
            sep.join(_year(y[k]) for k in ("p10", "p50", "p90")),
            sep.join(f"{g[k]:.2f}" for k in ("p10", "p50", "p90")),
        )
    console.print(table)
    c = payload["cost_musd_quantiles"]
    console.print(
        plain(
            f"Uncertain: {', '.join(payload['parameters'])}"
            + (
                f", and {data['figures']:,} data figures in {data['groups']} groups drawn within "
                "their ranges (P, data as stated: the policy draws alone)"
                if (data := (payload.get("uncertainty") or {}).get("data"))
                else ""
            )
            + ". Spending over the horizon "
            f"(undiscounted), USD bn: p10 {c['p10'] / 1000:,.1f}, p50 {c['p50'] / 1000:,.1f}, "
            f"p90 {c['p90'] / 1000:,.1f}. "
            "'Held from' is the first year from which the target holds to the horizon's end "
            "(— beyond it), so an area held at the deadline can show a later year if it slips "
            "below the target afterwards; the gap is in requirement-years. * rests mostly on "
            "low-confidence or assumed figures: `burdenshift data weakest` lists those to check "
            "first."
        )
    )


def _index(value: float) -> Text:
    """A Sobol index; above 1 (sampling error at small n) it is marked in the cell itself."""
    if value > 1.0:
        return Text(f"{value:.2f}!", style="bold yellow")
    return Text(f"{value:.2f}")


def print_sensitivity(payload: dict[str, Any]) -> None:
    """One row per parameter, most influential first, with the outputs it drives."""
    outputs = payload["outputs"]
    table = new_table(
        title=f"{engine_tag('sensitivity')}: Sobol total indices (n = {payload['n']}, "
        f"{payload['evaluations']:,} runs)",
        title_justify="left",
        caption=_requirement(payload, "sensitivity"),
        caption_justify="left",
    )
    for col, just in [
        ("#", "right"),
        ("parameter", "left"),
        ("max ST", "right"),
        ("gap ST", "right"),
        ("spending ST", "right"),
        ("area shares it drives (ST ≥ 0.05)", "left"),
    ]:
        table.add_column(col, justify=just, no_wrap=col != "area shares it drives (ST ≥ 0.05)")  # type: ignore[arg-type]
    for rank, r in enumerate(payload["ranking"], 1):
        p = r["parameter"]
        st = {k: next(x["ST"] for x in rows if x["parameter"] == p) for k, rows in outputs.items()}
        driven = sorted(
            (
                (v, k.removeprefix("share_at_deadline:"))
                for k, v in st.items()
                if k.startswith("share_at_deadline:") and v >= 0.05
            ),
            reverse=True,
        )
        table.add_row(
            str(rank),
            plain(p),
            _index(r["max_ST"]),
            _index(st["deterrence_gap"]),
            _index(st["cost_musd"]),
            plain(", ".join(f"{name} {v:.2f}" for v, name in driven) or "—"),
        )
    console.print(table)
    console.print(
        "Total index ST: the share of an output's variance due to the parameter, interactions "
        "included; outputs are each area's share at the deadline, the deterrence gap and spending "
        "(first-order S1 and 95 % intervals in --json). Estimates can exceed 1 by sampling error."
    )
    worst = max((x["ST"] for rows in outputs.values() for x in rows), default=0.0)
    if worst > 1.05 or payload["n"] < 256:
        console.print(
            plain(
                f"⚠ n = {payload['n']} is small: the largest total index is {worst:.2f}"
                + (" (above 1, marked !: sampling error)" if worst > 1.0 else "")
                + "; ranks may change. Rerun with --n 1024 or more for stable indices."
            ),
            style="bold yellow",
        )


def print_sweep(payload: dict[str, Any]) -> None:
    table = new_table(
        title=plain(
            f"Sweep {payload['sweep']}: {payload['tasks']} tasks ({payload['ran']} run now, "
            f"{payload['skipped']} already done) — kept in {payload['store']}"
        ),
        title_justify="left",
    )
    for col in ("#", "case", "engine", "headline"):
        table.add_column(col, overflow="fold")
    for r in payload["results"]:
        table.add_row(str(r["index"]), plain(r["case"]), plain(r["engine"]), plain(r["headline"]))
    console.print(table)


def print_runs(rows: list[dict[str, Any]]) -> None:
    table = new_table(title=f"{len(rows)} kept runs", title_justify="left")
    for col in ("run", "engine", "created (UTC)", "scenario", "seed", "status", "s"):
        table.add_column(col, no_wrap=col in ("run", "created (UTC)"))
    for r in rows:
        seconds = r["wall_time_s"]
        created = str(r["created_at"] or "")[:16].replace("T", " ")
        table.add_row(
            plain(r["run_id"]),
            plain(r["engine"]),
            plain(created[5:] if compact() else created),
            plain(r["scenario"]),
            plain(r["seed"]),
            plain(r["status"]),
            f"{seconds:.2f}" if isinstance(seconds, int | float) else "",
        )
    console.print(table)


def print_run(info: dict[str, Any]) -> None:
    for key in (
        "run_id",
        "engine",
        "created_at",
        "version",
        "scenario",
        "scenario_hash",
        "data_hash",
        "seed",
        "status",
        "wall_time_s",
        "result_rows",
    ):
        value = info.get(key)
        if key == "seed" and value is None:
            value = "— (no random draws)"
        elif key == "wall_time_s" and value is not None:
            value = f"{value:.2f}"
        console.print(plain(f"{key:>14}: {value}"))
    run_id = info.get("run_id", "RUN")
    console.print(
        plain(
            f"Full result: `burdenshift runs show {run_id} --json`; report: "
            f"`burdenshift report {run_id} --html report.html`."
        )
    )


def print_compare(cmp: dict[str, Any]) -> None:
    a, b = cmp["a"], cmp["b"]
    same = a["deadline"] == b["deadline"]
    table = new_table(
        title=plain(
            f"B − A: A = {a['scenario']} ({engine_tag(a['engine'])}), B = {b['scenario']} "
            f"({engine_tag(b['engine'])}); "
            + (
                f"shares in {a['deadline']}"
                if same
                else f"shares at each run's deadline (A {a['deadline']}, B {b['deadline']})"
            )
        ),
        title_justify="left",
    )
    with_gap = cmp["gap"]["a"] is not None and cmp["gap"]["b"] is not None
    cols = ["share A", "share B", "Δ share", "year A", "year B", "P A", "P B"]
    cols += ["gap A", "gap B", "Δ gap"] if with_gap else []
    table.add_column("area", no_wrap=True)
    for col in cols:
        table.add_column(col, justify="right")
    for r in cmp["areas"]:
        s, y, p, g = (
            r.get(k, {}) for k in ("share_at_deadline", "earliest_year", "probability", "gap")
        )
        cells = [
            *(f"{s[k]:.0%}" if s.get(k) is not None else "—" for k in ("a", "b")),
            f"{s['diff']:+.1%}" if s.get("diff") is not None else "—",
            *(_year(y.get(k)) for k in ("a", "b")),
            *(f"{p[k]:.0%}" if p.get(k) is not None else "—" for k in ("a", "b")),
        ]
        if with_gap:
            cells += [f"{g['a']:.2f}", f"{g['b']:.2f}", f"{g['diff']:+.2f}"]
        table.add_row(plain(area_label(r["area"])), *cells)
    console.print(table)
    for side in ("a", "b"):
        console.print(
            plain(
                f"{side.upper()}: "
                + (cmp[side].get("engine_label") or engine_label(cmp[side]["engine"]))
            )
        )
    if with_gap:
        gap = cmp["gap"]
        console.print(
            f"Deterrence gap over the horizon (requirement-years, summed over areas): A "
            f"{gap['a']:.2f}, B {gap['b']:.2f}, B − A {gap['diff']:+.2f}."
        )
    money = cmp.get("money") or {}
    for term in ("spending", "discounted_cost"):
        c = money.get(f"{term}_usd_bn")
        if c and c["a"] is not None and c["b"] is not None:
            console.print(
                f"{COSTS[term][0].capitalize()}: A {c['a']:,.1f} USD bn, B {c['b']:,.1f} USD bn, "
                f"B − A {c['diff']:+,.1f} USD bn ({COSTS[term][1].removesuffix(', USD bn')})."
            )


def print_next(text: str) -> None:
    """One line on what to try next, dimmed so it does not compete with the result."""
    console.print(plain(text), style="dim")
