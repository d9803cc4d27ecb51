// Live traffic: journal entries as the stream sends them, newest first, with the detail
// of one (bodies pretty-printed, the trouble decided, the near misses of an unmatched one).

import { openEditor } from "./endpoints.js";
import { $, el, pretty } from "./util.js";

const KEEP = 500;
let entries = [];
let unseen = 0;
let selected = null;

export function setup() {
  $("live-search").addEventListener("input", render);
  $("live-unmatched").addEventListener("change", render);
  $("live-filters").addEventListener("submit", (event) => event.preventDefault());
  $("live-clear").addEventListener("click", () => {
    entries = [];
    selected = null;
    $("live-detail").hidden = true;
    render();
  });
}

export function enter() {
  unseen = 0;
  render();
}

export function onRequest(entry) {
  entries.unshift(entry);
  if (entries.length > KEEP) entries.length = KEEP;
  if ($("view-live").hidden) {
    unseen += 1;
    return;
  }
  render();
}

function accepts(entry) {
  if ($("live-unmatched").checked && entry.stub_id) return false;
  const text = $("live-search").value.trim().toLowerCase();
  if (!text) return true;
  return [entry.method, entry.path, entry.query, entry.stub, entry.stub_id, String(entry.status)]
    .filter(Boolean)
    .some((value) => value.toLowerCase().includes(text));
}

function time(epoch) {
  return new Date(epoch * 1000).toLocaleTimeString([], { hour12: false });
}

function render() {
  const shown = entries.filter(accepts);
  $("live-table").tBodies[0].replaceChildren(
    ...shown.map((entry) =>
      el(
        "tr",
        { class: `${entry.stub_id ? "" : "unmatched"} ${selected === entry ? "selected" : ""}`.trim() },
        el("td", {}, time(entry.time)),
        el("td", {}, entry.method),
        el(
          "td",
          {},
          el(
            "button",
            { type: "button", class: "link", onclick: () => detail(entry), "aria-label": `Details of ${entry.method} ${entry.path}, entry ${entry.id}` },
            entry.path + (entry.query ? `?${entry.query}` : ""),
          ),
        ),
        el("td", { class: `status s${Math.floor(entry.status / 100)}xx` }, String(entry.status)),
        el("td", {}, entry.stub || "unmatched"),
      ),
    ),
  );
  $("live-count").textContent = `${shown.length} of ${entries.length} requests shown`;
}

function headersList(headers) {
  const pairs = Array.isArray(headers) ? headers : Object.entries(headers || {});
  return el("dl", { class: "headers" }, pairs.map(([name, value]) => [el("dt", {}, name), el("dd", {}, String(value))]));
}

function block(title, body) {
  const text = pretty(body);
  return text ? [el("h3", {}, title), el("pre", { tabindex: "0" }, text)] : [];
}

function nearMisses(entry) {
  if (entry.stub_id || !entry.response) return [];
  let report;
  try {
    report = JSON.parse(entry.response.body);
  } catch {
    return [];
  }
  const misses = report.near_misses || [];
  return [
    el("h3", {}, "Near misses"),
    misses.length
      ? el(
          "ol",
          { class: "near-misses" },
          misses.map((miss) =>
            el(
              "li",
              {},
              el("p", {}, el("strong", {}, miss.stub), ` (distance ${Number(miss.distance).toFixed(3)}, ${miss.source || ""})`),
              el(
                "ul",
                {},
                (miss.checks || []).map((check) =>
                  el(
                    "li",
                    { class: check.passed ? "passed" : "failed" },
                    `${check.passed ? "✓" : "✗"} ${check.condition}: expected ${JSON.stringify(check.expected)}, got ${JSON.stringify(check.actual)}`,
                  ),
                ),
              ),
            ),
          ),
        )
      : el("p", {}, "No stub came close."),
    el("button", { type: "button", id: "create-stub", onclick: () => createStub(entry) }, "Create stub from this request"),
  ];
}

/** An endpoint answering exactly this request (method, path, query), to be edited. */
function stubFor(entry) {
  const document = { method: entry.method, path: entry.path, status: 200, response: { ok: true } };
  if (entry.query) {
    const query = {};
    for (const [name, value] of new URLSearchParams(entry.query)) query[name] = value;
    document.match = { query };
  }
  return document;
}

function createStub(entry) {
  openEditor(stubFor(entry), { note: `Made from the unmatched request ${entry.method} ${entry.path}.` });
}

function detail(entry) {
  selected = entry;
  render();
  const response = entry.response;
  $("detail-title").textContent = `${entry.method} ${entry.path} → ${entry.status}`;
  $("detail-body").replaceChildren(
    el(
      "p",
      {},
      `Entry ${entry.id} at ${time(entry.time)}, ${entry.duration_ms ?? "?"} ms, `,
      entry.stub ? `answered by ${entry.stub}` : "no stub matched",
      entry.delay_ms ? `, delayed ${entry.delay_ms} ms` : "",
    ),
    ...(entry.decision ? block("Trouble decided", entry.decision) : []),
    el("h3", {}, "Request headers"),
    headersList(entry.headers),
    ...block("Request body", entry.body),
    ...(response ? [el("h3", {}, "Response headers"), headersList(response.headers)] : [el("p", {}, "No response was sent.")]),
    ...(response ? block("Response body", response.body) : []),
    ...nearMisses(entry),
  );
  $("live-detail").hidden = false;
  $("live-detail").focus();
}

export function pendingCount() {
  return unseen;
}
