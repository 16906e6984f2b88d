// The reference for scripts/bench/run ipfs: streams a CAR from a gateway URL and verifies
// every block's sha2-256 digest with @ipld/car and multiformats, as a JS client would.
// node verify-car.mjs URL -> prints "blocks bytes"; exits 1 on a block that does not verify.
import { CarBlockIterator } from '@ipld/car'
import { sha256 } from 'multiformats/hashes/sha2'
import { equals } from 'multiformats/bytes'

const res = await fetch(process.argv[2], { headers: { accept: 'application/vnd.ipld.car' } })
if (res.status !== 200) { console.error(`HTTP ${res.status}`); process.exit(1) }
const blocks = await CarBlockIterator.fromIterable(res.body)
let count = 0; let bytes = 0
for await (const { cid, bytes: data } of blocks) {
  const digest = await sha256.digest(data)
  if (!equals(digest.digest, cid.multihash.digest)) { console.error(`bad block ${cid}`); process.exit(1) }
  count++; bytes += data.length
}
console.log(`${count} ${bytes}`)
