#pragma once
// What `fetch("ipfs://...")` asks for, parsed as Lassie's HTTP specification reads it, and the
// providers named by multiaddrs (in the request or in IPNI's answers).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/ipfs/cid.h"
#include "engine/ipfs/traversal.h"

namespace zinnia::ipfs {

enum class Protocol { kHttp, kBitswap, kGraphsync };
const char* protocol_name(Protocol p);

struct Provider {
  std::string address;  // as given: a multiaddr, or the IPNI peer's first address
  std::string peer_id;  // may be empty for an HTTP provider
  Protocol protocol = Protocol::kHttp;
  std::string http_base;  // kHttp: "http://host:port" or "https://host:port"
};

// A bad request (status 400).
class RequestError : public Error {
 public:
  using Error::Error;
};

struct RetrievalRequest {
  Cid root;
  std::string root_text;  // as written
  Selector selector;
  std::vector<Protocol> protocols;  // empty: any
  std::vector<Provider> providers;  // empty: ask IPNI
  bool wants(Protocol p) const;
  // The trustless-gateway path and query for an HTTP provider: "/ipfs/<cid>/<path>?...".
  std::string gateway_path() const;
};

// Parses "ipfs://<cid>[/<path>][?params]" (the scheme is case-insensitive). Throws RequestError.
RetrievalRequest parse_ipfs_url(std::string_view url);

// A provider from a multiaddr; `protocol` is the one to speak to it. Throws RequestError.
Provider parse_provider(std::string_view multiaddr, Protocol protocol);
// True when the multiaddr reaches an HTTP(S) endpoint (/http, /https, /tls/http).
bool multiaddr_is_http(std::string_view multiaddr);
// True for /ip4|ip6|dns|dns4|dns6/<host>/tcp/<port>[/p2p/<id>]: what the libp2p node dials.
bool multiaddr_is_plain_tcp(std::string_view multiaddr);

std::string percent_decode(std::string_view s);
std::string percent_encode_segment(std::string_view s);

}  // namespace zinnia::ipfs
