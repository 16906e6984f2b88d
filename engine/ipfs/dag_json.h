#pragma once
// DAG-JSON (ipld/specs codecs/dag-json): the links of a block, `{"/": "<cid>"}`, for traversal.
#include <vector>

#include "engine/ipfs/bytes.h"
#include "engine/ipfs/cid.h"

namespace zinnia::ipfs {

constexpr int kMaxJsonDepth = 128;

// The CID links of a DAG-JSON block in document order. Throws Error.
std::vector<Cid> dag_json_links(ByteView block);

}  // namespace zinnia::ipfs
