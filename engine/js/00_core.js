// Core globals: timers, queueMicrotask, structuredClone, atob/btoa, self.
(function (globalThis, host, internals) {
  "use strict";
  // define(name, value): a global as the web platform makes them (writable, configurable,
  // not enumerable). Later bootstrap files use it too.
  host.define = function define(name, value) {
    Object.defineProperty(globalThis, name, {
      value,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  };
  const define = host.define;
  define("setTimeout", host.setTimeout);
  define("setInterval", host.setInterval);
  define("clearTimeout", host.clearTimeout);
  define("clearInterval", host.clearInterval);
  define("queueMicrotask", host.queueMicrotask);
  define("structuredClone", host.structuredClone);
  define("atob", host.atob);
  define("btoa", host.btoa);
  // V8 10.2 counts a resizable ArrayBuffer's growth as external memory and never takes it back
  // when the buffer dies (ExternalAllocator::track_resizable): each buffer is made known to the
  // engine before its first resize, so its count is given back when it is collected.
  // Per module: V8 installs its flag-gated builtins (--harmony-rab-gsab's resize) only outside
  // a snapshot creator, so they are missing while a startup snapshot's bootstrap runs.
  // Parenthesized so V8 compiles it with this file: its bytecode is then in the startup
  // snapshot, not compiled again at every module start (docs/benchmarks.md, "round 7").
  // prettier-ignore
  internals.moduleStart.push((function () {
    const resize = ArrayBuffer.prototype.resize;
    if (resize) {
      const resizable = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, "resizable").get;
      const tracked = new WeakSet();
      const call = Function.prototype.call.bind(Function.prototype.call);
      const wrapped = {
        resize(newLength) {
          if (!tracked.has(this)) {
            let rab = false;
            try {
              rab = call(resizable, this);
            } catch {}
            if (rab) {
              tracked.add(this);
              host.trackResizable(this);
            }
          }
          return call(resize, this, newLength);
        },
      }.resize;
      Object.defineProperty(ArrayBuffer.prototype, "resize", {
        ...Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, "resize"),
        value: wrapped,
      });
    }
  }));
  Object.defineProperty(globalThis, "self", {
    get() {
      return globalThis;
    },
    configurable: true,
    enumerable: true,
  });
  // The real Zinnia has `window` too (its globals test checks window === globalThis).
  Object.defineProperty(globalThis, "window", {
    get() {
      return globalThis;
    },
    configurable: true,
    enumerable: true,
  });
  Object.defineProperty(globalThis, Symbol.toStringTag, {
    value: "Window",
    configurable: true,
    writable: false,
    enumerable: false,
  });
  // V8 10.2 (--harmony-rab-gsab): %TypedArray%.prototype[@@toStringTag] is undefined for a view
  // on a resizable buffer, so Object.prototype.toString and inspect saw a plain object.
  const typedArrayProto = Object.getPrototypeOf(Uint8Array.prototype);
  const tagGetter = Object.getOwnPropertyDescriptor(typedArrayProto, Symbol.toStringTag).get;
  const kinds = new Map(
    [
      Int8Array,
      Uint8Array,
      Uint8ClampedArray,
      Int16Array,
      Uint16Array,
      Int32Array,
      Uint32Array,
      Float32Array,
      Float64Array,
      BigInt64Array,
      BigUint64Array,
    ].map((C) => [C.prototype, C.name]),
  );
  const isView = ArrayBuffer.isView;
  Object.defineProperty(typedArrayProto, Symbol.toStringTag, {
    get: {
      get [Symbol.toStringTag]() {
        const tag = tagGetter.call(this);
        if (tag !== undefined || !isView(this) || this instanceof DataView) return tag;
        for (let p = Object.getPrototypeOf(this); p !== null; p = Object.getPrototypeOf(p)) {
          const name = kinds.get(p);
          if (name !== undefined) return name;
        }
        return undefined;
      },
    }.__lookupGetter__(Symbol.toStringTag),
    set: undefined,
    enumerable: false,
    configurable: true,
  });
});
