// Fuzzes the DecompressionStream codecs (gzip, deflate, deflate-raw, brotli) on outside input.
// The first byte picks the format and how the rest is cut into chunks. Whatever the input: it
// decompresses, or throws ZstreamError; no more than 64 MiB comes out; what came out, compressed
// again and decompressed in one piece, is the same bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/web/zstream.h"

using namespace zinnia::engine::web;

#define CHECK(cond)                \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  static const char* const kFormats[] = {"gzip", "deflate", "deflate-raw", "brotli"};
  const std::string format = kFormats[data[0] & 3];
  const std::size_t chunk = 1 + (data[0] >> 2) * 7;  // 1..442 bytes
  ++data;
  --size;
  std::vector<std::uint8_t> out;
  bool ok = true;
  try {
    Zstream z(format, false);
    std::size_t pos = 0;
    bool trailing = false;
    do {
      const std::size_t n = std::min(chunk, size - pos);
      trailing = z.push(data + pos, n, pos + n == size, out);
      pos += n;
      CHECK(out.size() <= (64u << 20));
    } while (pos < size && !trailing);
  } catch (const ZstreamError&) {
    ok = false;
  }
  if (!ok) return 0;
  Zstream c(format, true);
  std::vector<std::uint8_t> packed;
  c.push(out.data(), out.size(), true, packed);
  Zstream d(format, false);
  std::vector<std::uint8_t> again;
  CHECK(!d.push(packed.data(), packed.size(), true, again));
  CHECK(again == out);
  return 0;
}
