// Runs a Station module under Deno as the real zinniad would: the `Zinnia` global it expects
// (from FIL_WALLET_ADDRESS and STATION_ID), and on stdout the zinniad's `jobs-completed` events.
// deno run --allow-net --allow-read --allow-env --import-map=<map> deno_zinnia.js MODULE
// The import map points `zinnia:assert` at engine/js/modules/assert.js (scripts/compat-real).
let jobs = 0;
const out = console.log.bind(console);
const event = (e) => out(JSON.stringify(e));
const activity = (type) => (message) => event({ type: `activity:${type}`, module: "spark", message });
globalThis.Zinnia = {
  walletAddress: Deno.env.get("FIL_WALLET_ADDRESS"),
  stationId: Deno.env.get("STATION_ID"),
  activity: { info: activity("info"), error: activity("error") },
  jobCompleted: () => {
    jobs++;
    event({ type: "jobs-completed", total: jobs, modules: { spark: jobs } });
  },
  versions: { zinnia: `deno-${Deno.version.deno}`, v8: Deno.version.v8 },
  inspect: (v) => Deno.inspect(v),
};
// The module's console goes to stderr, as under zinniad; stdout carries events only.
for (const level of ["log", "info", "debug", "warn", "error"]) console[level] = console.error;
event({ type: "activity:started", module: null });
await import(new URL(Deno.args[0], `file://${Deno.cwd()}/`).href);
