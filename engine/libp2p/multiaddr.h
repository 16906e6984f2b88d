#pragma once
// Multiaddrs (multiformats/multiaddr): the text form ("/ip4/127.0.0.1/tcp/4001/p2p/12D3...")
// and the binary form, for the protocols a TCP libp2p node needs: ip4, ip6, dns, dns4, dns6,
// tcp and p2p (alias ipfs). Anything else is refused with an error naming it.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/libp2p/codec.h"

namespace zinnia::libp2p {

enum class Proto : std::uint32_t {
  kIp4 = 4,
  kTcp = 6,
  kIp6 = 41,
  kDns = 53,
  kDns4 = 54,
  kDns6 = 55,
  kP2p = 421,
};

struct Component {
  Proto proto;
  Bytes value;  // binary value: 4/16 address bytes, 2 port bytes (BE), a name, a multihash
  bool operator==(const Component&) const = default;
};

class Multiaddr {
 public:
  Multiaddr() = default;
  // Throws DecodeError naming the bad part ("multiaddr /ip4/1.2.3/tcp/1: invalid ip4 address").
  static Multiaddr parse(std::string_view text);
  static Multiaddr decode(const std::uint8_t* data, std::size_t size);
  static Multiaddr decode(const Bytes& b) { return decode(b.data(), b.size()); }

  std::string to_string() const;
  Bytes encode() const;

  const std::vector<Component>& components() const { return parts_; }
  void push(Component c) { parts_.push_back(std::move(c)); }
  bool empty() const { return parts_.empty(); }
  bool operator==(const Multiaddr&) const = default;

  // The host part (ip4/ip6/dns*) and the tcp port, when the address starts that way.
  const Component* host() const;
  int tcp_port() const;  // -1 when there is none
  // The multihash of the trailing /p2p part (empty when there is none), and the address
  // without it (what is dialled).
  Bytes peer_multihash() const;
  Multiaddr without_p2p() const;

 private:
  std::vector<Component> parts_;
};

}  // namespace zinnia::libp2p
