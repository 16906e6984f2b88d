// DOMException, Event, CustomEvent, EventTarget, AbortController and AbortSignal.
(globalThis, host, internals) => {
  "use strict";
  const define = (name, value) =>
    Object.defineProperty(globalThis, name, {
      value,
      writable: true,
      configurable: true,
      enumerable: false,
    });

  // ---- DOMException ----
  const CODES = {
    IndexSizeError: 1,
    HierarchyRequestError: 3,
    WrongDocumentError: 4,
    InvalidCharacterError: 5,
    NoModificationAllowedError: 7,
    NotFoundError: 8,
    NotSupportedError: 9,
    InvalidStateError: 11,
    SyntaxError: 12,
    InvalidModificationError: 13,
    NamespaceError: 14,
    InvalidAccessError: 15,
    TypeMismatchError: 17,
    SecurityError: 18,
    NetworkError: 19,
    AbortError: 20,
    URLMismatchError: 21,
    QuotaExceededError: 22,
    TimeoutError: 23,
    InvalidNodeTypeError: 24,
    DataCloneError: 25,
  };
  const LEGACY = [
    ["INDEX_SIZE_ERR", 1],
    ["DOMSTRING_SIZE_ERR", 2],
    ["HIERARCHY_REQUEST_ERR", 3],
    ["WRONG_DOCUMENT_ERR", 4],
    ["INVALID_CHARACTER_ERR", 5],
    ["NO_DATA_ALLOWED_ERR", 6],
    ["NO_MODIFICATION_ALLOWED_ERR", 7],
    ["NOT_FOUND_ERR", 8],
    ["NOT_SUPPORTED_ERR", 9],
    ["INUSE_ATTRIBUTE_ERR", 10],
    ["INVALID_STATE_ERR", 11],
    ["SYNTAX_ERR", 12],
    ["INVALID_MODIFICATION_ERR", 13],
    ["NAMESPACE_ERR", 14],
    ["INVALID_ACCESS_ERR", 15],
    ["VALIDATION_ERR", 16],
    ["TYPE_MISMATCH_ERR", 17],
    ["SECURITY_ERR", 18],
    ["NETWORK_ERR", 19],
    ["ABORT_ERR", 20],
    ["URL_MISMATCH_ERR", 21],
    ["QUOTA_EXCEEDED_ERR", 22],
    ["TIMEOUT_ERR", 23],
    ["INVALID_NODE_TYPE_ERR", 24],
    ["DATA_CLONE_ERR", 25],
  ];
  const kName = Symbol("name");
  const kMessage = Symbol("message");
  class DOMException extends Error {
    constructor(message = "", options = "Error") {
      super();
      let name = options;
      if (options !== null && typeof options === "object") {
        name = "name" in options ? options.name : "Error";
        if ("cause" in options) {
          Object.defineProperty(this, "cause", {
            value: options.cause,
            writable: true,
            configurable: true,
          });
        }
      }
      this[kName] = String(name);
      this[kMessage] = String(message);
      // Error's own message/name would shadow the getters; keep them on the prototype.
      delete this.message;
    }
    get name() {
      return this[kName];
    }
    get message() {
      return this[kMessage];
    }
    get code() {
      return CODES[this[kName]] || 0;
    }
  }
  Object.defineProperty(DOMException.prototype, Symbol.toStringTag, {
    value: "DOMException",
    configurable: true,
  });
  for (const [k, v] of LEGACY) {
    Object.defineProperty(DOMException, k, { value: v, enumerable: true });
    Object.defineProperty(DOMException.prototype, k, { value: v, enumerable: true });
  }
  define("DOMException", DOMException);
  // The class natives throw (bind::DOMException), whatever user code later does to the global.
  internals.DOMException = DOMException;

  // ---- Event ----
  const kState = Symbol("eventState");
  // One getter for every event (WebIDL [LegacyUnforgeable]: an own property, the same function).
  const isTrustedGetter = {
    get isTrusted() {
      return this?.[kState]?.trusted === true;
    },
  };
  const isTrusted = Object.getOwnPropertyDescriptor(isTrustedGetter, "isTrusted").get;
  class Event {
    constructor(type, init = {}) {
      if (arguments.length === 0)
        throw new TypeError("Event constructor: 'type' argument required");
      init = init ?? {};
      this[kState] = {
        type: String(type),
        bubbles: !!init.bubbles,
        cancelable: !!init.cancelable,
        composed: !!init.composed,
        defaultPrevented: false,
        target: null,
        currentTarget: null,
        phase: 0,
        stop: false,
        stopImmediate: false,
        inPassive: false,
        timeStamp: Date.now(),
        dispatching: false,
        initialized: true,
        trusted: false,
      };
      Object.defineProperty(this, "isTrusted", { get: isTrusted, enumerable: true });
    }
    initEvent(type, bubbles = false, cancelable = false) {
      if (arguments.length === 0) throw new TypeError("Event.initEvent: 'type' argument required");
      const s = this[kState];
      if (s.dispatching) return;
      s.type = String(type);
      s.bubbles = !!bubbles;
      s.cancelable = !!cancelable;
      s.defaultPrevented = false;
      s.stop = false;
      s.stopImmediate = false;
      s.target = null;
    }
    get type() {
      return this[kState].type;
    }
    get target() {
      return this[kState].target;
    }
    get srcElement() {
      return this[kState].target;
    }
    get currentTarget() {
      return this[kState].currentTarget;
    }
    get eventPhase() {
      return this[kState].phase;
    }
    get bubbles() {
      return this[kState].bubbles;
    }
    get cancelable() {
      return this[kState].cancelable;
    }
    get composed() {
      return this[kState].composed;
    }
    get defaultPrevented() {
      return this[kState].defaultPrevented;
    }
    get returnValue() {
      return !this[kState].defaultPrevented;
    }
    set returnValue(v) {
      if (!v) this.preventDefault();
    }
    get cancelBubble() {
      return this[kState].stop;
    }
    set cancelBubble(v) {
      if (v) this[kState].stop = true;
    }
    get timeStamp() {
      return this[kState].timeStamp;
    }
    composedPath() {
      return this[kState].dispatching && this[kState].target ? [this[kState].target] : [];
    }
    preventDefault() {
      const s = this[kState];
      if (s.cancelable && !s.inPassive) s.defaultPrevented = true;
    }
    stopPropagation() {
      this[kState].stop = true;
    }
    stopImmediatePropagation() {
      this[kState].stop = true;
      this[kState].stopImmediate = true;
    }
  }
  Object.assign(Event, { NONE: 0, CAPTURING_PHASE: 1, AT_TARGET: 2, BUBBLING_PHASE: 3 });
  Object.defineProperty(Event.prototype, Symbol.toStringTag, {
    value: "Event",
    configurable: true,
  });

  class CustomEvent extends Event {
    constructor(type, init = {}) {
      super(type, init);
      this._detail = init?.detail ?? null;
      Object.defineProperty(this, "_detail", { enumerable: false });
    }
    get detail() {
      return this._detail;
    }
  }
  Object.defineProperty(CustomEvent.prototype, Symbol.toStringTag, {
    value: "CustomEvent",
    configurable: true,
  });

  // ---- EventTarget ----
  const kListeners = Symbol("listeners");
  // AddEventListenerOptions, read as WebIDL does: members in order, each once.
  function normalizeOptions(options) {
    if (typeof options !== "object" || options === null)
      return { capture: !!options, once: false, passive: false, signal: undefined };
    const capture = !!options.capture;
    const once = !!options.once;
    const passive = !!options.passive;
    const signal = options.signal;
    if (signal !== undefined && !(signal instanceof AbortSignal))
      throw new TypeError("addEventListener: options.signal is not an AbortSignal");
    return { capture, once, passive, signal };
  }
  function reportError(err) {
    // A throwing listener must not stop the dispatch; surface it like an uncaught error.
    if (typeof globalThis.reportError === "function") globalThis.reportError(err);
    else Promise.reject(err);
  }
  class EventTarget {
    constructor() {
      this[kListeners] = new Map();
    }
    addEventListener(type, callback, options) {
      // Called bare (`addEventListener(...)` in a module), `this` is the global, as in WebIDL.
      if (this === undefined || this === null)
        return EventTarget.prototype.addEventListener.call(globalThis, type, callback, options);
      const { capture, once, passive, signal } = normalizeOptions(options);
      if (callback === null || callback === undefined) return;
      if (signal && signal.aborted) return;
      if (!this[kListeners]) this[kListeners] = new Map();
      type = String(type);
      let list = this[kListeners].get(type);
      if (!list) this[kListeners].set(type, (list = []));
      if (list.some((l) => l.callback === callback && l.capture === capture)) return;
      const entry = { callback, capture, once, passive, removed: false };
      list.push(entry);
      // An abort algorithm, not a listener: it must not keep a timeout signal's timer alive.
      if (signal)
        addAbortAlgorithm(signal, () => this.removeEventListener(type, callback, { capture }));
    }
    removeEventListener(type, callback, options) {
      if (this === undefined || this === null)
        return EventTarget.prototype.removeEventListener.call(globalThis, type, callback, options);
      const capture =
        typeof options === "object" && options !== null ? !!options.capture : !!options;
      const list = this[kListeners]?.get(String(type));
      if (!list) return;
      const i = list.findIndex((l) => l.callback === callback && l.capture === capture);
      if (i >= 0) {
        list[i].removed = true;
        list.splice(i, 1);
      }
    }
    dispatchEvent(event) {
      if (this === undefined || this === null)
        return EventTarget.prototype.dispatchEvent.call(globalThis, event);
      if (!(event instanceof Event))
        throw new TypeError("EventTarget.dispatchEvent: argument is not an Event");
      const s = event[kState];
      if (s.dispatching)
        throw new DOMException("The event is already being dispatched.", "InvalidStateError");
      s.dispatching = true;
      s.target = this;
      s.currentTarget = this;
      s.phase = 2;
      try {
        const list = this[kListeners]?.get(s.type);
        if (list) {
          for (const l of list.slice()) {
            if (l.removed) continue;
            if (l.once) this.removeEventListener(s.type, l.callback, { capture: l.capture });
            s.inPassive = l.passive;
            try {
              if (typeof l.callback === "function") l.callback.call(this, event);
              else if (l.callback && typeof l.callback.handleEvent === "function")
                l.callback.handleEvent(event);
            } catch (err) {
              reportError(err);
            }
            s.inPassive = false;
            if (s.stopImmediate) break;
          }
        }
        // on<type> attribute handlers (e.g. signal.onabort) are stored as listeners too.
      } finally {
        s.dispatching = false;
        s.currentTarget = null;
        s.phase = 0;
        s.stop = false;
        s.stopImmediate = false;
      }
      return !s.defaultPrevented;
    }
  }
  Object.defineProperty(EventTarget.prototype, Symbol.toStringTag, {
    value: "EventTarget",
    configurable: true,
  });

  function defineEventHandler(proto, name) {
    const key = Symbol(`on${name}`);
    Object.defineProperty(proto, `on${name}`, {
      get() {
        return this[key]?.handler ?? null;
      },
      set(fn) {
        if (!this[key]) {
          const holder = { handler: null };
          this[key] = holder;
          this.addEventListener(name, (ev) => {
            if (typeof holder.handler === "function") holder.handler.call(this, ev);
          });
        }
        this[key].handler = typeof fn === "function" ? fn : null;
      },
      configurable: true,
      enumerable: true,
    });
  }

  // ---- AbortSignal / AbortController ----
  const kAborted = Symbol("aborted");
  const kReason = Symbol("reason");
  const kAlgorithms = Symbol("abortAlgorithms");
  const kDependents = Symbol("dependents");
  const token = {};
  // Captured: user code may replace the globals.
  const setTimeout_ = globalThis.setTimeout;
  const clearTimeout_ = globalThis.clearTimeout;

  const kDependent = Symbol("dependent");
  const kSources = Symbol("sources");
  const kTimeout = Symbol("timeout");

  // The DOM Standard's "signal abort": every dependent is marked aborted before any abort
  // event fires; the source's event first, then its dependents' in the order they were made.
  function signalAbort(signal, reason) {
    if (signal[kAborted]) return;
    signal[kAborted] = true;
    signal[kReason] =
      reason === undefined ? new DOMException("This operation was aborted", "AbortError") : reason;
    const toAbort = [];
    const dependents = signal[kDependents];
    signal[kDependents] = null;
    if (dependents)
      for (const ref of dependents) {
        const dep = ref.deref();
        if (dep && !dep[kAborted]) {
          dep[kAborted] = true;
          dep[kReason] = signal[kReason];
          toAbort.push(dep);
        }
      }
    runAbortSteps(signal);
    for (const dep of toAbort) runAbortSteps(dep);
  }
  function runAbortSteps(signal) {
    const algorithms = signal[kAlgorithms];
    signal[kAlgorithms] = null;
    if (algorithms) for (const fn of algorithms) fn();
    const timeout = signal[kTimeout];
    if (timeout?.strong !== undefined) clearTimeout_(timeout.strong);
    const ev = new Event("abort");
    ev[kState].trusted = true;
    signal.dispatchEvent(ev);
  }

  function hasAbortListeners(signal) {
    return (signal[kListeners]?.get("abort")?.length ?? 0) > 0;
  }
  // A timeout signal's timer does not keep the module alive, unless someone listens for its
  // abort (on it or on a signal that depends on it), as in Deno.
  function refTimeouts(signal) {
    const sources = signal[kTimeout] ? [signal] : (signal[kSources] ?? []);
    const listened = hasAbortListeners(signal);
    for (const src of sources) {
      const t = src[kTimeout];
      if (!t || src[kAborted]) continue;
      if (listened) t.listeners.add(signal);
      else t.listeners.delete(signal);
      if (t.listeners.size > 0 && t.strong === undefined) {
        const left = Math.max(0, t.deadline - Date.now());
        t.strong = setTimeout_(t.fire, left);
      } else if (t.listeners.size === 0 && t.strong !== undefined) {
        clearTimeout_(t.strong);
        t.strong = undefined;
      }
    }
  }

  class AbortSignal extends EventTarget {
    constructor(t) {
      if (t !== token) throw new TypeError("Illegal constructor");
      super();
      this[kAborted] = false;
      this[kReason] = undefined;
      this[kAlgorithms] = null;
      this[kDependents] = null;
      this[kDependent] = false;
      this[kSources] = null;
      this[kTimeout] = null;
    }
    get aborted() {
      return this[kAborted];
    }
    get reason() {
      return this[kReason];
    }
    throwIfAborted() {
      if (this[kAborted]) throw this[kReason];
    }
    addEventListener(type, callback, options) {
      super.addEventListener(type, callback, options);
      if (this instanceof AbortSignal && String(type) === "abort") refTimeouts(this);
    }
    removeEventListener(type, callback, options) {
      super.removeEventListener(type, callback, options);
      if (this instanceof AbortSignal && String(type) === "abort") refTimeouts(this);
    }
    static abort(reason) {
      const s = new AbortSignal(token);
      signalAbort(s, reason);
      return s;
    }
    static timeout(ms) {
      ms = Number(ms);
      if (!Number.isFinite(ms) || ms < 0 || ms > Number.MAX_SAFE_INTEGER)
        throw new TypeError("AbortSignal.timeout: milliseconds must be a non-negative number");
      ms = Math.trunc(ms);
      const s = new AbortSignal(token);
      const fire = () =>
        signalAbort(s, new DOMException("The operation timed out.", "TimeoutError"));
      s[kTimeout] = { deadline: Date.now() + ms, fire, strong: undefined, listeners: new Set() };
      // Like in browsers and Deno, a pending timeout signal does not keep the module alive.
      host.weakTimer(ms, fire);
      return s;
    }
    static any(signals) {
      const list = [];
      for (const src of signals) {
        if (!(src instanceof AbortSignal))
          throw new TypeError("AbortSignal.any: every element must be an AbortSignal");
        list.push(src);
      }
      const s = new AbortSignal(token);
      for (const src of list) {
        if (src[kAborted]) {
          s[kAborted] = true;
          s[kReason] = src[kReason];
          return s;
        }
      }
      s[kDependent] = true;
      const sources = new Set();
      for (const src of list) {
        if (!src[kDependent]) sources.add(src);
        else for (const inner of src[kSources] ?? []) if (!inner[kAborted]) sources.add(inner);
      }
      for (const src of sources) {
        if (!src[kDependents]) src[kDependents] = [];
        src[kDependents].push(new WeakRef(s));
      }
      // The sources stay reachable from the dependent while it lives.
      s[kSources] = Array.from(sources);
      return s;
    }
  }
  defineEventHandler(AbortSignal.prototype, "abort");
  Object.defineProperty(AbortSignal.prototype, Symbol.toStringTag, {
    value: "AbortSignal",
    configurable: true,
  });

  const kSignal = Symbol("signal");
  class AbortController {
    constructor() {
      this[kSignal] = new AbortSignal(token);
    }
    get signal() {
      return this[kSignal];
    }
    abort(reason) {
      signalAbort(this[kSignal], reason);
    }
  }
  Object.defineProperty(AbortController.prototype, Symbol.toStringTag, {
    value: "AbortController",
    configurable: true,
  });

  // Internal hook for fetch and streams: run `fn` once when `signal` aborts.
  function addAbortAlgorithm(signal, fn) {
    if (signal[kAborted]) return () => {};
    if (!signal[kAlgorithms]) signal[kAlgorithms] = new Set();
    signal[kAlgorithms].add(fn);
    return () => signal[kAlgorithms]?.delete(fn);
  }
  internals.addAbortAlgorithm = addAbortAlgorithm;
  // Events the runtime dispatches (not user code) are trusted.
  internals.trusted = (event) => {
    event[kState].trusted = true;
    return event;
  };

  define("Event", Event);
  define("CustomEvent", CustomEvent);
  define("EventTarget", EventTarget);
  define("AbortSignal", AbortSignal);
  define("AbortController", AbortController);
};
