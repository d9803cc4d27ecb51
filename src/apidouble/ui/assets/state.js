// State: the scenarios the stubs name (WireMock's /__admin/scenarios), set and reset.

import { api } from "./api.js";
import { $, el } from "./util.js";

export function setup() {
  $("scenario-reset").addEventListener("click", async () => {
    await run(() => api("POST", "/__admin/scenarios/reset"), "Every scenario is back to Started.");
  });
}

export async function enter() {
  await load();
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
