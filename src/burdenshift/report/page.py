"""One self-contained HTML page (plotly.js inlined once, no network fetches), a Markdown twin,
and PNG copies of the charts."""

from __future__ import annotations

import html
import os
import re
from pathlib import Path
from typing import Any

import yaml

from burdenshift.errors import InputError
from burdenshift.report import charts
from burdenshift.report.measures import compare

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;max-width:1200px;
color:#222;padding:0 1rem}h1{font-size:1.6rem}h2{border-bottom:1px solid #ccc;padding-bottom:.2rem}
table{border-collapse:collapse;margin:1rem 0;font-size:.9rem}td,th{border:1px solid #ddd;
padding:.25rem .5rem;text-align:right}td:first-child,th:first-child{text-align:left}
.verdict{font-size:1.1rem;background:#f3f6fb;border-left:4px solid #1f4e9c;padding:.6rem 1rem}
.meta{color:#666;font-size:.85rem}details{margin:1rem 0}.chart{margin:1rem 0}
"""


def headline(engine: str, p: dict[str, Any]) -> str:
    if engine == "assess":
        met = sum(a["share_at_deadline_max_ramp"] >= a["target"] - 1e-9 for a in p["areas"])
        missed = [
            a["name"] for a in p["areas"] if a["share_at_deadline_max_ramp"] < a["target"] - 1e-9
        ]
        text = (
            f"Europe can hold {p['target_share']:.0%} of the requirement by {p['deadline']} in "
            f"{met} of {len(p['areas'])} capability areas, even at the fastest feasible ramp."
        )
        return text + (f" Not in: {', '.join(missed)}." if missed else "")
    if engine == "simulate":
        gap = sum(v["deterrence_gap_total"] for v in p["areas"].values())
        return (
            f"Under the simulated policy, the deterrence gap sums to {gap:.2f} "
            f"requirement-share-years over {p['years'][0]}–{p['years'][-1]}. " + p.get("policy", "")
        )
    if engine == "plan":
        late = [a["area"] for a in p["areas"] if a["earliest_year"] is None]
        return (
            f"The cheapest {p['mode']} plan ({p['status']}) leaves a shortfall of "
            f"{p['objective']['shortfall']:.3f} requirement-share-years at a discounted cost "
            f"of {p['objective']['cost_musd'] / 1000:.1f} USD bn."
            + (
                f" No plan reaches the target within the horizon in: {', '.join(late)}."
                if late
                else ""
            )
        )
    if engine == "risk":
        sure = [a["area"] for a in p["areas"] if a["p_target_by_deadline"] >= 0.9]
        return (
            f"Across {p['draws']:,} draws, Europe holds the target by {p['deadline']} with "
            f"probability 90 % or more in {len(sure)} of {len(p['areas'])} areas."
        )
    top = p["ranking"][:3]
    return (
        "The levers that matter most: "
        + ", ".join(f"{r['parameter']} (ST up to {r['max_ST']:.2f})" for r in top)
        + "."
    )


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_fmt(c))}</td>" for c in r) + "</tr>" for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _fmt(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.3f}" if abs(v) < 10 else f"{v:,.1f}"
    return str(v)


def tables(engine: str, p: dict[str, Any]) -> list[tuple[str, list[str], list[list[Any]]]]:
    if engine == "assess":
        return [
            (
                "Per area",
                [
                    "area",
                    "Europe now",
                    "US now",
                    f"{p['deadline']} today's rates",
                    f"{p['deadline']} fastest ramp",
                    "held from (rates)",
                    "held from (ramp)",
                    "held back by",
                    "weak figures",
                ],
                [
                    [
                        a["name"],
                        a["europe_share_now"],
                        a["us"],
                        a["share_at_deadline_current_rates"],
                        a["share_at_deadline_max_ramp"],
                        a["year_target_current_rates"],
                        a["year_target_max_ramp"],
                        a["binding"],
                        a["weak_share"],
                    ]
                    for a in p["areas"]
                ],
            ),
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
                        b["defence_spending_usd_bn"],
                        b["defence_pct_gdp"],
                        b["spending_share"],
                        b["gdp_share"],
                        b["burden_ratio"],
                    ]
                    for b in sorted(p["allies"], key=lambda b: -b["defence_spending_usd_bn"])
                ],
            ),
        ]
    if engine == "plan":
        return [
            (
                "Earliest year under the plan",
                ["area", "earliest year"],
                [[a["area"], a["earliest_year"]] for a in p["areas"]],
            ),
            (
                "Bottlenecks",
                ["constraint", "where", "dual", "unit", "explanation"],
                [
                    [b["constraint"], b["where"], b["dual"], b["unit"], b["explanation"]]
                    for b in p["bottlenecks"]
                ],
            ),
        ]
    if engine == "risk":
        return [
            (
                "Probabilities",
                ["area", "P(target)", "s.e.", "held from p50", "gap p50"],
                [
                    [
                        a["area"],
                        a["p_target_by_deadline"],
                        a["p_se"],
                        a["year_target_quantiles"]["p50"],
                        a["gap_quantiles"]["p50"],
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
    return [
        (
            "Deterrence gap",
            ["area", "gap (requirement-share-years)", "target held from"],
            [[a, v["deterrence_gap_total"], v["year_target"]] for a, v in p["areas"].items()],
        )
    ]


def figures(engine: str, payload: dict[str, Any]) -> list[tuple[str, Any]]:
    return [make(payload) for make in charts.CHARTS.get(engine, [])]


def render_runs(
    runs: list[dict[str, Any]], sources: list[dict[str, Any]] | None
) -> tuple[str, str, list[tuple[str, Any]]]:
    """HTML, Markdown and the figures for stored runs (each: run row + 'result' payload)."""
    from plotly.offline import get_plotlyjs

    parts, md, figs = [], ["# burdenshift report", ""], []
    for run in runs:
        engine, p = run["engine"], run["result"]
        parts.append(f"<h2>{html.escape(engine)} — {html.escape(run['scenario'] or '')}</h2>")
        parts.append(
            f"<p class='meta'>run {run['run_id']} · version {run['version']} · data "
            f"{run['data_hash']} · seed {run['seed']} · {run['created_at'][:19]} UTC</p>"
        )
        verdict = headline(engine, p)
        parts.append(f"<p class='verdict'>{html.escape(verdict)}</p>")
        md += [
            f"## {engine} — {run['scenario']}",
            "",
            f"run {run['run_id']}, data {run['data_hash']}",
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
        for title, headers, rows in tables(engine, p):
            parts.append(f"<h3>{html.escape(title)}</h3>" + _table(headers, rows))
            md += [
                f"### {title}",
                "",
                "| " + " | ".join(headers) + " |",
                "|" + "---|" * len(headers),
            ]
            md += ["| " + " | ".join(_fmt(c) for c in r) + " |" for r in rows]
            md.append("")
        scen = yaml.safe_dump(
            run.get("applied") or p.get("run", {}).get("applied", {}), sort_keys=False
        )
        parts.append(
            "<details><summary>Assumptions: the scenario as applied</summary>"
            f"<pre>{html.escape(scen)}</pre></details>"
        )
        if "scope" in p:
            parts.append(f"<p class='meta'>{html.escape(p['scope'])}</p>")
    if sources:
        rows = [
            [
                s["table"],
                s["key"],
                s["field"],
                s["value"],
                s["unit"],
                s["year"],
                s["confidence"],
                s["source"],
            ]
            for s in sources
        ]
        parts.append(
            "<details><summary>Data sources: every figure</summary>"
            + _table(
                ["table", "key", "field", "value", "unit", "year", "confidence", "source"], rows
            )
            + "</details>"
        )
    page = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>burdenshift report"
        f"</title><style>{CSS}</style><script>{get_plotlyjs()}</script></head><body>"
        "<h1>burdenshift: can Europe carry the majority of NATO's conventional defence?</h1>"
        + "".join(parts)
        + "</body></html>"
    )
    return page, "\n".join(md) + "\n", figs


def render_compare(run_a: dict[str, Any], run_b: dict[str, Any]) -> tuple[dict[str, Any], str]:
    from plotly.offline import get_plotlyjs

    cmp = compare(run_a, run_b)
    title, fig = charts.compare_bars(cmp)
    rows = []
    for r in cmp["areas"]:
        cells = [r["area"]]
        for key in ("share_at_deadline", "earliest_year", "probability", "gap"):
            v = r.get(key, {})
            cells += [v.get("a"), v.get("b"), v.get("diff")]
        rows.append(cells)
    headers = ["area"] + [
        f"{k} {s}" for k in ("share", "year", "P", "gap") for s in ("A", "B", "B−A")
    ]
    c, g = cmp["cost_musd"], cmp["gap"]
    body = (
        f"<h2>{html.escape(title)}: A = {html.escape(str(cmp['a']['scenario']))} "
        f"({cmp['a']['engine']}, run {cmp['a']['run_id']}), B = "
        f"{html.escape(str(cmp['b']['scenario']))} ({cmp['b']['engine']}, run {cmp['b']['run_id']})"
        f"</h2><p class='verdict'>Cost: A {_fmt(c['a'])}, B {_fmt(c['b'])}, B−A {_fmt(c['diff'])} "
        f"USD m. Deterrence gap: A {_fmt(g['a'])}, B {_fmt(g['b'])}, B−A {_fmt(g['diff'])} "
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


def write_pngs(figs: list[tuple[str, Any]], folder: Path) -> list[Path]:
    """PNG copies through kaleido, which drives a local Chromium (Debian's, where present)."""
    if Path("/usr/bin/chromium").exists():
        os.environ.setdefault("BROWSER_PATH", "/usr/bin/chromium")
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name, fig in figs:
        path = folder / (re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-").lower() + ".png")
        try:
            fig.write_image(str(path), width=1200, height=max(500, int(fig.layout.height or 500)))
        except Exception as exc:  # kaleido could not start a browser
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise InputError(
                f"PNG export failed ({reason})",
                field="--png",
                fix="install a Chromium (Debian: apt-get install chromium) or leave out --png",
            ) from None
        out.append(path)
    return out
