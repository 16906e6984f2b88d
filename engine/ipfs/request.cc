#include "engine/ipfs/request.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "engine/ipfs/multibase.h"

namespace zinnia::ipfs {

const char* protocol_name(Protocol p) {
  switch (p) {
    case Protocol::kHttp:
      return "http";
    case Protocol::kBitswap:
      return "bitswap";
    case Protocol::kGraphsync:
      return "graphsync";
  }
  return "http";
}

bool RetrievalRequest::wants(Protocol p) const {
  return protocols.empty() || std::find(protocols.begin(), protocols.end(), p) != protocols.end();
}

namespace {

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    auto pos = s.find(sep, start);
    out.push_back(s.substr(start, pos == std::string_view::npos ? pos : pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return out;
}

std::optional<std::int64_t> to_int(std::string_view s) {
  std::int64_t v = 0;
  if (s.empty()) return std::nullopt;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

ByteRange parse_entity_bytes(std::string_view v) {
  auto colon = v.find(':');
  if (colon == std::string_view::npos)
    throw RequestError("invalid entity-bytes \"" + std::string(v) + "\": expected from:to");
  auto from = to_int(v.substr(0, colon));
  std::string_view to_text = v.substr(colon + 1);
  ByteRange r;
  if (!from) throw RequestError("invalid entity-bytes \"" + std::string(v) + "\": bad from");
  r.from = *from;
  if (to_text != "*") {
    auto to = to_int(to_text);
    if (!to) throw RequestError("invalid entity-bytes \"" + std::string(v) + "\": bad to");
    if (*to >= 0 && r.from >= 0 && *to < r.from)
      throw RequestError("invalid entity-bytes \"" + std::string(v) + "\": to is before from");
    r.to = *to;
  }
  return r;
}

}  // namespace

std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string percent_encode_segment(std::string_view s) {
  static const char* digits = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(digits[u >> 4]);
      out.push_back(digits[u & 15]);
    }
  }
  return out;
}

bool multiaddr_is_http(std::string_view multiaddr) {
  auto parts = split(multiaddr, '/');
  for (std::size_t i = 0; i < parts.size(); ++i)
    if (parts[i] == "http" || parts[i] == "https") return true;
  return false;
}

Provider parse_provider(std::string_view multiaddr, Protocol protocol) {
  Provider p;
  p.address = std::string(multiaddr);
  p.protocol = protocol;
  auto bad = [&](const std::string& why) {
    return RequestError("invalid provider multiaddr \"" + std::string(multiaddr) + "\": " + why);
  };
  if (!multiaddr.starts_with('/')) throw bad("it must start with '/'");
  auto parts = split(multiaddr.substr(1), '/');
  std::string host, port;
  bool tls = false, http = false;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    std::string_view name = parts[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= parts.size() || parts[i + 1].empty())
        throw bad("/" + std::string(name) + " needs a value");
      return std::string(parts[++i]);
    };
    if (name == "ip4" || name == "dns" || name == "dns4" || name == "dns6") {
      host = value();
    } else if (name == "ip6") {
      host = "[" + value() + "]";
    } else if (name == "tcp") {
      port = value();
      if (!to_int(port) || *to_int(port) <= 0 || *to_int(port) > 65535) throw bad("bad port");
    } else if (name == "udp" || name == "sni") {
      value();
    } else if (name == "p2p" || name == "ipfs") {
      p.peer_id = value();
    } else if (name == "tls" || name == "quic" || name == "quic-v1" || name == "ws" ||
               name == "wss" || name == "webtransport" || name == "p2p-circuit" ||
               name == "noise") {
      if (name == "tls") tls = true;
    } else if (name == "http") {
      http = true;
    } else if (name == "https") {
      http = true;
      tls = true;
    } else if (name.empty() && i + 1 == parts.size()) {
      // a trailing slash
    } else {
      throw bad("unsupported component /" + std::string(name));
    }
  }
  if (!p.peer_id.empty()) {
    // A peer id is a multihash in base58btc ("Qm...", "12D3...") or a CIDv1 (libp2p-key).
    try {
      if (p.peer_id[0] == 'Q' || p.peer_id[0] == '1')
        base58btc_decode(p.peer_id);
      else
        Cid::parse(p.peer_id);
    } catch (const Error& e) {
      throw bad(std::string("bad peer id: ") + e.what());
    }
  }
  if (protocol == Protocol::kHttp) {
    if (!http) throw bad("it has no /http or /https for the HTTP protocol");
    if (host.empty()) throw bad("no host");
    if (port.empty()) port = tls ? "443" : "80";
    p.http_base = std::string(tls ? "https://" : "http://") + host + ":" + port;
  } else if (p.peer_id.empty() && !http) {
    throw bad("a libp2p provider needs a /p2p/<peer id>");
  }
  return p;
}

bool multiaddr_is_plain_tcp(std::string_view multiaddr) {
  if (!multiaddr.starts_with('/')) return false;
  auto parts = split(multiaddr.substr(1), '/');
  if (parts.size() != 4 && parts.size() != 6) return false;
  const auto& host = parts[0];
  if (host != "ip4" && host != "ip6" && host != "dns" && host != "dns4" && host != "dns6")
    return false;
  if (parts[2] != "tcp") return false;
  return parts.size() == 4 || parts[4] == "p2p" || parts[4] == "ipfs";
}

std::string RetrievalRequest::gateway_path() const {
  std::string out = "/ipfs/" + root_text;
  for (auto& seg : selector.path) out += "/" + percent_encode_segment(seg);
  out += "?format=car&dag-scope=";
  out += scope_name(selector.scope);
  if (selector.bytes) out += "&entity-bytes=" + selector.bytes->to_string();
  return out;
}

RetrievalRequest parse_ipfs_url(std::string_view url) {
  RetrievalRequest r;
  if (url.size() < 7 || !std::equal(url.begin(), url.begin() + 7, "ipfs://",
                                    [](char a, char b) { return std::tolower(a) == b; }))
    throw RequestError("not an ipfs:// URL: " + std::string(url));
  std::string_view rest = url.substr(7);
  if (auto hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  std::string_view query;
  if (auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  auto slash = rest.find('/');
  std::string_view cid_text = rest.substr(0, slash);
  if (cid_text.empty()) throw RequestError("ipfs:// URL without a CID");
  r.root_text = std::string(cid_text);
  try {
    r.root = Cid::parse(cid_text);
  } catch (const Error& e) {
    throw RequestError("invalid CID \"" + std::string(cid_text) + "\": " + e.what());
  }
  if (!r.root.verifiable())
    throw RequestError("cannot verify CID " + r.root_text +
                       ": only sha2-256 and identity multihashes are supported");
  if (slash != std::string_view::npos) {
    for (auto seg : split(rest.substr(slash + 1), '/')) {
      if (seg.empty()) continue;
      std::string s = percent_decode(seg);
      if (s == "." || s == "..") throw RequestError("invalid path segment \"" + s + "\"");
      r.selector.path.push_back(std::move(s));
    }
  }
  std::vector<std::string> provider_addrs;
  if (!query.empty()) {
    for (auto pair : split(query, '&')) {
      if (pair.empty()) continue;
      auto eq = pair.find('=');
      std::string key = percent_decode(pair.substr(0, eq));
      std::string value = eq == std::string_view::npos ? "" : percent_decode(pair.substr(eq + 1));
      for (auto& c : value)
        if (c == '+' && key != "providers") c = ' ';
      if (key == "dag-scope") {
        if (value == "all")
          r.selector.scope = Scope::kAll;
        else if (value == "entity")
          r.selector.scope = Scope::kEntity;
        else if (value == "block")
          r.selector.scope = Scope::kBlock;
        else
          throw RequestError("invalid dag-scope \"" + value + "\": expected all, entity or block");
      } else if (key == "entity-bytes") {
        r.selector.bytes = parse_entity_bytes(value);
      } else if (key == "format") {
        if (value != "car")
          throw RequestError("invalid format \"" + value + "\": only car is supported");
      } else if (key == "protocols") {
        for (auto name : split(value, ',')) {
          if (name == "http")
            r.protocols.push_back(Protocol::kHttp);
          else if (name == "bitswap")
            r.protocols.push_back(Protocol::kBitswap);
          else if (name == "graphsync")
            r.protocols.push_back(Protocol::kGraphsync);
          else
            throw RequestError("unrecognized protocol \"" + std::string(name) +
                               "\": expected http, bitswap or graphsync");
        }
      } else if (key == "providers") {
        for (auto addr : split(value, ','))
          if (!addr.empty()) provider_addrs.emplace_back(addr);
      }
    }
  }
  if (r.selector.bytes && r.selector.scope != Scope::kAll && r.selector.scope != Scope::kEntity)
    r.selector.bytes.reset();  // dag-scope=block wins: the one block
  for (auto& addr : provider_addrs) {
    bool http = multiaddr_is_http(addr);
    // Each provider is tried with the protocols asked for that it can speak.
    std::vector<Protocol> candidates;
    if (r.protocols.empty()) {
      candidates.push_back(http ? Protocol::kHttp : Protocol::kBitswap);
    } else {
      for (auto p : r.protocols)
        if ((p == Protocol::kHttp) == http) candidates.push_back(p);
      if (candidates.empty()) candidates.push_back(r.protocols.front());
    }
    for (auto p : candidates) r.providers.push_back(parse_provider(addr, p));
  }
  return r;
}

}  // namespace zinnia::ipfs
