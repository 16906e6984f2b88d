#pragma once
// Content identifiers (CIDv0 and CIDv1) and the multihashes inside them.
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/ipfs/bytes.h"

namespace zinnia::ipfs {

namespace codec {
constexpr std::uint64_t kRaw = 0x55;
constexpr std::uint64_t kDagPb = 0x70;
constexpr std::uint64_t kDagCbor = 0x71;
constexpr std::uint64_t kLibp2pKey = 0x72;
constexpr std::uint64_t kDagJson = 0x0129;
}  // namespace codec
namespace multihash {
constexpr std::uint64_t kIdentity = 0x00;
constexpr std::uint64_t kSha2_256 = 0x12;
}  // namespace multihash

// Identity-hashed CIDs inline their block; a larger one is refused.
constexpr std::size_t kMaxDigestSize = 4096;

struct Cid {
  std::uint64_t version = 1;
  std::uint64_t codec = codec::kRaw;
  std::uint64_t hash = multihash::kSha2_256;
  Bytes digest;

  // Text form: CIDv0 ("Qm...", base58btc of the multihash) or a multibase CIDv1. Throws Error.
  static Cid parse(std::string_view text);
  // Binary form at the start of `in` (as in CAR sections and dag-cbor links); advances `in`.
  static Cid read(ByteView& in);
  static Cid decode(ByteView in);  // the whole of `in`
  // Builds a CIDv1 of `data` hashed with sha2-256.
  static Cid of(std::uint64_t codec, ByteView data);

  Bytes bytes() const;  // binary form
  Bytes multihash_bytes() const;
  std::string to_string() const;  // v0: base58btc; v1: base32 ("bafy...")
  // Same content: codec and multihash equal (a CIDv0 equals its CIDv1 dag-pb twin).
  bool same_content(const Cid& other) const {
    return codec == other.codec && hash == other.hash && digest == other.digest;
  }
  // The key used to remember blocks already seen: codec and multihash.
  std::string key() const;

  // Throws Error unless `data` hashes to this CID. Only sha2-256 and identity are verifiable.
  void verify(ByteView data) const;
  bool verifiable() const { return hash == multihash::kSha2_256 || hash == multihash::kIdentity; }
};

std::string codec_name(std::uint64_t codec);

}  // namespace zinnia::ipfs
