// The global object as the web platform has it: an EventTarget (its prototype is Window's)
// that receives the loop's `error`, `unhandledrejection` and `rejectionhandled` events, where
// preventDefault() keeps the module going as in Deno; reportError(); the event classes
// ErrorEvent, PromiseRejectionEvent, CloseEvent, ProgressEvent; window/self and navigator.
(globalThis, host, internals) => {
  "use strict";
  const define = (name, value) =>
    Object.defineProperty(globalThis, name, {
      value,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  const { Event, EventTarget } = globalThis;
  const { trusted } = internals;
  const tag = (cls, name) =>
    Object.defineProperty(cls.prototype, Symbol.toStringTag, { value: name, configurable: true });
  const dict = (init, what) => {
    if (init === undefined || init === null) return {};
    if (typeof init !== "object" && typeof init !== "function") {
      throw new TypeError(`${what}: the event init must be an object`);
    }
    return init;
  };
  const u32 = (v) => (v === undefined ? 0 : Number(v) >>> 0);
  const u16 = (v) => (v === undefined ? 0 : (Number(v) >>> 0) & 0xffff);
  // WebIDL unsigned long long: ToNumber, truncate, modulo 2^64 (exact below 2^53).
  const u64 = (v) => {
    if (v === undefined) return 0;
    let n = Math.trunc(Number(v));
    if (!Number.isFinite(n)) return 0;
    n %= 2 ** 64;
    return n < 0 ? n + 2 ** 64 : n;
  };

  // ---- Event classes ----
  class ErrorEvent extends Event {
    #message;
    #filename;
    #lineno;
    #colno;
    #error;
    constructor(type, init = undefined) {
      if (arguments.length === 0)
        throw new TypeError("ErrorEvent constructor: 'type' argument required");
      init = dict(init, "ErrorEvent");
      super(type, init);
      this.#message = init.message === undefined ? "" : String(init.message);
      this.#filename = init.filename === undefined ? "" : String(init.filename);
      this.#lineno = u32(init.lineno);
      this.#colno = u32(init.colno);
      this.#error = init.error;
    }
    get message() {
      return this.#message;
    }
    get filename() {
      return this.#filename;
    }
    get lineno() {
      return this.#lineno;
    }
    get colno() {
      return this.#colno;
    }
    get error() {
      return this.#error;
    }
  }
  tag(ErrorEvent, "ErrorEvent");

  class PromiseRejectionEvent extends Event {
    #promise;
    #reason;
    constructor(type, init) {
      if (arguments.length < 2)
        throw new TypeError("PromiseRejectionEvent constructor: 2 arguments required");
      init = dict(init, "PromiseRejectionEvent");
      if (
        init.promise === null ||
        (typeof init.promise !== "object" && typeof init.promise !== "function")
      ) {
        throw new TypeError(
          "PromiseRejectionEvent constructor: 'promise' is required and must be an object",
        );
      }
      super(type, init);
      this.#promise = init.promise;
      this.#reason = init.reason;
    }
    get promise() {
      return this.#promise;
    }
    get reason() {
      return this.#reason;
    }
  }
  tag(PromiseRejectionEvent, "PromiseRejectionEvent");

  class CloseEvent extends Event {
    #wasClean;
    #code;
    #reason;
    constructor(type, init = undefined) {
      if (arguments.length === 0)
        throw new TypeError("CloseEvent constructor: 'type' argument required");
      init = dict(init, "CloseEvent");
      super(type, init);
      this.#wasClean = !!init.wasClean;
      this.#code = u16(init.code);
      this.#reason = init.reason === undefined ? "" : String(init.reason);
    }
    get wasClean() {
      return this.#wasClean;
    }
    get code() {
      return this.#code;
    }
    get reason() {
      return this.#reason;
    }
  }
  tag(CloseEvent, "CloseEvent");

  class ProgressEvent extends Event {
    #lengthComputable;
    #loaded;
    #total;
    // No required type: Deno and the real Zinnia accept `new ProgressEvent()`, and Zinnia's
    // own tests rely on it.
    constructor(type, init = undefined) {
      init = dict(init, "ProgressEvent");
      super(type, init);
      this.#lengthComputable = !!init.lengthComputable;
      this.#loaded = u64(init.loaded);
      this.#total = u64(init.total);
    }
    get lengthComputable() {
      return this.#lengthComputable;
    }
    get loaded() {
      return this.#loaded;
    }
    get total() {
      return this.#total;
    }
  }
  tag(ProgressEvent, "ProgressEvent");

  // ---- the global object: Window.prototype -> EventTarget.prototype ----
  function Window() {
    throw new TypeError("Illegal constructor");
  }
  Object.setPrototypeOf(Window.prototype, EventTarget.prototype);
  Object.setPrototypeOf(Window, EventTarget);
  tag(Window, "Window");
  Object.setPrototypeOf(globalThis, Window.prototype);

  // on<event> handler attributes of the global. `onerror` gets (message, filename, lineno,
  // colno, error) and cancels the event by returning true; the others cancel by returning false.
  for (const name of [
    "error",
    "unhandledrejection",
    "rejectionhandled",
    "load",
    "unload",
    "beforeunload",
  ]) {
    let handler = null;
    let installed = false;
    Object.defineProperty(globalThis, `on${name}`, {
      get() {
        return handler;
      },
      set(fn) {
        handler = typeof fn === "function" || (typeof fn === "object" && fn !== null) ? fn : null;
        if (installed) return;
        installed = true;
        globalThis.addEventListener(name, function (ev) {
          if (typeof handler !== "function") return;
          if (name === "error" && ev instanceof ErrorEvent) {
            const r = handler.call(
              globalThis,
              ev.message,
              ev.filename,
              ev.lineno,
              ev.colno,
              ev.error,
            );
            if (r === true) ev.preventDefault();
          } else {
            const r = handler.call(globalThis, ev);
            if (r === false) ev.preventDefault();
          }
        });
      },
      configurable: true,
      enumerable: true,
    });
  }

  function describe(error) {
    if (error instanceof Error || (error && typeof error === "object" && "message" in error)) {
      let name = "Error";
      try {
        name = String(error.name);
      } catch {}
      let message = "";
      try {
        message = String(error.message);
      } catch {}
      return `Uncaught ${message ? `${name}: ${message}` : name}`;
    }
    try {
      return `Uncaught ${String(error)}`;
    } catch {
      return "Uncaught";
    }
  }
  function where(error) {
    // file:line:col of the first frame of the stack, when there is one.
    let stack = "";
    try {
      stack = typeof error?.stack === "string" ? error.stack : "";
    } catch {}
    const m = /\(?((?:file|https?|data|zinnia):[^\s)]*?):(\d+):(\d+)\)?/.exec(stack);
    return m ? { filename: m[1], lineno: Number(m[2]), colno: Number(m[3]) } : {};
  }

  let reporting = false;
  // Dispatches `error` for an exception; true when a listener cancelled it.
  function dispatchError(error) {
    if (reporting) return false; // an error while reporting one is fatal
    reporting = true;
    try {
      const ev = new ErrorEvent("error", {
        cancelable: true,
        message: describe(error),
        error,
        ...where(error),
      });
      globalThis.dispatchEvent(trusted(ev));
      return ev.defaultPrevented;
    } finally {
      reporting = false;
    }
  }

  function reportError(error) {
    if (arguments.length === 0) throw new TypeError("reportError: 1 argument required");
    if (!dispatchError(error)) host.reportUncaught(error);
  }
  define("reportError", reportError);

  const reasons = new WeakMap(); // promises reported unhandled -> their reason
  // Per module (the loop keeps the hook): set at module start (internals.moduleStart).
  // Parenthesized: compiled with this file, so its bytecode is in the startup snapshot.
  // prettier-ignore
  internals.moduleStart.push((function () {
    host.setErrorHook((type, value, promise) => {
      if (type === "error") return dispatchError(value);
      if (type === "unhandledrejection") {
        const ev = new PromiseRejectionEvent("unhandledrejection", {
          cancelable: true,
          promise,
          reason: value,
        });
        globalThis.dispatchEvent(trusted(ev));
        if (ev.defaultPrevented) reasons.set(promise, value);
        return ev.defaultPrevented;
      }
      if (type === "rejectionhandled") {
        const reason = reasons.get(promise);
        reasons.delete(promise);
        globalThis.dispatchEvent(
          trusted(new PromiseRejectionEvent("rejectionhandled", { promise, reason })),
        );
      }
      return false;
    });
  }));

  // Array.fromAsync comes from core-js (engine/js/polyfills), installed on first use; a
  // `typeof Array.fromAsync` here would load all of core-js in every module.

  // ---- window, self, navigator ----
  Object.defineProperty(globalThis, "window", {
    get() {
      return globalThis;
    },
    configurable: true,
    enumerable: true,
  });
  Object.defineProperty(globalThis, "self", {
    get() {
      return globalThis;
    },
    configurable: true,
    enumerable: true,
  });

  const token = {};
  class Navigator {
    constructor(t) {
      if (t !== token) throw new TypeError("Illegal constructor");
    }
    get userAgent() {
      return typeof host.userAgent === "string" && host.userAgent
        ? host.userAgent
        : `zinniad/${host.zinniaVersion ?? "0"} ${host.moduleName ?? ""}`.trim();
    }
    get hardwareConcurrency() {
      return host.hardwareConcurrency;
    }
    get language() {
      return "en-US";
    }
    get languages() {
      return ["en-US"];
    }
  }
  tag(Navigator, "Navigator");
  const navigator = new Navigator(token);
  Object.defineProperty(globalThis, "navigator", {
    get() {
      return navigator;
    },
    configurable: true,
    enumerable: true,
  });

  define("Window", Window);
  define("Navigator", Navigator);
  define("ErrorEvent", ErrorEvent);
  define("PromiseRejectionEvent", PromiseRejectionEvent);
  define("CloseEvent", CloseEvent);
  define("ProgressEvent", ProgressEvent);
};
