// A Station-like client: spawns zinniad with two modules and reads its stdout the way a
// Node.js Station does, splitting every 'data' chunk on '\n' with NO line buffering, and
// JSON.parse-ing every line. Exits 0 when every event parsed and the totals are right.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [zinniad, fixtures] = process.argv.slice(2);
const home = mkdtempSync(join(tmpdir(), "zinnia-station-"));
const fail = (msg) => {
  console.error(`station_client: ${msg}`);
  rmSync(home, { recursive: true, force: true });
  process.exit(1);
};

const child = spawn(
  zinniad,
  ["--no-mount", `a=${join(fixtures, "jobs_a.js")}`, `b=${join(fixtures, "jobs_b.js")}`],
  {
    // Sanitizer settings pass through, so a sanitized zinniad is judged as the suite asks.
    env: { HOME: home, FIL_WALLET_ADDRESS: "f1station", PATH: process.env.PATH,
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => /^(A|UB|L|T)SAN_OPTIONS$/.test(k))) },
    stdio: ["ignore", "pipe", "pipe"],
  },
);
const events = [];
child.stdout.on("data", (chunk) => {
  for (const line of chunk.toString("utf8").split("\n")) {
    if (line === "") continue;
    try {
      events.push(JSON.parse(line));
    } catch (e) {
      fail(`a stdout chunk held a partial or bad line: ${JSON.stringify(line)}`);
    }
  }
});
let stderr = "";
child.stderr.on("data", (chunk) => (stderr += chunk));
const timer = setTimeout(() => {
  child.kill("SIGKILL");
  fail("zinniad did not finish in 15 s");
}, 15000);

child.on("close", (code) => {
  clearTimeout(timer);
  if (code !== 0) fail(`exit code ${code}; stderr:\n${stderr}`);
  const types = events.map((e) => e.type);
  if (types[0] !== "activity:started" || events[0].module !== null)
    fail(`first event: ${JSON.stringify(events[0])}`);
  if (types.filter((t) => t === "activity:started").length !== 1) fail("activity:started twice");
  const jobs = events.filter((e) => e.type === "jobs-completed");
  const last = jobs[jobs.length - 1];
  if (!last || last.total !== 8 || last.modules.a !== 5 || last.modules.b !== 3)
    fail(`final totals: ${JSON.stringify(last)}`);
  for (const e of jobs) {
    const sum = Object.values(e.modules).reduce((x, y) => x + y, 0);
    if (sum !== e.total) fail(`total is not the sum: ${JSON.stringify(e)}`);
  }
  for (let i = 1; i < jobs.length; i++)
    if (jobs[i].total < jobs[i - 1].total) fail("totals went down");
  const known = new Set(["activity:started", "activity:info", "activity:error", "jobs-completed"]);
  for (const e of events) if (!known.has(e.type)) fail(`unknown event ${JSON.stringify(e)}`);
  if (!events.some((e) => e.type === "activity:error" && e.module === "b"))
    fail("missing b's activity:error");
  console.log(`station_client: ${events.length} events, totals ${JSON.stringify(last.modules)}`);
  rmSync(home, { recursive: true, force: true });
});
