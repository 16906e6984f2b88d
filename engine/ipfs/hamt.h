#pragma once
// UnixFS HAMT-sharded directories (ipfs/specs, UnixFS "HAMTDirectory"): which link of a shard
// node leads to a name. A name's hash is murmur3-x64-64 (h1, the first 64 bits of
// MurmurHash3_x64_128, seed 0); each level consumes log2(fanout) bits of it, most significant
// first (as go-unixfs does, and ipfs-unixfs-importer by reversing the bytes and consuming from
// the last), and names its links by that
// bucket index in upper-case hex, padded to the width of fanout - 1: "<index><name>" for an
// entry, "<index>" alone for a sub-shard.
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/ipfs/bytes.h"

namespace zinnia::ipfs {

constexpr std::uint64_t kMurmur3X64_64 = 0x22;

// The first 64 bits (h1) of MurmurHash3_x64_128 with seed 0. Written here because Debian
// packages no murmur3 library (it is ~40 lines of public-domain arithmetic).
std::uint64_t murmur3_x64_64(ByteView data);

// The bucket label of `name` in a shard node at `depth` (0: the directory's root shard).
// Throws Error on a fanout that is not a power of two in 2..4096, or a depth past the
// hash's 64 bits.
std::string hamt_label(std::string_view name, std::uint64_t fanout, std::uint32_t depth);

}  // namespace zinnia::ipfs
