// Builds polyfills.js: exactly the core-js modules that V8 10.2 (Debian's libnode108) lacks
// among those bundled Station modules use today (docs/engine.md, "Language level").
// Run by the build (engine/js/CMakeLists) with the machine's node; core-js-builder is pinned in
// package-lock.json and installed by scripts/setup (npm ci).
'use strict';
const builder = require('core-js-builder');
const out = process.argv[2];
const modules = [
  'es.object.group-by', 'es.map.group-by',
  'es.promise.with-resolvers', 'es.promise.try',
  'es.array.from-async',
  'es.array.to-sorted', 'es.array.to-reversed', 'es.array.to-spliced', 'es.array.with',
  'es.typed-array.to-sorted', 'es.typed-array.to-reversed', 'es.typed-array.with',
  'es.string.is-well-formed', 'es.string.to-well-formed',
  'es.set.union.v2', 'es.set.intersection.v2', 'es.set.difference.v2',
  'es.set.symmetric-difference.v2', 'es.set.is-subset-of.v2', 'es.set.is-superset-of.v2',
  'es.set.is-disjoint-from.v2',
  'es.iterator.constructor', 'es.iterator.drop', 'es.iterator.every', 'es.iterator.filter',
  'es.iterator.find', 'es.iterator.flat-map', 'es.iterator.for-each', 'es.iterator.map',
  'es.iterator.reduce', 'es.iterator.some', 'es.iterator.take', 'es.iterator.to-array',
  'es.array-buffer.transfer', 'es.array-buffer.transfer-to-fixed-length',
  'esnext.symbol.dispose', 'esnext.symbol.async-dispose',
  'es.uint8-array.from-base64', 'es.uint8-array.from-hex', 'es.uint8-array.to-base64',
  'es.uint8-array.to-hex', 'es.uint8-array.set-from-base64', 'es.uint8-array.set-from-hex',
];
builder({ modules, targets: 'node 18.20', format: 'bundle', summary: {} })
  .then((code) => {
    // A bootstrap file is a script whose completion value is (globalThis, host) => void.
    // core-js detects transfer support through structuredClone, defined again by 00_core.js.
    require('fs').writeFileSync(out, `(function (globalThis, host, internals) {\n` +
      `if (typeof globalThis.structuredClone !== 'function') globalThis.structuredClone = host.structuredClone;\n` +
      `${code}\n});\n`);
  })
  .catch((e) => { console.error(`polyfills: ${e.stack || e}`); process.exit(1); });
