// Fuzzes the multiaddr parsers (text and binary). Whatever the input: it parses, or throws
// DecodeError; a parsed address formats and encodes to forms that parse back to itself.
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/libp2p/multiaddr.h"

using namespace zinnia::libp2p;

#define CHECK(cond)                \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    Multiaddr m = Multiaddr::parse(text);
    CHECK(Multiaddr::parse(m.to_string()) == m);
    CHECK(Multiaddr::decode(m.encode()) == m);
  } catch (const DecodeError&) {
  }
  try {
    Multiaddr m = Multiaddr::decode(data, size);
    CHECK(m.encode() == Bytes(data, data + size));
    (void)m.to_string();
  } catch (const DecodeError&) {
  }
  return 0;
}
