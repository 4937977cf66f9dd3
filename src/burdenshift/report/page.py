"""One self-contained HTML page (plotly.js inlined once, no network fetches), a Markdown twin,
and PNG copies of the charts."""

from __future__ import annotations

import html
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from burdenshift.domain.names import area_name
from burdenshift.engine.runinfo import engine_label, engine_tag, label_of
from burdenshift.errors import InputError
from burdenshift.output import COSTS, URL, money_text, num_text, range_text
from burdenshift.percent import against
from burdenshift.report import charts
from burdenshift.report.measures import compare

CSS = """
nav.toc{background:#f6f7f9;border:1px solid #ddd;padding:.5rem 1rem;margin:1rem 0}
nav.toc ol{margin:.3rem 0}
details.method{margin:1rem 0}details.method p{margin:.3rem 0;max-width:60rem}
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;max-width:1200px;
color:#222;padding:0 1rem}h1{font-size:1.6rem}h2{border-bottom:1px solid #ccc;padding-bottom:.2rem}
table{border-collapse:collapse;margin:1rem 0;font-size:.9rem}td,th{border:1px solid #ddd;
padding:.25rem .5rem;text-align:right}td:first-child,th:first-child{text-align:left}
.verdict{font-size:1.1rem;background:#f3f6fb;border-left:4px solid #1f4e9c;padding:.6rem 1rem}
.meta{color:#666;font-size:.85rem}details{margin:1rem 0}.chart{margin:1rem 0}
.requirement{color:#1f4e9c;font-weight:600}dl.measures{font-size:.85rem;color:#444;display:grid;
grid-template-columns:max-content 1fr;gap:.15rem .8rem}dl.measures dt{font-weight:600}
dl.measures dd{margin:0}.engine{color:#1f4e9c;font-size:.9rem;margin:.2rem 0}
caption{caption-side:top;text-align:left;color:#555;font-size:.8rem;padding:.2rem 0}
.sources table{table-layout:fixed;width:100%;font-size:.8rem}.sources td{text-align:left;
vertical-align:top;overflow-wrap:anywhere}
"""

FORCE_SHARE = "share of the allied force"
"""Europe's share of the allied force, E / (E + U), in the words every table heads it with."""

WEAK_RACE = "* Russia's figures for this metric are low-confidence or assumptions."


def requirement_of(p: dict[str, Any]) -> str:
    """The requirement set a run measured against, in words ("" for runs made before runs
    named it)."""
    return str(p.get("requirement") or p.get("run", {}).get("requirement") or "")


def meaning(text: str) -> str:
    """A measure's meaning without the JSON field names it opens with ("force_share_*: …")."""
    return re.sub(r"^[\w*]+: ", "", text)


def legend(engine: str, p: dict[str, Any]) -> list[tuple[str, str]]:
    """What each measure a run's tables show answers, in the payload's own words."""
    m = p.get("measures") or {}
    if engine == "threat":
        names = {"stock_ratio": "stock ratio", "overtakes": "out-produces from"}
    elif engine in ("assess", "simulate"):
        names = {"coverage": "coverage", "force_share": FORCE_SHARE, "days_of_war": "days of war"}
        if engine == "assess":
            names["us_made"] = "US-made"
    else:
        return []
    out = [(word, meaning(m[key])) for key, word in names.items() if m.get(key)]
    if engine == "assess" and "us_made" not in m:
        out.append(("US-made", "share of Europe's capability today that is US-made."))
    return out


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x:.0%}"


def _pct1(x: float | None) -> str:
    return "—" if x is None else f"{x:.1%}"


def _count(x: float | None) -> str:
    """A number in a metric's unit: whole from 10 up, two significant digits below."""
    if x is None:
        return "—"
    return f"{x:,.0f}" if abs(x) >= 10 else f"{x:.2g}"


def _at(values: Any, years: list[int], year: int) -> Any:
    """A per-year value from a list over `years` or a {year: value} mapping (JSON keys are
    strings)."""
    if isinstance(values, dict):
        return values.get(str(year), values.get(year))  # type: ignore[call-overload]
    return values[years.index(year)] if year in years else None


def _deadline(p: dict[str, Any]) -> int:
    return int(p.get("deadline") or p["run"]["applied"]["deadline"])


def days_table(
    p: dict[str, Any], names: dict[str, str], note: str
) -> tuple[str, list[str], list[list[Any]]] | None:
    """Days of war per munition and year, against the campaign the requirement asks for."""
    days = p.get("days_of_war") or {}
    if not days:
        return None
    years = [int(y) for y in p["years"]]
    asked = p.get("campaign_days") or p.get("run", {}).get("applied", {}).get("campaign_days")
    title = f"Days of war: how long Europe's munition stocks last ({note}"
    title += f"; the requirement asks for {asked:g} days)" if asked else ")"
    rows = [[names.get(m, m), *(_count(_at(v, years, y)) for y in years)] for m, v in days.items()]
    return title, ["munition", *map(str, years)], rows


def race_table(p: dict[str, Any]) -> tuple[str, list[str], list[list[Any]]]:
    """Per metric with a Russian estimate: stocks in the base and the deadline year, output a
    year, and the year Europe out-produces Russia at today's rates and at the fastest ramp."""
    years = [int(y) for y in p["years"]]
    first, dl = years[0], _deadline(p)
    if dl not in years:
        dl = years[-1]
    i0, i = 0, years.index(dl)
    rows = []
    for m in p["metrics"]:
        ratio = m["stock_ratio"][i]
        rows.append(
            [
                m["name"] + (" *" if m["weak"] else ""),
                m["unit"],
                _count(m["europe_stock"][i0]),
                _count(m["russia_stock"][i0]),
                _count(m["europe_stock"][i]),
                _count(m["russia_stock"][i]),
                "—" if ratio is None else f"{ratio:.2f}×",
                _count(m["europe_output"][i]),
                _count(m["europe_output_max_ramp"][i]),
                _count(m["russia_output"]),
                _count(m["russia_use"]),
                m["overtakes"],
                m["overtakes_max_ramp"],
            ]
        )
    headers = [
        "metric",
        "unit",
        f"Europe stock {first}",
        f"Russia stock {first}",
        f"Europe stock {dl}",
        f"Russia stock {dl}",
        f"stock ratio {dl}",
        f"Europe output a year {dl}, today's rates",
        f"Europe output a year {dl}, fastest ramp",
        "Russia output a year",
        "Russia's war use a year",
        "Europe out-produces Russia from (today's rates)",
        "… (fastest ramp)",
    ]
    return f"Race against Russia ({first} and {dl})", headers, rows


def headline(engine: str, p: dict[str, Any]) -> str:
    """The run's verdict in one sentence, opened by its engine: "assess (a ceiling): …"."""
    text = _verdict(engine, p)
    if not text.startswith(("Europe", "No ")):
        text = text[0].lower() + text[1:]
    return f"{engine_tag(engine)}: {text}"


def _verdict(engine: str, p: dict[str, Any]) -> str:
    if engine == "threat":
        dl = _deadline(p)
        years = [int(y) for y in p["years"]]
        n = len(p["metrics"])
        if not n:
            return "The data has no estimate of Russia's holdings or output."
        fast = sum(
            m["overtakes_max_ramp"] is not None and m["overtakes_max_ramp"] <= dl
            for m in p["metrics"]
        )
        i = years.index(dl) if dl in years else len(years) - 1
        more = sum((m["stock_ratio"][i] or 0) >= 1 for m in p["metrics"])
        return (
            f"Of {n} metrics with an estimate of Russia's forces, Europe out-produces Russia by "
            f"{dl} in {fast} even at the fastest ramp, and holds a larger stock in {dl} in "
            f"{more}."
        )
    if engine == "assess":
        met = sum(a["share_at_deadline_max_ramp"] >= a["target"] - 1e-9 for a in p["areas"])
        missed = [
            a["name"] for a in p["areas"] if a["share_at_deadline_max_ramp"] < a["target"] - 1e-9
        ]
        against = f" {p['requirement']}" if p.get("requirement") else ""
        text = (
            f"Europe can cover {p['target_share']:.0%} of the requirement{against} by "
            f"{p['deadline']} in {met} of {len(p['areas'])} capability areas, even at the fastest "
            "feasible ramp."
        )
        return text + (f" Not in: {', '.join(missed)}." if missed else "")
    if engine == "simulate":
        gap = sum(v["deterrence_gap_total"] for v in p["areas"].values())
        spent = money_text("spending", sum(p["cost_musd"]["total"]))
        return (
            f"Under the simulated policy, the deterrence gap sums to {gap:.2f} "
            f"requirement-share-years over {p['years'][0]}–{p['years'][-1]}, for {spent}. "
            + p.get("policy", "")
        )
    if engine == "plan":
        late = [area_name(a["area"]) for a in p["areas"] if a["earliest_year"] is None]
        return (
            f"The cheapest {p['mode']} plan ({p['status']}) leaves a shortfall of "
            f"{p['objective']['shortfall']:.3f} requirement-share-years, at "
            f"{money_text('discounted_cost', p['objective']['cost_musd'])} "
            f"({money_text('spending', p['cost_musd']['total'])})."
            + (
                f" No plan reaches the target within the horizon in: {', '.join(late)}."
                if late
                else ""
            )
        )
    if engine == "risk":
        sure = [area_name(a["area"]) for a in p["areas"] if a["p_target_by_deadline"] >= 0.9]
        c = p.get("cost_musd_quantiles") or {}
        spent = f", for a median {money_text('spending', c['p50'])}" if c.get("p50") else ""
        return (
            f"Across {p['draws']:,} draws, Europe holds the target by {p['deadline']} with "
            f"probability 90 % or more in {len(sure)} of {len(p['areas'])} areas{spent}"
            + (f" ({', '.join(sure)})." if sure else ".")
        )
    top = p["ranking"][:3]
    return (
        "The levers that matter most: "
        + ", ".join(f"{r['parameter']} (ST up to {r['max_ST']:.2f})" for r in top)
        + "."
    )


class Html(str):
    """A table cell that is markup already (escaped where it came from user text)."""


def linked(text: str) -> str:
    """Escaped text with its URLs as links."""
    parts = URL.split(text)
    return "".join(
        f"<a href='{html.escape(p, quote=True)}' rel='noopener noreferrer'>{html.escape(p)}</a>"
        if i % 2
        else html.escape(p)
        for i, p in enumerate(parts)
    )


def _cell(c: Any) -> str:
    return str(c) if isinstance(c, Html) else html.escape(_fmt(c))


def _table(headers: list[str], rows: list[list[Any]], caption: str = "") -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{_cell(c)}</td>" for c in r) + "</tr>" for r in rows)
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _fmt(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.3f}" if abs(v) < 10 else f"{v:,.1f}"
    return str(v)


def tables(
    engine: str, p: dict[str, Any], names: dict[str, str] | None = None
) -> list[tuple[str, list[str], list[list[Any]]]]:
    """(title, headers, rows) of a run's tables; `names`: metric names by id, where the
    payload does not carry them."""
    names = names or {}
    if engine == "threat":
        return [race_table(p)] if p["metrics"] else []
    if engine == "assess":
        dl = p["deadline"]
        names = names | {
            m["metric"]: m.get("name", m["metric"]) for a in p["areas"] for m in a["metrics"]
        }
        days = days_table(p, names, "at the fastest ramp")
        return [
            (
                "Per area: coverage beside the share of the allied force",
                [
                    "area",
                    "coverage now",
                    f"{FORCE_SHARE} now",
                    "US now",
                    f"coverage {dl} today's rates",
                    f"coverage {dl} fastest ramp",
                    f"{FORCE_SHARE} {dl}",
                    "US-made",
                    "held from (rates)",
                    "held from (ramp)",
                    "held back by",
                    "weak figures",
                ],
                [
                    [
                        a["name"],
                        _pct(a["europe_share_now"]),
                        _pct(a.get("force_share_now")),
                        _pct(min(a["us"], 1.0)),
                        against(a["share_at_deadline_current_rates"], a["target"]),
                        against(a["share_at_deadline_max_ramp"], a["target"]),
                        _pct(a.get("force_share_at_deadline")),
                        _pct(a.get("us_made_share")),
                        a["year_target_current_rates"],
                        a["year_target_max_ramp"],
                        a["binding"],
                        _pct(a["weak_share"]),
                    ]
                    for a in p["areas"]
                ],
            ),
            *([days] if days else []),
            (
                "Per ally",
                [
                    "ally",
                    "defence USD bn",
                    "% GDP",
                    "share of spending",
                    "share of GDP",
                    "burden ratio",
                ],
                [
                    [
                        b["name"],
                        f"{b['defence_spending_usd_bn']:,.1f}",
                        f"{b['defence_pct_gdp']:.2f}",
                        _pct(b["spending_share"]),
                        _pct(b["gdp_share"]),
                        f"{b['burden_ratio']:.2f}",
                    ]
                    for b in sorted(p["allies"], key=lambda b: -b["defence_spending_usd_bn"])
                ],
            ),
        ]
    if engine == "simulate" and (money := money_table(p)):
        return [money]
    if engine == "plan":
        return [
            *([money] if (money := money_table(p)) else []),
            (
                "Earliest year under the plan",
                ["area", "earliest year"],
                [[area_name(a["area"]), a["earliest_year"]] for a in p["areas"]],
            ),
            (
                "Bottlenecks, largest effect first (effect: the shortfall a 10 % relaxation "
                "lifts, requirement-share-years)",
                ["effect", "constraint", "where", "dual", "unit", "explanation"],
                [
                    [
                        f"{b['impact']:.3g}",
                        b["constraint"],
                        b["where"],
                        b["dual"],
                        b["unit"],
                        b["explanation"],
                    ]
                    for b in sorted(p["bottlenecks"], key=lambda b: -b.get("impact", 0.0))
                ],
            ),
        ]
    if engine == "risk":
        return [
            (
                "Probabilities",
                ["area", "P(target)", "s.e.", "P, data as stated", "held from p50", "gap p50"],
                [
                    [
                        area_name(a["area"]),
                        _pct1(a["p_target_by_deadline"]),
                        _pct1(a["p_se"]),
                        _pct1(a.get("p_target_policy_only")),
                        a["year_target_quantiles"]["p50"],
                        f"{a['gap_quantiles']['p50']:.2f}",
                    ]
                    for a in p["areas"]
                ],
            )
        ]
    if engine == "sensitivity":
        return [
            (
                "Ranking",
                ["parameter", "largest total index"],
                [[r["parameter"], r["max_ST"]] for r in p["ranking"]],
            )
        ]
    dl = _deadline(p)
    years = [int(y) for y in p["years"]]
    days = days_table(p, names, "the simulated policy")
    return [
        (
            "Deterrence gap, with coverage beside the share of the allied force",
            [
                "area",
                "gap (requirement-share-years)",
                "target held from",
                f"coverage {dl}",
                f"{FORCE_SHARE} {dl}",
            ],
            [
                [
                    area_name(a),
                    f"{v['deterrence_gap_total']:.2f}",
                    v["year_target"],
                    _pct(_at(v["europe_share"], years, dl)),
                    _pct(_at(v["force_share"], years, dl)) if "force_share" in v else None,
                ]
                for a, v in p["areas"].items()
            ],
        ),
        *([days] if days else []),
    ]


def money_table(p: dict[str, Any]) -> tuple[str, list[str], list[list[Any]]] | None:
    """A plan's money in the cost vocabulary: each term, its figure in USD bn and what it
    means (the split between industries where the payload or `plan_money` gave it)."""
    money = p.get("money") or {}
    if "objective" not in p:  # simulate: every term is in its money block
        if not money:
            return None
        values = {
            t: money[f"{t}_usd_bn"] * 1000 for t in COSTS if money.get(f"{t}_usd_bn") is not None
        }
        rows = [[COSTS[t][0], f"{v / 1000:,.1f}", COSTS[t][1]] for t, v in values.items()]
        return "Money (USD bn, constant 2025)", ["term", "USD bn", "meaning"], rows
    values = {
        "spending": p["cost_musd"]["total"],
        "discounted_cost": p["objective"]["cost_musd"],
    } | {
        t: money[f"{t}_usd_bn"] * 1000
        for t in COSTS
        if money.get(f"{t}_usd_bn") is not None and t not in ("spending", "discounted_cost")
    }
    rows = [[COSTS[t][0], f"{v / 1000:,.1f}", COSTS[t][1]] for t, v in values.items()]
    return "Money (USD bn, constant 2025)", ["term", "USD bn", "meaning"], rows


def figures(engine: str, payload: dict[str, Any]) -> list[tuple[str, Any]]:
    """The run's charts, each title opened by the engine that made it."""
    out = []
    for make in charts.CHARTS.get(engine, []):
        title, fig = make(payload)
        text = fig.layout.title.text or title
        fig.update_layout(title={"text": f"{engine_tag(engine)}: {text}"})
        out.append((title, fig))
    return out


def race_run(payload: dict[str, Any]) -> dict[str, Any]:
    """A race payload (`burdenshift threat --json`, POST /api/threat) as a report takes a run:
    the race is computed in milliseconds and not kept in the store."""
    from datetime import UTC, datetime

    info = payload.get("run", {})
    return {
        "run_id": "not stored",
        "engine": "threat",
        "scenario": info.get("scenario"),
        "version": info.get("version"),
        "data_hash": info.get("data_hash"),
        "seed": info.get("seed"),
        "created_at": datetime.now(UTC).isoformat(),
        "applied": info.get("applied"),
        "result": payload,
    }


def requirement_line(runs: list[dict[str, Any]]) -> str:
    """The requirement set(s) the runs measured against, for the page's header."""
    used: dict[str, list[str]] = {}
    for run in runs:
        req = requirement_of(run["result"])
        if req:
            used.setdefault(req, []).append(str(run["run_id"]))
    if not used:
        return ""
    if len(used) == 1:
        return f"Requirement set: {next(iter(used))}"
    return "Requirement sets: " + "; ".join(
        f"{req} (runs {', '.join(ids)})" for req, ids in used.items()
    )


def _legend_html(engine: str, p: dict[str, Any]) -> str:
    out = ""
    if engine == "threat" and any(m["weak"] for m in p["metrics"]):
        out += f"<p class='meta'>{html.escape(WEAK_RACE)}</p>"
    meanings = legend(engine, p)
    if meanings:
        out += (
            "<dl class='measures'>"
            + "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in meanings)
            + "</dl>"
        )
    return out


def _legend_md(engine: str, p: dict[str, Any]) -> list[str]:
    out = []
    if engine == "threat" and any(m["weak"] for m in p["metrics"]):
        out += [WEAK_RACE, ""]
    meanings = legend(engine, p)
    if meanings:
        out += [f"- **{k}**: {v}" for k, v in meanings] + [""]
    return out


def metric_names(runs: list[dict[str, Any]]) -> dict[str, str]:
    """Metric ids to names from the runs that carry them (assess, the race), for tables of the
    runs that do not (simulate's days of war)."""
    names: dict[str, str] = {}
    for run in runs:
        p = run["result"]
        if run["engine"] == "assess":
            for a in p.get("areas", []):
                names.update({m["metric"]: m["name"] for m in a.get("metrics", []) if "name" in m})
        elif run["engine"] == "threat":
            names.update({m["metric"]: m["name"] for m in p.get("metrics", [])})
    return names


METHOD_MD = [
    "## Method in brief",
    "",
    "- Coverage: Europe's capability ready for war as a share of what defending Europe "
    "requires (the requirement set named with each run), capped at 100 %; the headline. Force "
    "share, Europe ÷ (Europe + the US contribution), rises when the US leaves and is never the "
    "headline.",
    "- Engines: assess is a ceiling (every line's output bought, at today's rates or the "
    "fastest ramp); simulate follows a stated buying rule year by year; plan is the cheapest "
    "phased plan an optimiser (linopy + HiGHS) finds; risk runs the buying rule over many draws "
    "of the uncertain levers and of the data within their ranges; sensitivity ranks what "
    "matters (Sobol indices).",
    "- Every figure has a source (publisher, title, date, where it was read) and a confidence; "
    "every low-confidence or assumed figure has a range, and areas resting mostly on them are "
    "flagged *. docs/method.md explains what is counted and why.",
]
"""The method in a few lines, at the top of every report."""


def weakest_section(w: dict[str, Any]) -> tuple[str, list[str]]:
    """HTML and Markdown of the figures to check first (`data_draws.weakest_payload`)."""
    title = f"Figures to check first: those whose range moves a share in {w['deadline']} most"
    headers = ["#", "figure", "value", "range", "confidence", "area", "swing", "source"]
    rows = [
        [
            i,
            f"{r['table']} {r['key']} · {r['field']}",
            num_text(r["value"]),
            range_text(r),
            r["confidence"],
            r.get("area_name", r["area"]),
            f"{100 * r['swing']:.1f} pts",
            Html(linked(r["source"])),
        ]
        for i, r in enumerate(w["figures"], start=1)
    ]
    label = engine_label("weakest")
    html_part = (
        f"<h2>{html.escape(title)}</h2>"
        + _table(headers, rows, f"Engine: {label}")
        + f"<p class='meta'>{html.escape(w['method'])}.</p>"
    )
    md = [f"## {title}", "", f"*Engine: {label}*", "", "| " + " | ".join(headers) + " |"]
    md.append("|" + "---|" * len(headers))
    md += [
        "| " + " | ".join(_fmt(c) for c in [*r[:-1], w["figures"][r[0] - 1]["source"]]) + " |"
        for r in rows
    ]
    return html_part, [*md, "", f"{w['method']}.", ""]


def render_runs(
    runs: list[dict[str, Any]],
    sources: list[dict[str, Any]] | None,
    race: dict[str, Any] | None = None,
    weakest: dict[str, Any] | None = None,
) -> tuple[str, str, list[tuple[str, Any]]]:
    """HTML, Markdown and the figures for stored runs (each: run row + 'result' payload), the
    race against Russia when its payload is given (see `race_run`), and the figures to check
    first (`weakest`, a `data_draws.weakest_payload`)."""
    from plotly.offline import get_plotlyjs

    if race is not None:
        runs = [*runs, race_run(race)]
    parts, md, figs = [], ["# burdenshift report", "", *METHOD_MD, ""], []
    toc: list[tuple[str, str]] = []
    used = requirement_line(runs)
    names = metric_names(runs)
    if used:
        md += [f"**{used}**", ""]
    for run in runs:
        engine, p = run["engine"], run["result"]
        if engine == "plan" and "money" not in p:
            p = {**p, "money": _plan_money(run)}
        label = label_of(p, engine)
        anchor = f"run-{len(toc) + 1}"
        heading = f"{engine} — {run['scenario'] or ''}"
        toc.append((anchor, heading))
        parts.append(f"<h2 id='{anchor}'>{html.escape(heading)}</h2>")
        parts.append(f"<p class='engine'>Engine: {html.escape(label)}</p>")
        parts.append(
            f"<p class='meta'>run {html.escape(str(run['run_id']))} · version {run['version']} · "
            f"data {run['data_hash']} · "
            + (f"seed {run['seed']} · " if run.get("seed") is not None else "no random draws · ")
            + f"{run['created_at'][:19]} UTC</p>"
        )
        req = requirement_of(p)
        if req:
            parts.append(f"<p class='meta requirement'>Requirement set: {html.escape(req)}</p>")
        verdict = headline(engine, p)
        parts.append(f"<p class='verdict'>{html.escape(verdict)}</p>")
        md += [
            f"## {engine} — {run['scenario']}",
            "",
            f"*Engine: {label}*",
            "",
            f"run {run['run_id']}, data {run['data_hash']}"
            + (f", requirement set {req}" if req else ""),
            "",
            f"**{verdict}**",
            "",
        ]
        for title, fig in figures(engine, p):
            figs.append((f"{run['run_id']}-{title}", fig))
            div = fig.to_html(
                full_html=False,
                include_plotlyjs=False,
                config={"displaylogo": False, "responsive": True},
            )
            parts.append(f"<div class='chart'>{div}</div>")
        for i, (title, headers, rows) in enumerate(tables(engine, p, names)):
            parts.append(
                f"<h3>{html.escape(title)}</h3>" + _table(headers, rows, f"Engine: {label}")
            )
            md += [
                f"### {title}",
                "",
                f"*Engine: {label}*",
                "",
                "| " + " | ".join(headers) + " |",
                "|" + "---|" * len(headers),
            ]
            md += ["| " + " | ".join(_fmt(c) for c in r) + " |" for r in rows]
            md.append("")
            if i == 0:
                # what the first table's measures answer, right below it
                parts.append(_legend_html(engine, p))
                md += _legend_md(engine, p)
        scen = yaml.safe_dump(
            run.get("applied") or p.get("run", {}).get("applied", {}), sort_keys=False
        )
        parts.append(
            "<details><summary>Assumptions: the scenario as applied</summary>"
            f"<pre>{html.escape(scen)}</pre></details>"
        )
        if "scope" in p:
            parts.append(f"<p class='meta'>{html.escape(p['scope'])}</p>")
    if weakest is not None and weakest["figures"]:
        part, lines = weakest_section(weakest)
        toc.append(("weakest", "Figures to check first"))
        parts.append(part.replace("<h2>", "<h2 id='weakest'>", 1))
        md += lines
    if sources:
        rows = [
            [
                s["table"],
                f"{s['key']} · {s['field']}",
                num_text(s["value"]),
                range_text(s),
                s["unit"],
                s["year"],
                s["confidence"],
                Html(linked(s["source"])),
                Html(linked(s.get("note") or "")),
            ]
            for s in sources
        ]
        toc.append(("sources", "Data sources"))
        parts.append(
            "<details id='sources'><summary>Data sources: every figure, with its range, source "
            "and note</summary><div class='sources'>"
            + _table(
                [
                    "table",
                    "figure",
                    "value",
                    "range",
                    "unit",
                    "year",
                    "confidence",
                    "source",
                    "note",
                ],
                rows,
            )
            + "</div></details>"
        )
    page = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>burdenshift report"
        f"</title><style>{CSS}</style><script>{get_plotlyjs()}</script></head><body>"
        "<h1>burdenshift: can Europe carry the majority of NATO's conventional defence?</h1>"
        + (f"<p class='requirement'>{html.escape(used)}</p>" if used else "")
        + "<nav class='toc'><b>Contents</b><ol>"
        + "".join(f"<li><a href='#{a}'>{html.escape(t)}</a></li>" for a, t in toc)
        + "</ol></nav>"
        + "<details class='method' open><summary>Method in brief</summary>"
        + "".join(f"<p>{html.escape(line.removeprefix('- '))}</p>" for line in METHOD_MD[2:])
        + "</details>"
        + "".join(parts)
        + "</body></html>"
    )
    return page, "\n".join(md) + "\n", figs


_EMBEDDED: list[Any] = []


def _plan_money(run: dict[str, Any]) -> dict[str, Any] | None:
    """A kept plan's split between European and US industry (`output.plan_money`), computed
    on the embedded data with the run's scenario as applied when the run was made on that
    data; None otherwise (the report then shows spending and discounted cost only)."""
    from burdenshift.domain.load import load_world
    from burdenshift.output import plan_money
    from burdenshift.scenario.apply import applied_world
    from burdenshift.scenario.schema import Scenario

    p = run["result"]
    info = p.get("run") or {}
    if not info.get("applied") or "plan" not in p:
        return None
    if not _EMBEDDED:
        _EMBEDDED.append(load_world())
    world = _EMBEDDED[0]
    if info.get("data_hash") != world.data_hash:
        return None
    try:
        sc = Scenario.model_validate(info["applied"])
        return plan_money(p, applied_world(world, sc), sc)
    except (KeyError, ValueError, InputError):
        return None


def render_compare(run_a: dict[str, Any], run_b: dict[str, Any]) -> tuple[dict[str, Any], str]:
    from plotly.offline import get_plotlyjs

    cmp = compare(run_a, run_b)
    title, fig = charts.compare_bars(cmp)
    shown = {
        "share_at_deadline": lambda x, d: _signed_pts(x) if d else _pct(x),
        "earliest_year": lambda x, d: ("—" if x is None else f"{x:+d}") if d else x,
        "probability": lambda x, d: _signed_pts(x) if d else _pct(x),
        "gap": lambda x, d: "—" if x is None else f"{x:+.2f}" if d else f"{x:.2f}",
    }
    rows = []
    for r in cmp["areas"]:
        cells = [area_name(r["area"])]
        for key, fmt in shown.items():
            v = r.get(key, {})
            cells += [fmt(v.get("a"), False), fmt(v.get("b"), False), fmt(v.get("diff"), True)]
        rows.append(cells)
    dl_a, dl_b = cmp["a"].get("deadline"), cmp["b"].get("deadline")
    when = (
        f"at the deadline, {dl_a}"
        if dl_a == dl_b
        else f"at each run's deadline (A {dl_a}, B {dl_b})"
    )
    fig.update_layout(title={"text": f"Share of the requirement {when}"})
    apart = (
        f"<p class='meta'>A is {html.escape(engine_tag(cmp['a']['engine']))} and B "
        f"{html.escape(engine_tag(cmp['b']['engine']))}: the difference mixes the engines and "
        "the levers.</p>"
        if cmp["a"]["engine"] != cmp["b"]["engine"]
        else ""
    )
    headers = ["area"] + [
        f"{k} {s}" for k in ("share", "year", "P", "gap") for s in ("A", "B", "B−A")
    ]
    g = cmp["gap"]
    money = []
    for term in ("spending", "discounted_cost"):
        c = cmp["money"].get(f"{term}_usd_bn")
        if c:
            money.append(
                f"{COSTS[term][0].capitalize()}: A {_bn(c['a'])}, B {_bn(c['b'])}, "
                f"B−A {_bn(c['diff'], sign=True)}."
            )
    engines = "".join(
        f"<p class='engine'>{side.upper()}: {html.escape(cmp[side]['engine_label'])}</p>"
        for side in ("a", "b")
    )
    body = (
        f"<h2>{html.escape(title)}: A = {html.escape(str(cmp['a']['scenario']))} "
        f"({engine_tag(cmp['a']['engine'])}, run {cmp['a']['run_id']}), B = "
        f"{html.escape(str(cmp['b']['scenario']))} ({engine_tag(cmp['b']['engine'])}, run "
        f"{cmp['b']['run_id']}), {html.escape(when)}</h2>{engines}{apart}<p class='verdict'>"
        + html.escape(" ".join(money))
        + f" Deterrence gap: A {_fmt(g['a'])}, B {_fmt(g['b'])}, B−A {_fmt(g['diff'])} "
        "requirement-years.</p>"
        + f"<div class='chart'>{fig.to_html(full_html=False, include_plotlyjs=False)}</div>"
        + _table(headers, rows)
    )
    page = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>burdenshift compare"
        f"</title><style>{CSS}</style><script>{get_plotlyjs()}</script></head><body>{body}"
        "</body></html>"
    )
    return cmp, page


def _signed_pts(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:+.1f} pts"


def _bn(x: float | None, sign: bool = False) -> str:
    """A figure already in USD bn, with its unit."""
    if x is None:
        return "—"
    return f"{x:+,.1f} USD bn" if sign else f"{x:,.1f} USD bn"


def write_pngs(
    figs: list[tuple[str, Any]], folder: Path, progress: Callable[[int], None] | None = None
) -> list[Path]:
    """PNG copies through kaleido, which drives a local Chromium (Debian's, where present);
    `progress(1)` after each chart."""
    if Path("/usr/bin/chromium").exists():
        os.environ.setdefault("BROWSER_PATH", "/usr/bin/chromium")
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name, fig in figs:
        path = folder / (re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-").lower() + ".png")
        try:
            fig.write_image(str(path), width=1200, height=max(500, int(fig.layout.height or 500)))
        except Exception as exc:  # kaleido could not start a browser
            text = str(exc).strip()
            reason = (
                text.splitlines()[0]
                if text
                else f"{type(exc).__name__}: kaleido could not start a Chromium (BROWSER_PATH "
                f"{os.environ.get('BROWSER_PATH', 'unset')}, /usr/bin/chromium "
                f"{'present' if Path('/usr/bin/chromium').exists() else 'missing'})"
            )
            raise InputError(
                f"PNG export failed: {reason}",
                field="--png",
                fix="install a Chromium (Debian: apt-get install chromium) or set BROWSER_PATH to "
                "one, or leave out --png",
            ) from None
        out.append(path)
        if progress is not None:
            progress(1)
    return out
