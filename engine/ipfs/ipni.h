#pragma once
// IPNI (ipni/specs): the providers of a CID from an indexer's `GET /cid/<cid>` JSON answer.
#include <string_view>
#include <vector>

#include "engine/ipfs/request.h"

namespace zinnia::ipfs {

// Multicodes of the retrieval protocols in IPNI metadata.
constexpr std::uint64_t kIpniBitswap = 0x0900;
constexpr std::uint64_t kIpniGraphsync = 0x0910;
constexpr std::uint64_t kIpniHttp = 0x0920;

// The protocols a provider's metadata (binary) announces, in order. Unknown ones end the list.
std::vector<Protocol> ipni_metadata_protocols(ByteView metadata);

// The candidates of `request` (its protocols) from an IPNI answer: HTTP providers first, each
// (peer, protocol) once. Throws Error when the answer is not IPNI JSON.
std::vector<Provider> parse_ipni_response(std::string_view json, const RetrievalRequest& request);

}  // namespace zinnia::ipfs
