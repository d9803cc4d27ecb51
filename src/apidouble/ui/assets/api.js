// Calls to the admin API, with the admin token when one was given, and the live stream.
// The token stays in sessionStorage (this tab only) and only ever goes in a header.

const TOKEN_KEY = "apidouble.admin-token";
const listeners = new Set();

export function token() {
  return sessionStorage.getItem(TOKEN_KEY) || "";
}

export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** Called with no argument whenever the server asks for the token (a 401). */
export function onUnauthorized(callback) {
  listeners.add(callback);
}

function headers(extra) {
  const all = { ...extra };
  const given = token();
  if (given) all.Authorization = `Bearer ${given}`;
  return all;
}

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error) || `the server answered ${status}`);
    this.status = status;
    this.body = body;
  }
}

/**
 * One admin call; the parsed JSON answer, or an ApiError carrying the server's body. A
 * string body is sent as it is, as ``type`` (JSON unless told: YAML, an uploaded file).
 */
export async function api(method, path, body, type = "application/json") {
  const init = { method, headers: headers(body === undefined ? {} : { "Content-Type": type }) };
  if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
  const answer = await fetch(path, init);
  const text = await answer.text();
  let parsed = null;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = { error: text };
    }
  }
  if (answer.status === 401) listeners.forEach((callback) => callback());
  if (!answer.ok) throw new ApiError(answer.status, parsed);
  return parsed;
}

/** Parse a text/event-stream body into {event, data} records (WHATWG HTML 9.2). */
export function* parseEvents(buffer) {
  let start = 0;
  for (;;) {
    const end = buffer.text.indexOf("\n\n", start);
    if (end < 0) break;
    const block = buffer.text.slice(start, end);
    start = end + 2;
    let event = "message";
    const data = [];
    for (const line of block.split("\n")) {
      if (line.startsWith("event:")) event = line.slice(6).trim();
      else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
    }
    if (data.length) yield { event, data: data.join("\n") };
  }
  buffer.text = buffer.text.slice(start);
}

/**
 * Follow GET /__admin/ui/live with fetch (so the token goes in a header, never in the
 * URL), calling onEvent(name, data) per event; reconnects after a pause until stopped.
 * onStatus("connected") comes with the first bytes of each connection (so after a
 * reconnect the caller can read what was journaled while it was down), "reconnecting"
 * after each drop. Returns a function that stops it.
 */
export function follow(onEvent, onStatus) {
  let stopped = false;
  let controller = null;
  async function run() {
    while (!stopped) {
      controller = new AbortController();
      try {
        const answer = await fetch("live", {
          headers: headers({ Accept: "text/event-stream" }),
          signal: controller.signal,
        });
        if (answer.status === 401) {
          listeners.forEach((callback) => callback());
          return;
        }
        if (!answer.ok || !answer.body) throw new Error(`live stream: ${answer.status}`);
        const reader = answer.body.pipeThrough(new TextDecoderStream()).getReader();
        const buffer = { text: "" };
        let first = true;
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          if (first) {
            // the server sends its first bytes once it knows the last entry it will not
            // send: whatever is journaled up to then can be read from the journal
            first = false;
            onStatus("connected");
          }
          buffer.text += value.replace(/\r\n?/g, "\n");
          for (const { event, data } of parseEvents(buffer)) onEvent(event, JSON.parse(data));
        }
      } catch (error) {
        if (stopped) return;
      }
      if (stopped) return;
      onStatus("reconnecting");
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
  run();
  return () => {
    stopped = true;
    if (controller) controller.abort();
  };
}
