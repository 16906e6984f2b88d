// TextDecoder for every label of the WHATWG Encoding Standard. UTF-8 and UTF-16LE stay with
// encoding.js's decoder; the legacy single-byte and CJK encodings and UTF-16BE go through ICU's
// converters (host.icuDecoderOpen/icuDecode, engine/web/install.cc); x-user-defined is here.
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
    "iso-8859-16": "ISO-8859-16",
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

  function toBytes(input) {
    if (input === undefined) return new Uint8Array(0);
    if (ArrayBuffer.isView(input))
      return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    if (
      input instanceof ArrayBuffer ||
      Object.prototype.toString.call(input) === "[object SharedArrayBuffer]"
    ) {
      return new Uint8Array(input);
    }
    throw new TypeError(
      "TextDecoder.decode: the input must be an ArrayBuffer or an ArrayBufferView",
    );
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
