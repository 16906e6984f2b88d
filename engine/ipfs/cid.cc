#include "engine/ipfs/cid.h"

#include <openssl/sha.h>

#include <algorithm>
#include <cstdio>

#include "engine/ipfs/multibase.h"
#include "engine/ipfs/varint.h"

namespace zinnia::ipfs {

std::string codec_name(std::uint64_t codec) {
  switch (codec) {
    case codec::kRaw:
      return "raw";
    case codec::kDagPb:
      return "dag-pb";
    case codec::kDagCbor:
      return "dag-cbor";
    case codec::kDagJson:
      return "dag-json";
    case codec::kLibp2pKey:
      return "libp2p-key";
    default: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(codec));
      return buf;
    }
  }
}

Cid Cid::read(ByteView& in) {
  Cid cid;
  if (in.size() >= 2 && in[0] == 0x12 && in[1] == 0x20) {
    // CIDv0: a bare sha2-256 multihash of a dag-pb block.
    if (in.size() < 34) throw Error("truncated CIDv0");
    cid.version = 0;
    cid.codec = codec::kDagPb;
    cid.hash = multihash::kSha2_256;
    cid.digest.assign(in.begin() + 2, in.begin() + 34);
    in = in.subspan(34);
    return cid;
  }
  cid.version = read_varint(in, "CID version");
  if (cid.version != 1) throw Error("unsupported CID version " + std::to_string(cid.version));
  cid.codec = read_varint(in, "CID codec");
  cid.hash = read_varint(in, "multihash code");
  std::uint64_t len = read_varint(in, "multihash length");
  if (len > kMaxDigestSize)
    throw Error("multihash digest of " + std::to_string(len) + " bytes is too long");
  if (len > in.size()) throw Error("truncated multihash digest");
  if (cid.hash == multihash::kSha2_256 && len != 32)
    throw Error("sha2-256 digest must be 32 bytes, not " + std::to_string(len));
  cid.digest.assign(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(len));
  in = in.subspan(len);
  return cid;
}

Cid Cid::decode(ByteView in) {
  Cid cid = read(in);
  if (!in.empty()) throw Error("trailing bytes after CID");
  return cid;
}

Cid Cid::parse(std::string_view text) {
  if (text.empty()) throw Error("empty CID");
  if (text.size() == 46 && text.starts_with("Qm")) {
    Bytes mh = base58btc_decode(text);
    if (mh.size() != 34 || mh[0] != 0x12 || mh[1] != 0x20) throw Error("invalid CIDv0 multihash");
    return decode(mh);
  }
  Bytes bin;
  try {
    bin = multibase_decode(text);
  } catch (const Error& e) {
    throw Error(std::string("invalid CID: ") + e.what());
  }
  if (bin.size() >= 2 && bin[0] == 0x12 && bin[1] == 0x20)
    throw Error("invalid CID: a CIDv0 must be written in base58btc without a prefix");
  try {
    return decode(bin);
  } catch (const Error& e) {
    throw Error(std::string("invalid CID: ") + e.what());
  }
}

Cid Cid::of(std::uint64_t c, ByteView data) {
  Cid cid;
  cid.version = 1;
  cid.codec = c;
  cid.hash = multihash::kSha2_256;
  cid.digest.resize(SHA256_DIGEST_LENGTH);
  SHA256(data.data(), data.size(), cid.digest.data());
  return cid;
}

Bytes Cid::multihash_bytes() const {
  Bytes out;
  write_varint(out, hash);
  write_varint(out, digest.size());
  out.insert(out.end(), digest.begin(), digest.end());
  return out;
}

Bytes Cid::bytes() const {
  if (version == 0) return multihash_bytes();
  Bytes out;
  write_varint(out, version);
  write_varint(out, codec);
  Bytes mh = multihash_bytes();
  out.insert(out.end(), mh.begin(), mh.end());
  return out;
}

std::string Cid::to_string() const {
  if (version == 0) return base58btc_encode(multihash_bytes());
  return "b" + base32_encode(bytes());
}

std::string Cid::key() const {
  Bytes k;
  write_varint(k, codec);
  Bytes mh = multihash_bytes();
  k.insert(k.end(), mh.begin(), mh.end());
  return std::string(k.begin(), k.end());
}

void Cid::verify(ByteView data) const {
  if (hash == multihash::kIdentity) {
    if (data.size() != digest.size() || !std::equal(data.begin(), data.end(), digest.begin()))
      throw Error("block " + to_string() + " does not match its identity hash");
    return;
  }
  if (hash != multihash::kSha2_256) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(hash));
    throw Error(std::string("cannot verify ") + to_string() + ": unsupported multihash " + buf);
  }
  std::uint8_t md[SHA256_DIGEST_LENGTH];
  SHA256(data.data(), data.size(), md);
  if (digest.size() != SHA256_DIGEST_LENGTH || !std::equal(digest.begin(), digest.end(), md))
    throw Error("block data does not hash to " + to_string());
}

}  // namespace zinnia::ipfs
