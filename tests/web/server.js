// Loopback HTTP server for the fetch tests (run with the machine's node). Prints "PORT <n>".
'use strict';
const http = require('http');

let bigSent = 0; // bytes of /big written so far, for the backpressure test
const measurements = [];
const CHUNK = Buffer.alloc(64 * 1024, 0x61);
let connections = 0; // TCP connections accepted, for the keep-alive test
const together = new Map(); // n -> responses of /together/<n> held until n requests wait

function json(res, status, body, headers = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  const path = url.pathname;
  // Network failures for the error-wording tests: a reset, and a close with no reply.
  if (path === '/reset') { req.socket.resetAndDestroy ? req.socket.resetAndDestroy() : req.socket.destroy(); return; }
  if (path === '/empty') { req.socket.destroy(); return; }
  if (path === '/json') return json(res, 200, { hello: 'world', n: 42 }, { 'x-test': 'yes', 'set-cookie': 'a=1' });
  if (path === '/text') { res.writeHead(200, { 'content-type': 'text/plain' }); return res.end('héllo'); }
  if (path === '/redirect') { res.writeHead(302, { location: '/json' }); return res.end(); }
  if (path === '/redirect-loop') { res.writeHead(302, { location: '/redirect-loop' }); return res.end(); }
  if (path === '/status') {
    res.writeHead(Number(url.searchParams.get('code')), { 'x-code': url.searchParams.get('code') });
    return res.end();
  }
  if (path === '/echo') {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => json(res, 200, {
      method: req.method, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'),
    }));
    return;
  }
  if (path === '/count') {
    let bytes = 0;
    req.on('data', (c) => { bytes += c.length; });
    req.on('end', () => json(res, 200, { bytes, te: req.headers['transfer-encoding'] || null }));
    return;
  }
  if (path === '/big') {
    const total = Number(url.searchParams.get('mib')) * 1024 * 1024;
    bigSent = 0;
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': total });
    const pump = () => {
      while (bigSent < total) {
        const n = Math.min(CHUNK.length, total - bigSent);
        bigSent += n;
        if (!res.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) return res.once('drain', pump);
      }
      res.end();
    };
    return pump();
  }
  if (path === '/big-sent') return json(res, 200, { sent: bigSent });
  if (path === '/stall') {
    // Headers and a first chunk, then nothing: for abort mid-body.
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('first chunk;');
    return;
  }
  if (path === '/hang') return; // never answers: for timeouts
  if (path.startsWith('/n/')) return json(res, 200, { i: Number(path.slice(3)) });
  if (path === '/connections') return json(res, 200, { connections });
  if (path.startsWith('/together/')) {
    // Answers once n requests wait: n fetches in flight at once, so n connections.
    const n = Number(path.slice('/together/'.length));
    const waiting = together.get(n) || [];
    waiting.push(res);
    if (waiting.length < n) return together.set(n, waiting);
    together.delete(n);
    waiting.forEach((r, i) => json(r, 200, { i }));
    return;
  }
  if (path === '/close-idle') {
    // Closes every kept-alive connection but this one, as a server's idle timeout would.
    server.closeIdleConnections();
    return json(res, 200, { connections });
  }

  // --- SPARK-shaped mocks ---
  if (path === '/rounds/current') {
    res.writeHead(303, { location: '/rounds/meridian/0xspark/7' });
    return res.end();
  }
  if (path === '/rounds/meridian/0xspark/7') {
    return json(res, 200, {
      roundId: '7',
      retrievalTasks: [
        { cid: 'bafkqaaa', minerId: 'f01' },
        { cid: 'bafkqaab', minerId: 'f02' },
      ],
    });
  }
  if (path.startsWith('/ipfs/')) {
    const block = Buffer.from('block of ' + path.slice(6));
    res.writeHead(200, { 'content-type': 'application/vnd.ipld.car', 'content-length': block.length });
    return res.end(block);
  }
  if (path === '/measurements' && req.method === 'POST') {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      measurements.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      json(res, 200, { id: measurements.length });
    });
    return;
  }
  if (path === '/measurements') return json(res, 200, measurements);
  json(res, 404, { error: 'not found' });
});
server.keepAliveTimeout = 60000;
server.maxConnections = 1000;
server.on('connection', () => connections++);
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`PORT ${server.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
