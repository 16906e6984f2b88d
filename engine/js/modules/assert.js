// zinnia:assert — assertions in the style of Deno's std/assert.
export class AssertionError extends Error {
  constructor(message) {
    super(message);
    this.name = "AssertionError";
  }
}

const inspect = (v) => Zinnia.inspect(v);

// Deep equality, as std/assert's equal(): exported too.
export function equal(a, b) {
  return deepEqual(a, b);
}

function deepEqual(a, b, seen = new Map()) {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (seen.get(a) === b) return true;
  seen.set(a, b);
  if (a instanceof Date) return a.getTime() === b.getTime();
  if (a instanceof RegExp) return String(a) === String(b);
  if (ArrayBuffer.isView(a)) {
    if (a.byteLength !== b.byteLength) return false;
    const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    return x.every((v, i) => v === y[i]);
  }
  if (a instanceof Map) {
    if (a.size !== b.size) return false;
    for (const [k, v] of a) if (!b.has(k) || !deepEqual(v, b.get(k), seen)) return false;
    return true;
  }
  if (a instanceof Set) {
    if (a.size !== b.size) return false;
    for (const v of a) if (!b.has(v)) return false;
    return true;
  }
  const ka = Reflect.ownKeys(a).filter((k) => Object.prototype.propertyIsEnumerable.call(a, k));
  const kb = Reflect.ownKeys(b).filter((k) => Object.prototype.propertyIsEnumerable.call(b, k));
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k) || !deepEqual(a[k], b[k], seen)) return false;
  }
  return true;
}

export function assert(expr, msg = "") {
  if (!expr) throw new AssertionError(msg || "Expected actual to be truthy");
}
export const assertOk = assert;

export function assertFalse(expr, msg = "") {
  if (expr) throw new AssertionError(msg || "Expected actual to be falsy");
}

export function assertEquals(actual, expected, msg) {
  if (equal(actual, expected)) return;
  throw new AssertionError(
    (msg ? msg + ": " : "") +
      `Values are not equal:\n\n    actual: ${inspect(actual)}\n  expected: ${inspect(expected)}`,
  );
}

export function assertNotEquals(actual, expected, msg) {
  if (!equal(actual, expected)) return;
  throw new AssertionError(
    msg || `Expected actual: ${inspect(actual)} not to be: ${inspect(expected)}`,
  );
}

export function assertStrictEquals(actual, expected, msg) {
  if (Object.is(actual, expected)) return;
  throw new AssertionError(
    (msg ? msg + ": " : "") +
      `Values are not strictly equal:\n\n    actual: ${inspect(actual)}\n  expected: ${inspect(expected)}`,
  );
}

export function assertNotStrictEquals(actual, expected, msg) {
  if (!Object.is(actual, expected)) return;
  throw new AssertionError(
    msg || `Expected "actual" to not be strictly equal to: ${inspect(expected)}`,
  );
}

export function assertExists(actual, msg) {
  if (actual === undefined || actual === null) {
    throw new AssertionError(msg || `actual: "${actual}" expected to not be null or undefined`);
  }
}

export function assertMatch(actual, expected, msg) {
  if (!expected.test(actual)) {
    throw new AssertionError(msg || `actual: "${actual}" expected to match: "${expected}"`);
  }
}

export function assertStringIncludes(actual, expected, msg) {
  if (!String(actual).includes(expected)) {
    throw new AssertionError(msg || `actual: "${actual}" expected to contain: "${expected}"`);
  }
}

export function assertArrayIncludes(actual, expected, msg) {
  const missing = expected.filter((e) => !actual.some((a) => equal(a, e)));
  if (missing.length) {
    throw new AssertionError(
      msg ||
        `actual: ${inspect(actual)} expected to include: ${inspect(expected)}\nmissing: ${inspect(missing)}`,
    );
  }
}

export function assertInstanceOf(actual, type, msg) {
  if (!(actual instanceof type)) {
    throw new AssertionError(msg || `Expected object to be an instance of "${type.name}"`);
  }
}

function checkError(error, ErrorClass, msgIncludes, msg) {
  if (ErrorClass && !(error instanceof ErrorClass)) {
    throw new AssertionError(
      (msg ? msg + ": " : "") +
        `Expected error to be instance of "${ErrorClass.name}", but was "${error?.constructor?.name}".`,
    );
  }
  if (msgIncludes !== undefined && !String(error?.message).includes(msgIncludes)) {
    throw new AssertionError(
      (msg ? msg + ": " : "") +
        `Expected error message to include ${inspect(msgIncludes)}, but got ${inspect(error?.message)}.`,
    );
  }
}

export function assertThrows(fn, ErrorClass, msgIncludes, msg) {
  if (typeof ErrorClass === "string") [msg, ErrorClass] = [ErrorClass, undefined];
  let error;
  let threw = false;
  try {
    fn();
  } catch (e) {
    threw = true;
    error = e;
  }
  if (!threw) throw new AssertionError(msg || "Expected function to throw.");
  checkError(error, ErrorClass, msgIncludes, msg);
  return error;
}

export async function assertRejects(fn, ErrorClass, msgIncludes, msg) {
  if (typeof ErrorClass === "string") [msg, ErrorClass] = [ErrorClass, undefined];
  let error;
  let threw = false;
  try {
    await (typeof fn === "function" ? fn() : fn);
  } catch (e) {
    threw = true;
    error = e;
  }
  if (!threw) throw new AssertionError(msg || "Expected promise to reject.");
  checkError(error, ErrorClass, msgIncludes, msg);
  return error;
}

export function fail(msg) {
  throw new AssertionError(msg ? `Failed assertion: ${msg}` : "Failed assertion.");
}

export function unreachable(msg) {
  throw new AssertionError(msg ? `Unreachable: ${msg}` : "unreachable");
}

export function unimplemented(msg) {
  throw new AssertionError(msg ? `Unimplemented: ${msg}` : "Unimplemented.");
}

// The rest of Deno std/assert 0.226's API, with its messages.
const suffix = (msg) => (msg ? `: ${msg}` : ".");

export function assertAlmostEquals(actual, expected, tolerance = 1e-7, msg) {
  if (Object.is(actual, expected)) return;
  const delta = Math.abs(expected - actual);
  if (delta <= tolerance) return;
  const f = (n) => (Number.isInteger(n) ? n : n.toExponential());
  throw new AssertionError(
    `Expected actual: "${f(actual)}" to be close to "${f(expected)}": delta "${f(delta)}" is greater than "${f(tolerance)}"${suffix(msg)}`,
  );
}

function compare(actual, expected, ok, op, msg) {
  if (ok) return;
  throw new AssertionError(msg ?? `Expect ${inspect(actual)} ${op} ${inspect(expected)}`);
}
export function assertGreater(actual, expected, msg) {
  compare(actual, expected, actual > expected, ">", msg);
}
export function assertGreaterOrEqual(actual, expected, msg) {
  compare(actual, expected, actual >= expected, ">=", msg);
}
export function assertLess(actual, expected, msg) {
  compare(actual, expected, actual < expected, "<", msg);
}
export function assertLessOrEqual(actual, expected, msg) {
  compare(actual, expected, actual <= expected, "<=", msg);
}

export function assertIsError(error, ErrorClass, msgMatches, msg) {
  const prefix = msg ? `${msg}: ` : "";
  if (!(error instanceof Error)) {
    throw new AssertionError(`${prefix}Expected "error" to be an Error object.`);
  }
  if (ErrorClass && !(error instanceof ErrorClass)) {
    throw new AssertionError(
      `${prefix}Expected error to be instance of "${ErrorClass.name}", but was "${error?.constructor?.name}".`,
    );
  }
  if (msgMatches === undefined) return;
  const text = String(error.message);
  const ok = msgMatches instanceof RegExp ? msgMatches.test(text) : text.includes(msgMatches);
  if (!ok) {
    throw new AssertionError(
      `${prefix}Expected error message to include ${msgMatches instanceof RegExp ? msgMatches.toString() : JSON.stringify(msgMatches)}, but got ${JSON.stringify(text)}.`,
    );
  }
}

export function assertNotInstanceOf(actual, unexpectedType, msg) {
  assertFalse(
    actual instanceof unexpectedType,
    msg ?? `Expected object to not be an instance of "${typeof unexpectedType}"`,
  );
}

export function assertNotMatch(actual, expected, msg) {
  if (!expected.test(actual)) return;
  throw new AssertionError(msg ?? `Expected actual: "${actual}" to not match: "${expected}".`);
}

// `actual` must hold every key of `expected` with an equal value (deeply, for objects).
export function assertObjectMatch(actual, expected, msg) {
  const seen = new WeakMap();
  function filter(a, b) {
    if (typeof a !== "object" || a === null || typeof b !== "object" || b === null) return a;
    if (seen.has(a)) return seen.get(a);
    if (Array.isArray(b) && Array.isArray(a)) {
      const out = a.map((v, i) => filter(v, b[i]));
      seen.set(a, out);
      return out;
    }
    if (
      a instanceof Map ||
      a instanceof Set ||
      ArrayBuffer.isView(a) ||
      a instanceof Date ||
      a instanceof RegExp
    )
      return a;
    const out = {};
    seen.set(a, out);
    for (const key of Reflect.ownKeys(b)) {
      if (!(key in a)) continue;
      out[key] = filter(a[key], b[key]);
    }
    return out;
  }
  return assertEquals(filter(actual, expected), filter(expected, expected), msg);
}
