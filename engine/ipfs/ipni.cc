#include "engine/ipfs/ipni.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "engine/ipfs/dag_cbor.h"
#include "engine/ipfs/multibase.h"
#include "engine/ipfs/varint.h"

namespace zinnia::ipfs {

std::vector<Protocol> ipni_metadata_protocols(ByteView in) {
  std::vector<Protocol> out;
  try {
    while (!in.empty()) {
      std::uint64_t code = read_varint(in, "IPNI metadata");
      if (code == kIpniBitswap) {
        out.push_back(Protocol::kBitswap);
      } else if (code == kIpniHttp) {
        out.push_back(Protocol::kHttp);
      } else if (code == kIpniGraphsync) {
        out.push_back(Protocol::kGraphsync);
        in = in.subspan(cbor_item_size(in));  // its CBOR parameters
      } else {
        break;
      }
    }
  } catch (const Error&) {
    // What was read before the damage still counts.
  }
  return out;
}

std::vector<Provider> parse_ipni_response(std::string_view text, const RetrievalRequest& request) {
  nlohmann::json doc = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) throw Error("IPNI answer is not a JSON object");
  auto results = doc.find("MultihashResults");
  if (results == doc.end() || !results->is_array())
    throw Error("IPNI answer has no MultihashResults array");
  std::vector<Provider> http, other;
  std::set<std::pair<std::string, int>> seen;
  for (auto& mh : *results) {
    if (!mh.is_object()) continue;
    auto prs = mh.find("ProviderResults");
    if (prs == mh.end() || !prs->is_array()) continue;
    for (auto& pr : *prs) {
      if (!pr.is_object()) continue;
      auto meta = pr.find("Metadata");
      auto prov = pr.find("Provider");
      if (meta == pr.end() || !meta->is_string() || prov == pr.end() || !prov->is_object())
        continue;
      std::vector<Protocol> protocols;
      try {
        protocols = ipni_metadata_protocols(base64_decode(meta->get<std::string>()));
      } catch (const Error&) {
        continue;
      }
      std::string id;
      if (auto it = prov->find("ID"); it != prov->end() && it->is_string())
        id = it->get<std::string>();
      std::vector<std::string> addrs;
      if (auto it = prov->find("Addrs"); it != prov->end() && it->is_array())
        for (auto& a : *it)
          if (a.is_string()) addrs.push_back(a.get<std::string>());
      for (Protocol p : protocols) {
        if (!request.wants(p)) continue;
        if (!seen.insert({id, static_cast<int>(p)}).second) continue;
        bool added = false;
        // A libp2p provider's addresses that the node can dial (TCP) come first.
        if (p != Protocol::kHttp)
          std::stable_partition(addrs.begin(), addrs.end(), multiaddr_is_plain_tcp);
        for (auto& addr : addrs) {
          if ((p == Protocol::kHttp) != multiaddr_is_http(addr)) continue;
          std::string full = addr;
          if (!id.empty() && addr.find("/p2p/") == std::string::npos) full += "/p2p/" + id;
          try {
            Provider provider = parse_provider(full, p);
            (p == Protocol::kHttp ? http : other).push_back(std::move(provider));
            added = true;
            break;
          } catch (const RequestError&) {
            continue;  // an address we cannot use; try the peer's next one
          }
        }
        if (!added && p != Protocol::kHttp && !id.empty()) {
          Provider provider;
          provider.address = "/p2p/" + id;
          provider.peer_id = id;
          provider.protocol = p;
          other.push_back(std::move(provider));
        }
      }
    }
  }
  http.insert(http.end(), other.begin(), other.end());
  return http;
}

}  // namespace zinnia::ipfs
