// Fuzzes what a Bitswap provider sends: the stream framing (any chunking) and the Message
// decoder (blocks with prefixes, 1.0 blocks, block presences). Every block decoded must verify
// against the CID computed for it, and a wantlist we encode must decode to no blocks.
#include <cstddef>
#include <cstdint>

#include "engine/ipfs/bitswap.h"

using namespace zinnia::ipfs;

#define CHECK(cond)                \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

namespace {

void check(const bitswap::Message& m) {
  for (const auto& b : m.blocks) b.cid.verify(b.data);  // throws (a bug) unless it verifies
  std::vector<bitswap::WantEntry> wants;
  for (const auto& p : m.presences) wants.push_back({.cid = p.cid, .want_have = p.have});
  Bytes framed = bitswap::encode_wantlist(wants, true);
  bitswap::Framer f;
  f.feed(framed);
  auto msg = f.next();
  CHECK(msg.has_value());
  bitswap::Message back = bitswap::decode_message(*msg);
  CHECK(back.blocks.empty() && back.presences.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ByteView in(data, size);
  try {
    check(bitswap::decode_message(in));
  } catch (const Error&) {
  }
  // The same bytes as a stream, cut into pieces whose sizes come from the input.
  bitswap::Framer framer;
  std::size_t pos = 0, step = size ? (data[0] % 13) + 1 : 1;
  try {
    while (pos < size) {
      std::size_t n = std::min(step, size - pos);
      framer.feed(in.subspan(pos, n));
      pos += n;
      step = step * 3 % 17 + 1;
      while (auto msg = framer.next()) {
        CHECK(msg->size() <= bitswap::kMaxMessage);
        try {
          check(bitswap::decode_message(*msg));
        } catch (const Error&) {
        }
      }
    }
  } catch (const Error&) {
  }
  return 0;
}
