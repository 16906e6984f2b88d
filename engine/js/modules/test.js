// zinnia:test — a sequential test runner. `test(name, fn)` registers; the tests run one after
// another once the importing module has evaluated. The report is the real Zinnia's:
//
//   main.js                      (the file, after a blank line, when it changes)
//     ✔ NAME (Nms)  /  ✖ NAME (Nms)
//
//    FAILURES                    (after a failure)
//
//   NAME => file:///…/main.js:LINE:COL   (where test() was called)
//   error: Error: msg
//   <source line>
//        ^
//       at …
//
//   ok | N passed | 0 failed (Nms)  /  FAIL | N passed | M failed (Nms)
//
// everything on stdout, colours only on a terminal; a failure sets the exit status to 1.
const host = import.meta.host;
const tests = [];
let scheduled = false;
let lastFile;

const color = (code) => (text) => (host.colors ? `\u001b[${code}m${text}\u001b[0m` : text);
const red = color("31");
const boldRed = color("1;31");
const green = color("32");
const grey = color("2;37");
const whiteOnRed = color("37;41");

// Where test() was called: the first frame of the caller.
function callerLocation() {
  const holder = {};
  Error.captureStackTrace(holder, test);
  const frames = String(holder.stack).split("\n").slice(1);
  for (const frame of frames) {
    const m = /\(?((?:file|zinnia):[^\s()]*?):(\d+):(\d+)\)?$/.exec(frame.trim());
    if (m) return { fileName: m[1], lineNumber: +m[2], columnNumber: +m[3] };
  }
  return { fileName: "<unknown>", lineNumber: 0, columnNumber: 0 };
}

export function test(name, fn) {
  if (typeof name === "function") [name, fn] = [name.name || "(anonymous)", name];
  if (typeof fn !== "function") throw new TypeError("test(name, fn): fn must be a function");
  tests.push({ name: String(name), fn, location: callerLocation() });
  if (!scheduled) {
    scheduled = true;
    setTimeout(run, 0);
  }
}

function formatError(error) {
  if (!(error instanceof Error)) return `Uncaught ${Zinnia.inspect(error)}`;
  const stack = typeof error.stack === "string" ? error.stack : `${error.name}: ${error.message}`;
  const at = stack.indexOf("\n    at ");
  const head = at < 0 ? stack : stack.slice(0, at);
  // The runner's own frames are not the test's.
  const frames =
    at < 0
      ? ""
      : stack
          .slice(at + 1)
          .split("\n")
          .filter((f) => !/\(zinnia:|at zinnia:/.test(f))
          .join("\n");
  // The source line of the first frame left, and a caret under its column.
  let source = "";
  const m = /\(?(file:[^\s()]*?):(\d+):(\d+)\)?$/.exec(frames.split("\n")[0] ?? "");
  if (m) {
    const line = host.sourceLine(m[1], +m[2]);
    if (line) source = `${line}\n${line.slice(0, +m[3] - 1).replace(/[^\t]/g, " ")}^`;
  }
  return [head, source, frames].filter((part) => part !== "").join("\n");
}

function report(t, passed, ms) {
  const file = t.location.fileName;
  if (file !== lastFile) {
    console.log(`\n${file.split(/[\\/]+/g).slice(-1)[0]}`);
    lastFile = file;
  }
  console.log(`  ${passed ? green("\u2714") : red("\u2716")} ${t.name} ${grey(`(${ms}ms)`)}`);
}

async function run() {
  const start = host.now();
  let passed = 0;
  const failures = [];
  // Tests registered while running (rare) run too.
  for (let i = 0; i < tests.length; i++) {
    const t = tests[i];
    const t0 = host.now();
    try {
      await t.fn();
      passed++;
      report(t, true, Math.round(host.now() - t0));
    } catch (error) {
      failures.push({ t, error });
      report(t, false, Math.round(host.now() - t0));
    }
  }
  if (failures.length) {
    console.log(`\n${whiteOnRed(" FAILURES ")}`);
    for (const { t, error } of failures) {
      const { fileName, lineNumber, columnNumber } = t.location;
      console.log(
        `\n${t.name} ${grey(`=> ${fileName}:${lineNumber}:${columnNumber}`)}\n${boldRed("error:")} ${formatError(error)}`,
      );
    }
  }
  const ms = Math.round(host.now() - start);
  const failed = failures.length;
  console.log(
    `\n${failed ? red("FAIL") : green("ok")} | ${passed} passed | ${failed} failed ${grey(`(${ms}ms)`)}${failed ? "" : "\n"}`,
  );
  if (failed) host.setExitCode(1);
}

export const it = test;
