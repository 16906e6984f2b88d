// Loopback stand-in for a Station module's services: JSON-RPC (tasks, measurements) and
// retrievals (CAR-sized bodies, deterministic bytes). Verifies each measurement's SHA-256
// and length against what it served. Prints "PORT <n>"; GET /summary gives the counts, which
// are also written to the file named by argv[2] after each measurement.
'use strict';
const http = require('http');
const crypto = require('crypto');
const net = require('net');

const closed = net.createServer();
let closedPort = 0;
const bodies = new Map();
const stats = { measurements: 0, verified: 0, rejected: 0, byStatus: {} };

function body(id, size) {
  if (!bodies.has(id)) {
    const b = Buffer.alloc(size);
    for (let i = 0; i < size; i++) b[i] = (i * 31 + id * 7) & 0xff;
    bodies.set(id, b);
  }
  return bodies.get(id);
}
const KINDS = ['ok', 'ok', 'ok', 'dns', 'refused', 'missing'];
function task(i, base) {
  const kind = KINDS[i % KINDS.length];
  const url = kind === 'dns' ? 'http://station-compat-test.invalid/car'
    : kind === 'refused' ? `http://127.0.0.1:${closedPort}/car`
      : kind === 'missing' ? `${base}/car/missing` : `${base}/car/${i}`;
  return { id: i, kind, url };
}

const server = http.createServer((req, res) => {
  const base = `http://127.0.0.1:${server.address().port}`;
  const url = new URL(req.url, base);
  if (url.pathname === '/summary') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify(stats));
  }
  if (url.pathname === '/reset') {
    Object.assign(stats, { measurements: 0, verified: 0, rejected: 0, byStatus: {} });
    return res.end('ok');
  }
  if (url.pathname.startsWith('/car/')) {
    const id = Number(url.pathname.slice(5));
    if (!Number.isInteger(id)) { res.writeHead(404); return res.end(); }
    const b = body(id, 300000 - id * 1000);
    res.writeHead(200, { 'content-type': 'application/vnd.ipld.car' });
    // Streamed in pieces, as a gateway does.
    let at = 0;
    const pump = () => {
      while (at < b.length) {
        const piece = b.subarray(at, at + 16384);
        at += piece.length;
        if (!res.write(piece)) return res.once('drain', pump);
      }
      res.end();
    };
    return pump();
  }
  if (url.pathname === '/rpc' && req.method === 'POST') {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const call = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      let result = null;
      if (call.method === 'Spark.GetTask') result = task(call.params[0], base);
      if (call.method === 'Spark.SubmitMeasurement') {
        const m = call.params[0];
        stats.measurements++;
        stats.byStatus[m.status] = (stats.byStatus[m.status] || 0) + 1;
        const t = task(m.task, base);
        let ok;
        if (t.kind === 'ok') {
          const b = body(m.task, 300000 - m.task * 1000);
          ok = m.status === 200 && m.byteLength === b.length &&
            m.sha256 === crypto.createHash('sha256').update(b).digest('hex');
        } else {
          ok = m.status === { dns: 801, refused: 802, missing: 404 }[t.kind];
        }
        if (ok) stats.verified++; else stats.rejected++;
        if (process.argv[2]) require('fs').writeFileSync(process.argv[2], JSON.stringify(stats));
        result = { ok };
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ jsonrpc: '2.0', id: call.id, result }));
    });
    return;
  }
  res.writeHead(404);
  res.end();
});
closed.listen(0, '127.0.0.1', () => {
  closedPort = closed.address().port;
  closed.close(() => server.listen(0, '127.0.0.1', () => console.log(`PORT ${server.address().port}`)));
});
