// Builds polyfills.js: exactly the core-js modules that V8 10.2 (Debian's libnode108) lacks
// among those bundled Station modules use today (docs/engine.md, "Language level").
// Run by the build (engine/js/CMakeLists) with the machine's node; core-js-builder is pinned in
// package-lock.json and installed by scripts/setup (npm ci).
// Float16Array (ES2025) comes from @petamoriken/float16 (MIT, pinned in the same lock): its
// browser build is bundled after core-js, lazily too (see below).
"use strict";
const builder = require("core-js-builder");
const fs = require("fs");
const path = require("path");
const out = process.argv[2];
const float16Js = path.join(__dirname, "node_modules/@petamoriken/float16/browser/float16.js");
const modules = [
  "es.object.group-by",
  "es.map.group-by",
  "es.promise.with-resolvers",
  "es.promise.try",
  "es.array.from-async",
  "es.array.to-sorted",
  "es.array.to-reversed",
  "es.array.to-spliced",
  "es.array.with",
  "es.typed-array.to-sorted",
  "es.typed-array.to-reversed",
  "es.typed-array.with",
  "es.string.is-well-formed",
  "es.string.to-well-formed",
  "es.set.union.v2",
  "es.set.intersection.v2",
  "es.set.difference.v2",
  "es.set.symmetric-difference.v2",
  "es.set.is-subset-of.v2",
  "es.set.is-superset-of.v2",
  "es.set.is-disjoint-from.v2",
  "es.iterator.constructor",
  "es.iterator.drop",
  "es.iterator.every",
  "es.iterator.filter",
  "es.iterator.find",
  "es.iterator.flat-map",
  "es.iterator.for-each",
  "es.iterator.map",
  "es.iterator.reduce",
  "es.iterator.some",
  "es.iterator.take",
  "es.iterator.to-array",
  "es.array-buffer.transfer",
  "es.array-buffer.transfer-to-fixed-length",
  "es.array-buffer.detached",
  "esnext.symbol.dispose",
  "esnext.symbol.async-dispose",
  "es.uint8-array.from-base64",
  "es.uint8-array.from-hex",
  "es.uint8-array.to-base64",
  "es.uint8-array.to-hex",
  "es.uint8-array.set-from-base64",
  "es.uint8-array.set-from-hex",
];
builder({ modules, targets: "node 18.20", format: "bundle", summary: {} })
  .then((raw) => {
    // ASCII only (\u escapes in core-js's string literals; its copyright is the only
    // non-ASCII text): the engine then hands V8 the embedded text in place, with no UTF-8
    // decoding in every process (engine/v8/static_string.cc).
    const ascii = (text) =>
      text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
    const code = ascii(raw);
    const float16 = ascii(fs.readFileSync(float16Js, "utf8"));
    if (!/^var float16 = \(function \(exports\) \{/m.test(float16))
      throw new Error(`${float16Js}: not the IIFE build this bundling expects`);
    // A bootstrap file is a script whose completion value is (globalThis, host) => void.
    // Lazily: every polyfilled name starts as a stub accessor; the first use of any of them
    // removes all stubs and runs core-js once. A module that uses none pays nothing but the
    // stubs (restart storms of misbehaving modules must not slow their siblings down).
    // core-js detects transfer support through structuredClone, defined again by 00_core.js.
    fs.writeFileSync(
      out,
      `(function (globalThis, host, internals) {
"use strict";
const TA = Object.getPrototypeOf(Uint8Array.prototype);
const IP = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]()));
const names = [
  [Object, ["groupBy"]], [Map, ["groupBy"]], [Promise, ["withResolvers", "try"]], [Array, ["fromAsync"]],
  [Array.prototype, ["toSorted", "toReversed", "toSpliced", "with"]], [TA, ["toSorted", "toReversed", "with"]],
  [String.prototype, ["isWellFormed", "toWellFormed"]],
  [Set.prototype, ["union", "intersection", "difference", "symmetricDifference", "isSubsetOf", "isSupersetOf", "isDisjointFrom"]],
  [globalThis, ["Iterator"]],
  [IP, ["map", "filter", "take", "drop", "flatMap", "reduce", "toArray", "forEach", "some", "every", "find"]],
  [ArrayBuffer.prototype, ["transfer", "transferToFixedLength"]], [Symbol, ["dispose", "asyncDispose"]],
  [Uint8Array, ["fromBase64", "fromHex"]], [Uint8Array.prototype, ["toBase64", "toHex", "setFromBase64", "setFromHex"]],
  [ArrayBuffer.prototype, ["detached"]],
];
let loaded = false;
function load() {
  if (loaded) return;
  loaded = true;
  for (const [target, keys] of names) for (const key of keys) {
    const d = Object.getOwnPropertyDescriptor(target, key);
    if (d && d.get && d.get.zinniaStub) delete target[key];
  }
  const hadClone = Object.getOwnPropertyDescriptor(globalThis, "structuredClone");
  if (!hadClone) globalThis.structuredClone = host.structuredClone;
  (function () {
${code}
  }).call(globalThis);
  if (!hadClone) delete globalThis.structuredClone;
  // core-js detaches through structuredClone, which throws a DataCloneError for a buffer that
  // cannot be detached (WebAssembly.Memory's); the language throws a TypeError.
  for (const key of ["transfer", "transferToFixedLength"]) {
    const f = ArrayBuffer.prototype[key];
    if (typeof f !== "function") continue;
    const wrapped = { [key]() {
      try { return Reflect.apply(f, this, arguments); } catch (e) {
        if (e instanceof Error && e.name === "DataCloneError")
          throw new TypeError(\`ArrayBuffer.prototype.\${key}: the buffer cannot be detached\`);
        throw e;
      }
    } }[key];
    Object.defineProperty(ArrayBuffer.prototype, key, { value: wrapped, writable: true, configurable: true });
  }
}
function stub(target, key, load) {
  if (Object.prototype.hasOwnProperty.call(target, key)) return;
  const get = function () { load(); return Reflect.get(target, key, this); };
  get.zinniaStub = true;
  Object.defineProperty(target, key, {
    configurable: true, enumerable: false, get,
    set(value) { load(); Object.defineProperty(this, key, { value, writable: true, configurable: true }); },
  });
}
for (const [target, keys] of names) for (const key of keys) stub(target, key, load);

// Float16Array, Math.f16round, DataView.prototype.getFloat16/setFloat16 from
// @petamoriken/float16, run on first use like core-js. Its Float16Array is a Proxy over a
// Uint16Array, which ArrayBuffer.isView cannot see through: isView is taught to, so every
// BufferSource consumer written in JS (Blob, TextDecoder, compression, fetch bodies) takes one.
let f16 = null;
const f16names = [[globalThis, ["Float16Array"]], [Math, ["f16round"]], [DataView.prototype, ["getFloat16", "setFloat16"]]];
function loadFloat16() {
  if (f16 !== null) return;
  for (const [target, keys] of f16names) for (const key of keys) {
    const d = Object.getOwnPropertyDescriptor(target, key);
    if (d && d.get && d.get.zinniaStub) delete target[key];
  }
  // The library keeps the ArrayBuffer.isView it finds for its own checks: the native one.
  const patched = ArrayBuffer.isView;
  ArrayBuffer.isView = nativeIsView;
  let lib;
  try {
    lib = (function () {
${float16}
      return float16;
    })();
  } finally {
    ArrayBuffer.isView = patched;
  }
  f16 = lib;
  const values = {
    Float16Array: lib.Float16Array,
    f16round: lib.f16round,
    getFloat16: { getFloat16(byteOffset) { return lib.getFloat16(this, byteOffset, arguments[1]); } }.getFloat16,
    setFloat16: { setFloat16(byteOffset, value) { return lib.setFloat16(this, byteOffset, value, arguments[2]); } }.setFloat16,
  };
  for (const [target, keys] of f16names) for (const key of keys) {
    if (!Object.prototype.hasOwnProperty.call(target, key))
      Object.defineProperty(target, key, { value: values[key], writable: true, configurable: true });
  }
}
const nativeIsView = ArrayBuffer.isView;
if (typeof globalThis.Float16Array !== "function") {
  for (const [target, keys] of f16names) for (const key of keys) stub(target, key, loadFloat16);
  Object.defineProperty(ArrayBuffer, "isView", {
    value: { isView(value) { return nativeIsView(value) || (f16 !== null && f16.isFloat16Array(value)); } }.isView,
    writable: true, configurable: true,
  });
}
});
`,
    );
  })
  .catch((e) => {
    console.error(`polyfills: ${e.stack || e}`);
    process.exit(1);
  });
