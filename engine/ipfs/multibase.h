#pragma once
// Multibase text encodings of binary data (CIDs): base32 lower/upper ('b'/'B', RFC 4648
// without padding), base58btc ('z'), base16 ('f'/'F'), base36 ('k'/'K'), base64 and base64url
// ('m'/'u', unpadded). Plain base64 (padded or not) is decoded too, for IPNI's JSON.
#include <string>
#include <string_view>

#include "engine/ipfs/bytes.h"

namespace zinnia::ipfs {

// Decodes a multibase string (prefix character first). Throws Error naming the problem.
Bytes multibase_decode(std::string_view text);

std::string base32_encode(ByteView data);  // lower case, unpadded, no prefix
Bytes base32_decode(std::string_view text);
std::string base58btc_encode(ByteView data);  // no prefix
Bytes base58btc_decode(std::string_view text);
Bytes base36_decode(std::string_view text);
Bytes base16_decode(std::string_view text);
// Standard or URL alphabet, padding optional.
Bytes base64_decode(std::string_view text);
std::string base64_encode(ByteView data);  // standard alphabet, padded

}  // namespace zinnia::ipfs
