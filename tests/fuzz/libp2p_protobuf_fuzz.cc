// Fuzzes the protobuf reader through every message we decode from peers: public keys (with a
// signature check), the Noise handshake payload and identify. Decoders return or throw
// DecodeError; identify re-encodes to what it decoded.
#include <cstddef>
#include <cstdint>

#include "engine/libp2p/crypto.h"
#include "engine/libp2p/wire.h"

using namespace zinnia::libp2p;

#define CHECK(cond)                \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Bytes in(data, data + size);
  try {
    pb::Reader r(in);
    pb::Field f;
    while (r.next(f)) CHECK(f.number > 0);
  } catch (const DecodeError&) {
  }
  try {
    noise::Payload p = noise::decode_payload(in);
    CHECK(!p.identity_key.empty() && !p.identity_sig.empty());
    Key32 key{};
    try {
      (void)noise::verify_payload(p, key);
    } catch (const DecodeError&) {
    }
  } catch (const DecodeError&) {
  }
  try {
    identify::Info i = identify::decode(in);
    identify::Info again = identify::decode(identify::encode(i));
    CHECK(again.protocols == i.protocols && again.listen_addrs == i.listen_addrs &&
          again.agent_version == i.agent_version && again.public_key == i.public_key);
  } catch (const DecodeError&) {
  }
  return 0;
}
