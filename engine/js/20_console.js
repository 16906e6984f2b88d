// console: log/info/debug/warn/error are natives (a fast path for plain values); the rest here.
(function (globalThis, host) {
  "use strict";
  const c = host.console;
  const print = host.print;
  const inspect = host.inspectValue;
  // The sink's levels, declared once in C++ (engine/api/console.cc).
  const { INFO, WARN, ERROR } = host.level;
  if ([INFO, WARN, ERROR].some((v) => typeof v !== "number"))
    throw new Error("host.level is incomplete");
  const counts = new Map();
  const timers = new Map();
  let depth = 0;
  const format = (args) => {
    // Reuse the native formatter through a capture: console.log writes to the sink, so format
    // the simple way here (these methods are not on the hot path).
    return args.map((a) => (typeof a === "string" ? a : inspect(a))).join(" ");
  };
  const console = {
    log: c.log,
    info: c.info,
    debug: c.debug,
    warn: c.warn,
    error: c.error,
    trace(...args) {
      const err = { name: "Trace", message: format(args) };
      Error.captureStackTrace(err, console.trace);
      print(ERROR, err.stack);
    },
    dir(value, options) {
      print(INFO, inspect(value, options));
    },
    dirxml(...args) {
      c.log(...args);
    },
    assert(condition, ...args) {
      if (condition) return;
      if (args.length === 0) print(ERROR, "Assertion failed");
      else if (typeof args[0] === "string") {
        print(ERROR, "Assertion failed: " + format(args));
      } else print(ERROR, "Assertion failed: " + format(args));
    },
    count(label = "default") {
      label = String(label);
      const n = (counts.get(label) || 0) + 1;
      counts.set(label, n);
      print(INFO, `${label}: ${n}`);
    },
    countReset(label = "default") {
      label = String(label);
      if (counts.has(label)) counts.set(label, 0);
      else print(WARN, `Count for '${label}' does not exist`);
    },
    time(label = "default") {
      label = String(label);
      if (timers.has(label)) {
        print(WARN, `Timer '${label}' already exists`);
        return;
      }
      timers.set(label, host.now());
    },
    timeLog(label = "default", ...args) {
      label = String(label);
      if (!timers.has(label)) {
        print(WARN, `Timer '${label}' does not exist`);
        return;
      }
      const ms = host.now() - timers.get(label);
      const extra = args.length ? " " + format(args) : "";
      print(INFO, `${label}: ${ms.toFixed(0)}ms${extra}`);
    },
    timeEnd(label = "default") {
      label = String(label);
      if (!timers.has(label)) {
        print(WARN, `Timer '${label}' does not exist`);
        return;
      }
      const ms = host.now() - timers.get(label);
      timers.delete(label);
      print(INFO, `${label}: ${ms.toFixed(0)}ms`);
    },
    group(...args) {
      if (args.length) c.log(...args);
      host.setGroupIndent(2 * ++depth);
    },
    groupCollapsed(...args) {
      console.group(...args);
    },
    groupEnd() {
      if (depth > 0) host.setGroupIndent(2 * --depth);
    },
    table(data) {
      print(INFO, inspect(data));
    },
    clear() {},
  };
  Object.defineProperty(console, Symbol.toStringTag, { value: "console", configurable: true });
  host.define("console", console);
});
