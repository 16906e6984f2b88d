#include "engine/ipfs/varint.h"

#include <string>

namespace zinnia::ipfs {

std::optional<Varint> peek_varint(ByteView in) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (i == 9) throw Error("varint longer than 9 bytes");
    std::uint8_t b = in[i];
    value |= static_cast<std::uint64_t>(b & 0x7f) << (7 * i);
    if (!(b & 0x80)) {
      if (b == 0 && i > 0) throw Error("varint is not minimally encoded");
      return Varint{value, i + 1};
    }
  }
  if (in.size() >= 9) throw Error("varint longer than 9 bytes");
  return std::nullopt;
}

std::uint64_t read_varint(ByteView& in, const char* what) {
  auto v = peek_varint(in);
  if (!v) throw Error(std::string("truncated varint (") + what + ")");
  in = in.subspan(v->size);
  return v->value;
}

void write_varint(Bytes& out, std::uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<std::uint8_t>(value | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<std::uint8_t>(value));
}

}  // namespace zinnia::ipfs
