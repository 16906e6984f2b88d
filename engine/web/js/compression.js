// CompressionStream and DecompressionStream (Compression Standard): gzip, deflate and
// deflate-raw on zlib, brotli on libbrotli (host.zlibOpen/zlibPush, engine/web/zlib.cc), as TransformStreams.
(globalThis, host) => {
  "use strict";
  const define = (name, value) =>
    Object.defineProperty(globalThis, name, {
      value,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  const FORMATS = ["gzip", "deflate", "deflate-raw", "brotli"];
  function bytes(chunk, what) {
    // BufferSource: not SharedArrayBuffer, nor a view on one.
    if (ArrayBuffer.isView(chunk) && chunk.buffer instanceof ArrayBuffer) {
      return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    }
    if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk);
    throw new TypeError(`${what}: chunks must be BufferSource (ArrayBuffer or a view)`);
  }
  function make(what, format, compress) {
    if (arguments.length < 2 || format === undefined)
      throw new TypeError(`${what}: a format is required`);
    format = String(format);
    if (!FORMATS.includes(format))
      throw new TypeError(
        `${what}: unsupported format "${format}" (gzip, deflate, deflate-raw, brotli)`,
      );
    const handle = host.zlibOpen(format, compress);
    return new globalThis.TransformStream({
      transform(chunk, controller) {
        give(controller, host.zlibPush(handle, bytes(chunk, what), false));
      },
      flush(controller) {
        give(controller, host.zlibPush(handle, new Uint8Array(0), true));
      },
    });
  }
  function give(controller, out) {
    const trailing = out.trailing === true;
    if (out.byteLength) controller.enqueue(trailing ? new Uint8Array(out) : out);
    if (trailing)
      throw new TypeError("DecompressionStream: extra data after the end of the compressed data");
  }
  const kTransform = Symbol("transform");
  class CompressionStream {
    constructor(format) {
      this[kTransform] = make("CompressionStream", format, true);
    }
    get readable() {
      return this[kTransform].readable;
    }
    get writable() {
      return this[kTransform].writable;
    }
  }
  class DecompressionStream {
    constructor(format) {
      this[kTransform] = make("DecompressionStream", format, false);
    }
    get readable() {
      return this[kTransform].readable;
    }
    get writable() {
      return this[kTransform].writable;
    }
  }
  Object.defineProperty(CompressionStream.prototype, Symbol.toStringTag, {
    value: "CompressionStream",
    configurable: true,
  });
  Object.defineProperty(DecompressionStream.prototype, Symbol.toStringTag, {
    value: "DecompressionStream",
    configurable: true,
  });
  define("CompressionStream", CompressionStream);
  define("DecompressionStream", DecompressionStream);
};
