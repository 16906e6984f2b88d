// Core globals: timers, queueMicrotask, structuredClone, atob/btoa, self.
(function (globalThis, host) {
  "use strict";
  // define(name, value): a global as the web platform makes them (writable, configurable,
  // not enumerable). Later bootstrap files use it too.
  host.define = function define(name, value) {
    Object.defineProperty(globalThis, name, {
      value, writable: true, configurable: true, enumerable: false,
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
    get() { return globalThis; }, configurable: true, enumerable: true,
  });
  Object.defineProperty(globalThis, Symbol.toStringTag, {
    value: "Window", configurable: true, writable: false, enumerable: false,
  });
});
