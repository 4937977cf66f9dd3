// The page: levers -> JSON API -> tables and charts, without reloading.
"use strict";
const $ = (id) => document.getElementById(id);
const pct = (x) => (x === null || x === undefined) ? "—" : `${(100 * x).toFixed(0)}%`;
// a share beside its verdict: a miss never rounds up to the target (burdenshift/percent.py)
const against = (x, target) => {
  if (!(x < target - 1e-9)) return pct(x);
  for (let d = 0; d <= 4; d++) {
    const f = 10 ** d;
    if (Math.round(100 * f * x) < Math.round(100 * f * target)) return `${(100 * x).toFixed(d)}%`;
  }
  return `${(100 * x).toFixed(4)}%`;
};
const yr = (y) => (y === null || y === undefined) ? "—" : String(y);
let uploaded = null;      // text of an uploaded scenario, if any
let lastAssess = null;
let lastSimulate = null;
const lastRun = {};       // plan and risk results, each with the levers it ran on
let seq = 0;              // only the newest lever change may draw
let onScreen = null;      // the last engine run shown: {kind: "levers", body, key} or {kind, runId}
const savedRuns = {};     // levers key -> the assess and simulate runs saved for them
const runDetails = {};    // run id -> its stored record (applied scenario), fetched once

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

// each lever as the API names it, and the input that sets it
const LEVER_INPUTS = {
  deadline: "deadline", target_share: "target", drawdown: "drawdown", drawdown_start_year: "drawdown_start",
  drawdown_end_year: "drawdown_end", coordination_withdrawal: "coordination", coordination_stays: "coordination_stays",
  procurement: "procurement", us_licences: "licences", budget_pct_gdp_2030: "budget", requirement: "requirement",
  campaign_days: "campaign_days", force_ratio: "force_ratio",
};
const ALLY = "ally.";     // a per-ally budget in a link: ally.DEU=3.5
const allyInput = (ally) => document.querySelector(`#ally-budgets input[data-ally="${CSS.escape(String(ally))}"]`);

// the input an error's location names (["body", "levers", "target_share"]), if it names one
function leverInput(loc) {
  if (!Array.isArray(loc) || loc[0] !== "body" || loc[1] !== "levers" || loc.length < 3) return null;
  if (loc[2] === "budget_pct_gdp_2030_by_ally") return loc.length > 3 ? allyInput(loc[3]) : null;
  return Object.hasOwn(LEVER_INPUTS, loc[2]) ? $(LEVER_INPUTS[loc[2]]) : null;
}

// the input behind an error on the levers as a whole: a per-ally budget outside its input's range,
// or a phased step-back that ends before it starts
function culprit(err) {
  if (!Array.isArray(err.loc) || err.loc.join(".") !== "body.levers") return null;
  const ally = [...document.querySelectorAll("#ally-budgets input")].find((el) => el.value !== "" && !el.validity.valid);
  if (ally) return ally;
  return /end_year .* before start_year/.test(err.message) ? $("drawdown_end") : null;
}

// an error's message without the field it opens with (the mark on the input names it)
const bare = (message) => String(message).replace(/^field '[^']*': /, "");

function clearMarks() {
  for (const el of document.querySelectorAll("#levers .invalid")) {
    el.classList.remove("invalid");
    el.removeAttribute("aria-invalid");
    el.removeAttribute("aria-describedby");
  }
  for (const el of document.querySelectorAll("#levers .lever-error")) el.remove();
  $("lever-error").hidden = true;
}

// results no longer follow the levers: greyed, under a banner, until a valid run replaces them
function stale(on) {
  $("results").classList.toggle("stale", on);
  $("stale-banner").hidden = !on;
}

// a refused lever: the input marked, its message beside it, the results greyed
function markInvalid(err) {
  clearMarks();
  const input = leverInput(err.loc) || culprit(err);
  if (input) {
    const note = document.createElement("span");
    note.className = "lever-error";
    note.id = `${input.id}-error`;
    note.setAttribute("role", "alert");
    note.textContent = bare(err.message);
    input.classList.add("invalid");
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", note.id);
    input.insertAdjacentElement("afterend", note);
    if (input.closest("#by-ally")) $("by-ally").open = true;
  } else {
    $("lever-error").textContent = bare(err.message);
    $("lever-error").hidden = false;
  }
  stale(true);
}

// the page's state in its address: the scenario and every lever set, so a link reproduces the view
function writeUrl(body) {
  const q = new URLSearchParams();
  if (body.scenario) q.set("scenario", body.scenario);
  for (const [k, v] of Object.entries(body.levers)) {
    if (k === "budget_pct_gdp_2030_by_ally") {
      for (const [ally, x] of Object.entries(v)) q.set(ALLY + ally, String(x));
    } else {
      q.set(k, String(v));
    }
  }
  history.replaceState(history.state, "", `${location.pathname}?${q}`);
  $("share-note").hidden = !body.yaml;
}

// a link's levers: each known key whose value its input can hold is set (as a value, never run);
// the others are listed as ignored
function readUrl(q) {
  const ignored = [];
  const set = [];   // [key, input, value before, value from the link]
  for (const [k, v] of q) {
    if (k === "scenario") continue;
    const shown = `${k.slice(0, 40)}=${v.slice(0, 40)}`;
    const input = k.startsWith(ALLY) ? allyInput(k.slice(ALLY.length))
      : Object.hasOwn(LEVER_INPUTS, k) ? $(LEVER_INPUTS[k]) : null;
    if (!input) { ignored.push(`${shown} (not a lever)`); continue; }
    if (set.some(([, el]) => el === input)) { ignored.push(`${shown} (given twice)`); continue; }
    if (input.type === "checkbox") {
      if (v !== "true" && v !== "false") { ignored.push(`${shown} (not true or false)`); continue; }
      set.push([k, input, input.checked, v]);
      input.checked = v === "true";
    } else if (input.tagName === "SELECT") {
      if (![...input.options].some((o) => o.value === v)) { ignored.push(`${shown} (not one of its choices)`); continue; }
      set.push([k, input, input.value, v]);
      input.value = v;
    } else {
      if (!/^-?\d{1,6}(\.\d{1,6})?$/.test(v)) { ignored.push(`${shown} (not a number)`); continue; }
      set.push([k, input, input.value, v]);
      input.value = v;
    }
  }
  return { ignored, set };
}

const undo = ([, input, before]) => { if (input.type === "checkbox") input.checked = before; else input.value = before; };

// the server checks the link's levers as it checks any: one it refuses goes back to the scenario's
// value and is listed; when they are refused together, they all go back
async function checkUrl(set, ignored) {
  while (set.length) {
    let err = null;
    try {
      const check = await api("/api/validate", request());
      if (check.valid) return;
      err = { loc: ["body", ...String(check.error.field || "").split(".")], message: check.error.message };
    } catch (e) {
      err = e;
    }
    const input = leverInput(err.loc);
    const i = set.findIndex(([, el]) => el === input);
    const refused = i >= 0 ? set.splice(i, 1) : set.splice(0);
    for (const r of refused) {
      undo(r);
      ignored.push(`${r[0].slice(0, 40)}=${r[3]} (${bare(err.message)})`);
    }
  }
}

function urlNote(ignored) {
  $("url-note").textContent = ignored.length ? `Ignored from the link: ${ignored.join("; ")}.` : "";
  $("url-note").hidden = !ignored.length;
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
    const err = new Error(d.type === "value_error" ? d.msg : `${where}${d.msg}`);
    err.loc = d.loc;
    throw err;
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

// a data figure as `data sources` prints it: thousands grouped, four significant digits below
// 10,000 (output.num_text)
const fig = (x) => (Math.abs(x) >= 10000 || Number.isInteger(x))
  ? Math.round(x).toLocaleString("en-US") : String(Number(x.toPrecision(4)));
// a figure's plausible range as output.range_text prints it: its own, or a medium figure's table
// default (marked), and whether risk leaves it as stated
const figRange = (r) => {
  const own = r.low !== null && r.low !== undefined;
  const [lo, hi] = own ? [r.low, r.high] : [r.range_low, r.range_high];
  if (lo === null || lo === undefined) return "";
  return `${fig(lo)}–${fig(hi)}` + (!r.range_basis || r.range_basis === "stated" ? "" : `, ${r.range_basis}`)
    + (r.drawn === false ? ", not drawn" : "");
};
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
      against(x.share_at_deadline_current_rates, x.target),
      markup(`<span class="${x.share_at_deadline_max_ramp >= x.target - 1e-9 ? "met" : "miss"}">${against(x.share_at_deadline_max_ramp, x.target)}</span>`),
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

// the lever change being drawn, if any: saving waits for it, so it keeps what the page then shows
let refreshing = null;

async function refresh() {
  const run = draw();
  refreshing = run;
  try {
    await run;
  } finally {
    if (refreshing === run) refreshing = null;
  }
}

async function draw() {
  const mine = ++seq;
  const body = request();
  $("status").textContent = "updating…";
  try {
    const [a, s, r] = await Promise.all([api("/api/assess", body), api("/api/simulate", body),
      api("/api/threat", body)]);
    if (mine !== seq) return;
    showAssess(a);
    showSimulate(s);
    showRace(r);
    showEngines();
    onScreen = { kind: "levers", body, key: JSON.stringify(body) };
    writeUrl(body);
    clearMarks();
    stale(false);
    $("status").textContent = "";
    $("upload-error").hidden = true;
  } catch (e) {
    if (mine !== seq) return;
    $("status").textContent = "";
    // a refused lever is marked where it is set; a scenario that does not load, under the upload
    if (Array.isArray(e.loc) && e.loc[1] === "levers") {
      $("upload-error").hidden = true;
      markInvalid(e);
    } else {
      clearMarks();
      $("upload-error").textContent = e.message;
      $("upload-error").hidden = false;
      stale(true);
    }
  }
}

let job = null;            // the running plan or risk job

async function longRun(kind, extra, render) {
  let started;
  const key = leversKey();
  const shown0 = render;
  render = (result) => {
    lastRun[kind] = { key, result };
    onScreen = { kind, runId: result.run_id };
    shown0(result);
    showEngines();
  };
  try {
    started = await api(`/api/jobs/${kind}`, request(extra));
  } catch (e) {
    if (leverInput(e.loc)) markInvalid(e);
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

// a run's levers with their values: the scenario's name says which moved ("+ levers (deadline,
// procurement)"), its applied scenario what they were set to
function leverValue(k, ap) {
  const d = ap.us_drawdown || {};
  const budget = () => {
    const b = ap.budget || {};
    const all = Object.entries(b.pct_gdp || {}).map(([y, v]) => `spending ${v}% GDP by ${y}`);
    const each = Object.entries(b.by_ally || {}).flatMap(([ally, ys]) =>
      Object.entries(ys).map(([y, v]) => `${ally} ${v}% GDP by ${y}`));
    return [...all, ...each].join("; ") || `budget ${b.path || "as the scenario"}`;
  };
  const shown = {
    deadline: () => `deadline ${ap.deadline}`,
    horizon: () => `horizon ${(ap.horizon || []).join("–")}`,
    target_share: () => `target ${pct(ap.target_share)}`,
    us_drawdown: () => `US ${d.path}${d.start_year ? ` from ${d.start_year}` : ""}${d.path === "phased" && d.end_year ? ` to ${d.end_year}` : ""}`,
    coordination_withdrawal: () => (ap.coordination_withdrawal === null ? "US stays in coordination" : `US leaves coordination ${ap.coordination_withdrawal}`),
    procurement: () => `${ap.procurement} procurement`,
    export: () => `US licences ${(ap.export || {}).us_licences}`,
    budget,
    requirement: () => `requirement ${ap.requirement ?? "the data's default"}`,
    campaign_days: () => `${ap.campaign_days ?? "the set's own"} campaign days`,
    force_ratio: () => `force ratio ${ap.force_ratio}`,
  }[k];
  return shown ? shown() : k;
}

function scenarioWithValues(name, ap) {
  const text = String(name ?? "");
  if (!ap) return text;
  return text.replace(/\+ levers \(([^()]*)\)/, (_, keys) => {
    const moved = keys.split(", ");
    // a later deadline moves the horizon with it: the deadline says it
    const shown = moved.filter((k) => !(k === "horizon" && moved.includes("deadline")));
    return `+ levers (${shown.map((k) => leverValue(k, ap)).join(", ")})`;
  });
}

const when = (iso) => String(iso ?? "").slice(0, 16).replace("T", " ");

// a run as a dropdown names it: engine, scenario with its levers, deadline, created, id
function runLabel(r) {
  const ap = runDetails[r.run_id];
  const dl = ap ? ` · deadline ${ap.deadline}` : "";
  return `${r.engine} · ${scenarioWithValues(r.scenario, ap)}${dl} · ${when(r.created_at)} · ${r.run_id}`;
}

// the stored record of the newest runs (their applied levers), each fetched once
async function fetchDetails(runs) {
  const missing = runs.slice(-60).map((r) => r.run_id).filter((id) => !(id in runDetails));
  for (let i = 0; i < missing.length; i += 6) {
    await Promise.all(missing.slice(i, i + 6).map(async (id) => {
      try {
        const run = await api(`/api/runs/${encodeURIComponent(id)}`);
        runDetails[id] = run.applied || (run.result && run.result.run && run.result.run.applied) || null;
      } catch {
        runDetails[id] = null;
      }
    }));
  }
}

async function loadRuns() {
  const runs = await api("/api/runs");
  await fetchDetails(runs);
  $("runs").innerHTML = table(["run", "engine", "scenario and levers", "deadline", "created", "download"],
    runs.map((r) => [
      markup(`<a href="#" data-run="${esc(r.run_id)}" class="reopen">${esc(r.run_id)}</a>`), r.engine,
      scenarioWithValues(r.scenario, runDetails[r.run_id]), runDetails[r.run_id] ? runDetails[r.run_id].deadline : "—",
      when(r.created_at),
      markup(["html", "csv", "parquet", "yaml"].map((f) => `<a href="/api/runs/${encodeURIComponent(r.run_id)}/export?format=${f}">${f}</a>`).join(" ")),
    ]));
  // a choice the analyst made stays; otherwise A and B are the two newest runs (B the newest)
  const keep = ["cmp-a", "cmp-b"].map((id) => ($(id).dataset.chosen ? $(id).value : ""));
  const opts = [...runs].reverse().map((r) => `<option value="${esc(r.run_id)}">${esc(runLabel(r))}</option>`).join("");
  $("cmp-a").innerHTML = opts;
  $("cmp-b").innerHTML = opts;
  if (runs.length > 1) $("cmp-a").selectedIndex = 1;
  for (const [el, id] of [[$("cmp-a"), keep[0]], [$("cmp-b"), keep[1]]]) {
    if (id && runs.some((r) => r.run_id === id)) el.value = id;
  }
  for (const a of document.querySelectorAll("a.reopen")) {
    a.addEventListener("click", async (ev) => {
      ev.preventDefault();
      const run = await api(`/api/runs/${encodeURIComponent(a.dataset.run)}`);
      const show = { assess: showAssess, simulate: showSimulate, plan: showPlan, risk: showRisk }[run.engine];
      if (show) show(run.result);
      onScreen = { kind: run.engine, runId: run.run_id };
      $("status").textContent = `reopened run ${run.run_id}`;
    });
  }
}

// how each engine's figures read, for the sentence when a comparison mixes two
const ENGINE_NOUN = {
  assess: "an assess ceiling", simulate: "a simulate path", plan: "an optimised plan",
  risk: "a risk median over draws",
};
const nounOf = (engine) => ENGINE_NOUN[engine] || `a ${engine} run`;

function showCompare(c) {
  const side = (k) => c[k];
  const deadlines = c.a.deadline === c.b.deadline ? `at the deadline, ${c.a.deadline}`
    : `at each run's deadline (A ${c.a.deadline}, B ${c.b.deadline})`;
  const label = (k) => {
    const r = side(k);
    return `<dt>${k.toUpperCase()}</dt><dd><b>${esc(r.engine)}</b> · ${esc(scenarioWithValues(r.scenario, r.applied))} · run ${esc(r.run_id)} · deadline ${esc(r.deadline)}${r.created_at ? ` · created ${esc(when(r.created_at))}` : ""}<br><span class="engine">${esc(r.engine_label || r.engine)}</span></dd>`;
  };
  const notes = [];
  if (c.a.engine !== c.b.engine) {
    notes.push(`A is ${nounOf(c.a.engine)}, B ${nounOf(c.b.engine)}: the difference mixes engine and levers.`);
  }
  if (c.a.deadline !== c.b.deadline) {
    notes.push(`The deadlines differ (A ${c.a.deadline}, B ${c.b.deadline}): each share is at its own run's deadline.`);
  }
  const pts = (d) => (d === null || d === undefined) ? "—" : `${d >= 0 ? "+" : ""}${(100 * d).toFixed(1)} pts`;
  const dec = (v, sign = false) => (v === null || v === undefined) ? "—" : `${sign && v >= 0 ? "+" : ""}${v.toFixed(2)}`;
  const rows = c.areas.filter((r) => r.share_at_deadline || r.probability || r.gap);
  const hasP = rows.some((r) => r.probability);
  const hasGap = rows.some((r) => r.gap);
  const trio = (m, f, d) => (m ? [f(m.a), f(m.b), d(m.diff)] : ["—", "—", "—"]);
  const areasTable = table(
    ["area", `share A (${c.a.deadline})`, `share B (${c.b.deadline})`, "B − A",
      ...(hasP ? [{ text: "P A", title: "probability of holding the target by the run's deadline" }, "P B", "B − A"] : []),
      ...(hasGap ? [{ text: "gap A", title: "deterrence gap over the horizon, requirement-years" }, "gap B", "B − A"] : [])],
    rows.map((r) => [areaName(r.area), ...trio(r.share_at_deadline, pct, pts),
      ...(hasP ? trio(r.probability, pct, pts) : []),
      ...(hasGap ? trio(r.gap, (v) => dec(v), (v) => dec(v, true)) : [])]),
  );
  const money = c.money || {};
  const usd = (v, sign = false) => (v === null || v === undefined) ? "—"
    : `${sign && v >= 0 ? "+" : ""}${v.toLocaleString("en", { minimumFractionDigits: 1, maximumFractionDigits: 1 })}`;
  const terms = Object.entries(money.terms || {});
  const moneyTable = terms.length ? "<div class=\"text\">" + table(["cost", "A, USD bn", "B, USD bn", "B − A, USD bn", "meaning"],
    terms.map(([k, t]) => {
      const [name, ...meaning] = t.split(": ");
      const v = money[k] || {};
      return [name, usd(v.a), usd(v.b), usd(v.diff, true), meaning.join(": ")];
    })) + "</div>" : "<p class=\"meta\">Cost: neither run counts money (assess does not).</p>";
  const gap = c.gap || {};
  $("compare-view").innerHTML = `<h3>B against A: share of the requirement ${esc(deadlines)}</h3>` +
    `<dl class="ab">${label("a")}${label("b")}</dl>` +
    notes.map((n) => `<p class="mixed">${esc(n)}</p>`).join("") +
    `<div class="scroll">${areasTable}</div>` +
    (gap.a !== null && gap.a !== undefined || gap.b !== null && gap.b !== undefined
      ? `<p class="meta">Deterrence gap over the horizon, requirement-years: A ${dec(gap.a)}, B ${dec(gap.b)}, B − A ${dec(gap.diff, true)}.</p>` : "") +
    "<h3>Cost</h3>" + moneyTable;
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
    $("status").textContent = "reading the scenario…";
    const text = await file.text();
    const check = await api("/api/validate", { yaml: text });
    if (!check.valid) {
      $("status").textContent = "";
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
  // saving keeps the last engine run on screen, once: the assessment and simulation of the levers
  // shown (a plan or risk run is kept when it runs)
  $("save").addEventListener("click", async () => {
    while (refreshing) await refreshing;
    const s = onScreen;
    if (!s) return;
    if (s.runId) {
      $("status").textContent = `already saved: this ${s.kind} run is run ${s.runId}`;
      return;
    }
    if (savedRuns[s.key]) {
      const [a, m] = savedRuns[s.key];
      $("status").textContent = `already saved: assess run ${a} and simulate run ${m}`;
      return;
    }
    $("save").disabled = true;
    try {
      const a = await api("/api/assess", { ...s.body, store: true });
      const m = await api("/api/simulate", { ...s.body, store: true });
      savedRuns[s.key] = [a.run_id, m.run_id];
      await loadRuns();
      $("status").textContent = `saved: assess run ${a.run_id} and simulate run ${m.run_id}`;
    } catch (e) {
      $("status").textContent = e.message;
    } finally {
      $("save").disabled = false;
    }
  });
  for (const id of ["cmp-a", "cmp-b"]) $(id).addEventListener("change", () => { $(id).dataset.chosen = "1"; });
  $("compare").addEventListener("click", async () => {
    if (!$("cmp-a").value || !$("cmp-b").value) {
      $("compare-view").innerHTML = "<p class=\"meta\">No saved runs yet: save this run, or run plan or risk, first.</p>";
      return;
    }
    try {
      showCompare(await api(`/api/compare?a=${encodeURIComponent($("cmp-a").value)}&b=${encodeURIComponent($("cmp-b").value)}`));
    } catch (e) {
      $("compare-view").innerHTML = `<p class="error">${esc(e.message)}</p>`;
    }
  });
  $("source-area").addEventListener("change", showSources);
  $("source-filter").addEventListener("change", showSources);
  $("sources-panel").addEventListener("toggle", showSources);
  // a link's scenario and levers, each checked before it is used
  const q = new URLSearchParams(location.search);
  const ignored = [];
  const named = q.get("scenario");
  if (named !== null) {
    if (scenarios.some((x) => x.name === named)) $("scenario").value = named;
    else ignored.push(`scenario=${named.slice(0, 40)} (no such scenario)`);
  }
  setLevers((await api(`/api/scenarios/${encodeURIComponent($("scenario").value)}`)).scenario);
  if ([...q.keys()].some((k) => k.startsWith(ALLY))) allyBudgets((await api("/api/assess", request())).allies);
  const fromLink = readUrl(q);
  ignored.push(...fromLink.ignored);
  await checkUrl(fromLink.set, ignored);
  urlNote(ignored);
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
  const pts = (x) => `${(100 * x).toFixed(1)} pts`;
  $("weakest").innerHTML = `<h3>Check these first: the figures whose range moves ${esc(areaName(area))}'s share in ${w.deadline} most</h3>`
    + "<div class=\"text checks\">" + table(
      ["#", "figure", "value", "range", "confidence", { text: "swing", title: "share at the high end less share at the low end" }, "share low → high", "source"],
      w.figures.map((r, i) => [i + 1, `${r.table} ${r.key} · ${r.field}`, fig(r.value), figRange(r), r.confidence,
        pts(r.swing), `${pct(r.share_at_low)} → ${pct(r.share_at_high)}`, { html: linked(r.source) }]))
    + `</div><p class="meta">Engine: ${esc(w.run.engine_label || "weakest")}. ${esc(w.method)}.</p>`;
}

async function showSources() {
  if (!$("sources-panel").open) return;
  const area = $("source-area").value;
  showWeakest(area).catch((e) => { $("weakest").innerHTML = `<p class="error">${esc(e.message)}</p>`; });
  const every = await api(`/api/sources?area=${encodeURIComponent(area)}`);
  const keep = {
    all: () => true,
    weak: (r) => r.confidence === "low" || r.confidence === "assumption",
    drawn: (r) => r.drawn === true,
    stated: (r) => r.drawn !== true,
  }[$("source-filter").value] || (() => true);
  const rows = every.filter(keep);
  const source = (r) => ({html: linked(r.source) + (r.note
    ? `<details class="note"><summary>note</summary>${linked(r.note)}</details>` : "")});
  $("sources").innerHTML = `<p class="meta">${rows.length} of ${every.length} figures</p>`
    + "<div class=\"text sources\">" + table(
    ["figure", "value", "range", "unit", "year", "confidence", "source and note"],
    rows.map((r) => [`${r.key} · ${r.field}`, fig(r.value), figRange(r), r.unit, r.year, r.confidence,
      source(r)])) + "</div>";
}

init();
