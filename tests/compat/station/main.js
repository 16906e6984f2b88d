// A Station module written in today's style, run unchanged by zinniad and by Deno (through
// deno_shim.js, which provides the Zinnia global) against the same loopback server.
import config from './config.json' with { type: 'json' };
import { rpc } from './lib/rpc.js';
import { retrieve, mapErrorToStatusCode } from './lib/retrieve.js';
import { toHex, sleep } from './vendor/bundle.js';

const SERVER = (await import('./server.json', { with: { type: 'json' } })).default.url;
const results = [];
for (let i = 0; i < config.jobs; i++) {
  const task = await rpc(`${SERVER}/rpc`, 'Spark.GetTask', [i]);
  const m = { task: task.id, kind: task.kind };
  try {
    const r = await retrieve(`${task.url}`, config.carBytes * 2);
    m.status = r.status;
    if (r.digest) {
      m.byteLength = r.byteLength;
      m.sha256 = toHex(r.digest);
    }
  } catch (err) {
    m.status = mapErrorToStatusCode(err);
  }
  await rpc(`${SERVER}/rpc`, 'Spark.SubmitMeasurement', [m]);
  results.push(m);
  Zinnia.jobCompleted();
  await sleep(1);
}
const byStatus = Object.groupBy(results, (m) => String(m.status));
const summary = Object.keys(byStatus).toSorted().map((s) => `${s}:${byStatus[s].length}`).join(' ');
console.log(`RESULT ${summary} digests=${results.filter((m) => m.sha256).map((m) => m.sha256.slice(0, 8)).join(',')}`);
