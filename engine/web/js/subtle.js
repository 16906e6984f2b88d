// crypto.subtle (W3C Web Cryptography API) over OpenSSL natives (engine/web/subtle.cc).
// Algorithm normalization, parameter and usage checks follow the standard for every
// registered algorithm, so bad input gets the error the standard names. Implemented
// operations: digest; AES-CBC/CTR/GCM/KW and HMAC keys (generate, import and export raw/jwk,
// encrypt/decrypt, sign/verify, wrap/unwrap); PBKDF2 and HKDF (deriveBits/deriveKey).
// Secret key bytes live in native memory (host.subtleSecret handles), never in a JS object.
// RSA (RSASSA-PKCS1-v1_5, RSA-PSS, RSA-OAEP), ECDSA/ECDH (P-256/384/521), Ed25519 and X25519 keys
// are OpenSSL EVP_PKEYs: generate, import/export spki, pkcs8, raw and jwk, sign/verify,
// encrypt/decrypt, deriveBits/deriveKey.
(globalThis, host) => {
  "use strict";
  const define = (name, value) =>
    Object.defineProperty(globalThis, name, {
      value,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  const SubtleCrypto = globalThis.SubtleCrypto;

  const err = (name, message) => new DOMException(message, name);
  const isObject = (v) => v !== null && (typeof v === "object" || typeof v === "function");

  // ---- WebIDL conversions ----
  function toBufferCopy(v, what) {
    if (ArrayBuffer.isView(v))
      return new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
    if (v instanceof ArrayBuffer) return new Uint8Array(v.slice(0));
    throw new TypeError(`${what} must be a BufferSource`);
  }
  function enforceRange(v, max, what) {
    const n = Number(v);
    if (!Number.isFinite(n)) throw new TypeError(`${what} must be a finite number`);
    const t = Math.trunc(n);
    if (t < 0 || t > max) throw new TypeError(`${what} is out of range`);
    return t;
  }
  const CONVERT = {
    u8: (v, w) => enforceRange(v, 0xff, w),
    u16: (v, w) => enforceRange(v, 0xffff, w),
    u32: (v, w) => enforceRange(v, 0xffffffff, w),
    str: (v) => String(v),
    bytes: (v, w) => toBufferCopy(v, w),
    bigint: (v, w) => {
      if (!(v instanceof Uint8Array)) throw new TypeError(`${w} must be a Uint8Array`);
      return new Uint8Array(v);
    },
    hash: (v) => normalize(v, "digest"),
    key: (v, w) => {
      if (!(v instanceof CryptoKey)) throw new TypeError(`${w} must be a CryptoKey`);
      return v;
    },
  };
  // Dictionary members (in the standard's lexicographic order): [name, type, required].
  const DICTS = {
    RsaHashedKeyGenParams: [
      ["hash", "hash", true],
      ["modulusLength", "u32", true],
      ["publicExponent", "bigint", true],
    ],
    EcKeyGenParams: [["namedCurve", "str", true]],
    AesKeyGenParams: [["length", "u16", true]],
    HmacKeyGenParams: [
      ["hash", "hash", true],
      ["length", "u32", false],
    ],
    RsaHashedImportParams: [["hash", "hash", true]],
    EcKeyImportParams: [["namedCurve", "str", true]],
    HmacImportParams: [
      ["hash", "hash", true],
      ["length", "u32", false],
    ],
    RsaPssParams: [["saltLength", "u32", true]],
    EcdsaParams: [["hash", "hash", true]],
    RsaOaepParams: [["label", "bytes", false]],
    AesCtrParams: [
      ["counter", "bytes", true],
      ["length", "u8", true],
    ],
    AesCbcParams: [["iv", "bytes", true]],
    AesGcmParams: [
      ["additionalData", "bytes", false],
      ["iv", "bytes", true],
      ["tagLength", "u8", false],
    ],
    EcdhKeyDeriveParams: [["public", "key", true]],
    HkdfParams: [
      ["hash", "hash", true],
      ["info", "bytes", true],
      ["salt", "bytes", true],
    ],
    Pbkdf2Params: [
      ["hash", "hash", true],
      ["iterations", "u32", true],
      ["salt", "bytes", true],
    ],
    AesDerivedKeyParams: [["length", "u16", true]],
  };
  const SHA = { "SHA-1": null, "SHA-256": null, "SHA-384": null, "SHA-512": null };
  const AES = ["AES-CTR", "AES-CBC", "AES-GCM", "AES-KW"];
  const RSA = ["RSASSA-PKCS1-v1_5", "RSA-PSS", "RSA-OAEP"];
  const each = (names, dict) => Object.fromEntries(names.map((n) => [n, dict]));
  const OPS = {
    digest: SHA,
    generateKey: {
      ...each(RSA, "RsaHashedKeyGenParams"),
      ECDSA: "EcKeyGenParams",
      ECDH: "EcKeyGenParams",
      Ed25519: null,
      X25519: null,
      ...each(AES, "AesKeyGenParams"),
      HMAC: "HmacKeyGenParams",
    },
    importKey: {
      ...each(RSA, "RsaHashedImportParams"),
      ECDSA: "EcKeyImportParams",
      ECDH: "EcKeyImportParams",
      Ed25519: null,
      X25519: null,
      ...each(AES, null),
      HMAC: "HmacImportParams",
      HKDF: null,
      PBKDF2: null,
    },
    sign: {
      "RSASSA-PKCS1-v1_5": null,
      "RSA-PSS": "RsaPssParams",
      ECDSA: "EcdsaParams",
      Ed25519: null,
      HMAC: null,
    },
    encrypt: {
      "RSA-OAEP": "RsaOaepParams",
      "AES-CTR": "AesCtrParams",
      "AES-CBC": "AesCbcParams",
      "AES-GCM": "AesGcmParams",
    },
    deriveBits: {
      ECDH: "EcdhKeyDeriveParams",
      X25519: "EcdhKeyDeriveParams",
      HKDF: "HkdfParams",
      PBKDF2: "Pbkdf2Params",
    },
    getKeyLength: {
      ...each(AES, "AesDerivedKeyParams"),
      HMAC: "HmacImportParams",
      HKDF: null,
      PBKDF2: null,
    },
    wrapKey: { "AES-KW": null },
  };
  OPS.verify = OPS.sign;
  OPS.decrypt = OPS.encrypt;
  OPS.unwrapKey = OPS.wrapKey;
  const CANON = new Map();
  for (const op of Object.values(OPS))
    for (const n of Object.keys(op)) CANON.set(n.toUpperCase(), n);

  function normalize(alg, op) {
    if (!isObject(alg)) return normalize({ name: String(alg) }, op);
    const rawName = alg.name;
    if (rawName === undefined) throw new TypeError("Algorithm: name is required");
    const name = CANON.get(String(rawName).toUpperCase());
    const table = OPS[op];
    if (name === undefined || !(name in table))
      throw err("NotSupportedError", `Unrecognized algorithm name: ${rawName}`);
    const out = { name };
    const dict = table[name];
    if (dict) {
      for (const [member, type, required] of DICTS[dict]) {
        const v = alg[member];
        if (v === undefined) {
          if (required) throw new TypeError(`${name}: ${member} is required`);
          continue;
        }
        out[member] = CONVERT[type](v, `${name}.${member}`);
      }
    }
    return out;
  }

  // ---- CryptoKey ----
  const kInternal = Symbol("internal");
  const keys = new WeakMap(); // CryptoKey -> { type, extractable, algorithm, usages, handle }
  class CryptoKey {
    constructor(t) {
      if (t !== kInternal) throw new TypeError("Illegal constructor");
    }
    get type() {
      return slot(this).type;
    }
    get extractable() {
      return slot(this).extractable;
    }
    get algorithm() {
      return slot(this).algorithm;
    }
    get usages() {
      return slot(this).usages;
    }
  }
  Object.defineProperty(CryptoKey.prototype, Symbol.toStringTag, {
    value: "CryptoKey",
    configurable: true,
  });
  function slot(key) {
    const s = keys.get(key);
    if (!s) throw new TypeError("'this' is not a CryptoKey");
    return s;
  }
  const USAGE_ORDER = [
    "encrypt",
    "decrypt",
    "sign",
    "verify",
    "deriveKey",
    "deriveBits",
    "wrapKey",
    "unwrapKey",
  ];
  function makeKey(type, extractable, algorithm, usages, handle) {
    const key = new CryptoKey(kInternal);
    const list = USAGE_ORDER.filter((u) => usages.includes(u));
    keys.set(key, { type, extractable: !!extractable, algorithm, usages: list, handle });
    return key;
  }
  function toUsages(usages) {
    if (!isObject(usages) || typeof usages[Symbol.iterator] !== "function") {
      throw new TypeError("keyUsages must be a sequence");
    }
    const out = [];
    for (const u of usages) {
      const s = String(u);
      if (!USAGE_ORDER.includes(s)) throw new TypeError(`Invalid key usage: ${s}`);
      out.push(s);
    }
    return out;
  }
  function checkUsages(usages, allowed) {
    for (const u of usages)
      if (!allowed.includes(u)) throw err("SyntaxError", `Usage ${u} is not allowed for this key`);
  }
  function requireKey(key, name, usage) {
    if (!(key instanceof CryptoKey)) throw new TypeError("key must be a CryptoKey");
    const s = slot(key);
    if (s.algorithm.name !== name)
      throw err("InvalidAccessError", `The key is for ${s.algorithm.name}, not ${name}`);
    if (!s.usages.includes(usage))
      throw err("InvalidAccessError", `The key does not allow ${usage}`);
    return s;
  }

  // ---- helpers ----
  const HASH_BLOCK = { "SHA-1": 512, "SHA-256": 512, "SHA-384": 1024, "SHA-512": 1024 };
  const HASH_BITS = { "SHA-1": 160, "SHA-256": 256, "SHA-384": 384, "SHA-512": 512 };
  const b64url = (u8) => {
    let s = "";
    for (let i = 0; i < u8.length; i++) s += String.fromCharCode(u8[i]);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  };
  const unb64url = (s) => {
    if (typeof s !== "string" || !/^[A-Za-z0-9_-]*$/.test(s))
      throw err("DataError", "Invalid base64url data");
    let t = s.replace(/-/g, "+").replace(/_/g, "/");
    while (t.length % 4) t += "=";
    let bin;
    try {
      bin = atob(t);
    } catch {
      throw err("DataError", "Invalid base64url data");
    }
    const u8 = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) u8[i] = bin.charCodeAt(i);
    return u8;
  };
  const random = (n) => crypto.getRandomValues(new Uint8Array(n));
  const JWK_ALG_AES = { "AES-CBC": "CBC", "AES-CTR": "CTR", "AES-GCM": "GCM", "AES-KW": "KW" };
  const JWK_ALG_HMAC = {
    "SHA-1": "HS1",
    "SHA-256": "HS256",
    "SHA-384": "HS384",
    "SHA-512": "HS512",
  };
  const AES_USAGES = (name) =>
    name === "AES-KW" ? ["wrapKey", "unwrapKey"] : ["encrypt", "decrypt", "wrapKey", "unwrapKey"];
  const ASYM = {
    "RSASSA-PKCS1-v1_5": { all: ["sign", "verify"], priv: ["sign"] },
    "RSA-PSS": { all: ["sign", "verify"], priv: ["sign"] },
    "RSA-OAEP": {
      all: ["encrypt", "decrypt", "wrapKey", "unwrapKey"],
      priv: ["decrypt", "unwrapKey"],
    },
    ECDSA: { all: ["sign", "verify"], priv: ["sign"] },
    ECDH: { all: ["deriveKey", "deriveBits"], priv: ["deriveKey", "deriveBits"] },
    Ed25519: { all: ["sign", "verify"], priv: ["sign"] },
    X25519: { all: ["deriveKey", "deriveBits"], priv: ["deriveKey", "deriveBits"] },
  };
  const notImplemented = (name, op) =>
    err("NotSupportedError", `${op} for ${name} keys is not implemented in zinnia`);

  // ---- the operations ----
  function generateKey(alg, extractable, usages) {
    const name = alg.name;
    if (AES.includes(name)) {
      checkUsages(usages, AES_USAGES(name));
      if (![128, 192, 256].includes(alg.length))
        throw err("OperationError", "AES key length must be 128, 192 or 256");
      if (usages.length === 0) throw err("SyntaxError", "usages must not be empty");
      return makeKey(
        "secret",
        extractable,
        { name, length: alg.length },
        usages,
        host.subtleSecret(random(alg.length / 8)),
      );
    }
    if (name === "HMAC") {
      checkUsages(usages, ["sign", "verify"]);
      let length = alg.length;
      if (length === undefined) length = HASH_BLOCK[alg.hash.name];
      else if (length === 0) throw err("OperationError", "HMAC key length must not be 0");
      if (usages.length === 0) throw err("SyntaxError", "usages must not be empty");
      const bytes = random(Math.ceil(length / 8));
      if (length % 8) bytes[bytes.length - 1] &= 0xff << (8 - (length % 8));
      return makeKey(
        "secret",
        extractable,
        { name, hash: { name: alg.hash.name }, length },
        usages,
        host.subtleSecret(bytes),
      );
    }
    const a = ASYM[name];
    checkUsages(usages, a.all);
    if (RSA.includes(name)) {
      const e = alg.publicExponent;
      const v = e.reduce((n, b) => n * 256 + b, 0);
      if (v !== 65537 && v !== 3)
        throw err("OperationError", "RSA publicExponent must be 3 or 65537");
    }
    if (name === "ECDSA" || name === "ECDH") {
      if (!["P-256", "P-384", "P-521"].includes(alg.namedCurve))
        throw err("NotSupportedError", `Unsupported curve ${alg.namedCurve}`);
    }
    if (!usages.some((u) => a.priv.includes(u)))
      throw err("SyntaxError", "the private key would have no usages");
    const kind = KIND[name];
    const pair =
      kind === "RSA"
        ? host.subtleGenerate("RSA", alg.modulusLength, alg.publicExponent)
        : host.subtleGenerate(kind, alg.namedCurve);
    if (pair === null) throw err("OperationError", `${name} key generation failed`);
    const algorithm = keyAlgorithm(name, alg, pair[0]);
    return {
      publicKey: makeKey(
        "public",
        true,
        algorithm,
        usages.filter((u) => !a.priv.includes(u)),
        pair[1],
      ),
      privateKey: makeKey(
        "private",
        extractable,
        algorithm,
        usages.filter((u) => a.priv.includes(u)),
        pair[0],
      ),
    };
  }
  const KIND = {
    "RSASSA-PKCS1-v1_5": "RSA",
    "RSA-PSS": "RSA",
    "RSA-OAEP": "RSA",
    ECDSA: "EC",
    ECDH: "EC",
    Ed25519: "ED25519",
    X25519: "X25519",
  };
  function keyAlgorithm(name, alg, handle) {
    if (KIND[name] === "RSA") {
      const info = host.subtleKeyInfo(handle);
      return {
        name,
        modulusLength: info.modulusLength,
        publicExponent: new Uint8Array(info.publicExponent),
        hash: { name: alg.hash.name },
      };
    }
    if (KIND[name] === "EC") return { name, namedCurve: alg.namedCurve };
    return { name };
  }
  const JWK_ALG_RSA = {
    "RSASSA-PKCS1-v1_5": {
      "SHA-1": "RS1",
      "SHA-256": "RS256",
      "SHA-384": "RS384",
      "SHA-512": "RS512",
    },
    "RSA-PSS": { "SHA-1": "PS1", "SHA-256": "PS256", "SHA-384": "PS384", "SHA-512": "PS512" },
    "RSA-OAEP": {
      "SHA-1": "RSA-OAEP",
      "SHA-256": "RSA-OAEP-256",
      "SHA-384": "RSA-OAEP-384",
      "SHA-512": "RSA-OAEP-512",
    },
  };
  const JWK_ALG_EC = { "P-256": "ES256", "P-384": "ES384", "P-521": "ES512" };
  function importAsym(format, keyData, alg, extractable, usages) {
    const name = alg.name;
    const kind = KIND[name];
    const a = ASYM[name];
    const pubUsages = a.all.filter((u) => !a.priv.includes(u));
    if (kind === "EC" && !["P-256", "P-384", "P-521"].includes(alg.namedCurve)) {
      throw err("NotSupportedError", `Unsupported curve ${alg.namedCurve}`);
    }
    let isPrivate;
    let handle;
    const curve = kind === "EC" ? alg.namedCurve : null;
    if (format === "jwk") {
      const jwk = keyData;
      isPrivate = jwk.d !== undefined;
      checkUsages(usages, isPrivate ? a.priv : pubUsages);
      const kty = kind === "RSA" ? "RSA" : kind === "EC" ? "EC" : "OKP";
      if (jwk.kty !== kty) throw err("DataError", `JWK kty must be "${kty}"`);
      if (kind === "EC" && jwk.crv !== alg.namedCurve)
        throw err("DataError", `JWK crv must be ${alg.namedCurve}`);
      if ((kind === "ED25519" || kind === "X25519") && jwk.crv !== name)
        throw err("DataError", `JWK crv must be ${name}`);
      if (jwk.alg !== undefined) {
        let want;
        if (kind === "RSA") want = JWK_ALG_RSA[name][alg.hash.name];
        else if (name === "ECDSA") want = JWK_ALG_EC[alg.namedCurve];
        else if (name === "Ed25519") want = jwk.alg === "EdDSA" ? "EdDSA" : "Ed25519";
        if (want !== undefined && jwk.alg !== want)
          throw err("DataError", `JWK alg ${jwk.alg} does not match`);
      }
      checkJwkCommon(jwk, usages, extractable, a.priv.includes("sign") ? "sig" : "enc");
      const fields = {};
      const names =
        kind === "RSA"
          ? ["n", "e", "d", "p", "q", "dp", "dq", "qi"]
          : kind === "EC"
            ? ["x", "y", "d"]
            : ["x", "d"];
      for (const f of names) if (jwk[f] !== undefined) fields[f] = unb64url(jwk[f]);
      if (kind !== "RSA" && fields.x === undefined) throw err("DataError", "JWK x is missing");
      handle = host.subtleImport(kind, "jwk", fields, curve);
    } else {
      if (format === "raw") {
        if (kind === "RSA") throw err("NotSupportedError", "RSA keys cannot be imported raw");
        isPrivate = false;
      } else {
        isPrivate = format === "pkcs8";
      }
      checkUsages(usages, isPrivate ? a.priv : pubUsages);
      handle = host.subtleImport(kind, format, keyData, curve);
    }
    if (handle === null)
      throw err(
        "DataError",
        `The key data is not a valid ${name} ${isPrivate ? "private" : "public"} key`,
      );
    if (isPrivate && usages.length === 0) throw err("SyntaxError", "usages must not be empty");
    const algorithm = keyAlgorithm(name, alg, handle);
    return makeKey(isPrivate ? "private" : "public", extractable, algorithm, usages, handle);
  }
  function exportAsym(format, s) {
    const name = s.algorithm.name;
    const kind = KIND[name];
    if (format === "spki" || format === "raw") {
      if (s.type !== "public")
        throw err("InvalidAccessError", `Only a public key exports as ${format}`);
      if (format === "raw" && kind === "RSA")
        throw err("NotSupportedError", "RSA keys do not export raw");
    } else if (format === "pkcs8" && s.type !== "private") {
      throw err("InvalidAccessError", "Only a private key exports as pkcs8");
    }
    if (format !== "jwk") {
      const out = host.subtleKeyExport(s.handle, format);
      if (out === null) throw err("OperationError", `exporting the ${name} key failed`);
      return out;
    }
    const c = host.subtleKeyExport(s.handle, "jwk");
    if (c === null) throw err("OperationError", `exporting the ${name} key failed`);
    const jwk = {};
    if (kind === "RSA") {
      jwk.kty = "RSA";
      jwk.alg = JWK_ALG_RSA[name][s.algorithm.hash.name];
    } else if (kind === "EC") {
      jwk.kty = "EC";
      jwk.crv = s.algorithm.namedCurve;
    } else {
      jwk.kty = "OKP";
      jwk.crv = name;
      if (name === "Ed25519") jwk.alg = "Ed25519";
    }
    for (const [k, v] of Object.entries(c)) jwk[k] = b64url(new Uint8Array(v));
    jwk.key_ops = s.usages.slice();
    jwk.ext = s.extractable;
    return jwk;
  }

  function importKey(format, keyData, alg, extractable, usages) {
    const name = alg.name;
    let bytes;
    let jwk = null;
    if (format === "jwk") jwk = keyData;
    else bytes = keyData;
    if (AES.includes(name)) {
      if (format !== "raw" && format !== "jwk")
        throw err("NotSupportedError", `AES keys import only raw and jwk, not ${format}`);
      checkUsages(usages, AES_USAGES(name));
      if (jwk) {
        if (jwk.kty !== "oct") throw err("DataError", 'JWK kty must be "oct"');
        if (jwk.k === undefined) throw err("DataError", "JWK k is missing");
        bytes = unb64url(jwk.k);
        const bits = bytes.length * 8;
        if (![128, 192, 256].includes(bits))
          throw err("DataError", "AES key length must be 128, 192 or 256 bits");
        if (jwk.alg !== undefined && jwk.alg !== `A${bits}${JWK_ALG_AES[name]}`)
          throw err("DataError", `JWK alg ${jwk.alg} does not match`);
        checkJwkCommon(jwk, usages, extractable, "enc");
      } else if (![16, 24, 32].includes(bytes.length)) {
        throw err("DataError", "AES key length must be 128, 192 or 256 bits");
      }
      if (usages.length === 0) throw err("SyntaxError", "usages must not be empty");
      return makeKey(
        "secret",
        extractable,
        { name, length: bytes.length * 8 },
        usages,
        host.subtleSecret(bytes),
      );
    }
    if (name === "HMAC") {
      if (format !== "raw" && format !== "jwk")
        throw err("NotSupportedError", `HMAC keys import only raw and jwk, not ${format}`);
      checkUsages(usages, ["sign", "verify"]);
      const hash = alg.hash.name;
      if (jwk) {
        if (jwk.kty !== "oct") throw err("DataError", 'JWK kty must be "oct"');
        if (jwk.k === undefined) throw err("DataError", "JWK k is missing");
        bytes = unb64url(jwk.k);
        if (jwk.alg !== undefined && jwk.alg !== JWK_ALG_HMAC[hash])
          throw err("DataError", `JWK alg ${jwk.alg} does not match ${hash}`);
        checkJwkCommon(jwk, usages, extractable, "sig");
      }
      let length = bytes.length * 8;
      if (length === 0) throw err("DataError", "HMAC key must not be empty");
      if (alg.length !== undefined) {
        if (alg.length > length || alg.length <= length - 8)
          throw err("DataError", "HMAC length does not match the key data");
        length = alg.length;
      }
      if (usages.length === 0) throw err("SyntaxError", "usages must not be empty");
      return makeKey(
        "secret",
        extractable,
        { name, hash: { name: hash }, length },
        usages,
        host.subtleSecret(bytes),
      );
    }
    if (name === "PBKDF2" || name === "HKDF") {
      if (format !== "raw")
        throw err("NotSupportedError", `${name} keys import only raw, not ${format}`);
      checkUsages(usages, ["deriveKey", "deriveBits"]);
      if (extractable) throw err("SyntaxError", `${name} keys cannot be extractable`);
      if (usages.length === 0) throw err("SyntaxError", "usages must not be empty");
      return makeKey("secret", false, { name }, usages, host.subtleSecret(bytes));
    }
    return importAsym(format, keyData, alg, extractable, usages);
  }
  function checkJwkCommon(jwk, usages, extractable, use) {
    if (usages.length && jwk.use !== undefined && jwk.use !== use)
      throw err("DataError", `JWK use must be "${use}"`);
    if (jwk.key_ops !== undefined) {
      if (!Array.isArray(jwk.key_ops)) throw err("DataError", "JWK key_ops must be an array");
      for (const u of usages)
        if (!jwk.key_ops.includes(u)) throw err("DataError", `JWK key_ops does not allow ${u}`);
    }
    if (jwk.ext === false && extractable)
      throw err("DataError", "JWK ext is false but the key is to be extractable");
  }

  function exportKey(format, key) {
    const s = slot(key);
    if (!s.extractable) throw err("InvalidAccessError", "The key is not extractable");
    const name = s.algorithm.name;
    if (s.type !== "secret") return exportAsym(format, s);
    if (name === "PBKDF2" || name === "HKDF") throw notImplemented(name, "exportKey");
    if (format === "raw") return host.subtleExport(s.handle);
    if (format === "jwk") {
      const bytes = new Uint8Array(host.subtleExport(s.handle));
      const alg =
        name === "HMAC"
          ? JWK_ALG_HMAC[s.algorithm.hash.name]
          : `A${s.algorithm.length}${JWK_ALG_AES[name]}`;
      return { kty: "oct", k: b64url(bytes), alg, key_ops: s.usages.slice(), ext: s.extractable };
    }
    throw err("NotSupportedError", `${name} keys export only raw and jwk, not ${format}`);
  }

  function aes(alg, s, data, encrypt) {
    const name = alg.name;
    let out;
    if (name === "AES-CBC") {
      if (alg.iv.length !== 16) throw err("OperationError", "AES-CBC iv must be 16 bytes");
      out = host.subtleAes("cbc", encrypt, s.handle, alg.iv, data);
    } else if (name === "AES-CTR") {
      if (alg.counter.length !== 16)
        throw err("OperationError", "AES-CTR counter must be 16 bytes");
      if (alg.length === 0 || alg.length > 128)
        throw err("OperationError", "AES-CTR length must be 1..128");
      out = host.subtleAes("ctr", encrypt, s.handle, alg.counter, data, alg.length);
    } else if (name === "AES-GCM") {
      const tagLength = alg.tagLength ?? 128;
      if (![32, 64, 96, 104, 112, 120, 128].includes(tagLength))
        throw err("OperationError", `Invalid AES-GCM tagLength ${tagLength}`);
      if (!encrypt && data.length < tagLength / 8)
        throw err("OperationError", "The data is shorter than the tag");
      out = host.subtleAes(
        "gcm",
        encrypt,
        s.handle,
        alg.iv,
        data,
        alg.additionalData ?? new Uint8Array(0),
        tagLength,
      );
    } else if (name === "RSA-OAEP") {
      if (s.type !== (encrypt ? "public" : "private"))
        throw err(
          "InvalidAccessError",
          `RSA-OAEP ${encrypt ? "encrypts with a public" : "decrypts with a private"} key`,
        );
      out = host.subtleRsaOaep(
        s.handle,
        encrypt,
        s.algorithm.hash.name,
        alg.label ?? new Uint8Array(0),
        data,
      );
    } else {
      throw notImplemented(name, encrypt ? "encrypt" : "decrypt");
    }
    if (out === null)
      throw err("OperationError", `${name} ${encrypt ? "encryption" : "decryption"} failed`);
    return out;
  }

  function deriveBits(alg, s, length) {
    const name = alg.name;
    if (name === "PBKDF2" || name === "HKDF") {
      if (length === null) throw err("OperationError", `${name} needs a length`);
      if (length % 8) throw err("OperationError", "length must be a multiple of 8");
      if (name === "PBKDF2") {
        if (alg.iterations === 0) throw err("OperationError", "iterations must not be 0");
        if (length === 0) return new ArrayBuffer(0);
        const out = host.subtlePbkdf2(alg.hash.name, s.handle, alg.salt, alg.iterations, length);
        if (out === null) throw err("OperationError", "PBKDF2 failed");
        return out;
      }
      if (length === 0) return new ArrayBuffer(0);
      const out = host.subtleHkdf(alg.hash.name, s.handle, alg.salt, alg.info, length);
      if (out === null) throw err("OperationError", "HKDF: length too large for the hash");
      return out;
    }
    if (name === "ECDH" || name === "X25519") {
      const pub = slot(alg.public);
      if (pub.type !== "public")
        throw err("InvalidAccessError", "The public member must be a public key");
      if (pub.algorithm.name !== name)
        throw err("InvalidAccessError", `The public key is for ${pub.algorithm.name}, not ${name}`);
      if (name === "ECDH" && pub.algorithm.namedCurve !== s.algorithm.namedCurve)
        throw err("InvalidAccessError", "The keys are on different curves");
      if (s.type !== "private")
        throw err("InvalidAccessError", "The base key must be a private key");
      const secret = host.subtleDerive(s.handle, pub.handle);
      if (secret === null) throw err("OperationError", `${name} key agreement failed`);
      if (length === null) return secret;
      if (length > secret.byteLength * 8)
        throw err(
          "OperationError",
          `length is more than the ${secret.byteLength * 8} bits ${name} makes`,
        );
      const out = new Uint8Array(secret.slice(0, Math.ceil(length / 8)));
      if (length % 8) out[out.length - 1] &= 0xff << (8 - (length % 8));
      return out.buffer;
    }
    throw notImplemented(name, "deriveBits");
  }

  function keyLength(alg) {
    if (AES.includes(alg.name)) {
      if (![128, 192, 256].includes(alg.length))
        throw err("OperationError", "AES key length must be 128, 192 or 256");
      return alg.length;
    }
    if (alg.name === "HMAC") {
      if (alg.length === undefined) return HASH_BLOCK[alg.hash.name];
      if (alg.length === 0) throw new TypeError("HMAC length must not be 0");
      return alg.length;
    }
    return null;
  }

  // ECDSA takes its hash from the operation, RSA from the key, Ed25519 none.
  const signHash = (alg, s) =>
    alg.name === "ECDSA" ? alg.hash.name : alg.name === "Ed25519" ? null : s.algorithm.hash.name;

  const need = (args, n, what) => {
    if (args.length < n)
      throw new TypeError(`SubtleCrypto.${what}: ${n} arguments required, ${args.length} given`);
  };
  const FORMATS = ["raw", "spki", "pkcs8", "jwk"];
  const toFormat = (f) => {
    const s = String(f);
    if (!FORMATS.includes(s)) throw new TypeError(`Invalid key format ${s}`);
    return s;
  };
  // Key data for importKey/unwrapKey: a JsonWebKey object for jwk, bytes for the others.
  const toKeyData = (format, data) => {
    if (format === "jwk") {
      if (!isObject(data) || ArrayBuffer.isView(data) || data instanceof ArrayBuffer)
        throw new TypeError("jwk key data must be a JsonWebKey object");
      return data;
    }
    if (!ArrayBuffer.isView(data) && !(data instanceof ArrayBuffer))
      throw new TypeError("key data must be a BufferSource");
    return toBufferCopy(data, "keyData");
  };

  const methods = {
    async digest(algorithm, data) {
      need(arguments, 2, "digest");
      const alg = normalize(algorithm, "digest");
      const bytes = toBufferCopy(data, "data");
      return host.digest(alg.name.replace("-", ""), bytes);
    },
    async generateKey(algorithm, extractable, keyUsages) {
      need(arguments, 3, "generateKey");
      const usages = toUsages(keyUsages);
      const alg = normalize(algorithm, "generateKey");
      return generateKey(alg, !!extractable, usages);
    },
    async importKey(format, keyData, algorithm, extractable, keyUsages) {
      need(arguments, 5, "importKey");
      format = toFormat(format);
      const data = toKeyData(format, keyData);
      const usages = toUsages(keyUsages);
      const alg = normalize(algorithm, "importKey");
      return importKey(format, data, alg, !!extractable, usages);
    },
    async exportKey(format, key) {
      need(arguments, 2, "exportKey");
      format = toFormat(format);
      if (!(key instanceof CryptoKey)) throw new TypeError("key must be a CryptoKey");
      return exportKey(format, key);
    },
    async sign(algorithm, key, data) {
      need(arguments, 3, "sign");
      const alg = normalize(algorithm, "sign");
      const bytes = toBufferCopy(data, "data");
      const s = requireKey(key, alg.name, "sign");
      if (alg.name === "HMAC") return host.subtleHmac(s.algorithm.hash.name, s.handle, bytes);
      if (s.type !== "private") throw err("InvalidAccessError", "Signing needs a private key");
      const out = host.subtleSign(
        s.handle,
        signHash(alg, s),
        bytes,
        alg.name === "RSA-PSS" ? alg.saltLength : null,
      );
      if (out === null) throw err("OperationError", `${alg.name} signing failed`);
      return out;
    },
    async verify(algorithm, key, signature, data) {
      need(arguments, 4, "verify");
      const alg = normalize(algorithm, "verify");
      const sig = toBufferCopy(signature, "signature");
      const bytes = toBufferCopy(data, "data");
      const s = requireKey(key, alg.name, "verify");
      if (alg.name === "HMAC") {
        const mac = new Uint8Array(host.subtleHmac(s.algorithm.hash.name, s.handle, bytes));
        if (mac.length !== sig.length) return false;
        let diff = 0;
        for (let i = 0; i < mac.length; i++) diff |= mac[i] ^ sig[i];
        return diff === 0;
      }
      if (s.type !== "public") throw err("InvalidAccessError", "Verifying needs a public key");
      return host.subtleVerify(
        s.handle,
        signHash(alg, s),
        sig,
        bytes,
        alg.name === "RSA-PSS" ? alg.saltLength : null,
      );
    },
    async encrypt(algorithm, key, data) {
      need(arguments, 3, "encrypt");
      const alg = normalize(algorithm, "encrypt");
      const bytes = toBufferCopy(data, "data");
      return aes(alg, requireKey(key, alg.name, "encrypt"), bytes, true);
    },
    async decrypt(algorithm, key, data) {
      need(arguments, 3, "decrypt");
      const alg = normalize(algorithm, "decrypt");
      const bytes = toBufferCopy(data, "data");
      return aes(alg, requireKey(key, alg.name, "decrypt"), bytes, false);
    },
    async deriveBits(algorithm, baseKey, length = null) {
      need(arguments, 2, "deriveBits");
      const alg = normalize(algorithm, "deriveBits");
      if (length !== null) length = enforceRange(length, 0xffffffff, "length");
      return deriveBits(alg, requireKey(baseKey, alg.name, "deriveBits"), length);
    },
    async deriveKey(algorithm, baseKey, derivedKeyType, extractable, keyUsages) {
      need(arguments, 5, "deriveKey");
      const alg = normalize(algorithm, "deriveBits");
      const importAlg = normalize(derivedKeyType, "importKey");
      const lengthAlg = normalize(derivedKeyType, "getKeyLength");
      const usages = toUsages(keyUsages);
      const s = requireKey(baseKey, alg.name, "deriveKey");
      const length = keyLength(lengthAlg);
      const bits = deriveBits(alg, s, length);
      return importKey("raw", new Uint8Array(bits), importAlg, !!extractable, usages);
    },
    async wrapKey(format, key, wrappingKey, wrapAlgorithm) {
      need(arguments, 4, "wrapKey");
      format = toFormat(format);
      let alg;
      try {
        alg = normalize(wrapAlgorithm, "wrapKey");
      } catch (e) {
        if (e?.name !== "NotSupportedError") throw e;
        alg = normalize(wrapAlgorithm, "encrypt");
      }
      const s = requireKey(wrappingKey, alg.name, "wrapKey");
      if (!(key instanceof CryptoKey)) throw new TypeError("key must be a CryptoKey");
      let bytes;
      const exported = exportKey(format, key);
      if (format === "jwk") bytes = new TextEncoder().encode(JSON.stringify(exported));
      else bytes = new Uint8Array(exported);
      if (alg.name === "AES-KW") {
        if (bytes.length % 8) throw err("OperationError", "AES-KW wraps only multiples of 8 bytes");
        const out = host.subtleAes("kw", true, s.handle, new Uint8Array(0), bytes);
        if (out === null) throw err("OperationError", "AES-KW wrap failed");
        return out;
      }
      return aes(alg, s, bytes, true);
    },
    async unwrapKey(
      format,
      wrappedKey,
      unwrappingKey,
      unwrapAlgorithm,
      unwrappedKeyAlgorithm,
      extractable,
      keyUsages,
    ) {
      need(arguments, 7, "unwrapKey");
      format = toFormat(format);
      let alg;
      try {
        alg = normalize(unwrapAlgorithm, "unwrapKey");
      } catch (e) {
        if (e?.name !== "NotSupportedError") throw e;
        alg = normalize(unwrapAlgorithm, "decrypt");
      }
      const keyAlg = normalize(unwrappedKeyAlgorithm, "importKey");
      const wrapped = toBufferCopy(wrappedKey, "wrappedKey");
      const usages = toUsages(keyUsages);
      const s = requireKey(unwrappingKey, alg.name, "unwrapKey");
      let bytes;
      if (alg.name === "AES-KW") {
        bytes = host.subtleAes("kw", false, s.handle, new Uint8Array(0), wrapped);
        if (bytes === null) throw err("OperationError", "AES-KW unwrap failed");
      } else {
        bytes = aes(alg, s, wrapped, false);
      }
      let data = new Uint8Array(bytes);
      if (format === "jwk") {
        try {
          data = JSON.parse(new TextDecoder().decode(data));
        } catch {
          throw err("DataError", "The unwrapped key is not a JSON JWK");
        }
        if (!isObject(data)) throw err("DataError", "The unwrapped key is not a JSON JWK");
      }
      return importKey(format, data, keyAlg, !!extractable, usages);
    },
  };
  for (const [name, fn] of Object.entries(methods)) {
    Object.defineProperty(SubtleCrypto.prototype, name, {
      value: fn,
      writable: true,
      configurable: true,
      enumerable: true,
    });
  }
  define("CryptoKey", CryptoKey);
};
