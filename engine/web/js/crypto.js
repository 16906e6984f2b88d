// crypto (getRandomValues, randomUUID, subtle.digest) on OpenSSL, and performance.
// Natives are only called when used, never at load time (snapshot-friendly).
(globalThis, host) => {
  "use strict";
  const define = (name, value) =>
    Object.defineProperty(globalThis, name, {
      value,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  const { DOMException, EventTarget } = globalThis;

  const INTEGER_ARRAYS = [
    Int8Array,
    Uint8Array,
    Uint8ClampedArray,
    Int16Array,
    Uint16Array,
    Int32Array,
    Uint32Array,
    BigInt64Array,
    BigUint64Array,
  ];
  function getRandomValues(array) {
    if (!INTEGER_ARRAYS.some((T) => array instanceof T)) {
      throw new DOMException(
        "The data argument must be an integer-type TypedArray",
        "TypeMismatchError",
      );
    }
    if (array.byteLength > 65536) {
      throw new DOMException(
        `The ArrayBufferView's byte length (${array.byteLength}) exceeds the number of bytes of entropy available via this API (65536)`,
        "QuotaExceededError",
      );
    }
    host.randomFill(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
    return array;
  }
  const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
  function randomUUID() {
    const b = new Uint8Array(16);
    host.randomFill(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let s = "";
    for (let i = 0; i < 16; i++) {
      if (i === 4 || i === 6 || i === 8 || i === 10) s += "-";
      s += HEX[b[i]];
    }
    return s;
  }

  const DIGESTS = {
    "SHA-1": "SHA1",
    "SHA-256": "SHA256",
    "SHA-384": "SHA384",
    "SHA-512": "SHA512",
  };
  function toBytes(data) {
    if (data instanceof ArrayBuffer) return new Uint8Array(data);
    if (ArrayBuffer.isView(data))
      return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    throw new TypeError("data must be a BufferSource");
  }
  class SubtleCrypto {
    constructor(t) {
      if (t !== kToken) throw new TypeError("Illegal constructor");
    }
    async digest(algorithm, data) {
      const name = typeof algorithm === "string" ? algorithm : algorithm?.name;
      const key = DIGESTS[String(name).toUpperCase()];
      if (!key) throw new DOMException(`Unrecognized algorithm name: ${name}`, "NotSupportedError");
      // Copy first: the caller may change the buffer after the call returns.
      return host.digest(key, toBytes(data).slice());
    }
  }
  for (const m of [
    "encrypt",
    "decrypt",
    "sign",
    "verify",
    "generateKey",
    "deriveKey",
    "deriveBits",
    "importKey",
    "exportKey",
    "wrapKey",
    "unwrapKey",
  ]) {
    SubtleCrypto.prototype[m] = function () {
      return Promise.reject(
        new DOMException(`SubtleCrypto.${m} is not supported`, "NotSupportedError"),
      );
    };
  }
  const kToken = Symbol("token");
  Object.defineProperty(SubtleCrypto.prototype, Symbol.toStringTag, {
    value: "SubtleCrypto",
    configurable: true,
  });

  class Crypto {
    constructor(t) {
      if (t !== kToken) throw new TypeError("Illegal constructor");
    }
    get subtle() {
      return subtle;
    }
    getRandomValues(array) {
      return getRandomValues(array);
    }
    randomUUID() {
      return randomUUID();
    }
  }
  Object.defineProperty(Crypto.prototype, Symbol.toStringTag, {
    value: "Crypto",
    configurable: true,
  });
  const subtle = new SubtleCrypto(kToken);
  define("crypto", new Crypto(kToken));
  define("Crypto", Crypto);
  define("SubtleCrypto", SubtleCrypto);

  // ---- performance ----
  // host.now() is milliseconds (with fractions) on a monotonic clock since the module's time
  // origin; host.timeOrigin() is that origin in Unix-epoch milliseconds.
  let timeOrigin;
  const marks = new Map();
  class Performance extends EventTarget {
    constructor(t) {
      if (t !== kToken) throw new TypeError("Illegal constructor");
      super();
    }
    now() {
      return host.now();
    }
    get timeOrigin() {
      if (timeOrigin === undefined) timeOrigin = host.timeOrigin();
      return timeOrigin;
    }
    mark(name) {
      const entry = { name: String(name), entryType: "mark", startTime: host.now(), duration: 0 };
      marks.set(entry.name, entry);
      return entry;
    }
    measure(name, start, end) {
      const s = typeof start === "string" ? (marks.get(start)?.startTime ?? 0) : 0;
      const e = typeof end === "string" ? (marks.get(end)?.startTime ?? host.now()) : host.now();
      return { name: String(name), entryType: "measure", startTime: s, duration: e - s };
    }
    clearMarks(name) {
      if (name === undefined) marks.clear();
      else marks.delete(String(name));
    }
    toJSON() {
      return { timeOrigin: this.timeOrigin };
    }
  }
  Object.defineProperty(Performance.prototype, Symbol.toStringTag, {
    value: "Performance",
    configurable: true,
  });
  define("performance", new Performance(kToken));
  define("Performance", Performance);
};
