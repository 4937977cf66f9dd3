// The page: levers -> JSON API -> tables and charts, without reloading.
"use strict";
const $ = (id) => document.getElementById(id);
const pct = (x) => (x === null || x === undefined) ? "—" : `${(100 * x).toFixed(0)}%`;
const yr = (y) => (y === null || y === undefined) ? "—" : String(y);
let uploaded = null;      // text of an uploaded scenario, if any
let lastAssess = null;
let seq = 0;              // only the newest lever change may draw

function levers() {
  const l = {
    deadline: Number($("deadline").value),
    target_share: Number($("target").value),
    drawdown: $("drawdown").value,
    drawdown_end_year: Number($("drawdown_end").value),
    procurement: $("procurement").value,
    us_licences: $("licences").value,
    coordination_stays: $("coordination_stays").checked,
    coordination_withdrawal: Number($("coordination").value),
  };
  if ($("budget").value !== "") l.budget_pct_gdp_2030 = Number($("budget").value);
  const byAlly = {};
  for (const input of document.querySelectorAll("#ally-budgets input")) {
    if (input.value !== "") byAlly[input.dataset.ally] = Number(input.value);
  }
  if (Object.keys(byAlly).length) l.budget_pct_gdp_2030_by_ally = byAlly;
  return l;
}

// one spending input per European ally, today's % of GDP as the placeholder
function allyBudgets(allies) {
  const box = $("ally-budgets");
  if (box.children.length) return;
  box.innerHTML = [...allies].sort((p, q) => p.name.localeCompare(q.name)).map((b) =>
    `<label>${b.name} <input type="number" min="0" max="10" step="0.1" data-ally="${b.ally}" ` +
    `id="budget-${b.ally}" placeholder="${b.defence_pct_gdp.toFixed(2)}"></label>`).join("");
  for (const input of box.querySelectorAll("input")) input.addEventListener("change", () => refresh());
}

function request(extra = {}) {
  const body = { levers: levers(), ...extra };
  if (uploaded) body.yaml = uploaded; else body.scenario = $("scenario").value;
  return body;
}

async function api(path, body, signal) {
  const res = await fetch(path, {
    method: body ? "POST" : "GET",
    headers: body ? { "Content-Type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
    signal,
  });
  const data = await res.json();
  if (!res.ok) {
    const d = Array.isArray(data.detail) ? data.detail[0] : { msg: String(data.detail) };
    const where = d.loc && d.loc.length > 1 ? `${d.loc.slice(1).join(".")}: ` : "";
    throw new Error(d.type === "value_error" ? d.msg : `${where}${d.msg}`);
  }
  return data;
}

function table(headers, rows) {
  const head = headers.map((h) => `<th>${h}</th>`).join("");
  const body = rows.map((r) => "<tr>" + r.map((c) => `<td>${c}</td>`).join("") + "</tr>").join("");
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function showAssess(a) {
  lastAssess = a;
  const met = a.areas.filter((x) => x.share_at_deadline_max_ramp >= x.target - 1e-9).length;
  $("verdict").textContent = `Europe can hold ${pct(a.target_share)} of the requirement by ${a.deadline} in ${met} of ${a.areas.length} areas, even at the fastest feasible ramp.`;
  $("area-table").innerHTML = table(
    ["area", "Europe now", "US now", `${a.deadline} today's rates`, `${a.deadline} fastest ramp`, "held from", "held back by"],
    a.areas.map((x) => [
      x.name + (x.low_confidence ? " *" : ""), pct(x.europe_share_now), pct(Math.min(x.us, 1)),
      pct(x.share_at_deadline_current_rates),
      `<span class="${x.share_at_deadline_max_ramp >= x.target - 1e-9 ? "met" : "miss"}">${pct(x.share_at_deadline_max_ramp)}</span>`,
      yr(x.year_target_max_ramp), x.binding,
    ]),
  );
  allyBudgets(a.allies);
  const allies = [...a.allies].sort((p, q) => q.defence_spending_usd_bn - p.defence_spending_usd_bn);
  $("burden-table").innerHTML = "<h3>Who carries the burden</h3>" + table(
    ["ally", "USD bn", "% GDP", "share of spending", "share of GDP", "ratio"],
    allies.map((b) => [b.name, b.defence_spending_usd_bn.toFixed(1), b.defence_pct_gdp.toFixed(2),
      pct(b.spending_share), pct(b.gdp_share), b.burden_ratio.toFixed(2)]),
  );
  const sel = $("source-area");
  if (!sel.options.length) {
    sel.innerHTML = a.areas.map((x) => `<option value="${x.area}">${x.name}</option>`).join("");
  }
}

function showSimulate(s) {
  const traces = [];
  for (const [area, v] of Object.entries(s.areas)) {
    traces.push({ x: s.years, y: v.europe_share, name: `${area}`, mode: "lines" });
  }
  const target = Object.values(s.areas)[0].target;
  traces.push({ x: s.years, y: s.years.map(() => target), name: "target", line: { dash: "dash", color: "#555" } });
  const total = s.cost_musd.total.reduce((a, b) => a + b, 0);
  const gap = Object.values(s.areas).reduce((a, v) => a + v.deterrence_gap_total, 0);
  $("cost").textContent = `Simulated spending on the modelled systems, ${s.years[0]}–${s.years[s.years.length - 1]}: ${(total / 1000).toFixed(1)} USD bn (constant 2025); deterrence gap ${gap.toFixed(2)} requirement-share-years (${s.run.applied.procurement} procurement).`;
  Plotly.react("chart-shares", traces, {
    title: "Europe's share of the requirement, simulated year by year",
    yaxis: { tickformat: ".0%", range: [0, 1.05] }, height: 420, margin: { t: 50 },
  }, { displaylogo: false, responsive: true });
}

async function refresh() {
  const mine = ++seq;
  $("status").textContent = "updating…";
  try {
    const [a, s] = await Promise.all([api("/api/assess", request()), api("/api/simulate", request())]);
    if (mine !== seq) return;
    showAssess(a);
    showSimulate(s);
    $("status").textContent = "";
    $("upload-error").hidden = true;
  } catch (e) {
    if (mine !== seq) return;
    $("status").textContent = "";
    $("upload-error").textContent = e.message;
    $("upload-error").hidden = false;
  }
}

let job = null;            // the running plan or risk job

async function longRun(kind, extra, render) {
  const started = await api(`/api/jobs/${kind}`, request(extra));
  job = started.id;
  $("cancel").disabled = false;
  $("progress").hidden = false;
  $("progress").value = 0;
  $("status").textContent = `${kind} running…`;
  try {
    for (;;) {
      await new Promise((r) => setTimeout(r, 250));
      const s = await api(`/api/jobs/${started.id}`);
      $("progress").value = s.progress;
      if (s.state === "done") { render(s.result); $("status").textContent = ""; break; }
      if (s.state === "cancelled") { $("status").textContent = "cancelled"; break; }
      if (s.state === "failed") { $("status").textContent = s.error; break; }
    }
  } finally {
    $("cancel").disabled = true;
    $("progress").hidden = true;
    job = null;
  }
}

function showPlan(p) {
  const years = Object.keys(p.areas[0].benchmarks);
  $("plan-view").innerHTML = `<h3>Cheapest ${p.mode} plan (${p.status}): yearly benchmarks</h3>` + table(
    ["area", ...years, "held from"],
    p.areas.map((a) => [a.area, ...years.map((y) => pct(a.benchmarks[y])), yr(a.earliest_year)]),
  ) + "<h3>What binds</h3>" + table(["constraint", "where", "explanation"],
    p.bottlenecks.slice(0, 8).map((b) => [b.constraint, b.where, b.explanation]));
}

function showRisk(r) {
  $("risk-view").innerHTML = `<h3>Chance of holding the target by ${r.deadline} (${r.draws} draws)</h3><div id="risk-chart" class="chart"></div><div id="fan-chart" class="chart"></div>`;
  const fans = [];
  r.areas.forEach((a, i) => {
    const years = Object.keys(a.share_quantiles).map(Number);
    const q = Object.values(a.share_quantiles);
    const axis = i === 0 ? "" : String(i + 1);
    const common = { xaxis: `x${axis}`, yaxis: `y${axis}`, showlegend: false };
    fans.push({ ...common, x: years, y: q.map((v) => v.p90), line: { width: 0 }, hoverinfo: "skip" });
    fans.push({ ...common, x: years, y: q.map((v) => v.p10), fill: "tonexty", line: { width: 0 },
      fillcolor: "rgba(31,78,156,0.25)", name: `${a.area} 10–90 %` });
    fans.push({ ...common, x: years, y: q.map((v) => v.p50), line: { color: "#1f4e9c" }, name: `${a.area} median` });
  });
  const layout = { grid: { rows: 3, columns: 4, pattern: "independent" }, height: 720,
    title: "Europe's share of the requirement: median and 10–90 % band", margin: { t: 50 },
    annotations: r.areas.map((a, i) => ({ text: a.area, showarrow: false, xref: `x${i ? i + 1 : ""} domain`,
      yref: `y${i ? i + 1 : ""} domain`, x: 0.5, y: 1.12 })) };
  r.areas.forEach((_, i) => { layout[`yaxis${i ? i + 1 : ""}`] = { range: [0, 1.05], tickformat: ".0%" }; });
  Plotly.react("fan-chart", fans, layout, { displaylogo: false, responsive: true });
  Plotly.react("risk-chart", [{
    type: "bar", x: r.areas.map((a) => a.area), y: r.areas.map((a) => a.p_target_by_deadline),
    error_y: { type: "data", array: r.areas.map((a) => 1.96 * a.p_se) },
  }], { yaxis: { tickformat: ".0%", range: [0, 1.05] }, height: 360, margin: { t: 20 } },
  { displaylogo: false, responsive: true });
}

async function loadRuns() {
  const runs = await api("/api/runs");
  $("runs").innerHTML = table(["run", "engine", "scenario", "created", "download"],
    runs.map((r) => [
      `<a href="#" data-run="${r.run_id}" class="reopen">${r.run_id}</a>`, r.engine, r.scenario || "",
      r.created_at.slice(0, 19),
      ["html", "csv", "parquet", "yaml"].map((f) => `<a href="/api/runs/${r.run_id}/export?format=${f}">${f}</a>`).join(" "),
    ]));
  const opts = runs.map((r) => `<option value="${r.run_id}">${r.run_id} ${r.engine}</option>`).join("");
  $("cmp-a").innerHTML = opts;
  $("cmp-b").innerHTML = opts;
  for (const a of document.querySelectorAll("a.reopen")) {
    a.addEventListener("click", async (ev) => {
      ev.preventDefault();
      const run = await api(`/api/runs/${a.dataset.run}`);
      const show = { assess: showAssess, simulate: showSimulate, plan: showPlan, risk: showRisk }[run.engine];
      if (show) show(run.result);
      $("status").textContent = `reopened run ${run.run_id}`;
    });
  }
}

async function init() {
  const scenarios = await api("/api/scenarios");
  $("scenario").innerHTML = scenarios.map((s) => `<option value="${s.name}" title="${s.description}">${s.name}</option>`).join("");
  for (const id of ["scenario", "deadline", "target", "drawdown", "drawdown_end", "coordination",
    "coordination_stays", "procurement", "licences", "budget"]) {
    $(id).addEventListener("change", () => {
      if (id === "scenario") { uploaded = null; $("upload").value = ""; }
      refresh();
    });
  }
  $("upload").addEventListener("change", async (ev) => {
    const file = ev.target.files[0];
    if (!file) return;
    const text = await file.text();
    const check = await api("/api/validate", { yaml: text, levers: levers() });
    if (!check.valid) {
      $("upload-error").textContent = check.error.message;
      $("upload-error").hidden = false;
      return;
    }
    uploaded = text;
    refresh();
  });
  // plan and risk runs are kept, so they can be reopened, compared and downloaded
  $("run-plan").addEventListener("click", async () => {
    await longRun("plan", { store: true }, showPlan);
    await loadRuns();
  });
  $("run-risk").addEventListener("click", async () => {
    await longRun("risk", { draws: Number($("draws").value), store: true }, showRisk);
    await loadRuns();
  });
  $("cancel").addEventListener("click", () => job && fetch(`/api/jobs/${job}`, { method: "DELETE" }));
  $("save").addEventListener("click", async () => {
    await api("/api/assess", request({ store: true }));
    await loadRuns();
    $("status").textContent = "saved";
  });
  $("compare").addEventListener("click", async () => {
    const c = await api(`/api/compare?a=${$("cmp-a").value}&b=${$("cmp-b").value}`);
    $("compare-view").innerHTML = table(["area", "share A", "share B", "B − A"],
      c.areas.filter((r) => r.share_at_deadline).map((r) => [r.area, pct(r.share_at_deadline.a),
        pct(r.share_at_deadline.b), `${(100 * (r.share_at_deadline.diff || 0)).toFixed(1)} pts`]));
  });
  $("source-area").addEventListener("change", showSources);
  $("sources-panel").addEventListener("toggle", showSources);
  await refresh();
  await loadRuns();
}

async function showSources() {
  const rows = await api(`/api/sources?area=${$("source-area").value}`);
  $("sources").innerHTML = table(["key", "field", "value", "unit", "year", "confidence", "source"],
    rows.map((r) => [r.key, r.field, r.value, r.unit, r.year, r.confidence, r.source]));
}

init();
