// Dashboard: figures and charts drawn from the live stream. Stats events (one a second)
// give the rates, the journal's size and the per-stub counts (requests per endpoint over
// time: the difference between two events' exact counts); request events give latency
// percentiles over the last minute and the trouble injected (their ``decision``).

import { $, bytes, el } from "./util.js";

const SECONDS = 120;
const WINDOW_S = 60;
const TOP = 5;
const CLASSES = ["2xx", "3xx", "4xx", "5xx", "fault"];
const NS = "http://www.w3.org/2000/svg";
const samples = [];
const perStub = []; // one {stub id: requests in that second} per stats event
const latencies = []; // [received time, duration ms], oldest first
const trouble = { faults: 0, failures: 0, rejected: 0 };
let lastHits = null;

export function setup() {}

export function enter() {
  draw();
  drawStubs();
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
  if (!$("view-dashboard").hidden) {
    draw();
    drawStubs();
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
  while (latencies.length && latencies[0][0] < since) latencies.shift();
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

function draw() {
  const svg = $("dash-chart");
  const peak = Math.max(1, ...samples.map((s) => CLASSES.reduce((sum, k) => sum + (s.status[k] || 0), 0)));
  const width = 600 / SECONDS;
  const bars = [];
  const offset = SECONDS - samples.length;
  samples.forEach((sample, index) => {
    let top = 200;
    for (const kind of CLASSES) {
      const count = sample.status[kind] || 0;
      if (!count) continue;
      const height = (count / peak) * 190;
      top -= height;
      bars.push(rect((offset + index) * width, top, Math.max(width - 1, 1), height, kind));
    }
  });
  svg.replaceChildren(axis(), ...bars);
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
