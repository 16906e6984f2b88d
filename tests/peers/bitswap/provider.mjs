// Bitswap providers for zinnia's tests: js-libp2p nodes running @helia/bitswap over blockstores
// filled with the DAGs of tests/peers/ipfs/gateway.mjs (fetched from its honest gateway, so
// both protocols serve the same blocks and a retrieval over either gives the same CAR).
//
// node provider.mjs --gateway http://127.0.0.1:PORT CID...
// Prints one JSON line once listening: {"peers": {mode: multiaddr with /p2p}}. Modes:
//   good        every block of the DAGs of the CIDs given
//   wrongblock  the same blocks, every one but the roots with its last byte flipped
//   empty       no blocks at all (it answers DONT_HAVE, as asked by sendDontHave)
//   silent      takes the wantlist and never answers (no @helia/bitswap, a bare handler)
//   twice       a bare handler that answers every want-block with the block, twice (two
//               messages on two streams), as a busy provider may
import '../libp2p/polyfill.mjs'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { createBitswap } from '@helia/bitswap'
import { CarBlockIterator } from '@ipld/car'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { MemoryBlockstore } from 'blockstore-core'
import { createLibp2p } from 'libp2p'
import { CID } from 'multiformats/cid'
// The package exports only its entry point; its own protobuf code is imported by file.
import { BitswapMessage } from './node_modules/@helia/bitswap/dist/src/pb/message.js'

const args = process.argv.slice(2)
const gi = args.indexOf('--gateway')
if (gi < 0) throw new Error('usage: provider.mjs --gateway URL CID...')
const gateway = args[gi + 1]
const roots = args.filter((_, i) => i !== gi && i !== gi + 1).map(c => CID.parse(c))

// Every block of each root's DAG, as the honest gateway serves it.
const blocks = new Map()
for (const root of roots) {
  const res = await fetch(`${gateway}/ipfs/${root}?format=car&dag-scope=all`,
    { headers: { accept: 'application/vnd.ipld.car' } })
  if (res.status !== 200) throw new Error(`gateway: ${res.status} for ${root}`)
  const iter = await CarBlockIterator.fromBytes(new Uint8Array(await res.arrayBuffer()))
  for await (const { cid, bytes } of iter) blocks.set(cid.toString(), { cid, bytes })
}
const rootKeys = new Set(roots.map(r => r.toV1().toString()))

// Providers only: a routing that finds nothing and announces nowhere.
const routing = {
  async provide () {},
  async * findProviders () {},
  async put () {},
  async get () { throw new Error('not found') },
  async * findPeer () {},
  async * getClosestPeers () {}
}

async function provider (mode) {
  const blockstore = new MemoryBlockstore()
  if (mode !== 'empty') {
    for (const { cid, bytes } of blocks.values()) {
      let data = bytes
      if (mode === 'wrongblock' && !rootKeys.has(cid.toV1().toString())) {
        data = new Uint8Array(bytes)
        data[data.length - 1] ^= 1
      }
      await blockstore.put(cid, data)
    }
  }
  const libp2p = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify() }
  })
  const logger = { forComponent: () => Object.assign(() => {}, { error () {}, trace () {}, enabled: false }) }
  const bitswap = createBitswap({ libp2p, blockstore, routing, logger })
  await bitswap.start()
  return libp2p.getMultiaddrs()[0].toString()
}

async function silent () {
  const libp2p = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify() }
  })
  await libp2p.handle('/ipfs/bitswap/1.2.0', async ({ stream }) => {
    for await (const _ of stream.source) ; // eslint-disable-line no-unused-vars
  })
  return libp2p.getMultiaddrs()[0].toString()
}

const varint = (n) => {
  const out = []
  while (n >= 0x80) { out.push((n & 0x7f) | 0x80); n = Math.floor(n / 128) }
  out.push(n)
  return Uint8Array.from(out)
}
async function twice () {
  const libp2p = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify() }
  })
  await libp2p.handle('/ipfs/bitswap/1.2.0', async ({ stream, connection }) => {
    const parts = []
    for await (const c of stream.source) parts.push(c.subarray())
    const buf = Buffer.concat(parts)
    const answer = []
    for (let off = 0; off < buf.length;) {
      let len = 0
      let shift = 0
      let b
      do { b = buf[off++]; len += (b & 0x7f) * 2 ** shift; shift += 7 } while (b & 0x80)
      const msg = BitswapMessage.decode(buf.subarray(off, off + len))
      off += len
      for (const e of msg.wantlist?.entries ?? []) {
        const cid = CID.decode(e.cid)
        const block = blocks.get(cid.toString())
        if (!block) continue
        const prefix = Uint8Array.from([...varint(cid.version), ...varint(cid.code),
          ...varint(cid.multihash.code), ...varint(cid.multihash.size)])
        answer.push({ prefix, data: block.bytes })
      }
    }
    const body = BitswapMessage.encode({ blocks: answer, blockPresences: [], pendingBytes: 0 })
    for (let round = 0; round < 2; round++) {
      const out = await libp2p.dialProtocol(connection.remotePeer, '/ipfs/bitswap/1.2.0')
      await out.sink([Buffer.concat([varint(body.length), body])])
    }
  })
  return libp2p.getMultiaddrs()[0].toString()
}

const peers = {}
for (const mode of ['good', 'wrongblock', 'empty']) peers[mode] = await provider(mode)
peers.silent = await silent()
peers.twice = await twice()
process.stdout.write(JSON.stringify({ peers, blocks: blocks.size }) + '\n')
// Runs until killed.
