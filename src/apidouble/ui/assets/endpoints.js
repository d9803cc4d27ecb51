// Endpoints: the served stubs, searchable, with hit counts from the live stream's stats,
// and a JSON editor whose problems come from the server's own validation (422 problems).

import { api, ApiError } from "./api.js";
import { $, el } from "./util.js";

let listed = [];
let hits = {};
let editing = null; // the id being replaced, or null for a new endpoint
let go = () => {};
let refreshTimer = null;

export function setup(context) {
  go = context.go;
  $("endpoint-search").addEventListener("input", render);
  $("endpoint-method").addEventListener("change", render);
  $("endpoint-filters").addEventListener("submit", (event) => event.preventDefault());
  $("endpoint-new").addEventListener("click", () =>
    openEditor({ path: "/hello", method: "GET", response: { message: "hi" } }),
  );
  $("editor-save").addEventListener("click", save);
  $("editor-cancel").addEventListener("click", closeEditor);
}

export async function enter() {
  await load();
}

export function onStats(stats) {
  hits = stats.hits || {};
  if (!$("view-endpoints").hidden) renderHits();
}

export function onRequest() {}

async function load() {
  try {
    listed = (await api("GET", "/__admin/endpoints")).endpoints;
    render();
  } catch (error) {
    $("endpoint-count").textContent = `Could not read the endpoints: ${error.message}`;
  }
}

function matches(endpoint) {
  const text = $("endpoint-search").value.trim().toLowerCase();
  const method = $("endpoint-method").value;
  if (method && !endpoint.methods.includes(method) && !endpoint.methods.includes("ANY")) return false;
  if (!text) return true;
  return [endpoint.id, endpoint.name, endpoint.path, endpoint.source.file]
    .filter(Boolean)
    .some((value) => String(value).toLowerCase().includes(text));
}

function source(endpoint) {
  if (endpoint.runtime) return "admin API";
  const { file, line } = endpoint.source;
  return line ? `${file}:${line}` : file;
}

function render() {
  const body = $("endpoint-table").tBodies[0];
  const shown = listed.filter(matches);
  body.replaceChildren(
    ...shown.map((endpoint) =>
      el(
        "tr",
        { "data-id": endpoint.id },
        el("td", {}, endpoint.methods.join(", ")),
        el("td", {}, el("code", {}, endpoint.path || "(any)")),
        el("td", {}, endpoint.id),
        el("td", {}, source(endpoint)),
        el("td", { class: "hits" }, String(hits[endpoint.id] || 0)),
        el(
          "td",
          { class: "row-actions" },
          el("button", { type: "button", class: "small", onclick: () => edit(endpoint.id), "aria-label": `Edit ${endpoint.id}` }, "Edit"),
          el("button", { type: "button", class: "small secondary", onclick: () => duplicate(endpoint.id), "aria-label": `Duplicate ${endpoint.id}` }, "Duplicate"),
          el("button", { type: "button", class: "small danger", onclick: () => remove(endpoint.id), "aria-label": `Delete ${endpoint.id}` }, "Delete"),
        ),
      ),
    ),
  );
  $("endpoint-count").textContent = `${shown.length} of ${listed.length} endpoints`;
}

function renderHits() {
  for (const row of $("endpoint-table").tBodies[0].rows) {
    row.querySelector(".hits").textContent = String(hits[row.dataset.id] || 0);
  }
}

/** The document to edit: a runtime stub's own, else the fields the listing knows. */
async function documentOf(id) {
  const found = await api("GET", `/__admin/endpoints/${encodeURIComponent(id)}`);
  if (found.endpoint) return { document: found.endpoint, note: "" };
  const document = { id: found.id, path: found.path };
  if (!found.methods.includes("ANY")) document.methods = found.methods;
  return {
    document,
    note: `From ${source(found)}: only its id, path and methods are known here; saving replaces it in the runtime layer (the file is not written).`,
  };
}

async function edit(id) {
  const { document, note } = await documentOf(id);
  openEditor(document, { replacing: id, note });
}

async function duplicate(id) {
  const { document } = await documentOf(id);
  const copy = { ...document, id: `${id}-copy` };
  delete copy.name;
  openEditor(copy, { note: `A copy of ${id}.` });
}

async function remove(id) {
  if (!window.confirm(`Delete endpoint ${id}?`)) return;
  try {
    await api("DELETE", `/__admin/endpoints/${encodeURIComponent(id)}`);
  } catch (error) {
    $("endpoint-count").textContent = `Could not delete ${id}: ${error.message}`;
  }
  await load();
}

/** Open the editor on ``document``; used by Live traffic's "create stub" too. */
export function openEditor(document, { replacing = null, note = "" } = {}) {
  editing = replacing;
  $("editor-title").textContent = replacing ? `Edit endpoint ${replacing}` : "New endpoint";
  $("editor-note").textContent = note;
  $("editor-text").value = JSON.stringify(document, null, 2);
  $("editor-problems").replaceChildren();
  $("editor").hidden = false;
  go("endpoints");
  $("editor-text").focus();
}

function closeEditor() {
  $("editor").hidden = true;
  editing = null;
  $("endpoint-new").focus();
}

function showProblems(lines) {
  $("editor-problems").replaceChildren(
    el("p", {}, "Not saved:"),
    el("ul", {}, lines.map((line) => el("li", {}, line))),
  );
}

async function save() {
  let document;
  try {
    document = JSON.parse($("editor-text").value);
  } catch (error) {
    showProblems([`The text is not JSON: ${error.message}`]);
    return;
  }
  try {
    const saved = editing
      ? await api("PUT", `/__admin/endpoints/${encodeURIComponent(editing)}`, document)
      : await api("POST", "/__admin/endpoints", document);
    $("editor").hidden = true;
    editing = null;
    await load();
    $("endpoint-count").textContent = `Saved ${saved.id}. ${$("endpoint-count").textContent}`;
    $("endpoint-new").focus();
  } catch (error) {
    if (error instanceof ApiError && error.body && Array.isArray(error.body.problems)) {
      showProblems(error.body.problems.map((p) => `${p.pointer}: ${p.message}`));
    } else {
      showProblems([error.message]);
    }
  }
}

export function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(load, 200);
}
