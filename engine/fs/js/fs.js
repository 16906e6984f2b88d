// zinnia:fs — read-only access to the files the app manifest grants this component:
// the live monitor tree (logs, manifest, status) and granted host folders.
const host = import.meta.host;

const messages = {
  NotFound: "No such file or directory",
  PermissionDenied: "Permission denied",
  NotADirectory: "Not a directory",
  IsADirectory: "Is a directory",
  NotSupported: "Operation not supported",
  Io: "Input/output error",
  NotAFile: "Not a regular file (a FIFO, socket or device is never read)",
  TooLarge: "File larger than the readFile limit",
};

// The base of every zinnia:fs error; `path` is the guest path the call was given.
export class FsError extends Error {
  constructor(message, path) {
    super(`${message}: ${path}`);
    this.path = path;
  }
  get name() {
    return this.constructor.name;
  }
}
export class NotFound extends FsError {}
export class PermissionDenied extends FsError {}
export class NotADirectory extends FsError {}
export class IsADirectory extends FsError {}
export class NotSupported extends FsError {}
export class Io extends FsError {}
export class NotAFile extends FsError {}
export class TooLarge extends FsError {}
const classes = {
  NotFound,
  PermissionDenied,
  NotADirectory,
  IsADirectory,
  NotSupported,
  Io,
  NotAFile,
  TooLarge,
};

function fsError(code, path) {
  const Class = classes[code] ?? Io;
  return new Class(messages[code] ?? code, path);
}

function checkPath(path) {
  if (typeof path !== "string") {
    throw new TypeError(`zinnia:fs: path must be a string, got ${typeof path}`);
  }
  return path;
}

async function call(fn, path, ...args) {
  checkPath(path);
  try {
    return await fn(path, ...args);
  } catch (code) {
    if (typeof code === "string") throw fsError(code, path);
    throw code;
  }
}

/** Reads a whole file: Promise<Uint8Array>. */
export function readFile(path) {
  return call(host.fsReadFile, path);
}

/** Reads a whole file as UTF-8 text: Promise<string>. */
export async function readTextFile(path) {
  return new TextDecoder().decode(await readFile(path));
}

/** Lists a folder: Promise<Array<{name, isFile, isDirectory}>>. */
export function readDir(path) {
  return call(host.fsReadDir, path);
}

/** Promise<{size, mtime: Date, isFile, isDirectory}>. */
export function stat(path) {
  return call(host.fsStat, path);
}

const CHUNK = 1 << 20;

/**
 * Follows a growing file like `tail -f`: an async iterator of the text appended to it.
 * `from`: "end" (default: only what is appended from now on), "start", or a byte offset.
 * Waits for a file that does not exist yet. Wakes on appends (no polling); ends when the
 * iterator is closed (`break` out of `for await`, or `return()`).
 */
export async function* follow(path, { from = "end" } = {}) {
  checkPath(path);
  let offset = from === "start" ? 0 : typeof from === "number" ? from : null;
  if (offset === null && from !== "end") {
    throw new TypeError(`zinnia:fs: follow(): 'from' must be "start", "end" or a byte offset`);
  }
  let dirty = true;
  let wake = null;
  // Watch before the first look, so no append falls between the look and the watch.
  const id = host.fsWatch(path, () => {
    dirty = true;
    if (wake) {
      const w = wake;
      wake = null;
      w();
    }
  });
  if (typeof id === "string") throw fsError(id, path);
  const decoder = new TextDecoder();
  try {
    if (offset === null) {
      try {
        offset = (await stat(path)).size;
      } catch (e) {
        if (!(e instanceof NotFound)) throw e;
        offset = 0;
      }
    }
    for (;;) {
      if (!dirty) await new Promise((resolve) => (wake = resolve));
      dirty = false;
      let size;
      try {
        size = (await stat(path)).size;
      } catch (e) {
        if (e instanceof NotFound) continue;
        throw e;
      }
      while (offset < size) {
        const chunk = await call(host.fsRead, path, offset, Math.min(size - offset, CHUNK));
        if (chunk.byteLength === 0) break;
        offset += chunk.byteLength;
        const text = decoder.decode(chunk, { stream: true });
        if (text) yield text;
      }
    }
  } finally {
    host.fsUnwatch(id);
  }
}

// The tree and the grants are read-only: every write is refused, naming the path.
function readOnly(path) {
  checkPath(path);
  return Promise.reject(new PermissionDenied("Read-only file system", path));
}
export const writeFile = (path) => readOnly(path);
export const writeTextFile = (path) => readOnly(path);
export const mkdir = (path) => readOnly(path);
export const remove = (path) => readOnly(path);
export const rename = (path) => readOnly(path);

export default {
  readFile,
  readTextFile,
  readDir,
  stat,
  follow,
  FsError,
  NotFound,
  PermissionDenied,
  NotADirectory,
  IsADirectory,
  NotSupported,
  Io,
  NotAFile,
  TooLarge,
  writeFile,
  writeTextFile,
  mkdir,
  remove,
  rename,
};
