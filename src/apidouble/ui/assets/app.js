// The UI's entry: hash routes, the token prompt, and the one live stream every view reads.

import { api, follow, onUnauthorized, setToken, token } from "./api.js";
import * as endpoints from "./endpoints.js";
import * as live from "./live.js";
import * as state from "./state.js";
import * as dashboard from "./dashboard.js";

const VIEWS = { endpoints, live, state, dashboard };
const TITLES = { endpoints: "Endpoints", live: "Live traffic", state: "State", dashboard: "Dashboard" };
let stopStream = null;
let current = null;
let historyLoaded = false;

function $(id) {
  return document.getElementById(id);
}

function viewName() {
  const name = location.hash.replace(/^#\/?/, "").split("?")[0];
  return name in VIEWS ? name : "endpoints";
}

function show(name, { focus = true } = {}) {
  for (const key of Object.keys(VIEWS)) $(`view-${key}`).hidden = key !== name;
  for (const link of document.querySelectorAll("nav a")) {
    if (link.dataset.view === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  document.title = `${TITLES[name]} - apidouble`;
  current = name;
  VIEWS[name].enter();
  if (focus) $(`${name}-title`).focus({ preventScroll: true });
}

function askForToken(message) {
  if (stopStream) stopStream();
  stopStream = null;
  for (const key of Object.keys(VIEWS)) $(`view-${key}`).hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = message || "";
  $("stream-status").textContent = "signed out";
  $("login-token").focus();
}

/** Whether the server knows us: /__admin/health answers its details only with the token. */
async function signedIn() {
  const answer = await fetch("../health", { headers: token() ? { Authorization: `Bearer ${token()}` } : {} });
  const body = await answer.json();
  return "version" in body;
}

function startStream() {
  if (stopStream) return;
  stopStream = follow(
    (event, data) => {
      if (event === "request") {
        live.onRequest(data);
        endpoints.onRequest(data);
        dashboard.onRequest(data);
      } else if (event === "stats") {
        dashboard.onStats(data);
        endpoints.onStats(data);
        live.onStats(data);
      }
    },
    (status) => {
      $("stream-status").textContent = status === "connected" ? "live" : "reconnecting…";
      if (status === "reconnecting") live.onDrop();
      else if (!historyLoaded) {
        historyLoaded = true;
        live.loadHistory();
      } else catchUp();
    },
  );
}

/** After a reconnect: the requests journaled while the stream was down, to every view
 *  that reads requests (the stats events bring the counts). */
async function catchUp() {
  for (const entry of await live.catchUp()) dashboard.onRequest(entry);
}

async function start() {
  for (const title of document.querySelectorAll("h1")) title.tabIndex = -1;
  for (const view of Object.values(VIEWS)) view.setup({ go });
  $("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    setToken($("login-token").value.trim());
    if (await signedIn()) {
      $("login").hidden = true;
      $("login-token").value = "";
      startStream();
      show(viewName());
    } else {
      setToken("");
      askForToken("That token was not accepted.");
    }
  });
  onUnauthorized(() => askForToken("The server asked for the admin token."));
  window.addEventListener("hashchange", () => {
    if ($("login").hidden) show(viewName());
  });
  if (!(await signedIn())) {
    askForToken(token() ? "That token was not accepted." : "");
    return;
  }
  startStream();
  show(viewName(), { focus: false });
}

/** Switch views from code (a view asking to open another one). */
function go(name) {
  if (location.hash === `#/${name}`) show(name);
  else location.hash = `#/${name}`;
}

export function currentView() {
  return current;
}

start();
