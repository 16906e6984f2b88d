// URL and URLSearchParams per the WHATWG URL Standard (UTF-8 only).
// IDNA: UTS #46 through ICU (engine/web/idna.cc).
(globalThis, host, internals) => {
  "use strict";
  const EOF = undefined;
  const FAILURE = Symbol("failure");

  // ---- UTF-8 helpers (self-contained, no native calls) ----
  function toUSV(s) {
    return String(s).replace(
      /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
      "\uFFFD",
    );
  }
  function utf8Bytes(cp) {
    if (cp < 0x80) return [cp];
    if (cp < 0x800) return [0xc0 | (cp >> 6), 0x80 | (cp & 63)];
    if (cp < 0x10000) return [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)];
    return [0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)];
  }
  function utf8EncodeString(s) {
    const out = [];
    for (const ch of s) {
      const b = utf8Bytes(ch.codePointAt(0));
      for (let i = 0; i < b.length; i++) out.push(b[i]);
    }
    return out;
  }
  function utf8DecodeLossy(bytes) {
    let out = "";
    let i = 0;
    const n = bytes.length;
    while (i < n) {
      const b = bytes[i];
      if (b < 0x80) {
        out += String.fromCharCode(b);
        i++;
        continue;
      }
      let need = 0,
        cp = 0,
        lo = 0x80,
        hi = 0xbf;
      if (b >= 0xc2 && b <= 0xdf) {
        need = 1;
        cp = b & 0x1f;
      } else if (b >= 0xe0 && b <= 0xef) {
        need = 2;
        cp = b & 0xf;
        if (b === 0xe0) lo = 0xa0;
        if (b === 0xed) hi = 0x9f;
      } else if (b >= 0xf0 && b <= 0xf4) {
        need = 3;
        cp = b & 7;
        if (b === 0xf0) lo = 0x90;
        if (b === 0xf4) hi = 0x8f;
      } else {
        out += "\uFFFD";
        i++;
        continue;
      }
      let j = 1;
      for (; j <= need; j++) {
        const c = bytes[i + j];
        if (c === undefined || c < lo || c > hi) break;
        lo = 0x80;
        hi = 0xbf;
        cp = (cp << 6) | (c & 63);
      }
      if (j <= need) {
        out += "\uFFFD";
        i += j;
        continue;
      }
      out += String.fromCodePoint(cp);
      i += need + 1;
    }
    return out;
  }

  // ---- percent-encode sets ----
  const inC0 = (c) => c < 0x20 || c > 0x7e;
  const inFragment = (c) =>
    inC0(c) || c === 0x20 || c === 0x22 || c === 0x3c || c === 0x3e || c === 0x60;
  const inQuery = (c) =>
    inC0(c) || c === 0x20 || c === 0x22 || c === 0x23 || c === 0x3c || c === 0x3e;
  const inSpecialQuery = (c) => inQuery(c) || c === 0x27;
  const inPath = (c) =>
    inQuery(c) || c === 0x3f || c === 0x5e || c === 0x60 || c === 0x7b || c === 0x7d;
  const inUserinfo = (c) =>
    inPath(c) ||
    c === 0x2f ||
    c === 0x3a ||
    c === 0x3b ||
    c === 0x3d ||
    c === 0x40 ||
    (c >= 0x5b && c <= 0x5e) ||
    c === 0x7c;
  const inComponent = (c) => inUserinfo(c) || (c >= 0x24 && c <= 0x26) || c === 0x2b || c === 0x2c;
  const inForm = (c) => inComponent(c) || c === 0x21 || (c >= 0x27 && c <= 0x29) || c === 0x7e;

  const HEX = "0123456789ABCDEF";
  const pct = (b) => "%" + HEX[b >> 4] + HEX[b & 15];
  function percentEncodeCp(ch, set) {
    const cp = ch.codePointAt(0);
    if (!set(cp)) return ch;
    let s = "";
    for (const b of utf8Bytes(cp)) s += pct(b);
    return s;
  }
  function percentEncodeString(str, set, spaceAsPlus = false) {
    let out = "";
    for (const ch of str) {
      if (spaceAsPlus && ch === " ") out += "+";
      else out += percentEncodeCp(ch, set);
    }
    return out;
  }
  const hexVal = (c) =>
    c >= 0x30 && c <= 0x39
      ? c - 0x30
      : c >= 0x41 && c <= 0x46
        ? c - 55
        : c >= 0x61 && c <= 0x66
          ? c - 87
          : -1;
  function percentDecodeBytes(bytes) {
    const out = [];
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i];
      if (b === 0x25 && i + 2 < bytes.length) {
        const h = hexVal(bytes[i + 1]),
          l = hexVal(bytes[i + 2]);
        if (h >= 0 && l >= 0) {
          out.push(h * 16 + l);
          i += 2;
          continue;
        }
      }
      out.push(b);
    }
    return out;
  }
  const percentDecodeString = (s) => percentDecodeBytes(utf8EncodeString(s));

  // ---- hosts ----
  const forbiddenHost = new Set([
    0, 9, 0xa, 0xd, 0x20, 0x23, 0x2f, 0x3a, 0x3c, 0x3e, 0x3f, 0x40, 0x5b, 0x5c, 0x5d, 0x5e, 0x7c,
  ]);
  const isForbiddenHostCp = (c) => forbiddenHost.has(c);
  const isForbiddenDomainCp = (c) => isForbiddenHostCp(c) || c <= 0x1f || c === 0x25 || c === 0x7f;
  // The standard's own shortcut: an ASCII domain with no "xn--" label is only lowercased;
  // anything else is UTS #46 ToASCII through ICU (host.domainToASCII, engine/web/idna.cc).
  // eslint-disable-next-line no-control-regex
  const NEEDS_UTS46 = /[^\x00-\x7f]|(?:^|\.)xn--/i;
  function domainToASCII(domain) {
    const out = NEEDS_UTS46.test(domain) ? host.domainToASCII(domain) : domain.toLowerCase();
    return out === undefined || out === "" ? FAILURE : out;
  }

  function parseIPv4Number(s) {
    if (s === "") return FAILURE;
    let R = 10;
    if (s.length >= 2 && (s.startsWith("0x") || s.startsWith("0X"))) {
      s = s.slice(2);
      R = 16;
    } else if (s.length >= 2 && s[0] === "0") {
      s = s.slice(1);
      R = 8;
    }
    if (s === "") return 0;
    const re = R === 10 ? /^[0-9]+$/ : R === 16 ? /^[0-9a-fA-F]+$/ : /^[0-7]+$/;
    if (!re.test(s)) return FAILURE;
    return parseInt(s, R);
  }
  function endsInNumber(s) {
    const parts = s.split(".");
    if (parts[parts.length - 1] === "") {
      if (parts.length === 1) return false;
      parts.pop();
    }
    const last = parts[parts.length - 1];
    if (last !== "" && /^[0-9]+$/.test(last)) return true;
    return parseIPv4Number(last) !== FAILURE;
  }
  function parseIPv4(s) {
    const parts = s.split(".");
    if (parts[parts.length - 1] === "" && parts.length > 1) parts.pop();
    if (parts.length > 4) return FAILURE;
    const nums = [];
    for (const p of parts) {
      const n = parseIPv4Number(p);
      if (n === FAILURE) return FAILURE;
      nums.push(n);
    }
    for (let i = 0; i < nums.length - 1; i++) if (nums[i] > 255) return FAILURE;
    if (nums[nums.length - 1] >= 256 ** (5 - nums.length)) return FAILURE;
    let ipv4 = nums[nums.length - 1];
    for (let i = 0; i < nums.length - 1; i++) ipv4 += nums[i] * 256 ** (3 - i);
    return ipv4;
  }
  function serializeIPv4(n) {
    const out = [];
    for (let i = 0; i < 4; i++) {
      out.unshift(String(n % 256));
      n = Math.floor(n / 256);
    }
    return out.join(".");
  }
  function parseIPv6(input) {
    const addr = [0, 0, 0, 0, 0, 0, 0, 0];
    let pieceIndex = 0,
      compress = null,
      p = 0;
    const cs = Array.from(input, (c) => c.codePointAt(0));
    const at = (i) => cs[i];
    const isHexC = (c) => c !== undefined && hexVal(c) >= 0;
    const isDigitC = (c) => c !== undefined && c >= 0x30 && c <= 0x39;
    if (at(p) === 0x3a) {
      if (at(p + 1) !== 0x3a) return FAILURE;
      p += 2;
      pieceIndex++;
      compress = pieceIndex;
    }
    while (at(p) !== undefined) {
      if (pieceIndex === 8) return FAILURE;
      if (at(p) === 0x3a) {
        if (compress !== null) return FAILURE;
        p++;
        pieceIndex++;
        compress = pieceIndex;
        continue;
      }
      let value = 0,
        length = 0;
      while (length < 4 && isHexC(at(p))) {
        value = value * 16 + hexVal(at(p));
        p++;
        length++;
      }
      if (at(p) === 0x2e) {
        if (length === 0) return FAILURE;
        p -= length;
        if (pieceIndex > 6) return FAILURE;
        let numbersSeen = 0;
        while (at(p) !== undefined) {
          let ipv4Piece = null;
          if (numbersSeen > 0) {
            if (at(p) === 0x2e && numbersSeen < 4) p++;
            else return FAILURE;
          }
          if (!isDigitC(at(p))) return FAILURE;
          while (isDigitC(at(p))) {
            const number = at(p) - 0x30;
            if (ipv4Piece === null) ipv4Piece = number;
            else if (ipv4Piece === 0) return FAILURE;
            else ipv4Piece = ipv4Piece * 10 + number;
            if (ipv4Piece > 255) return FAILURE;
            p++;
          }
          addr[pieceIndex] = addr[pieceIndex] * 0x100 + ipv4Piece;
          numbersSeen++;
          if (numbersSeen === 2 || numbersSeen === 4) pieceIndex++;
        }
        if (numbersSeen !== 4) return FAILURE;
        break;
      } else if (at(p) === 0x3a) {
        p++;
        if (at(p) === undefined) return FAILURE;
      } else if (at(p) !== undefined) {
        return FAILURE;
      }
      addr[pieceIndex] = value;
      pieceIndex++;
    }
    if (compress !== null) {
      let swaps = pieceIndex - compress;
      pieceIndex = 7;
      while (pieceIndex !== 0 && swaps > 0) {
        const t = addr[pieceIndex];
        addr[pieceIndex] = addr[compress + swaps - 1];
        addr[compress + swaps - 1] = t;
        pieceIndex--;
        swaps--;
      }
    } else if (pieceIndex !== 8) {
      return FAILURE;
    }
    return addr;
  }
  function serializeIPv6(addr) {
    let best = -1,
      bestLen = 1;
    for (let i = 0; i < 8; ) {
      if (addr[i] !== 0) {
        i++;
        continue;
      }
      let j = i;
      while (j < 8 && addr[j] === 0) j++;
      if (j - i > bestLen) {
        best = i;
        bestLen = j - i;
      }
      i = j;
    }
    let out = "";
    let ignore0 = false;
    for (let i = 0; i < 8; i++) {
      if (ignore0 && addr[i] === 0) continue;
      ignore0 = false;
      if (best === i) {
        out += i === 0 ? "::" : ":";
        ignore0 = true;
        continue;
      }
      out += addr[i].toString(16);
      if (i !== 7) out += ":";
    }
    return out;
  }
  function parseHost(input, isOpaque) {
    if (input[0] === "[") {
      if (input[input.length - 1] !== "]") return FAILURE;
      const a = parseIPv6(input.slice(1, -1));
      return a === FAILURE ? FAILURE : "[" + serializeIPv6(a) + "]";
    }
    if (isOpaque) {
      for (const ch of input) if (isForbiddenHostCp(ch.codePointAt(0))) return FAILURE;
      return percentEncodeString(input, inC0);
    }
    const domain = utf8DecodeLossy(percentDecodeString(input));
    const ascii = domainToASCII(domain);
    if (ascii === FAILURE) return FAILURE;
    for (let i = 0; i < ascii.length; i++)
      if (isForbiddenDomainCp(ascii.charCodeAt(i))) return FAILURE;
    if (endsInNumber(ascii)) {
      const v4 = parseIPv4(ascii);
      return v4 === FAILURE ? FAILURE : serializeIPv4(v4);
    }
    return ascii;
  }

  // ---- the basic URL parser ----
  const SPECIAL = { ftp: 21, file: null, http: 80, https: 443, ws: 80, wss: 443 };
  const isSpecialScheme = (s) => Object.prototype.hasOwnProperty.call(SPECIAL, s);
  const defaultPort = (s) => (isSpecialScheme(s) ? SPECIAL[s] : null);
  const isAlpha = (c) => c !== EOF && /^[A-Za-z]$/.test(c);
  const isDigit = (c) => c !== EOF && c >= "0" && c <= "9";
  const isWinDrive = (s) => s.length === 2 && isAlpha(s[0]) && (s[1] === ":" || s[1] === "|");
  const isNormWinDrive = (s) => s.length === 2 && isAlpha(s[0]) && s[1] === ":";
  function startsWithWinDrive(cps, p) {
    if (cps.length - p < 2) return false;
    if (!isAlpha(cps[p]) || (cps[p + 1] !== ":" && cps[p + 1] !== "|")) return false;
    if (cps.length - p === 2) return true;
    const c = cps[p + 2];
    return c === "/" || c === "\\" || c === "?" || c === "#";
  }
  const isSingleDot = (s) => s === "." || s.toLowerCase() === "%2e";
  const isDoubleDot = (s) => {
    s = s.toLowerCase();
    return s === ".." || s === ".%2e" || s === "%2e." || s === "%2e%2e";
  };
  function shortenPath(url) {
    const path = url.path;
    if (url.scheme === "file" && path.length === 1 && isNormWinDrive(path[0])) return;
    path.pop();
  }
  const includesCredentials = (url) => url.username !== "" || url.password !== "";

  const S = {
    SCHEME_START: 1,
    SCHEME: 2,
    NO_SCHEME: 3,
    SPECIAL_RELATIVE_OR_AUTHORITY: 4,
    PATH_OR_AUTHORITY: 5,
    RELATIVE: 6,
    RELATIVE_SLASH: 7,
    SPECIAL_AUTHORITY_SLASHES: 8,
    SPECIAL_AUTHORITY_IGNORE_SLASHES: 9,
    AUTHORITY: 10,
    HOST: 11,
    HOSTNAME: 12,
    PORT: 13,
    FILE: 14,
    FILE_SLASH: 15,
    FILE_HOST: 16,
    PATH_START: 17,
    PATH: 18,
    OPAQUE_PATH: 19,
    QUERY: 20,
    FRAGMENT: 21,
  };

  function newRecord() {
    return {
      scheme: "",
      username: "",
      password: "",
      host: null,
      port: null,
      path: [],
      query: null,
      fragment: null,
    };
  }

  function basicParse(input, base, url, stateOverride) {
    if (!url) {
      url = newRecord();
      // eslint-disable-next-line no-control-regex
      input = input.replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, "");
    }
    input = input.replace(/[\t\n\r]/g, "");
    const cps = Array.from(input);
    const len = cps.length;
    let state = stateOverride || S.SCHEME_START;
    let buffer = "";
    let atSignSeen = false,
      insideBrackets = false,
      passwordTokenSeen = false;
    const special = () => isSpecialScheme(url.scheme);

    for (let p = 0; p <= len; p++) {
      const c = cps[p];
      switch (state) {
        case S.SCHEME_START:
          if (isAlpha(c)) {
            buffer += c.toLowerCase();
            state = S.SCHEME;
          } else if (!stateOverride) {
            state = S.NO_SCHEME;
            p--;
          } else return FAILURE;
          break;
        case S.SCHEME:
          if (c !== EOF && (/^[A-Za-z0-9]$/.test(c) || c === "+" || c === "-" || c === ".")) {
            buffer += c.toLowerCase();
          } else if (c === ":") {
            if (stateOverride) {
              if (isSpecialScheme(url.scheme) !== isSpecialScheme(buffer)) return url;
              if ((includesCredentials(url) || url.port !== null) && buffer === "file") return url;
              if (url.scheme === "file" && url.host === "") return url;
            }
            url.scheme = buffer;
            if (stateOverride) {
              if (url.port === defaultPort(url.scheme)) url.port = null;
              return url;
            }
            buffer = "";
            if (url.scheme === "file") state = S.FILE;
            else if (special() && base && base.scheme === url.scheme)
              state = S.SPECIAL_RELATIVE_OR_AUTHORITY;
            else if (special()) state = S.SPECIAL_AUTHORITY_SLASHES;
            else if (cps[p + 1] === "/") {
              state = S.PATH_OR_AUTHORITY;
              p++;
            } else {
              url.path = "";
              state = S.OPAQUE_PATH;
            }
          } else if (!stateOverride) {
            buffer = "";
            state = S.NO_SCHEME;
            p = -1;
          } else return FAILURE;
          break;
        case S.NO_SCHEME:
          if (!base || (typeof base.path === "string" && c !== "#")) return FAILURE;
          if (typeof base.path === "string" && c === "#") {
            url.scheme = base.scheme;
            url.path = base.path;
            url.query = base.query;
            url.fragment = "";
            state = S.FRAGMENT;
          } else if (base.scheme !== "file") {
            state = S.RELATIVE;
            p--;
          } else {
            state = S.FILE;
            p--;
          }
          break;
        case S.SPECIAL_RELATIVE_OR_AUTHORITY:
          if (c === "/" && cps[p + 1] === "/") {
            state = S.SPECIAL_AUTHORITY_IGNORE_SLASHES;
            p++;
          } else {
            state = S.RELATIVE;
            p--;
          }
          break;
        case S.PATH_OR_AUTHORITY:
          if (c === "/") state = S.AUTHORITY;
          else {
            state = S.PATH;
            p--;
          }
          break;
        case S.RELATIVE:
          url.scheme = base.scheme;
          if (c === "/") state = S.RELATIVE_SLASH;
          else if (special() && c === "\\") state = S.RELATIVE_SLASH;
          else {
            url.username = base.username;
            url.password = base.password;
            url.host = base.host;
            url.port = base.port;
            url.path = base.path.slice();
            url.query = base.query;
            if (c === "?") {
              url.query = "";
              state = S.QUERY;
            } else if (c === "#") {
              url.fragment = "";
              state = S.FRAGMENT;
            } else if (c !== EOF) {
              url.query = null;
              shortenPath(url);
              state = S.PATH;
              p--;
            }
          }
          break;
        case S.RELATIVE_SLASH:
          if (special() && (c === "/" || c === "\\")) state = S.SPECIAL_AUTHORITY_IGNORE_SLASHES;
          else if (c === "/") state = S.AUTHORITY;
          else {
            url.username = base.username;
            url.password = base.password;
            url.host = base.host;
            url.port = base.port;
            state = S.PATH;
            p--;
          }
          break;
        case S.SPECIAL_AUTHORITY_SLASHES:
          if (c === "/" && cps[p + 1] === "/") {
            state = S.SPECIAL_AUTHORITY_IGNORE_SLASHES;
            p++;
          } else {
            state = S.SPECIAL_AUTHORITY_IGNORE_SLASHES;
            p--;
          }
          break;
        case S.SPECIAL_AUTHORITY_IGNORE_SLASHES:
          if (c !== "/" && c !== "\\") {
            state = S.AUTHORITY;
            p--;
          }
          break;
        case S.AUTHORITY:
          if (c === "@") {
            if (atSignSeen) buffer = "%40" + buffer;
            atSignSeen = true;
            for (const ch of buffer) {
              if (ch === ":" && !passwordTokenSeen) {
                passwordTokenSeen = true;
                continue;
              }
              const enc = percentEncodeCp(ch, inUserinfo);
              if (passwordTokenSeen) url.password += enc;
              else url.username += enc;
            }
            buffer = "";
          } else if (
            c === EOF ||
            c === "/" ||
            c === "?" ||
            c === "#" ||
            (special() && c === "\\")
          ) {
            if (atSignSeen && buffer === "") return FAILURE;
            p -= Array.from(buffer).length + 1;
            buffer = "";
            state = S.HOST;
          } else buffer += c;
          break;
        case S.HOST:
        case S.HOSTNAME:
          if (stateOverride && url.scheme === "file") {
            p--;
            state = S.FILE_HOST;
          } else if (c === ":" && !insideBrackets) {
            if (buffer === "") return FAILURE;
            if (stateOverride === S.HOSTNAME) return FAILURE;
            const h = parseHost(buffer, !special());
            if (h === FAILURE) return FAILURE;
            url.host = h;
            buffer = "";
            state = S.PORT;
          } else if (
            c === EOF ||
            c === "/" ||
            c === "?" ||
            c === "#" ||
            (special() && c === "\\")
          ) {
            p--;
            if (special() && buffer === "") return FAILURE;
            if (stateOverride && buffer === "" && (includesCredentials(url) || url.port !== null))
              return FAILURE;
            const h = parseHost(buffer, !special());
            if (h === FAILURE) return FAILURE;
            url.host = h;
            buffer = "";
            state = S.PATH_START;
            if (stateOverride) return url;
          } else {
            if (c === "[") insideBrackets = true;
            if (c === "]") insideBrackets = false;
            buffer += c;
          }
          break;
        case S.PORT:
          if (isDigit(c)) buffer += c;
          else if (
            c === EOF ||
            c === "/" ||
            c === "?" ||
            c === "#" ||
            (special() && c === "\\") ||
            stateOverride
          ) {
            if (buffer !== "") {
              const port = parseInt(buffer, 10);
              if (port > 65535) return FAILURE;
              url.port = port === defaultPort(url.scheme) ? null : port;
              buffer = "";
              if (stateOverride) return url;
            }
            if (stateOverride) return FAILURE;
            state = S.PATH_START;
            p--;
          } else return FAILURE;
          break;
        case S.FILE:
          url.scheme = "file";
          url.host = "";
          if (c === "/" || c === "\\") state = S.FILE_SLASH;
          else if (base && base.scheme === "file") {
            url.host = base.host;
            url.path = base.path.slice();
            url.query = base.query;
            if (c === "?") {
              url.query = "";
              state = S.QUERY;
            } else if (c === "#") {
              url.fragment = "";
              state = S.FRAGMENT;
            } else if (c !== EOF) {
              url.query = null;
              if (!startsWithWinDrive(cps, p)) shortenPath(url);
              else url.path = [];
              state = S.PATH;
              p--;
            }
          } else {
            state = S.PATH;
            p--;
          }
          break;
        case S.FILE_SLASH:
          if (c === "/" || c === "\\") state = S.FILE_HOST;
          else {
            if (base && base.scheme === "file") {
              url.host = base.host;
              if (
                !startsWithWinDrive(cps, p) &&
                base.path.length > 0 &&
                isNormWinDrive(base.path[0])
              ) {
                url.path.push(base.path[0]);
              }
            }
            state = S.PATH;
            p--;
          }
          break;
        case S.FILE_HOST:
          if (c === EOF || c === "/" || c === "\\" || c === "?" || c === "#") {
            p--;
            if (!stateOverride && isWinDrive(buffer)) state = S.PATH;
            else if (buffer === "") {
              url.host = "";
              if (stateOverride) return url;
              state = S.PATH_START;
            } else {
              let h = parseHost(buffer, !special());
              if (h === FAILURE) return FAILURE;
              if (h === "localhost") h = "";
              url.host = h;
              if (stateOverride) return url;
              buffer = "";
              state = S.PATH_START;
            }
          } else buffer += c;
          break;
        case S.PATH_START:
          if (special()) {
            state = S.PATH;
            if (c !== "/" && c !== "\\") p--;
          } else if (!stateOverride && c === "?") {
            url.query = "";
            state = S.QUERY;
          } else if (!stateOverride && c === "#") {
            url.fragment = "";
            state = S.FRAGMENT;
          } else if (c !== EOF) {
            state = S.PATH;
            if (c !== "/") p--;
          } else if (stateOverride && url.host === null) url.path.push("");
          break;
        case S.PATH: {
          const slash = c === "/" || (special() && c === "\\");
          if (c === EOF || slash || (!stateOverride && (c === "?" || c === "#"))) {
            if (isDoubleDot(buffer)) {
              shortenPath(url);
              if (!slash) url.path.push("");
            } else if (isSingleDot(buffer) && !slash) url.path.push("");
            else if (!isSingleDot(buffer)) {
              if (url.scheme === "file" && url.path.length === 0 && isWinDrive(buffer))
                buffer = buffer[0] + ":";
              url.path.push(buffer);
            }
            buffer = "";
            if (c === "?") {
              url.query = "";
              state = S.QUERY;
            }
            if (c === "#") {
              url.fragment = "";
              state = S.FRAGMENT;
            }
          } else buffer += percentEncodeCp(c, inPath);
          break;
        }
        case S.OPAQUE_PATH:
          if (c === "?") {
            url.query = "";
            state = S.QUERY;
          } else if (c === "#") {
            url.fragment = "";
            state = S.FRAGMENT;
          } else if (c === " ") {
            const n = cps[p + 1];
            url.path += n === "?" || n === "#" ? "%20" : " ";
          } else if (c !== EOF) url.path += percentEncodeCp(c, inC0);
          break;
        case S.QUERY:
          if ((!stateOverride && c === "#") || c === EOF) {
            url.query += percentEncodeString(buffer, special() ? inSpecialQuery : inQuery);
            buffer = "";
            if (c === "#") {
              url.fragment = "";
              state = S.FRAGMENT;
            }
          } else if (c !== EOF) buffer += c;
          break;
        case S.FRAGMENT:
          if (c !== EOF) url.fragment += percentEncodeCp(c, inFragment);
          break;
      }
    }
    return url;
  }

  function serializePath(url) {
    if (typeof url.path === "string") return url.path;
    let out = "";
    for (const seg of url.path) out += "/" + seg;
    return out;
  }
  function serializeURL(url, excludeFragment) {
    let out = url.scheme + ":";
    if (url.host !== null) {
      out += "//";
      if (includesCredentials(url)) {
        out += url.username;
        if (url.password !== "") out += ":" + url.password;
        out += "@";
      }
      out += url.host;
      if (url.port !== null) out += ":" + url.port;
    }
    if (
      url.host === null &&
      typeof url.path !== "string" &&
      url.path.length > 1 &&
      url.path[0] === ""
    )
      out += "/.";
    out += serializePath(url);
    if (url.query !== null) out += "?" + url.query;
    if (!excludeFragment && url.fragment !== null) out += "#" + url.fragment;
    return out;
  }
  function serializeOrigin(url) {
    switch (url.scheme) {
      case "blob": {
        const inner = basicParse(serializePath(url), null);
        if (inner !== FAILURE && (inner.scheme === "http" || inner.scheme === "https"))
          return serializeOrigin(inner);
        return "null";
      }
      case "ftp":
      case "http":
      case "https":
      case "ws":
      case "wss":
        return url.scheme + "://" + url.host + (url.port !== null ? ":" + url.port : "");
      default:
        return "null";
    }
  }

  // ---- application/x-www-form-urlencoded ----
  function formParse(input) {
    const out = [];
    for (const seq of input.split("&")) {
      if (seq === "") continue;
      const eq = seq.indexOf("=");
      let name = eq >= 0 ? seq.slice(0, eq) : seq;
      let value = eq >= 0 ? seq.slice(eq + 1) : "";
      name = name.replace(/\+/g, " ");
      value = value.replace(/\+/g, " ");
      out.push([
        utf8DecodeLossy(percentDecodeString(name)),
        utf8DecodeLossy(percentDecodeString(value)),
      ]);
    }
    return out;
  }
  function formSerialize(list) {
    let out = "";
    for (const [n, v] of list) {
      if (out !== "") out += "&";
      out += percentEncodeString(n, inForm, true) + "=" + percentEncodeString(v, inForm, true);
    }
    return out;
  }

  // ---- URLSearchParams ----
  const kList = Symbol("list");
  const kUrl = Symbol("url");
  const kRecord = Symbol("record");
  const kParams = Symbol("searchParams");

  function updateParams(params) {
    const url = params[kUrl];
    if (!url) return;
    const s = formSerialize(params[kList]);
    url[kRecord].query = s === "" ? null : s;
  }

  class URLSearchParams {
    constructor(init = "") {
      this[kList] = [];
      this[kUrl] = null;
      if ((init !== null && typeof init === "object") || typeof init === "function") {
        if (typeof init[Symbol.iterator] === "function") {
          for (const pair of init) {
            const arr = Array.from(pair);
            if (arr.length !== 2)
              throw new TypeError("URLSearchParams: each pair must have exactly two items");
            this[kList].push([toUSV(arr[0]), toUSV(arr[1])]);
          }
        } else {
          // A WebIDL record: keys that are equal as USVStrings share one entry, the last
          // value winning in the first one's place.
          const record = new Map();
          for (const key of Reflect.ownKeys(init)) {
            if (typeof key !== "string") continue;
            const desc = Reflect.getOwnPropertyDescriptor(init, key);
            if (desc && desc.enumerable) record.set(toUSV(key), toUSV(init[key]));
          }
          for (const [k, v] of record) this[kList].push([k, v]);
        }
      } else {
        let s = toUSV(init);
        if (s[0] === "?") s = s.slice(1);
        this[kList] = formParse(s);
      }
    }
    get size() {
      return this[kList].length;
    }
    append(name, value) {
      this[kList].push([toUSV(name), toUSV(value)]);
      updateParams(this);
    }
    delete(name, value) {
      name = toUSV(name);
      if (value === undefined) this[kList] = this[kList].filter((p) => p[0] !== name);
      else {
        value = toUSV(value);
        this[kList] = this[kList].filter((p) => !(p[0] === name && p[1] === value));
      }
      updateParams(this);
    }
    get(name) {
      name = toUSV(name);
      const p = this[kList].find((e) => e[0] === name);
      return p ? p[1] : null;
    }
    getAll(name) {
      name = toUSV(name);
      return this[kList].filter((e) => e[0] === name).map((e) => e[1]);
    }
    has(name, value) {
      name = toUSV(name);
      if (value === undefined) return this[kList].some((e) => e[0] === name);
      value = toUSV(value);
      return this[kList].some((e) => e[0] === name && e[1] === value);
    }
    set(name, value) {
      name = toUSV(name);
      value = toUSV(value);
      const list = this[kList];
      const i = list.findIndex((e) => e[0] === name);
      if (i < 0) list.push([name, value]);
      else {
        list[i][1] = value;
        this[kList] = list.filter((e, j) => j <= i || e[0] !== name);
      }
      updateParams(this);
    }
    sort() {
      const list = this[kList].map((e, i) => [e, i]);
      list.sort((a, b) => (a[0][0] < b[0][0] ? -1 : a[0][0] > b[0][0] ? 1 : a[1] - b[1]));
      this[kList] = list.map((x) => x[0]);
      updateParams(this);
    }
    forEach(cb, thisArg) {
      if (typeof cb !== "function")
        throw new TypeError("URLSearchParams.forEach: callback is not a function");
      for (let i = 0; i < this[kList].length; i++) {
        const [n, v] = this[kList][i];
        cb.call(thisArg, v, n, this);
      }
    }
    *entries() {
      for (let i = 0; i < this[kList].length; i++) yield [this[kList][i][0], this[kList][i][1]];
    }
    *keys() {
      for (const [n] of this.entries()) yield n;
    }
    *values() {
      for (const [, v] of this.entries()) yield v;
    }
    [Symbol.iterator]() {
      return this.entries();
    }
    toString() {
      return formSerialize(this[kList]);
    }
    get [Symbol.toStringTag]() {
      return "URLSearchParams";
    }
  }

  // ---- URL ----
  function parseOrThrow(url, base) {
    let baseRec = null;
    if (base !== undefined) {
      baseRec = basicParse(toUSV(base), null);
      if (baseRec === FAILURE) throw new TypeError(`Invalid base URL: ${base}`);
    }
    const rec = basicParse(toUSV(url), baseRec);
    if (rec === FAILURE) throw new TypeError(`Invalid URL: ${url}`);
    return rec;
  }
  const cannotHaveUserPassPort = (r) => r.host === null || r.host === "" || r.scheme === "file";

  class URL {
    constructor(url, base) {
      this[kRecord] = parseOrThrow(url, base);
      this[kParams] = null;
    }
    static canParse(url, base) {
      try {
        parseOrThrow(url, base);
        return true;
      } catch {
        return false;
      }
    }
    static parse(url, base) {
      try {
        return new URL(url, base);
      } catch {
        return null;
      }
    }
    get href() {
      return serializeURL(this[kRecord]);
    }
    set href(v) {
      const rec = basicParse(toUSV(v), null);
      if (rec === FAILURE) throw new TypeError(`Invalid URL: ${v}`);
      this[kRecord] = rec;
      if (this[kParams]) this[kParams][kList] = rec.query ? formParse(rec.query) : [];
    }
    get origin() {
      return serializeOrigin(this[kRecord]);
    }
    get protocol() {
      return this[kRecord].scheme + ":";
    }
    set protocol(v) {
      basicParse(toUSV(v) + ":", null, this[kRecord], S.SCHEME_START);
    }
    get username() {
      return this[kRecord].username;
    }
    set username(v) {
      const r = this[kRecord];
      if (cannotHaveUserPassPort(r)) return;
      r.username = percentEncodeString(toUSV(v), inUserinfo);
    }
    get password() {
      return this[kRecord].password;
    }
    set password(v) {
      const r = this[kRecord];
      if (cannotHaveUserPassPort(r)) return;
      r.password = percentEncodeString(toUSV(v), inUserinfo);
    }
    get host() {
      const r = this[kRecord];
      if (r.host === null) return "";
      return r.port === null ? r.host : r.host + ":" + r.port;
    }
    set host(v) {
      const r = this[kRecord];
      if (typeof r.path === "string") return;
      // Straight on the record, as the standard does: "example.com:99999" sets the host and
      // then fails on the port, leaving the new host in place.
      basicParse(toUSV(v), null, r, S.HOST);
    }
    get hostname() {
      const h = this[kRecord].host;
      return h === null ? "" : h;
    }
    set hostname(v) {
      const r = this[kRecord];
      if (typeof r.path === "string") return;
      basicParse(toUSV(v), null, r, S.HOSTNAME);
    }
    get port() {
      const p = this[kRecord].port;
      return p === null ? "" : String(p);
    }
    set port(v) {
      const r = this[kRecord];
      if (cannotHaveUserPassPort(r)) return;
      v = toUSV(v);
      if (v === "") r.port = null;
      else basicParse(v, null, r, S.PORT);
    }
    get pathname() {
      return serializePath(this[kRecord]);
    }
    set pathname(v) {
      const r = this[kRecord];
      if (typeof r.path === "string") return;
      r.path = [];
      basicParse(toUSV(v), null, r, S.PATH_START);
    }
    get search() {
      const q = this[kRecord].query;
      return q === null || q === "" ? "" : "?" + q;
    }
    set search(v) {
      const r = this[kRecord];
      v = toUSV(v);
      if (v === "") {
        r.query = null;
        if (this[kParams]) this[kParams][kList] = [];
        return;
      }
      const input = v[0] === "?" ? v.slice(1) : v;
      r.query = "";
      basicParse(input, null, r, S.QUERY);
      if (this[kParams]) this[kParams][kList] = formParse(input);
    }
    get searchParams() {
      if (!this[kParams]) {
        // The query as it is: the constructor would drop a leading "?" that belongs to it.
        const p = new URLSearchParams();
        p[kList] = formParse(this[kRecord].query || "");
        p[kUrl] = this;
        this[kParams] = p;
      }
      return this[kParams];
    }
    get hash() {
      const f = this[kRecord].fragment;
      return f === null || f === "" ? "" : "#" + f;
    }
    set hash(v) {
      const r = this[kRecord];
      v = toUSV(v);
      if (v === "") {
        r.fragment = null;
        return;
      }
      r.fragment = "";
      basicParse(v[0] === "#" ? v.slice(1) : v, null, r, S.FRAGMENT);
    }
    toString() {
      return this.href;
    }
    toJSON() {
      return this.href;
    }
    get [Symbol.toStringTag]() {
      return "URL";
    }
  }
  for (const C of [URL, URLSearchParams]) {
    Object.defineProperty(C.prototype, Symbol.toStringTag, { value: C.name, configurable: true });
  }

  const define = (name, value) =>
    Object.defineProperty(globalThis, name, {
      value,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  define("URL", URL);
  define("URLSearchParams", URLSearchParams);

  // The URL Pattern Standard's "canonicalize a hostname" and "canonicalize a port": the basic
  // URL parser with a state override on a dummy URL. urlpattern-polyfill calls these in place
  // of its own checks (patched in by engine/web/npm/urlpattern_patches.cmake).
  const dummyRecord = (scheme) => ({ ...newRecord(), scheme, host: "dummy.invalid" });
  // The application/x-www-form-urlencoded parser, for formData() (formdata.js).
  internals.urlencodedParse = formParse;

  internals.urlPatternCanonicalize = Object.freeze({
    hostname(value) {
      if (value === "") return value;
      const url = dummyRecord("https");
      if (basicParse(toUSV(value), null, url, S.HOSTNAME) === FAILURE)
        throw new TypeError(`Invalid hostname '${value}'`);
      return url.host ?? "";
    },
    // On a non-special scheme, so that no port is taken for the default one.
    port(value) {
      if (value === "") return value;
      const url = dummyRecord("dummy");
      if (basicParse(toUSV(value), null, url, S.PORT) === FAILURE)
        throw new TypeError(`Invalid port '${value}'.`);
      return url.port === null ? "" : String(url.port);
    },
  });
};
