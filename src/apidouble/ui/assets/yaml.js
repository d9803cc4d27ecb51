// JSON data as block YAML, for the editor's YAML mode. Only writing: the browser has no
// YAML parser, so the server reads YAML (POST/PUT with content-type application/yaml).
// Every string that could read as something else is written as a JSON string, which is
// a valid YAML double-quoted scalar.

const PLAIN = /^[A-Za-z_/][A-Za-z0-9_./ -]*$/;
const RESERVED = /^(true|false|null|yes|no|on|off|y|n|~)$/i;

function scalar(value) {
  if (value === null) return "null";
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  const text = String(value);
  return PLAIN.test(text) && !RESERVED.test(text) && !text.endsWith(" ") ? text : JSON.stringify(text);
}

function key(name) {
  return PLAIN.test(name) && !RESERVED.test(name) && !name.includes(" ") ? name : JSON.stringify(name);
}

function empty(value) {
  return Array.isArray(value) ? value.length === 0 : typeof value === "object" && value !== null && Object.keys(value).length === 0;
}

function lines(value, indent) {
  const pad = " ".repeat(indent);
  if (Array.isArray(value)) {
    return value.flatMap((item) => {
      if (typeof item === "object" && item !== null && !empty(item)) {
        const [first, ...rest] = lines(item, indent + 2);
        return [`${pad}- ${first.trimStart()}`, ...rest];
      }
      return [`${pad}- ${inline(item)}`];
    });
  }
  return Object.entries(value).flatMap(([name, item]) => {
    if (typeof item === "object" && item !== null && !empty(item)) {
      return [`${pad}${key(name)}:`, ...lines(item, Array.isArray(item) ? indent : indent + 2)];
    }
    return [`${pad}${key(name)}: ${inline(item)}`];
  });
}

function inline(value) {
  if (Array.isArray(value)) return "[]";
  if (typeof value === "object" && value !== null) return "{}";
  return scalar(value);
}

/** ``data`` (JSON-compatible) as YAML text. */
export function toYaml(data) {
  if (typeof data !== "object" || data === null || empty(data)) return `${inline(data)}\n`;
  return `${lines(data, 0).join("\n")}\n`;
}
