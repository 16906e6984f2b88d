// A loopback IPFS test network: trustless HTTP gateways (one per port, each with its own way
// of behaving) serving real CARs made with @ipld/car, and an IPNI indexer stand-in.
//
// node gateway.mjs [--file-mib N] [--chunk-kib N]
// Prints one JSON line on stdout once listening: {"gateways": {mode: port}, "ipni": port,
// "cids": {...}, "files": {...}}. Modes: good, dupsn (leaves repeats out), wrongblock (a
// block's bytes are altered), extra (an unrelated block at the end), truncated (the body
// stops inside a section), wrongroot (the CAR header names another root), missing (one block
// left out), slow (the header, then nothing), status500, status404.
// GET /raw/<name> on any gateway answers a file's plain bytes (what the CAR must rebuild).
// The indexer answers GET /cid/<cid> from a table set with POST /routes {cid: [providers]}
// where a provider is {mode} (an HTTP gateway of this process) or {bitswap: peerId, addrs?}.
import http from 'node:http'
import { createHash } from 'node:crypto'
import { CarWriter } from '@ipld/car'
import * as dagPb from '@ipld/dag-pb'
import * as dagCbor from '@ipld/dag-cbor'
import * as raw from 'multiformats/codecs/raw'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import { UnixFS } from 'ipfs-unixfs'
import { base58btc } from 'multiformats/bases/base58'
import { importer } from 'ipfs-unixfs-importer'
import { exporter } from 'ipfs-unixfs-exporter'
import { pseudoRandom } from '../common/pseudo_random.mjs'

const args = process.argv.slice(2)
const opt = (name, dflt) => {
  const i = args.indexOf(name)
  return i >= 0 ? Number(args[i + 1]) : dflt
}
const fileMiB = opt('--file-mib', 1)
const chunkKiB = opt('--chunk-kib', 64)
const fanout = opt('--fanout', 4)

const blocks = new Map() // cid string -> { cid, bytes }
const files = {}

function sha256Cid (code, bytes) {
  const digest = createHash('sha256').update(bytes).digest()
  return CID.createV1(code, Digest.create(0x12, digest))
}
function put (code, bytes) {
  const cid = sha256Cid(code, bytes)
  blocks.set(cid.toString(), { cid, bytes })
  return cid
}
function putPb (node) {
  return put(dagPb.code, dagPb.encode(dagPb.prepare(node)))
}

// A UnixFS file: raw leaves under a balanced tree of dag-pb nodes of at most `fanout` links.
function unixfsFile (bytes, chunk, width) {
  let level = []
  for (let off = 0; off < bytes.length || level.length === 0; off += chunk) {
    const piece = bytes.subarray(off, Math.min(off + chunk, bytes.length))
    level.push({ cid: put(raw.code, piece), size: piece.length, tsize: piece.length })
    if (bytes.length === 0) break
  }
  while (level.length > 1) {
    const next = []
    for (let i = 0; i < level.length; i += width) {
      const group = level.slice(i, i + width)
      const fs = new UnixFS({ type: 'file', blockSizes: group.map(g => BigInt(g.size)) })
      const node = { Data: fs.marshal(), Links: group.map(g => ({ Hash: g.cid, Tsize: g.tsize })) }
      const cid = putPb(node)
      const size = group.reduce((a, g) => a + g.size, 0)
      const tsize = group.reduce((a, g) => a + g.tsize, 0) + blocks.get(cid.toString()).bytes.length
      next.push({ cid, size, tsize })
    }
    level = next
  }
  return level[0]
}

function unixfsDir (entries) {
  const fs = new UnixFS({ type: 'directory' })
  const links = Object.entries(entries).map(([name, e]) => ({ Name: name, Hash: e.cid, Tsize: e.tsize }))
    .sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0))
  const cid = putPb({ Data: fs.marshal(), Links: links })
  return { cid, tsize: links.reduce((a, l) => a + l.Tsize, 0) + blocks.get(cid.toString()).bytes.length }
}

// The content served.
const fileBytes = pseudoRandom(fileMiB * 1024 * 1024 + 12345, 7)
const file = unixfsFile(fileBytes, chunkKiB * 1024, fanout)
files.file = fileBytes
const hello = new TextEncoder().encode('hello from a UnixFS file with its data inline\n')
const helloCid = putPb({ Data: new UnixFS({ type: 'file', data: hello }).marshal(), Links: [] })
files.hello = hello
const small = pseudoRandom(3000, 11)
const smallFile = unixfsFile(small, 1000, 2)
files.small = small
// The same chunk twice: a DAG with a repeated block.
const chunk = pseudoRandom(1000, 13)
const repeated = new Uint8Array(2000)
repeated.set(chunk, 0); repeated.set(chunk, 1000)
const repeatedFile = unixfsFile(repeated, 1000, 4)
files.repeated = repeated
const sub = unixfsDir({ 'small.bin': smallFile })
const dir = unixfsDir({ 'hello.txt': { cid: helloCid, tsize: blocks.get(helloCid.toString()).bytes.length }, sub })
const rawCid = put(raw.code, new TextEncoder().encode('a raw block linked from dag-cbor'))
const cborCid = put(dagCbor.code, dagCbor.encode({ name: 'dag-cbor root', links: [rawCid, { dir: dir.cid }], n: 42 }))
const unrelated = put(raw.code, new TextEncoder().encode('a block of no DAG here'))

// HAMT-sharded directories, made by ipfs-unixfs-importer (a shard from the first entry on):
// 600 small files and a subdirectory at the default fanout (256: some buckets collide into
// sub-shards), and 80 files at fanout 16 (sub-shards several levels down).
const store = {
  async put (cid, bytes) { blocks.set(cid.toString(), { cid, bytes }); return cid },
  async has (cid) { return blocks.has(cid.toString()) },
  async * get (cid) { yield get(cid).bytes }
}
async function shardedDir (count, options) {
  const entries = []
  for (let i = 0; i < count; i++) {
    entries.push({ path: `d/file-${i}.txt`, content: new TextEncoder().encode(`content of file ${i}\n`) })
  }
  entries.push({ path: 'd/inner/deep.txt', content: pseudoRandom(5000, 17) })
  let last
  for await (const e of importer(entries, store, { shardSplitThresholdBytes: 1, rawLeaves: true, ...options })) last = e
  return last.cid
}
const shard = await shardedDir(600, {})
const shard16 = await shardedDir(80, { shardFanoutBits: 4 })

const cids = {
  file: file.cid.toString(),
  small: smallFile.cid.toString(),
  hello: helloCid.toString(),
  repeated: repeatedFile.cid.toString(),
  dir: dir.cid.toString(),
  sub: sub.cid.toString(),
  raw: rawCid.toString(),
  cbor: cborCid.toString(),
  shard: shard.toString(),
  shard16: shard16.toString(),
  absent: sha256Cid(raw.code, new TextEncoder().encode('nobody has this')).toString()
}

// --- the gateway's side of the trustless protocol: a depth-first walk (dups=y) ----------
function get (cid) {
  const b = blocks.get(cid.toString())
  if (!b) throw Object.assign(new Error(`block ${cid} not found`), { status: 404 })
  return b
}
function linksOf (b) {
  if (b.cid.code === dagPb.code) return dagPb.decode(b.bytes).Links.map(l => l.Hash)
  if (b.cid.code === dagCbor.code) {
    const out = []
    const visit = v => {
      const c = CID.asCID(v)
      if (c) { out.push(c); return }
      if (Array.isArray(v)) v.forEach(visit)
      else if (v && typeof v === 'object' && !(v instanceof Uint8Array)) Object.values(v).forEach(visit)
    }
    visit(dagCbor.decode(b.bytes))
    return out
  }
  return []
}
function * all (cid) {
  const b = get(cid)
  yield b
  for (const l of linksOf(b)) yield * all(l)
}
function * fileRange (cid, from, to) {
  const b = get(cid)
  yield b
  if (cid.code !== dagPb.code) return
  const node = dagPb.decode(b.bytes)
  const fs = UnixFS.unmarshal(node.Data)
  let off = fs.data ? fs.data.length : 0
  node.Links.forEach((l, i) => {
    const size = Number(fs.blockSizes[i])
    if (size > 0 && off <= to && off + size - 1 >= from) {
      pending.push([l.Hash, Math.max(from, off) - off, Math.min(to, off + size - 1) - off])
    }
    off += size
  })
  const mine = pending.splice(0)
  for (const [c, f, t] of mine) yield * fileRange(c, f, t)
}
const pending = []
function * entity (cid, range) {
  const b = get(cid)
  if (cid.code !== dagPb.code) { yield b; return }
  const node = dagPb.decode(b.bytes)
  const fs = UnixFS.unmarshal(node.Data)
  if (fs.type !== 'file' && fs.type !== 'raw') { yield b; return }
  if (!range) { yield * all(cid); return }
  const size = Number(fs.fileSize())
  let [from, to] = range
  if (from < 0) from = Math.max(0, size + from)
  to = to === '*' ? size - 1 : to < 0 ? size + to : Math.min(to, size - 1)
  if (size === 0 || from > to) { yield b; return }
  yield * fileRange(cid, from, to)
}
function * select (root, path, scope, range) {
  let cid = root
  for (const seg of path) {
    const b = get(cid)
    yield b
    const link = dagPb.decode(b.bytes).Links.find(l => l.Name === seg)
    if (!link) throw Object.assign(new Error(`no ${seg} in ${cid}`), { status: 404 })
    cid = link.Hash
  }
  if (scope === 'block') yield get(cid)
  else if (scope === 'entity') yield * entity(cid, range)
  else yield * all(cid)
}

// A path through a HAMT shard is resolved by ipfs-unixfs-exporter (an implementation of its
// own): the blocks it loads on the way are the path's blocks.
function crossesHamt (root, path) {
  let cid = root
  for (const seg of path) {
    if (cid.code !== dagPb.code) return false
    const node = dagPb.decode(get(cid).bytes)
    if (node.Data && UnixFS.unmarshal(node.Data).type === 'hamt-sharded-directory') return true
    const link = node.Links.find(l => l.Name === seg)
    if (!link) return false
    cid = link.Hash
  }
  return false
}
async function resolveWithExporter (root, path) {
  const loaded = []
  const recording = { async * get (cid) { loaded.push(cid.toString()); yield get(cid).bytes } }
  let entry
  try {
    entry = await exporter(`${root}/${path.join('/')}`, recording)
  } catch (e) { throw Object.assign(new Error(e.message), { status: 404 }) }
  const seen = new Set()
  const onTheWay = []
  for (const c of loaded) {
    if (c === entry.cid.toString() || seen.has(c)) continue
    seen.add(c)
    onTheWay.push(get(CID.parse(c)))
  }
  return { blocks: onTheWay, cid: entry.cid }
}

// --- the HTTP gateways ---------------------------------------------------------------------
const requests = [] // {mode, url, accept, port (the client's)} of every /ipfs/ request, for the tests
async function serveCar (mode, req, res) {
  const url = new URL(req.url, 'http://x')
  requests.push({ mode, url: req.url, accept: req.headers.accept ?? '', port: req.socket.remotePort })
  if (mode === 'status500') { res.writeHead(500); res.end('broken'); return }
  if (mode === 'status404') { res.writeHead(404); res.end('not here'); return }
  const parts = url.pathname.split('/').filter(Boolean).slice(1).map(decodeURIComponent)
  let root
  try { root = CID.parse(parts[0]) } catch { res.writeHead(400); res.end('bad cid'); return }
  const scope = url.searchParams.get('dag-scope') ?? 'all'
  let range = null
  if (url.searchParams.has('entity-bytes')) {
    const [f, t] = url.searchParams.get('entity-bytes').split(':')
    range = [Number(f), t === '*' ? '*' : Number(t)]
  }
  let list
  try {
    if (crossesHamt(root, parts.slice(1))) {
      const { blocks: onTheWay, cid } = await resolveWithExporter(root, parts.slice(1))
      list = [...onTheWay, ...select(cid, [], scope, range)]
    } else {
      list = [...select(root, parts.slice(1), scope, range)]
    }
  } catch (e) { res.writeHead(e.status ?? 500); res.end(e.message); return }
  if (mode === 'dupsn') {
    const seen = new Set()
    list = list.filter(b => { const k = b.cid.toString(); if (seen.has(k)) return false; seen.add(k); return true })
  }
  if (mode === 'wrongblock' && list.length > 1) {
    const b = list[1]
    const bytes = new Uint8Array(b.bytes); bytes[bytes.length - 1] ^= 1
    list[1] = { cid: b.cid, bytes }
  }
  if (mode === 'missing' && list.length > 2) list.splice(1, 1)
  if (mode === 'extra') list.push(get(unrelated))
  const { writer, out } = CarWriter.create([mode === 'wrongroot' ? unrelated : root])
  res.writeHead(200, { 'content-type': 'application/vnd.ipld.car; version=1; order=dfs; dups=y' })
  ;(async () => {
    if (mode === 'slow') { await writer.close(); return }
    for (const b of list) await writer.put(b)
    await writer.close()
  })().catch(() => {})
  let sent = 0
  const total = list.reduce((a, b) => a + b.bytes.length + 40, 0)
  for await (const chunk of out) {
    if (mode === 'truncated' && sent + chunk.length > total / 2) {
      res.write(chunk.subarray(0, Math.max(1, chunk.length - 7)))
      res.socket.destroy()
      return
    }
    sent += chunk.length
    if (!res.write(chunk)) await new Promise(resolve => res.once('drain', resolve))
  }
  if (mode === 'slow') return // the header went out; the rest never comes
  res.end()
}

function gateway (mode) {
  return http.createServer((req, res) => {
    if (req.url.startsWith('/raw/')) {
      const data = files[req.url.slice(5)]
      if (!data) { res.writeHead(404); res.end(); return }
      res.writeHead(200, { 'content-length': data.length }); res.end(data); return
    }
    if (req.url === '/requests') {
      res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify(requests)); return
    }
    if (!req.url.startsWith('/ipfs/')) { res.writeHead(404); res.end(); return }
    serveCar(mode, req, res).catch(e => { try { res.destroy(e) } catch {} })
  })
}

const modes = ['good', 'dupsn', 'wrongblock', 'extra', 'truncated', 'wrongroot', 'missing', 'slow', 'status500', 'status404']
const ports = {}
const servers = []
for (const mode of modes) {
  const s = gateway(mode)
  await new Promise(resolve => s.listen(0, '127.0.0.1', resolve))
  ports[mode] = s.address().port
  servers.push(s)
}

// --- the IPNI indexer stand-in -------------------------------------------------------------
const routes = {} // cid -> [{mode} | {bitswap: peerId}]
const peerId = '12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN'
const b64 = bytes => Buffer.from(bytes).toString('base64')
// Each gateway is its own peer: "Qm..." ids from sha2-256 multihashes of the mode's name.
const peerOf = mode => base58btc.encode(Digest.create(0x12, createHash('sha256').update(mode).digest()).bytes).slice(1)
const ipni = http.createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/routes') {
    let body = ''
    req.on('data', d => { body += d })
    req.on('end', () => { Object.assign(routes, JSON.parse(body)); res.writeHead(204); res.end() })
    return
  }
  const m = req.url.match(/^\/cid\/([^/?]+)/)
  if (!m) { res.writeHead(404); res.end(); return }
  let cid
  try { cid = CID.parse(m[1]) } catch { res.writeHead(400); res.end('bad cid'); return }
  const list = routes[cid.toString()]
  if (!list || list.length === 0) { res.writeHead(404); res.end('not found'); return }
  const ProviderResults = list.map(p => p.bitswap
    ? { ContextID: b64([1]), Metadata: b64([0x80, 0x12]), Provider: { ID: p.bitswap, Addrs: p.addrs ?? ['/ip4/127.0.0.1/tcp/1/ws'] } }
    : { ContextID: b64([2]), Metadata: b64([0xa0, 0x12]), Provider: { ID: peerOf(p.mode), Addrs: [`/ip4/127.0.0.1/tcp/${ports[p.mode]}/http`] } })
  res.writeHead(200, { 'content-type': 'application/json' })
  res.end(JSON.stringify({ MultihashResults: [{ Multihash: b64(cid.multihash.bytes), ProviderResults }] }))
})
await new Promise(resolve => ipni.listen(0, '127.0.0.1', resolve))

process.stdout.write(JSON.stringify({
  gateways: ports, ipni: ipni.address().port, cids, peerId,
  sizes: Object.fromEntries(Object.entries(files).map(([k, v]) => [k, v.length]))
}) + '\n')
// Runs until killed (the tests' Process sends SIGKILL; the benchmark SIGTERM).
