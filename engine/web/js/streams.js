// The Streams Standard: web-streams-polyfill (embedded before this file, see
// engine/web/CMakeLists.txt and docs/streams.md) defines the classes, run on first use of one
// of the globals; this file defines them and gives fetch.js the few internals it needs
// (internals.streams).
(globalThis, host, internals) => {
  "use strict";
  const load = internals.webStreams;
  const names = [
    "ReadableStream",
    "ReadableStreamDefaultReader",
    "ReadableStreamBYOBReader",
    "ReadableStreamDefaultController",
    "ReadableByteStreamController",
    "ReadableStreamBYOBRequest",
    "WritableStream",
    "WritableStreamDefaultWriter",
    "WritableStreamDefaultController",
    "TransformStream",
    "TransformStreamDefaultController",
    "ByteLengthQueuingStrategy",
    "CountQueuingStrategy",
  ];
  const lib = internals.lazyGlobals(names, () => {
    const W = load();
    for (const name of names) {
      if (typeof W[name] !== "function")
        throw new Error(`streams: web-streams-polyfill has no ${name}`);
    }
    // The polyfill's async iterator prototype is a plain object; the standard's extends
    // %AsyncIteratorPrototype% (so iterator helpers and `instanceof`-free checks see it).
    const AsyncIteratorPrototype = Object.getPrototypeOf(
      Object.getPrototypeOf(async function* () {}).prototype,
    );
    const iteratorPrototype = Object.getPrototypeOf(new W.ReadableStream().values());
    if (Object.getPrototypeOf(iteratorPrototype) === Object.prototype)
      Object.setPrototypeOf(iteratorPrototype, AsyncIteratorPrototype);
    return W;
  });

  // Internals for fetch: a stream fed from native code, and state probes. The polyfill keeps
  // the spec's internal slots as `_state`/`_disturbed` fields.
  const controllers = new WeakMap();
  function createReadableStream(
    startAlgorithm,
    pullAlgorithm,
    cancelAlgorithm,
    hwm = 1,
    sizeAlgorithm = () => 1,
  ) {
    let controller;
    const stream = new (lib().ReadableStream)(
      {
        start(c) {
          controller = c;
          return startAlgorithm();
        },
        pull() {
          return pullAlgorithm();
        },
        cancel(reason) {
          return cancelAlgorithm(reason);
        },
      },
      { highWaterMark: hwm, size: sizeAlgorithm },
    );
    controllers.set(stream, controller);
    return stream;
  }
  internals.streams = Object.freeze({
    createReadableStream,
    enqueue: (s, chunk) => controllers.get(s).enqueue(chunk),
    close: (s) => controllers.get(s).close(),
    error: (s, e) => controllers.get(s).error(e),
    desiredSize: (s) => controllers.get(s).desiredSize,
    isDisturbed: (s) => s._disturbed === true,
    isLocked: (s) => s.locked,
    isStream: (v) => v instanceof lib().ReadableStream,
    state: (s) => s._state,
  });
};
