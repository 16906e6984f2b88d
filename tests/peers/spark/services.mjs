// Loopback stand-ins for every service SPARK v1.15.1 (filecoin-station/spark) reaches, so its
// unmodified main.js can run on a machine without the internet:
//   https://api.filspark.com   GET /rounds/current (302 to the round), GET /rounds/meridian/..,
//                              POST /measurements (each one checked against what was served)
//   https://api2.drand.sh      GET /<quicknet chain hash>/info and /public/<round>
//   https://api.node.glif.io/  JSON-RPC Filecoin.ChainHead and Filecoin.StateMinerInfo
//   https://cid.contact        GET /cid/<cid> (IPNI: the miner's HTTP provider, or none)
//   http://127.0.0.1:<port>    one trustless HTTP gateway per miner: GET /ipfs/<cid>?dag-scope=block
//                              answers a real CAR (made with @ipld/car) holding that one block
// The https hosts are reached through an HTTP forward proxy (CONNECT) that this process also
// runs: it tunnels those four hosts to one loopback TLS server whose certificate is signed by
// a test CA made here with openssl at start. Clients need HTTPS_PROXY=<proxy> and the CA
// (SSL_CERT_FILE for zinnia, DENO_CERT for Deno).
//
// node services.mjs --dir DIR [--tasks N] [--tasks-per-node N] [--wallet W] [--station S]
// Writes DIR/ca.pem, then prints one JSON line: {"proxy": url, "ca": path, "control": url}.
// GET <control>/summary (or DIR/summary.json, rewritten after each measurement) gives
// {measurements, accepted, rejected, byKind, rejections, connects, requests, firstRequestAt,
// lastMeasurementAt} (times in ms since the epoch).
import http from 'node:http'
import https from 'node:https'
import net from 'node:net'
import fs from 'node:fs'
import path from 'node:path'
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { CarWriter } from '@ipld/car'
import * as raw from 'multiformats/codecs/raw'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import { base58btc } from 'multiformats/bases/base58'
import { pseudoRandom } from '../common/pseudo_random.mjs'

const args = process.argv.slice(2)
const opt = (name, dflt) => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : dflt
}
const dir = opt('--dir')
if (!dir) {
  console.error('services.mjs: --dir DIR is required')
  process.exit(2)
}
const taskCount = Number(opt('--tasks', 1000))
// SPARK spaces its tasks by roundLength / maxTasksPerNode (20 min / 2400 = 0.5 s).
const tasksPerNode = Number(opt('--tasks-per-node', 2400))
const wallet = opt('--wallet', null)
const station = opt('--station', null)

const HOSTS = ['api.filspark.com', 'api2.drand.sh', 'api.node.glif.io', 'cid.contact']
const QUICKNET = {
  hash: '52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971',
  public_key: '83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c8c4b450b6a0a6c3ac6a5776a2d1064510d1fec758c921cc22b0e17e63aaf4bcb5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76eae8991ef5ece45a',
  period: 3,
  genesis_time: 1692803367,
  groupHash: 'f477d5c89f21a17c863a7f937c6a6d15859414d2be09cd448d4279af331c5d3e',
  schemeID: 'bls-unchained-g1-rfc9380',
  metadata: { beaconID: 'quicknet' }
}
const ROUND_URL = '/rounds/meridian/0x8460766edc62b525fc1fa4d628fc79229dc73031/1'
const START_EPOCH = 4_000_000 // 2024-07: after quicknet's genesis

// The test CA and a server certificate naming the four hosts.
function makeCertificates () {
  fs.mkdirSync(dir, { recursive: true })
  const f = (n) => path.join(dir, n)
  const ssl = (...a) => execFileSync('openssl', a, { stdio: ['ignore', 'ignore', 'pipe'] })
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=zinnia SPARK stand-in CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-keyout', f('ca.key'), '-out', f('ca.pem'))
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=api.filspark.com',
    '-keyout', f('server.key'), '-out', f('server.csr'))
  fs.writeFileSync(f('server.ext'), [
    'basicConstraints=CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth',
    `subjectAltName=${HOSTS.map(h => `DNS:${h}`).join(',')}`
  ].join('\n') + '\n')
  ssl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'),
    '-CAcreateserial', '-days', '2', '-extfile', f('server.ext'), '-out', f('server.pem'))
  return { key: fs.readFileSync(f('server.key')), cert: fs.readFileSync(f('server.pem')), ca: f('ca.pem') }
}

const sha256 = (bytes) => createHash('sha256').update(bytes).digest()
function peerId (seed) {
  // An Ed25519 peer ID: identity multihash of a protobuf public key (prints as 12D3KooW...).
  const key = sha256(Buffer.from(`spark-miner-${seed}`))
  return base58btc.baseEncode(Uint8Array.from([0x00, 0x24, 0x08, 0x01, 0x12, 0x20, ...key]))
}
async function carOf (cid, bytes) {
  const { writer, out } = CarWriter.create([cid])
  const parts = []
  const done = (async () => { for await (const p of out) parts.push(p) })()
  await writer.put({ cid, bytes })
  await writer.close()
  await done
  return Buffer.concat(parts)
}

// Tasks: most retrieve; the rest take SPARK's other paths. What SPARK must then report:
//   ok        indexer OK, HTTP 200, the CAR's length and '1220' + its SHA-256
//   notfound  indexer OK, the gateway answers 404
//   noadvert  IPNI lists only another miner's provider: NO_VALID_ADVERTISEMENT, no retrieval
//   refused   the advertised gateway port is closed: 802 ('tcp connect error' in fetch's message)
const KINDS = ['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'notfound', 'ok', 'noadvert', 'refused']
const MINERS = 4
const miners = [] // { id, peerId, gateway: http.Server, port }
const tasks = new Map() // cid -> { cid, minerId, kind, car }

function expectFor (t) {
  const m = miners.find(x => x.id === t.minerId)
  const base = { providerId: m.peerId, timeout: false, carTooLarge: false }
  const address = t.kind === 'refused' ? `/ip4/127.0.0.1/tcp/${closedPort}/http` : `/ip4/127.0.0.1/tcp/${m.port}/http`
  switch (t.kind) {
    case 'ok':
      return { ...base, indexerResult: 'OK', protocol: 'http', providerAddress: address, statusCode: 200, byteLength: t.car.length, carChecksum: '1220' + sha256(t.car).toString('hex') }
    case 'notfound':
      return { ...base, indexerResult: 'OK', protocol: 'http', providerAddress: address, statusCode: 404, carChecksum: null }
    case 'noadvert':
      return { ...base, indexerResult: 'NO_VALID_ADVERTISEMENT', statusCode: null, byteLength: 0, carChecksum: null }
    case 'refused':
      return { ...base, indexerResult: 'OK', protocol: 'http', providerAddress: address, statusCode: 802, carChecksum: null }
  }
}

const stats = { measurements: 0, accepted: 0, rejected: 0, byKind: {}, rejections: [], connects: {}, requests: {}, firstRequestAt: null, lastMeasurementAt: null }
function record (m) {
  stats.measurements++
  const t = tasks.get(m.cid)
  const wrong = []
  if (!t) {
    wrong.push(`unknown cid ${m.cid}`)
  } else {
    if (m.minerId !== t.minerId) wrong.push(`minerId ${m.minerId}`)
    for (const [k, v] of Object.entries(expectFor(t))) {
      if (m[k] !== v) wrong.push(`${k}: ${JSON.stringify(m[k])} (expected ${JSON.stringify(v)})`)
    }
    if (t.kind === 'ok' && !(Date.parse(m.startAt) <= Date.parse(m.firstByteAt) && Date.parse(m.firstByteAt) <= Date.parse(m.endAt))) {
      wrong.push(`times ${m.startAt} ${m.firstByteAt} ${m.endAt}`)
    }
  }
  if (m.sparkVersion !== '1.15.1') wrong.push(`sparkVersion ${m.sparkVersion}`)
  if (typeof m.zinniaVersion !== 'string' || !m.zinniaVersion) wrong.push(`zinniaVersion ${m.zinniaVersion}`)
  if (wallet && m.participantAddress !== wallet) wrong.push(`participantAddress ${m.participantAddress}`)
  if (station && m.stationId !== station) wrong.push(`stationId ${m.stationId}`)
  const kind = t ? t.kind : 'unknown'
  const k = (stats.byKind[kind] ??= { accepted: 0, rejected: 0 })
  if (wrong.length) {
    stats.rejected++; k.rejected++
    if (stats.rejections.length < 20) stats.rejections.push({ cid: m.cid, kind, wrong })
  } else {
    stats.accepted++; k.accepted++
  }
  stats.lastMeasurementAt = Date.now()
  fs.writeFileSync(path.join(dir, 'summary.json'), JSON.stringify(stats))
  return stats.measurements
}

const json = (res, status, value) => {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify(value))
}
const readBody = (req) => new Promise((resolve, reject) => {
  const chunks = []
  req.on('data', c => chunks.push(c))
  req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
  req.on('error', reject)
})

async function serveHttps (req, res) {
  const host = (req.headers.host || '').replace(/:\d+$/, '')
  const url = new URL(req.url, `https://${host}`)
  const key = `${req.method} ${host}${url.pathname.replace(/\/(bafk|bafy)\w+$/, '/<cid>').replace(/\/public\/\d+$/, '/public/<round>')}`
  stats.requests[key] = (stats.requests[key] || 0) + 1
  stats.firstRequestAt ??= Date.now()
  if (host === 'api.filspark.com') {
    if (req.method === 'GET' && url.pathname === '/rounds/current') {
      res.writeHead(302, { location: ROUND_URL })
      return res.end()
    }
    if (req.method === 'GET' && url.pathname === ROUND_URL) {
      return json(res, 200, {
        roundId: '1',
        startEpoch: START_EPOCH,
        maxTasksPerNode: tasksPerNode,
        retrievalTasks: [...tasks.values()].map(t => ({ cid: t.cid, minerId: t.minerId }))
      })
    }
    if (req.method === 'POST' && url.pathname === '/measurements') {
      let m
      try {
        m = JSON.parse(await readBody(req))
      } catch (err) {
        return json(res, 400, { error: `measurement is not JSON: ${err.message}` })
      }
      return json(res, 200, { id: record(m) })
    }
  } else if (host === 'api2.drand.sh') {
    const m = url.pathname.match(/^\/([0-9a-f]+)\/(info|public\/(\d+))$/)
    if (m && m[1] === QUICKNET.hash) {
      if (m[2] === 'info') return json(res, 200, QUICKNET)
      const round = Number(m[3])
      return json(res, 200, { round, randomness: sha256(Buffer.from(`round ${round}`)).toString('hex'), signature: 'ab'.repeat(48) })
    }
  } else if (host === 'api.node.glif.io' && req.method === 'POST' && url.pathname === '/') {
    let call
    try {
      call = JSON.parse(await readBody(req))
    } catch (err) {
      return json(res, 400, { error: `request is not JSON: ${err.message}` })
    }
    if (call.method === 'Filecoin.ChainHead') {
      return json(res, 200, { jsonrpc: '2.0', id: call.id, result: { Cids: [{ '/': 'bafy2bzaceaxeujj5fmsvhdyj3xb5gs4ilxnvm6oqxl4ekozk7bxpqbrqlfaxk' }], Height: START_EPOCH + 100 } })
    }
    if (call.method === 'Filecoin.StateMinerInfo') {
      const m = miners.find(x => x.id === call.params[0])
      if (!m) return json(res, 200, { jsonrpc: '2.0', id: call.id, error: { code: 1, message: `actor not found: ${call.params[0]}` } })
      return json(res, 200, { jsonrpc: '2.0', id: call.id, result: { PeerId: m.peerId, Owner: 'f01', Worker: 'f02' } })
    }
    return json(res, 200, { jsonrpc: '2.0', id: call.id, error: { code: -32601, message: `method not found: ${call.method}` } })
  } else if (host === 'cid.contact' && req.method === 'GET' && url.pathname.startsWith('/cid/')) {
    const t = tasks.get(decodeURIComponent(url.pathname.slice(5)))
    if (!t) return json(res, 404, { error: 'no results for query' })
    const m = miners.find(x => x.id === t.minerId)
    const other = miners.find(x => x.id !== t.minerId)
    const http = 'oBI=' // varint 0x0920: the trustless HTTP transport
    const provider = t.kind === 'noadvert'
      ? { ID: other.peerId, Addrs: [`/ip4/127.0.0.1/tcp/${other.port}/http`] }
      : { ID: m.peerId, Addrs: [t.kind === 'refused' ? `/ip4/127.0.0.1/tcp/${closedPort}/http` : `/ip4/127.0.0.1/tcp/${m.port}/http`] }
    return json(res, 200, {
      MultihashResults: [{
        Multihash: base58btc.baseEncode(CID.parse(t.cid).multihash.bytes),
        ProviderResults: [
          { ContextID: 'AA==', Metadata: 'gBI=', Provider: { ID: peerId('bitswap-only'), Addrs: ['/ip4/127.0.0.1/tcp/1/ws'] } },
          { ContextID: 'AQ==', Metadata: http, Provider: provider }
        ]
      }]
    })
  }
  json(res, 404, { error: `no stand-in for ${req.method} ${host}${url.pathname}` })
}

function serveGateway (miner) {
  return (req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1')
    const t = tasks.get(url.pathname.replace(/^\/ipfs\//, ''))
    if (!url.pathname.startsWith('/ipfs/') || !t || t.minerId !== miner.id || t.kind === 'notfound') {
      res.writeHead(404, { 'content-type': 'text/plain' })
      return res.end('not found\n')
    }
    if (url.searchParams.get('dag-scope') !== 'block') {
      res.writeHead(400, { 'content-type': 'text/plain' })
      return res.end('dag-scope=block expected\n')
    }
    res.writeHead(200, { 'content-type': 'application/vnd.ipld.car; version=1' })
    // In pieces, as a gateway streams.
    let at = 0
    const pump = () => {
      while (at < t.car.length) {
        const piece = t.car.subarray(at, at + 16384)
        at += piece.length
        if (!res.write(piece)) return res.once('drain', pump)
      }
      res.end()
    }
    pump()
  }
}

const listen = (server) => new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)))

let closedPort = 0
{
  const s = net.createServer()
  closedPort = await listen(s)
  await new Promise(resolve => s.close(resolve))
}
for (let i = 0; i < MINERS; i++) {
  const m = { id: `f0${1000 + i}`, peerId: peerId(i) }
  m.gateway = http.createServer(serveGateway(m))
  m.port = await listen(m.gateway)
  miners.push(m)
}
for (let i = 0; i < taskCount; i++) {
  const bytes = pseudoRandom(8192 + ((i * 7919) % 248) * 1024, i + 1)
  const cid = CID.createV1(raw.code, Digest.create(0x12, sha256(bytes)))
  tasks.set(cid.toString(), {
    cid: cid.toString(),
    minerId: miners[i % MINERS].id,
    kind: KINDS[i % KINDS.length],
    car: await carOf(cid, bytes)
  })
}

const certs = makeCertificates()
const tlsServer = https.createServer({ key: certs.key, cert: certs.cert }, (req, res) => {
  serveHttps(req, res).catch((err) => json(res, 500, { error: String(err) }))
})
const tlsPort = await listen(tlsServer)

// The forward proxy: CONNECT to the four hosts (port 443) only; GET /summary for the runner.
const proxy = http.createServer((req, res) => {
  if (req.url === '/summary') return json(res, 200, stats)
  json(res, 403, { error: `this proxy only tunnels (CONNECT) to ${HOSTS.join(', ')}` })
})
proxy.on('connect', (req, client, head) => {
  const [host, port] = req.url.split(':')
  stats.connects[host] = (stats.connects[host] || 0) + 1
  if (!HOSTS.includes(host) || port !== '443') {
    client.end('HTTP/1.1 403 Forbidden\r\n\r\n')
    return
  }
  const upstream = net.connect(tlsPort, '127.0.0.1', () => {
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
    if (head.length) upstream.write(head)
    upstream.pipe(client)
    client.pipe(upstream)
  })
  upstream.on('error', () => client.destroy())
  client.on('error', () => upstream.destroy())
})
const proxyPort = await listen(proxy)
console.log(JSON.stringify({
  proxy: `http://127.0.0.1:${proxyPort}`,
  ca: certs.ca,
  control: `http://127.0.0.1:${proxyPort}`,
  tasks: taskCount,
  miners: miners.map(m => ({ id: m.id, port: m.port }))
}))
