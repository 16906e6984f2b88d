// FormData (XMLHttpRequest Standard) and its multipart/form-data encoding (HTML Standard) and
// parsing (Fetch Standard's formData()), for fetch.js.
(globalThis, host, internals) => {
  "use strict";
  const define = (name, value) =>
    Object.defineProperty(globalThis, name, {
      value,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  const { Blob, File, TextEncoder, TextDecoder, URLSearchParams } = globalThis;
  const B = internals.blob;
  const encoder = new TextEncoder();

  const usv = (s) => {
    s = String(s);
    return typeof s.toWellFormed === "function" ? s.toWellFormed() : s;
  };
  const kEntries = Symbol("entries");

  // "create an entry": a Blob becomes a File (named "blob", or the given filename).
  function entry(name, value, filename, hasFilename) {
    name = usv(name);
    if (value instanceof Blob) {
      if (!(value instanceof File) || hasFilename) {
        const fname = hasFilename ? usv(filename) : value instanceof File ? value.name : "blob";
        value = B.file(value, fname, value instanceof File ? value.lastModified : undefined);
      }
      return [name, value];
    }
    return [name, usv(value)];
  }
  function entries(self, what) {
    const list = self?.[kEntries];
    if (!list) throw new TypeError(`FormData.${what}: 'this' is not a FormData`);
    return list;
  }
  function needArgs(args, n, what) {
    if (args.length < n)
      throw new TypeError(
        `FormData.${what}: ${n} argument${n > 1 ? "s" : ""} required, ${args.length} given`,
      );
  }

  class FormData {
    constructor(form = undefined, submitter = undefined) {
      if (form !== undefined)
        throw new TypeError(
          "FormData constructor: there are no HTML forms here; the argument must be undefined",
        );
      void submitter;
      this[kEntries] = [];
    }
    append(name, value, filename = undefined) {
      needArgs(arguments, 2, "append");
      if (arguments.length > 2 && !(value instanceof Blob))
        throw new TypeError("FormData.append: a filename needs a Blob value");
      entries(this, "append").push(entry(name, value, filename, arguments.length > 2));
    }
    delete(name) {
      needArgs(arguments, 1, "delete");
      const list = entries(this, "delete");
      name = usv(name);
      for (let i = list.length - 1; i >= 0; i--) if (list[i][0] === name) list.splice(i, 1);
    }
    get(name) {
      needArgs(arguments, 1, "get");
      name = usv(name);
      const e = entries(this, "get").find((x) => x[0] === name);
      return e ? e[1] : null;
    }
    getAll(name) {
      needArgs(arguments, 1, "getAll");
      name = usv(name);
      return entries(this, "getAll")
        .filter((x) => x[0] === name)
        .map((x) => x[1]);
    }
    has(name) {
      needArgs(arguments, 1, "has");
      name = usv(name);
      return entries(this, "has").some((x) => x[0] === name);
    }
    set(name, value, filename = undefined) {
      needArgs(arguments, 2, "set");
      if (arguments.length > 2 && !(value instanceof Blob))
        throw new TypeError("FormData.set: a filename needs a Blob value");
      const list = entries(this, "set");
      const e = entry(name, value, filename, arguments.length > 2);
      const i = list.findIndex((x) => x[0] === e[0]);
      if (i < 0) {
        list.push(e);
        return;
      }
      list[i] = e;
      for (let j = list.length - 1; j > i; j--) if (list[j][0] === e[0]) list.splice(j, 1);
    }
    forEach(callback, thisArg = undefined) {
      const list = entries(this, "forEach");
      if (typeof callback !== "function")
        throw new TypeError("FormData.forEach: the callback must be a function");
      for (let i = 0; i < list.length; i++) callback.call(thisArg, list[i][1], list[i][0], this);
    }
    entries() {
      return iterator(entries(this, "entries"), "entries");
    }
    keys() {
      return iterator(entries(this, "keys"), "keys");
    }
    values() {
      return iterator(entries(this, "values"), "values");
    }
  }
  FormData.prototype[Symbol.iterator] = FormData.prototype.entries;
  Object.defineProperty(FormData.prototype, Symbol.toStringTag, {
    value: "FormData",
    configurable: true,
  });

  // A live iterator, as WebIDL's pair iterators are: it sees entries added while iterating.
  const IteratorProto = Object.create(
    Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())),
    {
      next: {
        value: function next() {
          const s = this[kIter];
          if (!s) throw new TypeError("next: 'this' is not a FormData Iterator");
          if (s.index >= s.list.length) return { value: undefined, done: true };
          const [k, v] = s.list[s.index++];
          return { value: s.kind === "keys" ? k : s.kind === "values" ? v : [k, v], done: false };
        },
        writable: true,
        configurable: true,
        enumerable: true,
      },
      [Symbol.toStringTag]: { value: "FormData Iterator", configurable: true },
    },
  );
  const kIter = Symbol("iter");
  function iterator(list, kind) {
    const it = Object.create(IteratorProto);
    it[kIter] = { list, kind, index: 0 };
    return it;
  }

  // ---- multipart/form-data ----
  const crlf = (s) => s.replace(/\r\n|\r(?!\n)|(?<!\r)\n/g, "\r\n");
  const escapeName = (s) => s.replace(/\n/g, "%0A").replace(/\r/g, "%0D").replace(/"/g, "%22");
  function encode(fd) {
    const rand = new Uint8Array(12);
    crypto.getRandomValues(rand);
    const boundary = `----formdata-zinnia-${Array.from(rand, (b) => b.toString(16).padStart(2, "0")).join("")}`;
    const chunks = [];
    for (const [name, value] of entries(fd, "encode")) {
      let head = `--${boundary}\r\nContent-Disposition: form-data; name="${escapeName(crlf(name))}"`;
      if (typeof value === "string") {
        chunks.push(
          encoder.encode(`${head}\r\n\r\n`),
          encoder.encode(crlf(value)),
          encoder.encode("\r\n"),
        );
      } else {
        head += `; filename="${escapeName(value.name)}"\r\nContent-Type: ${value.type || "application/octet-stream"}\r\n\r\n`;
        chunks.push(encoder.encode(head), B.bytes(value), encoder.encode("\r\n"));
      }
    }
    chunks.push(encoder.encode(`--${boundary}--\r\n`));
    let total = 0;
    for (const c of chunks) total += c.byteLength;
    const out = new Uint8Array(total);
    let off = 0;
    for (const c of chunks) {
      out.set(c, off);
      off += c.byteLength;
    }
    return { bytes: out, type: `multipart/form-data; boundary=${boundary}` };
  }

  // The value of `param` in a MIME type's parameters (quoted or not), or null.
  function mimeParam(type, param) {
    const re = new RegExp(`;\\s*${param}\\s*=\\s*("((?:[^"\\\\]|\\\\.)*)"|[^;]*)`, "i");
    const m = re.exec(type);
    if (!m) return null;
    return m[2] !== undefined ? m[2].replace(/\\(.)/g, "$1") : m[1].trim();
  }
  const utf8 = new TextDecoder();
  const utf8KeepBOM = new TextDecoder("utf-8", { ignoreBOM: true });
  // The parsing itself is native (engine/web/multipart.cc, fuzzed): names, filenames and
  // types come back as strings, each body as its place in `bytes`.
  function parseMultipart(bytes, boundary) {
    const fd = new FormData();
    for (const [name, filename, type, offset, size] of host.multipartParse(bytes, boundary)) {
      const body = bytes.subarray(offset, offset + size);
      if (filename !== null) fd.append(name, new File([body.slice()], filename, { type }));
      else fd.append(name, utf8.decode(body));
    }
    return fd;
  }
  function parse(bytes, contentType) {
    const essence = (contentType ?? "").split(";")[0].trim().toLowerCase();
    if (essence === "multipart/form-data") {
      const boundary = mimeParam(contentType, "boundary");
      if (!boundary) throw new TypeError("formData: multipart/form-data without a boundary");
      return parseMultipart(bytes, boundary);
    }
    if (essence === "application/x-www-form-urlencoded") {
      const fd = new FormData();
      // The urlencoded parser keeps a BOM and a leading "?" (URLSearchParams' string
      // constructor would drop the "?").
      for (const [k, v] of internals.urlencodedParse(utf8KeepBOM.decode(bytes))) fd.append(k, v);
      return fd;
    }
    throw new TypeError(`formData: cannot parse a body of type "${contentType ?? ""}"`);
  }

  internals.formdata = Object.freeze({ encode, parse });
  define("FormData", FormData);
};
