#include "engine/libp2p/multiaddr.h"

#include <arpa/inet.h>

#include <charconv>

namespace zinnia::libp2p {
namespace {

struct ProtoInfo {
  Proto proto;
  const char* name;
  int size;  // bytes of value; -1 for a varint-length-prefixed value
};

constexpr ProtoInfo kProtos[] = {
    {Proto::kIp4, "ip4", 4},  {Proto::kTcp, "tcp", 2},    {Proto::kIp6, "ip6", 16},
    {Proto::kDns, "dns", -1}, {Proto::kDns4, "dns4", -1}, {Proto::kDns6, "dns6", -1},
    {Proto::kP2p, "p2p", -1},
};

const ProtoInfo* by_name(std::string_view name) {
  if (name == "ipfs") name = "p2p";
  for (const auto& p : kProtos)
    if (name == p.name) return &p;
  return nullptr;
}
const ProtoInfo* by_code(std::uint64_t code) {
  for (const auto& p : kProtos)
    if (code == static_cast<std::uint32_t>(p.proto)) return &p;
  return nullptr;
}

// A multihash: <code varint><length varint><digest of that length>.
void check_multihash(const Bytes& mh, const std::string& ctx) {
  std::size_t used = 0, used2 = 0;
  auto code = get_uvarint(mh.data(), mh.size(), &used);
  if (!code) throw DecodeError(ctx + ": truncated multihash");
  auto len = get_uvarint(mh.data() + used, mh.size() - used, &used2);
  if (!len || *len != mh.size() - used - used2) throw DecodeError(ctx + ": bad multihash length");
}

Bytes parse_value(const ProtoInfo& p, std::string_view v, const std::string& ctx) {
  switch (p.proto) {
    case Proto::kIp4: {
      Bytes out(4);
      if (inet_pton(AF_INET, std::string(v).c_str(), out.data()) != 1)
        throw DecodeError(ctx + ": invalid ip4 address '" + std::string(v) + "'");
      return out;
    }
    case Proto::kIp6: {
      Bytes out(16);
      if (inet_pton(AF_INET6, std::string(v).c_str(), out.data()) != 1)
        throw DecodeError(ctx + ": invalid ip6 address '" + std::string(v) + "'");
      return out;
    }
    case Proto::kTcp: {
      unsigned port = 0;
      auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), port);
      if (v.empty() || ec != std::errc() || ptr != v.data() + v.size() || port > 65535)
        throw DecodeError(ctx + ": invalid tcp port '" + std::string(v) + "'");
      return Bytes{static_cast<std::uint8_t>(port >> 8), static_cast<std::uint8_t>(port)};
    }
    case Proto::kDns:
    case Proto::kDns4:
    case Proto::kDns6:
      if (v.empty() || v.size() > 253) throw DecodeError(ctx + ": invalid dns name");
      return to_bytes(v);
    case Proto::kP2p: {
      Bytes mh;
      if (!v.empty() && (v[0] == 'Q' || v[0] == '1')) {
        mh = base58btc_decode(v);
      } else if (!v.empty() && v[0] == 'b') {
        // CIDv1 (multibase base32): <version 1><codec libp2p-key 0x72><multihash>
        Bytes cid = base32_decode(v.substr(1));
        if (cid.size() < 3 || cid[0] != 0x01 || cid[1] != 0x72)
          throw DecodeError(ctx + ": peer id CID is not a CIDv1 libp2p-key");
        mh.assign(cid.begin() + 2, cid.end());
      } else {
        throw DecodeError(ctx + ": invalid peer id '" + std::string(v) + "'");
      }
      check_multihash(mh, ctx);
      return mh;
    }
  }
  throw DecodeError(ctx + ": unsupported protocol");
}

}  // namespace

Multiaddr Multiaddr::parse(std::string_view text) {
  const std::string ctx = "multiaddr " + std::string(text.substr(0, 200));
  if (text.empty() || text[0] != '/') throw DecodeError(ctx + ": must start with '/'");
  Multiaddr out;
  std::size_t pos = 1;
  auto next_part = [&]() -> std::optional<std::string_view> {
    if (pos > text.size()) return std::nullopt;
    const std::size_t slash = text.find('/', pos);
    const std::size_t end = slash == std::string_view::npos ? text.size() : slash;
    std::string_view part = text.substr(pos, end - pos);
    pos = end + 1;
    return part;
  };
  while (auto name = next_part()) {
    if (name->empty()) {
      if (pos > text.size()) break;  // a trailing '/'
      throw DecodeError(ctx + ": empty protocol name");
    }
    const ProtoInfo* p = by_name(*name);
    if (!p) throw DecodeError(ctx + ": unsupported protocol '" + std::string(*name) + "'");
    auto value = next_part();
    if (!value) throw DecodeError(ctx + ": " + p->name + " needs a value");
    out.parts_.push_back({p->proto, parse_value(*p, *value, ctx)});
  }
  if (out.parts_.empty()) throw DecodeError(ctx + ": no protocols");
  return out;
}

Multiaddr Multiaddr::decode(const std::uint8_t* data, std::size_t size) {
  Multiaddr out;
  std::size_t pos = 0;
  while (pos < size) {
    std::size_t used = 0;
    auto code = get_uvarint(data + pos, size - pos, &used);
    if (!code) throw DecodeError("binary multiaddr: truncated protocol code");
    pos += used;
    const ProtoInfo* p = by_code(*code);
    if (!p)
      throw DecodeError("binary multiaddr: unsupported protocol code " + std::to_string(*code));
    std::size_t len;
    if (p->size >= 0) {
      len = static_cast<std::size_t>(p->size);
    } else {
      auto l = get_uvarint(data + pos, size - pos, &used);
      if (!l) throw DecodeError("binary multiaddr: truncated length");
      pos += used;
      len = static_cast<std::size_t>(*l);
    }
    if (len > size - pos) throw DecodeError(std::string("binary multiaddr: truncated ") + p->name);
    Bytes value(data + pos, data + pos + len);
    pos += len;
    if (p->proto == Proto::kP2p) check_multihash(value, "binary multiaddr");
    if ((p->proto == Proto::kDns || p->proto == Proto::kDns4 || p->proto == Proto::kDns6) &&
        (value.empty() || value.size() > 253 ||
         as_chars(value).find_first_of(std::string_view("/\0", 2)) != std::string_view::npos))
      throw DecodeError("binary multiaddr: invalid dns name");
    out.parts_.push_back({p->proto, std::move(value)});
  }
  if (out.parts_.empty()) throw DecodeError("binary multiaddr: empty");
  return out;
}

std::string Multiaddr::to_string() const {
  std::string out;
  for (const auto& c : parts_) {
    const ProtoInfo* p = by_code(static_cast<std::uint32_t>(c.proto));
    out += '/';
    out += p->name;
    out += '/';
    char buf[INET6_ADDRSTRLEN];
    switch (c.proto) {
      case Proto::kIp4:
        out += inet_ntop(AF_INET, c.value.data(), buf, sizeof buf);
        break;
      case Proto::kIp6:
        out += inet_ntop(AF_INET6, c.value.data(), buf, sizeof buf);
        break;
      case Proto::kTcp:
        out += std::to_string((c.value[0] << 8) | c.value[1]);
        break;
      case Proto::kP2p:
        out += base58btc_encode(c.value);
        break;
      default:
        out += as_chars(c.value);
    }
  }
  return out;
}

Bytes Multiaddr::encode() const {
  Bytes out;
  for (const auto& c : parts_) {
    put_uvarint(out, static_cast<std::uint32_t>(c.proto));
    if (by_code(static_cast<std::uint32_t>(c.proto))->size < 0) put_uvarint(out, c.value.size());
    append(out, c.value);
  }
  return out;
}

const Component* Multiaddr::host() const {
  if (parts_.empty()) return nullptr;
  switch (parts_[0].proto) {
    case Proto::kIp4:
    case Proto::kIp6:
    case Proto::kDns:
    case Proto::kDns4:
    case Proto::kDns6:
      return &parts_[0];
    default:
      return nullptr;
  }
}

int Multiaddr::tcp_port() const {
  if (parts_.size() < 2 || parts_[1].proto != Proto::kTcp) return -1;
  return (parts_[1].value[0] << 8) | parts_[1].value[1];
}

Bytes Multiaddr::peer_multihash() const {
  if (parts_.empty() || parts_.back().proto != Proto::kP2p) return {};
  return parts_.back().value;
}

Multiaddr Multiaddr::without_p2p() const {
  Multiaddr out = *this;
  if (!out.parts_.empty() && out.parts_.back().proto == Proto::kP2p) out.parts_.pop_back();
  return out;
}

}  // namespace zinnia::libp2p
