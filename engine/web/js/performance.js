// User Timing Level 3 and Performance Timeline on the `performance` object of crypto.js:
// PerformanceEntry, PerformanceMark, PerformanceMeasure, mark/measure, getEntries*,
// clearMarks/clearMeasures, PerformanceObserver (mark and measure entries), toJSON.
(globalThis, host) => {
  "use strict";
  const define = (name, value) =>
    Object.defineProperty(globalThis, name, {
      value,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  const Performance = globalThis.Performance;
  const performance = globalThis.performance;
  const kToken = Symbol("token");
  const isObject = (v) => v !== null && (typeof v === "object" || typeof v === "function");
  const tag = (cls, name) =>
    Object.defineProperty(cls.prototype, Symbol.toStringTag, { value: name, configurable: true });

  const kEntry = Symbol("entry");
  class PerformanceEntry {
    constructor(t) {
      if (t !== kToken) throw new TypeError("Illegal constructor");
    }
    get name() {
      return this[kEntry].name;
    }
    get entryType() {
      return this[kEntry].entryType;
    }
    get startTime() {
      return this[kEntry].startTime;
    }
    get duration() {
      return this[kEntry].duration;
    }
    toJSON() {
      return {
        name: this.name,
        entryType: this.entryType,
        startTime: this.startTime,
        duration: this.duration,
      };
    }
  }
  tag(PerformanceEntry, "PerformanceEntry");

  function dict(v, what) {
    if (v === undefined || v === null) return {};
    if (!isObject(v)) throw new TypeError(`${what}: options must be an object`);
    return v;
  }
  function timestamp(v, what) {
    const n = Number(v);
    if (!Number.isFinite(n)) throw new TypeError(`${what} must be a finite number`);
    if (n < 0) throw new TypeError(`${what} must not be negative`);
    return n;
  }

  class PerformanceMark extends PerformanceEntry {
    constructor(markName, markOptions = undefined) {
      if (arguments.length === 0)
        throw new TypeError("PerformanceMark constructor: 1 argument required");
      const name = String(markName);
      const opts = dict(markOptions, "PerformanceMark");
      const detail = opts.detail;
      const startTime =
        opts.startTime === undefined ? host.now() : timestamp(opts.startTime, "startTime");
      super(kToken);
      this[kEntry] = {
        name,
        entryType: "mark",
        startTime,
        duration: 0,
        detail: detail === undefined || detail === null ? null : structuredClone(detail),
      };
    }
    get detail() {
      return this[kEntry].detail;
    }
  }
  tag(PerformanceMark, "PerformanceMark");

  class PerformanceMeasure extends PerformanceEntry {
    get detail() {
      return this[kEntry].detail;
    }
  }
  tag(PerformanceMeasure, "PerformanceMeasure");

  const buffer = []; // marks and measures, in insertion order
  const byTime = (list) => list.slice().sort((a, b) => a.startTime - b.startTime);

  function markTime(mark, what) {
    if (typeof mark === "string") {
      for (let i = buffer.length - 1; i >= 0; i--) {
        const e = buffer[i][kEntry];
        if (e.entryType === "mark" && e.name === mark) return e.startTime;
      }
      throw new DOMException(`The mark '${mark}' does not exist.`, "SyntaxError");
    }
    return timestamp(mark, what);
  }
  // The mark argument of measure(): a DOMString or a DOMHighResTimeStamp (WebIDL union).
  const markArg = (v) => (typeof v === "number" ? v : String(v));

  function checkThis(self, what) {
    if (self !== performance) throw new TypeError(`Performance.${what}: illegal invocation`);
  }
  const methods = {
    mark(markName, markOptions = undefined) {
      checkThis(this, "mark");
      if (arguments.length === 0) throw new TypeError("Performance.mark: 1 argument required");
      const entry = new PerformanceMark(markName, markOptions);
      add(entry);
      return entry;
    },
    measure(measureName, startOrMeasureOptions = undefined, endMark = undefined) {
      checkThis(this, "measure");
      if (arguments.length === 0) throw new TypeError("Performance.measure: 1 argument required");
      const name = String(measureName);
      let opts = null;
      if (isObject(startOrMeasureOptions)) {
        const o = startOrMeasureOptions;
        const present = ["start", "end", "duration", "detail"].some((k) => o[k] !== undefined);
        if (present) {
          opts = o;
          if (endMark !== undefined)
            throw new TypeError(
              "Performance.measure: options and an end mark cannot both be given",
            );
          if (o.start === undefined && o.end === undefined)
            throw new TypeError("Performance.measure: options need start or end");
          if (o.start !== undefined && o.duration !== undefined && o.end !== undefined) {
            throw new TypeError("Performance.measure: start, duration and end cannot all be given");
          }
        }
      }
      let end;
      if (endMark !== undefined) end = markTime(markArg(endMark), "end");
      else if (opts && opts.end !== undefined) end = markTime(markArg(opts.end), "end");
      else if (opts && opts.start !== undefined && opts.duration !== undefined) {
        end = markTime(markArg(opts.start), "start") + timestamp(opts.duration, "duration");
      } else end = host.now();
      let start;
      if (opts && opts.start !== undefined) start = markTime(markArg(opts.start), "start");
      else if (opts && opts.duration !== undefined && opts.end !== undefined) {
        start = end - timestamp(opts.duration, "duration");
      } else if (!opts && startOrMeasureOptions !== undefined && !isObject(startOrMeasureOptions)) {
        start = markTime(markArg(startOrMeasureOptions), "start");
      } else start = 0;
      const detail =
        opts && opts.detail !== undefined && opts.detail !== null
          ? structuredClone(opts.detail)
          : null;
      const entry = Object.create(PerformanceMeasure.prototype);
      entry[kEntry] = {
        name,
        entryType: "measure",
        startTime: start,
        duration: end - start,
        detail,
      };
      add(entry);
      return entry;
    },
    clearMarks(markName = undefined) {
      clear("mark", markName);
    },
    clearMeasures(measureName = undefined) {
      clear("measure", measureName);
    },
    getEntries() {
      return byTime(buffer);
    },
    getEntriesByType(type) {
      type = String(type);
      return byTime(buffer.filter((e) => e.entryType === type));
    },
    getEntriesByName(name, type = undefined) {
      name = String(name);
      return byTime(
        buffer.filter(
          (e) => e.name === name && (type === undefined || e.entryType === String(type)),
        ),
      );
    },
    toJSON() {
      return { timeOrigin: performance.timeOrigin };
    },
  };
  function clear(type, name) {
    for (let i = buffer.length - 1; i >= 0; i--) {
      const e = buffer[i][kEntry];
      if (e.entryType === type && (name === undefined || e.name === String(name)))
        buffer.splice(i, 1);
    }
  }
  for (const [k, fn] of Object.entries(methods)) {
    Object.defineProperty(Performance.prototype, k, {
      value: fn,
      writable: true,
      configurable: true,
      enumerable: true,
    });
  }

  // ---- PerformanceObserver ----
  const observers = new Set();
  const kObs = Symbol("observer");
  function add(entry) {
    buffer.push(entry);
    for (const o of observers) {
      const s = o[kObs];
      if (!s.types.has(entry.entryType)) continue;
      s.queue.push(entry);
      if (!s.scheduled) {
        s.scheduled = true;
        setTimeout(() => deliver(o), 0);
      }
    }
  }
  function deliver(o) {
    const s = o[kObs];
    s.scheduled = false;
    if (!observers.has(o) || s.queue.length === 0) return;
    const list = new PerformanceObserverEntryList(kToken, s.queue.splice(0));
    s.callback.call(o, list, o);
  }
  const SUPPORTED = Object.freeze(["mark", "measure"]);
  class PerformanceObserver {
    constructor(callback) {
      if (typeof callback !== "function")
        throw new TypeError("PerformanceObserver: the callback must be a function");
      this[kObs] = { callback, types: new Set(), queue: [], scheduled: false, mode: null };
    }
    observe(options = undefined) {
      const s = this[kObs];
      const o = dict(options, "PerformanceObserver.observe");
      if (o.entryTypes !== undefined && o.type !== undefined)
        throw new TypeError("observe: entryTypes and type cannot both be given");
      if (o.entryTypes === undefined && o.type === undefined)
        throw new TypeError("observe: entryTypes or type is required");
      if (o.entryTypes !== undefined) {
        if (o.buffered !== undefined)
          throw new TypeError("observe: buffered goes with type, not entryTypes");
        if (s.mode === "type")
          throw new DOMException(
            "observe: this observer already uses type",
            "InvalidModificationError",
          );
        s.mode = "entryTypes";
        s.types = new Set(Array.from(o.entryTypes, String).filter((t) => SUPPORTED.includes(t)));
      } else {
        if (s.mode === "entryTypes")
          throw new DOMException(
            "observe: this observer already uses entryTypes",
            "InvalidModificationError",
          );
        s.mode = "type";
        const t = String(o.type);
        if (!SUPPORTED.includes(t)) return;
        s.types.add(t);
        if (o.buffered) {
          for (const e of byTime(buffer)) if (e.entryType === t) s.queue.push(e);
          if (s.queue.length && !s.scheduled) {
            s.scheduled = true;
            setTimeout(() => deliver(this), 0);
          }
        }
      }
      if (s.types.size) observers.add(this);
    }
    disconnect() {
      observers.delete(this);
      this[kObs].queue = [];
    }
    takeRecords() {
      return this[kObs].queue.splice(0);
    }
    static get supportedEntryTypes() {
      return SUPPORTED;
    }
  }
  tag(PerformanceObserver, "PerformanceObserver");

  class PerformanceObserverEntryList {
    #entries;
    constructor(t, entries) {
      if (t !== kToken) throw new TypeError("Illegal constructor");
      this.#entries = byTime(entries);
    }
    getEntries() {
      return this.#entries.slice();
    }
    getEntriesByType(type) {
      type = String(type);
      return this.#entries.filter((e) => e.entryType === type);
    }
    getEntriesByName(name, type = undefined) {
      name = String(name);
      return this.#entries.filter(
        (e) => e.name === name && (type === undefined || e.entryType === String(type)),
      );
    }
  }
  tag(PerformanceObserverEntryList, "PerformanceObserverEntryList");

  define("PerformanceEntry", PerformanceEntry);
  define("PerformanceMark", PerformanceMark);
  define("PerformanceMeasure", PerformanceMeasure);
  define("PerformanceObserver", PerformanceObserver);
  define("PerformanceObserverEntryList", PerformanceObserverEntryList);
};
