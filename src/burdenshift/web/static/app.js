// The page: levers -> JSON API -> tables and charts, without reloading.
"use strict";
const $ = (id) => document.getElementById(id);
const pct = (x) => (x === null || x === undefined) ? "—" : `${(100 * x).toFixed(0)}%`;
const yr = (y) => (y === null || y === undefined) ? "—" : String(y);
let uploaded = null;      // text of an uploaded scenario, if any
let lastAssess = null;
let lastSimulate = null;
const lastRun = {};       // plan and risk results, each with the levers it ran on
let seq = 0;              // only the newest lever change may draw

function levers() {
  const l = {
    deadline: Number($("deadline").value),
    target_share: Number($("target").value),
    drawdown: $("drawdown").value,
    procurement: $("procurement").value,
    us_licences: $("licences").value,
    coordination_stays: $("coordination_stays").checked,
    coordination_withdrawal: Number($("coordination").value),
  };
  if ($("drawdown_start").value !== "") l.drawdown_start_year = Number($("drawdown_start").value);
  if ($("drawdown_end").value !== "") l.drawdown_end_year = Number($("drawdown_end").value);
  if ($("budget").value !== "") l.budget_pct_gdp_2030 = Number($("budget").value);
  if ($("requirement").value !== "") l.requirement = $("requirement").value;
  if ($("campaign_days").value !== "") l.campaign_days = Number($("campaign_days").value);
  if ($("force_ratio").value !== "") l.force_ratio = Number($("force_ratio").value);
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
    `<label>${esc(b.name)} <input type="number" min="0" max="10" step="0.1" data-ally="${esc(b.ally)}" ` +
    `id="budget-${esc(b.ally)}" placeholder="${b.defence_pct_gdp.toFixed(2)}"></label>`).join("");
  for (const input of box.querySelectorAll("input")) input.addEventListener("change", () => refresh());
}

// the levers start from the settings of the scenario picked or uploaded, so that sending them
// back changes nothing until the analyst moves one
function setLevers(sc) {
  const d = sc.us_drawdown;
  $("deadline").value = sc.deadline;
  $("target").value = sc.target_share;
  $("drawdown").value = d.path;
  $("drawdown_start").value = d.start_year ?? "";
  $("drawdown_end").value = d.end_year ?? "";
  $("coordination_stays").checked = sc.coordination_withdrawal === null;
  if (sc.coordination_withdrawal !== null) $("coordination").value = sc.coordination_withdrawal;
  $("procurement").value = sc.procurement;
  $("licences").value = sc.export.us_licences;
  $("budget").value = sc.budget.pct_gdp["2030"] ?? "";
  $("requirement").value = sc.requirement ?? "";
  $("campaign_days").value = sc.campaign_days ?? "";
  $("force_ratio").value = sc.force_ratio;
  for (const input of document.querySelectorAll("#ally-budgets input")) {
    input.value = (sc.budget.by_ally[input.dataset.ally] || {})["2030"] ?? "";
  }
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

// text from runs, uploads and data files is escaped; markup the page builds itself is wrapped
const esc = (v) => String(v ?? "").replace(/[&<>"']/g,
  (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
const markup = (html) => ({ html });

// a header is its text, or {text, title}: the title (what the column measures) is its tooltip
function table(headers, rows) {
  const cell = (c) => (c !== null && typeof c === "object" && "html" in c) ? c.html : esc(c);
  const th = (h) => (h !== null && typeof h === "object")
    ? `<th title="${esc(h.title)}">${esc(h.text)}</th>` : `<th>${esc(h)}</th>`;
  const head = headers.map(th).join("");
  const body = rows.map((r) => "<tr>" + r.map((c) => `<td>${cell(c)}</td>`).join("") + "</tr>").join("");
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

// what a measure answers, in the payload's own words (without the JSON field names it opens with)
const meaning = (text) => String(text ?? "").replace(/^[\w*]+: /, "");

// numbers in a metric's unit: whole above 10, two significant digits below
const num = (x) => (x === null || x === undefined) ? "—"
  : Math.abs(x) >= 10 ? Math.round(x).toLocaleString("en") : String(Number(x.toPrecision(2)));

// what each engine is and assumes comes with every result (run.engine_label, from one place in
// the package): the page prints it, never its own copy
const labelOf = (p) => (p && p.run && (p.run.engine_label || p.run.engine)) || "";
const tagOf = (p) => labelOf(p).split(": ")[0];
const countsOf = (p) => (p && p.run && (p.run.engine_counts || p.run.engine)) || "";
const engineLine = (p) => `<p class="engine">Engine: ${esc(labelOf(p))}</p>`;
const leversKey = () => JSON.stringify(request());
// money figures are shown in USD bn, each with its label from the cost vocabulary
const bn = (musd) => (musd === null || musd === undefined) ? "—" : `${(musd / 1000).toLocaleString("en", { minimumFractionDigits: 1, maximumFractionDigits: 1 })} USD bn`;

function showAssess(a) {
  lastAssess = a;
  const m = a.measures || {};
  const coverage = meaning(m.coverage);
  const force = meaning(m.force_share);
  const usMade = meaning(m.us_made) || "share of Europe's capability today that is US-made (US spares, software, munitions)";
  const met = a.areas.filter((x) => x.share_at_deadline_max_ramp >= x.target - 1e-9).length;
  $("requirement-used").textContent = `Requirement set: ${a.requirement}. Munition stocks are measured against ${a.campaign_days} days of high-intensity war.`;
  $("verdict").textContent = `${tagOf(a)}: Europe can cover ${pct(a.target_share)} of the requirement by ${a.deadline} in ${met} of ${a.areas.length} areas, even at the fastest feasible ramp.`;
  $("area-table").innerHTML = engineLine(a) + table(
    ["area", { text: "coverage now", title: coverage }, "US now", { text: `coverage ${a.deadline} today's rates`, title: coverage },
      { text: `coverage ${a.deadline} fastest ramp`, title: coverage },
      { text: "share of the allied force now", title: force }, { text: `share of the allied force ${a.deadline}`, title: force },
      { text: "US-made", title: usMade }, "held from", "held back by"],
    a.areas.map((x) => [
      x.name + (x.low_confidence ? " *" : ""), pct(x.europe_share_now), pct(Math.min(x.us, 1)),
      pct(x.share_at_deadline_current_rates),
      markup(`<span class="${x.share_at_deadline_max_ramp >= x.target - 1e-9 ? "met" : "miss"}">${pct(x.share_at_deadline_max_ramp)}</span>`),
      pct(x.force_share_now), pct(x.force_share_at_deadline), pct(x.us_made_share),
      yr(x.year_target_max_ramp), x.binding,
    ]),
  ) + (a.areas.some((x) => x.low_confidence) ? "<p class=\"meta\">* more than half of this area's capability rests on low-confidence or assumed figures.</p>" : "");
  const legend = [["coverage", coverage], ["share of the allied force", force], ["US-made", usMade],
    ["days of war", meaning(m.days_of_war)]];
  $("measures").innerHTML = legend.filter(([, t]) => t).map(([k, t]) => `<dt>${esc(k)}</dt><dd>${esc(t)}</dd>`).join("");
  showDays(a);
  allyBudgets(a.allies);
  const allies = [...a.allies].sort((p, q) => q.defence_spending_usd_bn - p.defence_spending_usd_bn);
  $("burden-table").innerHTML = "<h3>Who carries the burden</h3>" + table(
    ["ally", "USD bn", "% GDP", "share of spending", "share of GDP", "ratio"],
    allies.map((b) => [b.name, b.defence_spending_usd_bn.toFixed(1), b.defence_pct_gdp.toFixed(2),
      pct(b.spending_share), pct(b.gdp_share), b.burden_ratio.toFixed(2)]),
  );
  const sel = $("source-area");
  if (!sel.options.length) {
    sel.innerHTML = a.areas.map((x) => `<option value="${esc(x.area)}">${esc(x.name)}</option>`).join("");
  }
}

// days of war per munition and year (assess: at the fastest ramp) against the campaign asked for
function showDays(a) {
  const days = a.days_of_war || {};
  const ids = Object.keys(days);
  if (!ids.length) { $("days-table").innerHTML = ""; return; }
  const names = Object.fromEntries(a.areas.flatMap((x) => x.metrics.map((mm) => [mm.metric, mm.name || mm.metric])));
  const years = a.years.map(String);
  $("days-table").innerHTML = `<h3>Days of war: how long Europe's munition stocks last (fastest ramp; the requirement asks for ${esc(a.campaign_days)} days)</h3>` + engineLine(a) +
    table(["munition", ...years], ids.map((id) => [names[id] || id, ...years.map((y) => {
      const d = days[id][y];
      if (d === null || d === undefined) return "—";
      return markup(`<span class="${d >= a.campaign_days - 1e-9 ? "met" : "miss"}">${esc(num(d))}</span>`);
    })]));
}

// the race against Russia: stocks in the base and the deadline year, output a year, and when
// Europe's output overtakes Russia's at today's rates and at the fastest ramp
function showRace(r) {
  const first = r.years[0];
  const deadline = r.run.applied.deadline;
  const i0 = 0, id = Math.max(0, r.years.indexOf(deadline));
  const m = r.measures || {};
  if (!r.metrics.length) {
    $("race-table").innerHTML = "<h3>Race against Russia</h3><p class=\"meta\">The data has no estimate of Russia's holdings or output.</p>";
    return;
  }
  const weak = r.metrics.some((x) => x.weak);
  $("race-table").innerHTML = `<h3>Race against Russia (${esc(first)} and ${esc(deadline)})</h3>` + engineLine(r) + table(
    ["metric", "unit", `Europe stock ${first}`, `Russia stock ${first}`, `Europe stock ${deadline}`, `Russia stock ${deadline}`,
      { text: `stock ratio ${deadline}`, title: meaning(m.stock_ratio) },
      `Europe output a year ${deadline}, today's rates`, `Europe output a year ${deadline}, fastest ramp`, "Russia output a year",
      { text: "Europe out-produces Russia from: today's rates", title: meaning(m.overtakes) },
      { text: "… fastest ramp", title: meaning(m.overtakes) }],
    r.metrics.map((x) => [
      x.weak ? markup(`<span class="weak">${esc(x.name)} *</span>`) : x.name, x.unit,
      num(x.europe_stock[i0]), num(x.russia_stock[i0]), num(x.europe_stock[id]), num(x.russia_stock[id]),
      x.stock_ratio[id] === null ? "—" : `${x.stock_ratio[id].toFixed(2)}×`,
      num(x.europe_output[id]), num(x.europe_output_max_ramp[id]), num(x.russia_output),
      yr(x.overtakes), yr(x.overtakes_max_ramp),
    ]),
  ) + `<p class="meta">${weak ? "* Russia's figures for this metric are low-confidence or assumptions. " : ""}—: not within the horizon. ${esc(r.scope)}</p>`;
}

const areaName = (id) => (lastAssess && lastAssess.areas.find((x) => x.area === id)?.name) || id;

// one small chart per area on a shared grid; traces(id) gives the area's lines, shapes(n) marks
function areaGrid(el, ids, title, traces, shapes = () => []) {
  const rows = Math.ceil(ids.length / 4);
  const data = [];
  const layout = {
    grid: { rows, columns: 4, pattern: "independent" }, height: 120 + 210 * rows,
    title: { text: title, font: { size: 14 } }, margin: { t: 80, b: 70 },
    legend: { orientation: "h", x: 0, y: 0, yanchor: "bottom", yref: "container" }, annotations: [], shapes: [],
  };
  ids.forEach((id, i) => {
    const n = i ? String(i + 1) : "";
    for (const t of traces(id)) {
      data.push({ mode: "lines", ...t, xaxis: `x${n}`, yaxis: `y${n}`, legendgroup: t.name, showlegend: i === 0 && t.name !== undefined });
    }
    layout[`yaxis${n}`] = { range: [0, 1.05], tickformat: ".0%" };
    layout.annotations.push({ text: areaName(id), showarrow: false, xref: `x${n} domain`,
      yref: `y${n} domain`, x: 0.5, y: 1.13, font: { size: 12 } });
    layout.shapes.push(...shapes(n));
  });
  Plotly.react(el, data, layout, { displaylogo: false, responsive: true });
}

function showSimulate(s) {
  lastSimulate = s;
  const deadline = s.run.applied.deadline;
  areaGrid("chart-shares", Object.keys(s.areas),
    `${tagOf(s)}: Europe's share of the requirement by area, year by year, with the US contribution on its drawdown path`,
    (id) => {
      const v = s.areas[id];
      return [
        { x: s.years, y: v.europe_share, name: "Europe", line: { color: "#1f4e9c" } },
        { x: s.years, y: v.us_share, name: "US contribution", line: { color: "#888", dash: "dot" } },
        { x: s.years, y: s.years.map(() => v.target), name: "target", line: { color: "#222", dash: "dash", width: 1 } },
      ];
    },
    (n) => [{ type: "line", xref: `x${n}`, yref: `y${n} domain`, x0: deadline, x1: deadline, y0: 0,
      y1: 1, line: { color: "#b22222", width: 1, dash: "dot" } }]);
  const total = s.cost_musd.total.reduce((a, b) => a + b, 0);
  const gap = Object.values(s.areas).reduce((a, v) => a + v.deterrence_gap_total, 0);
  const capital = s.cost_musd.capacity.reduce((a, b) => a + b, 0);
  $("cost").textContent = `${labelOf(s)}. On the modelled systems, ${s.years[0]}–${s.years[s.years.length - 1]}: spending ${bn(total)} (constant 2025, undiscounted; of which capital for new capacity ${bn(capital)}); deterrence gap ${gap.toFixed(2)} requirement-share-years (${s.run.applied.procurement} procurement). Red dotted line: the deadline, ${deadline}. ${s.policy}`;
}

// the engines side by side for the levers now set: each area's share at the deadline from
// assess, simulate and (when run on these levers) plan and risk, and where they part by more
// than a few points, why, in each engine's own words
const APART = 0.05;
function showEngines() {
  if (!lastAssess || !lastSimulate) return;
  const key = leversKey();
  const deadline = lastAssess.deadline;
  const cols = [
    [lastAssess, (id) => lastAssess.areas.find((x) => x.area === id)?.share_at_deadline_max_ramp],
    [lastSimulate, (id) => {
      const i = lastSimulate.years.indexOf(lastSimulate.run.applied.deadline);
      const v = lastSimulate.areas[id];
      return v && i >= 0 ? v.europe_share[i] : undefined;
    }],
  ];
  const plan = lastRun.plan && lastRun.plan.key === key ? lastRun.plan.result : null;
  const risk = lastRun.risk && lastRun.risk.key === key ? lastRun.risk.result : null;
  if (plan) cols.push([plan, (id) => plan.areas.find((x) => x.area === id)?.benchmarks[String(deadline)]]);
  if (risk) cols.push([risk, (id) => risk.areas.find((x) => x.area === id)?.share_at_deadline_quantiles.p50]);
  const ids = lastAssess.areas.map((x) => x.area);
  const apart = {};   // "hi,lo" -> areas where the highest engine i and the lowest j part
  const rows = ids.map((id) => {
    const v = cols.map(([, get]) => get(id));
    const known = v.map((x, i) => [x, i]).filter(([x]) => x !== undefined && x !== null);
    const hi = known.reduce((m, e) => (e[0] > m[0] ? e : m), known[0]);
    const lo = known.reduce((m, e) => (e[0] < m[0] ? e : m), known[0]);
    const far = known.length > 1 && hi[0] - lo[0] > APART;
    if (far) (apart[`${hi[1]},${lo[1]}`] = apart[`${hi[1]},${lo[1]}`] || []).push(`${areaName(id)} ${pct(hi[0])} vs ${pct(lo[0])}`);
    return [areaName(id), ...v.map((x, i) => far && (i === hi[1] || i === lo[1]) ? markup(`<span class="apart">${pct(x)}</span>`) : pct(x))];
  });
  // one sentence per pair of engines that part: the higher one's way of counting, then the lower's
  const why = Object.entries(apart).map(([k, areas]) => {
    const [i, j] = k.split(",").map(Number);
    return `<li><b>${esc(tagOf(cols[i][0]))} above ${esc(tagOf(cols[j][0]))}</b> in ${esc(areas.join("; "))}: ${esc(countsOf(cols[i][0]))}; ${esc(countsOf(cols[j][0]))}.</li>`;
  }).join("");
  $("engines-table").innerHTML = `<h3>The engines side by side: share of the requirement in ${esc(deadline)}, same levers</h3>` +
    table(["area", ...cols.map(([p]) => ({ text: tagOf(p), title: labelOf(p) }))], rows) +
    `<ul class="engines">${cols.map(([p]) => `<li>${esc(labelOf(p))}</li>`).join("")}</ul>` +
    (why ? `<p class="meta">Where the highest and the lowest part by more than ${(100 * APART).toFixed(0)} points (highlighted), and why:</p><ul class="why">${why}</ul>` : "") +
    (plan && risk ? "" : `<p class="meta">Run ${[plan ? "" : "plan", risk ? "" : "risk"].filter(Boolean).join(" or ")} to add ${plan || risk ? "it" : "them"} for these levers.</p>`);
}

async function refresh() {
  const mine = ++seq;
  $("status").textContent = "updating…";
  try {
    const [a, s, r] = await Promise.all([api("/api/assess", request()), api("/api/simulate", request()),
      api("/api/threat", request())]);
    if (mine !== seq) return;
    showAssess(a);
    showSimulate(s);
    showRace(r);
    showEngines();
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
  let started;
  const key = leversKey();
  const shown0 = render;
  render = (result) => { lastRun[kind] = { key, result }; shown0(result); showEngines(); };
  try {
    started = await api(`/api/jobs/${kind}`, request(extra));
  } catch (e) {
    $("status").textContent = e.message;  // bad input, or the server is busy (try again later)
    return;
  }
  job = started.id;
  $("cancel").disabled = false;
  $("progress").hidden = false;
  $("progress").value = 0;
  // a full server queues the job: say so until a worker takes it
  const shown = (state) => `${kind} ${state === "queued" ? "waiting for a free worker" : "running"}…`;
  $("status").textContent = shown(started.state);
  try {
    for (;;) {
      await new Promise((r) => setTimeout(r, 250));
      const s = await api(`/api/jobs/${started.id}`);
      $("progress").value = s.progress;
      if (s.state === "queued" || s.state === "running") $("status").textContent = shown(s.state);
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

// a plan's money in the cost vocabulary: the payload's `money` block when it has one (labels and
// meanings from the package), else the two figures every plan reports
function planMoney(p) {
  const m = p.money;
  if (m && m.terms) {
    return table(["term", "USD bn", "meaning"], Object.entries(m.terms).map(([k, t]) => {
      const [label, ...meaning] = t.split(": ");
      return [label, m[k] === null ? "—" : m[k].toLocaleString("en", { minimumFractionDigits: 1, maximumFractionDigits: 1 }), meaning.join(": ")];
    }));
  }
  return `<p class="meta">discounted cost ${esc(bn(p.objective.cost_musd))} (the plan's objective, discounted at the data's rate); spending ${esc(bn(p.cost_musd.total))} (undiscounted, constant 2025).</p>`;
}

function showPlan(p) {
  const years = Object.keys(p.areas[0].benchmarks);
  $("plan-view").innerHTML = `<h3>${esc(tagOf(p))}: the cheapest ${esc(p.mode)} plan (${esc(p.status)}), yearly benchmarks</h3>` + engineLine(p) + table(
    ["area", ...years, "held from"],
    p.areas.map((a) => [areaName(a.area) + (a.low_confidence ? " *" : ""), ...years.map((y) => pct(a.benchmarks[y])), yr(a.earliest_year)]),
  ) + "<h3>Money</h3>" + planMoney(p) + "<h3>What binds</h3><div class=\"text\">" + table(["constraint", "where", "explanation"],
    p.bottlenecks.slice(0, 8).map((b) => [b.constraint, b.where, b.explanation])) + "</div>";
}

function showRisk(r) {
  const c = r.cost_musd_quantiles || {};
  $("risk-view").innerHTML = `<h3>${esc(tagOf(r))}: chance of holding the target by ${esc(r.deadline)} (${esc(r.draws)} draws; * rests mostly on low-confidence or assumed figures)</h3>` + engineLine(r) +
    `<p class="meta">spending over the horizon (undiscounted, constant 2025): p10 ${esc(bn(c.p10))}, median ${esc(bn(c.p50))}, p90 ${esc(bn(c.p90))}.</p><div id="risk-chart" class="chart"></div><div id="fan-chart" class="chart"></div>`;
  const byArea = Object.fromEntries(r.areas.map((a) => [a.area, a]));
  areaGrid("fan-chart", Object.keys(byArea), `${tagOf(r)}: Europe's share of the requirement, median and 10–90 % band`, (id) => {
    const q = Object.values(byArea[id].share_quantiles);
    const years = Object.keys(byArea[id].share_quantiles).map(Number);
    return [
      { x: years, y: q.map((v) => v.p90), line: { width: 0 }, hoverinfo: "skip" },
      { x: years, y: q.map((v) => v.p10), fill: "tonexty", line: { width: 0 }, fillcolor: "rgba(31,78,156,0.25)", name: "10–90 % band" },
      { x: years, y: q.map((v) => v.p50), line: { color: "#1f4e9c" }, name: "median" },
    ];
  });
  Plotly.react("risk-chart", [{
    type: "bar", x: r.areas.map((a) => areaName(a.area) + (a.low_confidence ? " *" : "")), y: r.areas.map((a) => a.p_target_by_deadline),
    error_y: { type: "data", array: r.areas.map((a) => 1.96 * a.p_se) },
  }], { title: { text: `${tagOf(r)}: probability of holding the target in ${r.deadline}`, font: { size: 14 } }, yaxis: { tickformat: ".0%", range: [0, 1.05] }, height: 380, margin: { t: 50 } },
  { displaylogo: false, responsive: true });
}

async function loadRuns() {
  const runs = await api("/api/runs");
  $("runs").innerHTML = table(["run", "engine", "scenario", "created", "download"],
    runs.map((r) => [
      markup(`<a href="#" data-run="${esc(r.run_id)}" class="reopen">${esc(r.run_id)}</a>`), r.engine, r.scenario || "",
      r.created_at.slice(0, 19),
      markup(["html", "csv", "parquet", "yaml"].map((f) => `<a href="/api/runs/${encodeURIComponent(r.run_id)}/export?format=${f}">${f}</a>`).join(" ")),
    ]));
  const opts = runs.map((r) => `<option value="${esc(r.run_id)}">${esc(r.run_id)} ${esc(r.engine)}</option>`).join("");
  $("cmp-a").innerHTML = opts;
  $("cmp-b").innerHTML = opts;
  for (const a of document.querySelectorAll("a.reopen")) {
    a.addEventListener("click", async (ev) => {
      ev.preventDefault();
      const run = await api(`/api/runs/${encodeURIComponent(a.dataset.run)}`);
      const show = { assess: showAssess, simulate: showSimulate, plan: showPlan, risk: showRisk }[run.engine];
      if (show) show(run.result);
      $("status").textContent = `reopened run ${run.run_id}`;
    });
  }
}

async function init() {
  const sets = await api("/api/requirements");
  const dflt = sets.sets.find((x) => x.id === sets.default);
  $("requirement").innerHTML = `<option value="" title="${esc(dflt ? dflt.name : sets.default)}">the scenario's own (data default: ${esc(sets.default)})</option>` +
    sets.sets.map((x) => `<option value="${esc(x.id)}" title="${esc(x.name)}">${esc(x.name)}</option>`).join("");
  const scenarios = await api("/api/scenarios");
  $("scenario").innerHTML = scenarios.map((s) => `<option value="${esc(s.name)}" title="${esc(s.description)}">${esc(s.name)}</option>`).join("");
  for (const id of ["scenario", "deadline", "target", "drawdown", "drawdown_start", "drawdown_end", "coordination",
    "coordination_stays", "procurement", "licences", "budget", "requirement", "campaign_days", "force_ratio"]) {
    $(id).addEventListener("change", async () => {
      if (id === "scenario") {
        uploaded = null;
        $("upload").value = "";
        setLevers((await api(`/api/scenarios/${encodeURIComponent($("scenario").value)}`)).scenario);
      }
      refresh();
    });
  }
  $("upload").addEventListener("change", async (ev) => {
    const file = ev.target.files[0];
    if (!file) return;
    const text = await file.text();
    const check = await api("/api/validate", { yaml: text });
    if (!check.valid) {
      $("upload-error").textContent = check.error.message;
      $("upload-error").hidden = false;
      return;
    }
    setLevers(check.scenario);
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
  // what the page shows: the assessment and the simulation (whose deterrence gap compares)
  $("save").addEventListener("click", async () => {
    await api("/api/assess", request({ store: true }));
    await api("/api/simulate", request({ store: true }));
    await loadRuns();
    $("status").textContent = "saved";
  });
  $("compare").addEventListener("click", async () => {
    const c = await api(`/api/compare?a=${encodeURIComponent($("cmp-a").value)}&b=${encodeURIComponent($("cmp-b").value)}`);
    const num = (v, d = 2) => (v === null || v === undefined) ? "—" : v.toFixed(d);
    const gap = c.gap.a !== null && c.gap.b !== null;
    $("compare-view").innerHTML = table(
      ["area", `share A (${c.a.deadline})`, `share B (${c.b.deadline})`, "B − A", ...(gap ? ["gap A", "gap B", "gap B − A"] : [])],
      c.areas.filter((r) => r.share_at_deadline).map((r) => [areaName(r.area), pct(r.share_at_deadline.a),
        pct(r.share_at_deadline.b), `${(100 * (r.share_at_deadline.diff || 0)).toFixed(1)} pts`,
        ...(gap ? [num(r.gap.a), num(r.gap.b), num(r.gap.diff)] : [])]),
    ) + (gap ? `<p class="meta">Deterrence gap over the horizon, requirement-years: A ${num(c.gap.a)}, B ${num(c.gap.b)}, B − A ${num(c.gap.diff)}.</p>` : "") +
    `<p class="engine">A: ${esc(c.a.engine_label || c.a.engine)}</p><p class="engine">B: ${esc(c.b.engine_label || c.b.engine)}</p>` +
    Object.entries((c.money || {}).terms || {}).map(([k, t]) => {
      const v = c.money[k];
      const f = (x, sign = false) => (x === null || x === undefined) ? "—" : `${sign && x >= 0 ? "+" : ""}${x.toLocaleString("en", { minimumFractionDigits: 1, maximumFractionDigits: 1 })} USD bn`;
      const [label, ...meaning] = t.split(": ");
      return `<p class="meta money"><b>${esc(label)}</b>: A ${esc(f(v.a))}, B ${esc(f(v.b))}, B − A ${esc(f(v.diff, true))} <span class="meaning">(${esc(meaning.join(": "))})</span></p>`;
    }).join("");
  });
  $("source-area").addEventListener("change", showSources);
  $("sources-panel").addEventListener("toggle", showSources);
  setLevers((await api(`/api/scenarios/${encodeURIComponent($("scenario").value)}`)).scenario);
  await refresh();
  await loadRuns();
}

// a source's URLs as links (the text escaped first, so the links are the only markup)
const linked = (text) => String(text ?? "").split(/(https?:\/\/[^\s;,<>"')]+)/g)
  .map((part, i) => (i % 2
    ? `<a href="${esc(part)}" rel="noopener noreferrer" target="_blank">${esc(part)}</a>`
    : esc(part))).join("");

// the figures to check first: those whose range moves the area's share most (one at a time)
async function showWeakest(area) {
  $("weakest").innerHTML = "<p class=\"meta\">Ranking the figures by how far their ranges move the share…</p>";
  const w = await api("/api/weakest", request({ area, top: 10 }));
  const range = (r) => `${num(r.low)}–${num(r.high)}`;
  const pts = (x) => `${(100 * x).toFixed(1)} pts`;
  $("weakest").innerHTML = `<h3>Check these first: the figures whose range moves ${esc(areaName(area))}'s share in ${w.deadline} most</h3>`
    + "<div class=\"text checks\">" + table(
      ["#", "figure", "value", "range", "confidence", { text: "swing", title: "share at the high end less share at the low end" }, "share low → high", "source"],
      w.figures.map((r, i) => [i + 1, `${r.table} ${r.key} · ${r.field}`, num(r.value), range(r), r.confidence,
        pts(r.swing), `${pct(r.share_at_low)} → ${pct(r.share_at_high)}`, { html: linked(r.source) }]))
    + `</div><p class="meta">Engine: ${esc(w.run.engine_label || "weakest")}. ${esc(w.method)}.</p>`;
}

async function showSources() {
  if (!$("sources-panel").open) return;
  const area = $("source-area").value;
  showWeakest(area).catch((e) => { $("weakest").innerHTML = `<p class="error">${esc(e.message)}</p>`; });
  const rows = await api(`/api/sources?area=${encodeURIComponent(area)}`);
  const range = (r) => (r.low === null || r.low === undefined) ? "" : `${r.low}–${r.high}`;
  const source = (r) => ({html: linked(r.source) + (r.note
    ? `<details class="note"><summary>note</summary>${linked(r.note)}</details>` : "")});
  $("sources").innerHTML = "<div class=\"text sources\">" + table(
    ["figure", "value", "range", "unit", "year", "confidence", "source and note"],
    rows.map((r) => [`${r.key} · ${r.field}`, r.value, range(r), r.unit, r.year, r.confidence,
      source(r)])) + "</div>";
}

init();
