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

// follow()'s errors say what follow() cannot do, rather than the bare errno text.
const followMessages = {
  IsADirectory: "Is a directory (follow() reads a growing log file)",
  NotSupported:
    "Operation not supported (follow() reads growing logs of the monitor tree, such as " +
    "stdout.txt; read other files with readFile())",
};

/**
 * Follows a growing file like `tail -f`: an async iterator of the text appended to it.
 * `from`: "end" (default: only what is appended from now on), "start", or a byte offset.
 * Waits for a file that does not exist yet. Wakes on appends (no polling); ends when the
 * iterator is closed (`break` out of `for await`, or `return()`, which settles at once and
 * ends a pending `next()` with `done: true`).
 */
export function follow(path, options = {}) {
  let error = null;
  let offset = null;
  const from = options?.from ?? "end";
  if (typeof path !== "string") {
    error = new TypeError(`zinnia:fs: path must be a string, got ${typeof path}`);
  } else if (from === "start") {
    offset = 0;
  } else if (typeof from === "number") {
    if (Number.isSafeInteger(from) && from >= 0) offset = from;
    else {
      error = new RangeError(
        `zinnia:fs: follow(): 'from' must be a byte offset (a whole number from 0), got ${from}`,
      );
    }
  } else if (from !== "end") {
    const got = typeof from === "string" ? JSON.stringify(from) : typeof from;
    error = new TypeError(
      `zinnia:fs: follow(): 'from' must be "start", "end" or a byte offset, got ${got}`,
    );
  }
  return new Follower(path, offset, error);
}

// Not an async generator: a generator's return() waits behind a pending next(), so closing
// a follow() that waits for appends would never settle.
class Follower {
  #path;
  #offset; // null: the end, once looked at
  #error; // an argument error, thrown by the first next()
  #id = null;
  #started = false;
  #closed = false;
  #dirty = true;
  #size = 0;
  #wake = null;
  #decoder = new TextDecoder();
  #queue = Promise.resolve();

  constructor(path, offset, error) {
    this.#path = path;
    this.#offset = offset;
    this.#error = error;
  }

  [Symbol.asyncIterator]() {
    return this;
  }

  next() {
    // One step at a time, in call order, as a generator does.
    const step = this.#queue.then(() => this.#step());
    this.#queue = step.catch(() => {});
    return step;
  }

  return(value) {
    this.#close();
    return Promise.resolve({ value, done: true });
  }

  throw(error) {
    this.#close();
    return Promise.reject(error);
  }

  #close() {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#id !== null) host.fsUnwatch(this.#id);
    this.#id = null;
    this.#wakeUp();
  }

  #wakeUp() {
    if (this.#wake) {
      const w = this.#wake;
      this.#wake = null;
      w();
    }
  }

  #start() {
    this.#started = true;
    if (this.#error) throw this.#error;
    // Watch before the first look, so no append falls between the look and the watch.
    const id = host.fsWatch(this.#path, () => {
      this.#dirty = true;
      this.#wakeUp();
    });
    if (typeof id === "string") {
      const message = followMessages[id];
      throw message ? new classes[id](message, this.#path) : fsError(id, this.#path);
    }
    this.#id = id;
  }

  async #step() {
    const done = { value: undefined, done: true };
    if (this.#closed) return done;
    try {
      if (!this.#started) {
        this.#start();
        if (this.#offset === null) {
          try {
            this.#offset = (await stat(this.#path)).size;
          } catch (e) {
            if (!(e instanceof NotFound)) throw e;
            this.#offset = 0;
          }
        }
      }
      for (;;) {
        if (this.#closed) return done;
        if (this.#offset < this.#size) {
          const want = Math.min(this.#size - this.#offset, CHUNK);
          const chunk = await call(host.fsRead, this.#path, this.#offset, want);
          if (this.#closed) return done;
          if (chunk.byteLength === 0) {
            this.#size = this.#offset; // shrank under us: wait for the next change
            continue;
          }
          this.#offset += chunk.byteLength;
          const text = this.#decoder.decode(chunk, { stream: true });
          if (text) return { value: text, done: false };
          continue;
        }
        if (!this.#dirty) {
          await new Promise((resolve) => (this.#wake = resolve));
          continue;
        }
        this.#dirty = false;
        try {
          this.#size = (await stat(this.#path)).size;
        } catch (e) {
          if (!(e instanceof NotFound)) throw e;
        }
      }
    } catch (e) {
      if (this.#closed) return done; // closed while a read was under way
      this.#close();
      throw e;
    }
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
