// A WireMock folder (mappings/ and __files/) read in the browser, picked with a folder
// input or dropped: its mappings as one {"mappings": [...]} for POST /__admin/import, each
// bodyFileName replaced by the file's content (body, or base64Body when it is not UTF-8
// text). Only the uploaded files are read (the browser has no other), and a name that
// climbs out of __files/ or is not among them is a problem: nothing is imported then.

/** {path, file} of every file a folder input holds (paths from the folder picked). */
export function fromInput(files) {
  return [...files].map((file) => ({ path: file.webkitRelativePath || file.name, file }));
}

/** {path, file} of every file under dropped entries (FileSystemEntry, WHATWG File and
 *  Directory Entries API), their paths from the dropped folder. */
export async function fromEntries(entries) {
  const found = [];
  for (const entry of entries) found.push(...(await walk(entry, "")));
  return found;
}

async function walk(entry, prefix) {
  const path = prefix + entry.name;
  if (entry.isFile) return [{ path, file: await new Promise((done, fail) => entry.file(done, fail)) }];
  const reader = entry.createReader();
  const found = [];
  for (;;) {
    const batch = await new Promise((done, fail) => reader.readEntries(done, fail));
    if (!batch.length) return found;
    for (const child of batch) found.push(...(await walk(child, `${path}/`)));
  }
}

function segments(path) {
  return path.split("/").filter((part) => part !== "" && part !== ".");
}

/** Where ``name`` (a directory) is in a path's folders, or -1. */
function folderAt(parts, name) {
  return parts.slice(0, -1).indexOf(name);
}

/** A bodyFileName as a path under __files/, or null when it climbs out. */
function underFiles(name) {
  const kept = [];
  for (const part of segments(name.replace(/\\/g, "/"))) {
    if (part !== "..") kept.push(part);
    else if (!kept.length) return null;
    else kept.pop();
  }
  return kept.join("/");
}

function isText(bytes) {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

function base64(bytes) {
  let text = "";
  for (let start = 0; start < bytes.length; start += 0x8000) {
    text += String.fromCharCode(...bytes.subarray(start, start + 0x8000));
  }
  return btoa(text);
}

/**
 * The folder's mappings, bodies inlined: {mappings, origins (the file each came from),
 * inlined (bodies read), problems}. The mapping files are the .json files under a
 * ``mappings/`` folder (or every .json file when there is none: the mappings folder
 * itself was picked); the bodies are under the ``__files/`` beside it.
 */
export async function readFolder(listed) {
  const problems = [];
  const visible = listed.filter(({ path }) => !segments(path).some((part) => part.startsWith(".")));
  const withMappings = visible.filter(({ path }) => folderAt(segments(path), "mappings") >= 0);
  let mappingFiles;
  let root = "";
  if (withMappings.length) {
    const roots = new Set(withMappings.map(({ path }) => {
      const parts = segments(path);
      return parts.slice(0, folderAt(parts, "mappings")).join("/");
    }));
    if (roots.size > 1) {
      problems.push(`several WireMock folders (${[...roots].map((r) => `${r || "."}/mappings`).join(", ")}): import each on its own`);
      return { mappings: [], origins: [], inlined: 0, problems };
    }
    [root] = roots;
    const prefix = root ? `${root}/mappings/` : "mappings/";
    mappingFiles = withMappings.filter(({ path }) => segments(path).join("/").startsWith(prefix));
  } else {
    mappingFiles = visible.filter(({ path }) => folderAt(segments(path), "__files") < 0);
  }
  mappingFiles = mappingFiles.filter(({ path }) => path.toLowerCase().endsWith(".json"));
  const filesPrefix = root ? `${root}/__files/` : "__files/";
  const bodies = new Map();
  for (const { path, file } of visible) {
    const joined = segments(path).join("/");
    if (joined.startsWith(filesPrefix)) bodies.set(joined.slice(filesPrefix.length), file);
  }
  if (!mappingFiles.length) problems.push("no .json mapping file under mappings/");
  const mappings = [];
  const origins = [];
  let inlined = 0;
  mappingFiles.sort((a, b) => a.path.localeCompare(b.path));
  for (const { path, file } of mappingFiles) {
    let data;
    try {
      data = JSON.parse(await file.text());
    } catch (error) {
      problems.push(`${path}: not JSON: ${error.message}`);
      continue;
    }
    const listedHere = data && Array.isArray(data.mappings) ? data.mappings : data && data.request ? [data] : null;
    if (!listedHere) {
      problems.push(`${path}: not a WireMock mapping or a JSON with "mappings"`);
      continue;
    }
    for (const [index, mapping] of listedHere.entries()) {
      const where = listedHere === data.mappings ? `${path} mapping ${index}` : path;
      const response = mapping && mapping.response;
      const name = response && response.bodyFileName;
      if (typeof name === "string") {
        const resolved = await inline(response, name, bodies, where, problems);
        if (!resolved) continue;
        mapping.response = resolved;
        inlined += 1;
      }
      mappings.push(mapping);
      origins.push(where);
    }
  }
  return { mappings, origins, inlined, problems };
}

/** ``response`` with its bodyFileName's content instead, or null (a problem said why). */
async function inline(response, name, bodies, where, problems) {
  if (name.includes("{{")) {
    problems.push(`${where}: bodyFileName ${JSON.stringify(name)} is a template: it names a file only when a request comes`);
    return null;
  }
  const key = underFiles(name);
  if (key === null) {
    problems.push(`${where}: bodyFileName ${JSON.stringify(name)} leaves __files/`);
    return null;
  }
  const file = bodies.get(key);
  if (!file) {
    problems.push(`${where}: bodyFileName ${JSON.stringify(name)} is not in the folder's __files/`);
    return null;
  }
  const bytes = new Uint8Array(await file.arrayBuffer());
  const { bodyFileName, ...rest } = response;
  const text = isText(bytes);
  return text === null ? { ...rest, base64Body: base64(bytes) } : { ...rest, body: text };
}
