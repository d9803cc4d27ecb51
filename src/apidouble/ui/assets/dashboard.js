// Dashboard: figures and charts drawn from the live stream. Stats events (one a second)
// give the rates, the journal's size, the per-stub counts (requests per endpoint over
// time: the difference between two events' exact counts) and each endpoint's status
// classes and errors in that second; request events give latency
// percentiles over the last minute and the trouble injected (their ``decision``).

import { $, bytes, el } from "./util.js";

const SECONDS = 120;
const WINDOW_S = 60;
const TOP = 5;
const CLASSES = ["2xx", "3xx", "4xx", "5xx", "fault"];
const NS = "http://www.w3.org/2000/svg";
const samples = [];
const perStub = []; // one {stub id: requests in that second} per stats event
let latencies = []; // [journal time, duration ms] (a reconnect's catch-up comes late)
const trouble = { faults: 0, failures: 0, rejected: 0 };
let lastHits = null;
const TABLE_CLASSES = ["1xx", ...CLASSES]; // 101: a WebSocket session opened
const OTHER = "other"; // the pick of the endpoints folded together; a stub's is "s:" + its label
const perEndpoint = []; // one {rows: Map(label → {status, errors}), other} per stats event

export function setup() {
  $("per-endpoint-pick").addEventListener("change", drawPerEndpoint);
  $("per-endpoint-form").addEventListener("submit", (event) => event.preventDefault());
}

export function enter() {
  draw();
  drawStubs();
  drawPerEndpoint();
  figures();
}

export function onRequest(entry) {
  if (typeof entry.duration_ms === "number") latencies.push([entry.time, entry.duration_ms]);
  const decision = entry.decision || {};
  if (decision.fault) trouble.faults += 1;
  if (decision.failure) trouble.failures += 1;
  if (decision.rate_limit && decision.rate_limit.allowed === false) trouble.rejected += 1;
  if (!$("view-dashboard").hidden) figures();
}

export function onStats(stats) {
  $("dash-rate").textContent = String(stats.per_s);
  $("dash-total").textContent = String(stats.total);
  $("dash-entries").textContent = String(stats.journal.entries);
  $("dash-bytes").textContent = bytes(stats.journal.bytes);
  $("dash-evicted").textContent = String(stats.journal.evicted);
  samples.push({ time: stats.time, status: stats.status || {} });
  if (samples.length > SECONDS) samples.shift();
  const hits = stats.hits || {};
  if (lastHits !== null) {
    const moved = {};
    for (const [id, count] of Object.entries(hits)) {
      const before = lastHits[id] || 0;
      if (count > before) moved[id] = count - before;
      else if (count < before) moved[id] = count; // the journal was cleared meanwhile
    }
    perStub.push(moved);
    if (perStub.length > SECONDS) perStub.shift();
  }
  lastHits = hits;
  const rows = new Map((stats.endpoints || []).map((row) => [row.stub, row]));
  perEndpoint.push({ rows, other: stats.other || null });
  if (perEndpoint.length > SECONDS) perEndpoint.shift();
  if (!$("view-dashboard").hidden) {
    draw();
    drawStubs();
    drawPerEndpoint();
    figures();
  }
}

/** The value below which ``share`` of the sorted ``values`` fall (nearest rank). */
function percentile(sorted, share) {
  const rank = Math.max(1, Math.ceil(share * sorted.length));
  return sorted[rank - 1];
}

function figures() {
  const since = Date.now() / 1000 - WINDOW_S;
  if (latencies.some(([time]) => time < since)) latencies = latencies.filter(([time]) => time >= since);
  const sorted = latencies.map(([, ms]) => ms).sort((a, b) => a - b);
  for (const [id, share] of [["dash-p50", 0.5], ["dash-p90", 0.9], ["dash-p99", 0.99]]) {
    $(id).textContent = sorted.length ? `${percentile(sorted, share).toFixed(1)} ms` : "–";
  }
  $("dash-latency-count").textContent = `${sorted.length} requests in the last minute`;
  $("dash-faults").textContent = String(trouble.faults);
  $("dash-failures").textContent = String(trouble.failures);
  $("dash-rejected").textContent = String(trouble.rejected);
}

function rect(x, y, width, height, kind) {
  const node = document.createElementNS(NS, "rect");
  node.setAttribute("x", String(x));
  node.setAttribute("y", String(y));
  node.setAttribute("width", String(width));
  node.setAttribute("height", String(height));
  node.setAttribute("class", `bar s${kind}`);
  return node;
}

function axis() {
  const line = document.createElementNS(NS, "line");
  for (const [name, value] of Object.entries({ x1: 0, y1: 200, x2: 600, y2: 200, class: "axis" })) {
    line.setAttribute(name, String(value));
  }
  return line;
}

/** Stacked bars of ``series`` (one {class: count} per second, oldest first) in ``svg``;
 *  the peak second's count. */
function stacked(svg, series) {
  const peak = Math.max(1, ...series.map((status) => CLASSES.reduce((sum, k) => sum + (status[k] || 0), 0)));
  const width = 600 / SECONDS;
  const bars = [];
  const offset = SECONDS - series.length;
  series.forEach((status, index) => {
    let top = 200;
    for (const kind of CLASSES) {
      const count = status[kind] || 0;
      if (!count) continue;
      const height = (count / peak) * 190;
      top -= height;
      bars.push(rect((offset + index) * width, top, Math.max(width - 1, 1), height, kind));
    }
  });
  svg.replaceChildren(axis(), ...bars);
  return peak;
}

function draw() {
  const peak = stacked($("dash-chart"), samples.map((sample) => sample.status));
  const last = samples.length ? samples[samples.length - 1].status : {};
  const parts = CLASSES.filter((k) => last[k]).map((k) => `${last[k]} ${k}`);
  $("chart-summary").textContent = `Peak ${peak} requests in one second. Last second: ${parts.length ? parts.join(", ") : "none"}.`;
}

/** Requests per second of the five busiest stubs over the last two minutes, as lines. */
function drawStubs() {
  const totals = {};
  for (const moved of perStub) for (const [id, count] of Object.entries(moved)) totals[id] = (totals[id] || 0) + count;
  const top = Object.keys(totals)
    .sort((a, b) => totals[b] - totals[a] || a.localeCompare(b))
    .slice(0, TOP);
  const peak = Math.max(1, ...perStub.flatMap((moved) => top.map((id) => moved[id] || 0)));
  const step = 600 / (SECONDS - 1);
  const offset = SECONDS - perStub.length;
  const lines = top.map((id, rank) => {
    const points = perStub.map((moved, index) => `${((offset + index) * step).toFixed(1)},${(200 - ((moved[id] || 0) / peak) * 190).toFixed(1)}`);
    const line = document.createElementNS(NS, "polyline");
    line.setAttribute("points", points.join(" "));
    line.setAttribute("class", `stub-line l${rank}`);
    line.dataset.stub = id;
    return line;
  });
  $("dash-stubs").replaceChildren(axis(), ...lines);
  $("stubs-legend").replaceChildren(
    ...top.map((id, rank) => el("li", { "data-stub": id }, el("span", { class: `swatch l${rank}` }), `${id}: ${totals[id]}`)),
  );
  $("stubs-summary").textContent = top.length
    ? `Busiest: ${top.map((id) => `${id} (${totals[id]} request${totals[id] === 1 ? "" : "s"})`).join(", ")}. Peak ${peak} per second.`
    : "No stub answered a request in the last two minutes.";
}

// --- status codes and errors per endpoint ------------------------------------------------

function endpointName(key, label) {
  if (key === OTHER) return "other endpoints";
  return label === "" ? "(no stub)" : label; // unmatched, or served by a CRUD resource
}

/** Each endpoint's classes, errors and requests summed over the window, most errors first. */
function perEndpointTotals() {
  const totals = new Map();
  const add = (key, label, row) => {
    const into = totals.get(key) || { key, label, status: {}, errors: 0, requests: 0 };
    for (const [kind, count] of Object.entries(row.status)) {
      into.status[kind] = (into.status[kind] || 0) + count;
      into.requests += count;
    }
    into.errors += row.errors;
    totals.set(key, into);
  };
  for (const second of perEndpoint) {
    for (const [label, row] of second.rows) add(`s:${label}`, label, row);
    if (second.other) add(OTHER, null, second.other);
  }
  return [...totals.values()].sort(
    (a, b) => b.errors - a.errors || b.requests - a.requests || endpointName(a.key, a.label).localeCompare(endpointName(b.key, b.label)),
  );
}

function fillPick(totals) {
  const select = $("per-endpoint-pick");
  const keys = totals.map((row) => row.key).sort();
  if (keys.join("\n") === select.dataset.keys) return;
  select.dataset.keys = keys.join("\n");
  const chosen = select.value;
  select.replaceChildren(
    el("option", { value: "" }, "the endpoint with the most errors"),
    ...totals.map((row) => el("option", { value: row.key, selected: row.key === chosen }, endpointName(row.key, row.label))),
  );
}

function drawPerEndpoint() {
  const totals = perEndpointTotals();
  $("per-endpoint-empty").hidden = totals.length > 0;
  $("per-endpoint-table").tBodies[0].replaceChildren(
    ...totals.map((row) =>
      el(
        "tr",
        row.key === OTHER ? { "data-other": "" } : { "data-stub": row.label },
        el("th", { scope: "row" }, endpointName(row.key, row.label)),
        ...TABLE_CLASSES.map((kind) => el("td", { class: `count c${kind}` }, String(row.status[kind] || 0))),
        el("td", { class: row.errors ? "errors error" : "errors" }, String(row.errors)),
      ),
    ),
  );
  fillPick(totals);
  const picked = $("per-endpoint-pick").value;
  const row = totals.find((candidate) => candidate.key === picked) || totals[0];
  const svg = $("dash-endpoint-chart");
  if (!row) {
    svg.replaceChildren(axis());
    $("endpoint-chart-name").textContent = "none";
    $("endpoint-chart-summary").textContent = "";
    delete svg.dataset.key;
    return;
  }
  const series = perEndpoint.map((second) =>
    row.key === OTHER ? (second.other || { status: {} }).status : (second.rows.get(row.label) || { status: {} }).status,
  );
  const peak = stacked(svg, series);
  svg.dataset.key = row.key;
  const name = endpointName(row.key, row.label);
  $("endpoint-chart-name").textContent = name;
  $("endpoint-chart-summary").textContent =
    `${name}: ${row.requests} request${row.requests === 1 ? "" : "s"}, ${row.errors} error${row.errors === 1 ? "" : "s"} in the last two minutes. Peak ${peak} per second.`;
}
