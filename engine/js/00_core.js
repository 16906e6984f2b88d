// Core globals: timers, queueMicrotask, structuredClone, atob/btoa, self.
(function (globalThis, host) {
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
