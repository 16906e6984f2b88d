// Deterministic bytes (xorshift32), so every run of a test peer serves the same blocks and
// DAGs. Shared by the IPFS gateway and the SPARK stand-ins (no npm dependencies).
export function pseudoRandom (size, seed) {
  const out = new Uint8Array(size)
  let x = seed >>> 0 || 1
  for (let i = 0; i < size; i += 4) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0
    out[i] = x & 255; out[i + 1] = (x >>> 8) & 255; out[i + 2] = (x >>> 16) & 255; out[i + 3] = x >>> 24
  }
  return out
}
