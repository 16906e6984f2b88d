#include "engine/ipfs/varint.h"

#include <string>

namespace zinnia::ipfs {

std::optional<Varint> peek_varint(ByteView in) { return multiformats::peek_varint<Error>(in); }

std::uint64_t read_varint(ByteView& in, const char* what) {
  auto v = peek_varint(in);
  if (!v) throw Error(std::string("truncated varint (") + what + ")");
  in = in.subspan(v->size);
  return v->value;
}

void write_varint(Bytes& out, std::uint64_t value) { multiformats::write_varint(out, value); }

}  // namespace zinnia::ipfs
