// An HTTPS site behind an HTTP forward proxy, both on loopback, for fetch's proxy and CA
// variables (HTTPS_PROXY, http_proxy, NO_PROXY, SSL_CERT_FILE, SSL_CERT_DIR).
//   node proxy_server.js DIR
// Makes a test CA (DIR/ca.pem, and DIR/certs/ hashed by `openssl rehash`) with openssl, a
// certificate for `proxied.zinnia.test` signed by it, a TLS server for that name, a plain
// HTTP server, and the proxy. The proxy tunnels CONNECT proxied.zinnia.test:443 to the TLS
// server and answers absolute-form GETs itself ("via proxy"). Prints one JSON line:
// {"proxy": url, "direct": url}. GET <proxy>/counts gives {connects, forwarded}.
'use strict';
const fs = require('fs');
const http = require('http');
const https = require('https');
const net = require('net');
const path = require('path');
const { execFileSync } = require('child_process');

const dir = process.argv[2];
if (!dir) {
  console.error('proxy_server.js: give the directory for the certificates');
  process.exit(2);
}
const f = (n) => path.join(dir, n);
const ssl = (...a) => execFileSync('openssl', a, { stdio: ['ignore', 'ignore', 'pipe'] });
fs.mkdirSync(f('certs'), { recursive: true });
ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=zinnia proxy test CA',
  '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  '-keyout', f('ca.key'), '-out', f('ca.pem'));
ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=proxied.zinnia.test',
  '-keyout', f('server.key'), '-out', f('server.csr'));
fs.writeFileSync(f('server.ext'), 'extendedKeyUsage=serverAuth\nsubjectAltName=DNS:proxied.zinnia.test\n');
ssl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'),
  '-CAcreateserial', '-days', '2', '-extfile', f('server.ext'), '-out', f('server.pem'));
fs.copyFileSync(f('ca.pem'), f('certs/ca.pem'));
ssl('rehash', f('certs'));

const counts = { connects: {}, forwarded: 0 };
const site = https.createServer({ key: fs.readFileSync(f('server.key')), cert: fs.readFileSync(f('server.pem')) },
  (req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ site: 'tls', host: req.headers.host, path: req.url }));
  });
const direct = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ site: 'direct', path: req.url }));
});
const proxy = http.createServer((req, res) => {
  if (req.url === '/counts') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify(counts));
  }
  counts.forwarded++;
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ site: 'via proxy', url: req.url }));
});
proxy.on('connect', (req, client, head) => {
  counts.connects[req.url] = (counts.connects[req.url] || 0) + 1;
  if (req.url !== 'proxied.zinnia.test:443') return client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
  const upstream = net.connect(site.address().port, '127.0.0.1', () => {
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length) upstream.write(head);
    upstream.pipe(client);
    client.pipe(upstream);
  });
  upstream.on('error', () => client.destroy());
  client.on('error', () => upstream.destroy());
});
site.listen(0, '127.0.0.1', () => direct.listen(0, '127.0.0.1', () => proxy.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({
    proxy: `http://127.0.0.1:${proxy.address().port}`,
    direct: `http://127.0.0.1:${direct.address().port}`
  }));
})));
