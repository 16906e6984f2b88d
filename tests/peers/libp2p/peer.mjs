// A js-libp2p node, the reference peer for zinnia's libp2p tests and benchmark.
// MUXER=yamux|mplex|both picks its stream muxers. It listens on 127.0.0.1, prints one JSON
// line {"peerId", "addrs"} and then answers JSON commands on stdin, one per line:
//   {"cmd":"stats"}                  -> {"connections": open now, "opened": ever}
//   {"cmd":"dial","addr":A}          -> pings A and waits for identify: {"rtt","agent","protocols","peerId"}
//   {"cmd":"request","addr":A,"protocol":P,"payload":hex,"count":N,"concurrency":C}
//                                    -> N requests, C at a time: {"ms","bytes"} (the benchmark's client)
// Test protocols: /zinnia-test/echo/1.0.0 (the request back), /zinnia-test/size/1.0.0 (a
// decimal N in, N bytes out), /zinnia-test/hang/1.0.0 (reads, never answers).
import './polyfill.mjs'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { mplex } from '@libp2p/mplex'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import readline from 'node:readline'

const muxer = process.env.MUXER ?? 'yamux'
const muxers = { yamux: [yamux({ maxInboundStreams: 4096 })], mplex: [mplex({ maxInboundStreams: 4096 })],
  both: [yamux({ maxInboundStreams: 4096 }), mplex({ maxInboundStreams: 4096 })] }[muxer]
if (!muxers) throw new Error(`MUXER must be yamux, mplex or both, not ${muxer}`)

const node = await createLibp2p({
  addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: muxers,
  services: { identify: identify(), ping: ping() },
  connectionManager: { maxConnections: 1000 }
})

let opened = 0
node.addEventListener('connection:open', () => { opened++ })

const limits = { maxInboundStreams: 4096, maxOutboundStreams: 4096, runOnLimitedConnection: true }

async function readAll (source) {
  const parts = []
  for await (const chunk of source) parts.push(chunk.subarray())
  return Buffer.concat(parts)
}

await node.handle('/zinnia-test/echo/1.0.0', async ({ stream }) => {
  const request = await readAll(stream.source)
  await stream.sink([request])
}, limits)

await node.handle('/zinnia-test/size/1.0.0', async ({ stream }) => {
  const n = Number((await readAll(stream.source)).toString())
  const block = Buffer.alloc(65536)
  for (let i = 0; i < block.length; i++) block[i] = i % 251
  await stream.sink((function * () {
    for (let sent = 0; sent < n; sent += block.length) yield block.subarray(0, Math.min(block.length, n - sent))
  })())
}, limits)

await node.handle('/zinnia-test/hang/1.0.0', async ({ stream }) => {
  await readAll(stream.source)
  await new Promise(() => {})
}, limits)

const print = (obj) => process.stdout.write(JSON.stringify(obj) + '\n')
print({ peerId: node.peerId.toString(), addrs: node.getMultiaddrs().map(String) })

async function request (ma, protocol, payload) {
  const stream = await node.dialProtocol(ma, protocol, { runOnLimitedConnection: true })
  let bytes = 0
  await stream.sink([payload])
  for await (const chunk of stream.source) bytes += chunk.byteLength
  return bytes
}

async function handle (msg) {
  if (msg.cmd === 'stats') return { connections: node.getConnections().length, opened }
  if (msg.cmd === 'dial') {
    const ma = multiaddr(msg.addr)
    const identified = new Promise((resolve) => {
      node.addEventListener('peer:identify', (e) => resolve(e.detail), { once: true })
    })
    const rtt = await node.services.ping.ping(ma)
    const id = await identified
    return { rtt, agent: id.agentVersion, protocols: id.protocols, peerId: id.peerId.toString(),
      listenAddrs: id.listenAddrs.map(String) }
  }
  if (msg.cmd === 'request') {
    const ma = multiaddr(msg.addr)
    const payload = Buffer.from(msg.payload, 'hex')
    let next = 0
    let bytes = 0
    const start = performance.now()
    const worker = async () => {
      while (next < msg.count) {
        next++
        bytes += await request(ma, msg.protocol, payload)
      }
    }
    await Promise.all(Array.from({ length: msg.concurrency }, worker))
    return { ms: performance.now() - start, bytes }
  }
  throw new Error(`unknown command ${msg.cmd}`)
}

const rl = readline.createInterface({ input: process.stdin })
rl.on('line', (line) => {
  let msg
  try { msg = JSON.parse(line) } catch (e) { return print({ error: String(e) }) }
  handle(msg).then(print, (e) => print({ error: String(e?.stack ?? e) }))
})
rl.on('close', async () => { await node.stop(); process.exit(0) })
