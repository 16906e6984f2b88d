#include "engine/ipfs/hamt.h"

#include <cstring>

namespace zinnia::ipfs {

namespace {

std::uint64_t rotl(std::uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

std::uint64_t fmix(std::uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return k;
}

std::uint64_t load_le(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

std::uint64_t murmur3_x64_64(ByteView data) {
  constexpr std::uint64_t c1 = 0x87c37b91114253d5ULL, c2 = 0x4cf5ad432745937fULL;
  const std::size_t len = data.size();
  const std::uint8_t* p = data.data();
  std::uint64_t h1 = 0, h2 = 0;
  const std::size_t blocks = len / 16;
  for (std::size_t i = 0; i < blocks; ++i) {
    std::uint64_t k1 = load_le(p + i * 16), k2 = load_le(p + i * 16 + 8);
    k1 *= c1;
    k1 = rotl(k1, 31);
    k1 *= c2;
    h1 ^= k1;
    h1 = rotl(h1, 27);
    h1 += h2;
    h1 = h1 * 5 + 0x52dce729;
    k2 *= c2;
    k2 = rotl(k2, 33);
    k2 *= c1;
    h2 ^= k2;
    h2 = rotl(h2, 31);
    h2 += h1;
    h2 = h2 * 5 + 0x38495ab5;
  }
  const std::uint8_t* tail = p + blocks * 16;
  const std::size_t rest = len & 15;
  std::uint64_t k1 = 0, k2 = 0;
  for (std::size_t i = rest; i > 8; --i) k2 = (k2 << 8) | tail[i - 1];
  for (std::size_t i = std::min<std::size_t>(rest, 8); i > 0; --i) k1 = (k1 << 8) | tail[i - 1];
  if (rest > 8) {
    k2 *= c2;
    k2 = rotl(k2, 33);
    k2 *= c1;
    h2 ^= k2;
  }
  if (rest > 0) {
    k1 *= c1;
    k1 = rotl(k1, 31);
    k1 *= c2;
    h1 ^= k1;
  }
  h1 ^= len;
  h2 ^= len;
  h1 += h2;
  h2 += h1;
  h1 = fmix(h1);
  h2 = fmix(h2);
  h1 += h2;
  return h1;
}

std::string hamt_label(std::string_view name, std::uint64_t fanout, std::uint32_t depth) {
  if (fanout < 2 || fanout > 4096 || (fanout & (fanout - 1)) != 0)
    throw Error("HAMT fanout " + std::to_string(fanout) + " is not a power of two in 2..4096");
  unsigned bits = 0;
  while ((std::uint64_t{1} << bits) < fanout) ++bits;
  const std::uint64_t start = std::uint64_t{depth} * bits;
  if (start + bits > 64)
    throw Error("HAMT shard at depth " + std::to_string(depth) +
                " is deeper than the 64 bits of the name's hash");
  const std::uint64_t h = murmur3_x64_64(as_bytes(name));
  const std::uint64_t index = (h >> (64 - start - bits)) & (fanout - 1);
  int width = 0;
  for (std::uint64_t n = fanout - 1; n; n >>= 4) ++width;
  static const char* digits = "0123456789ABCDEF";
  std::string label(static_cast<std::size_t>(width), '0');
  std::uint64_t v = index;
  for (int i = width - 1; i >= 0; --i, v >>= 4) label[static_cast<std::size_t>(i)] = digits[v & 15];
  return label;
}

}  // namespace zinnia::ipfs
