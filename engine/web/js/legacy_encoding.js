// TextDecoder for every label of the WHATWG Encoding Standard. UTF-8 and UTF-16LE stay with
// encoding.js's decoder; the legacy CJK encodings and UTF-16BE go through ICU's converters
// (host.icuDecoderOpen/icuDecode, engine/web/install.cc), the single-byte ones through tables
// read from ICU (host.singleByteDecode), ISO-2022-JP through the standard's state machine over
// ICU's JIS X 0208; x-user-defined is here. docs/web-apis.md, "Legacy encodings".
// TextDecoderStream is redefined on top, so it takes every label too.
(globalThis, host) => {
  "use strict";
  const define = (name, value) =>
    Object.defineProperty(globalThis, name, {
      value,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  const Base = globalThis.TextDecoder;

  // The Encoding Standard's names and labels (encodings.json).
  const TABLE = {
    "utf-8": "unicode-1-1-utf-8 unicode11utf8 unicode20utf8 utf-8 utf8 x-unicode20utf8",
    ibm866: "866 cp866 csibm866 ibm866",
    "iso-8859-2":
      "csisolatin2 iso-8859-2 iso-ir-101 iso8859-2 iso88592 iso_8859-2 iso_8859-2:1987 l2 latin2",
    "iso-8859-3":
      "csisolatin3 iso-8859-3 iso-ir-109 iso8859-3 iso88593 iso_8859-3 iso_8859-3:1988 l3 latin3",
    "iso-8859-4":
      "csisolatin4 iso-8859-4 iso-ir-110 iso8859-4 iso88594 iso_8859-4 iso_8859-4:1988 l4 latin4",
    "iso-8859-5":
      "csisolatincyrillic cyrillic iso-8859-5 iso-ir-144 iso8859-5 iso88595 iso_8859-5 iso_8859-5:1988",
    "iso-8859-6":
      "arabic asmo-708 csiso88596e csiso88596i csisolatinarabic ecma-114 iso-8859-6 iso-8859-6-e iso-8859-6-i iso-ir-127 iso8859-6 iso88596 iso_8859-6 iso_8859-6:1987",
    "iso-8859-7":
      "csisolatingreek ecma-118 elot_928 greek greek8 iso-8859-7 iso-ir-126 iso8859-7 iso88597 iso_8859-7 iso_8859-7:1987 sun_eu_greek",
    "iso-8859-8":
      "csiso88598e csisolatinhebrew hebrew iso-8859-8 iso-8859-8-e iso-ir-138 iso8859-8 iso88598 iso_8859-8 iso_8859-8:1988 visual",
    "iso-8859-8-i": "csiso88598i iso-8859-8-i logical",
    "iso-8859-10": "csisolatin6 iso-8859-10 iso-ir-157 iso8859-10 iso885910 l6 latin6",
    "iso-8859-13": "iso-8859-13 iso8859-13 iso885913",
    "iso-8859-14": "iso-8859-14 iso8859-14 iso885914",
    "iso-8859-15": "csisolatin9 iso-8859-15 iso8859-15 iso885915 iso_8859-15 l9",
    "iso-8859-16": "iso-8859-16",
    "koi8-r": "cskoi8r koi koi8 koi8-r koi8_r",
    "koi8-u": "koi8-ru koi8-u",
    macintosh: "csmacintosh mac macintosh x-mac-roman",
    "windows-874": "dos-874 iso-8859-11 iso8859-11 iso885911 tis-620 windows-874",
    "windows-1250": "cp1250 windows-1250 x-cp1250",
    "windows-1251": "cp1251 windows-1251 x-cp1251",
    "windows-1252":
      "ansi_x3.4-1968 ascii cp1252 cp819 csisolatin1 ibm819 iso-8859-1 iso-ir-100 iso8859-1 iso88591 iso_8859-1 iso_8859-1:1987 l1 latin1 us-ascii windows-1252 x-cp1252",
    "windows-1253": "cp1253 windows-1253 x-cp1253",
    "windows-1254":
      "cp1254 csisolatin5 iso-8859-9 iso-ir-148 iso8859-9 iso88599 iso_8859-9 iso_8859-9:1989 l5 latin5 windows-1254 x-cp1254",
    "windows-1255": "cp1255 windows-1255 x-cp1255",
    "windows-1256": "cp1256 windows-1256 x-cp1256",
    "windows-1257": "cp1257 windows-1257 x-cp1257",
    "windows-1258": "cp1258 windows-1258 x-cp1258",
    "x-mac-cyrillic": "x-mac-cyrillic x-mac-ukrainian",
    gbk: "chinese csgb2312 csiso58gb231280 gb2312 gb_2312 gb_2312-80 gbk iso-ir-58 x-gbk",
    gb18030: "gb18030",
    big5: "big5 big5-hkscs cn-big5 csbig5 x-x-big5",
    "euc-jp": "cseucpkdfmtjapanese euc-jp x-euc-jp",
    "iso-2022-jp": "csiso2022jp iso-2022-jp",
    shift_jis: "csshiftjis ms932 ms_kanji shift-jis shift_jis sjis windows-31j x-sjis",
    "euc-kr":
      "cseuckr csksc56011987 euc-kr iso-ir-149 korean ks_c_5601-1987 ks_c_5601-1989 ksc5601 ksc_5601 windows-949",
    replacement: "csiso2022kr hz-gb-2312 iso-2022-cn iso-2022-cn-ext iso-2022-kr replacement",
    "utf-16be": "unicodefffe utf-16be",
    "utf-16le": "csunicode iso-10646-ucs-2 ucs-2 unicode unicodefeff utf-16 utf-16le",
    "x-user-defined": "x-user-defined",
  };
  const LABELS = new Map();
  for (const [name, labels] of Object.entries(TABLE))
    for (const l of labels.split(" ")) LABELS.set(l, name);
  // ICU converter for each encoding ICU decodes. gbk decodes as gb18030, euc-kr as windows-949,
  // shift_jis as windows-31j and big5 as Big5-HKSCS, as the standard's indexes do.
  const ICU = {
    ibm866: "IBM866",
    "iso-8859-2": "ISO-8859-2",
    "iso-8859-3": "ISO-8859-3",
    "iso-8859-4": "ISO-8859-4",
    "iso-8859-5": "ISO-8859-5",
    "iso-8859-6": "ISO-8859-6",
    "iso-8859-7": "ISO-8859-7",
    "iso-8859-8": "ISO-8859-8",
    "iso-8859-8-i": "ISO-8859-8",
    "iso-8859-10": "ISO-8859-10",
    "iso-8859-13": "ISO-8859-13",
    "iso-8859-14": "ISO-8859-14",
    "iso-8859-15": "ISO-8859-15",
    "koi8-r": "KOI8-R",
    "koi8-u": "KOI8-U",
    macintosh: "macintosh",
    "windows-874": "windows-874",
    "windows-1250": "windows-1250",
    "windows-1251": "windows-1251",
    "windows-1252": "windows-1252",
    "windows-1253": "windows-1253",
    "windows-1254": "windows-1254",
    "windows-1255": "windows-1255",
    "windows-1256": "windows-1256",
    "windows-1257": "windows-1257",
    "windows-1258": "windows-1258",
    "x-mac-cyrillic": "x-mac-cyrillic",
    gbk: "gb18030",
    gb18030: "gb18030",
    big5: "Big5-HKSCS",
    "euc-jp": "EUC-JP",
    "iso-2022-jp": "ISO-2022-JP",
    shift_jis: "windows-31j",
    "euc-kr": "windows-949",
    "utf-16be": "UTF-16BE",
  };

  // Single-byte encodings decode by a 128-entry table of the bytes 0x80-0xFF, read once from
  // ICU's converter, byte by byte, and corrected where ICU's table differs from the standard's
  // index (the indexes are normative). docs/web-apis.md, "Legacy encodings", says why each.
  const SINGLE_BYTE = new Set([
    "ibm866",
    "iso-8859-2",
    "iso-8859-3",
    "iso-8859-4",
    "iso-8859-5",
    "iso-8859-6",
    "iso-8859-7",
    "iso-8859-8",
    "iso-8859-8-i",
    "iso-8859-10",
    "iso-8859-13",
    "iso-8859-14",
    "iso-8859-15",
    "iso-8859-16",
    "koi8-r",
    "koi8-u",
    "macintosh",
    "windows-874",
    "windows-1250",
    "windows-1251",
    "windows-1252",
    "windows-1253",
    "windows-1254",
    "windows-1255",
    "windows-1256",
    "windows-1257",
    "windows-1258",
    "x-mac-cyrillic",
  ]);
  // byte -> code point, 0 where the index has none.
  const FIXES = {
    "koi8-u": { 0xae: 0x045e, 0xbe: 0x040e },
    "windows-874": { 0xdb: 0, 0xdc: 0, 0xdd: 0, 0xde: 0, 0xfc: 0, 0xfd: 0, 0xfe: 0, 0xff: 0 },
    "windows-1253": { 0xaa: 0 },
    "windows-1255": { 0xca: 0x05ba },
  };
  // index-iso-8859-16, pointers 32-127 (0-31 are U+0080-U+009F): this ICU has no converter.
  const ISO_8859_16 =
    "\u00a0\u0104\u0105\u0141\u20ac\u201e\u0160\u00a7\u0161\u00a9\u0218\u00ab\u0179\u00ad\u017a\u017b\u00b0\u00b1\u010c\u0142\u017d\u201d\u00b6\u00b7\u017e\u010d\u0219\u00bb\u0152\u0153\u0178\u017c\u00c0\u00c1\u00c2\u0102\u00c4\u0106\u00c6\u00c7\u00c8\u00c9\u00ca\u00cb\u00cc\u00cd\u00ce\u00cf\u0110\u0143\u00d2\u00d3\u00d4\u0150\u00d6\u015a\u0170\u00d9\u00da\u00db\u00dc\u0118\u021a\u00df\u00e0\u00e1\u00e2\u0103\u00e4\u0107\u00e6\u00e7\u00e8\u00e9\u00ea\u00eb\u00ec\u00ed\u00ee\u00ef\u0111\u0144\u00f2\u00f3\u00f4\u0151\u00f6\u015b\u0171\u00f9\u00fa\u00fb\u00fc\u0119\u021b\u00ff";
  const tables = new Map();
  function singleByteTable(enc) {
    let t = tables.get(enc);
    if (t !== undefined) return t;
    t = new Uint16Array(128);
    if (enc === "iso-8859-16") {
      for (let i = 0; i < 32; i++) t[i] = 0x80 + i;
      for (let i = 32; i < 128; i++) t[i] = ISO_8859_16.charCodeAt(i - 32);
    } else {
      const conv = host.icuDecoderOpen(ICU[enc]);
      const one = new Uint8Array(1);
      for (let b = 0x80; b < 0x100; b++) {
        one[0] = b;
        const s = host.icuDecode(conv, one, true, true);
        t[b - 0x80] = s !== null && s.length === 1 ? s.charCodeAt(0) : 0;
      }
      for (const [b, cp] of Object.entries(FIXES[enc] ?? {})) t[b - 0x80] = cp;
    }
    tables.set(enc, t);
    return t;
  }
  // The lookup loop is native (icu_decoder.cc, fuzzed with the ICU decoders).
  function singleByteDecode(enc, bytes, fatal) {
    return host.singleByteDecode(singleByteTable(enc), bytes, fatal);
  }

  // ISO-2022-JP: the standard's state machine, because ICU's escape handling differs from it
  // (an escape cut off by the end, and bytes outside 0x21-0x5F in the Katakana state, are errors
  // there and not in ICU). Each JIS X 0208 pair still comes from ICU's converter, cached.
  const jisCache = new Map();
  let jisConv = null;
  function jis0208(lead, trail) {
    const key = (lead << 8) | trail;
    let cp = jisCache.get(key);
    if (cp === undefined) {
      if (jisConv === null) jisConv = host.icuDecoderOpen("ISO-2022-JP");
      const s = host.icuDecode(
        jisConv,
        new Uint8Array([0x1b, 0x24, 0x42, lead, trail]),
        true,
        true,
      );
      cp = s !== null && s.length === 1 ? s.charCodeAt(0) : 0;
      jisCache.set(key, cp);
    }
    return cp;
  }
  const ASCII = 0,
    ROMAN = 1,
    KATAKANA = 2,
    LEAD = 3,
    TRAIL = 4,
    ESCAPE_START = 5,
    ESCAPE = 6,
    EOF = -1;
  class Iso2022Jp {
    state = ASCII;
    outState = ASCII;
    lead = 0;
    outFlag = false;
    // Returns the text, or null on the first error when fatal.
    decode(bytes, flush, fatal) {
      const units = [];
      const queue = [];
      let i = 0;
      let eof = false;
      const n = bytes.length;
      let ok = true;
      const error = () => {
        if (fatal) ok = false;
        else units.push(0xfffd);
      };
      while (ok) {
        let b;
        if (queue.length) b = queue.shift();
        else if (i < n) b = bytes[i++];
        else if (flush && !eof) {
          eof = true;
          b = EOF;
        } else break;
        let finished = false;
        switch (this.state) {
          case ASCII:
          case ROMAN:
            if (b === 0x1b) this.state = ESCAPE_START;
            else if (b === EOF) finished = true;
            else if (b <= 0x7f && b !== 0x0e && b !== 0x0f) {
              this.outFlag = false;
              units.push(
                this.state === ROMAN && b === 0x5c
                  ? 0xa5
                  : this.state === ROMAN && b === 0x7e
                    ? 0x203e
                    : b,
              );
            } else {
              this.outFlag = false;
              error();
            }
            break;
          case KATAKANA:
            if (b === 0x1b) this.state = ESCAPE_START;
            else if (b === EOF) finished = true;
            else if (b >= 0x21 && b <= 0x5f) {
              this.outFlag = false;
              units.push(0xff61 - 0x21 + b);
            } else {
              this.outFlag = false;
              error();
            }
            break;
          case LEAD:
            if (b === 0x1b) this.state = ESCAPE_START;
            else if (b === EOF) finished = true;
            else if (b >= 0x21 && b <= 0x7e) {
              this.outFlag = false;
              this.lead = b;
              this.state = TRAIL;
            } else {
              this.outFlag = false;
              error();
            }
            break;
          case TRAIL:
            if (b === 0x1b) {
              this.state = ESCAPE_START;
              error();
            } else if (b >= 0x21 && b <= 0x7e) {
              this.state = LEAD;
              const cp = jis0208(this.lead, b);
              if (cp === 0) error();
              else units.push(cp);
            } else {
              this.state = LEAD;
              if (b === EOF) queue.unshift(EOF);
              error();
            }
            break;
          case ESCAPE_START:
            if (b === 0x24 || b === 0x28) {
              this.lead = b;
              this.state = ESCAPE;
            } else {
              queue.unshift(b);
              this.outFlag = false;
              this.state = this.outState;
              error();
            }
            break;
          case ESCAPE: {
            const lead = this.lead;
            this.lead = 0;
            let next = -1;
            if (lead === 0x28 && b === 0x42) next = ASCII;
            else if (lead === 0x28 && b === 0x4a) next = ROMAN;
            else if (lead === 0x28 && b === 0x49) next = KATAKANA;
            else if (lead === 0x24 && (b === 0x40 || b === 0x42)) next = LEAD;
            if (next !== -1) {
              this.state = this.outState = next;
              const output = this.outFlag;
              this.outFlag = true;
              if (output) error();
            } else {
              if (b === EOF) queue.unshift(lead, EOF);
              else queue.unshift(lead, b);
              this.outFlag = false;
              this.state = this.outState;
              error();
            }
            break;
          }
        }
        if (finished) break;
      }
      if (flush || !ok) {
        this.state = this.outState = ASCII;
        this.lead = 0;
        this.outFlag = false;
      }
      if (!ok) return null;
      let out = "";
      for (let k = 0; k < units.length; k += 8192)
        out += String.fromCharCode.apply(null, units.slice(k, k + 8192));
      return out;
    }
  }

  function isBufferSource(input) {
    return (
      ArrayBuffer.isView(input) ||
      input instanceof ArrayBuffer ||
      Object.prototype.toString.call(input) === "[object SharedArrayBuffer]"
    );
  }
  function toBytes(input) {
    if (input === undefined) return new Uint8Array(0);
    if (!isBufferSource(input))
      throw new TypeError(
        "TextDecoder.decode: the input must be an ArrayBuffer or an ArrayBufferView",
      );
    // A detached buffer (transferred away) holds no bytes (WebIDL), and no view can be made on it.
    if (input.byteLength === 0) return new Uint8Array(0);
    if (ArrayBuffer.isView(input))
      return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    return new Uint8Array(input);
  }

  class TextDecoder {
    #enc;
    #fatal;
    #ignoreBOM;
    #inner = null;
    #icu = null;
    #streaming = false;
    #bomSeen = false;
    constructor(label = "utf-8", options = undefined) {
      const key = String(label)
        .replace(/^[\t\n\f\r ]+|[\t\n\f\r ]+$/g, "")
        .toLowerCase();
      const enc = LABELS.get(key);
      if (enc === undefined || enc === "replacement") {
        throw new RangeError(`The encoding label provided ('${label}') is invalid.`);
      }
      if (
        options !== undefined &&
        options !== null &&
        typeof options !== "object" &&
        typeof options !== "function"
      ) {
        throw new TypeError("TextDecoder constructor: options must be an object");
      }
      options = options ?? {};
      this.#enc = enc;
      this.#fatal = !!options.fatal;
      this.#ignoreBOM = !!options.ignoreBOM;
      if (enc === "utf-8" || enc === "utf-16le")
        this.#inner = new Base(enc, { fatal: this.#fatal, ignoreBOM: this.#ignoreBOM });
    }
    get encoding() {
      return this.#enc;
    }
    get fatal() {
      return this.#fatal;
    }
    get ignoreBOM() {
      return this.#ignoreBOM;
    }
    decode(input = undefined, options = undefined) {
      if (this.#inner !== null) return this.#inner.decode(input, options);
      const bytes = toBytes(input);
      const stream = !!options?.stream;
      if (!this.#streaming) this.#bomSeen = false;
      this.#streaming = stream;
      let out;
      if (this.#enc === "x-user-defined") {
        out = "";
        for (let i = 0; i < bytes.length; i++) {
          const b = bytes[i];
          out += String.fromCharCode(b < 0x80 ? b : 0xf780 + b - 0x80);
        }
      } else if (SINGLE_BYTE.has(this.#enc) || this.#enc === "iso-2022-jp") {
        if (this.#enc === "iso-2022-jp") {
          if (this.#icu === null) this.#icu = new Iso2022Jp();
          out = this.#icu.decode(bytes, !stream, this.#fatal);
        } else out = singleByteDecode(this.#enc, bytes, this.#fatal);
        if (out === null) {
          this.#streaming = false;
          throw new TypeError(`The encoded data is not valid ${this.#enc}`);
        }
      } else {
        if (this.#icu === null) this.#icu = host.icuDecoderOpen(ICU[this.#enc]);
        out = host.icuDecode(this.#icu, bytes, !stream, this.#fatal);
        if (out === null) {
          this.#streaming = false;
          throw new TypeError(`The encoded data is not valid ${this.#enc}`);
        }
      }
      // Only UTF-16BE here has a byte order mark to strip.
      if (this.#enc === "utf-16be" && !this.#ignoreBOM && !this.#bomSeen && out.length > 0) {
        this.#bomSeen = true;
        if (out.charCodeAt(0) === 0xfeff) out = out.slice(1);
      }
      return out;
    }
  }
  Object.defineProperty(TextDecoder.prototype, Symbol.toStringTag, {
    value: "TextDecoder",
    configurable: true,
  });

  class TextDecoderStream {
    #decoder;
    #transform;
    constructor(label = "utf-8", options = undefined) {
      const decoder = new TextDecoder(label, options);
      this.#decoder = decoder;
      this.#transform = new globalThis.TransformStream({
        transform(chunk, controller) {
          // A chunk is a BufferSource (WebIDL): anything else errors the stream.
          if (!isBufferSource(chunk))
            throw new TypeError(
              "TextDecoderStream: a chunk must be an ArrayBuffer or ArrayBufferView",
            );
          const s = decoder.decode(chunk, { stream: true });
          if (s) controller.enqueue(s);
        },
        flush(controller) {
          const s = decoder.decode();
          if (s) controller.enqueue(s);
        },
      });
    }
    get encoding() {
      return this.#decoder.encoding;
    }
    get fatal() {
      return this.#decoder.fatal;
    }
    get ignoreBOM() {
      return this.#decoder.ignoreBOM;
    }
    get readable() {
      return this.#transform.readable;
    }
    get writable() {
      return this.#transform.writable;
    }
  }
  Object.defineProperty(TextDecoderStream.prototype, Symbol.toStringTag, {
    value: "TextDecoderStream",
    configurable: true,
  });

  define("TextDecoder", TextDecoder);
  define("TextDecoderStream", TextDecoderStream);
};
