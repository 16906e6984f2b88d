// MessageChannel, MessagePort, MessageEvent and structuredClone's `transfer` of MessagePorts
// (HTML Standard, "Cross-document messaging" and "Channel messaging"), as far as one isolate
// needs: both ends of a channel live in the same module. A message is cloned when posted and
// delivered as a task of its own on the module's event loop.
(globalThis, host, internals) => {
  "use strict";
  const define = (name, value) =>
    Object.defineProperty(globalThis, name, {
      value,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  // Captured: user code may replace the globals.
  const nativeClone = globalThis.structuredClone;
  const setTimeout_ = globalThis.setTimeout;
  const { DOMException, trusted } = internals;
  const abByteLength = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, "byteLength").get;

  const dataCloneError = (message) => new DOMException(message, "DataCloneError");

  // ---- MessageEvent ----
  const kMessage = Symbol("message");
  function toPorts(value, what) {
    if (value === null || typeof value !== "object" || typeof value[Symbol.iterator] !== "function")
      throw new TypeError(`${what}: ports is not a sequence`);
    const ports = Array.from(value);
    for (const p of ports)
      if (!isPort(p)) throw new TypeError(`${what}: ports must hold MessagePorts only`);
    return Object.freeze(ports);
  }
  function toSource(value, what) {
    if (value === undefined || value === null) return null;
    if (!isPort(value)) throw new TypeError(`${what}: source must be a MessagePort or null`);
    return value;
  }
  class MessageEvent extends Event {
    constructor(type, init = undefined) {
      if (arguments.length === 0)
        throw new TypeError("MessageEvent constructor: 'type' argument required");
      if (init !== undefined && init !== null && typeof init !== "object")
        throw new TypeError("MessageEvent constructor: eventInitDict is not an object");
      super(type, init);
      init = init ?? {};
      // MessageEventInit's members, in WebIDL's order.
      const data = init.data === undefined ? null : init.data;
      const lastEventId = init.lastEventId === undefined ? "" : String(init.lastEventId);
      const origin = init.origin === undefined ? "" : String(init.origin);
      const ports =
        init.ports === undefined ? Object.freeze([]) : toPorts(init.ports, "MessageEvent");
      const source = toSource(init.source, "MessageEvent");
      this[kMessage] = { data, lastEventId, origin, ports, source };
    }
    get data() {
      return this[kMessage].data;
    }
    get origin() {
      return this[kMessage].origin;
    }
    get lastEventId() {
      return this[kMessage].lastEventId;
    }
    get source() {
      return this[kMessage].source;
    }
    get ports() {
      return this[kMessage].ports;
    }
    initMessageEvent(
      type,
      bubbles = false,
      cancelable = false,
      data = null,
      origin = "",
      lastEventId = "",
      source = null,
      ports = [],
    ) {
      if (arguments.length === 0)
        throw new TypeError("MessageEvent.initMessageEvent: 'type' argument required");
      this.initEvent(type, bubbles, cancelable);
      this[kMessage] = {
        data,
        origin: String(origin),
        lastEventId: String(lastEventId),
        source: toSource(source, "initMessageEvent"),
        ports: toPorts(ports, "initMessageEvent"),
      };
    }
  }
  Object.defineProperty(MessageEvent.prototype, Symbol.toStringTag, {
    value: "MessageEvent",
    configurable: true,
  });

  // ---- MessagePort ----
  const states = new WeakMap(); // port -> its state (kept off the object: inspect stays clean)
  const token = {};
  function isPort(value) {
    return states.has(value);
  }
  function portState(port, what) {
    const st = states.get(port);
    if (st === undefined) throw new TypeError(`${what}: 'this' is not a MessagePort`);
    return st;
  }
  function newPort() {
    // An object V8 serializes as a host object (messaging.cc), so a clone can transfer it.
    const port = host.portObject();
    Object.setPrototypeOf(port, MessagePort.prototype);
    states.set(port, {
      partner: null,
      queue: [], // cloned messages not delivered yet: {data, ports}
      enabled: false, // the port message queue (start(), or setting onmessage)
      closed: false,
      detached: false, // transferred: the clone's port took over
      movedTo: null,
    });
    return port;
  }
  // One task per message: each is dispatched on its own, with microtasks run in between.
  function schedule(port) {
    setTimeout_(() => deliver(port), 0);
  }
  function deliver(port) {
    let st = states.get(port);
    while (st.movedTo) st = states.get((port = st.movedTo));
    if (!st.enabled || st.closed || st.queue.length === 0) return;
    const { data, ports } = st.queue.shift();
    port.dispatchEvent(trusted(new MessageEvent("message", { data, ports })));
  }

  class MessagePort extends EventTarget {
    constructor(t = undefined) {
      if (t !== token) throw new TypeError("Illegal constructor");
      super();
    }
    postMessage(message, transferOrOptions = undefined) {
      const st = portState(this, "MessagePort.postMessage");
      if (arguments.length === 0)
        throw new TypeError("MessagePort.postMessage: 1 argument required, but only 0 present");
      let transfer;
      if (
        transferOrOptions !== null &&
        typeof transferOrOptions === "object" &&
        typeof transferOrOptions[Symbol.iterator] === "function"
      )
        transfer = Array.from(transferOrOptions);
      else transfer = readTransfer(transferOrOptions, "MessagePort.postMessage");
      if (transfer.includes(this))
        throw dataCloneError("MessagePort.postMessage: the transfer list contains the source port");
      const target = st.partner;
      const doomed = target !== null && transfer.includes(target);
      const { value, ports } = cloneWithTransfer(message, transfer);
      if (target === null || doomed) return;
      const ts = states.get(target);
      if (ts.closed) return;
      ts.queue.push({ data: value, ports });
      if (ts.enabled) schedule(target);
    }
    start() {
      const st = portState(this, "MessagePort.start");
      if (st.enabled || st.closed || st.detached) return;
      st.enabled = true;
      for (let i = 0; i < st.queue.length; i++) schedule(this);
    }
    close() {
      const st = portState(this, "MessagePort.close");
      st.closed = true;
      st.queue.length = 0;
      if (st.partner) states.get(st.partner).partner = null;
      st.partner = null;
    }
  }
  for (const name of ["message", "messageerror"]) {
    const key = Symbol(`on${name}`);
    Object.defineProperty(MessagePort.prototype, `on${name}`, {
      get() {
        portState(this, `MessagePort.on${name}`);
        return this[key]?.handler ?? null;
      },
      set(fn) {
        portState(this, `MessagePort.on${name}`);
        if (!this[key]) {
          const holder = { handler: null };
          this[key] = holder;
          this.addEventListener(name, (ev) => {
            if (typeof holder.handler === "function") holder.handler.call(this, ev);
          });
        }
        this[key].handler = typeof fn === "function" ? fn : null;
        // Setting onmessage enables the port message queue (start() is implicit).
        if (name === "message") this.start();
      },
      configurable: true,
      enumerable: true,
    });
  }
  Object.defineProperty(MessagePort.prototype, Symbol.toStringTag, {
    value: "MessagePort",
    configurable: true,
  });

  // ---- MessageChannel ----
  const kChannel = Symbol("channel");
  class MessageChannel {
    constructor() {
      const port1 = newPort();
      const port2 = newPort();
      states.get(port1).partner = port2;
      states.get(port2).partner = port1;
      this[kChannel] = { port1, port2 };
    }
    get port1() {
      if (!this?.[kChannel]) throw new TypeError("'this' is not a MessageChannel");
      return this[kChannel].port1;
    }
    get port2() {
      if (!this?.[kChannel]) throw new TypeError("'this' is not a MessageChannel");
      return this[kChannel].port2;
    }
  }
  Object.defineProperty(MessageChannel.prototype, Symbol.toStringTag, {
    value: "MessageChannel",
    configurable: true,
  });

  // ---- structuredClone with transfer ----
  // StructuredSerializeOptions: {transfer: sequence<object>}.
  function readTransfer(options, what) {
    if (options === undefined || options === null) return [];
    if (typeof options !== "object" && typeof options !== "function")
      throw new TypeError(`${what}: options is not an object`);
    const list = options.transfer;
    if (list === undefined) return [];
    if (list === null || typeof list !== "object" || typeof list[Symbol.iterator] !== "function")
      throw new TypeError(`${what}: options.transfer is not a sequence`);
    const transfer = Array.from(list);
    for (const item of transfer)
      if (item === null || (typeof item !== "object" && typeof item !== "function"))
        throw new TypeError(`${what}: options.transfer must hold objects`);
    return transfer;
  }
  function isArrayBuffer(value) {
    try {
      abByteLength.call(value);
      return true;
    } catch {
      return false;
    }
  }
  // The clone delegate's hook (engine/api/clone.cc): for an object in the transfer list
  // (transferring), the port that takes its place; for another API object, its clone (a Blob
  // or File), or undefined when it cannot be cloned (DataCloneError).
  function hostHook(object, transferring) {
    if (transferring) return transferPort(object);
    return internals.blob?.clone(object) ?? undefined;
  }
  // The port's state moves to a new port object (the clone's); the old one is left detached.
  function transferPort(port) {
    const st = states.get(port);
    const moved = newPort();
    const ms = states.get(moved);
    ms.partner = st.partner;
    if (ms.partner) states.get(ms.partner).partner = moved;
    ms.queue = st.queue;
    ms.closed = st.closed;
    st.partner = null;
    st.queue = [];
    st.enabled = false;
    st.detached = true;
    st.movedTo = moved;
    return moved;
  }
  // StructuredSerializeWithTransfer then StructuredDeserializeWithTransfer, in one step (one
  // isolate). Returns the clone and the transferred ports' replacements, in transfer order.
  function cloneWithTransfer(value, transfer) {
    if (transfer.length === 0)
      return { value: nativeClone(value, undefined, hostHook), ports: Object.freeze([]) };
    const seen = new Set();
    for (const item of transfer) {
      if (seen.has(item)) throw dataCloneError("The transfer list contains a value twice");
      seen.add(item);
      if (isPort(item)) {
        if (states.get(item).detached)
          throw dataCloneError("A MessagePort was already transferred");
      } else if (!isArrayBuffer(item)) {
        throw dataCloneError("Value not transferable");
      }
    }
    const cloned = nativeClone(value, { transfer }, hostHook);
    const ports = transfer.filter(isPort).map((p) => states.get(p).movedTo);
    return { value: cloned, ports: Object.freeze(ports) };
  }
  function structuredClone(value, options = undefined) {
    if (arguments.length === 0)
      throw new TypeError("structuredClone: 1 argument required, but only 0 present");
    return cloneWithTransfer(value, readTransfer(options, "structuredClone")).value;
  }

  // For blob.js: Blobs are API objects too, so that they can be cloned.
  internals.hostObject = () => host.portObject();

  define("MessageEvent", MessageEvent);
  define("MessagePort", MessagePort);
  define("MessageChannel", MessageChannel);
  define("structuredClone", structuredClone);
};
