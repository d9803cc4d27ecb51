// Dashboard: figures and a chart of requests per second by status class, both drawn
// from the live stream's stats events (one a second); the chart is inline SVG.

import { $, bytes } from "./util.js";

const SECONDS = 120;
const CLASSES = ["2xx", "3xx", "4xx", "5xx", "fault"];
const NS = "http://www.w3.org/2000/svg";
const samples = [];

export function setup() {}

export function enter() {
  draw();
}

export function onStats(stats) {
  $("dash-rate").textContent = String(stats.per_s);
  $("dash-total").textContent = String(stats.total);
  $("dash-entries").textContent = String(stats.journal.entries);
  $("dash-bytes").textContent = bytes(stats.journal.bytes);
  $("dash-evicted").textContent = String(stats.journal.evicted);
  samples.push({ time: stats.time, status: stats.status || {} });
  if (samples.length > SECONDS) samples.shift();
  if (!$("view-dashboard").hidden) draw();
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
  const axis = document.createElementNS(NS, "line");
  for (const [name, value] of Object.entries({ x1: 0, y1: 200, x2: 600, y2: 200, class: "axis" })) {
    axis.setAttribute(name, String(value));
  }
  svg.replaceChildren(axis, ...bars);
  const last = samples.length ? samples[samples.length - 1].status : {};
  const parts = CLASSES.filter((k) => last[k]).map((k) => `${last[k]} ${k}`);
  $("chart-summary").textContent = `Peak ${peak} requests in one second. Last second: ${parts.length ? parts.join(", ") : "none"}.`;
}
