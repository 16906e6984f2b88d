// Blob and File (W3C File API): immutable byte sequences held as a list of Uint8Array parts,
// shared between a blob and its slices. fetch.js takes them as bodies and makes them in blob().
(globalThis, host, internals) => {
  "use strict";
  const define = (name, value) =>
    Object.defineProperty(globalThis, name, {
      value,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();

  const kParts = Symbol("parts"); // Uint8Array[] (never mutated)
  const kSize = Symbol("size");
  const kType = Symbol("type");

  // USVString: lone surrogates become U+FFFD.
  const usv = (s) =>
    typeof s.toWellFormed === "function"
      ? s.toWellFormed()
      : s.replace(
          /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
          "\uFFFD",
        );
  function normalizeType(t) {
    t = String(t);
    return /^[\x20-\x7E]*$/.test(t) ? t.toLowerCase() : "";
  }
  function isObject(v) {
    return v !== null && (typeof v === "object" || typeof v === "function");
  }
  function copyBytes(v) {
    if (
      v instanceof ArrayBuffer ||
      Object.prototype.toString.call(v) === "[object SharedArrayBuffer]"
    )
      return new Uint8Array(v.slice(0));
    return new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
  }
  function isBufferSource(v) {
    return (
      ArrayBuffer.isView(v) ||
      v instanceof ArrayBuffer ||
      Object.prototype.toString.call(v) === "[object SharedArrayBuffer]"
    );
  }
  function options(opts, what) {
    if (opts === undefined || opts === null) return {};
    if (!isObject(opts)) throw new TypeError(`${what}: options must be an object`);
    return opts;
  }
  // WebIDL sequence<BlobPart>: each element is converted as the iteration reaches it (a
  // string's toString() runs before the next element is read, and before the options).
  function readParts(bits, what) {
    // @@iterator is read once (a getter runs once).
    const method = isObject(bits) ? bits[Symbol.iterator] : undefined;
    if (typeof method !== "function")
      throw new TypeError(`${what} must be a sequence (an iterable object)`);
    const list = [];
    for (const part of { [Symbol.iterator]: () => method.call(bits) }) {
      if (part instanceof Blob || isBufferSource(part)) list.push(part);
      else list.push(usv(String(part)));
    }
    return list;
  }
  function convertParts(bits, endings, what) {
    if (bits === undefined) return [];
    if (!isObject(bits) || typeof bits[Symbol.iterator] !== "function") {
      throw new TypeError(`${what}: the parts must be a sequence (an iterable object)`);
    }
    const parts = [];
    for (const part of bits) {
      if (part instanceof Blob) parts.push(...part[kParts]);
      else if (isBufferSource(part)) parts.push(copyBytes(part));
      else {
        let s = usv(String(part));
        if (endings === "native") s = s.replace(/\r\n|\r/g, "\n");
        parts.push(encoder.encode(s));
      }
    }
    return parts;
  }
  // With messaging.js, a Blob is a V8 API object (internals.hostObject), which V8's serializer
  // hands to structuredClone's delegate: so Blobs and Files can be cloned and posted.
  function hostObject(proto) {
    if (typeof internals.hostObject !== "function") return null;
    const obj = internals.hostObject();
    Object.setPrototypeOf(obj, proto);
    return obj;
  }
  function init(blob, parts, type) {
    blob[kParts] = parts;
    blob[kSize] = parts.reduce((n, p) => n + p.byteLength, 0);
    blob[kType] = type;
  }
  function bytesOf(blob) {
    const parts = blob[kParts];
    if (parts.length === 1) return parts[0].slice();
    const out = new Uint8Array(blob[kSize]);
    let off = 0;
    for (const p of parts) {
      out.set(p, off);
      off += p.byteLength;
    }
    return out;
  }
  function check(self, what) {
    if (!isObject(self) || !(kParts in self)) throw new TypeError(`${what}: 'this' is not a Blob`);
  }
  function readEnum(opts, what) {
    let endings = "transparent";
    if (opts.endings !== undefined) {
      endings = String(opts.endings);
      if (endings !== "transparent" && endings !== "native") {
        throw new TypeError(`${what}: endings must be "transparent" or "native", not "${endings}"`);
      }
    }
    return endings;
  }

  class Blob {
    constructor(blobParts = undefined, opts = undefined) {
      // WebIDL: the sequence is converted before the dictionary.
      const list =
        blobParts === undefined ? [] : readParts(blobParts, "Blob constructor: the parts");
      opts = options(opts, "Blob constructor");
      const endings = readEnum(opts, "Blob constructor");
      const type = opts.type === undefined ? "" : normalizeType(opts.type);
      const self = hostObject(new.target.prototype) ?? this;
      init(self, convertParts(list, endings, "Blob constructor"), type);
      return self;
    }
    get size() {
      check(this, "Blob.size");
      return this[kSize];
    }
    get type() {
      check(this, "Blob.type");
      return this[kType];
    }
    slice(start = undefined, end = undefined, contentType = undefined) {
      check(this, "Blob.slice");
      const size = this[kSize];
      const clamp = (v, dflt) => {
        if (v === undefined) return dflt;
        // WebIDL [Clamp] long long: NaN is 0, then clamped, then rounded half to even.
        let n = Number(v);
        if (Number.isNaN(n)) n = 0;
        n = Math.min(Math.max(n, -Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER);
        const f = Math.floor(n);
        n = n - f > 0.5 || (n - f === 0.5 && f % 2 !== 0) ? f + 1 : f;
        return n < 0 ? Math.max(size + n, 0) : Math.min(n, size);
      };
      const from = clamp(start, 0);
      const to = clamp(end, size);
      const span = Math.max(to - from, 0);
      const parts = [];
      let pos = 0;
      for (const p of this[kParts]) {
        const pEnd = pos + p.byteLength;
        const a = Math.max(from, pos),
          b = Math.min(from + span, pEnd);
        if (a < b) parts.push(a === pos && b === pEnd ? p : p.subarray(a - pos, b - pos));
        pos = pEnd;
        if (pos >= from + span) break;
      }
      const blob = Object.create(Blob.prototype);
      init(blob, parts, contentType === undefined ? "" : normalizeType(contentType));
      return blob;
    }
    stream() {
      check(this, "Blob.stream");
      const parts = this[kParts].slice();
      return new ReadableStream({
        type: "bytes",
        pull(c) {
          if (parts.length === 0) {
            c.close();
            c.byobRequest?.respond(0);
            return;
          }
          c.enqueue(parts.shift().slice());
        },
      });
    }
    text() {
      try {
        check(this, "Blob.text");
      } catch (e) {
        return Promise.reject(e);
      }
      return Promise.resolve(decoder.decode(bytesOf(this)));
    }
    arrayBuffer() {
      try {
        check(this, "Blob.arrayBuffer");
      } catch (e) {
        return Promise.reject(e);
      }
      return Promise.resolve(bytesOf(this).buffer);
    }
    bytes() {
      try {
        check(this, "Blob.bytes");
      } catch (e) {
        return Promise.reject(e);
      }
      return Promise.resolve(bytesOf(this));
    }
  }
  Object.defineProperty(Blob.prototype, Symbol.toStringTag, { value: "Blob", configurable: true });

  const kName = Symbol("name");
  const kLastModified = Symbol("lastModified");
  class File extends Blob {
    constructor(fileBits, fileName, opts = undefined) {
      if (arguments.length < 2)
        throw new TypeError("File constructor: 2 arguments required (fileBits, fileName)");
      const list = readParts(fileBits, "File constructor: the parts");
      const name = usv(String(fileName));
      opts = options(opts, "File constructor");
      const endings = readEnum(opts, "File constructor");
      let lastModified = Date.now();
      if (opts.lastModified !== undefined) {
        const n = Number(opts.lastModified);
        // WebIDL long long: truncate; NaN and infinities are 0.
        lastModified = Number.isFinite(n) ? Math.trunc(n) : 0;
      }
      const type = opts.type === undefined ? "" : normalizeType(opts.type);
      super([]);
      init(this, convertParts(list, endings, "File constructor"), type);
      this[kName] = name;
      this[kLastModified] = lastModified;
    }
    get name() {
      if (!(kName in this)) throw new TypeError("File.name: 'this' is not a File");
      return this[kName];
    }
    get lastModified() {
      if (!(kName in this)) throw new TypeError("File.lastModified: 'this' is not a File");
      return this[kLastModified];
    }
  }
  Object.defineProperty(File.prototype, Symbol.toStringTag, { value: "File", configurable: true });

  // For fetch.js and FormData: the bytes of a blob (a copy), and a blob over bytes.
  internals.blob = Object.freeze({
    bytes: bytesOf,
    fromBytes(u8, type) {
      const blob = hostObject(Blob.prototype) ?? Object.create(Blob.prototype);
      init(blob, u8.byteLength ? [u8] : [], normalizeType(type));
      return blob;
    },
    file(blob, name, lastModified) {
      const f = hostObject(File.prototype) ?? Object.create(File.prototype);
      init(f, blob[kParts], blob[kType]);
      f[kName] = name;
      f[kLastModified] = lastModified ?? Date.now();
      return f;
    },
    // structuredClone's steps for a Blob or File (the bytes are immutable: shared), or null.
    clone(value) {
      if (!isObject(value) || !(kParts in value)) return null;
      const isFile = kName in value;
      const c = hostObject(isFile ? File.prototype : Blob.prototype);
      init(c, value[kParts], value[kType]);
      if (isFile) {
        c[kName] = value[kName];
        c[kLastModified] = value[kLastModified];
      }
      return c;
    },
  });

  define("Blob", Blob);
  define("File", File);
};
