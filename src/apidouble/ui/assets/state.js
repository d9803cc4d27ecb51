// State: the scenarios the stubs name (WireMock's /__admin/scenarios), set and reset; the
// CRUD resources served (/__admin/resources) with their rows, read through each one's own
// HTTP path; and the open WebSocket sessions, with a box to send them a message.

import { api } from "./api.js";
import { $, el, pretty } from "./util.js";

export function setup() {
  $("scenario-reset").addEventListener("click", async () => {
    await run(() => api("POST", "/__admin/scenarios/reset"), "Every scenario is back to Started.");
  });
  $("ws-refresh").addEventListener("click", loadSessions);
  $("ws-form").addEventListener("submit", (event) => {
    event.preventDefault();
    send();
  });
}

export async function enter() {
  await Promise.all([load(), loadResources(), loadSessions()]);
}

async function run(change, message) {
  try {
    await change();
    $("state-message").textContent = message;
  } catch (error) {
    $("state-message").textContent = `Not changed: ${error.message}`;
  }
  await load();
}

async function load() {
  let scenarios;
  try {
    scenarios = (await api("GET", "/__admin/scenarios")).scenarios;
  } catch (error) {
    $("state-message").textContent = `Could not read the scenarios: ${error.message}`;
    return;
  }
  $("state-empty").hidden = scenarios.length > 0;
  $("scenario-table").tBodies[0].replaceChildren(
    ...scenarios.map((scenario, index) => {
      const select = el(
        "select",
        { id: `scenario-state-${index}`, "aria-label": `New state of ${scenario.name}` },
        scenario.possibleStates.map((name) => el("option", { selected: name === scenario.state }, name)),
      );
      const set = () =>
        run(
          () => api("PUT", `/__admin/scenarios/${encodeURIComponent(scenario.name)}/state`, { state: select.value }),
          `${scenario.name} is now in state ${select.value}.`,
        );
      return el(
        "tr",
        { "data-scenario": scenario.name },
        el("th", { scope: "row" }, scenario.name),
        el("td", { class: "current" }, scenario.state),
        el(
          "td",
          { class: "row-actions" },
          select,
          el("button", { type: "button", class: "small", onclick: set, "aria-label": `Set the state of ${scenario.name}` }, "Set"),
        ),
      );
    }),
  );
}

// --- CRUD resources ------------------------------------------------------------------

async function loadResources() {
  let resources;
  try {
    resources = (await api("GET", "/__admin/resources")).resources;
  } catch (error) {
    $("resources-empty").textContent = `Could not read the resources: ${error.message}`;
    $("resources-empty").hidden = false;
    return;
  }
  $("resources-empty").hidden = resources.length > 0;
  $("resource-table").tBodies[0].replaceChildren(
    ...resources.map((resource) =>
      el(
        "tr",
        { "data-resource": resource.name },
        el("th", { scope: "row" }, resource.name),
        el("td", {}, el("code", {}, resource.path)),
        el("td", { class: "rows" }, resource.rows === null ? "one object" : String(resource.rows)),
        el(
          "td",
          {},
          el("button", { type: "button", class: "small", onclick: () => showRows(resource), "aria-label": `Show the rows of ${resource.name}` }, "Show rows"),
        ),
      ),
    ),
  );
}

/** The rows as the resource serves them (its own path: json-server's answer). */
async function showRows(resource) {
  const answer = await fetch(resource.path, { headers: { Accept: "application/json" } });
  const text = await answer.text();
  $("resource-rows-title").textContent = `${resource.name} (${resource.path}, ${answer.status})`;
  $("resource-rows-body").textContent = pretty(text);
  $("resource-rows").hidden = false;
}

// --- WebSocket sessions --------------------------------------------------------------

async function loadSessions() {
  let sessions;
  try {
    sessions = (await api("GET", "/__admin/websockets")).websockets;
  } catch (error) {
    $("ws-message").textContent = `Could not read the sessions: ${error.message}`;
    return;
  }
  $("ws-empty").hidden = sessions.length > 0;
  $("ws-table").tBodies[0].replaceChildren(
    ...sessions.map((session) =>
      el(
        "tr",
        { "data-session": session.id },
        el("td", {}, el("code", {}, session.path)),
        el("td", {}, session.client || ""),
        el("td", {}, new Date(session.opened_at * 1000).toLocaleTimeString([], { hour12: false })),
        el("td", {}, `${session.messages_in} in, ${session.messages_out} out`),
      ),
    ),
  );
  const select = $("ws-path");
  const chosen = select.value;
  const paths = [...new Set(sessions.map((session) => session.path))].sort();
  select.replaceChildren(...paths.map((path) => el("option", { value: path, selected: path === chosen }, path)));
  $("ws-send").disabled = paths.length === 0;
}

async function send() {
  const path = $("ws-path").value;
  const text = $("ws-text").value;
  let message = text;
  if ($("ws-json").checked) {
    try {
      message = { json: JSON.parse(text) };
    } catch (error) {
      $("ws-message").textContent = `Not sent: the message is not JSON (${error.message}).`;
      return;
    }
  }
  try {
    const { sent } = await api("POST", "/__admin/websockets/send", { path, message });
    $("ws-message").textContent = `Sent to ${sent} session${sent === 1 ? "" : "s"} on ${path}.`;
  } catch (error) {
    $("ws-message").textContent = `Not sent: ${error.message}`;
  }
  await loadSessions();
}
