// Live traffic: journal entries as the stream sends them (after the newest 100 already
// journaled, read once at open, and after a reconnect those journaled while it was
// down), newest first, filtered by text, status class and stub,
// with the detail of one (bodies pretty-printed, the trouble decided, the near misses of
// an unmatched one), and WireMock's recording start/stop.

import { api } from "./api.js";
import { openEditor } from "./endpoints.js";
import { $, el, pretty } from "./util.js";

const KEEP = 500;
const HISTORY = 100;
let entries = [];
const seen = new Set(); // entry ids in ``entries``: history and stream never show one twice
let unseen = 0;
let selected = null;
let skipped = 0; // entries the stream passed over (more than it sends per poll)
let newest = 0; // the highest entry id received: a reconnect reads the journal past it
let gapFrom = null; // ``newest`` when the stream dropped, until the gap is read

export function setup() {
  $("live-search").addEventListener("input", render);
  $("live-unmatched").addEventListener("change", render);
  $("live-status").addEventListener("change", render);
  $("live-stub").addEventListener("change", render);
  $("record-form").addEventListener("submit", (event) => {
    event.preventDefault();
    startRecording();
  });
  $("record-stop").addEventListener("click", stopRecording);
  $("live-filters").addEventListener("submit", (event) => event.preventDefault());
  $("live-clear").addEventListener("click", () => {
    entries = [];
    seen.clear();
    selected = null;
    skipped = 0;
    $("live-skipped").hidden = true;
    $("live-detail").hidden = true;
    render();
  });
}

export function enter() {
  unseen = 0;
  render();
}

/** Count what the stream passed over under load: those requests are not in the list. */
export function onStats(stats) {
  if (!stats.skipped) return;
  skipped += stats.skipped;
  const note = $("live-skipped");
  note.textContent = `${skipped} requests not shown: too many to display`;
  note.hidden = false;
}

function keep() {
  if (entries.length <= KEEP) return;
  for (const gone of entries.splice(KEEP)) seen.delete(gone.id);
}

export function onRequest(entry) {
  if (seen.has(entry.id)) return;
  seen.add(entry.id);
  newest = Math.max(newest, entry.id);
  entries.unshift(entry);
  keep();
  if ($("view-live").hidden) {
    unseen += 1;
    return;
  }
  render();
}

/** Add journal entries the stream did not send, merged under the others by id (none
 *  twice, newest first); the ones added. */
function merge(logs, after) {
  const added = logs.filter((entry) => entry.id > after && !seen.has(entry.id));
  for (const entry of added) {
    seen.add(entry.id);
    newest = Math.max(newest, entry.id);
  }
  entries = [...entries, ...added].sort((a, b) => b.id - a.id);
  keep();
  if (!$("view-live").hidden) render();
  else unseen += added.length;
  return added;
}

async function newestLogs(limit) {
  try {
    return (await api("GET", `/__admin/logs?limit=${limit}`)).logs;
  } catch {
    return null;
  }
}

/** The newest entries journaled before the page opened, merged under what the stream
 *  already sent (called once the stream is open, so nothing falls between the two). */
export async function loadHistory() {
  gapFrom = null; // a drop before the first connection leaves no gap: this is the start
  const logs = await newestLogs(HISTORY);
  if (logs) merge(logs, 0);
}

/** The stream dropped: what it sent last is where a reconnect must read on from. */
export function onDrop() {
  if (gapFrom === null) gapFrom = newest;
}

/**
 * The stream is back: read the requests journaled while it was down (the newest KEEP;
 * a new stream sends only what comes after its start) and merge them. More than KEEP
 * are counted as not shown. Resolves to the entries added, for the other views.
 */
export async function catchUp() {
  if (gapFrom === null) return [];
  const after = gapFrom;
  const logs = await newestLogs(KEEP);
  if (!logs) return []; // the stream is up again without the gap: keep the mark
  gapFrom = null;
  if (logs.length && logs[0].id < after) {
    // ids went back: another server (a restart) answers now; what was listed is its past
    entries = [];
    seen.clear();
    newest = 0;
    return merge(logs, 0);
  }
  const added = merge(logs, after);
  const oldest = logs.length ? logs[logs.length - 1].id : 0;
  if (logs.length >= KEEP && oldest > after + 1) onStats({ skipped: oldest - after - 1 });
  return added;
}

/** The stub select: every stub among the entries, keeping the current choice. */
function fillStubs() {
  const select = $("live-stub");
  const chosen = select.value;
  const names = new Map();
  for (const entry of entries) if (entry.stub_id) names.set(entry.stub_id, entry.stub || entry.stub_id);
  const ids = [...names.keys()].sort();
  if (ids.join("\n") === select.dataset.ids) return;
  select.dataset.ids = ids.join("\n");
  select.replaceChildren(
    el("option", { value: "" }, "any"),
    ...ids.map((id) => el("option", { value: id, selected: id === chosen }, names.get(id) === id ? id : `${names.get(id)} (${id})`)),
  );
}

function statusClass(entry) {
  return entry.status ? `${Math.floor(entry.status / 100)}xx` : "fault";
}

function accepts(entry) {
  if ($("live-unmatched").checked && entry.stub_id) return false;
  const status = $("live-status").value;
  if (status && statusClass(entry) !== status) return false;
  const stub = $("live-stub").value;
  if (stub && entry.stub_id !== stub) return false;
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
  fillStubs();
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

// --- recording (WireMock's /__admin/recordings) ------------------------------------------

async function startRecording() {
  const target = $("record-target").value.trim();
  try {
    await api("POST", "/__admin/recordings/start", { targetBaseUrl: target });
  } catch (error) {
    $("record-status").textContent = `Not recording: ${error.message}`;
    return;
  }
  $("record-status").textContent = `Recording: what no stub answers goes to ${target}.`;
  $("record-start").disabled = true;
  $("record-stop").disabled = false;
}

async function stopRecording() {
  let made;
  try {
    made = await api("POST", "/__admin/recordings/stop");
  } catch (error) {
    $("record-status").textContent = `Could not stop: ${error.message}`;
    return;
  }
  const count = (made.mappings || []).length;
  $("record-status").textContent = `Stopped: ${count} stub${count === 1 ? "" : "s"} recorded, now served.`;
  $("record-start").disabled = false;
  $("record-stop").disabled = true;
}

export function pendingCount() {
  return unseen;
}
