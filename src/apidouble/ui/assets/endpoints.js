// Endpoints: the served stubs (and the disabled ones), filtered by text, method, source
// file and hits (exact counts from /__admin/ui/hits at open, then the live stream's
// stats); an editor in JSON or YAML whose problems come from the server's own
// validation (422 problems, with the YAML line); enable/disable; and an import drop zone
// (one file, or a WireMock folder: see folder.js).

import { api, ApiError } from "./api.js";
import { fromEntries, fromInput, readFolder } from "./folder.js";
import { $, el } from "./util.js";
import { toYaml } from "./yaml.js";

const ADMIN_SOURCE = "admin API";
let listed = [];
let hits = {};
let editing = null; // the id being replaced, or null for a new endpoint
let mode = "json";
let shownYaml = null; // the YAML text made from ``shownDocument`` (unchanged: switch back freely)
let shownDocument = null;
let go = () => {};
let refreshTimer = null;

export function setup(context) {
  go = context.go;
  for (const id of ["endpoint-search", "endpoint-min-hits"]) $(id).addEventListener("input", render);
  for (const id of ["endpoint-method", "endpoint-file", "endpoint-never-hit"]) $(id).addEventListener("change", render);
  $("endpoint-filters").addEventListener("submit", (event) => event.preventDefault());
  $("endpoint-new").addEventListener("click", () =>
    openEditor({ path: "/hello", method: "GET", response: { message: "hi" } }),
  );
  $("editor-save").addEventListener("click", save);
  $("editor-cancel").addEventListener("click", closeEditor);
  for (const radio of document.querySelectorAll("input[name='editor-mode']")) {
    radio.addEventListener("change", () => switchMode(radio.value));
  }
  setupImport();
}

export async function enter() {
  await Promise.all([load(), loadHits()]);
}

export function onStats(stats) {
  hits = stats.hits || {};
  if ($("view-endpoints").hidden) return;
  // the hit filters choose rows by count: redraw; otherwise only the counts change
  if ($("endpoint-never-hit").checked || Number($("endpoint-min-hits").value || 0) > 0) render();
  else renderHits();
}

function renderHits() {
  for (const row of $("endpoint-table").tBodies[0].rows) {
    row.querySelector(".hits").textContent = String(hits[row.dataset.id] || 0);
  }
}

export function onRequest() {}

async function loadHits() {
  try {
    hits = (await api("GET", "/__admin/ui/hits")).hits;
    render();
  } catch {
    // the stream's stats bring the counts within a second anyway
  }
}

async function load() {
  try {
    listed = (await api("GET", "/__admin/endpoints")).endpoints;
    fillFiles();
    render();
  } catch (error) {
    $("endpoint-count").textContent = `Could not read the endpoints: ${error.message}`;
  }
}

function fileOf(endpoint) {
  return endpoint.runtime ? ADMIN_SOURCE : endpoint.source.file || "(code)";
}

/** The source-file select: every file seen, keeping the current choice. */
function fillFiles() {
  const select = $("endpoint-file");
  const chosen = select.value;
  const files = [...new Set(listed.map(fileOf))].sort();
  select.replaceChildren(
    el("option", { value: "" }, "any"),
    ...files.map((file) => el("option", { value: file, selected: file === chosen }, file)),
  );
}

function matches(endpoint) {
  const text = $("endpoint-search").value.trim().toLowerCase();
  const method = $("endpoint-method").value;
  const file = $("endpoint-file").value;
  const count = hits[endpoint.id] || 0;
  if (method && !endpoint.methods.includes(method) && !endpoint.methods.includes("ANY")) return false;
  if (file && fileOf(endpoint) !== file) return false;
  if ($("endpoint-never-hit").checked && count > 0) return false;
  const least = Number($("endpoint-min-hits").value || 0);
  if (least > 0 && count < least) return false;
  if (!text) return true;
  return [endpoint.id, endpoint.name, endpoint.path, endpoint.source.file]
    .filter(Boolean)
    .some((value) => String(value).toLowerCase().includes(text));
}

function source(endpoint) {
  if (endpoint.runtime) return ADMIN_SOURCE;
  const { file, line } = endpoint.source;
  return line ? `${file}:${line}` : file;
}

function render() {
  const body = $("endpoint-table").tBodies[0];
  const shown = listed.filter(matches);
  body.replaceChildren(
    ...shown.map((endpoint) => {
      const off = endpoint.disabled === true;
      return el(
        "tr",
        { "data-id": endpoint.id, class: off ? "disabled" : "" },
        el("td", {}, endpoint.methods.join(", ")),
        el("td", {}, el("code", {}, endpoint.path || "(any)")),
        el("td", {}, endpoint.id, off ? el("span", { class: "badge" }, " disabled") : ""),
        el("td", {}, source(endpoint)),
        el("td", { class: "hits" }, String(hits[endpoint.id] || 0)),
        el(
          "td",
          { class: "row-actions" },
          el("button", { type: "button", class: "small", onclick: () => edit(endpoint.id), "aria-label": `Edit ${endpoint.id}` }, "Edit"),
          el("button", { type: "button", class: "small secondary", onclick: () => duplicate(endpoint.id), "aria-label": `Duplicate ${endpoint.id}` }, "Duplicate"),
          el(
            "button",
            { type: "button", class: "small secondary toggle", onclick: () => toggle(endpoint.id, !off), "aria-label": `${off ? "Enable" : "Disable"} ${endpoint.id}` },
            off ? "Enable" : "Disable",
          ),
          el("button", { type: "button", class: "small danger", onclick: () => remove(endpoint.id), "aria-label": `Delete ${endpoint.id}` }, "Delete"),
        ),
      );
    }),
  );
  $("endpoint-count").textContent = `${shown.length} of ${listed.length} endpoints`;
}

/** The document to edit: the stub's whole one (a file stub's from its config). */
async function documentOf(id) {
  const found = await api("GET", `/__admin/endpoints/${encodeURIComponent(id)}`);
  const note = found.from_file
    ? `From ${source(found)}: saving puts this stub in the runtime layer (the file is not written).`
    : "";
  return { document: found.endpoint || { id: found.id, path: found.path }, note };
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

async function toggle(id, disable) {
  try {
    await api("POST", `/__admin/endpoints/${encodeURIComponent(id)}/${disable ? "disable" : "enable"}`);
  } catch (error) {
    $("endpoint-count").textContent = `Could not ${disable ? "disable" : "enable"} ${id}: ${error.message}`;
    return;
  }
  await load();
  $("endpoint-count").textContent = `${id} is ${disable ? "disabled" : "served again"}. ${$("endpoint-count").textContent}`;
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

function showText(document) {
  shownDocument = document;
  if (mode === "yaml") {
    shownYaml = toYaml(document);
    $("editor-text").value = shownYaml;
  } else {
    $("editor-text").value = JSON.stringify(document, null, 2);
  }
}

/** JSON -> YAML is written here; YAML -> JSON only for unchanged text (no YAML parser). */
function switchMode(next) {
  if (next === mode) return;
  const text = $("editor-text").value;
  if (next === "yaml") {
    let document;
    try {
      document = JSON.parse(text);
    } catch (error) {
      showProblems([`The text is not JSON: ${error.message}`]);
      $("editor-mode-json").checked = true;
      return;
    }
    mode = "yaml";
    showText(document);
  } else if (text === shownYaml) {
    mode = "json";
    showText(shownDocument);
  } else {
    showProblems(["The YAML was changed: save it (the server reads YAML), or undo the changes, to switch back to JSON."]);
    $("editor-mode-yaml").checked = true;
    return;
  }
  $("editor-label-kind").textContent = mode === "yaml" ? "YAML" : "JSON";
  $("editor-problems").replaceChildren();
}

/** Open the editor on ``document``; used by Live traffic's "create stub" too. */
export function openEditor(document, { replacing = null, note = "" } = {}) {
  editing = replacing;
  $("editor-title").textContent = replacing ? `Edit endpoint ${replacing}` : "New endpoint";
  $("editor-note").textContent = note;
  showText(document);
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

function problemLine(problem) {
  const where = problem.line ? ` (line ${problem.line})` : "";
  return `${problem.pointer}${where}: ${problem.message}`;
}

async function save() {
  let body;
  let type = "application/json";
  if (mode === "yaml") {
    body = $("editor-text").value;
    type = "application/yaml";
  } else {
    try {
      body = JSON.parse($("editor-text").value);
    } catch (error) {
      showProblems([`The text is not JSON: ${error.message}`]);
      return;
    }
  }
  try {
    const saved = editing
      ? await api("PUT", `/__admin/endpoints/${encodeURIComponent(editing)}`, body, type)
      : await api("POST", "/__admin/endpoints", body, type);
    $("editor").hidden = true;
    editing = null;
    await load();
    $("endpoint-count").textContent = `Saved ${saved.id}. ${$("endpoint-count").textContent}`;
    $("endpoint-new").focus();
  } catch (error) {
    if (error instanceof ApiError && error.body && Array.isArray(error.body.problems)) {
      showProblems(error.body.problems.map(problemLine));
    } else {
      const line = error instanceof ApiError && error.body && error.body.line ? ` (line ${error.body.line})` : "";
      showProblems([error.message + line]);
    }
  }
}

// --- import -----------------------------------------------------------------------

function setupImport() {
  const zone = $("import-drop");
  $("import-file").addEventListener("change", () => {
    const [file] = $("import-file").files;
    if (file) upload(file);
  });
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  $("import-folder").addEventListener("change", () => {
    const picked = $("import-folder").files;
    if (picked.length) uploadFolder(folderName(picked[0].webkitRelativePath), fromInput(picked));
    $("import-folder").value = "";
  });
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    // entries must be taken now: the drop's data is gone once the handler returns
    const entries = [...event.dataTransfer.items].map((item) => item.webkitGetAsEntry && item.webkitGetAsEntry()).filter(Boolean);
    const folder = entries.find((entry) => entry.isDirectory);
    if (folder) {
      fromEntries(entries).then((listed) => uploadFolder(folder.name, listed));
      return;
    }
    const [file] = event.dataTransfer.files;
    if (file) upload(file);
  });
}

function folderName(path) {
  return (path || "").split("/")[0] || "the folder";
}

/** Send a WireMock folder's mappings, their bodyFileName bodies inlined, as one import. */
async function uploadFolder(name, listed) {
  const message = $("import-result");
  const read = await readFolder(listed);
  if (read.problems.length) {
    message.textContent = `Not imported (${name}): ${read.problems.join("; ")}`;
    return;
  }
  try {
    const made = await api("POST", "/__admin/import?format=wiremock", { mappings: read.mappings });
    const bodies = read.inlined ? `, ${read.inlined} bod${read.inlined === 1 ? "y" : "ies"} from __files` : "";
    message.textContent = `Imported ${made.imported} stub${made.imported === 1 ? "" : "s"} from the folder ${name}${bodies}: ${made.ids.join(", ")}.`;
    await load();
  } catch (error) {
    const problems = error instanceof ApiError && error.body && Array.isArray(error.body.problems) ? error.body.problems : [];
    const located = problems.map((problem) => problemLine(inFile(problem, read.origins)));
    message.textContent = `Not imported (${name}): ${[error.message, ...located].join("; ")}`;
  }
}

/** A problem whose pointer names /mappings/N, told by the file mapping N came from. */
function inFile(problem, origins) {
  const found = /^\/mappings\/(\d+)(.*)$/.exec(problem.pointer || "");
  if (!found || origins[Number(found[1])] === undefined) return problem;
  const origin = origins[Number(found[1])];
  return { ...problem, pointer: found[2] ? `${origin} at ${found[2]}` : origin };
}

/** Send one file to POST /__admin/import; JSON unless it does not parse as JSON. */
async function upload(file) {
  const text = await file.text();
  let type = "application/json";
  try {
    JSON.parse(text);
  } catch {
    type = "application/yaml";
  }
  const format = $("import-format").value;
  const message = $("import-result");
  try {
    const made = await api("POST", `/__admin/import?format=${encodeURIComponent(format)}`, text, type);
    message.textContent = `Imported ${made.imported} stub${made.imported === 1 ? "" : "s"} from ${file.name}: ${made.ids.join(", ")}.`;
    await load();
  } catch (error) {
    const problems = error instanceof ApiError && error.body && Array.isArray(error.body.problems) ? error.body.problems : [];
    message.textContent = `Not imported (${file.name}): ${[error.message, ...problems.map(problemLine)].join("; ")}`;
  }
  $("import-file").value = "";
}

export function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(load, 200);
}
