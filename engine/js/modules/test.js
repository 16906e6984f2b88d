// zinnia:test — a sequential test runner. `test(name, fn)` registers; the tests run one after
// another once the importing module has evaluated, then print
// "ok | N passed | 0 failed (Xms)" or "FAIL | N passed | M failed" and set the exit status.
const host = import.meta.host;
const tests = [];
let scheduled = false;

export function test(name, fn) {
  if (typeof name === "function") [name, fn] = [name.name || "(anonymous)", name];
  if (typeof fn !== "function") throw new TypeError("test(name, fn): fn must be a function");
  tests.push({ name: String(name), fn });
  if (!scheduled) {
    scheduled = true;
    setTimeout(run, 0);
  }
}

async function run() {
  const start = host.now();
  let passed = 0;
  let failed = 0;
  // Tests registered while running (rare) run too.
  for (let i = 0; i < tests.length; i++) {
    const { name, fn } = tests[i];
    const t0 = host.now();
    try {
      await fn();
      passed++;
      console.log(`ok ${name} (${Math.round(host.now() - t0)}ms)`);
    } catch (error) {
      failed++;
      console.error(`FAIL ${name} (${Math.round(host.now() - t0)}ms)\n${Zinnia.inspect(error)}`);
    }
  }
  const ms = Math.round(host.now() - start);
  if (failed === 0) {
    console.log(`ok | ${passed} passed | 0 failed (${ms}ms)`);
  } else {
    console.error(`FAIL | ${passed} passed | ${failed} failed`);
    host.setExitCode(1);
  }
}

export const it = test;
