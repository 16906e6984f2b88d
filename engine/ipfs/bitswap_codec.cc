// The Bitswap Message codec and stream framing (no libuv, no node: fuzzed alone).
#include <openssl/sha.h>

#include <cstdio>

#include "engine/ipfs/bitswap.h"
#include "engine/ipfs/varint.h"
#include "engine/libp2p/codec.h"

namespace zinnia::ipfs::bitswap {

namespace pb = libp2p::pb;

Bytes encode_wantlist(const std::vector<WantEntry>& entries, bool full) {
  pb::Writer list;
  for (const auto& e : entries) {
    pb::Writer entry;
    entry.bytes(1, e.cid.bytes());
    entry.varint(2, static_cast<std::uint64_t>(static_cast<std::uint32_t>(e.priority)));
    if (e.cancel) entry.varint(3, 1);
    if (e.want_have) entry.varint(4, 1);
    if (e.send_dont_have) entry.varint(5, 1);
    list.bytes(1, entry.data());
  }
  if (full) list.varint(2, 1);
  pb::Writer msg;
  msg.bytes(1, list.data());
  Bytes out;
  write_varint(out, msg.data().size());
  out.insert(out.end(), msg.data().begin(), msg.data().end());
  return out;
}

namespace {

Cid cid_of_block(ByteView prefix, ByteView data) {
  Cid cid;
  cid.version = read_varint(prefix, "block prefix version");
  cid.codec = read_varint(prefix, "block prefix codec");
  cid.hash = read_varint(prefix, "block prefix multihash code");
  const std::uint64_t len = read_varint(prefix, "block prefix multihash length");
  if (!prefix.empty()) throw Error("a block prefix has trailing bytes");
  if (cid.version > 1) throw Error("a block prefix has CID version " + std::to_string(cid.version));
  if (cid.version == 0 && (cid.codec != codec::kDagPb || cid.hash != multihash::kSha2_256))
    throw Error("a CIDv0 block prefix must be dag-pb and sha2-256");
  if (cid.hash == multihash::kSha2_256) {
    if (len != SHA256_DIGEST_LENGTH)
      throw Error("a sha2-256 block prefix has length " + std::to_string(len));
    cid.digest.resize(SHA256_DIGEST_LENGTH);
    SHA256(data.data(), data.size(), cid.digest.data());
  } else if (cid.hash == multihash::kIdentity) {
    if (len != data.size() || len > kMaxDigestSize)
      throw Error("an identity block prefix has length " + std::to_string(len) + " for " +
                  std::to_string(data.size()) + " bytes");
    cid.digest.assign(data.begin(), data.end());
  } else {
    throw Error("a block is hashed with multihash 0x" + [&] {
      char buf[24];
      std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(cid.hash));
      return std::string(buf);
    }() + ", which cannot be verified");
  }
  return cid;
}

}  // namespace

Message decode_message(ByteView in) {
  Message m;
  try {
    pb::Reader r(in.data(), in.size());
    pb::Field f;
    while (r.next(f)) {
      if (f.type != pb::kLen) continue;
      ByteView body(f.data, f.size);
      if (f.number == 2) {  // 1.0.0: a dag-pb block under a CIDv0
        static const std::uint8_t kV0Prefix[] = {0x00, 0x70, 0x12, 0x20};
        m.blocks.push_back({cid_of_block(kV0Prefix, body), Bytes(body.begin(), body.end())});
      } else if (f.number == 3) {  // Block {prefix = 1, data = 2}
        pb::Reader br(f.data, f.size);
        pb::Field g;
        std::optional<ByteView> prefix;
        ByteView data;
        while (br.next(g)) {
          if (g.type != pb::kLen) continue;
          if (g.number == 1) prefix = ByteView(g.data, g.size);
          if (g.number == 2) data = ByteView(g.data, g.size);
        }
        if (!prefix) throw Error("a block without a prefix");
        m.blocks.push_back({cid_of_block(*prefix, data), Bytes(data.begin(), data.end())});
      } else if (f.number == 4) {  // BlockPresence {cid = 1, type = 2 (0 Have, 1 DontHave)}
        pb::Reader pr(f.data, f.size);
        pb::Field g;
        std::optional<Cid> cid;
        std::uint64_t type = 0;
        while (pr.next(g)) {
          if (g.number == 1 && g.type == pb::kLen) cid = Cid::decode(ByteView(g.data, g.size));
          if (g.number == 2 && g.type == pb::kVarint) type = g.varint;
        }
        if (!cid) throw Error("a block presence without a CID");
        if (type > 1) throw Error("a block presence of unknown type " + std::to_string(type));
        m.presences.push_back({std::move(*cid), type == 0});
      }
    }
  } catch (const libp2p::DecodeError& e) {
    throw Error(std::string("bitswap message: ") + e.what());
  } catch (const Error& e) {
    throw Error(std::string("bitswap message: ") + e.what());
  }
  return m;
}

void Framer::feed(ByteView chunk) {
  if (off_ > 0 && off_ == buf_.size()) {
    buf_.clear();
    off_ = 0;
  } else if (off_ > (std::size_t{1} << 20)) {
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(off_));
    off_ = 0;
  }
  buf_.insert(buf_.end(), chunk.begin(), chunk.end());
}

std::optional<Bytes> Framer::next() {
  ByteView rest(buf_.data() + off_, buf_.size() - off_);
  auto v = peek_varint(rest);
  if (!v) return std::nullopt;
  if (v->value > kMaxMessage)
    throw Error("a bitswap message of " + std::to_string(v->value) + " bytes (over " +
                std::to_string(kMaxMessage) + ")");
  if (rest.size() - v->size < v->value) return std::nullopt;
  auto begin = rest.begin() + static_cast<std::ptrdiff_t>(v->size);
  Bytes msg(begin, begin + static_cast<std::ptrdiff_t>(v->value));
  off_ += v->size + v->value;
  return msg;
}

}  // namespace zinnia::ipfs::bitswap
