// Fuzzes the stream decoders a peer feeds: multistream-select messages, Noise frames and
// handshake messages, yamux frames and mplex messages. The first byte picks the decoder;
// each returns whole messages, waits for more, or throws DecodeError, and never reads past
// its input (ASan).
#include <cstddef>
#include <cstdint>

#include "engine/libp2p/wire.h"

using namespace zinnia::libp2p;

#define CHECK(cond)                \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t which = data[0] % 5;
  Buffer in;
  in.append(data + 1, size - 1);
  try {
    switch (which) {
      case 0:
        while (auto m = multistream::take(in)) CHECK(m->size() < multistream::kMaxMessage);
        break;
      case 1:
        while (auto f = noise::take_frame(in)) CHECK(f->size() <= noise::kMaxFrame);
        break;
      case 2: {
        // A responder reads message 1, answers, then reads a forged message 3; an initiator
        // reads a forged message 2.
        noise::Handshake responder(false);
        Bytes m(in.data(), in.data() + in.size());
        Bytes half(m.begin(),
                   m.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(m.size(), 32)));
        (void)responder.read_message(half);
        (void)responder.write_message({});
        (void)responder.read_message(m);
        break;
      }
      case 3:
        while (auto f = yamux::take(in, yamux::kInitialWindow))
          CHECK(f->data.size() <= yamux::kInitialWindow);
        break;
      default:
        while (auto m = mplex::take(in)) CHECK(m->data.size() <= mplex::kMaxMessage);
    }
  } catch (const DecodeError&) {
  }
  if (which == 2) {
    try {
      noise::Handshake initiator(true);
      (void)initiator.write_message({});
      (void)initiator.read_message(Bytes(data + 1, data + size));
    } catch (const DecodeError&) {
    }
  }
  return 0;
}
