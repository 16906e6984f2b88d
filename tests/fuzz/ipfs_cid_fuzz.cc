// Fuzzes CID parsing (text and binary) and the multibase decoders. No crash; a CID that
// parses prints to text that parses to the same content; binary CIDv1s round-trip exactly.
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/ipfs/cid.h"
#include "engine/ipfs/multibase.h"

using namespace zinnia::ipfs;

#define CHECK(cond)                \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    Cid c = Cid::parse(text);
    Cid again = Cid::parse(c.to_string());
    CHECK(again.same_content(c));
    CHECK(again.version == c.version);
  } catch (const Error&) {
  }
  try {
    Cid c = Cid::decode(ByteView(data, size));
    if (c.version == 1) {
      Bytes b = c.bytes();
      CHECK(b.size() == size && std::equal(b.begin(), b.end(), data));
    }
  } catch (const Error&) {
  }
  try {
    Bytes b = multibase_decode(text);
    CHECK(base32_decode(base32_encode(b)) == b);
    CHECK(base58btc_decode(base58btc_encode(b)) == b);
    CHECK(base64_decode(base64_encode(b)) == b);
  } catch (const Error&) {
  }
  return 0;
}
