// TextEncoder, TextDecoder (utf-8, utf-16le), TextEncoderStream, TextDecoderStream.
(globalThis, host) => {
  "use strict";
  const define = (name, value) =>
    Object.defineProperty(globalThis, name, {
      value,
      writable: true,
      configurable: true,
      enumerable: false,
    });

  function isBufferSource(input) {
    return (
      input instanceof ArrayBuffer ||
      (typeof SharedArrayBuffer !== "undefined" && input instanceof SharedArrayBuffer) ||
      ArrayBuffer.isView(input)
    );
  }
  function toBytes(input) {
    if (input === undefined) return new Uint8Array(0);
    if (!isBufferSource(input))
      throw new TypeError('The "input" argument must be an ArrayBuffer or ArrayBufferView');
    // A detached buffer (transferred away) holds no bytes (WebIDL), and no view can be made on it.
    if (input.byteLength === 0) return new Uint8Array(0);
    if (ArrayBuffer.isView(input))
      return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    return new Uint8Array(input);
  }
  // A TextDecoderStream chunk is a BufferSource (WebIDL): anything else errors the stream.
  function checkChunk(chunk) {
    if (!isBufferSource(chunk))
      throw new TypeError("TextDecoderStream: a chunk must be an ArrayBuffer or ArrayBufferView");
    return chunk;
  }

  // ---- TextEncoder ----
  function encodeInto(str, dest) {
    let read = 0,
      written = 0;
    const n = str.length,
      cap = dest.length;
    for (let i = 0; i < n; i++) {
      let c = str.charCodeAt(i);
      let units = 1;
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
        const d = str.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          units = 2;
        } else c = 0xfffd;
      } else if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
      if (c < 0x80) {
        if (written + 1 > cap) break;
        dest[written++] = c;
      } else if (c < 0x800) {
        if (written + 2 > cap) break;
        dest[written++] = 0xc0 | (c >> 6);
        dest[written++] = 0x80 | (c & 63);
      } else if (c < 0x10000) {
        if (written + 3 > cap) break;
        dest[written++] = 0xe0 | (c >> 12);
        dest[written++] = 0x80 | ((c >> 6) & 63);
        dest[written++] = 0x80 | (c & 63);
      } else {
        if (written + 4 > cap) break;
        dest[written++] = 0xf0 | (c >> 18);
        dest[written++] = 0x80 | ((c >> 12) & 63);
        dest[written++] = 0x80 | ((c >> 6) & 63);
        dest[written++] = 0x80 | (c & 63);
      }
      read += units;
      if (units === 2) i++;
    }
    return { read, written };
  }
  function encode(str) {
    if (typeof host.utf8Encode === "function") return host.utf8Encode(str);
    const buf = new Uint8Array(str.length * 3);
    const { written } = encodeInto(str, buf);
    return buf.slice(0, written);
  }

  class TextEncoder {
    get encoding() {
      return "utf-8";
    }
    encode(input = "") {
      return encode(String(input));
    }
    encodeInto(source, destination) {
      if (!(destination instanceof Uint8Array))
        throw new TypeError("encodeInto: destination must be a Uint8Array");
      return encodeInto(String(source), destination);
    }
  }
  Object.defineProperty(TextEncoder.prototype, Symbol.toStringTag, {
    value: "TextEncoder",
    configurable: true,
  });

  // ---- TextDecoder ----
  const LABELS = {
    "unicode-1-1-utf-8": "utf-8",
    unicode11utf8: "utf-8",
    unicode20utf8: "utf-8",
    "utf-8": "utf-8",
    utf8: "utf-8",
    "x-unicode20utf8": "utf-8",
    csunicode: "utf-16le",
    "iso-10646-ucs-2": "utf-16le",
    "ucs-2": "utf-16le",
    unicode: "utf-16le",
    unicodefeff: "utf-16le",
    "utf-16": "utf-16le",
    "utf-16le": "utf-16le",
  };

  const kS = Symbol("decoderState");
  const fromCodes = (arr) => {
    let s = "";
    for (let i = 0; i < arr.length; i += 8192)
      s += String.fromCharCode.apply(null, arr.slice(i, i + 8192));
    return s;
  };

  // Decodes UTF-8 per the WHATWG Encoding Standard; state carries an incomplete sequence.
  function utf8Decode(st, bytes, flush) {
    const fatal = st.fatal;
    const units = [];
    let out = "";
    let { cp, needed, seen, lower, upper } = st;
    const n = bytes.length;
    for (let i = 0; i < n; i++) {
      const b = bytes[i];
      if (needed === 0) {
        if (b < 0x80) {
          // Fast path for ASCII runs.
          let j = i + 1;
          while (j < n && bytes[j] < 0x80) j++;
          if (j - i > 16) {
            if (units.length) {
              out += fromCodes(units);
              units.length = 0;
            }
            out += fromCodes(bytes.subarray(i, j));
          } else {
            for (let k = i; k < j; k++) units.push(bytes[k]);
          }
          i = j - 1;
          continue;
        }
        if (b >= 0xc2 && b <= 0xdf) {
          needed = 1;
          cp = b & 0x1f;
        } else if (b >= 0xe0 && b <= 0xef) {
          if (b === 0xe0) lower = 0xa0;
          if (b === 0xed) upper = 0x9f;
          needed = 2;
          cp = b & 0xf;
        } else if (b >= 0xf0 && b <= 0xf4) {
          if (b === 0xf0) lower = 0x90;
          if (b === 0xf4) upper = 0x8f;
          needed = 3;
          cp = b & 7;
        } else {
          if (fatal) throw new TypeError("The encoded data was not valid for encoding utf-8");
          units.push(0xfffd);
        }
        continue;
      }
      if (b < lower || b > upper) {
        cp = needed = seen = 0;
        lower = 0x80;
        upper = 0xbf;
        if (fatal) throw new TypeError("The encoded data was not valid for encoding utf-8");
        units.push(0xfffd);
        i--; // reprocess this byte
        continue;
      }
      lower = 0x80;
      upper = 0xbf;
      cp = (cp << 6) | (b & 0x3f);
      if (++seen !== needed) continue;
      if (cp >= 0x10000) {
        const v = cp - 0x10000;
        units.push(0xd800 + (v >> 10), 0xdc00 + (v & 0x3ff));
      } else units.push(cp);
      cp = needed = seen = 0;
      if (units.length > 8192) {
        out += fromCodes(units);
        units.length = 0;
      }
    }
    if (flush && needed !== 0) {
      cp = needed = seen = 0;
      lower = 0x80;
      upper = 0xbf;
      if (fatal) throw new TypeError("The encoded data was not valid for encoding utf-8");
      units.push(0xfffd);
    }
    Object.assign(st, { cp, needed, seen, lower, upper });
    return out + fromCodes(units);
  }

  function utf16leDecode(st, bytes, flush) {
    let all = bytes;
    if (st.pending.length) {
      all = new Uint8Array(st.pending.length + bytes.length);
      all.set(st.pending);
      all.set(bytes, st.pending.length);
    }
    const even = all.length & ~1;
    const units = [];
    for (let i = 0; i < even; i += 2) units.push(all[i] | (all[i + 1] << 8));
    st.pending = all.slice(even);
    // Unpaired surrogates become U+FFFD (or throw when fatal); a trailing high surrogate waits.
    // The held unit goes first, then the last one is held again (with a 1-byte window a call
    // may complete no unit at all, and the held one must keep waiting).
    if (st.heldUnit !== null) {
      units.unshift(st.heldUnit);
      st.heldUnit = null;
    }
    if (!flush && units.length) {
      const last = units[units.length - 1];
      if (last >= 0xd800 && last <= 0xdbff) st.heldUnit = units.pop();
    }
    let trailingHigh = false;
    for (let i = 0; i < units.length; i++) {
      const u = units[i];
      if (u >= 0xd800 && u <= 0xdbff) {
        const v = units[i + 1];
        if (v >= 0xdc00 && v <= 0xdfff) {
          i++;
          continue;
        }
        trailingHigh = i === units.length - 1;
      } else if (!(u >= 0xdc00 && u <= 0xdfff)) continue;
      if (st.fatal) throw new TypeError("The encoded data was not valid for encoding utf-16le");
      units[i] = 0xfffd;
    }
    if (flush && st.pending.length && trailingHigh) st.pending = new Uint8Array(0);
    if (flush && st.pending.length) {
      st.pending = new Uint8Array(0);
      if (st.fatal) throw new TypeError("The encoded data was not valid for encoding utf-16le");
      units.push(0xfffd);
    }
    return fromCodes(units);
  }

  function resetState(st) {
    Object.assign(st, {
      cp: 0,
      needed: 0,
      seen: 0,
      lower: 0x80,
      upper: 0xbf,
      bomSeen: false,
      pending: new Uint8Array(0),
      heldUnit: null,
    });
  }

  class TextDecoder {
    constructor(label = "utf-8", options = {}) {
      const enc = LABELS[String(label).trim().toLowerCase()];
      if (!enc) throw new RangeError(`The encoding label provided ('${label}') is invalid.`);
      options = options ?? {};
      this[kS] = {
        encoding: enc,
        fatal: !!options.fatal,
        ignoreBOM: !!options.ignoreBOM,
        streaming: false,
      };
      resetState(this[kS]);
    }
    get encoding() {
      return this[kS].encoding;
    }
    get fatal() {
      return this[kS].fatal;
    }
    get ignoreBOM() {
      return this[kS].ignoreBOM;
    }
    decode(input, options = {}) {
      const st = this[kS];
      const bytes = toBytes(input);
      if (!st.streaming) resetState(st);
      st.streaming = !!options?.stream;
      let out;
      try {
        out =
          st.encoding === "utf-8"
            ? utf8Decode(st, bytes, !st.streaming)
            : utf16leDecode(st, bytes, !st.streaming);
      } catch (e) {
        resetState(st);
        st.streaming = false;
        throw e;
      }
      if (!st.ignoreBOM && !st.bomSeen) {
        if (out.length > 0) {
          st.bomSeen = true;
          if (out.charCodeAt(0) === 0xfeff) out = out.slice(1);
        }
      }
      return out;
    }
  }
  Object.defineProperty(TextDecoder.prototype, Symbol.toStringTag, {
    value: "TextDecoder",
    configurable: true,
  });

  // ---- streams (TransformStream is looked up when constructed: streams.js may load later) ----
  const kTransform = Symbol("transform");
  class TextEncoderStream {
    constructor() {
      let pendingHigh = "";
      this[kTransform] = new globalThis.TransformStream({
        transform(chunk, controller) {
          let s = pendingHigh + String(chunk);
          pendingHigh = "";
          const last = s.charCodeAt(s.length - 1);
          if (last >= 0xd800 && last <= 0xdbff) {
            pendingHigh = s.slice(-1);
            s = s.slice(0, -1);
          }
          if (s.length) controller.enqueue(encode(s));
        },
        flush(controller) {
          if (pendingHigh) controller.enqueue(new Uint8Array([0xef, 0xbf, 0xbd]));
        },
      });
    }
    get encoding() {
      return "utf-8";
    }
    get readable() {
      return this[kTransform].readable;
    }
    get writable() {
      return this[kTransform].writable;
    }
  }
  class TextDecoderStream {
    constructor(label = "utf-8", options = {}) {
      const decoder = new TextDecoder(label, options);
      this[kS] = decoder;
      this[kTransform] = new globalThis.TransformStream({
        transform(chunk, controller) {
          const s = decoder.decode(checkChunk(chunk), { stream: true });
          if (s) controller.enqueue(s);
        },
        flush(controller) {
          const s = decoder.decode();
          if (s) controller.enqueue(s);
        },
      });
    }
    get encoding() {
      return this[kS].encoding;
    }
    get fatal() {
      return this[kS].fatal;
    }
    get ignoreBOM() {
      return this[kS].ignoreBOM;
    }
    get readable() {
      return this[kTransform].readable;
    }
    get writable() {
      return this[kTransform].writable;
    }
  }

  define("TextEncoder", TextEncoder);
  define("TextDecoder", TextDecoder);
  define("TextEncoderStream", TextEncoderStream);
  define("TextDecoderStream", TextDecoderStream);
};
