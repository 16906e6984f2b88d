// Headers, Request, Response and fetch(). The transfer runs in C++ on libcurl's multi
// interface (engine/web/fetch.cc), reached through host.fetchStart/fetchResume/fetchAbort.
(globalThis, host, internals) => {
  "use strict";
  const define = (name, value) =>
    Object.defineProperty(globalThis, name, {
      value,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  const tag = (C, name) =>
    Object.defineProperty(C.prototype, Symbol.toStringTag, { value: name, configurable: true });

  // Captured at install time: user code may replace the globals later.
  // ReadableStream is looked up when used: the streams library runs on first use (streams.js).
  const { URL, URLSearchParams, TextEncoder, TextDecoder, AbortSignal, DOMException } = globalThis;
  const S = internals.streams;
  const addAbortAlgorithm = internals.addAbortAlgorithm;
  const B = internals.blob;
  const FD = internals.formdata;
  // The event kinds of host.fetchStart's onEvent, declared once in C++ (engine/web/fetch.h).
  const EV = host.fetchEvent;
  for (const k of ["HEADERS", "DATA", "END", "ERROR", "NEED_BODY"]) {
    if (typeof EV?.[k] !== "number") throw new Error(`host.fetchEvent.${k} is not declared`);
  }
  const encoder = new TextEncoder();

  // ---- Headers ----
  const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
  const kList = Symbol("headerList");
  const kGuard = Symbol("guard");
  const normalizeValue = (v) => String(v).replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, "");
  function checkName(name) {
    name = String(name);
    if (!TOKEN.test(name)) throw new TypeError(`Header name is not valid: "${name}"`);
    return name.toLowerCase();
  }
  // WebIDL ByteString: no code unit above U+00FF.
  function byteString(v) {
    const str = String(v);
    if (/[^\x00-\xff]/.test(str))
      throw new TypeError(`Headers: ${JSON.stringify(str)} is not a ByteString`);
    return str;
  }
  // One test for both rules: no NUL, CR or LF (a header value) and nothing above U+00FF (a
  // ByteString; the whitespace normalization strips only ASCII).
  const BAD_VALUE = /[\0\r\n\u0100-\uffff]/;
  function checkValue(value) {
    value = normalizeValue(value);
    if (BAD_VALUE.test(value)) {
      byteString(value);
      throw new TypeError(`Header value is not valid: "${value}"`);
    }
    return value;
  }
  // Guards (Fetch Standard): "none", "immutable", "request", "request-no-cors" and "response".
  // The "request" guard leaves forbidden request-headers in, as Deno (and so Zinnia) does:
  // modules are not browser pages and may set Host, Cookie, Origin and the like.
  const FORBIDDEN_RESPONSE = new Set(["set-cookie", "set-cookie2"]);
  const NO_CORS_NAMES = new Set(["accept", "accept-language", "content-language", "content-type"]);
  // eslint-disable-next-line no-control-regex
  const CORS_UNSAFE = /[\x00-\x08\x0a-\x1f"():<>?@[\\\]{}\x7f]/;
  const MIME_PART = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
  function mimeEssence(value) {
    const v = value.replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, "");
    const slash = v.indexOf("/");
    if (slash < 0) return null;
    const type = v.slice(0, slash);
    const semi = v.indexOf(";", slash);
    const sub = v.slice(slash + 1, semi < 0 ? v.length : semi).replace(/[\t\n\r ]+$/, "");
    if (!MIME_PART.test(type) || !MIME_PART.test(sub)) return null;
    return `${type}/${sub}`.toLowerCase();
  }
  // A no-CORS-safelisted request-header (name already lowercased).
  function noCorsSafelisted(name, value) {
    if (!NO_CORS_NAMES.has(name) || value.length > 128) return false;
    switch (name) {
      case "accept":
        return !CORS_UNSAFE.test(value);
      case "accept-language":
      case "content-language":
        return !/[^0-9A-Za-z *,\-.;=]/.test(value);
      case "content-type": {
        if (CORS_UNSAFE.test(value)) return false;
        const essence = mimeEssence(value);
        return (
          essence === "application/x-www-form-urlencoded" ||
          essence === "multipart/form-data" ||
          essence === "text/plain"
        );
      }
      default:
        return false;
    }
  }
  // Whether the guard lets (name, value) in; throws when immutable.
  function guardAllows(h, name) {
    const guard = h[kGuard];
    if (guard === "none" || guard === "request") return true;
    if (guard === "immutable") throw new TypeError("Headers are immutable");
    return guard !== "response" || !FORBIDDEN_RESPONSE.has(name);
  }
  // "request-no-cors" never holds the privileged no-CORS request-header (range).
  function dropPrivileged(h) {
    if (h[kGuard] === "request-no-cors") h[kList] = h[kList].filter((e) => e[0] !== "range");
  }
  // HeadersInit: a sequence of pairs (anything with @@iterator, Headers included) or a record,
  // converted as WebIDL does (null and non-objects are TypeErrors; a record reads each own
  // enumerable string key's descriptor, then its value).
  function fillHeaders(h, init) {
    if (init === undefined) return;
    if (init === null || (typeof init !== "object" && typeof init !== "function")) {
      throw new TypeError("Headers init must be a sequence of [name, value] pairs or a record");
    }
    const iter = init[Symbol.iterator];
    if (iter !== undefined && iter !== null) {
      if (typeof iter !== "function")
        throw new TypeError("Headers init: @@iterator is not callable");
      const pairs = [];
      for (const pair of { [Symbol.iterator]: () => iter.call(init) }) {
        if (pair === null || (typeof pair !== "object" && typeof pair !== "function")) {
          throw new TypeError("Headers init: each header must be a [name, value] pair");
        }
        const arr = Array.from(pair);
        if (arr.length !== 2)
          throw new TypeError("Headers init: each header must be a [name, value] pair");
        pairs.push(arr);
      }
      for (const [n, v] of pairs) appendHeader(h, n, v);
      return;
    }
    const entries = [];
    for (const key of Reflect.ownKeys(init)) {
      const desc = Reflect.getOwnPropertyDescriptor(init, key);
      if (desc === undefined || !desc.enumerable) continue;
      if (typeof key === "symbol")
        throw new TypeError("Headers init: a record key cannot be a Symbol");
      entries.push([byteString(key), byteString(init[key])]);
    }
    for (const [n, v] of entries) appendHeader(h, n, v);
  }
  function appendHeader(h, name, value) {
    const n = checkName(name);
    const v = checkValue(value);
    if (h[kGuard] === "none") {
      h[kList].push([n, v]);
      return;
    }
    if (!guardAllows(h, n)) return;
    if (h[kGuard] === "request-no-cors") {
      const prev = getHeader(h[kList], n);
      if (!noCorsSafelisted(n, prev === null ? v : `${prev}, ${v}`)) return;
    }
    h[kList].push([n, v]);
    dropPrivileged(h);
  }
  function getHeader(list, name) {
    let out = null;
    for (const [n, v] of list) {
      if (n !== name) continue;
      out = out === null ? v : `${out}, ${v}`;
    }
    return out;
  }
  class Headers {
    constructor(init = undefined) {
      this[kList] = [];
      this[kGuard] = "none";
      fillHeaders(this, init);
    }
    append(name, value) {
      appendHeader(this, name, value);
    }
    delete(name) {
      const n = checkName(name);
      if (!guardAllows(this, n)) return;
      if (this[kGuard] === "request-no-cors" && n !== "range" && !NO_CORS_NAMES.has(n)) return;
      this[kList] = this[kList].filter((e) => e[0] !== n);
      dropPrivileged(this);
    }
    get(name) {
      return getHeader(this[kList], checkName(name));
    }
    getSetCookie() {
      return this[kList].filter((e) => e[0] === "set-cookie").map((e) => e[1]);
    }
    has(name) {
      const n = checkName(name);
      return this[kList].some((e) => e[0] === n);
    }
    set(name, value) {
      const n = checkName(name);
      const v = checkValue(value);
      if (!guardAllows(this, n)) return;
      if (this[kGuard] === "request-no-cors" && !noCorsSafelisted(n, v)) return;
      const list = this[kList];
      const i = list.findIndex((e) => e[0] === n);
      if (i < 0) list.push([n, v]);
      else {
        list[i] = [n, v];
        this[kList] = list.filter((e, j) => j <= i || e[0] !== n);
      }
    }
    forEach(cb, thisArg) {
      if (typeof cb !== "function")
        throw new TypeError("Headers.forEach: the callback must be a function");
      const it = this.entries();
      for (let r = it.next(); !r.done; r = it.next())
        cb.call(thisArg, r.value[1], r.value[0], this);
    }
    entries() {
      return headersIterator(this, "entries");
    }
    keys() {
      return headersIterator(this, "keys");
    }
    values() {
      return headersIterator(this, "values");
    }
    [Symbol.iterator]() {
      return headersIterator(this, "entries");
    }
  }
  // The sorted and combined header list, as iteration sees it (set-cookie stays split).
  function sortedList(h) {
    const names = [...new Set(h[kList].map((e) => e[0]))].sort();
    const out = [];
    for (const n of names) {
      if (n === "set-cookie") {
        for (const e of h[kList]) if (e[0] === n) out.push([n, e[1]]);
      } else out.push([n, getHeader(h[kList], n)]);
    }
    return out;
  }
  // WebIDL pair iterator: an index into the list as it is at each next(), so changes made
  // while iterating are seen.
  const kIter = Symbol("iterator");
  const HeadersIteratorPrototype = Object.create(
    Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())),
    {
      next: {
        value: function next() {
          const st = this?.[kIter];
          if (!st) throw new TypeError("next: 'this' is not a Headers Iterator");
          const list = sortedList(st.headers);
          if (st.index >= list.length) return { value: undefined, done: true };
          const [n, v] = list[st.index++];
          return { value: st.kind === "keys" ? n : st.kind === "values" ? v : [n, v], done: false };
        },
        writable: true,
        configurable: true,
        enumerable: true,
      },
      [Symbol.toStringTag]: { value: "Headers Iterator", configurable: true },
    },
  );
  function headersIterator(headers, kind) {
    const it = Object.create(HeadersIteratorPrototype);
    it[kIter] = { headers, kind, index: 0 };
    return it;
  }
  tag(Headers, "Headers");
  function headersFromList(list, guard) {
    const h = new Headers();
    h[kList] = list;
    h[kGuard] = guard;
    return h;
  }

  // ---- bodies ----
  const kBody = Symbol("body");
  // A body is { stream: ReadableStream|null, bytes: Uint8Array|null, src: Source|null } — bytes
  // while no one has asked for the stream (the fast path for text()/json()), stream after. A
  // fetched response's body starts as a Source (the chunks curl delivered so far): text()/json()
  // take its chunks whole and no ReadableStream is made unless `body` (or clone) asks for one.
  function extractBody(object) {
    let bytes,
      type = null;
    if (typeof object === "string") {
      bytes = encoder.encode(object);
      type = "text/plain;charset=UTF-8";
    } else if (object instanceof URLSearchParams) {
      bytes = encoder.encode(object.toString());
      type = "application/x-www-form-urlencoded;charset=UTF-8";
    } else if (object instanceof ArrayBuffer) {
      bytes = new Uint8Array(object.slice(0));
    } else if (ArrayBuffer.isView(object)) {
      bytes = new Uint8Array(
        object.buffer.slice(object.byteOffset, object.byteOffset + object.byteLength),
      );
    } else if (S.isStream(object)) {
      if (S.isDisturbed(object) || S.isLocked(object))
        throw new TypeError("The body stream is disturbed or locked");
      return { body: { stream: object, bytes: null, used: false }, type: null };
    } else if (object instanceof globalThis.FormData) {
      ({ bytes, type } = FD.encode(object));
    } else if (object instanceof globalThis.Blob) {
      bytes = B.bytes(object);
      type = object.type || null;
    } else {
      bytes = encoder.encode(String(object));
      type = "text/plain;charset=UTF-8";
    }
    return { body: { stream: null, bytes, used: false }, type };
  }
  // Where a response body's chunks go until (unless) its stream is made: backpressure as the
  // stream would give (curl is paused at BODY_HWM bytes queued), but no stream objects.
  class Source {
    constructor(resume, cancel) {
      this.chunks = [];
      this.size = 0;
      this.done = false;
      this.failed = false;
      this.error = undefined;
      this.paused = false; // the last data event asked curl to pause
      this.waiter = null; // {resolve, reject} of a whole-body read
      this.stream = null; // made by bodyStream(): events go to it from then on
      this.resume = resume;
      this.cancel = cancel;
    }
    // A data chunk; returns whether more is wanted now.
    push(chunk) {
      if (this.stream !== null) {
        if (S.state(this.stream) !== "readable") return false;
        S.enqueue(this.stream, chunk);
        return S.desiredSize(this.stream) > 0;
      }
      if (this.done || this.failed) return false;
      this.chunks.push(chunk);
      this.size += chunk.byteLength;
      this.paused = this.waiter === null && this.size >= BODY_HWM;
      return !this.paused;
    }
    end() {
      if (this.stream !== null) {
        if (S.state(this.stream) === "readable") S.close(this.stream);
        return;
      }
      if (this.done || this.failed) return;
      this.done = true;
      if (this.waiter !== null) this.waiter.resolve(this.take());
    }
    fail(err) {
      if (this.stream !== null) {
        if (S.state(this.stream) === "readable") S.error(this.stream, err);
        return;
      }
      if (this.done || this.failed) return;
      this.failed = true;
      this.error = err;
      this.chunks = [];
      if (this.waiter !== null) this.waiter.reject(err);
    }
    take() {
      const chunks = this.chunks;
      this.chunks = [];
      if (chunks.length === 1) return chunks[0];
      const out = new Uint8Array(this.size);
      let off = 0;
      for (const c of chunks) {
        out.set(c, off);
        off += c.byteLength;
      }
      return out;
    }
    // The whole body, for text()/json()/...
    readAll() {
      if (this.failed) return Promise.reject(this.error);
      if (this.done) return Promise.resolve(this.take());
      return new Promise((resolve, reject) => {
        this.waiter = { resolve, reject };
        if (this.paused) {
          this.paused = false;
          this.resume();
        }
      });
    }
    // The body as a stream, with what arrived so far queued in it.
    toStream() {
      const stream = S.createReadableStream(
        () => {},
        () => {
          this.paused = false;
          this.resume();
        },
        (reason) => this.cancel(reason),
        BODY_HWM,
        (chunk) => chunk.byteLength,
      );
      for (const c of this.chunks) S.enqueue(stream, c);
      this.chunks = [];
      if (this.failed) S.error(stream, this.error);
      else if (this.done) S.close(stream);
      this.stream = stream;
      return stream;
    }
  }
  function bodyStream(body) {
    if (body.stream === null && body.src) {
      if (body.used) {
        // text()/json()/... took the Source: the stream below stands for a drained one.
        body.src = null;
      } else {
        body.stream = body.src.toStream();
        body.src = null;
        return body.stream;
      }
    }
    if (body.stream === null && body.used) {
      // Consumed through text()/json()/...: the stream is gone, read and locked, as if a reader
      // had drained it.
      body.stream = S.createReadableStream(
        () => {},
        () => {},
        () => {},
        0,
      );
      S.close(body.stream);
      body.stream.getReader().read();
      return body.stream;
    }
    if (body.stream === null) {
      const bytes = body.bytes;
      body.bytes = null;
      body.stream = S.createReadableStream(
        () => {},
        () => {},
        () => {},
        0,
      );
      if (bytes.byteLength) S.enqueue(body.stream, bytes);
      S.close(body.stream);
    }
    return body.stream;
  }
  function isUnusable(body) {
    return (
      body !== null &&
      (body.used ||
        (body.stream !== null && (S.isDisturbed(body.stream) || S.isLocked(body.stream))))
    );
  }
  async function readAllBytes(stream) {
    const reader = stream.getReader();
    const chunks = [];
    let total = 0;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      if (!(value instanceof Uint8Array))
        throw new TypeError("Body stream chunks must be Uint8Array");
      chunks.push(value);
      total += value.byteLength;
    }
    if (chunks.length === 1) return chunks[0];
    const out = new Uint8Array(total);
    let off = 0;
    for (const c of chunks) {
      out.set(c, off);
      off += c.byteLength;
    }
    return out;
  }
  function consumeBody(self) {
    const body = self[kBody];
    if (body === null) return Promise.resolve(new Uint8Array(0));
    if (isUnusable(body))
      return Promise.reject(new TypeError("Body is unusable: body has already been read"));
    if (body.stream === null) {
      body.used = true;
      if (body.src) return body.src.readAll();
      const bytes = body.bytes;
      return Promise.resolve(bytes);
    }
    return readAllBytes(body.stream);
  }
  // decode() without {stream: true} keeps no state between calls: one decoder serves all.
  const decoder = new TextDecoder();
  const utf8Decode = (u8) => decoder.decode(u8);
  const toArrayBuffer = (u8) =>
    u8.byteOffset === 0 && u8.byteLength === u8.buffer.byteLength
      ? u8.buffer
      : u8.buffer.slice(u8.byteOffset, u8.byteOffset + u8.byteLength);
  const BodyMixin = {
    get body() {
      const b = this[kBody];
      return b === null ? null : bodyStream(b);
    },
    get bodyUsed() {
      const b = this[kBody];
      return b !== null && (b.used || (b.stream !== null && S.isDisturbed(b.stream)));
    },
    arrayBuffer() {
      return consumeBody(this).then(toArrayBuffer);
    },
    bytes() {
      return consumeBody(this).then((u8) => new Uint8Array(toArrayBuffer(u8)));
    },
    text() {
      return consumeBody(this).then(utf8Decode);
    },
    json() {
      return consumeBody(this).then((u8) => JSON.parse(utf8Decode(u8)));
    },
    blob() {
      const type = this.headers.get("content-type") ?? "";
      return consumeBody(this).then((u8) => B.fromBytes(new Uint8Array(toArrayBuffer(u8)), type));
    },
    formData() {
      const type = this.headers.get("content-type");
      return consumeBody(this).then((u8) => FD.parse(u8, type));
    },
  };
  function mixBody(C) {
    for (const key of Object.keys(Object.getOwnPropertyDescriptors(BodyMixin))) {
      Object.defineProperty(C.prototype, key, {
        ...Object.getOwnPropertyDescriptor(BodyMixin, key),
        enumerable: true,
      });
    }
  }
  function cloneBody(body) {
    if (body === null) return null;
    if (body.src) bodyStream(body);
    if (body.stream === null) return { stream: null, bytes: body.bytes, used: false };
    const [a, b] = body.stream.tee();
    body.stream = a;
    // The Fetch Standard tees with cloneForBranch2: the clone gets its own copy of each chunk.
    const copy = b.pipeThrough(
      new globalThis.TransformStream({
        transform(chunk, controller) {
          controller.enqueue(structuredClone(chunk));
        },
      }),
    );
    return { stream: copy, bytes: null, used: false };
  }

  // ---- Request ----
  // The request URL of `input`, serialized. Parsing in JS (url.js) is a large part of a
  // fetch's cost, and modules fetch the same few URLs again and again: the serialization of
  // the last strings parsed (against the same base) is kept. Parsing is a pure function of
  // (input, base), so a hit is what a parse would give.
  const hrefCache = new Map();
  const HREF_CACHE_SIZE = 64;
  function requestHref(input) {
    const base = locationHref();
    const str = String(input);
    const hit = hrefCache.get(str);
    if (hit !== undefined && hit.base === base) return hit.href;
    let url;
    try {
      url = new URL(str, base);
    } catch (e) {
      throw new TypeError(`Invalid URL: ${input}`, { cause: e });
    }
    if (url.username || url.password)
      throw new TypeError("Request URL must not include credentials");
    const href = url.href;
    if (hrefCache.size >= HREF_CACHE_SIZE) hrefCache.clear();
    hrefCache.set(str, { base, href });
    return href;
  }
  const kReq = Symbol("request");
  const FORBIDDEN_METHODS = new Set(["CONNECT", "TRACE", "TRACK"]);
  const NORMALIZED = new Set(["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH"]);
  // RequestInit's WebIDL enums: any other string is a TypeError.
  const REQUEST_ENUMS = {
    cache: ["default", "no-store", "reload", "no-cache", "force-cache", "only-if-cached"],
    credentials: ["omit", "same-origin", "include"],
    duplex: ["half"],
    mode: ["navigate", "same-origin", "no-cors", "cors"],
    priority: ["high", "low", "auto"],
    redirect: ["follow", "error", "manual"],
    referrerPolicy: [
      "",
      "no-referrer",
      "no-referrer-when-downgrade",
      "same-origin",
      "origin",
      "strict-origin",
      "origin-when-cross-origin",
      "strict-origin-when-cross-origin",
      "unsafe-url",
    ],
  };
  function requestEnum(init, key) {
    const v = init[key];
    if (v === undefined) return undefined;
    const str = String(v);
    if (!REQUEST_ENUMS[key].includes(str))
      throw new TypeError(`Request: "${str}" is not a valid ${key}`);
    return str;
  }
  // Relative to globalThis.location when a module defines one (Deno: --location).
  const locationHref = () =>
    typeof globalThis.location?.href === "string" ? globalThis.location.href : undefined;
  // The new request's body "proxies" the input's (Fetch Standard): the input is disturbed and
  // keeps its body object, the new request gets a body of its own.
  function proxyBody(inputBody) {
    if (inputBody.stream === null) {
      const bytes = inputBody.bytes;
      inputBody.bytes = null;
      return { stream: null, bytes, used: false };
    }
    const stream = inputBody.stream.pipeThrough(new globalThis.TransformStream());
    return { stream, bytes: null, used: false };
  }
  class Request {
    constructor(input, init = {}) {
      init = init ?? {};
      // Everything that can throw comes before the input request is touched, so a failed
      // construction leaves it usable.
      const cache = requestEnum(init, "cache");
      const credentials = requestEnum(init, "credentials");
      requestEnum(init, "duplex");
      const mode = requestEnum(init, "mode");
      requestEnum(init, "priority");
      const redirect = requestEnum(init, "redirect");
      const referrerPolicy = requestEnum(init, "referrerPolicy");
      if (init.window !== undefined && init.window !== null)
        throw new TypeError("Request: init.window can only be null");
      let r;
      let inputBody = null;
      let inputHeaders;
      if (input instanceof Request) {
        inputBody = input[kBody];
        r = { ...input[kReq] };
        inputHeaders = input[kList];
      } else {
        r = {
          method: "GET",
          url: requestHref(input),
          redirect: "follow",
          signal: null,
          keepalive: false,
          cache: "default",
          credentials: "same-origin",
          mode: "cors",
          referrer: "about:client",
          referrerPolicy: "",
          integrity: "",
          duplex: "half",
        };
      }
      if (init.referrer !== undefined) {
        const ref = String(init.referrer);
        if (ref === "") r.referrer = "";
        else {
          let parsed;
          try {
            parsed = new URL(ref, locationHref());
          } catch (e) {
            throw new TypeError(`Request: invalid referrer: ${ref}`, { cause: e });
          }
          // A referrer of another origin than the module's (when it has one) becomes "client".
          const origin = globalThis.location?.origin;
          r.referrer =
            parsed.href === "about:client" ||
            (typeof origin === "string" && parsed.origin !== origin)
              ? "about:client"
              : parsed.href;
        }
      }
      if (referrerPolicy !== undefined) r.referrerPolicy = referrerPolicy;
      if (mode === "navigate") throw new TypeError('Request: mode cannot be "navigate"');
      if (mode !== undefined) r.mode = mode;
      if (credentials !== undefined) r.credentials = credentials;
      if (cache !== undefined) r.cache = cache;
      if (r.cache === "only-if-cached" && r.mode !== "same-origin")
        throw new TypeError('Request: cache "only-if-cached" needs mode "same-origin"');
      if (redirect !== undefined) r.redirect = redirect;
      if (init.integrity !== undefined) r.integrity = String(init.integrity);
      if (init.keepalive !== undefined) r.keepalive = !!init.keepalive;
      if (init.method !== undefined) {
        let m = String(init.method);
        if (!TOKEN.test(m)) throw new TypeError(`Invalid method: ${m}`);
        if (FORBIDDEN_METHODS.has(m.toUpperCase())) throw new TypeError(`Forbidden method: ${m}`);
        if (NORMALIZED.has(m.toUpperCase()) && m.toUpperCase() !== "PATCH") m = m.toUpperCase();
        r.method = m;
      }
      if (init.signal !== undefined) {
        if (init.signal !== null && !(init.signal instanceof AbortSignal))
          throw new TypeError("signal must be an AbortSignal");
        r.signal = init.signal;
      }
      if (!r.signal) r.signal = null;
      const headers = new Headers();
      if (r.mode === "no-cors") {
        if (r.method !== "GET" && r.method !== "HEAD" && r.method !== "POST")
          throw new TypeError(`Request: method ${r.method} is not allowed in "no-cors" mode`);
        headers[kGuard] = "request-no-cors";
      } else headers[kGuard] = "request";
      const headersInit = init.headers !== undefined ? init.headers : inputHeaders;
      if (headersInit instanceof Headers)
        for (const [n, v] of headersInit[kList]) appendHeader(headers, n, v);
      else fillHeaders(headers, headersInit);
      const hasInitBody = init.body !== undefined && init.body !== null;
      if ((hasInitBody || inputBody !== null) && (r.method === "GET" || r.method === "HEAD"))
        throw new TypeError("Request with GET/HEAD method cannot have body");
      let body = null;
      if (hasInitBody) {
        const extracted = extractBody(init.body);
        body = extracted.body;
        if (extracted.type !== null && !headers.has("content-type"))
          appendHeader(headers, "content-type", extracted.type);
      }
      if (body !== null && body.stream !== null && r.mode !== "same-origin" && r.mode !== "cors")
        throw new TypeError(`Request: a stream body needs mode "cors" or "same-origin"`);
      // With an init body the input stays untouched, as in the standard's steps and in Deno
      // (so the real Zinnia); WPT's request-disturbed expects it disturbed even then.
      if (inputBody !== null && !hasInitBody) {
        if (isUnusable(inputBody)) throw new TypeError("Request body has already been used");
        body = proxyBody(inputBody);
        inputBody.used = true;
      }
      this[kReq] = r;
      this[kList] = headers;
      this[kBody] = body;
    }
    get method() {
      return this[kReq].method;
    }
    get url() {
      return this[kReq].url;
    }
    get headers() {
      return this[kList];
    }
    get redirect() {
      return this[kReq].redirect;
    }
    get signal() {
      if (!this[kReq].signal) this[kReq].signal = new globalThis.AbortController().signal;
      return this[kReq].signal;
    }
    get cache() {
      return this[kReq].cache;
    }
    get credentials() {
      return this[kReq].credentials;
    }
    get mode() {
      return this[kReq].mode;
    }
    get referrer() {
      return this[kReq].referrer;
    }
    get referrerPolicy() {
      return this[kReq].referrerPolicy;
    }
    get integrity() {
      return this[kReq].integrity;
    }
    get keepalive() {
      return this[kReq].keepalive;
    }
    get destination() {
      return "";
    }
    get duplex() {
      return "half";
    }
    get isReloadNavigation() {
      return false;
    }
    get isHistoryNavigation() {
      return false;
    }
    clone() {
      if (isUnusable(this[kBody])) throw new TypeError("Request body has already been used");
      const c = Object.create(Request.prototype);
      c[kReq] = { ...this[kReq] };
      c[kList] = headersFromList(this[kList][kList].slice(), this[kList][kGuard]);
      c[kBody] = cloneBody(this[kBody]);
      return c;
    }
  }
  mixBody(Request);
  tag(Request, "Request");

  // ---- Response ----
  const kRes = Symbol("response");
  const NULL_BODY = new Set([101, 103, 204, 205, 304]);
  const REDIRECTS = new Set([301, 302, 303, 307, 308]);
  function initResponse(res, init, bodyWithType) {
    init = init ?? {};
    const status = init.status === undefined ? 200 : Number(init.status);
    if (!Number.isInteger(status) || status < 200 || status > 599) {
      throw new RangeError(`The status provided (${init.status}) is outside the range [200, 599]`);
    }
    const statusText = init.statusText === undefined ? "" : String(init.statusText);
    if (/[^\t\x20-\x7e\x80-\xff]/.test(statusText)) throw new TypeError("Invalid statusText");
    res[kRes] = { type: "default", url: "", status, statusText, redirected: false };
    const headers = new Headers();
    headers[kGuard] = "response";
    fillHeaders(headers, init.headers);
    res[kList] = headers;
    res[kBody] = null;
    if (bodyWithType) {
      if (NULL_BODY.has(status))
        throw new TypeError(`Response with null body status ${status} cannot have body`);
      res[kBody] = bodyWithType.body;
      if (bodyWithType.type !== null && !res[kList].has("content-type"))
        res[kList].append("content-type", bodyWithType.type);
    }
  }
  class Response {
    constructor(body = null, init = {}) {
      initResponse(this, init, body === null || body === undefined ? null : extractBody(body));
    }
    static error() {
      const r = Object.create(Response.prototype);
      r[kRes] = { type: "error", url: "", status: 0, statusText: "", redirected: false };
      r[kList] = headersFromList([], "immutable");
      r[kBody] = null;
      return r;
    }
    static redirect(url, status = 302) {
      const parsed = new URL(String(url), locationHref());
      if (!REDIRECTS.has(status)) throw new RangeError(`Invalid redirect status: ${status}`);
      const r = Object.create(Response.prototype);
      r[kRes] = { type: "default", url: "", status, statusText: "", redirected: false };
      r[kList] = headersFromList([["location", parsed.href]], "immutable");
      r[kBody] = null;
      return r;
    }
    static json(data, init = {}) {
      const text = JSON.stringify(data);
      if (text === undefined) throw new TypeError("Response.json: data is not JSON-serializable");
      const r = Object.create(Response.prototype);
      initResponse(r, init, {
        body: { stream: null, bytes: encoder.encode(text), used: false },
        type: "application/json",
      });
      return r;
    }
    get type() {
      return this[kRes].type;
    }
    get url() {
      return this[kRes].url;
    }
    get redirected() {
      return this[kRes].redirected;
    }
    get status() {
      return this[kRes].status;
    }
    get ok() {
      return this[kRes].status >= 200 && this[kRes].status <= 299;
    }
    get statusText() {
      return this[kRes].statusText;
    }
    get headers() {
      return this[kList];
    }
    clone() {
      if (isUnusable(this[kBody])) throw new TypeError("Response body has already been used");
      const c = Object.create(Response.prototype);
      c[kRes] = { ...this[kRes] };
      c[kList] = headersFromList(this[kList][kList].slice(), this[kList][kGuard]);
      c[kBody] = cloneBody(this[kBody]);
      return c;
    }
  }
  mixBody(Response);
  tag(Response, "Response");

  // ---- fetch ----
  const BODY_HWM = 256 * 1024; // bytes queued in JS before curl is paused
  let userAgent = null;
  function getUserAgent() {
    if (userAgent === null) {
      // ModuleOptions::user_agent when the engine passes it; else the same shape from parts.
      userAgent =
        typeof host.userAgent === "string" && host.userAgent
          ? host.userAgent
          : `zinniad/${host.zinniaVersion ?? "0"} ${host.moduleName ?? ""}`.trim();
    }
    return userAgent;
  }
  // Modules classify failures by the text Zinnia's fetch (Deno's, on reqwest/hyper) gave, e.g.
  // SPARK maps 'dns error' to 801 and 'tcp connect error' to 802. The libcurl detail stays in
  // `cause` ({message, code: 'CURLE_N', errno}).
  const osError = (errno, text, fallback) => (errno ? `${text} (os error ${errno})` : fallback);
  function zinniaWording(url, curlCode, errno, errText, detail) {
    const prefix = `error sending request for url (${url})`;
    switch (curlCode) {
      case 5:
      case 6: // could not resolve proxy / host
        return `${prefix}: error trying to connect: dns error: failed to lookup address information: Name or service not known`;
      case 7: // could not connect: refused, unreachable
        return `${prefix}: error trying to connect: tcp connect error: ${osError(errno, errText, detail)}`;
      case 28: // timed out
        return errno
          ? `${prefix}: error trying to connect: tcp connect error: ${osError(errno, errText, detail)}`
          : `${prefix}: operation timed out`;
      case 35:
      case 51:
      case 53:
      case 54:
      case 58:
      case 59:
      case 60:
      case 64:
      case 66:
      case 77:
      case 80:
      case 82:
      case 83:
      case 90:
      case 91:
        return `${prefix}: error trying to connect: tls error: ${detail}`;
      case 52: // empty reply
        return `${prefix}: connection closed before message completed`;
      case 55:
      case 56: // send/recv failure: reset
        return `${prefix}: connection error: ${osError(errno, errText, "Connection reset by peer (os error 104)")}`;
      default:
        return `${prefix}: ${detail}`;
    }
  }
  // Errors made in a native callback: fetch() gives them its caller's stack when it rejects.
  const nativeErrors = new WeakSet();
  function networkError(message, code, url, curlCode, errno, errText) {
    const cause = new Error(message);
    if (code !== undefined) cause.code = code;
    if (errno) cause.errno = errno;
    const text =
      url === undefined
        ? `fetch failed: ${message}`
        : zinniaWording(url, curlCode, errno, errText, message);
    const err = new TypeError(text, { cause });
    nativeErrors.add(err);
    return err;
  }

  async function fetch(input, init = undefined) {
    try {
      return await startFetch(input, init);
    } catch (err) {
      if (nativeErrors.has(err)) {
        // Taken after the await (nothing to pay when fetch succeeds): the frames are fetch's
        // awaiting callers, as V8's async stack traces give them.
        const site = {};
        Error.captureStackTrace(site, fetch);
        const frames = site.stack;
        const nl = typeof frames === "string" ? frames.indexOf("\n") : -1;
        err.stack = `TypeError: ${err.message}` + (nl >= 0 ? frames.slice(nl) : "");
      }
      throw err;
    }
  }
  function startFetch(input, init) {
    let r, headerList, body;
    if (typeof input === "string" && init === undefined) {
      // fetch(url): what new Request(url) would hold, without making one.
      r = { method: "GET", url: requestHref(input), redirect: "follow", signal: null };
      headerList = [];
      body = null;
    } else {
      const request = new Request(input, init);
      r = request[kReq];
      headerList = request.headers[kList];
      body = request[kBody];
    }
    const signal = r.signal;
    if (signal && signal.aborted) throw signal.reason;
    // r.url is already a serialized URL: its scheme is what precedes the first ':'.
    const href = r.url;
    // ipfs:// is a verified CAR retrieval (docs/ipfs.md), as Zinnia's Lassie serves it.
    const ipfs = href.startsWith("ipfs:");
    if (!ipfs && !href.startsWith("http:") && !href.startsWith("https:")) {
      throw new TypeError(
        `fetch: URL scheme "${href.slice(0, href.indexOf(":"))}" is not supported`,
      );
    }
    if (ipfs && headerList.some((e) => e[0] === "authorization")) {
      throw new TypeError("fetch: an Authorization header is not allowed for ipfs:// URLs");
    }
    if (ipfs && r.method !== "GET" && r.method !== "HEAD") {
      throw new TypeError(`fetch: ipfs:// URLs support GET and HEAD, not ${r.method}`);
    }
    const resumeTransfer = ipfs ? host.ipfsResume : host.fetchResume;
    const abortTransfer = ipfs ? host.ipfsAbort : host.fetchAbort;
    let bodyArg = null;
    let uploadReader = null;
    if (body !== null) {
      if (isUnusable(body)) throw new TypeError("Request body has already been used");
      // Bytes go in one piece; a stream is pulled chunk by chunk as curl sends (chunked).
      if (body.stream === null) bodyArg = body.bytes;
      else {
        uploadReader = body.stream.getReader();
        bodyArg = true;
      }
      body.used = true;
    }
    const headerPairs = [];
    let hasUA = false,
      hasAccept = false;
    for (const [n, v] of headerList) {
      if (n === "user-agent") hasUA = true;
      else if (n === "accept") hasAccept = true;
      headerPairs.push(n, v);
    }
    if (!hasUA) headerPairs.push("user-agent", getUserAgent());
    if (!hasAccept) headerPairs.push("accept", "*/*");

    return new Promise((resolve, reject) => {
      let src = null;
      let response = null;
      let settled = false;
      let removeAbort = () => {};
      let id = 0;
      const fail = (err) => {
        removeAbort();
        if (!settled) {
          settled = true;
          reject(err);
        } else if (src !== null) src.fail(err);
      };
      const onEvent = (kind, a, b, c, d, e) => {
        switch (kind) {
          case EV.HEADERS: {
            // headers: status, statusText, [name, value, ...], final URL, redirected
            const list = [];
            for (let i = 0; i < c.length; i += 2) list.push([String(c[i]).toLowerCase(), c[i + 1]]);
            const status = a;
            if (r.redirect === "error" && REDIRECTS.has(status)) {
              abortTransfer(id);
              fail(
                new TypeError(
                  'fetch failed: redirect mode is "error" and the response is a redirect',
                ),
              );
              return false;
            }
            src = new Source(
              () => resumeTransfer(id),
              () => {
                removeAbort();
                abortTransfer(id);
              },
            );
            response = Object.create(Response.prototype);
            response[kRes] = { type: "basic", url: d, status, statusText: b, redirected: e };
            response[kList] = headersFromList(list, "immutable");
            response[kBody] =
              NULL_BODY.has(status) || r.method === "HEAD"
                ? null
                : { stream: null, bytes: null, used: false, src };
            settled = true;
            resolve(response);
            return true;
          }
          case EV.DATA: // data: Uint8Array; returns whether more is wanted now
            return src !== null && src.push(a);
          case EV.END: // end
            removeAbort();
            if (src !== null) src.end();
            return false;
          case EV.ERROR: // error: message, curl error name, CURLcode, OS errno, its strerror
            if (uploadReader !== null) uploadReader.cancel(a).catch(() => {});
            fail(networkError(a, b, r.url, c, d, e));
            return false;
          case EV.NEED_BODY: // curl wants the next chunk of the streamed request body
            uploadReader
              .read()
              .then(({ value, done }) => {
                if (done) host.fetchWrite(id, null);
                else if (value instanceof Uint8Array) host.fetchWrite(id, value);
                else throw new TypeError("Request body stream chunks must be Uint8Array");
              })
              .catch((err) => {
                host.fetchAbort(id);
                fail(
                  new TypeError("fetch failed: reading the request body failed", { cause: err }),
                );
              });
            return false;
        }
        return false;
      };
      id = ipfs
        ? host.ipfsStart(href, onEvent)
        : host.fetchStart(r.method, href, headerPairs, bodyArg, r.redirect === "follow", onEvent);
      if (signal) {
        removeAbort = addAbortAlgorithm(signal, () => {
          abortTransfer(id);
          if (uploadReader !== null) uploadReader.cancel(signal.reason).catch(() => {});
          fail(signal.reason);
        });
      }
    });
  }

  define("Headers", Headers);
  define("Request", Request);
  define("Response", Response);
  define("fetch", fetch);
};
