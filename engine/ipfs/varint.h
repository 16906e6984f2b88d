#pragma once
// Unsigned varints as multiformats defines them (LEB128, minimal, at most 9 bytes = 63 bits).
#include <cstddef>
#include <cstdint>
#include <optional>

#include "engine/ipfs/bytes.h"
#include "util/multiformats.h"

namespace zinnia::ipfs {

using Varint = multiformats::Varint;

// The varint at the start of `in`; nullopt when `in` ends inside it. Throws Error on an
// overlong (more than 9 bytes) or non-minimal encoding.
std::optional<Varint> peek_varint(ByteView in);
// Like peek_varint, but a truncated varint is an error too; advances `in`.
std::uint64_t read_varint(ByteView& in, const char* what);
void write_varint(Bytes& out, std::uint64_t value);

}  // namespace zinnia::ipfs
