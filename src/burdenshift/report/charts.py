"""Plotly figures from run payloads. One function per chart; each returns (title, figure)."""

from __future__ import annotations

import math
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from burdenshift.domain.names import area_name
from burdenshift.engine.runinfo import engine_tag

EUROPE, US, TARGET, RAMP = "#1f4e9c", "#b22222", "#555555", "#5a9bd5"


def _grid(areas: list[str], title: str) -> go.Figure:
    """Small multiples, one per area, titled by the area's name."""
    cols = 4
    rows = math.ceil(len(areas) / cols)
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=[area_name(a) for a in areas],
        shared_yaxes=True,
        vertical_spacing=0.09,
        horizontal_spacing=0.04,
    )
    fig.update_layout(
        title=title,
        height=260 * rows,
        margin={"t": 80, "l": 40, "r": 20},
        legend={"orientation": "h", "y": -0.06},
    )
    fig.update_yaxes(range=[0, 1.05], tickformat=".0%")
    return fig


def _cell(i: int) -> dict[str, int]:
    return {"row": i // 4 + 1, "col": i % 4 + 1}


def _line(fig: go.Figure, i: int, x: list[int], y: list[float], name: str, **line: str) -> None:
    """One line in small multiple i, its legend entry shown once for all multiples."""
    fig.add_trace(
        go.Scatter(
            x=x, y=y, name=name, mode="lines", line=line, showlegend=i == 0, legendgroup=name
        ),
        **_cell(i),
    )


def assess_paths(p: dict[str, Any]) -> tuple[str, go.Figure]:
    areas = list(p["paths"])
    fig = _grid(
        areas,
        "Europe's share of the requirement: today's rates and fastest ramp, "
        "against the target and the US contribution on its drawdown path",
    )
    years = p["years"]
    target = {a["area"]: a["target"] for a in p["areas"]}
    for i, area in enumerate(areas):
        v = p["paths"][area]
        _line(fig, i, years, v["current_rates"], "Europe, today's rates", color=EUROPE)
        _line(fig, i, years, v["max_ramp"], "Europe, fastest ramp", color=RAMP, dash="dot")
        _line(fig, i, years, v["us"], "US contribution", color=US)
        _line(fig, i, years, [target[area]] * len(years), "target", color=TARGET, dash="dash")
    return "Shares over time", fig


def assess_bars(p: dict[str, Any]) -> tuple[str, go.Figure]:
    names = [a["name"] for a in p["areas"]]
    fig = go.Figure()
    fig.add_bar(
        x=names,
        y=[a["europe_share_now"] for a in p["areas"]],
        name="Europe today",
        marker_color=EUROPE,
    )
    fig.add_bar(
        x=names,
        y=[a["share_at_deadline_current_rates"] for a in p["areas"]],
        name=f"{p['deadline']}, today's rates",
        marker_color="#7f9fcf",
    )
    fig.add_bar(
        x=names,
        y=[a["share_at_deadline_max_ramp"] for a in p["areas"]],
        name=f"{p['deadline']}, fastest ramp",
        marker_color=RAMP,
    )
    fig.add_hline(
        y=p["target_share"], line_dash="dash", line_color=TARGET, annotation_text="target"
    )
    fig.update_layout(
        barmode="group",
        title=f"Europe's share of the requirement by area, now and in {p['deadline']}",
        yaxis={"tickformat": ".0%", "range": [0, 1.05]},
    )
    return "Per-area verdict", fig


def burden(p: dict[str, Any]) -> tuple[str, go.Figure]:
    allies = sorted(p["allies"], key=lambda b: -b["defence_spending_usd_bn"])
    fig = go.Figure()
    fig.add_bar(
        x=[b["ally"] for b in allies],
        y=[b["defence_spending_usd_bn"] for b in allies],
        name="defence spending",
        marker_color=EUROPE,
    )
    fig.add_bar(
        x=[b["ally"] for b in allies],
        y=[b["gdp_proportional_usd_bn"] for b in allies],
        name="GDP-proportional share of Europe's total",
        marker_color="#c0c0c0",
    )
    fig.update_layout(
        barmode="group",
        title="Defence spending against a GDP-proportional share, USD bn",
        yaxis={"title": "USD bn"},
    )
    return "Who carries the burden", fig


def simulate_paths(p: dict[str, Any]) -> tuple[str, go.Figure]:
    areas = list(p["areas"])
    fig = _grid(
        areas,
        "Simulated European share of the requirement against the target, with "
        "the US contribution on its drawdown path",
    )
    years = p["years"]
    for i, area in enumerate(areas):
        v = p["areas"][area]
        _line(fig, i, years, v["europe_share"], "Europe", color=EUROPE)
        _line(fig, i, years, v["us_share"], "US contribution", color=US)
        _line(fig, i, years, v["gap"], "deterrence gap", color="#e69f00", dash="dot")
        _line(fig, i, years, [v["target"]] * len(years), "target", color=TARGET, dash="dash")
    return "Shares over time", fig


def plan_benchmarks(p: dict[str, Any]) -> tuple[str, go.Figure]:
    """One small multiple per area: the plan's yearly benchmark against the target."""
    areas = [a["area"] for a in p["areas"]]
    fig = _grid(areas, f"Yearly benchmarks of the cheapest plan ({p['mode']} procurement)")
    applied = (p.get("run") or {}).get("applied") or {}
    by_area = applied.get("target_share_by_area") or {}
    for i, a in enumerate(p["areas"]):
        years = [int(y) for y in a["benchmarks"]]
        target = by_area.get(a["area"], applied.get("target_share", 0.5))
        _line(fig, i, years, list(a["benchmarks"].values()), "benchmark", color=EUROPE)
        _line(fig, i, years, [target] * len(years), "target", color=TARGET, dash="dash")
    return "Plan benchmarks", fig


def risk_bars(p: dict[str, Any]) -> tuple[str, go.Figure]:
    areas = [area_name(a["area"]) for a in p["areas"]]
    probability = [a["p_target_by_deadline"] for a in p["areas"]]
    fig = go.Figure(
        go.Bar(
            x=areas,
            y=probability,
            marker_color=EUROPE,
            # a label on every bar, so P = 0 reads as 0 % rather than as a missing bar
            text=[f"{v:.0%}" for v in probability],
            textposition="outside",
            cliponaxis=False,
            error_y={"type": "data", "array": [1.96 * a["p_se"] for a in p["areas"]]},
        )
    )
    fig.update_layout(
        title=f"Probability that Europe holds the target in {p['deadline']} "
        f"({p['draws']:,} draws, 95 % intervals)",
        yaxis={"tickformat": ".0%", "range": [0, 1.05]},
    )
    return "Probabilities", fig


def risk_fans(p: dict[str, Any]) -> tuple[str, go.Figure]:
    areas = [a["area"] for a in p["areas"]]
    fig = _grid(areas, "Europe's share of the requirement: median and 10–90 % band")
    for i, a in enumerate(p["areas"]):
        years = [int(y) for y in a["share_quantiles"]]
        q = list(a["share_quantiles"].values())
        first = i == 0
        fig.add_trace(
            go.Scatter(
                x=years,
                y=[v["p90"] for v in q],
                mode="lines",
                line={"width": 0},
                showlegend=False,
                hoverinfo="skip",
            ),
            **_cell(i),
        )
        fig.add_trace(
            go.Scatter(
                x=years,
                y=[v["p10"] for v in q],
                fill="tonexty",
                mode="lines",
                fillcolor="rgba(31,78,156,0.25)",
                line={"width": 0},
                name="10–90 %",
                showlegend=first,
                legendgroup="band",
            ),
            **_cell(i),
        )
        _line(fig, i, years, [v["p50"] for v in q], "median", color=EUROPE)
    return "Fan charts", fig


def sobol_bars(p: dict[str, Any]) -> tuple[str, go.Figure]:
    rows = p["outputs"]["deterrence_gap"]
    fig = go.Figure()
    fig.add_bar(
        x=[r["parameter"] for r in rows],
        y=[r["ST"] for r in rows],
        name="total (ST)",
        error_y={"type": "data", "array": [r["ST_conf"] for r in rows]},
        marker_color=EUROPE,
    )
    fig.add_bar(
        x=[r["parameter"] for r in rows],
        y=[r["S1"] for r in rows],
        name="first order (S1)",
        error_y={"type": "data", "array": [r["S1_conf"] for r in rows]},
        marker_color=RAMP,
    )
    fig.update_layout(
        barmode="group",
        title="Sobol indices of the deterrence gap: which levers matter",
        yaxis={"range": [0, 1.05]},
    )
    return "Sensitivity", fig


CHARTS = {
    "assess": [assess_bars, assess_paths, burden],
    "simulate": [simulate_paths],
    "plan": [plan_benchmarks],
    "risk": [risk_bars, risk_fans],
    "sensitivity": [sobol_bars],
}


def compare_bars(cmp: dict[str, Any]) -> tuple[str, go.Figure]:
    rows = [r for r in cmp["areas"] if "share_at_deadline" in r]
    fig = go.Figure()
    for side, color in (("a", "#999999"), ("b", EUROPE)):
        fig.add_bar(
            x=[area_name(r["area"]) for r in rows],
            y=[r["share_at_deadline"][side] for r in rows],
            name=f"{cmp[side]['scenario']} ({engine_tag(cmp[side]['engine'])})",
            marker_color=color,
        )
    fig.update_layout(
        barmode="group",
        title="Share of the requirement at the deadline",
        yaxis={"tickformat": ".0%", "range": [0, 1.05]},
    )
    return "Comparison", fig
