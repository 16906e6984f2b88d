// Deno-like value inspection: host.inspect(value, mode) and Zinnia.inspect(value, options).
(function (globalThis, host) {
  "use strict";
  const { isArray } = Array;
  const objToString = Object.prototype.toString;
  const fnToString = Function.prototype.toString;
  const identRe = /^[a-zA-Z_$][a-zA-Z_$0-9]*$/;
  const typedArrayProto = Object.getPrototypeOf(Uint8Array.prototype);
  const typedArrayTag = Object.getOwnPropertyDescriptor(typedArrayProto, Symbol.toStringTag).get;

  function quote(s) {
    const q = !s.includes('"') ? '"' : !s.includes("'") ? "'" : !s.includes("`") ? "`" : '"';
    let out = q;
    for (const ch of s) {
      const c = ch.codePointAt(0);
      if (ch === q || ch === "\\") out += "\\" + ch;
      else if (ch === "\n") out += "\\n";
      else if (ch === "\r") out += "\\r";
      else if (ch === "\t") out += "\\t";
      else if (ch === "\b") out += "\\b";
      else if (ch === "\f") out += "\\f";
      else if (ch === "\v") out += "\\v";
      else if (c < 0x20 || c === 0x7f) out += "\\x" + c.toString(16).padStart(2, "0");
      else out += ch;
    }
    return out + q;
  }

  function formatKey(key) {
    if (typeof key === "symbol") return "[" + key.toString() + "]";
    return identRe.test(key) ? key : quote(key);
  }

  function formatPrimitive(v) {
    switch (typeof v) {
      case "string":
        return quote(v);
      case "number":
        return Object.is(v, -0) ? "-0" : String(v);
      case "bigint":
        return v + "n";
      case "symbol":
        return v.toString();
      case "undefined":
        return "undefined";
      default:
        return String(v);
    }
  }

  function functionLabel(fn) {
    let src = "";
    try {
      src = fnToString.call(fn);
    } catch {
      /* revoked proxies */
    }
    const name = fn.name ? fn.name : "";
    if (src.startsWith("class")) return name ? `[class ${name}]` : "[class (anonymous)]";
    const tag = objToString.call(fn).slice(8, -1);
    const kind =
      tag === "AsyncFunction"
        ? "AsyncFunction"
        : tag === "GeneratorFunction"
          ? "GeneratorFunction"
          : tag === "AsyncGeneratorFunction"
            ? "AsyncGeneratorFunction"
            : "Function";
    return name ? `[${kind}: ${name}]` : `[${kind} (anonymous)]`;
  }

  function constructorName(obj) {
    let proto = Object.getPrototypeOf(obj);
    if (proto === null) return null;
    while (proto) {
      const d = Object.getOwnPropertyDescriptor(proto, "constructor");
      if (d && typeof d.value === "function" && d.value.name) return d.value.name;
      proto = Object.getPrototypeOf(proto);
    }
    return "Object";
  }

  function wrap(prefix, open, entries, close, ctx) {
    if (entries.length === 0) return prefix + open + close;
    const start = prefix + open + " ";
    let total = start.length + ctx.indent;
    let multiline = false;
    for (const e of entries) {
      total += e.length + 2;
      if (e.includes("\n")) multiline = true;
    }
    if (!multiline && total + close.length <= 76) {
      return start + entries.join(", ") + " " + close;
    }
    const pad = " ".repeat(ctx.indent + 2);
    return (
      prefix +
      open +
      "\n" +
      pad +
      entries.join(",\n" + pad) +
      ",\n" +
      " ".repeat(ctx.indent) +
      close
    );
  }

  function propEntries(obj, ctx, keys, level, skipIndices) {
    const out = [];
    for (const key of keys) {
      if (skipIndices && typeof key === "string" && /^(0|[1-9][0-9]*)$/.test(key)) continue;
      const d = Object.getOwnPropertyDescriptor(obj, key);
      if (!d || !d.enumerable) continue;
      let text;
      if (d.get || d.set)
        text = d.get && d.set ? "[Getter/Setter]" : d.get ? "[Getter]" : "[Setter]";
      else text = formatValue(d.value, ctx, level + 1);
      out.push(formatKey(key) + ": " + text);
    }
    return out;
  }

  function ownKeys(obj) {
    const keys = Object.keys(obj);
    for (const s of Object.getOwnPropertySymbols(obj)) {
      const d = Object.getOwnPropertyDescriptor(obj, s);
      if (d && d.enumerable) keys.push(s);
    }
    return keys;
  }

  function formatValue(value, ctx, level) {
    if (value === null || (typeof value !== "object" && typeof value !== "function")) {
      return formatPrimitive(value);
    }
    const seenIndex = ctx.seen.indexOf(value);
    if (seenIndex !== -1) {
      let id = ctx.circular.get(value);
      if (id === undefined) {
        id = ctx.circular.size + 1;
        ctx.circular.set(value, id);
      }
      return `[Circular *${id}]`;
    }
    const saved = ctx.indent;
    if (level > 0) ctx.indent += 2;
    ctx.seen.push(value);
    let out;
    try {
      out = formatObject(value, ctx, level);
    } finally {
      ctx.seen.pop();
      ctx.indent = saved;
    }
    const id = ctx.circular.get(value);
    if (id !== undefined) out = `<ref *${id}> ` + out;
    return out;
  }

  function formatObject(value, ctx, level) {
    if (typeof value === "function") {
      const label = functionLabel(value);
      const keys = ownKeys(value);
      if (keys.length === 0 || level > ctx.depth) return label;
      return wrap(label + " ", "{", propEntries(value, ctx, keys, level), "}", ctx);
    }
    const name = constructorName(value);
    const tag = objToString.call(value).slice(8, -1);
    const prefixOf = (fallback, size) => {
      let p = name === null ? `[${fallback}: null prototype]` : name;
      if (size !== undefined) p += `(${size})`;
      return p + " ";
    };
    if (value instanceof Error || tag === "Error") {
      const stack = typeof value.stack === "string" && value.stack ? value.stack : String(value);
      const keys = ownKeys(value).filter((k) => k !== "stack" && k !== "message");
      let out = stack;
      if (value.cause !== undefined && level <= ctx.depth) {
        out += "\nCaused by " + formatValue(value.cause, ctx, level + 1);
      }
      if (keys.length && level <= ctx.depth) {
        out = wrap(out + " ", "{", propEntries(value, ctx, keys, level), "}", ctx);
      }
      return level > 0 ? out.split("\n").join("\n" + " ".repeat(ctx.indent)) : out;
    }
    if (level > ctx.depth) {
      if (isArray(value)) return "[Array]";
      return `[${name === null ? "Object: null prototype" : name}]`;
    }
    if (isArray(value)) {
      const entries = [];
      const max = Math.min(value.length, 100);
      let holes = 0;
      const flushHoles = () => {
        if (holes) entries.push(`<${holes} empty item${holes > 1 ? "s" : ""}>`);
        holes = 0;
      };
      for (let i = 0; i < max; i++) {
        if (!Object.prototype.hasOwnProperty.call(value, i)) {
          holes++;
          continue;
        }
        flushHoles();
        entries.push(formatValue(value[i], ctx, level + 1));
      }
      flushHoles();
      if (value.length > max) entries.push(`... ${value.length - max} more items`);
      entries.push(...propEntries(value, ctx, ownKeys(value), level, true));
      return wrap(name === "Array" ? "" : prefixOf("Array", value.length), "[", entries, "]", ctx);
    }
    // Float16Array is a Proxy (05_polyfills.js): no typed array tag, but isView knows it.
    if (
      ArrayBuffer.isView(value) &&
      (typedArrayTag.call(value) || value[Symbol.toStringTag] === "Float16Array")
    ) {
      const entries = [];
      const max = Math.min(value.length, 100);
      for (let i = 0; i < max; i++) entries.push(formatPrimitive(value[i]));
      if (value.length > max) entries.push(`... ${value.length - max} more items`);
      return wrap(`${name}(${value.length}) `, "[", entries, "]", ctx);
    }
    if (value instanceof Map) {
      const entries = [];
      for (const [k, v] of value) {
        entries.push(formatValue(k, ctx, level + 1) + " => " + formatValue(v, ctx, level + 1));
      }
      entries.push(...propEntries(value, ctx, ownKeys(value), level));
      return wrap(prefixOf("Map", value.size), "{", entries, "}", ctx);
    }
    if (value instanceof Set) {
      const entries = [];
      for (const v of value) entries.push(formatValue(v, ctx, level + 1));
      entries.push(...propEntries(value, ctx, ownKeys(value), level));
      return wrap(prefixOf("Set", value.size), "{", entries, "}", ctx);
    }
    if (value instanceof Date) {
      return isNaN(value.getTime()) ? "Invalid Date" : value.toISOString();
    }
    if (value instanceof RegExp) return RegExp.prototype.toString.call(value);
    if (value instanceof Promise && host.promiseState) {
      const [state, result] = host.promiseState(value);
      const inner =
        state === "pending"
          ? "<pending>"
          : state === "rejected"
            ? "<rejected> " + formatValue(result, ctx, level + 1)
            : formatValue(result, ctx, level + 1);
      return wrap(
        prefixOf("Promise"),
        "{",
        [inner, ...propEntries(value, ctx, ownKeys(value), level)],
        "}",
        ctx,
      );
    }
    if (value instanceof ArrayBuffer) {
      const bytes = new Uint8Array(value, 0, Math.min(value.byteLength, 50));
      const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
      const more = value.byteLength > 50 ? ` ... ${value.byteLength - 50} more bytes` : "";
      return `ArrayBuffer { [Uint8Contents]: <${hex}${more}>, byteLength: ${value.byteLength} }`;
    }
    if (value instanceof WeakMap) return "WeakMap { <items unknown> }";
    if (value instanceof WeakSet) return "WeakSet { <items unknown> }";
    const boxed =
      value instanceof Number
        ? "Number"
        : value instanceof String
          ? "String"
          : value instanceof Boolean
            ? "Boolean"
            : value instanceof Symbol
              ? "Symbol"
              : value instanceof BigInt
                ? "BigInt"
                : null;
    if (boxed) return `[${boxed}: ${formatPrimitive(value.valueOf())}]`;
    const keys = ownKeys(value);
    let prefix = "";
    if (name === null) prefix = "[Object: null prototype] ";
    else if (name !== "Object") prefix = name + " ";
    else if (tag !== "Object" && tag !== "Module") prefix = `Object [${tag}] `;
    if (tag === "Module") prefix = "[Module: null prototype] ";
    return wrap(prefix, "{", propEntries(value, ctx, keys, level), "}", ctx);
  }

  function inspect(value, options) {
    const depth = options && typeof options.depth === "number" ? options.depth : 4;
    const ctx = { depth, indent: 0, seen: [], circular: new Map() };
    return formatValue(value, ctx, 0);
  }

  // host.inspect(value, mode): used by console's formatter (mode: "o", "O", "s", "i").
  host.inspect = function (value, mode) {
    if (mode === "s" && typeof value === "object" && value !== null) {
      return inspect(value, { depth: 2 });
    }
    return inspect(value);
  };
  host.inspectValue = inspect;
});
